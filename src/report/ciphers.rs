//! The cipher table (`-f ciphers`): one CSV row per accepted cipher, per
//! (address, port, protocol version), in the server's order.
//!
//! # Columns (a contract: added at the end, never renamed)
//!
//! | column | meaning |
//! |---|---|
//! | `mx` | the MX host through which the address was first reached |
//! | `ip`, `port` | the address |
//! | `protocol` | `SSLv3` … `TLSv1.3` |
//! | `order` | `server`, `client` or `mixed` for this version |
//! | `rank` | 1 = the server's first choice; empty where the server follows the client's order (the rows are then in mxprobe's offer order, which says nothing about the server) |
//! | `cipher`, `iana` | OpenSSL and IANA names |
//! | `bits` | key bits, as Exim logs them |
//! | `kx`, `auth` | key exchange (`ECDHE`, `DHE`, `RSA`, `ANY` for TLS 1.3) and authentication |
//! | `aead` | `yes`/`no` |
//! | `forward_secrecy` | `yes`/`no` |
//! | `legacy` | what is old about it (`CBC SHA-1 no-PFS`), space-separated |
//! | `cert_key` | certificate key the server used with it (`RSA 2048`, `EC 256`) |
//! | `dh_bits` | DH group size, where learnt |
//!
//! An address shared by several domains is listed once.

use std::collections::HashSet;
use std::io::{self, Write};
use std::net::IpAddr;

use serde::Serialize;

use super::csv::Document;
use super::ReportWriter;
use crate::model::DomainReport;
use crate::tls::order::OrderType;

/// The cipher table (`-f ciphers`, columns above): one CSV row per
/// accepted cipher.
pub struct CiphersWriter<W: Write> {
    doc: Document<W>,
    seen: HashSet<(IpAddr, u16)>,
}

#[derive(Serialize)]
struct Row<'a> {
    mx: &'a str,
    ip: IpAddr,
    port: u16,
    protocol: &'static str,
    order: String,
    rank: Option<usize>,
    cipher: &'a str,
    iana: &'a str,
    bits: u32,
    kx: String,
    auth: String,
    aead: &'static str,
    forward_secrecy: &'static str,
    legacy: String,
    cert_key: &'a str,
    dh_bits: Option<u32>,
}

/// The header, in column order.
pub(super) const COLUMNS: &[&str] = &[
    "mx",
    "ip",
    "port",
    "protocol",
    "order",
    "rank",
    "cipher",
    "iana",
    "bits",
    "kx",
    "auth",
    "aead",
    "forward_secrecy",
    "legacy",
    "cert_key",
    "dh_bits",
];

impl<W: Write> CiphersWriter<W> {
    /// A writer on `out`; the header goes out with the first report.
    pub fn new(out: W) -> Self {
        CiphersWriter {
            doc: Document::new(out, COLUMNS),
            seen: HashSet::new(),
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

impl<W: Write> ReportWriter for CiphersWriter<W> {
    fn write(&mut self, report: &DomainReport) -> io::Result<()> {
        for mx in &report.mx {
            for a in &mx.addresses {
                let Some(e) = &a.enumeration else { continue };
                if !self.seen.insert((a.ip, a.port)) {
                    continue;
                }
                for v in &e.versions {
                    let ranked = v.order != Some(OrderType::Client);
                    for (i, c) in v.ciphers.iter().enumerate() {
                        let spec = c.spec();
                        self.doc.row(Row {
                            mx: &mx.host,
                            ip: a.ip,
                            port: a.port,
                            protocol: v.protocol.as_str(),
                            order: v.order.map(|o| o.to_string()).unwrap_or_default(),
                            rank: ranked.then_some(i + 1),
                            cipher: &c.name,
                            iana: spec.map_or("", |s| s.iana.as_str()),
                            bits: c.bits,
                            kx: c.kx.as_str().to_string(),
                            auth: c.auth.as_str().to_string(),
                            aead: yes_no(c.aead),
                            forward_secrecy: yes_no(c.forward_secret),
                            legacy: spec
                                .map(|s| s.legacy_labels().join(" ").replace("no PFS", "no-PFS"))
                                .unwrap_or_default(),
                            cert_key: c.cert_key.as_deref().unwrap_or(""),
                            dh_bits: c.dh_bits,
                        })?;
                    }
                }
            }
        }
        self.doc.commit()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.doc.commit()
    }
}
