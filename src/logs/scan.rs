//! From bytes to counted lines: splitting a stream into lines in bounded
//! memory, and sending each line to the parser for its format.
//!
//! The format is decided per line, so Exim main logs, Exim lines in
//! syslog, Postfix mail logs and `journalctl -o json` output can be mixed
//! in one run (and even in one file).

use super::postfix::Correlation;
use super::syslog::{self, Program};
use super::{exim, Line, Malformed, Tally, MAX_LINE};

impl Tally {
    /// Counts one line (without its line feed), the next of the input.
    pub(super) fn line(&mut self, line: &[u8]) {
        self.position += 1;
        self.line_at(line, self.position);
    }

    /// Counts one line found at input position `position`.
    pub(super) fn line_at(&mut self, line: &[u8], position: u64) {
        self.lines.total += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b'{') {
            let mut journal = std::mem::take(&mut self.journal);
            if syslog::journal_json(line, &mut journal) {
                let parsed = parse(&journal, &mut self.postfix);
                self.record(parsed, position);
                self.journal = journal;
                return;
            }
            self.journal = journal;
        }
        let parsed = parse(line, &mut self.postfix);
        self.record(parsed, position);
    }
}

/// Whether counting `line` depends on the lines before it: Postfix
/// `smtpd`/`smtp` lines (correlated per process) and journal entries
/// (which may be such lines). These are counted in input order; all
/// others may be counted by any thread.
pub(super) fn needs_order(line: &[u8]) -> bool {
    if line.first() == Some(&b'{') {
        return true;
    }
    if exim::has_timestamp(line) {
        return false;
    }
    syslog::prefix(line).is_some_and(|p| {
        matches!(
            syslog::program(p.tag),
            Program::PostfixSmtpd | Program::PostfixSmtp
        )
    })
}

fn parse<'a>(line: &'a [u8], postfix: &mut Correlation) -> Line<'a> {
    if exim::has_timestamp(line) {
        return exim::line(line);
    }
    if let Some(p) = syslog::prefix(line) {
        return match syslog::program(p.tag) {
            // With `syslog_timestamp = true` Exim keeps its own stamp.
            Program::Exim if exim::has_timestamp(p.message) => exim::line(p.message),
            Program::Exim => exim::body(p.time, p.message),
            Program::PostfixSmtpd => postfix.smtpd(&p),
            Program::PostfixSmtp => postfix.smtp(&p),
            Program::Other => Line::Other,
        };
    }
    // Syslog lines of programs that log no PID (`dovecot: ...`),
    // journalctl's `-- Boot ... --` markers and blank lines are unrelated,
    // not damaged.
    if syslog::has_timestamp(line)
        || line.starts_with(b"-- ")
        || line.iter().all(u8::is_ascii_whitespace)
    {
        return Line::Other;
    }
    Line::Malformed(Malformed::Unrecognised)
}

/// Cuts a stream of chunks into lines. A line longer than [`MAX_LINE`] is
/// counted as [`Malformed::TooLong`] and skipped up to its end without
/// being kept, so memory stays bounded whatever the input.
#[derive(Debug, Default)]
pub(super) struct Splitter {
    /// The start of a line continued in the next chunk.
    carry: Vec<u8>,
    /// Inside a line already counted as too long.
    skipping: bool,
}

impl Splitter {
    pub(super) fn feed(&mut self, mut chunk: &[u8], tally: &mut Tally) {
        if self.skipping {
            match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    self.skipping = false;
                    chunk = &chunk[i + 1..];
                }
                None => return,
            }
        }
        if !self.carry.is_empty() {
            match memchr::memchr(b'\n', chunk) {
                Some(i) if self.carry.len() + i <= MAX_LINE => {
                    self.carry.extend_from_slice(&chunk[..i]);
                    tally.line(&self.carry);
                    self.carry.clear();
                    chunk = &chunk[i + 1..];
                }
                Some(i) => {
                    tally.malformed(Malformed::TooLong);
                    self.carry.clear();
                    chunk = &chunk[i + 1..];
                }
                None if self.carry.len() + chunk.len() <= MAX_LINE => {
                    self.carry.extend_from_slice(chunk);
                    return;
                }
                None => {
                    tally.malformed(Malformed::TooLong);
                    self.carry.clear();
                    self.skipping = true;
                    return;
                }
            }
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', chunk) {
            let line = &chunk[start..end];
            if line.len() <= MAX_LINE {
                tally.line(line);
            } else {
                tally.malformed(Malformed::TooLong);
            }
            start = end + 1;
        }
        let tail = &chunk[start..];
        if tail.len() <= MAX_LINE {
            self.carry.extend_from_slice(tail);
        } else {
            tally.malformed(Malformed::TooLong);
            self.skipping = true;
        }
    }

    /// The last line, if the input did not end with a line feed.
    pub(super) fn finish(&mut self, tally: &mut Tally) {
        if !self.carry.is_empty() {
            tally.line(&self.carry);
        }
        self.carry.clear();
        self.skipping = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Tally {
        let mut t = Tally::new();
        let mut s = Splitter::default();
        for c in chunks {
            s.feed(c, &mut t);
        }
        s.finish(&mut t);
        t
    }

    const ARRIVAL: &[u8] = b"2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] X=TLSv1.3:TLS_AES_256_GCM_SHA384:256\n";

    #[test]
    fn lines_split_across_chunks_are_joined() {
        for cut in 0..ARRIVAL.len() {
            let t = split(&[&ARRIVAL[..cut], &ARRIVAL[cut..], ARRIVAL]);
            assert_eq!((t.lines().total, t.lines().counted), (2, 2), "cut at {cut}");
        }
        // No final line feed, CRLF line ends.
        let crlf = b"2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] P=esmtp\r\n";
        let t = split(&[crlf, &ARRIVAL[..ARRIVAL.len() - 1]]);
        assert_eq!((t.lines().counted, t.plaintext().inbound), (2, 1));
    }

    #[test]
    fn overlong_lines_are_skipped_without_buffering() {
        let long = vec![b'x'; MAX_LINE + 1];
        // In one chunk, and spread over many chunks with no line feed.
        let t = split(&[&long, b"\n", ARRIVAL]);
        assert_eq!((t.lines().malformed.too_long, t.lines().counted), (1, 1));
        let piece = vec![b'y'; 4096];
        let mut chunks: Vec<&[u8]> = vec![ARRIVAL, &ARRIVAL[..10]];
        chunks.extend(std::iter::repeat_n(&piece[..], 40));
        chunks.push(b"tail\n");
        chunks.push(ARRIVAL);
        let mut t = Tally::new();
        let mut s = Splitter::default();
        for c in &chunks {
            s.feed(c, &mut t);
            assert!(s.carry.len() <= MAX_LINE);
        }
        s.finish(&mut t);
        assert_eq!(
            (
                t.lines().total,
                t.lines().malformed.too_long,
                t.lines().counted
            ),
            (3, 1, 2)
        );
        // Exactly MAX_LINE is still a line.
        let mut exact = vec![b'z'; MAX_LINE];
        exact.push(b'\n');
        let t = split(&[&exact]);
        assert_eq!(
            (
                t.lines().malformed.too_long,
                t.lines().malformed.unrecognised
            ),
            (0, 1)
        );
    }

    #[test]
    fn formats_are_recognised_per_line() {
        let t = split(&[
            b"Nov 26 16:04:18 mx dovecot: imap-login: Login: user=<a>\n",
            b"-- Boot 0123456789abcdef --\n",
            b"\n",
            b"\x00\x01garbage\xff\n",
            b"Nov 26 16:04:18 mx exim[7]: 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] P=esmtp\n",
            b"Nov 26 16:04:18 mx exim[7]: 2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] P=esmtp\n",
            br#"{"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"3","MESSAGE":"disconnect from a[192.0.2.5] ehlo=1 mail=1 quit=1 commands=3"}"#,
        ]);
        let l = t.lines();
        assert_eq!(
            (l.total, l.other, l.counted, l.malformed.unrecognised),
            (7, 3, 3, 1)
        );
        assert_eq!(t.plaintext().inbound, 3);
    }

    /// Damaged versions of every fixture line (cut anywhere, bytes replaced
    /// by the characters the parsers look for) are counted, never panic.
    #[test]
    fn damaged_lines_never_panic() {
        let fixtures = [
            include_str!("../../testdata/logs/exim-mainlog"),
            include_str!("../../testdata/logs/exim-gnutls-mainlog"),
            include_str!("../../testdata/logs/postfix-mail.log"),
            include_str!("../../testdata/logs/postfix-journal.log"),
        ];
        let specials = b" []()\":=*<>{},/\\\x00\xff0.";
        let mut t = Tally::new();
        let mut seed: u32 = 12345;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 8) as usize % n.max(1)
        };
        let mut lines = 0;
        for line in fixtures.iter().flat_map(|f| f.lines()) {
            let bytes = line.as_bytes();
            for cut in 0..bytes.len() {
                t.line(&bytes[..cut]);
                t.line(&bytes[cut..]);
                lines += 2;
            }
            for _ in 0..200 {
                let mut damaged = bytes.to_vec();
                for _ in 0..1 + next(4) {
                    let at = next(damaged.len());
                    damaged[at] = specials[next(specials.len())];
                }
                t.line(&damaged);
                lines += 1;
            }
        }
        let l = t.lines();
        assert_eq!(l.total, lines);
        assert_eq!(l.counted + l.local + l.other + l.malformed.total(), lines);
    }
}
