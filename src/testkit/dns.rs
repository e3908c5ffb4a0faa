//! An in-process authoritative DNS server on loopback, for tests, benchmarks
//! and the lab binary.
//!
//! It serves a [`Zone`] over UDP and TCP on one port, answers every name
//! authoritatively (AA set; NXDOMAIN when a name and everything below it is
//! absent, NODATA otherwise, both with an SOA), chases CNAMEs within the
//! zone as a recursive resolver does (a loop is SERVFAIL, or NOERROR with
//! the loop, [`Zone::loops_answer_noerror`]), and truncates UDP answers
//! that exceed 512 bytes or the client's EDNS size, so clients must retry
//! over TCP. Names can be made to answer SERVFAIL or to stay silent.
//! Malformed queries are ignored. Names may be RFC 2317 classless reverse
//! names (`4.0/26.3.2.1.in-addr.arpa`, [`Zone::ptr_at`]).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mxprobe::testkit::dns::{DnsServer, Zone};
//! let mut zone = Zone::new();
//! zone.mx("example.org", 10, "mx.example.org")
//!     .a("mx.example.org", "127.0.0.1".parse().unwrap());
//! let server = DnsServer::start("127.0.0.1:0".parse().unwrap(), zone).await?;
//! println!("serving on {}", server.addr());
//! # Ok(()) }
//! ```
//!
//! Apexes declared with [`Zone::signed_apex`] / [`Zone::unsigned_apex`]
//! make it serve a DNSSEC-signed hierarchy (RRSIG, DNSKEY, DS, NSEC; see
//! `dnssec.rs`), with deliberately broken signatures ([`Bogus`]) and an AD
//! bit on chosen answers ([`Zone::authentic`]) as a stand-in for a
//! validating resolver.
//!
//! It is not a general DNS server: no referrals (it answers every name
//! itself, as a recursive resolver would), no wildcards, no NSEC3, no zone
//! transfers, one TTL for everything.

mod dnssec;
mod respond;
mod sign;
mod zone;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::{JoinHandle, JoinSet};

pub use dnssec::Bogus;
pub use hickory_proto::rr::RecordType;
pub use zone::{reverse_name, Zone, DEFAULT_TTL};

use sign::Served;

/// A TCP client that sends nothing for this long is disconnected.
const TCP_IDLE: Duration = Duration::from_secs(10);
/// Attempts to find a port free for both UDP and TCP when binding port 0.
const BIND_TRIES: usize = 16;

/// A running server. Dropping it stops its tasks and closes its sockets.
#[derive(Debug)]
pub struct DnsServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    udp_task: JoinHandle<()>,
    tcp_task: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    zone: RwLock<Arc<Served>>,
    answered: AtomicU64,
    answered_tcp: AtomicU64,
    /// Pause before each UDP answer, in milliseconds (0: none).
    delay_ms: AtomicU64,
    /// UDP queries being answered now, and the most at once.
    in_flight: AtomicU64,
    most_in_flight: AtomicU64,
}

impl Shared {
    fn zone(&self) -> Arc<Served> {
        // A panic elsewhere while holding the lock leaves a usable zone.
        Arc::clone(&self.zone.read().unwrap_or_else(|e| e.into_inner()))
    }
}

impl DnsServer {
    /// Bind UDP and TCP on `bind` (port 0: an ephemeral port, the same for
    /// both) and serve `zone` from tasks on the current tokio runtime.
    pub async fn start(bind: SocketAddr, zone: Zone) -> io::Result<DnsServer> {
        let (udp, tcp) = bind_pair(bind).await?;
        let addr = udp.local_addr()?;
        let shared = Arc::new(Shared {
            zone: RwLock::new(Arc::new(Served::new(zone))),
            answered: AtomicU64::new(0),
            answered_tcp: AtomicU64::new(0),
            delay_ms: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            most_in_flight: AtomicU64::new(0),
        });
        let udp_task = tokio::spawn(serve_udp(udp, Arc::clone(&shared)));
        let tcp_task = tokio::spawn(serve_tcp(tcp, Arc::clone(&shared)));
        Ok(DnsServer {
            addr,
            shared,
            udp_task,
            tcp_task,
        })
    }

    /// The address both transports listen on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Responses sent so far, over UDP and TCP (a truncated UDP answer and
    /// the TCP retry count as two). Dropped queries are not counted.
    pub fn queries(&self) -> u64 {
        self.shared.answered.load(Ordering::Relaxed)
    }

    /// The part of [`DnsServer::queries`] answered over TCP.
    pub fn tcp_queries(&self) -> u64 {
        self.shared.answered_tcp.load(Ordering::Relaxed)
    }

    /// Answer every UDP query only after `delay`, several at once: a slow
    /// nameserver, which lets tests see how many lookups a client has in
    /// flight ([`DnsServer::most_in_flight`]).
    pub fn set_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.shared.delay_ms.store(ms, Ordering::Relaxed);
    }

    /// The most UDP queries this server was answering at once.
    pub fn most_in_flight(&self) -> u64 {
        self.shared.most_in_flight.load(Ordering::Relaxed)
    }

    /// Replace the records served, effective for the next query. Resolvers
    /// may still answer from their caches: records and negative answers
    /// carry the zone's TTL ([`DEFAULT_TTL`] unless set).
    pub fn set_zone(&self, zone: Zone) {
        let mut guard = self.shared.zone.write().unwrap_or_else(|e| e.into_inner());
        *guard = Arc::new(Served::new(zone));
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.udp_task.abort();
        // The TCP connections live in a JoinSet owned by this task; aborting
        // it drops the set, which aborts them.
        self.tcp_task.abort();
    }
}

async fn bind_pair(bind: SocketAddr) -> io::Result<(UdpSocket, TcpListener)> {
    let tries = if bind.port() == 0 { BIND_TRIES } else { 1 };
    let mut last_error = None;
    for _ in 0..tries {
        let udp = UdpSocket::bind(bind).await?;
        let port = udp.local_addr()?.port();
        match TcpListener::bind(SocketAddr::new(bind.ip(), port)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            // The UDP port's TCP twin is taken; try another ephemeral port.
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrInUse)))
}

async fn serve_udp(socket: UdpSocket, shared: Arc<Shared>) {
    let socket = Arc::new(socket);
    let mut buf = vec![0u8; usize::from(u16::MAX)];
    let mut delayed = JoinSet::new();
    loop {
        let (len, peer) = tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok(received) => received,
                // ICMP errors from earlier sends surface here on some
                // systems; they concern one peer, not the socket.
                Err(_) => continue,
            },
            Some(_) = delayed.join_next(), if !delayed.is_empty() => continue,
        };
        let zone = shared.zone();
        let Some(bytes) = respond::answer(&zone, &buf[..len]).and_then(|a| a.to_udp()) else {
            continue;
        };
        let delay = shared.delay_ms.load(Ordering::Relaxed);
        if delay == 0 {
            if socket.send_to(&bytes, peer).await.is_ok() {
                shared.answered.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        }
        let (socket, shared) = (Arc::clone(&socket), Arc::clone(&shared));
        delayed.spawn(async move {
            let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            shared.most_in_flight.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(delay)).await;
            if socket.send_to(&bytes, peer).await.is_ok() {
                shared.answered.fetch_add(1, Ordering::Relaxed);
            }
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

async fn serve_tcp(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                // Out of descriptors or similar: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Length-prefixed messages (RFC 1035 §4.2.2), several per connection.
async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) {
    loop {
        let mut len = [0u8; 2];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
        let mut request = vec![0u8; usize::from(u16::from_be_bytes(len))];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut request)).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
        let zone = shared.zone();
        let Some(bytes) = respond::answer(&zone, &request).and_then(|a| a.to_tcp()) else {
            continue;
        };
        let Ok(prefix) = u16::try_from(bytes.len()) else {
            continue;
        };
        let mut framed = Vec::with_capacity(bytes.len() + 2);
        framed.extend_from_slice(&prefix.to_be_bytes());
        framed.extend_from_slice(&bytes);
        match tokio::time::timeout(TCP_IDLE, stream.write_all(&framed)).await {
            Ok(Ok(())) => {
                shared.answered.fetch_add(1, Ordering::Relaxed);
                shared.answered_tcp.fetch_add(1, Ordering::Relaxed);
            }
            _ => return,
        }
    }
}
