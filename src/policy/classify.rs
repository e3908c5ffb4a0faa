//! The policy as the classifier of `mxprobe logs`: which logged
//! `PROTOCOL:CIPHER` combinations are weak, and why, under a policy.

use super::{FindingId, Policy};
use crate::logs::{Classifier, DefaultClassifier};
use crate::tls::Protocol;

/// Classifies logged connections by a policy: a finding counts when the
/// policy gives it a severity; protocol versions are judged against the
/// policy's minimum, ciphers also against its allowed list.
#[derive(Debug, Clone)]
pub struct PolicyClassifier {
    policy: Policy,
}

impl PolicyClassifier {
    /// Classify by `policy`.
    pub fn new(policy: Policy) -> Self {
        PolicyClassifier { policy }
    }

    /// The findings that count under the policy, most important first.
    pub fn ids(&self, protocol: Protocol, cipher: &str) -> Vec<FindingId> {
        let on = |id: FindingId| self.policy.severity_of(id).is_some();
        let mut ids = Vec::new();
        if let Some(min) = self.policy.versions.minimum {
            let below = FindingId::below_minimum(protocol).filter(|_| protocol < min);
            ids.extend(below.filter(|id| on(*id)));
        }
        // The cipher's properties, also for GnuTLS names, come from the
        // built-in rules; the policy decides which of them count.
        ids.extend(
            DefaultClassifier
                .cipher_ids(protocol, cipher)
                .into_iter()
                .filter(|id| on(*id)),
        );
        if let Some(allowed) = &self.policy.ciphers.allowed {
            let known = crate::tls::iana::lookup(cipher).is_some();
            if known && !allowed.iter().any(|a| a == cipher) && on(FindingId::CipherNotAllowed) {
                ids.push(FindingId::CipherNotAllowed);
            }
        }
        ids
    }
}

impl Classifier for PolicyClassifier {
    fn findings(&self, protocol: Protocol, cipher: &str) -> Vec<String> {
        self.ids(protocol, cipher)
            .into_iter()
            .map(|id| id.as_str().to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::builtin;

    #[test]
    fn the_policy_decides_what_counts() {
        let default = PolicyClassifier::new(builtin::get("default").expect("default"));
        assert_eq!(
            default.ids(Protocol::Tls1, "DES-CBC3-SHA"),
            [
                FindingId::ProtocolTlsv1,
                FindingId::Cipher3des,
                FindingId::CipherNoPfs,
                FindingId::CipherCbcSha1
            ]
        );
        let opportunistic =
            PolicyClassifier::new(builtin::get("opportunistic").expect("opportunistic"));
        assert!(opportunistic.ids(Protocol::Tls1, "DES-CBC3-SHA").is_empty());
        let old = PolicyClassifier::new(builtin::get("mozilla-old").expect("mozilla-old"));
        assert!(!old
            .ids(Protocol::Tls1, "DES-CBC3-SHA")
            .contains(&FindingId::ProtocolTlsv1));
        let bsi = PolicyClassifier::new(builtin::get("bsi").expect("bsi"));
        assert!(bsi
            .ids(Protocol::Tls1_2, "ECDHE-RSA-CHACHA20-POLY1305")
            .contains(&FindingId::CipherNotAllowed));
        assert!(bsi
            .ids(Protocol::Tls1_2, "ECDHE-RSA-AES128-GCM-SHA256")
            .is_empty());
    }

    /// A GnuTLS-built Exim's line is judged as the OpenSSL suite it is,
    /// allowed list included.
    #[test]
    fn gnutls_lines_are_judged_as_the_openssl_suite() {
        let bsi = PolicyClassifier::new(builtin::get("bsi").expect("bsi"));
        let mut tally = crate::logs::Tally::with_classifier(Box::new(bsi));
        let log = "2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=a.example [192.0.2.1] P=esmtps \
                   X=TLS1.2:ECDHE_X25519__EdDSA_Ed25519__CHACHA20_POLY1305:256\n";
        crate::logs::scan_reader(log.as_bytes(), &mut tally).expect("in memory");
        let k = &tally.keys()[0];
        assert_eq!(
            k.key().to_string(),
            "TLSv1.2:ECDHE-ECDSA-CHACHA20-POLY1305:256"
        );
        assert_eq!(k.findings(), ["cipher-not-allowed"]);
    }
}
