//! Trust checks that live in DNS and HTTPS: DNSSEC status (validated by
//! mxprobe, or a resolver's AD bit), DANE TLSA, MTA-STS and TLS-RPT,
//! against the in-process test servers on loopback.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use mxprobe::dns::{DnssecConfig, DnssecMode, DnssecStatus, ResolverConfig, SecureResolver};
use mxprobe::testkit::dns::{Bogus, DnsServer, RecordType, Zone};
use mxprobe::testkit::https::{HttpsServer, Reply};
use mxprobe::testkit::net;
use mxprobe::testkit::pki::{cert, testdata_path};
use mxprobe::testkit::smtp::ServerConfig;
use serde_json::Value;

use crate::common::{args, ipv4, mxprobe, Lab};

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

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_key_lookup_is_indeterminate_not_bogus() {
    let mut zone = signed_zone();
    zone.signed_apex("slowkey.test")
        .a("www.slowkey.test", Ipv4Addr::new(127, 0, 0, 1))
        // The apex stays silent: no DNSKEY can be fetched.
        .no_answer("slowkey.test");
    let lab = signed_server(zone).await;
    let r = resolver(&lab.dns, DnssecMode::Validate, Some(&lab.anchor.0));
    let www = r.addresses("www.slowkey.test", true, false).await;
    assert_eq!(www.status, DnssecStatus::Indeterminate, "{www:?}");
    assert!(
        www.error
            .as_deref()
            .is_some_and(|e| e.contains("DNSKEY or DS")),
        "{www:?}"
    );
    assert!(www.attempts >= 2, "retried: {www:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_iana_anchor_does_not_vouch_for_a_private_island() {
    let lab = signed_server(signed_zone()).await;
    let r = resolver(&lab.dns, DnssecMode::Validate, None);
    let mx = r.mx("good.test").await;
    assert_ne!(mx.status, DnssecStatus::Secure, "{mx:?}");
    // Nothing validates from the root here: that is said once, as
    // indeterminate, and never passed off as a bogus answer.
    assert_eq!(mx.status, DnssecStatus::Indeterminate, "{mx:?}");
    assert!(
        mx.error
            .as_deref()
            .unwrap_or("")
            .contains("DNSSEC cannot be validated through"),
        "{mx:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ad_mode_trusts_the_resolver_and_asks_again_without_checking() {
    let mut zone = Zone::new();
    zone.mx("ad.test", 10, "mx.ad.test")
        .tlsa("_25._tcp.mx.ad.test", 3, 1, 1, &[1; 32])
        .authentic("ad.test")
        .authentic("_25._tcp.mx.ad.test")
        .tlsa("_25._tcp.mx.noad.test", 3, 1, 1, &[1; 32])
        .tlsa("_25._tcp.mx.bogus.test", 3, 1, 1, &[1; 32])
        .validation_failure("_25._tcp.mx.bogus.test")
        .servfail("_25._tcp.mx.broken.test");
    let dns = DnsServer::start(SocketAddr::from((net::loopback(), 0)), zone)
        .await
        .expect("dns");
    let r = resolver(&dns, DnssecMode::Ad, None);
    assert_eq!(r.mx("ad.test").await.status, DnssecStatus::Secure);
    let t = r.tlsa("_25._tcp.mx.ad.test").await;
    assert_eq!((t.status, t.records.len()), (DnssecStatus::Secure, 1));
    let t = r.tlsa("_25._tcp.mx.noad.test").await;
    assert_eq!((t.status, t.records.len()), (DnssecStatus::Insecure, 1));
    let t = r.tlsa("_25._tcp.mx.bogus.test").await;
    assert_eq!(t.status, DnssecStatus::Bogus, "{t:?}");
    assert_eq!(t.attempts, 2);
    // SERVFAIL with and without CD: a broken name, not a validation failure.
    let t = r.tlsa("_25._tcp.mx.broken.test").await;
    assert_eq!(t.status, DnssecStatus::Indeterminate, "{t:?}");
}

pub(crate) fn spki_sha256(pem_file: &str) -> Vec<u8> {
    let pem = std::fs::read(testdata_path(format!("certs/{pem_file}"))).expect("cert");
    let cert = openssl::x509::X509::from_pem(&pem).expect("pem");
    let spki = cert
        .public_key()
        .and_then(|k| k.public_key_to_der())
        .expect("spki");
    openssl::sha::sha256(&spki).to_vec()
}

fn cert_sha256(pem_file: &str) -> Vec<u8> {
    let pem = std::fs::read(testdata_path(format!("certs/{pem_file}"))).expect("cert");
    let cert = openssl::x509::X509::from_pem(&pem).expect("pem");
    openssl::sha::sha256(&cert.to_der().expect("der")).to_vec()
}

fn json(out: &std::process::Output) -> Value {
    crate::common::assert_ran(out);
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// The finding IDs of a domain's report.
fn finding_ids(domain: &Value) -> Vec<String> {
    domain["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|f| f["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `want` are among the domain's findings, `not` are not.
fn assert_findings(domain: &Value, want: &[&str], not: &[&str]) {
    let ids = finding_ids(domain);
    for id in want {
        assert!(ids.iter().any(|i| i == id), "{id} missing: {ids:?}");
    }
    for id in not {
        assert!(!ids.iter().any(|i| i == id), "{id} unexpected: {ids:?}");
    }
}

fn by_name(doc: &Value) -> HashMap<String, Value> {
    doc["domains"]
        .as_array()
        .expect("domains")
        .iter()
        .map(|d| {
            (
                d["target"]["name"].as_str().unwrap_or("").to_owned(),
                d.clone(),
            )
        })
        .collect()
}

fn write_anchor(zone: &Zone, tag: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("mxprobe-{tag}-{}.key", std::process::id()));
    std::fs::write(&path, zone.trust_anchor()).expect("anchor");
    path
}

/// DANE end to end with the real binary: signed zones with TLSA records
/// that match, do not match, are unusable, unsigned or bogus.
#[tokio::test(flavor = "multi_thread")]
async fn dane_through_the_binary() {
    let lab = Lab::start(vec![ServerConfig::default()], |_, _| {}).await;
    // TLSA names carry the port, known once the servers run.
    let port = lab.port;
    let tlsa = |host: &str| format!("_{port}._tcp.{host}");
    let ee = spki_sha256("mx-rsa.crt");
    let mut z = Zone::new();
    let ip = ipv4(lab.smtp[0].addr());
    z.signed_apex("test")
        .signed_apex("good.test")
        .signed_apex("notlsa.test")
        .signed_apex("wrong.test")
        .signed_apex("pkix.test")
        .signed_apex("bad.test")
        .signed_apex("example.test")
        .unsigned_apex("plain.test");
    for d in ["good", "notlsa", "wrong", "pkix", "bad", "plain"] {
        z.mx(&format!("{d}.test"), 10, &format!("mx.{d}.test"))
            .a(&format!("mx.{d}.test"), ip);
    }
    z.mx("ta.test", 10, "mx.example.test")
        .a("mx.example.test", ip);
    z.tlsa(&tlsa("mx.good.test"), 3, 1, 1, &ee)
        .tlsa(&tlsa("mx.good.test"), 3, 1, 1, &[0; 32])
        .tlsa(&tlsa("mx.wrong.test"), 3, 1, 1, &[0; 32])
        .tlsa(&tlsa("mx.pkix.test"), 1, 1, 1, &ee)
        .tlsa(&tlsa("mx.bad.test"), 3, 1, 1, &ee)
        .bogus(&tlsa("mx.bad.test"), RecordType::TLSA, Bogus::BadSignature)
        .tlsa(&tlsa("mx.plain.test"), 3, 1, 1, &ee)
        .tlsa(&tlsa("mx.example.test"), 2, 0, 1, &cert_sha256("ca.crt"));
    let anchor = write_anchor(&z, "dane");
    lab.dns.set_zone(z);

    let mut a = lab.args();
    a.extend(args(&[
        "--quick",
        "--no-mta-sts",
        "-f",
        "json",
        "--trust-anchor",
    ]));
    a.push(anchor.display().to_string());
    a.extend(args(&[
        "good.test",
        "notlsa.test",
        "wrong.test",
        "pkix.test",
        "bad.test",
        "plain.test",
        "ta.test",
    ]));
    let doc = json(&mxprobe(&a).await);
    let _ = std::fs::remove_file(&anchor);
    let d = by_name(&doc);
    let dane = |name: &str| d[name]["mx"][0]["dane"].clone();

    let good = dane("good.test");
    assert_eq!(good["state"], "applies", "{good:#}");
    assert_eq!(good["mx_dnssec"], "secure");
    assert_eq!(good["address_dnssec"], "secure");
    assert_eq!(good["tlsa_dnssec"], "secure");
    assert_eq!(good["usable"], 2);
    assert_eq!(good["sni"], "mx.good.test");
    assert_eq!(good["tlsa_name"], tlsa("mx.good.test"));
    assert_eq!(good["addresses"][0]["outcome"], "match");
    assert_eq!(good["addresses"][0]["matched"], serde_json::json!([0]));

    let wrong = dane("wrong.test");
    assert_eq!(
        (wrong["state"].as_str(), wrong["usable"].as_u64()),
        (Some("applies"), Some(1)),
        "one usable record: no rollover possible"
    );
    assert_eq!(wrong["addresses"][0]["outcome"], "mismatch", "{wrong:#}");

    let pkix = dane("pkix.test");
    assert_eq!(pkix["state"], "unusable", "{pkix:#}");
    assert_eq!(pkix["records"][0]["usable"], false);

    let bad = dane("bad.test");
    assert_eq!(bad["state"], "bogus", "{bad:#}");
    assert_eq!(bad["tlsa_dnssec"], "bogus");
    assert_eq!(bad["tlsa_attempts"], 2);

    let plain = dane("plain.test");
    assert_eq!(plain["state"], "not-secure", "{plain:#}");
    assert_eq!(plain["mx_dnssec"], "insecure");
    assert_eq!(
        plain["addresses"][0]["outcome"], "match",
        "matched all the same"
    );

    let ta = dane("ta.test");
    assert_eq!(ta["state"], "applies", "{ta:#}");
    assert_eq!(ta["addresses"][0]["outcome"], "match");
    assert!(d["good.test"].get("mta_sts").is_none(), "--no-mta-sts");

    // The findings each case makes under the default policy.
    let dane_ids = [
        "dane-mismatch",
        "dane-bogus",
        "dane-unusable-records",
        "dane-no-rollover",
        "dane-missing",
        "dnssec-missing",
    ];
    assert_findings(&d["good.test"], &[], &dane_ids);
    assert_findings(
        &d["notlsa.test"],
        &["dane-missing"],
        &["dane-mismatch", "dnssec-missing"],
    );
    assert_findings(
        &d["wrong.test"],
        &["dane-mismatch", "dane-no-rollover"],
        &["dane-bogus"],
    );
    assert_findings(
        &d["pkix.test"],
        &["dane-unusable-records"],
        &["dane-mismatch"],
    );
    assert_findings(&d["bad.test"], &["dane-bogus"], &["dane-mismatch"]);
    assert_findings(
        &d["plain.test"],
        &["dnssec-missing"],
        &["dane-mismatch", "dane-bogus"],
    );
    assert_findings(&d["ta.test"], &["dane-no-rollover"], &["dane-mismatch"]);
    let mismatch = d["wrong.test"]["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "dane-mismatch"))
        .expect("finding");
    assert_eq!(mismatch["severity"], "critical");
}

/// The CSV columns and `--dnssec ad` through the binary.
#[tokio::test(flavor = "multi_thread")]
async fn dane_csv_columns_in_ad_mode() {
    let lab = Lab::start(vec![ServerConfig::default()], |_, _| {}).await;
    let port = lab.port;
    let ip = ipv4(lab.smtp[0].addr());
    let ee = spki_sha256("mx-rsa.crt");
    let mut z = Zone::new();
    for d in ["ad", "noad"] {
        let mx = format!("mx.{d}.test");
        let name = format!("_{port}._tcp.{mx}");
        z.mx(&format!("{d}.test"), 10, &mx)
            .a(&mx, ip)
            .tlsa(&name, 3, 1, 1, &ee);
        if d == "ad" {
            z.authentic("ad.test").authentic(&mx).authentic(&name);
        }
    }
    lab.dns.set_zone(z);
    let mut a = lab.args();
    a.extend(args(&[
        "--quick",
        "--no-mta-sts",
        "--dnssec",
        "ad",
        "-f",
        "csv",
        "ad.test",
        "noad.test",
    ]));
    let out = mxprobe(&a).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: HashMap<String, HashMap<String, String>> = crate::common::csv_rows(&out.stdout)
        .into_iter()
        .map(|r| (r["domain"].clone(), r))
        .collect();
    assert_eq!(rows["ad.test"]["dane"], "match");
    assert_eq!(rows["ad.test"]["dnssec"], "secure");
    assert_eq!(rows["noad.test"]["dane"], "not-secure");
    assert_eq!(rows["noad.test"]["dnssec"], "insecure");
    assert_eq!(rows["ad.test"]["mta_sts"], "");
    assert_eq!(rows["ad.test"]["tls_rpt"], "");

    // The text report has a short DANE block per MX host.
    let mut text = lab.args();
    text.extend(args(&[
        "--quick",
        "--no-mta-sts",
        "--dnssec",
        "ad",
        "ad.test",
    ]));
    let out = mxprobe(&text).await;
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("    DANE      applies: TLSA 3 1 1 (1 usable); DNSSEC MX secure, addresses secure, TLSA secure"), "{shown}");
    assert!(shown.contains(&format!(":{port}  match")), "{shown}");

    // --trust-anchor belongs to validate mode.
    let mut bad = lab.args();
    bad.extend(args(&[
        "--dnssec",
        "ad",
        "--trust-anchor",
        "/dev/null",
        "ad.test",
    ]));
    assert_eq!(mxprobe(&bad).await.status.code(), Some(2));
}

const ENFORCE: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 604800\r\n";

/// MTA-STS and TLS-RPT end to end: TXT records, the policy over HTTPS from
/// a local server, the MX hosts against it.
#[tokio::test(flavor = "multi_thread")]
async fn mta_sts_and_tls_rpt_through_the_binary() {
    let lab = Lab::start(vec![ServerConfig::default()], |_, _| {}).await;
    let smtp_ip = ipv4(lab.smtp[0].addr());
    let policy =
        |mode: &str, mx: &str| format!("version: STSv1\nmode: {mode}\nmx: {mx}\nmax_age: 86400\n");
    let mut chunked = Reply::policy(&policy("testing", "*.example.test"));
    chunked.chunked = true;
    let mut html = Reply::policy(ENFORCE);
    html.content_type = Some("text/html".into());
    let mut large = Reply::policy(&"# padding\n".repeat(7000));
    large.body.extend_from_slice(ENFORCE.as_bytes());
    let replies: HashMap<String, Reply> = [
        ("sts-enforce", Reply::policy(ENFORCE)),
        (
            "sts-violated",
            Reply::policy(&policy("enforce", "*.sts-violated.test")),
        ),
        (
            "sts-mismatch",
            Reply::policy(&policy("enforce", "mx.elsewhere.test")),
        ),
        ("sts-chunked", chunked),
        (
            "sts-none",
            Reply::policy("version: STSv1\nmode: none\nmax_age: 86400\n"),
        ),
        (
            "sts-invalid",
            Reply::policy(&policy("enforce", "mx.example.test").replace("86400", "99999999")),
        ),
        ("sts-type", html),
        ("sts-large", large),
        (
            "sts-redirect",
            Reply::redirect(
                301,
                "https://mta-sts.sts-enforce.test/.well-known/mta-sts.txt",
            ),
        ),
        ("sts-testing", Reply::status(404)),
    ]
    .into_iter()
    .map(|(d, r)| (format!("mta-sts.{d}.test"), r))
    .collect();
    let https = HttpsServer::start(
        SocketAddr::from((net::loopback(), 0)),
        &cert("mta-sts"),
        replies,
    )
    .await
    .expect("https");
    let https_ip = ipv4(https.addr());
    let mut z = Zone::new();
    z.a("mx.example.test", smtp_ip);
    let domains = [
        "sts-enforce",
        "sts-violated",
        "sts-mismatch",
        "sts-chunked",
        "sts-none",
        "sts-invalid",
        "sts-type",
        "sts-large",
        "sts-redirect",
        "sts-testing",
        "sts-missing",
        "sts-multi",
        "sts-badcert",
    ];
    for d in domains {
        let domain = format!("{d}.test");
        let mx = if d == "sts-violated" {
            format!("mail.{domain}")
        } else {
            "mx.example.test".to_owned()
        };
        z.mx(&domain, 10, &mx).a(&mx, smtp_ip);
        z.a(&format!("mta-sts.{domain}"), https_ip);
        if d != "sts-missing" {
            z.txt(
                &format!("_mta-sts.{domain}"),
                &format!("v=STSv1; id={}", d.replace('-', "")),
            );
        }
    }
    z.txt("_mta-sts.sts-multi.test", "v=STSv1; id=second")
        .txt("_mta-sts.sts-missing.test", "v=spf1 -all")
        .txt(
            "_smtp._tls.sts-enforce.test",
            "v=TLSRPTv1; rua=mailto:tls@sts-enforce.test",
        )
        .txt(
            "_smtp._tls.sts-none.test",
            "v=TLSRPTv1; rua=ftp://nope.test",
        );
    lab.dns.set_zone(z);

    let mut a = lab.args();
    a.extend(args(&[
        "--quick",
        "--no-dane",
        "-f",
        "json",
        "--mta-sts-port",
    ]));
    a.push(https.addr().port().to_string());
    a.push("--ca-file".into());
    a.push(testdata_path("certs/ca.crt").display().to_string());
    a.extend(domains.iter().map(|d| format!("{d}.test")));
    let doc = json(&mxprobe(&a).await);
    let d = by_name(&doc);
    let sts = |name: &str| d[&format!("{name}.test")]["mta_sts"].clone();

    let enforce = sts("sts-enforce");
    assert_eq!(enforce["txt"], "ok", "{enforce:#}");
    assert_eq!(enforce["id"], "stsenforce");
    assert_eq!(enforce["policy"]["status"], "ok", "{enforce:#}");
    assert_eq!(enforce["policy"]["policy"]["mode"], "enforce");
    assert_eq!(
        enforce["policy"]["policy"]["mx"],
        serde_json::json!(["mx.example.test"])
    );
    assert_eq!(enforce["policy"]["http_status"], 200);
    assert!(enforce.get("violations").is_none(), "{enforce:#}");
    assert!(enforce.get("mx_mismatch").is_none());
    let rpt = &d["sts-enforce.test"]["tls_rpt"];
    assert_eq!(rpt["status"], "ok");
    assert_eq!(
        rpt["rua"],
        serde_json::json!(["mailto:tls@sts-enforce.test"])
    );

    let violated = sts("sts-violated");
    assert_eq!(
        violated["violations"][0]["kind"], "certificate",
        "{violated:#}"
    );
    assert_eq!(violated["violations"][0]["mx"], "mail.sts-violated.test");
    assert_eq!(
        sts("sts-mismatch")["mx_mismatch"],
        serde_json::json!(["mx.example.test"])
    );
    let chunked = sts("sts-chunked");
    assert_eq!(
        chunked["policy"]["policy"]["mode"], "testing",
        "{chunked:#}"
    );
    assert_eq!(sts("sts-none")["policy"]["policy"]["mode"], "none");
    assert_eq!(d["sts-none.test"]["tls_rpt"]["status"], "invalid");
    assert_eq!(d["sts-chunked.test"]["tls_rpt"]["status"], "missing");

    for (name, status, why) in [
        ("sts-invalid", "invalid", "exceeds"),
        ("sts-type", "invalid", "not text/plain"),
        ("sts-large", "unreachable", "exceeds"),
        ("sts-redirect", "unreachable", "redirect"),
        ("sts-testing", "unreachable", "HTTP 404"),
        ("sts-badcert", "unreachable", "TLS with"),
    ] {
        let p = &sts(name)["policy"];
        assert_eq!(p["status"], status, "{name}: {p:#}");
        assert!(
            p["error"].as_str().is_some_and(|e| e.contains(why)),
            "{name}: {p:#}"
        );
    }
    assert_eq!(sts("sts-missing")["txt"], "missing");
    assert!(
        sts("sts-missing").get("policy").is_none(),
        "no fetch without a record"
    );
    assert_eq!(sts("sts-multi")["txt"], "invalid");

    // The findings each case makes under the default policy.
    let sts_ids = [
        "mta-sts-txt-missing",
        "mta-sts-txt-invalid",
        "mta-sts-policy-unreachable",
        "mta-sts-policy-invalid",
        "mta-sts-mx-mismatch",
        "mta-sts-enforce-violated",
    ];
    let f = |name: &str| &d[&format!("{name}.test")];
    assert_findings(f("sts-enforce"), &[], &sts_ids);
    assert_findings(
        f("sts-enforce"),
        &[],
        &["tls-rpt-missing", "tls-rpt-invalid"],
    );
    assert_findings(
        f("sts-violated"),
        &["mta-sts-enforce-violated"],
        &["mta-sts-mx-mismatch"],
    );
    assert_findings(
        f("sts-mismatch"),
        &["mta-sts-mx-mismatch"],
        &["mta-sts-enforce-violated"],
    );
    assert_findings(f("sts-invalid"), &["mta-sts-policy-invalid"], &[]);
    assert_findings(f("sts-type"), &["mta-sts-policy-invalid"], &[]);
    assert_findings(f("sts-redirect"), &["mta-sts-policy-unreachable"], &[]);
    assert_findings(
        f("sts-missing"),
        &["mta-sts-txt-missing", "tls-rpt-missing"],
        &[],
    );
    assert_findings(f("sts-multi"), &["mta-sts-txt-invalid"], &[]);
    assert_findings(f("sts-none"), &["tls-rpt-invalid"], &sts_ids);
    let violated = f("sts-violated")["findings"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["id"] == "mta-sts-enforce-violated"))
        .expect("finding");
    assert_eq!(violated["mx"], "mail.sts-violated.test");
    assert_eq!(violated["severity"], "critical");

    // Every fetch asked for the well-known path of its own policy host.
    let requests = https.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.path == "/.well-known/mta-sts.txt"),
        "{requests:?}"
    );
    assert!(requests
        .iter()
        .any(|r| r.host == "mta-sts.sts-enforce.test"));
    assert!(
        !requests
            .iter()
            .any(|r| r.host == "mta-sts.sts-missing.test"),
        "{requests:?}"
    );
}
