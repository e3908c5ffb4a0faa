//! Pure decisions over answer records: which records belong to the question,
//! how MX records become an [`MxAnswer`], how the two address families
//! combine. No sockets here, so every rule is unit-tested.

use std::collections::HashSet;
use std::net::IpAddr;

use hickory_resolver::proto::rr::{Name, RData, Record};

use super::{DnsError, MxAnswer, MxRecord};

impl MxAnswer {
    /// Decide what a set of MX records means for delivery.
    ///
    /// * no records: [`MxAnswer::None`], the implicit MX of RFC 5321 §5.1
    ///   applies;
    /// * only records whose exchange is the root (`.`): [`MxAnswer::Null`],
    ///   RFC 7505 null MX (a duplicated null MX is still a null MX);
    /// * otherwise the real exchanges, with any `.` record dropped (RFC 7505
    ///   §3 says a null MX must be the only MX; a sender that meets one mixed
    ///   with real hosts can only ignore it), de-duplicated, sorted by
    ///   preference then name.
    ///
    /// Exchanges are lower-cased and lose their trailing dot here, so callers
    /// may pass names in any spelling.
    pub(crate) fn from_records(records: impl IntoIterator<Item = MxRecord>) -> MxAnswer {
        let mut saw_null = false;
        let mut real: Vec<MxRecord> = Vec::new();
        for record in records {
            let exchange = host_name(&record.exchange);
            if exchange.is_empty() {
                saw_null = true;
                continue;
            }
            real.push(MxRecord {
                preference: record.preference,
                exchange,
            });
        }
        if real.is_empty() {
            return if saw_null {
                MxAnswer::Null
            } else {
                MxAnswer::None
            };
        }
        real.sort_by(|a, b| {
            a.preference
                .cmp(&b.preference)
                .then_with(|| a.exchange.cmp(&b.exchange))
        });
        real.dedup();
        MxAnswer::Records(real)
    }
}

/// Lower case, no trailing dot; the root becomes the empty string.
///
/// `name` is hickory's text of a name, which escapes every byte but
/// letters, digits, `-` and `_`; `/` is shown as it is again, for the
/// classless reverse names of RFC 2317 (`4.0/26.3.2.1.in-addr.arpa`). It
/// cannot be mistaken: a `/` always comes escaped, so every `\/` is one.
pub(crate) fn host_name(name: &str) -> String {
    let name = name.strip_suffix('.').unwrap_or(name);
    name.to_ascii_lowercase().replace("\\/", "/")
}

/// The exchange of an MX record as text. A name that spells an IP address
/// (`MX 10 192.0.2.1.`, which RFC 5321 §5.1 does not allow) comes out as
/// that address, an IPv6 one too, whose colons the name's text would show
/// escaped.
pub(crate) fn exchange_text(name: &Name) -> String {
    let labels: Vec<String> = name
        .iter()
        .map(|label| String::from_utf8_lossy(label).into_owned())
        .collect();
    match labels.join(".").parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => name.to_ascii(),
    }
}

/// The records of the answer that answer `query`: those owned by the query
/// name or by a name reached from it through the CNAMEs in the answer.
///
/// hickory hands back the answer section as the server sent it (plus the
/// CNAMEs it chased), so a confused or hostile server could add records for
/// unrelated names; those are ignored.
pub(crate) fn answer_data<'a>(query: &Name, answers: &'a [Record]) -> Vec<&'a RData> {
    let mut owners: Vec<&Name> = vec![query];
    // The chain may arrive in any order; grow it until nothing is added. It
    // is bounded by the number of CNAME records, so this terminates.
    loop {
        let before = owners.len();
        for record in answers {
            if let RData::CNAME(target) = &record.data {
                if owners.contains(&&record.name) && !owners.contains(&&target.0) {
                    owners.push(&target.0);
                }
            }
        }
        if owners.len() == before {
            break;
        }
    }
    answers
        .iter()
        .filter(|r| !matches!(r.data, RData::CNAME(_)) && owners.contains(&&r.name))
        .map(|r| &r.data)
        .collect()
}

/// Keep the first occurrence of each item, in order.
pub(crate) fn dedup_in_order<T: Eq + std::hash::Hash + Clone>(items: &mut Vec<T>) {
    let mut seen = HashSet::new();
    items.retain(|item| seen.insert(item.clone()));
}

/// Combine the A and AAAA outcomes of one host.
///
/// IPv4 first, then IPv6, each de-duplicated. A family that failed is
/// dropped when the other produced addresses: a broken AAAA answer (common
/// with old authoritative servers) must not hide a working IPv4 host. When
/// neither produced addresses, the first error (A before AAAA) is returned,
/// so NXDOMAIN surfaces as NXDOMAIN; two NODATA answers give an empty list.
pub(crate) fn combine_families(
    v4: Option<Result<Vec<IpAddr>, DnsError>>,
    v6: Option<Result<Vec<IpAddr>, DnsError>>,
) -> Result<Vec<IpAddr>, DnsError> {
    let mut addresses = Vec::new();
    let mut first_error = None;
    for outcome in [v4, v6].into_iter().flatten() {
        match outcome {
            Ok(ips) => addresses.extend(ips),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    dedup_in_order(&mut addresses);
    match first_error {
        Some(e) if addresses.is_empty() => Err(e),
        _ => Ok(addresses),
    }
}

/// One TXT record as the single string RFC 7208 §3.3 and RFC 8461 §3.1
/// read it: its character-strings concatenated without separators. Bytes
/// that are not UTF-8 are replaced (U+FFFD); the policies we parse are ASCII.
pub(crate) fn txt_string(strings: &[Box<[u8]>]) -> String {
    let bytes: Vec<u8> = strings.iter().flat_map(|s| s.iter().copied()).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::str::FromStr;

    use hickory_resolver::proto::rr::rdata::{A, CNAME};

    use super::super::QueryType;
    use super::*;

    fn mx(preference: u16, exchange: &str) -> MxRecord {
        MxRecord {
            preference,
            exchange: exchange.to_owned(),
        }
    }

    #[test]
    fn mx_decisions() {
        let cases: Vec<(Vec<MxRecord>, MxAnswer)> = vec![
            (vec![], MxAnswer::None),
            (vec![mx(0, ".")], MxAnswer::Null),
            (vec![mx(10, ".")], MxAnswer::Null),
            (vec![mx(0, "."), mx(0, ".")], MxAnswer::Null),
            (
                vec![mx(0, "."), mx(10, "mx.example.org.")],
                MxAnswer::Records(vec![mx(10, "mx.example.org")]),
            ),
            (
                vec![
                    mx(20, "b.example.org."),
                    mx(10, "Z.example.org."),
                    mx(20, "a.example.org"),
                    mx(10, "z.example.org."),
                    mx(5, "m.example.org."),
                ],
                MxAnswer::Records(vec![
                    mx(5, "m.example.org"),
                    mx(10, "z.example.org"),
                    mx(20, "a.example.org"),
                    mx(20, "b.example.org"),
                ]),
            ),
            // Same host at two preferences: two records, both kept.
            (
                vec![mx(20, "mx.example.org"), mx(10, "mx.example.org")],
                MxAnswer::Records(vec![mx(10, "mx.example.org"), mx(20, "mx.example.org")]),
            ),
        ];
        for (records, want) in cases {
            assert_eq!(MxAnswer::from_records(records.clone()), want, "{records:?}");
        }
    }

    fn record(name: &str, data: RData) -> Record {
        Record::from_rdata(Name::from_str(name).expect("name"), 300, data)
    }

    fn a(ip: [u8; 4]) -> RData {
        RData::A(A(Ipv4Addr::from(ip)))
    }

    fn cname(target: &str) -> RData {
        RData::CNAME(CNAME(Name::from_str(target).expect("name")))
    }

    #[test]
    fn answer_data_follows_cnames_in_any_order_and_ignores_strangers() {
        let query = Name::from_str("www.example.org.").expect("name");
        let answers = vec![
            record("c.example.net.", a([192, 0, 2, 1])),
            record("b.example.net.", cname("c.example.net.")),
            record("WWW.example.org.", cname("b.example.net.")),
            record("unrelated.example.", a([192, 0, 2, 99])),
            record("c.example.net.", a([192, 0, 2, 2])),
        ];
        let got = answer_data(&query, &answers);
        assert_eq!(got, vec![&a([192, 0, 2, 1]), &a([192, 0, 2, 2])]);
    }

    #[test]
    fn answer_data_survives_cname_loops() {
        let query = Name::from_str("a.example.").expect("name");
        let answers = vec![
            record("a.example.", cname("b.example.")),
            record("b.example.", cname("a.example.")),
        ];
        assert!(answer_data(&query, &answers).is_empty());
    }

    fn nx() -> DnsError {
        DnsError::NxDomain {
            name: "mx.example.org".into(),
            qtype: QueryType::A,
        }
    }

    fn timeout() -> DnsError {
        DnsError::Timeout {
            name: "mx.example.org".into(),
            qtype: QueryType::Aaaa,
            attempts: 1,
            timeout: std::time::Duration::from_secs(1),
            servers: "nameserver 127.0.0.1:53".into(),
        }
    }

    #[test]
    fn family_combinations() {
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let v4b = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert_eq!(
            combine_families(Some(Ok(vec![v4, v4b, v4])), Some(Ok(vec![v6]))),
            Ok(vec![v4, v4b, v6])
        );
        assert_eq!(
            combine_families(Some(Ok(vec![])), Some(Ok(vec![]))),
            Ok(vec![])
        );
        assert_eq!(
            combine_families(Some(Ok(vec![v4])), Some(Err(timeout()))),
            Ok(vec![v4])
        );
        assert_eq!(
            combine_families(Some(Ok(vec![])), Some(Err(timeout()))),
            Err(timeout())
        );
        assert_eq!(
            combine_families(Some(Err(nx())), Some(Err(timeout()))),
            Err(nx())
        );
        assert_eq!(combine_families(None, Some(Ok(vec![v6]))), Ok(vec![v6]));
        assert_eq!(combine_families(Some(Err(nx())), None), Err(nx()));
    }

    #[test]
    fn txt_strings_are_concatenated() {
        let parts: Vec<Box<[u8]>> = vec![b"v=spf1 ".to_vec().into(), b"-all".to_vec().into()];
        assert_eq!(txt_string(&parts), "v=spf1 -all");
        assert_eq!(txt_string(&[]), "");
        let bad: Vec<Box<[u8]>> = vec![vec![b'a', 0xff].into()];
        assert_eq!(txt_string(&bad), "a\u{fffd}");
    }

    /// A server's names reach reports as hickory writes them: bytes that
    /// are not letters, digits or `-` escaped (`\033`), never raw control
    /// characters that a terminal would act on.
    #[test]
    fn dns_names_with_control_bytes_come_out_escaped() {
        let labels: [&[u8]; 3] = [b"a\x1b[2J b", b"ex\xffample", b"org"];
        let name = Name::from_labels(labels).expect("labels");
        let host = host_name(&name.to_ascii());
        assert!(!host.chars().any(char::is_control), "{host:?}");
        assert_eq!(host, r"a\033\[2j\040b.ex\377ample.org");
    }

    #[test]
    fn classless_reverse_names_show_their_slash() {
        let labels: [&[u8]; 4] = [b"4", b"0/26", b"in-addr", b"arpa"];
        let name = Name::from_labels(labels).expect("labels");
        assert_eq!(host_name(&name.to_ascii()), "4.0/26.in-addr.arpa");
        let odd: [&[u8]; 2] = [b"a\\/b", b"example"];
        let name = Name::from_labels(odd).expect("labels");
        assert_eq!(host_name(&name.to_ascii()), r"a\\/b.example");
    }

    #[test]
    fn an_exchange_spelling_an_address_is_that_address() {
        let v4 = Name::from_str("192.0.2.1.").expect("name");
        assert_eq!(exchange_text(&v4), "192.0.2.1");
        let v6: [&[u8]; 1] = [b"2001:db8::1"];
        let v6 = Name::from_labels(v6).expect("labels");
        assert_eq!(exchange_text(&v6), "2001:db8::1");
        let host = Name::from_str("mx.example.org.").expect("name");
        assert_eq!(exchange_text(&host), "mx.example.org.");
        assert_eq!(exchange_text(&Name::root()), ".");
    }
}
