//! What the chain check reports: the verdict, each problem as data with a
//! one-line text, and the verifier's own reason.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cert::anchors::AnchorSource;
use crate::spelling::spelling;

/// The verdict on a presented chain and everything wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCheck {
    /// A verifying sender (rustls-webpki, the anchors given) accepts the
    /// chain for a TLS server at `checked_at`. Names are not part of this.
    pub trusted: bool,
    /// Why the verifier refused it (its first error), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
    /// Everything found wrong, trusted or not (weak keys, order and unused
    /// certificates do not always make a chain untrusted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ChainProblem>,
    /// Positions of the presented certificates (0 is the leaf) in issuing
    /// order, as far as a path could be built; a presented root that is the
    /// trust anchor comes last.
    pub path: Vec<usize>,
    /// The trust anchor the path ends at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<AnchorRef>,
    /// Whole days until the leaf expires (negative: expired that long ago).
    pub leaf_days_left: i64,
    /// Whole days until the first certificate of the path expires.
    pub chain_days_left: i64,
    /// The verification time, RFC 3339 UTC.
    pub checked_at: String,
}

/// A trust anchor, as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRef {
    /// The anchor's subject name, one line, most specific first
    /// (`CN=ISRG Root X1, O=Internet Security Research Group, C=US`).
    pub subject: String,
    /// Mozilla's roots or a `--ca-file`.
    pub source: AnchorSource,
}

/// One thing wrong with a presented chain. `position` is the certificate's
/// place in the chain as presented (0 is the leaf).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ChainProblem {
    /// Past its notAfter.
    Expired {
        /// Place in the chain as presented (0 is the leaf).
        position: usize,
        /// The certificate's subject, one line.
        subject: String,
        /// Its notAfter, RFC 3339 UTC.
        not_after: String,
        /// Whole days from notAfter to the verification time.
        days_ago: i64,
    },
    /// Before its notBefore.
    NotYetValid {
        /// Place in the chain as presented (0 is the leaf).
        position: usize,
        /// The certificate's subject, one line.
        subject: String,
        /// Its notBefore, RFC 3339 UTC.
        not_before: String,
        /// Whole days from the verification time to notBefore.
        days_until: i64,
    },
    /// The leaf signs itself and is no trust anchor.
    SelfSigned {
        /// The leaf's subject, one line.
        subject: String,
    },
    /// The path ends at a self-signed root that is not a trust anchor (a
    /// private CA without `--ca-file`, or a CA no browser trusts).
    UnknownIssuer {
        /// Place of that root in the chain as presented.
        position: usize,
        /// The root's subject, one line.
        root: String,
    },
    /// The path stops at a certificate whose issuer is neither presented
    /// nor a trust anchor: an intermediate is missing. `ca_issuers` are the
    /// AIA caIssuers URLs of that certificate (a hint, never fetched).
    IncompleteChain {
        /// Place of the last certificate of the path in the chain as
        /// presented.
        position: usize,
        /// That certificate's issuer name, one line: the certificate that
        /// is missing.
        missing_issuer: String,
        /// Its AIA caIssuers URLs; empty when it has none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ca_issuers: Vec<String>,
    },
    /// A certificate named as issuer is presented (or an anchor) but its key
    /// does not verify the signature.
    BadSignature {
        /// Place of the signed certificate in the chain as presented.
        position: usize,
        /// The issuer's subject, one line.
        issuer: String,
    },
    /// The certificates are not presented in issuing order (RFC 5246
    /// §7.4.2); `issuing_order` is the order they should have been sent in.
    WrongOrder {
        /// Positions as presented, leaf first, in the order that issues
        /// each certificate by the next.
        issuing_order: Vec<usize>,
    },
    /// Presented, but not part of the path.
    UnusedCertificate {
        /// Place in the chain as presented.
        position: usize,
        /// The certificate's subject, one line.
        subject: String,
    },
    /// RSA or DSA below 2048 bits, EC below 256 bits.
    WeakKey {
        /// Place in the chain as presented (0 is the leaf).
        position: usize,
        /// The certificate's subject, one line.
        subject: String,
        /// `RSA`, `DSA` or `EC`.
        key_type: String,
        /// The key size, in bits.
        bits: u32,
        /// The least size accepted for this key type, in bits.
        minimum: u32,
    },
    /// Signed with SHA-1 or MD5 (roots excepted: their signature is never
    /// checked).
    WeakSignature {
        /// Place in the chain as presented (0 is the leaf).
        position: usize,
        /// The certificate's subject, one line.
        subject: String,
        /// The signature algorithm, OpenSSL's long name
        /// (`sha1WithRSAEncryption`).
        algorithm: String,
        /// The digest that makes it weak.
        digest: WeakDigest,
    },
    /// The verifier refused the chain for a reason none of the above
    /// explains (e.g. a missing serverAuth purpose, a name constraint).
    Rejected {
        /// The verifier's reason.
        reason: RejectReason,
        /// The verifier's words, one line.
        detail: String,
    },
}

/// A digest no verifier accepts in a certificate signature any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeakDigest {
    /// MD2.
    Md2,
    /// MD4.
    Md4,
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
}

spelling!(WeakDigest {
    Md2 => "md2",
    Md4 => "md4",
    Md5 => "md5",
    Sha1 => "sha1",
});

/// Why a verifier (rustls-webpki, or rustls in the strict handshake)
/// refused a certificate; the detail is one line of its own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The reason, as data.
    pub reason: RejectReason,
    /// The verifier's words, one line (also the `Display` text).
    pub detail: String,
}

/// The verifier's reason, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectReason {
    /// No path from the certificate to a trust anchor.
    UnknownIssuer,
    /// A certificate of the path is past its notAfter.
    Expired,
    /// A certificate of the path is before its notBefore.
    NotYetValid,
    /// A signature does not verify with the issuer's key.
    BadSignature,
    /// A signature algorithm the verifier does not accept (SHA-1, MD5, or
    /// one it does not know).
    UnsupportedSignatureAlgorithm,
    /// The certificate does not name the host it was checked for.
    NotValidForName,
    /// Not for TLS servers: serverAuth missing from the extended key usage.
    InvalidPurpose,
    /// A CA certificate presented as the server's own.
    CaUsedAsEndEntity,
    /// A server certificate used to issue another.
    EndEntityUsedAsCa,
    /// A name outside an issuer's name constraints.
    NameConstraintViolation,
    /// A path longer than an issuer's pathLenConstraint allows.
    PathLenConstraintViolated,
    /// A critical extension the verifier does not understand.
    UnhandledCriticalExtension,
    /// The certificate or an issuer is revoked (the verifier's verdict:
    /// mxprobe gives it no revocation lists, so in practice never).
    Revoked,
    /// A certificate's public key is explicitly distrusted.
    Distrusted,
    /// A certificate could not be decoded (DER, validity, serial number,
    /// extensions, version).
    BadEncoding,
    /// Anything else; `detail` says what.
    Other,
}

spelling!(RejectReason {
    UnknownIssuer => "unknown-issuer",
    Expired => "expired",
    NotYetValid => "not-yet-valid",
    BadSignature => "bad-signature",
    UnsupportedSignatureAlgorithm => "unsupported-signature-algorithm",
    NotValidForName => "not-valid-for-name",
    InvalidPurpose => "invalid-purpose",
    CaUsedAsEndEntity => "ca-used-as-end-entity",
    EndEntityUsedAsCa => "end-entity-used-as-ca",
    NameConstraintViolation => "name-constraint-violation",
    PathLenConstraintViolated => "path-len-constraint-violated",
    UnhandledCriticalExtension => "unhandled-critical-extension",
    Revoked => "revoked",
    Distrusted => "distrusted",
    BadEncoding => "bad-encoding",
    Other => "other",
});

impl ChainProblem {
    /// The `kind` tag, as in JSON and the `cert_problems` CSV column.
    pub fn kind(&self) -> &'static str {
        match self {
            ChainProblem::Expired { .. } => "expired",
            ChainProblem::NotYetValid { .. } => "not-yet-valid",
            ChainProblem::SelfSigned { .. } => "self-signed",
            ChainProblem::UnknownIssuer { .. } => "unknown-issuer",
            ChainProblem::IncompleteChain { .. } => "incomplete-chain",
            ChainProblem::BadSignature { .. } => "bad-signature",
            ChainProblem::WrongOrder { .. } => "wrong-order",
            ChainProblem::UnusedCertificate { .. } => "unused-certificate",
            ChainProblem::WeakKey { .. } => "weak-key",
            ChainProblem::WeakSignature { .. } => "weak-signature",
            ChainProblem::Rejected { .. } => "rejected",
        }
    }

    /// Whether this problem alone makes verifiers refuse the chain. Order,
    /// unused certificates and a weak leaf key do not (a weak leaf key fails
    /// the handshake instead: see the strict check).
    pub fn breaks_trust(&self) -> bool {
        match self {
            ChainProblem::WrongOrder { .. } | ChainProblem::UnusedCertificate { .. } => false,
            ChainProblem::WeakKey { position, .. } => *position > 0,
            _ => true,
        }
    }
}

impl fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainProblem::Expired {
                position,
                subject,
                not_after,
                days_ago,
            } => write!(
                f,
                "certificate {position} ({subject}) expired {not_after}, {days_ago} days ago"
            ),
            ChainProblem::NotYetValid {
                position,
                subject,
                not_before,
                days_until,
            } => write!(
                f,
                "certificate {position} ({subject}) is not valid before {not_before}, in {days_until} days"
            ),
            ChainProblem::SelfSigned { subject } => write!(
                f,
                "the certificate ({subject}) is self-signed: no sender can verify it"
            ),
            ChainProblem::UnknownIssuer { position, root } => write!(
                f,
                "the chain ends at certificate {position}, root {root}, which no sender trusts (a private CA: give --ca-file)"
            ),
            ChainProblem::IncompleteChain {
                position,
                missing_issuer,
                ca_issuers,
            } => {
                write!(
                    f,
                    "incomplete chain: the issuer of certificate {position}, {missing_issuer}, is neither sent nor a trusted root; add the intermediate to the server's chain"
                )?;
                if !ca_issuers.is_empty() {
                    write!(f, " (caIssuers: {})", ca_issuers.join(" "))?;
                }
                Ok(())
            }
            ChainProblem::BadSignature { position, issuer } => write!(
                f,
                "certificate {position} is not signed by the key of its issuer {issuer}"
            ),
            ChainProblem::WrongOrder { issuing_order } => write!(
                f,
                "certificates sent out of order: issuing order is {}; send each issuer right after the certificate it signed",
                issuing_order
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ChainProblem::UnusedCertificate { position, subject } => write!(
                f,
                "certificate {position} ({subject}) is sent but not part of the chain"
            ),
            ChainProblem::WeakKey {
                position,
                subject,
                key_type,
                bits,
                minimum,
            } => write!(
                f,
                "certificate {position} ({subject}) has a weak key: {key_type} {bits} bits, at least {minimum} needed"
            ),
            ChainProblem::WeakSignature {
                position,
                subject,
                algorithm,
                ..
            } => write!(
                f,
                "certificate {position} ({subject}) is signed with {algorithm}, which verifiers refuse"
            ),
            ChainProblem::Rejected { detail, .. } => write!(f, "refused by the verifier: {detail}"),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl Rejection {
    /// rustls-webpki's error, as data and one line.
    // The deprecated variants are still returned by some paths of webpki.
    #[allow(deprecated)]
    pub(crate) fn from_webpki(e: &webpki::Error) -> Rejection {
        use webpki::Error as E;
        let reason = match e {
            E::UnknownIssuer => RejectReason::UnknownIssuer,
            E::CertExpired { .. } => RejectReason::Expired,
            E::CertNotValidYet { .. } => RejectReason::NotYetValid,
            E::InvalidSignatureForPublicKey => RejectReason::BadSignature,
            E::UnsupportedSignatureAlgorithm
            | E::UnsupportedSignatureAlgorithmContext(_)
            | E::UnsupportedSignatureAlgorithmForPublicKey
            | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | E::SignatureAlgorithmMismatch => RejectReason::UnsupportedSignatureAlgorithm,
            E::CertNotValidForName(_) => RejectReason::NotValidForName,
            E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
                RejectReason::InvalidPurpose
            }
            E::CaUsedAsEndEntity => RejectReason::CaUsedAsEndEntity,
            E::EndEntityUsedAsCa => RejectReason::EndEntityUsedAsCa,
            E::NameConstraintViolation => RejectReason::NameConstraintViolation,
            E::PathLenConstraintViolated => RejectReason::PathLenConstraintViolated,
            E::UnsupportedCriticalExtension => RejectReason::UnhandledCriticalExtension,
            E::CertRevoked => RejectReason::Revoked,
            E::CertDistrusted => RejectReason::Distrusted,
            E::BadDer
            | E::BadDerTime
            | E::TrailingData(_)
            | E::MalformedExtensions
            | E::ExtensionValueInvalid
            | E::InvalidCertValidity
            | E::InvalidSerialNumber
            | E::UnsupportedCertVersion => RejectReason::BadEncoding,
            _ => RejectReason::Other,
        };
        let detail = match reason {
            RejectReason::UnknownIssuer => {
                "unknown issuer: no path from the certificate to a trusted root".to_string()
            }
            RejectReason::Expired => "a certificate of the chain has expired".to_string(),
            RejectReason::NotYetValid => "a certificate of the chain is not valid yet".to_string(),
            _ => format!("{e:?}"),
        };
        Rejection { reason, detail }
    }
}
