//! Just enough HTTP/1.1 (RFC 9112) for one `GET` of a policy file: the
//! request, and a response reader with a cap on every part. Content-Length,
//! chunked and close-delimited bodies are understood; nothing else
//! (no keep-alive, no compression — we never ask for it).

use tokio::io::{AsyncRead, AsyncReadExt};

use super::MtaStsError;

pub(crate) use crate::limits::{MTA_STS_BODY as MAX_BODY, MTA_STS_HEAD as MAX_HEAD};

/// A response as far as MTA-STS cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    /// `Content-Type` as sent.
    pub content_type: Option<String>,
    /// `Location`, for the error message of a redirect.
    pub location: Option<String>,
    /// Empty unless the status is 200.
    pub body: Vec<u8>,
}

/// The request for `path` on `host`.
pub(crate) fn request(host: &str, path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mxprobe/{}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Read a response. The body is read only for status 200.
pub(crate) async fn read_response<R: AsyncRead + Unpin>(
    mut reader: R,
) -> Result<Response, MtaStsError> {
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(MtaStsError::HeadTooLarge { limit: MAX_HEAD });
        }
        if read_some(&mut reader, &mut buf, MAX_HEAD + 4).await? == 0 {
            return Err(MtaStsError::ClosedInHead);
        }
    };
    let head = parse_head(&buf[..head_end])?;
    let mut response = Response {
        status: head.status,
        content_type: head.header("content-type").map(str::to_owned),
        location: head.header("location").map(str::to_owned),
        body: Vec::new(),
    };
    if head.status != 200 {
        return Ok(response);
    }
    let mut body = buf.split_off(head_end);
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if chunked {
        // Chunk framing costs a few bytes per chunk; allow for it.
        let raw_cap = MAX_BODY * 2 + 1024;
        loop {
            if let Some(decoded) = dechunk(&body)? {
                response.body = decoded;
                return Ok(response);
            }
            if body.len() > raw_cap {
                return Err(MtaStsError::BodyTooLarge { limit: MAX_BODY });
            }
            if read_some(&mut reader, &mut body, raw_cap + 1).await? == 0 {
                return Err(MtaStsError::ClosedInChunk);
            }
        }
    }
    if let Some(length) = head.header("content-length") {
        let length: usize = length
            .trim()
            .parse()
            .map_err(|_| MtaStsError::BadContentLength {
                value: length.to_owned(),
            })?;
        if length > MAX_BODY {
            return Err(MtaStsError::DeclaredTooLarge {
                length,
                limit: MAX_BODY,
            });
        }
        while body.len() < length {
            if read_some(&mut reader, &mut body, length).await? == 0 {
                return Err(MtaStsError::ClosedInBody {
                    got: body.len(),
                    length,
                });
            }
        }
        body.truncate(length);
        response.body = body;
        return Ok(response);
    }
    // Delimited by the end of the connection.
    loop {
        if body.len() > MAX_BODY {
            return Err(MtaStsError::BodyTooLarge { limit: MAX_BODY });
        }
        if read_some(&mut reader, &mut body, MAX_BODY + 1).await? == 0 {
            response.body = body;
            return Ok(response);
        }
    }
}

/// Append what one read brings, never letting `buf` grow past `cap`.
async fn read_some<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> Result<usize, MtaStsError> {
    let room = cap.saturating_sub(buf.len()).clamp(1, 16 * 1024);
    let mut chunk = vec![0u8; room];
    let n = reader
        .read(&mut chunk)
        .await
        .map_err(|e| MtaStsError::Read {
            reason: e.to_string(),
        })?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn parse_head(bytes: &[u8]) -> Result<Head, MtaStsError> {
    let text = std::str::from_utf8(bytes).map_err(|_| MtaStsError::HeadNotText)?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !version.starts_with("HTTP/1.") {
        return Err(MtaStsError::NotHttp {
            line: status_line.to_owned(),
        });
    }
    let status = code
        .parse::<u16>()
        .ok()
        .filter(|c| (100..=999).contains(c))
        .ok_or_else(|| MtaStsError::BadStatusLine {
            line: status_line.to_owned(),
        })?;
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| MtaStsError::MalformedHeader {
                line: line.to_owned(),
            })?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    Ok(Head { status, headers })
}

/// Decode a complete chunked body; `Ok(None)` while more bytes are needed.
fn dechunk(raw: &[u8]) -> Result<Option<Vec<u8>>, MtaStsError> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let Some(eol) = find(&raw[pos..], b"\r\n") else {
            return Ok(None);
        };
        let size_line =
            std::str::from_utf8(&raw[pos..pos + eol]).map_err(|_| MtaStsError::ChunkSizeNotText)?;
        let size_hex = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| MtaStsError::BadChunkSize {
            size: size_hex.to_owned(),
        })?;
        pos += eol + 2;
        if size == 0 {
            // Trailers (ignored) end with an empty line.
            return Ok(find(&raw[pos..], b"\r\n").map(|_| out));
        }
        if out.len() + size > MAX_BODY {
            return Err(MtaStsError::BodyTooLarge { limit: MAX_BODY });
        }
        if raw.len() < pos + size + 2 {
            return Ok(None);
        }
        out.extend_from_slice(&raw[pos..pos + size]);
        if &raw[pos + size..pos + size + 2] != b"\r\n" {
            return Err(MtaStsError::ChunkWithoutCrlf);
        }
        pos += size + 2;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether a Content-Type is `text/plain` (parameters allowed).
pub(crate) fn is_text_plain(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/plain"))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(bytes: &[u8]) -> Result<Response, MtaStsError> {
        read_response(bytes).await
    }

    #[tokio::test]
    async fn content_length_chunked_and_close_delimited_bodies() {
        let r =
            read(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
                .await;
        assert_eq!(r.map(|r| r.body), Ok(b"hello".to_vec()));
        let r = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n").await;
        assert_eq!(r.map(|r| r.body), Ok(b"hello".to_vec()));
        let r = read(b"HTTP/1.0 200 OK\r\n\r\nhello").await;
        assert_eq!(r.map(|r| r.body), Ok(b"hello".to_vec()));
    }

    #[tokio::test]
    async fn redirects_and_errors_keep_their_status_without_a_body() {
        let r = read(b"HTTP/1.1 301 Moved\r\nLocation: https://elsewhere.example/\r\nContent-Length: 3\r\n\r\nabc")
            .await
            .expect("response");
        assert_eq!(r.status, 301);
        assert_eq!(r.location.as_deref(), Some("https://elsewhere.example/"));
        assert!(r.body.is_empty());
    }

    #[tokio::test]
    async fn caps_and_garbage_are_errors() {
        let big = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert!(read(big.as_bytes())
            .await
            .is_err_and(|e| e.to_string().contains("exceeds")));
        let mut endless = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        endless.extend(vec![b'a'; MAX_BODY + 10]);
        assert!(read(&endless)
            .await
            .is_err_and(|e| e.to_string().contains("exceeds")));
        let mut chunks = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..40 {
            chunks.extend(format!("800\r\n{}\r\n", "a".repeat(0x800)).as_bytes());
        }
        assert!(read(&chunks)
            .await
            .is_err_and(|e| e.to_string().contains("exceeds")));
        let mut headers = b"HTTP/1.1 200 OK\r\n".to_vec();
        headers.extend(vec![b'x'; MAX_HEAD + 10]);
        assert!(read(&headers)
            .await
            .is_err_and(|e| e.to_string().contains("headers exceed")));
        assert!(read(b"SSH-2.0-OpenSSH\r\n\r\n")
            .await
            .is_err_and(|e| e.to_string().contains("not an HTTP")));
        assert!(read(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort")
            .await
            .is_err());
        assert!(
            read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                .await
                .is_err()
        );
        assert!(read(b"HTTP/1.1 200").await.is_err());
    }

    #[test]
    fn content_types() {
        assert!(is_text_plain("text/plain"));
        assert!(is_text_plain("Text/Plain; charset=utf-8"));
        assert!(!is_text_plain("text/html"));
        assert!(!is_text_plain("text/plainx"));
    }
}
