//! Counting one stream on several cores.
//!
//! The reading thread cuts the (decompressed) stream into numbered blocks
//! of whole lines; worker threads count the lines of their blocks into
//! partial tallies of their own; the calling thread takes the blocks back
//! in order and counts the lines whose meaning depends on the lines before
//! them (Postfix lines, correlated per process). At the end the partial
//! tallies are merged in. Every line has a position (block number, line
//! number), so "last seen" is the latest use whichever thread counted it.
//!
//! Memory stays bounded: a fixed set of buffers circulates between the
//! threads, and a line longer than [`MAX_LINE`] that spans blocks is
//! dropped by the reader as it goes.

use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::sync::mpsc;

use super::decode::{decoder, Failure, CHUNK};
use super::scan::needs_order;
use super::{Malformed, Tally, MAX_LINE};

/// A block of whole lines (the last one of a stream may lack its line
/// feed).
struct Block {
    number: u64,
    data: Vec<u8>,
}

/// A block counted by a worker, with the lines left for the ordered pass.
struct Counted {
    number: u64,
    data: Vec<u8>,
    deferred: Vec<(u64, Range<usize>)>,
}

/// Position of line `line` of block `block`, after `base`.
fn position(base: u64, block: u64, line: u64) -> u64 {
    base + (block << 32) + line + 1
}

/// Counts every line of `reader` into `tally` with `workers` threads.
pub(super) fn pump<R: Read + Send>(
    reader: R,
    tally: &mut Tally,
    workers: usize,
) -> Result<(), Failure> {
    let base = tally.position;
    let (recycle_tx, recycle_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..2 * workers + 2 {
        // The receiver is alive: the reading thread takes it below.
        let _ = recycle_tx.send(Vec::with_capacity(CHUNK + CHUNK / 8));
    }
    let (counted_tx, counted_rx) = mpsc::channel::<Counted>();
    std::thread::scope(|scope| {
        let mut queues = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Block>(1);
            let counted_tx = counted_tx.clone();
            let mut partial = tally.partial();
            handles.push(scope.spawn(move || {
                for block in rx {
                    let counted = count_block(&mut partial, block, base);
                    if counted_tx.send(counted).is_err() {
                        break;
                    }
                }
                partial
            }));
            queues.push(tx);
        }
        drop(counted_tx);
        let reading = scope.spawn(move || read_blocks(reader, &recycle_rx, &queues));

        // Blocks come back in any order; their deferred lines are counted
        // in input order.
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for counted in counted_rx {
            waiting.insert(counted.number, counted);
            while let Some(c) = waiting.remove(&next) {
                for (line, range) in &c.deferred {
                    let at = position(base, c.number, *line);
                    tally.line_at(&c.data[range.clone()], at);
                }
                let _ = recycle_tx.send(c.data);
                next += 1;
            }
        }
        let (too_long, read) = reading.join().unwrap_or_else(|_| {
            let failed = std::io::Error::other("the reading thread failed");
            (0, Err(Failure::Io(failed)))
        });
        for handle in handles {
            match handle.join() {
                Ok(partial) => tally.absorb(partial),
                Err(_) => {
                    return Err(Failure::Io(std::io::Error::other(
                        "a counting thread failed",
                    )));
                }
            }
        }
        tally.position = position(base, next, 0);
        // Also when the read failed part-way: those lines came before it.
        for _ in 0..too_long {
            tally.malformed(Malformed::TooLong);
        }
        read
    })
}

/// Counts the lines of `block` that any thread may count; returns the
/// others.
fn count_block(partial: &mut Tally, block: Block, base: u64) -> Counted {
    let data = &block.data;
    let mut deferred = Vec::new();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', data)
        .chain((data.last() != Some(&b'\n') && !data.is_empty()).then_some(data.len()));
    for (line, end) in (0u64..).zip(ends) {
        let text = &data[start..end];
        if text.len() > MAX_LINE {
            partial.malformed(Malformed::TooLong);
        } else if needs_order(text) {
            deferred.push((line, start..end));
        } else {
            partial.line_at(text, position(base, block.number, line));
        }
        start = end + 1;
    }
    Counted {
        number: block.number,
        data: block.data,
        deferred,
    }
}

/// Reads `reader` into blocks of whole lines, sent round-robin to the
/// worker queues. Returns the number of lines dropped for being longer
/// than [`MAX_LINE`] across blocks, whether or not the read then failed.
fn read_blocks<R: Read + Send>(
    reader: R,
    recycle: &mpsc::Receiver<Vec<u8>>,
    queues: &[mpsc::SyncSender<Block>],
) -> (u64, Result<(), Failure>) {
    let mut input = match decoder(reader) {
        Ok(input) => input,
        Err(e) => return (0, Err(e)),
    };
    // The start of a line continued in the next block.
    let mut carry: Vec<u8> = Vec::new();
    let mut skipping = false;
    let mut too_long = 0;
    let mut number = 0;
    let mut spare = None;
    loop {
        let Some(mut buf) = spare.take().or_else(|| recycle.recv().ok()) else {
            return (too_long, Ok(()));
        };
        buf.clear();
        buf.extend_from_slice(&carry);
        carry.clear();
        let read = (&mut input).take(CHUNK as u64).read_to_end(&mut buf);
        // At the end of the input, or on an error, what was read is the
        // last block.
        let last = !matches!(read, Ok(n) if n > 0);
        if skipping {
            match memchr::memchr(b'\n', &buf) {
                Some(i) => {
                    buf.drain(..=i);
                    skipping = false;
                }
                None => buf.clear(),
            }
        }
        if !last {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => {
                    carry.extend_from_slice(&buf[i + 1..]);
                    buf.truncate(i + 1);
                }
                None => {
                    carry.append(&mut buf);
                }
            }
            if carry.len() > MAX_LINE {
                too_long += 1;
                skipping = true;
                carry.clear();
            }
        }
        if buf.is_empty() {
            spare = Some(buf);
        } else {
            let queue = &queues[(number % queues.len() as u64) as usize];
            if queue.send(Block { number, data: buf }).is_err() {
                return (too_long, Ok(()));
            }
            number += 1;
        }
        if last {
            return (too_long, read.map(drop).map_err(Failure::Io));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::read::pump_sequential;
    use crate::logs::{write_json, Summary, SummaryOptions};

    /// Several megabytes of every fixture, repeated, with lines longer
    /// than `MAX_LINE` inside a block and across blocks, and no final
    /// line feed.
    fn input() -> Vec<u8> {
        let fixtures = [
            include_str!("../../testdata/logs/exim-mainlog"),
            include_str!("../../testdata/logs/postfix-mail.log"),
            include_str!("../../testdata/logs/exim-gnutls-mainlog"),
            include_str!("../../testdata/logs/postfix-journal.log"),
        ];
        let mut data = Vec::new();
        for round in 0..250 {
            for f in fixtures {
                data.extend_from_slice(f.as_bytes());
            }
            if round == 20 {
                data.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
                data.push(b'\n');
            }
            if round == 100 {
                data.extend(std::iter::repeat_n(b'y', 3 * CHUNK));
                data.push(b'\n');
            }
        }
        data.extend_from_slice(b"2024-11-25 08:15:00 1tFaao-00000F-AB <= g@x H=m.example [192.0.2.10] X=TLSv1:RC4-SHA:128");
        data
    }

    fn rendered(t: &Tally) -> String {
        let options = SummaryOptions {
            by_host: true,
            top: 1000,
            ..SummaryOptions::default()
        };
        let mut out = Vec::new();
        write_json(&Summary::new(t, &options), &mut out).expect("in memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn threads_count_exactly_as_one() {
        let data = input();
        assert!(data.len() > 4 * CHUNK);
        let mut one = Tally::new();
        assert!(pump_sequential(&data[..], &mut one).is_ok());
        assert_eq!(one.lines().malformed.too_long, 2);
        let want = rendered(&one);
        for workers in 1..=3 {
            let mut many = Tally::new();
            assert!(pump(&data[..], &mut many, workers).is_ok());
            assert_eq!(rendered(&many), want, "{workers} workers");
        }
    }

    /// Found by `a_gzip_bomb_and_a_truncated_member_stay_within_memory`: a
    /// line too long for a block, then a read error (a truncated `.gz`),
    /// lost its count; the lines before an error are all counted.
    #[test]
    fn overlong_lines_before_a_read_error_are_counted() {
        struct Fails;
        impl Read for Fails {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("truncated"))
            }
        }
        let mut data = vec![b'x'; 2 * CHUNK];
        data.extend_from_slice(
            b"\n2024-11-25 08:15:00 1tFaao-00000F-AB <= g@x H=m.example [192.0.2.10] P=esmtp\n",
        );
        for workers in 1..=2 {
            let mut t = Tally::new();
            assert!(pump((&data[..]).chain(Fails), &mut t, workers).is_err());
            let l = t.lines();
            assert_eq!((l.malformed.too_long, l.counted, l.total), (1, 1, 2));
            let mut one = Tally::new();
            assert!(pump_sequential((&data[..]).chain(Fails), &mut one).is_err());
            assert_eq!(one.lines(), t.lines());
        }
    }

    #[test]
    fn positions_continue_across_files() {
        let data = input();
        let mut t = Tally::new();
        assert!(pump(&data[..], &mut t, 2).is_ok());
        let after_one = t.position;
        assert!(pump(&b"x\n"[..], &mut t, 2).is_ok());
        assert!(t.position > after_one);
    }
}
