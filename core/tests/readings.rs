//! Vandar under every reading its document permits (docs/gateway-readings.md),
//! on SQLite, PostgreSQL and MariaDB, against the three ways issue 23 found a
//! paid order lost: a power cut after an unsynced claim, a forged OK callback
//! before payment, and transaction info that after a verify answers an
//! undocumented code or refuses. Each payment gets its own readings through
//! the sandbox's per-payment control, so one run covers them all; the
//! readings of Mupra, AtiPay and Vandar's business API never enter a Vandar
//! payment's resolution. Mupra's two silences about a refused verify (after
//! a `paid: false`, and a first verify processed then refused) have their
//! own tests at the end.

mod support;

use dargah_core::{CallbackFields, Config, Dargah, Gateway, OutcomeKind, PaymentRequest, PaymentState, ReconcileOptions};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::databases;
use support::readings;
use support::power_cut::PowerCut;
use support::sandbox::World;

/// The payment's deadline: long enough for every case's first steps, short enough to wait for.
const WINDOW_SECS: u64 = 14;
const LEASE_SECS: u64 = 2;

/// Every combination of the readings a Vandar payment meets.
fn every_vandar_reading() -> Vec<Value> {
    let mut all = Vec::new();
    for verified in ["code1", "invented_codes", "unknown_code", "refused"] {
        for unpaid in ["code1", "invented_codes", "refused"] {
            for unpaid_verify in ["unspent", "spends_answer"] {
                all.push(json!({"vandar_info_verified": verified, "vandar_info_unpaid": unpaid, "vandar_unpaid_verify": unpaid_verify}));
            }
        }
    }
    all
}

/// (name, url, table prefix) of every store under test.
fn stores(world: &World, tag: &str) -> Vec<(&'static str, String, String)> {
    databases::every_store(world.dir.path(), tag)
}

/// A shop on `store` whose payments close `WINDOW_SECS` after creation.
fn shop(world: &World, store: &Arc<PowerCut>) -> Dargah {
    let mut config: Value = serde_json::from_str(&world.config(LEASE_SECS)).unwrap();
    config["vandar"]["refund_window_secs"] = json!(WINDOW_SECS);
    config["mupra"]["refund_window_secs"] = json!(WINDOW_SECS);
    // These tests are about what a verify spends under each reading; the back-off a forged
    // "paid" callback starts (hardening.rs `forged_paid_callbacks_cost_at_most_the_capped_verifies`)
    // would only delay the customer's callback that follows it here.
    config["callback_backoff_ms"] = json!(0);
    Dargah::with_store(Config::from_json(&config.to_string()).unwrap(), store.clone()).unwrap()
}

fn request(invoice: &str) -> PaymentRequest {
    PaymentRequest::new(invoice, 15_000, "http://127.0.0.1:9/shop/callback").mobile("09123456789")
}

/// A payment created, given `readings`, and its token.
fn payment_with_readings(world: &World, dargah: &Dargah, gateway: Gateway, invoice: &str, readings: &Value) -> (String, String) {
    let p = dargah.create_payment(gateway, request(invoice)).unwrap().payment;
    let token = p.token.clone().unwrap();
    let mut body = readings.clone();
    body["gateway"] = json!(gateway.name());
    body["token"] = json!(token);
    world.readings(body);
    (p.id, token)
}

fn vandar_payment(world: &World, dargah: &Dargah, invoice: &str, readings: &Value) -> (String, String) {
    payment_with_readings(world, dargah, Gateway::Vandar, invoice, readings)
}

/// A Mupra callback with `status` for the payment of `token`, as anyone who
/// saw the payment link can send it: the shop's callback URL and the token.
fn mupra_callback(world: &World, token: &str, status: &str) -> CallbackFields {
    let payment = world.sandbox_payment(Gateway::Mupra, token);
    let url = url::Url::parse(payment["callback_url"].as_str().unwrap()).unwrap();
    let mut query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    query.extend([("token".to_string(), token.to_string()), ("status".to_string(), status.to_string())]);
    CallbackFields::from_pairs(query, Vec::<(String, String)>::new()).unwrap()
}

/// Reconcile until every payment in `ids` is settled (their deadlines pass meanwhile).
fn settle_at_deadline(dargah: &Dargah, ids: &[String]) {
    let give_up = Instant::now() + Duration::from_secs(WINDOW_SECS * 3);
    while ids.iter().any(|id| !dargah.payment(id).unwrap().state.is_terminal()) {
        assert!(Instant::now() < give_up, "payments still open long after their deadline");
        std::thread::sleep(Duration::from_millis(500));
        dargah.reconcile(&ReconcileOptions { min_age: Duration::ZERO, limit: 200 }, |_| {}).unwrap();
    }
}

/// What a paid payment whose verify may have gone through must come to at its deadline.
fn assert_needs_review_with_the_truth(dargah: &Dargah, id: &str, label: &str) {
    let p = dargah.payment(id).unwrap();
    assert_eq!(p.state, PaymentState::NeedsReview, "{label}: {p:?}");
    let note = p.note.clone().unwrap_or_default();
    assert!(note.contains("a verify of ours may have gone through"), "{label}: the note says what is known: {note}");
}

/// The power is cut after the claim and the verify went out, before the
/// answer is stored; the machine comes back from what was durable. Under
/// every reading the "maybe verified" mark survives (the claim was synced),
/// the customer's repeated callback is never told failed, nothing is
/// credited without a verify success body, and at the deadline the payment
/// is `needs_review` with a note saying a verify may have gone through.
#[test]
fn a_power_cut_after_the_claim_of_a_vandar_verify_keeps_the_maybe_verified_mark_under_every_reading() {
    let world = World::start();
    std::thread::scope(|scope| {
        for (name, url, prefix) in stores(&world, "pc") {
            let world = &world;
            scope.spawn(move || {
                let mut store = PowerCut::open(&url, &prefix);
                let mut cases = Vec::new();
                for (i, readings) in every_vandar_reading().into_iter().enumerate() {
                    let dargah = shop(world, &store);
                    let (id, token) = vandar_payment(world, &dargah, &format!("{prefix}pc-{name}-{i}"), &readings);
                    let fields = world.pay(Gateway::Vandar, &token, true);
                    store.cut_before_finish();
                    let lost = dargah.handle_callback(Gateway::Vandar, &fields).unwrap_err();
                    assert!(lost.message().contains("power is off"), "{name} {readings}: {lost}");
                    assert_eq!(world.sandbox_payment(Gateway::Vandar, &token)["verified"], true, "{name} {readings}: Vandar verified it and spent its one answer");
                    store = store.reboot();
                    cases.push((readings, id, fields));
                }
                // The claim's lease runs out while the machine is down.
                std::thread::sleep(Duration::from_secs(LEASE_SECS));
                let dargah = shop(world, &store);
                for (readings, id, fields) in &cases {
                    let o = dargah.handle_callback(Gateway::Vandar, fields).unwrap();
                    assert_eq!((o.kind, o.payment.state), (OutcomeKind::InProgress, PaymentState::Awaiting), "{name} {readings}: the customer is told it is not confirmed yet");
                    assert_eq!(dargah.payment(id).unwrap().verified_amount, None, "{name} {readings}: never credited without a verify success body");
                }
                let ids: Vec<String> = cases.iter().map(|(_, id, _)| id.clone()).collect();
                settle_at_deadline(&dargah, &ids);
                for (readings, id, _) in &cases {
                    assert_needs_review_with_the_truth(&dargah, id, &format!("{name} {readings}"));
                }
            });
        }
    });
}

/// Anyone who saw the payment link has its token: an OK callback before the
/// customer pays must not send Vandar's once-only verify (under the reading
/// that a verify of an unpaid payment spends the one answer, the customer's
/// genuine callback would be refused). Under every reading the forged
/// callback costs no verify and closes nothing, and the customer's payment
/// then ends paid, once.
#[test]
fn a_forged_ok_callback_before_payment_never_spends_the_customers_verify_under_every_reading() {
    let world = World::start();
    std::thread::scope(|scope| {
        for (name, url, prefix) in stores(&world, "fo") {
            let world = &world;
            scope.spawn(move || {
                let store = PowerCut::open(&url, &prefix);
                let dargah = shop(world, &store);
                for (i, readings) in every_vandar_reading().into_iter().enumerate() {
                    let (id, token) = vandar_payment(world, &dargah, &format!("{prefix}fo-{name}-{i}"), &readings);
                    let forged = CallbackFields::from_pairs(vec![("token".to_string(), token.clone()), ("payment_status".to_string(), "OK".to_string())], Vec::<(String, String)>::new()).unwrap();
                    let o = dargah.handle_callback(Gateway::Vandar, &forged).unwrap();
                    assert!(matches!(o.kind, OutcomeKind::Failed | OutcomeKind::InProgress), "{name} {readings}: {:?}", o.kind);
                    assert_eq!(o.payment.state, PaymentState::Awaiting, "{name} {readings}: open for the customer");
                    let verifies_before_payment = world.calls_for(&token, "vandar.verify");
                    let genuine = world.pay(Gateway::Vandar, &token, true);
                    let o = dargah.handle_callback(Gateway::Vandar, &genuine).unwrap();
                    assert_eq!((o.kind, o.payment.verified_amount), (OutcomeKind::NewlyPaid, Some(15_000)), "{name} {readings}: the customer's order: {:?}", o.payment);
                    assert_eq!(verifies_before_payment, 0, "{name} {readings}: no verify of a payment nobody paid");
                    assert_eq!(dargah.handle_callback(Gateway::Vandar, &forged).unwrap().kind, OutcomeKind::AlreadyPaid, "{name} {readings}");
                    assert_eq!(world.calls_for(&token, "vandar.verify"), 1, "{name} {readings}");
                    assert_eq!(dargah.payment(&id).unwrap().state, PaymentState::Paid);
                }
            });
        }
    });
}

/// `run(world, store name, table prefix, shop)` on every store at once, each
/// with a sandbox of its own: a fault that loses a verify's answer is the
/// sandbox's, not a payment's, so stores must not share one.
fn on_every_store_with_its_own_sandbox(tag: &str, run: impl Fn(&World, &str, &str, &Dargah) + Sync) {
    let worlds: Vec<World> = (0..3).map(|_| World::start()).collect();
    let run = &run;
    std::thread::scope(|scope| {
        for (world, (name, url, prefix)) in worlds.iter().zip(stores(&worlds[0], tag)) {
            scope.spawn(move || {
                let store = PowerCut::open(&url, &prefix);
                run(world, name, &prefix, &shop(world, &store));
            });
        }
    });
}

/// Vandar took the verify, its answer was lost; transaction info then keeps
/// code 1, gives our invented code 2, an undocumented code, or refuses.
/// None of them credits (only a verify success body does) or closes the
/// payment: the customer's repeated callback is told it is not confirmed
/// yet, and at the deadline it is `needs_review` with a note saying what is
/// known. A refused second verify is itself marked as maybe verified.
#[test]
fn unknown_or_refused_transaction_info_after_a_verify_never_credits_or_closes_under_every_reading() {
    on_every_store_with_its_own_sandbox("ui", |world, name, prefix, dargah| {
        let mut cases = Vec::new();
        for (i, readings) in every_vandar_reading().into_iter().enumerate() {
            let (id, token) = vandar_payment(world, dargah, &format!("{prefix}ui-{name}-{i}"), &readings);
            let fields = world.pay(Gateway::Vandar, &token, true);
            world.fault(json!({"endpoint": "vandar.verify", "drop_after_process": true, "count": 1}));
            assert!(dargah.handle_callback(Gateway::Vandar, &fields).unwrap_err().kind().is_in_doubt(), "{name} {readings}");
            let o = dargah.handle_callback(Gateway::Vandar, &fields).unwrap();
            assert_eq!((o.kind, o.payment.state), (OutcomeKind::InProgress, PaymentState::Awaiting), "{name} {readings}: {:?}", o.payment);
            assert_eq!(o.payment.verified_amount, None, "{name} {readings}: never credited from transaction info");
            cases.push((readings, id));
        }
        let ids: Vec<String> = cases.iter().map(|(_, id)| id.clone()).collect();
        settle_at_deadline(dargah, &ids);
        for (readings, id) in &cases {
            assert_needs_review_with_the_truth(dargah, id, &format!("{name} {readings}"));
        }
    });
}

/// A Vandar verify whose answer was lost (Vandar took it) may be sent once
/// more — it credits if the first never reached Vandar, or is refused — and
/// after a refusal of ours, never again: every later callback, recover and
/// reconcile pass is answered from the store and transaction info. Under the
/// document's own transaction-info code (`code1`, the default), which keeps
/// saying "confirm required" after a verify, the shop once sent a refused
/// verify on every pass, hammering Vandar with the merchant's key. Under every
/// reading: at most two verifies reach Vandar, and the payment ends
/// `needs_review` at its deadline.
#[test]
fn a_lost_vandar_verify_answer_is_verified_at_most_once_more_under_every_reading() {
    on_every_store_with_its_own_sandbox("lv", |world, name, prefix, dargah| {
        let mut cases = Vec::new();
        for verified in ["code1", "invented_codes", "unknown_code", "refused"] {
            let readings = json!({"vandar_info_verified": verified});
            let (id, token) = vandar_payment(world, dargah, &format!("{prefix}lv-{name}-{verified}"), &readings);
            let fields = world.pay(Gateway::Vandar, &token, true);
            world.fault(json!({"endpoint": "vandar.verify", "drop_after_process": true, "count": 1}));
            assert!(dargah.handle_callback(Gateway::Vandar, &fields).unwrap_err().kind().is_in_doubt(), "{name} {verified}");
            cases.push((verified, id, token, fields));
        }
        // The customer's browser keeps coming back and the shop's cron keeps passing until the deadline.
        let deadline = cases.iter().map(|(_, id, _, _)| dargah.payment(id).unwrap().deadline_at).max().unwrap();
        while dargah.store().now().unwrap() <= deadline {
            for (verified, _, _, fields) in &cases {
                if let Ok(o) = dargah.handle_callback(Gateway::Vandar, fields) {
                    assert!(matches!(o.kind, OutcomeKind::InProgress | OutcomeKind::NeedsReview), "{name} {verified}: never told paid or failed: {:?}", o.kind);
                }
            }
            dargah.recover(100).unwrap();
            dargah.reconcile(&ReconcileOptions { min_age: Duration::ZERO, limit: 200 }, |_| {}).unwrap();
            std::thread::sleep(Duration::from_millis(300));
        }
        let ids: Vec<String> = cases.iter().map(|(_, id, _, _)| id.clone()).collect();
        settle_at_deadline(dargah, &ids);
        let stats = world.stats();
        for (verified, id, token, _) in &cases {
            let processed = stats["processed_by_token"][token]["vandar.verify"].as_u64().unwrap_or(0);
            assert!((1..=2).contains(&processed), "{name} {verified}: Vandar processed {processed} verifies: the lost one, at most one refused retry, then none");
            assert_needs_review_with_the_truth(dargah, id, &format!("{name} {verified}"));
        }
    });
}

/// Mupra's document is silent on whether a verify that answered `paid:
/// false` (a forged OK callback before the customer paid; the back-off is
/// off here, so it is verified) refuses the verifies after it. Under
/// `answers_again` the customer's own callback then ends paid, once; under
/// `refuses_later` every verify of the paid payment is refused, which is no
/// proof of non-payment: the payment is never failed, expired or
/// cancelled, and ends `needs_review` at its deadline with a note saying a
/// verify may have gone through.
#[test]
fn a_mupra_verify_that_answered_unpaid_and_refuses_later_verifies_never_loses_the_paid_order() {
    on_every_store_with_its_own_sandbox("mu", |world, name, prefix, dargah| {
        let mut refused = Vec::new();
        for reading in ["answers_again", "refuses_later"] {
            let (id, token) = payment_with_readings(world, dargah, Gateway::Mupra, &format!("{prefix}mu-{name}-{reading}"), &json!({"mupra_unpaid_verify": reading}));
            let forged = dargah.handle_callback(Gateway::Mupra, &mupra_callback(world, &token, "OK")).unwrap();
            assert_eq!(forged.payment.state, PaymentState::Awaiting, "{name} {reading}: open for the customer");
            assert_eq!(world.calls_for(&token, "mupra.verify"), 1, "{name} {reading}: the forged callback was verified and answered `paid: false`");
            let genuine = world.pay(Gateway::Mupra, &token, true);
            let o = dargah.handle_callback(Gateway::Mupra, &genuine).unwrap();
            if reading == "answers_again" {
                assert_eq!((o.kind, o.payment.state), (OutcomeKind::NewlyPaid, PaymentState::Paid), "{name} {reading}: {:?}", o.payment);
                assert_eq!(dargah.handle_callback(Gateway::Mupra, &genuine).unwrap().kind, OutcomeKind::AlreadyPaid, "{name} {reading}");
                assert_eq!(world.sandbox_payment(Gateway::Mupra, &token)["verify_count"], 1, "{name} {reading}: paid once");
            } else {
                assert_eq!((o.kind, o.payment.state), (OutcomeKind::InProgress, PaymentState::Awaiting), "{name} {reading}: the customer is told it is not confirmed yet: {:?}", o.payment);
                assert_eq!(o.payment.paid_at, None, "{name} {reading}: a refusal never credits");
                assert_eq!(world.sandbox_payment(Gateway::Mupra, &token)["paid"], true, "{name} {reading}: Mupra holds the customer's money");
                refused.push(id);
            }
        }
        settle_at_deadline(dargah, &refused);
        for id in &refused {
            assert_needs_review_with_the_truth(dargah, id, &format!("{name} refuses_later"));
        }
    });
}

/// Mupra processes the first verify of a paid payment (the money is the
/// merchant's) but its answer is a refusal, "verified already", as when
/// the answer of a verify was lost; every verify after it is refused too
/// (`repeat_verify: refused`). Whether the first verify comes from a FAILED
/// callback (forged, or the customer's browser) or the customer's OK one,
/// the payment is never failed, expired or cancelled: the FAILED callback,
/// which the refusal does not contradict, is told `failed` while the
/// payment stays open; the OK one is told it is not confirmed yet; at the
/// deadline it is `needs_review` with a note saying a verify may have gone
/// through.
#[test]
fn a_refused_first_mupra_verify_that_went_through_never_ends_failed_or_expired() {
    on_every_store_with_its_own_sandbox("mf", |world, name, prefix, dargah| {
        let readings = json!({"mupra_first_verify": "processed_and_refused", "repeat_verify": "refused"});
        let mut cases = Vec::new();
        for first in ["FAILED", "OK"] {
            let (id, token) = payment_with_readings(world, dargah, Gateway::Mupra, &format!("{prefix}mf-{name}-{first}"), &readings);
            let genuine = world.pay(Gateway::Mupra, &token, true);
            let o = dargah.handle_callback(Gateway::Mupra, &mupra_callback(world, &token, first)).unwrap();
            let told = if first == "FAILED" { OutcomeKind::Failed } else { OutcomeKind::InProgress };
            assert_eq!((o.kind, o.payment.state), (told, PaymentState::Awaiting), "{name} {first}: {:?}", o.payment);
            let at_mupra = world.sandbox_payment(Gateway::Mupra, &token);
            assert_eq!((at_mupra["paid"].clone(), at_mupra["verified"].clone()), (json!(true), json!(true)), "{name} {first}: Mupra verified it and took the money");
            let o = dargah.handle_callback(Gateway::Mupra, &genuine).unwrap();
            assert_eq!((o.kind, o.payment.state), (OutcomeKind::InProgress, PaymentState::Awaiting), "{name} {first}: the customer is told it is not confirmed yet: {:?}", o.payment);
            assert_eq!(o.payment.paid_at, None, "{name} {first}: a refusal never credits");
            cases.push((first, id));
        }
        let ids: Vec<String> = cases.iter().map(|(_, id)| id.clone()).collect();
        settle_at_deadline(dargah, &ids);
        for (first, id) in &cases {
            assert_needs_review_with_the_truth(dargah, id, &format!("{name} first callback {first}"));
        }
    });
}

/// The test kits' list of silences (`support::readings::SILENCES`, which the
/// chaos checker and the power-cut matrix draw from) is the sandbox's own:
/// every silence the sandbox speaks is listed by name with its default
/// first, and the sandbox accepts every reading listed (an unknown name is
/// refused with 400).
#[test]
fn the_test_kits_list_every_reading_the_sandbox_speaks() {
    let defaults = serde_json::to_value(dargah_sandbox::readings::Readings::default()).unwrap();
    let mut spoken: Vec<(&str, &str)> = defaults.as_object().unwrap().iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())).collect();
    spoken.sort();
    let mut listed: Vec<(&str, &str)> = readings::SILENCES.iter().map(|s| (s.name, s.readings[0])).collect();
    listed.sort();
    assert_eq!(listed, spoken, "SILENCES names every silence the sandbox speaks, its default first");
    let world = World::start();
    for silence in readings::SILENCES {
        for name in silence.readings {
            world.readings(json!({ silence.name: name }));
        }
    }
}
