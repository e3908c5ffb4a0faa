//! The rows of a report: the one walk over a [`DomainReport`] that the CSV
//! writer, the cipher table and the statistics share.
//!
//! A row is a place a sender's mail can take: an address of an MX host.
//! A domain without MX hosts (no MX, null MX, a DNS failure) is one row of
//! its own, and so is an MX host whose addresses could not be resolved.

use std::net::IpAddr;

use crate::model::{AddressReport, DomainReport, Finding, MxReport, ProbeStatus};

/// One row: the domain, and the MX host and address it is about, if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    /// The report the row belongs to.
    pub report: &'a DomainReport,
    /// The MX host (`None`: the domain has none).
    pub mx: Option<&'a MxReport>,
    /// The address (`None`: the domain or MX host has none).
    pub address: Option<&'a AddressReport>,
}

impl<'a> Place<'a> {
    /// The row's status word: the address's probe status, `dns-error` for
    /// an MX host without addresses, the domain's status otherwise.
    pub(crate) fn status(&self) -> &'static str {
        match (self.mx, self.address) {
            (_, Some(a)) => a.status.as_str(),
            (Some(_), None) => ProbeStatus::DnsError.as_str(),
            (None, None) => self.report.status.as_str(),
        }
    }

    /// Why the status is not `ok`, one line (empty: it is).
    pub(crate) fn error(&self) -> &'a str {
        match (self.mx, self.address) {
            (_, Some(a)) => a.error.as_deref(),
            (Some(mx), None) => mx.error.as_deref(),
            (None, None) => self.report.error.as_deref(),
        }
        .unwrap_or("")
    }

    /// The address and port, if the row has one.
    pub(crate) fn endpoint(&self) -> Option<(IpAddr, u16)> {
        self.address.map(|a| (a.ip, a.port))
    }

    /// The findings about this row: the domain's own, the MX host's and
    /// the address's, worst first.
    pub(crate) fn findings(&self) -> impl Iterator<Item = &'a Finding> + 'a {
        self.report
            .findings_for(self.mx.map(|m| m.host.as_str()), self.endpoint())
    }
}

/// Every row of `report`, in the order a sender tries them.
pub(crate) fn places(report: &DomainReport) -> impl Iterator<Item = Place<'_>> {
    let domain = report.mx.is_empty().then_some(Place {
        report,
        mx: None,
        address: None,
    });
    let hosts = report.mx.iter().flat_map(move |mx| {
        let unresolved = mx.addresses.is_empty().then_some(Place {
            report,
            mx: Some(mx),
            address: None,
        });
        unresolved
            .into_iter()
            .chain(mx.addresses.iter().map(move |a| Place {
                report,
                mx: Some(mx),
                address: Some(a),
            }))
    });
    domain.into_iter().chain(hosts)
}
