//! Trust anchors: the roots a verifying sender starts from.
//!
//! [`Anchors`] holds Mozilla's root programme as shipped by `webpki-roots`
//! (what rustls-based senders and most Linux distributions trust) plus any
//! private CAs given with `--ca-file`. It serves three consumers from one
//! list, so they cannot disagree: rustls-webpki's path builder (the verdict),
//! rustls (the strict handshake), and OpenSSL (classifying *why* a chain
//! fails, which needs the anchors' names and keys).
//!
//! What it does not do: read the system's certificate store, or fetch
//! anything. Anchors are names and keys, not certificates: an anchor's own
//! validity is not checked (as in RFC 5280 §6.1.1 and in webpki).

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::spelling::spelling;
use openssl::pkey::{PKey, Public};
use openssl::x509::{X509Name, X509NameRef, X509Ref, X509};
use rustls::pki_types::{CertificateDer, TrustAnchor};
use serde::{Deserialize, Serialize};

/// Where an anchor comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnchorSource {
    /// Mozilla's root programme (`webpki-roots`).
    Mozilla,
    /// A `--ca-file`.
    CaFile,
}

spelling!(AnchorSource {
    Mozilla => "mozilla",
    CaFile => "ca-file",
});

/// One anchor as OpenSSL sees it: a name and a key.
pub(crate) struct AnchorKey {
    pub name: X509Name,
    pub key: PKey<Public>,
    /// The name as one line, for reports.
    pub subject: String,
    pub source: AnchorSource,
}

impl AnchorKey {
    /// Whether this anchor issued `cert`: its name is the certificate's
    /// issuer and its key verifies the certificate's signature.
    pub(crate) fn issued(&self, cert: &X509Ref) -> bool {
        same_name(&self.name, cert.issuer_name()) && cert.verify(&self.key).unwrap_or(false)
    }

    /// Whether `cert` is this anchor's own (self-issued) certificate.
    pub(crate) fn is(&self, cert: &X509Ref) -> bool {
        same_name(&self.name, cert.subject_name())
            && cert.public_key().is_ok_and(|k| k.public_eq(&self.key))
    }
}

/// The trust anchors of a scan. Cheap to clone.
#[derive(Clone)]
pub struct Anchors {
    inner: Arc<Set>,
}

struct Set {
    webpki: Vec<TrustAnchor<'static>>,
    openssl: Vec<Arc<AnchorKey>>,
    /// Anchors from `--ca-file`.
    extra: usize,
}

impl fmt::Debug for Anchors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Anchors")
            .field("mozilla", &(self.inner.webpki.len() - self.inner.extra))
            .field("ca_file", &self.inner.extra)
            .finish()
    }
}

impl Default for Anchors {
    /// Mozilla's roots only.
    fn default() -> Self {
        Anchors::mozilla()
    }
}

/// Why a `--ca-file` cannot serve as trust anchors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    /// The file holds no PEM certificate.
    #[error("{file}: no PEM certificate in it")]
    Empty {
        /// The file as named to [`Anchors::with_pem`].
        file: String,
    },
    /// The PEM could not be decoded.
    #[error("{file}: not PEM certificates ({reason})")]
    Unreadable {
        /// The file as named to [`Anchors::with_pem`].
        file: String,
        /// OpenSSL's error, one line.
        reason: String,
    },
    /// A certificate whose name or key cannot serve as an anchor.
    #[error("{file}: certificate {index} cannot be a trust anchor ({reason})")]
    Unusable {
        /// The file as named to [`Anchors::with_pem`].
        file: String,
        /// Which certificate of the file, from 1.
        index: usize,
        /// Why, one line.
        reason: String,
    },
}

impl Anchors {
    /// Mozilla's root programme. Built once per process.
    pub fn mozilla() -> Anchors {
        static MOZILLA: OnceLock<Arc<Set>> = OnceLock::new();
        let inner = MOZILLA.get_or_init(|| {
            let webpki: Vec<TrustAnchor<'static>> = webpki_roots::TLS_SERVER_ROOTS.to_vec();
            let openssl = webpki
                .iter()
                .filter_map(openssl_view)
                .map(Arc::new)
                .collect();
            Arc::new(Set {
                webpki,
                openssl,
                extra: 0,
            })
        });
        Anchors {
            inner: Arc::clone(inner),
        }
    }

    /// These anchors plus every certificate of a PEM file (`source` names
    /// it in errors, e.g. the path).
    pub fn with_pem(&self, pem: &[u8], source: &str) -> Result<Anchors, AnchorError> {
        let certs = X509::stack_from_pem(pem).map_err(|e| AnchorError::Unreadable {
            file: source.to_string(),
            reason: e.to_string(),
        })?;
        if certs.is_empty() {
            return Err(AnchorError::Empty {
                file: source.to_string(),
            });
        }
        let mut webpki = self.inner.webpki.clone();
        let mut openssl = self.inner.openssl.clone();
        for (i, cert) in certs.iter().enumerate() {
            let unusable = |reason: String| AnchorError::Unusable {
                file: source.to_string(),
                index: i + 1,
                reason,
            };
            let der = cert.to_der().map_err(|e| unusable(e.to_string()))?;
            let der = CertificateDer::from(der);
            let anchor = webpki::anchor_from_trusted_cert(&der)
                .map_err(|e| unusable(format!("{e:?}")))?
                .to_owned();
            let key = cert.public_key().map_err(|e| unusable(e.to_string()))?;
            let name = cert
                .subject_name()
                .to_owned()
                .map_err(|e| unusable(e.to_string()))?;
            webpki.push(anchor);
            openssl.push(Arc::new(AnchorKey {
                subject: super::name_line(&name),
                name,
                key,
                source: AnchorSource::CaFile,
            }));
        }
        Ok(Anchors {
            inner: Arc::new(Set {
                webpki,
                openssl,
                extra: self.inner.extra + certs.len(),
            }),
        })
    }

    /// For rustls-webpki's path builder and rustls's root store.
    pub(crate) fn webpki(&self) -> &[TrustAnchor<'static>] {
        &self.inner.webpki
    }

    /// Anchors from `--ca-file`.
    pub fn extra(&self) -> usize {
        self.inner.extra
    }

    /// The anchor that issued `cert`, if any.
    pub(crate) fn issuer_of(&self, cert: &X509Ref) -> Option<&AnchorKey> {
        self.inner
            .openssl
            .iter()
            .map(|a| &**a)
            .find(|a| a.issued(cert))
    }
}

/// OpenSSL's view of a webpki anchor. webpki keeps the *contents* of the
/// subject Name and SubjectPublicKeyInfo SEQUENCEs; OpenSSL decodes whole
/// DER values, so each is wrapped in its SEQUENCE header again.
fn openssl_view(anchor: &TrustAnchor<'_>) -> Option<AnchorKey> {
    let name = X509Name::from_der(&der_sequence(anchor.subject.as_ref())).ok()?;
    let key =
        PKey::public_key_from_der(&der_sequence(anchor.subject_public_key_info.as_ref())).ok()?;
    Some(AnchorKey {
        subject: super::name_line(&name),
        name,
        key,
        source: AnchorSource::Mozilla,
    })
}

/// A DER SEQUENCE (tag 0x30) around `content`: the header is encoded here
/// (definite length, X.690 §8.1.3), nothing is decoded.
fn der_sequence(content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(0x30);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// OpenSSL's name comparison (canonical encoding, as path building uses).
pub(crate) fn same_name(a: &X509NameRef, b: &X509NameRef) -> bool {
    a.try_cmp(b).is_ok_and(|o| o.is_eq())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/testdata/certs/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture")
    }

    #[test]
    fn der_headers_use_the_shortest_length_form() {
        assert_eq!(der_sequence(&[1, 2]), vec![0x30, 2, 1, 2]);
        let long = der_sequence(&[0; 200]);
        assert_eq!(&long[..3], &[0x30, 0x81, 200]);
        let longer = der_sequence(&[0; 300]);
        assert_eq!(&longer[..4], &[0x30, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn every_mozilla_root_is_readable_by_openssl() {
        let a = Anchors::mozilla();
        assert!(a.webpki().len() > 100);
        assert_eq!(a.inner.openssl.len(), a.webpki().len());
        assert_eq!(a.extra(), 0);
        assert!(a
            .inner
            .openssl
            .iter()
            .any(|k| k.subject.contains("ISRG Root X1")));
    }

    #[test]
    fn a_ca_file_adds_its_certificates() {
        let a = Anchors::mozilla()
            .with_pem(&pem("ca.crt"), "ca.crt")
            .expect("anchors");
        assert_eq!(a.extra(), 1);
        let leaf = X509::from_pem(&pem("mx-rsa.crt")).expect("leaf");
        let issuer = a.issuer_of(&leaf).expect("the test CA issued it");
        assert_eq!(issuer.source, AnchorSource::CaFile);
        assert_eq!(issuer.subject, "CN=mxprobe test CA, O=mxprobe tests");
        assert!(Anchors::mozilla().issuer_of(&leaf).is_none());
        let root = X509::from_pem(&pem("ca.crt")).expect("root");
        assert!(issuer.is(&root));
        assert!(!issuer.is(&leaf));
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let e = Anchors::mozilla()
            .with_pem(b"not pem", "x.pem")
            .expect_err("no certs");
        assert!(e.to_string().starts_with("x.pem: "), "{e}");
        let e = Anchors::mozilla()
            .with_pem(&pem("ca.key"), "ca.key")
            .expect_err("a key");
        assert!(e.to_string().starts_with("ca.key: "), "{e}");
    }
}
