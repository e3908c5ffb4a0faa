//! What a verifying sender makes of an address (chain, names, the strict
//! handshake, reverse DNS), and the certificate itself.

use crate::cert::verify::ChainProblem;
use crate::cert::CertInfo;
use crate::model::FindingId;
use crate::trust::{AddressTrust, MatchResult, PtrStatus, StrictTls};

use super::Sink;

/// What a verifying sender would make of the address.
pub(super) fn trust_findings(sink: &mut Sink, t: &AddressTrust) {
    if let Some(c) = &t.chain {
        if !c.trusted {
            let why = c.rejection.as_ref().map_or_else(
                || {
                    c.problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                },
                ToString::to_string,
            );
            sink.add(
                FindingId::CertUntrusted,
                format!("chain not trusted: {why}"),
            );
        }
        for p in &c.problems {
            match p {
                ChainProblem::SelfSigned { .. } => {
                    sink.add(FindingId::CertSelfSigned, p.to_string())
                }
                ChainProblem::IncompleteChain { .. } => {
                    sink.add(FindingId::CertIncompleteChain, p.to_string())
                }
                // The leaf's dates are judged above, with the policy's days.
                ChainProblem::Expired { position, .. } if *position > 0 => {
                    sink.add(FindingId::CertExpired, p.to_string())
                }
                ChainProblem::NotYetValid { position, .. } if *position > 0 => {
                    sink.add(FindingId::CertNotYetValid, p.to_string())
                }
                _ => {}
            }
        }
    }
    if let Some(n) = &t.names {
        if matches!(n.mx.result, MatchResult::Mismatch | MatchResult::CnOnly) {
            let message = match (&n.hint, &n.cn_only) {
                (Some(h), _) => h.to_string(),
                (None, Some(cn)) => format!(
                    "no DNS names in the certificate, only the subject CN {cn}, which verifiers ignore; MX {} not covered",
                    n.mx.name
                ),
                (None, None) => format!("the certificate does not cover the MX name {}", n.mx.name),
            };
            sink.add(FindingId::CertNameMismatch, message);
        }
    }
    if let Some(StrictTls::Failed { detail, .. }) = &t.strict_tls {
        sink.add(FindingId::StrictTlsFailed, detail.clone());
    }
    let names = || {
        t.ptr
            .names
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let via = t
        .ptr
        .cname_text()
        .map(|chain| format!(" (via CNAME {chain})"))
        .unwrap_or_default();
    match t.ptr.status {
        PtrStatus::PtrMissing => {
            let message = match t.ptr.cname_chain.last() {
                Some(end) => format!("no PTR record at {end}{via}"),
                None => "no PTR record".into(),
            };
            sink.add(FindingId::PtrMissing, message)
        }
        PtrStatus::PtrMismatch => sink.add(
            FindingId::PtrMismatch,
            format!("PTR {} does not resolve back to the address{via}", names()),
        ),
        // Not one look's bad luck, like a timeout: the reverse zone is
        // broken, and receivers that check the PTR defer this host's mail.
        PtrStatus::DnsError if t.ptr.cname_loop() => sink.add(
            FindingId::DnsError,
            format!(
                "reverse DNS: {}",
                t.ptr.error.as_deref().unwrap_or("CNAME loop")
            ),
        ),
        PtrStatus::Ok | PtrStatus::DnsError => {}
    }
}

pub(super) fn certificate_findings(sink: &mut Sink, leaf: &CertInfo, chain: &[CertInfo], now: i64) {
    let name = leaf.common_name.as_deref().unwrap_or(&leaf.subject);
    if leaf.not_after_unix < now {
        sink.add(
            FindingId::CertExpired,
            format!("certificate {name} expired on {}", leaf.not_after),
        );
    } else if leaf.not_before_unix > now {
        sink.add(
            FindingId::CertNotYetValid,
            format!("certificate {name} is valid only from {}", leaf.not_before),
        );
    } else if let Some(days) = sink.policy.certificate.expiring_days {
        let left = leaf.days_left(now);
        if left < i64::from(days) {
            sink.add(
                FindingId::CertExpiringSoon,
                format!(
                    "certificate {name} expires on {} ({left} days left)",
                    leaf.not_after
                ),
            );
        }
    }
    let cert = &sink.policy.certificate;
    let min = match leaf.key_type.as_str() {
        "RSA" | "DSA" => cert.min_rsa_bits,
        "EC" => cert.min_ec_bits,
        _ => None,
    };
    if let Some(min) = min {
        if leaf.key_bits < min {
            sink.add(
                FindingId::CertWeakKey,
                format!(
                    "certificate key is {} {} bits (policy minimum {min})",
                    leaf.key_type, leaf.key_bits
                ),
            );
        }
    }
    // Self-signed roots' own signatures do not matter; every other
    // certificate's does.
    let weak: Vec<&str> = chain
        .iter()
        .filter(|c| !c.self_issued)
        .filter(|c| {
            let alg = c.signature_algorithm.to_ascii_lowercase();
            alg.contains("sha1") || alg.contains("md5")
        })
        .map(|c| c.subject.as_str())
        .collect();
    if !weak.is_empty() {
        sink.add(
            FindingId::CertSha1,
            format!("signed with SHA-1 or MD5: {}", weak.join("; ")),
        );
    }
}
