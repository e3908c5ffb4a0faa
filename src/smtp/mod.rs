//! SMTP up to STARTTLS (RFC 5321, RFC 3207), and not one command further.
//!
//! The dialogue reads the greeting, sends `EHLO`, and either sends `STARTTLS`
//! and hands back the stream positioned for the TLS ClientHello, or sends
//! `QUIT` when STARTTLS is not offered. Those three commands (and `QUIT`
//! again after TLS, via [`quit`]) are all it ever sends: never `MAIL`,
//! `RCPT`, `DATA`, `BDAT`, `VRFY`, `EXPN`, `RSET` or `NOOP`, so a probe can
//! never deliver or verify mail. It never falls back to `HELO` either: a
//! server that rejects EHLO cannot negotiate STARTTLS (RFC 3207 §4).
//!
//! What comes from the network is bounded: every step has a timeout (for the
//! whole reply, not per byte, so a server dribbling one byte a second gains
//! nothing), and replies have limits on line length, line count and size
//! ([`MAX_LINE`], [`MAX_LINES`], [`MAX_REPLY_BYTES`]). Bytes a server sends
//! after its 220 to STARTTLS, before the handshake, are reported as
//! [`SmtpError::Injection`] (RFC 3207 §6) rather than silently dropped.
//!
//! Layout: [`reply`](ReplyParser) is the pure parser, `dialogue` the
//! conversation over any `AsyncRead + AsyncWrite` stream, `error` the
//! failures and their predicates, `software` what the replies say about
//! the server's software ([`recognise`], pure too). Nothing here opens
//! sockets or prints.

use serde::{Deserialize, Serialize};

mod dialogue;
mod ehlo;
mod error;
pub(crate) mod pool;
mod reply;
mod software;

pub use dialogue::{quit, Dialogue, Negotiated, SmtpFailure, QUIT_WAIT};
pub use ehlo::EhloName;
pub use error::{SmtpError, Step};
pub use reply::{Reply, ReplyError, ReplyParser, MAX_LINE, MAX_LINES, MAX_REPLY_BYTES};
pub use software::{recognise, Recognised, Software};

/// What the server said before TLS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpInfo {
    /// Text of the 220 greeting lines, without the reply code.
    pub greeting: Vec<String>,
    /// The host name the greeting announces (first word of the first line),
    /// when that word looks like a host name or address literal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner_host: Option<String>,
    /// The name the server gives in the first line of its EHLO reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ehlo_host: Option<String>,
    /// EHLO extension lines as sent (e.g. `SIZE 52428800`, `STARTTLS`).
    pub extensions: Vec<String>,
    /// Whether STARTTLS was advertised.
    pub starttls: bool,
    /// The mail server software, as the greeting and EHLO reply suggest
    /// ([`recognise`]); `unknown` in reports of versions before it.
    #[serde(default)]
    pub software: Recognised,
}
