//! What the page shows of a domain, from a report or from an earlier
//! scan's CSV rows: plain strings the templates escape, nothing rendered.

use crate::model::{DomainReport, FindingId, Severity};
use crate::report::Record;
use crate::tls::enumerate::Enumeration;
use crate::tls::iana;
use crate::tls::order::OrderType;
use crate::trust::{AddressTrust, StrictTls};

/// One domain (or `--host` target).
#[derive(Debug, Clone)]
pub(crate) struct DomainView {
    pub name: String,
    pub status: String,
    pub error: Option<String>,
    /// The worst finding's severity (`None`: no finding, or from a CSV
    /// without severities and no finding).
    pub worst: Option<Severity>,
    /// Under the policy and `--fail-on`.
    pub pass: bool,
    pub findings: Vec<FindingView>,
    /// Domain-wide checks: MTA-STS, TLS-RPT.
    pub checks: Vec<Check>,
    pub addresses: Vec<AddressView>,
}

#[derive(Debug, Clone)]
pub(crate) struct FindingView {
    pub id: FindingId,
    pub severity: Severity,
    /// MX host and address it is about, if any.
    pub place: String,
    pub message: String,
    pub remedy: String,
}

/// A verdict line: what, the verdict, and whether it is good (`None`:
/// neither).
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub label: &'static str,
    pub text: String,
    pub good: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct AddressView {
    pub mx: String,
    pub endpoint: String,
    pub status: String,
    pub error: Option<String>,
    pub negotiated: Option<String>,
    /// What the server said of itself: greeting, EHLO name.
    pub smtp: Vec<(&'static str, String)>,
    pub versions: Vec<VersionView>,
    pub groups: Option<String>,
    pub cert: Vec<(&'static str, String)>,
    pub trust: Vec<Check>,
    pub senders: Vec<SenderView>,
}

#[derive(Debug, Clone)]
pub(crate) struct VersionView {
    pub name: String,
    /// `Some(true)` accepted, `Some(false)` refused, `None` unknown.
    pub accepted: Option<bool>,
    pub order: Option<String>,
    /// In the server's order (where it has one).
    pub ciphers: Vec<CipherView>,
}

#[derive(Debug, Clone)]
pub(crate) struct CipherView {
    pub name: String,
    /// Why it is outdated (`CBC`, `SHA-1`, `RC4` …); empty: it is not.
    pub legacy: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub(crate) struct SenderView {
    pub profile: String,
    pub outcome: String,
    pub detail: String,
}

fn verdict(worst: Option<Severity>, fail_on: Severity) -> bool {
    worst.is_none_or(|w| w < fail_on)
}

fn cipher(name: &str) -> CipherView {
    let legacy = iana::lookup(name)
        .map(|s| s.legacy_labels())
        .unwrap_or_default();
    CipherView {
        name: name.to_owned(),
        legacy,
    }
}

fn order_text(o: Option<OrderType>) -> Option<String> {
    o.map(|o| {
        match o {
            OrderType::Server => "server order",
            OrderType::Client => "client order (listed in mxprobe's offer order)",
            OrderType::Mixed => "mixed order (listed in the order picked)",
        }
        .to_owned()
    })
}

impl DomainView {
    /// The view of a report (as a scan or a JSON Lines file gives it).
    pub(crate) fn of_report(r: &DomainReport, fail_on: Severity) -> DomainView {
        let worst = crate::policy::worst(&r.findings);
        let findings = r
            .findings
            .iter()
            .map(|f| FindingView {
                id: f.id,
                severity: f.severity,
                place: [
                    f.mx.clone(),
                    f.ip.map(|ip| endpoint(&ip.to_string(), f.port)),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
                message: f.message.clone(),
                remedy: f.remedy.clone(),
            })
            .collect();
        let mut checks = Vec::new();
        if let Some(s) = &r.mta_sts {
            let mode = s.policy().map(|p| p.mode.as_str());
            checks.push(Check {
                label: "MTA-STS",
                text: format!("{} ({})", s.txt.as_str(), mode.unwrap_or("no policy")),
                good: mode.map(|_| s.violations.is_empty() && s.mx_mismatch.is_empty()),
            });
        }
        if let Some(t) = &r.tls_rpt {
            checks.push(Check {
                label: "TLS-RPT",
                text: t.status.as_str().to_owned(),
                good: None,
            });
        }
        let mut addresses = Vec::new();
        for mx in &r.mx {
            if mx.addresses.is_empty() {
                addresses.push(AddressView::empty(&mx.host, mx.error.clone()));
            }
            for a in &mx.addresses {
                let mut v = AddressView::empty(&mx.host, a.error.clone());
                v.endpoint = endpoint(&a.ip.to_string(), Some(a.port));
                v.status = a.status.as_str().to_owned();
                v.negotiated = a.tls.as_ref().map(|t| t.negotiated());
                if let Some(smtp) = &a.smtp {
                    if let Some(g) = smtp.greeting.first() {
                        v.smtp.push(("greeting", g.clone()));
                    }
                    if let Some(e) = &smtp.ehlo_host {
                        v.smtp.push(("EHLO name", e.clone()));
                    }
                }
                if let Some(e) = &a.enumeration {
                    v.versions = versions(e);
                    let groups: Vec<&str> = e.group_preference.iter().map(String::as_str).collect();
                    v.groups = (!groups.is_empty()).then(|| groups.join(" "));
                }
                if let Some(leaf) = a.leaf() {
                    v.cert = vec![
                        ("subject", leaf.subject.clone()),
                        ("names", leaf.dns_names.join(" ")),
                        ("issuer", leaf.issuer.clone()),
                        ("expires", leaf.not_after.clone()),
                        ("key", format!("{} {}", leaf.key_type, leaf.key_bits)),
                    ];
                }
                if let Some(t) = &a.trust {
                    v.trust = trust(t);
                }
                if let Some(d) = &mx.dane {
                    v.trust.push(Check {
                        label: "DANE",
                        text: d.state.as_str().to_owned(),
                        good: None,
                    });
                }
                v.senders = a
                    .senders
                    .iter()
                    .map(|s| SenderView {
                        profile: s.profile.clone(),
                        outcome: s.outcome.as_str().to_owned(),
                        detail: [s.negotiated(), s.group_text(), s.reason.clone()]
                            .into_iter()
                            .filter(|x| !x.is_empty())
                            .collect::<Vec<_>>()
                            .join("  "),
                    })
                    .collect();
                addresses.push(v);
            }
        }
        DomainView {
            name: r.target.name().to_owned(),
            status: r.status.as_str().to_owned(),
            error: r.error.clone(),
            worst,
            pass: verdict(worst, fail_on),
            findings,
            checks,
            addresses,
        }
    }

    /// The view of one domain's rows of an earlier scan's CSV: what the
    /// columns hold (finding IDs with the catalogue's texts, the accepted
    /// ciphers in one list).
    pub(crate) fn of_csv(rows: &[Record], fail_on: Severity) -> Option<DomainView> {
        let first = rows.first()?;
        let mut findings: Vec<FindingView> = Vec::new();
        let mut addresses = Vec::new();
        for row in rows {
            let place = [
                row.get("mx"),
                &endpoint(row.get("ip"), row.get("port").parse().ok()),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
            for id in row.get("findings").split_whitespace() {
                let Ok(id) = id.parse::<FindingId>() else {
                    continue;
                };
                if findings.iter().any(|f| f.id == id && f.place == place) {
                    continue;
                }
                let kind = id.kind();
                findings.push(FindingView {
                    id,
                    severity: kind.severity,
                    place: place.clone(),
                    message: kind.title.to_owned(),
                    remedy: kind.remedy.to_owned(),
                });
            }
            if row.get("mx").is_empty() {
                continue;
            }
            let error = Some(row.get("error").to_owned()).filter(|e| !e.is_empty());
            let mut v = AddressView::empty(row.get("mx"), error);
            v.endpoint = endpoint(row.get("ip"), row.get("port").parse().ok());
            v.status = row.get("status").to_owned();
            v.negotiated = Some(row.get("negotiated").to_owned()).filter(|n| !n.is_empty());
            if !row.get("banner_host").is_empty() {
                v.smtp
                    .push(("banner host", row.get("banner_host").to_owned()));
            }
            let ciphers: Vec<CipherView> =
                row.get("ciphers").split_whitespace().map(cipher).collect();
            for (column, name) in [
                ("sslv3", "SSLv3"),
                ("tlsv1", "TLSv1"),
                ("tlsv1_1", "TLSv1.1"),
                ("tlsv1_2", "TLSv1.2"),
                ("tlsv1_3", "TLSv1.3"),
            ] {
                if let Some(accepted) = row.yes_no(column) {
                    v.versions.push(VersionView {
                        name: name.to_owned(),
                        accepted: Some(accepted),
                        order: None,
                        ciphers: Vec::new(),
                    });
                }
            }
            if !ciphers.is_empty() {
                v.versions.push(VersionView {
                    name: "all".to_owned(),
                    accepted: Some(true),
                    order: Some(row.get("cipher_order"))
                        .filter(|o| !o.is_empty())
                        .map(|o| format!("{o} order")),
                    ciphers,
                });
            }
            v.groups = Some(row.get("groups").to_owned()).filter(|g| !g.is_empty());
            for (label, column) in [
                ("subject", "cert_subject"),
                ("names", "cert_san"),
                ("issuer", "cert_issuer"),
                ("expires", "cert_not_after"),
                ("key", "cert_key"),
            ] {
                if !row.get(column).is_empty() {
                    v.cert.push((label, row.get(column).to_owned()));
                }
            }
            let mut check = |label, text: String, good| {
                if !text.is_empty() {
                    v.trust.push(Check { label, text, good });
                }
            };
            check(
                "chain",
                match row.yes_no("cert_trusted") {
                    Some(true) => "trusted".to_owned(),
                    Some(false) => format!("NOT TRUSTED {}", row.get("cert_problems")),
                    None => String::new(),
                },
                row.yes_no("cert_trusted"),
            );
            check(
                "MX name",
                row.get("name_matches_mx").to_owned(),
                row.yes_no("name_matches_mx"),
            );
            check(
                "strict sender",
                format!("{} {}", row.get("strict_tls"), row.get("strict_tls_error"))
                    .trim()
                    .to_owned(),
                Some(row.get("strict_tls") == "ok").filter(|_| !row.get("strict_tls").is_empty()),
            );
            check("PTR", row.get("ptr").to_owned(), None);
            check("DANE", row.get("dane").to_owned(), None);
            addresses.push(v);
        }
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let worst = findings.iter().map(|f| f.severity).max();
        let mut checks = Vec::new();
        for (label, column) in [("MTA-STS", "mta_sts"), ("TLS-RPT", "tls_rpt")] {
            if !first.get(column).is_empty() {
                checks.push(Check {
                    label,
                    text: first.get(column).to_owned(),
                    good: None,
                });
            }
        }
        let status = if addresses.is_empty() {
            first.get("status")
        } else {
            "ok"
        };
        Some(DomainView {
            name: first.domain().to_owned(),
            status: status.to_owned(),
            error: addresses
                .is_empty()
                .then(|| first.get("error").to_owned())
                .filter(|e| !e.is_empty()),
            worst,
            pass: verdict(worst, fail_on),
            findings,
            checks,
            addresses,
        })
    }
}

impl AddressView {
    fn empty(mx: &str, error: Option<String>) -> AddressView {
        AddressView {
            mx: mx.to_owned(),
            endpoint: String::new(),
            status: if error.is_some() { "dns-error" } else { "" }.to_owned(),
            error,
            negotiated: None,
            smtp: Vec::new(),
            versions: Vec::new(),
            groups: None,
            cert: Vec::new(),
            trust: Vec::new(),
            senders: Vec::new(),
        }
    }
}

fn endpoint(ip: &str, port: Option<u16>) -> String {
    match (ip.contains(':'), port) {
        (_, None) => ip.to_owned(),
        (true, Some(p)) => format!("[{ip}]:{p}"),
        (false, Some(p)) => format!("{ip}:{p}"),
    }
}

fn versions(e: &Enumeration) -> Vec<VersionView> {
    e.versions
        .iter()
        .map(|v| VersionView {
            name: v.protocol.as_str().to_owned(),
            accepted: v.supported,
            order: order_text(v.order),
            ciphers: v.ciphers.iter().map(|c| cipher(&c.name)).collect(),
        })
        .collect()
}

fn trust(t: &AddressTrust) -> Vec<Check> {
    let mut v = Vec::new();
    if let Some(c) = &t.chain {
        v.push(Check {
            label: "chain",
            text: if c.trusted {
                format!("trusted, expires in {} days", c.chain_days_left)
            } else {
                let why = c
                    .rejection
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                format!("NOT TRUSTED{why}")
            },
            good: Some(c.trusted),
        });
    }
    if let Some(n) = &t.names {
        v.push(Check {
            label: "MX name",
            text: format!("{}: {}", n.mx.name, n.mx.result),
            good: Some(n.mx.result == crate::trust::MatchResult::Match),
        });
    }
    match &t.strict_tls {
        Some(StrictTls::Ok {
            protocol, cipher, ..
        }) => v.push(Check {
            label: "strict sender",
            text: format!("ok: {protocol} {cipher}"),
            good: Some(true),
        }),
        Some(StrictTls::Failed { detail, .. }) => v.push(Check {
            label: "strict sender",
            text: format!("failed: {detail}"),
            good: Some(false),
        }),
        None => {}
    }
    v.push(Check {
        label: "PTR",
        text: t.ptr.status.as_str().to_owned(),
        good: None,
    });
    v
}
