//! The whole plan against model servers: exact results, and the cost in
//! handshakes and refusals pinned per kind of server.

use std::collections::BTreeSet;
use std::sync::Mutex;

use super::*;

/// A model TLS server.
#[derive(Clone)]
struct Model {
    versions: BTreeSet<Protocol>,
    /// Accepted ≤ 1.2 ciphers in the server's preference (any version).
    ciphers: Vec<&'static str>,
    /// Accepted TLS 1.3 suites in the server's preference.
    suites: Vec<&'static str>,
    /// Supported groups (TLS 1.3 and ECDHE) in the server's preference.
    groups: Vec<&'static str>,
    /// Follows its own order (ciphers and groups) rather than the client's.
    server_order: bool,
    costly: bool,
}

/// What the model was asked.
#[derive(Default)]
struct Log {
    questions: u32,
    refused: u32,
}

struct Modelled {
    model: Model,
    lists: Lists,
    log: Mutex<Log>,
}

impl Modelled {
    fn new(model: Model) -> Self {
        Modelled {
            model,
            lists: lists(),
            log: Mutex::default(),
        }
    }

    /// Offered items the server accepts, in its order or the client's.
    fn choose<'a>(&self, offered: &'a [String], accepted: &[&str]) -> Option<&'a String> {
        if self.model.server_order {
            accepted
                .iter()
                .find_map(|a| offered.iter().find(|o| o == a))
        } else {
            offered.iter().find(|o| accepted.contains(&o.as_str()))
        }
    }
}

impl Server for Modelled {
    async fn failures_costly(&self) -> bool {
        self.model.costly
    }

    async fn ask(&self, q: Question) -> Result<Reply, Reason> {
        let mut log = self.log.lock().expect("log");
        log.questions += 1;
        let refuse = |log: &mut Log, why: &str| {
            log.refused += 1;
            Ok(Reply::Refused(why.to_string()))
        };
        let Some(&protocol) = self
            .model
            .versions
            .iter()
            .rev()
            .find(|v| **v >= q.min && **v <= q.max)
        else {
            return refuse(&mut log, "protocol version");
        };
        let groups: Vec<String> = q
            .groups
            .clone()
            .unwrap_or_else(|| self.lists.tls13_groups.clone());
        let group = self.choose(&groups, &self.model.groups).cloned();
        if protocol == Protocol::Tls1_3 {
            let (Some(suite), Some(group)) = (self.choose(&q.suites, &self.model.suites), group)
            else {
                return refuse(&mut log, "handshake failure");
            };
            return Ok(Reply::Chose {
                protocol,
                cipher: suite.clone(),
                group: Some(group),
            });
        }
        // ECDHE ciphers only with a common group; and only those the
        // version can negotiate.
        let usable: Vec<String> = q
            .ciphers
            .iter()
            .filter(|c| self.lists.for_version(protocol).contains(c))
            .filter(|c| group.is_some() || !self.lists.ecdhe.contains(c))
            .cloned()
            .collect();
        let Some(cipher) = self.choose(&usable, &self.model.ciphers) else {
            return refuse(&mut log, "handshake failure");
        };
        let ecdhe = self.lists.ecdhe.contains(cipher);
        Ok(Reply::Chose {
            protocol,
            cipher: cipher.clone(),
            group: group.filter(|_| ecdhe && q.want_group),
        })
    }
}

/// A cut-down offer catalogue in mxprobe's order.
fn lists() -> Lists {
    let tls12 = [
        "ECDHE-RSA-AES256-GCM-SHA384",
        "DHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-SHA",
        "DHE-RSA-AES256-SHA",
        "ECDHE-RSA-AES128-SHA",
        "DHE-RSA-AES128-SHA",
        "AES256-GCM-SHA384",
        "AES128-GCM-SHA256",
        "AES256-SHA",
        "AES128-SHA",
        "DES-CBC3-SHA",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ];
    let pre12 = |c: &&&str| !c.contains("GCM") && !c.contains("CHACHA");
    let mut ciphers = BTreeMap::new();
    for p in [Protocol::Ssl3, Protocol::Tls1, Protocol::Tls1_1] {
        let list = tls12
            .iter()
            .filter(pre12)
            .filter(|c| p != Protocol::Ssl3 || !c.starts_with("ECDHE"))
            .map(|c| c.to_string())
            .collect();
        ciphers.insert(p, list);
    }
    ciphers.insert(Protocol::Tls1_2, tls12.map(String::from).to_vec());
    ciphers.insert(
        Protocol::Tls1_3,
        [
            "TLS_AES_256_GCM_SHA384",
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_128_CCM_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256",
        ]
        .map(String::from)
        .to_vec(),
    );
    let s = |l: &[&str]| l.iter().map(|g| g.to_string()).collect::<Vec<_>>();
    Lists {
        ciphers,
        ecdhe: tls12
            .iter()
            .filter(|c| c.starts_with("ECDHE"))
            .map(|c| c.to_string())
            .collect(),
        ecdsa: Vec::new(),
        tls13_groups: s(&[
            "X25519MLKEM768",
            "x25519",
            "x448",
            "secp256r1",
            "secp384r1",
            "secp521r1",
            "ffdhe2048",
            "ffdhe3072",
        ]),
        tls12_curves: s(&[
            "x25519",
            "x448",
            "secp256r1",
            "secp384r1",
            "secp521r1",
            "secp224r1",
            "prime192v1",
        ]),
        weak_curves: s(&["secp224r1", "prime192v1"]),
    }
}

/// What the broadly compatible handshake would get from the model.
async fn main_of(m: &Modelled) -> Option<Main> {
    let lists = &m.lists;
    let q = Question {
        min: Protocol::Ssl3,
        max: Protocol::Tls1_3,
        ciphers: lists.for_version(Protocol::Tls1_2),
        suites: lists.for_version(Protocol::Tls1_3),
        groups: None,
        want_group: true,
    };
    match m.ask(q).await.ok()? {
        Reply::Chose {
            protocol,
            cipher,
            group,
        } => Some(Main {
            protocol,
            cipher,
            group,
            cert_curve: None,
        }),
        _ => None,
    }
}

/// The plan against `model`: what it found, and the questions and refusals
/// beyond the broadly compatible handshake.
fn scan(model: Model) -> (Found, u32, u32) {
    futures::executor::block_on(async {
        let m = Modelled::new(model);
        let main = main_of(&m).await;
        *m.log.lock().expect("log") = Log::default();
        let found = run(&m, &m.lists, main.as_ref(), true).await;
        let log = m.log.lock().expect("log");
        (found, log.questions, log.refused)
    })
}

fn version(f: &Found, p: Protocol) -> &VersionFound {
    f.versions
        .iter()
        .find(|v| v.protocol == p)
        .expect("version")
}

fn supported(f: &Found) -> Vec<Protocol> {
    f.versions
        .iter()
        .filter(|v| v.supported == Some(true))
        .map(|v| v.protocol)
        .collect()
}

fn names(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

/// Postfix as the first row: TLS 1.2 and 1.3, server order.
fn modern(server_order: bool, costly: bool) -> Model {
    Model {
        versions: [Protocol::Tls1_2, Protocol::Tls1_3].into(),
        ciphers: vec![
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-RSA-CHACHA20-POLY1305",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "DHE-RSA-AES256-GCM-SHA384",
        ],
        suites: vec![
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_GCM_SHA256",
        ],
        groups: vec![
            "x25519",
            "secp256r1",
            "x448",
            "secp521r1",
            "secp384r1",
            "ffdhe2048",
        ],
        server_order,
        costly,
    }
}

/// Exim on GnuTLS as Debian ships it, TLS 1.0 and 1.1 only: client order,
/// costly refusals.
fn exim_legacy() -> Model {
    Model {
        versions: [Protocol::Tls1, Protocol::Tls1_1].into(),
        ciphers: vec![
            "ECDHE-RSA-AES256-SHA",
            "DHE-RSA-AES256-SHA",
            "ECDHE-RSA-AES128-SHA",
            "DHE-RSA-AES128-SHA",
            "AES256-SHA",
            "AES128-SHA",
        ],
        suites: vec![],
        groups: vec!["x25519", "secp256r1", "secp384r1", "secp521r1", "x448"],
        server_order: false,
        costly: true,
    }
}

#[test]
fn a_modern_server_order_server_is_found_exactly() {
    let model = modern(true, false);
    let (f, questions, refused) = scan(model.clone());
    assert!(f.incomplete.is_empty(), "{:?}", f.incomplete);
    assert_eq!(supported(&f), [Protocol::Tls1_2, Protocol::Tls1_3]);
    let v12 = version(&f, Protocol::Tls1_2);
    assert_eq!(names(&v12.ciphers), model.ciphers);
    assert_eq!(v12.order, Some(OrderType::Server));
    let v13 = version(&f, Protocol::Tls1_3);
    assert_eq!(names(&v13.ciphers), model.suites);
    assert_eq!(v13.order, Some(OrderType::Server));
    let g13 = &f.groups[0];
    assert_eq!(g13.protocol, Protocol::Tls1_3);
    assert_eq!(
        names(&g13.groups),
        model.groups,
        "in the server's preference"
    );
    assert_eq!(g13.order, Some(OrderType::Server));
    // TLS 1.2: the weak curves only (none supported).
    assert_eq!(f.groups[1].protocol, Protocol::Tls1_2);
    assert!(f.groups[1].groups.is_empty());
    // Versions: 1 (up to 1.2, the first TLS 1.2 pick) + 1 (up to 1.1,
    // refused for all three). TLS 1.2: 3 more picks, the order test (its
    // first two picks come in the client's order: ChaCha20 is offered
    // last) and the refusal. TLS 1.3: 6 group questions and the group
    // refusal, with the 2 suite picks and the suite order test riding along,
    // then the suite refusal. Weak curves: 1 refusal.
    assert_eq!((questions, refused), (2 + 5 + 9 + 1, 5));
}

#[test]
fn versions_below_the_oldest_accepted_cost_one_refusal_together() {
    let (f, _, _) = scan(modern(true, false));
    for p in [Protocol::Ssl3, Protocol::Tls1, Protocol::Tls1_1] {
        let v = version(&f, p);
        assert_eq!(v.supported, Some(false), "{p}");
        assert_eq!(v.refusal.as_deref(), Some("protocol version"));
    }
}

#[test]
fn a_client_ordered_costly_server_is_found_without_chain_refusals() {
    let model = exim_legacy();
    let (f, questions, refused) = scan(model.clone());
    assert!(f.incomplete.is_empty(), "{:?}", f.incomplete);
    assert_eq!(supported(&f), [Protocol::Tls1, Protocol::Tls1_1]);
    for p in [Protocol::Tls1, Protocol::Tls1_1] {
        let v = version(&f, p);
        assert_eq!(v.order, Some(OrderType::Client), "{p}");
        assert_eq!(
            sorted(names(&v.ciphers)),
            sorted(model.ciphers.clone()),
            "{p}"
        );
        // In mxprobe's offer order.
        assert_eq!(v.ciphers[0], "ECDHE-RSA-AES256-SHA");
    }
    assert_eq!(
        version(&f, Protocol::Tls1_2).refusal.as_deref(),
        Some("not chosen: the server picked TLSv1.1 from an offer up to TLSv1.3")
    );
    let curves = &f.groups[0];
    assert_eq!(curves.protocol, Protocol::Tls1_1);
    assert_eq!(sorted(names(&curves.groups)), sorted(model.groups.clone()));
    // SSLv3 is the one refusal.
    assert_eq!(refused, 1);
    // Up to 1.0 (its first pick), up to SSLv3 (refused); 6 per version
    // (5 picks and the sentinel); curves: the first pick, 4 more and the
    // sentinel (the known curve, offered last, picked).
    assert_eq!(questions, 2 + 6 + 6 + 6);
}

#[test]
fn the_same_server_with_cheap_refusals_ends_each_chain_with_a_refusal() {
    let mut model = exim_legacy();
    model.costly = false;
    let (f, questions, refused) = scan(model.clone());
    for p in [Protocol::Tls1, Protocol::Tls1_1] {
        let v = version(&f, p);
        assert_eq!(v.order, Some(OrderType::Client));
        assert_eq!(v.ciphers.len(), 6);
    }
    // The order test of each list is its third question, and an
    // elimination step too.
    assert_eq!(refused, 4);
    assert_eq!(questions, 2 + 6 + 6 + 6);
}

#[test]
fn a_client_ordered_tls13_server_shares_handshakes_and_never_refuses_there() {
    let mut model = modern(false, true);
    model.versions = [Protocol::Tls1_3].into();
    let (f, questions, refused) = scan(model.clone());
    assert!(f.incomplete.is_empty(), "{:?}", f.incomplete);
    let v13 = version(&f, Protocol::Tls1_3);
    assert_eq!(v13.order, Some(OrderType::Client));
    assert_eq!(sorted(names(&v13.ciphers)), sorted(model.suites.clone()));
    let g = &f.groups[0];
    assert_eq!(sorted(names(&g.groups)), sorted(model.groups.clone()));
    assert_eq!(g.order, Some(OrderType::Client));
    // Up to 1.2: refused for all four older versions at once; the rest
    // without a refusal.
    assert_eq!(refused, 1);
    // Groups: a first question that knows the main group, 5 more picks and
    // the sentinel; the suites ride along.
    assert!(questions <= 1 + 8, "{questions} questions");
}

#[test]
fn without_the_main_handshake_discovery_starts_at_the_top() {
    futures::executor::block_on(async {
        let m = Modelled::new(exim_legacy());
        let found = run(&m, &m.lists, None, false).await;
        assert_eq!(supported(&found), [Protocol::Tls1, Protocol::Tls1_1]);
        assert!(found.groups.is_empty());
    });
}

#[test]
fn a_server_without_tls_at_all_is_one_refusal() {
    let model = Model {
        versions: BTreeSet::new(),
        ..exim_legacy()
    };
    futures::executor::block_on(async {
        let m = Modelled::new(model);
        let found = run(&m, &m.lists, None, true).await;
        assert!(supported(&found).is_empty());
        assert!(found.versions.iter().all(|v| v.supported == Some(false)));
        assert_eq!(m.log.lock().expect("log").questions, 1);
    });
}

#[test]
fn failures_of_the_server_make_the_result_incomplete_not_wrong() {
    struct Broken;
    impl Server for Broken {
        async fn failures_costly(&self) -> bool {
            false
        }
        async fn ask(&self, _: Question) -> Result<Reply, Reason> {
            Err(Reason::NoSession("421 go away".into()))
        }
    }
    let main = Main {
        protocol: Protocol::Tls1_2,
        cipher: "AES256-SHA".into(),
        group: None,
        cert_curve: None,
    };
    let found = futures::executor::block_on(run(&Broken, &lists(), Some(&main), true));
    let v12 = version(&found, Protocol::Tls1_2);
    assert_eq!(v12.supported, Some(true));
    assert_eq!(names(&v12.ciphers), ["AES256-SHA"]);
    assert_eq!(v12.order, None);
    assert_eq!(version(&found, Protocol::Tls1).supported, None);
    // Each failure says which part it cost, once.
    let lines: Vec<String> = found.incomplete.iter().map(ToString::to_string).collect();
    assert!(
        found.incomplete.iter().all(|e| e.is_no_session()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"TLSv1.2: no further session: 421 go away".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"up to TLSv1.1: no further session: 421 go away".to_string()),
        "{lines:?}"
    );
}
