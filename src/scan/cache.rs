//! Probe results shared across domains: each (address, port) is probed once
//! and its result reused for every domain behind it.
//!
//! Memory is bounded: beyond `capacity` entries, the least recently used
//! finished probes are dropped (a quarter at a time). An address seen again
//! after that is probed again; with shared hosting the hot addresses stay.

use std::collections::HashMap;
use std::net::IpAddr;

use futures::future::{BoxFuture, Shared};

use crate::model::AddressReport;

pub(crate) type ProbeKey = (IpAddr, u16);
pub(crate) type SharedProbe = Shared<BoxFuture<'static, AddressReport>>;

pub(crate) struct ProbeCache {
    map: HashMap<ProbeKey, Entry>,
    tick: u64,
    capacity: usize,
    /// Probes started, and probes found in the cache.
    pub started: u64,
    pub reused: u64,
}

struct Entry {
    probe: SharedProbe,
    used: u64,
}

impl ProbeCache {
    pub(super) fn new(capacity: usize) -> Self {
        ProbeCache {
            map: HashMap::new(),
            tick: 0,
            capacity: capacity.max(1),
            started: 0,
            reused: 0,
        }
    }

    /// The probe of `key`, started with `start` if there is none.
    pub(super) fn get_or_start(
        &mut self,
        key: ProbeKey,
        start: impl FnOnce() -> SharedProbe,
    ) -> SharedProbe {
        self.tick += 1;
        if let Some(e) = self.map.get_mut(&key) {
            e.used = self.tick;
            self.reused += 1;
            return e.probe.clone();
        }
        if self.map.len() >= self.capacity {
            self.evict();
        }
        let probe = start();
        self.started += 1;
        self.map.insert(
            key,
            Entry {
                probe: probe.clone(),
                used: self.tick,
            },
        );
        probe
    }

    /// Drop the least recently used quarter of the finished probes.
    fn evict(&mut self) {
        let mut done: Vec<(u64, ProbeKey)> = self
            .map
            .iter()
            .filter(|(_, e)| e.probe.peek().is_some())
            .map(|(k, e)| (e.used, *k))
            .collect();
        done.sort_unstable();
        let n = (self.capacity / 4).max(1);
        for (_, key) in done.into_iter().take(n) {
            self.map.remove(&key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProbeStatus;
    use futures::FutureExt;

    fn finished(ip: [u8; 4]) -> SharedProbe {
        let report = AddressReport {
            connections: 1,
            handshakes: 1,
            ..AddressReport::new(ip.into(), 25, ProbeStatus::Ok)
        };
        let f = async move { report }.boxed().shared();
        // Drive it to completion so it counts as finished.
        futures::executor::block_on(f.clone());
        f
    }

    #[test]
    fn reuses_and_stays_bounded_keeping_hot_entries() {
        let mut c = ProbeCache::new(8);
        let hot: ProbeKey = ([10, 0, 0, 1].into(), 25);
        drop(c.get_or_start(hot, || finished([10, 0, 0, 1])));
        for i in 2..100u8 {
            drop(c.get_or_start(([10, 0, 0, i].into(), 25), || finished([10, 0, 0, i])));
            drop(c.get_or_start(hot, || unreachable!("the hot address stays cached")));
            assert!(c.len() <= 8);
        }
        assert_eq!(c.started, 99);
        assert_eq!(c.reused, 98);
    }
}
