//! An SMTP/STARTTLS server on loopback, configurable per test.
//!
//! It speaks just enough SMTP for a STARTTLS probe: a 220 greeting, EHLO
//! (advertising STARTTLS when configured), HELO, STARTTLS with a real OpenSSL
//! handshake, then EHLO and QUIT again over TLS. Every other command is
//! answered `502 5.5.1 test server` and recorded, so a test can prove the
//! client never sent it. [`Misbehaviour`] makes it fail the way real servers
//! and middleboxes do. [`ServerConfig::scripted()`] replaces OpenSSL by a
//! [`Script`]: hand-built answers OpenSSL 3 cannot give (SSLv2, export
//! ciphers, Heartbleed, …).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mxprobe::testkit::smtp::{ServerConfig, SmtpServer};
//! let server = SmtpServer::start("127.0.0.1:0".parse().unwrap(), ServerConfig::default()).await?;
//! // ... probe server.addr() ...
//! let sessions = server.finished_sessions(1).await;
//! assert_eq!(sessions[0].commands, ["EHLO probe.example", "STARTTLS"]);
//! # Ok(()) }
//! ```
//!
//! Every task it spawns ends when the [`SmtpServer`] is dropped. It never
//! panics on what a client sends; aborted handshakes, resets and garbage are
//! recorded in the [`Session`].

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::tls::Protocol;

mod cut;
mod scripted;
mod session;
mod tls;

pub use super::pki::{cert, cert_alone, dh_params, testdata_path, CertKey};
pub use scripted::{
    Answer, ClientHello, HeartbeatReply, Record, Script, ScriptedSession, EXPORT_SUITES,
    RECORDS_KEPT, RECORD_BODY_KEPT, SSLV2_SPECS,
};
pub use tls::{
    legacy_provider, ssl_version, version_options, TlsConfig, DEFAULT_CIPHERSUITES,
    DEFAULT_CIPHER_LIST,
};

/// How the server behaves. The default: banner `mx.example.test`, STARTTLS
/// offered with [`TlsConfig::default`], no delay, no connection limit,
/// [`Misbehaviour::None`].
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The host name in the greeting and the EHLO reply.
    pub banner_host: String,
    /// Advertise STARTTLS in the EHLO reply and accept the command.
    pub starttls: bool,
    /// The TLS side; `None` with `starttls` answers STARTTLS with
    /// `454 4.7.0 TLS not available due to local problem` (as Postfix does
    /// when its certificate is missing).
    pub tls: Option<TlsConfig>,
    /// Pause before the greeting.
    pub greeting_delay: Duration,
    /// Connections open at once beyond this get
    /// `421 4.7.0 <host> Error: too many connections from <ip>` and are closed.
    pub max_connections: Option<usize>,
    /// How it fails, if it does.
    pub misbehaviour: Misbehaviour,
    /// Whose greeting and EHLO reply it sends.
    pub persona: Persona,
    /// A scripted TLS side instead of OpenSSL: after its 220 to STARTTLS
    /// the server answers the client's hello as the [`Script`] says (`tls`
    /// is then not used). The [`Misbehaviour`]s that act in TLS take
    /// precedence.
    pub scripted: Option<Script>,
}

/// Which mail server's greeting and EHLO reply the test server copies
/// (mxprobe recognises the software from them, and words its remedies
/// accordingly). TLS is the server's own either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Persona {
    /// `220 <host> ESMTP mxprobe test server`, and an EHLO reply no real
    /// server sends: no software is recognised.
    #[default]
    TestServer,
    /// Microsoft Exchange's frontend receive connector:
    /// `220 <host> Microsoft ESMTP MAIL Service ready at <date>`,
    /// `250-<host> Hello [<ip>]` and Exchange's extensions.
    Exchange,
}

impl Default for ServerConfig {
    /// # Panics
    ///
    /// When the test certificate files are missing.
    fn default() -> Self {
        ServerConfig {
            banner_host: "mx.example.test".into(),
            starttls: true,
            tls: Some(TlsConfig::default()),
            greeting_delay: Duration::ZERO,
            max_connections: None,
            misbehaviour: Misbehaviour::None,
            persona: Persona::TestServer,
            scripted: None,
        }
    }
}

impl ServerConfig {
    /// The default server with this TLS configuration.
    pub fn with_tls(tls: TlsConfig) -> Self {
        ServerConfig {
            tls: Some(tls),
            ..Self::default()
        }
    }

    /// The default server with a scripted TLS side (and no OpenSSL one).
    pub fn scripted(script: Script) -> Self {
        ServerConfig {
            tls: None,
            scripted: Some(script),
            ..Self::default()
        }
    }

    /// The default server misbehaving this way.
    pub fn misbehaving(misbehaviour: Misbehaviour) -> Self {
        ServerConfig {
            misbehaviour,
            ..Self::default()
        }
    }
}

/// Ways to fail, each as real servers (or boxes in front of them) do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Misbehaviour {
    /// A well-behaved server.
    #[default]
    None,
    /// Greets with `421 4.3.2 <host> Service not available` and closes.
    Reject421AtGreeting,
    /// As `Reject421AtGreeting` for the 1st, 3rd, 5th… connection; the
    /// others are served normally (for retry tests).
    Reject421EveryOtherConnection,
    /// Closes the connection on EHLO without answering.
    DropAfterEhlo,
    /// Answers EHLO with `<code> <class>.5.2 Error: command not recognized`.
    EhloRejected(u16),
    /// Greets with bytes that are not SMTP (telnet option negotiation, then
    /// junk), then stays silent until the client closes.
    Garbage,
    /// Sends `250 2.0.0 injected\r\n` in the same write as its 220 to
    /// STARTTLS, then attempts the handshake anyway.
    InjectAfterStarttls,
    /// Accepts the connection and never sends a byte.
    NeverAnswer,
    /// Sends the greeting one byte at a time, pausing after each.
    DripGreeting {
        /// The pause after each byte.
        per_byte: Duration,
    },
    /// Sends `220-` continuation lines forever, as fast as the client reads.
    EndlessGreeting,
    /// Greets with one line of `220 ` plus this many `x`, then carries on.
    LongLine {
        /// The number of `x`.
        bytes: usize,
    },
    /// Says 220 to STARTTLS, reads the ClientHello, resets the connection.
    ResetDuringTls,
    /// Says 220 to STARTTLS and starts a real handshake, but resets the
    /// connection once it has sent this many bytes of its answer to the
    /// ClientHello (in the middle of its ServerHello flight).
    ResetMidHandshake {
        /// Bytes of its answer sent before the reset.
        after: usize,
    },
    /// Says 220 to STARTTLS, reads the ClientHello, never answers it.
    StallInTls,
    /// Says 220 to STARTTLS, reads the ClientHello and answers it with a
    /// fatal `handshake_failure` alert, whatever it offers: a server none
    /// of whose ciphers (or versions) the client has.
    AlertInTls,
    /// Answers STARTTLS with `<code> <class>.7.0 TLS not available`
    /// (e.g. 454, 554).
    StarttlsRejected(u16),
}

/// Bytes kept of what a client sends after `QUIT` ([`Session::after_quit`]).
pub const AFTER_QUIT_KEPT: usize = 512;

/// One connection as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Accept order, from 1.
    pub number: u64,
    /// The client's address.
    pub peer: SocketAddr,
    /// Command lines received before TLS, without line ending (lossy UTF-8).
    pub commands: Vec<String>,
    /// The handshake, once one was attempted: what was negotiated, or why it
    /// failed. Always `None` on a scripted server: see `scripted`.
    pub tls: Option<Result<TlsSession, String>>,
    /// What a scripted server ([`ServerConfig::scripted()`]) read and sent
    /// after STARTTLS.
    pub scripted: Option<ScriptedSession>,
    /// Command lines received over TLS.
    pub tls_commands: Vec<String>,
    /// Bytes the client sent in the same flight as STARTTLS, before the
    /// handshake (discarded, as RFC 3207 §6 requires of a server).
    pub pipelined_after_starttls: usize,
    /// What the client sent after `QUIT` (the server answers 221 and
    /// listens until the client closes, a few seconds at most): empty for a
    /// polite client.
    /// At most [`AFTER_QUIT_KEPT`] bytes are kept.
    pub after_quit: Vec<u8>,
    /// The connection is over.
    pub closed: bool,
}

/// A completed handshake, as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSession {
    /// The version negotiated.
    pub protocol: Protocol,
    /// OpenSSL's cipher name.
    pub cipher: String,
    /// The server name the client sent (SNI).
    pub sni: Option<String>,
}

/// A running test server; dropping it stops it and all its connections.
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

/// State the accept loop and the sessions share.
struct Shared {
    config: ServerConfig,
    acceptor: Option<tls::Acceptor>,
    scripted: Option<scripted::Prepared>,
    sessions: Mutex<Vec<Session>>,
    connections: AtomicU64,
    active: AtomicUsize,
    max_active: AtomicUsize,
    /// How many sessions have ended.
    ended: watch::Sender<usize>,
}

impl SmtpServer {
    /// Binds `bind` (any 127.x.y.z, port 0 for a free one) and serves until
    /// dropped. Must be called within a tokio runtime. Fails when the address
    /// cannot be bound or the TLS configuration is invalid (`InvalidInput`).
    pub async fn start(bind: SocketAddr, config: ServerConfig) -> io::Result<SmtpServer> {
        let scripted = config
            .scripted
            .as_ref()
            .map(scripted::Prepared::new)
            .transpose()?;
        let acceptor = match &config.tls {
            Some(_) if scripted.is_some() => None,
            Some(tls) => Some(
                tls::Acceptor::new(tls)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?,
            ),
            None => None,
        };
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            acceptor,
            scripted,
            sessions: Mutex::new(Vec::new()),
            connections: AtomicU64::new(0),
            active: AtomicUsize::new(0),
            max_active: AtomicUsize::new(0),
            ended: watch::Sender::new(0),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(SmtpServer {
            addr,
            shared,
            accept,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every session so far, in accept order (open ones as far as they got).
    pub fn transcript(&self) -> Vec<Session> {
        self.shared.lock_sessions().clone()
    }

    /// Waits until at least `n` sessions have ended, then returns the
    /// transcript. Wrap it in a timeout: it waits as long as it takes.
    pub async fn finished_sessions(&self, n: usize) -> Vec<Session> {
        let mut ended = self.shared.ended.subscribe();
        // The sender lives in `self.shared`, so this cannot fail.
        let _ = ended.wait_for(|&count| count >= n).await;
        self.transcript()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Most connections that were open at the same time (rejected ones
    /// included): what a per-host limit test asserts on.
    pub fn max_concurrent(&self) -> usize {
        self.shared.max_active.load(Ordering::SeqCst)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which aborts every
        // session task.
        self.accept.abort();
    }
}

impl Shared {
    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, Vec<Session>> {
        // A panic elsewhere must not hide the transcript from the test.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, index: usize, f: impl FnOnce(&mut Session)) {
        if let Some(session) = self.lock_sessions().get_mut(index) {
            f(session);
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    // As MTAs do: their replies are small and each waits
                    // for the client.
                    let _ = tcp.set_nodelay(true);
                    sessions.spawn(session::run(Arc::clone(&shared), tcp, peer));
                }
                // Out of file descriptors or similar: let some sessions end.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}
