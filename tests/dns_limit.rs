//! `ScanConfig::dns_concurrency` (`--dns-concurrency`, "simultaneous DNS
//! lookups") bounds every lookup of a scan: MX and addresses, and the PTR,
//! TXT (MTA-STS, TLS-RPT) and DNSSEC-validated (DANE) lookups too, as the
//! nameserver itself counts them.

use std::time::Duration;

use mxprobe::dns::ResolverConfig;
use mxprobe::model::Target;
use mxprobe::scan::{ScanConfig, Scanner};
use mxprobe::testkit::dns::{DnsServer, Zone};
use mxprobe::testkit::net;

/// Scan a few domains against a nameserver that answers every query after
/// 30 ms; the most queries it had in flight at once.
async fn most_in_flight(dns_concurrency: usize) -> (u64, u64) {
    let mut zone = Zone::new();
    for i in 0..4 {
        let domain = format!("d{i}.test");
        let mx = format!("mx.{domain}");
        // An address where nothing listens: the probe fails at once, the
        // lookups around it (PTR, MTA-STS, TLS-RPT, DANE) still happen.
        zone.mx(&domain, 10, &mx).a(&mx, net::loopback());
    }
    let dns = DnsServer::start((net::loopback(), 0).into(), zone)
        .await
        .expect("dns");
    dns.set_delay(Duration::from_millis(30));
    let config = ScanConfig {
        resolver: ResolverConfig {
            nameservers: vec![dns.addr()],
            timeout: Duration::from_secs(5),
            attempts: 1,
            families: Default::default(),
        },
        // A port nobody listens on.
        port: 9,
        timeout: Duration::from_secs(5),
        concurrency: 4,
        dns_concurrency,
        ..ScanConfig::default()
    };
    let scanner = Scanner::new(config).expect("scanner");
    let targets = (0..4).map(|i| Target::domain(&format!("d{i}.test")).expect("domain"));
    let reports: Vec<_> =
        futures::StreamExt::collect(scanner.scan_unordered(futures::stream::iter(targets))).await;
    assert_eq!(reports.len(), 4);
    for r in &reports {
        let mx = &r.mx[0];
        assert!(mx.dane.is_some(), "DANE lookups ran for {}", mx.host);
        assert!(r.mta_sts.is_some(), "MTA-STS lookups ran");
    }
    (dns.most_in_flight(), dns.queries())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_lookup_waits_for_its_turn() {
    let (most, queries) = most_in_flight(1).await;
    assert!(
        queries > 20,
        "{queries} queries: PTR, TXT and TLSA lookups included"
    );
    assert_eq!(most, 1, "one lookup at a time, as configured");
    // The bound is what holds them back: without it they overlap.
    let (most, _) = most_in_flight(64).await;
    assert!(most > 1, "{most} at once without the bound");
}
