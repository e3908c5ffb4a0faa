//! The counts a scan accumulates: per key and direction, plaintext, lines by
//! outcome, and the peers behind weak keys.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::classify::{Classifier, DefaultClassifier};
use super::counts::{Counts, LineCounts, Malformed};
use super::hosts::HostTable;
use super::postfix::Correlation;
use super::{Direction, Line, Peer, Tls, MAX_KEYS};
use crate::tls::Protocol;

/// Peers kept per weak key and direction unless set otherwise (see
/// [`HostTable`]).
pub use crate::limits::LOG_PEERS_PER_KEY as DEFAULT_HOST_CAPACITY;

/// `PROTOCOL:CIPHER:BITS`, the protocol spelling normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The protocol version, normalised (`TLS1.2` is `TLSv1.2`).
    pub protocol: Protocol,
    /// As logged (OpenSSL or GnuTLS name).
    pub cipher: String,
    /// Key bits as logged: Exim's third field, the second number of
    /// Postfix's `(strength/algorithm bits)`.
    pub bits: u32,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.protocol, self.cipher, self.bits)
    }
}

/// Everything known about one key.
#[derive(Debug, Clone)]
pub struct KeyStats {
    key: Key,
    findings: Vec<String>,
    counts: Counts,
    /// Inbound and outbound peers; only for weak keys and plaintext.
    hosts: Option<Box<[HostTable; 2]>>,
}

impl KeyStats {
    /// The key.
    pub fn key(&self) -> &Key {
        &self.key
    }
    /// The classifier's finding IDs; empty if the key is not weak.
    pub fn findings(&self) -> &[String] {
        &self.findings
    }
    /// Its uses, per direction.
    pub fn counts(&self) -> Counts {
        self.counts
    }
    /// The peers that used this key in `direction` (weak keys only).
    pub fn hosts(&self, direction: Direction) -> Option<&HostTable> {
        self.hosts.as_ref().map(|h| &h[direction as usize])
    }
}

/// What a scan found. Feed it with [`super::scan_path`] or
/// [`super::scan_reader`], one file after another (oldest first: "last
/// seen" is the last use read, and Postfix lines are correlated across
/// files); then build a [`super::Summary`] from it.
pub struct Tally {
    /// Shared with the partial tallies of worker threads.
    classifier: Arc<dyn Classifier + Send + Sync>,
    host_capacity: usize,
    keys: Vec<KeyStats>,
    /// Protocol byte, cipher, bits: to the index in `keys`.
    index: HashMap<Vec<u8>, usize, BuildHasherDefault<KeyHasher>>,
    scratch: Vec<u8>,
    plaintext: KeyStats,
    pub(super) lines: LineCounts,
    /// Input position of the next line: orders uses for "last seen" across
    /// files and the threads that count them.
    pub(super) position: u64,
    pub(super) postfix: Correlation,
    pub(super) journal: Vec<u8>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new()
    }
}

impl fmt::Debug for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tally")
            .field("keys", &self.keys.len())
            .field("lines", &self.lines)
            .finish_non_exhaustive()
    }
}

impl Tally {
    /// Classifies with [`DefaultClassifier`].
    pub fn new() -> Tally {
        Tally::with_classifier(Box::new(DefaultClassifier))
    }

    /// Classifies with `classifier` (e.g. a policy's).
    pub fn with_classifier(classifier: Box<dyn Classifier + Send + Sync>) -> Tally {
        Tally::sharing(Arc::from(classifier), DEFAULT_HOST_CAPACITY)
    }

    fn sharing(classifier: Arc<dyn Classifier + Send + Sync>, host_capacity: usize) -> Tally {
        Tally {
            classifier,
            host_capacity,
            keys: Vec::new(),
            index: HashMap::default(),
            scratch: Vec::new(),
            plaintext: KeyStats {
                key: Key {
                    protocol: Protocol::Tls1_3,
                    cipher: String::new(),
                    bits: 0,
                },
                findings: Vec::new(),
                counts: Counts::default(),
                hosts: Some(Box::new(host_tables(host_capacity))),
            },
            lines: LineCounts::default(),
            position: 0,
            postfix: Correlation::default(),
            journal: Vec::new(),
        }
    }

    /// Peers kept per weak key and direction ([`DEFAULT_HOST_CAPACITY`]):
    /// raise it to make a long `--top` list exact on logs with many peers.
    /// Call it before scanning: it empties the plaintext peer tables.
    pub fn with_host_capacity(mut self, capacity: usize) -> Tally {
        self.host_capacity = capacity.max(1);
        self.plaintext.hosts = Some(Box::new(host_tables(self.host_capacity)));
        self
    }

    /// Every key seen, in order of first use.
    pub fn keys(&self) -> &[KeyStats] {
        &self.keys
    }

    /// Plaintext transactions.
    pub fn plaintext(&self) -> Counts {
        self.plaintext.counts
    }

    /// The peers that talked plaintext in `direction`.
    pub fn plaintext_hosts(&self, direction: Direction) -> Option<&HostTable> {
        self.plaintext.hosts(direction)
    }

    /// TLS uses per protocol, oldest protocol first (all five listed).
    pub fn protocols(&self) -> [(Protocol, Counts); 5] {
        let mut out = Protocol::ALL.map(|p| (p, Counts::default()));
        for k in &self.keys {
            let slot = &mut out[k.key.protocol as usize].1;
            slot.inbound += k.counts.inbound;
            slot.outbound += k.counts.outbound;
        }
        out
    }

    /// Lines read so far, by what became of them.
    pub fn lines(&self) -> &LineCounts {
        &self.lines
    }

    /// Caveats about the counts, worded for the admin: what the logs could
    /// not show (Postfix with TLS logging turned off).
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let pf = &self.postfix;
        if pf.unlogged_tls_in > 0 {
            notes.push(format!(
                "{} Postfix smtpd sessions used STARTTLS but logged no TLS connection \
                 (smtpd_tls_loglevel = 0?): their protocols and ciphers are not counted",
                pf.unlogged_tls_in
            ));
        }
        if pf.plaintext_out > 0 && pf.tls_out == 0 {
            notes.push(format!(
                "no Postfix smtp process logged a TLS connection: if smtp_tls_loglevel is 0 \
                 (Postfix's default), the {} outbound connections counted as plaintext may \
                 have used TLS; set smtp_tls_loglevel = 1",
                pf.plaintext_out
            ));
        }
        notes
    }

    /// Counts what one parsed line, at input position `position`, says.
    pub(super) fn record(&mut self, line: Line<'_>, position: u64) {
        match line {
            Line::Smtp {
                direction,
                tls,
                peer,
                time,
            } => self.transaction(direction, tls, &peer, time, position),
            Line::Local => self.lines.local += 1,
            Line::Other => self.lines.other += 1,
            Line::Malformed(m) => self.lines.malformed.add(m),
        }
    }

    pub(super) fn malformed(&mut self, m: Malformed) {
        self.lines.total += 1;
        self.lines.malformed.add(m);
    }

    fn transaction(
        &mut self,
        direction: Direction,
        tls: Option<Tls<'_>>,
        peer: &Peer<'_>,
        time: &[u8],
        position: u64,
    ) {
        let stats = match tls {
            None => &mut self.plaintext,
            Some(tls) => match self.key_index(tls, None) {
                Some(i) => &mut self.keys[i],
                None => {
                    self.lines.malformed.add(Malformed::KeyOverflow);
                    return;
                }
            },
        };
        self.lines.counted += 1;
        stats.counts.add(direction);
        if let Some(hosts) = stats.hosts.as_mut() {
            hosts[direction as usize].hit(peer, time, position);
        }
    }

    /// The index of `tls`'s key, added (and classified, unless `findings`
    /// are known) if new; `None` past [`MAX_KEYS`].
    fn key_index(&mut self, tls: Tls<'_>, findings: Option<&[String]>) -> Option<usize> {
        self.scratch.clear();
        self.scratch.push(tls.protocol as u8);
        self.scratch.extend_from_slice(tls.cipher);
        self.scratch.extend_from_slice(&tls.bits.to_le_bytes());
        if let Some(&i) = self.index.get(self.scratch.as_slice()) {
            return Some(i);
        }
        if self.keys.len() >= MAX_KEYS {
            return None;
        }
        let key = Key {
            protocol: tls.protocol,
            cipher: String::from_utf8_lossy(tls.cipher).into_owned(),
            bits: tls.bits,
        };
        let findings = match findings {
            Some(known) => known.to_vec(),
            None => self.classifier.findings(key.protocol, &key.cipher),
        };
        let hosts = (!findings.is_empty()).then(|| Box::new(host_tables(self.host_capacity)));
        self.keys.push(KeyStats {
            key,
            findings,
            counts: Counts::default(),
            hosts,
        });
        self.index.insert(self.scratch.clone(), self.keys.len() - 1);
        Some(self.keys.len() - 1)
    }
}

/// A fast hash for the key index, looked up once per counted line. Keys
/// are cipher names a server negotiated (not chosen freely by peers) and
/// at most [`MAX_KEYS`] of them are kept, so a keyed, collision-resistant
/// hash buys nothing here.
#[derive(Default)]
struct KeyHasher(u64);

impl KeyHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0; 8];
            word.copy_from_slice(w);
            self.add(u64::from_le_bytes(word));
        }
        let rest = words.remainder();
        let mut word = [0; 8];
        word[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(word) ^ rest.len() as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl Tally {
    /// An empty tally with the same classifier and capacities, for a
    /// worker thread to count into and [`Tally::absorb`] to merge.
    pub(super) fn partial(&self) -> Tally {
        Tally::sharing(Arc::clone(&self.classifier), self.host_capacity)
    }

    /// Adds the counts of `other` (a partial tally of the same input:
    /// positions decide which "last seen" is the latest).
    pub(super) fn absorb(&mut self, other: Tally) {
        let mut lines = other.lines;
        for stats in other.keys {
            let tls = Tls {
                protocol: stats.key.protocol,
                cipher: stats.key.cipher.as_bytes(),
                bits: stats.key.bits,
            };
            let Some(i) = self.key_index(tls, Some(&stats.findings)) else {
                let uses = stats.counts.total();
                lines.counted -= uses;
                lines.malformed.key_overflow += uses;
                continue;
            };
            self.keys[i].absorb(stats);
        }
        self.plaintext.absorb(other.plaintext);
        self.lines.add(&lines);
        self.position = self.position.max(other.position);
    }
}

impl KeyStats {
    fn absorb(&mut self, other: KeyStats) {
        self.counts.inbound += other.counts.inbound;
        self.counts.outbound += other.counts.outbound;
        if let (Some(mine), Some(theirs)) = (self.hosts.as_mut(), other.hosts) {
            let [inbound, outbound] = *theirs;
            mine[0].absorb(inbound);
            mine[1].absorb(outbound);
        }
    }
}

fn host_tables(capacity: usize) -> [HostTable; 2] {
    [HostTable::new(capacity), HostTable::new(capacity)]
}

#[cfg(test)]
mod tests {
    use super::*;

    struct EverythingWeak;
    impl Classifier for EverythingWeak {
        fn findings(&self, _: Protocol, cipher: &str) -> Vec<String> {
            vec![format!("custom-{cipher}")]
        }
    }

    fn tls_line<'a>(d: Direction, cipher: &'a [u8], ip: &'a [u8]) -> Line<'a> {
        Line::Smtp {
            direction: d,
            tls: Some(Tls {
                protocol: Protocol::Tls1_2,
                cipher,
                bits: 256,
            }),
            peer: Peer {
                name: b"",
                helo: b"",
                ip,
            },
            time: b"t",
        }
    }

    #[test]
    fn counts_keys_directions_and_hosts_of_weak_keys() {
        let mut t = Tally::new();
        t.record(
            tls_line(
                Direction::Inbound,
                b"ECDHE-RSA-AES256-GCM-SHA384",
                b"192.0.2.1",
            ),
            0,
        );
        t.record(
            tls_line(
                Direction::Outbound,
                b"ECDHE-RSA-AES256-GCM-SHA384",
                b"192.0.2.2",
            ),
            0,
        );
        t.record(
            tls_line(Direction::Inbound, b"DES-CBC3-SHA", b"192.0.2.3"),
            0,
        );
        t.record(Line::Local, 0);
        t.record(Line::Malformed(Malformed::BadTls), 0);
        assert_eq!(t.keys().len(), 2);
        let strong = &t.keys()[0];
        assert_eq!(
            strong.key().to_string(),
            "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256"
        );
        assert_eq!(
            strong.counts(),
            Counts {
                inbound: 1,
                outbound: 1
            }
        );
        assert!(strong.findings().is_empty() && strong.hosts(Direction::Inbound).is_none());
        let weak = &t.keys()[1];
        assert!(weak.findings().iter().any(|f| f == "cipher-3des"));
        assert_eq!(weak.hosts(Direction::Inbound).map(HostTable::len), Some(1));
        assert_eq!(t.protocols()[Protocol::Tls1_2 as usize].1.total(), 3);
        assert_eq!(
            (
                t.lines().counted,
                t.lines().local,
                t.lines().malformed.bad_tls
            ),
            (3, 1, 1)
        );
    }

    #[test]
    fn uses_the_classifier_it_is_given_and_caps_keys() {
        let mut t = Tally::with_classifier(Box::new(EverythingWeak));
        for i in 0..(MAX_KEYS + 10) {
            let cipher = format!("C{i}");
            t.record(
                tls_line(Direction::Inbound, cipher.as_bytes(), b"192.0.2.1"),
                0,
            );
        }
        assert_eq!(t.keys().len(), MAX_KEYS);
        assert_eq!(t.keys()[0].findings(), ["custom-C0"]);
        assert_eq!(t.lines().malformed.key_overflow, 10);
    }
}
