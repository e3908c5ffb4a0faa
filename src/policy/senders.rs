//! Findings from the predicted sender outcomes of one address: common
//! senders whose handshake fails (and who fall back to clear text), strict
//! senders who defer, and common senders ending on a legacy cipher the
//! server need not pick. Which profiles count is the policy's
//! `[senders]` (by default the profiles' own `common` and strictness).

use super::SenderCount;
use crate::model::catalogue::FindingId;
use crate::model::AddressReport;
use crate::senders::{Delivery, Failure, SenderOutcome};

/// The findings, as (ID, message).
pub(super) fn findings(count: &SenderCount, a: &AddressReport) -> Vec<(FindingId, String)> {
    let mut out = Vec::new();
    let failing: Vec<String> = a
        .senders
        .iter()
        .filter(|o| count.common(o) && handshake_failed(o))
        .map(|o| format!("{} {} ({})", o.profile, what_then(o), o.reason))
        .collect();
    if !failing.is_empty() {
        out.push((FindingId::SenderClearText, failing.join("; ")));
    }
    let deferring: Vec<String> = a
        .senders
        .iter()
        .filter(|o| count.strict(o) && o.outcome == Delivery::Deferred)
        .filter(|o| !(count.common(o) && handshake_failed(o)))
        .map(|o| format!("{} defers ({})", o.profile, o.reason))
        .collect();
    if !deferring.is_empty() {
        out.push((FindingId::SenderDefers, deferring.join("; ")));
    }
    if let Some(message) = legacy(count, a) {
        out.push((FindingId::SenderLegacyCipher, message));
    }
    out
}

/// The handshake itself fails (not the certificate, and STARTTLS was
/// offered: its absence is `no-starttls`).
fn handshake_failed(o: &SenderOutcome) -> bool {
    matches!(
        o.failure,
        Some(
            Failure::NoCommonVersion
                | Failure::NoCommonCipher
                | Failure::NoCommonGroup
                | Failure::DhTooSmall
                | Failure::HandshakeFailed
        )
    )
}

fn what_then(o: &SenderOutcome) -> &'static str {
    match o.outcome {
        Delivery::ClearText => "falls back to clear text",
        Delivery::Deferred => "defers",
        _ => "fails",
    }
}

/// Common senders whose negotiated suite lacks AEAD or forward secrecy,
/// where the server accepts a suite with both at that version.
fn legacy(count: &SenderCount, a: &AddressReport) -> Option<String> {
    let e = a.enumeration.as_ref()?;
    let mut lines = Vec::new();
    for o in a.senders.iter().filter(|o| count.common(o)) {
        let (Some(protocol), Some(cipher)) = (o.protocol, o.cipher.as_deref()) else {
            continue;
        };
        let Some(v) = e.version(protocol) else {
            continue;
        };
        let Some(chosen) = v.ciphers.iter().find(|c| c.name == cipher) else {
            continue;
        };
        if chosen.aead && chosen.forward_secret {
            continue;
        }
        let Some(better) = v.ciphers.iter().find(|c| c.aead && c.forward_secret) else {
            continue;
        };
        lines.push((o.profile.as_str(), protocol, cipher, better.name.as_str()));
    }
    if lines.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (_, protocol, cipher, better) = lines[i];
        let same: Vec<&str> = lines[i..]
            .iter()
            .take_while(|l| l.1 == protocol && l.2 == cipher)
            .map(|l| l.0)
            .collect();
        i += same.len();
        parts.push(format!(
            "{} end on {protocol}:{cipher} although the server accepts {better}",
            same.join(", ")
        ));
    }
    Some(parts.join("; "))
}
