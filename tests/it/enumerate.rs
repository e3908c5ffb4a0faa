//! Enumeration of versions, ciphers and their order against the test server.

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
    let a = scenario("kabelmail").await;
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
    // The cost, pinned: 1 broadly compatible handshake; Σ(accepted + 1) − 1
    // = 1 + 5 + 5 + 7 + 1 − 1 = 18 for the ciphers; 2 × 3 for the order;
    // 10 TLS 1.2 curves; 1 strict modern sender (the trust checks).
    assert_eq!(a["handshakes"], 36);
    let connections = a["connections"].as_u64().expect("connections");
    assert!(
        (36..=38).contains(&connections),
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
    let out = mxprobe(&args(&[
        "-f",
        "json",
        "--backoff",
        "0.01",
        "--retries",
        "2",
        "--host",
        &server.addr().to_string(),
    ]))
    .await;
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
