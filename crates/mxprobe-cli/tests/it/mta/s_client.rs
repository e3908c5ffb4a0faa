//! The independent cross-check: Debian's own `openssl s_client` (the system
//! OpenSSL 3.0, not the vendored one mxprobe is built on, and none of
//! mxprobe's code) connects to the same server and must see what mxprobe's
//! result predicts:
//!
//! * offering everything the system OpenSSL has for a version, the server
//!   picks mxprobe's rank-1 cipher (for a server that keeps its own order);
//! * offering mxprobe's accepted ciphers in reverse, the server still picks
//!   rank 1 with its own order, and the first offered with the client's;
//! * offering everything mxprobe says is refused, the handshake fails; a
//!   version mxprobe says is refused fails whatever is offered;
//! * the DH size mxprobe reports for a cipher, and the leaf's name;
//! * each group the system OpenSSL has: accepted alone exactly when mxprobe
//!   lists it.
//!
//! So the suite cannot agree with itself by construction. Versions the
//! system OpenSSL cannot speak (SSLv3) and ciphers it lacks (3DES, RC4) are
//! left to the assertions on mxprobe's result.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use super::expect::{names, version};

/// s_client's switch for each version it can speak here.
fn version_flag(protocol: &str) -> Option<&'static str> {
    match protocol {
        "TLSv1" => Some("-tls1"),
        "TLSv1.1" => Some("-tls1_1"),
        "TLSv1.2" => Some("-tls1_2"),
        "TLSv1.3" => Some("-tls1_3"),
        _ => None,
    }
}

const TLS13_SUITES: &str = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:\
TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256";

/// What the system OpenSSL can offer for `protocol`, in its default order,
/// without PSK and SRP suites (a client without a PSK or SRP login drops
/// them from its offer).
fn offerable(protocol: &str) -> Vec<String> {
    static CACHE: OnceLock<HashMap<&'static str, Vec<String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
            .into_iter()
            .map(|p| {
                let flag = version_flag(p).expect("flag");
                let mut cmd = Command::new("openssl");
                cmd.args(["ciphers", "-s", flag]);
                if p == "TLSv1.3" {
                    cmd.args(["-ciphersuites", TLS13_SUITES]);
                }
                let out = cmd
                    .arg("ALL:@SECLEVEL=0")
                    .output()
                    .expect("openssl ciphers");
                assert!(out.status.success(), "openssl ciphers {flag} failed");
                let list = String::from_utf8_lossy(&out.stdout)
                    .trim()
                    .split(':')
                    .filter(|c| !c.is_empty() && !c.contains("PSK") && !c.contains("SRP"))
                    .filter(|c| (p == "TLSv1.3") == c.starts_with("TLS_"))
                    .map(str::to_string)
                    .collect();
                (p, list)
            })
            .collect()
    });
    cache.get(protocol).cloned().unwrap_or_default()
}

/// What the system OpenSSL makes of the cipher string `list` for
/// `protocol` (at security level 0, as Postfix runs it), in its order,
/// keeping the ciphers whose authentication is one of `auth` (`RSA`, `None`
/// for anonymous): what a server on that OpenSSL with such a certificate
/// can accept, for expectations derived from a configuration.
pub fn resolve(protocol: &str, list: &str, auth: &[&str]) -> Vec<String> {
    let flag = version_flag(protocol).expect("a version the system OpenSSL speaks");
    let out = Command::new("openssl")
        .args(["ciphers", "-v", "-s", flag])
        .arg(format!("{list}:@SECLEVEL=0"))
        .output()
        .expect("openssl ciphers");
    assert!(out.status.success(), "openssl ciphers {flag} {list} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next()?;
            let au = fields.find_map(|f| f.strip_prefix("Au="))?;
            (!name.starts_with("TLS_") && auth.contains(&au)).then(|| name.to_string())
        })
        .collect()
}

/// What one s_client handshake showed.
#[derive(Debug)]
struct Seen {
    protocol: String,
    cipher: String,
    temp_key: Option<String>,
    peer: Option<String>,
}

/// One STARTTLS handshake offering `ciphers` (and only `group`, if given)
/// at `protocol` only; `Err` with the tool's output when it failed after
/// connecting.
async fn handshake(
    addr: SocketAddr,
    protocol: &str,
    ciphers: &[String],
    group: Option<&str>,
) -> Result<Seen, String> {
    let flag = version_flag(protocol).expect("a version s_client speaks");
    let list = ciphers.join(":");
    let mut cmd = tokio::process::Command::new("openssl");
    cmd.args(["s_client", "-brief", "-starttls", "smtp", "-connect"])
        .arg(addr.to_string())
        .arg(flag);
    if protocol == "TLSv1.3" {
        cmd.args(["-ciphersuites", &list]);
    } else {
        cmd.args(["-cipher", &format!("{list}:@SECLEVEL=0")]);
    }
    if let Some(group) = group {
        cmd.args(["-groups", group]);
    }
    let run = cmd
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("s_client finished")
        .expect("run openssl s_client");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    match (out.status.success(), field("Ciphersuite:")) {
        (true, Some(cipher)) => Ok(Seen {
            protocol: field("Protocol version:").unwrap_or_default(),
            cipher,
            temp_key: field("Server Temp Key:"),
            peer: field("Peer certificate:"),
        }),
        _ => {
            // A failure must be the server's refusal, not a local problem.
            let local = ["SSL_CONF_cmd", "no cipher", "connect:errno"];
            assert!(
                !local.iter().any(|l| text.contains(l)),
                "s_client could not make its offer {flag} {list}:\n{text}"
            );
            Err(text)
        }
    }
}

/// What a server with mxprobe's reported behaviour picks from `offer`:
/// `None` when it must refuse.
fn predict(v: &Value, offer: &[String]) -> Option<String> {
    let accepted = if v["supported"] == true {
        names(v)
    } else {
        Vec::new()
    };
    if v["order"] == "client" {
        offer.iter().find(|c| accepted.contains(c)).cloned()
    } else {
        accepted.iter().find(|c| offer.contains(c)).cloned()
    }
}

/// Groups the system OpenSSL offers with TLS 1.3, and ECDHE curves with
/// TLS 1.2 (at security level 0), under mxprobe's names.
const TLS13_GROUPS: &[&str] = &[
    "x25519",
    "x448",
    "secp256r1",
    "secp384r1",
    "secp521r1",
    "ffdhe2048",
    "ffdhe3072",
    "ffdhe4096",
    "ffdhe6144",
    "ffdhe8192",
];
const TLS12_CURVES: &[&str] = &[
    "x25519",
    "x448",
    "secp256r1",
    "secp384r1",
    "secp521r1",
    "brainpoolP256r1",
    "brainpoolP384r1",
    "brainpoolP512r1",
    "secp224r1",
    "prime192v1",
];
/// Curves below 256 bits: mxprobe tests them with TLS 1.2 even when the
/// server has TLS 1.3.
const WEAK_CURVES: &[&str] = &["secp224r1", "prime192v1"];

/// One s_client handshake and what mxprobe's result says it must give.
struct Check {
    protocol: &'static str,
    what: String,
    offer: Vec<String>,
    group: Option<&'static str>,
    /// The server's pick; `None`: it must refuse.
    want: Option<String>,
}

impl Check {
    fn new(protocol: &'static str, what: &str, offer: Vec<String>, v: &Value) -> Check {
        Check {
            protocol,
            what: what.to_string(),
            want: predict(v, &offer),
            offer,
            group: None,
        }
    }
}

/// The handshakes that test mxprobe's claims about `address`.
fn plan(address: &Value) -> Vec<Check> {
    let mut checks = Vec::new();
    for protocol in ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] {
        // Null when mxprobe got no TLS at all: then everything must fail.
        let v = version(address, protocol);
        let all = offerable(protocol);
        checks.push(Check::new(protocol, "everything", all.clone(), v));
        if v["supported"] != true {
            continue;
        }
        let accepted: Vec<String> = names(v).into_iter().filter(|c| all.contains(c)).collect();
        if accepted.len() >= 2 {
            let reversed = accepted.iter().rev().cloned().collect();
            checks.push(Check::new(protocol, "accepted, reversed", reversed, v));
        }
        let refused: Vec<String> = all
            .iter()
            .filter(|c| !accepted.contains(c))
            .cloned()
            .collect();
        if !refused.is_empty() {
            checks.push(Check::new(protocol, "all refused", refused, v));
        }
    }
    // The DH size, with the cipher mxprobe saw it with.
    let dh_bits = address["enumeration"]["dh_bits"].as_u64();
    let dh = ["TLSv1.2", "TLSv1.1", "TLSv1"].into_iter().find_map(|p| {
        let v = version(address, p);
        let name = v["ciphers"].as_array()?.iter().find_map(|c| {
            let name = c["name"].as_str()?;
            (dh_bits.is_some() && c["dh_bits"].as_u64() == dh_bits).then_some(name)
        })?;
        offerable(p)
            .contains(&name.to_string())
            .then(|| Check::new(p, "DH size", vec![name.to_string()], v))
    });
    checks.extend(dh);
    // Groups: one handshake per group the system OpenSSL has, where mxprobe
    // tested them (TLS 1.3; the newest version before it with ECDHE).
    let supported = super::expect::groups(address);
    let tls13 = version(address, "TLSv1.3");
    let ecdhe = ["TLSv1.2", "TLSv1.1", "TLSv1"].into_iter().find_map(|p| {
        let v = version(address, p);
        let offer: Vec<String> = names(v)
            .into_iter()
            .filter(|c| c.starts_with("ECDHE-") && offerable(p).contains(c))
            .collect();
        (!offer.is_empty()).then_some((p, v, offer))
    });
    let mut group_checks: Vec<(&'static str, &Value, Vec<String>, &'static str)> = Vec::new();
    if tls13["supported"] == true {
        for &g in TLS13_GROUPS {
            group_checks.push(("TLSv1.3", tls13, offerable("TLSv1.3"), g));
        }
    }
    if let Some((p, v, offer)) = ecdhe {
        let curves = if tls13["supported"] == true {
            WEAK_CURVES
        } else {
            TLS12_CURVES
        };
        for &g in curves {
            group_checks.push((p, v, offer.clone(), g));
        }
    }
    for (protocol, v, offer, group) in group_checks {
        let mut check = Check::new(protocol, &format!("group {group}"), offer, v);
        check.group = Some(group);
        if !supported.contains(&format!("{group}/{protocol}")) {
            check.want = None;
        }
        checks.push(check);
    }
    checks
}

/// Run every cross-check against `address` (mxprobe's JSON for the server
/// at `addr`); the checks that failed, and a line for each that held.
pub async fn cross_check(addr: SocketAddr, address: &Value) -> (Vec<String>, Vec<String>) {
    let checks = plan(address);
    let results = futures::future::join_all(
        checks
            .iter()
            .map(|c| handshake(addr, c.protocol, &c.offer, c.group)),
    )
    .await;
    let dh_bits = address["enumeration"]["dh_bits"].as_u64().unwrap_or(0);
    let cn = address["tls"]["chain"][0]["common_name"].as_str();
    let (mut failed, mut held) = (Vec::new(), Vec::new());
    for (check, result) in checks.iter().zip(results) {
        let label = format!(
            "s_client {} offering {} ({} ciphers)",
            check.protocol,
            check.what,
            check.offer.len()
        );
        match (result, &check.want) {
            (Ok(seen), Some(want)) if seen.cipher == *want && seen.protocol == check.protocol => {
                let mut line = format!("{label}: server picked {want}, as predicted");
                if check.what == "DH size" {
                    let key = seen.temp_key.clone().unwrap_or_default();
                    if key != format!("DH, {dh_bits} bits") {
                        failed.push(format!(
                            "{label}: temp key {key:?}, mxprobe said {dh_bits} bits"
                        ));
                        continue;
                    }
                    line += &format!(", temp key {key}");
                }
                if let (Some(peer), Some(cn)) = (&seen.peer, cn) {
                    if *peer != format!("CN = {cn}") {
                        failed.push(format!("{label}: peer {peer:?}, mxprobe said CN {cn}"));
                        continue;
                    }
                }
                held.push(line);
            }
            (Ok(seen), want) => failed.push(format!(
                "{label}: server picked {} {}, mxprobe's result predicts {want:?}",
                seen.protocol, seen.cipher
            )),
            (Err(text), None) => {
                held.push(format!("{label}: refused ({}), as predicted", why(&text)))
            }
            (Err(text), Some(want)) => failed.push(format!(
                "{label}: refused, mxprobe's result predicts {want}:\n{text}"
            )),
        }
    }
    (failed, held)
}

/// The server's reason in s_client's error output, briefly.
fn why(text: &str) -> &str {
    text.lines()
        .find_map(|l| l.split(':').find(|f| f.contains("alert")))
        .unwrap_or("no alert")
}
