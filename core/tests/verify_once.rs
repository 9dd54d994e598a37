//! Verify-once against the bundled sandbox: the same callback from many
//! threads and processes, distinct payments interleaved, and forgeries.

mod support;

use dargah_core::{CallbackFields, Dargah, ErrorKind, Gateway, OutcomeKind, PaymentRequest, PaymentState};
use std::sync::Arc;
use std::time::Duration;
use support::child::{self, Tally};
use support::sandbox::World;

#[test]
fn child_process_entry() {
    child::run_if_child();
}

fn request(invoice: &str, amount: u64) -> PaymentRequest {
    PaymentRequest::new(invoice, amount, "http://127.0.0.1:9/shop/callback").mobile("09123456789")
}

/// The endpoint whose calls must stay at one per payment.
fn verify_endpoint(gateway: Gateway) -> &'static str {
    dargah_sandbox::verify_endpoint(gateway.name()).unwrap()
}

#[test]
fn same_callback_64_threads_one_verify_one_newly_paid_every_gateway() {
    let world = World::start();
    let dargah = Arc::new(world.client());
    for (i, gateway) in Gateway::ALL.into_iter().enumerate() {
        let created = dargah.create_payment(gateway, request(&format!("thr-{i}"), 25_000)).unwrap();
        let token = created.payment.token.clone().unwrap();
        let fields = world.pay(gateway, &token, true);
        let tally = child::deliver(dargah.clone(), gateway, vec![fields.to_urlencoded()], 64);
        let verifies = world.calls_for(&token, verify_endpoint(gateway));
        println!("{gateway}: 64 threads -> {tally:?}, verify calls seen by the sandbox: {verifies}");
        assert_eq!(tally.newly_paid, 1, "{gateway}: {tally:?}");
        assert_eq!(tally.already_paid, 63, "{gateway}: every later caller is told already_paid: {tally:?}");
        assert_eq!(verifies, 1, "{gateway}: the gateway sees exactly one verify");
        assert_eq!(dargah.unacknowledged(100).unwrap().iter().filter(|p| p.id == created.payment.id).count(), 1);
    }
}

#[test]
fn same_callback_from_4_processes_and_64_callers_one_verify() {
    for gateway in [Gateway::Vandar, Gateway::CanPay] {
        let world = World::start();
        let dargah = world.client();
        let created = dargah.create_payment(gateway, request("proc-1", 40_000)).unwrap();
        let token = created.payment.token.clone().unwrap();
        let raw = world.pay(gateway, &token, true).to_urlencoded();
        let go = format!("{}/go", world.dir.path().display());
        let children: Vec<_> = (0..4).map(|_| child::spawn(&world.config(60), gateway, std::slice::from_ref(&raw), 16, &go, &[])).collect();
        std::fs::write(&go, b"go").unwrap();
        let mut total = Tally::default();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
            total.add(child::tally_of(&out));
        }
        let verifies = world.calls_for(&token, verify_endpoint(gateway));
        println!("{gateway}: 4 processes x 16 threads -> {total:?}, verify calls seen by the sandbox: {verifies}");
        assert_eq!(total.newly_paid, 1, "{gateway}: {total:?}");
        assert_eq!(total.already_paid, 63, "{gateway}: {total:?}");
        assert_eq!(verifies, 1);
    }
}

#[test]
fn distinct_payments_interleaved_across_processes() {
    let world = World::start();
    let dargah = world.client();
    let mut raws = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..8 {
        let created = dargah.create_payment(Gateway::Vandar, request(&format!("mix-{i}"), 10_000 + i)).unwrap();
        let token = created.payment.token.clone().unwrap();
        raws.push(world.pay(Gateway::Vandar, &token, true).to_urlencoded());
        tokens.push(token);
    }
    let go = format!("{}/go", world.dir.path().display());
    // Each child starts at a different payment, so every payment is hit from every process at once.
    let children: Vec<_> = (0..4)
        .map(|c| {
            let mut rotated = raws.clone();
            rotated.rotate_left(c * 2);
            child::spawn(&world.config(60), Gateway::Vandar, &rotated, 16, &go, &[])
        })
        .collect();
    std::fs::write(&go, b"go").unwrap();
    let mut total = Tally::default();
    for c in children {
        total.add(child::tally_of(&c.wait_with_output().unwrap()));
    }
    println!("8 payments x 8 callers over 4 processes -> {total:?}");
    assert_eq!(total.newly_paid, 8, "{total:?}");
    assert_eq!(total.already_paid, 56, "{total:?}");
    for token in &tokens {
        assert_eq!(world.calls_for(token, "vandar.verify"), 1);
    }
    assert_eq!(dargah.unacknowledged(100).unwrap().len(), 8);
}

fn raw(fields: &[(&str, &str)]) -> CallbackFields {
    CallbackFields::from_pairs(fields.iter().copied(), Vec::<(String, String)>::new()).unwrap()
}

#[test]
fn forged_callbacks_cost_nothing_and_damage_nothing() {
    let world = World::start();
    let dargah = world.client();
    let a = dargah.create_payment(Gateway::Vandar, request("forge-a", 30_000)).unwrap().payment;
    let b = dargah.create_payment(Gateway::Vandar, request("forge-b", 30_000)).unwrap().payment;
    let (ta, tb) = (a.token.clone().unwrap(), b.token.clone().unwrap());
    let calls_before = world.stats()["calls"].clone();

    // Unknown token: no gateway call at all.
    let e = dargah.handle_callback(Gateway::Vandar, &raw(&[("token", "no-such-token"), ("payment_status", "OK")])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownPayment);
    // Another payment's token under this payment's reference.
    let e = dargah.handle_callback(Gateway::Vandar, &raw(&[("token", &tb), ("payment_status", "OK"), ("dargah_ref", &a.id)])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidCallback);
    // Duplicate keys saying two things.
    let e = CallbackFields::from_raw(format!("token={ta}&payment_status=OK&payment_status=FAILED").as_bytes(), b"").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidCallback);
    // Missing and malformed fields.
    assert_eq!(dargah.handle_callback(Gateway::Vandar, &raw(&[("token", &ta)])).unwrap_err().kind(), ErrorKind::InvalidCallback);
    assert_eq!(dargah.handle_callback(Gateway::Vandar, &raw(&[("payment_status", "OK")])).unwrap_err().kind(), ErrorKind::InvalidCallback);
    assert_eq!(
        dargah.handle_callback(Gateway::Vandar, &raw(&[("token", &ta), ("payment_status", "MAYBE")])).unwrap_err().kind(),
        ErrorKind::InvalidCallback
    );
    // Invalid UTF-8 and a 1 MB field never reach the engine.
    assert_eq!(CallbackFields::from_raw(b"token=%C3%28&payment_status=OK", b"").unwrap_err().kind(), ErrorKind::InvalidCallback);
    let huge = format!("token={}&payment_status=OK", "9".repeat(1 << 20));
    assert_eq!(CallbackFields::from_raw(huge.as_bytes(), b"").unwrap_err().kind(), ErrorKind::InvalidCallback);
    // A Vandar payment sent to the CanPay handler.
    let e = dargah
        .handle_callback(Gateway::CanPay, &raw(&[("dargah_ref", &a.id), ("token", &ta), ("success", "1"), ("amount", "1"), ("invoice_id", "forge-a")]))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidCallback);
    assert_eq!(world.stats()["calls"], calls_before, "no forged callback cost a gateway call");

    // A forged OK before the customer paid: the gateway says no, nothing is paid, nothing closes.
    let o = dargah.handle_callback(Gateway::Vandar, &raw(&[("token", &ta), ("payment_status", "OK")])).unwrap();
    assert_eq!(o.kind, OutcomeKind::Failed);
    assert_eq!(o.payment.state, PaymentState::Awaiting);
    // A forged FAILED before the customer paid, then the real payment: still credited.
    let o = dargah.handle_callback(Gateway::Vandar, &raw(&[("token", &ta), ("payment_status", "FAILED")])).unwrap();
    assert_eq!((o.kind, o.payment.state), (OutcomeKind::Failed, PaymentState::Awaiting));
    let real = world.pay(Gateway::Vandar, &ta, true);
    // Inside the back-off the forged OK started (issue 24), callbacks are answered from the store…
    assert_eq!(dargah.handle_callback(Gateway::Vandar, &real).unwrap().kind, OutcomeKind::InProgress);
    // …and the first one after it verifies.
    std::thread::sleep(Duration::from_millis(dargah.config().callback_backoff_ms + 100));
    assert_eq!(dargah.handle_callback(Gateway::Vandar, &real).unwrap().kind, OutcomeKind::NewlyPaid);
    // A forged FAILED after the payment: the stored truth is replayed.
    let o = dargah.handle_callback(Gateway::Vandar, &raw(&[("token", &ta), ("payment_status", "FAILED")])).unwrap();
    assert_eq!(o.kind, OutcomeKind::AlreadyPaid);
    // The forged OK cost no verify (transaction info showed no payment), so it could not
    // spend Vandar's one answer; the real payment was verified once.
    assert_eq!(world.calls_for(&ta, "vandar.verify"), 1);
    assert_eq!(world.sandbox_payment(Gateway::Vandar, &ta)["verify_refused_unpaid"], 0);
    let stored = dargah.payment(&a.id).unwrap();
    assert_eq!((stored.state, stored.amount), (PaymentState::Paid, 30_000));
    assert_eq!(dargah.payment(&b.id).unwrap().state, PaymentState::Awaiting);
}

#[test]
fn canpay_forged_amount_and_a_real_cancel() {
    let world = World::start();
    let dargah = world.client();
    let p = dargah.create_payment(Gateway::CanPay, request("cp-forge", 90_000)).unwrap().payment;
    let token = p.token.clone().unwrap();
    let real = world.pay(Gateway::CanPay, &token, true);
    // The browser's amount is edited: the stored amount still counts.
    let mut forged: Vec<(String, String)> = real.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    for (k, v) in forged.iter_mut() {
        if k == "amount" {
            *v = "1".into();
        }
    }
    let forged = CallbackFields::from_pairs(forged, Vec::<(String, String)>::new()).unwrap();
    let o = dargah.handle_callback(Gateway::CanPay, &forged).unwrap();
    assert_eq!((o.kind, o.payment.amount), (OutcomeKind::NewlyPaid, 90_000));

    let q = dargah.create_payment(Gateway::CanPay, request("cp-cancel", 90_000)).unwrap().payment;
    let cancel = world.pay(Gateway::CanPay, q.token.as_deref().unwrap(), false);
    let o = dargah.handle_callback(Gateway::CanPay, &cancel).unwrap();
    assert_eq!(o.kind, OutcomeKind::Failed);
    assert_eq!(o.payment.state, PaymentState::Awaiting, "open until its refund deadline");
}

/// On SQLite a CanPay claim that carries nothing only its callback knows is
/// committed without a sync of its own (CanPay's verify answers the same
/// every time), so a power cut may take it back after its verify went out.
/// The machine comes back with the payment awaiting and no claim stored: the
/// callback the customer repeats must still end paid, once. (Vandar's claims
/// are always synced: tests/readings.rs.)
#[test]
fn a_claim_lost_to_a_power_cut_after_its_verify_went_out_ends_paid_once() {
    let world = World::start();
    let dargah: Dargah = world.client();
    let p = dargah.create_payment(Gateway::CanPay, request("power-cut-1", 12_000)).unwrap().payment;
    let token = p.token.clone().unwrap();
    let fields = world.pay(Gateway::CanPay, &token, true);
    // What the disk holds before the claim: all a power cut would leave.
    let before_the_claim = format!("{}/before-the-claim.db", world.dir.path().display());
    rusqlite::Connection::open(world.db_path()).unwrap().execute(&format!("VACUUM INTO '{before_the_claim}'"), []).unwrap();
    // The claim and the verify: CanPay processes it, its answer never arrives.
    world.fault(serde_json::json!({"endpoint": "canpay.verify", "drop_after_process": true, "count": 1}));
    assert!(dargah.handle_callback(Gateway::CanPay, &fields).unwrap_err().kind().is_in_doubt());
    drop(dargah);
    // The power cut, and the machine back up with the store as it was before the claim.
    let rebooted = Dargah::from_json(&support::sandbox::config_json(&world.sandbox.base_url(), &before_the_claim, 60)).unwrap();
    assert_eq!(rebooted.payment(&p.id).unwrap().state, PaymentState::Awaiting);
    let o = rebooted.handle_callback(Gateway::CanPay, &fields).unwrap();
    assert_eq!(o.kind, OutcomeKind::NewlyPaid, "{:?}", o.payment);
    assert_eq!(world.calls_for(&token, "canpay.verify"), 2, "the first went through, the second answered the same");
    assert_eq!(rebooted.handle_callback(Gateway::CanPay, &fields).unwrap().kind, OutcomeKind::AlreadyPaid);
}

/// Vandar answers verify once: a verify whose answer was lost is never
/// guessed. Transaction info does not prove a payment (only a verify success
/// body does), so the payment stays open, told `in_progress`, marked maybe
/// verified, for a person at its deadline (tests/readings.rs follows it
/// there under every reading). A verify refused unprocessed is simply sent again.
#[test]
fn lost_verify_answer_is_never_guessed_and_an_unprocessed_verify_is_sent_again() {
    let world = World::start();
    let dargah: Dargah = world.client();
    let p = dargah.create_payment(Gateway::Vandar, request("lost-1", 12_000)).unwrap().payment;
    let token = p.token.clone().unwrap();
    let fields = world.pay(Gateway::Vandar, &token, true);
    // Vandar processes the verify, then the connection dies: the one verify is spent.
    world.fault(serde_json::json!({"endpoint": "vandar.verify", "drop_after_process": true, "count": 1}));
    let e = dargah.handle_callback(Gateway::Vandar, &fields).unwrap_err();
    assert!(e.kind().is_in_doubt(), "{e}");
    assert_eq!(dargah.payment(&p.id).unwrap().state, PaymentState::InDoubt);
    // The customer refreshes: transaction info still says "confirm required", the second verify is refused.
    let o = dargah.handle_callback(Gateway::Vandar, &fields).unwrap();
    assert_eq!((o.kind, o.payment.state, o.payment.verified_amount), (OutcomeKind::InProgress, PaymentState::Awaiting, None));
    assert!(o.payment.note.unwrap().contains("may have gone through"));
    assert_eq!(world.calls_for(&token, "vandar.verify"), 2);
    assert!(world.calls_for(&token, "vandar.transaction") >= 1);

    // A 5xx on verify, refused before Vandar processed it: in doubt, then recover() verifies.
    let q = dargah.create_payment(Gateway::Vandar, request("lost-2", 12_000)).unwrap().payment;
    let tq = q.token.clone().unwrap();
    let fields = world.pay(Gateway::Vandar, &tq, true);
    world.fault(serde_json::json!({"endpoint": "vandar.verify", "status": 503, "count": 1}));
    let e = dargah.handle_callback(Gateway::Vandar, &fields).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::GatewayUnavailable);
    let report = dargah.recover(10).unwrap();
    assert_eq!(report.outcomes.iter().filter(|o| o.kind == OutcomeKind::NewlyPaid).count(), 1, "{report:?}");
    // Malformed JSON from a verify Vandar processed: its answer is lost like a dropped one.
    let r = dargah.create_payment(Gateway::Vandar, request("lost-3", 12_000)).unwrap().payment;
    let tr = r.token.clone().unwrap();
    let fields = world.pay(Gateway::Vandar, &tr, true);
    world.fault(serde_json::json!({"endpoint": "vandar.verify", "malformed_json": true, "count": 1}));
    assert_eq!(dargah.handle_callback(Gateway::Vandar, &fields).unwrap_err().kind(), ErrorKind::MalformedResponse);
    assert_eq!(dargah.handle_callback(Gateway::Vandar, &fields).unwrap().kind, OutcomeKind::InProgress);
    assert!(dargah.unacknowledged(10).unwrap().iter().all(|p| p.id != r.id), "never credited without the success body");
}
