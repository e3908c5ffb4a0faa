//! What a user's files hold: policy files (`--policy FILE`).

use crate::policy::{builtin, FindingId, Policy, PolicyError};

/// The path the fuzzed policy is read from, as errors must name it.
const ORIGIN: &str = "fuzz/my-policy.toml";

/// [`Policy::from_toml`]: a rejection names the file and says why on one
/// line; an accepted policy has a name, lists only catalogue finding IDs
/// and extends only a built-in policy, and written back as TOML it parses
/// to the same policy.
pub fn policy_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = match Policy::from_toml(text, ORIGIN) {
        Ok(policy) => policy,
        Err(e) => {
            check_error(&e);
            return;
        }
    };
    assert!(!policy.name.is_empty());
    for id in policy.severity.keys() {
        // Only catalogue IDs get this far (the keys are `FindingId`s); each
        // is written back as the string it was parsed from.
        assert_eq!(id.as_str().parse::<FindingId>(), Ok(*id), "{id:?}");
    }
    if let Some(parent) = &policy.extends {
        assert!(builtin::NAMES.contains(&parent.as_str()), "{parent:?}");
    }
    let written = toml::to_string(&policy).expect("a policy serialises");
    let again = Policy::from_toml(&written, ORIGIN)
        .unwrap_or_else(|e| panic!("{text:?} written as {written:?} does not parse: {e}"));
    assert_eq!(again, policy, "{text:?} written as {written:?}");
}

fn check_error(e: &PolicyError) {
    let PolicyError::Invalid { origin, message } = e else {
        panic!("parsing text gave {e:?}");
    };
    assert_eq!(origin, ORIGIN);
    assert!(!message.is_empty());
    let shown = e.to_string();
    assert!(shown.starts_with(&format!("policy {ORIGIN}: ")), "{shown}");
    assert!(
        !shown.chars().any(|c| c.is_control() && c != '\t'),
        "{shown:?}"
    );
}
