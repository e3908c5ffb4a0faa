//! A minimal stub resolver transport for the DNSSEC-aware lookups: one
//! question to the configured nameservers, UDP first and TCP when the answer
//! is truncated, with the header bits DANE needs under our control (DO, AD,
//! CD) and the answer's header (the AD bit) handed back whole.
//!
//! hickory's resolver cannot do this: it never sets AD or DO unless it
//! validates itself, and it hides the response header. The main lookups
//! (MX, A/AAAA for probing) keep using it; this transport serves only
//! [`super::dnssec`].
//!
//! Every exchange is bounded: `timeout` per attempt and server, `attempts`
//! rounds over the servers, answers of at most 64 KiB (the DNS maximum).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::proto::op::{Edns, Message, MessageType, Query};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// The UDP payload size we advertise (the DNS flag day 2020 value).
const EDNS_PAYLOAD: u16 = 1232;

/// Header bits of a query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    /// EDNS DO: send DNSSEC records (RFC 3225).
    pub dnssec_ok: bool,
    /// AD in the query: "tell me whether you validated" (RFC 6840 §5.7).
    pub authentic_data: bool,
    /// CD: "do not validate for me" (RFC 4035 §3.2.2).
    pub checking_disabled: bool,
}

/// Why an exchange got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StubError {
    #[error("no answer after {attempts} attempt{} of {timeout:?} ({servers})", if *.attempts == 1 { "" } else { "s" })]
    Timeout {
        attempts: usize,
        timeout: Duration,
        servers: String,
    },
    #[error("no connection to {servers}: {reason}")]
    Io { servers: String, reason: String },
}

/// Where and how to ask.
#[derive(Debug, Clone)]
pub(crate) struct Stub {
    pub servers: Vec<SocketAddr>,
    pub timeout: Duration,
    pub attempts: usize,
    /// For messages: `nameserver 127.0.0.1:53`.
    pub describe: String,
}

impl Stub {
    /// Ask `query` with `flags`. Any response code is an answer; only
    /// silence and socket errors are errors.
    pub(super) async fn exchange(&self, query: &Query, flags: Flags) -> Result<Message, StubError> {
        let request = build(query, flags);
        let mut last_io = None;
        for _ in 0..self.attempts.max(1) {
            for server in &self.servers {
                match self.ask(*server, &request).await {
                    Ok(Some(message)) => return Ok(message),
                    Ok(None) => {}
                    Err(e) => last_io = Some(e.to_string()),
                }
            }
        }
        Err(match last_io {
            Some(reason) => StubError::Io {
                servers: self.describe.clone(),
                reason,
            },
            None => StubError::Timeout {
                attempts: self.attempts.max(1),
                timeout: self.timeout,
                servers: self.describe.clone(),
            },
        })
    }

    /// One server, one attempt: `Ok(None)` on a timeout.
    async fn ask(&self, server: SocketAddr, request: &Message) -> io::Result<Option<Message>> {
        let bytes = request.to_vec().map_err(io::Error::other)?;
        let udp = tokio::time::timeout(self.timeout, udp_exchange(server, &bytes, request)).await;
        let message = match udp {
            Err(_elapsed) => return Ok(None),
            Ok(result) => result?,
        };
        if !message.metadata.truncation {
            return Ok(Some(message));
        }
        match tokio::time::timeout(self.timeout, tcp_exchange(server, &bytes, request)).await {
            Err(_elapsed) => Ok(None),
            Ok(result) => result.map(Some),
        }
    }
}

fn build(query: &Query, flags: Flags) -> Message {
    let mut message = Message::query();
    message.metadata.id = rand_id();
    message.metadata.recursion_desired = true;
    message.metadata.authentic_data = flags.authentic_data;
    message.metadata.checking_disabled = flags.checking_disabled;
    message.add_query(query.clone());
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    edns.set_dnssec_ok(flags.dnssec_ok);
    message.set_edns(edns);
    message
}

/// A query ID that an off-path attacker cannot guess cheaply.
fn rand_id() -> u16 {
    let mut b = [0u8; 2];
    if openssl::rand::rand_bytes(&mut b).is_err() {
        // Not a secret; a time-based fallback keeps queries flowing.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        return (nanos & 0xffff) as u16;
    }
    u16::from_be_bytes(b)
}

/// Does `answer` answer `request` (same ID, same question)?
fn answers(answer: &Message, request: &Message) -> bool {
    answer.metadata.message_type == MessageType::Response
        && answer.metadata.id == request.metadata.id
        && answer.queries == request.queries
}

async fn udp_exchange(server: SocketAddr, bytes: &[u8], request: &Message) -> io::Result<Message> {
    let bind: SocketAddr = if server.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(bind).await?;
    socket.connect(server).await?;
    socket.send(bytes).await?;
    let mut buf = vec![0u8; usize::from(u16::MAX)];
    loop {
        let len = socket.recv(&mut buf).await?;
        // Stray or forged datagrams are dropped; the caller's timeout bounds
        // how long we keep listening.
        if let Ok(message) = Message::from_vec(&buf[..len]) {
            if answers(&message, request) {
                return Ok(message);
            }
        }
    }
}

async fn tcp_exchange(server: SocketAddr, bytes: &[u8], request: &Message) -> io::Result<Message> {
    let mut stream = TcpStream::connect(server).await?;
    let len = u16::try_from(bytes.len()).map_err(io::Error::other)?;
    let mut framed = Vec::with_capacity(bytes.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(bytes);
    stream.write_all(&framed).await?;
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix).await?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut buf).await?;
    let message = Message::from_vec(&buf).map_err(io::Error::other)?;
    if answers(&message, request) {
        Ok(message)
    } else {
        Err(io::Error::other("TCP answer does not match the question"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::rr::{Name, RecordType};

    #[test]
    fn queries_carry_the_requested_bits() {
        let q = Query::query(
            Name::from_ascii("example.org.").expect("name"),
            RecordType::TLSA,
        );
        let m = build(
            &q,
            Flags {
                dnssec_ok: true,
                authentic_data: true,
                checking_disabled: false,
            },
        );
        assert!(m.metadata.authentic_data);
        assert!(!m.metadata.checking_disabled);
        assert!(m.metadata.recursion_desired);
        assert!(m.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok));
        let mut answer = m.clone().into_response();
        assert!(answers(&answer, &m));
        answer.metadata.id = answer.metadata.id.wrapping_add(1);
        assert!(!answers(&answer, &m));
    }
}
