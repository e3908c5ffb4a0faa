//! The strict modern sender: one handshake with rustls (TLS 1.2 and 1.3,
//! its default ciphers, certificate verification on, the scan's anchors,
//! SNI and name check for the MX host name), as a sender enforcing MTA-STS
//! (RFC 8461) or simply refusing unauthenticated TLS would make it.
//!
//! The answer is whether such a sender would deliver over authenticated TLS
//! ([`StrictTls::Ok`]), or rustls's error as data and one line
//! ([`StrictTls::Failed`]). It says nothing about what a lenient sender gets:
//! that is the broadly compatible OpenSSL handshake's job.
//!
//! An IP-literal target has no name to verify: the handshake sends no SNI
//! and checks the chain only (the `danger::ChainOnly` verifier), and says so
//! (`name_checked: false`).

use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::Trust;
use crate::cert::verify::RejectReason;
use crate::tls::Protocol;

/// Would a strict modern sender deliver over authenticated TLS?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum StrictTls {
    /// The handshake completed with the certificate verified.
    Ok {
        /// The version negotiated: TLS 1.2 or 1.3, all rustls offers.
        protocol: Protocol,
        /// IANA name of the suite (`TLS13_AES_256_GCM_SHA384`).
        cipher: String,
        /// The certificate was checked against the host name (false for an
        /// IP-literal target).
        name_checked: bool,
    },
    /// It did not; `detail` is rustls's (or the network's) one line.
    Failed {
        /// Why, as data.
        error: StrictError,
        /// rustls's (or the network's) words, one line.
        detail: String,
    },
}

/// Why the strict handshake failed, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StrictError {
    /// The certificate was refused (rustls `InvalidCertificate`).
    Certificate {
        /// rustls's reason, in the chain check's terms.
        reason: RejectReason,
    },
    /// The server sent this TLS alert (rustls's name, e.g. `HandshakeFailure`).
    Alert {
        /// The alert's name.
        alert: String,
    },
    /// Nothing in common: versions, suites, groups or signature schemes
    /// (rustls `PeerIncompatible`, with its reason).
    Incompatible {
        /// rustls's reason (e.g. `NoCipherSuitesInCommon`).
        reason: String,
    },
    /// The server broke the protocol (rustls `PeerMisbehaved`, with its reason).
    Misbehaved {
        /// rustls's reason.
        reason: String,
    },
    /// Any other TLS-level error (malformed or unexpected message).
    Protocol,
    /// No answer within the timeout.
    Timeout,
    /// The server closed or reset the connection.
    Closed,
    /// No session to run the handshake on (the server refused further
    /// connections, or STARTTLS was not reached).
    NoSession,
    /// The host name cannot be sent as SNI.
    InvalidName,
}

impl StrictError {
    /// The `kind` tag, as in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            StrictError::Certificate { .. } => "certificate",
            StrictError::Alert { .. } => "alert",
            StrictError::Incompatible { .. } => "incompatible",
            StrictError::Misbehaved { .. } => "misbehaved",
            StrictError::Protocol => "protocol",
            StrictError::Timeout => "timeout",
            StrictError::Closed => "closed",
            StrictError::NoSession => "no-session",
            StrictError::InvalidName => "invalid-name",
        }
    }
}

impl StrictTls {
    /// The handshake completed with the certificate verified.
    pub fn is_ok(&self) -> bool {
        matches!(self, StrictTls::Ok { .. })
    }

    /// The `result` tag, as in JSON and the `strict_tls` CSV column.
    pub fn result(&self) -> &'static str {
        match self {
            StrictTls::Ok { .. } => "ok",
            StrictTls::Failed { .. } => "failed",
        }
    }

    pub(crate) fn failed(error: StrictError, detail: impl Into<String>) -> StrictTls {
        StrictTls::Failed {
            error,
            detail: detail.into(),
        }
    }

    /// rustls's verdict on a handshake that did not complete.
    pub(crate) fn from_io(e: &io::Error) -> StrictTls {
        let tls = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        match tls {
            Some(tls) => StrictTls::from_rustls(tls),
            None => StrictTls::failed(StrictError::Closed, format!("connection lost: {e}")),
        }
    }

    /// rustls's error as data.
    pub(crate) fn from_rustls(tls: &rustls::Error) -> StrictTls {
        let error = match tls {
            rustls::Error::InvalidCertificate(c) => StrictError::Certificate {
                reason: reject_reason(c),
            },
            rustls::Error::AlertReceived(alert) => StrictError::Alert {
                alert: format!("{alert:?}"),
            },
            rustls::Error::PeerIncompatible(why) => StrictError::Incompatible {
                reason: format!("{why:?}"),
            },
            rustls::Error::PeerMisbehaved(why) => StrictError::Misbehaved {
                reason: format!("{why:?}"),
            },
            _ => StrictError::Protocol,
        };
        StrictTls::failed(error, tls.to_string())
    }
}

/// rustls's certificate error as the reason shared with the chain check.
// The deprecated variant is still produced by verifiers built on older webpki.
#[allow(deprecated)]
fn reject_reason(e: &rustls::CertificateError) -> RejectReason {
    use rustls::CertificateError as C;
    match e {
        C::BadEncoding => RejectReason::BadEncoding,
        C::Expired | C::ExpiredContext { .. } => RejectReason::Expired,
        C::NotValidYet | C::NotValidYetContext { .. } => RejectReason::NotYetValid,
        C::Revoked => RejectReason::Revoked,
        C::UnhandledCriticalExtension => RejectReason::UnhandledCriticalExtension,
        C::UnknownIssuer => RejectReason::UnknownIssuer,
        C::BadSignature => RejectReason::BadSignature,
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            RejectReason::UnsupportedSignatureAlgorithm
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => RejectReason::NotValidForName,
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => RejectReason::InvalidPurpose,
        _ => RejectReason::Other,
    }
}

/// The rustls client of a scan: built once from the scan's anchors.
#[derive(Clone)]
pub(crate) struct Client {
    /// The configuration and its verifier, with the host name checked…
    named: (Arc<ClientConfig>, Arc<dyn ServerCertVerifier>),
    /// …and without (IP-literal targets).
    chain_only: (Arc<ClientConfig>, Arc<dyn ServerCertVerifier>),
}

/// What is left of the connection after the handshake, to close it politely.
pub(crate) enum Leftover<S> {
    /// A working TLS session: say QUIT over it.
    Tls(Box<TlsStream<S>>),
    /// The plain stream after a failed handshake.
    Plain(S),
    /// Nothing (the handshake timed out and was dropped).
    Gone,
}

impl Client {
    /// The strict sender of a scan, on the scan's one trust (its anchors,
    /// its clock, its verifier).
    pub(crate) fn new(trust: &Trust) -> Result<Client, rustls::Error> {
        let builder = || {
            ClientConfig::builder_with_details(
                Arc::clone(trust.provider()),
                Arc::clone(trust.time()),
            )
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        };
        let verifier = Arc::clone(trust.verifier());
        let named = builder()?
            .with_webpki_verifier(Arc::clone(&verifier))
            .with_no_client_auth();
        let chain_only: Arc<dyn ServerCertVerifier> = Arc::new(danger::ChainOnly(verifier.clone()));
        let chain_only_config = builder()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::clone(&chain_only))
            .with_no_client_auth();
        Ok(Client {
            named: (Arc::new(named), verifier),
            chain_only: (Arc::new(chain_only_config), chain_only),
        })
    }

    /// One strict handshake on `stream` (positioned after the STARTTLS 220)
    /// for `host` (`None`: an IP-literal target, `ip`).
    ///
    /// A certificate the strict sender refuses does not stop the handshake
    /// here: the verdict is recorded (`danger::Recorded`) and the
    /// handshake finished, so the session can end with QUIT. Servers that
    /// sleep after every failed handshake (Exim on GnuTLS, half a second)
    /// are spared that, and the verdict is the one rustls would have
    /// stopped with.
    pub(crate) async fn handshake<S>(
        &self,
        stream: S,
        host: Option<&str>,
        ip: IpAddr,
        timeout: Duration,
    ) -> (StrictTls, Leftover<S>)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let (config, name) = match host {
            Some(host) => match ServerName::try_from(host.to_string()) {
                Ok(name) => (&self.named, name),
                Err(e) => {
                    let failed = StrictTls::failed(
                        StrictError::InvalidName,
                        format!("{host:?} cannot be sent as a server name: {e}"),
                    );
                    return (failed, Leftover::Plain(stream));
                }
            },
            None => (&self.chain_only, ServerName::IpAddress(ip.into())),
        };
        let (config, inner) = config;
        let verdict = Arc::new(std::sync::Mutex::new(None));
        let mut config = ClientConfig::clone(config);
        let inner = Arc::clone(inner);
        config
            .dangerous()
            .set_certificate_verifier(Arc::new(danger::Recorded {
                inner,
                verdict: Arc::clone(&verdict),
            }));
        let connector = TlsConnector::from(Arc::new(config));
        let connect = connector.connect(name, stream).into_fallible();
        match tokio::time::timeout(timeout, connect).await {
            Err(_) => (
                StrictTls::failed(
                    StrictError::Timeout,
                    format!("TLS handshake timed out after {}s", timeout.as_secs_f32()),
                ),
                Leftover::Gone,
            ),
            Ok(Err((e, stream))) => (StrictTls::from_io(&e), Leftover::Plain(stream)),
            Ok(Ok(tls)) => {
                let refused = verdict.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(e) = refused {
                    return (StrictTls::from_rustls(&e), Leftover::Tls(Box::new(tls)));
                }
                let conn = tls.get_ref().1;
                let protocol = match conn.protocol_version() {
                    Some(rustls::ProtocolVersion::TLSv1_2) => Protocol::Tls1_2,
                    _ => Protocol::Tls1_3,
                };
                let cipher = conn
                    .negotiated_cipher_suite()
                    .map(|s| format!("{:?}", s.suite()))
                    .unwrap_or_default();
                let ok = StrictTls::Ok {
                    protocol,
                    cipher,
                    name_checked: host.is_some(),
                };
                (ok, Leftover::Tls(Box::new(tls)))
            }
        }
    }
}

/// Verification with a part left out, fenced off by name.
mod danger {
    use std::sync::{Arc, Mutex};

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::client::WebPkiServerVerifier;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

    /// Full webpki verification except the name: for a target given as an
    /// IP address, where no sender would have a name to check. Everything
    /// else (chain, validity, purpose, handshake signatures) is webpki's.
    #[derive(Debug)]
    pub(super) struct ChainOnly(pub Arc<WebPkiServerVerifier>);

    /// The inner verifier's verdict on the certificate, recorded instead of
    /// acted on: the handshake goes on, for a polite end (QUIT), and the
    /// caller reports the verdict. Handshake signatures are still checked.
    #[derive(Debug)]
    pub(super) struct Recorded {
        pub inner: Arc<dyn ServerCertVerifier>,
        pub verdict: Arc<Mutex<Option<Error>>>,
    }

    impl ServerCertVerifier for Recorded {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            if let Err(e) = self.inner.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
            }
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.inner.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.inner.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.inner.supported_verify_schemes()
        }
    }

    impl ServerCertVerifier for ChainOnly {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            // webpki checks the name last, after the chain: only a name
            // mismatch is forgiven here.
            match self.0.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Err(Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_serialise_as_documented() {
        let ok = StrictTls::Ok {
            protocol: Protocol::Tls1_3,
            cipher: "TLS13_AES_256_GCM_SHA384".into(),
            name_checked: true,
        };
        assert_eq!(
            serde_json::to_value(&ok).expect("json"),
            serde_json::json!({"result": "ok", "protocol": "TLSv1.3",
                "cipher": "TLS13_AES_256_GCM_SHA384", "name_checked": true})
        );
        let failed = StrictTls::failed(
            StrictError::Certificate {
                reason: RejectReason::UnknownIssuer,
            },
            "invalid peer certificate: UnknownIssuer",
        );
        let v = serde_json::to_value(&failed).expect("json");
        assert_eq!(
            v,
            serde_json::json!({"result": "failed",
                "error": {"kind": "certificate", "reason": "unknown-issuer"},
                "detail": "invalid peer certificate: UnknownIssuer"})
        );
        assert_eq!(
            serde_json::from_value::<StrictTls>(v).expect("round trip"),
            failed
        );
    }

    #[test]
    fn rustls_errors_become_data() {
        let wrap = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidData, e);
        let s = StrictTls::from_io(&wrap(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName,
        )));
        assert_eq!(
            s,
            StrictTls::failed(
                StrictError::Certificate {
                    reason: RejectReason::NotValidForName
                },
                "invalid peer certificate: NotValidForName"
            )
        );
        let s = StrictTls::from_io(&wrap(rustls::Error::AlertReceived(
            rustls::AlertDescription::HandshakeFailure,
        )));
        assert!(matches!(
            s,
            StrictTls::Failed { error: StrictError::Alert { ref alert }, .. } if alert == "HandshakeFailure"
        ));
        let s = StrictTls::from_io(&io::Error::from(io::ErrorKind::UnexpectedEof));
        assert!(matches!(
            s,
            StrictTls::Failed {
                error: StrictError::Closed,
                ..
            }
        ));
    }
}
