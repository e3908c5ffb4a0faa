//! One mail exchanger: its addresses, each probed once per scan however
//! many names point at it (the name part of the trust checks, which
//! differs per MX name and recipient domain, is `assemble`'s).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use futures::future::FutureExt;

use super::cache::{ProbeKey, SharedProbe};
use super::{probe, Inner, Scanner};
use crate::dns::{DnsError, Families};
use crate::model::AddressReport;

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
    /// MX preference (none for `--host` and the implicit MX).
    pub preference: Option<u16>,
    /// RFC 5321 §5.1: no MX records, the domain itself.
    pub implicit: bool,
    pub port: u16,
    /// Addresses already looked up (the implicit MX).
    pub addrs: Option<Vec<IpAddr>>,
}

impl Scanner {
    /// The addresses of one exchanger: looked up, unless it is an address
    /// or was resolved already; `Err`: why it has none.
    pub(super) async fn addresses_of(&self, x: &Exchange) -> Result<Vec<IpAddr>, String> {
        match (&x.host, &x.addrs) {
            (_, Some(addrs)) => Ok(addrs.clone()),
            (Host::Ip(ip), None) => Ok(vec![*ip]),
            (Host::Name(name), None) => match self.inner.resolver.addresses(name).await {
                Ok(addrs) if !addrs.is_empty() => Ok(addrs),
                Ok(_) => Err(format!("{name} has no address ({})", self.families_text())),
                Err(e) => Err(e.to_string()),
            },
        }
    }

    /// One exchanger's addresses, and their probes as soon as they are
    /// known.
    pub(super) async fn probe_exchange(
        &self,
        x: &Exchange,
    ) -> (Result<Vec<IpAddr>, String>, Vec<AddressReport>) {
        let addrs = self.addresses_of(x).await;
        let sni = x.host.name().map(str::to_owned);
        let probes = match &addrs {
            Ok(addrs) => {
                futures::future::join_all(
                    addrs
                        .iter()
                        .map(|ip| self.probe_shared((*ip, x.port), sni.clone())),
                )
                .await
            }
            Err(_) => Vec::new(),
        };
        (addrs, probes)
    }

    /// The probe stage for one address (`mxprobe probe`), with `sni` as the
    /// host name of its handshakes. The stage asks for each address once,
    /// so the result bypasses the scan's cache, which would only hold
    /// results nobody asks for again. The name part of the trust checks is
    /// left to [`Scanner::join`], which knows the MX names and recipient
    /// domains.
    pub async fn probe_address(&self, ip: IpAddr, port: u16, sni: Option<&str>) -> AddressReport {
        probe_one(Arc::clone(&self.inner), (ip, port), sni.map(str::to_owned)).await
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
            probe_one(Arc::clone(&self.inner), key, sni)
                .boxed()
                .shared()
        })
    }

    pub(super) async fn addresses(&self, name: &str) -> Result<Vec<IpAddr>, DnsError> {
        self.inner.resolver.addresses(name).await
    }
}

/// One address probed, with what the scan shares (its configuration,
/// connection limit, resolver and verifiers).
async fn probe_one(inner: Arc<Inner>, (ip, port): ProbeKey, sni: Option<String>) -> AddressReport {
    let ctx = probe::Context {
        config: &inner.config,
        connections: Arc::clone(&inner.connections),
        resolver: &inner.resolver,
        trust: &inner.trust,
        strict: &inner.strict,
    };
    probe::probe(ip, port, sni.as_deref(), &ctx).await
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
