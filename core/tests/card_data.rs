//! Nothing sensitive stored (issue 14): canary card numbers and a canary
//! national code go through every payment flow of every gateway, and through
//! the money moves kept for their idempotency keys, on SQLite, PostgreSQL and
//! MariaDB; then every byte of the store is searched for them and for their
//! SHA-256 (hex either case, and raw), and for Vandar's business tokens (the
//! configured pair and the rotated one). Zero hits.
//!
//! SQLite is read as files (the database and its WAL, free pages included);
//! PostgreSQL and MariaDB as the text of every row of every table the client
//! made (its table prefix).

mod support;

use dargah_core::crypto::TokenCipher;
use dargah_core::{Dargah, Gateway, PayaTransfer, PaymentRequest, ReconcileOptions, Secret, Settlement, VandarOptions};
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
    // The happy path is one verify, whose answer has no trackingCode (Vandar's transaction info has it).
    for kept in ["transId", "amount", "realAmount", "paymentDate", "621986******1125"] {
        assert!(history.contains(kept), "{kept} missing from {history}");
    }
    let fingerprint = dargah.card_fingerprint(CARDS[0]).unwrap();
    assert!(history.contains(&fingerprint), "the payer's card matches the shop's known card: {history}");
    assert!(!history.contains("\"mobile\"") && !history.contains("\"CID\""), "{history}");
}

/// Canaries of the money moves: free text and the bank's code (never kept).
const CIF: &str = "CIF-CANARY-5d31e7";
const IBAN: &str = "IR820540102680020817909002";
/// The row the Vandar business pair is stored under (`vandar:<business>`).
const PAIR: &str = "vandar:sandbox-shop";

/// Money moves with idempotency keys (Mupra PAYA transfer, Vandar settlement
/// and refund), each replayed, and Vandar's token refresh: the answers keep
/// what the caller needs, and the replays answer from the store with it.
/// Returns the tokens the store held in the end (decrypted), to search for.
fn money_moves(world: &World, dargah: &Dargah, tag: &str) -> Vec<String> {
    let with_canaries = format!("card {} national code {} {tag}", CARDS[0], NATIONAL_CODE);
    // A paid Mupra payment gives the PAYA transfer a balance; a paid Vandar one, something to refund.
    let mut references = Vec::new();
    for gateway in [Gateway::Mupra, Gateway::Vandar] {
        let created = dargah.create_payment(gateway, request(gateway, &format!("{tag}-{}-move", gateway.name()))).unwrap();
        let fields = callback_fields(&pay(world, gateway, created.payment.token.as_deref().unwrap(), "pay", CARDS[0]));
        references.push(dargah.handle_callback(gateway, &fields).unwrap().payment.reference.unwrap());
    }
    // Vandar refuses the configured access token once: the pair is refreshed and the new one stored.
    world.fault(json!({"endpoint": "vandar.business", "status": 401, "count": 1}));
    let refreshes = world.calls("vandar.refreshtoken");
    dargah.vandar_balance().unwrap();
    assert_eq!(world.calls("vandar.refreshtoken"), refreshes + 1, "the pair was rotated");

    let transfer = PayaTransfer { amount: 10_000, iban: IBAN.into(), cif: CIF.into(), description: with_canaries.clone() };
    let first = dargah.mupra_paya_transfer(&format!("{tag}-paya"), &transfer).unwrap();
    let sent = world.calls("mupra.paya");
    assert_eq!(dargah.mupra_paya_transfer(&format!("{tag}-paya"), &transfer).unwrap(), first, "a replay answers as the first try");
    assert_eq!(world.calls("mupra.paya"), sent, "from the store");
    assert!(first["transferId"].as_str().is_some_and(|t| !t.is_empty()) && first["amount"] == 10_000 && first["balance"].is_number(), "{first}");
    assert_eq!(first["iban"], "IR82******************9002", "{first}");

    let settlement = Settlement { amount: 20_000, iban: IBAN.into(), description: Some(with_canaries) };
    let key = format!("{tag}-settle");
    let first = dargah.vandar_settlement_store(&key, &settlement).unwrap();
    assert_eq!(dargah.vandar_settlement_store(&key, &settlement).unwrap(), first);
    let s = &first["data"]["settlement"];
    assert!(s["track_id"] == key.as_str() && s["amount"] == 20_000 && s["status"] == "PENDING" && !s["id"].is_null() && !s["created_at"].is_null(), "{first}");

    let key = format!("{tag}-refund");
    let first = dargah.vandar_refund(&key, &references[1], Some(json!({"note": NATIONAL_CODE}))).unwrap();
    let refunds = world.calls("vandar.business:POST /api/v3/business/:business/transaction/:transaction_id/refund");
    assert_eq!(dargah.vandar_refund(&key, &references[1], Some(json!({"note": NATIONAL_CODE}))).unwrap(), first);
    assert_eq!(world.calls("vandar.business:POST /api/v3/business/:business/transaction/:transaction_id/refund"), refunds, "from the store");
    assert!(first["data"]["refund_id"].as_u64().is_some() && first["data"]["status"] == "DONE" && first["data"]["amount"] == 120_000, "{first}");

    // The pair the store holds now, as the client reads it (the key is the sandbox config's).
    let cipher = TokenCipher::new(&Secret::new(dargah_sandbox::creds::DEMO_TOKEN_ENCRYPTION_KEY).into()).unwrap();
    let stored = dargah.store().token_pair(PAIR).unwrap().expect("a stored pair");
    assert!(stored.access_token.expose().starts_with("dg1:") && stored.refresh_token.expose().starts_with("dg1:"), "stored encrypted");
    let opened = [cipher.open(PAIR, &stored.access_token, false).unwrap(), cipher.open(PAIR, &stored.refresh_token, false).unwrap()];
    assert!(opened.iter().all(|o| !o.was_clear()));
    opened.iter().map(|o| o.secret().expose().to_string()).collect()
}

/// Item 1 and 2 of the data protection follow-up: Vandar's tokens (the
/// configured pair and the rotated one) and money moves' answers hold no
/// canary in any byte of the store — every table, `tokens` included — on
/// SQLite, PostgreSQL and MariaDB; a replayed answer still says what happened.
#[test]
fn no_token_and_no_money_move_canary_is_stored_anywhere() {
    let mut checked = Vec::new();
    let prefix = databases::unique_prefix("t");
    let mut stores: Vec<(&str, Option<String>)> = vec![("sqlite", None)];
    stores.extend([("postgres", databases::url("DARGAH_TEST_POSTGRES_URL")), ("mysql", databases::url("DARGAH_TEST_MYSQL_URL"))].into_iter().filter_map(|(n, u)| u.map(|u| (n, Some(u)))));
    for (name, url) in stores {
        // A sandbox of its own: its refresh tokens are single use.
        let world = World::start();
        let store = url.clone().unwrap_or_else(|| format!("sqlite://{}/card-t.db", world.dir.path().display()));
        let dargah = client(&world, &store, if url.is_some() { &prefix } else { "" }, Some("shop-fingerprint-key"));
        let rotated = money_moves(&world, &dargah, &format!("{prefix}{name}"));
        drop(dargah);
        let bytes = match (name, url) {
            ("postgres", Some(url)) => postgres_bytes(&url, &prefix),
            ("mysql", Some(url)) => mysql_bytes(&url, &prefix),
            _ => sqlite_bytes(world.dir.path()),
        };
        let mut token_needles = vec![dargah_sandbox::creds::VANDAR_ACCESS_TOKEN.to_string(), dargah_sandbox::creds::VANDAR_REFRESH_TOKEN.to_string(), CIF.to_string()];
        token_needles.extend(rotated);
        let found: Vec<String> = hits(&bytes).into_iter().chain(token_needles.iter().filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes())).cloned()).collect();
        assert!(found.is_empty(), "{name} holds {found:?}");
        assert!(String::from_utf8_lossy(&bytes).contains("dg1:"), "{name}: the search saw the tokens table");
        checked.push(name);
    }
    eprintln!("searched {checked:?}, every table: 0 hits of {} card needles, the configured and rotated tokens and the cif", needles().len());
}
