//! Would a verifying sender trust the presented chain, and if not, why?
//!
//! Two opinions, kept apart on purpose:
//!
//! * **The verdict** is rustls-webpki's: the path builder of the strict
//!   modern sender, run on the chain as presented (leaf plus whatever the
//!   server sent) against the [`Anchors`], for server authentication, at a
//!   given time. [`ChainCheck::trusted`] is its answer, [`ChainCheck::rejection`]
//!   the reason it gave.
//! * **The diagnosis** is ours: webpki stops at the first error and says
//!   "unknown issuer" for half a dozen different server mistakes. We build
//!   the path again with OpenSSL (names, signatures, keys) and list every
//!   problem found ([`ChainProblem`]): which certificate expired and when, a
//!   missing intermediate (with the AIA caIssuers URL the certificate names,
//!   never fetched), certificates sent out of order, a self-signed leaf, weak
//!   keys, SHA-1/MD5 signatures below the root.
//!
//! What it does not do: check revocation (no OCSP, no CRLs), fetch missing
//! intermediates, or match host names (see [`super::names`]).

use std::fmt;
use std::time::Duration;

use openssl::nid::Nid;
use openssl::x509::{X509Ref, X509};
use rustls::pki_types::{CertificateDer, UnixTime};
use serde::{Deserialize, Serialize};

use super::anchors::{same_name, AnchorKey, AnchorSource, Anchors};
use super::{format_rfc3339, CertInfo};

/// Longest path built (certificates below the anchor); webpki's limit is
/// similar, and real chains have two or three.
const MAX_PATH: usize = 8;
/// Smallest RSA or DSA key counted as strong (CA/Browser Forum baseline).
pub const MIN_RSA_BITS: u32 = 2048;
/// Smallest EC key counted as strong (P-256).
pub const MIN_EC_BITS: u32 = 256;

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
    pub subject: String,
    pub source: AnchorSource,
}

/// One thing wrong with a presented chain. `position` is the certificate's
/// place in the chain as presented (0 is the leaf).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ChainProblem {
    /// Past its notAfter.
    Expired {
        position: usize,
        subject: String,
        not_after: String,
        days_ago: i64,
    },
    /// Before its notBefore.
    NotYetValid {
        position: usize,
        subject: String,
        not_before: String,
        days_until: i64,
    },
    /// The leaf signs itself and is no trust anchor.
    SelfSigned { subject: String },
    /// The path ends at a self-signed root that is not a trust anchor (a
    /// private CA without `--ca-file`, or a CA no browser trusts).
    UnknownIssuer { position: usize, root: String },
    /// The path stops at a certificate whose issuer is neither presented
    /// nor a trust anchor: an intermediate is missing. `ca_issuers` are the
    /// AIA caIssuers URLs of that certificate (a hint, never fetched).
    IncompleteChain {
        position: usize,
        missing_issuer: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ca_issuers: Vec<String>,
    },
    /// A certificate named as issuer is presented (or an anchor) but its key
    /// does not verify the signature.
    BadSignature { position: usize, issuer: String },
    /// The certificates are not presented in issuing order (RFC 5246
    /// §7.4.2); `issuing_order` is the order they should have been sent in.
    WrongOrder { issuing_order: Vec<usize> },
    /// Presented, but not part of the path.
    UnusedCertificate { position: usize, subject: String },
    /// RSA or DSA below 2048 bits, EC below 256 bits.
    WeakKey {
        position: usize,
        subject: String,
        key_type: String,
        bits: u32,
        minimum: u32,
    },
    /// Signed with SHA-1 or MD5 (roots excepted: their signature is never
    /// checked).
    WeakSignature {
        position: usize,
        subject: String,
        algorithm: String,
        digest: WeakDigest,
    },
    /// The verifier refused the chain for a reason none of the above
    /// explains (e.g. a missing serverAuth purpose, a name constraint).
    Rejected {
        reason: RejectReason,
        detail: String,
    },
}

/// A digest no verifier accepts in a certificate signature any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeakDigest {
    Md2,
    Md4,
    Md5,
    Sha1,
}

/// Why a verifier (rustls-webpki, or rustls in the strict handshake)
/// refused a certificate; the detail is one line of its own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub reason: RejectReason,
    pub detail: String,
}

/// The verifier's reason, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectReason {
    UnknownIssuer,
    Expired,
    NotYetValid,
    BadSignature,
    UnsupportedSignatureAlgorithm,
    NotValidForName,
    InvalidPurpose,
    CaUsedAsEndEntity,
    EndEntityUsedAsCa,
    NameConstraintViolation,
    PathLenConstraintViolated,
    UnhandledCriticalExtension,
    Revoked,
    Distrusted,
    BadEncoding,
    Other,
}

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
    pub fn from_webpki(e: &webpki::Error) -> Rejection {
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

/// Check the chain a server presented (leaf first) against `anchors` at
/// `now` (Unix seconds). `None` when nothing was presented.
pub fn verify_chain(chain: &[CertInfo], anchors: &Anchors, now: i64) -> Option<ChainCheck> {
    let leaf = chain.first()?;
    let x509: Vec<Option<X509>> = chain.iter().map(|c| X509::from_der(&c.der).ok()).collect();
    let verdict = webpki_verdict(chain, anchors, now);
    let path = build_path(&x509, anchors);

    let mut problems = Vec::new();
    if path.positions.windows(2).any(|w| w[1] < w[0]) {
        problems.push(ChainProblem::WrongOrder {
            issuing_order: path.positions.clone(),
        });
    }
    for (p, c) in chain.iter().enumerate() {
        if !path.positions.contains(&p) {
            problems.push(ChainProblem::UnusedCertificate {
                position: p,
                subject: c.subject.clone(),
            });
        }
    }
    match path.end {
        End::SelfSigned(0) => problems.push(ChainProblem::SelfSigned {
            subject: leaf.subject.clone(),
        }),
        End::SelfSigned(p) => problems.push(ChainProblem::UnknownIssuer {
            position: p,
            root: chain[p].subject.clone(),
        }),
        End::Missing(p) => problems.push(ChainProblem::IncompleteChain {
            position: p,
            missing_issuer: chain[p].issuer.clone(),
            ca_issuers: x509[p].as_deref().map(ca_issuers).unwrap_or_default(),
        }),
        End::BadSignature(p) => problems.push(ChainProblem::BadSignature {
            position: p,
            issuer: chain[p].issuer.clone(),
        }),
        End::Anchor(_) | End::TooLong => {}
    }
    for &p in &path.positions {
        let c = &chain[p];
        if c.not_before_unix > now {
            problems.push(ChainProblem::NotYetValid {
                position: p,
                subject: c.subject.clone(),
                not_before: c.not_before.clone(),
                days_until: (c.not_before_unix - now).div_euclid(86_400),
            });
        }
        if c.not_after_unix < now {
            problems.push(ChainProblem::Expired {
                position: p,
                subject: c.subject.clone(),
                not_after: c.not_after.clone(),
                days_ago: (now - c.not_after_unix).div_euclid(86_400),
            });
        }
    }
    for (p, c) in chain.iter().enumerate() {
        if let Some(minimum) = weak_key_minimum(&c.key_type, c.key_bits) {
            problems.push(ChainProblem::WeakKey {
                position: p,
                subject: c.subject.clone(),
                key_type: c.key_type.clone(),
                bits: c.key_bits,
                minimum,
            });
        }
        let root = x509[p].as_deref().is_some_and(self_signed);
        if let (false, Some(digest)) = (root, x509[p].as_deref().and_then(weak_digest)) {
            problems.push(ChainProblem::WeakSignature {
                position: p,
                subject: c.subject.clone(),
                algorithm: c.signature_algorithm.clone(),
                digest,
            });
        }
    }
    let rejection = verdict.err().map(|e| Rejection::from_webpki(&e));
    if let Some(r) = &rejection {
        if !problems.iter().any(ChainProblem::breaks_trust) {
            problems.push(ChainProblem::Rejected {
                reason: r.reason,
                detail: r.detail.clone(),
            });
        }
    }
    let chain_days_left = path
        .positions
        .iter()
        .map(|&p| chain[p].days_left(now))
        .min()
        .unwrap_or_else(|| leaf.days_left(now));
    Some(ChainCheck {
        trusted: rejection.is_none(),
        rejection,
        problems,
        anchor: match path.end {
            End::Anchor(a) => Some(AnchorRef {
                subject: a.subject.clone(),
                source: a.source,
            }),
            _ => None,
        },
        path: path.positions,
        leaf_days_left: leaf.days_left(now),
        chain_days_left,
        checked_at: format_rfc3339(now),
    })
}

/// The minimum a key of this type should have, when it has less.
pub fn weak_key_minimum(key_type: &str, bits: u32) -> Option<u32> {
    let minimum = match key_type {
        "RSA" | "DSA" => MIN_RSA_BITS,
        "EC" => MIN_EC_BITS,
        _ => return None,
    };
    (bits < minimum).then_some(minimum)
}

/// rustls-webpki's path building over the presented intermediates, with the
/// signature algorithms rustls (ring) accepts.
fn webpki_verdict(chain: &[CertInfo], anchors: &Anchors, now: i64) -> Result<(), webpki::Error> {
    let ders: Vec<CertificateDer<'_>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.der.as_slice()))
        .collect();
    let (leaf, intermediates) = ders.split_first().ok_or(webpki::Error::BadDer)?;
    let ee = webpki::EndEntityCert::try_from(leaf)?;
    let algorithms = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .all;
    let time = UnixTime::since_unix_epoch(Duration::from_secs(now.max(0).unsigned_abs()));
    ee.verify_for_usage(
        algorithms,
        anchors.webpki(),
        intermediates,
        time,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map(|_| ())
}

/// Where a path built from the presented certificates ends.
enum End<'a> {
    Anchor(&'a AnchorKey),
    /// At a presented self-signed certificate that is no anchor.
    SelfSigned(usize),
    /// At this certificate: its issuer is nowhere.
    Missing(usize),
    /// At this certificate: a certificate with its issuer's name is there,
    /// but no key verifies its signature.
    BadSignature(usize),
    TooLong,
}

impl End<'_> {
    fn rank(&self) -> u8 {
        match self {
            End::Anchor(_) => 3,
            End::SelfSigned(_) => 2,
            End::Missing(_) | End::BadSignature(_) => 1,
            End::TooLong => 0,
        }
    }
}

struct Path<'a> {
    positions: Vec<usize>,
    end: End<'a>,
}

/// The best path from the leaf: anchors are tried before presented
/// certificates at every step (as webpki does), and among presented ones
/// every candidate is followed, preferring a path to an anchor.
fn build_path<'a>(certs: &[Option<X509>], anchors: &'a Anchors) -> Path<'a> {
    if certs.first().is_none_or(Option::is_none) {
        return Path {
            positions: vec![],
            end: End::Missing(0),
        };
    }
    let mut used = vec![0];
    let (mut positions, end) = search(0, certs, anchors, &mut used);
    if let End::Anchor(anchor) = &end {
        // A root sent along that is the anchor itself belongs to the path.
        if let Some(p) = (0..certs.len())
            .find(|p| !positions.contains(p) && certs[*p].as_deref().is_some_and(|c| anchor.is(c)))
        {
            positions.push(p);
        }
    }
    Path { positions, end }
}

fn search<'a>(
    cur: usize,
    certs: &[Option<X509>],
    anchors: &'a Anchors,
    used: &mut Vec<usize>,
) -> (Vec<usize>, End<'a>) {
    let Some(cert) = certs[cur].as_deref() else {
        return (used.clone(), End::Missing(cur));
    };
    if let Some(anchor) = anchors.issuer_of(cert) {
        return (used.clone(), End::Anchor(anchor));
    }
    if self_signed(cert) {
        return (used.clone(), End::SelfSigned(cur));
    }
    if used.len() >= MAX_PATH {
        return (used.clone(), End::TooLong);
    }
    let mut best: Option<(Vec<usize>, End<'a>)> = None;
    let mut named = false;
    for (p, candidate) in certs.iter().enumerate() {
        let Some(candidate) = candidate.as_deref() else {
            continue;
        };
        if used.contains(&p) || !same_name(candidate.subject_name(), cert.issuer_name()) {
            continue;
        }
        named = true;
        let verifies = candidate
            .public_key()
            .is_ok_and(|key| cert.verify(&key).unwrap_or(false));
        if !verifies {
            continue;
        }
        used.push(p);
        let found = search(p, certs, anchors, used);
        used.pop();
        if matches!(found.1, End::Anchor(_)) {
            return found;
        }
        if best.as_ref().is_none_or(|b| found.1.rank() > b.1.rank()) {
            best = Some(found);
        }
    }
    best.unwrap_or_else(|| {
        let end = if named {
            End::BadSignature(cur)
        } else {
            End::Missing(cur)
        };
        (used.clone(), end)
    })
}

/// Subject equals issuer and the certificate's own key verifies it.
fn self_signed(cert: &X509Ref) -> bool {
    same_name(cert.subject_name(), cert.issuer_name())
        && cert
            .public_key()
            .is_ok_and(|key| cert.verify(&key).unwrap_or(false))
}

/// The digest of the certificate's signature, when it is a broken one.
fn weak_digest(cert: &X509Ref) -> Option<WeakDigest> {
    let algorithms = cert
        .signature_algorithm()
        .object()
        .nid()
        .signature_algorithms()?;
    digest_weakness(algorithms.digest)
}

fn digest_weakness(digest: Nid) -> Option<WeakDigest> {
    match digest {
        Nid::SHA1 => Some(WeakDigest::Sha1),
        Nid::MD5 => Some(WeakDigest::Md5),
        Nid::MD4 => Some(WeakDigest::Md4),
        Nid::MD2 => Some(WeakDigest::Md2),
        _ => None,
    }
}

/// AIA caIssuers URLs (RFC 5280 §4.2.2.1).
fn ca_issuers(cert: &X509Ref) -> Vec<String> {
    cert.authority_info()
        .map(|access| {
            access
                .iter()
                .filter(|d| d.method().nid() == Nid::AD_CA_ISSUERS)
                .filter_map(|d| d.location().uri().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
