//! The rules: facts of a report → findings, under a policy's thresholds.
//!
//! A finding at an address gets the remedy of the software recognised there
//! (`model::remedy`); the policy decides severities only.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{Finding, Policy};
use crate::cert::verify::ChainProblem;
use crate::cert::CertInfo;
use crate::dane::{DaneCheck, DaneOutcome, DaneState};
use crate::dns::DnssecStatus;
use crate::model::{
    remedy, AddressReport, DomainReport, DomainStatus, FindingId, MxReport, ProbeStatus, Target,
};
use crate::mtasts::{FetchStatus, Mode, TxtStatus};
use crate::smtp::{Software, Step};
use crate::tls::cipher::{Catalogue, CipherSpec};
use crate::tls::enumerate::{Enumeration, VersionScan};
use crate::tls::order::OrderType;
use crate::tls::Protocol;
use crate::trust::{AddressTrust, MatchResult, PtrStatus, StrictTls};

/// Collects findings for one scope (domain, MX host or address).
struct Sink<'a> {
    policy: &'a Policy,
    mx: Option<String>,
    address: Option<(std::net::IpAddr, u16)>,
    /// The software recognised at the address, whose remedies the
    /// address's findings get (`Unknown` outside an address).
    software: Software,
    out: Vec<Finding>,
}

impl Sink<'_> {
    fn add(&mut self, id: FindingId, message: String) {
        let Some(severity) = self.policy.severity_of(id) else {
            return;
        };
        self.out.push(Finding {
            id,
            severity,
            mx: self.mx.clone(),
            ip: self.address.map(|a| a.0),
            port: self.address.map(|a| a.1),
            message,
            remedy: remedy::remedy(id, self.software).to_string(),
        });
    }
}

pub(super) fn findings(policy: &Policy, report: &DomainReport, now: i64) -> Vec<Finding> {
    let mut sink = Sink {
        policy,
        mx: None,
        address: None,
        software: Software::Unknown,
        out: Vec::new(),
    };
    let error = report.error.clone().unwrap_or_default();
    match report.status {
        DomainStatus::Ok => {}
        DomainStatus::Nxdomain => sink.add(FindingId::Nxdomain, error),
        DomainStatus::NoMx => sink.add(FindingId::NoMx, error),
        DomainStatus::NullMx => sink.add(FindingId::NullMx, error),
        DomainStatus::DnsError => {
            sink.add(FindingId::DnsError, format!("MX lookup failed: {error}"))
        }
    }
    sts_findings(&mut sink, report);
    // `--host` targets are servers, not MX records: an address is fine there.
    let from_mx_records = matches!(report.target, Target::Domain { .. });
    for mx in &report.mx {
        sink.mx = Some(mx.host.clone());
        sink.address = None;
        sink.software = Software::Unknown;
        mx_findings(&mut sink, mx, from_mx_records);
        if let Some(d) = &mx.dane {
            dane_findings(&mut sink, d);
        }
        for a in &mx.addresses {
            sink.address = Some((a.ip, a.port));
            sink.software = a
                .smtp
                .as_ref()
                .map_or(Software::Unknown, |s| s.software.name);
            address_findings(&mut sink, a, now);
        }
    }
    sink.out
}

fn mx_findings(sink: &mut Sink, mx: &MxReport, from_mx_records: bool) {
    if mx.implicit {
        sink.add(
            FindingId::ImplicitMx,
            format!("no MX records: senders use {}'s own address", mx.host),
        );
    }
    if from_mx_records && !mx.implicit && mx.host.parse::<IpAddr>().is_ok() {
        // What the two common MTAs do, from their sources: Exim looks the
        // address up as a host name unless allow_mx_to_ip is set (default
        // false) and finds none; Postfix's dns_lookup warns "numeric domain
        // name" and smtp_addr_one uses the address.
        let preference = mx.preference.map(|p| format!("{p} ")).unwrap_or_default();
        sink.add(
            FindingId::MxIpLiteral,
            format!(
                "MX {preference}{} is an IP address, where RFC 5321 §5.1 requires a host name: Exim (allow_mx_to_ip = false by default) does not deliver to it and bounces the mail when no other MX host works (\"all relevant MX records point to non-existent hosts or (invalidly) to IP addresses\"); Postfix delivers, logging \"numeric domain name\"",
                mx.host
            ),
        );
    }
    if let Some(e) = &mx.error {
        sink.add(
            FindingId::DnsError,
            format!("address lookup for MX {} failed: {e}", mx.host),
        );
    } else if mx.addresses.is_empty() {
        sink.add(
            FindingId::DnsError,
            format!("MX {} has no address", mx.host),
        );
    }
}

/// DANE for one MX host (RFC 7672).
fn dane_findings(sink: &mut Sink, d: &DaneCheck) {
    let statuses = [d.mx_dnssec, d.address_dnssec, d.tlsa_dnssec];
    if d.state == DaneState::Bogus || statuses.contains(&DnssecStatus::Bogus) {
        let why = d
            .errors
            .first()
            .cloned()
            .unwrap_or_else(|| "a lookup was bogus".into());
        sink.add(FindingId::DaneBogus, why);
    }
    let failed: Vec<String> = d
        .addresses
        .iter()
        .filter(|a| a.outcome != DaneOutcome::Match)
        .map(|a| {
            let detail = a
                .detail
                .as_deref()
                .map(|x| format!(": {x}"))
                .unwrap_or_default();
            format!("{}:{} {}{detail}", a.ip, a.port, a.outcome.as_str())
        })
        .collect();
    if d.state == DaneState::Applies && !failed.is_empty() {
        sink.add(
            FindingId::DaneMismatch,
            format!("{}: {}", d.tlsa_name, failed.join("; ")),
        );
    }
    if d.state == DaneState::Unusable {
        let records: Vec<String> = d
            .records
            .iter()
            .map(|r| format!("{} {} {}", r.usage, r.selector, r.matching))
            .collect();
        sink.add(
            FindingId::DaneUnusableRecords,
            format!(
                "{}: TLSA {} (none DANE-TA or DANE-EE)",
                d.tlsa_name,
                records.join(", ")
            ),
        );
    }
    if d.state == DaneState::None && d.mx_dnssec == DnssecStatus::Secure {
        sink.add(
            FindingId::DaneMissing,
            format!("no TLSA records at {}", d.tlsa_name),
        );
    }
    if d.state == DaneState::Applies && d.usable == 1 {
        sink.add(
            FindingId::DaneNoRollover,
            format!("{}: one usable TLSA record", d.tlsa_name),
        );
    }
    if d.mx_dnssec == DnssecStatus::Insecure || d.state == DaneState::NotSecure {
        let what = if d.mx_dnssec == DnssecStatus::Insecure {
            "the MX records are not signed".to_string()
        } else {
            format!(
                "TLSA records at {} but not everything on the way is signed",
                d.tlsa_name
            )
        };
        sink.add(FindingId::DnssecMissing, what);
    }
}

/// MTA-STS and TLS-RPT of the domain (RFC 8461, RFC 8460).
fn sts_findings(sink: &mut Sink, report: &DomainReport) {
    if let Some(sts) = &report.mta_sts {
        let error = sts.error.clone().unwrap_or_default();
        match sts.txt {
            TxtStatus::Missing => sink.add(
                FindingId::MtaStsTxtMissing,
                format!("no TXT record at _mta-sts.{}", report.target.name()),
            ),
            TxtStatus::Invalid => sink.add(FindingId::MtaStsTxtInvalid, error),
            TxtStatus::Ok | TxtStatus::DnsError => {}
        }
        if let Some(fetch) = &sts.policy {
            let why = fetch.error.clone().unwrap_or_default();
            match fetch.status {
                FetchStatus::Unreachable => sink.add(
                    FindingId::MtaStsPolicyUnreachable,
                    format!("{}: {why}", fetch.url),
                ),
                FetchStatus::Invalid => sink.add(
                    FindingId::MtaStsPolicyInvalid,
                    format!("{}: {why}", fetch.url),
                ),
                FetchStatus::Ok => {}
            }
        }
        // Mode `none` withdraws the policy: senders ignore its mx lines.
        let withdrawn = sts.policy().is_some_and(|p| p.mode == Mode::None);
        for host in sts.mx_mismatch.iter().filter(|_| !withdrawn) {
            let previous = sink.mx.replace(host.clone());
            sink.add(
                FindingId::MtaStsMxMismatch,
                format!("MX {host} matches no mx: pattern of the policy"),
            );
            sink.mx = previous;
        }
        for v in &sts.violations {
            let (mx, address) = (
                sink.mx.replace(v.mx.clone()),
                sink.address.replace((v.ip, v.port)),
            );
            sink.add(FindingId::MtaStsEnforceViolated, v.reason.clone());
            (sink.mx, sink.address) = (mx, address);
        }
    }
    if let Some(rpt) = &report.tls_rpt {
        match rpt.status {
            TxtStatus::Missing => sink.add(
                FindingId::TlsRptMissing,
                format!("no TXT record at _smtp._tls.{}", report.target.name()),
            ),
            TxtStatus::Invalid => sink.add(
                FindingId::TlsRptInvalid,
                rpt.error.clone().unwrap_or_default(),
            ),
            TxtStatus::Ok | TxtStatus::DnsError => {}
        }
    }
}

fn address_findings(sink: &mut Sink, a: &AddressReport, now: i64) {
    let error = a.error.clone().unwrap_or_default();
    match a.status {
        ProbeStatus::Unreachable => sink.add(FindingId::MxUnreachable, error),
        ProbeStatus::NoStarttls => sink.add(
            FindingId::NoStarttls,
            "STARTTLS is not in the EHLO reply".into(),
        ),
        ProbeStatus::TlsError => sink.add(FindingId::StarttlsFailed, error),
        ProbeStatus::SmtpError if a.starttls_injection => {
            sink.add(FindingId::StarttlsInjection, error)
        }
        ProbeStatus::SmtpError if a.smtp_step == Some(Step::Starttls) => {
            sink.add(FindingId::StarttlsFailed, error)
        }
        ProbeStatus::SmtpError => sink.add(FindingId::SmtpError, error),
        ProbeStatus::DnsError => sink.add(FindingId::DnsError, error),
        ProbeStatus::Ok => {}
    }
    match &a.enumeration {
        Some(e) => enumeration_findings(sink, e),
        None => negotiated_findings(sink, a),
    }
    if let Some(tls) = &a.tls {
        if let Some(leaf) = tls.chain.first() {
            certificate_findings(sink, leaf, &tls.chain, now);
        }
    }
    if let Some(t) = &a.trust {
        trust_findings(sink, t);
    }
    for (id, message) in super::senders::findings(&sink.policy.senders, a) {
        sink.add(id, message);
    }
}

/// What a verifying sender would make of the address.
fn trust_findings(sink: &mut Sink, t: &AddressTrust) {
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

/// `--quick`: only the one negotiated connection is known.
fn negotiated_findings(sink: &mut Sink, a: &AddressReport) {
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
    if let Some(spec) = Catalogue::get().find(&tls.cipher) {
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

fn enumeration_findings(sink: &mut Sink, e: &Enumeration) {
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
    let classes: [Class; 7] = [
        (FindingId::CipherNull, CipherSpec::is_null),
        (FindingId::CipherAnon, CipherSpec::is_anonymous),
        (FindingId::CipherExport, CipherSpec::is_export),
        (FindingId::CipherRc4, CipherSpec::is_rc4),
        (FindingId::Cipher3des, CipherSpec::is_3des),
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
fn ecdh_bits(group: &str) -> Option<u32> {
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

fn certificate_findings(sink: &mut Sink, leaf: &CertInfo, chain: &[CertInfo], now: i64) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AddressReport, Target};
    use crate::policy::builtin;
    use crate::tls::incomplete::{Incomplete, Part, Reason};
    use crate::tls::Handshake;

    fn leaf(not_before: i64, not_after: i64) -> CertInfo {
        CertInfo {
            issuer: "CN=CA".into(),
            serial: "01".into(),
            not_before: crate::cert::format_rfc3339(not_before),
            not_after: crate::cert::format_rfc3339(not_after),
            not_before_unix: not_before,
            not_after_unix: not_after,
            signature_algorithm: "sha256WithRSAEncryption".into(),
            ..CertInfo::for_names(&["mx.example.test"], Some("mx.example.test"))
        }
    }

    fn report(address: AddressReport) -> DomainReport {
        DomainReport {
            target: Target::Host {
                name: "mx.example.test".into(),
                port: None,
            },
            status: DomainStatus::Ok,
            error: None,
            mx: vec![MxReport {
                host: "mx.example.test".into(),
                preference: None,
                implicit: false,
                error: None,
                addresses: vec![address],
                dane: None,
            }],
            mta_sts: None,
            tls_rpt: None,
            findings: vec![],
        }
    }

    fn address(tls: Option<Handshake>, enumeration: Option<Enumeration>) -> AddressReport {
        AddressReport {
            tls,
            enumeration,
            connections: 1,
            handshakes: 1,
            ..AddressReport::new([127, 0, 0, 1].into(), 25, ProbeStatus::Ok)
        }
    }

    fn ids(policy: &str, r: &DomainReport, now: i64) -> Vec<FindingId> {
        builtin::get(policy)
            .expect("policy")
            .evaluate_at(r, now)
            .into_iter()
            .map(|f| f.id)
            .collect()
    }

    #[test]
    fn certificate_dates_against_now() {
        let hs = |c| Handshake {
            protocol: Protocol::Tls1_3,
            cipher: "TLS_AES_256_GCM_SHA384".into(),
            bits: 256,
            group: Some("X25519MLKEM768".into()),
            dh_bits: None,
            chain: vec![c],
        };
        let day = 86_400;
        let r = report(address(Some(hs(leaf(1000 * day, 2000 * day))), None));
        assert_eq!(ids("default", &r, 999 * day), [FindingId::CertNotYetValid]);
        assert!(ids("default", &r, 1500 * day).is_empty());
        assert_eq!(
            ids("default", &r, 1990 * day),
            [FindingId::CertExpiringSoon]
        );
        assert_eq!(ids("default", &r, 2001 * day), [FindingId::CertExpired]);
        assert!(ids("opportunistic", &r, 2001 * day).is_empty());
    }

    #[test]
    fn an_incomplete_enumeration_says_so() {
        let e = Enumeration {
            incomplete: vec![Incomplete::new(
                Part::Version(Protocol::Tls1_2),
                Reason::NoSession("greeting rejected: 421".into()),
            )],
            ..Enumeration::default()
        };
        let r = report(address(None, Some(e)));
        let found = builtin::get("default").expect("default").evaluate_at(&r, 0);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, FindingId::EnumerationIncomplete);
        assert!(found[0].message.contains("421"));
    }

    #[test]
    fn an_mx_record_naming_an_address_is_a_finding() {
        let mut r = report(address(None, None));
        r.mx[0].host = "127.0.0.1".into();
        assert!(
            !ids("default", &r, 0).contains(&FindingId::MxIpLiteral),
            "--host 127.0.0.1 is no MX record"
        );
        r.target = Target::Domain {
            name: "example.test".into(),
            ascii: "example.test".into(),
        };
        r.mx[0].preference = Some(10);
        for policy in ["default", "opportunistic"] {
            let found = builtin::get(policy).expect("policy").evaluate_at(&r, 0);
            let f = found
                .iter()
                .find(|f| f.id == FindingId::MxIpLiteral)
                .expect("mx-ip-literal");
            assert_eq!(f.severity, crate::model::Severity::High, "{policy}");
            assert_eq!(f.mx.as_deref(), Some("127.0.0.1"));
            assert!(f.ip.is_none(), "about the MX record, not the address");
            assert!(
                f.message.starts_with("MX 10 127.0.0.1 is an IP address"),
                "{}",
                f.message
            );
            assert!(f.message.contains("allow_mx_to_ip"), "{}", f.message);
        }
    }

    #[test]
    fn ptr_findings_show_the_cname_chain() {
        use crate::trust::{PtrCheck, PtrStatus};
        let trusted = |ptr: PtrCheck| AddressReport {
            trust: Some(AddressTrust {
                chain: None,
                names: None,
                strict_tls: None,
                ptr,
                probed_as: None,
            }),
            ..address(None, None)
        };
        let chain = vec![
            "2.0.0.127.in-addr.arpa".to_string(),
            "2.0/26.0.0.127.in-addr.arpa".to_string(),
        ];
        let missing = PtrCheck {
            status: PtrStatus::PtrMissing,
            names: vec![],
            cname_chain: chain.clone(),
            matches_banner: None,
            error: None,
        };
        let found = builtin::get("default")
            .expect("default")
            .evaluate_at(&report(trusted(missing)), 0);
        assert_eq!(found[0].id, FindingId::PtrMissing);
        assert_eq!(
            found[0].message,
            "no PTR record at 2.0/26.0.0.127.in-addr.arpa (via CNAME 2.0.0.127.in-addr.arpa → 2.0/26.0.0.127.in-addr.arpa)"
        );

        let mut looped = chain;
        looped.push("2.0.0.127.in-addr.arpa".into());
        let looping = PtrCheck {
            status: PtrStatus::DnsError,
            names: vec![],
            cname_chain: looped,
            matches_banner: None,
            error: Some("2.0.0.127.in-addr.arpa: CNAME loop …".into()),
        };
        let found = builtin::get("default")
            .expect("default")
            .evaluate_at(&report(trusted(looping.clone())), 0);
        assert_eq!(found[0].id, FindingId::DnsError);
        assert_eq!(
            found[0].message,
            "reverse DNS: 2.0.0.127.in-addr.arpa: CNAME loop …"
        );
        // Any other failed PTR lookup may be the moment's: no finding.
        let servfail = PtrCheck {
            cname_chain: vec![],
            error: Some("SERVFAIL".into()),
            ..looping
        };
        assert!(ids("default", &report(trusted(servfail)), 0).is_empty());
    }

    #[test]
    fn curve_sizes() {
        assert_eq!(ecdh_bits("x25519"), Some(256));
        assert_eq!(ecdh_bits("secp224r1"), Some(224));
        assert_eq!(ecdh_bits("prime192v1"), Some(192));
        assert_eq!(ecdh_bits("secp521r1"), Some(521));
        assert_eq!(ecdh_bits("brainpoolP384r1tls13"), Some(384));
        assert_eq!(ecdh_bits("X25519MLKEM768"), None);
        assert_eq!(ecdh_bits("ffdhe2048"), None);
    }
}
