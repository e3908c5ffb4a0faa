//! Findings, policies and exit codes, against test servers.

use std::collections::BTreeSet;
use std::net::IpAddr;

use mxprobe::testkit::net;
use mxprobe::testkit::scenarios;
use mxprobe::testkit::smtp::{cert, Misbehaviour, Persona, ServerConfig, TlsConfig};
use mxprobe::tls::Protocol;
use serde_json::Value;

use crate::common::{args, findings_by_domain, mxprobe, Lab};

/// TLS 1.2–1.3, AEAD with forward secrecy in server order, a valid RSA 2048
/// certificate, hybrid post-quantum key exchange: nothing to find.
fn clean() -> ServerConfig {
    ServerConfig::with_tls(TlsConfig {
        min: Some(Protocol::Tls1_2),
        max: Some(Protocol::Tls1_3),
        cipher_list: "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256".into(),
        ciphersuites: "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256".into(),
        server_preference: true,
        ..TlsConfig::default()
    })
}

fn with_cert(name: &str) -> ServerConfig {
    let mut c = clean();
    if let Some(tls) = c.tls.as_mut() {
        tls.certs = vec![cert(name)];
    }
    c
}

fn with_tls(f: impl FnOnce(&mut TlsConfig)) -> ServerConfig {
    let mut c = clean();
    if let Some(tls) = c.tls.as_mut() {
        f(tls);
    }
    c
}

fn scenario(name: &str) -> ServerConfig {
    scenarios::named(name).expect("scenario").config
}

/// One server per case, each the MX of `<case>.test`; plus domains whose
/// DNS is the case.
async fn findings_lab() -> (Lab, Vec<&'static str>) {
    let cases: Vec<(&'static str, ServerConfig)> = vec![
        ("clean", clean()),
        ("kabelmail", scenario("kabelmail")),
        ("legacy", scenario("legacy")),
        ("client-order", scenario("client-order")),
        ("tls13-only", scenario("tls13-only")),
        (
            "null-anon",
            with_tls(|t| {
                t.max = Some(Protocol::Tls1_2);
                t.ciphersuites = String::new();
                t.cipher_list = "ECDHE-RSA-AES128-GCM-SHA256:NULL-SHA:ADH-AES128-SHA".into();
            }),
        ),
        (
            "weak-curve",
            with_tls(|t| t.groups = Some("X25519MLKEM768:x25519:secp256r1:secp224r1".into())),
        ),
        (
            "no-pq",
            with_tls(|t| t.groups = Some("x25519:secp256r1".into())),
        ),
        ("expired", with_cert("expired")),
        ("wrong-name", with_cert("wrong-name")),
        ("self-signed", with_cert("self-signed")),
        (
            "incomplete",
            with_tls(|t| t.certs = vec![mxprobe::testkit::pki::cert_alone("mx-inter")]),
        ),
        ("rsa1024", with_cert("rsa1024")),
        ("sha1", with_cert("sha1")),
        (
            "no-starttls",
            ServerConfig {
                starttls: false,
                ..clean()
            },
        ),
        (
            "starttls-refused",
            ServerConfig {
                misbehaviour: Misbehaviour::StarttlsRejected(454),
                ..clean()
            },
        ),
        (
            "injection",
            ServerConfig {
                misbehaviour: Misbehaviour::InjectAfterStarttls,
                ..clean()
            },
        ),
        (
            "busy",
            ServerConfig {
                misbehaviour: Misbehaviour::Reject421AtGreeting,
                ..clean()
            },
        ),
        // Reverse DNS: every other server has a forward-confirmed PTR.
        ("ptr-missing", clean()),
        ("ptr-mismatch", clean()),
    ];
    let names: Vec<&'static str> = cases.iter().map(|c| c.0).collect();
    let configs = cases.into_iter().map(|c| c.1).collect();
    let down = match net::closed_port().ip() {
        IpAddr::V4(ip) => ip,
        IpAddr::V6(_) => unreachable!(),
    };
    let lab = Lab::start(configs, |z, ip| {
        for (i, name) in names.iter().enumerate() {
            // The clean server's MX has a name its certificate covers.
            let mx = match *name {
                "clean" => "mx.example.test".to_string(),
                _ => format!("mx.{name}.test"),
            };
            z.mx(&format!("{name}.test"), 10, &mx);
            z.a(&mx, ip[i]);
            match *name {
                "ptr-missing" => {}
                "ptr-mismatch" => {
                    z.ptr(ip[i].into(), "elsewhere.example.test");
                }
                _ => {
                    z.ptr(ip[i].into(), &mx);
                }
            }
        }
        z.a("implicit.test", ip[0]);
        // An MX record naming the clean server's address, and an MX host
        // whose CNAMEs loop.
        z.mx("ipmx.test", 10, &ip[0].to_string());
        z.mx("loop.test", 10, "mx.loop.test")
            .cname("mx.loop.test", "a.loop.test")
            .cname("a.loop.test", "mx.loop.test");
        z.mx("nullmx.test", 0, ".");
        z.txt("nomx.test", "v=spf1 -all");
        z.servfail("broken.test");
        z.mx("down.test", 10, "mx.down.test")
            .a("mx.down.test", down)
            .ptr(down.into(), "mx.down.test");
    })
    .await;
    let mut domains = names;
    domains.extend([
        "implicit", "nullmx", "nomx", "broken", "down", "nxdomain", "ipmx", "loop",
    ]);
    (lab, domains)
}

/// The test CA, trusted as senders would trust a public one.
fn ca_file() -> String {
    mxprobe::testkit::pki::testdata_path("certs/ca.crt")
        .to_str()
        .expect("utf-8")
        .to_string()
}

async fn run_json(lab: &Lab, domains: &[&str], extra: &[&str]) -> (Option<i32>, Value) {
    let mut a = lab.args();
    // DANE and MTA-STS findings are tested with signed zones and an HTTPS
    // server of their own (trust_dns.rs).
    a.extend(args(&[
        "--backoff",
        "0.01",
        "--retries",
        "1",
        "-f",
        "json",
        "--no-dane",
        "--no-mta-sts",
        "--ca-file",
        &ca_file(),
    ]));
    a.extend(args(extra));
    a.extend(domains.iter().map(|d| format!("{d}.test")));
    let out = mxprobe(&a).await;
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), doc)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_finding_is_triggered_and_a_clean_server_has_none() {
    let (lab, domains) = findings_lab().await;
    let (code, doc) = run_json(&lab, &domains, &[]).await;
    assert_eq!(code, Some(1), "high findings fail the default policy");
    let found = findings_by_domain(&doc);
    assert!(
        found["clean"].is_empty(),
        "clean server: {:?}",
        found["clean"]
    );
    let expect: &[(&str, &[&str])] = &[
        (
            "kabelmail",
            &[
                "protocol-tlsv1",
                "protocol-tlsv1.1",
                "no-tlsv1.3",
                "cipher-order-legacy-first",
                "cipher-no-pfs",
                "cipher-cbc-sha1",
            ],
        ),
        (
            "legacy",
            &["protocol-sslv3", "cipher-rc4", "cipher-3des", "dh-weak"],
        ),
        ("client-order", &["no-server-cipher-order"]),
        ("tls13-only", &["no-tlsv1.2"]),
        ("null-anon", &["cipher-null", "cipher-anon"]),
        ("weak-curve", &["ecdh-weak"]),
        ("no-pq", &["no-pq-kex"]),
        (
            "expired",
            &["cert-expired", "cert-untrusted", "strict-tls-failed"],
        ),
        ("wrong-name", &["cert-name-mismatch", "strict-tls-failed"]),
        (
            "self-signed",
            &["cert-self-signed", "cert-untrusted", "strict-tls-failed"],
        ),
        (
            "incomplete",
            &[
                "cert-incomplete-chain",
                "cert-untrusted",
                "strict-tls-failed",
            ],
        ),
        ("rsa1024", &["cert-weak-key"]),
        ("sha1", &["cert-sha1"]),
        ("no-starttls", &["no-starttls"]),
        ("starttls-refused", &["starttls-failed"]),
        ("injection", &["starttls-injection"]),
        ("busy", &["smtp-error"]),
        ("implicit", &["implicit-mx"]),
        ("nullmx", &["null-mx"]),
        ("nomx", &["no-mx"]),
        ("broken", &["dns-error"]),
        ("down", &["mx-unreachable"]),
        ("nxdomain", &["nxdomain"]),
        ("ptr-missing", &["ptr-missing"]),
        ("ptr-mismatch", &["ptr-mismatch"]),
        ("ipmx", &["mx-ip-literal"]),
        ("loop", &["dns-error"]),
    ];
    for (domain, ids) in expect {
        let got: BTreeSet<&str> = found[*domain].keys().map(String::as_str).collect();
        for id in *ids {
            assert!(got.contains(id), "{domain}: {id} missing from {got:?}");
        }
    }
    // Each kind of finding only where it belongs.
    for (domain, ids) in &found {
        for id in ids.keys() {
            let expected = expect
                .iter()
                .any(|(d, list)| d == domain && list.contains(&id.as_str()));
            // Side effects of a case (a legacy server also lacks TLS 1.3)
            // are fine; a finding on a server that shows none of its cause
            // is not.
            if !expected {
                // implicit.test reaches the clean server under its own
                // name, which the certificate does not cover; so do the
                // reverse-DNS cases under theirs.
                let own_name = ["implicit", "ptr-missing", "ptr-mismatch"];
                let side_effect = id == "implicit-mx"
                    || (own_name.contains(&domain.as_str())
                        && ["cert-name-mismatch", "strict-tls-failed"].contains(&id.as_str()));
                assert!(
                    ![
                        "clean",
                        "implicit",
                        "nxdomain",
                        "nomx",
                        "nullmx",
                        "broken",
                        "down",
                        "ptr-missing",
                        "ptr-mismatch",
                        "loop",
                    ]
                    .contains(&domain.as_str())
                        || side_effect,
                    "{domain}: unexpected {id}"
                );
            }
        }
    }
    // The kabelmail message carries the evidence.
    let kabel = doc["domains"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["target"]["name"] == "kabelmail.test"))
        .expect("kabelmail");
    let legacy_first = kabel["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "cipher-order-legacy-first"))
        .expect("finding");
    assert_eq!(
        legacy_first["message"],
        "TLSv1.2: server prefers DHE-RSA-AES256-SHA (CBC, SHA-1) although it accepts ECDHE-RSA-AES256-GCM-SHA384"
    );
    assert_eq!(legacy_first["severity"], "high");
    assert!(legacy_first["remedy"]
        .as_str()
        .expect("remedy")
        .contains("AEAD"));
}

/// The users' kabelmail case: a Windows mail server whose cipher order was
/// never updated. Recognised as Exchange by its greeting and EHLO reply, it
/// gets the Windows knobs, not Postfix's parameters.
#[tokio::test(flavor = "multi_thread")]
async fn kabelmail_on_windows_gets_the_windows_fixes() {
    let windows = ServerConfig {
        persona: Persona::Exchange,
        ..scenario("kabelmail")
    };
    let lab = Lab::start(vec![windows], |z, ip| {
        z.mx("kabelmail.test", 10, "mx.example.test")
            .a("mx.example.test", ip[0]);
    })
    .await;
    let (_, doc) = run_json(&lab, &["kabelmail"], &["--no-groups"]).await;
    let domain = &doc["domains"][0];
    let software = &domain["mx"][0]["addresses"][0]["smtp"]["software"];
    assert_eq!(
        software,
        &serde_json::json!({
            "name": "exchange",
            "evidence": "banner: Microsoft ESMTP MAIL Service; EHLO: X-EXPS, X-ANONYMOUSTLS, XRDST",
        })
    );
    let fix = |id: &str| {
        domain["findings"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["id"] == id))
            .and_then(|f| f["remedy"].as_str())
            .unwrap_or_else(|| panic!("no {id}: {}", domain["findings"]))
            .to_string()
    };
    let order = fix("cipher-order-legacy-first");
    assert!(
        order.contains("SSL Cipher Suite Order")
            && order.contains(
                "Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 -Position 0"
            ),
        "{order}"
    );
    assert!(fix("protocol-tlsv1").contains(r"SCHANNEL\Protocols\TLS 1.0\Server, DWORD Enabled = 0"));
    assert!(fix("cipher-no-pfs").contains("Disable-TlsCipherSuite"));
    assert!(fix("no-tlsv1.3").contains("Exchange does not offer TLS 1.3 for SMTP"));
    for f in domain["findings"].as_array().into_iter().flatten() {
        let remedy = f["remedy"].as_str().unwrap_or("");
        assert!(
            !remedy.contains("smtpd_") && !remedy.contains("Postfix"),
            "{remedy}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn policies_change_the_verdict() {
    let lab = Lab::start(vec![scenario("kabelmail"), clean()], |z, ip| {
        z.mx("kabelmail.test", 10, "mx.example.test")
            .a("mx.example.test", ip[0])
            .ptr(ip[0].into(), "mx.example.test");
        z.mx("clean.test", 10, "mail.example.test")
            .a("mail.example.test", ip[1])
            .ptr(ip[1].into(), "mail.example.test");
    })
    .await;
    // The kabelmail configuration fails default and bsi, passes opportunistic.
    for (policy, code) in [
        ("default", 1),
        ("bsi", 1),
        ("opportunistic", 0),
        ("rfc", 1),
        ("mozilla-old", 0),
    ] {
        let (got, doc) = run_json(&lab, &["kabelmail"], &["--policy", policy, "--no-groups"]).await;
        assert_eq!(
            got,
            Some(code),
            "kabelmail under {policy}: {:?}",
            findings_by_domain(&doc)
        );
    }
    // Under the rfc policy only the MUST NOTs count.
    let (_, doc) = run_json(&lab, &["kabelmail"], &["--policy", "rfc", "--no-groups"]).await;
    let ids: BTreeSet<String> = findings_by_domain(&doc)["kabelmail"]
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from(["protocol-tlsv1".into(), "protocol-tlsv1.1".into()])
    );
    // The clean server: TLS 1.2 is below mozilla-modern's minimum; bsi
    // objects to X25519 and ChaCha-free lists are fine.
    let (_, doc) = run_json(&lab, &["clean"], &["--policy", "mozilla-modern"]).await;
    assert!(findings_by_domain(&doc)["clean"].contains_key("protocol-tlsv1.2"));
    let (code, doc) = run_json(&lab, &["clean"], &["--policy", "bsi"]).await;
    let bsi = &findings_by_domain(&doc)["clean"];
    assert!(bsi.contains_key("group-not-allowed"), "{bsi:?}");
    assert!(
        bsi.contains_key("cipher-not-allowed") || bsi.contains_key("cert-weak-key"),
        "{bsi:?}"
    );
    assert_eq!(code, Some(1), "RSA 2048 is below BSI's 3000 bits: {bsi:?}");
    // --fail-on moves the threshold.
    let (code, _) = run_json(
        &lab,
        &["kabelmail"],
        &["--fail-on", "critical", "--no-groups"],
    )
    .await;
    assert_eq!(code, Some(0));
    let (code, doc) = run_json(&lab, &["clean"], &["--fail-on", "info"]).await;
    assert_eq!(
        code,
        Some(0),
        "the clean server has no finding at all: {:?}",
        findings_by_domain(&doc)
    );
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mxprobe-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_custom_policy_overrides_severities_and_thresholds() {
    let lab = Lab::start(vec![scenario("kabelmail"), clean()], |z, ip| {
        z.mx("kabelmail.test", 10, "mx.example.test")
            .a("mx.example.test", ip[0]);
        z.mx("clean.test", 10, "mail.example.test")
            .a("mail.example.test", ip[1]);
    })
    .await;
    let file = temp_file(
        "mild.toml",
        r#"
extends = "default"
name = "mild"
[certificate]
expiring_days = 40000
[severity]
"protocol-tlsv1" = "low"
"protocol-tlsv1.1" = "low"
"cipher-order-legacy-first" = "medium"
"cipher-cbc-sha1" = "off"
"#,
    );
    let policy = file.to_str().expect("utf-8");
    let (code, doc) = run_json(
        &lab,
        &["kabelmail", "clean"],
        &["--policy", policy, "--no-groups"],
    )
    .await;
    let found = findings_by_domain(&doc);
    assert_eq!(found["kabelmail"]["protocol-tlsv1"], "low");
    assert_eq!(found["kabelmail"]["cipher-order-legacy-first"], "medium");
    assert!(
        !found["kabelmail"].contains_key("cipher-cbc-sha1"),
        "switched off"
    );
    // 40000 days: every certificate "expires soon".
    assert_eq!(found["clean"]["cert-expiring-soon"], "medium");
    assert_eq!(code, Some(0), "nothing high is left: {found:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_policies_are_clear_errors_with_exit_2() {
    let lab = Lab::start(vec![clean()], |z, ip| {
        z.mx("clean.test", 10, "mail.example.test")
            .a("mail.example.test", ip[0]);
    })
    .await;
    let cases = [
        (
            "typo.toml",
            "[versions]\nminimun = \"TLSv1.2\"\n",
            "unknown field `minimun`",
        ),
        (
            "id.toml",
            "[severity]\n\"cipher-rc5\" = \"high\"\n",
            "unknown finding id \"cipher-rc5\"",
        ),
        (
            "sev.toml",
            "[severity]\n\"cipher-rc4\" = \"severe\"\n",
            "unknown severity \"severe\"",
        ),
        (
            "proto.toml",
            "[versions]\nminimum = \"TLSv2\"\n",
            "unknown protocol \"TLSv2\"",
        ),
        (
            "cipher.toml",
            "[ciphers]\nallowed = [\"AES-GCM\"]\n",
            "unknown cipher \"AES-GCM\"",
        ),
        (
            "parent.toml",
            "extends = \"strict\"\n",
            "extends unknown policy \"strict\"",
        ),
    ];
    for (name, text, want) in cases {
        let path = temp_file(name, text);
        let p = path.to_str().expect("utf-8");
        let mut a = lab.args();
        a.extend(args(&["--policy", p, "clean.test"]));
        let out = mxprobe(&a).await;
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(p) && stderr.contains(want),
            "{name}: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "nothing scanned with a broken policy"
        );
    }
    let out = mxprobe(&args(&["--policy", "nonexistent", "clean.test"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown policy \"nonexistent\""));
    let out = mxprobe(&args(&["--policy", "/nonexistent/p.toml", "clean.test"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("cannot read policy file /nonexistent/p.toml"));
    // A file far larger than any policy is refused before it fills memory.
    let huge =
        std::env::temp_dir().join(format!("mxprobe-huge-policy-{}.toml", std::process::id()));
    let len = mxprobe::limits::POLICY_FILE_BYTES + 1;
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(len))
        .expect("sparse file");
    let p = huge.to_str().expect("utf-8 path");
    let out = mxprobe(&args(&["--policy", p, "clean.test"])).await;
    let _ = std::fs::remove_file(&huge);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(p) && stderr.matches("larger than 1024 KiB").count() == 1,
        "said once: {stderr}"
    );
    let out = mxprobe(&args(&["policy", "check", "/nonexistent/p.toml"])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("No such file").count(),
        1,
        "said once: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn policies_are_listed_shown_and_checked() {
    let out = mxprobe(&args(&["policies"])).await;
    assert_eq!(out.status.code(), Some(0));
    let list = String::from_utf8_lossy(&out.stdout);
    for name in mxprobe::policy::builtin::NAMES {
        assert!(
            list.lines().any(|l| l.starts_with(name)),
            "{name} not listed: {list}"
        );
    }
    let out = mxprobe(&args(&["policies", "--findings"])).await;
    let ids = String::from_utf8_lossy(&out.stdout);
    assert!(ids
        .lines()
        .any(|l| l.starts_with("cipher-order-legacy-first")));
    // What `policy show` prints is a valid policy file, comments and all.
    let out = mxprobe(&args(&["policy", "show", "bsi"])).await;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("TR-02102-2"));
    let path = temp_file("copy.toml", &text);
    let out = mxprobe(&args(&["policy", "check", path.to_str().expect("utf-8")])).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = mxprobe(&args(&["policy", "show", "nope"])).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_and_text_carry_the_findings() {
    let lab = Lab::start(vec![scenario("kabelmail")], |z, ip| {
        z.mx("kabelmail.test", 10, "mx.example.test")
            .a("mx.example.test", ip[0]);
    })
    .await;
    let mut a = lab.args();
    a.extend(args(&["--no-groups", "-f", "csv", "kabelmail.test"]));
    let out = mxprobe(&a).await;
    let rows = crate::common::csv_rows(&out.stdout);
    assert_eq!(rows[0]["worst"], "high");
    assert!(
        rows[0]["findings"].starts_with("protocol-tlsv1 "),
        "{}",
        rows[0]["findings"]
    );
    let mut a = lab.args();
    a.extend(args(&["--no-groups", "kabelmail.test"]));
    let out = mxprobe(&a).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("  findings\n    HIGH     protocol-tlsv1"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour when not on a terminal");
}
