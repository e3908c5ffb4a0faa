//! Sender profiles: what one sending MTA offers and how it behaves, read
//! from a TOML file (the built-in ones live in the repository's `senders/`
//! directory and are compiled in).
//!
//! A profile is data, not code: the versions, cipher suites and groups a
//! sender offers in its own order, the smallest DH prime it accepts,
//! whether and how it verifies certificates, and what it does when TLS
//! cannot be had. Every profile names its sources, and says which facts
//! could not be sourced.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::spelling::spelling;
use crate::tls::iana;
use crate::tls::Protocol;

/// One sending MTA, as a profile file describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name used by `--senders` and in every output (`postfix-3.7`).
    pub id: String,
    /// Human name, shown in reports (`Postfix 3.7 on Debian 12`).
    pub name: String,
    /// The versions and settings described, in one line.
    pub describes: String,
    /// A sender carrying a large share of mail (big providers, distribution
    /// defaults): its clear-text fallback and legacy ciphers are findings.
    #[serde(default)]
    pub common: bool,
    /// Where the facts come from, `URL — what it gives`.
    pub sources: Vec<String>,
    /// Facts that could not be sourced, and what was assumed.
    #[serde(default)]
    pub unsourced: Vec<String>,
    /// How it verifies the server's certificate.
    pub verify: Verify,
    /// `true`: without STARTTLS, or after a failed handshake, it defers.
    #[serde(default)]
    pub require_tls: bool,
    /// What it does when TLS is not required and the handshake fails.
    pub on_tls_failure: OnTlsFailure,
    /// What it offers.
    pub tls: Offer,
}

/// What a sender offers in its ClientHello, and the sizes it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// Every version it offers.
    pub versions: Vec<Protocol>,
    /// TLS ≤ 1.2 suites in its order, OpenSSL's names (IANA names are
    /// accepted in a file and read as OpenSSL's).
    #[serde(default)]
    pub ciphers: Vec<String>,
    /// TLS 1.3 suites in its order.
    #[serde(default)]
    pub tls13: Vec<String>,
    /// Supported groups in its order, OpenSSL's names.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The groups of `groups` it sends a TLS 1.3 key share for, in its
    /// order (empty: not recorded). A server may take one of these rather
    /// than the group its own order prefers (OpenSSL 3.0 servers do).
    #[serde(default)]
    pub key_shares: Vec<String>,
    /// Smallest finite-field DH prime it accepts in a handshake (0: any).
    #[serde(default)]
    pub min_dh_bits: u32,
    /// Smallest RSA key it accepts in a certificate it verifies (0: any).
    #[serde(default)]
    pub min_rsa_bits: u32,
    /// Smallest EC key it accepts in a certificate it verifies (0: any).
    #[serde(default)]
    pub min_ecc_bits: u32,
}

/// How a sender verifies the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verify {
    /// Never refuses a certificate (opportunistic TLS).
    None,
    /// Always requires a chain to a trusted root, valid for the MX name.
    Pkix,
    /// RFC 7672: where the MX host has DNSSEC-signed usable TLSA records,
    /// TLS is required and must match them; opportunistic elsewhere.
    Dane,
    /// RFC 8461: where the domain's MTA-STS policy enforces, TLS with a
    /// trusted chain valid for a listed MX name is required; opportunistic
    /// elsewhere.
    MtaSts,
}

spelling!(Verify {
    None => "none",
    Pkix => "pkix",
    Dane => "dane",
    MtaSts => "mta-sts",
});

/// What a sender does when TLS is not required and the handshake fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnTlsFailure {
    /// Delivers without TLS (Postfix at `may`, Exim's
    /// `tls_tempfail_tryclear`).
    ClearText,
    /// Keeps the mail queued and tries again later.
    Defer,
    /// Not documented by its vendor.
    Unknown,
}

spelling!(OnTlsFailure {
    ClearText => "clear-text",
    Defer => "defer",
    Unknown => "unknown",
});

/// Why a profile could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// Not valid TOML, or a key or value the format does not have.
    #[error("{0}")]
    Syntax(String),
    /// A value the format has, but wrong (an unknown cipher, no versions).
    #[error("{0}")]
    Invalid(String),
}

impl Profile {
    /// Read one profile from its TOML text. Cipher suites given by their
    /// IANA names become OpenSSL's; an unknown suite or group, an empty
    /// version list or an id outside `[a-z0-9.-]` is an error naming it.
    pub fn from_toml(text: &str) -> Result<Profile, ProfileError> {
        let mut profile: Profile =
            toml::from_str(text).map_err(|e| ProfileError::Syntax(one_line(&e.to_string())))?;
        profile.check()?;
        Ok(profile)
    }

    fn check(&mut self) -> Result<(), ProfileError> {
        let bad = |what: String| Err(ProfileError::Invalid(what));
        if self.id.is_empty()
            || !self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            return bad(format!(
                "id {:?}: use lower-case letters, digits, '.' and '-'",
                self.id
            ));
        }
        if self.tls.versions.is_empty() {
            return bad(format!("{}: tls.versions is empty", self.id));
        }
        self.tls.versions.sort();
        self.tls.versions.dedup();
        let tls13 = self.tls.versions.contains(&Protocol::Tls1_3);
        let older = self.tls.versions.iter().any(|v| *v < Protocol::Tls1_3);
        if tls13 && self.tls.tls13.is_empty() {
            return bad(format!(
                "{}: offers TLSv1.3 but tls.tls13 is empty",
                self.id
            ));
        }
        if older && self.tls.ciphers.is_empty() {
            return bad(format!(
                "{}: offers versions before TLSv1.3 but tls.ciphers is empty",
                self.id
            ));
        }
        for (list, want13) in [(&mut self.tls.ciphers, false), (&mut self.tls.tls13, true)] {
            let mut seen = HashSet::new();
            let mut named = Vec::with_capacity(list.len());
            for given in list.iter() {
                let spec = iana::lookup(given).or_else(|| iana::lookup_iana(given));
                let Some(spec) = spec else {
                    return bad(format!(
                        "{}: unknown cipher suite {given:?} (OpenSSL or IANA names)",
                        self.id
                    ));
                };
                if spec.tls13 != want13 {
                    let key = if want13 { "tls13" } else { "ciphers" };
                    return bad(format!(
                        "{}: {given:?} does not belong in tls.{key}",
                        self.id
                    ));
                }
                if seen.insert(spec.name.clone()) {
                    named.push(spec.name.clone());
                }
            }
            *list = named;
        }
        for group in &self.tls.groups {
            if !known_group(group) {
                return bad(format!("{}: unknown group {group:?}", self.id));
            }
        }
        for share in &self.tls.key_shares {
            if !self.tls.groups.contains(share) {
                return bad(format!(
                    "{}: key share {share:?} is not one of its groups",
                    self.id
                ));
            }
        }
        Ok(())
    }

    /// The cipher suites it offers for `protocol`, in its order: the TLS
    /// 1.3 suites, or those of its TLS ≤ 1.2 list that can be negotiated
    /// with that version (no GCM before TLS 1.2).
    pub fn offer(&self, protocol: Protocol) -> Vec<&str> {
        if protocol == Protocol::Tls1_3 {
            return self.tls.tls13.iter().map(String::as_str).collect();
        }
        self.tls
            .ciphers
            .iter()
            .filter(|c| iana::lookup(c).is_some_and(|s| s.min_protocol <= protocol))
            .map(String::as_str)
            .collect()
    }

    /// The profile as TOML, to start a profile of one's own from.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.id)
    }
}

/// Group names a profile may use: OpenSSL's, for the groups mxprobe tests
/// and those old clients offer that it does not (binary curves, secp256k1).
fn known_group(name: &str) -> bool {
    const OTHERS: &[&str] = &[
        "secp256k1",
        "secp224k1",
        "secp192k1",
        "secp160k1",
        "secp160r1",
        "secp160r2",
        "sect571r1",
        "sect571k1",
        "sect409k1",
        "sect409r1",
        "sect283k1",
        "sect283r1",
        "sect239k1",
        "sect233k1",
        "sect233r1",
        "sect193r1",
        "sect193r2",
        "sect163k1",
        "sect163r1",
        "sect163r2",
    ];
    crate::tls::enumerate::known_group(name) || OTHERS.contains(&name)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The built-in profiles, each the text of one file in `senders/`.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "postfix-3.7",
        include_str!("../../senders/postfix-3.7.toml"),
    ),
    ("exim-4.96", include_str!("../../senders/exim-4.96.toml")),
    ("openssl-3", include_str!("../../senders/openssl-3.toml")),
    (
        "postfix-3.9",
        include_str!("../../senders/postfix-3.9.toml"),
    ),
    (
        "postfix-3.11",
        include_str!("../../senders/postfix-3.11.toml"),
    ),
    (
        "exchange-2019",
        include_str!("../../senders/exchange-2019.toml"),
    ),
    (
        "microsoft-365",
        include_str!("../../senders/microsoft-365.toml"),
    ),
    (
        "postfix-2.10-centos7",
        include_str!("../../senders/postfix-2.10-centos7.toml"),
    ),
    (
        "bsi-tr-03108",
        include_str!("../../senders/bsi-tr-03108.toml"),
    ),
    ("dane", include_str!("../../senders/dane.toml")),
    ("mta-sts", include_str!("../../senders/mta-sts.toml")),
];

/// A built-in profile's file as written (comments included), by id.
pub fn source(id: &str) -> Option<&'static str> {
    BUILT_IN
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, text)| *text)
}

/// The built-in profiles, in the order `mxprobe senders` lists them.
pub fn built_in() -> Vec<Profile> {
    BUILT_IN
        .iter()
        .map(|(file, text)| {
            Profile::from_toml(text)
                .unwrap_or_else(|e| panic!("built-in profile senders/{file}.toml: {e}"))
        })
        .collect()
}
