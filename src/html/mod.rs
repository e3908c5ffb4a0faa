//! The HTML report (`-f html`, `mxprobe stats --html`): one self-contained
//! page to look at rather than read.
//!
//! For a list: charts (TLS versions and top ciphers negotiated, STARTTLS
//! and TLS 1.3 shares, findings by severity) and the findings × hosts
//! table ("which servers are behind the old ciphers"); for each domain its
//! verdict under the policy, its findings with their fixes, and per
//! address the versions and each version's ciphers in the server's order
//! (outdated ones marked), the certificate, the trust verdicts and the
//! predicted sender outcomes.
//!
//! Self-contained: inline CSS and SVG, one small inline script (sorting
//! the tables by a click), nothing fetched. A Content-Security-Policy
//! meta tag allows exactly that style and that script, by their SHA-256
//! hashes, and nothing else (`default-src 'none'`). Everything a server
//! sent (banners, certificate subjects, policy files) is text: the
//! templates (maud) escape every value they interpolate, and no server
//! string goes into an attribute. Readable printed and on a phone
//! (`@media print`, a viewport meta and tables that scroll on their own).
//!
//! The page needs every domain before it can put the overview on top:
//! views are kept in memory until [`HtmlReport::write`] (about a
//! kilobyte or two per domain).

use std::io::{self, Write};

use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::model::{DomainReport, Severity};
use crate::report::{Record, ReportWriter};
use crate::stats::{Stats, Summary};

mod chart;
mod view;

use chart::Bar;
use view::{AddressView, Check, DomainView};

/// How the page judges and titles the scan.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// The policy's name, as given (`default`, `bsi`, a file).
    pub policy: String,
    /// A domain fails at a finding of this severity or worse.
    pub fail_on: Severity,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            policy: "default".into(),
            fail_on: Severity::High,
        }
    }
}

/// A page in the making: domains added one at a time, written at the end
/// with the statistics of the same domains (which the caller keeps, as
/// `mxprobe stats` does anyway).
pub struct HtmlReport {
    options: HtmlOptions,
    domains: Vec<DomainView>,
}

impl HtmlReport {
    /// An empty page.
    pub fn new(options: HtmlOptions) -> HtmlReport {
        HtmlReport {
            options,
            domains: Vec::new(),
        }
    }

    /// Add a domain's report.
    pub fn add_report(&mut self, r: &DomainReport) {
        self.domains
            .push(DomainView::of_report(r, self.options.fail_on));
    }

    /// Add a domain's rows of an earlier scan's CSV.
    pub fn add_csv_domain(&mut self, rows: &[Record]) {
        if let Some(v) = DomainView::of_csv(rows, self.options.fail_on) {
            self.domains.push(v);
        }
    }

    /// Write the page; `summary` (of the domains added) draws the
    /// overview of a list.
    pub fn write(&self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let overview = (self.domains.len() > 1).then_some(summary);
        let page = page(&self.options, overview, &self.domains);
        out.write_all(page.into_string().as_bytes())?;
        out.flush()
    }
}

/// `-f html`: the page, written when the scan finishes.
pub struct HtmlWriter<W: Write> {
    out: W,
    report: HtmlReport,
    stats: Stats,
}

impl<W: Write> HtmlWriter<W> {
    /// A writer of one page to `out`.
    pub fn new(out: W, options: HtmlOptions) -> Self {
        HtmlWriter {
            out,
            report: HtmlReport::new(options),
            stats: Stats::new(),
        }
    }
}

impl<W: Write> ReportWriter for HtmlWriter<W> {
    fn write(&mut self, report: &DomainReport) -> io::Result<()> {
        self.stats.add_report(report);
        self.report.add_report(report);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.report.write(&self.stats.summary(10), &mut self.out)
    }
}

/// A line break between elements, so that the page (and a diff of it)
/// reads line by line.
const NL: PreEscaped<&str> = PreEscaped("\n");

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("sort.js");

/// `'sha256-…'` of an inline element's text, for the CSP.
fn csp_hash(text: &str) -> String {
    let digest = openssl::sha::sha256(text.as_bytes());
    format!("'sha256-{}'", openssl::base64::encode_block(&digest))
}

/// The Content-Security-Policy: this page's style and script, nothing else.
pub(crate) fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; \
         base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
}

fn severity_key(s: Option<Severity>) -> u8 {
    match s {
        None => 0,
        Some(Severity::Info) => 1,
        Some(Severity::Low) => 2,
        Some(Severity::Medium) => 3,
        Some(Severity::High) => 4,
        Some(Severity::Critical) => 5,
    }
}

fn page(options: &HtmlOptions, summary: Option<&Summary>, domains: &[DomainView]) -> Markup {
    let failing = domains.iter().filter(|d| !d.pass).count();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(content_security_policy());
                meta name="generator" content=(concat!("mxprobe ", env!("CARGO_PKG_VERSION")));
                title { "mxprobe report: " (plural(domains.len(), "domain")) }
                (NL)
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "mxprobe report" }
                    p.meta {
                        (plural(domains.len(), "domain")) ", " (failing) " failing under the policy "
                        code { (options.policy) } " (fail at " (options.fail_on.as_str()) " or worse)"
                    }
                }
                (NL)
                @if let Some(s) = summary {
                    (overview(s))
                    (NL)
                }
                section #domains {
                    h2 { "Domains" }
                    div.scroll {
                        table.sortable #verdicts {
                            thead { tr { th { "domain" } th { "verdict" } th { "worst" } th { "findings" } th { "addresses" } } }
                            tbody {
                                @for (i, d) in domains.iter().enumerate() {
                                    (NL)
                                    tr {
                                        td { a href=(format!("#d{i}")) { (d.name) } }
                                        td { span class=(verdict_class(d)) { (verdict_word(d)) } }
                                        td data-key=(severity_key(d.worst)) { (d.worst.map_or("none", Severity::as_str)) }
                                        td { (d.findings.len()) }
                                        td { (d.addresses.iter().filter(|a| !a.endpoint.is_empty()).count()) }
                                    }
                                }
                            }
                        }
                    }
                }
                @for (i, d) in domains.iter().enumerate() {
                    (NL)
                    (domain(i, d))
                }
                (NL)
                footer { p { "Made by mxprobe " (env!("CARGO_PKG_VERSION")) ". Click a column's heading to sort a table." } }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn verdict_class(d: &DomainView) -> &'static str {
    if d.pass {
        "verdict pass"
    } else {
        "verdict fail"
    }
}

fn verdict_word(d: &DomainView) -> &'static str {
    if d.pass {
        "pass"
    } else {
        "fail"
    }
}

fn overview(s: &Summary) -> Markup {
    // Versions, from the negotiated PROTOCOL:CIPHER:BITS keys.
    let mut versions: Vec<Bar> = Vec::new();
    for c in &s.negotiated {
        let protocol = c.key.split(':').next().unwrap_or("").to_owned();
        match versions.iter_mut().find(|b| b.label == protocol) {
            Some(b) => b.value += c.count,
            None => versions.push(Bar {
                class: if protocol == "TLSv1.3" || protocol == "TLSv1.2" {
                    "good"
                } else {
                    "bad"
                },
                label: protocol,
                value: c.count,
            }),
        }
    }
    versions.sort_by(|a, b| b.value.cmp(&a.value).then(a.label.cmp(&b.label)));
    let negotiated_total: u64 = s.negotiated.iter().map(|c| c.count).sum();
    let ciphers: Vec<Bar> = s
        .negotiated
        .iter()
        .map(|c| Bar {
            label: c.key.clone(),
            value: c.count,
            class: "neutral",
        })
        .collect();
    let mut by_severity: Vec<Bar> = Severity::ALL
        .iter()
        .map(|sev| Bar {
            label: sev.as_str().to_owned(),
            value: 0,
            class: sev.as_str(),
        })
        .collect();
    for f in &s.findings {
        let sev = f.severity.unwrap_or(f.id.kind().severity);
        if let Some(b) = by_severity.iter_mut().find(|b| b.label == sev.as_str()) {
            b.value += 1;
        }
    }
    let kinds: u64 = by_severity.iter().map(|b| b.value).sum();
    let mut shares = vec![("STARTTLS", &s.starttls), ("TLS 1.3", &s.tls13)];
    if let Some(t) = &s.trusted {
        shares.push(("trusted certificates", t));
    }
    html! {
        section #overview {
            h2 { "Overview" }
            p { (plural(s.domains as usize, "domain")) ", " (plural(s.routes as usize, "route")) " (domain, MX host and address)." }
            div.charts {
                (NL)
                (chart::bars("chart-versions", "TLS versions negotiated (routes)", &versions, negotiated_total))
                (NL)
                (chart::bars("chart-ciphers", "Top negotiated PROTOCOL:CIPHER:BITS (routes)", &ciphers, negotiated_total))
                (NL)
                (chart::shares("chart-shares", "Domains with STARTTLS, TLS 1.3, trusted certificates", &shares))
                (NL)
                (chart::bars("chart-findings", "Kinds of finding by severity", &by_severity, kinds))
            }
            h3 { "Findings and the hosts behind them" }
            div.scroll {
                table.sortable #findings-hosts {
                    thead { tr { th { "finding" } th { "severity" } th { "domains" } th { "MX hosts (domains)" } } }
                    tbody {
                        @for f in &s.findings {
                            @let sev = f.severity.unwrap_or(f.id.kind().severity);
                            (NL)
                            tr {
                                td { code { (f.id.as_str()) } br; span.title { (f.id.kind().title) } }
                                td data-key=(severity_key(Some(sev))) class=(format!("sev {}", sev.as_str())) { (sev.as_str()) }
                                td data-key=(f.domains.count) { (f.domains.count) " (" (format!("{:.1}", f.domains.percent)) "%)" }
                                td {
                                    @for (i, h) in f.hosts.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        (h.key) " (" (h.count) ")"
                                    }
                                    @if f.more_hosts > 0 { ", and " (f.more_hosts) " more" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn domain(i: usize, d: &DomainView) -> Markup {
    html! {
        section.domain id=(format!("d{i}")) {
            h2 {
                (d.name) " "
                span class=(verdict_class(d)) { (verdict_word(d)) }
                @if let Some(w) = d.worst { " " span class=(format!("sev {}", w.as_str())) { (w.as_str()) } }
            }
            @if d.status != "ok" { p.status { "status: " (d.status) } }
            @if let Some(e) = &d.error { p.error { (e) } }
            @if !d.checks.is_empty() { (checks(&d.checks)) }
            @if !d.findings.is_empty() {
                h3 { "Findings" }
                div.scroll {
                    table.findings {
                        thead { tr { th { "severity" } th { "finding" } th { "where" } th { "what" } th { "fix" } } }
                        tbody {
                            @for f in &d.findings {
                                (NL)
                                tr {
                                    td class=(format!("sev {}", f.severity.as_str())) { (f.severity.as_str()) }
                                    td { code { (f.id.as_str()) } }
                                    td { (f.place) }
                                    td { (f.message) }
                                    td.fix { (f.remedy) }
                                }
                            }
                        }
                    }
                }
            }
            @for a in &d.addresses { (NL) (address(a)) }
        }
    }
}

fn checks(list: &[Check]) -> Markup {
    html! {
        dl.checks {
            @for c in list {
                dt { (c.label) }
                dd class=(match c.good { Some(true) => "good", Some(false) => "bad", None => "" }) { (c.text) }
            }
        }
    }
}

fn address(a: &AddressView) -> Markup {
    html! {
        div.address {
            h3 { (a.mx) @if !a.endpoint.is_empty() { " " span.endpoint { (a.endpoint) } } " " span.status { (a.status) } }
            @if let Some(e) = &a.error { p.error { (e) } }
            @if !a.smtp.is_empty() {
                dl.smtp { @for (k, v) in &a.smtp { dt { (k) } dd { (v) } } }
            }
            @if let Some(n) = &a.negotiated { p { "negotiated " code { (n) } } }
            @if !a.versions.is_empty() {
                div.scroll {
                    table.versions {
                        thead { tr { th { "version" } th { "ciphers, in the server's order" } } }
                        tbody {
                            @for v in &a.versions {
                                (NL)
                                tr {
                                    td { (v.name) br; span class=(match v.accepted { Some(true) => "yes", Some(false) => "no", None => "unknown" }) {
                                        (match v.accepted { Some(true) => "accepted", Some(false) => "refused", None => "unknown" })
                                    } }
                                    td {
                                        @if let Some(o) = &v.order { span.order { (o) } }
                                        @if !v.ciphers.is_empty() {
                                            ol.ciphers {
                                                @for c in &v.ciphers {
                                                    @if c.legacy.is_empty() {
                                                        li { code { (c.name) } }
                                                    } @else {
                                                        li.legacy { code { (c.name) } " " span.labels { "outdated: " (c.legacy.join(", ")) } }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(g) = &a.groups { p { "groups " code { (g) } } }
            @if !a.cert.is_empty() {
                h4 { "Certificate" }
                dl.cert { @for (k, v) in &a.cert { dt { (k) } dd { (v) } } }
            }
            @if !a.trust.is_empty() { h4 { "Trust" } (checks(&a.trust)) }
            @if !a.senders.is_empty() {
                h4 { "What senders would do (predicted)" }
                div.scroll {
                    table.senders {
                        thead { tr { th { "sender" } th { "outcome" } th { "detail" } } }
                        tbody {
                            @for s in &a.senders {
                                (NL)
                                tr { td { (s.profile) } td class=(format!("outcome {}", s.outcome)) { (s.outcome) } td { (s.detail) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
