//! A database server restarts while a verify is at the gateway (issue 24,
//! item 3): the connection the claim used dies with it, and the finish that
//! stores the paid answer must not be lost with it. And callbacks that arrive
//! while the server is down wait for it inside the call (issue 25, item 5:
//! no 5xx from a shop's callback page during a restart).
//!
//! The test restarts the very servers `DARGAH_TEST_POSTGRES_URL` and
//! `DARGAH_TEST_MYSQL_URL` name, with `scripts/db.sh` (the servers of this
//! checkout, on the port in the URL): the two backends run one after the
//! other, never at once, so each restart is the only thing on its server.

mod support;

use dargah_core::{Dargah, Gateway, OutcomeKind, PaymentRequest, PaymentState};
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};
use support::databases;
use support::sandbox::World;

/// The tests of this file stop and start the same servers: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// How long the sandbox holds Vandar's verify: longer than a restart takes.
const VERIFY_HELD: Duration = Duration::from_secs(8);

/// Restart the server behind `url` (`postgres` or `mysql`, as scripts/db.sh names them).
fn restart(server: &str, url: &str) {
    db_sh("restart", server, url);
}

/// `scripts/db.sh ACTION SERVER` on the port in `url`.
fn db_sh(action: &str, server: &str, url: &str) {
    let port = url::Url::parse(url).ok().and_then(|u| u.port()).expect("the test URL names a port").to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/db.sh");
    let started = Instant::now();
    let status = Command::new("bash")
        .arg(script)
        .args([action, server])
        .env(if server == "postgres" { "DARGAH_PG_PORT" } else { "DARGAH_MYSQL_PORT" }, &port)
        .status()
        .expect("scripts/db.sh runs");
    assert!(status.success(), "scripts/db.sh {action} {server} failed");
    eprintln!("{server} on port {port}: {action} took {:?}", started.elapsed());
}

fn client_on(world: &World, url: &str, prefix: &str) -> Dargah {
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["store"] = json!(url);
    config["table_prefix"] = json!(prefix);
    config["http"] = json!({"request_timeout_ms": (VERIFY_HELD + Duration::from_secs(20)).as_millis() as u64});
    Dargah::from_json(&config.to_string()).unwrap()
}

fn database_restart_during_verify_keeps_the_answer_on(server: &str, url: &str) {
    let world = World::start();
    let dargah = client_on(&world, url, &databases::unique_prefix("restart"));
    let payment = dargah.create_payment(Gateway::Vandar, PaymentRequest::new("restart-1", 15_000, "http://127.0.0.1:9/cb")).unwrap().payment;
    let token = payment.token.clone().unwrap();
    let fields = world.pay(Gateway::Vandar, &token, true);
    world.fault(json!({"endpoint": "vandar.verify", "latency_ms": VERIFY_HELD.as_millis() as u64, "count": 1}));

    std::thread::scope(|s| {
        let callback = s.spawn(|| dargah.handle_callback(Gateway::Vandar, &fields));
        // The claim is stored and the verify is at the gateway: now the database restarts.
        let until = Instant::now() + Duration::from_secs(5);
        while world.calls_for(&token, "vandar.verify") == 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        restart(server, url);
        let outcome = callback.join().expect("no panic");
        let outcome = outcome.unwrap_or_else(|e| panic!("{server}: the paid answer was lost to the restart: {e}"));
        assert_eq!(outcome.kind, OutcomeKind::NewlyPaid, "{server}");
    });
    assert_eq!(dargah.payment(&payment.id).unwrap().state, PaymentState::Paid, "{server}");
    assert_eq!(world.calls_for(&token, "vandar.verify"), 1, "{server}: one verify");
    // Later calls find the store as usual.
    assert_eq!(dargah.handle_callback(Gateway::Vandar, &fields).unwrap().kind, OutcomeKind::AlreadyPaid, "{server}");
}

#[test]
fn database_restart_during_verify_keeps_the_answer() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(url) = databases::url("DARGAH_TEST_POSTGRES_URL") {
        database_restart_during_verify_keeps_the_answer_on("postgres", &url);
    }
    if let Some(url) = databases::url("DARGAH_TEST_MYSQL_URL") {
        database_restart_during_verify_keeps_the_answer_on("mysql", &url);
    }
}

fn callbacks_while_the_database_is_down_wait_for_it_on(server: &str, url: &str) {
    let world = World::start();
    let dargah = client_on(&world, url, &databases::unique_prefix("down"));
    let mut paid = Vec::new();
    for i in 0..3 {
        let payment = dargah.create_payment(Gateway::Vandar, PaymentRequest::new(format!("down-{i}"), 15_000, "http://127.0.0.1:9/cb")).unwrap().payment;
        let fields = world.pay(Gateway::Vandar, payment.token.as_deref().unwrap(), true);
        paid.push((payment.id, fields));
    }
    db_sh("stop", server, url);
    let outcomes = std::thread::scope(|s| {
        let callbacks: Vec<_> = paid.iter().map(|(_, fields)| s.spawn(|| dargah.handle_callback(Gateway::Vandar, fields))).collect();
        // The callbacks find no server (their pooled connections dead, new ones refused) and wait.
        std::thread::sleep(Duration::from_secs(2));
        db_sh("start", server, url);
        callbacks.into_iter().map(|c| c.join().expect("no panic")).collect::<Vec<_>>()
    });
    for ((id, _), outcome) in paid.iter().zip(outcomes) {
        let outcome = outcome.unwrap_or_else(|e| panic!("{server}: a callback during the restart failed instead of waiting: {e}"));
        assert_eq!(outcome.kind, OutcomeKind::NewlyPaid, "{server}: {id}");
        assert_eq!(dargah.payment(id).unwrap().state, PaymentState::Paid, "{server}");
    }
}

#[test]
fn callbacks_while_the_database_is_down_wait_for_it() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(url) = databases::url("DARGAH_TEST_POSTGRES_URL") {
        callbacks_while_the_database_is_down_wait_for_it_on("postgres", &url);
    }
    if let Some(url) = databases::url("DARGAH_TEST_MYSQL_URL") {
        callbacks_while_the_database_is_down_wait_for_it_on("mysql", &url);
    }
}
