//! Why a lookup failed, as data a caller can branch on.
//!
//! Every variant names the queried name and record type, so a message is
//! useful on its own in a report line. Callers branch with the predicates
//! ([`DnsError::is_nx_domain`], [`DnsError::is_timeout`],
//! [`DnsError::is_servfail`]), never on the text.
//!
//! A NODATA answer (the name exists, the type does not) is not an error: the
//! lookups return an empty list or [`super::MxAnswer::None`] for it.

use std::fmt;
use std::time::Duration;

use hickory_resolver::net::{self, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;

/// The record type a lookup asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryType {
    /// MX: the mail exchangers of a domain.
    Mx,
    /// A: IPv4 addresses.
    A,
    /// AAAA: IPv6 addresses.
    Aaaa,
    /// PTR: reverse DNS names of an address.
    Ptr,
    /// TXT: MTA-STS and TLS-RPT records.
    Txt,
    /// TLSA: DANE records.
    Tlsa,
}

impl fmt::Display for QueryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueryType::Mx => "MX",
            QueryType::A => "A",
            QueryType::Aaaa => "AAAA",
            QueryType::Ptr => "PTR",
            QueryType::Txt => "TXT",
            QueryType::Tlsa => "TLSA",
        })
    }
}

/// A failed lookup. `name` is the name as queried, without the trailing dot.
///
/// `servers` describes where the query went, e.g. `nameserver 127.0.0.1:53`
/// or `system nameservers 192.0.2.53:53, 192.0.2.54:53`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// The name does not exist (RCODE 3).
    #[error("{name} does not exist (NXDOMAIN)")]
    NxDomain {
        /// The name as queried, without the trailing dot.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
    },

    /// The nameserver could not answer (RCODE 2), typically a broken
    /// delegation or a DNSSEC validation failure upstream.
    #[error("{qtype} lookup for {name} failed: server failure (SERVFAIL) from {servers}")]
    ServFail {
        /// The name as queried, without the trailing dot.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
        /// Where the query went (see [`DnsError`]).
        servers: String,
    },

    /// The nameserver refused to answer (RCODE 5): it does not serve this
    /// client or does not recurse.
    #[error("{qtype} lookup for {name} refused (REFUSED) by {servers}; is it a recursive resolver that serves this host?")]
    Refused {
        /// The name as queried, without the trailing dot.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
        /// Where the query went (see [`DnsError`]).
        servers: String,
    },

    /// Any other error RCODE (FORMERR, NOTIMP, …).
    #[error("{qtype} lookup for {name} failed: response code {} ({rcode}) from {servers}", rcode_name(*.rcode))]
    Rcode {
        /// The name as queried, without the trailing dot.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
        /// The response code, as a number.
        rcode: u16,
        /// Where the query went (see [`DnsError`]).
        servers: String,
    },

    /// No answer within `attempts` tries of `timeout` each.
    #[error("{qtype} lookup for {name} timed out after {attempts} attempt{} of {} ({servers})",
        if *.attempts == 1 { "" } else { "s" }, human_duration(*.timeout))]
    Timeout {
        /// The name as queried, without the trailing dot.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
        /// Tries made.
        attempts: usize,
        /// Timeout of each try.
        timeout: Duration,
        /// Where the query went (see [`DnsError`]).
        servers: String,
    },

    /// No nameserver could be reached (connection refused, unreachable, …).
    #[error("{qtype} lookup for {name} failed: no connection to {servers}: {reason}")]
    NoConnection {
        /// The name as queried, without the trailing dot.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
        /// Where the query went (see [`DnsError`]).
        servers: String,
        /// The connection error, one line.
        reason: String,
    },

    /// The answer could not be parsed or did not match the question.
    #[error("{qtype} lookup for {name} failed: malformed answer: {reason}")]
    Malformed {
        /// The name as queried, without the trailing dot.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
        /// What was wrong with the answer, one line.
        reason: String,
    },

    /// The name cannot be put into a query (too long, bad escape).
    #[error("cannot look up {qtype} for {name:?}: {reason}")]
    InvalidName {
        /// The name as queried, without the trailing dot.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
        /// Why the name cannot be queried.
        reason: String,
    },

    /// Following CNAMEs from `name` led back to a name already followed:
    /// no answer can ever come (RFC 1034 §3.6.2). `chain` runs from `name`
    /// to the name met twice.
    #[error("{name}: CNAME loop {}", super::cname::chain_text(.chain))]
    CnameLoop {
        /// The name first asked for.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
        /// The names followed, from `name` on.
        chain: Vec<String>,
    },

    /// More CNAMEs than mxprobe follows ([`super::MAX_CNAMES`]).
    #[error("{name}: more than {} CNAMEs: {}", super::cname::MAX_CNAMES, super::cname::chain_text(.chain))]
    CnameChainTooLong {
        /// The name first asked for.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
        /// The names followed, from `name` on.
        chain: Vec<String>,
    },

    /// Anything else the resolver reported.
    #[error("{qtype} lookup for {name} failed: {reason}")]
    Other {
        /// The name as queried, without the trailing dot.
        name: String,
        /// The record type asked for.
        qtype: QueryType,
        /// The resolver's error, one line.
        reason: String,
    },

    /// The resolver could not be built (unreadable system configuration,
    /// zero timeout).
    #[error("cannot set up the DNS resolver: {reason}")]
    Setup {
        /// Why, one line.
        reason: String,
    },
}

impl DnsError {
    /// The name does not exist.
    pub fn is_nx_domain(&self) -> bool {
        matches!(self, DnsError::NxDomain { .. })
    }

    /// No answer arrived in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, DnsError::Timeout { .. })
    }

    /// The nameserver answered SERVFAIL.
    pub fn is_servfail(&self) -> bool {
        matches!(self, DnsError::ServFail { .. })
    }

    /// The name's CNAMEs loop.
    pub fn is_cname_loop(&self) -> bool {
        matches!(self, DnsError::CnameLoop { .. })
    }

    /// The CNAMEs followed, from the queried name on, when following them
    /// is what failed (a loop, a chain too long).
    pub fn cname_chain(&self) -> Option<&[String]> {
        match self {
            DnsError::CnameLoop { chain, .. } | DnsError::CnameChainTooLong { chain, .. } => {
                Some(chain)
            }
            _ => None,
        }
    }

    /// The queried name (without the trailing dot), if the error is about a
    /// lookup.
    pub fn name(&self) -> Option<&str> {
        match self {
            DnsError::NxDomain { name, .. }
            | DnsError::ServFail { name, .. }
            | DnsError::Refused { name, .. }
            | DnsError::Rcode { name, .. }
            | DnsError::Timeout { name, .. }
            | DnsError::NoConnection { name, .. }
            | DnsError::Malformed { name, .. }
            | DnsError::InvalidName { name, .. }
            | DnsError::CnameLoop { name, .. }
            | DnsError::CnameChainTooLong { name, .. }
            | DnsError::Other { name, .. } => Some(name),
            DnsError::Setup { .. } => None,
        }
    }

    /// The queried record type, if the error is about a lookup.
    pub fn query_type(&self) -> Option<QueryType> {
        match self {
            DnsError::NxDomain { qtype, .. }
            | DnsError::ServFail { qtype, .. }
            | DnsError::Refused { qtype, .. }
            | DnsError::Rcode { qtype, .. }
            | DnsError::Timeout { qtype, .. }
            | DnsError::NoConnection { qtype, .. }
            | DnsError::Malformed { qtype, .. }
            | DnsError::InvalidName { qtype, .. }
            | DnsError::CnameLoop { qtype, .. }
            | DnsError::CnameChainTooLong { qtype, .. }
            | DnsError::Other { qtype, .. } => Some(*qtype),
            DnsError::Setup { .. } => None,
        }
    }
}

/// What a query was and where it went; turns hickory's errors into ours.
pub(crate) struct QueryContext<'a> {
    pub name: String,
    pub qtype: QueryType,
    pub servers: &'a str,
    pub attempts: usize,
    pub timeout: Duration,
}

impl QueryContext<'_> {
    pub(crate) fn timeout(&self) -> DnsError {
        DnsError::Timeout {
            name: self.name.clone(),
            qtype: self.qtype,
            attempts: self.attempts,
            timeout: self.timeout,
            servers: self.servers.to_owned(),
        }
    }

    /// The error of a question the stub transport got no answer to.
    pub(crate) fn unanswered(&self, err: super::stub::StubError) -> DnsError {
        match err {
            super::stub::StubError::Timeout { .. } => self.timeout(),
            super::stub::StubError::Io { reason, .. } => DnsError::NoConnection {
                name: self.name.clone(),
                qtype: self.qtype,
                servers: self.servers.to_owned(),
                reason,
            },
        }
    }

    /// The error a response code other than NOERROR stands for.
    pub(crate) fn rcode(&self, code: ResponseCode) -> DnsError {
        let name = self.name.clone();
        let qtype = self.qtype;
        let servers = self.servers.to_owned();
        match code {
            ResponseCode::NXDomain => DnsError::NxDomain { name, qtype },
            ResponseCode::ServFail => DnsError::ServFail {
                name,
                qtype,
                servers,
            },
            ResponseCode::Refused => DnsError::Refused {
                name,
                qtype,
                servers,
            },
            other => DnsError::Rcode {
                name,
                qtype,
                rcode: u16::from(other),
                servers,
            },
        }
    }

    /// `Ok(())` means NODATA: the name exists but has no record of the type.
    ///
    /// hickory 0.26 reports both NODATA and NXDOMAIN as
    /// `NetError::Dns(DnsError::NoRecordsFound(..))`, told apart by the
    /// response code inside; SERVFAIL, REFUSED and the rest arrive as
    /// `DnsError::ResponseCode(..)`.
    pub(crate) fn classify(&self, err: NetError) -> Result<(), DnsError> {
        let name = self.name.clone();
        let qtype = self.qtype;
        let servers = self.servers.to_owned();
        let rcode_error = |code| self.rcode(code);
        Err(match err {
            NetError::Dns(net::DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
                if response_code == ResponseCode::NoError {
                    return Ok(());
                }
                rcode_error(response_code)
            }
            NetError::Dns(net::DnsError::ResponseCode(code)) => rcode_error(code),
            NetError::Timeout => self.timeout(),
            NetError::Io(e) => DnsError::NoConnection {
                name,
                qtype,
                servers,
                reason: e.to_string(),
            },
            NetError::NoConnections => DnsError::NoConnection {
                name,
                qtype,
                servers,
                reason: "no usable connection".into(),
            },
            NetError::Proto(e) => DnsError::Malformed {
                name,
                qtype,
                reason: e.to_string(),
            },
            NetError::QueryCaseMismatch => DnsError::Malformed {
                name,
                qtype,
                reason: "query name case not echoed".into(),
            },
            NetError::ForeignClassRecord { .. } => DnsError::Malformed {
                name,
                qtype,
                reason: "record of a foreign class".into(),
            },
            NetError::Truncated => DnsError::Malformed {
                name,
                qtype,
                reason: "answer truncated even over TCP".into(),
            },
            other => DnsError::Other {
                name,
                qtype,
                reason: other.to_string(),
            },
        })
    }
}

/// The IANA mnemonic of a response code, for messages.
fn rcode_name(code: u16) -> String {
    let name = match code {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        23 => "BADCOOKIE",
        _ => return format!("RCODE{code}"),
    };
    name.to_owned()
}

/// `5s`, `300ms`, `1500ms`: exact, short, no float noise.
fn human_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{d:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> QueryContext<'static> {
        QueryContext {
            name: "example.org".into(),
            qtype: QueryType::Mx,
            servers: "nameserver 127.0.0.1:5353",
            attempts: 2,
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn display_is_one_lowercase_line_naming_the_query() {
        let servers = "nameserver 127.0.0.1:5353".to_owned();
        let cases = [
            (
                ctx().timeout(),
                "MX lookup for example.org timed out after 2 attempts of 5s (nameserver 127.0.0.1:5353)",
            ),
            (
                DnsError::Timeout {
                    name: "mx.example.org".into(),
                    qtype: QueryType::Aaaa,
                    attempts: 1,
                    timeout: Duration::from_millis(300),
                    servers: servers.clone(),
                },
                "AAAA lookup for mx.example.org timed out after 1 attempt of 300ms (nameserver 127.0.0.1:5353)",
            ),
            (
                DnsError::NxDomain {
                    name: "example.org".into(),
                    qtype: QueryType::Mx,
                },
                "example.org does not exist (NXDOMAIN)",
            ),
            (
                DnsError::ServFail {
                    name: "example.org".into(),
                    qtype: QueryType::Mx,
                    servers: servers.clone(),
                },
                "MX lookup for example.org failed: server failure (SERVFAIL) from nameserver 127.0.0.1:5353",
            ),
            (
                DnsError::Rcode {
                    name: "example.org".into(),
                    qtype: QueryType::Txt,
                    rcode: 4,
                    servers: servers.clone(),
                },
                "TXT lookup for example.org failed: response code NOTIMP (4) from nameserver 127.0.0.1:5353",
            ),
            (
                DnsError::Rcode {
                    name: "example.org".into(),
                    qtype: QueryType::Txt,
                    rcode: 3000,
                    servers,
                },
                "TXT lookup for example.org failed: response code RCODE3000 (3000) from nameserver 127.0.0.1:5353",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn classifies_hickory_errors() {
        let q = hickory_resolver::proto::op::Query::new();
        let nodata = NetError::from(NoRecords::new(q.clone(), ResponseCode::NoError));
        assert_eq!(ctx().classify(nodata), Ok(()));

        let nx = NetError::from(NoRecords::new(q, ResponseCode::NXDomain));
        let err = ctx().classify(nx).expect_err("nxdomain");
        assert!(err.is_nx_domain());
        assert_eq!(err.name(), Some("example.org"));

        let servfail = NetError::Dns(net::DnsError::ResponseCode(ResponseCode::ServFail));
        assert!(ctx()
            .classify(servfail)
            .expect_err("servfail")
            .is_servfail());

        let refused = NetError::Dns(net::DnsError::ResponseCode(ResponseCode::Refused));
        assert!(matches!(
            ctx().classify(refused),
            Err(DnsError::Refused { .. })
        ));

        let timeout = ctx().classify(NetError::Timeout).expect_err("timeout");
        assert!(timeout.is_timeout());
        assert_eq!(timeout.query_type(), Some(QueryType::Mx));

        let io = NetError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(
            ctx().classify(io),
            Err(DnsError::NoConnection { .. })
        ));
    }
}
