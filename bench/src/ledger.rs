//! The ledger of a load run, kept as Hookdeck Outpost's load tests keep
//! theirs: every delivery the app accepted is accounted for by its state
//! in the store (delivered, still pending, refused, failed, gone) or by
//! retention (pruned after it finished), and nothing is missing. A run
//! whose ledger shows a missing delivery fails.

use std::fmt;

use callback_runtime::delivery::Status;
use serde::{Deserialize, Serialize};

/// Where the deliveries of one run are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Deliveries the app accepted: queued, and the request answered
    /// (or the `enqueue` call returned).
    pub accepted: u64,
    pub delivered: u64,
    pub pending: u64,
    pub refused: u64,
    pub failed: u64,
    pub gone: u64,
    /// Deleted by retention after they finished.
    pub pruned: u64,
    /// In a state this ledger has no column for (one the store gained
    /// since): accounted for, shown apart.
    #[serde(default)]
    pub other: u64,
}

impl Ledger {
    /// A ledger of `accepted` deliveries, none accounted for yet.
    pub fn of(accepted: u64) -> Ledger {
        Ledger {
            accepted,
            ..Ledger::default()
        }
    }

    /// Counts `count` deliveries found in state `status`.
    pub fn add(&mut self, status: Status, count: u64) {
        self.add_named(status.as_str(), count);
    }

    /// Counts `count` deliveries found in the state the store names
    /// `status`.
    pub fn add_named(&mut self, status: &str, count: u64) {
        let slot = match status {
            "pending" => &mut self.pending,
            "delivered" => &mut self.delivered,
            "refused" => &mut self.refused,
            "failed" => &mut self.failed,
            "gone" => &mut self.gone,
            _ => &mut self.other,
        };
        *slot += count;
    }

    /// Deliveries found, in any state or pruned.
    pub fn accounted(&self) -> u64 {
        self.delivered
            + self.pending
            + self.refused
            + self.failed
            + self.gone
            + self.pruned
            + self.other
    }

    /// Accepted deliveries that are nowhere.
    pub fn missing(&self) -> u64 {
        self.accepted.saturating_sub(self.accounted())
    }

    /// Deliveries found beyond those accepted (queued by requests whose
    /// answer was not counted).
    pub fn extra(&self) -> u64 {
        self.accounted().saturating_sub(self.accepted)
    }

    /// The sum of two runs' ledgers.
    pub fn plus(&self, other: &Ledger) -> Ledger {
        Ledger {
            accepted: self.accepted + other.accepted,
            delivered: self.delivered + other.delivered,
            pending: self.pending + other.pending,
            refused: self.refused + other.refused,
            failed: self.failed + other.failed,
            gone: self.gone + other.gone,
            pruned: self.pruned + other.pruned,
            other: self.other + other.other,
        }
    }

    /// Fails when an accepted delivery is missing.
    pub fn check(&self, run: &str) -> Result<(), String> {
        match self.missing() {
            0 => Ok(()),
            missing => Err(format!(
                "{run}: {missing} accepted deliveries are missing: {self}"
            )),
        }
    }
}

impl fmt::Display for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "accepted {} = delivered {} + pending {} + refused {} + failed {} + gone {}",
            self.accepted, self.delivered, self.pending, self.refused, self.failed, self.gone
        )?;
        if self.pruned > 0 {
            write!(f, " + pruned {}", self.pruned)?;
        }
        if self.other > 0 {
            write!(f, " + in other states {}", self.other)?;
        }
        write!(f, "; missing {}", self.missing())?;
        if self.extra() > 0 {
            write!(f, ", extra {}", self.extra())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_ledger_passes() {
        let mut ledger = Ledger::of(10);
        ledger.add(Status::Delivered, 6);
        ledger.add(Status::Pending, 3);
        ledger.add(Status::Refused, 1);
        assert_eq!(ledger.missing(), 0);
        assert!(ledger.check("run").is_ok());
        assert_eq!(
            ledger.to_string(),
            "accepted 10 = delivered 6 + pending 3 + refused 1 + failed 0 + gone 0; missing 0"
        );
    }

    #[test]
    fn a_missing_delivery_fails_the_run() {
        let mut ledger = Ledger::of(10);
        ledger.add(Status::Delivered, 8);
        ledger.pruned = 1;
        assert_eq!(ledger.missing(), 1);
        let error = ledger.check("soak").expect_err("one is missing");
        assert!(
            error.starts_with("soak: 1 accepted deliveries are missing"),
            "{error}"
        );
        assert!(error.contains("+ pruned 1; missing 1"), "{error}");
    }

    #[test]
    fn a_state_without_a_column_is_accounted_for() {
        let mut ledger = Ledger::of(3);
        ledger.add_named("delivered", 2);
        ledger.add_named("cancelled", 1);
        assert_eq!((ledger.other, ledger.missing()), (1, 0));
        assert!(ledger.to_string().contains("+ in other states 1;"));
    }

    #[test]
    fn extras_are_shown_but_do_not_fail() {
        let mut ledger = Ledger::of(2);
        ledger.add(Status::Delivered, 3);
        assert_eq!((ledger.missing(), ledger.extra()), (0, 1));
        assert!(ledger.check("run").is_ok());
        assert!(ledger.to_string().ends_with("missing 0, extra 1"));
        assert_eq!(ledger.plus(&ledger).accepted, 4);
    }
}
