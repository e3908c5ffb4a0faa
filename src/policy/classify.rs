//! The policy as the classifier of `mxprobe logs`: which logged
//! `PROTOCOL:CIPHER` combinations are weak, and why, under a policy.

use super::Policy;
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
    pub fn new(policy: Policy) -> Self {
        PolicyClassifier { policy }
    }
}

impl Classifier for PolicyClassifier {
    fn findings(&self, protocol: Protocol, cipher: &str) -> Vec<String> {
        let on = |id: &str| self.policy.severity_of(id).is_some();
        let mut ids: Vec<String> = Vec::new();
        if let Some(min) = self.policy.versions.minimum {
            let id = match protocol {
                Protocol::Ssl3 => "protocol-sslv3",
                Protocol::Tls1 => "protocol-tlsv1",
                Protocol::Tls1_1 => "protocol-tlsv1.1",
                Protocol::Tls1_2 => "protocol-tlsv1.2",
                Protocol::Tls1_3 => "",
            };
            if protocol < min && on(id) {
                ids.push(id.to_string());
            }
        }
        // The cipher's properties, also for GnuTLS names, come from the
        // built-in rules; the policy decides which of them count.
        ids.extend(
            DefaultClassifier
                .findings(protocol, cipher)
                .into_iter()
                .filter(|id| !id.starts_with("protocol-") && on(id)),
        );
        if let Some(allowed) = &self.policy.ciphers.allowed {
            let known = crate::tls::cipher::Catalogue::get().find(cipher).is_some();
            if known && !allowed.iter().any(|a| a == cipher) && on("cipher-not-allowed") {
                ids.push("cipher-not-allowed".to_string());
            }
        }
        ids
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
            default.findings(Protocol::Tls1, "DES-CBC3-SHA"),
            [
                "protocol-tlsv1",
                "cipher-3des",
                "cipher-no-pfs",
                "cipher-cbc-sha1"
            ]
        );
        let opportunistic =
            PolicyClassifier::new(builtin::get("opportunistic").expect("opportunistic"));
        assert!(opportunistic
            .findings(Protocol::Tls1, "DES-CBC3-SHA")
            .is_empty());
        let old = PolicyClassifier::new(builtin::get("mozilla-old").expect("mozilla-old"));
        assert!(!old
            .findings(Protocol::Tls1, "DES-CBC3-SHA")
            .contains(&"protocol-tlsv1".to_string()));
        let bsi = PolicyClassifier::new(builtin::get("bsi").expect("bsi"));
        assert!(bsi
            .findings(Protocol::Tls1_2, "ECDHE-RSA-CHACHA20-POLY1305")
            .contains(&"cipher-not-allowed".to_string()));
        assert!(bsi
            .findings(Protocol::Tls1_2, "ECDHE-RSA-AES128-GCM-SHA256")
            .is_empty());
    }
}
