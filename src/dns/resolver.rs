//! [`Resolver`]: hickory-resolver set up the way a mail prober needs it,
//! and the stub transport for reverse DNS.
//!
//! PTR lookups do not go through hickory's resolver: it answers every
//! reverse name under 127.0.0.0/8 and ::1 itself with `localhost` (RFC 6761
//! §6.3 asks resolver libraries to), so loopback addresses would never
//! reach the configured nameservers. A PTR question is asked of them
//! directly (`stub.rs`), and the CNAMEs of RFC 2317 classless delegation
//! are followed here (`cname.rs`), so the chain can be shown.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{
    NameServerConfig, ResolveHosts, ResolverConfig as HickoryConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::TokioResolver;

use super::answer::{answer_data, combine_families, exchange_text, txt_string};
use super::cname;
use super::error::QueryContext;
use super::stub::Stub;
use super::LookupLimit;
use super::{DnsError, Families, MxAnswer, MxRecord, QueryType, ResolverConfig, TlsaRecord};

mod reverse;

/// Responses kept in the cache. hickory's default (8192) is sized for a
/// desktop; a bulk scan touches a few records per domain and benefits from
/// remembering the MX hosts shared by many domains.
const CACHE_SIZE: u64 = 65_536;

/// A DNS resolver for the scan. Cheap to clone (one `Arc`); clones share the
/// cache and the connections.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
    limit: Option<LookupLimit>,
}

struct Inner {
    resolver: TokioResolver,
    /// The same nameservers, asked directly: for PTR (see the module doc).
    stub: Stub,
    families: Families,
    /// Where queries go, for messages.
    servers: String,
    timeout: Duration,
    attempts: usize,
    /// Outer bound on one lookup, on top of hickory's own per-attempt
    /// timeouts: attempts × timeout, twice, which leaves room for one CNAME
    /// target that needs a query of its own.
    deadline: Duration,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("servers", &self.inner.servers)
            .field("timeout", &self.inner.timeout)
            .field("attempts", &self.inner.attempts)
            .field("families", &self.inner.families)
            .finish()
    }
}

impl Resolver {
    /// Build a resolver. Fails only on set-up problems: a zero timeout, or no
    /// usable system configuration when no nameservers are given.
    ///
    /// Needs no runtime to build; the lookups must run on a tokio runtime.
    pub fn new(config: &ResolverConfig) -> Result<Self, DnsError> {
        if config.timeout.is_zero() {
            return Err(DnsError::Setup {
                reason: "the DNS timeout must be greater than zero".into(),
            });
        }
        let attempts = config.attempts.max(1);
        let (hickory_config, mut options, servers, addrs) = if config.nameservers.is_empty() {
            read_system()?
        } else {
            let (c, o, s) = explicit_config(&config.nameservers);
            (c, o, s, config.nameservers.clone())
        };
        options.timeout = config.timeout;
        // hickory's `attempts` counts retries after the first try.
        options.attempts = attempts - 1;
        options.cache_size = CACHE_SIZE;
        // resolv.conf leaves EDNS off unless `options edns0` is set; without
        // it every answer over 512 bytes (long MX sets, TXT policies, TLSA)
        // costs a second round trip over TCP.
        options.edns0 = true;
        // Keep the CNAMEs in answers: `answer_data` follows them to decide
        // which records answer the question.
        options.preserve_intermediates = true;

        let resolver =
            TokioResolver::builder_with_config(hickory_config, TokioRuntimeProvider::default())
                .with_options(options)
                .build()
                .map_err(|e| DnsError::Setup {
                    reason: e.to_string(),
                })?;
        let per_lookup = config
            .timeout
            .saturating_mul(u32::try_from(attempts).unwrap_or(u32::MAX));
        Ok(Self {
            inner: Arc::new(Inner {
                resolver,
                stub: Stub {
                    servers: addrs,
                    timeout: config.timeout,
                    attempts,
                    describe: servers.clone(),
                },
                families: config.families,
                servers,
                timeout: config.timeout,
                attempts,
                deadline: per_lookup.saturating_mul(2),
            }),
            limit: None,
        })
    }

    /// The same resolver (sharing its cache) with every lookup waiting for
    /// a turn under `limit`.
    pub(crate) fn limited(&self, limit: LookupLimit) -> Resolver {
        Resolver {
            inner: Arc::clone(&self.inner),
            limit: Some(limit),
        }
    }

    /// The address families [`Resolver::addresses`] looks up.
    pub fn families(&self) -> Families {
        self.inner.families
    }

    /// Where queries go, as messages name it (`nameserver 127.0.0.1:53`).
    pub fn servers(&self) -> &str {
        &self.inner.servers
    }

    /// MX records of `domain` (normalised ASCII, see
    /// [`super::normalize_domain`]); see [`MxAnswer`] for how the records
    /// are interpreted. NODATA gives [`MxAnswer::None`];
    /// NXDOMAIN an error for which [`DnsError::is_nx_domain`] holds.
    ///
    /// A SERVFAIL caused by a CNAME loop is reported as the loop.
    pub async fn mx(&self, domain: &str) -> Result<MxAnswer, DnsError> {
        let name = absolute(domain, QueryType::Mx)?;
        let data = match self.query(name.clone(), QueryType::Mx).await {
            Err(e) if e.is_servfail() => {
                return Err(self.broken_chain(name, QueryType::Mx).await.unwrap_or(e))
            }
            answer => answer?,
        };
        Ok(MxAnswer::from_records(data.iter().filter_map(
            |d| match d {
                RData::MX(mx) => Some(MxRecord {
                    preference: mx.preference,
                    exchange: exchange_text(&mx.exchange),
                }),
                _ => None,
            },
        )))
    }

    /// Addresses of `host`: A and AAAA queried concurrently (only the
    /// families configured), CNAMEs followed, IPv4 first then IPv6, each in
    /// answer order, de-duplicated. NODATA for both gives an empty list.
    ///
    /// When one family fails and the other has addresses, the addresses are
    /// returned and the failure is dropped; when neither has addresses, the
    /// A error (or else the AAAA error) is returned. No addresses or a
    /// SERVFAIL because the host's CNAMEs loop (or go on too long) is
    /// reported as that ([`DnsError::is_cname_loop`]), with the chain.
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        let families = self.inner.families;
        let v4 = async {
            if !families.v4() {
                return None;
            }
            let name = match absolute(host, QueryType::A) {
                Ok(name) => name,
                Err(e) => return Some(Err(e)),
            };
            Some(self.query(name, QueryType::A).await.map(|data| {
                data.iter()
                    .filter_map(|d| match d {
                        RData::A(a) => Some(IpAddr::V4(a.0)),
                        _ => None,
                    })
                    .collect()
            }))
        };
        let v6 = async {
            if !families.v6() {
                return None;
            }
            let name = match absolute(host, QueryType::Aaaa) {
                Ok(name) => name,
                Err(e) => return Some(Err(e)),
            };
            Some(self.query(name, QueryType::Aaaa).await.map(|data| {
                data.iter()
                    .filter_map(|d| match d {
                        RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
                        _ => None,
                    })
                    .collect()
            }))
        };
        let (v4, v6) = futures::join!(v4, v6);
        let combined = combine_families(v4, v6);
        match &combined {
            Ok(addresses) if addresses.is_empty() => {}
            Err(e) if e.is_servfail() => {}
            _ => return combined,
        }
        let qtype = if families.v4() {
            QueryType::A
        } else {
            QueryType::Aaaa
        };
        let Ok(name) = absolute(host, qtype) else {
            return combined;
        };
        match self.broken_chain(name, qtype).await {
            Some(e) => Err(e),
            None => combined,
        }
    }

    /// What a query of `name` is, for its errors.
    fn context(&self, name: &Name, qtype: QueryType) -> QueryContext<'_> {
        let inner = &*self.inner;
        QueryContext {
            name: cname::display(name),
            qtype,
            servers: &inner.servers,
            attempts: inner.attempts,
            timeout: inner.timeout,
        }
    }

    /// TXT records of `name`, one string per record with its
    /// character-strings concatenated (RFC 7208 §3.3, RFC 8461 §3.1), in
    /// answer order. For MTA-STS (`_mta-sts.<domain>`) and SPF.
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        let data = self
            .query(absolute(name, QueryType::Txt)?, QueryType::Txt)
            .await?;
        Ok(data
            .iter()
            .filter_map(|d| match d {
                RData::TXT(txt) => Some(txt_string(&txt.txt_data)),
                _ => None,
            })
            .collect())
    }

    /// TLSA records of `name` (e.g. `_25._tcp.mx.example.org`), for DANE
    /// (RFC 7672). Not DNSSEC-validated.
    pub async fn tlsa(&self, name: &str) -> Result<Vec<TlsaRecord>, DnsError> {
        let data = self
            .query(absolute(name, QueryType::Tlsa)?, QueryType::Tlsa)
            .await?;
        Ok(data
            .iter()
            .filter_map(|d| match d {
                RData::TLSA(tlsa) => Some(TlsaRecord {
                    usage: u8::from(tlsa.cert_usage),
                    selector: u8::from(tlsa.selector),
                    matching: u8::from(tlsa.matching),
                    data: tlsa.cert_data.clone(),
                }),
                _ => None,
            })
            .collect())
    }

    /// One lookup: the records answering `name`/`qtype`, empty on NODATA.
    async fn query(&self, name: Name, qtype: QueryType) -> Result<Vec<RData>, DnsError> {
        let _turn = match &self.limit {
            Some(limit) => limit.turn().await,
            None => None,
        };
        let inner = &*self.inner;
        let ctx = self.context(&name, qtype);
        let lookup = inner.resolver.lookup(name.clone(), record_type(qtype));
        match tokio::time::timeout(inner.deadline, lookup).await {
            Err(_elapsed) => Err(ctx.timeout()),
            Ok(Ok(lookup)) => Ok(answer_data(&name, lookup.answers())
                .into_iter()
                .cloned()
                .collect()),
            Ok(Err(e)) => ctx.classify(e).map(|()| Vec::new()),
        }
    }
}

fn record_type(qtype: QueryType) -> RecordType {
    match qtype {
        QueryType::Mx => RecordType::MX,
        QueryType::A => RecordType::A,
        QueryType::Aaaa => RecordType::AAAA,
        QueryType::Ptr => RecordType::PTR,
        QueryType::Txt => RecordType::TXT,
        QueryType::Tlsa => RecordType::TLSA,
    }
}

/// The absolute form of `name`: with the trailing dot, so neither the search
/// list nor `ndots` of resolv.conf ever applies.
fn absolute(name: &str, qtype: QueryType) -> Result<Name, DnsError> {
    let invalid = |reason: String| DnsError::InvalidName {
        name: name.to_owned(),
        qtype,
        reason,
    };
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() {
        return Err(invalid("empty name".into()));
    }
    if !trimmed.is_ascii() {
        return Err(invalid("not ASCII; normalise it to A-labels first".into()));
    }
    let mut parsed =
        Name::from_ascii(trimmed.to_ascii_lowercase()).map_err(|e| invalid(e.to_string()))?;
    parsed.set_fqdn(true);
    Ok(parsed)
}

/// The nameservers of the system configuration, with their ports.
pub(crate) fn system_nameservers() -> Result<Vec<SocketAddr>, DnsError> {
    let (_, _, _, addrs) = read_system()?;
    Ok(addrs)
}

/// System nameservers with resolv.conf's options (our timeout and attempts
/// are applied by the caller), described for messages, and their addresses.
fn read_system() -> Result<(HickoryConfig, ResolverOpts, String, Vec<SocketAddr>), DnsError> {
    let (config, options) = hickory_resolver::system_conf::read_system_conf().map_err(|e| {
        DnsError::Setup {
            reason: format!(
                "cannot read the system resolver configuration: {e}; name the nameservers explicitly"
            ),
        }
    })?;
    let addrs: Vec<SocketAddr> = config
        .name_servers()
        .iter()
        .map(|ns| {
            let port = ns.connections.first().map_or(53, |c| c.port);
            SocketAddr::new(ns.ip, port)
        })
        .collect();
    if addrs.is_empty() {
        return Err(DnsError::Setup {
            reason: "the system resolver configuration lists no nameservers; name them explicitly"
                .into(),
        });
    }
    let describe = describe("system nameserver", &addrs);
    Ok((config, options, describe, addrs))
}

/// Exactly the given nameservers: UDP with TCP on truncation, no hosts file,
/// no search list.
fn explicit_config(addrs: &[SocketAddr]) -> (HickoryConfig, ResolverOpts, String) {
    let servers = addrs
        .iter()
        .map(|addr| {
            let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
            for connection in &mut ns.connections {
                connection.port = addr.port();
            }
            ns
        })
        .collect();
    let mut options = ResolverOpts::default();
    options.use_hosts_file = ResolveHosts::Never;
    (
        HickoryConfig::from_name_servers(servers),
        options,
        describe("nameserver", addrs),
    )
}

/// `nameserver 192.0.2.53:53` or `nameservers a, b`, for messages.
pub(super) fn describe(noun: &str, addrs: &[SocketAddr]) -> String {
    let list: Vec<String> = addrs.iter().map(SocketAddr::to_string).collect();
    let plural = if addrs.len() == 1 { "" } else { "s" };
    format!("{noun}{plural} {}", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_is_cheap_to_share() {
        fn assert_traits<T: Clone + Send + Sync + 'static>() {}
        assert_traits::<Resolver>();
    }

    #[test]
    fn builds_without_a_runtime_and_describes_its_servers() {
        let config = ResolverConfig {
            nameservers: vec!["127.0.0.1:5353".parse().expect("addr")],
            ..ResolverConfig::default()
        };
        let resolver = Resolver::new(&config).expect("resolver");
        assert_eq!(resolver.servers(), "nameserver 127.0.0.1:5353");

        let two = ["192.0.2.1:53", "[2001:db8::1]:53"].map(|a| a.parse().expect("addr"));
        assert_eq!(
            describe("nameserver", &two),
            "nameservers 192.0.2.1:53, [2001:db8::1]:53"
        );
    }

    #[test]
    fn rejects_a_zero_timeout() {
        let config = ResolverConfig {
            nameservers: vec!["127.0.0.1:53".parse().expect("addr")],
            timeout: Duration::ZERO,
            ..ResolverConfig::default()
        };
        let err = Resolver::new(&config).expect_err("zero timeout");
        assert_eq!(
            err.to_string(),
            "cannot set up the DNS resolver: the DNS timeout must be greater than zero"
        );
    }

    #[test]
    fn names_are_made_absolute() {
        let name = absolute("Example.ORG", QueryType::Mx).expect("name");
        assert!(name.is_fqdn());
        assert_eq!(name.to_ascii(), "example.org.");
        assert_eq!(
            absolute("example.org.", QueryType::Mx)
                .expect("name")
                .to_ascii(),
            "example.org."
        );
        assert!(matches!(
            absolute("", QueryType::Mx),
            Err(DnsError::InvalidName { .. })
        ));
        assert!(matches!(
            absolute("bücher.example", QueryType::A),
            Err(DnsError::InvalidName { .. })
        ));
        let long = format!("{}.org", "a".repeat(64));
        assert!(matches!(
            absolute(&long, QueryType::A),
            Err(DnsError::InvalidName { .. })
        ));
    }
}
