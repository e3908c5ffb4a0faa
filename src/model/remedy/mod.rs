//! What to do about a finding, in the words of the server's own software.
//!
//! The catalogue's remedy ([`Kind::remedy`](super::catalogue::Kind)) is
//! the generic one, in OpenSSL's terms where it names a setting: it is what
//! a finding says when the software is not recognised, and for findings
//! that are not about the server's configuration at all (DNS, DANE,
//! MTA-STS, reverse DNS, reaching the server), which are the same whatever
//! answers on port 25. For the findings about the server's TLS and
//! certificate ([`about_server`]), every software mxprobe recognises
//! ([`Software::KNOWN`]) has its own text naming its real settings:
//! Postfix's `main.cf` parameters, Exim's main options (with both the
//! OpenSSL and the GnuTLS form where they differ, since SMTP does not show
//! which library an Exim uses), Windows' Schannel settings and Exchange's
//! cmdlets, Sendmail's `sendmail.mc` defines, OpenSMTPD's `smtpd.conf`.
//!
//! A `Texts` value has a field per software, so a server-side entry
//! without one of them does not compile; the tests below hold every
//! server-side finding to having an entry.
//!
//! Policies set severities, never remedies: a finding's remedy depends only
//! on its ID and the software at its address.

use super::FindingId;
use crate::smtp::Software;

mod certificate;
mod legacy;
mod tls;

/// One finding's remedy for each recognised software.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Texts {
    postfix: &'static str,
    exim: &'static str,
    exchange: &'static str,
    sendmail: &'static str,
    opensmtpd: &'static str,
}

impl Texts {
    fn of(&self, software: Software) -> Option<&'static str> {
        match software {
            Software::Postfix => Some(self.postfix),
            Software::Exim => Some(self.exim),
            Software::Exchange => Some(self.exchange),
            Software::Sendmail => Some(self.sendmail),
            Software::Opensmtpd => Some(self.opensmtpd),
            Software::Unknown => None,
        }
    }
}

/// The remedy for `id` at an address where `software` answers: its own
/// text for server-side findings, the catalogue's otherwise (and for
/// `Software::Unknown`).
pub fn remedy(id: FindingId, software: Software) -> &'static str {
    specific(id, software).unwrap_or(id.kind().remedy)
}

/// The software's own remedy for `id`, if it has one.
fn specific(id: FindingId, software: Software) -> Option<&'static str> {
    tls::texts(id)
        .or_else(|| certificate::texts(id))
        .or_else(|| legacy::texts(id))
        .and_then(|t| t.of(software))
}

/// Whether the finding is about the server's own configuration (its TLS,
/// ciphers, key exchange, certificate), so that the fix depends on the
/// software. The rest is about DNS, the network or the scan.
pub fn about_server(id: FindingId) -> bool {
    use FindingId::*;
    match id {
        NoStarttls
        | StarttlsFailed
        | StarttlsInjection
        | ProtocolSslv3
        | ProtocolTlsv1
        | ProtocolTlsv1_1
        | ProtocolTlsv1_2
        | NoTlsv1_2
        | NoTlsv1_3
        | CipherOrderLegacyFirst
        | NoServerCipherOrder
        | CipherNull
        | CipherAnon
        | CipherExport
        | CipherRc4
        | Cipher3des
        | CipherNoPfs
        | CipherCbcSha1
        | CipherNotAllowed
        | DhWeak
        | EcdhWeak
        | GroupNotAllowed
        | NoPqKex
        | CertExpired
        | CertExpiringSoon
        | CertNotYetValid
        | CertWeakKey
        | CertSha1
        | CertUntrusted
        | CertSelfSigned
        | CertIncompleteChain
        | CertNameMismatch
        | StrictTlsFailed
        | SenderLegacyCipher
        | ProtocolSslv2
        | CipherDes
        | Heartbleed
        | CcsInjection
        | NoSecureRenegotiation
        | TlsCompression
        | NoFallbackScsv => true,
        Nxdomain
        | NoMx
        | NullMx
        | ImplicitMx
        | MxIpLiteral
        | DnsError
        | MxUnreachable
        | SmtpError
        | PtrMissing
        | PtrMismatch
        | DaneMismatch
        | DaneBogus
        | DaneUnusableRecords
        | DaneNoRollover
        | DaneMissing
        | DnssecMissing
        | MtaStsTxtMissing
        | MtaStsTxtInvalid
        | MtaStsPolicyUnreachable
        | MtaStsPolicyInvalid
        | MtaStsMxMismatch
        | MtaStsEnforceViolated
        | TlsRptMissing
        | TlsRptInvalid
        | EnumerationIncomplete
        | SenderClearText
        | SenderDefers => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: FindingId) -> Option<Texts> {
        tls::texts(id)
            .or_else(|| certificate::texts(id))
            .or_else(|| legacy::texts(id))
    }

    #[test]
    fn every_server_side_finding_has_a_remedy_for_every_software() {
        for id in FindingId::ALL.iter().copied() {
            let found = (tls::texts(id), certificate::texts(id), legacy::texts(id));
            let tables = [found.0.is_some(), found.1.is_some(), found.2.is_some()];
            if about_server(id) {
                assert_eq!(
                    tables.iter().filter(|t| **t).count(),
                    1,
                    "{id}: one entry, in one table"
                );
                for software in Software::KNOWN {
                    let text = remedy(id, software);
                    assert!(!text.is_empty(), "{id} {software}");
                    assert_ne!(text, id.kind().remedy, "{id} {software}: its own text");
                }
            } else {
                assert_eq!(found, (None, None, None), "{id} is not about the server");
                for software in Software::KNOWN {
                    assert_eq!(remedy(id, software), id.kind().remedy, "{id}");
                }
            }
            assert_eq!(remedy(id, Software::Unknown), id.kind().remedy, "{id}");
        }
    }

    /// Words that belong to one software only: another's remedy naming
    /// them was copied from the wrong column.
    fn foreign(software: Software) -> Vec<&'static str> {
        const POSTFIX: &[&str] = &["smtpd_tls", "tls_preempt", "tls_eecdh"];
        const EXIM: &[&str] = &["tls_require_ciphers", "openssl_options", "tls_dhparam"];
        const WINDOWS: &[&str] = &["Schannel", "SCHANNEL", "TlsCipherSuite"];
        const SENDMAIL: &[&str] = &["confSERVER", "confCIPHER", "confDH"];
        const OPENSMTPD: &[&str] = &["pki <", "listen on"];
        let all = [
            (Software::Postfix, POSTFIX),
            (Software::Exim, EXIM),
            (Software::Exchange, WINDOWS),
            (Software::Sendmail, SENDMAIL),
            (Software::Opensmtpd, OPENSMTPD),
        ];
        let mine = all.iter().position(|(s, _)| *s == software);
        all.iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != mine)
            .flat_map(|(_, (_, w))| w.iter().copied())
            .collect()
    }

    #[test]
    fn each_software_speaks_its_own_settings() {
        for id in FindingId::ALL
            .iter()
            .copied()
            .filter(|id| about_server(*id))
        {
            for software in Software::KNOWN {
                let text = remedy(id, software);
                for word in foreign(software) {
                    assert!(
                        !text.contains(word),
                        "{id} for {software} names {word:?}: {text}"
                    );
                }
                assert!(
                    !text.ends_with('.'),
                    "{id} {software}: one line, no full stop"
                );
                assert!(!text.contains('\n'), "{id} {software}");
            }
        }
    }

    #[test]
    fn generic_remedies_name_no_software() {
        for id in FindingId::ALL.iter().copied() {
            let text = id.kind().remedy;
            for name in [
                "Postfix",
                "Exim",
                "Exchange",
                "Sendmail",
                "OpenSMTPD",
                "Schannel",
            ] {
                assert!(!text.contains(name), "{id}: {text}");
            }
        }
    }

    #[test]
    fn the_headline_cases() {
        // The story's: TLS 1.0 on Exim, Exchange and Postfix.
        let tls1 = FindingId::ProtocolTlsv1;
        assert!(remedy(tls1, Software::Postfix).contains("smtpd_tls_protocols = >=TLSv1.2"));
        let exim = remedy(tls1, Software::Exim);
        assert!(exim.contains("openssl_options") && exim.contains("+no_tlsv1"));
        assert!(exim.contains("tls_require_ciphers") && exim.contains("-VERS-TLS1.0"));
        let windows = remedy(tls1, Software::Exchange);
        assert!(windows.contains(r"SCHANNEL\Protocols\TLS 1.0\Server"));
        let order = remedy(FindingId::CipherOrderLegacyFirst, Software::Exchange);
        assert!(
            order.contains("SSL Cipher Suite Order") && order.contains("Enable-TlsCipherSuite")
        );
        assert!(remedy(FindingId::ProtocolTlsv1, Software::Sendmail).contains("SSL_OP_NO_TLSv1"));
        assert!(remedy(FindingId::ProtocolTlsv1, Software::Opensmtpd).contains("protocols"));
        assert_eq!(entry(FindingId::MtaStsTxtMissing), None);
    }
}
