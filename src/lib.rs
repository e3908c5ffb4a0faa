//! mxprobe: actively probes mail servers' STARTTLS.
pub mod cert;
pub mod dane;
pub mod dns;
pub mod logs;
pub mod model;
pub mod mtasts;
pub mod report;
pub mod scan;
pub mod smtp;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tls;
