//! The TLS stage: OpenSSL handshakes over a STARTTLS stream.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::cert::CertInfo;

/// A protocol version, spelt as OpenSSL and Exim log it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Protocol {
    /// SSL 3.0 (RFC 6101), prohibited by RFC 7568.
    #[serde(rename = "SSLv3")]
    Ssl3,
    /// TLS 1.0 (RFC 2246), deprecated by RFC 8996.
    #[serde(rename = "TLSv1")]
    Tls1,
    /// TLS 1.1 (RFC 4346), deprecated by RFC 8996.
    #[serde(rename = "TLSv1.1")]
    Tls1_1,
    /// TLS 1.2 (RFC 5246).
    #[serde(rename = "TLSv1.2")]
    Tls1_2,
    /// TLS 1.3 (RFC 8446).
    #[serde(rename = "TLSv1.3")]
    Tls1_3,
}

impl Protocol {
    /// Every version the prober can offer, oldest first.
    pub const ALL: [Protocol; 5] = [
        Protocol::Ssl3,
        Protocol::Tls1,
        Protocol::Tls1_1,
        Protocol::Tls1_2,
        Protocol::Tls1_3,
    ];

    /// The next older version, if any.
    pub fn older(self) -> Option<Protocol> {
        let i = Protocol::ALL.iter().position(|p| *p == self)?;
        i.checked_sub(1).map(|i| Protocol::ALL[i])
    }

    /// The name as OpenSSL and Exim log it (`TLSv1.2`), as in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Ssl3 => "SSLv3",
            Protocol::Tls1 => "TLSv1",
            Protocol::Tls1_1 => "TLSv1.1",
            Protocol::Tls1_2 => "TLSv1.2",
            Protocol::Tls1_3 => "TLSv1.3",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown protocol {s:?} (expected SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)"
                )
            })
    }
}

/// What one completed handshake negotiated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handshake {
    /// The version negotiated.
    pub protocol: Protocol,
    /// OpenSSL's name of the cipher (`ECDHE-RSA-AES256-GCM-SHA384`,
    /// `TLS_AES_256_GCM_SHA384`).
    pub cipher: String,
    /// Key bits of the cipher's algorithm (`168` for 3DES), as Exim logs
    /// them in `X=`.
    pub bits: u32,
    /// Key-exchange group (`x25519`, `secp256r1`, `X25519MLKEM768`, `ffdhe2048`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Size of the server's finite-field DH prime, for DHE key exchange.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u32>,
    /// The certificate chain as presented, leaf first.
    pub chain: Vec<CertInfo>,
}

impl Handshake {
    /// `PROTOCOL:CIPHER:BITS`, exactly as Exim logs it in `X=`.
    pub fn negotiated(&self) -> String {
        format!("{}:{}:{}", self.protocol, self.cipher, self.bits)
    }
}

pub(crate) mod cipher;
pub(crate) mod enumerate;
pub(crate) mod handshake;
pub(crate) mod handshakes;
pub(crate) mod iana;
pub(crate) mod incomplete;
pub(crate) mod legacy;
pub(crate) mod order;
pub(crate) mod plan;
pub(crate) mod raw;
pub(crate) mod settings;

pub use cipher::{Auth, CipherSpec, Kx};
pub use enumerate::{AcceptedCipher, Enumeration, GroupSupport, VersionScan};
pub use incomplete::{Incomplete, Part, Reason};
pub use legacy::{Checks, LegacyMode, LegacyScan};
pub use order::OrderType;
