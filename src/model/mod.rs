//! The one data model every stage fills and every output format renders.
//!
//! A scan yields one [`DomainReport`] per target. Each report lists the mail
//! exchangers ([`MxReport`]) and, for each of their addresses, one
//! [`AddressReport`] holding what the SMTP dialogue and the TLS handshakes
//! found. A failed target is data, not an error: every level carries a status
//! and, where something went wrong, a one-line error text.
//!
//! The CSV, JSON and text writers in [`crate::report`] render these types and
//! nothing else, so the formats cannot drift apart. Field names are part of the
//! JSON contract documented in README.md; add fields, never rename them.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::cert::CertInfo;
use crate::dane::DaneCheck;
use crate::dns::{normalize_domain, NameError};

pub mod catalogue;
mod finding;
pub mod remedy;

use crate::mtasts::{MtaSts, TlsRpt};
use crate::senders::SenderOutcome;
use crate::smtp::SmtpInfo;
use crate::spelling::spelling;
use crate::tls::enumerate::Enumeration;
use crate::tls::Handshake;
use crate::trust::AddressTrust;
pub use catalogue::FindingId;
pub use finding::{Finding, Severity};

/// What a scan is asked to look at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Target {
    /// A mail domain: its MX records are looked up (RFC 5321 §5.1).
    Domain {
        /// As the user wrote it (trimmed).
        name: String,
        /// A-label form, lower case, no trailing dot: what is looked up.
        ascii: String,
    },
    /// A mail server probed directly, skipping the MX lookup (`--host`).
    Host {
        /// Host name (A-label form) or IP address.
        name: String,
        /// Port given with the host; `None` means the scan's `--port`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
    },
}

impl Target {
    /// A domain target, validated and converted to A-labels.
    pub fn domain(input: &str) -> Result<Target, NameError> {
        let ascii = normalize_domain(input)?;
        Ok(Target::Domain {
            name: input.trim().trim_end_matches('.').to_string(),
            ascii,
        })
    }

    /// A `--host` target: `HOST`, `HOST:PORT`, `IP`, `IPv4:PORT`, `[IPv6]:PORT`.
    pub fn host(spec: &str) -> Result<Target, NameError> {
        let spec = spec.trim();
        let bad = |reason: &str| NameError {
            input: spec.to_string(),
            reason: reason.to_string(),
        };
        if let Ok(ip) = spec.parse::<IpAddr>() {
            return Ok(Target::Host {
                name: ip.to_string(),
                port: None,
            });
        }
        let (host, port) = if let Some(rest) = spec.strip_prefix('[') {
            let (ip, after) = rest.split_once(']').ok_or_else(|| bad("missing ']'"))?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| bad("expected ':PORT' after ']'"))?,
                ),
            };
            (ip, port)
        } else {
            match spec.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (spec, None),
            }
        };
        let port = port
            .map(|p| {
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| bad("port must be 1-65535"))
            })
            .transpose()?;
        let name = match host.parse::<IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => normalize_domain(host)?,
        };
        Ok(Target::Host { name, port })
    }

    /// The name as the user wrote it, for display and for the `domain` column.
    pub fn name(&self) -> &str {
        match self {
            Target::Domain { name, .. } | Target::Host { name, .. } => name,
        }
    }

    /// What the target is known by across runs and shards (`--resume`,
    /// `--shard`): a domain's A-label name, a `--host` as given.
    pub fn key(&self) -> &str {
        self.ascii_domain().unwrap_or(self.name())
    }

    /// The mail domain in A-label form; `None` for a `--host` target.
    pub fn ascii_domain(&self) -> Option<&str> {
        match self {
            Target::Domain { ascii, .. } => Some(ascii),
            Target::Host { .. } => None,
        }
    }
}

/// Outcome of the resolver stage for a whole domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DomainStatus {
    /// MX hosts (or the implicit MX) were found; see the per-address statuses.
    Ok,
    /// Neither MX records nor an address for the implicit MX exist.
    NoMx,
    /// The domain publishes a null MX (RFC 7505): it accepts no mail.
    NullMx,
    /// The domain does not exist.
    Nxdomain,
    /// The lookup failed (SERVFAIL, timeout, refused, malformed answer).
    DnsError,
}

spelling!(DomainStatus {
    Ok => "ok",
    NoMx => "no-mx",
    NullMx => "null-mx",
    Nxdomain => "nxdomain",
    DnsError => "dns-error",
});

/// Outcome for one (MX host, address, port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeStatus {
    /// STARTTLS was accepted and a TLS handshake completed.
    Ok,
    /// The server does not advertise STARTTLS.
    NoStarttls,
    /// No TCP connection could be made (refused, unreachable, timed out).
    Unreachable,
    /// The SMTP dialogue failed before TLS (4xx/5xx, garbage, early close,
    /// bytes injected after the STARTTLS reply).
    SmtpError,
    /// STARTTLS was accepted but no TLS handshake succeeded.
    TlsError,
    /// The MX host name did not resolve to any usable address.
    DnsError,
}

spelling!(ProbeStatus {
    Ok => "ok",
    NoStarttls => "no-starttls",
    Unreachable => "unreachable",
    SmtpError => "smtp-error",
    TlsError => "tls-error",
    DnsError => "dns-error",
});

/// The result for one domain (or one `--host` target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainReport {
    /// The target as given on the command line or in the input list.
    pub target: Target,
    /// What the resolver stage found for the domain as a whole.
    pub status: DomainStatus,
    /// Why `status` is not `ok`, as one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Mail exchangers in the order a sender tries them (preference, then name).
    pub mx: Vec<MxReport>,
    /// MTA-STS (RFC 8461): TXT record, policy, how the MX hosts fare.
    /// Domains only, unless switched off (`--no-mta-sts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mta_sts: Option<MtaSts>,
    /// TLS-RPT (RFC 8460): the `_smtp._tls` TXT record. With MTA-STS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_rpt: Option<TlsRpt>,
    /// What is wrong, under the scan's policy, worst first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

impl DomainReport {
    /// The findings about one row of the CSV: the domain's own, the MX
    /// host's, and the address's.
    pub fn findings_for<'a>(
        &'a self,
        mx: Option<&'a str>,
        address: Option<(IpAddr, u16)>,
    ) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| {
            let mx_ok = f.mx.is_none() || f.mx.as_deref() == mx;
            let addr_ok =
                f.ip.is_none() || (f.ip, f.port) == (address.map(|a| a.0), address.map(|a| a.1));
            mx_ok && addr_ok
        })
    }
}

/// One mail exchanger of a domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MxReport {
    /// Host name, lower case, without the trailing dot.
    pub host: String,
    /// MX preference; `None` for `--host` targets.
    pub preference: Option<u16>,
    /// True when there was no MX record and the domain itself is used
    /// (RFC 5321 §5.1 implicit MX).
    pub implicit: bool,
    /// Set when the host's addresses could not be looked up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its addresses as resolved (IPv4 first), each probed; empty when
    /// `error` is set.
    pub addresses: Vec<AddressReport>,
    /// DANE (RFC 7672): TLSA records, DNSSEC status, matching per address.
    /// MX hosts of domains only, unless switched off (`--no-dane`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dane: Option<DaneCheck>,
}

/// Everything learnt about one address of one mail exchanger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressReport {
    /// The address probed.
    pub ip: IpAddr,
    /// The port probed (25 unless `--port` or `--host HOST:PORT` said
    /// otherwise).
    pub port: u16,
    /// How far the probe got.
    pub status: ProbeStatus,
    /// Why `status` is not `ok`, as one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The SMTP step that failed, for `smtp-error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_step: Option<crate::smtp::Step>,
    /// The server sent bytes after its 220 to STARTTLS (RFC 3207 §6).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub starttls_injection: bool,
    /// The SMTP dialogue up to STARTTLS, when a connection was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<SmtpInfo>,
    /// The handshake of a broadly compatible client (everything offered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Handshake>,
    /// Versions, ciphers in order, groups: the full enumeration, unless it
    /// was switched off (`--quick`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enumeration: Option<Enumeration>,
    /// TCP connections this address cost.
    pub connections: u32,
    /// TLS handshakes started on them.
    pub handshakes: u32,
    /// Of those, refused by the server (an alert, or a close instead of an
    /// answer).
    #[serde(default)]
    pub refused_handshakes: u32,
    /// Seconds spent waiting for the server to close after each session,
    /// summed (a slot is free only once the server has closed).
    #[serde(default)]
    pub close_wait_seconds: f64,
    /// What a verifying sender would make of this address: chain, names,
    /// the strict handshake, reverse DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<AddressTrust>,
    /// What each sender profile would negotiate here, and what it then
    /// does with the mail; empty when not predicted (unreachable, or no
    /// enumeration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub senders: Vec<SenderOutcome>,
}

impl AddressReport {
    /// A report of `ip`:`port` with `status` and nothing learnt yet: no
    /// error, no dialogue, no handshake, no connection counted.
    pub fn new(ip: IpAddr, port: u16, status: ProbeStatus) -> Self {
        AddressReport {
            ip,
            port,
            status,
            error: None,
            smtp_step: None,
            starttls_injection: false,
            smtp: None,
            tls: None,
            enumeration: None,
            connections: 0,
            handshakes: 0,
            refused_handshakes: 0,
            close_wait_seconds: 0.0,
            trust: None,
            senders: Vec::new(),
        }
    }

    /// The chain this address presented, for checks of presented chains.
    pub(crate) fn probed_chain(&self) -> crate::cert::ProbedChain<'_> {
        let chain = match (&self.status, &self.tls) {
            (ProbeStatus::Ok, Some(tls)) => Ok(tls.chain.as_slice()),
            _ => Err(self.error.as_deref()),
        };
        crate::cert::ProbedChain {
            ip: self.ip,
            port: self.port,
            chain,
        }
    }

    /// The leaf certificate of the main handshake, if any.
    pub fn leaf(&self) -> Option<&CertInfo> {
        self.tls.as_ref().and_then(|t| t.chain.first())
    }
}

impl fmt::Display for DomainStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ProbeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_display_as_their_csv_spelling() {
        assert_eq!(ProbeStatus::NoStarttls.to_string(), "no-starttls");
        assert_eq!(ProbeStatus::TlsError.to_string(), "tls-error");
        assert_eq!(DomainStatus::NullMx.to_string(), "null-mx");
        assert_eq!(DomainStatus::Nxdomain.to_string(), "nxdomain");
        assert_eq!(DomainStatus::DnsError.to_string(), "dns-error");
    }

    #[test]
    fn host_targets_parse() {
        let h = |s: &str| {
            Target::host(s).map(|t| match t {
                Target::Host { name, port } => (name, port),
                Target::Domain { .. } => unreachable!(),
            })
        };
        assert_eq!(
            h("127.0.0.1:2525").ok(),
            Some(("127.0.0.1".into(), Some(2525)))
        );
        assert_eq!(h("::1").ok(), Some(("::1".into(), None)));
        assert_eq!(h("[::1]:25").ok(), Some(("::1".into(), Some(25))));
        assert_eq!(h("[2001:db8::1]").ok(), Some(("2001:db8::1".into(), None)));
        assert!(h("[::1").is_err());
        assert!(h("mx.example.org:0").is_err());
        assert!(h("mx.example.org:99999").is_err());
        assert!(h("mx.example.org:smtp").is_err());
    }
}
