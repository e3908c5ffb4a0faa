//! What a scripted server answers: pure functions from what it read to the
//! bytes it sends, so the scripts are tested without sockets.

use super::hello::ClientHello;
use super::{wire_version, Answer, HeartbeatReply, Script, EXPORT_SUITES, SSLV2_SPECS};

const SSL3: u16 = 0x0300;
const TLS1_0: u16 = 0x0301;
const TLS1_2: u16 = 0x0303;
/// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: AEAD, so TLS 1.2 only.
const ECDHE_RSA_AES128_GCM: u16 = 0xC02F;
/// TLS_RSA_WITH_AES_128_CBC_SHA.
const RSA_AES128_SHA: u16 = 0x002F;
/// What the TLS scripts but `Export` choose from, in their order.
const MODERN_SUITES: [u16; 2] = [RSA_AES128_SHA, ECDHE_RSA_AES128_GCM];
/// RFC 7507 §2.
const FALLBACK_SCSV: u16 = 0x5600;
/// RFC 5746 §3.3.
const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00FF;
/// RFC 5246 §6.2.1: the largest plaintext fragment.
const MAX_FRAGMENT: usize = 1 << 14;
/// The bytes of ServerHello.random; fixed (tests compare bytes) and not the
/// RFC 8446 downgrade sentinel.
const RANDOM: &[u8; 32] = b"mxprobe scripted test server rnd";
/// The session id a ServerHello carries.
const SESSION_ID: &[u8; 32] = b"mxprobe scripted session id 0001";
/// What a bleeding heartbeat response carries beyond the request.
const LEAK: &[u8] = b"leaked memory ";

/// Alert descriptions (RFC 5246 §7.2, RFC 7507 §2).
pub(super) mod alert {
    /// `unexpected_message`.
    pub(in crate::testkit::smtp::scripted) const UNEXPECTED_MESSAGE: u8 = 10;
    /// `handshake_failure`.
    pub(in crate::testkit::smtp::scripted) const HANDSHAKE_FAILURE: u8 = 40;
    /// `decode_error`.
    pub(in crate::testkit::smtp::scripted) const DECODE_ERROR: u8 = 50;
    /// `protocol_version`.
    pub(in crate::testkit::smtp::scripted) const PROTOCOL_VERSION: u8 = 70;
    /// `inappropriate_fallback`.
    pub(in crate::testkit::smtp::scripted) const INAPPROPRIATE_FALLBACK: u8 = 86;
}

/// A TLS script's knobs; every TLS script is one of these.
#[derive(Debug, Clone)]
struct Plan {
    min: u16,
    max: u16,
    suites: &'static [u16],
    deflate: bool,
    renegotiation_info: bool,
    heartbeat: HeartbeatReply,
    fallback_scsv: bool,
    early_ccs_accepted: bool,
}

/// `None` for [`Script::Sslv2`].
fn plan(script: &Script) -> Option<Plan> {
    let base = Plan {
        min: TLS1_0,
        max: TLS1_2,
        suites: &MODERN_SUITES,
        deflate: false,
        renegotiation_info: true,
        heartbeat: HeartbeatReply::Alert,
        fallback_scsv: false,
        early_ccs_accepted: false,
    };
    Some(match script {
        Script::Sslv2 => return None,
        Script::Export { max } => Plan {
            min: SSL3,
            max: wire_version(*max).min(TLS1_2),
            suites: &EXPORT_SUITES,
            ..base
        },
        Script::Heartbeat(reply) => Plan {
            heartbeat: *reply,
            ..base
        },
        Script::Compression => Plan {
            deflate: true,
            ..base
        },
        Script::NoRenegotiation => Plan {
            renegotiation_info: false,
            ..base
        },
        Script::Fallback { scsv } => Plan {
            fallback_scsv: *scsv,
            ..base
        },
        Script::CcsInjection { vulnerable } => Plan {
            early_ccs_accepted: *vulnerable,
            ..base
        },
    })
}

/// What the server does next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Reads on.
    Wait,
    /// Closes without a word (the client sent a fatal alert).
    Close,
    /// Sends `bytes`, then closes if `close`.
    Send {
        bytes: Vec<u8>,
        answer: Answer,
        close: bool,
    },
}

fn fatal(version: u16, description: u8) -> Step {
    Step::Send {
        bytes: records(21, version, &[2, description]),
        answer: Answer::Alert(description),
        close: true,
    }
}

/// `payload` in records of `content_type`, at most [`MAX_FRAGMENT`] each.
pub(super) fn records(content_type: u8, version: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    for chunk in payload.chunks(MAX_FRAGMENT) {
        out.push(content_type);
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// A handshake message: type, 3-byte length, body.
fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// The answer to the client's first flight and, after a ServerHello, the
/// state that answers its next records.
pub(super) fn first(
    script: &Script,
    hello: &Result<ClientHello, String>,
    chain: &[Vec<u8>],
) -> (Step, Option<After>) {
    let Ok(hello) = hello else {
        return (fatal(TLS1_0, alert::DECODE_ERROR), None);
    };
    let record_version = hello.record_version.unwrap_or(TLS1_0);
    let Some(plan) = plan(script) else {
        return (sslv2(hello, chain), None);
    };
    let version = hello.legacy_version.min(plan.max);
    if version < plan.min {
        return (fatal(record_version, alert::PROTOCOL_VERSION), None);
    }
    if plan.fallback_scsv && hello.offers(FALLBACK_SCSV) && hello.legacy_version < plan.max {
        return (fatal(version, alert::INAPPROPRIATE_FALLBACK), None);
    }
    let chosen = plan
        .suites
        .iter()
        .copied()
        .find(|&s| hello.offers(s) && (s != ECDHE_RSA_AES128_GCM || version >= TLS1_2));
    let Some(cipher_suite) = chosen else {
        return (fatal(version, alert::HANDSHAKE_FAILURE), None);
    };
    let compression = u8::from(plan.deflate && hello.compression.contains(&1));
    let mut extensions: Vec<(u16, &[u8])> = Vec::new();
    let secure_renegotiation =
        hello.renegotiation_info.is_some() || hello.offers(EMPTY_RENEGOTIATION_INFO_SCSV);
    if plan.renegotiation_info && secure_renegotiation {
        // An empty renegotiated_connection: this is the initial handshake.
        extensions.push((super::hello::RENEGOTIATION_INFO, &[0]));
    }
    if plan.heartbeat != HeartbeatReply::Alert && hello.heartbeat.is_some() {
        // peer_allowed_to_send.
        extensions.push((super::hello::HEARTBEAT, &[1]));
    }
    let mut body = version.to_be_bytes().to_vec();
    body.extend_from_slice(RANDOM);
    body.push(SESSION_ID.len() as u8);
    body.extend_from_slice(SESSION_ID);
    body.extend_from_slice(&cipher_suite.to_be_bytes());
    body.push(compression);
    if !extensions.is_empty() {
        let mut block = Vec::new();
        for (kind, data) in &extensions {
            block.extend_from_slice(&kind.to_be_bytes());
            block.extend_from_slice(&(data.len() as u16).to_be_bytes());
            block.extend_from_slice(data);
        }
        body.extend_from_slice(&(block.len() as u16).to_be_bytes());
        body.extend_from_slice(&block);
    }
    let mut list = Vec::new();
    for der in chain {
        list.extend_from_slice(&(der.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(der);
    }
    let mut certificate = (list.len() as u32).to_be_bytes()[1..].to_vec();
    certificate.extend_from_slice(&list);
    let mut flight = handshake(2, &body);
    flight.extend(handshake(11, &certificate));
    flight.extend(handshake(14, &[]));
    let step = Step::Send {
        bytes: records(22, version, &flight),
        answer: Answer::ServerHello {
            version,
            cipher_suite,
            compression,
            extensions: extensions.iter().map(|(k, _)| *k).collect(),
        },
        close: false,
    };
    let after = After {
        plan,
        version,
        client_key_exchange: false,
        client_ccs: false,
    };
    (step, Some(after))
}

/// [`Script::Sslv2`]'s answer: SSL 2.0 to an SSLv2-format hello, an alert
/// to a TLS one.
fn sslv2(hello: &ClientHello, chain: &[Vec<u8>]) -> Step {
    let Some(record_version) = hello.record_version else {
        let specs: Vec<u32> = SSLV2_SPECS
            .iter()
            .copied()
            .filter(|s| hello.sslv2_specs.contains(s))
            .collect();
        if specs.is_empty() {
            return Step::Send {
                bytes: vec![0x80, 3, 0, 0, 1],
                answer: Answer::Sslv2Error(1),
                close: true,
            };
        }
        let leaf = chain.first().map(Vec::as_slice).unwrap_or_default();
        let connection_id = &RANDOM[..16];
        // SERVER-HELLO, no session-id hit, X.509 certificate, version 2.
        let mut body = vec![4, 0, 1, 0, 2];
        body.extend_from_slice(&(leaf.len() as u16).to_be_bytes());
        body.extend_from_slice(&(specs.len() as u16 * 3).to_be_bytes());
        body.extend_from_slice(&(connection_id.len() as u16).to_be_bytes());
        body.extend_from_slice(leaf);
        for s in &specs {
            body.extend_from_slice(&s.to_be_bytes()[1..]);
        }
        body.extend_from_slice(connection_id);
        // The 2-byte header: the high bit set, then 15 bits of length.
        let mut bytes = (body.len() as u16 | 0x8000).to_be_bytes().to_vec();
        bytes.extend(body);
        return Step::Send {
            bytes,
            answer: Answer::Sslv2ServerHello { specs },
            close: false,
        };
    };
    fatal(record_version, alert::HANDSHAKE_FAILURE)
}

/// A TLS script after its ServerHello…ServerHelloDone: answers what the
/// client sends next. It cannot finish the handshake.
#[derive(Debug, Clone)]
pub(super) struct After {
    plan: Plan,
    version: u16,
    /// A handshake record came (the ClientKeyExchange, or a Certificate).
    client_key_exchange: bool,
    client_ccs: bool,
}

impl After {
    /// The step after the client's record of `content_type` with `body`.
    pub(super) fn on_record(&mut self, content_type: u8, body: &[u8]) -> Step {
        match content_type {
            20 if !self.client_key_exchange && !self.plan.early_ccs_accepted => {
                fatal(self.version, alert::UNEXPECTED_MESSAGE)
            }
            20 => {
                self.client_ccs = true;
                Step::Wait
            }
            21 if body.first() == Some(&2) => Step::Close,
            21 => Step::Wait,
            // Its Finished, which the server cannot check.
            22 if self.client_ccs => fatal(self.version, alert::HANDSHAKE_FAILURE),
            22 => {
                self.client_key_exchange = true;
                Step::Wait
            }
            24 => self.heartbeat(body),
            _ => fatal(self.version, alert::UNEXPECTED_MESSAGE),
        }
    }

    /// RFC 6520 §4: type (1 request), payload_length, payload, ≥ 16 bytes
    /// of padding.
    fn heartbeat(&self, body: &[u8]) -> Step {
        let reply = self.plan.heartbeat;
        if reply == HeartbeatReply::Alert {
            return fatal(self.version, alert::UNEXPECTED_MESSAGE);
        }
        let (Some(1), Some(claimed)) = (body.first(), body.get(1..3)) else {
            return Step::Wait;
        };
        let claimed = u16::from_be_bytes([claimed[0], claimed[1]]);
        let carried = &body[3..];
        let honest = usize::from(claimed) + 16 <= carried.len();
        if !honest && reply == HeartbeatReply::Discard {
            return Step::Wait;
        }
        let payload_sent = carried.len().saturating_sub(16);
        let mut message = vec![2];
        message.extend_from_slice(&claimed.to_be_bytes());
        message.extend(
            carried
                .iter()
                .chain(LEAK.iter().cycle())
                .take(usize::from(claimed)),
        );
        message.extend_from_slice(&[0x50; 16]);
        Step::Send {
            bytes: records(24, self.version, &message),
            answer: Answer::HeartbeatResponse {
                payload_length: claimed,
                leaked: usize::from(claimed).saturating_sub(payload_sent),
            },
            close: false,
        }
    }
}
