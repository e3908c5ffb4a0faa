//! mxprobe: actively probes mail servers' STARTTLS.
pub mod cert;
pub mod dane;
pub mod dns;
pub mod input;
pub mod logs;
pub mod model;
pub mod mtasts;
pub mod policy;
pub mod report;
pub mod scan;
pub mod smtp;
pub mod stats;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tls;
pub mod trust;
