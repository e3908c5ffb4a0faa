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
//! # Stages, on one machine or many
//!
//! A scan is three stages, which a single run chains in memory and a
//! sharded scan runs as separate commands with JSON Lines between them
//! (`mxprobe resolve`, `mxprobe probe`, `mxprobe join`; see
//! [`crate::shard`]):
//!
//! 1. [`Scanner::resolve`]: a target's MX hosts, their addresses, and the
//!    lookups DANE and MTA-STS need ([`Resolved`]);
//! 2. [`Scanner::probe_address`]: one address, once ([`AddressReport`],
//!    written as a [`Probed`]);
//! 3. [`Scanner::join`]: the two judged together into the
//!    [`DomainReport`], with sender outcomes and findings.
//!
//! [`Scanner::scan`] runs the same functions, only overlapping the first
//! two: probes start as each exchanger's addresses come in.
//!
//! Layout: `config` (what to do), this file (the [`Scanner`] and the
//! target level), `resolve` (MX hosts, addresses, the checks' lookups),
//! `exchange` (one mail exchanger's addresses and shared probes), `probe`
//! (one address), `cache` (probes shared across the scan), `assemble`
//! (resolved + probes → report, pure), `senders` (outcome predictions).
//! Only this stage knows every other one.
//!
//! What this stage does not do: decide what is wrong (policy), or write
//! anything (report).

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use futures::stream::{Stream, StreamExt};
use tokio::sync::Semaphore;

use crate::dns::{LookupLimit, Resolver, SecureResolver};
use crate::model::{AddressReport, DomainReport, Target};
use crate::trust::{self, Trust};

mod assemble;
mod cache;
mod config;
mod exchange;
mod probe;
mod probed;
mod resolve;
mod senders;

use cache::ProbeCache;
pub use config::{ScanConfig, SetupError};
pub use probed::Probed;
use resolve::MxStep;
pub use resolve::{DaneLookups, Resolved, ResolvedHost};

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
        let exchanges = match self.mx_step(&target).await {
            MxStep::Exchanges(x) => x,
            MxStep::Stop(status, error) => {
                let resolved = Resolved::stopped(0, target, status, error);
                return self.judge(&resolved, Vec::new());
            }
        };
        // The probes start as soon as each exchanger's addresses are in;
        // DANE's and MTA-STS's lookups run meanwhile.
        let probes = futures::future::join_all(exchanges.iter().map(|x| self.probe_exchange(x)));
        let checks = self.checks(target.ascii_domain(), &exchanges);
        let (probed, checks) = futures::join!(probes, checks);
        let (addresses, probes): (Vec<_>, Vec<_>) = probed.into_iter().unzip();
        let resolved = Resolved::new(0, target, &exchanges, addresses, checks);
        self.judge(&resolved, probes)
    }

    /// The join stage for one target (`mxprobe join`): its report from the
    /// resolve stage's `resolved` and the probe stage's results, looked up
    /// with `probed`; the same report a single-machine scan makes. `Err`
    /// names the first address no probe result was found for.
    pub fn join(
        &self,
        resolved: &Resolved,
        mut probed: impl FnMut(IpAddr, u16) -> Option<AddressReport>,
    ) -> Result<DomainReport, MissingProbe> {
        let mut probes = Vec::with_capacity(resolved.hosts.len());
        for h in &resolved.hosts {
            let mut reports = Vec::with_capacity(h.addresses.len());
            for ip in &h.addresses {
                let report = probed(*ip, h.port).ok_or_else(|| MissingProbe {
                    ip: *ip,
                    port: h.port,
                    host: h.host.clone(),
                })?;
                reports.push(report);
            }
            probes.push(reports);
        }
        Ok(self.judge(resolved, probes))
    }

    /// The report of `resolved` probed as `probes`, with the sender
    /// outcomes and the policy's findings.
    fn judge(&self, resolved: &Resolved, probes: Vec<Vec<AddressReport>>) -> DomainReport {
        let mut report = assemble::report(resolved, probes);
        let config = &self.inner.config;
        // Whether DANE and MTA-STS were looked up is read off the resolve
        // stage, so that a join judges by what its resolve stage did.
        let dane_on = resolved.mx_dnssec.is_some();
        let sts_on = resolved.mta_sts.is_some();
        senders::predict(&mut report, &config.senders, dane_on, sts_on);
        if let Some(policy) = &self.inner.config.policy {
            report.findings = policy.evaluate_at(&report, self.inner.trust.now());
        }
        report
    }

    /// Probes started so far, and probes answered from the cache.
    pub fn probe_counts(&self) -> (u64, u64) {
        let probes = self.inner.probes.lock().unwrap_or_else(|p| p.into_inner());
        (probes.started, probes.reused)
    }
}

/// A join whose probe files lack an address of a resolved target: a probe
/// shard that has not finished, or files from different scans.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no probe result for {ip} port {port} ({host}): has every probe shard finished?")]
pub struct MissingProbe {
    /// The address.
    pub ip: IpAddr,
    /// Its port.
    pub port: u16,
    /// The MX host (or `--host`) it is an address of.
    pub host: String,
}

/// Raise the soft limit on open files to the hard limit, where allowed, and
/// return the limit now in force (`None` when it cannot be read). Every
/// connection is a file descriptor; callers cap their concurrency to this.
pub fn raise_open_file_limit() -> Option<u64> {
    crate::ffi::os::raise_open_file_limit()
}
