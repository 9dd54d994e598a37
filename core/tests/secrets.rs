//! Nothing secret shown (issue 14), in the core: every credential of the
//! configuration is a distinct canary — the sandbox's own (the accepted ones)
//! and made-up ones for wrong keys, the store's password, the proxy's
//! credentials and the fingerprint key. Every flow runs, the gateways failing
//! in every way; then every output is searched: errors (Display and Debug),
//! Debug of the client and its configuration, every audit event at TRACE,
//! every answer, every payment's history and every stored row (every table,
//! Vandar's `tokens` included: they are kept encrypted). Zero hits.

mod support;

use dargah_core::audit::{capture, Level};
use dargah_core::{CallbackFields, Dargah, Gateway, PaymentRequest, ReconcileOptions};
use serde_json::{json, Value};
use support::sandbox::{callback_fields, World};

const WRONG: [(&str, &str, &str); 8] = [
    ("mupra", "api_key", "CANARY-mupra-key-4e1f"),
    ("canpay", "merchant", "CANARY-canpay-merchant-93ab"),
    ("atipay", "apiKey", "CANARY-atipay-key-27cd"),
    ("vandar", "api_key", "CANARY-vandar-key-5b60"),
    ("vandar", "access_token", "CANARY-vandar-access-81f2"),
    ("vandar", "refresh_token", "CANARY-vandar-refresh-c4d9"),
    ("sepal", "password", "CANARY-sepal-password-6a7e"),
    ("sepal", "api_key", "CANARY-sepal-key-0d35"),
];
const OTHERS: [&str; 5] = ["CANARY-store-password-f00d", "canary-proxy-user-77", "CANARY-proxy-password-beef", "CANARY-fingerprint-key-aa01", "CANARY-token-encryption-key-9c2e-0123456789"];

fn secrets_of(config: &Value) -> Vec<String> {
    WRONG.iter().filter_map(|(section, key, _)| config[section][key].as_str().map(str::to_string)).collect()
}

struct Seen(Vec<String>);

impl Seen {
    fn answer<T: std::fmt::Debug>(&mut self, result: dargah_core::Result<T>) -> Option<T> {
        match result {
            Ok(value) => {
                self.0.push(format!("{value:?}"));
                Some(value)
            }
            Err(e) => {
                self.0.push(format!("{e} | {e:?} | {:?} {:?}", e.gateway_message(), e.gateway_code()));
                None
            }
        }
    }
}

fn pay(world: &World, gateway: Gateway, token: &str, action: &str) -> CallbackFields {
    let answer: Value = world
        .http
        .post(format!("{}/_control/pay", world.sandbox.base_url()))
        .json(&json!({"gateway": gateway.name(), "token": token, "action": action, "card": "6037991234567890"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    callback_fields(&answer)
}

fn flows(world: &World, dargah: &Dargah, seen: &mut Seen, faults: bool) {
    seen.0.push(format!("{dargah:?} {:?} {:#?}", dargah.config(), dargah.config()));
    let verify = [(Gateway::Mupra, "mupra.verify"), (Gateway::CanPay, "canpay.verify"), (Gateway::AtiPay, "atipay.verify-payment"), (Gateway::Vandar, "vandar.verify")];
    let fault_list = [json!({"status": 401}), json!({"status": 500}), json!({"malformed_json": true}), json!({"latency_ms": 2500}), json!({"drop_after_process": true})];
    for (gateway, endpoint) in verify {
        let rounds: Vec<Option<&Value>> = if faults { std::iter::once(None).chain(fault_list.iter().map(Some)).collect() } else { vec![None] };
        for fault in rounds {
            let Some(created) = seen.answer(dargah.create_payment(gateway, PaymentRequest::new(format!("s-{}", rand_id()), 120_000, "https://shop.example/cb").mobile("09123456789"))) else {
                continue;
            };
            let fields = pay(world, gateway, created.payment.token.as_deref().unwrap_or(""), "pay");
            if let Some(fault) = fault {
                let mut spec = fault.clone();
                spec["endpoint"] = json!(endpoint);
                world.fault(spec);
            }
            seen.answer(dargah.handle_callback(gateway, &fields));
            seen.answer(dargah.handle_callback(gateway, &fields));
            world.clear_faults();
            seen.answer(dargah.events(&created.payment.id));
        }
    }
    for (operation, params) in [("vandar.balance", json!({})), ("mupra.balance", json!({})), ("vandar.settlements", json!({})), ("sepal.payment_state", json!({"payment_number": 1}))] {
        seen.answer(dargah.call(operation, &params));
    }
    if faults {
        for endpoint in ["vandar.business", "mupra.balance", "sepal.login"] {
            for fault in &fault_list[..3] {
                let mut spec = fault.clone();
                spec["endpoint"] = json!(endpoint);
                world.fault(spec);
                seen.answer(dargah.call("vandar.balance", &json!({})));
                seen.answer(dargah.call("mupra.balance", &json!({})));
                seen.answer(dargah.call("sepal.payment_state", &json!({"payment_number": 2})));
                world.clear_faults();
            }
        }
    }
    seen.answer(dargah.recover(50));
    seen.answer(dargah.reconcile(&ReconcileOptions { min_age: std::time::Duration::ZERO, ..Default::default() }, |_| {}));
    seen.answer(dargah.call("payments.list", &json!({"limit": "CANARY-mupra-key-4e1f"})));
    seen.answer(dargah.call("vandar.call", &json!({"endpoint": "CANARY-vandar-key-5b60"})));
    seen.answer(dargah.list_payments(None, 500, 0));
}

fn rand_id() -> String {
    support::databases::unique_prefix("i").trim_end_matches('_').to_string()
}

fn stored_rows(path: &std::path::Path) -> String {
    let db = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut all = String::new();
    for table in tables {
        let mut statement = db.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                all.push_str(&format!("{:?}|", row.get_ref(i).unwrap()));
            }
            all.push('\n');
        }
    }
    all
}

#[test]
fn no_configured_secret_is_shown_anywhere() {
    let world = World::start();
    let mut seen = Seen(Vec::new());
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["http"] = json!({"request_timeout_ms": 1000});
    config["lease_secs"] = json!(5);
    config["card_fingerprint_key"] = json!(OTHERS[3]);
    config["token_encryption_key"] = json!(OTHERS[4]);
    let mut wrong = config.clone();
    wrong["store"] = json!(format!("sqlite://{}/wrong.db", world.dir.path().display()));
    for (section, key, canary) in WRONG {
        wrong[section][key] = json!(canary);
    }
    let mut proxied = config.clone();
    proxied["store"] = json!(format!("sqlite://{}/proxied.db", world.dir.path().display()));
    proxied["http"]["proxy"] = json!(format!("http://{}:{}@127.0.0.1:9", OTHERS[1], OTHERS[2]));

    let ((), events) = capture(Level::TRACE, || {
        flows(&world, &Dargah::from_json(&config.to_string()).unwrap(), &mut seen, true);
        flows(&world, &Dargah::from_json(&wrong.to_string()).unwrap(), &mut seen, false);
        flows(&world, &Dargah::from_json(&proxied.to_string()).unwrap(), &mut seen, false);
        for store in [
            format!("postgres://shop:{}@127.0.0.1:9/shop", OTHERS[0]),
            format!("mysql://shop:{}@127.0.0.1:9/shop", OTHERS[0]),
            format!("postgres://shop:{}@[bad/shop", OTHERS[0]),
            format!("mysql://shop@127.0.0.1:9/shop?password={}", OTHERS[0]),
        ] {
            let mut c = config.clone();
            c["store"] = json!(store);
            seen.answer(Dargah::from_json(&c.to_string()));
            seen.answer(dargah_core::Config::from_json(&c.to_string()));
        }
        let mut typo = config.clone();
        typo["canpay"]["merchant"] = json!(4242000042420000_u64);
        seen.answer(Dargah::from_json(&typo.to_string()));
        typo["http"] = json!({"proxy": format!("ftp://{}:{}@127.0.0.1:9", OTHERS[1], OTHERS[2])});
        seen.answer(Dargah::from_json(&typo.to_string()));
    });
    seen.0.extend(events.iter().map(|e| format!("{} {} {} {}", e.level, e.target, e.message(), e.fields_json())));
    for db in ["dargah.db", "wrong.db", "proxied.db"] {
        seen.0.push(stored_rows(&world.dir.path().join(db)));
    }

    let everything = seen.0.join("\n");
    let mut canaries = secrets_of(&config);
    canaries.extend(WRONG.iter().map(|(_, _, c)| c.to_string()));
    canaries.extend(OTHERS.iter().map(|c| c.to_string()));
    assert_eq!(canaries.len(), 21);
    let shown: Vec<&String> = canaries.iter().filter(|c| everything.contains(c.as_str())).collect();
    assert!(shown.is_empty(), "shown: {shown:?}");
    for expected in ["GatewayRejected", "GatewayUnavailable", "MalformedResponse", "Timeout", "Store", "gateway_call", "state_change", "claim", "token_refresh"] {
        assert!(everything.contains(expected), "the search covered {expected}");
    }
    eprintln!("searched {} bytes ({} audit events) for {} secrets: 0 shown", everything.len(), events.len(), canaries.len());
}

/// The row the Vandar business pair is stored under.
const PAIR: &str = "vandar:sandbox-shop";

fn token_row(path: &std::path::Path) -> (String, String) {
    let db = rusqlite::Connection::open(path).unwrap();
    db.query_row("SELECT access_token, refresh_token FROM tokens WHERE name = ?1", [PAIR], |r| Ok((r.get(0)?, r.get(1)?))).unwrap()
}

/// A pair an older version stored in clear is read once, rewritten
/// encrypted, and keeps working: no token is lost on upgrade.
#[test]
fn a_pair_stored_in_clear_by_an_older_version_is_rewritten_encrypted() {
    let world = World::start();
    let dargah = world.client();
    let configured = |key: &str| serde_json::from_str::<Value>(&world.config(60)).unwrap()["vandar"][key].as_str().unwrap().to_string();
    let (access, refresh) = (configured("access_token"), configured("refresh_token"));
    // What the previous version did: the configured pair, stored as it is, with a known expiry.
    let later = dargah.store().now().unwrap() + 3_600_000;
    dargah.store().seed_token_pair(PAIR, &dargah_core::Secret::new(access.as_str()), &dargah_core::Secret::new(refresh.as_str()), Some(later)).unwrap();
    assert_eq!(token_row(&world.dir.path().join("dargah.db")), (access.clone(), refresh.clone()), "stored in clear, as before");
    // And the copy schema 2's table kept (schema 4 copied it into `tokens`).
    let db = rusqlite::Connection::open(world.dir.path().join("dargah.db")).unwrap();
    // The store as that version left it, at schema 6: this version's migration 7 marks the clear pair.
    db.execute_batch(
        "DROP INDEX payments_by_paid_receipt; ALTER TABLE payments DROP COLUMN paid_receipt; ALTER TABLE tokens DROP COLUMN legacy_clear;
         DELETE FROM schema_migrations WHERE version >= 7",
    )
    .unwrap();
    let dargah = world.client();
    let legacy = "SELECT COUNT(*) FROM token_pairs WHERE name = ?1";
    db.execute("INSERT INTO token_pairs (name, access_token, refresh_token, updated_at) VALUES (?1, ?2, ?3, 0)", [PAIR, access.as_str(), refresh.as_str()]).unwrap();

    let ((), events) = capture(Level::INFO, || assert!(dargah.vandar_balance().unwrap()["data"]["wallet"].is_number()));
    let (a, r) = token_row(&world.dir.path().join("dargah.db"));
    assert!(a.starts_with("dg1:") && r.starts_with("dg1:"), "rewritten encrypted: {a} {r}");
    assert!(!a.contains(&access) && !r.contains(&refresh));
    assert!(events.iter().any(|e| e.name() == "token_encrypted" && e.fields["outcome"] == "ok"), "the rewrite is an audit event");
    let pair = dargah.store().token_pair(PAIR).unwrap().unwrap();
    assert!(pair.expires_at.is_some_and(|at| at <= later && at > later - 2_000), "the expiry is kept (never later): {:?}", pair.expires_at);
    assert_eq!(world.calls("vandar.refreshtoken"), 0, "the same tokens, not a refresh");
    assert_eq!(db.query_row(legacy, [PAIR], |r| r.get::<_, i64>(0)).unwrap(), 0, "the clear copy in token_pairs is gone");
    // Read again: no second rewrite, and the pair still works.
    dargah.vandar_balance().unwrap();
    assert_eq!(token_row(&world.dir.path().join("dargah.db")), (a, r));
}

/// A stored pair that does not decrypt (another key) and a business API
/// configured without a key are named errors that name the setting, never a
/// value; with no key nothing is stored in clear.
#[test]
fn a_wrong_or_missing_key_is_a_named_error_and_never_a_clear_text_fallback() {
    let world = World::start();
    world.client().vandar_balance().unwrap();
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["token_encryption_key"] = json!("CANARY-a-different-key-long-enough-5e0a");
    let e = Dargah::from_json(&config.to_string()).unwrap().vandar_balance().unwrap_err();
    assert_eq!(e.kind(), dargah_core::ErrorKind::Config);
    assert!(e.message().contains("token_encryption_key") && e.message().contains("cannot be decrypted"), "{}", e.message());
    assert!(!e.message().contains("CANARY") && !e.message().contains("dg1:") && !format!("{e:?}").contains("CANARY"), "{}", e.message());

    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["store"] = json!(format!("sqlite://{}/no-key.db", world.dir.path().display()));
    config.as_object_mut().unwrap().remove("token_encryption_key");
    let dargah = Dargah::from_json(&config.to_string()).unwrap();
    let e = dargah.vandar_balance().unwrap_err();
    assert_eq!(e.kind(), dargah_core::ErrorKind::Config);
    assert!(e.message().contains("set token_encryption_key"), "{}", e.message());
    assert!(dargah.store().token_pair(PAIR).unwrap().is_none(), "nothing stored in clear");
    // The IPG needs no key.
    dargah.create_payment(Gateway::Vandar, PaymentRequest::new("no-key-1", 10_000, "https://shop.example/cb")).unwrap();

    config["token_encryption_key"] = json!("too short");
    let e = Dargah::from_json(&config.to_string()).unwrap_err();
    assert!(e.message().contains("token_encryption_key must be at least 32 characters") && !e.message().contains("too short"), "{}", e.message());
}
