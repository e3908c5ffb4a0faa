//! What users type: domain names and `--host` targets.

use std::net::IpAddr;

use crate::dns::normalize_domain;
use crate::model::Target;

/// [`normalize_domain`]: an accepted name is a valid A-label name within
/// the length limits, not an address, and normalising it again gives it
/// back; a rejection names the input and says why on one line.
pub fn domain_name(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match normalize_domain(input) {
        Ok(ascii) => {
            check_ascii_name(&ascii);
            assert_eq!(
                normalize_domain(&ascii).as_deref(),
                Ok(ascii.as_str()),
                "{input:?} normalised to a name that does not normalise to itself"
            );
        }
        Err(e) => {
            assert_eq!(e.input, input);
            assert!(!e.reason.is_empty());
            assert!(!e.to_string().contains(['\n', '\r']), "{e}");
        }
    }
}

pub(super) fn check_ascii_name(name: &str) {
    assert!((1..=253).contains(&name.len()), "{name:?}");
    assert!(name.parse::<IpAddr>().is_err(), "{name:?} is an address");
    for label in name.split('.') {
        assert!((1..=63).contains(&label.len()), "{name:?}");
        assert!(!label.starts_with('-') && !label.ends_with('-'), "{name:?}");
        assert!(
            label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'),
            "{name:?}"
        );
    }
}

/// [`Target::host`]: an accepted target is an address or a valid name with
/// a port of 1 to 65535, and writing it back out parses to the same target.
pub fn target_host(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let target = match Target::host(input) {
        Ok(target) => target,
        Err(e) => {
            assert!(!e.to_string().contains(['\n', '\r']), "{e}");
            return;
        }
    };
    let Target::Host { name, port } = &target else {
        panic!("{input:?} became {target:?}");
    };
    assert_ne!(*port, Some(0));
    let ip = name.parse::<IpAddr>().ok();
    if ip.is_none() {
        check_ascii_name(name);
    }
    let spec = match (ip, port) {
        (Some(IpAddr::V6(_)), Some(port)) => format!("[{name}]:{port}"),
        (_, Some(port)) => format!("{name}:{port}"),
        (_, None) => name.clone(),
    };
    assert_eq!(
        Target::host(&spec).as_ref(),
        Ok(&target),
        "{input:?} → {spec:?}"
    );
}
