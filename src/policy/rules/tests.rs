//! The rules, on hand-made reports.

use super::tls::ecdh_bits;
use super::*;
use crate::cert::CertInfo;
use crate::model::{AddressReport, MxReport, Target};
use crate::policy::builtin;
use crate::tls::enumerate::Enumeration;
use crate::tls::incomplete::{Incomplete, Part, Reason};
use crate::tls::Handshake;
use crate::tls::Protocol;
use crate::trust::AddressTrust;

fn leaf(not_before: i64, not_after: i64) -> CertInfo {
    CertInfo {
        issuer: "CN=CA".into(),
        serial: "01".into(),
        not_before: crate::cert::format_rfc3339(not_before),
        not_after: crate::cert::format_rfc3339(not_after),
        not_before_unix: not_before,
        not_after_unix: not_after,
        signature_algorithm: "sha256WithRSAEncryption".into(),
        ..CertInfo::for_names(&["mx.example.test"], Some("mx.example.test"))
    }
}

fn report(address: AddressReport) -> DomainReport {
    DomainReport {
        target: Target::Host {
            name: "mx.example.test".into(),
            port: None,
        },
        status: DomainStatus::Ok,
        error: None,
        mx: vec![MxReport {
            host: "mx.example.test".into(),
            preference: None,
            implicit: false,
            error: None,
            addresses: vec![address],
            dane: None,
        }],
        mta_sts: None,
        tls_rpt: None,
        findings: vec![],
    }
}

fn address(tls: Option<Handshake>, enumeration: Option<Enumeration>) -> AddressReport {
    AddressReport {
        tls,
        enumeration,
        connections: 1,
        handshakes: 1,
        ..AddressReport::new([127, 0, 0, 1].into(), 25, ProbeStatus::Ok)
    }
}

fn ids(policy: &str, r: &DomainReport, now: i64) -> Vec<FindingId> {
    builtin::get(policy)
        .expect("policy")
        .evaluate_at(r, now)
        .into_iter()
        .map(|f| f.id)
        .collect()
}

#[test]
fn certificate_dates_against_now() {
    let hs = |c| Handshake {
        protocol: Protocol::Tls1_3,
        cipher: "TLS_AES_256_GCM_SHA384".into(),
        bits: 256,
        group: Some("X25519MLKEM768".into()),
        dh_bits: None,
        chain: vec![c],
    };
    let day = 86_400;
    let r = report(address(Some(hs(leaf(1000 * day, 2000 * day))), None));
    assert_eq!(ids("default", &r, 999 * day), [FindingId::CertNotYetValid]);
    assert!(ids("default", &r, 1500 * day).is_empty());
    assert_eq!(
        ids("default", &r, 1990 * day),
        [FindingId::CertExpiringSoon]
    );
    assert_eq!(ids("default", &r, 2001 * day), [FindingId::CertExpired]);
    assert!(ids("opportunistic", &r, 2001 * day).is_empty());
}

#[test]
fn an_incomplete_enumeration_says_so() {
    let e = Enumeration {
        incomplete: vec![Incomplete::new(
            Part::Version(Protocol::Tls1_2),
            Reason::NoSession("greeting rejected: 421".into()),
        )],
        ..Enumeration::default()
    };
    let r = report(address(None, Some(e)));
    let found = builtin::get("default").expect("default").evaluate_at(&r, 0);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, FindingId::EnumerationIncomplete);
    assert!(found[0].message.contains("421"));
}

#[test]
fn an_mx_record_naming_an_address_is_a_finding() {
    let mut r = report(address(None, None));
    r.mx[0].host = "127.0.0.1".into();
    assert!(
        !ids("default", &r, 0).contains(&FindingId::MxIpLiteral),
        "--host 127.0.0.1 is no MX record"
    );
    r.target = Target::Domain {
        name: "example.test".into(),
        ascii: "example.test".into(),
    };
    r.mx[0].preference = Some(10);
    for policy in ["default", "opportunistic"] {
        let found = builtin::get(policy).expect("policy").evaluate_at(&r, 0);
        let f = found
            .iter()
            .find(|f| f.id == FindingId::MxIpLiteral)
            .expect("mx-ip-literal");
        assert_eq!(f.severity, crate::model::Severity::High, "{policy}");
        assert_eq!(f.mx.as_deref(), Some("127.0.0.1"));
        assert!(f.ip.is_none(), "about the MX record, not the address");
        assert!(
            f.message.starts_with("MX 10 127.0.0.1 is an IP address"),
            "{}",
            f.message
        );
        assert!(f.message.contains("allow_mx_to_ip"), "{}", f.message);
    }
}

#[test]
fn ptr_findings_show_the_cname_chain() {
    use crate::trust::{PtrCheck, PtrStatus};
    let trusted = |ptr: PtrCheck| AddressReport {
        trust: Some(AddressTrust {
            chain: None,
            names: None,
            strict_tls: None,
            ptr,
            probed_as: None,
        }),
        ..address(None, None)
    };
    let chain = vec![
        "2.0.0.127.in-addr.arpa".to_string(),
        "2.0/26.0.0.127.in-addr.arpa".to_string(),
    ];
    let missing = PtrCheck {
        status: PtrStatus::PtrMissing,
        names: vec![],
        cname_chain: chain.clone(),
        matches_banner: None,
        error: None,
    };
    let found = builtin::get("default")
        .expect("default")
        .evaluate_at(&report(trusted(missing)), 0);
    assert_eq!(found[0].id, FindingId::PtrMissing);
    assert_eq!(
        found[0].message,
        "no PTR record at 2.0/26.0.0.127.in-addr.arpa (via CNAME 2.0.0.127.in-addr.arpa → 2.0/26.0.0.127.in-addr.arpa)"
    );

    let mut looped = chain;
    looped.push("2.0.0.127.in-addr.arpa".into());
    let looping = PtrCheck {
        status: PtrStatus::DnsError,
        names: vec![],
        cname_chain: looped,
        matches_banner: None,
        error: Some("2.0.0.127.in-addr.arpa: CNAME loop …".into()),
    };
    let found = builtin::get("default")
        .expect("default")
        .evaluate_at(&report(trusted(looping.clone())), 0);
    assert_eq!(found[0].id, FindingId::DnsError);
    assert_eq!(
        found[0].message,
        "reverse DNS: 2.0.0.127.in-addr.arpa: CNAME loop …"
    );
    // Any other failed PTR lookup may be the moment's: no finding.
    let servfail = PtrCheck {
        cname_chain: vec![],
        error: Some("SERVFAIL".into()),
        ..looping
    };
    assert!(ids("default", &report(trusted(servfail)), 0).is_empty());
}

#[test]
fn curve_sizes() {
    assert_eq!(ecdh_bits("x25519"), Some(256));
    assert_eq!(ecdh_bits("secp224r1"), Some(224));
    assert_eq!(ecdh_bits("prime192v1"), Some(192));
    assert_eq!(ecdh_bits("secp521r1"), Some(521));
    assert_eq!(ecdh_bits("brainpoolP384r1tls13"), Some(384));
    assert_eq!(ecdh_bits("X25519MLKEM768"), None);
    assert_eq!(ecdh_bits("ffdhe2048"), None);
}
