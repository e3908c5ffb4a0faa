//! Every finding mxprobe can report: its stable ID, the severity it has when
//! a policy says nothing about it, and what to do about it.
//!
//! IDs are a public contract (CI pipelines and policies name them): they are
//! added, never renamed or removed.

use super::Severity;

/// One kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub id: &'static str,
    /// Severity when a policy does not set one.
    pub severity: Severity,
    /// What the finding is about, for lists.
    pub title: &'static str,
    /// What to do.
    pub remedy: &'static str,
}

use Severity::{Critical, High, Info, Low, Medium};

macro_rules! kinds {
    ($($id:literal, $sev:ident, $title:literal, $remedy:literal;)*) => {
        /// The catalogue, grouped by topic.
        pub const KINDS: &[Kind] = &[$(Kind { id: $id, severity: $sev, title: $title, remedy: $remedy }),*];
    };
}

kinds! {
    // Reaching the server.
    "nxdomain", High, "the domain does not exist",
        "check the domain name; a mail domain needs to exist in DNS";
    "no-mx", High, "the domain has neither MX records nor an address",
        "publish MX records for the domain (or a null MX, RFC 7505, if it receives no mail)";
    "null-mx", Info, "the domain publishes a null MX: it accepts no mail (RFC 7505)",
        "nothing to do if the domain should not receive mail; otherwise replace the null MX with real MX records";
    "implicit-mx", Low, "no MX records: mail goes to the domain's own address (RFC 5321 §5.1)",
        "publish an explicit MX record";
    "dns-error", High, "a DNS lookup failed",
        "make the domain's and the MX hosts' DNS answer reliably (SERVFAIL and timeouts make senders defer mail)";
    "mx-unreachable", High, "no TCP connection to the MX address",
        "make the MX reachable on port 25 or remove the address from DNS";
    "smtp-error", High, "the SMTP dialogue failed before STARTTLS",
        "make the server greet with 220 and answer EHLO with 250";
    // STARTTLS.
    "no-starttls", High, "STARTTLS is not offered: mail arrives in clear text",
        "enable STARTTLS (Postfix: smtpd_tls_security_level = may; Exim: tls_advertise_hosts = *)";
    "starttls-failed", High, "STARTTLS is offered but no TLS session comes about",
        "check the server's certificate, key and TLS settings; senders fall back to clear text or defer";
    "starttls-injection", Critical, "bytes sent after the STARTTLS 220 before TLS (command injection class, RFC 3207 §6)",
        "update the MTA or remove whatever rewrites the SMTP stream in front of it";
    // Protocol versions.
    "protocol-sslv3", Critical, "SSLv3 is accepted (RFC 7568: MUST NOT)",
        "disable SSLv3 (Postfix: smtpd_tls_protocols = >=TLSv1.2)";
    "protocol-tlsv1", High, "TLS 1.0 is accepted (RFC 8996: MUST NOT)",
        "disable TLS 1.0 (Postfix: smtpd_tls_protocols = >=TLSv1.2)";
    "protocol-tlsv1.1", High, "TLS 1.1 is accepted (RFC 8996: MUST NOT)",
        "disable TLS 1.1 (Postfix: smtpd_tls_protocols = >=TLSv1.2)";
    "protocol-tlsv1.2", Medium, "TLS 1.2 is accepted below the policy's minimum (TLS 1.3)",
        "disable TLS 1.2 if every sender you need speaks TLS 1.3";
    "no-tlsv1.2", High, "TLS 1.2 is not accepted",
        "enable TLS 1.2: many senders have nothing newer";
    "no-tlsv1.3", Low, "TLS 1.3 is not accepted",
        "enable TLS 1.3 (OpenSSL 1.1.1 or later, GnuTLS 3.6.5 or later)";
    // Ciphers.
    "cipher-order-legacy-first", High, "the server prefers a legacy cipher although it accepts a modern one",
        "put AEAD ciphers with forward secrecy first in the server's cipher list";
    "no-server-cipher-order", Low, "the server follows the client's cipher order",
        "enforce the server's order (Postfix: tls_preempt_cipherlist = yes) if its list is better than its clients'";
    "cipher-null", Critical, "a NULL cipher is accepted: no encryption",
        "remove NULL ciphers (add !eNULL to the cipher list)";
    "cipher-anon", Low, "an anonymous cipher is accepted: no server authentication",
        "remove anonymous ciphers (!aNULL) unless opportunistic senders without certificates must be served";
    "cipher-export", Critical, "an EXPORT-grade cipher is accepted",
        "remove EXPORT ciphers (!EXPORT)";
    "cipher-rc4", High, "RC4 is accepted (RFC 7465: MUST NOT)",
        "remove RC4 (!RC4)";
    "cipher-3des", Medium, "3DES is accepted (Sweet32)",
        "remove 3DES (!3DES)";
    "cipher-no-pfs", Low, "ciphers without forward secrecy (static RSA key exchange) are accepted",
        "prefer or keep only ECDHE and DHE key exchange";
    "cipher-cbc-sha1", Low, "CBC ciphers with an HMAC-SHA1 MAC are accepted",
        "prefer AEAD ciphers (GCM, ChaCha20-Poly1305); keep CBC-SHA1 only for old senders";
    "cipher-not-allowed", Medium, "ciphers outside the policy's list are accepted",
        "restrict the cipher list to the policy's";
    // Key exchange.
    "dh-weak", Medium, "the DH group is smaller than the policy's minimum",
        "use DH parameters of at least the policy's size (e.g. ffdhe3072) or drop DHE";
    "ecdh-weak", Medium, "an elliptic curve smaller than the policy's minimum is accepted",
        "remove curves below 256 bits from the server's groups";
    "group-not-allowed", Medium, "key-exchange groups outside the policy's list are accepted",
        "restrict the server's groups to the policy's";
    "no-pq-kex", Info, "no post-quantum hybrid key exchange (e.g. X25519MLKEM768)",
        "enable hybrid key exchange (OpenSSL 3.5 or later offers X25519MLKEM768 by default)";
    // Certificates.
    "cert-expired", High, "the certificate has expired",
        "renew the certificate and reload the MTA";
    "cert-expiring-soon", Medium, "the certificate expires soon",
        "renew the certificate (automate it, e.g. with ACME)";
    "cert-not-yet-valid", High, "the certificate is not valid yet",
        "check the server's clock and the certificate's dates";
    "cert-weak-key", Medium, "the certificate key is smaller than the policy's minimum",
        "issue a certificate with a larger key (RSA 2048 or more, EC 256 or more)";
    "cert-sha1", Medium, "a certificate is signed with SHA-1 (or MD5)",
        "reissue the certificate with a SHA-256 signature";
    "cert-untrusted", Medium, "a verifying sender would not trust the certificate chain",
        "use a certificate from a CA senders trust (e.g. Let's Encrypt) and serve it with its intermediates";
    "cert-self-signed", Medium, "the certificate is self-signed",
        "use a certificate from a CA senders trust, or publish DANE-EE (TLSA 3 1 1) for it";
    "cert-incomplete-chain", Medium, "the chain lacks an intermediate certificate",
        "serve the intermediate certificates with the leaf (Postfix: smtpd_tls_chain_files with the full chain; Exim: tls_certificate with the chain appended)";
    "cert-name-mismatch", Medium, "the certificate does not name the MX host",
        "point the MX record at a name the certificate has, or add the MX name to the certificate";
    "strict-tls-failed", Medium, "a strict modern sender cannot deliver over authenticated TLS",
        "fix the certificate problems: MTA-STS and verifying senders refuse, and some fall back to clear text";
    // Reverse DNS.
    "ptr-missing", Low, "the MX address has no PTR record",
        "ask the address's owner for a PTR record naming the host, with an A/AAAA record back to the address";
    "ptr-mismatch", Medium, "no PTR name of the address resolves back to it (no forward-confirmed reverse DNS)",
        "make the PTR name's A/AAAA record point back to the address, or fix the PTR record";
    // DANE (RFC 7672) and DNSSEC.
    "dane-mismatch", Critical, "DANE applies but the presented chain matches no TLSA record: DANE senders defer mail",
        "publish TLSA records for the certificate in use (before a rollover: old and new), or fix the chain";
    "dane-bogus", High, "DNSSEC validation of the MX, address or TLSA records fails (bogus): DANE senders defer mail",
        "fix the zone's signatures (expired RRSIGs, DS records not matching the DNSKEY)";
    "dane-unusable-records", Medium, "TLSA records exist, but none is usable for SMTP (PKIX-TA/PKIX-EE, RFC 7672 §3.1.3)",
        "publish DANE-EE (3 1 1) or DANE-TA (2 1 1) records";
    "dane-no-rollover", Low, "a single usable TLSA record: a key or certificate change breaks DANE",
        "publish a second record (the next key, or the issuing CA as DANE-TA) before rolling over";
    "dane-missing", Info, "the MX host's records are DNSSEC-signed but it publishes no TLSA records",
        "publish TLSA records (_25._tcp.<mx>) for the MX host's certificate: DANE-EE 3 1 1";
    "dnssec-missing", Info, "the MX records or the MX host are not DNSSEC-signed: DANE cannot protect this domain",
        "sign the zone (DNSSEC), then publish TLSA records for the MX hosts";
    // MTA-STS (RFC 8461) and TLS-RPT (RFC 8460).
    "mta-sts-txt-missing", Info, "no MTA-STS policy (_mta-sts TXT record)",
        "publish an MTA-STS policy (testing mode first) to protect mail from downgrade attacks";
    "mta-sts-txt-invalid", Medium, "the _mta-sts TXT record is invalid (several records, or malformed)",
        "publish exactly one record: v=STSv1; id=<a new id for every policy change>";
    "mta-sts-policy-unreachable", High, "the MTA-STS policy cannot be fetched",
        "serve https://mta-sts.<domain>/.well-known/mta-sts.txt with a valid certificate, without redirects";
    "mta-sts-policy-invalid", Medium, "the MTA-STS policy file is invalid",
        "serve a text/plain policy with version: STSv1, mode, mx and max_age lines";
    "mta-sts-mx-mismatch", High, "an MX host matches no mx: pattern of the MTA-STS policy: policy-following senders refuse it",
        "list every MX host in the policy (mx: lines), then change the policy id";
    "mta-sts-enforce-violated", Critical, "under an enforce policy, senders refuse this MX address (no TLS 1.2+ or no valid certificate for the MX name)",
        "fix TLS and the certificate of the MX, or switch the policy to testing mode until it is fixed";
    "tls-rpt-missing", Info, "no TLS-RPT record (_smtp._tls): no reports of failed TLS deliveries",
        "publish v=TLSRPTv1; rua=mailto:<address>";
    "tls-rpt-invalid", Low, "the TLS-RPT record is invalid",
        "publish exactly one v=TLSRPTv1 record with an rua= of mailto: or https: URIs";
    // The enumeration itself.
    "enumeration-incomplete", Info, "not everything could be tested: the server refused further connections",
        "rerun later or with fewer connections (--per-host 1); the other findings may be incomplete";
}

/// Look a kind up by ID.
pub fn kind(id: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        for (i, k) in KINDS.iter().enumerate() {
            assert!(
                k.id.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'.'),
                "{}",
                k.id
            );
            assert!(KINDS[..i].iter().all(|o| o.id != k.id), "{} twice", k.id);
        }
    }
}
