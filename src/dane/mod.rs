//! DANE for SMTP (RFC 7672, on RFC 6698/7671): does an MX host publish
//! TLSA records, are they authenticated by DNSSEC, and does the chain each
//! of its addresses presented match them?
//!
//! Per MX host: the TLSA RRset at `_PORT._tcp.<host>` and the host's
//! addresses are looked up with their DNSSEC status
//! ([`crate::dns::SecureResolver`]), concurrently with the probe; the
//! domain's MX RRset status comes from the scan. `evaluate` then matches
//! the broadly compatible handshake's chain of every address
//! (`matching::match_chain`).
//!
//! RFC 7672 §2.2: DANE applies only when the MX RRset, the host's address
//! records and the TLSA RRset are all secure and at least one TLSA record
//! is usable (DANE-TA(2) or DANE-EE(3), known selector and matching type).
//! Records are matched and reported even when DANE does not apply, so a
//! report can say "these records would not match" before a zone is signed.
//!
//! SNI: RFC 7672 §8.1 asks for the TLSA base domain as server name. The
//! base domain here is the MX host name (no CNAME expansion: MX targets
//! must not be aliases, RFC 2181 §10.3), which is what the probe's
//! handshake already sends; [`DaneCheck::sni`] records it.
//!
//! Not done: TLSA lookups for `--host` targets (no MX RRset to secure),
//! the DNSSEC status of a CNAME-expanded MX host, separate handshakes per
//! TLSA record.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::cert::ProbedChain;
use crate::dns::{DnssecStatus, SecureAnswer, TlsaRecord};
use crate::spelling::spelling;

pub(crate) mod matching;
pub(crate) mod names;

/// What DANE means for one MX host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DaneState {
    /// MX, addresses and TLSA are secure and usable records exist: a DANE
    /// sender authenticates this host with them (see each address).
    Applies,
    /// No TLSA records (NODATA or NXDOMAIN).
    None,
    /// TLSA records exist but something on the way (MX, addresses, TLSA)
    /// is not signed: DANE does not apply.
    NotSecure,
    /// Secure TLSA records, none usable for SMTP (PKIX-TA/PKIX-EE, unknown
    /// parameters).
    Unusable,
    /// A lookup was bogus: a DANE sender defers mail.
    Bogus,
    /// A lookup could not be completed.
    Indeterminate,
}

spelling!(DaneState {
    Applies => "applies",
    None => "none",
    NotSecure => "not-secure",
    Unusable => "unusable",
    Bogus => "bogus",
    Indeterminate => "indeterminate",
});

/// How one address fared against the TLSA records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DaneOutcome {
    /// A usable record matched the presented chain.
    Match,
    /// The chain matched none of the usable records.
    Mismatch,
    /// No TLS handshake completed, so nothing could be matched (a DANE
    /// sender does not deliver in the clear).
    NoTls,
}

spelling!(DaneOutcome {
    Match => "match",
    Mismatch => "mismatch",
    NoTls => "no-tls",
});

/// One TLSA record as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsaInfo {
    /// 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    pub usage: u8,
    /// 0 full certificate, 1 SubjectPublicKeyInfo.
    pub selector: u8,
    /// 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching: u8,
    /// Certificate association data, lower-case hex.
    pub data: String,
    /// Usable for SMTP (RFC 7672 §3.1): DANE-TA or DANE-EE with a known
    /// selector and matching type.
    pub usable: bool,
}

/// One address's chain against the records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaneAddress {
    /// The address probed.
    pub ip: IpAddr,
    /// Its port (25 but in tests).
    pub port: u16,
    /// Whether its chain matched a usable record.
    pub outcome: DaneOutcome,
    /// Indexes into [`DaneCheck::records`] of the records that matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<usize>,
    /// Why a record that matched a certificate did not authenticate the
    /// server (chain does not link, name mismatch for DANE-TA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The DANE result of one MX host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaneCheck {
    /// The TLSA query name, `_25._tcp.mx.example.org`.
    pub tlsa_name: String,
    /// What DANE means for the host, all lookups considered.
    pub state: DaneState,
    /// DNSSEC status of the domain's MX RRset (of its denial, for the
    /// implicit MX).
    pub mx_dnssec: DnssecStatus,
    /// DNSSEC status of the host's A/AAAA RRsets (the weaker of the two).
    pub address_dnssec: DnssecStatus,
    /// DNSSEC status of the TLSA RRset (or of its denial).
    pub tlsa_dnssec: DnssecStatus,
    /// The TLSA records as published, usable or not; empty when there are
    /// none.
    pub records: Vec<TlsaInfo>,
    /// How many of `records` are usable.
    pub usable: usize,
    /// The server name the handshakes sent (RFC 7672 §8.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// Per probed address, when there are usable records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<DaneAddress>,
    /// Why a status is bogus or indeterminate, one line per lookup.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// TLSA lookups made (more than one: retried before deciding bogus).
    pub tlsa_attempts: u32,
}

impl DaneCheck {
    /// The weakest of the three DNSSEC statuses: what the `dnssec` column
    /// shows.
    pub fn dnssec(&self) -> DnssecStatus {
        self.mx_dnssec
            .weakest(self.address_dnssec)
            .weakest(self.tlsa_dnssec)
    }

    /// The CSV `dane` word for one address: its outcome when DANE applies,
    /// else the state.
    pub fn word_for(&self, ip: IpAddr, port: u16) -> &'static str {
        let outcome = self
            .addresses
            .iter()
            .find(|a| a.ip == ip && a.port == port)
            .map(|a| a.outcome);
        match (self.state, outcome) {
            (DaneState::Applies, Some(o)) => o.as_str(),
            (state, _) => state.as_str(),
        }
    }
}

/// `_PORT._tcp.HOST`.
pub(crate) fn tlsa_name(host: &str, port: u16) -> String {
    format!("_{port}._tcp.{}", host.trim_end_matches('.'))
}

/// The DNSSEC-checked lookups DANE rests on, for one MX host.
pub(crate) struct Lookups<'a, M> {
    /// The domain's MX RRset.
    pub(crate) mx: &'a SecureAnswer<M>,
    /// The host's addresses.
    pub(crate) addresses: &'a SecureAnswer<Vec<IpAddr>>,
    /// Its TLSA records at `_PORT._tcp.HOST`.
    pub(crate) tlsa: &'a SecureAnswer<Vec<TlsaRecord>>,
}

/// Decide the DANE result of the MX host `host` (port `port`, probed with
/// SNI `sni`) from its lookups and the chains its addresses presented.
pub(crate) fn evaluate<M>(
    host: &str,
    port: u16,
    sni: Option<&str>,
    lookups: &Lookups<'_, M>,
    probes: &[ProbedChain<'_>],
) -> DaneCheck {
    let (mx, address, tlsa) = (lookups.mx, lookups.addresses, lookups.tlsa);
    let tlsa_name = tlsa_name(host, port);
    let records: Vec<TlsaInfo> = tlsa
        .records
        .iter()
        .map(|r| TlsaInfo {
            usage: r.usage,
            selector: r.selector,
            matching: r.matching,
            data: crate::hex::encode(&r.data),
            usable: matching::usable(r),
        })
        .collect();
    let usable = records.iter().filter(|r| r.usable).count();
    let statuses = [mx.status, address.status, tlsa.status];
    let state = if statuses.contains(&DnssecStatus::Bogus) {
        DaneState::Bogus
    } else if statuses.contains(&DnssecStatus::Indeterminate) {
        DaneState::Indeterminate
    } else if records.is_empty() {
        DaneState::None
    } else if statuses.iter().any(|s| *s != DnssecStatus::Secure) {
        DaneState::NotSecure
    } else if usable == 0 {
        DaneState::Unusable
    } else {
        DaneState::Applies
    };
    let names: Vec<&str> = [Some(host), sni].into_iter().flatten().collect();
    let addresses = if usable == 0 {
        Vec::new()
    } else {
        probes
            .iter()
            .map(|p| address_result(p, &tlsa.records, &names))
            .collect()
    };
    let errors = [&mx.error, &address.error, &tlsa.error]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    DaneCheck {
        tlsa_name,
        state,
        mx_dnssec: mx.status,
        address_dnssec: address.status,
        tlsa_dnssec: tlsa.status,
        records,
        usable,
        sni: sni.map(str::to_owned),
        addresses,
        errors,
        tlsa_attempts: tlsa.attempts,
    }
}

fn address_result(probe: &ProbedChain<'_>, records: &[TlsaRecord], names: &[&str]) -> DaneAddress {
    let chain = match probe.chain {
        Ok(chain) if !chain.is_empty() => chain,
        Ok(_) | Err(_) => {
            return DaneAddress {
                ip: probe.ip,
                port: probe.port,
                outcome: DaneOutcome::NoTls,
                matched: Vec::new(),
                detail: probe.chain.err().flatten().map(str::to_owned),
            }
        }
    };
    let m = matching::match_chain(records, chain, names);
    DaneAddress {
        ip: probe.ip,
        port: probe.port,
        outcome: if m.matched.is_empty() {
            DaneOutcome::Mismatch
        } else {
            DaneOutcome::Match
        },
        matched: m.matched,
        detail: m.detail,
    }
}

/// Test certificates from `testdata/certs`, as the prober describes them.
#[cfg(test)]
pub(crate) mod test_certs {
    use crate::cert::CertInfo;

    pub(crate) fn chain_from_pem(file: &str) -> Vec<CertInfo> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/certs")
            .join(file);
        let pem = std::fs::read(&path).expect("test certificate");
        openssl::x509::X509::stack_from_pem(&pem)
            .expect("pem")
            .iter()
            .map(|c| CertInfo::from_x509(c))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer<T>(status: DnssecStatus, records: T) -> SecureAnswer<T> {
        SecureAnswer {
            status,
            records,
            nx_domain: false,
            error: None,
            attempts: 1,
        }
    }

    fn probe(ip: [u8; 4], chain: Option<&[crate::cert::CertInfo]>) -> ProbedChain<'_> {
        ProbedChain {
            ip: IpAddr::from(ip),
            port: 25,
            chain: chain.ok_or(Some("no-starttls")),
        }
    }

    fn ee_record(chain: &[crate::cert::CertInfo]) -> TlsaRecord {
        let spki = openssl::x509::X509::from_der(&chain[0].der)
            .and_then(|c| c.public_key())
            .and_then(|k| k.public_key_to_der())
            .expect("spki");
        TlsaRecord {
            usage: 3,
            selector: 1,
            matching: 1,
            data: openssl::sha::sha256(&spki).to_vec(),
        }
    }

    #[test]
    fn states_follow_rfc_7672_section_2_2() {
        use DnssecStatus::*;
        let chain = test_certs::chain_from_pem("mx-rsa.chain.pem");
        let good = vec![ee_record(&chain)];
        let pkix = vec![TlsaRecord {
            usage: 1,
            ..good[0].clone()
        }];
        let probes = [probe([127, 0, 0, 1], Some(&chain))];
        let case = |mx, addr, tlsa_status, records: &Vec<TlsaRecord>| {
            let lookups = Lookups {
                mx: &answer(mx, ()),
                addresses: &answer(addr, vec![]),
                tlsa: &answer(tlsa_status, records.clone()),
            };
            evaluate(
                "mx.example.test",
                25,
                Some("mx.example.test"),
                &lookups,
                &probes,
            )
            .state
        };
        assert_eq!(case(Secure, Secure, Secure, &good), DaneState::Applies);
        assert_eq!(case(Insecure, Secure, Secure, &good), DaneState::NotSecure);
        assert_eq!(case(Secure, Insecure, Secure, &good), DaneState::NotSecure);
        assert_eq!(case(Secure, Secure, Insecure, &good), DaneState::NotSecure);
        assert_eq!(case(Secure, Secure, Secure, &vec![]), DaneState::None);
        assert_eq!(case(Insecure, Insecure, Insecure, &vec![]), DaneState::None);
        assert_eq!(case(Secure, Secure, Secure, &pkix), DaneState::Unusable);
        assert_eq!(case(Secure, Secure, Bogus, &vec![]), DaneState::Bogus);
        assert_eq!(case(Bogus, Indeterminate, Secure, &good), DaneState::Bogus);
        assert_eq!(
            case(Secure, Indeterminate, Secure, &good),
            DaneState::Indeterminate
        );
    }

    #[test]
    fn every_address_is_matched_or_marked() {
        use DnssecStatus::Secure;
        let chain = test_certs::chain_from_pem("mx-rsa.chain.pem");
        let other = test_certs::chain_from_pem("mx-ecdsa.chain.pem");
        let records = vec![ee_record(&chain)];
        let probes = [
            probe([127, 0, 0, 1], Some(&chain)),
            probe([127, 0, 0, 2], Some(&other)),
            probe([127, 0, 0, 3], None),
        ];
        let lookups = Lookups {
            mx: &answer(Secure, ()),
            addresses: &answer(Secure, vec![]),
            tlsa: &answer(Secure, records),
        };
        let check = evaluate(
            "mx.example.test.",
            25,
            Some("mx.example.test"),
            &lookups,
            &probes,
        );
        assert_eq!(check.tlsa_name, "_25._tcp.mx.example.test");
        assert_eq!(check.usable, 1);
        assert_eq!(check.records[0].data.len(), 64);
        let outcomes: Vec<DaneOutcome> = check.addresses.iter().map(|a| a.outcome).collect();
        assert_eq!(
            outcomes,
            [
                DaneOutcome::Match,
                DaneOutcome::Mismatch,
                DaneOutcome::NoTls
            ]
        );
        assert_eq!(check.addresses[0].matched, vec![0]);
        assert_eq!(check.word_for(IpAddr::from([127, 0, 0, 2]), 25), "mismatch");
        assert_eq!(check.dnssec(), Secure);
        let json = serde_json::to_value(&check).expect("json");
        assert_eq!(json["state"], "applies");
        assert_eq!(json["addresses"][2]["outcome"], "no-tls");
    }
}
