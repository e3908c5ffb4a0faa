//! Real mail servers: Debian's Postfix (on the system OpenSSL 3.0) and Exim
//! (on GnuTLS), started on loopback with the configurations in
//! `testdata/mta/`, probed by the real mxprobe binary; its whole result is
//! asserted, and Debian's own `openssl s_client` cross-checks it. The
//! sender predictions are checked against the real clients they model
//! (`senders.rs`: posttls-finger, gnutls-cli, s_client).
//!
//! Run alone with `cargo test --test it mta`. The servers are installed by
//! `tests/mta/setup.sh` (as root, with apt) when missing; every test starts
//! its own instance and stops it again, also when it fails.

use std::net::SocketAddr;

use serde_json::Value;

use crate::common::{args, mxprobe};

mod expect;
mod s_client;
mod senders;

mod exim;
mod postfix;

use expect::{summary, Expect};
use mxprobe::report::{CsvReader, Record};
use mxprobe::testkit::mta::Daemon;

/// Which server wrote a log, to read the commands it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Postfix,
    Exim,
}

/// mxprobe's JSON report of the server (one `--host` target).
async fn probe(addr: SocketAddr, extra: &[&str]) -> Value {
    let dns = crate::common::empty_dns().await;
    let mut a = crate::common::resolver_args(&dns);
    a.extend(args(&[
        "-f",
        "json",
        "--timeout",
        "10",
        "--host",
        &addr.to_string(),
    ]));
    a.extend(args(extra));
    let out = mxprobe(&a).await;
    // The scan ran: 0, or 1 once findings at `--fail-on` set the exit code
    // (the policy engine); 2 is an error.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    doc["domains"][0].clone()
}

/// The remedy of finding `id` in a domain's JSON report (panics, with the
/// findings, when there is no such finding).
fn remedy<'a>(domain: &'a Value, id: &str) -> &'a str {
    domain["findings"]
        .as_array()
        .and_then(|all| all.iter().find(|f| f["id"] == id))
        .and_then(|f| f["remedy"].as_str())
        .unwrap_or_else(|| panic!("no finding {id} in {}", domain["findings"]))
}

/// mxprobe's text output and CSV row for the server (`--quick`: only the
/// software and the fixes are looked at).
async fn text_and_csv(addr: SocketAddr) -> (String, Record) {
    let dns = crate::common::empty_dns().await;
    let mut out = Vec::new();
    for format in ["text", "csv"] {
        let mut a = crate::common::resolver_args(&dns);
        a.extend(args(&[
            "-f",
            format,
            "--quick",
            "--timeout",
            "10",
            "--host",
            &addr.to_string(),
        ]));
        let run = mxprobe(&a).await;
        assert!(matches!(run.status.code(), Some(0 | 1)), "{run:?}");
        out.push(run.stdout);
    }
    let csv = out.pop().unwrap_or_default();
    let row = CsvReader::new(csv.as_slice())
        .expect("a mxprobe CSV")
        .records()
        .next()
        .expect("one row")
        .expect("a valid row");
    let text = String::from_utf8(out.pop().unwrap_or_default()).expect("utf-8");
    (text, row)
}

/// Probe `server`, compare mxprobe's result with `expect`, cross-check it
/// with s_client and check the server's log for what mxprobe sent. Panics
/// with every difference found, mxprobe's result and the server's log.
async fn verify(server: &Daemon, kind: Kind, expect: Expect, extra: &[&str]) -> Value {
    let domain = probe(server.addr(), extra).await;
    let mut failed = expect.mismatches(&domain);
    failed.extend(politeness_mismatches(kind, &server.log(), extra));
    let address = domain["mx"][0]["addresses"][0].clone();
    let (crossed, held) = s_client::cross_check(server.addr(), &address).await;
    failed.extend(crossed);
    failed.extend(commands_mismatches(kind, &server.log()));
    failed.extend(legacy_mismatches(&domain));
    println!(
        "{}: mxprobe reported\n{}cross-checks that held:\n  {}",
        server.instance.name,
        summary(&address),
        held.join("\n  ")
    );
    assert!(
        failed.is_empty(),
        "{}:\n  {}\n\nmxprobe reported\n{}\n{}",
        server.instance.name,
        failed.join("\n  "),
        summary(&address),
        server.diagnostics()
    );
    address
}

/// The hand-written hellos on a real, current server: no false finding,
/// and every check answered as a maintained OpenSSL or GnuTLS answers it.
fn legacy_mismatches(domain: &Value) -> Vec<String> {
    let mut failed: Vec<String> = domain["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["id"].as_str())
        .filter(|id| crate::legacy::CHECKS.contains(id))
        .map(|id| format!("false finding {id}"))
        .collect();
    let address = &domain["mx"][0]["addresses"][0];
    let checks = &address["enumeration"]["legacy"]["checks"];
    let accepted = address["enumeration"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["supported"] == true)
        .count();
    let mut expected = vec![
        ("secure_renegotiation", true),
        ("compression", false),
        ("heartbleed", false),
        ("ccs_injection", false),
    ];
    if accepted >= 2 {
        expected.push(("fallback_protected", true));
    }
    if address["status"] == "ok" {
        for (check, want) in expected {
            if checks[check] != want {
                failed.push(format!(
                    "check {check}: {} (expected {want})",
                    checks[check]
                ));
            }
        }
    }
    failed
}

/// Exim's own count of our connections open at once (it logs it with
/// every connection) never went above `--per-host`.
fn politeness_mismatches(kind: Kind, log: &str, extra: &[&str]) -> Vec<String> {
    if kind != Kind::Exim {
        return Vec::new();
    }
    let per_host: u64 = extra
        .iter()
        .position(|a| *a == "--per-host")
        .and_then(|i| extra.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(2);
    let most = log
        .lines()
        .filter_map(|l| l.split_once("TCP/IP connection count = "))
        .filter_map(|(_, n)| n.trim_end_matches(')').trim().parse::<u64>().ok())
        .max();
    match most {
        None => vec!["Exim logged no connection count".into()],
        Some(n) if n > per_host => vec![format!(
            "Exim counted {n} of our connections open at once; --per-host is {per_host}"
        )],
        Some(_) => Vec::new(),
    }
}

/// SMTP commands mxprobe may send: nothing that could start a delivery.
const ALLOWED: &[&str] = &["EHLO", "STARTTLS", "QUIT"];

/// The servers' own account of the commands each session brought must name
/// only EHLO, STARTTLS and QUIT, and no delivery may have been attempted.
fn commands_mismatches(kind: Kind, log: &str) -> Vec<String> {
    // Postfix: "disconnect from H[IP] ehlo=1 starttls=1 quit=1 commands=3";
    // Exim (log_selector +smtp_no_mail): "no MAIL in SMTP connection from
    // … C=EHLO,STARTTLS,QUIT".
    let sessions: Vec<Vec<String>> = log
        .lines()
        .filter_map(|line| match kind {
            Kind::Postfix => line.split_once("]: disconnect from ").map(|(_, rest)| {
                rest.split_whitespace()
                    .skip(1)
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, _)| k.to_ascii_uppercase())
                    .filter(|k| k != "COMMANDS")
                    .collect()
            }),
            Kind::Exim => line
                .contains("no MAIL in SMTP connection")
                .then(|| {
                    line.rsplit_once(" C=")
                        .map(|(_, c)| c.split(',').map(str::to_string).collect())
                })
                .flatten(),
        })
        .collect();
    let mut out: Vec<String> = sessions
        .iter()
        .flatten()
        .filter(|c| !ALLOWED.contains(&c.as_str()))
        .map(|c| format!("the server's log shows the command {c}"))
        .collect();
    // Refused MAIL or RCPT (Exim's ACL, Postfix's restrictions).
    out.extend(
        log.lines()
            .filter(|l| {
                ["rejected MAIL", "rejected RCPT", "reject: RCPT"]
                    .iter()
                    .any(|r| l.contains(r))
            })
            .map(|l| format!("the server refused a delivery attempt: {l}")),
    );
    if sessions.is_empty() {
        out.push("the server's log names no session's commands".into());
    }
    out
}
