//! One TLS handshake over a stream positioned after `220 ready to start TLS`.
//!
//! The caller says what to offer ([`Offer`]); the answer is what the server
//! chose ([`Outcome::Chosen`]) or that it refused the offer
//! ([`Outcome::Refused`]). Timeouts and I/O failures that say nothing about
//! the server's TLS configuration are errors ([`TlsError`]), so that callers
//! never mistake a dropped connection for "cipher not supported" without
//! knowing it.
//!
//! An enumeration handshake ([`Offer::complete`] false) is abandoned as soon
//! as the server's choice is known: when its certificate arrives, right after
//! the ServerHello, before any key exchange work on either side.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssl::pkey::Id;
use openssl::ssl::{ErrorCode, Ssl, SslRef, SslVerifyMode};
use openssl::x509::X509StoreContext;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_openssl::SslStream;

use super::{cipher, settings, Handshake, Protocol};
use crate::cert::CertInfo;
use crate::ffi::openssl as ffi;

/// What the client offers in one handshake.
#[derive(Debug, Clone)]
pub(crate) struct Offer {
    pub min: Protocol,
    pub max: Protocol,
    /// OpenSSL names of the ≤ TLS 1.2 ciphers, in offer order; `None` offers
    /// the whole catalogue.
    pub ciphers: Option<Vec<String>>,
    /// TLS 1.3 suites in offer order; `None` offers all of them.
    pub suites: Option<Vec<String>>,
    /// Key-exchange groups (`set_groups_list` syntax); `None`: OpenSSL's
    /// defaults.
    pub groups: Option<String>,
    /// Server name to send (SNI).
    pub sni: Option<String>,
    /// Finish the handshake (to learn the key exchange and the whole chain)
    /// rather than stopping at the server's choice.
    pub complete: bool,
    /// Finish it anyway when the server picks a DHE cipher, to learn the
    /// size of its DH group (sent after the certificate).
    pub complete_dhe: bool,
}

impl Offer {
    /// Everything, all versions, finished: a broadly compatible client.
    pub(crate) fn everything(sni: Option<String>) -> Offer {
        Offer {
            min: Protocol::Ssl3,
            max: Protocol::Tls1_3,
            ciphers: None,
            suites: None,
            groups: None,
            sni,
            complete: true,
            complete_dhe: true,
        }
    }
}

/// How the server answered an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It chose. For an abandoned handshake only `protocol`, `cipher`, `bits`
    /// and the leaf certificate are known.
    Chosen(Handshake),
    /// It refused: sent an alert, closed or reset the connection in reply to
    /// the ClientHello, or answered with something the offer excluded.
    Refused(Refusal),
}

/// Why a server refused an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Refusal {
    /// The TLS alert it sent, as OpenSSL names it (`handshake failure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// It closed or reset the connection instead of answering.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
    /// One line for humans.
    pub detail: String,
}

/// A handshake that could not tell anything about the server.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsError {
    #[error("TLS handshake timed out after {0:?}")]
    Timeout(Duration),
    #[error("cannot set up the TLS client: {0}")]
    Setup(#[from] openssl::error::ErrorStack),
    /// OpenSSL refused to send the offer at all (nothing offerable): a bug
    /// in the caller's offer, not an answer from the server.
    #[error("OpenSSL cannot send this offer: {0}")]
    Unsendable(String),
}

impl TlsError {
    pub(crate) fn is_timeout(&self) -> bool {
        matches!(self, TlsError::Timeout(_))
    }
}

/// What the certificate callback saw of an abandoned handshake.
#[derive(Default)]
struct Seen {
    choice: Option<(Protocol, String, u32)>,
    leaf: Option<CertInfo>,
    /// Known at this point with TLS 1.3 (from the ServerHello); with TLS
    /// 1.2 only after the key exchange, which comes later.
    group: Option<String>,
}

/// One handshake's result, and the stream it ran on (when one was set up),
/// so the caller can say QUIT over a finished handshake and close the
/// connection gracefully either way.
pub(crate) struct Attempt<S> {
    pub result: Result<Outcome, TlsError>,
    pub stream: Option<SslStream<S>>,
    /// The handshake completed: the stream carries a working TLS session.
    pub finished: bool,
}

/// Run one handshake.
pub(crate) async fn handshake<S>(stream: S, offer: &Offer, timeout: Duration) -> Attempt<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let failed = |e: TlsError| Attempt {
        result: Err(e),
        stream: None,
        finished: false,
    };
    let mut ssl = match configure(offer) {
        Ok(ssl) => ssl,
        Err(e) => return failed(e.into()),
    };
    let seen = Arc::new(Mutex::new(Seen::default()));
    if !offer.complete {
        let seen = Arc::clone(&seen);
        let complete_dhe = offer.complete_dhe;
        ssl.set_verify_callback(SslVerifyMode::PEER, move |_, x509| {
            let Ok(idx) = X509StoreContext::ssl_idx() else {
                return false;
            };
            let (Some(ssl), Ok(mut seen)) = (x509.ex_data(idx), seen.lock()) else {
                return false;
            };
            if seen.choice.is_none() {
                seen.choice = pending_choice(ssl);
                seen.leaf = x509.chain().and_then(|c| c.get(0)).map(CertInfo::from_x509);
                seen.group = ffi::negotiated_group(ssl);
            }
            // Stop here, the server's choice is known; unless the size of
            // its DH group, sent next, is wanted too.
            complete_dhe
                && ffi::pending_cipher(ssl).is_some_and(|c| ffi::kx_nid(c) == cipher::NID_KX_DHE)
        });
    }
    let mut tls = match SslStream::new(ssl, stream) {
        Ok(tls) => tls,
        Err(e) => return failed(e.into()),
    };
    let result = tokio::time::timeout(timeout, Pin::new(&mut tls).connect()).await;
    let (result, finished) = match result {
        Err(_) => (Err(TlsError::Timeout(timeout)), false),
        Ok(Ok(())) => (Ok(Outcome::Chosen(describe(tls.ssl()))), true),
        Ok(Err(e)) => {
            let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()));
            match seen.choice {
                Some((protocol, cipher, bits)) => (
                    Ok(Outcome::Chosen(Handshake {
                        protocol,
                        cipher,
                        bits,
                        group: seen.group,
                        dh_bits: None,
                        chain: seen.leaf.into_iter().collect(),
                    })),
                    false,
                ),
                None => {
                    let refusal = refusal(&e);
                    if LOCAL_ERRORS.iter().any(|l| refusal.detail.contains(l)) {
                        (Err(TlsError::Unsendable(refusal.detail)), false)
                    } else {
                        (Ok(Outcome::Refused(refusal)), false)
                    }
                }
            }
        }
    };
    Attempt {
        result,
        stream: Some(tls),
        finished,
    }
}

/// OpenSSL reasons that mean the ClientHello was never sent.
const LOCAL_ERRORS: &[&str] = &[
    "no ciphers available",
    "no protocols available",
    "no cipher match",
];

fn configure(offer: &Offer) -> Result<Ssl, openssl::error::ErrorStack> {
    let mut b = settings::permissive_client(offer.min, offer.max)?;
    if let Some(ciphers) = &offer.ciphers {
        // An empty ≤1.2 list is only valid for a TLS 1.3-only offer; OpenSSL
        // rejects empty lists, so leave the default in place then (it is not
        // sent when TLS 1.2 and below are excluded).
        if !ciphers.is_empty() {
            b.set_cipher_list(&format!("{}:@SECLEVEL=0", ciphers.join(":")))?;
        }
    }
    if let Some(suites) = &offer.suites {
        b.set_ciphersuites(&suites.join(":"))?;
    }
    if let Some(groups) = &offer.groups {
        b.set_groups_list(groups)?;
    }
    let ctx = b.build();
    let mut ssl = Ssl::new(&ctx)?;
    if let Some(sni) = &offer.sni {
        // An SNI OpenSSL refuses (an IP literal) is simply not sent.
        let _ = ssl.set_hostname(sni);
    }
    Ok(ssl)
}

/// The server's choice as seen from inside the handshake.
fn pending_choice(ssl: &SslRef) -> Option<(Protocol, String, u32)> {
    let cipher = ffi::pending_cipher(ssl)?;
    let protocol = ssl.version2().and_then(settings::protocol_of)?;
    let bits = u32::try_from(cipher.bits().algorithm).unwrap_or(0);
    Some((protocol, cipher.name().to_string(), bits))
}

/// Everything a finished handshake negotiated.
fn describe(ssl: &SslRef) -> Handshake {
    let protocol = ssl
        .version2()
        .and_then(settings::protocol_of)
        .unwrap_or(Protocol::Tls1_2);
    let (cipher, bits) = ssl
        .current_cipher()
        .map(|c| {
            (
                c.name().to_string(),
                u32::try_from(c.bits().algorithm).unwrap_or(0),
            )
        })
        .unwrap_or_default();
    let tmp = ssl.peer_tmp_key().ok();
    let dh_bits = tmp
        .as_ref()
        .filter(|k| k.id() == Id::DH || k.id() == Id::DHX)
        .map(|k| k.bits());
    let group = ffi::negotiated_group(ssl).or_else(|| {
        // TLS 1.2 ECDHE on older paths: name the curve of the server's key.
        let k = tmp.as_ref()?;
        match k.id() {
            Id::X25519 => Some("x25519".to_string()),
            Id::X448 => Some("x448".to_string()),
            Id::EC => k
                .ec_key()
                .ok()?
                .group()
                .curve_name()
                .and_then(|n| n.short_name().ok().map(str::to_string)),
            _ => None,
        }
    });
    let chain = ssl
        .peer_cert_chain()
        .map(|chain| chain.iter().map(CertInfo::from_x509).collect())
        .unwrap_or_default();
    Handshake {
        protocol,
        cipher,
        bits,
        group,
        dh_bits,
        chain,
    }
}

/// Turn a failed handshake into the server's refusal, as precisely as
/// OpenSSL lets us name it.
fn refusal(e: &openssl::ssl::Error) -> Refusal {
    if let Some(io) = e.io_error() {
        return Refusal {
            alert: None,
            closed: true,
            detail: format!("connection failed during the TLS handshake: {io}"),
        };
    }
    let reason = e.ssl_error().and_then(|stack| {
        stack
            .errors()
            .iter()
            .find_map(|err| err.reason().map(str::to_string))
    });
    match (e.code(), reason) {
        (_, Some(reason)) => {
            // OpenSSL spells received alerts "sslv3 alert handshake failure",
            // "tlsv1 alert protocol version".
            let alert = reason
                .split_once("alert ")
                .filter(|(prefix, _)| prefix.starts_with("ssl") || prefix.starts_with("tls"))
                .map(|(_, a)| a.to_string());
            let closed = alert.is_none() && reason.contains("unexpected eof");
            let detail = match &alert {
                Some(a) => format!("server sent alert: {a}"),
                None if closed => "server closed the connection during the TLS handshake".into(),
                None => reason,
            };
            Refusal {
                alert,
                closed,
                detail,
            }
        }
        (ErrorCode::SYSCALL, None) | (ErrorCode::ZERO_RETURN, None) => Refusal {
            alert: None,
            closed: true,
            detail: "server closed the connection during the TLS handshake".into(),
        },
        (code, None) => Refusal {
            alert: None,
            closed: false,
            detail: format!("TLS handshake failed ({code:?})"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::rsa::Rsa;
    use openssl::ssl::{SslAcceptor, SslMethod, SslOptions, SslVersion};
    use openssl::x509::{X509NameBuilder, X509};
    use std::sync::OnceLock;
    use tokio::net::{TcpListener, TcpStream};

    fn identity() -> &'static (X509, PKey<Private>) {
        static ID: OnceLock<(X509, PKey<Private>)> = OnceLock::new();
        ID.get_or_init(|| {
            let key = PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("pkey");
            let mut name = X509NameBuilder::new().expect("name");
            name.append_entry_by_text("CN", "mx.example.test")
                .expect("cn");
            let name = name.build();
            let mut b = X509::builder().expect("builder");
            b.set_version(2).expect("version");
            b.set_subject_name(&name).expect("subject");
            b.set_issuer_name(&name).expect("issuer");
            b.set_pubkey(&key).expect("pubkey");
            b.set_not_before(&Asn1Time::days_from_now(0).expect("t"))
                .expect("nb");
            b.set_not_after(&Asn1Time::days_from_now(30).expect("t"))
                .expect("na");
            b.sign(&key, MessageDigest::sha256()).expect("sign");
            (b.build(), key)
        })
    }

    /// A bare TLS server (no SMTP) that accepts one connection.
    async fn server(min: SslVersion, max: SslVersion, ciphers: &str) -> std::net::SocketAddr {
        server_with_chain(min, max, ciphers, 0).await
    }

    /// The same, sending its certificate `extra` more times as intermediates.
    async fn server_with_chain(
        min: SslVersion,
        max: SslVersion,
        ciphers: &str,
        extra: usize,
    ) -> std::net::SocketAddr {
        settings::load_legacy_provider();
        let (cert, key) = identity();
        let mut b =
            SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).expect("acceptor");
        b.clear_options(SslOptions::NO_SSLV3 | SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
        b.set_security_level(0);
        b.set_min_proto_version(Some(min)).expect("min");
        b.set_max_proto_version(Some(max)).expect("max");
        b.set_cipher_list(&format!("{ciphers}:@SECLEVEL=0"))
            .expect("ciphers");
        b.set_options(SslOptions::CIPHER_SERVER_PREFERENCE);
        b.set_certificate(cert).expect("cert");
        b.set_private_key(key).expect("key");
        for _ in 0..extra {
            b.add_extra_chain_cert(cert.clone()).expect("extra cert");
        }
        let acceptor = b.build();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            if let Ok((tcp, _)) = listener.accept().await {
                let ssl = Ssl::new(acceptor.context()).expect("ssl");
                let mut s = SslStream::new(ssl, tcp).expect("stream");
                let _ = Pin::new(&mut s).accept().await;
                let _ = tokio::io::AsyncWriteExt::shutdown(&mut s).await;
            }
        });
        addr
    }

    async fn run(addr: std::net::SocketAddr, offer: &Offer) -> Outcome {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        handshake(tcp, offer, Duration::from_secs(5))
            .await
            .result
            .expect("handshake ran")
    }

    #[tokio::test]
    async fn finished_handshake_reports_everything() {
        let addr = server(SslVersion::TLS1_2, SslVersion::TLS1_2, "DHE-RSA-AES256-SHA").await;
        let Outcome::Chosen(hs) =
            run(addr, &Offer::everything(Some("mx.example.test".into()))).await
        else {
            panic!("refused")
        };
        assert_eq!(hs.negotiated(), "TLSv1.2:DHE-RSA-AES256-SHA:256");
        assert_eq!(hs.dh_bits, Some(2048));
        assert_eq!(hs.chain.len(), 1);
        assert_eq!(hs.chain[0].common_name.as_deref(), Some("mx.example.test"));
        assert_eq!(hs.chain[0].key_bits, 2048);
    }

    #[tokio::test]
    async fn tls13_names_the_group() {
        let addr = server(SslVersion::TLS1_3, SslVersion::TLS1_3, "DEFAULT").await;
        let mut offer = Offer::everything(None);
        offer.groups = Some("x25519".into());
        let Outcome::Chosen(hs) = run(addr, &offer).await else {
            panic!("refused")
        };
        assert_eq!(hs.protocol, Protocol::Tls1_3);
        assert_eq!(hs.group.as_deref(), Some("x25519"));
        assert_eq!(hs.dh_bits, None);
    }

    #[tokio::test]
    async fn abandoned_handshake_still_knows_the_choice() {
        let addr = server(
            SslVersion::TLS1_2,
            SslVersion::TLS1_2,
            "DES-CBC3-SHA:AES128-SHA",
        )
        .await;
        let mut offer = Offer::everything(None);
        offer.complete = false;
        let Outcome::Chosen(hs) = run(addr, &offer).await else {
            panic!("refused")
        };
        assert_eq!(hs.negotiated(), "TLSv1.2:DES-CBC3-SHA:168");
        assert_eq!(hs.chain.len(), 1, "leaf captured in the callback");
    }

    #[tokio::test]
    async fn sslv3_is_offered_and_refusals_are_named() {
        let addr = server(SslVersion::SSL3, SslVersion::SSL3, "RC4-SHA").await;
        let mut offer = Offer::everything(None);
        offer.min = Protocol::Ssl3;
        offer.max = Protocol::Ssl3;
        let Outcome::Chosen(hs) = run(addr, &offer).await else {
            panic!("refused")
        };
        assert_eq!(hs.negotiated(), "SSLv3:RC4-SHA:128");

        let addr = server(SslVersion::TLS1_2, SslVersion::TLS1_3, "DEFAULT").await;
        offer.min = Protocol::Tls1;
        offer.max = Protocol::Tls1;
        let Outcome::Refused(r) = run(addr, &offer).await else {
            panic!("TLS 1.0 accepted")
        };
        assert_eq!(r.alert.as_deref(), Some("protocol version"), "{r:?}");
    }

    #[tokio::test]
    async fn an_oversized_chain_is_refused_not_buffered() {
        let one = identity().0.to_der().expect("der").len();
        let extra = crate::limits::CERT_CHAIN_BYTES / one + 1;
        let addr =
            server_with_chain(SslVersion::TLS1_2, SslVersion::TLS1_2, "DEFAULT", extra).await;
        let Outcome::Refused(r) = run(addr, &Offer::everything(None)).await else {
            panic!("a chain over the cap was read")
        };
        assert!(r.detail.contains("excessive message size"), "{r:?}");

        // Just under the cap is read whole.
        let extra = crate::limits::CERT_CHAIN_BYTES / one - 2;
        let addr =
            server_with_chain(SslVersion::TLS1_2, SslVersion::TLS1_2, "DEFAULT", extra).await;
        let Outcome::Chosen(hs) = run(addr, &Offer::everything(None)).await else {
            panic!("refused")
        };
        assert_eq!(hs.chain.len(), extra + 1);
    }
}
