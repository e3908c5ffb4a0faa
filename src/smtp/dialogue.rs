//! The client side of the conversation: greeting, EHLO, STARTTLS (or QUIT).

use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::timeout;

use super::error::{SmtpError, Step};
use super::reply::{escape, Reply, ReplyParser};
use super::SmtpInfo;

/// Longest wait for the 221 after a QUIT the dialogue sends on its own (the
/// answer is a courtesy; nothing depends on it).
pub const QUIT_WAIT: Duration = Duration::from_secs(2);
/// Injected bytes shown in [`SmtpError::Injection`].
use crate::limits::SMTP_INJECTION_PREVIEW as PREVIEW_BYTES;
/// Bytes requested per read. Reading ahead is safe: before the TLS handshake
/// the server has nothing legitimate to send after a reply except the next
/// reply, and whatever follows the STARTTLS 220 is reported, not dropped.
use crate::limits::SMTP_READ_CHUNK as READ_CHUNK;

/// The dialogue's settings.
#[derive(Debug, Clone)]
pub struct Dialogue {
    /// Sent as `EHLO <ehlo_name>`; see [`Dialogue::validate`].
    pub ehlo_name: String,
    /// Limit for each step: the whole greeting, and each command's write and
    /// its whole reply (however slowly the bytes arrive).
    pub timeout: Duration,
}

/// Where a successful dialogue ended.
pub enum Negotiated<S> {
    /// `220 ready`: the stream is positioned for the TLS ClientHello. No byte
    /// after the 220 was read, and none had arrived.
    Ready {
        /// The stream, for the TLS handshake.
        stream: S,
        /// What the server said before TLS.
        info: SmtpInfo,
    },
    /// STARTTLS not offered; QUIT was sent.
    NoStartTls {
        /// What the server said (no STARTTLS among its extensions).
        info: SmtpInfo,
    },
}

/// Shows the info only: the stream need not be `Debug`.
impl<S> std::fmt::Debug for Negotiated<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, info) = match self {
            Negotiated::Ready { info, .. } => ("Ready", info),
            Negotiated::NoStartTls { info } => ("NoStartTls", info),
        };
        f.debug_struct(name)
            .field("info", info)
            .finish_non_exhaustive()
    }
}

impl<S> Negotiated<S> {
    /// What the server said before TLS, either way.
    pub fn info(&self) -> &SmtpInfo {
        match self {
            Negotiated::Ready { info, .. } | Negotiated::NoStartTls { info } => info,
        }
    }
}

/// A failed dialogue with whatever was learnt before it failed.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct SmtpFailure {
    /// What the server said before the failure (greeting, EHLO lines); empty
    /// when it failed before the greeting.
    pub info: SmtpInfo,
    /// What failed, and in which step.
    #[source]
    pub error: SmtpError,
}

impl Dialogue {
    /// Checks that `ehlo_name` makes a valid single command line: printable
    /// ASCII without spaces, at most 255 bytes. Call it once at start-up;
    /// [`Dialogue::starttls`] checks again and sends nothing if it fails.
    pub fn validate(&self) -> Result<(), SmtpError> {
        let name = &self.ehlo_name;
        if !name.is_empty() && name.len() <= 255 && name.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(())
        } else {
            Err(SmtpError::InvalidEhloName { name: name.clone() })
        }
    }

    /// Greeting → EHLO → STARTTLS (or QUIT when it is not offered).
    pub async fn starttls<S>(&self, stream: S) -> Result<Negotiated<S>, SmtpFailure>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut info = SmtpInfo::default();
        match self.negotiate(stream, &mut info).await {
            Ok(Some(stream)) => Ok(Negotiated::Ready { stream, info }),
            Ok(None) => Ok(Negotiated::NoStartTls { info }),
            Err(error) => Err(SmtpFailure { info, error }),
        }
    }

    async fn negotiate<S>(&self, stream: S, info: &mut SmtpInfo) -> Result<Option<S>, SmtpError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        self.validate()?;
        let mut wire = Wire::new(stream, self.timeout);

        let greeting = wire.reply(Step::Greeting).await?;
        if greeting.code != 220 {
            return Err(SmtpError::refusal(Step::Greeting, greeting));
        }
        info.banner_host = greeting.lines.first().and_then(|l| host_word(l));
        info.greeting = greeting.lines;
        // The banner alone, should EHLO fail.
        info.software = super::recognise(&info.greeting, &[]);

        let ehlo = format!("EHLO {}\r\n", self.ehlo_name);
        let ehlo = wire.command(Step::Ehlo, &ehlo).await?;
        if ehlo.code != 250 {
            return Err(wire.abandon(SmtpError::refusal(Step::Ehlo, ehlo)).await);
        }
        info.software = super::recognise(&info.greeting, &ehlo.lines);
        read_ehlo(info, ehlo);
        if !info.starttls {
            let _ = wire.quit(self.timeout.min(QUIT_WAIT)).await;
            return Ok(None);
        }

        let ready = wire.command(Step::Starttls, "STARTTLS\r\n").await?;
        if ready.code != 220 {
            return Err(wire
                .abandon(SmtpError::refusal(Step::Starttls, ready))
                .await);
        }
        wire.into_stream().await.map(Some)
    }
}

/// Sends `QUIT` and waits up to `timeout` for the 221. Meant for after the
/// TLS handshake, over the TLS stream (pass `&mut stream` to keep it); the
/// result is only informative and callers usually ignore it.
pub async fn quit<S>(stream: S, timeout: Duration) -> Result<Reply, SmtpError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    Wire::new(stream, timeout).quit(timeout).await
}

/// The stream plus the bytes read from it that are not parsed yet.
///
/// Invariant: `buf[start..end]` are bytes received after the last complete
/// reply; the parser holds only a partial reply, or nothing after a reply.
struct Wire<S> {
    stream: S,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    parser: ReplyParser,
    timeout: Duration,
}

impl<S> Wire<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    fn new(stream: S, timeout: Duration) -> Self {
        Wire {
            stream,
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            parser: ReplyParser::new(),
            timeout,
        }
    }

    async fn command(&mut self, step: Step, line: &str) -> Result<Reply, SmtpError> {
        self.send(step, line, self.timeout).await?;
        self.reply(step).await
    }

    async fn send(&mut self, step: Step, line: &str, limit: Duration) -> Result<(), SmtpError> {
        let stream = &mut self.stream;
        let write = async {
            stream.write_all(line.as_bytes()).await?;
            stream.flush().await
        };
        match timeout(limit, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(source)) => Err(SmtpError::Io { step, source }),
            Err(_) => Err(SmtpError::Timeout {
                step,
                after: limit,
                sending: true,
            }),
        }
    }

    /// One whole reply within the step's timeout, however it trickles in.
    async fn reply(&mut self, step: Step) -> Result<Reply, SmtpError> {
        self.reply_within(step, self.timeout).await
    }

    async fn reply_within(&mut self, step: Step, limit: Duration) -> Result<Reply, SmtpError> {
        match timeout(limit, self.read_reply(step)).await {
            Ok(result) => result,
            Err(_) => Err(SmtpError::Timeout {
                step,
                after: limit,
                sending: false,
            }),
        }
    }

    async fn read_reply(&mut self, step: Step) -> Result<Reply, SmtpError> {
        loop {
            if self.start < self.end {
                let (used, reply) = self
                    .parser
                    .feed(&self.buf[self.start..self.end])
                    .map_err(|e| SmtpError::from_reply_error(step, e))?;
                self.start += used;
                if let Some(reply) = reply {
                    return Ok(reply);
                }
            }
            // Everything buffered is in the parser now.
            let n = self
                .stream
                .read(&mut self.buf)
                .await
                .map_err(|source| SmtpError::Io { step, source })?;
            if n == 0 {
                return Err(SmtpError::Closed { step });
            }
            (self.start, self.end) = (0, n);
        }
    }

    /// After a refusal, say goodbye unless the server already did (421 means
    /// it is closing the connection).
    async fn abandon(&mut self, error: SmtpError) -> SmtpError {
        if matches!(&error, SmtpError::Rejected { reply, .. } if reply.code != 421) {
            let _ = self.quit(self.timeout.min(QUIT_WAIT)).await;
        }
        error
    }

    async fn quit(&mut self, limit: Duration) -> Result<Reply, SmtpError> {
        self.send(Step::Quit, "QUIT\r\n", limit).await?;
        let reply = self.reply_within(Step::Quit, limit).await?;
        if reply.code == 221 {
            Ok(reply)
        } else {
            Err(SmtpError::refusal(Step::Quit, reply))
        }
    }

    /// The stream, positioned right after the last reply, provided no byte
    /// follows that reply: neither in our buffer nor already arrived at the
    /// socket. Anything there is the STARTTLS injection this reports.
    async fn into_stream(mut self) -> Result<S, SmtpError> {
        let mut seen = self.buf[self.start..self.end].to_vec();
        let buffered = seen.len();
        let mut probe = [0u8; PREVIEW_BYTES];
        let arrived = read_if_ready(&mut self.stream, &mut probe).await;
        seen.extend_from_slice(&probe[..arrived]);
        if seen.is_empty() {
            return Ok(self.stream);
        }
        seen.truncate(PREVIEW_BYTES);
        Err(SmtpError::Injection {
            bytes: buffered + arrived,
            preview: escape(&seen),
        })
    }
}

/// Reads what the stream has ready right now, without waiting: 0 when
/// nothing has arrived (or on EOF or an error, which the TLS handshake will
/// meet and report in its own terms).
async fn read_if_ready<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut [u8]) -> usize {
    poll_fn(|cx| {
        let mut read = ReadBuf::new(buf);
        match Pin::new(&mut *stream).poll_read(cx, &mut read) {
            Poll::Ready(Ok(())) => Poll::Ready(read.filled().len()),
            Poll::Ready(Err(_)) | Poll::Pending => Poll::Ready(0),
        }
    })
    .await
}

/// RFC 5321 §4.1.1.1: the first line names the server, the others are
/// extensions, each a keyword and parameters.
fn read_ehlo(info: &mut SmtpInfo, reply: Reply) {
    let mut lines = reply.lines.into_iter();
    info.ehlo_host = lines.next().as_deref().and_then(host_word);
    info.extensions = lines.collect();
    info.starttls = info.extensions.iter().any(|line| {
        line.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    });
}

/// The first word of a greeting or EHLO line, if it looks like a host name
/// (at least two labels) or an address literal; `ESMTP` or `Hello` do not.
fn host_word(line: &str) -> Option<String> {
    let word = line.split_whitespace().next()?;
    looks_like_host(word).then(|| word.to_string())
}

fn looks_like_host(word: &str) -> bool {
    if let Some(inner) = word.strip_prefix('[').and_then(|w| w.strip_suffix(']')) {
        return (2..=64).contains(&inner.len())
            && inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b':');
    }
    let name = word.strip_suffix('.').unwrap_or(word);
    name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
#[path = "dialogue_tests.rs"]
mod tests;
