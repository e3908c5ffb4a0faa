//! In-process test servers on loopback (DNS with DNSSEC, SMTP/STARTTLS,
//! HTTPS for MTA-STS policies) for tests, benchmarks and the `mxprobe-lab`
//! binary. Never part of a scan.

pub mod dns;
pub mod https;
pub mod mta;
pub mod net;
pub mod pki;
pub mod scenarios;
pub mod smtp;
