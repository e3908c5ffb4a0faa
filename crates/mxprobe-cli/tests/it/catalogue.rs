//! Every finding of the catalogue has a configuration that produces it.
//!
//! The typed IDs make a misspelt finding impossible, not a catalogue entry
//! that no rule emits. The servers in `policy.rs` and `trust_dns.rs`
//! produce most findings for real; this test holds the whole catalogue,
//! `FindingId::ALL`, to reports written as JSON (the scan's contract), so
//! an entry without a rule fails here, whatever the test servers can show.

use std::collections::BTreeSet;

use mxprobe::logs::DefaultClassifier;
use mxprobe::model::remedy::{about_server, remedy};
use mxprobe::model::{DomainReport, FindingId};
use mxprobe::smtp::{Recognised, SmtpInfo, Software};
use mxprobe::tls::Protocol;
use mxprobe::Policy;
use serde_json::{json, Value};

/// "Now" for the certificate dates (2025-01-01).
const NOW: i64 = 1_735_689_600;
const DAY: i64 = 86_400;

/// Thresholds that every rule can fail; findings keep their catalogue
/// severity.
const STRICT: &str = r#"
name = "strict"
[versions]
minimum = "TLSv1.3"
[ciphers]
allowed = ["TLS_AES_256_GCM_SHA384"]
[key_exchange]
min_dh_bits = 2048
min_ecdh_bits = 256
allowed_groups = ["X25519MLKEM768"]
[certificate]
min_rsa_bits = 3072
min_ec_bits = 256
expiring_days = 30
"#;

fn domain(name: &str, status: &str, mx: Value, extra: Value) -> DomainReport {
    let mut report = json!({
        "target": {"kind": "domain", "name": name, "ascii": name},
        "status": status,
        "error": "the lookup failed",
        "mx": mx,
    });
    if let (Some(r), Some(extra)) = (report.as_object_mut(), extra.as_object()) {
        r.extend(extra.clone());
    }
    serde_json::from_value(report).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn mx(host: &str, addresses: Value, extra: Value) -> Value {
    let mut mx = json!({"host": host, "preference": 10, "implicit": false, "addresses": addresses});
    if let (Some(m), Some(extra)) = (mx.as_object_mut(), extra.as_object()) {
        m.extend(extra.clone());
    }
    mx
}

fn address(last: u8, status: &str, extra: Value) -> Value {
    let mut a = json!({
        "ip": format!("192.0.2.{last}"), "port": 25, "status": status,
        "error": "it failed", "connections": 1, "handshakes": 1,
    });
    if let (Some(a), Some(extra)) = (a.as_object_mut(), extra.as_object()) {
        a.extend(extra.clone());
    }
    a
}

fn cipher(name: &str) -> Value {
    json!({"name": name, "bits": 128, "kx": "RSA", "auth": "RSA", "aead": false, "forward_secret": false})
}

fn version(protocol: &str, supported: bool, order: Option<&str>, ciphers: &[&str]) -> Value {
    let ciphers: Vec<Value> = ciphers.iter().map(|c| cipher(c)).collect();
    json!({"protocol": protocol, "supported": supported, "order": order, "ciphers": ciphers})
}

/// A leaf valid from `from` to `until` (Unix seconds), RSA `bits`, signed
/// with `signature`.
fn leaf(from: i64, until: i64, bits: u32, signature: &str) -> Value {
    json!({
        "subject": "CN=mx.example.test", "common_name": "mx.example.test",
        "dns_names": ["mx.example.test"], "issuer": "CN=Test CA", "serial": "01",
        "not_before": "-", "not_after": "-", "not_before_unix": from, "not_after_unix": until,
        "key_type": "RSA", "key_bits": bits, "signature_algorithm": signature,
        "sha256": "00", "self_issued": false,
    })
}

fn tls(chain: Value) -> Value {
    json!({"protocol": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "bits": 256, "chain": [chain]})
}

fn ptr(status: &str) -> Value {
    json!({"status": status, "names": [{"name": "other.example.test", "confirmed": false}]})
}

fn dane(state: &str, mx_dnssec: &str, usable: usize, outcome: &str) -> Value {
    json!({
        "tlsa_name": "_25._tcp.mx.example.test", "state": state,
        "mx_dnssec": mx_dnssec, "address_dnssec": "secure", "tlsa_dnssec": "secure",
        "records": [{"usage": 0, "selector": 0, "matching": 1, "data": "00", "usable": usable > 0}],
        "usable": usable, "tlsa_attempts": 1,
        "addresses": [{"ip": "192.0.2.1", "port": 25, "outcome": outcome}],
        "errors": ["signature expired"],
    })
}

/// Domains that between them break every rule.
fn reports() -> Vec<DomainReport> {
    let broken_tls = address(
        8,
        "ok",
        json!({
            "enumeration": {
                "versions": [
                    version("SSLv3", true, None, &["RC4-SHA"]),
                    version("TLSv1", true, None, &["DES-CBC3-SHA"]),
                    version("TLSv1.1", true, None, &["NULL-SHA", "ADH-AES128-SHA"]),
                    version("TLSv1.2", false, None, &[]),
                    version("TLSv1.3", false, None, &[]),
                ],
                "groups": [
                    {"name": "x25519", "protocol": "TLSv1.1"},
                    {"name": "secp224r1", "protocol": "TLSv1.1"},
                ],
                "dh_bits": 1024,
                "incomplete": ["TLSv1.2: no further session"],
            },
            "tls": tls(leaf(NOW - 400 * DAY, NOW - DAY, 1024, "sha1WithRSAEncryption")),
            "trust": {
                "chain": {
                    "trusted": false,
                    "problems": [
                        {"kind": "self-signed", "subject": "CN=mx.example.test"},
                        {"kind": "incomplete-chain", "position": 0, "missing_issuer": "CN=Test CA"},
                    ],
                    "path": [0], "leaf_days_left": -1, "chain_days_left": -1,
                    "checked_at": "2025-01-01T00:00:00Z",
                },
                "names": {"mx": {"name": "mx.example.test", "result": "mismatch"}},
                "strict_tls": {"result": "failed", "error": {"kind": "timeout"}, "detail": "timed out"},
                "ptr": ptr("ptr-missing"),
            },
        }),
    );
    let client_order = address(
        9,
        "ok",
        json!({
            "enumeration": {"versions": [
                version("TLSv1.2", true, Some("client"), &["AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"]),
                version("TLSv1.3", false, None, &[]),
            ]},
            "tls": tls(leaf(NOW + DAY, NOW + 400 * DAY, 4096, "sha256WithRSAEncryption")),
            "trust": {"ptr": ptr("ptr-mismatch")},
        }),
    );
    let legacy_first = address(
        10,
        "ok",
        json!({
            "enumeration": {"versions": [
                version("TLSv1.2", true, Some("server"), &["DHE-RSA-AES256-SHA", "ECDHE-RSA-AES256-GCM-SHA384"]),
            ]},
            "tls": tls(leaf(NOW - DAY, NOW + 10 * DAY, 4096, "sha256WithRSAEncryption")),
        }),
    );
    // Predicted sender outcomes: one common sender falls back, one strict
    // sender defers, one common sender ends on a legacy cipher although the
    // server accepts an AEAD one with forward secrecy.
    let senders = address(
        11,
        "ok",
        json!({
            "enumeration": {"versions": [{
                "protocol": "TLSv1.2", "supported": true, "order": "server",
                "ciphers": [
                    cipher("AES128-SHA"),
                    {"name": "ECDHE-RSA-AES128-GCM-SHA256", "bits": 128, "kx": "ECDHE",
                     "auth": "RSA", "aead": true, "forward_secret": true},
                ],
            }]},
            "senders": [
                {"profile": "postfix-3.7", "outcome": "clear-text", "failure": "no-common-cipher",
                 "reason": "no common cipher", "common": true, "strict": false},
                {"profile": "exim-4.96", "outcome": "encrypted", "protocol": "TLSv1.2",
                 "cipher": "AES128-SHA", "common": true, "strict": false},
                {"profile": "dane", "outcome": "deferred", "protocol": "TLSv1.2",
                 "cipher": "AES128-SHA", "failure": "certificate-refused",
                 "reason": "it matches none of the TLSA records", "common": false, "strict": true},
            ],
        }),
    );
    // What hand-written hellos find: SSLv2, a single-DES suite no OpenSSL
    // 3 has, and every classic check failed.
    let legacy = address(
        12,
        "ok",
        json!({
            "enumeration": {
                "versions": [version("TLSv1.2", true, None, &["DES-CBC-SHA"])],
                "legacy": {
                    "sslv2": ["SSL_CK_RC4_128_WITH_MD5"],
                    "suites_tested": true,
                    "checks": {
                        "secure_renegotiation": false, "compression": true,
                        "heartbeat": true, "heartbleed": true,
                        "ccs_injection": true, "fallback_protected": false,
                    },
                },
            },
        }),
    );
    let failures = [
        address(1, "unreachable", json!({})),
        address(2, "no-starttls", json!({})),
        address(3, "tls-error", json!({})),
        address(4, "smtp-error", json!({"starttls_injection": true})),
        address(5, "smtp-error", json!({"smtp_step": "starttls"})),
        address(6, "smtp-error", json!({})),
        address(7, "dns-error", json!({})),
        broken_tls,
        client_order,
        legacy_first,
        senders,
        legacy,
    ];
    let unsigned = mx(
        "mx.unsigned.test",
        json!([]),
        json!({"dane": dane("none", "insecure", 0, "no-tls")}),
    );
    let hosts = json!([
        mx("mx.example.test", Value::from(failures.to_vec()), json!({})),
        mx(
            "broken.test",
            json!([]),
            json!({"implicit": true, "error": "SERVFAIL"})
        ),
        mx(
            "mx.mismatch.test",
            json!([]),
            json!({"dane": dane("applies", "secure", 1, "mismatch")})
        ),
        mx(
            "mx.bogus.test",
            json!([]),
            json!({"dane": dane("bogus", "bogus", 0, "no-tls")})
        ),
        mx(
            "mx.unusable.test",
            json!([]),
            json!({"dane": dane("unusable", "secure", 0, "no-tls")})
        ),
        mx(
            "mx.notlsa.test",
            json!([]),
            json!({"dane": dane("none", "secure", 0, "no-tls")})
        ),
        unsigned,
    ]);
    let fetch = |status: &str| json!({"url": "https://mta-sts.example.test/.well-known/mta-sts.txt", "status": status, "error": "no"});
    vec![
        domain("nxdomain.test", "nxdomain", json!([]), json!({})),
        domain("nomx.test", "no-mx", json!([]), json!({})),
        domain("nullmx.test", "null-mx", json!([]), json!({})),
        domain("servfail.test", "dns-error", json!([]), json!({})),
        domain(
            "example.test",
            "ok",
            hosts,
            json!({
                "mta_sts": {
                    "txt": "missing",
                    "policy": fetch("unreachable"),
                    "mx_mismatch": ["mx.example.test"],
                    "violations": [{"mx": "mx.example.test", "ip": "192.0.2.2", "port": 25,
                                    "kind": "no-tls", "reason": "no STARTTLS"}],
                },
                "tls_rpt": {"status": "missing"},
            }),
        ),
        // `MX 10 192.0.2.30.`: an address where a host name belongs.
        domain(
            "ipmx.test",
            "ok",
            json!([mx(
                "192.0.2.30",
                json!([address(30, "ok", json!({}))]),
                json!({})
            )]),
            json!({}),
        ),
        domain(
            "invalid.test",
            "ok",
            json!([]),
            json!({
                "mta_sts": {"txt": "invalid", "policy": fetch("invalid")},
                "tls_rpt": {"status": "invalid"},
            }),
        ),
    ]
}

#[test]
fn every_finding_id_has_a_configuration() {
    let policy = Policy::from_toml(STRICT, "strict.toml").expect("the strict policy");
    let mut produced: BTreeSet<FindingId> = reports()
        .iter()
        .flat_map(|r| policy.evaluate_at(r, NOW))
        .map(|f| f.id)
        .collect();
    // OpenSSL 3 offers no EXPORT suite, so no scan can find one; Exim and
    // Postfix logs of older peers name them.
    assert!(!produced.contains(&FindingId::CipherExport));
    produced.extend(DefaultClassifier.ids(Protocol::Tls1, "EXP-RC4-MD5"));
    let missing: Vec<&str> = FindingId::ALL
        .iter()
        .filter(|id| !produced.contains(id))
        .map(|id| id.as_str())
        .collect();
    assert!(missing.is_empty(), "no configuration produces {missing:?}");
}

/// Every finding at an address carries the remedy of the software
/// recognised there; the others (domain, MX host) the generic one. All
/// server-side findings come up at an address here, for each software.
#[test]
fn findings_at_an_address_get_the_remedy_of_its_software() {
    let policy = Policy::from_toml(STRICT, "strict.toml").expect("the strict policy");
    for software in Software::ALL.iter().copied() {
        let mut reports = reports();
        let addresses = reports
            .iter_mut()
            .flat_map(|r| r.mx.iter_mut())
            .flat_map(|mx| mx.addresses.iter_mut());
        for a in addresses {
            a.smtp = Some(SmtpInfo {
                greeting: vec!["mx.example.test ESMTP".into()],
                software: Recognised {
                    name: software,
                    ..Recognised::default()
                },
                ..SmtpInfo::default()
            });
        }
        let mut at_addresses = BTreeSet::new();
        for f in reports.iter().flat_map(|r| policy.evaluate_at(r, NOW)) {
            let expected = match f.ip {
                Some(_) => remedy(f.id, software),
                None => f.id.kind().remedy,
            };
            assert_eq!(f.remedy, expected, "{} with {software}", f.id);
            if f.ip.is_some() {
                at_addresses.insert(f.id);
            }
        }
        // As above: no scan can show an EXPORT cipher.
        let missing: Vec<&str> = FindingId::ALL
            .iter()
            .filter(|id| about_server(**id) && **id != FindingId::CipherExport)
            .filter(|id| !at_addresses.contains(id))
            .map(|id| id.as_str())
            .collect();
        assert!(
            missing.is_empty(),
            "{software}: not at an address: {missing:?}"
        );
    }
}
