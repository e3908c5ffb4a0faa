//! Enumeration of versions, ciphers and their order against the test server.

use std::time::Duration;

use mxprobe::testkit::scenarios::{self, LEGACY_FIRST};
use mxprobe::testkit::smtp::{cert, Misbehaviour, ServerConfig, SmtpServer, TlsConfig};
use mxprobe::tls::Protocol;
use serde_json::Value;

use crate::common::{args, assert_ran, csv_rows, mxprobe, Lab};

/// Scan one server as the MX of x.test; the JSON of its address.
async fn probe(config: ServerConfig, extra: &[&str]) -> (Value, Lab) {
    let lab = Lab::start(vec![config], |z, ip| {
        z.mx("x.test", 10, "mx.x.test").a("mx.x.test", ip[0]);
    })
    .await;
    let mut a = lab.args();
    a.extend(args(extra));
    a.extend(args(&["-f", "json", "x.test"]));
    let out = mxprobe(&a).await;
    assert_ran(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    (doc["domains"][0]["mx"][0]["addresses"][0].clone(), lab)
}

async fn scenario(name: &str) -> Value {
    probe(scenarios::named(name).expect("scenario").config, &[])
        .await
        .0
}

fn version<'a>(address: &'a Value, protocol: &str) -> &'a Value {
    address["enumeration"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["protocol"] == protocol)
        .expect("version listed")
}

fn ciphers(address: &Value, protocol: &str) -> Vec<String> {
    version(address, protocol)["ciphers"]
        .as_array()
        .expect("ciphers")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect()
}

fn supported(address: &Value) -> Vec<String> {
    address["enumeration"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter(|v| v["supported"] == true)
        .map(|v| v["protocol"].as_str().expect("protocol").to_string())
        .collect()
}

fn assert_complete(address: &Value) {
    assert!(
        address["enumeration"]["incomplete"].is_null(),
        "incomplete: {}",
        address["enumeration"]["incomplete"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_version_alone_is_found_sslv3_included() {
    for (p, ciphers) in [
        (Protocol::Ssl3, "AES128-SHA:DES-CBC3-SHA"),
        (Protocol::Tls1, "AES128-SHA:ECDHE-RSA-AES256-SHA"),
        (Protocol::Tls1_1, "AES128-SHA"),
        (Protocol::Tls1_2, "ECDHE-RSA-AES128-GCM-SHA256"),
        (Protocol::Tls1_3, "DEFAULT"),
    ] {
        let mut tls = TlsConfig::default().only(p);
        tls.cipher_list = ciphers.into();
        let (a, _lab) = probe(ServerConfig::with_tls(tls), &["--no-groups"]).await;
        assert_complete(&a);
        assert_eq!(supported(&a), vec![p.as_str().to_string()], "{p}");
        assert_eq!(a["status"], "ok");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_first_server_order_is_reported_exactly() {
    // The kabelmail case: TLS 1.2 negotiated, DHE-RSA-AES256-SHA first.
    let (a, lab) = probe(scenarios::named("kabelmail").expect("scenario").config, &[]).await;
    let most = lab.smtp[0].max_concurrent();
    assert!(most <= 2, "{most} open at once: more than --per-host");
    assert_complete(&a);
    assert_eq!(a["tls"]["protocol"], "TLSv1.2");
    assert_eq!(a["tls"]["cipher"], "DHE-RSA-AES256-SHA");
    let configured: Vec<String> = LEGACY_FIRST.split(':').map(str::to_string).collect();
    assert_eq!(ciphers(&a, "TLSv1.2"), configured);
    assert_eq!(version(&a, "TLSv1.2")["order"], "server");
    // TLS 1.0/1.1 cannot negotiate the GCM ciphers; the rest keep their order.
    let pre12: Vec<String> = configured
        .iter()
        .filter(|c| !c.contains("GCM"))
        .cloned()
        .collect();
    assert_eq!(ciphers(&a, "TLSv1"), pre12);
    assert_eq!(ciphers(&a, "TLSv1.1"), pre12);
    assert_eq!(supported(&a), ["TLSv1", "TLSv1.1", "TLSv1.2"]);
    assert_eq!(a["enumeration"]["dh_bits"], 2048);
    // The cost, pinned. The server closes at once after a failed handshake,
    // so handshakes are abandoned once its choice is known and every chain
    // ends with a refusal. 1 broadly compatible handshake (TLS 1.2, its
    // first pick); 3 for the older versions (up to 1.1 and up to 1.0 give
    // their first picks, up to SSLv3 is refused); TLS 1.2: 5 more picks and
    // the refusal, its second pick (listed before the first) telling the
    // server's order for free; TLS 1.1 and 1.0: 3 more picks, the refusal
    // and the order test (their first two picks come in mxprobe's order);
    // TLS 1.2 curves: 5 found, the order test and the refusal; 1 strict
    // modern sender (the trust checks). Then the hand-written hellos: the
    // checks' hello (renegotiation, compression, heartbeat; the early
    // ChangeCipherSpec on its connection, as the heartbeat is off) and the
    // fallback hello (refused with inappropriate_fallback). No SSLv2 and no
    // suites OpenSSL lacks: neither SSLv3 nor a legacy cipher was found.
    assert_eq!(a["handshakes"], 1 + 3 + 6 + 5 + 5 + 7 + 1 + (1 + 1));
    assert_eq!(a["refused_handshakes"], 5 + 1);
    let connections = a["connections"].as_u64().expect("connections");
    // One more when the session opened ahead of a need that did not come.
    assert!(
        (30..=31).contains(&connections),
        "{connections} connections"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn client_ordered_server_is_reported_as_client() {
    let a = scenario("client-order").await;
    assert_complete(&a);
    for p in ["TLSv1.2", "TLSv1.3"] {
        assert_eq!(version(&a, p)["order"], "client", "{p}");
    }
    let mut got = ciphers(&a, "TLSv1.2");
    got.sort();
    assert_eq!(
        got,
        [
            "AES256-SHA",
            "DES-CBC3-SHA",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES256-GCM-SHA384"
        ]
    );
}

/// The client-ordered scenario, with failed handshakes cheap (the server
/// closes at once, as Postfix) or costly (it pauses before closing, as
/// Exim on GnuTLS does for half a second): the same result, and the cost of
/// each pinned, with the server's own count of connections open at once
/// never above `--per-host`.
#[tokio::test(flavor = "multi_thread")]
async fn client_order_costs_are_pinned_where_failures_are_cheap_and_costly() {
    let mut results = Vec::new();
    // (pause, handshakes, refused): where failures are cheap, every chain
    // ends with a refusal (the versions below TLS 1.2, TLS 1.2's ciphers,
    // the TLS 1.3 suites and groups, the weak curves); where they are
    // costly, the client-ordered chains end on an accepted cipher listed
    // last instead, and only the versions below TLS 1.2, the groups (which
    // this server orders itself) and the weak curves end with a refusal.
    //
    // Then, as it accepts 3DES, the hand-written hellos: the checks' hello
    // (accepted), the fallback hello (refused) and one offer of TLS 1.2
    // suites no OpenSSL 3 has (refused): 3 more, 2 of them refused.
    for (pause, handshakes, refused) in [
        (Duration::ZERO, 20 + 3, 5 + 2),
        (Duration::from_millis(300), 19 + 3, 3 + 2),
    ] {
        let mut config = scenarios::named("client-order").expect("scenario").config;
        if let Some(tls) = config.tls.as_mut() {
            tls.pause_after_failure = pause;
        }
        let (a, lab) = probe(config, &[]).await;
        assert_complete(&a);
        assert_eq!(a["handshakes"], handshakes, "pause {pause:?}");
        assert_eq!(a["refused_handshakes"], refused, "pause {pause:?}");
        let connections = a["connections"].as_u64().expect("connections");
        assert!(
            (handshakes..=handshakes + 1).contains(&connections),
            "pause {pause:?}: {connections} connections"
        );
        let most = lab.smtp[0].max_concurrent();
        assert!(most <= 2, "pause {pause:?}: {most} open at once");
        results.push(a);
    }
    assert_eq!(results[0]["enumeration"], results[1]["enumeration"]);
    for p in ["TLSv1.2", "TLSv1.3"] {
        assert_eq!(version(&results[1], p)["order"], "client", "{p}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tls13_only_server() {
    let a = scenario("tls13-only").await;
    assert_complete(&a);
    assert_eq!(supported(&a), ["TLSv1.3"]);
    let mut suites = ciphers(&a, "TLSv1.3");
    suites.sort();
    assert_eq!(
        suites,
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
    );
    let groups: Vec<&str> = a["enumeration"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["name"].as_str().expect("name"))
        .collect();
    for g in ["X25519MLKEM768", "x25519", "secp256r1"] {
        assert!(groups.contains(&g), "{g} missing from {groups:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dual_certificates_are_told_apart_per_cipher() {
    let a = scenario("dual-cert").await;
    assert_complete(&a);
    let v = version(&a, "TLSv1.2");
    assert_eq!(v["order"], "server");
    for c in v["ciphers"].as_array().expect("ciphers") {
        let name = c["name"].as_str().expect("name");
        let want = if name.contains("ECDSA") {
            "EC 256"
        } else {
            "RSA 2048"
        };
        assert_eq!(c["cert_key"], want, "{name}");
    }
    assert_eq!(
        ciphers(&a, "TLSv1.2"),
        [
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_ciphers_and_small_dh_are_found() {
    let a = scenario("legacy").await;
    assert_complete(&a);
    assert_eq!(supported(&a), ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2"]);
    assert_eq!(
        ciphers(&a, "SSLv3"),
        [
            "DHE-RSA-AES256-SHA",
            "RC4-SHA",
            "DES-CBC3-SHA",
            "AES128-SHA"
        ]
    );
    assert_eq!(a["enumeration"]["dh_bits"], 1024);
}

/// The result of a well-behaved server, to compare difficult ones with.
async fn reference() -> Value {
    probe(ServerConfig::default(), &[]).await.0["enumeration"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_connection_server_still_gets_a_complete_result() {
    let config = ServerConfig {
        max_connections: Some(1),
        ..ServerConfig::default()
    };
    let (a, lab) = probe(config, &["--backoff", "0.05"]).await;
    assert_complete(&a);
    assert_eq!(a["enumeration"], reference().await);
    assert!(lab.smtp[0].connections() > 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_refusing_every_other_connection_is_enumerated_completely() {
    let config = ServerConfig::misbehaving(Misbehaviour::Reject421EveryOtherConnection);
    let (a, _lab) = probe(config, &["--backoff", "0.02"]).await;
    assert_complete(&a);
    assert_eq!(a["status"], "ok");
    assert_eq!(a["enumeration"], reference().await);
    let (connections, handshakes) = (a["connections"].as_u64(), a["handshakes"].as_u64());
    assert!(connections > handshakes, "refused connections are counted");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_per_host_limit_holds() {
    for per_host in ["1", "3"] {
        let (a, lab) = probe(ServerConfig::default(), &["--per-host", per_host]).await;
        assert_complete(&a);
        let max: usize = per_host.parse().expect("number");
        let seen = lab.smtp[0].max_concurrent();
        assert!(
            seen <= max,
            "{seen} simultaneous connections with --per-host {per_host}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_gives_up_on_us_makes_the_result_incomplete_not_wrong() {
    // Refuses everything after the first few connections: what was learnt
    // stays, the rest is marked incomplete.
    let config = ServerConfig {
        max_connections: Some(0),
        ..ServerConfig::default()
    };
    let server = SmtpServer::start("127.0.0.1:0".parse().expect("addr"), config)
        .await
        .expect("server");
    let dns = crate::common::empty_dns().await;
    let mut a = crate::common::resolver_args(&dns);
    a.extend(args(&[
        "-f",
        "json",
        "--backoff",
        "0.01",
        "--retries",
        "2",
        "--host",
        &server.addr().to_string(),
    ]));
    let out = mxprobe(&a).await;
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let a = &doc["domains"][0]["mx"][0]["addresses"][0];
    assert_eq!(a["status"], "smtp-error", "{a}");
    assert!(a["error"].as_str().expect("error").contains("421"), "{a}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cipher_table_lists_each_cipher_once_in_order() {
    let s = scenarios::named("kabelmail").expect("scenario");
    let lab = Lab::start(vec![s.config], |z, ip| {
        z.mx("a.test", 10, "mx.x.test")
            .mx("b.test", 10, "mx.x.test");
        z.a("mx.x.test", ip[0]);
    })
    .await;
    let mut a = lab.args();
    a.extend(args(&["--no-groups", "-f", "ciphers", "a.test", "b.test"]));
    let out = mxprobe(&a).await;
    assert_ran(&out);
    let rows = csv_rows(&out.stdout);
    let tls12: Vec<_> = rows.iter().filter(|r| r["protocol"] == "TLSv1.2").collect();
    assert_eq!(tls12.len(), 6, "the shared address is listed once");
    assert_eq!(tls12[0]["cipher"], "DHE-RSA-AES256-SHA");
    assert_eq!(tls12[0]["rank"], "1");
    assert_eq!(tls12[0]["legacy"], "CBC SHA-1");
    assert_eq!(tls12[0]["iana"], "TLS_DHE_RSA_WITH_AES_256_CBC_SHA");
    assert_eq!(tls12[1]["aead"], "yes");
    assert_eq!(tls12[4]["forward_secrecy"], "no");
    assert_eq!(rows.iter().filter(|r| r["protocol"] == "TLSv1").count(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_has_the_version_columns() {
    let s = scenarios::named("kabelmail").expect("scenario");
    let lab = Lab::start(vec![s.config, cert_server()], |z, ip| {
        z.mx("a.test", 10, "mx.a.test").a("mx.a.test", ip[0]);
        z.mx("b.test", 10, "mx.b.test").a("mx.b.test", ip[1]);
    })
    .await;
    let mut a = lab.args();
    a.extend(args(&["-f", "csv", "a.test", "b.test"]));
    let out = mxprobe(&a).await;
    let rows = csv_rows(&out.stdout);
    let k = &rows[0];
    assert_eq!(
        [
            &k["sslv3"],
            &k["tlsv1"],
            &k["tlsv1_1"],
            &k["tlsv1_2"],
            &k["tlsv1_3"]
        ],
        ["no", "yes", "yes", "yes", "no"]
    );
    assert_eq!(k["cipher_order"], "server");
    assert_eq!(k["preferred_tlsv1_2"], "DHE-RSA-AES256-SHA");
    assert_eq!(k["preferred_tlsv1"], "DHE-RSA-AES256-SHA");
    assert_eq!(k["min_dh_bits"], "2048");
    assert!(k["ciphers"].starts_with("DHE-RSA-AES256-SHA ECDHE-RSA-AES256-GCM-SHA384"));
    assert_eq!(k["incomplete"], "");
    let b = &rows[1];
    assert_eq!(b["cipher_order"], "client");
    assert_eq!(
        b["preferred_tlsv1_3"], "",
        "no preference to report under client order"
    );
}

/// A default server with a certificate for another name.
fn cert_server() -> ServerConfig {
    ServerConfig::with_tls(TlsConfig {
        certs: vec![cert("wrong-name")],
        ..TlsConfig::default()
    })
}
