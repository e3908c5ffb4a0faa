//! Postfix `smtpd` (inbound) and `smtp` (outbound) lines, and the little
//! per-process state needed to tell plaintext connections from TLS ones.
//!
//! Postfix logs TLS once per connection, from the process that made it:
//!
//! ```text
//! postfix/smtpd[123]: Anonymous TLS connection established from a.example[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) ...
//! postfix/smtp[456]: Trusted TLS connection established to mx.example[192.0.2.2]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)
//! ```
//!
//! and says nothing when a connection stays in plaintext, so plaintext is
//! inferred:
//! - inbound, from `disconnect from NAME[IP] ehlo=1 mail=1 ... commands=N`
//!   (Postfix ≥ 3.0): a session that sent `EHLO`/`HELO` but no `STARTTLS`
//!   and established no TLS (port 465 wrapper-mode sessions log TLS and
//!   no `starttls=`, hence the correlation) is plaintext;
//! - outbound, from a delivery line (`to=<...>, relay=NAME[IP]:PORT, ...
//!   status=...`) whose relay the same process did not log a TLS
//!   connection to: one plaintext connection per queue id and relay
//!   (several recipients share one connection).
//!
//! The key of a TLS connection uses Postfix's second number of
//! `(strength/algorithm bits)`, the algorithm bits, which is what Exim logs
//! (`DES-CBC3-SHA:168`), so keys from both MTAs match.

use std::collections::HashMap;
use std::hash::Hasher;

use memchr::memmem;

use super::fields::{self, token};
use super::syslog::Prefix;
use super::{Direction, Line, Malformed, Peer, Tls};

use crate::limits::LOG_POSTFIX_PROCESSES as MAX_PROCESSES;

/// Correlation state, per Postfix process (tag and PID).
#[derive(Debug, Default)]
pub(crate) struct Correlation {
    /// Keyed by a hash of tag and PID: a collision between two of a few
    /// thousand live processes is as good as impossible, and the key costs
    /// no allocation per line.
    procs: HashMap<u64, Proc>,
    clock: u64,
    /// smtpd sessions whose STARTTLS succeeded (`starttls=1`) without a TLS
    /// line from the process: `smtpd_tls_loglevel = 0` hides their ciphers.
    pub(crate) unlogged_tls_in: u64,
    /// TLS lines of smtp processes, and outbound connections counted as
    /// plaintext: with `smtp_tls_loglevel = 0` (Postfix's default) the
    /// first stays 0 and the second cannot be trusted.
    pub(crate) tls_out: u64,
    pub(crate) plaintext_out: u64,
}

#[derive(Debug, Default)]
struct Proc {
    last_use: u64,
    /// smtpd: the client's address; smtp: the relay's `[ip]:port`; of the
    /// last TLS connection.
    tls_peer: Vec<u8>,
    /// smtp: `queue-id [ip]:port` of the last plaintext delivery counted.
    plain: Vec<u8>,
}

impl Correlation {
    fn proc(&mut self, p: &Prefix<'_>) -> &mut Proc {
        let mut h = std::hash::DefaultHasher::new();
        h.write(p.tag);
        h.write_u8(b'[');
        h.write(p.pid);
        let key = h.finish();
        if self.procs.len() >= MAX_PROCESSES && !self.procs.contains_key(&key) {
            self.evict_older_half();
        }
        self.clock += 1;
        let proc = self.procs.entry(key).or_default();
        proc.last_use = self.clock;
        proc
    }

    fn evict_older_half(&mut self) {
        let mut uses: Vec<u64> = self.procs.values().map(|p| p.last_use).collect();
        let mid = uses.len() / 2;
        let (_, median, _) = uses.select_nth_unstable(mid);
        let median = *median;
        self.procs.retain(|_, p| p.last_use > median);
    }

    /// A line of an `…/smtpd` process.
    pub(crate) fn smtpd<'a>(&mut self, p: &Prefix<'a>) -> Line<'a> {
        let msg = p.message;
        if let Some(rest) = msg.strip_prefix(b"connect from ") {
            if fields::name_addr(rest).is_some() {
                self.proc(p).tls_peer.clear();
            }
            return Line::Other;
        }
        if let Some(at) = memmem::find(msg, b"TLS connection established from ") {
            let rest = &msg[at + b"TLS connection established from ".len()..];
            let Some(peer) = fields::name_addr(rest) else {
                return Line::Malformed(Malformed::BadHost);
            };
            let Some(tls) = peer.rest.strip_prefix(b": ").and_then(tls_params) else {
                return Line::Malformed(Malformed::BadTls);
            };
            let proc = self.proc(p);
            proc.tls_peer.clear();
            proc.tls_peer.extend_from_slice(peer.ip);
            return Line::smtp(Direction::Inbound, Some(tls), peer_of(&peer), p.time);
        }
        if let Some(rest) = msg.strip_prefix(b"disconnect from ") {
            let Some(peer) = fields::name_addr(rest) else {
                return Line::Malformed(Malformed::BadHost);
            };
            let proc = self.proc(p);
            let was_tls = proc.tls_peer == peer.ip;
            proc.tls_peer.clear();
            let stats = peer.rest;
            let smtp_dialogue = memmem::find(stats, b" ehlo=").is_some()
                || memmem::find(stats, b" helo=").is_some();
            if was_tls {
                return Line::Other;
            }
            if let Some(at) = memmem::find(stats, b" starttls=") {
                let ok = stats[at + b" starttls=".len()..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .any(|&b| b != b'0');
                if ok {
                    self.unlogged_tls_in += 1;
                }
                return Line::Other;
            }
            if !smtp_dialogue {
                return Line::Other;
            }
            return Line::smtp(Direction::Inbound, None, peer_of(&peer), p.time);
        }
        Line::Other
    }

    /// A line of an `…/smtp` process.
    pub(crate) fn smtp<'a>(&mut self, p: &Prefix<'a>) -> Line<'a> {
        let msg = p.message;
        if let Some(at) = memmem::find(msg, b"TLS connection established to ") {
            let rest = &msg[at + b"TLS connection established to ".len()..];
            let Some(peer) = fields::name_addr(rest) else {
                return Line::Malformed(Malformed::BadHost);
            };
            let Some(tls) = peer.rest.strip_prefix(b": ").and_then(tls_params) else {
                return Line::Malformed(Malformed::BadTls);
            };
            self.tls_out += 1;
            let proc = self.proc(p);
            proc.tls_peer.clear();
            proc.tls_peer.extend_from_slice(peer.addr);
            return Line::smtp(Direction::Outbound, Some(tls), peer_of(&peer), p.time);
        }
        // `QUEUEID: to=<...>, relay=NAME[IP]:PORT, delay=..., status=...`
        let Some(at) = memmem::find(msg, b", relay=") else {
            return Line::Other;
        };
        if memmem::find(msg, b" status=").is_none() {
            return Line::Other;
        }
        let queue_id = match memchr::memchr(b':', msg) {
            Some(i) if i < at => &msg[..i],
            _ => return Line::Other,
        };
        // `relay=none` (no connection was made) and the like.
        let Some(peer) = fields::name_addr(&msg[at + b", relay=".len()..]) else {
            return Line::Other;
        };
        let proc = self.proc(p);
        if proc.tls_peer == peer.addr {
            return Line::Other;
        }
        let same_connection = proc.plain.len() == queue_id.len() + 1 + peer.addr.len()
            && proc.plain.starts_with(queue_id)
            && proc.plain.ends_with(peer.addr);
        if same_connection {
            return Line::Other;
        }
        proc.plain.clear();
        proc.plain.extend_from_slice(queue_id);
        proc.plain.push(b' ');
        proc.plain.extend_from_slice(peer.addr);
        if !fields::is_loopback(peer.ip) {
            self.plaintext_out += 1;
        }
        Line::smtp(Direction::Outbound, None, peer_of(&peer), p.time)
    }
}

fn peer_of<'a>(n: &fields::NameAddr<'a>) -> Peer<'a> {
    Peer {
        name: n.name,
        helo: &[],
        ip: n.ip,
    }
}

/// `TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)`, and what
/// Postfix ≥ 3.4 adds for TLS 1.3 (`tls_log_summary()` in `tls_misc.c`):
/// `key-exchange X25519 server-signature RSA-PSS (2048 bits)
/// server-digest SHA256`. The key exchange is a group name (OpenSSL ≥ 3.0
/// gives its TLS name, `x25519`, `X25519MLKEM768`; 1.1.1 the object name
/// `X25519`, or `ECDHE (prime256v1)` with the curve, `DHE (2048 bits)`).
fn tls_params(s: &[u8]) -> Option<Tls<'_>> {
    let (protocol, rest) = token(s);
    let rest = rest.strip_prefix(b"with cipher ")?;
    let (cipher, rest) = token(rest);
    let numbers = rest.strip_prefix(b"(")?;
    let end = memmem::find(numbers, b" bits)")?;
    let slash = memchr::memchr(b'/', &numbers[..end])?;
    fields::bits(&numbers[..slash])?;
    if !fields::is_cipher_name(cipher) {
        return None;
    }
    let extras = &numbers[end + b" bits)".len()..];
    let group = match extra(extras, b" key-exchange ") {
        // The curve says which group.
        Some((b"ECDHE", detail, _)) if !detail.is_empty() => detail,
        Some((_, _, whole)) => whole,
        None => &[],
    };
    let signature = extra(extras, b" server-signature ").map_or(&[][..], |(name, _, _)| name);
    let digest = extra(extras, b" server-digest ").map_or(&[][..], |(name, _, _)| name);
    Some(Tls {
        group,
        signature,
        digest,
        ..Tls::new(
            fields::protocol(protocol)?,
            cipher,
            fields::bits(&numbers[slash + 1..end])?,
        )
    })
}

/// The value of `label` in Postfix's TLS summary: the name, what follows
/// it in parentheses (a curve, `2048 bits`; empty if nothing does), and
/// both as logged (`DHE (2048 bits)`). `None` if absent or not a name.
fn extra<'a>(s: &'a [u8], label: &[u8]) -> Option<(&'a [u8], &'a [u8], &'a [u8])> {
    let start = memmem::find(s, label)? + label.len();
    let (name, rest) = token(&s[start..]);
    if !fields::is_cipher_name(name) {
        return None;
    }
    let detail = rest
        .strip_prefix(b"(")
        .and_then(|r| memchr::memchr(b')', r).map(|close| &r[..close]))
        .filter(|d| {
            d.len() <= 64
                && d.iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b' '))
        })
        .unwrap_or_default();
    let whole_len = if detail.is_empty() {
        name.len()
    } else {
        name.len() + 2 + detail.len() + 1
    };
    Some((name, detail, &s[start..start + whole_len]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::syslog::prefix;
    use crate::tls::Protocol;

    /// Runs lines through one correlation state; `Some((direction, key))`
    /// for counted lines (`key` empty for plaintext), `None` otherwise.
    fn run(lines: &[&str]) -> Vec<Option<(Direction, String, String)>> {
        let mut c = Correlation::default();
        lines
            .iter()
            .map(|l| {
                let p = prefix(l.as_bytes()).expect("syslog line");
                let line = if p.tag.ends_with(b"smtpd") {
                    c.smtpd(&p)
                } else {
                    c.smtp(&p)
                };
                match line {
                    Line::Smtp {
                        direction,
                        tls,
                        peer,
                        ..
                    } => Some((
                        direction,
                        tls.map(|t| {
                            format!(
                                "{}:{}:{}",
                                t.protocol,
                                String::from_utf8_lossy(t.cipher),
                                t.bits
                            )
                        })
                        .unwrap_or_default(),
                        String::from_utf8_lossy(peer.ip).into_owned(),
                    )),
                    _ => None,
                }
            })
            .collect()
    }

    fn tls(d: Direction, key: &str, ip: &str) -> Option<(Direction, String, String)> {
        Some((d, key.to_string(), ip.to_string()))
    }

    #[test]
    fn inbound_tls_and_plaintext() {
        use Direction::Inbound as In;
        let got = run(&[
            "Nov 26 16:04:18 mx postfix/smtpd[10]: connect from a.example[192.0.2.1]",
            "Nov 26 16:04:18 mx postfix/smtpd[10]: Anonymous TLS connection established from a.example[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
            "Nov 26 16:04:19 mx postfix/smtpd[10]: disconnect from a.example[192.0.2.1] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7",
            "Nov 26 16:04:20 mx postfix/smtpd[10]: connect from unknown[2001:db8::7]",
            "Nov 26 16:04:21 mx postfix/smtpd[10]: disconnect from unknown[2001:db8::7] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
            "Nov 26 16:04:22 mx postfix/smtpd[11]: disconnect from b.example[192.0.2.2] commands=0/0",
            "Nov 26 16:04:22 mx postfix/smtpd[11]: disconnect from b.example[192.0.2.2] ehlo=1 starttls=0/1 commands=1/2",
            "Nov 26 16:04:23 mx postfix/smtps/smtpd[12]: TLS connection established from c.example[198.51.100.3]: TLSv1.2 with cipher DES-CBC3-SHA (112/168 bits)",
            "Nov 26 16:04:24 mx postfix/smtps/smtpd[12]: disconnect from c.example[198.51.100.3] ehlo=1 auth=1 mail=1 quit=1 commands=4",
            "Nov 26 16:04:25 mx postfix/smtpd[13]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 quit=1 commands=3",
            "Nov 26 16:04:25 mx postfix/smtpd[13]: NOQUEUE: reject: RCPT from x[192.0.2.9]: 554 5.7.1 <a@b>: Relay access denied",
        ]);
        assert_eq!(
            got,
            vec![
                None,
                tls(In, "TLSv1.3:TLS_AES_256_GCM_SHA384:256", "192.0.2.1"),
                None,
                None,
                tls(In, "", "2001:db8::7"),
                None,
                None,
                tls(In, "TLSv1.2:DES-CBC3-SHA:168", "198.51.100.3"),
                None,
                None,
                None,
            ]
        );
    }

    #[test]
    fn outbound_tls_and_plaintext() {
        use Direction::Outbound as Out;
        let got = run(&[
            "2026-11-26T16:04:18+01:00 mx postfix/smtp[20]: Trusted TLS connection established to mx.b.example[192.0.2.20]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
            "2026-11-26T16:04:18+01:00 mx postfix/smtp[20]: 4F1A2B3C: to=<a@b.example>, relay=mx.b.example[192.0.2.20]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
            "2026-11-26T16:04:19+01:00 mx postfix/smtp[20]: 4F1A2B3D: to=<c@c.example>, relay=mx.c.example[2001:db8::25]:25, delay=1, dsn=2.0.0, status=sent (250 Ok)",
            "2026-11-26T16:04:19+01:00 mx postfix/smtp[20]: 4F1A2B3D: to=<d@c.example>, relay=mx.c.example[2001:db8::25]:25, delay=1, dsn=2.0.0, status=sent (250 Ok)",
            "2026-11-26T16:04:20+01:00 mx postfix/smtp[21]: 4F1A2B3E: to=<e@d.example>, relay=none, delay=30, status=deferred (connect to mx.d.example[192.0.2.30]:25: Connection refused)",
            "2026-11-26T16:04:21+01:00 mx postfix/smtp[21]: 4F1A2B3F: to=<f@e.example>, relay=mx.e.example[192.0.2.40]:25, delay=2, dsn=4.7.1, status=deferred (host mx.e.example[192.0.2.40] said: 450 try later)",
            "2026-11-26T16:04:22+01:00 mx postfix/smtp[22]: 4F1A2B40: to=<g@x>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.1, status=sent (250 queued)",
            "2026-11-26T16:04:23+01:00 mx postfix/smtp[23]: Untrusted TLS connection established to mx.f.example[192.0.2.50]:25: TLSv1 with cipher TLS_GARBAGE (x bits)",
        ]);
        assert_eq!(
            got,
            vec![
                tls(Out, "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256", "192.0.2.20"),
                None,
                tls(Out, "", "2001:db8::25"),
                None,
                None,
                tls(Out, "", "192.0.2.40"),
                None,
                None,
            ]
        );
    }

    #[test]
    fn notices_tls_logging_turned_off() {
        let mut c = Correlation::default();
        for l in [
            "Nov 26 16:04:19 mx postfix/smtpd[10]: disconnect from a.example[192.0.2.1] ehlo=2 starttls=1 mail=1 quit=1 commands=5",
            "Nov 26 16:04:19 mx postfix/smtpd[10]: disconnect from a.example[192.0.2.1] ehlo=1 starttls=0/1 commands=1/2",
            "Nov 26 16:04:19 mx postfix/smtp[20]: 4F1A: to=<a@b>, relay=mx.b[192.0.2.2]:25, delay=1, dsn=2.0.0, status=sent (250 Ok)",
        ] {
            let p = prefix(l.as_bytes()).expect("syslog line");
            if p.tag.ends_with(b"smtpd") {
                c.smtpd(&p);
            } else {
                c.smtp(&p);
            }
        }
        assert_eq!((c.unlogged_tls_in, c.tls_out, c.plaintext_out), (1, 0, 1));
    }

    /// Postfix ≥ 3.4 on TLS 1.3: group, signature and digest; earlier
    /// protocols log none of them.
    #[test]
    fn tls_1_3_extras() {
        let table: &[(&str, &str, &str, &str)] = &[
            (
                "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
                "X25519",
                "RSA-PSS",
                "SHA256",
            ),
            (
                "TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519MLKEM768 server-signature ECDSA (prime256v1) server-digest SHA256 client-signature RSA-PSS (2048 bits) client-digest SHA256",
                "X25519MLKEM768",
                "ECDSA",
                "SHA256",
            ),
            (
                "TLSv1.3 with cipher TLS_CHACHA20_POLY1305_SHA256 (256/256 bits) key-exchange ECDHE (prime256v1) server-signature ED25519",
                "prime256v1",
                "ED25519",
                "",
            ),
            (
                "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange DHE (2048 bits) server-signature RSA-PSS (4096 bits) server-digest SHA384",
                "DHE (2048 bits)",
                "RSA-PSS",
                "SHA384",
            ),
            (
                "TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
                "",
                "",
                "",
            ),
            (
                "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange \x1b[31m server-signature",
                "",
                "",
                "",
            ),
        ];
        for (line, group, signature, digest) in table {
            let t = tls_params(line.as_bytes()).expect("parses");
            assert_eq!(
                (t.group, t.signature, t.digest),
                (group.as_bytes(), signature.as_bytes(), digest.as_bytes()),
                "{line}"
            );
        }
    }

    #[test]
    fn tls_parameters() {
        let t = tls_params(b"TLSv1.2 with cipher DES-CBC3-SHA (112/168 bits)").expect("parses");
        assert_eq!(
            (t.protocol, t.cipher, t.bits),
            (Protocol::Tls1_2, &b"DES-CBC3-SHA"[..], 168)
        );
        assert!(tls_params(b"TLSv1.2 with cipher X (256 bits)").is_none());
        assert!(tls_params(b"TLSv9 with cipher X (256/256 bits)").is_none());
        assert!(tls_params(b"TLSv1.2 with cipher").is_none());
    }

    #[test]
    fn process_table_is_bounded() {
        let mut c = Correlation::default();
        for pid in 0..(3 * MAX_PROCESSES) {
            let line =
                format!("Nov 26 16:04:18 mx postfix/smtpd[{pid}]: connect from a[192.0.2.1]");
            let p = prefix(line.as_bytes()).expect("syslog line");
            c.smtpd(&p);
            assert!(c.procs.len() <= MAX_PROCESSES);
        }
    }
}
