//! The test server's OpenSSL side: a context that really allows what a test
//! configures, including SSLv3, TLS 1.0/1.1 and legacy ciphers.
//!
//! Three things stand between OpenSSL 3 and an old handshake, and all three
//! are undone here: the `NO_SSLv3`/`NO_TLSv1`/`NO_TLSv1_1` options (rust-openssl
//! builders set them, and the server then answers with a "protocol version"
//! alert), the security level (always 0 here: SHA-1 signatures, small keys,
//! export-grade and anonymous ciphers), and the `legacy` provider (RC4, SEED,
//! IDEA live there; see [`legacy_provider`]).

use std::sync::OnceLock;
use std::time::Duration;

use openssl::dh::Dh;
use openssl::error::ErrorStack;
use openssl::pkey::{PKey, Private};
use openssl::provider::Provider;
use openssl::ssl::{Ssl, SslContext, SslContextBuilder, SslMethod, SslOptions, SslVersion};
use openssl::x509::X509;

use crate::testkit::pki::{cert, CertKey};
use crate::tls::Protocol;

/// TLS ≤ 1.2 ciphers: OpenSSL 3's default list.
pub const DEFAULT_CIPHER_LIST: &str = "DEFAULT";
/// OpenSSL 3's default TLS 1.3 suites, in its order.
pub const DEFAULT_CIPHERSUITES: &str =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

/// What the server's TLS offers. The default: every protocol version the
/// library has (SSLv3 to TLS 1.3), OpenSSL's default ciphers, client
/// preference, OpenSSL's default groups, the RSA certificate `mx-rsa` with its
/// chain, and OpenSSL's automatic DH parameters.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// Lowest accepted version; `None`: the lowest the library has.
    pub min: Option<Protocol>,
    /// Highest accepted version; `None`: the highest the library has.
    pub max: Option<Protocol>,
    /// OpenSSL cipher string for TLS ≤ 1.2, applied with `@SECLEVEL=0`.
    /// It must match at least one cipher, even for a TLS 1.3-only server.
    ///
    /// OpenSSL's server refuses every handshake ("no ciphers enabled for max
    /// supported SSL/TLS version") unless some configured cipher works at
    /// the highest allowed version: without TLS 1.3 suites, `max` must be at
    /// most TLS 1.2, and at most TLS 1.1 for IDEA alone. [`TlsConfig::ciphers`]
    /// takes care of the first.
    pub cipher_list: String,
    /// TLS 1.3 suites, `:`-separated; empty disables TLS 1.3.
    pub ciphersuites: String,
    /// `SSL_OP_CIPHER_SERVER_PREFERENCE`: pick by the server's order.
    pub server_preference: bool,
    /// `SSL_OP_PRIORITIZE_CHACHA` (with server preference: ChaCha20 first
    /// for clients that put it first).
    pub prioritize_chacha: bool,
    /// Key-exchange groups (`set_groups_list`, e.g. `"P-256:X25519"`).
    pub groups: Option<String>,
    /// One or more identities, e.g. RSA + ECDSA: OpenSSL keeps one per key
    /// type and picks by what the client accepts. Each keeps its own chain.
    pub certs: Vec<CertKey>,
    /// PEM DH parameters for DHE (e.g. [`dh_params(1024)`](crate::testkit::pki::dh_params));
    /// `None`: OpenSSL chooses by the certificate's strength.
    pub dh_params: Option<Vec<u8>>,
    /// Pause before closing after a failed handshake (refused, abandoned by
    /// the client, or never started), as Exim on GnuTLS does (500 ms);
    /// a completed handshake ended with QUIT closes at once.
    pub pause_after_failure: Duration,
}

impl Default for TlsConfig {
    /// # Panics
    ///
    /// When the test certificate files are missing (see [`cert`]).
    fn default() -> Self {
        TlsConfig {
            min: None,
            max: None,
            cipher_list: DEFAULT_CIPHER_LIST.into(),
            ciphersuites: DEFAULT_CIPHERSUITES.into(),
            server_preference: false,
            prioritize_chacha: false,
            groups: None,
            certs: vec![cert("mx-rsa")],
            dh_params: None,
            pause_after_failure: Duration::ZERO,
        }
    }
}

impl TlsConfig {
    /// Exactly one protocol version.
    pub fn only(mut self, version: Protocol) -> Self {
        self.min = Some(version);
        self.max = Some(version);
        self
    }

    /// Only these TLS ≤ 1.2 ciphers (OpenSSL names), and no TLS 1.3 (so `max`
    /// becomes TLS 1.2 unless already set).
    pub fn ciphers(mut self, cipher_list: &str) -> Self {
        self.cipher_list = cipher_list.into();
        self.ciphersuites = String::new();
        if self.max.is_none() {
            self.max = Some(Protocol::Tls1_2);
        }
        self
    }
}

/// Loads OpenSSL's `legacy` provider once for the process (keeping the
/// default provider available) and keeps it loaded. Returns whether it is
/// there. Test clients in the same process need it as well for RC4, SEED and
/// IDEA; the server loads it on start.
pub fn legacy_provider() -> bool {
    static LEGACY: OnceLock<Option<Provider>> = OnceLock::new();
    LEGACY
        .get_or_init(|| Provider::try_load(None, "legacy", true).ok())
        .is_some()
}

/// OpenSSL's constant for `p`.
pub fn ssl_version(p: Protocol) -> SslVersion {
    match p {
        Protocol::Ssl3 => SslVersion::SSL3,
        Protocol::Tls1 => SslVersion::TLS1,
        Protocol::Tls1_1 => SslVersion::TLS1_1,
        Protocol::Tls1_2 => SslVersion::TLS1_2,
        Protocol::Tls1_3 => SslVersion::TLS1_3,
    }
}

/// Every option that switches a protocol version off; clearing them leaves
/// `min`/`max` as the only limit.
pub fn version_options() -> SslOptions {
    SslOptions::NO_SSLV3
        | SslOptions::NO_TLSV1
        | SslOptions::NO_TLSV1_1
        | SslOptions::NO_TLSV1_2
        | SslOptions::NO_TLSV1_3
}

/// A certificate with its key and the chain to send with it.
struct Identity {
    leaf: X509,
    key: PKey<Private>,
    chain: Vec<X509>,
}

/// A built server context plus the identities set on each connection.
pub(super) struct Acceptor {
    context: SslContext,
    identities: Vec<Identity>,
}

impl Acceptor {
    pub(super) fn new(config: &TlsConfig) -> Result<Acceptor, String> {
        legacy_provider();
        let context = context(config).map_err(|e| format!("test server TLS settings: {e}"))?;
        let identities = config
            .certs
            .iter()
            .enumerate()
            .map(|(i, ck)| identity(ck).map_err(|e| format!("test server certificate {i}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        if identities.is_empty() {
            return Err("test server TLS settings: no certificate".into());
        }
        Ok(Acceptor {
            context,
            identities,
        })
    }

    /// A connection's `SSL` with every identity. Identities go on each `SSL`
    /// rather than the context because rust-openssl only binds the
    /// context-wide extra chain, and dual certificates need a chain each.
    pub(super) fn ssl(&self) -> Result<Ssl, ErrorStack> {
        let mut ssl = Ssl::new(&self.context)?;
        for id in &self.identities {
            ssl.set_certificate(&id.leaf)?;
            ssl.set_private_key(&id.key)?;
            // Goes to the certificate just set (OpenSSL's "current" one).
            for c in &id.chain {
                ssl.add_chain_cert(c.clone())?;
            }
        }
        Ok(ssl)
    }
}

fn context(config: &TlsConfig) -> Result<SslContext, ErrorStack> {
    let mut b = SslContextBuilder::new(SslMethod::tls_server())?;
    b.clear_options(version_options());
    b.set_security_level(0);
    b.set_min_proto_version(config.min.map(ssl_version))?;
    b.set_max_proto_version(config.max.map(ssl_version))?;
    b.set_cipher_list(&format!("{}:@SECLEVEL=0", config.cipher_list))?;
    b.set_ciphersuites(&config.ciphersuites)?;
    if config.server_preference {
        b.set_options(SslOptions::CIPHER_SERVER_PREFERENCE);
    }
    if config.prioritize_chacha {
        b.set_options(SslOptions::PRIORITIZE_CHACHA);
    }
    if let Some(groups) = &config.groups {
        b.set_groups_list(groups)?;
    }
    match &config.dh_params {
        Some(pem) => {
            let dh = Dh::params_from_pem(pem)?;
            b.set_tmp_dh(&dh)?;
        }
        None => {
            crate::ffi::openssl::set_dh_auto(&mut b);
        }
    }
    Ok(b.build())
}

fn identity(ck: &CertKey) -> Result<Identity, String> {
    let mut certs = X509::stack_from_pem(&ck.chain_pem).map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate in the PEM".into());
    }
    let leaf = certs.remove(0);
    let key = PKey::private_key_from_pem(&ck.key_pem).map_err(|e| e.to_string())?;
    let matches = leaf
        .public_key()
        .map(|public| public.public_eq(&key))
        .unwrap_or(false);
    if !matches {
        return Err("the private key does not belong to the certificate".into());
    }
    Ok(Identity {
        leaf,
        key,
        chain: certs,
    })
}
