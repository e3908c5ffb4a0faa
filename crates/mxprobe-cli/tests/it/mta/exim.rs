//! Exim 4.96 on Debian 12's GnuTLS 3.7 (`testdata/mta/exim/`).
//!
//! How GnuTLS behaves, as seen here and asserted: it keeps its own order
//! only with `%SERVER_PRECEDENCE` in the priority string, and that order
//! ranks by key exchange first (ECDHE, then RSA, then DHE), then by cipher.
//! Its NORMAL priorities still include TLS 1.0 and 1.1; 3DES and RC4 come
//! only when asked for, SSL 3.0 not at all (not built in). The DH group is
//! 2048 bits whatever `tls_dhparam` names, and a refused handshake is
//! answered only after a pause of about half a second.

use super::expect::{groups_at, Expect, Version, MX_RSA};
use super::{probe, remedy, text_and_csv, verify, Kind};
use mxprobe::testkit::mta::exim;

/// Refusals are slow (see above): more connections at once keep the
/// enumeration short. Exim accepts 20 at a time by default.
const PER_HOST: &[&str] = &["--per-host", "8"];

const TLS13_GNUTLS_ORDER: &[&str] = &[
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_CCM_SHA256",
];

/// GnuTLS's TLS 1.3 groups: the curves and the RFC 7919 groups; no curve
/// below 256 bits with TLS 1.2.
const GNUTLS_GROUPS: &[&str] = &[
    "x25519",
    "x448",
    "secp256r1",
    "secp384r1",
    "secp521r1",
    "ffdhe2048",
    "ffdhe3072",
    "ffdhe4096",
    "ffdhe6144",
    "ffdhe8192",
];

#[tokio::test(flavor = "multi_thread")]
async fn exim_gnutls_server_precedence() {
    let server = exim("server-order").await;
    // Before TLS 1.2: no AEAD and no SHA-2 MACs, the same order.
    let tls10 = [
        "ECDHE-RSA-AES256-SHA",
        "ECDHE-RSA-AES128-SHA",
        "ECDHE-RSA-DES-CBC3-SHA",
        "ECDHE-RSA-RC4-SHA",
        "AES256-SHA",
        "AES128-SHA",
        "DES-CBC3-SHA",
        "RC4-SHA",
        "DHE-RSA-AES256-SHA",
        "DHE-RSA-AES128-SHA",
        "DHE-RSA-DES-CBC3-SHA",
    ];
    let expect = Expect {
        status: "ok",
        versions: vec![
            Version::server("TLSv1", &tls10),
            Version::server("TLSv1.1", &tls10),
            Version::server(
                "TLSv1.2",
                &[
                    "ECDHE-RSA-AES256-GCM-SHA384",
                    "ECDHE-RSA-CHACHA20-POLY1305",
                    "ECDHE-RSA-AES256-SHA",
                    "ECDHE-RSA-AES128-GCM-SHA256",
                    "ECDHE-RSA-AES128-SHA",
                    "ECDHE-RSA-DES-CBC3-SHA",
                    "ECDHE-RSA-RC4-SHA",
                    "AES256-GCM-SHA384",
                    "AES256-CCM",
                    "AES256-SHA",
                    "AES128-GCM-SHA256",
                    "AES128-CCM",
                    "AES128-SHA",
                    "DES-CBC3-SHA",
                    "RC4-SHA",
                    "DHE-RSA-AES256-GCM-SHA384",
                    "DHE-RSA-CHACHA20-POLY1305",
                    "DHE-RSA-AES256-CCM",
                    "DHE-RSA-AES256-SHA",
                    "DHE-RSA-AES128-GCM-SHA256",
                    "DHE-RSA-AES128-CCM",
                    "DHE-RSA-AES128-SHA",
                    "DHE-RSA-DES-CBC3-SHA",
                ],
            ),
            Version::server("TLSv1.3", TLS13_GNUTLS_ORDER),
        ],
        groups: groups_at("TLSv1.3", GNUTLS_GROUPS),
        // tls_dhparam names 1024-bit parameters; GnuTLS does not use them.
        dh_bits: Some(2048),
        cert: Some(MX_RSA),
        findings: &[
            "protocol-tlsv1",
            "cipher-3des",
            "cipher-rc4",
            "cipher-no-pfs",
        ],
        absent: &["no-server-cipher-order", "protocol-sslv3"],
    };
    verify(&server, Kind::Exim, expect, PER_HOST).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exim_stock_follows_the_client() {
    let server = exim("stock").await;
    let tls10 = [
        "ECDHE-RSA-AES256-SHA",
        "ECDHE-RSA-AES128-SHA",
        "DHE-RSA-AES256-SHA",
        "DHE-RSA-AES128-SHA",
        "AES256-SHA",
        "AES128-SHA",
    ];
    let expect = Expect {
        status: "ok",
        versions: vec![
            Version::client("TLSv1", &tls10),
            Version::client("TLSv1.1", &tls10),
            Version::client(
                "TLSv1.2",
                &[
                    "ECDHE-RSA-AES256-GCM-SHA384",
                    "ECDHE-RSA-CHACHA20-POLY1305",
                    "ECDHE-RSA-AES256-SHA",
                    "ECDHE-RSA-AES128-GCM-SHA256",
                    "ECDHE-RSA-AES128-SHA",
                    "AES256-GCM-SHA384",
                    "AES256-CCM",
                    "AES256-SHA",
                    "AES128-GCM-SHA256",
                    "AES128-CCM",
                    "AES128-SHA",
                    "DHE-RSA-AES256-GCM-SHA384",
                    "DHE-RSA-CHACHA20-POLY1305",
                    "DHE-RSA-AES256-CCM",
                    "DHE-RSA-AES256-SHA",
                    "DHE-RSA-AES128-GCM-SHA256",
                    "DHE-RSA-AES128-CCM",
                    "DHE-RSA-AES128-SHA",
                ],
            ),
            Version::client("TLSv1.3", TLS13_GNUTLS_ORDER),
        ],
        groups: groups_at("TLSv1.3", GNUTLS_GROUPS),
        dh_bits: Some(2048),
        cert: Some(MX_RSA),
        findings: &["no-server-cipher-order", "protocol-tlsv1"],
        absent: &["protocol-sslv3"],
    };
    verify(&server, Kind::Exim, expect, PER_HOST).await;
}

/// Exim is recognised by its banner (`ESMTP Exim 4.96 …`, Exim's default),
/// and every fix at its address names Exim's options, in the GnuTLS and the
/// OpenSSL form (SMTP does not show which library an Exim uses). The legacy
/// configuration: TLS 1.0 and 1.1 only, the client's order.
#[tokio::test(flavor = "multi_thread")]
async fn exim_is_recognised_and_its_fixes_name_its_options() {
    let server = exim("legacy").await;
    let domain = probe(server.addr(), PER_HOST).await;
    let software = &domain["mx"][0]["addresses"][0]["smtp"]["software"];
    assert_eq!(software["name"], "exim", "{software}");
    assert_eq!(software["version"], "4.96", "{software}");
    assert!(
        software["evidence"]
            .as_str()
            .is_some_and(|e| e.starts_with("banner: ESMTP Exim 4.96")),
        "{software}"
    );
    let tls1 = remedy(&domain, "protocol-tlsv1");
    for setting in [
        "openssl_options = +no_tlsv1 +no_tlsv1_1",
        "tls_require_ciphers = NORMAL:-VERS-TLS1.0:-VERS-TLS1.1",
    ] {
        assert!(tls1.contains(setting), "{tls1}");
    }
    let order = remedy(&domain, "no-server-cipher-order");
    assert!(order.contains("%SERVER_PRECEDENCE") && order.contains("+cipher_server_preference"));
    assert!(remedy(&domain, "no-tlsv1.2").contains("-VERS-TLS1.2"));
    assert!(remedy(&domain, "cert-untrusted").contains("tls_certificate"));
    // No fix at the address speaks another software's settings.
    let findings = domain["findings"].as_array().cloned().unwrap_or_default();
    for f in findings.iter().filter(|f| f["ip"].is_string()) {
        let fix = f["remedy"].as_str().unwrap_or("");
        for foreign in ["smtpd_", "Schannel", "confSERVER", "smtpd.conf"] {
            assert!(!fix.contains(foreign), "{}: {fix}", f["id"]);
        }
    }

    let (text, row) = text_and_csv(server.addr()).await;
    println!("{}: mxprobe --quick reported\n{text}", server.instance.name);
    assert!(
        text.contains("      software  exim 4.96 (banner: ESMTP Exim 4.96"),
        "{text}"
    );
    // --quick: the negotiated TLS 1.1 is below the default policy's minimum.
    assert!(
        text.contains("fix: disable TLS 1.1: OpenSSL builds openssl_options = +no_tlsv1 +no_tlsv1_1; GnuTLS builds tls_require_ciphers = NORMAL:-VERS-TLS1.0:-VERS-TLS1.1"),
        "{text}"
    );
    assert_eq!(row.get("software"), "exim");
}
