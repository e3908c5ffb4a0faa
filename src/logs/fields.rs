//! Small byte-level parsers shared by the Exim and Postfix line parsers:
//! protocol spellings, cipher names, addresses, `name[ip]:port`.

use crate::tls::Protocol;

/// A protocol as Exim (OpenSSL: `TLSv1.2`, `TLS1.3`; GnuTLS: `TLS1.2`,
/// `SSL3.0`) or Postfix (`TLSv1.3`) spell it.
pub(crate) fn protocol(s: &[u8]) -> Option<Protocol> {
    if let Some(v) = strip_prefix_ci(s, b"TLS") {
        // `TLSv1.2` and `TLS1.2`.
        let v = v.strip_prefix(b"v").or(v.strip_prefix(b"V")).unwrap_or(v);
        return match v {
            b"1" | b"1.0" => Some(Protocol::Tls1),
            b"1.1" => Some(Protocol::Tls1_1),
            b"1.2" => Some(Protocol::Tls1_2),
            b"1.3" => Some(Protocol::Tls1_3),
            _ => None,
        };
    }
    match strip_prefix_ci(s, b"SSL")? {
        b"v3" | b"V3" | b"3" | b"3.0" => Some(Protocol::Ssl3),
        _ => None,
    }
}

fn strip_prefix_ci<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A plausible cipher name: OpenSSL (`ECDHE-RSA-AES256-GCM-SHA384`) or
/// GnuTLS (`ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_256_GCM`). Anything
/// else in that position is a damaged line, not a cipher to count.
pub(crate) fn is_cipher_name(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
}

/// Decimal bits (`256`, `168`).
pub(crate) fn bits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 6 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// An IPv4 or IPv6 address as text (`192.0.2.1`, `2001:db8::1`,
/// `::ffff:192.0.2.1`, `fe80::1%eth0`). Syntax only: enough to tell an
/// address from a damaged field.
pub(crate) fn is_ip(s: &[u8]) -> bool {
    let (addr, zone) = match memchr::memchr(b'%', s) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &b""[..]),
    };
    (2..=45).contains(&addr.len())
        && addr.iter().any(|&b| b == b'.' || b == b':')
        && addr
            .iter()
            .all(|&b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
        && zone.iter().all(u8::is_ascii_alphanumeric)
}

/// 127.0.0.0/8 or ::1 (also as an IPv4-mapped IPv6 address).
pub(crate) fn is_loopback(ip: &[u8]) -> bool {
    let v4 = ip.strip_prefix(b"::ffff:").unwrap_or(ip);
    v4.starts_with(b"127.") || ip == b"::1" || ip == b"0:0:0:0:0:0:0:1"
}

/// A host name as Postfix or Exim logs it (`mx.example.com`, `unknown`).
pub(crate) fn is_host_name(s: &[u8]) -> bool {
    s.len() <= 255
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// Postfix's `name[ip]` with an optional `:port`, at the start of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameAddr<'a> {
    /// Empty for Postfix's `unknown` (no reverse DNS).
    pub name: &'a [u8],
    pub ip: &'a [u8],
    /// `[ip]:port` as logged: what identifies a relay.
    pub addr: &'a [u8],
    /// What follows the address and port.
    pub rest: &'a [u8],
}

pub(crate) fn name_addr(s: &[u8]) -> Option<NameAddr<'_>> {
    let open = memchr::memchr(b'[', s)?;
    let close = open + 1 + memchr::memchr(b']', &s[open + 1..])?;
    let (name, ip) = (&s[..open], &s[open + 1..close]);
    if !is_host_name(name) || !is_ip(ip) {
        return None;
    }
    let mut end = close + 1;
    if s.get(end) == Some(&b':') {
        let digits = s[end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits > 0 {
            end += 1 + digits;
        }
    }
    Some(NameAddr {
        name: if name == b"unknown" { &b""[..] } else { name },
        ip,
        addr: &s[open..end],
        rest: &s[end..],
    })
}

/// Splits off the first space-separated token.
pub(crate) fn token(s: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b' ', s) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &b""[..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_spellings() {
        let table: &[(&str, Option<Protocol>)] = &[
            ("TLSv1.3", Some(Protocol::Tls1_3)),
            ("TLS1.3", Some(Protocol::Tls1_3)),
            ("TLSv1.2", Some(Protocol::Tls1_2)),
            ("TLS1.2", Some(Protocol::Tls1_2)),
            ("TLSv1.1", Some(Protocol::Tls1_1)),
            ("TLS1.1", Some(Protocol::Tls1_1)),
            ("TLSv1", Some(Protocol::Tls1)),
            ("TLS1.0", Some(Protocol::Tls1)),
            ("TLSv1.0", Some(Protocol::Tls1)),
            ("SSLv3", Some(Protocol::Ssl3)),
            ("SSL3.0", Some(Protocol::Ssl3)),
            ("tlsv1.2", Some(Protocol::Tls1_2)),
            ("TLSv1.4", None),
            ("DTLSv1.2", None),
            ("SSLv2", None),
            ("", None),
            ("TLS", None),
        ];
        for (s, want) in table {
            assert_eq!(protocol(s.as_bytes()), *want, "{s}");
        }
    }

    #[test]
    fn addresses() {
        for ok in [
            "192.0.2.1",
            "2001:db8::1",
            "::1",
            "::ffff:192.0.2.7",
            "fe80::1%eth0",
        ] {
            assert!(is_ip(ok.as_bytes()), "{ok}");
        }
        for bad in ["", "example.com", "192.0.2.1 x", "12", "1.2.3.4]"] {
            assert!(!is_ip(bad.as_bytes()), "{bad}");
        }
        assert!(is_loopback(b"127.0.0.1") && is_loopback(b"::1"));
        assert!(is_loopback(b"::ffff:127.0.0.1"));
        assert!(!is_loopback(b"192.0.2.1") && !is_loopback(b"2001:db8::127"));
    }

    #[test]
    fn postfix_name_addr() {
        type Want = Option<(&'static str, &'static str, &'static str, &'static str)>;
        let table: &[(&str, Want)] = &[
            (
                "mx.example.com[192.0.2.1]:25: TLSv1.2",
                Some(("mx.example.com", "192.0.2.1", "[192.0.2.1]:25", ": TLSv1.2")),
            ),
            (
                "unknown[2001:db8::5]: x",
                Some(("", "2001:db8::5", "[2001:db8::5]", ": x")),
            ),
            (
                "a.example[198.51.100.2]:587, delay=1",
                Some((
                    "a.example",
                    "198.51.100.2",
                    "[198.51.100.2]:587",
                    ", delay=1",
                )),
            ),
            (
                "a.example[2001:db8::1]:25",
                Some(("a.example", "2001:db8::1", "[2001:db8::1]:25", "")),
            ),
            (
                "a.example[192.0.2.1]:x",
                Some(("a.example", "192.0.2.1", "[192.0.2.1]", ":x")),
            ),
            ("none", None),
            ("a b[192.0.2.1]", None),
            ("a.example[not-an-ip]", None),
            ("a.example[192.0.2.1", None),
        ];
        for (s, want) in table {
            let got = name_addr(s.as_bytes()).map(|n| (n.name, n.ip, n.addr, n.rest));
            let want =
                want.map(|(n, i, a, r)| (n.as_bytes(), i.as_bytes(), a.as_bytes(), r.as_bytes()));
            assert_eq!(got, want, "{s}");
        }
    }

    #[test]
    fn ciphers_and_bits() {
        assert!(is_cipher_name(b"ECDHE-RSA-AES256-GCM-SHA384"));
        assert!(is_cipher_name(
            b"ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_256_GCM"
        ));
        assert!(!is_cipher_name(b"") && !is_cipher_name(b"AES 256") && !is_cipher_name(b"\xff"));
        assert_eq!(bits(b"256"), Some(256));
        assert_eq!(bits(b""), None);
        assert_eq!(bits(b"25x"), None);
        assert_eq!(bits(b"99999999999"), None);
    }
}
