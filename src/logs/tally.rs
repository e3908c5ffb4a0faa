//! The counts a scan accumulates: per key and direction, plaintext, lines by
//! outcome, and the peers behind weak keys.
//!
//! A key is `PROTOCOL:CIPHER:BITS` in OpenSSL's spelling unless the tally
//! counts names as logged ([`Naming`]): lines whose cipher an OpenSSL- and
//! a GnuTLS-built Exim spell differently count under one key. The
//! key-exchange group and the server's signature algorithm, where logged,
//! are counted per key beside it.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::classify::{Classifier, DefaultClassifier};
use super::counts::{Counts, LineCounts, Malformed};
use super::hosts::HostTable;
use super::names;
use super::postfix::Correlation;
use super::{Direction, Line, Peer, Tls, MAX_KEYS};
use crate::limits::{LOG_GROUPS_PER_KEY, LOG_SPELLINGS, LOG_SPELLINGS_PER_KEY};
use crate::tls::Protocol;

/// Peers kept per weak key and direction unless set otherwise (see
/// [`HostTable`]).
pub use crate::limits::LOG_PEERS_PER_KEY as DEFAULT_HOST_CAPACITY;

/// How the names in keys, groups and signatures are spelled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Naming {
    /// OpenSSL's names, whatever TLS library logged them: GnuTLS suite
    /// names and session descriptions become the OpenSSL suite
    /// (`ECDHE-RSA-AES256-GCM-SHA384`, `TLS_AES_256_GCM_SHA384`), with
    /// OpenSSL's key bits; groups and signatures OpenSSL's TLS names
    /// (`x25519`, `rsa_pss_rsae_sha256`). A GnuTLS name that matches no
    /// single OpenSSL suite is kept as logged, and says why
    /// ([`KeyStats::kept_as_logged`]).
    #[default]
    OpenSsl,
    /// As logged (the protocol's spelling is normalised all the same).
    AsLogged,
}

/// `PROTOCOL:CIPHER:BITS`, the protocol spelling normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The protocol version, normalised (`TLS1.2` is `TLSv1.2`).
    pub protocol: Protocol,
    /// OpenSSL's name, or as logged (see [`Naming`]).
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

/// Uses per name of one dimension (key-exchange group, signature
/// algorithm) within one key, in order of first use. The empty name counts
/// the uses whose log line did not say; past [`LOG_GROUPS_PER_KEY`] names,
/// uses count under `other`.
#[derive(Debug, Clone, Default)]
pub struct Breakdown {
    entries: Vec<(String, Counts)>,
}

impl Breakdown {
    /// The name's slot, added if new.
    fn slot(&mut self, name: &str) -> usize {
        if let Some(i) = self.entries.iter().position(|(n, _)| n == name) {
            return i;
        }
        let name = if self.entries.len() < LOG_GROUPS_PER_KEY {
            name
        } else {
            "other"
        };
        if let Some(i) = self.entries.iter().position(|(n, _)| n == name) {
            return i;
        }
        self.entries.push((name.to_string(), Counts::default()));
        self.entries.len() - 1
    }

    fn add(&mut self, slot: usize, direction: Direction) {
        if let Some((_, counts)) = self.entries.get_mut(slot) {
            counts.add(direction);
        }
    }

    fn absorb(&mut self, other: Breakdown) {
        for (name, counts) in other.entries {
            let i = self.slot(&name);
            if let Some((_, mine)) = self.entries.get_mut(i) {
                mine.inbound += counts.inbound;
                mine.outbound += counts.outbound;
            }
        }
    }

    /// `(name, uses)`; the empty name: not logged.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Counts)> {
        self.entries.iter().map(|(n, c)| (n.as_str(), *c))
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
    groups: Breakdown,
    signatures: Breakdown,
    /// The cipher names as logged that count under this key.
    logged: Vec<String>,
    kept: Option<&'static str>,
}

impl KeyStats {
    fn new(key: Key, findings: Vec<String>, kept: Option<&'static str>) -> KeyStats {
        KeyStats {
            key,
            findings,
            counts: Counts::default(),
            hosts: None,
            groups: Breakdown::default(),
            signatures: Breakdown::default(),
            logged: Vec::new(),
            kept,
        }
    }

    /// The key counted.
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
    /// Uses per key-exchange group.
    pub fn groups(&self) -> &Breakdown {
        &self.groups
    }
    /// Uses per signature algorithm of the server.
    pub fn signatures(&self) -> &Breakdown {
        &self.signatures
    }
    /// The cipher names as logged that count under this key (the first
    /// [`LOG_SPELLINGS_PER_KEY`]).
    pub fn logged(&self) -> &[String] {
        &self.logged
    }
    /// Why a GnuTLS cipher name is the key as logged instead of an OpenSSL
    /// name (it matches no single OpenSSL suite); `None` otherwise.
    pub fn kept_as_logged(&self) -> Option<&'static str> {
        self.kept
    }

    fn add_logged(&mut self, name: &str) {
        if self.logged.len() < LOG_SPELLINGS_PER_KEY && !self.logged.iter().any(|l| l == name) {
            self.logged.push(name.to_string());
        }
    }
}

/// Where one spelling of a key counts: the key and its group and
/// signature slots.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: usize,
    group: usize,
    signature: usize,
}

/// A logged key in the tally's spelling.
struct Resolved {
    key: Key,
    /// OpenSSL's name where there is one: what findings are judged on.
    judged: String,
    kept: Option<&'static str>,
    group: String,
    signature: String,
    logged: String,
}

fn resolve(naming: Naming, tls: &Tls<'_>) -> Resolved {
    let logged = String::from_utf8_lossy(tls.cipher).into_owned();
    let normal = names::cipher(tls.protocol, &logged, tls.bits);
    let (desc_group, desc_signature) = names::gnutls_extras(&logged);
    let group = if tls.group.is_empty() {
        desc_group
    } else {
        String::from_utf8_lossy(tls.group).into_owned()
    };
    let (signature, digest) = (
        String::from_utf8_lossy(tls.signature),
        String::from_utf8_lossy(tls.digest),
    );
    let openssl = naming == Naming::OpenSsl;
    let group = if openssl && !group.is_empty() {
        names::group(&group)
    } else {
        group
    };
    let signature = match (signature.is_empty(), openssl) {
        (false, true) => names::postfix_signature(&signature, &digest),
        (false, false) if digest.is_empty() => signature.into_owned(),
        (false, false) => format!("{signature} {digest}"),
        (true, true) if !desc_signature.is_empty() => names::signature(desc_signature),
        (true, _) => desc_signature.to_string(),
    };
    let (cipher, bits, kept) = if openssl {
        (normal.name.clone(), normal.bits, normal.kept)
    } else {
        (logged.clone(), tls.bits, None)
    };
    Resolved {
        key: Key {
            protocol: tls.protocol,
            cipher,
            bits,
        },
        judged: normal.name,
        kept,
        group,
        signature,
        logged,
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
    naming: Naming,
    keys: Vec<KeyStats>,
    /// Keys in the tally's spelling, to the index in `keys`.
    by_key: HashMap<Key, usize>,
    /// Keys as logged (protocol byte, cipher, bits, group, signature,
    /// digest), to where they count; at most [`LOG_SPELLINGS`].
    index: HashMap<Vec<u8>, Slot, BuildHasherDefault<KeyHasher>>,
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
        Tally::sharing(
            Arc::from(classifier),
            DEFAULT_HOST_CAPACITY,
            Naming::default(),
        )
    }

    fn sharing(
        classifier: Arc<dyn Classifier + Send + Sync>,
        host_capacity: usize,
        naming: Naming,
    ) -> Tally {
        let mut plaintext = KeyStats::new(
            Key {
                protocol: Protocol::Tls1_3,
                cipher: String::new(),
                bits: 0,
            },
            Vec::new(),
            None,
        );
        plaintext.hosts = Some(Box::new(host_tables(host_capacity)));
        Tally {
            classifier,
            host_capacity,
            naming,
            keys: Vec::new(),
            by_key: HashMap::new(),
            index: HashMap::default(),
            scratch: Vec::new(),
            plaintext,
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

    /// Spell keys, groups and signatures as `naming` says (OpenSSL's
    /// names unless told otherwise). Call it before scanning.
    pub fn with_naming(mut self, naming: Naming) -> Tally {
        self.naming = naming;
        self
    }

    /// How cipher names are counted: OpenSSL's, or as logged.
    pub fn naming(&self) -> Naming {
        self.naming
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
        let kept: Vec<String> = self
            .keys
            .iter()
            .filter_map(|k| k.kept.map(|why| format!("{} ({why})", k.key.cipher)))
            .collect();
        if !kept.is_empty() {
            const LISTED: usize = 5;
            let more = match kept.len().saturating_sub(LISTED) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            notes.push(format!(
                "GnuTLS cipher names that match no single OpenSSL suite are counted as logged: {}{more}",
                kept[..kept.len().min(LISTED)].join(", ")
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
            Some(tls) => match self.slot(&tls) {
                Some(slot) => {
                    let stats = &mut self.keys[slot.key];
                    stats.groups.add(slot.group, direction);
                    stats.signatures.add(slot.signature, direction);
                    stats
                }
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

    /// Where `tls` counts: looked up by its spelling as logged, else
    /// resolved (and remembered, up to [`LOG_SPELLINGS`] spellings);
    /// `None` past [`MAX_KEYS`] keys.
    fn slot(&mut self, tls: &Tls<'_>) -> Option<Slot> {
        self.scratch.clear();
        self.scratch.push(tls.protocol as u8);
        for part in [tls.cipher, tls.group, tls.signature, tls.digest] {
            self.scratch.extend_from_slice(part);
            self.scratch.push(0);
        }
        self.scratch.extend_from_slice(&tls.bits.to_le_bytes());
        if let Some(&slot) = self.index.get(self.scratch.as_slice()) {
            return Some(slot);
        }
        let r = resolve(self.naming, tls);
        let key = self.key_index(r.key, None, &r.judged, r.kept)?;
        let stats = &mut self.keys[key];
        stats.add_logged(&r.logged);
        let slot = Slot {
            key,
            group: stats.groups.slot(&r.group),
            signature: stats.signatures.slot(&r.signature),
        };
        if self.index.len() < LOG_SPELLINGS {
            self.index.insert(self.scratch.clone(), slot);
        }
        Some(slot)
    }

    /// The index of `key`, added (and classified by `judged`, unless
    /// `findings` are known) if new; `None` past [`MAX_KEYS`].
    fn key_index(
        &mut self,
        key: Key,
        findings: Option<&[String]>,
        judged: &str,
        kept: Option<&'static str>,
    ) -> Option<usize> {
        if let Some(&i) = self.by_key.get(&key) {
            return Some(i);
        }
        if self.keys.len() >= MAX_KEYS {
            return None;
        }
        let findings = match findings {
            Some(known) => known.to_vec(),
            None => self.classifier.findings(key.protocol, judged),
        };
        let mut stats = KeyStats::new(key.clone(), findings, kept);
        if !stats.findings.is_empty() {
            stats.hosts = Some(Box::new(host_tables(self.host_capacity)));
        }
        self.keys.push(stats);
        self.by_key.insert(key, self.keys.len() - 1);
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
        Tally::sharing(
            Arc::clone(&self.classifier),
            self.host_capacity,
            self.naming,
        )
    }

    /// Adds the counts of `other` (a partial tally of the same input:
    /// positions decide which "last seen" is the latest).
    pub(super) fn absorb(&mut self, other: Tally) {
        let mut lines = other.lines;
        for stats in other.keys {
            let Some(i) = self.key_index(
                stats.key.clone(),
                Some(&stats.findings),
                &stats.key.cipher,
                stats.kept,
            ) else {
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
        self.groups.absorb(other.groups);
        self.signatures.absorb(other.signatures);
        for name in &other.logged {
            self.add_logged(name);
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
            tls: Some(Tls::new(Protocol::Tls1_2, cipher, 256)),
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

    /// The same suites from OpenSSL- and GnuTLS-built Exim, and Postfix:
    /// one key each, findings judged on OpenSSL's name, groups and
    /// signatures counted beside; as logged, one key per spelling.
    #[test]
    fn spellings_of_one_suite_count_under_one_key() {
        const LOG: &str = "\
2024-11-26 09:00:00 1tGbaa-0000000001A-AbCd <= a@example.org H=a.example.org [192.0.2.1] P=esmtps X=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256 S=1
2024-11-26 09:00:01 1tGbab-0000000001A-AbCd <= b@example.org H=b.example.org [192.0.2.2] P=esmtps X=TLS1.2:ECDHE_SECP521R1__RSA_SHA512__AES_256_GCM:256 S=1
2024-11-26 09:00:02 1tGbac-0000000001A-AbCd <= c@example.org H=c.example.org [192.0.2.3] P=esmtps X=TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256 S=1
2024-11-26 09:00:03 1tGbad-0000000001A-AbCd <= d@example.org H=d.example.org [192.0.2.4] P=esmtps X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256 S=1
2024-11-26 09:00:04 1tGbae-0000000001A-AbCd <= e@example.org H=e.example.org [192.0.2.5] P=esmtps X=TLSv1.3:TLS_AES_256_GCM_SHA384:256:X25519MLKEM768 S=1
Nov 26 09:00:05 mx postfix/smtpd[10]: Anonymous TLS connection established from f.example.org[192.0.2.6]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256
2024-11-26 09:00:06 1tGbaf-0000000001A-AbCd <= g@example.org H=g.example.org [192.0.2.7] P=esmtps X=TLS1.0:RSA_3DES_EDE_CBC_SHA1:192 S=1
2024-11-26 09:00:07 1tGbag-0000000001A-AbCd <= h@example.org H=h.example.org [192.0.2.8] P=esmtps X=TLSv1:DES-CBC3-SHA:168 S=1
2024-11-26 09:00:08 1tGbah-0000000001A-AbCd <= i@example.org H=i.example.org [192.0.2.9] P=esmtps X=TLS1.2:ECDHE_SECP256R1__AES_256_GCM:256 S=1
";
        let mut t = Tally::new();
        for line in LOG.lines() {
            t.line(line.as_bytes());
        }
        let keys: Vec<(String, u64)> = t
            .keys()
            .iter()
            .map(|k| (k.key().to_string(), k.counts().total()))
            .collect();
        assert_eq!(
            keys,
            [
                ("TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256".to_string(), 3),
                ("TLSv1.3:TLS_AES_256_GCM_SHA384:256".to_string(), 3),
                ("TLSv1:DES-CBC3-SHA:168".to_string(), 2),
                ("TLSv1.2:ECDHE_SECP256R1__AES_256_GCM:256".to_string(), 1),
            ]
        );
        let tls13 = &t.keys()[1];
        let groups: Vec<(&str, u64)> = tls13.groups().iter().map(|(g, c)| (g, c.total())).collect();
        assert_eq!(groups, [("x25519", 2), ("X25519MLKEM768", 1)]);
        let signatures: Vec<(&str, u64)> = tls13
            .signatures()
            .iter()
            .map(|(s, c)| (s, c.total()))
            .collect();
        assert_eq!(signatures, [("rsa_pss_rsae_sha256", 2), ("", 1)]);
        assert_eq!(
            t.keys()[0].logged(),
            [
                "ECDHE-RSA-AES256-GCM-SHA384",
                "ECDHE_SECP521R1__RSA_SHA512__AES_256_GCM",
                "ECDHE_RSA_AES_256_GCM_SHA384"
            ]
        );
        let des = &t.keys()[2];
        assert_eq!(
            des.findings(),
            [
                "protocol-tlsv1",
                "cipher-3des",
                "cipher-no-pfs",
                "cipher-cbc-sha1"
            ]
        );
        assert_eq!(des.hosts(Direction::Inbound).map(HostTable::len), Some(2));
        let resumed = &t.keys()[3];
        assert_eq!(resumed.kept_as_logged(), Some(names::NO_AUTHENTICATION));
        assert!(t.notes()[0].contains("ECDHE_SECP256R1__AES_256_GCM (no authentication logged"));

        let mut raw = Tally::new().with_naming(Naming::AsLogged);
        for line in LOG.lines() {
            raw.line(line.as_bytes());
        }
        assert_eq!(raw.keys().len(), 8);
        let gnutls_3des = raw
            .keys()
            .iter()
            .find(|k| k.key().to_string() == "TLSv1:RSA_3DES_EDE_CBC_SHA1:192")
            .expect("as logged");
        assert_eq!(gnutls_3des.findings(), des.findings());
        let x25519 = raw
            .keys()
            .iter()
            .find(|k| k.key().cipher.starts_with("ECDHE_X25519"))
            .expect("as logged");
        let groups: Vec<&str> = x25519.groups().iter().map(|(g, _)| g).collect();
        assert_eq!(groups, ["X25519"]);
        assert!(raw.notes().is_empty());
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
