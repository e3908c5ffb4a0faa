//! Integration tests, one binary split by topic. Everything runs on
//! loopback against the in-process test servers (`mxprobe::testkit`).

mod common;
mod dns;
mod enumerate;
mod hostile;
mod logs;
mod never_delivers;
mod scan;
mod smtp;
