//! One mail exchanger: its addresses, each probed once per scan however
//! many names point at it, and the name part of the trust checks, which
//! differs per MX name and recipient domain.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use futures::future::FutureExt;

use super::cache::{ProbeKey, SharedProbe};
use super::{probe, Scanner};
use crate::dns::{DnsError, Families};
use crate::model::{AddressReport, MxReport};
use crate::trust;

/// A mail exchanger's host: a name to resolve (and to verify certificates
/// against), or an address given as such (`--host 192.0.2.1`, an MX record
/// naming an address).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Host {
    Name(String),
    Ip(IpAddr),
}

impl Host {
    /// An address when `text` is one, a name otherwise.
    pub(crate) fn parse(text: &str) -> Host {
        text.parse()
            .map_or_else(|_| Host::Name(text.to_owned()), Host::Ip)
    }

    /// The name to send as SNI and to check certificates against; none for
    /// an address.
    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Host::Name(name) => Some(name),
            Host::Ip(_) => None,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// A mail exchanger to probe.
#[derive(Debug, Clone)]
pub(super) struct Exchange {
    pub host: Host,
    /// The recipient domain (none for `--host`).
    pub domain: Option<String>,
    /// MX preference (none for `--host` and the implicit MX).
    pub preference: Option<u16>,
    /// RFC 5321 §5.1: no MX records, the domain itself.
    pub implicit: bool,
    pub port: u16,
    /// Addresses already looked up (the implicit MX).
    pub addrs: Option<Vec<IpAddr>>,
}

impl Exchange {
    fn report(&self, addresses: Vec<AddressReport>, error: Option<String>) -> MxReport {
        MxReport {
            host: self.host.to_string(),
            preference: self.preference,
            implicit: self.implicit,
            error,
            addresses,
            dane: None,
        }
    }
}

impl Scanner {
    /// Resolve one exchanger (unless given as an address or already
    /// resolved) and probe its addresses.
    pub(super) async fn mx_report(&self, x: &Exchange) -> MxReport {
        let addrs = match (&x.host, &x.addrs) {
            (_, Some(addrs)) => addrs.clone(),
            (Host::Ip(ip), None) => vec![*ip],
            (Host::Name(name), None) => match self.inner.resolver.addresses(name).await {
                Ok(addrs) if !addrs.is_empty() => addrs,
                Ok(_) => {
                    let why = format!("{name} has no address ({})", self.families_text());
                    return x.report(Vec::new(), Some(why));
                }
                Err(e) => return x.report(Vec::new(), Some(e.to_string())),
            },
        };
        let sni = x.host.name().map(str::to_owned);
        let mut addresses = futures::future::join_all(
            addrs
                .into_iter()
                .map(|ip| self.probe_shared((ip, x.port), sni.clone())),
        )
        .await;
        for a in &mut addresses {
            check_names(a, &x.host.to_string(), x.domain.as_deref());
        }
        x.report(addresses, None)
    }

    fn families_text(&self) -> &'static str {
        match self.inner.config.resolver.families {
            Families::Both => "no A or AAAA record",
            Families::V4 => "no A record; -4 given",
            Families::V6 => "no AAAA record; -6 given",
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
                let ctx = probe::Context {
                    config: &inner.config,
                    connections: Arc::clone(&inner.connections),
                    resolver: &inner.resolver,
                    trust: &inner.trust,
                    strict: &inner.strict,
                };
                probe::probe(ip, port, sni.as_deref(), &ctx).await
            }
            .boxed()
            .shared()
        })
    }

    pub(super) async fn addresses(&self, name: &str) -> Result<Vec<IpAddr>, DnsError> {
        self.inner.resolver.addresses(name).await
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_names_or_addresses() {
        assert_eq!(Host::parse("192.0.2.1"), Host::Ip([192, 0, 2, 1].into()));
        assert_eq!(Host::parse("::1"), Host::Ip("::1".parse().expect("ip")));
        let name = Host::parse("mx.example.org");
        assert_eq!(name.name(), Some("mx.example.org"));
        assert_eq!(name.to_string(), "mx.example.org");
        assert_eq!(Host::Ip([192, 0, 2, 1].into()).name(), None);
    }
}
