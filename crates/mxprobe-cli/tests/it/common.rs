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
        let ips: Vec<Ipv4Addr> = smtp.iter().map(|s| ipv4(s.addr())).collect();
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

/// The IPv4 address of a test server (they all listen on IPv4 loopback).
pub fn ipv4(addr: SocketAddr) -> Ipv4Addr {
    match addr {
        SocketAddr::V4(a) => *a.ip(),
        SocketAddr::V6(_) => unreachable!("test servers are on IPv4 loopback"),
    }
}

/// A DNS server without records, for runs of `--host` targets: the reverse
/// DNS of every probed address is still looked up, and `--resolver` with
/// this keeps those questions on loopback (it answers NXDOMAIN at once).
pub async fn empty_dns() -> DnsServer {
    DnsServer::start(SocketAddr::from((net::loopback(), 0)), Zone::new())
        .await
        .expect("dns server")
}

/// `--resolver ADDR` for `dns`.
pub fn resolver_args(dns: &DnsServer) -> Vec<String> {
    vec!["--resolver".into(), dns.addr().to_string()]
}

/// A fresh directory for one test's files: `mxprobe-TOPIC-PID-NAME` in the
/// system's temporary directory, emptied if an earlier run left it.
pub fn temp_dir(topic: &str, name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mxprobe-{topic}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
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

/// A finished run of the binary, with what it cost.
pub struct Measured {
    /// Exit code; `None` when killed.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: std::time::Duration,
    /// Peak resident memory of the process (its `VmHWM`), in KiB.
    pub max_rss_kib: u64,
}

/// Run the mxprobe binary with `args` and measure its wall time and peak
/// memory; kill it after `limit` (the test then fails on the exit code).
/// Blocks: call it from `spawn_blocking`.
pub fn mxprobe_measured(args: &[String], limit: std::time::Duration) -> Measured {
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mxprobe"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mxprobe");
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = pipe(Box::new(child.stdout.take().expect("stdout")));
    let stderr = pipe(Box::new(child.stderr.take().expect("stderr")));
    // The peak is the high-water mark of the process's own memory (VmHWM),
    // read while it runs. Not wait4's ru_maxrss: a process started with
    // posix_spawn (vfork) inherits the spawning process's peak there, so it
    // would report this test binary's memory, not mxprobe's.
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let mut killed = false;
    let status = loop {
        peak = peak.max(vm_hwm_kib(&status_file).unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait for mxprobe") {
            break status;
        }
        if !killed && start.elapsed() > limit {
            let _ = child.kill();
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Measured {
        code: if killed { None } else { status.code() },
        stdout: stdout.join().expect("stdout reader"),
        stderr: String::from_utf8_lossy(&stderr.join().expect("stderr reader")).into_owned(),
        elapsed: start.elapsed(),
        max_rss_kib: peak,
    }
}

/// `VmHWM` (peak resident set) from a `/proc/PID/status`, in KiB; `None`
/// once the process has exited.
fn vm_hwm_kib(status_file: &str) -> Option<u64> {
    let text = std::fs::read_to_string(status_file).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What a server may receive from mxprobe in one session: `EHLO`, then
/// `STARTTLS` or `QUIT`; over TLS `QUIT` at most (the test server also
/// records `EHLO` again if a client sent one, which mxprobe does not).
/// Nothing after `QUIT`.
pub fn assert_session_polite(session: &mxprobe::testkit::smtp::Session) {
    let verbs: Vec<String> = session
        .commands
        .iter()
        .chain(&session.tls_commands)
        .map(|c| {
            c.split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase()
        })
        .collect();
    assert_never_delivers(&verbs);
    let plain: Vec<&str> = verbs[..session.commands.len()]
        .iter()
        .map(String::as_str)
        .collect();
    let tls: Vec<&str> = verbs[session.commands.len()..]
        .iter()
        .map(String::as_str)
        .collect();
    let plain_ok = matches!(
        plain[..],
        [] | ["EHLO"] | ["EHLO", "QUIT"] | ["EHLO", "STARTTLS"] | ["EHLO", "STARTTLS", "QUIT"]
    );
    assert!(plain_ok, "session {}: sent {plain:?}", session.number);
    assert!(
        matches!(tls[..], [] | ["QUIT"]),
        "session {}: sent {tls:?} over TLS",
        session.number
    );
    if plain.last() == Some(&"QUIT") {
        assert!(
            tls.is_empty(),
            "session {}: sent {tls:?} after QUIT",
            session.number
        );
    }
}

/// `domain → finding ID → severity` from a JSON run.
pub fn findings_by_domain(
    doc: &serde_json::Value,
) -> std::collections::HashMap<String, std::collections::HashMap<String, String>> {
    doc["domains"]
        .as_array()
        .expect("domains")
        .iter()
        .map(|d| {
            let name = d["target"]["name"]
                .as_str()
                .expect("name")
                .trim_end_matches(".test");
            let found = d["findings"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .map(|f| {
                            let id = f["id"].as_str().expect("id").to_string();
                            let sev = f["severity"].as_str().expect("severity").to_string();
                            (id, sev)
                        })
                        .collect()
                })
                .unwrap_or_default();
            (name.to_string(), found)
        })
        .collect()
}
