//! Hostile servers against the real binary: whatever a server does, mxprobe
//! gives its address a clear status and error within a time its timeouts
//! bound, stays within a memory cap, finishes every other target of the run,
//! and never sends anything but EHLO, STARTTLS and QUIT.
//!
//! Each case runs mxprobe (full enumeration) on two `--host` targets, the
//! hostile server and a good one, with short timeouts, and measures the
//! process's wall time and peak memory (its `VmHWM`). That no server ever
//! receives more than EHLO, STARTTLS and QUIT, whatever it does, is
//! `never_delivers.rs`.
//!
//! The time bounds come from the timeouts, not from how fast this machine
//! is: [`Bound`] counts the waits a case can meet in a row, each at most
//! one `--timeout`, plus the backoff between retries and a fixed allowance
//! for the work that does not wait (starting, the good server's
//! enumeration, handshakes a server answers at once). A server that could
//! hold mxprobe longer than its timeouts allow fails the bound.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use mxprobe::smtp::QUIT_WAIT;
use mxprobe::testkit::net;
use mxprobe::testkit::smtp::{Misbehaviour, ServerConfig, SmtpServer};

use crate::common::{
    args, assert_session_polite, csv_rows, empty_dns, mxprobe_measured, resolver_args, Measured,
};

/// `--timeout`, in seconds: every connect, SMTP reply and handshake.
pub(crate) const TIMEOUT: u64 = 2;
/// `--retries`: transient refusals in a row before an address is given up.
pub(crate) const RETRIES: u32 = 1;
/// `--backoff`, in milliseconds: the first pause after a refusal.
const BACKOFF_MS: u64 = 100;
/// `--per-host` (the default): handshakes to one address at a time.
const PER_HOST: u32 = 2;
/// The work that does not wait on a timeout: process start, the good
/// server's whole enumeration (75 handshakes), handshakes answered at
/// once; generous, since the tests run in parallel on two shared cores.
const ALLOWANCE: Duration = Duration::from_secs(25);
/// Peak memory allowed, in KiB: a 1 MB line or an endless greeting must
/// not be buffered, let alone grow without limit.
pub(crate) const RSS_CAP_KIB: u64 = 100 * 1024;

/// The worst case a case allows, in waits of at most one timeout.
struct Bound {
    /// Timeouts (or limits of QUIT and the close) that can expire one
    /// after the other.
    waits: u32,
    /// Backoff pauses between failed attempts.
    backoffs: u32,
}

impl Bound {
    /// An address given up at its first session: each of the RETRIES + 1
    /// attempts can wait for the connect, the greeting, EHLO's write and
    /// reply, STARTTLS's write and reply, and a QUIT's write and reply.
    fn first_session() -> Bound {
        Bound {
            waits: (RETRIES + 1) * 8,
            backoffs: RETRIES,
        }
    }

    /// A server that completes STARTTLS and then never finishes a
    /// handshake: one timeout for the broadly compatible handshake and one
    /// for the graceful close; no enumeration follows (it would stall too).
    fn stalled_handshakes() -> Bound {
        Bound {
            waits: 2,
            backoffs: 0,
        }
    }

    fn limit(&self) -> Duration {
        // QUIT and the close wait min(timeout, QUIT_WAIT): at most a timeout.
        assert!(QUIT_WAIT <= Duration::from_secs(TIMEOUT));
        // Backoff doubles per refusal in a row; RETRIES is small.
        let backoff: u64 = (0..self.backoffs)
            .map(|k| (BACKOFF_MS << k).min(8_000))
            .sum();
        Duration::from_secs(TIMEOUT) * self.waits + Duration::from_millis(backoff) + ALLOWANCE
    }
}

/// What one run gave: the hostile row, the good row, the measurement and
/// the servers (for their transcripts).
struct Run {
    hostile: HashMap<String, String>,
    good: HashMap<String, String>,
    measured: Measured,
    servers: Vec<SmtpServer>,
}

/// Scan `hostile` and a good server in one run of the binary.
async fn run(name: &str, hostile: ServerConfig) -> Run {
    let (_, servers) = net::smtp_servers(vec![hostile, ServerConfig::default()])
        .await
        .expect("servers");
    let addr = |s: &SmtpServer| s.addr().to_string();
    let dns = empty_dns().await;
    let mut a = resolver_args(&dns);
    a.extend(args(&[
        "-f",
        "csv",
        "--timeout",
        &TIMEOUT.to_string(),
        "--retries",
        &RETRIES.to_string(),
        "--backoff",
        &format!("{}", BACKOFF_MS as f64 / 1000.0),
        "--per-host",
        &PER_HOST.to_string(),
        "--host",
        &addr(&servers[0]),
        "--host",
        &addr(&servers[1]),
    ]));
    // Killed well past any bound, so a hang fails rather than blocks.
    let kill = Duration::from_secs(300);
    let measured = tokio::task::spawn_blocking(move || mxprobe_measured(&a, kill))
        .await
        .expect("measuring thread");
    // The scan ran: 0, or 1 for findings at --fail-on; never 2.
    assert!(
        matches!(measured.code, Some(0 | 1)),
        "{name}: exit {:?}: {}",
        measured.code,
        measured.stderr
    );
    let mut rows: HashMap<String, HashMap<String, String>> = csv_rows(&measured.stdout)
        .into_iter()
        .map(|r| (r["ip"].clone(), r))
        .collect();
    assert_eq!(rows.len(), 2, "{name}: one row per target");
    let ip = |s: &SmtpServer| match s.addr() {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => a.ip().to_string(),
    };
    let hostile = rows.remove(&ip(&servers[0])).expect("hostile row");
    let good = rows.remove(&ip(&servers[1])).expect("good row");
    eprintln!(
        "hostile {name}: {:.2} s, peak RSS {} KiB; {} handshakes on {} connections \
         (the good server: {} on {}); {}: {}",
        measured.elapsed.as_secs_f64(),
        measured.max_rss_kib,
        hostile["handshakes"],
        hostile["connections"],
        good["handshakes"],
        good["connections"],
        hostile["status"],
        hostile["error"],
    );
    Run {
        hostile,
        good,
        measured,
        servers,
    }
}

/// The checks every case shares.
fn assert_contained(name: &str, r: &Run, status: &str, error: &str, bound: Bound) {
    assert_eq!(r.hostile["status"], status, "{name}: {:?}", r.hostile);
    assert!(
        r.hostile["error"].contains(error),
        "{name}: error {:?} lacks {error:?}",
        r.hostile["error"]
    );
    assert!(
        !r.hostile["error"].contains(['\n', '\r']),
        "{name}: one line"
    );
    assert_eq!(
        r.good["status"], "ok",
        "{name}: the good server {:?}",
        r.good
    );
    assert_eq!(r.good["error"], "", "{name}: the good server");
    let limit = bound.limit();
    assert!(
        r.measured.elapsed <= limit,
        "{name}: took {:?}, the timeouts allow {limit:?}",
        r.measured.elapsed
    );
    assert!(
        r.measured.max_rss_kib <= RSS_CAP_KIB,
        "{name}: peak RSS {} KiB",
        r.measured.max_rss_kib
    );
    for server in &r.servers {
        for session in server.transcript() {
            assert_session_polite(&session);
            assert!(session.after_quit.is_empty(), "{name}: sent after QUIT");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers() {
    let r = run(
        "never answers",
        ServerConfig::misbehaving(Misbehaviour::NeverAnswer),
    )
    .await;
    let error = format!("no greeting within {TIMEOUT}s");
    assert_contained(
        "never answers",
        &r,
        "smtp-error",
        &error,
        Bound::first_session(),
    );
    // One attempt and RETRIES retries, and a second session opened alongside
    // the first once its greeting was slow in coming (a pause before the
    // greeting is what slow servers do; a silent one looks the same).
    assert_eq!(r.hostile["connections"], (RETRIES + 2).to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_sending_one_byte_per_second() {
    // The timeout covers the whole greeting, not each byte.
    let drip = Misbehaviour::DripGreeting {
        per_byte: Duration::from_secs(1),
    };
    let r = run("drip", ServerConfig::misbehaving(drip)).await;
    let error = format!("no greeting within {TIMEOUT}s");
    assert_contained("drip", &r, "smtp-error", &error, Bound::first_session());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_multi_line_greeting() {
    let r = run(
        "endless greeting",
        ServerConfig::misbehaving(Misbehaviour::EndlessGreeting),
    )
    .await;
    assert_contained(
        "endless greeting",
        &r,
        "smtp-error",
        "greeting has more than 128 lines",
        Bound::first_session(),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_megabyte_line() {
    let long = Misbehaviour::LongLine { bytes: 1 << 20 };
    let r = run("1 MB line", ServerConfig::misbehaving(long)).await;
    assert_contained(
        "1 MB line",
        &r,
        "smtp-error",
        "greeting has a line longer than 4096 bytes",
        Bound::first_session(),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_instead_of_smtp() {
    let r = run("garbage", ServerConfig::misbehaving(Misbehaviour::Garbage)).await;
    assert_contained(
        "garbage",
        &r,
        "smtp-error",
        r#"malformed greeting: line does not start with a three-digit code: "\xff\xfd\x18\xff""#,
        Bound::first_session(),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn four_twenty_one_at_the_greeting() {
    let r = run(
        "421",
        ServerConfig::misbehaving(Misbehaviour::Reject421AtGreeting),
    )
    .await;
    assert_contained(
        "421",
        &r,
        "smtp-error",
        "greeting rejected: 421 4.3.2 mx.example.test Service not available",
        Bound::first_session(),
    );
    assert_eq!(r.hostile["connections"], (RETRIES + 1).to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn four_twenty_one_on_every_second_connection() {
    // Every refusal is followed by a success, so RETRIES is never reached
    // and the enumeration completes; only backoff pauses are added.
    let r = run(
        "421 every other",
        ServerConfig::misbehaving(Misbehaviour::Reject421EveryOtherConnection),
    )
    .await;
    let refusals = r.hostile["connections"]
        .parse::<u32>()
        .expect("connections")
        .div_ceil(2);
    let bound = Bound {
        waits: 0,
        backoffs: 0,
    };
    assert_contained("421 every other", &r, "ok", "", bound);
    // At most one pause per refusal, PER_HOST sessions opening at a time.
    let pauses = Duration::from_millis(BACKOFF_MS) * refusals.div_ceil(PER_HOST);
    assert!(
        r.measured.elapsed <= ALLOWANCE + pauses,
        "421 every other: {:?}",
        r.measured.elapsed
    );
    assert_eq!(r.hostile["incomplete"], "", "{:?}", r.hostile);
    assert_eq!(r.hostile["ciphers"], r.good["ciphers"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_in_the_middle_of_the_handshake() {
    // 100 bytes: the ServerHello's start, before its certificate.
    let reset = Misbehaviour::ResetMidHandshake { after: 100 };
    let r = run("reset in TLS", ServerConfig::misbehaving(reset)).await;
    // Resets are answered at once: nothing waits on a timeout.
    let bound = Bound {
        waits: 0,
        backoffs: 0,
    };
    assert_contained(
        "reset in TLS",
        &r,
        "tls-error",
        "during the TLS handshake",
        bound,
    );
    assert_eq!(r.hostile["tlsv1_2"], "no", "{:?}", r.hostile);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_alert_for_every_offer() {
    let r = run("alert", ServerConfig::misbehaving(Misbehaviour::AlertInTls)).await;
    let bound = Bound {
        waits: 0,
        backoffs: 0,
    };
    assert_contained(
        "alert",
        &r,
        "tls-error",
        "STARTTLS accepted but server sent alert: handshake failure",
        bound,
    );
    // The broadly compatible handshake, one question for every version
    // ("up to TLS 1.3"), and the strict sender's handshake; then, as
    // nothing was accepted, the hand-written hellos: SSLv2, the checks'
    // hello, and one offer of the suites no OpenSSL 3 has per version up to
    // TLS 1.2 (no fallback hello: no version is known to fall back from).
    assert_eq!(
        r.hostile["handshakes"],
        (1 + 1 + 1 + (1 + 1 + 4)).to_string()
    );
    for v in ["sslv3", "tlsv1", "tlsv1_1", "tlsv1_2", "tlsv1_3"] {
        assert_eq!(r.hostile[v], "no", "{v}: {:?}", r.hostile);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plaintext_injected_after_the_starttls_reply() {
    let r = run(
        "injection",
        ServerConfig::misbehaving(Misbehaviour::InjectAfterStarttls),
    )
    .await;
    assert_contained(
        "injection",
        &r,
        "smtp-error",
        r#"server sent 20 bytes after its STARTTLS 220 before the TLS handshake: "250 2.0.0 injected\r\n""#,
        Bound::first_session(),
    );
    // No handshake over a channel someone may have written into.
    let sessions = r.servers[0].transcript();
    assert!(
        sessions.iter().all(|s| !matches!(s.tls, Some(Ok(_)))),
        "{sessions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_stalls_inside_tls() {
    let r = run(
        "stall in TLS",
        ServerConfig::misbehaving(Misbehaviour::StallInTls),
    )
    .await;
    assert_contained(
        "stall in TLS",
        &r,
        "tls-error",
        &format!("TLS handshake timed out after {TIMEOUT}s"),
        Bound::stalled_handshakes(),
    );
    // Once the broadly compatible handshake stalls, no other is tried.
    assert_eq!(r.hostile["handshakes"], "1");
    assert!(
        r.hostile["incomplete"].contains("timed out"),
        "{:?}",
        r.hostile
    );
}
