//! A domain's report from its resolve stage and its addresses' probes:
//! the name part of the trust checks (per MX name and recipient domain),
//! DANE and MTA-STS judged against the probes. Pure: a single-machine scan
//! and `mxprobe join` both end here, so they cannot differ.

use super::exchange::Host;
use super::resolve::Resolved;
use crate::dane;
use crate::model::{AddressReport, DomainReport, MxReport, ProbeStatus};
use crate::mtasts;
use crate::trust;

/// The report of `resolved`, whose hosts' addresses were probed as
/// `probes` (per host, in the order of its addresses).
pub(super) fn report(resolved: &Resolved, probes: Vec<Vec<AddressReport>>) -> DomainReport {
    let domain = resolved.target.ascii_domain();
    let mx: Vec<MxReport> = resolved
        .hosts
        .iter()
        .zip(probes)
        .map(|(h, mut addresses)| {
            for a in &mut addresses {
                check_names(a, &h.host, domain);
            }
            let dane = match (&resolved.mx_dnssec, &h.dane) {
                (Some(mx), Some(lookups)) => {
                    let chains: Vec<_> =
                        addresses.iter().map(AddressReport::probed_chain).collect();
                    let lookups = dane::Lookups {
                        mx,
                        addresses: &lookups.addresses,
                        tlsa: &lookups.tlsa,
                    };
                    let host = Host::parse(&h.host);
                    Some(dane::evaluate(
                        &h.host,
                        h.port,
                        host.name(),
                        &lookups,
                        &chains,
                    ))
                }
                _ => None,
            };
            MxReport {
                host: h.host.clone(),
                preference: h.preference,
                implicit: h.implicit,
                error: h.error.clone(),
                addresses,
                dane,
            }
        })
        .collect();
    let mta_sts = resolved.mta_sts.clone().map(|found| {
        let tried: Vec<mtasts::Tried> = mx.iter().flat_map(tried).collect();
        let names: Vec<&str> = mx.iter().map(|m| m.host.as_str()).collect();
        mtasts::evaluate(found, &names, &tried)
    });
    DomainReport {
        target: resolved.target.clone(),
        status: resolved.status,
        error: resolved.error.clone(),
        mx,
        mta_sts,
        tls_rpt: resolved.tls_rpt.clone(),
        findings: Vec::new(),
    }
}

/// The name part of the trust checks, per domain: a probe is shared by every
/// domain pointing at the address, the recipient domain is not.
fn check_names(a: &mut AddressReport, mx: &str, domain: Option<&str>) {
    let leaf = a.tls.as_ref().and_then(|t| t.chain.first());
    let banner = a.smtp.as_ref().and_then(|s| s.banner_host.as_deref());
    if let (Some(leaf), Some(trust)) = (leaf, a.trust.as_mut()) {
        let ptr: Vec<&str> = trust.ptr.confirmed().collect();
        trust.names = Some(trust::names::check(leaf, mx, domain, banner, &ptr));
        trust.for_name(mx, a.tls.as_ref());
    }
}

/// What MTA-STS needs of each probed address of an MX host: whether TLS
/// was reached, with which version, and the address's own certificate
/// verdict for that host name (RFC 8461 §4.2: a trusted chain, valid for
/// the MX host).
fn tried(mx: &MxReport) -> Vec<mtasts::Tried<'_>> {
    mx.addresses
        .iter()
        .map(|a| {
            let session = match (&a.status, &a.tls) {
                (ProbeStatus::Ok, Some(tls)) => Ok(mtasts::Session {
                    protocol: tls.protocol,
                    certificate: a
                        .trust
                        .as_ref()
                        .map_or(Err("no certificate verdict".to_string()), |t| {
                            t.pkix_verdict()
                        }),
                }),
                (status, _) => Err(format!(
                    "{status}: {}",
                    a.error.as_deref().unwrap_or("no TLS session")
                )),
            };
            mtasts::Tried {
                mx: &mx.host,
                ip: a.ip,
                port: a.port,
                session,
            }
        })
        .collect()
}
