//! What a server answers a hello with, and the ServerHello parser (RFC 5246
//! §7.4.1.3, RFC 8446 §4.1.3).

use super::hello::ext;
use super::sslv2::Sslv2ServerHello;
use super::{Alert, RawError};

/// The server's first answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// A ServerHello (or a HelloRetryRequest, which TLS 1.3 spells as one).
    ServerHello(ServerHello),
    /// An SSLv2 SERVER-HELLO.
    Sslv2ServerHello(Sslv2ServerHello),
    /// An SSLv2 ERROR message with its code (1 NO-CIPHER-ERROR).
    Sslv2Error {
        /// The error code.
        code: u16,
    },
    /// An alert.
    Alert(Alert),
}

/// `random` of a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC
/// 8446 §4.1.3).
pub(crate) const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The last 8 bytes of the random of a TLS 1.3 server answering with TLS
/// 1.2 (`DOWNGRD\x01`) or lower (`DOWNGRD\x00`) (RFC 8446 §4.1.3).
#[cfg(test)]
const DOWNGRADE: &[u8; 7] = b"DOWNGRD";

/// What a ServerHello says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerHello {
    /// The version of the record that carried it (its first part).
    pub(crate) record_version: u16,
    /// `legacy_version` (`server_version` before TLS 1.3).
    pub(crate) version: u16,
    /// supported_versions' choice: set only by TLS 1.3 (`0x0304`).
    pub(crate) selected_version: Option<u16>,
    /// The server random.
    pub(crate) random: [u8; 32],
    /// The session id (at most 32 bytes).
    pub(crate) session_id: Vec<u8>,
    /// The chosen cipher suite.
    pub(crate) cipher: u16,
    /// The chosen compression method (1 DEFLATE).
    pub(crate) compression: u8,
    /// Extensions in order, as type and body.
    pub(crate) extensions: Vec<(u16, Vec<u8>)>,
    /// A HelloRetryRequest (TLS 1.3), known by its random.
    pub(crate) hello_retry_request: bool,
}

impl ServerHello {
    /// The negotiated version: supported_versions' if sent, else
    /// `legacy_version`.
    pub(crate) fn negotiated_version(&self) -> u16 {
        self.selected_version.unwrap_or(self.version)
    }

    /// The body of the first extension of type `kind`.
    pub(crate) fn extension(&self, kind: u16) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, body)| body.as_slice())
    }

    /// renegotiation_info was answered: secure renegotiation (RFC 5746).
    pub(crate) fn secure_renegotiation(&self) -> bool {
        self.extension(ext::RENEGOTIATION_INFO).is_some()
    }

    /// The heartbeat mode the server announced (1 peer_allowed_to_send).
    pub(crate) fn heartbeat_mode(&self) -> Option<u8> {
        self.extension(ext::HEARTBEAT)?.first().copied()
    }

    /// The group of key_share: the server's share in a ServerHello, the
    /// group asked for in a HelloRetryRequest.
    #[cfg(test)]
    pub(crate) fn key_share_group(&self) -> Option<u16> {
        match self.extension(ext::KEY_SHARE)? {
            [a, b, ..] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
    }

    /// The RFC 8446 downgrade sentinel: `Some(0x0303)` when a TLS 1.3 server
    /// marks a TLS 1.2 answer, `Some(0x0302)` for TLS 1.1 or below.
    #[cfg(test)]
    pub(crate) fn downgrade_sentinel(&self) -> Option<u16> {
        let (head, last) = self.random[24..].split_at(7);
        match (head == DOWNGRADE, last) {
            (true, [1]) => Some(0x0303),
            (true, [0]) => Some(0x0302),
            _ => None,
        }
    }
}

/// Parses a ServerHello's body (after the 4-byte handshake header).
pub(crate) fn parse_server_hello(
    record_version: u16,
    body: &[u8],
) -> Result<ServerHello, RawError> {
    let mut r = Cursor(body);
    let version = r.u16("ServerHello version")?;
    let random: [u8; 32] = r
        .take(32, "ServerHello random")?
        .try_into()
        .map_err(|_| malformed("ServerHello random"))?;
    let sid_len = usize::from(r.u8("ServerHello session id")?);
    if sid_len > 32 {
        return Err(malformed("ServerHello session id longer than 32 bytes"));
    }
    let session_id = r.take(sid_len, "ServerHello session id")?.to_vec();
    let cipher = r.u16("ServerHello cipher suite")?;
    let compression = r.u8("ServerHello compression method")?;
    let mut extensions = Vec::new();
    // SSLv3 and early TLS servers end here (RFC 5246 §7.4.1.3).
    if !r.0.is_empty() {
        let len = usize::from(r.u16("ServerHello extensions")?);
        let mut e = Cursor(r.take(len, "ServerHello extensions")?);
        if !r.0.is_empty() {
            return Err(malformed("bytes after the ServerHello extensions"));
        }
        while !e.0.is_empty() {
            let kind = e.u16("extension type")?;
            let len = usize::from(e.u16("extension length")?);
            extensions.push((kind, e.take(len, "extension body")?.to_vec()));
        }
    }
    let selected_version = match extensions
        .iter()
        .find(|(k, _)| *k == ext::SUPPORTED_VERSIONS)
    {
        Some((_, body)) => match body.as_slice() {
            [a, b] => Some(u16::from_be_bytes([*a, *b])),
            _ => return Err(malformed("supported_versions of the wrong length")),
        },
        None => None,
    };
    Ok(ServerHello {
        record_version,
        version,
        selected_version,
        random,
        session_id,
        cipher,
        compression,
        extensions,
        hello_retry_request: random == HRR_RANDOM,
    })
}

fn malformed(what: &'static str) -> RawError {
    RawError::Malformed { what }
}

/// Bytes not yet parsed; every read checks the length first.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], RawError> {
        if self.0.len() < n {
            return Err(malformed(what));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, RawError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, RawError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}
