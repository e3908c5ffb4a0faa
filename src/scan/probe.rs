//! Probing one address: TCP, SMTP up to STARTTLS, one broadly compatible
//! handshake, QUIT.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::model::{AddressReport, ProbeStatus};
use crate::smtp::{Dialogue, Negotiated};
use crate::tls::handshake::{handshake, Offer, Outcome};

/// The name mxprobe gives in EHLO.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EhloName {
    /// This machine's host name when it is fully qualified, else the address
    /// literal of the local end of each connection (`[192.0.2.1]`), which
    /// RFC 5321 §4.1.4 allows when no FQDN is available.
    #[default]
    Auto,
    /// Exactly this (`--ehlo`).
    Fixed(String),
}

impl EhloName {
    fn for_connection(&self, local: Option<SocketAddr>) -> String {
        match self {
            EhloName::Fixed(name) => name.clone(),
            EhloName::Auto => match (fqdn(), local) {
                (Some(name), _) => name.to_string(),
                (None, Some(SocketAddr::V4(a))) => format!("[{}]", a.ip()),
                (None, Some(SocketAddr::V6(a))) => format!("[IPv6:{}]", a.ip()),
                (None, None) => "localhost.localdomain".to_string(),
            },
        }
    }
}

/// This machine's host name, if it is fully qualified.
fn fqdn() -> Option<&'static str> {
    static NAME: OnceLock<Option<String>> = OnceLock::new();
    NAME.get_or_init(|| {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at
        // most that many bytes.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc != 0 {
            return None;
        }
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        let name = std::str::from_utf8(&buf[..end]).ok()?.trim_end_matches('.');
        let valid = name.contains('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        valid.then(|| name.to_ascii_lowercase())
    })
    .as_deref()
}

pub(crate) struct Settings {
    pub ehlo: EhloName,
    pub timeout: Duration,
    pub connections: Arc<Semaphore>,
}

/// Probe one address. Never fails: every problem is a status in the report.
pub(crate) async fn probe(ip: IpAddr, port: u16, sni: Option<&str>, s: &Settings) -> AddressReport {
    let mut report = AddressReport {
        ip,
        port,
        status: ProbeStatus::Unreachable,
        error: None,
        smtp: None,
        tls: None,
        connections: 0,
        handshakes: 0,
    };
    // The semaphore is never closed, so acquiring cannot fail.
    let Ok(_permit) = s.connections.acquire().await else {
        report.error = Some("scan shut down".into());
        return report;
    };
    let addr = SocketAddr::new(ip, port);
    report.connections += 1;
    let tcp = match tokio::time::timeout(s.timeout, TcpStream::connect(addr)).await {
        Err(_) => {
            report.error = Some(format!(
                "connect to {addr} timed out after {}s",
                s.timeout.as_secs_f32()
            ));
            return report;
        }
        Ok(Err(e)) => {
            report.error = Some(format!("connect to {addr}: {e}"));
            return report;
        }
        Ok(Ok(tcp)) => tcp,
    };
    let dialogue = Dialogue {
        ehlo_name: s.ehlo.for_connection(tcp.local_addr().ok()),
        timeout: s.timeout,
    };
    let (stream, info) = match dialogue.starttls(tcp).await {
        Err(failure) => {
            report.status = ProbeStatus::SmtpError;
            report.error = Some(failure.error.to_string());
            report.smtp = Some(failure.info);
            return report;
        }
        Ok(Negotiated::NoStartTls { info }) => {
            report.status = ProbeStatus::NoStarttls;
            report.error = Some("server does not offer STARTTLS".into());
            report.smtp = Some(info);
            return report;
        }
        Ok(Negotiated::Ready { stream, info }) => (stream, info),
    };
    report.smtp = Some(info);
    report.handshakes += 1;
    match handshake(
        stream,
        &Offer::everything(sni.map(str::to_string)),
        s.timeout,
    )
    .await
    {
        Ok((Outcome::Chosen(hs), tls)) => {
            report.status = ProbeStatus::Ok;
            report.tls = Some(hs);
            if let Some(mut tls) = tls {
                crate::smtp::quit(&mut tls, s.timeout.min(Duration::from_secs(2))).await;
            }
        }
        Ok((Outcome::Refused(r), _)) => {
            report.status = ProbeStatus::TlsError;
            report.error = Some(format!("STARTTLS accepted but {}", r.detail));
        }
        Err(e) => {
            report.status = ProbeStatus::TlsError;
            report.error = Some(e.to_string());
        }
    }
    report
}
