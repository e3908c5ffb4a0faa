//! Which certificates MTA-STS trusts (RFC 8461 §4.2: "a trusted
//! authority", PKIX as RFC 5280 and RFC 6125 define it): Mozilla's roots
//! (webpki-roots) plus the scan's extra anchors (`--ca-file`,
//! `ScanConfig::ca_files`), verified by rustls' WebPKI verifier, for the
//! policy host's HTTPS and for the MX hosts' SMTP chains in enforce mode.
//!
//! To be unified after merge with the trust-checks stage's chain
//! verification in `crate::cert`, which reads the same `ca_files`; this
//! module only borrows rustls' verifier so MTA-STS does not wait for it.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, RootCertStore};

use crate::cert::CertInfo;

/// Trust anchors and the verifier and HTTPS client built on them.
#[derive(Clone)]
pub struct Trust {
    verifier: Arc<WebPkiServerVerifier>,
    client: Arc<ClientConfig>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust").finish_non_exhaustive()
    }
}

impl Trust {
    /// Mozilla's roots and every certificate in `ca_files` (PEM).
    pub fn new(ca_files: &[PathBuf]) -> Result<Trust, String> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for path in ca_files {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
            let mut found = 0;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| {
                    format!("CA file {}: not PEM certificates: {e}", path.display())
                })?;
                roots.add(cert).map_err(|e| {
                    format!("CA file {}: unusable certificate: {e}", path.display())
                })?;
                found += 1;
            }
            if found == 0 {
                return Err(format!(
                    "CA file {} holds no PEM certificate",
                    path.display()
                ));
            }
        }
        let roots = Arc::new(roots);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::clone(&roots), Arc::clone(&provider))
                .build()
                .map_err(|e| format!("cannot build the certificate verifier: {e}"))?;
        let client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up the HTTPS client: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Trust {
            verifier,
            client: Arc::new(client),
        })
    }

    /// The HTTPS client configuration (no client certificate, no ALPN:
    /// HTTP/1.1).
    pub fn client(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.client)
    }

    /// Whether a presented chain (leaf first) is valid for `host` now:
    /// issued by a trusted root, in its validity period, for the name.
    pub fn verify_chain(&self, chain: &[CertInfo], host: &str) -> Result<(), String> {
        let Some((leaf, rest)) = chain.split_first() else {
            return Err("no certificate presented".into());
        };
        let name = ServerName::try_from(host.trim_end_matches('.').to_owned())
            .map_err(|_| format!("{host:?} is not a valid server name"))?;
        let intermediates: Vec<CertificateDer<'static>> = rest
            .iter()
            .map(|c| CertificateDer::from(c.der.clone()))
            .collect();
        self.verifier
            .verify_server_cert(
                &CertificateDer::from(leaf.der.clone()),
                &intermediates,
                &name,
                &[],
                UnixTime::now(),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dane::test_certs::chain_from_pem;

    fn test_ca() -> Vec<PathBuf> {
        vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/certs/ca.crt")]
    }

    #[test]
    fn verifies_chains_against_extra_anchors() {
        let trust = Trust::new(&test_ca()).expect("trust");
        let chain = chain_from_pem("mx-rsa.chain.pem");
        assert_eq!(trust.verify_chain(&chain, "mx.example.test"), Ok(()));
        assert!(trust.verify_chain(&chain, "other.example").is_err());
        let expired = chain_from_pem("expired.chain.pem");
        assert!(trust.verify_chain(&expired, "mx.example.test").is_err());
        // Only Mozilla's roots: the test CA is unknown.
        let public = Trust::new(&[]).expect("trust");
        assert!(public.verify_chain(&chain, "mx.example.test").is_err());
        assert!(public.verify_chain(&[], "mx.example.test").is_err());
    }

    #[test]
    fn unreadable_or_empty_ca_files_are_setup_errors() {
        let err = Trust::new(&["/nonexistent/ca.pem".into()]).expect_err("missing");
        assert!(err.contains("cannot read CA file"), "{err}");
        let dh = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/certs/dh1024.pem");
        let err = Trust::new(&[dh]).expect_err("no certificate");
        assert!(err.contains("no PEM certificate"), "{err}");
    }
}
