//! Sender predictions cross-checked with the real clients they model.
//!
//! mxprobe predicts, without connecting, what each sender profile would
//! negotiate with an address (`senders` in its JSON). Three profiles were
//! recorded from clients Debian 12 ships, so here those very clients connect
//! to every real server configuration in `testdata/mta/` and must negotiate
//! exactly what mxprobe predicted:
//!
//! | profile       | client                                                   |
//! |---------------|----------------------------------------------------------|
//! | `postfix-3.7` | `posttls-finger -c -l may` (Postfix's own TLS client)    |
//! | `exim-4.96`   | `gnutls-cli --priority NORMAL` (Exim's GnuTLS defaults)  |
//! | `openssl-3`   | `openssl s_client` (OpenSSL 3.0, Debian's security level 2) |
//!
//! Compared: the version, the cipher (one of the candidates where mxprobe
//! reports the server's order as mixed), the key-exchange group or DH size
//! where the client prints it (one of the group candidates where mxprobe
//! cannot tell whether the server takes the client's key share), and
//! failure: a handshake the client cannot complete must be predicted as
//! failing, with the outcome the sender then has (Postfix and Exim retry in
//! clear text), and one it completes must not; s_client's reason must be
//! the predicted one. posttls-finger prints the group with TLS 1.3 only,
//! and no DH size; s_client and gnutls-cli print both.
//!
//! GnuTLS's names are read with the library's own GnuTLS-to-OpenSSL
//! mapping (the one the log analysis uses).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::probe;
use mxprobe::testkit::mta::{exim, postfix, Daemon};
use mxprobe::tls::Protocol;

/// What one client's handshake came to.
#[derive(Debug)]
enum Seen {
    Tls {
        protocol: String,
        cipher: String,
        /// mxprobe's name of the group (`x25519`), where printed.
        group: Option<String>,
        /// The finite-field DH prime's size, where printed.
        dh_bits: Option<u64>,
    },
    /// The handshake failed; the client's output.
    Failed(String),
}

/// A real client and the profile recorded from it.
#[derive(Debug, Clone, Copy)]
enum Tool {
    PosttlsFinger,
    GnutlsCli,
    SClient,
}

const CLIENTS: [Tool; 3] = [Tool::PosttlsFinger, Tool::GnutlsCli, Tool::SClient];

impl Tool {
    fn profile(self) -> &'static str {
        match self {
            Tool::PosttlsFinger => "postfix-3.7",
            Tool::GnutlsCli => "exim-4.96",
            Tool::SClient => "openssl-3",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Tool::PosttlsFinger => "posttls-finger",
            Tool::GnutlsCli => "gnutls-cli",
            Tool::SClient => "s_client",
        }
    }

    /// What a failed handshake leads to with this sender: Postfix (`may`)
    /// and Exim (`tls_tempfail_tryclear`) retry in clear text; a generic
    /// OpenSSL client's next step is its application's.
    fn on_failure(self) -> &'static str {
        match self {
            Tool::PosttlsFinger | Tool::GnutlsCli => "clear-text",
            Tool::SClient => "failed",
        }
    }

    fn command(self, addr: SocketAddr) -> tokio::process::Command {
        let mut cmd;
        match self {
            Tool::PosttlsFinger => {
                cmd = tokio::process::Command::new("posttls-finger");
                cmd.env("MAIL_CONFIG", postfix_config())
                    .args(["-c", "-l", "may"])
                    .arg(format!("[{}]:{}", addr.ip(), addr.port()));
            }
            Tool::GnutlsCli => {
                cmd = tokio::process::Command::new("gnutls-cli");
                cmd.args([
                    "--priority",
                    "NORMAL",
                    "--starttls-proto=smtp",
                    "--insecure",
                    "--port",
                ])
                .arg(addr.port().to_string())
                .arg(addr.ip().to_string());
            }
            Tool::SClient => {
                cmd = tokio::process::Command::new("openssl");
                cmd.args(["s_client", "-starttls", "smtp", "-connect"])
                    .arg(addr.to_string());
            }
        }
        cmd
    }

    /// Run the client against `addr`, with nothing to send.
    async fn handshake(self, addr: SocketAddr) -> Seen {
        let run = self
            .command(addr)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .unwrap_or_else(|_| panic!("{} did not finish", self.name()))
            .unwrap_or_else(|e| panic!("run {}: {e}", self.name()));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let seen = match self {
            Tool::PosttlsFinger => posttls_finger(&text),
            Tool::GnutlsCli => gnutls_cli(&text),
            Tool::SClient => s_client(&text),
        };
        // A failure must be the server's doing, not a local problem.
        if let Seen::Failed(_) = seen {
            let local = [
                "Connection refused",
                "connect:errno",
                "fatal: open",
                "Could not connect",
                "unknown option",
                "Invalid option",
            ];
            assert!(
                !local.iter().any(|l| text.contains(l)),
                "{} could not make its attempt:\n{text}",
                self.name()
            );
        }
        seen
    }
}

/// A configuration directory for posttls-finger (it reads `main.cf`; the
/// compatibility level keeps it from warning about defaults).
fn postfix_config() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("mxprobe-posttls-finger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir for posttls-finger");
        std::fs::write(dir.join("main.cf"), "compatibility_level = 3.6\n").expect("main.cf");
        dir
    })
}

/// `X25519`, `prime256v1`, `P-256` … as mxprobe names groups.
fn group_name(printed: &str) -> String {
    match printed.trim().to_ascii_lowercase().as_str() {
        "prime256v1" | "p-256" | "secp256r1" => "secp256r1".into(),
        "p-384" | "secp384r1" => "secp384r1".into(),
        "p-521" | "secp521r1" => "secp521r1".into(),
        other => other.into(),
    }
}

/// `... established to [127.0.0.1]:25: TLSv1.3 with cipher
/// TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519
/// server-signature ...`; `key-exchange DHE (2048 bits)` for DHE.
fn posttls_finger(text: &str) -> Seen {
    let Some(line) = text
        .lines()
        .find(|l| l.contains("TLS connection established"))
    else {
        return Seen::Failed(text.to_string());
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |key: &str| {
        words
            .iter()
            .position(|w| *w == key)
            .and_then(|i| words.get(i + 1))
            .copied()
    };
    let protocol = after("with")
        .map(|_| {
            let i = words.iter().position(|w| *w == "with").unwrap_or(0);
            words[i - 1].to_string()
        })
        .unwrap_or_default();
    let cipher = after("cipher").unwrap_or_default().to_string();
    // `X25519`, `ECDHE (prime256v1)`, `DHE (2048 bits)`; nothing before
    // TLS 1.3.
    let detail = words
        .iter()
        .position(|w| *w == "key-exchange")
        .and_then(|i| words.get(i + 2))
        .map(|w| w.trim_start_matches('(').trim_end_matches(')'));
    let (mut group, mut dh_bits) = (None, None);
    match (after("key-exchange"), detail) {
        (Some("DHE"), Some(bits)) => dh_bits = bits.parse().ok(),
        (Some("ECDHE"), Some(curve)) => group = Some(group_name(curve)),
        (Some(kx), _) => group = Some(group_name(kx)),
        (None, _) => {}
    }
    Seen::Tls {
        protocol,
        cipher,
        group,
        dh_bits,
    }
}

/// `- Description: (TLS1.3-X.509)-(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(AES-256-GCM)`,
/// in GnuTLS's names: put as GnuTLS-built Exim logs it
/// (`ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM`) and read with the
/// library's mapping to OpenSSL's names.
fn gnutls_cli(text: &str) -> Seen {
    let Some(desc) = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("- Description:"))
    else {
        return Seen::Failed(text.to_string());
    };
    let desc = desc.trim().trim_start_matches('(').trim_end_matches(')');
    let mut parts = desc.split(")-(");
    let version = parts.next().unwrap_or("").split('-').next().unwrap_or("");
    let protocol = match version {
        "TLS1.0" => "TLSv1".to_string(),
        v => v.replacen("TLS", "TLSv", 1),
    };
    let mut parts: Vec<String> = parts.map(|p| p.replace('-', "_")).collect();
    let parsed: Protocol = protocol.parse().expect("a version gnutls-cli printed");
    let (mut cipher, group) = mxprobe::logs::openssl_names(parsed, &parts.join("__"));
    if cipher.is_err() && parsed < Protocol::Tls1_2 {
        // Before TLS 1.2 the description names no signature algorithm: the
        // authentication is the leaf's key type, put where GnuTLS < 3.6
        // wrote it (`ECDHE_RSA_SECP256R1`).
        let leaf = text
            .lines()
            .skip_while(|l| !l.contains("Certificate[0] info:"))
            .nth(1)
            .unwrap_or("");
        let auth = if leaf.contains(", RSA key ") {
            "RSA"
        } else {
            "ECDSA"
        };
        if let Some(kx) = parts.first_mut() {
            *kx = match kx.split_once('_') {
                Some((kx, group)) => format!("{kx}_{auth}_{group}"),
                None => format!("{kx}_{auth}"),
            };
        }
        cipher = mxprobe::logs::openssl_names(parsed, &parts.join("__")).0;
    }
    let cipher = cipher.unwrap_or_else(|why| panic!("{}: {why}", parts.join("__")));
    // GnuTLS names a finite-field group (RFC 7919) or an unnamed prime of
    // some size; mxprobe gives the size for DHE before TLS 1.3.
    let bits = group.as_deref().and_then(|g| {
        g.strip_prefix("ffdhe")
            .or_else(|| g.strip_prefix("CUSTOM"))
            .and_then(|b| b.parse().ok())
    });
    let (group, dh_bits) = match bits {
        Some(bits) if parsed < Protocol::Tls1_3 => (None, Some(bits)),
        _ => (group, None),
    };
    Seen::Tls {
        protocol,
        cipher,
        group,
        dh_bits,
    }
}

/// `New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384` and `Server Temp Key:
/// X25519, 253 bits` (`ECDH, prime256v1, 256 bits`, `DH, 2048 bits`).
fn s_client(text: &str) -> Seen {
    // "New, SSLv3, Cipher is DHE-RSA-AES256-SHA" names the cipher's own
    // version (right only for TLS 1.3 suites); the session's is in
    // "Protocol  : TLSv1.2", printed with TLS 1.3 only once a session
    // ticket came.
    let Some((version, cipher)) = text.lines().find_map(|l| {
        let (version, cipher) = l.strip_prefix("New, ")?.split_once(", Cipher is ")?;
        Some((version.to_string(), cipher.trim().to_string()))
    }) else {
        return Seen::Failed(text.to_string());
    };
    if cipher == "(NONE)" {
        return Seen::Failed(text.to_string());
    }
    let session = text.lines().find_map(|l| {
        let (key, value) = l.split_once(':')?;
        (key.trim() == "Protocol").then(|| value.trim().to_string())
    });
    let protocol = match session {
        Some(protocol) => protocol,
        None if version == "TLSv1.3" => version,
        None => panic!("s_client printed no protocol:\n{text}"),
    };
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("Server Temp Key: "))
        .map(|k| k.split(", ").collect::<Vec<_>>());
    let (mut group, mut dh_bits) = (None, None);
    match key.as_deref() {
        Some(["DH", bits]) => dh_bits = bits.trim_end_matches(" bits").parse().ok(),
        Some(["ECDH", curve, _]) => group = Some(group_name(curve)),
        Some([name, _]) => group = Some(group_name(name)),
        _ => {}
    }
    Seen::Tls {
        protocol,
        cipher,
        group,
        dh_bits,
    }
}

/// Where `seen` and mxprobe's prediction `want` differ, one line each.
fn mismatches(client: Tool, want: &Value, seen: &Seen) -> Vec<String> {
    let label = format!("{} vs profile {}", client.name(), client.profile());
    let mut out = Vec::new();
    let predicted_failure = want["failure"].as_str();
    match seen {
        Seen::Failed(text) => {
            if predicted_failure.is_none() || !want["protocol"].is_null() {
                out.push(format!(
                    "{label}: the client's handshake failed, mxprobe predicts {} {}:\n{text}",
                    want["protocol"], want["cipher"]
                ));
            }
            // s_client says why; the predicted reason must be that one.
            // (TLS 1.0 and 1.1 fail at security level 2 on their SHA-1/MD5
            // handshake signatures.)
            let reasons: &[&str] = match want["failure"].as_str() {
                Some("dh-too-small") => &["dh key too small"],
                Some("no-common-version") => &[
                    "legacy sigalg disallowed",
                    "unsupported protocol",
                    "no protocols available",
                ],
                _ => &[],
            };
            if matches!(client, Tool::SClient)
                && !reasons.is_empty()
                && !reasons.iter().any(|r| text.contains(r))
            {
                out.push(format!(
                    "{label}: mxprobe predicts {}, s_client says none of {reasons:?}:\n{text}",
                    want["failure"]
                ));
            }
            if want["outcome"] != client.on_failure() {
                out.push(format!(
                    "{label}: the handshake failed, so the outcome is {}; mxprobe predicts {}",
                    client.on_failure(),
                    want["outcome"]
                ));
            }
        }
        Seen::Tls {
            protocol,
            cipher,
            group,
            dh_bits,
        } => {
            if let Some(failure) = predicted_failure {
                out.push(format!(
                    "{label}: the client negotiated {protocol} {cipher}, mxprobe predicts {failure} ({})",
                    want["reason"]
                ));
                return out;
            }
            if want["protocol"] != protocol.as_str() {
                out.push(format!(
                    "{label}: protocol {protocol}, mxprobe predicts {}",
                    want["protocol"]
                ));
            }
            let candidates: Vec<&str> = want["candidates"]
                .as_array()
                .map(|c| c.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let cipher_ok = match want["cipher"].as_str() {
                Some(c) => c == cipher,
                None => candidates.contains(&cipher.as_str()),
            };
            if !cipher_ok {
                out.push(format!(
                    "{label}: cipher {cipher}, mxprobe predicts {} (candidates {candidates:?})",
                    want["cipher"]
                ));
            }
            if let Some(group) = group {
                let candidates: Vec<&str> = want["group_candidates"]
                    .as_array()
                    .map(|c| c.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let ok = match want["group"].as_str() {
                    Some(g) => g == group,
                    None => candidates.contains(&group.as_str()),
                };
                if !ok {
                    out.push(format!(
                        "{label}: group {group}, mxprobe predicts {} (candidates {candidates:?})",
                        want["group"]
                    ));
                }
            }
            if let Some(bits) = dh_bits {
                let predicted = want["dh_bits"].as_u64().or_else(|| {
                    want["group"]
                        .as_str()
                        .and_then(|g| g.strip_prefix("ffdhe"))
                        .and_then(|b| b.parse().ok())
                });
                if predicted != Some(*bits) {
                    out.push(format!(
                        "{label}: a {bits}-bit DH prime, mxprobe predicts {predicted:?}"
                    ));
                }
            }
        }
    }
    out
}

/// Probe `server`, run the three clients against it and compare; panics
/// with every difference, the predictions and what the clients saw.
async fn cross_check(server: Daemon, extra: &[&str]) {
    let started = Instant::now();
    let domain = probe(server.addr(), extra).await;
    let address = &domain["mx"][0]["addresses"][0];
    let predictions = address["senders"].as_array().cloned().unwrap_or_default();
    let seen = futures::future::join_all(CLIENTS.map(|c| c.handshake(server.addr()))).await;
    let mut failed = Vec::new();
    let mut lines = Vec::new();
    for (client, seen) in CLIENTS.iter().zip(&seen) {
        let Some(want) = predictions
            .iter()
            .find(|p| p["profile"] == client.profile())
        else {
            failed.push(format!("no prediction for {}", client.profile()));
            continue;
        };
        let wrong = mismatches(*client, want, seen);
        let shown = match seen {
            Seen::Tls {
                protocol,
                cipher,
                group,
                dh_bits,
            } => format!("{protocol} {cipher} {group:?} dh {dh_bits:?}"),
            Seen::Failed(_) => "handshake failed".to_string(),
        };
        lines.push(format!(
            "{}: {shown}; mxprobe: {} {} {} {} {} {} {} {}",
            client.name(),
            want["outcome"],
            want["protocol"],
            want["cipher"],
            want["candidates"],
            want["group"],
            want["group_candidates"],
            want["dh_bits"],
            want["failure"]
        ));
        failed.extend(wrong);
    }
    println!(
        "{} ({:.1} s; groups {} {}):\n  {}",
        server.instance.name,
        started.elapsed().as_secs_f64(),
        address["enumeration"]["group_order"],
        address["enumeration"]["group_preference"],
        lines.join("\n  ")
    );
    assert!(
        failed.is_empty(),
        "{}:\n  {}\n\npredicted: {}\n\n{}",
        server.instance.name,
        failed.join("\n  "),
        serde_json::to_string_pretty(&predictions).unwrap_or_default(),
        server.diagnostics()
    );
}

/// Exim's refusals are slow; more connections at once (as in exim.rs).
const EXIM: &[&str] = &["--per-host", "8"];

#[tokio::test(flavor = "multi_thread")]
async fn postfix_modern() {
    cross_check(postfix("modern").await, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_legacy_first() {
    cross_check(postfix("legacy-first").await, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_stock() {
    cross_check(postfix("stock").await, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_dh1024() {
    cross_check(postfix("dh1024").await, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_legacy_dh1024() {
    cross_check(postfix("legacy-dh1024").await, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_wrong_name() {
    cross_check(postfix("wrong-name").await, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exim_server_order() {
    cross_check(exim("server-order").await, EXIM).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exim_stock() {
    cross_check(exim("stock").await, EXIM).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exim_legacy() {
    cross_check(exim("legacy").await, EXIM).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exim_ecdsa() {
    cross_check(exim("ecdsa").await, EXIM).await;
}
