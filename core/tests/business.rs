//! Reporting, balances and money moves against the sandbox: Mupra balance,
//! pages and PAYA; Sepal balance and Jalali inquiry; Vandar's business API
//! with its rotating tokens and rate limits shared across processes; and
//! idempotency keys that keep a retried transfer from moving money twice.

mod support;

use dargah_core::{Dargah, ErrorKind, Gateway, PayaTransfer, PaymentRequest, SepalInquiry, Settlement};
use dargah_sandbox::SandboxConfig;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};
use support::sandbox::World;

const IBAN: &str = "IR820540102680020817909002";

/// Child mode: run `DARGAH_TEST_JOB` for `DARGAH_TEST_SECS` seconds and print a tally.
#[test]
fn child_process_entry() {
    let Ok(job) = std::env::var("DARGAH_TEST_JOB") else { return };
    let dargah = Dargah::from_json(&std::env::var("DARGAH_TEST_CONFIG").unwrap()).unwrap();
    let secs: u64 = std::env::var("DARGAH_TEST_SECS").unwrap().parse().unwrap();
    let started = Instant::now();
    let (mut ok, mut errors) = (0, Vec::new());
    while started.elapsed() < Duration::from_secs(secs) {
        let result = match job.as_str() {
            "post" => dargah.vandar_call("POST /v3/business/:business/customers/inquiry/nid", &BTreeMap::new(), &BTreeMap::new(), Some(json!({"national_code": "0499370899"}))),
            _ => dargah.vandar_balance(),
        };
        match result {
            Ok(_) => ok += 1,
            Err(e) => errors.push(format!("{:?}: {}", e.kind(), e.message())),
        }
        if job != "post" {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    println!("JOB ok={ok} errors={}", errors.len());
    for e in errors.iter().take(3) {
        println!("JOB-ERROR {e}");
    }
}

fn run_children(world: &World, job: &str, processes: usize, secs: u64) -> (usize, usize, String) {
    let config = world.config(60);
    let children: Vec<_> = (0..processes)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child_process_entry", "--nocapture", "--test-threads=1"])
                .env("DARGAH_TEST_JOB", job)
                .env("DARGAH_TEST_CONFIG", &config)
                .env("DARGAH_TEST_SECS", secs.to_string())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let (mut ok, mut errors, mut text) = (0, 0, String::new());
    for child in children {
        let out = String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned();
        let line = out.split("JOB ").nth(1).and_then(|l| l.lines().next()).unwrap_or_else(|| panic!("no tally: {out}")).to_string();
        let n: Vec<usize> = line.split(' ').map(|kv| kv.split('=').nth(1).unwrap().parse().unwrap()).collect();
        ok += n[0];
        errors += n[1];
        text.push_str(&out);
    }
    (ok, errors, text)
}

#[test]
fn mupra_balance_pages_and_a_paya_transfer_that_moves_money_once() {
    let world = World::start();
    let dargah = world.client();
    let start = dargah.mupra_balance().unwrap();
    // Three paid and verified payments, then the list, page by page.
    for i in 0..3 {
        let p = dargah.create_payment(Gateway::Mupra, PaymentRequest::new(format!("mb-{i}"), 100_000, "http://127.0.0.1:9/cb")).unwrap().payment;
        let cb = world.pay(Gateway::Mupra, p.token.as_deref().unwrap(), true);
        assert!(dargah.handle_callback(Gateway::Mupra, &cb).unwrap().is_newly_paid());
    }
    assert_eq!(dargah.mupra_balance().unwrap(), start + 300_000);
    let page = dargah.mupra_transactions(0, 2).unwrap();
    assert_eq!((page.transactions.len(), page.total_pages, page.result_count), (2, 2, 3));
    assert!(page.transactions.iter().all(|t| t.paid && t.verified && t.amount == 100_000));
    let all: Vec<_> = dargah.mupra_all_transactions(2).collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 3);
    let sent = world.calls("mupra.trx");

    // Invalid IBAN: refused before any call.
    let bad = PayaTransfer { amount: 50_000, iban: "IR820540102680020817909003".into(), cif: "CIF1".into(), description: "x".into() };
    assert_eq!(dargah.mupra_paya_transfer("t-1", &bad).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(world.calls("mupra.paya"), 0);

    let transfer = PayaTransfer { amount: 50_000, iban: IBAN.into(), cif: "CIF1".into(), description: "تسویه".into() };
    let first = dargah.mupra_paya_transfer("t-1", &transfer).unwrap();
    let again = dargah.mupra_paya_transfer("t-1", &transfer).unwrap();
    assert_eq!(first, again, "a retry answers from the store");
    assert_eq!(world.calls("mupra.paya"), 1);
    assert_eq!(dargah.mupra_balance().unwrap(), start + 300_000 - 50_000);
    let other = PayaTransfer { amount: 60_000, ..transfer.clone() };
    assert_eq!(dargah.mupra_paya_transfer("t-1", &other).unwrap_err().kind(), ErrorKind::InvalidInput, "one key, one request");

    // The answer is lost after Mupra moved the money: the retry is not sent again.
    world.fault(json!({"endpoint": "mupra.paya", "drop_after_process": true, "count": 1}));
    assert!(dargah.mupra_paya_transfer("t-2", &transfer).unwrap_err().kind().is_in_doubt());
    let e = dargah.mupra_paya_transfer("t-2", &transfer).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InDoubt);
    assert_eq!(world.calls("mupra.paya"), 2);
    assert_eq!(dargah.mupra_balance().unwrap(), start + 300_000 - 100_000, "moved once");
    // Refused outright (too much): nothing moved, the same key may try again.
    let huge = PayaTransfer { amount: 10_000_000_000, ..transfer.clone() };
    assert_eq!(dargah.mupra_paya_transfer("t-3", &huge).unwrap_err().kind(), ErrorKind::GatewayRejected);
    assert_eq!(dargah.mupra_paya_transfer("t-3", &huge).unwrap_err().kind(), ErrorKind::GatewayRejected);
    assert!(sent >= 2);
}

#[test]
fn sepal_balance_and_inquiry_in_either_calendar() {
    let world = World::start();
    let dargah = world.client();
    let terminals = dargah.sepal_gateway_balance(None).unwrap();
    assert!(!terminals.is_empty());
    assert!(terminals.iter().all(|t| !t.code.is_empty()));
    assert_eq!(dargah.sepal_gateway_balance(Some("wrong-key")).unwrap_err().kind(), ErrorKind::GatewayRejected);

    let jalali = dargah.sepal_inquiry(&SepalInquiry { date_from: Some("1401/10/01".into()), date_to: Some("1401/10/30".into()), limit: Some(100), ..Default::default() }).unwrap();
    let gregorian = dargah.sepal_inquiry(&SepalInquiry { date_from: Some("2022-12-22".into()), date_to: Some("2023-01-20".into()), limit: Some(100), ..Default::default() }).unwrap();
    assert_eq!(jalali, gregorian, "1401/10/01 = 2022-12-22 and 1401/10/30 = 2023-01-20");
    let sample = jalali.items.iter().find(|i| i.payment_number == "1755366969864145").expect("the document's sample payment");
    assert_eq!(sample.created.jalali, "1401/10/28 16:56:35");
    assert_eq!(sample.created.gregorian, "2023-01-18 16:56:35");
    assert_eq!((sample.amount, sample.wage_amount), (3_000_000, 30_000));
    assert!(sample.successful);

    let paged = dargah.sepal_inquiry(&SepalInquiry { date_from: Some("1401/10/01".into()), date_to: Some("1401/12/29".into()), limit: Some(5), page: Some(2), ..Default::default() }).unwrap();
    assert_eq!((paged.page, paged.limit, paged.items.len()), (2, 5, 5));
    assert!(paged.total_pages >= 2);
    let by_card = dargah.sepal_inquiry(&SepalInquiry { payer_card_number: Some(sample.payer_card_number.clone().unwrap()), ..Default::default() }).unwrap();
    assert!(by_card.items.iter().all(|i| i.payer_card_number == sample.payer_card_number));
    for bad in [SepalInquiry::default(), SepalInquiry { date_from: Some("1401/10/01".into()), ..Default::default() }, SepalInquiry { date_from: Some("1401/13/01".into()), date_to: Some("1401/10/30".into()), ..Default::default() }] {
        assert_eq!(dargah.sepal_inquiry(&bad).unwrap_err().kind(), ErrorKind::InvalidInput);
    }
    assert_eq!(world.calls("sepal.login"), 1, "one JWT for every call");
}

#[test]
fn vandar_settlements_refunds_and_any_listed_endpoint() {
    let world = World::start();
    let dargah = world.client();
    let wallet = |d: &Dargah| d.vandar_balance().unwrap()["data"]["wallet"].as_u64().unwrap();
    let start = wallet(&dargah);

    let settlement = Settlement { amount: 200_000, iban: IBAN.into(), description: Some("weekly".into()) };
    let stored = dargah.vandar_settlement_store("s-1", &settlement).unwrap();
    assert_eq!(dargah.vandar_settlement_store("s-1", &settlement).unwrap(), stored);
    assert_eq!(wallet(&dargah), start - 200_000);
    let s = &stored["data"]["settlement"];
    assert_eq!(s["track_id"], "s-1", "the idempotency key travels as track_id");
    let id = s["id"].as_str().map(str::to_string).unwrap_or_else(|| s["id"].to_string());
    assert!(dargah.vandar_settlements().unwrap().to_string().contains("s-1"));
    assert_eq!(dargah.vandar_settlement(&id).unwrap()["data"]["settlement"]["amount"], 200_000);
    let transaction_id = s["transaction_id"].as_str().map(str::to_string).unwrap_or_else(|| s["transaction_id"].to_string());
    dargah.vandar_settlement_cancel(&transaction_id).unwrap();
    assert_eq!(wallet(&dargah), start, "a cancelled settlement gives the money back");
    assert!(dargah.vandar_settlement_banks().unwrap().to_string().len() > 2);

    // The answer is lost after Vandar stored it: the retry finds it by track_id instead of settling twice.
    world.fault(json!({"endpoint": "vandar.business:POST /api/v3/business/:business/settlement/store", "drop_after_process": true, "count": 1}));
    assert!(dargah.vandar_settlement_store("s-2", &settlement).unwrap_err().kind().is_in_doubt());
    let found = dargah.vandar_settlement_store("s-2", &settlement).unwrap();
    assert_eq!(found["data"]["settlement"]["track_id"], "s-2");
    assert_eq!(wallet(&dargah), start - 200_000, "settled once");

    // A refund needs a verified IPG payment.
    let p = dargah.create_payment(Gateway::Vandar, PaymentRequest::new("refund-me", 70_000, "http://127.0.0.1:9/cb")).unwrap().payment;
    let cb = world.pay(Gateway::Vandar, p.token.as_deref().unwrap(), true);
    let paid = dargah.handle_callback(Gateway::Vandar, &cb).unwrap();
    let trans_id = paid.payment.reference.clone().unwrap();
    assert_eq!(dargah.vandar_refund("r-0", "999999", None).unwrap_err().kind(), ErrorKind::GatewayRejected);
    let before = wallet(&dargah);
    dargah.vandar_refund("r-1", &trans_id, None).unwrap();
    dargah.vandar_refund("r-1", &trans_id, None).unwrap();
    assert_eq!(wallet(&dargah), before - 70_000, "refunded once");
    assert!(dargah.vandar_transactions(&BTreeMap::new()).unwrap().to_string().contains(&trans_id));

    // Every other listed endpoint, by its documented name.
    let params: BTreeMap<String, String> = [("customer".to_string(), "c-7".to_string())].into();
    let echo = dargah.vandar_call("POST /v2/business/:business/customers/:customer/wallet/deposit", &params, &BTreeMap::new(), Some(json!({"amount": 1000}))).unwrap();
    assert_eq!(echo["data"]["params"]["customer"], "c-7");
    assert_eq!(echo["data"]["body"]["amount"], 1000);
    let token: BTreeMap<String, String> = [("token".to_string(), "AUTH".to_string())].into();
    assert_eq!(dargah.vandar_call("GET /authorizations/:token", &token, &BTreeMap::new(), None).unwrap()["data"]["params"]["token"], "AUTH");
    let batches = dargah.vandar_call("GET /api/v2/business/:business/batches", &BTreeMap::new(), &BTreeMap::new(), None).unwrap();
    assert_eq!(batches["data"]["endpoint"], "/batch/api/v2/business/:business/batches");
    let before = world.calls("vandar.business");
    assert_eq!(dargah.vandar_call("GET /v2/business/:business/customer", &BTreeMap::new(), &BTreeMap::new(), None).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(dargah.vandar_call("GET /v2/business/:business/customers/:customer", &BTreeMap::new(), &BTreeMap::new(), None).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(world.calls("vandar.business"), before, "typos cost no call");
}

#[test]
fn rate_limit_holds_across_4_processes() {
    let world = World::start();
    let started = Instant::now();
    let (ok, errors, text) = run_children(&world, "post", 4, 6);
    let elapsed = started.elapsed().as_secs_f64();
    let posts = world.calls("vandar.business");
    println!("4 processes hammering POSTs for 6 s: {ok} calls answered, {errors} errors, the sandbox saw {posts} POSTs in {elapsed:.1} s = {:.1} per 3 s (limit 30)", posts as f64 / elapsed * 3.0);
    // The sandbox answers 429 to a 31st POST in any sliding 3 s window; one would surface as an error here.
    assert_eq!(errors, 0, "{text}");
    assert!(!text.contains("RateLimited"));
    assert!(posts as f64 / elapsed * 3.0 <= 30.0, "{posts} POSTs in {elapsed:.1} s");
    assert!(ok >= 40, "the limiter waits rather than starves: {ok}");
}

#[test]
fn token_refresh_race_across_4_processes() {
    let world = World::start_with(SandboxConfig { vandar_token_lifetime: Duration::from_secs(2), ..Default::default() });
    // Refresh when less than a second is left.
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["vandar"]["refresh_margin_secs"] = json!(1);
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}/tokens.db", dir.path().display());
    config["store"] = json!(store);
    let world_config = config.to_string();
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child_process_entry", "--nocapture", "--test-threads=1"])
                .env("DARGAH_TEST_JOB", "balance")
                .env("DARGAH_TEST_CONFIG", &world_config)
                .env("DARGAH_TEST_SECS", "7")
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut outputs = String::new();
    for c in children {
        outputs.push_str(&String::from_utf8_lossy(&c.wait_with_output().unwrap().stdout));
    }
    let errors: usize = outputs.split("JOB ok=").skip(1).map(|l| l.split("errors=").nth(1).unwrap().lines().next().unwrap().parse::<usize>().unwrap()).sum();
    let refreshes = world.calls("vandar.refreshtoken");
    println!("4 processes for 7 s with 2 s tokens: {refreshes} refreshes, {errors} errors, {} balance calls", world.calls("vandar.business"));
    assert_eq!(errors, 0, "no process spent a refresh token twice (the sandbox refuses a reused one): {outputs}");
    assert!((2..=8).contains(&refreshes), "about one refresh per token lifetime, not one per process: {refreshes}");
}
