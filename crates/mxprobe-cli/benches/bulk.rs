//! Benchmark: bulk scans of synthetic domain lists against M test servers.
//!
//! Starts the in-repo DNS server with N domains whose MX hosts point at M
//! SMTP test servers on distinct 127.x addresses (shared hosting: a few
//! addresses serve most domains), with realistic configurations, a share of
//! them slow, refusing or broken; then runs the release `mxprobe` binary as
//! a child (`-i list -f jsonl`, full enumeration) and prints domains/s,
//! handshakes/s and the child's peak resident memory. Also the resolver
//! stage alone on N = 100,000 (library, in process).
//!
//! Run by hand, not part of the tests:
//!
//! ```sh
//! cargo build --release && cargo bench --bench bulk
//! cargo bench --bench bulk -- 1000 10000     # other sizes (domains)
//! BENCH_FLAGS="--no-dane --no-mta-sts" cargo bench --bench bulk   # extra mxprobe flags
//! ```

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use mxprobe::dns::{Resolver, ResolverConfig};
use mxprobe::testkit::dns::{DnsServer, Zone};
use mxprobe::testkit::net;

mod common;
use common::{hosting, release_binary, run, servers, M};

async fn scan(n: usize, servers_ips: &[Ipv4Addr], port: u16, dns: &DnsServer, bin: &Path) {
    let dir = std::env::temp_dir().join(format!("mxprobe-bench-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let list = dir.join(format!("list-{n}.txt"));
    dns.set_zone(hosting(servers_ips, n, &list));
    let out = dir.join(format!("out-{n}.jsonl"));
    let mut args: Vec<String> = ["-q", "-f", "jsonl", "--timeout", "5", "--retries", "2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend([
        "--resolver".to_string(),
        dns.addr().to_string(),
        "--port".to_string(),
        port.to_string(),
    ]);
    args.extend(
        std::env::var("BENCH_FLAGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string),
    );
    args.extend(["-i".to_string(), list.display().to_string()]);
    args.extend(["-o".to_string(), out.display().to_string()]);
    // Blocks this thread only: the test servers run on the runtime's
    // workers.
    let (secs, cpu, peak_mib) = run(bin, &args);
    let text = std::fs::read_to_string(&out).expect("output");
    let (mut domains, mut handshakes, mut addresses) =
        (0u64, 0u64, std::collections::HashSet::new());
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        domains += 1;
        for mx in v["mx"].as_array().into_iter().flatten() {
            for a in mx["addresses"].as_array().into_iter().flatten() {
                let key = a["ip"].as_str().unwrap_or("").to_string();
                if addresses.insert(key) {
                    handshakes += a["handshakes"].as_u64().unwrap_or(0);
                }
            }
        }
    }
    println!(
        "{n:>7} domains over {M} addresses: {secs:>6.1} s, {:>7.0} domains/s, {handshakes:>6} handshakes ({:>5.0}/s), {} addresses probed, {cpu:.1} CPU-s, peak memory of mxprobe {peak_mib:.0} MiB",
        domains as f64 / secs,
        handshakes as f64 / secs,
        addresses.len(),
    );
    assert_eq!(domains as usize, n, "every domain has its line");
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&list);
}

async fn resolver_only(n: usize, dns: &DnsServer) {
    let mut zone = Zone::new();
    for i in 0..M {
        zone.a(
            &format!("mx{i}.hoster.test"),
            Ipv4Addr::new(192, 0, 2, (i % 250) as u8),
        );
    }
    for d in 0..n {
        zone.mx(
            &format!("r{d}.test"),
            10,
            &format!("mx{}.hoster.test", d % M),
        );
    }
    dns.set_zone(zone);
    let resolver = Resolver::new(&ResolverConfig {
        nameservers: vec![dns.addr()],
        timeout: Duration::from_secs(5),
        attempts: 2,
        families: Default::default(),
    })
    .expect("resolver");
    let start = Instant::now();
    let ok = futures::stream::iter(0..n)
        .map(|d| {
            let r = resolver.clone();
            async move {
                let mx = r.mx(&format!("r{d}.test")).await;
                let addrs = r.addresses(&format!("mx{}.hoster.test", d % M)).await;
                mx.is_ok() && addrs.is_ok()
            }
        })
        .buffer_unordered(64)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n:>7} domains, resolver only (MX + A, 64 at a time): {secs:>6.1} s, {:>7.0} domains/s, {ok} resolved",
        n as f64 / secs
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000]
    } else {
        sizes
    };
    let bin = release_binary();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let (port, servers, ips) = servers().await;
        let dns = DnsServer::start((net::loopback(), 0).into(), Zone::new())
            .await
            .expect("dns");
        println!("{M} test servers on port {port}; mxprobe {}", bin.display());
        for n in sizes {
            scan(n, &ips, port, &dns, &bin).await;
        }
        resolver_only(100_000, &dns).await;
        drop(servers);
    });
}
