//! Each sender profile's outcome at each probed address, from what the
//! scan measured there and the domain's DANE and MTA-STS verdicts (see
//! [`crate::senders`]); no connection is made for it.

use crate::dane::{DaneCheck, DaneState};
use crate::model::{AddressReport, DomainReport, ProbeStatus};
use crate::senders::{DaneFacts, Facts, Reached, Senders, StsFacts};

/// Fill in every address's `senders`. `dane` and `mta_sts`: whether the
/// scan looked them up (`--no-dane`, `--no-mta-sts` skip them, and the
/// senders that honour them are then unknown for domains).
pub(super) fn predict(report: &mut DomainReport, senders: &Senders, dane_on: bool, sts_on: bool) {
    if senders.profiles().is_empty() {
        return;
    }
    // `--host` targets have no domain: neither DANE nor MTA-STS is looked
    // up, and senders are predicted as where neither applies.
    let domain = matches!(report.target, crate::model::Target::Domain { .. });
    let sts_unknown = domain && (!sts_on || report.mta_sts.is_none());
    let enforce = report
        .mta_sts
        .as_ref()
        .and_then(|s| s.policy().map(|p| (p, &s.mx_mismatch)))
        .filter(|(p, _)| p.mode == crate::mtasts::Mode::Enforce)
        .map(|(_, mismatch)| mismatch.clone());
    for mx in &mut report.mx {
        let sts = match &enforce {
            Some(mismatch) => StsFacts::Enforced {
                listed: !mismatch.contains(&mx.host),
            },
            None if sts_unknown => StsFacts::Unknown("MTA-STS not checked"),
            None => StsFacts::NotEnforced,
        };
        let dane_unknown = domain && !dane_on && mx.host.parse::<std::net::IpAddr>().is_err();
        for address in &mut mx.addresses {
            let Some(reached) = reached(address) else {
                continue;
            };
            let pkix = address
                .trust
                .as_ref()
                .map_or(Err("no certificate verdict".to_string()), |t| {
                    t.pkix_verdict()
                });
            let facts = Facts {
                reached,
                pkix: pkix.as_ref().map(|_| ()).map_err(String::as_str),
                leaf_key: address
                    .tls
                    .as_ref()
                    .and_then(|t| t.chain.first())
                    .map(|leaf| (leaf.key_type.as_str(), leaf.key_bits)),
                dane: if dane_unknown {
                    DaneFacts::Unknown("DANE not checked")
                } else {
                    dane(mx.dane.as_ref(), address)
                },
                mta_sts: sts,
            };
            let outcomes = senders.predict(&facts);
            address.senders = outcomes;
        }
    }
}

/// How far the probe got, when a sender's outcome can be told from it:
/// not for unreachable addresses (no sender gets further), nor without
/// enumeration (`--quick`).
fn reached(address: &AddressReport) -> Option<Reached<'_>> {
    match address.status {
        ProbeStatus::NoStarttls => Some(Reached::NoStarttls),
        ProbeStatus::TlsError => Some(Reached::HandshakeFailed(
            address.error.as_deref().unwrap_or("TLS handshake failed"),
        )),
        ProbeStatus::Ok => address.enumeration.as_ref().map(Reached::Enumerated),
        _ => None,
    }
}

/// DANE at this address, as a DANE sender sees it (RFC 7672).
fn dane<'a>(check: Option<&'a DaneCheck>, address: &AddressReport) -> DaneFacts<'a> {
    let Some(check) = check else {
        return DaneFacts::NotApplicable;
    };
    match check.state {
        DaneState::Applies => DaneFacts::Applies(
            check
                .addresses
                .iter()
                .find(|a| a.ip == address.ip && a.port == address.port)
                .map(|a| a.outcome),
        ),
        DaneState::Unusable => DaneFacts::Unusable,
        DaneState::Bogus => DaneFacts::Bogus,
        DaneState::Indeterminate => DaneFacts::Unknown("DNSSEC could not be validated"),
        DaneState::None | DaneState::NotSecure => DaneFacts::NotApplicable,
    }
}
