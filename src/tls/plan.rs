//! The enumeration as a plan of questions: which versions, which ciphers in
//! which order, which groups, asked of a [`Server`] that answers one
//! handshake's offer at a time. Pure: the server is a trait, so the whole
//! plan runs against models in the tests; `enumerate` puts real handshakes
//! behind it.
//!
//! What makes it cheap (every question is a connection, and on servers that
//! pause before their greeting a connection is seconds):
//! * **Versions together.** A server picks the newest version both sides
//!   have, so the broadly compatible handshake (offering SSLv3 to TLS 1.3)
//!   already says every newer version is refused. Below it, one offer "up to
//!   version V" either names the next older version the server accepts,
//!   with its first cipher pick (the first step of that version's
//!   elimination), or is refused, which covers every version down to SSLv3
//!   in one handshake.
//! * **Chains per list** ([`Chain`]): ciphers per version, TLS 1.3 suites,
//!   groups, each found by elimination, with the order test made of the
//!   same answers and refusals avoided where they are costly.
//! * **Two questions per handshake.** A TLS 1.3 handshake picks a suite and
//!   a group: the suite chain and the group chain share handshakes as long
//!   as at most one of the two offers can be refused.
//! * **Groups by elimination**: offer every untested group, record the pick,
//!   remove it; N + 1 handshakes for N supported groups instead of one per
//!   group tested, and the server's group preference on the way.
//!
//! Independent chains run concurrently; the source of sessions behind the
//! server decides how many connections that really means.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use futures::stream::{FuturesUnordered, StreamExt};

use super::incomplete::{Incomplete, Part, Reason};
use super::order::{Answer, Chain, OrderType};
use super::Protocol;

/// One handshake's offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Question {
    pub min: Protocol,
    pub max: Protocol,
    /// ≤ TLS 1.2 ciphers in offer order; empty when `max` is TLS 1.3 and
    /// `min` too.
    pub ciphers: Vec<String>,
    /// TLS 1.3 suites in offer order; empty below TLS 1.3.
    pub suites: Vec<String>,
    /// Key-exchange groups in offer order; `None`: the client's defaults.
    pub groups: Option<Vec<String>>,
    /// The group the server picks is wanted (with TLS ≤ 1.2 it is known only
    /// after the key exchange).
    pub want_group: bool,
}

/// The server's answer to one [`Question`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Chose {
        protocol: Protocol,
        cipher: String,
        /// When known (TLS 1.3 always; TLS ≤ 1.2 when `want_group`).
        group: Option<String>,
    },
    /// A TLS alert; why, for humans.
    Refused(String),
    /// The connection closed instead (asked twice by the server already).
    Dropped(String),
}

/// Answers questions, one handshake each; a failure says why no answer
/// could be had.
pub(crate) trait Server: Sync {
    fn ask(&self, q: Question) -> impl Future<Output = Result<Reply, Reason>> + Send;
    /// Whether failed handshakes cost this server more than completed ones
    /// (true while unknown: the careful choice), once the failed handshakes
    /// so far have been measured.
    fn failures_costly(&self) -> impl Future<Output = bool> + Send;
}

/// What there is to offer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lists {
    /// Per version (TLS 1.3: its suites), in offer order, ChaCha20 last.
    pub ciphers: BTreeMap<Protocol, Vec<String>>,
    /// The ≤ TLS 1.2 ciphers with ECDHE key exchange.
    pub ecdhe: Vec<String>,
    /// Of those, the ones authenticated by an ECDSA certificate.
    pub ecdsa: Vec<String>,
    /// Groups tested with TLS 1.3.
    pub tls13_groups: Vec<String>,
    /// Curves tested with TLS ≤ 1.2 when the server has no TLS 1.3.
    pub tls12_curves: Vec<String>,
    /// Curves below 256 bits, tested on TLS ≤ 1.2 even with TLS 1.3.
    pub weak_curves: Vec<String>,
}

impl Lists {
    fn for_version(&self, p: Protocol) -> Vec<String> {
        self.ciphers.get(&p).cloned().unwrap_or_default()
    }
}

/// What the broadly compatible handshake (everything offered, the same
/// lists in the same order) negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Main {
    pub protocol: Protocol,
    pub cipher: String,
    pub group: Option<String>,
    /// The curve of its certificate's key, when that is an EC key (as a
    /// group name: `secp256r1`).
    pub cert_curve: Option<String>,
}

/// What the plan found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// Every version, oldest first.
    pub versions: Vec<VersionFound>,
    /// Supported groups per version tested, each list in the order picked.
    pub groups: Vec<GroupsFound>,
    /// Why the result is incomplete; empty when it is complete.
    pub incomplete: Vec<Incomplete>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionFound {
    pub protocol: Protocol,
    /// `None` when it could not be determined.
    pub supported: Option<bool>,
    /// In the order picked.
    pub ciphers: Vec<String>,
    pub order: Option<OrderType>,
    /// How the server refused it, when it did.
    pub refusal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupsFound {
    pub protocol: Protocol,
    /// In the order picked.
    pub groups: Vec<String>,
    pub order: Option<OrderType>,
}

/// Run the whole plan. `main`: the broadly compatible handshake's answer,
/// if it had one; `groups`: test key-exchange groups too.
pub(crate) async fn run<S: Server>(
    server: &S,
    lists: &Lists,
    main: Option<&Main>,
    groups: bool,
) -> Found {
    let mut plan = Plan {
        server,
        lists,
        groups,
        versions: Protocol::ALL
            .iter()
            .map(|&protocol| VersionFound {
                protocol,
                supported: None,
                ciphers: Vec::new(),
                order: None,
                refusal: None,
            })
            .collect(),
        found_groups: Vec::new(),
        incomplete: Vec::new(),
        chains_open: Vec::new(),
        curves_started: false,
        costly: true,
        seen_groups: BTreeMap::new(),
        cert_curve: main.and_then(|m| m.cert_curve.clone()),
    };
    // The versions, one question after another: each answer says where
    // the next starts.
    let mut firsts = Vec::new();
    let mut next = match main {
        Some(m) => {
            let note = format!(
                "not chosen: the server picked {} from an offer up to TLSv1.3",
                m.protocol
            );
            for v in plan.versions.iter_mut().filter(|v| v.protocol > m.protocol) {
                v.supported = Some(false);
                v.refusal = Some(note.clone());
            }
            firsts.push((m.protocol, m.cipher.clone(), m.group.clone()));
            m.protocol.older()
        }
        None => Some(Protocol::Tls1_3),
    };
    while let Some(max) = next {
        next = None;
        match discover(server, lists, max).await {
            Ok(Reply::Chose {
                protocol,
                cipher,
                group,
            }) if protocol <= max => {
                let note =
                    format!("not chosen: the server picked {protocol} from an offer up to {max}");
                for v in plan
                    .versions
                    .iter_mut()
                    .filter(|v| v.protocol > protocol && v.protocol <= max)
                {
                    v.supported = Some(false);
                    v.refusal = Some(note.clone());
                }
                firsts.push((protocol, cipher, group));
                next = protocol.older();
            }
            Ok(Reply::Chose { protocol, .. }) => plan.incomplete.push(Incomplete::new(
                Part::VersionsUpTo(max),
                Reason::Inconsistent(format!(
                    "the server chose {protocol}, which was not offered"
                )),
            )),
            Ok(Reply::Refused(why) | Reply::Dropped(why)) => {
                for v in plan.versions.iter_mut().filter(|v| v.protocol <= max) {
                    v.supported = Some(false);
                    v.refusal = Some(why.clone());
                }
            }
            Err(e) => plan
                .incomplete
                .push(Incomplete::new(Part::VersionsUpTo(max), e)),
        }
    }
    // One decision for every chain, taken once the refusal that ended the
    // versions has been measured: the same server always gets the same
    // questions.
    plan.costly = server.failures_costly().await;
    let mut work: FuturesUnordered<Work<'_>> = FuturesUnordered::new();
    for (protocol, cipher, group) in firsts {
        plan.accepted(&mut work, protocol, cipher, group);
    }
    plan.maybe_start_curves(&mut work);
    while let Some(event) = work.next().await {
        plan.event(&mut work, event);
    }
    plan.finish()
}

type Work<'a> = Pin<Box<dyn Future<Output = Event> + Send + 'a>>;

enum Event {
    Chain {
        protocol: Protocol,
        chain: Chain,
        error: Option<Reason>,
        refusal: Option<String>,
        /// Groups the replies named (completed TLS ≤ 1.2 handshakes).
        groups: Vec<String>,
    },
    Tls13 {
        suites: Chain,
        groups: Option<Chain>,
        error: Option<Reason>,
        refusal: Option<String>,
    },
    Curves {
        protocol: Protocol,
        chain: Chain,
        /// Only these are reported (the known curve added as a sentinel is not).
        report: Vec<String>,
        error: Option<Reason>,
    },
}

struct Plan<'a, S> {
    server: &'a S,
    lists: &'a Lists,
    groups: bool,
    versions: Vec<VersionFound>,
    found_groups: Vec<GroupsFound>,
    incomplete: Vec<Incomplete>,
    /// Versions whose cipher chain is still running.
    chains_open: Vec<Protocol>,
    curves_started: bool,
    /// Failed handshakes are costly at this server (or not known to be cheap).
    costly: bool,
    /// TLS ≤ 1.2 groups the server negotiated, per version.
    seen_groups: BTreeMap<Protocol, Vec<String>>,
    /// The curve of an ECDSA certificate.
    cert_curve: Option<String>,
}

impl<'a, S: Server> Plan<'a, S> {
    fn version(&mut self, p: Protocol) -> &mut VersionFound {
        let i = Protocol::ALL.iter().position(|v| *v == p).unwrap_or(0);
        &mut self.versions[i]
    }

    /// `protocol` is accepted and `cipher` is the server's pick from the
    /// full list: start its chain.
    fn accepted(
        &mut self,
        work: &mut FuturesUnordered<Work<'a>>,
        protocol: Protocol,
        cipher: String,
        group: Option<String>,
    ) {
        self.version(protocol).supported = Some(true);
        let (server, lists, costly) = (self.server, self.lists, self.costly);
        self.chains_open.push(protocol);
        if protocol == Protocol::Tls1_3 {
            let groups = self.groups;
            work.push(Box::pin(tls13(
                server, lists, cipher, group, groups, costly,
            )));
        } else {
            if let Some(g) = group {
                self.seen_groups.entry(protocol).or_default().push(g);
            }
            work.push(Box::pin(cipher_chain(
                server, lists, protocol, cipher, costly,
            )));
        }
    }

    fn event(&mut self, work: &mut FuturesUnordered<Work<'a>>, event: Event) {
        match event {
            Event::Chain {
                protocol,
                chain,
                error,
                refusal,
                groups,
            } => {
                self.chains_open.retain(|p| *p != protocol);
                self.seen_groups.entry(protocol).or_default().extend(groups);
                self.record_version(protocol, &chain, error, refusal);
            }
            Event::Tls13 {
                suites,
                groups,
                error,
                refusal,
            } => {
                self.chains_open.retain(|p| *p != Protocol::Tls1_3);
                self.record_version(Protocol::Tls1_3, &suites, error.clone(), refusal);
                if let Some(g) = groups {
                    self.found_groups.push(GroupsFound {
                        protocol: Protocol::Tls1_3,
                        groups: g.picked().to_vec(),
                        order: g.order(),
                    });
                    if let (Some(e), false) = (error, g.is_done()) {
                        self.incomplete
                            .push(Incomplete::new(Part::Groups(Protocol::Tls1_3), e));
                    }
                }
            }
            Event::Curves {
                protocol,
                chain,
                report,
                error,
            } => {
                self.found_groups.push(GroupsFound {
                    protocol,
                    groups: chain
                        .picked()
                        .iter()
                        .filter(|g| report.contains(g))
                        .cloned()
                        .collect(),
                    order: chain.order(),
                });
                if let Some(e) = error {
                    self.incomplete
                        .push(Incomplete::new(Part::Groups(protocol), e));
                }
            }
        }
        self.maybe_start_curves(work);
    }

    fn record_version(
        &mut self,
        protocol: Protocol,
        chain: &Chain,
        error: Option<Reason>,
        refusal: Option<String>,
    ) {
        let failed = error.is_some();
        if let Some(e) = error {
            self.incomplete
                .push(Incomplete::new(Part::Version(protocol), e));
        }
        let v = self.version(protocol);
        v.ciphers = chain.picked().to_vec();
        v.order = if failed { None } else { chain.order() };
        v.supported = match (v.ciphers.is_empty(), failed) {
            (false, _) => Some(true),
            (true, false) => Some(false),
            (true, true) => None,
        };
        if v.supported == Some(false) {
            v.refusal = refusal;
        }
    }

    /// Curves on TLS ≤ 1.2, once the newest such version with an ECDHE
    /// cipher is known: all of them without TLS 1.3, the weak ones with it.
    fn maybe_start_curves(&mut self, work: &mut FuturesUnordered<Work<'a>>) {
        if !self.groups || self.curves_started {
            return;
        }
        let tls13 = self.versions.last().and_then(|v| v.supported);
        // Where refusals are costly, the TLS 1.3 group chain first: the
        // group order it finds spares the curves their refusal.
        if tls13.is_none() || (self.costly && self.chains_open.contains(&Protocol::Tls1_3)) {
            return;
        }
        let mut target = None;
        for v in self
            .versions
            .iter()
            .rev()
            .filter(|v| v.protocol < Protocol::Tls1_3)
        {
            if v.supported.is_none() || self.chains_open.contains(&v.protocol) {
                return;
            }
            let ecdhe: Vec<String> = v
                .ciphers
                .iter()
                .filter(|c| self.lists.ecdhe.contains(c))
                .cloned()
                .collect();
            if !ecdhe.is_empty() {
                target = Some((v.protocol, ecdhe));
                break;
            }
        }
        let Some((protocol, ecdhe)) = target else {
            // Every version resolved and none with ECDHE: nothing to test.
            if self.chains_open.is_empty() && self.versions.iter().all(|v| v.supported.is_some()) {
                self.curves_started = true;
            }
            return;
        };
        self.curves_started = true;
        let report = if tls13 == Some(true) {
            self.lists.weak_curves.clone()
        } else {
            self.lists.tls12_curves.clone()
        };
        let known = self
            .seen_groups
            .get(&protocol)
            .and_then(|g| g.first())
            .cloned();
        let client_order = self
            .found_groups
            .iter()
            .any(|g| g.protocol == Protocol::Tls1_3 && g.order == Some(OrderType::Client));
        // OpenSSL refuses an ECDSA certificate on a curve it did not offer:
        // ECDHE-RSA ciphers where the server has them, else the
        // certificate's curve goes into every offer.
        let rsa: Vec<String> = ecdhe
            .iter()
            .filter(|c| !self.lists.ecdsa.contains(c))
            .cloned()
            .collect();
        let (ciphers, also) = if rsa.is_empty() {
            (ecdhe, self.cert_curve.clone())
        } else {
            (rsa, None)
        };
        let server = self.server;
        work.push(Box::pin(curves(
            server,
            Curves {
                protocol,
                ciphers,
                report,
                known,
                also,
                client_order,
            },
            self.costly,
        )));
    }

    fn finish(mut self) -> Found {
        // Versions never resolved (a failed discovery) stay unknown.
        let mut groups = std::mem::take(&mut self.found_groups);
        groups.sort_by_key(|g| std::cmp::Reverse(g.protocol));
        Found {
            versions: self.versions,
            groups,
            incomplete: self.incomplete,
        }
    }
}

/// "Up to `max`": the full list of `max`, every version from SSLv3.
async fn discover<S: Server>(server: &S, lists: &Lists, max: Protocol) -> Result<Reply, Reason> {
    let tls13 = max == Protocol::Tls1_3;
    let q = Question {
        min: Protocol::Ssl3,
        max,
        ciphers: lists.for_version(if tls13 { Protocol::Tls1_2 } else { max }),
        suites: if tls13 {
            lists.for_version(Protocol::Tls1_3)
        } else {
            Vec::new()
        },
        groups: None,
        want_group: false,
    };
    server.ask(q).await
}

/// How one reply goes into a chain, and what the plan keeps of it.
fn answer_of(reply: &Reply, item: impl Fn(&Reply) -> Option<String>) -> Answer {
    match reply {
        Reply::Chose { .. } => item(reply).map_or(Answer::Dropped, Answer::Picked),
        Reply::Refused(_) => Answer::Refused,
        Reply::Dropped(_) => Answer::Dropped,
    }
}

fn refusal_of(reply: &Reply) -> Option<String> {
    match reply {
        Reply::Refused(why) | Reply::Dropped(why) => Some(why.clone()),
        Reply::Chose { .. } => None,
    }
}

fn cipher_of(reply: &Reply) -> Option<String> {
    match reply {
        Reply::Chose { cipher, .. } => Some(cipher.clone()),
        _ => None,
    }
}

fn group_of(reply: &Reply) -> Option<String> {
    match reply {
        Reply::Chose { group, .. } => group.clone(),
        _ => None,
    }
}

/// Elimination and order of one version's ciphers (≤ TLS 1.2).
async fn cipher_chain<S: Server>(
    server: &S,
    lists: &Lists,
    protocol: Protocol,
    first: String,
    costly: bool,
) -> Event {
    let mut chain = Chain::new(lists.for_version(protocol), Some(first));
    let (mut error, mut refusal, mut groups) = (None, None, Vec::new());
    while let Some(ask) = chain.next(costly) {
        let q = Question {
            min: protocol,
            max: protocol,
            ciphers: ask.offer.clone(),
            suites: Vec::new(),
            groups: None,
            want_group: false,
        };
        match server.ask(q).await {
            Ok(reply) => {
                groups.extend(group_of(&reply));
                refusal = refusal_of(&reply);
                chain.answer(&ask, answer_of(&reply, cipher_of));
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    Event::Chain {
        protocol,
        chain,
        error,
        refusal,
        groups,
    }
}

/// TLS 1.3: the suite chain and the group chain, sharing handshakes.
async fn tls13<S: Server>(
    server: &S,
    lists: &Lists,
    first: String,
    group: Option<String>,
    with_groups: bool,
    costly: bool,
) -> Event {
    let mut suites = Chain::new(lists.for_version(Protocol::Tls1_3), Some(first.clone()));
    let mut groups =
        with_groups.then(|| Chain::new(lists.tls13_groups.clone(), None).with_known(group.clone()));
    // Offers that cannot be refused for their list's sake.
    let safe_suite = vec![first];
    let safe_groups = group.map(|g| vec![g]);
    let (mut error, mut refusal) = (None, None);
    loop {
        let a = suites.next(costly);
        let b = groups.as_ref().and_then(|g| g.next(costly));
        // A refusal must say whose list it was: at most one unsafe offer.
        let (a, b) = match (a, b) {
            (None, None) => break,
            (Some(a), Some(b)) if !a.safe && !b.safe => (Some(a), None),
            pair => pair,
        };
        let q = Question {
            min: Protocol::Tls1_3,
            max: Protocol::Tls1_3,
            ciphers: Vec::new(),
            suites: a
                .as_ref()
                .map_or_else(|| safe_suite.clone(), |a| a.offer.clone()),
            groups: b
                .as_ref()
                .map_or_else(|| safe_groups.clone(), |b| Some(b.offer.clone())),
            want_group: b.is_some(),
        };
        let reply = match server.ask(q).await {
            Ok(reply) => reply,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        if let Reply::Chose { .. } = reply {
            if let Some(a) = &a {
                suites.answer(a, answer_of(&reply, cipher_of));
            }
            if let (Some(b), Some(g)) = (&b, groups.as_mut()) {
                g.answer(b, answer_of(&reply, group_of));
            }
            continue;
        }
        // Refused: the one unsafe offer's list was refused.
        match (&a, &b) {
            (Some(a), _) if !a.safe => {
                refusal = refusal_of(&reply);
                suites.answer(a, answer_of(&reply, cipher_of));
            }
            (_, Some(b)) if !b.safe => {
                if let Some(g) = groups.as_mut() {
                    g.answer(b, answer_of(&reply, group_of));
                }
            }
            _ => {
                // A safe offer refused: the server is not consistent; stop
                // rather than ask for ever.
                error = Some(Reason::Inconsistent(format!(
                    "the server refused an offer it had accepted before ({})",
                    refusal_of(&reply).unwrap_or_default()
                )));
                break;
            }
        }
    }
    Event::Tls13 {
        suites,
        groups,
        error,
        refusal,
    }
}

/// What to test curves on one TLS ≤ 1.2 version with.
struct Curves {
    protocol: Protocol,
    /// Accepted ECDHE ciphers: the server picks a curve or, sharing none,
    /// refuses.
    ciphers: Vec<String>,
    /// The curves to find.
    report: Vec<String>,
    /// A curve the server negotiated on this version already.
    known: Option<String>,
    /// A curve to add to every offer (the ECDSA certificate's) and to read
    /// as "none of the others" when picked (see below).
    also: Option<String>,
    /// The server takes the client's first acceptable group (its TLS 1.3
    /// groups said so).
    client_order: bool,
}

/// Curves on one TLS ≤ 1.2 version. Where the server is known to take the
/// client's first acceptable group, the known curve goes last in every
/// offer: once it is picked, nothing else is supported, and no offer is
/// refused. The `also` curve is last in every offer too: a pick of it means
/// none of the others was acceptable (with a server order, it may hide
/// curves the server ranks below it: an OpenSSL client cannot test those).
async fn curves<S: Server>(server: &S, c: Curves, costly: bool) -> Event {
    let mut candidates = c.report.clone();
    let sentinel = c
        .known
        .filter(|k| c.client_order && !candidates.contains(k) && c.also.as_ref() != Some(k));
    let mut chain = match sentinel {
        Some(k) => {
            candidates.push(k.clone());
            Chain::new(candidates, None).client_ordered_with(k)
        }
        None => Chain::new(candidates, None),
    };
    let mut error = None;
    while let Some(ask) = chain.next(costly) {
        let mut groups = ask.offer.clone();
        let extra = c.also.as_ref().filter(|a| !groups.contains(a));
        groups.extend(extra.cloned());
        let q = Question {
            min: c.protocol,
            max: c.protocol,
            ciphers: c.ciphers.clone(),
            suites: Vec::new(),
            groups: Some(groups),
            want_group: true,
        };
        match server.ask(q).await {
            Ok(reply) => {
                let answer = match answer_of(&reply, group_of) {
                    Answer::Picked(g) if extra == Some(&g) => Answer::Refused,
                    answer => answer,
                };
                chain.answer(&ask, answer);
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    Event::Curves {
        protocol: c.protocol,
        chain,
        report: c.report,
        error,
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
