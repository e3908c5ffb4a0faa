//! What no OpenSSL 3 can offer, through the binary, against the scripted
//! servers of the testkit (which answer hand-written hellos with recorded
//! bytes): SSLv2, export and single-DES suites, and the classic checks.
//! Each is found where it is, and an ordinary OpenSSL server shows none.

use std::collections::HashMap;

use mxprobe::testkit::scenarios;
use mxprobe::testkit::smtp::{HeartbeatReply, Script, ServerConfig};
use mxprobe::tls::Protocol;
use serde_json::Value;

use crate::common::{args, findings_by_domain, mxprobe, Lab};

/// One server per case, each the MX of `<case>.test`.
async fn lab() -> (Lab, Vec<&'static str>) {
    let cases: Vec<(&'static str, ServerConfig)> = vec![
        ("sslv2", ServerConfig::scripted(Script::Sslv2)),
        (
            "export",
            ServerConfig::scripted(Script::Export {
                max: Protocol::Tls1,
            }),
        ),
        (
            "heartbleed",
            ServerConfig::scripted(Script::Heartbeat(HeartbeatReply::Bleed)),
        ),
        (
            "heartbeat",
            ServerConfig::scripted(Script::Heartbeat(HeartbeatReply::Discard)),
        ),
        ("compression", ServerConfig::scripted(Script::Compression)),
        ("no-reneg", ServerConfig::scripted(Script::NoRenegotiation)),
        (
            "no-scsv",
            ServerConfig::scripted(Script::Fallback { scsv: false }),
        ),
        (
            "scsv",
            ServerConfig::scripted(Script::Fallback { scsv: true }),
        ),
        (
            "ccs",
            ServerConfig::scripted(Script::CcsInjection { vulnerable: true }),
        ),
        (
            "ccs-fixed",
            ServerConfig::scripted(Script::CcsInjection { vulnerable: false }),
        ),
        (
            "modern",
            scenarios::named("modern").expect("scenario").config,
        ),
        (
            "legacy",
            scenarios::named("legacy").expect("scenario").config,
        ),
    ];
    let names: Vec<&'static str> = cases.iter().map(|(n, _)| *n).collect();
    let configs = cases.into_iter().map(|(_, c)| c).collect();
    let lab = Lab::start(configs, |z, ip| {
        for (i, name) in names.iter().enumerate() {
            let mx = format!("mx.{name}.test");
            z.mx(&format!("{name}.test"), 10, &mx).a(&mx, ip[i]);
        }
    })
    .await;
    (lab, names)
}

/// Per case: its address report and findings (ID → severity).
async fn scan(lab: &Lab, names: &[&str]) -> HashMap<String, (Value, HashMap<String, String>)> {
    let mut a = lab.args();
    a.extend(args(&[
        "-f",
        "json",
        "--no-dane",
        "--no-mta-sts",
        "--senders",
        "none",
    ]));
    a.extend(names.iter().map(|n| format!("{n}.test")));
    let out = mxprobe(&a).await;
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut findings = findings_by_domain(&doc);
    doc["domains"]
        .as_array()
        .expect("domains")
        .iter()
        .map(|d| {
            let name = d["target"]["name"]
                .as_str()
                .unwrap_or("")
                .trim_end_matches(".test");
            let ids = findings.remove(name).unwrap_or_default();
            (name.to_string(), (d["mx"][0]["addresses"][0].clone(), ids))
        })
        .collect()
}

/// Every finding the hand-written hellos can bring (with `cipher-export`,
/// which only they can find in a scan).
pub(crate) const CHECKS: &[&str] = &[
    "protocol-sslv2",
    "cipher-export",
    "cipher-des",
    "heartbleed",
    "ccs-injection",
    "no-secure-renegotiation",
    "tls-compression",
    "no-fallback-scsv",
];

#[tokio::test(flavor = "multi_thread")]
async fn each_check_and_suite_family_is_found_where_it_is_and_nowhere_else() {
    let (lab, names) = lab().await;
    let found = scan(&lab, &names).await;
    // (case, the findings among CHECKS it must have; all others absent)
    let table: &[(&str, &[&str])] = &[
        ("sslv2", &["protocol-sslv2"]),
        (
            "export",
            &["cipher-export", "cipher-des", "no-fallback-scsv"],
        ),
        ("heartbleed", &["heartbleed", "no-fallback-scsv"]),
        ("heartbeat", &["no-fallback-scsv"]),
        ("compression", &["tls-compression", "no-fallback-scsv"]),
        ("no-reneg", &["no-secure-renegotiation", "no-fallback-scsv"]),
        ("no-scsv", &["no-fallback-scsv"]),
        ("scsv", &[]),
        ("ccs", &["ccs-injection", "no-fallback-scsv"]),
        ("ccs-fixed", &["no-fallback-scsv"]),
        ("modern", &[]),
        ("legacy", &[]),
    ];
    let mut failed = Vec::new();
    for (case, want) in table {
        let (address, ids) = &found[*case];
        for check in CHECKS {
            let has = ids.contains_key(*check);
            if has != want.contains(check) {
                failed.push(format!(
                    "{case}: {check} {}\n  legacy: {}",
                    if has {
                        "found, not expected"
                    } else {
                        "missing"
                    },
                    address["enumeration"]["legacy"]
                ));
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    // The export server's suites are in its per-version list, in its
    // order, marked as found by hand-written hellos.
    let (export, _) = &found["export"];
    let tls1 = export["enumeration"]["versions"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["protocol"] == "TLSv1"))
        .expect("TLSv1");
    let raw: Vec<&str> = tls1["ciphers"]
        .as_array()
        .expect("ciphers")
        .iter()
        .filter(|c| c["raw"] == true)
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        raw,
        [
            "EXP-RC4-MD5",
            "EXP-RC2-CBC-MD5",
            "EXP-DES-CBC-SHA",
            "DES-CBC-SHA",
            "EDH-RSA-DES-CBC-SHA"
        ],
        "{tls1}"
    );
    let (sslv2, _) = &found["sslv2"];
    assert_eq!(
        sslv2["enumeration"]["legacy"]["sslv2"],
        serde_json::json!([
            "SSL_CK_RC4_128_WITH_MD5",
            "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
            "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
            "SSL_CK_DES_64_CBC_WITH_MD5"
        ])
    );
}
