//! Which names does the certificate cover, of those that matter for mail?
//!
//! A verifying sender (MTA-STS, RFC 8461 §4.2; DANE-TA, RFC 7672 §3.2.2)
//! checks the **MX host name**, the name from the DNS, never the name the
//! server calls itself. The recipient **domain** and the **banner** host
//! (the 220 greeting) and the forward-confirmed **PTR** names are checked as
//! well, because they explain a mismatch: on shared hosting the certificate
//! names the server's own host (`s120.hoster.example`) while the customer's
//! MX record says `mail.customer.example`, and strict senders refuse (or,
//! worse, fall back to plain text). [`NameCheck::hint`] then says so, with
//! the two ways out.
//!
//! Matching follows RFC 6125 (see [`crate::cert::names`]): a match on the
//! subject CN alone is reported as [`MatchResult::CnOnly`], never as a match.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cert::names::{cn_only, matching_name, reference_name};
use crate::cert::CertInfo;
use crate::spelling::spelling;

/// The certificate against each name that matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameCheck {
    /// The subject CN of a certificate without any subjectAltName DNS
    /// name: shown to people, ignored by modern verifiers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cn_only: Option<String>,
    /// The MX host name (for `--host`, the host as given): what a verifying
    /// sender checks.
    pub mx: NameMatch,
    /// The recipient domain (absent for `--host`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<NameMatch>,
    /// The host name of the SMTP banner, when it announced one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<NameMatch>,
    /// The forward-confirmed PTR names of the address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ptr: Vec<NameMatch>,
    /// The certificate covers the server's own name but not the MX name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<NameHint>,
}

/// One reference name and whether the certificate covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameMatch {
    /// The name checked, in A-label form (as given when it is not a name).
    pub name: String,
    /// Whether the certificate covers it.
    pub result: MatchResult,
    /// The subjectAltName entry that matched (`*.example.org`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<String>,
}

/// Whether a certificate covers a name (RFC 6125).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchResult {
    /// A subjectAltName DNS name matches.
    Match,
    /// None does.
    Mismatch,
    /// The certificate has no DNS names and only its subject CN would
    /// match: modern verifiers ignore the CN, so this is a mismatch for them.
    CnOnly,
    /// Not checked: an IP address (or text that is no host name). A sender
    /// verifying names always has one; an IP-literal `--host` has none.
    NotAName,
}

spelling!(MatchResult {
    Match => "match",
    Mismatch => "mismatch",
    CnOnly => "cn-only",
    NotAName => "not-a-name",
});

impl NameMatch {
    /// The certificate covers the name.
    pub fn matches(&self) -> bool {
        self.result == MatchResult::Match
    }

    /// Whether the result says anything about the certificate.
    pub fn checked(&self) -> bool {
        self.result != MatchResult::NotAName
    }
}

/// Where the server's own name was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerNameSource {
    /// The host name in the SMTP greeting.
    Banner,
    /// A forward-confirmed PTR name of the address.
    Ptr,
}

spelling!(ServerNameSource {
    Banner => "banner",
    Ptr => "ptr",
});

/// The shared-hosting mismatch: the certificate names `server_name` (the
/// server's own host, as its banner or PTR record says) but not `mx`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameHint {
    /// The MX host name the certificate does not cover.
    pub mx: String,
    /// The server's own name, which it does cover.
    pub server_name: String,
    /// Where that name was seen.
    pub seen_in: ServerNameSource,
}

impl fmt::Display for NameHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seen = match self.seen_in {
            ServerNameSource::Banner => "its SMTP banner",
            ServerNameSource::Ptr => "its PTR record",
        };
        write!(
            f,
            "the certificate names the server's own host {} (as {seen} says) but not the MX host {}: point the MX record at {}, or add {} to the certificate",
            self.server_name, self.mx, self.server_name, self.mx
        )
    }
}

impl fmt::Display for MatchResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchResult::Match => "yes",
            MatchResult::Mismatch => "no",
            MatchResult::CnOnly => "no (only the CN matches, which modern verifiers ignore)",
            MatchResult::NotAName => "not checked (not a host name)",
        })
    }
}

/// Match `leaf` against the MX host, the recipient domain, the banner host
/// and the confirmed PTR names.
pub(crate) fn check(
    leaf: &CertInfo,
    mx: &str,
    domain: Option<&str>,
    banner: Option<&str>,
    ptr: &[&str],
) -> NameCheck {
    let mx_match = match_name(leaf, mx);
    let banner = banner.map(|b| match_name(leaf, b));
    let ptr: Vec<NameMatch> = ptr.iter().map(|p| match_name(leaf, p)).collect();
    let hint = if mx_match.checked() && !mx_match.matches() {
        let from_banner = banner
            .iter()
            .filter(|b| b.matches())
            .map(|b| (b, ServerNameSource::Banner));
        let from_ptr = ptr
            .iter()
            .filter(|p| p.matches())
            .map(|p| (p, ServerNameSource::Ptr));
        from_banner
            .chain(from_ptr)
            .next()
            .map(|(m, seen_in)| NameHint {
                mx: mx_match.name.clone(),
                server_name: m.name.clone(),
                seen_in,
            })
    } else {
        None
    };
    NameCheck {
        cn_only: cn_only(leaf).map(str::to_string),
        mx: mx_match,
        domain: domain.map(|d| match_name(leaf, d)),
        banner,
        ptr,
        hint,
    }
}

fn match_name(leaf: &CertInfo, name: &str) -> NameMatch {
    let Some(reference) = reference_name(name) else {
        return NameMatch {
            name: name.to_string(),
            result: MatchResult::NotAName,
            matched_by: None,
        };
    };
    let matched_by = matching_name(leaf, &reference).map(str::to_string);
    let result = match (&matched_by, cn_only(leaf)) {
        (Some(_), _) => MatchResult::Match,
        (None, Some(cn)) if reference_name(cn).as_deref() == Some(reference.as_str()) => {
            MatchResult::CnOnly
        }
        (None, _) => MatchResult::Mismatch,
    };
    NameMatch {
        name: reference,
        result,
        matched_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(dns: &[&str], cn: &str) -> CertInfo {
        CertInfo::for_names(dns, Some(cn))
    }

    #[test]
    fn shared_hosting_gets_the_remedy() {
        let cert = leaf(&["s120.hoster.example"], "s120.hoster.example");
        let c = check(
            &cert,
            "mail.customer.example",
            Some("customer.example"),
            Some("S120.hoster.example"),
            &[],
        );
        assert_eq!(c.mx.result, MatchResult::Mismatch);
        assert_eq!(
            c.domain.as_ref().map(|d| d.result),
            Some(MatchResult::Mismatch)
        );
        let banner = c.banner.as_ref().expect("banner");
        assert_eq!(banner.name, "s120.hoster.example");
        assert_eq!(banner.matched_by.as_deref(), Some("s120.hoster.example"));
        let hint = c.hint.as_ref().expect("hint");
        assert_eq!(hint.seen_in, ServerNameSource::Banner);
        assert_eq!(
            hint.to_string(),
            "the certificate names the server's own host s120.hoster.example (as its SMTP banner says) \
             but not the MX host mail.customer.example: point the MX record at s120.hoster.example, \
             or add mail.customer.example to the certificate"
        );
    }

    #[test]
    fn a_ptr_name_explains_a_mismatch_too() {
        let cert = leaf(&["*.hoster.example"], "hoster");
        let c = check(
            &cert,
            "mail.customer.example",
            None,
            Some("localhost"),
            &["s7.hoster.example"],
        );
        assert_eq!(c.ptr[0].matched_by.as_deref(), Some("*.hoster.example"));
        let hint = c.hint.expect("hint");
        assert_eq!(
            (hint.server_name.as_str(), hint.seen_in),
            ("s7.hoster.example", ServerNameSource::Ptr)
        );
    }

    #[test]
    fn a_matching_mx_needs_no_hint() {
        let cert = leaf(&["mx.example.test", "mail.example.test"], "mx.example.test");
        let c = check(
            &cert,
            "MAIL.example.test",
            Some("example.test"),
            Some("mx.example.test"),
            &[],
        );
        assert!(c.mx.matches());
        assert_eq!(c.mx.name, "mail.example.test");
        assert_eq!(c.domain.map(|d| d.result), Some(MatchResult::Mismatch));
        assert!(c.banner.is_some_and(|b| b.matches()));
        assert_eq!(c.hint, None);
        assert_eq!(c.cn_only, None);
    }

    #[test]
    fn a_cn_only_certificate_never_matches() {
        let cert = leaf(&[], "mx.example.test");
        let c = check(&cert, "mx.example.test", None, Some("mx.example.test"), &[]);
        assert_eq!(c.cn_only.as_deref(), Some("mx.example.test"));
        assert_eq!(c.mx.result, MatchResult::CnOnly);
        assert!(!c.mx.matches());
        assert_eq!(c.hint, None, "the banner does not match either");
        let c = check(&cert, "other.example", None, None, &[]);
        assert_eq!(c.mx.result, MatchResult::Mismatch);
    }

    #[test]
    fn ip_literals_are_not_checked() {
        let cert = leaf(&["mx.example.test"], "mx.example.test");
        let c = check(&cert, "192.0.2.25", None, Some("mx.example.test"), &[]);
        assert_eq!(c.mx.result, MatchResult::NotAName);
        assert!(!c.mx.checked());
        assert_eq!(c.hint, None);
        assert_eq!(
            serde_json::to_value(&c.mx).expect("json"),
            serde_json::json!({"name": "192.0.2.25", "result": "not-a-name"})
        );
    }
}
