//! Signing a [`Zone`]'s apexes when it is installed, and the signed answers
//! (RRSIGs, NSEC denial of existence) for queries with the DO bit.
//!
//! Every RRset of a signed zone is signed once, here; an answer copies the
//! records and their RRSIG. The NSEC chain of each signed zone runs over
//! its owner names in canonical order (RFC 4034 §6.1), delegation points
//! included with their parent-side types, names below a cut left to the
//! child.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hickory_proto::dnssec::rdata::{DNSSECRData, SigInput, DNSKEY, DS, NSEC, RRSIG};
use hickory_proto::dnssec::{DigestType, DnssecSigner, PublicKey, TBS};
use hickory_proto::rr::rdata::{NS, SOA};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType, SerialNumber};

use super::dnssec::{dnskey_of, signing_key};
use super::{Bogus, Zone};

/// How long signatures are valid, from an hour ago.
const SIGNATURE_LIFETIME: Duration = Duration::from_secs(7 * 86_400);

/// A zone as a server serves it: the records, and their signatures.
pub(super) struct Served {
    pub zone: Zone,
    pub signed: Option<Signed>,
    /// Answers given so far per RRset with [`Bogus::BadFirst`].
    bad_answers: Mutex<HashMap<(String, u16), u32>>,
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Served")
            .field("zone", &self.zone)
            .finish_non_exhaustive()
    }
}

impl Served {
    pub(super) fn new(zone: Zone) -> Served {
        let signed = (!zone.apexes.is_empty()).then(|| Signed::new(&zone));
        Served {
            zone,
            signed,
            bad_answers: Mutex::new(HashMap::new()),
        }
    }

    /// The RRSIG to send with `set`, counting answers for [`Bogus::BadFirst`].
    pub(super) fn rrsig_for(&self, set: &RRset) -> Option<Record> {
        if let Some(Bogus::BadFirst(n)) = set.bogus {
            let mut counts = self.bad_answers.lock().unwrap_or_else(|e| e.into_inner());
            let seen = counts.entry((set.key.clone(), set.code())).or_insert(0);
            *seen += 1;
            if *seen <= n {
                return set.bad_rrsig.clone();
            }
        }
        set.rrsig.clone()
    }
}

/// The records of one type at one owner, before signing.
type TypedData = (RecordType, Vec<RData>);

/// One zone cut.
struct Cut {
    apex: Name,
    key: String,
    signer: Option<DnssecSigner>,
}

/// One RRset as served, with its signature(s).
pub(super) struct RRset {
    key: String,
    pub rtype: RecordType,
    pub records: Vec<Record>,
    rrsig: Option<Record>,
    /// For [`Bogus::BadFirst`]: the broken signature sent first.
    bad_rrsig: Option<Record>,
    bogus: Option<Bogus>,
}

impl RRset {
    fn code(&self) -> u16 {
        u16::from(self.rtype)
    }
}

/// The signed view of a zone: which cut owns a name, its RRsets, NSECs.
pub(super) struct Signed {
    cuts: Vec<Cut>,
    rrsets: HashMap<(usize, String), Vec<RRset>>,
    /// Owner names of each cut, canonical order: the NSEC chain.
    owners: Vec<Vec<Name>>,
    ttl: u32,
}

impl Signed {
    fn new(zone: &Zone) -> Signed {
        let ttl = zone.ttl;
        let mut cuts = Vec::new();
        for (key, pkcs8) in &zone.apexes {
            let apex = absolute(key);
            let signer = pkcs8.as_ref().and_then(|p| {
                let dnskey = dnskey_of(p)?;
                let key = signing_key(p)?;
                Some(DnssecSigner::new(
                    dnskey,
                    Box::new(key),
                    apex.clone(),
                    SIGNATURE_LIFETIME,
                ))
            });
            cuts.push(Cut {
                apex,
                key: key.clone(),
                signer,
            });
        }
        let mut signed = Signed {
            owners: vec![Vec::new(); cuts.len()],
            cuts,
            rrsets: HashMap::new(),
            ttl,
        };
        // The zone's own records, grouped into RRsets per owning cut.
        let mut grouped: HashMap<(usize, String), Vec<TypedData>> = HashMap::new();
        for (key, datas) in &zone.records {
            let Some(z) = signed.cut_of(key, false) else {
                continue;
            };
            let sets = grouped.entry((z, key.clone())).or_default();
            for data in datas {
                match sets.iter_mut().find(|(t, _)| *t == data.record_type()) {
                    Some((_, v)) => v.push(data.clone()),
                    None => sets.push((data.record_type(), vec![data.clone()])),
                }
            }
        }
        // Apex records, and the delegation in the parent.
        for z in 0..signed.cuts.len() {
            let cut = &signed.cuts[z];
            let (key, apex) = (cut.key.clone(), cut.apex.clone());
            let ns = RData::NS(NS(absolute(&format!("ns.{key}"))));
            let sets = grouped.entry((z, key.clone())).or_default();
            sets.push((RecordType::SOA, vec![soa(&apex, ttl)]));
            sets.push((RecordType::NS, vec![ns.clone()]));
            let dnskey = cut.signer.as_ref().map(|s| s.to_dnskey());
            if let Some(dnskey) = &dnskey {
                let data = RData::DNSSEC(DNSSECRData::DNSKEY(dnskey.clone()));
                sets.push((RecordType::DNSKEY, vec![data]));
            }
            if let Some(p) = signed.cut_of(&key, true) {
                let sets = grouped.entry((p, key.clone())).or_default();
                sets.push((RecordType::NS, vec![ns]));
                if let (Some(dnskey), true) = (&dnskey, signed.cuts[p].signer.is_some()) {
                    if let Some(ds) = ds_of(dnskey, &apex) {
                        sets.push((RecordType::DS, vec![RData::DNSSEC(DNSSECRData::DS(ds))]));
                    }
                }
            }
        }
        for ((z, key), sets) in &grouped {
            signed.owners[*z].push(absolute(key));
            for (rtype, datas) in sets {
                signed.add(zone, *z, key, *rtype, datas);
            }
        }
        for z in 0..signed.cuts.len() {
            signed.owners[z].sort();
            if signed.cuts[z].signer.is_some() {
                signed.add_nsec_chain(zone, z);
            }
        }
        signed
    }

    fn add(&mut self, zone: &Zone, z: usize, key: &str, rtype: RecordType, datas: &[RData]) {
        let owner = absolute(key);
        let records: Vec<Record> = datas
            .iter()
            .map(|d| Record::from_rdata(owner.clone(), self.ttl, d.clone()))
            .collect();
        let bogus = zone.bogus.get(&(key.to_owned(), u16::from(rtype))).copied();
        let (mut rrsig, mut bad_rrsig) = (None, None);
        if let Some(signer) = &self.cuts[z].signer {
            let now = unix_now();
            let good = sign(
                signer,
                &owner,
                rtype,
                &records,
                now.saturating_sub(3600),
                self.ttl,
            );
            match bogus {
                None => rrsig = good,
                Some(Bogus::Missing) => {}
                Some(Bogus::BadSignature) => rrsig = good.map(corrupt),
                Some(Bogus::Expired) => {
                    rrsig = sign(signer, &owner, rtype, &records, now - 8 * 86_400, self.ttl)
                }
                Some(Bogus::BadFirst(_)) => {
                    bad_rrsig = good.clone().map(corrupt);
                    rrsig = good;
                }
            }
        }
        self.rrsets
            .entry((z, key.to_owned()))
            .or_default()
            .push(RRset {
                key: key.to_owned(),
                rtype,
                records,
                rrsig,
                bad_rrsig,
                bogus,
            });
    }

    fn add_nsec_chain(&mut self, zone: &Zone, z: usize) {
        let owners = self.owners[z].clone();
        for (i, owner) in owners.iter().enumerate() {
            let next = owners[(i + 1) % owners.len()].clone();
            let key = key_of(owner);
            let types: Vec<RecordType> = self
                .rrsets
                .get(&(z, key.clone()))
                .map(|sets| sets.iter().map(|s| s.rtype).collect())
                .unwrap_or_default();
            let nsec = NSEC::new_cover_self(next, types);
            let data = RData::DNSSEC(DNSSECRData::NSEC(nsec));
            self.add(zone, z, &key, RecordType::NSEC, &[data]);
        }
    }

    /// The cut whose zone holds `key`: the deepest apex at or above it;
    /// for a DS query at an apex (`parent_side`), the one above that.
    pub(super) fn cut_of(&self, key: &str, parent_side: bool) -> Option<usize> {
        self.cuts
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                (key == c.key && !parent_side)
                    || key
                        .strip_suffix(c.key.as_str())
                        .is_some_and(|head| head.ends_with('.'))
            })
            .max_by_key(|(_, c)| c.key.len())
            .map(|(i, _)| i)
    }

    pub(super) fn is_signed(&self, z: usize) -> bool {
        self.cuts[z].signer.is_some()
    }

    /// The RRsets at `key` in zone `z`.
    pub(super) fn rrsets(&self, z: usize, key: &str) -> &[RRset] {
        self.rrsets
            .get(&(z, key.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The SOA RRset of zone `z`.
    pub(super) fn soa(&self, z: usize) -> Option<&RRset> {
        self.rrsets(z, &self.cuts[z].key)
            .iter()
            .find(|s| s.rtype == RecordType::SOA)
    }

    /// Whether `name` exists in zone `z`: it or a name below it owns records.
    pub(super) fn exists(&self, z: usize, name: &Name) -> bool {
        let owners = &self.owners[z];
        let i = owners.partition_point(|o| o < name);
        owners.get(i).is_some_and(|o| name.zone_of(o))
    }

    /// The NSEC RRsets that deny `name` in zone `z` (RFC 4035 §3.1.3): the
    /// one at `name` for NODATA, else the one covering it and, for
    /// NXDOMAIN, the one covering the wildcard at the closest encloser.
    pub(super) fn denial(&self, z: usize, name: &Name) -> Vec<&RRset> {
        let nsec_at = |owner: &Name| {
            self.rrsets(z, &key_of(owner))
                .iter()
                .find(|s| s.rtype == RecordType::NSEC)
        };
        let owners = &self.owners[z];
        if owners.binary_search(name).is_ok() {
            return nsec_at(name).into_iter().collect();
        }
        let covering = |n: &Name| {
            let i = owners.partition_point(|o| o < n);
            let prev = if i == 0 { owners.len() - 1 } else { i - 1 };
            owners.get(prev).and_then(nsec_at)
        };
        let mut sets: Vec<&RRset> = covering(name).into_iter().collect();
        if !self.exists(z, name) {
            let mut encloser = name.base_name();
            while !self.exists(z, &encloser) && !encloser.is_root() {
                encloser = encloser.base_name();
            }
            if let Ok(wildcard) = encloser.prepend_label("*") {
                if let Some(set) = covering(&wildcard) {
                    if !sets.iter().any(|s| std::ptr::eq(*s, set)) {
                        sets.push(set);
                    }
                }
            }
        }
        sets
    }
}

fn sign(
    signer: &DnssecSigner,
    owner: &Name,
    rtype: RecordType,
    records: &[Record],
    inception: u32,
    ttl: u32,
) -> Option<Record> {
    let lifetime = u32::try_from(signer.sig_duration().as_secs()).unwrap_or(u32::MAX);
    let input = SigInput {
        type_covered: rtype,
        algorithm: signer.key().algorithm(),
        num_labels: owner.num_labels(),
        original_ttl: ttl,
        sig_expiration: SerialNumber::new(inception.saturating_add(lifetime)),
        sig_inception: SerialNumber::new(inception),
        key_tag: signer.calculate_key_tag().ok()?,
        signer_name: signer.signer_name().clone(),
    };
    let tbs = TBS::from_input(owner, DNSClass::IN, &input, records.iter()).ok()?;
    let signature = signer.sign(&tbs).ok()?;
    let rrsig = RRSIG::from_sig(input, signature);
    Some(Record::from_rdata(
        owner.clone(),
        ttl,
        RData::DNSSEC(DNSSECRData::RRSIG(rrsig)),
    ))
}

/// The same RRSIG with one signature byte flipped.
fn corrupt(record: Record) -> Record {
    let RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) = &record.data else {
        return record;
    };
    let mut signature = rrsig.sig().to_vec();
    if let Some(b) = signature.first_mut() {
        *b ^= 0xff;
    }
    let broken = RRSIG::from_sig(rrsig.input().clone(), signature);
    Record::from_rdata(
        record.name.clone(),
        record.ttl,
        RData::DNSSEC(DNSSECRData::RRSIG(broken)),
    )
}

fn ds_of(dnskey: &DNSKEY, apex: &Name) -> Option<DS> {
    let digest = dnskey.to_digest(apex, DigestType::SHA256).ok()?;
    Some(DS::new(
        dnskey.calculate_key_tag().ok()?,
        dnskey.public_key().algorithm(),
        DigestType::SHA256,
        digest.as_ref().to_vec(),
    ))
}

fn soa(apex: &Name, ttl: u32) -> RData {
    let ttl_i32 = i32::try_from(ttl).unwrap_or(i32::MAX);
    let name = |label: &str| apex.prepend_label(label).unwrap_or_else(|_| apex.clone());
    RData::SOA(SOA::new(
        name("ns"),
        name("hostmaster"),
        1,
        ttl_i32,
        ttl_i32,
        ttl_i32.saturating_mul(10),
        ttl,
    ))
}

fn absolute(key: &str) -> Name {
    let mut name = Name::from_ascii(key).unwrap_or_else(|_| Name::root());
    name.set_fqdn(true);
    name
}

pub(super) fn key_of(name: &Name) -> String {
    let ascii = name.to_ascii().to_ascii_lowercase();
    ascii.strip_suffix('.').unwrap_or(&ascii).to_owned()
}

fn unix_now() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    u32::try_from(secs).unwrap_or(u32::MAX)
}
