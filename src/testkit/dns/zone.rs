//! [`Zone`]: the records a [`super::DnsServer`] serves, built in code or read
//! from a small text format.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::rdata::{tlsa, A, AAAA, CNAME, MX, PTR, TLSA, TXT};
use hickory_proto::rr::{Name, RData};

/// TTL of every record unless changed with [`Zone::set_ttl`] or `$TTL`.
pub const DEFAULT_TTL: u32 = 300;

/// Records served, keyed by owner name. Names are always absolute; a
/// trailing dot is optional and case does not matter. Labels may hold any
/// printable character but `.` and `\`, so RFC 2317's classless reverse
/// names (`4.0/26.3.2.1.in-addr.arpa`) can be served.
///
/// The builder methods panic on a name that cannot be encoded (an empty
/// label, a label over 63 bytes): zones are written by test authors, and a
/// typo should stop the test at once. [`Zone::from_text`] reports the same
/// problems as errors instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub(super) records: BTreeMap<String, Vec<RData>>,
    /// Every owner name and all its ancestors, so that an empty
    /// non-terminal answers NODATA, not NXDOMAIN (RFC 8020).
    existing: BTreeSet<String>,
    pub(super) servfail: BTreeSet<String>,
    pub(super) no_answer: BTreeSet<String>,
    pub(super) ttl: u32,
    /// Zone cuts (see `dnssec.rs`): apex → PKCS#8 Ed25519 key when signed.
    pub(super) apexes: BTreeMap<String, Option<Vec<u8>>>,
    /// RRsets served with a broken signature: (owner, type code) → how.
    pub(super) bogus: BTreeMap<(String, u16), super::Bogus>,
    /// Names whose answers carry the AD bit (a validating resolver's word).
    pub(super) authentic: BTreeSet<String>,
    /// Names answered SERVFAIL unless the query sets CD, as a validating
    /// resolver answers a bogus name.
    pub(super) validation_failure: BTreeSet<String>,
    /// CNAME loops are answered NOERROR with the looping records, not
    /// SERVFAIL.
    pub(super) loops_answer_noerror: bool,
}

impl Default for Zone {
    fn default() -> Self {
        Self::new()
    }
}

impl Zone {
    /// An empty zone: every name is NXDOMAIN.
    pub fn new() -> Self {
        Self {
            records: BTreeMap::new(),
            existing: BTreeSet::new(),
            servfail: BTreeSet::new(),
            no_answer: BTreeSet::new(),
            ttl: DEFAULT_TTL,
            apexes: BTreeMap::new(),
            bogus: BTreeMap::new(),
            authentic: BTreeSet::new(),
            validation_failure: BTreeSet::new(),
            loops_answer_noerror: false,
        }
    }

    /// TTL of all records and of negative answers (the SOA minimum).
    pub fn set_ttl(&mut self, ttl: u32) -> &mut Self {
        self.ttl = ttl;
        self
    }

    /// `name MX preference exchange`; exchange `.` makes an RFC 7505 null MX.
    pub fn mx(&mut self, name: &str, preference: u16, exchange: &str) -> &mut Self {
        let added = absolute(exchange)
            .and_then(|exchange| self.try_add(name, RData::MX(MX::new(preference, exchange))));
        self.or_panic(added, "mx")
    }

    /// `name A ip`.
    pub fn a(&mut self, name: &str, ip: Ipv4Addr) -> &mut Self {
        let added = self.try_add(name, RData::A(A(ip)));
        self.or_panic(added, "a")
    }

    /// `name AAAA ip`.
    pub fn aaaa(&mut self, name: &str, ip: Ipv6Addr) -> &mut Self {
        let added = self.try_add(name, RData::AAAA(AAAA(ip)));
        self.or_panic(added, "aaaa")
    }

    /// An alias. Queries for other types at `name` are answered with the
    /// CNAME and whatever the zone has at the target.
    pub fn cname(&mut self, name: &str, target: &str) -> &mut Self {
        let added = absolute(target).and_then(|t| self.try_add(name, RData::CNAME(CNAME(t))));
        self.or_panic(added, "cname")
    }

    /// A PTR record at the reverse name of `ip` (in-addr.arpa / ip6.arpa).
    pub fn ptr(&mut self, ip: IpAddr, name: &str) -> &mut Self {
        let owner = reverse_name(ip);
        let added = absolute(name).and_then(|n| self.try_add(&owner, RData::PTR(PTR(n))));
        self.or_panic(added, "ptr")
    }

    /// A PTR record at any owner: the name an RFC 2317 CNAME points to,
    /// e.g. `4.0/26.3.2.1.in-addr.arpa` (see [`reverse_name`] for the
    /// address's own name, where the CNAME goes).
    pub fn ptr_at(&mut self, owner: &str, name: &str) -> &mut Self {
        let added = absolute(name).and_then(|n| self.try_add(owner, RData::PTR(PTR(n))));
        self.or_panic(added, "ptr_at")
    }

    /// One TXT record holding `text`, split into 255-byte character-strings
    /// as RFC 1035 §3.3 requires (clients concatenate them again).
    pub fn txt(&mut self, name: &str, text: &str) -> &mut Self {
        let added = self.try_add(name, txt_rdata(text));
        self.or_panic(added, "txt")
    }

    /// A TLSA record (RFC 6698): usage, selector, matching type, data.
    pub fn tlsa(
        &mut self,
        name: &str,
        usage: u8,
        selector: u8,
        matching: u8,
        data: &[u8],
    ) -> &mut Self {
        let rdata = RData::TLSA(TLSA::new(
            tlsa::CertUsage::from(usage),
            tlsa::Selector::from(selector),
            tlsa::Matching::from(matching),
            data.to_vec(),
        ));
        let added = self.try_add(name, rdata);
        self.or_panic(added, "tlsa")
    }

    /// Every query for `name` (any type, also as a CNAME target) is answered
    /// SERVFAIL.
    pub fn servfail(&mut self, name: &str) -> &mut Self {
        let added = key(name).map(|k| {
            self.servfail.insert(k);
        });
        self.or_panic(added, "servfail")
    }

    /// Answer a query that runs into a CNAME loop with NOERROR and the
    /// looping CNAMEs, as some resolvers do, instead of SERVFAIL (the
    /// default, as others do). Either way the client learns no "loop".
    pub fn loops_answer_noerror(&mut self) -> &mut Self {
        self.loops_answer_noerror = true;
        self
    }

    /// Every query for `name` is dropped without an answer, so the client
    /// times out.
    pub fn no_answer(&mut self, name: &str) -> &mut Self {
        let added = key(name).map(|k| {
            self.no_answer.insert(k);
        });
        self.or_panic(added, "no_answer")
    }

    /// Parse a zone from text, one record per line:
    ///
    /// ```text
    /// # comment lines start with '#'; blank lines are ignored
    /// $TTL 60
    /// example.org.            MX       10 mx1.example.org.
    /// null.example            MX       0 .
    /// mx1.example.org         A        192.0.2.1
    /// mx1.example.org         AAAA     2001:db8::1
    /// www.example.org         CNAME    mx1.example.org
    /// 192.0.2.1               PTR      mx1.example.org   # owner may be an IP address
    /// example.org             TXT      v=spf1 -all       # rest of the line, quotes optional
    /// _25._tcp.mx1.example.org TLSA    3 1 1 8cb0fc6c...  # data in hex
    /// broken.example          SERVFAIL
    /// slow.example            NOANSWER
    /// ```
    ///
    /// Only whole-line comments exist: a `#` after a record is part of it
    /// (TXT data may contain one), so the trailing comments above are for
    /// this documentation only.
    pub fn from_text(text: &str) -> Result<Zone, String> {
        let mut zone = Zone::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            zone.parse_line(line)
                .map_err(|e| format!("line {}: {e}: {line:?}", index + 1))?;
        }
        Ok(zone)
    }

    fn parse_line(&mut self, line: &str) -> Result<(), String> {
        let (owner, rest) = split_word(line);
        if owner.eq_ignore_ascii_case("$TTL") {
            self.ttl = rest.parse().map_err(|_| format!("invalid TTL {rest:?}"))?;
            return Ok(());
        }
        let (rtype, rdata) = split_word(rest);
        if rtype.is_empty() {
            return Err("missing record type".into());
        }
        let fields: Vec<&str> = rdata.split_whitespace().collect();
        let want = |n: usize| {
            if fields.len() == n {
                Ok(())
            } else {
                Err(format!(
                    "{} takes {n} field{}, found {}",
                    rtype.to_ascii_uppercase(),
                    if n == 1 { "" } else { "s" },
                    fields.len()
                ))
            }
        };
        let data = match rtype.to_ascii_uppercase().as_str() {
            "MX" => {
                want(2)?;
                let preference = fields[0]
                    .parse()
                    .map_err(|_| format!("invalid MX preference {:?}", fields[0]))?;
                RData::MX(MX::new(preference, absolute(fields[1])?))
            }
            "A" => {
                want(1)?;
                RData::A(A(fields[0]
                    .parse()
                    .map_err(|_| format!("invalid IPv4 address {:?}", fields[0]))?))
            }
            "AAAA" => {
                want(1)?;
                RData::AAAA(AAAA(
                    fields[0]
                        .parse()
                        .map_err(|_| format!("invalid IPv6 address {:?}", fields[0]))?,
                ))
            }
            "CNAME" => {
                want(1)?;
                RData::CNAME(CNAME(absolute(fields[0])?))
            }
            "PTR" => {
                want(1)?;
                RData::PTR(PTR(absolute(fields[0])?))
            }
            "TXT" => txt_rdata(unquote(rdata)),
            "TLSA" => {
                want(4)?;
                let byte = |s: &str| {
                    s.parse::<u8>()
                        .map_err(|_| format!("invalid TLSA field {s:?}"))
                };
                RData::TLSA(TLSA::new(
                    tlsa::CertUsage::from(byte(fields[0])?),
                    tlsa::Selector::from(byte(fields[1])?),
                    tlsa::Matching::from(byte(fields[2])?),
                    hex(fields[3])?,
                ))
            }
            "SERVFAIL" => {
                want(0)?;
                self.servfail.insert(key(owner)?);
                return Ok(());
            }
            "NOANSWER" | "DROP" => {
                want(0)?;
                self.no_answer.insert(key(owner)?);
                return Ok(());
            }
            other => return Err(format!("unknown record type {other:?}")),
        };
        // An IP address as owner stands for its reverse name (for PTR).
        let owner = match owner.parse::<IpAddr>() {
            Ok(ip) => reverse_name(ip),
            Err(_) => owner.to_owned(),
        };
        self.try_add(&owner, data)
    }

    fn try_add(&mut self, name: &str, data: RData) -> Result<(), String> {
        let key = key(name)?;
        let mut ancestor = key.as_str();
        loop {
            self.existing.insert(ancestor.to_owned());
            match ancestor.split_once('.') {
                Some((_, parent)) => ancestor = parent,
                None => break,
            }
        }
        let records = self.records.entry(key).or_default();
        // A DNS RRset has no duplicates.
        if !records.contains(&data) {
            records.push(data);
        }
        Ok(())
    }

    pub(super) fn or_panic(&mut self, result: Result<(), String>, method: &str) -> &mut Self {
        if let Err(e) = result {
            panic!("Zone::{method}: {e}");
        }
        self
    }

    /// Whether `key` has records or names below it (an empty non-terminal
    /// exists too, RFC 8020).
    pub(super) fn exists(&self, key: &str) -> bool {
        self.existing.contains(key)
    }
}

/// The lookup key of a name: lower case, no trailing dot, checked to be
/// encodable, written as the server writes the names it is asked about.
pub(super) fn key(name: &str) -> Result<String, String> {
    let trimmed = name.trim();
    let bare = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if bare.is_empty() {
        return Err(format!("invalid name {name:?}: empty"));
    }
    let ascii = parse(bare)
        .map_err(|e| format!("invalid name {name:?}: {e}"))?
        .to_ascii()
        .to_ascii_lowercase();
    Ok(ascii.strip_suffix('.').unwrap_or(&ascii).to_owned())
}

/// A name as written in a zone: a host name, or labels of printable
/// characters but `.` and `\` (RFC 2317's `0/26`), at most 63 bytes each.
fn parse(text: &str) -> Result<Name, String> {
    if let Ok(name) = Name::from_ascii(text) {
        return Ok(name);
    }
    let labels: Vec<&[u8]> = text.split('.').map(str::as_bytes).collect();
    let printable =
        |l: &&[u8]| !l.is_empty() && l.iter().all(|b| b.is_ascii_graphic() && *b != b'\\');
    if !labels.iter().all(printable) {
        return Err("empty label or a character that is not printable".into());
    }
    Name::from_labels(labels).map_err(|e| e.to_string())
}

/// A target name as an absolute `Name`; `.` is the root.
fn absolute(name: &str) -> Result<Name, String> {
    let trimmed = name.trim();
    if trimmed == "." {
        return Ok(Name::root());
    }
    let bare = trimmed.strip_suffix('.').unwrap_or(trimmed);
    key(bare)?;
    let mut parsed = parse(&bare.to_ascii_lowercase())?;
    parsed.set_fqdn(true);
    Ok(parsed)
}

/// The reverse name of `ip` (under in-addr.arpa or ip6.arpa), without the
/// trailing dot: where its PTR record, or an RFC 2317 CNAME, goes.
pub fn reverse_name(ip: IpAddr) -> String {
    let name = Name::from(ip).to_ascii();
    name.strip_suffix('.').unwrap_or(&name).to_owned()
}

fn txt_rdata(text: &str) -> RData {
    let bytes = text.as_bytes();
    let strings: Vec<&[u8]> = if bytes.is_empty() {
        vec![&[]]
    } else {
        bytes.chunks(255).collect()
    };
    RData::TXT(TXT::from_bytes(strings))
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, ""),
    }
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

fn hex(s: &str) -> Result<Vec<u8>, String> {
    crate::hex::decode(s).ok_or_else(|| format!("invalid hex data {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_normalises_names_and_drops_duplicates() {
        let mut zone = Zone::new();
        zone.a("MX.Example.org.", Ipv4Addr::new(192, 0, 2, 1))
            .a("mx.example.org", Ipv4Addr::new(192, 0, 2, 1))
            .ptr("192.0.2.1".parse().expect("ip"), "mx.example.org");
        assert_eq!(zone.records["mx.example.org"].len(), 1);
        assert!(zone.records.contains_key("1.2.0.192.in-addr.arpa"));
        assert!(zone.exists("mx.example.org"));
        assert!(zone.exists("example.org"), "empty non-terminal");
        assert!(zone.exists("org"), "empty non-terminal");
        assert!(!zone.exists("xample.org"));
        assert!(!zone.exists("www.example.org"));
    }

    #[test]
    fn classless_names_are_served_under_the_key_queries_use() {
        let mut zone = Zone::new();
        zone.cname("4.3.2.1.in-addr.arpa", "4.0/26.3.2.1.IN-ADDR.arpa.")
            .ptr_at("4.0/26.3.2.1.in-addr.arpa", "mail.example.test");
        let target = zone.records["4.3.2.1.in-addr.arpa"][0].clone();
        let RData::CNAME(CNAME(target)) = target else {
            panic!("not a CNAME");
        };
        let asked = target.to_ascii().to_ascii_lowercase();
        let key = asked.strip_suffix('.').unwrap_or(&asked);
        assert!(zone.records.contains_key(key), "{key}");
        assert_eq!(
            reverse_name("1.2.3.4".parse().expect("ip")),
            "4.3.2.1.in-addr.arpa"
        );
        assert!(Zone::from_text("a\u{7f}b.example A 192.0.2.1").is_err());
    }

    #[test]
    fn long_txt_is_split_into_255_byte_strings() {
        let text = "x".repeat(600);
        let mut zone = Zone::new();
        zone.txt("t.example", &text);
        let RData::TXT(txt) = &zone.records["t.example"][0] else {
            panic!("not TXT");
        };
        let lengths: Vec<usize> = txt.txt_data.iter().map(|s| s.len()).collect();
        assert_eq!(lengths, vec![255, 255, 90]);
    }

    #[test]
    #[should_panic(expected = "Zone::a: invalid name")]
    fn builder_panics_on_a_bad_name() {
        Zone::new().a("a..b", Ipv4Addr::LOCALHOST);
    }

    #[test]
    fn parses_text() {
        let zone = Zone::from_text(
            "# lab zone\n\
             $TTL 60\n\
             example.org.   MX 10 mx1.example.org.\n\
             null.example   mx 0 .\n\
             mx1.example.org A 192.0.2.1\n\
             mx1.example.org AAAA 2001:db8::1\n\
             www.example.org CNAME mx1.example.org\n\
             192.0.2.1      PTR mx1.example.org\n\
             example.org    TXT \"v=spf1 -all # not a comment\"\n\
             _25._tcp.mx1.example.org TLSA 3 1 1 00ff\n\
             \n\
             broken.example SERVFAIL\n\
             slow.example   NOANSWER\n",
        )
        .expect("zone");
        let mut want = Zone::new();
        want.set_ttl(60)
            .mx("example.org", 10, "mx1.example.org")
            .mx("null.example", 0, ".")
            .a("mx1.example.org", Ipv4Addr::new(192, 0, 2, 1))
            .aaaa("mx1.example.org", "2001:db8::1".parse().expect("ip"))
            .cname("www.example.org", "mx1.example.org")
            .ptr("192.0.2.1".parse().expect("ip"), "mx1.example.org")
            .txt("example.org", "v=spf1 -all # not a comment")
            .tlsa("_25._tcp.mx1.example.org", 3, 1, 1, &[0x00, 0xff])
            .servfail("broken.example")
            .no_answer("slow.example");
        assert_eq!(zone, want);
    }

    #[test]
    fn text_errors_name_the_line() {
        let cases = [
            ("a.example A 300.1.1.1", "line 1: invalid IPv4 address"),
            ("\n\na.example MX ten mx", "line 3: invalid MX preference"),
            ("a.example MX 10", "line 1: MX takes 2 fields, found 1"),
            ("a.example", "line 1: missing record type"),
            (
                "a.example SRV 1 2 3 x",
                "line 1: unknown record type \"SRV\"",
            ),
            ("a..example A 192.0.2.1", "line 1: invalid name"),
            ("t.example TLSA 3 1 1 abc", "line 1: invalid hex data"),
            ("$TTL soon", "line 1: invalid TTL"),
        ];
        for (text, want) in cases {
            let err = Zone::from_text(text).expect_err(text);
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }
}
