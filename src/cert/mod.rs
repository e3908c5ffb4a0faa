//! Certificate facts, read from the chain a server presented.
//!
//! The root of this module describes certificates; `verify` decides whether
//! a verifying sender would trust a chain and says why not ([`ChainCheck`]),
//! `names` whether a certificate names a host, [`anchors`] holds the roots
//! both start from.
//! Parsing is OpenSSL's
//! X.509 decoder, the same library that received the chain, so nothing here
//! parses DER by hand. A certificate OpenSSL cannot decode is still listed,
//! with the fields it could not read left empty.
//!
//! Names are the server's text: control characters in them (a subject with
//! an escape sequence) become U+FFFD, as in SMTP replies, so that no report
//! carries a terminal escape sequence from the network.

use std::net::IpAddr;

use openssl::nid::Nid;
use openssl::pkey::Id;
use openssl::x509::{X509NameRef, X509Ref};
use serde::{Deserialize, Serialize};

use crate::printable::printable;

pub mod anchors;
pub(crate) mod names;
mod time;
pub(crate) mod verify;

pub(crate) use time::format_rfc3339;
pub use verify::{AnchorRef, ChainCheck, ChainProblem, RejectReason, Rejection, WeakDigest};

/// What one certificate of a presented chain says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    /// Subject distinguished name, one line, most significant RDN last
    /// (OpenSSL's `oneline` order reversed into RFC 4514 style).
    pub subject: String,
    /// The subject's common name, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// DNS names of the subjectAltName extension, as written (wildcards kept).
    pub dns_names: Vec<String>,
    /// IP addresses of the subjectAltName extension.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_addresses: Vec<IpAddr>,
    /// Issuer distinguished name, one line, in the order of `subject`.
    pub issuer: String,
    /// Serial number in upper-case hex.
    pub serial: String,
    /// Start of validity (notBefore), RFC 3339 in UTC.
    pub not_before: String,
    /// End of validity (notAfter), RFC 3339 in UTC.
    pub not_after: String,
    /// `not_before` in seconds since the Unix epoch, for comparisons (0 when
    /// it could not be read).
    pub not_before_unix: i64,
    /// `not_after` in seconds since the Unix epoch (0 when it could not be
    /// read).
    pub not_after_unix: i64,
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `DSA` or `unknown`.
    pub key_type: String,
    /// Key size in bits (RSA modulus, EC field size, DSA prime).
    pub key_bits: u32,
    /// Named curve of an EC key (e.g. `prime256v1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA384`.
    pub signature_algorithm: String,
    /// SHA-256 over the DER encoding, lower-case hex.
    pub sha256: String,
    /// Subject equals issuer.
    pub self_issued: bool,
    /// The DER encoding, kept for verification; not part of any output.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// The chain one address presented in its broadly compatible handshake,
/// or why it presented none: what checks of presented chains (DANE) need
/// of a probe, and nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProbedChain<'a> {
    pub(crate) ip: std::net::IpAddr,
    pub(crate) port: u16,
    /// The chain, leaf first; or why there is none (the probe's error).
    pub(crate) chain: Result<&'a [CertInfo], Option<&'a str>>,
}

#[cfg(test)]
impl CertInfo {
    /// A certificate for unit tests: these SAN DNS names and CN, a 2048-bit
    /// RSA key, everything else empty.
    pub(crate) fn for_names(dns: &[&str], cn: Option<&str>) -> CertInfo {
        CertInfo {
            subject: cn.map(|cn| format!("CN={cn}")).unwrap_or_default(),
            common_name: cn.map(str::to_string),
            dns_names: dns.iter().map(|s| s.to_string()).collect(),
            ip_addresses: vec![],
            issuer: String::new(),
            serial: String::new(),
            not_before: String::new(),
            not_after: String::new(),
            not_before_unix: 0,
            not_after_unix: 0,
            key_type: "RSA".into(),
            key_bits: 2048,
            curve: None,
            signature_algorithm: String::new(),
            sha256: String::new(),
            self_issued: false,
            der: vec![],
        }
    }
}

impl CertInfo {
    /// Read the facts of one certificate.
    pub(crate) fn from_x509(cert: &X509Ref) -> CertInfo {
        let der = cert.to_der().unwrap_or_default();
        let (key_type, key_bits, curve) = key_facts(cert);
        let (not_before_unix, not_after_unix) = (
            time::asn1_to_unix(cert.not_before()).unwrap_or(0),
            time::asn1_to_unix(cert.not_after()).unwrap_or(0),
        );
        let subject = name_line(cert.subject_name());
        let issuer = name_line(cert.issuer_name());
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Some(sans) = cert.subject_alt_names() {
            for san in sans.iter() {
                if let Some(name) = san.dnsname() {
                    dns_names.push(printable(name).into_owned());
                } else if let Some(ip) = san.ipaddress().and_then(ip_from_bytes) {
                    ip_addresses.push(ip);
                }
            }
        }
        CertInfo {
            self_issued: subject == issuer,
            common_name: common_name(cert.subject_name()),
            subject,
            dns_names,
            ip_addresses,
            issuer,
            serial: cert
                .serial_number()
                .to_bn()
                .ok()
                .and_then(|bn| bn.to_hex_str().ok().map(|s| s.to_string()))
                .unwrap_or_default(),
            not_before: format_rfc3339(not_before_unix),
            not_after: format_rfc3339(not_after_unix),
            not_before_unix,
            not_after_unix,
            key_type,
            key_bits,
            curve,
            signature_algorithm: cert
                .signature_algorithm()
                .object()
                .nid()
                .long_name()
                .map(str::to_string)
                .unwrap_or_else(|_| cert.signature_algorithm().object().to_string()),
            sha256: cert
                .digest(openssl::hash::MessageDigest::sha256())
                .map(|d| crate::hex::encode(&d))
                .unwrap_or_default(),
            der,
        }
    }

    /// Whole days from `now_unix` until the certificate expires (negative when
    /// it already has).
    pub fn days_left(&self, now_unix: i64) -> i64 {
        (self.not_after_unix - now_unix).div_euclid(86_400)
    }
}

fn key_facts(cert: &X509Ref) -> (String, u32, Option<String>) {
    let Ok(key) = cert.public_key() else {
        return ("unknown".into(), 0, None);
    };
    let bits = key.bits();
    match key.id() {
        Id::RSA | Id::RSA_PSS => ("RSA".into(), bits, None),
        Id::EC => {
            let curve = key
                .ec_key()
                .ok()
                .and_then(|ec| ec.group().curve_name())
                .and_then(|nid| nid.short_name().ok().map(str::to_string));
            ("EC".into(), bits, curve)
        }
        Id::ED25519 => ("Ed25519".into(), bits, None),
        Id::ED448 => ("Ed448".into(), bits, None),
        Id::DSA => ("DSA".into(), bits, None),
        _ => ("unknown".into(), bits, None),
    }
}

fn common_name(name: &X509NameRef) -> Option<String> {
    name.entries_by_nid(Nid::COMMONNAME)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .map(|cn| printable(&cn).into_owned())
}

/// `CN=mx.example.org, O=Example, C=DE`: most specific first, as people read it.
fn name_line(name: &X509NameRef) -> String {
    let mut parts: Vec<String> = name
        .entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e
                .data()
                .to_string()
                .unwrap_or_else(|_| String::from_utf8_lossy(e.data().as_slice()).into_owned());
            format!("{key}={}", printable(&value))
        })
        .collect();
    parts.reverse();
    parts.join(", ")
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use openssl::asn1::Asn1Time;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::x509::extension::SubjectAlternativeName;
    use openssl::x509::{X509NameBuilder, X509};

    use super::*;

    /// A self-signed certificate whose names carry `evil`.
    fn cert_named(evil: &str) -> X509 {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("group");
        let key = PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("pkey");
        let mut name = X509NameBuilder::new().expect("name");
        name.append_entry_by_text("CN", &format!("mx{evil}.example"))
            .expect("cn");
        name.append_entry_by_text("O", &format!("Org{evil}"))
            .expect("o");
        let name = name.build();
        let mut b = X509::builder().expect("builder");
        b.set_version(2).expect("version");
        b.set_subject_name(&name).expect("subject");
        b.set_issuer_name(&name).expect("issuer");
        b.set_pubkey(&key).expect("pubkey");
        b.set_not_before(&Asn1Time::from_unix(0).expect("t"))
            .expect("nb");
        b.set_not_after(&Asn1Time::from_unix(86_400).expect("t"))
            .expect("na");
        let san = SubjectAlternativeName::new()
            .dns(&format!("mail{evil}.example"))
            .build(&b.x509v3_context(None, None))
            .expect("san");
        b.append_extension(san).expect("extension");
        b.sign(&key, MessageDigest::sha256()).expect("sign");
        b.build()
    }

    #[test]
    fn names_from_the_server_carry_no_control_characters() {
        let info = CertInfo::from_x509(&cert_named("\u{1b}[2J\u{7}"));
        let texts = [&info.subject, &info.issuer]
            .into_iter()
            .chain(&info.common_name)
            .chain(&info.dns_names);
        for text in texts {
            assert!(!text.chars().any(char::is_control), "{text:?}");
            assert!(text.contains("\u{fffd}[2J\u{fffd}"), "{text:?}");
        }
        assert_eq!(info.dns_names.len(), 1);
    }

    #[test]
    fn plain_names_are_kept() {
        let info = CertInfo::from_x509(&cert_named(""));
        assert_eq!(info.common_name.as_deref(), Some("mx.example"));
        assert_eq!(info.subject, "O=Org, CN=mx.example");
        assert_eq!(info.dns_names, ["mail.example"]);
        assert_eq!(info.not_after, "1970-01-02T00:00:00Z");
    }
}
