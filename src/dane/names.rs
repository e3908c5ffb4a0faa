//! Is a certificate valid for a host name? The minimal check DANE-TA and
//! MTA-STS need (RFC 6125 §6.4 as RFC 7672 §3.2.3 and RFC 8461 §4.2 apply
//! it): the DNS names of the subjectAltName, or the common name when there
//! are none; a wildcard only as the whole leftmost label, standing for
//! exactly one label.
//!
//! To be unified with the trust-checks stage's RFC 6125 matcher in
//! `crate::cert` once both are merged; this one exists so that DANE and
//! MTA-STS do not wait for it.

use crate::cert::CertInfo;

/// Whether `cert` names `host` (A-labels, any case, trailing dot ignored).
pub(crate) fn cert_matches(cert: &CertInfo, host: &str) -> bool {
    if cert.dns_names.is_empty() {
        return cert
            .common_name
            .as_deref()
            .is_some_and(|cn| name_matches(cn, host));
    }
    cert.dns_names.iter().any(|n| name_matches(n, host))
}

/// Whether the presented identifier `pattern` matches `host`.
pub(crate) fn name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        // A wildcard needs at least two labels after it (no `*.com`).
        Some(parent) if parent.contains('.') => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == parent),
        Some(_) => false,
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_wildcards() {
        let cases = [
            ("mx.example.org", "mx.example.org", true),
            ("MX.Example.org.", "mx.example.ORG", true),
            ("mx.example.org", "mx2.example.org", false),
            ("*.example.org", "mx.example.org", true),
            ("*.example.org", "example.org", false),
            ("*.example.org", "a.mx.example.org", false),
            ("*.org", "example.org", false),
            ("m*.example.org", "mx.example.org", false),
            ("", "mx.example.org", false),
        ];
        for (pattern, host, want) in cases {
            assert_eq!(name_matches(pattern, host), want, "{pattern} ~ {host}");
        }
    }

    #[test]
    fn common_name_only_without_dns_names() {
        let chain = crate::dane::test_certs::chain_from_pem("cn-only.chain.pem");
        assert!(cert_matches(&chain[0], "mx.example.test"));
        let chain = crate::dane::test_certs::chain_from_pem("mx-rsa.chain.pem");
        assert!(cert_matches(&chain[0], "mail.example.test"));
        assert!(!cert_matches(&chain[0], "s120.hoster.test"));
    }
}
