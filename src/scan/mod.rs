//! The pipeline: target → MX hosts → addresses → probes → [`DomainReport`].
//!
//! Every failure below the set-up becomes part of the report (a status and a
//! one-line error); `scan` itself cannot fail. Probes are shared: an address
//! that several MX hosts or domains point to is probed once per scan and its
//! result reused.
//!
//! For domains, DANE lookups per MX host and the MTA-STS/TLS-RPT lookups
//! run concurrently with the probes and are judged against them once the
//! probes are done ([`crate::dane`], [`crate::mtasts`]); `--host` targets
//! get neither (no MX RRset to secure, no policy domain).
//!
//! Layout: `config` (what to do), this file (the [`Scanner`] and the
//! target level), `domain` (a domain's MX hosts with DANE and MTA-STS),
//! `exchange` (one mail exchanger: its addresses, its shared probes, the
//! per-name trust checks), `probe` (one address), `cache` (probes shared
//! across the scan). Only this stage knows every other one.
//!
//! What this stage does not do: decide what is wrong (policy), or write
//! anything (report).

use std::sync::{Arc, Mutex};

use futures::stream::{Stream, StreamExt};
use tokio::sync::Semaphore;

use crate::dns::{LookupLimit, Resolver, SecureResolver};
use crate::model::{DomainReport, DomainStatus, Target};
use crate::trust::{self, Trust};

mod cache;
mod config;
mod domain;
mod exchange;
mod probe;
mod senders;

use cache::ProbeCache;
pub use config::{ScanConfig, SetupError};
pub(crate) use exchange::Host;

pub use crate::smtp::EhloName;

/// Runs scans. Cheap to clone; clones share the resolver cache, the
/// connection limit and the probe results.
#[derive(Clone)]
pub struct Scanner {
    inner: Arc<Inner>,
}

struct Inner {
    resolver: Resolver,
    /// Anchors and clock of every certificate check.
    trust: Trust,
    strict: trust::strict::Client,
    /// For DANE, when on.
    secure: Option<SecureResolver>,
    config: ScanConfig,
    connections: Arc<Semaphore>,
    probes: Mutex<ProbeCache>,
}

impl Scanner {
    /// A scanner for `config`: resolvers, verifiers and limits are set up
    /// here, so a bad configuration fails before any target is scanned.
    pub fn new(config: ScanConfig) -> Result<Scanner, SetupError> {
        // One bound on lookups in flight, for every lookup of the scan.
        let limit = LookupLimit::new(config.dns_concurrency);
        let resolver = Resolver::new(&config.resolver)?.limited(limit.clone());
        let trust = Trust::new(&config.trust)?;
        let strict = trust::strict::Client::new(&trust)?;
        let secure = if config.dane {
            let secure = SecureResolver::new(&config.resolver, &config.dnssec)?;
            Some(secure.limited(limit))
        } else {
            None
        };
        Ok(Scanner {
            inner: Arc::new(Inner {
                resolver,
                strict,
                secure,
                trust,
                connections: Arc::new(Semaphore::new(config.max_connections.max(1))),
                probes: Mutex::new(ProbeCache::new(config.probe_cache)),
                config,
            }),
        })
    }

    /// The configuration it scans with.
    pub fn config(&self) -> &ScanConfig {
        &self.inner.config
    }

    /// Scan targets, `concurrency` at a time; reports come in input order.
    pub fn scan_all<'a, S>(&'a self, targets: S) -> impl Stream<Item = DomainReport> + 'a
    where
        S: Stream<Item = Target> + 'a,
    {
        targets
            .map(move |t| self.scan(t))
            .buffered(self.inner.config.concurrency.max(1))
    }

    /// Scan targets, `concurrency` at a time; each report comes as soon as it
    /// is complete (for bulk scans: a slow domain holds up nothing).
    pub fn scan_unordered<'a, S>(&'a self, targets: S) -> impl Stream<Item = DomainReport> + 'a
    where
        S: Stream<Item = Target> + 'a,
    {
        targets
            .map(move |t| self.scan(t))
            .buffer_unordered(self.inner.config.concurrency.max(1))
    }

    /// Scan one target. Never fails: problems are in the report.
    pub async fn scan(&self, target: Target) -> DomainReport {
        let mut report = self.scan_facts(target).await;
        let config = &self.inner.config;
        senders::predict(&mut report, &config.senders, config.dane, config.mta_sts);
        if let Some(policy) = &self.inner.config.policy {
            report.findings = policy.evaluate_at(&report, self.inner.trust.now());
        }
        report
    }

    async fn scan_facts(&self, target: Target) -> DomainReport {
        match &target {
            Target::Domain { ascii, .. } => {
                let ascii = ascii.clone();
                self.scan_domain(target, &ascii).await
            }
            Target::Host { name, port } => {
                let exchange = exchange::Exchange {
                    host: Host::parse(name),
                    domain: None,
                    preference: None,
                    implicit: false,
                    port: port.unwrap_or(self.inner.config.port),
                    addrs: None,
                };
                let mx = self.mx_report(&exchange).await;
                DomainReport {
                    target,
                    status: DomainStatus::Ok,
                    error: None,
                    mx: vec![mx],
                    mta_sts: None,
                    tls_rpt: None,
                    findings: Vec::new(),
                }
            }
        }
    }

    /// Probes started so far, and probes answered from the cache.
    pub fn probe_counts(&self) -> (u64, u64) {
        let probes = self.inner.probes.lock().unwrap_or_else(|p| p.into_inner());
        (probes.started, probes.reused)
    }
}

/// Raise the soft limit on open files to the hard limit, where allowed, and
/// return the limit now in force (`None` when it cannot be read). Every
/// connection is a file descriptor; callers cap their concurrency to this.
pub fn raise_open_file_limit() -> Option<u64> {
    crate::ffi::os::raise_open_file_limit()
}
