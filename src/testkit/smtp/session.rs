//! One connection of the test server: greeting, commands, STARTTLS, TLS.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use openssl::ssl::NameType;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout};
use tokio_openssl::SslStream;

use super::cut::Cut;
use super::{Misbehaviour, Persona, Session, Shared, TlsSession, AFTER_QUIT_KEPT};

/// Longest command line accepted (RFC 5321 allows 512); longer closes.
const MAX_COMMAND: usize = 4096;
/// Commands recorded per session; a client sending more is cut off.
const MAX_COMMANDS: usize = 1000;
/// Limit for a handshake and for reading the ClientHello in the TLS
/// misbehaviours, so a stuck client cannot keep a task forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server listens after QUIT for anything more.
const AFTER_QUIT_WAIT: Duration = Duration::from_secs(2);
/// What [`Misbehaviour::Garbage`] sends: telnet option negotiation, junk.
const GARBAGE: &[u8] = b"\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01\x00garbage\x07\r\n";

/// A TLS alert record (RFC 8446 §6, §B.2): content type 21, legacy
/// version 3.1 (what servers put on records before a version is agreed),
/// length 2, level fatal (2), description handshake_failure (40).
const HANDSHAKE_FAILURE: &[u8] = &[21, 3, 1, 0, 2, 2, 40];

/// Counts the connection as open until [`Open::end`] (or until dropped,
/// also when the task is aborted) and marks the session closed then.
struct Open {
    shared: Arc<Shared>,
    index: usize,
    ended: AtomicBool,
    /// The client's address, for greetings that name it.
    peer: IpAddr,
}

impl Open {
    /// The connection no longer counts. Called before the server closes
    /// its side: a client that waits for the close (as mxprobe does before
    /// reusing its slot) must not find the old connection still counted.
    fn end(&self) {
        if !self.ended.swap(true, Ordering::SeqCst) {
            self.shared.active.fetch_sub(1, Ordering::SeqCst);
            self.shared.update(self.index, |s| s.closed = true);
            self.shared.ended.send_modify(|n| *n += 1);
        }
    }

    /// Whether a TLS side (OpenSSL's or a script) answers after STARTTLS.
    fn has_tls(&self) -> bool {
        self.shared.acceptor.is_some() || self.shared.scripted.is_some()
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.end();
    }
}

/// Where the plaintext part ended.
enum Next {
    Close,
    StartTls,
}

pub(super) async fn run(shared: Arc<Shared>, tcp: TcpStream, peer: SocketAddr) {
    let number = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
    let active = shared.active.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_active.fetch_max(active, Ordering::SeqCst);
    let index = {
        let mut sessions = shared.lock_sessions();
        sessions.push(Session {
            number,
            peer,
            commands: Vec::new(),
            tls: None,
            scripted: None,
            tls_commands: Vec::new(),
            pipelined_after_starttls: 0,
            after_quit: Vec::new(),
            closed: false,
        });
        sessions.len() - 1
    };
    let open = Open {
        shared,
        index,
        ended: AtomicBool::new(false),
        peer: peer.ip(),
    };
    // A second descriptor of the socket keeps the connection open (no FIN)
    // when `serve` drops its stream, until the session no longer counts.
    let keep = tcp.as_fd().try_clone_to_owned().ok();
    // I/O errors just end the session: the client went away.
    let _ = serve(&open, tcp, number, active).await;
    open.end();
    drop(keep);
}

async fn serve(open: &Open, mut tcp: TcpStream, number: u64, active: usize) -> io::Result<()> {
    let config = &open.shared.config;
    let host = &config.banner_host;
    if config.max_connections.is_some_and(|max| active > max) {
        let ip = tcp
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        let line = format!("421 4.7.0 {host} Error: too many connections from {ip}\r\n");
        return tcp.write_all(line.as_bytes()).await;
    }
    sleep(config.greeting_delay).await;
    let greeting = match config.persona {
        Persona::TestServer => format!("220 {host} ESMTP mxprobe test server\r\n"),
        Persona::Exchange => format!(
            "220 {host} Microsoft ESMTP MAIL Service ready at Thu, 4 Dec 2026 10:00:00 +0100\r\n"
        ),
    };
    match &config.misbehaviour {
        Misbehaviour::Reject421AtGreeting => return reject_421(&mut tcp, host).await,
        Misbehaviour::Reject421EveryOtherConnection if number % 2 == 1 => {
            return reject_421(&mut tcp, host).await;
        }
        Misbehaviour::NeverAnswer => return drain(&mut tcp).await,
        Misbehaviour::Garbage => {
            tcp.write_all(GARBAGE).await?;
            return drain(&mut tcp).await;
        }
        Misbehaviour::EndlessGreeting => {
            let mut n = 0u64;
            loop {
                let line = format!("220-{host} endless greeting, line {n}\r\n");
                tcp.write_all(line.as_bytes()).await?;
                n += 1;
            }
        }
        Misbehaviour::LongLine { bytes } => {
            tcp.write_all(b"220 ").await?;
            let chunk = [b'x'; 8192];
            let mut left = *bytes;
            while left > 0 {
                let n = left.min(chunk.len());
                tcp.write_all(&chunk[..n]).await?;
                left -= n;
            }
            tcp.write_all(b"\r\n").await?;
        }
        Misbehaviour::DripGreeting { per_byte } => {
            for b in greeting.bytes() {
                tcp.write_all(&[b]).await?;
                sleep(*per_byte).await;
            }
        }
        _ => tcp.write_all(greeting.as_bytes()).await?,
    }

    let mut plain = BufReader::new(tcp);
    match commands(open, &mut plain, false).await? {
        Next::Close => return Ok(()),
        Next::StartTls => {}
    }
    // RFC 3207 §6: whatever the client sent after STARTTLS, before the
    // handshake, must be thrown away.
    let pipelined = plain.buffer().len();
    open.shared
        .update(open.index, |s| s.pipelined_after_starttls = pipelined);
    let mut tcp = plain.into_inner();

    match &config.misbehaviour {
        Misbehaviour::ResetDuringTls => {
            read_some(&mut tcp).await;
            record_tls(
                open,
                Err("reset by the test server during the handshake".into()),
            );
            return tcp.set_zero_linger();
        }
        Misbehaviour::StallInTls => {
            read_some(&mut tcp).await;
            record_tls(
                open,
                Err("stalled by the test server during the handshake".into()),
            );
            return drain(&mut tcp).await;
        }
        Misbehaviour::AlertInTls => {
            read_some(&mut tcp).await;
            tcp.write_all(HANDSHAKE_FAILURE).await?;
            record_tls(open, Err("refused by the test server with an alert".into()));
            return drain(&mut tcp).await;
        }
        _ => {}
    }
    if let Some(prepared) = &open.shared.scripted {
        let publish = |log: &super::ScriptedSession| {
            open.shared
                .update(open.index, |s| s.scripted = Some(log.clone()));
        };
        return super::scripted::serve(&mut tcp, prepared, HANDSHAKE_TIMEOUT, &publish).await;
    }
    let Some(acceptor) = &open.shared.acceptor else {
        return Ok(());
    };
    let ssl = acceptor.ssl().map_err(io::Error::other)?;
    if let Misbehaviour::ResetMidHandshake { after } = config.misbehaviour {
        let mut tls = SslStream::new(ssl, Cut { tcp, left: after }).map_err(io::Error::other)?;
        let _ = timeout(HANDSHAKE_TIMEOUT, Pin::new(&mut tls).accept()).await;
        record_tls(
            open,
            Err(format!(
                "reset by the test server after {after} bytes of its answer"
            )),
        );
        return tls.get_ref().tcp.set_zero_linger();
    }
    let mut tls = SslStream::new(ssl, tcp).map_err(io::Error::other)?;
    match timeout(HANDSHAKE_TIMEOUT, Pin::new(&mut tls).accept()).await {
        Ok(Ok(())) => {
            let ssl = tls.ssl();
            let session = TlsSession {
                protocol: ssl.version_str().parse().map_err(io::Error::other)?,
                cipher: ssl
                    .current_cipher()
                    .map(|c| c.name().to_string())
                    .unwrap_or_default(),
                sni: ssl.servername(NameType::HOST_NAME).map(str::to_string),
            };
            record_tls(open, Ok(session));
        }
        Ok(Err(e)) => {
            record_tls(open, Err(e.to_string()));
            if let Some(pause) = config.tls.as_ref().map(|t| t.pause_after_failure) {
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
            }
            return Ok(());
        }
        Err(_) => {
            record_tls(open, Err("handshake timed out".into()));
            return Ok(());
        }
    }
    let mut secure = BufReader::new(tls);
    commands(open, &mut secure, true).await?;
    open.end();
    let _ = timeout(Duration::from_secs(1), secure.get_mut().shutdown()).await;
    Ok(())
}

/// Answers commands until QUIT, EOF, or an accepted STARTTLS.
async fn commands<S>(open: &Open, stream: &mut BufReader<S>, secure: bool) -> io::Result<Next>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let config = &open.shared.config;
    let host = &config.banner_host;
    for _ in 0..MAX_COMMANDS {
        let Some(line) = read_line(stream).await? else {
            return Ok(Next::Close);
        };
        let line = String::from_utf8_lossy(&line).into_owned();
        let verb = line
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        open.shared.update(open.index, |s| {
            if secure {
                &mut s.tls_commands
            } else {
                &mut s.commands
            }
            .push(line.clone())
        });
        let reply = match verb.as_str() {
            "EHLO" => match config.misbehaviour {
                Misbehaviour::DropAfterEhlo if !secure => return Ok(Next::Close),
                Misbehaviour::EhloRejected(code) if !secure => {
                    format!(
                        "{code} {}.5.2 Error: command not recognized\r\n",
                        code / 100
                    )
                }
                _ => ehlo_reply(config.persona, host, open.peer, config.starttls && !secure),
            },
            "HELO" => format!("250 {host}\r\n"),
            "QUIT" => {
                stream.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
                listen_after_quit(open, stream).await;
                return Ok(Next::Close);
            }
            "STARTTLS" if secure => "554 5.5.1 Error: TLS already active\r\n".into(),
            "STARTTLS" if config.starttls => match (&config.misbehaviour, open.has_tls()) {
                (Misbehaviour::StarttlsRejected(code), _) => {
                    format!("{code} {}.7.0 TLS not available\r\n", code / 100)
                }
                (_, false) => "454 4.7.0 TLS not available due to local problem\r\n".into(),
                (Misbehaviour::InjectAfterStarttls, _) => {
                    let both = b"220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected\r\n";
                    stream.get_mut().write_all(both).await?;
                    return Ok(Next::StartTls);
                }
                _ => {
                    stream
                        .get_mut()
                        .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                        .await?;
                    return Ok(Next::StartTls);
                }
            },
            _ => "502 5.5.1 test server\r\n".into(),
        };
        stream.get_mut().write_all(reply.as_bytes()).await?;
    }
    Ok(Next::Close)
}

fn ehlo_reply(persona: Persona, host: &str, peer: IpAddr, starttls: bool) -> String {
    let mut lines: Vec<String> = Vec::new();
    let tls = starttls.then_some("STARTTLS");
    match persona {
        Persona::TestServer => {
            lines.extend([host, "PIPELINING", "SIZE 10240000"].map(String::from));
            lines.extend(tls.map(String::from));
            lines.extend(["ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8"].map(String::from));
        }
        Persona::Exchange => {
            lines.push(format!("{host} Hello [{peer}]"));
            lines.extend(
                ["SIZE 37748736", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES"].map(String::from),
            );
            lines.extend(tls.map(String::from));
            lines.extend(
                [
                    "X-ANONYMOUSTLS",
                    "AUTH NTLM",
                    "X-EXPS GSSAPI NTLM",
                    "8BITMIME",
                    "BINARYMIME",
                ]
                .map(String::from),
            );
            lines.extend(["CHUNKING", "XRDST", "SMTPUTF8"].map(String::from));
        }
    }
    let last = lines.len().saturating_sub(1);
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
        .collect()
}

async fn reject_421(tcp: &mut TcpStream, host: &str) -> io::Result<()> {
    let line = format!("421 4.3.2 {host} Service not available\r\n");
    tcp.write_all(line.as_bytes()).await
}

/// One command line without its line ending; `None` at EOF. A line longer
/// than `MAX_COMMAND` is an error (the session ends).
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return Ok(None);
        }
        let (used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        line.extend_from_slice(&buf[..used]);
        r.consume(used);
        if line.len() > MAX_COMMAND {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "command line too long",
            ));
        }
        if done {
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            return Ok(Some(line));
        }
    }
}

/// Reads and discards until the client closes.
async fn drain<S: AsyncRead + Unpin>(s: &mut S) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    while s.read(&mut buf).await? > 0 {}
    Ok(())
}

/// After the 221 to QUIT: records whatever else the client sends until it
/// closes its side, for at most [`AFTER_QUIT_WAIT`]; then the session ends
/// and the connection is closed. (Closing first would let a client that
/// waits for the close reuse its slot while this connection still counts.)
async fn listen_after_quit<S>(open: &Open, stream: &mut BufReader<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = timeout(AFTER_QUIT_WAIT, async {
        loop {
            let buf = match stream.fill_buf().await {
                Ok(buf) if !buf.is_empty() => buf,
                _ => return,
            };
            let n = buf.len();
            let kept = buf.to_vec();
            stream.consume(n);
            open.shared.update(open.index, |s| {
                let room = AFTER_QUIT_KEPT.saturating_sub(s.after_quit.len());
                s.after_quit.extend_from_slice(&kept[..n.min(room)]);
            });
        }
    })
    .await;
}

/// Waits for the first bytes of the ClientHello.
async fn read_some(tcp: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = timeout(HANDSHAKE_TIMEOUT, tcp.read(&mut buf)).await;
}

fn record_tls(open: &Open, result: Result<TlsSession, String>) {
    open.shared.update(open.index, |s| s.tls = Some(result));
}
