//! Sessions to one address, each taken up to "220 ready to start TLS",
//! opened ahead of need and politely.
//!
//! Every TLS handshake costs a TCP connection and an SMTP dialogue. The pool
//! overlaps them: while a handshake runs on one session, the next can be
//! opened (`prefetch`), and a request waits for a prefetch under way rather
//! than opening yet another connection that would end up unused.
//!
//! Politeness is held by construction: a session is a pair of semaphore
//! permits (one of the address's `--per-host` slots, one of the scan's
//! connections), taken before connecting and given back only once the
//! server has closed the connection ([`Session`]), so the server never
//! counts more of our connections than the limit. "Too many connections"
//! while our own other sessions are open lowers the limit by forgetting that
//! permit; other transient refusals (421, 4xx, resets, timeouts) are retried
//! after a pause ([`retry`]). Once the pool gives up, every request fails
//! with the same reason, so callers can report the result as incomplete
//! rather than as "not supported".
//!
//! What it never does: send anything after STARTTLS itself. A session that is
//! not used is closed without a word (after the 220 to STARTTLS the server
//! expects a ClientHello, and QUIT is no longer possible in clear text).

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::futures::Notified;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;

use super::{Dialogue, EhloName, Negotiated, SmtpInfo};

pub(crate) mod retry;
mod session;

use retry::{Retry, RetryPolicy};
pub(crate) use session::{Cost, Ending, Session};
use session::{Ledger, OnFree, Permits};

/// Opens the TCP (or, in tests, in-memory) connection a session runs on.
pub(crate) trait Connect: Send + Sync + 'static {
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
pub(crate) struct Tcp;

impl Connect for Tcp {
    type Stream = TcpStream;
    async fn connect(&self, addr: SocketAddr) -> io::Result<(TcpStream, Option<SocketAddr>)> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let local = tcp.local_addr().ok();
        Ok((tcp, local))
    }
}

/// A first session not ready after this long means a slow server: the next
/// one is opened alongside. Long enough that a busy machine's ordinary
/// server is not taken for one.
const SLOW_GREETING: Duration = Duration::from_secs(1);

/// Longest wait for a server to close after our goodbye before the slot is
/// given back anyway.
pub(crate) const LINGER: Duration = Duration::from_secs(2);

/// How to open sessions to one address.
#[derive(Debug, Clone)]
pub(crate) struct PoolConfig {
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
pub(crate) enum PoolError {
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
pub(crate) struct Pool<C: Connect = Tcp> {
    inner: Arc<Inner<C>>,
}

struct Inner<C: Connect> {
    config: PoolConfig,
    connector: C,
    /// The address's slots: `per_host` permits, fewer once the server said
    /// "too many connections".
    slots: Arc<Semaphore>,
    /// Shared with every other pool of the scan: simultaneous connections.
    global: Option<Arc<Semaphore>>,
    state: Mutex<State<C>>,
    /// Shared with every session: what the connections cost.
    ledger: Arc<Ledger>,
    /// A session became ready, a prefetch ended, or the pool gave up.
    changed: Notify,
}

struct State<C: Connect> {
    /// Slots in force (`per_host`, lowered by "too many connections").
    limit: usize,
    /// Opened ahead of need, waiting for a request.
    ready: VecDeque<Session<C>>,
    /// Prefetches under way, and the requests waiting for one of them.
    prefetching: usize,
    claimed: usize,
    tasks: Vec<JoinHandle<()>>,
    info: Option<SmtpInfo>,
    fatal: Option<PoolError>,
    closed: bool,
    /// Sessions are asked for one after another (see [`Pool::set_warm`]).
    warm: bool,
    last_attempt: Option<tokio::time::Instant>,
    /// Transient failures since the last success.
    failures_in_a_row: u32,
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

impl Pool<Tcp> {
    pub(crate) fn new(config: PoolConfig, global: Option<Arc<Semaphore>>) -> Pool<Tcp> {
        Pool::with_connector(config, global, Tcp)
    }
}

impl<C: Connect> Pool<C> {
    /// A pool whose sessions run on `connector`'s connections.
    pub(crate) fn with_connector(
        config: PoolConfig,
        global: Option<Arc<Semaphore>>,
        connector: C,
    ) -> Pool<C> {
        let limit = config.per_host.max(1);
        Pool {
            inner: Arc::new(Inner {
                config,
                connector,
                slots: Arc::new(Semaphore::new(limit)),
                global,
                state: Mutex::new(State {
                    limit,
                    ready: VecDeque::new(),
                    prefetching: 0,
                    claimed: 0,
                    tasks: Vec::new(),
                    info: None,
                    fatal: None,
                    closed: false,
                    warm: false,
                    last_attempt: None,
                    failures_in_a_row: 0,
                }),
                ledger: Arc::default(),
                changed: Notify::new(),
            }),
        }
    }

    /// A session. `prefetch`: another will probably be wanted right after
    /// this one, so start opening it now if there is room.
    pub(crate) async fn session(&self, prefetch: bool) -> Result<Session<C>, PoolError> {
        if prefetch && self.connections() == 0 {
            // The first request: open the next session alongside.
            return Inner::acquire_alongside(&self.inner).await;
        }
        let session = Inner::acquire(&self.inner).await?;
        if prefetch {
            Inner::prefetch(&self.inner);
        }
        Ok(session)
    }

    /// What the server said before TLS on the first session that got there.
    pub(crate) fn info(&self) -> Option<SmtpInfo> {
        self.inner.lock().info.clone()
    }

    /// TCP connections made so far.
    pub(crate) fn connections(&self) -> u32 {
        self.cost().connections
    }

    /// What the sessions cost so far (closes still under way not counted).
    pub(crate) fn cost(&self) -> Cost {
        self.inner.ledger.cost()
    }

    /// Keep the pool warm (`true`) while sessions will be asked for one
    /// after another: a slot given back opens the next session at once
    /// (one ahead of need), so that servers slow to greet keep a question
    /// waiting for its connection as little as possible. Off (`false`, the
    /// default) when the need is ending: no more sessions than asked for.
    pub(crate) fn set_warm(&self, warm: bool) {
        self.inner.lock().warm = warm;
        if warm {
            Inner::prefetch(&self.inner);
        }
    }

    /// Keep a slot a moment after the server closed (the default), for
    /// servers that count a connection a little longer than it lasts (Exim
    /// counts it until its daemon reaped the child), or not.
    pub(crate) fn set_close_grace(&self, grace: bool) {
        self.inner.ledger.set_grace(grace);
    }

    /// Whether failed handshakes are costly at this address, as soon as a
    /// failed handshake's close tells (see [`Cost::failures_costly`]);
    /// `None` when none has failed yet.
    pub(crate) async fn failures_costly(&self) -> Option<bool> {
        self.inner.ledger.failures_costly(LINGER).await
    }

    /// The per-address limit now in force (lowered by "too many connections").
    pub(crate) fn limit(&self) -> usize {
        self.inner.lock().limit
    }

    /// Stop opening sessions and hand over the idle ones (opened ahead of a
    /// need that did not come), for the caller to end as it sees fit. A
    /// session still being opened is waited for a moment (it is usually
    /// milliseconds from ready); one that takes longer (a server pausing
    /// before its greeting) is given up and closed.
    pub(crate) async fn take_idle(&self) -> Vec<Session<C>> {
        let tasks = {
            let mut st = self.inner.lock();
            st.closed = true;
            std::mem::take(&mut st.tasks)
        };
        for mut task in tasks {
            if tokio::time::timeout(SLOW_GREETING, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
        let mut st = self.inner.lock();
        let mut idle: Vec<Session<C>> = st.ready.drain(..).collect();
        drop(st);
        idle.retain_mut(Session::alive);
        idle
    }

    /// Stop opening sessions, close the idle ones, and wait (at most the
    /// linger time, plus a second) until the server has closed every
    /// session of this pool, so that [`Pool::cost`] is complete. Sessions
    /// still held elsewhere are waited for within the same bound.
    pub(crate) async fn drain(&self) {
        self.inner.shut();
        let limit = u32::try_from(self.limit()).unwrap_or(u32::MAX);
        let all = Arc::clone(&self.inner.slots).acquire_many_owned(limit);
        let _ = tokio::time::timeout(LINGER + Duration::from_secs(1), all).await;
    }
}

impl<C: Connect> Drop for Pool<C> {
    fn drop(&mut self) {
        self.inner.shut();
    }
}

impl<C: Connect> Inner<C> {
    fn lock(&self) -> MutexGuard<'_, State<C>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            retries: self.config.retries,
            backoff: self.config.backoff,
        }
    }

    /// No more sessions: abort prefetches (a half-open session closes as
    /// any other) and close the idle ones.
    fn shut(&self) {
        let (idle, tasks) = {
            let mut st = self.lock();
            st.closed = true;
            (std::mem::take(&mut st.ready), std::mem::take(&mut st.tasks))
        };
        for task in tasks {
            task.abort();
        }
        drop(idle);
        self.changed.notify_waiters();
    }

    /// The first session of a pool that will want more: when the server is
    /// slow to get there (a pause before its greeting), the next session is
    /// opened alongside instead of after it. A server that answers quickly
    /// is not asked twice before it showed it is worth it.
    async fn acquire_alongside(this: &Arc<Self>) -> Result<Session<C>, PoolError> {
        let request = Inner::acquire(this);
        tokio::pin!(request);
        tokio::select! {
            result = request.as_mut() => {
                if result.is_ok() {
                    Inner::prefetch(this);
                }
                return result;
            }
            () = tokio::time::sleep(SLOW_GREETING) => {}
        }
        // Only while the first attempt is under way, not while it backs off
        // after a refusal.
        if this.lock().failures_in_a_row == 0 {
            Inner::prefetch(this);
        }
        request.await
    }

    async fn acquire(this: &Arc<Self>) -> Result<Session<C>, PoolError> {
        enum Next<C: Connect> {
            Take(Session<C>),
            Open,
            Wait,
            Fail(PoolError),
        }
        let mut claimed = false;
        loop {
            let notified = this.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let next = {
                let mut st = this.lock();
                if std::mem::take(&mut claimed) {
                    st.claimed -= 1;
                }
                if let Some(e) = &st.fatal {
                    Next::Fail(e.clone())
                } else if let Some(s) = st.ready.pop_front() {
                    Next::Take(s)
                } else if st.prefetching > st.claimed {
                    // Wait for that prefetch rather than opening another
                    // connection: otherwise the prefetch ends up unused.
                    st.claimed += 1;
                    claimed = true;
                    Next::Wait
                } else {
                    Next::Open
                }
            };
            match next {
                // An idle session the server has since closed is no use.
                Next::Take(mut s) => {
                    if s.alive() {
                        return Ok(s);
                    }
                    // Closed by the server: its slot needs no refill, this
                    // request opens the next session itself.
                    s.forget_pool();
                }
                Next::Fail(e) => return Err(e),
                Next::Wait => notified.await,
                Next::Open => {
                    // Whatever changes while waiting for permits (a session
                    // became ready, the pool gave up) means: look again.
                    let Some(permits) = this.permits(notified).await else {
                        continue;
                    };
                    match Inner::open(this, permits).await {
                        Ok(s) => return Ok(s),
                        Err(Failure::Final(e)) => return Err(this.give_up(e)),
                        Err(Failure::Transient { error, crowded }) => {
                            this.after_transient(error, crowded).await?;
                        }
                    }
                }
            }
        }
    }

    /// A slot of the address, then a place in the scan-wide limit; `None`
    /// when `changed` fires first. Waiting for a slot while an idle session
    /// of this pool holds one would be waiting for ever: every new ready
    /// session fires `changed`.
    async fn permits(&self, mut changed: Pin<&mut Notified<'_>>) -> Option<Permits> {
        let slot = tokio::select! {
            slot = Arc::clone(&self.slots).acquire_owned() => slot.ok()?,
            () = changed.as_mut() => return None,
        };
        let global = match &self.global {
            None => None,
            Some(global) => tokio::select! {
                permit = Arc::clone(global).acquire_owned() => Some(permit.ok()?),
                () = changed => return None,
            },
        };
        Some(Permits {
            _slot: slot,
            _global: global,
        })
    }

    /// Count a transient failure and do what [`RetryPolicy::decide`] says:
    /// give up, narrow the limit (a slot is forgotten as soon as one is
    /// free), or pause before the caller tries again.
    async fn after_transient(&self, error: PoolError, crowded: bool) -> Result<(), PoolError> {
        let decision = {
            let mut st = self.lock();
            st.failures_in_a_row += 1;
            // Sessions of ours the server still counts (open, opening, or
            // closing), besides the attempt that failed (which may still
            // be closing).
            let held = st.limit - self.slots.available_permits().min(st.limit);
            let others = held.saturating_sub(1);
            let decision = self
                .retry_policy()
                .decide(st.failures_in_a_row, crowded, others);
            if decision == Retry::Narrow {
                st.limit -= 1;
            }
            decision
        };
        if decision == Retry::Narrow && self.slots.forget_permits(1) == 0 {
            // Every slot is taken (the refused attempt's too, while it
            // closes): the next one given back is forgotten.
            self.ledger.owe_slot();
        }
        match decision {
            Retry::GiveUp => Err(self.give_up(error)),
            Retry::Narrow => Ok(()),
            Retry::After(pause) => {
                tokio::time::sleep(pause).await;
                Ok(())
            }
        }
    }

    /// Once the pool gives up, every later request gets the same answer at
    /// once: a server that refuses us is not asked again and again.
    fn give_up(&self, error: PoolError) -> PoolError {
        let mut st = self.lock();
        let error = st.fatal.get_or_insert(error).clone();
        drop(st);
        self.changed.notify_waiters();
        error
    }

    /// Open a session ahead of need, if a slot is free right now.
    fn prefetch(this: &Arc<Self>) {
        let mut st = this.lock();
        // One session ahead of need is enough: ready, or being opened for
        // no request in particular.
        let ahead = st.ready.len() + st.prefetching.saturating_sub(st.claimed);
        if st.closed || st.fatal.is_some() || ahead > 0 {
            return;
        }
        let Ok(slot) = Arc::clone(&this.slots).try_acquire_owned() else {
            return;
        };
        st.prefetching += 1;
        st.tasks.retain(|t| !t.is_finished());
        let inner = Arc::clone(this);
        st.tasks.push(tokio::spawn(async move {
            let global = match &inner.global {
                Some(g) => Arc::clone(g).acquire_owned().await.ok(),
                None => None,
            };
            let opened = match (&inner.global, global) {
                (Some(_), None) => None,
                (_, global) => {
                    let permits = Permits {
                        _slot: slot,
                        _global: global,
                    };
                    Some(Inner::open(&inner, permits).await)
                }
            };
            let mut st = inner.lock();
            st.prefetching -= 1;
            let unused = match opened {
                // Kept even once the pool is closed: `take_idle` collects it.
                Some(Ok(session)) => {
                    st.ready.push_back(session);
                    None::<Session<C>>
                }
                // A transient failure of a prefetch is left to the next
                // request to run into and count.
                Some(Err(Failure::Transient { .. })) => None,
                Some(Err(Failure::Final(e))) => {
                    st.fatal.get_or_insert(e);
                    None
                }
                None => None,
            };
            drop(st);
            drop(unused);
            inner.changed.notify_waiters();
        }));
    }

    /// Open one session on `permits`. From the TCP connection on, they
    /// belong to a [`Session`], which gives them back only once the server
    /// has closed, whatever happens: a failed dialogue, a prefetch stopped
    /// half way, or the end of a handshake.
    async fn open(this: &Arc<Self>, permits: Permits) -> Result<Session<C>, Failure> {
        let cfg = &this.config;
        this.pace().await;
        let had_success = this.lock().info.is_some();
        this.ledger.lock().connections += 1;
        let start = tokio::time::Instant::now();
        let connect = tokio::time::timeout(cfg.timeout, this.connector.connect(cfg.addr)).await;
        // Reached before: a failure now is the server being busy or
        // flapping, worth another try; the first time, it is the answer.
        let failed = |error: PoolError| {
            if had_success {
                Failure::Transient {
                    error,
                    crowded: false,
                }
            } else {
                Failure::Final(error)
            }
        };
        let (tcp, local) = match connect {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                let error = PoolError::Unreachable(format!("connect to {}: {e}", cfg.addr));
                return Err(failed(error));
            }
            Err(_) => {
                let error = PoolError::Unreachable(format!(
                    "connect to {} timed out after {}s",
                    cfg.addr,
                    cfg.timeout.as_secs_f32()
                ));
                return Err(failed(error));
            }
        };
        this.ledger.lock().connected(start.elapsed());
        let dialogue = Dialogue {
            ehlo_name: cfg.ehlo.for_connection(local),
            timeout: cfg.timeout,
        };
        let linger = cfg.timeout.min(LINGER);
        let conn = Session::new(tcp, permits, Arc::clone(&this.ledger), linger);
        match dialogue.starttls(conn).await {
            Ok(Negotiated::Ready { mut stream, info }) => {
                let mut st = this.lock();
                st.info.get_or_insert(info);
                st.failures_in_a_row = 0;
                let pool = Arc::downgrade(this);
                let on_free: OnFree = Arc::new(move || {
                    if let Some(inner) = pool.upgrade() {
                        if inner.lock().warm {
                            Inner::prefetch(&inner);
                        }
                    }
                });
                stream.on_free(on_free);
                Ok(stream)
            }
            // Offered before: a flapping server or a load balancer mixing
            // back ends.
            Ok(Negotiated::NoStartTls { info }) => {
                Err(failed(PoolError::NoStartTls(Box::new(info))))
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
                // A dialogue that failed for good is final even after
                // earlier successes, as before.
                if transient || crowded {
                    Err(Failure::Transient { error, crowded })
                } else {
                    Err(Failure::Final(error))
                }
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

#[cfg(test)]
mod tests;
