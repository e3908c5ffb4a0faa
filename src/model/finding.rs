//! What is wrong, as the report carries it: a [`Finding`] with its
//! [`Severity`]. The policy ([`crate::policy`]) makes them from the facts;
//! they live here, with the rest of the report, so the report does not
//! depend on the policy that judged it.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::FindingId;

/// How bad a finding is, least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, not wrong in itself (no MTA-STS record, a null MX).
    Info,
    /// Legacy still accepted or a good practice missing (CBC ciphers, no
    /// TLS 1.3).
    Low,
    /// Weakens TLS or makes careful senders fail (3DES, an untrusted or
    /// mismatched certificate).
    Medium,
    /// Mail can go in the clear, or some senders cannot deliver (no
    /// STARTTLS, TLS 1.0, an expired certificate).
    High,
    /// No protection worth the name, or an active attack is open (SSLv3,
    /// NULL ciphers, STARTTLS command injection).
    Critical,
}

impl Severity {
    /// Every severity, worst first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lower-case name, as in JSON, CSV and policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!("unknown severity {s:?} (expected critical, high, medium, low or info)")
            })
    }
}

/// One thing that is wrong, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Its kind: a stable kebab-case ID in JSON, from the catalogue.
    pub id: FindingId,
    /// How bad it is under the policy that made it.
    pub severity: Severity,
    /// The MX host it concerns (absent for domain-wide findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mx: Option<String>,
    /// The address it concerns (absent for domain- and host-wide findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// The port of that address; set exactly when `ip` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// One line with the evidence.
    pub message: String,
    /// What to do.
    pub remedy: String,
}
