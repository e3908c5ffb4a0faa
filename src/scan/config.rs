//! How to scan: one [`ScanConfig`], read by every part of the pipeline
//! (no part copies it into settings of its own), and what can go wrong
//! setting a scanner up.

use std::sync::Arc;
use std::time::Duration;

use crate::dns::{DnsError, DnssecConfig, ResolverConfig};
use crate::policy::Policy;
use crate::senders::Senders;
use crate::smtp::EhloName;
use crate::tls::LegacyMode;
use crate::trust::TrustConfig;

/// How to scan. Defaults are what a one-off check of a few domains wants.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Nameservers, timeout and attempts of DNS lookups, and the address
    /// families probed (`-4`, `-6`).
    pub resolver: ResolverConfig,
    /// Port for MX hosts and for `--host` targets without one (default 25).
    pub port: u16,
    /// The name sent in EHLO (`--ehlo`; default: this host's name, or the
    /// address literal of the connection).
    pub ehlo: EhloName,
    /// Timeout of each network step: connect, each SMTP reply, a handshake.
    pub timeout: Duration,
    /// Targets scanned at the same time.
    pub concurrency: usize,
    /// Simultaneous connections, all targets together.
    pub max_connections: usize,
    /// Simultaneous connections to one address (`--per-host`).
    pub per_host: usize,
    /// Transient refusals in a row (421, 4xx, reset, timeout) after which an
    /// address is given up on.
    pub retries: u32,
    /// First backoff after a transient refusal; doubled on each attempt.
    pub backoff: Duration,
    /// Least time between two connections to one address (0: no limit).
    pub min_interval: Duration,
    /// Enumerate versions, ciphers and their order (off: one handshake).
    pub enumerate: bool,
    /// Test key-exchange groups during enumeration.
    pub groups: bool,
    /// DANE (RFC 7672) per MX host of a domain: TLSA records and the
    /// DNSSEC status of MX, addresses and TLSA, matched against the chains.
    pub dane: bool,
    /// How DNSSEC status is learnt for DANE.
    pub dnssec: DnssecConfig,
    /// MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) per domain.
    pub mta_sts: bool,
    /// Port of the MTA-STS policy host: 443; others only for tests.
    pub mta_sts_port: u16,
    /// DNS lookups at the same time, every lookup of the scan counted (MX,
    /// addresses, PTR, TXT, TLSA, DNSSEC validation).
    pub dns_concurrency: usize,
    /// Probe results kept for reuse (see `scan::cache`).
    pub probe_cache: usize,
    /// Judge each report by this policy (its findings go into the report).
    pub policy: Option<Arc<Policy>>,
    /// Trust anchors and verification time of every certificate check: the
    /// chain verdicts, the strict sender, the MTA-STS policy fetch and
    /// enforce checks, and the policy's "expires soon".
    pub trust: TrustConfig,
    /// Hand-written ClientHellos for what no OpenSSL 3 can offer (SSLv2,
    /// EXPORT, DES …) and the classic checks (see `tls::legacy`).
    pub legacy: LegacyMode,
    /// The senders whose outcomes are predicted at each address (the
    /// built-in profiles by default; [`Senders::none`] for none).
    pub senders: Senders,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            resolver: ResolverConfig {
                nameservers: Vec::new(),
                timeout: Duration::from_secs(5),
                attempts: 2,
                families: Default::default(),
            },
            port: 25,
            ehlo: EhloName::Auto,
            timeout: Duration::from_secs(15),
            concurrency: 16,
            max_connections: 64,
            per_host: 2,
            retries: 5,
            backoff: Duration::from_millis(250),
            min_interval: Duration::ZERO,
            enumerate: true,
            groups: true,
            dane: true,
            dnssec: DnssecConfig::default(),
            mta_sts: true,
            mta_sts_port: 443,
            dns_concurrency: 32,
            probe_cache: crate::limits::PROBE_CACHE_ENTRIES,
            policy: None,
            trust: TrustConfig::default(),
            senders: Senders::default(),
            legacy: LegacyMode::Auto,
        }
    }
}

/// Why a scanner could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The resolver could not be built (unreadable system configuration, a
    /// zero timeout, an unreadable DNSSEC trust anchor).
    #[error("cannot set up the resolver: {0}")]
    Resolver(#[from] DnsError),
    /// The verifiers could not be built from the trust anchors.
    #[error("cannot set up certificate verification: {0}")]
    Trust(#[from] rustls::Error),
}
