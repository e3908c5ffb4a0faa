//! What a mail server sends before TLS: reply parsing and the dialogue.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::Splits;
use crate::smtp::{
    Dialogue, Negotiated, Reply, ReplyError, ReplyParser, SmtpInfo, MAX_LINE, MAX_LINES,
    MAX_REPLY_BYTES, QUIT_WAIT,
};

/// What parsing a stream yielded: the replies, then the error or the
/// partial reply it ended in.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    replies: Vec<Reply>,
    error: Option<ReplyError>,
    partial: bool,
}

/// The reply parser. First byte: how to cut the rest into reads. The
/// replies and the error must be the same however the bytes arrive, every
/// reply must keep the limits, and its text must carry no control
/// characters.
pub fn smtp_reply(data: &[u8]) {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let whole = parse(&[input]);
    let reads = Splits::new(seed).cut(input, 1 + usize::from(seed % 64));
    let split = parse(&reads);
    assert_eq!(whole, split, "the split into reads changed the result");
    for reply in &whole.replies {
        check_reply(reply);
    }
}

fn parse(reads: &[&[u8]]) -> Parsed {
    let mut parser = ReplyParser::new();
    let mut replies = Vec::new();
    for read in reads {
        let mut rest = *read;
        while !rest.is_empty() {
            match parser.feed(rest) {
                Ok((used, reply)) => {
                    assert!(used <= rest.len(), "consumed more than it was given");
                    match reply {
                        Some(reply) => replies.push(reply),
                        None => assert_eq!(used, rest.len(), "stopped without a reply"),
                    }
                    // A reply ends with a line feed, so it consumed something.
                    assert!(used > 0, "consumed nothing");
                    rest = &rest[used..];
                }
                Err(error) => {
                    return Parsed {
                        replies,
                        error: Some(error),
                        partial: false,
                    }
                }
            }
        }
    }
    Parsed {
        replies,
        error: None,
        partial: !parser.is_empty(),
    }
}

fn check_reply(reply: &Reply) {
    assert!((200..=599).contains(&reply.code), "code {}", reply.code);
    assert!((1..=MAX_LINES).contains(&reply.lines.len()));
    let bytes: usize = reply.lines.iter().map(|l| l.len()).sum();
    // U+FFFD takes three bytes where the input had one.
    assert!(bytes <= 3 * MAX_REPLY_BYTES);
    for line in &reply.lines {
        assert!(line.len() <= 3 * MAX_LINE);
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "{line:?}"
        );
    }
    // The code, a space, at most 300 characters of text (the lines joined
    // by spaces), then `…`.
    let shown = reply.to_string();
    let limit = 3 + 1 + 300 + 1;
    assert!(
        shown.chars().count() <= limit,
        "display is not cut: {shown:?}"
    );
    assert!(!shown.contains(['\r', '\n']));
}

/// The name the fuzzed dialogue sends.
const EHLO_NAME: &str = "probe.example";
/// Each step's timeout in the fuzzed dialogue (virtual time).
const STEP: Duration = Duration::from_secs(10);

/// The whole dialogue against a server whose bytes are the input. First
/// byte: bit 0 set makes the server go silent (rather than close) when its
/// bytes run out; the rest cut the input into reads. Whatever the server
/// says, the client sends only `EHLO`, `STARTTLS` and `QUIT` in that order,
/// nothing after `QUIT`, finishes within its timeouts, and reports only
/// sanitised text.
pub fn smtp_dialogue(data: &[u8]) {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let reads = Splits::new(control >> 1).cut(input, 1 + usize::from(control >> 2));
    let server = Script {
        reads: reads.into_iter().map(<[u8]>::to_vec).collect(),
        silent_at_end: control & 1 == 1,
        written: Vec::new(),
    };
    let dialogue = Dialogue {
        ehlo_name: EHLO_NAME.into(),
        timeout: STEP,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime");
    let (result, elapsed) = runtime.block_on(async {
        let start = tokio::time::Instant::now();
        let mut server = server;
        let result = dialogue.starttls(&mut server).await.map(|n| match n {
            Negotiated::Ready { info, .. } => (true, info),
            Negotiated::NoStartTls { info } => (false, info),
        });
        let unread = server.reads.iter().map(Vec::len).sum::<usize>();
        (result.map(|r| (r, server.written, unread)), start.elapsed())
    });
    // The greeting, the replies to EHLO and STARTTLS, and the one QUIT's
    // reply, each within its limit (writes to this server never wait; the
    // timer wheel may add a millisecond).
    let bound = 3 * STEP + QUIT_WAIT + Duration::from_millis(10);
    assert!(elapsed <= bound, "took {elapsed:?}, more than {bound:?}");
    match result {
        Ok(((ready, info), written, unread)) => {
            let commands = commands(&written);
            check_info(&info);
            if ready {
                assert!(info.starttls);
                // RFC 3207 §6: nothing the server sent after its 220 may
                // be waiting to be read as if it came over TLS.
                assert_eq!(unread, 0, "bytes after the STARTTLS 220");
                assert_eq!(commands, ["EHLO", "STARTTLS"]);
            } else {
                assert!(!info.starttls);
                assert_eq!(commands, ["EHLO", "QUIT"]);
            }
        }
        Err(failure) => {
            check_info(&failure.info);
            // One line; a tab from the server's text may stay.
            let text = failure.error.to_string();
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\t'),
                "{text:?}"
            );
        }
    }
}

/// The command lines a client wrote, checked for their order.
fn commands(written: &[u8]) -> Vec<&str> {
    let text = std::str::from_utf8(written).expect("commands are ASCII");
    assert!(text.is_empty() || text.ends_with("\r\n"), "{text:?}");
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    let allowed = [
        &[][..],
        &["EHLO"][..],
        &["EHLO", "QUIT"][..],
        &["EHLO", "STARTTLS"][..],
        &["EHLO", "STARTTLS", "QUIT"][..],
    ];
    let verbs: Vec<&str> = lines
        .iter()
        .map(|l| match *l {
            "STARTTLS" | "QUIT" => l,
            _ => {
                assert_eq!(l.strip_prefix("EHLO "), Some(EHLO_NAME), "sent {l:?}");
                "EHLO"
            }
        })
        .collect();
    assert!(allowed.contains(&&verbs[..]), "sent {lines:?}");
    verbs
}

fn check_info(info: &SmtpInfo) {
    let texts = info
        .greeting
        .iter()
        .chain(&info.extensions)
        .chain(&info.banner_host)
        .chain(&info.ehlo_host)
        .chain(&info.software.version)
        .chain(&info.software.evidence);
    for text in texts {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\t'),
            "{text:?}"
        );
    }
    // What the greeting and EHLO reply make of the software stays short,
    // whatever they say.
    let sw = &info.software;
    assert!(sw.version.as_ref().is_none_or(|v| v.len() <= 32), "{sw:?}");
    assert!(
        sw.evidence
            .as_ref()
            .is_none_or(|e| e.chars().count() <= 200),
        "{sw:?}"
    );
    for host in info.banner_host.iter().chain(&info.ehlo_host) {
        assert!(!host.is_empty() && host.len() <= 254, "{host:?}");
        assert!(!host.contains(char::is_whitespace), "{host:?}");
    }
}

/// A server that sends prepared reads, then closes or goes silent, and
/// keeps what the client writes.
struct Script {
    reads: VecDeque<Vec<u8>>,
    silent_at_end: bool,
    written: Vec<u8>,
}

impl AsyncRead for Script {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let Some(mut read) = self.reads.pop_front() else {
            // Silent: nothing will ever wake this read; the dialogue's
            // timeout ends it. Closed: end of file.
            return if self.silent_at_end {
                Poll::Pending
            } else {
                Poll::Ready(Ok(()))
            };
        };
        if read.len() > buf.remaining() {
            let rest = read.split_off(buf.remaining());
            self.reads.push_front(rest);
        }
        buf.put_slice(&read);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Script {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        // A client sending more than a few commands is already wrong.
        assert!(self.written.len() < 4096, "the client keeps writing");
        self.written.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
