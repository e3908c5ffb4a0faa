//! The DNSSEC side of a [`Zone`]: zone cuts, signing keys, deliberately
//! broken signatures, and a stand-in for a validating resolver's AD bit.
//!
//! The server answers every name itself, as a recursive resolver would, so
//! a signed "hierarchy" is a set of apexes in one [`Zone`]:
//!
//! ```no_run
//! use mxprobe::testkit::dns::{Bogus, RecordType, Zone};
//! let mut zone = Zone::new();
//! zone.signed_apex("test")            // the island's top: its DNSKEY is the trust anchor
//!     .signed_apex("good.test")       // DS in `test`, its own key
//!     .unsigned_apex("plain.test")    // delegation proven insecure by an NSEC in `test`
//!     .tlsa("_25._tcp.mx.good.test", 3, 1, 1, &[0; 32])
//!     .bogus("_25._tcp.mx.good.test", RecordType::TLSA, Bogus::BadSignature);
//! let anchor = zone.trust_anchor(); // zone-file text for `--trust-anchor`
//! ```
//!
//! Each apex gets an SOA and an NS record (and a DNSKEY when signed); a
//! signed apex with a signed parent gets a DS there, an unsigned one an NS
//! and an NSEC without DS. Queries with the DO bit get RRSIGs and NSEC
//! denial of existence. Signing happens when the zone is installed in a
//! server, with a fresh Ed25519 key per signed apex made here (algorithm
//! 15, one combined key per zone, so the trust anchor is the whole DNSKEY
//! RRset).
//!
//! Names outside every apex are answered as before, unsigned.

use hickory_proto::dnssec::crypto::Ed25519SigningKey;
use hickory_proto::dnssec::rdata::DNSKEY;
use hickory_proto::dnssec::SigningKey;
use hickory_proto::rr::RecordType;
use rustls::pki_types::PrivatePkcs8KeyDer;

use super::zone::{key, Zone};

/// How an RRset's signature is broken (DO queries only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bogus {
    /// A signature byte flipped: the RRSIG does not verify.
    BadSignature,
    /// Signed with a validity period that ended yesterday.
    Expired,
    /// No RRSIG at all, in a zone whose DS says it is signed.
    Missing,
    /// A bad signature in the first `n` answers, a good one after: a
    /// transient failure a careful validator must retry past.
    BadFirst(u32),
}

impl Zone {
    /// Make `apex` a signed zone with a new key. Names at and below it (up
    /// to the next apex) are signed by it.
    pub fn signed_apex(&mut self, apex: &str) -> &mut Self {
        let added = key(apex).and_then(|k| {
            let pkcs8 = Ed25519SigningKey::generate_pkcs8().map_err(|e| e.to_string())?;
            self.apexes
                .insert(k, Some(pkcs8.secret_pkcs8_der().to_vec()));
            Ok(())
        });
        self.or_panic(added, "signed_apex")
    }

    /// Make `apex` an unsigned zone: its records have no RRSIGs and, when a
    /// signed zone is above it, that zone proves there is no DS.
    pub fn unsigned_apex(&mut self, apex: &str) -> &mut Self {
        let added = key(apex).map(|k| {
            self.apexes.insert(k, None);
        });
        self.or_panic(added, "unsigned_apex")
    }

    /// Break the signature of the RRset `name`/`rtype` as `how` says.
    pub fn bogus(&mut self, name: &str, rtype: RecordType, how: Bogus) -> &mut Self {
        let added = key(name).map(|k| {
            self.bogus.insert((k, u16::from(rtype)), how);
        });
        self.or_panic(added, "bogus")
    }

    /// Answers for `name` carry the AD bit when the query asked for DNSSEC
    /// (AD or DO set, RFC 6840 §5.7), as from a validating resolver.
    pub fn authentic(&mut self, name: &str) -> &mut Self {
        let added = key(name).map(|k| {
            self.authentic.insert(k);
        });
        self.or_panic(added, "authentic")
    }

    /// Queries for `name` are answered SERVFAIL unless they set CD
    /// (checking disabled), as a validating resolver answers a bogus name.
    pub fn validation_failure(&mut self, name: &str) -> &mut Self {
        let added = key(name).map(|k| {
            self.validation_failure.insert(k);
        });
        self.or_panic(added, "validation_failure")
    }

    /// The trust anchors for this zone as zone-file text (one DNSKEY line
    /// per signed apex that has no signed apex above it), the format of
    /// `mxprobe --trust-anchor`. Empty when nothing is signed.
    pub fn trust_anchor(&self) -> String {
        let mut text = String::new();
        for (apex, pkcs8) in &self.apexes {
            let Some(pkcs8) = pkcs8 else { continue };
            if self.signed_parent(apex).is_some() {
                continue;
            }
            if let Some(dnskey) = dnskey_of(pkcs8) {
                text.push_str(&format!("{apex}. 3600 IN DNSKEY {dnskey}\n"));
            }
        }
        text
    }

    /// The nearest apex strictly above `apex`, if it is signed.
    pub(super) fn signed_parent(&self, apex: &str) -> Option<&str> {
        let mut rest = apex;
        while let Some((_, parent)) = rest.split_once('.') {
            if let Some((k, signed)) = self.apexes.get_key_value(parent) {
                return signed.as_ref().map(|_| k.as_str());
            }
            rest = parent;
        }
        None
    }
}

/// The signing key stored for an apex.
pub(super) fn signing_key(pkcs8: &[u8]) -> Option<Ed25519SigningKey> {
    Ed25519SigningKey::from_pkcs8(&PrivatePkcs8KeyDer::from(pkcs8.to_vec())).ok()
}

/// The DNSKEY (flags 257: zone key, secure entry point) of a stored key.
pub(super) fn dnskey_of(pkcs8: &[u8]) -> Option<DNSKEY> {
    let key = signing_key(pkcs8)?;
    key.to_public_key().ok().map(|pk| DNSKEY::from_key(&pk))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_anchor_lists_only_the_top_of_each_island() {
        let mut zone = Zone::new();
        zone.signed_apex("test")
            .signed_apex("good.test")
            .unsigned_apex("plain.test")
            .signed_apex("island.example");
        let anchor = zone.trust_anchor();
        let owners: Vec<&str> = anchor
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(owners, vec!["island.example.", "test."]);
        assert!(anchor.contains(" IN DNSKEY 257 3 15 "), "{anchor}");
        assert_eq!(zone.signed_parent("good.test"), Some("test"));
        assert_eq!(zone.signed_parent("test"), None);
    }
}
