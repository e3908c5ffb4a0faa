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
//! What this stage does not do: decide what is wrong (policy), or write
//! anything (report).

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::FutureExt;
use futures::stream::{Stream, StreamExt};
use tokio::sync::Semaphore;

use crate::dane;
use crate::dns::{
    DnsError, DnssecConfig, MxAnswer, Resolver, ResolverConfig, SecureAnswer, SecureResolver,
    TlsaRecord,
};
use crate::model::{AddressReport, DomainReport, DomainStatus, MxReport, ProbeStatus, Target};
use crate::mtasts::{self, MtaSts, TlsRpt};
use crate::policy::Policy;
use crate::trust::{self, Trust, TrustConfig};

mod cache;
mod probe;

use cache::{ProbeCache, ProbeKey, SharedProbe};

pub use crate::smtp::EhloName;

/// How to scan. Defaults are what a one-off check of a few domains wants.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub resolver: ResolverConfig,
    /// Port for MX hosts and for `--host` targets without one (default 25).
    pub port: u16,
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
    /// DNS lookups at the same time.
    pub dns_concurrency: usize,
    /// Probe results kept for reuse (see `scan::cache`).
    pub probe_cache: usize,
    /// Judge each report by this policy (its findings go into the report).
    pub policy: Option<Arc<Policy>>,
    /// Trust anchors and verification time of every certificate check: the
    /// chain verdicts, the strict sender, the MTA-STS policy fetch and
    /// enforce checks, and the policy's "expires soon".
    pub trust: TrustConfig,
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
        }
    }
}

/// Why a scanner could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot set up the resolver: {0}")]
    Resolver(#[from] DnsError),
    #[error("cannot set up certificate verification: {0}")]
    Trust(#[from] rustls::Error),
}

/// The DANE lookups of one MX host: its addresses and TLSA records with
/// their DNSSEC status.
type DaneLookups = (SecureAnswer<Vec<IpAddr>>, SecureAnswer<Vec<TlsaRecord>>);

/// A mail exchanger to probe: from an MX record, or the implicit MX with
/// its addresses already looked up.
struct Exchange {
    host: String,
    preference: Option<u16>,
    implicit: bool,
    addrs: Option<Vec<IpAddr>>,
}

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
    dns: Semaphore,
}

impl Scanner {
    pub fn new(config: ScanConfig) -> Result<Scanner, SetupError> {
        let resolver = Resolver::new(&config.resolver)?;
        let trust = Trust::new(&config.trust)?;
        let strict = trust::strict::Client::new(&trust)?;
        let secure = if config.dane {
            Some(SecureResolver::new(&config.resolver, &config.dnssec)?)
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
                dns: Semaphore::new(config.dns_concurrency.max(1)),
                config,
            }),
        })
    }

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
                let (name, port) = (name.clone(), port.unwrap_or(self.inner.config.port));
                let mx = self.mx_report(&name, None, None, false, port).await;
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

    async fn scan_domain(&self, target: Target, ascii: &str) -> DomainReport {
        let port = self.inner.config.port;
        let report = |status, error: Option<String>, mx| DomainReport {
            target: target.clone(),
            status,
            error,
            mx,
            mta_sts: None,
            tls_rpt: None,
            findings: Vec::new(),
        };
        let with_checks = |mut r: DomainReport, checks: (Option<MtaSts>, Option<TlsRpt>)| {
            (r.mta_sts, r.tls_rpt) = checks;
            r
        };
        match self.mx(ascii).await {
            Err(e) if e.is_nx_domain() => {
                report(DomainStatus::Nxdomain, Some(e.to_string()), vec![])
            }
            Err(e) => report(DomainStatus::DnsError, Some(e.to_string()), vec![]),
            Ok(MxAnswer::Null) => report(
                DomainStatus::NullMx,
                Some(format!(
                    "{ascii} publishes a null MX (RFC 7505): it accepts no mail"
                )),
                vec![],
            ),
            Ok(MxAnswer::None) => {
                // RFC 5321 §5.1: no MX records, so the domain itself is the
                // mail exchanger, if it has an address.
                match self.addresses(ascii).await {
                    Ok(addrs) if !addrs.is_empty() => {
                        let hosts = vec![Exchange {
                            host: ascii.to_owned(),
                            preference: None,
                            implicit: true,
                            addrs: Some(addrs),
                        }];
                        let (mx, checks) = self.probe_domain(ascii, hosts, port).await;
                        with_checks(report(DomainStatus::Ok, None, mx), checks)
                    }
                    Ok(_) => report(
                        DomainStatus::NoMx,
                        Some(format!("{ascii} has neither MX records nor an address")),
                        vec![],
                    ),
                    Err(e) if e.is_nx_domain() => {
                        report(DomainStatus::NoMx, Some(e.to_string()), vec![])
                    }
                    Err(e) => report(DomainStatus::DnsError, Some(e.to_string()), vec![]),
                }
            }
            Ok(MxAnswer::Records(records)) => {
                let hosts = records
                    .into_iter()
                    .map(|r| Exchange {
                        host: r.exchange,
                        preference: Some(r.preference),
                        implicit: false,
                        addrs: None,
                    })
                    .collect();
                let (mx, checks) = self.probe_domain(ascii, hosts, port).await;
                with_checks(report(DomainStatus::Ok, None, mx), checks)
            }
        }
    }

    /// Probe a domain's exchangers and, at the same time, look up what
    /// DANE and MTA-STS need; then judge both against the probes.
    async fn probe_domain(
        &self,
        domain: &str,
        hosts: Vec<Exchange>,
        port: u16,
    ) -> (Vec<MxReport>, (Option<MtaSts>, Option<TlsRpt>)) {
        let inner = &*self.inner;
        let config = &inner.config;
        let mx_secure = async {
            match &inner.secure {
                Some(secure) => Some(secure.mx(domain).await),
                None => None,
            }
        };
        let sts = async {
            if !config.mta_sts {
                return None;
            }
            let lookups = mtasts::lookup(
                &inner.resolver,
                &inner.trust,
                domain,
                config.mta_sts_port,
                config.timeout,
            );
            Some(lookups.await)
        };
        let probes =
            futures::future::join_all(hosts.into_iter().map(|h| self.exchange(h, domain, port)));
        let (mx_secure, sts, probed) = futures::join!(mx_secure, sts, probes);
        let mx: Vec<MxReport> = probed
            .into_iter()
            .map(|(mut report, lookups)| {
                if let (Some(mx_secure), Some((addresses, tlsa))) = (&mx_secure, lookups) {
                    let sni = report
                        .host
                        .parse::<IpAddr>()
                        .is_err()
                        .then_some(&report.host);
                    let chains: Vec<_> = report
                        .addresses
                        .iter()
                        .map(AddressReport::probed_chain)
                        .collect();
                    let lookups = dane::Lookups {
                        mx: mx_secure,
                        addresses: &addresses,
                        tlsa: &tlsa,
                    };
                    let sni = sni.map(String::as_str);
                    report.dane = Some(dane::evaluate(&report.host, port, sni, &lookups, &chains));
                }
                report
            })
            .collect();
        let checks = match sts {
            Some(found) => {
                let tried: Vec<mtasts::Tried> = mx.iter().flat_map(tried).collect();
                (
                    Some(mtasts::evaluate(found.mta_sts, &mx_names(&mx), &tried)),
                    Some(found.tls_rpt),
                )
            }
            None => (None, None),
        };
        (mx, checks)
    }

    /// One exchanger: its probes and, for DANE, its secure lookups, at the
    /// same time.
    async fn exchange(
        &self,
        h: Exchange,
        domain: &str,
        port: u16,
    ) -> (MxReport, Option<DaneLookups>) {
        let dane = async {
            let secure = self.inner.secure.as_ref()?;
            if h.host.parse::<IpAddr>().is_ok() {
                return None;
            }
            let families = self.inner.config.resolver.families;
            let name = dane::tlsa_name(&h.host, port);
            Some(futures::join!(
                secure.addresses(&h.host, families.v4(), families.v6()),
                secure.tlsa(&name)
            ))
        };
        let probe = async {
            match h.addrs {
                Some(addrs) => {
                    self.probe_host(&h.host, Some(domain), h.preference, h.implicit, port, addrs)
                        .await
                }
                None => {
                    self.mx_report(&h.host, Some(domain), h.preference, h.implicit, port)
                        .await
                }
            }
        };
        futures::join!(probe, dane)
    }

    /// Resolve one MX host (or `--host`) and probe its addresses; `domain`
    /// is the recipient domain (none for `--host`).
    async fn mx_report(
        &self,
        host: &str,
        domain: Option<&str>,
        preference: Option<u16>,
        implicit: bool,
        port: u16,
    ) -> MxReport {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self
                .probe_host(host, domain, preference, implicit, port, vec![ip])
                .await;
        }
        match self.addresses(host).await {
            Ok(addrs) if !addrs.is_empty() => {
                self.probe_host(host, domain, preference, implicit, port, addrs)
                    .await
            }
            Ok(_) => MxReport {
                host: host.to_string(),
                preference,
                implicit,
                error: Some(format!("{host} has no address ({})", self.families_text())),
                addresses: vec![],
                dane: None,
            },
            Err(e) => MxReport {
                host: host.to_string(),
                preference,
                implicit,
                error: Some(e.to_string()),
                addresses: vec![],
                dane: None,
            },
        }
    }

    fn families_text(&self) -> &'static str {
        match self.inner.config.resolver.families {
            crate::dns::Families::Both => "no A or AAAA record",
            crate::dns::Families::V4 => "no A record; -4 given",
            crate::dns::Families::V6 => "no AAAA record; -6 given",
        }
    }

    async fn probe_host(
        &self,
        host: &str,
        domain: Option<&str>,
        preference: Option<u16>,
        implicit: bool,
        port: u16,
        addrs: Vec<IpAddr>,
    ) -> MxReport {
        let sni = host.parse::<IpAddr>().is_err().then(|| host.to_string());
        let mut addresses = futures::future::join_all(
            addrs
                .into_iter()
                .map(|ip| self.probe_shared((ip, port), sni.clone())),
        )
        .await;
        for a in &mut addresses {
            check_names(a, host, domain);
        }
        MxReport {
            host: host.to_string(),
            preference,
            implicit,
            error: None,
            addresses,
            dane: None,
        }
    }

    /// Probe an address once per scan, however many names point at it.
    /// The first name to reach it is the SNI of its handshakes.
    fn probe_shared(&self, key: ProbeKey, sni: Option<String>) -> SharedProbe {
        let mut probes = self.inner.probes.lock().unwrap_or_else(|p| p.into_inner());
        probes.get_or_start(key, || {
            let inner = Arc::clone(&self.inner);
            async move {
                let (ip, port) = key;
                let c = &inner.config;
                let settings = probe::Settings {
                    ehlo: c.ehlo.clone(),
                    timeout: c.timeout,
                    per_host: c.per_host,
                    retries: c.retries,
                    backoff: c.backoff,
                    min_interval: c.min_interval,
                    enumerate: c.enumerate,
                    groups: c.groups,
                };
                let ctx = probe::Context {
                    connections: Arc::clone(&inner.connections),
                    resolver: &inner.resolver,
                    trust: &inner.trust,
                    strict: &inner.strict,
                };
                probe::probe(ip, port, sni.as_deref(), &settings, &ctx).await
            }
            .boxed()
            .shared()
        })
    }

    /// MX lookup, at most `dns_concurrency` lookups at a time.
    async fn mx(&self, name: &str) -> Result<MxAnswer, DnsError> {
        let _permit = self.inner.dns.acquire().await;
        self.inner.resolver.mx(name).await
    }

    /// A and AAAA lookup, at most `dns_concurrency` lookups at a time.
    async fn addresses(&self, name: &str) -> Result<Vec<IpAddr>, DnsError> {
        let _permit = self.inner.dns.acquire().await;
        self.inner.resolver.addresses(name).await
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
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
    }
    Some(lim.rlim_cur)
}

/// The name part of the trust checks, per domain: a probe is shared by every
/// domain pointing at the address, the recipient domain is not.
fn check_names(a: &mut AddressReport, mx: &str, domain: Option<&str>) {
    let leaf = a.tls.as_ref().and_then(|t| t.chain.first());
    let banner = a.smtp.as_ref().and_then(|s| s.banner_host.as_deref());
    if let (Some(leaf), Some(trust)) = (leaf, a.trust.as_mut()) {
        let ptr: Vec<&str> = trust.ptr.confirmed().collect();
        trust.names = Some(trust::names::check(leaf, mx, domain, banner, &ptr));
        trust.for_name(mx, a.tls.as_ref());
    }
}

/// The MX host names of a domain, in order.
fn mx_names(mx: &[MxReport]) -> Vec<&str> {
    mx.iter().map(|m| m.host.as_str()).collect()
}

/// What MTA-STS needs of each probed address of an MX host: whether TLS
/// was reached, with which version, and the address's own certificate
/// verdict for that host name (RFC 8461 §4.2: a trusted chain, valid for
/// the MX host).
fn tried(mx: &MxReport) -> Vec<mtasts::Tried<'_>> {
    mx.addresses
        .iter()
        .map(|a| {
            let session = match (&a.status, &a.tls) {
                (ProbeStatus::Ok, Some(tls)) => Ok(mtasts::Session {
                    protocol: tls.protocol,
                    certificate: a
                        .trust
                        .as_ref()
                        .map_or(Err("no certificate verdict".to_string()), |t| {
                            t.pkix_verdict()
                        }),
                }),
                (status, _) => Err(format!(
                    "{status}: {}",
                    a.error.as_deref().unwrap_or("no TLS session")
                )),
            };
            mtasts::Tried {
                mx: &mx.host,
                ip: a.ip,
                port: a.port,
                session,
            }
        })
        .collect()
}
