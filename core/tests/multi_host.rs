//! Several web servers on one database: 8 processes, each with its own
//! connection pool, deliver the same 200 Vandar callbacks in random order
//! and in parallel, on SQLite, PostgreSQL and MariaDB — and again with the
//! database restarted in the middle. Every payment is verified once by the
//! gateway, reported newly paid exactly once, and resolved in the end.

mod support;

use dargah_core::{Dargah, Gateway, OutcomeKind, PaymentRequest, PaymentState, ReconcileOptions};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::{child, databases};
use support::sandbox::World;

const PAYMENTS: usize = 200;
const PROCESSES: usize = 8;
const LEASE_SECS: u64 = 2;

#[test]
fn child_process_entry() {
    child::run_if_child();
}

/// Run the whole scenario on `store`; `restart` is the database to restart mid-way.
fn scenario(label: &str, store: &str, restart: Option<&str>) {
    let world = World::start();
    let mut config: serde_json::Value = serde_json::from_str(&world.config(LEASE_SECS)).unwrap();
    config["store"] = json!(store);
    config["table_prefix"] = json!(databases::unique_prefix("mh"));
    config["callback_wait_ms"] = json!(500);
    let config = config.to_string();
    let shop = Dargah::from_json(&config).unwrap();

    let mut callbacks = Vec::new();
    let mut tokens = HashMap::new();
    for i in 0..PAYMENTS {
        let p = shop.create_payment(Gateway::Vandar, PaymentRequest::new(format!("mh-{i}"), 10_000 + i as u64, "https://shop.example/cb")).unwrap().payment;
        let token = p.token.clone().unwrap();
        callbacks.push(world.pay(Gateway::Vandar, &token, true).to_urlencoded());
        tokens.insert(p.id, token);
    }

    let go = format!("{}/go-{label}", world.dir.path().display());
    let started = Instant::now();
    let children: Vec<_> = (0..PROCESSES)
        .map(|n| {
            let mut order = callbacks.clone();
            order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(n as u64));
            child::command(&config, Gateway::Vandar, &order, 4, &go, &[("DARGAH_TEST_EVERY", "1")])
                .spawn()
                .unwrap()
        })
        .collect();
    std::fs::write(&go, b"go").unwrap();
    if let Some(database) = restart {
        std::thread::sleep(Duration::from_millis(400));
        let status = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/db.sh")).args(["restart", database]).status().unwrap();
        assert!(status.success(), "restarting {database}");
    }
    let mut newly: Vec<String> = Vec::new();
    let mut total = child::Tally::default();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        total.add(child::tally_of(&out));
        newly.extend(stdout.lines().filter_map(|l| l.split("NEWLY ").nth(1)).map(str::to_string));
    }
    let delivered = started.elapsed();

    // What a crash or an outage left claimed or in doubt is finished by recovery.
    std::thread::sleep(Duration::from_millis(LEASE_SECS * 1000 + 100));
    let mut recovered = 0;
    // The parent's own pooled connections died with the restart: its first call
    // is a clean store error, and the next one reconnects.
    let mut store_errors = 0;
    for _ in 0..8 {
        let pass = shop.recover(1000).and_then(|r| Ok((r, shop.reconcile(&ReconcileOptions { min_age: Duration::ZERO, limit: 1000 }, |_| {})?)));
        let (report, reconciled) = match pass {
            Ok(pass) => pass,
            Err(e) => {
                assert_eq!(e.kind(), dargah_core::ErrorKind::Store, "{label}: {e}");
                store_errors += 1;
                continue;
            }
        };
        for o in report.outcomes.iter().chain(&reconciled.outcomes).filter(|o| o.kind == OutcomeKind::NewlyPaid) {
            newly.push(o.payment.id.clone());
            recovered += 1;
        }
        if report.errors.is_empty() && reconciled.in_doubt == 0 {
            break;
        }
    }

    let mut seen: HashMap<&str, usize> = HashMap::new();
    for id in &newly {
        *seen.entry(id).or_default() += 1;
    }
    println!(
        "{label}: {PROCESSES} processes x {PAYMENTS} callbacks in {:.1} s -> {total:?}; {} newly paid by callbacks, {recovered} by recovery; restart: {}",
        delivered.as_secs_f64(),
        newly.len() - recovered,
        restart.unwrap_or("none")
    );
    assert!(store_errors <= 1, "{label}: only the first call after a restart may fail");
    // A commit whose acknowledgement died with the database leaves a payment
    // paid that nobody was told about: the outbox still holds it, and the shop
    // credits it from there (crediting keyed on the payment id).
    let outbox: Vec<String> = shop.unacknowledged(1000).unwrap().into_iter().map(|p| p.id).collect();
    println!("{label}: {} credited from the outbox", outbox.len());
    for (id, token) in &tokens {
        let p = shop.payment(id).unwrap();
        assert_eq!(p.state, PaymentState::Paid, "{label}: {id} not resolved: {p:?}");
        let told = seen.get(id.as_str()).copied().unwrap_or(0);
        assert!(told <= 1, "{label}: {id} was reported newly paid {told} times");
        assert!(told == 1 || outbox.contains(id), "{label}: {id} was paid but neither reported nor in the outbox");
        // One verify; with an outage, a lease that ran out while its holder waited for the
        // store lets another worker send one more, which Vandar refuses (transaction info
        // says code 1 before and after a verify: docs/gateway-readings.md) and which credits nothing.
        let verifies = world.calls_for(token, "vandar.verify");
        assert!(verifies == 1 || (restart.is_some() && verifies == 2), "{label}: {id}: {verifies} verify calls");
        assert_eq!(world.sandbox_payment(Gateway::Vandar, token)["verify_count"], 1, "{label}: {id}: one verify succeeded");
    }
    if restart.is_none() {
        assert_eq!(newly.len(), PAYMENTS, "{label}: without an outage every payment is reported newly paid exactly once");
        assert!(outbox.is_empty(), "{label}: and acknowledged");
    }
}

#[test]
fn sqlite_eight_processes_two_hundred_callbacks() {
    let dir = tempfile::tempdir().unwrap();
    scenario("sqlite", &format!("sqlite://{}/multi.db", dir.path().display()), None);
}

#[test]
fn postgres_eight_processes_and_a_restart() {
    let Some(url) = databases::url("DARGAH_TEST_POSTGRES_URL") else { return };
    scenario("postgres", &url, None);
    scenario("postgres+restart", &url, Some("postgres"));
}

#[test]
fn mysql_eight_processes_and_a_restart() {
    let Some(url) = databases::url("DARGAH_TEST_MYSQL_URL") else { return };
    scenario("mysql", &url, None);
    scenario("mysql+restart", &url, Some("mysql"));
}
