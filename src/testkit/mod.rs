//! In-process test servers on loopback (DNS, SMTP/STARTTLS) for tests,
//! benchmarks and the `mxprobe-lab` binary. Never part of a scan.

pub mod dns;
pub mod net;
pub mod pki;
pub mod scenarios;
pub mod smtp;
