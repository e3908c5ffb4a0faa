//! The resolve stage: a target's mail exchangers and their addresses, and
//! the DNS and HTTPS facts its trust checks need (DANE's secure lookups,
//! the MTA-STS policy, TLS-RPT), everything a domain needs but the probes.
//!
//! A single-machine scan starts the probes as soon as the addresses are
//! known and looks up the rest meanwhile; `mxprobe resolve` writes the
//! whole [`Resolved`] as one JSON line, for `mxprobe probe` to take the
//! addresses from and `mxprobe join` to judge against the probes (see
//! [`super::assemble`]). Both go through the functions here, so a sharded
//! scan looks up exactly what a single one does.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::exchange::{Exchange, Host};
use super::Scanner;
use crate::dane;
use crate::dns::{MxAnswer, SecureAnswer, TlsaRecord};
use crate::model::{DomainStatus, Target};
use crate::mtasts::{self, MtaSts, TlsRpt};

/// One target after the resolve stage: one line of `mxprobe resolve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolved {
    /// Where the target stood in the input, from 0: command-line targets
    /// first, then the list's lines (line N is `command-line count + N`).
    /// An address several MX names point to is probed with the SNI of the
    /// earliest, as a single scan, which starts targets in input order,
    /// usually does.
    pub seq: u64,
    /// The target as given.
    pub target: Target,
    /// What the MX lookup found for the domain as a whole.
    pub status: DomainStatus,
    /// Why `status` is not `ok`, one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The mail exchangers in the order a sender tries them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<ResolvedHost>,
    /// The MX RRset with its DNSSEC status, when DANE is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mx_dnssec: Option<SecureAnswer<MxAnswer>>,
    /// The MTA-STS TXT record and policy as found, before the MX hosts
    /// are held to it; when MTA-STS is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mta_sts: Option<MtaSts>,
    /// The TLS-RPT record, with MTA-STS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_rpt: Option<TlsRpt>,
}

/// One mail exchanger after the resolve stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedHost {
    /// Host name (lower case, no trailing dot), or an address.
    pub host: String,
    /// MX preference; none for `--host` targets and the implicit MX.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<u16>,
    /// RFC 5321 §5.1: no MX records, the domain itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub implicit: bool,
    /// The port to probe.
    pub port: u16,
    /// Why the host has no addresses, one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its addresses (IPv4 first), each to be probed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<IpAddr>,
    /// DANE's lookups of this host, when DANE is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dane: Option<DaneLookups>,
}

/// The secure lookups DANE needs of one MX host (RFC 7672 §2.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaneLookups {
    /// Its addresses, with their DNSSEC status.
    pub addresses: SecureAnswer<Vec<IpAddr>>,
    /// Its TLSA records at `_PORT._tcp.HOST`.
    pub tlsa: SecureAnswer<Vec<TlsaRecord>>,
}

/// What the MX lookup says: the exchangers to resolve, or why there are
/// none.
pub(super) enum MxStep {
    Exchanges(Vec<Exchange>),
    Stop(DomainStatus, String),
}

/// The checks' lookups of a domain, found alongside the probes.
#[derive(Default)]
pub(super) struct Checks {
    pub mx_dnssec: Option<SecureAnswer<MxAnswer>>,
    /// Per exchanger, in order.
    pub dane: Vec<Option<DaneLookups>>,
    pub mta_sts: Option<mtasts::Lookups>,
}

impl Resolved {
    /// The resolved target with the exchangers' addresses (`Err`: why
    /// there are none) and the checks' lookups.
    pub(super) fn new(
        seq: u64,
        target: Target,
        exchanges: &[Exchange],
        addresses: Vec<Result<Vec<IpAddr>, String>>,
        checks: Checks,
    ) -> Resolved {
        let mut dane = checks.dane.into_iter();
        let hosts = exchanges
            .iter()
            .zip(addresses)
            .map(|(x, addrs)| {
                let (addresses, error) = match addrs {
                    Ok(a) => (a, None),
                    Err(e) => (Vec::new(), Some(e)),
                };
                ResolvedHost {
                    host: x.host.to_string(),
                    preference: x.preference,
                    implicit: x.implicit,
                    port: x.port,
                    error,
                    addresses,
                    dane: dane.next().flatten(),
                }
            })
            .collect();
        let (mta_sts, tls_rpt) = match checks.mta_sts {
            Some(found) => (Some(found.mta_sts), Some(found.tls_rpt)),
            None => (None, None),
        };
        Resolved {
            seq,
            target,
            status: DomainStatus::Ok,
            error: None,
            hosts,
            mx_dnssec: checks.mx_dnssec,
            mta_sts,
            tls_rpt,
        }
    }

    /// A target whose MX lookup ended the resolution.
    pub(super) fn stopped(
        seq: u64,
        target: Target,
        status: DomainStatus,
        error: String,
    ) -> Resolved {
        Resolved {
            seq,
            target,
            status,
            error: Some(error),
            hosts: Vec::new(),
            mx_dnssec: None,
            mta_sts: None,
            tls_rpt: None,
        }
    }

    /// Every (address, port) to probe, with the SNI to probe it with.
    pub fn probes(&self) -> impl Iterator<Item = (IpAddr, u16, Option<&str>)> + '_ {
        self.hosts.iter().flat_map(|h| {
            let sni = match Host::parse(&h.host) {
                Host::Name(_) => Some(h.host.as_str()),
                Host::Ip(_) => None,
            };
            h.addresses.iter().map(move |ip| (*ip, h.port, sni))
        })
    }
}

impl Scanner {
    /// The resolve stage for one target (`seq`: its place in the input).
    /// Never fails: DNS problems are in the result.
    pub async fn resolve(&self, seq: u64, target: Target) -> Resolved {
        let exchanges = match self.mx_step(&target).await {
            MxStep::Exchanges(x) => x,
            MxStep::Stop(status, error) => return Resolved::stopped(seq, target, status, error),
        };
        let addresses = futures::future::join_all(exchanges.iter().map(|x| self.addresses_of(x)));
        let (addresses, checks) =
            futures::join!(addresses, self.checks(target.ascii_domain(), &exchanges));
        Resolved::new(seq, target, &exchanges, addresses, checks)
    }

    /// The exchangers of a target: a domain's MX hosts (or itself, RFC
    /// 5321 §5.1), or the `--host` itself.
    pub(super) async fn mx_step(&self, target: &Target) -> MxStep {
        let port = self.inner.config.port;
        let ascii = match target {
            Target::Domain { ascii, .. } => ascii,
            Target::Host { name, port: own } => {
                return MxStep::Exchanges(vec![Exchange {
                    host: Host::parse(name),
                    preference: None,
                    implicit: false,
                    port: own.unwrap_or(port),
                    addrs: None,
                }]);
            }
        };
        let exchange = |host: Host, preference, implicit, addrs| Exchange {
            host,
            preference,
            implicit,
            port,
            addrs,
        };
        match self.inner.resolver.mx(ascii).await {
            Err(e) if e.is_nx_domain() => MxStep::Stop(DomainStatus::Nxdomain, e.to_string()),
            Err(e) => MxStep::Stop(DomainStatus::DnsError, e.to_string()),
            Ok(MxAnswer::Null) => MxStep::Stop(
                DomainStatus::NullMx,
                format!("{ascii} publishes a null MX (RFC 7505): it accepts no mail"),
            ),
            // RFC 5321 §5.1: no MX records, so the domain itself is the
            // mail exchanger, if it has an address.
            Ok(MxAnswer::None) => match self.addresses(ascii).await {
                Ok(addrs) if !addrs.is_empty() => {
                    let host = Host::Name(ascii.to_owned());
                    MxStep::Exchanges(vec![exchange(host, None, true, Some(addrs))])
                }
                Ok(_) => MxStep::Stop(
                    DomainStatus::NoMx,
                    format!("{ascii} has neither MX records nor an address"),
                ),
                Err(e) if e.is_nx_domain() => MxStep::Stop(DomainStatus::NoMx, e.to_string()),
                Err(e) => MxStep::Stop(DomainStatus::DnsError, e.to_string()),
            },
            Ok(MxAnswer::Records(records)) => MxStep::Exchanges(
                records
                    .into_iter()
                    .map(|r| exchange(Host::parse(&r.exchange), Some(r.preference), false, None))
                    .collect(),
            ),
        }
    }

    /// What DANE and MTA-STS need of a domain (none for `--host`), looked
    /// up at the same time.
    pub(super) async fn checks(&self, domain: Option<&str>, exchanges: &[Exchange]) -> Checks {
        let Some(domain) = domain else {
            return Checks::default();
        };
        let inner = &*self.inner;
        let config = &inner.config;
        let mx_dnssec = async {
            match &inner.secure {
                Some(secure) => Some(secure.mx(domain).await),
                None => None,
            }
        };
        let dane = futures::future::join_all(exchanges.iter().map(|x| self.dane_lookups(x)));
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
        let (mx_dnssec, dane, mta_sts) = futures::join!(mx_dnssec, dane, sts);
        Checks {
            mx_dnssec,
            dane,
            mta_sts,
        }
    }

    /// DANE's lookups of one exchanger; none without DANE, and none for an
    /// exchanger given as an address (no name to secure).
    async fn dane_lookups(&self, x: &Exchange) -> Option<DaneLookups> {
        let secure = self.inner.secure.as_ref()?;
        let name = x.host.name()?;
        let families = self.inner.config.resolver.families;
        let tlsa = dane::tlsa_name(name, x.port);
        let (addresses, tlsa) = futures::join!(
            secure.addresses(name, families.v4(), families.v6()),
            secure.tlsa(&tlsa)
        );
        Some(DaneLookups { addresses, tlsa })
    }
}
