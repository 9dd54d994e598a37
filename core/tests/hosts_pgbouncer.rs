//! The PostgreSQL store behind PgBouncer (issue 28 item 1): Debian 12's
//! PgBouncer 1.18 in transaction pooling (with `prepare=false` in the store
//! URL) and in session pooling, in front of scripts/db.sh's PostgreSQL, which
//! is restarted mid-run. `make hosts-pgbouncer-test` starts the poolers
//! (scripts/hosts/pgbouncer.sh) and sets `DARGAH_TEST_PGBOUNCER_TX_URL` and
//! `DARGAH_TEST_PGBOUNCER_SESSION_URL`; without them these tests skip. They
//! restart the server: the make target runs them one at a time.
//! (The store conformance suite runs through both poolers too, from the make target.)

mod chaos;
mod support;

use chaos::run::Hosts;
use chaos::seeds::check_seeds;
use dargah_core::store::{self, NewPayment};
use dargah_core::Gateway;
use std::process::Command;
use std::time::Duration;

#[test]
fn chaos_worker_entry() {
    chaos::worker::run_if_worker();
}

/// The poolers' URLs, or None (skip, saying why).
fn poolers() -> Option<[(&'static str, String); 2]> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("DARGAH_TEST_PGBOUNCER_TX_URL"), var("DARGAH_TEST_PGBOUNCER_SESSION_URL")) {
        (Some(tx), Some(session)) => Some([("transaction pooling", tx), ("session pooling", session)]),
        _ => {
            eprintln!("skipping: DARGAH_TEST_PGBOUNCER_TX_URL / DARGAH_TEST_PGBOUNCER_SESSION_URL not set (make hosts-pgbouncer-test starts PgBouncer)");
            None
        }
    }
}

/// Fixed seeds, each through one pool mode (the seed picks it: see `chaos_through_pgbouncer`).
const SEEDS: &[u64] = &[1, 2, 3, 16];

/// The chaos checker's histories with the workers' store behind PgBouncer and
/// the server behind PgBouncer restarted while the genuine callbacks arrive:
/// PgBouncer then cuts the clients linked to the dead server connections
/// ("server conn crashed?") and refuses the others until it logs in again
/// ("server login has been failing"), which the store must wait out like a
/// restart of its own server. Even seeds go through transaction pooling, odd
/// ones through session pooling.
#[test]
fn chaos_through_pgbouncer() {
    let Some([(_, tx), (_, session)]) = poolers() else { return };
    for seed in SEEDS {
        println!("chaos pgbouncer seed {seed}: {}", if seed % 2 == 0 { "transaction pooling" } else { "session pooling" });
    }
    check_seeds("pgbouncer", |seed| if seed % 2 == 0 { tx.clone() } else { session.clone() }, Hosts::restarting("postgres"), SEEDS, 24, 4, false);
}

fn db_sh(action: &str) {
    let status = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/db.sh")).args([action, "postgres"]).status().unwrap();
    assert!(status.success(), "scripts/db.sh {action} postgres");
}

/// With the server behind PgBouncer stopped, a read waits for it to come back
/// instead of failing: the kept connection is dead (PgBouncer cut it), and
/// a new one is refused by PgBouncer with 08P01 "server login has been
/// failing" / "query_wait_timeout", which the store counts as passing.
#[test]
fn a_server_restart_behind_pgbouncer_is_waited_for() {
    let Some(poolers) = poolers() else { return };
    for (mode, url) in poolers {
        let s = store::open(&url, &support::databases::unique_prefix("pgb")).unwrap();
        let payment = NewPayment {
            id: "pgb1".into(),
            gateway: Gateway::Vandar,
            account: "default".into(),
            invoice_id: "inv-pgb1".into(),
            amount: 10_000,
            callback_url: "https://shop.example/cb".into(),
            request_json: "{}".into(),
            refund_window_ms: 900_000,
        };
        s.insert(&payment, 60_000).unwrap();
        db_sh("stop");
        let restart = std::thread::spawn(|| {
            std::thread::sleep(Duration::from_secs(3));
            db_sh("start");
        });
        let read = s.get("pgb1");
        restart.join().unwrap();
        let found = read.unwrap_or_else(|e| panic!("{mode}: the read did not wait out the restart: {e}"));
        assert_eq!(found.map(|p| p.invoice_id), Some("inv-pgb1".to_string()), "{mode}");
        // And a write after it, on a fresh server connection.
        s.attach_token("pgb1", "T-pgb1", "{}").unwrap_or_else(|e| panic!("{mode}: {e}"));
    }
}

/// `make hosts-pgbouncer-chaos`: a long run, from the environment (`CHAOS_SEED`,
/// `CHAOS_ROUNDS`, `CHAOS_PAYMENTS`, `CHAOS_WORKERS`), the pool modes alternating as above.
#[test]
#[ignore = "long; run by make hosts-pgbouncer-chaos"]
fn chaos_long_through_pgbouncer() {
    let [(_, tx), (_, session)] = poolers().expect("make hosts-pgbouncer-chaos sets the PgBouncer URLs");
    let var = |k: &str, d: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let first = var("CHAOS_SEED", 100);
    let seeds: Vec<u64> = (first..first + var("CHAOS_ROUNDS", 10)).collect();
    check_seeds("pgbouncer", |seed| if seed % 2 == 0 { tx.clone() } else { session.clone() }, Hosts::restarting("postgres"), &seeds, var("CHAOS_PAYMENTS", 60) as usize, var("CHAOS_WORKERS", 6) as usize, true);
}
