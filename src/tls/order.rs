//! Finding the ciphers a server accepts and its order of preference, from
//! nothing but its answer to "which of these would you pick?".
//!
//! The algorithms here are pure: they drive an [`Oracle`] (in a scan, a TLS
//! handshake on a fresh STARTTLS session; in tests, a model of a server) and
//! never touch a socket, so every case is testable without one.
//!
//! * [`eliminate`]: offer every candidate still unknown, record the pick,
//!   remove it, repeat until the server refuses: N + 1 questions for N
//!   accepted ciphers. The picks come in the server's order if it enforces
//!   one, in ours if it follows the client.
//! * Servers that break on long offers (some stop answering above a certain
//!   ClientHello size) get bundles: each bundle is eliminated alone, then the
//!   union of what they accepted (small) is eliminated once more for the
//!   global order.
//! * [`order_type`]: the two top ciphers offered in both orders tell whether
//!   the server enforces its own order, follows the client's, or neither.

use std::future::Future;

use serde::{Deserialize, Serialize};

/// The server's answer to one offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<C> {
    /// It picked this one.
    Picked(C),
    /// It refused with a TLS alert: nothing offered is acceptable.
    Refused,
    /// It closed or reset the connection without an alert: either nothing
    /// is acceptable or the offer itself upset it.
    Dropped,
}

/// Asks a server which of the offered candidates it picks.
pub trait Oracle<C> {
    type Error;
    fn pick(&mut self, offer: &[C]) -> impl Future<Output = Result<Answer<C>, Self::Error>>;
}

/// Whose order the server follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderType {
    /// It picks by its own preference whatever the client's order.
    Server,
    /// It picks the client's first acceptable cipher.
    Client,
    /// Neither consistently (e.g. equal-preference groups, ChaCha20
    /// prioritisation, or a choice that depends on something else).
    Mixed,
}

impl std::fmt::Display for OrderType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OrderType::Server => "server",
            OrderType::Client => "client",
            OrderType::Mixed => "mixed",
        })
    }
}

/// Offers longer than this are split into bundles when the server drops a
/// full offer without an alert.
pub const BUNDLE: usize = 32;

/// The accepted candidates, in the order the server picked them.
///
/// `candidates` is in the client's preference order; every offer keeps that
/// order. `first` is the server's answer to the full offer when it is
/// already known (from an earlier handshake), saving one question. An answer
/// naming something that was not offered (a broken server) ends the
/// elimination rather than looping.
pub async fn eliminate<C, O>(
    oracle: &mut O,
    candidates: &[C],
    first: Option<C>,
) -> Result<Vec<C>, O::Error>
where
    C: Clone + PartialEq,
    O: Oracle<C>,
{
    if let Some(first) = first.filter(|f| candidates.contains(f)) {
        let rest: Vec<C> = candidates
            .iter()
            .filter(|c| **c != first)
            .cloned()
            .collect();
        let mut picked = vec![first];
        picked.extend(eliminate_plain(oracle, &rest).await?.0);
        return Ok(picked);
    }
    let (picked, dropped_first) = eliminate_plain(oracle, candidates).await?;
    if !(dropped_first && picked.is_empty() && candidates.len() > BUNDLE) {
        return Ok(picked);
    }
    // The full offer was dropped: maybe the server chokes on its size.
    let mut accepted = Vec::new();
    for bundle in candidates.chunks(BUNDLE) {
        accepted.extend(eliminate_plain(oracle, bundle).await?.0);
    }
    if accepted.len() <= 1 {
        return Ok(accepted);
    }
    // Each bundle's order is known; one more elimination over the union (in
    // client order) gives the global order.
    let union: Vec<C> = candidates
        .iter()
        .filter(|c| accepted.contains(c))
        .cloned()
        .collect();
    Ok(eliminate_plain(oracle, &union).await?.0)
}

/// Plain elimination; also says whether the very first offer was dropped.
async fn eliminate_plain<C, O>(oracle: &mut O, candidates: &[C]) -> Result<(Vec<C>, bool), O::Error>
where
    C: Clone + PartialEq,
    O: Oracle<C>,
{
    let mut remaining: Vec<C> = candidates.to_vec();
    let mut picked = Vec::new();
    let mut dropped_first = false;
    while !remaining.is_empty() {
        match oracle.pick(&remaining).await? {
            Answer::Picked(c) => match remaining.iter().position(|r| *r == c) {
                Some(i) => picked.push(remaining.remove(i)),
                None => break,
            },
            Answer::Dropped => {
                dropped_first = picked.is_empty();
                break;
            }
            Answer::Refused => break,
        }
    }
    Ok((picked, dropped_first))
}

/// Whose order the server follows, from `top` (its first pick) and `second`
/// (its second), each offered first once.
pub async fn order_type<C, O>(oracle: &mut O, top: &C, second: &C) -> Result<OrderType, O::Error>
where
    C: Clone + PartialEq,
    O: Oracle<C>,
{
    let forward = oracle.pick(&[top.clone(), second.clone()]).await?;
    let reverse = oracle.pick(&[second.clone(), top.clone()]).await?;
    Ok(match (forward, reverse) {
        (Answer::Picked(f), Answer::Picked(r)) if f == *top && r == *top => OrderType::Server,
        (Answer::Picked(f), Answer::Picked(r)) if f == *top && r == *second => OrderType::Client,
        _ => OrderType::Mixed,
    })
}

/// The two ciphers to test the order with: the server's top two picks,
/// leaving out ChaCha20 where possible (a server that prioritises ChaCha20
/// picks it whenever the client lists it first, which would look like client
/// order).
pub fn order_probe_pair<C: Clone>(picked: &[C], is_chacha: impl Fn(&C) -> bool) -> Option<(C, C)> {
    let mut plain = picked.iter().filter(|c| !is_chacha(c));
    match (plain.next(), plain.next()) {
        (Some(a), Some(b)) => Some((a.clone(), b.clone())),
        _ => match picked {
            [a, b, ..] => Some((a.clone(), b.clone())),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    /// A model server.
    struct Model {
        /// Accepted ciphers in the server's preference order.
        prefs: Vec<&'static str>,
        order: OrderType,
        /// ChaCha20 first when the client lists it first.
        prioritise_chacha: bool,
        /// Drops offers longer than this without an alert.
        max_offer: usize,
        questions: usize,
    }

    impl Model {
        fn new(prefs: &[&'static str], order: OrderType) -> Model {
            Model {
                prefs: prefs.to_vec(),
                order,
                prioritise_chacha: false,
                max_offer: usize::MAX,
                questions: 0,
            }
        }
    }

    impl Oracle<&'static str> for Model {
        type Error = Infallible;
        async fn pick(
            &mut self,
            offer: &[&'static str],
        ) -> Result<Answer<&'static str>, Infallible> {
            self.questions += 1;
            if offer.len() > self.max_offer {
                return Ok(Answer::Dropped);
            }
            if self.prioritise_chacha
                && offer[0].contains("CHACHA")
                && self.prefs.contains(&offer[0])
            {
                return Ok(Answer::Picked(offer[0]));
            }
            let pick = match self.order {
                OrderType::Server | OrderType::Mixed => {
                    self.prefs.iter().find(|p| offer.contains(p)).copied()
                }
                OrderType::Client => offer.iter().find(|o| self.prefs.contains(o)).copied(),
            };
            Ok(pick.map_or(Answer::Refused, Answer::Picked))
        }
    }

    fn run<F: Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    const CLIENT: &[&str] = &[
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-SHA",
        "DHE-RSA-AES256-SHA",
        "AES256-SHA",
        "DES-CBC3-SHA",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ];

    #[test]
    fn server_order_comes_out_as_configured_in_n_plus_one_questions() {
        // The kabelmail case: SSLv3-era cipher first.
        let prefs = [
            "DHE-RSA-AES256-SHA",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "AES256-SHA",
        ];
        let mut m = Model::new(&prefs, OrderType::Server);
        let got = run(eliminate(&mut m, CLIENT, None)).expect("infallible");
        assert_eq!(got, prefs);
        assert_eq!(m.questions, prefs.len() + 1);
        assert_eq!(
            run(order_type(&mut m, &got[0], &got[1])).expect("infallible"),
            OrderType::Server
        );
    }

    #[test]
    fn client_order_is_recognised() {
        let prefs = ["DES-CBC3-SHA", "AES256-SHA", "ECDHE-RSA-AES128-GCM-SHA256"];
        let mut m = Model::new(&prefs, OrderType::Client);
        let got = run(eliminate(&mut m, CLIENT, None)).expect("infallible");
        // Our order, not the server's: the caller must not present it as a
        // preference.
        assert_eq!(
            got,
            ["ECDHE-RSA-AES128-GCM-SHA256", "AES256-SHA", "DES-CBC3-SHA"]
        );
        assert_eq!(
            run(order_type(&mut m, &got[0], &got[1])).expect("infallible"),
            OrderType::Client
        );
    }

    #[test]
    fn chacha_prioritisation_does_not_skew_the_order() {
        let prefs = [
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-RSA-CHACHA20-POLY1305",
            "ECDHE-RSA-AES128-GCM-SHA256",
        ];
        let mut m = Model::new(&prefs, OrderType::Server);
        m.prioritise_chacha = true;
        let got = run(eliminate(&mut m, CLIENT, None)).expect("infallible");
        assert_eq!(got, prefs);
        let (a, b) = order_probe_pair(&got, |c| c.contains("CHACHA")).expect("two ciphers");
        assert_eq!((a, b), (prefs[0], prefs[2]));
        assert_eq!(
            run(order_type(&mut m, &a, &b)).expect("infallible"),
            OrderType::Server
        );
    }

    #[test]
    fn inconsistent_answers_are_mixed() {
        struct Contrary;
        impl Oracle<u8> for Contrary {
            type Error = Infallible;
            async fn pick(&mut self, offer: &[u8]) -> Result<Answer<u8>, Infallible> {
                Ok(Answer::Picked(offer[offer.len() - 1]))
            }
        }
        assert_eq!(
            run(order_type(&mut Contrary, &1, &2)).expect("infallible"),
            OrderType::Mixed
        );
    }

    #[test]
    fn offers_too_long_for_the_server_fall_back_to_bundles() {
        let client: Vec<&'static str> = (0..100)
            .map(|i| &*Box::leak(format!("C{i:03}").into_boxed_str()))
            .collect();
        let prefs = [client[70], client[5], client[40], client[99]];
        let mut m = Model::new(&prefs, OrderType::Server);
        m.max_offer = 40;
        let got = run(eliminate(&mut m, &client, None)).expect("infallible");
        assert_eq!(got, prefs);
    }

    #[test]
    fn a_known_first_pick_saves_a_question() {
        let prefs = ["AES256-SHA", "DES-CBC3-SHA"];
        let mut m = Model::new(&prefs, OrderType::Server);
        let got = run(eliminate(&mut m, CLIENT, Some("AES256-SHA"))).expect("infallible");
        assert_eq!(got, prefs);
        assert_eq!(m.questions, 2);
    }

    #[test]
    fn nothing_accepted_is_one_question() {
        let mut m = Model::new(&[], OrderType::Server);
        assert!(run(eliminate(&mut m, CLIENT, None))
            .expect("infallible")
            .is_empty());
        assert_eq!(m.questions, 1);
    }

    #[test]
    fn a_pick_that_was_not_offered_ends_the_elimination() {
        struct Liar;
        impl Oracle<u8> for Liar {
            type Error = Infallible;
            async fn pick(&mut self, _: &[u8]) -> Result<Answer<u8>, Infallible> {
                Ok(Answer::Picked(99))
            }
        }
        assert!(run(eliminate(&mut Liar, &[1, 2, 3], None))
            .expect("infallible")
            .is_empty());
    }
}
