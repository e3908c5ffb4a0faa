//! The scripted servers' tests: hand-built hellos, the parser, and
//! garbage; each script's answers in `answers`, on loopback in `live`.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use super::answer::{self, After, Step};
use super::hello::{self, ClientHello};
use super::{HeartbeatReply, Script};
use crate::tls::Protocol;

mod answers;
mod live;

pub(super) const SSL3: u16 = 0x0300;
pub(super) const TLS1_0: u16 = 0x0301;
pub(super) const TLS1_1: u16 = 0x0302;
pub(super) const TLS1_2: u16 = 0x0303;

/// A TLS ClientHello record: `client_version`, suites, compression
/// methods, extensions (type, body); the record version is TLS 1.0, as
/// clients send it.
pub(super) fn tls_hello(
    version: u16,
    suites: &[u16],
    compression: &[u8],
    extensions: &[(u16, &[u8])],
) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    body.extend_from_slice(&[7; 32]);
    body.push(0);
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    suites
        .iter()
        .for_each(|s| body.extend_from_slice(&s.to_be_bytes()));
    body.push(compression.len() as u8);
    body.extend_from_slice(compression);
    if !extensions.is_empty() {
        let mut block = Vec::new();
        for (kind, data) in extensions {
            block.extend_from_slice(&kind.to_be_bytes());
            block.extend_from_slice(&(data.len() as u16).to_be_bytes());
            block.extend_from_slice(data);
        }
        body.extend_from_slice(&(block.len() as u16).to_be_bytes());
        body.extend_from_slice(&block);
    }
    let mut message = vec![1];
    message.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    message.extend_from_slice(&body);
    answer::records(22, TLS1_0, &message)
}

/// An SSLv2 CLIENT-HELLO record offering `specs`.
pub(super) fn sslv2_hello(version: u16, specs: &[u32]) -> Vec<u8> {
    let mut body = vec![1];
    body.extend_from_slice(&version.to_be_bytes());
    body.extend_from_slice(&((specs.len() * 3) as u16).to_be_bytes());
    body.extend_from_slice(&[0, 0, 0, 16]);
    specs
        .iter()
        .for_each(|s| body.extend_from_slice(&s.to_be_bytes()[1..]));
    body.extend_from_slice(&[9; 16]);
    let mut record = (body.len() as u16 | 0x8000).to_be_bytes().to_vec();
    record.extend(body);
    record
}

/// Parses a record as the server does when it came in one piece.
pub(super) fn parse(record: &[u8]) -> Result<ClientHello, String> {
    if record[0] & 0x80 != 0 {
        hello::parse_sslv2(&record[2..])
    } else {
        hello::parse_tls(u16::from_be_bytes([record[1], record[2]]), &record[5..])
    }
}

pub(super) fn chain() -> Vec<Vec<u8>> {
    vec![b"leaf certificate".to_vec(), b"issuer".to_vec()]
}

pub(super) fn first(script: &Script, record: &[u8]) -> (Step, Option<After>) {
    answer::first(script, &parse(record), &chain())
}

pub(super) const RI: u16 = 0xff01;
pub(super) const HB: u16 = 15;
pub(super) const NO_EXT: &[(u16, &[u8])] = &[];

#[test]
fn a_tls_hello_is_read_field_by_field() {
    let record = tls_hello(
        TLS1_2,
        &[0x1301, 0xC02F, 0x002F, 0x00FF],
        &[1, 0],
        &[
            (0, b"\x00\x05\x00\x00\x02mx"),
            (RI, &[0]),
            (HB, &[1]),
            (43, &[4, 0x03, 0x04, 0x03, 0x03]),
        ],
    );
    let hello = parse(&record).unwrap();
    assert_eq!(
        hello,
        ClientHello {
            record_version: Some(TLS1_0),
            legacy_version: TLS1_2,
            cipher_suites: vec![0x1301, 0xC02F, 0x002F, 0x00FF],
            sslv2_specs: vec![],
            compression: vec![1, 0],
            extensions: vec![0, RI, HB, 43],
            renegotiation_info: Some(vec![0]),
            heartbeat: Some(vec![1]),
            supported_versions: Some(vec![0x0304, 0x0303]),
        }
    );
    assert!(!hello.is_sslv2() && hello.offers(0x00FF));
}

#[test]
fn an_sslv2_hello_is_read_with_its_tls_suites_apart() {
    let hello = parse(&sslv2_hello(0x0301, &[0x07_00C0, 0x00_002F, 0x02_0080])).unwrap();
    assert!(hello.is_sslv2());
    assert_eq!(hello.legacy_version, 0x0301);
    assert_eq!(hello.sslv2_specs, [0x07_00C0, 0x00_002F, 0x02_0080]);
    assert_eq!(hello.cipher_suites, [0x002F]);
    assert!(hello.compression.is_empty() && hello.extensions.is_empty());
}

/// Every script, each variant once or more.
pub(super) fn every_script() -> Vec<Script> {
    vec![
        Script::Sslv2,
        Script::Export {
            max: Protocol::Tls1,
        },
        Script::Export {
            max: Protocol::Tls1_2,
        },
        Script::Heartbeat(HeartbeatReply::Bleed),
        Script::Heartbeat(HeartbeatReply::Discard),
        Script::Heartbeat(HeartbeatReply::Alert),
        Script::Compression,
        Script::NoRenegotiation,
        Script::Fallback { scsv: true },
        Script::Fallback { scsv: false },
        Script::CcsInjection { vulnerable: true },
        Script::CcsInjection { vulnerable: false },
    ]
}

/// xorshift64: reproducible noise without a dependency.
pub(super) fn noise(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn garbage_and_truncations_never_panic() {
    let valid = [
        tls_hello(
            TLS1_2,
            &[0xC02F, 0x002F],
            &[1, 0],
            &[(RI, &[0]), (HB, &[1]), (43, &[2, 3, 3])],
        ),
        sslv2_hello(TLS1_0, &[0x01_0080, 0x00_002F]),
    ];
    let scripts = every_script();
    let mut seed = 0x9E37_79B9_7F4A_7C15;
    for record in &valid {
        for cut in 0..record.len() {
            let mut bytes = record[..cut].to_vec();
            let _ = hello::parse_tls(TLS1_0, bytes.get(5..).unwrap_or_default());
            let _ = hello::parse_sslv2(bytes.get(2..).unwrap_or_default());
            // The same length, one byte changed.
            bytes.extend_from_slice(&record[cut..]);
            bytes[cut] = noise(&mut seed) as u8;
            if bytes.len() > 5 {
                for script in &scripts {
                    let (_, after) = first(script, &bytes);
                    if let Some(mut after) = after {
                        let kind = 20 + (noise(&mut seed) % 6) as u8;
                        let _ = after.on_record(kind, &bytes[5..5 + cut.min(bytes.len() - 5)]);
                    }
                }
            }
        }
    }
    for _ in 0..2000 {
        let len = (noise(&mut seed) % 300) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| noise(&mut seed) as u8).collect();
        let _ = hello::parse_tls(TLS1_0, &bytes);
        let _ = hello::parse_sslv2(&bytes);
        let _ = hello::handshake_len(&bytes);
    }
}
