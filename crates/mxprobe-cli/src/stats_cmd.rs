//! `mxprobe stats FILE...`: statistics of an earlier scan's CSV or JSON
//! Lines output, read as a stream.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::process::ExitCode;

use anyhow::Context;

use mxprobe::html::{HtmlOptions, HtmlReport};
use mxprobe::model::DomainReport;
use mxprobe::report::CsvReader;
use mxprobe::stats::Stats;

use crate::cli::{StatsArgs, StatsFormat};

pub fn run(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let mut stats = Stats::new();
    let mut html = args.html.as_ref().map(|_| {
        HtmlReport::new(HtmlOptions {
            policy: "as recorded in the scan".into(),
            fail_on: args.fail_on,
        })
    });
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
            Some(b'{') => add_jsonl(&mut stats, html.as_mut(), reader, &name)?,
            Some(_) => add_csv(&mut stats, html.as_mut(), reader, &name)?,
        }
    }
    let summary = stats.summary(args.top);
    if let (Some(page), Some(path)) = (&html, &args.html) {
        let file =
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        page.write(&summary, &mut BufWriter::new(file))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
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

fn add_jsonl(
    stats: &mut Stats,
    mut html: Option<&mut HtmlReport>,
    reader: impl BufRead,
    name: &str,
) -> anyhow::Result<()> {
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {name}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let report: DomainReport = serde_json::from_str(&line)
            .with_context(|| format!("{name}: line {} is not a scan result", n + 1))?;
        stats.add_report(&report);
        if let Some(page) = html.as_deref_mut() {
            page.add_report(&report);
        }
    }
    Ok(())
}

fn add_csv(
    stats: &mut Stats,
    mut html: Option<&mut HtmlReport>,
    reader: impl Read,
    name: &str,
) -> anyhow::Result<()> {
    let mut csv = CsvReader::new(reader).with_context(|| format!("cannot read {name}"))?;
    for rows in csv.domains() {
        let rows = rows.with_context(|| format!("cannot read {name}"))?;
        stats
            .add_csv_domain(&rows)
            .with_context(|| format!("cannot read {name}"))?;
        if let Some(page) = html.as_deref_mut() {
            page.add_csv_domain(&rows);
        }
    }
    let skipped = csv.skipped();
    if !skipped.header_lines.is_empty() {
        let lines: Vec<String> = skipped.header_lines.iter().map(u64::to_string).collect();
        eprintln!(
            "mxprobe: {name}: skipped the header repeated on line{} {} (concatenated scans)",
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", ")
        );
    }
    if let Some(line) = skipped.cut_line {
        eprintln!(
            "mxprobe: {name}: skipped line {line}, cut short (the scan writing it was interrupted)"
        );
    }
    Ok(())
}
