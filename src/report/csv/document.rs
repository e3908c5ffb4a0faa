//! A CSV document written a report at a time: its header once, each
//! report's rows in one piece.

use std::io::{self, Write};

use serde::Serialize;

/// Rows go to memory first and reach `out` together with [`commit`], so a
/// report's rows reach the file whole or not at all, even if the process
/// is killed.
///
/// [`commit`]: Document::commit
pub(crate) struct Document<W: Write> {
    rows: csv::Writer<Vec<u8>>,
    out: W,
    /// The header, until it is written.
    header: Option<&'static [&'static str]>,
}

impl<W: Write> Document<W> {
    /// A new document with `header` as its first line.
    pub(crate) fn new(out: W, header: &'static [&'static str]) -> Self {
        Document {
            rows: buffer(),
            out,
            header: Some(header),
        }
    }

    /// Rows appended to a document that already has its header.
    pub(crate) fn appending(out: W) -> Self {
        Document {
            rows: buffer(),
            out,
            header: None,
        }
    }

    /// Render one row (after the header, if it is still due).
    pub(crate) fn row(&mut self, row: impl Serialize) -> io::Result<()> {
        self.header()?;
        self.rows.serialize(row)?;
        Ok(())
    }

    /// Write what was rendered in one piece (the header at least), then
    /// flush.
    pub(crate) fn commit(&mut self) -> io::Result<()> {
        self.header()?;
        let rendered = std::mem::replace(&mut self.rows, buffer());
        let bytes = rendered.into_inner().map_err(|e| e.into_error())?;
        self.out.write_all(&bytes)?;
        self.out.flush()
    }

    fn header(&mut self) -> io::Result<()> {
        if let Some(header) = self.header.take() {
            self.rows.write_record(header)?;
        }
        Ok(())
    }
}

/// A CSV writer into memory.
fn buffer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new())
}
