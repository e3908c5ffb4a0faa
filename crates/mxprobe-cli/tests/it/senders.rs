//! Sender outcomes through the binary, against in-process test servers:
//! `-f senders`, the senders block and findings, `--senders`, `--sender`,
//! `mxprobe senders`, and bad profiles and ids as one-line errors. (The
//! predictions themselves are cross-checked with real clients against
//! real Postfix and Exim in `mta::senders`.)

use std::collections::HashMap;

use mxprobe::testkit::scenarios;
use mxprobe::testkit::smtp::{ServerConfig, TlsConfig};
use mxprobe::tls::Protocol;

use crate::common::{args, csv_rows, mxprobe, Lab};

/// A fresh directory of this test's own.
fn temp_dir(name: &str) -> std::path::PathBuf {
    crate::common::temp_dir("senders", name)
}

fn scenario(name: &str) -> ServerConfig {
    scenarios::named(name).expect("scenario").config
}

/// old.test: TLS 1.0 and 1.1 only, with AES128-SHA; legacy.test: the
/// kabelmail order with a 1024-bit DH prime.
async fn lab() -> Lab {
    let old = ServerConfig::with_tls(TlsConfig {
        min: Some(Protocol::Tls1),
        max: Some(Protocol::Tls1_1),
        cipher_list: "AES128-SHA:DHE-RSA-AES128-SHA".into(),
        ciphersuites: String::new(),
        server_preference: true,
        ..TlsConfig::default()
    });
    Lab::start(vec![old, scenario("legacy")], |z, ip| {
        z.mx("old.test", 10, "mx.old.test").a("mx.old.test", ip[0]);
        z.mx("legacy.test", 10, "mx.legacy.test")
            .a("mx.legacy.test", ip[1]);
    })
    .await
}

/// (domain, profile) → the row.
fn by_profile(out: &[u8]) -> HashMap<(String, String), HashMap<String, String>> {
    csv_rows(out)
        .into_iter()
        .map(|r| ((r["domain"].clone(), r["profile"].clone()), r))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sender_table_says_who_negotiates_what_and_who_falls_back() {
    let lab = lab().await;
    let mut a = lab.args();
    a.extend(args(&["-f", "senders", "old.test", "legacy.test"]));
    let out = mxprobe(&a).await;
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let header = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        header,
        "domain,mx,ip,port,profile,outcome,protocol,cipher,group,reason,failure,candidates"
    );
    let rows = by_profile(&out.stdout);
    let ids: Vec<String> = mxprobe::senders::built_in()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(rows.len(), 2 * ids.len(), "one row per profile and domain");
    let row =
        |domain: &str, profile: &str| rows[&(domain.to_string(), profile.to_string())].clone();
    // (domain, profile, outcome, protocol, cipher, failure)
    let table = [
        (
            "old.test",
            "postfix-3.7",
            "encrypted",
            "TLSv1.1",
            "AES128-SHA",
            "",
        ),
        (
            "old.test",
            "exim-4.96",
            "encrypted",
            "TLSv1.1",
            "AES128-SHA",
            "",
        ),
        (
            "old.test",
            "openssl-3",
            "failed",
            "",
            "",
            "no-common-version",
        ),
        // The lab's DNS is not signed: the scan cannot tell whether DANE
        // applies, and where it does Microsoft 365 (a DANE sender) defers.
        (
            "old.test",
            "microsoft-365",
            "unknown",
            "",
            "",
            "no-common-version",
        ),
        (
            "old.test",
            "bsi-tr-03108",
            "deferred",
            "",
            "",
            "no-common-version",
        ),
        (
            "legacy.test",
            "postfix-3.7",
            "encrypted",
            "TLSv1.2",
            "DHE-RSA-AES256-SHA",
            "",
        ),
        ("legacy.test", "openssl-3", "failed", "", "", "dh-too-small"),
        // The server's order puts AES128-SHA before its one AEAD suite,
        // and Microsoft 365 offers both.
        (
            "legacy.test",
            "microsoft-365",
            "unknown",
            "TLSv1.2",
            "AES128-SHA",
            "",
        ),
    ];
    let mut failed = Vec::new();
    for (domain, profile, outcome, protocol, cipher, failure) in table {
        let r = row(domain, profile);
        let got = (
            r["outcome"].as_str(),
            r["protocol"].as_str(),
            r["cipher"].as_str(),
            r["failure"].as_str(),
        );
        if got != (outcome, protocol, cipher, failure) {
            failed.push(format!("{domain} {profile}: {r:?}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert_eq!(row("legacy.test", "postfix-3.7")["group"], "DH 1024");
    let reason = &row("old.test", "microsoft-365")["reason"];
    assert!(
        reason.contains("TLSv1.1"),
        "names what the server picks: {reason}"
    );
    assert!(reason.contains("DANE"), "says why it is unknown: {reason}");
}

#[tokio::test(flavor = "multi_thread")]
async fn text_and_json_carry_the_same_outcomes_and_the_findings_name_the_senders() {
    let lab = lab().await;
    let mut a = lab.args();
    a.extend(args(&["--senders", "postfix-3.7,openssl-3", "old.test"]));
    let text = mxprobe(&a).await;
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(text.contains("senders   what each would do here"), "{text}");
    assert!(
        text.contains("postfix-3.7  encrypted     TLSv1.1:AES128-SHA"),
        "{text}"
    );
    assert!(
        !text.contains("exim-4.96 "),
        "--senders picks which are shown:\n{text}"
    );
    assert!(text.contains("sender-clear-text"), "{text}");
    assert!(
        text.contains("openssl-3 fails (the server picks TLSv1.1"),
        "{text}"
    );
    a.extend(args(&["-f", "json"]));
    let json = mxprobe(&a).await;
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let senders = &doc["domains"][0]["mx"][0]["addresses"][0]["senders"];
    let profiles: Vec<&str> = senders
        .as_array()
        .expect("a senders array")
        .iter()
        .map(|s| s["profile"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(profiles, ["postfix-3.7", "openssl-3"]);
    assert_eq!(senders[1]["outcome"], "failed");
    assert_eq!(senders[1]["failure"], "no-common-version");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_of_ones_own_is_added_and_none_turns_them_off() {
    let lab = lab().await;
    let dir = temp_dir("own");
    // Start from a built-in profile, as README says: print, edit, pass.
    let shown = mxprobe(&args(&["senders", "openssl-3"])).await;
    assert_eq!(shown.status.code(), Some(0));
    let own = String::from_utf8_lossy(&shown.stdout)
        .replace("id = \"openssl-3\"", "id = \"old-relay\"")
        .replace(
            "versions = [\"TLSv1.2\", \"TLSv1.3\"]",
            "versions = [\"TLSv1\", \"TLSv1.1\", \"TLSv1.2\", \"TLSv1.3\"]",
        );
    let path = dir.join("old-relay.toml");
    std::fs::write(&path, own).expect("write");
    let checked = mxprobe(&args(&["senders", path.to_str().unwrap()])).await;
    assert_eq!(checked.status.code(), Some(0), "{checked:?}");
    let mut a = lab.args();
    a.extend(args(&[
        "-f",
        "senders",
        "--senders",
        "openssl-3",
        "--sender",
        path.to_str().unwrap(),
        "old.test",
    ]));
    let out = mxprobe(&a).await;
    let rows = by_profile(&out.stdout);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let own = &rows[&("old.test".to_string(), "old-relay".to_string())];
    assert_eq!(own["outcome"], "encrypted");
    assert_eq!(own["cipher"], "AES128-SHA");
    let mut a = lab.args();
    a.extend(args(&["-f", "senders", "--senders", "none", "old.test"]));
    let out = mxprobe(&a).await;
    assert!(by_profile(&out.stdout).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ids_and_bad_profiles_are_one_line_errors() {
    let dir = temp_dir("bad");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "id = \"x\"\nname = \"x\"\n").expect("write");
    let policy = dir.join("p.toml");
    std::fs::write(&policy, "[senders]\ncommon = [\"postfix-37\"]\n").expect("write");
    let bad = bad.to_str().unwrap();
    let policy = policy.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--senders", "postfix-37", "example.test"], "postfix-37"),
        (&["--sender", bad, "example.test"], "bad.toml"),
        (
            &["--sender", "/no/such/file.toml", "example.test"],
            "file.toml",
        ),
        (&["--policy", policy, "example.test"], "postfix-37"),
        (&["senders", "nope"], "nope"),
    ];
    for (argv, named) in cases {
        let out = mxprobe(&args(argv)).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{argv:?}: {err}");
        assert!(err.contains(named), "{argv:?}: {err}");
    }
    let list = mxprobe(&args(&["senders"])).await;
    let list = String::from_utf8_lossy(&list.stdout);
    for p in mxprobe::senders::built_in() {
        assert!(list.contains(&p.id), "{} not listed:\n{list}", p.id);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_sender_that_offers_the_hybrid_group_gets_it() {
    let pq = ServerConfig::with_tls(TlsConfig {
        min: Some(Protocol::Tls1_2),
        max: Some(Protocol::Tls1_3),
        groups: Some("X25519MLKEM768:x25519:secp256r1".into()),
        ..TlsConfig::default()
    });
    let lab = Lab::start(vec![pq], |z, ip| {
        z.mx("pq.test", 10, "mx.pq.test").a("mx.pq.test", ip[0]);
    })
    .await;
    let mut a = lab.args();
    a.extend(args(&[
        "-f",
        "senders",
        "--senders",
        "postfix-3.11,postfix-3.9",
        "pq.test",
    ]));
    let out = mxprobe(&a).await;
    let rows = by_profile(&out.stdout);
    let group = |p: &str| rows[&("pq.test".to_string(), p.to_string())]["group"].clone();
    assert_eq!(group("postfix-3.11"), "X25519MLKEM768", "{rows:?}");
    assert_eq!(group("postfix-3.9"), "x25519", "{rows:?}");
}
