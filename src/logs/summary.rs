//! What the renderers show: a [`Tally`] filtered by direction, sorted and
//! cut to the top peers, as plain serialisable data.
//!
//! The JSON output is this structure as is (see [`Summary`]), a contract
//! like the scan's JSON: fields are added, never renamed.

use std::collections::HashMap;

use serde::Serialize;

use super::hosts::{HostStat, HostTable};
use super::{Breakdown, Counts, Direction, KeyStats, LineCounts, Naming, Tally};
use crate::spelling::spelling;
use crate::tls::Protocol;

/// How counts are listed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Most used first.
    #[default]
    Desc,
    /// Least used first, as `sort | uniq -c | sort -n` lists them.
    Asc,
}

spelling!(SortOrder {
    Desc => "desc",
    Asc => "asc",
});

/// What TLS uses are counted by, besides the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    /// The key-exchange group (`x25519`, `X25519MLKEM768`).
    Group,
    /// The server's signature algorithm (`rsa_pss_rsae_sha256`).
    Signature,
}

spelling!(Dimension {
    Group => "group",
    Signature => "signature",
});

/// What to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryOptions {
    /// One direction only, or both (`None`).
    pub direction: Option<Direction>,
    /// Order of the protocol, cipher and peer lists (by count).
    pub sort: SortOrder,
    /// List the peers behind each weak key and behind plaintext.
    pub by_host: bool,
    /// Show the TLS uses by group or signature instead of by key (the
    /// counts per key are in the summary either way).
    pub by: Option<Dimension>,
    /// Peers listed per key.
    pub top: usize,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            direction: None,
            sort: SortOrder::Desc,
            by_host: false,
            by: None,
            top: 10,
        }
    }
}

/// The result of a log scan, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `both`, `inbound` or `outbound`.
    pub direction: &'static str,
    /// The order the lists are in.
    pub sort: SortOrder,
    /// Uses counted, TLS and plaintext, in the direction asked for.
    pub totals: Totals,
    /// TLS uses per protocol (protocols seen only), newest protocol first.
    pub protocols: Vec<ProtocolRow>,
    /// `openssl` (names in OpenSSL's spelling) or `as-logged`.
    pub naming: &'static str,
    /// One row per key, in the order asked for.
    pub ciphers: Vec<CipherRow>,
    /// TLS uses per key-exchange group, and per signature algorithm of the
    /// server, in the order asked for; `name` is `null` for uses whose log
    /// lines did not say (OpenSSL-built Exim before 4.99, Postfix before
    /// TLS 1.3).
    pub groups: Vec<NameCount>,
    /// Uses per signature algorithm of the server (`rsa_pss_rsae_sha256`).
    pub signatures: Vec<NameCount>,
    /// What the text and CSV tables list instead of keys, if asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Dimension>,
    /// With `by_host`: the peers behind each weak key, then plaintext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<HostGroup>>,
    /// All lines read, whatever the direction asked for.
    pub lines: LineCounts,
    /// Caveats about the counts (see [`Tally::notes`]).
    pub notes: Vec<String>,
}

/// Transactions (Exim messages, Postfix connections) counted.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Totals {
    /// TLS and plaintext together.
    pub total: u64,
    /// Those that negotiated TLS.
    pub tls: u64,
    /// Those without TLS.
    pub plaintext: u64,
    /// `plaintext / total`, 0 when nothing was counted.
    pub plaintext_share: f64,
    /// TLS uses of keys with findings.
    pub weak: u64,
    /// TLS and plaintext per direction (zero for the direction left out).
    pub inbound: Counted,
    /// As `inbound`, for what the server sent.
    pub outbound: Counted,
}

/// Uses of one direction, TLS and plaintext.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counted {
    /// Those that negotiated TLS.
    pub tls: u64,
    /// Those without TLS.
    pub plaintext: u64,
}

/// TLS uses of one protocol version.
#[derive(Debug, Clone, Serialize)]
pub struct ProtocolRow {
    /// The version.
    pub protocol: Protocol,
    /// Uses in the direction asked for (`inbound + outbound`).
    pub count: u64,
    /// Of those, received (0 when only outbound was asked for).
    pub inbound: u64,
    /// Of those, sent (0 when only inbound was asked for).
    pub outbound: u64,
}

/// TLS uses of one `PROTOCOL:CIPHER:BITS` key.
#[derive(Debug, Clone, Serialize)]
pub struct CipherRow {
    /// Uses in the direction asked for (`inbound + outbound`).
    pub count: u64,
    /// Of those, received (0 when only outbound was asked for).
    pub inbound: u64,
    /// Of those, sent (0 when only inbound was asked for).
    pub outbound: u64,
    /// `PROTOCOL:CIPHER:BITS`.
    pub key: String,
    /// The key's protocol version.
    pub protocol: Protocol,
    /// The cipher, as logged (OpenSSL or GnuTLS name).
    pub cipher: String,
    /// The key's bits, as logged.
    pub bits: u32,
    /// Finding IDs; empty if the key is not weak.
    pub findings: Vec<String>,
    /// Uses of the key per key-exchange group and signature algorithm,
    /// most first.
    pub groups: Vec<NameCount>,
    /// Uses of the key per signature algorithm, most first.
    pub signatures: Vec<NameCount>,
    /// The cipher names as logged that count under this key (GnuTLS and
    /// OpenSSL spellings of one suite).
    pub logged: Vec<String>,
}

/// Uses of one group or signature algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameCount {
    /// `None`: the log lines did not say.
    pub name: Option<String>,
    /// Uses in all.
    pub count: u64,
    /// Of those, received (the server's side of the session).
    pub inbound: u64,
    /// Of those, sent (the client's side).
    pub outbound: u64,
}

/// The peers behind one weak key (or plaintext: `key` is `plaintext`).
#[derive(Debug, Clone, Serialize)]
pub struct HostGroup {
    /// `PROTOCOL:CIPHER:BITS`, or `plaintext`.
    pub key: String,
    /// The key's finding IDs; empty for plaintext.
    pub findings: Vec<String>,
    /// Uses of the key in the direction asked for.
    pub count: u64,
    /// The top peers, most uses first.
    pub hosts: Vec<HostRow>,
    /// Uses by peers not listed (beyond the top, or forgotten to bound
    /// memory).
    pub other_uses: u64,
    /// How far a listed count may fall short (see [`HostTable`]); 0 when
    /// the counts are exact.
    pub max_error: u64,
}

/// One peer behind a weak key or plaintext.
#[derive(Debug, Clone, Serialize)]
pub struct HostRow {
    /// Host name, `(helo)` without one, or empty.
    pub name: String,
    /// The peer's address, as logged.
    pub ip: String,
    /// Its uses of the key in the direction asked for (at most
    /// `max_error` short, see [`HostGroup`]).
    pub count: u64,
    /// Of those, received.
    pub inbound: u64,
    /// Of those, sent.
    pub outbound: u64,
    /// The timestamp of the latest use, as logged.
    pub last_seen: String,
}

impl Summary {
    /// The summary of `tally` as `options` ask: one direction or both,
    /// sorted, with the top peers when `by_host` is set.
    pub fn new(tally: &Tally, options: &SummaryOptions) -> Summary {
        let dir = options.direction;
        let plaintext = filter(tally.plaintext(), dir);
        let mut ciphers: Vec<CipherRow> = tally
            .keys()
            .iter()
            .map(|k| {
                let c = filter(k.counts(), dir);
                CipherRow {
                    count: c.total(),
                    inbound: c.inbound,
                    outbound: c.outbound,
                    key: k.key().to_string(),
                    protocol: k.key().protocol,
                    cipher: k.key().cipher.clone(),
                    bits: k.key().bits,
                    findings: k.findings().to_vec(),
                    groups: name_counts([k.groups()], dir, SortOrder::Desc),
                    signatures: name_counts([k.signatures()], dir, SortOrder::Desc),
                    logged: k.logged().to_vec(),
                }
            })
            .filter(|r| r.count > 0)
            .collect();
        sort_rows(&mut ciphers, options.sort, |r| (r.count, r.key.clone()));
        let groups = name_counts(tally.keys().iter().map(|k| k.groups()), dir, options.sort);
        let signatures = name_counts(
            tally.keys().iter().map(|k| k.signatures()),
            dir,
            options.sort,
        );
        let tls = filter(
            tally
                .keys()
                .iter()
                .fold(Counts::default(), |acc, k| Counts {
                    inbound: acc.inbound + k.counts().inbound,
                    outbound: acc.outbound + k.counts().outbound,
                }),
            dir,
        );
        let total = tls.total() + plaintext.total();
        let totals = Totals {
            total,
            tls: tls.total(),
            plaintext: plaintext.total(),
            plaintext_share: share(plaintext.total(), total),
            weak: ciphers
                .iter()
                .filter(|r| !r.findings.is_empty())
                .map(|r| r.count)
                .sum(),
            inbound: Counted {
                tls: tls.inbound,
                plaintext: plaintext.inbound,
            },
            outbound: Counted {
                tls: tls.outbound,
                plaintext: plaintext.outbound,
            },
        };
        let protocols = tally
            .protocols()
            .iter()
            .rev()
            .map(|(p, c)| {
                let c = filter(*c, dir);
                ProtocolRow {
                    protocol: *p,
                    count: c.total(),
                    inbound: c.inbound,
                    outbound: c.outbound,
                }
            })
            .filter(|r| r.count > 0)
            .collect();
        let hosts = options
            .by_host
            .then(|| host_groups(tally, options, plaintext));
        Summary {
            direction: dir.map_or("both", Direction::as_str),
            sort: options.sort,
            totals,
            protocols,
            naming: match tally.naming() {
                Naming::OpenSsl => "openssl",
                Naming::AsLogged => "as-logged",
            },
            ciphers,
            groups,
            signatures,
            by: options.by,
            hosts,
            lines: *tally.lines(),
            notes: tally.notes(),
        }
    }
}

/// Uses per name over `breakdowns`, in the direction asked for, sorted by
/// `order` (ties by name, "not logged" last).
fn name_counts<'a>(
    breakdowns: impl IntoIterator<Item = &'a Breakdown>,
    direction: Option<Direction>,
    order: SortOrder,
) -> Vec<NameCount> {
    let mut sums: Vec<(String, Counts)> = Vec::new();
    for b in breakdowns {
        for (name, c) in b.iter() {
            let c = filter(c, direction);
            match sums.iter_mut().find(|(n, _)| n == name) {
                Some((_, sum)) => {
                    sum.inbound += c.inbound;
                    sum.outbound += c.outbound;
                }
                None => sums.push((name.to_string(), c)),
            }
        }
    }
    let mut rows: Vec<NameCount> = sums
        .into_iter()
        .filter(|(_, c)| c.total() > 0)
        .map(|(name, c)| NameCount {
            name: (!name.is_empty()).then_some(name),
            count: c.total(),
            inbound: c.inbound,
            outbound: c.outbound,
        })
        .collect();
    sort_rows(&mut rows, order, |r| {
        (r.count, (r.name.is_none(), r.name.clone()))
    });
    rows
}

/// `part / whole`, 0 for an empty whole.
pub(crate) fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn filter(c: Counts, direction: Option<Direction>) -> Counts {
    match direction {
        None => c,
        Some(Direction::Inbound) => Counts {
            inbound: c.inbound,
            outbound: 0,
        },
        Some(Direction::Outbound) => Counts {
            inbound: 0,
            outbound: c.outbound,
        },
    }
}

fn sort_rows<T, K: Ord>(rows: &mut [T], order: SortOrder, key: impl Fn(&T) -> (u64, K)) {
    rows.sort_by(|a, b| {
        let (ca, ka) = key(a);
        let (cb, kb) = key(b);
        let by_count = match order {
            SortOrder::Desc => cb.cmp(&ca),
            SortOrder::Asc => ca.cmp(&cb),
        };
        by_count.then(ka.cmp(&kb))
    });
}

fn host_groups(tally: &Tally, options: &SummaryOptions, plaintext: Counts) -> Vec<HostGroup> {
    let mut weak: Vec<(u64, String, &KeyStats)> = tally
        .keys()
        .iter()
        .filter(|k| !k.findings().is_empty())
        .map(|k| {
            (
                filter(k.counts(), options.direction).total(),
                k.key().to_string(),
                k,
            )
        })
        .filter(|(count, _, _)| *count > 0)
        .collect();
    sort_rows(&mut weak, options.sort, |(count, key, _)| {
        (*count, key.clone())
    });
    let mut groups = Vec::new();
    for (count, key, stats) in weak {
        let t = tables(options.direction, |d| stats.hosts(d));
        groups.push(group(
            key,
            stats.findings().to_vec(),
            count,
            &t,
            options.top,
        ));
    }
    if plaintext.total() > 0 {
        let t = tables(options.direction, |d| tally.plaintext_hosts(d));
        groups.push(group(
            "plaintext".to_string(),
            Vec::new(),
            plaintext.total(),
            &t,
            options.top,
        ));
    }
    groups
}

/// The host tables of the directions asked for.
fn tables<'t>(
    direction: Option<Direction>,
    hosts: impl Fn(Direction) -> Option<&'t HostTable>,
) -> Vec<(Direction, &'t HostTable)> {
    [Direction::Inbound, Direction::Outbound]
        .into_iter()
        .filter(|d| direction.is_none_or(|want| want == *d))
        .filter_map(|d| hosts(d).map(|t| (d, t)))
        .collect()
}

fn group(
    key: String,
    findings: Vec<String>,
    count: u64,
    tables: &[(Direction, &HostTable)],
    top: usize,
) -> HostGroup {
    // The same peer in both directions is one row.
    let mut merged: HashMap<(String, String), (HostStat, Counts)> = HashMap::new();
    for (direction, table) in tables {
        for h in table.iter() {
            let id = if h.ip().is_empty() {
                (String::new(), h.name().into_owned())
            } else {
                (h.ip().into_owned(), String::new())
            };
            let entry = merged
                .entry(id)
                .or_insert_with(|| (HostStat::default(), Counts::default()));
            entry.0.merge(h);
            match direction {
                Direction::Inbound => entry.1.inbound += h.count(),
                Direction::Outbound => entry.1.outbound += h.count(),
            }
        }
    }
    let mut rows: Vec<HostRow> = merged
        .into_values()
        .map(|(h, c)| HostRow {
            name: h.name().into_owned(),
            ip: h.ip().into_owned(),
            count: c.total(),
            inbound: c.inbound,
            outbound: c.outbound,
            last_seen: h.last_seen().into_owned(),
        })
        .collect();
    sort_rows(&mut rows, SortOrder::Desc, |r| {
        (r.count, (r.ip.clone(), r.name.clone()))
    });
    rows.truncate(top);
    let listed: u64 = rows.iter().map(|r| r.count).sum();
    HostGroup {
        key,
        findings,
        count,
        hosts: rows,
        other_uses: count.saturating_sub(listed),
        max_error: tables.iter().map(|(_, t)| t.max_error()).max().unwrap_or(0),
    }
}
