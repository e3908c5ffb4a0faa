//! The dialogue against scripted servers over `tokio::io::duplex`.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{
    duplex, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
    DuplexStream, ReadBuf,
};

use super::*;
use crate::smtp::{Reply, SmtpError, SmtpInfo, Step, MAX_LINE, MAX_LINES};

/// What the scripted server does, in order.
enum Act {
    Send(Vec<u8>),
    /// Send one byte at a time with a pause after each.
    Drip(Vec<u8>, Duration),
    /// Read one command line and record it.
    Recv,
    /// Read exactly these raw bytes (the client's first TLS bytes).
    Expect(Vec<u8>),
    /// Close the connection.
    Close,
}

use Act::*;

fn send(s: &str) -> Act {
    Send(s.as_bytes().to_vec())
}

/// The server: runs the script, then records every further line until the
/// client closes. Returns every command line the client sent.
async fn peer(stream: DuplexStream, script: Vec<Act>) -> Vec<String> {
    let mut s = BufReader::new(stream);
    let mut commands = Vec::new();
    for act in script {
        match act {
            Send(bytes) => {
                let _ = s.get_mut().write_all(&bytes).await;
            }
            Drip(bytes, pause) => {
                for b in bytes {
                    if s.get_mut().write_all(&[b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(pause).await;
                }
            }
            Recv => {
                let mut line = String::new();
                if s.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return commands;
                }
                commands.push(line.trim_end().to_string());
            }
            Expect(bytes) => {
                let mut got = vec![0; bytes.len()];
                s.read_exact(&mut got).await.unwrap();
                assert_eq!(got, bytes);
            }
            Close => return commands,
        }
    }
    let mut line = String::new();
    while s.read_line(&mut line).await.unwrap_or(0) > 0 {
        commands.push(line.trim_end().to_string());
        line.clear();
    }
    commands
}

#[derive(Debug)]
enum Outcome {
    Ready(SmtpInfo),
    NoStartTls(SmtpInfo),
    Failed(SmtpFailure),
}

fn dialogue(timeout: Duration) -> Dialogue {
    Dialogue {
        ehlo_name: "probe.example.net".into(),
        timeout,
    }
}

/// Runs the dialogue against the script; returns its outcome and what the
/// server received.
async fn converse(script: Vec<Act>, timeout: Duration) -> (Outcome, Vec<String>) {
    converse_with(dialogue(timeout), script, |s| s).await
}

async fn converse_with<S, F>(d: Dialogue, script: Vec<Act>, wrap: F) -> (Outcome, Vec<String>)
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(DuplexStream) -> S,
{
    let (client, server) = duplex(1 << 16);
    let server = tokio::spawn(peer(server, script));
    let outcome = tokio::time::timeout(Duration::from_secs(10), d.starttls(wrap(client)))
        .await
        .expect("the dialogue ends within its own timeouts");
    let outcome = match outcome {
        Ok(Negotiated::Ready { stream, info }) => {
            drop(stream);
            Outcome::Ready(info)
        }
        Ok(Negotiated::NoStartTls { info }) => Outcome::NoStartTls(info),
        Err(failure) => Outcome::Failed(failure),
    };
    let commands = server.await.unwrap();
    assert_only_allowed(&commands);
    (outcome, commands)
}

/// The safety property: nothing but EHLO, STARTTLS and QUIT, ever.
fn assert_only_allowed(commands: &[String]) {
    for c in commands {
        let verb = c.split(' ').next().unwrap_or_default();
        assert!(
            ["EHLO", "STARTTLS", "QUIT"].contains(&verb),
            "client sent {c:?}"
        );
    }
}

fn failed(outcome: Outcome) -> SmtpFailure {
    match outcome {
        Outcome::Failed(f) => f,
        other => panic!("expected a failure, got {other:?}"),
    }
}

const T: Duration = Duration::from_secs(2);
const GREETING: &str = "220-mx.example.test ESMTP Postfix\r\n220 no UCE\r\n";
const EHLO_TLS: &str =
    "250-mx.example.test\r\n250-SIZE 10240000\r\n250-starttls\r\n250 8BITMIME\r\n";
const EHLO_PLAIN: &str = "250-mx.example.test Hello\r\n250 SIZE 10240000\r\n";

#[tokio::test]
async fn multi_line_greeting_ehlo_and_starttls() {
    let script = vec![
        send(GREETING),
        Recv,
        send(EHLO_TLS),
        Recv,
        send("220 2.0.0 Ready to start TLS\r\n"),
    ];
    let (outcome, commands) = converse(script, T).await;
    let Outcome::Ready(info) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(commands, ["EHLO probe.example.net", "STARTTLS"]);
    assert_eq!(info.greeting, ["mx.example.test ESMTP Postfix", "no UCE"]);
    assert_eq!(info.banner_host.as_deref(), Some("mx.example.test"));
    assert_eq!(info.ehlo_host.as_deref(), Some("mx.example.test"));
    assert_eq!(info.extensions, ["SIZE 10240000", "starttls", "8BITMIME"]);
    assert!(info.starttls);
}

#[tokio::test]
async fn the_ready_stream_starts_exactly_where_tls_starts() {
    let (client, server) = duplex(4096);
    let script = vec![
        send("220 mx.example.test\r\n"),
        Recv,
        send(EHLO_TLS),
        Recv,
        send("220 go ahead\r\n"),
        Expect(b"\x16\x03\x01".to_vec()),
        Send(b"\x16\x03\x03".to_vec()),
    ];
    let server = tokio::spawn(peer(server, script));
    let Ok(Negotiated::Ready { mut stream, .. }) = dialogue(T).starttls(client).await else {
        panic!("not ready")
    };
    stream.write_all(b"\x16\x03\x01").await.unwrap();
    let mut first = [0u8; 3];
    stream.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"\x16\x03\x03");
    drop(stream);
    assert_eq!(
        server.await.unwrap(),
        ["EHLO probe.example.net", "STARTTLS"]
    );
}

#[tokio::test]
async fn without_starttls_quit_is_sent() {
    let script = vec![
        send("220 mx.example.test ESMTP\r\n"),
        Recv,
        send(EHLO_PLAIN),
        Recv,
        send("221 2.0.0 Bye\r\n"),
    ];
    let (outcome, commands) = converse(script, T).await;
    let Outcome::NoStartTls(info) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(!info.starttls);
    assert_eq!(info.extensions, ["SIZE 10240000"]);
    assert_eq!(commands, ["EHLO probe.example.net", "QUIT"]);
}

#[tokio::test]
async fn an_unanswered_quit_does_not_hold_up_the_result() {
    let script = vec![
        send("220 mx.example.test\r\n"),
        Recv,
        send(EHLO_PLAIN),
        Recv,
    ];
    let started = Instant::now();
    let (outcome, commands) = converse(script, Duration::from_millis(200)).await;
    assert!(matches!(outcome, Outcome::NoStartTls(_)));
    assert_eq!(commands, ["EHLO probe.example.net", "QUIT"]);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn greeting_421_is_a_transient_rejection() {
    let script = vec![send("421 4.7.0 mx.example.test too many connections\r\n")];
    let (outcome, commands) = converse(script, T).await;
    let f = failed(outcome);
    assert!(matches!(
        f.error,
        SmtpError::Rejected {
            step: Step::Greeting,
            reply: Reply { code: 421, .. }
        }
    ));
    assert!(f.error.is_transient() && f.error.is_too_many_connections());
    assert_eq!(
        f.to_string(),
        "greeting rejected: 421 4.7.0 mx.example.test too many connections"
    );
    assert!(commands.is_empty(), "{commands:?}");
}

#[tokio::test]
async fn ehlo_5xx_fails_without_helo() {
    let script = vec![
        send("220 mx.example.test\r\n"),
        Recv,
        send("502 5.5.2 Error: command not recognized\r\n"),
        Recv,
        send("221 Bye\r\n"),
    ];
    let (outcome, commands) = converse(script, T).await;
    let f = failed(outcome);
    assert!(matches!(
        f.error,
        SmtpError::Rejected {
            step: Step::Ehlo,
            ..
        }
    ));
    assert!(!f.error.is_transient());
    assert_eq!(f.info.banner_host.as_deref(), Some("mx.example.test"));
    assert_eq!(commands, ["EHLO probe.example.net", "QUIT"]);
}

#[tokio::test]
async fn starttls_454_keeps_what_was_learnt() {
    let script = vec![
        send(GREETING),
        Recv,
        send(EHLO_TLS),
        Recv,
        send("454 4.7.0 TLS not available due to local problem\r\n"),
        Recv,
        send("221 Bye\r\n"),
    ];
    let (outcome, commands) = converse(script, T).await;
    let f = failed(outcome);
    assert!(matches!(
        f.error,
        SmtpError::Rejected {
            step: Step::Starttls,
            reply: Reply { code: 454, .. }
        }
    ));
    assert!(f.error.is_transient());
    assert!(f.info.starttls);
    assert_eq!(f.info.greeting.len(), 2);
    assert_eq!(commands, ["EHLO probe.example.net", "STARTTLS", "QUIT"]);
}

#[tokio::test]
async fn bytes_after_the_starttls_220_are_injection() {
    let script = vec![
        send("220 mx.example.test\r\n"),
        Recv,
        send(EHLO_TLS),
        Recv,
        send("220 2.0.0 Ready to start TLS\r\n250 injected\r\n"),
    ];
    let (outcome, _) = converse(script, T).await;
    let f = failed(outcome);
    let SmtpError::Injection { bytes, preview } = &f.error else {
        panic!("{:?}", f.error)
    };
    assert_eq!(*bytes, 14);
    assert_eq!(preview, "250 injected\\r\\n");
    assert_eq!(
        f.to_string(),
        "server sent 14 bytes after its STARTTLS 220 before the TLS handshake: \"250 injected\\r\\n\""
    );
}

/// A stream that returns one byte per read, so that the 220 is read exactly
/// and the injected bytes are still waiting in the pipe, not in our buffer.
struct OneByteReads(DuplexStream);

impl AsyncRead for OneByteReads {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut one = [0u8; 1];
        let mut small = ReadBuf::new(&mut one);
        let result = Pin::new(&mut self.0).poll_read(cx, &mut small);
        buf.put_slice(small.filled());
        result
    }
}

impl AsyncWrite for OneByteReads {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        b: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, b)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn injection_not_yet_read_is_detected_too() {
    let script = vec![
        send("220 mx.example.test\r\n"),
        Recv,
        send(EHLO_TLS),
        Recv,
        send("220 2.0.0 Ready to start TLS\r\n250 injected\r\n"),
    ];
    let (outcome, commands) = converse_with(dialogue(T), script, OneByteReads).await;
    let f = failed(outcome);
    assert!(
        matches!(&f.error, SmtpError::Injection { bytes: 1, preview } if preview == "2"),
        "{:?}",
        f.error
    );
    assert_eq!(commands, ["EHLO probe.example.net", "STARTTLS"]);
}

#[tokio::test]
async fn one_byte_reads_still_make_a_clean_ready_stream() {
    let script = vec![
        send(GREETING),
        Recv,
        send(EHLO_TLS),
        Recv,
        send("220 2.0.0 Ready to start TLS\r\n"),
    ];
    let (outcome, _) = converse_with(dialogue(T), script, OneByteReads).await;
    assert!(matches!(outcome, Outcome::Ready(_)), "{outcome:?}");
}

#[tokio::test]
async fn eof_mid_reply() {
    let script = vec![
        send("220 mx.example.test\r\n"),
        Recv,
        send("250-mx.example.test\r\n"),
        Close,
    ];
    let (outcome, _) = converse(script, T).await;
    let f = failed(outcome);
    assert!(matches!(f.error, SmtpError::Closed { step: Step::Ehlo }));
    assert!(!f.error.is_transient());
}

#[tokio::test]
async fn eof_before_greeting_is_transient() {
    let (outcome, _) = converse(vec![Close], T).await;
    let f = failed(outcome);
    assert!(matches!(
        f.error,
        SmtpError::Closed {
            step: Step::Greeting
        }
    ));
    assert!(f.error.is_transient());
}

#[tokio::test]
async fn over_long_line() {
    let line = format!("220 {}\r\n", "x".repeat(2 * MAX_LINE));
    let (outcome, commands) = converse(vec![send(&line)], T).await;
    let f = failed(outcome);
    assert!(matches!(
        f.error,
        SmtpError::LineTooLong {
            step: Step::Greeting,
            limit: MAX_LINE
        }
    ));
    assert!(commands.is_empty());
}

#[tokio::test]
async fn too_many_lines() {
    let lines = "220-mx.example.test\r\n".repeat(MAX_LINES + 10);
    let (outcome, _) = converse(vec![send(&lines)], T).await;
    assert!(matches!(
        failed(outcome).error,
        SmtpError::TooManyLines {
            step: Step::Greeting,
            limit: MAX_LINES
        }
    ));
}

#[tokio::test]
async fn garbage_and_unexpected_greetings() {
    let (outcome, commands) = converse(vec![send("SSH-2.0-OpenSSH_9.6\r\n")], T).await;
    let f = failed(outcome);
    assert!(matches!(
        f.error,
        SmtpError::Malformed {
            step: Step::Greeting,
            ..
        }
    ));
    assert_eq!(
        f.to_string(),
        "malformed greeting: line does not start with a three-digit code: \"SSH-\""
    );
    assert!(commands.is_empty());

    let (outcome, _) = converse(vec![send("250 hello?\r\n")], T).await;
    assert!(matches!(
        failed(outcome).error,
        SmtpError::UnexpectedReply {
            step: Step::Greeting,
            reply: Reply { code: 250, .. }
        }
    ));
}

#[tokio::test]
async fn silence_times_out() {
    let started = Instant::now();
    let script = vec![send("220 mx.example.test\r\n"), Recv];
    let (outcome, commands) = converse(script, Duration::from_millis(150)).await;
    let f = failed(outcome);
    assert!(matches!(
        f.error,
        SmtpError::Timeout {
            step: Step::Ehlo,
            sending: false,
            ..
        }
    ));
    assert_eq!(f.to_string(), "no reply to EHLO within 0.15s");
    assert!(f.error.is_transient());
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(commands, ["EHLO probe.example.net"]);
}

#[tokio::test]
async fn a_dripping_greeting_cannot_stretch_the_step() {
    // 40 bytes at 20 ms each would take 800 ms; the step allows 200 ms.
    let greeting = b"220 mx.example.test slowly, slowly...\r\n".to_vec();
    let script = vec![Drip(greeting, Duration::from_millis(20))];
    let started = Instant::now();
    let (outcome, _) = converse(script, Duration::from_millis(200)).await;
    let elapsed = started.elapsed();
    assert!(matches!(
        failed(outcome).error,
        SmtpError::Timeout {
            step: Step::Greeting,
            ..
        }
    ));
    assert!(elapsed < Duration::from_millis(700), "{elapsed:?}");
}

#[tokio::test]
async fn the_timeout_is_per_step_not_per_dialogue() {
    // At 5 ms a byte the replies take about 200, 340 and 200 ms: each within
    // the 600 ms step limit, the whole dialogue well beyond it.
    let pause = Duration::from_millis(5);
    let script = vec![
        Drip(b"220 mx.example.test ESMTP, a bit slow\r\n".to_vec(), pause),
        Recv,
        Drip(EHLO_TLS.as_bytes().to_vec(), pause),
        Recv,
        Drip(b"220 2.0.0 Ready to start TLS, at last\r\n".to_vec(), pause),
    ];
    let (outcome, _) = converse(script, Duration::from_millis(600)).await;
    assert!(matches!(outcome, Outcome::Ready(_)), "{outcome:?}");
}

#[tokio::test]
async fn an_unsafe_ehlo_name_sends_nothing() {
    let d = Dialogue {
        ehlo_name: "x\r\nMAIL FROM:<a@b>".into(),
        timeout: T,
    };
    assert!(d.validate().is_err());
    let (outcome, commands) = converse_with(d, vec![send("220 mx.example.test\r\n")], |s| s).await;
    assert!(matches!(
        failed(outcome).error,
        SmtpError::InvalidEhloName { .. }
    ));
    assert!(commands.is_empty());
    for bad in ["", "two words", "tab\there", "ünicode.example"] {
        let d = Dialogue {
            ehlo_name: bad.into(),
            timeout: T,
        };
        assert!(d.validate().is_err(), "{bad:?}");
    }
    assert!(dialogue(T).validate().is_ok());
}

#[tokio::test]
async fn quit_after_tls_waits_for_221() {
    let (client, server) = duplex(4096);
    let server = tokio::spawn(peer(server, vec![Recv, send("221 2.0.0 Bye\r\n")]));
    let mut client = client;
    let reply = quit(&mut client, T).await.unwrap();
    assert_eq!(reply.code, 221);
    drop(client);
    assert_eq!(server.await.unwrap(), ["QUIT"]);

    let (mut client, server) = duplex(4096);
    let _server = tokio::spawn(peer(server, vec![Recv]));
    let err = quit(&mut client, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        SmtpError::Timeout {
            step: Step::Quit,
            ..
        }
    ));
}

#[test]
fn host_words() {
    let cases = [
        ("mx.example.org ESMTP", Some("mx.example.org")),
        ("mx1.mail-eu.example.org", Some("mx1.mail-eu.example.org")),
        (
            "EXCH01.corp.local Microsoft ESMTP MAIL Service",
            Some("EXCH01.corp.local"),
        ),
        ("mx.example.org. ready", Some("mx.example.org.")),
        ("[192.0.2.1] ESMTP", Some("[192.0.2.1]")),
        ("[IPv6:2001:db8::1]", Some("[IPv6:2001:db8::1]")),
        ("ESMTP Postfix", None),
        ("Hello", None),
        ("*** welcome ***", None),
        ("", None),
        ("-bad.example.org", None),
        ("a..b", None),
        ("mx.ex\u{fffd}mple.org", None),
    ];
    for (line, host) in cases {
        assert_eq!(host_word(line).as_deref(), host, "{line:?}");
    }
}
