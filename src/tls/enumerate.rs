//! Enumeration: which versions a server accepts, every cipher it accepts per
//! version in its order of preference (or the fact that it follows the
//! client's), the key-exchange groups it supports (and its preference among
//! them) and its DH size.
//!
//! The questions and their order are [`plan`](super::plan)'s; this module
//! asks them with real handshakes ([`Handshakes`], on sessions from a
//! [`Sessions`] source, in a scan the SMTP connection pool) and turns the
//! answers into the report's types.
//!
//! How a handshake ends depends on what failed handshakes cost the server.
//! Until that is known, and where they are costly (Exim on GnuTLS sleeps
//! half a second after each before it closes), every accepted handshake is
//! completed and the session ended with QUIT over TLS, which such servers
//! answer at once. Where they are cheap (Postfix and other OpenSSL servers
//! close at once either way), a handshake is abandoned as soon as the
//! server's choice is known. The first failed handshake's close tells.
//!
//! Cost, per address, in handshakes (each on its own connection): versions
//! newer than the broadly compatible handshake's are known refused without
//! a question; each older version the server accepts costs nothing beyond
//! its cipher chain (its first pick comes from the question that found it),
//! and the versions below the oldest accepted one one refusal together.
//! Per accepted version with N ciphers: N + 1 (N when the broadly
//! compatible handshake gave the first pick, one more for a server order
//! that looks like the client's, one fewer for a client order where
//! refusals are costly). Groups: supported + 1 per list, the TLS 1.3 list
//! sharing handshakes with the TLS 1.3 suites. A handshake whose server
//! closes the connection instead of sending an alert is asked once more
//! before it counts as a refusal, and timeouts are retried twice.
//!
//! What this OpenSSL cannot offer (SSLv2, EXPORT, single DES, GOST, PSK,
//! SRP …) is asked afterwards with hand-written hellos ([`super::legacy`]),
//! and merged into the same lists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cipher::{Auth, Catalogue, CipherSpec, Kx};
use super::incomplete::Incomplete;
use super::legacy::LegacyScan;
use super::order::OrderType;
use super::plan::{self, Lists};
use super::{Handshake, Protocol};

pub(crate) use super::handshakes::{Handshakes, NoSession, Sessions, Settings, Tally};

/// Everything enumeration found for one address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enumeration {
    /// One entry per protocol version, oldest first.
    pub versions: Vec<VersionScan>,
    /// Supported key-exchange groups, per protocol version tested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSupport>,
    /// The smallest finite-field DH group seen with a DHE cipher, in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u32>,
    /// Why the result is incomplete; empty when it is complete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<Incomplete>,
    /// Whose order the server follows among the groups of the newest
    /// version tested (TLS 1.3, else TLS ≤ 1.2 curves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_order: Option<OrderType>,
    /// Those groups in the server's order of preference, when it enforces one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_preference: Vec<String>,
    /// What the hand-written ClientHellos found (SSLv2, the classic
    /// checks); absent when none was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy: Option<LegacyScan>,
}

impl Enumeration {
    /// Why it is incomplete, as one line (`; ` between reasons); empty
    /// when it is complete.
    pub fn incomplete_text(&self) -> String {
        let lines: Vec<String> = self.incomplete.iter().map(ToString::to_string).collect();
        lines.join("; ")
    }

    /// What version `p` gave; `None` when it was not tested.
    pub fn version(&self, p: Protocol) -> Option<&VersionScan> {
        self.versions.iter().find(|v| v.protocol == p)
    }
    /// The newest version the server accepts.
    pub fn highest(&self) -> Option<&VersionScan> {
        self.versions
            .iter()
            .rev()
            .find(|v| v.supported == Some(true))
    }
}

/// What one protocol version gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionScan {
    /// The version.
    pub protocol: Protocol,
    /// `None` when it could not be determined.
    pub supported: Option<bool>,
    /// Whose order the server follows; `None` with fewer than two ciphers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderType>,
    /// Accepted ciphers: in the server's order of preference when `order` is
    /// `server` (or `mixed`: the order it picked them in); in mxprobe's offer
    /// order, which says nothing about the server, when `client`.
    pub ciphers: Vec<AcceptedCipher>,
    /// How the server refused this version (or the last offer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// One accepted cipher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedCipher {
    /// OpenSSL's name (`ECDHE-RSA-AES256-GCM-SHA384`,
    /// `TLS_AES_256_GCM_SHA384`).
    pub name: String,
    /// Key bits of the algorithm (`256`; `168` for 3DES), as Exim logs
    /// them.
    pub bits: u32,
    /// Key exchange.
    pub kx: Kx,
    /// Server authentication.
    pub auth: Auth,
    /// Authenticated encryption (GCM, CCM, ChaCha20-Poly1305).
    pub aead: bool,
    /// Ephemeral key exchange (DHE, ECDHE, every TLS 1.3 suite).
    pub forward_secret: bool,
    /// The certificate key the server used with it (`RSA 2048`, `EC 256`):
    /// servers with RSA and ECDSA certificates differ per cipher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_key: Option<String>,
    /// DH group size when this handshake was completed to learn it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u32>,
    /// Found by a hand-written ClientHello: a suite no OpenSSL 3 can offer
    /// (named by IANA where OpenSSL has no name).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub raw: bool,
}

impl AcceptedCipher {
    /// Everything known about the suite, from this OpenSSL's catalogue;
    /// `None` for a name it does not know (read back from an older report).
    pub fn spec(&self) -> Option<&'static CipherSpec> {
        super::iana::lookup(&self.name)
    }
}

/// A supported key-exchange group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSupport {
    /// OpenSSL's name (`x25519`, `secp256r1`, `X25519MLKEM768`,
    /// `ffdhe2048`).
    pub name: String,
    /// The version it was tested with: TLS 1.3, or a version up to TLS 1.2
    /// for the curves of ECDHE ciphers.
    pub protocol: Protocol,
}

/// Groups tested with TLS 1.3: hybrid post-quantum first.
const TLS13_GROUPS: &[&str] = &[
    "X25519MLKEM768",
    "SecP256r1MLKEM768",
    "SecP384r1MLKEM1024",
    "MLKEM512",
    "MLKEM768",
    "MLKEM1024",
    "x25519",
    "x448",
    "secp256r1",
    "secp384r1",
    "secp521r1",
    "brainpoolP256r1tls13",
    "brainpoolP384r1tls13",
    "brainpoolP512r1tls13",
    "ffdhe2048",
    "ffdhe3072",
    "ffdhe4096",
    "ffdhe6144",
    "ffdhe8192",
];

/// Curves tested with TLS ≤ 1.2 ECDHE when the server has no TLS 1.3.
const TLS12_CURVES: &[&str] = &[
    "x25519",
    "x448",
    "secp256r1",
    "secp384r1",
    "secp521r1",
    "brainpoolP256r1",
    "brainpoolP384r1",
    "brainpoolP512r1",
    "secp224r1",
    "prime192v1",
];

/// Curves below 256 bits, worth testing on TLS 1.2 even when TLS 1.3 exists.
const WEAK_CURVES: &[&str] = &["secp224r1", "prime192v1"];

/// Enumerate one address. `main` is the broadly compatible handshake, whose
/// answer is the first pick of its version. Returns the result and what it
/// cost.
pub(crate) async fn enumerate<S: Sessions>(
    sessions: &S,
    main: Option<&Handshake>,
    settings: &Settings,
) -> (Enumeration, Tally) {
    let handshakes = Handshakes::new(sessions, settings);
    let lists = lists();
    let main_choice = main.map(|m| plan::Main {
        protocol: m.protocol,
        cipher: m.cipher.clone(),
        group: m.group.clone(),
        cert_curve: m
            .chain
            .first()
            .and_then(|leaf| leaf.curve.as_deref())
            .map(group_name),
    });
    let found = plan::run(&handshakes, &lists, main_choice.as_ref(), settings.groups).await;
    let seen = handshakes.seen();
    let mut e = Enumeration {
        incomplete: found.incomplete,
        ..Enumeration::default()
    };
    for v in found.versions {
        let mut ciphers: Vec<AcceptedCipher> = v
            .ciphers
            .iter()
            .map(|name| accepted(name, seen.get(&(v.protocol, name.clone()))))
            .collect();
        // The broadly compatible handshake answered this version's first
        // question: what it learnt belongs to that cipher.
        if let (Some(m), Some(c)) = (main, ciphers.first_mut()) {
            if m.protocol == v.protocol && m.cipher == c.name {
                c.dh_bits = c.dh_bits.or(m.dh_bits);
                c.cert_key = c.cert_key.take().or_else(|| {
                    m.chain
                        .first()
                        .map(|l| format!("{} {}", l.key_type, l.key_bits))
                });
            }
        }
        e.versions.push(VersionScan {
            protocol: v.protocol,
            supported: v.supported,
            order: v.order,
            ciphers,
            refusal: v.refusal,
        });
    }
    if let Some(newest) = found.groups.first() {
        e.group_order = newest.order;
        if newest.order == Some(OrderType::Server) {
            e.group_preference = newest.groups.clone();
        }
    }
    e.groups = found
        .groups
        .iter()
        .flat_map(|g| {
            g.groups.iter().map(|name| GroupSupport {
                name: name.clone(),
                protocol: g.protocol,
            })
        })
        .collect();
    // In the order of the lists tested, newest version first.
    let rank = |g: &GroupSupport| {
        let list = if g.protocol == Protocol::Tls1_3 {
            TLS13_GROUPS
        } else {
            TLS12_CURVES
        };
        (
            std::cmp::Reverse(g.protocol),
            list.iter().position(|n| *n == g.name),
        )
    };
    e.groups.sort_by_key(rank);
    e.dh_bits = e
        .versions
        .iter()
        .flat_map(|v| v.ciphers.iter().filter_map(|c| c.dh_bits))
        .chain(main.and_then(|m| m.dh_bits))
        .min();
    (e, handshakes.tally())
}

/// One accepted cipher with its properties (from this OpenSSL's catalogue
/// or the IANA table) and what its handshake showed.
pub(crate) fn accepted(name: &str, seen: Option<&super::handshakes::Seen>) -> AcceptedCipher {
    let spec = super::iana::lookup(name);
    AcceptedCipher {
        name: name.to_string(),
        bits: spec.map_or(0, |s| s.bits),
        kx: spec.map_or(Kx::Other, |s| s.kx),
        auth: spec.map_or(Auth::Other, |s| s.auth),
        aead: spec.is_some_and(|s| s.aead),
        forward_secret: spec.is_some_and(|s| s.forward_secret),
        cert_key: seen.and_then(|s| s.cert_key.clone()),
        dh_bits: seen.and_then(|s| s.dh_bits),
        raw: false,
    }
}

/// What this OpenSSL can offer, as the plan's lists.
fn lists() -> Lists {
    let cat = Catalogue::get();
    let available = |list: &[&str]| -> Vec<String> {
        list.iter()
            .filter(|g| super::settings::group_available(g))
            .map(|g| g.to_string())
            .collect()
    };
    Lists {
        ciphers: Protocol::ALL
            .iter()
            .map(|&p| (p, cat.for_protocol(p).map(|c| c.name.clone()).collect()))
            .collect::<BTreeMap<_, _>>(),
        ecdhe: cat
            .tls12
            .iter()
            .filter(|c| c.kx == Kx::Ecdhe)
            .map(|c| c.name.clone())
            .collect(),
        ecdsa: cat
            .tls12
            .iter()
            .filter(|c| c.kx == Kx::Ecdhe && c.auth == Auth::Ecdsa)
            .map(|c| c.name.clone())
            .collect(),
        tls13_groups: available(TLS13_GROUPS),
        tls12_curves: available(TLS12_CURVES),
        weak_curves: available(WEAK_CURVES),
    }
}

/// A key's curve (OpenSSL's short name) as the group it is offered as.
fn group_name(curve: &str) -> String {
    match curve {
        "prime256v1" => "secp256r1".to_string(),
        other => other.to_string(),
    }
}

/// Whether `name` is one of the groups enumeration tests (mxprobe's
/// spelling: `secp256r1`, not `prime256v1`).
pub(crate) fn known_group(name: &str) -> bool {
    TLS13_GROUPS.contains(&name) || TLS12_CURVES.contains(&name)
}
