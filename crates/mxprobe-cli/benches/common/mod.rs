//! What the bulk benchmarks share: a realistic mix of test servers and a
//! shared-hosting spread of domains over them.

use std::time::Duration;

use mxprobe::testkit::scenarios;
use mxprobe::testkit::smtp::{Misbehaviour, ServerConfig};

/// Addresses (test servers).
pub const M: usize = 200;

/// The configuration of server `i` of `M`: mostly well-kept servers, some
/// legacy ones, 5 % slow to greet, 3 % without STARTTLS, 2 % answering 421.
pub fn config(i: usize) -> ServerConfig {
    let pick = |name: &str| scenarios::named(name).expect("scenario").config;
    match i % 100 {
        0..=39 => pick("modern"),
        40..=59 => pick("realistic"),
        60..=69 => pick("kabelmail"),
        70..=79 => pick("client-order"),
        80..=84 => pick("legacy"),
        85..=89 => pick("dual-cert"),
        90..=94 => ServerConfig {
            greeting_delay: Duration::from_secs(2),
            ..pick("modern")
        },
        95..=97 => pick("no-starttls"),
        _ => ServerConfig::misbehaving(Misbehaviour::Reject421AtGreeting),
    }
}

/// Domain `d`'s server: shared hosting, so low-numbered servers carry most
/// domains (about a 1/rank distribution), every server at least one.
pub fn server_of(d: usize, n: usize) -> usize {
    if d < M {
        return d;
    }
    let x = (d as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    let u = (x as f64) / ((1u64 << 53) as f64);
    let rank = ((M as f64).powf(u) - 1.0).floor() as usize;
    rank.min(M - 1) % M.min(n.max(1))
}
