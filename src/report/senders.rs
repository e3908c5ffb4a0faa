//! The sender table (`-f senders`): one CSV row per sender profile, per
//! (domain, MX host, address): what that sender would negotiate there and
//! what it then does with the mail (see [`crate::senders`]).
//!
//! # Columns (a contract: added at the end, never renamed)
//!
//! | column | meaning |
//! |---|---|
//! | `domain`, `mx` | the domain and the MX host (`--host` targets: the host) |
//! | `ip`, `port` | the address |
//! | `profile` | the sender profile's id (`postfix-3.7`; `mxprobe senders` lists them) |
//! | `outcome` | `authenticated`, `encrypted`, `clear-text`, `deferred`, `failed` (the handshake fails; what the sender does then is not documented) or `unknown` |
//! | `protocol`, `cipher` | what it negotiates (`TLSv1.2`, `ECDHE-RSA-AES256-GCM-SHA384`); `cipher` is empty where the server's order is mixed (see `candidates`) |
//! | `group` | the key-exchange group (`x25519`), or `DH 2048` for a DHE suite; empty when unknown |
//! | `reason` | why, in one line (empty for a plain success) |
//! | `failure` | `no-starttls`, `no-common-version`, `no-common-cipher`, `no-common-group`, `dh-too-small`, `certificate-refused` or `handshake-failed` |
//! | `candidates` | where the server's order is mixed, the suites it may pick, `\|`-separated |
//!
//! Addresses without a prediction (unreachable, or `--quick`) have no rows.
//! Unlike the cipher table, a shared address is listed under every domain:
//! DANE and MTA-STS make outcomes differ between domains.

use std::io::{self, Write};
use std::net::IpAddr;

use serde::Serialize;

use super::csv::Document;
use super::ReportWriter;
use crate::model::DomainReport;

/// The sender table (`-f senders`, columns above).
pub struct SendersWriter<W: Write> {
    doc: Document<W>,
}

#[derive(Serialize)]
struct Row<'a> {
    domain: &'a str,
    mx: &'a str,
    ip: IpAddr,
    port: u16,
    profile: &'a str,
    outcome: &'static str,
    protocol: &'static str,
    cipher: &'a str,
    group: String,
    reason: &'a str,
    failure: &'static str,
    candidates: String,
}

/// The header, in column order.
pub(super) const COLUMNS: &[&str] = &[
    "domain",
    "mx",
    "ip",
    "port",
    "profile",
    "outcome",
    "protocol",
    "cipher",
    "group",
    "reason",
    "failure",
    "candidates",
];

impl<W: Write> SendersWriter<W> {
    /// A writer on `out`; the header goes out with the first report.
    pub fn new(out: W) -> Self {
        SendersWriter {
            doc: Document::new(out, COLUMNS),
        }
    }
}

impl<W: Write> ReportWriter for SendersWriter<W> {
    fn write(&mut self, report: &DomainReport) -> io::Result<()> {
        let domain = report.target.name();
        for mx in &report.mx {
            for a in &mx.addresses {
                for s in &a.senders {
                    self.doc.row(Row {
                        domain,
                        mx: &mx.host,
                        ip: a.ip,
                        port: a.port,
                        profile: &s.profile,
                        outcome: s.outcome.as_str(),
                        protocol: s.protocol.map_or("", |p| p.as_str()),
                        cipher: s.cipher.as_deref().unwrap_or(""),
                        group: s.group_text(),
                        reason: &s.reason,
                        failure: s.failure.map_or("", |f| f.as_str()),
                        candidates: s.candidates.join("|"),
                    })?;
                }
            }
        }
        self.doc.commit()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.doc.commit()
    }
}
