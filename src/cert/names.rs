//! Does a certificate name a host? RFC 6125 §6.4, as modern verifiers
//! (rustls-webpki, browsers, Postfix and Exim with DANE or MTA-STS) apply it.
//!
//! * Only subjectAltName dNSName entries count. The subject common name is
//!   never matched: RFC 6125 §6.4.4 allows it only as a fallback, and modern
//!   verifiers have dropped that fallback altogether.
//! * Comparison is ASCII case-insensitive on A-labels (RFC 6125 §6.4.2): the
//!   reference name is converted to A-labels first (IDNA, UTS #46), a
//!   presented name must already be in A-label form (RFC 5280 §4.2.1.6).
//! * A wildcard is only the whole left-most label (`*.example.org`), matches
//!   exactly one non-empty label, and needs at least two labels after it;
//!   partial-label wildcards (`mx*.example.org`, `*x.example.org`) and
//!   wildcards elsewhere never match (RFC 6125 §6.4.3, CA/Browser Forum).
//!
//! What it does not do: match IP addresses (an IP literal is not a name a
//! sender verifies), or consult a public suffix list.

use super::CertInfo;
use crate::dns::normalize_domain;

/// The reference identifier for `host`: lower-case A-labels without the
/// trailing dot, or `None` when it is an IP address or not a valid name.
pub(crate) fn reference_name(host: &str) -> Option<String> {
    let host = host.trim();
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    normalize_domain(host).ok()
}

/// Whether one presented DNS-ID matches a reference name (already from
/// [`reference_name`]).
pub(crate) fn dns_name_matches(presented: &str, reference: &str) -> bool {
    let presented = presented.strip_suffix('.').unwrap_or(presented);
    let reference = reference.strip_suffix('.').unwrap_or(reference);
    if !presented.is_ascii() || presented.is_empty() || reference.is_empty() {
        return false;
    }
    let p: Vec<&str> = presented.split('.').collect();
    let r: Vec<&str> = reference.split('.').collect();
    if p.len() != r.len() || p.iter().chain(&r).any(|l| l.is_empty()) {
        return false;
    }
    let (first, rest) = (p[0], &p[1..]);
    if rest.iter().any(|l| l.contains('*')) {
        return false;
    }
    let rest_equal = rest
        .iter()
        .zip(&r[1..])
        .all(|(a, b)| a.eq_ignore_ascii_case(b));
    match first {
        // `*.org` would cover a whole top-level domain.
        "*" => rest.len() >= 2 && rest_equal,
        f if f.contains('*') => false,
        f => f.eq_ignore_ascii_case(r[0]) && rest_equal,
    }
}

/// The first subjectAltName DNS name of `cert` that matches `reference`.
pub(crate) fn matching_name<'a>(cert: &'a CertInfo, reference: &str) -> Option<&'a str> {
    cert.dns_names
        .iter()
        .map(String::as_str)
        .find(|p| dns_name_matches(p, reference))
}

/// The subject CN of a certificate without DNS names: what it shows people,
/// and what modern verifiers ignore.
pub(crate) fn cn_only(cert: &CertInfo) -> Option<&str> {
    if cert.dns_names.is_empty() {
        cert.common_name.as_deref()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6125_table() {
        let cases = [
            // presented, reference, matches
            ("mx.example.org", "mx.example.org", true),
            ("MX.Example.ORG", "mx.example.org", true),
            ("mx.example.org.", "mx.example.org", true),
            ("mx.example.org", "mail.example.org", false),
            ("mx.example.org", "example.org", false),
            ("example.org", "mx.example.org", false),
            ("*.example.org", "mx.example.org", true),
            ("*.EXAMPLE.org", "mx.example.org", true),
            ("*.example.org", "example.org", false),
            ("*.example.org", "a.mx.example.org", false),
            ("*.org", "example.org", false),
            ("*", "localhost", false),
            ("mx*.example.org", "mx1.example.org", false),
            ("*x.example.org", "mx.example.org", false),
            ("m*x.example.org", "mx.example.org", false),
            ("mx.*.org", "mx.example.org", false),
            ("*.*.example.org", "a.b.example.org", false),
            ("**.example.org", "mx.example.org", false),
            ("xn--bcher-kva.example", "xn--bcher-kva.example", true),
            ("*.xn--bcher-kva.example", "mx.xn--bcher-kva.example", true),
            ("bücher.example", "xn--bcher-kva.example", false),
            ("mx..example.org", "mx..example.org", false),
            ("", "example.org", false),
        ];
        for (presented, reference, want) in cases {
            assert_eq!(
                dns_name_matches(presented, reference),
                want,
                "{presented:?} vs {reference:?}"
            );
        }
    }

    #[test]
    fn reference_names_are_a_labels_and_never_addresses() {
        assert_eq!(
            reference_name("Bücher.Example.").as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert_eq!(
            reference_name("MX.example.org").as_deref(),
            Some("mx.example.org")
        );
        assert_eq!(reference_name("192.0.2.25"), None);
        assert_eq!(reference_name("2001:db8::25"), None);
        assert_eq!(reference_name("[2001:db8::25]"), None);
        assert_eq!(reference_name("bad..name"), None);
        assert_eq!(reference_name(""), None);
    }

    fn cert(dns: &[&str], cn: Option<&str>) -> CertInfo {
        CertInfo::for_names(dns, cn)
    }

    #[test]
    fn only_san_names_count() {
        let c = cert(&["*.example.org", "example.org"], Some("other.test"));
        assert_eq!(matching_name(&c, "mx.example.org"), Some("*.example.org"));
        assert_eq!(matching_name(&c, "example.org"), Some("example.org"));
        assert_eq!(matching_name(&c, "other.test"), None, "the CN never counts");
        assert_eq!(cn_only(&c), None);
        let c = cert(&[], Some("mx.example.org"));
        assert_eq!(matching_name(&c, "mx.example.org"), None);
        assert_eq!(cn_only(&c), Some("mx.example.org"));
    }
}
