//! SMTP up to STARTTLS (RFC 5321, RFC 3207), and not one command further.
//!
//! SKELETON: the interface below is fixed; the bodies are being written.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};

/// What the server said before TLS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpInfo {
    /// Text of the 220 greeting lines, without the reply code.
    pub greeting: Vec<String>,
    /// The host name the greeting announces (first word of the first line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner_host: Option<String>,
    /// The name the server gives in the first line of its EHLO reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ehlo_host: Option<String>,
    /// EHLO extension lines as sent (e.g. `SIZE 52428800`, `STARTTLS`).
    pub extensions: Vec<String>,
    /// Whether STARTTLS was advertised.
    pub starttls: bool,
}

/// A parsed SMTP reply (RFC 5321 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// The text of every line, without code and separator.
    pub lines: Vec<String>,
}

/// Why the dialogue failed.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("todo")]
    Todo,
}

/// The dialogue's settings.
#[derive(Debug, Clone)]
pub struct Dialogue {
    pub ehlo_name: String,
    pub timeout: Duration,
}

/// Where a successful dialogue ended.
pub enum Negotiated<S> {
    /// `220 ready`: the stream is positioned for the TLS ClientHello.
    Ready { stream: S, info: SmtpInfo },
    /// STARTTLS not offered; QUIT was sent.
    NoStartTls { info: SmtpInfo },
}

/// A failed dialogue with whatever was learnt before it failed.
#[derive(Debug)]
pub struct SmtpFailure {
    pub info: SmtpInfo,
    pub error: SmtpError,
}

impl Dialogue {
    pub async fn starttls<S>(&self, _stream: S) -> Result<Negotiated<S>, SmtpFailure>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        todo!()
    }
}

/// Say QUIT (over TLS or not) and wait briefly for the 221; errors ignored.
pub async fn quit<S>(_stream: &mut S, _timeout: Duration)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    todo!()
}
