//! Text: a readable block per domain, for people at a terminal.
//!
//! Not a contract: scripts should read CSV or JSON.

use std::io::{self, Write};

use super::ReportWriter;
use crate::model::{AddressReport, DomainReport, DomainStatus, MxReport, ProbeStatus};

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
        Ok(())
    }
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
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
