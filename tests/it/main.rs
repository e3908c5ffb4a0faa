//! Integration tests, one binary split by topic. Everything runs on
//! loopback: against the in-process test servers (`mxprobe::testkit`) and,
//! in `mta`, against real Postfix and Exim servers.

mod common;
mod dns;
mod enumerate;
mod lab;
mod logs;
mod mta;
mod scan;
mod smtp;
