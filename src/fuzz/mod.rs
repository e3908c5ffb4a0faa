//! The checks behind the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer).
//!
//! Each function takes arbitrary bytes, runs one parser of untrusted input
//! (what a mail server sends, what a user's file or argument holds) and
//! panics if the parser panics or breaks one of its documented properties:
//! limits, sanitised text, results that do not depend on how the input was
//! split into reads, commands the dialogue may send. The fuzz targets are
//! one line each (`fuzz_target!(|data| mxprobe::fuzz::smtp_reply(data))`),
//! so a crash found by libFuzzer reproduces as a plain call here.
//!
//! `cargo test` runs every seed and every saved crash input in
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` through its
//! function ([`TARGETS`]), so the corpora are regression tests even where
//! libFuzzer is not installed.
//!
//! Not part of the API: compiled only for tests and with the `fuzzing`
//! feature (which the fuzz package turns on).

mod input;
mod mtasts;
mod names;
mod policy;
mod smtp;
mod tls;

pub use self::input::domain_list;
pub use self::mtasts::{mtasts_policy, sts_txt};
pub use self::names::{domain_name, target_host};
pub use self::policy::policy_toml;
pub use self::smtp::{smtp_dialogue, smtp_reply};
pub use self::tls::raw_first_flight;
pub use crate::logs::fuzz::{exim_line, log_gzip, log_stream, postfix_lines, syslog_line};

/// A target's check: arbitrary bytes in, a panic on any failure.
pub type Check = fn(&[u8]);

/// Every target by the name of its file in `fuzz/fuzz_targets/` and of its
/// corpus directory.
pub const TARGETS: &[(&str, Check)] = &[
    ("smtp_reply", smtp_reply),
    ("smtp_dialogue", smtp_dialogue),
    ("domain_name", domain_name),
    ("target_host", target_host),
    ("exim_line", exim_line),
    ("syslog_line", syslog_line),
    ("postfix_lines", postfix_lines),
    ("log_stream", log_stream),
    ("log_gzip", log_gzip),
    ("domain_list", domain_list),
    ("policy_toml", policy_toml),
    ("mtasts_policy", mtasts_policy),
    ("sts_txt", sts_txt),
    ("raw_first_flight", raw_first_flight),
];

/// A small deterministic generator for the read sizes a target splits its
/// input into, seeded from the input itself (so a crash reproduces).
pub(crate) struct Splits(u32);

impl Splits {
    pub(crate) fn new(seed: u8) -> Splits {
        Splits(u32::from(seed).wrapping_mul(2_654_435_761) | 1)
    }

    /// The next read size, 1 to `max`.
    pub(crate) fn next(&mut self, max: usize) -> usize {
        // xorshift32
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 as usize % max.max(1)) + 1
    }

    /// `data` cut into pieces of 1 to `max` bytes.
    pub(crate) fn cut<'a>(&mut self, mut data: &'a [u8], max: usize) -> Vec<&'a [u8]> {
        let mut pieces = Vec::new();
        while !data.is_empty() {
            let (piece, rest) = data.split_at(self.next(max).min(data.len()));
            pieces.push(piece);
            data = rest;
        }
        pieces
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Every file under `fuzz/corpus/<target>/` (seeds, and inputs that once
    /// crashed) and `fuzz/regressions/<target>/` (inputs too big to seed
    /// libFuzzer with) passes its target's checks.
    #[test]
    fn fuzz_corpora_replay_without_failures() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        let mut replayed = 0;
        for (name, check) in TARGETS {
            let seeds = root.join("corpus").join(name);
            let mut paths: Vec<_> = std::fs::read_dir(&seeds)
                .unwrap_or_else(|e| panic!("{}: {e}", seeds.display()))
                .map(|entry| entry.expect("directory entry").path())
                .collect();
            assert!(!paths.is_empty(), "{name} has no seeds");
            if let Ok(more) = std::fs::read_dir(root.join("regressions").join(name)) {
                paths.extend(more.map(|entry| entry.expect("directory entry").path()));
            }
            for path in &paths {
                let data = std::fs::read(path).expect("corpus file");
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(outcome.is_ok(), "{name}: {} fails", path.display());
            }
            replayed += paths.len();
        }
        assert!(replayed >= TARGETS.len());
    }

    #[test]
    fn splits_cover_the_input_in_order() {
        let data: Vec<u8> = (0..=255).collect();
        for seed in [0, 1, 7, 255] {
            let pieces = Splits::new(seed).cut(&data, 9);
            assert!(pieces.iter().all(|p| (1..=9).contains(&p.len())));
            assert_eq!(pieces.concat(), data);
        }
    }
}
