//! CSV: one row per (domain, MX host, address).
//!
//! # Columns (a contract: columns are added at the end, never renamed)
//!
//! | column | meaning |
//! |---|---|
//! | `domain` | the target as given |
//! | `mx` | MX host name (empty when the domain has none) |
//! | `preference` | MX preference (empty for `--host`) |
//! | `implicit_mx` | `yes` when the domain itself serves as MX (RFC 5321 §5.1) |
//! | `ip`, `port` | the probed address |
//! | `status` | `ok`, `no-starttls`, `unreachable`, `smtp-error`, `tls-error` per address; `no-mx`, `null-mx`, `nxdomain`, `dns-error` for a domain (or MX host) without addresses |
//! | `error` | why the status is not `ok`, one line |
//! | `banner_host` | host name in the 220 greeting |
//! | `starttls` | `yes`/`no`: advertised in the EHLO reply |
//! | `protocol`, `cipher`, `bits` | what the broadly compatible handshake negotiated |
//! | `negotiated` | `PROTOCOL:CIPHER:BITS` exactly as Exim logs it (`TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256`) |
//! | `group` | key-exchange group (`x25519`, `secp256r1`, `X25519MLKEM768`) |
//! | `dh_bits` | finite-field DH prime size, for DHE |
//! | `cert_subject`, `cert_cn`, `cert_san` | leaf certificate subject, common name, DNS names (space-separated) |
//! | `cert_issuer` | leaf issuer |
//! | `cert_not_before`, `cert_not_after` | validity, RFC 3339 UTC |
//! | `cert_key` | leaf key type and size (`RSA 2048`, `EC 256`) |
//! | `cert_signature` | leaf signature algorithm |
//! | `cert_sha256` | SHA-256 fingerprint of the leaf |
//! | `chain_length` | certificates presented |
//! | `connections`, `handshakes` | what probing this address cost |
//! | `refused_handshakes` | of those handshakes, the ones the server refused |
//! | `close_wait_seconds` | time spent waiting for the server to close each session, summed |
//! | `sslv3`, `tlsv1`, `tlsv1_1`, `tlsv1_2`, `tlsv1_3` | `yes`/`no` per protocol version (empty: not enumerated, or undetermined) |
//! | `cipher_order` | `server`, `client` or `mixed`: whose order the newest version with two or more ciphers follows |
//! | `preferred_sslv3` … `preferred_tlsv1_3` | the server's first choice per version (empty where it follows the client's order) |
//! | `ciphers` | accepted ciphers of the newest version, space-separated, in server order (client order: mxprobe's offer order) |
//! | `groups` | supported key-exchange groups (`x25519 secp256r1 …`; TLS 1.2-only curves as `TLSv1.2:secp224r1`) |
//! | `min_dh_bits` | smallest DH group seen with a DHE cipher |
//! | `incomplete` | why the enumeration is incomplete (empty: complete) |
//! | `findings` | IDs of the findings about this row (the domain's, the MX host's, the address's), space-separated, worst first |
//! | `worst` | highest severity among them (`critical`, `high`, `medium`, `low`, `info`; empty: none) |
//! | `cert_trusted` | `yes`/`no`: the presented chain verifies to a trusted root (Mozilla's, or `--ca-file`) |
//! | `cert_problems` | what is wrong with the chain, space-separated: `expired`, `not-yet-valid`, `self-signed`, `unknown-issuer`, `incomplete-chain`, `bad-signature`, `wrong-order`, `unused-certificate`, `weak-key`, `weak-signature`, `rejected` |
//! | `cert_days_left` | whole days until the leaf expires (negative: expired) |
//! | `chain_days_left` | whole days until the first certificate of the chain expires |
//! | `name_matches_mx`, `name_matches_domain`, `name_matches_banner` | `yes`/`no`: the certificate's DNS names cover the MX host, the recipient domain, the banner host (a match on the subject CN alone is `no`; empty: not checked) |
//! | `name_hint` | the certificate names the server's own host but not the MX host, and the remedy |
//! | `strict_tls` | `ok`/`failed`: a strict modern sender (rustls, verification on, SNI = MX host) completes an authenticated handshake |
//! | `strict_tls_error` | why not, one line |
//! | `ptr` | reverse DNS: `ok` (forward-confirmed), `ptr-missing`, `ptr-mismatch`, `dns-error` |
//! | `ptr_names`, `ptr_confirmed` | the address's PTR names; those that resolve back to it (space-separated) |
//! | `ptr_matches_banner` | `yes`/`no`: a confirmed PTR name is the banner host |
//! | `dane` | DANE (RFC 7672) for this address: `match`, `mismatch` or `no-tls` when DANE applies; otherwise the MX host's state: `none` (no TLSA records), `not-secure` (TLSA records, but MX, addresses or TLSA unsigned), `unusable` (no DANE-TA/DANE-EE record), `bogus`, `indeterminate`; empty when not checked (`--no-dane`, `--host`) |
//! | `dnssec` | the weakest DNSSEC status of the MX, address and TLSA lookups: `secure`, `insecure`, `bogus`, `indeterminate` (empty when DANE was not checked) |
//! | `mta_sts` | MTA-STS (RFC 8461) of the domain: the policy mode (`enforce`, `testing`, `none`) when a valid policy was fetched, then `/mx-mismatch` when this MX host matches no `mx:` pattern, or `/no-tls`, `/old-tls`, `/certificate` when enforce mode fails at this address; otherwise `missing`, `txt-invalid`, `dns-error`, `unreachable`, `policy-invalid`; empty when not checked |
//! | `tls_rpt` | TLS-RPT (RFC 8460) record of the domain: `ok`, `missing`, `invalid`, `dns-error`; empty when not checked |

use std::io::{self, Write};
use std::net::IpAddr;

use serde::Serialize;

use super::ReportWriter;
use crate::model::{AddressReport, DomainReport, MxReport};
use crate::mtasts::{FetchStatus, MtaSts, TxtStatus};
use crate::policy::Finding;
use crate::tls::enumerate::Enumeration;
use crate::tls::order::OrderType;
use crate::tls::Protocol;
use crate::trust::{AddressTrust, NameMatch, StrictTls};

/// The header, in column order.
pub const COLUMNS: &[&str] = &[
    "domain",
    "mx",
    "preference",
    "implicit_mx",
    "ip",
    "port",
    "status",
    "error",
    "banner_host",
    "starttls",
    "protocol",
    "cipher",
    "bits",
    "negotiated",
    "group",
    "dh_bits",
    "cert_subject",
    "cert_cn",
    "cert_san",
    "cert_issuer",
    "cert_not_before",
    "cert_not_after",
    "cert_key",
    "cert_signature",
    "cert_sha256",
    "chain_length",
    "connections",
    "handshakes",
    "refused_handshakes",
    "close_wait_seconds",
    "sslv3",
    "tlsv1",
    "tlsv1_1",
    "tlsv1_2",
    "tlsv1_3",
    "cipher_order",
    "preferred_sslv3",
    "preferred_tlsv1",
    "preferred_tlsv1_1",
    "preferred_tlsv1_2",
    "preferred_tlsv1_3",
    "ciphers",
    "groups",
    "min_dh_bits",
    "incomplete",
    "findings",
    "worst",
    "cert_trusted",
    "cert_problems",
    "cert_days_left",
    "chain_days_left",
    "name_matches_mx",
    "name_matches_domain",
    "name_matches_banner",
    "name_hint",
    "strict_tls",
    "strict_tls_error",
    "ptr",
    "ptr_names",
    "ptr_confirmed",
    "ptr_matches_banner",
    "dane",
    "dnssec",
    "mta_sts",
    "tls_rpt",
];

pub struct CsvWriter<W: Write> {
    /// Rows of the report being written; they reach `out` together.
    csv: csv::Writer<Vec<u8>>,
    out: W,
    header_pending: bool,
}

impl<W: Write> CsvWriter<W> {
    /// A new document: the header is written even if no row follows.
    pub fn new(out: W) -> Self {
        CsvWriter {
            csv: buffer(),
            out,
            header_pending: true,
        }
    }

    /// Rows appended to a document that already has its header (`--resume`).
    pub fn appending(out: W) -> Self {
        CsvWriter {
            csv: buffer(),
            out,
            header_pending: false,
        }
    }

    /// Write what was rendered in one piece, then flush: a report's rows
    /// reach the file whole or not at all, even if the process is killed.
    fn commit(&mut self) -> io::Result<()> {
        let rendered = std::mem::replace(&mut self.csv, buffer());
        let bytes = rendered.into_inner().map_err(|e| e.into_error())?;
        self.out.write_all(&bytes)?;
        self.out.flush()
    }

    fn header(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.header_pending) {
            self.csv.write_record(COLUMNS)?;
        }
        Ok(())
    }
}

#[derive(Serialize, Default)]
struct Row<'a> {
    domain: &'a str,
    mx: &'a str,
    preference: Option<u16>,
    implicit_mx: &'static str,
    ip: Option<IpAddr>,
    port: Option<u16>,
    status: String,
    error: &'a str,
    banner_host: &'a str,
    starttls: &'static str,
    protocol: &'static str,
    cipher: &'a str,
    bits: Option<u32>,
    negotiated: String,
    group: &'a str,
    dh_bits: Option<u32>,
    cert_subject: &'a str,
    cert_cn: &'a str,
    cert_san: String,
    cert_issuer: &'a str,
    cert_not_before: &'a str,
    cert_not_after: &'a str,
    cert_key: String,
    cert_signature: &'a str,
    cert_sha256: &'a str,
    chain_length: Option<usize>,
    connections: Option<u32>,
    handshakes: Option<u32>,
    refused_handshakes: Option<u32>,
    close_wait_seconds: Option<f64>,
    sslv3: &'static str,
    tlsv1: &'static str,
    tlsv1_1: &'static str,
    tlsv1_2: &'static str,
    tlsv1_3: &'static str,
    cipher_order: String,
    preferred_sslv3: &'a str,
    preferred_tlsv1: &'a str,
    preferred_tlsv1_1: &'a str,
    preferred_tlsv1_2: &'a str,
    preferred_tlsv1_3: &'a str,
    ciphers: String,
    groups: String,
    min_dh_bits: Option<u32>,
    incomplete: String,
    findings: String,
    worst: &'static str,
    cert_trusted: &'static str,
    cert_problems: String,
    cert_days_left: Option<i64>,
    chain_days_left: Option<i64>,
    name_matches_mx: &'static str,
    name_matches_domain: &'static str,
    name_matches_banner: &'static str,
    name_hint: String,
    strict_tls: &'static str,
    strict_tls_error: &'a str,
    ptr: String,
    ptr_names: String,
    ptr_confirmed: String,
    ptr_matches_banner: &'static str,
    dane: &'static str,
    dnssec: &'static str,
    mta_sts: String,
    tls_rpt: &'static str,
}

/// A CSV writer into memory.
fn buffer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new())
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn address_row<'a>(domain: &'a str, mx: &'a MxReport, a: &'a AddressReport) -> Row<'a> {
    let mut row = Row {
        domain,
        mx: &mx.host,
        preference: mx.preference,
        implicit_mx: yes_no(mx.implicit),
        ip: Some(a.ip),
        port: Some(a.port),
        status: a.status.to_string(),
        error: a.error.as_deref().unwrap_or(""),
        connections: Some(a.connections),
        handshakes: Some(a.handshakes),
        refused_handshakes: Some(a.refused_handshakes),
        close_wait_seconds: Some(a.close_wait_seconds),
        ..Row::default()
    };
    if let Some(smtp) = &a.smtp {
        row.banner_host = smtp.banner_host.as_deref().unwrap_or("");
        if !smtp.greeting.is_empty() {
            row.starttls = yes_no(smtp.starttls);
        }
    }
    if let Some(tls) = &a.tls {
        row.protocol = tls.protocol.as_str();
        row.cipher = &tls.cipher;
        row.bits = Some(tls.bits);
        row.negotiated = tls.negotiated();
        row.group = tls.group.as_deref().unwrap_or("");
        row.dh_bits = tls.dh_bits;
        row.chain_length = Some(tls.chain.len());
    }
    if let Some(e) = &a.enumeration {
        enumeration_columns(&mut row, e);
    }
    if let Some(c) = a.leaf() {
        row.cert_subject = &c.subject;
        row.cert_cn = c.common_name.as_deref().unwrap_or("");
        row.cert_san = c.dns_names.join(" ");
        row.cert_issuer = &c.issuer;
        row.cert_not_before = &c.not_before;
        row.cert_not_after = &c.not_after;
        row.cert_key = format!("{} {}", c.key_type, c.key_bits);
        row.cert_signature = &c.signature_algorithm;
        row.cert_sha256 = &c.sha256;
    }
    if let Some(t) = &a.trust {
        trust_columns(&mut row, t);
    }
    row
}

/// `yes`/`no`, empty when the name was not checked.
fn name_column(m: &NameMatch) -> &'static str {
    if m.checked() {
        yes_no(m.matches())
    } else {
        ""
    }
}

fn trust_columns<'a>(row: &mut Row<'a>, t: &'a AddressTrust) {
    if let Some(chain) = &t.chain {
        row.cert_trusted = yes_no(chain.trusted);
        let mut kinds: Vec<&str> = Vec::new();
        for p in &chain.problems {
            if !kinds.contains(&p.kind()) {
                kinds.push(p.kind());
            }
        }
        row.cert_problems = kinds.join(" ");
        row.cert_days_left = Some(chain.leaf_days_left);
        row.chain_days_left = Some(chain.chain_days_left);
    }
    if let Some(names) = &t.names {
        row.name_matches_mx = name_column(&names.mx);
        row.name_matches_domain = names.domain.as_ref().map_or("", name_column);
        row.name_matches_banner = names.banner.as_ref().map_or("", name_column);
        row.name_hint = names
            .hint
            .as_ref()
            .map(|h| h.to_string())
            .unwrap_or_default();
    }
    if let Some(strict) = &t.strict_tls {
        row.strict_tls = strict.result();
        if let StrictTls::Failed { detail, .. } = strict {
            row.strict_tls_error = detail;
        }
    }
    row.ptr = t.ptr.status.to_string();
    row.ptr_names = t
        .ptr
        .names
        .iter()
        .map(|n| n.name.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    row.ptr_confirmed = t.ptr.confirmed().collect::<Vec<_>>().join(" ");
    row.ptr_matches_banner = t.ptr.matches_banner.map_or("", yes_no);
}

fn enumeration_columns<'a>(row: &mut Row<'a>, e: &'a Enumeration) {
    for v in &e.versions {
        let supported = match v.supported {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        let preferred = match (v.order, v.ciphers.first()) {
            (Some(OrderType::Client), _) | (_, None) => "",
            (_, Some(c)) => c.name.as_str(),
        };
        let (yes_no, pref) = match v.protocol {
            Protocol::Ssl3 => (&mut row.sslv3, &mut row.preferred_sslv3),
            Protocol::Tls1 => (&mut row.tlsv1, &mut row.preferred_tlsv1),
            Protocol::Tls1_1 => (&mut row.tlsv1_1, &mut row.preferred_tlsv1_1),
            Protocol::Tls1_2 => (&mut row.tlsv1_2, &mut row.preferred_tlsv1_2),
            Protocol::Tls1_3 => (&mut row.tlsv1_3, &mut row.preferred_tlsv1_3),
        };
        *yes_no = supported;
        *pref = preferred;
    }
    if let Some(v) = e.versions.iter().rev().find(|v| v.order.is_some()) {
        row.cipher_order = v.order.map(|o| o.to_string()).unwrap_or_default();
    }
    if let Some(v) = e.highest() {
        row.ciphers = v
            .ciphers
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(" ");
    }
    row.groups = e
        .groups
        .iter()
        .map(|g| {
            if g.protocol == Protocol::Tls1_3
                || !e.groups.iter().any(|o| o.protocol == Protocol::Tls1_3)
            {
                g.name.clone()
            } else {
                format!("{}:{}", g.protocol, g.name)
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    row.min_dh_bits = e.dh_bits;
    row.incomplete = e.incomplete_text();
}

fn with_findings<'a>(
    mut row: Row<'a>,
    report: &'a DomainReport,
    mx: Option<&'a str>,
    address: Option<(std::net::IpAddr, u16)>,
) -> Row<'a> {
    let found: Vec<&Finding> = report.findings_for(mx, address).collect();
    let mut ids: Vec<&str> = Vec::new();
    for f in &found {
        if !ids.contains(&f.id.as_str()) {
            ids.push(f.id.as_str());
        }
    }
    row.findings = ids.join(" ");
    row.worst = found
        .iter()
        .map(|f| f.severity)
        .max()
        .map_or("", |s| s.as_str());
    row
}

/// The `mta_sts` word of a row (see the module doc); `a` is the row's
/// address, if any.
fn mta_sts_word(sts: &MtaSts, mx: Option<&MxReport>, a: Option<&AddressReport>) -> String {
    let Some(fetch) = &sts.policy else {
        return match sts.txt {
            TxtStatus::Invalid => "txt-invalid",
            TxtStatus::DnsError => "dns-error",
            TxtStatus::Ok | TxtStatus::Missing => "missing",
        }
        .into();
    };
    let Some(policy) = &fetch.policy else {
        return match fetch.status {
            FetchStatus::Unreachable => "unreachable",
            FetchStatus::Ok | FetchStatus::Invalid => "policy-invalid",
        }
        .into();
    };
    let mut word = policy.mode.as_str().to_string();
    if let Some(mx) = mx {
        if sts.mx_mismatch.contains(&mx.host) {
            word.push_str("/mx-mismatch");
        } else if let Some(v) = a.and_then(|a| {
            sts.violations
                .iter()
                .find(|v| v.mx == mx.host && v.ip == a.ip && v.port == a.port)
        }) {
            word.push('/');
            word.push_str(v.kind.as_str());
        }
    }
    word
}

/// Fill the DANE, MTA-STS and TLS-RPT columns of a row.
fn dns_trust_columns(
    row: &mut Row<'_>,
    report: &DomainReport,
    mx: Option<&MxReport>,
    a: Option<&AddressReport>,
) {
    if let Some(d) = mx.and_then(|m| m.dane.as_ref()) {
        row.dane = match a {
            Some(a) => d.word_for(a.ip, a.port),
            None => d.state.as_str(),
        };
        row.dnssec = d.dnssec().as_str();
    }
    if let Some(sts) = &report.mta_sts {
        row.mta_sts = mta_sts_word(sts, mx, a);
    }
    if let Some(rpt) = &report.tls_rpt {
        row.tls_rpt = rpt.status.as_str();
    }
}

impl<W: Write> ReportWriter for CsvWriter<W> {
    fn write(&mut self, report: &DomainReport) -> io::Result<()> {
        self.header()?;
        let domain = report.target.name();
        if report.mx.is_empty() {
            let mut row = Row {
                domain,
                status: report.status.to_string(),
                error: report.error.as_deref().unwrap_or(""),
                ..Row::default()
            };
            dns_trust_columns(&mut row, report, None, None);
            self.csv.serialize(with_findings(row, report, None, None))?;
        }
        for mx in &report.mx {
            if mx.addresses.is_empty() {
                let mut row = Row {
                    domain,
                    mx: &mx.host,
                    preference: mx.preference,
                    implicit_mx: yes_no(mx.implicit),
                    status: crate::model::ProbeStatus::DnsError.to_string(),
                    error: mx.error.as_deref().unwrap_or(""),
                    ..Row::default()
                };
                dns_trust_columns(&mut row, report, Some(mx), None);
                self.csv
                    .serialize(with_findings(row, report, Some(&mx.host), None))?;
            }
            for a in &mx.addresses {
                let mut row = address_row(domain, mx, a);
                dns_trust_columns(&mut row, report, Some(mx), Some(a));
                let place = Some((a.ip, a.port));
                self.csv
                    .serialize(with_findings(row, report, Some(&mx.host), place))?;
            }
        }
        // A report's rows are only worth something once they are on disk.
        self.commit()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.header()?;
        self.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mta_sts_words() {
        use crate::mtasts::{Mode, Policy, PolicyFetch, Violation, ViolationKind};
        let mut sts = MtaSts {
            txt: TxtStatus::Missing,
            records: vec![],
            id: None,
            error: None,
            policy: None,
            mx_mismatch: vec![],
            violations: vec![],
        };
        assert_eq!(mta_sts_word(&sts, None, None), "missing");
        sts.txt = TxtStatus::Invalid;
        assert_eq!(mta_sts_word(&sts, None, None), "txt-invalid");
        let mut fetch = PolicyFetch {
            url: String::new(),
            status: FetchStatus::Unreachable,
            ip: None,
            http_status: None,
            content_type: None,
            error: None,
            policy: None,
        };
        sts.policy = Some(fetch.clone());
        assert_eq!(mta_sts_word(&sts, None, None), "unreachable");
        fetch.status = FetchStatus::Ok;
        fetch.policy = Some(Policy {
            mode: Mode::Enforce,
            mx: vec!["mx.example.org".into()],
            max_age: 1,
        });
        sts.policy = Some(fetch);
        let address =
            |ip: [u8; 4]| AddressReport::new(IpAddr::from(ip), 25, crate::model::ProbeStatus::Ok);
        let mx = |host: &str| MxReport {
            host: host.into(),
            preference: Some(10),
            implicit: false,
            error: None,
            addresses: vec![address([192, 0, 2, 1])],
            dane: None,
        };
        sts.mx_mismatch = vec!["other.example.org".into()];
        sts.violations = vec![Violation {
            mx: "mx.example.org".into(),
            ip: IpAddr::from([192, 0, 2, 1]),
            port: 25,
            kind: ViolationKind::OldTls,
            reason: String::new(),
        }];
        let (good, other) = (mx("mx.example.org"), mx("other.example.org"));
        assert_eq!(mta_sts_word(&sts, None, None), "enforce");
        let w = |m: &MxReport, ip: [u8; 4]| mta_sts_word(&sts, Some(m), Some(&address(ip)));
        assert_eq!(w(&good, [192, 0, 2, 1]), "enforce/old-tls");
        assert_eq!(w(&good, [192, 0, 2, 2]), "enforce");
        assert_eq!(w(&other, [192, 0, 2, 1]), "enforce/mx-mismatch");
    }

    #[test]
    fn header_matches_the_row_fields() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(Row::default()).expect("serialize");
        let text = String::from_utf8(w.into_inner().expect("flush")).expect("utf8");
        assert_eq!(text.lines().next(), Some(COLUMNS.join(",").as_str()));
    }
}
