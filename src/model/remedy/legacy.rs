//! Each software's own fix for what the hand-written ClientHellos find:
//! SSLv2, single DES, and the classic vulnerabilities of old TLS
//! libraries. Most are fixed by updating the library the server links;
//! Exchange's Schannel never had the OpenSSL bugs.

use super::Texts;
use crate::model::FindingId;

/// The texts for `id`, when this table has it.
pub(super) fn texts(id: FindingId) -> Option<Texts> {
    use FindingId::*;
    let texts = match id {
        ProtocolSslv2 => Texts {
            postfix: "smtpd_tls_protocols = >=TLSv1.2 (before Postfix 3.6: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1) and link Postfix with OpenSSL 1.1.0 or later, which has no SSLv2",
            exim: "update Exim's TLS library (OpenSSL 1.1.0 or later, or GnuTLS, have no SSLv2); until then OpenSSL builds: openssl_options = +no_sslv2",
            exchange: "disable SSL 2.0 in Schannel: HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\SSL 2.0\\Server, DWORD Enabled = 0; then reboot",
            sendmail: "add +SSL_OP_NO_SSLv2 to confSERVER_SSL_OPTIONS in sendmail.mc and link sendmail with OpenSSL 1.1.0 or later",
            opensmtpd: "update OpenSMTPD and its LibreSSL or OpenSSL: none of their current releases has SSLv2",
        },
        CipherDes => Texts {
            postfix: "smtpd_tls_ciphers = medium (not low or export) and smtpd_tls_exclude_ciphers = DES (with any other exclusions)",
            exim: "OpenSSL builds: !DES:!LOW in tls_require_ciphers; GnuTLS builds: a priority string without +DES-CBC (NORMAL has none)",
            exchange: "disable DES in Schannel: HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Ciphers\\DES 56/56, DWORD Enabled = 0, or Disable-TlsCipherSuite for the *_DES_CBC_* suites; then reboot",
            sendmail: "add !DES:!LOW to confCIPHER_LIST (CipherList) in sendmail.mc, rebuild sendmail.cf and restart",
            opensmtpd: "ciphers \"secure\" (the default) on the listen on … tls line of smtpd.conf",
        },
        Heartbleed => Texts {
            postfix: "update OpenSSL to 1.0.1g or later (your distribution's security update), restart Postfix (postfix stop; postfix start), then replace the key and certificate in smtpd_tls_chain_files",
            exim: "update OpenSSL to 1.0.1g or later and restart Exim, then replace tls_privatekey and tls_certificate (GnuTLS builds were never affected: check what answers on this address)",
            exchange: "Schannel was never affected by Heartbleed: something else answers on this address (a gateway or proxy in front of Exchange); update it and replace its key",
            sendmail: "update OpenSSL to 1.0.1g or later, restart sendmail, then replace the key and certificate (confSERVER_KEY_FILE, confSERVER_CERT)",
            opensmtpd: "update OpenSMTPD's OpenSSL to 1.0.1g or later (LibreSSL was never affected), restart smtpd, then replace the key and certificate",
        },
        CcsInjection => Texts {
            postfix: "update OpenSSL to 0.9.8za, 1.0.0m, 1.0.1h or later and restart Postfix (postfix stop; postfix start)",
            exim: "update OpenSSL to 0.9.8za, 1.0.0m, 1.0.1h or later and restart Exim (GnuTLS builds were never affected: check what answers on this address)",
            exchange: "Schannel was never affected by CVE-2014-0224: something else answers on this address (a gateway or proxy in front of Exchange); update it",
            sendmail: "update OpenSSL to 0.9.8za, 1.0.0m, 1.0.1h or later and restart sendmail",
            opensmtpd: "update OpenSMTPD's LibreSSL or OpenSSL and restart smtpd",
        },
        NoSecureRenegotiation => Texts {
            postfix: "link Postfix with a maintained OpenSSL (0.9.8m or later support RFC 5746); with OpenSSL 1.1.0 or later nothing is to be set",
            exim: "update Exim's OpenSSL (0.9.8m or later) or GnuTLS (2.10 or later), and keep %DISABLE_SAFE_RENEGOTIATION out of tls_require_ciphers",
            exchange: "install the Windows updates of 2010 or later (KB980436); do not set the Schannel value AllowInsecureRenegoClients",
            sendmail: "link sendmail with a maintained OpenSSL (0.9.8m or later), and keep SSL_OP_LEGACY_SERVER_CONNECT and SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION out of confSERVER_SSL_OPTIONS",
            opensmtpd: "update OpenSMTPD and its LibreSSL or OpenSSL",
        },
        TlsCompression => Texts {
            postfix: "tls_ssl_options = NO_COMPRESSION (Postfix 3.4 and later; before: link with OpenSSL 1.1.0 or later, which compresses only when asked)",
            exim: "OpenSSL builds: openssl_options = +no_compression; GnuTLS builds: remove +COMP-DEFLATE (or +COMP-ALL) from the priority string of tls_require_ciphers",
            exchange: "Schannel does not compress: something else answers on this address (a gateway or proxy in front of Exchange); disable compression there",
            sendmail: "add +SSL_OP_NO_COMPRESSION to confSERVER_SSL_OPTIONS in sendmail.mc, rebuild sendmail.cf and restart",
            opensmtpd: "update OpenSMTPD and its LibreSSL or OpenSSL (current ones never compress)",
        },
        NoFallbackScsv => Texts {
            postfix: "link Postfix with OpenSSL 1.0.1j or later, or accept only TLS 1.2 and later: smtpd_tls_protocols = >=TLSv1.2",
            exim: "update Exim's OpenSSL (1.0.1j or later) or GnuTLS (3.3.10 or later), or accept only TLS 1.2 and later (openssl_options = +no_tlsv1 +no_tlsv1_1; GnuTLS: -VERS-TLS1.0:-VERS-TLS1.1)",
            exchange: "install the current Windows updates, or disable TLS 1.0 and 1.1 in Schannel (Protocols\\TLS 1.0\\Server and TLS 1.1\\Server, DWORD Enabled = 0), leaving nothing to fall back to",
            sendmail: "link sendmail with OpenSSL 1.0.1j or later, or add +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1 to confSERVER_SSL_OPTIONS",
            opensmtpd: "update OpenSMTPD and its LibreSSL or OpenSSL, or protocols \"tlsv1.2:tlsv1.3\" (the default) on the listen on … tls line",
        },
        _ => return None,
    };
    Some(texts)
}
