//! `DargahOutcome`: what a callback means for the shop.

use crate::boundary::{self, read};
use crate::payment::DargahPayment;
use dargah_core::{Outcome, OutcomeKind};
use std::ffi::{c_char, CStr};
use std::ptr;

/// What a callback means for the shop. Exactly one caller ever gets
/// `DARGAH_OUTCOME_NEWLY_PAID` for a payment, whatever the browser, the
/// network or an attacker does. New kinds may be added: keep a `default:`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DargahOutcomeKind {
    /// Only for a NULL handle.
    DARGAH_OUTCOME_NONE = 0,
    /// Credit the order now (idempotently, keyed on the payment id), then
    /// `dargah_client_acknowledge()`.
    DARGAH_OUTCOME_NEWLY_PAID = 1,
    /// Paid earlier and already reported: show "paid", do not credit again.
    DARGAH_OUTCOME_ALREADY_PAID = 2,
    /// The gateway confirmed the payment did not go through.
    DARGAH_OUTCOME_FAILED = 3,
    /// The customer cancelled at the gateway.
    DARGAH_OUTCOME_CANCELLED = 4,
    /// Another worker is verifying right now or the answer is pending: show
    /// "we are confirming your payment"; the outcome will come.
    DARGAH_OUTCOME_IN_PROGRESS = 5,
    /// Never paid as asked (amount or identity mismatch, an unknown truth):
    /// a person must look.
    DARGAH_OUTCOME_NEEDS_REVIEW = 6,
}

impl DargahOutcomeKind {
    fn of(kind: OutcomeKind) -> DargahOutcomeKind {
        use DargahOutcomeKind::*;
        match kind {
            OutcomeKind::NewlyPaid => DARGAH_OUTCOME_NEWLY_PAID,
            OutcomeKind::AlreadyPaid => DARGAH_OUTCOME_ALREADY_PAID,
            OutcomeKind::Failed => DARGAH_OUTCOME_FAILED,
            OutcomeKind::Cancelled => DARGAH_OUTCOME_CANCELLED,
            OutcomeKind::InProgress => DARGAH_OUTCOME_IN_PROGRESS,
            OutcomeKind::NeedsReview => DARGAH_OUTCOME_NEEDS_REVIEW,
        }
    }

    /// `OutcomeKind::name()` as a static C string.
    fn name(self) -> &'static CStr {
        use DargahOutcomeKind::*;
        match self {
            DARGAH_OUTCOME_NONE => c"none",
            DARGAH_OUTCOME_NEWLY_PAID => c"newly_paid",
            DARGAH_OUTCOME_ALREADY_PAID => c"already_paid",
            DARGAH_OUTCOME_FAILED => c"failed",
            DARGAH_OUTCOME_CANCELLED => c"cancelled",
            DARGAH_OUTCOME_IN_PROGRESS => c"in_progress",
            DARGAH_OUTCOME_NEEDS_REVIEW => c"needs_review",
        }
    }
}

/// The answer to `dargah_client_handle_callback()`: a kind and the payment
/// as stored after it. Immutable: read it from any thread; free it once with
/// `dargah_outcome_free()`.
pub struct DargahOutcome {
    kind: DargahOutcomeKind,
    payment: DargahPayment,
}

impl DargahOutcome {
    pub(crate) fn new(outcome: Outcome) -> DargahOutcome {
        DargahOutcome { kind: DargahOutcomeKind::of(outcome.kind), payment: DargahPayment::new(outcome.payment, None) }
    }
}

/// The kind of the outcome; DARGAH_OUTCOME_NONE for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_outcome_kind(outcome: *const DargahOutcome) -> DargahOutcomeKind {
    read(outcome, DargahOutcomeKind::DARGAH_OUTCOME_NONE, |o| o.kind)
}

/// The kind's snake_case name ("newly_paid", "already_paid", "failed",
/// "cancelled", "in_progress", "needs_review"), for logs and bindings.
/// Static: never freed. NULL only for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_outcome_kind_name(outcome: *const DargahOutcome) -> *const c_char {
    read(outcome, ptr::null(), |o| o.kind.name().as_ptr())
}

/// The payment as stored after the callback: its id, order id, amount,
/// reference, trace number and masked card through the `dargah_payment_*`
/// getters. Borrowed from `outcome`: valid until the outcome is freed; do not
/// free it. NULL only for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_outcome_payment(outcome: *const DargahOutcome) -> *const DargahPayment {
    read(outcome, ptr::null(), |o| &o.payment as *const DargahPayment)
}

/// Free an outcome and its payment. NULL is fine.
#[no_mangle]
pub extern "C" fn dargah_outcome_free(outcome: *mut DargahOutcome) {
    boundary::free(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_the_core_names() {
        for kind in [OutcomeKind::NewlyPaid, OutcomeKind::AlreadyPaid, OutcomeKind::Failed, OutcomeKind::Cancelled, OutcomeKind::InProgress, OutcomeKind::NeedsReview] {
            assert_eq!(DargahOutcomeKind::of(kind).name().to_str().unwrap(), kind.name());
        }
    }
}
