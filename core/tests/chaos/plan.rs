//! The seeded workload: what each payment's customer does, which callbacks
//! (genuine and forged) reach the shop and when, and the operations each
//! worker process runs. The same seed always gives the same plan.

use crate::support::readings::{self, Reading};
use dargah_core::Gateway;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One operation a worker runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Op {
    Create { slot: usize, gateway: String, invoice: String, amount: u64 },
    /// `callback` is `{"url": …, "form": {…}}`, as the sandbox describes a browser's callback.
    Callback { slot: usize, gateway: String, label: String, callback: Value },
    Recover,
    Reconcile,
}

/// What the customer does at the gateway's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Customer {
    Pays,
    Cancels,
    /// Closes the tab: nothing at the gateway, no callback.
    Abandons,
}

/// A payment's place in the workload, before it exists.
#[derive(Debug, Clone)]
pub struct Slot {
    pub gateway: Gateway,
    pub invoice: String,
    pub amount: u64,
    pub customer: Customer,
    /// How often the genuine callback is delivered (0: the browser never came back).
    pub genuine_deliveries: usize,
}

pub struct Plan {
    pub rng: StdRng,
    pub slots: Vec<Slot>,
    pub workers: usize,
    /// For every silence of the documents, the reading this seed runs under.
    pub readings: Vec<Reading>,
}

impl Plan {
    /// `known_broken`: draw readings of `readings::KNOWN_BROKEN` too.
    pub fn new(seed: u64, payments: usize, workers: usize, known_broken: bool) -> Plan {
        let mut rng = StdRng::seed_from_u64(seed);
        let slots = (0..payments)
            .map(|i| {
                let gateway = *Gateway::ALL.choose(&mut rng).unwrap();
                let customer = match rng.gen_range(0..100) {
                    0..=64 => Customer::Pays,
                    65..=82 => Customer::Cancels,
                    _ => Customer::Abandons,
                };
                let genuine_deliveries = if customer == Customer::Abandons { 0 } else { rng.gen_range(0..=3) };
                Slot { gateway, invoice: format!("chaos-{seed}-{i}"), amount: 10_000 + rng.gen_range(0..500) * 100, customer, genuine_deliveries }
            })
            .collect();
        let readings = draw_readings(seed, known_broken);
        Plan { rng, slots, workers, readings }
    }

    /// Round 0: every payment created by some worker.
    pub fn creates(&mut self) -> Vec<Vec<Op>> {
        let mut per_worker = vec![Vec::new(); self.workers];
        for (slot, s) in self.slots.iter().enumerate() {
            let w = self.rng.gen_range(0..self.workers);
            per_worker[w].push(Op::Create { slot, gateway: s.gateway.name().into(), invoice: s.invoice.clone(), amount: s.amount });
        }
        per_worker
    }

    /// Spread `ops` over the workers at random, with recover and reconcile passes mixed in.
    pub fn deal(&mut self, mut ops: Vec<Op>) -> Vec<Vec<Op>> {
        for _ in 0..(ops.len() / 6).max(2) {
            ops.push(if self.rng.gen_bool(0.5) { Op::Recover } else { Op::Reconcile });
        }
        ops.shuffle(&mut self.rng);
        let mut per_worker = vec![Vec::new(); self.workers];
        for op in ops {
            per_worker[self.rng.gen_range(0..self.workers)].push(op);
        }
        per_worker
    }

    /// Forged callbacks for `slot`: a forged OK or FAILED, a guessed invoice, duplicated keys.
    pub fn forgeries(&mut self, slot: usize, id: &str, token: &str) -> Vec<Op> {
        let s = self.slots[slot].clone();
        let ok = self.rng.gen_bool(0.5);
        let mut ops = vec![Op::Callback { slot, gateway: s.gateway.name().into(), label: format!("forged_{}", if ok { "ok" } else { "failed" }), callback: forged(&s, id, token, ok, &mut self.rng) }];
        if self.rng.gen_bool(0.3) {
            // Duplicated keys: two tokens in one query string.
            let callback = json!({"url": format!("https://shop.example/cb?dargah_ref={id}&token={token}&token=OTHER&payment_status=OK&status=OK"), "form": {}});
            ops.push(Op::Callback { slot, gateway: s.gateway.name().into(), label: "duplicated_keys".into(), callback });
        }
        if s.gateway == Gateway::AtiPay && self.rng.gen_bool(0.3) {
            let mut callback = forged(&s, id, token, true, &mut self.rng);
            callback["url"] = json!("https://shop.example/cb");
            callback["form"]["reservationNumber"] = json!(format!("guess-{}", self.rng.gen_range(0..1_000_000)));
            ops.push(Op::Callback { slot, gateway: s.gateway.name().into(), label: "guessed_invoice".into(), callback });
        }
        ops
    }

    /// Another payment's genuine callback replayed at `slot` (its receipt or its token).
    pub fn replay(&mut self, slot: usize, id: &str, invoice: &str, from: usize, other: &Value, gateway: Gateway) -> Op {
        let mut callback = other.clone();
        let url = other["url"].as_str().unwrap_or_default();
        let mut parsed = url::Url::parse(url).unwrap();
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().map(|(k, v)| if k == "dargah_ref" { (k, id.to_string()) } else { (k, v) }).collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
        callback["url"] = json!(parsed.to_string());
        if gateway == Gateway::AtiPay {
            callback["form"]["reservationNumber"] = json!(invoice);
        }
        Op::Callback { slot, gateway: gateway.name().into(), label: format!("replayed_receipt_of_slot_{from}"), callback }
    }
}

/// One reading for every silence of the documents, drawn from the seed: each
/// silence's readings in turn, rotated every full turn so silences with as
/// many readings meet in every combination; any `2n` consecutive seeds run all
/// `n` readings of a silence. Without `known_broken`, a reading of
/// `readings::KNOWN_BROKEN` gives way to the next one.
fn draw_readings(seed: u64, known_broken: bool) -> Vec<Reading> {
    readings::SILENCES
        .iter()
        .enumerate()
        .map(|(i, silence)| {
            let n = silence.readings.len();
            let first = (seed as usize).wrapping_add(i).wrapping_add(i.wrapping_mul(seed as usize / n));
            (0..n).map(|k| Reading { silence: silence.name, name: silence.readings[(first + k) % n] }).find(|r| known_broken || !r.known_broken()).unwrap()
        })
        .collect()
}

/// A callback a forger can make knowing the payment's reference and token (what a browser shows).
fn forged(s: &Slot, id: &str, token: &str, ok: bool, rng: &mut StdRng) -> Value {
    let url = format!("https://shop.example/cb?dargah_ref={id}");
    match s.gateway {
        Gateway::Vandar => json!({"url": format!("{url}&token={token}&payment_status={}", if ok { "OK" } else { "FAILED" }), "form": {}}),
        Gateway::Mupra => json!({"url": format!("{url}&token={token}&status={}", if ok { "OK" } else { "FAILED" }), "form": {}}),
        Gateway::CanPay => json!({"url": url, "form": {"success": if ok { "1" } else { "0" }, "token": token, "amount": s.amount.to_string(), "invoice_id": s.invoice}}),
        Gateway::AtiPay => {
            let receipt: String = (0..50).map(|_| char::from(b'A' + rng.gen_range(0..26))).collect();
            json!({"url": url, "form": {
                "state": if ok { "OK" } else { "Failed" }, "status": if ok { "2" } else { "3" }, "referenceNumber": receipt,
                "reservationNumber": s.invoice, "terminalId": dargah_sandbox::creds::ATIPAY_TERMINAL_ID, "traceNumber": "1",
            }})
        }
    }
}
