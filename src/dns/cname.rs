//! Following CNAMEs ourselves, where the resolver's own chase says too
//! little: to tell a loop from a name without records, and to show the
//! chain a PTR record was found through.
//!
//! RFC 2317 classless delegation is the common case of the second: the
//! address's reverse name is a CNAME into a zone the address block's owner
//! delegated to its customer (`4.3.2.1.in-addr.arpa` →
//! `4.0/26.3.2.1.in-addr.arpa`), and the PTR record lives there.
//!
//! A recursive resolver chases CNAMEs itself (RFC 1034 §3.6.2) and answers
//! with the chain. One that meets a loop answers SERVFAIL (as the test
//! server does) or NOERROR with the looping records, which hickory then
//! asks about again until its depth is spent and reports as "no records".
//! Neither says "loop". So after a failed or empty lookup the
//! chain is traced one CNAME query at a time, at most [`MAX_CNAMES`]
//! CNAMEs, and a name met twice is named as a loop (RFC 1034 §3.6.2: "CNAME
//! chains should be followed and CNAME loops signalled as an error").
//!
//! The bookkeeping here is pure ([`Chain`], [`follow`], [`trace`] over any
//! way of asking); the queries are the resolver's.

use std::future::Future;

use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};

use super::answer::host_name;
use super::{DnsError, QueryType};
pub use crate::limits::CNAME_CHAIN as MAX_CNAMES;

/// The names from a queried name through each CNAME followed, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chain {
    names: Vec<Name>,
}

/// Why a chain cannot be followed further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Broken {
    /// A CNAME pointed back at a name already in the chain.
    Loop,
    /// More than [`MAX_CNAMES`] CNAMEs.
    TooLong,
}

impl Chain {
    pub(super) fn new(start: Name) -> Chain {
        Chain { names: vec![start] }
    }

    /// The name the chain has reached.
    pub(super) fn last(&self) -> &Name {
        // Never empty: created with its start.
        &self.names[self.names.len() - 1]
    }

    /// Add the target of the last name's CNAME. A target that closes a
    /// loop, or one too many, is added all the same, so that the chain
    /// shows it.
    pub(super) fn push(&mut self, target: Name) -> Result<(), Broken> {
        let seen = self.names.contains(&target);
        self.names.push(target);
        if seen {
            Err(Broken::Loop)
        } else if self.names.len() > MAX_CNAMES + 1 {
            Err(Broken::TooLong)
        } else {
            Ok(())
        }
    }

    /// The names as reports show them: lower case, no trailing dot.
    pub(super) fn display(&self) -> Vec<String> {
        self.names.iter().map(display).collect()
    }

    /// The error of a lookup of `qtype` whose chain broke.
    pub(super) fn error(&self, broken: Broken, qtype: QueryType) -> DnsError {
        let name = display(&self.names[0]);
        let chain = self.display();
        match broken {
            Broken::Loop => DnsError::CnameLoop { name, qtype, chain },
            Broken::TooLong => DnsError::CnameChainTooLong { name, qtype, chain },
        }
    }
}

/// A name as reports show it.
pub(crate) fn display(name: &Name) -> String {
    host_name(&name.to_ascii())
}

/// Follow the CNAMEs in `answers` from the chain's last name, and return
/// the records of type `rtype` found at the name reached (none: the answer
/// ends in a CNAME whose target it has no records for, or in nothing).
/// Records of other owners are ignored, in whatever order they come.
pub(crate) fn follow<'a>(
    chain: &mut Chain,
    answers: &'a [Record],
    rtype: RecordType,
) -> Result<Vec<&'a RData>, Broken> {
    loop {
        let owner = chain.last().clone();
        let data: Vec<&RData> = answers
            .iter()
            .filter(|r| r.name == owner && r.record_type() == rtype)
            .map(|r| &r.data)
            .collect();
        if !data.is_empty() {
            return Ok(data);
        }
        match cname_target(answers, &owner) {
            Some(target) => chain.push(target)?,
            None => return Ok(Vec::new()),
        }
    }
}

/// The target of `owner`'s CNAME in `answers`.
pub(crate) fn cname_target(answers: &[Record], owner: &Name) -> Option<Name> {
    answers.iter().find_map(|r| match &r.data {
        RData::CNAME(target) if &r.name == owner => Some(target.0.clone()),
        _ => None,
    })
}

/// Trace the chain onwards from its last name, one question at a time:
/// `ask` gives a name's CNAME target (`None`: it has none). Returns how the
/// chain broke, if it did; a failed question ends the trace quietly (the
/// caller keeps the error it had).
pub(crate) async fn trace<F, Fut>(chain: &mut Chain, mut ask: F) -> Option<Broken>
where
    F: FnMut(Name) -> Fut,
    Fut: Future<Output = Result<Option<Name>, DnsError>>,
{
    loop {
        match ask(chain.last().clone()).await {
            Ok(Some(target)) => {
                if let Err(broken) = chain.push(target) {
                    return Some(broken);
                }
            }
            Ok(None) | Err(_) => return None,
        }
    }
}

/// `a → b → c`, for messages.
pub(crate) fn chain_text(chain: &[String]) -> String {
    chain.join(" → ")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use hickory_resolver::proto::rr::rdata::{CNAME, PTR};

    use super::*;

    fn name(s: &str) -> Name {
        Name::from_str(s).expect("name")
    }

    fn cname(owner: &str, target: &str) -> Record {
        Record::from_rdata(name(owner), 300, RData::CNAME(CNAME(name(target))))
    }

    fn ptr(owner: &str, target: &str) -> Record {
        Record::from_rdata(name(owner), 300, RData::PTR(PTR(name(target))))
    }

    /// A classless name, as RFC 2317 §4 writes them: `/` is not a hostname
    /// character, so it is built from labels.
    fn classless() -> Name {
        let labels: [&[u8]; 7] = [b"4", b"0/26", b"3", b"2", b"1", b"in-addr", b"arpa"];
        let mut n = Name::from_labels(labels).expect("labels");
        n.set_fqdn(true);
        n
    }

    #[test]
    fn follows_a_classless_delegation_in_any_order() {
        let target = classless();
        let answers = vec![
            Record::from_rdata(
                target.clone(),
                300,
                RData::PTR(PTR(name("mail.example.test."))),
            ),
            ptr("9.9.9.9.in-addr.arpa.", "stranger.example."),
            Record::from_rdata(
                name("4.3.2.1.in-addr.arpa."),
                300,
                RData::CNAME(CNAME(target)),
            ),
        ];
        let mut chain = Chain::new(name("4.3.2.1.IN-ADDR.arpa."));
        let data = follow(&mut chain, &answers, RecordType::PTR).expect("followed");
        assert_eq!(data, vec![&answers[0].data]);
        assert_eq!(
            chain.display(),
            ["4.3.2.1.in-addr.arpa", "4.0/26.3.2.1.in-addr.arpa"]
        );
    }

    #[test]
    fn an_answer_ending_in_a_cname_has_no_data_and_a_chain() {
        let answers = vec![cname("a.example.", "b.example.")];
        let mut chain = Chain::new(name("a.example."));
        assert_eq!(follow(&mut chain, &answers, RecordType::A), Ok(vec![]));
        assert_eq!(chain.last(), &name("b.example."));
        let mut plain = Chain::new(name("c.example."));
        assert_eq!(follow(&mut plain, &answers, RecordType::A), Ok(vec![]));
        assert_eq!(plain.display(), ["c.example"]);
    }

    #[test]
    fn loops_and_long_chains_break_the_chain_and_are_named() {
        let answers = vec![
            cname("mx.example.org.", "a.example.org."),
            cname("a.example.org.", "MX.example.org."),
        ];
        let mut chain = Chain::new(name("mx.example.org."));
        let broken = follow(&mut chain, &answers, RecordType::A).expect_err("loop");
        assert_eq!(broken, Broken::Loop);
        let err = chain.error(broken, QueryType::A);
        assert!(err.is_cname_loop());
        assert_eq!(
            err.to_string(),
            "mx.example.org: CNAME loop mx.example.org → a.example.org → mx.example.org"
        );

        let long: Vec<Record> = (0..20)
            .map(|i| cname(&format!("n{i}.example."), &format!("n{}.example.", i + 1)))
            .collect();
        let mut chain = Chain::new(name("n0.example."));
        let broken = follow(&mut chain, &long, RecordType::A).expect_err("too long");
        assert_eq!(broken, Broken::TooLong);
        assert_eq!(chain.display().len(), MAX_CNAMES + 2);
        assert!(chain
            .error(broken, QueryType::A)
            .to_string()
            .starts_with("n0.example: more than 8 CNAMEs: n0.example → n1.example"));
    }

    #[tokio::test]
    async fn a_trace_asks_until_the_chain_ends_or_breaks() {
        let records = [
            cname("a.example.", "b.example."),
            cname("b.example.", "c.example."),
            cname("x.example.", "y.example."),
            cname("y.example.", "x.example."),
        ];
        let ask = |n: Name| {
            let target = cname_target(&records, &n);
            async move { Ok(target) }
        };
        let mut chain = Chain::new(name("a.example."));
        assert_eq!(trace(&mut chain, ask).await, None);
        assert_eq!(chain.display(), ["a.example", "b.example", "c.example"]);

        let mut chain = Chain::new(name("x.example."));
        assert_eq!(trace(&mut chain, ask).await, Some(Broken::Loop));
        assert_eq!(chain.display(), ["x.example", "y.example", "x.example"]);

        let failing = |_: Name| async {
            Err(DnsError::Other {
                name: "x".into(),
                qtype: QueryType::A,
                reason: "no".into(),
            })
        };
        let mut chain = Chain::new(name("x.example."));
        assert_eq!(trace(&mut chain, failing).await, None);
        assert_eq!(chain.display(), ["x.example"]);
    }
}
