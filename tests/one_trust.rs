//! One trust, one clock: a library user sets a private CA and a fixed
//! verification time once, in `ScanConfig::trust`, and every stage that
//! judges a certificate honours both: the chain verdict, the strict
//! sender, the MTA-STS policy fetch (HTTPS) and its enforce check, and the
//! policy's findings.
//!
//! The test certificates (`testdata/certs`) are issued by the test CA and
//! valid from 2020 to 2120.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use mxprobe::cert::anchors::Anchors;
use mxprobe::dns::ResolverConfig;
use mxprobe::model::{DomainReport, Target};
use mxprobe::policy::builtin;
use mxprobe::scan::{ScanConfig, Scanner};
use mxprobe::testkit::dns::{DnsServer, Zone};
use mxprobe::testkit::https::{HttpsServer, Reply};
use mxprobe::testkit::net;
use mxprobe::testkit::smtp::{cert, ServerConfig, SmtpServer};
use mxprobe::trust::{StrictError, StrictTls, TrustConfig};

const DOMAIN: &str = "sts-enforce.test";
const MX: &str = "mx.example.test";
/// 2021-01-01, 2121-01-01 (Unix seconds).
const IN_2021: i64 = 1_609_459_200;
const IN_2121: i64 = 4_765_132_800;

struct Lab {
    dns: DnsServer,
    https: HttpsServer,
    smtp: SmtpServer,
}

async fn lab() -> Lab {
    let v4 = |a: SocketAddr| match a {
        SocketAddr::V4(a) => *a.ip(),
        SocketAddr::V6(_) => unreachable!("loopback is IPv4 here"),
    };
    let smtp = SmtpServer::start((net::loopback(), 0).into(), ServerConfig::default())
        .await
        .expect("smtp");
    let policy = format!("version: STSv1\nmode: enforce\nmx: {MX}\nmax_age: 86400\n");
    let replies: HashMap<String, Reply> = [(format!("mta-sts.{DOMAIN}"), Reply::policy(&policy))]
        .into_iter()
        .collect();
    let https = HttpsServer::start((net::loopback(), 0).into(), &cert("mta-sts"), replies)
        .await
        .expect("https");
    let mut zone = Zone::new();
    zone.mx(DOMAIN, 10, MX)
        .a(MX, v4(smtp.addr()))
        .a(&format!("mta-sts.{DOMAIN}"), v4(https.addr()))
        .txt(&format!("_mta-sts.{DOMAIN}"), "v=STSv1; id=one");
    let dns = DnsServer::start((net::loopback(), 0).into(), zone)
        .await
        .expect("dns");
    Lab { dns, https, smtp }
}

fn anchors_with_test_ca() -> Anchors {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/certs/ca.crt");
    let pem = std::fs::read(&path).expect("test CA");
    Anchors::mozilla()
        .with_pem(&pem, &path.display().to_string())
        .expect("anchors")
}

async fn scan(lab: &Lab, trust: TrustConfig) -> DomainReport {
    let config = ScanConfig {
        resolver: ResolverConfig {
            nameservers: vec![lab.dns.addr()],
            timeout: Duration::from_secs(5),
            attempts: 2,
            families: Default::default(),
        },
        // The SMTP server listens on a port of its own.
        port: lab.smtp.addr().port(),
        timeout: Duration::from_secs(10),
        enumerate: false,
        dane: false,
        mta_sts_port: lab.https.addr().port(),
        policy: Some(std::sync::Arc::new(
            builtin::get("default").expect("default policy"),
        )),
        trust,
        ..ScanConfig::default()
    };
    let scanner = Scanner::new(config).expect("scanner");
    scanner.scan(Target::domain(DOMAIN).expect("domain")).await
}

fn ids(report: &DomainReport) -> Vec<String> {
    report.findings.iter().map(|f| f.id.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_ca_and_a_fixed_time_hold_in_every_stage() {
    let lab = lab().await;

    // The private CA, in 2021: trusted everywhere.
    let r = scan(
        &lab,
        TrustConfig {
            anchors: anchors_with_test_ca(),
            at: Some(IN_2021),
        },
    )
    .await;
    let a = &r.mx[0].addresses[0];
    let trust = a.trust.as_ref().expect("trust checks");
    let chain = trust.chain.as_ref().expect("chain verdict");
    assert!(chain.trusted, "{chain:?}");
    assert!(
        chain.checked_at.starts_with("2021-01-01"),
        "{}",
        chain.checked_at
    );
    assert!(
        trust.strict_tls.as_ref().is_some_and(StrictTls::is_ok),
        "{:?}",
        trust.strict_tls
    );
    let sts = r.mta_sts.as_ref().expect("MTA-STS");
    let fetch = sts.policy.as_ref().expect("policy fetch");
    assert_eq!(
        fetch.error, None,
        "the policy host's certificate is trusted"
    );
    assert!(sts.violations.is_empty(), "{:?}", sts.violations);
    let found = ids(&r);
    for id in [
        "cert-untrusted",
        "cert-expired",
        "strict-tls-failed",
        "mta-sts-policy-unreachable",
        "mta-sts-enforce-violated",
    ] {
        assert!(!found.iter().any(|f| f == id), "{id} in {found:?}");
    }

    // The same CA, a century later: expired everywhere, by the same clock.
    let r = scan(
        &lab,
        TrustConfig {
            anchors: anchors_with_test_ca(),
            at: Some(IN_2121),
        },
    )
    .await;
    let a = &r.mx[0].addresses[0];
    let trust = a.trust.as_ref().expect("trust checks");
    let chain = trust.chain.as_ref().expect("chain verdict");
    assert!(!chain.trusted);
    assert!(
        chain.checked_at.starts_with("2121-01-01"),
        "{}",
        chain.checked_at
    );
    assert!(
        matches!(
            &trust.strict_tls,
            Some(StrictTls::Failed {
                error: StrictError::Certificate { .. },
                ..
            })
        ),
        "{:?}",
        trust.strict_tls
    );
    let sts = r.mta_sts.as_ref().expect("MTA-STS");
    let fetch = sts.policy.as_ref().expect("policy fetch");
    let why = fetch.error.as_deref().unwrap_or_default();
    assert!(why.to_ascii_lowercase().contains("expired"), "{why}");
    let found = ids(&r);
    for id in [
        "cert-expired",
        "strict-tls-failed",
        "mta-sts-policy-unreachable",
    ] {
        assert!(found.iter().any(|f| f == id), "{id} not in {found:?}");
    }

    // Mozilla's roots only, in 2021: the private CA is unknown everywhere.
    let r = scan(
        &lab,
        TrustConfig {
            anchors: Anchors::mozilla(),
            at: Some(IN_2021),
        },
    )
    .await;
    let a = &r.mx[0].addresses[0];
    let trust = a.trust.as_ref().expect("trust checks");
    assert!(!trust.chain.as_ref().expect("chain").trusted);
    assert!(!trust.strict_tls.as_ref().is_some_and(StrictTls::is_ok));
    let sts = r.mta_sts.as_ref().expect("MTA-STS");
    assert!(sts.policy.as_ref().expect("fetch").error.is_some());
    let found = ids(&r);
    for id in [
        "cert-untrusted",
        "strict-tls-failed",
        "mta-sts-policy-unreachable",
    ] {
        assert!(found.iter().any(|f| f == id), "{id} not in {found:?}");
    }
}
