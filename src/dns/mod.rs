//! The resolver stage: where does mail for a domain go, and at which
//! addresses.
//!
//! What it does:
//!
//! * [`normalize_domain`] turns user input into the ASCII (A-label) name that
//!   is looked up, or says why it cannot be one.
//! * [`Resolver::mx`] looks up MX records and decides what they mean:
//!   exchanges in the order a sender tries them, an RFC 7505 null MX
//!   ("this domain accepts no mail"), or no MX at all, in which case the
//!   caller applies the implicit MX of RFC 5321 §5.1 (the domain itself, as
//!   if it had an MX of preference 0).
//! * [`Resolver::addresses`] looks up A and AAAA concurrently, CNAMEs
//!   followed, IPv4 first.
//! * [`Resolver::ptr_lookup`], [`Resolver::txt`] and [`Resolver::tlsa`]
//!   serve the later checks: forward-confirmed reverse DNS, MTA-STS (RFC
//!   8461) and SPF TXT records, DANE TLSA records (RFC 7672). PTR questions
//!   go to the nameservers directly, for every address (hickory would
//!   answer loopback ones itself), and their CNAMEs are followed and shown
//!   (RFC 2317 classless delegation).
//! * CNAME loops are named as loops, with the chain, wherever names are
//!   followed: MX hosts, their addresses, reverse names (`cname.rs`).
//!
//! [`SecureResolver`] (`dnssec.rs`) answers the same questions with their
//! DNSSEC status, validated by mxprobe or taken from a validating
//! resolver's AD bit, for DANE (RFC 7672).
//!
//! What it does not do: it does not apply the implicit MX itself (that is
//! the scan's decision, and the report marks it), does not validate DNSSEC
//! in [`Resolver`] (a DANE check must not treat its TLSA records as
//! authenticated; it uses [`SecureResolver`]), does
//! not fall back from a failed MX lookup to the A record (RFC 5321 §5.1
//! allows the implicit MX only when there are no MX records, not when the
//! lookup failed), and never retries beyond the configured attempts.
//!
//! Every query is for an absolute name: search lists and `ndots` never
//! apply, so `mx("example")` asks for `example.` and nothing else. Answers
//! are cached (hickory's cache, honouring TTLs) and the cache is shared by
//! every clone of a [`Resolver`], so a bulk scan asks once for an MX host
//! that serves many domains.

mod answer;
mod cname;
pub(crate) mod dnssec;
mod error;
mod name;
mod resolver;
mod stub;

use std::net::SocketAddr;
use std::time::Duration;

pub use dnssec::{DnssecConfig, DnssecMode, DnssecStatus, SecureAnswer, SecureResolver};
pub use error::{DnsError, QueryType};
pub use name::{normalize_domain, NameError};
pub use resolver::Resolver;

pub(crate) use cname::chain_text;
/// CNAMEs followed from one name before the chain is reported as too long.
pub use cname::MAX_CNAMES;

/// Which address families to probe (`-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Families {
    /// IPv4 and IPv6 (the default).
    #[default]
    Both,
    /// IPv4 only (`-4`): no AAAA lookups.
    V4,
    /// IPv6 only (`-6`): no A lookups.
    V6,
}

impl Families {
    /// Whether A records are wanted.
    pub fn v4(self) -> bool {
        matches!(self, Families::Both | Families::V4)
    }

    /// Whether AAAA records are wanted.
    pub fn v6(self) -> bool {
        matches!(self, Families::Both | Families::V6)
    }
}

/// A bound on DNS lookups in flight at once, shared by every resolver of a
/// scan (`--dns-concurrency`): MX, address, PTR, TXT, TLSA lookups and
/// the DNSSEC-validated ones alike. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct LookupLimit(std::sync::Arc<tokio::sync::Semaphore>);

impl LookupLimit {
    /// At most `n` lookups at a time (0 is taken as 1).
    pub(crate) fn new(n: usize) -> LookupLimit {
        LookupLimit(std::sync::Arc::new(tokio::sync::Semaphore::new(n.max(1))))
    }

    /// Wait for a turn; the lookup runs while the permit lives.
    pub(crate) async fn turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.0.acquire().await.ok()
    }
}

/// How to resolve.
#[derive(Debug, Clone)]
pub struct ResolverConfig {
    /// Nameservers to query; empty means the system's configuration
    /// (`/etc/resolv.conf`, with its nameservers but our timeout and
    /// attempts). When given, exactly these are asked, over UDP with TCP
    /// when an answer is truncated, and the hosts file is not consulted.
    pub nameservers: Vec<SocketAddr>,
    /// Timeout of one query attempt. Must not be zero.
    pub timeout: Duration,
    /// Attempts per query before giving up (0 is taken as 1).
    pub attempts: usize,
    /// Which address records [`Resolver::addresses`] looks up.
    pub families: Families,
}

impl Default for ResolverConfig {
    /// System nameservers, 5 s per attempt, 2 attempts, both families: the
    /// resolv.conf defaults.
    fn default() -> Self {
        Self {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(5),
            attempts: 2,
            families: Families::Both,
        }
    }
}

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct MxRecord {
    /// Lower is tried first (RFC 5321 §5.1).
    pub preference: u16,
    /// Lower case, no trailing dot.
    pub exchange: String,
}

/// The answer to "where does mail for this domain go". In JSON (the
/// `resolve` stage's output): `{"kind": "records", "records": [...]}`,
/// `{"kind": "null"}` or `{"kind": "none"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "records", rename_all = "kebab-case")]
pub enum MxAnswer {
    /// MX records, sorted by preference then name.
    Records(Vec<MxRecord>),
    /// RFC 7505 null MX.
    Null,
    /// No MX records (NODATA): the implicit MX applies.
    None,
}

/// A PTR lookup ([`Resolver::ptr_lookup`]): the names it went through and
/// what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtrLookup {
    /// The address's reverse name (under in-addr.arpa or ip6.arpa), then
    /// each CNAME target followed from it, e.g. `4.3.2.1.in-addr.arpa`,
    /// `4.0/26.3.2.1.in-addr.arpa` (RFC 2317); lower case, no trailing dot.
    pub chain: Vec<String>,
    /// The PTR names at the end of the chain, lower case, no trailing dot,
    /// de-duplicated; empty on NODATA. NXDOMAIN there is an error for which
    /// [`DnsError::is_nx_domain`] holds.
    pub names: Result<Vec<String>, DnsError>,
}

/// One TLSA record (RFC 6698 §2.1), fields as on the wire; in JSON the
/// data is hex, as in zone files.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TlsaRecord {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    pub usage: u8,
    /// Selector: 0 full certificate, 1 SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching: u8,
    /// Certificate association data.
    #[serde(with = "hex_data")]
    pub data: Vec<u8>,
}

/// Bytes as lower-case hex in JSON.
mod hex_data {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::hex::encode(data))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::hex::decode(&text).ok_or_else(|| D::Error::custom(format!("not hex: {text:?}")))
    }
}
