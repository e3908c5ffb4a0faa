//! Statistics over a scan: the frequency table of negotiated
//! `PROTOCOL:CIPHER:BITS` (as admins count it from their logs), the share of
//! domains with STARTTLS, TLS 1.3 and trusted certificates, findings per
//! domain with the hosts behind them, and the MX hosts serving most domains.
//!
//! Fed live with [`DomainReport`]s, or afterwards from a scan's CSV or JSON
//! Lines output (`mxprobe stats FILE`). Counting units: the cipher table
//! counts routes (one per domain and MX address, a CSV row); the shares and
//! findings count domains; the MX table counts domains per host.
//!
//! Memory grows with distinct MX hosts and cipher keys, not with domains.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read, Write};

use serde::Serialize;

use crate::model::{DomainReport, Finding, FindingId};
use crate::policy::Severity;
use crate::printable::printable;
use crate::report::{places, CsvReader, ReadError, Record};

/// What one route (domain, MX host, address) contributes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Route {
    pub(crate) mx: String,
    /// The probe's status (`ok`, `no-starttls`, …), or the domain's.
    pub(crate) status: String,
    pub(crate) starttls: Option<bool>,
    /// `PROTOCOL:CIPHER:BITS`.
    pub(crate) negotiated: Option<String>,
    pub(crate) tls13: Option<bool>,
    pub(crate) trusted: Option<bool>,
    /// Finding IDs and severities of this row.
    pub(crate) findings: Vec<(FindingId, Option<Severity>)>,
}

impl Route {
    /// The route of one CSV row (findings without their severities).
    pub(crate) fn from_record(r: &Record) -> Result<Route, ReadError> {
        let findings = r
            .get("findings")
            .split_whitespace()
            .map(|id| {
                id.parse::<FindingId>()
                    .map(|id| (id, None))
                    .map_err(|e| r.error("findings", e))
            })
            .collect::<Result<_, _>>()?;
        Ok(Route {
            findings,
            ..Route::columns(r)
        })
    }

    /// Everything of a row but its findings.
    fn columns(r: &Record) -> Route {
        let negotiated = Some(r.get("negotiated")).filter(|v| !v.is_empty());
        Route {
            mx: printable(r.get("mx")).into_owned(),
            status: printable(r.get("status")).into_owned(),
            starttls: r.yes_no("starttls"),
            // Without an enumeration, what the first handshake negotiated.
            tls13: r
                .yes_no("tlsv1_3")
                .or_else(|| negotiated.map(|n| n.starts_with("TLSv1.3:"))),
            negotiated: negotiated.map(|n| printable(n).into_owned()),
            trusted: r.yes_no("cert_trusted"),
            findings: Vec::new(),
        }
    }
}

/// Running statistics.
#[derive(Debug, Default)]
pub struct Stats {
    domains: u64,
    /// Domains with at least one MX address that answered SMTP.
    answering: u64,
    starttls: u64,
    tls13: u64,
    trusted: u64,
    trust_known: u64,
    routes: u64,
    negotiated: HashMap<String, u64>,
    statuses: HashMap<String, u64>,
    findings: HashMap<FindingId, FindingStats>,
    mx_domains: HashMap<String, u64>,
}

#[derive(Debug, Default)]
struct FindingStats {
    severity: Option<Severity>,
    domains: u64,
    hosts: HashMap<String, u64>,
}

impl Stats {
    /// Statistics of nothing yet.
    pub fn new() -> Self {
        Stats::default()
    }

    /// Add one domain's report: its rows as the CSV writer renders them
    /// (so a live scan counts exactly what `mxprobe stats` of its CSV
    /// counts), with the findings' severities, which the CSV lacks.
    pub fn add_report(&mut self, r: &DomainReport) {
        let routes: Vec<Route> = places(r)
            .map(|place| {
                let mut route = Route::columns(&Record::of(place));
                route.findings = finding_pairs(place.findings());
                route
            })
            .collect();
        self.add_domain(&routes);
    }

    /// Add every domain of a mxprobe CSV, read as a stream.
    pub fn add_csv<R: Read>(&mut self, csv: &mut CsvReader<R>) -> Result<(), ReadError> {
        for rows in csv.domains() {
            self.add_csv_domain(&rows?)?;
        }
        Ok(())
    }

    /// Add one domain's rows of a mxprobe CSV ([`CsvReader::domains`]).
    pub fn add_csv_domain(&mut self, rows: &[Record]) -> Result<(), ReadError> {
        let routes = rows
            .iter()
            .map(Route::from_record)
            .collect::<Result<Vec<_>, _>>()?;
        self.add_domain(&routes);
        Ok(())
    }

    /// Add one domain given as its routes (e.g. the CSV rows of a domain).
    pub(crate) fn add_domain(&mut self, routes: &[Route]) {
        self.domains += 1;
        let answered: Vec<&Route> = routes.iter().filter(|r| r.starttls.is_some()).collect();
        if !answered.is_empty() {
            self.answering += 1;
            if answered.iter().all(|r| r.starttls == Some(true)) {
                self.starttls += 1;
            }
        }
        let tls: Vec<&Route> = routes.iter().filter(|r| r.negotiated.is_some()).collect();
        if !tls.is_empty() && tls.iter().all(|r| r.tls13 == Some(true)) {
            self.tls13 += 1;
        }
        if tls.iter().any(|r| r.trusted.is_some()) {
            self.trust_known += 1;
            if tls.iter().all(|r| r.trusted == Some(true)) {
                self.trusted += 1;
            }
        }
        let mut ids_seen = HashSet::new();
        let mut id_hosts_seen = HashSet::new();
        let mut hosts_seen = HashSet::new();
        for r in routes {
            self.routes += 1;
            *self.statuses.entry(r.status.clone()).or_default() += 1;
            if let Some(n) = &r.negotiated {
                *self.negotiated.entry(n.clone()).or_default() += 1;
            }
            if !r.mx.is_empty() && hosts_seen.insert(r.mx.clone()) {
                *self.mx_domains.entry(r.mx.clone()).or_default() += 1;
            }
            for (id, severity) in &r.findings {
                let f = self.findings.entry(*id).or_default();
                f.severity = f.severity.max(*severity);
                if ids_seen.insert(*id) {
                    f.domains += 1;
                }
                if !r.mx.is_empty() && id_hosts_seen.insert((*id, r.mx.as_str())) {
                    *f.hosts.entry(r.mx.clone()).or_default() += 1;
                }
            }
        }
    }

    /// The summary, with at most `top` rows per ranked list.
    pub fn summary(&self, top: usize) -> Summary {
        let share = |n: u64, of: u64| Share {
            count: n,
            of,
            percent: if of == 0 {
                0.0
            } else {
                (n as f64 * 1000.0 / of as f64).round() / 10.0
            },
        };
        let mut negotiated: Vec<Count> = self
            .negotiated
            .iter()
            .map(|(k, v)| Count {
                key: k.clone(),
                count: *v,
            })
            .collect();
        negotiated.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        let mut mx_hosts: Vec<Count> = self
            .mx_domains
            .iter()
            .map(|(k, v)| Count {
                key: k.clone(),
                count: *v,
            })
            .collect();
        mx_hosts.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        mx_hosts.truncate(top);
        let mut findings: Vec<FindingSummary> = self
            .findings
            .iter()
            .map(|(id, f)| {
                let mut hosts: Vec<Count> = f
                    .hosts
                    .iter()
                    .map(|(k, v)| Count {
                        key: k.clone(),
                        count: *v,
                    })
                    .collect();
                hosts.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
                let more_hosts = hosts.len().saturating_sub(top);
                hosts.truncate(top);
                FindingSummary {
                    id: *id,
                    severity: f.severity,
                    domains: share(f.domains, self.domains),
                    hosts,
                    more_hosts,
                }
            })
            .collect();
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.domains.count.cmp(&a.domains.count))
                // Alphabetical, not catalogue order.
                .then(a.id.as_str().cmp(b.id.as_str()))
        });
        Summary {
            domains: self.domains,
            routes: self.routes,
            statuses: self.statuses.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            starttls: share(self.starttls, self.answering),
            tls13: share(self.tls13, self.answering),
            trusted: (self.trust_known > 0).then(|| share(self.trusted, self.trust_known)),
            negotiated,
            findings,
            mx_hosts,
        }
    }
}

/// Each finding's ID once, with its worst severity.
fn finding_pairs<'a>(f: impl Iterator<Item = &'a Finding>) -> Vec<(FindingId, Option<Severity>)> {
    let mut pairs: Vec<(FindingId, Option<Severity>)> = Vec::new();
    for f in f {
        match pairs.iter_mut().find(|(id, _)| *id == f.id) {
            Some((_, s)) => *s = (*s).max(Some(f.severity)),
            None => pairs.push((f.id, Some(f.severity))),
        }
    }
    pairs
}

/// A count of some key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    /// What is counted: a `PROTOCOL:CIPHER:BITS` key or an MX host name.
    pub key: String,
    /// How often: routes for a negotiated key, domains for a host.
    pub count: u64,
}

/// `count` of `of`, and the percentage (one decimal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    /// Domains that qualify.
    pub count: u64,
    /// Domains the share is taken of.
    pub of: u64,
    /// `count / of` in percent, rounded to one decimal; 0 when `of` is 0.
    pub percent: f64,
}

/// One finding over the whole scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingSummary {
    /// The finding.
    pub id: FindingId,
    /// Its worst severity in the scan; `None` when read from a CSV, which
    /// does not carry severities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Domains with the finding, of all domains.
    pub domains: Share,
    /// MX hosts with this finding, by number of domains behind them.
    pub hosts: Vec<Count>,
    /// Hosts not listed.
    pub more_hosts: usize,
}

/// Everything, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Domains counted.
    pub domains: u64,
    /// Rows: one per domain and MX address (or per domain without one).
    pub routes: u64,
    /// Rows per status: the probe's (`ok`, `no-starttls`, …), or the
    /// domain's for a row without an address (`no-mx`, `nxdomain`, …).
    pub statuses: BTreeMap<String, u64>,
    /// Domains whose answering MX addresses all offer STARTTLS, of those
    /// with at least one answering address.
    pub starttls: Share,
    /// Domains whose MX addresses with TLS all accept TLS 1.3.
    pub tls13: Share,
    /// Domains whose certificates all verify (when the scan checked trust).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted: Option<Share>,
    /// Negotiated `PROTOCOL:CIPHER:BITS`, per route, most frequent first.
    pub negotiated: Vec<Count>,
    /// Findings, worst severity first, then by the domains they concern.
    pub findings: Vec<FindingSummary>,
    /// MX hosts by number of domains.
    pub mx_hosts: Vec<Count>,
}

impl Summary {
    /// Write the summary as aligned text for people (`mxprobe stats`).
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let pct = |s: &Share| format!("{:>5.1}%  ({} of {})", s.percent, s.count, s.of);
        writeln!(
            out,
            "domains   {}   routes (domain, MX address) {}",
            self.domains, self.routes
        )?;
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(out, "statuses  {}", statuses.join(", "))?;
        writeln!(out, "STARTTLS  {}", pct(&self.starttls))?;
        writeln!(out, "TLS 1.3   {}", pct(&self.tls13))?;
        if let Some(t) = &self.trusted {
            writeln!(out, "trusted   {}", pct(t))?;
        }
        writeln!(out, "\nnegotiated (per route)")?;
        for c in &self.negotiated {
            writeln!(out, "{:>9}  {}", c.count, c.key)?;
        }
        if !self.findings.is_empty() {
            writeln!(out, "\nfindings (domains, and the MX hosts behind them)")?;
            for f in &self.findings {
                let sev = f.severity.map_or("", |s| s.as_str());
                writeln!(out, "{:>9}  {:<26} {sev}", f.domains.count, f.id)?;
                for h in &f.hosts {
                    writeln!(out, "{:>20}  {}", h.count, h.key)?;
                }
                if f.more_hosts > 0 {
                    writeln!(out, "{:>20}  more hosts", f.more_hosts)?;
                }
            }
        }
        writeln!(out, "\nMX hosts by domains")?;
        for c in &self.mx_hosts {
            writeln!(out, "{:>9}  {}", c.count, c.key)?;
        }
        Ok(())
    }

    /// One CSV table in long form:
    /// `table,key,host,severity,count,of,percent`.
    pub fn write_csv(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["table", "key", "host", "severity", "count", "of", "percent"])?;
        let share = |w: &mut csv::Writer<&mut dyn Write>, table: &str, s: &Share| {
            w.write_record([
                table,
                "",
                "",
                "",
                &s.count.to_string(),
                &s.of.to_string(),
                &s.percent.to_string(),
            ])
        };
        w.write_record(["domains", "", "", "", &self.domains.to_string(), "", ""])?;
        for (k, v) in &self.statuses {
            w.write_record([
                "status",
                k,
                "",
                "",
                &v.to_string(),
                &self.routes.to_string(),
                "",
            ])?;
        }
        share(&mut w, "starttls", &self.starttls)?;
        share(&mut w, "tls13", &self.tls13)?;
        if let Some(t) = &self.trusted {
            share(&mut w, "trusted", t)?;
        }
        for c in &self.negotiated {
            w.write_record([
                "negotiated",
                &c.key,
                "",
                "",
                &c.count.to_string(),
                &self.routes.to_string(),
                "",
            ])?;
        }
        for f in &self.findings {
            let sev = f.severity.map_or("", |s| s.as_str());
            let d = &f.domains;
            w.write_record([
                "finding",
                f.id.as_str(),
                "",
                sev,
                &d.count.to_string(),
                &d.of.to_string(),
                &d.percent.to_string(),
            ])?;
            for h in &f.hosts {
                w.write_record([
                    "finding-host",
                    f.id.as_str(),
                    &h.key,
                    sev,
                    &h.count.to_string(),
                    "",
                    "",
                ])?;
            }
        }
        for c in &self.mx_hosts {
            w.write_record([
                "mx-host",
                &c.key,
                "",
                "",
                &c.count.to_string(),
                &self.domains.to_string(),
                "",
            ])?;
        }
        w.flush()
    }

    /// Write the summary as one pretty-printed JSON object, the fields of
    /// this structure.
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(mx: &str, negotiated: Option<&str>, tls13: bool, findings: &[FindingId]) -> Route {
        Route {
            mx: mx.into(),
            status: if negotiated.is_some() {
                "ok"
            } else {
                "no-starttls"
            }
            .into(),
            starttls: Some(negotiated.is_some()),
            negotiated: negotiated.map(|n| printable(n).into_owned()),
            tls13: Some(tls13),
            trusted: None,
            findings: findings
                .iter()
                .map(|f| (*f, Some(Severity::High)))
                .collect(),
        }
    }

    #[test]
    fn counts_routes_domains_and_hosts() {
        let mut s = Stats::new();
        let modern = Some("TLSv1.3:TLS_AES_256_GCM_SHA384:256");
        let legacy_key = "TLSv1.2:DHE-RSA-AES256-SHA:256";
        let legacy = Some(legacy_key);
        // Three domains share mx.hoster; one has its own plaintext MX.
        for _ in 0..3 {
            s.add_domain(&[route(
                "mx.hoster",
                legacy,
                false,
                &[FindingId::CipherOrderLegacyFirst],
            )]);
        }
        s.add_domain(&[
            route("mx.a", modern, true, &[]),
            route("mx.b", modern, true, &[]),
        ]);
        s.add_domain(&[route("mx.plain", None, false, &[FindingId::NoStarttls])]);
        let sum = s.summary(10);
        assert_eq!(sum.domains, 5);
        assert_eq!(sum.routes, 6);
        assert_eq!((sum.starttls.count, sum.starttls.of), (4, 5));
        assert_eq!(sum.tls13.count, 1);
        assert_eq!(
            sum.negotiated[0],
            Count {
                key: legacy_key.into(),
                count: 3
            }
        );
        assert_eq!(sum.negotiated[1].count, 2);
        let f = &sum.findings[0];
        assert_eq!(
            (f.id.as_str(), f.domains.count),
            ("cipher-order-legacy-first", 3)
        );
        assert_eq!(
            f.hosts,
            vec![Count {
                key: "mx.hoster".into(),
                count: 3
            }]
        );
        assert_eq!(
            sum.mx_hosts[0],
            Count {
                key: "mx.hoster".into(),
                count: 3
            }
        );
        let mut text = Vec::new();
        sum.write_text(&mut text).expect("in memory");
        let text = String::from_utf8(text).expect("utf-8");
        assert!(
            text.contains("        3  TLSv1.2:DHE-RSA-AES256-SHA:256"),
            "{text}"
        );
        let mut csv = Vec::new();
        sum.write_csv(&mut csv).expect("in memory");
        assert!(String::from_utf8_lossy(&csv)
            .contains("finding-host,cipher-order-legacy-first,mx.hoster,high,3,,"));
    }
}
