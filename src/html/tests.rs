use super::*;
use crate::model::{DomainStatus, Target};

#[test]
fn the_policy_allows_exactly_the_page_s_own_style_and_script() {
    let csp = content_security_policy();
    assert!(csp.starts_with("default-src 'none'; "), "{csp}");
    let digest = openssl::sha::sha256(SCRIPT.as_bytes());
    let hash = openssl::base64::encode_block(&digest);
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp}"
    );
    assert!(!csp.contains("unsafe"), "{csp}");
}

#[test]
fn server_text_is_escaped_everywhere() {
    let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
    let report = DomainReport {
        target: Target::Host {
            name: hostile.into(),
            port: None,
        },
        status: DomainStatus::Ok,
        error: Some(hostile.into()),
        mx: Vec::new(),
        mta_sts: None,
        tls_rpt: None,
        findings: Vec::new(),
    };
    let mut page = HtmlReport::new(HtmlOptions {
        policy: hostile.into(),
        fail_on: Severity::High,
    });
    let mut stats = crate::stats::Stats::new();
    for _ in 0..2 {
        page.add_report(&report);
        stats.add_report(&report);
    }
    let mut out = Vec::new();
    page.write(&stats.summary(10), &mut out).expect("written");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(!text.contains("<img"), "{text}");
    assert_eq!(text.matches("<script").count(), 1, "only the page's own");
    assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img"));
}
