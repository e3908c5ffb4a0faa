//! Log analysis: which TLS protocols and ciphers a mail server negotiated,
//! counted from its Exim or Postfix logs, and which peers used the outdated
//! ones.
//!
//! This is the passive counterpart of the prober: instead of asking servers
//! what they would negotiate, it counts what they did negotiate, over weeks
//! of logs, in one streaming pass.
//!
//! # What is counted
//! Every SMTP transaction with a peer becomes one count under its key
//! `PROTOCOL:CIPHER:BITS` (`TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256`, the
//! form Exim logs in `X=`), or under *plaintext*, split into inbound and
//! outbound:
//!
//! - **Exim** (main log, or Exim lines in syslog): each arrival `<=` with
//!   `H=` is one inbound message; each delivery `=>`, `->` or cut-through
//!   `>>` with `H=` is one outbound delivery. `X=` gives the key; no `X=`
//!   means plaintext. `*>` (delivery suppressed by `-N`) made no connection
//!   and is not counted.
//! - **Postfix**: each `TLS connection established from|to` line of an
//!   `…/smtpd` or `…/smtp` process is one TLS connection. An inbound session
//!   that got as far as `EHLO`/`HELO` and disconnected without `starttls=`
//!   in its command counts (Postfix ≥ 3.0) is one plaintext connection; an
//!   outbound delivery to a relay for which the same process logged no TLS
//!   connection is one plaintext connection (once per queue id and relay).
//!   Postfix thus counts connections where Exim counts messages: Postfix
//!   logs TLS per connection, not per message. It logs these lines only
//!   with `smtpd_tls_loglevel`/`smtp_tls_loglevel` ≥ 1; the summary's
//!   notes say when they look turned off.
//!
//! Protocol spellings are normalised (`TLS1.2` → `TLSv1.2`), and so are
//! cipher names: GnuTLS-built Exim (Debian's and Ubuntu's) logs the suite
//! OpenSSL calls `ECDHE-RSA-AES256-GCM-SHA384` as
//! `ECDHE_SECP521R1__RSA_SHA512__AES_256_GCM` or
//! `ECDHE_RSA_AES_256_GCM_SHA384`, and both count under OpenSSL's name, so
//! a fleet with both builds gets one row per suite (see `names.rs`; a
//! [`Naming`] keeps names as logged instead). The key-exchange group and
//! the server's signature algorithm, where a line tells them (GnuTLS
//! session descriptions, Exim's fourth `X=` field after 4.99, Postfix's
//! TLS 1.3 summary), are counted per key beside it ([`Breakdown`]).
//!
//! # What is not counted
//! - Local traffic: Exim arrivals without `H=` (`U=` local submissions,
//!   bounces), deliveries without `H=` (mailboxes, pipes), and any
//!   connection with a loopback peer (content filters such as amavis or
//!   spamd on 127.0.0.1, where TLS would be pointless). These are counted as
//!   `local` lines only, so the plaintext share is about the network.
//! - Failed handshakes and rejected connections: they negotiated nothing.
//!
//! # Bounds
//! Memory does not grow with the size of the logs: lines longer than
//! [`MAX_LINE`] are skipped without being buffered; the number of distinct
//! keys is capped ([`MAX_KEYS`]); peers are tracked only for weak keys and
//! plaintext, in tables of bounded size per key and direction (see
//! [`HostTable`]); Postfix correlation state is capped per process. Each
//! counting thread (one per core, up to four) has such a partial tally,
//! merged at the end of each input.
//!
//! # Classification
//! Which keys are weak is decided by a [`Classifier`], once per distinct
//! key and counting thread, with OpenSSL's name of the suite wherever one
//! is known (also when names are kept as logged), so that GnuTLS lines are
//! judged as OpenSSL ones. [`DefaultClassifier`] reads the cipher catalogue
//! for OpenSSL names and the name's components for others; the policy
//! engine plugs in through the same trait.
//!
//! The library never prints: renderers write into any [`std::io::Write`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

use crate::tls::Protocol;

mod classify;
mod counts;
mod decode;
mod exim;
mod fields;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz;
mod hosts;
mod names;
mod parallel;
mod postfix;
mod read;
mod render;
mod scan;
mod summary;
mod syslog;
mod tally;

pub use self::classify::{Classifier, DefaultClassifier};
pub use self::counts::{Counts, LineCounts, Malformed, MalformedCounts};
pub use self::hosts::{HostStat, HostTable};
pub use self::read::{rotation_order, scan_path, scan_reader};
pub use self::render::{write, write_csv, write_json, write_text, Format};
pub use self::summary::{
    CipherRow, Counted, Dimension, HostGroup, HostRow, NameCount, ProtocolRow, SortOrder, Summary,
    SummaryOptions, Totals,
};
pub use self::tally::{Breakdown, Key, KeyStats, Naming, Tally, DEFAULT_HOST_CAPACITY};

/// Lines longer than this are counted as [`Malformed::TooLong`] and skipped
/// without being buffered; distinct `PROTOCOL:CIPHER:BITS` keys beyond
/// `MAX_KEYS` count as [`Malformed::KeyOverflow`] (see [`crate::limits`]).
pub use crate::limits::{LOG_KEYS as MAX_KEYS, LOG_LINE as MAX_LINE};

/// A suite and group as GnuTLS-built Exim logs them (a session description,
/// `ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM`, or a suite name,
/// `ECDHE_RSA_AES_256_GCM_SHA384`) in OpenSSL's spelling, as the tally
/// counts them: the suite (`ECDHE-RSA-AES256-GCM-SHA384`; `Err` with the
/// reason where the name picks no single OpenSSL suite) and the group the
/// description names (`x25519`), if any. For tools that read GnuTLS's
/// output (`gnutls-cli`) and compare it with OpenSSL-named results.
pub fn openssl_names(
    protocol: Protocol,
    logged: &str,
) -> (Result<String, &'static str>, Option<String>) {
    let cipher = names::cipher(protocol, logged, 0);
    let (group, _) = names::gnutls_extras(logged);
    let group = (!group.is_empty()).then(|| names::group(&group));
    (cipher.kept.map_or(Ok(cipher.name), Err), group)
}
use crate::spelling::spelling;

/// Which way a message or connection went, seen from the logging server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Received: Exim `<=`, Postfix `smtpd`.
    Inbound,
    /// Sent: Exim `=>`/`->`/`>>`, Postfix `smtp`.
    Outbound,
}

spelling!(Direction {
    Inbound => "inbound",
    Outbound => "outbound",
});

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "in" | "inbound" => Ok(Direction::Inbound),
            "out" | "outbound" => Ok(Direction::Outbound),
            _ => Err(format!("unknown direction {s:?} (expected in or out)")),
        }
    }
}

/// Why a log could not be read (set-up and I/O only: bad lines are counted,
/// never errors).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file as given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Reading failed part-way (for example a truncated `.gz`); the lines
    /// before the failure have been counted.
    #[error("cannot read {path}: {source} (lines before the error were counted)")]
    Read {
        /// The file as given (`-` for standard input).
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is compressed with something other than gzip.
    #[error("cannot read {path}: {kind}-compressed; decompress it first (only gzip is read)")]
    UnsupportedCompression {
        /// The file as given.
        path: PathBuf,
        /// The compression its first bytes announce (`bzip2`, `xz`,
        /// `zstd`, `lz4`).
        kind: &'static str,
    },
}

impl LogError {
    /// The file concerned (`-` for standard input).
    pub fn path(&self) -> &std::path::Path {
        match self {
            LogError::Open { path, .. }
            | LogError::Read { path, .. }
            | LogError::UnsupportedCompression { path, .. } => path,
        }
    }
}

/// One peer as logged: host name (empty if none), HELO name (Exim, empty if
/// none) and address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Peer<'a> {
    pub name: &'a [u8],
    pub helo: &'a [u8],
    pub ip: &'a [u8],
}

/// What a TLS session negotiated, as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tls<'a> {
    pub protocol: Protocol,
    pub cipher: &'a [u8],
    pub bits: u32,
    /// The key-exchange group where it is logged apart from the cipher:
    /// Exim's fourth `X=` field (after 4.99), Postfix's `key-exchange`
    /// (TLS 1.3). Empty if not logged.
    pub group: &'a [u8],
    /// Postfix's `server-signature` and `server-digest` (TLS 1.3). Empty
    /// if not logged.
    pub signature: &'a [u8],
    pub digest: &'a [u8],
}

impl<'a> Tls<'a> {
    /// Protocol, cipher and bits, and nothing else logged.
    pub(crate) fn new(protocol: Protocol, cipher: &'a [u8], bits: u32) -> Tls<'a> {
        Tls {
            protocol,
            cipher,
            bits,
            group: &[],
            signature: &[],
            digest: &[],
        }
    }
}

/// What one log line contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// One SMTP message (Exim) or connection (Postfix) with a peer.
    Smtp {
        direction: Direction,
        /// `None`: plaintext.
        tls: Option<Tls<'a>>,
        peer: Peer<'a>,
        /// The line's timestamp as logged.
        time: &'a [u8],
    },
    /// Mail that did not cross the network (local submission or delivery,
    /// loopback peer).
    Local,
    /// Well-formed but not about a transaction (queue runs, rejections,
    /// other daemons, Postfix lines read only for correlation).
    Other,
    Malformed(Malformed),
}

impl<'a> Line<'a> {
    /// An SMTP line, or `Local` if the peer is on the loopback interface.
    pub(crate) fn smtp(
        direction: Direction,
        tls: Option<Tls<'a>>,
        peer: Peer<'a>,
        time: &'a [u8],
    ) -> Line<'a> {
        if fields::is_loopback(peer.ip) {
            Line::Local
        } else {
            Line::Smtp {
                direction,
                tls,
                peer,
                time,
            }
        }
    }
}
