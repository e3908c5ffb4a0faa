//! The `ad` mode: a local validating resolver's word, its AD bit (RFC 6840
//! §5.7), and for SERVFAIL a second question with CD set to tell a
//! validation failure from a broken name.

use hickory_resolver::proto::op::{Message, Query, ResponseCode};

use super::super::stub::{Flags, Stub};
use super::{DnssecStatus, Outcome};

pub(super) async fn once(stub: &Stub, query: &Query) -> Outcome {
    let flags = Flags {
        dnssec_ok: true,
        authentic_data: true,
        checking_disabled: false,
    };
    let message = match stub.exchange(query, flags).await {
        Ok(m) => m,
        Err(e) => {
            return Outcome::Failed {
                error: e.to_string(),
                retry: false,
            }
        }
    };
    match message.metadata.response_code {
        ResponseCode::NoError | ResponseCode::NXDomain => {
            let status = if message.metadata.authentic_data {
                DnssecStatus::Secure
            } else {
                DnssecStatus::Insecure
            };
            Outcome::Answer { message, status }
        }
        ResponseCode::ServFail => {
            // A validating resolver answers SERVFAIL for bogus data; if
            // the same question with checking disabled gets an answer,
            // validation is what failed.
            let unchecked = Flags {
                checking_disabled: true,
                ..flags
            };
            match stub.exchange(query, unchecked).await {
                Ok(m)
                    if matches!(
                        m.metadata.response_code,
                        ResponseCode::NoError | ResponseCode::NXDomain
                    ) =>
                {
                    Outcome::Answer {
                        message: Message::query(),
                        status: DnssecStatus::Bogus,
                    }
                }
                _ => Outcome::Failed {
                    error: format!("SERVFAIL from {}", stub.describe),
                    retry: true,
                },
            }
        }
        code => Outcome::Failed {
            error: format!("answered {code} by {}", stub.describe),
            retry: false,
        },
    }
}
