//! Matching a presented certificate chain against TLSA records (RFC 6698
//! §2.1, RFC 7671 §5, RFC 7672 §3.1). Pure: DER in, indexes out.
//!
//! * DANE-EE(3) matches the leaf; names and validity do not matter
//!   (RFC 7672 §3.1.1).
//! * DANE-TA(2) matches a certificate of the presented chain above the
//!   leaf, and the chain must link from the leaf up to it (each certificate
//!   issued and signed by the next); a `2 1 0` record (the full public key)
//!   may also be a trust anchor the server does not send, whose key signed
//!   the top of the linked chain (RFC 7671 §5.2.2). The leaf must then be
//!   valid for a reference identifier (RFC 7672 §3.2.2) — checked here with
//!   [`super::names`].
//! * PKIX-TA(0) and PKIX-EE(1) are not usable for SMTP (RFC 7672 §3.1.3),
//!   nor are unknown selectors or matching types; such records never match.

use openssl::hash::{hash, MessageDigest};
use openssl::pkey::PKey;
use openssl::x509::{X509VerifyResult, X509};

use crate::cert::CertInfo;
use crate::dns::TlsaRecord;

/// Whether mxprobe can use a record for SMTP (RFC 7672 §3.1).
pub(crate) fn usable(record: &TlsaRecord) -> bool {
    matches!(record.usage, 2 | 3) && record.selector <= 1 && record.matching <= 2
}

/// The outcome of matching one chain against a record set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ChainMatch {
    /// Indexes of the records that matched (and, for DANE-TA, whose chain
    /// linked and whose leaf had a reference identifier).
    pub matched: Vec<usize>,
    /// Why a record that matched a certificate still did not authenticate
    /// the server (chain does not link, name mismatch), one line.
    pub detail: Option<String>,
}

/// Match `chain` (leaf first) against `records`; `names` are the reference
/// identifiers for DANE-TA (the TLSA base domain, the MX host name).
pub(crate) fn match_chain(
    records: &[TlsaRecord],
    chain: &[CertInfo],
    names: &[&str],
) -> ChainMatch {
    let mut result = ChainMatch::default();
    let parsed: Vec<Option<X509>> = chain.iter().map(|c| X509::from_der(&c.der).ok()).collect();
    let Some(Some(leaf)) = parsed.first() else {
        return result;
    };
    // How far up the chain links from the leaf: certs[0..=top] all linked.
    let mut top = 0;
    while top + 1 < parsed.len() {
        match (&parsed[top], &parsed[top + 1]) {
            (Some(child), Some(parent)) if signed_by(child, parent) => top += 1,
            _ => break,
        }
    }
    let name_ok = chain
        .first()
        .is_some_and(|leaf| names.iter().any(|n| super::names::cert_matches(leaf, n)));
    for (i, record) in records.iter().enumerate() {
        if !usable(record) {
            continue;
        }
        match record.usage {
            3 => {
                if association(leaf, record).as_deref() == Some(record.data.as_slice()) {
                    result.matched.push(i);
                }
            }
            _ => {
                let presented = (1..parsed.len()).find(|d| {
                    parsed[*d]
                        .as_ref()
                        .and_then(|c| association(c, record))
                        .as_deref()
                        == Some(record.data.as_slice())
                });
                let anchored = match presented {
                    Some(depth) if depth > top => {
                        result.detail = Some(format!(
                            "TLSA record {} matched the certificate at depth {depth}, but the chain does not link from the leaf up to it",
                            i + 1
                        ));
                        false
                    }
                    Some(_) => true,
                    None => bare_key_signed_top(record, parsed[top].as_ref()),
                };
                if !anchored {
                    continue;
                }
                if name_ok {
                    result.matched.push(i);
                } else {
                    result.detail = Some(format!(
                        "TLSA record {} (DANE-TA) matched, but the certificate is not valid for {}",
                        i + 1,
                        names.join(" or ")
                    ));
                }
            }
        }
    }
    if !result.matched.is_empty() {
        result.detail = None;
    }
    result
}

/// The record's view of `cert`: full DER or SubjectPublicKeyInfo, exact or
/// hashed.
fn association(cert: &X509, record: &TlsaRecord) -> Option<Vec<u8>> {
    let selected = match record.selector {
        0 => cert.to_der().ok()?,
        1 => cert.public_key().ok()?.public_key_to_der().ok()?,
        _ => return None,
    };
    match record.matching {
        0 => Some(selected),
        1 => hash(MessageDigest::sha256(), &selected)
            .ok()
            .map(|d| d.to_vec()),
        2 => hash(MessageDigest::sha512(), &selected)
            .ok()
            .map(|d| d.to_vec()),
        _ => None,
    }
}

/// `parent` issued `child`: names (and key identifiers) agree and the
/// signature verifies with the parent's key.
fn signed_by(child: &X509, parent: &X509) -> bool {
    parent.issued(child) == X509VerifyResult::OK
        && parent
            .public_key()
            .ok()
            .and_then(|key| child.verify(&key).ok())
            .unwrap_or(false)
}

/// A `2 1 0` record carries a whole public key: a trust anchor the server
/// need not send, if it signed the top of the presented chain.
fn bare_key_signed_top(record: &TlsaRecord, top: Option<&X509>) -> bool {
    if record.selector != 1 || record.matching != 0 {
        return false;
    }
    let (Some(top), Ok(key)) = (top, PKey::public_key_from_der(&record.data)) else {
        return false;
    };
    top.verify(&key).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dane::test_certs::chain_from_pem;

    fn record(usage: u8, selector: u8, matching: u8, data: Vec<u8>) -> TlsaRecord {
        TlsaRecord {
            usage,
            selector,
            matching,
            data,
        }
    }

    fn spki(cert: &CertInfo) -> Vec<u8> {
        X509::from_der(&cert.der)
            .expect("der")
            .public_key()
            .expect("key")
            .public_key_to_der()
            .expect("spki")
    }

    fn digest(md: MessageDigest, data: &[u8]) -> Vec<u8> {
        hash(md, data).expect("hash").to_vec()
    }

    const NAME: &[&str] = &["mx.example.test"];

    #[test]
    fn dane_ee_matches_the_leaf_in_every_selector_and_matching_type() {
        let chain = chain_from_pem("mx-rsa.chain.pem");
        let leaf = &chain[0];
        let cases = [
            record(3, 0, 0, leaf.der.clone()),
            record(3, 0, 1, digest(MessageDigest::sha256(), &leaf.der)),
            record(3, 0, 2, digest(MessageDigest::sha512(), &leaf.der)),
            record(3, 1, 0, spki(leaf)),
            record(3, 1, 1, digest(MessageDigest::sha256(), &spki(leaf))),
            record(3, 1, 2, digest(MessageDigest::sha512(), &spki(leaf))),
        ];
        for r in &cases {
            let m = match_chain(std::slice::from_ref(r), &chain, NAME);
            assert_eq!(m.matched, vec![0], "{r:?}");
        }
        // Name checks do not apply to DANE-EE.
        let m = match_chain(&cases[..1], &chain, &["other.example"]);
        assert_eq!(m.matched, vec![0]);
        // The issuer's key in a DANE-EE record does not match the leaf.
        let wrong = record(3, 1, 1, digest(MessageDigest::sha256(), &spki(&chain[1])));
        assert!(match_chain(&[wrong], &chain, NAME).matched.is_empty());
    }

    #[test]
    fn dane_ta_matches_a_linked_issuer_with_a_name_check() {
        let chain = chain_from_pem("mx-inter.chain.pem");
        assert_eq!(chain.len(), 3);
        let inter = record(2, 0, 1, digest(MessageDigest::sha256(), &chain[1].der));
        let root = record(2, 1, 1, digest(MessageDigest::sha256(), &spki(&chain[2])));
        let m = match_chain(&[inter.clone(), root], &chain, NAME);
        assert_eq!(m.matched, vec![0, 1]);
        // Wrong name: a TA match does not authenticate the server.
        let m = match_chain(std::slice::from_ref(&inter), &chain, &["s120.hoster.test"]);
        assert!(m.matched.is_empty());
        assert!(
            m.detail
                .as_deref()
                .is_some_and(|d| d.contains("not valid for")),
            "{m:?}"
        );
        // A TA record that matches the leaf is not a trust anchor.
        let leaf_as_ta = record(2, 0, 1, digest(MessageDigest::sha256(), &chain[0].der));
        assert!(match_chain(&[leaf_as_ta], &chain, NAME).matched.is_empty());
    }

    #[test]
    fn dane_ta_needs_the_chain_to_link_or_a_bare_key() {
        let full = chain_from_pem("mx-inter.chain.pem");
        // The leaf followed directly by the root: no link.
        let broken = vec![full[0].clone(), full[2].clone()];
        let root = record(2, 0, 1, digest(MessageDigest::sha256(), &full[2].der));
        let m = match_chain(&[root], &broken, NAME);
        assert!(m.matched.is_empty());
        assert!(
            m.detail
                .as_deref()
                .is_some_and(|d| d.contains("does not link")),
            "{m:?}"
        );
        // The intermediate's full key as `2 1 0`, intermediate not sent.
        let alone = vec![full[0].clone()];
        let bare = record(2, 1, 0, spki(&full[1]));
        assert_eq!(match_chain(&[bare], &alone, NAME).matched, vec![0]);
        let other = record(2, 1, 0, spki(&full[2]));
        assert!(match_chain(&[other], &alone, NAME).matched.is_empty());
    }

    #[test]
    fn pkix_and_unknown_records_are_unusable() {
        let chain = chain_from_pem("mx-rsa.chain.pem");
        let d = digest(MessageDigest::sha256(), &chain[0].der);
        for r in [
            record(1, 0, 1, d.clone()),
            record(0, 0, 1, d.clone()),
            record(3, 2, 1, d.clone()),
            record(3, 0, 3, d.clone()),
            record(4, 0, 1, d.clone()),
        ] {
            assert!(!usable(&r), "{r:?}");
            assert!(match_chain(&[r], &chain, NAME).matched.is_empty());
        }
        assert!(usable(&record(3, 0, 1, d)));
        assert!(match_chain(&[], &[], NAME).matched.is_empty());
    }
}
