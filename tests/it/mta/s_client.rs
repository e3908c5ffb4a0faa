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
//! * the DH size mxprobe reports for a cipher, and the leaf's name.
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

/// One STARTTLS handshake offering `ciphers` at `protocol` only; `Err`
/// with the tool's output when it failed after connecting.
async fn handshake(addr: SocketAddr, protocol: &str, ciphers: &[String]) -> Result<Seen, String> {
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

/// Run every cross-check against `address` (mxprobe's JSON for the server
/// at `addr`); the checks that failed, and a line for each that held.
pub async fn cross_check(addr: SocketAddr, address: &Value) -> (Vec<String>, Vec<String>) {
    let mut checks: Vec<(String, String, Vec<String>)> = Vec::new();
    for protocol in ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] {
        // Null when mxprobe got no TLS at all: then everything must fail.
        let v = version(address, protocol);
        let all = offerable(protocol);
        checks.push((protocol.into(), "everything".into(), all.clone()));
        if v["supported"] != true {
            continue;
        }
        let accepted: Vec<String> = names(v).into_iter().filter(|c| all.contains(c)).collect();
        if accepted.len() >= 2 {
            let reversed = accepted.iter().rev().cloned().collect();
            checks.push((protocol.into(), "accepted, reversed".into(), reversed));
        }
        let refused: Vec<String> = all
            .iter()
            .filter(|c| !accepted.contains(c))
            .cloned()
            .collect();
        if !refused.is_empty() {
            checks.push((protocol.into(), "all refused".into(), refused));
        }
    }
    // The DH size of the cipher mxprobe saw it with.
    let dh = address["enumeration"]["dh_bits"].as_u64().and_then(|bits| {
        ["TLSv1.2", "TLSv1.1", "TLSv1"].into_iter().find_map(|p| {
            let v = version(address, p);
            v["ciphers"].as_array()?.iter().find_map(|c| {
                let name = c["name"].as_str()?;
                (c["dh_bits"].as_u64() == Some(bits) && offerable(p).iter().any(|o| o == name))
                    .then(|| (p, name.to_string(), bits))
            })
        })
    });
    if let Some((p, name, _)) = &dh {
        checks.push((p.to_string(), "DH size".into(), vec![name.clone()]));
    }
    let results =
        futures::future::join_all(checks.iter().map(|(p, _, offer)| handshake(addr, p, offer)))
            .await;
    let (mut failed, mut held) = (Vec::new(), Vec::new());
    for ((protocol, what, offer), result) in checks.iter().zip(results) {
        let v = version(address, protocol);
        let want = predict(v, offer);
        let label = format!(
            "s_client {protocol} offering {what} ({} ciphers)",
            offer.len()
        );
        match (result, want) {
            (Ok(seen), Some(want)) if seen.cipher == want && seen.protocol == *protocol => {
                let mut line = format!("{label}: server picked {want}, as predicted");
                if what == "DH size" {
                    let bits = dh.as_ref().map_or(0, |d| d.2);
                    let key = seen.temp_key.clone().unwrap_or_default();
                    if key != format!("DH, {bits} bits") {
                        failed.push(format!(
                            "{label}: temp key {key:?}, mxprobe said {bits} bits"
                        ));
                        continue;
                    }
                    line += &format!(", temp key {key}");
                }
                if let (Some(peer), Some(cn)) = (
                    &seen.peer,
                    address["tls"]["chain"][0]["common_name"].as_str(),
                ) {
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
