//! A PostgreSQL primary with a streaming standby that takes over (issue 28
//! item 3): `scripts/hosts/failover.sh` runs the pair on loopback, and the
//! store is given both hosts in one URL with `target_session_attrs=read-write`.
//!
//! - Synchronous replication: the chaos checker's histories, with the primary
//!   killed mid-run and the standby promoted; no commit is lost, so every
//!   invariant holds.
//! - Asynchronous replication: the paid answers the primary stored but never
//!   sent are lost with it; what Dargah then does, per gateway.
//! - A primary turned read-only while the store kept a connection to it.
//!
//! `make hosts-failover-test` starts nothing itself but sets
//! `DARGAH_TEST_FAILOVER_URL`; each test (re)makes its own pair with the
//! script. Without the variable the tests skip (plain `cargo test`).

mod chaos;
mod support;

use chaos::run::Hosts;
use chaos::seeds::check_seeds;
use dargah_core::{Dargah, Gateway, OutcomeKind, PaymentRequest, PaymentState, ReconcileOptions};
use serde_json::{json, Value};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use support::databases;
use support::sandbox::World;

#[test]
fn chaos_worker_entry() {
    chaos::worker::run_if_worker();
}

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/hosts/failover.sh");

/// Seeds that `make hosts-failover-test` runs (each on a fresh pair).
const SEEDS: &[u64] = &[1, 2];

/// The pair's URL (both hosts), or None: skip.
fn failover_url() -> Option<String> {
    match std::env::var("DARGAH_TEST_FAILOVER_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipping: DARGAH_TEST_FAILOVER_URL is not set (make hosts-failover-test sets it)");
            None
        }
    }
}

fn failover(args: &[&str]) {
    let status = Command::new(SCRIPT).args(args).status().expect("scripts/hosts/failover.sh runs");
    assert!(status.success(), "scripts/hosts/failover.sh {args:?} failed");
}

/// Stops the pair when the test ends, passed or not.
struct StopPair;

impl Drop for StopPair {
    fn drop(&mut self) {
        let _ = Command::new(SCRIPT).arg("stop").status();
    }
}

/// A superuser session on one of the pair's hosts (`which`: 0 primary, 1 standby).
fn superuser(url: &str, which: usize) -> postgres::Client {
    let config: postgres::Config = url.split_once('?').map_or(url, |(base, _)| base).parse().unwrap();
    let port = config.get_ports()[which];
    postgres::Client::connect(&format!("host=127.0.0.1 port={port} user=postgres dbname=dargah"), postgres::NoTls).unwrap()
}

/// Kill the primary (and its backends) with kill -9 while the genuine
/// callbacks arrive, and promote the standby: the workers' connections die
/// and they must find the new primary.
fn promoting() -> Hosts {
    Hosts {
        disturb: Some(Arc::new(|seed| {
            std::thread::sleep(Duration::from_millis(400 + seed % 4 * 200));
            failover(&["promote"]);
            vec!["primary killed, standby promoted".to_string()]
        })),
        ..Hosts::default()
    }
}

#[test]
fn synchronous_replication_loses_nothing_across_a_failover() {
    let Some(url) = failover_url() else { return };
    let _stop = StopPair;
    check_seeds("failover", |_| {
        failover(&["start", "sync"]);
        url.clone()
    }, promoting(), SEEDS, 24, 4, false);
}

/// `make hosts-failover-chaos`: a long run, from the environment.
#[test]
#[ignore = "long; run by make hosts-failover-chaos"]
fn failover_chaos_long() {
    let url = failover_url().expect("DARGAH_TEST_FAILOVER_URL");
    let _stop = StopPair;
    let var = |k: &str, d: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let first = var("CHAOS_SEED", 100);
    let seeds: Vec<u64> = (first..first + var("CHAOS_ROUNDS", 5)).collect();
    check_seeds("failover", |_| {
        failover(&["start", "sync"]);
        url.clone()
    }, promoting(), &seeds, var("CHAOS_PAYMENTS", 60) as usize, var("CHAOS_WORKERS", 6) as usize, true);
}

/// What became of one payment whose paid answer the failover lost.
#[derive(Debug)]
struct Lost {
    gateway: Gateway,
    id: String,
    after_failover: PaymentState,
    second_callback: String,
    final_state: PaymentState,
    told_newly_paid: usize,
}

/// Asynchronous replication: each gateway's payment is paid, its callback
/// stores the paid answer and tells the shop `newly_paid`, but the standby
/// (stopped first, so this is certain) never receives it; the primary dies
/// and the standby takes over. On the new primary the payment is back where
/// it was (awaiting its callback). The browser's callback comes again
/// (a refresh), then recover and reconcile run past the deadline. Required:
/// every payment ends paid or `needs_review`, never closed unpaid. Whether
/// the shop is told `newly_paid` a second time (a double credit the engine
/// cannot see: its own record of the first is gone) is printed per gateway.
#[test]
fn asynchronous_replication_loses_paid_answers_and_dargah_never_closes_them_unpaid() {
    let Some(url) = failover_url() else { return };
    let _stop = StopPair;
    // The sandbox's defaults, then the least convenient readings of a repeat
    // verify the documents permit (Mupra and AtiPay refuse it; Vandar's
    // transaction info refuses a verified payment).
    for readings in [json!({}), json!({"repeat_verify": "refused", "vandar_info_verified": "refused"})] {
        let lost = lose_paid_answers(&url, &readings);
        let closed_unpaid: Vec<&Lost> = lost.iter().filter(|l| !matches!(l.final_state, PaymentState::Paid | PaymentState::NeedsReview)).collect();
        assert!(closed_unpaid.is_empty(), "readings {readings}: payments paid at the gateway closed unpaid after the failover: {closed_unpaid:?}");
    }
}

/// One run of the above on a fresh asynchronous pair, under `readings`.
fn lose_paid_answers(url: &str, readings: &Value) -> Vec<Lost> {
    failover(&["start", "async"]);
    let world = World::start();
    world.readings(readings.clone());
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["store"] = json!(url);
    config["table_prefix"] = json!(databases::unique_prefix("async"));
    let window_secs = 15;
    for gateway in Gateway::ALL {
        config[gateway.name()]["refund_window_secs"] = json!(window_secs);
    }
    let shop = Dargah::from_json(&config.to_string()).unwrap();

    // Per gateway two payments: one whose callback comes again after the
    // failover, one that only recover and reconcile see again.
    let mut paid = Vec::new();
    for gateway in Gateway::ALL {
        for again in [true, false] {
            let invoice = format!("async-{}-{}", gateway.name(), if again { "callback" } else { "reconcile" });
            let created = shop.create_payment(gateway, PaymentRequest::new(invoice, 12_000, "http://127.0.0.1:9/cb").mobile("09123456789")).unwrap();
            let token = created.payment.token.clone().unwrap();
            paid.push((gateway, created.payment.id.clone(), world.pay(gateway, &token, true), again));
        }
    }
    // Everything so far is on the standby; from now on nothing reaches it.
    failover(&["pause"]);
    for (gateway, id, fields, _) in &paid {
        let first = shop.handle_callback(*gateway, fields).unwrap();
        assert_eq!(first.kind, OutcomeKind::NewlyPaid, "{gateway:?}: the first callback credits");
        assert_eq!(shop.payment(id).unwrap().state, PaymentState::Paid);
    }
    failover(&["promote"]);

    let mut lost = Vec::new();
    for (gateway, id, fields, again) in &paid {
        // The same shop (its kept connections died with the primary) finds the new one.
        let after_failover = shop.payment(id).unwrap().state;
        assert_ne!(after_failover, PaymentState::Paid, "{gateway:?}: the paid answer was never replicated, so the new primary must not have it");
        let second = again.then(|| shop.handle_callback(*gateway, fields));
        let second_callback = match &second {
            None => "none (recover and reconcile only)".to_string(),
            Some(Ok(o)) => format!("{} ({})", o.kind.name(), o.payment.state.name()),
            Some(Err(e)) => format!("error: {e}"),
        };
        lost.push(Lost { gateway: *gateway, id: id.clone(), after_failover, second_callback, final_state: after_failover, told_newly_paid: 1 + usize::from(matches!(second, Some(Ok(ref o)) if o.kind == OutcomeKind::NewlyPaid)) });
    }

    // Past every deadline: recover and reconcile until nothing changes.
    let latest = lost.iter().map(|l| shop.payment(&l.id).unwrap().deadline_at).max().unwrap();
    while shop.store().now().unwrap() <= latest {
        std::thread::sleep(Duration::from_millis(200));
    }
    for _ in 0..6 {
        let recovered = shop.recover(100).unwrap();
        let report = shop.reconcile(&ReconcileOptions { min_age: Duration::ZERO, limit: 100 }, |_| {}).unwrap();
        for o in recovered.outcomes.iter().chain(report.outcomes.iter()) {
            if let Some(l) = lost.iter_mut().find(|l| l.id == o.payment.id) {
                l.told_newly_paid += usize::from(o.kind == OutcomeKind::NewlyPaid);
            }
        }
        if recovered.outcomes.is_empty() && report.outcomes.is_empty() && report.in_doubt == 0 {
            break;
        }
    }
    for l in &mut lost {
        l.final_state = shop.payment(&l.id).unwrap().state;
        println!(
            "failover async loss ({readings}) {}: paid at the gateway, newly_paid told once; after the failover {}; the callback again: {}; after recover/reconcile past the deadline: {}; newly_paid told {} time(s){}",
            l.gateway.name(),
            l.after_failover.name(),
            l.second_callback,
            l.final_state.name(),
            l.told_newly_paid,
            if l.told_newly_paid > 1 { " — a DOUBLE CREDIT the engine cannot see (its record of the first was lost)" } else { "" }
        );
    }
    lost
}

/// The old primary turned read-only (demoted, or a standby listed first)
/// while the store kept a connection to it, and another host promoted: the
/// next write fails there with SQLSTATE 25006, and the store must connect
/// again and land on the writable host, not report a store error.
#[test]
fn a_kept_connection_to_a_host_turned_read_only_moves_to_the_writable_one() {
    let Some(url) = failover_url() else { return };
    let _stop = StopPair;
    failover(&["start", "async"]);
    let prefix = databases::unique_prefix("ro");
    let store = dargah_core::store::open(&url, &prefix).unwrap();
    store.insert(&databases::vandar_payment("ro1"), 30_000).unwrap();
    // The standby promoted while the old primary still runs, then the old one stops taking writes.
    superuser(&url, 1).simple_query("SELECT pg_promote()").unwrap();
    let mut old = superuser(&url, 0);
    old.simple_query("ALTER SYSTEM SET default_transaction_read_only = on").unwrap();
    old.simple_query("SELECT pg_reload_conf()").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    store.insert(&databases::vandar_payment("ro2"), 30_000).unwrap_or_else(|e| panic!("the write must move to the promoted host: {e}"));
    let on_new = superuser(&url, 1).query(&format!("SELECT count(*) FROM {prefix}payments WHERE id = 'ro2'"), &[]).unwrap()[0].get::<_, i64>(0);
    assert_eq!(on_new, 1, "the second payment is on the promoted host");
    let on_old = old.query(&format!("SELECT count(*) FROM {prefix}payments WHERE id = 'ro2'"), &[]).unwrap()[0].get::<_, i64>(0);
    assert_eq!(on_old, 0, "and not on the read-only one");
}
