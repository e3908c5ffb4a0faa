//! Every finding mxprobe can report: its stable ID, the severity it has when
//! a policy says nothing about it, and what to do about it.
//!
//! IDs are a public contract (CI pipelines and policies name them): they are
//! added, never renamed or removed.
//!
//! The remedy here is the generic one, in OpenSSL's terms where it names a
//! setting; findings about the server's configuration get the remedy of
//! the software recognised at their address instead ([`super::remedy`]).
//!
//! One declaration below makes both the [`FindingId`] enum and the
//! catalogue ([`KINDS`]): an ID cannot exist without its entry, nor an entry
//! without its ID, and code names an ID by its variant, so a misspelt ID
//! does not compile (it used to be a string that matched nothing, and the
//! finding was silently never reported). The catalogue lives in the model,
//! next to the [`Finding`](super::Finding) that carries the ID, so reports
//! do not depend on the policy that judged them; `policy::catalogue` is
//! this module.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Severity;
use crate::tls::Protocol;

/// One kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The finding this describes.
    pub id: FindingId,
    /// Severity when a policy does not set one.
    pub severity: Severity,
    /// What the finding is about, for lists.
    pub title: &'static str,
    /// What to do, whatever the software ([`super::remedy`] has the
    /// software's own texts).
    pub remedy: &'static str,
}

use Severity::{Critical, High, Info, Low, Medium};

/// Declares [`FindingId`] (a variant per entry, documented by its title,
/// with `ALL` and `as_str`) and [`KINDS`] (the entries, in the same order)
/// from one list of `Variant = "id", severity, "title", "remedy";`.
macro_rules! catalogue {
    ($($variant:ident = $id:literal, $sev:ident, $title:literal, $remedy:literal;)*) => {
        /// The ID of a kind of finding. Reports print it and policies name
        /// it in kebab case ([`FindingId::as_str`]); serde, [`FromStr`] and
        /// [`Display`](fmt::Display) use the same spelling.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum FindingId {
            $(#[doc = $title] $variant,)*
        }

        impl FindingId {
            /// Every ID, in catalogue order.
            pub const ALL: &'static [FindingId] = &[$(FindingId::$variant),*];

            /// The stable kebab-case ID.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FindingId::$variant => $id,)*
                }
            }
        }

        /// The catalogue, grouped by topic: `KINDS[id as usize]` is `id`'s
        /// entry ([`FindingId::kind`]).
        pub const KINDS: &[Kind] = &[
            $(Kind { id: FindingId::$variant, severity: $sev, title: $title, remedy: $remedy },)*
        ];
    };
}

catalogue! {
    // Reaching the server.
    Nxdomain = "nxdomain", High, "the domain does not exist",
        "check the domain name; a mail domain needs to exist in DNS";
    NoMx = "no-mx", High, "the domain has neither MX records nor an address",
        "publish MX records for the domain (or a null MX, RFC 7505, if it receives no mail)";
    NullMx = "null-mx", Info, "the domain publishes a null MX: it accepts no mail (RFC 7505)",
        "nothing to do if the domain should not receive mail; otherwise replace the null MX with real MX records";
    ImplicitMx = "implicit-mx", Low, "no MX records: mail goes to the domain's own address (RFC 5321 §5.1)",
        "publish an explicit MX record";
    MxIpLiteral = "mx-ip-literal", High, "an MX record names an IP address, not a host name (RFC 5321 §5.1): Exim refuses it by default",
        "give the address a host name (an A or AAAA record, e.g. mx.<domain>) and point the MX record at that name";
    DnsError = "dns-error", High, "a DNS lookup failed",
        "make the domain's and the MX hosts' DNS answer reliably (SERVFAIL and timeouts make senders defer mail)";
    MxUnreachable = "mx-unreachable", High, "no TCP connection to the MX address",
        "make the MX reachable on port 25 or remove the address from DNS";
    SmtpError = "smtp-error", High, "the SMTP dialogue failed before STARTTLS",
        "make the server greet with 220 and answer EHLO with 250";
    // STARTTLS.
    NoStarttls = "no-starttls", High, "STARTTLS is not offered: mail arrives in clear text",
        "enable STARTTLS in the MTA, with a certificate and its key";
    StarttlsFailed = "starttls-failed", High, "STARTTLS is offered but no TLS session comes about",
        "check the server's certificate, key and TLS settings; senders fall back to clear text or defer";
    StarttlsInjection = "starttls-injection", Critical, "bytes sent after the STARTTLS 220 before TLS (command injection class, RFC 3207 §6)",
        "update the MTA or remove whatever rewrites the SMTP stream in front of it";
    // Protocol versions.
    ProtocolSslv3 = "protocol-sslv3", Critical, "SSLv3 is accepted (RFC 7568: MUST NOT)",
        "disable SSLv3 (OpenSSL-based servers: MinProtocol = TLSv1.2, or the option SSL_OP_NO_SSLv3)";
    ProtocolTlsv1 = "protocol-tlsv1", High, "TLS 1.0 is accepted (RFC 8996: MUST NOT)",
        "disable TLS 1.0 (OpenSSL-based servers: MinProtocol = TLSv1.2, or the options SSL_OP_NO_TLSv1 and SSL_OP_NO_TLSv1_1)";
    ProtocolTlsv1_1 = "protocol-tlsv1.1", High, "TLS 1.1 is accepted (RFC 8996: MUST NOT)",
        "disable TLS 1.1 (OpenSSL-based servers: MinProtocol = TLSv1.2, or the option SSL_OP_NO_TLSv1_1)";
    ProtocolTlsv1_2 = "protocol-tlsv1.2", Medium, "TLS 1.2 is accepted below the policy's minimum (TLS 1.3)",
        "disable TLS 1.2 if every sender you need speaks TLS 1.3 (OpenSSL-based servers: MinProtocol = TLSv1.3)";
    NoTlsv1_2 = "no-tlsv1.2", High, "TLS 1.2 is not accepted",
        "enable TLS 1.2: many senders have nothing newer";
    NoTlsv1_3 = "no-tlsv1.3", Low, "TLS 1.3 is not accepted",
        "enable TLS 1.3 (OpenSSL 1.1.1 or later, GnuTLS 3.6.5 or later)";
    // Ciphers.
    CipherOrderLegacyFirst = "cipher-order-legacy-first", High, "the server prefers a legacy cipher although it accepts a modern one",
        "put AEAD ciphers with forward secrecy first in the server's cipher list";
    NoServerCipherOrder = "no-server-cipher-order", Low, "the server follows the client's cipher order",
        "enforce the server's order (OpenSSL-based servers: Options = ServerPreference, the option SSL_OP_CIPHER_SERVER_PREFERENCE) if its list is better than its clients'";
    CipherNull = "cipher-null", Critical, "a NULL cipher is accepted: no encryption",
        "remove NULL ciphers (add !eNULL to the cipher list)";
    CipherAnon = "cipher-anon", Low, "an anonymous cipher is accepted: no server authentication",
        "remove anonymous ciphers (!aNULL) unless opportunistic senders without certificates must be served";
    CipherExport = "cipher-export", Critical, "an EXPORT-grade cipher is accepted",
        "remove EXPORT ciphers (!EXPORT)";
    CipherRc4 = "cipher-rc4", High, "RC4 is accepted (RFC 7465: MUST NOT)",
        "remove RC4 (!RC4)";
    Cipher3des = "cipher-3des", Medium, "3DES is accepted (Sweet32)",
        "remove 3DES (!3DES)";
    CipherNoPfs = "cipher-no-pfs", Low, "ciphers without forward secrecy (static RSA key exchange) are accepted",
        "prefer or keep only ECDHE and DHE key exchange";
    CipherCbcSha1 = "cipher-cbc-sha1", Low, "CBC ciphers with an HMAC-SHA1 MAC are accepted",
        "prefer AEAD ciphers (GCM, ChaCha20-Poly1305); keep CBC-SHA1 only for old senders";
    CipherNotAllowed = "cipher-not-allowed", Medium, "ciphers outside the policy's list are accepted",
        "restrict the cipher list to the policy's";
    // Key exchange.
    DhWeak = "dh-weak", Medium, "the DH group is smaller than the policy's minimum",
        "use DH parameters of at least the policy's size (e.g. ffdhe3072) or drop DHE";
    EcdhWeak = "ecdh-weak", Medium, "an elliptic curve smaller than the policy's minimum is accepted",
        "remove curves below 256 bits from the server's groups";
    GroupNotAllowed = "group-not-allowed", Medium, "key-exchange groups outside the policy's list are accepted",
        "restrict the server's groups to the policy's";
    NoPqKex = "no-pq-kex", Info, "no post-quantum hybrid key exchange (e.g. X25519MLKEM768)",
        "enable hybrid key exchange (OpenSSL 3.5 or later offers X25519MLKEM768 by default)";
    // Certificates.
    CertExpired = "cert-expired", High, "the certificate has expired",
        "renew the certificate and reload the MTA";
    CertExpiringSoon = "cert-expiring-soon", Medium, "the certificate expires soon",
        "renew the certificate (automate it, e.g. with ACME)";
    CertNotYetValid = "cert-not-yet-valid", High, "the certificate is not valid yet",
        "check the server's clock and the certificate's dates";
    CertWeakKey = "cert-weak-key", Medium, "the certificate key is smaller than the policy's minimum",
        "issue a certificate with a larger key (RSA 2048 or more, EC 256 or more)";
    CertSha1 = "cert-sha1", Medium, "a certificate is signed with SHA-1 (or MD5)",
        "reissue the certificate with a SHA-256 signature";
    CertUntrusted = "cert-untrusted", Medium, "a verifying sender would not trust the certificate chain",
        "use a certificate from a CA senders trust (e.g. Let's Encrypt) and serve it with its intermediates";
    CertSelfSigned = "cert-self-signed", Medium, "the certificate is self-signed",
        "use a certificate from a CA senders trust, or publish DANE-EE (TLSA 3 1 1) for it";
    CertIncompleteChain = "cert-incomplete-chain", Medium, "the chain lacks an intermediate certificate",
        "serve the intermediate certificates with the leaf: a full-chain file, the certificate first, then its intermediates";
    CertNameMismatch = "cert-name-mismatch", Medium, "the certificate does not name the MX host",
        "point the MX record at a name the certificate has, or add the MX name to the certificate";
    StrictTlsFailed = "strict-tls-failed", Medium, "a strict modern sender cannot deliver over authenticated TLS",
        "fix what the strict sender failed on (TLS 1.2 or later, a trusted certificate for the MX name): MTA-STS and verifying senders refuse, and some fall back to clear text";
    // Reverse DNS.
    PtrMissing = "ptr-missing", Low, "the MX address has no PTR record",
        "ask the address's owner for a PTR record naming the host, with an A/AAAA record back to the address";
    PtrMismatch = "ptr-mismatch", Medium, "no PTR name of the address resolves back to it (no forward-confirmed reverse DNS)",
        "make the PTR name's A/AAAA record point back to the address, or fix the PTR record";
    // DANE (RFC 7672) and DNSSEC.
    DaneMismatch = "dane-mismatch", Critical, "DANE applies but the presented chain matches no TLSA record: DANE senders defer mail",
        "publish TLSA records for the certificate in use (before a rollover: old and new), or fix the chain";
    DaneBogus = "dane-bogus", High, "DNSSEC validation of the MX, address or TLSA records fails (bogus): DANE senders defer mail",
        "fix the zone's signatures (expired RRSIGs, DS records not matching the DNSKEY)";
    DaneUnusableRecords = "dane-unusable-records", Medium, "TLSA records exist, but none is usable for SMTP (PKIX-TA/PKIX-EE, RFC 7672 §3.1.3)",
        "publish DANE-EE (3 1 1) or DANE-TA (2 1 1) records";
    DaneNoRollover = "dane-no-rollover", Low, "a single usable TLSA record: a key or certificate change breaks DANE",
        "publish a second record (the next key, or the issuing CA as DANE-TA) before rolling over";
    DaneMissing = "dane-missing", Info, "the MX host's records are DNSSEC-signed but it publishes no TLSA records",
        "publish TLSA records (_25._tcp.<mx>) for the MX host's certificate: DANE-EE 3 1 1";
    DnssecMissing = "dnssec-missing", Info, "the MX records or the MX host are not DNSSEC-signed: DANE cannot protect this domain",
        "sign the zone (DNSSEC), then publish TLSA records for the MX hosts";
    // MTA-STS (RFC 8461) and TLS-RPT (RFC 8460).
    MtaStsTxtMissing = "mta-sts-txt-missing", Info, "no MTA-STS policy (_mta-sts TXT record)",
        "publish an MTA-STS policy (testing mode first) to protect mail from downgrade attacks";
    MtaStsTxtInvalid = "mta-sts-txt-invalid", Medium, "the _mta-sts TXT record is invalid (several records, or malformed)",
        "publish exactly one record: v=STSv1; id=<a new id for every policy change>";
    MtaStsPolicyUnreachable = "mta-sts-policy-unreachable", High, "the MTA-STS policy cannot be fetched",
        "serve https://mta-sts.<domain>/.well-known/mta-sts.txt with a valid certificate, without redirects";
    MtaStsPolicyInvalid = "mta-sts-policy-invalid", Medium, "the MTA-STS policy file is invalid",
        "serve a text/plain policy with version: STSv1, mode, mx and max_age lines";
    MtaStsMxMismatch = "mta-sts-mx-mismatch", High, "an MX host matches no mx: pattern of the MTA-STS policy: policy-following senders refuse it",
        "list every MX host in the policy (mx: lines), then change the policy id";
    MtaStsEnforceViolated = "mta-sts-enforce-violated", Critical, "under an enforce policy, senders refuse this MX address (no TLS 1.2+ or no valid certificate for the MX name)",
        "fix TLS and the certificate of the MX, or switch the policy to testing mode until it is fixed";
    TlsRptMissing = "tls-rpt-missing", Info, "no TLS-RPT record (_smtp._tls): no reports of failed TLS deliveries",
        "publish v=TLSRPTv1; rua=mailto:<address>";
    TlsRptInvalid = "tls-rpt-invalid", Low, "the TLS-RPT record is invalid",
        "publish exactly one v=TLSRPTv1 record with an rua= of mailto: or https: URIs";
    // The enumeration itself.
    EnumerationIncomplete = "enumeration-incomplete", Info, "not everything could be tested: the server refused further connections",
        "rerun later or with fewer connections (--per-host 1); the other findings may be incomplete";
    // Found by hand-written ClientHellos (what no OpenSSL 3 can offer, and
    // the classic checks).
    ProtocolSslv2 = "protocol-sslv2", Critical, "SSLv2 is accepted (RFC 6176: MUST NOT)",
        "disable SSLv2: every TLS library released since 2016 lacks it; update it";
    CipherDes = "cipher-des", High, "single DES is accepted (a 56-bit key: found by brute force in hours)",
        "remove DES (!DES, and !LOW with older OpenSSL)";
    Heartbleed = "heartbleed", Critical, "the server answers a heartbeat request with more than was sent: its memory leaks (Heartbleed, CVE-2014-0160)",
        "update OpenSSL (1.0.1g or later) and restart the mail server; then replace the private key and certificate, which may have leaked";
    CcsInjection = "ccs-injection", High, "the server takes a ChangeCipherSpec before the key exchange (CCS injection, CVE-2014-0224): a man in the middle can read and change the session",
        "update OpenSSL (0.9.8za, 1.0.0m, 1.0.1h or later) and restart the mail server";
    NoSecureRenegotiation = "no-secure-renegotiation", Medium, "secure renegotiation (RFC 5746) is not supported",
        "update the TLS library: every maintained one supports RFC 5746";
    TlsCompression = "tls-compression", High, "TLS compression is accepted (CRIME)",
        "disable TLS compression (OpenSSL: the option SSL_OP_NO_COMPRESSION, the default since OpenSSL 1.1.0)";
    NoFallbackScsv = "no-fallback-scsv", Low, "no downgrade protection: a fallback hello (TLS_FALLBACK_SCSV, RFC 7507) is accepted below the server's highest version",
        "update the TLS library (OpenSSL 1.0.1j or later, GnuTLS 3.3.10 or later); or accept only TLS 1.2 and later, leaving nothing to fall back to";
    // Sender outcomes (predicted from the scan, see `mxprobe senders`).
    SenderClearText = "sender-clear-text", High, "a common sender's TLS handshake fails here: it falls back to clear text (or fails)",
        "make the handshake work for that sender (see its line under senders): offer TLS 1.2 or 1.3, ECDHE with AES-GCM or ChaCha20-Poly1305, and DH primes of at least 2048 bits";
    SenderDefers = "sender-defers", Medium, "a verifying or strict sender defers mail for this MX",
        "fix what it refuses (see its line under senders): a certificate from a public CA valid for the MX name, TLSA records that match the certificate, or the protocol and suites a strict sender requires";
    SenderLegacyCipher = "sender-legacy-cipher", Medium, "common senders end on a legacy cipher although the server accepts AEAD with forward secrecy they offer",
        "put AEAD ciphers with forward secrecy first in the server's cipher list and make the server enforce its order";
}

impl FindingId {
    /// Its catalogue entry: default severity, title, remedy.
    pub fn kind(self) -> &'static Kind {
        // Declared together, in the same order (see the test below).
        &KINDS[self as usize]
    }

    /// The finding for accepting `protocol` below a policy's minimum;
    /// `None` for TLS 1.3, which no minimum is above.
    pub fn below_minimum(protocol: Protocol) -> Option<FindingId> {
        match protocol {
            Protocol::Ssl3 => Some(FindingId::ProtocolSslv3),
            Protocol::Tls1 => Some(FindingId::ProtocolTlsv1),
            Protocol::Tls1_1 => Some(FindingId::ProtocolTlsv1_1),
            Protocol::Tls1_2 => Some(FindingId::ProtocolTlsv1_2),
            Protocol::Tls1_3 => None,
        }
    }
}

impl FromStr for FindingId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FindingId::ALL
            .iter()
            .copied()
            .find(|id| id.as_str() == s)
            .ok_or_else(|| format!("unknown finding id {s:?}"))
    }
}

/// The kebab-case ID, padded like a `&str` (lists align IDs with `{:<26}`).
impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for FindingId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FindingId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        for (i, k) in KINDS.iter().enumerate() {
            let id = k.id.as_str();
            assert!(
                id.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'.'),
                "{id}"
            );
            assert!(KINDS[..i].iter().all(|o| o.id.as_str() != id), "{id} twice");
        }
    }

    #[test]
    fn every_id_has_its_own_entry() {
        assert_eq!(FindingId::ALL.len(), KINDS.len());
        for (i, (id, k)) in FindingId::ALL.iter().zip(KINDS).enumerate() {
            assert_eq!((*id as usize, k.id), (i, *id));
            assert_eq!(id.kind(), k);
        }
    }

    #[test]
    fn ids_parse_display_and_serialise_as_their_string() {
        for id in FindingId::ALL {
            assert_eq!(id.as_str().parse(), Ok(*id));
            assert_eq!(id.to_string(), id.as_str());
            let json = serde_json::to_string(id).expect("serialises");
            assert_eq!(json, format!("\"{}\"", id.as_str()));
            assert_eq!(serde_json::from_str::<FindingId>(&json).ok(), Some(*id));
        }
        assert_eq!(
            "cipher-rc5".parse::<FindingId>(),
            Err("unknown finding id \"cipher-rc5\"".to_string())
        );
        assert!(serde_json::from_str::<FindingId>("\"cipher-rc5\"").is_err());
        assert_eq!(format!("{:<12}|", FindingId::NoMx), "no-mx       |");
    }

    #[test]
    fn protocols_below_the_minimum() {
        let ids: Vec<Option<&str>> = Protocol::ALL
            .into_iter()
            .map(|p| FindingId::below_minimum(p).map(FindingId::as_str))
            .collect();
        assert_eq!(
            ids,
            [
                Some("protocol-sslv3"),
                Some("protocol-tlsv1"),
                Some("protocol-tlsv1.1"),
                Some("protocol-tlsv1.2"),
                None
            ]
        );
    }
}
