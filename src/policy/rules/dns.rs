//! Findings about the domain and its MX hosts: DNS, DANE (RFC 7672),
//! MTA-STS (RFC 8461) and TLS-RPT.

use std::net::IpAddr;

use crate::dane::{DaneCheck, DaneOutcome, DaneState};
use crate::dns::DnssecStatus;
use crate::model::{DomainReport, FindingId, MxReport};
use crate::mtasts::{FetchStatus, Mode, TxtStatus};

use super::Sink;

pub(super) fn mx_findings(sink: &mut Sink, mx: &MxReport, from_mx_records: bool) {
    if mx.implicit {
        sink.add(
            FindingId::ImplicitMx,
            format!("no MX records: senders use {}'s own address", mx.host),
        );
    }
    if from_mx_records && !mx.implicit && mx.host.parse::<IpAddr>().is_ok() {
        // What the two common MTAs do, from their sources: Exim looks the
        // address up as a host name unless allow_mx_to_ip is set (default
        // false) and finds none; Postfix's dns_lookup warns "numeric domain
        // name" and smtp_addr_one uses the address.
        let preference = mx.preference.map(|p| format!("{p} ")).unwrap_or_default();
        sink.add(
            FindingId::MxIpLiteral,
            format!(
                "MX {preference}{} is an IP address, where RFC 5321 §5.1 requires a host name: Exim (allow_mx_to_ip = false by default) does not deliver to it and bounces the mail when no other MX host works (\"all relevant MX records point to non-existent hosts or (invalidly) to IP addresses\"); Postfix delivers, logging \"numeric domain name\"",
                mx.host
            ),
        );
    }
    if let Some(e) = &mx.error {
        sink.add(
            FindingId::DnsError,
            format!("address lookup for MX {} failed: {e}", mx.host),
        );
    } else if mx.addresses.is_empty() {
        sink.add(
            FindingId::DnsError,
            format!("MX {} has no address", mx.host),
        );
    }
}

/// DANE for one MX host (RFC 7672).
pub(super) fn dane_findings(sink: &mut Sink, d: &DaneCheck) {
    let statuses = [d.mx_dnssec, d.address_dnssec, d.tlsa_dnssec];
    if d.state == DaneState::Bogus || statuses.contains(&DnssecStatus::Bogus) {
        let why = d
            .errors
            .first()
            .cloned()
            .unwrap_or_else(|| "a lookup was bogus".into());
        sink.add(FindingId::DaneBogus, why);
    }
    let failed: Vec<String> = d
        .addresses
        .iter()
        .filter(|a| a.outcome != DaneOutcome::Match)
        .map(|a| {
            let detail = a
                .detail
                .as_deref()
                .map(|x| format!(": {x}"))
                .unwrap_or_default();
            format!("{}:{} {}{detail}", a.ip, a.port, a.outcome.as_str())
        })
        .collect();
    if d.state == DaneState::Applies && !failed.is_empty() {
        sink.add(
            FindingId::DaneMismatch,
            format!("{}: {}", d.tlsa_name, failed.join("; ")),
        );
    }
    if d.state == DaneState::Unusable {
        let records: Vec<String> = d
            .records
            .iter()
            .map(|r| format!("{} {} {}", r.usage, r.selector, r.matching))
            .collect();
        sink.add(
            FindingId::DaneUnusableRecords,
            format!(
                "{}: TLSA {} (none DANE-TA or DANE-EE)",
                d.tlsa_name,
                records.join(", ")
            ),
        );
    }
    if d.state == DaneState::None && d.mx_dnssec == DnssecStatus::Secure {
        sink.add(
            FindingId::DaneMissing,
            format!("no TLSA records at {}", d.tlsa_name),
        );
    }
    if d.state == DaneState::Applies && d.usable == 1 {
        sink.add(
            FindingId::DaneNoRollover,
            format!("{}: one usable TLSA record", d.tlsa_name),
        );
    }
    if d.mx_dnssec == DnssecStatus::Insecure || d.state == DaneState::NotSecure {
        let what = if d.mx_dnssec == DnssecStatus::Insecure {
            "the MX records are not signed".to_string()
        } else {
            format!(
                "TLSA records at {} but not everything on the way is signed",
                d.tlsa_name
            )
        };
        sink.add(FindingId::DnssecMissing, what);
    }
}

/// MTA-STS and TLS-RPT of the domain (RFC 8461, RFC 8460).
pub(super) fn sts_findings(sink: &mut Sink, report: &DomainReport) {
    if let Some(sts) = &report.mta_sts {
        let error = sts.error.clone().unwrap_or_default();
        match sts.txt {
            TxtStatus::Missing => sink.add(
                FindingId::MtaStsTxtMissing,
                format!("no TXT record at _mta-sts.{}", report.target.name()),
            ),
            TxtStatus::Invalid => sink.add(FindingId::MtaStsTxtInvalid, error),
            TxtStatus::Ok | TxtStatus::DnsError => {}
        }
        if let Some(fetch) = &sts.policy {
            let why = fetch.error.clone().unwrap_or_default();
            match fetch.status {
                FetchStatus::Unreachable => sink.add(
                    FindingId::MtaStsPolicyUnreachable,
                    format!("{}: {why}", fetch.url),
                ),
                FetchStatus::Invalid => sink.add(
                    FindingId::MtaStsPolicyInvalid,
                    format!("{}: {why}", fetch.url),
                ),
                FetchStatus::Ok => {}
            }
        }
        // Mode `none` withdraws the policy: senders ignore its mx lines.
        let withdrawn = sts.policy().is_some_and(|p| p.mode == Mode::None);
        for host in sts.mx_mismatch.iter().filter(|_| !withdrawn) {
            let previous = sink.mx.replace(host.clone());
            sink.add(
                FindingId::MtaStsMxMismatch,
                format!("MX {host} matches no mx: pattern of the policy"),
            );
            sink.mx = previous;
        }
        for v in &sts.violations {
            let (mx, address) = (
                sink.mx.replace(v.mx.clone()),
                sink.address.replace((v.ip, v.port)),
            );
            sink.add(FindingId::MtaStsEnforceViolated, v.reason.clone());
            (sink.mx, sink.address) = (mx, address);
        }
    }
    if let Some(rpt) = &report.tls_rpt {
        match rpt.status {
            TxtStatus::Missing => sink.add(
                FindingId::TlsRptMissing,
                format!("no TXT record at _smtp._tls.{}", report.target.name()),
            ),
            TxtStatus::Invalid => sink.add(
                FindingId::TlsRptInvalid,
                rpt.error.clone().unwrap_or_default(),
            ),
            TxtStatus::Ok | TxtStatus::DnsError => {}
        }
    }
}
