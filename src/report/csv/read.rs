//! Reading the CSV back: `mxprobe stats FILE.csv`, `--resume`, and the
//! statistics of a live scan, which read each row as it is written.
//!
//! Columns are found by name, so a file from an older mxprobe (fewer
//! columns at the end) reads as well; [`CsvReader::is_current`] tells
//! whether rows of this version may be appended to it.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read};
use std::sync::{Arc, OnceLock};

use super::{Row, COLUMNS};
use crate::report::rows::Place;

/// Column names and where they are.
#[derive(Debug)]
struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Header {
    fn new(names: Vec<String>) -> Header {
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Header { names, index }
    }

    /// This version's columns.
    fn current() -> Arc<Header> {
        static CURRENT: OnceLock<Arc<Header>> = OnceLock::new();
        CURRENT
            .get_or_init(|| Arc::new(Header::new(COLUMNS.iter().map(|c| c.to_string()).collect())))
            .clone()
    }
}

/// Why a CSV could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Reading failed.
    Io(io::Error),
    /// The header lacks a column every mxprobe CSV has: not one of ours.
    MissingColumn(&'static str),
    /// A row is not CSV, or one of its values is not what mxprobe writes.
    Row {
        /// Line number (1 is the header).
        line: u64,
        /// What is wrong, one line.
        reason: String,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::MissingColumn(c) => write!(f, "not a mxprobe CSV (no {c:?} column)"),
            ReadError::Row { line, reason } => write!(f, "line {line}: {reason}"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<csv::Error> for ReadError {
    fn from(e: csv::Error) -> ReadError {
        let line = e.position().map_or(0, |p| p.line());
        if e.is_io_error() {
            if let csv::ErrorKind::Io(e) = e.into_kind() {
                return ReadError::Io(e);
            }
            return ReadError::Io(io::Error::other("unreadable"));
        }
        ReadError::Row {
            line,
            reason: e.to_string(),
        }
    }
}

/// One row, its values found by column name.
#[derive(Debug, Clone)]
pub struct Record {
    fields: csv::StringRecord,
    header: Arc<Header>,
    line: u64,
}

impl Record {
    /// The row of `place` exactly as the CSV writer writes it, read back.
    pub(crate) fn of(place: Place<'_>) -> Record {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        let fields = w
            .serialize(Row::of(place))
            .ok()
            .and_then(|()| w.into_inner().ok())
            .and_then(|bytes| {
                csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(bytes.as_slice())
                    .records()
                    .next()
                    .and_then(Result::ok)
            })
            // Writing into memory and reading it back cannot fail; should
            // it, the row is empty rather than the scan stopped.
            .unwrap_or_default();
        Record {
            fields,
            header: Header::current(),
            line: 0,
        }
    }

    /// The value of `column` (empty when the file has no such column).
    pub fn get(&self, column: &str) -> &str {
        debug_assert!(COLUMNS.contains(&column), "no column {column:?}");
        self.header
            .index
            .get(column)
            .and_then(|i| self.fields.get(*i))
            .unwrap_or("")
    }

    /// The `domain` column.
    pub fn domain(&self) -> &str {
        self.get("domain")
    }

    /// The line the row starts on (0 for a row not read from a file).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// `yes` or `no` in `column` as a bool; `None` when empty (not known).
    pub fn yes_no(&self, column: &str) -> Option<bool> {
        match self.get(column) {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        }
    }

    /// A complaint about this row's `column`.
    pub(crate) fn error(&self, column: &str, reason: impl fmt::Display) -> ReadError {
        ReadError::Row {
            line: self.line,
            reason: format!("{column}: {reason}"),
        }
    }
}

/// What reading skipped, for the caller to tell the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Lines that repeat the header (files concatenated with `cat`).
    pub header_lines: Vec<u64>,
    /// The line of a last row cut short (the file does not end with a
    /// line break: the scan writing it was killed).
    pub cut_line: Option<u64>,
}

/// The input, remembering whether it ended with a line break.
struct Tail<R> {
    inner: R,
    last: Arc<std::sync::atomic::AtomicU8>,
}

impl<R: Read> Read for Tail<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(b) = buf[..n].last() {
            self.last.store(*b, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Reads a mxprobe CSV as a stream of [`Record`]s.
///
/// Rows that repeat the header are skipped, and so is a last row cut short
/// (mxprobe ends every row with a line break, so a file without one at its
/// end was cut while written); [`CsvReader::skipped`] tells which.
pub struct CsvReader<R: Read> {
    inner: csv::Reader<Tail<R>>,
    header: Arc<Header>,
    last_byte: Arc<std::sync::atomic::AtomicU8>,
    /// A row read ahead: the last row is only known to be whole at the end.
    ahead: Option<Result<Record, ReadError>>,
    skipped: Skipped,
}

impl<R: Read> CsvReader<R> {
    /// Read the header. Empty input is a CSV without rows; a header without
    /// the `domain`, `mx` and `status` columns is not a mxprobe CSV.
    pub fn new(input: R) -> Result<CsvReader<R>, ReadError> {
        let last_byte = Arc::new(std::sync::atomic::AtomicU8::new(b'\n'));
        let tail = Tail {
            inner: input,
            last: last_byte.clone(),
        };
        let mut inner = csv::ReaderBuilder::new().flexible(false).from_reader(tail);
        let names: Vec<String> = inner.headers()?.iter().map(str::to_string).collect();
        let header = Header::new(names);
        if !header.names.is_empty() {
            for needed in ["domain", "mx", "status"] {
                if !header.index.contains_key(needed) {
                    return Err(ReadError::MissingColumn(needed));
                }
            }
        }
        Ok(CsvReader {
            inner,
            header: Arc::new(header),
            last_byte,
            ahead: None,
            skipped: Skipped::default(),
        })
    }

    /// Whether the input had a header at all.
    pub fn has_header(&self) -> bool {
        !self.header.names.is_empty()
    }

    /// Whether the columns are exactly this version's, so that rows written
    /// now may be appended.
    pub fn is_current(&self) -> bool {
        self.header
            .names
            .iter()
            .map(String::as_str)
            .eq(COLUMNS.iter().copied())
    }

    /// What was skipped so far (all of it once the rows are read).
    pub fn skipped(&self) -> &Skipped {
        &self.skipped
    }

    /// The next row from the file, repeated headers skipped.
    fn read_row(&mut self) -> Option<Result<Record, ReadError>> {
        let mut fields = csv::StringRecord::new();
        loop {
            match self.inner.read_record(&mut fields) {
                Ok(false) => return None,
                Err(e) => return Some(Err(e.into())),
                Ok(true) => {}
            }
            let line = fields.position().map_or(0, |p| p.line());
            if fields
                .iter()
                .eq(self.header.names.iter().map(String::as_str))
            {
                self.skipped.header_lines.push(line);
                continue;
            }
            return Some(Ok(Record {
                fields,
                header: self.header.clone(),
                line,
            }));
        }
    }

    /// The next row, in file order.
    fn next_record(&mut self) -> Option<Result<Record, ReadError>> {
        if self.ahead.is_none() {
            self.ahead = self.read_row();
        }
        let current = self.ahead.take()?;
        self.ahead = self.read_row();
        let at_end = self.ahead.is_none();
        if at_end && self.last_byte.load(std::sync::atomic::Ordering::Relaxed) != b'\n' {
            // Cut while written; a cut row may also have too few fields.
            self.skipped.cut_line = Some(match &current {
                Ok(r) => r.line,
                Err(ReadError::Row { line, .. }) => *line,
                Err(_) => 0,
            });
            return None;
        }
        Some(current)
    }

    /// The rows, in file order.
    pub fn records(&mut self) -> impl Iterator<Item = Result<Record, ReadError>> + '_ {
        std::iter::from_fn(move || self.next_record())
    }

    /// The rows grouped by domain: a domain's rows are consecutive, as the
    /// writer writes them.
    pub fn domains(&mut self) -> impl Iterator<Item = Result<Vec<Record>, ReadError>> + '_ {
        let mut pending: Option<Result<Record, ReadError>> = None;
        std::iter::from_fn(move || {
            let first = match pending.take().or_else(|| self.next_record())? {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            let mut group = vec![first];
            loop {
                match self.next_record() {
                    Some(Ok(next)) if next.domain() == group[0].domain() => group.push(next),
                    other => {
                        pending = other;
                        break;
                    }
                }
            }
            Some(Ok(group))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AddressReport, DomainReport, DomainStatus, MxReport, ProbeStatus, Target};
    use crate::report::{places, CsvWriter, ReportWriter};

    fn report(name: &str, addresses: usize) -> DomainReport {
        let Ok(target) = Target::domain(name) else {
            panic!("{name} is a domain")
        };
        DomainReport {
            target,
            status: DomainStatus::Ok,
            error: None,
            mx: vec![MxReport {
                host: format!("mx.{name}"),
                preference: Some(10),
                implicit: false,
                error: (addresses == 0).then(|| "no address".to_string()),
                addresses: (0..addresses)
                    .map(|i| {
                        AddressReport::new(
                            std::net::IpAddr::from([192, 0, 2, i as u8 + 1]),
                            25,
                            ProbeStatus::Unreachable,
                        )
                    })
                    .collect(),
                dane: None,
            }],
            mta_sts: None,
            tls_rpt: None,
            findings: vec![],
        }
    }

    #[test]
    fn rows_read_back_are_the_rows_written_grouped_by_domain() {
        let reports = [
            report("a.example", 2),
            report("b.example", 0),
            report("c.example", 1),
        ];
        let mut out = Vec::new();
        let mut w = CsvWriter::new(&mut out);
        for r in &reports {
            w.write(r).expect("write");
        }
        w.finish().expect("finish");
        let mut csv = CsvReader::new(out.as_slice()).expect("header");
        assert!(csv.has_header() && csv.is_current());
        let groups: Vec<Vec<Record>> = csv.domains().collect::<Result<_, _>>().expect("rows");
        assert_eq!(groups.len(), 3);
        for (group, report) in groups.iter().zip(&reports) {
            let written: Vec<Record> = places(report).map(Record::of).collect();
            assert_eq!(group.len(), written.len());
            for (read, written) in group.iter().zip(&written) {
                assert_eq!(read.fields, written.fields);
                assert_eq!(read.domain(), report.target.name());
            }
        }
        assert_eq!(groups[1][0].get("status"), "dns-error");
        assert_eq!(groups[1][0].get("error"), "no address");
        assert_eq!(groups[0][1].get("ip"), "192.0.2.2");
        assert_eq!(groups[0][1].line(), 3);
    }

    #[test]
    fn older_files_read_by_column_name_and_foreign_ones_are_refused() {
        let old = "domain,mx,status,starttls\nexample.org,mx.example.org,ok,yes\n";
        let mut csv = CsvReader::new(old.as_bytes()).expect("header");
        assert!(!csv.is_current());
        let rows: Vec<Record> = csv.records().collect::<Result<_, _>>().expect("rows");
        assert_eq!(rows[0].yes_no("starttls"), Some(true));
        assert_eq!(rows[0].get("cert_trusted"), "");
        let err = CsvReader::new("name,ip\nx,y\n".as_bytes())
            .err()
            .expect("not ours");
        assert_eq!(err.to_string(), "not a mxprobe CSV (no \"domain\" column)");
        let empty = CsvReader::new(&b""[..]).expect("empty input");
        assert!(!empty.has_header());
        let ragged = "domain,mx,status\na,b\nc,d,e\n";
        let mut csv = CsvReader::new(ragged.as_bytes()).expect("header");
        let first = csv.records().next();
        match first {
            Some(Err(ReadError::Row { line, .. })) => assert_eq!(line, 2),
            other => panic!("a short row is an error: {other:?}"),
        }
    }

    #[test]
    fn repeated_headers_and_a_cut_last_row_are_skipped_and_told() {
        let text = "domain,mx,status\na,mx.a,ok\ndomain,mx,status\nb,mx.b,ok\nc,mx.c,o";
        let mut csv = CsvReader::new(text.as_bytes()).expect("header");
        let domains: Vec<String> = csv
            .records()
            .map(|r| r.expect("row").domain().to_string())
            .collect();
        assert_eq!(domains, ["a", "b"]);
        assert_eq!(
            csv.skipped(),
            &Skipped {
                header_lines: vec![3],
                cut_line: Some(5),
            }
        );
        // Cut inside a field, so the row has too few fields.
        let mut csv =
            CsvReader::new("domain,mx,status\na,mx.a,ok\nb,mx".as_bytes()).expect("header");
        let groups: Vec<_> = csv.domains().collect::<Result<_, _>>().expect("rows");
        assert_eq!(groups.len(), 1);
        assert_eq!(csv.skipped().cut_line, Some(3));
        // A whole file is read whole.
        let mut csv = CsvReader::new("domain,mx,status\na,mx.a,ok\n".as_bytes()).expect("header");
        assert_eq!(csv.records().count(), 1);
        assert_eq!(csv.skipped(), &Skipped::default());
    }
}
