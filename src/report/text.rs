//! Text: a readable block per domain, for people at a terminal.
//!
//! Not a contract: scripts should read CSV or JSON.

use std::io::{self, Write};

use super::ReportWriter;
use crate::dane::DaneCheck;
use crate::model::{AddressReport, DomainReport, DomainStatus, MxReport, ProbeStatus};
use crate::tls::enumerate::Enumeration;
use crate::tls::order::OrderType;
use crate::tls::Protocol;

pub struct TextWriter<W: Write> {
    out: W,
    written: usize,
}

impl<W: Write> TextWriter<W> {
    pub fn new(out: W) -> Self {
        TextWriter { out, written: 0 }
    }

    fn mx(&mut self, mx: &MxReport) -> io::Result<()> {
        let label = match (mx.preference, mx.implicit) {
            (_, true) => format!("implicit MX {} (no MX records)", mx.host),
            (Some(p), false) => format!("MX {p} {}", mx.host),
            (None, false) => format!("host {}", mx.host),
        };
        match (&mx.error, mx.addresses.is_empty()) {
            (Some(e), _) => writeln!(self.out, "  {label}: {e}")?,
            (None, true) => writeln!(self.out, "  {label}: no address")?,
            (None, false) => writeln!(self.out, "  {label}")?,
        }
        for a in &mx.addresses {
            self.address(a)?;
        }
        if let Some(d) = &mx.dane {
            dane(&mut self.out, d)?;
        }
        Ok(())
    }

    fn address(&mut self, a: &AddressReport) -> io::Result<()> {
        let endpoint = match a.ip {
            std::net::IpAddr::V4(ip) => format!("{ip}:{}", a.port),
            std::net::IpAddr::V6(ip) => format!("[{ip}]:{}", a.port),
        };
        match (&a.error, a.status) {
            (Some(e), status) if status != ProbeStatus::Ok => {
                writeln!(self.out, "    {endpoint}  {status}: {e}")?
            }
            (_, status) => writeln!(self.out, "    {endpoint}  {status}")?,
        }
        let w = &mut self.out;
        if let Some(smtp) = &a.smtp {
            if let Some(first) = smtp.greeting.first() {
                writeln!(w, "      banner    {first}")?;
            }
            if !smtp.greeting.is_empty() && a.status != ProbeStatus::SmtpError {
                let offered = if smtp.starttls {
                    "offered"
                } else {
                    "not offered"
                };
                writeln!(w, "      STARTTLS  {offered}")?;
            }
        }
        if let Some(tls) = &a.tls {
            let mut kx = String::new();
            if let Some(g) = &tls.group {
                kx.push_str(&format!("  group {g}"));
            }
            if let Some(b) = tls.dh_bits {
                kx.push_str(&format!("  DH {b} bits"));
            }
            writeln!(w, "      TLS       {}{kx}", tls.negotiated())?;
            if let Some(c) = tls.chain.first() {
                writeln!(w, "      cert      {}", c.subject)?;
                if !c.dns_names.is_empty() {
                    writeln!(w, "        names   {}", c.dns_names.join(", "))?;
                }
                writeln!(w, "        issuer  {}", c.issuer)?;
                writeln!(w, "        valid   {} to {}", c.not_before, c.not_after)?;
                writeln!(
                    w,
                    "        key     {} {}, {}",
                    c.key_type, c.key_bits, c.signature_algorithm
                )?;
                let n = tls.chain.len();
                let plural = if n == 1 { "" } else { "s" };
                writeln!(w, "        chain   {n} certificate{plural} presented")?;
            } else {
                writeln!(w, "      cert      none (anonymous cipher)")?;
            }
        }
        if let Some(e) = &a.enumeration {
            enumeration(w, e)?;
        }
        if a.connections > 0 {
            writeln!(
                w,
                "      cost      {} connection{}, {} handshake{}",
                a.connections,
                if a.connections == 1 { "" } else { "s" },
                a.handshakes,
                if a.handshakes == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

fn word<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn dane(w: &mut impl Write, d: &DaneCheck) -> io::Result<()> {
    let records: Vec<String> = d
        .records
        .iter()
        .map(|r| format!("{} {} {}", r.usage, r.selector, r.matching))
        .collect();
    let listed = if records.is_empty() {
        "no TLSA records".to_string()
    } else {
        format!("TLSA {} ({} usable)", records.join(", "), d.usable)
    };
    writeln!(
        w,
        "    DANE      {}: {listed}; DNSSEC MX {}, addresses {}, TLSA {}",
        word(&d.state),
        word(&d.mx_dnssec),
        word(&d.address_dnssec),
        word(&d.tlsa_dnssec)
    )?;
    for a in &d.addresses {
        let detail = a
            .detail
            .as_deref()
            .map(|x| format!(" ({x})"))
            .unwrap_or_default();
        writeln!(w, "      {}:{}  {}{detail}", a.ip, a.port, word(&a.outcome))?;
    }
    for e in &d.errors {
        writeln!(w, "      {e}")?;
    }
    Ok(())
}

fn trust(w: &mut impl Write, report: &DomainReport) -> io::Result<()> {
    if let Some(sts) = &report.mta_sts {
        let summary = match (sts.policy(), &sts.policy) {
            (Some(p), _) => format!(
                "{} (id {}), max_age {}, mx {}",
                word(&p.mode),
                sts.id.as_deref().unwrap_or("-"),
                p.max_age,
                p.mx.join(" ")
            ),
            (None, Some(f)) => format!(
                "policy {}: {}",
                word(&f.status),
                f.error.as_deref().unwrap_or("")
            ),
            (None, None) => match &sts.error {
                Some(e) => format!("TXT {}: {e}", word(&sts.txt)),
                None => format!("TXT {}", word(&sts.txt)),
            },
        };
        writeln!(w, "  MTA-STS   {summary}")?;
        for host in &sts.mx_mismatch {
            writeln!(w, "    {host} matches no mx pattern")?;
        }
        for v in &sts.violations {
            writeln!(w, "    {} {}:{}  {}", v.mx, v.ip, v.port, v.reason)?;
        }
    }
    if let Some(rpt) = &report.tls_rpt {
        let detail = match (&rpt.error, rpt.rua.is_empty()) {
            (Some(e), _) => format!(": {e}"),
            (None, false) => format!(": {}", rpt.rua.join(", ")),
            (None, true) => String::new(),
        };
        writeln!(w, "  TLS-RPT   {}{detail}", word(&rpt.status))?;
    }
    Ok(())
}

fn enumeration(w: &mut impl Write, e: &Enumeration) -> io::Result<()> {
    writeln!(w, "      versions")?;
    let width = e
        .versions
        .iter()
        .flat_map(|v| v.ciphers.iter().map(|c| c.name.len()))
        .max()
        .unwrap_or(0);
    for v in &e.versions {
        let p = v.protocol.as_str();
        match v.supported {
            Some(false) => {
                let why = v
                    .refusal
                    .as_deref()
                    .map(|r| format!("  ({r})"))
                    .unwrap_or_default();
                writeln!(w, "        {p:<8} no{why}")?;
                continue;
            }
            None => {
                writeln!(w, "        {p:<8} unknown (enumeration incomplete)")?;
                continue;
            }
            Some(true) => {}
        }
        let order = match v.order {
            Some(OrderType::Server) => "server order",
            Some(OrderType::Client) => "client order: the server takes the client's first acceptable cipher; listed in mxprobe's offer order",
            Some(OrderType::Mixed) => "mixed order: the server's choice is not consistent; listed in the order picked",
            None => "",
        };
        writeln!(w, "        {p:<8} yes  {order}")?;
        for (i, c) in v.ciphers.iter().enumerate() {
            let rank = match v.order {
                Some(OrderType::Client) => "   -".to_string(),
                _ => format!("{:>4}", format!("{}.", i + 1)),
            };
            let labels = c.spec().map(|s| s.legacy_labels()).unwrap_or_default();
            let mark = if labels.is_empty() {
                String::new()
            } else {
                format!("  [{}]", labels.join(", "))
            };
            let kx = format!("{:?}/{:?}", c.kx, c.auth).to_uppercase();
            let key = c
                .cert_key
                .as_deref()
                .map(|k| format!("  {k}"))
                .unwrap_or_default();
            writeln!(
                w,
                "        {rank} {:<width$}  {kx:<11} {:>3}{mark}{key}",
                c.name, c.bits
            )?;
        }
    }
    if !e.groups.is_empty() {
        let mut by_protocol: Vec<(Protocol, Vec<&str>)> = Vec::new();
        for g in &e.groups {
            match by_protocol.iter_mut().find(|(p, _)| *p == g.protocol) {
                Some((_, names)) => names.push(&g.name),
                None => by_protocol.push((g.protocol, vec![&g.name])),
            }
        }
        for (p, names) in by_protocol {
            writeln!(w, "      groups    {p}: {}", names.join(" "))?;
        }
    }
    if let Some(dh) = e.dh_bits {
        writeln!(w, "      DH        {dh} bits (smallest seen with DHE)")?;
    }
    for reason in &e.incomplete {
        writeln!(w, "      incomplete  {reason}")?;
    }
    Ok(())
}

impl<W: Write> ReportWriter for TextWriter<W> {
    fn write(&mut self, report: &DomainReport) -> io::Result<()> {
        if self.written > 0 {
            writeln!(self.out)?;
        }
        self.written += 1;
        let name = report.target.name();
        match (report.status, &report.error) {
            (DomainStatus::Ok, _) => writeln!(self.out, "{name}")?,
            (status, Some(e)) => writeln!(self.out, "{name}  {status}: {e}")?,
            (status, None) => writeln!(self.out, "{name}  {status}")?,
        }
        for mx in &report.mx {
            self.mx(mx)?;
        }
        trust(&mut self.out, report)?;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
