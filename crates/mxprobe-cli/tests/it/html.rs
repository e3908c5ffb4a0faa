//! The HTML report: hostile server text stays text, and the page of a
//! list scan renders in a real browser (headless Chromium, installed by
//! tests/html/setup.sh) with its charts and every domain's verdict.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mxprobe::testkit::mta;
use mxprobe::testkit::pki::CertKey;
use mxprobe::testkit::scenarios;
use mxprobe::testkit::smtp::{ServerConfig, TlsConfig};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509Builder, X509NameBuilder};
use scraper::{Html, Selector};

use crate::common::{args, assert_ran, empty_dns, mxprobe, resolver_args, Lab};

/// The page's own script, the only one it may carry.
const SCRIPT: &str = include_str!("../../../../src/html/sort.js");

/// What a hostile server says, in its banner, EHLO name and certificate.
const SCRIPT_TAG: &str = "<script>alert(1)</script>";
const IMG_TAG: &str = "\"><img/src=x/onerror=alert(2)>";

fn temp_dir(name: &str) -> PathBuf {
    crate::common::temp_dir("html", name)
}

/// A self-signed certificate whose subject is hostile text, control
/// characters included.
fn hostile_cert() -> CertKey {
    let key = PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("key");
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", &format!("{SCRIPT_TAG}\u{7}"))
        .expect("cn");
    name.append_entry_by_text("O", &format!("{IMG_TAG}\u{1b}[31m"))
        .expect("o");
    let name = name.build();
    let mut b = X509Builder::new().expect("builder");
    b.set_version(2).expect("version");
    let serial = BigNum::from_u32(7)
        .and_then(|n| n.to_asn1_integer())
        .expect("serial");
    b.set_serial_number(&serial).expect("serial");
    b.set_subject_name(&name).expect("subject");
    b.set_issuer_name(&name).expect("issuer");
    b.set_pubkey(&key).expect("pubkey");
    b.set_not_before(&Asn1Time::days_from_now(0).expect("now"))
        .expect("nb");
    b.set_not_after(&Asn1Time::days_from_now(30).expect("later"))
        .expect("na");
    let san = SubjectAlternativeName::new()
        .dns("mx.example.test")
        .build(&b.x509v3_context(None, None))
        .expect("san");
    b.append_extension(san).expect("ext");
    b.sign(&key, MessageDigest::sha256()).expect("sign");
    CertKey {
        chain_pem: b.build().to_pem().expect("pem"),
        key_pem: key.private_key_to_pem_pkcs8().expect("key pem"),
    }
}

fn hostile_server() -> ServerConfig {
    ServerConfig {
        banner_host: format!("{SCRIPT_TAG}{IMG_TAG}\u{1b}[31m"),
        ..ServerConfig::with_tls(TlsConfig {
            certs: vec![hostile_cert()],
            ..TlsConfig::default()
        })
    }
}

/// Every element and attribute the page may have: what the templates
/// write, and nothing a server's text could add.
const ELEMENTS: &[&str] = &[
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "code",
    "section",
    "div",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "br",
    "span",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "svg",
    "g",
    "text",
    "rect",
    "footer",
    "script",
];
const ATTRIBUTES: &[&str] = &[
    "lang",
    "charset",
    "name",
    "content",
    "http-equiv",
    "href",
    "class",
    "id",
    "data-key",
    "xmlns",
    "role",
    "viewBox",
    "x",
    "y",
    "width",
    "height",
    "rx",
    "text-anchor",
];

/// The page's elements that are not the templates' own.
fn foreign(page: &Html) -> Vec<String> {
    let all = Selector::parse("*").expect("selector");
    let mut bad = Vec::new();
    for el in page.select(&all) {
        let e = el.value();
        if !ELEMENTS.contains(&e.name()) {
            bad.push(format!("element <{}>", e.name()));
        }
        for (a, v) in e.attrs() {
            if !ATTRIBUTES.contains(&a) {
                bad.push(format!("attribute {a}={v:?} on <{}>", e.name()));
            }
            if a == "href" && !v.starts_with('#') {
                bad.push(format!("link to {v:?}"));
            }
        }
    }
    bad
}

fn scripts(page: &Html) -> Vec<String> {
    let s = Selector::parse("script").expect("selector");
    page.select(&s).map(|e| e.text().collect()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_server_text_stays_text() {
    let (port, servers) =
        mxprobe::testkit::net::smtp_servers(vec![hostile_server(), ServerConfig::default()])
            .await
            .expect("servers");
    let dns = empty_dns().await;
    let dir = temp_dir("hostile");
    let page_file = dir.join("report.html");
    let mut a = resolver_args(&dns);
    for s in &servers {
        a.extend(args(&["--host", &format!("{}:{port}", s.addr().ip())]));
    }
    a.extend(args(&[
        "-q",
        "-f",
        "html",
        "-o",
        page_file.to_str().expect("utf-8"),
    ]));
    assert_ran(&mxprobe(&a).await);
    let text = std::fs::read_to_string(&page_file).expect("page");
    let page = Html::parse_document(&text);
    assert_eq!(foreign(&page), Vec::<String>::new());
    assert_eq!(scripts(&page), [SCRIPT], "the page's own script, once");
    // The hostile text is there, as text: in the greeting, the EHLO name
    // and the certificate's subject.
    let body: String = page.root_element().text().collect();
    assert!(body.contains(SCRIPT_TAG), "{body}");
    assert!(body.contains("onerror=alert(2)"), "{body}");
    assert!(
        !body.contains('\u{1b}') && !body.contains('\u{7}'),
        "control characters shown as such"
    );
    let subject = Selector::parse("dl.cert dd").expect("selector");
    assert!(
        page.select(&subject)
            .any(|d| d.text().collect::<String>().contains(SCRIPT_TAG)),
        "the certificate subject is shown"
    );
    // The browser agrees: nothing ran, nothing was added.
    let rendered = Html::parse_document(&chromium_dom(&page_file, &dir, None));
    assert_eq!(foreign(&rendered), Vec::<String>::new());
    assert_eq!(scripts(&rendered).len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Chromium, headless, as the machine runs it (no sandbox as root, no
/// background connections): the DOM after the page's script ran, and a
/// screenshot when asked. Installs Chromium first where it is missing.
fn chromium_dom(page: &Path, dir: &Path, screenshot: Option<&Path>) -> String {
    let setup = mta::repo_path("tests/html/setup.sh");
    let status = Command::new("bash").arg(&setup).status().expect("bash");
    assert!(
        status.success(),
        "{} failed: the browser test needs chromium",
        setup.display()
    );
    let base = |c: &mut Command| {
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join("chromium").display()
        ));
    };
    let url = format!("file://{}", page.display());
    if let Some(png) = screenshot {
        let mut c = Command::new("chromium");
        base(&mut c);
        let out = c
            .arg("--window-size=1280,1800")
            .arg(format!("--screenshot={}", png.display()))
            .arg(&url)
            .output()
            .expect("chromium");
        assert!(
            png.is_file(),
            "no screenshot: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut c = Command::new("chromium");
    base(&mut c);
    let out = c.arg("--dump-dom").arg(&url).output().expect("chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 DOM")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_scan_renders_in_chromium() {
    let pick = |name: &str| scenarios::named(name).expect("scenario").config;
    let lab = Lab::start(
        vec![
            pick("modern"),
            pick("kabelmail"),
            pick("no-starttls"),
            pick("wrong-name"),
        ],
        |z, ip| {
            z.mx("modern.test", 10, "mx.modern.test")
                .a("mx.modern.test", ip[0])
                .mx("kabel.test", 10, "mx.kabel.test")
                .a("mx.kabel.test", ip[1])
                .mx("plain.test", 10, "mx.plain.test")
                .a("mx.plain.test", ip[2])
                .mx("shared.test", 10, "mx.shared.test")
                .a("mx.shared.test", ip[3]);
        },
    )
    .await;
    let dir = temp_dir("browser");
    let list = dir.join("domains.txt");
    let domains = [
        "modern.test",
        "kabel.test",
        "plain.test",
        "shared.test",
        "gone.test",
    ];
    std::fs::write(&list, domains.join("\n")).expect("list");
    // The page, and the same scan as JSON Lines for `mxprobe stats --html`.
    let page_file = dir.join("report.html");
    let jsonl = dir.join("scan.jsonl");
    for (format, file) in [("html", &page_file), ("jsonl", &jsonl)] {
        let mut a = lab.args();
        a.extend(args(&[
            "-q",
            "-i",
            list.to_str().expect("utf-8"),
            "-f",
            format,
            "-o",
        ]));
        a.push(file.display().to_string());
        assert_ran(&mxprobe(&a).await);
    }

    let artifacts = mta::repo_path("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts");
    let png = artifacts.join("report.png");
    let _ = std::fs::remove_file(&png);
    let rendered = Html::parse_document(&chromium_dom(&page_file, &dir, Some(&png)));
    assert_eq!(foreign(&rendered), Vec::<String>::new());
    let charts = Selector::parse("figure.chart svg").expect("selector");
    let ids: Vec<&str> = rendered
        .select(&Selector::parse("figure.chart").expect("selector"))
        .filter_map(|f| f.value().id())
        .collect();
    assert_eq!(
        ids,
        [
            "chart-versions",
            "chart-ciphers",
            "chart-shares",
            "chart-findings"
        ]
    );
    assert_eq!(rendered.select(&charts).count(), 4, "every chart drawn");
    let bars = Selector::parse("figure.chart svg rect").expect("selector");
    assert!(rendered.select(&bars).count() >= 8, "bars in the charts");
    // Every domain's verdict, and the ones that must fail do.
    let rows = Selector::parse("#verdicts tbody tr").expect("selector");
    let td = Selector::parse("td").expect("selector");
    let verdicts: HashMap<String, String> = rendered
        .select(&rows)
        .map(|r| {
            let cells: Vec<String> = r.select(&td).map(|c| c.text().collect()).collect();
            (cells[0].clone(), cells[1].clone())
        })
        .collect();
    for d in domains {
        assert!(
            matches!(verdicts.get(d).map(String::as_str), Some("pass" | "fail")),
            "{d}: {verdicts:?}"
        );
    }
    for d in ["kabel.test", "plain.test", "gone.test"] {
        assert_eq!(verdicts[d], "fail", "{d} has high findings");
    }
    assert_eq!(verdicts["modern.test"], "pass");
    let sections = Selector::parse("section.domain").expect("selector");
    assert_eq!(rendered.select(&sections).count(), domains.len());

    // The sort script, clicked: a copy of the page with one more script,
    // allowed by its hash, that clicks the "worst" heading twice (the
    // second click sorts worst first).
    let page = std::fs::read_to_string(&page_file).expect("page");
    let click = "document.querySelector('#verdicts th:nth-child(3)').click();\
                 document.querySelector('#verdicts th:nth-child(3)').click();";
    let hash = openssl::base64::encode_block(&openssl::sha::sha256(click.as_bytes()));
    let clicked = page
        .replacen("script-src ", &format!("script-src 'sha256-{hash}' "), 1)
        .replacen("</body>", &format!("<script>{click}</script></body>"), 1);
    let clicked_file = dir.join("clicked.html");
    std::fs::write(&clicked_file, clicked).expect("clicked page");
    let sorted = Html::parse_document(&chromium_dom(&clicked_file, &dir, None));
    let worst: Vec<String> = sorted
        .select(&rows)
        .map(|r| {
            r.select(&td)
                .nth(2)
                .map(|c| c.text().collect())
                .unwrap_or_default()
        })
        .collect();
    let rank = |w: &str| {
        ["none", "info", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| *x == w)
    };
    let ranks: Vec<Option<usize>> = worst.iter().map(|w| rank(w)).collect();
    let mut descending = ranks.clone();
    descending.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        ranks, descending,
        "sorted by worst finding, worst first: {worst:?}"
    );
    let heading = Selector::parse("#verdicts th[aria-sort]").expect("selector");
    let marked: Vec<String> = sorted
        .select(&heading)
        .map(|h| h.value().attr("aria-sort").unwrap_or("").to_owned())
        .collect();
    assert_eq!(marked, ["descending"]);
    let legacy = Selector::parse("li.legacy").expect("selector");
    assert!(
        rendered.select(&legacy).count() > 0,
        "outdated ciphers marked"
    );

    // `mxprobe stats --html` of the same scan: the same page.
    let from_stats = dir.join("stats.html");
    let out = mxprobe(&args(&[
        "stats",
        jsonl.to_str().expect("utf-8"),
        "--html",
        from_stats.to_str().expect("utf-8"),
    ]))
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats_page = Html::parse_document(&std::fs::read_to_string(&from_stats).expect("page"));
    assert_eq!(foreign(&stats_page), Vec::<String>::new());
    assert_eq!(stats_page.select(&rows).count(), domains.len());
    assert_eq!(stats_page.select(&charts).count(), 4);
    let _ = std::fs::remove_dir_all(&dir);
}
