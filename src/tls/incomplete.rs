//! Why part of an enumeration is missing, as data: which part, and why.
//!
//! Reports carry each as one line (`TLSv1.2: no further session: greeting
//! rejected: 421 …`): in JSON `incomplete` is an array of those strings,
//! in CSV they are joined with `; `. Code branches on the fields.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Protocol;

/// The part of an enumeration a failure cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// One version's ciphers (TLS 1.3: its suites).
    Version(Protocol),
    /// The versions up to this one, still to be discovered.
    VersionsUpTo(Protocol),
    /// The key-exchange groups tested with this version.
    Groups(Protocol),
    /// All of it.
    All,
}

/// Why it is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The server stopped taking connections (the pool gave up).
    NoSession(String),
    /// Handshakes kept timing out.
    Timeout(Duration),
    /// The handshake could not be made at all (set-up, an offer OpenSSL
    /// cannot send).
    Handshake(String),
    /// The server's answers contradict each other.
    Inconsistent(String),
    /// The broadly compatible handshake timed out, so would every other.
    Stalled,
    /// Read back from an earlier report: the text only.
    Other(String),
}

/// One missing part and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    /// What is missing.
    pub part: Part,
    /// Why.
    pub reason: Reason,
}

impl Incomplete {
    pub(crate) fn new(part: Part, reason: Reason) -> Incomplete {
        Incomplete { part, reason }
    }

    /// The server stopped taking connections.
    pub fn is_no_session(&self) -> bool {
        matches!(self.reason, Reason::NoSession(_))
    }

    /// Handshakes timed out (or the first one did, so no other was tried).
    pub fn is_timeout(&self) -> bool {
        matches!(self.reason, Reason::Timeout(_) | Reason::Stalled)
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Version(p) => write!(f, "{p}"),
            Part::VersionsUpTo(p) => write!(f, "up to {p}"),
            Part::Groups(p) => write!(f, "{p} groups"),
            Part::All => f.write_str("not enumerated"),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoSession(why) => write!(f, "no further session: {why}"),
            Reason::Timeout(after) => write!(f, "TLS handshake timed out after {after:?}"),
            Reason::Handshake(why) | Reason::Inconsistent(why) | Reason::Other(why) => {
                f.write_str(why)
            }
            Reason::Stalled => {
                f.write_str("the broadly compatible handshake timed out, so would every other")
            }
        }
    }
}

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Other(text) => f.write_str(text),
            reason => write!(f, "{}: {reason}", self.part),
        }
    }
}

/// In reports: the one line.
impl Serialize for Incomplete {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// From a report: the line, kept as text.
impl<'de> Deserialize<'de> for Incomplete {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Incomplete::new(Part::All, Reason::Other(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reads_as_one_line_naming_the_part() {
        let cases = [
            (
                Incomplete::new(
                    Part::Version(Protocol::Tls1_2),
                    Reason::NoSession("greeting rejected: 421 busy".into()),
                ),
                "TLSv1.2: no further session: greeting rejected: 421 busy",
            ),
            (
                Incomplete::new(
                    Part::VersionsUpTo(Protocol::Tls1_1),
                    Reason::Timeout(Duration::from_secs(5)),
                ),
                "up to TLSv1.1: TLS handshake timed out after 5s",
            ),
            (
                Incomplete::new(
                    Part::Groups(Protocol::Tls1_3),
                    Reason::Handshake("x".into()),
                ),
                "TLSv1.3 groups: x",
            ),
            (
                Incomplete::new(Part::All, Reason::Stalled),
                "not enumerated: the broadly compatible handshake timed out, so would every other",
            ),
        ];
        for (incomplete, text) in cases {
            assert_eq!(incomplete.to_string(), text);
            let json = serde_json::to_value(&incomplete).expect("json");
            assert_eq!(json, text);
            let back: Incomplete = serde_json::from_value(json).expect("back");
            assert_eq!(back.to_string(), text, "read back as the same line");
        }
    }
}
