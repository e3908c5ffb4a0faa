//! Benchmark: a whole default scan of real mail servers, side by side with
//! nmap's `ssl-enum-ciphers` on the same server in the same run.
//!
//! Servers: the in-repo test server (the "realistic" scenario), and the
//! repo's real Postfix and Exim configurations (`testdata/mta/`, the rows of
//! the issue "Polite and fast"): Postfix TLS 1.2+1.3 in server order;
//! Postfix TLS 1.0-1.2 with twelve ciphers and 1024-bit DH; Exim on GnuTLS
//! (Debian's exim4-daemon-light) with TLS 1.0-1.1 only, with TLS 1.0-1.3 and
//! an ECDSA certificate, and as Debian ships it; Postfix with a 3 s pause
//! before every greeting. Each listens on port 25 of a loopback address of
//! its own (nmap's script speaks STARTTLS by the port number).
//!
//! For each server it prints mxprobe's wall time, connections (as the
//! server counted them), refused handshakes, the most connections the
//! server saw open at once (Exim and the in-repo server count them), and,
//! when nmap is installed (Debian package `nmap`), nmap's wall time and
//! connections with the ratio.
//!
//! Run by hand as root (the servers drop to their own users; they are
//! installed by `tests/mta/setup.sh` when missing): `cargo bench --bench
//! mta`. `--rounds N` (default 1) runs mxprobe N times per server and
//! prints the median; `--only NAME` (repeatable) picks rows;
//! `MXPROBE_BIN=PATH` times another mxprobe binary (an older build, to
//! compare) instead of this one; `MXPROBE_ARGS="--legacy never"` adds
//! arguments to every mxprobe run (what a part of the scan costs). nmap's script speaks STARTTLS by port
//! number, hence port 25. Against Exim, nmap opens more connections at once
//! than Exim's default `smtp_accept_max` (20) allows and reports nothing;
//! its numbers there are those of a failed run (the bench says so).

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::{Duration, Instant};

use mxprobe::testkit::dns::{DnsServer, Zone};
use mxprobe::testkit::mta::{self, Daemon};
use mxprobe::testkit::scenarios;
use mxprobe::testkit::smtp::SmtpServer;

/// A server under test and how to read its own count of connections.
enum Server {
    InRepo(SmtpServer),
    Postfix(Daemon),
    Exim(Daemon),
}

impl Server {
    fn addr(&self) -> SocketAddr {
        match self {
            Server::InRepo(s) => s.addr(),
            Server::Postfix(d) | Server::Exim(d) => d.addr(),
        }
    }

    /// Connections so far, and the most open at once (when the server says).
    fn counts(&self) -> (u64, Option<u64>) {
        match self {
            Server::InRepo(s) => (s.connections(), Some(s.max_concurrent() as u64)),
            Server::Postfix(d) => {
                // Postfix names its count only when a limit is exceeded
                // ("Connection concurrency limit exceeded: 3 from …").
                let log = d.log();
                let most = log
                    .lines()
                    .filter_map(|l| l.split_once("concurrency limit exceeded: "))
                    .filter_map(|(_, n)| n.split_whitespace().next()?.parse::<u64>().ok())
                    .max();
                (log.matches("]: connect from ").count() as u64, most)
            }
            Server::Exim(d) => {
                let log = d.log();
                // Accepted ones come with Exim's count of open connections;
                // those beyond smtp_accept_max are refused at once.
                let connections = (log.matches("(TCP/IP connection count = ").count()
                    + log.matches("refused: too many connections").count())
                    as u64;
                let most = log
                    .lines()
                    .filter_map(|l| l.split_once("TCP/IP connection count = "))
                    .filter_map(|(_, n)| n.trim_end_matches(')').trim().parse::<u64>().ok())
                    .max();
                (connections, most)
            }
        }
    }
}

struct Row {
    name: &'static str,
    description: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        name: "in-repo",
        description: "in-repo server, TLS 1.0-1.3, ~30 ciphers, server order, RSA+ECDSA",
    },
    Row {
        name: "postfix-modern",
        description: "Postfix, TLS 1.2+1.3, 4+3 ciphers, server order",
    },
    Row {
        name: "postfix-legacy",
        description: "Postfix, TLS 1.0-1.2, 12 ciphers, server order, DH 1024",
    },
    Row {
        name: "exim-legacy",
        description: "Exim/GnuTLS, TLS 1.0-1.1, 6 ciphers, client order",
    },
    Row {
        name: "exim-ecdsa",
        description: "Exim/GnuTLS, TLS 1.0-1.3, ECDSA certificate, client order",
    },
    Row {
        name: "exim-stock",
        description: "Exim/GnuTLS as Debian ships it, TLS 1.0-1.3, client order",
    },
    Row {
        name: "postfix-limit2",
        description: "Postfix like postfix-modern, at most 2 connections per client",
    },
    Row {
        name: "postfix-slow",
        description: "Postfix like postfix-modern, 3 s pause before every greeting",
    },
];

async fn start(name: &str, addr: SocketAddr) -> Server {
    match name {
        "in-repo" => {
            let scenario = scenarios::named("realistic").expect("scenario");
            let server = SmtpServer::start(addr, scenario.config)
                .await
                .expect("in-repo server");
            Server::InRepo(server)
        }
        "postfix-modern" => Server::Postfix(mta::postfix_at("modern", Some(addr)).await),
        "postfix-legacy" => Server::Postfix(mta::postfix_at("legacy-dh1024", Some(addr)).await),
        "postfix-slow" => Server::Postfix(mta::postfix_at("modern+slow", Some(addr)).await),
        "postfix-limit2" => Server::Postfix(mta::postfix_at("modern+limit2", Some(addr)).await),
        "exim-legacy" => Server::Exim(mta::exim_at("legacy", Some(addr)).await),
        "exim-ecdsa" => Server::Exim(mta::exim_at("ecdsa", Some(addr)).await),
        "exim-stock" => Server::Exim(mta::exim_at("stock", Some(addr)).await),
        other => panic!("unknown row {other}"),
    }
}

/// What one mxprobe run cost.
struct Probe {
    wall: Duration,
    connections: u64,
    most_open: Option<u64>,
    refused: u64,
    close_wait: f64,
}

/// Counts settle once the server has logged the last session.
async fn counts_after(server: &Server, before: (u64, Option<u64>)) -> (u64, Option<u64>) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server.counts();
    (after.0 - before.0, after.1)
}

/// `dns`: where the address's reverse DNS is looked up (on loopback, not
/// the system's nameserver).
async fn probe(server: &Server, dns: SocketAddr) -> Probe {
    let before = server.counts();
    let start = Instant::now();
    let binary =
        std::env::var("MXPROBE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_mxprobe").into());
    let out = Command::new(binary)
        .args(["--resolver", &dns.to_string()])
        .args(["--timeout", "10", "-f", "json", "--host"])
        .arg(server.addr().to_string())
        .args(
            std::env::var("MXPROBE_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .output()
        .expect("run mxprobe");
    let wall = start.elapsed();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "mxprobe's JSON: {e}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let a = &doc["domains"][0]["mx"][0]["addresses"][0];
    if let Some(incomplete) = a["enumeration"]["incomplete"].as_array() {
        eprintln!("  mxprobe: incomplete: {incomplete:?}");
    }
    let (connections, most_open) = counts_after(server, before).await;
    Probe {
        wall,
        connections,
        most_open,
        refused: a["refused_handshakes"].as_u64().unwrap_or(0),
        close_wait: a["close_wait_seconds"].as_f64().unwrap_or(0.0),
    }
}

/// nmap's time and connections, if nmap is installed.
async fn nmap(server: &Server) -> Option<(Duration, u64)> {
    let addr = server.addr();
    let before = server.counts();
    let start = Instant::now();
    let out = Command::new("nmap")
        .args(["-sT", "-p", &addr.port().to_string()])
        .args(["--script", "ssl-enum-ciphers"])
        .arg(addr.ip().to_string())
        .output()
        .ok()?;
    let wall = start.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    if !text.contains("ssl-enum-ciphers") {
        eprintln!("  nmap's ssl-enum-ciphers reported nothing (see the server's log)");
    }
    let (connections, _) = counts_after(server, before).await;
    Some((wall, connections))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .zip(args.iter().skip(1))
            .filter(|(a, _)| *a == flag)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let rounds: usize = value("--rounds")
        .first()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let only = value("--only");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dns = DnsServer::start((Ipv4Addr::new(127, 25, 0, 2), 0).into(), Zone::new())
            .await
            .expect("dns server");
        println!(
            "{:<15} {:>9} {:>5} {:>4} {:>7} {:>5} | {:>9} {:>5} | {:>6} {:>6}",
            "server", "mxprobe", "conn", "open", "refused", "wait", "nmap", "conn", "time", "conn"
        );
        println!(
            "{:<15} {:>9} {:>5} {:>4} {:>7} {:>5} | {:>9} {:>5} | {:>6} {:>6}",
            "", "", "", "max", "", "s", "", "", "ratio", "ratio"
        );
        for (i, row) in ROWS.iter().enumerate() {
            if !only.is_empty() && !only.iter().any(|o| o == row.name) {
                continue;
            }
            let ip = Ipv4Addr::new(127, 25, 0, 10 + i as u8);
            let server = start(row.name, SocketAddr::from((ip, 25))).await;
            let mut runs = Vec::new();
            for _ in 0..rounds {
                runs.push(probe(&server, dns.addr()).await);
            }
            runs.sort_by_key(|r| r.wall);
            let p = &runs[runs.len() / 2];
            let n = nmap(&server).await;
            let (nmap_time, nmap_conn, time_ratio, conn_ratio) = match n {
                Some((wall, conn)) => (
                    format!("{:.2}s", wall.as_secs_f64()),
                    conn.to_string(),
                    format!("{:.2}", p.wall.as_secs_f64() / wall.as_secs_f64()),
                    format!("{:.2}", p.connections as f64 / conn.max(1) as f64),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            println!(
                "{:<15} {:>8.2}s {:>5} {:>4} {:>7} {:>5.1} | {:>9} {:>5} | {:>6} {:>6}",
                row.name,
                p.wall.as_secs_f64(),
                p.connections,
                p.most_open.map_or("-".to_string(), |m| m.to_string()),
                p.refused,
                p.close_wait,
                nmap_time,
                nmap_conn,
                time_ratio,
                conn_ratio,
            );
            eprintln!("  {}", row.description);
        }
    });
}
