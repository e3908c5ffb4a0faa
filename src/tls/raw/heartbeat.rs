//! The records of two vulnerability probes sent in the middle of a
//! handshake: a heartbeat request claiming more payload than it carries
//! (Heartbleed, CVE-2014-0160; sent before the handshake finishes, as
//! testssl.sh does, so no keys are needed) and an early ChangeCipherSpec
//! (CCS injection, CVE-2014-0224). Also reading what answers the heartbeat,
//! without reading what a vulnerable server leaks.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::hello::records;
use super::{content, Alert, RawError};
use crate::limits::{RAW_FIRST_FLIGHT_BYTES, RAW_FIRST_FLIGHT_RECORDS};

/// heartbeat_request (RFC 6520 §3).
const HEARTBEAT_REQUEST: u8 = 1;
/// heartbeat_response.
pub(crate) const HEARTBEAT_RESPONSE: u8 = 2;

/// A heartbeat request record of `version` carrying `payload` but claiming
/// `claimed_len` bytes of it, without the 16 bytes of padding RFC 6520 asks
/// for: a patched server discards it silently (RFC 6520 §4), a vulnerable
/// one echoes `claimed_len` bytes of its memory.
pub(crate) fn heartbeat_request(version: u16, payload: &[u8], claimed_len: u16) -> Vec<u8> {
    let mut message = vec![HEARTBEAT_REQUEST];
    message.extend_from_slice(&claimed_len.to_be_bytes());
    message.extend_from_slice(payload);
    records(content::HEARTBEAT, version, &message)
}

/// A ChangeCipherSpec record of `version` (body `0x01`): sent right after
/// the ServerHello, before any key exchange, a server that is not open to
/// CCS injection answers with an unexpected_message alert.
pub(crate) fn change_cipher_spec(version: u16) -> Vec<u8> {
    records(content::CHANGE_CIPHER_SPEC, version, &[1])
}

/// The first record after the rest of the server's flight, once a
/// heartbeat request was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeartbeatReply {
    /// A heartbeat message: its header only.
    Heartbeat {
        /// 2 for a response.
        msg_type: u8,
        /// The payload length it claims.
        payload_len: u16,
        /// The record's length (header, payload and padding).
        record_len: u16,
    },
    /// An alert.
    Alert(Alert),
    /// A record of another content type (its body is not read).
    Other {
        /// Its content type.
        content_type: u8,
    },
}

impl HeartbeatReply {
    /// A response with more payload than the `sent` bytes: the server
    /// echoed its memory (Heartbleed).
    pub(crate) fn leaks(&self, sent: usize) -> bool {
        matches!(self, HeartbeatReply::Heartbeat { msg_type, payload_len, .. }
            if *msg_type == HEARTBEAT_RESPONSE && usize::from(*payload_len) > sent)
    }
}

/// Reads past the rest of the server's handshake records (whole, within the
/// caps of the first flight) and classifies the first other record from its
/// 5-byte header and at most the 3 bytes after it, within `timeout`.
pub(crate) async fn read_heartbeat_reply<S>(
    stream: &mut S,
    timeout: Duration,
) -> Result<HeartbeatReply, RawError>
where
    S: AsyncRead + Unpin,
{
    let mut read = 0;
    let mut skipped = 0;
    let reading = async {
        loop {
            let mut header = [0; 5];
            exact(stream, &mut header, &mut read).await?;
            let len = u16::from_be_bytes([header[3], header[4]]);
            match header[0] {
                content::HANDSHAKE => {
                    skipped += 1;
                    if skipped > RAW_FIRST_FLIGHT_RECORDS
                        || read + usize::from(len) > RAW_FIRST_FLIGHT_BYTES
                    {
                        return Err(RawError::TooLong {
                            limit: RAW_FIRST_FLIGHT_BYTES,
                            unit: "bytes",
                        });
                    }
                    let mut body = vec![0; usize::from(len)];
                    exact(stream, &mut body, &mut read).await?;
                }
                content::HEARTBEAT => {
                    let mut start = [0; 3];
                    let start = &mut start[..usize::from(len).min(3)];
                    exact(stream, start, &mut read).await?;
                    return match *start {
                        [msg_type, a, b] => Ok(HeartbeatReply::Heartbeat {
                            msg_type,
                            payload_len: u16::from_be_bytes([a, b]),
                            record_len: len,
                        }),
                        _ => Err(RawError::Malformed {
                            what: "heartbeat record shorter than 3 bytes",
                        }),
                    };
                }
                content::ALERT => {
                    let mut body = [0; 2];
                    let body = &mut body[..usize::from(len).min(2)];
                    exact(stream, body, &mut read).await?;
                    return match *body {
                        [level, description] => {
                            Ok(HeartbeatReply::Alert(Alert { level, description }))
                        }
                        _ => Err(RawError::Malformed {
                            what: "alert record shorter than 2 bytes",
                        }),
                    };
                }
                content_type => return Ok(HeartbeatReply::Other { content_type }),
            }
        }
    };
    tokio::time::timeout(timeout, reading)
        .await
        .map_err(|_| RawError::Timeout { after: timeout })?
}

/// Fills `buf` from `stream`, an early end being [`RawError::Closed`].
async fn exact<S>(stream: &mut S, buf: &mut [u8], read: &mut usize) -> Result<(), RawError>
where
    S: AsyncRead + Unpin,
{
    match stream.read_exact(buf).await {
        Ok(_) => {
            *read += buf.len();
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(RawError::Closed { read: *read }),
        Err(e) => Err(e.into()),
    }
}
