//! Named server configurations: the cases mail admins meet, for tests,
//! benchmarks and the lab (`mxprobe-lab`). The last ones are scripted
//! ([`ServerConfig::scripted()`]): servers OpenSSL 3 cannot be, which never
//! finish a handshake.

use super::pki::{cert, dh_params};
use super::smtp::{HeartbeatReply, Misbehaviour, Script, ServerConfig, TlsConfig};
use crate::tls::Protocol;

/// A server configuration with a name and what it shows.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name; the lab serves it as `<name>.lab.test`.
    pub name: &'static str,
    /// What the case shows, one line.
    pub description: &'static str,
    /// The server.
    pub config: ServerConfig,
}

/// The ciphers of the kabelmail case in the server's order: an SSLv3-era
/// CBC/SHA-1 cipher first although AEAD ciphers are accepted.
pub const LEGACY_FIRST: &str = "DHE-RSA-AES256-SHA:ECDHE-RSA-AES256-GCM-SHA384:\
ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-SHA:AES256-SHA:AES128-SHA";

/// About thirty ciphers over TLS 1.0–1.2 in a deliberate server order, plus
/// the TLS 1.3 suites: what a long-lived, reasonably maintained MX offers.
pub const REALISTIC_30: &str = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:\
ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:\
ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:\
DHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:\
ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:DHE-RSA-AES128-SHA256:\
ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:\
DHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA:DHE-RSA-CAMELLIA256-SHA:DHE-RSA-CAMELLIA128-SHA:\
AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256:AES256-SHA:AES128-SHA:\
CAMELLIA256-SHA:CAMELLIA128-SHA:DES-CBC3-SHA";

fn tls(min: Protocol, max: Protocol, ciphers: &str, server_order: bool) -> TlsConfig {
    TlsConfig {
        min: Some(min),
        max: Some(max),
        cipher_list: ciphers.into(),
        server_preference: server_order,
        ..TlsConfig::default()
    }
}

/// Every scenario, in the order the lab lists them.
pub fn all() -> Vec<Scenario> {
    let with = |tls: TlsConfig| ServerConfig::with_tls(tls);
    vec![
        Scenario {
            name: "modern",
            description: "TLS 1.2-1.3, ECDHE AEAD only, server order",
            config: with(tls(
                Protocol::Tls1_2,
                Protocol::Tls1_3,
                "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305",
                true,
            )),
        },
        Scenario {
            name: "kabelmail",
            description: "TLS 1.0-1.2, server order puts DHE-RSA-AES256-SHA (CBC, SHA-1) first",
            config: with(tls(Protocol::Tls1, Protocol::Tls1_2, LEGACY_FIRST, true).no_tls13()),
        },
        Scenario {
            name: "client-order",
            description: "TLS 1.2-1.3, follows the client's cipher order",
            config: with(tls(Protocol::Tls1_2, Protocol::Tls1_3, "ECDHE+AESGCM:AES256-SHA:DES-CBC3-SHA", false)),
        },
        Scenario {
            name: "tls13-only",
            description: "TLS 1.3 only",
            config: with(TlsConfig::default().only(Protocol::Tls1_3)),
        },
        Scenario {
            name: "legacy",
            description: "SSLv3-TLS 1.2 with RC4, 3DES and 1024-bit DH",
            config: with(TlsConfig {
                dh_params: Some(dh_params(1024)),
                ..tls(
                    Protocol::Ssl3,
                    Protocol::Tls1_2,
                    "DHE-RSA-AES256-SHA:RC4-SHA:DES-CBC3-SHA:AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256",
                    true,
                )
                .no_tls13()
            }),
        },
        Scenario {
            name: "dual-cert",
            description: "RSA and ECDSA certificates, server order",
            config: with(TlsConfig {
                certs: vec![cert("mx-rsa"), cert("mx-ecdsa")],
                ..tls(
                    Protocol::Tls1_2,
                    Protocol::Tls1_3,
                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
                    true,
                )
            }),
        },
        Scenario {
            name: "realistic",
            description: "TLS 1.0-1.3, about 30 ciphers in server order, RSA and ECDSA",
            config: with(TlsConfig {
                certs: vec![cert("mx-rsa"), cert("mx-ecdsa")],
                ..tls(Protocol::Tls1, Protocol::Tls1_3, REALISTIC_30, true)
            }),
        },
        Scenario {
            name: "wrong-name",
            description: "certificate for s120.hoster.test, not the MX name (shared hosting)",
            config: with(TlsConfig {
                certs: vec![cert("wrong-name")],
                ..TlsConfig::default()
            }),
        },
        Scenario {
            name: "expired",
            description: "expired certificate",
            config: with(TlsConfig {
                certs: vec![cert("expired")],
                ..TlsConfig::default()
            }),
        },
        Scenario {
            name: "self-signed",
            description: "self-signed certificate",
            config: with(TlsConfig {
                certs: vec![cert("self-signed")],
                ..TlsConfig::default()
            }),
        },
        Scenario {
            name: "no-starttls",
            description: "STARTTLS not offered",
            config: ServerConfig {
                starttls: false,
                ..ServerConfig::default()
            },
        },
        Scenario {
            name: "busy",
            description: "answers 421 on every other connection",
            config: ServerConfig::misbehaving(Misbehaviour::Reject421EveryOtherConnection),
        },
        Scenario {
            name: "one-connection",
            description: "accepts one connection at a time, 421 beyond",
            config: ServerConfig {
                max_connections: Some(1),
                ..ServerConfig::default()
            },
        },
        Scenario {
            name: "injection",
            description: "sends bytes after its STARTTLS 220 (STARTTLS injection)",
            config: ServerConfig::misbehaving(Misbehaviour::InjectAfterStarttls),
        },
        // Appended after the others: the lab numbers its addresses in
        // this order, and the golden scan names one by address.
        Scenario {
            name: "sslv2",
            description: "SSL 2.0 only, RC4/3DES/DES specs (scripted; refuses TLS hellos)",
            config: ServerConfig::scripted(Script::Sslv2),
        },
        Scenario {
            name: "export",
            description: "SSLv3-TLS 1.0, export and single-DES ciphers first (scripted)",
            config: ServerConfig::scripted(Script::Export { max: Protocol::Tls1 }),
        },
        Scenario {
            name: "heartbleed",
            description: "heartbeat responses as long as claimed: Heartbleed (scripted)",
            config: ServerConfig::scripted(Script::Heartbeat(HeartbeatReply::Bleed)),
        },
        Scenario {
            name: "compression",
            description: "TLS compression (DEFLATE) when offered: CRIME (scripted)",
            config: ServerConfig::scripted(Script::Compression),
        },
        Scenario {
            name: "no-renegotiation",
            description: "no renegotiation_info: no RFC 5746 secure renegotiation (scripted)",
            config: ServerConfig::scripted(Script::NoRenegotiation),
        },
        Scenario {
            name: "no-fallback-scsv",
            description: "TLS 1.0-1.2, ignores TLS_FALLBACK_SCSV (scripted)",
            config: ServerConfig::scripted(Script::Fallback { scsv: false }),
        },
        Scenario {
            name: "ccs-injection",
            description: "accepts an early ChangeCipherSpec: CVE-2014-0224 (scripted)",
            config: ServerConfig::scripted(Script::CcsInjection { vulnerable: true }),
        },
    ]
}

/// The scenario called `name`.
pub fn named(name: &str) -> Option<Scenario> {
    all().into_iter().find(|s| s.name == name)
}

trait NoTls13 {
    fn no_tls13(self) -> Self;
}

impl NoTls13 for TlsConfig {
    /// No TLS 1.3 suites (the version range already excludes 1.3).
    fn no_tls13(mut self) -> Self {
        self.ciphersuites = String::new();
        self
    }
}
