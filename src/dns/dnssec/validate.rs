//! The `validate` mode: hickory's validator (`DnssecDnsHandle`) over the
//! stub, from the trust anchors, with every failed query on the way
//! counted so that a validation that could not finish is not called bogus.

use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, Stream};
use hickory_resolver::net::dnssec::DnssecDnsHandle;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::xfer::FirstAnswer;
use hickory_resolver::net::{DnsError as NetDnsError, DnsHandle, NetError};
use hickory_resolver::proto::dnssec::{DnssecSummary, Proof, TrustAnchors};
use hickory_resolver::proto::op::{
    DnsRequest, DnsRequestOptions, DnsResponse, Message, Query, ResponseCode,
};
use hickory_resolver::proto::rr::{Record, RecordType};

use super::super::stub::{Flags, Stub, StubError};
use super::{DnssecStatus, Outcome, VALIDATION_CACHE};

pub(super) async fn once(
    stub: &Stub,
    anchors: &Arc<TrustAnchors>,
    deadline: Duration,
    query: &Query,
) -> Outcome {
    let failures = Arc::new(AtomicU32::new(0));
    let transport = Traced {
        stub: Arc::new(stub.clone()),
        failures: Arc::clone(&failures),
    };
    let handle = DnssecDnsHandle::with_trust_anchor(transport, Arc::clone(anchors))
        .validation_cache_size(VALIDATION_CACHE);
    let mut options = DnsRequestOptions::default();
    options.edns_set_dnssec_ok = true;
    let lookup = handle.lookup(query.clone(), options).first_answer();
    let result = tokio::time::timeout(deadline, lookup).await;
    let failed = failures.load(Ordering::Relaxed) > 0;
    match result {
        Err(_elapsed) => Outcome::Failed {
            error: format!("validation did not finish within {:?}", deadline),
            retry: false,
        },
        Ok(Ok(response)) => {
            let message = response.into_message();
            let records: Vec<&Record> = message
                .answers
                .iter()
                .filter(|r| r.record_type() != RecordType::RRSIG)
                .collect();
            let summary = if records.is_empty() {
                DnssecSummary::from_records(message.authorities.iter())
            } else {
                DnssecSummary::from_records(records.into_iter())
            };
            let status = match summary {
                DnssecSummary::Secure => DnssecStatus::Secure,
                DnssecSummary::Insecure => DnssecStatus::Insecure,
                DnssecSummary::Bogus if failed => {
                    return Outcome::Failed {
                        error: "validation incomplete: a DNSKEY or DS query failed".into(),
                        retry: true,
                    }
                }
                DnssecSummary::Bogus => DnssecStatus::Bogus,
            };
            Outcome::Answer { message, status }
        }
        Ok(Err(NetError::Dns(NetDnsError::Nsec {
            proof, response, ..
        }))) => {
            let status = match proof {
                Proof::Secure => DnssecStatus::Secure,
                Proof::Insecure => DnssecStatus::Insecure,
                Proof::Bogus if failed => {
                    return Outcome::Failed {
                        error: "validation incomplete: a DNSKEY or DS query failed".into(),
                        retry: true,
                    }
                }
                Proof::Bogus => DnssecStatus::Bogus,
                Proof::Indeterminate => {
                    return Outcome::Failed {
                        error: "denial of existence could not be validated".into(),
                        retry: true,
                    }
                }
            };
            Outcome::Answer {
                message: response.into_message(),
                status,
            }
        }
        Ok(Err(NetError::Dns(NetDnsError::DnssecBogus))) if !failed => Outcome::Answer {
            message: Message::query(),
            status: DnssecStatus::Bogus,
        },
        Ok(Err(NetError::Dns(NetDnsError::ResponseCode(code)))) => Outcome::Failed {
            error: format!("answered {code}"),
            retry: code == ResponseCode::ServFail,
        },
        Ok(Err(e)) => Outcome::Failed {
            error: e.to_string(),
            retry: failed,
        },
    }
}

/// The stub as the transport under hickory's validator, counting the
/// queries that got no usable answer (timeouts, socket errors, SERVFAIL,
/// REFUSED) so that a failed validation can be told from a bogus one.
#[derive(Clone)]
struct Traced {
    stub: Arc<Stub>,
    failures: Arc<AtomicU32>,
}

impl DnsHandle for Traced {
    type Response = Pin<Box<dyn Stream<Item = Result<DnsResponse, NetError>> + Send>>;
    type Runtime = TokioRuntimeProvider;

    fn send(&self, request: DnsRequest) -> Self::Response {
        let this = self.clone();
        let fut = async move {
            let Some(query) = request.queries.first().cloned() else {
                return Err(NetError::from("no query in request"));
            };
            let flags = Flags {
                dnssec_ok: request.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok),
                authentic_data: request.metadata.authentic_data,
                checking_disabled: request.metadata.checking_disabled,
            };
            let fail = |e: NetError| {
                this.failures.fetch_add(1, Ordering::Relaxed);
                Err(e)
            };
            match this.stub.exchange(&query, flags).await {
                Ok(message) => match message.metadata.response_code {
                    ResponseCode::NoError | ResponseCode::NXDomain => {
                        DnsResponse::from_message(message).map_err(NetError::from)
                    }
                    code => fail(NetError::Dns(NetDnsError::ResponseCode(code))),
                },
                Err(StubError::Timeout { .. }) => fail(NetError::Timeout),
                Err(e @ StubError::Io { .. }) => fail(NetError::from(e.to_string())),
            }
        };
        Box::pin(fut.into_stream())
    }
}
