//! A cipher suite's properties from its IANA name, for the suites this
//! OpenSSL cannot offer (EXPORT, single DES, RC2, IDEA, GOST, PSK, SRP,
//! KRB5, static DH …): the raw probes find them, and the report and the
//! policy classify them like every other suite.
//!
//! IANA names have one shape, `TLS_<key exchange>[_<auth>]_WITH_<cipher>_<MAC>`
//! (SSLv2-era ones `SSL_…`), so the parts are read from the name: e.g.
//! `TLS_RSA_EXPORT_WITH_RC4_40_MD5` is static RSA key transport, RC4 with a
//! 40-bit key, MD5. OpenSSL's own descriptions are mimicked (`RC4(40)`,
//! `3DES(168)`, `AESGCM(256)`), so [`CipherSpec`]'s predicates hold.

use super::cipher::{Auth, CipherSpec, Kx};
use super::Protocol;

/// The properties of the suite `id` named `iana`; `openssl` is OpenSSL's
/// name for it where it has one (the report uses it, else the IANA name).
pub(crate) fn spec(id: u16, iana: &str, openssl: Option<&str>) -> CipherSpec {
    let bare = iana
        .strip_prefix("TLS_")
        .or_else(|| iana.strip_prefix("SSL_"))
        .unwrap_or(iana);
    let (exchange, rest) = bare.split_once("_WITH_").unwrap_or((bare, ""));
    let (kx, auth) = key_exchange(exchange);
    let (enc, mac, bits, aead) = cipher(rest);
    let strength_bits = if enc.starts_with("3DES") { 112 } else { bits };
    let tls12 = aead || matches!(mac.as_str(), "SHA256" | "SHA384");
    CipherSpec {
        name: openssl.unwrap_or(iana).to_string(),
        iana: iana.to_string(),
        id,
        kx,
        auth,
        enc,
        mac,
        bits,
        strength_bits,
        aead,
        forward_secret: matches!(kx, Kx::Dhe | Kx::Ecdhe),
        tls13: false,
        min_protocol: if tls12 {
            Protocol::Tls1_2
        } else {
            Protocol::Ssl3
        },
    }
}

/// Key exchange and authentication from the part before `_WITH_`.
fn key_exchange(part: &str) -> (Kx, Auth) {
    let words: Vec<&str> = part
        .split('_')
        .filter(|w| *w != "EXPORT" && *w != "EXPORT1024")
        .collect();
    let auth_of = |w: Option<&&str>| match w.copied() {
        Some("RSA") => Auth::Rsa,
        Some("DSS") => Auth::Dss,
        Some("ECDSA") => Auth::Ecdsa,
        Some("anon") | Some("ANON") => Auth::Null,
        _ => Auth::Other,
    };
    match words.first().copied() {
        Some("RSA") if words.len() == 1 => (Kx::Rsa, Auth::Rsa),
        Some("DHE") => (Kx::Dhe, auth_of(words.get(1))),
        Some("ECDHE") => (Kx::Ecdhe, auth_of(words.get(1))),
        // Anonymous DH is ephemeral; DH_RSA, DH_DSS, ECDH_RSA and
        // ECDH_ECDSA are static (a DH key in the certificate).
        Some("DH") | Some("ECDH")
            if matches!(words.get(1).copied(), Some("anon") | Some("ANON")) =>
        {
            let kx = if words[0] == "DH" { Kx::Dhe } else { Kx::Ecdhe };
            (kx, Auth::Null)
        }
        Some("DH") | Some("ECDH") => (Kx::Other, auth_of(words.get(1))),
        // PSK, SRP, KRB5, GOST: neither certificate kinds nor key
        // exchanges the report distinguishes.
        _ => (Kx::Other, Auth::Other),
    }
}

/// Encryption as OpenSSL describes it, the MAC, the key bits, AEAD.
fn cipher(part: &str) -> (String, String, u32, bool) {
    let words: Vec<&str> = part.split('_').collect();
    let Some((&mac_word, enc_words)) = words.split_last() else {
        return ("None".into(), "None".into(), 0, false);
    };
    let enc_text = enc_words.join("_");
    let aead = ["GCM", "CCM", "POLY1305"]
        .iter()
        .any(|m| enc_text.contains(m));
    let mac = if aead {
        "AEAD".to_string()
    } else {
        match mac_word {
            "SHA" => "SHA1".to_string(),
            other => other.to_string(),
        }
    };
    let number = |w: &str| w.parse::<u32>().ok();
    let first_number = enc_words.iter().find_map(|w| number(w));
    let (family, bits) = match enc_words.first().copied() {
        Some("NULL") | None => ("None", 0),
        Some("RC4") => ("RC4", first_number.unwrap_or(128)),
        Some("RC2") => ("RC2", first_number.unwrap_or(128)),
        Some("DES40") => ("DES", 40),
        Some("DES") => ("DES", first_number.unwrap_or(56)),
        Some("3DES") => ("3DES", 168),
        Some("IDEA") => ("IDEA", 128),
        Some("SEED") => ("SEED", 128),
        Some("AES") => (
            if aead {
                if enc_text.contains("CCM") {
                    "AESCCM"
                } else {
                    "AESGCM"
                }
            } else {
                "AES"
            },
            first_number.unwrap_or(128),
        ),
        Some("CAMELLIA") => (
            if aead { "CamelliaGCM" } else { "Camellia" },
            first_number.unwrap_or(128),
        ),
        Some("ARIA") => (
            if aead { "ARIAGCM" } else { "ARIA" },
            first_number.unwrap_or(128),
        ),
        Some("CHACHA20") => ("CHACHA20/POLY1305", 256),
        Some("28147") | Some("GOST28147") => ("GOST89", 256),
        Some("KUZNYECHIK") | Some("MAGMA") => ("GOST2015", 256),
        Some(other) => (other, first_number.unwrap_or(0)),
    };
    let enc = if family == "None" {
        "None".to_string()
    } else {
        format!("{family}({bits})")
    };
    (enc, mac, bits, aead)
}

/// Any suite by the name the report gives it: this OpenSSL's name, else
/// an old OpenSSL's or the IANA name of a suite no OpenSSL 3 has.
pub(crate) fn lookup(name: &str) -> Option<&'static CipherSpec> {
    super::cipher::Catalogue::get()
        .find(name)
        .or_else(|| raw_spec(name))
}

/// Any suite by its IANA name, in any case.
pub(crate) fn lookup_iana(iana: &str) -> Option<&'static CipherSpec> {
    super::cipher::Catalogue::get()
        .find_iana(iana)
        .or_else(|| raw_spec(iana))
}

/// The properties of a suite no OpenSSL 3 has, by the name the report
/// gives it (an old OpenSSL's, else IANA's) or its IANA name in any case;
/// `None` for names outside the IANA table (and for what this OpenSSL has:
/// the catalogue knows those).
pub(crate) fn raw_spec(name: &str) -> Option<&'static CipherSpec> {
    let table = raw_table();
    let i = table
        .by_name
        .get(name)
        .or_else(|| table.by_iana.get(&name.to_ascii_uppercase()))?;
    table.specs.get(*i)
}

/// Every suite of the IANA table this OpenSSL does not have, in code-point
/// order: what hand-written hellos can ask for beyond it.
pub(crate) fn raw_specs() -> &'static [CipherSpec] {
    &raw_table().specs
}

/// The suites no OpenSSL 3 has, with their indexes by report name (exact)
/// and by IANA name (upper case); built once.
struct RawTable {
    specs: Vec<CipherSpec>,
    by_name: std::collections::HashMap<String, usize>,
    by_iana: std::collections::HashMap<String, usize>,
}

fn raw_table() -> &'static RawTable {
    static TABLE: std::sync::OnceLock<RawTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let catalogue = super::cipher::Catalogue::get();
        let has = |id: u16| {
            catalogue
                .tls12
                .iter()
                .chain(&catalogue.tls13)
                .any(|c| c.id == id)
        };
        let specs: Vec<CipherSpec> = super::raw::SUITES
            .iter()
            .filter(|s| !has(s.id))
            .map(|s| spec(s.id, s.name, s.old_openssl))
            .collect();
        let by_name = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        let by_iana = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.iana.to_ascii_uppercase(), i))
            .collect();
        RawTable {
            specs,
            by_name,
            by_iana,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_what_a_suite_is_made_of() {
        // (IANA name, kx, auth, enc, mac, bits, export, des)
        let table: &[(&str, Kx, Auth, &str, &str, u32, bool)] = &[
            (
                "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
                Kx::Rsa,
                Auth::Rsa,
                "RC4(40)",
                "MD5",
                40,
                true,
            ),
            (
                "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
                Kx::Rsa,
                Auth::Rsa,
                "RC2(40)",
                "MD5",
                40,
                true,
            ),
            (
                "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
                Kx::Rsa,
                Auth::Rsa,
                "DES(40)",
                "SHA1",
                40,
                true,
            ),
            (
                "TLS_RSA_WITH_DES_CBC_SHA",
                Kx::Rsa,
                Auth::Rsa,
                "DES(56)",
                "SHA1",
                56,
                false,
            ),
            (
                "TLS_DHE_RSA_WITH_DES_CBC_SHA",
                Kx::Dhe,
                Auth::Rsa,
                "DES(56)",
                "SHA1",
                56,
                false,
            ),
            (
                "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5",
                Kx::Dhe,
                Auth::Null,
                "RC4(40)",
                "MD5",
                40,
                true,
            ),
            (
                "TLS_RSA_WITH_IDEA_CBC_SHA",
                Kx::Rsa,
                Auth::Rsa,
                "IDEA(128)",
                "SHA1",
                128,
                false,
            ),
            (
                "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA",
                Kx::Other,
                Auth::Rsa,
                "AES(128)",
                "SHA1",
                128,
                false,
            ),
            (
                "TLS_DH_DSS_WITH_AES_256_GCM_SHA384",
                Kx::Other,
                Auth::Dss,
                "AESGCM(256)",
                "AEAD",
                256,
                false,
            ),
            (
                "TLS_PSK_WITH_AES_128_CBC_SHA",
                Kx::Other,
                Auth::Other,
                "AES(128)",
                "SHA1",
                128,
                false,
            ),
            (
                "TLS_KRB5_EXPORT_WITH_RC4_40_MD5",
                Kx::Other,
                Auth::Other,
                "RC4(40)",
                "MD5",
                40,
                true,
            ),
            (
                "TLS_GOSTR341001_WITH_28147_CNT_IMIT",
                Kx::Other,
                Auth::Other,
                "GOST89(256)",
                "IMIT",
                256,
                false,
            ),
            (
                "TLS_RSA_WITH_NULL_MD5",
                Kx::Rsa,
                Auth::Rsa,
                "None",
                "MD5",
                0,
                false,
            ),
            (
                "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384",
                Kx::Ecdhe,
                Auth::Ecdsa,
                "ARIAGCM(256)",
                "AEAD",
                256,
                false,
            ),
        ];
        for (name, kx, auth, enc, mac, bits, export) in table {
            let s = spec(0, name, None);
            assert_eq!(
                (s.kx, s.auth, s.enc.as_str(), s.mac.as_str(), s.bits),
                (*kx, *auth, *enc, *mac, *bits),
                "{name}"
            );
            assert_eq!(s.is_export(), *export, "{name}");
            assert_eq!(s.is_des(), enc.starts_with("DES("), "{name}");
        }
        let gcm = spec(0, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384", None);
        assert_eq!(gcm.min_protocol, Protocol::Tls1_2);
        assert!(spec(0, "TLS_RSA_WITH_DES_CBC_SHA", None).is_cbc_sha1());
        assert_eq!(
            spec(9, "TLS_RSA_WITH_DES_CBC_SHA", Some("DES-CBC-SHA")).name,
            "DES-CBC-SHA"
        );
    }
}
