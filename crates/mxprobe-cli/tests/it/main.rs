//! Integration tests, one binary split by topic. Everything runs on
//! loopback: against the in-process test servers (`mxprobe::testkit`) and,
//! in `mta`, against real Postfix and Exim servers.

mod bulk;
mod catalogue;
mod common;
mod dns;
mod enumerate;
mod examples;
mod generate;
mod hostile;
mod html;
mod lab;
mod legacy;
mod logs;
mod mta;
mod never_delivers;
mod policy;
mod scan;
mod senders;
mod shards;
mod smtp;
mod trust;
mod trust_dns;
