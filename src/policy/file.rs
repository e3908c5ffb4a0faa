//! Policy files: the TOML as written, read with a size cap, checked into a
//! [`Policy`], errors on one line naming the file.
//!
//! The file's form ([`Written`]) keeps finding IDs as the strings the user
//! wrote. Parsing them straight into [`FindingId`] would make an unknown ID
//! one more serde error, reported wherever the parser meets it and with
//! the parser's wording; checked after the whole file has parsed, it is
//! its own error, naming the table it is in.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    builtin, Certificate, Ciphers, FindingId, KeyExchange, Policy, PolicyError, SenderCount,
    Setting, Unlisted, Versions,
};

/// A policy as written in TOML: [`Policy`]'s fields, finding IDs as
/// strings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Written {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    extends: Option<String>,
    #[serde(default)]
    unlisted: Option<Unlisted>,
    #[serde(default)]
    versions: Versions,
    #[serde(default)]
    ciphers: Ciphers,
    #[serde(default)]
    key_exchange: KeyExchange,
    #[serde(default)]
    certificate: Certificate,
    #[serde(default)]
    senders: SenderCount,
    #[serde(default)]
    severity: BTreeMap<String, Setting>,
}

impl Written {
    /// The policy, if every `[severity]` key is a finding ID.
    pub(super) fn checked(self) -> Result<Policy, String> {
        let severity = self
            .severity
            .into_iter()
            .map(|(id, setting)| match id.parse::<FindingId>() {
                Ok(id) => Ok((id, setting)),
                Err(_) => Err(format!("unknown finding id {id:?} in [severity]")),
            })
            .collect::<Result<_, _>>()?;
        Ok(Policy {
            name: self.name,
            description: self.description,
            extends: self.extends,
            unlisted: self.unlisted,
            versions: self.versions,
            ciphers: self.ciphers,
            key_exchange: self.key_exchange,
            certificate: self.certificate,
            senders: self.senders,
            severity,
        })
    }
}

impl Policy {
    /// Parse a policy from TOML; `origin` names it in errors (a file path).
    pub fn from_toml(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let invalid = |message: String| PolicyError::Invalid {
            origin: origin.to_string(),
            message,
        };
        let written: Written = toml::from_str(text).map_err(|e| {
            // toml's message spans several lines with a source excerpt;
            // one line is what users get from us. The message alone can
            // still quote a key with a line break in it (`"a\nb" = 1`).
            invalid(one_line(e.message()) + &line_of(text, e.span()))
        })?;
        let mut p = written.checked().map_err(invalid)?;
        if let Some(allowed) = &p.ciphers.allowed {
            if let Some(bad) = allowed
                .iter()
                .find(|c| crate::tls::iana::lookup(c).is_none())
            {
                return Err(invalid(format!(
                    "unknown cipher {bad:?} in [ciphers] allowed (use OpenSSL names, e.g. ECDHE-RSA-AES128-GCM-SHA256)"
                )));
            }
        }
        if let Some(parent) = p.extends.clone() {
            let base = builtin::get(&parent).ok_or_else(|| {
                invalid(format!(
                    "extends unknown policy {parent:?} (built-in policies: {})",
                    builtin::NAMES.join(", ")
                ))
            })?;
            p = p.over(base);
        }
        if p.name.is_empty() {
            p.name = origin.to_string();
        }
        Ok(p)
    }

    /// A built-in policy by name, or a policy file.
    pub fn load(name_or_path: &str) -> Result<Policy, PolicyError> {
        if let Some(p) = builtin::get(name_or_path) {
            return Ok(p);
        }
        let path = std::path::Path::new(name_or_path);
        if !name_or_path.contains('/') && !name_or_path.ends_with(".toml") && !path.exists() {
            return Err(PolicyError::UnknownBuiltin(name_or_path.to_string()));
        }
        let text = read_capped(path).map_err(|source| PolicyError::Read {
            path: name_or_path.to_string(),
            source,
        })?;
        Policy::from_toml(&text, name_or_path)
    }
}

/// A policy file's text, refusing files above [`crate::limits::POLICY_FILE_BYTES`].
fn read_capped(path: &std::path::Path) -> std::io::Result<String> {
    let bytes = crate::limits::read_file(
        path,
        crate::limits::POLICY_FILE_BYTES,
        "a policy is a few KiB",
    )?;
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// ` (line N)` for an error at `span` of `text`.
fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let line = text.get(..r.start).map_or(0, |t| t.matches('\n').count()) + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

/// `message` with its control characters escaped (`\n`), so one line.
fn one_line(message: &str) -> String {
    let mut line = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Severity;

    /// Found by the `policy_toml` fuzz target: an unknown key with a line
    /// break in it made a two-line error.
    #[test]
    fn errors_stay_on_one_line_whatever_the_keys_hold() {
        for (text, quoted) in [
            ("\"x\\ny\" = 1\n", "`x\\ny`"),
            ("[versions]\n\"a\\u001b[31mb\" = 1\n", "`a\\u{1b}[31mb`"),
        ] {
            let e = Policy::from_toml(text, "my.toml").expect_err("an unknown key");
            let shown = e.to_string();
            assert!(
                shown.starts_with("policy my.toml: unknown field "),
                "{shown}"
            );
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
            assert!(shown.contains(quoted), "{shown}");
        }
    }

    /// An unknown ID is its own error, after the rest of the file parsed
    /// (a misspelt key elsewhere is reported first), naming the table.
    #[test]
    fn unknown_finding_ids_are_named_with_their_table() {
        let e = Policy::from_toml("[severity]\n\"cipher-rc5\" = \"high\"\n", "my.toml")
            .expect_err("an unknown id");
        assert_eq!(
            e.to_string(),
            "policy my.toml: unknown finding id \"cipher-rc5\" in [severity]"
        );
        let text = "[severity]\n\"cipher-rc5\" = \"high\"\n[versions]\nminimun = \"TLSv1.2\"\n";
        let e = Policy::from_toml(text, "my.toml").expect_err("two errors");
        assert!(e.to_string().contains("unknown field `minimun`"), "{e}");
        let p = Policy::from_toml("[severity]\n\"cipher-rc4\" = \"off\"\n", "my.toml")
            .expect("a known id");
        assert_eq!(p.severity_of(FindingId::CipherRc4), None);
        assert_eq!(p.severity_of(FindingId::Cipher3des), Some(Severity::Medium));
        // Deserialising a Policy directly checks the IDs too.
        assert!(toml::from_str::<Policy>("[severity]\n\"cipher-rc5\" = \"high\"\n").is_err());
    }
}
