//! The scan's one trust: one set of anchors (Mozilla's roots plus
//! `--ca-file`) and one clock, and everything that verifies with them.
//!
//! Every certificate judgement of a scan goes through a [`Trust`] built
//! once from the [`TrustConfig`]: the chain verdict of each probed address
//! ([`Trust::verify_chain`], rustls-webpki plus the diagnosis in
//! [`crate::cert::verify`]), the strict modern sender ([`super::strict`],
//! rustls with the same verifier), and the MTA-STS policy fetch over HTTPS
//! ([`Trust::https`]). MTA-STS's enforce-mode check of the MX hosts reads
//! the addresses' verdicts instead of verifying again. So a private CA or a
//! fixed verification time, set once, holds everywhere.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::UnixTime;
use rustls::time_provider::TimeProvider;
use rustls::{ClientConfig, RootCertStore};

use super::TrustConfig;
use crate::cert::verify::{verify_chain, ChainCheck};
use crate::cert::CertInfo;

/// Anchors, clock, and what verifies with them. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Trust {
    config: TrustConfig,
    provider: Arc<CryptoProvider>,
    time: Arc<dyn TimeProvider>,
    verifier: Arc<WebPkiServerVerifier>,
    https: Arc<ClientConfig>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("anchors", &self.config.anchors)
            .field("at", &self.config.at)
            .finish_non_exhaustive()
    }
}

impl Trust {
    /// Build everything from the anchors and the clock of `config`.
    pub(crate) fn new(config: &TrustConfig) -> Result<Trust, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = Arc::new(RootCertStore {
            roots: config.anchors.webpki().to_vec(),
        });
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::clone(&roots), Arc::clone(&provider))
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
        let time: Arc<dyn TimeProvider> = match config.at {
            Some(at) => Arc::new(FixedTime(at)),
            None => Arc::new(rustls::time_provider::DefaultTimeProvider),
        };
        // The MTA-STS policy host, as a sender fetches it: HTTPS with the
        // certificate verified for its name.
        let https = ClientConfig::builder_with_details(Arc::clone(&provider), Arc::clone(&time))
            .with_safe_default_protocol_versions()?
            .with_webpki_verifier(Arc::clone(&verifier))
            .with_no_client_auth();
        Ok(Trust {
            config: config.clone(),
            provider,
            time,
            verifier,
            https: Arc::new(https),
        })
    }

    /// The verification time now, Unix seconds.
    pub(crate) fn now(&self) -> i64 {
        self.config.now()
    }

    /// The verdict on a presented chain (leaf first), with every problem
    /// found; `None` when nothing was presented.
    pub(crate) fn verify_chain(&self, chain: &[CertInfo]) -> Option<ChainCheck> {
        verify_chain(chain, &self.config.anchors, self.now())
    }

    /// The HTTPS client of the MTA-STS policy fetch (no client certificate,
    /// no ALPN: HTTP/1.1).
    pub(crate) fn https(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.https)
    }

    pub(crate) fn provider(&self) -> &Arc<CryptoProvider> {
        &self.provider
    }

    pub(crate) fn time(&self) -> &Arc<dyn TimeProvider> {
        &self.time
    }

    pub(crate) fn verifier(&self) -> &Arc<WebPkiServerVerifier> {
        &self.verifier
    }
}

/// The verification time when it is fixed (tests, reproducing a report).
#[derive(Debug)]
struct FixedTime(i64);

impl TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::from_secs(
            self.0.max(0).unsigned_abs(),
        )))
    }
}
