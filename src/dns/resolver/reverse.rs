//! Reverse DNS and CNAME chains: the lookups that go around hickory's
//! resolver (PTR, see the parent's module doc) or behind it (tracing a
//! chain that came to nothing, to name a loop).

use std::net::IpAddr;

use hickory_resolver::proto::op::{Message, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, RecordType};

use super::super::answer::{dedup_in_order, host_name};
use super::super::cname::{self, Broken, Chain, MAX_CNAMES};
use super::super::stub::Flags;
use super::super::{DnsError, PtrLookup, QueryType};
use super::Resolver;

impl Resolver {
    /// Names of `ip` (PTR under in-addr.arpa / ip6.arpa), lower case without
    /// the trailing dot, de-duplicated. For forward-confirmed reverse DNS.
    /// See [`Resolver::ptr_lookup`].
    pub async fn ptr(&self, ip: IpAddr) -> Result<Vec<String>, DnsError> {
        self.ptr_lookup(ip).await.names
    }

    /// The PTR records of `ip`, asked of the configured nameservers
    /// themselves for every address, loopback included, and the CNAMEs
    /// followed to them (RFC 2317 classless delegation). NXDOMAIN at the
    /// end of the chain is an error ([`DnsError::is_nx_domain`]), NODATA an
    /// empty list; a loop is [`DnsError::CnameLoop`].
    pub async fn ptr_lookup(&self, ip: IpAddr) -> PtrLookup {
        let mut start = Name::from(ip);
        start.set_fqdn(true);
        let mut chain = Chain::new(start);
        let names = self.ptr_chain(&mut chain).await.map(|data| {
            let mut names: Vec<String> = data.iter().map(|n| host_name(&n.to_ascii())).collect();
            dedup_in_order(&mut names);
            names
        });
        PtrLookup {
            chain: chain.display(),
            names,
        }
    }

    /// Ask for the PTR records at the chain's last name, following CNAMEs,
    /// and asking again about a CNAME's target when the answer stops at it
    /// (a server that did not chase it, or a target without PTR records).
    async fn ptr_chain(&self, chain: &mut Chain) -> Result<Vec<Name>, DnsError> {
        let qtype = QueryType::Ptr;
        // Each round either answers or makes the chain longer, which
        // `Chain::push` bounds; the count is a second bound.
        for _ in 0..=MAX_CNAMES {
            let asked = chain.last().clone();
            let message = self.ask(&asked, RecordType::PTR, qtype).await?;
            let code = message.metadata.response_code;
            if !matches!(code, ResponseCode::NoError | ResponseCode::NXDomain) {
                if code == ResponseCode::ServFail {
                    // Perhaps a loop the nameserver gave up on: trace the
                    // chain, and blame the name it ends at.
                    let traced = cname::trace(chain, |n| self.stub_cname(n)).await;
                    if let Some(broken) = traced {
                        return Err(chain.error(broken, qtype));
                    }
                }
                return Err(self.context(chain.last(), qtype).rcode(code));
            }
            let data = cname::follow(chain, &message.answers, RecordType::PTR);
            let data = data.map_err(|broken| chain.error(broken, qtype))?;
            if !data.is_empty() {
                return Ok(data
                    .into_iter()
                    .filter_map(|d| match d {
                        RData::PTR(ptr) => Some(ptr.0.clone()),
                        _ => None,
                    })
                    .collect());
            }
            if code == ResponseCode::NXDomain {
                // RFC 6604 §2.1: after CNAMEs, the code is about the last
                // name of the chain.
                return Err(self.context(chain.last(), qtype).rcode(code));
            }
            if chain.last() == &asked {
                return Ok(Vec::new());
            }
        }
        Err(chain.error(Broken::TooLong, qtype))
    }

    /// The CNAME target of `name`, asked of the nameservers directly.
    async fn stub_cname(&self, name: Name) -> Result<Option<Name>, DnsError> {
        let message = self.ask(&name, RecordType::CNAME, QueryType::Ptr).await?;
        Ok(cname::cname_target(&message.answers, &name))
    }

    /// One question to the nameservers through the stub, waiting for a
    /// turn under the lookup limit, within the lookup deadline.
    async fn ask(
        &self,
        name: &Name,
        rtype: RecordType,
        qtype: QueryType,
    ) -> Result<Message, DnsError> {
        let _turn = match &self.limit {
            Some(limit) => limit.turn().await,
            None => None,
        };
        let inner = &*self.inner;
        let query = Query::query(name.clone(), rtype);
        let exchange = inner.stub.exchange(&query, Flags::default());
        match tokio::time::timeout(inner.deadline, exchange).await {
            Err(_elapsed) => Err(self.context(name, qtype).timeout()),
            Ok(Err(e)) => Err(self.context(name, qtype).unanswered(e)),
            Ok(Ok(message)) => Ok(message),
        }
    }

    /// The error for a lookup of `name` that came to nothing because its
    /// CNAMEs loop or go on too long; `None` when they do not. The chain is
    /// traced one CNAME question at a time (see `cname.rs`).
    pub(super) async fn broken_chain(&self, name: Name, qtype: QueryType) -> Option<DnsError> {
        let mut chain = Chain::new(name);
        let broken = cname::trace(&mut chain, |n| self.cname_of(n)).await?;
        Some(chain.error(broken, qtype))
    }

    /// The CNAME target of `name` (through hickory, cached); `None` also
    /// when the question fails.
    async fn cname_of(&self, name: Name) -> Result<Option<Name>, DnsError> {
        let _turn = match &self.limit {
            Some(limit) => limit.turn().await,
            None => None,
        };
        let lookup = self.inner.resolver.lookup(name.clone(), RecordType::CNAME);
        Ok(
            match tokio::time::timeout(self.inner.deadline, lookup).await {
                Ok(Ok(lookup)) => cname::cname_target(lookup.answers(), &name),
                _ => None,
            },
        )
    }
}
