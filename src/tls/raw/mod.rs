//! The raw handshake: hand-written ClientHellos and a parser of the server's
//! first answer, for what OpenSSL 3 cannot offer (issue 17): SSLv2, EXPORT,
//! single-DES, RC2, GOST, PSK, SRP and KRB5 suites, TLS compression,
//! Heartbleed's heartbeat and the CCS-injection probe.
//!
//! It works on any `AsyncRead + AsyncWrite` stream already past STARTTLS:
//! [`ask`] writes a hello ([`ClientHello`], [`Sslv2ClientHello`]) and reads
//! the server's first flight up to its ServerHello, SSLv2 SERVER-HELLO or
//! alert ([`Reply`]). Everything between is pure: the writers return bytes,
//! [`FirstFlightReader`] takes bytes.
//!
//! What it does not do:
//!
//! * Complete a handshake. No key is ever derived: the x25519 key share is a
//!   fixed public key (RFC 7748 §6.1) whose private half is published, and
//!   what the server says after its ServerHello (certificates, key
//!   exchange) is not read. The certificate chain comes from the OpenSSL
//!   prober.
//! * Read more than [`crate::limits::RAW_FIRST_FLIGHT_BYTES`] bytes or
//!   [`crate::limits::RAW_FIRST_FLIGHT_RECORDS`] records of an answer,
//!   whatever the server sends; a heartbeat response is classified from its
//!   first 8 bytes, so leaked memory is never read.
//! * Judge: whether an answer means "supported" is the prober's call.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::Protocol;

mod alert;
mod heartbeat;
mod hello;
mod reader;
mod registry;
mod registry_table;
mod reply;
mod sslv2;

#[cfg(test)]
mod hello_tests;
#[cfg(test)]
mod reply_tests;

pub(crate) use alert::Alert;
pub(crate) use heartbeat::{
    change_cipher_spec, heartbeat_request, read_heartbeat_reply, HeartbeatReply,
};
pub(crate) use hello::{ClientHello, Extension};
pub(crate) use reader::read_first_flight;
pub(crate) use registry::SUITES;
pub(crate) use reply::{Reply, ServerHello};
pub(crate) use sslv2::{cipher_name as sslv2_cipher_name, Sslv2ClientHello};

// For the tests and the fuzz target.
#[cfg(test)]
pub(crate) use hello::X25519_PUBLIC;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use reader::FirstFlightReader;
#[cfg(test)]
pub(crate) use sslv2::SSLV2_CIPHERS;

/// TLS record content types (RFC 8446 §5.1, RFC 6520 §3).
pub(crate) mod content {
    /// ChangeCipherSpec.
    pub(crate) const CHANGE_CIPHER_SPEC: u8 = 20;
    /// Alert.
    pub(crate) const ALERT: u8 = 21;
    /// Handshake.
    pub(crate) const HANDSHAKE: u8 = 22;
    /// Heartbeat (RFC 6520).
    pub(crate) const HEARTBEAT: u8 = 24;
}

/// Largest plaintext fragment of one record (RFC 8446 §5.1, RFC 5246
/// §6.2.1): the writers split longer messages.
pub(crate) const MAX_FRAGMENT: usize = 1 << 14;
/// Largest record body accepted from a server: a ciphertext may exceed the
/// plaintext limit by 2048 bytes (RFC 5246 §6.2.3).
pub(crate) const MAX_RECORD_BODY: usize = MAX_FRAGMENT + 2048;

/// The two-byte version of `protocol` on the wire (`0x0303` for TLS 1.2).
pub(crate) fn wire_version(protocol: Protocol) -> u16 {
    match protocol {
        Protocol::Ssl3 => 0x0300,
        Protocol::Tls1 => 0x0301,
        Protocol::Tls1_1 => 0x0302,
        Protocol::Tls1_2 => 0x0303,
        Protocol::Tls1_3 => 0x0304,
    }
}

/// The protocol a two-byte wire version stands for, if it is one of ours
/// (SSLv2 is `0x0002`, not a [`Protocol`]).
pub(crate) fn protocol_of(version: u16) -> Option<Protocol> {
    Protocol::ALL
        .into_iter()
        .find(|p| wire_version(*p) == version)
}

/// Why no answer could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RawError {
    /// The server closed the connection (EOF) first: many servers do so
    /// instead of sending an alert for a hello they refuse.
    #[error("connection closed after {read} bytes of the server's answer")]
    Closed {
        /// Bytes of the answer read before the end.
        read: usize,
    },
    /// Nothing (complete) within the timeout.
    #[error("no complete answer within {}s", after.as_secs_f32())]
    Timeout {
        /// The timeout that ran out.
        after: Duration,
    },
    /// The answer ran past a cap of [`crate::limits`] before ending.
    #[error("answer longer than {limit} {unit} without a ServerHello or alert")]
    TooLong {
        /// The cap.
        limit: usize,
        /// What is counted: `bytes` or `records`.
        unit: &'static str,
    },
    /// Bytes that are not what the protocol allows here.
    #[error("malformed answer: {what}")]
    Malformed {
        /// What is wrong, in a few words.
        what: &'static str,
    },
    /// A well-formed record that must not come before the ServerHello.
    #[error("unexpected record of content type {content_type} before the ServerHello")]
    UnexpectedRecord {
        /// Its content type.
        content_type: u8,
    },
    /// A well-formed handshake message that must not come before the
    /// ServerHello.
    #[error("unexpected handshake message of type {msg_type} before the ServerHello")]
    UnexpectedMessage {
        /// Its handshake type.
        msg_type: u8,
    },
    /// Reading or writing failed (typically a reset).
    #[error("i/o error: {detail}")]
    Io {
        /// The kind, for predicates.
        kind: io::ErrorKind,
        /// The socket's error, as text.
        detail: String,
    },
}

impl RawError {
    /// Closed or reset by the server: how many servers refuse a hello.
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            RawError::Closed { .. } => true,
            RawError::Io { kind, .. } => matches!(
                kind,
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            ),
            _ => false,
        }
    }

    /// The server stayed silent (or too slow).
    pub(crate) fn is_timeout(&self) -> bool {
        matches!(self, RawError::Timeout { .. })
    }
}

impl From<io::Error> for RawError {
    fn from(e: io::Error) -> Self {
        RawError::Io {
            kind: e.kind(),
            detail: e.to_string(),
        }
    }
}

/// Writes `hello` (from [`ClientHello::to_bytes`] or
/// [`Sslv2ClientHello::to_bytes`]) and reads the server's answer up to its
/// ServerHello, SSLv2 SERVER-HELLO or alert. Writing and reading each get
/// `timeout`. The stream is left where the answer ended, so a heartbeat or
/// ChangeCipherSpec can follow.
pub(crate) async fn ask<S>(
    stream: &mut S,
    hello: &[u8],
    timeout: Duration,
) -> Result<Reply, RawError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let write = async {
        stream.write_all(hello).await?;
        stream.flush().await
    };
    tokio::time::timeout(timeout, write)
        .await
        .map_err(|_| RawError::Timeout { after: timeout })??;
    read_first_flight(stream, timeout).await
}
