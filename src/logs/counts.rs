//! Counts: uses per direction, and lines by what became of them.

use serde::Serialize;

use super::Direction;

/// Uses per direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Received: Exim arrivals, Postfix `smtpd` connections.
    pub inbound: u64,
    /// Sent: Exim deliveries, Postfix `smtp` connections.
    pub outbound: u64,
}

impl Counts {
    /// Both directions together.
    pub fn total(&self) -> u64 {
        self.inbound + self.outbound
    }
    /// One direction, or both (`None`).
    pub fn get(&self, direction: Option<Direction>) -> u64 {
        match direction {
            Some(Direction::Inbound) => self.inbound,
            Some(Direction::Outbound) => self.outbound,
            None => self.total(),
        }
    }
    pub(super) fn add(&mut self, direction: Direction) {
        match direction {
            Direction::Inbound => self.inbound += 1,
            Direction::Outbound => self.outbound += 1,
        }
    }
}

/// Why a line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Longer than [`super::MAX_LINE`].
    TooLong,
    /// Neither an Exim nor a syslog line.
    Unrecognised,
    /// An `X=` or `with cipher` field that does not parse.
    BadTls,
    /// An `H=` or `name[ip]` field that does not parse.
    BadHost,
    /// A new key after [`MAX_KEYS`](super::MAX_KEYS) distinct ones.
    KeyOverflow,
}

/// Skipped lines by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MalformedCounts {
    /// [`Malformed::TooLong`] lines.
    pub too_long: u64,
    /// [`Malformed::Unrecognised`] lines.
    pub unrecognised: u64,
    /// [`Malformed::BadTls`] lines.
    pub bad_tls: u64,
    /// [`Malformed::BadHost`] lines.
    pub bad_host: u64,
    /// [`Malformed::KeyOverflow`] lines.
    pub key_overflow: u64,
}

impl MalformedCounts {
    /// Skipped lines, all reasons together.
    pub fn total(&self) -> u64 {
        self.too_long + self.unrecognised + self.bad_tls + self.bad_host + self.key_overflow
    }
    /// `(name, count)` for the non-zero reasons.
    pub fn nonzero(&self) -> impl Iterator<Item = (&'static str, u64)> {
        [
            ("too-long", self.too_long),
            ("unrecognised", self.unrecognised),
            ("bad-tls", self.bad_tls),
            ("bad-host", self.bad_host),
            ("key-overflow", self.key_overflow),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
    }
    pub(super) fn add(&mut self, m: Malformed) {
        match m {
            Malformed::TooLong => self.too_long += 1,
            Malformed::Unrecognised => self.unrecognised += 1,
            Malformed::BadTls => self.bad_tls += 1,
            Malformed::BadHost => self.bad_host += 1,
            Malformed::KeyOverflow => self.key_overflow += 1,
        }
    }
}

/// Lines read, by what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LineCounts {
    /// Every line read.
    pub total: u64,
    /// Counted as a TLS or plaintext transaction.
    pub counted: u64,
    /// Mail that did not cross the network (see the module documentation).
    pub local: u64,
    /// Unrelated, or read only to correlate Postfix lines.
    pub other: u64,
    /// Skipped, by reason.
    pub malformed: MalformedCounts,
}

impl LineCounts {
    pub(super) fn add(&mut self, o: &LineCounts) {
        self.total += o.total;
        self.counted += o.counted;
        self.local += o.local;
        self.other += o.other;
        let (m, n) = (&mut self.malformed, &o.malformed);
        m.too_long += n.too_long;
        m.unrecognised += n.unrecognised;
        m.bad_tls += n.bad_tls;
        m.bad_host += n.bad_host;
        m.key_overflow += n.key_overflow;
    }
}
