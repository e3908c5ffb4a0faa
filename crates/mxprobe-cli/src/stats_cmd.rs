//! `mxprobe stats FILE...`: statistics of an earlier scan's CSV or JSON
//! Lines output, read as a stream.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};

use mxprobe::model::DomainReport;
use mxprobe::stats::{Route, Stats};

use crate::cli::{StatsArgs, StatsFormat};

pub fn run(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let mut stats = Stats::new();
    for path in &args.files {
        let name = path.display().to_string();
        let reader: Box<dyn Read> = if name == "-" {
            Box::new(io::stdin())
        } else {
            Box::new(File::open(path).with_context(|| format!("cannot read {name}"))?)
        };
        let mut reader = BufReader::new(reader);
        let first = reader
            .fill_buf()
            .with_context(|| format!("cannot read {name}"))?;
        match first.first() {
            None => {}
            Some(b'{') => add_jsonl(&mut stats, reader, &name)?,
            Some(_) => add_csv(&mut stats, reader, &name)?,
        }
    }
    let summary = stats.summary(args.top);
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    match args.format {
        StatsFormat::Text => summary.write_text(&mut out),
        StatsFormat::Csv => summary.write_csv(&mut out),
        StatsFormat::Json => summary.write_json(&mut out),
    }
    .and_then(|()| out.flush())
    .context("cannot write the statistics")?;
    Ok(ExitCode::SUCCESS)
}

fn add_jsonl(stats: &mut Stats, reader: impl BufRead, name: &str) -> anyhow::Result<()> {
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {name}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let report: DomainReport = serde_json::from_str(&line)
            .with_context(|| format!("{name}: line {} is not a scan result", n + 1))?;
        stats.add_report(&report);
    }
    Ok(())
}

/// CSV rows of one domain are consecutive: group them.
fn add_csv(stats: &mut Stats, reader: impl Read, name: &str) -> anyhow::Result<()> {
    let mut r = csv::Reader::from_reader(reader);
    let headers = r
        .headers()
        .with_context(|| format!("cannot read {name}"))?
        .clone();
    let col: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    for needed in ["domain", "mx", "status"] {
        if !col.contains_key(needed) {
            bail!("{name}: not a mxprobe CSV (no {needed:?} column)");
        }
    }
    fn field<'r>(col: &HashMap<&str, usize>, rec: &'r csv::StringRecord, c: &str) -> &'r str {
        col.get(c).and_then(|i| rec.get(*i)).unwrap_or("")
    }
    let yes_no = |v: &str| match v {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let mut domain = String::new();
    let mut routes: Vec<Route> = Vec::new();
    for rec in r.records() {
        let rec = rec.with_context(|| format!("cannot read {name}"))?;
        let d = field(&col, &rec, "domain");
        if d != domain && !routes.is_empty() {
            stats.add_domain(&routes);
            routes.clear();
        }
        domain = d.to_string();
        let negotiated = Some(field(&col, &rec, "negotiated")).filter(|v| !v.is_empty());
        let tls13 = yes_no(field(&col, &rec, "tlsv1_3"))
            .or_else(|| negotiated.map(|n| n.starts_with("TLSv1.3:")));
        let findings = field(&col, &rec, "findings")
            .split_whitespace()
            .map(|id| id.parse().map(|id| (id, None)))
            .collect::<Result<_, String>>()
            .map_err(|e| {
                let line = rec.position().map_or(0, |p| p.line());
                anyhow::anyhow!("{name}: line {line}: {e}")
            })?;
        routes.push(Route {
            mx: field(&col, &rec, "mx").to_string(),
            status: field(&col, &rec, "status").to_string(),
            starttls: yes_no(field(&col, &rec, "starttls")),
            negotiated: negotiated.map(str::to_string),
            tls13,
            trusted: yes_no(field(&col, &rec, "cert_trusted")),
            findings,
        });
    }
    if !routes.is_empty() {
        stats.add_domain(&routes);
    }
    Ok(())
}
