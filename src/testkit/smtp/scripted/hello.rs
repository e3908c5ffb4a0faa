//! The scripted servers' reading of a client's first flight: a TLS
//! ClientHello (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2) or an SSLv2
//! CLIENT-HELLO (the SSL 2.0 draft; RFC 5246 Appendix E.2 for the
//! SSLv2-compatible hello), parsed only as far as the scripts need.
//!
//! A test-side parser, not mxprobe's: it reads what a test asserts on
//! (versions, cipher code points, compression, extension types and three
//! extension bodies) and stops there. Every malformed input is an `Err`
//! naming what was wrong, never a panic and never a read past the end.

/// `renegotiation_info` (RFC 5746 §3.2).
pub(super) const RENEGOTIATION_INFO: u16 = 0xff01;
/// `heartbeat` (RFC 6520 §2).
pub(super) const HEARTBEAT: u16 = 15;
/// `supported_versions` (RFC 8446 §4.2.1).
pub(super) const SUPPORTED_VERSIONS: u16 = 43;

/// A client's hello as a scripted server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// The record layer's version (e.g. `0x0301`); `None` when the hello
    /// came in SSLv2 format.
    pub record_version: Option<u16>,
    /// `client_version` (`legacy_version` since TLS 1.3), e.g. `0x0303`;
    /// `0x0002` in an SSLv2 hello, `0x0300` or above in an SSLv2-compatible
    /// one.
    pub legacy_version: u16,
    /// TLS cipher suites offered, in the client's order. From a hello in
    /// SSLv2 format: the specs that are TLS suites (first byte 0).
    pub cipher_suites: Vec<u16>,
    /// Every 3-byte cipher spec of a hello in SSLv2 format, in order (e.g.
    /// `0x010080` for RC4_128_WITH_MD5); empty for a TLS hello.
    pub sslv2_specs: Vec<u32>,
    /// Compression methods offered (`0` null, `1` DEFLATE); empty in SSLv2
    /// format.
    pub compression: Vec<u8>,
    /// Extension types in the order sent.
    pub extensions: Vec<u16>,
    /// The body of `renegotiation_info` (`[0]` on an initial handshake).
    pub renegotiation_info: Option<Vec<u8>>,
    /// The body of `heartbeat` (`[1]`: peer allowed to send requests).
    pub heartbeat: Option<Vec<u8>>,
    /// The versions listed in `supported_versions`, in order.
    pub supported_versions: Option<Vec<u16>>,
}

impl ClientHello {
    /// Whether the hello came in SSLv2 format.
    pub fn is_sslv2(&self) -> bool {
        self.record_version.is_none()
    }

    /// Whether the TLS cipher suite `suite` is offered.
    pub fn offers(&self, suite: u16) -> bool {
        self.cipher_suites.contains(&suite)
    }
}

/// Reads `buf` front to back; every read checks the length first.
struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, what }
    }

    fn take(&mut self, n: usize, field: &str) -> Result<&'a [u8], String> {
        if self.buf.len() < n {
            return Err(format!(
                "{}: {field} needs {n} bytes, {} left",
                self.what,
                self.buf.len()
            ));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn u8(&mut self, field: &str) -> Result<u8, String> {
        Ok(self.take(1, field)?[0])
    }

    fn u16(&mut self, field: &str) -> Result<u16, String> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u24(&mut self, field: &str) -> Result<usize, String> {
        let b = self.take(3, field)?;
        Ok(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }

    /// A vector with a one-byte length.
    fn vec8(&mut self, field: &str) -> Result<&'a [u8], String> {
        let n = self.u8(field)?;
        self.take(usize::from(n), field)
    }

    /// A vector with a two-byte length.
    fn vec16(&mut self, field: &str) -> Result<&'a [u8], String> {
        let n = self.u16(field)?;
        self.take(usize::from(n), field)
    }

    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// The length a handshake message announces, header included, once its
/// 4-byte header is there: how many bytes to collect from the records.
pub(super) fn handshake_len(fragment: &[u8]) -> Option<usize> {
    let header = fragment.get(..4)?;
    Some(4 + (usize::from(header[1]) << 16 | usize::from(header[2]) << 8 | usize::from(header[3])))
}

/// A ClientHello handshake message (type, 3-byte length, body) that came
/// in records of version `record_version`.
pub(super) fn parse_tls(record_version: u16, message: &[u8]) -> Result<ClientHello, String> {
    let mut r = Reader::new(message, "ClientHello");
    let kind = r.u8("handshake type")?;
    if kind != 1 {
        return Err(format!("handshake type {kind}, not ClientHello (1)"));
    }
    let len = r.u24("length")?;
    let mut r = Reader::new(r.take(len, "body")?, "ClientHello");
    let legacy_version = r.u16("client_version")?;
    r.take(32, "random")?;
    r.vec8("session_id")?;
    let suites = r.vec16("cipher_suites")?;
    if suites.len() % 2 != 0 {
        return Err(format!(
            "ClientHello: cipher_suites of odd length {}",
            suites.len()
        ));
    }
    let cipher_suites = suites
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let compression = r.vec8("compression_methods")?.to_vec();
    let mut hello = ClientHello {
        record_version: Some(record_version),
        legacy_version,
        cipher_suites,
        sslv2_specs: Vec::new(),
        compression,
        extensions: Vec::new(),
        renegotiation_info: None,
        heartbeat: None,
        supported_versions: None,
    };
    // Extensions are optional before TLS 1.2 (RFC 5246 §7.4.1.2).
    if r.is_empty() {
        return Ok(hello);
    }
    let mut ext = Reader::new(r.vec16("extensions")?, "ClientHello extensions");
    while !ext.is_empty() {
        let kind = ext.u16("type")?;
        let body = ext.vec16("data")?;
        hello.extensions.push(kind);
        match kind {
            RENEGOTIATION_INFO => hello.renegotiation_info = Some(body.to_vec()),
            HEARTBEAT => hello.heartbeat = Some(body.to_vec()),
            SUPPORTED_VERSIONS => {
                let list = Reader::new(body, "supported_versions").vec8("versions")?;
                hello.supported_versions = Some(
                    list.chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .collect(),
                );
            }
            _ => {}
        }
    }
    Ok(hello)
}

/// The body of an SSLv2 record (after its 2-byte header) holding a
/// CLIENT-HELLO: message type 1, version, three lengths, then the cipher
/// specs, session id and challenge.
pub(super) fn parse_sslv2(body: &[u8]) -> Result<ClientHello, String> {
    let mut r = Reader::new(body, "SSLv2 CLIENT-HELLO");
    let kind = r.u8("message type")?;
    if kind != 1 {
        return Err(format!("SSLv2 message type {kind}, not CLIENT-HELLO (1)"));
    }
    let legacy_version = r.u16("version")?;
    let specs_len = r.u16("cipher-specs-length")?;
    let session_len = r.u16("session-id-length")?;
    let challenge_len = r.u16("challenge-length")?;
    if specs_len % 3 != 0 {
        return Err(format!(
            "SSLv2 CLIENT-HELLO: cipher specs of length {specs_len}, not a multiple of 3"
        ));
    }
    let specs = r.take(usize::from(specs_len), "cipher-specs")?;
    r.take(usize::from(session_len), "session-id")?;
    r.take(usize::from(challenge_len), "challenge")?;
    let sslv2_specs: Vec<u32> = specs
        .chunks_exact(3)
        .map(|c| u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]))
        .collect();
    let cipher_suites = sslv2_specs
        .iter()
        .filter(|&&s| s >> 16 == 0)
        .map(|&s| s as u16)
        .collect();
    Ok(ClientHello {
        record_version: None,
        legacy_version,
        cipher_suites,
        sslv2_specs,
        compression: Vec::new(),
        extensions: Vec::new(),
        renegotiation_info: None,
        heartbeat: None,
        supported_versions: None,
    })
}
