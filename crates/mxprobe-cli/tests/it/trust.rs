//! Trust checks end to end: chain, names, the strict modern sender and
//! reverse DNS, from the real binary against test servers presenting the
//! fixture certificates of `testdata/certs/`.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use mxprobe::testkit::dns::reverse_name;
use mxprobe::testkit::net;
use mxprobe::testkit::pki::testdata_path;
use mxprobe::testkit::smtp::{cert, cert_alone, CertKey, ServerConfig, TlsConfig};
use serde_json::Value;

use crate::common::{args, csv_rows, mxprobe, Lab};

fn ca_file() -> String {
    testdata_path("certs/ca.crt").display().to_string()
}

fn presenting(cert: CertKey) -> ServerConfig {
    ServerConfig::with_tls(TlsConfig {
        certs: vec![cert],
        ..TlsConfig::default()
    })
}

/// `example.test`, MX `mx.example.test` (the name the fixtures carry), at
/// a server presenting `cert`.
async fn example_lab(cert: CertKey) -> Lab {
    Lab::start(vec![presenting(cert)], |z, ip| {
        z.mx("example.test", 10, "mx.example.test")
            .a("mx.example.test", ip[0]);
    })
    .await
}

async fn run(lab: &Lab, extra: &[&str]) -> Vec<u8> {
    let mut a = lab.args();
    a.extend(args(extra));
    let out = mxprobe(&a).await;
    crate::common::assert_ran(&out);
    out.stdout
}

async fn csv(lab: &Lab, extra: &[&str]) -> Vec<HashMap<String, String>> {
    let mut a = args(&["--quick", "-f", "csv"]);
    a.extend(args(extra));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    csv_rows(&run(lab, &a).await)
}

/// The JSON of the first address of the first domain.
async fn json_address(lab: &Lab, extra: &[&str]) -> Value {
    let mut a = args(&["--quick", "-f", "json"]);
    a.extend(args(extra));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let doc: Value = serde_json::from_slice(&run(lab, &a).await).expect("json");
    doc["domains"][0]["mx"][0]["addresses"][0].clone()
}

/// The IPv4-mapped IPv6 form of a test server's loopback address:
/// connections to it reach the same IPv4 socket (Linux is dual-stack), and
/// its PTR name lives under ip6.arpa.
fn mapped(ip: Ipv4Addr) -> Ipv6Addr {
    ip.to_ipv6_mapped()
}

/// The RFC 2317 name of `ip` in a /26 delegated from its /24, e.g.
/// `4.0/26.3.2.1.in-addr.arpa` (the RFC's §4 layout).
fn classless(ip: Ipv4Addr) -> String {
    let [a, b, c, d] = ip.octets();
    format!("{d}.{}/26.{c}.{b}.{a}.in-addr.arpa", d & 0xc0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_server_is_trusted_by_a_strict_sender() {
    let lab = Lab::start(vec![ServerConfig::default()], |z, ip| {
        z.mx("example.test", 10, "mx.example.test")
            .a("mx.example.test", ip[0])
            .ptr(ip[0].into(), "mx.example.test");
    })
    .await;
    let ca = ca_file();
    let rows = csv(&lab, &["--ca-file", &ca, "example.test"]).await;
    let r = &rows[0];
    assert_eq!(r["status"], "ok");
    assert_eq!(r["cert_trusted"], "yes", "{r:?}");
    assert_eq!(r["cert_problems"], "");
    assert!(r["cert_days_left"].parse::<i64>().expect("days") > 30_000);
    assert_eq!(r["chain_days_left"], r["cert_days_left"]);
    assert_eq!(r["name_matches_mx"], "yes");
    assert_eq!(r["name_matches_domain"], "no");
    assert_eq!(r["name_matches_banner"], "yes");
    assert_eq!(r["name_hint"], "");
    assert_eq!(r["strict_tls"], "ok", "{r:?}");
    assert_eq!(r["strict_tls_error"], "");
    assert_eq!(r["ptr"], "ok");
    assert_eq!(r["ptr_names"], "mx.example.test");
    assert_eq!(r["ptr_confirmed"], "mx.example.test");
    assert_eq!(r["ptr_matches_banner"], "yes");
    // One broadly compatible handshake and the strict one.
    assert_eq!(
        (r["connections"].as_str(), r["handshakes"].as_str()),
        ("2", "2")
    );

    let a = json_address(&lab, &["--ca-file", &ca, "example.test"]).await;
    let t = &a["trust"];
    assert_eq!(t["chain"]["trusted"], true);
    assert_eq!(t["chain"]["path"], serde_json::json!([0, 1]));
    assert_eq!(t["chain"]["anchor"]["source"], "ca-file");
    assert_eq!(
        t["chain"]["anchor"]["subject"],
        "CN=mxprobe test CA, O=mxprobe tests"
    );
    assert!(t["chain"].get("problems").is_none(), "{t}");
    assert_eq!(t["names"]["mx"]["result"], "match");
    assert_eq!(t["names"]["mx"]["matched_by"], "mx.example.test");
    assert_eq!(t["names"]["domain"]["result"], "mismatch");
    assert_eq!(t["strict_tls"]["result"], "ok");
    assert_eq!(t["strict_tls"]["protocol"], "TLSv1.3");
    assert_eq!(t["strict_tls"]["name_checked"], true);
    assert_eq!(t["ptr"]["status"], "ok");
    assert_eq!(t["ptr"]["names"][0]["confirmed"], true);
    assert_eq!(t["ptr"]["matches_banner"], true);

    // The strict handshake sent the MX host name as SNI.
    let snis: Vec<Option<String>> = lab.smtp[0]
        .transcript()
        .into_iter()
        .filter_map(|s| s.tls.and_then(Result::ok).map(|t| t.sni))
        .collect();
    assert!(!snis.is_empty());
    assert!(
        snis.iter().all(|s| s.as_deref() == Some("mx.example.test")),
        "{snis:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_private_ca_the_chain_is_untrusted() {
    let lab = example_lab(cert("mx-rsa")).await;
    let rows = csv(&lab, &["example.test"]).await;
    let r = &rows[0];
    assert_eq!(r["cert_trusted"], "no");
    assert_eq!(r["cert_problems"], "unknown-issuer");
    assert_eq!(r["strict_tls"], "failed");
    assert!(r["strict_tls_error"].contains("UnknownIssuer"), "{r:?}");
    assert_eq!(
        r["name_matches_mx"], "yes",
        "names are checked all the same"
    );
}

/// One fixture each: what the chain check names, whether the chain is
/// trusted, and whether a strict sender delivers.
#[tokio::test(flavor = "multi_thread")]
async fn every_certificate_defect_is_named() {
    let cases = [
        ("expired", cert("expired"), "expired", "no", "failed"),
        (
            "not-yet-valid",
            cert("not-yet-valid"),
            "not-yet-valid",
            "no",
            "failed",
        ),
        (
            "self-signed",
            cert("self-signed"),
            "self-signed",
            "no",
            "failed",
        ),
        ("rsa1024", cert("rsa1024"), "weak-key", "yes", "failed"),
        ("sha1", cert("sha1"), "weak-signature", "no", "failed"),
        (
            "mx-inter alone",
            cert_alone("mx-inter"),
            "incomplete-chain",
            "no",
            "failed",
        ),
        (
            "mx-aia alone",
            cert_alone("mx-aia"),
            "incomplete-chain",
            "no",
            "failed",
        ),
        ("mx-inter", cert("mx-inter"), "", "yes", "ok"),
        (
            "wrong-order",
            cert("wrong-order"),
            "wrong-order",
            "yes",
            "ok",
        ),
        ("mx-ecdsa", cert("mx-ecdsa"), "", "yes", "ok"),
    ];
    let ca = ca_file();
    let runs = cases
        .into_iter()
        .map(|(name, cert, problems, trusted, strict)| {
            let ca = ca.clone();
            async move {
                let lab = example_lab(cert).await;
                let rows = csv(&lab, &["--ca-file", &ca, "example.test"]).await;
                (name, rows, problems, trusted, strict)
            }
        });
    for (name, rows, problems, trusted, strict) in futures::future::join_all(runs).await {
        let r = &rows[0];
        assert_eq!(r["status"], "ok", "{name}: {r:?}");
        assert_eq!(r["cert_problems"], problems, "{name}: {r:?}");
        assert_eq!(r["cert_trusted"], trusted, "{name}: {r:?}");
        assert_eq!(r["strict_tls"], strict, "{name}: {r:?}");
        assert_eq!(r["name_matches_mx"], "yes", "{name}: {r:?}");
        assert_eq!(
            r["strict_tls_error"].is_empty(),
            strict == "ok",
            "{name}: {r:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn defects_carry_their_details_in_json() {
    let ca = ca_file();
    let lab = example_lab(cert("expired")).await;
    let a = json_address(&lab, &["--ca-file", &ca, "example.test"]).await;
    let chain = &a["trust"]["chain"];
    assert_eq!(chain["rejection"]["reason"], "expired");
    let p = &chain["problems"][0];
    assert_eq!(p["kind"], "expired");
    assert_eq!(p["position"], 0);
    assert_eq!(p["not_after"], "2001-01-01T00:00:00Z");
    assert!(chain["leaf_days_left"].as_i64().expect("days") < -9000);
    let strict = &a["trust"]["strict_tls"];
    assert_eq!(strict["result"], "failed");
    assert_eq!(strict["error"]["kind"], "certificate");
    assert_eq!(strict["error"]["reason"], "expired");
    assert!(
        strict["detail"]
            .as_str()
            .expect("detail")
            .contains("certificate expired"),
        "{strict}"
    );

    let lab = example_lab(cert_alone("mx-aia")).await;
    let a = json_address(&lab, &["--ca-file", &ca, "example.test"]).await;
    let p = &a["trust"]["chain"]["problems"][0];
    assert_eq!(p["kind"], "incomplete-chain");
    assert_eq!(
        p["missing_issuer"],
        "CN=mxprobe test intermediate CA, O=mxprobe tests"
    );
    assert_eq!(
        p["ca_issuers"],
        serde_json::json!(["http://ca.example.test/intermediate.crt"])
    );
    assert_eq!(
        a["trust"]["strict_tls"]["error"]["reason"],
        "unknown-issuer"
    );

    let lab = example_lab(cert("wrong-order")).await;
    let a = json_address(&lab, &["--ca-file", &ca, "example.test"]).await;
    let chain = &a["trust"]["chain"];
    assert_eq!(
        chain["problems"][0]["issuing_order"],
        serde_json::json!([0, 2, 1])
    );
    assert_eq!(chain["trusted"], true);

    let lab = example_lab(cert("rsa1024")).await;
    let a = json_address(&lab, &["--ca-file", &ca, "example.test"]).await;
    let p = &a["trust"]["chain"]["problems"][0];
    assert_eq!(
        (&p["kind"], &p["key_type"], &p["bits"], &p["minimum"]),
        (
            &Value::from("weak-key"),
            &Value::from("RSA"),
            &Value::from(1024),
            &Value::from(2048)
        )
    );

    let lab = example_lab(cert("sha1")).await;
    let a = json_address(&lab, &["--ca-file", &ca, "example.test"]).await;
    let p = &a["trust"]["chain"]["problems"][0];
    assert_eq!(p["kind"], "weak-signature");
    assert_eq!(p["digest"], "sha1");
    assert_eq!(p["algorithm"], "sha1WithRSAEncryption");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cn_only_certificate_matches_no_name() {
    let lab = example_lab(cert("cn-only")).await;
    let ca = ca_file();
    let rows = csv(&lab, &["--ca-file", &ca, "example.test"]).await;
    let r = &rows[0];
    assert_eq!(r["cert_trusted"], "yes");
    assert_eq!(r["name_matches_mx"], "no");
    assert_eq!(r["name_matches_banner"], "no");
    assert_eq!(r["strict_tls"], "failed");
    assert!(r["strict_tls_error"].contains("not valid for"), "{r:?}");

    let a = json_address(&lab, &["--ca-file", &ca, "example.test"]).await;
    let names = &a["trust"]["names"];
    assert_eq!(names["cn_only"], "mx.example.test");
    assert_eq!(names["mx"]["result"], "cn-only");
    assert_eq!(
        a["trust"]["strict_tls"]["error"]["reason"],
        "not-valid-for-name"
    );
}

/// The shared-hosting case: the customer's MX name points at a server whose
/// certificate, banner and PTR record all say its own host name.
#[tokio::test(flavor = "multi_thread")]
async fn shared_hosting_mismatch_names_the_remedy() {
    let server = ServerConfig {
        banner_host: "s120.hoster.test".into(),
        ..presenting(cert("wrong-name"))
    };
    let lab = Lab::start(vec![server], |z, ip| {
        z.mx("customer.test", 10, "mail.customer.test")
            .a("mail.customer.test", ip[0])
            .a("s120.hoster.test", ip[0])
            .ptr(ip[0].into(), "s120.hoster.test");
    })
    .await;
    let ca = ca_file();
    let rows = csv(&lab, &["--ca-file", &ca, "customer.test"]).await;
    let r = &rows[0];
    assert_eq!(r["cert_trusted"], "yes");
    assert_eq!(r["name_matches_mx"], "no");
    assert_eq!(r["name_matches_domain"], "no");
    assert_eq!(r["name_matches_banner"], "yes");
    assert!(
        r["name_hint"].contains(
            "point the MX record at s120.hoster.test, or add mail.customer.test to the certificate"
        ),
        "{r:?}"
    );
    assert_eq!(r["strict_tls"], "failed");
    assert!(
        r["strict_tls_error"].contains("not valid for name \"mail.customer.test\""),
        "{r:?}"
    );
    assert_eq!(r["ptr"], "ok");
    assert_eq!(r["ptr_confirmed"], "s120.hoster.test");
    assert_eq!(r["ptr_matches_banner"], "yes");

    let a = json_address(&lab, &["--ca-file", &ca, "customer.test"]).await;
    let names = &a["trust"]["names"];
    assert_eq!(names["hint"]["server_name"], "s120.hoster.test");
    assert_eq!(names["hint"]["mx"], "mail.customer.test");
    assert_eq!(names["hint"]["seen_in"], "banner");
    assert_eq!(names["ptr"][0]["result"], "match");

    let text = String::from_utf8(run(&lab, &["--quick", "--ca-file", &ca, "customer.test"]).await)
        .expect("utf-8");
    assert!(text.contains("      trust\n"), "{text}");
    assert!(
        text.contains("names   MX mail.customer.test: no; domain customer.test: no; banner s120.hoster.test: yes"),
        "{text}"
    );
    assert!(
        text.contains("point the MX record at s120.hoster.test"),
        "{text}"
    );
    assert!(text.contains("strict  FAILED: "), "{text}");
    assert!(
        text.contains("PTR     s120.hoster.test (forward-confirmed); the banner host"),
        "{text}"
    );
}

/// Forward-confirmed reverse DNS of loopback addresses, asked of the test
/// DNS server like any other: confirmed, missing, not confirmed, broken,
/// and through RFC 2317 classless delegation (confirmed, a CNAME to a name
/// without a PTR record, a CNAME loop); one address under ip6.arpa.
#[tokio::test(flavor = "multi_thread")]
async fn reverse_dns_outcomes() {
    let down = net::closed_port();
    let down_ip = match down.ip() {
        std::net::IpAddr::V4(ip) => ip,
        std::net::IpAddr::V6(_) => unreachable!(),
    };
    let servers = vec![ServerConfig::default(); 8];
    let lab = Lab::start(servers, |z, ip| {
        for i in 1..=9 {
            z.mx("ptr.test", i * 10, &format!("mx{i}.ptr.test"));
        }
        // Forward-confirmed.
        z.a("mx1.ptr.test", ip[0]).ptr(ip[0].into(), "mx1.ptr.test");
        // No PTR at all.
        z.a("mx2.ptr.test", ip[1]);
        // PTR names that lead elsewhere or nowhere.
        z.a("mx3.ptr.test", ip[2])
            .ptr(ip[2].into(), "elsewhere.ptr.test")
            .ptr(ip[2].into(), "gone.ptr.test")
            .aaaa("elsewhere.ptr.test", "2001:db8::1".parse().expect("ip"));
        // The reverse zone is broken.
        z.a("mx4.ptr.test", ip[3])
            .servfail(&reverse_name(ip[3].into()));
        // Nothing listens, but the address has a PTR all the same.
        z.a("mx5.ptr.test", down_ip)
            .ptr(down_ip.into(), "mx5.ptr.test");
        // RFC 2317: the CNAME into the customer's zone, the PTR there.
        z.a("mx6.ptr.test", ip[4])
            .cname(&reverse_name(ip[4].into()), &classless(ip[4]))
            .ptr_at(&classless(ip[4]), "mx6.ptr.test");
        // RFC 2317 broken: delegated, but the customer's zone lacks it.
        z.a("mx7.ptr.test", ip[5])
            .cname(&reverse_name(ip[5].into()), &classless(ip[5]));
        // RFC 2317 broken: the customer's zone points back.
        z.a("mx8.ptr.test", ip[6])
            .cname(&reverse_name(ip[6].into()), &classless(ip[6]))
            .cname(&classless(ip[6]), &reverse_name(ip[6].into()));
        // ip6.arpa.
        let six = mapped(ip[7]);
        z.aaaa("mx9.ptr.test", six).ptr(six.into(), "mx9.ptr.test");
    })
    .await;
    let ip: Vec<Ipv4Addr> = lab
        .smtp
        .iter()
        .map(|s| match s.addr().ip() {
            std::net::IpAddr::V4(ip) => ip,
            std::net::IpAddr::V6(_) => unreachable!(),
        })
        .collect();
    let rows = csv(&lab, &["ptr.test"]).await;
    let by_mx: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|r| (r["mx"].as_str(), r)).collect();
    let r = by_mx["mx1.ptr.test"];
    assert_eq!(
        (r["ptr"].as_str(), r["ptr_confirmed"].as_str()),
        ("ok", "mx1.ptr.test")
    );
    assert_eq!(
        r["ptr_matches_banner"], "no",
        "the banner says mx.example.test"
    );
    let r = by_mx["mx2.ptr.test"];
    assert_eq!(
        (r["ptr"].as_str(), r["ptr_names"].as_str()),
        ("ptr-missing", "")
    );
    let r = by_mx["mx3.ptr.test"];
    assert_eq!(r["ptr"], "ptr-mismatch");
    assert_eq!(r["ptr_names"], "elsewhere.ptr.test gone.ptr.test");
    assert_eq!(r["ptr_confirmed"], "");
    assert_eq!(r["ptr_matches_banner"], "");
    let r = by_mx["mx4.ptr.test"];
    assert_eq!(r["ptr"], "dns-error");
    let r = by_mx["mx5.ptr.test"];
    assert_eq!(
        (r["status"].as_str(), r["ptr"].as_str()),
        ("unreachable", "ok")
    );
    assert_eq!(
        (r["strict_tls"].as_str(), r["cert_trusted"].as_str()),
        ("", "")
    );
    let r = by_mx["mx6.ptr.test"];
    assert_eq!(
        (r["ptr"].as_str(), r["ptr_confirmed"].as_str()),
        ("ok", "mx6.ptr.test"),
        "confirmed through the delegation"
    );
    let r = by_mx["mx7.ptr.test"];
    assert_eq!(
        (r["ptr"].as_str(), r["ptr_names"].as_str()),
        ("ptr-missing", ""),
        "a CNAME to nothing is a missing PTR, not a mismatch"
    );
    assert_eq!(by_mx["mx8.ptr.test"]["ptr"], "dns-error");
    let r = by_mx["mx9.ptr.test"];
    assert_eq!(
        (r["ptr"].as_str(), r["ptr_confirmed"].as_str()),
        ("ok", "mx9.ptr.test")
    );

    let mut a = lab.args();
    a.extend(args(&["--quick", "-f", "json", "ptr.test"]));
    let doc: Value = serde_json::from_slice(&mxprobe(&a).await.stdout).expect("json");
    let domain = &doc["domains"][0];
    let mx = &domain["mx"];
    let ptr = |i: usize| mx[i]["addresses"][0]["trust"]["ptr"].clone();
    let p = ptr(2);
    assert_eq!(p["status"], "ptr-mismatch");
    assert_eq!(
        p["names"][0]["addresses"],
        serde_json::json!(["2001:db8::1"])
    );
    assert_eq!(p["names"][0]["confirmed"], false);
    assert!(
        p["names"][1]["error"]
            .as_str()
            .expect("error")
            .contains("NXDOMAIN"),
        "{p}"
    );
    assert!(p.get("cname_chain").is_none(), "no CNAME, no chain: {p}");
    let broken = ptr(3);
    assert!(
        broken["error"]
            .as_str()
            .expect("error")
            .contains("SERVFAIL"),
        "{broken}"
    );
    let down = &mx[4]["addresses"][0]["trust"];
    assert!(
        down.get("strict_tls").is_none() && down.get("chain").is_none(),
        "{down}"
    );
    let delegated = ptr(5);
    assert_eq!(delegated["status"], "ok");
    assert_eq!(
        delegated["cname_chain"],
        serde_json::json!([reverse_name(ip[4].into()), classless(ip[4])])
    );
    assert_eq!(delegated["names"][0]["name"], "mx6.ptr.test");
    let missing = ptr(6);
    assert_eq!(missing["status"], "ptr-missing");
    assert_eq!(
        missing["cname_chain"],
        serde_json::json!([reverse_name(ip[5].into()), classless(ip[5])])
    );
    let looped = ptr(7);
    assert_eq!(looped["status"], "dns-error");
    let reverse = reverse_name(ip[6].into());
    let loop_text = format!(
        "{reverse}: CNAME loop {reverse} → {} → {reverse}",
        classless(ip[6])
    );
    assert_eq!(looped["error"], loop_text.as_str());
    assert_eq!(looped["cname_chain"].as_array().map(Vec::len), Some(3));

    // The findings say what is wrong, with the chain.
    let findings = domain["findings"].as_array().expect("findings");
    let about = |id: &str, mx: &str| {
        findings
            .iter()
            .find(|f| f["id"] == id && f["mx"] == mx)
            .and_then(|f| f["message"].as_str())
            .map(str::to_owned)
    };
    assert_eq!(
        about("ptr-missing", "mx2.ptr.test").as_deref(),
        Some("no PTR record")
    );
    assert_eq!(
        about("ptr-missing", "mx7.ptr.test"),
        Some(format!(
            "no PTR record at {} (via CNAME {} → {})",
            classless(ip[5]),
            reverse_name(ip[5].into()),
            classless(ip[5])
        ))
    );
    assert_eq!(
        about("dns-error", "mx8.ptr.test"),
        Some(format!("reverse DNS: {loop_text}"))
    );
    for ok in ["mx1.ptr.test", "mx6.ptr.test", "mx9.ptr.test"] {
        assert!(
            !findings.iter().any(|f| f["mx"] == ok
                && f["id"].as_str().is_some_and(|id| id.starts_with("ptr-"))),
            "{ok}: {findings:?}"
        );
    }
    assert_eq!(about("ptr-mismatch", "mx7.ptr.test"), None);

    // The text report shows the chain under the PTR line.
    let mut a = lab.args();
    a.extend(args(&["--quick", "ptr.test"]));
    let text = String::from_utf8(mxprobe(&a).await.stdout).expect("utf-8");
    let via = |i: usize| {
        format!(
            "          - via CNAME {} → {}\n",
            reverse_name(ip[i].into()),
            classless(ip[i])
        )
    };
    assert!(
        text.contains(&format!(
            "        PTR     mx6.ptr.test (forward-confirmed); not the banner host\n{}",
            via(4)
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "        PTR     ptr-missing: no PTR record at {}\n{}",
            classless(ip[5]),
            via(5)
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("        PTR     dns-error: {loop_text}\n")),
        "{text}"
    );
    assert!(!text.contains("localhost"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ip_literal_host_gets_the_chain_checked_without_a_name() {
    let lab = example_lab(cert("mx-rsa")).await;
    let ca = ca_file();
    let target = lab.smtp[0].addr().to_string();
    let a = json_address(&lab, &["--ca-file", &ca, "--host", &target]).await;
    let t = &a["trust"];
    assert_eq!(t["names"]["mx"]["result"], "not-a-name");
    assert!(t["names"].get("domain").is_none());
    assert_eq!(t["strict_tls"]["result"], "ok", "{t}");
    assert_eq!(t["strict_tls"]["name_checked"], false);
    assert_eq!(t["chain"]["trusted"], true);
    // No SNI for an address.
    let snis: Vec<Option<String>> = lab.smtp[0]
        .transcript()
        .into_iter()
        .filter_map(|s| s.tls.and_then(Result::ok).map(|t| t.sni))
        .collect();
    assert!(snis.iter().all(Option::is_none), "{snis:?}");

    let rows = csv(&lab, &["--ca-file", &ca, "--host", &target]).await;
    assert_eq!(rows[0]["name_matches_mx"], "", "not checked");

    // A host name given with --host is the name checked.
    let target = format!("mx.example.test:{}", lab.port);
    let rows = csv(&lab, &["--ca-file", &ca, "--host", &target]).await;
    let r = &rows[0];
    assert_eq!(
        (
            r["name_matches_mx"].as_str(),
            r["name_matches_domain"].as_str()
        ),
        ("yes", "")
    );
    assert_eq!(r["strict_tls"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_strict_handshake_runs_with_the_enumeration_too() {
    let lab = example_lab(cert("mx-rsa")).await;
    let ca = ca_file();
    let out = run(
        &lab,
        &[
            "--no-groups",
            "-f",
            "json",
            "--ca-file",
            &ca,
            "example.test",
        ],
    )
    .await;
    let doc: Value = serde_json::from_slice(&out).expect("json");
    let a = &doc["domains"][0]["mx"][0]["addresses"][0];
    assert!(a["enumeration"].is_object());
    assert_eq!(a["trust"]["strict_tls"]["result"], "ok", "{a}");
    assert_eq!(a["trust"]["chain"]["trusted"], true);
    // The main handshake, the enumeration's, the strict one.
    assert!(a["handshakes"].as_u64().expect("handshakes") > 2, "{a}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_ca_file_is_a_usage_error() {
    let out = mxprobe(&args(&["--ca-file", "/nonexistent/ca.pem", "example.test"])).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("mxprobe: --ca-file: cannot read /nonexistent/ca.pem"),
        "{stderr}"
    );
    let key = testdata_path("certs/ca.key").display().to_string();
    let out = mxprobe(&args(&["--ca-file", &key, "example.test"])).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ca.key: "), "{stderr}");
}

/// The library with a fixed verification time: the expired certificate in
/// the middle of its validity, for the chain check and rustls alike.
#[tokio::test(flavor = "multi_thread")]
async fn the_verification_time_can_be_fixed() {
    use mxprobe::cert::anchors::Anchors;
    use mxprobe::dns::ResolverConfig;
    use mxprobe::model::Target;
    use mxprobe::scan::{ScanConfig, Scanner};
    use mxprobe::trust::{StrictTls, TrustConfig};

    let lab = example_lab(cert("expired")).await;
    let pem = std::fs::read(testdata_path("certs/ca.crt")).expect("ca.crt");
    let anchors = Anchors::mozilla()
        .with_pem(&pem, "ca.crt")
        .expect("anchors");
    let scan = |at: Option<i64>| {
        let config = ScanConfig {
            resolver: ResolverConfig {
                nameservers: vec![lab.dns.addr()],
                ..ResolverConfig::default()
            },
            port: lab.port,
            enumerate: false,
            trust: TrustConfig {
                anchors: anchors.clone(),
                at,
            },
            ..ScanConfig::default()
        };
        async move {
            let scanner = Scanner::new(config).expect("scanner");
            let report = scanner
                .scan(Target::domain("example.test").expect("target"))
                .await;
            report.mx[0].addresses[0].trust.clone().expect("trust")
        }
    };
    // 2000-06-01, inside 2000-01-01 .. 2001-01-01.
    let then = scan(Some(959_817_600)).await;
    let chain = then.chain.expect("chain");
    assert!(chain.trusted, "{chain:?}");
    assert_eq!(chain.checked_at, "2000-06-01T00:00:00Z");
    assert!(
        matches!(then.strict_tls, Some(StrictTls::Ok { .. })),
        "{:?}",
        then.strict_tls
    );
    let now = scan(None).await;
    assert!(!now.chain.expect("chain").trusted);
    assert!(!now.strict_tls.expect("strict").is_ok());
}

/// One address, two MX names: one the certificate covers, one it does not.
/// The address is probed once; each name still gets its own verdict.
#[tokio::test(flavor = "multi_thread")]
async fn a_shared_address_is_judged_per_mx_name() {
    let lab = Lab::start(vec![ServerConfig::default()], |z, ip| {
        z.mx("customer.test", 10, "mx.customer.test")
            .a("mx.customer.test", ip[0]);
        z.mx("hoster.test", 10, "mail.example.test")
            .a("mail.example.test", ip[0]);
    })
    .await;
    let ca = mxprobe::testkit::pki::testdata_path("certs/ca.crt");
    for order in [
        ["customer.test", "hoster.test"],
        ["hoster.test", "customer.test"],
    ] {
        let mut a = lab.args();
        a.extend(args(&[
            "--quick",
            "-f",
            "json",
            "--ca-file",
            ca.to_str().expect("utf-8"),
        ]));
        a.extend(order.iter().map(|s| s.to_string()));
        let out = mxprobe(&a).await;
        crate::common::assert_ran(&out);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        for d in doc["domains"].as_array().expect("domains") {
            let trust = &d["mx"][0]["addresses"][0]["trust"];
            let want = if d["target"]["name"] == "hoster.test" {
                "ok"
            } else {
                "failed"
            };
            assert_eq!(trust["strict_tls"]["result"], want, "{order:?}: {d}");
            let covered = if want == "ok" { "match" } else { "mismatch" };
            assert_eq!(trust["names"]["mx"]["result"], covered);
        }
    }
}
