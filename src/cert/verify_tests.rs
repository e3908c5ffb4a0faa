//! Chain verdicts and problem classification over the test certificates in
//! `testdata/certs/` (see its generate.sh), at fixed times.

use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::X509Builder;

use super::*;
use crate::cert::anchors::AnchorSource;

/// 2026-01-01T00:00:00Z: inside every valid fixture's 2020–2120.
const NOW: i64 = 1_767_225_600;

fn file(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/testdata/certs/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn chain(name: &str) -> Vec<CertInfo> {
    X509::stack_from_pem(&file(name))
        .expect("PEM")
        .iter()
        .map(|c| CertInfo::from_x509(c))
        .collect()
}

fn test_ca() -> Anchors {
    Anchors::mozilla()
        .with_pem(&file("ca.crt"), "ca.crt")
        .expect("anchors")
}

fn check(name: &str, anchors: &Anchors) -> ChainCheck {
    verify_chain(&chain(name), anchors, NOW).expect("a chain")
}

fn kinds(c: &ChainCheck) -> Vec<&'static str> {
    c.problems.iter().map(ChainProblem::kind).collect()
}

#[test]
fn a_complete_chain_to_a_given_anchor_is_trusted() {
    let c = check("mx-rsa.chain.pem", &test_ca());
    assert!(c.trusted, "{c:#?}");
    assert_eq!(c.rejection, None);
    assert_eq!(c.problems, vec![]);
    assert_eq!(c.path, vec![0, 1]);
    assert_eq!(
        c.anchor,
        Some(AnchorRef {
            subject: "CN=mxprobe test CA, O=mxprobe tests".into(),
            source: AnchorSource::CaFile,
        })
    );
    assert_eq!(c.checked_at, "2026-01-01T00:00:00Z");
    // 2120-01-01 is 94 years and 22 leap days away (2100 is no leap year).
    assert_eq!(c.leaf_days_left, 94 * 365 + 22);
    assert_eq!(c.chain_days_left, c.leaf_days_left);

    let c = check("mx-inter.chain.pem", &test_ca());
    assert!(c.trusted, "{c:#?}");
    assert_eq!(c.path, vec![0, 1, 2]);
    assert_eq!(c.problems, vec![]);
}

#[test]
fn a_private_root_without_its_anchor_is_an_unknown_issuer() {
    let c = check("mx-rsa.chain.pem", &Anchors::mozilla());
    assert!(!c.trusted);
    assert_eq!(
        c.rejection.as_ref().map(|r| r.reason),
        Some(RejectReason::UnknownIssuer)
    );
    assert_eq!(
        c.problems,
        vec![ChainProblem::UnknownIssuer {
            position: 1,
            root: "CN=mxprobe test CA, O=mxprobe tests".into(),
        }]
    );
    assert_eq!(c.anchor, None);
}

#[test]
fn a_missing_intermediate_is_an_incomplete_chain() {
    let c = check("mx-inter.crt", &test_ca());
    assert!(!c.trusted);
    assert_eq!(
        c.rejection.as_ref().map(|r| r.reason),
        Some(RejectReason::UnknownIssuer)
    );
    assert_eq!(
        c.problems,
        vec![ChainProblem::IncompleteChain {
            position: 0,
            missing_issuer: "CN=mxprobe test intermediate CA, O=mxprobe tests".into(),
            ca_issuers: vec![],
        }]
    );
    assert_eq!(c.path, vec![0]);

    let c = check("mx-aia.crt", &test_ca());
    assert_eq!(
        c.problems,
        vec![ChainProblem::IncompleteChain {
            position: 0,
            missing_issuer: "CN=mxprobe test intermediate CA, O=mxprobe tests".into(),
            ca_issuers: vec!["http://ca.example.test/intermediate.crt".into()],
        }]
    );
    assert!(c.problems[0]
        .to_string()
        .contains("caIssuers: http://ca.example.test/intermediate.crt"));
}

#[test]
fn certificates_out_of_order_are_reported_and_still_trusted() {
    let c = check("wrong-order.chain.pem", &test_ca());
    assert!(c.trusted, "webpki builds the path in any order: {c:#?}");
    assert_eq!(c.path, vec![0, 2, 1]);
    assert_eq!(
        c.problems,
        vec![ChainProblem::WrongOrder {
            issuing_order: vec![0, 2, 1]
        }]
    );
}

#[test]
fn certificates_outside_the_path_are_unused() {
    let mut pem = file("mx-rsa.chain.pem");
    pem.extend(file("intermediate.crt"));
    let certs: Vec<CertInfo> = X509::stack_from_pem(&pem)
        .expect("PEM")
        .iter()
        .map(|c| CertInfo::from_x509(c))
        .collect();
    let c = verify_chain(&certs, &test_ca(), NOW).expect("chain");
    assert!(c.trusted);
    assert_eq!(kinds(&c), ["unused-certificate"]);
    assert!(matches!(
        c.problems[0],
        ChainProblem::UnusedCertificate { position: 2, .. }
    ));
}

#[test]
fn validity_is_checked_at_the_given_time() {
    let c = check("expired.chain.pem", &test_ca());
    assert!(!c.trusted);
    assert_eq!(
        c.rejection.as_ref().map(|r| r.reason),
        Some(RejectReason::Expired)
    );
    assert_eq!(
        c.problems,
        vec![ChainProblem::Expired {
            position: 0,
            subject: "CN=mx.example.test".into(),
            not_after: "2001-01-01T00:00:00Z".into(),
            days_ago: 9131,
        }]
    );
    assert_eq!(c.leaf_days_left, -9131);

    // The same chain in the middle of its validity.
    let mid_2000 = 960_000_000;
    let c = verify_chain(&chain("expired.chain.pem"), &test_ca(), mid_2000).expect("chain");
    assert!(c.trusted, "{c:#?}");
    assert!(c.leaf_days_left > 0);

    let c = check("not-yet-valid.chain.pem", &test_ca());
    assert!(!c.trusted);
    assert_eq!(
        c.rejection.as_ref().map(|r| r.reason),
        Some(RejectReason::NotYetValid)
    );
    assert_eq!(kinds(&c), ["not-yet-valid"]);
    let ChainProblem::NotYetValid {
        position,
        not_before,
        ..
    } = &c.problems[0]
    else {
        unreachable!()
    };
    assert_eq!(
        (*position, not_before.as_str()),
        (0, "2100-01-01T00:00:00Z")
    );
}

#[test]
fn a_self_signed_leaf_is_reported_as_such() {
    let c = check("self-signed.crt", &test_ca());
    assert!(!c.trusted);
    assert_eq!(
        c.problems,
        vec![ChainProblem::SelfSigned {
            subject: "CN=mx.example.test".into()
        }]
    );
}

#[test]
fn weak_keys_are_reported_wherever_they_are() {
    let c = check("rsa1024.chain.pem", &test_ca());
    assert!(c.trusted, "the CA's signature is fine: {c:#?}");
    assert_eq!(
        c.problems,
        vec![ChainProblem::WeakKey {
            position: 0,
            subject: "CN=mx.example.test".into(),
            key_type: "RSA".into(),
            bits: 1024,
            minimum: 2048,
        }]
    );
    assert!(!c.problems[0].breaks_trust());

    let c = check("ec224.chain.pem", &test_ca());
    assert!(matches!(
        c.problems.as_slice(),
        [ChainProblem::WeakKey {
            position: 0,
            bits: 224,
            minimum: 256,
            ..
        }]
    ));
    assert_eq!(weak_key_minimum("EC", 256), None);
    assert_eq!(weak_key_minimum("RSA", 2048), None);
    assert_eq!(weak_key_minimum("DSA", 1024), Some(2048));
    assert_eq!(weak_key_minimum("Ed25519", 253), None);
}

#[test]
fn sha1_below_the_root_is_refused() {
    let c = check("sha1.chain.pem", &test_ca());
    assert!(!c.trusted);
    assert_eq!(
        c.rejection.as_ref().map(|r| r.reason),
        Some(RejectReason::UnsupportedSignatureAlgorithm)
    );
    assert_eq!(
        c.problems,
        vec![ChainProblem::WeakSignature {
            position: 0,
            subject: "CN=mx.example.test".into(),
            algorithm: "sha1WithRSAEncryption".into(),
            digest: WeakDigest::Sha1,
        }]
    );
    assert_eq!(digest_weakness(Nid::MD5), Some(WeakDigest::Md5));
    assert_eq!(digest_weakness(Nid::SHA256), None);
}

/// A certificate carrying the intermediate's name, signed by a key of its own.
fn impostor_intermediate() -> X509 {
    let real = X509::from_pem(&file("intermediate.crt")).expect("intermediate");
    let key = PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("key");
    let mut b = X509Builder::new().expect("builder");
    b.set_version(2).expect("version");
    b.set_subject_name(real.subject_name()).expect("subject");
    b.set_issuer_name(real.subject_name()).expect("issuer");
    b.set_pubkey(&key).expect("pubkey");
    b.set_not_before(&Asn1Time::from_unix(1_577_836_800).expect("time"))
        .expect("not before");
    b.set_not_after(&Asn1Time::from_unix(4_102_444_800).expect("time"))
        .expect("not after");
    b.sign(&key, MessageDigest::sha256()).expect("sign");
    b.build()
}

#[test]
fn an_issuer_whose_key_does_not_verify_is_a_bad_signature() {
    let mut certs = chain("mx-inter.crt");
    certs.push(CertInfo::from_x509(&impostor_intermediate()));
    let c = verify_chain(&certs, &test_ca(), NOW).expect("chain");
    assert!(!c.trusted);
    assert_eq!(
        c.problems,
        vec![
            ChainProblem::UnusedCertificate {
                position: 1,
                subject: "CN=mxprobe test intermediate CA, O=mxprobe tests".into(),
            },
            ChainProblem::BadSignature {
                position: 0,
                issuer: "CN=mxprobe test intermediate CA, O=mxprobe tests".into(),
            },
        ]
    );
}

#[test]
fn a_refusal_nothing_else_explains_is_passed_on() {
    // The CA certificate served as if it were a server's.
    let c = check("ca.crt", &test_ca());
    assert!(!c.trusted);
    assert_eq!(
        c.problems,
        vec![ChainProblem::Rejected {
            reason: RejectReason::CaUsedAsEndEntity,
            detail: "CaUsedAsEndEntity".into(),
        }]
    );
}

#[test]
fn nothing_presented_is_nothing_to_check() {
    assert_eq!(verify_chain(&[], &test_ca(), NOW), None);
}

#[test]
fn problems_serialise_with_their_kind() {
    let c = check("mx-aia.crt", &test_ca());
    let v = serde_json::to_value(&c).expect("json");
    assert_eq!(v["trusted"], false);
    assert_eq!(v["rejection"]["reason"], "unknown-issuer");
    assert_eq!(v["problems"][0]["kind"], "incomplete-chain");
    assert_eq!(
        v["problems"][0]["ca_issuers"][0],
        "http://ca.example.test/intermediate.crt"
    );
    let back: ChainCheck = serde_json::from_value(v).expect("round trip");
    assert_eq!(back, c);
}
