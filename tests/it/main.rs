//! Integration tests, one binary split by topic. Everything runs on
//! loopback against the in-process test servers (`mxprobe::testkit`).

mod bulk;
mod common;
mod dns;
mod enumerate;
mod logs;
mod policy;
mod scan;
mod smtp;
mod trust;
mod trust_dns;
