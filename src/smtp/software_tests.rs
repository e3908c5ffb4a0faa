//! Recognition from greetings and EHLO replies as the servers send them
//! (defaults as shipped, then customised banners).

use super::*;

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

fn recognised(greeting: &str, ehlo: &str) -> Recognised {
    recognise(&lines(greeting), &lines(ehlo))
}

/// Name, version, evidence.
fn summary(r: &Recognised) -> (&'static str, Option<&str>, &str) {
    (
        r.name.as_str(),
        r.version.as_deref(),
        r.evidence.as_deref().unwrap_or(""),
    )
}

const POSTFIX_EHLO: &str = "mx.example.org
PIPELINING
SIZE 10240000
VRFY
ETRN
STARTTLS
ENHANCEDSTATUSCODES
8BITMIME
DSN
SMTPUTF8
CHUNKING";

const EXIM_EHLO: &str = "mx.example.org Hello scanner.example.net [192.0.2.1]
SIZE 52428800
8BITMIME
PIPELINING
CHUNKING
STARTTLS
HELP";

const EXCHANGE_EHLO: &str = "mail.example.org Hello [192.0.2.1]
SIZE 37748736
PIPELINING
DSN
ENHANCEDSTATUSCODES
STARTTLS
X-ANONYMOUSTLS
AUTH NTLM
X-EXPS GSSAPI NTLM
8BITMIME
BINARYMIME
CHUNKING
XRDST
SMTPUTF8";

/// An internet-facing receive connector: none of the X- verbs.
const EXCHANGE_FRONTEND_EHLO: &str = "mail.example.org Hello [192.0.2.1]
SIZE 37748736
PIPELINING
DSN
ENHANCEDSTATUSCODES
STARTTLS
8BITMIME
BINARYMIME
CHUNKING
SMTPUTF8";

const SENDMAIL_EHLO: &str =
    "mail.example.org Hello scanner.example.net [192.0.2.1], pleased to meet you
ENHANCEDSTATUSCODES
PIPELINING
8BITMIME
SIZE
DSN
ETRN
AUTH DIGEST-MD5 CRAM-MD5
STARTTLS
DELIVERBY
HELP";

const OPENSMTPD_EHLO: &str =
    "mail.example.org Hello scanner.example.net [192.0.2.1], pleased to meet you
8BITMIME
ENHANCEDSTATUSCODES
SIZE 36700160
DSN
STARTTLS
HELP";

#[test]
fn default_banners() {
    let cases = [
        (
            "mx.example.org ESMTP Postfix (Debian/GNU)",
            POSTFIX_EHLO,
            ("postfix", None, "banner: ESMTP Postfix (Debian/GNU); EHLO: host name alone, ETRN or VRFY, no HELP, as Postfix answers"),
        ),
        (
            "mx.example.org ESMTP Exim 4.96 Thu, 04 Dec 2026 10:00:00 +0000",
            EXIM_EHLO,
            ("exim", Some("4.96"), "banner: ESMTP Exim 4.96; EHLO: \"Hello <name> [<address>]\" and HELP, as Exim answers"),
        ),
        (
            "mail.example.org Microsoft ESMTP MAIL Service ready at Thu, 4 Dec 2026 10:00:00 +0100",
            EXCHANGE_EHLO,
            ("exchange", None, "banner: Microsoft ESMTP MAIL Service; EHLO: X-EXPS, X-ANONYMOUSTLS, XRDST"),
        ),
        (
            "mail.example.org ESMTP Sendmail 8.17.1/8.17.1; Thu, 4 Dec 2026 10:00:00 +0100",
            SENDMAIL_EHLO,
            ("sendmail", Some("8.17.1"), "banner: ESMTP Sendmail 8.17.1/8.17.1; EHLO: DELIVERBY"),
        ),
        (
            "mail.example.org ESMTP OpenSMTPD",
            OPENSMTPD_EHLO,
            ("opensmtpd", None, "banner: ESMTP OpenSMTPD; EHLO: \"pleased to meet you\", HELP and no PIPELINING, as OpenSMTPD answers"),
        ),
    ];
    for (greeting, ehlo, expected) in cases {
        assert_eq!(summary(&recognised(greeting, ehlo)), expected, "{greeting}");
    }
}

#[test]
fn customised_banners_are_recognised_by_ehlo() {
    let cases = [
        // Postfix's smtpd_banner = $myhostname ESMTP (the repo's test
        // Postfix), on a host whose name says postfix: the name is no
        // evidence, the reply's shape is.
        ("postfix.mta.test ESMTP", POSTFIX_EHLO, "postfix"),
        ("mx.example.org ESMTP ready", EXIM_EHLO, "exim"),
        ("mail.example.org ESMTP", EXCHANGE_EHLO, "exchange"),
        ("mail.example.org ESMTP", EXCHANGE_FRONTEND_EHLO, "exchange"),
        ("mail.example.org ESMTP", SENDMAIL_EHLO, "sendmail"),
        ("mail.example.org ESMTP", OPENSMTPD_EHLO, "opensmtpd"),
        ("exim.example.org ESMTP", POSTFIX_EHLO, "postfix"),
    ];
    for (greeting, ehlo, name) in cases {
        let r = recognised(greeting, ehlo);
        assert_eq!(r.name.as_str(), name, "{greeting} / {ehlo}");
        assert_eq!(r.version, None);
        assert!(r.evidence.is_some_and(|e| e.starts_with("EHLO: ")));
    }
}

#[test]
fn a_products_own_extension_outweighs_the_banner() {
    // A banner made to look like Postfix in front of Exchange.
    let r = recognised("mail.example.org ESMTP Postfix", EXCHANGE_EHLO);
    assert_eq!(
        summary(&r),
        (
            "exchange",
            None,
            "EHLO: X-EXPS, X-ANONYMOUSTLS, XRDST; the banner names Postfix"
        )
    );
    // The banner outweighs the reply's shape.
    let r = recognised("mx.example.org ESMTP Exim 4.97.1", POSTFIX_EHLO);
    assert_eq!(
        summary(&r),
        ("exim", Some("4.97.1"), "banner: ESMTP Exim 4.97.1")
    );
    let r = recognised("mx ESMTP", "mx Hello x [192.0.2.1]\nPIPE_CONNECT\nSTARTTLS");
    assert_eq!(summary(&r), ("exim", None, "EHLO: PIPE_CONNECT"));
}

#[test]
fn versions_as_banners_show_them() {
    let v = |g: &str| recognised(g, "").version;
    assert_eq!(v("mx ESMTP Postfix (3.7.11)").as_deref(), Some("3.7.11"));
    assert_eq!(
        v("mail ESMTP Sendmail 8.15.2/8.15.2/Debian-22; Thu, 4 Dec 2026").as_deref(),
        Some("8.15.2")
    );
    assert_eq!(
        v("mail Microsoft ESMTP MAIL Service, Version: 10.0.17763.1697 ready at Thu, 4 Dec 2026")
            .as_deref(),
        Some("10.0.17763.1697")
    );
    assert_eq!(v("mx ESMTP Exim ready").as_deref(), None);
    assert_eq!(v("mx ESMTP Exim 4").as_deref(), None);
    let r = recognised("mail.example.org Microsoft ESMTP MAIL Service, Version: 10.0.17763.1697 ready at Thu, 4 Dec 2026", "");
    assert_eq!(
        r.evidence.as_deref(),
        Some("banner: Microsoft ESMTP MAIL Service, Version: 10.0.17763.1697")
    );
    // Exchange 5.5's greeting names the product.
    let r = recognised(
        "mail Microsoft Exchange Internet Mail Service 5.5.2653.13 ready",
        "",
    );
    assert_eq!(r.name, Software::Exchange);
}

#[test]
fn the_banner_alone_when_ehlo_failed() {
    let r = recognise(&lines("mx.example.org ESMTP Exim 4.96"), &[]);
    assert_eq!(
        summary(&r),
        ("exim", Some("4.96"), "banner: ESMTP Exim 4.96")
    );
}

#[test]
fn others_are_unknown() {
    let cases = [
        // mxprobe's own test server.
        (
            "mx.example.test ESMTP mxprobe test server",
            "mx.example.test\nPIPELINING\nSIZE 10240000\nENHANCEDSTATUSCODES\n8BITMIME\nSMTPUTF8\nSTARTTLS",
        ),
        (
            "mx.google.com ESMTP a1-20020a05 - gsmtp",
            "mx.google.com at your service, [192.0.2.1]\nSIZE 157286400\n8BITMIME\nSTARTTLS\nENHANCEDSTATUSCODES\nPIPELINING\nCHUNKING\nSMTPUTF8",
        ),
        ("postfix ESMTP", ""),
        ("", ""),
        ("mx Hello", "Hello\nHELP"),
    ];
    for (greeting, ehlo) in cases {
        assert_eq!(
            recognised(greeting, ehlo),
            Recognised::default(),
            "{greeting}"
        );
    }
    assert_eq!(Recognised::default().to_string(), "unknown");
}

#[test]
fn evidence_stays_short_whatever_the_banner() {
    let long = format!("mx ESMTP Exim {}", "9.".repeat(400));
    let r = recognised(&long, "");
    assert_eq!(r.version, None);
    assert!(r.evidence.is_some_and(|e| e.chars().count() <= 80));
    let words = format!("mx ESMTP Postfix ({})", "x".repeat(500));
    let r = recognised(&words, "");
    assert_eq!(r.name, Software::Postfix);
    assert!(r.evidence.is_some_and(|e| e.chars().count() <= 80));
}

#[test]
fn display_and_serde() {
    let r = recognised("mx ESMTP Exim 4.96 Thu", "");
    assert_eq!(r.to_string(), "exim 4.96 (banner: ESMTP Exim 4.96)");
    let json = serde_json::to_value(&r).expect("serialises");
    assert_eq!(
        json,
        serde_json::json!({"name": "exim", "version": "4.96", "evidence": "banner: ESMTP Exim 4.96"})
    );
    assert_eq!(
        serde_json::to_value(Recognised::default()).expect("serialises"),
        serde_json::json!({"name": "unknown"})
    );
    let back: Recognised = serde_json::from_value(json).expect("parses");
    assert_eq!(back, r);
}
