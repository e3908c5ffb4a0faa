//! Syslog line prefixes, in the spellings mail logs come in:
//!
//! - BSD syslog (RFC 3164): `Nov 26 16:04:18 host postfix/smtpd[123]: ...`
//! - RFC 3339 stamps (rsyslog's default on current Debian):
//!   `2026-11-26T16:04:18.123456+01:00 host postfix/smtpd[123]: ...`
//! - `journalctl -o short|short-iso|short-precise|short-full` text, which
//!   has the same `host tag[pid]:` shape after its timestamp;
//! - `journalctl -o json`: one JSON object per line, turned into the
//!   shape above by [`journal_json`].
//!
//! Only the shape `TIMESTAMP HOST TAG[PID]: MESSAGE` is relied on; the
//! timestamp is kept as text (for "last seen"), never interpreted.

use std::borrow::Cow;

use serde::Deserialize;

/// The parts of a syslog line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prefix<'a> {
    /// Everything before the host name, as logged.
    pub time: &'a [u8],
    /// The program, with Postfix's service name: `postfix/submission/smtpd`.
    pub tag: &'a [u8],
    pub pid: &'a [u8],
    pub message: &'a [u8],
}

/// Splits `TIMESTAMP HOST TAG[PID]: MESSAGE`.
pub(crate) fn prefix(line: &[u8]) -> Option<Prefix<'_>> {
    let close = memchr::memmem::find(line, b"]: ")?;
    let open = memchr::memrchr(b'[', &line[..close])?;
    let pid = &line[open + 1..close];
    if pid.is_empty() || pid.len() > 10 || !pid.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let tag_start = memchr::memrchr(b' ', &line[..open]).map_or(0, |i| i + 1);
    let tag = &line[tag_start..open];
    if tag.is_empty() {
        return None;
    }
    // The host is the token before the tag; the timestamp all before it.
    let before = line[..tag_start].strip_suffix(b" ").unwrap_or_default();
    let time = match memchr::memrchr(b' ', before) {
        Some(i) => before[..i].trim_ascii_end(),
        None => &b""[..],
    };
    Some(Prefix {
        time,
        tag,
        pid,
        message: &line[close + 3..],
    })
}

/// Whether `line` starts with a syslog or journalctl timestamp: BSD
/// (`Nov 26 16:04:18`), RFC 3339 (`2026-11-26T16:04:18`) or `short-full`
/// (`Thu 2026-11-26 16:04:18`).
pub(crate) fn has_timestamp(line: &[u8]) -> bool {
    let alpha3 =
        line.len() >= 15 && line[..3].iter().all(u8::is_ascii_alphabetic) && line[3] == b' ';
    let digits = |r: std::ops::Range<usize>| {
        line.get(r)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let bsd = alpha3
        && (line[4] == b' ' || line[4].is_ascii_digit())
        && line[5].is_ascii_digit()
        && line[6] == b' '
        && line[9] == b':'
        && line[12] == b':';
    let iso = digits(0..4)
        && line.get(4) == Some(&b'-')
        && line.get(7) == Some(&b'-')
        && line.get(10) == Some(&b'T');
    let full = alpha3 && digits(4..8) && line[8] == b'-';
    bsd || iso || full
}

/// The role of a Postfix process, from the last component of its tag:
/// `postfix/smtpd`, `postfix/submission/smtpd`, `postfix-out/smtp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Program {
    Exim,
    PostfixSmtpd,
    PostfixSmtp,
    Other,
}

pub(crate) fn program(tag: &[u8]) -> Program {
    if tag.starts_with(b"exim") {
        return Program::Exim;
    }
    match memchr::memrchr(b'/', tag).map(|i| &tag[i + 1..]) {
        Some(b"smtpd") => Program::PostfixSmtpd,
        Some(b"smtp") => Program::PostfixSmtp,
        _ => Program::Other,
    }
}

/// The fields of a `journalctl -o json` entry that matter here.
#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "MESSAGE", default)]
    message: Option<Message<'a>>,
    #[serde(rename = "SYSLOG_IDENTIFIER", borrow, default)]
    identifier: Option<Cow<'a, str>>,
    #[serde(rename = "SYSLOG_PID", borrow, default)]
    syslog_pid: Option<Cow<'a, str>>,
    #[serde(rename = "_PID", borrow, default)]
    pid: Option<Cow<'a, str>>,
    #[serde(rename = "_HOSTNAME", borrow, default)]
    host: Option<Cow<'a, str>>,
    #[serde(rename = "__REALTIME_TIMESTAMP", borrow, default)]
    realtime: Option<Cow<'a, str>>,
}

/// journald writes a message that is not valid UTF-8 as an array of bytes.
#[derive(Deserialize)]
#[serde(untagged)]
enum Message<'a> {
    #[serde(borrow)]
    Text(Cow<'a, str>),
    Bytes(Vec<u8>),
}

/// Rewrites a `journalctl -o json` line as `TIME HOST IDENT[PID]: MESSAGE`
/// into `out`, the time as RFC 3339 UTC from `__REALTIME_TIMESTAMP`.
/// Returns false if the line is not such an entry.
pub(crate) fn journal_json(line: &[u8], out: &mut Vec<u8>) -> bool {
    let Ok(entry) = serde_json::from_slice::<Entry>(line) else {
        return false;
    };
    let (Some(message), Some(ident)) = (entry.message, entry.identifier) else {
        return false;
    };
    let Some(pid) = entry.syslog_pid.or(entry.pid) else {
        return false;
    };
    out.clear();
    let micros = entry.realtime.and_then(|t| t.parse::<i64>().ok());
    match micros {
        Some(us) => out.extend_from_slice(crate::cert::format_rfc3339(us / 1_000_000).as_bytes()),
        None => out.push(b'-'),
    }
    out.push(b' ');
    out.extend_from_slice(entry.host.as_deref().unwrap_or("-").as_bytes());
    out.push(b' ');
    out.extend_from_slice(ident.as_bytes());
    out.push(b'[');
    out.extend_from_slice(pid.as_bytes());
    out.extend_from_slice(b"]: ");
    match message {
        Message::Text(t) => out.extend_from_slice(t.as_bytes()),
        Message::Bytes(b) => out.extend_from_slice(&b),
    }
    // A message with an embedded newline would have been several lines.
    if let Some(nl) = memchr::memchr(b'\n', out) {
        out.truncate(nl);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        type Parts = Option<(&'static str, &'static str, &'static str, &'static str)>;
        let table: &[(&str, Parts)] = &[
            (
                "Nov 26 16:04:18 mail postfix/smtpd[123]: connect from x[192.0.2.1]",
                Some((
                    "Nov 26 16:04:18",
                    "postfix/smtpd",
                    "123",
                    "connect from x[192.0.2.1]",
                )),
            ),
            (
                "2026-11-26T16:04:18.123456+01:00 mail postfix/submission/smtpd[9]: a]: b",
                Some((
                    "2026-11-26T16:04:18.123456+01:00",
                    "postfix/submission/smtpd",
                    "9",
                    "a]: b",
                )),
            ),
            (
                "Thu 2026-11-26 16:04:18 CET mail exim[77]: 1tG0aa-000Abc-1x Completed",
                Some((
                    "Thu 2026-11-26 16:04:18 CET",
                    "exim",
                    "77",
                    "1tG0aa-000Abc-1x Completed",
                )),
            ),
            (
                "mail postfix/smtp[5]: x",
                Some(("", "postfix/smtp", "5", "x")),
            ),
            ("Nov 26 16:04:18 mail kernel: [ 1.0]: x", None),
            ("Nov 26 16:04:18 mail postfix/smtpd[12a]: x", None),
            ("[1]: x", None),
            ("", None),
        ];
        for (line, want) in table {
            let got = prefix(line.as_bytes()).map(|p| (p.time, p.tag, p.pid, p.message));
            let want =
                want.map(|(t, g, p, m)| (t.as_bytes(), g.as_bytes(), p.as_bytes(), m.as_bytes()));
            assert_eq!(got, want, "{line}");
        }
    }

    #[test]
    fn timestamps() {
        for yes in [
            "Nov 26 16:04:18 x",
            "Nov  6 16:04:18 x",
            "2026-11-26T16:04:18+01:00 x",
            "Thu 2026-11-26 16:04:18 CET x",
        ] {
            assert!(has_timestamp(yes.as_bytes()), "{yes}");
        }
        for no in [
            "",
            "Nov 26",
            "garbage line here",
            "2026-11-26 16:04:18 exim",
            "\u{0}\u{1}\u{2}",
        ] {
            assert!(!has_timestamp(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn programs() {
        assert_eq!(program(b"postfix/smtpd"), Program::PostfixSmtpd);
        assert_eq!(program(b"postfix/submission/smtpd"), Program::PostfixSmtpd);
        assert_eq!(program(b"postfix-out/smtp"), Program::PostfixSmtp);
        assert_eq!(program(b"postfix/lmtp"), Program::Other);
        assert_eq!(program(b"postfix/qmgr"), Program::Other);
        assert_eq!(program(b"smtpd"), Program::Other);
        assert_eq!(program(b"exim4"), Program::Exim);
    }

    #[test]
    fn journal_entries() {
        let mut out = Vec::new();
        let line = br#"{"__REALTIME_TIMESTAMP":"1795709058123456","_HOSTNAME":"mail","SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"123","MESSAGE":"connect from x[192.0.2.1]"}"#;
        assert!(journal_json(line, &mut out));
        assert_eq!(
            String::from_utf8_lossy(&out),
            "2026-11-26T16:04:18Z mail postfix/smtpd[123]: connect from x[192.0.2.1]"
        );
        let bytes =
            br#"{"SYSLOG_IDENTIFIER":"postfix/smtp","SYSLOG_PID":"7","MESSAGE":[104,105,255]}"#;
        assert!(journal_json(bytes, &mut out));
        assert_eq!(out, b"- - postfix/smtp[7]: hi\xff");
        assert!(!journal_json(br#"{"MESSAGE":"no identifier"}"#, &mut out));
        assert!(!journal_json(b"{not json", &mut out));
    }
}
