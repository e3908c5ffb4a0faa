//! Forward-confirmed reverse DNS (FCrDNS) of a probed address.
//!
//! Many receivers, and some large providers, refuse mail from addresses
//! whose PTR record is missing or does not resolve back ("554 invalid DNS PTR
//! resource record"); an MX usually sends as well as receives, so its
//! addresses are checked the same way: the PTR names of the address, and
//! for each (at most [`MAX_NAMES`]) whether its A/AAAA records contain the
//! address again.
//!
//! The PTR question goes to the configured nameservers for every address,
//! loopback included, and CNAMEs are followed: RFC 2317 classless
//! delegation puts a CNAME at the address's reverse name
//! (`4.3.2.1.in-addr.arpa`) into a zone the block's owner delegated
//! (`4.0/26.3.2.1.in-addr.arpa`), where the PTR record lives. The chain is
//! part of the evidence ([`PtrCheck::cname_chain`]). A CNAME to a name
//! without a PTR record is `ptr-missing` (no name to confirm), a loop a
//! `dns-error` that says so.
//!
//! What it does not do: decide whether a name "looks generic" (dynamic-pool
//! names), or validate DNSSEC. Every lookup has the resolver's timeout and
//! waits for its turn under `--dns-concurrency`. Names beyond
//! [`MAX_NAMES`] are not reported.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::dns::Resolver;

pub(crate) use crate::limits::PTR_NAMES as MAX_NAMES;
use crate::spelling::spelling;

/// The reverse DNS of one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PtrCheck {
    /// The outcome, all names considered.
    pub status: PtrStatus,
    /// The PTR names, in answer order, each with its forward check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<PtrName>,
    /// The CNAMEs followed from the address's reverse name: the reverse
    /// name, then each target, the last being where the PTR records are
    /// (or are missing); a name met twice ends a loop. Absent when the
    /// reverse name has no CNAME.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cname_chain: Vec<String>,
    /// Whether a forward-confirmed PTR name equals the host name of the SMTP
    /// banner; absent when there is no banner host (or no confirmed name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches_banner: Option<bool>,
    /// Why `status` is `dns-error`, one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The outcome for one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PtrStatus {
    /// At least one PTR name resolves back to the address.
    Ok,
    /// No PTR record (NXDOMAIN or NODATA).
    PtrMissing,
    /// PTR names exist, but none resolves back to the address.
    PtrMismatch,
    /// A lookup failed (timeout, SERVFAIL): nothing can be said.
    DnsError,
}

spelling!(PtrStatus {
    Ok => "ok",
    PtrMissing => "ptr-missing",
    PtrMismatch => "ptr-mismatch",
    DnsError => "dns-error",
});

/// One PTR name and its forward lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PtrName {
    /// The name, lower case, without the trailing dot.
    pub name: String,
    /// Its A/AAAA records contain the address.
    pub confirmed: bool,
    /// The addresses it resolves to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<IpAddr>,
    /// The forward lookup failed (NXDOMAIN included), one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl fmt::Display for PtrStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PtrCheck {
    /// The forward-confirmed names.
    pub fn confirmed(&self) -> impl Iterator<Item = &str> {
        self.names
            .iter()
            .filter(|n| n.confirmed)
            .map(|n| n.name.as_str())
    }

    /// `a → b`, the CNAME chain as messages show it; `None` without one.
    pub fn cname_text(&self) -> Option<String> {
        (!self.cname_chain.is_empty()).then(|| crate::dns::chain_text(&self.cname_chain))
    }

    /// Whether the reverse name's CNAMEs loop.
    pub fn cname_loop(&self) -> bool {
        match self.cname_chain.split_last() {
            Some((last, before)) => before.contains(last),
            None => false,
        }
    }

    /// Record whether a confirmed name is the banner's host name.
    pub(crate) fn compare_banner(&mut self, banner_host: Option<&str>) {
        let banner = banner_host.map(|b| b.trim_end_matches('.'));
        self.matches_banner = match banner {
            Some(b) if self.confirmed().next().is_some() => {
                Some(self.confirmed().any(|n| n.eq_ignore_ascii_case(b)))
            }
            _ => None,
        };
    }
}

/// Look up the PTR names of `ip` and follow each forward.
pub(crate) async fn check(resolver: &Resolver, ip: IpAddr) -> PtrCheck {
    let lookup = resolver.ptr_lookup(ip).await;
    // The reverse name alone is no chain worth showing.
    let chain = if lookup.chain.len() > 1 {
        lookup.chain
    } else {
        Vec::new()
    };
    let names = match lookup.names {
        Ok(names) => names,
        Err(e) if e.is_nx_domain() => Vec::new(),
        Err(e) => return failed(Vec::new(), chain, e.to_string()),
    };
    if names.is_empty() {
        return PtrCheck {
            status: PtrStatus::PtrMissing,
            names: Vec::new(),
            cname_chain: chain,
            matches_banner: None,
            error: None,
        };
    }
    let family_looked_up = match ip {
        IpAddr::V4(_) => resolver.families().v4(),
        IpAddr::V6(_) => resolver.families().v6(),
    };
    let forward = futures::future::join_all(
        names
            .iter()
            .take(MAX_NAMES)
            .map(|name| resolver.addresses(name)),
    )
    .await;
    let mut undecided = None;
    let names: Vec<PtrName> = names
        .into_iter()
        .zip(forward)
        .map(|(name, answer)| match answer {
            Ok(addresses) => PtrName {
                name,
                confirmed: addresses.contains(&ip),
                addresses,
                error: None,
            },
            Err(e) => {
                if !e.is_nx_domain() {
                    undecided.get_or_insert_with(|| e.to_string());
                }
                PtrName {
                    name,
                    confirmed: false,
                    addresses: Vec::new(),
                    error: Some(e.to_string()),
                }
            }
        })
        .collect();
    if names.iter().any(|n| n.confirmed) {
        return PtrCheck {
            status: PtrStatus::Ok,
            names,
            cname_chain: chain,
            matches_banner: None,
            error: None,
        };
    }
    if !family_looked_up {
        let record = if ip.is_ipv4() { "A" } else { "AAAA" };
        let error = format!(
            "cannot confirm the PTR names: their {record} records are not looked up with -4/-6"
        );
        return failed(names, chain, error);
    }
    match undecided {
        Some(error) => failed(names, chain, error),
        None => PtrCheck {
            status: PtrStatus::PtrMismatch,
            names,
            cname_chain: chain,
            matches_banner: None,
            error: None,
        },
    }
}

fn failed(names: Vec<PtrName>, cname_chain: Vec<String>, error: String) -> PtrCheck {
    PtrCheck {
        status: PtrStatus::DnsError,
        names,
        cname_chain,
        matches_banner: None,
        error: Some(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(name: &str, confirmed: bool) -> PtrName {
        PtrName {
            name: name.into(),
            confirmed,
            addresses: vec![],
            error: None,
        }
    }

    #[test]
    fn the_banner_is_compared_with_confirmed_names_only() {
        let mut c = PtrCheck {
            status: PtrStatus::Ok,
            names: vec![name("a.example", false), name("B.example", true)],
            cname_chain: vec![],
            matches_banner: None,
            error: None,
        };
        c.compare_banner(Some("b.example."));
        assert_eq!(c.matches_banner, Some(true));
        c.compare_banner(Some("a.example"));
        assert_eq!(c.matches_banner, Some(false), "a.example is not confirmed");
        c.compare_banner(None);
        assert_eq!(c.matches_banner, None);
        c.names[1].confirmed = false;
        c.compare_banner(Some("a.example"));
        assert_eq!(c.matches_banner, None, "nothing confirmed to compare");
    }

    #[test]
    fn the_chain_shows_and_a_loop_is_told_from_a_chain() {
        let mut c = PtrCheck {
            status: PtrStatus::PtrMissing,
            names: vec![],
            cname_chain: vec![],
            matches_banner: None,
            error: None,
        };
        assert_eq!(c.cname_text(), None);
        assert!(!c.cname_loop());
        c.cname_chain = vec![
            "4.3.2.1.in-addr.arpa".into(),
            "4.0/26.3.2.1.in-addr.arpa".into(),
        ];
        assert_eq!(
            c.cname_text().as_deref(),
            Some("4.3.2.1.in-addr.arpa → 4.0/26.3.2.1.in-addr.arpa")
        );
        assert!(!c.cname_loop());
        c.cname_chain.push("4.3.2.1.in-addr.arpa".into());
        assert!(c.cname_loop());
        let json = serde_json::to_value(&c).expect("json");
        assert_eq!(json["cname_chain"][1], "4.0/26.3.2.1.in-addr.arpa");
    }

    #[test]
    fn statuses_serialise_in_kebab_case() {
        for (s, want) in [
            (PtrStatus::Ok, "ok"),
            (PtrStatus::PtrMissing, "ptr-missing"),
            (PtrStatus::PtrMismatch, "ptr-mismatch"),
            (PtrStatus::DnsError, "dns-error"),
        ] {
            assert_eq!(serde_json::to_value(s).expect("json"), want);
            assert_eq!(s.to_string(), want);
        }
    }
}
