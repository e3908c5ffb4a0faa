//! The writers, checked by parsing what they write back (with a parser that
//! exists only here) and byte by byte where the format is small.

use super::hello::{ext, DEFAULT_GROUPS, FIXED_RANDOM};
use super::*;

/// A ClientHello as a server would read it.
#[derive(Debug)]
struct Parsed {
    record_versions: Vec<u16>,
    record_lens: Vec<usize>,
    version: u16,
    random: [u8; 32],
    ciphers: Vec<u16>,
    compression: Vec<u8>,
    extensions: Vec<(u16, Vec<u8>)>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Parses records of type 22 holding one ClientHello; panics on anything
/// else (these are tests).
fn parse(mut bytes: &[u8]) -> Parsed {
    let (mut record_versions, mut record_lens, mut message) = (vec![], vec![], vec![]);
    while !bytes.is_empty() {
        assert_eq!(bytes[0], content::HANDSHAKE);
        record_versions.push(u16_at(bytes, 1));
        let len = usize::from(u16_at(bytes, 3));
        record_lens.push(len);
        message.extend_from_slice(&bytes[5..5 + len]);
        bytes = &bytes[5 + len..];
    }
    assert_eq!(message[0], 1, "client_hello");
    let len = u32::from_be_bytes([0, message[1], message[2], message[3]]) as usize;
    assert_eq!(len, message.len() - 4);
    let b = &message[4..];
    let version = u16_at(b, 0);
    let random = b[2..34].try_into().expect("32 bytes");
    assert_eq!(b[34], 0, "empty session id");
    let mut at = 35;
    let n = usize::from(u16_at(b, at));
    let ciphers = b[at + 2..at + 2 + n]
        .chunks(2)
        .map(|c| u16_at(c, 0))
        .collect();
    at += 2 + n;
    let n = usize::from(b[at]);
    let compression = b[at + 1..at + 1 + n].to_vec();
    at += 1 + n;
    let mut extensions = vec![];
    if at < b.len() {
        let end = at + 2 + usize::from(u16_at(b, at));
        assert_eq!(end, b.len(), "extensions end the message");
        at += 2;
        while at < end {
            let len = usize::from(u16_at(b, at + 2));
            extensions.push((u16_at(b, at), b[at + 4..at + 4 + len].to_vec()));
            at += 4 + len;
        }
        assert_eq!(at, end);
    }
    Parsed {
        record_versions,
        record_lens,
        version,
        random,
        ciphers,
        compression,
        extensions,
    }
}

#[test]
fn hellos_per_version_round_trip() {
    use ext::*;
    let base = [
        SUPPORTED_GROUPS,
        EC_POINT_FORMATS,
        RENEGOTIATION_INFO,
        SESSION_TICKET,
        EXTENDED_MASTER_SECRET,
    ];
    // version offered, record version, legacy_version, extension types
    let table: [(u16, u16, u16, Vec<u16>); 5] = [
        (0x0300, 0x0300, 0x0300, vec![]),
        (0x0301, 0x0301, 0x0301, base.to_vec()),
        (0x0302, 0x0301, 0x0302, base.to_vec()),
        (
            0x0303,
            0x0301,
            0x0303,
            [&base[..], &[SIGNATURE_ALGORITHMS]].concat(),
        ),
        (
            0x0304,
            0x0301,
            0x0303,
            [
                &base[..],
                &[SIGNATURE_ALGORITHMS, SUPPORTED_VERSIONS, KEY_SHARE],
            ]
            .concat(),
        ),
    ];
    let ciphers = vec![0x0003, 0x0009, 0xC030, 0x1301, 0x00FF, 0x5600];
    for (offered, record, legacy, types) in table {
        let hello = ClientHello::new(offered, ciphers.clone());
        let p = parse(&hello.to_bytes());
        assert_eq!(p.record_versions, [record], "{offered:#06x}");
        assert_eq!(p.version, legacy);
        assert_eq!(p.random, FIXED_RANDOM);
        assert_eq!(p.ciphers, ciphers, "SCSVs are sent as they are");
        assert_eq!(p.compression, [0]);
        let got: Vec<u16> = p.extensions.iter().map(|(t, _)| *t).collect();
        assert_eq!(got, types, "{offered:#06x}");
    }
}

#[test]
fn extensions_are_encoded_as_the_rfcs_say() {
    let x = |e: Extension| e.encode();
    let mut sni = vec![0, 17, 0, 0, 14];
    sni.extend_from_slice(b"mx.example.org");
    assert_eq!(x(Extension::ServerName("mx.example.org".into())), (0, sni));
    assert_eq!(
        x(Extension::SupportedGroups(vec![0x001d, 0x0017])),
        (10, vec![0, 4, 0, 0x1d, 0, 0x17])
    );
    assert_eq!(
        x(Extension::EcPointFormats(vec![0, 1, 2])),
        (11, vec![3, 0, 1, 2])
    );
    assert_eq!(
        x(Extension::SignatureAlgorithms(vec![0x0201, 0x0101])),
        (13, vec![0, 4, 2, 1, 1, 1])
    );
    assert_eq!(
        x(Extension::SupportedVersions(vec![0x0304, 0x0303])),
        (43, vec![4, 3, 4, 3, 3])
    );
    let (kind, share) = x(Extension::KeyShareX25519);
    assert_eq!(kind, 51);
    assert_eq!(share[..6], [0, 36, 0, 0x1d, 0, 32]);
    assert_eq!(share[6..], X25519_PUBLIC);
    assert_eq!(x(Extension::RenegotiationInfo), (0xff01, vec![0]));
    assert_eq!(x(Extension::Heartbeat(1)), (15, vec![1]));
    assert_eq!(x(Extension::SessionTicket), (35, vec![]));
    assert_eq!(x(Extension::ExtendedMasterSecret), (23, vec![]));
    assert_eq!(x(Extension::Raw(0x1234, vec![9, 9])), (0x1234, vec![9, 9]));
    // Old servers with old certificates need SHA-1 and MD5 signatures.
    for old in [0x0201, 0x0203, 0x0101] {
        assert!(hello::DEFAULT_SIGNATURE_ALGORITHMS.contains(&old));
    }
    assert_eq!(DEFAULT_GROUPS[0], hello::X25519);
}

#[test]
fn probes_change_what_they_need() {
    let mut hello = ClientHello::new(0x0301, vec![0x0005]).with_server_name("mx.example.org");
    hello.compression = vec![1, 0];
    hello.random = [7; 32];
    hello.extensions.push(Extension::Heartbeat(1));
    let p = parse(&hello.to_bytes());
    assert_eq!(p.compression, [1, 0], "DEFLATE asked for");
    assert_eq!(p.random, [7; 32]);
    assert_eq!(p.extensions[0].0, ext::SERVER_NAME, "server_name first");
    assert_eq!(p.extensions.last(), Some(&(ext::HEARTBEAT, vec![1])));
}

#[test]
fn long_hellos_are_split_into_records() {
    let ciphers: Vec<u16> = (0..10_000).collect();
    let hello = ClientHello::new(0x0303, ciphers.clone());
    let p = parse(&hello.to_bytes());
    assert_eq!(p.record_lens.len(), 2);
    assert_eq!(p.record_lens[0], MAX_FRAGMENT);
    assert_eq!(p.ciphers, ciphers);
    assert_eq!(hello.message().len(), p.record_lens.iter().sum::<usize>());
}

#[test]
fn sslv2_client_hello_bytes() {
    let bytes = Sslv2ClientHello::all_ciphers().to_bytes();
    let head = [0x80, 46, 1, 0, 2, 0, 21, 0, 0, 0, 16];
    assert_eq!(bytes[..11], head);
    let specs: Vec<u32> = bytes[11..32]
        .chunks(3)
        .map(|c| u32::from_be_bytes([0, c[0], c[1], c[2]]))
        .collect();
    assert_eq!(specs, SSLV2_CIPHERS.map(|(k, _)| k));
    assert_eq!(bytes[32..], *b"mxprobe sslv2 ch");
    assert_eq!(specs[0], 0x010080);
    assert_eq!(specs[6], 0x0700C0);
    assert_eq!(
        sslv2::cipher_name(0x060040),
        Some("SSL_CK_DES_64_CBC_WITH_MD5")
    );
    assert_eq!(sslv2::cipher_name(0x00002F), None);

    // A compatible hello: SSLv2 framing, a TLS version, TLS suites.
    let compat = Sslv2ClientHello {
        version: 0x0301,
        cipher_specs: vec![0x00002F, 0x010080],
        challenge: [0; 16],
    };
    let bytes = compat.to_bytes();
    assert_eq!(bytes[..11], [0x80, 31, 1, 3, 1, 0, 6, 0, 0, 0, 16]);
    assert_eq!(bytes[11..17], [0, 0, 0x2f, 1, 0, 0x80]);
}

#[test]
fn heartbeat_and_change_cipher_spec_records() {
    assert_eq!(
        heartbeat_request(0x0302, &[], 0x4000),
        [24, 3, 2, 0, 3, 1, 0x40, 0]
    );
    assert_eq!(
        heartbeat_request(0x0303, b"ab", 2),
        [24, 3, 3, 0, 5, 1, 0, 2, b'a', b'b']
    );
    assert_eq!(change_cipher_spec(0x0303), [20, 3, 3, 0, 1, 1]);
}

#[test]
fn wire_versions() {
    for p in Protocol::ALL {
        assert_eq!(protocol_of(wire_version(p)), Some(p));
    }
    assert_eq!(wire_version(Protocol::Tls1_2), 0x0303);
    assert_eq!(protocol_of(0x0002), None);
}
