//! The real binary, from domain name to CSV/JSON/text, against test DNS and
//! SMTP servers on loopback.

use std::collections::HashMap;

use mxprobe::testkit::net;
use mxprobe::testkit::smtp::{Misbehaviour, ServerConfig};

use crate::common::{args, assert_never_delivers, assert_ran, csv_rows, mxprobe, Lab};

/// good.test: a working MX; implicit.test: no MX, an A record; plain.test:
/// no STARTTLS; down.test: nothing listens; nullmx.test, nomx.test (TXT
/// only), broken.test (SERVFAIL); nxdomain.test does not exist.
async fn mixed_lab() -> Lab {
    let down = net::closed_port();
    let down_ip = match down.ip() {
        std::net::IpAddr::V4(ip) => ip,
        std::net::IpAddr::V6(_) => unreachable!(),
    };
    let plain = ServerConfig {
        starttls: false,
        banner_host: "mx.plain.test".into(),
        ..ServerConfig::default()
    };
    Lab::start(
        vec![ServerConfig::default(), ServerConfig::default(), plain],
        |z, ip| {
            z.mx("good.test", 10, "mx.good.test")
                .a("mx.good.test", ip[0]);
            z.a("implicit.test", ip[1]);
            z.mx("plain.test", 10, "mx.plain.test")
                .a("mx.plain.test", ip[2]);
            z.mx("down.test", 10, "mx.down.test")
                .a("mx.down.test", down_ip);
            z.mx("nullmx.test", 0, ".");
            z.txt("nomx.test", "v=spf1 -all");
            z.servfail("broken.test");
        },
    )
    .await
}

fn by_domain(rows: Vec<HashMap<String, String>>) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter().map(|r| (r["domain"].clone(), r)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_domain_gets_its_status_in_one_run() {
    let lab = mixed_lab().await;
    let mut a = lab.args();
    a.extend(args(&[
        "--quick",
        "-f",
        "csv",
        "good.test",
        "implicit.test",
        "plain.test",
        "down.test",
        "nullmx.test",
        "nomx.test",
        "broken.test",
        "nxdomain.test",
    ]));
    let out = mxprobe(&a).await;
    assert_ran(&out);
    let rows = by_domain(csv_rows(&out.stdout));
    assert_eq!(rows.len(), 8, "one row each: {rows:#?}");

    let good = &rows["good.test"];
    assert_eq!(good["status"], "ok");
    assert_eq!(good["mx"], "mx.good.test");
    assert_eq!(good["preference"], "10");
    assert_eq!(good["port"], lab.port.to_string());
    assert_eq!(good["banner_host"], "mx.example.test");
    assert_eq!(good["starttls"], "yes");
    assert_eq!(good["negotiated"], "TLSv1.3:TLS_AES_256_GCM_SHA384:256");
    assert_eq!(good["cert_cn"], "mx.example.test");
    assert_eq!(good["cert_san"], "mx.example.test mail.example.test");
    assert_eq!(good["cert_key"], "RSA 2048");
    assert_eq!(good["chain_length"], "2");
    // The broadly compatible handshake and the strict modern sender's.
    assert_eq!(good["connections"], "2");
    assert_eq!(good["handshakes"], "2");

    let implicit = &rows["implicit.test"];
    assert_eq!(
        (
            implicit["status"].as_str(),
            implicit["implicit_mx"].as_str()
        ),
        ("ok", "yes")
    );
    assert_eq!(implicit["mx"], "implicit.test");

    let plain = &rows["plain.test"];
    assert_eq!(
        (plain["status"].as_str(), plain["starttls"].as_str()),
        ("no-starttls", "no")
    );
    assert_eq!(plain["banner_host"], "mx.plain.test");

    assert_eq!(rows["down.test"]["status"], "unreachable");
    assert!(
        rows["down.test"]["error"].contains("connect to"),
        "{:?}",
        rows["down.test"]
    );
    assert_eq!(rows["nullmx.test"]["status"], "null-mx");
    assert_eq!(rows["nomx.test"]["status"], "no-mx");
    assert_eq!(rows["broken.test"]["status"], "dns-error");
    assert!(
        rows["broken.test"]["error"].contains("SERVFAIL"),
        "{:?}",
        rows["broken.test"]
    );
    assert_eq!(rows["nxdomain.test"]["status"], "nxdomain");

    assert_never_delivers(&lab.all_commands());
}

#[tokio::test(flavor = "multi_thread")]
async fn json_carries_the_same_results() {
    let lab = mixed_lab().await;
    let mut a = lab.args();
    a.extend(args(&[
        "--quick",
        "-f",
        "json",
        "good.test",
        "nullmx.test",
        "plain.test",
    ]));
    let out = mxprobe(&a).await;
    assert_ran(&out);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let domains = doc["domains"].as_array().expect("domains");
    assert_eq!(domains.len(), 3);
    let good = &domains[0];
    assert_eq!(good["target"]["name"], "good.test");
    assert_eq!(good["status"], "ok");
    let addr = &good["mx"][0]["addresses"][0];
    assert_eq!(addr["status"], "ok");
    assert_eq!(addr["tls"]["protocol"], "TLSv1.3");
    assert_eq!(addr["tls"]["chain"][0]["common_name"], "mx.example.test");
    assert_eq!(addr["smtp"]["starttls"], true);
    assert_eq!(domains[1]["status"], "null-mx");
    assert_eq!(domains[2]["mx"][0]["addresses"][0]["status"], "no-starttls");
    // Reports round-trip into the library's own types.
    let report: mxprobe::model::DomainReport =
        serde_json::from_value(good.clone()).expect("DomainReport");
    assert_eq!(
        report.mx[0].addresses[0].tls.as_ref().map(|t| t.bits),
        Some(256)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn text_is_readable() {
    let lab = mixed_lab().await;
    let mut a = lab.args();
    a.extend(args(&[
        "--quick",
        "good.test",
        "down.test",
        "nxdomain.test",
    ]));
    let out = mxprobe(&a).await;
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("good.test\n  MX 10 mx.good.test\n"), "{text}");
    assert!(
        text.contains("TLSv1.3:TLS_AES_256_GCM_SHA384:256"),
        "{text}"
    );
    assert!(text.contains("STARTTLS  offered"), "{text}");
    assert!(
        text.contains("names   mx.example.test, mail.example.test"),
        "{text}"
    );
    assert!(text.contains("  unreachable: connect to"), "{text}");
    assert!(text.contains("nxdomain.test  nxdomain: "), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_named_and_the_rest_is_scanned() {
    let lab = mixed_lab().await;
    let mut a = lab.args();
    a.extend(args(&[
        "--quick",
        "-f",
        "csv",
        "bad..name",
        "good.test",
        "--host",
        "x:0",
    ]));
    let out = mxprobe(&a).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "invalid input is an input error"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid domain name \"bad..name\""),
        "{stderr}"
    );
    assert!(stderr.contains("--host"), "{stderr}");
    let rows = csv_rows(&out.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn hosts_are_probed_directly() {
    let lab = mixed_lab().await;
    let target = lab.smtp[0].addr().to_string();
    let mut a = crate::common::resolver_args(&lab.dns);
    a.extend(args(&["--quick", "-f", "csv", "--host", &target]));
    let out = mxprobe(&a).await;
    assert_ran(&out);
    let rows = csv_rows(&out.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "ok");
    assert_eq!(rows[0]["preference"], "");
    assert_eq!(rows[0]["ip"], lab.smtp[0].addr().ip().to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn smtp_failures_are_statuses() {
    let servers = vec![
        ServerConfig::misbehaving(Misbehaviour::Reject421AtGreeting),
        ServerConfig::misbehaving(Misbehaviour::InjectAfterStarttls),
        ServerConfig::misbehaving(Misbehaviour::StarttlsRejected(454)),
        ServerConfig::misbehaving(Misbehaviour::Garbage),
    ];
    let lab = Lab::start(servers, |z, ip| {
        for (i, name) in ["busy", "inject", "refuse", "garbage"].iter().enumerate() {
            z.mx(&format!("{name}.test"), 10, &format!("mx.{name}.test"));
            z.a(&format!("mx.{name}.test"), ip[i]);
        }
    })
    .await;
    let mut a = lab.args();
    a.extend(args(&[
        "--quick",
        "-f",
        "csv",
        "busy.test",
        "inject.test",
        "refuse.test",
        "garbage.test",
    ]));
    let out = mxprobe(&a).await;
    assert_ran(&out);
    let rows = by_domain(csv_rows(&out.stdout));
    for d in ["busy.test", "inject.test", "refuse.test", "garbage.test"] {
        assert_eq!(rows[d]["status"], "smtp-error", "{d}: {:?}", rows[d]);
    }
    assert!(
        rows["busy.test"]["error"].contains("421"),
        "{:?}",
        rows["busy.test"]
    );
    assert!(
        rows["inject.test"]["error"].contains("after its STARTTLS 220"),
        "{:?}",
        rows["inject.test"]
    );
    assert!(
        rows["refuse.test"]["error"].contains("454"),
        "{:?}",
        rows["refuse.test"]
    );
    assert_never_delivers(&lab.all_commands());
}

#[tokio::test(flavor = "multi_thread")]
async fn output_file_is_written_and_unwritable_output_is_an_error() {
    let lab = mixed_lab().await;
    let dir = std::env::temp_dir().join(format!("mxprobe-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("out.csv");
    let mut a = lab.args();
    a.extend(args(&[
        "--quick",
        "-f",
        "csv",
        "-o",
        file.to_str().expect("utf-8"),
        "good.test",
    ]));
    let out = mxprobe(&a).await;
    assert_ran(&out);
    let rows = csv_rows(&std::fs::read(&file).expect("output file"));
    assert_eq!(rows[0]["status"], "ok");

    let mut a = lab.args();
    a.extend(args(&["-o", "/nonexistent-dir/out.csv", "good.test"]));
    let out = mxprobe(&a).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("mxprobe: cannot write /nonexistent-dir/out.csv"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `MX 10 127.x.y.z.`: RFC 5321 §5.1 wants a host name there, and Exim
/// does not deliver to such an MX by default. The address is probed all the
/// same, so the admin sees the rest; the finding says who refuses it.
#[tokio::test(flavor = "multi_thread")]
async fn an_mx_naming_an_address_is_probed_and_reported() {
    let lab = Lab::start(vec![ServerConfig::default()], |z, ip| {
        z.mx("ipmx.test", 10, &ip[0].to_string());
    })
    .await;
    let ip = lab.smtp[0].addr().ip().to_string();
    let mut a = lab.args();
    a.extend(args(&["--quick", "-f", "json", "ipmx.test"]));
    let out = mxprobe(&a).await;
    assert_eq!(out.status.code(), Some(1), "a high finding fails the run");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let d = &doc["domains"][0];
    assert_eq!(d["mx"][0]["host"], ip.as_str());
    assert_eq!(d["mx"][0]["preference"], 10);
    assert_eq!(d["mx"][0]["addresses"][0]["status"], "ok", "probed");
    let finding = d["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "mx-ip-literal"))
        .expect("mx-ip-literal");
    assert_eq!(finding["severity"], "high");
    assert_eq!(finding["mx"], ip.as_str());
    let message = finding["message"].as_str().expect("message");
    assert!(
        message.starts_with(&format!("MX 10 {ip} is an IP address")),
        "{message}"
    );
    assert!(message.contains("Exim"), "{message}");

    let mut a = lab.args();
    a.extend(args(&["--quick", "ipmx.test"]));
    let text = String::from_utf8(mxprobe(&a).await.stdout).expect("utf-8");
    assert!(text.contains(&format!("  MX 10 {ip}\n")), "{text}");
    assert!(
        text.contains(&format!("    HIGH     mx-ip-literal  {ip}\n")),
        "{text}"
    );

    // The same address given as a server is no MX record.
    let mut a = lab.args();
    a.extend(args(&["--quick", "-f", "json", "--host", &ip]));
    let doc: serde_json::Value = serde_json::from_slice(&mxprobe(&a).await.stdout).expect("json");
    let ids: Vec<&str> = doc["domains"][0]["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(!ids.contains(&"mx-ip-literal"), "{ids:?}");
}

/// An MX host whose CNAMEs loop has no address, and the report says why:
/// the loop, named, not "no address".
#[tokio::test(flavor = "multi_thread")]
async fn a_cname_loop_of_an_mx_host_is_named() {
    let lab = Lab::start(vec![ServerConfig::default()], |z, ip| {
        z.mx("loop.test", 10, "mx.loop.test")
            .mx("loop.test", 20, "backup.loop.test")
            .a("backup.loop.test", ip[0])
            .cname("mx.loop.test", "a.loop.test")
            .cname("a.loop.test", "mx.loop.test");
    })
    .await;
    let want = "mx.loop.test: CNAME loop mx.loop.test → a.loop.test → mx.loop.test";
    let mut a = lab.args();
    a.extend(args(&["--quick", "-f", "json", "loop.test"]));
    let doc: serde_json::Value = serde_json::from_slice(&mxprobe(&a).await.stdout).expect("json");
    let d = &doc["domains"][0];
    assert_eq!(d["mx"][0]["host"], "mx.loop.test");
    assert_eq!(d["mx"][0]["error"], want);
    assert_eq!(d["mx"][1]["addresses"][0]["status"], "ok", "the backup");
    let finding = d["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "dns-error"))
        .expect("dns-error");
    assert_eq!(finding["mx"], "mx.loop.test");
    assert_eq!(
        finding["message"],
        format!("address lookup for MX mx.loop.test failed: {want}")
    );

    let mut a = lab.args();
    a.extend(args(&["--quick", "loop.test"]));
    let text = String::from_utf8(mxprobe(&a).await.stdout).expect("utf-8");
    assert!(
        text.contains(&format!("  MX 10 mx.loop.test: {want}\n")),
        "{text}"
    );
    assert!(!text.contains("no address"), "{text}");
}
