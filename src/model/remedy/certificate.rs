//! Remedies for the certificate a server presents: where each software
//! takes it from, and how it picks up a new one.
//!
//! Sources: Postfix's postconf(5) (`smtpd_tls_chain_files`, Postfix 3.4
//! and later: a key followed by its certificate chain); Exim's
//! specification (`tls_certificate`, `tls_privatekey`: the certificate file
//! may carry the intermediates); Microsoft's Exchange cmdlets
//! (`Import-ExchangeCertificate`, `Enable-ExchangeCertificate -Services
//! SMTP`, `Set-ReceiveConnector -TlsCertificateName`) and the Windows
//! certificate stores; Sendmail's cf/README (`confSERVER_CERT` =
//! `ServerCertFile`, `confSERVER_KEY`, `confCACERT`; the certificate file
//! is read as a chain only in builds with
//! `_FFR_TLS_USE_CERTIFICATE_CHAIN_FILE`); OpenSMTPD's smtpd.conf(5)
//! (`pki … cert`: intermediates appended to the certificate file).

use super::Texts;
use crate::model::FindingId;

pub(super) fn texts(id: FindingId) -> Option<Texts> {
    use FindingId::*;
    let texts = match id {
        CertExpired => Texts {
            postfix: "renew the certificate in smtpd_tls_chain_files (or smtpd_tls_cert_file), then postfix reload",
            exim: "renew the certificate in the files named by tls_certificate and tls_privatekey; new connections read the new one (restart Exim if they do not)",
            exchange: "renew the certificate (Import-ExchangeCertificate, or the Exchange admin center) and enable it: Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP",
            sendmail: "renew the certificate in the files of confSERVER_CERT and confSERVER_KEY, then restart sendmail",
            opensmtpd: "renew the certificate in the file of pki <name> cert (with pki <name> key), then restart smtpd",
        },
        CertExpiringSoon => Texts {
            postfix: "renew the certificate in smtpd_tls_chain_files and run postfix reload, automatically (e.g. an ACME client's deploy hook)",
            exim: "renew the certificate in the files named by tls_certificate and tls_privatekey, automatically (e.g. an ACME client); new connections read the new one",
            exchange: "renew the certificate and enable the new one for SMTP (Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP) before the old one expires",
            sendmail: "renew the certificate in the files of confSERVER_CERT and confSERVER_KEY and restart sendmail, automatically (e.g. an ACME client's deploy hook)",
            opensmtpd: "renew the certificate in the file of pki <name> cert and restart smtpd, automatically (e.g. acme-client and a restart)",
        },
        CertNotYetValid => Texts {
            postfix: "check the server's clock, and whether smtpd_tls_chain_files names a certificate issued for later use",
            exim: "check the server's clock, and whether tls_certificate names a certificate issued for later use",
            exchange: "check the server's clock, and which certificate is enabled for SMTP (Get-ExchangeCertificate | Format-List Thumbprint,Services,NotBefore)",
            sendmail: "check the server's clock, and whether confSERVER_CERT names a certificate issued for later use",
            opensmtpd: "check the server's clock, and whether pki <name> cert names a certificate issued for later use",
        },
        CertWeakKey => Texts {
            postfix: "issue a certificate with a larger key (RSA 2048 or more, EC P-256 or more) and list it in smtpd_tls_chain_files (each file: key, then certificate chain), then postfix reload",
            exim: "issue a certificate with a larger key (RSA 2048 or more, EC P-256 or more) for tls_certificate and tls_privatekey",
            exchange: "request a certificate with a 2048-bit or larger RSA key (New-ExchangeCertificate -KeySize 2048, or from your CA), then Enable-ExchangeCertificate -Services SMTP",
            sendmail: "issue a certificate with a larger key (RSA 2048 or more, EC P-256 or more) for confSERVER_CERT and confSERVER_KEY, then restart sendmail",
            opensmtpd: "issue a certificate with a larger key (RSA 2048 or more, EC P-256 or more) for pki <name> cert and pki <name> key, then restart smtpd",
        },
        CertSha1 => Texts {
            postfix: "reissue the certificate with a SHA-256 signature and install it in smtpd_tls_chain_files, then postfix reload",
            exim: "reissue the certificate with a SHA-256 signature and install it as tls_certificate",
            exchange: "reissue the certificate with a SHA-256 signature, import it and Enable-ExchangeCertificate -Services SMTP",
            sendmail: "reissue the certificate with a SHA-256 signature, install it as confSERVER_CERT and restart sendmail",
            opensmtpd: "reissue the certificate with a SHA-256 signature, install it as pki <name> cert and restart smtpd",
        },
        CertUntrusted => Texts {
            postfix: "use a certificate from a CA senders trust (e.g. Let's Encrypt) with its intermediates: smtpd_tls_chain_files = /etc/postfix/privkey.pem, /etc/postfix/fullchain.pem, then postfix reload",
            exim: "use a certificate from a CA senders trust (e.g. Let's Encrypt): tls_certificate = the full chain (certificate, then intermediates), tls_privatekey = its key",
            exchange: "use a certificate from a public CA: Import-ExchangeCertificate, Enable-ExchangeCertificate -Services SMTP, and the intermediates in the computer's Intermediate Certification Authorities store",
            sendmail: "use a certificate from a CA senders trust (e.g. Let's Encrypt) in confSERVER_CERT and confSERVER_KEY, with its intermediates (see cert-incomplete-chain), then restart sendmail",
            opensmtpd: "use a certificate from a CA senders trust (e.g. Let's Encrypt): pki <name> cert = the full chain (certificate, then intermediates), pki <name> key = its key",
        },
        CertSelfSigned => Texts {
            postfix: "use a certificate from a CA senders trust in smtpd_tls_chain_files, or keep this one and publish DANE-EE (TLSA 3 1 1) for it",
            exim: "use a certificate from a CA senders trust as tls_certificate, or keep this one and publish DANE-EE (TLSA 3 1 1) for it",
            exchange: "replace Exchange's self-signed certificate with one from a public CA (Import-ExchangeCertificate, Enable-ExchangeCertificate -Services SMTP), or publish DANE-EE (TLSA 3 1 1) for it",
            sendmail: "use a certificate from a CA senders trust as confSERVER_CERT, or keep this one and publish DANE-EE (TLSA 3 1 1) for it",
            opensmtpd: "use a certificate from a CA senders trust as pki <name> cert, or keep this one and publish DANE-EE (TLSA 3 1 1) for it",
        },
        CertIncompleteChain => Texts {
            postfix: "serve the intermediates: smtpd_tls_chain_files = /etc/postfix/privkey.pem, /etc/postfix/fullchain.pem (Postfix 3.4 and later; before: the chain appended to smtpd_tls_cert_file), then postfix reload",
            exim: "serve the intermediates: tls_certificate naming a file with the certificate followed by its intermediates (e.g. an ACME client's fullchain.pem)",
            exchange: "install the intermediate CA certificates in the computer's Intermediate Certification Authorities store (certlm.msc, or Import-Certificate -CertStoreLocation Cert:\\LocalMachine\\CA), then Restart-Service MSExchangeTransport",
            sendmail: "append the intermediates to the confSERVER_CERT file (read as a chain by builds with _FFR_TLS_USE_CERTIFICATE_CHAIN_FILE, such as Red Hat's), or add them to the confCACERT file, from which OpenSSL completes the chain",
            opensmtpd: "append the intermediates to the pki <name> cert file, after the certificate (smtpd.conf(5)), then restart smtpd",
        },
        CertNameMismatch => Texts {
            postfix: "point the MX record at a name the certificate has, or add the MX name to the certificate and install it in smtpd_tls_chain_files (postfix reload)",
            exim: "point the MX record at a name the certificate has, or add the MX name to the certificate named by tls_certificate",
            exchange: "point the MX record at a name the certificate has, or enable one with the MX name for SMTP (Enable-ExchangeCertificate -Services SMTP) and select it on the receive connector (Set-ReceiveConnector -TlsCertificateName)",
            sendmail: "point the MX record at a name the certificate has, or add the MX name to the certificate of confSERVER_CERT (restart sendmail)",
            opensmtpd: "point the MX record at a name the certificate has, or add the MX name to the pki <name> cert file's certificate (restart smtpd)",
        },
        StrictTlsFailed => Texts {
            postfix: "fix what the strict sender failed on: TLS 1.2 or later (smtpd_tls_protocols), a trusted certificate with its intermediates and the MX name (smtpd_tls_chain_files); MTA-STS and verifying senders refuse",
            exim: "fix what the strict sender failed on: TLS 1.2 or later (tls_require_ciphers or openssl_options), a trusted certificate with its intermediates and the MX name (tls_certificate); MTA-STS and verifying senders refuse",
            exchange: "fix what the strict sender failed on: TLS 1.2 in Schannel, a trusted certificate with its intermediates and the MX name enabled for SMTP (Enable-ExchangeCertificate); MTA-STS and verifying senders refuse",
            sendmail: "fix what the strict sender failed on: TLS 1.2 or later (confSERVER_SSL_OPTIONS), a trusted certificate with its intermediates and the MX name (confSERVER_CERT); MTA-STS and verifying senders refuse",
            opensmtpd: "fix what the strict sender failed on: TLS 1.2 or later (protocols on the listen on … tls line), a trusted certificate with its intermediates and the MX name (pki <name> cert); MTA-STS and verifying senders refuse",
        },
        _ => return None,
    };
    Some(texts)
}
