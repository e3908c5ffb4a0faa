//! Cipher suites, key-exchange groups and signature algorithms as mail
//! servers log them, in one spelling: OpenSSL's.
//!
//! Exim built on OpenSSL logs `X=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256`;
//! Exim built on GnuTLS (Debian's and Ubuntu's exim4) logs the same suite
//! as GnuTLS describes it, in one of two forms:
//!
//! - the session description (GnuTLS ≥ 3.1.10, `gnutls_session_get_desc`),
//!   `(TLS1.2)-(ECDHE-SECP521R1)-(RSA-SHA512)-(AES-256-GCM)`, which Exim
//!   rewrites (`peer_status()` in `tls-gnu.c`): parentheses dropped, `-`
//!   inside a part becomes `_`, parts are joined with `__`:
//!   `ECDHE_SECP521R1__RSA_SHA512__AES_256_GCM`. The parts are the key
//!   exchange with its group (`ECDHE_X25519`, `DHE_FFDHE2048`,
//!   `DHE_CUSTOM2048` for unnamed DH groups; GnuTLS < 3.6 put the
//!   authentication there too: `ECDHE_RSA_SECP256R1`, `DHE_RSA_2048`), the
//!   server's signature algorithm (`RSA_PSS_RSAE_SHA256`; absent in
//!   resumed sessions), the cipher (`AES_256_GCM`, `3DES_CBC`,
//!   `ARCFOUR_128`) and, for non-AEAD ciphers, the MAC (`SHA1`; some
//!   versions wrote `AEAD` for AEAD ciphers);
//! - the suite name (`gnutls_cipher_suite_get_name`, older builds):
//!   `ECDHE_RSA_AES_256_GCM_SHA384`, `DHE_RSA_AES_128_CBC_SHA1`,
//!   `RSA_3DES_EDE_CBC_SHA1`, `RSA_ARCFOUR_128_SHA1`.
//!
//! Both are taken apart into key exchange, authentication, cipher and MAC,
//! put together as the IANA name (`TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`)
//! and looked up in the cipher catalogue, which gives OpenSSL's name and
//! key bits (OpenSSL counts 3DES as 168 bits where GnuTLS says 192). In
//! TLS 1.3 the suite is only cipher and hash, and OpenSSL's name is the
//! IANA one (`TLS_AES_256_GCM_SHA384`).
//!
//! A name that does not say enough to pick one suite (a resumed TLS 1.2
//! session logs no signature, so `ECDHE_SECP256R1__AES_256_GCM` could be
//! ECDHE-RSA or ECDHE-ECDSA) or names a suite in no table (GnuTLS's
//! GOST spellings) is kept as logged, with the reason: no guessing. Suites
//! no OpenSSL 3 has (`RSA__CAMELLIA_128_GCM`, export grade, PSK) are named
//! from the IANA table (`tls::iana`).
//!
//! Groups and signature algorithms are spelled as OpenSSL names TLS groups
//! (`x25519`, `secp256r1`, `ffdhe2048`, `X25519MLKEM768`) and signature
//! schemes (`rsa_pss_rsae_sha256`, `ecdsa_secp256r1_sha256`, `ed25519`);
//! names without an OpenSSL spelling are kept as logged.

use crate::tls::Protocol;

/// A cipher name as counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cipher {
    /// OpenSSL's name, or the name as logged (see `kept`).
    pub name: String,
    pub bits: u32,
    /// Why a GnuTLS name was kept as logged; `None` when `name` is
    /// OpenSSL's (or the name looks like no GnuTLS name at all).
    pub kept: Option<&'static str>,
}

/// Why a GnuTLS name maps to no OpenSSL suite.
pub(crate) const NO_AUTHENTICATION: &str = "no authentication logged, as in resumed sessions";
pub(crate) const UNKNOWN_CIPHER: &str = "cipher not known to OpenSSL";
pub(crate) const UNKNOWN_KEY_EXCHANGE: &str = "key exchange not understood";
pub(crate) const NO_MAC: &str = "the MAC is not logged";
pub(crate) const NO_SUCH_SUITE: &str = "no such suite in OpenSSL";

/// The OpenSSL name and bits of `cipher` as logged with `protocol`.
pub(crate) fn cipher(protocol: Protocol, logged: &str, bits: u32) -> Cipher {
    let as_logged = |kept| Cipher {
        name: logged.to_string(),
        bits,
        kept,
    };
    if crate::tls::iana::lookup(logged).is_some() {
        return as_logged(None);
    }
    // An IANA name (`TLS_ECDHE_RSA_WITH_…`), as some tools log.
    if let Some(spec) = crate::tls::iana::lookup_iana(logged) {
        return Cipher {
            name: spec.name.clone(),
            bits: spec.bits,
            kept: None,
        };
    }
    // OpenSSL names OpenSSL 3 dropped (`EXP-RC4-MD5`) have dashes; GnuTLS
    // names never do.
    if !looks_gnutls(logged) {
        return as_logged(None);
    }
    let iana = match gnutls_suite(protocol, logged) {
        Ok(iana) => iana,
        Err(why) => return as_logged(Some(why)),
    };
    match crate::tls::iana::lookup_iana(&iana) {
        Some(spec) => Cipher {
            name: spec.name.clone(),
            bits: spec.bits,
            kept: None,
        },
        None => as_logged(Some(NO_SUCH_SUITE)),
    }
}

fn looks_gnutls(name: &str) -> bool {
    name.contains('_') && !name.contains('-')
}

/// What a GnuTLS session description (parts joined with `__`) says beyond
/// the suite: the key-exchange group and the server's signature algorithm,
/// in GnuTLS's spelling (`SECP256R1`, `X25519-MLKEM768`,
/// `RSA_PSS_RSAE_SHA256`); empty where it says nothing, and for suite
/// names. GnuTLS < 3.6 gave unnamed DH groups as their size (`DHE_RSA_2048`),
/// later ones as `CUSTOM2048`: both become the latter.
pub(crate) fn gnutls_extras(logged: &str) -> (String, &str) {
    if !looks_gnutls(logged) || !logged.contains("__") {
        return (String::new(), "");
    }
    let mut parts = logged.split("__");
    let kx = parts.next().unwrap_or("");
    let signature = parts
        .next()
        .filter(|p| cipher_of(&tokens(p)).is_none() && !p.eq_ignore_ascii_case("AEAD"))
        .unwrap_or("");
    let group = match KeyExchange::parse(&tokens(kx)) {
        Some((_, [bits])) if bits.bytes().all(|b| b.is_ascii_digit()) => format!("CUSTOM{bits}"),
        Some((_, group)) => group.join("-"),
        None => String::new(),
    };
    (group, signature)
}

fn tokens(s: &str) -> Vec<String> {
    s.split('_')
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

/// Key exchange and authentication as IANA names them
/// (`TLS_<this>_WITH_…`); `None` for the authentication when only the
/// signature algorithm tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyExchange {
    kx: &'static str,
    auth: Option<&'static str>,
}

impl KeyExchange {
    /// The key exchange at the start of `tokens`, and the tokens after it
    /// (a group, DH bits, or nothing).
    fn parse(tokens: &[String]) -> Option<(KeyExchange, &[String])> {
        // Longest first: `DHE_PSK` before `DHE`.
        const TABLE: &[(&[&str], &str, Option<&str>)] = &[
            (&["ECDHE", "RSA"], "ECDHE", Some("RSA")),
            (&["ECDHE", "ECDSA"], "ECDHE", Some("ECDSA")),
            (&["ECDHE", "PSK"], "ECDHE", Some("PSK")),
            (&["DHE", "RSA"], "DHE", Some("RSA")),
            (&["DHE", "DSS"], "DHE", Some("DSS")),
            (&["DHE", "PSK"], "DHE", Some("PSK")),
            (&["RSA", "PSK"], "RSA", Some("PSK")),
            (&["RSA", "EXPORT"], "RSA", Some("EXPORT")),
            (&["ANON", "ECDH"], "ECDH", Some("anon")),
            (&["ECDH", "ANON"], "ECDH", Some("anon")),
            (&["ANON", "DH"], "DH", Some("anon")),
            (&["DH", "ANON"], "DH", Some("anon")),
            (&["SRP", "SHA", "RSA"], "SRP_SHA", Some("RSA")),
            (&["SRP", "SHA", "DSS"], "SRP_SHA", Some("DSS")),
            (&["SRP", "RSA"], "SRP_SHA", Some("RSA")),
            (&["SRP", "DSS"], "SRP_SHA", Some("DSS")),
            (&["SRP", "SHA"], "SRP", Some("SHA")),
            (&["SRP"], "SRP", Some("SHA")),
            (&["ECDHE"], "ECDHE", None),
            (&["DHE"], "DHE", None),
            (&["RSA"], "RSA", Some("")),
            (&["PSK"], "PSK", Some("")),
            // TLS 1.3 hybrid post-quantum groups: no suite to name.
            (&["HYBRID"], "", Some("")),
        ];
        TABLE.iter().find_map(|(prefix, kx, auth)| {
            let n = prefix.len();
            let head = tokens.get(..n)?;
            head.iter()
                .zip(prefix.iter())
                .all(|(t, p)| t == p)
                .then(|| (KeyExchange { kx, auth: *auth }, &tokens[n..]))
        })
    }

    /// `ECDHE_RSA`, `DH_anon`, `RSA`: the part of an IANA name before
    /// `_WITH_`.
    fn iana(&self, auth: &str) -> String {
        match (self.kx, auth) {
            (kx, "") => kx.to_string(),
            (kx, auth) => format!("{kx}_{auth}"),
        }
    }
}

/// A bulk cipher: GnuTLS's tokens, IANA's spelling, and for AEAD ciphers
/// the hash that completes IANA's name (empty for CCM).
struct BulkCipher {
    gnutls: &'static [&'static str],
    iana: &'static str,
    aead_hash: Option<&'static str>,
}

const CIPHERS: &[BulkCipher] = &[
    BulkCipher {
        gnutls: &["AES", "128", "CCM", "8"],
        iana: "AES_128_CCM_8",
        aead_hash: Some(""),
    },
    BulkCipher {
        gnutls: &["AES", "256", "CCM", "8"],
        iana: "AES_256_CCM_8",
        aead_hash: Some(""),
    },
    BulkCipher {
        gnutls: &["AES", "128", "CCM"],
        iana: "AES_128_CCM",
        aead_hash: Some(""),
    },
    BulkCipher {
        gnutls: &["AES", "256", "CCM"],
        iana: "AES_256_CCM",
        aead_hash: Some(""),
    },
    BulkCipher {
        gnutls: &["AES", "128", "GCM"],
        iana: "AES_128_GCM",
        aead_hash: Some("SHA256"),
    },
    BulkCipher {
        gnutls: &["AES", "256", "GCM"],
        iana: "AES_256_GCM",
        aead_hash: Some("SHA384"),
    },
    BulkCipher {
        gnutls: &["AES", "128", "CBC"],
        iana: "AES_128_CBC",
        aead_hash: None,
    },
    BulkCipher {
        gnutls: &["AES", "256", "CBC"],
        iana: "AES_256_CBC",
        aead_hash: None,
    },
    BulkCipher {
        gnutls: &["CHACHA20", "POLY1305"],
        iana: "CHACHA20_POLY1305",
        aead_hash: Some("SHA256"),
    },
    BulkCipher {
        gnutls: &["CAMELLIA", "128", "GCM"],
        iana: "CAMELLIA_128_GCM",
        aead_hash: Some("SHA256"),
    },
    BulkCipher {
        gnutls: &["CAMELLIA", "256", "GCM"],
        iana: "CAMELLIA_256_GCM",
        aead_hash: Some("SHA384"),
    },
    BulkCipher {
        gnutls: &["CAMELLIA", "128", "CBC"],
        iana: "CAMELLIA_128_CBC",
        aead_hash: None,
    },
    BulkCipher {
        gnutls: &["CAMELLIA", "256", "CBC"],
        iana: "CAMELLIA_256_CBC",
        aead_hash: None,
    },
    // Suite names say `3DES_EDE_CBC`, descriptions `3DES_CBC`.
    BulkCipher {
        gnutls: &["3DES", "EDE", "CBC"],
        iana: "3DES_EDE_CBC",
        aead_hash: None,
    },
    BulkCipher {
        gnutls: &["3DES", "CBC"],
        iana: "3DES_EDE_CBC",
        aead_hash: None,
    },
    BulkCipher {
        gnutls: &["ARCFOUR", "128"],
        iana: "RC4_128",
        aead_hash: None,
    },
    BulkCipher {
        gnutls: &["ARCFOUR", "40"],
        iana: "RC4_40",
        aead_hash: None,
    },
    // GnuTLS 2 spelled ARCFOUR-128 `ARCFOUR`.
    BulkCipher {
        gnutls: &["ARCFOUR"],
        iana: "RC4_128",
        aead_hash: None,
    },
    BulkCipher {
        gnutls: &["DES", "CBC"],
        iana: "DES_CBC",
        aead_hash: None,
    },
    BulkCipher {
        gnutls: &["RC2", "40", "CBC"],
        iana: "RC2_CBC_40",
        aead_hash: None,
    },
    BulkCipher {
        gnutls: &["RC2", "40"],
        iana: "RC2_CBC_40",
        aead_hash: None,
    },
    BulkCipher {
        gnutls: &["NULL"],
        iana: "NULL",
        aead_hash: None,
    },
];

/// The cipher at the start of `tokens`, and how many tokens it takes.
fn cipher_of(tokens: &[String]) -> Option<(&'static BulkCipher, usize)> {
    CIPHERS.iter().find_map(|c| {
        let n = c.gnutls.len();
        let head = tokens.get(..n)?;
        head.iter()
            .zip(c.gnutls.iter())
            .all(|(t, g)| t == g)
            .then_some((c, n))
    })
}

/// The cipher anywhere in `tokens`: where it starts, the cipher, its
/// length in tokens.
fn find_cipher(tokens: &[String]) -> Option<(usize, &'static BulkCipher, usize)> {
    (0..tokens.len()).find_map(|i| cipher_of(&tokens[i..]).map(|(c, n)| (i, c, n)))
}

/// IANA's MAC suffix for a GnuTLS MAC name.
fn mac(token: &str) -> Option<&'static str> {
    match token {
        "SHA1" | "SHA" => Some("SHA"),
        "SHA256" => Some("SHA256"),
        "SHA384" => Some("SHA384"),
        "MD5" => Some("MD5"),
        _ => None,
    }
}

/// The authentication a signature algorithm implies in TLS ≤ 1.2 suite
/// names (EdDSA certificates use the ECDSA suites, RFC 8422 §5.1).
fn auth_of_signature(signature: &[String]) -> Option<&'static str> {
    match signature.first()?.as_str() {
        "RSA" => Some("RSA"),
        "ECDSA" | "EDDSA" => Some("ECDSA"),
        "DSA" => Some("DSS"),
        _ => None,
    }
}

/// The IANA name of a GnuTLS suite name or session description.
fn gnutls_suite(protocol: Protocol, logged: &str) -> Result<String, &'static str> {
    let all = tokens(logged);
    if protocol == Protocol::Tls1_3 {
        // Cipher and hash make the suite; group and signature are apart.
        let (_, c, _) = find_cipher(&all).ok_or(UNKNOWN_CIPHER)?;
        let hash = match c.aead_hash {
            Some("") => "SHA256",
            Some(h) => h,
            None => return Err(NO_SUCH_SUITE),
        };
        return Ok(format!("TLS_{}_{hash}", c.iana));
    }
    let (kx, signature, rest): (KeyExchange, Vec<String>, Vec<String>) = if logged.contains("__") {
        // Session description: KX[_GROUP] [__SIGNATURE] __CIPHER [__MAC].
        let parts: Vec<Vec<String>> = logged.split("__").map(tokens).collect();
        let (first, others) = parts.split_first().ok_or(UNKNOWN_KEY_EXCHANGE)?;
        let (kx, _group) = KeyExchange::parse(first).ok_or(UNKNOWN_KEY_EXCHANGE)?;
        let at = others
            .iter()
            .position(|p| cipher_of(p).is_some_and(|(_, n)| n == p.len()))
            .ok_or(UNKNOWN_CIPHER)?;
        let signature = if at > 0 {
            others[at - 1].clone()
        } else {
            Vec::new()
        };
        let rest = others[at..].concat();
        (kx, signature, rest)
    } else {
        // Suite name: KX_AUTH_CIPHER_MAC.
        let (kx, after) = KeyExchange::parse(&all).ok_or(UNKNOWN_KEY_EXCHANGE)?;
        (kx, Vec::new(), after.to_vec())
    };
    if kx.kx.is_empty() {
        return Err(UNKNOWN_KEY_EXCHANGE);
    }
    let auth = match kx.auth {
        Some(auth) => auth,
        None => auth_of_signature(&signature).ok_or(NO_AUTHENTICATION)?,
    };
    let (c, n) = cipher_of(&rest).ok_or(UNKNOWN_CIPHER)?;
    let tail: Vec<&str> = rest[n..]
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "AEAD")
        .collect();
    let suffix = match (c.aead_hash, tail.as_slice()) {
        (Some(""), []) => String::new(),
        (Some(hash), []) => format!("_{hash}"),
        // Suite names repeat the hash (`AES_256_GCM_SHA384`).
        (Some(hash), [logged]) if *logged == hash => format!("_{hash}"),
        (Some(_), _) => return Err(NO_SUCH_SUITE),
        (None, [m]) => format!("_{}", mac(m).ok_or(NO_SUCH_SUITE)?),
        (None, []) => return Err(NO_MAC),
        (None, _) => return Err(NO_SUCH_SUITE),
    };
    Ok(format!("TLS_{}_WITH_{}{suffix}", kx.iana(auth), c.iana))
}

/// A key-exchange group as OpenSSL names it (`x25519`, `secp256r1`,
/// `ffdhe2048`, `X25519MLKEM768`, `SecP256r1MLKEM768`), from GnuTLS's
/// (`X25519`, `SECP256R1`, `X25519-MLKEM768`, `X25519_MLKEM768` in a
/// description), OpenSSL's own, or an X9.62/NIST curve name
/// (`prime256v1`, `P-256`); other names as logged.
pub(crate) fn group(logged: &str) -> String {
    let squashed: String = logged
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .collect::<String>()
        .to_ascii_uppercase();
    let name = match squashed.as_str() {
        "X25519" => "x25519",
        "X448" => "x448",
        "SECP256R1" | "PRIME256V1" | "P256" => "secp256r1",
        "SECP384R1" | "P384" => "secp384r1",
        "SECP521R1" | "P521" => "secp521r1",
        "SECP224R1" | "P224" => "secp224r1",
        "SECP192R1" | "PRIME192V1" | "P192" => "secp192r1",
        "FFDHE2048" => "ffdhe2048",
        "FFDHE3072" => "ffdhe3072",
        "FFDHE4096" => "ffdhe4096",
        "FFDHE6144" => "ffdhe6144",
        "FFDHE8192" => "ffdhe8192",
        "X25519MLKEM768" => "X25519MLKEM768",
        "SECP256R1MLKEM768" => "SecP256r1MLKEM768",
        "SECP384R1MLKEM1024" => "SecP384r1MLKEM1024",
        "MLKEM512" => "MLKEM512",
        "MLKEM768" => "MLKEM768",
        "MLKEM1024" => "MLKEM1024",
        _ => return logged.to_string(),
    };
    name.to_string()
}

/// A signature algorithm as OpenSSL names TLS signature schemes
/// (`rsa_pss_rsae_sha256`), from GnuTLS's name (`RSA-PSS-RSAE-SHA256`,
/// `RSA_PSS_RSAE_SHA256` in a description) or OpenSSL's own; other names
/// as logged.
pub(crate) fn signature(logged: &str) -> String {
    let upper = logged.replace('-', "_").to_ascii_uppercase();
    let name = match upper.as_str() {
        "RSA_SHA1" | "RSA_PKCS1_SHA1" => "rsa_pkcs1_sha1",
        "RSA_SHA224" | "RSA_PKCS1_SHA224" => "rsa_pkcs1_sha224",
        "RSA_SHA256" | "RSA_PKCS1_SHA256" => "rsa_pkcs1_sha256",
        "RSA_SHA384" | "RSA_PKCS1_SHA384" => "rsa_pkcs1_sha384",
        "RSA_SHA512" | "RSA_PKCS1_SHA512" => "rsa_pkcs1_sha512",
        "RSA_PSS_RSAE_SHA256" => "rsa_pss_rsae_sha256",
        "RSA_PSS_RSAE_SHA384" => "rsa_pss_rsae_sha384",
        "RSA_PSS_RSAE_SHA512" => "rsa_pss_rsae_sha512",
        // GnuTLS's RSA-PSS-SHAx is the scheme for RSA-PSS keys.
        "RSA_PSS_SHA256" | "RSA_PSS_PSS_SHA256" => "rsa_pss_pss_sha256",
        "RSA_PSS_SHA384" | "RSA_PSS_PSS_SHA384" => "rsa_pss_pss_sha384",
        "RSA_PSS_SHA512" | "RSA_PSS_PSS_SHA512" => "rsa_pss_pss_sha512",
        "ECDSA_SHA1" => "ecdsa_sha1",
        "ECDSA_SHA224" => "ecdsa_sha224",
        "ECDSA_SHA256" | "ECDSA_SECP256R1_SHA256" => "ecdsa_secp256r1_sha256",
        "ECDSA_SHA384" | "ECDSA_SECP384R1_SHA384" => "ecdsa_secp384r1_sha384",
        "ECDSA_SHA512" | "ECDSA_SECP521R1_SHA512" => "ecdsa_secp521r1_sha512",
        "EDDSA_ED25519" | "ED25519" => "ed25519",
        "EDDSA_ED448" | "ED448" => "ed448",
        "DSA_SHA1" => "dsa_sha1",
        "DSA_SHA224" => "dsa_sha224",
        "DSA_SHA256" => "dsa_sha256",
        "DSA_SHA384" => "dsa_sha384",
        "DSA_SHA512" => "dsa_sha512",
        "ML_DSA_44" | "MLDSA44" => "mldsa44",
        "ML_DSA_65" | "MLDSA65" => "mldsa65",
        "ML_DSA_87" | "MLDSA87" => "mldsa87",
        _ => return logged.to_string(),
    };
    name.to_string()
}

/// The TLS 1.3 signature scheme of Postfix's `server-signature NAME …
/// server-digest DIGEST` (Postfix logs these for TLS 1.3 only, where an
/// ECDSA key's curve is bound to the digest and RSA keys sign with PSS):
/// `RSA-PSS` + `SHA256` is `rsa_pss_rsae_sha256`, `RSASSA-PSS` (an RSA-PSS
/// key) `rsa_pss_pss_sha256`, `ECDSA` + `SHA384`
/// `ecdsa_secp384r1_sha384`; others as logged (`NAME DIGEST`).
pub(crate) fn postfix_signature(name: &str, digest: &str) -> String {
    let digest_upper = digest.replace('-', "").to_ascii_uppercase();
    let hash = match digest_upper.as_str() {
        "SHA256" => Some("sha256"),
        "SHA384" => Some("sha384"),
        "SHA512" => Some("sha512"),
        _ => None,
    };
    let scheme = match (name.to_ascii_uppercase().as_str(), hash) {
        ("RSA-PSS", Some(h)) => Some(format!("rsa_pss_rsae_{h}")),
        ("RSASSA-PSS", Some(h)) => Some(format!("rsa_pss_pss_{h}")),
        ("ECDSA", Some("sha256")) => Some("ecdsa_secp256r1_sha256".to_string()),
        ("ECDSA", Some("sha384")) => Some("ecdsa_secp384r1_sha384".to_string()),
        ("ECDSA", Some("sha512")) => Some("ecdsa_secp521r1_sha512".to_string()),
        ("ED25519", _) => Some("ed25519".to_string()),
        ("ED448", _) => Some("ed448".to_string()),
        ("ML-DSA-44" | "MLDSA44", _) => Some("mldsa44".to_string()),
        ("ML-DSA-65" | "MLDSA65", _) => Some("mldsa65".to_string()),
        ("ML-DSA-87" | "MLDSA87", _) => Some("mldsa87".to_string()),
        _ => None,
    };
    scheme.unwrap_or_else(|| {
        if digest.is_empty() {
            name.to_string()
        } else {
            format!("{name} {digest}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Protocol::*;

    fn mapped(protocol: Protocol, logged: &str, bits: u32) -> (String, u32, Option<&'static str>) {
        let c = cipher(protocol, logged, bits);
        (c.name, c.bits, c.kept)
    }

    /// GnuTLS spellings from real logs (Exim's test suite lists the forms
    /// it has met) and the OpenSSL suite each is.
    #[test]
    fn gnutls_names_map_to_openssl_names() {
        let table: &[(Protocol, &str, u32, &str, u32)] = &[
            // Session descriptions, GnuTLS ≥ 3.6.
            (
                Tls1_3,
                "ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM",
                256,
                "TLS_AES_256_GCM_SHA384",
                256,
            ),
            (
                Tls1_3,
                "ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_128_GCM",
                128,
                "TLS_AES_128_GCM_SHA256",
                128,
            ),
            (
                Tls1_3,
                "ECDHE_X25519__ECDSA_SECP256R1_SHA256__CHACHA20_POLY1305",
                256,
                "TLS_CHACHA20_POLY1305_SHA256",
                256,
            ),
            (
                Tls1_3,
                "DHE_FFDHE2048__RSA_PSS_RSAE_SHA256__AES_128_GCM",
                128,
                "TLS_AES_128_GCM_SHA256",
                128,
            ),
            (
                Tls1_3,
                "HYBRID_X25519_MLKEM768__RSA_PSS_RSAE_SHA256__AES_256_GCM",
                256,
                "TLS_AES_256_GCM_SHA384",
                256,
            ),
            (
                Tls1_3,
                "ECDHE_PSK_SECP256R1__AES_256_GCM__AEAD",
                256,
                "TLS_AES_256_GCM_SHA384",
                256,
            ),
            (
                Tls1_3,
                "PSK__AES_128_CCM",
                128,
                "TLS_AES_128_CCM_SHA256",
                128,
            ),
            // Old spelling under TLS 1.3 (seen by Exim's tests).
            (
                Tls1_3,
                "ECDHE_RSA_AES_256_GCM_SHA384",
                256,
                "TLS_AES_256_GCM_SHA384",
                256,
            ),
            (
                Tls1_2,
                "ECDHE_SECP521R1__RSA_SHA512__AES_256_GCM",
                256,
                "ECDHE-RSA-AES256-GCM-SHA384",
                256,
            ),
            (
                Tls1_2,
                "ECDHE_SECP256R1__RSA_SHA256__AES_128_CBC__SHA256",
                128,
                "ECDHE-RSA-AES128-SHA256",
                128,
            ),
            (
                Tls1_2,
                "ECDHE_SECP256R1__ECDSA_SHA512__AES_256_GCM",
                256,
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                256,
            ),
            (
                Tls1_2,
                "ECDHE_X25519__EdDSA_Ed25519__CHACHA20_POLY1305",
                256,
                "ECDHE-ECDSA-CHACHA20-POLY1305",
                256,
            ),
            (
                Tls1_2,
                "ECDHE_SECP256R1__RSA_SHA256__AES_256_CBC__SHA1",
                256,
                "ECDHE-RSA-AES256-SHA",
                256,
            ),
            (
                Tls1_2,
                "DHE_FFDHE2048__RSA_SHA256__AES_256_CBC__SHA1",
                256,
                "DHE-RSA-AES256-SHA",
                256,
            ),
            (
                Tls1_2,
                "DHE_CUSTOM1024__DSA_SHA1__AES_128_CBC__SHA1",
                128,
                "DHE-DSS-AES128-SHA",
                128,
            ),
            (Tls1_2, "RSA__AES_128_GCM", 128, "AES128-GCM-SHA256", 128),
            (Tls1, "RSA__3DES_CBC__SHA1", 192, "DES-CBC3-SHA", 168),
            (Tls1, "RSA__ARCFOUR_128__SHA1", 128, "RC4-SHA", 128),
            (Tls1, "RSA__ARCFOUR_128__MD5", 128, "RC4-MD5", 128),
            (
                Tls1_2,
                "ANON_ECDH__AES_128_CBC__SHA1",
                128,
                "AECDH-AES128-SHA",
                128,
            ),
            (
                Tls1_2,
                "ANON_DH__AES_256_GCM",
                256,
                "ADH-AES256-GCM-SHA384",
                256,
            ),
            // GnuTLS < 3.6: authentication and group in the first part,
            // `-PKIX` era `__AEAD`.
            (
                Tls1_2,
                "ECDHE_RSA_SECP521R1__AES_256_GCM__AEAD",
                256,
                "ECDHE-RSA-AES256-GCM-SHA384",
                256,
            ),
            (
                Tls1_2,
                "DHE_RSA_2048__AES_256_CBC__SHA1",
                256,
                "DHE-RSA-AES256-SHA",
                256,
            ),
            (Tls1, "RSA__AES_256_CBC__SHA1", 256, "AES256-SHA", 256),
            // Suite names (gnutls_cipher_suite_get_name).
            (
                Tls1_2,
                "ECDHE_RSA_AES_256_GCM_SHA384",
                256,
                "ECDHE-RSA-AES256-GCM-SHA384",
                256,
            ),
            (
                Tls1_2,
                "ECDHE_RSA_AES_128_GCM_SHA256",
                128,
                "ECDHE-RSA-AES128-GCM-SHA256",
                128,
            ),
            (
                Tls1_2,
                "ECDHE_ECDSA_CHACHA20_POLY1305",
                256,
                "ECDHE-ECDSA-CHACHA20-POLY1305",
                256,
            ),
            (
                Tls1_2,
                "DHE_RSA_AES_128_CCM",
                128,
                "DHE-RSA-AES128-CCM",
                128,
            ),
            (
                Tls1_2,
                "DHE_RSA_AES_256_CBC_SHA256",
                256,
                "DHE-RSA-AES256-SHA256",
                256,
            ),
            (
                Tls1_2,
                "DHE_RSA_AES_128_CBC_SHA1",
                128,
                "DHE-RSA-AES128-SHA",
                128,
            ),
            (Tls1, "RSA_AES_256_CBC_SHA1", 256, "AES256-SHA", 256),
            (Tls1, "RSA_3DES_EDE_CBC_SHA1", 192, "DES-CBC3-SHA", 168),
            (Tls1, "RSA_ARCFOUR_128_SHA1", 128, "RC4-SHA", 128),
            (Ssl3, "RSA_ARCFOUR_128_MD5", 128, "RC4-MD5", 128),
            (
                Tls1_2,
                "ECDHE_RSA_3DES_EDE_CBC_SHA1",
                192,
                "ECDHE-RSA-DES-CBC3-SHA",
                168,
            ),
            (
                Tls1_2,
                "DH_ANON_AES_128_CBC_SHA1",
                128,
                "ADH-AES128-SHA",
                128,
            ),
            (Tls1, "ANON_DH_AES_128_CBC_SHA1", 128, "ADH-AES128-SHA", 128),
            (Tls1_2, "RSA_NULL_SHA1", 0, "NULL-SHA", 0),
            (
                Tls1_2,
                "ECDHE_RSA_CAMELLIA_128_CBC_SHA256",
                128,
                "ECDHE-RSA-CAMELLIA128-SHA256",
                128,
            ),
            // OpenSSL and IANA names.
            (
                Tls1_2,
                "ECDHE-RSA-AES256-GCM-SHA384",
                256,
                "ECDHE-RSA-AES256-GCM-SHA384",
                256,
            ),
            (
                Tls1_3,
                "TLS_AES_256_GCM_SHA384",
                256,
                "TLS_AES_256_GCM_SHA384",
                256,
            ),
            (
                Tls1_2,
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                128,
                "ECDHE-RSA-AES128-SHA",
                128,
            ),
            // No OpenSSL 3 has these: named from the IANA table (an old
            // OpenSSL's name where there was one).
            (Tls1, "RSA_EXPORT_ARCFOUR_40_MD5", 128, "EXP-RC4-MD5", 40),
            (
                Tls1_2,
                "PSK_AES_128_GCM_SHA256",
                128,
                "TLS_PSK_WITH_AES_128_GCM_SHA256",
                128,
            ),
            (
                Tls1_2,
                "RSA__CAMELLIA_128_GCM",
                128,
                "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256",
                128,
            ),
        ];
        for (p, logged, bits, want, want_bits) in table {
            assert_eq!(
                mapped(*p, logged, *bits),
                (want.to_string(), *want_bits, None),
                "{p}:{logged}"
            );
        }
    }

    /// Names that do not pick one OpenSSL suite stay as logged, with why.
    #[test]
    fn ambiguous_or_unknown_names_are_kept_as_logged() {
        let table: &[(Protocol, &str, &str)] = &[
            // Resumed TLS 1.2 session: RSA or ECDSA?
            (Tls1_2, "ECDHE_SECP256R1__AES_256_GCM", NO_AUTHENTICATION),
            (Tls1_2, "DHE_FFDHE2048__AES_128_GCM", NO_AUTHENTICATION),
            (
                Tls1_2,
                "VKO_GOST_12__GOST28147_TC26Z_CNT__GOST28147_TC26Z_IMIT",
                UNKNOWN_KEY_EXCHANGE,
            ),
            (Tls1_2, "RSA__AES_128_CBC", NO_MAC),
            (Tls1_2, "RSA__SALSA20_256__UMAC_96", UNKNOWN_CIPHER),
            (
                Tls1_3,
                "ECDHE_X25519__RSA_PSS_RSAE_SHA256__MAGMA_CTR_ACPKM",
                UNKNOWN_CIPHER,
            ),
        ];
        for (p, logged, why) in table {
            assert_eq!(
                mapped(*p, logged, 128),
                (logged.to_string(), 128, Some(*why)),
                "{p}:{logged}"
            );
        }
        // Not GnuTLS: kept, no reason needed.
        assert_eq!(
            mapped(Ssl3, "EXP-RC4-MD5", 40),
            ("EXP-RC4-MD5".into(), 40, None)
        );
    }

    #[test]
    fn groups_and_signatures_of_descriptions() {
        let table: &[(&str, &str, &str)] = &[
            (
                "ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM",
                "X25519",
                "RSA_PSS_RSAE_SHA256",
            ),
            (
                "ECDHE_SECP521R1__RSA_SHA512__AES_256_GCM",
                "SECP521R1",
                "RSA_SHA512",
            ),
            (
                "HYBRID_X25519_MLKEM768__ECDSA_SECP256R1_SHA256__AES_128_GCM",
                "X25519-MLKEM768",
                "ECDSA_SECP256R1_SHA256",
            ),
            ("ECDHE_PSK_SECP256R1__AES_256_GCM__AEAD", "SECP256R1", ""),
            ("ECDHE_RSA_SECP521R1__AES_256_GCM__AEAD", "SECP521R1", ""),
            (
                "DHE_CUSTOM2048__RSA_SHA256__AES_256_CBC__SHA1",
                "CUSTOM2048",
                "RSA_SHA256",
            ),
            ("DHE_RSA_2048__AES_256_CBC__SHA1", "CUSTOM2048", ""),
            ("RSA__3DES_CBC__SHA1", "", ""),
            ("ECDHE_RSA_AES_256_GCM_SHA384", "", ""),
            ("TLS_AES_256_GCM_SHA384", "", ""),
            ("ECDHE-RSA-AES256-GCM-SHA384", "", ""),
        ];
        for (logged, g, s) in table {
            assert_eq!(gnutls_extras(logged), (g.to_string(), *s), "{logged}");
        }
        for (logged, want) in [
            ("X25519", "x25519"),
            ("x25519", "x25519"),
            ("SECP256R1", "secp256r1"),
            ("prime256v1", "secp256r1"),
            ("P-384", "secp384r1"),
            ("FFDHE2048", "ffdhe2048"),
            ("X25519-MLKEM768", "X25519MLKEM768"),
            ("X25519MLKEM768", "X25519MLKEM768"),
            ("SECP256R1-MLKEM768", "SecP256r1MLKEM768"),
            ("CUSTOM2048", "CUSTOM2048"),
            ("brainpoolP256r1", "brainpoolP256r1"),
        ] {
            assert_eq!(group(logged), want, "{logged}");
        }
        for (logged, want) in [
            ("RSA_PSS_RSAE_SHA256", "rsa_pss_rsae_sha256"),
            ("RSA-PSS-SHA384", "rsa_pss_pss_sha384"),
            ("RSA_SHA256", "rsa_pkcs1_sha256"),
            ("ECDSA_SHA256", "ecdsa_secp256r1_sha256"),
            ("ECDSA_SECP384R1_SHA384", "ecdsa_secp384r1_sha384"),
            ("EdDSA_Ed25519", "ed25519"),
            ("rsa_pss_rsae_sha256", "rsa_pss_rsae_sha256"),
            ("GOSTR341012_256", "GOSTR341012_256"),
        ] {
            assert_eq!(signature(logged), want, "{logged}");
        }
        for (name, digest, want) in [
            ("RSA-PSS", "SHA256", "rsa_pss_rsae_sha256"),
            ("RSASSA-PSS", "SHA384", "rsa_pss_pss_sha384"),
            ("ECDSA", "SHA256", "ecdsa_secp256r1_sha256"),
            ("ED25519", "", "ed25519"),
            ("RSA-PSS", "", "RSA-PSS"),
            ("DSA", "SHA1", "DSA SHA1"),
        ] {
            assert_eq!(postfix_signature(name, digest), want, "{name} {digest}");
        }
    }
}
