//! Nothing secret shown (issue 14), in the core: every credential of the
//! configuration is a distinct canary — the sandbox's own (the accepted ones)
//! and made-up ones for wrong keys, the store's password, the proxy's
//! credentials and the fingerprint key. Every flow runs, the gateways failing
//! in every way; then every output is searched: errors (Display and Debug),
//! Debug of the client and its configuration, every audit event at TRACE,
//! every answer, every payment's history and every stored row. Zero hits.

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
const OTHERS: [&str; 4] = ["CANARY-store-password-f00d", "canary-proxy-user-77", "CANARY-proxy-password-beef", "CANARY-fingerprint-key-aa01"];

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
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%token_pairs' AND name NOT LIKE '%tokens'")
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
    assert_eq!(canaries.len(), 20);
    let shown: Vec<&String> = canaries.iter().filter(|c| everything.contains(c.as_str())).collect();
    assert!(shown.is_empty(), "shown: {shown:?}");
    for expected in ["GatewayRejected", "GatewayUnavailable", "MalformedResponse", "Timeout", "Store", "gateway_call", "state_change", "claim", "token_refresh"] {
        assert!(everything.contains(expected), "the search covered {expected}");
    }
    eprintln!("searched {} bytes ({} audit events) for {} secrets: 0 shown", everything.len(), events.len(), canaries.len());
}
