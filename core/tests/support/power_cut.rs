//! A store that loses what a power cut loses. It wraps a real store and
//! keeps its durable prefix: on SQLite a copy of the database taken after
//! every commit that syncs (every write but a claim committed without a sync
//! of its own, `ClaimInput::unsynced`; a later sync makes earlier commits
//! durable too, as SQLite's WAL does); on PostgreSQL and MariaDB every
//! commit is durable, so the server itself is the prefix. `cut_before_finish`
//! cuts the power just before the next answer is stored: the gateway has
//! been asked, nothing after that reaches the disk, and `reboot` comes back
//! from the durable prefix alone.

use dargah_core::model::{Gateway, Payment, PaymentState};
use dargah_core::store::{self, Claim, ClaimInput, Finish, IdempotencyBegin, NewPayment, RefreshClaim, Resolution, Store, TokenPair};
use dargah_core::{Error, Result, Secret};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

pub struct PowerCut {
    inner: Arc<dyn Store>,
    url: String,
    prefix: String,
    /// SQLite: the database file and its durable copy.
    sqlite: Option<(String, String)>,
    cut_before_finish: AtomicBool,
    off: AtomicBool,
    reboots: AtomicU32,
}

impl PowerCut {
    pub fn open(url: &str, prefix: &str) -> Arc<PowerCut> {
        let inner = store::open(url, prefix).unwrap();
        let sqlite = url.strip_prefix("sqlite://").map(|path| (path.to_string(), format!("{path}.durable")));
        let store = PowerCut { inner, url: url.to_string(), prefix: prefix.to_string(), sqlite, cut_before_finish: AtomicBool::new(false), off: AtomicBool::new(false), reboots: AtomicU32::new(0) };
        store.synced();
        Arc::new(store)
    }

    /// The power goes off just before the next answer is stored.
    pub fn cut_before_finish(&self) {
        self.cut_before_finish.store(true, Ordering::SeqCst);
    }

    /// The machine back up with only what was durable when the power went off.
    pub fn reboot(&self) -> Arc<PowerCut> {
        let url = match &self.sqlite {
            Some((path, durable)) => {
                let n = self.reboots.fetch_add(1, Ordering::SeqCst);
                let rebooted = format!("{path}.r{n}");
                std::fs::copy(durable, &rebooted).unwrap();
                format!("sqlite://{rebooted}")
            }
            None => self.url.clone(),
        };
        PowerCut::open(&url, &self.prefix)
    }

    /// Everything committed so far is on disk now.
    fn synced(&self) {
        if let (Some((path, durable)), false) = (&self.sqlite, self.off.load(Ordering::SeqCst)) {
            let next = format!("{durable}.next");
            let _ = std::fs::remove_file(&next);
            rusqlite::Connection::open(path).unwrap().execute(&format!("VACUUM INTO '{next}'"), []).unwrap();
            std::fs::rename(&next, durable).unwrap();
        }
    }

    /// After the cut this process is gone: not a store that may come back
    /// (which the engine waits for), so nothing it does afterwards counts.
    fn powered(&self) -> Result<()> {
        match self.off.load(Ordering::SeqCst) {
            true => Err(Error::internal("the power is off")),
            false => Ok(()),
        }
    }

    /// A write that syncs: done, then durable.
    fn write<T>(&self, f: impl FnOnce(&dyn Store) -> Result<T>) -> Result<T> {
        self.powered()?;
        let value = f(self.inner.as_ref());
        self.synced();
        value
    }
}

impl Store for PowerCut {
    fn now(&self) -> Result<i64> {
        self.powered()?;
        self.inner.now()
    }
    fn insert(&self, payment: &NewPayment, lease_ms: i64) -> Result<()> {
        self.write(|s| s.insert(payment, lease_ms))
    }
    fn attach_token(&self, id: &str, token: &str, redirect_json: &str) -> Result<Payment> {
        self.write(|s| s.attach_token(id, token, redirect_json))
    }
    fn discard_created(&self, id: &str) -> Result<()> {
        self.write(|s| s.discard_created(id))
    }
    fn fail_created(&self, id: &str, note: &str, abandoned_only: bool) -> Result<bool> {
        self.write(|s| s.fail_created(id, note, abandoned_only))
    }
    fn get(&self, id: &str) -> Result<Option<Payment>> {
        self.powered()?;
        self.inner.get(id)
    }
    fn find_by_token(&self, gateway: Gateway, token: &str) -> Result<Option<Payment>> {
        self.powered()?;
        self.inner.find_by_token(gateway, token)
    }
    fn find_by_invoice(&self, gateway: Gateway, invoice_id: &str) -> Result<Option<Payment>> {
        self.powered()?;
        self.inner.find_by_invoice(gateway, invoice_id)
    }
    fn find_paid_by_reference(&self, gateway: Gateway, account: &str, reference: &str) -> Result<Option<Payment>> {
        self.powered()?;
        self.inner.find_paid_by_reference(gateway, account, reference)
    }
    fn redirect_json(&self, id: &str) -> Result<Option<String>> {
        self.powered()?;
        self.inner.redirect_json(id)
    }
    fn claim(&self, id: &str, input: &ClaimInput, lease_ms: i64) -> Result<Claim> {
        // The store's own rule (store/sql.rs `claim`): such a claim is committed without a sync.
        let unsynced = input.unsynced && input.verify_key.is_none() && input.trace_number.is_none();
        if unsynced && self.sqlite.is_some() {
            self.powered()?;
            return self.inner.claim(id, input, lease_ms);
        }
        self.write(|s| s.claim(id, input, lease_ms))
    }
    fn finish(&self, id: &str, fence: i64, resolution: &Resolution) -> Result<Finish> {
        if self.cut_before_finish.swap(false, Ordering::SeqCst) {
            self.off.store(true, Ordering::SeqCst);
        }
        self.write(|s| s.finish(id, fence, resolution))
    }
    fn record_event(&self, id: &str, label: &str, raw: &str) -> Result<()> {
        self.write(|s| s.record_event(id, label, raw))
    }
    fn unacknowledged(&self, limit: usize) -> Result<Vec<Payment>> {
        self.powered()?;
        self.inner.unacknowledged(limit)
    }
    fn acknowledge(&self, id: &str) -> Result<bool> {
        self.write(|s| s.acknowledge(id))
    }
    fn recoverable(&self, limit: usize) -> Result<Vec<Payment>> {
        self.powered()?;
        self.inner.recoverable(limit)
    }
    fn reconcilable(&self, min_age_ms: i64, limit: usize) -> Result<Vec<Payment>> {
        self.powered()?;
        self.inner.reconcilable(min_age_ms, limit)
    }
    fn receipts(&self, id: &str) -> Result<Vec<String>> {
        self.powered()?;
        self.inner.receipts(id)
    }
    fn offer_receipt(&self, id: &str, receipt: &str) -> Result<()> {
        self.write(|s| s.offer_receipt(id, receipt))
    }
    fn rate_acquire(&self, bucket: &str, limit: u32, window_ms: i64) -> Result<Option<i64>> {
        self.write(|s| s.rate_acquire(bucket, limit, window_ms))
    }
    fn token_pair(&self, name: &str) -> Result<Option<TokenPair>> {
        self.powered()?;
        self.inner.token_pair(name)
    }
    fn seed_token_pair(&self, name: &str, access_token: &Secret, refresh_token: &Secret, expires_at: Option<i64>) -> Result<()> {
        self.write(|s| s.seed_token_pair(name, access_token, refresh_token, expires_at))
    }
    fn claim_token_refresh(&self, name: &str, generation: i64, lease_ms: i64) -> Result<RefreshClaim> {
        self.write(|s| s.claim_token_refresh(name, generation, lease_ms))
    }
    fn store_token_pair(&self, name: &str, fence: i64, access_token: &Secret, refresh_token: &Secret, expires_in_secs: Option<i64>) -> Result<bool> {
        self.write(|s| s.store_token_pair(name, fence, access_token, refresh_token, expires_in_secs))
    }
    fn release_token_refresh(&self, name: &str, fence: i64) -> Result<()> {
        self.write(|s| s.release_token_refresh(name, fence))
    }
    fn idempotency_begin(&self, key: &str, operation: &str, request_hash: &str) -> Result<IdempotencyBegin> {
        self.write(|s| s.idempotency_begin(key, operation, request_hash))
    }
    fn idempotency_finish(&self, key: &str, answer: Option<&str>) -> Result<()> {
        self.write(|s| s.idempotency_finish(key, answer))
    }
    fn idempotency_in_doubt(&self, key: &str) -> Result<()> {
        self.write(|s| s.idempotency_in_doubt(key))
    }
    fn schema_version(&self) -> Result<i64> {
        self.powered()?;
        self.inner.schema_version()
    }
    fn list(&self, state: Option<PaymentState>, limit: usize, offset: usize) -> Result<Vec<Payment>> {
        self.powered()?;
        self.inner.list(state, limit, offset)
    }
    fn events(&self, id: &str) -> Result<Vec<(i64, i64, String, String)>> {
        self.powered()?;
        self.inner.events(id)
    }
}
