//! What a user's domain list holds: the lines `scan --input` reads.

use std::collections::{HashSet, VecDeque};
use std::io::{self, BufRead, Read};

use super::names::check_ascii_name;
use super::Splits;
use crate::dns::normalize_domain;
use crate::input::{DomainList, InputError, Item, MAX_LINE};
use crate::model::Target;

/// In the fuzz input, byte 0x01 stands for this many `a`s, so that lines
/// around [`MAX_LINE`] are a few bytes of input away.
const RUN: usize = 1024;
/// Expansion stops here.
const MAX_EXPANDED: usize = 64 << 10;

/// [`DomainList`]. First byte: how to cut the rest into reads; in the rest,
/// `0x01` is a run of `RUN` `a`s. The items must be the same however the
/// bytes arrive; exactly the lines over [`MAX_LINE`] bytes (the line end not
/// counted) and then exactly the other non-UTF-8 lines are reported as such,
/// each naming its line on one line; accepted targets are normalised domain
/// names, each once.
pub fn domain_list(data: &[u8]) {
    let Some((&seed, rest)) = data.split_first() else {
        return;
    };
    let text = expand(rest);
    let whole: Vec<Item> = DomainList::new(&text[..])
        .map(|r| r.expect("in memory"))
        .collect();
    let reads = Splits::new(seed).cut(&text, 1 + usize::from(seed % 64) * 97);
    let split: Vec<Item> = DomainList::new(Chunks(reads.into()))
        .map(|r| r.expect("in memory"))
        .collect();
    assert_eq!(whole, split, "the split into reads changed the items");

    let lines = model_lines(&text);
    let mut expected = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let n = i as u64 + 1;
        if line.len() > MAX_LINE {
            expected.push((n, format!("longer than {MAX_LINE} bytes")));
        } else if std::str::from_utf8(line).is_err() {
            expected.push((n, "not UTF-8 text".to_string()));
        }
    }
    let mut got = Vec::new();
    let mut last_line = 0;
    let mut seen = HashSet::new();
    for item in &whole {
        match item {
            Item::Invalid(e) => {
                check_error(e, lines.len());
                assert!(e.line > last_line, "line numbers go back: {e}");
                last_line = e.line;
                if e.reason.starts_with("longer than") || e.reason == "not UTF-8 text" {
                    got.push((e.line, e.reason.clone()));
                }
            }
            Item::Target(Target::Domain { name, ascii }) => {
                check_ascii_name(ascii);
                assert_eq!(normalize_domain(ascii).as_deref(), Ok(ascii.as_str()));
                assert_eq!(name.trim(), name, "name not trimmed");
                assert!(seen.insert(ascii.clone()), "{ascii} read twice");
            }
            Item::Target(other) => panic!("a domain list yielded {other:?}"),
        }
    }
    assert_eq!(
        got, expected,
        "long or non-UTF-8 lines not reported as such"
    );
}

fn check_error(e: &InputError, lines: usize) {
    assert!((1..=lines as u64).contains(&e.line), "{e} of {lines} lines");
    let shown = e.to_string();
    assert!(shown.starts_with(&format!("line {}: ", e.line)), "{shown}");
    assert!(
        !shown.chars().any(|c| c.is_control() && c != '\t'),
        "{shown:?}"
    );
}

fn expand(data: &[u8]) -> Vec<u8> {
    let mut text = Vec::with_capacity(data.len());
    for &b in data {
        if b == 1 && text.len() < MAX_EXPANDED {
            text.extend(std::iter::repeat_n(b'a', RUN));
        } else {
            text.push(b);
        }
    }
    text
}

/// The lines as the reader should see them: split at line feeds, a final
/// line without one counts, one trailing `\r` is part of the line end.
fn model_lines(text: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

/// A reader whose `fill_buf` hands out prepared pieces, one at a time.
struct Chunks<'a>(VecDeque<&'a [u8]>);

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let chunk = self.fill_buf()?;
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Chunks<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(self.0.front().copied().unwrap_or(&[]))
    }

    fn consume(&mut self, amt: usize) {
        if let Some(first) = self.0.front_mut() {
            *first = &first[amt..];
            if first.is_empty() {
                self.0.pop_front();
            }
        }
    }
}
