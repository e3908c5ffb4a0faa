//! Domain lists: one domain per line, or a CSV file with a `domain` column.
//!
//! Lines are trimmed; blank lines and `#` comments (whole-line or trailing)
//! are skipped; names are normalised like command-line domains (lower case,
//! trailing dot dropped, IDN to A-labels), so duplicates that differ only in
//! spelling are scanned once. An invalid line is reported with its line
//! number and skipped; reading goes on. A file whose first data line is a
//! CSV header with a `domain` column is read as CSV (any other columns are
//! ignored). A UTF-8 byte-order mark at the start is dropped.
//!
//! Reading streams: memory grows only with the set of distinct domains kept
//! to drop duplicates (about 100 bytes each).

use std::collections::HashSet;
use std::io::BufRead;

use crate::model::Target;

pub use crate::limits::DOMAIN_LIST_LINE as MAX_LINE;

/// A line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct InputError {
    /// Line number in the input, from 1.
    pub line: u64,
    /// Why it cannot be used (not a valid domain name, too long, not
    /// UTF-8), one line.
    pub reason: String,
}

/// What one line of input yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A domain to scan, normalised and not seen before.
    Target(Target),
    /// A line that could not be used; reading goes on.
    Invalid(InputError),
}

/// Reads targets from a domain list, lazily.
pub struct DomainList<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
    /// Index of the `domain` column once a CSV header was seen.
    csv_column: Option<usize>,
    seen_data: bool,
    seen: HashSet<String>,
    skip: HashSet<String>,
    only: Option<Keep>,
}

/// Which domains (A-label form) a list yields ([`DomainList::only`]).
type Keep = Box<dyn Fn(&str) -> bool + Send>;

impl<R: BufRead> DomainList<R> {
    /// A list read from `reader`, plain or CSV (decided by the first data
    /// line).
    pub fn new(reader: R) -> Self {
        DomainList {
            reader,
            line: 0,
            buf: Vec::new(),
            csv_column: None,
            seen_data: false,
            seen: HashSet::new(),
            skip: HashSet::new(),
            only: None,
        }
    }

    /// The number of the line read last, from 1 (0 before the first): the
    /// line of the item [`Iterator::next`] returned last.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Yield only the domains (A-label form) `keep` holds to, e.g. one
    /// shard's; the others are neither yielded nor remembered, so a shard
    /// reading a list of millions keeps only its own names for spotting
    /// duplicates. Line numbers still count every line.
    pub fn only(mut self, keep: impl Fn(&str) -> bool + Send + 'static) -> Self {
        self.only = Some(Box::new(keep));
        self
    }

    /// Also skip these domains (A-label form), e.g. those already in the
    /// output of an interrupted scan.
    pub fn skipping(mut self, done: HashSet<String>) -> Self {
        self.skip = done;
        self
    }

    /// Read one line into `buf` (without its end: `\n`, `\r\n`, or the
    /// end of input after an optional `\r`), keeping at most [`MAX_LINE`]
    /// bytes of it (and a `\r` that may end it); `None` at the end of input. Returns whether the line was
    /// longer.
    fn read_line(&mut self) -> std::io::Result<Option<bool>> {
        self.buf.clear();
        let (mut len, mut any) = (0usize, false);
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() && !any {
                return Ok(None);
            }
            any = true;
            // (bytes of the line, bytes used, whether the line ends here)
            let (take, used, end) = match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => (i, i + 1, true),
                None => (chunk.len(), chunk.len(), chunk.is_empty()),
            };
            // One byte more than the limit: a `\r` that turns out to be
            // part of the line end must not make a full line too long.
            let room = (MAX_LINE + 1).saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&chunk[..take.min(room)]);
            len = len.saturating_add(take);
            self.reader.consume(used);
            if end {
                if len <= MAX_LINE + 1 && self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                    len -= 1;
                }
                return Ok(Some(len > MAX_LINE));
            }
        }
    }

    /// The domain named on this line, if any.
    fn field(&mut self, text: &str) -> Result<Option<String>, String> {
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            return Ok(None);
        }
        if !self.seen_data {
            self.seen_data = true;
            if text.contains(',') {
                let header = csv_fields(text);
                if let Some(i) = header
                    .iter()
                    .position(|h| h.trim().eq_ignore_ascii_case("domain"))
                {
                    self.csv_column = Some(i);
                    return Ok(None);
                }
            }
        }
        if let Some(i) = self.csv_column {
            let fields = csv_fields(text);
            return match fields.get(i).map(|f| f.trim()) {
                Some(f) if !f.is_empty() => Ok(Some(f.to_string())),
                _ => Err("no value in the domain column".into()),
            };
        }
        // A trailing comment after the domain.
        let text = text.split('#').next().unwrap_or("").trim();
        Ok((!text.is_empty()).then(|| text.to_string()))
    }
}

/// Split one CSV line into fields (quotes allowed; no embedded newlines).
fn csv_fields(line: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    r.records()
        .next()
        .and_then(|rec| rec.ok())
        .map(|rec| rec.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

impl<R: BufRead> Iterator for DomainList<R> {
    type Item = std::io::Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let cut = match self.read_line() {
                Ok(Some(cut)) => cut,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            self.line += 1;
            let line = self.line;
            let invalid = |reason: String| Some(Ok(Item::Invalid(InputError { line, reason })));
            if cut {
                return invalid(format!("longer than {MAX_LINE} bytes"));
            }
            let Ok(mut text) = std::str::from_utf8(&self.buf) else {
                return invalid("not UTF-8 text".into());
            };
            if line == 1 {
                // A byte-order mark, as Windows editors write them.
                text = text.strip_prefix('\u{feff}').unwrap_or(text);
            }
            let text = text.to_string();
            let name = match self.field(&text) {
                Ok(Some(name)) => name,
                Ok(None) => continue,
                Err(reason) => return invalid(reason),
            };
            match Target::domain(&name) {
                Ok(target) => {
                    let Target::Domain { ascii, .. } = &target else {
                        continue;
                    };
                    if self.only.as_ref().is_some_and(|keep| !keep(ascii))
                        || self.skip.contains(ascii)
                        || !self.seen.insert(ascii.clone())
                    {
                        continue;
                    }
                    return Some(Ok(Item::Target(target)));
                }
                Err(e) => return invalid(e.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Result<String, String>> {
        DomainList::new(text.as_bytes())
            .map(|r| match r.expect("in memory") {
                Item::Target(Target::Domain { ascii, .. }) => Ok(ascii),
                Item::Target(t) => Ok(t.name().to_string()),
                Item::Invalid(e) => Err(e.to_string()),
            })
            .collect()
    }

    #[test]
    fn plain_lists() {
        let got = read(
            "# my domains\n\nexample.org\n  Example.ORG.  \nmünchen.de # trailing comment\r\nbad..name\nexample.net\n",
        );
        assert_eq!(
            got,
            vec![
                Ok("example.org".into()),
                Ok("xn--mnchen-3ya.de".into()),
                Err("line 6: invalid domain name \"bad..name\": contains an empty label".into()),
                Ok("example.net".into()),
            ]
        );
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        assert_eq!(
            read("\u{feff}example.org\nexample.net\n"),
            vec![Ok("example.org".to_string()), Ok("example.net".to_string())]
        );
        assert_eq!(
            read("\u{feff}id,domain\n1,example.org\n"),
            vec![Ok("example.org".to_string())]
        );
    }

    #[test]
    fn csv_with_a_domain_column() {
        let got =
            read("rank,Domain,owner\n1,example.org,\"Example, Inc.\"\n2,,x\n3,EXAMPLE.net,y\n");
        assert_eq!(
            got,
            vec![
                Ok("example.org".into()),
                Err("line 3: no value in the domain column".into()),
                Ok("example.net".into()),
            ]
        );
    }

    #[test]
    fn long_and_binary_lines_are_reported_not_buffered() {
        let long = format!("{}\nexample.org\n\u{0}\u{ff}\n", "a".repeat(100_000));
        let mut text = long.into_bytes();
        text.extend_from_slice(b"\xff\xfe\nexample.net");
        let got: Vec<_> = DomainList::new(&text[..])
            .map(|r| match r.expect("in memory") {
                Item::Target(t) => Ok(t.name().to_string()),
                Item::Invalid(e) => Err(e.to_string()),
            })
            .collect();
        assert_eq!(got[0], Err(format!("line 1: longer than {MAX_LINE} bytes")));
        assert_eq!(got[1], Ok("example.org".into()));
        assert!(got[2].is_err());
        assert_eq!(got[3], Err("line 4: not UTF-8 text".into()));
        assert_eq!(
            got[4],
            Ok("example.net".into()),
            "last line without newline"
        );
    }

    /// A line of exactly MAX_LINE bytes fits whatever ends it (found by the
    /// `domain_list` fuzz target: with CRLF it was "longer than 4096 bytes").
    #[test]
    fn a_full_line_fits_with_any_line_end() {
        let full = "a".repeat(MAX_LINE);
        for end in ["\n", "\r\n", "", "\r"] {
            let text = format!("{full}{end}");
            let got: Vec<_> = DomainList::new(text.as_bytes())
                .map(|r| r.expect("in memory"))
                .collect();
            let Item::Invalid(e) = &got[0] else {
                panic!("{got:?}");
            };
            assert!(!e.reason.starts_with("longer"), "{end:?}: {e}");
            let longer = format!("a{full}{end}");
            let got: Vec<_> = DomainList::new(longer.as_bytes())
                .map(|r| r.expect("in memory"))
                .collect();
            assert_eq!(
                got,
                [Item::Invalid(InputError {
                    line: 1,
                    reason: format!("longer than {MAX_LINE} bytes")
                })],
                "{end:?}"
            );
        }
    }

    #[test]
    fn only_kept_domains_are_yielded_and_remembered() {
        let text = "a.test\nb.test\nA.test\nc.test\nb.test\n";
        let mut list = DomainList::new(text.as_bytes()).only(|d| d != "b.test");
        let mut got = Vec::new();
        while let Some(item) = list.next() {
            if let Ok(Item::Target(t)) = item {
                got.push((list.line(), t.name().to_owned()));
            }
        }
        assert_eq!(got, [(1, "a.test".to_owned()), (4, "c.test".to_owned())]);
        assert_eq!(list.seen.len(), 2, "b.test is not remembered");
    }

    #[test]
    fn already_done_domains_are_skipped() {
        let done = HashSet::from(["example.org".to_string()]);
        let got: Vec<_> = DomainList::new("example.org\nexample.net\n".as_bytes())
            .skipping(done)
            .map(|r| r.expect("in memory"))
            .collect();
        assert_eq!(got.len(), 1);
    }
}
