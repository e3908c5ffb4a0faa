//! Text: a readable block per domain, for people at a terminal.
//!
//! Not a contract: scripts should read CSV or JSON.

use std::io::{self, Write};
use std::net::IpAddr;

use super::ReportWriter;
use crate::dane::DaneCheck;
use crate::model::{AddressReport, DomainReport, DomainStatus, MxReport, ProbeStatus};
use crate::policy::{Finding, Severity};
use crate::senders::SenderOutcome;
use crate::tls::cipher::Kx;
use crate::tls::enumerate::Enumeration;
use crate::tls::order::OrderType;
use crate::tls::LegacyScan;
use crate::tls::Protocol;
use crate::trust::{AddressTrust, NameMatch, PtrStatus, StrictTls};

/// Writes each report whole: rendered in memory, then written at once.
pub struct TextWriter<W: Write> {
    render: Render<Vec<u8>>,
    out: W,
}

impl<W: Write> TextWriter<W> {
    /// A writer on `out`, without colours.
    pub fn new(out: W) -> Self {
        TextWriter {
            render: Render {
                out: Vec::new(),
                written: 0,
                color: false,
            },
            out,
        }
    }

    /// Severities in colour (ANSI), for a terminal.
    pub fn with_color(mut self, color: bool) -> Self {
        self.render.color = color;
        self
    }
}

impl<W: Write> ReportWriter for TextWriter<W> {
    fn write(&mut self, report: &DomainReport) -> io::Result<()> {
        self.render.report(report)?;
        let bytes = std::mem::take(&mut self.render.out);
        self.out.write_all(&bytes)?;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

struct Render<W: Write> {
    out: W,
    written: usize,
    color: bool,
}

impl<W: Write> Render<W> {
    fn findings(&mut self, report: &DomainReport) -> io::Result<()> {
        if report.findings.is_empty() {
            return Ok(());
        }
        writeln!(self.out, "  findings")?;
        for severity in Severity::ALL {
            // The same finding at the same address under several MX names
            // is one server's: said once, with the names.
            let mut groups: Vec<(&Finding, Vec<&str>)> = Vec::new();
            for f in report.findings.iter().filter(|f| f.severity == severity) {
                let same = |g: &&mut (&Finding, Vec<&str>)| {
                    let o = g.0;
                    f.ip.is_some()
                        && (o.id, o.ip, o.port, &o.message, &o.remedy)
                            == (f.id, f.ip, f.port, &f.message, &f.remedy)
                };
                match groups.iter_mut().find(same) {
                    Some((_, hosts)) => hosts.extend(f.mx.as_deref()),
                    None => groups.push((f, f.mx.as_deref().into_iter().collect())),
                }
            }
            for (f, hosts) in groups {
                let label = format!("{:<8}", severity.as_str().to_uppercase());
                let label = if self.color {
                    format!("{}{label}\x1b[0m", ansi(severity))
                } else {
                    label
                };
                let mut place = match (&f.mx, f.ip, f.port) {
                    (_, Some(ip), Some(port)) => format!("  {}", endpoint(ip, port)),
                    (Some(mx), None, _) => format!("  {mx}"),
                    _ => String::new(),
                };
                if hosts.len() > 1 {
                    place.push_str(&format!(" (MX {})", name_list(&hosts)));
                }
                writeln!(self.out, "    {label} {}{place}", f.id)?;
                writeln!(self.out, "             {}", f.message)?;
                writeln!(self.out, "             fix: {}", f.remedy)?;
            }
        }
        Ok(())
    }

    /// `shown`: the addresses already rendered for an earlier MX host.
    fn mx(
        &mut self,
        report: &DomainReport,
        mx: &MxReport,
        shown: &mut Vec<(IpAddr, u16)>,
    ) -> io::Result<()> {
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
            let endpoint = (a.ip, a.port);
            let hosts = hosts_of(report, endpoint);
            if shown.contains(&endpoint) {
                self.repeated(a, &hosts)?;
            } else {
                shown.push(endpoint);
                self.address(a, &hosts)?;
            }
        }
        if let Some(d) = &mx.dane {
            dane(&mut self.out, d)?;
        }
        Ok(())
    }

    /// An address that an earlier MX host of the report also uses: the
    /// same server, so only what depends on the MX name (certificate
    /// names, the strict sender's SNI) is shown again.
    fn repeated(&mut self, a: &AddressReport, hosts: &[&str]) -> io::Result<()> {
        let first = hosts.first().copied().unwrap_or("");
        writeln!(
            self.out,
            "    {}  {}, the server shown under {first}",
            endpoint(a.ip, a.port),
            a.status
        )?;
        if let Some(t) = &a.trust {
            trust(&mut self.out, t, true)?;
        }
        // Only verifying senders can fare differently under another name.
        let strict: Vec<&SenderOutcome> = a.senders.iter().filter(|s| s.strict).collect();
        senders(&mut self.out, &strict)?;
        Ok(())
    }

    /// `hosts`: the report's MX hosts that use this address.
    fn address(&mut self, a: &AddressReport, hosts: &[&str]) -> io::Result<()> {
        let endpoint = endpoint(a.ip, a.port);
        match (&a.error, a.status) {
            (Some(e), status) if status != ProbeStatus::Ok => {
                writeln!(self.out, "    {endpoint}  {status}: {e}")?
            }
            (_, status) => writeln!(self.out, "    {endpoint}  {status}")?,
        }
        let w = &mut self.out;
        if hosts.len() > 1 {
            writeln!(
                w,
                "      MX hosts  {} use it: {}",
                hosts.len(),
                name_list(hosts)
            )?;
        }
        if let Some(smtp) = &a.smtp {
            if let Some(first) = smtp.greeting.first() {
                writeln!(w, "      banner    {first}")?;
                // What the fixes below are written for.
                writeln!(w, "      software  {}", smtp.software)?;
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
        if let Some(t) = &a.trust {
            trust(w, t, false)?;
        }
        senders(w, &a.senders.iter().collect::<Vec<_>>())?;
        if a.connections > 0 {
            writeln!(w, "      cost      {}", cost_summary(a))?;
        }
        Ok(())
    }
}

/// One line per sender profile: what it ends with, what it negotiates,
/// and why.
fn senders(w: &mut impl Write, outcomes: &[&SenderOutcome]) -> io::Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    writeln!(w, "      senders   what each would do here (predicted)")?;
    let width = outcomes.iter().map(|s| s.profile.len()).max().unwrap_or(0);
    for s in outcomes {
        let mut line = format!("        {:<width$}  {:<13}", s.profile, s.outcome.as_str());
        let negotiated = s.negotiated();
        if !negotiated.is_empty() {
            line.push_str(&format!(" {negotiated}"));
        }
        let group = s.group_text();
        if !group.is_empty() {
            line.push_str(&format!("  {group}"));
        }
        if !s.reason.is_empty() {
            line.push_str(&format!("  ({})", s.reason));
        }
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

/// `192.0.2.1:25`, `[2001:db8::1]:25`.
fn endpoint(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(ip) => format!("{ip}:{port}"),
        IpAddr::V6(ip) => format!("[{ip}]:{port}"),
    }
}

/// The report's MX hosts that use `endpoint`, in report order.
fn hosts_of(report: &DomainReport, endpoint: (IpAddr, u16)) -> Vec<&str> {
    report
        .mx
        .iter()
        .filter(|m| m.addresses.iter().any(|a| (a.ip, a.port) == endpoint))
        .map(|m| m.host.as_str())
        .collect()
}

/// Names, comma-separated: the first few, then how many more.
fn name_list(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut list = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    list
}

/// ANSI colour of a severity label.
fn ansi(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => "\x1b[2m",
    }
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
        d.state.as_str(),
        d.mx_dnssec.as_str(),
        d.address_dnssec.as_str(),
        d.tlsa_dnssec.as_str()
    )?;
    for a in &d.addresses {
        let detail = a
            .detail
            .as_deref()
            .map(|x| format!(" ({x})"))
            .unwrap_or_default();
        writeln!(
            w,
            "      {}:{}  {}{detail}",
            a.ip,
            a.port,
            a.outcome.as_str()
        )?;
    }
    // The same cause often fails all three lookups: say it once.
    let mut said: Vec<&String> = Vec::new();
    for e in &d.errors {
        if !said.contains(&e) {
            writeln!(w, "      {e}")?;
            said.push(e);
        }
    }
    Ok(())
}

fn domain_trust(w: &mut impl Write, report: &DomainReport) -> io::Result<()> {
    if let Some(sts) = &report.mta_sts {
        let summary = match (sts.policy(), &sts.policy) {
            (Some(p), _) => format!(
                "{} (id {}), max_age {}, mx {}",
                p.mode.as_str(),
                sts.id.as_deref().unwrap_or("-"),
                p.max_age,
                p.mx.join(" ")
            ),
            (None, Some(f)) => format!(
                "policy {}: {}",
                f.status.as_str(),
                f.error.as_deref().unwrap_or("")
            ),
            (None, None) => match &sts.error {
                Some(e) => format!("TXT {}: {e}", sts.txt.as_str()),
                None => format!("TXT {}", sts.txt.as_str()),
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
        writeln!(w, "  TLS-RPT   {}{detail}", rpt.status.as_str())?;
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
            // TLS 1.3 suites leave key exchange and authentication to
            // separate negotiation (groups, signature schemes).
            let kx = if c.kx == Kx::Any {
                "-".to_string()
            } else {
                format!("{}/{}", c.kx.as_str(), c.auth.as_str())
            };
            let mut key = c
                .cert_key
                .as_deref()
                .map(|k| format!("  {k}"))
                .unwrap_or_default();
            if c.raw {
                key.push_str("  (hand-written hello)");
            }
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
    if let Some(l) = &e.legacy {
        legacy(w, l)?;
    }
    Ok(())
}

/// What the hand-written hellos found: SSLv2 and the classic checks.
fn legacy(w: &mut impl Write, l: &LegacyScan) -> io::Result<()> {
    match &l.sslv2 {
        Some(specs) if specs.is_empty() => writeln!(w, "      SSLv2     no")?,
        Some(specs) => writeln!(w, "      SSLv2     yes  {}", specs.join(" "))?,
        None => {}
    }
    let c = &l.checks;
    // (what, the answer, the word for `true`, the word for `false`)
    let rows = [
        (
            "renegotiation",
            c.secure_renegotiation,
            "secure (RFC 5746)",
            "NOT SECURE: no renegotiation_info",
        ),
        ("compression", c.compression, "ACCEPTED (CRIME)", "refused"),
        ("heartbeat", c.heartbeat, "on", "off"),
        ("Heartbleed", c.heartbleed, "VULNERABLE", "not vulnerable"),
        (
            "CCS injection",
            c.ccs_injection,
            "VULNERABLE",
            "not vulnerable",
        ),
        (
            "fallback SCSV",
            c.fallback_protected,
            "protected",
            "NOT PROTECTED: a fallback hello is accepted",
        ),
    ];
    let asked: Vec<String> = rows
        .iter()
        .filter_map(|(what, answer, yes, no)| {
            answer.map(|a| format!("{what} {}", if a { yes } else { no }))
        })
        .collect();
    if !asked.is_empty() {
        writeln!(w, "      checks    {}", asked.join("; "))?;
    }
    for reason in &l.incomplete {
        writeln!(w, "      incomplete  {reason}")?;
    }
    Ok(())
}

/// `names_only`: just what depends on the MX name (for a repeated address).
fn trust(w: &mut impl Write, t: &AddressTrust, names_only: bool) -> io::Result<()> {
    writeln!(w, "      trust")?;
    if let Some(c) = t.chain.as_ref().filter(|_| !names_only) {
        if c.trusted {
            let anchor = c
                .anchor
                .as_ref()
                .map(|a| {
                    let from = match a.source {
                        crate::cert::anchors::AnchorSource::Mozilla => "Mozilla's roots",
                        crate::cert::anchors::AnchorSource::CaFile => "--ca-file",
                    };
                    format!(" to {} ({from})", a.subject)
                })
                .unwrap_or_default();
            writeln!(
                w,
                "        chain   trusted{anchor}; expires in {} days",
                c.chain_days_left
            )?;
        } else {
            let why = c
                .rejection
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            writeln!(w, "        chain   NOT TRUSTED{why}")?;
        }
        for p in &c.problems {
            writeln!(w, "          - {p}")?;
        }
    }
    if let Some(n) = &t.names {
        let one = |label: &str, m: &NameMatch| format!("{label} {}: {}", m.name, m.result);
        let mut parts = vec![one("MX", &n.mx)];
        parts.extend(n.domain.iter().map(|m| one("domain", m)));
        parts.extend(n.banner.iter().map(|m| one("banner", m)));
        parts.extend(n.ptr.iter().map(|m| one("PTR", m)));
        writeln!(w, "        names   {}", parts.join("; "))?;
        if let Some(cn) = &n.cn_only {
            writeln!(
                w,
                "          - no DNS names, only the subject CN {cn}, which modern verifiers ignore"
            )?;
        }
        if let Some(h) = &n.hint {
            writeln!(w, "          - {h}")?;
        }
    }
    match &t.strict_tls {
        Some(StrictTls::Ok {
            protocol,
            cipher,
            name_checked,
        }) => {
            let names = if *name_checked {
                ""
            } else {
                " (an IP address: the name was not checked)"
            };
            writeln!(w, "        strict  ok: {protocol} {cipher}{names}")?;
        }
        Some(StrictTls::Failed { detail, .. }) => {
            writeln!(w, "        strict  FAILED: {detail}")?;
        }
        None => {}
    }
    if names_only {
        return Ok(());
    }
    let p = &t.ptr;
    let names: Vec<String> = p
        .names
        .iter()
        .map(|n| {
            let how = if n.confirmed {
                "forward-confirmed"
            } else {
                "does not resolve back"
            };
            format!("{} ({how})", n.name)
        })
        .collect();
    let banner = match p.matches_banner {
        Some(true) => "; the banner host",
        Some(false) => "; not the banner host",
        None => "",
    };
    match (p.status, &p.error) {
        (PtrStatus::Ok, _) => writeln!(w, "        PTR     {}{banner}", names.join(", "))?,
        (PtrStatus::PtrMissing, _) => match p.cname_chain.last() {
            Some(end) => writeln!(w, "        PTR     ptr-missing: no PTR record at {end}")?,
            None => writeln!(w, "        PTR     ptr-missing: no PTR record")?,
        },
        (PtrStatus::PtrMismatch, _) => {
            writeln!(w, "        PTR     ptr-mismatch: {}", names.join(", "))?
        }
        (status, Some(e)) => writeln!(w, "        PTR     {status}: {e}")?,
        (status, None) => writeln!(w, "        PTR     {status}")?,
    }
    // A loop's error already shows its chain.
    if let Some(chain) = p.cname_text().filter(|_| !p.cname_loop()) {
        writeln!(w, "          - via CNAME {chain}")?;
    }
    Ok(())
}

impl<W: Write> Render<W> {
    fn report(&mut self, report: &DomainReport) -> io::Result<()> {
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
        let mut shown = Vec::new();
        for mx in &report.mx {
            self.mx(report, mx, &mut shown)?;
        }
        domain_trust(&mut self.out, report)?;
        self.findings(report)
    }
}

/// What probing an address cost, as one phrase.
pub fn cost_summary(a: &AddressReport) -> String {
    let plural = |n: u32, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {} ({} refused), {:.2}s waiting for the server to close",
        plural(a.connections, "connection"),
        plural(a.handshakes, "handshake"),
        a.refused_handshakes,
        a.close_wait_seconds
    )
}
