//! Power cuts in the crash matrix (issue 23): for Mupra, CanPay, AtiPay and
//! Vandar, under every reading the sandbox speaks (`support::readings`), a
//! child process runs a create, a callback, a `recover()` or a `reconcile()`
//! and the power goes at each of its commits in turn — and once more after
//! its last. The machine comes back with the store as it was at the last
//! synced commit (`support::power` says how, per store), and the world goes
//! on: the customer pays (after a create) or refreshes the callback page,
//! cron recovers and reconciles, past the payment's deadline. Every run must
//! end paid and credited once, or in `needs_review`, whenever the gateway took
//! the money; never paid when it did not.
//!
//! `make test` runs every gateway, operation and commit on SQLite, PostgreSQL
//! and MariaDB, under the default readings and under each other reading on
//! its own; `POWER_CUT_FULL=1` (`make power-cut`) runs every combination of
//! a gateway's readings, and adds the callback cut recovered by cron alone,
//! with nobody refreshing the page.

mod support;

use dargah_core::{Dargah, Gateway, OutcomeKind, PaymentRequest, PaymentState, ReconcileOptions};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use support::power::{self, PowerStore, StoreKind};
use support::readings::{self, Reading};
use support::sandbox::World;

#[test]
fn power_cut_child_entry() {
    power::run_if_child();
}

const LEASE_SECS: u64 = 1;
/// A payment's deadline is this long after its creation: short, so every run
/// goes past it, long enough for everything before it to happen.
const WINDOW_SECS: u64 = 6;
/// Scenarios run side by side: each mostly waits for a lease or a deadline.
const PARALLEL: usize = 10;
const AMOUNT: u64 = 70_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Create,
    /// The customer's callback; after the reboot, the customer refreshes the page.
    Callback,
    /// The same, but nobody refreshes: only cron (recover, reconcile) is left.
    CallbackCronOnly,
    /// The customer cancelled at the gateway: the callback says so, and the payment must never be paid.
    CancelledCallback,
    /// `recover()` of a payment whose verify answer was lost (verify went through).
    Recover,
    /// `reconcile()` of a payment paid at the gateway whose callback never came
    /// (AtiPay, which verifies only with the callback's receipt: one in doubt).
    Reconcile,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Create => "create",
            Phase::Callback => "callback",
            Phase::CallbackCronOnly => "callback (cron only)",
            Phase::CancelledCallback => "cancelled callback",
            Phase::Recover => "recover",
            Phase::Reconcile => "reconcile",
        }
    }
}

#[derive(Clone, Debug)]
struct Case {
    store: StoreKind,
    gateway: Gateway,
    /// The sandbox's readings of the documents' silences for this case.
    readings: Vec<Reading>,
    phase: Phase,
}

impl std::fmt::Display for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {} under {}", self.store.name(), self.gateway.name(), self.phase.name(), readings::label(&self.readings))
    }
}

/// One world for one scenario: the sandbox (under the case's reading) and the store.
struct Setup {
    world: World,
    store: PowerStore,
    base: serde_json::Value,
    /// The payment (None for a create: the child makes it).
    payment: Option<dargah_core::Payment>,
    /// The callback the customer's browser carries.
    fields: Option<dargah_core::CallbackFields>,
}

fn base_config(world: &World) -> serde_json::Value {
    let mut config = dargah_sandbox::client_config(&world.sandbox.base_url(), "sqlite://unused");
    config["lease_secs"] = json!(LEASE_SECS);
    // The lease must outlast two gateway calls; the sandbox answers in well under that.
    config["http"] = json!({"request_timeout_ms": LEASE_SECS * 1000 / 2 - 100});
    for gateway in ["mupra", "canpay", "atipay", "vandar"] {
        config[gateway]["refund_window_secs"] = json!(WINDOW_SECS);
    }
    config
}

fn server_url(kind: StoreKind) -> Option<String> {
    match kind {
        StoreKind::Sqlite => None,
        StoreKind::Postgres => support::databases::url("DARGAH_TEST_POSTGRES_URL"),
        StoreKind::MySql => support::databases::url("DARGAH_TEST_MYSQL_URL"),
    }
}

/// Everything before the operation the power is cut in; the store then is all on disk.
fn set_up(case: &Case, invoice: &str) -> Setup {
    let world = World::start();
    case.readings.iter().for_each(|r| r.apply(&world));
    let store = PowerStore::new(case.store, world.dir.path(), server_url(case.store).as_deref());
    let base = base_config(&world);
    let gateway = case.gateway;
    let (mut payment, mut fields) = (None, None);
    if case.phase != Phase::Create {
        let shop = Dargah::from_json(&store.live_config(base.clone())).unwrap();
        let created = shop.create_payment(gateway, PaymentRequest::new(invoice, AMOUNT, "http://127.0.0.1:9/cb").mobile("09123456789")).unwrap().payment;
        let paid = world.pay(gateway, created.token.as_deref().unwrap(), case.phase != Phase::CancelledCallback);
        let in_doubt = case.phase == Phase::Recover || (case.phase == Phase::Reconcile && gateway == Gateway::AtiPay);
        if in_doubt {
            // The verify goes through; its answer never comes back.
            world.fault(json!({"endpoint": dargah_sandbox::verify_endpoint(gateway.name()).unwrap(), "drop_after_process": true, "count": 1}));
            let err = shop.handle_callback(gateway, &paid).unwrap_err();
            assert!(err.kind().is_in_doubt(), "{case}: {err}");
            std::thread::sleep(Duration::from_millis(LEASE_SECS * 1000 + 100));
        }
        payment = Some(shop.payment(&created.id).unwrap());
        fields = Some(paid);
    }
    // Every write so far was synced: this is what the disk holds.
    store.snapshot();
    Setup { world, store, base, payment, fields }
}

fn op_of(case: &Case, setup: &Setup, invoice: &str) -> String {
    match case.phase {
        Phase::Create => format!("create {invoice} {AMOUNT}"),
        Phase::Callback | Phase::CallbackCronOnly | Phase::CancelledCallback => format!("callback {}", setup.fields.as_ref().unwrap().to_urlencoded()),
        Phase::Recover => "recover".into(),
        Phase::Reconcile => "reconcile".into(),
    }
}

/// Deliver the customer's callback until it is not told to wait (a lease a
/// synced claim left is still live); every outcome is counted.
fn deliver(shop: &Dargah, gateway: Gateway, fields: &dargah_core::CallbackFields, told: &mut Vec<OutcomeKind>) {
    for _ in 0..10 {
        match shop.handle_callback(gateway, fields) {
            Ok(o) if o.kind == OutcomeKind::InProgress => std::thread::sleep(Duration::from_millis(400)),
            Ok(o) => return told.push(o.kind),
            // The customer sees an error page and tries again; cron settles the rest.
            Err(_) => std::thread::sleep(Duration::from_millis(400)),
        }
    }
}

/// Cron after the reboot: recover and reconcile until nothing changes, past the deadline.
fn cron_until_settled(shop: &Dargah, deadline_at: i64, told: &mut Vec<OutcomeKind>) -> Result<(), String> {
    let mut past_deadline = false;
    let mut last = String::new();
    for _ in 0..40 {
        let recovered = shop.recover(10).map_err(|e| format!("recover: {e}"))?;
        let reconciled = shop.reconcile(&ReconcileOptions { min_age: Duration::ZERO, limit: 10 }, |_| {}).map_err(|e| format!("reconcile: {e}"))?;
        told.extend(recovered.outcomes.iter().chain(reconciled.outcomes.iter()).map(|o| o.kind));
        let quiet = recovered.outcomes.is_empty() && reconciled.outcomes.is_empty() && reconciled.in_doubt == 0 && recovered.errors.is_empty();
        if quiet && past_deadline {
            return Ok(());
        }
        last = format!("recover errors {:?}, reconcile in doubt {}", recovered.errors, reconciled.in_doubt);
        past_deadline = shop.store().now().unwrap() > deadline_at + 100;
        std::thread::sleep(Duration::from_millis(300));
    }
    Err(format!("cron never settled: {last}"))
}

/// One scenario: the power goes at commit `cut` of the case's operation (0: after its last).
fn scenario(case: &Case, cut: usize, serial: usize, commits: &mut Vec<bool>) -> Result<String, String> {
    let gateway = case.gateway;
    let invoice = format!("pc-{}-{serial}", std::process::id());
    let setup = set_up(case, &invoice);
    let _tables = power::DropTablesOnExit(&setup.store);
    let op = op_of(case, &setup, &invoice);
    let run = power::spawn(&setup.store, &setup.store.live_config(setup.base.clone()), gateway, &op, cut);
    commits.clone_from(&run.commits);
    if cut > 0 && run.cut_at != Some(cut) {
        return Err(format!("{case}: cut at commit {cut} asked, the operation made only {}", run.commits.len()));
    }
    // The machine is back: the store is its durable copy.
    let shop = Dargah::from_json(&setup.store.rebooted_config(setup.base.clone())).unwrap();
    let mut told: Vec<OutcomeKind> = run.lines.iter().filter_map(|l| l.strip_prefix("OUTCOME ")).filter_map(|l| kind_of(l.split(' ').next().unwrap())).collect();
    let (mut payment, mut fields) = (setup.payment.clone(), setup.fields.clone());
    // The model at work: commits made since the last sync are gone after the cut.
    let made = &run.commits[..run.commits.len().min(cut.saturating_sub(1))];
    let lost_unsynced = !made.is_empty() && made.iter().all(|synced| !synced);
    if let (true, Some(before)) = (lost_unsynced, &payment) {
        let after = shop.payment(&before.id).unwrap();
        if (after.state, after.fence) != (before.state, before.fence) {
            return Err(format!("{case} cut {cut}: the unsynced commits survived the power cut: {:?} fence {} before, {:?} fence {} after", before.state, before.fence, after.state, after.fence));
        }
    }
    if case.phase == Phase::Create {
        // The create answered: the customer was sent to the gateway and pays.
        if let Some(created) = run.lines.iter().find_map(|l| l.strip_prefix("CREATED ")) {
            let (id, token) = created.split_once(' ').unwrap();
            fields = Some(setup.world.pay(gateway, token, true));
            payment = Some(shop.payment(id).unwrap_or_else(|e| panic!("{case} cut {cut}: the created payment is gone: {e}")));
        }
    }
    if matches!(case.phase, Phase::Create | Phase::Callback | Phase::CancelledCallback) {
        if let Some(fields) = &fields {
            deliver(&shop, gateway, fields, &mut told);
        }
    }
    let rows = shop.list_payments(None, 10, 0).unwrap();
    let deadline = rows.iter().map(|p| p.deadline_at).max().unwrap_or(0);
    cron_until_settled(&shop, deadline, &mut told).map_err(|e| format!("{case} cut {cut}: {e}; rows {:?}", shop.list_payments(None, 10, 0).map(|r| r.iter().map(|p| (p.state.name(), p.note.clone())).collect::<Vec<_>>())))?;

    // The verdict: what the gateway holds against what the store ends with.
    let newly = told.iter().filter(|k| **k == OutcomeKind::NewlyPaid).count();
    let Some(payment) = payment else {
        // The create never answered: nobody was sent to pay.
        let paid = shop.list_payments(None, 10, 0).unwrap().into_iter().filter(|p| p.state == PaymentState::Paid).count();
        return match (paid, newly) {
            (0, 0) => Ok(format!("nobody paid; rows {:?}", rows.iter().map(|p| p.state.name()).collect::<Vec<_>>())),
            _ => Err(format!("{case} cut {cut}: nobody paid, yet {paid} rows paid and {newly} told newly_paid")),
        };
    };
    let token = payment.token.clone().unwrap();
    let at_gateway = setup.world.sandbox_payment(gateway, &token);
    let gateway_paid = at_gateway["status"] == "paid" || at_gateway["paid"] == true;
    let end = shop.payment(&payment.id).unwrap();
    let in_outbox = shop.unacknowledged(10).unwrap().iter().any(|p| p.id == payment.id);
    let credits = newly + usize::from(in_outbox && newly == 0);
    let verifies = setup.world.calls_for(&token, dargah_sandbox::verify_endpoint(gateway.name()).unwrap());
    let lost = if lost_unsynced { "; an unsynced claim was lost" } else { "" };
    let summary = format!("ends {} (newly_paid told {newly}, credits {credits}, verify calls {verifies}{lost}) note: {}", end.state.name(), end.note.clone().unwrap_or_default());
    let ok = match (gateway_paid, end.state) {
        (true, PaymentState::Paid) => credits == 1 && newly <= 1,
        (true, PaymentState::NeedsReview) => credits == 0,
        (true, _) => false,
        (false, state) => state != PaymentState::Paid && credits == 0,
    };
    match ok {
        true => Ok(summary),
        false => Err(format!("{case} cut {}: gateway {at_gateway}; {summary}; commits {:?}", if cut == 0 { "after the last commit".into() } else { cut.to_string() }, run.commits)),
    }
}

/// A scenario whose panic (a store or sandbox call that failed) is reported as its failure.
/// Also returns the commits the operation began (synced or not).
fn guarded(case: &Case, cut: usize, serial: usize) -> (Vec<bool>, Result<String, String>) {
    let mut commits = Vec::new();
    let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(case, cut, serial, &mut commits)))
        .unwrap_or_else(|panic| Err(format!("{case} cut {cut}: panicked: {}", panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default())));
    (commits, verdict)
}

fn kind_of(name: &str) -> Option<OutcomeKind> {
    [OutcomeKind::NewlyPaid, OutcomeKind::AlreadyPaid, OutcomeKind::InProgress, OutcomeKind::Failed, OutcomeKind::Cancelled, OutcomeKind::NeedsReview].into_iter().find(|k| k.name() == name)
}

/// Run `jobs` on `PARALLEL` threads; each job's result in order.
fn in_parallel<J: Sync, R: Send>(jobs: &[J], f: impl Fn(&J, usize) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL.min(jobs.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                let r = f(job, i);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results.into_inner().unwrap().into_iter().map(Option::unwrap).collect()
}

/// The matrix on one store: each case once to the end (a cut after the last
/// commit, which also counts its commits), then a cut at each commit.
fn matrix(store: StoreKind) {
    let full = std::env::var("POWER_CUT_FULL").is_ok_and(|v| v == "1");
    let mut phases = vec![Phase::Create, Phase::Callback, Phase::CancelledCallback, Phase::Recover, Phase::Reconcile];
    if full {
        phases.push(Phase::CallbackCronOnly);
    }
    let readings_of = if full { readings::every_combination } else { readings::of };
    let cases: Vec<Case> = [Gateway::Mupra, Gateway::CanPay, Gateway::AtiPay, Gateway::Vandar]
        .into_iter()
        .flat_map(|gateway| readings_of(gateway).into_iter().map(move |readings| (gateway, readings)))
        .flat_map(|(gateway, readings)| phases.iter().map(move |&phase| Case { store, gateway, readings: readings.clone(), phase }))
        .collect();
    let serial = AtomicUsize::new(0);
    let whole = in_parallel(&cases, |case, _| guarded(case, 0, serial.fetch_add(1, Ordering::SeqCst)));
    let mut cuts = Vec::new();
    let mut failures = Vec::new();
    for (case, (commits, verdict)) in cases.iter().zip(whole) {
        println!("{case}: {} commits {:?}", commits.len(), commits.iter().map(|s| if *s { "synced" } else { "unsynced" }).collect::<Vec<_>>());
        cuts.extend((1..=commits.len()).map(|k| (case.clone(), k)));
        match verdict {
            Ok(summary) => println!("{case}, power cut after the last commit: {summary}"),
            Err(e) => failures.push(e),
        }
    }
    let results = in_parallel(&cuts, |(case, k), _| guarded(case, *k, serial.fetch_add(1, Ordering::SeqCst)));
    let mut per_reading = std::collections::BTreeMap::<String, usize>::new();
    for ((case, k), (_, verdict)) in cuts.iter().zip(results) {
        match verdict {
            Ok(summary) => println!("{case}, power cut at commit {k}: {summary}"),
            Err(e) => failures.push(e),
        }
        *per_reading.entry(format!("{} under {}", case.gateway.name(), readings::label(&case.readings))).or_default() += 1;
    }
    for case in &cases {
        *per_reading.entry(format!("{} under {}", case.gateway.name(), readings::label(&case.readings))).or_default() += 1;
    }
    println!("power cuts on {}: {} runs ({} cases, {} cuts at a commit, {} after the last), per reading {per_reading:?}", store.name(), cases.len() + cuts.len(), cases.len(), cuts.len(), cases.len());
    assert!(failures.is_empty(), "power cuts on {}: {} runs broke verify-once:\n{}", store.name(), failures.len(), failures.join("\n"));
}

#[test]
fn power_cut_at_every_commit_sqlite() {
    matrix(StoreKind::Sqlite);
}

#[test]
fn power_cut_at_every_commit_postgres() {
    if server_url(StoreKind::Postgres).is_some() {
        matrix(StoreKind::Postgres);
    }
}

#[test]
fn power_cut_at_every_commit_mysql() {
    if server_url(StoreKind::MySql).is_some() {
        matrix(StoreKind::MySql);
    }
}

/// A finding of the power-cut matrix and the chaos checker (issue 23; chaos
/// seeds 100, 106 and 108 of `make chaos CHAOS_SEED=100 CHAOS_ROUNDS=10
/// CHAOS_PAYMENTS=560`): under the document's own transaction-info code (`code1`,
/// the default reading), a Vandar verify whose answer was lost is sent again
/// on every later pass — each refused "already verified" — where Vandar
/// answers one. One more verify may be needed to learn that the first went
/// through (a refusal says so); after that refusal, none (fixed: the
/// `maybe_verified` column's level 2, "a verify of ours was refused").
#[test]
fn a_lost_vandar_verify_answer_is_not_verified_again_on_every_pass() {
    let world = World::start();
    let config = support::sandbox::config_json(&world.sandbox.base_url(), &world.db_path(), LEASE_SECS);
    let mut config: serde_json::Value = serde_json::from_str(&config).unwrap();
    config["vandar"]["refund_window_secs"] = json!(WINDOW_SECS);
    let shop = Dargah::from_json(&config.to_string()).unwrap();
    let created = shop.create_payment(Gateway::Vandar, PaymentRequest::new("lost-answer", AMOUNT, "http://127.0.0.1:9/cb").mobile("09123456789")).unwrap().payment;
    let token = created.token.clone().unwrap();
    let fields = world.pay(Gateway::Vandar, &token, true);
    world.fault(json!({"endpoint": "vandar.verify", "drop_after_process": true, "count": 1}));
    assert!(shop.handle_callback(Gateway::Vandar, &fields).unwrap_err().kind().is_in_doubt());
    let mut told = Vec::new();
    std::thread::sleep(Duration::from_millis(LEASE_SECS * 1000 + 100));
    deliver(&shop, Gateway::Vandar, &fields, &mut told);
    cron_until_settled(&shop, shop.payment(&created.id).unwrap().deadline_at, &mut told).unwrap();
    assert_eq!(shop.payment(&created.id).unwrap().state, PaymentState::NeedsReview);
    let processed = world.stats()["processed_by_token"][&token]["vandar.verify"].as_u64().unwrap_or(0);
    assert!(processed <= 2, "vandar verify reached the gateway {processed} times: the lost one, at most one refused retry, then none");
}

/// A finding of the chaos checker (issue 23; `make chaos CHAOS_STORE=postgres
/// CHAOS_SEED=100 CHAOS_ROUNDS=5 CHAOS_PAYMENTS=560`, seed 103, slot 458):
/// under AtiPay's reading that a repeated verify is refused, a forger replays
/// a customer's receipt at another order of a different amount first. That
/// verify spends the receipt (its amount tells it is not that order's); the
/// customer's own callback is then refused "already verified", read as not
/// paid, and when that callback comes just after the deadline (the payment
/// still open), the paid order ended `failed`. It must end paid,
/// or in `needs_review`: a verify of the customer's receipt went through.
/// Since a refused AtiPay or Mupra verify marks the payment "a verify of
/// ours may have gone through" (gateways::refusal_as_unpaid_noting), it does.
#[test]
fn a_receipt_replayed_at_another_order_first_never_fails_the_paid_order() {
    let world = World::start();
    readings::SILENCES.iter().filter(|s| s.name == "repeat_verify").for_each(|s| Reading { silence: s.name, name: "refused" }.apply(&world));
    let mut config: serde_json::Value = serde_json::from_str(&support::sandbox::config_json(&world.sandbox.base_url(), &world.db_path(), LEASE_SECS)).unwrap();
    config["atipay"]["refund_window_secs"] = json!(WINDOW_SECS);
    let shop = Dargah::from_json(&config.to_string()).unwrap();
    let order = |invoice: &str, amount: u64| shop.create_payment(Gateway::AtiPay, PaymentRequest::new(invoice, amount, "http://127.0.0.1:9/cb").mobile("09123456789")).unwrap().payment;
    let (customer, other) = (order("paid-order", 30_000), order("other-order", 40_000));
    let genuine = world.pay(Gateway::AtiPay, customer.token.as_deref().unwrap(), true);
    // The forger's replay: the customer's receipt, at the other order.
    let form = genuine.iter().filter(|(k, _)| *k != "dargah_ref").map(|(k, v)| (k.to_string(), if k == "reservationNumber" { "other-order".to_string() } else { v.to_string() }));
    let replay = dargah_core::CallbackFields::from_pairs([("dargah_ref".to_string(), other.id.clone())], form).unwrap();
    let mut told = Vec::new();
    if let Ok(o) = shop.handle_callback(Gateway::AtiPay, &replay) {
        assert_ne!(o.kind, OutcomeKind::NewlyPaid, "the other order is not paid by another's receipt");
    }
    // The customer's browser comes back late, the payment still open past its deadline.
    while shop.store().now().unwrap() <= customer.deadline_at {
        std::thread::sleep(Duration::from_millis(200));
    }
    deliver(&shop, Gateway::AtiPay, &genuine, &mut told);
    cron_until_settled(&shop, customer.deadline_at.max(other.deadline_at), &mut told).unwrap();
    let end = shop.payment(&customer.id).unwrap();
    assert!(matches!(end.state, PaymentState::Paid | PaymentState::NeedsReview), "the customer paid; the order ends {} ({:?}), told {told:?}", end.state.name(), end.note);
}
