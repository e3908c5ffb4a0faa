//! JSON: one document, `{"mxprobe": {...}, "domains": [DomainReport, ...]}`;
//! and JSON Lines: one `DomainReport` object per line.
//!
//! The shape of a `DomainReport` is documented in README.md ("JSON output").
//! The JSON document is streamed: each report is written (and flushed) as it
//! completes, and `finish` closes it, so a scan cut short leaves an
//! unterminated array. JSON Lines is what bulk scans should use: every line
//! is a complete document, written in one piece, so an interrupted file
//! stays valid up to its last line.

use std::io::{self, Write};

use serde::Serialize;

use super::ReportWriter;
use crate::model::DomainReport;

/// JSON (`-f json`): one document, streamed report by report.
pub struct JsonWriter<W: Write> {
    out: W,
    written: usize,
    opened: bool,
}

#[derive(Serialize)]
struct Header {
    version: &'static str,
}

impl<W: Write> JsonWriter<W> {
    /// A writer on `out`; the document opens with the first report (or at
    /// `finish`, for none).
    pub fn new(out: W) -> Self {
        JsonWriter {
            out,
            written: 0,
            opened: false,
        }
    }

    fn open(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        if !std::mem::replace(&mut self.opened, true) {
            let header = Header {
                version: env!("CARGO_PKG_VERSION"),
            };
            buf.extend_from_slice(b"{\"mxprobe\":");
            serde_json::to_writer(&mut *buf, &header)?;
            buf.extend_from_slice(b",\"domains\":[");
        }
        Ok(())
    }
}

impl<W: Write> ReportWriter for JsonWriter<W> {
    fn write(&mut self, report: &DomainReport) -> io::Result<()> {
        let mut buf = Vec::new();
        self.open(&mut buf)?;
        if self.written > 0 {
            buf.push(b',');
        }
        buf.push(b'\n');
        serde_json::to_writer(&mut buf, report)?;
        self.written += 1;
        self.out.write_all(&buf)?;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut buf = Vec::new();
        self.open(&mut buf)?;
        buf.extend_from_slice(b"\n]}\n");
        self.out.write_all(&buf)?;
        self.out.flush()
    }
}

/// JSON Lines (`-f jsonl`): one report per line.
pub struct JsonLinesWriter<W: Write> {
    out: W,
}

impl<W: Write> JsonLinesWriter<W> {
    /// A writer on `out` (which may already hold lines: each line stands
    /// alone).
    pub fn new(out: W) -> Self {
        JsonLinesWriter { out }
    }
}

impl<W: Write> ReportWriter for JsonLinesWriter<W> {
    fn write(&mut self, report: &DomainReport) -> io::Result<()> {
        let mut line = serde_json::to_vec(report)?;
        line.push(b'\n');
        self.out.write_all(&line)?;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
