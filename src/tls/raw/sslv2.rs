//! SSLv2 (draft-hickman-netscape-ssl-00, prohibited by RFC 6176): the
//! CLIENT-HELLO a probe sends, and the SERVER-HELLO and ERROR a server
//! answers with.
//!
//! A record here has a two-byte header with the high bit set and a 15-bit
//! length; the three-byte form (with padding) only carries encrypted data.

use super::RawError;

/// `SSL_CK_RC4_128_WITH_MD5`.
pub(crate) const RC4_128_WITH_MD5: u32 = 0x01_0080;
/// `SSL_CK_RC4_128_EXPORT40_WITH_MD5`.
pub(crate) const RC4_128_EXPORT40_WITH_MD5: u32 = 0x02_0080;
/// `SSL_CK_RC2_128_CBC_WITH_MD5`.
pub(crate) const RC2_128_CBC_WITH_MD5: u32 = 0x03_0080;
/// `SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5`.
pub(crate) const RC2_128_CBC_EXPORT40_WITH_MD5: u32 = 0x04_0080;
/// `SSL_CK_IDEA_128_CBC_WITH_MD5`.
pub(crate) const IDEA_128_CBC_WITH_MD5: u32 = 0x05_0080;
/// `SSL_CK_DES_64_CBC_WITH_MD5`.
pub(crate) const DES_64_CBC_WITH_MD5: u32 = 0x06_0040;
/// `SSL_CK_DES_192_EDE3_CBC_WITH_MD5`.
pub(crate) const DES_192_EDE3_CBC_WITH_MD5: u32 = 0x07_00C0;

/// The seven SSLv2 cipher kinds with their names, in code order.
pub(crate) const SSLV2_CIPHERS: [(u32, &str); 7] = [
    (RC4_128_WITH_MD5, "SSL_CK_RC4_128_WITH_MD5"),
    (
        RC4_128_EXPORT40_WITH_MD5,
        "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
    ),
    (RC2_128_CBC_WITH_MD5, "SSL_CK_RC2_128_CBC_WITH_MD5"),
    (
        RC2_128_CBC_EXPORT40_WITH_MD5,
        "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
    ),
    (IDEA_128_CBC_WITH_MD5, "SSL_CK_IDEA_128_CBC_WITH_MD5"),
    (DES_64_CBC_WITH_MD5, "SSL_CK_DES_64_CBC_WITH_MD5"),
    (
        DES_192_EDE3_CBC_WITH_MD5,
        "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
    ),
];

/// The name of an SSLv2 cipher kind (`SSL_CK_RC4_128_WITH_MD5`).
pub(crate) fn cipher_name(kind: u32) -> Option<&'static str> {
    SSLV2_CIPHERS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, n)| *n)
}

/// The version of SSLv2 itself.
pub(crate) const SSLV2_VERSION: u16 = 0x0002;

/// An SSLv2 CLIENT-HELLO. With `version` 0x0301 and TLS suites as
/// `0x00XXYY` cipher specs it is the "compatible" hello old clients sent
/// to TLS servers (RFC 5246 Appendix E.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sslv2ClientHello {
    /// 0x0002 for SSLv2; a TLS version for a compatible hello.
    pub(crate) version: u16,
    /// Three-byte cipher specs (only the low 24 bits are sent).
    pub(crate) cipher_specs: Vec<u32>,
    /// The challenge (16 bytes, as every SSLv2 client sent).
    pub(crate) challenge: [u8; 16],
}

impl Sslv2ClientHello {
    /// An SSLv2 hello offering all seven SSLv2 ciphers.
    pub(crate) fn all_ciphers() -> Sslv2ClientHello {
        Sslv2ClientHello {
            version: SSLV2_VERSION,
            cipher_specs: SSLV2_CIPHERS.iter().map(|(k, _)| *k).collect(),
            challenge: *b"mxprobe sslv2 ch",
        }
    }

    /// The record as sent: two-byte header, then the message.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        // At most 10_000 specs, so the message stays below the 15-bit
        // length (32767) of a two-byte header.
        let specs = &self.cipher_specs[..self.cipher_specs.len().min(10_000)];
        let mut body = vec![1]; // MSG-CLIENT-HELLO
        body.extend_from_slice(&self.version.to_be_bytes());
        body.extend_from_slice(&((specs.len() * 3) as u16).to_be_bytes());
        body.extend_from_slice(&0u16.to_be_bytes()); // session id length
        body.extend_from_slice(&(self.challenge.len() as u16).to_be_bytes());
        for spec in specs {
            body.extend_from_slice(&spec.to_be_bytes()[1..]);
        }
        body.extend_from_slice(&self.challenge);
        let len = body.len() as u16;
        let mut out = vec![0x80 | (len >> 8) as u8, len as u8];
        out.extend_from_slice(&body);
        out
    }
}

/// What an SSLv2 SERVER-HELLO says (the certificate itself is skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sslv2ServerHello {
    /// The server's version (0x0002).
    pub(crate) version: u16,
    /// The cipher kinds the server supports out of those offered (some
    /// servers list ones not offered: CVE-2015-3197 made that matter).
    pub(crate) cipher_specs: Vec<u32>,
    /// Length of the certificate sent.
    pub(crate) certificate_len: u16,
}

/// Parses an SSLv2 message (the record's body): a SERVER-HELLO, or an
/// ERROR whose code is returned as `Err(code)` inside the `Ok`.
pub(crate) fn parse_server_message(body: &[u8]) -> Result<Result<Sslv2ServerHello, u16>, RawError> {
    let malformed = |what| RawError::Malformed { what };
    match body.first() {
        // MSG-ERROR: NO-CIPHER 1, NO-CERTIFICATE 2, BAD-CERTIFICATE 4,
        // UNSUPPORTED-CERTIFICATE-TYPE 6.
        Some(0) if body.len() == 3 => Ok(Err(u16::from_be_bytes([body[1], body[2]]))),
        Some(0) => Err(malformed("SSLv2 ERROR of the wrong length")),
        Some(4) => {
            let field = |at: usize| u16::from_be_bytes([body[at], body[at + 1]]);
            if body.len() < 11 {
                return Err(malformed("SSLv2 SERVER-HELLO shorter than its header"));
            }
            let version = field(3);
            let certificate_len = field(5);
            let specs_len = usize::from(field(7));
            let connection_id_len = usize::from(field(9));
            if specs_len % 3 != 0 {
                return Err(malformed("SSLv2 cipher specs not a multiple of 3 bytes"));
            }
            let specs_at = 11 + usize::from(certificate_len);
            if specs_at + specs_len + connection_id_len != body.len() {
                return Err(malformed("SSLv2 SERVER-HELLO lengths disagree"));
            }
            let cipher_specs = body[specs_at..specs_at + specs_len]
                .chunks_exact(3)
                .map(|c| u32::from_be_bytes([0, c[0], c[1], c[2]]))
                .collect();
            Ok(Ok(Sslv2ServerHello {
                version,
                cipher_specs,
                certificate_len,
            }))
        }
        _ => Err(malformed(
            "SSLv2 record that is neither SERVER-HELLO nor ERROR",
        )),
    }
}
