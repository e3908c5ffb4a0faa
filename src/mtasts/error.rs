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
    #[error("cannot resolve the policy host: {reason}")]
    Resolve { reason: String },
    #[error("{host} has no address")]
    NoAddress { host: String },
    #[error("{host:?} is not a valid server name")]
    InvalidHost { host: String },
    #[error("connect to {addr}: {reason}")]
    Connect { addr: SocketAddr, reason: String },
    /// The TLS handshake with the policy host failed; `certificate`: it
    /// failed on the certificate (untrusted, expired, wrong name).
    #[error("TLS with {host} at {addr}: {reason}")]
    Tls {
        host: String,
        addr: SocketAddr,
        reason: String,
        certificate: bool,
    },
    #[error("sending the request to {addr}: {reason}")]
    Send { addr: SocketAddr, reason: String },
    /// The response could not be read (see `source`).
    #[error("{host} at {addr}: {source}")]
    Response {
        host: String,
        addr: SocketAddr,
        source: Box<MtaStsError>,
    },
    #[error("no policy from {host} within {after:?}")]
    Timeout { host: String, after: Duration },
    #[error("HTTP {status} redirect to {to}: RFC 8461 §3.3 forbids following redirects")]
    Redirect { status: u16, to: String },
    #[error("HTTP {status}")]
    Status { status: u16 },
    #[error("Content-Type {got:?} is not text/plain")]
    ContentType { got: String },
    #[error("no Content-Type; text/plain is required")]
    NoContentType,
    #[error("policy is not UTF-8 text")]
    NotUtf8,

    // --- reading the HTTP response (capped, see `http`) ---
    #[error("response headers exceed {limit} bytes")]
    HeadTooLarge { limit: usize },
    #[error("connection closed before the response headers ended")]
    ClosedInHead,
    #[error("policy exceeds {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("policy of {length} bytes exceeds {limit}")]
    DeclaredTooLarge { length: usize, limit: usize },
    #[error("connection closed inside a chunked body")]
    ClosedInChunk,
    #[error("connection closed after {got} of {length} body bytes")]
    ClosedInBody { got: usize, length: usize },
    #[error("invalid Content-Length {value:?}")]
    BadContentLength { value: String },
    #[error("reading the response: {reason}")]
    Read { reason: String },
    #[error("response headers are not text")]
    HeadNotText,
    #[error("bad chunk size")]
    ChunkSizeNotText,
    #[error("not an HTTP/1.x response: {line:?}")]
    NotHttp { line: String },
    #[error("invalid status line {line:?}")]
    BadStatusLine { line: String },
    #[error("malformed header line {line:?}")]
    MalformedHeader { line: String },
    #[error("bad chunk size {size:?}")]
    BadChunkSize { size: String },
    #[error("chunk not followed by CRLF")]
    ChunkWithoutCrlf,

    // --- the policy file (RFC 8461 §3.2) ---
    #[error("line {line}: {text:?} is not 'key: value'")]
    PolicyLine { line: usize, text: String },
    #[error("line {line}: {key} given twice")]
    PolicyTwice { line: usize, key: &'static str },
    #[error("line {line}: mx {pattern:?} is not a host name or *.domain")]
    PolicyPattern { line: usize, pattern: String },
    #[error("version {got:?}: only STSv1 is defined{hint}")]
    PolicyVersion { got: String, hint: &'static str },
    #[error("no version: STSv1 line")]
    PolicyNoVersion,
    #[error("mode {got:?}: not enforce, testing or none{hint}")]
    PolicyMode { got: String, hint: &'static str },
    #[error("no mode line")]
    PolicyNoMode,
    #[error("no max_age line")]
    PolicyNoMaxAge,
    #[error("max_age {got:?}: not a number of seconds")]
    PolicyMaxAge { got: String },
    #[error("max_age {got} exceeds {limit} (one year)")]
    PolicyMaxAgeTooLong { got: u64, limit: u64 },
    #[error("no mx line: enforce and testing need at least one")]
    PolicyNoMx,

    // --- the TXT records (RFC 8461 §3.1, RFC 8460 §3) ---
    #[error("does not start with {tag}")]
    RecordTag { tag: String },
    #[error("expected ';' after {tag}")]
    RecordSeparator { tag: String },
    #[error("empty field between ';'")]
    RecordEmptyField,
    #[error("field {field:?} is not key=value")]
    RecordNotKeyValue { field: String },
    /// Quoted: the record is the domain owner's text, and may hold line
    /// breaks and terminal escapes.
    #[error("malformed field {field:?}")]
    RecordMalformedField { field: String },
    #[error("{key}= given twice")]
    RecordTwice { key: &'static str },
    #[error("no {key}= field")]
    RecordMissing { key: &'static str },
    #[error("id={value:?} must be 1 to 32 letters and digits")]
    RecordBadId { value: String },
    #[error("rua {uri:?}: {why}")]
    RecordBadRua { uri: String, why: &'static str },
    #[error("{count} records start with {tag}; exactly one is allowed")]
    RecordSeveral { count: usize, tag: String },
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
