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

use super::handshake::{handshake, Stop};
use super::outcome::{DaneFacts, Delivery, Facts, Failure, Reached, SenderOutcome, StsFacts};
use super::profile::{OnTlsFailure, Profile, Verify};
use crate::dane::DaneOutcome;

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
