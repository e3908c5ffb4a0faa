//! Our own path building over the presented certificates (OpenSSL: names,
//! signatures, keys), to say where and why a chain breaks.

use openssl::x509::{X509Ref, X509};

use crate::cert::anchors::{same_name, AnchorKey, Anchors};

use crate::limits::CERT_PATH as MAX_PATH;

/// Where a path built from the presented certificates ends.
pub(super) enum End<'a> {
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

pub(super) struct Path<'a> {
    pub positions: Vec<usize>,
    pub end: End<'a>,
}

/// The best path from the leaf: anchors are tried before presented
/// certificates at every step (as webpki does), and among presented ones
/// every candidate is followed, preferring a path to an anchor.
pub(super) fn build_path<'a>(certs: &[Option<X509>], anchors: &'a Anchors) -> Path<'a> {
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
pub(super) fn self_signed(cert: &X509Ref) -> bool {
    same_name(cert.subject_name(), cert.issuer_name())
        && cert
            .public_key()
            .is_ok_and(|key| cert.verify(&key).unwrap_or(false))
}
