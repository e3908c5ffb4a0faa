//! JSON: one document, `{"mxprobe": {...}, "domains": [DomainReport, ...]}`.
//!
//! The shape of a `DomainReport` is documented in README.md ("JSON output").
//! The array is streamed: each report is written (and flushed) as it
//! completes, and the document is closed by `finish`.

use std::io::{self, Write};

use serde::Serialize;

use super::ReportWriter;
use crate::model::DomainReport;

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
    pub fn new(out: W) -> Self {
        JsonWriter {
            out,
            written: 0,
            opened: false,
        }
    }

    fn open(&mut self) -> io::Result<()> {
        if !std::mem::replace(&mut self.opened, true) {
            let header = Header {
                version: env!("CARGO_PKG_VERSION"),
            };
            write!(self.out, "{{\"mxprobe\":")?;
            serde_json::to_writer(&mut self.out, &header)?;
            write!(self.out, ",\"domains\":[")?;
        }
        Ok(())
    }
}

impl<W: Write> ReportWriter for JsonWriter<W> {
    fn write(&mut self, report: &DomainReport) -> io::Result<()> {
        self.open()?;
        if self.written > 0 {
            self.out.write_all(b",")?;
        }
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, report)?;
        self.written += 1;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.open()?;
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()
    }
}
