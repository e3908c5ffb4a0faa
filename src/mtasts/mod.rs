//! MTA-STS (RFC 8461) and TLS-RPT (RFC 8460): does a domain publish a
//! policy, can a sender get it, and do the MX hosts as probed satisfy it?
//!
//! Per domain, concurrently with the MX probing: the `_mta-sts` TXT record
//! (`txt`), the policy over HTTPS (`fetch`, when a `v=STSv1` record
//! exists) and the `_smtp._tls` TXT record. Once the probes are done,
//! `evaluate` checks every MX host against the policy's `mx:` patterns
//! and, in `enforce` mode, every probed address the way a sender would
//! (RFC 8461 §4.2, §5): TLS 1.2 or later, a certificate chain valid for
//! the MX host name from a trusted root. That last verdict is the address's
//! own (the trust checks', on the scan's one set of anchors and clock):
//! this module takes it as given (`Tried`), it does not verify again.
//!
//! Not done: caching policies between scans (a sender's policy cache and
//! its `id` comparison), fetching a policy when the TXT record is missing,
//! sending TLS reports.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dns::Resolver;
use crate::tls::Protocol;
use crate::trust::Trust;

mod error;
pub(crate) mod fetch;
pub(crate) mod http;
pub(crate) mod policy;
pub(crate) mod txt;

use crate::spelling::spelling;
pub use error::MtaStsError;
pub use fetch::{FetchStatus, PolicyFetch};
pub use policy::{Mode, Policy};
pub use txt::TxtStatus;

/// The MTA-STS result of a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtaSts {
    /// The `_mta-sts` TXT record: `ok`, `missing`, `invalid`, `dns-error`.
    pub txt: TxtStatus,
    /// The records that start with `v=STSv1`, as published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    /// The policy `id` of the one valid record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why `txt` is not `ok` (or the DNS error), one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The policy fetch, made when a `v=STSv1` record exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyFetch>,
    /// MX hosts that match none of the policy's `mx:` patterns (a sender
    /// with the policy in force does not deliver to them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mx_mismatch: Vec<String>,
    /// In `enforce` mode: addresses of matching MX hosts a sender would
    /// refuse (RFC 8461 §5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
}

impl MtaSts {
    /// The policy, when it was fetched and valid.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref().and_then(|p| p.policy.as_ref())
    }
}

/// An address that fails the policy in `enforce` mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The MX host (lower case, no trailing dot) the address belongs to.
    pub mx: String,
    /// The address a sender would refuse.
    pub ip: IpAddr,
    /// Its port.
    pub port: u16,
    /// `no-tls`, `old-tls`, `certificate`.
    pub kind: ViolationKind,
    /// Why, one line (the probe's error, the version, the certificate's
    /// problem).
    pub reason: String,
}

/// Why an address fails an enforced policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViolationKind {
    /// No TLS session (no STARTTLS, failed handshake, unreachable).
    NoTls,
    /// TLS below 1.2.
    OldTls,
    /// The chain is not valid for the MX host name from a trusted root.
    Certificate,
}

spelling!(ViolationKind {
    NoTls => "no-tls",
    OldTls => "old-tls",
    Certificate => "certificate",
});

/// The TLS-RPT result of a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsRpt {
    /// The `_smtp._tls` TXT record: `ok`, `missing`, `invalid`,
    /// `dns-error`.
    pub status: TxtStatus,
    /// The records that start with `v=TLSRPTv1`, as published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    /// Report destinations of the valid record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rua: Vec<String>,
    /// Why `status` is not `ok` (or the DNS error), one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The DNS and HTTPS part, before the probes are in.
#[derive(Debug, Clone)]
pub(crate) struct Lookups {
    pub(crate) mta_sts: MtaSts,
    pub(crate) tls_rpt: TlsRpt,
}

/// Look up both TXT records and fetch the policy (`port`: 443 but in
/// tests), within `timeout` per network step.
pub(crate) async fn lookup(
    resolver: &Resolver,
    trust: &Trust,
    domain: &str,
    port: u16,
    timeout: Duration,
) -> Lookups {
    let sts = async {
        let (txt, records, id, error) = txt_check(
            resolver,
            &format!("_mta-sts.{domain}"),
            "v=STSv1",
            txt::parse_sts,
        )
        .await;
        let policy = if records.is_empty() {
            None
        } else {
            Some(fetch::fetch(resolver, trust, domain, port, timeout).await)
        };
        MtaSts {
            txt,
            records,
            id: id.map(|r| r.id),
            error,
            policy,
            mx_mismatch: Vec::new(),
            violations: Vec::new(),
        }
    };
    let rpt = async {
        let (status, records, parsed, error) = txt_check(
            resolver,
            &format!("_smtp._tls.{domain}"),
            "v=TLSRPTv1",
            txt::parse_tlsrpt,
        )
        .await;
        TlsRpt {
            status,
            records,
            rua: parsed.map(|r| r.rua).unwrap_or_default(),
            error,
        }
    };
    let (mta_sts, tls_rpt) = futures::join!(sts, rpt);
    Lookups { mta_sts, tls_rpt }
}

async fn txt_check<T>(
    resolver: &Resolver,
    name: &str,
    tag: &str,
    parse: impl Fn(&str) -> Result<T, MtaStsError>,
) -> (TxtStatus, Vec<String>, Option<T>, Option<String>) {
    match resolver.txt(name).await {
        Ok(all) => {
            let (status, parsed, error) = txt::judge(&all, tag, parse);
            let ours = txt::tagged(&all, tag)
                .into_iter()
                .map(str::to_owned)
                .collect();
            (status, ours, parsed, error.map(|e| e.to_string()))
        }
        Err(e) if e.is_nx_domain() => (TxtStatus::Missing, Vec::new(), None, None),
        Err(e) => (TxtStatus::DnsError, Vec::new(), None, Some(e.to_string())),
    }
}

/// What a sender learnt trying one address of an MX host: a TLS session or
/// why not (one line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tried<'a> {
    pub(crate) mx: &'a str,
    pub(crate) ip: IpAddr,
    pub(crate) port: u16,
    pub(crate) session: Result<Session, String>,
}

/// A TLS session as MTA-STS judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) protocol: Protocol,
    /// The certificate's PKIX verdict for the MX host name (trusted chain,
    /// name covered), as the trust checks found it; why not, one line.
    pub(crate) certificate: Result<(), String>,
}

/// Check the MX hosts (`mx`, by name) and what was learnt trying their
/// addresses against the policy (see the module doc).
pub(crate) fn evaluate(mut sts: MtaSts, mx: &[&str], tried: &[Tried<'_>]) -> MtaSts {
    let Some(policy) = sts.policy().cloned() else {
        return sts;
    };
    for host in mx {
        if policy.matching_pattern(host).is_none() {
            sts.mx_mismatch.push((*host).to_string());
            continue;
        }
        if policy.mode != Mode::Enforce {
            continue;
        }
        for t in tried.iter().filter(|t| t.mx == *host) {
            let violation = |kind, reason: String| Violation {
                mx: (*host).to_string(),
                ip: t.ip,
                port: t.port,
                kind,
                reason,
            };
            let session = match &t.session {
                Ok(session) => session,
                Err(why) => {
                    sts.violations
                        .push(violation(ViolationKind::NoTls, why.clone()));
                    continue;
                }
            };
            if session.protocol < Protocol::Tls1_2 {
                sts.violations.push(violation(
                    ViolationKind::OldTls,
                    format!(
                        "negotiated {}; MTA-STS needs TLS 1.2 or later",
                        session.protocol
                    ),
                ));
            }
            if let Err(e) = &session.certificate {
                sts.violations.push(violation(
                    ViolationKind::Certificate,
                    format!("certificate not valid for {host}: {e}"),
                ));
            }
        }
    }
    sts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tried(ip: u8, session: Result<Session, String>) -> Tried<'static> {
        Tried {
            mx: "mx.example.test",
            ip: IpAddr::from([127, 0, 0, ip]),
            port: 25,
            session,
        }
    }

    fn tls(protocol: Protocol, certificate: Result<(), String>) -> Result<Session, String> {
        Ok(Session {
            protocol,
            certificate,
        })
    }

    fn with_policy(mode: Mode, patterns: &[&str]) -> MtaSts {
        MtaSts {
            txt: TxtStatus::Ok,
            records: vec!["v=STSv1; id=1".into()],
            id: Some("1".into()),
            error: None,
            policy: Some(PolicyFetch {
                url: "https://mta-sts.example.test/.well-known/mta-sts.txt".into(),
                status: FetchStatus::Ok,
                ip: None,
                http_status: Some(200),
                content_type: Some("text/plain".into()),
                error: None,
                policy: Some(Policy {
                    mode,
                    mx: patterns.iter().map(|p| p.to_string()).collect(),
                    max_age: 86_400,
                }),
            }),
            mx_mismatch: vec![],
            violations: vec![],
        }
    }

    #[test]
    fn enforce_mode_checks_every_address_of_matching_hosts() {
        let mx = ["mx.example.test", "backup.elsewhere.test"];
        let tried = [
            tried(1, tls(Protocol::Tls1_3, Ok(()))),
            tried(2, tls(Protocol::Tls1_1, Ok(()))),
            tried(
                3,
                tls(
                    Protocol::Tls1_2,
                    Err("certificate not valid for mx.example.test (mismatch)".into()),
                ),
            ),
            tried(4, Err("no-starttls: server does not offer STARTTLS".into())),
        ];
        let sts = evaluate(with_policy(Mode::Enforce, &["*.example.test"]), &mx, &tried);
        assert_eq!(sts.mx_mismatch, ["backup.elsewhere.test"]);
        let kinds: Vec<(u8, ViolationKind)> = sts
            .violations
            .iter()
            .map(|v| match v.ip {
                IpAddr::V4(ip) => (ip.octets()[3], v.kind),
                IpAddr::V6(_) => unreachable!(),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (2, ViolationKind::OldTls),
                (3, ViolationKind::Certificate),
                (4, ViolationKind::NoTls)
            ]
        );
        // Testing mode: patterns are checked, addresses are not.
        let sts = evaluate(
            with_policy(Mode::Testing, &["mx.example.test"]),
            &mx,
            &tried,
        );
        assert_eq!(sts.mx_mismatch, ["backup.elsewhere.test"]);
        assert!(sts.violations.is_empty());
    }
}
