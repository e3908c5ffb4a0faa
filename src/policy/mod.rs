//! Policies: what is wrong, how badly, and what to do, for the facts a scan
//! found.
//!
//! A [`Policy`] is data (TOML, unknown keys rejected): thresholds (minimum
//! protocol version, allowed ciphers and groups, minimum DH/EC/RSA sizes,
//! certificate days) and a severity for every finding ID of the
//! [catalogue](catalogue::KINDS) (`off` switches one off). Built-in policies
//! live in `src/policy/builtin/`, each citing the document and section every
//! rule comes from; a policy file may `extends` one of them and change only
//! what differs.
//!
//! [`Policy::evaluate`] turns a [`DomainReport`] into [`Finding`]s. It only
//! reads the report: facts are the scan's, verdicts the policy's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::DomainReport;
use crate::tls::Protocol;

pub mod builtin;
mod classify;
mod file;
mod rules;
mod senders;

pub use classify::PolicyClassifier;
// Findings and their catalogue belong to the report; the policy makes them.
pub use crate::model::catalogue;
pub use crate::model::{Finding, FindingId, Severity};
use crate::spelling::spelling;

/// A severity or `off`, as written in a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// The finding is not reported.
    Off,
    /// The finding is reported with this severity.
    On(Severity),
}

impl Serialize for Setting {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Setting::Off => s.serialize_str("off"),
            Setting::On(v) => s.serialize_str(v.as_str()),
        }
    }
}

impl<'de> Deserialize<'de> for Setting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "off" {
            return Ok(Setting::Off);
        }
        s.parse()
            .map(Setting::On)
            .map_err(|e: String| serde::de::Error::custom(format!("{e} or off")))
    }
}

/// A policy: what a TOML file says (see [`Policy::from_toml`]), with finding
/// IDs checked against the catalogue. Every section and key is optional;
/// what is missing comes from the policy named in `extends`, or mxprobe's
/// defaults.
///
/// Deserialised through the file's form (`policy::file::Written`), in which
/// IDs are still strings: an unknown one is an error of its own, after the
/// rest of the file has parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Policy {
    /// Name shown in reports.
    pub name: String,
    /// One line on what the policy is for; may be empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// A built-in policy this one starts from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Severity of findings that `[severity]` does not list: `catalogue`
    /// (the default: each finding's own, see `mxprobe policies --findings`)
    /// or `off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unlisted: Option<Unlisted>,
    /// `[versions]`: the lowest acceptable protocol version.
    pub versions: Versions,
    /// `[ciphers]`: the allowed cipher suites.
    pub ciphers: Ciphers,
    /// `[key_exchange]`: DH and ECDH sizes, allowed groups.
    pub key_exchange: KeyExchange,
    /// `[certificate]`: key sizes, expiry warning.
    pub certificate: Certificate,
    /// `[senders]`: which sender profiles' predicted outcomes are findings.
    pub senders: SenderCount,
    /// Finding ID → severity or `off` (written with the kebab-case IDs).
    pub severity: BTreeMap<FindingId, Setting>,
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        file::Written::deserialize(d)?
            .checked()
            .map_err(serde::de::Error::custom)
    }
}

/// What happens to findings a policy does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unlisted {
    /// The catalogue's severity.
    Catalogue,
    /// Not reported.
    Off,
}

spelling!(Unlisted {
    Catalogue => "catalogue",
    Off => "off",
});

/// Protocol versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    /// Lowest acceptable version: each accepted version below it is a
    /// finding (`protocol-sslv3`, `protocol-tlsv1`, `protocol-tlsv1.1`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "protocol_opt"
    )]
    pub minimum: Option<Protocol>,
}

/// Cipher suites.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ciphers {
    /// When set, accepted ciphers (OpenSSL names; TLS 1.3 suites included)
    /// outside this list are a finding (`cipher-not-allowed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

/// Key exchange.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyExchange {
    /// Smallest acceptable finite-field DH group (`dh-weak`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_dh_bits: Option<u32>,
    /// Smallest acceptable elliptic curve (`ecdh-weak`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ecdh_bits: Option<u32>,
    /// When set, supported groups outside this list are a finding
    /// (`group-not-allowed`). OpenSSL group names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_groups: Option<Vec<String>>,
}

/// Certificates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Smallest acceptable RSA (or DSA) key of the leaf, in bits
    /// (`cert-weak-key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rsa_bits: Option<u32>,
    /// Smallest acceptable EC key of the leaf, in bits (`cert-weak-key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ec_bits: Option<u32>,
    /// `cert-expiring-soon` when fewer days are left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiring_days: Option<u32>,
}

/// Which sender profiles count for the sender findings (profile ids, see
/// `mxprobe senders`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderCount {
    /// Profiles whose failed handshake (`sender-clear-text`) and legacy
    /// cipher (`sender-legacy-cipher`) are findings; unset: those the
    /// profiles mark `common`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common: Option<Vec<String>>,
    /// Profiles whose deferral is a finding (`sender-defers`); unset: those
    /// that verify certificates or require TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<Vec<String>>,
}

impl SenderCount {
    /// Whether `outcome`'s profile counts as a common sender.
    pub fn common(&self, outcome: &crate::senders::SenderOutcome) -> bool {
        match &self.common {
            Some(ids) => ids.contains(&outcome.profile),
            None => outcome.common,
        }
    }

    /// Whether `outcome`'s profile counts as a strict sender.
    pub fn strict(&self, outcome: &crate::senders::SenderOutcome) -> bool {
        match &self.strict {
            Some(ids) => ids.contains(&outcome.profile),
            None => outcome.strict,
        }
    }

    /// Every profile id named.
    pub fn named(&self) -> impl Iterator<Item = &str> {
        self.common
            .iter()
            .chain(self.strict.iter())
            .flatten()
            .map(String::as_str)
    }
}

mod protocol_opt {
    use super::Protocol;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(p: &Option<Protocol>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => s.serialize_str(p.as_str()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Protocol>, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

/// A policy that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A name that is neither a built-in policy nor looks like a file path
    /// (no `/`, no `.toml`, no such file); the name as given.
    #[error("unknown policy {0:?} (built-in policies: {list}; or give a file path)", list = builtin::NAMES.join(", "))]
    UnknownBuiltin(String),
    /// The policy file could not be read (or exceeds
    /// [`crate::limits::POLICY_FILE_BYTES`]).
    #[error("cannot read policy file {path}: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The policy is not valid TOML, names an unknown key, finding ID or
    /// cipher, or extends a policy that does not exist.
    #[error("policy {origin}: {message}")]
    Invalid {
        /// Where the policy came from (a file path or built-in name).
        origin: String,
        /// What is wrong, one line.
        message: String,
    },
}

impl Policy {
    /// This policy with whatever it leaves unset taken from `base`.
    fn over(self, base: Policy) -> Policy {
        let mut severity = base.severity;
        severity.extend(self.severity);
        Policy {
            name: self.name,
            description: if self.description.is_empty() {
                base.description
            } else {
                self.description
            },
            extends: self.extends,
            unlisted: self.unlisted.or(base.unlisted),
            versions: Versions {
                minimum: self.versions.minimum.or(base.versions.minimum),
            },
            ciphers: Ciphers {
                allowed: self.ciphers.allowed.or(base.ciphers.allowed),
            },
            key_exchange: KeyExchange {
                min_dh_bits: self
                    .key_exchange
                    .min_dh_bits
                    .or(base.key_exchange.min_dh_bits),
                min_ecdh_bits: self
                    .key_exchange
                    .min_ecdh_bits
                    .or(base.key_exchange.min_ecdh_bits),
                allowed_groups: self
                    .key_exchange
                    .allowed_groups
                    .or(base.key_exchange.allowed_groups),
            },
            certificate: Certificate {
                min_rsa_bits: self
                    .certificate
                    .min_rsa_bits
                    .or(base.certificate.min_rsa_bits),
                min_ec_bits: self
                    .certificate
                    .min_ec_bits
                    .or(base.certificate.min_ec_bits),
                expiring_days: self
                    .certificate
                    .expiring_days
                    .or(base.certificate.expiring_days),
            },
            senders: SenderCount {
                common: self.senders.common.or(base.senders.common),
                strict: self.senders.strict.or(base.senders.strict),
            },
            severity,
        }
    }

    /// The severity of a finding under this policy; `None` when it is off.
    pub fn severity_of(&self, id: FindingId) -> Option<Severity> {
        match self.severity.get(&id) {
            Some(Setting::Off) => None,
            Some(Setting::On(s)) => Some(*s),
            None if self.unlisted == Some(Unlisted::Off) => None,
            None => Some(id.kind().severity),
        }
    }

    /// Everything wrong with one domain's report, worst first.
    pub fn evaluate(&self, report: &DomainReport) -> Vec<Finding> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.evaluate_at(report, now)
    }

    /// As [`Policy::evaluate`], with "now" given (Unix seconds).
    pub fn evaluate_at(&self, report: &DomainReport, now: i64) -> Vec<Finding> {
        let mut findings = rules::findings(self, report, now);
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        findings
    }
}

/// The worst severity among findings.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}
