//! Why MTA-STS or TLS-RPT data could not be had or read, as data with
//! predicates to branch on (like [`crate::smtp::SmtpError`] and
//! [`crate::dns::DnsError`]). Reports carry the one-line text
//! (`Display`); code asks the predicates.

use std::net::SocketAddr;
use std::time::Duration;

/// An MTA-STS or TLS-RPT failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MtaStsError {
    // --- fetching the policy (RFC 8461 §3.3) ---
    /// The policy host's addresses could not be looked up.
    #[error("cannot resolve the policy host: {reason}")]
    Resolve {
        /// The DNS error, one line.
        reason: String,
    },
    /// The policy host resolved to no address.
    #[error("{host} has no address")]
    NoAddress {
        /// The policy host, `mta-sts.<domain>`.
        host: String,
    },
    /// The policy host's name cannot be sent as a TLS server name (SNI).
    #[error("{host:?} is not a valid server name")]
    InvalidHost {
        /// The policy host as built from the domain.
        host: String,
    },
    /// No TCP connection to any address of the policy host; the last
    /// address tried.
    #[error("connect to {addr}: {reason}")]
    Connect {
        /// The address and port that refused or did not answer.
        addr: SocketAddr,
        /// The socket error, or `timed out`.
        reason: String,
    },
    /// The TLS handshake with the policy host failed; `certificate`: it
    /// failed on the certificate (untrusted, expired, wrong name).
    #[error("TLS with {host} at {addr}: {reason}")]
    Tls {
        /// The policy host, `mta-sts.<domain>` (the name verified).
        host: String,
        /// The address and port of the handshake.
        addr: SocketAddr,
        /// rustls's error, one line.
        reason: String,
        /// The certificate was refused (rather than the handshake failing
        /// otherwise).
        certificate: bool,
    },
    /// The HTTPS request could not be written.
    #[error("sending the request to {addr}: {reason}")]
    Send {
        /// The address and port of the connection.
        addr: SocketAddr,
        /// The I/O error, one line.
        reason: String,
    },
    /// The response could not be read (see `source`).
    #[error("{host} at {addr}: {source}")]
    Response {
        /// The policy host, `mta-sts.<domain>`.
        host: String,
        /// The address and port of the connection.
        addr: SocketAddr,
        /// What was wrong with the response: one of the HTTP variants.
        source: Box<MtaStsError>,
    },
    /// The whole fetch (lookup, connection, handshake, response) took
    /// longer than the scan's timeout.
    #[error("no policy from {host} within {after:?}")]
    Timeout {
        /// The policy host, `mta-sts.<domain>`.
        host: String,
        /// The timeout that ran out.
        after: Duration,
    },
    /// A 3xx answer: senders must not follow it.
    #[error("HTTP {status} redirect to {to}: RFC 8461 §3.3 forbids following redirects")]
    Redirect {
        /// The HTTP status code (301, 302, …).
        status: u16,
        /// The `Location` header, as sent (`nowhere` without one).
        to: String,
    },
    /// An HTTP status other than 200 or a redirect.
    #[error("HTTP {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// The policy is not served as `text/plain` (RFC 8461 §3.2).
    #[error("Content-Type {got:?} is not text/plain")]
    ContentType {
        /// The `Content-Type` header, as sent.
        got: String,
    },
    /// The response has no `Content-Type` header.
    #[error("no Content-Type; text/plain is required")]
    NoContentType,
    /// The policy body is not valid UTF-8.
    #[error("policy is not UTF-8 text")]
    NotUtf8,

    // --- reading the HTTP response (capped, see `http`) ---
    /// The status line and headers are longer than the cap
    /// ([`crate::limits::MTA_STS_HEAD`]).
    #[error("response headers exceed {limit} bytes")]
    HeadTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The server closed the connection before the blank line that ends the
    /// headers.
    #[error("connection closed before the response headers ended")]
    ClosedInHead,
    /// The body is longer than the cap ([`crate::limits::MTA_STS_BODY`]).
    #[error("policy exceeds {limit} bytes")]
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// `Content-Length` announces more than the cap; nothing was read.
    #[error("policy of {length} bytes exceeds {limit}")]
    DeclaredTooLarge {
        /// The announced length, in bytes.
        length: usize,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The server closed the connection before the last chunk of a chunked
    /// body.
    #[error("connection closed inside a chunked body")]
    ClosedInChunk,
    /// The server closed the connection before `Content-Length` bytes.
    #[error("connection closed after {got} of {length} body bytes")]
    ClosedInBody {
        /// Body bytes received.
        got: usize,
        /// Body bytes announced by `Content-Length`.
        length: usize,
    },
    /// `Content-Length` is not a number.
    #[error("invalid Content-Length {value:?}")]
    BadContentLength {
        /// The header's value, as sent.
        value: String,
    },
    /// Reading from the connection failed.
    #[error("reading the response: {reason}")]
    Read {
        /// The I/O error, one line.
        reason: String,
    },
    /// The headers are not UTF-8 text.
    #[error("response headers are not text")]
    HeadNotText,
    /// A chunk-size line is not text.
    #[error("bad chunk size")]
    ChunkSizeNotText,
    /// The first line is not an `HTTP/1.x` status line.
    #[error("not an HTTP/1.x response: {line:?}")]
    NotHttp {
        /// The first line, as sent.
        line: String,
    },
    /// An `HTTP/1.x` status line without a status code from 100 to 999.
    #[error("invalid status line {line:?}")]
    BadStatusLine {
        /// The status line, as sent.
        line: String,
    },
    /// A header line without a `:`.
    #[error("malformed header line {line:?}")]
    MalformedHeader {
        /// The header line, as sent.
        line: String,
    },
    /// A chunk-size line that is not a hexadecimal number.
    #[error("bad chunk size {size:?}")]
    BadChunkSize {
        /// The chunk-size line, as sent.
        size: String,
    },
    /// A chunk's data is not followed by CRLF.
    #[error("chunk not followed by CRLF")]
    ChunkWithoutCrlf,

    // --- the policy file (RFC 8461 §3.2) ---
    /// A policy line that is not `key: value`.
    #[error("line {line}: {text:?} is not 'key: value'")]
    PolicyLine {
        /// Line number in the policy, from 1.
        line: usize,
        /// The line, as published.
        text: String,
    },
    /// A key that may appear once (`version`, `mode`, `max_age`) appears
    /// again.
    #[error("line {line}: {key} given twice")]
    PolicyTwice {
        /// Line number of the second occurrence, from 1.
        line: usize,
        /// The key.
        key: &'static str,
    },
    /// An `mx` value that is neither a host name nor `*.` and a domain.
    #[error("line {line}: mx {pattern:?} is not a host name or *.domain")]
    PolicyPattern {
        /// Line number in the policy, from 1.
        line: usize,
        /// The pattern, as published.
        pattern: String,
    },
    /// A `version` other than `STSv1`.
    #[error("version {got:?}: only STSv1 is defined{hint}")]
    PolicyVersion {
        /// The version, as published.
        got: String,
        /// ` (keywords are case-sensitive…)` when it is `STSv1` in other
        /// case; empty otherwise.
        hint: &'static str,
    },
    /// No `version` line.
    #[error("no version: STSv1 line")]
    PolicyNoVersion,
    /// A `mode` other than `enforce`, `testing` or `none`.
    #[error("mode {got:?}: not enforce, testing or none{hint}")]
    PolicyMode {
        /// The mode, as published.
        got: String,
        /// ` (keywords are case-sensitive…)` when it is a mode in other
        /// case; empty otherwise.
        hint: &'static str,
    },
    /// No `mode` line.
    #[error("no mode line")]
    PolicyNoMode,
    /// No `max_age` line.
    #[error("no max_age line")]
    PolicyNoMaxAge,
    /// A `max_age` that is not a whole number of seconds.
    #[error("max_age {got:?}: not a number of seconds")]
    PolicyMaxAge {
        /// The value, as published.
        got: String,
    },
    /// A `max_age` above RFC 8461's limit of 31557600 seconds.
    #[error("max_age {got} exceeds {limit} (one year)")]
    PolicyMaxAgeTooLong {
        /// The value, in seconds.
        got: u64,
        /// The limit, in seconds.
        limit: u64,
    },
    /// Mode `enforce` or `testing` without any `mx` line.
    #[error("no mx line: enforce and testing need at least one")]
    PolicyNoMx,

    // --- the TXT records (RFC 8461 §3.1, RFC 8460 §3) ---
    /// The record does not start with its version tag.
    #[error("does not start with {tag}")]
    RecordTag {
        /// The expected tag, `v=STSv1` or `v=TLSRPTv1`.
        tag: String,
    },
    /// Something other than blanks between the tag and the first `;`.
    #[error("expected ';' after {tag}")]
    RecordSeparator {
        /// The record's tag.
        tag: String,
    },
    /// Two `;` with nothing between them.
    #[error("empty field between ';'")]
    RecordEmptyField,
    /// A field without `=`.
    #[error("field {field:?} is not key=value")]
    RecordNotKeyValue {
        /// The field, as published.
        field: String,
    },
    /// Quoted: the record is the domain owner's text, and may hold line
    /// breaks and terminal escapes.
    #[error("malformed field {field:?}")]
    RecordMalformedField {
        /// The field, as published.
        field: String,
    },
    /// A field that may appear once appears again.
    #[error("{key}= given twice")]
    RecordTwice {
        /// The field's key (`id`, `rua`).
        key: &'static str,
    },
    /// A required field is missing.
    #[error("no {key}= field")]
    RecordMissing {
        /// The field's key (`id`, `rua`).
        key: &'static str,
    },
    /// An MTA-STS `id` that is not 1 to 32 letters and digits.
    #[error("id={value:?} must be 1 to 32 letters and digits")]
    RecordBadId {
        /// The value, as published.
        value: String,
    },
    /// A TLS-RPT `rua` destination that is not a `mailto:` address or an
    /// `https:` URI.
    #[error("rua {uri:?}: {why}")]
    RecordBadRua {
        /// The destination, as published.
        uri: String,
        /// What is wrong with it, a short phrase.
        why: &'static str,
    },
    /// More than one record carries the tag, so none applies.
    #[error("{count} records start with {tag}; exactly one is allowed")]
    RecordSeveral {
        /// How many records start with the tag.
        count: usize,
        /// The tag, `v=STSv1` or `v=TLSRPTv1`.
        tag: String,
    },
}

impl MtaStsError {
    /// The policy host could not be reached or would not talk (DNS,
    /// connection, TLS, timeout): a sender has no policy to apply.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            MtaStsError::Resolve { .. }
                | MtaStsError::NoAddress { .. }
                | MtaStsError::InvalidHost { .. }
                | MtaStsError::Connect { .. }
                | MtaStsError::Tls { .. }
                | MtaStsError::Send { .. }
                | MtaStsError::Timeout { .. }
        )
    }

    /// The policy host's certificate was refused.
    pub fn is_certificate(&self) -> bool {
        matches!(
            self,
            MtaStsError::Tls {
                certificate: true,
                ..
            }
        )
    }

    /// The fetch ran out of time (a kind of unreachable).
    pub fn is_timeout(&self) -> bool {
        matches!(self, MtaStsError::Timeout { .. })
    }

    /// The HTTP exchange went wrong: status, redirect, type, framing, size.
    pub fn is_http(&self) -> bool {
        match self {
            MtaStsError::Response { source, .. } => source.is_http(),
            MtaStsError::Redirect { .. }
            | MtaStsError::Status { .. }
            | MtaStsError::ContentType { .. }
            | MtaStsError::NoContentType
            | MtaStsError::HeadTooLarge { .. }
            | MtaStsError::ClosedInHead
            | MtaStsError::BodyTooLarge { .. }
            | MtaStsError::DeclaredTooLarge { .. }
            | MtaStsError::ClosedInChunk
            | MtaStsError::ClosedInBody { .. }
            | MtaStsError::BadContentLength { .. }
            | MtaStsError::Read { .. }
            | MtaStsError::HeadNotText
            | MtaStsError::ChunkSizeNotText
            | MtaStsError::NotHttp { .. }
            | MtaStsError::BadStatusLine { .. }
            | MtaStsError::MalformedHeader { .. }
            | MtaStsError::BadChunkSize { .. }
            | MtaStsError::ChunkWithoutCrlf => true,
            _ => false,
        }
    }

    /// The policy was fetched but is not a valid policy.
    pub fn is_policy_syntax(&self) -> bool {
        matches!(
            self,
            MtaStsError::NotUtf8
                | MtaStsError::PolicyLine { .. }
                | MtaStsError::PolicyTwice { .. }
                | MtaStsError::PolicyPattern { .. }
                | MtaStsError::PolicyVersion { .. }
                | MtaStsError::PolicyNoVersion
                | MtaStsError::PolicyMode { .. }
                | MtaStsError::PolicyNoMode
                | MtaStsError::PolicyNoMaxAge
                | MtaStsError::PolicyMaxAge { .. }
                | MtaStsError::PolicyMaxAgeTooLong { .. }
                | MtaStsError::PolicyNoMx
        )
    }

    /// A TXT record (`_mta-sts`, `_smtp._tls`) is not valid.
    pub fn is_record_syntax(&self) -> bool {
        matches!(
            self,
            MtaStsError::RecordTag { .. }
                | MtaStsError::RecordSeparator { .. }
                | MtaStsError::RecordEmptyField
                | MtaStsError::RecordNotKeyValue { .. }
                | MtaStsError::RecordMalformedField { .. }
                | MtaStsError::RecordTwice { .. }
                | MtaStsError::RecordMissing { .. }
                | MtaStsError::RecordBadId { .. }
                | MtaStsError::RecordBadRua { .. }
                | MtaStsError::RecordSeveral { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_sort_the_failures() {
        let addr: SocketAddr = ([192, 0, 2, 1], 443).into();
        let tls = MtaStsError::Tls {
            host: "mta-sts.example.org".into(),
            addr,
            reason: "invalid peer certificate: UnknownIssuer".into(),
            certificate: true,
        };
        assert!(tls.is_unreachable() && tls.is_certificate() && !tls.is_http());
        let framing = MtaStsError::Response {
            host: "mta-sts.example.org".into(),
            addr,
            source: Box::new(MtaStsError::ChunkWithoutCrlf),
        };
        assert!(framing.is_http() && !framing.is_unreachable());
        assert_eq!(
            framing.to_string(),
            "mta-sts.example.org at 192.0.2.1:443: chunk not followed by CRLF"
        );
        assert!(MtaStsError::PolicyNoMx.is_policy_syntax());
        assert!(MtaStsError::RecordEmptyField.is_record_syntax());
        let timeout = MtaStsError::Timeout {
            host: "h".into(),
            after: Duration::from_secs(5),
        };
        assert!(timeout.is_timeout() && timeout.is_unreachable());
    }
}
