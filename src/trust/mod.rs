//! Trust checks: would a verifying sender accept this mail server, and if
//! not, exactly why?
//!
//! Per probed address, four answers ([`AddressTrust`]):
//!
//! * **chain** ([`ChainCheck`], from `crate::cert::verify`): is the chain
//!   the broadly compatible handshake received trusted (Mozilla's roots plus
//!   `--ca-file`), and every problem with it;
//! * **names** ([`NameCheck`]): does the certificate cover the MX host name,
//!   the recipient domain, the banner host, the PTR names; the remedy for
//!   the shared-hosting mismatch;
//! * **strict_tls** ([`StrictTls`]): the outcome of one more handshake, made
//!   the way a strict modern sender makes it (rustls, verification on);
//! * **ptr** ([`PtrCheck`]): forward-confirmed reverse DNS.
//!
//! Every failed check is data. What this stage does not do: decide what is a
//! finding or how severe it is (the policy does, from these fields), check
//! revocation, fetch missing intermediates, or validate DNSSEC.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::cert::anchors::Anchors;
pub use crate::cert::verify::ChainCheck;

pub(crate) mod names;
pub(crate) mod ptr;
pub(crate) mod strict;
mod verifier;

pub use names::{MatchResult, NameCheck, NameHint, NameMatch, ServerNameSource};
pub use ptr::{PtrCheck, PtrName, PtrStatus};
pub use strict::{StrictError, StrictTls};
pub(crate) use verifier::Trust;

/// What a verifying sender would make of one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressTrust {
    /// The presented chain's verdict; absent without a certificate (no
    /// handshake, or an anonymous cipher).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<ChainCheck>,
    /// The leaf against the names that matter; absent without a certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<NameCheck>,
    /// The strict handshake; absent when STARTTLS was not reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict_tls: Option<StrictTls>,
    /// Reverse DNS, checked for every address, reachable or not.
    pub ptr: PtrCheck,
    /// The name the address was probed with (SNI of its handshakes). A probe
    /// serves every MX name pointing at the address; for the others the
    /// strict verdict is carried over through the name check (see
    /// `for_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probed_as: Option<String>,
}

impl AddressTrust {
    /// What a sender that insists on PKIX (MTA-STS in enforce mode, RFC 8461
    /// §4.2) makes of the certificate for the MX host this trust is fitted
    /// to (see [`AddressTrust::probed_as`] and the names check): a chain from
    /// a trusted root, valid for that name. The error is one line.
    pub fn pkix_verdict(&self) -> Result<(), String> {
        let chain = self
            .chain
            .as_ref()
            .ok_or_else(|| "no certificate presented".to_string())?;
        if !chain.trusted {
            return Err(chain
                .rejection
                .as_ref()
                .map_or_else(|| "chain not trusted".to_string(), ToString::to_string));
        }
        match &self.names {
            Some(names) if names.mx.result == MatchResult::Match => Ok(()),
            Some(names) => Err(format!(
                "certificate not valid for {} ({})",
                names.mx.name, names.mx.result
            )),
            None => Err("names not checked".to_string()),
        }
    }

    /// Fit the strict verdict to `mx` when the address was probed under
    /// another name: the chain is the same, only the name differs. A
    /// verdict that failed only on the name becomes `ok` for a name the
    /// certificate covers, and an `ok` becomes a failure for a name it does
    /// not. `tls` is the address's broadly compatible handshake.
    pub(crate) fn for_name(&mut self, mx: &str, tls: Option<&crate::tls::Handshake>) {
        if self
            .probed_as
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case(mx))
        {
            return;
        }
        let (Some(names), Some(strict)) = (&self.names, &mut self.strict_tls) else {
            return;
        };
        let chain_ok = self.chain.as_ref().is_some_and(|c| c.trusted);
        let covered = names.mx.result == MatchResult::Match;
        let failed_on_name = matches!(
            strict,
            StrictTls::Failed {
                error: StrictError::Certificate {
                    reason: crate::cert::verify::RejectReason::NotValidForName
                },
                ..
            }
        );
        if covered && failed_on_name && chain_ok {
            if let Some(tls) = tls.filter(|t| t.protocol >= crate::tls::Protocol::Tls1_2) {
                *strict = StrictTls::Ok {
                    protocol: tls.protocol,
                    cipher: tls.cipher.clone(),
                    name_checked: true,
                };
            }
        } else if !covered && strict.is_ok() {
            *strict = StrictTls::failed(
                StrictError::Certificate {
                    reason: crate::cert::verify::RejectReason::NotValidForName,
                },
                format!("certificate is not valid for {mx}"),
            );
        }
    }
}

/// How trust is checked.
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    /// Mozilla's roots, plus `--ca-file` anchors.
    pub anchors: Anchors,
    /// Verification time in Unix seconds; `None`: the clock, at each check.
    pub at: Option<i64>,
}

impl TrustConfig {
    /// The verification time now.
    pub fn now(&self) -> i64 {
        self.at.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        })
    }
}
