//! What to do after a connection attempt failed for a reason that may pass
//! (421, another 4xx, a reset, a timeout): a pure function of the counts,
//! so that every case is a row in a table test.

use std::time::Duration;

/// Longest pause between two attempts, however many failures.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// How persistent to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Transient failures in a row after which to give up; a success resets
    /// the count.
    pub retries: u32,
    /// First pause; doubled for each further failure in a row, up to
    /// [`MAX_BACKOFF`].
    pub backoff: Duration,
}

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Too many failures in a row: every later request gets this failure.
    GiveUp,
    /// "Too many connections" while our own other sessions are open: they
    /// explain it. Keep one slot fewer, and try again as soon as one of them
    /// ends, without a pause.
    Narrow,
    /// Try again after this pause.
    After(Duration),
}

impl RetryPolicy {
    /// After the `failures`-th transient failure in a row (1 for the first),
    /// with `others_open` of our sessions open at the server besides the
    /// failed attempt; `crowded`: the server said it limits our connections.
    pub(crate) fn decide(&self, failures: u32, crowded: bool, others_open: usize) -> Retry {
        if failures > self.retries {
            Retry::GiveUp
        } else if crowded && others_open > 0 {
            Retry::Narrow
        } else {
            Retry::After(self.pause(failures))
        }
    }

    /// The pause after the `failures`-th failure in a row.
    pub(crate) fn pause(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        (self.backoff * 2u32.pow(doublings)).min(MAX_BACKOFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        let p = RetryPolicy {
            retries: 3,
            backoff: Duration::from_millis(250),
        };
        let ms = |n| Retry::After(Duration::from_millis(n));
        // (failures in a row, crowded, others open) → decision
        let table = [
            ((1, false, 0), ms(250)),
            ((2, false, 0), ms(500)),
            ((3, false, 5), ms(1000)),
            ((4, false, 0), Retry::GiveUp),
            ((1, true, 0), ms(250)),
            ((1, true, 1), Retry::Narrow),
            ((3, true, 2), Retry::Narrow),
            ((4, true, 2), Retry::GiveUp),
        ];
        for ((failures, crowded, others), want) in table {
            assert_eq!(
                p.decide(failures, crowded, others),
                want,
                "{failures} failures, crowded {crowded}, {others} others"
            );
        }
    }

    #[test]
    fn pauses_double_up_to_the_cap() {
        let p = RetryPolicy {
            retries: 100,
            backoff: Duration::from_secs(1),
        };
        let pauses: Vec<u64> = (1..=6).map(|f| p.pause(f).as_secs()).collect();
        assert_eq!(pauses, [1, 2, 4, 8, 8, 8]);
        assert_eq!(p.pause(u32::MAX), MAX_BACKOFF, "no overflow");
        let none = RetryPolicy {
            retries: 0,
            backoff: Duration::ZERO,
        };
        assert_eq!(none.decide(1, false, 0), Retry::GiveUp);
        assert_eq!(none.pause(3), Duration::ZERO);
    }
}
