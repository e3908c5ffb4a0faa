//! A [`Summary`] as text, CSV or JSON, into any writer.
//!
//! - **text**: the frequency table aligned like `uniq -c` (count, then
//!   `PROTOCOL:CIPHER:BITS`), with inbound/outbound columns when both
//!   directions are shown and the findings of weak keys at the end of their
//!   line; then totals. With `by_host`, the peers of each weak key replace
//!   the table.
//!   With `by` (group or signature), the TLS uses per group or signature
//!   algorithm replace the table (`(not logged)` for lines that did not
//!   say).
//! - **CSV**: one table, columns
//!   `count,inbound,outbound,protocol,cipher,bits,key,findings,groups,signatures,logged`
//!   (one row per key, then a `plaintext` row with empty
//!   protocol/cipher/bits; findings space-separated; groups and signatures
//!   as space-separated `name=count`, `not-logged=count` for lines that
//!   did not say; `logged` the cipher names as logged, space-separated);
//!   with `by_host`, `key,findings,name,ip,count,inbound,outbound,last_seen`
//!   (one row per listed peer); with `by`, `count,inbound,outbound,group`
//!   (or `signature`; empty: not logged).
//! - **JSON**: the [`Summary`] itself, one pretty-printed document.
//!
//! ## Wire format (JSON)
//! A contract: fields may be added, none renamed or removed.
//!
//! ```text
//! {
//!   "direction": "both" | "inbound" | "outbound",
//!   "sort": "desc" | "asc",
//!   "totals": { "total", "tls", "plaintext", "plaintext_share" (0..1), "weak",
//!               "inbound": { "tls", "plaintext" }, "outbound": { "tls", "plaintext" } },
//!   "protocols": [ { "protocol": "TLSv1.3", "count", "inbound", "outbound" } ],
//!   "naming": "openssl" | "as-logged",
//!   "ciphers": [ { "count", "inbound", "outbound", "key": "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256",
//!                  "protocol", "cipher", "bits", "findings": [ "cipher-cbc-sha1", ... ],
//!                  "groups": [ { "name": "x25519" | null, "count", "inbound", "outbound" } ],
//!                  "signatures": [ same ],
//!                  "logged": [ "ECDHE_SECP521R1__RSA_SHA512__AES_256_GCM", ... ] } ],
//!   "groups": [ { "name", "count", "inbound", "outbound" } ],   (over all keys)
//!   "signatures": [ same ],
//!   "by": "group" | "signature",                                  (when asked)
//!   "hosts": [ { "key" (or "plaintext"), "findings", "count",          (with by_host only)
//!                "hosts": [ { "name", "ip", "count", "inbound", "outbound", "last_seen" } ],
//!                "other_uses", "max_error" } ],
//!   "lines": { "total", "counted", "local", "other",
//!              "malformed": { "too_long", "unrecognised", "bad_tls", "bad_host", "key_overflow" } },
//!   "notes": [ "caveats about the counts, as sentences" ]
//! }
//! ```

use std::io::{self, Write};

use super::summary::{share, HostGroup, NameCount, Summary};

/// Output formats of the log summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text for people (see the module documentation).
    Text,
    /// One CSV table.
    Csv,
    /// The [`Summary`] as one pretty-printed JSON document.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown format {s:?} (expected text, csv or json)")),
        }
    }
}

/// Renders `summary` in `format`.
pub fn write(summary: &Summary, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => write_text(summary, out),
        Format::Csv => write_csv(summary, out),
        Format::Json => write_json(summary, out),
    }
}

/// Renders `summary` as JSON (the wire format above), and flushes.
pub fn write_json(summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, summary)?;
    writeln!(out)?;
    out.flush()
}

/// Renders `summary` as one CSV table: per key, or per peer with
/// `by_host` (columns in the module documentation).
pub fn write_csv(summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    match (&summary.hosts, summary.by) {
        (None, Some(by)) => {
            w.write_record(["count", "inbound", "outbound", by.as_str()])?;
            for r in by_dimension(summary, by) {
                w.write_record([
                    r.count.to_string(),
                    r.inbound.to_string(),
                    r.outbound.to_string(),
                    r.name.clone().unwrap_or_default(),
                ])?;
            }
        }
        (None, None) => {
            w.write_record([
                "count",
                "inbound",
                "outbound",
                "protocol",
                "cipher",
                "bits",
                "key",
                "findings",
                "groups",
                "signatures",
                "logged",
            ])?;
            for r in &summary.ciphers {
                w.write_record([
                    r.count.to_string(),
                    r.inbound.to_string(),
                    r.outbound.to_string(),
                    r.protocol.to_string(),
                    r.cipher.clone(),
                    r.bits.to_string(),
                    r.key.clone(),
                    r.findings.join(" "),
                    name_counts(&r.groups),
                    name_counts(&r.signatures),
                    r.logged.join(" "),
                ])?;
            }
            let t = &summary.totals;
            if t.plaintext > 0 {
                let mut row = vec![
                    t.plaintext.to_string(),
                    t.inbound.plaintext.to_string(),
                    t.outbound.plaintext.to_string(),
                ];
                row.extend(["", "", "", "plaintext", "", "", "", ""].map(String::from));
                w.write_record(row)?;
            }
        }
        (Some(groups), _) => {
            w.write_record([
                "key",
                "findings",
                "name",
                "ip",
                "count",
                "inbound",
                "outbound",
                "last_seen",
            ])?;
            for g in groups {
                for h in &g.hosts {
                    w.write_record([
                        g.key.clone(),
                        g.findings.join(" "),
                        h.name.clone(),
                        h.ip.clone(),
                        h.count.to_string(),
                        h.inbound.to_string(),
                        h.outbound.to_string(),
                        h.last_seen.clone(),
                    ])?;
                }
            }
        }
    }
    w.flush()
}

/// `x25519=3 secp256r1=1 not-logged=2`.
fn name_counts(rows: &[NameCount]) -> String {
    rows.iter()
        .map(|r| format!("{}={}", r.name.as_deref().unwrap_or("not-logged"), r.count))
        .collect::<Vec<_>>()
        .join(" ")
}

fn by_dimension(summary: &Summary, by: super::Dimension) -> &[NameCount] {
    match by {
        super::Dimension::Group => &summary.groups,
        super::Dimension::Signature => &summary.signatures,
    }
}

/// The summary as the table people read: one row per key (or per host,
/// group or signature, as asked), with its findings, and notes at the end.
pub fn write_text(summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let both = summary.direction == "both";
    match &summary.hosts {
        None if summary.by.is_some() => {
            dimension_table(summary, both, out)?;
            writeln!(out)?;
        }
        None => {
            cipher_table(summary, both, out)?;
            writeln!(out)?;
        }
        Some(groups) if groups.is_empty() => {
            writeln!(out, "no weak protocol or cipher and no plaintext found\n")?;
        }
        Some(groups) => {
            for g in groups {
                host_group(g, both, out)?;
            }
        }
    }
    totals(summary, out)?;
    out.flush()
}

fn width(n: u64) -> usize {
    n.to_string().len()
}

fn cipher_table(s: &Summary, both: bool, out: &mut dyn Write) -> io::Result<()> {
    if s.ciphers.is_empty() {
        return writeln!(out, "no TLS use found");
    }
    let max = s.ciphers.iter().map(|r| r.count).max().unwrap_or(0);
    let cw = width(max).max(7);
    let kw = s.ciphers.iter().map(|r| r.key.len()).max().unwrap_or(0);
    let (iw, ow) = (width(max).max(7), width(max).max(8));
    if both {
        writeln!(
            out,
            "{:>cw$} {:>iw$} {:>ow$}  {:kw$}  findings",
            "count", "inbound", "outbound", "key"
        )?;
    }
    for r in &s.ciphers {
        let findings = r.findings.join(", ");
        let line = if both {
            format!(
                "{:>cw$} {:>iw$} {:>ow$}  {:kw$}  {findings}",
                r.count, r.inbound, r.outbound, r.key
            )
        } else {
            format!("{:>cw$} {:kw$}  {findings}", r.count, r.key)
        };
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// TLS uses per group or signature algorithm, aligned like the key table.
fn dimension_table(s: &Summary, both: bool, out: &mut dyn Write) -> io::Result<()> {
    let Some(by) = s.by else {
        return Ok(());
    };
    let rows = by_dimension(s, by);
    if rows.is_empty() {
        return writeln!(out, "no TLS use found");
    }
    let max = rows.iter().map(|r| r.count).max().unwrap_or(0);
    let cw = width(max).max(7);
    let (iw, ow) = (width(max).max(7), width(max).max(8));
    if both {
        writeln!(
            out,
            "{:>cw$} {:>iw$} {:>ow$}  {}",
            "count",
            "inbound",
            "outbound",
            by.as_str()
        )?;
    }
    for r in rows {
        let name = r.name.as_deref().unwrap_or("(not logged)");
        if both {
            writeln!(
                out,
                "{:>cw$} {:>iw$} {:>ow$}  {name}",
                r.count, r.inbound, r.outbound
            )?;
        } else {
            writeln!(out, "{:>cw$} {name}", r.count)?;
        }
    }
    Ok(())
}

fn host_group(g: &HostGroup, both: bool, out: &mut dyn Write) -> io::Result<()> {
    let what = if g.findings.is_empty() {
        "no TLS".to_string()
    } else {
        g.findings.join(", ")
    };
    let uses = if g.count == 1 { "use" } else { "uses" };
    writeln!(out, "{}  {} {uses}  {what}", g.key, g.count)?;
    let cw = g
        .hosts
        .iter()
        .map(|h| width(h.count))
        .max()
        .unwrap_or(1)
        .max(7);
    let peers: Vec<String> = g
        .hosts
        .iter()
        .map(|h| match (h.name.is_empty(), h.ip.is_empty()) {
            (false, false) => format!("{} [{}]", h.name, h.ip),
            (true, false) => format!("[{}]", h.ip),
            _ => h.name.clone(),
        })
        .collect();
    let pw = peers.iter().map(String::len).max().unwrap_or(0);
    let iw = g.hosts.iter().map(|h| width(h.inbound)).max().unwrap_or(1);
    let ow = g.hosts.iter().map(|h| width(h.outbound)).max().unwrap_or(1);
    for (h, peer) in g.hosts.iter().zip(&peers) {
        let split = if both {
            format!("  in {:>iw$} out {:>ow$}", h.inbound, h.outbound)
        } else {
            String::new()
        };
        writeln!(
            out,
            "{:>cw$} {peer:pw$}{split}  last seen {}",
            h.count, h.last_seen
        )?;
    }
    if g.other_uses > 0 {
        writeln!(out, "{:>cw$} more uses by hosts not listed", g.other_uses)?;
    }
    if g.max_error > 0 {
        writeln!(
            out,
            "{:cw$} (too many hosts to count all: counts may be short by up to {})",
            "", g.max_error
        )?;
    }
    writeln!(out)
}

fn totals(s: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let t = &s.totals;
    let w = width(t.total).max(width(s.lines.total));
    let pct = |n: u64| format!("{:5.1}%", 100.0 * share(n, t.total));
    let both = s.direction == "both";
    let split = |inbound: u64, outbound: u64| {
        if both {
            format!("  ({inbound} inbound, {outbound} outbound)")
        } else {
            String::new()
        }
    };
    let what = if both {
        "transactions".to_string()
    } else {
        format!("{} transactions", s.direction)
    };
    writeln!(
        out,
        "{:10} {:>w$}  {what}{}",
        "total",
        t.total,
        split(
            t.inbound.tls + t.inbound.plaintext,
            t.outbound.tls + t.outbound.plaintext
        )
    )?;
    writeln!(
        out,
        "{:10} {:>w$} {}{}",
        "TLS",
        t.tls,
        pct(t.tls),
        split(t.inbound.tls, t.outbound.tls)
    )?;
    for p in &s.protocols {
        writeln!(
            out,
            "  {:8} {:>w$} {}",
            p.protocol.as_str(),
            p.count,
            pct(p.count)
        )?;
    }
    writeln!(
        out,
        "{:10} {:>w$} {}{}",
        "plaintext",
        t.plaintext,
        pct(t.plaintext),
        split(t.inbound.plaintext, t.outbound.plaintext)
    )?;
    writeln!(
        out,
        "{:10} {:>w$} {}  TLS with findings",
        "weak",
        t.weak,
        pct(t.weak)
    )?;
    let l = &s.lines;
    let mut malformed = format!("{} malformed", l.malformed.total());
    let reasons: Vec<String> = l
        .malformed
        .nonzero()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if !reasons.is_empty() {
        malformed.push_str(&format!(" ({})", reasons.join(", ")));
    }
    writeln!(
        out,
        "{:10} {:>w$}  read: {} counted, {} local, {} other, {malformed}",
        "lines", l.total, l.counted, l.local, l.other
    )?;
    for note in &s.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{scan_reader, SortOrder, SummaryOptions, Tally};

    const LOG: &str = "\
2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=a.example (helo) [192.0.2.1]:1234 P=esmtps X=TLSv1.3:TLS_AES_256_GCM_SHA384:256
2024-11-26 16:04:19 1tG0aa-000Abc-1x <= a@b H=a.example (helo) [192.0.2.1]:1234 P=esmtps X=TLSv1.3:TLS_AES_256_GCM_SHA384:256
2024-11-26 16:04:20 1tG0ab-000Abc-1x => c@d R=r T=t H=old.example [192.0.2.7] X=TLSv1:DES-CBC3-SHA:168
2024-11-26 16:04:21 1tG0ac-000Abc-1x <= e@f H=[2001:db8::1]:25 P=esmtp
";

    fn render(options: SummaryOptions, format: Format) -> String {
        let mut t = Tally::new();
        scan_reader(LOG.as_bytes(), &mut t).expect("in memory");
        let mut out = Vec::new();
        write(&Summary::new(&t, &options), format, &mut out).expect("in memory");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn text_table() {
        let got = render(SummaryOptions::default(), Format::Text);
        let want = [
            "  count inbound outbound  key                                 findings",
            "      2       2        0  TLSv1.3:TLS_AES_256_GCM_SHA384:256",
            "      1       0        1  TLSv1:DES-CBC3-SHA:168              protocol-tlsv1, cipher-3des, cipher-no-pfs, cipher-cbc-sha1",
            "",
            "total      4  transactions  (3 inbound, 1 outbound)",
            "TLS        3  75.0%  (2 inbound, 1 outbound)",
            "  TLSv1.3  2  50.0%",
            "  TLSv1    1  25.0%",
            "plaintext  1  25.0%  (1 inbound, 0 outbound)",
            "weak       1  25.0%  TLS with findings",
            "lines      4  read: 4 counted, 0 local, 0 other, 0 malformed",
            "",
        ]
        .join("\n");
        assert_eq!(got, want);
        let asc = render(
            SummaryOptions {
                sort: SortOrder::Asc,
                direction: Some(crate::logs::Direction::Inbound),
                ..SummaryOptions::default()
            },
            Format::Text,
        );
        assert!(asc.starts_with("      2 TLSv1.3:TLS_AES_256_GCM_SHA384:256\n\ntotal      3  inbound transactions\n"), "{asc}");
    }

    #[test]
    fn text_by_host() {
        let got = render(
            SummaryOptions {
                by_host: true,
                ..SummaryOptions::default()
            },
            Format::Text,
        );
        let want = [
            "TLSv1:DES-CBC3-SHA:168  1 use  protocol-tlsv1, cipher-3des, cipher-no-pfs, cipher-cbc-sha1",
            "      1 old.example [192.0.2.7]  in 0 out 1  last seen 2024-11-26 16:04:20",
            "",
            "plaintext  1 use  no TLS",
            "      1 [2001:db8::1]  in 1 out 0  last seen 2024-11-26 16:04:21",
            "",
            "total      4  transactions",
        ]
        .join("\n");
        assert!(got.starts_with(&want), "{got}");
    }

    /// GnuTLS-built Exim's session descriptions: OpenSSL's names in the
    /// table, the groups by `--by group`, the signatures in CSV.
    #[test]
    fn gnutls_lines_by_group_and_signature() {
        const GNUTLS: &str = "\
2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=a.example [192.0.2.1] P=esmtps X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256
2024-11-26 16:04:19 1tG0ab-000Abc-1x <= a@b H=a.example [192.0.2.1] P=esmtps X=TLSv1.3:TLS_AES_256_GCM_SHA384:256
2024-11-26 16:04:20 1tG0ac-000Abc-1x => c@d R=r T=t H=b.example [192.0.2.7] X=TLS1.2:ECDHE_SECP521R1__RSA_SHA512__AES_256_GCM:256
";
        let mut t = Tally::new();
        scan_reader(GNUTLS.as_bytes(), &mut t).expect("in memory");
        let render = |options: SummaryOptions, format: Format| {
            let mut out = Vec::new();
            write(&Summary::new(&t, &options), format, &mut out).expect("in memory");
            String::from_utf8(out).expect("utf-8")
        };
        let by_group = SummaryOptions {
            by: Some(crate::logs::Dimension::Group),
            ..SummaryOptions::default()
        };
        let text = render(by_group, Format::Text);
        let want = [
            "  count inbound outbound  group",
            "      1       0        1  secp521r1",
            "      1       1        0  x25519",
            "      1       1        0  (not logged)",
            "",
            "total      3  transactions  (2 inbound, 1 outbound)",
        ]
        .join("\n");
        assert!(text.starts_with(&want), "{text}");
        let csv = render(SummaryOptions::default(), Format::Csv);
        assert!(csv.contains(
            "\n2,2,0,TLSv1.3,TLS_AES_256_GCM_SHA384,256,TLSv1.3:TLS_AES_256_GCM_SHA384:256,,x25519=1 not-logged=1,rsa_pss_rsae_sha256=1 not-logged=1,ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM TLS_AES_256_GCM_SHA384\n"
        ), "{csv}");
        assert!(csv.contains(",secp521r1=1,rsa_pkcs1_sha512=1,"), "{csv}");
        let by_signature = SummaryOptions {
            by: Some(crate::logs::Dimension::Signature),
            direction: Some(crate::logs::Direction::Outbound),
            ..SummaryOptions::default()
        };
        assert_eq!(
            render(by_signature, Format::Csv),
            "count,inbound,outbound,signature\n1,0,1,rsa_pkcs1_sha512\n"
        );
    }

    #[test]
    fn csv_and_json() {
        let csv = render(SummaryOptions::default(), Format::Csv);
        assert_eq!(
            csv,
            "count,inbound,outbound,protocol,cipher,bits,key,findings,groups,signatures,logged\n\
             2,2,0,TLSv1.3,TLS_AES_256_GCM_SHA384,256,TLSv1.3:TLS_AES_256_GCM_SHA384:256,,not-logged=2,not-logged=2,TLS_AES_256_GCM_SHA384\n\
             1,0,1,TLSv1,DES-CBC3-SHA,168,TLSv1:DES-CBC3-SHA:168,protocol-tlsv1 cipher-3des cipher-no-pfs cipher-cbc-sha1,not-logged=1,not-logged=1,DES-CBC3-SHA\n\
             1,1,0,,,,plaintext,,,,\n"
        );
        let hosts = render(
            SummaryOptions {
                by_host: true,
                ..SummaryOptions::default()
            },
            Format::Csv,
        );
        assert!(
            hosts.contains("\nplaintext,,,2001:db8::1,1,1,0,2024-11-26 16:04:21\n"),
            "{hosts}"
        );
        let json: serde_json::Value = serde_json::from_str(&render(
            SummaryOptions {
                by_host: true,
                ..SummaryOptions::default()
            },
            Format::Json,
        ))
        .expect("valid JSON");
        assert_eq!(json["totals"]["plaintext_share"], 0.25);
        assert_eq!(json["ciphers"][1]["findings"][1], "cipher-3des");
        assert_eq!(json["hosts"][0]["hosts"][0]["name"], "old.example");
        assert_eq!(json["protocols"][0]["protocol"], "TLSv1.3");
        assert_eq!(json["lines"]["malformed"]["too_long"], 0);
    }
}
