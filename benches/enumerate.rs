//! Benchmark: full enumeration of one realistic server (TLS 1.0–1.3, about
//! 30 ciphers in server order, RSA and ECDSA certificates) on loopback.
//! Prints handshakes, refusals, connections and wall time per `--per-host`
//! setting, next to the handshake budget of the design (see `budget`).
//!
//! Run by hand (not part of the tests): `cargo bench --bench enumerate`.
//! Optional `--rounds N` (default 5) for the best and median of N rounds.

use std::time::{Duration, Instant};

use mxprobe::dns::ResolverConfig;
use mxprobe::model::{AddressReport, Target};
use mxprobe::scan::{ScanConfig, Scanner};
use mxprobe::testkit::dns::{DnsServer, Zone};
use mxprobe::testkit::net;
use mxprobe::testkit::scenarios;
use mxprobe::testkit::smtp::SmtpServer;

fn main() {
    let rounds = std::env::args()
        .skip_while(|a| a != "--rounds")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5usize);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let scenario = scenarios::named("realistic").expect("scenario");
        let server = SmtpServer::start((net::loopback(), 0).into(), scenario.config)
            .await
            .expect("server");
        let target = Target::host(&server.addr().to_string()).expect("target");
        // The address's reverse DNS is looked up too: on loopback, here.
        let dns = DnsServer::start((net::loopback(), 0).into(), Zone::new())
            .await
            .expect("dns server");
        println!("realistic server: {}", scenario.description);
        println!(
            "{:>9} {:>7} {:>10} {:>8} {:>11} {:>8} {:>10} {:>10}",
            "per-host",
            "groups",
            "handshakes",
            "refused",
            "connections",
            "budget",
            "best",
            "median"
        );
        for (per_host, groups) in [(1, true), (2, true), (4, true), (2, false)] {
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..rounds {
                let config = ScanConfig {
                    resolver: ResolverConfig {
                        nameservers: vec![dns.addr()],
                        ..ResolverConfig::default()
                    },
                    per_host,
                    groups,
                    timeout: Duration::from_secs(10),
                    ..ScanConfig::default()
                };
                let scanner = Scanner::new(config).expect("scanner");
                let start = Instant::now();
                let report = scanner.scan(target.clone()).await;
                times.push(start.elapsed());
                last = report
                    .mx
                    .into_iter()
                    .next()
                    .and_then(|m| m.addresses.into_iter().next());
            }
            let a = last.expect("an address was probed");
            times.sort();
            println!(
                "{per_host:>9} {:>7} {:>10} {:>8} {:>11} {:>8} {:>9.0}ms {:>9.0}ms",
                if groups { "yes" } else { "no" },
                a.handshakes,
                a.refused_handshakes,
                a.connections,
                budget(&a, groups),
                times[0].as_secs_f64() * 1e3,
                times[times.len() / 2].as_secs_f64() * 1e3,
            );
        }
    });
}

/// The design's handshake budget for what was found (an upper bound: a
/// server order whose top two picks are out of mxprobe's order, and a
/// client order where failures are costly, each save one).
///
///   1 broadly compatible handshake
///   + one question per accepted version older than its, + 1 refusal
///     below the oldest (none when SSLv3 is accepted)
///   + per accepted version: N more picks... N + 1 in all (its first pick
///     already counted above), the end and the order test
///   + per group list: found + 2 (the order test and the end)
///   + 1 strict modern sender (trust checks)
///   + the hand-written hellos: the checks' (and one more for the early
///     ChangeCipherSpec where the heartbeat is on), the fallback hello
///     where an older version exists, SSLv2 where asked, and where the
///     suites OpenSSL lacks were asked, those found + 1 per version
fn budget(a: &AddressReport, groups: bool) -> usize {
    let Some(e) = &a.enumeration else { return 0 };
    let accepted: Vec<_> = e
        .versions
        .iter()
        .filter(|v| v.supported == Some(true))
        .collect();
    let top = usize::from(!accepted.is_empty());
    let below = accepted.len().saturating_sub(top)
        + usize::from(
            e.version(mxprobe::tls::Protocol::Ssl3)
                .and_then(|v| v.supported)
                != Some(true),
        );
    let chains: usize = accepted.iter().map(|v| v.ciphers.len() + 1).sum();
    let group_lists = if groups {
        let lists = e
            .groups
            .iter()
            .map(|g| g.protocol)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            .max(1);
        e.groups.len() + 2 * lists
    } else {
        0
    };
    let legacy = e.legacy.as_ref().map_or(0, |l| {
        let raw = accepted
            .iter()
            .flat_map(|v| &v.ciphers)
            .filter(|c| c.raw)
            .count();
        let versions = accepted
            .iter()
            .filter(|v| v.protocol < mxprobe::tls::Protocol::Tls1_3)
            .count();
        1 + usize::from(l.checks.heartbeat == Some(true))
            + usize::from(accepted.len() > 1)
            + usize::from(l.sslv2.is_some())
            + if l.suites_tested { raw + versions } else { 0 }
    });
    1 + below + chains + group_lists + 1 + legacy
}
