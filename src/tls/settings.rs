//! The one place where OpenSSL is told to offer what nobody should accept.
//!
//! A prober has to offer SSLv3, RC4, 3DES, anonymous and export-era
//! ciphers to find out whether a server still accepts them. Everything that
//! makes the vendored OpenSSL do so is here, so that no other code weakens a
//! context by accident:
//!
//! * security level 0 (`@SECLEVEL=0`), which allows SSLv3, SHA-1 signatures,
//!   small DH groups and keys;
//! * the `NO_SSLV3`/`NO_TLSV1`/`NO_TLSV1_1` options that rust-openssl's
//!   builders set are cleared;
//! * the `legacy` provider is loaded (RC4, SEED, IDEA live there);
//! * `LEGACY_SERVER_CONNECT`, because OpenSSL 3 refuses servers that lack the
//!   RFC 5746 renegotiation-info extension, and old MTAs do;
//! * no certificate verification: certificate problems are recorded by the
//!   trust checks, never allowed to stop a probe.
//!
//! What this build still cannot offer: SSLv2, EXPORT ciphers and single DES
//! (removed from OpenSSL 1.1.0 and later), GOST. Servers are not tested for them.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use openssl::error::ErrorStack;
use openssl::provider::Provider;
use openssl::ssl::{SslContextBuilder, SslMethod, SslOptions, SslVerifyMode, SslVersion};

use super::Protocol;
use crate::ffi::openssl as ffi;

/// The `legacy` and `default` providers, loaded once and kept for the process.
static PROVIDERS: OnceLock<Option<(Provider, Provider)>> = OnceLock::new();

/// Load OpenSSL's `legacy` provider (RC4, SEED, IDEA, …) next to the default
/// one. Returns false when it is not available: those ciphers are then simply
/// not offered.
pub(crate) fn load_legacy_provider() -> bool {
    PROVIDERS
        .get_or_init(|| {
            // The crate's own initialisation first: it tells OpenSSL not to
            // clean up at exit. Loading a provider before it would have
            // OpenSSL initialise itself with the cleanup, which then runs
            // while runtime threads may still hold its objects.
            openssl::init();
            // Loading any provider explicitly switches off the implicit
            // default provider, so both are loaded.
            let default = Provider::load(None, "default").ok()?;
            let legacy = Provider::load(None, "legacy").ok()?;
            Some((default, legacy))
        })
        .is_some()
}

/// Every TLS 1.3 suite OpenSSL implements, ChaCha20 last (see
/// [`super::cipher`] for why ChaCha20 always goes last).
pub(crate) const ALL_TLS13_SUITES: &str = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:\
TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256:TLS_CHACHA20_POLY1305_SHA256";

/// Every ≤ TLS 1.2 cipher a mail server could pick, in a sensible client
/// order with ChaCha20 last. PSK, SRP and GOST need out-of-band set-up that
/// no MTA uses; leaving them out also keeps the list under the 128-suite
/// size some servers choke on.
pub(crate) const ALL_TLS12_CIPHERS: &str =
    "ALL:COMPLEMENTOFALL:!PSK:!SRP:!aGOST:!kGOST:+CHACHA20:@SECLEVEL=0";

pub(crate) fn ssl_version(p: Protocol) -> SslVersion {
    match p {
        Protocol::Ssl3 => SslVersion::SSL3,
        Protocol::Tls1 => SslVersion::TLS1,
        Protocol::Tls1_1 => SslVersion::TLS1_1,
        Protocol::Tls1_2 => SslVersion::TLS1_2,
        Protocol::Tls1_3 => SslVersion::TLS1_3,
    }
}

pub(crate) fn protocol_of(v: SslVersion) -> Option<Protocol> {
    Protocol::ALL.into_iter().find(|p| ssl_version(*p) == v)
}

/// A client context that can offer anything this OpenSSL implements, limited
/// to the versions `min..=max`. Callers then narrow the cipher list.
pub(crate) fn permissive_client(
    min: Protocol,
    max: Protocol,
) -> Result<SslContextBuilder, ErrorStack> {
    load_legacy_provider();
    let mut b = SslContextBuilder::new(SslMethod::tls_client())?;
    b.clear_options(
        SslOptions::NO_SSLV3
            | SslOptions::NO_TLSV1
            | SslOptions::NO_TLSV1_1
            | SslOptions::NO_TLSV1_2
            | SslOptions::NO_TLSV1_3,
    );
    b.set_options(
        SslOptions::from_bits_retain(openssl_sys::SSL_OP_LEGACY_SERVER_CONNECT)
            | SslOptions::NO_TICKET
            | SslOptions::NO_COMPRESSION,
    );
    b.set_security_level(0);
    b.set_min_proto_version(Some(ssl_version(min)))?;
    b.set_max_proto_version(Some(ssl_version(max)))?;
    b.set_verify(SslVerifyMode::NONE);
    ffi::set_max_cert_list(&mut b, crate::limits::CERT_CHAIN_BYTES);
    b.set_cipher_list(ALL_TLS12_CIPHERS)?;
    b.set_ciphersuites(ALL_TLS13_SUITES)?;
    Ok(b)
}

/// Whether this OpenSSL build knows a key-exchange group by that name.
pub(crate) fn group_available(name: &str) -> bool {
    static KNOWN: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Default::default);
    let mut known = known.lock().unwrap_or_else(|p| p.into_inner());
    *known.entry(name.to_string()).or_insert_with(|| {
        SslContextBuilder::new(SslMethod::tls_client())
            .and_then(|mut b| b.set_groups_list(name))
            .is_ok()
    })
}
