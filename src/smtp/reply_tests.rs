// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use super::*;

/// The first reply and the bytes up to its end, an error, or `None` when
/// the input ends mid-reply.
type Parsed = Option<Result<(Reply, usize), ReplyError>>;

/// What feeding `input` in pieces of `chunk` bytes gives.
fn parse(input: &[u8], chunk: usize) -> Parsed {
    let mut parser = ReplyParser::new();
    let mut offset = 0;
    for piece in input.chunks(chunk) {
        match parser.feed(piece) {
            Err(e) => return Some(Err(e)),
            Ok((n, Some(reply))) => return Some(Ok((reply, offset + n))),
            Ok((n, None)) => {
                assert_eq!(n, piece.len(), "an incomplete reply consumes all input");
                offset += n;
            }
        }
    }
    assert!(!parser.is_empty() || input.is_empty());
    None
}

fn reply(code: u16, lines: &[&str]) -> Reply {
    Reply {
        code,
        lines: lines.iter().map(|s| s.to_string()).collect(),
    }
}

fn ok(code: u16, lines: &[&str], consumed: usize) -> Parsed {
    Some(Ok((reply(code, lines), consumed)))
}

fn err(e: ReplyError) -> Parsed {
    Some(Err(e))
}

#[test]
fn table() {
    let long_line = format!("220 {}\r\n", "x".repeat(MAX_LINE - 6));
    let too_long = format!("220 {}\r\n", "x".repeat(MAX_LINE - 5));
    let many = "250-x\r\n".repeat(MAX_LINES - 1) + "250 x\r\n";
    let too_many = "250-x\r\n".repeat(MAX_LINES) + "250 x\r\n";
    let too_large = format!("250-{}\r\n", "y".repeat(4000)).repeat(17) + "250 end\r\n";
    let cases: Vec<(&str, Vec<u8>, Parsed)> = vec![
        (
            "single line",
            b"220 mx.example.org ESMTP\r\n".to_vec(),
            ok(220, &["mx.example.org ESMTP"], 26),
        ),
        (
            "multi-line",
            b"250-mx.example.org\r\n250-SIZE 1000\r\n250 STARTTLS\r\n".to_vec(),
            ok(250, &["mx.example.org", "SIZE 1000", "STARTTLS"], 49),
        ),
        ("bare code", b"220\r\n".to_vec(), ok(220, &[""], 5)),
        ("bare code, bare LF", b"220\n".to_vec(), ok(220, &[""], 4)),
        (
            "bare LF",
            b"250-a\n250 b\n".to_vec(),
            ok(250, &["a", "b"], 12),
        ),
        ("empty text", b"250 \r\n".to_vec(), ok(250, &[""], 6)),
        (
            "empty continuation",
            b"250-\r\n250 end\r\n".to_vec(),
            ok(250, &["", "end"], 15),
        ),
        (
            "stops at the end of the reply",
            b"220 ready\r\n\x16\x03\x01".to_vec(),
            ok(220, &["ready"], 11),
        ),
        (
            "latin-1 text is decoded lossily",
            b"220 Gr\xfc\xdfe\r\n".to_vec(),
            ok(220, &["Gr\u{fffd}\u{fffd}e"], 11),
        ),
        (
            "utf-8 text",
            "220 Grüße\r\n".as_bytes().to_vec(),
            ok(220, &["Grüße"], 13),
        ),
        (
            "control characters are replaced, tab kept",
            b"220 a\x1b[31mb\tc\rd\r\n".to_vec(),
            ok(220, &["a\u{fffd}[31mb\tc\u{fffd}d"], 17),
        ),
        ("lowest code", b"200 ok\r\n".to_vec(), ok(200, &["ok"], 8)),
        ("highest code", b"599 no\r\n".to_vec(), ok(599, &["no"], 8)),
        ("incomplete line", b"220 mx.exa".to_vec(), None),
        ("incomplete reply", b"250-a\r\n250-b\r\n".to_vec(), None),
        ("nothing", Vec::new(), None),
        (
            "longest line",
            long_line.clone().into_bytes(),
            ok(220, &[&long_line[4..MAX_LINE - 2]], MAX_LINE),
        ),
        (
            "line too long",
            too_long.into_bytes(),
            err(ReplyError::LineTooLong { limit: MAX_LINE }),
        ),
        (
            "endless line without LF",
            format!("220 {}", "z".repeat(3 * MAX_LINE)).into_bytes(),
            err(ReplyError::LineTooLong { limit: MAX_LINE }),
        ),
        (
            "most lines",
            many.clone().into_bytes(),
            Some(Ok((
                Reply {
                    code: 250,
                    lines: vec!["x".to_string(); MAX_LINES],
                },
                many.len(),
            ))),
        ),
        (
            "too many lines",
            too_many.into_bytes(),
            err(ReplyError::TooManyLines { limit: MAX_LINES }),
        ),
        (
            "too many bytes",
            too_large.into_bytes(),
            err(ReplyError::TooLarge {
                limit: MAX_REPLY_BYTES,
            }),
        ),
        (
            "non-digit code",
            b"SSH-2.0-OpenSSH_9.6\r\n".to_vec(),
            err(ReplyError::BadCode {
                found: "SSH-".into(),
            }),
        ),
        (
            "digit then letters",
            b"2x0 hello\r\n".to_vec(),
            err(ReplyError::BadCode {
                found: "2x0 ".into(),
            }),
        ),
        (
            "short line",
            b"25\r\n".to_vec(),
            err(ReplyError::BadCode { found: "25".into() }),
        ),
        (
            "empty line",
            b"\r\n".to_vec(),
            err(ReplyError::BadCode { found: "".into() }),
        ),
        (
            "binary",
            b"\x16\x03\x01\x00\x05".to_vec(),
            err(ReplyError::BadCode {
                found: "\\x16\\x03\\x01\\x00".into(),
            }),
        ),
        (
            "code below 200",
            b"199 hmm\r\n".to_vec(),
            err(ReplyError::CodeOutOfRange { code: 199 }),
        ),
        (
            "code above 599",
            b"600 hmm\r\n".to_vec(),
            err(ReplyError::CodeOutOfRange { code: 600 }),
        ),
        (
            "missing separator",
            b"220mx.example.org\r\n".to_vec(),
            err(ReplyError::BadSeparator {
                code: 220,
                found: "m".into(),
            }),
        ),
        (
            "CR then text after the code",
            b"220\rx\r\n".to_vec(),
            err(ReplyError::BadSeparator {
                code: 220,
                found: "\\r".into(),
            }),
        ),
        (
            "mixed codes",
            b"250-a\r\n251 b\r\n".to_vec(),
            err(ReplyError::MixedCodes {
                first: 250,
                then: 251,
            }),
        ),
    ];
    for (name, input, expected) in cases {
        for chunk in [input.len().max(1), 1, 3, 7] {
            assert_eq!(
                parse(&input, chunk),
                expected,
                "{name} (fed {chunk} bytes at a time)"
            );
        }
    }
}

#[test]
fn consecutive_replies_are_parsed_one_at_a_time() {
    let input = b"220 hi\r\n250-a\r\n250 b\r\n221 bye\r\n";
    let mut parser = ReplyParser::new();
    let mut rest = &input[..];
    let mut replies = Vec::new();
    while !rest.is_empty() {
        let (n, r) = parser.feed(rest).unwrap();
        replies.push(r.unwrap());
        rest = &rest[n..];
    }
    assert_eq!(
        replies,
        [
            reply(220, &["hi"]),
            reply(250, &["a", "b"]),
            reply(221, &["bye"])
        ]
    );
    assert!(parser.is_empty());
}

#[test]
fn display_is_one_line_and_bounded() {
    assert_eq!(
        reply(421, &["4.7.0 mx.example too many connections"]).to_string(),
        "421 4.7.0 mx.example too many connections"
    );
    assert_eq!(reply(250, &["a", "", "b"]).to_string(), "250 a b");
    assert_eq!(reply(220, &[""]).to_string(), "220");
    let long = reply(554, &[&"n".repeat(1000)]).to_string();
    assert_eq!(long.chars().count(), 4 + MAX_DISPLAY_CHARS + 1);
    assert!(long.ends_with('…'));
}

/// Found by the `smtp_reply` fuzz target: the spaces between lines were
/// not counted, so 128 short lines displayed 128 characters longer than
/// one long line.
#[test]
fn display_of_many_lines_is_cut_at_the_same_length() {
    let lines = vec!["ab"; MAX_LINES];
    let many = reply(250, &lines).to_string();
    assert_eq!(many.chars().count(), 4 + MAX_DISPLAY_CHARS + 1, "{many}");
    assert!(many.starts_with("250 ab ab ab") && many.ends_with('…'));
    let exact = reply(250, &["a".repeat(100).as_str(), &"b".repeat(199)]).to_string();
    assert_eq!(
        exact.chars().count(),
        4 + MAX_DISPLAY_CHARS,
        "not cut: {exact}"
    );
}

#[test]
fn classes() {
    assert!(reply(421, &[]).is_transient_negative());
    assert!(reply(554, &[]).is_permanent_negative());
    assert!(!reply(250, &[]).is_transient_negative());
    assert_eq!(reply(250, &["a", "b"]).text(), "a b");
}
