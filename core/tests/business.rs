//! Reporting, balances and money moves against the sandbox: Mupra balance,
//! pages and PAYA; Sepal balance and Jalali inquiry; Vandar's business API
//! with its rotating tokens and rate limits shared across processes; and
//! idempotency keys that keep a retried transfer from moving money twice.

mod support;

use dargah_core::store::IdempotencyBegin;
use dargah_core::{Dargah, ErrorKind, Gateway, PayaTransfer, PaymentRequest, SepalInquiry, Settlement};
use dargah_sandbox::SandboxConfig;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::databases;
use support::sandbox::World;

const IBAN: &str = "IR820540102680020817909002";

/// Child mode: run `DARGAH_TEST_JOB` from `DARGAH_TEST_THREADS` threads (1
/// unless set) until `DARGAH_TEST_UNTIL_MS` (Unix ms) or for
/// `DARGAH_TEST_SECS` seconds, and print a tally.
#[test]
fn child_process_entry() {
    let Ok(job) = std::env::var("DARGAH_TEST_JOB") else { return };
    let env = |k: &str| std::env::var(k).ok();
    let dargah = Arc::new(Dargah::from_json(&env("DARGAH_TEST_CONFIG").unwrap()).unwrap());
    let threads: usize = env("DARGAH_TEST_THREADS").map_or(1, |v| v.parse().unwrap());
    let until_ms: i64 = match env("DARGAH_TEST_UNTIL_MS") {
        Some(v) => v.parse().unwrap(),
        None => system_ms() + env("DARGAH_TEST_SECS").map_or(0, |v| v.parse::<i64>().unwrap() * 1000),
    };
    if let Some(delay) = env("DARGAH_TEST_DELAY_MS") {
        std::thread::sleep(Duration::from_millis(delay.parse().unwrap()));
    }
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (dargah, job) = (dargah.clone(), job.clone());
            std::thread::spawn(move || run_job(&dargah, &job, t, until_ms))
        })
        .collect();
    let (mut ok, mut errors) = (0, Vec::new());
    for h in handles {
        let (o, e) = h.join().unwrap();
        ok += o;
        errors.extend(e);
    }
    println!("JOB ok={ok} errors={}", errors.len());
    for e in errors.iter().take(3) {
        println!("JOB-ERROR {e}");
    }
}

/// One thread of a child's job: (calls answered, errors).
fn run_job(dargah: &Dargah, job: &str, thread: usize, until_ms: i64) -> (usize, Vec<String>) {
    let (mut ok, mut errors) = (0, Vec::new());
    let mut tally = |result: Result<(), dargah_core::Error>| match result {
        Ok(()) => ok += 1,
        Err(e) => errors.push(format!("{:?}: {}", e.kind(), e.message())),
    };
    let me = format!("{}-{thread}", std::process::id());
    let mut i = 0usize;
    loop {
        i += 1;
        match job {
            "post" => tally(dargah.vandar_call("POST /v3/business/:business/customers/inquiry/nid", &BTreeMap::new(), &BTreeMap::new(), Some(json!({"national_code": "0499370899"}))).map(drop)),
            "balance" => {
                tally(dargah.vandar_balance().map(drop));
                std::thread::sleep(Duration::from_millis(200));
            }
            "calls" => {
                tally(dargah.vandar_balance().map(drop));
                std::thread::sleep(Duration::from_millis(std::env::var("DARGAH_TEST_PAUSE_MS").map_or(10, |v| v.parse().unwrap())));
            }
            "one" => {
                tally(dargah.vandar_balance().map(drop));
                return (ok, errors);
            }
            "contend" => {
                // The shared limiter's hot row, shared and fresh idempotency keys, and now and
                // then a real business call (its limiter, its token, the sandbox).
                let store = dargah.store();
                tally(store.rate_acquire("contend", 100, 3_000).map(drop));
                let shared = format!("shared-{}", i % 4);
                tally(store.idempotency_begin(&shared, "contend", "h").and_then(|b| if b == IdempotencyBegin::Proceed { store.idempotency_finish(&shared, Some("{}")) } else { Ok(()) }));
                let fresh = format!("{me}-{i}");
                tally(store.idempotency_begin(&fresh, "contend", "h").and_then(|_| store.idempotency_finish(&fresh, Some("{}"))));
                if thread.is_multiple_of(4) && i % 4 == 1 {
                    tally(dargah.vandar_balance().map(drop));
                }
            }
            other => panic!("unknown job {other}"),
        }
        if system_ms() >= until_ms {
            return (ok, errors);
        }
    }
}

/// Spawn one child process running `job`; `env` adds or overrides variables.
fn spawn_job(job: &str, config: &str, env: &[(&str, String)]) -> std::process::Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "child_process_entry", "--nocapture", "--test-threads=1"])
        .env("DARGAH_TEST_JOB", job)
        .env("DARGAH_TEST_CONFIG", config)
        .stdout(std::process::Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().unwrap()
}

/// Wait for children and add up their tallies: (ok, errors, everything they printed).
fn collect(children: Vec<std::process::Child>) -> (usize, usize, String) {
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

/// A store a scenario runs on: SQLite always; PostgreSQL and MariaDB when
/// their URLs are set (always in `make test`, which requires them).
struct StoreUnderTest {
    name: &'static str,
    url: String,
    prefix: String,
}

fn stores(dir: &std::path::Path, tag: &str) -> Vec<StoreUnderTest> {
    let mut all = vec![StoreUnderTest { name: "sqlite", url: format!("sqlite://{}/{tag}.db", dir.display()), prefix: String::new() }];
    if let Some(url) = databases::url("DARGAH_TEST_POSTGRES_URL") {
        all.push(StoreUnderTest { name: "postgres", url, prefix: databases::unique_prefix(tag) });
    }
    if let Some(url) = databases::url("DARGAH_TEST_MYSQL_URL") {
        all.push(StoreUnderTest { name: "mariadb", url, prefix: databases::unique_prefix(tag) });
    }
    all
}

/// The world's client config on `store`, changed by `tweak`.
fn config_on(world: &World, store: &StoreUnderTest, tweak: impl FnOnce(&mut Value)) -> String {
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["store"] = json!(store.url);
    config["table_prefix"] = json!(store.prefix);
    tweak(&mut config);
    // Migrate once before any child starts: PostgreSQL can refuse concurrent
    // `CREATE TABLE IF NOT EXISTS` of one table (pg_type's unique key).
    dargah_core::store::open(&store.url, &store.prefix).unwrap();
    config.to_string()
}

/// A loopback TCP proxy that holds every chunk a client sends for `delay`
/// before passing it on, as a real network between a shop and Vandar does:
/// a request is in flight for that long, so a token read before another
/// worker's refresh can reach Vandar after it. Returns the proxy's base URL.
fn delaying_proxy(target: std::net::SocketAddr, delay: Duration) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let Ok(server) = std::net::TcpStream::connect(target) else { continue };
            let pipe = move |mut from: std::net::TcpStream, mut to: std::net::TcpStream, delay: Duration| {
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        std::thread::sleep(delay);
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            };
            pipe(client.try_clone().unwrap(), server.try_clone().unwrap(), delay);
            pipe(server, client, Duration::ZERO);
        }
    });
    format!("http://{addr}")
}

fn system_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn run_children(world: &World, job: &str, processes: usize, secs: u64) -> (usize, usize, String) {
    let config = world.config(60);
    // Create the store before the children race to (SQLite can answer "locked" to a first open).
    world.client();
    collect((0..processes).map(|_| spawn_job(job, &config, &[("DARGAH_TEST_SECS", secs.to_string())])).collect())
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
    Dargah::from_json(&world_config).unwrap();
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

/// Item 15: on a 401 the client refreshes the pair that was refused, only if
/// it is still the stored one. Vandar here revokes older access tokens on a
/// refresh (the sandbox's fault mode), the dashboard token expires while 16
/// threads in 4 processes have calls in flight (60 ms on the way, as over a
/// real network), and the config does not say when it expires: exactly one
/// refresh, no caller sees an error.
#[test]
fn scenario_15_refresh_rotates_the_refused_pair_once_across_4_processes() {
    let dir = tempfile::tempdir().unwrap();
    std::thread::scope(|scope| {
        for store in stores(dir.path(), "s15") {
            scope.spawn(move || {
                let readings = dargah_sandbox::readings::Readings { vandar_refresh: dargah_sandbox::readings::VandarRefresh::RevokesAccessTokens, ..Default::default() };
                let world = World::start_with(SandboxConfig { vandar_token_lifetime: Duration::from_secs(5), readings, ..Default::default() });
                let started = system_ms();
                // The dashboard token dies at 5 s; the new pair is due a second before its
                // own expiry, ~9 s from now, after the run. 8 threads calling every ~0.3 s
                // stay under the rate limit (no call waits for a slot), and every
                // business call spends 60 ms on the way to Vandar: about 1.5 in flight.
                let proxy = delaying_proxy(([127, 0, 0, 1], world.sandbox.port()).into(), Duration::from_millis(60));
                let config = config_on(&world, &store, |c| {
                    c["vandar"]["refresh_margin_secs"] = json!(1);
                    c["vandar"]["api_base_url"] = json!(format!("{proxy}/vandar/api"));
                });
                let until = (started + 6_500).to_string();
                let env = [("DARGAH_TEST_THREADS", "2".to_string()), ("DARGAH_TEST_PAUSE_MS", "250".into()), ("DARGAH_TEST_UNTIL_MS", until)];
                let children = (0..4).map(|_| spawn_job("calls", &config, &env)).collect();
                let (ok, errors, text) = collect(children);
                let (refreshes, calls) = (world.calls("vandar.refreshtoken"), world.calls("vandar.business"));
                println!("[{}] 4 processes x 2 threads, token expiring at 5 s, refresh revokes: {refreshes} refreshes, {errors} errors, {ok} calls answered ({calls} sent) in {:.1} s", store.name, (system_ms() - started) as f64 / 1000.0);
                assert_eq!(errors, 0, "{}: {text}", store.name);
                assert_eq!(refreshes, 1, "{}: one refresh for one expiry", store.name);
                assert!(calls > ok as u64, "{}: some calls were refused with the expired or revoked token and sent again", store.name);
                assert!(ok >= 60, "{}: {ok}", store.name);
            });
        }
    });
}

/// Item 16: a refresh whose answer takes 32 s (Vandar spent the refresh
/// token at once) outlives the old 30 s lease. The lease now lasts the worst
/// case (15 s rate-limit wait + the 40 s request timeout + 5 s), stamped on
/// the store's clock, so a second process — whose host clock is 61 s fast —
/// waits for the pair instead of spending the same refresh token again.
/// (The store-level fence is in store_conformance's
/// `token_pairs_rotate_under_one_fenced_lease`.)
#[test]
fn scenario_16_a_slow_refresh_is_fenced_and_its_refresh_token_spent_once() {
    let dir = tempfile::tempdir().unwrap();
    std::thread::scope(|scope| {
        for store in stores(dir.path(), "s16") {
            scope.spawn(move || {
                let world = World::start();
                let started = Instant::now();
                world.fault(json!({"endpoint": "vandar.business", "status": 401, "count": 2}));
                world.fault(json!({"endpoint": "vandar.refreshtoken", "latency_ms": 32_000, "count": 1}));
                let config = config_on(&world, &store, |c| {
                    c["http"]["request_timeout_ms"] = json!(40_000);
                    // The payments' lease must outlast two such calls.
                    c["lease_secs"] = json!(100);
                });
                let first = spawn_job("one", &config, &[]);
                let second = spawn_job("one", &config, &[("DARGAH_TEST_DELAY_MS", "1500".into()), ("DARGAH_TEST_CLOCK_SKEW_MS", "61000".into())]);
                let (ok, errors, text) = collect(vec![first, second]);
                let refreshes = world.calls("vandar.refreshtoken");
                println!("[{}] a 32 s refresh, a second process 61 s fast: {refreshes} refreshes, {errors} errors, {ok} calls in {:.1} s", store.name, started.elapsed().as_secs_f64());
                assert_eq!((ok, errors), (2, 0), "{}: {text}", store.name);
                assert_eq!(refreshes, 1, "{}: the refresh token was spent once", store.name);
            });
        }
    });
}

/// Item 17: `vandar.access_token_expires_at` (Unix seconds) says when the
/// dashboard token expires, and the first refresh comes `refresh_margin_secs`
/// before it — not after a 401.
#[test]
fn scenario_17_the_configured_expiry_refreshes_the_dashboard_token_before_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path(), "s17") {
        let world = World::start_with(SandboxConfig { vandar_token_lifetime: Duration::from_secs(10), ..Default::default() });
        // Expires in 3 to 4 s; due now or within a second with a 3 s margin.
        let expires_at = system_ms() / 1000 + 4;
        let config = config_on(&world, &store, |c| {
            c["vandar"]["access_token_expires_at"] = json!(expires_at);
            c["vandar"]["refresh_margin_secs"] = json!(3);
        });
        let dargah = Dargah::from_json(&config).unwrap();
        let started = Instant::now();
        let mut calls = 0;
        while started.elapsed() < Duration::from_millis(2_000) {
            dargah.vandar_balance().unwrap_or_else(|e| panic!("{}: {e}", store.name));
            calls += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
        let refreshes = world.calls("vandar.refreshtoken");
        println!("[{}] dashboard token expiring in 3-4 s, margin 3 s: {refreshes} refresh in {:.1} s, {calls} calls", store.name, started.elapsed().as_secs_f64());
        assert_eq!(refreshes, 1, "{}: refreshed before the configured expiry", store.name);
        let pair = dargah.store().token_pair("vandar:sandbox-shop").unwrap().unwrap();
        assert_eq!(pair.generation, 1);
        // Refreshed within the first ~1 s of the run, read at ~2 s, for 10 s: 7 to 10 s left.
        let left = pair.expires_at.unwrap() - pair.read_at;
        assert!((6_000..=10_000).contains(&left), "{}: the new pair's expiry, on the store's clock: {left} ms left", store.name);
    }
}

/// Item 18: the shared rate limiter and the idempotency table under 4
/// processes x 16 threads: no deadlock surfaces as an error on any store.
#[test]
fn scenario_18_rate_limiter_and_idempotency_never_deadlock_with_4_processes_of_16_threads() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path(), "s18") {
        let world = World::start();
        let config = config_on(&world, &store, |_| {});
        let started = Instant::now();
        let children = (0..4).map(|_| spawn_job("contend", &config, &[("DARGAH_TEST_THREADS", "16".into()), ("DARGAH_TEST_SECS", "3".into())])).collect();
        let (ok, errors, text) = collect(children);
        let balance = world.calls("vandar.business");
        println!("[{}] 4 processes x 16 threads for 3 s: {ok} store and API calls answered ({balance} of them business calls), {errors} errors, in {:.1} s", store.name, started.elapsed().as_secs_f64());
        assert_eq!(errors, 0, "{}: {text}", store.name);
        assert!(ok >= 200 && balance >= 16, "{}: {ok} calls, {balance} business calls", store.name);
    }
}
