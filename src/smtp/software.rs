//! Which mail server software answers: recognised from the 220 greeting and
//! the EHLO reply, so that a finding's remedy can name that software's own
//! settings (`crate::model::remedy`).
//!
//! Two kinds of evidence, neither certain:
//!
//! - **The banner.** Postfix, Exim, Sendmail, OpenSMTPD and Microsoft's SMTP
//!   service name themselves in their default greeting (`ESMTP Postfix
//!   (Debian/GNU)`, `ESMTP Exim 4.96 …`, `ESMTP Sendmail 8.17.1/8.17.1; …`,
//!   `ESMTP OpenSMTPD`, `Microsoft ESMTP MAIL Service ready at …`), and the
//!   version when they show one. Admins often change the banner
//!   (`smtpd_banner`, `smtp_banner`), so its absence says nothing.
//! - **The EHLO reply**, which admins rarely change. Some extensions belong
//!   to one product (Exchange's `X-EXPS`, `X-ANONYMOUSTLS`, `XEXCH50`;
//!   Exim's `PIPE_CONNECT`; Sendmail's `DELIVERBY`; Postfix's `XCLIENT`,
//!   `XFORWARD`): those outweigh the banner. The shape of the reply is
//!   weaker evidence, used only when nothing else names the software:
//!   Postfix answers with its host name alone and offers `ETRN`/`VRFY` but
//!   never `HELP`; Exim says `Hello <name> [<ip>]` and offers `HELP`;
//!   Sendmail and OpenSMTPD add `, pleased to meet you`, and OpenSMTPD
//!   offers no `PIPELINING`; Exchange says `Hello [<ip>]` and offers
//!   `BINARYMIME` but no `HELP`.
//!
//! Whether an Exim uses GnuTLS or OpenSSL is not visible in SMTP (only
//! `exim -bV` on the server says), so Exim's remedies give both forms.
//!
//! The first word of the greeting is the server's name (RFC 5321 §4.3.1),
//! never evidence: `postfix.example.org ESMTP` is not a Postfix banner.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::spelling::spelling;

/// Mail server software that mxprobe has remedies for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Software {
    /// Postfix (`smtpd`).
    Postfix,
    /// Exim, built on OpenSSL or GnuTLS (SMTP does not tell which).
    Exim,
    /// Microsoft Exchange, or another server on Windows' SMTP service (its
    /// TLS is Windows' Schannel either way).
    Exchange,
    /// Sendmail.
    Sendmail,
    /// OpenSMTPD.
    Opensmtpd,
    /// Not recognised: remedies are the generic (OpenSSL-style) ones.
    #[default]
    Unknown,
}

spelling!(Software {
    Postfix => "postfix",
    Exim => "exim",
    Exchange => "exchange",
    Sendmail => "sendmail",
    Opensmtpd => "opensmtpd",
    Unknown => "unknown",
});

impl Software {
    /// The products mxprobe recognises, without `Unknown`.
    pub const KNOWN: [Software; 5] = [
        Software::Postfix,
        Software::Exim,
        Software::Exchange,
        Software::Sendmail,
        Software::Opensmtpd,
    ];

    /// The product's own name, for evidence texts.
    fn product(self) -> &'static str {
        match self {
            Software::Postfix => "Postfix",
            Software::Exim => "Exim",
            Software::Exchange => "Microsoft Exchange",
            Software::Sendmail => "Sendmail",
            Software::Opensmtpd => "OpenSMTPD",
            Software::Unknown => "unknown software",
        }
    }
}

impl fmt::Display for Software {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The software recognised at an address, with what that rests on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recognised {
    /// The software (`unknown` when nothing pointed to one).
    pub name: Software,
    /// The version the banner shows (`4.96`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What the recognition rests on, one line: `banner: ESMTP Exim 4.96`,
    /// `EHLO: X-EXPS, XEXCH50`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// `exim 4.96 (banner: ESMTP Exim 4.96)`, or `unknown`.
impl fmt::Display for Recognised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name.as_str())?;
        if let Some(v) = &self.version {
            write!(f, " {v}")?;
        }
        if let Some(e) = &self.evidence {
            write!(f, " ({e})")?;
        }
        Ok(())
    }
}

/// Longest banner fragment quoted as evidence, in characters.
const MAX_QUOTE: usize = 60;
/// Longest version kept.
const MAX_VERSION: usize = 32;

/// One piece of evidence for one product.
#[derive(Debug)]
struct Clue {
    software: Software,
    version: Option<String>,
    text: String,
}

/// Recognises the software from the greeting's lines (without the code) and
/// the EHLO reply's lines (its first line, the server's name and greeting,
/// then the extensions; empty when EHLO failed).
pub fn recognise(greeting: &[String], ehlo: &[String]) -> Recognised {
    let banner = banner_clue(greeting);
    let (strong, weak) = ehlo_clues(ehlo);
    // Extensions are rarely customised, banners often: a product-specific
    // extension wins, then the banner, then the reply's shape.
    let Some(chosen) = [&strong, &banner, &weak]
        .into_iter()
        .flatten()
        .next()
        .map(|c| c.software)
    else {
        return Recognised::default();
    };
    // The banner if it agrees, and the best EHLO clue that agrees.
    let agrees = |c: &&Clue| c.software == chosen;
    let ehlo = [&strong, &weak].into_iter().flatten().find(agrees);
    let mut texts: Vec<String> = banner
        .iter()
        .filter(agrees)
        .chain(ehlo)
        .map(|c| c.text.clone())
        .collect();
    if let Some(other) = banner.as_ref().filter(|c| c.software != chosen) {
        texts.push(format!("the banner names {}", other.software.product()));
    }
    Recognised {
        name: chosen,
        version: banner
            .filter(|c| c.software == chosen)
            .and_then(|c| c.version),
        evidence: Some(texts.join("; ")),
    }
}

/// The words of the greeting after the server's name, without the
/// punctuation around them (`Service,` → `Service`).
fn banner_words(greeting: &[String]) -> Vec<&str> {
    greeting
        .iter()
        .enumerate()
        .flat_map(|(i, line)| line.split_whitespace().skip(usize::from(i == 0)))
        .collect()
}

fn bare(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_ascii_alphanumeric())
}

/// `4.96`, `8.17.1` (of `8.17.1/8.17.1;`), `3.7.11` (of `(3.7.11)`): a
/// word that starts with a digit and has a dot.
fn version_of(word: &str) -> Option<String> {
    let word = word.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | ';' | ':'));
    let word = word.split('/').next().unwrap_or(word);
    let ok = word.len() <= MAX_VERSION
        && word.starts_with(|c: char| c.is_ascii_digit())
        && word.contains('.')
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'));
    ok.then(|| word.to_string())
}

/// `words[from..to]` joined, cut to [`MAX_QUOTE`] characters.
fn quote(words: &[&str], from: usize, to: usize) -> String {
    let text = words
        .get(from..to.min(words.len()))
        .unwrap_or(&[])
        .join(" ");
    if text.chars().count() <= MAX_QUOTE {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_QUOTE).collect();
    cut.push('…');
    cut
}

fn banner_clue(greeting: &[String]) -> Option<Clue> {
    let words = banner_words(greeting);
    let is = |i: usize, w: &str| {
        words
            .get(i)
            .is_some_and(|x| bare(x).eq_ignore_ascii_case(w))
    };
    for i in 0..words.len() {
        // "Microsoft ESMTP MAIL Service[, Version: 10.0…] ready at …"
        if is(i, "Microsoft") && is(i + 1, "ESMTP") && is(i + 2, "MAIL") && is(i + 3, "Service") {
            let version = is(i + 4, "Version")
                .then(|| words.get(i + 5).and_then(|w| version_of(w)))
                .flatten();
            let end = if version.is_some() { i + 6 } else { i + 4 };
            return Some(Clue {
                software: Software::Exchange,
                version,
                text: format!("banner: {}", quote(&words, i, end)),
            });
        }
        if is(i, "Microsoft") && is(i + 1, "Exchange") {
            return Some(Clue {
                software: Software::Exchange,
                version: None,
                text: format!("banner: {}", quote(&words, i, i + 2)),
            });
        }
        let software = match bare(words[i]).to_ascii_lowercase().as_str() {
            "postfix" => Software::Postfix,
            "exim" => Software::Exim,
            "sendmail" => Software::Sendmail,
            "opensmtpd" => Software::Opensmtpd,
            _ => continue,
        };
        let next = words.get(i + 1).copied().unwrap_or("");
        let version = match software {
            // Postfix shows a version only when the admin adds one:
            // `ESMTP Postfix (3.7.11)`.
            Software::Postfix if next.starts_with('(') => version_of(next),
            Software::Exim | Software::Sendmail => version_of(next),
            _ => None,
        };
        let start = if i > 0 && is(i - 1, "ESMTP") {
            i - 1
        } else {
            i
        };
        // The version, or Postfix's `(Debian/GNU)`, belongs to the quote.
        let tail = version.is_some() || (next.starts_with('(') && next.ends_with(')'));
        let end = if tail { i + 2 } else { i + 1 };
        let mut text = quote(&words, start, end);
        if software == Software::Sendmail {
            // `8.17.1/8.17.1;`: the quote ends with the word.
            text = text.trim_end_matches(';').to_string();
        }
        return Some(Clue {
            software,
            version,
            text: format!("banner: {text}"),
        });
    }
    None
}

/// Extensions only one product offers.
const MARKERS: &[(Software, &[&str])] = &[
    (
        Software::Exchange,
        &[
            "X-EXPS",
            "X-ANONYMOUSTLS",
            "XEXCH50",
            "XRDST",
            "XSHADOW",
            "XSHADOWREQUEST",
            "X-LINK2STATE",
            "XOORG",
        ],
    ),
    (Software::Exim, &["PIPE_CONNECT", "X_PIPE_CONNECT"]),
    (Software::Sendmail, &["DELIVERBY"]),
    (Software::Postfix, &["XCLIENT", "XFORWARD"]),
];

/// The strong clue (a product's own extension) and the weak one (the
/// reply's shape).
fn ehlo_clues(ehlo: &[String]) -> (Option<Clue>, Option<Clue>) {
    let Some((first, extensions)) = ehlo.split_first() else {
        return (None, None);
    };
    let keywords: Vec<String> = extensions
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_ascii_uppercase)
        .collect();
    let has = |k: &str| keywords.iter().any(|x| x == k);
    let strong = MARKERS.iter().find_map(|(software, names)| {
        let found: Vec<&str> = names.iter().copied().filter(|n| has(n)).collect();
        (!found.is_empty()).then(|| Clue {
            software: *software,
            version: None,
            text: format!("EHLO: {}", found.join(", ")),
        })
    });
    let weak = shape_clue(first, &has);
    (strong, weak)
}

/// What the EHLO reply's first line and extensions look like.
fn shape_clue(first: &str, has: &dyn Fn(&str) -> bool) -> Option<Clue> {
    let words: Vec<&str> = first.split_whitespace().collect();
    let lower = first.to_ascii_lowercase();
    let pleased = lower.contains("pleased to meet you");
    let hello = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("Hello"))
        .filter(|&i| i > 0);
    let (software, shape) = if pleased && !has("PIPELINING") && has("HELP") && !has("ETRN") {
        (
            Software::Opensmtpd,
            "\"pleased to meet you\", HELP and no PIPELINING",
        )
    } else if pleased && (has("PIPELINING") || has("ETRN") || has("VERB")) {
        (
            Software::Sendmail,
            "\"pleased to meet you\" with PIPELINING",
        )
    } else if let (Some(i), false) = (hello, pleased) {
        // Exchange greets the address alone, Exim the name and address.
        let nameless = words.get(i + 1).is_some_and(|w| w.starts_with('['));
        if has("HELP") {
            (Software::Exim, "\"Hello <name> [<address>]\" and HELP")
        } else if nameless && has("BINARYMIME") {
            (Software::Exchange, "\"Hello [<address>]\" and BINARYMIME")
        } else {
            return None;
        }
    } else if words.len() == 1 && (has("ETRN") || has("VRFY")) && !has("HELP") {
        (Software::Postfix, "host name alone, ETRN or VRFY, no HELP")
    } else {
        return None;
    };
    Some(Clue {
        software,
        version: None,
        text: format!("EHLO: {shape}, as {} answers", software.product()),
    })
}

#[cfg(test)]
#[path = "software_tests.rs"]
mod tests;
