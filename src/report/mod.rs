//! Writers that render [`DomainReport`]s as CSV, JSON or text.
//!
//! Every format renders the same types from [`crate::model`]; none has a data
//! model of its own. Writers take one report at a time and hold none of them,
//! so a scan of any size streams through in constant memory.

use std::io;
use std::str::FromStr;

use crate::model::DomainReport;

mod ciphers;
mod csv;
mod json;
mod rows;
mod senders;
mod text;

pub use self::ciphers::CiphersWriter;
pub use self::csv::{CsvReader, CsvWriter, ReadError, Record, COLUMNS as CSV_COLUMNS};
pub use self::json::{JsonLinesWriter, JsonWriter};
pub(crate) use self::rows::places;
pub use self::senders::SendersWriter;
pub use self::text::{cost_summary, TextWriter};

/// An output format (`-f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text for people, one block per domain.
    Text,
    /// One CSV row per domain, MX host and address (columns in
    /// [`CSV_COLUMNS`]).
    Csv,
    /// One JSON document holding every report.
    Json,
    /// JSON Lines: one report per line (for bulk scans).
    Jsonl,
    /// The cipher table: one CSV row per accepted cipher and version.
    Ciphers,
    /// The sender table: one CSV row per sender profile and address.
    Senders,
    /// One self-contained HTML page (see [`crate::html`]).
    Html,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "jsonl" => Ok(Format::Jsonl),
            "html" => Ok(Format::Html),
            "ciphers" => Ok(Format::Ciphers),
            "senders" => Ok(Format::Senders),
            _ => Err(format!(
                "unknown format {s:?} (expected text, csv, json, jsonl, ciphers, senders or html)"
            )),
        }
    }
}

/// Renders reports one at a time.
pub trait ReportWriter {
    /// Write one report (as a whole: a report is never split by another).
    fn write(&mut self, report: &DomainReport) -> io::Result<()>;
    /// Write whatever closes the document and flush.
    fn finish(&mut self) -> io::Result<()>;
}
