//! Cipher suite code points and their names: the IANA TLS Cipher Suites
//! registry (tls-parameters-4) as far as servers of any age answer with,
//! plus the few suites old OpenSSL shipped without a registration.
//!
//! The table ([`SUITES`], in `registry_table.rs`) holds facts only: code
//! point, IANA name, and OpenSSL's name for the suites the OpenSSL linked
//! here no longer has. OpenSSL's names for the others come from the
//! catalogue (the IANA table behind `tls::iana` holds only the suites it
//! lacks), so the two cannot drift apart;
//! a test checks that every suite of the catalogue is here under its IANA
//! name. What a suite is made of is read off its name, in one place
//! (`tls::iana`).

#[cfg(test)]
use crate::tls::cipher::Catalogue;

pub(crate) use super::registry_table::SUITES;

/// One cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Suite {
    /// The two-byte code point.
    pub(crate) id: u16,
    /// The IANA name (`TLS_RSA_EXPORT_WITH_RC4_40_MD5`), or for an
    /// unregistered suite the name of its draft.
    pub(crate) name: &'static str,
    /// OpenSSL's name where the linked OpenSSL lacks the suite but an older
    /// one had it (`EXP-RC4-MD5`).
    pub(crate) old_openssl: Option<&'static str>,
    /// In the IANA registry; unregistered are the EXPORT1024 suites
    /// (0x0060–0x0065, 0x0066), the GOST 94/2001 suites (0x0080–0x0083)
    /// and ChaCha20-Poly1305 before RFC 7905 (0xCC13–0xCC15).
    pub(crate) registered: bool,
}

#[cfg(test)]
impl Suite {
    /// OpenSSL's name: the linked OpenSSL's if it has the suite, else an
    /// older OpenSSL's, else none (PSK, SRP, ARIA-PSK: OpenSSL names them
    /// but offers them only with a key callback).
    pub(crate) fn openssl_name(&self) -> Option<&'static str> {
        let cat = Catalogue::get();
        cat.tls13
            .iter()
            .chain(&cat.tls12)
            .find(|c| c.id == self.id)
            .map(|c| c.name.as_str())
            .or(self.old_openssl)
    }
}

/// A registered suite (for the table).
pub(super) const fn r(id: u16, name: &'static str) -> Suite {
    Suite {
        id,
        name,
        old_openssl: None,
        registered: true,
    }
}

/// A registered suite the linked OpenSSL lacks, with an older OpenSSL's
/// name.
pub(super) const fn o(id: u16, name: &'static str, openssl: &'static str) -> Suite {
    Suite {
        id,
        name,
        old_openssl: Some(openssl),
        registered: true,
    }
}

/// A suite old OpenSSL shipped without a registration.
pub(super) const fn u(id: u16, name: &'static str, openssl: &'static str) -> Suite {
    Suite {
        id,
        name,
        old_openssl: Some(openssl),
        registered: false,
    }
}

/// The suite with code point `id`.
#[cfg(test)]
pub(crate) fn by_id(id: u16) -> Option<&'static Suite> {
    SUITES
        .binary_search_by_key(&id, |s| s.id)
        .ok()
        .map(|i| &SUITES[i])
}

/// The suite with this IANA name (any case), or this OpenSSL name.
#[cfg(test)]
pub(crate) fn by_name(name: &str) -> Option<&'static Suite> {
    SUITES
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
        .or_else(|| SUITES.iter().find(|s| s.old_openssl == Some(name)))
        .or_else(|| by_id(Catalogue::get().find(name)?.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(SUITES.windows(2).all(|w| w[0].id < w[1].id));
        assert!(SUITES.len() >= 300, "{}", SUITES.len());
        let mut names: Vec<_> = SUITES.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SUITES.len(), "names are unique");
        for s in SUITES {
            assert!(s.name.starts_with("TLS_"), "{}", s.name);
            assert!(s
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        }
    }

    /// Every suite the linked OpenSSL offers is in the table under the name
    /// OpenSSL gives it, and the table's own OpenSSL names are only for
    /// suites it lacks.
    #[test]
    fn agrees_with_the_catalogue() {
        let cat = Catalogue::get();
        assert!(!cat.tls12.is_empty());
        for c in cat.tls13.iter().chain(&cat.tls12) {
            let s = by_id(c.id).unwrap_or_else(|| panic!("{} {:#06x} missing", c.name, c.id));
            assert!(
                s.name.eq_ignore_ascii_case(&c.iana),
                "{} vs {}",
                s.name,
                c.iana
            );
            assert!(s.registered, "{}", s.name);
            assert_eq!(s.old_openssl, None, "{} is in the catalogue", s.name);
            assert_eq!(s.openssl_name(), Some(c.name.as_str()));
        }
    }

    #[test]
    fn lookups_and_what_suites_are_made_of() {
        let s = by_id(0x0003).expect("EXP-RC4-MD5");
        assert_eq!(s.name, "TLS_RSA_EXPORT_WITH_RC4_40_MD5");
        assert_eq!(s.openssl_name(), Some("EXP-RC4-MD5"));
        assert_eq!(by_name("exp-rc4-md5"), None, "OpenSSL names are exact");
        assert_eq!(by_name("EXP-RC4-MD5"), Some(s));
        assert_eq!(by_name("tls_rsa_export_with_rc4_40_md5"), Some(s));
        assert_eq!(
            by_name("ECDHE-RSA-AES256-GCM-SHA384").map(|s| s.id),
            Some(0xC030)
        );
        assert_eq!(by_id(0x001C), None, "Fortezza, reserved");
        // What each is made of, as `tls::iana` reads it off the name.
        let spec = |id| {
            let s = by_id(id).unwrap_or_else(|| panic!("{id:#06x}"));
            crate::tls::iana::spec(s.id, s.name, s.old_openssl)
        };
        type Is = fn(&crate::tls::CipherSpec) -> bool;
        let table: [(u16, Is); 9] = [
            (0x0000, |s| s.is_null()),
            (0x0009, |s| s.is_des()),
            (0x0008, |s| s.is_des() && s.is_export()),
            (0x000A, |s| s.is_3des() && !s.is_des()),
            (0x0006, |s| s.enc.starts_with("RC2") && s.is_export()),
            (0x0007, |s| s.enc.starts_with("IDEA")),
            (0x0018, |s| s.is_anonymous() && s.is_rc4()),
            (0x0062, |s| s.is_export()),
            (0xC02F, |s| s.is_modern()),
        ];
        for (id, is) in table {
            assert!(is(&spec(id)), "{id:#06x}: {:?}", spec(id));
        }
    }
}
