//! mxprobe: actively probes mail servers' STARTTLS and says precisely what
//! is wrong.
//!
//! # The pipeline
//!
//! A [`Target`] (a mail domain, or a host given directly) goes through one
//! stage per module, and comes out as a [`DomainReport`]:
//!
//! 1. [`dns`]: MX records (RFC 5321 §5.1 implicit MX, RFC 7505 null MX),
//!    addresses, PTR, TXT and TLSA, with DNSSEC status where DANE needs it.
//! 2. [`smtp`]: a connection pool speaks SMTP up to `220 ready to start TLS`
//!    (RFC 3207), politely: per-address limits, backoff on 421.
//! 3. [`tls`]: OpenSSL handshakes on those sessions: one as a broadly
//!    compatible client, then the enumeration of protocol versions, every
//!    accepted cipher in the server's order of preference, key-exchange
//!    groups and DH size.
//! 4. [`cert`] and [`trust`]: the presented chain against Mozilla's roots,
//!    RFC 6125 names, a strict rustls sender, forward-confirmed reverse DNS;
//!    [`dane`] (RFC 7672) and [`mtasts`] (RFC 8461, RFC 8460).
//! 5. [`policy`]: findings with stable IDs and severities under a policy.
//!
//! [`scan`] runs the stages for many targets at once, each address probed
//! once ([`shard`] splits that over machines); [`report`] renders reports
//! as text, CSV, JSON or JSON Lines; [`stats`] summarises a scan; [`html`]
//! makes one page of both; [`logs`] counts the TLS parameters in Exim
//! and Postfix logs; [`input`] reads domain lists. [`limits`] lists every
//! cap on what untrusted input can make mxprobe hold in memory.
//!
//! # What it does not do
//!
//! * Deliver mail: the SMTP client sends EHLO, STARTTLS and QUIT, never
//!   MAIL, RCPT, DATA, BDAT, VRFY or EXPN.
//! * Print: the library returns data; the `mxprobe` binary
//!   (crates/mxprobe-cli) writes it.
//! * Fail a scan because one server misbehaves: a failed target is a status
//!   in its report. `Err` is for set-up only.
//! * Complete a handshake it writes by hand: SSLv2, the suites no OpenSSL
//!   3 has and the classic checks read only the server's first answer
//!   (`tls::legacy`); TLS 1.3 suites OpenSSL lacks (AEGIS) are not asked.
//! * Check revocation (OCSP, CRLs), or fetch missing intermediates.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mxprobe::scan::SetupError> {
//! use mxprobe::{Policy, ScanConfig, Scanner, Target};
//! let config = ScanConfig {
//!     policy: Policy::load("default").ok().map(std::sync::Arc::new),
//!     ..ScanConfig::default()
//! };
//! let scanner = Scanner::new(config)?;
//! let target = Target::domain("example.org").expect("a valid name");
//! let report = scanner.scan(target).await;
//! for f in &report.findings {
//!     println!("{} {}: {}", f.severity, f.id, f.message);
//! }
//! # Ok(()) }
//! ```

#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod cert;
pub mod dane;
pub mod dns;
// The HTML report: a page over the reports and their statistics.
mod hex;
pub mod html;
// The one module allowed `unsafe` (see its documentation).
#[allow(unsafe_code)]
mod ffi;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;
pub mod input;
pub mod limits;
pub mod logs;
pub mod model;
pub mod mtasts;
pub mod policy;
mod printable;
pub mod report;
pub mod scan;
pub mod senders;
pub mod shard;
pub mod smtp;
mod spelling;
pub mod stats;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tls;
pub mod trust;

pub use model::{AddressReport, DomainReport, DomainStatus, MxReport, ProbeStatus, Target};
pub use policy::{Finding, Policy, Severity};
pub use scan::{ScanConfig, Scanner};
