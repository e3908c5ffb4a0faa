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
mod rules;

pub use classify::PolicyClassifier;
// Findings and their catalogue belong to the report; the policy makes them.
pub use crate::model::catalogue;
pub use crate::model::{Finding, FindingId, Severity};
use crate::spelling::spelling;

/// A severity or `off`, as written in a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Off,
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

/// A policy as written in TOML. Every section and key is optional; what is
/// missing comes from the policy named in `extends`, or mxprobe's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Name shown in reports.
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// A built-in policy this one starts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Severity of findings that `[severity]` does not list: `catalogue`
    /// (the default: each finding's own, see `mxprobe policies --findings`)
    /// or `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlisted: Option<Unlisted>,
    #[serde(default)]
    pub versions: Versions,
    #[serde(default)]
    pub ciphers: Ciphers,
    #[serde(default)]
    pub key_exchange: KeyExchange,
    #[serde(default)]
    pub certificate: Certificate,
    /// Finding ID → severity or `off`.
    #[serde(default)]
    pub severity: BTreeMap<String, Setting>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rsa_bits: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ec_bits: Option<u32>,
    /// `cert-expiring-soon` when fewer days are left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiring_days: Option<u32>,
}

mod protocol_opt {
    use super::Protocol;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(p: &Option<Protocol>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => s.serialize_str(p.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Protocol>, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

/// A policy that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("unknown policy {0:?} (built-in policies: {list}; or give a file path)", list = builtin::NAMES.join(", "))]
    UnknownBuiltin(String),
    #[error("cannot read policy file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("policy {origin}: {message}")]
    Invalid { origin: String, message: String },
}

impl Policy {
    /// Parse a policy from TOML; `origin` names it in errors (a file path).
    pub fn from_toml(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let invalid = |message: String| PolicyError::Invalid {
            origin: origin.to_string(),
            message,
        };
        let mut p: Policy = toml::from_str(text).map_err(|e| {
            // toml's message spans several lines with a source excerpt;
            // one line is what users get from us. The message alone can
            // still quote a key with a line break in it (`"a\nb" = 1`).
            invalid(one_line(e.message()) + &line_of(text, e.span()))
        })?;
        for id in p.severity.keys() {
            if id.parse::<FindingId>().is_err() {
                return Err(invalid(format!("unknown finding id {id:?} in [severity]")));
            }
        }
        let catalogue = crate::tls::cipher::Catalogue::get();
        if let Some(allowed) = &p.ciphers.allowed {
            if let Some(bad) = allowed.iter().find(|c| catalogue.find(c).is_none()) {
                return Err(invalid(format!(
                    "unknown cipher {bad:?} in [ciphers] allowed (use OpenSSL names, e.g. ECDHE-RSA-AES128-GCM-SHA256)"
                )));
            }
        }
        if let Some(parent) = p.extends.clone() {
            let base = builtin::get(&parent).ok_or_else(|| {
                invalid(format!(
                    "extends unknown policy {parent:?} (built-in policies: {})",
                    builtin::NAMES.join(", ")
                ))
            })?;
            p = p.over(base);
        }
        if p.name.is_empty() {
            p.name = origin.to_string();
        }
        Ok(p)
    }

    /// A built-in policy by name, or a policy file.
    pub fn load(name_or_path: &str) -> Result<Policy, PolicyError> {
        if let Some(p) = builtin::get(name_or_path) {
            return Ok(p);
        }
        let path = std::path::Path::new(name_or_path);
        if !name_or_path.contains('/') && !name_or_path.ends_with(".toml") && !path.exists() {
            return Err(PolicyError::UnknownBuiltin(name_or_path.to_string()));
        }
        let text = read_capped(path).map_err(|source| PolicyError::Read {
            path: name_or_path.to_string(),
            source,
        })?;
        Policy::from_toml(&text, name_or_path)
    }

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
            severity,
        }
    }

    /// The severity of a finding under this policy; `None` when it is off.
    pub fn severity_of(&self, id: FindingId) -> Option<Severity> {
        match self.severity.get(id.as_str()) {
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

/// ` (line N)` for an error at `span` of `text`.
/// A policy file's text, refusing files above [`crate::limits::POLICY_FILE_BYTES`]
/// (a path to a device or a huge file must not fill memory).
fn read_capped(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let cap = crate::limits::POLICY_FILE_BYTES;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(cap + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > cap {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB; a policy is a few KiB",
            cap / 1024
        )));
    }
    Ok(text)
}

fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let line = text.get(..r.start).map_or(0, |t| t.matches('\n').count()) + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

/// `message` with its control characters escaped (`\n`), so one line.
fn one_line(message: &str) -> String {
    let mut line = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
}

/// The worst severity among findings.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `policy_toml` fuzz target: an unknown key with a line
    /// break in it made a two-line error.
    #[test]
    fn errors_stay_on_one_line_whatever_the_keys_hold() {
        for (text, quoted) in [
            ("\"x\\ny\" = 1\n", "`x\\ny`"),
            ("[versions]\n\"a\\u001b[31mb\" = 1\n", "`a\\u{1b}[31mb`"),
        ] {
            let e = Policy::from_toml(text, "my.toml").expect_err("an unknown key");
            let shown = e.to_string();
            assert!(
                shown.starts_with("policy my.toml: unknown field "),
                "{shown}"
            );
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
            assert!(shown.contains(quoted), "{shown}");
        }
    }
}
