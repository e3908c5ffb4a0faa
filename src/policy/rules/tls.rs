//! Findings about an address's TLS: versions, ciphers, the server's
//! order, key exchange.

use std::collections::BTreeMap;

use crate::model::{AddressReport, FindingId};
use crate::tls::cipher::CipherSpec;
use crate::tls::enumerate::{Enumeration, VersionScan};
use crate::tls::order::OrderType;
use crate::tls::{LegacyScan, Protocol};

use super::Sink;

/// `--quick`: only the one negotiated connection is known.
pub(super) fn negotiated_findings(sink: &mut Sink, a: &AddressReport) {
    let Some(tls) = &a.tls else { return };
    if let Some(min) = sink.policy.versions.minimum {
        let below = FindingId::below_minimum(tls.protocol).filter(|_| tls.protocol < min);
        if let Some(id) = below {
            sink.add(
                id,
                format!(
                    "negotiated {} with a client offering everything",
                    tls.protocol
                ),
            );
        }
    }
    if tls.protocol < Protocol::Tls1_2 {
        sink.add(
            FindingId::NoTlsv1_2,
            format!("negotiated {} with a client offering TLS 1.2", tls.protocol),
        );
    }
    if let Some(spec) = crate::tls::iana::lookup(&tls.cipher) {
        let listed = [(tls.protocol, spec)];
        cipher_class_findings(sink, &listed);
    }
    if let (Some(bits), Some(min)) = (tls.dh_bits, sink.policy.key_exchange.min_dh_bits) {
        if bits < min {
            sink.add(
                FindingId::DhWeak,
                format!("DH group of {bits} bits (policy minimum {min})"),
            );
        }
    }
}

pub(super) fn enumeration_findings(sink: &mut Sink, e: &Enumeration) {
    if !e.incomplete.is_empty() {
        sink.add(FindingId::EnumerationIncomplete, e.incomplete_text());
    }
    let supported = |p: Protocol| e.version(p).and_then(|v| v.supported);
    if let Some(min) = sink.policy.versions.minimum {
        for p in Protocol::ALL {
            let Some(id) = FindingId::below_minimum(p) else {
                continue;
            };
            if p < min && supported(p) == Some(true) {
                sink.add(id, format!("accepts {p} (policy minimum {min})"));
            }
        }
    }
    let any_tls = e.versions.iter().any(|v| v.supported == Some(true));
    if any_tls && supported(Protocol::Tls1_2) == Some(false) {
        sink.add(FindingId::NoTlsv1_2, "TLSv1.2 is refused".into());
    }
    if any_tls && supported(Protocol::Tls1_3) == Some(false) {
        sink.add(FindingId::NoTlsv1_3, "TLSv1.3 is refused".into());
    }
    let accepted: Vec<(Protocol, &CipherSpec)> = e
        .versions
        .iter()
        .flat_map(|v| {
            v.ciphers
                .iter()
                .filter_map(move |c| c.spec().map(|s| (v.protocol, s)))
        })
        .collect();
    cipher_class_findings(sink, &accepted);
    if let Some(v) = e.highest() {
        order_findings(sink, v);
    }
    if let Some(allowed) = &sink.policy.ciphers.allowed {
        let outside = names_by_cipher(accepted.iter().filter(|(_, c)| !allowed.contains(&c.name)));
        if !outside.is_empty() {
            sink.add(FindingId::CipherNotAllowed, format!("accepts {}", outside));
        }
    }
    kex_findings(sink, e);
    if let Some(legacy) = &e.legacy {
        legacy_findings(sink, legacy);
    }
}

/// What the hand-written hellos found: SSLv2 and the classic checks.
fn legacy_findings(sink: &mut Sink, l: &LegacyScan) {
    if let Some(specs) = l.sslv2.as_ref().filter(|s| !s.is_empty()) {
        sink.add(
            FindingId::ProtocolSslv2,
            format!("accepts SSLv2 with {}", specs.join(", ")),
        );
    }
    let c = &l.checks;
    if c.heartbleed == Some(true) {
        sink.add(
            FindingId::Heartbleed,
            "a heartbeat request claiming 16384 bytes of a 7-byte payload was answered with more than was sent".into(),
        );
    }
    if c.ccs_injection == Some(true) {
        sink.add(
            FindingId::CcsInjection,
            "a ChangeCipherSpec right after the ServerHello got no alert".into(),
        );
    }
    if c.secure_renegotiation == Some(false) {
        sink.add(
            FindingId::NoSecureRenegotiation,
            "the ServerHello carries no renegotiation_info".into(),
        );
    }
    if c.compression == Some(true) {
        sink.add(
            FindingId::TlsCompression,
            "picks DEFLATE when a client offers it".into(),
        );
    }
    if c.fallback_protected == Some(false) {
        sink.add(
            FindingId::NoFallbackScsv,
            "a hello below its highest version with TLS_FALLBACK_SCSV was answered with a ServerHello".into(),
        );
    }
}

/// `CIPHER (TLSv1, TLSv1.2), CIPHER2 (TLSv1.2)`, each cipher once.
fn names_by_cipher<'a>(list: impl Iterator<Item = &'a (Protocol, &'a CipherSpec)>) -> String {
    let mut by: BTreeMap<&str, Vec<Protocol>> = BTreeMap::new();
    let mut order = Vec::new();
    for (p, c) in list {
        let entry = by.entry(c.name.as_str()).or_default();
        if entry.is_empty() {
            order.push(c.name.as_str());
        }
        if !entry.contains(p) {
            entry.push(*p);
        }
    }
    order
        .into_iter()
        .map(|name| {
            let versions: Vec<&str> = by[name].iter().map(|p| p.as_str()).collect();
            format!("{name} ({})", versions.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn cipher_class_findings(sink: &mut Sink, accepted: &[(Protocol, &CipherSpec)]) {
    type Class = (FindingId, fn(&CipherSpec) -> bool);
    let classes: [Class; 8] = [
        (FindingId::CipherNull, CipherSpec::is_null),
        (FindingId::CipherAnon, CipherSpec::is_anonymous),
        (FindingId::CipherExport, CipherSpec::is_export),
        (FindingId::CipherRc4, CipherSpec::is_rc4),
        (FindingId::Cipher3des, CipherSpec::is_3des),
        (FindingId::CipherDes, CipherSpec::is_des),
        (FindingId::CipherNoPfs, |c| !c.forward_secret),
        (FindingId::CipherCbcSha1, CipherSpec::is_cbc_sha1),
    ];
    for (id, matches) in classes {
        let hits = names_by_cipher(accepted.iter().filter(|(_, c)| matches(c)));
        if !hits.is_empty() {
            sink.add(id, format!("accepts {hits}"));
        }
    }
}

fn order_findings(sink: &mut Sink, v: &VersionScan) {
    match v.order {
        Some(OrderType::Client) => sink.add(
            FindingId::NoServerCipherOrder,
            format!(
                "{}: the server takes the client's first acceptable cipher",
                v.protocol
            ),
        ),
        Some(OrderType::Mixed) => sink.add(
            FindingId::NoServerCipherOrder,
            format!(
                "{}: the server's choice follows no consistent order",
                v.protocol
            ),
        ),
        Some(OrderType::Server) | None => {}
    }
    if v.order == Some(OrderType::Client) {
        return;
    }
    let specs: Vec<&CipherSpec> = v.ciphers.iter().filter_map(|c| c.spec()).collect();
    let Some(top) = specs.first() else { return };
    if top.is_modern() {
        return;
    }
    if let Some(better) = specs.iter().find(|c| c.is_modern()) {
        let labels = top.legacy_labels().join(", ");
        sink.add(
            FindingId::CipherOrderLegacyFirst,
            format!(
                "{}: server prefers {} ({labels}) although it accepts {}",
                v.protocol, top.name, better.name
            ),
        );
    }
}

/// Bits of an ECDH group, for `ecdh-weak` (X25519 counts as 256).
pub(super) fn ecdh_bits(group: &str) -> Option<u32> {
    let g = group.to_ascii_lowercase();
    if g.contains("mlkem") || g.starts_with("ffdhe") {
        return None;
    }
    match g.as_str() {
        "x25519" => Some(256),
        "x448" => Some(448),
        "prime192v1" | "secp192r1" => Some(192),
        _ => g
            .trim_start_matches("brainpoolp")
            .trim_start_matches("secp")
            .get(..3)
            .and_then(|n| n.parse().ok()),
    }
}

fn kex_findings(sink: &mut Sink, e: &Enumeration) {
    let kx = &sink.policy.key_exchange;
    if let (Some(bits), Some(min)) = (e.dh_bits, kx.min_dh_bits) {
        if bits < min {
            sink.add(
                FindingId::DhWeak,
                format!("DH group of {bits} bits with DHE ciphers (policy minimum {min})"),
            );
        }
    }
    if let Some(min) = kx.min_ecdh_bits {
        let weak: Vec<String> = e
            .groups
            .iter()
            .filter(|g| ecdh_bits(&g.name).is_some_and(|b| b < min))
            .map(|g| format!("{} ({})", g.name, g.protocol))
            .collect();
        if !weak.is_empty() {
            sink.add(
                FindingId::EcdhWeak,
                format!("accepts {} (policy minimum {min} bits)", weak.join(", ")),
            );
        }
    }
    if let Some(allowed) = kx.allowed_groups.clone() {
        let outside: Vec<String> = e
            .groups
            .iter()
            .filter(|g| !allowed.iter().any(|a| a.eq_ignore_ascii_case(&g.name)))
            .map(|g| g.name.clone())
            .collect();
        if !outside.is_empty() {
            sink.add(
                FindingId::GroupNotAllowed,
                format!("accepts {}", outside.join(", ")),
            );
        }
    }
    let tested = !e.groups.is_empty();
    let pq = e.groups.iter().any(|g| g.name.contains("MLKEM"));
    if tested && !pq {
        sink.add(
            FindingId::NoPqKex,
            "no hybrid or post-quantum group is accepted".into(),
        );
    }
}
