//! The engine-hardening scenarios (issue 12), one test each, named after its
//! number: skewed clocks and slow gateways, answers the documents do not
//! describe, forgers, and waiting/reconciling races. Where a store is
//! involved the scenario runs on SQLite, PostgreSQL and MariaDB.
//!
//! The tests run one at a time: a pause armed at a named step (`fail::cfg`)
//! is process-wide, and any test's callback could take it.

mod support;

use dargah_core::{CallbackFields, Dargah, ErrorKind, Gateway, OutcomeKind, PaymentRequest, PaymentState, ReconcileOptions};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use support::databases;
use support::sandbox::World;

static SERIAL: Mutex<()> = Mutex::new(());

/// One scenario at a time (failpoints and clock skews are process-wide or per thread).
fn serial() -> MutexGuard<'static, ()> {
    // Make the failpoint registry read FAILPOINTS now, so a later `fail::cfg` is not reset.
    dargah_core::__failpoint_hit("hardening_setup");
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Every store this machine has: SQLite always; PostgreSQL and MariaDB under `make test`.
fn stores(world: &World) -> Vec<(&'static str, String)> {
    let mut all = vec![("sqlite", format!("sqlite://{}/h-{}.db", world.dir.path().display(), databases::unique_prefix("s")))];
    if let Some(url) = databases::url("DARGAH_TEST_POSTGRES_URL") {
        all.push(("postgres", url));
    }
    if let Some(url) = databases::url("DARGAH_TEST_MYSQL_URL") {
        all.push(("mysql", url));
    }
    all
}

/// A client on `store` with `changes` written over the world's config.
fn client(world: &World, store: &str, prefix: &str, changes: Value) -> Dargah {
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["store"] = json!(store);
    config["table_prefix"] = json!(prefix);
    merge(&mut config, changes);
    Dargah::from_json(&config.to_string()).unwrap()
}

fn merge(into: &mut Value, changes: Value) {
    match (into, changes) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}

fn request(invoice: &str, amount: u64) -> PaymentRequest {
    PaymentRequest::new(invoice, amount, "https://shop.example/cb").mobile("09123456789")
}

fn set_sandbox(world: &World, change: Value) {
    world.http.post(format!("{}/_control/config", world.sandbox.base_url())).json(&change).send().unwrap().error_for_status().unwrap();
}

/// A callback as the browser (or a forger) would deliver it.
fn raw_callback(query: &[(&str, &str)], form: &[(&str, &str)]) -> CallbackFields {
    let own = |pairs: &[(&str, &str)]| -> Vec<(String, String)> { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    CallbackFields::from_pairs(own(query), own(form)).unwrap()
}

fn reconcile_now(dargah: &Dargah) -> dargah_core::ReconcileReport {
    dargah.reconcile(&ReconcileOptions { min_age: Duration::ZERO, limit: 100 }, |_| {}).unwrap()
}

fn history(dargah: &Dargah, id: &str) -> Vec<(String, String)> {
    dargah.store().events(id).unwrap().into_iter().map(|(_, _, label, raw)| (label, raw)).collect()
}

// ---------------------------------------------------------------- leases and clocks

#[test]
fn scenario_01_a_host_with_a_fast_clock_never_steals_a_slow_verify() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h1");
        let host_a = Arc::new(client(&world, &store, &prefix, json!({"lease_secs": 60, "http": {"request_timeout_ms": 20000}})));
        let host_b = Arc::new(client(&world, &store, &prefix, json!({"lease_secs": 60, "http": {"request_timeout_ms": 20000}, "callback_wait_ms": 0})));
        let created = host_a.create_payment(Gateway::Vandar, request(&format!("h1-{name}"), 50_000)).unwrap();
        let token = created.payment.token.clone().unwrap();
        let fields = world.pay(Gateway::Vandar, &token, true);
        // The gateway is slow to answer host A's verify.
        world.fault(json!({"endpoint": "vandar.verify", "latency_ms": 1500, "count": 1}));
        let a = {
            let (host_a, fields) = (host_a.clone(), fields.clone());
            std::thread::spawn(move || host_a.handle_callback(Gateway::Vandar, &fields).unwrap())
        };
        std::thread::sleep(Duration::from_millis(400));
        // Host B's clock is 61 s ahead: past A's 60 s lease, by B's own clock.
        let b = {
            let (host_b, fields) = (host_b.clone(), fields.clone());
            std::thread::spawn(move || {
                dargah_core::clock::set_thread_skew_ms(Some(61_000));
                let retry = host_b.handle_callback(Gateway::Vandar, &fields).unwrap();
                let recovered = host_b.recover(10).unwrap();
                let reconciled = reconcile_now(&host_b);
                (retry, recovered.outcomes.len() + recovered.errors.len(), reconciled.outcomes.len() + reconciled.in_doubt)
            })
        };
        let (retry, recovered, reconciled) = b.join().unwrap();
        let first = a.join().unwrap();
        assert_eq!(first.kind, OutcomeKind::NewlyPaid, "{name}: host A's verify stands");
        assert_eq!(retry.kind, OutcomeKind::InProgress, "{name}: host B waits for A, it does not verify again");
        assert_eq!((recovered, reconciled), (0, 0), "{name}: recover and reconcile on the fast host leave A's claim alone");
        assert_eq!(world.calls_for(&token, "vandar.verify"), 1, "{name}");
        let again = host_b.handle_callback(Gateway::Vandar, &fields).unwrap();
        assert_eq!((again.kind, again.payment.state), (OutcomeKind::AlreadyPaid, PaymentState::Paid), "{name}");
    }
}

#[test]
fn scenario_02_a_lease_shorter_than_the_slowest_gateway_call_is_refused() {
    let _serial = serial();
    let world = World::start();
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["lease_secs"] = json!(2);
    config["http"] = json!({"request_timeout_ms": 10000});
    let e = Dargah::from_json(&config.to_string()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("lease_secs (2)") && e.message().contains("http.request_timeout_ms (10000)"), "names both values: {}", e.message());
    config["lease_secs"] = json!(21);
    Dargah::from_json(&config.to_string()).expect("a lease longer than two calls is accepted");
}

#[test]
fn scenario_03_a_verifier_whose_lease_moved_on_is_still_heard() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h3");
        let host_a = Arc::new(client(&world, &store, &prefix, json!({"lease_secs": 1, "http": {"request_timeout_ms": 400}})));
        let host_b = client(&world, &store, &prefix, json!({"lease_secs": 1, "http": {"request_timeout_ms": 400}}));
        let created = host_a.create_payment(Gateway::Vandar, request(&format!("h3-{name}"), 50_000)).unwrap();
        let token = created.payment.token.clone().unwrap();
        let fields = world.pay(Gateway::Vandar, &token, true);
        // Host A verifies, then stalls (a paused VM, a blocked store) past its lease.
        fail::cfg("verify_answered", "1*sleep(1800)").unwrap();
        let a = {
            let (host_a, fields) = (host_a.clone(), fields.clone());
            std::thread::spawn(move || host_a.handle_callback(Gateway::Vandar, &fields).unwrap())
        };
        std::thread::sleep(Duration::from_millis(1300));
        // Host B takes the lease over; the gateway fails it, so the payment is left in doubt.
        world.fault(json!({"endpoint": "vandar.transaction", "status": 503, "count": 1}));
        let b = host_b.handle_callback(Gateway::Vandar, &fields);
        assert!(b.is_err() || b.as_ref().unwrap().kind == OutcomeKind::InProgress, "{name}: {b:?}");
        let first = a.join().unwrap();
        fail::remove("verify_answered");
        assert_eq!((first.kind, first.payment.state), (OutcomeKind::NewlyPaid, PaymentState::Paid), "{name}: the late proof of payment settles it");
        assert!(history(&host_b, &created.payment.id).iter().any(|(label, raw)| label == "late_paid" && raw.contains("verify")), "{name}: the raw answer is recorded as a late proof of payment");
        assert_eq!(world.calls_for(&token, "vandar.verify"), 1, "{name}");
        let again = host_b.handle_callback(Gateway::Vandar, &fields).unwrap();
        assert_eq!(again.kind, OutcomeKind::AlreadyPaid, "{name}");
    }
}

#[test]
fn scenario_04_every_duration_is_bounded() {
    let _serial = serial();
    let world = World::start();
    let base: Value = serde_json::from_str(&world.config(60)).unwrap();
    for (path, value, needle) in [
        (vec!["lease_secs"], json!(u64::MAX), "lease_secs"),
        (vec!["http", "request_timeout_ms"], json!(u64::MAX), "http.request_timeout_ms"),
        (vec!["http", "connect_timeout_ms"], json!(0), "http.connect_timeout_ms"),
        (vec!["callback_wait_ms"], json!(u64::MAX), "callback_wait_ms"),
        (vec!["vandar", "refund_window_secs"], json!(u64::MAX), "vandar.refund_window_secs"),
        (vec!["canpay", "refund_window_secs"], json!(0), "canpay.refund_window_secs"),
        (vec!["vandar", "refresh_margin_secs"], json!(u64::MAX), "vandar.refresh_margin_secs"),
    ] {
        let mut config = base.clone();
        let mut slot = &mut config;
        for key in &path {
            slot = &mut slot[*key];
        }
        *slot = value;
        let e = Dargah::from_json(&config.to_string()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{needle}");
        assert!(e.message().contains(needle) && e.message().contains("between"), "{needle}: {}", e.message());
    }
    // The largest lease allowed still behaves: 8 duplicates, one verify.
    let mut config = base.clone();
    config["lease_secs"] = json!(24 * 3600);
    let dargah = Arc::new(Dargah::from_json(&config.to_string()).unwrap());
    let created = dargah.create_payment(Gateway::Vandar, request("h4", 20_000)).unwrap();
    let token = created.payment.token.clone().unwrap();
    let raw = world.pay(Gateway::Vandar, &token, true).to_urlencoded();
    let tally = support::child::deliver(dargah, Gateway::Vandar, vec![raw], 8);
    assert_eq!((tally.newly_paid, tally.already_paid), (1, 7));
    assert_eq!(world.calls_for(&token, "vandar.verify"), 1);
}

// ---------------------------------------------------------------- answers the documents do not describe

#[test]
fn scenario_05_an_undocumented_transaction_code_keeps_the_payment_open_until_its_deadline() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h5");
        let dargah = client(&world, &store, &prefix, json!({}));
        for code in [7, 3, 5] {
            let created = dargah.create_payment(Gateway::Vandar, request(&format!("h5-{name}-{code}"), 30_000)).unwrap();
            let token = created.payment.token.clone().unwrap();
            // A forged (or early) FAILED callback, and a gateway answering a code we cannot read as final.
            world.fault(json!({"endpoint": "vandar.transaction", "set": {"code": code}, "count": 2}));
            let forged = raw_callback(&[("dargah_ref", &created.payment.id), ("token", &token), ("payment_status", "FAILED")], &[]);
            let o = dargah.handle_callback(Gateway::Vandar, &forged).unwrap();
            assert_eq!(o.payment.state, PaymentState::Awaiting, "{name} code {code}: still open");
            reconcile_now(&dargah);
            assert_eq!(dargah.payment(&created.payment.id).unwrap().state, PaymentState::Awaiting, "{name} code {code}: reconcile asks again, still open");
            // The customer, still on the page, pays: the genuine callback credits the order.
            let paid = dargah.handle_callback(Gateway::Vandar, &world.pay(Gateway::Vandar, &token, true)).unwrap();
            assert_eq!(paid.kind, OutcomeKind::NewlyPaid, "{name} code {code}");
        }
        // At the deadline an unreadable answer goes to a person, never to paid or failed.
        let late = client(&world, &store, &prefix, json!({"vandar": {"refund_window_secs": 1}}));
        let created = late.create_payment(Gateway::Vandar, request(&format!("h5-{name}-late"), 30_000)).unwrap();
        world.fault(json!({"endpoint": "vandar.transaction", "set": {"code": 42}}));
        std::thread::sleep(Duration::from_millis(1100));
        reconcile_now(&late);
        world.clear_faults();
        let p = late.payment(&created.payment.id).unwrap();
        assert_eq!(p.state, PaymentState::NeedsReview, "{name}: {p:?}");
        assert!(p.note.unwrap().contains("code 42 "));
    }
}

#[test]
fn scenario_06_a_refused_repeat_verify_never_ends_failed_or_expired() {
    let _serial = serial();
    let world = World::start();
    set_sandbox(&world, json!({"refuse_repeat_verify": true}));
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h6");
        let dargah = client(&world, &store, &prefix, json!({"mupra": {"refund_window_secs": 2}, "atipay": {"refund_window_secs": 2}}));
        for gateway in [Gateway::Mupra, Gateway::AtiPay] {
            let created = dargah.create_payment(gateway, request(&format!("h6-{name}-{gateway}"), 30_000)).unwrap();
            let token = created.payment.token.clone().unwrap();
            let fields = world.pay(gateway, &token, true);
            // The gateway verifies, and its answer is lost.
            let endpoint = dargah_sandbox::verify_endpoint(gateway.name()).unwrap();
            world.fault(json!({"endpoint": endpoint, "drop_after_process": true, "count": 1}));
            assert!(dargah.handle_callback(gateway, &fields).unwrap_err().kind().is_in_doubt(), "{name} {gateway}");
            // Asked again, it refuses: that is no proof the customer did not pay.
            dargah.recover(10).unwrap();
            assert_eq!(dargah.payment(&created.payment.id).unwrap().state, PaymentState::Awaiting, "{name} {gateway}");
            std::thread::sleep(Duration::from_millis(2100));
            reconcile_now(&dargah);
            let p = dargah.payment(&created.payment.id).unwrap();
            assert_eq!(p.state, PaymentState::NeedsReview, "{name} {gateway}: {p:?}");
            assert!(p.note.unwrap().contains("may have gone through"), "{name} {gateway}");
        }
        // A transient refusal (429) says nothing of the payment: in doubt, not unpaid.
        let created = dargah.create_payment(Gateway::CanPay, request(&format!("h6-{name}-429"), 30_000)).unwrap();
        let fields = world.pay(Gateway::CanPay, created.payment.token.as_deref().unwrap(), true);
        world.fault(json!({"endpoint": "canpay.verify", "status": 429, "count": 1}));
        assert!(dargah.handle_callback(Gateway::CanPay, &fields).is_err(), "{name}");
        assert_eq!(dargah.payment(&created.payment.id).unwrap().state, PaymentState::InDoubt, "{name}");
        assert_eq!(dargah.recover(10).unwrap().outcomes[0].kind, OutcomeKind::NewlyPaid, "{name}");
    }
    set_sandbox(&world, json!({"refuse_repeat_verify": false}));
}

#[test]
fn scenario_07_a_vandar_answer_without_an_amount_needs_review() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h7");
        let dargah = client(&world, &store, &prefix, json!({}));
        let created = dargah.create_payment(Gateway::Vandar, request(&format!("h7-{name}"), 30_000)).unwrap();
        let fields = world.pay(Gateway::Vandar, created.payment.token.as_deref().unwrap(), true);
        world.fault(json!({"endpoint": "vandar.verify", "remove": ["amount", "realAmount"], "count": 1}));
        let o = dargah.handle_callback(Gateway::Vandar, &fields).unwrap();
        assert_eq!((o.kind, o.payment.state), (OutcomeKind::NeedsReview, PaymentState::NeedsReview), "{name}");
        assert!(o.payment.note.unwrap().contains("no amount"), "{name}");
        assert!(dargah.unacknowledged(100).unwrap().iter().all(|p| p.id != created.payment.id), "{name}: never credited");
    }
}

#[test]
fn scenario_08_mupra_transactions_accept_the_bare_page_of_the_document() {
    let _serial = serial();
    let world = World::start();
    let dargah = world.client();
    let created = dargah.create_payment(Gateway::Mupra, request("h8", 30_000)).unwrap();
    dargah.handle_callback(Gateway::Mupra, &world.pay(Gateway::Mupra, created.payment.token.as_deref().unwrap(), true)).unwrap();
    let enveloped = dargah.mupra_transactions(0, 10).unwrap();
    world.fault(json!({"endpoint": "mupra.trx", "unwrap": "result"}));
    let bare = dargah.mupra_transactions(0, 10).unwrap();
    assert_eq!(bare, enveloped);
    assert_eq!(bare.transactions.iter().filter(|t| t.factor_number.as_deref() == Some("h8")).count(), 1);
    assert_eq!(dargah.mupra_all_transactions(10).filter(Result::is_ok).count(), enveloped.result_count as usize);
    let answer = dargah.call("mupra.transactions", &json!({"page": 0, "page_size": 10})).unwrap();
    assert_eq!(answer["transactions"].as_array().unwrap().len(), bare.transactions.len());
    world.clear_faults();
}

// ---------------------------------------------------------------- forgers

fn atipay_callback(payment_id: Option<&str>, state: &str, reference: &str, invoice: &str) -> CallbackFields {
    let query: Vec<(&str, &str)> = payment_id.map(|id| vec![("dargah_ref", id)]).unwrap_or_default();
    raw_callback(&query, &[("state", state), ("status", "3"), ("referenceNumber", reference), ("reservationNumber", invoice), ("terminalId", dargah_sandbox::creds::ATIPAY_TERMINAL_ID), ("traceNumber", "9")])
}

#[test]
fn scenario_09_a_forged_atipay_receipt_cannot_replace_the_customers() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h9");
        let dargah = client(&world, &store, &prefix, json!({}));
        let invoice = format!("h9-{name}");
        let created = dargah.create_payment(Gateway::AtiPay, request(&invoice, 40_000)).unwrap();
        let genuine = world.pay(Gateway::AtiPay, created.payment.token.as_deref().unwrap(), true);
        // The customer's callback goes in doubt: verify timed out.
        world.fault(json!({"endpoint": "atipay.verify-payment", "status": 504, "count": 1}));
        assert!(dargah.handle_callback(Gateway::AtiPay, &genuine).is_err(), "{name}");
        // A forger who knows only the order number.
        let forged = atipay_callback(None, "Failed", "FORGED", &invoice);
        let o = dargah.handle_callback(Gateway::AtiPay, &forged).unwrap();
        assert_eq!(o.payment.state, PaymentState::Paid, "{name}: the stored receipt was verified, not the forger's");
        reconcile_now(&dargah);
        let p = dargah.payment(&created.payment.id).unwrap();
        assert_eq!(p.state, PaymentState::Paid, "{name}");
        assert_ne!(p.reference.as_deref(), Some("FORGED"));
    }
}

/// Found by the chaos checker (postgres seed 5000): a forger's receipt was
/// being verified when the customer's callback left the genuine one; the
/// forger's in-doubt answer rewrote the kept receipts and lost it.
#[test]
fn scenario_19_a_receipt_left_while_another_is_verified_is_not_lost() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h19");
        let dargah = Arc::new(client(&world, &store, &prefix, json!({"lease_secs": 2, "http": {"request_timeout_ms": 600}, "callback_wait_ms": 200})));
        let invoice = format!("h19-{name}");
        let created = dargah.create_payment(Gateway::AtiPay, request(&invoice, 31_000)).unwrap();
        let genuine = world.pay(Gateway::AtiPay, created.payment.token.as_deref().unwrap(), true);
        // The forger's receipt is verified first, and that verify times out…
        world.fault(json!({"endpoint": "atipay.verify-payment", "latency_ms": 1500, "count": 1}));
        let forger = {
            let dargah = dargah.clone();
            let forged = atipay_callback(Some(&created.payment.id), "OK", "FORGED-19", &invoice);
            std::thread::spawn(move || dargah.handle_callback(Gateway::AtiPay, &forged))
        };
        std::thread::sleep(Duration::from_millis(150));
        // …while the customer's browser brings the genuine receipt and is told to wait.
        let o = dargah.handle_callback(Gateway::AtiPay, &genuine).unwrap();
        assert_eq!(o.kind, OutcomeKind::InProgress, "{name}");
        assert!(forger.join().unwrap().is_err(), "{name}: the forger's verify timed out");
        std::thread::sleep(Duration::from_millis(2100));
        let recovered = dargah.recover(10).unwrap();
        let p = dargah.payment(&created.payment.id).unwrap();
        assert_eq!((p.state, recovered.outcomes.first().map(|o| o.kind)), (PaymentState::Paid, Some(OutcomeKind::NewlyPaid)), "{name}: verified with the customer's receipt");
        assert_ne!(p.reference.as_deref(), Some("FORGED-19"), "{name}");
    }
}

#[test]
fn scenario_10_another_orders_atipay_receipt_is_refused_and_the_order_stays_open() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h10");
        let dargah = client(&world, &store, &prefix, json!({}));
        let order1 = dargah.create_payment(Gateway::AtiPay, request(&format!("h10-{name}-1"), 20_000)).unwrap();
        let order2 = dargah.create_payment(Gateway::AtiPay, request(&format!("h10-{name}-2"), 20_000)).unwrap();
        let order3 = dargah.create_payment(Gateway::AtiPay, request(&format!("h10-{name}-3"), 30_000)).unwrap();
        let paid1 = world.pay(Gateway::AtiPay, order1.payment.token.as_deref().unwrap(), true);
        assert_eq!(dargah.handle_callback(Gateway::AtiPay, &paid1).unwrap().kind, OutcomeKind::NewlyPaid);
        let receipt1 = paid1.get("referenceNumber").unwrap().to_string();
        // Order 1's receipt, through order 2's callback URL and by reservationNumber alone.
        for via_url in [true, false] {
            let replay = atipay_callback(via_url.then_some(order2.payment.id.as_str()), "OK", &receipt1, &order2.payment.invoice_id);
            let e = dargah.handle_callback(Gateway::AtiPay, &replay).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidCallback, "{name}");
            assert_eq!(dargah.payment(&order2.payment.id).unwrap().state, PaymentState::Awaiting, "{name}");
        }
        // A receipt for another amount (order 3's, not yet credited here) proves the same.
        let paid3 = world.pay(Gateway::AtiPay, order3.payment.token.as_deref().unwrap(), true);
        let replay = atipay_callback(Some(&order2.payment.id), "OK", paid3.get("referenceNumber").unwrap(), &order2.payment.invoice_id);
        assert_eq!(dargah.handle_callback(Gateway::AtiPay, &replay).unwrap_err().kind(), ErrorKind::InvalidCallback, "{name}");
        assert_eq!(dargah.payment(&order2.payment.id).unwrap().state, PaymentState::Awaiting, "{name}");
        // Order 2's own customer pays: the genuine callback credits it; order 3's credits order 3.
        let paid2 = world.pay(Gateway::AtiPay, order2.payment.token.as_deref().unwrap(), true);
        assert_eq!(dargah.handle_callback(Gateway::AtiPay, &paid2).unwrap().kind, OutcomeKind::NewlyPaid, "{name}");
        assert_eq!(dargah.handle_callback(Gateway::AtiPay, &paid3).unwrap().kind, OutcomeKind::NewlyPaid, "{name}");
        assert!(history(&dargah, &order2.payment.id).iter().any(|(label, _)| label == "refused_callback"), "{name}");
    }
}

#[test]
fn scenario_11_a_canpay_callback_amount_that_differs_is_recorded() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h11");
        let dargah = client(&world, &store, &prefix, json!({}));
        let created = dargah.create_payment(Gateway::CanPay, request(&format!("h11-{name}"), 25_000)).unwrap();
        let paid = world.pay(Gateway::CanPay, created.payment.token.as_deref().unwrap(), true);
        let mut form: Vec<(String, String)> = paid.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for (k, v) in form.iter_mut() {
            if k == "amount" {
                *v = "1000".into();
            }
        }
        let url_query = vec![("dargah_ref".to_string(), created.payment.id.clone())];
        let tampered = CallbackFields::from_pairs(url_query, form.into_iter().filter(|(k, _)| k != "dargah_ref").collect::<Vec<_>>()).unwrap();
        let o = dargah.handle_callback(Gateway::CanPay, &tampered).unwrap();
        assert_eq!((o.kind, o.payment.amount), (OutcomeKind::NewlyPaid, 25_000), "{name}: credited at the stored amount");
        let events = history(&dargah, &created.payment.id);
        assert!(events.iter().any(|(label, raw)| label == "amount_mismatch" && raw.contains("1000") && raw.contains("25000")), "{name}: {events:?}");
    }
}

// ---------------------------------------------------------------- waiting and reconciling

#[test]
fn scenario_12_a_duplicate_waiting_on_a_verify_that_times_out_is_told_in_progress() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h12");
        let dargah = Arc::new(client(&world, &store, &prefix, json!({"lease_secs": 2, "http": {"request_timeout_ms": 600}, "callback_wait_ms": 3000})));
        let created = dargah.create_payment(Gateway::CanPay, request(&format!("h12-{name}"), 25_000)).unwrap();
        let token = created.payment.token.clone().unwrap();
        let fields = world.pay(Gateway::CanPay, &token, true);
        world.fault(json!({"endpoint": "canpay.verify", "latency_ms": 1500, "count": 1}));
        let first = {
            let (dargah, fields) = (dargah.clone(), fields.clone());
            std::thread::spawn(move || dargah.handle_callback(Gateway::CanPay, &fields))
        };
        std::thread::sleep(Duration::from_millis(150));
        let failed = CallbackFields::from_pairs(Vec::<(String, String)>::new(), fields.iter().map(|(k, v)| (k.to_string(), if k == "success" { "0".to_string() } else { v.to_string() }))).unwrap();
        let waiters: Vec<_> = [fields.clone(), failed]
            .into_iter()
            .map(|f| {
                let dargah = dargah.clone();
                std::thread::spawn(move || dargah.handle_callback(Gateway::CanPay, &f).unwrap())
            })
            .collect();
        assert!(first.join().unwrap().is_err(), "{name}: the first verify timed out");
        for w in waiters {
            let o = w.join().unwrap();
            assert_eq!((o.kind, o.payment.state), (OutcomeKind::InProgress, PaymentState::InDoubt), "{name}");
        }
        assert_eq!(world.calls_for(&token, "canpay.verify"), 1, "{name}: nobody asked again while in doubt");
        std::thread::sleep(Duration::from_millis(1000));
        assert_eq!(dargah.recover(10).unwrap().outcomes[0].kind, OutcomeKind::NewlyPaid, "{name}");
    }
}

#[test]
fn scenario_13_reconcile_leaves_a_create_in_flight_alone() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h13");
        let dargah = Arc::new(client(&world, &store, &prefix, json!({})));
        world.fault(json!({"endpoint": "canpay.token", "latency_ms": 1200, "count": 1}));
        let create = {
            let dargah = dargah.clone();
            let invoice = format!("h13-{name}");
            std::thread::spawn(move || dargah.create_payment(Gateway::CanPay, request(&invoice, 25_000)))
        };
        std::thread::sleep(Duration::from_millis(300));
        let report = reconcile_now(&dargah);
        assert_eq!(report.failed, 0, "{name}: {}", report.summary());
        let created = create.join().unwrap().expect("the create completes");
        assert_eq!(created.payment.state, PaymentState::Awaiting, "{name}");
    }
}

#[test]
fn scenario_14_atipay_reconcile_rechecks_for_a_receipt_under_its_claim() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h14");
        let dargah = Arc::new(client(&world, &store, &prefix, json!({"atipay": {"refund_window_secs": 1}})));
        let created = dargah.create_payment(Gateway::AtiPay, request(&format!("h14-{name}"), 25_000)).unwrap();
        let paid = world.pay(Gateway::AtiPay, created.payment.token.as_deref().unwrap(), true);
        std::thread::sleep(Duration::from_millis(1100));
        // The reconciler has its snapshot (past the deadline, no receipt) and is about to claim…
        fail::cfg("unprompted_before_claim", "1*sleep(1000)").unwrap();
        let reconciler = {
            let dargah = dargah.clone();
            std::thread::spawn(move || reconcile_now(&dargah))
        };
        std::thread::sleep(Duration::from_millis(300));
        // …when the customer's callback brings the receipt, and its verify goes in doubt.
        world.fault(json!({"endpoint": "atipay.verify-payment", "status": 503, "count": 1}));
        assert!(dargah.handle_callback(Gateway::AtiPay, &paid).is_err(), "{name}");
        let report = reconciler.join().unwrap();
        fail::remove("unprompted_before_claim");
        let p = dargah.payment(&created.payment.id).unwrap();
        assert_eq!(p.state, PaymentState::Paid, "{name}: verified with the receipt found under the claim ({})", report.summary());
        assert_eq!(report.paid, 1, "{name}");
    }
}

// ---------------------------------------------------------------- issue 24: receipts, forged callbacks

/// Issue 24 item 1. A forger who knows only the order number fills the
/// receipts callbacks may leave: a FAILED callback claims the payment, three
/// more arrive while its verify runs (kept), a fifth claims the full list and
/// its verify is slow. The customer's genuine OK callback arrives then, finds
/// no room and gives up waiting after `callback_wait_ms`: its receipt must
/// still be verified (by the callback itself), never dropped.
#[test]
fn forged_receipts_never_drop_the_customers_receipt() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        // The customer's callback reaches the forgers' web server, or another one (whose claim finds the payment busy).
        for other_host in [false, true] {
            let prefix = databases::unique_prefix("h24a");
            let dargah = Arc::new(client(&world, &store, &prefix, json!({"callback_wait_ms": 200})));
            let customer_host = if other_host { Arc::new(client(&world, &store, &prefix, json!({"callback_wait_ms": 200}))) } else { dargah.clone() };
            let invoice = format!("h24a-{name}-{other_host}");
            let created = dargah.create_payment(Gateway::AtiPay, request(&invoice, 24_000)).unwrap();
            let genuine = world.pay(Gateway::AtiPay, created.payment.token.as_deref().unwrap(), true);
            let receipt = genuine.get("referenceNumber").unwrap().to_string();
            let forge = |n: usize| {
                let (dargah, forged) = (dargah.clone(), atipay_callback(None, "Failed", &format!("FORGED-{n}"), &invoice));
                std::thread::spawn(move || dargah.handle_callback(Gateway::AtiPay, &forged).map(|o| o.kind))
            };
            // The first forged callback claims the payment; its verify is slow…
            world.fault(json!({"endpoint": "atipay.verify-payment", "latency_ms": 1000, "count": 1}));
            let first = forge(1);
            std::thread::sleep(Duration::from_millis(300));
            // …and three more leave their receipts meanwhile.
            let kept: Vec<_> = (2..=4).map(forge).collect();
            assert!(first.join().unwrap().is_ok(), "{name}");
            for k in kept {
                assert!(k.join().unwrap().is_ok(), "{name}");
            }
            // A fifth takes the next claim with the full list; its verify is slow too.
            world.fault(json!({"endpoint": "atipay.verify-payment", "latency_ms": 1500, "count": 1}));
            let fifth = forge(5);
            std::thread::sleep(Duration::from_millis(300));
            // The customer's browser comes back now.
            let customer = customer_host.handle_callback(Gateway::AtiPay, &genuine);
            let _ = fifth.join().unwrap();
            world.clear_faults();
            reconcile_now(&dargah);
            let p = dargah.payment(&created.payment.id).unwrap();
            assert_eq!((p.state, p.reference.as_deref()), (PaymentState::Paid, Some(receipt.as_str())), "{name} (other host: {other_host}): the customer's receipt was verified ({customer:?})");
            assert_eq!(customer.map(|o| o.kind).ok(), Some(OutcomeKind::NewlyPaid), "{name} (other host: {other_host}): the customer's own callback verified its receipt");
        }
    }
}

/// A callback that says "paid" for an open CanPay payment, as anyone who saw its token can send it.
fn forged_canpay_ok(payment_id: &str, token: &str) -> CallbackFields {
    raw_callback(&[("dargah_ref", payment_id)], &[("token", token), ("success", "1")])
}

/// Issue 24 item 4. Ten forged "paid" callbacks in a row cost one verify (the
/// rest fall in the back-off after its "not paid yet"); sent on and on, they
/// cost at most `callback_verify_cap` verifies before the deadline. The
/// customer's callback after paying is then answered from the store, and
/// reconcile credits the payment.
#[test]
fn forged_paid_callbacks_cost_at_most_the_capped_verifies() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h24b");
        let defaults = client(&world, &store, &prefix, json!({}));
        let created = defaults.create_payment(Gateway::CanPay, request(&format!("h24b-row-{name}"), 26_000)).unwrap();
        let token = created.payment.token.clone().unwrap();
        let forged = forged_canpay_ok(&created.payment.id, &token);
        for n in 0..10 {
            let o = defaults.handle_callback(Gateway::CanPay, &forged).unwrap();
            assert_eq!(o.payment.state, PaymentState::Awaiting, "{name}");
            // The first was verified (the gateway's "not paid" is its answer); the others were not asked about.
            assert!(n == 0 || o.kind == OutcomeKind::InProgress, "{name}: {:?}", o.kind);
        }
        let in_a_row = world.calls_for(&token, "canpay.verify");
        eprintln!("{name}: 10 forged OK callbacks in a row -> {in_a_row} verifies");
        assert_eq!(in_a_row, 1, "{name}: the back-off answered the other nine from the store");
        // AtiPay: a forger repeating one receipt costs one verify too; the customer's receipt,
        // which the gateway was never asked about, is verified at once inside the back-off.
        let ati = defaults.create_payment(Gateway::AtiPay, request(&format!("h24b-ati-{name}"), 26_000)).unwrap();
        let before = world.calls("atipay.verify-payment");
        let forged_receipt = atipay_callback(Some(&ati.payment.id), "OK", "FORGED-REPEATED", &ati.payment.invoice_id);
        for _ in 0..10 {
            assert_eq!(defaults.handle_callback(Gateway::AtiPay, &forged_receipt).unwrap().payment.state, PaymentState::Awaiting, "{name}");
        }
        let repeated = world.calls("atipay.verify-payment") - before;
        eprintln!("{name}: 10 forged AtiPay OK callbacks with one receipt -> {repeated} verifies");
        assert_eq!(repeated, 1, "{name}: a refused receipt is not asked about again in the back-off");
        let genuine = world.pay(Gateway::AtiPay, ati.payment.token.as_deref().unwrap(), true);
        assert_eq!(defaults.handle_callback(Gateway::AtiPay, &genuine).unwrap().kind, OutcomeKind::NewlyPaid, "{name}: the customer's receipt is verified at once");
        // A short first back-off so the cap is reached within the test.
        let dargah = client(&world, &store, &prefix, json!({"callback_backoff_ms": 40, "callback_verify_cap": 4}));
        let created = dargah.create_payment(Gateway::CanPay, request(&format!("h24b-{name}"), 26_000)).unwrap();
        let token = created.payment.token.clone().unwrap();
        let forged = forged_canpay_ok(&created.payment.id, &token);
        // On and on, for longer than four back-offs: at most the cap.
        let until = std::time::Instant::now() + Duration::from_millis(1500);
        let mut sent = 10;
        while std::time::Instant::now() < until {
            dargah.handle_callback(Gateway::CanPay, &forged).unwrap();
            sent += 1;
            std::thread::sleep(Duration::from_millis(5));
        }
        let capped = world.calls_for(&token, "canpay.verify");
        eprintln!("{name}: {sent} forged OK callbacks -> {capped} verifies (cap 4)");
        assert_eq!(capped, 4, "{name}: the cap, reached, holds");
        // The customer pays now: the callback is answered from the store, reconcile credits it.
        let genuine = world.pay(Gateway::CanPay, &token, true);
        let told = dargah.handle_callback(Gateway::CanPay, &genuine).unwrap();
        assert_eq!((told.kind, world.calls_for(&token, "canpay.verify")), (OutcomeKind::InProgress, 4), "{name}: past the cap, no verify on a callback");
        let reconciled = reconcile_now(&dargah);
        assert_eq!(reconciled.outcomes.iter().filter(|o| o.kind == OutcomeKind::NewlyPaid).count(), 1, "{name}: reconcile still verifies");
        assert_eq!(dargah.payment(&created.payment.id).unwrap().state, PaymentState::Paid, "{name}");
    }
}

/// Issue 24 item 4: the back-off never holds a real payment back for long. A
/// forged "paid" callback before the customer pays starts it; the customer's
/// callback inside it is told `in_progress`, one after it credits at once, and
/// a payment whose forgers kept it in back-off still closes at its deadline.
#[test]
fn the_customers_callback_after_a_forged_one_still_credits_promptly() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h24c");
        let dargah = client(&world, &store, &prefix, json!({"callback_backoff_ms": 400}));
        let created = dargah.create_payment(Gateway::CanPay, request(&format!("h24c-{name}"), 27_000)).unwrap();
        let token = created.payment.token.clone().unwrap();
        let forged = dargah.handle_callback(Gateway::CanPay, &forged_canpay_ok(&created.payment.id, &token)).unwrap();
        assert_eq!(forged.payment.state, PaymentState::Awaiting, "{name}: a forged callback never closes it");
        let genuine = world.pay(Gateway::CanPay, &token, true);
        let inside = dargah.handle_callback(Gateway::CanPay, &genuine).unwrap();
        assert_eq!(inside.kind, OutcomeKind::InProgress, "{name}: inside the back-off, answered from the store");
        std::thread::sleep(Duration::from_millis(450));
        let after = dargah.handle_callback(Gateway::CanPay, &genuine).unwrap();
        assert_eq!((after.kind, world.calls_for(&token, "canpay.verify")), (OutcomeKind::NewlyPaid, 2), "{name}: after the interval the callback verifies");

        // Forgers keep an unpaid payment in back-off up to its deadline: it still closes there.
        let short = client(&world, &store, &prefix, json!({"callback_backoff_ms": 60_000, "canpay": {"refund_window_secs": 1}}));
        let created = short.create_payment(Gateway::CanPay, request(&format!("h24c-short-{name}"), 27_000)).unwrap();
        let token = created.payment.token.clone().unwrap();
        let forged = forged_canpay_ok(&created.payment.id, &token);
        short.handle_callback(Gateway::CanPay, &forged).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        let closed = short.handle_callback(Gateway::CanPay, &forged).unwrap();
        assert!(closed.payment.state.is_terminal() && closed.payment.state != PaymentState::Paid, "{name}: past the deadline no back-off holds it open ({:?})", closed.payment.state);
        assert_eq!(world.calls_for(&token, "canpay.verify"), 2, "{name}: the gateway's word closed it");
    }
}

/// Issue 24 item 5. AtiPay's verify-payment confirms only the amount: the
/// callback's `traceNumber` comes from the customer's browser. It is never
/// stored as the gateway's trace number; as an unverified hint it is kept
/// only when it is digits and short, so markup or a kilobyte never is.
#[test]
fn atipay_trace_number_from_the_browser_is_only_an_unverified_hint() {
    let _serial = serial();
    let world = World::start();
    for (name, store) in stores(&world) {
        let prefix = databases::unique_prefix("h24d");
        let dargah = client(&world, &store, &prefix, json!({}));
        for (n, browser_says, kept) in [(1, "<img src=x onerror=alert(1)>".to_string(), None), (2, "7".repeat(1000), None), (3, "00123456".to_string(), Some("00123456"))] {
            let created = dargah.create_payment(Gateway::AtiPay, request(&format!("h24d-{n}-{name}"), 28_000)).unwrap();
            let paid = world.pay(Gateway::AtiPay, created.payment.token.as_deref().unwrap(), true);
            let mut fields: Vec<(String, String)> = paid.iter().filter(|(k, _)| *k != "traceNumber").map(|(k, v)| (k.to_string(), v.to_string())).collect();
            fields.push(("traceNumber".into(), browser_says.clone()));
            let o = dargah.handle_callback(Gateway::AtiPay, &CallbackFields::from_pairs(fields, Vec::<(String, String)>::new()).unwrap()).unwrap();
            assert_eq!(o.kind, OutcomeKind::NewlyPaid, "{name} {n}");
            let p = dargah.payment(&created.payment.id).unwrap();
            assert_eq!(p.trace_number, None, "{name} {n}: the gateway confirmed no trace number");
            assert_eq!(p.unverified_trace_number.as_deref(), kept, "{name} {n}");
            let shown = serde_json::to_string(&p).unwrap();
            assert!(!shown.contains("onerror") && !shown.contains(&"7".repeat(100)), "{name} {n}: never stored");
        }
    }
}
