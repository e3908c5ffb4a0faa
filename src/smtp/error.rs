//! How the dialogue fails, with the step it failed in and predicates the
//! scanner branches on (retry? lower the per-host concurrency?).

use std::fmt;
use std::io;
use std::time::Duration;

use super::reply::{Reply, ReplyError};
use crate::spelling::spelling;

/// Where in the dialogue something happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Waiting for the server's 220 after connecting.
    Greeting,
    /// Sending `EHLO` and reading its reply.
    Ehlo,
    /// Sending `STARTTLS` and reading its reply.
    Starttls,
    /// Sending `QUIT` and reading the 221.
    Quit,
}

spelling!(Step {
    Greeting => "greeting",
    Ehlo => "ehlo",
    Starttls => "starttls",
    Quit => "quit",
});

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Greeting => "greeting",
            Step::Ehlo => "EHLO",
            Step::Starttls => "STARTTLS",
            Step::Quit => "QUIT",
        })
    }
}

/// Why the dialogue failed.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// Nothing (complete) within the step's timeout; `sending` when even the
    /// command could not be written.
    #[error("{}", timeout_text(*step, *after, *sending))]
    Timeout {
        /// The step that timed out.
        step: Step,
        /// The timeout that ran out.
        after: Duration,
        /// The command could not even be written in time.
        sending: bool,
    },
    /// The server closed the connection (EOF) before a complete reply.
    #[error("connection closed before {}", complete(*step))]
    Closed {
        /// The step whose reply was cut off.
        step: Step,
    },
    /// Reading or writing failed (typically a reset).
    #[error("i/o error {}: {source}", during(*step))]
    Io {
        /// The step in which reading or writing failed.
        step: Step,
        /// The socket's error.
        #[source]
        source: io::Error,
    },
    /// A 4xx or 5xx reply. EHLO rejected is final: HELO cannot negotiate
    /// STARTTLS (RFC 3207 §4 needs the EHLO extension), so it is not tried.
    #[error("{step} rejected: {reply}{}", if *step == Step::Ehlo { " (HELO cannot negotiate STARTTLS)" } else { "" })]
    Rejected {
        /// The step whose command (or greeting) was refused.
        step: Step,
        /// The 4xx or 5xx reply.
        reply: Reply,
    },
    /// A well-formed reply that is neither the expected success nor 4xx/5xx
    /// (e.g. `250` as a greeting, `354` to EHLO).
    #[error("unexpected {}: {reply}", what(*step))]
    UnexpectedReply {
        /// The step that got the reply.
        step: Step,
        /// The reply as received.
        reply: Reply,
    },
    /// Bytes that are not an SMTP reply.
    #[error("malformed {}: {detail}", what(*step))]
    Malformed {
        /// The step whose reply was malformed.
        step: Step,
        /// What was wrong with it.
        detail: ReplyError,
    },
    /// A reply line longer than the limit (see [`super::MAX_LINE`]).
    #[error("{} has a line longer than {limit} bytes", what(*step))]
    LineTooLong {
        /// The step whose reply it was.
        step: Step,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A reply of more lines than the limit (see [`super::MAX_LINES`]).
    #[error("{} has more than {limit} lines", what(*step))]
    TooManyLines {
        /// The step whose reply it was.
        step: Step,
        /// The limit, in lines.
        limit: usize,
    },
    /// A reply larger than the limit (see [`super::MAX_REPLY_BYTES`]).
    #[error("{} is longer than {limit} bytes", what(*step))]
    ReplyTooLarge {
        /// The step whose reply it was.
        step: Step,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The server (or someone on the path) sent bytes after the 220 to
    /// STARTTLS: they would be read as if protected by TLS (RFC 3207 §6,
    /// the class of CVE-2011-0411). `bytes` counts what had arrived (at
    /// least that many were sent); `preview` shows their start, escaped.
    #[error(
        "server sent {bytes} bytes after its STARTTLS 220 before the TLS handshake: \"{preview}\""
    )]
    Injection {
        /// Bytes that had arrived after the 220.
        bytes: usize,
        /// The first of them (at most
        /// [`crate::limits::SMTP_INJECTION_PREVIEW`]), escaped as in Rust.
        preview: String,
    },
    /// The configured EHLO name would not make a valid command line.
    #[error("invalid EHLO name {name:?}: use a host name or address literal without spaces or control characters")]
    InvalidEhloName {
        /// The name as configured.
        name: String,
    },
}

/// Phrases a reply text that means "this client has too many connections".
const TOO_MANY_CONNECTIONS: [&str; 7] = [
    "too many connections",
    "too many concurrent",
    "too many simultaneous",
    "too many sessions",
    "concurrency limit",
    "connection limit",
    "connection rate limit",
];

impl SmtpError {
    /// The step the error happened in, if it belongs to one.
    pub fn step(&self) -> Option<Step> {
        match self {
            SmtpError::Timeout { step, .. }
            | SmtpError::Closed { step }
            | SmtpError::Io { step, .. }
            | SmtpError::Rejected { step, .. }
            | SmtpError::UnexpectedReply { step, .. }
            | SmtpError::Malformed { step, .. }
            | SmtpError::LineTooLong { step, .. }
            | SmtpError::TooManyLines { step, .. }
            | SmtpError::ReplyTooLarge { step, .. } => Some(*step),
            SmtpError::Injection { .. } => Some(Step::Starttls),
            SmtpError::InvalidEhloName { .. } => None,
        }
    }

    /// The server's reply, when the error is about one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            SmtpError::Rejected { reply, .. } | SmtpError::UnexpectedReply { reply, .. } => {
                Some(reply)
            }
            _ => None,
        }
    }

    /// What a later retry (with backoff) may fix: a 4xx reply (421 included),
    /// a timeout, or the connection closed or reset before or during the
    /// greeting (servers that shed load do that).
    pub fn is_transient(&self) -> bool {
        match self {
            SmtpError::Rejected { reply, .. } => reply.is_transient_negative(),
            SmtpError::Timeout { .. } => true,
            SmtpError::Closed { step } | SmtpError::Io { step, .. } => *step == Step::Greeting,
            _ => false,
        }
    }

    /// The server limits this client's connections: 421 (RFC 5321 §3.8: the
    /// server is closing the channel, in practice mostly for load), or a
    /// 4xx/5xx whose text says so. The scanner lowers its per-host
    /// concurrency on this.
    pub fn is_too_many_connections(&self) -> bool {
        match self.reply() {
            Some(reply) if reply.code == 421 => true,
            Some(reply) if reply.class() >= 4 => {
                let text = reply.text().to_ascii_lowercase();
                TOO_MANY_CONNECTIONS.iter().any(|p| text.contains(p))
            }
            _ => false,
        }
    }

    pub(crate) fn from_reply_error(step: Step, error: ReplyError) -> SmtpError {
        match error {
            ReplyError::LineTooLong { limit } => SmtpError::LineTooLong { step, limit },
            ReplyError::TooManyLines { limit } => SmtpError::TooManyLines { step, limit },
            ReplyError::TooLarge { limit } => SmtpError::ReplyTooLarge { step, limit },
            detail => SmtpError::Malformed { step, detail },
        }
    }

    /// A reply other than the expected one: rejected when 4xx/5xx.
    pub(crate) fn refusal(step: Step, reply: Reply) -> SmtpError {
        if reply.class() >= 4 {
            SmtpError::Rejected { step, reply }
        } else {
            SmtpError::UnexpectedReply { step, reply }
        }
    }
}

fn timeout_text(step: Step, after: Duration, sending: bool) -> String {
    let after = seconds(after);
    match (step, sending) {
        (Step::Greeting, _) => format!("no greeting within {after}"),
        (_, true) => format!("could not send {step} within {after}"),
        (_, false) => format!("no reply to {step} within {after}"),
    }
}

/// `10s`, `1.5s`, `0.2s`.
fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

fn what(step: Step) -> String {
    match step {
        Step::Greeting => "greeting".into(),
        _ => format!("reply to {step}"),
    }
}

fn complete(step: Step) -> String {
    match step {
        Step::Greeting => "a complete greeting".into(),
        _ => format!("a complete reply to {step}"),
    }
}

fn during(step: Step) -> String {
    match step {
        Step::Greeting => "waiting for the greeting".into(),
        _ => format!("during {step}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rejected(step: Step, code: u16, text: &str) -> SmtpError {
        SmtpError::Rejected {
            step,
            reply: Reply {
                code,
                lines: vec![text.into()],
            },
        }
    }

    #[test]
    fn messages_are_one_lowercase_line() {
        let cases = [
            (
                rejected(Step::Greeting, 421, "4.7.0 mx.example too many connections"),
                "greeting rejected: 421 4.7.0 mx.example too many connections",
            ),
            (
                rejected(Step::Ehlo, 502, "5.5.2 Error: command not recognized"),
                "EHLO rejected: 502 5.5.2 Error: command not recognized (HELO cannot negotiate STARTTLS)",
            ),
            (
                SmtpError::Timeout { step: Step::Ehlo, after: Duration::from_secs(10), sending: false },
                "no reply to EHLO within 10s",
            ),
            (
                SmtpError::Timeout { step: Step::Greeting, after: Duration::from_millis(1500), sending: false },
                "no greeting within 1.5s",
            ),
            (
                SmtpError::Timeout { step: Step::Starttls, after: Duration::from_secs(3), sending: true },
                "could not send STARTTLS within 3s",
            ),
            (SmtpError::Closed { step: Step::Greeting }, "connection closed before a complete greeting"),
            (
                SmtpError::Closed { step: Step::Starttls },
                "connection closed before a complete reply to STARTTLS",
            ),
            (
                SmtpError::Io {
                    step: Step::Greeting,
                    source: io::Error::new(io::ErrorKind::ConnectionReset, "connection reset by peer"),
                },
                "i/o error waiting for the greeting: connection reset by peer",
            ),
            (
                SmtpError::Malformed {
                    step: Step::Greeting,
                    detail: ReplyError::BadCode { found: "SSH-".into() },
                },
                "malformed greeting: line does not start with a three-digit code: \"SSH-\"",
            ),
            (
                SmtpError::LineTooLong { step: Step::Ehlo, limit: 4096 },
                "reply to EHLO has a line longer than 4096 bytes",
            ),
            (
                SmtpError::Injection { bytes: 14, preview: "250 injected\\r\\n".into() },
                "server sent 14 bytes after its STARTTLS 220 before the TLS handshake: \"250 injected\\r\\n\"",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn predicates() {
        let busy = rejected(Step::Greeting, 421, "4.3.2 Service not available");
        assert!(busy.is_transient() && busy.is_too_many_connections());
        let limit = rejected(
            Step::Greeting,
            554,
            "5.7.1 Too many concurrent SMTP connections",
        );
        assert!(!limit.is_transient() && limit.is_too_many_connections());
        let tempfail = rejected(Step::Starttls, 454, "4.7.0 TLS not available");
        assert!(tempfail.is_transient() && !tempfail.is_too_many_connections());
        let ehlo = rejected(Step::Ehlo, 502, "5.5.2 Error: command not recognized");
        assert!(!ehlo.is_transient() && !ehlo.is_too_many_connections());
        assert_eq!(ehlo.reply().map(|r| r.code), Some(502));
        assert!(SmtpError::Closed {
            step: Step::Greeting
        }
        .is_transient());
        assert!(!SmtpError::Closed { step: Step::Ehlo }.is_transient());
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert!(SmtpError::Io {
            step: Step::Greeting,
            source: reset
        }
        .is_transient());
        let timeout = SmtpError::Timeout {
            step: Step::Starttls,
            after: Duration::from_secs(1),
            sending: false,
        };
        assert!(timeout.is_transient());
        assert_eq!(timeout.step(), Some(Step::Starttls));
        assert!(!SmtpError::Injection {
            bytes: 1,
            preview: "x".into()
        }
        .is_transient());
    }
}
