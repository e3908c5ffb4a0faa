//! A scripted server on the connection: reads records, records them,
//! sends what [`answer`](super::answer) says.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use super::answer::{self, Step};
use super::hello::{self, ClientHello};
use super::{Prepared, Record, ScriptedSession, RECORDS_KEPT, RECORD_BODY_KEPT};

/// Longest record body read (RFC 5246 §6.2.3: 2^14 + 2048 for ciphertext).
const MAX_RECORD: usize = (1 << 14) + 2048;
/// Longest ClientHello collected over several records.
const MAX_HELLO: usize = 1 << 16;

/// Why no hello was read.
enum NoHello {
    /// The client closed, went quiet or the connection failed: nobody to
    /// answer.
    Gone(String),
    /// The bytes are no hello: answered with an alert.
    Bad(String),
}

/// Serves the TLS side of one connection as `prepared` scripts it.
/// `idle` bounds every wait for the client; `publish` gets the session's
/// record after every change.
pub(in crate::testkit::smtp) async fn serve<S>(
    stream: &mut S,
    prepared: &Prepared,
    idle: Duration,
    publish: &(dyn Fn(&ScriptedSession) + Sync),
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let read = match timeout(idle, read_hello(stream)).await {
        Ok(read) => read,
        Err(_) => Err(NoHello::Gone("no hello before the time-out".into())),
    };
    let (hello, answerable) = match read {
        Ok(hello) => (Ok(hello), true),
        Err(NoHello::Bad(why)) => (Err(why), true),
        Err(NoHello::Gone(why)) => (Err(why), false),
    };
    let mut log = ScriptedSession {
        hello,
        answers: Vec::new(),
        records: Vec::new(),
    };
    publish(&log);
    if !answerable {
        return Ok(());
    }
    let (step, mut after) = answer::first(&prepared.script, &log.hello, &prepared.chain);
    if !send(stream, step, &mut log, publish).await? {
        return drain(stream, idle).await;
    }
    let Some(after) = after.as_mut() else {
        return drain(stream, idle).await;
    };
    loop {
        let Ok(Ok(Some((content_type, version, body)))) = timeout(idle, read_record(stream)).await
        else {
            return Ok(());
        };
        if log.records.len() < RECORDS_KEPT {
            log.records.push(Record {
                content_type,
                version,
                length: body.len(),
                body: body[..body.len().min(RECORD_BODY_KEPT)].to_vec(),
            });
            publish(&log);
        }
        match after.on_record(content_type, &body) {
            Step::Wait => {}
            Step::Close => return Ok(()),
            step => {
                if !send(stream, step, &mut log, publish).await? {
                    return drain(stream, idle).await;
                }
            }
        }
    }
}

/// Sends a step's bytes and logs its answer; whether to go on.
async fn send<S>(
    stream: &mut S,
    step: Step,
    log: &mut ScriptedSession,
    publish: &(dyn Fn(&ScriptedSession) + Sync),
) -> io::Result<bool>
where
    S: AsyncWrite + Unpin,
{
    match step {
        Step::Wait => Ok(true),
        Step::Close => Ok(false),
        Step::Send {
            bytes,
            answer,
            close,
        } => {
            log.answers.push(answer);
            publish(log);
            stream.write_all(&bytes).await?;
            stream.flush().await?;
            Ok(!close)
        }
    }
}

/// Reads until the client closes (at most `idle` between reads), so that a
/// final alert reaches it rather than a reset.
async fn drain<S: AsyncRead + Unpin>(stream: &mut S, idle: Duration) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    while matches!(timeout(idle, stream.read(&mut buf)).await, Ok(Ok(1..))) {}
    Ok(())
}

/// The client's first flight: an SSLv2 record (high bit set, 2-byte
/// header) or TLS handshake records up to the end of the ClientHello.
async fn read_hello<S: AsyncRead + Unpin>(stream: &mut S) -> Result<ClientHello, NoHello> {
    let gone = |e: io::Error| {
        NoHello::Gone(match e.kind() {
            io::ErrorKind::UnexpectedEof => "closed before the end of its hello".into(),
            _ => format!("connection failed during its hello: {e}"),
        })
    };
    let mut start = [0u8; 2];
    stream.read_exact(&mut start).await.map_err(gone)?;
    if start[0] & 0x80 != 0 {
        let len = usize::from(start[0] & 0x7f) << 8 | usize::from(start[1]);
        let mut body = vec![0; len];
        stream.read_exact(&mut body).await.map_err(gone)?;
        return hello::parse_sslv2(&body).map_err(NoHello::Bad);
    }
    let mut rest = [0u8; 3];
    stream.read_exact(&mut rest).await.map_err(gone)?;
    let header = [start[0], start[1], rest[0], rest[1], rest[2]];
    let (record_version, mut fragment) = record_body(stream, header).await?;
    loop {
        let needed = hello::handshake_len(&fragment);
        if needed.is_some_and(|n| n > MAX_HELLO) {
            return Err(NoHello::Bad("a ClientHello longer than 64 KiB".into()));
        }
        if needed.is_some_and(|n| fragment.len() >= n) {
            break;
        }
        let mut header = [0u8; 5];
        stream.read_exact(&mut header).await.map_err(gone)?;
        fragment.extend(record_body(stream, header).await?.1);
    }
    hello::parse_tls(record_version, &fragment).map_err(NoHello::Bad)
}

/// The version and body of a handshake record with this header.
async fn record_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    header: [u8; 5],
) -> Result<(u16, Vec<u8>), NoHello> {
    let [content_type, major, minor, hi, lo] = header;
    if content_type != 22 {
        return Err(NoHello::Bad(format!(
            "a record of type {content_type}, not a handshake (22)"
        )));
    }
    if major != 3 {
        return Err(NoHello::Bad(format!(
            "record version {major}.{minor}: not SSL 3 or TLS"
        )));
    }
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if len == 0 || len > MAX_RECORD {
        return Err(NoHello::Bad(format!("a handshake record of {len} bytes")));
    }
    let mut body = vec![0; len];
    stream
        .read_exact(&mut body)
        .await
        .map_err(|_| NoHello::Gone("closed before the end of its hello".into()))?;
    Ok((u16::from_be_bytes([major, minor]), body))
}

/// One TLS record after the hello: type, version, body; `None` at EOF.
async fn read_record<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> io::Result<Option<(u8, u16, Vec<u8>)>> {
    let mut header = [0u8; 5];
    match stream.read_exact(&mut header).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    if len > MAX_RECORD {
        // Not TLS framing any more: nothing sensible follows.
        return Ok(None);
    }
    let mut body = vec![0; len];
    stream.read_exact(&mut body).await?;
    Ok(Some((
        header[0],
        u16::from_be_bytes([header[1], header[2]]),
        body,
    )))
}
