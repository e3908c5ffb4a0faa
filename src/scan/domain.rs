//! A domain: its MX records (or the implicit MX, or a null MX), each
//! exchanger probed, and at the same time the lookups DANE and MTA-STS
//! need, judged against the probes once they are in.

use std::net::IpAddr;

use super::exchange::{Exchange, Host};
use super::Scanner;
use crate::dane;
use crate::dns::{MxAnswer, SecureAnswer, TlsaRecord};
use crate::model::{AddressReport, DomainReport, DomainStatus, MxReport, ProbeStatus, Target};
use crate::mtasts::{self, MtaSts, TlsRpt};

/// The DANE lookups of one MX host: its addresses and TLSA records with
/// their DNSSEC status.
type DaneLookups = (SecureAnswer<Vec<IpAddr>>, SecureAnswer<Vec<TlsaRecord>>);

impl Scanner {
    pub(super) async fn scan_domain(&self, target: Target, ascii: &str) -> DomainReport {
        let port = self.inner.config.port;
        let report = |status, error: Option<String>, mx| DomainReport {
            target: target.clone(),
            status,
            error,
            mx,
            mta_sts: None,
            tls_rpt: None,
            findings: Vec::new(),
        };
        let with_checks = |mut r: DomainReport, checks: (Option<MtaSts>, Option<TlsRpt>)| {
            (r.mta_sts, r.tls_rpt) = checks;
            r
        };
        let exchange = |host: Host, preference, implicit, addrs| Exchange {
            host,
            domain: Some(ascii.to_owned()),
            preference,
            implicit,
            port,
            addrs,
        };
        match self.inner.resolver.mx(ascii).await {
            Err(e) if e.is_nx_domain() => {
                report(DomainStatus::Nxdomain, Some(e.to_string()), vec![])
            }
            Err(e) => report(DomainStatus::DnsError, Some(e.to_string()), vec![]),
            Ok(MxAnswer::Null) => report(
                DomainStatus::NullMx,
                Some(format!(
                    "{ascii} publishes a null MX (RFC 7505): it accepts no mail"
                )),
                vec![],
            ),
            Ok(MxAnswer::None) => {
                // RFC 5321 §5.1: no MX records, so the domain itself is the
                // mail exchanger, if it has an address.
                match self.addresses(ascii).await {
                    Ok(addrs) if !addrs.is_empty() => {
                        let host = Host::Name(ascii.to_owned());
                        let hosts = vec![exchange(host, None, true, Some(addrs))];
                        let (mx, checks) = self.probe_domain(ascii, hosts, port).await;
                        with_checks(report(DomainStatus::Ok, None, mx), checks)
                    }
                    Ok(_) => report(
                        DomainStatus::NoMx,
                        Some(format!("{ascii} has neither MX records nor an address")),
                        vec![],
                    ),
                    Err(e) if e.is_nx_domain() => {
                        report(DomainStatus::NoMx, Some(e.to_string()), vec![])
                    }
                    Err(e) => report(DomainStatus::DnsError, Some(e.to_string()), vec![]),
                }
            }
            Ok(MxAnswer::Records(records)) => {
                let hosts = records
                    .into_iter()
                    .map(|r| exchange(Host::parse(&r.exchange), Some(r.preference), false, None))
                    .collect();
                let (mx, checks) = self.probe_domain(ascii, hosts, port).await;
                with_checks(report(DomainStatus::Ok, None, mx), checks)
            }
        }
    }

    /// Probe a domain's exchangers and, at the same time, look up what
    /// DANE and MTA-STS need; then judge both against the probes.
    async fn probe_domain(
        &self,
        domain: &str,
        hosts: Vec<Exchange>,
        port: u16,
    ) -> (Vec<MxReport>, (Option<MtaSts>, Option<TlsRpt>)) {
        let inner = &*self.inner;
        let config = &inner.config;
        let mx_secure = async {
            match &inner.secure {
                Some(secure) => Some(secure.mx(domain).await),
                None => None,
            }
        };
        let sts = async {
            if !config.mta_sts {
                return None;
            }
            let lookups = mtasts::lookup(
                &inner.resolver,
                &inner.trust,
                domain,
                config.mta_sts_port,
                config.timeout,
            );
            Some(lookups.await)
        };
        let probes = futures::future::join_all(hosts.iter().map(|h| self.exchange(h)));
        let (mx_secure, sts, probed) = futures::join!(mx_secure, sts, probes);
        let mx: Vec<MxReport> = probed
            .into_iter()
            .zip(&hosts)
            .map(|((mut report, lookups), x)| {
                if let (Some(mx_secure), Some((addresses, tlsa))) = (&mx_secure, lookups) {
                    let chains: Vec<_> = report
                        .addresses
                        .iter()
                        .map(AddressReport::probed_chain)
                        .collect();
                    let lookups = dane::Lookups {
                        mx: mx_secure,
                        addresses: &addresses,
                        tlsa: &tlsa,
                    };
                    let sni = x.host.name();
                    report.dane = Some(dane::evaluate(&report.host, port, sni, &lookups, &chains));
                }
                report
            })
            .collect();
        let checks = match sts {
            Some(found) => {
                let tried: Vec<mtasts::Tried> = mx.iter().flat_map(tried).collect();
                let names: Vec<&str> = mx.iter().map(|m| m.host.as_str()).collect();
                (
                    Some(mtasts::evaluate(found.mta_sts, &names, &tried)),
                    Some(found.tls_rpt),
                )
            }
            None => (None, None),
        };
        (mx, checks)
    }

    /// One exchanger: its probes and, for DANE, its secure lookups, at the
    /// same time. An exchanger given as an address has no name to secure.
    async fn exchange(&self, x: &Exchange) -> (MxReport, Option<DaneLookups>) {
        let dane = async {
            let secure = self.inner.secure.as_ref()?;
            let name = x.host.name()?;
            let families = self.inner.config.resolver.families;
            let tlsa = dane::tlsa_name(name, x.port);
            Some(futures::join!(
                secure.addresses(name, families.v4(), families.v6()),
                secure.tlsa(&tlsa)
            ))
        };
        futures::join!(self.mx_report(x), dane)
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
