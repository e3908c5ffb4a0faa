//! One CSV row, rendered from a [`Place`] of a report.

use std::net::IpAddr;

use serde::Serialize;

use crate::model::{AddressReport, MxReport};
use crate::mtasts::{FetchStatus, MtaSts, TxtStatus};
use crate::report::rows::Place;
use crate::tls::enumerate::Enumeration;
use crate::tls::order::OrderType;
use crate::tls::Protocol;
use crate::trust::{AddressTrust, NameMatch, StrictTls};

/// The columns of one row, in [`super::COLUMNS`] order.
#[derive(Serialize, Default)]
pub(crate) struct Row<'a> {
    domain: &'a str,
    mx: &'a str,
    preference: Option<u16>,
    implicit_mx: &'static str,
    ip: Option<IpAddr>,
    port: Option<u16>,
    status: &'static str,
    error: &'a str,
    banner_host: &'a str,
    starttls: &'static str,
    protocol: &'static str,
    cipher: &'a str,
    bits: Option<u32>,
    negotiated: String,
    group: &'a str,
    dh_bits: Option<u32>,
    cert_subject: &'a str,
    cert_cn: &'a str,
    cert_san: String,
    cert_issuer: &'a str,
    cert_not_before: &'a str,
    cert_not_after: &'a str,
    cert_key: String,
    cert_signature: &'a str,
    cert_sha256: &'a str,
    chain_length: Option<usize>,
    connections: Option<u32>,
    handshakes: Option<u32>,
    refused_handshakes: Option<u32>,
    close_wait_seconds: Option<f64>,
    sslv3: &'static str,
    tlsv1: &'static str,
    tlsv1_1: &'static str,
    tlsv1_2: &'static str,
    tlsv1_3: &'static str,
    cipher_order: String,
    preferred_sslv3: &'a str,
    preferred_tlsv1: &'a str,
    preferred_tlsv1_1: &'a str,
    preferred_tlsv1_2: &'a str,
    preferred_tlsv1_3: &'a str,
    ciphers: String,
    groups: String,
    min_dh_bits: Option<u32>,
    incomplete: String,
    findings: String,
    worst: &'static str,
    cert_trusted: &'static str,
    cert_problems: String,
    cert_days_left: Option<i64>,
    chain_days_left: Option<i64>,
    name_matches_mx: &'static str,
    name_matches_domain: &'static str,
    name_matches_banner: &'static str,
    name_hint: String,
    strict_tls: &'static str,
    strict_tls_error: &'a str,
    ptr: String,
    ptr_names: String,
    ptr_confirmed: String,
    ptr_matches_banner: &'static str,
    dane: &'static str,
    dnssec: &'static str,
    mta_sts: String,
    tls_rpt: &'static str,
    software: &'static str,
}

impl<'a> Row<'a> {
    /// The row of `place`.
    pub(crate) fn of(place: Place<'a>) -> Row<'a> {
        let mut row = Row {
            domain: place.report.target.name(),
            status: place.status(),
            error: place.error(),
            ..Row::default()
        };
        if let Some(mx) = place.mx {
            row.mx = &mx.host;
            row.preference = mx.preference;
            row.implicit_mx = yes_no(mx.implicit);
        }
        if let Some(a) = place.address {
            address_columns(&mut row, a);
        }
        dns_trust_columns(&mut row, place);
        finding_columns(&mut row, place);
        row
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn address_columns<'a>(row: &mut Row<'a>, a: &'a AddressReport) {
    row.ip = Some(a.ip);
    row.port = Some(a.port);
    row.connections = Some(a.connections);
    row.handshakes = Some(a.handshakes);
    row.refused_handshakes = Some(a.refused_handshakes);
    row.close_wait_seconds = Some(a.close_wait_seconds);
    if let Some(smtp) = &a.smtp {
        row.banner_host = smtp.banner_host.as_deref().unwrap_or("");
        if !smtp.greeting.is_empty() {
            row.starttls = yes_no(smtp.starttls);
            row.software = smtp.software.name.as_str();
        }
    }
    if let Some(tls) = &a.tls {
        row.protocol = tls.protocol.as_str();
        row.cipher = &tls.cipher;
        row.bits = Some(tls.bits);
        row.negotiated = tls.negotiated();
        row.group = tls.group.as_deref().unwrap_or("");
        row.dh_bits = tls.dh_bits;
        row.chain_length = Some(tls.chain.len());
    }
    if let Some(e) = &a.enumeration {
        enumeration_columns(row, e);
    }
    if let Some(c) = a.leaf() {
        row.cert_subject = &c.subject;
        row.cert_cn = c.common_name.as_deref().unwrap_or("");
        row.cert_san = c.dns_names.join(" ");
        row.cert_issuer = &c.issuer;
        row.cert_not_before = &c.not_before;
        row.cert_not_after = &c.not_after;
        row.cert_key = format!("{} {}", c.key_type, c.key_bits);
        row.cert_signature = &c.signature_algorithm;
        row.cert_sha256 = &c.sha256;
    }
    if let Some(t) = &a.trust {
        trust_columns(row, t);
    }
}

/// `yes`/`no`, empty when the name was not checked.
fn name_column(m: &NameMatch) -> &'static str {
    if m.checked() {
        yes_no(m.matches())
    } else {
        ""
    }
}

fn trust_columns<'a>(row: &mut Row<'a>, t: &'a AddressTrust) {
    if let Some(chain) = &t.chain {
        row.cert_trusted = yes_no(chain.trusted);
        let mut kinds: Vec<&str> = Vec::new();
        for p in &chain.problems {
            if !kinds.contains(&p.kind()) {
                kinds.push(p.kind());
            }
        }
        row.cert_problems = kinds.join(" ");
        row.cert_days_left = Some(chain.leaf_days_left);
        row.chain_days_left = Some(chain.chain_days_left);
    }
    if let Some(names) = &t.names {
        row.name_matches_mx = name_column(&names.mx);
        row.name_matches_domain = names.domain.as_ref().map_or("", name_column);
        row.name_matches_banner = names.banner.as_ref().map_or("", name_column);
        row.name_hint = names
            .hint
            .as_ref()
            .map(|h| h.to_string())
            .unwrap_or_default();
    }
    if let Some(strict) = &t.strict_tls {
        row.strict_tls = strict.result();
        if let StrictTls::Failed { detail, .. } = strict {
            row.strict_tls_error = detail;
        }
    }
    row.ptr = t.ptr.status.to_string();
    row.ptr_names = t
        .ptr
        .names
        .iter()
        .map(|n| n.name.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    row.ptr_confirmed = t.ptr.confirmed().collect::<Vec<_>>().join(" ");
    row.ptr_matches_banner = t.ptr.matches_banner.map_or("", yes_no);
}

fn enumeration_columns<'a>(row: &mut Row<'a>, e: &'a Enumeration) {
    for v in &e.versions {
        let supported = match v.supported {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        let preferred = match (v.order, v.ciphers.first()) {
            (Some(OrderType::Client), _) | (_, None) => "",
            (_, Some(c)) => c.name.as_str(),
        };
        let (yes_no, pref) = match v.protocol {
            Protocol::Ssl3 => (&mut row.sslv3, &mut row.preferred_sslv3),
            Protocol::Tls1 => (&mut row.tlsv1, &mut row.preferred_tlsv1),
            Protocol::Tls1_1 => (&mut row.tlsv1_1, &mut row.preferred_tlsv1_1),
            Protocol::Tls1_2 => (&mut row.tlsv1_2, &mut row.preferred_tlsv1_2),
            Protocol::Tls1_3 => (&mut row.tlsv1_3, &mut row.preferred_tlsv1_3),
        };
        *yes_no = supported;
        *pref = preferred;
    }
    if let Some(v) = e.versions.iter().rev().find(|v| v.order.is_some()) {
        row.cipher_order = v.order.map(|o| o.to_string()).unwrap_or_default();
    }
    if let Some(v) = e.highest() {
        row.ciphers = v
            .ciphers
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(" ");
    }
    row.groups = e
        .groups
        .iter()
        .map(|g| {
            if g.protocol == Protocol::Tls1_3
                || !e.groups.iter().any(|o| o.protocol == Protocol::Tls1_3)
            {
                g.name.clone()
            } else {
                format!("{}:{}", g.protocol, g.name)
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    row.min_dh_bits = e.dh_bits;
    row.incomplete = e.incomplete_text();
}

/// The IDs of the row's findings (each once) and the worst severity.
fn finding_columns(row: &mut Row<'_>, place: Place<'_>) {
    let mut ids: Vec<&str> = Vec::new();
    for f in place.findings() {
        if !ids.contains(&f.id.as_str()) {
            ids.push(f.id.as_str());
        }
    }
    row.findings = ids.join(" ");
    row.worst = place
        .findings()
        .map(|f| f.severity)
        .max()
        .map_or("", |s| s.as_str());
}

/// The `mta_sts` word of a row (see the module doc); `a` is the row's
/// address, if any.
fn mta_sts_word(sts: &MtaSts, mx: Option<&MxReport>, a: Option<&AddressReport>) -> String {
    let Some(fetch) = &sts.policy else {
        return match sts.txt {
            TxtStatus::Invalid => "txt-invalid",
            TxtStatus::DnsError => "dns-error",
            TxtStatus::Ok | TxtStatus::Missing => "missing",
        }
        .into();
    };
    let Some(policy) = &fetch.policy else {
        return match fetch.status {
            FetchStatus::Unreachable => "unreachable",
            FetchStatus::Ok | FetchStatus::Invalid => "policy-invalid",
        }
        .into();
    };
    let mut word = policy.mode.as_str().to_string();
    if let Some(mx) = mx {
        if sts.mx_mismatch.contains(&mx.host) {
            word.push_str("/mx-mismatch");
        } else if let Some(v) = a.and_then(|a| {
            sts.violations
                .iter()
                .find(|v| v.mx == mx.host && v.ip == a.ip && v.port == a.port)
        }) {
            word.push('/');
            word.push_str(v.kind.as_str());
        }
    }
    word
}

/// Fill the DANE, MTA-STS and TLS-RPT columns of a row.
fn dns_trust_columns(row: &mut Row<'_>, place: Place<'_>) {
    if let Some(d) = place.mx.and_then(|m| m.dane.as_ref()) {
        row.dane = match place.address {
            Some(a) => d.word_for(a.ip, a.port),
            None => d.state.as_str(),
        };
        row.dnssec = d.dnssec().as_str();
    }
    if let Some(sts) = &place.report.mta_sts {
        row.mta_sts = mta_sts_word(sts, place.mx, place.address);
    }
    if let Some(rpt) = &place.report.tls_rpt {
        row.tls_rpt = rpt.status.as_str();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mta_sts_words() {
        use crate::mtasts::{Mode, Policy, PolicyFetch, Violation, ViolationKind};
        let mut sts = MtaSts {
            txt: TxtStatus::Missing,
            records: vec![],
            id: None,
            error: None,
            policy: None,
            mx_mismatch: vec![],
            violations: vec![],
        };
        assert_eq!(mta_sts_word(&sts, None, None), "missing");
        sts.txt = TxtStatus::Invalid;
        assert_eq!(mta_sts_word(&sts, None, None), "txt-invalid");
        let mut fetch = PolicyFetch {
            url: String::new(),
            status: FetchStatus::Unreachable,
            ip: None,
            http_status: None,
            content_type: None,
            error: None,
            policy: None,
        };
        sts.policy = Some(fetch.clone());
        assert_eq!(mta_sts_word(&sts, None, None), "unreachable");
        fetch.status = FetchStatus::Ok;
        fetch.policy = Some(Policy {
            mode: Mode::Enforce,
            mx: vec!["mx.example.org".into()],
            max_age: 1,
        });
        sts.policy = Some(fetch);
        let address =
            |ip: [u8; 4]| AddressReport::new(IpAddr::from(ip), 25, crate::model::ProbeStatus::Ok);
        let mx = |host: &str| MxReport {
            host: host.into(),
            preference: Some(10),
            implicit: false,
            error: None,
            addresses: vec![address([192, 0, 2, 1])],
            dane: None,
        };
        sts.mx_mismatch = vec!["other.example.org".into()];
        sts.violations = vec![Violation {
            mx: "mx.example.org".into(),
            ip: IpAddr::from([192, 0, 2, 1]),
            port: 25,
            kind: ViolationKind::OldTls,
            reason: String::new(),
        }];
        let (good, other) = (mx("mx.example.org"), mx("other.example.org"));
        assert_eq!(mta_sts_word(&sts, None, None), "enforce");
        let w = |m: &MxReport, ip: [u8; 4]| mta_sts_word(&sts, Some(m), Some(&address(ip)));
        assert_eq!(w(&good, [192, 0, 2, 1]), "enforce/old-tls");
        assert_eq!(w(&good, [192, 0, 2, 2]), "enforce");
        assert_eq!(w(&other, [192, 0, 2, 1]), "enforce/mx-mismatch");
    }

    #[test]
    fn header_matches_the_row_fields() {
        use super::super::COLUMNS;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(Row::default()).expect("serialize");
        let text = String::from_utf8(w.into_inner().expect("flush")).expect("utf8");
        assert_eq!(text.lines().next(), Some(COLUMNS.join(",").as_str()));
    }
}
