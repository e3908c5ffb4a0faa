//! The cipher catalogue: every suite this OpenSSL build can offer, with the
//! properties findings are made of (key exchange, authentication, AEAD,
//! forward secrecy, legacy primitives).
//!
//! The catalogue is read from OpenSSL itself, not kept as a hand-written
//! table, so names and properties always match what the prober offers.
//!
//! Offer order: ChaCha20 always goes last. Servers configured with
//! "prioritise ChaCha20" (OpenSSL's `SSL_OP_PRIORITIZE_CHACHA`) pick ChaCha20
//! first whenever the *client* lists it first, which would make their order
//! look different from what ordinary clients get.

use std::collections::HashMap;
use std::sync::OnceLock;

use openssl::ssl::{Ssl, SslCipherRef};
use serde::{Deserialize, Serialize};

use super::{settings, Protocol};
use crate::ffi::openssl as ffi;
use crate::spelling::spelling;

// NIDs from OpenSSL's obj_mac.h (stable across 1.1 and 3.x).
const NID_KX_RSA: i32 = 1037;
const NID_KX_ECDHE: i32 = 1038;
pub(crate) const NID_KX_DHE: i32 = 1039;
const NID_KX_ANY: i32 = 1063;
const NID_AUTH_RSA: i32 = 1046;
const NID_AUTH_ECDSA: i32 = 1047;
const NID_AUTH_DSS: i32 = 1049;
const NID_AUTH_NULL: i32 = 1053;
const NID_AUTH_ANY: i32 = 1064;

/// Key exchange of a cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Kx {
    /// Static RSA key transport: no forward secrecy.
    Rsa,
    /// Finite-field Diffie-Hellman with ephemeral keys.
    Dhe,
    /// Elliptic-curve Diffie-Hellman with ephemeral keys.
    Ecdhe,
    /// TLS 1.3: negotiated separately (always ephemeral).
    Any,
    /// A key exchange OpenSSL reports as none of the above (e.g. PSK).
    Other,
}

spelling!(Kx {
    Rsa => "RSA",
    Dhe => "DHE",
    Ecdhe => "ECDHE",
    Any => "ANY",
    Other => "OTHER",
});

/// Server authentication of a cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Auth {
    /// An RSA certificate.
    Rsa,
    /// An ECDSA certificate.
    Ecdsa,
    /// A DSA certificate.
    Dss,
    /// Anonymous: no certificate, trivially open to an active attacker.
    Null,
    /// TLS 1.3: by certificate, negotiated separately.
    Any,
    /// An authentication OpenSSL reports as none of the above (e.g. PSK).
    Other,
}

spelling!(Auth {
    Rsa => "RSA",
    Ecdsa => "ECDSA",
    Dss => "DSS",
    Null => "NULL",
    Any => "ANY",
    Other => "OTHER",
});

/// What one cipher suite is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CipherSpec {
    /// OpenSSL's name (`ECDHE-RSA-AES256-GCM-SHA384`).
    pub name: String,
    /// The IANA/RFC name (`TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`).
    pub iana: String,
    /// The two-byte code point.
    pub id: u16,
    /// Key exchange.
    pub kx: Kx,
    /// Server authentication.
    pub auth: Auth,
    /// Bulk encryption as OpenSSL describes it (`AESGCM(256)`, `3DES(168)`).
    pub enc: String,
    /// MAC as OpenSSL describes it (`AEAD`, `SHA1`, `SHA384`, `MD5`).
    pub mac: String,
    /// Key bits of the algorithm (`168` for 3DES): the number Exim logs in
    /// `X=PROTOCOL:CIPHER:BITS` and Postfix as the second of `(112/168 bits)`.
    pub bits: u32,
    /// Effective strength in bits as OpenSSL rates it (`112` for 3DES).
    pub strength_bits: u32,
    /// Authenticated encryption (GCM, CCM, ChaCha20-Poly1305): no separate
    /// MAC.
    pub aead: bool,
    /// Ephemeral key exchange (DHE, ECDHE, every TLS 1.3 suite).
    pub forward_secret: bool,
    /// A TLS 1.3 suite (set through `ciphersuites`, not the cipher list).
    pub tls13: bool,
    /// The first protocol version that defines it: it cannot be negotiated
    /// below that.
    pub min_protocol: Protocol,
}

impl CipherSpec {
    fn from_openssl(c: &SslCipherRef) -> CipherSpec {
        let description = c.description();
        let field = |key: &str| {
            description
                .split_whitespace()
                .find_map(|f| f.strip_prefix(key))
                .unwrap_or("")
                .to_string()
        };
        let kx = match ffi::kx_nid(c) {
            NID_KX_RSA => Kx::Rsa,
            NID_KX_DHE => Kx::Dhe,
            NID_KX_ECDHE => Kx::Ecdhe,
            NID_KX_ANY => Kx::Any,
            _ => Kx::Other,
        };
        let auth = match ffi::auth_nid(c) {
            NID_AUTH_RSA => Auth::Rsa,
            NID_AUTH_ECDSA => Auth::Ecdsa,
            NID_AUTH_DSS => Auth::Dss,
            NID_AUTH_NULL => Auth::Null,
            NID_AUTH_ANY => Auth::Any,
            _ => Auth::Other,
        };
        let id = c.protocol_id();
        CipherSpec {
            name: c.name().to_string(),
            iana: c.standard_name().unwrap_or_default().to_string(),
            id: u16::from_be_bytes(id),
            kx,
            auth,
            enc: field("Enc="),
            mac: field("Mac="),
            bits: u32::try_from(c.bits().algorithm).unwrap_or(0),
            strength_bits: u32::try_from(c.bits().secret).unwrap_or(0),
            aead: ffi::is_aead(c),
            forward_secret: matches!(kx, Kx::Dhe | Kx::Ecdhe | Kx::Any),
            tls13: kx == Kx::Any,
            // OpenSSL says "TLSv1.0" here but "TLSv1" everywhere else.
            min_protocol: match c.version() {
                "TLSv1.0" => Protocol::Tls1,
                v => v.parse().unwrap_or(Protocol::Ssl3),
            },
        }
    }

    /// Encryption is NULL: traffic in clear text.
    pub fn is_null(&self) -> bool {
        self.enc.starts_with("None")
    }
    /// No server authentication (`aNULL`): no certificate.
    pub fn is_anonymous(&self) -> bool {
        self.auth == Auth::Null
    }
    /// The RC4 stream cipher.
    pub fn is_rc4(&self) -> bool {
        self.enc.starts_with("RC4")
    }
    /// Triple DES: a 64-bit block (Sweet32).
    pub fn is_3des(&self) -> bool {
        self.enc.starts_with("3DES")
    }
    /// 40/56-bit export-grade strength (cannot be offered by this build, but
    /// a server's choice is classified all the same).
    pub fn is_export(&self) -> bool {
        self.name.contains("EXP") || (self.strength_bits > 0 && self.strength_bits < 56)
    }
    /// Single DES (56 bits, or 40 for export): broken by brute force.
    pub fn is_des(&self) -> bool {
        self.enc.starts_with("DES(")
    }
    /// CBC-mode block cipher with an HMAC-SHA1 MAC: SSLv3-era construction.
    pub fn is_cbc_sha1(&self) -> bool {
        !self.aead && self.mac == "SHA1" && !self.is_rc4() && !self.is_null()
    }
    /// A cipher a current client would prefer: AEAD with forward secrecy and
    /// authentication.
    pub fn is_modern(&self) -> bool {
        self.aead && self.forward_secret && !self.is_anonymous()
    }
    /// ChaCha20-Poly1305 (offered last, see the module documentation).
    pub fn is_chacha(&self) -> bool {
        self.name.contains("CHACHA20")
    }
    /// Short labels for the legacy properties, for humans (`CBC`, `SHA-1`,
    /// `no PFS`, `RC4`, `3DES`, `anon`, `NULL`).
    pub fn legacy_labels(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.is_null() {
            v.push("NULL");
        }
        if self.is_anonymous() {
            v.push("anon");
        }
        if self.is_export() {
            v.push("EXPORT");
        }
        if self.is_rc4() {
            v.push("RC4");
        }
        if self.is_3des() {
            v.push("3DES");
        }
        if self.is_des() {
            v.push("DES");
        }
        if !self.aead && !self.is_rc4() && !self.is_null() {
            v.push("CBC");
        }
        if self.mac == "SHA1" || self.mac == "MD5" {
            v.push(if self.mac == "MD5" { "MD5" } else { "SHA-1" });
        }
        if !self.forward_secret {
            v.push("no PFS");
        }
        v
    }
}

/// Every suite this OpenSSL can offer, in the default offer order.
pub(crate) struct Catalogue {
    /// TLS 1.3 suites, ChaCha20 last.
    pub tls13: Vec<CipherSpec>,
    /// ≤ TLS 1.2 ciphers, strongest first, ChaCha20 last.
    pub tls12: Vec<CipherSpec>,
    by_name: HashMap<String, usize>,
    /// IANA names, upper-cased (`TLS_DH_ANON_WITH_…`): other TLS
    /// libraries' names are mapped to OpenSSL's through them.
    by_iana: HashMap<String, usize>,
}

impl Catalogue {
    /// The process-wide catalogue (built on first use).
    pub(crate) fn get() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(Catalogue::build)
    }

    fn build() -> Catalogue {
        let mut tls13 = Vec::new();
        let mut tls12 = Vec::new();
        let ctx = settings::permissive_client(Protocol::Ssl3, Protocol::Tls1_3)
            .map(|b| b.build())
            .ok();
        if let Some(ssl) = ctx.as_ref().and_then(|c| Ssl::new(c).ok()) {
            for c in ffi::offered_ciphers(&ssl) {
                let spec = CipherSpec::from_openssl(c);
                if spec.tls13 {
                    tls13.push(spec);
                } else {
                    tls12.push(spec);
                }
            }
        }
        let by_name = tls13
            .iter()
            .chain(tls12.iter())
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let by_iana = tls13
            .iter()
            .chain(tls12.iter())
            .enumerate()
            .filter(|(_, c)| !c.iana.is_empty())
            .map(|(i, c)| (c.iana.to_ascii_uppercase(), i))
            .collect();
        Catalogue {
            tls13,
            tls12,
            by_name,
            by_iana,
        }
    }

    /// Look a suite up by its OpenSSL name.
    /// Suites no OpenSSL 3 has are in the IANA table: `iana::lookup`.
    pub(crate) fn find(&self, name: &str) -> Option<&CipherSpec> {
        self.at(*self.by_name.get(name)?)
    }

    /// Look a suite up by its IANA name, in any case
    /// (`TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`, `TLS_DH_anon_WITH_…`).
    pub(crate) fn find_iana(&self, iana: &str) -> Option<&CipherSpec> {
        self.at(*self.by_iana.get(&iana.to_ascii_uppercase())?)
    }

    fn at(&self, i: usize) -> Option<&CipherSpec> {
        self.tls13
            .get(i)
            .or_else(|| self.tls12.get(i.checked_sub(self.tls13.len())?))
    }

    /// The suites that can be negotiated with `protocol`, in offer order.
    pub(crate) fn for_protocol(&self, protocol: Protocol) -> impl Iterator<Item = &CipherSpec> {
        let list = if protocol == Protocol::Tls1_3 {
            &self.tls13
        } else {
            &self.tls12
        };
        list.iter().filter(move |c| c.min_protocol <= protocol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_legacy_ciphers_a_prober_needs() {
        let cat = Catalogue::get();
        for name in [
            "ECDHE-RSA-AES256-GCM-SHA384",
            "DHE-RSA-AES256-SHA",
            "DES-CBC3-SHA",
            "RC4-SHA",
            "CAMELLIA256-SHA",
            "SEED-SHA",
            "IDEA-CBC-SHA",
            "ADH-AES256-GCM-SHA384",
            "DHE-DSS-AES256-SHA",
            "NULL-SHA",
        ] {
            assert!(cat.find(name).is_some(), "{name} missing from catalogue");
        }
        assert_eq!(cat.tls13.len(), 5);
        assert!(
            cat.tls12.len() <= 128,
            "{} ciphers: over what servers tolerate",
            cat.tls12.len()
        );
        assert!(cat.tls12.last().is_some_and(|c| c.is_chacha()));
        assert!(cat.tls13.last().is_some_and(|c| c.is_chacha()));
    }

    #[test]
    fn classifies_ciphers() {
        let cat = Catalogue::get();
        let c = |n: &str| cat.find(n).expect(n).clone();
        let gcm = c("ECDHE-RSA-AES256-GCM-SHA384");
        assert!(gcm.is_modern() && gcm.aead && gcm.forward_secret);
        assert_eq!(gcm.iana, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
        assert_eq!(gcm.id, 0xC030);
        let by_iana = |n: &str| cat.find_iana(n).map(|c| c.name.as_str());
        assert_eq!(
            by_iana("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            Some("ECDHE-RSA-AES256-GCM-SHA384")
        );
        assert_eq!(
            by_iana("TLS_DH_ANON_WITH_AES_128_CBC_SHA"),
            Some("ADH-AES128-SHA")
        );
        assert_eq!(
            by_iana("TLS_AES_256_GCM_SHA384"),
            Some("TLS_AES_256_GCM_SHA384")
        );
        assert_eq!(by_iana("TLS_NO_SUCH_SUITE"), None);
        let dhe = c("DHE-RSA-AES256-SHA");
        assert!(dhe.is_cbc_sha1() && dhe.forward_secret && !dhe.is_modern());
        assert_eq!(dhe.legacy_labels(), vec!["CBC", "SHA-1"]);
        let rsa = c("AES128-GCM-SHA256");
        assert!(rsa.aead && !rsa.forward_secret && rsa.kx == Kx::Rsa);
        assert!(c("DES-CBC3-SHA").is_3des());
        assert!(c("RC4-SHA").is_rc4());
        assert!(c("ADH-AES256-GCM-SHA384").is_anonymous());
        assert!(c("NULL-SHA").is_null());
        assert_eq!(c("DHE-DSS-AES256-SHA").auth, Auth::Dss);
        let t13 = c("TLS_AES_256_GCM_SHA384");
        assert!(t13.tls13 && t13.is_modern() && t13.bits == 256);
        assert_eq!(t13.min_protocol, Protocol::Tls1_3);
        assert_eq!(gcm.min_protocol, Protocol::Tls1_2);
        assert_eq!(c("ECDHE-RSA-AES256-SHA").min_protocol, Protocol::Tls1);
        assert_eq!(dhe.min_protocol, Protocol::Ssl3);
        let ssl3: Vec<_> = cat
            .for_protocol(Protocol::Ssl3)
            .map(|c| c.name.as_str())
            .collect();
        assert!(ssl3.contains(&"DES-CBC3-SHA") && !ssl3.contains(&"ECDHE-RSA-AES256-SHA"));
    }
}
