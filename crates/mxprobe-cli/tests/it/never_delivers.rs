//! mxprobe never delivers or verifies mail: over a run against a server of
//! every kind the test server can be (the good one fully enumerated), the
//! servers' transcripts show only EHLO, then STARTTLS or QUIT, then QUIT
//! over TLS, and nothing after a QUIT. Never MAIL, RCPT, DATA, BDAT, VRFY,
//! EXPN, RSET, NOOP, or HELO.

use std::time::Duration;

use mxprobe::testkit::net;
use mxprobe::testkit::smtp::{Misbehaviour, ServerConfig};

use crate::common::{args, assert_session_polite, csv_rows, mxprobe_measured};
use crate::hostile::{RETRIES, RSS_CAP_KIB, TIMEOUT};

/// Every misbehaviour, with the parameters real servers use. The match has
/// no wildcard arm: a new mode does not compile until it is listed here.
fn every_misbehaviour() -> Vec<Misbehaviour> {
    use Misbehaviour as M;
    let all = vec![
        M::None,
        M::Reject421AtGreeting,
        M::Reject421EveryOtherConnection,
        M::DropAfterEhlo,
        M::EhloRejected(502),
        M::EhloRejected(421),
        M::Garbage,
        M::InjectAfterStarttls,
        M::NeverAnswer,
        M::DripGreeting {
            per_byte: Duration::from_secs(1),
        },
        M::EndlessGreeting,
        M::LongLine { bytes: 1 << 20 },
        M::ResetDuringTls,
        M::ResetMidHandshake { after: 100 },
        M::StallInTls,
        M::AlertInTls,
        M::StarttlsRejected(454),
        M::StarttlsRejected(554),
    ];
    let mut listed = [false; 16];
    for m in &all {
        let i = match m {
            M::None => 0,
            M::Reject421AtGreeting => 1,
            M::Reject421EveryOtherConnection => 2,
            M::DropAfterEhlo => 3,
            M::EhloRejected(_) => 4,
            M::Garbage => 5,
            M::InjectAfterStarttls => 6,
            M::NeverAnswer => 7,
            M::DripGreeting { .. } => 8,
            M::EndlessGreeting => 9,
            M::LongLine { .. } => 10,
            M::ResetDuringTls => 11,
            M::StallInTls => 12,
            M::AlertInTls => 13,
            M::StarttlsRejected(_) => 14,
            M::ResetMidHandshake { .. } => 15,
        };
        listed[i] = true;
    }
    assert!(listed.iter().all(|l| *l), "a misbehaviour is not listed");
    all
}

/// One run over a server of every kind the test server can be, the good
/// one fully enumerated: no session ever carries anything but EHLO, then
/// STARTTLS or QUIT, then (over TLS) QUIT, and nothing follows a QUIT.
#[tokio::test(flavor = "multi_thread")]
async fn no_server_ever_receives_more_than_ehlo_starttls_quit() {
    let mut configs: Vec<ServerConfig> = every_misbehaviour()
        .into_iter()
        .map(ServerConfig::misbehaving)
        .collect();
    configs.push(ServerConfig {
        starttls: false,
        ..ServerConfig::default()
    });
    configs.push(ServerConfig {
        tls: None,
        ..ServerConfig::default()
    });
    configs.push(ServerConfig {
        max_connections: Some(1),
        ..ServerConfig::default()
    });
    let count = configs.len();
    let (_, servers) = net::smtp_servers(configs).await.expect("servers");
    let dns = crate::common::empty_dns().await;
    let mut a = crate::common::resolver_args(&dns);
    a.extend(args(&[
        "-f",
        "csv",
        "--timeout",
        &TIMEOUT.to_string(),
        "--retries",
        &RETRIES.to_string(),
        "--backoff",
        "0.1",
    ]));
    for s in &servers {
        a.extend(args(&["--host", &s.addr().to_string()]));
    }
    let measured =
        tokio::task::spawn_blocking(move || mxprobe_measured(&a, Duration::from_secs(300)))
            .await
            .expect("measuring thread");
    // The scan ran: 0, or 1 for findings at --fail-on; never 2.
    assert!(
        matches!(measured.code, Some(0 | 1)),
        "exit {:?}: {}",
        measured.code,
        measured.stderr
    );
    eprintln!(
        "all modes: {:.2} s, peak RSS {} KiB",
        measured.elapsed.as_secs_f64(),
        measured.max_rss_kib
    );
    assert!(measured.max_rss_kib <= RSS_CAP_KIB);
    let rows = csv_rows(&measured.stdout);
    assert_eq!(rows.len(), count);
    assert_eq!(rows[0]["status"], "ok", "the good server: {:?}", rows[0]);
    assert_eq!(rows[0]["incomplete"], "", "fully enumerated");
    let mut sessions = 0;
    let mut quits = (0, 0);
    for server in &servers {
        for session in server.transcript() {
            assert_session_polite(&session);
            assert!(
                session.after_quit.is_empty(),
                "{}: sent {:?} after QUIT",
                server.addr(),
                String::from_utf8_lossy(&session.after_quit)
            );
            sessions += 1;
            quits.0 += usize::from(session.commands.last().is_some_and(|c| c == "QUIT"));
            quits.1 += usize::from(session.tls_commands.last().is_some_and(|c| c == "QUIT"));
        }
    }
    // The check saw real work: many sessions, QUIT in the clear and over TLS.
    assert!(sessions > 100, "{sessions} sessions");
    assert!(quits.0 > 0 && quits.1 > 0, "{quits:?}");
}

/// The check above can fail: the test server hears what a client sends
/// after QUIT.
#[tokio::test(flavor = "multi_thread")]
async fn the_test_server_hears_what_follows_quit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_, servers) = net::smtp_servers(vec![ServerConfig::default()])
        .await
        .expect("server");
    let mut tcp = tokio::net::TcpStream::connect(servers[0].addr())
        .await
        .expect("connect");
    tcp.write_all(b"EHLO rude.example\r\nQUIT\r\nMAIL FROM:<>\r\n")
        .await
        .expect("write");
    tcp.shutdown().await.expect("close our side");
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut reply))
        .await
        .expect("the server closes after us")
        .expect("read");
    assert!(reply.ends_with(b"221 2.0.0 Bye\r\n"));
    let sessions = tokio::time::timeout(Duration::from_secs(5), servers[0].finished_sessions(1))
        .await
        .expect("session ends");
    assert_eq!(sessions[0].after_quit, b"MAIL FROM:<>\r\n");
}
