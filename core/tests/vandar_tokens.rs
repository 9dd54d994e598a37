//! Vandar's rotating business token pair in the store (issue 24 item 6): a
//! rotated pair survives a store that fails just after the old refresh token
//! was spent; `token_encryption_key` rotates through a list; a clear value is
//! read only from a row an earlier version wrote in clear. On every store.

mod support;

use dargah_core::store::{self, Claim, ClaimInput, Finish, IdempotencyBegin, NewPayment, RefreshClaim, Resolution, Store, TokenPair};
use dargah_core::{Dargah, ErrorKind, Gateway, Payment, PaymentState, Result, Secret};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::databases;
use support::sandbox::World;

/// The row the sandbox shop's Vandar business pair is stored under.
const PAIR: &str = "vandar:sandbox-shop";
const KEY: &str = "the first token key, long enough 0123456789";
const NEW_KEY: &str = "a rotated-in token key, long enough 98765";

/// SQLite in `dir`, and the PostgreSQL and MariaDB servers: (name, store URL, table prefix).
fn stores(dir: &std::path::Path, tag: &str) -> Vec<(&'static str, String, String)> {
    let mut all = vec![("sqlite", format!("sqlite://{}/{tag}.db", dir.display()), String::new())];
    if let Some(url) = databases::url("DARGAH_TEST_POSTGRES_URL") {
        all.push(("postgres", url, databases::unique_prefix(tag)));
    }
    if let Some(url) = databases::url("DARGAH_TEST_MYSQL_URL") {
        all.push(("mariadb", url, databases::unique_prefix(tag)));
    }
    all
}

fn config(world: &World, url: &str, prefix: &str, keys: Value) -> Config {
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["store"] = json!(url);
    config["table_prefix"] = json!(prefix);
    config["token_encryption_key"] = keys;
    Config(config)
}

struct Config(Value);

impl Config {
    fn client(&self) -> Dargah {
        Dargah::from_json(&self.0.to_string()).unwrap()
    }
}

/// A real store whose `store_token_pair` fails the next `failures` times, as
/// a database that goes away at that moment does.
struct FailingStore {
    inner: Arc<dyn Store>,
    failures: AtomicUsize,
}

impl Store for FailingStore {
    fn store_token_pair(&self, name: &str, fence: i64, access: &Secret, refresh: &Secret, expires_in_secs: Option<i64>) -> Result<bool> {
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(dargah_core::Error::store("the database went away while storing the token pair"));
        }
        self.inner.store_token_pair(name, fence, access, refresh, expires_in_secs)
    }
    fn now(&self) -> Result<i64> {
        self.inner.now()
    }
    fn insert(&self, p: &NewPayment, lease_ms: i64) -> Result<()> {
        self.inner.insert(p, lease_ms)
    }
    fn attach_token(&self, id: &str, token: &str, redirect_json: &str) -> Result<Payment> {
        self.inner.attach_token(id, token, redirect_json)
    }
    fn discard_created(&self, id: &str) -> Result<()> {
        self.inner.discard_created(id)
    }
    fn fail_created(&self, id: &str, note: &str, abandoned_only: bool) -> Result<bool> {
        self.inner.fail_created(id, note, abandoned_only)
    }
    fn get(&self, id: &str) -> Result<Option<Payment>> {
        self.inner.get(id)
    }
    fn find_by_token(&self, gateway: Gateway, token: &str) -> Result<Option<Payment>> {
        self.inner.find_by_token(gateway, token)
    }
    fn find_by_invoice(&self, gateway: Gateway, invoice_id: &str) -> Result<Option<Payment>> {
        self.inner.find_by_invoice(gateway, invoice_id)
    }
    fn find_paid_by_reference(&self, gateway: Gateway, account: &str, reference: &str) -> Result<Option<Payment>> {
        self.inner.find_paid_by_reference(gateway, account, reference)
    }
    fn redirect_json(&self, id: &str) -> Result<Option<String>> {
        self.inner.redirect_json(id)
    }
    fn claim(&self, id: &str, input: &ClaimInput, lease_ms: i64) -> Result<Claim> {
        self.inner.claim(id, input, lease_ms)
    }
    fn finish(&self, id: &str, fence: i64, resolution: &Resolution) -> Result<Finish> {
        self.inner.finish(id, fence, resolution)
    }
    fn record_event(&self, id: &str, label: &str, raw: &str) -> Result<()> {
        self.inner.record_event(id, label, raw)
    }
    fn unacknowledged(&self, limit: usize) -> Result<Vec<Payment>> {
        self.inner.unacknowledged(limit)
    }
    fn acknowledge(&self, id: &str) -> Result<bool> {
        self.inner.acknowledge(id)
    }
    fn recoverable(&self, limit: usize) -> Result<Vec<Payment>> {
        self.inner.recoverable(limit)
    }
    fn reconcilable(&self, min_age_ms: i64, limit: usize) -> Result<Vec<Payment>> {
        self.inner.reconcilable(min_age_ms, limit)
    }
    fn receipts(&self, id: &str) -> Result<Vec<String>> {
        self.inner.receipts(id)
    }
    fn offer_receipt(&self, id: &str, receipt: &str) -> Result<bool> {
        self.inner.offer_receipt(id, receipt)
    }
    fn rate_acquire(&self, bucket: &str, limit: u32, window_ms: i64) -> Result<Option<i64>> {
        self.inner.rate_acquire(bucket, limit, window_ms)
    }
    fn token_pair(&self, name: &str) -> Result<Option<TokenPair>> {
        self.inner.token_pair(name)
    }
    fn seed_token_pair(&self, name: &str, access: &Secret, refresh: &Secret, expires_at: Option<i64>) -> Result<()> {
        self.inner.seed_token_pair(name, access, refresh, expires_at)
    }
    fn claim_token_refresh(&self, name: &str, generation: i64, lease_ms: i64) -> Result<RefreshClaim> {
        self.inner.claim_token_refresh(name, generation, lease_ms)
    }
    fn release_token_refresh(&self, name: &str, fence: i64) -> Result<()> {
        self.inner.release_token_refresh(name, fence)
    }
    fn idempotency_begin(&self, key: &str, operation: &str, request_hash: &str) -> Result<IdempotencyBegin> {
        self.inner.idempotency_begin(key, operation, request_hash)
    }
    fn idempotency_finish(&self, key: &str, answer: Option<&str>) -> Result<()> {
        self.inner.idempotency_finish(key, answer)
    }
    fn idempotency_in_doubt(&self, key: &str) -> Result<()> {
        self.inner.idempotency_in_doubt(key)
    }
    fn schema_version(&self) -> Result<i64> {
        self.inner.schema_version()
    }
    fn list(&self, state: Option<PaymentState>, limit: usize, offset: usize) -> Result<Vec<Payment>> {
        self.inner.list(state, limit, offset)
    }
    fn events(&self, id: &str) -> Result<Vec<(i64, i64, String, String)>> {
        self.inner.events(id)
    }
}

fn system_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The pair is refreshed (its configured expiry has passed), Vandar rotates
/// it — the old refresh token is spent — and the store fails to take the new
/// pair. The call goes on with the new pair, the next call stores it first,
/// and no second refresh spends the old token again (the sandbox, like
/// Vandar, refuses a spent refresh token).
#[test]
fn a_rotated_vandar_pair_is_not_lost_when_storing_it_fails_after_the_old_refresh_token_was_spent() {
    let dir = tempfile::tempdir().unwrap();
    for (name, url, prefix) in stores(dir.path(), "rotated") {
        // A sandbox of its own: the configured refresh token is spent once per store.
        let world = World::start();
        let before = world.calls("vandar.refreshtoken");
        let mut config = config(&world, &url, &prefix, json!(KEY));
        config.0["vandar"]["access_token_expires_at"] = json!(system_secs() - 60);
        config.0["http"]["request_timeout_ms"] = json!(2_000);
        let parsed = dargah_core::Config::from_json(&config.0.to_string()).unwrap();
        let failing = Arc::new(FailingStore { inner: store::open(&url, &prefix).unwrap(), failures: AtomicUsize::new(1) });
        let dargah = Dargah::with_store(parsed, failing.clone()).unwrap();

        dargah.vandar_balance().unwrap_or_else(|e| panic!("{name}: the call goes on with the new pair: {e}"));
        assert_eq!(failing.failures.load(Ordering::SeqCst), 0, "{name}: the store failed at that moment");
        assert_eq!(world.calls("vandar.refreshtoken") - before, 1, "{name}");
        assert_eq!(failing.token_pair(PAIR).unwrap().unwrap().generation, 0, "{name}: not stored yet");

        // A client of this process on another store (and another Vandar) with a pair of
        // the same name: the kept pair is not its own, and it is neither stored there nor used.
        let elsewhere = World::start();
        let elsewhere_url = format!("sqlite://{}/{name}-elsewhere.db", dir.path().display());
        self::config(&elsewhere, &elsewhere_url, "", json!(KEY)).client().vandar_balance().unwrap_or_else(|e| panic!("{name}: a client on another store: {e}"));
        assert_eq!(elsewhere.calls("vandar.refreshtoken"), 0, "{name}: the other store's pair needed no refresh");

        dargah.vandar_balance().unwrap_or_else(|e| panic!("{name}: the kept pair is stored and used: {e}"));
        let stored = failing.token_pair(PAIR).unwrap().unwrap();
        assert_eq!(stored.generation, 1, "{name}: the rotated pair is stored");
        assert!(stored.expires_at.is_some_and(|at| at > stored.read_at), "{name}: with its expiry");
        assert_eq!(world.calls("vandar.refreshtoken") - before, 1, "{name}: no second refresh spent the old token");
        // Another client of the same store (another worker) uses the stored pair.
        let other = config.client();
        other.vandar_balance().unwrap_or_else(|e| panic!("{name}: another worker: {e}"));
        assert_eq!(world.calls("vandar.refreshtoken") - before, 1, "{name}");
    }
}

/// A list rotates `token_encryption_key`: with the new key first and the old
/// one after it, the stored pair (under the old key) is read and stored
/// again under the new one; then the new key alone reads it, and the old one
/// alone no longer does.
#[test]
fn rotating_token_encryption_key_keeps_the_stored_pair_and_rewrites_it_under_the_first_key() {
    let world = World::start();
    for (name, url, prefix) in stores(world.dir.path(), "keys") {
        config(&world, &url, &prefix, json!(KEY)).client().vandar_balance().unwrap();
        let under_old = config(&world, &url, &prefix, json!(KEY)).client().store().token_pair(PAIR).unwrap().unwrap();

        let rotating = config(&world, &url, &prefix, json!([NEW_KEY, KEY])).client();
        rotating.vandar_balance().unwrap_or_else(|e| panic!("{name}: the old key still decrypts: {e}"));
        let under_new = rotating.store().token_pair(PAIR).unwrap().unwrap();
        assert_ne!(under_new.access_token, under_old.access_token, "{name}: stored again");
        assert_eq!(under_new.generation, under_old.generation + 1, "{name}: the same tokens, stored as a rotation is");

        config(&world, &url, &prefix, json!([NEW_KEY])).client().vandar_balance().unwrap_or_else(|e| panic!("{name}: the new key alone: {e}"));
        let e = config(&world, &url, &prefix, json!(KEY)).client().vandar_balance().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{name}");
        assert!(e.message().contains("token_encryption_key") && !e.message().contains(KEY), "{name}: {}", e.message());
        assert_eq!(world.calls("vandar.refreshtoken"), 0, "{name}: no refresh, the same tokens");
    }
}

/// A token row written after the upgrade holds encrypted values only: a
/// clear one there (an altered row) is refused, and never sent to Vandar.
#[test]
fn a_clear_token_in_a_row_not_left_by_an_older_version_is_refused_not_sent() {
    let world = World::start();
    for (name, url, prefix) in stores(world.dir.path(), "clear") {
        let dargah = config(&world, &url, &prefix, json!(KEY)).client();
        dargah.store().seed_token_pair(PAIR, &Secret::new("INJECTED-access"), &Secret::new("INJECTED-refresh"), None).unwrap();
        let business = world.calls("vandar.business");
        let e = dargah.vandar_balance().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{name}");
        assert!(e.message().contains("not encrypted") && !e.message().contains("INJECTED"), "{name}: {}", e.message());
        assert_eq!(world.calls("vandar.business"), business, "{name}: nothing was sent with it");
    }
}
