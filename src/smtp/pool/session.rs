//! One session of the pool: a connection positioned for the TLS ClientHello
//! that holds its slot until the server has closed it.
//!
//! A server counts a connection as open until it has closed its own end, so
//! a slot given back any earlier could let the next connection exceed the
//! server's per-client limit. Dropping a session therefore closes it
//! politely in the background (FIN, then wait for the server's FIN, at most
//! the linger time) and only then gives back its permits. How long each
//! server took is recorded: it is part of what a probe cost, and it tells
//! the prober whether failed handshakes are expensive at this address.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{Notify, OwnedSemaphorePermit};

use super::{Connect, Tcp};

/// The slot of the address and the place in the scan-wide limit a session
/// holds; dropped (given back) once the server has closed.
pub(super) struct Permits {
    // Held, never read: dropping them gives them back.
    pub _slot: OwnedSemaphorePermit,
    pub _global: Option<OwnedSemaphorePermit>,
}

/// How a session ended, as the user of the session tells it: servers differ
/// in how fast they close after each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Ending {
    /// Not used for a handshake, or nothing worth measuring.
    #[default]
    Unused,
    /// The handshake completed and QUIT was said over TLS.
    Quit,
    /// The handshake failed: the server refused it or we abandoned it.
    Failed,
}

/// What the sessions of one pool cost, as far as the connections go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cost {
    /// TCP connections attempted.
    pub connections: u32,
    /// Time spent waiting for the server to close, over all sessions.
    pub close_wait: Duration,
    /// Sessions whose close was waited for.
    pub closes: u32,
    /// How long the server took to close after the first failed handshake.
    pub close_after_failure: Option<Duration>,
    /// How long it took to close after the first QUIT over TLS.
    pub close_after_quit: Option<Duration>,
    /// The quickest TCP connect: about one round trip to the server.
    pub round_trip: Option<Duration>,
}

impl Cost {
    fn closed(&mut self, ending: Ending, took: Duration) {
        self.close_wait += took;
        self.closes += 1;
        let first = match ending {
            Ending::Failed => &mut self.close_after_failure,
            Ending::Quit => &mut self.close_after_quit,
            Ending::Unused => return,
        };
        first.get_or_insert(took);
    }

    pub(super) fn connected(&mut self, took: Duration) {
        self.round_trip = Some(self.round_trip.map_or(took, |rtt| rtt.min(took)));
    }

    /// Whether a failed handshake costs this server (and so the probe's
    /// slot) clearly more than a completed one ended with QUIT: Exim on
    /// GnuTLS sleeps half a second after each before it closes. `None`
    /// until a failed handshake's close has been measured. The margin
    /// allows for the round trips a close over the network takes anyway.
    pub(crate) fn failures_costly(&self) -> Option<bool> {
        Some(self.close_after_failure? > self.costly_beyond())
    }

    /// A close after a failed handshake that takes longer than this is
    /// costly.
    fn costly_beyond(&self) -> Duration {
        let rtt = self.round_trip.unwrap_or_default();
        let quit = self.close_after_quit.unwrap_or_default();
        quit.max(rtt * 2) + COSTLY_MARGIN
    }
}

/// What the sessions of a pool cost, and the closes under way.
#[derive(Default)]
pub(super) struct Ledger {
    cost: Mutex<Cost>,
    closing: AtomicUsize,
    closed: Notify,
    /// When the oldest close after a failed handshake still under way began.
    failed_closing_since: Mutex<Option<tokio::time::Instant>>,
    /// Slots to forget as soon as sessions give them back (the limit was
    /// lowered while every slot was taken).
    owed: AtomicUsize,
    /// Skip the grace after a close ([`AFTER_CLOSE`]).
    no_grace: std::sync::atomic::AtomicBool,
}

impl Ledger {
    /// Whether to keep a slot a moment longer after the server closed.
    pub(super) fn set_grace(&self, grace: bool) {
        self.no_grace.store(!grace, Ordering::Relaxed);
    }

    /// Forget one more slot when a session gives its back.
    pub(super) fn owe_slot(&self) {
        self.owed.fetch_add(1, Ordering::SeqCst);
    }

    fn take_owed(&self) -> bool {
        self.owed
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    pub(super) fn cost(&self) -> Cost {
        *self.lock()
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Cost> {
        self.cost.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether failed handshakes are costly, as soon as that can be told:
    /// once a failed handshake's close was measured, or once one has taken
    /// longer than any cheap close could (no need to wait out Exim's half
    /// second to know it is costly). Waits at most `limit`.
    pub(super) async fn failures_costly(&self, limit: Duration) -> Option<bool> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let closed = self.closed.notified();
            tokio::pin!(closed);
            closed.as_mut().enable();
            let cost = self.cost();
            if let Some(known) = cost.failures_costly() {
                return Some(known);
            }
            let since = *self
                .failed_closing_since
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let Some(since) = since else {
                // No failed handshake to measure.
                return None;
            };
            let costly_after = since + cost.costly_beyond();
            let now = tokio::time::Instant::now();
            if now >= costly_after {
                return Some(true);
            }
            if now >= deadline {
                return None;
            }
            tokio::select! {
                () = closed => {}
                () = tokio::time::sleep_until(costly_after.min(deadline)) => {}
            }
        }
    }
}

/// How much longer a slot stays taken after the server closed.
pub(super) const AFTER_CLOSE: Duration = Duration::from_millis(5);

/// A close this much slower after a failed handshake than the round trips
/// explain is "costly". Servers that close at once take well under 10 ms on
/// a LAN; Exim on GnuTLS takes 500 ms.
const COSTLY_MARGIN: Duration = Duration::from_millis(100);

/// One session, positioned for the TLS ClientHello. Reads and writes go to
/// the connection; dropping it closes the connection politely and frees its
/// slot once the server has closed (see the module documentation).
pub(crate) struct Session<C: Connect = Tcp> {
    /// `None` only while being dropped.
    stream: Option<C::Stream>,
    permits: Option<Permits>,
    ledger: Arc<Ledger>,
    /// Longest wait for the server's close.
    linger: Duration,
    ending: Ending,
    /// Called once the slot is free again (the pool opens the next session
    /// ahead of need).
    on_free: Option<OnFree>,
}

/// What to do when a session's slot is free again.
pub(super) type OnFree = Arc<dyn Fn() + Send + Sync>;

impl<C: Connect> Session<C> {
    pub(super) fn new(
        stream: C::Stream,
        permits: Permits,
        ledger: Arc<Ledger>,
        linger: Duration,
    ) -> Self {
        Session {
            stream: Some(stream),
            permits: Some(permits),
            ledger,
            linger,
            ending: Ending::Unused,
            on_free: None,
        }
    }

    /// What to do once the slot is free again.
    pub(super) fn on_free(&mut self, on_free: OnFree) {
        self.on_free = Some(on_free);
    }

    /// Free the slot without asking the pool to open the next session.
    pub(super) fn forget_pool(&mut self) {
        self.on_free = None;
    }

    /// Say how the session ended before dropping it, for the statistics.
    pub(crate) fn end_as(&mut self, ending: Ending) {
        self.ending = ending;
    }

    /// The server has not closed the connection (or sent anything) while the
    /// session waited: it is still positioned for the ClientHello.
    pub(super) fn alive(&mut self) -> bool {
        let Some(stream) = self.stream.as_mut() else {
            return false;
        };
        // A read that would block: nothing arrived, nothing closed. (A byte
        // that did arrive is consumed, but such a session is useless anyway.)
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        Pin::new(stream).poll_read(&mut cx, &mut buf).is_pending()
    }

    fn stream(&mut self) -> &mut C::Stream {
        // Only `Drop` takes the stream out.
        match self.stream.as_mut() {
            Some(s) => s,
            None => unreachable!("a session's stream is taken only when it is dropped"),
        }
    }
}

/// Send FIN and wait (at most `limit`) until the server closes its side.
/// Whatever still arrives (an alert, a 221, a 421) is of no interest.
async fn close<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, limit: Duration) {
    let _ = tokio::time::timeout(limit, async {
        let _ = stream.shutdown().await;
        let mut buf = [0u8; 1024];
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

impl<C: Connect> Drop for Session<C> {
    fn drop(&mut self) {
        let (Some(stream), permits) = (self.stream.take(), self.permits.take()) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to wait on: close abruptly, freeing the slot now.
            return;
        };
        let (ledger, linger, ending) = (Arc::clone(&self.ledger), self.linger, self.ending);
        let on_free = self.on_free.take();
        ledger.closing.fetch_add(1, Ordering::SeqCst);
        let start = tokio::time::Instant::now();
        if ending == Ending::Failed {
            let mut since = ledger
                .failed_closing_since
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            since.get_or_insert(start);
        }
        runtime.spawn(async move {
            close(stream, linger).await;
            let took = start.elapsed();
            // The server may still count the connection for a moment after
            // closing it: Exim counts it until its daemon has reaped the
            // child. Without this grace, about one new connection in 150
            // made Exim's count one more than ours (measured on loopback,
            // where nothing else delays the next connection; none in 2,000
            // with it). Postfix (its count is anvil's) never did, so the
            // prober turns the grace off where failures are cheap.
            if !ledger.no_grace.load(Ordering::Relaxed) {
                tokio::time::sleep(AFTER_CLOSE).await;
            }
            ledger.lock().closed(ending, took);
            if let Some(Permits { _slot, _global }) = permits {
                if ledger.take_owed() {
                    _slot.forget();
                }
            }
            ledger.closing.fetch_sub(1, Ordering::SeqCst);
            ledger.closed.notify_waiters();
            if let Some(on_free) = on_free {
                on_free();
            }
        });
    }
}

impl<C: Connect> AsyncRead for Session<C> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(self.stream()).poll_read(cx, buf)
    }
}

impl<C: Connect> AsyncWrite for Session<C> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.stream()).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.stream()).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.stream()).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn failed_handshakes_are_costly_only_well_beyond_the_round_trips() {
        let cost = |failed, quit, rtt| Cost {
            close_after_failure: failed,
            close_after_quit: quit,
            round_trip: rtt,
            ..Cost::default()
        };
        // Exim on GnuTLS on loopback, and 150 ms away.
        assert_eq!(
            cost(Some(ms(501)), Some(ms(1)), Some(ms(0))).failures_costly(),
            Some(true)
        );
        assert_eq!(
            cost(Some(ms(650)), Some(ms(150)), Some(ms(150))).failures_costly(),
            Some(true)
        );
        // Postfix: closes at once, here or 150 ms away.
        assert_eq!(
            cost(Some(ms(1)), Some(ms(1)), Some(ms(0))).failures_costly(),
            Some(false)
        );
        assert_eq!(
            cost(Some(ms(150)), None, Some(ms(150))).failures_costly(),
            Some(false)
        );
        assert_eq!(cost(None, Some(ms(1)), None).failures_costly(), None);
    }

    #[test]
    fn the_first_close_of_each_kind_is_kept_and_all_are_summed() {
        let mut c = Cost::default();
        c.closed(Ending::Unused, ms(3));
        c.closed(Ending::Failed, ms(500));
        c.closed(Ending::Failed, ms(400));
        c.closed(Ending::Quit, ms(2));
        assert_eq!(c.close_wait, ms(905));
        assert_eq!(c.closes, 4);
        assert_eq!(c.close_after_failure, Some(ms(500)));
        assert_eq!(c.close_after_quit, Some(ms(2)));
        c.connected(ms(5));
        c.connected(ms(2));
        c.connected(ms(9));
        assert_eq!(c.round_trip, Some(ms(2)));
    }
}
