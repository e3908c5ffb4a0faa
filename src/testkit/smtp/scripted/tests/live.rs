//! The scripted servers on loopback: the SMTP part is the test server's,
//! the answers reach the client as built, a real OpenSSL client accepts
//! the flight (and notices what is wrong with it), and garbage on the
//! wire ends a session without a panic.

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use openssl::ssl::{Ssl, SslContextBuilder, SslMethod, SslMode, SslVerifyMode, SslVersion};
use openssl::x509::X509;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_openssl::SslStream;

use super::super::{serve, Prepared};
use super::*;
use crate::smtp::{Dialogue, Negotiated};
use crate::testkit::smtp::{
    version_options, Answer, HeartbeatReply, Script, ScriptedSession, ServerConfig, Session,
    SmtpServer,
};
use crate::tls::Protocol;

const STEP: Duration = Duration::from_secs(5);

async fn server(script: Script) -> SmtpServer {
    let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
    SmtpServer::start(bind, ServerConfig::scripted(script))
        .await
        .unwrap()
}

/// EHLO, STARTTLS: the stream ready for a hello.
async fn starttls(addr: SocketAddr) -> TcpStream {
    let dialogue = Dialogue {
        ehlo_name: "probe.example".into(),
        timeout: STEP,
    };
    match dialogue
        .starttls(TcpStream::connect(addr).await.unwrap())
        .await
    {
        Ok(Negotiated::Ready { stream, .. }) => stream,
        _ => panic!("no STARTTLS"),
    }
}

/// The next TLS record: content type and body.
async fn record(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut header = [0u8; 5];
    timeout(STEP, tcp.read_exact(&mut header))
        .await
        .unwrap()
        .unwrap();
    let mut body = vec![0; usize::from(u16::from_be_bytes([header[3], header[4]]))];
    tcp.read_exact(&mut body).await.unwrap();
    (header[0], body)
}

/// Closes, then the one session as the server saw it.
async fn session(server: &SmtpServer, tcp: TcpStream) -> (Session, ScriptedSession) {
    drop(tcp);
    let sessions = timeout(STEP, server.finished_sessions(1)).await.unwrap();
    assert_eq!(server.connections(), 1);
    let session = sessions[0].clone();
    assert_eq!(session.commands, ["EHLO probe.example", "STARTTLS"]);
    assert!(session.closed && session.tls.is_none());
    (session.clone(), session.scripted.unwrap())
}

#[tokio::test]
async fn sslv2_sends_its_server_hello_with_the_test_certificate() {
    let server = server(Script::Sslv2).await;
    let mut tcp = starttls(server.addr()).await;
    tcp.write_all(&sslv2_hello(2, &[0x01_0080, 0x06_0040]))
        .await
        .unwrap();
    let mut header = [0u8; 2];
    tcp.read_exact(&mut header).await.unwrap();
    let mut body = vec![0; usize::from(u16::from_be_bytes(header) & 0x7fff)];
    tcp.read_exact(&mut body).await.unwrap();
    assert_eq!(body[0], 4, "SERVER-HELLO");
    let cert_len = usize::from(u16::from_be_bytes([body[5], body[6]]));
    let leaf = X509::from_der(&body[11..11 + cert_len]).unwrap();
    assert!(format!("{:?}", leaf.subject_name()).contains("mx"));
    let (_, log) = session(&server, tcp).await;
    assert_eq!(log.hello.unwrap().sslv2_specs, [0x01_0080, 0x06_0040]);
    let specs = vec![0x01_0080, 0x06_0040];
    assert_eq!(log.answers, [Answer::Sslv2ServerHello { specs }]);
}

#[tokio::test]
async fn export_answers_a_server_hello_with_an_export_suite() {
    let server = server(Script::Export {
        max: Protocol::Tls1,
    })
    .await;
    let mut tcp = starttls(server.addr()).await;
    let offer = tls_hello(TLS1_2, &[0xC02F, 0x0003], &[0], &[(RI, &[0])]);
    tcp.write_all(&offer).await.unwrap();
    let (kind, body) = record(&mut tcp).await;
    assert_eq!((kind, body[0], &body[4..6]), (22, 2, &[3, 1][..]));
    assert_eq!(body[4 + 2 + 32 + 1 + 32..][..3], [0, 3, 0]);
    let (_, log) = session(&server, tcp).await;
    assert_eq!(log.hello.unwrap().cipher_suites, [0xC02F, 0x0003]);
    assert!(matches!(
        log.answers[..],
        [Answer::ServerHello {
            cipher_suite: 3,
            ..
        }]
    ));
}

#[tokio::test]
async fn heartbeat_bleeds_over_the_wire() {
    let server = server(Script::Heartbeat(HeartbeatReply::Bleed)).await;
    let mut tcp = starttls(server.addr()).await;
    tcp.write_all(&tls_hello(TLS1_2, &[0x002F], &[0], &[(HB, &[1])]))
        .await
        .unwrap();
    assert_eq!(record(&mut tcp).await.0, 22);
    // Type request, claiming 256 bytes, carrying one and the padding.
    let mut request = vec![24, 3, 3, 0, 20, 1, 1, 0, b'!'];
    request.extend_from_slice(&[0; 16]);
    tcp.write_all(&request).await.unwrap();
    let (kind, body) = record(&mut tcp).await;
    assert_eq!((kind, body.len()), (24, 3 + 256 + 16));
    assert_eq!(body[..4], [2, 1, 0, b'!']);
    let (_, log) = session(&server, tcp).await;
    assert_eq!(log.records.len(), 1);
    assert_eq!(
        (log.records[0].content_type, log.records[0].length),
        (24, 20)
    );
    let bled = Answer::HeartbeatResponse {
        payload_length: 256,
        leaked: 255,
    };
    assert_eq!(log.answers[1..], [bled]);
}

/// An in-process OpenSSL client: TLS 1.0–`max`, AES128-SHA only, no
/// verification. Returns its error.
async fn openssl_client(tcp: TcpStream, max: SslVersion, fallback: bool) -> String {
    let mut ctx = SslContextBuilder::new(SslMethod::tls_client()).unwrap();
    ctx.clear_options(version_options());
    ctx.set_security_level(0);
    ctx.set_min_proto_version(Some(SslVersion::TLS1)).unwrap();
    ctx.set_max_proto_version(Some(max)).unwrap();
    ctx.set_cipher_list("AES128-SHA:@SECLEVEL=0").unwrap();
    ctx.set_verify(SslVerifyMode::NONE);
    if fallback {
        ctx.set_mode(SslMode::SEND_FALLBACK_SCSV);
    }
    let ssl = Ssl::new(&ctx.build()).unwrap();
    let mut tls = SslStream::new(ssl, tcp).unwrap();
    let result = timeout(STEP, Pin::new(&mut tls).connect()).await.unwrap();
    result
        .expect_err("a scripted server cannot finish")
        .to_string()
}

#[tokio::test]
async fn a_real_client_takes_the_flight_and_is_refused_at_its_finished() {
    let server = server(Script::CcsInjection { vulnerable: false }).await;
    let error = openssl_client(starttls(server.addr()).await, SslVersion::TLS1_2, false).await;
    assert!(error.contains("handshake failure"), "{error}");
    let sessions = timeout(STEP, server.finished_sessions(1)).await.unwrap();
    let log = sessions[0].scripted.clone().unwrap();
    // ClientKeyExchange, ChangeCipherSpec, Finished.
    let kinds: Vec<u8> = log.records.iter().map(|r| r.content_type).collect();
    assert_eq!(kinds, [22, 20, 22]);
    assert_eq!(log.answers.last(), Some(&Answer::Alert(40)));
}

#[tokio::test]
async fn a_real_client_refuses_a_server_hello_without_renegotiation_info() {
    let server = server(Script::NoRenegotiation).await;
    let error = openssl_client(starttls(server.addr()).await, SslVersion::TLS1_2, false).await;
    assert!(error.contains("legacy renegotiation"), "{error}");
    let sessions = timeout(STEP, server.finished_sessions(1)).await.unwrap();
    let log = sessions[0].scripted.clone().unwrap();
    let hello = log.hello.unwrap();
    assert!(hello.renegotiation_info.is_some() || hello.offers(0x00FF));
    assert!(
        matches!(&log.answers[..], [Answer::ServerHello { extensions, .. }] if extensions.is_empty())
    );
}

#[tokio::test]
async fn a_real_client_falling_back_meets_inappropriate_fallback() {
    let server = server(Script::Fallback { scsv: true }).await;
    let error = openssl_client(starttls(server.addr()).await, SslVersion::TLS1_1, true).await;
    assert!(error.contains("inappropriate fallback"), "{error}");
    let sessions = timeout(STEP, server.finished_sessions(1)).await.unwrap();
    let log = sessions[0].scripted.clone().unwrap();
    assert!(log.hello.unwrap().offers(0x5600));
    assert_eq!(log.answers, [Answer::Alert(86)]);
}

/// Feeds `bytes` to `script` over an in-memory stream, then closes.
async fn fed(prepared: &Prepared, bytes: &[u8]) -> Option<ScriptedSession> {
    let (mut client, mut server) = tokio::io::duplex(1 << 17);
    let log = std::sync::Mutex::new(None);
    let publish = |s: &ScriptedSession| *log.lock().unwrap() = Some(s.clone());
    // The server's end closes when it is done, as a socket would.
    let served =
        async move { serve(&mut server, prepared, Duration::from_millis(50), &publish).await };
    let feed = async {
        let _ = client.write_all(bytes).await;
        let _ = client.shutdown().await;
        let mut sink = Vec::new();
        let _ = client.read_to_end(&mut sink).await;
    };
    let (result, ()) = tokio::join!(served, feed);
    // The client going away mid-answer is an I/O error, and fine.
    drop(result);
    log.into_inner().unwrap()
}

#[tokio::test]
async fn garbage_on_the_wire_ends_the_session_without_a_panic() {
    let valid = tls_hello(TLS1_2, &[0x002F], &[0, 1], &[(RI, &[0]), (HB, &[1])]);
    let mut seed = 0x2545_F491_4F6C_DD1D;
    for script in every_script() {
        let prepared = Prepared::new(&script).unwrap();
        for _ in 0..40 {
            let mut bytes = valid.clone();
            let cut = (noise(&mut seed) as usize) % (bytes.len() + 1);
            bytes.truncate(cut);
            if noise(&mut seed).is_multiple_of(2) && !bytes.is_empty() {
                let at = noise(&mut seed) as usize % bytes.len();
                bytes[at] = noise(&mut seed) as u8;
            }
            // Records after the hello: noise in TLS framing.
            if cut == valid.len() {
                for _ in 0..noise(&mut seed) % 5 {
                    let len = (noise(&mut seed) % 40) as u8;
                    bytes.extend_from_slice(&[20 + (noise(&mut seed) % 6) as u8, 3, 3, 0, len]);
                    bytes.extend((0..len).map(|_| noise(&mut seed) as u8));
                }
            }
            let log = fed(&prepared, &bytes).await.expect("a session record");
            assert!(log.hello.is_ok() || log.answers.len() <= 1, "{log:?}");
        }
        let nonsense: Vec<u8> = (0..64).map(|_| noise(&mut seed) as u8).collect();
        let log = fed(&prepared, &nonsense).await.unwrap();
        assert!(log.hello.is_err(), "{log:?}");
        let log = fed(&prepared, b"EHLO again\r\n").await.unwrap();
        assert_eq!(log.answers, [Answer::Alert(50)]);
    }
}

/// Whether anything arrives within a moment.
async fn silent(tcp: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    timeout(Duration::from_millis(300), tcp.read(&mut byte))
        .await
        .is_err()
}

#[tokio::test]
async fn an_early_ccs_meets_silence_or_unexpected_message() {
    for vulnerable in [true, false] {
        let server = server(Script::CcsInjection { vulnerable }).await;
        let mut tcp = starttls(server.addr()).await;
        tcp.write_all(&tls_hello(TLS1_2, &[0x002F], &[0], NO_EXT))
            .await
            .unwrap();
        assert_eq!(record(&mut tcp).await.0, 22);
        tcp.write_all(&[20, 3, 3, 0, 1, 1]).await.unwrap();
        if vulnerable {
            assert!(silent(&mut tcp).await);
        } else {
            assert_eq!(record(&mut tcp).await, (21, vec![2, 10]));
        }
        let (_, log) = session(&server, tcp).await;
        assert_eq!(log.records[0].content_type, 20);
        assert_eq!(log.answers.len(), if vulnerable { 1 } else { 2 });
    }
}

#[tokio::test]
async fn every_scripted_scenario_answers_a_hello() {
    let hello = tls_hello(
        TLS1_2,
        &[0x002F, 0x0003],
        &[1, 0],
        &[(RI, &[0]), (HB, &[1])],
    );
    let scenarios = crate::testkit::scenarios::all();
    let scripted: Vec<_> = scenarios
        .iter()
        .filter(|s| s.config.scripted.is_some())
        .collect();
    let names: Vec<_> = scripted.iter().map(|s| s.name).collect();
    let expected = [
        "sslv2",
        "export",
        "heartbleed",
        "compression",
        "no-renegotiation",
        "no-fallback-scsv",
        "ccs-injection",
    ];
    assert_eq!(names, expected);
    for scenario in scripted {
        let server = SmtpServer::start("127.0.0.1:0".parse().unwrap(), scenario.config.clone())
            .await
            .unwrap();
        let mut tcp = starttls(server.addr()).await;
        tcp.write_all(&hello).await.unwrap();
        let (kind, _) = record(&mut tcp).await;
        let (_, log) = session(&server, tcp).await;
        let answer = &log.answers[0];
        match scenario.name {
            "sslv2" => assert_eq!((kind, answer), (21, &Answer::Alert(40))),
            _ => assert!(kind == 22 && matches!(answer, Answer::ServerHello { .. })),
        }
    }
}
