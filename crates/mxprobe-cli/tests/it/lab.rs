//! The `mxprobe-lab` binary: its scenarios, and `--mx` domains for servers
//! started elsewhere (the Docker lab's real Postfix and Exim).

use std::net::{IpAddr, SocketAddr};
use std::process::Stdio;

use mxprobe::testkit::net;
use mxprobe::testkit::smtp::ServerConfig;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::{args, mxprobe};

#[tokio::test(flavor = "multi_thread")]
async fn the_lab_serves_its_scenarios_and_mx_domains_for_other_servers() {
    // The server "elsewhere": a test server on an address of its own.
    let (port, elsewhere) = net::smtp_servers(vec![ServerConfig::default()])
        .await
        .expect("smtp server");
    let elsewhere_ip = elsewhere[0].addr().ip();
    let dns = net::closed_port();
    // The scenario's server gets <net>.10: a third octet that
    // `net::loopback()` reaches only after 62,000 addresses.
    let IpAddr::V4(base) = dns.ip() else {
        unreachable!("loopback() is IPv4")
    };
    let lab_net = format!("127.{}.249", base.octets()[1]);
    let mut lab = tokio::process::Command::new(env!("CARGO_BIN_EXE_mxprobe-lab"))
        .args(["--dns", &dns.to_string(), "--port", &port.to_string()])
        .args([
            "--net",
            &lab_net,
            "--mx",
            &format!("Elsewhere.test.={elsewhere_ip}"),
        ])
        .arg("modern")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start mxprobe-lab");
    // It prints what it serves, then how to try it: then it is ready.
    let mut lines = BufReader::new(lab.stdout.take().expect("stdout")).lines();
    let mut listing = Vec::new();
    while let Some(line) = lines.next_line().await.expect("read") {
        if line.starts_with("Try:") {
            break;
        }
        listing.push(line);
    }
    let listing = listing.join("\n");
    assert!(listing.contains("elsewhere.test "), "{listing}");
    assert!(listing.contains("modern.lab.test"), "{listing}");

    let mut a = args(&["--resolver", &dns.to_string(), "--port", &port.to_string()]);
    a.extend(args(&[
        "--quick",
        "-f",
        "json",
        "elsewhere.test",
        "modern.lab.test",
    ]));
    let out = mxprobe(&a).await;
    // The scan ran (1: findings at `--fail-on`, with the policy engine).
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mx = |i: usize| &doc["domains"][i]["mx"][0];
    assert_eq!(mx(0)["host"], "mx.elsewhere.test");
    assert_eq!(mx(0)["addresses"][0]["ip"], elsewhere_ip.to_string());
    assert_eq!(mx(0)["addresses"][0]["status"], "ok");
    assert_eq!(mx(1)["host"], "mx.modern.lab.test");
    let modern = SocketAddr::new(format!("{lab_net}.10").parse().expect("address"), port);
    assert_eq!(mx(1)["addresses"][0]["ip"], modern.ip().to_string());
    assert_eq!(mx(1)["addresses"][0]["status"], "ok");
    assert_eq!(
        elsewhere[0].connections(),
        2,
        "--quick: the broadly compatible handshake and the strict sender's"
    );
}
