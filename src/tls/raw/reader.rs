//! Reading the server's first flight up to what answers the hello, record
//! by record, never more than needed and never more than the caps.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::reply::parse_server_hello;
use super::sslv2::parse_server_message;
use super::{content, Alert, RawError, Reply, MAX_RECORD_BODY};
use crate::limits::{RAW_FIRST_FLIGHT_BYTES, RAW_FIRST_FLIGHT_RECORDS};

/// handshake type server_hello.
const SERVER_HELLO: u8 = 2;
/// handshake type hello_request: may come at any time, and is ignored.
const HELLO_REQUEST: u8 = 0;

/// Finds the answer to a hello in the bytes a server sends, however they
/// are split into reads, records or handshake fragments. Feed it at most
/// [`FirstFlightReader::wanted`] bytes at a time to read no further than the
/// answer (the stream is then left at a record boundary).
#[derive(Debug, Default)]
pub(crate) struct FirstFlightReader {
    /// The record being read: its header, then its body.
    record: Vec<u8>,
    /// Handshake bytes gathered from records, not yet a whole message.
    handshake: Vec<u8>,
    /// The version of the record the pending handshake message began in.
    hello_record_version: u16,
    /// Bytes consumed so far.
    read: usize,
    /// Records begun so far.
    records: usize,
    /// An answer or an error was returned: nothing more is wanted.
    done: bool,
}

impl FirstFlightReader {
    /// A reader at the start of the server's answer.
    pub(crate) fn new() -> FirstFlightReader {
        FirstFlightReader::default()
    }

    /// Bytes consumed so far.
    pub(crate) fn bytes_read(&self) -> usize {
        self.read
    }

    /// How many bytes complete the current record header or record; 0 once
    /// an answer or error was returned.
    pub(crate) fn wanted(&self) -> usize {
        if self.done {
            return 0;
        }
        match self.header() {
            None => 2 - self.record.len().min(2),
            Some((header, None)) => header - self.record.len(),
            Some((header, Some(body))) => header + body - self.record.len(),
        }
    }

    /// The header length once known (2 for SSLv2, 5 for TLS), and the body
    /// length once the header is complete.
    fn header(&self) -> Option<(usize, Option<usize>)> {
        let r = &self.record;
        if r.len() < 2 {
            return None;
        }
        if self.sslv2() {
            let len = usize::from(u16::from_be_bytes([r[0] & 0x7f, r[1]]));
            return Some((2, Some(len)));
        }
        if r.len() < 5 {
            return Some((5, None));
        }
        Some((5, Some(usize::from(u16::from_be_bytes([r[3], r[4]])))))
    }

    /// The record being read is an SSLv2 one: only the first can be, and
    /// TLS content types are below 0x80.
    fn sslv2(&self) -> bool {
        self.read == self.record.len() && self.record.first().is_some_and(|b| b & 0x80 != 0)
    }

    /// Consumes bytes from the front of `data`; returns how many and, once
    /// complete, the answer. An error ends the reading, as does an answer.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<(usize, Option<Reply>), RawError> {
        let mut used = 0;
        while !self.done && used < data.len() {
            let header_before = self.header().and_then(|(_, body)| body).is_some();
            let n = self.wanted().min(data.len() - used);
            self.record.extend_from_slice(&data[used..used + n]);
            self.read += n;
            used += n;
            if !header_before && self.header().and_then(|(_, body)| body).is_some() {
                self.check_header().inspect_err(|_| self.done = true)?;
            }
            if self.wanted() == 0 {
                let reply = self.record_done().inspect_err(|_| self.done = true)?;
                if reply.is_some() {
                    self.done = true;
                    return Ok((used, reply));
                }
            }
        }
        Ok((used, None))
    }

    /// A header just completed: is it one, and does its record fit?
    fn check_header(&mut self) -> Result<(), RawError> {
        let Some((header, Some(body))) = self.header() else {
            return Ok(());
        };
        self.records += 1;
        if self.records > RAW_FIRST_FLIGHT_RECORDS {
            return Err(RawError::TooLong {
                limit: RAW_FIRST_FLIGHT_RECORDS,
                unit: "records",
            });
        }
        if header == 5 {
            let r = &self.record;
            if !(content::CHANGE_CIPHER_SPEC..=content::HEARTBEAT).contains(&r[0]) {
                return Err(RawError::Malformed {
                    what: "not a TLS record (unknown content type)",
                });
            }
            if r[1] != 3 {
                return Err(RawError::Malformed {
                    what: "record version is not 3.x",
                });
            }
            if body > MAX_RECORD_BODY {
                return Err(RawError::Malformed {
                    what: "record longer than 18432 bytes",
                });
            }
        }
        // The header is read; the body would end the record here.
        if self.read + body > RAW_FIRST_FLIGHT_BYTES {
            return Err(RawError::TooLong {
                limit: RAW_FIRST_FLIGHT_BYTES,
                unit: "bytes",
            });
        }
        Ok(())
    }

    /// A record is complete: the answer, or `None` to read on.
    fn record_done(&mut self) -> Result<Option<Reply>, RawError> {
        let sslv2 = self.sslv2();
        let record = std::mem::take(&mut self.record);
        if sslv2 {
            return Ok(Some(match parse_server_message(&record[2..])? {
                Ok(hello) => Reply::Sslv2ServerHello(hello),
                Err(code) => Reply::Sslv2Error { code },
            }));
        }
        let version = u16::from_be_bytes([record[1], record[2]]);
        let body = &record[5..];
        match record[0] {
            content::ALERT => match body {
                [level, description, ..] => Ok(Some(Reply::Alert(Alert {
                    level: *level,
                    description: *description,
                }))),
                _ => Err(RawError::Malformed {
                    what: "alert record shorter than 2 bytes",
                }),
            },
            content::HANDSHAKE if body.is_empty() => Err(RawError::Malformed {
                what: "empty handshake record",
            }),
            content::HANDSHAKE => {
                if self.handshake.is_empty() {
                    self.hello_record_version = version;
                }
                self.handshake.extend_from_slice(body);
                self.next_message()
            }
            content_type => Err(RawError::UnexpectedRecord { content_type }),
        }
    }

    /// The ServerHello, once the gathered handshake bytes hold it.
    fn next_message(&mut self) -> Result<Option<Reply>, RawError> {
        while let [msg_type, a, b, c, ..] = self.handshake[..] {
            let len = u32::from_be_bytes([0, a, b, c]) as usize;
            match msg_type {
                HELLO_REQUEST if len == 0 => {
                    self.handshake.drain(..4);
                }
                SERVER_HELLO if len > RAW_FIRST_FLIGHT_BYTES => {
                    return Err(RawError::TooLong {
                        limit: RAW_FIRST_FLIGHT_BYTES,
                        unit: "bytes",
                    })
                }
                SERVER_HELLO if self.handshake.len() >= 4 + len => {
                    let hello =
                        parse_server_hello(self.hello_record_version, &self.handshake[4..4 + len])?;
                    return Ok(Some(Reply::ServerHello(hello)));
                }
                SERVER_HELLO => return Ok(None),
                msg_type => return Err(RawError::UnexpectedMessage { msg_type }),
            }
        }
        Ok(None)
    }
}

/// Reads from `stream` up to the answer to a hello, within `timeout`, never
/// past it.
pub(crate) async fn read_first_flight<S>(
    stream: &mut S,
    timeout: Duration,
) -> Result<Reply, RawError>
where
    S: AsyncRead + Unpin,
{
    let mut reader = FirstFlightReader::new();
    let mut buf = vec![0; 4096];
    let read = async {
        loop {
            let want = reader.wanted().clamp(1, buf.len());
            let n = stream.read(&mut buf[..want]).await?;
            if n == 0 {
                return Err(RawError::Closed {
                    read: reader.bytes_read(),
                });
            }
            if let (_, Some(reply)) = reader.feed(&buf[..n])? {
                return Ok(reply);
            }
        }
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| RawError::Timeout { after: timeout })?
}
