//! mxprobe: actively probes mail servers' STARTTLS.
pub mod cert;
pub mod dns;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;
pub mod logs;
pub mod model;
pub mod report;
pub mod scan;
pub mod smtp;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tls;
