//! Postfix 3.7 on Debian 12's OpenSSL 3.0 (`testdata/mta/postfix/`).
//!
//! What this OpenSSL does, as Postfix runs it (seen here, and asserted):
//! no SSLv3, no 3DES and no RC4 at all; TLS 1.0 and 1.1 are accepted
//! wherever Postfix's protocols allow them, anonymous (ADH/AECDH) ciphers
//! too, as Postfix wants them for opportunistic TLS. Without DH parameters
//! OpenSSL picks the DH group by strength: 2048 bits next to a 2048-bit RSA
//! key, but 1024 bits for the 128-bit anonymous ciphers.

use super::expect::{groups_at, Cert, Expect, Version, MX_RSA};
use super::s_client::resolve;
use super::{probe, remedy, text_and_csv, verify, Kind};
use mxprobe::testkit::mta::postfix;
use mxprobe::testkit::mta::repo_path;

/// OpenSSL's default TLS 1.3 suites, in its order (Postfix leaves them be).
const TLS13_OPENSSL_ORDER: &[&str] = &[
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
];

/// Postfix's `tls_eecdh_auto_curves` (X25519 X448 prime256v1 secp521r1
/// secp384r1), in mxprobe's names; no finite-field groups with TLS 1.3.
const POSTFIX_GROUPS: &[&str] = &["x25519", "x448", "secp256r1", "secp384r1", "secp521r1"];

/// The value of `name` in `testdata/mta/postfix/<variant>.cf`.
fn configured(variant: &str, name: &str) -> String {
    let path = repo_path(&format!("testdata/mta/postfix/{variant}.cf"));
    let text = std::fs::read_to_string(&path).expect("variant file");
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim_start().strip_prefix('='))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("{name} not set in {}", path.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_modern_server_order() {
    let server = postfix("modern").await;
    let expect = Expect {
        status: "ok",
        versions: vec![
            Version::server(
                "TLSv1.2",
                &[
                    "ECDHE-RSA-AES256-GCM-SHA384",
                    "ECDHE-RSA-CHACHA20-POLY1305",
                    "ECDHE-RSA-AES128-GCM-SHA256",
                    "DHE-RSA-AES256-GCM-SHA384",
                ],
            ),
            Version::server("TLSv1.3", TLS13_OPENSSL_ORDER),
        ],
        groups: groups_at("TLSv1.3", POSTFIX_GROUPS),
        dh_bits: Some(2048),
        cert: Some(MX_RSA),
        findings: &[],
        absent: &[
            "protocol-tlsv1",
            "protocol-tlsv1.1",
            "cipher-order-legacy-first",
            "no-server-cipher-order",
            "no-tlsv1.3",
            "dh-weak",
        ],
    };
    verify(&server, Kind::Postfix, expect, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_legacy_first_order_is_the_configured_one() {
    // The configured order, filtered to what this OpenSSL has, is exactly
    // what mxprobe must report, rank by rank; before TLS 1.2 without the
    // GCM ciphers, which need it.
    let list = configured("legacy-first", "tls_medium_cipherlist");
    let configured12 = resolve("TLSv1.2", &list, &["RSA"]);
    let configured10 = resolve("TLSv1", &list, &["RSA"]);
    let tls12 = [
        "DHE-RSA-AES256-SHA",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES128-SHA",
        "AES256-SHA",
        "AES128-SHA",
    ];
    let tls10 = [
        "DHE-RSA-AES256-SHA",
        "DHE-RSA-AES128-SHA",
        "AES256-SHA",
        "AES128-SHA",
    ];
    assert_eq!(configured12, tls12, "{list} in this OpenSSL (3DES is gone)");
    assert_eq!(configured10, tls10, "{list} in this OpenSSL before TLS 1.2");
    let server = postfix("legacy-first").await;
    let expect = Expect {
        status: "ok",
        versions: vec![
            Version::with("TLSv1", "server", configured10.clone()),
            Version::with("TLSv1.1", "server", configured10),
            Version::with("TLSv1.2", "server", configured12),
        ],
        groups: groups_at("TLSv1.2", POSTFIX_GROUPS),
        dh_bits: Some(2048),
        cert: Some(MX_RSA),
        findings: &[
            "protocol-tlsv1",
            "protocol-tlsv1.1",
            "cipher-order-legacy-first",
            "cipher-cbc-sha1",
            "no-tlsv1.3",
        ],
        absent: &["no-server-cipher-order", "protocol-sslv3"],
    };
    verify(&server, Kind::Postfix, expect, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_stock_follows_the_client_and_accepts_anonymous_ciphers() {
    // Postfix's default "medium" cipher string in this OpenSSL, for an RSA
    // certificate or none: 16 ciphers before TLS 1.2, 56 with it.
    let medium = String::from_utf8(
        std::process::Command::new("postconf")
            .args(["-d", "-h", "tls_medium_cipherlist"])
            .output()
            .expect("postconf")
            .stdout,
    )
    .expect("utf-8");
    let tls10 = resolve("TLSv1", medium.trim(), &["RSA", "None"]);
    let tls12 = resolve("TLSv1.2", medium.trim(), &["RSA", "None"]);
    assert_eq!((tls10.len(), tls12.len()), (16, 56), "{medium}");
    for anonymous in ["ADH-AES128-SHA", "AECDH-AES256-SHA"] {
        assert!(tls10.iter().any(|c| c == anonymous), "{anonymous}");
    }
    assert!(!tls12
        .iter()
        .any(|c| c.contains("DES-CBC3") || c.contains("RC4")));
    let server = postfix("stock").await;
    let expect = Expect {
        status: "ok",
        versions: vec![
            Version::with("TLSv1", "client", tls10.clone()),
            Version::with("TLSv1.1", "client", tls10),
            Version::with("TLSv1.2", "client", tls12),
            Version::client("TLSv1.3", TLS13_OPENSSL_ORDER),
        ],
        // ADH-AES128-*: OpenSSL's automatic DH group for 128-bit anonymous
        // ciphers; 2048 bits with the RSA key.
        groups: groups_at("TLSv1.3", POSTFIX_GROUPS),
        dh_bits: Some(1024),
        cert: Some(MX_RSA),
        findings: &[
            "no-server-cipher-order",
            "cipher-anon",
            "protocol-tlsv1",
            "dh-weak",
        ],
        absent: &["protocol-sslv3", "cipher-3des", "cipher-rc4"],
    };
    verify(&server, Kind::Postfix, expect, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_dh1024() {
    let server = postfix("dh1024").await;
    let expect = Expect {
        status: "ok",
        versions: vec![Version::server(
            "TLSv1.2",
            &[
                "DHE-RSA-AES256-GCM-SHA384",
                "ECDHE-RSA-AES256-GCM-SHA384",
                "DHE-RSA-AES128-SHA",
            ],
        )],
        groups: groups_at("TLSv1.2", POSTFIX_GROUPS),
        dh_bits: Some(1024),
        cert: Some(MX_RSA),
        findings: &["dh-weak", "no-tlsv1.3"],
        absent: &["protocol-tlsv1", "cipher-order-legacy-first"],
    };
    verify(&server, Kind::Postfix, expect, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_without_starttls() {
    let server = postfix("no-starttls").await;
    let expect = Expect {
        status: "no-starttls",
        versions: vec![],
        groups: vec![],
        dh_bits: None,
        cert: None,
        findings: &["no-starttls"],
        absent: &["starttls-failed"],
    };
    let a = verify(&server, Kind::Postfix, expect, &[]).await;
    assert_eq!(a["smtp"]["starttls"], false);
    assert_eq!(a["smtp"]["banner_host"], "postfix.mta.test");
    assert_eq!(a["smtp"]["software"]["name"], "postfix");
    assert_eq!(a["handshakes"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_certificate_for_another_name() {
    let server = postfix("wrong-name").await;
    let expect = Expect {
        status: "ok",
        versions: vec![
            Version::server(
                "TLSv1.2",
                &["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"],
            ),
            Version::server("TLSv1.3", TLS13_OPENSSL_ORDER),
        ],
        groups: groups_at("TLSv1.3", POSTFIX_GROUPS),
        dh_bits: None,
        cert: Some(Cert {
            common_name: "s120.hoster.test",
            dns_names: &["s120.hoster.test"],
            ..MX_RSA
        }),
        findings: &[],
        absent: &["cert-expired"],
    };
    verify(&server, Kind::Postfix, expect, &[]).await;
}

/// Postfix is recognised although its banner does not name it
/// (`smtpd_banner = $myhostname ESMTP`, as in `main.cf` here): its EHLO
/// reply does (the host name alone, ETRN and VRFY, no HELP). Every fix at
/// its address names Postfix's parameters.
#[tokio::test(flavor = "multi_thread")]
async fn postfix_is_recognised_by_its_ehlo_reply_and_its_fixes_name_its_parameters() {
    let server = postfix("legacy-first").await;
    let domain = probe(server.addr(), &[]).await;
    let software = &domain["mx"][0]["addresses"][0]["smtp"]["software"];
    assert_eq!(
        software,
        &serde_json::json!({
            "name": "postfix",
            "evidence": "EHLO: host name alone, ETRN or VRFY, no HELP, as Postfix answers",
        })
    );
    let tls1 = remedy(&domain, "protocol-tlsv1");
    assert!(tls1.contains("smtpd_tls_protocols = >=TLSv1.2"), "{tls1}");
    let order = remedy(&domain, "cipher-order-legacy-first");
    assert!(
        order.contains("tls_medium_cipherlist") && order.contains("tls_preempt_cipherlist = yes")
    );
    assert!(remedy(&domain, "no-tlsv1.3").contains("Postfix 3.4"));
    assert!(remedy(&domain, "cert-untrusted").contains("smtpd_tls_chain_files"));
    let findings = domain["findings"].as_array().cloned().unwrap_or_default();
    for f in findings.iter().filter(|f| f["ip"].is_string()) {
        let fix = f["remedy"].as_str().unwrap_or("");
        for foreign in [
            "tls_require_ciphers",
            "openssl_options",
            "Schannel",
            "confSERVER",
        ] {
            assert!(!fix.contains(foreign), "{}: {fix}", f["id"]);
        }
    }

    let (text, row) = text_and_csv(server.addr()).await;
    println!("{}: mxprobe --quick reported\n{text}", server.instance.name);
    assert!(
        text.contains("      software  postfix (EHLO: host name alone"),
        "{text}"
    );
    assert!(
        text.contains("fix: use a certificate from a CA senders trust (e.g. Let's Encrypt) with its intermediates: smtpd_tls_chain_files"),
        "{text}"
    );
    assert_eq!(row.get("software"), "postfix");
}

/// The kabelmail case: a server that accepts TLS 1.2 yet puts an
/// SSLv3-era suite with a 1024-bit DH prime first. The text report says,
/// per sender profile, which cipher each ends on and who fails or falls
/// back; the findings name the senders.
#[tokio::test(flavor = "multi_thread")]
async fn kabelmail_like_server_what_each_sender_ends_on() {
    let server = postfix("legacy-dh1024").await;
    let dns = crate::common::empty_dns().await;
    let mut a = crate::common::resolver_args(&dns);
    a.extend(crate::common::args(&[
        "--timeout",
        "10",
        "--host",
        &server.addr().to_string(),
    ]));
    let out = crate::common::mxprobe(&a).await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    println!("{text}");
    let line = |profile: &str| -> String {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{profile} ")))
            .unwrap_or_else(|| panic!("no senders line for {profile} in\n{text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let table: &[(&str, &str)] = &[
        // Postfix (security level 0) and Exim (tls_dh_min_bits 1024) take
        // the server's first choice, 1024-bit DH and all.
        (
            "postfix-3.7",
            "postfix-3.7 encrypted TLSv1.2:DHE-RSA-AES256-SHA DH 1024",
        ),
        (
            "exim-4.96",
            "exim-4.96 encrypted TLSv1.2:DHE-RSA-AES256-SHA DH 1024",
        ),
        // Security level 2 refuses the 1024-bit prime.
        ("openssl-3", "openssl-3 failed"),
        // Microsoft 365 offers no DHE suite: the server's next choice.
        (
            "microsoft-365",
            "microsoft-365 encrypted TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384",
        ),
        (
            "exchange-2019",
            "exchange-2019 encrypted TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384",
        ),
        // Strict, but without TLSA records it needs only TLS, and gets its
        // own first choice among the server's.
        (
            "bsi-tr-03108",
            "bsi-tr-03108 encrypted TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384",
        ),
    ];
    let mut failed = Vec::new();
    for (profile, expected) in table {
        let got = line(profile);
        if !got.starts_with(expected) {
            failed.push(format!("{profile}: {got:?}, expected {expected:?}…"));
        }
    }
    assert!(line("openssl-3").contains("1024-bit DH prime"), "{text}");
    for id in ["sender-clear-text", "sender-legacy-cipher"] {
        if !text.contains(id) {
            failed.push(format!("no finding {id}"));
        }
    }
    assert!(failed.is_empty(), "{}\n\n{text}", failed.join("\n"));
}
