//! An HTTPS server on loopback that serves MTA-STS policies, for tests.
//!
//! One [`Reply`] per host name (the request's `Host`), anything else 404.
//! Replies are configurable down to the status, the content type,
//! redirects, chunked framing and oversized bodies, so every way a policy
//! fetch can fail can be produced. TLS is the vendored OpenSSL with a test
//! certificate ([`super::pki::cert`], e.g. `mta-sts`). Every request is
//! recorded.
//!
//! It reads one request per connection (16 KiB of headers at most, 10 s at
//! most) and closes after the reply; its tasks end when it is dropped.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssl::pkey::PKey;
use openssl::ssl::{Ssl, SslAcceptor, SslMethod};
use openssl::x509::X509;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_openssl::SslStream;

use super::pki::CertKey;

const IO_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_REQUEST: usize = 16 * 1024;

/// What the server answers for one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header; `None` sends none.
    pub content_type: Option<String>,
    /// More header lines (`Location`, …).
    pub headers: Vec<(String, String)>,
    /// The body, sent as is.
    pub body: Vec<u8>,
    /// Send the body with `Transfer-Encoding: chunked` (in 100-byte chunks)
    /// instead of `Content-Length`.
    pub chunked: bool,
}

impl Reply {
    /// `200`, `text/plain`, the policy text.
    pub fn policy(text: &str) -> Reply {
        Reply {
            status: 200,
            content_type: Some("text/plain".into()),
            headers: Vec::new(),
            body: text.as_bytes().to_vec(),
            chunked: false,
        }
    }

    /// A bare status with an empty body.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            content_type: None,
            headers: Vec::new(),
            body: Vec::new(),
            chunked: false,
        }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        let mut reply = Reply::status(status);
        reply.headers.push(("Location".into(), location.into()));
        reply
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} Test\r\nConnection: close\r\n", self.status);
        if let Some(ct) = &self.content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let mut out;
        if self.chunked {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            out = head.into_bytes();
            for chunk in self.body.chunks(100) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
        } else {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
            out = head.into_bytes();
            out.extend_from_slice(&self.body);
        }
        out
    }
}

/// One request as received: the `Host` header (lower case, port dropped)
/// and the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The `Host` header, lower case, without a port.
    pub host: String,
    /// The request path, as sent.
    pub path: String,
}

/// A running server. Dropping it stops it.
#[derive(Debug)]
pub struct HttpsServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    task: JoinHandle<()>,
}

impl HttpsServer {
    /// Serve `replies` (host → reply) with `cert` on `bind`.
    pub async fn start(
        bind: SocketAddr,
        cert: &CertKey,
        replies: HashMap<String, Reply>,
    ) -> io::Result<HttpsServer> {
        let acceptor = acceptor(cert).map_err(io::Error::other)?;
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let replies: HashMap<String, Reply> = replies
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        let shared = Arc::new((acceptor, replies, Arc::clone(&requests)));
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((tcp, _)) => {
                            let shared = Arc::clone(&shared);
                            connections.spawn(async move {
                                let (acceptor, replies, requests) = &*shared;
                                let _ = serve(tcp, acceptor, replies, requests).await;
                            });
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                    },
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Ok(HttpsServer {
            addr,
            requests,
            task,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn acceptor(cert: &CertKey) -> Result<SslAcceptor, openssl::error::ErrorStack> {
    let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
    let mut chain = X509::stack_from_pem(&cert.chain_pem)?.into_iter();
    if let Some(leaf) = chain.next() {
        builder.set_certificate(&leaf)?;
    }
    for extra in chain {
        builder.add_extra_chain_cert(extra)?;
    }
    let key = PKey::private_key_from_pem(&cert.key_pem)?;
    builder.set_private_key(&key)?;
    Ok(builder.build())
}

async fn serve(
    tcp: TcpStream,
    acceptor: &SslAcceptor,
    replies: &HashMap<String, Reply>,
    requests: &Mutex<Vec<Request>>,
) -> io::Result<()> {
    let ssl = Ssl::new(acceptor.context()).map_err(io::Error::other)?;
    let mut tls = SslStream::new(ssl, tcp).map_err(io::Error::other)?;
    tokio::time::timeout(IO_TIMEOUT, Pin::new(&mut tls).accept())
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
        .map_err(io::Error::other)?;
    let mut buf = Vec::new();
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() > MAX_REQUEST {
            return Err(io::Error::other("request too large"));
        }
        let mut chunk = [0u8; 2048];
        let n = tokio::time::timeout(IO_TIMEOUT, tls.read(&mut chunk))
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("")
        .to_owned();
    let host = lines
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("host"))
                .map(|(_, v)| v.trim().to_ascii_lowercase())
        })
        .unwrap_or_default();
    let host = host.split(':').next().unwrap_or("").to_owned();
    let reply = replies
        .get(&host)
        .cloned()
        .unwrap_or_else(|| Reply::status(404));
    requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Request { host, path });
    tokio::time::timeout(IO_TIMEOUT, tls.write_all(&reply.to_bytes()))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    let _ = tokio::time::timeout(IO_TIMEOUT, tls.shutdown()).await;
    Ok(())
}
