//! The plan's questions asked with real handshakes, one per session.
//!
//! [`Handshakes`] is the [`Server`](super::plan::Server) of a scan: it takes
//! a session from a [`Sessions`] source, runs one OpenSSL handshake with the
//! question's offer, ends the session the way that costs the server least
//! (see [`super::enumerate`]) and answers with what the server chose. Along
//! the way it keeps what each pick showed besides the cipher (the
//! certificate key, the DH size) and counts handshakes and refusals.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_openssl::SslStream;

use super::cipher::{Catalogue, Kx};
use super::handshake::{handshake, Offer, Outcome, TlsError};
use super::incomplete::Reason;
use super::plan::{Question, Reply, Server};
use super::Protocol;

/// A source of fresh sessions positioned for the TLS ClientHello.
pub(crate) trait Sessions: Sync {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send;
    /// A new session. `prefetch`: the caller will probably want another one
    /// right after this, so the source may start opening it now.
    fn session(
        &self,
        prefetch: bool,
    ) -> impl Future<Output = Result<Self::Stream, NoSession>> + Send;
    /// End a session after its handshake, without keeping the caller
    /// waiting: QUIT over TLS when the handshake `finished`, then close the
    /// connection (the session keeps its slot until the server has closed).
    fn finish(&self, tls: SslStream<Self::Stream>, finished: bool);
    /// End a session whose handshake was written by hand and never
    /// finished (a failed handshake to the server), without keeping the
    /// caller waiting.
    fn abandon(&self, stream: Self::Stream);
    /// Whether failed handshakes cost this server clearly more than
    /// completed ones, as soon as a failed handshake's close tells (waiting
    /// for it if one is under way); `None` when none has failed.
    fn failures_costly(&self) -> impl Future<Output = Option<bool>> + Send;
}

/// How to enumerate.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Timeout of one handshake.
    pub timeout: Duration,
    /// Server name sent in every handshake (the MX host name).
    pub sni: Option<String>,
    /// Test key-exchange groups too.
    pub groups: bool,
}

/// Why no session could be had (the server keeps refusing connections).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct NoSession(pub String);

/// What the handshakes cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Handshakes started.
    pub handshakes: u32,
    /// Of those, refused by the server (an alert, or a close instead of a
    /// ServerHello).
    pub refused: u32,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.handshakes += other.handshakes;
        self.refused += other.refused;
    }
}

/// What a pick showed besides the cipher.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    /// The certificate key used with it (`RSA 2048`, `EC 256`).
    pub cert_key: Option<String>,
    /// The DH group size, when the handshake got that far.
    pub dh_bits: Option<u32>,
}

/// Retries: a close without an alert is asked once more; timeouts twice.
const CLOSED_RETRIES: u32 = 1;
const TIMEOUT_RETRIES: u32 = 2;

/// Handshakes on sessions from `S`.
pub(crate) struct Handshakes<'a, S> {
    sessions: &'a S,
    settings: &'a Settings,
    handshakes: AtomicU32,
    refused: AtomicU32,
    /// Complete every accepted handshake (and end it with QUIT) rather than
    /// abandon it at the server's choice: until failed handshakes are known
    /// to be cheap, and for good where they are not. Decided once, when the
    /// plan asks, so the same server always gets the same handshakes.
    complete: AtomicBool,
    /// Per version (index in [`Protocol::ALL`]): the DH size is known, so
    /// DHE handshakes need not go on to learn it.
    dh_known: [AtomicBool; 5],
    seen: Mutex<HashMap<(Protocol, String), Seen>>,
}

impl<'a, S: Sessions> Handshakes<'a, S> {
    pub(crate) fn new(sessions: &'a S, settings: &'a Settings) -> Self {
        Handshakes {
            sessions,
            settings,
            handshakes: AtomicU32::new(0),
            refused: AtomicU32::new(0),
            complete: AtomicBool::new(true),
            dh_known: Default::default(),
            seen: Mutex::default(),
        }
    }

    pub(crate) fn tally(&self) -> Tally {
        Tally {
            handshakes: self.handshakes.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }

    /// What each (version, cipher) pick showed.
    pub(crate) fn seen(&self) -> HashMap<(Protocol, String), Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn dh_known(&self, p: Protocol) -> &AtomicBool {
        let i = Protocol::ALL.iter().position(|v| *v == p).unwrap_or(0);
        &self.dh_known[i]
    }

    fn offer(&self, q: &Question) -> Offer {
        // Complete where an abandoned handshake costs the server (or might),
        // and where the TLS ≤ 1.2 group is wanted (it comes with the key
        // exchange, after the certificate).
        let complete =
            self.complete.load(Ordering::Relaxed) || (q.want_group && q.max < Protocol::Tls1_3);
        Offer {
            min: q.min,
            max: q.max,
            ciphers: Some(q.ciphers.clone()),
            suites: (!q.suites.is_empty()).then(|| q.suites.clone()),
            groups: q.groups.as_ref().map(|g| g.join(":")),
            sni: self.settings.sni.clone(),
            complete,
            complete_dhe: !self.dh_known(q.max).load(Ordering::Relaxed),
        }
    }
}

impl<S: Sessions> Server for Handshakes<'_, S> {
    async fn failures_costly(&self) -> bool {
        let costly = self.sessions.failures_costly().await != Some(false);
        self.complete.store(costly, Ordering::Relaxed);
        costly
    }

    async fn ask(&self, q: Question) -> Result<Reply, Reason> {
        let offer = self.offer(&q);
        let (mut closed, mut timeouts) = (0, 0);
        loop {
            let stream = self
                .sessions
                .session(true)
                .await
                .map_err(|e| Reason::NoSession(e.0))?;
            self.handshakes.fetch_add(1, Ordering::Relaxed);
            let attempt = handshake(stream, &offer, self.settings.timeout).await;
            if let Some(tls) = attempt.stream {
                self.sessions.finish(tls, attempt.finished);
            }
            match attempt.result {
                Ok(Outcome::Chosen(hs)) => {
                    let cert_key = hs
                        .chain
                        .first()
                        .map(|c| format!("{} {}", c.key_type, c.key_bits));
                    // The DH size of a DHE cipher (not of a TLS 1.3 handshake
                    // that happened to use an RFC 7919 group).
                    let dhe = Catalogue::get()
                        .find(&hs.cipher)
                        .is_some_and(|c| c.kx == Kx::Dhe);
                    let dh_bits = hs.dh_bits.filter(|_| dhe);
                    if dh_bits.is_some() {
                        self.dh_known(hs.protocol).store(true, Ordering::Relaxed);
                    }
                    let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
                    let entry = seen.entry((hs.protocol, hs.cipher.clone())).or_default();
                    entry.cert_key = entry.cert_key.take().or(cert_key);
                    entry.dh_bits = entry.dh_bits.or(dh_bits);
                    return Ok(Reply::Chose {
                        protocol: hs.protocol,
                        cipher: hs.cipher,
                        group: hs.group,
                    });
                }
                Ok(Outcome::Refused(r)) => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    if r.closed && closed < CLOSED_RETRIES {
                        closed += 1;
                        continue;
                    }
                    return Ok(if r.closed {
                        Reply::Dropped(r.detail)
                    } else {
                        Reply::Refused(r.detail)
                    });
                }
                Err(TlsError::Timeout(_)) if timeouts < TIMEOUT_RETRIES => timeouts += 1,
                Err(TlsError::Timeout(after)) => return Err(Reason::Timeout(after)),
                Err(e) => return Err(Reason::Handshake(e.to_string())),
            }
        }
    }
}
