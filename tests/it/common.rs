//! Shared by the integration tests: a lab of test servers and a way to run
//! the real binary against it.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Output;

use mxprobe::testkit::dns::{DnsServer, Zone};
use mxprobe::testkit::net;
use mxprobe::testkit::smtp::{ServerConfig, SmtpServer};

/// A DNS server and SMTP servers on loopback, all SMTP servers on one port.
pub struct Lab {
    pub dns: DnsServer,
    pub port: u16,
    pub smtp: Vec<SmtpServer>,
}

impl Lab {
    /// Start `servers`; `zone` gets the records from `build`, which is given
    /// each server's address (in order).
    pub async fn start(
        servers: Vec<ServerConfig>,
        build: impl FnOnce(&mut Zone, &[Ipv4Addr]),
    ) -> Lab {
        let (port, smtp) = net::smtp_servers(servers).await.expect("smtp servers");
        let ips: Vec<Ipv4Addr> = smtp
            .iter()
            .map(|s| match s.addr() {
                SocketAddr::V4(a) => *a.ip(),
                SocketAddr::V6(_) => unreachable!("servers are on IPv4 loopback"),
            })
            .collect();
        let mut zone = Zone::new();
        build(&mut zone, &ips);
        let dns = DnsServer::start(SocketAddr::from((net::loopback(), 0)), zone)
            .await
            .expect("dns server");
        Lab { dns, port, smtp }
    }

    /// `--resolver` and `--port` for this lab, plus short timeouts.
    pub fn args(&self) -> Vec<String> {
        self.args_with_timeout(5.0)
    }

    /// `--resolver`, `--port` and `--timeout SECS`.
    pub fn args_with_timeout(&self, secs: f64) -> Vec<String> {
        vec![
            "--resolver".into(),
            self.dns.addr().to_string(),
            "--port".into(),
            self.port.to_string(),
            "--timeout".into(),
            secs.to_string(),
        ]
    }

    /// Every command any server received, before and after TLS.
    pub fn all_commands(&self) -> Vec<String> {
        self.smtp
            .iter()
            .flat_map(|s| s.transcript())
            .flat_map(|session| session.commands.into_iter().chain(session.tls_commands))
            .collect()
    }
}

/// Run the mxprobe binary with `args`.
pub async fn mxprobe(args: &[String]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_mxprobe"))
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .expect("run mxprobe")
}

pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// CSV output as rows of (column → value).
pub fn csv_rows(out: &[u8]) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(out);
    let headers = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Only EHLO, STARTTLS and QUIT may ever reach a server.
pub fn assert_never_delivers(commands: &[String]) {
    for c in commands {
        let verb = c
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        assert!(
            matches!(verb.as_str(), "EHLO" | "STARTTLS" | "QUIT"),
            "mxprobe sent {c:?}"
        );
    }
}

/// The scan ran (exit 0: nothing at --fail-on, 1: findings); not 2.
pub fn assert_ran(out: &Output) {
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}
