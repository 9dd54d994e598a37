//! The invariants of verify-once, checked over a whole recorded history.

use super::history::{History, PaymentHistory};
use serde_json::Value;
use std::collections::BTreeMap;

/// A card number the sandbox's customers pay with; no stored row may hold it.
pub const CARD: &str = "6037991234567890";

/// Why a paid payment may end in `needs_review`: the cases the engine
/// documents as undecidable, by the note it leaves.
const UNDECIDABLE: &[(&str, &str)] = &[
    ("atipay", "no referenceNumber"),
    ("atipay", "no receipt of its own"),
    ("atipay", "may have gone through"),
    ("mupra", "may have gone through"),
    ("atipay", "no amount"),
    ("vandar", "no amount"),
    // Vandar answers verify once and only its success body credits: a verify whose
    // answer was lost (or whose worker died) can end only in review (docs/gateway-readings.md).
    ("vandar", "may have gone through"),
    ("vandar", "which the document does not describe"),
    ("vandar", "transaction info refused"),
    ("vandar", "verify refused a payment transaction info shows paid"),
];

#[derive(Debug, Default)]
pub struct Verdict {
    pub violations: Vec<String>,
    /// Paid at the gateway, ended in review: counted by cause.
    pub undecidable: BTreeMap<String, usize>,
    pub paid: usize,
    pub unpaid: usize,
}

/// From this many payments on, a seed deals at least one customer who pays in time.
const MIN_PAYMENTS_FOR_A_PAYER: usize = 8;

pub fn check(history: &History) -> Verdict {
    let mut verdict = Verdict::default();
    for p in history.payments.values() {
        let mut fail = |what: &str| verdict.violations.push(format!("{what}\n{}", p.report(history.seed)));
        let reports = p.newly_paid_reports();
        let credits = reports + usize::from(p.credited_from_outbox);
        if reports > 1 {
            fail(&format!("invariant 1: {reports} calls were told newly_paid"));
        }
        if p.gateway_paid() {
            verdict.paid += 1;
            match p.store_state.as_str() {
                "paid" if credits == 1 => {}
                "paid" => fail(&format!("invariant 1: paid, credited {credits} times (newly_paid {reports}, outbox {})", p.credited_from_outbox)),
                "needs_review" if receipt_spent_elsewhere(history, p) => {
                    *verdict.undecidable.entry(format!("{} receipt replayed at an order of the same amount", p.gateway)).or_default() += 1
                }
                "needs_review" => {
                    let documented: Vec<&str> = UNDECIDABLE.iter().filter(|(g, cause)| *g == p.gateway && p.note.contains(cause)).map(|(_, cause)| *cause).collect();
                    match documented.iter().find(|cause| cause_possible(history, p, cause)) {
                        Some(cause) => *verdict.undecidable.entry(format!("{} {cause}", p.gateway)).or_default() += 1,
                        None if documented.is_empty() => fail("invariant 1: paid at the gateway, needs_review for a cause the engine does not document"),
                        None => fail(&format!("invariant 1: paid at the gateway, needs_review for {documented:?}, which this history cannot explain")),
                    }
                }
                "cancelled" | "failed" if closed_on_an_unverifiable_callback(p) => {
                    *verdict.undecidable.entry(format!("{} closed at the deadline on an unverifiable callback, never verified", p.gateway)).or_default() += 1
                }
                other => fail(&format!("invariant 1: paid at the gateway, ends {other}")),
            }
        } else {
            verdict.unpaid += 1;
            if p.store_state == "paid" || reports > 0 || p.credited_from_outbox {
                fail("invariant 2: unpaid at the gateway, but paid or credited");
            }
        }
        // Vandar answers success once by itself: a verify sent again after an answer was lost
        // (transaction info keeps code 1 before and after a verify, so nothing else tells) is
        // refused and credits nothing. What must not happen — a success body Dargah received
        // and lost — is invariant 1's: a paid payment in review for "may have gone through"
        // needs a lost answer or a killed worker (`cause_possible`).
        // CanPay documents repeats. AtiPay and Mupra are silent: a paid payment is
        // verified once, and again only after an answer was lost or a worker died.
        let (verifies, allowed) = match p.gateway.as_str() {
            "vandar" => (p.gateway_view["verify_count"].as_u64().unwrap_or(0), 1),
            "canpay" => (0, 0),
            // A receipt replayed at another order is verified before it can be told apart.
            // Mupra's first verify answered with a refusal (a reading) is an answer lost too.
            _ => {
                let refused_first = u64::from(p.gateway == "mupra" && reading_is(history, "mupra_first_verify", &["processed_and_refused"]));
                (p.gateway_view["verify_count"].as_u64().unwrap_or(0), 1 + refused_first + p.verify_answers_lost + history.workers_killed as u64 + replays_of(history, p.slot))
            }
        };
        if verifies > allowed {
            fail(&format!("invariant 3: {verifies} verify calls of a paid payment, {allowed} allowed"));
        }
        // A verify of a Vandar payment nobody paid may spend its one answer (a reading the
        // document permits): Dargah sends none, forged OK or not (a refunded one aside).
        if p.gateway == "vandar" && p.gateway_view["verify_refused_unpaid"].as_u64().unwrap_or(0) > 0 && p.gateway_view["refunded"] != true {
            fail("invariant 3: a Vandar verify of a payment nobody had paid");
        }
        // The customer who paid is never told the payment failed.
        if p.gateway_paid() && p.answers.iter().any(|a| a["op"] == "callback:genuine" && (a["result"] == "failed" || a["result"] == "cancelled")) {
            fail("invariant 6: a genuine callback of a paid payment was told failed or cancelled");
        }
        let paid = p.store_state == "paid";
        if paid && !p.acknowledged && !p.in_outbox {
            fail("invariant 4: paid, not acknowledged, and missing from unacknowledged()");
        }
        if p.acknowledged && p.in_outbox {
            fail("invariant 4: acknowledged but still in unacknowledged()");
        }
        if p.stored_text.iter().any(|t| t.contains(CARD)) {
            fail("invariant 5: a stored row holds the full card number");
        }
    }
    // A run is only evidence if it ran what it planned: every payment made (creates meet no
    // fault, so one the store kept refusing is a failure the per-payment checks cannot see),
    // and some customer's payment paid, so that crediting was exercised at all.
    if history.payments.len() < history.planned {
        let errors: Vec<String> = history.other.iter().filter(|l| l["op"] == "create").map(|l| l["result"].to_string()).collect();
        verdict.violations.push(format!("{} of {} payments were never created: {}", history.planned - history.payments.len(), history.planned, errors.join(", ")));
    }
    if verdict.paid == 0 && history.planned >= MIN_PAYMENTS_FOR_A_PAYER {
        verdict.violations.push(format!("no payment of {} was paid at the gateway: the run exercised no credit", history.planned));
    }
    verdict
}

/// AtiPay's verify answers only an amount: a forger who replays a customer's
/// receipt at another order of the same amount gets that order paid with it,
/// and the customer's own callback is then refused (one receipt credits one
/// payment), so a person must look. The documented API cannot tell them apart.
fn receipt_spent_elsewhere(history: &History, p: &PaymentHistory) -> bool {
    let Some(receipt) = p.gateway_view["reference"].as_str().filter(|_| p.gateway == "atipay") else { return false };
    history.payments.values().any(|other| {
        other.id != p.id && other.store_state == "paid" && other.reference.as_deref() == Some(receipt) && other.gateway_view["amount"] == p.gateway_view["amount"]
    })
}

/// Whether the customer's own callback reached the store while its payment
/// was open. A browser that came back only after the deadline had closed the
/// payment finds it closed: its receipt came too late to count. A payment
/// closed before its deadline cannot be explained this way.
fn receipt_arrived_in_time(p: &PaymentHistory) -> bool {
    let closed_at_deadline = p.closed_at.is_some_and(|at| at >= p.deadline_at);
    let in_time = |a: &Value| a["result"] != "error:store" && !(closed_at_deadline && a["result"] == p.store_state.as_str());
    p.answers.iter().any(|a| a["op"] == "callback:genuine" && in_time(a))
}

/// AtiPay verifies only with the receipt the customer's browser brings, and
/// returns money it was never asked to verify to the buyer (GATEWAYS.md). When
/// that browser never came back in time, a callback saying "cancelled" or
/// "failed" — the customer's, or a forger's, they cannot be told apart — is the
/// only word there is: at the deadline the payment closes on it.
fn closed_on_an_unverifiable_callback(p: &PaymentHistory) -> bool {
    p.gateway == "atipay"
        && p.gateway_view["verified"] == false
        && p.closed_at.is_some_and(|at| at >= p.deadline_at)
        && !receipt_arrived_in_time(p)
}

/// How often a slot's genuine callback was replayed at other payments.
fn replays_of(history: &History, slot: usize) -> u64 {
    let label = format!("callback:replayed_receipt_of_slot_{slot}");
    history.payments.values().flat_map(|p| &p.answers).filter(|a| a["op"] == label.as_str()).count() as u64
}

/// A documented cause of review must fit what happened. AtiPay can verify
/// only with the customer's receipt: if no genuine callback got past the
/// store, review is all it can do, whatever it tried. Otherwise "may have
/// gone through" needs a gateway that refuses repeated verifies, and "no
/// referenceNumber" cannot be.
fn cause_possible(history: &History, p: &PaymentHistory, cause: &str) -> bool {
    // A browser that came back only after the deadline had closed the payment
    // finds it in review: its receipt came too late to count. A review that
    // began before the deadline cannot be explained this way.
    let receipt_arrived = receipt_arrived_in_time(p);
    // A gateway that verifies a receipt once burns it when a forger replays it at
    // another order first: the customer's own verify is refused from then on.
    let receipt_burned = history.refuse_repeat_verify && replays_of(history, p.slot) > 0;
    match cause {
        _ if p.gateway == "atipay" && (!receipt_arrived || receipt_burned) => true,
        "may have gone through" if p.gateway == "vandar" => p.verify_answers_lost > 0 || history.workers_killed > 0,
        // Mupra may also refuse a verify after one that answered `paid: false`, or answer its
        // first verify of a paid payment with a refusal although it went through (readings).
        "may have gone through" if p.gateway == "mupra" => {
            history.refuse_repeat_verify || reading_is(history, "mupra_unpaid_verify", &["refuses_later"]) || reading_is(history, "mupra_first_verify", &["processed_and_refused"])
        }
        "may have gone through" => history.refuse_repeat_verify,
        "no referenceNumber" | "no receipt of its own" => false,
        // Vandar's transaction info: a code the document does not show comes only from a
        // reading that answers one (or an injected fault), a refusal only from a reading that refuses.
        "which the document does not describe" => {
            reading_is(history, "vandar_info_verified", &["invented_codes", "unknown_code"]) || reading_is(history, "vandar_info_unpaid", &["invented_codes"]) || history.faults.contains_key("unknown answer code")
        }
        "transaction info refused" => reading_is(history, "vandar_info_verified", &["refused"]) || reading_is(history, "vandar_info_unpaid", &["refused"]),
        // Vandar's verify refused although its transaction info shows the payment paid and
        // waiting: its one answer went to a verify of ours whose answer was lost (a dropped
        // answer, a killed worker), or to a verify of the payment before it was paid (a reading).
        "verify refused a payment transaction info shows paid" => p.verify_answers_lost > 0 || history.workers_killed > 0 || p.gateway_view["verify_spent_unpaid"] == true,
        _ => true,
    }
}

/// Whether the run's reading of `silence` is one of `names`.
fn reading_is(history: &History, silence: &str, names: &[&str]) -> bool {
    history.readings.iter().any(|r| r.silence == silence && names.contains(&r.name))
}
