//! Nothing sensitive stored (issue 14): canary card numbers and a canary
//! national code go through every payment flow of every gateway, on SQLite,
//! PostgreSQL and MariaDB; then every byte of the store is searched for them
//! and for their SHA-256 (hex either case, and raw). Zero hits.
//!
//! SQLite is read as files (the database and its WAL, free pages included);
//! PostgreSQL and MariaDB as the text of every row of every table the client
//! made (its table prefix).

mod support;

use dargah_core::{Dargah, Gateway, PaymentRequest, ReconcileOptions, VandarOptions};
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::databases;
use support::sandbox::{callback_fields, World};

/// Canaries: 16-digit cards the sandbox accepts, and a national code with a valid check digit.
const CARDS: [&str; 2] = ["6219861900731125", "5022291077310046"];
const NATIONAL_CODE: &str = "0079310893";

fn needles() -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for canary in CARDS.iter().chain([&NATIONAL_CODE]) {
        let digest = Sha256::digest(canary.as_bytes());
        all.push((canary.to_string(), canary.as_bytes().to_vec()));
        all.push((format!("sha256({canary}) hex"), hex::encode(digest).into_bytes()));
        all.push((format!("sha256({canary}) HEX"), hex::encode_upper(digest).into_bytes()));
        all.push((format!("sha256({canary}) raw"), digest.to_vec()));
    }
    all
}

fn hits(haystack: &[u8]) -> Vec<String> {
    needles().into_iter().filter(|(_, n)| haystack.windows(n.len()).any(|w| w == n.as_slice())).map(|(name, _)| name).collect()
}

fn client(world: &World, store: &str, prefix: &str, key: Option<&str>) -> Dargah {
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["store"] = json!(store);
    config["table_prefix"] = json!(prefix);
    if let Some(key) = key {
        config["card_fingerprint_key"] = json!(key);
    }
    Dargah::from_json(&config.to_string()).unwrap()
}

fn request(gateway: Gateway, invoice: &str) -> PaymentRequest {
    let request = PaymentRequest::new(invoice, 120_000, "https://shop.example/cb").mobile("09123456789");
    match gateway {
        Gateway::Vandar => request.vandar(VandarOptions {
            national_code: Some(NATIONAL_CODE.into()),
            valid_card_number: CARDS.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        }),
        _ => request,
    }
}

/// Press Pay or Cancel on the sandbox's page with a canary card.
fn pay(world: &World, gateway: Gateway, token: &str, action: &str, card: &str) -> Value {
    world
        .http
        .post(format!("{}/_control/pay", world.sandbox.base_url()))
        .json(&json!({"gateway": gateway.name(), "token": token, "action": action, "card": card}))
        .send()
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .unwrap()
}

/// Every flow that stores something about a payment, on every gateway.
fn run_flows(world: &World, dargah: &Dargah, tag: &str) {
    for gateway in [Gateway::Mupra, Gateway::CanPay, Gateway::AtiPay, Gateway::Vandar] {
        // Paid, and the callback delivered twice.
        let created = dargah.create_payment(gateway, request(gateway, &format!("{tag}-{}-paid", gateway.name()))).unwrap();
        let token = created.payment.token.clone().unwrap();
        let fields = callback_fields(&pay(world, gateway, &token, "pay", CARDS[0]));
        assert!(dargah.handle_callback(gateway, &fields).unwrap().is_newly_paid(), "{gateway}");
        dargah.handle_callback(gateway, &fields).unwrap();
        dargah.acknowledge(&created.payment.id).unwrap();
        // Cancelled on the page.
        let created = dargah.create_payment(gateway, request(gateway, &format!("{tag}-{}-cancel", gateway.name()))).unwrap();
        let fields = callback_fields(&pay(world, gateway, created.payment.token.as_deref().unwrap(), "cancel", CARDS[1]));
        let _ = dargah.handle_callback(gateway, &fields);
        // Paid, but the customer never came back: reconcile finds it.
        let created = dargah.create_payment(gateway, request(gateway, &format!("{tag}-{}-tab", gateway.name()))).unwrap();
        pay(world, gateway, created.payment.token.as_deref().unwrap(), "pay", CARDS[1]);
    }
    dargah.reconcile(&ReconcileOptions { min_age: std::time::Duration::ZERO, ..Default::default() }, |_| {}).unwrap();
    dargah.recover(100).unwrap();
}

fn sqlite_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("card") {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn postgres_bytes(url: &str, prefix: &str) -> Vec<u8> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let tables: Vec<String> = client
        .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND starts_with(table_name, $1)", &[&prefix])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.len() >= 4, "{tables:?}");
    let mut all = Vec::new();
    for table in tables {
        for row in client.query(&format!("SELECT t::text FROM \"{table}\" t"), &[]).unwrap() {
            all.extend(row.get::<_, String>(0).into_bytes());
            all.push(b'\n');
        }
    }
    all
}

fn mysql_bytes(url: &str, prefix: &str) -> Vec<u8> {
    let mut conn = mysql::Conn::new(mysql::Opts::from_url(url).unwrap()).unwrap();
    let tables: Vec<String> = conn
        .exec("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE CONCAT(?, '%')", (prefix.replace('_', "\\_"),))
        .unwrap();
    assert!(tables.len() >= 4, "{tables:?}");
    let mut all = Vec::new();
    for table in tables {
        let rows: Vec<mysql::Row> = conn.query(format!("SELECT * FROM `{table}`")).unwrap();
        for row in rows {
            for value in row.unwrap() {
                match value {
                    mysql::Value::Bytes(b) => all.extend(b),
                    other => all.extend(other.as_sql(true).into_bytes()),
                }
                all.push(b'|');
            }
        }
    }
    all
}

#[test]
fn no_card_number_national_code_or_card_hash_is_stored_anywhere() {
    let world = World::start();
    let mut checked = Vec::new();
    for key in [None, Some("shop-fingerprint-key")] {
        let tag = if key.is_some() { "k" } else { "n" };
        let prefix = databases::unique_prefix(tag);
        let sqlite = client(&world, &format!("sqlite://{}/card-{tag}.db", world.dir.path().display()), "", key);
        run_flows(&world, &sqlite, &format!("s{tag}"));
        drop(sqlite);
        let found = hits(&sqlite_bytes(world.dir.path()));
        assert!(found.is_empty(), "sqlite holds {found:?}");
        checked.push("sqlite");
        if let Some(url) = databases::url("DARGAH_TEST_POSTGRES_URL") {
            run_flows(&world, &client(&world, &url, &prefix, key), &format!("{prefix}p"));
            let found = hits(&postgres_bytes(&url, &prefix));
            assert!(found.is_empty(), "postgres holds {found:?}");
            checked.push("postgres");
        }
        if let Some(url) = databases::url("DARGAH_TEST_MYSQL_URL") {
            run_flows(&world, &client(&world, &url, &prefix, key), &format!("{prefix}m"));
            let found = hits(&mysql_bytes(&url, &prefix));
            assert!(found.is_empty(), "mysql holds {found:?}");
            checked.push("mysql");
        }
    }
    eprintln!("searched {checked:?}: 0 hits of {} needles", needles().len());
}

#[test]
fn what_is_stored_still_answers_a_dispute_and_matches_a_known_card() {
    let world = World::start();
    let dargah = client(&world, &format!("sqlite://{}/card-d.db", world.dir.path().display()), "", Some("shop-fingerprint-key"));
    let created = dargah.create_payment(Gateway::Vandar, request(Gateway::Vandar, "dispute-1")).unwrap();
    let fields = callback_fields(&pay(&world, Gateway::Vandar, created.payment.token.as_deref().unwrap(), "pay", CARDS[0]));
    let paid = dargah.handle_callback(Gateway::Vandar, &fields).unwrap().payment;
    assert_eq!(paid.masked_card.as_deref(), Some("621986******1125"));
    let history: String = dargah.store().events(&paid.id).unwrap().into_iter().map(|(_, _, _, raw)| raw).collect();
    for kept in ["transId", "trackingCode", "amount", "paymentDate", "621986******1125"] {
        assert!(history.contains(kept), "{kept} missing from {history}");
    }
    let fingerprint = dargah.card_fingerprint(CARDS[0]).unwrap();
    assert!(history.contains(&fingerprint), "the payer's card matches the shop's known card: {history}");
    assert!(!history.contains("\"mobile\"") && !history.contains("\"CID\""), "{history}");
}
