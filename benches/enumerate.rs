//! Benchmark: full enumeration of one realistic server (TLS 1.0–1.3, about
//! 30 ciphers in server order, RSA and ECDSA certificates) on loopback.
//! Prints handshakes, connections and wall time per `--per-host` setting,
//! next to the handshake budget of the design:
//!
//!   Σ over versions (accepted ciphers + 1) + 2 per version with ≥ 2 ciphers
//!   + 1 per group tested + 1 strict modern sender (trust checks)
//!
//! Run by hand (not part of the tests): `cargo bench --bench enumerate`.
//! Optional `--rounds N` (default 5) for the best and median of N rounds.

use std::time::{Duration, Instant};

use mxprobe::model::{AddressReport, Target};
use mxprobe::scan::{ScanConfig, Scanner};
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
        println!("realistic server: {}", scenario.description);
        println!(
            "{:>9} {:>7} {:>10} {:>11} {:>8} {:>10} {:>10}",
            "per-host", "groups", "handshakes", "connections", "budget", "best", "median"
        );
        for (per_host, groups) in [(1, true), (2, true), (4, true), (2, false)] {
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..rounds {
                let config = ScanConfig {
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
                "{per_host:>9} {:>7} {:>10} {:>11} {:>8} {:>9.0}ms {:>9.0}ms",
                if groups { "yes" } else { "no" },
                a.handshakes,
                a.connections,
                budget(&a, groups),
                times[0].as_secs_f64() * 1e3,
                times[times.len() / 2].as_secs_f64() * 1e3,
            );
        }
    });
}

/// The design's handshake budget for what was found.
fn budget(a: &AddressReport, groups: bool) -> usize {
    let Some(e) = &a.enumeration else { return 0 };
    let ciphers: usize = e.versions.iter().map(|v| v.ciphers.len() + 1).sum();
    let order: usize = 2 * e.versions.iter().filter(|v| v.ciphers.len() >= 2).count();
    // Groups tested: the TLS 1.3 list (or TLS 1.2 curves) this build offers;
    // counted from what the enumeration module tests, not what was found.
    let tested = if groups { groups_tested(a) } else { 0 };
    // The trust checks' strict handshake (rustls), one per address.
    let strict = 1;
    ciphers + order + tested + strict
}

fn groups_tested(a: &AddressReport) -> usize {
    // The same rule as the enumeration: 19 TLS 1.3 groups (those this
    // OpenSSL knows) plus 2 weak TLS 1.2 curves when TLS 1.3 is accepted.
    let tls13 = [
        "X25519MLKEM768",
        "SecP256r1MLKEM768",
        "SecP384r1MLKEM1024",
        "MLKEM512",
        "MLKEM768",
        "MLKEM1024",
        "x25519",
        "x448",
        "secp256r1",
        "secp384r1",
        "secp521r1",
        "brainpoolP256r1tls13",
        "brainpoolP384r1tls13",
        "brainpoolP512r1tls13",
        "ffdhe2048",
        "ffdhe3072",
        "ffdhe4096",
        "ffdhe6144",
        "ffdhe8192",
    ];
    let has13 = a
        .enumeration
        .as_ref()
        .and_then(|e| e.version(mxprobe::tls::Protocol::Tls1_3))
        .is_some_and(|v| v.supported == Some(true));
    if has13 {
        tls13
            .iter()
            .filter(|g| mxprobe::tls::settings::group_available(g))
            .count()
            + 2
    } else {
        10
    }
}
