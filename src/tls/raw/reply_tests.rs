//! The reader on recorded server answers, written out byte by byte, and on
//! broken ones.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::alert::{HANDSHAKE_FAILURE, INAPPROPRIATE_FALLBACK, PROTOCOL_VERSION};
use super::reply::HRR_RANDOM;
use super::*;
use crate::limits::{RAW_FIRST_FLIGHT_BYTES, RAW_FIRST_FLIGHT_RECORDS};

/// A TLS 1.2 ServerHello with renegotiation_info and heartbeat.
fn tls12() -> Vec<u8> {
    [
        &[0x16, 0x03, 0x03, 0x00, 0x40][..], // handshake record, TLS 1.2, 64 bytes
        &[0x02, 0x00, 0x00, 0x3c],           // ServerHello, 60 bytes
        &[0x03, 0x03],                       // TLS 1.2
        &[0x11; 32],                         // random
        &[0x04, 0xaa, 0xbb, 0xcc, 0xdd],     // session id
        &[0xc0, 0x30, 0x00],                 // ECDHE-RSA-AES256-GCM-SHA384, null compression
        &[0x00, 0x10],                       // 16 bytes of extensions
        &[0xff, 0x01, 0x00, 0x01, 0x00],     // renegotiation_info, empty
        &[0x00, 0x0f, 0x00, 0x01, 0x01],     // heartbeat: peer_allowed_to_send
        &[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00], // ec_point_formats: uncompressed
    ]
    .concat()
}

/// A TLS 1.3 ServerHello choosing x25519.
fn tls13() -> Vec<u8> {
    [
        &[0x16, 0x03, 0x03, 0x00, 0x5a][..],
        &[0x02, 0x00, 0x00, 0x56],
        &[0x03, 0x03],
        &[0x22; 32],
        &[0x00],                                           // session id (ours was empty)
        &[0x13, 0x02, 0x00],                               // TLS_AES_256_GCM_SHA384
        &[0x00, 0x2e],                                     // 46 bytes of extensions
        &[0x00, 0x2b, 0x00, 0x02, 0x03, 0x04],             // supported_versions: TLS 1.3
        &[0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20], // key_share: x25519, 32 bytes
        &[0x33; 32],
    ]
    .concat()
}

/// A HelloRetryRequest asking for a secp256r1 share.
fn hrr() -> Vec<u8> {
    [
        &[0x16, 0x03, 0x03, 0x00, 0x38][..],
        &[0x02, 0x00, 0x00, 0x34],
        &[0x03, 0x03],
        &HRR_RANDOM,
        &[0x00, 0x13, 0x01, 0x00],
        &[0x00, 0x0c],
        &[0x00, 0x2b, 0x00, 0x02, 0x03, 0x04],
        &[0x00, 0x33, 0x00, 0x02, 0x00, 0x17],
    ]
    .concat()
}

/// An SSLv2 SERVER-HELLO with a 4-byte "certificate" and two ciphers.
fn sslv2() -> Vec<u8> {
    [
        &[0x80, 0x25][..],         // two-byte header, 37 bytes
        &[0x04, 0x00, 0x01],       // SERVER-HELLO, no session hit, X.509
        &[0x00, 0x02],             // SSLv2
        &[0x00, 0x04, 0x00, 0x06], // certificate 4 bytes, cipher specs 6
        &[0x00, 0x10],             // connection id 16 bytes
        &[0xde, 0xad, 0xbe, 0xef],
        &[0x01, 0x00, 0x80, 0x07, 0x00, 0xc0], // RC4_128_WITH_MD5, DES_192_EDE3_CBC_WITH_MD5
        &[0x44; 16],
    ]
    .concat()
}

/// The rest of a flight: Certificate, ServerHelloDone (bogus but framed).
const AFTER: &[u8] = &[
    0x16, 0x03, 0x03, 0x00, 0x04, 0x0b, 0x00, 0x00, 0x00, // Certificate, empty
    0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00, // ServerHelloDone
];

/// Feeds `bytes` in reads of `step` bytes.
fn read(bytes: &[u8], step: usize) -> (Result<Option<Reply>, RawError>, usize) {
    let mut r = FirstFlightReader::new();
    for chunk in bytes.chunks(step) {
        match r.feed(chunk) {
            Ok((_, Some(reply))) => return (Ok(Some(reply)), r.bytes_read()),
            Ok((used, None)) => assert_eq!(used, chunk.len()),
            Err(e) => return (Err(e), r.bytes_read()),
        }
    }
    (Ok(None), r.bytes_read())
}

fn hello(bytes: &[u8]) -> ServerHello {
    match read(bytes, bytes.len().max(1)).0 {
        Ok(Some(Reply::ServerHello(h))) => h,
        other => panic!("{other:?}"),
    }
}

fn error(bytes: &[u8]) -> RawError {
    read(bytes, bytes.len().max(1)).0.expect_err("an error")
}

#[test]
fn tls12_server_hello() {
    let h = hello(&[tls12(), AFTER.to_vec()].concat());
    assert_eq!(
        (h.record_version, h.version, h.selected_version),
        (0x0303, 0x0303, None)
    );
    assert_eq!((h.cipher, h.compression), (0xC030, 0));
    assert_eq!(h.session_id, [0xaa, 0xbb, 0xcc, 0xdd]);
    assert!(h.secure_renegotiation());
    assert_eq!(h.heartbeat_mode(), Some(1));
    assert_eq!(h.key_share_group(), None);
    assert_eq!(h.extension(11), Some(&[1, 0][..]));
    assert!(!h.hello_retry_request);
    assert_eq!(h.downgrade_sentinel(), None);
}

#[test]
fn tls13_server_hello_and_hello_retry_request() {
    let h = hello(&[tls13(), change_cipher_spec(0x0303)].concat());
    assert_eq!((h.version, h.negotiated_version()), (0x0303, 0x0304));
    assert_eq!(h.cipher, 0x1302);
    assert_eq!(h.key_share_group(), Some(0x001d));
    assert!(!h.secure_renegotiation() && !h.hello_retry_request);
    let r = hello(&hrr());
    assert!(r.hello_retry_request);
    assert_eq!(r.key_share_group(), Some(0x0017));
    assert_eq!(r.selected_version, Some(0x0304));
}

#[test]
fn downgrade_sentinels() {
    let mut bytes = tls12();
    let random_end = 5 + 4 + 2 + 32;
    bytes[random_end - 8..random_end].copy_from_slice(b"DOWNGRD\x01");
    assert_eq!(hello(&bytes).downgrade_sentinel(), Some(0x0303));
    bytes[random_end - 1] = 0;
    assert_eq!(hello(&bytes).downgrade_sentinel(), Some(0x0302));
}

#[test]
fn sslv2_answers() {
    let Ok(Some(Reply::Sslv2ServerHello(h))) = read(&sslv2(), 64).0 else {
        panic!("an SSLv2 SERVER-HELLO");
    };
    assert_eq!(h.version, 0x0002);
    assert_eq!(h.certificate_len, 4);
    assert_eq!(h.cipher_specs, [0x010080, 0x0700C0]);
    assert_eq!(
        read(&[0x80, 0x03, 0x00, 0x00, 0x01], 5).0,
        Ok(Some(Reply::Sslv2Error { code: 1 }))
    );
    let mut short = sslv2();
    short[1] -= 1; // the connection id one byte short
    assert!(matches!(
        error(&short[..short.len() - 1]),
        RawError::Malformed { .. }
    ));
}

#[test]
fn alerts() {
    let table = [
        (
            vec![0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28],
            HANDSHAKE_FAILURE,
        ),
        (
            vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46],
            PROTOCOL_VERSION,
        ),
        (
            vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x56],
            INAPPROPRIATE_FALLBACK,
        ),
        // SSLv3 servers answer in SSLv3 records.
        (
            vec![0x15, 0x03, 0x00, 0x00, 0x02, 0x02, 0x28],
            HANDSHAKE_FAILURE,
        ),
    ];
    for (bytes, description) in table {
        let got = read(&bytes, 3).0;
        assert_eq!(
            got,
            Ok(Some(Reply::Alert(Alert {
                level: 2,
                description
            })))
        );
    }
    // An alert after the first part of a ServerHello still answers.
    let t = tls12();
    let part = [&[0x16, 0x03, 0x03, 0x00, 0x0a][..], &t[5..15]].concat();
    let bytes = [part, vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50]].concat();
    assert!(matches!(read(&bytes, 99).0, Ok(Some(Reply::Alert(a))) if a.description == 80));
}

#[test]
fn split_records_and_several_messages_per_record() {
    let t = tls12();
    let message = &t[5..];
    // The ServerHello across two records.
    let two = [
        &[0x16, 0x03, 0x03, 0x00, 0x0a][..],
        &message[..10],
        &[0x16, 0x03, 0x03, 0x00, 0x36],
        &message[10..],
    ]
    .concat();
    // A HelloRequest, the ServerHello and ServerHelloDone in one record.
    let body = [&[0, 0, 0, 0][..], message, &[0x0e, 0, 0, 0]].concat();
    let one = [&[0x16, 0x03, 0x03, 0x00, body.len() as u8][..], &body].concat();
    let want = hello(&t);
    for bytes in [&two, &one] {
        for step in [1, 2, 3, 5, 7, 64, 4096] {
            let (got, used) = read(bytes, step);
            assert_eq!(
                got,
                Ok(Some(Reply::ServerHello(want.clone()))),
                "step {step}"
            );
            assert_eq!(used, bytes.len(), "stops at the record's end");
        }
    }
}

#[test]
fn every_truncation_wants_more() {
    for answer in [tls12(), tls13(), hrr(), sslv2()] {
        for end in 0..answer.len() {
            let (got, used) = read(&answer[..end], 4);
            assert_eq!(got, Ok(None), "{end}");
            assert_eq!(used, end);
        }
    }
}

#[test]
fn broken_answers_are_errors() {
    let malformed = |b: &[u8]| matches!(error(b), RawError::Malformed { .. });
    assert!(malformed(b"220 mx.example.org ESMTP\r\n"), "plain SMTP");
    assert!(malformed(b"HTTP/1.1 400 Bad Request\r\n"));
    assert!(
        malformed(&[0x16, 0x02, 0x00, 0x00, 0x01, 0x00]),
        "version 2.0"
    );
    assert!(
        malformed(&[0x16, 0x03, 0x03, 0x48, 0x01]),
        "record over 18432"
    );
    assert!(
        malformed(&[0x16, 0x03, 0x03, 0x00, 0x00]),
        "empty handshake"
    );
    assert!(
        malformed(&[0x15, 0x03, 0x03, 0x00, 0x01, 0x02]),
        "1-byte alert"
    );
    assert!(malformed(&[0x80, 0x01, 0x07]), "SSLv2 CLIENT-MASTER-KEY");
    let mut t = tls12();
    t[5 + 4 + 34] = 33; // session id length
    assert!(malformed(&t));
    let mut t = tls12();
    t[5 + 4 + 43] = 0x11; // extensions length
    assert!(malformed(&t));
    let mut t = tls13();
    t[5 + 4 + 43] = 0x03; // supported_versions 3 bytes long
    assert!(malformed(&t));
    assert_eq!(
        error(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01]),
        RawError::UnexpectedRecord { content_type: 20 }
    );
    assert_eq!(
        error(&[0x16, 0x03, 0x03, 0x00, 0x04, 0x0b, 0x00, 0x00, 0x00]),
        RawError::UnexpectedMessage { msg_type: 11 }
    );
}

#[test]
fn caps_hold() {
    // HelloRequests, one per record, without end.
    let one = [0x16, 0x03, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00];
    let many = one.repeat(RAW_FIRST_FLIGHT_RECORDS + 1);
    let (got, used) = read(&many, 1000);
    assert_eq!(
        got,
        Err(RawError::TooLong {
            limit: RAW_FIRST_FLIGHT_RECORDS,
            unit: "records"
        })
    );
    assert!(used <= one.len() * RAW_FIRST_FLIGHT_RECORDS + 5);
    // A ServerHello said to be longer than the cap.
    let huge = [0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x01, 0x00, 0x01];
    assert!(matches!(
        error(&huge),
        RawError::TooLong { unit: "bytes", .. }
    ));
    // A ServerHello just under it, in full records: refused at the record
    // header that would pass the cap, before its body is read.
    let mut flight = vec![0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0x00, 0xff, 0xff];
    flight.extend(vec![0; 0x4000 - 4]);
    for _ in 0..4 {
        flight.extend([0x16, 0x03, 0x03, 0x40, 0x00]);
        flight.extend(vec![0; 0x4000]);
    }
    let (got, used) = read(&flight, 1000);
    assert!(
        matches!(got, Err(RawError::TooLong { unit: "bytes", .. })),
        "{got:?}"
    );
    assert!(used <= RAW_FIRST_FLIGHT_BYTES, "{used}");
}

#[tokio::test]
async fn ask_writes_the_hello_and_reads_no_further_than_the_answer() {
    let (mut client, mut server) = tokio::io::duplex(1 << 16);
    let hello_bytes = ClientHello::new(0x0303, vec![0xC030]).to_bytes();
    let answer = [tls12(), AFTER.to_vec()].concat();
    let expected = hello_bytes.clone();
    let srv = tokio::spawn(async move {
        let mut got = vec![0; expected.len()];
        server.read_exact(&mut got).await.expect("hello");
        assert_eq!(got, expected);
        server.write_all(&answer).await.expect("answer");
        server
    });
    let reply = ask(&mut client, &hello_bytes, Duration::from_secs(5)).await;
    assert!(matches!(reply, Ok(Reply::ServerHello(h)) if h.cipher == 0xC030));
    let _server = srv.await.expect("server");
    let mut rest = vec![0; AFTER.len()];
    client
        .read_exact(&mut rest)
        .await
        .expect("the rest of the flight");
    assert_eq!(rest, AFTER);
}

#[tokio::test(start_paused = true)]
async fn silence_and_closing() {
    let (mut client, _server) = tokio::io::duplex(1024);
    let after = Duration::from_secs(7);
    let e = ask(&mut client, b"hello", after)
        .await
        .expect_err("silence");
    assert_eq!(e, RawError::Timeout { after });
    assert!(e.is_timeout() && !e.is_closed());
    assert_eq!(e.to_string(), "no complete answer within 7s");
    let mut half: &[u8] = &tls12()[..20];
    let e = read_first_flight(&mut half, after)
        .await
        .expect_err("closed");
    assert_eq!(e, RawError::Closed { read: 20 });
    assert!(e.is_closed());
}

#[tokio::test]
async fn heartbeat_replies() {
    let t = Duration::from_secs(5);
    // The rest of the flight, then a response claiming 16 KiB of payload:
    // only its first 8 bytes are there, and only they are read.
    let leak = [AFTER, &[0x18, 0x03, 0x02, 0x40, 0x13, 0x02, 0x40, 0x00]].concat();
    let got = read_heartbeat_reply(&mut leak.as_slice(), t).await;
    let want = HeartbeatReply::Heartbeat {
        msg_type: 2,
        payload_len: 0x4000,
        record_len: 0x4013,
    };
    assert_eq!(got, Ok(want.clone()));
    assert!(want.leaks(0) && !want.leaks(0x4000));
    let alert = [0x15, 0x03, 0x02, 0x00, 0x02, 0x02, 0x0a];
    let got = read_heartbeat_reply(&mut alert.as_slice(), t).await;
    assert!(matches!(got, Ok(HeartbeatReply::Alert(a)) if a.description == 10));
    let data = [0x17, 0x03, 0x03, 0x00, 0x10];
    let got = read_heartbeat_reply(&mut data.as_slice(), t).await;
    assert_eq!(got, Ok(HeartbeatReply::Other { content_type: 23 }));
    let short = [0x18, 0x03, 0x03, 0x00, 0x01, 0x02];
    let got = read_heartbeat_reply(&mut short.as_slice(), t).await;
    assert!(matches!(got, Err(RawError::Malformed { .. })));
    let mut rest = AFTER;
    let got = read_heartbeat_reply(&mut rest, t).await;
    assert_eq!(got, Err(RawError::Closed { read: AFTER.len() }));
}
