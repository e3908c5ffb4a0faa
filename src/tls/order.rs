//! Which items of a list a server accepts, and whose order it follows, from
//! nothing but its answers to "which of these would you pick?".
//!
//! A [`Chain`] is the question-and-answer state machine for one list (the
//! ciphers of one protocol version, the TLS 1.3 suites, the key-exchange
//! groups): it says what to offer next ([`Chain::next`]), takes the answer
//! ([`Chain::answer`]) and never touches a socket, so every case is testable
//! against a model of a server.
//!
//! The questions, for a list offered in the client's order:
//! 1. Everything: the server picks `p1` (often already known from the broadly
//!    compatible handshake, which offered the same list).
//! 2. Elimination: offer what is left, record the pick, remove it, until the
//!    server refuses. The first two picks often tell the order already: a
//!    `p2` listed before `p1` lost to it, so the server follows its own
//!    order. When they come in the client's order, one offer settles it:
//!    what is left, then `p2`, then `p1`. A server that enforces its order
//!    picks `p1` (it preferred `p1` over all of them); one that follows the
//!    client picks the first other cipher it accepts, or `p2` when there is
//!    none, so that question is also the next step of the elimination.
//! 3. Where failed handshakes are costly (Exim on GnuTLS sleeps half a
//!    second after each), refusals are avoided: the second question is
//!    what is left with `p1` appended last (a server order picks `p1`, a
//!    client order the next cipher, and a server with one cipher `p1`
//!    without refusing), and a client-ordered chain keeps `p1` appended:
//!    when the server picks it, nothing else is accepted, and the chain ends
//!    without a refusal.
//!
//! The order type follows from the same answers: `server` when `p1` won
//! although listed after another accepted item, `client` when every pick is
//! the first acceptable one in the offer, `mixed` when neither holds
//! (equal-preference groups, a choice that depends on something else).
//! Cost for N accepted items: N + 1 questions (one of them the known first
//! pick), one more for a server order whose two top picks come in the
//! client's order; N for a client order where refusals are costly.
//!
//! The sentinel trusts a client-ordered server to be purely so: a server
//! with equal-preference groups that happened to look client-ordered could
//! pick it while another cipher is still accepted. It is used only where
//! refusals are costly, that is on GnuTLS servers, which have no such
//! groups; everywhere else the chain ends with a refusal.
//!
//! Servers that break on long offers (some stop answering above a certain
//! ClientHello size) get bundles: each bundle is eliminated alone, then the
//! union of what they accepted is eliminated once more for the global order.

use crate::spelling::spelling;
use serde::{Deserialize, Serialize};

/// Whose order the server follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderType {
    /// It picks by its own preference whatever the client's order.
    Server,
    /// It picks the client's first acceptable item.
    Client,
    /// Neither consistently (e.g. equal-preference groups, ChaCha20
    /// prioritisation, or a choice that depends on something else).
    Mixed,
}

spelling!(OrderType {
    Server => "server",
    Client => "client",
    Mixed => "mixed",
});

impl std::fmt::Display for OrderType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The server's answer to one offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// It picked this one.
    Picked(String),
    /// It refused with a TLS alert: nothing offered is acceptable.
    Refused,
    /// It closed or reset the connection without an alert: either nothing
    /// is acceptable or the offer itself upset it.
    Dropped,
}

/// The next offer of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ask {
    /// In offer order.
    pub offer: Vec<String>,
    /// The offer holds an item known to be accepted, so the server cannot
    /// refuse it for this list's sake. Two lists can share a handshake
    /// (TLS 1.3 suites and groups) as long as at most one of them may be
    /// refused: a refusal must say whose list it was.
    pub safe: bool,
}

/// Offers longer than this are split into bundles when the server drops a
/// full offer without an alert.
pub(crate) const BUNDLE: usize = 32;

/// The question-and-answer state of one list.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    /// In the client's order.
    candidates: Vec<String>,
    /// In the order the server picked them.
    picked: Vec<String>,
    /// Accepted, but not (yet) a pick of this chain's own offers: the item
    /// to keep offers safe with.
    known: Option<String>,
    /// Find the order too (not for a bundle: the union's chain does that).
    order_test: bool,
    /// Accepted and known to be the server's last choice among the
    /// candidates of a client-ordered server: listed last, it ends the
    /// chain when picked.
    sentinel: Option<String>,
    state: State,
}

#[derive(Debug, Clone)]
enum State {
    /// Nothing asked yet: offer everything.
    Fresh,
    /// `p1` known, nothing else: offer the rest (with `p1` last where
    /// refusals are costly).
    Probe,
    /// `p1` and `p2` known, in the client's order: both orders would have
    /// picked them so. Offer the rest, then `p2`, then `p1`.
    Ambiguous,
    /// The rest-with-`p1`-last offer came back `p1`: either a server order
    /// or nothing else accepted. The next plain offer tells.
    ServerOrSingle,
    Eliminate(OrderType),
    /// The full offer was dropped: eliminate bundle by bundle, then the union.
    Bundles {
        rest: Vec<Vec<String>>,
        current: Box<Chain>,
        accepted: Vec<String>,
    },
    Union(Box<Chain>),
    Done(Option<OrderType>),
}

impl Chain {
    /// A chain over `candidates` (in the client's order). `first`: the
    /// server's answer to an offer of exactly these candidates in this
    /// order, when already known; it saves the first question.
    pub(crate) fn new(candidates: Vec<String>, first: Option<String>) -> Chain {
        let mut chain = Chain {
            candidates,
            picked: Vec::new(),
            known: None,
            order_test: true,
            sentinel: None,
            state: State::Fresh,
        };
        if let Some(first) = first.filter(|f| chain.candidates.contains(f)) {
            chain.picked.push(first);
            chain.state = State::Probe;
        }
        chain.settle();
        chain
    }

    /// Also know that `item` is accepted (learnt elsewhere, in an offer of
    /// another order): offers stay safe from the first question on.
    pub(crate) fn with_known(mut self, item: Option<String>) -> Chain {
        self.known = item.filter(|i| self.candidates.contains(i));
        self
    }

    /// The server is known to take the client's first acceptable item (from
    /// another list), and accepts `last`, the last candidate: every offer
    /// ends with it, and its pick ends the chain without a refusal.
    pub(crate) fn client_ordered_with(mut self, last: String) -> Chain {
        if self.candidates.last() == Some(&last) {
            self.known = Some(last.clone());
            self.sentinel = Some(last);
            self.state = State::Eliminate(OrderType::Client);
        }
        self.settle();
        self
    }

    /// The next offer, or `None` when the chain is done. `costly`: failed
    /// handshakes cost this server more than completed ones.
    pub(crate) fn next(&self, costly: bool) -> Option<Ask> {
        let rest = self.rest();
        let plain = |offer: Vec<String>| {
            let safe = self.known.as_ref().is_some_and(|k| offer.contains(k));
            (!offer.is_empty()).then_some(Ask { offer, safe })
        };
        // What is left, then the given picks: safe, they are accepted.
        let then = |last: &[String]| {
            let mut offer = rest.clone();
            offer.extend(last.iter().cloned());
            Ask { offer, safe: true }
        };
        let sentinel = || {
            let last = self.sentinel.as_ref().or(self.picked.first())?;
            Some(then(std::slice::from_ref(last)))
        };
        match &self.state {
            State::Fresh => plain(self.candidates.clone()),
            State::Probe if rest.is_empty() => None,
            State::Probe if costly => sentinel(),
            State::Ambiguous => {
                let reversed: Vec<String> = self.picked.iter().take(2).rev().cloned().collect();
                Some(then(&reversed))
            }
            State::Eliminate(OrderType::Client)
                if (costly || self.sentinel.is_some()) && !rest.is_empty() =>
            {
                sentinel()
            }
            State::Probe | State::ServerOrSingle | State::Eliminate(_) => plain(rest),
            State::Bundles { current, .. } => current.next(false),
            State::Union(chain) => chain.next(false),
            State::Done(_) => None,
        }
    }

    /// Take the server's answer to `ask` (the last [`Chain::next`]).
    pub(crate) fn answer(&mut self, ask: &Ask, answer: Answer) {
        let state = std::mem::replace(&mut self.state, State::Done(None));
        self.state = match (state, answer) {
            (
                State::Bundles {
                    rest,
                    mut current,
                    accepted,
                },
                answer,
            ) => {
                current.answer(ask, answer);
                self.next_bundle(rest, current, accepted)
            }
            (State::Union(mut chain), answer) => {
                chain.answer(ask, answer);
                match chain.state {
                    State::Done(order) => {
                        self.picked = chain.picked;
                        State::Done(order)
                    }
                    _ => State::Union(chain),
                }
            }
            (State::Fresh, Answer::Picked(p)) if self.offered(ask, &p) => {
                self.picked.push(p);
                State::Probe
            }
            (State::Fresh, Answer::Dropped)
                if self.order_test && self.candidates.len() > BUNDLE =>
            {
                let mut bundles: Vec<Vec<String>> =
                    self.candidates.chunks(BUNDLE).map(<[_]>::to_vec).collect();
                bundles.reverse();
                let first = bundles.pop().unwrap_or_default();
                State::Bundles {
                    rest: bundles,
                    current: Box::new(Chain::bundle(first)),
                    accepted: Vec::new(),
                }
            }
            (State::Probe, Answer::Picked(p)) if self.offered(ask, &p) => {
                let p1 = self.picked.first().cloned().unwrap_or_default();
                if p == p1 {
                    State::ServerOrSingle
                } else {
                    // `p1` offered again (last): it lost to `p` now.
                    let p1_offered = ask.offer.contains(&p1);
                    let after_p1 = self.follows_client(&p);
                    self.picked.push(p);
                    match (after_p1, p1_offered) {
                        // Both orders would have picked `p1`, then `p`.
                        (true, false) if self.order_test => State::Ambiguous,
                        (true, false) => State::Eliminate(OrderType::Mixed),
                        (true, true) => State::Eliminate(OrderType::Client),
                        // `p` was listed before `p1` in the first offer
                        // and lost: the server's order, unless it won now.
                        (false, false) => State::Eliminate(OrderType::Server),
                        (false, true) => State::Eliminate(OrderType::Mixed),
                    }
                }
            }
            (State::Ambiguous, Answer::Picked(p)) if self.offered(ask, &p) => {
                let first_two: Vec<&String> = self.picked.iter().take(2).collect();
                if Some(&&p) == first_two.first() {
                    // `p1` won although listed after everything else.
                    State::Eliminate(OrderType::Server)
                } else if Some(&&p) == first_two.get(1) {
                    // The first acceptable item of the offer was `p2`: the
                    // client's order, and with a pure one nothing else is
                    // accepted; the next (plain) offer makes sure.
                    State::Eliminate(OrderType::Client)
                } else {
                    let order = if self.follows_client(&p) {
                        OrderType::Client
                    } else {
                        OrderType::Mixed
                    };
                    self.picked.push(p);
                    State::Eliminate(order)
                }
            }
            (State::ServerOrSingle, Answer::Picked(p)) if self.offered(ask, &p) => {
                self.picked.push(p);
                State::Eliminate(OrderType::Server)
            }
            (State::Eliminate(order), Answer::Picked(p)) if self.offered(ask, &p) => {
                let last = self.sentinel.as_ref().or(self.picked.first());
                if Some(&p) == last && !self.rest().contains(&p) {
                    // The sentinel: nothing else is accepted.
                    State::Done(Some(order))
                } else {
                    let order = match order {
                        OrderType::Client if !self.follows_client(&p) => OrderType::Mixed,
                        order => order,
                    };
                    self.picked.push(p);
                    State::Eliminate(order)
                }
            }
            // A refusal, a drop, or a pick that was not offered (a broken
            // server): the chain ends with what it has.
            (State::Eliminate(order), _) => State::Done(Some(order)),
            (_, _) => State::Done(None),
        };
        self.settle();
    }

    /// A state with nothing left to ask is done.
    fn settle(&mut self) {
        if !matches!(self.state, State::Done(_)) && self.next(false).is_none() {
            self.state = State::Done(match self.state {
                State::Eliminate(order) => Some(order),
                _ => None,
            });
        }
        if let State::Done(order) = &mut self.state {
            if self.picked.len() < 2 {
                *order = None;
            }
        }
    }

    /// Every accepted item, in the order picked.
    pub(crate) fn picked(&self) -> &[String] {
        &self.picked
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// Whose order the server follows; `None` with fewer than two accepted
    /// items, or before the chain is done.
    pub(crate) fn order(&self) -> Option<OrderType> {
        match self.state {
            State::Done(order) => order,
            _ => None,
        }
    }

    /// A chain for one bundle: no order test, no bundles of its own.
    fn bundle(candidates: Vec<String>) -> Chain {
        Chain {
            order_test: false,
            ..Chain::new(candidates, None)
        }
    }

    fn next_bundle(
        &mut self,
        mut rest: Vec<Vec<String>>,
        current: Box<Chain>,
        mut accepted: Vec<String>,
    ) -> State {
        if !current.is_done() {
            return State::Bundles {
                rest,
                current,
                accepted,
            };
        }
        accepted.extend(current.picked);
        if let Some(next) = rest.pop() {
            return State::Bundles {
                rest,
                current: Box::new(Chain::bundle(next)),
                accepted,
            };
        }
        if accepted.len() <= 1 {
            self.picked = accepted;
            return State::Done(None);
        }
        // Each bundle's order is known; one more elimination over the union
        // (in client order) gives the global order.
        let union: Vec<String> = self
            .candidates
            .iter()
            .filter(|c| accepted.contains(c))
            .cloned()
            .collect();
        State::Union(Box::new(Chain::new(union, None)))
    }

    /// Candidates not picked yet (nor the sentinel), in the client's order.
    fn rest(&self) -> Vec<String> {
        self.candidates
            .iter()
            .filter(|c| !self.picked.contains(c) && self.sentinel.as_ref() != Some(c))
            .cloned()
            .collect()
    }

    fn offered(&self, ask: &Ask, item: &str) -> bool {
        ask.offer.iter().any(|o| o == item)
    }

    /// A client-ordered server picks the first acceptable item of each
    /// offer, and every offer is in the client's order: each pick comes
    /// after the previous one in that order.
    fn follows_client(&self, pick: &str) -> bool {
        let position = |item: &str| self.candidates.iter().position(|c| c == item);
        match (self.picked.last(), position(pick)) {
            (Some(last), Some(p)) => position(last).is_some_and(|l| l < p),
            _ => true,
        }
    }
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
