//! Probing one address: sessions from a pool, one broadly compatible
//! handshake, then (optionally) the full enumeration.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_openssl::SslStream;

use crate::model::{AddressReport, ProbeStatus};
use crate::smtp::pool::{Pool, PoolConfig, PoolError, Session};
use crate::smtp::EhloName;
use crate::tls::enumerate::{self, NoSession, Sessions};
use crate::tls::handshake::{handshake, Offer, Outcome};

/// What a probe needs from the scan's configuration.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub ehlo: EhloName,
    pub timeout: Duration,
    pub per_host: usize,
    pub retries: u32,
    pub backoff: Duration,
    pub min_interval: Duration,
    pub enumerate: bool,
    pub groups: bool,
}

/// The pool as the enumeration's source of sessions.
struct PoolSessions<'a> {
    pool: &'a Pool,
    timeout: Duration,
}

/// Longest wait for the server to close its side after we closed ours.
const LINGER: Duration = Duration::from_secs(2);

impl Sessions for PoolSessions<'_> {
    type Stream = Session;

    async fn session(&self, prefetch: bool) -> Result<Session, NoSession> {
        self.pool
            .session(prefetch)
            .await
            .map_err(|e| NoSession(format!("no further session: {e}")))
    }

    async fn finish(&self, mut tls: SslStream<Session>, finished: bool) {
        if finished {
            // The polite end of a session (RFC 5321 §4.1.1.10).
            let _ = crate::smtp::quit(&mut tls, self.timeout.min(crate::smtp::QUIT_WAIT)).await;
        }
        tls.get_mut().linger(self.timeout.min(LINGER)).await;
    }
}

/// Probe one address. Never fails: every problem is a status in the report.
pub(crate) async fn probe(
    ip: IpAddr,
    port: u16,
    sni: Option<&str>,
    s: &Settings,
    connections: Arc<Semaphore>,
) -> AddressReport {
    let mut report = AddressReport {
        ip,
        port,
        status: ProbeStatus::Unreachable,
        error: None,
        smtp_step: None,
        starttls_injection: false,
        smtp: None,
        tls: None,
        enumeration: None,
        connections: 0,
        handshakes: 0,
    };
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
        Some(connections),
    );
    let first = pool.session(s.enumerate).await;
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
            return report;
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
    match attempt.result {
        Ok(Outcome::Chosen(hs)) => {
            report.status = ProbeStatus::Ok;
            report.tls = Some(hs);
        }
        Ok(Outcome::Refused(r)) => {
            report.status = ProbeStatus::TlsError;
            report.error = Some(format!("STARTTLS accepted but {}", r.detail));
        }
        Err(e) => {
            report.status = ProbeStatus::TlsError;
            report.error = Some(e.to_string());
        }
    }
    if let Some(tls) = attempt.stream {
        sessions.finish(tls, attempt.finished).await;
    }
    if s.enumerate {
        let settings = enumerate::Settings {
            timeout: s.timeout,
            sni: sni.map(str::to_string),
            groups: s.groups,
        };
        let (e, handshakes) = enumerate::enumerate(&sessions, report.tls.as_ref(), &settings).await;
        report.handshakes += handshakes;
        report.enumeration = Some(e);
    }
    report.connections = pool.connections();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    #[test]
    fn probes_can_run_on_any_worker() {
        let s = Settings {
            ehlo: EhloName::Auto,
            timeout: Duration::from_secs(1),
            per_host: 2,
            retries: 0,
            backoff: Duration::ZERO,
            min_interval: Duration::ZERO,
            enumerate: true,
            groups: true,
        };
        let ip: IpAddr = [127, 0, 0, 1].into();
        assert_send(async move { probe(ip, 9, None, &s, Arc::new(Semaphore::new(1))).await });
    }
}
