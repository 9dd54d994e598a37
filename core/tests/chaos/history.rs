//! The recorded history of a run: every line a worker reported, and per
//! payment what the gateway (the sandbox) and the store hold at the end.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Everything known of one payment, for the checker and for a bug report.
#[derive(Debug, Default, Clone)]
pub struct PaymentHistory {
    pub slot: usize,
    pub gateway: String,
    pub id: String,
    pub token: String,
    pub customer: String,
    /// What workers were told about it, in the order each worker said it.
    pub answers: Vec<Value>,
    /// The sandbox's view: `status` (paid, cancelled, pending, refunded) and more.
    pub gateway_view: Value,
    /// Verify calls that reached the gateway's logic, and those whose answer was lost or spoiled.
    pub verifies_processed: u64,
    pub verify_answers_lost: u64,
    pub store_state: String,
    /// The gateway reference the store holds for it (the receipt that paid it, for AtiPay).
    pub reference: Option<String>,
    pub note: String,
    pub acknowledged: bool,
    pub in_outbox: bool,
    /// Credited from the outbox at the end (the request that was told newly_paid died or never said).
    pub credited_from_outbox: bool,
    /// The store's own history of it: (label, raw answer).
    pub events: Vec<(String, String)>,
    /// The payment's deadline, and when the store first closed it (both on the store's clock).
    pub deadline_at: i64,
    pub closed_at: Option<i64>,
    /// Every text the store shows of it (for the card-number check).
    pub stored_text: Vec<String>,
}

impl PaymentHistory {
    pub fn newly_paid_reports(&self) -> usize {
        self.answers.iter().filter(|a| a["result"] == "newly_paid").count()
    }

    pub fn gateway_paid(&self) -> bool {
        self.gateway_view["status"] == "paid" || self.gateway_view["paid"].as_bool() == Some(true)
    }

    /// Every operation, answer and state change in order: a failing seed as a bug report.
    pub fn report(&self, seed: u64) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "seed {seed}, slot {} ({} {}; customer {}), payment {} token {}", self.slot, self.gateway, self.customer, self.customer, self.id, self.token);
        let _ = writeln!(out, "  gateway holds: {}", self.gateway_view);
        let _ = writeln!(out, "  verify calls processed {}, answers lost {}", self.verifies_processed, self.verify_answers_lost);
        for a in &self.answers {
            let _ = writeln!(out, "  worker {} op {}: {} -> {} {}", a["w"], a["n"], a["op"], a["result"], a["state"].as_str().unwrap_or(""));
        }
        for (label, raw) in &self.events {
            let _ = writeln!(out, "  store event {label}: {raw}");
        }
        let _ = writeln!(out, "  deadline at {}, closed at {:?}", self.deadline_at, self.closed_at);
        let _ = writeln!(out, "  ends {} (acknowledged {}, outbox {}, credited from outbox {}) note: {}", self.store_state, self.acknowledged, self.in_outbox, self.credited_from_outbox, self.note);
        out
    }
}

/// What a whole run recorded.
#[derive(Debug, Default)]
pub struct History {
    pub seed: u64,
    /// Payments the plan creates (each should exist in `payments`).
    pub planned: usize,
    /// The gateway model's reading of AtiPay's and Mupra's silence on repeated verifies.
    pub refuse_repeat_verify: bool,
    /// The reading of every silence this run was under (the sandbox's modes).
    pub readings: Vec<crate::support::readings::Reading>,
    /// Operations run, by the gateway of their payment (`all` for recover and reconcile).
    pub operations_by_gateway: BTreeMap<String, usize>,
    pub payments: BTreeMap<String, PaymentHistory>,
    /// Lines about no particular payment (errors of recover or reconcile as a whole).
    pub other: Vec<Value>,
    pub operations: usize,
    pub workers_killed: usize,
    pub faults: BTreeMap<String, usize>,
}

impl History {
    /// Operations that ran under each reading: those on a payment of a gateway
    /// the reading's silence belongs to, and every recover and reconcile.
    pub fn operations_by_reading(&self) -> BTreeMap<String, usize> {
        let everywhere = self.operations_by_gateway.get("all").copied().unwrap_or(0);
        let silences = crate::support::readings::SILENCES;
        self.readings
            .iter()
            .map(|r| {
                let gateways = silences.iter().find(|s| s.name == r.silence).map(|s| s.gateways).unwrap_or(&[]);
                let own: usize = gateways.iter().map(|g| self.operations_by_gateway.get(g.name()).copied().unwrap_or(0)).sum();
                (r.to_string(), own + everywhere)
            })
            .collect()
    }

    /// File one worker line under its payment.
    pub fn add(&mut self, line: Value, slot_ids: &BTreeMap<usize, String>) {
        let id = line["payment"].as_str().map(str::to_string).or_else(|| line["slot"].as_u64().and_then(|s| slot_ids.get(&(s as usize)).cloned()));
        match id.and_then(|id| self.payments.get_mut(&id)) {
            Some(p) => p.answers.push(line),
            None => self.other.push(line),
        }
    }
}
