//! One chaos run: create, forge, pay, deliver, recover and reconcile from
//! several worker processes with skewed clocks, under gateway faults, worker
//! crashes and a database restart; then a final phase past every deadline;
//! then the checker over the whole recorded history.

use super::checker::{self, Verdict, CARD};
use super::history::{History, PaymentHistory};
use super::plan::{Customer, Op, Plan};
use super::worker::{self, Spawn};
use crate::support::sandbox::World;
use dargah_core::{Dargah, Gateway, PaymentState, ReconcileOptions};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Changes the configuration one worker gets (by index): its own database node, or the
/// gateway's and the database's addresses as seen from its network.
pub type WorkerConfig = Arc<dyn Fn(usize, &mut Value) + Send + Sync>;
/// The command a worker is started under (`ip netns exec <name>`), before the test binary.
pub type Wrap = Arc<dyn Fn(usize) -> Vec<String> + Send + Sync>;
/// Something done to the hosts while the genuine callbacks arrive (a database restarted, a node
/// killed and rejoined, a standby promoted, a partition): given the seed, it returns what it did, a
/// fault name per event, for the run's fault counts.
pub type Disturbance = Arc<dyn Fn(u64) -> Vec<String> + Send + Sync>;

/// How the shop's hosts reach the store and the gateway, and what happens to them mid-run.
/// The default: every worker on the machine's loopback, the store's URL as given, nothing done.
#[derive(Clone, Default)]
pub struct Hosts {
    pub worker_config: Option<WorkerConfig>,
    pub wrap: Option<Wrap>,
    pub disturb: Option<Disturbance>,
}

impl Hosts {
    /// Restart one of `scripts/db.sh`'s servers (`postgres` or `mysql`) in place, 700 ms in.
    pub fn restarting(database: &'static str) -> Hosts {
        let disturb: Disturbance = Arc::new(move |_seed| {
            std::thread::sleep(Duration::from_millis(700));
            let status = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/db.sh")).args(["restart", database]).status().unwrap();
            assert!(status.success(), "restarting {database}");
            vec!["database restart".to_string()]
        });
        Hosts { disturb: Some(disturb), ..Hosts::default() }
    }
}

pub struct Settings {
    pub seed: u64,
    pub payments: usize,
    pub workers: usize,
    /// The shared store's URL (a table prefix is added per run).
    pub store: String,
    /// Where the workers run and what happens to their hosts.
    pub hosts: Hosts,
    /// Draw the readings known to break an invariant too (`readings::KNOWN_BROKEN`).
    pub known_broken: bool,
}

/// Refund windows are short, so the final phase can pass every deadline, yet
/// long enough that every customer acts before it, as at a real gateway
/// (whose window is the one the shop configures).
fn refund_window_secs(payments: usize) -> u64 {
    12 + payments as u64 / 3
}
/// Where a worker may be killed (with `FAILPOINTS=<step>=<n>%return`).
const CRASH_STEPS: &[&str] = &["callback_matched", "claimed", "vandar_before_verify", "verify_answered", "outcome_stored", "unprompted_before_claim"];

pub fn run(settings: &Settings) -> (History, Verdict) {
    let world = World::start();
    let mut plan = Plan::new(settings.seed, settings.payments, settings.workers, settings.known_broken);
    let mut rng = StdRng::seed_from_u64(settings.seed ^ 0x5eed);
    plan.readings.iter().for_each(|r| r.apply(&world));
    let config = config(&world, settings);
    let refuse_repeat_verify = plan.readings.iter().any(|r| r.silence == "repeat_verify" && r.name == "refused");
    let mut history = History { seed: settings.seed, planned: plan.slots.len(), refuse_repeat_verify, readings: plan.readings.clone(), ..Default::default() };

    // Round 0: every payment is created by some worker.
    let creates = plan.creates();
    let lines = round(&world, &config, &settings.hosts, &creates, &mut rng, &mut history, false, false);
    let mut slot_ids = BTreeMap::new();
    for line in &lines {
        if line["result"] == "created" {
            let slot = line["slot"].as_u64().unwrap() as usize;
            let s = &plan.slots[slot];
            let id = line["payment"].as_str().unwrap().to_string();
            slot_ids.insert(slot, id.clone());
            let entry = PaymentHistory {
                slot,
                gateway: s.gateway.name().into(),
                id: id.clone(),
                token: line["token"].as_str().unwrap_or_default().into(),
                customer: format!("{:?}", s.customer),
                ..Default::default()
            };
            history.payments.insert(id, entry);
        }
    }
    for line in lines {
        history.add(line, &slot_ids);
    }

    // Round A: forgers, before any customer has paid.
    let mut early = Vec::new();
    for (slot, id) in &slot_ids {
        if rng.gen_bool(0.5) {
            let token = history.payments[id].token.clone();
            early.extend(plan.forgeries(*slot, id, &token));
        }
    }
    let dealt = plan.deal(early);
    for line in round(&world, &config, &settings.hosts, &dealt, &mut rng, &mut history, true, false) {
        history.add(line, &slot_ids);
    }

    // The customers act at the gateway; their browsers carry the genuine callbacks.
    // One whose payment page has expired (within 10 s of the deadline) cannot pay
    // any more, as at a real gateway, whose window is the one the shop configures.
    // A store restarting (another run on the same server) is waited for, as elsewhere.
    let shop = with_retries(|| Dargah::from_json(&config));
    let now = with_retries(|| shop.store().now());
    let mut genuine: BTreeMap<usize, Value> = BTreeMap::new();
    for (slot, id) in &slot_ids {
        let s = &plan.slots[*slot];
        if with_retries(|| shop.payment(id)).deadline_at - now < 10_000 {
            if let Some(p) = history.payments.get_mut(id) {
                p.customer = "too late: the payment page expired".into();
            }
            continue;
        }
        let action = match s.customer {
            Customer::Pays => "pay",
            Customer::Cancels => "cancel",
            Customer::Abandons => continue,
        };
        let token = &history.payments[id].token;
        let answer = world.http.post(format!("{}/_control/pay", world.sandbox.base_url())).json(&json!({"gateway": s.gateway.name(), "token": token, "action": action, "card": CARD})).send().unwrap();
        if answer.status().is_success() {
            genuine.insert(*slot, answer.json().unwrap());
        }
    }

    // Round B: genuine callbacks (0..k times, from any worker), late forgers and replays.
    let mut late = Vec::new();
    for (slot, id) in &slot_ids {
        let s = plan.slots[*slot].clone();
        if let Some(callback) = genuine.get(slot) {
            for _ in 0..s.genuine_deliveries {
                late.push(Op::Callback { slot: *slot, gateway: s.gateway.name().into(), label: "genuine".into(), callback: callback.clone() });
            }
        }
        if rng.gen_bool(0.3) {
            let token = history.payments[id].token.clone();
            late.extend(plan.forgeries(*slot, id, &token));
        }
        let others: Vec<(&usize, &Value)> = genuine.iter().filter(|(o, _)| *o != slot && plan.slots[**o].gateway == s.gateway).collect();
        if let (true, Some((from, other))) = (rng.gen_bool(0.25), others.choose(&mut rng)) {
            late.push(plan.replay(*slot, id, &s.invoice, **from, other, s.gateway));
        }
    }
    let dealt = plan.deal(late);
    for line in round(&world, &config, &settings.hosts, &dealt, &mut rng, &mut history, true, true) {
        history.add(line, &slot_ids);
    }

    // Final phase: no more faults; past every deadline, reconcile until nothing changes.
    control_delete(&world, "faults");
    // A reading is no fault: the gateway keeps answering that way.
    plan.readings.iter().for_each(|r| r.apply(&world));
    let latest = with_retries(|| shop.list_payments(None, 100_000, 0)).iter().map(|p| p.deadline_at).max().unwrap_or(0);
    while with_retries(|| shop.store().now()) <= latest {
        std::thread::sleep(Duration::from_millis(200));
    }
    for pass in 0..12 {
        let recovered = with_retries(|| shop.recover(1000));
        let report = with_retries(|| shop.reconcile(&ReconcileOptions { min_age: Duration::ZERO, limit: 1000 }, |_| {}));
        let changed = recovered.outcomes.len() + report.outcomes.len();
        for o in recovered.outcomes.iter().chain(report.outcomes.iter()) {
            history.add(json!({"op": "final_reconcile", "w": "final", "n": pass, "payment": o.payment.id, "result": o.kind.name(), "state": o.payment.state.name()}), &slot_ids);
        }
        if changed == 0 && report.in_doubt == 0 && recovered.errors.is_empty() {
            break;
        }
    }
    collect_ends(&world, &shop, &mut history);
    let verdict = checker::check(&history);
    (history, verdict)
}

fn config(world: &World, settings: &Settings) -> String {
    let mut config = dargah_sandbox::client_config(&world.sandbox.base_url(), &settings.store);
    config["table_prefix"] = json!(crate::support::databases::unique_prefix("cx"));
    config["lease_secs"] = json!(2);
    config["callback_wait_ms"] = json!(1500);
    config["http"] = json!({"request_timeout_ms": 900, "connect_timeout_ms": 500});
    for gateway in Gateway::ALL {
        config[gateway.name()]["refund_window_secs"] = json!(refund_window_secs(settings.payments));
    }
    config.to_string()
}

/// Run one round: each worker its ops, all at once; faults, crashes and the hosts' disturbance as asked.
#[allow(clippy::too_many_arguments)]
fn round(world: &World, config: &str, hosts: &Hosts, dealt: &[Vec<Op>], rng: &mut StdRng, history: &mut History, chaos: bool, disturb: bool) -> Vec<Value> {
    let children: Vec<_> = dealt
        .iter()
        .enumerate()
        .map(|(index, ops)| {
            history.operations += ops.len();
            for op in ops.iter() {
                let gateway = match op {
                    Op::Create { gateway, .. } | Op::Callback { gateway, .. } => gateway.as_str(),
                    Op::Recover | Op::Reconcile => "all",
                };
                *history.operations_by_gateway.entry(gateway.to_string()).or_default() += 1;
            }
            let failpoints = (chaos && rng.gen_bool(0.3)).then(|| format!("{}=8%return", CRASH_STEPS.choose(rng).unwrap()));
            let skew_ms = rng.gen_range(-300_000..=300_000);
            let config = match &hosts.worker_config {
                Some(change) => {
                    let mut own: Value = serde_json::from_str(config).unwrap();
                    change(index, &mut own);
                    own.to_string()
                }
                None => config.to_string(),
            };
            let wrap = hosts.wrap.as_ref().map(|wrap| wrap(index)).unwrap_or_default();
            worker::spawn(Spawn { index, config: &config, ops, skew_ms, failpoints, wrap })
        })
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let faults = Arc::new(Mutex::new(BTreeMap::new()));
    let injector = chaos.then(|| {
        let (base, done, faults, seed) = (world.sandbox.base_url(), done.clone(), faults.clone(), rng.gen::<u64>());
        std::thread::spawn(move || inject_faults(&base, &done, &faults, seed))
    });
    let disturber = hosts.disturb.clone().filter(|_| disturb).map(|disturb| {
        let seed = rng.gen::<u64>();
        std::thread::spawn(move || disturb(seed))
    });
    let mut lines = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            history.workers_killed += 1;
        }
        // libtest prints "test chaos_worker_entry ... " before the first line, without a newline.
        lines.extend(String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.find('{').and_then(|at| serde_json::from_str::<Value>(&l[at..]).ok())));
    }
    done.store(true, Ordering::SeqCst);
    if let Some(injector) = injector {
        injector.join().unwrap();
    }
    if let Some(disturber) = disturber {
        for event in disturber.join().expect("the hosts' disturbance failed") {
            *history.faults.entry(event).or_default() += 1;
        }
    }
    for (kind, n) in faults.lock().unwrap().iter() {
        *history.faults.entry(kind.clone()).or_default() += n;
    }
    if history.workers_killed > 0 {
        history.faults.insert("worker killed (kill -9 at a failpoint)".into(), history.workers_killed);
    }
    lines
}

/// Every few hundred milliseconds, one fault at a gateway endpoint, of every kind the sandbox has.
fn inject_faults(base: &str, done: &AtomicBool, counts: &Mutex<BTreeMap<String, usize>>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let http = reqwest::blocking::Client::new();
    let endpoints = ["mupra.verify", "canpay.verify", "atipay.verify-payment", "vandar.verify", "vandar.transaction"];
    while !done.load(Ordering::SeqCst) {
        let endpoint = *endpoints.choose(&mut rng).unwrap();
        let count = rng.gen_range(1..=3);
        let (kind, spec) = match rng.gen_range(0..7) {
            0 => ("latency beyond the timeout", json!({"latency_ms": rng.gen_range(1000..2200)})),
            1 => ("5xx", json!({"status": *[500u16, 502, 503].choose(&mut rng).unwrap()})),
            2 => ("429", json!({"status": 429})),
            3 => ("connection reset after the gateway acted", json!({"drop_after_process": true})),
            4 => ("malformed answer", json!({"malformed_json": true})),
            5 if endpoint == "vandar.transaction" => ("unknown answer code", json!({"set": {"code": rng.gen_range(6..99)}})),
            _ => ("timeout", json!({"latency_ms": 1500})),
        };
        let mut spec = spec;
        spec["endpoint"] = json!(endpoint);
        spec["count"] = json!(count);
        if http.post(format!("{base}/_control/faults")).json(&spec).send().is_ok() {
            *counts.lock().unwrap().entry(kind.to_string()).or_default() += 1;
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(150..600)));
    }
}

/// What the gateway and the store hold at the end, then the outbox drained.
fn collect_ends(world: &World, shop: &Dargah, history: &mut History) {
    let stats: Value = world.http.get(format!("{}/_control/stats", world.sandbox.base_url())).send().unwrap().json().unwrap();
    let outbox: Vec<String> = with_retries(|| shop.unacknowledged(100_000)).into_iter().map(|p| p.id).collect();
    for p in history.payments.values_mut() {
        let gateway: Gateway = p.gateway.parse().unwrap();
        p.gateway_view = world.sandbox_payment(gateway, &p.token);
        let verify = dargah_sandbox::verify_endpoint(gateway.name()).unwrap();
        p.verifies_processed = stats["processed_by_token"][&p.token][verify].as_u64().unwrap_or(0);
        p.verify_answers_lost = stats["answer_lost_by_token"][&p.token][verify].as_u64().unwrap_or(0);
        let stored = with_retries(|| shop.payment(&p.id));
        p.store_state = stored.state.name().into();
        p.reference = stored.reference.clone();
        p.note = stored.note.clone().unwrap_or_default();
        p.acknowledged = stored.acknowledged_at.is_some();
        p.in_outbox = outbox.contains(&p.id);
        let events = with_retries(|| shop.store().events(&p.id));
        let closing = |label: &str| PaymentState::parse(label).is_ok_and(|s| s.is_terminal());
        p.closed_at = events.iter().find(|(_, _, label, _)| closing(label)).map(|(at, ..)| *at);
        p.deadline_at = stored.deadline_at;
        p.events = events.into_iter().map(|(_, _, label, raw)| (label, raw)).collect();
        p.stored_text = [stored.masked_card, stored.reference, stored.note, stored.trace_number].into_iter().flatten().chain(p.events.iter().map(|(_, raw)| raw.clone())).collect();
        // The shop credits what the outbox holds, idempotently: only what no request was told.
        if p.in_outbox {
            p.credited_from_outbox = p.newly_paid_reports() == 0;
            with_retries(|| shop.acknowledge(&p.id));
        }
    }
}

/// A call on the store, retried while a restarted database comes back.
fn with_retries<T>(mut f: impl FnMut() -> dargah_core::Result<T>) -> T {
    for _ in 0..60 {
        match f() {
            Ok(v) => return v,
            Err(e) if e.kind() == dargah_core::ErrorKind::Store => std::thread::sleep(Duration::from_millis(500)),
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the store did not come back")
}

fn control_delete(world: &World, what: &str) {
    world.http.delete(format!("{}/_control/{what}", world.sandbox.base_url())).send().unwrap().error_for_status().unwrap();
}
