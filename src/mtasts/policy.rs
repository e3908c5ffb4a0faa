//! The MTA-STS policy file (RFC 8461 §3.2) and its `mx:` patterns (§4.1).
//! Pure: text in, [`Policy`] or a reason out.
//!
//! Lines end in CRLF or LF; each is `key: value` (spaces or tabs around
//! the value ignored). `version`, `mode` and `max_age` must appear once;
//! `mx` may repeat and is required unless the mode is `none`. Unknown keys
//! are ignored (§3.2: "MUST be ignored"). Keys and keywords are
//! case-sensitive: §3.2 writes them as `%s"..."` (RFC 7405), and senders
//! compare them exactly, so `Mode: Enforce` is an error here too.

use crate::spelling::spelling;
use serde::{Deserialize, Serialize};

use super::MtaStsError;

/// Longest `max_age` allowed: 31557600 s, about one year.
pub(crate) const MAX_AGE_LIMIT: u64 = 31_557_600;

/// The policy mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Senders must not deliver unless TLS to a matching MX validates.
    Enforce,
    /// Senders deliver anyway and report failures (TLS-RPT).
    Testing,
    /// The policy is being withdrawn.
    None,
}

spelling!(Mode {
    Enforce => "enforce",
    Testing => "testing",
    None => "none",
});

/// A parsed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// What senders are asked to do.
    pub mode: Mode,
    /// `mx:` patterns as written, lower case (`mx.example.org`,
    /// `*.example.org`).
    pub mx: Vec<String>,
    /// Seconds a sender may cache the policy.
    pub max_age: u64,
}

impl Policy {
    /// Parse a policy body.
    pub fn parse(text: &str) -> Result<Policy, MtaStsError> {
        let (mut version, mut mode, mut max_age) = (None, None, None);
        let mut mx = Vec::new();
        for (n, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                continue;
            }
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| MtaStsError::PolicyLine {
                    line: n + 1,
                    text: line.to_owned(),
                })?;
            let value = value.trim_matches([' ', '\t']);
            let once = |slot: &Option<String>, name: &'static str| {
                if slot.is_some() {
                    Err(MtaStsError::PolicyTwice {
                        line: n + 1,
                        key: name,
                    })
                } else {
                    Ok(Some(value.to_owned()))
                }
            };
            match key.trim_matches([' ', '\t']) {
                "version" => version = once(&version, "version")?,
                "mode" => mode = once(&mode, "mode")?,
                "max_age" => max_age = once(&max_age, "max_age")?,
                "mx" => {
                    if !valid_pattern(value) {
                        return Err(MtaStsError::PolicyPattern {
                            line: n + 1,
                            pattern: value.to_owned(),
                        });
                    }
                    mx.push(value.trim_end_matches('.').to_ascii_lowercase());
                }
                _ => {}
            }
        }
        match version.as_deref() {
            Some("STSv1") => {}
            Some(v) => {
                return Err(MtaStsError::PolicyVersion {
                    got: v.to_owned(),
                    hint: case_hint(v, "STSv1"),
                })
            }
            None => return Err(MtaStsError::PolicyNoVersion),
        }
        let mode = match mode.as_deref() {
            Some("enforce") => Mode::Enforce,
            Some("testing") => Mode::Testing,
            Some("none") => Mode::None,
            Some(other) => {
                let hint = ["enforce", "testing", "none"]
                    .iter()
                    .map(|k| case_hint(other, k))
                    .find(|h| !h.is_empty())
                    .unwrap_or_default();
                return Err(MtaStsError::PolicyMode {
                    got: other.to_owned(),
                    hint,
                });
            }
            None => return Err(MtaStsError::PolicyNoMode),
        };
        let max_age = match max_age {
            None => return Err(MtaStsError::PolicyNoMaxAge),
            Some(v) => {
                let n: u64 =
                    (!v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| v.parse().ok())
                        .flatten()
                        .ok_or_else(|| MtaStsError::PolicyMaxAge { got: v.clone() })?;
                if n > MAX_AGE_LIMIT {
                    return Err(MtaStsError::PolicyMaxAgeTooLong {
                        got: n,
                        limit: MAX_AGE_LIMIT,
                    });
                }
                n
            }
        };
        if mx.is_empty() && mode != Mode::None {
            return Err(MtaStsError::PolicyNoMx);
        }
        Ok(Policy { mode, mx, max_age })
    }

    /// The first pattern that `host` matches.
    pub fn matching_pattern(&self, host: &str) -> Option<&str> {
        self.mx
            .iter()
            .map(String::as_str)
            .find(|p| mx_matches(p, host))
    }
}

/// RFC 8461 §4.1: a pattern is a host name, or `*.` and a domain standing
/// for exactly one more label. Case does not matter, trailing dots neither.
pub(crate) fn mx_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => !pattern.is_empty() && pattern == host,
    }
}

fn valid_pattern(pattern: &str) -> bool {
    let name = pattern.strip_prefix("*.").unwrap_or(pattern);
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `" (keywords are case-sensitive)"` when `got` is `keyword` in other case.
fn case_hint(got: &str, keyword: &str) -> &'static str {
    if got.eq_ignore_ascii_case(keyword) {
        " (keywords are case-sensitive, RFC 8461 §3.2)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_crlf_and_lf_policies_ignoring_unknown_keys() {
        let crlf = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\nmx: *.Example.net.\r\nmax_age: 604800\r\nfuture: thing\r\n";
        let p = Policy::parse(crlf).expect("valid");
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(p.mx, ["mx1.example.org", "*.example.net"]);
        assert_eq!(p.max_age, 604_800);
        let lf = "version:STSv1\nmode:\ttesting\nmx: mx.example.org\nmax_age: 86400";
        assert_eq!(Policy::parse(lf).map(|p| p.mode), Ok(Mode::Testing));
        let none = "version: STSv1\nmode: none\nmax_age: 0\n";
        assert_eq!(Policy::parse(none).map(|p| p.mx.len()), Ok(0));
    }

    #[test]
    fn rejects_what_senders_must_not_use() {
        let base =
            |extra: &str| format!("version: STSv1\nmode: enforce\nmx: mx.example.org\n{extra}");
        let cases = [
            (base("max_age: 31557601"), "exceeds"),
            (base("max_age: soon"), "not a number"),
            (base("max_age: -1"), "not a number"),
            (base(""), "no max_age"),
            (base("max_age: 1\nmode: testing"), "mode given twice"),
            (
                "mode: enforce\nmx: a.example\nmax_age: 1".into(),
                "no version",
            ),
            (
                "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1".into(),
                "only STSv1",
            ),
            (
                "version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 1".into(),
                "case-sensitive",
            ),
            (
                "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1".into(),
                "\"Enforce\": not enforce, testing or none (keywords are case-sensitive",
            ),
            (
                "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1".into(),
                "not enforce",
            ),
            ("version: STSv1\nmode: testing\nmax_age: 1".into(), "no mx"),
            (
                "version: STSv1\nmode: testing\nmx: bad name\nmax_age: 1".into(),
                "not a host name",
            ),
            (
                "version: STSv1\nmode: testing\nmx: *.\nmax_age: 1".into(),
                "not a host name",
            ),
            ("<html>not a policy</html>".into(), "not 'key: value'"),
        ];
        for (text, why) in cases {
            let err = Policy::parse(&text).expect_err(&text);
            assert!(err.to_string().contains(why), "{text:?}: {err}");
        }
    }

    #[test]
    fn mx_patterns_match_one_label_wildcards() {
        let cases = [
            ("mx.example.org", "MX.example.org.", true),
            ("mx.example.org", "mx2.example.org", false),
            ("*.example.org", "mx.example.org", true),
            ("*.example.org", "example.org", false),
            ("*.example.org", "a.b.example.org", false),
            ("*.example.org", "mxexample.org", false),
        ];
        for (pattern, host, want) in cases {
            assert_eq!(mx_matches(pattern, host), want, "{pattern} ~ {host}");
        }
        let p = Policy {
            mode: Mode::Enforce,
            mx: vec!["mail.example.org".into(), "*.example.net".into()],
            max_age: 1,
        };
        assert_eq!(p.matching_pattern("mx1.example.net"), Some("*.example.net"));
        assert_eq!(p.matching_pattern("mx1.example.org"), None);
    }
}
