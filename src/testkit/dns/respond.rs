//! Answering one query from a [`Zone`], without sockets.
//!
//! The server is authoritative for every name: a name with no records and
//! nothing below it is NXDOMAIN, a name with other types (or names below
//! it) is NODATA; both carry an SOA in the authority section (RFC 2308) so
//! resolvers can cache them.

use hickory_proto::op::{Edns, Message, MessageType, Metadata, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::SOA;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use super::sign::{Served, Signed};
use super::zone::Zone;

/// Longest CNAME chain followed before answering SERVFAIL (loops end here).
const MAX_CHAIN: usize = 8;
/// The UDP payload size this server advertises in its OPT record (the DNS
/// flag day 2020 value).
const OUR_EDNS_PAYLOAD: u16 = 1232;
/// Classic DNS limit for UDP answers without EDNS (RFC 1035 §4.2.1).
const PLAIN_UDP_LIMIT: usize = 512;

/// A response and the most the client accepts over UDP.
pub(super) struct Answer {
    message: Message,
    udp_limit: usize,
}

impl Answer {
    /// The response for UDP: truncated (TC set, sections emptied) when it
    /// does not fit the client's limit, so the client retries over TCP.
    pub(super) fn to_udp(&self) -> Option<Vec<u8>> {
        encode(&self.message, self.udp_limit)
    }

    /// The response for TCP (without the length prefix).
    pub(super) fn to_tcp(&self) -> Option<Vec<u8>> {
        encode(&self.message, usize::from(u16::MAX))
    }

    #[cfg(test)]
    pub(super) fn message(&self) -> &Message {
        &self.message
    }
}

/// The answer to the query in `request`, or `None` when the request is to be
/// ignored: unparsable, not a query, or for a name configured to be dropped.
pub(super) fn answer(served: &Served, request: &[u8]) -> Option<Answer> {
    let zone = &served.zone;
    let request = Message::from_vec(request).ok()?;
    if request.metadata.message_type != MessageType::Query {
        return None;
    }
    let mut response = Message::response(request.metadata.id, request.metadata.op_code);
    response.metadata = Metadata::response_from_request(&request.metadata);
    response.metadata.authoritative = true;
    response.add_queries(request.queries.iter().cloned());
    let udp_limit = match &request.edns {
        Some(edns) => {
            let mut ours = Edns::new();
            ours.set_max_payload(OUR_EDNS_PAYLOAD);
            response.set_edns(ours);
            usize::from(edns.max_payload()).max(PLAIN_UDP_LIMIT)
        }
        None => PLAIN_UDP_LIMIT,
    };

    let dnssec_ok = request.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok);
    let rcode = match request.queries.as_slice() {
        _ if request.metadata.op_code != OpCode::Query => ResponseCode::NotImp,
        [query] if query.query_class() == DNSClass::IN => {
            let key = key_of(query.name());
            if zone.validation_failure.contains(&key) && !request.metadata.checking_disabled {
                ResponseCode::ServFail
            } else {
                // RFC 6840 §5.7: AD only for a client that asked about DNSSEC.
                response.metadata.authentic_data =
                    zone.authentic.contains(&key) && (dnssec_ok || request.metadata.authentic_data);
                match served.signed.as_ref().and_then(|s| {
                    s.cut_of(&key, query.query_type() == RecordType::DS)
                        .map(|z| (s, z))
                }) {
                    Some((signed, _)) => {
                        resolve_signed(served, signed, query, dnssec_ok, &mut response)?
                    }
                    None => resolve(zone, query, &mut response)?,
                }
            }
        }
        [_] => ResponseCode::Refused,
        _ => ResponseCode::FormErr,
    };
    if rcode == ResponseCode::ServFail {
        response.metadata.authentic_data = false;
    }
    response.metadata.response_code = rcode;
    Some(Answer {
        message: response,
        udp_limit,
    })
}

/// Fill the answer and authority sections; `None` drops the query.
fn resolve(zone: &Zone, query: &Query, response: &mut Message) -> Option<ResponseCode> {
    let qtype = query.query_type();
    let follow_cnames = !matches!(qtype, RecordType::CNAME | RecordType::ANY);
    // The first owner is the name as asked, so its case is echoed.
    let mut owner = query.name().clone();
    let mut seen = Vec::new();
    for _ in 0..=MAX_CHAIN {
        let key = key_of(&owner);
        if zone.loops_answer_noerror && seen.contains(&key) {
            return Some(ResponseCode::NoError);
        }
        if zone.no_answer.contains(&key) {
            return None;
        }
        if zone.servfail.contains(&key) {
            response.answers.clear();
            return Some(ResponseCode::ServFail);
        }
        let records = zone.records.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        let cname = records.iter().find_map(|r| match r {
            RData::CNAME(target) if follow_cnames => Some(target.clone()),
            _ => None,
        });
        if let Some(target) = cname {
            let next = target.0.clone();
            response.add_answer(Record::from_rdata(owner, zone.ttl, RData::CNAME(target)));
            seen.push(key);
            owner = next;
            continue;
        }
        let matching: Vec<Record> = records
            .iter()
            .filter(|r| qtype == RecordType::ANY || r.record_type() == qtype)
            .map(|r| Record::from_rdata(owner.clone(), zone.ttl, r.clone()))
            .collect();
        if matching.is_empty() {
            response.add_authority(soa(&key, zone.ttl));
            if !zone.exists(&key) {
                // RFC 6604: after a CNAME the code describes the last name.
                return Some(ResponseCode::NXDomain);
            }
        }
        response.add_answers(matching);
        return Some(ResponseCode::NoError);
    }
    response.answers.clear();
    Some(ResponseCode::ServFail)
}

/// Like [`resolve`], for a name inside a zone cut: the answer from the zone
/// that holds it, with RRSIGs and NSEC denial when `dnssec_ok`.
fn resolve_signed(
    served: &Served,
    signed: &Signed,
    query: &Query,
    dnssec_ok: bool,
    response: &mut Message,
) -> Option<ResponseCode> {
    let zone = &served.zone;
    let qtype = query.query_type();
    let follow_cnames = !matches!(qtype, RecordType::CNAME | RecordType::ANY);
    let mut owner = query.name().clone();
    for _ in 0..=MAX_CHAIN {
        let key = key_of(&owner);
        if zone.no_answer.contains(&key) {
            return None;
        }
        if zone.servfail.contains(&key) {
            response.answers.clear();
            return Some(ResponseCode::ServFail);
        }
        // A CNAME target outside every cut ends the chain here.
        let Some(z) = signed.cut_of(&key, qtype == RecordType::DS) else {
            return Some(ResponseCode::NoError);
        };
        let with_sig = dnssec_ok && signed.is_signed(z);
        let sets = signed.rrsets(z, &key);
        let add = |response: &mut Message, set: &super::sign::RRset, to_answers: bool| {
            let mut records = set.records.clone();
            if with_sig {
                records.extend(served.rrsig_for(set));
            }
            if to_answers {
                response.add_answers(records);
            } else {
                response.add_authorities(records);
            }
        };
        if let Some(cname) = sets
            .iter()
            .find(|s| follow_cnames && s.rtype == RecordType::CNAME)
        {
            add(response, cname, true);
            match cname.records.first().map(|r| &r.data) {
                Some(RData::CNAME(target)) => owner = target.0.clone(),
                _ => return Some(ResponseCode::NoError),
            }
            continue;
        }
        let matching: Vec<&super::sign::RRset> = sets
            .iter()
            .filter(|s| {
                (qtype == RecordType::ANY && s.rtype != RecordType::NSEC) || s.rtype == qtype
            })
            .collect();
        if !matching.is_empty() {
            for set in matching {
                add(response, set, true);
            }
            return Some(ResponseCode::NoError);
        }
        if let Some(soa) = signed.soa(z) {
            add(response, soa, false);
        }
        if with_sig {
            for nsec in signed.denial(z, &owner) {
                add(response, nsec, false);
            }
        }
        return Some(if signed.exists(z, &owner) {
            ResponseCode::NoError
        } else {
            ResponseCode::NXDomain
        });
    }
    response.answers.clear();
    Some(ResponseCode::ServFail)
}

fn key_of(name: &Name) -> String {
    let ascii = name.to_ascii().to_ascii_lowercase();
    match ascii.strip_suffix('.') {
        Some(bare) => bare.to_owned(),
        None => ascii,
    }
}

/// An SOA for negative answers. The zone has no apex of its own, so the
/// last two labels of the name stand in for one; only the TTLs matter to
/// clients (RFC 2308 §5).
fn soa(key: &str, ttl: u32) -> Record {
    let labels: Vec<&str> = key.split('.').collect();
    let apex = labels[labels.len().saturating_sub(2)..].join(".");
    let name = |prefix: &str| {
        let text = if prefix.is_empty() {
            format!("{apex}.")
        } else {
            format!("{prefix}.{apex}.")
        };
        Name::from_ascii(text).unwrap_or_else(|_| Name::root())
    };
    let ttl_i32 = i32::try_from(ttl).unwrap_or(i32::MAX);
    let rdata = SOA::new(
        name("ns"),
        name("hostmaster"),
        1,
        ttl_i32,
        ttl_i32,
        ttl_i32.saturating_mul(10),
        ttl,
    );
    Record::from_rdata(name(""), ttl, RData::SOA(rdata))
}

/// Encode, truncating to header, question and OPT when over `limit`; a
/// response that cannot be encoded at all becomes SERVFAIL.
fn encode(message: &Message, limit: usize) -> Option<Vec<u8>> {
    match message.to_vec() {
        Ok(bytes) if bytes.len() <= limit => return Some(bytes),
        Ok(_) => {}
        Err(_) => {
            let mut failed = message.clone();
            failed.answers.clear();
            failed.authorities.clear();
            failed.additionals.clear();
            failed.metadata.response_code = ResponseCode::ServFail;
            return failed.to_vec().ok();
        }
    }
    let mut truncated = message.clone();
    truncated.answers.clear();
    truncated.authorities.clear();
    truncated.additionals.clear();
    truncated.metadata.truncation = true;
    truncated.to_vec().ok()
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::str::FromStr;

    use super::*;

    fn answer(zone: &Zone, request: &[u8]) -> Option<Answer> {
        super::answer(&Served::new(zone.clone()), request)
    }

    fn query(name: &str, qtype: RecordType, edns: Option<u16>) -> Vec<u8> {
        let mut message = Message::query();
        message.add_query(Query::query(Name::from_ascii(name).expect("name"), qtype));
        if let Some(size) = edns {
            let mut e = Edns::new();
            e.set_max_payload(size);
            message.set_edns(e);
        }
        message.to_vec().expect("encode")
    }

    fn zone() -> Zone {
        let mut zone = Zone::new();
        zone.mx("example.org", 10, "mx.example.org")
            .a("mx.example.org", Ipv4Addr::new(192, 0, 2, 1))
            .cname("www.example.org", "alias.example.org")
            .cname("alias.example.org", "mx.example.org")
            .cname("dangling.example.org", "gone.example.org")
            .cname("loop1.example.org", "loop2.example.org")
            .cname("loop2.example.org", "loop1.example.org")
            .a("deep.below.example.net", Ipv4Addr::new(192, 0, 2, 9))
            .servfail("broken.example.org")
            .no_answer("slow.example.org");
        zone
    }

    fn ask(name: &str, qtype: RecordType) -> Message {
        let answer = answer(&zone(), &query(name, qtype, None)).expect("answered");
        Message::from_vec(&answer.to_udp().expect("encoded")).expect("decode")
    }

    #[test]
    fn answers_records_nodata_and_nxdomain() {
        let m = ask("Example.ORG.", RecordType::MX);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.metadata.authoritative);
        assert_eq!(m.answers.len(), 1);
        assert_eq!(m.answers[0].name.to_ascii(), "Example.ORG.", "case echoed");

        let m = ask("example.org.", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.answers.is_empty());
        assert_eq!(m.authorities[0].record_type(), RecordType::SOA);

        let m = ask("below.example.net.", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError, "ENT");

        let m = ask("nope.example.org.", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(m.authorities[0].name.to_ascii(), "example.org.");
    }

    #[test]
    fn follows_cname_chains() {
        let m = ask("www.example.org.", RecordType::A);
        let types: Vec<RecordType> = m.answers.iter().map(Record::record_type).collect();
        assert_eq!(types, [RecordType::CNAME, RecordType::CNAME, RecordType::A]);
        let m = ask("www.example.org.", RecordType::CNAME);
        assert_eq!(m.answers.len(), 1);
        let m = ask("dangling.example.org.", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(m.answers.len(), 1);
        let m = ask("loop1.example.org.", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::ServFail);
        assert!(m.answers.is_empty());

        let mut noerror = zone();
        noerror.loops_answer_noerror();
        let a = answer(&noerror, &query("loop1.example.org.", RecordType::A, None));
        let m = a.expect("answered").message().clone();
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert_eq!(m.answers.len(), 2, "loop1 → loop2 → loop1");
    }

    #[test]
    fn servfail_and_dropped_names() {
        let m = ask("broken.example.org.", RecordType::MX);
        assert_eq!(m.metadata.response_code, ResponseCode::ServFail);
        assert!(answer(&zone(), &query("slow.example.org.", RecordType::A, None)).is_none());
    }

    #[test]
    fn truncates_to_the_client_limit() {
        let mut zone = Zone::new();
        for i in 0..60 {
            zone.a("big.example", Ipv4Addr::new(192, 0, 2, i));
        }
        for (edns, truncated) in [(None, true), (Some(512), true), (Some(4096), false)] {
            let a = answer(&zone, &query("big.example.", RecordType::A, edns)).expect("answer");
            let udp = Message::from_vec(&a.to_udp().expect("udp")).expect("decode");
            assert_eq!(udp.metadata.truncation, truncated, "{edns:?}");
            assert_eq!(udp.answers.is_empty(), truncated);
            let tcp = Message::from_vec(&a.to_tcp().expect("tcp")).expect("decode");
            assert_eq!(tcp.answers.len(), 60);
            assert!(!tcp.metadata.truncation);
        }
    }

    #[test]
    fn ignores_garbage_and_rejects_odd_queries() {
        let zone = zone();
        assert!(answer(&zone, &[]).is_none());
        assert!(answer(&zone, &[0xff; 7]).is_none());
        assert!(answer(&zone, &[0u8; 512]).is_some_and(|a| a.message().queries.is_empty()));
        let mut response = Message::from_vec(&query("example.org.", RecordType::A, None))
            .expect("decode")
            .into_response();
        response.metadata.message_type = MessageType::Response;
        assert!(answer(&zone, &response.to_vec().expect("encode")).is_none());

        let mut two = Message::query();
        for name in ["a.example.", "b.example."] {
            two.add_query(Query::query(
                Name::from_str(name).expect("n"),
                RecordType::A,
            ));
        }
        let a = answer(&zone, &two.to_vec().expect("encode")).expect("answer");
        assert_eq!(a.message().metadata.response_code, ResponseCode::FormErr);
    }
}
