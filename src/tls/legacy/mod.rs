//! Beyond what OpenSSL 3 can offer: hand-written ClientHellos (see
//! [`super::raw`]) ask a server about SSLv2, the suites no OpenSSL 3 has
//! (EXPORT, single DES, RC2, IDEA, GOST, PSK, SRP, KRB5, static DH …), and
//! the classic checks testssl.sh runs over STARTTLS: secure renegotiation,
//! TLS compression (CRIME), Heartbleed, CCS injection (CVE-2014-0224) and
//! downgrade protection (TLS_FALLBACK_SCSV, RFC 7507).
//!
//! Only the server's first answer is read (ServerHello, SSLv2 SERVER-HELLO
//! or an alert); no handshake is ever completed, so every question is a
//! failed handshake to the server, asked on a session of the same pool and
//! counted like every other. The checks ride on as few ClientHellos as
//! possible: one hello asks for renegotiation_info, DEFLATE and heartbeat
//! at once (and, where the heartbeat is on, the Heartbleed request follows
//! on the same connection); CCS injection and the fallback check need a
//! connection each. The suites OpenSSL lacks are enumerated only where the
//! OpenSSL pass showed the server accepts SSLv3 or legacy ciphers (RC4,
//! 3DES, NULL, anonymous, EXPORT, DES), or nothing at all (`--legacy`
//! forces or skips it); TLS 1.0 and 1.1 alone do not count (see
//! `probe::shows_legacy`).

use serde::{Deserialize, Serialize};

mod after;
pub(crate) mod probe;

/// What the hand-written ClientHellos found at one address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyScan {
    /// SSLv2 cipher specs the server offered in its SERVER-HELLO; empty
    /// when it refused SSLv2; absent when not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslv2: Option<Vec<String>>,
    /// Whether the suites OpenSSL cannot offer were asked about (those
    /// found are in the per-version lists, marked `raw`).
    #[serde(default)]
    pub suites_tested: bool,
    /// The classic checks.
    pub checks: Checks,
    /// What could not be asked, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
}

/// The classic checks; each `None` when it could not be asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checks {
    /// The server echoes renegotiation_info (RFC 5746).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_renegotiation: Option<bool>,
    /// The server picks DEFLATE when offered (CRIME).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<bool>,
    /// The server echoes the heartbeat extension (RFC 6520).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat: Option<bool>,
    /// The server answered a heartbeat request claiming more payload than
    /// it carried (CVE-2014-0160).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbleed: Option<bool>,
    /// The server took a ChangeCipherSpec before the key exchange without
    /// an alert (CVE-2014-0224).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccs_injection: Option<bool>,
    /// The server refused a fallback hello (TLS_FALLBACK_SCSV below its
    /// highest version) with inappropriate_fallback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_protected: Option<bool>,
}

/// When to enumerate the suites OpenSSL cannot offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegacyMode {
    /// Where the OpenSSL pass showed legacy versions or ciphers; the
    /// checks always.
    #[default]
    Auto,
    /// Everywhere.
    Always,
    /// Never, nor the checks: no hand-written hello at all.
    Never,
}
