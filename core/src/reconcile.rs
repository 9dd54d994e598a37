//! Reconciliation: no paid order lost when the customer never comes back.
//!
//! A pass finds payments still awaiting a callback, in doubt, or under an
//! expired lease, and resolves each through the gateway before its refund
//! deadline, with the same claim and fence as a callback, so a late callback
//! and the reconciler can never both credit. Safe to run from cron on several
//! hosts at once: the store serialises claims, and a claimed payment is skipped.

use crate::engine::{Dargah, Unprompted};
use crate::error::{ErrorKind, Result};
use crate::model::{Outcome, OutcomeKind, PaymentState};
use serde::Serialize;
use std::time::Duration;

/// How a pass behaves.
#[derive(Debug, Clone)]
pub struct ReconcileOptions {
    /// Leave a payment alone this long after it was created or last checked,
    /// so its own callback has time to arrive.
    pub min_age: Duration,
    /// At most this many payments per pass (bounded work for cron).
    pub limit: usize,
}

impl Default for ReconcileOptions {
    fn default() -> Self {
        ReconcileOptions { min_age: Duration::from_secs(120), limit: 200 }
    }
}

/// What a pass did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReconcileReport {
    pub paid: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub expired: usize,
    pub needs_review: usize,
    /// Checked and still open (not paid yet, before the deadline), or claimed by someone else.
    pub still_waiting: usize,
    /// The gateway could not be asked (timeout, 5xx, …); the next pass tries again.
    pub in_doubt: usize,
    /// Every payment this pass changed, as a callback would have reported it.
    pub outcomes: Vec<Outcome>,
}

impl ReconcileReport {
    /// One line for logs and cron mail.
    pub fn summary(&self) -> String {
        format!(
            "resolved paid {} / failed {} / cancelled {} / expired {} / needs review {}; still waiting {}; in doubt {}",
            self.paid, self.failed, self.cancelled, self.expired, self.needs_review, self.still_waiting, self.in_doubt
        )
    }

    fn count(&mut self, outcome: Outcome) {
        match outcome.payment.state {
            PaymentState::Paid if outcome.kind == OutcomeKind::NewlyPaid => self.paid += 1,
            PaymentState::Failed => self.failed += 1,
            PaymentState::Cancelled => self.cancelled += 1,
            PaymentState::Expired => self.expired += 1,
            PaymentState::NeedsReview => self.needs_review += 1,
            _ => {
                self.still_waiting += 1;
                return;
            }
        }
        self.outcomes.push(outcome);
    }
}

impl Dargah {
    /// One reconciliation pass. `progress` is told of each payment resolved.
    pub fn reconcile(&self, options: &ReconcileOptions, mut progress: impl FnMut(&Outcome)) -> Result<ReconcileReport> {
        let min_age_ms = i64::try_from(options.min_age.as_millis()).unwrap_or(i64::MAX);
        let mut report = ReconcileReport::default();
        let candidates = self.store().reconcilable(min_age_ms, options.limit)?;
        let store_now = self.store().now()?;
        for candidate in candidates {
            let adapter = match self.adapter_for(&candidate) {
                Ok(a) => a,
                // A gateway or account this client is not configured for: another host's job.
                Err(e) if e.kind() == ErrorKind::Config => continue,
                Err(e) => return Err(e),
            };
            // AtiPay verifies only with a callback's receipt: before the deadline, with
            // none yet, there is nothing to ask. The claim re-reads both under its lock.
            if adapter.verifies_by_receipt() && candidate.state == PaymentState::Awaiting && store_now < candidate.deadline_at && self.store().receipts(&candidate.id)?.is_empty() {
                report.still_waiting += 1;
                continue;
            }
            let outcome = match self.resolve_unprompted(&adapter, &candidate.id)? {
                Unprompted::Resolved(outcome) => *outcome,
                Unprompted::InDoubt(_) => {
                    report.in_doubt += 1;
                    continue;
                }
                Unprompted::Skipped => {
                    report.still_waiting += 1;
                    continue;
                }
            };
            if outcome.payment.state.is_terminal() {
                progress(&outcome);
            }
            report.count(outcome);
        }
        Ok(report)
    }
}
