//! Trust checks that live in DNS and HTTPS: DNSSEC status (validated by
//! mxprobe, or a resolver's AD bit), DANE TLSA, MTA-STS and TLS-RPT,
//! against the in-process test servers on loopback.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use mxprobe::dns::{DnssecConfig, DnssecMode, DnssecStatus, ResolverConfig, SecureResolver};
use mxprobe::testkit::dns::{Bogus, DnsServer, RecordType, Zone};
use mxprobe::testkit::net;

/// `test` signed (the trust anchor), `good.test` signed below it,
/// `plain.test` an unsigned delegation, broken signatures in `bad.test`.
fn signed_zone() -> Zone {
    let ip = Ipv4Addr::new(127, 0, 0, 1);
    let mut z = Zone::new();
    z.signed_apex("test")
        .signed_apex("good.test")
        .unsigned_apex("plain.test")
        .signed_apex("bad.test");
    z.mx("good.test", 10, "mx.good.test")
        .a("mx.good.test", ip)
        .tlsa("_25._tcp.mx.good.test", 3, 1, 1, &[7; 32]);
    z.mx("plain.test", 10, "mx.plain.test")
        .a("mx.plain.test", ip)
        .tlsa("_25._tcp.mx.plain.test", 3, 1, 1, &[7; 32]);
    z.mx("bad.test", 10, "mx.bad.test")
        .a("mx.bad.test", ip)
        .tlsa("_25._tcp.mx.bad.test", 3, 1, 1, &[7; 32])
        .bogus(
            "_25._tcp.mx.bad.test",
            RecordType::TLSA,
            Bogus::BadSignature,
        )
        .a("expired.bad.test", ip)
        .bogus("expired.bad.test", RecordType::A, Bogus::Expired)
        .a("unsigned.bad.test", ip)
        .bogus("unsigned.bad.test", RecordType::A, Bogus::Missing)
        .a("flaky.bad.test", ip)
        .bogus("flaky.bad.test", RecordType::A, Bogus::BadFirst(1))
        .no_answer("_25._tcp.mx.slow.good.test");
    z
}

struct Signed {
    dns: DnsServer,
    anchor: tempfile_path::TempPath,
}

mod tempfile_path {
    //! A file removed when dropped.
    pub struct TempPath(pub std::path::PathBuf);
    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

async fn signed_server(zone: Zone) -> Signed {
    let anchor_text = zone.trust_anchor();
    let dns = DnsServer::start(SocketAddr::from((net::loopback(), 0)), zone)
        .await
        .expect("dns server");
    let path = std::env::temp_dir().join(format!(
        "mxprobe-anchor-{}-{}.key",
        std::process::id(),
        dns.addr().port()
    ));
    std::fs::write(&path, anchor_text).expect("write anchor");
    Signed {
        dns,
        anchor: tempfile_path::TempPath(path),
    }
}

fn resolver(
    server: &DnsServer,
    mode: DnssecMode,
    anchor: Option<&std::path::Path>,
) -> SecureResolver {
    let config = ResolverConfig {
        nameservers: vec![server.addr()],
        timeout: Duration::from_millis(500),
        attempts: 1,
        ..ResolverConfig::default()
    };
    SecureResolver::new(
        &config,
        &DnssecConfig {
            mode,
            trust_anchor: anchor.map(|p| p.to_path_buf()),
        },
    )
    .expect("resolver")
}

#[tokio::test(flavor = "multi_thread")]
async fn validates_secure_insecure_and_bogus_answers() {
    let lab = signed_server(signed_zone()).await;
    let r = resolver(&lab.dns, DnssecMode::Validate, Some(&lab.anchor.0));

    let mx = r.mx("good.test").await;
    assert_eq!(mx.status, DnssecStatus::Secure, "{mx:?}");
    let tlsa = r.tlsa("_25._tcp.mx.good.test").await;
    assert_eq!(tlsa.status, DnssecStatus::Secure, "{tlsa:?}");
    assert_eq!(tlsa.records.len(), 1);
    let addrs = r.addresses("mx.good.test", true, true).await;
    assert_eq!(addrs.status, DnssecStatus::Secure, "{addrs:?}");
    let none = r.tlsa("_25._tcp.nothing.good.test").await;
    assert_eq!(
        (none.status, none.nx_domain),
        (DnssecStatus::Secure, true),
        "{none:?}"
    );
    let nodata = r.tlsa("mx.good.test").await;
    assert_eq!(
        (nodata.status, nodata.nx_domain),
        (DnssecStatus::Secure, false),
        "{nodata:?}"
    );

    let plain = r.mx("plain.test").await;
    assert_eq!(plain.status, DnssecStatus::Insecure, "{plain:?}");
    let plain = r.tlsa("_25._tcp.mx.plain.test").await;
    assert_eq!(plain.status, DnssecStatus::Insecure, "{plain:?}");
    assert_eq!(plain.records.len(), 1);

    for name in ["_25._tcp.mx.bad.test"] {
        let bad = r.tlsa(name).await;
        assert_eq!(bad.status, DnssecStatus::Bogus, "{bad:?}");
        assert!(bad.records.is_empty());
        assert_eq!(bad.attempts, 2, "confirmed once more");
    }
    for name in ["expired.bad.test", "unsigned.bad.test"] {
        let bad = r.addresses(name, true, false).await;
        assert_eq!(bad.status, DnssecStatus::Bogus, "{name}: {bad:?}");
    }
    let flaky = r.addresses("flaky.bad.test", true, false).await;
    assert_eq!(flaky.status, DnssecStatus::Secure, "{flaky:?}");
    assert_eq!(flaky.attempts, 2);

    let slow = r.tlsa("_25._tcp.mx.slow.good.test").await;
    assert_eq!(slow.status, DnssecStatus::Indeterminate, "{slow:?}");
}
