//! CSV: one row per (domain, MX host, address).
//!
//! # Columns (a contract: columns are added at the end, never renamed)
//!
//! | column | meaning |
//! |---|---|
//! | `domain` | the target as given |
//! | `mx` | MX host name (empty when the domain has none) |
//! | `preference` | MX preference (empty for `--host`) |
//! | `implicit_mx` | `yes` when the domain itself serves as MX (RFC 5321 §5.1) |
//! | `ip`, `port` | the probed address |
//! | `status` | `ok`, `no-starttls`, `unreachable`, `smtp-error`, `tls-error` per address; `no-mx`, `null-mx`, `nxdomain`, `dns-error` for a domain (or MX host) without addresses |
//! | `error` | why the status is not `ok`, one line |
//! | `banner_host` | host name in the 220 greeting |
//! | `starttls` | `yes`/`no`: advertised in the EHLO reply |
//! | `protocol`, `cipher`, `bits` | what the broadly compatible handshake negotiated |
//! | `negotiated` | `PROTOCOL:CIPHER:BITS` exactly as Exim logs it (`TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256`) |
//! | `group` | key-exchange group (`x25519`, `secp256r1`, `X25519MLKEM768`) |
//! | `dh_bits` | finite-field DH prime size, for DHE |
//! | `cert_subject`, `cert_cn`, `cert_san` | leaf certificate subject, common name, DNS names (space-separated) |
//! | `cert_issuer` | leaf issuer |
//! | `cert_not_before`, `cert_not_after` | validity, RFC 3339 UTC |
//! | `cert_key` | leaf key type and size (`RSA 2048`, `EC 256`) |
//! | `cert_signature` | leaf signature algorithm |
//! | `cert_sha256` | SHA-256 fingerprint of the leaf |
//! | `chain_length` | certificates presented |
//! | `connections`, `handshakes` | what probing this address cost |
//! | `refused_handshakes` | of those handshakes, the ones the server refused |
//! | `close_wait_seconds` | time spent waiting for the server to close each session, summed |
//! | `sslv3`, `tlsv1`, `tlsv1_1`, `tlsv1_2`, `tlsv1_3` | `yes`/`no` per protocol version (empty: not enumerated, or undetermined) |
//! | `cipher_order` | `server`, `client` or `mixed`: whose order the newest version with two or more ciphers follows |
//! | `preferred_sslv3` … `preferred_tlsv1_3` | the server's first choice per version (empty where it follows the client's order) |
//! | `ciphers` | accepted ciphers of the newest version, space-separated, in server order (client order: mxprobe's offer order) |
//! | `groups` | supported key-exchange groups (`x25519 secp256r1 …`; TLS 1.2-only curves as `TLSv1.2:secp224r1`) |
//! | `min_dh_bits` | smallest DH group seen with a DHE cipher |
//! | `incomplete` | why the enumeration is incomplete (empty: complete) |
//! | `findings` | IDs of the findings about this row (the domain's, the MX host's, the address's), space-separated, worst first |
//! | `worst` | highest severity among them (`critical`, `high`, `medium`, `low`, `info`; empty: none) |
//! | `cert_trusted` | `yes`/`no`: the presented chain verifies to a trusted root (Mozilla's, or `--ca-file`) |
//! | `cert_problems` | what is wrong with the chain, space-separated: `expired`, `not-yet-valid`, `self-signed`, `unknown-issuer`, `incomplete-chain`, `bad-signature`, `wrong-order`, `unused-certificate`, `weak-key`, `weak-signature`, `rejected` |
//! | `cert_days_left` | whole days until the leaf expires (negative: expired) |
//! | `chain_days_left` | whole days until the first certificate of the chain expires |
//! | `name_matches_mx`, `name_matches_domain`, `name_matches_banner` | `yes`/`no`: the certificate's DNS names cover the MX host, the recipient domain, the banner host (a match on the subject CN alone is `no`; empty: not checked) |
//! | `name_hint` | the certificate names the server's own host but not the MX host, and the remedy |
//! | `strict_tls` | `ok`/`failed`: a strict modern sender (rustls, verification on, SNI = MX host) completes an authenticated handshake |
//! | `strict_tls_error` | why not, one line |
//! | `ptr` | reverse DNS: `ok` (forward-confirmed), `ptr-missing`, `ptr-mismatch`, `dns-error` |
//! | `ptr_names`, `ptr_confirmed` | the address's PTR names; those that resolve back to it (space-separated) |
//! | `ptr_matches_banner` | `yes`/`no`: a confirmed PTR name is the banner host |
//! | `dane` | DANE (RFC 7672) for this address: `match`, `mismatch` or `no-tls` when DANE applies; otherwise the MX host's state: `none` (no TLSA records), `not-secure` (TLSA records, but MX, addresses or TLSA unsigned), `unusable` (no DANE-TA/DANE-EE record), `bogus`, `indeterminate`; empty when not checked (`--no-dane`, `--host`) |
//! | `dnssec` | the weakest DNSSEC status of the MX, address and TLSA lookups: `secure`, `insecure`, `bogus`, `indeterminate` (empty when DANE was not checked) |
//! | `mta_sts` | MTA-STS (RFC 8461) of the domain: the policy mode (`enforce`, `testing`, `none`) when a valid policy was fetched, then `/mx-mismatch` when this MX host matches no `mx:` pattern, or `/no-tls`, `/old-tls`, `/certificate` when enforce mode fails at this address; otherwise `missing`, `txt-invalid`, `dns-error`, `unreachable`, `policy-invalid`; empty when not checked |
//! | `tls_rpt` | TLS-RPT (RFC 8460) record of the domain: `ok`, `missing`, `invalid`, `dns-error`; empty when not checked |
//! | `software` | the mail server software recognised from the greeting and EHLO reply, whose settings the findings' remedies name: `postfix`, `exim`, `exchange`, `sendmail`, `opensmtpd` or `unknown`; empty when the server did not greet |

use std::io::{self, Write};

use super::rows::places;
use super::ReportWriter;
use crate::model::DomainReport;

mod document;
mod read;
mod row;

pub(crate) use self::document::Document;
pub use self::read::{CsvReader, ReadError, Record};
pub(crate) use self::row::Row;

/// The header, in column order.
pub const COLUMNS: &[&str] = &[
    "domain",
    "mx",
    "preference",
    "implicit_mx",
    "ip",
    "port",
    "status",
    "error",
    "banner_host",
    "starttls",
    "protocol",
    "cipher",
    "bits",
    "negotiated",
    "group",
    "dh_bits",
    "cert_subject",
    "cert_cn",
    "cert_san",
    "cert_issuer",
    "cert_not_before",
    "cert_not_after",
    "cert_key",
    "cert_signature",
    "cert_sha256",
    "chain_length",
    "connections",
    "handshakes",
    "refused_handshakes",
    "close_wait_seconds",
    "sslv3",
    "tlsv1",
    "tlsv1_1",
    "tlsv1_2",
    "tlsv1_3",
    "cipher_order",
    "preferred_sslv3",
    "preferred_tlsv1",
    "preferred_tlsv1_1",
    "preferred_tlsv1_2",
    "preferred_tlsv1_3",
    "ciphers",
    "groups",
    "min_dh_bits",
    "incomplete",
    "findings",
    "worst",
    "cert_trusted",
    "cert_problems",
    "cert_days_left",
    "chain_days_left",
    "name_matches_mx",
    "name_matches_domain",
    "name_matches_banner",
    "name_hint",
    "strict_tls",
    "strict_tls_error",
    "ptr",
    "ptr_names",
    "ptr_confirmed",
    "ptr_matches_banner",
    "dane",
    "dnssec",
    "mta_sts",
    "tls_rpt",
    "software",
];

/// Writes reports as CSV rows, one report's rows at a time.
pub struct CsvWriter<W: Write> {
    doc: Document<W>,
}

impl<W: Write> CsvWriter<W> {
    /// A new document: the header is written even if no row follows.
    pub fn new(out: W) -> Self {
        CsvWriter {
            doc: Document::new(out, COLUMNS),
        }
    }

    /// Rows appended to a document that already has its header (`--resume`).
    pub fn appending(out: W) -> Self {
        CsvWriter {
            doc: Document::appending(out),
        }
    }
}

impl<W: Write> ReportWriter for CsvWriter<W> {
    fn write(&mut self, report: &DomainReport) -> io::Result<()> {
        for place in places(report) {
            self.doc.row(Row::of(place))?;
        }
        // A report's rows are only worth something once they are on disk.
        self.doc.commit()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.doc.commit()
    }
}
