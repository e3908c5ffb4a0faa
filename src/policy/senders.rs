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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProbeStatus;
    use crate::tls::{AcceptedCipher, Auth, Enumeration, Kx, Protocol, VersionScan};

    fn outcome(profile: &str, delivery: Delivery, failure: Option<Failure>) -> SenderOutcome {
        SenderOutcome {
            profile: profile.to_string(),
            outcome: delivery,
            protocol: Some(Protocol::Tls1_2),
            cipher: failure.is_none().then(|| "DHE-RSA-AES256-SHA".to_string()),
            candidates: Vec::new(),
            group: None,
            group_candidates: Vec::new(),
            dh_bits: None,
            failure,
            reason: "because".to_string(),
            common: profile.starts_with("common"),
            strict: profile.starts_with("strict"),
        }
    }

    fn cipher(name: &str, aead: bool, forward_secret: bool) -> AcceptedCipher {
        AcceptedCipher {
            name: name.to_string(),
            bits: 256,
            kx: Kx::Dhe,
            auth: Auth::Rsa,
            aead,
            forward_secret,
            cert_key: None,
            dh_bits: None,
            raw: false,
        }
    }

    fn address(senders: Vec<SenderOutcome>, modern: bool) -> AddressReport {
        let mut a = AddressReport::new("192.0.2.1".parse().unwrap(), 25, ProbeStatus::Ok);
        let mut ciphers = vec![cipher("DHE-RSA-AES256-SHA", false, true)];
        if modern {
            ciphers.push(cipher("ECDHE-RSA-AES256-GCM-SHA384", true, true));
        }
        a.enumeration = Some(Enumeration {
            versions: vec![VersionScan {
                protocol: Protocol::Tls1_2,
                supported: Some(true),
                order: None,
                ciphers,
                refusal: None,
            }],
            ..Enumeration::default()
        });
        a.senders = senders;
        a
    }

    fn ids(count: &SenderCount, a: &AddressReport) -> Vec<FindingId> {
        findings(count, a).into_iter().map(|(id, _)| id).collect()
    }

    #[test]
    fn which_outcomes_are_findings() {
        use Delivery::*;
        use FindingId::*;
        let default = SenderCount::default();
        let table: &[(SenderOutcome, bool, &[FindingId])] = &[
            (
                outcome("common-a", Encrypted, None),
                true,
                &[SenderLegacyCipher],
            ),
            // Nothing better accepted: the legacy cipher is all there is.
            (outcome("common-a", Encrypted, None), false, &[]),
            (outcome("other", Encrypted, None), true, &[]),
            (
                outcome("common-a", ClearText, Some(Failure::NoCommonCipher)),
                true,
                &[SenderClearText],
            ),
            (
                outcome("common-a", Failed, Some(Failure::DhTooSmall)),
                true,
                &[SenderClearText],
            ),
            (
                outcome("other", ClearText, Some(Failure::NoCommonCipher)),
                true,
                &[],
            ),
            // No STARTTLS is its own finding.
            (
                outcome("common-a", ClearText, Some(Failure::NoStarttls)),
                true,
                &[],
            ),
            (
                outcome("strict-a", Deferred, Some(Failure::CertificateRefused)),
                true,
                &[SenderDefers],
            ),
            (outcome("strict-a", Authenticated, None), false, &[]),
        ];
        for (o, modern, expected) in table {
            let a = address(vec![o.clone()], *modern);
            assert_eq!(ids(&default, &a), *expected, "{o:?}");
        }
    }

    #[test]
    fn the_policy_names_who_counts() {
        use Delivery::*;
        let a = address(
            vec![
                outcome("common-a", Encrypted, None),
                outcome("other", ClearText, Some(Failure::NoCommonVersion)),
                outcome("strict-a", Deferred, Some(Failure::CertificateRefused)),
            ],
            true,
        );
        let named = SenderCount {
            common: Some(vec!["other".to_string()]),
            strict: Some(Vec::new()),
        };
        assert_eq!(ids(&named, &a), [FindingId::SenderClearText]);
        let message = &findings(&named, &a)[0].1;
        assert!(
            message.starts_with("other falls back to clear text"),
            "{message}"
        );
    }

    #[test]
    fn senders_on_the_same_cipher_share_one_message() {
        use Delivery::*;
        let a = address(
            vec![
                outcome("common-a", Encrypted, None),
                outcome("common-b", Encrypted, None),
            ],
            true,
        );
        let all = findings(&SenderCount::default(), &a);
        assert_eq!(
            all[0].1,
            "common-a, common-b end on TLSv1.2:DHE-RSA-AES256-SHA although the server accepts ECDHE-RSA-AES256-GCM-SHA384"
        );
    }
}
