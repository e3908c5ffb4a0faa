//! The output contract, pinned: the reports of a scan of the test lab
//! (`testdata/golden/reports.jsonl`) rendered as JSON Lines, CSV, text and
//! statistics must equal the files next to it byte for byte.
//!
//! After a deliberate change of the output, regenerate them and review the
//! diff:
//!
//! ```sh
//! MXPROBE_BLESS=1 cargo test --test golden
//! ```
//!
//! How `reports.jsonl` itself was made (a new scan changes timings and
//! certificates, so only redo it when the reports gain something to show)
//! is in `testdata/golden/README.md`.

use std::path::{Path, PathBuf};

use mxprobe::html::{HtmlOptions, HtmlWriter};
use mxprobe::model::DomainReport;
use mxprobe::report::{
    CiphersWriter, CsvReader, CsvWriter, JsonLinesWriter, ReportWriter, SendersWriter, TextWriter,
};
use mxprobe::stats::{Stats, Summary};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden")
}

fn reports() -> Vec<DomainReport> {
    let text = std::fs::read_to_string(dir().join("reports.jsonl")).expect("reports.jsonl");
    text.lines()
        .enumerate()
        .map(|(n, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("reports.jsonl line {}: {e}", n + 1))
        })
        .collect()
}

fn render(w: &mut dyn ReportWriter, reports: &[DomainReport]) {
    for r in reports {
        w.write(r).expect("render");
    }
    w.finish().expect("finish");
}

/// Compare `got` with the golden file `name`, or write it when blessing.
fn golden(name: &str, got: &[u8]) {
    let path = dir().join(name);
    if std::env::var_os("MXPROBE_BLESS").is_some() {
        // Atomically: the other tests read reports.jsonl meanwhile.
        let tmp = path.with_extension("new");
        std::fs::write(&tmp, got).expect("write golden file");
        std::fs::rename(&tmp, &path).expect("replace golden file");
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if want != got {
        let (want, got) = (String::from_utf8_lossy(&want), String::from_utf8_lossy(got));
        let line = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| want.lines().count().min(got.lines().count()));
        panic!(
            "{name} differs from the output, first at line {}:\n  golden: {:?}\n  output: {:?}\n\
             (after a deliberate change: MXPROBE_BLESS=1 cargo test --test golden)",
            line + 1,
            want.lines().nth(line).unwrap_or("<end>"),
            got.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

#[test]
fn json_lines() {
    let mut out = Vec::new();
    render(&mut JsonLinesWriter::new(&mut out), &reports());
    golden("reports.jsonl", &out);
}

#[test]
fn csv() {
    let mut out = Vec::new();
    render(&mut CsvWriter::new(&mut out), &reports());
    golden("reports.csv", &out);
}

#[test]
fn cipher_table() {
    let mut out = Vec::new();
    render(&mut CiphersWriter::new(&mut out), &reports());
    golden("ciphers.csv", &out);
}

#[test]
fn sender_table() {
    let mut out = Vec::new();
    render(&mut SendersWriter::new(&mut out), &reports());
    golden("senders.csv", &out);
}

#[test]
fn text() {
    let mut out = Vec::new();
    render(&mut TextWriter::new(&mut out), &reports());
    golden("reports.txt", &out);
}

#[test]
fn html_page() {
    let mut out = Vec::new();
    render(
        &mut HtmlWriter::new(&mut out, HtmlOptions::default()),
        &reports(),
    );
    golden("report.html", &out);
}

fn live_stats() -> Summary {
    let mut stats = Stats::new();
    for r in reports() {
        stats.add_report(&r);
    }
    stats.summary(10)
}

#[test]
fn statistics() {
    let summary = live_stats();
    let mut text = Vec::new();
    summary.write_text(&mut text).expect("text");
    golden("stats.txt", &text);
    let mut json = Vec::new();
    summary.write_json(&mut json).expect("json");
    golden("stats.json", &json);
}

/// The statistics of the CSV are those of the reports it was written from
/// (the trusted share included), but for the findings' severities, which
/// the CSV does not carry.
#[test]
fn statistics_of_the_csv_are_those_of_the_reports() {
    let mut live = live_stats();
    assert!(
        live.trusted.as_ref().is_some_and(|t| t.of > 0),
        "the golden scan has certificate verdicts: {:?}",
        live.trusted
    );
    for f in &mut live.findings {
        f.severity = None;
    }
    let mut out = Vec::new();
    render(&mut CsvWriter::new(&mut out), &reports());
    let mut stats = Stats::new();
    let mut csv = CsvReader::new(out.as_slice()).expect("header");
    stats.add_csv(&mut csv).expect("rows");
    let mut from_csv = stats.summary(10);
    // Equal counts rank in the same order either way; only severities
    // decide the rank of findings, and those were cleared above.
    from_csv.findings.sort_by(|a, b| {
        b.domains
            .count
            .cmp(&a.domains.count)
            .then(a.id.as_str().cmp(b.id.as_str()))
    });
    live.findings.sort_by(|a, b| {
        b.domains
            .count
            .cmp(&a.domains.count)
            .then(a.id.as_str().cmp(b.id.as_str()))
    });
    assert_eq!(from_csv, live);
}
