//! The questions: each a hand-written hello on a session of its own, read
//! up to the server's first answer, then abandoned (see the module above).

use std::time::Duration;

use super::after::{After, AsyncThen, Ccs, Nothing, Probe};
use super::{Checks, LegacyMode, LegacyScan};
use crate::tls::cipher::{Catalogue, CipherSpec};
use crate::tls::enumerate::{accepted, AcceptedCipher, Enumeration, Sessions, Settings, Tally};
use crate::tls::raw::{self, ClientHello, Extension, Reply, Sslv2ClientHello};
use crate::tls::{iana, Handshake, OrderType, Protocol};

/// The padding extension (RFC 7685).
const PADDING: u16 = 21;
/// TLS_FALLBACK_SCSV (RFC 7507).
const FALLBACK_SCSV: u16 = 0x5600;
/// inappropriate_fallback.
const INAPPROPRIATE_FALLBACK: u8 = 86;
/// At most this many suites found per version (a server accepting every
/// suite of the registry still ends).
const MAX_FOUND: usize = 128;

/// What the classic checks found, asked from the broadly compatible
/// handshake alone, while the enumeration runs.
pub(crate) struct Early {
    checks: Checks,
    incomplete: Vec<String>,
    tally: Tally,
}

/// The classic checks (renegotiation, compression, heartbeat, Heartbleed,
/// CCS injection, fallback SCSV). `main`: the broadly compatible
/// handshake, whose version is the server's newest.
pub(crate) async fn checks<S: Sessions>(
    sessions: &S,
    main: Option<&Handshake>,
    settings: &Settings,
    mode: LegacyMode,
) -> Early {
    let mut early = Early {
        checks: Checks::default(),
        incomplete: Vec::new(),
        tally: Tally::default(),
    };
    if mode == LegacyMode::Never {
        return early;
    }
    let asker = Asker::new(sessions, settings);
    let known: Vec<(Protocol, Vec<u16>)> = main
        .into_iter()
        .filter_map(|m| {
            let id = Catalogue::get().find(&m.cipher)?.id;
            Some((m.protocol, vec![id]))
        })
        .collect();
    let newest = main.map(|m| m.protocol);
    // With the server's newest version known, both at once; else the
    // checks' hello tells it first.
    let (checks, fallback) = if newest.is_some() {
        futures::join!(asker.checks(&known), asker.fallback(newest))
    } else {
        let checks = asker.checks(&known).await;
        let newest = checks.as_ref().ok().and_then(|(_, v)| *v);
        (checks, asker.fallback(newest).await)
    };
    match checks {
        Ok((c, _)) => early.checks = c,
        Err(why) => early.incomplete.push(format!("checks: {why}")),
    }
    match fallback {
        Ok(protected) => early.checks.fallback_protected = protected,
        Err(why) => early.incomplete.push(format!("fallback: {why}")),
    }
    early.tally = asker.tally();
    early
}

/// Then what needs the enumeration's result: SSLv2 and the suites no
/// OpenSSL 3 has, where it shows legacy (see [`shows_legacy`]); all of it
/// goes into `e`. Returns what both phases cost.
pub(crate) async fn run<S: Sessions>(
    sessions: &S,
    e: &mut Enumeration,
    settings: &Settings,
    mode: LegacyMode,
    early: Early,
) -> Tally {
    if mode == LegacyMode::Never {
        return early.tally;
    }
    let asker = Asker::new(sessions, settings);
    let mut scan = LegacyScan {
        checks: early.checks,
        ..LegacyScan::default()
    };
    let mut incomplete = early.incomplete;
    let suites = mode == LegacyMode::Always || shows_legacy(e);
    // SSLv2 only where SSLv3 is accepted, or nothing is: libraries dropped
    // SSLv2 before SSLv3 (`--legacy always` asks anyway).
    if mode == LegacyMode::Always || (suites && ssl3_or_nothing(e)) {
        match asker.sslv2().await {
            Ok(specs) => scan.sslv2 = Some(specs),
            Err(why) => incomplete.push(format!("SSLv2: {why}")),
        }
    }
    if suites {
        scan.suites_tested = true;
        // Where the OpenSSL pass found nothing at all, every version.
        let nothing = nothing_accepted(e);
        let mut versions: Vec<Protocol> = Protocol::ALL
            .into_iter()
            .rev()
            .filter(|p| *p < Protocol::Tls1_3)
            .filter(|p| {
                mode == LegacyMode::Always
                    || nothing
                    || e.version(*p).and_then(|v| v.supported) == Some(true)
            })
            .collect();
        // Servers choose from one cipher list whatever the version, and
        // the newest version's offer holds every suite the older ones can
        // have: where it finds none, the older versions are not asked.
        let mut first = true;
        while !versions.is_empty() {
            let protocol = versions.remove(0);
            match asker.suites(protocol).await {
                Ok(found) => {
                    let none = found.is_empty();
                    merge(e, protocol, &found);
                    if none && first && !nothing && mode != LegacyMode::Always {
                        break;
                    }
                }
                Err(why) => incomplete.push(format!("{protocol} suites: {why}")),
            }
            first = false;
        }
    }
    scan.incomplete = incomplete;
    e.legacy = Some(scan);
    let mut tally = early.tally;
    tally += asker.tally();
    tally
}

/// SSLv3 or legacy ciphers accepted, or nothing at all: the server may
/// well take what no OpenSSL 3 offers. TLS 1.0 and 1.1 alone do not count:
/// GnuTLS's and Postfix's defaults still accept them without a single
/// retired suite, and on Exim each question costs half a second; a library
/// with EXPORT or DES suites still on has RC4 or 3DES on too.
fn shows_legacy(e: &Enumeration) -> bool {
    if nothing_accepted(e) {
        return true;
    }
    let old_version = e
        .versions
        .iter()
        .any(|v| v.supported == Some(true) && v.protocol == Protocol::Ssl3);
    let old_cipher = e.versions.iter().flat_map(|v| &v.ciphers).any(|c| {
        c.spec().is_some_and(|s| {
            s.is_rc4()
                || s.is_3des()
                || s.is_null()
                || s.is_export()
                || s.is_anonymous()
                || s.is_des()
        })
    });
    old_version || old_cipher
}

/// SSLv3 accepted, or no version at all.
fn ssl3_or_nothing(e: &Enumeration) -> bool {
    e.version(Protocol::Ssl3).and_then(|v| v.supported) == Some(true) || nothing_accepted(e)
}

/// The OpenSSL pass found no version accepted.
fn nothing_accepted(e: &Enumeration) -> bool {
    !e.versions.iter().any(|v| v.supported == Some(true))
}

/// Add the suites found with `protocol` to its list, in the order found
/// (the server's where it keeps its own), after what OpenSSL found.
fn merge(e: &mut Enumeration, protocol: Protocol, found: &[&CipherSpec]) {
    let Some(v) = e.versions.iter_mut().find(|v| v.protocol == protocol) else {
        return;
    };
    for spec in found {
        if v.ciphers.iter().any(|c| c.name == spec.name) {
            continue;
        }
        v.ciphers.push(AcceptedCipher {
            raw: true,
            ..accepted(&spec.name, None)
        });
    }
    if !found.is_empty() {
        v.supported = Some(true);
        if v.ciphers.len() >= 2 && v.order.is_none() {
            // Found by elimination: the order they came in is the server's
            // only where it keeps one, which this alone does not show.
            v.order = Some(OrderType::Mixed);
        }
    }
}

/// Sessions, the settings, and what the questions cost.
struct Asker<'a, S> {
    sessions: &'a S,
    timeout: Duration,
    sni: Option<String>,
    tally: std::sync::Mutex<Tally>,
}

/// What one question got.
enum Answer {
    /// The first answer, and the stream to go on with.
    Reply(Reply),
    /// The server closed or reset without an answer.
    Closed,
}

impl<'a, S: Sessions> Asker<'a, S> {
    fn new(sessions: &'a S, settings: &Settings) -> Self {
        Asker {
            sessions,
            timeout: settings.timeout,
            sni: settings.sni.clone(),
            tally: std::sync::Mutex::new(Tally::default()),
        }
    }

    /// What the questions so far cost.
    fn tally(&self) -> Tally {
        *self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One hello on a session of its own; `then` may go on on the same
    /// connection after a ServerHello. The session is abandoned afterwards.
    async fn ask<T>(
        &self,
        hello: &[u8],
        then: impl AsyncThen<S::Stream, T>,
    ) -> Result<(Answer, Option<T>), String> {
        let mut stream = self
            .sessions
            .session(false)
            .await
            .map_err(|e| e.to_string())?;
        let answer = raw::ask(&mut stream, hello, self.timeout).await;
        let result = match answer {
            Ok(Reply::ServerHello(sh)) => {
                let more = then.run(&mut stream, &sh).await;
                Ok((Answer::Reply(Reply::ServerHello(sh)), more))
            }
            Ok(other) => Ok((Answer::Reply(other), None)),
            Err(e) if e.is_closed() => Ok((Answer::Closed, None)),
            Err(e) => Err(e.to_string()),
        };
        {
            let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
            tally.handshakes += 1;
            if !matches!(result, Ok((Answer::Reply(Reply::ServerHello(_)), _))) {
                tally.refused += 1;
            }
        }
        self.sessions.abandon(stream);
        result
    }

    /// A TLS hello of `protocol` offering `ciphers`, with server_name.
    fn hello(&self, protocol: Protocol, ciphers: Vec<u16>) -> ClientHello {
        let hello = ClientHello::new(raw::wire_version(protocol), ciphers);
        match &self.sni {
            Some(name) => hello.with_server_name(name),
            None => hello,
        }
    }

    /// The hello's bytes; one of 256 to 511 bytes is padded to 512 (RFC
    /// 7685), as OpenSSL does: some old load balancers hang on those.
    fn bytes(&self, mut hello: ClientHello) -> Vec<u8> {
        let len = hello.to_bytes().len();
        if protocol_has_extensions(&hello) && (256..512).contains(&len) {
            // The extension's own 4 bytes count too.
            let pad = 512 - len - 4;
            hello.extensions.push(Extension::Raw(PADDING, vec![0; pad]));
        }
        hello.to_bytes()
    }

    /// SSLv2's cipher specs the server offers; empty when it refuses.
    async fn sslv2(&self) -> Result<Vec<String>, String> {
        let hello = Sslv2ClientHello::all_ciphers().to_bytes();
        let (answer, _) = self.ask::<()>(&hello, Nothing).await?;
        Ok(match answer {
            Answer::Reply(Reply::Sslv2ServerHello(sh)) => sh
                .cipher_specs
                .iter()
                .map(|k| {
                    raw::sslv2_cipher_name(*k).map_or_else(|| format!("0x{k:06X}"), str::to_string)
                })
                .collect(),
            _ => Vec::new(),
        })
    }

    /// Renegotiation, compression, heartbeat and Heartbleed, and CCS
    /// injection: one hello at the newest version up to TLS 1.2 offering
    /// what the server is known to accept there, with DEFLATE and the
    /// heartbeat extension; on its connection the heartbeat request when
    /// the server echoes the extension, else the early ChangeCipherSpec
    /// (which then needs a connection of its own).
    async fn checks(
        &self,
        accepted: &[(Protocol, Vec<u16>)],
    ) -> Result<(Checks, Option<Protocol>), String> {
        let known = accepted
            .iter()
            .find(|(p, ids)| *p < Protocol::Tls1_3 && !ids.is_empty());
        let (protocol, ids) = match known {
            Some((p, ids)) => (*p, ids.clone()),
            // A TLS 1.3 server, or nothing known: a broad TLS 1.2 offer,
            // which the server answers with its newest version up to it.
            None => (Protocol::Tls1_2, broad(Protocol::Tls1_2)),
        };
        let tls13 = accepted.iter().any(|(p, _)| *p == Protocol::Tls1_3);
        let mut hello = self.hello(protocol, ids.clone());
        hello.compression = vec![1, 0];
        if protocol > Protocol::Ssl3 {
            hello.extensions.push(Extension::Heartbeat(1));
        }
        let version = raw::wire_version(protocol);
        let (answer, after) = self.ask(&self.bytes(hello), Probe { version }).await?;
        let sh = match answer {
            Answer::Reply(Reply::ServerHello(sh)) => sh,
            // TLS 1.3 only: none of these exist there.
            _ if tls13 => return Ok((Checks::default(), None)),
            other => return Err(format!("{protocol} hello refused: {}", describe(&other))),
        };
        let negotiated = raw::protocol_of(sh.negotiated_version());
        let mut checks = Checks {
            secure_renegotiation: Some(sh.secure_renegotiation()),
            compression: Some(sh.compression == 1),
            heartbeat: Some(sh.heartbeat_mode().is_some()),
            ..Checks::default()
        };
        match after {
            Some(After::Heartbeat(bleeds)) => checks.heartbleed = bleeds,
            Some(After::Ccs(took)) => {
                checks.heartbleed = Some(false);
                checks.ccs_injection = took;
            }
            None => {}
        }
        if checks.ccs_injection.is_none() {
            let hello = self.hello(protocol, ids);
            let (_, after) = self.ask(&self.bytes(hello), Ccs { version }).await?;
            if let Some(After::Ccs(took)) = after {
                checks.ccs_injection = took;
            }
        }
        Ok((checks, negotiated))
    }

    /// A fallback hello: the version below the server's newest, with
    /// TLS_FALLBACK_SCSV. `None` where the server has no older version
    /// (nothing to fall back to) or the answer does not tell.
    async fn fallback(&self, newest: Option<Protocol>) -> Result<Option<bool>, String> {
        let Some(protocol) = newest.and_then(Protocol::older) else {
            return Ok(None);
        };
        let mut ciphers = broad(protocol);
        ciphers.push(FALLBACK_SCSV);
        let hello = self.hello(protocol, ciphers);
        let (answer, _) = self.ask::<()>(&self.bytes(hello), Nothing).await?;
        Ok(match answer {
            Answer::Reply(Reply::Alert(a)) if a.description == INAPPROPRIATE_FALLBACK => Some(true),
            Answer::Reply(Reply::ServerHello(sh))
                if raw::protocol_of(sh.negotiated_version()) == Some(protocol) =>
            {
                Some(false)
            }
            // protocol_version, handshake_failure, a close: the server has
            // no such older version, or the hello upset it.
            _ => None,
        })
    }

    /// The suites of `protocol` no OpenSSL 3 offers that the server
    /// accepts, by elimination: offer them all, take out what it picks,
    /// until it refuses.
    async fn suites(&self, protocol: Protocol) -> Result<Vec<&'static CipherSpec>, String> {
        let mut offer: Vec<&'static CipherSpec> = iana::raw_specs()
            .iter()
            // Not the signalling values (a fallback SCSV would be a
            // question of its own), nor TLS 1.3 suites.
            .filter(|s| !matches!(s.id, 0x00FF | 0x5600 | 0x1300..=0x13FF))
            .filter(|s| s.min_protocol <= protocol && !s.tls13)
            .collect();
        let mut found = Vec::new();
        while !offer.is_empty() && found.len() < MAX_FOUND {
            let ids = offer.iter().map(|s| s.id).collect();
            let hello = self.hello(protocol, ids);
            let (answer, _) = self.ask::<()>(&self.bytes(hello), Nothing).await?;
            let picked = match answer {
                Answer::Reply(Reply::ServerHello(sh))
                    if raw::protocol_of(sh.negotiated_version()) == Some(protocol) =>
                {
                    sh.cipher
                }
                _ => break,
            };
            let Some(at) = offer.iter().position(|s| s.id == picked) else {
                // A suite it was not offered: not an answer to trust.
                return Err(format!("picked 0x{picked:04X}, which was not offered"));
            };
            found.push(offer.remove(at));
        }
        Ok(found)
    }
}

/// Every suite this OpenSSL has for `protocol` (up to TLS 1.2): an offer
/// any server that speaks the version takes something from.
fn broad(protocol: Protocol) -> Vec<u16> {
    Catalogue::get()
        .for_protocol(protocol)
        .map(|c| c.id)
        .collect()
}

/// An SSLv3 hello has no extensions to pad with.
fn protocol_has_extensions(hello: &ClientHello) -> bool {
    hello.version > 0x0300
}

/// An answer in a few words.
fn describe(answer: &Answer) -> String {
    match answer {
        Answer::Reply(Reply::Alert(a)) => format!("alert {}", a.name().unwrap_or("unknown")),
        Answer::Reply(Reply::ServerHello(_)) => "ServerHello".to_string(),
        Answer::Reply(_) => "an SSLv2 answer".to_string(),
        Answer::Closed => "closed without an alert".to_string(),
    }
}
