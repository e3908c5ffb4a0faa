//! Scripted TLS sides: servers OpenSSL 3 cannot be (issue 17).
//!
//! With [`ServerConfig::scripted()`](super::ServerConfig::scripted()) the test
//! server speaks SMTP exactly as always (greeting, EHLO, STARTTLS, the same
//! [`Persona`](super::Persona) and connection counting), but after its
//! `220` to STARTTLS no TLS stack answers: it reads the client's first
//! record (a TLS ClientHello or an SSLv2 CLIENT-HELLO), parses it
//! minimally ([`ClientHello`]) and answers with hand-built bytes: an SSLv2
//! SERVER-HELLO, a ServerHello choosing an export cipher or DEFLATE, a
//! ServerHello without `renegotiation_info`, a bleeding heartbeat
//! response, silence to an early ChangeCipherSpec.
//!
//! What it does not do: finish a handshake. It never derives keys, so
//! every connection ends with the client giving up or with an alert; the
//! Certificate it sends is the test certificate `mx-rsa`, and it sends no
//! ServerKeyExchange (a client that picked DHE or ECDHE aborts at the
//! ServerHelloDone). What it received is in [`Session::scripted`](super::Session::scripted).

use std::io;

use openssl::x509::X509;

use crate::testkit::pki::cert;
use crate::tls::Protocol;

mod answer;
mod hello;
mod wire;

#[cfg(test)]
mod tests;

pub use hello::ClientHello;
pub(super) use wire::serve;

/// Which scripted server answers after STARTTLS. Each says which real
/// servers it stands for; unless a variant says otherwise, a TLS script
/// accepts TLS 1.0–1.2 (a record version of the client's `client_version`
/// capped at its highest), prefers AES128-SHA (`0x002F`, RSA key exchange:
/// its flight is then complete) over ECDHE-RSA-AES128-GCM-SHA256
/// (`0xC02F`, TLS 1.2 only), echoes `renegotiation_info` (RFC 5746) when
/// the client offered it or the SCSV `0x00FF`, ignores TLS_FALLBACK_SCSV,
/// answers a heartbeat record (content type 24) and a ChangeCipherSpec
/// before the client's key exchange with `unexpected_message` (10), the
/// client's Finished with `handshake_failure` (40), and refuses a hello it
/// cannot read with `decode_error` (50).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Script {
    /// An SSL 2.0 server (OpenSSL 0.9.8 with SSLv2 on). An SSLv2
    /// CLIENT-HELLO, or an SSLv2-compatible hello, gets a SERVER-HELLO with
    /// the test certificate and the specs of [`SSLV2_SPECS`] it offered;
    /// none offered: an ERROR message NO-CIPHER-ERROR (`0x0001`). A hello
    /// in TLS format gets `handshake_failure` (40).
    Sslv2,
    /// An export-era server: SSL 3.0 up to `max`, picking in this order
    /// the first offered of [`EXPORT_SUITES`]; none offered:
    /// `handshake_failure` (40).
    Export {
        /// The highest version it negotiates (the lab's: TLS 1.0).
        max: Protocol,
    },
    /// OpenSSL 1.0.1 with heartbeats (RFC 6520): echoes the `heartbeat`
    /// extension (mode 1) when offered, and answers heartbeat requests the
    /// client sends before the handshake ends as `reply` says.
    Heartbeat(HeartbeatReply),
    /// A server with TLS compression (CRIME, CVE-2012-4929): picks DEFLATE
    /// (method 1) whenever the client offers it.
    Compression,
    /// A server from before RFC 5746: its ServerHello never carries
    /// `renegotiation_info`, whatever the client offered.
    NoRenegotiation,
    /// A TLS 1.0–1.2 server; `scsv` honours TLS_FALLBACK_SCSV (RFC 7507):
    /// a hello with `0x5600` and a `client_version` below TLS 1.2 gets
    /// `inappropriate_fallback` (86). Without, it carries on.
    Fallback {
        /// Whether it honours TLS_FALLBACK_SCSV.
        scsv: bool,
    },
    /// OpenSSL before 1.0.1h (CVE-2014-0224) when `vulnerable`: a
    /// ChangeCipherSpec before the client's key exchange is read and
    /// answered with silence. Not vulnerable: `unexpected_message` (10),
    /// as every other script.
    CcsInjection {
        /// Whether it accepts the early ChangeCipherSpec.
        vulnerable: bool,
    },
}

/// How [`Script::Heartbeat`] answers a heartbeat request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeartbeatReply {
    /// Heartbleed (CVE-2014-0160): the response claims and carries as many
    /// payload bytes as the request claimed, whatever it really sent; the
    /// bytes beyond it are filler (`leaked memory `, repeated). A response
    /// longer than a record is split, as OpenSSL 1.0.1f did.
    Bleed,
    /// Fixed as RFC 6520 §4 says: a request claiming more than it carries
    /// is discarded silently; an honest one is echoed.
    Discard,
    /// No heartbeat support: the extension is not echoed and a heartbeat
    /// record gets `unexpected_message` (10).
    Alert,
}

/// The SSLv2 cipher specs [`Script::Sslv2`] supports, in its order:
/// RC4_128_WITH_MD5, RC4_128_EXPORT40_WITH_MD5, DES_192_EDE3_CBC_WITH_MD5,
/// DES_64_CBC_WITH_MD5.
pub const SSLV2_SPECS: [u32; 4] = [0x01_0080, 0x02_0080, 0x07_00C0, 0x06_0040];

/// The suites [`Script::Export`] picks from, in its order:
/// TLS_RSA_EXPORT_WITH_RC4_40_MD5, TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5,
/// TLS_RSA_EXPORT_WITH_DES40_CBC_SHA, TLS_RSA_WITH_DES_CBC_SHA,
/// TLS_DHE_RSA_WITH_DES_CBC_SHA, TLS_RSA_WITH_AES_128_CBC_SHA.
pub const EXPORT_SUITES: [u16; 6] = [0x0003, 0x0006, 0x0008, 0x0009, 0x0015, 0x002F];

/// What a scripted server received and sent on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedSession {
    /// The client's first flight, or why it was not a hello the server
    /// could read (garbage, truncated, closed before sending one).
    pub hello: Result<ClientHello, String>,
    /// What the server sent, in order.
    pub answers: Vec<Answer>,
    /// The records the client sent after its hello (at most
    /// [`RECORDS_KEPT`]), in TLS framing; none after an SSLv2 exchange.
    pub records: Vec<Record>,
}

/// Something a scripted server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// ServerHello, Certificate, ServerHelloDone.
    ServerHello {
        /// `server_version`, e.g. `0x0301`.
        version: u16,
        /// The suite chosen.
        cipher_suite: u16,
        /// The compression method chosen.
        compression: u8,
        /// The extension types in the ServerHello, in order.
        extensions: Vec<u16>,
    },
    /// An SSLv2 SERVER-HELLO listing these specs.
    Sslv2ServerHello {
        /// The specs, in the server's order.
        specs: Vec<u32>,
    },
    /// An SSLv2 ERROR message with this code (`0x0001` NO-CIPHER-ERROR).
    Sslv2Error(u16),
    /// A fatal alert with this description (RFC 5246 §7.2).
    Alert(u8),
    /// A heartbeat response.
    HeartbeatResponse {
        /// The `payload_length` it claims (and carries).
        payload_length: u16,
        /// Payload bytes beyond what the request carried: more than zero is
        /// Heartbleed.
        leaked: usize,
    },
}

/// Records kept per session in [`ScriptedSession::records`].
pub const RECORDS_KEPT: usize = 100;
/// Bytes kept of each record's body in [`Record::body`].
pub const RECORD_BODY_KEPT: usize = 256;

/// One TLS record a client sent after its hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 20 ChangeCipherSpec, 21 alert, 22 handshake, 23 application data,
    /// 24 heartbeat.
    pub content_type: u8,
    /// The record's version.
    pub version: u16,
    /// The length of its body.
    pub length: usize,
    /// The first [`RECORD_BODY_KEPT`] bytes of its body.
    pub body: Vec<u8>,
}

/// A script with what it sends loaded: the test certificate's chain, DER.
#[derive(Debug)]
pub(super) struct Prepared {
    pub(super) script: Script,
    pub(super) chain: Vec<Vec<u8>>,
}

impl Prepared {
    /// Loads the test certificate `mx-rsa` (a fixture problem is
    /// `InvalidInput`).
    pub(super) fn new(script: &Script) -> io::Result<Prepared> {
        let invalid = |e: openssl::error::ErrorStack| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("scripted server certificate: {e}"),
            )
        };
        let chain = X509::stack_from_pem(&cert("mx-rsa").chain_pem)
            .map_err(invalid)?
            .iter()
            .map(|c| c.to_der())
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        Ok(Prepared {
            script: script.clone(),
            chain,
        })
    }
}

/// The version number on the wire (RFC 5246 Appendix E, RFC 6101).
pub(super) fn wire_version(p: Protocol) -> u16 {
    match p {
        Protocol::Ssl3 => 0x0300,
        Protocol::Tls1 => 0x0301,
        Protocol::Tls1_1 => 0x0302,
        Protocol::Tls1_2 => 0x0303,
        Protocol::Tls1_3 => 0x0304,
    }
}
