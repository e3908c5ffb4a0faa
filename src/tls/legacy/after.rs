//! What is asked on a connection after the server's ServerHello: the
//! Heartbleed request, or the early ChangeCipherSpec of the CCS-injection
//! check. Neither reads more than the header of what answers it.

use std::time::Duration;

use crate::tls::raw::{
    change_cipher_spec, heartbeat_request, read_heartbeat_reply, HeartbeatReply, RawError,
    ServerHello,
};

/// The heartbeat payload sent, and the length it claims.
const HEARTBEAT_PAYLOAD: &[u8] = b"mxprobe";
const HEARTBEAT_CLAIMED: u16 = 0x4000;
/// How long to wait for an answer that a sound server never sends (a
/// heartbeat response, anything after an early ChangeCipherSpec): servers
/// open to either answer at once.
const SILENCE: Duration = Duration::from_secs(2);

/// What was learnt on the connection after a ServerHello.
pub(super) enum After {
    /// Heartbleed: whether the heartbeat response leaked (`None`: no
    /// answer to read).
    Heartbeat(Option<bool>),
    /// CCS injection: whether the early ChangeCipherSpec was taken.
    Ccs(Option<bool>),
}

/// Something asked on the same connection after a ServerHello.
pub(super) trait AsyncThen<St, T> {
    async fn run(self, stream: &mut St, sh: &ServerHello) -> Option<T>;
}

/// Nothing more.
pub(super) struct Nothing;

impl<St, T> AsyncThen<St, T> for Nothing {
    async fn run(self, _: &mut St, _: &ServerHello) -> Option<T> {
        None
    }
}

/// The heartbeat request where the server echoed the extension, else the
/// early ChangeCipherSpec.
pub(super) struct Probe {
    pub(super) version: u16,
}

impl<St> AsyncThen<St, After> for Probe
where
    St: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    async fn run(self, stream: &mut St, sh: &ServerHello) -> Option<After> {
        if sh.heartbeat_mode().is_none() {
            return Ccs {
                version: self.version,
            }
            .run(stream, sh)
            .await;
        }
        let request = heartbeat_request(self.version, HEARTBEAT_PAYLOAD, HEARTBEAT_CLAIMED);
        if write(stream, &request).await.is_err() {
            return Some(After::Heartbeat(None));
        }
        Some(After::Heartbeat(
            match read_heartbeat_reply(stream, SILENCE).await {
                Ok(reply) => Some(reply.leaks(HEARTBEAT_PAYLOAD.len())),
                // Silence: RFC 6520 §4 has a sound server discard it.
                Err(e) if e.is_timeout() || e.is_closed() => Some(false),
                Err(_) => None,
            },
        ))
    }
}

/// The early ChangeCipherSpec: an alert (or a close) is the sound answer;
/// a server that keeps waiting for more took it.
pub(super) struct Ccs {
    pub(super) version: u16,
}

impl<St> AsyncThen<St, After> for Ccs
where
    St: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    async fn run(self, stream: &mut St, _: &ServerHello) -> Option<After> {
        if write(stream, &change_cipher_spec(self.version))
            .await
            .is_err()
        {
            return Some(After::Ccs(None));
        }
        Some(After::Ccs(
            match read_heartbeat_reply(stream, SILENCE).await {
                Ok(HeartbeatReply::Alert(_)) => Some(false),
                Ok(_) => Some(true),
                Err(e) if e.is_closed() => Some(false),
                Err(e) if e.is_timeout() => Some(true),
                Err(_) => None,
            },
        ))
    }
}

async fn write<St>(stream: &mut St, bytes: &[u8]) -> Result<(), RawError>
where
    St: tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::AsyncWriteExt;
    stream.write_all(bytes).await?;
    stream.flush().await?;
    Ok(())
}
