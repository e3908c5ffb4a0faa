//! The resolver stage: MX, A/AAAA (and later PTR, TXT, TLSA) via hickory-resolver.
//!
//! SKELETON: the interface below is fixed; the bodies are being written.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Which address families to probe (`-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Families {
    #[default]
    Both,
    V4,
    V6,
}

/// How to resolve.
#[derive(Debug, Clone)]
pub struct ResolverConfig {
    /// Nameservers to query; empty means the system's configuration.
    pub nameservers: Vec<SocketAddr>,
    /// Timeout of one query attempt.
    pub timeout: Duration,
    /// Attempts per query before giving up.
    pub attempts: usize,
    pub families: Families,
}

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxRecord {
    pub preference: u16,
    /// Lower case, no trailing dot.
    pub exchange: String,
}

/// The answer to "where does mail for this domain go".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MxAnswer {
    /// MX records, sorted by preference then name.
    Records(Vec<MxRecord>),
    /// RFC 7505 null MX.
    Null,
    /// No MX records (NODATA): the implicit MX applies.
    None,
}

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("todo")]
    Todo,
}

impl DnsError {
    pub fn is_nx_domain(&self) -> bool {
        todo!()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid domain name {input:?}: {reason}")]
pub struct NameError {
    pub input: String,
    pub reason: String,
}

/// Normalise a user-supplied domain: trim, lower case, drop a trailing dot,
/// IDN to A-labels, validate.
pub fn normalize_domain(_input: &str) -> Result<String, NameError> {
    todo!()
}

#[derive(Clone)]
pub struct Resolver {}

impl Resolver {
    pub fn new(_config: &ResolverConfig) -> Result<Self, DnsError> {
        todo!()
    }
    pub async fn mx(&self, _domain: &str) -> Result<MxAnswer, DnsError> {
        todo!()
    }
    pub async fn addresses(&self, _host: &str) -> Result<Vec<IpAddr>, DnsError> {
        todo!()
    }
}
