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

use std::time::Duration;

use openssl::nid::Nid;
use openssl::x509::{X509Ref, X509};
use rustls::pki_types::{CertificateDer, UnixTime};

use super::anchors::Anchors;
use super::{format_rfc3339, CertInfo};

mod path;
mod problem;

use path::{build_path, self_signed, End};
pub use problem::{AnchorRef, ChainCheck, ChainProblem, RejectReason, Rejection, WeakDigest};

/// Smallest RSA or DSA key counted as strong (CA/Browser Forum baseline).
pub(crate) const MIN_RSA_BITS: u32 = 2048;
/// Smallest EC key counted as strong (P-256).
pub(crate) const MIN_EC_BITS: u32 = 256;

/// Check the chain a server presented (leaf first) against `anchors` at
/// `now` (Unix seconds). `None` when nothing was presented.
pub(crate) fn verify_chain(chain: &[CertInfo], anchors: &Anchors, now: i64) -> Option<ChainCheck> {
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
pub(crate) fn weak_key_minimum(key_type: &str, bits: u32) -> Option<u32> {
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
