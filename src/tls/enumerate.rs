//! Enumeration: which versions a server accepts, every cipher it accepts per
//! version in its order of preference (or the fact that it follows the
//! client's), the key-exchange groups it supports and its DH size.
//!
//! Each question is one handshake on a fresh STARTTLS session from a
//! [`Sessions`] source (in a scan, the SMTP connection pool). Independent
//! questions (different versions, different groups) are asked concurrently;
//! the source decides how many connections that really means.
//!
//! Cost, per address: Σ over versions (accepted ciphers + 1) handshakes for
//! the ciphers, minus one when the broadly compatible handshake already
//! answered the first question of its version; two per version with at
//! least two ciphers for the order type; one per group tested. A handshake
//! whose server closes the connection instead of sending an alert is asked
//! once more before it counts as a refusal, and timeouts are retried twice.
//!
//! Not tested, because this OpenSSL cannot offer them: SSLv2, EXPORT and
//! single-DES ciphers, GOST, PSK and SRP suites.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};

use super::cipher::{Auth, Catalogue, CipherSpec, Kx};
use super::handshake::{handshake, Offer, Outcome, TlsError};
use super::order::{self, Answer, Oracle, OrderType};
use super::{Handshake, Protocol};

/// A source of fresh sessions positioned for the TLS ClientHello.
pub trait Sessions: Sync {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send;
    /// A new session. `prefetch`: the caller will probably want another one
    /// right after this, so the source may start opening it now.
    fn session(
        &self,
        prefetch: bool,
    ) -> impl Future<Output = Result<Self::Stream, NoSession>> + Send;
    /// End a session after its handshake: say goodbye over TLS when the
    /// handshake `finished`, then close the connection gracefully.
    fn finish(
        &self,
        tls: tokio_openssl::SslStream<Self::Stream>,
        finished: bool,
    ) -> impl Future<Output = ()> + Send;
}

/// Why no session could be had (the server keeps refusing connections).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoSession(pub String);

/// How to enumerate.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Timeout of one handshake.
    pub timeout: Duration,
    /// Server name sent in every handshake (the MX host name).
    pub sni: Option<String>,
    /// Test key-exchange groups too.
    pub groups: bool,
}

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
    pub incomplete: Vec<String>,
}

impl Enumeration {
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
    pub name: String,
    pub bits: u32,
    pub kx: Kx,
    pub auth: Auth,
    pub aead: bool,
    pub forward_secret: bool,
    /// The certificate key the server used with it (`RSA 2048`, `EC 256`):
    /// servers with RSA and ECDSA certificates differ per cipher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_key: Option<String>,
    /// DH group size when this handshake was completed to learn it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u32>,
}

impl AcceptedCipher {
    pub fn spec(&self) -> Option<&'static CipherSpec> {
        Catalogue::get().find(&self.name)
    }
}

/// A supported key-exchange group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSupport {
    pub name: String,
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
/// answer is the first pick of its version. Returns the result and the
/// number of handshakes it took.
pub async fn enumerate<S: Sessions>(
    sessions: &S,
    main: Option<&Handshake>,
    settings: &Settings,
) -> (Enumeration, u32) {
    let handshakes = AtomicU32::new(0);
    let chains = Protocol::ALL.map(|p| {
        let first = main.filter(|m| m.protocol == p).map(|m| m.cipher.clone());
        version_chain(sessions, p, first, settings, &handshakes)
    });
    let results = futures::future::join_all(chains).await;
    let mut e = Enumeration::default();
    for (mut scan, incomplete) in results {
        // The broadly compatible handshake answered this version's first
        // question: what it learnt belongs to that cipher.
        if let (Some(m), Some(c)) = (main, scan.ciphers.first_mut()) {
            if m.protocol == scan.protocol && m.cipher == c.name {
                c.dh_bits = c.dh_bits.or(m.dh_bits);
                c.cert_key = c.cert_key.take().or_else(|| {
                    m.chain
                        .first()
                        .map(|l| format!("{} {}", l.key_type, l.key_bits))
                });
            }
        }
        e.incomplete.extend(incomplete);
        e.versions.push(scan);
    }
    if settings.groups {
        let (groups, incomplete) = group_scan(sessions, &e, settings, &handshakes).await;
        e.groups = groups;
        e.incomplete.extend(incomplete);
    }
    e.dh_bits = e
        .versions
        .iter()
        .flat_map(|v| v.ciphers.iter().filter_map(|c| c.dh_bits))
        .chain(main.and_then(|m| m.dh_bits))
        .min();
    (e, handshakes.load(Ordering::Relaxed))
}

/// Asks one question per handshake, with retries.
struct Asker<'a, S> {
    sessions: &'a S,
    settings: &'a Settings,
    handshakes: &'a AtomicU32,
    protocol: Protocol,
    groups: Option<String>,
    /// Learn the DH size on the next DHE pick.
    want_dh: bool,
    /// What each pick showed besides the cipher.
    seen: Vec<(String, Option<String>, Option<u32>)>,
    refusal: Option<String>,
}

impl<'a, S: Sessions> Asker<'a, S> {
    fn new(
        sessions: &'a S,
        settings: &'a Settings,
        handshakes: &'a AtomicU32,
        protocol: Protocol,
    ) -> Self {
        Asker {
            sessions,
            settings,
            handshakes,
            protocol,
            groups: None,
            want_dh: true,
            seen: Vec::new(),
            refusal: None,
        }
    }

    fn offer(&self, offer: &[String]) -> Offer {
        let list = Some(offer.to_vec());
        let tls13 = self.protocol == Protocol::Tls1_3;
        Offer {
            min: self.protocol,
            max: self.protocol,
            ciphers: if tls13 { None } else { list.clone() },
            suites: if tls13 { list } else { None },
            groups: self.groups.clone(),
            sni: self.settings.sni.clone(),
            complete: false,
            complete_dhe: self.want_dh,
        }
    }
}

/// Retries: a close without an alert is asked once more; timeouts twice.
const CLOSED_RETRIES: u32 = 1;
const TIMEOUT_RETRIES: u32 = 2;

impl<S: Sessions> Oracle<String> for Asker<'_, S> {
    type Error = String;

    async fn pick(&mut self, offer: &[String]) -> Result<Answer<String>, String> {
        let request = self.offer(offer);
        let (mut closed, mut timeouts) = (0, 0);
        loop {
            let stream = self
                .sessions
                .session(true)
                .await
                .map_err(|e| format!("{}: {e}", self.protocol))?;
            self.handshakes.fetch_add(1, Ordering::Relaxed);
            let attempt = handshake(stream, &request, self.settings.timeout).await;
            if let Some(tls) = attempt.stream {
                self.sessions.finish(tls, attempt.finished).await;
            }
            match attempt.result {
                Ok(Outcome::Chosen(hs)) => {
                    let key = hs
                        .chain
                        .first()
                        .map(|c| format!("{} {}", c.key_type, c.key_bits));
                    if hs.dh_bits.is_some() {
                        self.want_dh = false;
                    }
                    self.seen.push((hs.cipher.clone(), key, hs.dh_bits));
                    return Ok(Answer::Picked(hs.cipher));
                }
                Ok(Outcome::Refused(r)) if r.closed && closed < CLOSED_RETRIES => closed += 1,
                Ok(Outcome::Refused(r)) => {
                    let closed = r.closed;
                    self.refusal = Some(r.detail);
                    return Ok(if closed {
                        Answer::Dropped
                    } else {
                        Answer::Refused
                    });
                }
                Err(TlsError::Timeout(_)) if timeouts < TIMEOUT_RETRIES => timeouts += 1,
                Err(e) => return Err(format!("{}: {e}", self.protocol)),
            }
        }
    }
}

/// Elimination and order type for one version.
async fn version_chain<S: Sessions>(
    sessions: &S,
    protocol: Protocol,
    first: Option<String>,
    settings: &Settings,
    handshakes: &AtomicU32,
) -> (VersionScan, Vec<String>) {
    let candidates: Vec<String> = Catalogue::get()
        .for_protocol(protocol)
        .map(|c| c.name.clone())
        .collect();
    let mut asker = Asker::new(sessions, settings, handshakes, protocol);
    let mut incomplete = Vec::new();
    let picked = match order::eliminate(&mut asker, &candidates, first.clone()).await {
        Ok(p) => p,
        Err(e) => {
            incomplete.push(e);
            // What was learnt before the failure still counts.
            first
                .into_iter()
                .chain(asker.seen.iter().map(|s| s.0.clone()))
                .collect()
        }
    };
    let mut order_type = None;
    if incomplete.is_empty() {
        if let Some((a, b)) = order::order_probe_pair(&picked, |c| c.contains("CHACHA20")) {
            match order::order_type(&mut asker, &a, &b).await {
                Ok(t) => order_type = Some(t),
                Err(e) => incomplete.push(e),
            }
        }
    }
    let ciphers = picked
        .iter()
        .map(|name| {
            let spec = Catalogue::get().find(name);
            let seen = asker.seen.iter().find(|s| s.0 == *name);
            AcceptedCipher {
                name: name.clone(),
                bits: spec.map_or(0, |s| s.bits),
                kx: spec.map_or(Kx::Other, |s| s.kx),
                auth: spec.map_or(Auth::Other, |s| s.auth),
                aead: spec.is_some_and(|s| s.aead),
                forward_secret: spec.is_some_and(|s| s.forward_secret),
                cert_key: seen.and_then(|s| s.1.clone()),
                dh_bits: seen.and_then(|s| s.2),
            }
        })
        .collect::<Vec<_>>();
    let supported = match (ciphers.is_empty(), incomplete.is_empty()) {
        (false, _) => Some(true),
        (true, true) => Some(false),
        (true, false) => None,
    };
    let scan = VersionScan {
        protocol,
        supported,
        order: order_type,
        refusal: if supported == Some(false) {
            asker.refusal
        } else {
            None
        },
        ciphers,
    };
    (scan, incomplete)
}

/// One handshake per group: TLS 1.3 groups when TLS 1.3 is accepted, else
/// ECDHE curves on the newest version with an ECDHE cipher; weak curves on
/// TLS 1.2 in either case.
async fn group_scan<S: Sessions>(
    sessions: &S,
    e: &Enumeration,
    settings: &Settings,
    handshakes: &AtomicU32,
) -> (Vec<GroupSupport>, Vec<String>) {
    let ecdhe_version =
        e.versions.iter().rev().find(|v| {
            v.protocol != Protocol::Tls1_3 && v.ciphers.iter().any(|c| c.kx == Kx::Ecdhe)
        });
    let mut plan: Vec<(Protocol, &str, Vec<String>)> = Vec::new();
    let ecdhe_ciphers = |v: &VersionScan| {
        v.ciphers
            .iter()
            .filter(|c| c.kx == Kx::Ecdhe)
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    if e.version(Protocol::Tls1_3)
        .is_some_and(|v| v.supported == Some(true))
    {
        let suites: Vec<String> = Catalogue::get()
            .tls13
            .iter()
            .map(|c| c.name.clone())
            .collect();
        plan.extend(
            TLS13_GROUPS
                .iter()
                .map(|g| (Protocol::Tls1_3, *g, suites.clone())),
        );
        if let Some(v) = ecdhe_version {
            plan.extend(
                WEAK_CURVES
                    .iter()
                    .map(|g| (v.protocol, *g, ecdhe_ciphers(v))),
            );
        }
    } else if let Some(v) = ecdhe_version {
        plan.extend(
            TLS12_CURVES
                .iter()
                .map(|g| (v.protocol, *g, ecdhe_ciphers(v))),
        );
    }
    let found = Mutex::new((Vec::new(), Vec::new()));
    let tests = plan
        .into_iter()
        .filter(|(_, g, _)| super::settings::group_available(g))
        .map(|(protocol, group, offer)| {
            let found = &found;
            async move {
                let mut asker = Asker::new(sessions, settings, handshakes, protocol);
                asker.groups = Some(group.to_string());
                asker.want_dh = false;
                let result = asker.pick(&offer).await;
                let mut found = found.lock().unwrap_or_else(|p| p.into_inner());
                match result {
                    Ok(Answer::Picked(_)) => found.0.push(GroupSupport {
                        name: group.to_string(),
                        protocol,
                    }),
                    Ok(_) => {}
                    Err(err) => found.1.push(format!("group {group}: {err}")),
                }
            }
        });
    futures::future::join_all(tests).await;
    let (mut groups, incomplete) = found.into_inner().unwrap_or_else(|p| p.into_inner());
    // Keep the test order (join_all finishes in any order).
    let rank = |g: &GroupSupport| {
        let list = if g.protocol == Protocol::Tls1_3 {
            TLS13_GROUPS
        } else {
            TLS12_CURVES
        };
        (g.protocol, list.iter().position(|n| *n == g.name))
    };
    groups.sort_by_key(|g| {
        let (protocol, position) = rank(g);
        (std::cmp::Reverse(protocol), position)
    });
    (groups, incomplete)
}
