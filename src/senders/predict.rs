//! The prediction: what one sender negotiates with one address, and what
//! it then does with the mail. A pure function of what the scan measured
//! ([`Facts`]) and the sender's [`Profile`]; no connection is made.
//!
//! The handshake is replayed by the rules TLS servers follow:
//! - version: the server's newest accepted version not above the sender's
//!   newest (TLS ≤ 1.2 negotiation, and what TLS 1.3 servers do with
//!   `supported_versions`); a version the sender does not offer fails;
//! - cipher: where the server keeps its own order, its first accepted
//!   suite the sender offers; where it follows the client's, the sender's
//!   first suite the server accepts; where it is mixed, uncertain among the
//!   common ones. ECDHE suites need a common curve;
//! - group: the same rule over the groups, with the group order measured;
//!   with TLS 1.3 a server may instead take the first key share the sender
//!   sent for a group it accepts (OpenSSL 3.0 servers do, GnuTLS with
//!   `%SERVER_PRECEDENCE` does not). The scan's offers carry no usable key
//!   share, so it cannot tell which kind a server is: where the two rules
//!   pick differently, both groups are candidates;
//! - then the sender's own limits: a DH prime below its minimum aborts the
//!   handshake; a certificate it verifies and refuses defers the mail.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::profile::{OnTlsFailure, Profile, Verify};
use crate::dane::DaneOutcome;
use crate::spelling::spelling;
use crate::tls::{Enumeration, Kx, OrderType, Protocol, VersionScan};

/// What the scan measured at one address, as far as a sender's outcome
/// depends on it.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// How far the probe got.
    pub reached: Reached<'a>,
    /// The PKIX verdict for the MX name (a trusted chain, valid for the
    /// name); the error is one line.
    pub pkix: Result<(), &'a str>,
    /// The leaf's key: type (`RSA`, `EC`) and bits.
    pub leaf_key: Option<(&'a str, u32)>,
    /// DANE at the MX host, for this address.
    pub dane: DaneFacts<'a>,
    /// MTA-STS at the domain, for this MX host.
    pub mta_sts: StsFacts,
}

/// How far the probe of an address got.
#[derive(Debug, Clone, Copy)]
pub enum Reached<'a> {
    /// The server does not offer STARTTLS.
    NoStarttls,
    /// STARTTLS was accepted but no handshake succeeded, whatever was
    /// offered (the error, one line).
    HandshakeFailed(&'a str),
    /// Handshakes succeeded and enumeration measured the server.
    Enumerated(&'a Enumeration),
}

/// DANE for one address of an MX host (RFC 7672).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaneFacts<'a> {
    /// No usable, secure TLSA records: a DANE sender is opportunistic.
    NotApplicable,
    /// Secure TLSA records exist but none is usable: TLS is required,
    /// unauthenticated (RFC 7672 §2.2).
    Unusable,
    /// Usable records: the address's chain against them.
    Applies(Option<DaneOutcome>),
    /// A lookup was bogus: a DANE sender defers.
    Bogus,
    /// The scan could not tell (DNSSEC not validated through the
    /// nameservers it used): a DANE sender's outcome is unknown.
    Unknown(&'a str),
}

/// MTA-STS for one MX host (RFC 8461).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StsFacts {
    /// No policy in enforce mode.
    NotEnforced,
    /// The policy enforces; whether the host matches one of its `mx:`
    /// patterns.
    Enforced {
        /// The MX host is listed in the policy.
        listed: bool,
    },
    /// The scan did not look (`--no-mta-sts`), or the policy could not be
    /// fetched for a reason that is not the domain's.
    Unknown(&'static str),
}

/// What a sender ends up doing with the mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// Over TLS, and the server was authenticated (PKIX or DANE).
    Authenticated,
    /// Over TLS, unauthenticated.
    Encrypted,
    /// In clear text: no STARTTLS, or a failed handshake it falls back from.
    ClearText,
    /// It keeps the mail queued: TLS is required and fails, or the
    /// certificate is refused.
    Deferred,
    /// The handshake fails; what the sender does then is not documented.
    Failed,
    /// What the scan measured does not decide it (an untested version).
    Unknown,
}

spelling!(Delivery {
    Authenticated => "authenticated",
    Encrypted => "encrypted",
    ClearText => "clear-text",
    Deferred => "deferred",
    Failed => "failed",
    Unknown => "unknown",
});

/// Why TLS failed or the certificate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// The server offers no STARTTLS.
    NoStarttls,
    /// No version both accept.
    NoCommonVersion,
    /// No cipher suite both accept at the negotiated version.
    NoCommonCipher,
    /// No TLS 1.3 group both accept.
    NoCommonGroup,
    /// The server's DH prime is below the sender's minimum.
    DhTooSmall,
    /// The sender verifies the certificate and refuses it.
    CertificateRefused,
    /// No handshake with the server succeeded at all.
    HandshakeFailed,
}

spelling!(Failure {
    NoStarttls => "no-starttls",
    NoCommonVersion => "no-common-version",
    NoCommonCipher => "no-common-cipher",
    NoCommonGroup => "no-common-group",
    DhTooSmall => "dh-too-small",
    CertificateRefused => "certificate-refused",
    HandshakeFailed => "handshake-failed",
});

/// One sender's predicted outcome at one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderOutcome {
    /// The profile's id.
    pub profile: String,
    /// What happens to the mail.
    pub outcome: Delivery,
    /// The version negotiated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// The cipher suite negotiated; absent when uncertain (see
    /// `candidates`) or when the handshake fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// Where the server's order is mixed: the suites it may pick, in the
    /// order it picked them while measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
    /// The key-exchange group negotiated (`x25519`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Where the group is uncertain (a mixed group order, or a server
    /// whose handling of the sender's key shares was not measured): the
    /// groups it may pick.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_candidates: Vec<String>,
    /// The DH prime's size, for a DHE suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u32>,
    /// Why TLS failed or the certificate was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// The reason, one line; empty for a plain success.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The profile counts as a common sender (from the profile).
    #[serde(default)]
    pub common: bool,
    /// The profile verifies certificates or requires TLS somewhere.
    #[serde(default)]
    pub strict: bool,
}

impl SenderOutcome {
    /// `PROTOCOL:CIPHER`, as mail logs write it, or empty.
    pub fn negotiated(&self) -> String {
        match (&self.protocol, &self.cipher) {
            (Some(p), Some(c)) => format!("{p}:{c}"),
            (Some(p), None) if !self.candidates.is_empty() => {
                format!("{p}:{}", self.candidates.join("|"))
            }
            _ => String::new(),
        }
    }

    /// The group, or `DH <bits>` for a DHE suite, or the candidates
    /// (`x25519|secp256r1`); empty when unknown.
    pub fn group_text(&self) -> String {
        match (&self.group, self.dh_bits) {
            (Some(g), _) => g.clone(),
            (None, Some(bits)) => format!("DH {bits}"),
            _ => self.group_candidates.join("|"),
        }
    }
}

/// Predict what `profile` does with the address `facts` describe.
pub fn predict(facts: &Facts<'_>, profile: &Profile) -> SenderOutcome {
    let mut out = SenderOutcome {
        profile: profile.id.clone(),
        outcome: Delivery::Unknown,
        protocol: None,
        cipher: None,
        candidates: Vec::new(),
        group: None,
        group_candidates: Vec::new(),
        dh_bits: None,
        failure: None,
        reason: String::new(),
        common: profile.common,
        strict: is_strict(profile),
    };
    let required = requirement(facts, profile);
    let enumeration = match facts.reached {
        Reached::NoStarttls => {
            out.failure = Some(Failure::NoStarttls);
            if let Some(why) = required {
                out.outcome = Delivery::Deferred;
                out.reason = format!("no STARTTLS, and {why}");
            } else {
                out.outcome = Delivery::ClearText;
                out.reason = "no STARTTLS offered".to_string();
            }
            if profile.require_tls {
                return out;
            }
            return dane_unknown(out, facts, profile);
        }
        Reached::HandshakeFailed(error) => {
            return failed(
                out,
                Failure::HandshakeFailed,
                format!("no handshake succeeded ({error})"),
                required,
                profile,
            );
        }
        Reached::Enumerated(e) => e,
    };
    let hs = match handshake(enumeration, profile) {
        Ok(hs) => hs,
        Err(Stop::Unknown(why)) => {
            out.reason = why;
            return out;
        }
        Err(Stop::Fails(failure, why)) => {
            let out = failed(out, failure, why, required, profile);
            // A sender that requires TLS anyway defers whatever DANE says.
            if profile.require_tls {
                return out;
            }
            return dane_unknown(out, facts, profile);
        }
    };
    out.protocol = hs.protocol;
    out.cipher = hs.cipher;
    out.candidates = hs.candidates;
    out.group = hs.group;
    out.group_candidates = hs.group_candidates;
    out.dh_bits = hs.dh_bits;
    let mut notes = hs.notes;
    match verify(facts, profile) {
        Verdict::Authenticated => out.outcome = Delivery::Authenticated,
        Verdict::Unauthenticated => out.outcome = Delivery::Encrypted,
        Verdict::Refused(why) => {
            out.outcome = Delivery::Deferred;
            out.failure = Some(Failure::CertificateRefused);
            notes.insert(0, why);
        }
    }
    out.reason = notes.join("; ");
    dane_unknown(out, facts, profile)
}

/// Where the scan could not tell whether DANE (or MTA-STS) applies, the
/// outcome of a sender that honours it is unknown: the handshake stays as
/// predicted.
fn dane_unknown(mut out: SenderOutcome, facts: &Facts<'_>, profile: &Profile) -> SenderOutcome {
    let (what, why) = match (profile.verify, facts.dane, facts.mta_sts) {
        (Verify::Dane, DaneFacts::Unknown(why), _) => ("DANE", why),
        (Verify::MtaSts, _, StsFacts::Unknown(why)) => ("MTA-STS", why),
        _ => return out,
    };
    let note = match out.outcome {
        Delivery::ClearText => format!("unless {what} applies, which is not known ({why})"),
        _ => format!("whether {what} applies is not known ({why})"),
    };
    out.outcome = Delivery::Unknown;
    out.reason = if out.reason.is_empty() {
        note
    } else {
        format!("{}; {note}", out.reason)
    };
    out
}

/// A profile that verifies certificates or requires TLS somewhere.
fn is_strict(profile: &Profile) -> bool {
    profile.require_tls || profile.verify != Verify::None
}

/// Why this sender requires TLS at this address, if it does.
fn requirement(facts: &Facts<'_>, profile: &Profile) -> Option<String> {
    if profile.require_tls {
        return Some("it requires TLS".to_string());
    }
    match profile.verify {
        Verify::None => None,
        Verify::Pkix => Some("it requires verified TLS".to_string()),
        Verify::Dane => match facts.dane {
            DaneFacts::NotApplicable => None,
            DaneFacts::Unusable => Some("DANE TLSA records require TLS".to_string()),
            DaneFacts::Applies(_) => Some("DANE TLSA records require TLS".to_string()),
            DaneFacts::Bogus => Some("its DANE lookups are bogus (DNSSEC)".to_string()),
            DaneFacts::Unknown(_) => None,
        },
        Verify::MtaSts => match facts.mta_sts {
            StsFacts::NotEnforced | StsFacts::Unknown(_) => None,
            StsFacts::Enforced { .. } => Some("the MTA-STS policy enforces TLS".to_string()),
        },
    }
}

/// The outcome of a failed handshake: deferred when TLS is required, else
/// what the profile does.
fn failed(
    mut out: SenderOutcome,
    failure: Failure,
    why: String,
    required: Option<String>,
    profile: &Profile,
) -> SenderOutcome {
    out.failure = Some(failure);
    out.outcome = match (&required, profile.on_tls_failure) {
        (Some(_), _) => Delivery::Deferred,
        (None, OnTlsFailure::ClearText) => Delivery::ClearText,
        (None, OnTlsFailure::Defer) => Delivery::Deferred,
        (None, OnTlsFailure::Unknown) => Delivery::Failed,
    };
    out.reason = match (required, out.outcome) {
        (Some(req), _) => format!("{why}, and {req}"),
        (None, Delivery::ClearText) => format!("{why}: retries in clear text"),
        (None, Delivery::Failed) => format!("{why}: what it does then is not documented"),
        _ => why,
    };
    out
}

/// A handshake's result, before the certificate is judged.
#[derive(Debug, Default)]
struct Negotiated {
    protocol: Option<Protocol>,
    cipher: Option<String>,
    candidates: Vec<String>,
    group: Option<String>,
    group_candidates: Vec<String>,
    dh_bits: Option<u32>,
    notes: Vec<String>,
}

/// Why a handshake does not come about.
enum Stop {
    /// It fails, and why.
    Fails(Failure, String),
    /// The measurements do not decide it.
    Unknown(String),
}

/// Replay the handshake.
fn handshake(e: &Enumeration, profile: &Profile) -> Result<HandshakeResult, Stop> {
    let scan = version(e, profile)?;
    let protocol = scan.protocol;
    let offered = usable_offer(e, profile, protocol);
    let offered_set: HashSet<&str> = offered.iter().copied().collect();
    let accepted: Vec<&str> = scan.ciphers.iter().map(|c| c.name.as_str()).collect();
    let accepted_set: HashSet<&str> = accepted.iter().copied().collect();
    let common_server: Vec<&str> = accepted
        .iter()
        .copied()
        .filter(|c| offered_set.contains(c))
        .collect();
    if common_server.is_empty() {
        return Err(Stop::Fails(
            Failure::NoCommonCipher,
            format!(
                "no common cipher with {protocol} (the server accepts {})",
                summary(&accepted)
            ),
        ));
    }
    let mut hs = Negotiated {
        protocol: Some(protocol),
        ..Negotiated::default()
    };
    match scan.order {
        Some(OrderType::Mixed) if common_server.len() > 1 => {
            hs.candidates = common_server.iter().map(|c| c.to_string()).collect();
            hs.notes.push(format!(
                "the server's order is mixed: one of {}",
                common_server.join(", ")
            ));
        }
        Some(OrderType::Client) => {
            let first = offered
                .iter()
                .find(|c| accepted_set.contains(*c))
                .unwrap_or(&common_server[0]);
            hs.cipher = Some(first.to_string());
        }
        _ => hs.cipher = Some(common_server[0].to_string()),
    }
    // The DH prime, for a DHE suite (TLS ≤ 1.2): the size seen with that
    // suite, else the smallest seen at all.
    if let Some(cipher) = &hs.cipher {
        let seen = scan.ciphers.iter().find(|c| &c.name == cipher);
        if protocol < Protocol::Tls1_3 && seen.is_some_and(|c| c.kx == Kx::Dhe) {
            let bits = seen.and_then(|c| c.dh_bits).or(e.dh_bits);
            hs.dh_bits = bits;
            if let Some(bits) = bits {
                if bits < profile.tls.min_dh_bits {
                    return Err(Stop::Fails(
                        Failure::DhTooSmall,
                        format!(
                            "the server picks {cipher} with a {bits}-bit DH prime, below the {} bits it accepts",
                            profile.tls.min_dh_bits
                        ),
                    ));
                }
            }
        } else if protocol == Protocol::Tls1_3 || seen.is_some_and(|c| c.kx == Kx::Ecdhe) {
            (hs.group, hs.group_candidates) = group(e, profile, protocol, &mut hs.notes)?;
            if let Some(bits) = hs.group.as_deref().and_then(ffdhe_bits) {
                if bits < profile.tls.min_dh_bits {
                    return Err(Stop::Fails(
                        Failure::DhTooSmall,
                        format!(
                            "the server picks {}, below the {} DH bits it accepts",
                            hs.group.as_deref().unwrap_or_default(),
                            profile.tls.min_dh_bits
                        ),
                    ));
                }
            }
        }
    }
    Ok(hs)
}

type HandshakeResult = Negotiated;

/// The version the server picks: its newest not above the sender's newest.
fn version<'e>(e: &'e Enumeration, profile: &Profile) -> Result<&'e VersionScan, Stop> {
    let Some(&newest) = profile.tls.versions.last() else {
        return Err(Stop::Fails(
            Failure::NoCommonVersion,
            "the sender offers no version".to_string(),
        ));
    };
    let mut unknown = Vec::new();
    for scan in e.versions.iter().rev().filter(|v| v.protocol <= newest) {
        match scan.supported {
            Some(true) => {
                if !unknown.is_empty() {
                    return Err(Stop::Unknown(format!(
                        "whether the server accepts {} was not measured",
                        unknown.join(", ")
                    )));
                }
                if !profile.tls.versions.contains(&scan.protocol) {
                    return Err(Stop::Fails(
                        Failure::NoCommonVersion,
                        format!(
                            "the server picks {}, which the sender does not offer ({})",
                            scan.protocol,
                            versions(&profile.tls.versions)
                        ),
                    ));
                }
                return Ok(scan);
            }
            Some(false) => {}
            None => unknown.push(scan.protocol.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(Stop::Unknown(format!(
            "whether the server accepts {} was not measured",
            unknown.join(", ")
        )));
    }
    let accepted: Vec<Protocol> = e
        .versions
        .iter()
        .filter(|v| v.supported == Some(true))
        .map(|v| v.protocol)
        .collect();
    Err(Stop::Fails(
        Failure::NoCommonVersion,
        format!(
            "no common version (the server accepts {}, the sender offers {})",
            if accepted.is_empty() {
                "none".to_string()
            } else {
                versions(&accepted)
            },
            versions(&profile.tls.versions)
        ),
    ))
}

/// `TLSv1.2, TLSv1.3`.
fn versions(list: &[Protocol]) -> String {
    list.iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sender's suites for `protocol`, without ECDHE suites when it shares
/// no curve with the server.
fn usable_offer<'p>(e: &Enumeration, profile: &'p Profile, protocol: Protocol) -> Vec<&'p str> {
    let offer = profile.offer(protocol);
    if protocol == Protocol::Tls1_3 || profile.tls.groups.is_empty() {
        return offer;
    }
    let curves = server_groups(e, protocol);
    if curves.is_empty() || profile.tls.groups.iter().any(|g| curves.contains(g)) {
        return offer;
    }
    let catalogue = crate::tls::cipher::Catalogue::get();
    offer
        .into_iter()
        .filter(|c| catalogue.find(c).is_none_or(|s| s.kx != Kx::Ecdhe))
        .collect()
}

/// The groups the server accepts with `protocol`: those measured with it;
/// for TLS ≤ 1.2 when only TLS 1.3 was measured, its elliptic curves.
fn server_groups(e: &Enumeration, protocol: Protocol) -> Vec<String> {
    let tls13 = protocol == Protocol::Tls1_3;
    let measured: Vec<String> = e
        .groups
        .iter()
        .filter(|g| (g.protocol == Protocol::Tls1_3) == tls13)
        .map(|g| g.name.clone())
        .collect();
    if !measured.is_empty() || tls13 {
        return measured;
    }
    e.groups
        .iter()
        .filter(|g| !g.name.starts_with("ffdhe") && !g.name.contains("MLKEM"))
        .map(|g| g.name.trim_end_matches("tls13").to_string())
        .collect()
}

/// The group the server picks, when the measurements tell; else the
/// groups it may pick.
fn group(
    e: &Enumeration,
    profile: &Profile,
    protocol: Protocol,
    notes: &mut Vec<String>,
) -> Result<(Option<String>, Vec<String>), Stop> {
    let server = server_groups(e, protocol);
    if server.is_empty() || profile.tls.groups.is_empty() {
        return Ok((None, Vec::new()));
    }
    let client = &profile.tls.groups;
    let common: Vec<&String> = client.iter().filter(|g| server.contains(g)).collect();
    if common.is_empty() {
        if protocol == Protocol::Tls1_3 {
            return Err(Stop::Fails(
                Failure::NoCommonGroup,
                format!(
                    "no common TLSv1.3 group (the server accepts {})",
                    server.join(", ")
                ),
            ));
        }
        return Ok((None, Vec::new()));
    }
    // The measured order is the newest version's.
    let order_applies =
        protocol == Protocol::Tls1_3 || !e.groups.iter().any(|g| g.protocol == Protocol::Tls1_3);
    let order = if order_applies { e.group_order } else { None };
    let by_order = match order {
        Some(OrderType::Server) => e
            .group_preference
            .iter()
            .find(|g| client.contains(g))
            .unwrap_or(common[0]),
        Some(OrderType::Mixed) if common.len() > 1 => {
            let all: Vec<String> = common.iter().map(|g| g.to_string()).collect();
            notes.push(format!("group order mixed: one of {}", all.join(", ")));
            return Ok((None, all));
        }
        _ => common[0],
    };
    // A server that takes the sender's first usable key share picks that.
    let share = profile
        .tls
        .key_shares
        .iter()
        .find(|g| server.contains(g))
        .filter(|g| protocol == Protocol::Tls1_3 && *g != by_order);
    match share {
        Some(share) => {
            notes.push(format!(
                "{by_order} by the server's group order, or {share} if it takes the sender's key share (not measured)"
            ));
            Ok((None, vec![by_order.clone(), share.clone()]))
        }
        None => Ok((Some(by_order.clone()), Vec::new())),
    }
}

/// `ffdhe2048` → 2048.
fn ffdhe_bits(group: &str) -> Option<u32> {
    group.strip_prefix("ffdhe")?.parse().ok()
}

/// A list of suites, shortened.
fn summary(list: &[&str]) -> String {
    match list.len() {
        0 => "none".to_string(),
        1..=3 => list.join(", "),
        n => format!("{}, … {} in all", list[..3].join(", "), n),
    }
}

/// The certificate, judged as the sender judges it.
enum Verdict {
    Authenticated,
    Unauthenticated,
    Refused(String),
}

fn verify(facts: &Facts<'_>, profile: &Profile) -> Verdict {
    let key_too_small = || -> Option<String> {
        let (kind, bits) = facts.leaf_key?;
        let min = match kind {
            "RSA" | "DSA" => profile.tls.min_rsa_bits,
            "EC" => profile.tls.min_ecc_bits,
            _ => 0,
        };
        (bits < min).then(|| format!("its {kind} key of {bits} bits is below the {min} it accepts"))
    };
    let pkix = || -> Verdict {
        if let Err(why) = facts.pkix {
            return Verdict::Refused(format!("certificate refused: {why}"));
        }
        if let Some(why) = key_too_small() {
            return Verdict::Refused(format!("certificate refused: {why}"));
        }
        Verdict::Authenticated
    };
    match profile.verify {
        Verify::None => Verdict::Unauthenticated,
        Verify::Pkix => pkix(),
        Verify::Dane => match facts.dane {
            DaneFacts::Applies(Some(DaneOutcome::Match)) => match key_too_small() {
                Some(why) => Verdict::Refused(format!("certificate refused: {why}")),
                None => Verdict::Authenticated,
            },
            DaneFacts::Applies(_) => Verdict::Refused(
                "certificate refused: it matches none of the TLSA records".to_string(),
            ),
            _ => Verdict::Unauthenticated,
        },
        Verify::MtaSts => match facts.mta_sts {
            StsFacts::Enforced { listed: false } => Verdict::Refused(
                "the MX host matches none of the MTA-STS policy's mx patterns".to_string(),
            ),
            StsFacts::Enforced { listed: true } => pkix(),
            StsFacts::NotEnforced | StsFacts::Unknown(_) => Verdict::Unauthenticated,
        },
    }
}
