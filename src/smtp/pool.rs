//! Sessions to one address, each taken up to "220 ready to start TLS",
//! opened ahead of need and politely.
//!
//! Every TLS handshake costs a TCP connection and an SMTP dialogue. The pool
//! overlaps them: while a handshake runs on one session, the next can be
//! opened (`prefetch`). It never has more than its limit open at once
//! (`--per-host`), lowers that limit when the server says "too many
//! connections", and retries transient refusals (421, 4xx, resets, timeouts)
//! with exponential backoff before giving up. Once it gives up, every request
//! fails with the same reason, so callers can report the result as
//! incomplete rather than as "not supported".
//!
//! What it never does: send anything after STARTTLS itself. A session that is
//! not used is closed without a word (after the 220 to STARTTLS the server
//! expects a ClientHello, and QUIT is no longer possible in clear text).

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use super::{Dialogue, EhloName, Negotiated, SmtpInfo};

/// Opens the TCP (or, in tests, in-memory) connection a session runs on.
pub trait Connect: Send + Sync + 'static {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// A connection to `addr`, and its local address (for the EHLO name).
    fn connect(
        &self,
        addr: SocketAddr,
    ) -> impl std::future::Future<Output = io::Result<(Self::Stream, Option<SocketAddr>)>> + Send;
}

/// Real TCP connections, with Nagle's algorithm off: a probe's writes are
/// small and each waits for an answer, and a QUIT held back until the
/// server acknowledged the Finished before it costs a delayed ACK (40 ms on
/// Linux) per session.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tcp;

impl Connect for Tcp {
    type Stream = TcpStream;
    async fn connect(&self, addr: SocketAddr) -> io::Result<(TcpStream, Option<SocketAddr>)> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let local = tcp.local_addr().ok();
        Ok((tcp, local))
    }
}

/// Longest pause between two attempts, however many failures.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// How to open sessions to one address.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub addr: SocketAddr,
    pub ehlo: EhloName,
    /// Timeout of each step (connect, each reply).
    pub timeout: Duration,
    /// Sessions open at once, at most.
    pub per_host: usize,
    /// Transient refusals in a row (421, 4xx, resets, timeouts) after which
    /// the pool gives up; any success resets the count.
    pub retries: u32,
    /// First backoff; doubled on each further attempt.
    pub backoff: Duration,
    /// Least time between two connection attempts (0: no limit).
    pub min_interval: Duration,
}

/// Why no session could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// No TCP connection (refused, unreachable, timed out).
    #[error("{0}")]
    Unreachable(String),
    /// The SMTP dialogue failed; `info` holds what was learnt.
    #[error("{error}")]
    Smtp {
        info: Box<SmtpInfo>,
        error: String,
        /// Where the dialogue failed.
        step: Option<super::Step>,
        /// Bytes were injected after the STARTTLS 220.
        injection: bool,
    },
    /// STARTTLS is not offered.
    #[error("server does not offer STARTTLS")]
    NoStartTls(Box<SmtpInfo>),
}

/// Sessions to one address. Dropping the pool closes idle sessions and stops
/// any that are still being opened.
pub struct Pool<C: Connect = Tcp> {
    inner: Arc<Inner<C>>,
}

struct Inner<C: Connect> {
    config: PoolConfig,
    connector: C,
    /// Shared with every other pool of the scan: simultaneous connections.
    global: Option<Arc<Semaphore>>,
    state: Mutex<State<C>>,
    changed: Notify,
}

struct State<C: Connect> {
    /// Sessions opening, idle or in use.
    open: usize,
    limit: usize,
    ready: VecDeque<Session<C>>,
    prefetching: Vec<JoinHandle<()>>,
    connections: u32,
    info: Option<SmtpInfo>,
    fatal: Option<PoolError>,
    closed: bool,
    last_attempt: Option<tokio::time::Instant>,
    /// Transient failures since the last success.
    failures_in_a_row: u32,
    /// Prefetches under way, and requests waiting for one of them.
    pending_prefetch: usize,
    claimed: usize,
}

/// One session, positioned for the TLS ClientHello. Reads and writes go to
/// the TCP stream; dropping it closes the connection and frees its slot.
pub struct Session<C: Connect = Tcp> {
    stream: C::Stream,
    inner: Arc<Inner<C>>,
    _global: Option<OwnedSemaphorePermit>,
}

impl Pool<Tcp> {
    pub fn new(config: PoolConfig, global: Option<Arc<Semaphore>>) -> Pool<Tcp> {
        Pool::with_connector(config, global, Tcp)
    }
}

impl<C: Connect> Pool<C> {
    /// A pool whose sessions run on `connector`'s connections.
    pub fn with_connector(config: PoolConfig, global: Option<Arc<Semaphore>>, connector: C) -> Pool<C> {
        let limit = config.per_host.max(1);
        Pool {
            inner: Arc::new(Inner {
                config,
                connector,
                global,
                state: Mutex::new(State {
                    open: 0,
                    limit,
                    ready: VecDeque::new(),
                    prefetching: Vec::new(),
                    connections: 0,
                    info: None,
                    fatal: None,
                    closed: false,
                    last_attempt: None,
                    failures_in_a_row: 0,
                    pending_prefetch: 0,
                    claimed: 0,
                }),
                changed: Notify::new(),
            }),
        }
    }

    /// A session. `prefetch`: another will probably be wanted right after
    /// this one, so start opening it now if there is room.
    pub async fn session(&self, prefetch: bool) -> Result<Session<C>, PoolError> {
        let session = Inner::acquire(&self.inner).await?;
        if prefetch {
            Inner::prefetch(&self.inner);
        }
        Ok(session)
    }

    /// What the server said before TLS on the first session that got there.
    pub fn info(&self) -> Option<SmtpInfo> {
        self.inner.lock().info.clone()
    }

    /// TCP connections made so far.
    pub fn connections(&self) -> u32 {
        self.inner.lock().connections
    }

    /// The per-address limit now in force (lowered by "too many connections").
    pub fn limit(&self) -> usize {
        self.inner.lock().limit
    }
}

impl<C: Connect> Drop for Pool<C> {
    fn drop(&mut self) {
        let (idle, prefetching) = {
            let mut st = self.inner.lock();
            st.closed = true;
            (
                std::mem::take(&mut st.ready),
                std::mem::take(&mut st.prefetching),
            )
        };
        for task in prefetching {
            task.abort();
        }
        drop(idle);
    }
}

/// What one attempt to open a session ran into.
enum Failure {
    /// Might work later; `crowded`: the server limits our connections.
    Transient {
        error: PoolError,
        crowded: bool,
    },
    Final(PoolError),
}

impl<C: Connect> Inner<C> {
    fn lock(&self) -> MutexGuard<'_, State<C>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn acquire(this: &Arc<Inner<C>>) -> Result<Session<C>, PoolError> {
        enum Next<C: Connect> {
            Take(Session<C>),
            Open,
            Wait,
            Fail(PoolError),
        }
        // Waiting for a prefetch under way rather than opening yet another
        // connection: otherwise the prefetch ends up unused.
        let mut claimed = false;
        loop {
            let notified = this.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let next = {
                let mut st = this.lock();
                if std::mem::take(&mut claimed) {
                    st.claimed = st.claimed.saturating_sub(1);
                }
                if let Some(e) = &st.fatal {
                    Next::Fail(e.clone())
                } else if let Some(s) = st.ready.pop_front() {
                    Next::Take(s)
                } else if st.pending_prefetch > st.claimed {
                    st.claimed += 1;
                    claimed = true;
                    Next::Wait
                } else if st.open < st.limit {
                    st.open += 1;
                    Next::Open
                } else {
                    Next::Wait
                }
            };
            match next {
                // An idle session the server has since closed is no use.
                Next::Take(mut s) => {
                    if s.alive() {
                        return Ok(s);
                    }
                }
                Next::Fail(e) => return Err(e),
                Next::Wait => notified.await,
                Next::Open => {
                    let permit = match Inner::permit_or_ready(this).await {
                        Ok(permit) => permit,
                        Err(Some(session)) => return Ok(session),
                        Err(None) => continue,
                    };
                    match Inner::open(this, permit).await {
                        Ok(s) => return Ok(s),
                        Err(Failure::Final(e)) => return Err(e),
                        Err(Failure::Transient { error, crowded }) => {
                            if let Some(pause) = this.after_transient(error, crowded)? {
                                tokio::time::sleep(pause).await;
                            }
                        }
                    }
                }
            }
        }
    }

    /// A connection permit from the scan-wide limit, for a session counted in
    /// `open`. While waiting for it, a session of this pool that becomes
    /// ready (a prefetch) is taken instead (`Err(Some)`), and the count given
    /// back: otherwise pools could each hold a permit in an idle session
    /// while waiting for another, and wait for ever. `Err(None)`: the ready
    /// session was dead; look again.
    async fn permit_or_ready(
        this: &Arc<Inner<C>>,
    ) -> Result<Option<OwnedSemaphorePermit>, Option<Session<C>>> {
        let Some(global) = &this.global else {
            return Ok(None);
        };
        loop {
            let notified = this.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let ready = this.lock().ready.pop_front();
            if let Some(s) = ready {
                this.release_reservation();
                let mut s = s;
                return Err(s.alive().then_some(s));
            }
            tokio::select! {
                permit = Arc::clone(global).acquire_owned() => return Ok(permit.ok()),
                () = &mut notified => {}
            }
        }
    }

    fn release_reservation(&self) {
        let mut st = self.lock();
        st.open = st.open.saturating_sub(1);
        drop(st);
        self.changed.notify_waiters();
    }

    /// Account for a transient failure. Failures are counted for the whole
    /// pool and any success resets the count, so a server that refuses every
    /// other connection is still enumerated, while one that keeps refusing is
    /// given up on after `retries` refusals in a row. Returns how long to
    /// back off, if at all: not when our own other sessions explain a "too
    /// many connections" (the limit is lowered to what is open and the next
    /// attempt waits for one of them to end).
    fn after_transient(
        &self,
        error: PoolError,
        crowded: bool,
    ) -> Result<Option<Duration>, PoolError> {
        let mut st = self.lock();
        st.failures_in_a_row += 1;
        if st.failures_in_a_row > self.config.retries {
            drop(st);
            return Err(self.give_up(error));
        }
        if crowded && st.open > 0 {
            st.limit = st.open;
            return Ok(None);
        }
        Ok(Some(self.backoff(st.failures_in_a_row)))
    }

    fn backoff(&self, failures: u32) -> Duration {
        let pause = self.config.backoff * 2u32.saturating_pow(failures.saturating_sub(1).min(16));
        pause.min(MAX_BACKOFF)
    }

    /// Once the pool gives up, every later request gets the same answer at
    /// once: a server that refuses us is not asked again and again.
    fn give_up(&self, error: PoolError) -> PoolError {
        let mut st = self.lock();
        if st.fatal.is_none() {
            st.fatal = Some(error.clone());
        }
        drop(st);
        self.changed.notify_waiters();
        error
    }

    fn prefetch(this: &Arc<Inner<C>>) {
        let mut st = this.lock();
        if st.closed || st.fatal.is_some() || !st.ready.is_empty() || st.open >= st.limit {
            return;
        }
        st.open += 1;
        st.pending_prefetch += 1;
        st.prefetching.retain(|t| !t.is_finished());
        let inner = Arc::clone(this);
        st.prefetching.push(tokio::spawn(async move {
            let permit = match &inner.global {
                Some(g) => match Arc::clone(g).acquire_owned().await {
                    Ok(p) => Some(p),
                    Err(_) => {
                        inner.lock().pending_prefetch -= 1;
                        inner.release_reservation();
                        return;
                    }
                },
                None => None,
            };
            let opened = Inner::open(&inner, permit).await;
            let mut st = inner.lock();
            st.pending_prefetch = st.pending_prefetch.saturating_sub(1);
            let unused = match opened {
                Ok(session) if !st.closed => {
                    st.ready.push_back(session);
                    None
                }
                Ok(session) => Some(session),
                Err(_) => None,
            };
            drop(st);
            // A session not kept frees its slot in its Drop (outside the lock).
            drop(unused);
            inner.changed.notify_waiters();
        }));
    }

    /// Open one session; the caller has counted it in `open` and holds its
    /// scan-wide permit. On failure the slot is released again.
    async fn open(
        this: &Arc<Inner<C>>,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Result<Session<C>, Failure> {
        let result = Inner::open_once(this, permit).await;
        if result.is_err() {
            let mut st = this.lock();
            st.open = st.open.saturating_sub(1);
            drop(st);
            this.changed.notify_waiters();
        }
        result
    }

    async fn open_once(
        this: &Arc<Inner<C>>,
        global: Option<OwnedSemaphorePermit>,
    ) -> Result<Session<C>, Failure> {
        let cfg = &this.config;
        this.pace().await;
        let had_success = {
            let mut st = this.lock();
            st.connections += 1;
            st.info.is_some()
        };
        let (tcp, local) = match tokio::time::timeout(cfg.timeout, this.connector.connect(cfg.addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                let error = PoolError::Unreachable(format!("connect to {}: {e}", cfg.addr));
                return Err(if had_success {
                    Failure::Transient {
                        error,
                        crowded: false,
                    }
                } else {
                    Failure::Final(this.give_up(error))
                });
            }
            Err(_) => {
                let error = PoolError::Unreachable(format!(
                    "connect to {} timed out after {}s",
                    cfg.addr,
                    cfg.timeout.as_secs_f32()
                ));
                return Err(if had_success {
                    Failure::Transient {
                        error,
                        crowded: false,
                    }
                } else {
                    Failure::Final(this.give_up(error))
                });
            }
        };
        let dialogue = Dialogue {
            ehlo_name: cfg.ehlo.for_connection(local),
            timeout: cfg.timeout,
        };
        match dialogue.starttls(tcp).await {
            Ok(Negotiated::Ready { stream, info }) => {
                let mut st = this.lock();
                st.info.get_or_insert(info);
                st.failures_in_a_row = 0;
                Ok(Session {
                    stream,
                    inner: Arc::clone(this),
                    _global: global,
                })
            }
            Ok(Negotiated::NoStartTls { info }) => {
                let error = PoolError::NoStartTls(Box::new(info));
                Err(if had_success {
                    // It offered STARTTLS before: a flapping server or a
                    // load balancer mixing back ends.
                    Failure::Transient {
                        error,
                        crowded: false,
                    }
                } else {
                    Failure::Final(this.give_up(error))
                })
            }
            Err(failure) => {
                let transient = failure.error.is_transient();
                let crowded = failure.error.is_too_many_connections();
                let injection = matches!(failure.error, super::SmtpError::Injection { .. });
                let error = PoolError::Smtp {
                    step: if injection {
                        Some(super::Step::Starttls)
                    } else {
                        failure.error.step()
                    },
                    injection,
                    error: failure.error.to_string(),
                    info: Box::new(failure.info),
                };
                Err(if transient || crowded {
                    Failure::Transient { error, crowded }
                } else {
                    Failure::Final(this.give_up(error))
                })
            }
        }
    }

    /// Keep at least `min_interval` between connection attempts.
    async fn pace(&self) {
        let interval = self.config.min_interval;
        if interval.is_zero() {
            return;
        }
        let wait = {
            let mut st = self.lock();
            let now = tokio::time::Instant::now();
            let next = st.last_attempt.map_or(now, |t| (t + interval).max(now));
            st.last_attempt = Some(next);
            next - now
        };
        tokio::time::sleep(wait).await;
    }
}

impl<C: Connect> Session<C> {
    /// The server has not closed the connection (or sent anything) while the
    /// session waited: it is still positioned for the ClientHello.
    fn alive(&mut self) -> bool {
        // A read that would block: nothing arrived, nothing closed. (A byte
        // that did arrive is consumed, but such a session is useless anyway.)
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        Pin::new(&mut self.stream)
            .poll_read(&mut cx, &mut buf)
            .is_pending()
    }

    /// Close gracefully: send FIN and wait (at most `wait`) for the server to
    /// close its side, so that the server has counted this connection as
    /// ended before the slot is used again. Otherwise a server limiting
    /// connections per client could still see it open and refuse the next.
    pub async fn linger(&mut self, wait: Duration) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let _ = tokio::time::timeout(wait, async {
            let _ = self.stream.shutdown().await;
            let mut buf = [0u8; 1024];
            // Whatever still arrives (an alert, a 421) is of no interest.
            while let Ok(n) = self.stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
    }
}

impl<C: Connect> Drop for Session<C> {
    fn drop(&mut self) {
        let mut st = self.inner.lock();
        st.open = st.open.saturating_sub(1);
        drop(st);
        self.inner.changed.notify_waiters();
    }
}

impl<C: Connect> AsyncRead for Session<C> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<C: Connect> AsyncWrite for Session<C> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
