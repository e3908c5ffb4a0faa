//! Benchmark: the sharded stages' throughput, and from it the machines an
//! internet-scale scan needs.
//!
//! 1. `mxprobe resolve` on N = 100,000 domains (default flags: DANE and
//!    MTA-STS lookups on) against the in-repo DNS server: domains/s, and
//!    domains per CPU-second of mxprobe (its own user + system time).
//! 2. `mxprobe probe` on the addresses of those domains (200 test servers
//!    with the bulk benchmark's realistic mix, 5 % slow to greet, some
//!    refusing) at the default politeness: handshakes/s, handshakes per
//!    CPU-second, connections and handshakes per address.
//! 3. A sample of 40 addresses (every fifth server, the mix in its
//!    proportions) probed one at a time (`--concurrency 2`: one address at
//!    `--per-host 2`): the wall time of one address on loopback, the
//!    server's own waits included.
//! 4. The projection: machines of 2 cores to scan D domains (17 million:
//!    all of .de) collapsing to A distinct MX addresses in 24 hours, from
//!    the CPU each stage needs and from the time each address takes on
//!    the internet at the default politeness, where every connection
//!    costs about 5 round trips (TCP, greeting, EHLO, STARTTLS, the
//!    handshake) of RTT seconds, `--per-host 2` connections at a time,
//!    and `--concurrency 64` connections per machine; and, for the
//!    resolve stage, the DNS queries per domain counted here, each taking
//!    a recursive resolver's cache miss (30 ms), 32 at a time
//!    (`--dns-concurrency`). Exim on GnuTLS sleeps after failed handshakes
//!    (1.5 s more per address; PROJECT_EXIM_SHARE, default 30 %) and some
//!    addresses never answer (the 15 s timeout; PROJECT_UNREACHABLE_SHARE,
//!    default 5 %).
//!
//! Run by hand, not part of the tests:
//!
//! ```sh
//! cargo build --release && cargo bench --bench shards
//! cargo bench --bench shards -- --domains 20000          # a smaller list
//! PROJECT_DOMAINS=17000000 PROJECT_ADDRESSES=400000 PROJECT_RTT=0.05 \
//!     PROJECT_DNS_LATENCY=0.03 PROJECT_DNS_QUERIES=6 cargo bench --bench shards
//! ```
//!
//! The test servers run in this process, on the same cores as mxprobe:
//! wall-clock rates are shared with them, CPU-seconds are mxprobe's alone.

use std::io::Write;
use std::path::Path;

use mxprobe::testkit::dns::{DnsServer, Zone};
use mxprobe::testkit::net;

mod common;
use common::{hosting, release_binary, run, servers, M};

/// Seconds in the scan's day.
const DAY: f64 = 86_400.0;
/// Cores per machine in the projection.
const CORES: f64 = 2.0;
/// Round trips per connection (TCP, greeting, EHLO, STARTTLS, handshake).
const ROUND_TRIPS: f64 = 5.0;
/// The defaults the projection assumes: `--per-host`, `--concurrency`.
const PER_HOST: f64 = 2.0;
const CONCURRENCY: f64 = 64.0;
/// What an Exim on GnuTLS costs more than the servers here, whose
/// failed handshakes cost nothing: its 500 ms sleep after each, about
/// 1.5 s per address (`cargo bench --bench mta`: Exim as Debian ships it
/// 1.5-1.6 s, Postfix 0.1 s).
const EXIM_EXTRA: f64 = 1.5;
/// `--timeout`'s default: what an address that never answers costs.
const TIMEOUT: f64 = 15.0;
/// `--dns-concurrency`'s default.
const DNS_CONCURRENCY: f64 = 32.0;

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn bytes(file: &Path) -> f64 {
    std::fs::metadata(file).expect("file").len() as f64
}

/// Handshakes, connections and addresses in a probed file.
fn tally(file: &Path) -> (u64, u64, u64) {
    let text = std::fs::read_to_string(file).expect("probed");
    let (mut handshakes, mut connections, mut addresses) = (0, 0, 0);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        handshakes += v["handshakes"].as_u64().unwrap_or(0);
        connections += v["connections"].as_u64().unwrap_or(0);
        addresses += 1;
    }
    (handshakes, connections, addresses)
}

fn main() {
    let mut n = 100_000usize;
    let mut argv = std::env::args().skip(1);
    while let Some(a) = argv.next() {
        if a == "--domains" {
            n = argv
                .next()
                .and_then(|v| v.parse().ok())
                .expect("--domains N");
        }
    }
    let bin = release_binary();
    let dir = std::env::temp_dir().join(format!("mxprobe-bench-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (port, servers, ips, dns) = rt.block_on(async {
        let (port, servers, ips) = servers().await;
        let dns = DnsServer::start((net::loopback(), 0).into(), Zone::new())
            .await
            .expect("dns");
        (port, servers, ips, dns)
    });
    let list = dir.join("domains.txt");
    dns.set_zone(hosting(&ips, n, &list));
    let lab = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "-q",
            "--resolver",
            &dns.addr().to_string(),
            "--port",
            &port.to_string(),
            "--timeout",
            "5",
            "--retries",
            "2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let p = |f: &Path| f.display().to_string();
    println!(
        "{M} test servers on port {port}; {n} domains; mxprobe {}",
        bin.display()
    );

    // 1. Resolve.
    let resolved = dir.join("resolved.jsonl");
    let mut a = vec!["resolve".to_string()];
    a.extend(lab(&["-i", &p(&list), "-o", &p(&resolved)]));
    let queries = dns.queries();
    let (wall, cpu, rss) = run(&bin, &a);
    let lookups = (dns.queries() - queries) as f64 / n as f64;
    let lines = std::fs::read_to_string(&resolved)
        .expect("resolved")
        .lines()
        .count();
    assert_eq!(lines, n, "every domain resolved");
    let resolve_per_cpu = n as f64 / cpu;
    println!(
        "resolve: {n} domains in {wall:.1} s: {:.0} domains/s, {cpu:.1} CPU-s: {resolve_per_cpu:.0} domains per CPU-second; {lookups:.1} DNS queries per domain; \
         {:.0} bytes per domain written, peak memory {rss:.0} MiB",
        n as f64 / wall,
        bytes(&resolved) / n as f64
    );

    // 2. Probe every address, default politeness.
    let probed = dir.join("probed.jsonl");
    let mut a = vec!["probe".to_string()];
    a.extend(lab(&["--from", &p(&resolved), "-o", &p(&probed)]));
    let (wall, cpu, rss) = run(&bin, &a);
    let (handshakes, connections, addresses) = tally(&probed);
    let hs_per_cpu = handshakes as f64 / cpu;
    let per_address = handshakes as f64 / addresses as f64;
    let conn_per_address = connections as f64 / addresses as f64;
    println!(
        "probe: {addresses} addresses in {wall:.1} s: {handshakes} handshakes, {:.0}/s, {cpu:.1} CPU-s: {hs_per_cpu:.0} handshakes per CPU-second; {per_address:.1} handshakes and {conn_per_address:.1} connections per address; \
         {:.0} bytes per address written, peak memory {rss:.0} MiB",
        handshakes as f64 / wall,
        bytes(&probed) / addresses as f64
    );

    // The join: every domain's report, as CSV.
    let report = dir.join("report.csv");
    let mut a = vec!["join".to_string()];
    a.extend(lab(&[
        "--from",
        &p(&resolved),
        "--probed",
        &p(&probed),
        "-f",
        "csv",
        "-o",
        &p(&report),
    ]));
    let (wall, cpu, rss) = run(&bin, &a);
    println!(
        "join: {n} domains in {wall:.1} s: {:.0} domains/s, {:.0} domains per CPU-second, peak memory {rss:.0} MiB",
        n as f64 / wall,
        n as f64 / cpu
    );

    // What the join holds per address: the same again with 20,000 more
    // probe results (copies of the real ones under other addresses).
    let many = dir.join("probed-many.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&many).expect("many"));
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&probed)
        .expect("probed")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    const EXTRA: u32 = 20_000;
    for i in 0..EXTRA {
        let mut row = rows[i as usize % rows.len()].clone();
        row["ip"] = std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string().into();
        serde_json::to_writer(&mut f, &row).expect("write");
        writeln!(f).expect("write");
    }
    drop(f);
    let mut a = vec!["join".to_string()];
    a.extend(lab(&[
        "--from",
        &p(&resolved),
        "--probed",
        &p(&probed),
        &p(&many),
        "-f",
        "csv",
        "-o",
        &p(&report),
    ]));
    let (_, _, rss_many) = run(&bin, &a);
    println!(
        "join holding {EXTRA} more probe results: peak memory {rss_many:.0} MiB, {:.1} KiB per probe result held",
        (rss_many - rss) * 1024.0 / f64::from(EXTRA)
    );

    // 3. A sample, one address at a time: every fifth server (domain d <
    // M is server d's first; it is line d + 1 of the list, so its seq is
    // d + 1), the mix in its proportions.
    let sample_from = dir.join("sample-resolved.jsonl");
    let sample: String = std::fs::read_to_string(&resolved)
        .expect("resolved")
        .lines()
        .filter(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            let d = v["seq"].as_u64().expect("seq") - 1;
            d < M as u64 && d.is_multiple_of(5)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&sample_from, sample).expect("sample");
    let sample_out = dir.join("sample-probed.jsonl");
    let mut a = vec!["probe".to_string()];
    a.extend(lab(&[
        "--from",
        &p(&sample_from),
        "--concurrency",
        "2",
        "-o",
        &p(&sample_out),
    ]));
    let (wall, _, _) = run(&bin, &a);
    let (_, _, sampled) = tally(&sample_out);
    let local = wall / sampled as f64;
    println!("sample: {sampled} addresses one at a time in {wall:.1} s: {local:.2} s per address on loopback");

    // 4. The projection.
    let domains = env_f64("PROJECT_DOMAINS", 17_000_000.0);
    let addresses = env_f64("PROJECT_ADDRESSES", 500_000.0);
    let rtt = env_f64("PROJECT_RTT", 0.05);
    let dns_latency = env_f64("PROJECT_DNS_LATENCY", 0.03);
    let resolve_cpu_machines = domains / (resolve_per_cpu * CORES * DAY);
    // The zone here is unsigned and its MX hosts shared: a real scan asks
    // more (DS for each delegation, hosts of its own); PROJECT_DNS_QUERIES
    // sets how many.
    let queries = env_f64("PROJECT_DNS_QUERIES", lookups);
    let resolve_time_machines = domains * queries * dns_latency / (DNS_CONCURRENCY * DAY);
    let resolve_machines = resolve_cpu_machines.max(resolve_time_machines);
    let probe_cpu_machines = addresses * per_address / (hs_per_cpu * CORES * DAY);
    let exim_share = env_f64("PROJECT_EXIM_SHARE", 0.3);
    let unreachable_share = env_f64("PROJECT_UNREACHABLE_SHARE", 0.05);
    let per_address_internet = local
        + conn_per_address * ROUND_TRIPS * rtt / PER_HOST
        + exim_share * EXIM_EXTRA
        + unreachable_share * TIMEOUT;
    let in_parallel = CONCURRENCY / PER_HOST;
    let probe_time_machines = addresses * per_address_internet / (in_parallel * DAY);
    let probe_machines = probe_cpu_machines.max(probe_time_machines);
    let machines = (resolve_machines + probe_machines).ceil();
    println!(
        "projection: {domains:.0} domains, {addresses:.0} addresses, RTT {:.0} ms, {queries:.1} DNS queries per domain at {:.0} ms, \
         {:.0} % Exim on GnuTLS, {:.0} % unreachable, {CORES} cores per machine, 24 h:\n  \
         resolve: {resolve_cpu_machines:.2} machine-days of CPU; {DNS_CONCURRENCY:.0} lookups at a time per machine: {resolve_time_machines:.2} machine-days\n  \
         probe: {probe_cpu_machines:.2} machine-days of CPU; {per_address_internet:.1} s per address on the internet, \
         {in_parallel:.0} addresses at a time per machine: {probe_time_machines:.2} machine-days\n  \
         machines: {machines:.0} (the stages run one after the other within the day)",
        rtt * 1000.0,
        dns_latency * 1000.0,
        exim_share * 100.0,
        unreachable_share * 100.0
    );
    drop(servers);
    let _ = std::fs::remove_dir_all(&dir);
}
