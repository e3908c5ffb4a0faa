//! One line of `mxprobe probe`: an address's probe result as reports show
//! it, plus what reports leave out but the join needs: the DER of the
//! presented chain, which DANE matches TLSA records against (RFC 6698
//! §2.1.2 selectors work on the certificate or its key, not on the
//! summary a report keeps).

use serde::{Deserialize, Serialize};

use crate::model::AddressReport;

/// One address's probe result, for the join.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probed {
    /// The result, as in reports (its fields are the line's fields).
    #[serde(flatten)]
    pub report: AddressReport,
    /// The presented chain (leaf first), base64 DER, one per certificate
    /// of `tls.chain`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain_der: Vec<String>,
}

impl Probed {
    /// The line for `report`.
    pub fn new(report: AddressReport) -> Probed {
        let chain_der = report
            .tls
            .as_ref()
            .map(|t| {
                t.chain
                    .iter()
                    .map(|c| openssl::base64::encode_block(&c.der))
                    .collect()
            })
            .unwrap_or_default();
        Probed { report, chain_der }
    }

    /// The result with its chain's DER restored; `Err` when `chain_der`
    /// does not fit `tls.chain` or is not base64.
    pub fn into_report(self) -> Result<AddressReport, String> {
        let Probed {
            mut report,
            chain_der,
        } = self;
        let chain = report.tls.as_mut().map(|t| &mut t.chain);
        let len = chain.as_ref().map_or(0, |c| c.len());
        if chain_der.len() != len {
            return Err(format!(
                "{} certificates in chain_der for a chain of {len}",
                chain_der.len()
            ));
        }
        if let Some(chain) = chain {
            for (cert, der) in chain.iter_mut().zip(chain_der) {
                cert.der = openssl::base64::decode_block(&der)
                    .map_err(|_| "chain_der is not base64".to_string())?;
            }
        }
        Ok(report)
    }
}
