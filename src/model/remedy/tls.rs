//! Remedies for STARTTLS, protocol versions, ciphers and key exchange.
//!
//! Sources: Postfix's postconf(5); Exim's specification (chapter "Encrypted
//! SMTP connections using TLS/SSL", options `tls_require_ciphers`,
//! `openssl_options`, `tls_dhparam`, `tls_eccurve`) and the GnuTLS manual's
//! priority strings; Microsoft's "Exchange Server TLS configuration best
//! practices" and "TLS registry settings" (Schannel); Sendmail's cf/README
//! (`confCIPHER_LIST` = `CipherList`, `confSERVER_SSL_OPTIONS` =
//! `ServerSSLOptions`, `confDH_PARAMETERS` = `DHParameters`); OpenSMTPD's
//! smtpd.conf(5) (`listen on … tls … protocols … ciphers`, `pki … dhe`) and
//! libtls' defaults.

use super::Texts;
use crate::model::FindingId;

/// `HKLM\…\SCHANNEL\<rest>`: where Windows keeps its TLS switches.
macro_rules! schannel {
    ($rest:literal) => {
        concat!(
            r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\",
            $rest
        )
    };
}

/// Turning a protocol version off in Schannel, for the server side.
macro_rules! schannel_off {
    ($version:literal) => {
        concat!(
            "disable ",
            $version,
            " in Schannel: ",
            schannel!("Protocols\\"),
            $version,
            r"\Server, DWORD Enabled = 0 and DisabledByDefault = 1, then reboot (IIS Crypto sets the same keys)"
        )
    };
}

pub(super) fn texts(id: FindingId) -> Option<Texts> {
    use FindingId::*;
    let texts = match id {
        NoStarttls => Texts {
            postfix: "smtpd_tls_security_level = may with a certificate in smtpd_tls_chain_files (or smtpd_tls_cert_file and smtpd_tls_key_file), then postfix reload",
            exim: "tls_advertise_hosts = * with tls_certificate and tls_privatekey set (Debian's exim4-config: MAIN_TLS_ENABLE = yes)",
            exchange: "enable a certificate for SMTP (Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP) and keep Tls in the receive connector's AuthMechanism (Get-ReceiveConnector | Format-List Name,AuthMechanism)",
            sendmail: "use a sendmail built with STARTTLS and set confSERVER_CERT, confSERVER_KEY, confCACERT and confCACERT_PATH in sendmail.mc, then rebuild sendmail.cf and restart",
            opensmtpd: "listen on <interface> tls pki <name> in smtpd.conf, with pki <name> cert and pki <name> key",
        },
        StarttlsFailed => Texts {
            postfix: "read the TLS error in Postfix's log: the key and certificate of smtpd_tls_chain_files readable and matching, smtpd_tls_protocols and smtpd_tls_ciphers leaving something a sender can use",
            exim: "read the TLS error in Exim's mainlog and paniclog: tls_certificate and tls_privatekey readable by the Exim user and matching, tls_require_ciphers valid for Exim's TLS library (exim -bV names it)",
            exchange: "check the certificate enabled for SMTP (Get-ExchangeCertificate | Format-List Thumbprint,Services,HasPrivateKey,Status) and that the Schannel protocols and cipher suites leave something a sender can use",
            sendmail: "read the STARTTLS errors in sendmail's syslog: confSERVER_CERT and confSERVER_KEY readable and matching (the key not group- or world-readable), confCIPHER_LIST leaving something a sender can use",
            opensmtpd: "read the TLS error in smtpd's log: the pki cert and key files readable and matching, protocols and ciphers on the listen line leaving something a sender can use",
        },
        StarttlsInjection => Texts {
            postfix: "update Postfix (CVE-2011-0411 was fixed in 2011) and remove whatever rewrites the SMTP stream in front of it, such as a firewall's SMTP inspection",
            exim: "update Exim and remove whatever rewrites the SMTP stream in front of it, such as a firewall's SMTP inspection",
            exchange: "install the current Exchange and Windows security updates and remove whatever rewrites the SMTP stream in front of Exchange, such as a firewall's SMTP inspection",
            sendmail: "update sendmail and remove whatever rewrites the SMTP stream in front of it, such as a firewall's SMTP inspection",
            opensmtpd: "update OpenSMTPD and remove whatever rewrites the SMTP stream in front of it, such as a firewall's SMTP inspection",
        },
        ProtocolSslv3 => Texts {
            postfix: "disable SSLv3: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2 (Postfix 3.6 and later; before: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1)",
            exim: "disable SSLv3: OpenSSL builds openssl_options = +no_sslv3 +no_tlsv1 +no_tlsv1_1; GnuTLS builds tls_require_ciphers = NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1 (exim -bV names the library)",
            exchange: schannel_off!("SSL 3.0"),
            sendmail: "disable SSLv3: define(`confSERVER_SSL_OPTIONS', `+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1') in sendmail.mc (ServerSSLOptions, sendmail 8.15 and later), rebuild sendmail.cf and restart",
            opensmtpd: "disable SSLv3: protocols \"tlsv1.2:tlsv1.3\" on the listen on … tls line of smtpd.conf (libtls's default), and a current LibreSSL or OpenSSL",
        },
        ProtocolTlsv1 => Texts {
            postfix: "disable TLS 1.0: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2 (Postfix 3.6 and later; before: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1)",
            exim: "disable TLS 1.0: OpenSSL builds openssl_options = +no_tlsv1 +no_tlsv1_1; GnuTLS builds tls_require_ciphers = NORMAL:-VERS-TLS1.0:-VERS-TLS1.1 (keep %SERVER_PRECEDENCE if it is there; exim -bV names the library)",
            exchange: schannel_off!("TLS 1.0"),
            sendmail: "disable TLS 1.0: define(`confSERVER_SSL_OPTIONS', `+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1') in sendmail.mc (ServerSSLOptions, sendmail 8.15 and later), rebuild sendmail.cf and restart",
            opensmtpd: "disable TLS 1.0: protocols \"tlsv1.2:tlsv1.3\" on the listen on … tls line of smtpd.conf",
        },
        ProtocolTlsv1_1 => Texts {
            postfix: "disable TLS 1.1: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2 (Postfix 3.6 and later; before: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1)",
            exim: "disable TLS 1.1: OpenSSL builds openssl_options = +no_tlsv1 +no_tlsv1_1; GnuTLS builds tls_require_ciphers = NORMAL:-VERS-TLS1.0:-VERS-TLS1.1 (exim -bV names the library)",
            exchange: schannel_off!("TLS 1.1"),
            sendmail: "disable TLS 1.1: add +SSL_OP_NO_TLSv1_1 (with +SSL_OP_NO_TLSv1) to confSERVER_SSL_OPTIONS in sendmail.mc, rebuild sendmail.cf and restart",
            opensmtpd: "disable TLS 1.1: protocols \"tlsv1.2:tlsv1.3\" on the listen on … tls line of smtpd.conf",
        },
        ProtocolTlsv1_2 => Texts {
            postfix: "if every sender you need speaks TLS 1.3: smtpd_tls_protocols = >=TLSv1.3 and smtpd_tls_mandatory_protocols = >=TLSv1.3 (many MTAs still send with TLS 1.2)",
            exim: "if every sender you need speaks TLS 1.3: OpenSSL builds openssl_options = +no_tlsv1 +no_tlsv1_1 +no_tlsv1_2; GnuTLS builds tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3",
            exchange: "keep TLS 1.2: Exchange offers no TLS 1.3 for SMTP, so turning TLS 1.2 off under SCHANNEL\\Protocols\\TLS 1.2\\Server ends STARTTLS",
            sendmail: "if every sender you need speaks TLS 1.3: add +SSL_OP_NO_TLSv1_2 to confSERVER_SSL_OPTIONS (with +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1), rebuild sendmail.cf and restart",
            opensmtpd: "if every sender you need speaks TLS 1.3: protocols \"tlsv1.3\" on the listen on … tls line of smtpd.conf",
        },
        NoTlsv1_2 => Texts {
            postfix: "enable TLS 1.2: smtpd_tls_protocols = >=TLSv1.2 without an upper bound (<=) or !TLSv1.2, on OpenSSL 1.0.1 or later",
            exim: "enable TLS 1.2: no -VERS-TLS1.2 in tls_require_ciphers (GnuTLS builds), no +no_tlsv1_2 in openssl_options (OpenSSL builds); very old builds need a current Exim",
            exchange: concat!(
                "enable TLS 1.2 in Schannel: ",
                schannel!(r"Protocols\TLS 1.2\Server"),
                ", DWORD Enabled = 1 and DisabledByDefault = 0, then reboot (Microsoft's Exchange Server TLS configuration best practices)"
            ),
            sendmail: "enable TLS 1.2: no +SSL_OP_NO_TLSv1_2 in confSERVER_SSL_OPTIONS, and a sendmail linked with OpenSSL 1.0.1 or later",
            opensmtpd: "enable TLS 1.2: protocols \"tlsv1.2:tlsv1.3\" on the listen on … tls line of smtpd.conf, or no protocols option (the default is TLS 1.2 and 1.3)",
        },
        NoTlsv1_3 => Texts {
            postfix: "enable TLS 1.3: Postfix 3.4 or later on OpenSSL 1.1.1 or later, without <=TLSv1.2 or !TLSv1.3 in smtpd_tls_protocols",
            exim: "enable TLS 1.3: a current Exim on OpenSSL 1.1.1 or later (no +no_tlsv1_3 in openssl_options) or GnuTLS 3.6.5 or later (no -VERS-TLS1.3 in tls_require_ciphers)",
            exchange: "nothing to set yet: Exchange does not offer TLS 1.3 for SMTP (as of 2025, Exchange 2019 CU15 and Exchange SE support it for HTTPS only, on Windows Server 2022 or later)",
            sendmail: "enable TLS 1.3: a sendmail linked with OpenSSL 1.1.1 or later, without +SSL_OP_NO_TLSv1_3 in confSERVER_SSL_OPTIONS",
            opensmtpd: "enable TLS 1.3: protocols \"tlsv1.2:tlsv1.3\" (the default) on the listen on … tls line of smtpd.conf, with a LibreSSL or OpenSSL that has TLS 1.3",
        },
        // Common senders ending on a legacy cipher: the same fix.
        CipherOrderLegacyFirst | SenderLegacyCipher => Texts {
            postfix: "put AEAD ciphers with forward secrecy first: reorder the list of smtpd_tls_ciphers' grade (tls_medium_cipherlist for medium) to start with ECDHE+AESGCM:ECDHE+CHACHA20, or unset it for Postfix's default, with tls_preempt_cipherlist = yes",
            exim: "put AEAD ciphers with forward secrecy first: OpenSSL builds tls_require_ciphers = ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:HIGH:!aNULL with openssl_options = +cipher_server_preference; GnuTLS builds a priority string such as NORMAL:%SERVER_PRECEDENCE instead of a reordered list",
            exchange: concat!(
                "put the TLS_ECDHE_*_GCM suites first in Windows' cipher-suite order: Group Policy Computer Configuration > Administrative Templates > Network > SSL Configuration Settings > SSL Cipher Suite Order, ",
                "or Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 -Position 0; then reboot"
            ),
            sendmail: "put AEAD ciphers with forward secrecy first: define(`confCIPHER_LIST', `ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:HIGH:!aNULL:!MD5') with +SSL_OP_CIPHER_SERVER_PREFERENCE in confSERVER_SSL_OPTIONS",
            opensmtpd: "put AEAD ciphers with forward secrecy first: ciphers \"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:HIGH:!aNULL\" on the listen on … tls line of smtpd.conf (libtls keeps the server's order)",
        },
        NoServerCipherOrder => Texts {
            postfix: "tls_preempt_cipherlist = yes, if the server's cipher list is better than its clients'",
            exim: "OpenSSL builds: openssl_options = +cipher_server_preference; GnuTLS builds: %SERVER_PRECEDENCE in tls_require_ciphers (e.g. NORMAL:%SERVER_PRECEDENCE)",
            exchange: "Schannel chooses by the server's cipher-suite order: set that order (Group Policy SSL Cipher Suite Order, or Enable-TlsCipherSuite -Position), and look for a TLS proxy in front of Exchange if the client's order still wins",
            sendmail: "add +SSL_OP_CIPHER_SERVER_PREFERENCE to confSERVER_SSL_OPTIONS (ServerSSLOptions) in sendmail.mc, rebuild sendmail.cf and restart",
            opensmtpd: "libtls uses the server's order by default: put the best ciphers first in ciphers on the listen on … tls line of smtpd.conf, and look for a TLS proxy in front if the client's order still wins",
        },
        CipherNull => Texts {
            postfix: "smtpd_tls_exclude_ciphers = eNULL (with any other exclusions), and smtpd_tls_ciphers = medium or high, never null",
            exim: "OpenSSL builds: !eNULL in tls_require_ciphers; GnuTLS builds: no +NULL in the priority string of tls_require_ciphers",
            exchange: "disable every TLS_*_WITH_NULL_* suite: Disable-TlsCipherSuite -Name TLS_RSA_WITH_NULL_SHA256 (and the others Get-TlsCipherSuite lists), or remove them from the SSL Cipher Suite Order policy",
            sendmail: "add !eNULL to confCIPHER_LIST (CipherList) in sendmail.mc, rebuild sendmail.cf and restart",
            opensmtpd: "add !eNULL to ciphers on the listen on … tls line of smtpd.conf (libtls's default \"secure\" has none)",
        },
        CipherAnon => Texts {
            postfix: "smtpd_tls_exclude_ciphers = aNULL, unless senders without certificates must be served (Postfix offers anonymous ciphers for opportunistic TLS by design)",
            exim: "OpenSSL builds: !aNULL in tls_require_ciphers; GnuTLS builds: -ANON-DH:-ANON-ECDH in the priority string of tls_require_ciphers",
            exchange: "disable the anonymous (*_anon_*) suites with Disable-TlsCipherSuite, or remove them from the SSL Cipher Suite Order policy",
            sendmail: "add !aNULL to confCIPHER_LIST (CipherList) in sendmail.mc, rebuild sendmail.cf and restart",
            opensmtpd: "add !aNULL to ciphers on the listen on … tls line of smtpd.conf (libtls's default lists exclude them)",
        },
        CipherExport => Texts {
            postfix: "smtpd_tls_ciphers = medium (not export or low), smtpd_tls_exclude_ciphers = EXPORT, and an OpenSSL of 1.1.0 or later, which has no EXPORT ciphers",
            exim: "update Exim's TLS library (OpenSSL 1.1.0 and later and current GnuTLS have no EXPORT ciphers); until then OpenSSL builds: !EXPORT in tls_require_ciphers",
            exchange: "install the current Windows updates and remove the *_EXPORT_* suites with Disable-TlsCipherSuite or from the SSL Cipher Suite Order policy",
            sendmail: "add !EXPORT:!LOW to confCIPHER_LIST (CipherList) and link sendmail with OpenSSL 1.1.0 or later, which has no EXPORT ciphers",
            opensmtpd: "ciphers \"secure\" (the default) on the listen on … tls line of smtpd.conf, and a current LibreSSL or OpenSSL",
        },
        CipherRc4 => Texts {
            postfix: "smtpd_tls_exclude_ciphers = RC4 (with any other exclusions)",
            exim: "OpenSSL builds: !RC4 in tls_require_ciphers; GnuTLS builds: -ARCFOUR-128 in the priority string of tls_require_ciphers (NORMAL has no RC4)",
            exchange: concat!(
                "disable RC4 in Schannel: ",
                schannel!(r"Ciphers\RC4 128/128"),
                " (and RC4 56/128, RC4 40/128), DWORD Enabled = 0, or Disable-TlsCipherSuite for the *_RC4_* suites; then reboot"
            ),
            sendmail: "add !RC4 to confCIPHER_LIST (CipherList) in sendmail.mc, rebuild sendmail.cf and restart",
            opensmtpd: "add !RC4 to ciphers on the listen on … tls line of smtpd.conf",
        },
        Cipher3des => Texts {
            postfix: "smtpd_tls_exclude_ciphers = 3DES (with any other exclusions)",
            exim: "OpenSSL builds: !3DES in tls_require_ciphers; GnuTLS builds: -3DES-CBC in the priority string of tls_require_ciphers",
            exchange: concat!(
                "disable 3DES in Schannel: ",
                schannel!(r"Ciphers\Triple DES 168"),
                ", DWORD Enabled = 0, or Disable-TlsCipherSuite -Name TLS_RSA_WITH_3DES_EDE_CBC_SHA; then reboot"
            ),
            sendmail: "add !3DES to confCIPHER_LIST (CipherList) in sendmail.mc, rebuild sendmail.cf and restart",
            opensmtpd: "add !3DES to ciphers on the listen on … tls line of smtpd.conf",
        },
        CipherNoPfs => Texts {
            postfix: "smtpd_tls_exclude_ciphers = kRSA to keep only ECDHE and DHE key exchange, or at least tls_preempt_cipherlist = yes with ECDHE first",
            exim: "OpenSSL builds: !kRSA in tls_require_ciphers; GnuTLS builds: -RSA in the priority string of tls_require_ciphers (static RSA key exchange; ECDHE-RSA stays)",
            exchange: "disable the TLS_RSA_WITH_* suites (static RSA key exchange) with Disable-TlsCipherSuite or in the SSL Cipher Suite Order policy, keeping the TLS_ECDHE_* suites",
            sendmail: "add !kRSA to confCIPHER_LIST (CipherList) in sendmail.mc, rebuild sendmail.cf and restart",
            opensmtpd: "add !kRSA to ciphers on the listen on … tls line of smtpd.conf",
        },
        CipherCbcSha1 => Texts {
            postfix: "keep CBC-SHA1 ciphers only for old senders: tls_preempt_cipherlist = yes with AEAD ciphers first, or smtpd_tls_exclude_ciphers = SHA1 to drop them",
            exim: "OpenSSL builds: !SHA1 in tls_require_ciphers (or AEAD first with +cipher_server_preference); GnuTLS builds: -SHA1 in the priority string of tls_require_ciphers",
            exchange: "disable the *_CBC_SHA suites (e.g. TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA) with Disable-TlsCipherSuite, or put them last in the SSL Cipher Suite Order policy",
            sendmail: "add !SHA1 to confCIPHER_LIST (CipherList), or put AEAD ciphers first with +SSL_OP_CIPHER_SERVER_PREFERENCE in confSERVER_SSL_OPTIONS",
            opensmtpd: "add !SHA1 to ciphers on the listen on … tls line of smtpd.conf",
        },
        CipherNotAllowed => Texts {
            postfix: "restrict the ciphers to the policy's: smtpd_tls_exclude_ciphers for the others, or the policy's list in tls_high_cipherlist with smtpd_tls_ciphers = high",
            exim: "restrict tls_require_ciphers to the policy's ciphers: an OpenSSL cipher list on OpenSSL builds, a GnuTLS priority string on GnuTLS builds",
            exchange: "restrict Windows' cipher suites to the policy's: the SSL Cipher Suite Order policy, or Disable-TlsCipherSuite for the others",
            sendmail: "restrict confCIPHER_LIST (CipherList) to the policy's ciphers, rebuild sendmail.cf and restart",
            opensmtpd: "restrict ciphers on the listen on … tls line of smtpd.conf to the policy's",
        },
        DhWeak => Texts {
            postfix: "smtpd_tls_dh1024_param_file = a file of at least the policy's size (openssl dhparam -out /etc/postfix/dh3072.pem 3072; the 1024 in the name is historic), or drop DHE with smtpd_tls_exclude_ciphers = kDHE",
            exim: "OpenSSL builds: tls_dhparam = ffdhe3072 (or a file of at least the policy's size, or none to drop DHE); GnuTLS builds use RFC 7919 groups whatever tls_dhparam says: -DHE-RSA in tls_require_ciphers drops DHE",
            exchange: concat!(
                "raise Schannel's DH size: ",
                schannel!(r"KeyExchangeAlgorithms\Diffie-Hellman"),
                ", DWORD ServerMinKeyBitLength = the policy's minimum (0x800 for 2048), or disable the TLS_DHE_* suites; then reboot"
            ),
            sendmail: "define(`confDH_PARAMETERS', `/etc/mail/dh.pem') with a file of at least the policy's size (openssl dhparam -out /etc/mail/dh.pem 3072), or `none' to drop DHE",
            opensmtpd: "pki <name> dhe auto (sized automatically) instead of legacy (1024 bits) in smtpd.conf, or pki <name> dhe none to drop DHE",
        },
        EcdhWeak => Texts {
            postfix: "list only curves of 256 bits or more in tls_eecdh_auto_curves (e.g. X25519 prime256v1 secp384r1)",
            exim: "OpenSSL builds: tls_eccurve = X25519:prime256v1:secp384r1; GnuTLS builds: -GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1 in the priority string of tls_require_ciphers",
            exchange: "disable the small curves with Disable-TlsEccCurve (Get-TlsEccCurve lists them), or set the ECC Curve Order policy (SSL Configuration Settings); then reboot",
            sendmail: "set the groups in OpenSSL's system configuration, which sendmail's OpenSSL reads: Groups = X25519:P-256:P-384 in the [system_default_sect] of openssl.cnf",
            opensmtpd: "smtpd.conf has no curve setting: libtls's default curves (X25519, P-256, P-384) have 256 bits or more, so update OpenSMTPD and its TLS library",
        },
        GroupNotAllowed => Texts {
            postfix: "restrict tls_eecdh_auto_curves (and tls_ffdhe_auto_groups, Postfix 3.8 and later) to the policy's groups",
            exim: "OpenSSL builds: tls_eccurve naming only the policy's groups; GnuTLS builds: -GROUP-ALL and a +GROUP-… for each of the policy's groups in tls_require_ciphers",
            exchange: "restrict the curves to the policy's: Disable-TlsEccCurve for the others, or the ECC Curve Order policy (SSL Configuration Settings)",
            sendmail: "restrict Groups in the [system_default_sect] of openssl.cnf, which sendmail's OpenSSL reads, to the policy's groups",
            opensmtpd: "smtpd.conf has no group setting: libtls offers X25519, P-256 and P-384; only a different TLS library (or a proxy in front) changes that",
        },
        NoPqKex => Texts {
            postfix: "Postfix 3.10 or later built with OpenSSL 3.5 or later offers X25519MLKEM768 with the default tls_eecdh_auto_curves: upgrade both and keep the default",
            exim: "OpenSSL builds: link Exim with OpenSSL 3.5 or later and keep tls_eccurve = auto (the default), which then offers X25519MLKEM768; GnuTLS builds need a GnuTLS with ML-KEM",
            exchange: "depends on Windows: once Schannel of your Windows Server release offers X25519MLKEM768 for TLS, keep it enabled; Exchange has no setting of its own",
            sendmail: "link sendmail with OpenSSL 3.5 or later, whose default groups include X25519MLKEM768, and leave Groups in openssl.cnf unset or listing it",
            opensmtpd: "depends on the TLS library: smtpd.conf has no group setting, so it takes a libtls (LibreSSL) whose default groups include X25519MLKEM768",
        },
        _ => return None,
    };
    Some(texts)
}
