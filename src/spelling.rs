//! How enums are spelt in output.
//!
//! JSON gets an enum's spelling from serde (`rename_all`); CSV columns,
//! text reports and finding messages need the same word as a `&str`.
//! Asking serde for it (a round trip through `serde_json::Value`) hides a
//! failure as an empty string and costs an allocation per word, so each
//! enum in output has an `as_str()`, and the test below holds every
//! variant's `as_str()` to its serde spelling: the two cannot drift apart.

/// `ALL` and `as_str()` for a unit enum, from one list of its variants and
/// their spellings. The generated `match` is exhaustive, so a variant left
/// out of the list does not compile, and `ALL`, made from the same list,
/// holds every variant (in the order listed).
macro_rules! spelling {
    ($ty:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The spelling in output: serde's (JSON), also used by CSV
            /// and text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }
        }
    };
}
pub(crate) use spelling;

#[cfg(test)]
mod tests {
    use serde::Serialize;

    /// Every `as_str()` of `all` is serde's spelling of the variant.
    fn holds<T: Serialize + Copy + std::fmt::Debug>(all: &[T], as_str: impl Fn(T) -> &'static str) {
        assert!(!all.is_empty());
        for v in all {
            let serde = serde_json::to_value(v).expect("serialises");
            assert_eq!(serde.as_str(), Some(as_str(*v)), "{v:?}");
        }
    }

    #[test]
    fn as_str_is_the_serde_spelling() {
        use crate::cert::anchors::AnchorSource;
        use crate::cert::verify::{RejectReason, WeakDigest};
        use crate::dane::{DaneOutcome, DaneState};
        use crate::dns::{DnssecMode, DnssecStatus};
        use crate::logs::{Direction, SortOrder};
        use crate::model::{DomainStatus, FindingId, ProbeStatus, Severity};
        use crate::mtasts::{FetchStatus, Mode, TxtStatus, ViolationKind};
        use crate::policy::Unlisted;
        use crate::smtp::{Software, Step};
        use crate::tls::cipher::{Auth, Kx};
        use crate::tls::order::OrderType;
        use crate::tls::Protocol;
        use crate::trust::names::ServerNameSource;
        use crate::trust::{MatchResult, PtrStatus};

        holds(DomainStatus::ALL, DomainStatus::as_str);
        holds(ProbeStatus::ALL, ProbeStatus::as_str);
        holds(&Severity::ALL, Severity::as_str);
        holds(FindingId::ALL, FindingId::as_str);
        holds(Step::ALL, Step::as_str);
        holds(Software::ALL, Software::as_str);
        holds(&Protocol::ALL, Protocol::as_str);
        holds(OrderType::ALL, OrderType::as_str);
        holds(Kx::ALL, Kx::as_str);
        holds(Auth::ALL, Auth::as_str);
        holds(DnssecMode::ALL, DnssecMode::as_str);
        holds(DnssecStatus::ALL, DnssecStatus::as_str);
        holds(DaneState::ALL, DaneState::as_str);
        holds(DaneOutcome::ALL, DaneOutcome::as_str);
        holds(TxtStatus::ALL, TxtStatus::as_str);
        holds(FetchStatus::ALL, FetchStatus::as_str);
        holds(Mode::ALL, Mode::as_str);
        holds(ViolationKind::ALL, ViolationKind::as_str);
        holds(PtrStatus::ALL, PtrStatus::as_str);
        holds(MatchResult::ALL, MatchResult::as_str);
        holds(ServerNameSource::ALL, ServerNameSource::as_str);
        holds(AnchorSource::ALL, AnchorSource::as_str);
        holds(WeakDigest::ALL, WeakDigest::as_str);
        holds(RejectReason::ALL, RejectReason::as_str);
        holds(Direction::ALL, Direction::as_str);
        holds(SortOrder::ALL, SortOrder::as_str);
        holds(Unlisted::ALL, Unlisted::as_str);
    }

    /// Every `tag` in `values` (one value per variant) is serde's.
    fn tags<T: Serialize + std::fmt::Debug>(
        values: &[T],
        tag: &str,
        of: impl Fn(&T) -> &'static str,
    ) {
        for v in values {
            let serde = serde_json::to_value(v).expect("serialises");
            assert_eq!(serde[tag].as_str(), Some(of(v)), "{v:?}");
        }
    }

    #[test]
    fn tags_of_enums_with_data_are_the_serde_tags() {
        use crate::cert::verify::{ChainProblem, RejectReason, WeakDigest};
        use crate::tls::Protocol;
        use crate::trust::{StrictError, StrictTls};

        let (position, subject) = (1, String::from("CN=x"));
        tags(
            &[
                ChainProblem::Expired {
                    position,
                    subject: subject.clone(),
                    not_after: "2020-01-01T00:00:00Z".into(),
                    days_ago: 1,
                },
                ChainProblem::NotYetValid {
                    position,
                    subject: subject.clone(),
                    not_before: "2999-01-01T00:00:00Z".into(),
                    days_until: 1,
                },
                ChainProblem::SelfSigned {
                    subject: subject.clone(),
                },
                ChainProblem::UnknownIssuer {
                    position,
                    root: subject.clone(),
                },
                ChainProblem::IncompleteChain {
                    position,
                    missing_issuer: subject.clone(),
                    ca_issuers: vec![],
                },
                ChainProblem::BadSignature {
                    position,
                    issuer: subject.clone(),
                },
                ChainProblem::WrongOrder {
                    issuing_order: vec![1, 0],
                },
                ChainProblem::UnusedCertificate {
                    position,
                    subject: subject.clone(),
                },
                ChainProblem::WeakKey {
                    position,
                    subject: subject.clone(),
                    key_type: "RSA".into(),
                    bits: 1024,
                    minimum: 2048,
                },
                ChainProblem::WeakSignature {
                    position,
                    subject,
                    algorithm: "sha1WithRSAEncryption".into(),
                    digest: WeakDigest::Sha1,
                },
                ChainProblem::Rejected {
                    reason: RejectReason::Other,
                    detail: "no".into(),
                },
            ],
            "kind",
            ChainProblem::kind,
        );
        let reason = String::from("why");
        let errors = [
            StrictError::Certificate {
                reason: RejectReason::Expired,
            },
            StrictError::Alert {
                alert: "HandshakeFailure".into(),
            },
            StrictError::Incompatible {
                reason: reason.clone(),
            },
            StrictError::Misbehaved { reason },
            StrictError::Protocol,
            StrictError::Timeout,
            StrictError::Closed,
            StrictError::NoSession,
            StrictError::InvalidName,
        ];
        tags(&errors, "kind", StrictError::kind);
        tags(
            &[
                StrictTls::Ok {
                    protocol: Protocol::Tls1_3,
                    cipher: "TLS13_AES_256_GCM_SHA384".into(),
                    name_checked: true,
                },
                StrictTls::Failed {
                    error: StrictError::Timeout,
                    detail: "timed out".into(),
                },
            ],
            "result",
            StrictTls::result,
        );
    }
}
