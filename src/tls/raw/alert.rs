//! Alerts (RFC 8446 §6, RFC 5246 §7.2): how servers refuse a hello.

use std::fmt;

/// An alert record's two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Alert {
    /// 1 warning, 2 fatal.
    pub(crate) level: u8,
    /// What went wrong; see [`Alert::name`].
    pub(crate) description: u8,
}

/// unexpected_message: also the answer of a server that is not open to CCS
/// injection (CVE-2014-0224) to an early ChangeCipherSpec.
pub(crate) const UNEXPECTED_MESSAGE: u8 = 10;
/// handshake_failure: the usual "no cipher (or version) in common".
pub(crate) const HANDSHAKE_FAILURE: u8 = 40;
/// illegal_parameter.
pub(crate) const ILLEGAL_PARAMETER: u8 = 47;
/// decode_error.
pub(crate) const DECODE_ERROR: u8 = 50;
/// protocol_version: the offered version is refused.
pub(crate) const PROTOCOL_VERSION: u8 = 70;
/// insufficient_security: the offered ciphers are all too weak for it.
pub(crate) const INSUFFICIENT_SECURITY: u8 = 71;
/// internal_error.
pub(crate) const INTERNAL_ERROR: u8 = 80;
/// inappropriate_fallback: the answer to TLS_FALLBACK_SCSV in a downgraded
/// hello (RFC 7507).
pub(crate) const INAPPROPRIATE_FALLBACK: u8 = 86;
/// unrecognized_name: the server name is unknown to the server.
pub(crate) const UNRECOGNIZED_NAME: u8 = 112;

/// Every description of the TLS Alerts registry in use, by name.
const NAMES: &[(u8, &str)] = &[
    (0, "close_notify"),
    (UNEXPECTED_MESSAGE, "unexpected_message"),
    (20, "bad_record_mac"),
    (21, "decryption_failed"),
    (22, "record_overflow"),
    (30, "decompression_failure"),
    (HANDSHAKE_FAILURE, "handshake_failure"),
    (41, "no_certificate"),
    (42, "bad_certificate"),
    (43, "unsupported_certificate"),
    (44, "certificate_revoked"),
    (45, "certificate_expired"),
    (46, "certificate_unknown"),
    (ILLEGAL_PARAMETER, "illegal_parameter"),
    (48, "unknown_ca"),
    (49, "access_denied"),
    (DECODE_ERROR, "decode_error"),
    (51, "decrypt_error"),
    (60, "export_restriction"),
    (PROTOCOL_VERSION, "protocol_version"),
    (INSUFFICIENT_SECURITY, "insufficient_security"),
    (INTERNAL_ERROR, "internal_error"),
    (INAPPROPRIATE_FALLBACK, "inappropriate_fallback"),
    (90, "user_canceled"),
    (100, "no_renegotiation"),
    (109, "missing_extension"),
    (110, "unsupported_extension"),
    (111, "certificate_unobtainable"),
    (UNRECOGNIZED_NAME, "unrecognized_name"),
    (113, "bad_certificate_status_response"),
    (114, "bad_certificate_hash_value"),
    (115, "unknown_psk_identity"),
    (116, "certificate_required"),
    (120, "no_application_protocol"),
];

impl Alert {
    /// The description's registry name (`handshake_failure`), if it has one.
    pub(crate) fn name(self) -> Option<&'static str> {
        NAMES
            .iter()
            .find(|(d, _)| *d == self.description)
            .map(|(_, n)| *n)
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            1 => "warning",
            2 => "fatal",
            _ => "unknown-level",
        };
        match self.name() {
            Some(name) => write!(f, "{level} alert {name} ({})", self.description),
            None => write!(f, "{level} alert {}", self.description),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_display() {
        let a = |level, description| Alert { level, description };
        assert_eq!(a(2, 40).name(), Some("handshake_failure"));
        assert_eq!(a(2, 86).name(), Some("inappropriate_fallback"));
        assert_eq!(a(1, 112).name(), Some("unrecognized_name"));
        assert_eq!(a(2, 200).name(), None);
        assert_eq!(a(2, 70).to_string(), "fatal alert protocol_version (70)");
        assert_eq!(a(9, 201).to_string(), "unknown-level alert 201");
        let mut codes: Vec<u8> = NAMES.iter().map(|(d, _)| *d).collect();
        codes.dedup();
        assert_eq!(codes.len(), NAMES.len(), "sorted, no duplicates");
    }
}
