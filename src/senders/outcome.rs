//! What a prediction starts from and what it gives: the measurements at
//! one address as far as a sender's outcome depends on them ([`Facts`]),
//! and one sender's outcome there ([`SenderOutcome`]).

use serde::{Deserialize, Serialize};

use crate::dane::DaneOutcome;
use crate::spelling::spelling;
use crate::tls::{Enumeration, Protocol};

/// What the scan measured at one address, as far as a sender's outcome
/// depends on it.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// How far the probe got.
    pub reached: Reached<'a>,
    /// The PKIX verdict for the MX name (a trusted chain, valid for the
    /// name); the error is one line.
    pub pkix: Result<(), &'a str>,
    /// The leaf's key: type (`RSA`, `EC`) and bits.
    pub leaf_key: Option<(&'a str, u32)>,
    /// DANE at the MX host, for this address.
    pub dane: DaneFacts<'a>,
    /// MTA-STS at the domain, for this MX host.
    pub mta_sts: StsFacts,
}

/// How far the probe of an address got.
#[derive(Debug, Clone, Copy)]
pub enum Reached<'a> {
    /// The server does not offer STARTTLS.
    NoStarttls,
    /// STARTTLS was accepted but no handshake succeeded, whatever was
    /// offered (the error, one line).
    HandshakeFailed(&'a str),
    /// Handshakes succeeded and enumeration measured the server.
    Enumerated(&'a Enumeration),
}

/// DANE for one address of an MX host (RFC 7672).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaneFacts<'a> {
    /// No usable, secure TLSA records: a DANE sender is opportunistic.
    NotApplicable,
    /// Secure TLSA records exist but none is usable: TLS is required,
    /// unauthenticated (RFC 7672 §2.2).
    Unusable,
    /// Usable records: the address's chain against them.
    Applies(Option<DaneOutcome>),
    /// A lookup was bogus: a DANE sender defers.
    Bogus,
    /// The scan could not tell (DNSSEC not validated through the
    /// nameservers it used): a DANE sender's outcome is unknown.
    Unknown(&'a str),
}

/// MTA-STS for one MX host (RFC 8461).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StsFacts {
    /// No policy in enforce mode.
    NotEnforced,
    /// The policy enforces; whether the host matches one of its `mx:`
    /// patterns.
    Enforced {
        /// The MX host is listed in the policy.
        listed: bool,
    },
    /// The scan did not look (`--no-mta-sts`), or the policy could not be
    /// fetched for a reason that is not the domain's.
    Unknown(&'static str),
}

/// What a sender ends up doing with the mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// Over TLS, and the server was authenticated (PKIX or DANE).
    Authenticated,
    /// Over TLS, unauthenticated.
    Encrypted,
    /// In clear text: no STARTTLS, or a failed handshake it falls back from.
    ClearText,
    /// It keeps the mail queued: TLS is required and fails, or the
    /// certificate is refused.
    Deferred,
    /// The handshake fails; what the sender does then is not documented.
    Failed,
    /// What the scan measured does not decide it (an untested version).
    Unknown,
}

spelling!(Delivery {
    Authenticated => "authenticated",
    Encrypted => "encrypted",
    ClearText => "clear-text",
    Deferred => "deferred",
    Failed => "failed",
    Unknown => "unknown",
});

/// Why TLS failed or the certificate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// The server offers no STARTTLS.
    NoStarttls,
    /// No version both accept.
    NoCommonVersion,
    /// No cipher suite both accept at the negotiated version.
    NoCommonCipher,
    /// No TLS 1.3 group both accept.
    NoCommonGroup,
    /// The server's DH prime is below the sender's minimum.
    DhTooSmall,
    /// The sender verifies the certificate and refuses it.
    CertificateRefused,
    /// No handshake with the server succeeded at all.
    HandshakeFailed,
}

spelling!(Failure {
    NoStarttls => "no-starttls",
    NoCommonVersion => "no-common-version",
    NoCommonCipher => "no-common-cipher",
    NoCommonGroup => "no-common-group",
    DhTooSmall => "dh-too-small",
    CertificateRefused => "certificate-refused",
    HandshakeFailed => "handshake-failed",
});

/// One sender's predicted outcome at one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderOutcome {
    /// The profile's id.
    pub profile: String,
    /// What happens to the mail.
    pub outcome: Delivery,
    /// The version negotiated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// The cipher suite negotiated; absent when uncertain (see
    /// `candidates`) or when the handshake fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// Where the server's order is mixed: the suites it may pick, in the
    /// order it picked them while measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
    /// The key-exchange group negotiated (`x25519`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Where the group is uncertain (a mixed group order, or a server
    /// whose handling of the sender's key shares was not measured): the
    /// groups it may pick.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_candidates: Vec<String>,
    /// The DH prime's size, for a DHE suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u32>,
    /// Why TLS failed or the certificate was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// The reason, one line; empty for a plain success.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The profile counts as a common sender (from the profile).
    #[serde(default)]
    pub common: bool,
    /// The profile verifies certificates or requires TLS somewhere.
    #[serde(default)]
    pub strict: bool,
}

impl SenderOutcome {
    /// `PROTOCOL:CIPHER`, as mail logs write it, or empty.
    pub fn negotiated(&self) -> String {
        match (&self.protocol, &self.cipher) {
            (Some(p), Some(c)) => format!("{p}:{c}"),
            (Some(p), None) if !self.candidates.is_empty() => {
                format!("{p}:{}", self.candidates.join("|"))
            }
            _ => String::new(),
        }
    }

    /// The group, or `DH <bits>` for a DHE suite, or the candidates
    /// (`x25519|secp256r1`); empty when unknown.
    pub fn group_text(&self) -> String {
        match (&self.group, self.dh_bits) {
            (Some(g), _) => g.clone(),
            (None, Some(bits)) => format!("DH {bits}"),
            _ => self.group_candidates.join("|"),
        }
    }
}
