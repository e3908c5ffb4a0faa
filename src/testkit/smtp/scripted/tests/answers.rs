//! Each script's answer to hand-built hellos, byte for byte where the
//! bytes matter.

use super::super::answer::{After, Step};
use super::super::{Answer, HeartbeatReply, Script};
use super::*;
use crate::tls::Protocol;

/// What the script answers to `record`.
fn answered(script: &Script, record: &[u8]) -> Answer {
    match first(script, record).0 {
        Step::Send { answer, .. } => answer,
        other => panic!("no answer: {other:?}"),
    }
}

fn server_hello(version: u16, cipher_suite: u16, compression: u8, ext: &[u16]) -> Answer {
    Answer::ServerHello {
        version,
        cipher_suite,
        compression,
        extensions: ext.to_vec(),
    }
}

#[test]
fn sslv2_answers_sslv2_hellos_with_its_specs_and_tls_hellos_with_an_alert() {
    let offer = [0x06_0040, 0x00_0035, 0x01_0080, 0x07_00C0];
    for version in [0x0002, TLS1_0] {
        let (step, after) = first(&Script::Sslv2, &sslv2_hello(version, &offer));
        assert!(after.is_none());
        let Step::Send { bytes, answer, .. } = step else {
            panic!("{step:?}")
        };
        // Its own order, only what was offered.
        let specs = vec![0x01_0080, 0x07_00C0, 0x06_0040];
        assert_eq!(answer, Answer::Sslv2ServerHello { specs });
        let leaf = b"leaf certificate";
        assert_eq!(
            usize::from(u16::from_be_bytes([bytes[0], bytes[1]]) & 0x7fff),
            bytes.len() - 2
        );
        // SERVER-HELLO, no session hit, X.509, version 2, the lengths.
        assert_eq!(bytes[2..7], [4, 0, 1, 0, 2]);
        assert_eq!(bytes[7..13], [0, leaf.len() as u8, 0, 9, 0, 16]);
        assert_eq!(&bytes[13..13 + leaf.len()], leaf);
        let specs = &bytes[13 + leaf.len()..][..9];
        assert_eq!(specs, [1, 0, 0x80, 7, 0, 0xC0, 6, 0, 0x40]);
    }
    let none = first(&Script::Sslv2, &sslv2_hello(2, &[0x00_002F])).0;
    let error = Step::Send {
        bytes: vec![0x80, 3, 0, 0, 1],
        answer: Answer::Sslv2Error(1),
        close: true,
    };
    assert_eq!(none, error);
    let tls = first(&Script::Sslv2, &tls_hello(TLS1_2, &[0x002F], &[0], NO_EXT)).0;
    let alert = Step::Send {
        bytes: vec![21, 3, 1, 0, 2, 2, 40],
        answer: Answer::Alert(40),
        close: true,
    };
    assert_eq!(tls, alert);
}

#[test]
fn export_picks_its_first_offered_suite_at_its_highest_version() {
    let tls1 = Script::Export {
        max: Protocol::Tls1,
    };
    let offer = tls_hello(TLS1_2, &[0xC02F, 0x002F, 0x0009, 0x0003], &[0], NO_EXT);
    assert_eq!(
        answered(&tls1, &offer),
        server_hello(TLS1_0, 0x0003, 0, &[])
    );
    let ssl3 = Script::Export {
        max: Protocol::Ssl3,
    };
    assert_eq!(answered(&ssl3, &offer), server_hello(SSL3, 0x0003, 0, &[]));
    let tls12 = Script::Export {
        max: Protocol::Tls1_2,
    };
    let des = tls_hello(TLS1_1, &[0x002F, 0x0015, 0x0009], &[0], &[(RI, &[0])]);
    assert_eq!(
        answered(&tls12, &des),
        server_hello(TLS1_1, 0x0009, 0, &[RI])
    );
    let scsv = tls_hello(TLS1_0, &[0x0006, 0x00FF], &[0], NO_EXT);
    assert_eq!(
        answered(&tls1, &scsv),
        server_hello(TLS1_0, 0x0006, 0, &[RI])
    );
    // An SSLv2-compatible hello is a TLS 1.0 hello.
    let compatible = sslv2_hello(TLS1_0, &[0x02_0080, 0x00_0008]);
    assert_eq!(
        answered(&tls1, &compatible),
        server_hello(TLS1_0, 0x0008, 0, &[])
    );
    let modern = tls_hello(TLS1_2, &[0xC02F, 0x1301], &[0], NO_EXT);
    assert_eq!(answered(&tls1, &modern), Answer::Alert(40));
}

#[test]
fn the_flight_is_server_hello_certificate_server_hello_done() {
    let offer = tls_hello(TLS1_2, &[0x002F], &[0], &[(RI, &[0])]);
    let Step::Send { bytes, close, .. } = first(&Script::NoRenegotiation, &offer).0 else {
        panic!("no flight")
    };
    assert!(!close);
    assert_eq!(bytes[..3], [22, 3, 3]);
    assert_eq!(
        usize::from(u16::from_be_bytes([bytes[3], bytes[4]])),
        bytes.len() - 5
    );
    let hs = &bytes[5..];
    // ServerHello: 2 + 32 + 1 + 32 + 2 + 1 bytes, no extensions.
    assert_eq!(hs[..4], [2, 0, 0, 70]);
    assert_eq!(hs[4..6], [3, 3]);
    assert_eq!(hs[4 + 2 + 32 + 1 + 32..][..3], [0, 0x2F, 0]);
    // Certificate: both of the chain, each with its 3-byte length.
    let cert = &hs[74..];
    assert_eq!(cert[..4], [11, 0, 0, 3 + 3 + 16 + 3 + 6]);
    assert_eq!(cert[4..7], [0, 0, 3 + 16 + 3 + 6]);
    assert_eq!(&cert[10..26], b"leaf certificate");
    assert_eq!(cert[4 + 3 + 28..], [14, 0, 0, 0]);
}

#[test]
fn renegotiation_info_is_echoed_except_by_no_renegotiation() {
    let offers = [
        tls_hello(TLS1_2, &[0x002F], &[0], &[(RI, &[0])]),
        tls_hello(TLS1_2, &[0x002F, 0x00FF], &[0], NO_EXT),
    ];
    for offer in &offers {
        let default = Script::CcsInjection { vulnerable: false };
        assert_eq!(
            answered(&default, offer),
            server_hello(TLS1_2, 0x002F, 0, &[RI])
        );
        let none = server_hello(TLS1_2, 0x002F, 0, &[]);
        assert_eq!(answered(&Script::NoRenegotiation, offer), none);
    }
    let without = tls_hello(TLS1_2, &[0xC02F], &[0], NO_EXT);
    assert_eq!(
        answered(&Script::Compression, &without),
        server_hello(TLS1_2, 0xC02F, 0, &[])
    );
}

#[test]
fn compression_picks_deflate_when_offered() {
    let deflate = tls_hello(TLS1_2, &[0xC02F], &[1, 0], NO_EXT);
    assert_eq!(
        answered(&Script::Compression, &deflate),
        server_hello(TLS1_2, 0xC02F, 1, &[])
    );
    let null = tls_hello(TLS1_2, &[0xC02F], &[0], NO_EXT);
    assert_eq!(
        answered(&Script::Compression, &null),
        server_hello(TLS1_2, 0xC02F, 0, &[])
    );
    assert_eq!(
        answered(&Script::NoRenegotiation, &deflate),
        server_hello(TLS1_2, 0xC02F, 0, &[])
    );
}

#[test]
fn the_fallback_scsv_is_honoured_only_when_configured() {
    let protected = Script::Fallback { scsv: true };
    let open = Script::Fallback { scsv: false };
    let fallback = tls_hello(TLS1_1, &[0xC02F, 0x002F, 0x5600], &[0], NO_EXT);
    let (step, after) = first(&protected, &fallback);
    assert!(after.is_none());
    let alert = Step::Send {
        bytes: vec![21, 3, 2, 0, 2, 2, 86],
        answer: Answer::Alert(86),
        close: true,
    };
    assert_eq!(step, alert);
    // AEAD only at TLS 1.2.
    assert_eq!(
        answered(&open, &fallback),
        server_hello(TLS1_1, 0x002F, 0, &[])
    );
    let at_best = tls_hello(TLS1_2, &[0xC02F, 0x5600], &[0], NO_EXT);
    assert_eq!(
        answered(&protected, &at_best),
        server_hello(TLS1_2, 0xC02F, 0, &[])
    );
    let unasked = tls_hello(TLS1_1, &[0x002F], &[0], NO_EXT);
    assert_eq!(
        answered(&protected, &unasked),
        server_hello(TLS1_1, 0x002F, 0, &[])
    );
}

/// The state after a ServerHello to a plain TLS 1.2 hello.
fn after(script: Script, extensions: &[(u16, &[u8])]) -> After {
    let offer = tls_hello(TLS1_2, &[0x002F], &[0], extensions);
    first(&script, &offer).1.expect("a ServerHello")
}

fn alert_step(description: u8) -> Step {
    Step::Send {
        bytes: vec![21, 3, 3, 0, 2, 2, description],
        answer: Answer::Alert(description),
        close: true,
    }
}

#[test]
fn an_early_ccs_is_accepted_only_by_the_vulnerable_server() {
    let mut vulnerable = after(Script::CcsInjection { vulnerable: true }, NO_EXT);
    assert_eq!(vulnerable.on_record(20, &[1]), Step::Wait);
    // Its Finished next: the server cannot check it.
    assert_eq!(vulnerable.on_record(22, &[20, 0, 0, 12]), alert_step(40));
    for script in [
        Script::CcsInjection { vulnerable: false },
        Script::Compression,
    ] {
        assert_eq!(
            after(script.clone(), NO_EXT).on_record(20, &[1]),
            alert_step(10)
        );
        // After the key exchange, a ChangeCipherSpec is in order.
        let mut state = after(script, NO_EXT);
        assert_eq!(state.on_record(22, &[16, 0, 0, 2, 0, 0]), Step::Wait);
        assert_eq!(state.on_record(20, &[1]), Step::Wait);
        assert_eq!(state.on_record(22, &[0; 40]), alert_step(40));
    }
    let mut state = after(Script::NoRenegotiation, NO_EXT);
    assert_eq!(state.on_record(21, &[1, 0]), Step::Wait);
    assert_eq!(state.on_record(21, &[2, 40]), Step::Close);
    assert_eq!(state.on_record(23, b"data"), alert_step(10));
}

/// A heartbeat request claiming `claimed` bytes and carrying `payload`.
fn heartbeat_request(claimed: u16, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![1];
    body.extend_from_slice(&claimed.to_be_bytes());
    body.extend_from_slice(payload);
    body.extend_from_slice(&[0xAA; 16]);
    body
}

#[test]
fn heartbeat_bleeds_discards_or_refuses() {
    let offered: &[(u16, &[u8])] = &[(HB, &[1])];
    let offer = tls_hello(TLS1_2, &[0x002F], &[0], offered);
    for reply in [HeartbeatReply::Bleed, HeartbeatReply::Discard] {
        let script = Script::Heartbeat(reply);
        assert_eq!(
            answered(&script, &offer),
            server_hello(TLS1_2, 0x002F, 0, &[HB])
        );
        // An honest request is echoed.
        let Step::Send { bytes, answer, .. } =
            after(script, offered).on_record(24, &heartbeat_request(4, b"ping"))
        else {
            panic!("no heartbeat response")
        };
        let honest = Answer::HeartbeatResponse {
            payload_length: 4,
            leaked: 0,
        };
        assert_eq!(answer, honest);
        assert_eq!(bytes[..5], [24, 3, 3, 0, 3 + 4 + 16]);
        assert_eq!(bytes[5..12], [2, 0, 4, b'p', b'i', b'n', b'g']);
    }
    let plain = tls_hello(TLS1_2, &[0x002F], &[0], NO_EXT);
    let bleeding = Script::Heartbeat(HeartbeatReply::Bleed);
    assert_eq!(
        answered(&bleeding, &plain),
        server_hello(TLS1_2, 0x002F, 0, &[])
    );

    let greedy = heartbeat_request(0x4000, b"x");
    let Step::Send { bytes, answer, .. } = after(bleeding, offered).on_record(24, &greedy) else {
        panic!("no bleed")
    };
    let bled = Answer::HeartbeatResponse {
        payload_length: 0x4000,
        leaked: 0x4000 - 1,
    };
    assert_eq!(answer, bled);
    // 3 + 16384 + 16 bytes: a full record and a second one of 19.
    assert_eq!(bytes[..8], [24, 3, 3, 0x40, 0, 2, 0x40, 0]);
    assert_eq!(bytes[8], b'x');
    assert_eq!(bytes[5 + 0x4000..][..5], [24, 3, 3, 0, 19]);
    assert_eq!(bytes.len(), 5 + 0x4000 + 5 + 19);
    assert!(bytes.windows(14).any(|w| w == b"leaked memory "));

    let discarding = after(Script::Heartbeat(HeartbeatReply::Discard), offered);
    assert_eq!(discarding.clone().on_record(24, &greedy), Step::Wait);
    let refusing = Script::Heartbeat(HeartbeatReply::Alert);
    assert_eq!(
        answered(&refusing, &offer),
        server_hello(TLS1_2, 0x002F, 0, &[])
    );
    assert_eq!(
        after(refusing, offered).on_record(24, &greedy),
        alert_step(10)
    );
}

#[test]
fn unreadable_or_too_old_hellos_get_alerts() {
    let garbage = answer::first(&Script::Compression, &Err("garbage".into()), &chain()).0;
    let decode_error = Step::Send {
        bytes: vec![21, 3, 1, 0, 2, 2, 50],
        answer: Answer::Alert(50),
        close: true,
    };
    assert_eq!(garbage, decode_error);
    let v2 = sslv2_hello(2, &[0x01_0080]);
    assert_eq!(
        answered(
            &Script::Export {
                max: Protocol::Tls1
            },
            &v2
        ),
        Answer::Alert(70)
    );
    let ssl3 = tls_hello(SSL3, &[0x002F], &[0], NO_EXT);
    assert_eq!(answered(&Script::Compression, &ssl3), Answer::Alert(70));
}
