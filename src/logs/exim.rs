//! Exim main log lines: arrivals `<=` and deliveries `=>`, `->`, `>>` with
//! their `H=` (peer) and `X=` (TLS) fields.
//!
//! A main log line is `DATE TIME [.FRACTION] [ZONE] [[PID]] ID FLAG ...`
//! (Exim specification, chapter "Log files", "Format of log lines"); the
//! same line sent to syslog lacks Exim's own timestamp. Fields are
//! `NAME=value` tokens; values containing spaces are double-quoted with
//! backslash escapes (`T="subject"`, `C="250 OK"`), and those are skipped
//! as a whole so that a subject containing ` X=` is never read as a field.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use memchr::{memchr, memchr2};

use super::fields::{self, token};
use super::{Direction, Line, Malformed, Peer, Tls};

/// The length of Exim's `YYYY-MM-DD HH:MM:SS`.
const DATE_TIME: usize = 19;

/// Whether `line` starts with Exim's own timestamp (`2024-11-26 16:04:18`).
/// Syslog's RFC 3339 stamps have a `T` where Exim has a space.
pub(crate) fn has_timestamp(line: &[u8]) -> bool {
    let Some(t) = line.get(..DATE_TIME) else {
        return false;
    };
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    digits.iter().all(|&i| t[i].is_ascii_digit())
        && t[4] == b'-'
        && t[7] == b'-'
        && t[10] == b' '
        && t[13] == b':'
        && t[16] == b':'
}

/// A main log line (starting with Exim's timestamp, see [`has_timestamp`]).
pub(crate) fn line(line: &[u8]) -> Line<'_> {
    let mut end = DATE_TIME;
    // `+millisec`: `.123`.
    if line.get(end) == Some(&b'.') {
        end += 1 + line[end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
    }
    // `log_timezone`: ` +0100`.
    if let Some(zone) = line.get(end..end + 6) {
        if zone[0] == b' '
            && matches!(zone[1], b'+' | b'-')
            && zone[2..].iter().all(u8::is_ascii_digit)
        {
            end += 6;
        }
    }
    let time = &line[..end];
    let mut rest = line.get(end + 1..).unwrap_or_default();
    // `+pid`: `[12345] `.
    if rest.first() == Some(&b'[') {
        if let Some(close) = memchr(b']', rest) {
            if rest[1..close].iter().all(u8::is_ascii_digit) {
                rest = rest.get(close + 2..).unwrap_or_default();
            }
        }
    }
    body(time, rest)
}

/// What follows the timestamp: `ID FLAG ADDRESS FIELDS...`.
pub(crate) fn body<'a>(time: &'a [u8], body: &'a [u8]) -> Line<'a> {
    // `ID FLAG ` by position: the ID has one of two fixed lengths and the
    // flags two characters (this runs for every line, so no searching).
    let Some(rest) = [16, 23].into_iter().find_map(|n| {
        let id = body.get(..n)?;
        (body.get(n) == Some(&b' ') && is_message_id(id)).then(|| &body[n + 1..])
    }) else {
        // Connection logging, rejections, queue runs, daemon start...
        return Line::Other;
    };
    let direction = match rest.get(..3) {
        Some(b"<= ") => Direction::Inbound,
        Some(b"=> " | b"-> " | b">> ") => Direction::Outbound,
        // `*>` (suppressed by -N), `**` (failed), `==` (deferred),
        // `Completed`, ...: no transaction to count.
        _ => return Line::Other,
    };
    let rest = &rest[3..];
    // The sender (`<=`) or recipient (deliveries); never a field.
    let (_address, rest) = token(rest);
    let fields = match fields_direct(rest) {
        Some(found) => found,
        None => fields_tokenised(rest),
    };
    match fields {
        Ok((Some(peer), tls)) => Line::smtp(direction, tls, peer, time),
        // Arrivals without H= are local submissions (U=) or generated
        // bounces; deliveries without H= go to mailboxes and pipes.
        Ok((None, _)) => Line::Local,
        Err(m) => Line::Malformed(m),
    }
}

/// The `H=` peer and `X=` parameters of a line's fields.
type Fields<'a> = Result<(Option<Peer<'a>>, Option<Tls<'a>>), Malformed>;

static H_FIELD: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" H="));
static X_FIELD: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" X="));
static HELO_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b") ["));

/// The fast path, for the usual line: Exim writes `H=` and then `X=`
/// before any quoted value (`DN=`, `C=`, `T=` come later), so both can be
/// searched for directly in the part before the first `"`. `None` when a
/// quote comes first and only [`fields_tokenised`] can tell.
fn fields_direct(rest: &[u8]) -> Option<Fields<'_>> {
    let quote = memchr(b'"', rest);
    let plain = &rest[..quote.unwrap_or(rest.len())];
    let unsure = quote.is_some();
    let Some(h) = field(plain, b"H=", &H_FIELD) else {
        return (!unsure).then_some(Ok((None, None)));
    };
    let Some((peer, after)) = host(h) else {
        // A HELO name with a quote in it, or a damaged field.
        return (!unsure).then_some(Err(Malformed::BadHost));
    };
    match field(after, b"X=", &X_FIELD) {
        Some(x) => Some(match x_field(token(x).0) {
            Some(tls) => Ok((Some(peer), Some(tls))),
            None => Err(Malformed::BadTls),
        }),
        None => (!unsure).then_some(Ok((Some(peer), None))),
    }
}

/// The value of the field `name` (`H=`) in `s`, at its start or after a
/// space.
fn field<'a>(s: &'a [u8], name: &[u8], spaced: &Finder<'_>) -> Option<&'a [u8]> {
    if let Some(value) = s.strip_prefix(name) {
        return Some(value);
    }
    spaced.find(s).map(|i| &s[i + 1 + name.len()..])
}

/// The general path: every field in turn, skipping quoted values whole.
fn fields_tokenised(mut rest: &[u8]) -> Fields<'_> {
    let mut peer = None;
    let mut tls = None;
    while !rest.is_empty() {
        let name_len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || rest.get(name_len) != Some(&b'=') {
            rest = skip_value(rest);
            continue;
        }
        let value = &rest[name_len + 1..];
        match &rest[..name_len] {
            b"H" => {
                let (p, after) = host(value).ok_or(Malformed::BadHost)?;
                peer = Some(p);
                rest = after;
            }
            b"X" => {
                let (v, after) = token(value);
                tls = Some(x_field(v).ok_or(Malformed::BadTls)?);
                rest = after;
            }
            _ => rest = skip_value(value),
        }
    }
    Ok((peer, tls))
}

/// `1tG0aa-000Abc-1x` (before Exim 4.97) or `1tG0aa-0000000Abcd-1xYz`.
fn is_message_id(s: &[u8]) -> bool {
    let second_dash = match s.len() {
        16 => 13,
        23 => 18,
        _ => return false,
    };
    s.iter().enumerate().all(|(i, &b)| {
        if i == 6 || i == second_dash {
            b == b'-'
        } else {
            b.is_ascii_alphanumeric()
        }
    })
}

/// Skips one token, a double-quoted one as a whole; returns what follows.
fn skip_value(s: &[u8]) -> &[u8] {
    if s.first() != Some(&b'"') {
        return token(s).1;
    }
    let mut i = 1;
    while let Some(j) = memchr2(b'"', b'\\', &s[i..]) {
        let at = i + j;
        if s[at] == b'\\' {
            i = at + 2;
            if i >= s.len() {
                return &[];
            }
        } else {
            return token(&s[at + 1..]).1;
        }
    }
    // Unterminated quote: the rest of the line is the value.
    &[]
}

/// `X=PROTOCOL:CIPHER:BITS[:GROUP]`: `X=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256`
/// (OpenSSL), `X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256`
/// (GnuTLS; its names contain `__`, never `:`). Exim after 4.99 adds the
/// key-exchange group as a fourth field on builds that can tell it
/// (OpenSSL ≥ 3.2: `x25519`, `X25519MLKEM768`; GnuTLS ≥ 3.6: `X25519`,
/// `X25519-MLKEM768`). GnuTLS 3.1 and 3.2 descriptions may add the
/// certificate type to the protocol (`TLS1.2-PKIX`), which is dropped.
fn x_field(v: &[u8]) -> Option<Tls<'_>> {
    let mut fields = v.split(|&b| b == b':');
    let (protocol, cipher, bits) = (fields.next()?, fields.next()?, fields.next()?);
    let group = fields.next();
    if fields.next().is_some() {
        return None;
    }
    let valid_group = group.is_none_or(fields::is_cipher_name);
    if !fields::is_cipher_name(cipher) || !valid_group {
        return None;
    }
    let group = group.unwrap_or_default();
    let protocol = protocol.split(|&b| b == b'-').next().unwrap_or_default();
    Some(Tls {
        group,
        ..Tls::new(fields::protocol(protocol)?, cipher, fields::bits(bits)?)
    })
}

/// `H=name (helo) [ip]:port` and its shorter forms: `H=[ip]`,
/// `H=(helo) [ip]`, `H=name [ip]`, `H=name`; deliveries down a continued
/// connection add `*` after the address. Returns the peer and the rest of
/// the line.
fn host(v: &[u8]) -> Option<(Peer<'_>, &[u8])> {
    let mut peer = Peer::default();
    let mut s = v;
    if !matches!(s.first(), Some(b'[' | b'(')) {
        let (name, rest) = token(s);
        if name.is_empty() || !fields::is_host_name(name) {
            return None;
        }
        peer.name = name;
        s = rest;
    }
    if s.first() == Some(&b'(') {
        // The HELO name is the client's text: look for the `) [` that
        // ends it rather than the first `)`.
        let (helo, rest) = match HELO_END.find(s) {
            Some(end) => (&s[1..end], &s[end + 2..]),
            None => {
                let end = memchr(b')', s)?;
                (&s[1..end], token(&s[end..]).1)
            }
        };
        if helo.len() > 255 {
            return None;
        }
        peer.helo = helo;
        s = rest;
    }
    if s.first() == Some(&b'[') {
        let close = memchr(b']', s)?;
        peer.ip = &s[1..close];
        if !fields::is_ip(peer.ip) {
            return None;
        }
        let mut after = &s[close + 1..];
        if let Some(port) = after.strip_prefix(b":") {
            let digits = port.iter().take_while(|b| b.is_ascii_digit()).count();
            after = &port[digits..];
        }
        after = after.strip_prefix(b"*").unwrap_or(after);
        match after.first() {
            None => s = after,
            Some(b' ') => s = &after[1..],
            Some(_) => return None,
        }
    } else if peer.name.is_empty() {
        return None;
    }
    Some((peer, s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::Protocol;

    fn tls(protocol: Protocol, cipher: &'static str, bits: u32) -> Option<Tls<'static>> {
        Some(Tls::new(protocol, cipher.as_bytes(), bits))
    }

    fn tls_group(
        protocol: Protocol,
        cipher: &'static str,
        bits: u32,
        group: &'static str,
    ) -> Option<Tls<'static>> {
        Some(Tls {
            group: group.as_bytes(),
            ..Tls::new(protocol, cipher.as_bytes(), bits)
        })
    }

    fn peer(name: &'static str, helo: &'static str, ip: &'static str) -> Peer<'static> {
        Peer {
            name: name.as_bytes(),
            helo: helo.as_bytes(),
            ip: ip.as_bytes(),
        }
    }

    /// (line, direction, tls, peer, time) for lines that count.
    #[test]
    fn counted_lines() {
        let t = "2024-11-26 16:04:18";
        let table: &[(&str, Direction, Option<Tls>, Peer, &str)] = &[
            (
                "2024-11-26 16:04:18 1tG0aa-000Abc-1x <= alice@example.org H=mail.example.org (helo.example.org) [192.0.2.1]:41234 I=[198.51.100.1]:25 P=esmtps X=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=no S=1234 id=x@y",
                Direction::Inbound,
                tls(Protocol::Tls1_2, "ECDHE-RSA-AES256-GCM-SHA384", 256),
                peer("mail.example.org", "helo.example.org", "192.0.2.1"),
                t,
            ),
            (
                "2024-11-26 16:04:18 1tG0aa-000Abc-1x <= <> H=[2001:db8::25]:50000 P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=99",
                Direction::Inbound,
                tls(Protocol::Tls1_3, "TLS_AES_256_GCM_SHA384", 256),
                peer("", "", "2001:db8::25"),
                t,
            ),
            (
                "2024-11-26 16:04:18 1tG0aa-000Abc-1x <= bob@example.net H=(client.example.net) [203.0.113.9] P=esmtp S=512",
                Direction::Inbound,
                None,
                peer("", "client.example.net", "203.0.113.9"),
                t,
            ),
            (
                "2024-11-26 16:04:18 1tG0aa-000Abc-1x => carol@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.25] X=TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256 CV=yes DN=\"CN=mx.example.com\" C=\"250 2.0.0 Ok X=TLSv1:RC4-SHA:128\"",
                Direction::Outbound,
                tls(Protocol::Tls1_2, "ECDHE_RSA_AES_256_GCM_SHA384", 256),
                peer("mx.example.com", "", "192.0.2.25"),
                t,
            ),
            (
                "2024-11-26 16:04:18 1tG0aa-000Abc-1x -> dave@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.25]:25* X=TLS1.3:ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_256_GCM:256 CV=yes",
                Direction::Outbound,
                tls(Protocol::Tls1_3, "ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_256_GCM", 256),
                peer("mx.example.com", "", "192.0.2.25"),
                t,
            ),
            (
                "2024-11-26 16:04:18.123 +0100 [4242] 1tG0aa-0000000Abcd-1xYz => e@example.net <e@example.net> F=<a@b> R=smarthost T=remote_smtp_smarthost H=relay.example.net [198.51.100.7] C=\"250 OK\"",
                Direction::Outbound,
                None,
                peer("relay.example.net", "", "198.51.100.7"),
                "2024-11-26 16:04:18.123 +0100",
            ),
            (
                "2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=old.example (x) [192.0.2.3] T=\"subject with H=evil [10.0.0.1] and \\\" X=TLSv1:RC4-SHA:128\" P=esmtps X=TLSv1:DES-CBC3-SHA:168",
                Direction::Inbound,
                tls(Protocol::Tls1, "DES-CBC3-SHA", 168),
                peer("old.example", "x", "192.0.2.3"),
                t,
            ),
            (
                "2024-11-26 16:04:18 1tG0aa-000Abc-1x >> f@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.8] X=TLSv1.3:TLS_AES_128_GCM_SHA256:128",
                Direction::Outbound,
                tls(Protocol::Tls1_3, "TLS_AES_128_GCM_SHA256", 128),
                peer("mx.example.org", "", "192.0.2.8"),
                t,
            ),
            // Exim after 4.99: the key-exchange group as a fourth field,
            // on OpenSSL ≥ 3.2 and on GnuTLS ≥ 3.6 builds.
            (
                "2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@example.org H=mail.example.org [192.0.2.1]:40000 I=[198.51.100.1]:25 P=esmtps X=TLSv1.3:TLS_AES_256_GCM_SHA384:256:X25519MLKEM768 CV=no S=1000",
                Direction::Inbound,
                tls_group(Protocol::Tls1_3, "TLS_AES_256_GCM_SHA384", 256, "X25519MLKEM768"),
                peer("mail.example.org", "", "192.0.2.1"),
                t,
            ),
            (
                "2024-11-26 16:04:18 1tG0aa-000Abc-1x => b@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.9] X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256:X25519 CV=yes C=\"250 OK\"",
                Direction::Outbound,
                tls_group(Protocol::Tls1_3, "ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM", 256, "X25519"),
                peer("mx.example.net", "", "192.0.2.9"),
                t,
            ),
            // GnuTLS 3.1/3.2: the certificate type after the protocol.
            (
                "2024-11-26 16:04:18 1tG0aa-000Abc-1x <= c@example.com H=old.example.com [192.0.2.7] P=esmtps X=TLS1.2-PKIX:ECDHE_RSA_SECP521R1__AES_256_GCM__AEAD:256 S=1",
                Direction::Inbound,
                tls(Protocol::Tls1_2, "ECDHE_RSA_SECP521R1__AES_256_GCM__AEAD", 256),
                peer("old.example.com", "", "192.0.2.7"),
                t,
            ),
        ];
        for (text, direction, want_tls, want_peer, want_time) in table {
            let got = line(text.as_bytes());
            let want = Line::Smtp {
                direction: *direction,
                tls: *want_tls,
                peer: *want_peer,
                time: want_time.as_bytes(),
            };
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn other_local_and_malformed_lines() {
        let table: &[(&str, Line)] = &[
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= root@host U=root P=local S=300", Line::Local),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= <> R=1tG0a9-000Abb-1w U=Debian-exim P=local S=1800", Line::Local),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x => bob <bob@host> R=local_user T=mail_spool", Line::Local),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x => spam@x R=spamd T=remote_smtp H=localhost [127.0.0.1]:783", Line::Local),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x *> x@y R=dnslookup T=remote_smtp H=mx [192.0.2.1]", Line::Other),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x Completed", Line::Other),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x == x@y R=dnslookup defer (-44)", Line::Other),
            ("2024-11-26 16:04:18 H=(x) [192.0.2.1] F=<a@b> rejected RCPT <c@d>: relay not permitted", Line::Other),
            ("2024-11-26 16:04:18 Start queue run: pid=1234", Line::Other),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] X=TLSv1.4:AES:256", Line::Malformed(Malformed::BadTls)),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] X=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384", Line::Malformed(Malformed::BadTls)),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] X=TLSv1.2:AES\u{1}:256", Line::Malformed(Malformed::BadTls)),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] X=TLSv1.3:TLS_AES_256_GCM_SHA384:256:x25519:extra", Line::Malformed(Malformed::BadTls)),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] X=TLSv1.3:TLS_AES_256_GCM_SHA384:256:", Line::Malformed(Malformed::BadTls)),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [not.an:ip!] X=TLSv1.2:AES256-SHA:256", Line::Malformed(Malformed::BadHost)),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H= P=esmtp", Line::Malformed(Malformed::BadHost)),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1", Line::Malformed(Malformed::BadHost)),
            ("2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b T=\"unterminated H=[192.0.2.1]", Line::Local),
        ];
        for (text, want) in table {
            assert_eq!(line(text.as_bytes()), *want, "{text}");
        }
    }

    /// The direct search agrees with the tokeniser wherever it answers.
    #[test]
    fn both_field_paths_agree() {
        let lines = [
            "a@b H=mx.example (helo) [192.0.2.1]:25 I=[198.51.100.1]:25 P=esmtps X=TLSv1.2:AES256-SHA:256 CV=no S=1 T=\"s\"",
            "a@b R=r T=t H=mx [2001:db8::1]* X=TLS1.3:TLS_AES_256_GCM_SHA384:256 DN=\"CN=x\" C=\"250 X=TLSv1:RC4-SHA:128\"",
            "a@b H=mx [192.0.2.1] P=esmtp S=1",
            "a@b H=mx [192.0.2.1] C=\"250 ok\"",
            "a@b T=\"H=[192.0.2.9] X=TLSv1:RC4-SHA:128\" H=mx [192.0.2.1] X=TLSv1:DES-CBC3-SHA:168",
            "a@b H=(he said \"hi\") [192.0.2.1] X=TLSv1:DES-CBC3-SHA:168",
            "a@b U=root P=local S=1",
            "a@b H=mx [192.0.2.1] X=TLSv1.2:AES",
            "a@b H=mx [bad] X=TLSv1.2:AES:1",
            "a@b H=x (X=TLSv1:RC4-SHA:128) [192.0.2.1] P=esmtp",
        ];
        let mut direct_answers = 0;
        for l in lines {
            let (_, rest) = token(l.as_bytes());
            let slow = fields_tokenised(rest);
            if let Some(fast) = fields_direct(rest) {
                direct_answers += 1;
                assert_eq!(fast, slow, "{l}");
            }
        }
        assert_eq!(direct_answers, 7);
    }

    #[test]
    fn timestamps() {
        assert!(has_timestamp(b"2024-11-26 16:04:18 x"));
        assert!(!has_timestamp(b"2024-11-26T16:04:18 x"));
        assert!(!has_timestamp(b"Nov 26 16:04:18 host"));
        assert!(!has_timestamp(b"2024-11-26 16:04"));
        // Truncated after the timestamp: nothing to count, no panic.
        assert_eq!(line(b"2024-11-26 16:04:18"), Line::Other);
        assert_eq!(line(b"2024-11-26 16:04:18.5"), Line::Other);
        assert_eq!(line(b"2024-11-26 16:04:18 [12"), Line::Other);
    }
}
