//! Fetching `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461
//! §3.3) the way a sender must: the host's addresses from mxprobe's own
//! resolver (never the system's), HTTPS with a verified certificate for
//! `mta-sts.<domain>`, no redirects (a 3xx is a failure), `text/plain`
//! only, the body capped ([`super::http::MAX_BODY`]) and the whole fetch
//! bounded by the scan's timeout.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use rustls::pki_types::ServerName;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::http;
use super::policy::Policy;
use super::MtaStsError;
use crate::dns::Resolver;
use crate::spelling::spelling;
use crate::trust::Trust;

/// Where the policy lives below the policy host.
pub(crate) const WELL_KNOWN: &str = "/.well-known/mta-sts.txt";

/// Outcome of the fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FetchStatus {
    /// Fetched and parsed.
    Ok,
    /// No policy could be fetched: DNS, connection, certificate, HTTP
    /// status, redirect, size, timeout.
    Unreachable,
    /// Fetched, but not a valid policy (or not `text/plain`).
    Invalid,
}

spelling!(FetchStatus {
    Ok => "ok",
    Unreachable => "unreachable",
    Invalid => "invalid",
});

/// The policy fetch and what it brought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFetch {
    /// The URL fetched, `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
    pub url: String,
    /// How far the fetch got.
    pub status: FetchStatus,
    /// The address that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// The HTTP status code; absent when no response was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The `Content-Type` header as sent; absent without a response or
    /// without the header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Why `status` is not `ok`, one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The policy, when `status` is `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
}

/// Fetch and parse the policy of `domain` (A-labels).
pub(crate) async fn fetch(
    resolver: &Resolver,
    trust: &Trust,
    domain: &str,
    port: u16,
    timeout: Duration,
) -> PolicyFetch {
    let host = format!("mta-sts.{domain}");
    let url = if port == 443 {
        format!("https://{host}{WELL_KNOWN}")
    } else {
        format!("https://{host}:{port}{WELL_KNOWN}")
    };
    let mut result = PolicyFetch {
        url,
        status: FetchStatus::Unreachable,
        ip: None,
        http_status: None,
        content_type: None,
        error: None,
        policy: None,
    };
    let fetched = tokio::time::timeout(timeout, get(resolver, trust, &host, port, timeout)).await;
    let (ip, response) = match fetched {
        Err(_) => {
            result.error = Some(
                MtaStsError::Timeout {
                    host,
                    after: timeout,
                }
                .to_string(),
            );
            return result;
        }
        Ok(Err(e)) => {
            result.error = Some(e.to_string());
            return result;
        }
        Ok(Ok(got)) => got,
    };
    result.ip = Some(ip);
    result.http_status = Some(response.status);
    result.content_type = response.content_type.clone();
    match response.status {
        200 => {}
        300..=399 => {
            let to = response.location.as_deref().unwrap_or("nowhere");
            let error = MtaStsError::Redirect {
                status: response.status,
                to: to.to_owned(),
            };
            result.error = Some(error.to_string());
            return result;
        }
        status => {
            result.error = Some(MtaStsError::Status { status }.to_string());
            return result;
        }
    }
    result.status = FetchStatus::Invalid;
    match response.content_type.as_deref() {
        Some(ct) if http::is_text_plain(ct) => {}
        Some(ct) => {
            let error = MtaStsError::ContentType { got: ct.to_owned() };
            result.error = Some(error.to_string());
            return result;
        }
        None => {
            result.error = Some(MtaStsError::NoContentType.to_string());
            return result;
        }
    }
    let Ok(text) = String::from_utf8(response.body) else {
        result.error = Some(MtaStsError::NotUtf8.to_string());
        return result;
    };
    match Policy::parse(&text) {
        Ok(policy) => {
            result.status = FetchStatus::Ok;
            result.policy = Some(policy);
        }
        Err(e) => result.error = Some(e.to_string()),
    }
    result
}

/// Resolve, connect (address after address), TLS, request, response.
async fn get(
    resolver: &Resolver,
    trust: &Trust,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<(IpAddr, http::Response), MtaStsError> {
    let addrs = resolver
        .addresses(host)
        .await
        .map_err(|e| MtaStsError::Resolve {
            reason: e.to_string(),
        })?;
    let name = ServerName::try_from(host.to_owned()).map_err(|_| MtaStsError::InvalidHost {
        host: host.to_owned(),
    })?;
    let mut last = MtaStsError::NoAddress {
        host: host.to_owned(),
    };
    for ip in addrs {
        let addr = SocketAddr::new(ip, port);
        let tcp = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                last = MtaStsError::Connect {
                    addr,
                    reason: e.to_string(),
                };
                continue;
            }
            Err(_) => {
                last = MtaStsError::Connect {
                    addr,
                    reason: "timed out".into(),
                };
                continue;
            }
        };
        let connector = TlsConnector::from(trust.https());
        let mut tls = connector
            .connect(name.clone(), tcp)
            .await
            .map_err(|e| MtaStsError::Tls {
                host: host.to_owned(),
                addr,
                certificate: is_certificate_error(&e),
                reason: e.to_string(),
            })?;
        tls.write_all(http::request(host, super::fetch::WELL_KNOWN).as_bytes())
            .await
            .map_err(|e| MtaStsError::Send {
                addr,
                reason: e.to_string(),
            })?;
        let response = http::read_response(&mut tls)
            .await
            .map_err(|e| MtaStsError::Response {
                host: host.to_owned(),
                addr,
                source: Box::new(e),
            })?;
        return Ok((ip, response));
    }
    Err(last)
}

/// Whether a failed handshake failed on the policy host's certificate.
fn is_certificate_error(e: &std::io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)))
}
