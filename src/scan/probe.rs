//! Probing one address: sessions from a pool, one broadly compatible
//! handshake, then (optionally) the full enumeration, then one strict
//! handshake (rustls, verification on); reverse DNS alongside.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_openssl::SslStream;

use super::ScanConfig;
use crate::dns::Resolver;
use crate::model::{AddressReport, ProbeStatus};
use crate::smtp::pool::{Ending, Pool, PoolConfig, PoolError, Session};
use crate::tls::enumerate::{self, NoSession, Sessions, Tally};
use crate::tls::handshake::{handshake, Offer, Outcome};
use crate::tls::incomplete::{Incomplete, Part, Reason};
use crate::tls::legacy::probe as legacy;
use crate::trust::strict::{self, Leftover, StrictError, StrictTls};
use crate::trust::{ptr, AddressTrust, Trust};

/// What a probe shares with the rest of the scan.
pub(crate) struct Context<'a> {
    /// The scan's configuration (timeouts, politeness, what to test).
    pub config: &'a ScanConfig,
    /// Simultaneous connections, all addresses together.
    pub connections: Arc<Semaphore>,
    /// For the reverse DNS of the address.
    pub resolver: &'a Resolver,
    pub trust: &'a Trust,
    /// The strict modern sender.
    pub strict: &'a strict::Client,
}

/// The pool as the enumeration's source of sessions.
struct PoolSessions<'a> {
    pool: &'a Pool,
    timeout: Duration,
}

impl Sessions for PoolSessions<'_> {
    type Stream = Session;

    async fn session(&self, prefetch: bool) -> Result<Session, NoSession> {
        self.pool
            .session(prefetch)
            .await
            .map_err(|e| NoSession(e.to_string()))
    }

    /// Ends the session in the background: the next question can go out at
    /// once on another slot, while this one keeps its slot until the server
    /// has closed (see the pool).
    fn finish(&self, mut tls: SslStream<Session>, finished: bool) {
        if !finished {
            // Nothing to say: closing starts now (and is counted as under
            // way at once).
            tls.get_mut().end_as(Ending::Failed);
            return;
        }
        let timeout = self.timeout;
        tokio::spawn(async move {
            // The polite end of a session (RFC 5321 §4.1.1.10), which
            // servers answer by closing at once.
            let _ = crate::smtp::quit(&mut tls, timeout.min(crate::smtp::QUIT_WAIT)).await;
            tls.get_mut().end_as(Ending::Quit);
        });
    }

    fn abandon(&self, mut stream: Session) {
        stream.end_as(Ending::Failed);
    }

    async fn failures_costly(&self) -> Option<bool> {
        let costly = self.pool.failures_costly().await;
        // Servers that sleep after failed handshakes are Exim on GnuTLS,
        // which also counts a connection until its child is reaped: keep
        // the grace after each close for them, and for servers not known.
        self.pool.set_close_grace(costly != Some(false));
        costly
    }
}

/// Probe one address. Never fails: every problem is a status in the report.
///
/// `sni` is the host name (the MX host, or the `--host` name); `None` for an
/// IP-literal target. The trust checks' name part is left to the caller,
/// which knows the recipient domain (a probe serves every domain pointing
/// at the address).
pub(crate) async fn probe(
    ip: IpAddr,
    port: u16,
    sni: Option<&str>,
    ctx: &Context<'_>,
) -> AddressReport {
    let ((mut report, strict_tls), mut ptr) =
        tokio::join!(probe_tls(ip, port, sni, ctx), ptr::check(ctx.resolver, ip));
    ptr.compare_banner(report.smtp.as_ref().and_then(|i| i.banner_host.as_deref()));
    let chain = report
        .tls
        .as_ref()
        .and_then(|t| ctx.trust.verify_chain(&t.chain));
    report.trust = Some(AddressTrust {
        chain,
        names: None,
        strict_tls,
        ptr,
        probed_as: sni.map(str::to_string),
    });
    report
}

/// SMTP, the handshakes and the enumeration; the strict handshake's result
/// when STARTTLS was reached.
async fn probe_tls(
    ip: IpAddr,
    port: u16,
    sni: Option<&str>,
    ctx: &Context<'_>,
) -> (AddressReport, Option<StrictTls>) {
    let s = ctx.config;
    let mut report = AddressReport::new(ip, port, ProbeStatus::Unreachable);
    let pool = Pool::new(
        PoolConfig {
            addr: SocketAddr::new(ip, port),
            ehlo: s.ehlo.clone(),
            timeout: s.timeout,
            per_host: s.per_host,
            retries: s.retries,
            backoff: s.backoff,
            min_interval: s.min_interval,
        },
        Some(Arc::clone(&ctx.connections)),
    );
    // Another session is wanted after this one in any case: the strict
    // handshake's, if not the enumeration's.
    let first = pool.session(true).await;
    report.smtp = pool.info();
    let session = match first {
        Ok(session) => session,
        Err(e) => {
            report.connections = pool.connections();
            report.error = Some(e.to_string());
            match e {
                PoolError::Unreachable(_) => {}
                PoolError::Smtp {
                    info,
                    step,
                    injection,
                    ..
                } => {
                    report.status = ProbeStatus::SmtpError;
                    report.smtp_step = step;
                    report.starttls_injection = injection;
                    report.smtp = Some(*info);
                }
                PoolError::NoStartTls(info) => {
                    report.status = ProbeStatus::NoStarttls;
                    report.smtp = Some(*info);
                }
            }
            return (report, None);
        }
    };
    report.handshakes += 1;
    let sessions = PoolSessions {
        pool: &pool,
        timeout: s.timeout,
    };
    let attempt = handshake(
        session,
        &Offer::everything(sni.map(str::to_string)),
        s.timeout,
    )
    .await;
    // A server that stalls inside the handshake would stall every further
    // one too: each would cost a full timeout, for nothing.
    let mut stalled = false;
    match attempt.result {
        Ok(Outcome::Chosen(hs)) => {
            report.status = ProbeStatus::Ok;
            report.tls = Some(hs);
        }
        Ok(Outcome::Refused(r)) => {
            report.status = ProbeStatus::TlsError;
            report.error = Some(format!("STARTTLS accepted but {}", r.detail));
            report.refused_handshakes += 1;
        }
        Err(e) => {
            stalled = e.is_timeout();
            report.status = ProbeStatus::TlsError;
            report.error = Some(e.to_string());
        }
    }
    if let Some(tls) = attempt.stream {
        sessions.finish(tls, attempt.finished);
    }
    if stalled {
        if s.enumerate {
            report.enumeration = Some(enumerate::Enumeration {
                incomplete: vec![Incomplete::new(Part::All, Reason::Stalled)],
                ..enumerate::Enumeration::default()
            });
        }
        finish_cost(&mut report, &pool).await;
        return (report, None);
    }
    // The enumeration and the strict sender's handshake are independent:
    // the pool decides how many connections that really means.
    let enumeration = async {
        if !s.enumerate {
            return None;
        }
        let settings = enumerate::Settings {
            timeout: s.timeout,
            sni: sni.map(str::to_string),
            groups: s.groups,
        };
        pool.set_warm(true);
        // The classic checks need only the broadly compatible handshake:
        // asked while the enumeration runs, on the same pool.
        let ((mut e, mut tally), early) = tokio::join!(
            enumerate::enumerate(&sessions, report.tls.as_ref(), &settings),
            legacy::checks(&sessions, report.tls.as_ref(), &settings, s.legacy)
        );
        // What no OpenSSL 3 can ask, from what the OpenSSL pass found: a
        // few questions, none kept waiting for a session opened ahead.
        pool.set_warm(false);
        tally += legacy::run(&sessions, &mut e, &settings, s.legacy, early).await;
        Some((e, tally))
    };
    let (enumeration, (strict_tls, strict_cost)) = tokio::join!(
        enumeration,
        strict_handshake(&pool, sni, ip, s.timeout, ctx.strict)
    );
    if let Some((e, tally)) = enumeration {
        report.handshakes += tally.handshakes;
        report.refused_handshakes += tally.refused;
        report.enumeration = Some(e);
    }
    report.handshakes += strict_cost.handshakes;
    report.refused_handshakes += strict_cost.refused;
    report.handshakes += goodbye_idle(&pool, sni, s.timeout).await;
    finish_cost(&mut report, &pool).await;
    (report, Some(strict_tls))
}

/// End the sessions opened ahead of a need that did not come. Closing one
/// without a word after the STARTTLS 220 is a failed handshake to the
/// server; where those are costly (Exim on GnuTLS sleeps half a second), a
/// completed handshake and QUIT is the cheaper goodbye. Returns the
/// handshakes that took.
async fn goodbye_idle(pool: &Pool, sni: Option<&str>, timeout: Duration) -> u32 {
    let idle = pool.take_idle().await;
    if idle.is_empty() || pool.cost().failures_costly() != Some(true) {
        return 0;
    }
    let goodbyes = idle.into_iter().map(|session| async move {
        let attempt = handshake(
            session,
            &Offer::everything(sni.map(str::to_string)),
            timeout,
        )
        .await;
        if let Some(mut tls) = attempt.stream {
            if attempt.finished {
                let _ = crate::smtp::quit(&mut tls, timeout.min(crate::smtp::QUIT_WAIT)).await;
                tls.get_mut().end_as(Ending::Quit);
            } else {
                tls.get_mut().end_as(Ending::Failed);
            }
        }
    });
    let n = futures::future::join_all(goodbyes).await.len();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Wait until the server has closed every session, then note what the
/// connections cost.
async fn finish_cost(report: &mut AddressReport, pool: &Pool) {
    pool.drain().await;
    let cost = pool.cost();
    report.connections = cost.connections;
    // Milliseconds are all a reader needs.
    report.close_wait_seconds = (cost.close_wait.as_secs_f64() * 1000.0).round() / 1000.0;
}

/// The strict modern sender's handshake on a session of its own, and what
/// it cost (at most one handshake, refused or not).
async fn strict_handshake(
    pool: &Pool,
    sni: Option<&str>,
    ip: IpAddr,
    timeout: Duration,
    client: &strict::Client,
) -> (StrictTls, Tally) {
    let session = match pool.session(false).await {
        Ok(session) => session,
        Err(e) => {
            let detail = format!("no session for the strict handshake: {e}");
            return (
                StrictTls::failed(StrictError::NoSession, detail),
                Tally::default(),
            );
        }
    };
    let (result, leftover) = client.handshake(session, sni, ip, timeout).await;
    let (started, refused) = match &result {
        StrictTls::Ok { .. } => (true, false),
        StrictTls::Failed { error, .. } => (
            !matches!(error, StrictError::InvalidName),
            matches!(error, StrictError::Alert { .. } | StrictError::Closed),
        ),
    };
    // Dropping a session closes it and frees its slot once the server has.
    match leftover {
        Leftover::Tls(mut tls) => {
            let _ = crate::smtp::quit(&mut *tls, timeout.min(crate::smtp::QUIT_WAIT)).await;
            tls.get_mut().0.end_as(Ending::Quit);
        }
        Leftover::Plain(mut session) => session.end_as(Ending::Failed),
        Leftover::Gone => {}
    }
    let tally = Tally {
        handshakes: u32::from(started),
        refused: u32::from(refused),
    };
    (result, tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    #[test]
    fn probes_can_run_on_any_worker() {
        let config = ScanConfig {
            timeout: Duration::from_secs(1),
            retries: 0,
            ..ScanConfig::default()
        };
        let ip: IpAddr = [127, 0, 0, 1].into();
        let resolver = Resolver::new(&crate::dns::ResolverConfig {
            nameservers: vec![([127, 0, 0, 1], 53).into()],
            ..Default::default()
        })
        .expect("resolver");
        let trust = Trust::new(&crate::trust::TrustConfig::default()).expect("trust");
        let strict = strict::Client::new(&trust).expect("rustls client");
        assert_send(async move {
            let ctx = Context {
                config: &config,
                connections: Arc::new(Semaphore::new(1)),
                resolver: &resolver,
                trust: &trust,
                strict: &strict,
            };
            probe(ip, 9, None, &ctx).await
        });
    }
}
