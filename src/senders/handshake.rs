//! The handshake replayed: which version, suite and group a sender and a
//! measured server agree on, or why they cannot (see [`super::predict`]
//! for the rules).

use std::collections::HashSet;

use super::outcome::Failure;
use super::profile::Profile;
use crate::tls::{Enumeration, Kx, OrderType, Protocol, VersionScan};

/// A handshake's result, before the certificate is judged.
#[derive(Debug, Default)]
pub(super) struct Negotiated {
    pub(super) protocol: Option<Protocol>,
    pub(super) cipher: Option<String>,
    pub(super) candidates: Vec<String>,
    pub(super) group: Option<String>,
    pub(super) group_candidates: Vec<String>,
    pub(super) dh_bits: Option<u32>,
    pub(super) notes: Vec<String>,
}

/// Why a handshake does not come about.
pub(super) enum Stop {
    /// It fails, and why.
    Fails(Failure, String),
    /// The measurements do not decide it.
    Unknown(String),
}

/// Replay the handshake.
pub(super) fn handshake(e: &Enumeration, profile: &Profile) -> Result<HandshakeResult, Stop> {
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

pub(super) type HandshakeResult = Negotiated;

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
    offer
        .into_iter()
        .filter(|c| crate::tls::iana::lookup(c).is_none_or(|s| s.kx != Kx::Ecdhe))
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
