//! DNSSEC status of lookups, for DANE (RFC 7672 §2.2: DANE applies only
//! when the MX RRset, the MX host's addresses and its TLSA RRset are all
//! secure).
//!
//! Two ways to learn it, as operators run their MTAs ([`DnssecMode`]):
//!
//! * **validate** — mxprobe validates itself with hickory's validator
//!   (`DnssecDnsHandle`, ring backend) from a trust anchor: the IANA root
//!   keys hickory ships, or a file (`--trust-anchor`). The nameservers only
//!   need to pass DNSSEC records through.
//! * **ad** — a local validating resolver is trusted, and its AD bit is the
//!   answer, as Postfix does with `smtp_dns_support_level = dnssec`.
//!   Queries set AD and DO (RFC 6840 §5.7). A resolver that does not
//!   validate never sets AD, so everything looks insecure through it.
//!
//! Both run over the small stub transport of `dns::stub`, not the hickory resolver of the main
//! lookups, so the header bits and the answer's AD bit are ours to see.
//!
//! **Bogus is never called on one look.** A validation can fail for
//! reasons that are not the zone's: a DNSKEY or DS query that timed out, a
//! SERVFAIL on the way. Such a failure makes the attempt *indeterminate*.
//! A lookup is retried (fresh validation, nothing cached) while it is bogus
//! or indeterminate through SERVFAIL, and reported bogus only when two
//! attempts found it bogus; one bogus attempt among failures stays
//! indeterminate. A lookup that gets no answer at all (the stub has already
//! retried it) is indeterminate at once.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::proto::dnssec::TrustAnchors;
use hickory_resolver::proto::op::{Message, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use serde::{Deserialize, Serialize};

use super::answer::{answer_data, exchange_text, host_name};
use super::stub::Stub;
use super::{DnsError, MxAnswer, MxRecord, QueryType, ResolverConfig, TlsaRecord};
use crate::spelling::spelling;

mod ad;
mod validate;

/// Attempts of one lookup while it comes out bogus or SERVFAIL.
const MAX_TRIES: u32 = 3;
/// Bogus attempts needed to report bogus.
const BOGUS_CONFIRMATIONS: u32 = 2;
/// Pause before a retry, times the attempt number.
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// Validations remembered within one attempt (a handful of RRsets).
const VALIDATION_CACHE: usize = 64;

/// How DNSSEC status is learnt (`--dnssec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnssecMode {
    /// Validate in mxprobe from a trust anchor.
    #[default]
    Validate,
    /// Trust the AD bit of a local validating resolver.
    Ad,
}

spelling!(DnssecMode {
    Validate => "validate",
    Ad => "ad",
});

/// DNSSEC settings of a scan.
#[derive(Debug, Clone, Default)]
pub struct DnssecConfig {
    /// Validate in mxprobe, or trust the resolver's AD bit.
    pub mode: DnssecMode,
    /// Zone-file DNSKEY records to trust (`--trust-anchor`); `None`: the
    /// IANA root keys hickory ships. Only for [`DnssecMode::Validate`].
    pub trust_anchor: Option<PathBuf>,
}

/// RFC 4033 §5 / RFC 4035 §4.3 security status of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnssecStatus {
    /// Validated from a trust anchor (or the resolver said so with AD).
    Secure,
    /// Provably unsigned (no DS on the way down), or AD not set.
    Insecure,
    /// Signed, but the signatures or the chain do not verify.
    Bogus,
    /// Could not be determined: no answer, or a failure on the way.
    Indeterminate,
}

spelling!(DnssecStatus {
    Secure => "secure",
    Insecure => "insecure",
    Bogus => "bogus",
    Indeterminate => "indeterminate",
});

impl DnssecStatus {
    /// The weaker of two statuses, for RRsets that must all be secure:
    /// bogus before indeterminate before insecure before secure.
    pub fn weakest(self, other: DnssecStatus) -> DnssecStatus {
        let rank = |s: DnssecStatus| match s {
            DnssecStatus::Bogus => 0,
            DnssecStatus::Indeterminate => 1,
            DnssecStatus::Insecure => 2,
            DnssecStatus::Secure => 3,
        };
        if rank(other) < rank(self) {
            other
        } else {
            self
        }
    }
}

/// A lookup's records with their DNSSEC status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecureAnswer<T> {
    /// How far the answer (or the denial of one) is authenticated.
    pub status: DnssecStatus,
    /// The records (empty on NODATA, NXDOMAIN and failures).
    pub records: T,
    /// The name does not exist.
    pub nx_domain: bool,
    /// Why the status is bogus or indeterminate, one line.
    pub error: Option<String>,
    /// Lookups made, retries included.
    pub attempts: u32,
}

/// Lookups with DNSSEC status. Cheap to clone.
#[derive(Clone)]
pub struct SecureResolver {
    inner: Arc<Inner>,
    limit: Option<super::LookupLimit>,
}

struct Inner {
    stub: Stub,
    mode: DnssecMode,
    /// Whether the nameservers return what validation needs, found out once
    /// (see `SecureResolver::unavailable`): `Some(why)` when they do not.
    unavailable: tokio::sync::OnceCell<Option<String>>,
    /// The top of the trust anchors' tree: the root, or the owner of a
    /// `--trust-anchor` file's DNSKEY records.
    anchor_top: Name,
    anchors: Arc<TrustAnchors>,
    /// Bound on one validating attempt: its queries for DNSKEY and DS too.
    deadline: Duration,
}

impl std::fmt::Debug for SecureResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureResolver")
            .field("servers", &self.inner.stub.describe)
            .field("mode", &self.inner.mode)
            .finish()
    }
}

impl SecureResolver {
    /// Fails on set-up problems only: an unreadable trust anchor, no
    /// nameservers, a zero timeout.
    pub fn new(resolver: &ResolverConfig, dnssec: &DnssecConfig) -> Result<Self, DnsError> {
        if resolver.timeout.is_zero() {
            return Err(DnsError::Setup {
                reason: "the DNS timeout must be greater than zero".into(),
            });
        }
        let servers = if resolver.nameservers.is_empty() {
            super::resolver::system_nameservers()?
        } else {
            resolver.nameservers.clone()
        };
        let anchor_top = dnssec
            .trust_anchor
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|text| anchor_owner(&text))
            .unwrap_or_else(Name::root);
        let anchors = match &dnssec.trust_anchor {
            None => TrustAnchors::default(),
            Some(path) => TrustAnchors::from_file(path).map_err(|e| DnsError::Setup {
                reason: format!(
                    "cannot read the trust anchor {}: {e}; give DNSKEY records in zone-file format",
                    path.display()
                ),
            })?,
        };
        let attempts = resolver.attempts.max(1);
        let per_query = resolver
            .timeout
            .saturating_mul(u32::try_from(attempts).unwrap_or(u32::MAX));
        Ok(SecureResolver {
            inner: Arc::new(Inner {
                stub: Stub {
                    describe: super::resolver::describe("nameserver", &servers),
                    servers,
                    timeout: resolver.timeout,
                    attempts,
                },
                mode: dnssec.mode,
                unavailable: tokio::sync::OnceCell::new(),
                anchor_top,
                anchors: Arc::new(anchors),
                // A validation walks a few zones: DNSKEY and DS of each.
                deadline: per_query.saturating_mul(4),
            }),
            limit: None,
        })
    }

    /// The same resolver with every lookup (its validation included)
    /// waiting for a turn under `limit`.
    pub(crate) fn limited(&self, limit: super::LookupLimit) -> SecureResolver {
        SecureResolver {
            inner: Arc::clone(&self.inner),
            limit: Some(limit),
        }
    }

    /// How this resolver learns the DNSSEC status.
    pub fn mode(&self) -> DnssecMode {
        self.inner.mode
    }

    /// The MX RRset of `domain` (or its denial, for the implicit MX).
    pub async fn mx(&self, domain: &str) -> SecureAnswer<MxAnswer> {
        self.lookup(domain, QueryType::Mx).await.map(|data| {
            MxAnswer::from_records(data.iter().filter_map(|d| match d {
                RData::MX(mx) => Some(MxRecord {
                    preference: mx.preference,
                    exchange: exchange_text(&mx.exchange),
                }),
                _ => None,
            }))
        })
    }

    /// A and AAAA of `host` (both families, concurrently); the status is
    /// the weaker of the two, since a sender may use either.
    pub async fn addresses(&self, host: &str, v4: bool, v6: bool) -> SecureAnswer<Vec<IpAddr>> {
        let a = async {
            if v4 {
                Some(self.lookup(host, QueryType::A).await)
            } else {
                None
            }
        };
        let aaaa = async {
            if v6 {
                Some(self.lookup(host, QueryType::Aaaa).await)
            } else {
                None
            }
        };
        let (a, aaaa) = futures::join!(a, aaaa);
        let mut combined: Option<SecureAnswer<Vec<IpAddr>>> = None;
        for answer in [a, aaaa].into_iter().flatten() {
            let answer = answer.map(|data| {
                data.iter()
                    .filter_map(|d| match d {
                        RData::A(a) => Some(IpAddr::V4(a.0)),
                        RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            });
            combined = Some(match combined {
                None => answer,
                Some(mut c) => {
                    c.status = c.status.weakest(answer.status);
                    c.records.extend(answer.records);
                    c.nx_domain &= answer.nx_domain;
                    c.error = c.error.or(answer.error);
                    c.attempts += answer.attempts;
                    c
                }
            });
        }
        combined.unwrap_or(SecureAnswer {
            status: DnssecStatus::Indeterminate,
            records: Vec::new(),
            nx_domain: false,
            error: Some("no address family to look up".into()),
            attempts: 0,
        })
    }

    /// TLSA records at `name` (`_25._tcp.mx.example.org`).
    pub async fn tlsa(&self, name: &str) -> SecureAnswer<Vec<TlsaRecord>> {
        self.lookup(name, QueryType::Tlsa).await.map(|data| {
            data.iter()
                .filter_map(|d| match d {
                    RData::TLSA(t) => Some(TlsaRecord {
                        usage: u8::from(t.cert_usage),
                        selector: u8::from(t.selector),
                        matching: u8::from(t.matching),
                        data: t.cert_data.clone(),
                    }),
                    _ => None,
                })
                .collect()
        })
    }

    /// One lookup with the retry rule of the module doc.
    async fn lookup(&self, name: &str, qtype: QueryType) -> SecureAnswer<Vec<RData>> {
        let _turn = match &self.limit {
            Some(limit) => limit.turn().await,
            None => None,
        };
        let fail = |error: String| SecureAnswer {
            status: DnssecStatus::Indeterminate,
            records: Vec::new(),
            nx_domain: false,
            error: Some(error),
            attempts: 0,
        };
        let name = match absolute(name) {
            Ok(n) => n,
            Err(e) => return fail(format!("cannot look up {qtype} for {name:?}: {e}")),
        };
        if let Some(why) = self.unavailable().await {
            return fail(why);
        }
        self.lookup_checked(name, qtype).await
    }

    /// Validation needs nameservers that answer with DNSSEC records from the
    /// trust anchor (the root) down. Those that strip them, or a private
    /// tree without the root, would make every answer look bogus; so a TXT
    /// lookup at the anchor's zone is validated first, once: when that is
    /// not secure, every status is `indeterminate` with the reason, never
    /// `bogus`.
    async fn unavailable(&self) -> Option<String> {
        if self.inner.mode != DnssecMode::Validate {
            return None;
        }
        self.inner
            .unavailable
            .get_or_init(|| async {
                let top = self.inner.anchor_top.clone();
                let answer = self.lookup_checked(top.clone(), QueryType::Txt).await;
                match answer.status {
                    DnssecStatus::Secure => None,
                    status => Some(format!(
                        "DNSSEC cannot be validated through {}: the records of the trust anchor's zone {top} did not validate ({status:?}{}); use nameservers that return DNSSEC records, or --dnssec ad with a validating resolver",
                        self.inner.stub.describe,
                        answer.error.map(|e| format!(": {e}")).unwrap_or_default()
                    )),
                }
            })
            .await
            .clone()
    }

    /// One lookup with the retry rule of the module doc, validation known
    /// to be possible.
    async fn lookup_checked(&self, name: Name, qtype: QueryType) -> SecureAnswer<Vec<RData>> {
        let fail = |error: String| SecureAnswer {
            status: DnssecStatus::Indeterminate,
            records: Vec::new(),
            nx_domain: false,
            error: Some(error),
            attempts: 0,
        };
        let query = Query::query(name.clone(), record_type(qtype));
        let mut bogus = 0;
        let mut last = fail(String::new());
        for attempt in 1..=MAX_TRIES {
            let outcome = match self.inner.mode {
                DnssecMode::Validate => self.validate_once(&query).await,
                DnssecMode::Ad => self.ad_once(&query).await,
            };
            let label = format!("{qtype} {}", host_name(&name.to_ascii()));
            let (answer, retry) = outcome.into_answer(&name, &label, attempt);
            match answer.status {
                DnssecStatus::Secure | DnssecStatus::Insecure => return answer,
                DnssecStatus::Bogus => bogus += 1,
                DnssecStatus::Indeterminate => {}
            }
            last = answer;
            if bogus >= BOGUS_CONFIRMATIONS || !retry || attempt == MAX_TRIES {
                break;
            }
            tokio::time::sleep(RETRY_PAUSE * attempt).await;
        }
        if last.status == DnssecStatus::Bogus && bogus < BOGUS_CONFIRMATIONS {
            last.status = DnssecStatus::Indeterminate;
            last.error = last
                .error
                .map(|e| format!("{e} (seen once, not confirmed by a second validation)"));
        }
        last
    }

    async fn validate_once(&self, query: &Query) -> Outcome {
        validate::once(
            &self.inner.stub,
            &self.inner.anchors,
            self.inner.deadline,
            query,
        )
        .await
    }

    async fn ad_once(&self, query: &Query) -> Outcome {
        ad::once(&self.inner.stub, query).await
    }
}

/// What one attempt found.
enum Outcome {
    Answer {
        message: Message,
        status: DnssecStatus,
    },
    Failed {
        error: String,
        retry: bool,
    },
}

impl Outcome {
    /// The answer, and whether another attempt may change it.
    fn into_answer(
        self,
        name: &Name,
        label: &str,
        attempt: u32,
    ) -> (SecureAnswer<Vec<RData>>, bool) {
        match self {
            Outcome::Answer { message, status } => {
                let nx_domain = message.metadata.response_code == ResponseCode::NXDomain;
                let error = match status {
                    DnssecStatus::Bogus => {
                        Some(format!("{label}: DNSSEC validation failed (bogus)"))
                    }
                    _ => None,
                };
                let records = if status == DnssecStatus::Bogus {
                    Vec::new()
                } else {
                    answer_data(name, &message.answers)
                        .into_iter()
                        .filter(|d| !matches!(d.record_type(), RecordType::RRSIG))
                        .cloned()
                        .collect()
                };
                let retry = status == DnssecStatus::Bogus;
                let answer = SecureAnswer {
                    status,
                    records,
                    nx_domain,
                    error,
                    attempts: attempt,
                };
                (answer, retry)
            }
            Outcome::Failed { error, retry } => {
                let answer = SecureAnswer {
                    status: DnssecStatus::Indeterminate,
                    records: Vec::new(),
                    nx_domain: false,
                    error: Some(format!("{label}: {error}")),
                    attempts: attempt,
                };
                (answer, retry)
            }
        }
    }
}

impl<T> SecureAnswer<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> SecureAnswer<U> {
        SecureAnswer {
            status: self.status,
            records: f(self.records),
            nx_domain: self.nx_domain,
            error: self.error,
            attempts: self.attempts,
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

fn absolute(name: &str) -> Result<Name, String> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() || !trimmed.is_ascii() {
        return Err("not an ASCII domain name".into());
    }
    let mut parsed = Name::from_ascii(trimmed.to_ascii_lowercase()).map_err(|e| e.to_string())?;
    parsed.set_fqdn(true);
    Ok(parsed)
}

/// The owner name of the first DNSKEY record of a trust-anchor file.
fn anchor_owner(text: &str) -> Option<Name> {
    text.lines()
        .map(|l| l.split(';').next().unwrap_or(""))
        .find_map(|l| {
            let tokens: Vec<&str> = l.split_whitespace().collect();
            tokens
                .contains(&"DNSKEY")
                .then(|| tokens.first().and_then(|t| Name::from_ascii(t).ok()))
                .flatten()
        })
        .map(|mut n| {
            n.set_fqdn(true);
            n
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weakest_orders_statuses() {
        use DnssecStatus::*;
        assert_eq!(Secure.weakest(Insecure), Insecure);
        assert_eq!(Insecure.weakest(Indeterminate), Indeterminate);
        assert_eq!(Bogus.weakest(Indeterminate), Bogus);
        assert_eq!(Secure.weakest(Secure), Secure);
    }

    #[test]
    fn statuses_serialize_in_kebab_case() {
        let s = serde_json::to_string(&DnssecStatus::Indeterminate).expect("json");
        assert_eq!(s, "\"indeterminate\"");
    }

    #[test]
    fn a_missing_trust_anchor_file_is_a_setup_error() {
        let config = ResolverConfig {
            nameservers: vec!["127.0.0.1:53".parse().expect("addr")],
            ..ResolverConfig::default()
        };
        let dnssec = DnssecConfig {
            mode: DnssecMode::Validate,
            trust_anchor: Some("/nonexistent/anchor.key".into()),
        };
        let err = SecureResolver::new(&config, &dnssec).expect_err("missing file");
        assert!(
            err.to_string().contains("cannot read the trust anchor"),
            "{err}"
        );
    }
}
