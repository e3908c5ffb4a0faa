//! The log parsers under the fuzzer (see `crate::fuzz`): each line parser
//! on its own, the line splitter, and the reader with gzip.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::counts::{Counts, LineCounts};
use super::decode::Failure;
use super::parallel;
use super::postfix::Correlation;
use super::read::pump_sequential;
use super::scan::Splitter;
use super::syslog::{self, Prefix};
use super::tally::{Key, Tally};
use super::{exim, fields, Line, MAX_LINE};
use crate::fuzz::Splits;

/// Most bytes [`log_gzip`] decompresses itself to compare with (a small
/// input can inflate a thousandfold).
const MAX_INFLATED: u64 = 64 << 20;

/// An Exim main log line, and the same line's body as syslog carries it.
pub fn exim_line(data: &[u8]) {
    if exim::has_timestamp(data) {
        check(exim::line(data));
    }
    check(exim::body(b"", data));
}

/// Syslog and journal prefixes, then the whole per-line dispatch.
pub fn syslog_line(data: &[u8]) {
    let _ = syslog::has_timestamp(data);
    if let Some(p) = syslog::prefix(data) {
        check_prefix(data, &p);
    }
    let mut out = Vec::new();
    if syslog::journal_json(data, &mut out) {
        assert!(!out.contains(&b'\n'), "a journal entry became two lines");
        if let Some(p) = syslog::prefix(&out) {
            check_prefix(&out, &p);
        }
    }
    let mut tally = Tally::new();
    tally.line(data);
    check_sums(tally.lines());
    assert_eq!(tally.lines().total, 1);
}

fn check_prefix(line: &[u8], p: &Prefix<'_>) {
    assert!((1..=10).contains(&p.pid.len()) && p.pid.iter().all(u8::is_ascii_digit));
    assert!(!p.tag.is_empty() && !p.tag.contains(&b' '));
    assert!(line.ends_with(p.message));
    let _ = syslog::program(p.tag);
}

/// Postfix `smtpd`/`smtp` messages through one correlation state. Each
/// input line is one message; its first byte picks the process (bit 0:
/// smtpd or smtp; bits 1-3: one of eight PIDs).
pub fn postfix_lines(data: &[u8]) {
    let mut correlation = Correlation::default();
    let pids: [&[u8]; 8] = [b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"12345"];
    for line in data.split(|&b| b == b'\n') {
        let Some((&selector, message)) = line.split_first() else {
            continue;
        };
        let prefix = Prefix {
            time: b"Nov 26 10:00:00",
            tag: if selector & 1 == 0 {
                b"postfix/smtpd"
            } else {
                b"postfix/smtp"
            },
            pid: pids[usize::from(selector >> 1) % pids.len()],
            message,
        };
        check(if selector & 1 == 0 {
            correlation.smtpd(&prefix)
        } else {
            correlation.smtp(&prefix)
        });
    }
}

/// Lines cut into chunks (first byte: how) count exactly as the same lines
/// handed over one by one.
pub fn log_stream(data: &[u8]) {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let expected = line_by_line(input);
    let mut tally = Tally::new();
    let mut splitter = Splitter::default();
    for chunk in Splits::new(seed).cut(input, 1 + usize::from(seed)) {
        splitter.feed(chunk, &mut tally);
    }
    splitter.finish(&mut tally);
    assert_eq!(digest(&tally), digest(&expected));
    check_sums(tally.lines());
}

/// The reader: a gzip stream (or plain text) counts as the text it
/// decompresses to; a damaged or truncated one is an error, never a panic;
/// and the multi-threaded reader (what [`scan_reader`](super::scan_reader) runs on two or more
/// cores) counts exactly as the sequential one, up to an error too.
pub fn log_gzip(data: &[u8]) {
    let mut threads = Tally::new();
    let threads_result = parallel::pump(data, &mut threads, 2);
    check_sums(threads.lines());
    let mut one = Tally::new();
    let one_result = pump_sequential(data, &mut one);
    assert_eq!(digest(&threads), digest(&one));
    let other = [
        &b"BZh"[..],
        b"\xfd7zXZ\x00",
        b"\x28\xb5\x2f\xfd",
        b"\x04\x22\x4d\x18",
    ];
    if other.iter().any(|m| data.starts_with(m)) {
        let refused = |r: &Result<(), Failure>| matches!(r, Err(Failure::Unsupported(_)));
        assert!(refused(&threads_result) && refused(&one_result));
        return;
    }
    // What the input inflates to (plain text as it is).
    let (text, whole) = if data.starts_with(b"\x1f\x8b") {
        let mut text = Vec::new();
        let inflated = MultiGzDecoder::new(data)
            .take(MAX_INFLATED)
            .read_to_end(&mut text);
        (text, inflated.is_ok())
    } else {
        (data.to_vec(), true)
    };
    if text.len() as u64 >= MAX_INFLATED {
        return;
    }
    assert_eq!((threads_result.is_ok(), one_result.is_ok()), (whole, whole));
    if whole {
        assert_eq!(digest(&one), digest(&line_by_line(&text)));
    }
}

/// Lines as the splitter should see them: each line feed ends one, a last
/// line without one counts too, and lines longer than [`MAX_LINE`] count as
/// too long.
fn line_by_line(text: &[u8]) -> Tally {
    let mut tally = Tally::new();
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for line in lines {
        if line.len() > MAX_LINE {
            tally.malformed(super::Malformed::TooLong);
        } else {
            tally.line(line);
        }
    }
    tally
}

type Digest = (LineCounts, Counts, Vec<(Key, Counts)>);

/// What must not depend on how lines reached the tally.
fn digest(tally: &Tally) -> Digest {
    let mut keys: Vec<(Key, Counts)> = tally
        .keys()
        .iter()
        .map(|k| (k.key().clone(), k.counts()))
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    (*tally.lines(), tally.plaintext(), keys)
}

fn check_sums(l: &LineCounts) {
    assert_eq!(l.counted + l.local + l.other + l.malformed.total(), l.total);
}

/// What any parser may say about a line.
fn check(line: Line<'_>) {
    let Line::Smtp { tls, peer, .. } = line else {
        return;
    };
    if let Some(tls) = tls {
        assert!(fields::is_cipher_name(tls.cipher), "{:?}", tls.cipher);
        assert!(tls.bits <= 999_999);
        for extra in [tls.group, tls.signature, tls.digest] {
            assert!(extra.len() <= 200, "{extra:?}");
            assert!(!extra.iter().any(u8::is_ascii_control), "{extra:?}");
        }
    }
    assert!(!fields::is_loopback(peer.ip), "loopback peers are local");
    assert!(
        peer.ip.is_empty() || fields::is_ip(peer.ip),
        "{:?}",
        peer.ip
    );
    assert!(fields::is_host_name(peer.name), "{:?}", peer.name);
    assert!(peer.helo.len() <= 255);
}
