//! Which negotiated protocol/cipher pairs are weak, named by finding ID.
//!
//! The seam: [`Classifier`] turns a protocol and a cipher name, as logged,
//! into finding IDs; an empty list means "not weak". A [`super::Tally`]
//! asks it once per distinct key, tracks peers only for weak keys, and
//! renderers print the IDs next to the key. [`DefaultClassifier`] applies
//! the fixed rules below; the policy engine implements the same trait so
//! that `--policy` decides instead.
//!
//! | finding ID | when |
//! |---|---|
//! | `protocol-sslv3`, `protocol-tlsv1`, `protocol-tlsv1.1` | the protocol |
//! | `cipher-null` | no encryption |
//! | `cipher-anon` | no server authentication |
//! | `cipher-export` | 40/56-bit export grade, and single DES |
//! | `cipher-rc4` | RC4 (ARCFOUR) |
//! | `cipher-3des` | triple DES |
//! | `cipher-no-pfs` | static RSA (or static DH, PSK) key exchange |
//! | `cipher-cbc-sha1` | CBC-mode block cipher with an HMAC-SHA1 MAC |
//!
//! TLS 1.3 suites get no cipher findings: all are AEAD with ephemeral key
//! exchange.

use crate::model::FindingId;
use crate::tls::cipher::CipherSpec;
use crate::tls::Protocol;

/// Decides which negotiated parameters are weak.
///
/// Called once per distinct `PROTOCOL:CIPHER:BITS` key and counting
/// thread, so it may be slow; it must be deterministic (the threads'
/// answers are merged) and shareable between threads (`Send + Sync`).
/// `cipher` is OpenSSL's name of the suite (`ECDHE-RSA-AES256-GCM-SHA384`)
/// wherever the logged name maps to one, GnuTLS's included; else the name
/// as logged (a GnuTLS name that matches no single OpenSSL suite,
/// `ECDHE_SECP256R1__AES_256_GCM`, or one OpenSSL 3 dropped).
pub trait Classifier {
    /// Finding IDs, most important first; empty if nothing is wrong.
    fn findings(&self, protocol: Protocol, cipher: &str) -> Vec<String>;
}

/// The built-in rules (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultClassifier;

impl DefaultClassifier {
    /// The findings of `protocol` and `cipher`, most important first.
    pub fn ids(&self, protocol: Protocol, cipher: &str) -> Vec<FindingId> {
        let mut ids = Vec::new();
        match protocol {
            Protocol::Ssl3 => ids.push(FindingId::ProtocolSslv3),
            Protocol::Tls1 => ids.push(FindingId::ProtocolTlsv1),
            Protocol::Tls1_1 => ids.push(FindingId::ProtocolTlsv1_1),
            Protocol::Tls1_2 | Protocol::Tls1_3 => {}
        }
        ids.extend(self.cipher_ids(protocol, cipher));
        ids
    }

    /// The findings of the cipher alone, whatever the protocol's.
    pub fn cipher_ids(&self, protocol: Protocol, cipher: &str) -> Vec<FindingId> {
        if protocol == Protocol::Tls1_3 {
            return Vec::new();
        }
        let props = match crate::tls::iana::lookup(cipher) {
            Some(spec) => Props::of_spec(spec),
            None => Props::of_name(cipher),
        };
        props.ids().collect()
    }
}

/// The trait speaks strings so that other classifiers may name findings of
/// their own; the built-in rules name catalogue findings only.
impl Classifier for DefaultClassifier {
    fn findings(&self, protocol: Protocol, cipher: &str) -> Vec<String> {
        self.ids(protocol, cipher)
            .into_iter()
            .map(|id| id.as_str().to_string())
            .collect()
    }
}

/// The weak properties of a cipher suite.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Props {
    null: bool,
    anon: bool,
    export: bool,
    rc4: bool,
    triple_des: bool,
    des: bool,
    no_pfs: bool,
    cbc_sha1: bool,
}

impl Props {
    fn ids(self) -> impl Iterator<Item = FindingId> {
        [
            (self.null, FindingId::CipherNull),
            (self.anon, FindingId::CipherAnon),
            (self.export, FindingId::CipherExport),
            (self.rc4, FindingId::CipherRc4),
            (self.triple_des, FindingId::Cipher3des),
            (self.des, FindingId::CipherDes),
            (self.no_pfs, FindingId::CipherNoPfs),
            (self.cbc_sha1, FindingId::CipherCbcSha1),
        ]
        .into_iter()
        .filter_map(|(set, id)| set.then_some(id))
    }

    /// From what OpenSSL says about a suite it knows.
    fn of_spec(spec: &CipherSpec) -> Props {
        Props {
            null: spec.is_null(),
            anon: spec.is_anonymous(),
            export: spec.is_export(),
            rc4: spec.is_rc4(),
            triple_des: spec.is_3des(),
            des: spec.is_des(),
            no_pfs: !spec.forward_secret,
            cbc_sha1: spec.is_cbc_sha1(),
        }
    }

    /// From the components of a name this OpenSSL does not know: GnuTLS
    /// names, and OpenSSL names of suites removed from OpenSSL 3
    /// (`EXP-RC4-MD5`, `DES-CBC-SHA`).
    ///
    /// Both spell a suite as key exchange, then cipher, then MAC, split by
    /// `-` (OpenSSL) or `_` (GnuTLS; Exim's rendering of GnuTLS session
    /// descriptions separates the groups with `__`). OpenSSL names without
    /// a key exchange (`AES128-SHA`) mean static RSA.
    fn of_name(name: &str) -> Props {
        let upper = name.to_ascii_uppercase();
        let mut tokens: Vec<&str> = upper.split(['-', '_']).filter(|t| !t.is_empty()).collect();
        // IANA spelling: TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384.
        if tokens.first() == Some(&"TLS") && tokens.contains(&"WITH") {
            tokens.retain(|t| *t != "TLS" && *t != "WITH");
        }
        let has = |t: &str| tokens.contains(&t);
        let export = tokens
            .iter()
            .any(|t| t.starts_with("EXP") || *t == "40" || *t == "DES40");
        // The key exchange is the first token after any EXPORT marker.
        let kx = tokens
            .iter()
            .find(|t| !t.starts_with("EXP"))
            .copied()
            .unwrap_or("");
        let anon = has("ANON") || kx == "ADH" || kx == "AECDH";
        let forward_secret = match kx {
            "DHE" | "EDH" | "ECDHE" | "EECDH" | "ADH" | "AECDH" => true,
            // GnuTLS 2 `ANON_DH_...`; GnuTLS 3 `DH_ANON_...`. Without ANON,
            // DH and ECDH are static (fixed-key) exchanges.
            "ANON" => true,
            "DH" | "ECDH" => anon,
            // A TLS 1.3 suite name under an older protocol label.
            "TLS" => true,
            _ => false,
        };
        let triple_des = has("3DES") || has("CBC3") || has("DES3") || has("EDE3") || has("EDE");
        let aead = tokens
            .iter()
            .any(|t| t.starts_with("GCM") || t.starts_with("CCM") || *t == "POLY1305");
        let null = has("NULL");
        let rc4 = has("RC4") || has("ARCFOUR");
        let sha1_mac = matches!(tokens.last(), Some(&"SHA") | Some(&"SHA1"));
        Props {
            null,
            anon,
            export,
            rc4,
            triple_des,
            des: (has("DES") || has("DES40")) && !triple_des,
            no_pfs: !forward_secret,
            cbc_sha1: sha1_mac && !aead && !rc4 && !null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FindingId::*;

    fn ids(protocol: Protocol, cipher: &str) -> Vec<FindingId> {
        DefaultClassifier.ids(protocol, cipher)
    }

    #[test]
    fn openssl_names_use_the_catalogue() {
        use Protocol::*;
        let table: &[(Protocol, &str, &[FindingId])] = &[
            (Tls1_2, "ECDHE-RSA-AES256-GCM-SHA384", &[]),
            (Tls1_3, "TLS_AES_256_GCM_SHA384", &[]),
            (Tls1_2, "DHE-RSA-AES256-SHA", &[CipherCbcSha1]),
            (
                Tls1,
                "ECDHE-RSA-AES256-SHA",
                &[ProtocolTlsv1, CipherCbcSha1],
            ),
            (
                Tls1,
                "DES-CBC3-SHA",
                &[ProtocolTlsv1, Cipher3des, CipherNoPfs, CipherCbcSha1],
            ),
            (Ssl3, "RC4-SHA", &[ProtocolSslv3, CipherRc4, CipherNoPfs]),
            (Tls1_2, "AES256-GCM-SHA384", &[CipherNoPfs]),
            (
                Tls1_1,
                "ADH-AES256-SHA",
                &[ProtocolTlsv1_1, CipherAnon, CipherCbcSha1],
            ),
            (Tls1_2, "NULL-SHA", &[CipherNull, CipherNoPfs]),
            (Tls1_2, "AES128-SHA256", &[CipherNoPfs]),
        ];
        for (p, c, want) in table {
            assert_eq!(ids(*p, c), *want, "{p}:{c}");
        }
    }

    /// Names as GnuTLS-built Exim logs them: `gnutls_cipher_suite_get_name`
    /// (GnuTLS 2, older Exim) and the session description (Exim ≥ 4.92).
    #[test]
    fn gnutls_names() {
        use Protocol::*;
        let table: &[(Protocol, &str, &[FindingId])] = &[
            (Tls1_2, "ECDHE_RSA_AES_256_GCM_SHA384", &[]),
            (Tls1_2, "ECDHE_ECDSA_CHACHA20_POLY1305", &[]),
            (Tls1_2, "DHE_RSA_AES_128_CCM", &[]),
            (Tls1_2, "ECDHE_RSA_AES_128_CBC_SHA256", &[]),
            (Tls1_2, "DHE_RSA_AES_256_CBC_SHA1", &[CipherCbcSha1]),
            (Tls1_2, "RSA_AES_128_GCM_SHA256", &[CipherNoPfs]),
            (
                Tls1,
                "RSA_AES_256_CBC_SHA1",
                &[ProtocolTlsv1, CipherNoPfs, CipherCbcSha1],
            ),
            (
                Tls1,
                "RSA_3DES_EDE_CBC_SHA1",
                &[ProtocolTlsv1, Cipher3des, CipherNoPfs, CipherCbcSha1],
            ),
            (
                Tls1,
                "RSA_ARCFOUR_128_SHA1",
                &[ProtocolTlsv1, CipherRc4, CipherNoPfs],
            ),
            (
                Ssl3,
                "RSA_ARCFOUR_128_MD5",
                &[ProtocolSslv3, CipherRc4, CipherNoPfs],
            ),
            (Tls1_2, "RSA_NULL_SHA1", &[CipherNull, CipherNoPfs]),
            (
                Tls1,
                "ANON_DH_AES_128_CBC_SHA1",
                &[ProtocolTlsv1, CipherAnon, CipherCbcSha1],
            ),
            (Tls1_2, "DH_ANON_AES_128_GCM_SHA256", &[CipherAnon]),
            (
                Tls1_2,
                "ECDH_ANON_3DES_EDE_CBC_SHA1",
                &[CipherAnon, Cipher3des, CipherCbcSha1],
            ),
            (
                Tls1,
                "RSA_EXPORT_ARCFOUR_40_MD5",
                &[ProtocolTlsv1, CipherExport, CipherRc4, CipherNoPfs],
            ),
            (Tls1_2, "PSK_AES_128_GCM_SHA256", &[CipherNoPfs]),
            (Tls1_2, "ECDHE_PSK_AES_128_CBC_SHA256", &[]),
            // Session descriptions, as Exim renders them.
            (
                Tls1_3,
                "ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_256_GCM",
                &[],
            ),
            (
                Tls1_3,
                "ECDHE_X25519__ECDSA_SECP256R1_SHA256__CHACHA20_POLY1305",
                &[],
            ),
            (
                Tls1_3,
                "DHE_FFDHE2048__RSA_PSS_RSAE_SHA256__AES_128_GCM",
                &[],
            ),
            (Tls1_2, "ECDHE_SECP256R1__RSA_SHA256__AES_256_GCM", &[]),
            (Tls1_2, "ECDHE_SECP384R1__RSA_SHA1__AES_128_GCM", &[]),
            (
                Tls1_2,
                "ECDHE_SECP256R1__RSA_SHA256__AES_256_CBC__SHA1",
                &[CipherCbcSha1],
            ),
            (
                Tls1_2,
                "DHE_FFDHE2048__RSA_SHA256__AES_256_CBC__SHA256",
                &[],
            ),
            (Tls1_2, "RSA__AES_128_GCM", &[CipherNoPfs]),
            (
                Tls1,
                "RSA__3DES_CBC__SHA1",
                &[ProtocolTlsv1, Cipher3des, CipherNoPfs, CipherCbcSha1],
            ),
            (
                Tls1,
                "RSA__ARCFOUR_128__MD5",
                &[ProtocolTlsv1, CipherRc4, CipherNoPfs],
            ),
            (
                Tls1_2,
                "ANON_ECDH__AES_128_CBC__SHA1",
                &[CipherAnon, CipherCbcSha1],
            ),
            (
                Tls1_1,
                "DHE_CUSTOM1024__RSA_SHA1__CAMELLIA_128_CBC__SHA1",
                &[ProtocolTlsv1_1, CipherCbcSha1],
            ),
        ];
        for (p, c, want) in table {
            assert_eq!(ids(*p, c), *want, "{p}:{c}");
        }
    }

    #[test]
    fn openssl_names_missing_from_openssl_3() {
        use Protocol::*;
        let table: &[(Protocol, &str, &[FindingId])] = &[
            (
                Ssl3,
                "EXP-RC4-MD5",
                &[ProtocolSslv3, CipherExport, CipherRc4, CipherNoPfs],
            ),
            (
                Ssl3,
                "EXP-EDH-RSA-DES-CBC-SHA",
                &[ProtocolSslv3, CipherExport, CipherDes, CipherCbcSha1],
            ),
            (
                Tls1,
                "DES-CBC-SHA",
                &[ProtocolTlsv1, CipherDes, CipherNoPfs, CipherCbcSha1],
            ),
            (
                Tls1,
                "EDH-RSA-DES-CBC3-SHA",
                &[ProtocolTlsv1, Cipher3des, CipherCbcSha1],
            ),
            (Tls1_2, "DH-RSA-AES256-GCM-SHA384", &[CipherNoPfs]),
            (
                Tls1_2,
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                &[CipherCbcSha1],
            ),
        ];
        for (p, c, want) in table {
            assert_eq!(ids(*p, c), *want, "{p}:{c}");
        }
    }

    /// The name rules agree with OpenSSL on every suite it knows, so the
    /// two paths classify alike.
    #[test]
    fn name_rules_agree_with_the_catalogue() {
        let cat = crate::tls::cipher::Catalogue::get();
        assert!(!cat.tls12.is_empty());
        for spec in cat.tls12.iter().chain(cat.tls13.iter()) {
            assert_eq!(
                Props::of_name(&spec.name),
                Props::of_spec(spec),
                "{}",
                spec.name
            );
        }
    }
}
