//! Chains against models of servers: what they find, and what it costs.

use super::*;

/// A model server.
struct Model {
    /// Accepted items in the server's preference order; items in one inner
    /// list are of equal preference (picked in the client's order).
    prefs: Vec<Vec<&'static str>>,
    order: OrderType,
    /// ChaCha20 first when the client lists it first.
    prioritise_chacha: bool,
    /// Drops offers longer than this without an alert.
    max_offer: usize,
}

impl Model {
    fn new(prefs: &[&'static str], order: OrderType) -> Model {
        Model {
            prefs: prefs.iter().map(|p| vec![*p]).collect(),
            order,
            prioritise_chacha: false,
            max_offer: usize::MAX,
        }
    }

    fn accepts(&self, item: &str) -> bool {
        self.prefs.iter().flatten().any(|p| *p == item)
    }

    fn pick(&self, offer: &[String]) -> Answer {
        if offer.len() > self.max_offer {
            return Answer::Dropped;
        }
        if self.prioritise_chacha && offer[0].contains("CHACHA") && self.accepts(&offer[0]) {
            return Answer::Picked(offer[0].clone());
        }
        let pick = match self.order {
            OrderType::Server | OrderType::Mixed => self
                .prefs
                .iter()
                .find_map(|group| offer.iter().find(|o| group.contains(&o.as_str())).cloned()),
            OrderType::Client => offer.iter().find(|o| self.accepts(o)).cloned(),
        };
        pick.map_or(Answer::Refused, Answer::Picked)
    }
}

/// What running a chain to its end gave and cost.
#[derive(Debug)]
struct Run {
    picked: Vec<String>,
    order: Option<OrderType>,
    questions: usize,
    refusals: usize,
}

fn run(mut chain: Chain, model: &Model, costly: bool) -> Run {
    let (mut questions, mut refusals) = (0, 0);
    while let Some(ask) = chain.next(costly) {
        questions += 1;
        assert!(questions < 1000, "the chain does not end");
        let answer = model.pick(&ask.offer);
        if answer != Answer::Dropped && !matches!(answer, Answer::Picked(_)) {
            refusals += 1;
            assert!(!ask.safe, "a safe offer was refused: {:?}", ask.offer);
        }
        chain.answer(&ask, answer);
    }
    Run {
        picked: chain.picked().to_vec(),
        order: chain.order(),
        questions,
        refusals,
    }
}

fn list(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// mxprobe's offer order (strongest first, ChaCha20 last).
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

fn chain() -> Chain {
    Chain::new(list(CLIENT), None)
}

#[test]
fn server_order_comes_out_as_configured() {
    // The kabelmail case: an SSLv3-era cipher first. Its second pick comes
    // before its first in the client's order: the order is known for free.
    let prefs = [
        "DHE-RSA-AES256-SHA",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "AES256-SHA",
    ];
    for costly in [false, true] {
        let r = run(chain(), &Model::new(&prefs, OrderType::Server), costly);
        assert_eq!(r.picked, prefs);
        assert_eq!(r.order, Some(OrderType::Server));
        // N + 1 (the last a refusal); where refusals are costly one more:
        // the safe second question comes back with the first pick.
        assert_eq!(
            r.questions,
            prefs.len() + 1 + usize::from(costly),
            "{costly}"
        );
        assert_eq!(r.refusals, 1);
    }
}

#[test]
fn server_order_like_the_clients_costs_one_question_more() {
    let prefs = [
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "AES256-SHA",
    ];
    let r = run(chain(), &Model::new(&prefs, OrderType::Server), false);
    assert_eq!(r.picked, prefs);
    assert_eq!(r.order, Some(OrderType::Server));
    assert_eq!(r.questions, prefs.len() + 2);
    assert_eq!(r.refusals, 1);
}

#[test]
fn client_order_is_recognised_without_extra_questions() {
    let prefs = ["DES-CBC3-SHA", "AES256-SHA", "ECDHE-RSA-AES128-GCM-SHA256"];
    let model = Model::new(&prefs, OrderType::Client);
    // Our order, not the server's: the caller must not present it as a
    // preference.
    let ours = ["ECDHE-RSA-AES128-GCM-SHA256", "AES256-SHA", "DES-CBC3-SHA"];
    let r = run(chain(), &model, false);
    assert_eq!(r.picked, ours);
    assert_eq!(r.order, Some(OrderType::Client));
    assert_eq!((r.questions, r.refusals), (prefs.len() + 1, 1));
    // Costly refusals: the sentinel ends the chain, nothing is refused.
    let r = run(chain(), &model, true);
    assert_eq!(r.picked, ours);
    assert_eq!(r.order, Some(OrderType::Client));
    assert_eq!((r.questions, r.refusals), (prefs.len() + 1, 0));
    // With the first pick known from elsewhere: N questions in all.
    let known = Chain::new(list(CLIENT), Some(ours[0].to_string()));
    let r = run(known, &model, true);
    assert_eq!(r.picked, ours);
    assert_eq!((r.questions, r.refusals), (prefs.len(), 0));
}

#[test]
fn one_accepted_item_has_no_order() {
    for order in [OrderType::Server, OrderType::Client] {
        let model = Model::new(&["AES256-SHA"], order);
        let r = run(chain(), &model, false);
        assert_eq!(r.picked, ["AES256-SHA"]);
        assert_eq!(r.order, None);
        assert_eq!((r.questions, r.refusals), (2, 1), "{order}");
        // Costly: the safe question cannot tell "server order" from "only
        // one", so a refusal still ends it.
        let r = run(chain(), &model, true);
        assert_eq!(r.picked, ["AES256-SHA"]);
        assert_eq!((r.questions, r.refusals), (3, 1), "{order}");
    }
}

#[test]
fn nothing_accepted_is_one_question() {
    let r = run(chain(), &Model::new(&[], OrderType::Server), true);
    assert!(r.picked.is_empty());
    assert_eq!((r.questions, r.refusals, r.order), (1, 1, None));
}

#[test]
fn chacha_prioritisation_does_not_skew_the_order() {
    // ChaCha20 is always offered last, so a server prioritising it for
    // clients that prefer it shows its configured order.
    let prefs = [
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-RSA-AES128-GCM-SHA256",
    ];
    let mut model = Model::new(&prefs, OrderType::Server);
    model.prioritise_chacha = true;
    for costly in [false, true] {
        let r = run(chain(), &model, costly);
        assert_eq!(r.picked, prefs);
        assert_eq!(r.order, Some(OrderType::Server), "{costly}");
    }
}

#[test]
fn equal_preference_groups_are_mixed_and_complete() {
    // BoringSSL-style [a|b] then c, where c comes first in our order.
    let model = Model {
        prefs: vec![
            vec!["ECDHE-RSA-AES128-GCM-SHA256", "AES256-SHA"],
            vec!["ECDHE-RSA-AES256-GCM-SHA384"],
        ],
        order: OrderType::Mixed,
        prioritise_chacha: false,
        max_offer: usize::MAX,
    };
    let r = run(chain(), &model, false);
    assert_eq!(r.order, Some(OrderType::Mixed));
    let mut got = r.picked.clone();
    got.sort();
    assert_eq!(
        got,
        [
            "AES256-SHA",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES256-GCM-SHA384"
        ]
    );
}

#[test]
fn offers_too_long_for_the_server_fall_back_to_bundles() {
    let client: Vec<String> = (0..100).map(|i| format!("C{i:03}")).collect();
    let names: Vec<&'static str> = [70, 5, 40, 99]
        .iter()
        .map(|&i| &*client[i].clone().leak())
        .collect();
    let mut model = Model::new(&names, OrderType::Server);
    model.max_offer = 40;
    let r = run(Chain::new(client, None), &model, false);
    assert_eq!(r.picked, names);
    assert_eq!(r.order, Some(OrderType::Server));
}

#[test]
fn a_known_first_pick_saves_a_question() {
    let prefs = ["AES256-SHA", "DES-CBC3-SHA"];
    let model = Model::new(&prefs, OrderType::Server);
    let r = run(
        Chain::new(list(CLIENT), Some("AES256-SHA".into())),
        &model,
        false,
    );
    assert_eq!(r.picked, prefs);
    // DES-CBC3-SHA comes after AES256-SHA in our order: one question to
    // tell the order, one to end.
    assert_eq!(r.questions, 3);
    assert_eq!(r.order, Some(OrderType::Server));
}

#[test]
fn a_known_item_keeps_every_offer_safe() {
    let prefs = ["x25519", "secp256r1", "x448"];
    let groups = list(&["secp384r1", "x448", "secp256r1", "x25519", "ffdhe2048"]);
    let chain = Chain::new(groups, None).with_known(Some("x25519".into()));
    assert!(chain.next(true).is_some_and(|a| a.safe));
    let r = run(chain, &Model::new(&prefs, OrderType::Server), false);
    assert_eq!(r.picked, prefs);
}

#[test]
fn a_pick_that_was_not_offered_ends_the_chain() {
    let mut chain = chain();
    let ask = chain.next(false).expect("a question");
    chain.answer(&ask, Answer::Picked("NOT-OFFERED".into()));
    assert!(chain.is_done());
    assert!(chain.picked().is_empty());
}
