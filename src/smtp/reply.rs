//! The SMTP reply parser (RFC 5321 §4.2): bytes in, replies out, no I/O.
//!
//! A reply is one or more lines `CODE-text` ending with one `CODE text` (or a
//! bare `CODE`). The parser is incremental: it is fed whatever bytes arrived
//! and consumes them only up to the end of the reply it completes, so the
//! caller knows exactly which bytes came after it (the STARTTLS injection
//! check depends on that). Lines may end in CRLF or a bare LF.
//!
//! Everything a server sends is bounded here, in one place: a line, the number
//! of lines and the whole reply. Exceeding a limit is an error, never a bigger
//! buffer. Text is decoded lossily (servers do send Latin-1 and UTF-8), and
//! control characters other than tab become U+FFFD so that no report can carry
//! a terminal escape sequence from the network.

use std::fmt;

pub use crate::limits::{
    SMTP_LINE as MAX_LINE, SMTP_LINES as MAX_LINES, SMTP_REPLY_BYTES as MAX_REPLY_BYTES,
};
/// Longest text [`Reply`]'s `Display` writes before cutting with `…`.
const MAX_DISPLAY_CHARS: usize = 300;

/// A parsed SMTP reply (RFC 5321 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Three digits, 200 to 599.
    pub code: u16,
    /// The text of every line, without code and separator (may be empty).
    pub lines: Vec<String>,
}

impl Reply {
    /// 2, 3, 4 or 5: the first digit of the code.
    pub fn class(&self) -> u16 {
        self.code / 100
    }

    /// A 4xx reply: the server refuses for now (RFC 5321 §4.2.1).
    pub fn is_transient_negative(&self) -> bool {
        self.class() == 4
    }

    /// A 5xx reply: the server refuses for good.
    pub fn is_permanent_negative(&self) -> bool {
        self.class() == 5
    }

    /// All lines' text joined by a space.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }
}

/// `421 4.7.0 mx.example too many connections`: one line, the lines of a
/// multi-line reply joined by spaces, cut after a few hundred characters.
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        // The spaces joining lines count towards the cut too, so that a
        // reply of many short lines is cut at the same length.
        let mut text = self
            .lines
            .iter()
            .filter(|l| !l.is_empty())
            .enumerate()
            .flat_map(|(i, l)| (i > 0).then_some(' ').into_iter().chain(l.chars()));
        let Some(first) = text.next() else {
            return Ok(());
        };
        write!(f, " {first}")?;
        for (n, c) in text.enumerate() {
            if n + 1 == MAX_DISPLAY_CHARS {
                return f.write_str("…");
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Why bytes are not an SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// A line (without its line end) is longer than the limit.
    #[error("a line is longer than {limit} bytes")]
    LineTooLong {
        /// The limit, in bytes ([`MAX_LINE`] in a dialogue).
        limit: usize,
    },
    /// The reply has more lines than the limit.
    #[error("more than {limit} lines")]
    TooManyLines {
        /// The limit ([`MAX_LINES`] in a dialogue).
        limit: usize,
    },
    /// The reply as a whole is larger than the limit.
    #[error("more than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes ([`MAX_REPLY_BYTES`] in a dialogue).
        limit: usize,
    },
    /// `found` holds the line's first bytes, escaped.
    #[error("line does not start with a three-digit code: \"{found}\"")]
    BadCode {
        /// Up to the line's first four bytes, escaped as in Rust (`\x1b`).
        found: String,
    },
    /// Three digits, but not a reply code (RFC 5321 §4.2 uses 2xx to 5xx).
    #[error("code {code} is outside 200-599")]
    CodeOutOfRange {
        /// The code as sent.
        code: u16,
    },
    /// The code is followed by something other than `-` (more lines
    /// follow), a space (last line) or the line end.
    #[error("expected '-', ' ' or end of line after code {code}, found '{found}'")]
    BadSeparator {
        /// The line's code.
        code: u16,
        /// The byte after it, escaped as in Rust.
        found: String,
    },
    /// A multi-line reply whose lines do not all carry the same code.
    #[error("line with code {then} inside a {first} reply")]
    MixedCodes {
        /// The code of the reply's first line.
        first: u16,
        /// The different code of a later line.
        then: u16,
    },
}

/// Parses a stream of bytes into replies, one at a time.
///
/// After an error the parser's state is unspecified: the connection is not
/// worth reading further.
#[derive(Debug, Default)]
pub struct ReplyParser {
    /// The current line without its LF; never longer than `MAX_LINE - 1`.
    line: Vec<u8>,
    /// Whether the current line's first four bytes were already checked.
    line_checked: bool,
    /// Code of the reply's first line.
    code: Option<u16>,
    lines: Vec<String>,
    /// Bytes of the complete lines so far.
    bytes: usize,
}

impl ReplyParser {
    /// A parser with nothing buffered, at the start of a reply.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when no byte of a reply is buffered (nothing since the last
    /// complete reply).
    pub fn is_empty(&self) -> bool {
        self.line.is_empty() && self.lines.is_empty()
    }

    /// Consumes `input` up to the end of the first reply it completes.
    ///
    /// Returns how many bytes were consumed and the reply, if one completed.
    /// Without a reply, all of `input` was consumed; with one, the bytes after
    /// it are left for the caller (and for the next call).
    pub fn feed(&mut self, input: &[u8]) -> Result<(usize, Option<Reply>), ReplyError> {
        let mut consumed = 0;
        while consumed < input.len() {
            let rest = &input[consumed..];
            let newline = rest.iter().position(|&b| b == b'\n');
            let content = newline.unwrap_or(rest.len());
            // Keep room for the LF, so a kept line can always still complete.
            let room = MAX_LINE - 1 - self.line.len();
            let take = content.min(room);
            self.line.extend_from_slice(&rest[..take]);
            consumed += take;
            // Checking the prefix before the length makes the error the same
            // however the input was split into reads. A CR after the code may
            // begin the line ending, so that line waits for its LF.
            if !self.line_checked && self.line.len() >= 4 && self.line[3] != b'\r' {
                self.check_prefix()?;
                self.line_checked = true;
            }
            if take < content {
                return Err(ReplyError::LineTooLong { limit: MAX_LINE });
            }
            if newline.is_some() {
                consumed += 1;
                if let Some(reply) = self.finish_line()? {
                    return Ok((consumed, Some(reply)));
                }
            }
        }
        Ok((consumed, None))
    }

    fn check_prefix(&self) -> Result<(u16, Separator), ReplyError> {
        let (code, separator) = parse_prefix(&self.line)?;
        match self.code {
            Some(first) if first != code => Err(ReplyError::MixedCodes { first, then: code }),
            _ => Ok((code, separator)),
        }
    }

    fn finish_line(&mut self) -> Result<Option<Reply>, ReplyError> {
        self.bytes += self.line.len() + 1;
        if self.bytes > MAX_REPLY_BYTES {
            return Err(ReplyError::TooLarge {
                limit: MAX_REPLY_BYTES,
            });
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        let (code, separator) = self.check_prefix()?;
        if self.lines.len() == MAX_LINES {
            return Err(ReplyError::TooManyLines { limit: MAX_LINES });
        }
        let text = self.line.get(4..).map(decode_text).unwrap_or_default();
        self.lines.push(text);
        self.line.clear();
        self.line_checked = false;
        self.code = Some(code);
        if separator == Separator::More {
            return Ok(None);
        }
        let reply = Reply {
            code,
            lines: std::mem::take(&mut self.lines),
        };
        self.code = None;
        self.bytes = 0;
        Ok(Some(reply))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Separator {
    /// `-`: more lines follow.
    More,
    /// ` ` or end of line: the last line.
    Last,
}

/// Checks what `line` (complete without line ending, or at least four bytes
/// of it) starts with.
fn parse_prefix(line: &[u8]) -> Result<(u16, Separator), ReplyError> {
    let digits = line.get(..3).filter(|d| d.iter().all(u8::is_ascii_digit));
    let Some(digits) = digits else {
        return Err(ReplyError::BadCode {
            found: escape(&line[..line.len().min(4)]),
        });
    };
    let code = digits
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    if !(200..=599).contains(&code) {
        return Err(ReplyError::CodeOutOfRange { code });
    }
    match line.get(3) {
        None | Some(b' ') => Ok((code, Separator::Last)),
        Some(b'-') => Ok((code, Separator::More)),
        Some(&other) => Err(ReplyError::BadSeparator {
            code,
            found: escape(&[other]),
        }),
    }
}

fn decode_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

/// Printable ASCII as is, everything else as `\xNN` (and `\r`, `\n`, ...).
pub(crate) fn escape(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect()
}

#[cfg(test)]
#[path = "reply_tests.rs"]
mod tests;
