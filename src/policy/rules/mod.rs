//! The rules: facts of a report → findings, under a policy's thresholds.
//!
//! A finding at an address gets the remedy of the software recognised there
//! (`model::remedy`); the policy decides severities only.
//!
//! By scope: the domain's DNS, DANE and MTA-STS (`dns`), what a verifying
//! sender makes of an address (`trust`, with the certificate), its TLS
//! (`tls`: versions, ciphers, order, key exchange), and the predicted
//! sender outcomes (`super::senders`).

use super::{Finding, Policy};
use crate::model::{
    remedy, AddressReport, DomainReport, DomainStatus, FindingId, ProbeStatus, Target,
};
use crate::smtp::{Software, Step};

mod dns;
mod tls;
mod trust;

use dns::{dane_findings, mx_findings, sts_findings};
use tls::{enumeration_findings, negotiated_findings};
use trust::{certificate_findings, trust_findings};

/// Collects findings for one scope (domain, MX host or address).
struct Sink<'a> {
    policy: &'a Policy,
    mx: Option<String>,
    address: Option<(std::net::IpAddr, u16)>,
    /// The software recognised at the address, whose remedies the
    /// address's findings get (`Unknown` outside an address).
    software: Software,
    out: Vec<Finding>,
}

impl Sink<'_> {
    fn add(&mut self, id: FindingId, message: String) {
        let Some(severity) = self.policy.severity_of(id) else {
            return;
        };
        self.out.push(Finding {
            id,
            severity,
            mx: self.mx.clone(),
            ip: self.address.map(|a| a.0),
            port: self.address.map(|a| a.1),
            message,
            remedy: remedy::remedy(id, self.software).to_string(),
        });
    }
}

pub(super) fn findings(policy: &Policy, report: &DomainReport, now: i64) -> Vec<Finding> {
    let mut sink = Sink {
        policy,
        mx: None,
        address: None,
        software: Software::Unknown,
        out: Vec::new(),
    };
    let error = report.error.clone().unwrap_or_default();
    match report.status {
        DomainStatus::Ok => {}
        DomainStatus::Nxdomain => sink.add(FindingId::Nxdomain, error),
        DomainStatus::NoMx => sink.add(FindingId::NoMx, error),
        DomainStatus::NullMx => sink.add(FindingId::NullMx, error),
        DomainStatus::DnsError => {
            sink.add(FindingId::DnsError, format!("MX lookup failed: {error}"))
        }
    }
    sts_findings(&mut sink, report);
    // `--host` targets are servers, not MX records: an address is fine there.
    let from_mx_records = matches!(report.target, Target::Domain { .. });
    for mx in &report.mx {
        sink.mx = Some(mx.host.clone());
        sink.address = None;
        sink.software = Software::Unknown;
        mx_findings(&mut sink, mx, from_mx_records);
        if let Some(d) = &mx.dane {
            dane_findings(&mut sink, d);
        }
        for a in &mx.addresses {
            sink.address = Some((a.ip, a.port));
            sink.software = a
                .smtp
                .as_ref()
                .map_or(Software::Unknown, |s| s.software.name);
            address_findings(&mut sink, a, now);
        }
    }
    sink.out
}

fn address_findings(sink: &mut Sink, a: &AddressReport, now: i64) {
    let error = a.error.clone().unwrap_or_default();
    match a.status {
        ProbeStatus::Unreachable => sink.add(FindingId::MxUnreachable, error),
        ProbeStatus::NoStarttls => sink.add(
            FindingId::NoStarttls,
            "STARTTLS is not in the EHLO reply".into(),
        ),
        ProbeStatus::TlsError => sink.add(FindingId::StarttlsFailed, error),
        ProbeStatus::SmtpError if a.starttls_injection => {
            sink.add(FindingId::StarttlsInjection, error)
        }
        ProbeStatus::SmtpError if a.smtp_step == Some(Step::Starttls) => {
            sink.add(FindingId::StarttlsFailed, error)
        }
        ProbeStatus::SmtpError => sink.add(FindingId::SmtpError, error),
        ProbeStatus::DnsError => sink.add(FindingId::DnsError, error),
        ProbeStatus::Ok => {}
    }
    match &a.enumeration {
        Some(e) => enumeration_findings(sink, e),
        None => negotiated_findings(sink, a),
    }
    if let Some(tls) = &a.tls {
        if let Some(leaf) = tls.chain.first() {
            certificate_findings(sink, leaf, &tls.chain, now);
        }
    }
    if let Some(t) = &a.trust {
        trust_findings(sink, t);
    }
    for (id, message) in super::senders::findings(&sink.policy.senders, a) {
        sink.add(id, message);
    }
}

#[cfg(test)]
mod tests;
