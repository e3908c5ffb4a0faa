//! The SMTP dialogue against the test server over real loopback TCP, plus an
//! OpenSSL client handshake: what the test server offers is really offered,
//! and every misbehaviour fails the way its documentation says.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use mxprobe::smtp::{self, Dialogue, Negotiated, Reply, SmtpError, SmtpFailure, SmtpInfo, Step};
use mxprobe::testkit::smtp::{
    cert, cert_alone, dh_params, legacy_provider, ssl_version, version_options, Misbehaviour,
    ServerConfig, Session, SmtpServer, TlsConfig,
};
use mxprobe::tls::Protocol;
use openssl::pkey::Id;
use openssl::ssl::{Ssl, SslContextBuilder, SslMethod, SslVerifyMode};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_openssl::SslStream;

const STEP: Duration = Duration::from_secs(3);
const EHLO: &str = "EHLO probe.example.net";

async fn server(config: ServerConfig) -> SmtpServer {
    SmtpServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

async fn dialogue(addr: SocketAddr, step: Duration) -> Result<Negotiated<TcpStream>, SmtpFailure> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let d = Dialogue {
        ehlo_name: "probe.example.net".into(),
        timeout: step,
    };
    d.starttls(tcp).await
}

async fn failure(addr: SocketAddr, step: Duration) -> SmtpError {
    match dialogue(addr, step).await {
        Err(f) => f.error,
        Ok(n) => panic!("expected a failure, got {n:?}"),
    }
}

/// The dialogue, then a TLS handshake from a client that allows everything
/// OpenSSL has (as the prober will), narrowed by `configure`.
async fn handshake(
    addr: SocketAddr,
    configure: impl FnOnce(&mut SslContextBuilder),
) -> Result<(SmtpInfo, SslStream<TcpStream>), String> {
    let (stream, info) = match dialogue(addr, STEP).await {
        Ok(Negotiated::Ready { stream, info }) => (stream, info),
        Ok(Negotiated::NoStartTls { .. }) => return Err("no STARTTLS".into()),
        Err(f) => return Err(f.to_string()),
    };
    assert!(legacy_provider());
    let mut b = SslContextBuilder::new(SslMethod::tls_client()).unwrap();
    b.clear_options(version_options());
    b.set_security_level(0);
    b.set_cipher_list("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
        .unwrap();
    b.set_verify(SslVerifyMode::NONE);
    configure(&mut b);
    let mut ssl = Ssl::new(&b.build()).unwrap();
    ssl.set_hostname("mx.example.test").unwrap();
    let mut tls = SslStream::new(ssl, stream).unwrap();
    match timeout(STEP, Pin::new(&mut tls).connect()).await {
        Ok(Ok(())) => Ok((info, tls)),
        Ok(Err(e)) => Err(format!("handshake: {e}")),
        Err(_) => Err("handshake timed out".into()),
    }
}

fn only(b: &mut SslContextBuilder, p: Protocol) {
    b.set_min_proto_version(Some(ssl_version(p))).unwrap();
    b.set_max_proto_version(Some(ssl_version(p))).unwrap();
}

fn tls12_cipher(cipher: &'static str) -> impl FnOnce(&mut SslContextBuilder) {
    move |b| {
        only(b, Protocol::Tls1_2);
        b.set_cipher_list(&format!("{cipher}:@SECLEVEL=0")).unwrap();
    }
}

/// Narrows the test client's OpenSSL settings.
type Configure = Box<dyn FnOnce(&mut SslContextBuilder)>;

fn negotiated(tls: &SslStream<TcpStream>) -> (String, String) {
    let ssl = tls.ssl();
    (
        ssl.version_str().to_string(),
        ssl.current_cipher().unwrap().name().to_string(),
    )
}

async fn finished(server: &SmtpServer, n: usize) -> Vec<Session> {
    timeout(STEP, server.finished_sessions(n)).await.unwrap()
}

#[tokio::test]
async fn tls13_then_quit_over_tls_with_full_transcript() {
    let server = server(ServerConfig::default()).await;
    let (info, mut tls) = handshake(server.addr(), |_| {}).await.unwrap();
    assert_eq!(info.banner_host.as_deref(), Some("mx.example.test"));
    assert!(info.starttls);
    assert_eq!(negotiated(&tls).0, "TLSv1.3");
    let bye = smtp::quit(&mut tls, STEP).await.unwrap();
    assert_eq!(bye.code, 221);
    drop(tls);
    let sessions = finished(&server, 1).await;
    let s = &sessions[0];
    assert_eq!(s.number, 1);
    assert_eq!(s.commands, [EHLO, "STARTTLS"]);
    assert_eq!(s.tls_commands, ["QUIT"]);
    assert_eq!(s.pipelined_after_starttls, 0);
    let t = s.tls.clone().unwrap().unwrap();
    assert_eq!(t.protocol, Protocol::Tls1_3);
    assert_eq!(t.sni.as_deref(), Some("mx.example.test"));
    assert!(s.closed);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn tls12_ecdhe() {
    let server = server(ServerConfig::default()).await;
    let (_, tls) = handshake(server.addr(), tls12_cipher("ECDHE-RSA-AES128-GCM-SHA256"))
        .await
        .unwrap();
    assert_eq!(
        negotiated(&tls),
        ("TLSv1.2".into(), "ECDHE-RSA-AES128-GCM-SHA256".into())
    );
}

#[tokio::test]
async fn ssl3_only() {
    let config = TlsConfig::default()
        .only(Protocol::Ssl3)
        .ciphers("AES128-SHA");
    let server = server(ServerConfig::with_tls(config)).await;
    let (_, tls) = handshake(server.addr(), |b| only(b, Protocol::Ssl3))
        .await
        .unwrap();
    assert_eq!(negotiated(&tls), ("SSLv3".into(), "AES128-SHA".into()));
    // A client that starts at TLS 1.0 gets nowhere.
    let refused = handshake(server.addr(), |b| {
        b.set_min_proto_version(Some(ssl_version(Protocol::Tls1)))
            .unwrap();
    })
    .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn tls10_rc4() {
    let config = TlsConfig::default().only(Protocol::Tls1).ciphers("RC4-SHA");
    let server = server(ServerConfig::with_tls(config)).await;
    let (_, tls) = handshake(server.addr(), |b| only(b, Protocol::Tls1))
        .await
        .unwrap();
    assert_eq!(negotiated(&tls), ("TLSv1".into(), "RC4-SHA".into()));
}

#[tokio::test]
async fn triple_des_and_anonymous_dh() {
    for cipher in ["DES-CBC3-SHA", "ADH-AES128-SHA"] {
        let server = server(ServerConfig::with_tls(TlsConfig::default().ciphers(cipher))).await;
        let (_, tls) = handshake(server.addr(), tls12_cipher(cipher))
            .await
            .unwrap();
        assert_eq!(negotiated(&tls), ("TLSv1.2".into(), cipher.into()));
    }
}

/// Legacy ciphers at the versions they exist in (IDEA: TLS 1.0-1.1 only;
/// SEED: not SSLv3). RC4, SEED and IDEA need the legacy provider.
#[tokio::test]
async fn legacy_ciphers_handshake() {
    let cases = [
        ("RC4-MD5", Protocol::Ssl3),
        ("SEED-SHA", Protocol::Tls1_2),
        ("IDEA-CBC-SHA", Protocol::Tls1_1),
        ("CAMELLIA256-SHA", Protocol::Tls1),
        ("NULL-SHA", Protocol::Tls1_2),
        ("AECDH-AES128-SHA", Protocol::Tls1),
    ];
    for (cipher, version) in cases {
        let config = TlsConfig::default().only(version).ciphers(cipher);
        let server = server(ServerConfig::with_tls(config)).await;
        let (_, tls) = handshake(server.addr(), |b| only(b, version))
            .await
            .unwrap();
        assert_eq!(negotiated(&tls), (version.to_string(), cipher.into()));
    }
}

#[tokio::test]
async fn dhe_with_1024_bit_params() {
    let config = TlsConfig {
        dh_params: Some(dh_params(1024)),
        ..TlsConfig::default().ciphers("DHE-RSA-AES128-GCM-SHA256")
    };
    let server = server(ServerConfig::with_tls(config)).await;
    let (_, tls) = handshake(server.addr(), tls12_cipher("DHE-RSA-AES128-GCM-SHA256"))
        .await
        .unwrap();
    let key = tls.ssl().peer_tmp_key().unwrap();
    assert_eq!((key.id(), key.bits()), (Id::DH, 1024));
}

#[tokio::test]
async fn dual_certificates_are_picked_by_what_the_client_accepts() {
    let config = TlsConfig {
        certs: vec![cert("mx-rsa"), cert("mx-ecdsa")],
        ..TlsConfig::default()
    };
    let server = server(ServerConfig::with_tls(config)).await;
    let cases: [(&str, Configure, Id); 3] = [
        (
            "tls12 ecdsa",
            Box::new(tls12_cipher("ECDHE-ECDSA-AES128-GCM-SHA256")),
            Id::EC,
        ),
        (
            "tls12 rsa",
            Box::new(tls12_cipher("ECDHE-RSA-AES128-GCM-SHA256")),
            Id::RSA,
        ),
        (
            "tls13 ecdsa",
            Box::new(|b: &mut SslContextBuilder| b.set_sigalgs_list("ECDSA+SHA256").unwrap()),
            Id::EC,
        ),
    ];
    for (name, configure, key) in cases {
        let (_, tls) = handshake(server.addr(), configure).await.unwrap();
        let chain = tls.ssl().peer_cert_chain().unwrap();
        assert_eq!(chain[0].public_key().unwrap().id(), key, "{name}");
        assert_eq!(chain.len(), 2, "{name}: leaf and CA");
    }
}

#[tokio::test]
async fn incomplete_chain_is_presented_as_configured() {
    let with = |c| {
        ServerConfig::with_tls(TlsConfig {
            certs: vec![c],
            ..TlsConfig::default()
        })
    };
    let full = server(with(cert("mx-inter"))).await;
    let alone = server(with(cert_alone("mx-inter"))).await;
    let (_, tls) = handshake(full.addr(), |_| {}).await.unwrap();
    assert_eq!(tls.ssl().peer_cert_chain().unwrap().len(), 3);
    let (_, tls) = handshake(alone.addr(), |_| {}).await.unwrap();
    assert_eq!(tls.ssl().peer_cert_chain().unwrap().len(), 1);
}

#[tokio::test]
async fn a_client_aborting_the_handshake_is_recorded() {
    let config = TlsConfig::default().only(Protocol::Tls1_2);
    let server = server(ServerConfig::with_tls(config)).await;
    let err = handshake(server.addr(), |b| only(b, Protocol::Tls1_3))
        .await
        .unwrap_err();
    assert!(err.starts_with("handshake"), "{err}");
    let sessions = finished(&server, 1).await;
    assert!(
        matches!(&sessions[0].tls, Some(Err(_))),
        "{:?}",
        sessions[0].tls
    );
    // and the server carries on
    handshake(server.addr(), |_| {}).await.unwrap();
}

fn rejected(e: &SmtpError) -> (Step, u16) {
    match e {
        SmtpError::Rejected {
            step,
            reply: Reply { code, .. },
        } => (*step, *code),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn greeting_misbehaviours() {
    let s = server(ServerConfig::misbehaving(Misbehaviour::Reject421AtGreeting)).await;
    let e = failure(s.addr(), STEP).await;
    assert_eq!(rejected(&e), (Step::Greeting, 421));
    assert!(e.is_transient() && e.is_too_many_connections());

    let s = server(ServerConfig::misbehaving(Misbehaviour::Garbage)).await;
    let e = failure(s.addr(), STEP).await;
    assert!(
        matches!(
            e,
            SmtpError::Malformed {
                step: Step::Greeting,
                ..
            }
        ),
        "{e}"
    );

    let s = server(ServerConfig::misbehaving(Misbehaviour::EndlessGreeting)).await;
    let e = failure(s.addr(), STEP).await;
    assert!(
        matches!(
            e,
            SmtpError::TooManyLines {
                step: Step::Greeting,
                ..
            }
        ),
        "{e}"
    );

    let s = server(ServerConfig::misbehaving(Misbehaviour::LongLine {
        bytes: 10_000,
    }))
    .await;
    let e = failure(s.addr(), STEP).await;
    assert!(
        matches!(
            e,
            SmtpError::LineTooLong {
                step: Step::Greeting,
                ..
            }
        ),
        "{e}"
    );
    // Nobody sent a command to any of them.
    assert!(finished(&s, 1).await[0].commands.is_empty());
}

#[tokio::test]
async fn slow_and_silent_servers_time_out_per_step() {
    let quick = Duration::from_millis(200);
    let s = server(ServerConfig::misbehaving(Misbehaviour::NeverAnswer)).await;
    let started = Instant::now();
    let e = failure(s.addr(), quick).await;
    assert!(
        matches!(
            e,
            SmtpError::Timeout {
                step: Step::Greeting,
                ..
            }
        ),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));

    let drip = |ms| Misbehaviour::DripGreeting {
        per_byte: Duration::from_millis(ms),
    };
    let s = server(ServerConfig::misbehaving(drip(20))).await;
    let e = failure(s.addr(), quick).await;
    assert!(
        matches!(
            e,
            SmtpError::Timeout {
                step: Step::Greeting,
                ..
            }
        ),
        "{e}"
    );
    let s = server(ServerConfig::misbehaving(drip(1))).await;
    assert!(matches!(
        dialogue(s.addr(), STEP).await,
        Ok(Negotiated::Ready { .. })
    ));

    let delayed = ServerConfig {
        greeting_delay: Duration::from_millis(400),
        ..ServerConfig::default()
    };
    let s = server(delayed).await;
    let e = failure(s.addr(), quick).await;
    assert!(
        matches!(
            e,
            SmtpError::Timeout {
                step: Step::Greeting,
                ..
            }
        ),
        "{e}"
    );
    assert!(matches!(
        dialogue(s.addr(), STEP).await,
        Ok(Negotiated::Ready { .. })
    ));
}

#[tokio::test]
async fn ehlo_misbehaviours() {
    let s = server(ServerConfig::misbehaving(Misbehaviour::DropAfterEhlo)).await;
    let e = failure(s.addr(), STEP).await;
    assert!(matches!(e, SmtpError::Closed { step: Step::Ehlo }), "{e}");

    let s = server(ServerConfig::misbehaving(Misbehaviour::EhloRejected(502))).await;
    let e = failure(s.addr(), STEP).await;
    assert_eq!(rejected(&e), (Step::Ehlo, 502));
    assert_eq!(finished(&s, 1).await[0].commands, [EHLO, "QUIT"]);

    let plain = ServerConfig {
        starttls: false,
        ..ServerConfig::default()
    };
    let s = server(plain).await;
    let Ok(Negotiated::NoStartTls { info }) = dialogue(s.addr(), STEP).await else {
        panic!("STARTTLS offered")
    };
    assert!(info.extensions.iter().any(|e| e == "PIPELINING"));
    assert_eq!(finished(&s, 1).await[0].commands, [EHLO, "QUIT"]);
}

#[tokio::test]
async fn starttls_misbehaviours() {
    let s = server(ServerConfig::misbehaving(Misbehaviour::StarttlsRejected(
        454,
    )))
    .await;
    let e = failure(s.addr(), STEP).await;
    assert_eq!(rejected(&e), (Step::Starttls, 454));
    assert_eq!(
        finished(&s, 1).await[0].commands,
        [EHLO, "STARTTLS", "QUIT"]
    );

    let no_cert = ServerConfig {
        tls: None,
        ..ServerConfig::default()
    };
    let s = server(no_cert).await;
    assert_eq!(
        rejected(&failure(s.addr(), STEP).await),
        (Step::Starttls, 454)
    );

    let s = server(ServerConfig::misbehaving(Misbehaviour::InjectAfterStarttls)).await;
    let e = failure(s.addr(), STEP).await;
    assert!(
        matches!(&e, SmtpError::Injection { bytes: 20, preview } if preview == "250 2.0.0 injected\\r\\n"),
        "{e}"
    );
}

#[tokio::test]
async fn tls_misbehaviours() {
    let s = server(ServerConfig::misbehaving(Misbehaviour::ResetDuringTls)).await;
    let err = handshake(s.addr(), |_| {}).await.unwrap_err();
    assert!(err.starts_with("handshake:"), "{err}");
    assert!(finished(&s, 1).await[0].tls.as_ref().unwrap().is_err());

    let s = server(ServerConfig::misbehaving(Misbehaviour::StallInTls)).await;
    let Ok(Negotiated::Ready { stream, .. }) = dialogue(s.addr(), STEP).await else {
        panic!("no 220 to STARTTLS")
    };
    let ssl = Ssl::new(
        &SslContextBuilder::new(SslMethod::tls_client())
            .unwrap()
            .build(),
    )
    .unwrap();
    let mut tls = SslStream::new(ssl, stream).unwrap();
    let stalled = timeout(Duration::from_millis(300), Pin::new(&mut tls).connect()).await;
    assert!(stalled.is_err(), "the handshake should hang");
}

#[tokio::test]
async fn every_other_connection_is_refused() {
    let s = server(ServerConfig::misbehaving(
        Misbehaviour::Reject421EveryOtherConnection,
    ))
    .await;
    assert_eq!(
        rejected(&failure(s.addr(), STEP).await),
        (Step::Greeting, 421)
    );
    assert!(matches!(
        dialogue(s.addr(), STEP).await,
        Ok(Negotiated::Ready { .. })
    ));
    assert_eq!(
        rejected(&failure(s.addr(), STEP).await),
        (Step::Greeting, 421)
    );
    assert_eq!(s.connections(), 3);
}

#[tokio::test]
async fn connections_beyond_the_limit_get_421() {
    let s = server(ServerConfig {
        max_connections: Some(2),
        ..ServerConfig::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let Ok(Negotiated::Ready { stream, .. }) = dialogue(s.addr(), STEP).await else {
            panic!("refused within the limit")
        };
        held.push(stream);
    }
    let e = failure(s.addr(), STEP).await;
    assert_eq!(rejected(&e), (Step::Greeting, 421));
    assert!(e.is_too_many_connections());
    assert!(
        e.to_string()
            .contains("too many connections from 127.0.0.1"),
        "{e}"
    );
    assert_eq!((s.connections(), s.max_concurrent()), (3, 3));
    drop(held);
    finished(&s, 3).await;
    assert!(matches!(
        dialogue(s.addr(), STEP).await,
        Ok(Negotiated::Ready { .. })
    ));
}

#[tokio::test]
async fn other_commands_get_502_and_are_recorded() {
    // A raw client: the test server must answer (and record) anything.
    let s = server(ServerConfig::default()).await;
    let tcp = TcpStream::connect(s.addr()).await.unwrap();
    let mut tcp = BufReader::new(tcp);
    let mut line = String::new();
    tcp.read_line(&mut line).await.unwrap();
    assert_eq!(line, "220 mx.example.test ESMTP mxprobe test server\r\n");
    for (command, reply) in [
        ("NOOP", "502 5.5.1 test server"),
        ("HELO x", "250 mx.example.test"),
    ] {
        tcp.get_mut()
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .unwrap();
        line.clear();
        tcp.read_line(&mut line).await.unwrap();
        assert_eq!(line.trim_end(), reply);
    }
    drop(tcp);
    assert_eq!(finished(&s, 1).await[0].commands, ["NOOP", "HELO x"]);
}

#[tokio::test]
async fn dropping_the_server_ends_its_connections() {
    let s = server(ServerConfig::misbehaving(Misbehaviour::NeverAnswer)).await;
    let mut tcp = BufReader::new(TcpStream::connect(s.addr()).await.unwrap());
    timeout(STEP, async {
        while s.connections() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    drop(s);
    let mut line = String::new();
    let read = timeout(STEP, tcp.read_line(&mut line)).await.unwrap();
    assert_eq!(read.unwrap_or(0), 0, "connection closed");
}

/// Bulk-scan tests put many servers on distinct loopback addresses.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn serves_on_any_loopback_address() {
    let s = SmtpServer::start("127.0.0.2:0".parse().unwrap(), ServerConfig::default())
        .await
        .unwrap();
    assert_eq!(s.addr().ip().to_string(), "127.0.0.2");
    assert!(matches!(
        dialogue(s.addr(), STEP).await,
        Ok(Negotiated::Ready { .. })
    ));
}
