//! The built-in policies, kept as commented TOML in `src/policy/builtin/`
//! (what `mxprobe policy show NAME` prints) and parsed like any policy file.

use super::Policy;

/// Names of the built-in policies, in the order `mxprobe policies` lists them.
pub const NAMES: &[&str] = &[
    "default",
    "bsi",
    "mozilla-modern",
    "mozilla-intermediate",
    "mozilla-old",
    "rfc",
    "opportunistic",
];

/// The TOML source of a built-in policy.
pub fn source(name: &str) -> Option<&'static str> {
    Some(match name {
        "default" => include_str!("builtin/default.toml"),
        "bsi" => include_str!("builtin/bsi.toml"),
        "mozilla-modern" => include_str!("builtin/mozilla-modern.toml"),
        "mozilla-intermediate" => include_str!("builtin/mozilla-intermediate.toml"),
        "mozilla-old" => include_str!("builtin/mozilla-old.toml"),
        "rfc" => include_str!("builtin/rfc.toml"),
        "opportunistic" => include_str!("builtin/opportunistic.toml"),
        _ => return None,
    })
}

/// A built-in policy, parsed.
pub fn get(name: &str) -> Option<Policy> {
    // The sources are tested to parse (see the tests below), so a failure
    // here cannot happen at run time; map it to "unknown" all the same.
    source(name).and_then(|text| Policy::from_toml(text, name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_is_named_after_itself() {
        for name in NAMES {
            let text = source(name).expect("listed");
            let p = Policy::from_toml(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p.name, *name);
            assert!(!p.description.is_empty(), "{name} has no description");
        }
        assert!(get("nonsense").is_none());
    }
}
