//! Shards: which part of a scan one machine does, when many share it.
//!
//! zmap and zgrab2 split work with `--shards N --shard K`: each of N
//! processes takes the items whose stable hash is K modulo N. mxprobe does
//! the same in its two shardable stages: `resolve` takes domains by name,
//! `probe` takes addresses. An address therefore belongs to exactly one
//! shard, whichever resolved file names it, and no two machines ever probe
//! it at once: the per-host limit, which the server counts per client
//! address, still holds when the scan is spread.
//!
//! The hash is FNV-1a (64 bits) with a final avalanche (SplitMix64's), so
//! it is the same on every machine, build and run (std's `DefaultHasher`
//! is not promised to be), and consecutive addresses spread evenly.
//!
//! What this does not do: balance work. Shards get equal numbers of items,
//! not of handshakes; an address behind many domains costs one probe
//! wherever it lands.

use std::fmt;
use std::net::IpAddr;

/// Shard `index` of `count` (`--shards N --shard K`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    count: u32,
    index: u32,
}

/// A shard that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// `--shards 0`.
    #[error("--shards must be at least 1")]
    NoShards,
    /// `--shard K` not below `--shards N`.
    #[error("--shard {index} is out of range: shards are numbered 0 to {} for --shards {count}", count - 1)]
    OutOfRange {
        /// The index given.
        index: u32,
        /// The number of shards.
        count: u32,
    },
}

impl Shard {
    /// The whole scan: one shard that owns everything.
    pub const ALL: Shard = Shard { count: 1, index: 0 };

    /// Shard `index` (from 0) of `count`.
    pub fn new(count: u32, index: u32) -> Result<Shard, ShardError> {
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        if index >= count {
            return Err(ShardError::OutOfRange { index, count });
        }
        Ok(Shard { count, index })
    }

    /// The number of shards.
    pub fn count(self) -> u32 {
        self.count
    }

    /// This shard's index, from 0.
    pub fn index(self) -> u32 {
        self.index
    }

    /// Whether the domain (or `--host` name) `name` is this shard's; case
    /// and a trailing dot do not matter.
    pub fn owns_name(self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        let mut h = Fnv::new();
        for b in name.bytes() {
            h.byte(b.to_ascii_lowercase());
        }
        self.owns(h.finish())
    }

    /// Whether the address `ip` is this shard's. The port plays no part:
    /// a server counts a client's connections per address.
    pub fn owns_address(self, ip: IpAddr) -> bool {
        let mut h = Fnv::new();
        match ip.to_canonical() {
            IpAddr::V4(v4) => v4.octets().into_iter().for_each(|b| h.byte(b)),
            IpAddr::V6(v6) => v6.octets().into_iter().for_each(|b| h.byte(b)),
        }
        self.owns(h.finish())
    }

    fn owns(self, hash: u64) -> bool {
        hash % u64::from(self.count) == u64::from(self.index)
    }
}

impl Default for Shard {
    fn default() -> Self {
        Shard::ALL
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shard {} of {}", self.index, self.count)
    }
}

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn byte(&mut self, b: u8) {
        self.0 ^= u64::from(b);
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }

    /// FNV's low bits follow its last bytes closely; SplitMix64's
    /// finaliser spreads every input bit over the result before `% N`.
    fn finish(self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shards(n: u32) -> Vec<Shard> {
        (0..n).map(|k| Shard::new(n, k).expect("valid")).collect()
    }

    #[test]
    fn every_item_belongs_to_exactly_one_shard() {
        for n in [1, 2, 3, 7, 64] {
            let all = shards(n);
            for i in 0..2000u32 {
                let ip = IpAddr::from(i.to_be_bytes());
                assert_eq!(all.iter().filter(|s| s.owns_address(ip)).count(), 1);
                let name = format!("d{i}.example");
                assert_eq!(all.iter().filter(|s| s.owns_name(&name)).count(), 1);
            }
        }
    }

    #[test]
    fn the_split_is_even_and_stable() {
        let all = shards(4);
        // A /22 of consecutive addresses: each shard within 15% of a quarter.
        for s in &all {
            let n = (0..1024u32)
                .filter(|i| s.owns_address(IpAddr::from((0xc000_0200 + i).to_be_bytes())))
                .count();
            assert!((218..=294).contains(&n), "{s}: {n} of 1024");
        }
        // Pinned: a change of the hash would split resumed and fresh
        // shards of one scan differently.
        let owner = |name: &str| all.iter().position(|s| s.owns_name(name));
        assert_eq!(
            [owner("example.org"), owner("kabelmail.de"), owner("a.test")],
            [Some(3), Some(0), Some(0)]
        );
        assert_eq!(owner("Example.ORG."), owner("example.org"));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        let v4: IpAddr = "192.0.2.1".parse().expect("ip");
        assert_eq!(
            all.iter().position(|s| s.owns_address(mapped)),
            all.iter().position(|s| s.owns_address(v4))
        );
    }

    #[test]
    fn bad_shards_are_named() {
        assert_eq!(Shard::new(0, 0), Err(ShardError::NoShards));
        let e = Shard::new(3, 3).expect_err("out of range");
        assert_eq!(
            e.to_string(),
            "--shard 3 is out of range: shards are numbered 0 to 2 for --shards 3"
        );
        assert_eq!(Shard::ALL.count(), 1);
        assert!(Shard::ALL.owns_name("anything.test"));
    }
}
