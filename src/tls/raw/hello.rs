//! The ClientHello writer, SSLv3 to TLS 1.3 (RFC 6101 §5.6.1.2, RFC 5246
//! §7.4.1.2, RFC 8446 §4.1.2), with whatever code points, compression
//! methods and extensions a probe needs, including ones no current library
//! sends.

use super::{content, MAX_FRAGMENT};

/// The public key of RFC 7748 §6.1's X25519 test vector (Alice's): a valid
/// point whose private key is published, which is all a client that never
/// finishes the handshake needs.
pub(crate) const X25519_PUBLIC: [u8; 32] = [
    0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
    0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
];

/// The x25519 group (RFC 8446 §4.2.7).
pub(crate) const X25519: u16 = 0x001d;

/// Extension types (the TLS ExtensionType Values registry).
pub(crate) mod ext {
    /// server_name (RFC 6066 §3).
    pub(crate) const SERVER_NAME: u16 = 0;
    /// supported_groups, once elliptic_curves (RFC 8422 §5.1.1).
    pub(crate) const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats (RFC 8422 §5.1.2).
    pub(crate) const EC_POINT_FORMATS: u16 = 11;
    /// signature_algorithms (RFC 5246 §7.4.1.4.1, RFC 8446 §4.2.3).
    pub(crate) const SIGNATURE_ALGORITHMS: u16 = 13;
    /// heartbeat (RFC 6520 §2).
    pub(crate) const HEARTBEAT: u16 = 15;
    /// extended_master_secret (RFC 7627).
    pub(crate) const EXTENDED_MASTER_SECRET: u16 = 23;
    /// session_ticket (RFC 5077).
    pub(crate) const SESSION_TICKET: u16 = 35;
    /// supported_versions (RFC 8446 §4.2.1).
    pub(crate) const SUPPORTED_VERSIONS: u16 = 43;
    /// key_share (RFC 8446 §4.2.8).
    pub(crate) const KEY_SHARE: u16 = 51;
    /// renegotiation_info (RFC 5746).
    pub(crate) const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// Groups offered by default: the curves and finite-field groups old and
/// new servers pick from, x25519 first.
pub(crate) const DEFAULT_GROUPS: &[u16] = &[
    0x001d, 0x0017, 0x0018, 0x0019, 0x001e, // x25519, P-256, P-384, P-521, x448
    0x0016, 0x0015, 0x0013, // secp256k1, secp224r1, secp192r1
    0x001a, 0x001b, 0x001c, // brainpool P-256, P-384, P-512
    0x0100, 0x0101, 0x0102, 0x0103, 0x0104, // ffdhe2048 … ffdhe8192
];

/// Signature algorithms offered by default: TLS 1.3's schemes, then TLS
/// 1.2's hash/signature pairs down to SHA-1 and MD5, which old servers with
/// old certificates need (RFC 5246 §7.4.1.4.1).
pub(crate) const DEFAULT_SIGNATURE_ALGORITHMS: &[u16] = &[
    0x0403, 0x0503, 0x0603, // ecdsa_secp256r1_sha256 … secp521r1_sha512
    0x0807, 0x0808, // ed25519, ed448
    0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha256 … sha512
    0x0809, 0x080a, 0x080b, // rsa_pss_pss_sha256 … sha512
    0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha256 … sha512
    0x0402, 0x0502, 0x0602, // dsa with SHA-256 … SHA-512
    0x0303, 0x0301, 0x0302, // SHA-224 with ECDSA, RSA, DSA
    0x0203, 0x0201, 0x0202, // SHA-1 with ECDSA, RSA, DSA
    0x0101, // MD5 with RSA
];

/// One extension of a ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Extension {
    /// server_name with one host name.
    ServerName(String),
    /// supported_groups.
    SupportedGroups(Vec<u16>),
    /// ec_point_formats (0 uncompressed, 1 and 2 the compressed forms).
    EcPointFormats(Vec<u8>),
    /// signature_algorithms.
    SignatureAlgorithms(Vec<u16>),
    /// supported_versions, most preferred first.
    SupportedVersions(Vec<u16>),
    /// key_share with one x25519 share, [`X25519_PUBLIC`].
    KeyShareX25519,
    /// renegotiation_info, empty (an initial handshake).
    RenegotiationInfo,
    /// heartbeat with a mode: 1 peer_allowed_to_send, 2
    /// peer_not_allowed_to_send.
    Heartbeat(u8),
    /// session_ticket, empty (asking for a ticket).
    SessionTicket,
    /// extended_master_secret.
    ExtendedMasterSecret,
    /// Anything else, as its type and body.
    Raw(u16, Vec<u8>),
}

impl Extension {
    /// The extension's type and body.
    pub(crate) fn encode(&self) -> (u16, Vec<u8>) {
        let mut b = Vec::new();
        let kind = match self {
            Extension::ServerName(name) => {
                let mut entry = vec![0]; // host_name
                put_vec16(&mut entry, name.as_bytes());
                put_vec16(&mut b, &entry);
                ext::SERVER_NAME
            }
            Extension::SupportedGroups(groups) => {
                put_vec16(&mut b, &u16s(groups));
                ext::SUPPORTED_GROUPS
            }
            Extension::EcPointFormats(formats) => {
                put_vec8(&mut b, formats);
                ext::EC_POINT_FORMATS
            }
            Extension::SignatureAlgorithms(schemes) => {
                put_vec16(&mut b, &u16s(schemes));
                ext::SIGNATURE_ALGORITHMS
            }
            Extension::SupportedVersions(versions) => {
                put_vec8(&mut b, &u16s(versions));
                ext::SUPPORTED_VERSIONS
            }
            Extension::KeyShareX25519 => {
                let mut share = X25519.to_be_bytes().to_vec();
                put_vec16(&mut share, &X25519_PUBLIC);
                put_vec16(&mut b, &share);
                ext::KEY_SHARE
            }
            Extension::RenegotiationInfo => {
                put_vec8(&mut b, &[]);
                ext::RENEGOTIATION_INFO
            }
            Extension::Heartbeat(mode) => {
                b.push(*mode);
                ext::HEARTBEAT
            }
            Extension::SessionTicket => ext::SESSION_TICKET,
            Extension::ExtendedMasterSecret => ext::EXTENDED_MASTER_SECRET,
            Extension::Raw(kind, body) => {
                b.extend_from_slice(body);
                *kind
            }
        };
        (kind, b)
    }
}

/// A ClientHello, field by field. Build one with [`ClientHello::new`] and
/// change what the probe needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientHello {
    /// The record layer's version (`0x0301` for TLS 1.0 and up, as OpenSSL
    /// sends: some old servers refuse records of a version they lack).
    pub(crate) record_version: u16,
    /// `legacy_version`: the highest version offered (`0x0303` for TLS 1.3,
    /// which is offered in supported_versions).
    pub(crate) version: u16,
    /// The client random; fixed unless a probe sets it.
    pub(crate) random: [u8; 32],
    /// Cipher suite code points, in order, SCSVs included
    /// (`TLS_FALLBACK_SCSV` 0x5600, `TLS_EMPTY_RENEGOTIATION_INFO_SCSV`
    /// 0x00FF).
    pub(crate) ciphers: Vec<u16>,
    /// Compression methods (`[1, 0]` asks for DEFLATE, CRIME).
    pub(crate) compression: Vec<u8>,
    /// Extensions, in order; none at all for a bare SSLv3-style hello.
    pub(crate) extensions: Vec<Extension>,
}

/// The fixed client random: recognisable in a capture, harmless since no
/// handshake is completed.
pub(crate) const FIXED_RANDOM: [u8; 32] = *b"mxprobe raw hello, not finished.";

impl ClientHello {
    /// A hello offering `version` (wire form, `0x0300`–`0x0304`) and
    /// `ciphers`, without compression, with the extensions a client of that
    /// version sends: none for SSLv3; groups, point formats,
    /// renegotiation_info, session_ticket and extended_master_secret from
    /// TLS 1.0; signature_algorithms from TLS 1.2; supported_versions and an
    /// x25519 key share for TLS 1.3.
    pub(crate) fn new(version: u16, ciphers: Vec<u16>) -> ClientHello {
        let mut extensions = Vec::new();
        if version >= 0x0301 {
            extensions.extend([
                Extension::SupportedGroups(DEFAULT_GROUPS.to_vec()),
                Extension::EcPointFormats(vec![0]),
                Extension::RenegotiationInfo,
                Extension::SessionTicket,
                Extension::ExtendedMasterSecret,
            ]);
        }
        if version >= 0x0303 {
            extensions.push(Extension::SignatureAlgorithms(
                DEFAULT_SIGNATURE_ALGORITHMS.to_vec(),
            ));
        }
        if version >= 0x0304 {
            extensions.push(Extension::SupportedVersions(vec![0x0304]));
            extensions.push(Extension::KeyShareX25519);
        }
        ClientHello {
            record_version: version.min(0x0301),
            version: version.min(0x0303),
            random: FIXED_RANDOM,
            ciphers,
            compression: vec![0],
            extensions,
        }
    }

    /// The same hello with `name` as server_name, first.
    pub(crate) fn with_server_name(mut self, name: &str) -> ClientHello {
        self.extensions
            .insert(0, Extension::ServerName(name.to_string()));
        self
    }

    /// The handshake message alone: type 1, 24-bit length, body.
    pub(crate) fn message(&self) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&self.version.to_be_bytes());
        body.extend_from_slice(&self.random);
        put_vec8(&mut body, &[]); // session id
        put_vec16(&mut body, &u16s(&self.ciphers));
        put_vec8(&mut body, &self.compression);
        if !self.extensions.is_empty() {
            let mut all = Vec::new();
            for e in &self.extensions {
                let (kind, data) = e.encode();
                all.extend_from_slice(&kind.to_be_bytes());
                put_vec16(&mut all, &data);
            }
            put_vec16(&mut body, &all);
        }
        let mut message = vec![1];
        message.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        message.extend_from_slice(&body);
        message
    }

    /// The hello as sent: one handshake record, or several when the message
    /// exceeds 16384 bytes (hundreds of code points, a large raw extension).
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        records(content::HANDSHAKE, self.record_version, &self.message())
    }
}

/// `payload` as records of `kind`, at most [`MAX_FRAGMENT`] bytes each (one
/// empty record for an empty payload).
pub(crate) fn records(kind: u8, version: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    let mut chunks: Vec<&[u8]> = payload.chunks(MAX_FRAGMENT).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    for chunk in chunks {
        out.push(kind);
        out.extend_from_slice(&version.to_be_bytes());
        put_vec16(&mut out, chunk);
    }
    out
}

fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// `data` after its one-byte length; longer data is cut (never the case for
/// what the writers put there: point formats, compression methods,
/// versions).
fn put_vec8(out: &mut Vec<u8>, data: &[u8]) {
    let data = &data[..data.len().min(0xff)];
    out.push(data.len() as u8);
    out.extend_from_slice(data);
}

/// `data` after its two-byte length; longer data is cut, so a runaway raw
/// extension yields a well-formed hello rather than a lying length.
pub(crate) fn put_vec16(out: &mut Vec<u8>, data: &[u8]) {
    let data = &data[..data.len().min(0xffff)];
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}
