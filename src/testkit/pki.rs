//! The checked-in test certificates (`testdata/certs/`, made by its
//! `generate.sh`, which adds only missing files and whose header lists every
//! name).
//!
//! Paths are resolved from this crate's source directory, so the helpers
//! work for tests, benchmarks and the lab binary run from a checkout.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A certificate (optionally followed by its chain) and its private key, both
/// PEM, as a server presents them.
#[derive(Clone, PartialEq, Eq)]
pub struct CertKey {
    /// The certificate first, then the chain certificates to send with it.
    pub chain_pem: Vec<u8>,
    /// The certificate's private key.
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for CertKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The PEM blobs would drown any test failure message.
        f.debug_struct("CertKey")
            .field("chain_pem", &format_args!("{} bytes", self.chain_pem.len()))
            .finish_non_exhaustive()
    }
}

impl CertKey {
    /// Reads a certificate (chain) file and a key file.
    pub fn from_files(chain: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<CertKey> {
        Ok(CertKey {
            chain_pem: fs::read(chain)?,
            key_pem: fs::read(key)?,
        })
    }
}

/// `<crate>/testdata/<relative>`.
pub fn testdata_path(relative: impl AsRef<Path>) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(relative)
}

/// The test certificate `name` as a server presents it: `certs/NAME.chain.pem`
/// when it exists (certificate plus issuers), else `certs/NAME.crt`, with
/// `certs/NAME.key`.
///
/// # Panics
///
/// When the files are missing: a test fixture problem, fixed by running
/// `testdata/certs/generate.sh`.
pub fn cert(name: &str) -> CertKey {
    let chain = testdata_path(format!("certs/{name}.chain.pem"));
    if chain.exists() {
        load(name, chain)
    } else {
        cert_alone(name)
    }
}

/// The test certificate `name` without any chain (`certs/NAME.crt`): for
/// `mx-inter`, the incomplete chain of a misconfigured server.
///
/// # Panics
///
/// When the files are missing, as [`cert`].
pub fn cert_alone(name: &str) -> CertKey {
    load(name, testdata_path(format!("certs/{name}.crt")))
}

/// PEM DH parameters `certs/dh<BITS>.pem` (1024 or 2048).
///
/// # Panics
///
/// When the file is missing, as [`cert`].
pub fn dh_params(bits: u32) -> Vec<u8> {
    let path = testdata_path(format!("certs/dh{bits}.pem"));
    fs::read(&path).unwrap_or_else(|e| panic!("test DH params {}: {e}", path.display()))
}

fn load(name: &str, chain: PathBuf) -> CertKey {
    let key = testdata_path(format!("certs/{name}.key"));
    CertKey::from_files(&chain, &key).unwrap_or_else(|e| {
        panic!(
            "test certificate {name:?} ({}, {}): {e}; run testdata/certs/generate.sh",
            chain.display(),
            key.display()
        )
    })
}
