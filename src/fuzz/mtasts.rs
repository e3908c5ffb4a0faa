//! What a domain publishes for MTA-STS and TLS-RPT: the policy file fetched
//! over HTTPS and the two TXT records.

use crate::mtasts::policy::{mx_matches, Mode, Policy, MAX_AGE_LIMIT};
use crate::mtasts::txt::{self, TxtStatus};

/// [`Policy::parse`]. The input is the policy body, then optionally a NUL
/// and host names, one a line. An accepted policy has a usable mode, a
/// `max_age` within `MAX_AGE_LIMIT`, well-formed lower-case patterns
/// that match what they stand for, and written back out parses to itself;
/// a rejection is one line. `mx_matches` takes any host and any pattern.
pub fn mtasts_policy(data: &[u8]) {
    let (body, hosts) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let hosts = String::from_utf8_lossy(hosts);
    let hosts: Vec<&str> = hosts.split('\n').collect();
    // The fetcher turns away bodies that are not UTF-8.
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    // Anything goes in as a pattern too: the raw `mx:` values.
    for raw in text
        .lines()
        .filter_map(|l| l.split_once(':').map(|(_, v)| v))
    {
        for host in &hosts {
            check_match(raw, host);
        }
    }
    let policy = match Policy::parse(text) {
        Ok(policy) => policy,
        Err(e) => {
            check_line(&e.to_string());
            return;
        }
    };
    assert!(
        policy.max_age <= MAX_AGE_LIMIT,
        "max_age {}",
        policy.max_age
    );
    assert!(
        policy.mode == Mode::None || !policy.mx.is_empty(),
        "{:?} without mx",
        policy.mode
    );
    for pattern in &policy.mx {
        check_pattern(pattern);
        match pattern.strip_prefix("*.") {
            Some(parent) => {
                assert!(mx_matches(pattern, &format!("mx.{parent}")), "{pattern}");
                assert!(!mx_matches(pattern, parent), "{pattern}");
            }
            None => {
                assert!(mx_matches(pattern, pattern), "{pattern}");
                assert!(mx_matches(
                    pattern,
                    &format!("{}.", pattern.to_ascii_uppercase())
                ));
            }
        }
        for host in &hosts {
            check_match(pattern, host);
        }
    }
    for host in &hosts {
        if let Some(p) = policy.matching_pattern(host) {
            assert!(policy.mx.iter().any(|q| q == p) && mx_matches(p, host));
        }
    }
    let mode = match policy.mode {
        Mode::Enforce => "enforce",
        Mode::Testing => "testing",
        Mode::None => "none",
    };
    let mut written = format!("version: STSv1\r\nmode: {mode}\r\n");
    for pattern in &policy.mx {
        written += &format!("mx: {pattern}\r\n");
    }
    written += &format!("max_age: {}\r\n", policy.max_age);
    assert_eq!(
        Policy::parse(&written),
        Ok(policy),
        "{text:?} → {written:?}"
    );
}

/// A pattern as [`Policy::parse`] keeps it: lower case, no trailing dot, a
/// name of non-empty labels of letters, digits, `-` and `_`, after an
/// optional `*.`.
fn check_pattern(pattern: &str) {
    let name = pattern.strip_prefix("*.").unwrap_or(pattern);
    assert!(!name.is_empty(), "{pattern:?}");
    for label in name.split('.') {
        assert!((1..=63).contains(&label.len()), "{pattern:?}");
        assert!(
            label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'),
            "{pattern:?}"
        );
    }
}

/// Matching ignores ASCII case and one trailing dot on the host.
fn check_match(pattern: &str, host: &str) {
    let m = mx_matches(pattern, host);
    assert_eq!(m, mx_matches(pattern, &host.to_ascii_uppercase()));
    if !host.ends_with('.') {
        assert_eq!(m, mx_matches(pattern, &format!("{host}.")));
    }
}

fn check_line(text: &str) {
    assert!(!text.is_empty());
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\t'),
        "{text:?}"
    );
}

/// The `_mta-sts` and `_smtp._tls` TXT parsers over a record set: the
/// input's NUL-separated strings, decoded as the resolver does (lossily).
/// Only records with the version tag count; an accepted `v=STSv1` record
/// has an `id` of 1 to 32 letters and digits, an accepted `v=TLSRPTv1`
/// record `mailto:` and `https:` URIs without blanks or control
/// characters; every reason is one line.
pub fn sts_txt(data: &[u8]) {
    let records: Vec<String> = data
        .split(|b| *b == 0)
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect();
    for tag in ["v=STSv1", "v=TLSRPTv1"] {
        let ours = txt::tagged(&records, tag);
        for r in &ours {
            assert!(records.iter().any(|x| x == r));
            let next = r[tag.len()..].bytes().next();
            assert!(matches!(next, None | Some(b';' | b' ' | b'\t')), "{r:?}");
        }
        let untagged = records.iter().filter(|r| !r.starts_with(tag)).count();
        assert!(ours.len() + untagged <= records.len());
    }
    for record in &records {
        match txt::parse_sts(record) {
            Ok(sts) => {
                assert!(record.starts_with("v=STSv1"));
                assert!((1..=32).contains(&sts.id.len()), "{:?}", sts.id);
                assert!(sts.id.bytes().all(|b| b.is_ascii_alphanumeric()));
                assert!(record.contains(&format!("id={}", sts.id)));
            }
            Err(e) => check_line(&e.to_string()),
        }
        match txt::parse_tlsrpt(record) {
            Ok(rpt) => {
                assert!(record.starts_with("v=TLSRPTv1"));
                assert!(!rpt.rua.is_empty());
                for uri in &rpt.rua {
                    let lower = uri.to_ascii_lowercase();
                    assert!(
                        lower.starts_with("mailto:") || lower.starts_with("https://"),
                        "{uri:?}"
                    );
                    assert!(
                        !uri.chars().any(|c| c.is_whitespace() || c.is_control()),
                        "{uri:?}"
                    );
                    assert!(!uri.contains([',', ';']), "{uri:?}");
                }
            }
            Err(e) => check_line(&e.to_string()),
        }
    }
    let (status, parsed, why) = txt::judge(&records, "v=STSv1", txt::parse_sts);
    let ours = txt::tagged(&records, "v=STSv1").len();
    match status {
        TxtStatus::Ok => assert!(ours == 1 && parsed.is_some() && why.is_none()),
        TxtStatus::Missing => assert!(ours == 0 && parsed.is_none() && why.is_none()),
        TxtStatus::Invalid => {
            assert!(ours >= 1 && parsed.is_none());
            check_line(&why.expect("a reason").to_string());
        }
        TxtStatus::DnsError => panic!("no lookup, no DNS error"),
    }
}
