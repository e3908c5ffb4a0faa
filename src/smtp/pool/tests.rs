//! The pool against in-memory servers, on paused time: prefetch, claims,
//! the per-address limit, "too many connections", back-off and giving up.
//!
//! Every connection is a `tokio::io::duplex` pair with a scripted SMTP
//! server on the other end that counts what it sees, so the counts below are
//! the server's own, as a real server would count them.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{duplex, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::time::Instant;

use super::*;
use crate::smtp::EhloName;

/// How the fake server behaves.
#[derive(Clone, Default)]
struct Behaviour {
    /// Pause before the greeting.
    greeting_delay: Duration,
    /// Connections beyond this many open at once get `421 too many
    /// connections` (as Exim's `smtp_accept_max_per_host`).
    max_open: Option<usize>,
    /// Connection attempts (1-based) that are refused at the TCP level.
    refuse: Vec<u32>,
    /// Connection attempts (1-based) greeted with `421 busy`.
    busy: Vec<u32>,
    /// Every attempt is greeted with `421 busy`.
    always_busy: bool,
    /// No STARTTLS in the EHLO reply.
    no_starttls: bool,
    /// The server gives up on a session idle after STARTTLS this long.
    idle_close: Option<Duration>,
    /// Pause between the client's close and the server's (Exim on GnuTLS
    /// sleeps 500 ms after a failed handshake).
    close_delay: Duration,
}

/// What the fake server saw.
#[derive(Default)]
struct Seen {
    attempts: AtomicU32,
    /// Connections the server accepted (not refused at TCP level).
    accepted: AtomicU32,
    open: AtomicUsize,
    max_open: AtomicUsize,
    /// When each attempt came, from the start of the test.
    times: Mutex<Vec<Duration>>,
}

#[derive(Clone)]
struct Fake {
    behaviour: Behaviour,
    seen: Arc<Seen>,
    start: Instant,
}

impl Fake {
    fn new(behaviour: Behaviour) -> Fake {
        Fake {
            behaviour,
            seen: Arc::default(),
            start: Instant::now(),
        }
    }
    fn attempts(&self) -> u32 {
        self.seen.attempts.load(Ordering::SeqCst)
    }
    fn max_open(&self) -> usize {
        self.seen.max_open.load(Ordering::SeqCst)
    }
    fn open(&self) -> usize {
        self.seen.open.load(Ordering::SeqCst)
    }
}

impl Connect for Fake {
    type Stream = DuplexStream;
    async fn connect(&self, _: SocketAddr) -> io::Result<(DuplexStream, Option<SocketAddr>)> {
        let n = self.seen.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        self.seen.times.lock().unwrap().push(self.start.elapsed());
        if self.behaviour.refuse.contains(&n) {
            return Err(io::ErrorKind::ConnectionRefused.into());
        }
        self.seen.accepted.fetch_add(1, Ordering::SeqCst);
        let (client, server) = duplex(4096);
        let open = self.seen.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.seen.max_open.fetch_max(open, Ordering::SeqCst);
        let (b, seen) = (self.behaviour.clone(), Arc::clone(&self.seen));
        tokio::spawn(async move {
            serve(server, &b, n, open).await;
            seen.open.fetch_sub(1, Ordering::SeqCst);
        });
        Ok((client, None))
    }
}

/// One session of the fake server; returns once the connection is closed.
async fn serve(stream: DuplexStream, b: &Behaviour, n: u32, open: usize) {
    let mut s = BufReader::new(stream);
    tokio::time::sleep(b.greeting_delay).await;
    let crowded = b.max_open.is_some_and(|max| open > max);
    if crowded || b.always_busy || b.busy.contains(&n) {
        let text = if crowded {
            "421 4.7.0 too many connections from your host\r\n"
        } else {
            "421 4.3.2 busy, try later\r\n"
        };
        let _ = s.get_mut().write_all(text.as_bytes()).await;
        return;
    }
    let _ = s.get_mut().write_all(b"220 fake.test ESMTP\r\n").await;
    let mut line = String::new();
    if s.read_line(&mut line).await.unwrap_or(0) == 0 {
        return;
    }
    let ehlo: &[u8] = if b.no_starttls {
        b"250-fake.test\r\n250 SIZE 1000\r\n"
    } else {
        b"250-fake.test\r\n250 STARTTLS\r\n"
    };
    let _ = s.get_mut().write_all(ehlo).await;
    line.clear();
    if s.read_line(&mut line).await.unwrap_or(0) == 0 {
        return;
    }
    if line.starts_with("QUIT") {
        let _ = s.get_mut().write_all(b"221 bye\r\n").await;
        return;
    }
    let _ = s.get_mut().write_all(b"220 ready to start TLS\r\n").await;
    // Positioned for the ClientHello: wait for the client to close (or to
    // stay idle too long).
    let mut buf = [0u8; 64];
    let wait = b.idle_close.unwrap_or(Duration::from_secs(3600));
    let _ = tokio::time::timeout(wait, async {
        while s.read(&mut buf).await.unwrap_or(0) > 0 {}
    })
    .await;
    tokio::time::sleep(b.close_delay).await;
}

fn config(per_host: usize) -> PoolConfig {
    PoolConfig {
        addr: ([127, 0, 0, 1], 25).into(),
        ehlo: EhloName::Fixed("probe.test".into()),
        timeout: Duration::from_secs(10),
        per_host,
        retries: 3,
        backoff: Duration::from_secs(1),
        min_interval: Duration::ZERO,
    }
}

fn pool(fake: &Fake, per_host: usize) -> Pool<Fake> {
    Pool::with_connector(config(per_host), None, fake.clone())
}

/// Lets every task run until all wait on time or I/O.
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_session_reaches_starttls_and_the_info_is_kept() {
    let fake = Fake::new(Behaviour::default());
    let pool = pool(&fake, 2);
    let session = pool.session(false).await.unwrap();
    let info = pool.info().unwrap();
    assert_eq!(info.banner_host.as_deref(), Some("fake.test"));
    assert!(info.starttls);
    assert_eq!(pool.connections(), 1);
    drop(session);
    settle().await;
    assert_eq!(fake.open(), 0, "dropping a session closes its connection");
}

#[tokio::test(start_paused = true)]
async fn prefetch_opens_the_next_session_while_this_one_is_used() {
    let fake = Fake::new(Behaviour {
        greeting_delay: Duration::from_secs(3),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 2);
    let t = Instant::now();
    let first = pool.session(true).await.unwrap();
    assert_eq!(t.elapsed(), Duration::from_secs(3));
    // The first session was slow to come: the next one was opened
    // alongside, a second later, not after it.
    drop(first);
    let second = pool.session(false).await.unwrap();
    assert_eq!(t.elapsed(), Duration::from_secs(4), "opened alongside");
    drop(second);
    settle().await;
    assert_eq!(fake.attempts(), 2, "nothing opened that was not asked for");
}

#[tokio::test(start_paused = true)]
async fn a_warm_pool_refills_every_slot_given_back() {
    let fake = Fake::new(Behaviour {
        greeting_delay: Duration::from_secs(3),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 2);
    pool.set_warm(true);
    // One session ahead of need from the start.
    settle().await;
    assert_eq!(fake.attempts(), 1);
    let first = pool.session(true).await.unwrap();
    let second = pool.session(true).await.unwrap();
    let opened = fake.attempts();
    // A slot given back opens the next session at once, asked for or not,
    // keeping one session ahead of need (not more).
    drop(first);
    drop(second);
    tokio::time::sleep(Duration::from_millis(100)).await;
    settle().await;
    assert_eq!(fake.attempts(), opened + 1, "one session ahead");
    pool.set_warm(false);
    let idle = pool.take_idle().await;
    assert!(idle.len() <= 2);
    drop(idle);
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(fake.attempts(), opened + 1, "nothing opened once cooled");
}

#[tokio::test(start_paused = true)]
async fn prefetched_sessions_are_used_before_new_ones_are_opened() {
    let fake = Fake::new(Behaviour {
        greeting_delay: Duration::from_secs(2),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 2);
    let t = Instant::now();
    let first = pool.session(true).await.unwrap();
    // The prefetch (opened alongside the slow first session) is under way:
    // a request now waits for it instead of opening a third connection
    // that would end up unused.
    let second = pool.session(false).await.unwrap();
    assert_eq!(t.elapsed(), Duration::from_secs(3));
    assert_eq!(fake.attempts(), 2);
    drop((first, second));
}

#[tokio::test(start_paused = true)]
async fn concurrent_requests_never_exceed_the_limit() {
    let fake = Fake::new(Behaviour {
        greeting_delay: Duration::from_millis(300),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 2);
    let uses = (0..12).map(|i| {
        let pool = &pool;
        async move {
            let s = pool.session(i % 2 == 0).await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(s);
        }
    });
    futures::future::join_all(uses).await;
    drop(pool);
    settle().await;
    assert_eq!(
        fake.max_open(),
        2,
        "the server never saw more than --per-host"
    );
    assert!(
        (12..=14).contains(&fake.attempts()),
        "{} connections for 12 uses",
        fake.attempts()
    );
}

#[tokio::test(start_paused = true)]
async fn too_many_connections_lowers_the_limit_without_failing() {
    let fake = Fake::new(Behaviour {
        max_open: Some(1),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 3);
    let uses = (0..6).map(|_| {
        let pool = &pool;
        async move {
            let s = pool.session(false).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            drop(s);
        }
    });
    futures::future::join_all(uses).await;
    assert_eq!(pool.limit(), 1, "lowered to what the server allows");
    // Three slots at first: two attempts were refused, one per slot given up.
    assert_eq!(fake.attempts(), 6 + 2);
}

#[tokio::test(start_paused = true)]
async fn transient_refusals_back_off_exponentially_then_succeed() {
    let fake = Fake::new(Behaviour {
        busy: vec![1, 2, 3],
        ..Behaviour::default()
    });
    let pool = pool(&fake, 1);
    let t = Instant::now();
    let s = pool.session(false).await.unwrap();
    // 1 s, 2 s, 4 s between the four attempts.
    assert_eq!(t.elapsed(), Duration::from_secs(7));
    let times = fake.seen.times.lock().unwrap().clone();
    assert_eq!(
        times,
        [0, 1, 3, 7].map(Duration::from_secs).to_vec(),
        "attempt times"
    );
    drop(s);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_keeps_refusing_is_given_up_once_for_all() {
    let fake = Fake::new(Behaviour {
        always_busy: true,
        ..Behaviour::default()
    });
    let pool = pool(&fake, 2);
    let err = pool.session(true).await.err().unwrap();
    assert!(err.to_string().contains("421"), "{err}");
    // retries = 3: four attempts in a row, then the pool gives up.
    assert_eq!(fake.attempts(), 4);
    // Every later request gets the same answer at once, without a connection.
    let t = Instant::now();
    assert_eq!(pool.session(false).await.err(), Some(err));
    assert_eq!(t.elapsed(), Duration::ZERO);
    assert_eq!(fake.attempts(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_success_resets_the_count_of_refusals() {
    // Every other connection refused: retries = 3 is never exhausted.
    let fake = Fake::new(Behaviour {
        busy: (1..40).filter(|n| n % 2 == 0).collect(),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 1);
    for _ in 0..10 {
        let s = pool.session(false).await.unwrap();
        drop(s);
    }
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_server_fails_at_once_and_a_later_refusal_is_retried() {
    let fake = Fake::new(Behaviour {
        refuse: vec![1],
        ..Behaviour::default()
    });
    let pool = pool(&fake, 2);
    let err = pool.session(false).await.err().unwrap();
    assert!(matches!(err, PoolError::Unreachable(_)), "{err:?}");
    assert_eq!(fake.attempts(), 1, "never reached: not retried");

    // Once a session succeeded, a refused connection is transient.
    let fake = Fake::new(Behaviour {
        refuse: vec![2],
        ..Behaviour::default()
    });
    let pool = self::pool(&fake, 1);
    drop(pool.session(false).await.unwrap());
    settle().await;
    drop(pool.session(false).await.unwrap());
    assert_eq!(fake.attempts(), 3);
}

#[tokio::test(start_paused = true)]
async fn no_starttls_is_final() {
    let fake = Fake::new(Behaviour {
        no_starttls: true,
        ..Behaviour::default()
    });
    let pool = pool(&fake, 2);
    let err = pool.session(true).await.err().unwrap();
    assert!(matches!(err, PoolError::NoStartTls(_)), "{err:?}");
    settle().await;
    assert_eq!(fake.attempts(), 1, "no prefetch after a final answer");
}

#[tokio::test(start_paused = true)]
async fn an_idle_session_the_server_closed_is_not_handed_out() {
    let fake = Fake::new(Behaviour {
        idle_close: Some(Duration::from_secs(5)),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 2);
    let first = pool.session(true).await.unwrap();
    drop(first);
    // The prefetched session waits longer than the server allows.
    tokio::time::sleep(Duration::from_secs(10)).await;
    settle().await;
    let s = pool.session(false).await.unwrap();
    assert_eq!(
        fake.attempts(),
        3,
        "a fresh connection replaced the dead one"
    );
    drop(s);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_pool_closes_idle_and_half_open_sessions() {
    let fake = Fake::new(Behaviour {
        greeting_delay: Duration::from_secs(2),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 2);
    let s = pool.session(true).await.unwrap();
    // The prefetch is half way through its greeting pause.
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(s);
    drop(pool);
    tokio::time::sleep(Duration::from_secs(5)).await;
    settle().await;
    assert_eq!(fake.open(), 0);
}

#[tokio::test(start_paused = true)]
async fn min_interval_paces_connection_attempts() {
    let fake = Fake::new(Behaviour::default());
    let mut cfg = config(2);
    cfg.min_interval = Duration::from_millis(500);
    let pool = Pool::with_connector(cfg, None, fake.clone());
    for _ in 0..3 {
        drop(pool.session(false).await.unwrap());
        settle().await;
    }
    let times = fake.seen.times.lock().unwrap().clone();
    assert_eq!(times, [0, 500, 1000].map(Duration::from_millis).to_vec());
}

#[tokio::test(start_paused = true)]
async fn the_scan_wide_limit_is_shared_without_deadlock() {
    // Two pools, one global permit: each may hold its permit in an idle
    // prefetched session while asking for another; neither may wait for ever.
    let global = Arc::new(Semaphore::new(1));
    let (a, b) = (
        Fake::new(Behaviour::default()),
        Fake::new(Behaviour::default()),
    );
    let pa = Pool::with_connector(config(2), Some(Arc::clone(&global)), a.clone());
    let pb = Pool::with_connector(config(2), Some(Arc::clone(&global)), b.clone());
    // As a probe does: ask, then give back what is left.
    async fn run(pool: Pool<Fake>) {
        for _ in 0..4 {
            let s = pool.session(true).await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
            drop(s);
        }
        drop(pool.take_idle().await);
        pool.drain().await;
    }
    let done = tokio::time::timeout(
        Duration::from_secs(60),
        futures::future::join(run(pa), run(pb)),
    )
    .await;
    assert!(done.is_ok(), "deadlock");
    settle().await;
    assert!(a.max_open() + b.max_open() <= 2);
}

#[tokio::test(start_paused = true)]
async fn a_slot_is_free_only_once_the_server_has_closed() {
    let fake = Fake::new(Behaviour {
        close_delay: Duration::from_millis(500),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 1);
    let t = Instant::now();
    let mut first = pool.session(false).await.unwrap();
    first.end_as(Ending::Failed);
    drop(first);
    let mut second = pool.session(false).await.unwrap();
    assert_eq!(
        t.elapsed(),
        Duration::from_millis(500) + session::AFTER_CLOSE,
        "waited for the close"
    );
    assert_eq!(fake.max_open(), 1);
    second.end_as(Ending::Quit);
    drop(second);
    pool.drain().await;
    let cost = pool.cost();
    assert_eq!(cost.connections, 2);
    assert_eq!(cost.closes, 2);
    assert_eq!(cost.close_wait, Duration::from_secs(1));
    assert_eq!(cost.close_after_failure, Some(Duration::from_millis(500)));
    // This server is as slow after QUIT: failures cost it nothing extra.
    assert_eq!(cost.failures_costly(), Some(false));
}

#[tokio::test(start_paused = true)]
async fn drain_closes_idle_sessions_and_waits_for_every_close() {
    let fake = Fake::new(Behaviour {
        close_delay: Duration::from_millis(200),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 2);
    let s = pool.session(true).await.unwrap();
    settle().await;
    drop(s);
    // One session closing, one prefetched and idle.
    pool.drain().await;
    assert_eq!(fake.open(), 0);
    assert_eq!(pool.cost().closes, 2);
    assert_eq!(pool.cost().close_wait, Duration::from_millis(400));
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_closes_holds_the_slot_only_for_the_linger_time() {
    let fake = Fake::new(Behaviour {
        close_delay: Duration::from_secs(3600),
        ..Behaviour::default()
    });
    let pool = pool(&fake, 1);
    let t = Instant::now();
    drop(pool.session(false).await.unwrap());
    drop(pool.session(false).await.unwrap());
    assert_eq!(t.elapsed(), LINGER + session::AFTER_CLOSE);
}
