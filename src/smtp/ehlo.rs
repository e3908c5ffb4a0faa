//! The name mxprobe gives in EHLO.

use std::net::SocketAddr;
use std::sync::OnceLock;

/// The name mxprobe gives in EHLO.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EhloName {
    /// This machine's host name when it is fully qualified, else the address
    /// literal of the local end of each connection (`[192.0.2.1]`), which
    /// RFC 5321 §4.1.4 allows when no FQDN is available.
    #[default]
    Auto,
    /// Exactly this (`--ehlo`).
    Fixed(String),
}

impl EhloName {
    /// The name to send on a connection whose local end is `local`.
    pub(crate) fn for_connection(&self, local: Option<SocketAddr>) -> String {
        match self {
            EhloName::Fixed(name) => name.clone(),
            EhloName::Auto => match (fqdn(), local) {
                (Some(name), _) => name.to_string(),
                (None, Some(SocketAddr::V4(a))) => format!("[{}]", a.ip()),
                (None, Some(SocketAddr::V6(a))) => format!("[IPv6:{}]", a.ip()),
                (None, None) => "localhost.localdomain".to_string(),
            },
        }
    }
}

/// This machine's host name, if it is fully qualified.
fn fqdn() -> Option<&'static str> {
    static NAME: OnceLock<Option<String>> = OnceLock::new();
    NAME.get_or_init(|| {
        let name = crate::ffi::os::host_name()?;
        let name = name.trim_end_matches('.');
        let valid = name.contains('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        valid.then(|| name.to_ascii_lowercase())
    })
    .as_deref()
}
