//! Turning what a user typed into the ASCII name the resolver looks up.
//!
//! Unicode names are converted to A-labels with UTS 46 processing (the same
//! mapping browsers apply), so `Bücher.example` and `xn--bcher-kva.example` are
//! one target. Beyond that the rules are the host name rules of RFC 1123 §2.1
//! with two relaxations: `_` is accepted (some real mail hosts carry it, and
//! service names such as `_mta-sts.example.org` are looked up through the same
//! path), and a name is never required to have more than one label.
//!
//! IP address literals are rejected: a probe of an address is a `--host`
//! target, and a domain that looks like an address is a user mistake, not
//! something to send to the DNS.

use std::net::IpAddr;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// Longest label, RFC 1035 §2.3.4.
const MAX_LABEL: usize = 63;
/// Longest name in presentation form without the trailing dot: 255 octets on
/// the wire are 253 characters written out (RFC 1035 §2.3.4).
const MAX_NAME: usize = 253;

/// A domain name that cannot be looked up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid domain name {input:?}: {reason}")]
pub struct NameError {
    /// The input as given (before trimming).
    pub input: String,
    /// Why it was rejected, lower case, without a trailing full stop.
    pub reason: String,
}

/// Normalise a user-supplied domain: trim, lower case, drop a trailing dot,
/// IDN to A-labels, validate.
///
/// ```
/// use mxprobe::dns::normalize_domain;
/// assert_eq!(normalize_domain(" Bücher.example. ").unwrap(), "xn--bcher-kva.example");
/// assert!(normalize_domain("192.0.2.1").is_err());
/// ```
pub fn normalize_domain(input: &str) -> Result<String, NameError> {
    let fail = |reason: String| NameError {
        input: input.to_owned(),
        reason,
    };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(fail("is empty".into()));
    }
    if trimmed.chars().any(char::is_whitespace) {
        return Err(fail("contains whitespace".into()));
    }
    let name = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if name.is_empty() {
        return Err(fail("is the DNS root, not a domain".into()));
    }
    let literal = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    if literal.parse::<IpAddr>().is_ok() {
        return Err(fail("an IP address, not a domain".into()));
    }
    if let Some(c) = name.chars().find(|c| c.is_ascii() && !is_name_char(*c)) {
        return Err(fail(format!("contains invalid character {c:?}")));
    }

    // Structural checks run again after the mapping (below) because UTS 46
    // also treats the ideographic full stops as label separators.
    check_labels(name).map_err(fail)?;
    // ASCII names go through the mapping too, so that malformed `xn--`
    // labels are caught here rather than by the resolver.
    let ascii = to_ascii(name).map_err(fail)?;
    check_labels(&ascii).map_err(fail)?;
    if let Some(c) = ascii.chars().find(|c| !is_name_char(*c)) {
        return Err(fail(format!("contains invalid character {c:?}")));
    }
    if ascii.len() > MAX_NAME {
        return Err(fail(format!(
            "is {} characters long, more than {MAX_NAME}",
            ascii.len()
        )));
    }
    Ok(ascii)
}

/// UTS 46 ToASCII, without its own ASCII restrictions: ours (with `_`
/// allowed) are checked afterwards and give better reasons.
fn to_ascii(name: &str) -> Result<String, String> {
    Uts46::new()
        .to_ascii(
            name.as_bytes(),
            AsciiDenyList::EMPTY,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .map(|cow| cow.to_ascii_lowercase())
        .map_err(|_| "not a valid internationalised domain name (UTS 46)".to_owned())
}

/// Letters, digits, hyphen (LDH), and `_`; the dot separates labels.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
}

fn check_labels(name: &str) -> Result<(), String> {
    let labels: Vec<&str> = name.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err("contains an empty label".into());
        }
        if label.len() > MAX_LABEL {
            return Err(format!(
                "label {:?} is {} characters long, more than {MAX_LABEL}",
                shorten(label),
                label.len()
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} starts or ends with a hyphen"));
        }
    }
    // RFC 3696 §2: top-level domains are never all-numeric, so such a name is
    // a mistyped address (`10.0.0`), not a domain.
    if let Some(last) = labels.last() {
        if labels.len() > 1 && last.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("top-level label {last:?} is all-numeric"));
        }
    }
    Ok(())
}

/// Long labels are quoted in messages; keep them readable.
fn shorten(label: &str) -> String {
    match label.char_indices().nth(20) {
        Some((i, _)) => format!("{}…", &label[..i]),
        None => label.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_valid_names() {
        let cases = [
            ("example.org", "example.org"),
            ("EXAMPLE.org.", "example.org"),
            ("  mail.Example.ORG \t", "mail.example.org"),
            ("Bücher.example", "xn--bcher-kva.example"),
            ("münchen.de", "xn--mnchen-3ya.de"),
            ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
            ("MÜNCHEN.DE.", "xn--mnchen-3ya.de"),
            // Ideographic full stop is a label separator under UTS 46.
            ("例え。テスト", "xn--r8jz45g.xn--zckzah"),
            // UTS 46 (unlike IDNA2008) maps emoji; browsers resolve these.
            ("💩.la", "xn--ls8h.la"),
            ("_mta-sts.example.org", "_mta-sts.example.org"),
            ("mx_1.example.org", "mx_1.example.org"),
            ("localhost", "localhost"),
            ("a-b.c-d.example", "a-b.c-d.example"),
            ("1.2.3.example", "1.2.3.example"),
            ("0.example", "0.example"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_domain(input).as_deref(), Ok(want), "{input:?}");
        }
    }

    #[test]
    fn accepts_limits_exactly() {
        let label63 = "a".repeat(63);
        assert!(normalize_domain(&format!("{label63}.org")).is_ok());
        // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253
        let name253 = format!("{label63}.{label63}.{label63}.{}", "b".repeat(61));
        assert_eq!(name253.len(), 253);
        assert_eq!(normalize_domain(&name253).as_deref(), Ok(name253.as_str()));
        assert!(normalize_domain(&format!("{name253}.")).is_ok());
    }

    #[test]
    fn rejects_invalid_names_with_a_reason() {
        let label64 = "a".repeat(64);
        let name254 = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(63),
            "b".repeat(62)
        );
        let long_idn = format!("{}.example", "ü".repeat(60));
        let cases: [(&str, &str); 19] = [
            ("", "is empty"),
            ("   ", "is empty"),
            (".", "is the DNS root, not a domain"),
            ("exa mple.org", "contains whitespace"),
            ("exa\tmple.org", "contains whitespace"),
            ("a..b", "contains an empty label"),
            (".example.org", "contains an empty label"),
            ("example.org..", "contains an empty label"),
            (&label64, "is 64 characters long, more than 63"),
            (&name254, "is 254 characters long, more than 253"),
            (&long_idn, "characters long, more than 63"),
            ("-foo.org", "starts or ends with a hyphen"),
            ("foo-.org", "starts or ends with a hyphen"),
            ("192.0.2.1", "an IP address, not a domain"),
            ("192.0.2.1.", "an IP address, not a domain"),
            ("2001:db8::1", "an IP address, not a domain"),
            ("[2001:db8::1]", "an IP address, not a domain"),
            ("user@example.org", "contains invalid character '@'"),
            ("10.0.0", "top-level label \"0\" is all-numeric"),
        ];
        for (input, reason) in cases {
            let err = normalize_domain(input).expect_err(input);
            assert!(
                err.reason.contains(reason),
                "{input:?}: got {:?}, want {reason:?}",
                err.reason
            );
            assert_eq!(err.input, input);
        }
    }

    #[test]
    fn rejects_broken_idn() {
        let err = normalize_domain("xn--a.example").expect_err("bad punycode");
        assert_eq!(
            err.reason,
            "not a valid internationalised domain name (UTS 46)"
        );
        // A label that maps to an invalid character after UTS 46.
        assert!(normalize_domain("a\u{2488}.org").is_err());
    }

    #[test]
    fn error_names_input_and_reason() {
        let err = normalize_domain("exa mple.org").expect_err("whitespace");
        assert_eq!(
            err.to_string(),
            r#"invalid domain name "exa mple.org": contains whitespace"#
        );
    }
}
