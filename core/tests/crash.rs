//! A process killed at every step of create and verify (the `failpoints`
//! feature: `FAILPOINTS=<step>=return` aborts right there) loses no payment
//! and credits none twice, for CanPay (repeatable verify) and Vandar (once-only
//! verify, recovered through transaction info).

mod support;

use dargah_core::{Dargah, ErrorKind, Gateway, OutcomeKind, PaymentRequest, PaymentState};
use std::time::Duration;
use support::child;
use support::sandbox::World;

#[test]
fn child_process_entry() {
    child::run_if_child();
}

const LEASE_SECS: u64 = 1;

/// Run the child to its crash and check that it did crash there.
fn crash(world: &World, gateway: Gateway, failpoint: &str, callbacks: &[String], create: Option<&str>) {
    let go = format!("{}/go", world.dir.path().display());
    std::fs::write(&go, b"go").unwrap();
    let spec = format!("{failpoint}=return");
    let mut env = vec![("FAILPOINTS", spec.as_str())];
    if let Some(invoice) = create {
        env.push(("DARGAH_TEST_CREATE", invoice));
    }
    let out = child::command(&world.config(LEASE_SECS), gateway, callbacks, 1, &go, &env).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{failpoint}: the child should have died: {stdout}");
    assert!(!stdout.contains("TALLY") && !stdout.contains("CREATED"), "{failpoint}: died before answering: {stdout}");
}

fn wait_for_lease() {
    std::thread::sleep(Duration::from_millis(LEASE_SECS * 1000 + 200));
}

fn verify_endpoint(gateway: Gateway) -> &'static str {
    dargah_sandbox::verify_endpoint(gateway.name()).unwrap()
}

/// Crash mid-callback, then let a refreshed callback (or recover()) find the truth.
fn crash_during_callback(gateway: Gateway, failpoint: &str, recover_with_callback: bool) {
    let world = World::start();
    let dargah: Dargah = Dargah::from_json(&world.config(LEASE_SECS)).unwrap();
    let created = dargah.create_payment(gateway, PaymentRequest::new(format!("crash-{failpoint}"), 70_000, "http://127.0.0.1:9/cb")).unwrap();
    let token = created.payment.token.clone().unwrap();
    let fields = world.pay(gateway, &token, true);
    crash(&world, gateway, failpoint, &[fields.to_urlencoded()], None);

    let after_crash = dargah.payment(&created.payment.id).unwrap();
    let outcome_was_stored = after_crash.state == PaymentState::Paid;
    assert_eq!(outcome_was_stored, failpoint == "outcome_stored", "{failpoint}: {after_crash:?}");
    if !outcome_was_stored {
        assert_eq!(after_crash.state, PaymentState::Verifying, "{failpoint}: a claim held by a dead process");
        // The lease is still live: a callback now is told to wait, not verified twice.
        let early = dargah.handle_callback(gateway, &fields);
        if let Ok(o) = early {
            assert_eq!(o.kind, OutcomeKind::InProgress, "{failpoint}");
        }
    }
    wait_for_lease();

    let kind = if recover_with_callback {
        dargah.handle_callback(gateway, &fields).unwrap().kind
    } else {
        let report = dargah.recover(10).unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        report.outcomes.first().map(|o| o.kind).unwrap_or(OutcomeKind::AlreadyPaid)
    };
    let expected = if outcome_was_stored { OutcomeKind::AlreadyPaid } else { OutcomeKind::NewlyPaid };
    assert_eq!(kind, expected, "{gateway} {failpoint}");

    // The outbox holds it exactly once even when the dead process never told anybody.
    let outbox = dargah.unacknowledged(10).unwrap();
    assert_eq!(outbox.len(), 1, "{failpoint}");
    assert_eq!(outbox[0].id, created.payment.id);
    assert_eq!(dargah.handle_callback(gateway, &fields).unwrap().kind, OutcomeKind::AlreadyPaid);
    let verifies = world.calls_for(&token, verify_endpoint(gateway));
    if gateway == Gateway::Vandar {
        assert_eq!(verifies, 1, "{failpoint}: vandar verify answers once; the library sent {verifies}");
    } else {
        assert!((1..=2).contains(&verifies), "{failpoint}: {verifies}");
    }
    println!("{gateway} crash at {failpoint}: recovered {kind:?}, verify calls {verifies}");
}

#[test]
fn canpay_crash_at_every_verify_step() {
    for fp in ["claimed", "verify_answered", "outcome_stored"] {
        crash_during_callback(Gateway::CanPay, fp, true);
        crash_during_callback(Gateway::CanPay, fp, false);
    }
}

#[test]
fn vandar_crash_at_every_verify_step() {
    for fp in ["claimed", "vandar_before_verify", "verify_answered", "outcome_stored"] {
        crash_during_callback(Gateway::Vandar, fp, true);
        crash_during_callback(Gateway::Vandar, fp, false);
    }
}

#[test]
fn crash_during_create_leaves_a_closed_record_and_no_charge() {
    for gateway in [Gateway::CanPay, Gateway::Vandar] {
        for fp in ["create_recorded", "create_answered"] {
            let world = World::start();
            let dargah: Dargah = Dargah::from_json(&world.config(LEASE_SECS)).unwrap();
            let invoice = format!("c-{fp}");
            crash(&world, gateway, fp, &[], Some(&invoice));
            let rows = dargah.list_payments(None, 10, 0).unwrap();
            assert_eq!(rows.len(), 1, "the payment was recorded before the gateway was called");
            assert_eq!(rows[0].state, PaymentState::Created);
            // Nobody was sent to pay it; recover() closes it once the create's lease is over.
            wait_for_lease();
            let report = dargah.recover(10).unwrap();
            assert_eq!(report.outcomes.len(), 1);
            assert_eq!(dargah.payment(&rows[0].id).unwrap().state, PaymentState::Failed);
            let again = dargah.create_payment(gateway, PaymentRequest::new(invoice, 50_000, "http://127.0.0.1:9/cb").mobile("09123456789"));
            assert_eq!(again.unwrap_err().kind(), ErrorKind::DuplicateInvoice, "an invoice id is never charged twice");
            assert!(dargah.unacknowledged(10).unwrap().is_empty());
        }
    }
}
