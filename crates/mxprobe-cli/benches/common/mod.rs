//! What the bulk benchmarks share: a realistic mix of test servers, a
//! shared-hosting spread of domains over them, and a run of mxprobe with
//! its cost.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mxprobe::testkit::dns::Zone;
use mxprobe::testkit::mta;
use mxprobe::testkit::net;
use mxprobe::testkit::scenarios;
use mxprobe::testkit::smtp::{Misbehaviour, ServerConfig, SmtpServer};

/// Addresses (test servers).
pub const M: usize = 200;

/// The configuration of server `i` of `M`: mostly well-kept servers, some
/// legacy ones, 5 % slow to greet, 3 % without STARTTLS, 2 % answering 421.
pub fn config(i: usize) -> ServerConfig {
    let pick = |name: &str| scenarios::named(name).expect("scenario").config;
    match i % 100 {
        0..=39 => pick("modern"),
        40..=59 => pick("realistic"),
        60..=69 => pick("kabelmail"),
        70..=79 => pick("client-order"),
        80..=84 => pick("legacy"),
        85..=89 => pick("dual-cert"),
        90..=94 => ServerConfig {
            greeting_delay: Duration::from_secs(2),
            ..pick("modern")
        },
        95..=97 => pick("no-starttls"),
        _ => ServerConfig::misbehaving(Misbehaviour::Reject421AtGreeting),
    }
}

/// Domain `d`'s server: shared hosting, so low-numbered servers carry most
/// domains (about a 1/rank distribution), every server at least one.
pub fn server_of(d: usize, n: usize) -> usize {
    if d < M {
        return d;
    }
    let x = (d as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    let u = (x as f64) / ((1u64 << 53) as f64);
    let rank = ((M as f64).powf(u) - 1.0).floor() as usize;
    rank.min(M - 1) % M.min(n.max(1))
}

/// User + system CPU seconds of the children waited for so far.
fn children_cpu() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct passed.
    let u = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

/// One run of `bin` with `args`: wall and CPU seconds, peak memory (MiB).
/// The peak is the process's own high-water mark (VmHWM), read while it
/// runs: wait4's ru_maxrss of a child started by posix_spawn (vfork)
/// starts from this process's peak.
pub fn run(bin: &Path, args: &[String]) -> (f64, f64, f64) {
    let cpu = children_cpu();
    let start = Instant::now();
    let mut child = std::process::Command::new(bin)
        .args(args)
        .spawn()
        .expect("run mxprobe");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        let hwm = std::fs::read_to_string(&status_file).ok().and_then(|t| {
            let line = t.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse().ok()
        });
        peak_kib = peak_kib.max(hwm.unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let wall = start.elapsed().as_secs_f64();
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "mxprobe {args:?}: {status}"
    );
    (wall, children_cpu() - cpu, peak_kib as f64 / 1024.0)
}

/// The release binary the benchmarks run; exits when it is not built.
pub fn release_binary() -> PathBuf {
    // The workspace's target directory, at the repository root.
    let bin = mta::repo_path("target/release/mxprobe");
    if !bin.exists() {
        eprintln!("build the release binary first: cargo build --release");
        std::process::exit(2);
    }
    bin
}

/// The `M` test servers of the mix, on one port, and their addresses.
pub async fn servers() -> (u16, Vec<SmtpServer>, Vec<Ipv4Addr>) {
    let configs: Vec<ServerConfig> = (0..M).map(config).collect();
    let (port, servers) = net::smtp_servers(configs).await.expect("servers");
    let ips = servers
        .iter()
        .map(|s| match s.addr() {
            SocketAddr::V4(a) => *a.ip(),
            SocketAddr::V6(_) => unreachable!("servers are on IPv4 loopback"),
        })
        .collect();
    (port, servers, ips)
}

/// `n` domains `dN.test` spread over the servers at `ips` as shared
/// hosting does (MX `mxS.hoster.test`), written to `list` one per line;
/// the zone that serves them.
pub fn hosting(ips: &[Ipv4Addr], n: usize, list: &Path) -> Zone {
    let mut zone = Zone::new();
    for (i, ip) in ips.iter().enumerate() {
        zone.a(&format!("mx{i}.hoster.test"), *ip);
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(list).expect("list"));
    for d in 0..n {
        let s = server_of(d, n);
        zone.mx(&format!("d{d}.test"), 10, &format!("mx{s}.hoster.test"));
        writeln!(f, "d{d}.test").expect("write");
    }
    f.flush().expect("list");
    zone
}
