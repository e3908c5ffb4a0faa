//! Peers per key, counted in bounded space.

use std::borrow::Cow;
use std::collections::HashMap;

use super::Peer;

/// Peers seen using one key in one direction, with their counts.
///
/// Counts are exact for up to `2 × capacity` distinct peers. When that many
/// are tracked, the table keeps the `capacity` most frequent and forgets the
/// others (batched "frequent items" counting), so memory stays bounded
/// however many peers a log holds. A forgotten peer that comes back starts
/// again from zero, so a count shown may be short by up to
/// [`HostTable::max_error`]; a peer used more often than that is never
/// missing from the top. With few peers (the usual case for weak ciphers)
/// nothing is forgotten and every count is exact.
#[derive(Debug, Clone)]
pub struct HostTable {
    /// Keyed by address, or by name when a line has no address.
    map: HashMap<Box<[u8]>, HostStat>,
    capacity: usize,
    forgotten_uses: u64,
    max_error: u64,
}

/// `bytes` as text for a report: invalid UTF-8 and control characters
/// other than tab become U+FFFD, so no report replays a terminal escape
/// sequence from a log.
fn printable(bytes: &[u8]) -> Cow<'_, str> {
    let text = String::from_utf8_lossy(bytes);
    let bad = |c: char| c.is_control() && c != '\t';
    if !text.chars().any(bad) {
        return text;
    }
    let clean = text
        .chars()
        .map(|c| {
            if bad(c) {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect();
    Cow::Owned(clean)
}

/// One peer of a [`HostTable`].
#[derive(Debug, Clone, Default)]
pub struct HostStat {
    ip: Vec<u8>,
    /// Host name, else `(helo)`, else empty.
    name: Vec<u8>,
    count: u64,
    last_seen: Vec<u8>,
    /// Position of the last use in the input, to merge tables.
    last_seq: u64,
}

impl HostStat {
    /// The address as logged (empty if the log gave none).
    pub fn ip(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.ip)
    }
    /// The host name as logged; `(helo)` when the peer had no reverse DNS
    /// name but sent a HELO name (Exim); empty if neither. A HELO name is
    /// the client's own text: control characters in it become U+FFFD.
    pub fn name(&self) -> Cow<'_, str> {
        printable(&self.name)
    }
    /// Its uses of the key (short by up to the table's
    /// [`HostTable::max_error`]).
    pub fn count(&self) -> u64 {
        self.count
    }
    /// The timestamp of the latest use, as logged (control characters
    /// replaced).
    pub fn last_seen(&self) -> Cow<'_, str> {
        printable(&self.last_seen)
    }
    /// Adds `other`'s uses (the same peer in another direction); keeps the
    /// later name and last-seen time.
    pub(crate) fn merge(&mut self, other: &HostStat) {
        if self.ip.is_empty() {
            self.ip.clone_from(&other.ip);
        }
        self.count += other.count;
        if other.last_seq > self.last_seq {
            self.name.clone_from(&other.name);
            self.last_seen.clone_from(&other.last_seen);
            self.last_seq = other.last_seq;
        }
    }
}

impl HostTable {
    /// A table keeping at least `capacity` (≥ 1) peers.
    pub(crate) fn new(capacity: usize) -> HostTable {
        HostTable {
            map: HashMap::new(),
            capacity: capacity.max(1),
            forgotten_uses: 0,
            max_error: 0,
        }
    }

    /// Counts one use by `peer` at `time` (`seq`: position in the input).
    pub(crate) fn hit(&mut self, peer: &Peer<'_>, time: &[u8], seq: u64) {
        let key = if peer.ip.is_empty() {
            peer.name
        } else {
            peer.ip
        };
        let stat = match self.map.get_mut(key) {
            Some(stat) => stat,
            None => {
                if self.map.len() >= 2 * self.capacity {
                    self.forget_least_used();
                }
                let stat = HostStat {
                    ip: peer.ip.to_vec(),
                    ..HostStat::default()
                };
                self.map.entry(key.into()).or_insert(stat)
            }
        };
        stat.count += 1;
        stat.last_seq = seq;
        let name_matches = if peer.name.is_empty() && !peer.helo.is_empty() {
            stat.name.len() == peer.helo.len() + 2 && stat.name[1..].starts_with(peer.helo)
        } else {
            stat.name == peer.name
        };
        if !name_matches {
            stat.name.clear();
            if peer.name.is_empty() && !peer.helo.is_empty() {
                stat.name.push(b'(');
                stat.name.extend_from_slice(peer.helo);
                stat.name.push(b')');
            } else {
                stat.name.extend_from_slice(peer.name);
            }
        }
        stat.last_seen.clear();
        stat.last_seen.extend_from_slice(time);
    }

    /// Adds the peers of `other` (the same key and direction, counted from
    /// another part of the input). Error bounds add up: a peer may have
    /// been forgotten by both tables.
    pub(crate) fn absorb(&mut self, other: HostTable) {
        for (key, stat) in other.map {
            match self.map.get_mut(&key) {
                Some(mine) => mine.merge(&stat),
                None => {
                    if self.map.len() >= 2 * self.capacity {
                        self.forget_least_used();
                    }
                    self.map.insert(key, stat);
                }
            }
        }
        self.forgotten_uses += other.forgotten_uses;
        self.max_error += other.max_error;
    }

    fn forget_least_used(&mut self) {
        let mut counts: Vec<u64> = self.map.values().map(|h| h.count).collect();
        let Some(cut) = counts.len().checked_sub(self.capacity) else {
            return;
        };
        // The capacity-th largest count: everything at or below it goes.
        let (_, threshold, _) = counts.select_nth_unstable(cut);
        let threshold = *threshold;
        let (mut forgotten, mut max_error) = (0, self.max_error);
        self.map.retain(|_, h| {
            let keep = h.count > threshold;
            if !keep {
                forgotten += h.count;
                max_error = max_error.max(h.count);
            }
            keep
        });
        self.forgotten_uses += forgotten;
        self.max_error = max_error;
    }

    /// The tracked peers, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &HostStat> {
        self.map.values()
    }
    /// Peers tracked (forgotten ones not counted).
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// No peer tracked.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    /// Uses by peers that were forgotten to keep the table bounded.
    pub fn forgotten_uses(&self) -> u64 {
        self.forgotten_uses
    }
    /// How far any count shown may fall short of the truth (0: exact).
    pub fn max_error(&self) -> u64 {
        self.max_error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: &'static str) -> Peer<'static> {
        Peer {
            name: b"mx.example",
            helo: b"",
            ip: ip.as_bytes(),
        }
    }

    #[test]
    fn counts_exactly_while_small() {
        let mut t = HostTable::new(4);
        for (seq, ip) in ["192.0.2.1", "192.0.2.2", "192.0.2.1"].iter().enumerate() {
            t.hit(&peer(ip), format!("t{seq}").as_bytes(), seq as u64);
        }
        let mut v: Vec<_> = t
            .iter()
            .map(|h| (h.ip().into_owned(), h.count(), h.last_seen().into_owned()))
            .collect();
        v.sort();
        assert_eq!(
            v,
            vec![
                ("192.0.2.1".into(), 2, "t2".into()),
                ("192.0.2.2".into(), 1, "t1".into())
            ]
        );
        assert_eq!((t.forgotten_uses(), t.max_error()), (0, 0));
    }

    #[test]
    fn stays_bounded_and_keeps_heavy_hitters() {
        let mut t = HostTable::new(8);
        let mut seq = 0;
        for i in 0..10_000u32 {
            // A heavy hitter every third use, appearing only late.
            let ip = if i > 5000 && i % 3 == 0 {
                "2001:db8::1".to_string()
            } else {
                format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255)
            };
            seq += 1;
            t.hit(&peer(Box::leak(ip.into_boxed_str())), b"now", seq);
            assert!(t.len() <= 16);
        }
        let heavy = t
            .iter()
            .find(|h| h.ip() == "2001:db8::1")
            .expect("heavy hitter kept");
        assert!(heavy.count() + t.max_error() >= 1666);
        assert!(t.forgotten_uses() > 0 && t.max_error() >= 1);
        let total: u64 = t.iter().map(HostStat::count).sum::<u64>() + t.forgotten_uses();
        assert_eq!(total, 10_000);
    }

    #[test]
    fn names_fall_back_to_helo() {
        let mut t = HostTable::new(4);
        let p = Peer {
            name: b"",
            helo: b"client.example",
            ip: b"192.0.2.9",
        };
        t.hit(&p, b"t", 1);
        t.hit(&p, b"t", 2);
        let h = t.iter().next().expect("one peer");
        assert_eq!((h.name().as_ref(), h.count()), ("(client.example)", 2));
    }

    #[test]
    fn helo_names_and_times_from_a_log_carry_no_control_characters() {
        let mut t = HostTable::new(4);
        let p = Peer {
            name: b"",
            helo: b"evil\x1b[2J\x07",
            ip: b"192.0.2.9",
        };
        t.hit(&p, b"Nov 26\x1b]0;x\x07", 1);
        let h = t.iter().next().expect("one peer");
        assert_eq!(h.name(), "(evil\u{fffd}[2J\u{fffd})");
        assert_eq!(h.last_seen(), "Nov 26\u{fffd}]0;x\u{fffd}");
    }
}
