//! Several merchant accounts per gateway (issue 17), against the sandbox:
//! two accounts at every gateway, payments and callbacks interleaved, each
//! verify made with its own account's credentials (the sandbox counts calls
//! per credential), recover, reconcile and refunds through the payment's own
//! account, forged callbacks that cross accounts refused, and the Vandar
//! business API's tokens and rate windows kept per account. Store-touching
//! parts run on SQLite, PostgreSQL and MariaDB.

mod support;

use dargah_core::{CallbackFields, Dargah, ErrorKind, Gateway, OutcomeKind, PaymentRequest, PaymentState, ReconcileOptions};
use dargah_sandbox::{creds, creds2, verify_endpoint};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::databases;
use support::sandbox::World;

const B: &str = "branch2";

/// A store to run on: SQLite always; PostgreSQL and MariaDB when their URLs
/// are set (always in `make test`).
fn stores(world: &World, tag: &str) -> Vec<(&'static str, String, String)> {
    databases::every_store(world.dir.path(), tag)
}

/// A client with the sandbox's first merchant account as each gateway's
/// default and its second as `branch2`, on `store`.
fn client_on(world: &World, store: &str, prefix: &str, tweak: impl FnOnce(&mut Value)) -> Dargah {
    let mut config = dargah_sandbox::client_config_with_accounts(&world.sandbox.base_url(), store, B);
    config["table_prefix"] = json!(prefix);
    config["http"] = json!({"request_timeout_ms": 5000});
    tweak(&mut config);
    Dargah::from_json(&config.to_string()).unwrap()
}

fn client(world: &World) -> Dargah {
    client_on(world, &format!("sqlite://{}", world.db_path()), "", |_| {})
}

/// The credential the sandbox counts a gateway's verify under, per account.
fn credential(gateway: Gateway, second: bool) -> &'static str {
    match (gateway, second) {
        (Gateway::Mupra, false) => creds::MUPRA_API_KEY,
        (Gateway::Mupra, true) => creds2::MUPRA_API_KEY,
        (Gateway::CanPay, false) => creds::CANPAY_MERCHANT,
        (Gateway::CanPay, true) => creds2::CANPAY_MERCHANT,
        (Gateway::AtiPay, false) => creds::ATIPAY_API_KEY,
        (Gateway::AtiPay, true) => creds2::ATIPAY_API_KEY,
        (Gateway::Vandar, false) => creds::VANDAR_API_KEY,
        (Gateway::Vandar, true) => creds2::VANDAR_API_KEY,
    }
}

/// How often the sandbox saw `endpoint` called with `credential`.
fn calls_with(world: &World, credential: &str, endpoint: &str) -> u64 {
    world.stats()["by_credential"][credential][endpoint].as_u64().unwrap_or(0)
}

fn verifies_with(world: &World, gateway: Gateway, second: bool) -> u64 {
    calls_with(world, credential(gateway, second), verify_endpoint(gateway.name()).unwrap())
}

/// Clear the sandbox's counters and faults (payments stay).
fn reset(world: &World) {
    world.http.post(format!("{}/_control/reset", world.sandbox.base_url())).send().unwrap().error_for_status().unwrap();
}

fn request(invoice: &str, amount: u64) -> PaymentRequest {
    PaymentRequest::new(invoice, amount, "http://127.0.0.1:9/shop/callback").mobile("09123456789")
}

fn request_at(invoice: &str, amount: u64, account: Option<&str>) -> PaymentRequest {
    match account {
        Some(a) => request(invoice, amount).account(a),
        None => request(invoice, amount),
    }
}

/// Two payments per account at every gateway, created, paid and called
/// back in interleaved order: every callback is newly paid, each payment
/// keeps its account, and every verify went out with its own account's
/// credentials, on every store.
#[test]
fn interleaved_payments_verify_with_their_own_accounts_on_every_store() {
    let world = World::start();
    for (name, url, prefix) in stores(&world, "acc") {
        reset(&world);
        let shop = client_on(&world, &url, &prefix, |_| {});
        for gateway in Gateway::ALL {
            // A1, B1, A2, B2 created; paid in the order B1, A2, A1, B2; called back B2, A1, B1, A2.
            let plan = [(None, 0), (Some(B), 1), (None, 2), (Some(B), 3)];
            let created: Vec<_> = plan
                .iter()
                .map(|(account, i)| shop.create_payment(gateway, request_at(&format!("{name}-{gateway}-{i}"), 20_000 + i * 1000, *account)).unwrap().payment)
                .collect();
            for (p, (account, _)) in created.iter().zip(&plan) {
                assert_eq!(p.account, account.unwrap_or("default"), "{name} {gateway}");
            }
            let mut callbacks: Vec<Option<CallbackFields>> = vec![None, None, None, None];
            for i in [1, 2, 0, 3] {
                callbacks[i] = Some(world.pay(gateway, created[i].token.as_deref().unwrap(), true));
            }
            for i in [3, 0, 1, 2] {
                let outcome = shop.handle_callback(gateway, callbacks[i].as_ref().unwrap()).unwrap();
                assert_eq!(outcome.kind, OutcomeKind::NewlyPaid, "{name} {gateway} payment {i}: {:?}", outcome.payment.note);
                assert_eq!(outcome.payment.account, created[i].account);
                // A second delivery is answered from the store.
                assert_eq!(shop.handle_callback(gateway, callbacks[i].as_ref().unwrap()).unwrap().kind, OutcomeKind::AlreadyPaid);
            }
            assert_eq!(verifies_with(&world, gateway, false), 2, "{name} {gateway}: verifies with the default account's credentials");
            assert_eq!(verifies_with(&world, gateway, true), 2, "{name} {gateway}: verifies with branch2's credentials");
            for p in &created {
                assert_eq!(shop.payment(&p.id).unwrap().account, p.account, "{name}: the store keeps the account");
            }
        }
        // Reading back through the binding-facing JSON shows the account too.
        let listed = shop.call("payments.list", &json!({"limit": 100})).unwrap();
        let branch2 = listed.as_array().unwrap().iter().filter(|p| p["account"] == B).count();
        assert_eq!(branch2, 8, "{name}: two branch2 payments at each of four gateways");
    }
}

/// Without a callback, reconcile verifies each payment through its own
/// account; a verify whose answer was lost is recovered through its own
/// account (Vandar: transaction info first, with the same account's key).
#[test]
fn reconcile_and_recover_use_the_payments_account_on_every_store() {
    let world = World::start();
    for (name, url, prefix) in stores(&world, "rec") {
        reset(&world);
        let shop = client_on(&world, &url, &prefix, |_| {});
        // Reconcile: every gateway but AtiPay (which needs the callback's receipt).
        let mut open = Vec::new();
        for gateway in [Gateway::Mupra, Gateway::CanPay, Gateway::Vandar] {
            for (i, account) in [None, Some(B)].into_iter().enumerate() {
                let p = shop.create_payment(gateway, request_at(&format!("{name}-r-{gateway}-{i}"), 30_000, account)).unwrap().payment;
                world.pay(gateway, p.token.as_deref().unwrap(), true);
                open.push(p);
            }
        }
        let report = shop.reconcile(&ReconcileOptions { min_age: Duration::ZERO, limit: 100 }, |_| {}).unwrap();
        assert_eq!(report.paid, 6, "{name}: {report:?}");
        for gateway in [Gateway::Mupra, Gateway::CanPay, Gateway::Vandar] {
            assert_eq!(verifies_with(&world, gateway, false), 1, "{name} {gateway}");
            assert_eq!(verifies_with(&world, gateway, true), 1, "{name} {gateway}");
        }
        for p in &open {
            assert_eq!(shop.payment(&p.id).unwrap().state, PaymentState::Paid);
        }

        // Recover: the verify's answer is lost, the payment is in doubt, recover() settles it.
        reset(&world);
        for gateway in Gateway::ALL {
            let p = shop.create_payment(gateway, request_at(&format!("{name}-d-{gateway}"), 40_000, Some(B))).unwrap().payment;
            let callback = world.pay(gateway, p.token.as_deref().unwrap(), true);
            world.fault(json!({"endpoint": verify_endpoint(gateway.name()).unwrap(), "status": 503, "count": 1}));
            let e = shop.handle_callback(gateway, &callback).unwrap_err();
            assert!(e.kind().is_in_doubt(), "{name} {gateway}: {e}");
            assert_eq!(shop.payment(&p.id).unwrap().state, PaymentState::InDoubt);
            let report = shop.recover(10).unwrap();
            assert!(report.errors.is_empty(), "{name} {gateway}: {:?}", report.errors);
            assert_eq!(shop.payment(&p.id).unwrap().state, PaymentState::Paid, "{name} {gateway}");
            assert_eq!(verifies_with(&world, gateway, false), 0, "{name} {gateway}: never the default account's credentials");
            assert!(verifies_with(&world, gateway, true) >= 1, "{name} {gateway}");
        }
        assert_eq!(calls_with(&world, creds2::VANDAR_API_KEY, "vandar.transaction"), 2, "{name}: Vandar's transaction info before each verify (the callback's, recover's), with branch2's key");
        assert_eq!(calls_with(&world, creds::VANDAR_API_KEY, "vandar.transaction"), 0, "{name}");
    }
}

/// Account A's payment presented at account B's callback URL, or with
/// B's merchant fields, is refused: no verify with B's credentials (nor
/// any), and A's payment stays open for its genuine callback.
#[test]
fn a_callback_never_crosses_accounts() {
    let world = World::start();
    let shop = client(&world);
    for gateway in Gateway::ALL {
        let a = shop.create_payment(gateway, request(&format!("x-{gateway}-a"), 50_000)).unwrap().payment;
        let b = shop.create_payment(gateway, request_at(&format!("x-{gateway}-b"), 50_000, Some(B))).unwrap().payment;
        let callback_a = world.pay(gateway, a.token.as_deref().unwrap(), true);
        world.pay(gateway, b.token.as_deref().unwrap(), true);

        // A's token at B's callback URL.
        let e = shop.handle_account_callback(gateway, B, &callback_a).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidCallback, "{gateway}: {e}");
        assert_eq!(world.calls(verify_endpoint(gateway.name()).unwrap()), 0, "{gateway}: no gateway call at all");
        assert_eq!(shop.payment(&a.id).unwrap().state, PaymentState::Awaiting, "{gateway}: A stays open");
        assert!(shop.events(&a.id).unwrap().iter().any(|e| e.label == "refused_callback"));

        if gateway == Gateway::AtiPay {
            // A's receipt with B's terminal: it names B's account, so it is refused before any verify.
            let forged: Vec<(String, String)> = callback_a
                .iter()
                .map(|(k, v)| (k.to_string(), if k == "terminalId" { creds2::ATIPAY_TERMINAL_ID.to_string() } else { v.to_string() }))
                .collect();
            let forged = CallbackFields::from_pairs(Vec::<(String, String)>::new(), forged).unwrap();
            let e = shop.handle_callback(gateway, &forged).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidCallback, "{e}");
            assert_eq!(verifies_with(&world, gateway, true), 0, "never verified with B's credentials");
            assert_eq!(shop.payment(&a.id).unwrap().state, PaymentState::Awaiting);
        }

        // B's own URL and B's payment, A's own URL and A's payment: each with its own credentials.
        let outcome = shop.handle_account_callback(gateway, "default", &callback_a).unwrap();
        assert_eq!(outcome.kind, OutcomeKind::NewlyPaid, "{gateway}");
        assert_eq!(verifies_with(&world, gateway, false), 1, "{gateway}");
        assert_eq!(verifies_with(&world, gateway, true), 0, "{gateway}: A's payment never touched B's credentials");
        reset(&world);
    }
}

/// The Vandar business API keeps a token pair, refreshes and rate windows
/// per account; refunds go through the payment's own account.
#[test]
fn vandar_business_tokens_rate_windows_and_refunds_are_per_account() {
    let world = World::start();
    let due_now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // branch2's dashboard pair is already due for a refresh; the default's is not.
    let shop = client_on(&world, &format!("sqlite://{}", world.db_path()), "", |c| {
        c["vandar"]["accounts"][B]["access_token_expires_at"] = json!(due_now);
    });
    let branch2 = shop.with_account(B).unwrap();
    assert_eq!(branch2.account(), B);
    shop.vandar_balance().unwrap();
    branch2.vandar_balance().unwrap();
    branch2.vandar_balance().unwrap();
    let stats = world.stats();
    assert_eq!(stats["by_credential"][creds2::VANDAR_BUSINESS]["vandar.refreshtoken"], 1, "branch2 refreshed its own pair once");
    assert!(stats["by_credential"][creds::VANDAR_BUSINESS]["vandar.refreshtoken"].is_null(), "the default pair was not touched");
    assert_eq!(stats["by_credential"][creds::VANDAR_BUSINESS]["vandar.business"], 1);
    assert_eq!(stats["by_credential"][creds2::VANDAR_BUSINESS]["vandar.business"], 2);
    let store = shop.store();
    let default_pair = store.token_pair(&format!("vandar:{}", creds::VANDAR_BUSINESS)).unwrap().unwrap();
    let branch2_pair = store.token_pair(&format!("vandar@{B}:{}", creds2::VANDAR_BUSINESS)).unwrap().unwrap();
    assert_eq!(default_pair.generation, 0);
    assert_eq!(branch2_pair.generation, 1);
    // Two pairs under two names (their values as the store keeps them: sealed when a token key is set).
    assert_ne!(default_pair.access_token.expose(), branch2_pair.access_token.expose());

    // The default account's GET window is full: branch2's calls do not wait for it.
    while store.rate_acquire("vandar:other", 100, 3000).unwrap().is_none() {}
    let started = Instant::now();
    branch2.vandar_balance().unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "branch2 waited {:?} on the default account's window", started.elapsed());
    assert!(store.rate_acquire("vandar:other", 100, 3000).unwrap().is_some(), "the default window is still full");

    // Refunds: by payment (its own account) or by transId through the right account.
    let p = shop.create_payment(Gateway::Vandar, request_at("refund-b", 60_000, Some(B))).unwrap().payment;
    let cb = world.pay(Gateway::Vandar, p.token.as_deref().unwrap(), true);
    let paid = shop.handle_callback(Gateway::Vandar, &cb).unwrap().payment;
    let trans_id = paid.reference.clone().unwrap();
    let e = shop.vandar_refund("refund-wrong", &trans_id, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::GatewayRejected, "the default account does not hold branch2's transaction: {e}");
    let refunded = shop.vandar_refund_payment("refund-right", &p.id, None).unwrap();
    assert_eq!(refunded["data"]["status"], "DONE", "{refunded}");
    assert_eq!(world.stats()["by_credential"][creds2::VANDAR_BUSINESS]["vandar.business:POST /api/v3/business/:business/transaction/:transaction_id/refund"], 1);
    // The same key from another account is another request, never the stored answer.
    let e = branch2.vandar_refund("refund-wrong", &trans_id, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    // Through call(), as the bindings do.
    let balance = shop.call("vandar.balance", &json!({"account": B})).unwrap();
    assert!(balance["data"]["wallet"].is_number(), "{balance}");
}

/// Unknown and malformed account names are named errors that never echo
/// the value; existing configurations keep working.
#[test]
fn unknown_accounts_are_named_errors_that_never_echo() {
    let world = World::start();
    let shop = client(&world);
    let e = shop.create_payment(Gateway::CanPay, request("u-1", 10_000).account("nosuch")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("default, branch2") && !e.message().contains("nosuch"), "{}", e.message());
    let e = shop.create_payment(Gateway::CanPay, request("u-2", 10_000).account("SECRET-merchant-key!")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(!e.message().contains("SECRET"), "{}", e.message());
    let e = shop.with_account("nosuch").unwrap_err();
    assert!(!e.message().contains("nosuch"), "{}", e.message());
    let e = shop.call("mupra.balance", &json!({"account": "S3CRET-KEY"})).unwrap_err();
    assert!(!e.message().contains("S3CRET"), "{}", e.message());
    assert!(shop.list_payments(None, 10, 0).unwrap().is_empty(), "nothing was recorded");
    // A config without accounts: everything is the default account.
    let plain = world.client();
    let p = plain.create_payment(Gateway::Mupra, request("u-3", 10_000)).unwrap().payment;
    assert_eq!(p.account, "default");
}

/// Migration 5: rows stored before it belong to the default account.
#[test]
fn migration_five_gives_existing_rows_the_default_account() {
    let world = World::start();
    for (name, url, prefix) in stores(&world, "mig") {
        let shop = client_on(&world, &url, &prefix, |_| {});
        let p = shop.create_payment(Gateway::CanPay, request_at(&format!("{name}-m"), 10_000, Some(B))).unwrap().payment;
        assert_eq!(p.account, B);
        // Back to schema 4: version 7's index and column, the column and the migration records
        // from 5 on gone, version 6's dropped index back.
        let on_payments = if name == "mariadb" { format!(" ON {prefix}payments") } else { String::new() };
        let statements = [
            format!("DROP INDEX {prefix}payments_by_paid_receipt{on_payments}"),
            format!("ALTER TABLE {prefix}payments DROP COLUMN paid_receipt"),
            format!("ALTER TABLE {prefix}payments DROP COLUMN account"),
            format!("DELETE FROM {prefix}schema_migrations WHERE version >= 5"),
            format!("CREATE INDEX {prefix}payments_by_reference ON {prefix}payments (gateway, reference)"),
        ];
        match name {
            "sqlite" => {
                let c = rusqlite::Connection::open(url.trim_start_matches("sqlite://")).unwrap();
                for s in &statements {
                    c.execute(s, []).unwrap();
                }
            }
            "postgres" => {
                let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                for s in &statements {
                    c.execute(s.as_str(), &[]).unwrap();
                }
            }
            _ => {
                use mysql::prelude::Queryable;
                let mut c = mysql::Conn::new(mysql::Opts::from_url(&url).unwrap()).unwrap();
                for s in &statements {
                    c.query_drop(s).unwrap();
                }
            }
        }
        let store = dargah_core::store::open(&url, &prefix).unwrap();
        assert_eq!(store.schema_version().unwrap(), dargah_core::store::sql::SCHEMA_VERSION, "{name}");
        assert_eq!(store.get(&p.id).unwrap().unwrap().account, "default", "{name}");
    }
}

/// Sepal's login is kept per account: each account logs in with its own
/// mobile and password, once.
#[test]
fn sepal_logs_in_per_account() {
    let world = World::start();
    let shop = client(&world);
    let branch2 = shop.with_account(B).unwrap();
    for _ in 0..2 {
        shop.sepal_payment_state(1755366969864145).unwrap();
        branch2.sepal_payment_state(1755366969864145).unwrap();
    }
    assert_eq!(calls_with(&world, creds::SEPAL_MOBILE, "sepal.login"), 1);
    assert_eq!(calls_with(&world, creds2::SEPAL_MOBILE, "sepal.login"), 1);
    let terminals = branch2.sepal_gateway_balance(None).unwrap();
    assert!(!terminals.is_empty());
    assert_eq!(calls_with(&world, creds2::SEPAL_API_KEY, "sepal.balance"), 1, "branch2's own apiKey");
}
