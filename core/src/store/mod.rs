//! Where payments live. One `Store` contract; one file per backend.
//!
//! Every state change is a compare-and-set on `(state, fence)`: a claim raises
//! the fence, and an answer is stored only if the row is still `verifying`
//! under the same fence, so a worker whose lease expired cannot overwrite a
//! newer outcome. Terminal states never change.

mod pool;
pub mod postgres;
pub mod mysql;
pub mod sql;
pub mod sqlite;
mod tls;

use crate::error::Result;
use crate::model::{Gateway, Payment, PaymentState};

/// Where a commit of a payment operation stands, for the power-cut tests'
/// hook (`set_commit_hook`, the `failpoints` feature only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub enum CommitPoint {
    /// About to commit; `synced: false` is a commit a power cut may take back.
    Before { synced: bool },
    /// Committed (and, if `synced`, on disk).
    After { synced: bool },
}

/// Test hook (the `failpoints` feature): `hook` is called before and after
/// every commit of a payment operation in this process, so a test can cut the
/// power at any commit and restart from what was on disk. Set once per process.
#[cfg(feature = "failpoints")]
#[doc(hidden)]
pub fn set_commit_hook(hook: fn(CommitPoint)) {
    let _ = commit_hook::HOOK.set(hook);
}

mod commit_hook {
    #[cfg(feature = "failpoints")]
    pub(super) static HOOK: once_cell::sync::OnceCell<fn(super::CommitPoint)> = once_cell::sync::OnceCell::new();

    #[inline]
    pub(super) fn call(_point: super::CommitPoint) {
        #[cfg(feature = "failpoints")]
        if let Some(hook) = HOOK.get() {
            hook(_point);
        }
    }
}

/// A payment about to be recorded, before the gateway is called.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub id: String,
    pub gateway: Gateway,
    /// The merchant account (`default`: the gateway's own table).
    pub account: String,
    pub invoice_id: String,
    pub amount: u64,
    pub callback_url: String,
    pub request_json: String,
    /// The deadline is this long after creation, on the store's clock.
    pub refund_window_ms: i64,
}

/// What a caller brings to a claim from its callback.
#[derive(Debug, Clone, Default)]
pub struct ClaimInput {
    /// AtiPay's referenceNumber: kept so a recovery can verify again.
    pub verify_key: Option<String>,
    pub trace_number: Option<String>,
    /// The caller's gateway answers for a verify sent under a claim that a
    /// power cut took back (CanPay, Vandar): the store may commit the claim
    /// without a sync of its own. Never for Mupra or AtiPay, which refuse a
    /// second verify without saying whether the first went through.
    pub unsynced: bool,
    /// A callback asks (not recover or reconcile): while the payment is in
    /// its back-off after a "not paid yet" answer, or past its cap of
    /// callback verifies, the claim is `Throttled` instead (see
    /// `CALLBACK_VERIFY_CAP`).
    pub from_callback: bool,
    /// Callback verifies allowed before the deadline (`Config::callback_verify_cap`).
    pub callback_verify_cap: i64,
}

#[derive(Debug, Clone)]
pub enum Claim {
    /// This caller holds the lease under `payment.fence` and must ask the gateway.
    Claimed {
        payment: Payment,
        /// A verify may already have reached the gateway under an earlier
        /// fence (a lease taken over, an answer lost). Once true, always true.
        maybe_verified: bool,
        /// A verify of ours was refused (implies `maybe_verified`): for a
        /// gateway whose verify answers once (Vandar), a further verify can
        /// tell nothing more, so none is sent. Once true, always true.
        verify_refused: bool,
        /// The receipts to verify with (AtiPay's referenceNumber), oldest
        /// first: every one a callback left that the gateway has not yet
        /// disproved, this caller's included (at most `MAX_KEPT_RECEIPTS`).
        receipts: Vec<String>,
    },
    /// A callback found the payment open but in its back-off (or past its cap
    /// of callback verifies), and brought no receipt the gateway was never
    /// asked about: answer from the store, no gateway call.
    Throttled(Payment),
    /// The callback's receipt is new but `MAX_KEPT_RECEIPTS` are kept
    /// already (only while verifies are left in doubt): nothing was changed.
    ReceiptsFull(Payment),
    /// Another worker holds a live lease (verifying, or a create in flight).
    Busy(Payment),
    /// Terminal: replay it.
    Settled(Payment),
    /// No token, and the create's own lease expired: nobody was sent to pay it.
    NotStarted(Payment),
}

/// How many receipts callbacks may leave for a later verify (`offer_receipt`,
/// or a throttled callback). A receipt the gateway refuses is dropped at
/// once; a forger cannot push out a receipt already kept. A callback that
/// finds no room does not leave: it verifies its own receipt in a claim of
/// its own (see `Dargah::callback`).
pub const MAX_RECEIPTS: usize = 4;
/// The most receipts a payment keeps at all: a claim adds its own callback's
/// receipt even when `MAX_RECEIPTS` are kept (it verifies it first, so it is
/// gone again unless that verify ends in doubt); only receipts left in doubt
/// can fill the rest.
pub const MAX_KEPT_RECEIPTS: usize = 2 * MAX_RECEIPTS;
/// How many receipts the gateway refused a payment remembers, so a callback
/// repeating one during a back-off is answered from the store.
pub const MAX_REFUSED_RECEIPTS: usize = 8;
/// After a "not paid yet" answer to a callback's verify, further callbacks
/// are answered from the store for this long (by default; see
/// `Config::callback_backoff_ms`), doubling with every callback verify
/// (`CALLBACK_BACKOFF_MAX_MS` at most): a forger repeating "paid" costs a
/// gateway call per interval, not per request.
pub const CALLBACK_BACKOFF_FIRST_MS: i64 = 2_000;
pub const CALLBACK_BACKOFF_MAX_MS: i64 = 60_000;
/// Callback verifies of one payment before its deadline (by default; see
/// `Config::callback_verify_cap`); after them only
/// reconcile (and recover) ask the gateway, and an AtiPay callback with a
/// receipt the gateway was never asked about (it verifies it itself).
pub const CALLBACK_VERIFY_CAP: i64 = 6;
/// The longest unverified trace number kept from a browser (digits only).
pub const MAX_TRACE_HINT_LEN: usize = 20;
/// The longest receipt kept (AtiPay's are 50 characters).
pub const MAX_RECEIPT_LEN: usize = 60;

/// The stored answer of one verification.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    pub state: Option<PaymentState>,
    /// While the store's clock is before the payment's deadline, it stays
    /// open in this state instead of `state`: only the gateway's documented
    /// word closes a payment early, and the deadline is the store's to judge.
    pub open_before_deadline: Option<PaymentState>,
    /// A paid receipt that already paid another payment keeps this one open
    /// (`Finish::ReceiptReused`) instead of sending it to review: the receipt
    /// came from a callback, so it proves only that the callback is forged.
    pub receipt_from_callback: bool,
    /// The receipts still worth trying (the one that paid, or those the
    /// gateway has not disproved); `None` leaves them as they are.
    pub receipts: Option<Vec<String>>,
    /// The receipts the claim was given. A stored receipt not among them came
    /// from a callback while this claim was out: `receipts` says nothing about
    /// it, so it is kept for the next claim.
    pub receipts_known: Vec<String>,
    /// A verify may have reached the gateway and its answer is unknown.
    pub maybe_verified: bool,
    /// The gateway said "not paid yet": callbacks wait out the back-off
    /// before they may ask again (see `CALLBACK_BACKOFF_FIRST_MS`).
    pub not_paid_yet: bool,
    /// The first back-off after "not paid yet" (`Config::callback_backoff_ms`).
    pub backoff_first_ms: i64,
    /// A verify of this resolution was refused (Vandar's once-only verify):
    /// stored as `maybe_verified` too, and no verify of the payment is sent again.
    pub verify_refused: bool,
    pub reference: Option<String>,
    pub trace_number: Option<String>,
    pub masked_card: Option<String>,
    pub verified_amount: Option<u64>,
    pub note: Option<String>,
    /// The gateway's raw answers.
    pub raw: String,
}

#[derive(Debug, Clone)]
pub enum Finish {
    /// Stored; the caller's change took effect. A paid answer takes effect
    /// even under a newer fence while the payment is open: the gateway's
    /// proof of payment is never thrown away.
    Applied(Payment),
    /// The fence moved on and the answer does not prove payment: it was
    /// recorded in the history, and the current row is returned.
    Stale(Payment),
    /// The callback's receipt already paid another payment; this one stays open.
    ReceiptReused(Payment),
}

impl Finish {
    /// The payment as stored after this answer, whatever came of it.
    pub fn payment(&self) -> &Payment {
        let (Finish::Applied(p) | Finish::Stale(p) | Finish::ReceiptReused(p)) = self;
        p
    }
}

/// A persisted access/refresh token pair (Vandar's rotate on every refresh).
#[derive(Clone)]
pub struct TokenPair {
    pub access_token: crate::Secret,
    pub refresh_token: crate::Secret,
    /// Unix milliseconds on the store's clock; `None` when unknown (a pair
    /// seeded from a config that does not say when its access token expires).
    pub expires_at: Option<i64>,
    /// Rises by one with every stored rotation. A caller refused with this
    /// pair refreshes only while it is still the stored generation.
    pub generation: i64,
    /// Stored in clear by a version before tokens were encrypted (marked by
    /// schema migration 7): the only pair whose clear values are read, once,
    /// to be stored again encrypted. Every stored rotation clears it.
    pub legacy_clear: bool,
    /// The store's clock when this was read (Unix milliseconds): compare
    /// `expires_at` with this, never with a host's clock.
    pub read_at: i64,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires_at", &self.expires_at)
            .field("generation", &self.generation)
            .field("legacy_clear", &self.legacy_clear)
            .field("read_at", &self.read_at)
            .finish_non_exhaustive()
    }
}

/// The answer to "may I refresh generation G?".
#[derive(Debug, Clone)]
pub enum RefreshClaim {
    /// This caller holds the refresh lease under `fence`: spend
    /// `pair.refresh_token`, then store the new pair under the same fence.
    Claimed { fence: i64, pair: TokenPair },
    /// The stored pair is already past the generation asked about: use it.
    Rotated(TokenPair),
    /// Another caller holds a live lease on this generation: wait for its
    /// pair (at most `lease_left_ms`, on the store's clock).
    Busy { pair: TokenPair, lease_left_ms: i64 },
}

/// Where an idempotent money-moving call stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// First time (or the last try was refused outright): go ahead and send it.
    Proceed,
    /// Sent before and answered: here is the stored answer (JSON).
    Done(String),
    /// Sent before, and whether it went through is unknown (or it is being sent right now).
    InDoubt,
}

/// The contract every backend keeps. Every time a payment method stamps or
/// compares (leases, deadlines, ages) is read from the store's own clock —
/// the database server's for PostgreSQL and MySQL — never the caller's.
pub trait Store: Send + Sync {
    /// The store's clock, in Unix milliseconds.
    fn now(&self) -> Result<i64>;
    /// Record a payment, with a create lease of `lease_ms` so no reconciler
    /// touches it while its create is in flight. The invoice id is unique per
    /// gateway: `DuplicateInvoice` otherwise.
    fn insert(&self, payment: &NewPayment, lease_ms: i64) -> Result<()>;
    /// The gateway gave a token: `created` → `awaiting`.
    fn attach_token(&self, id: &str, token: &str, redirect_json: &str) -> Result<Payment>;
    /// The gateway definitively refused the create: forget the row so the invoice id can be used again.
    fn discard_created(&self, id: &str) -> Result<()>;
    /// The create's answer is unknown, or it was abandoned: close the row
    /// (nobody was sent to pay it). With `abandoned_only`, only once its
    /// create lease has expired. True if this call closed it.
    fn fail_created(&self, id: &str, note: &str, abandoned_only: bool) -> Result<bool>;
    fn get(&self, id: &str) -> Result<Option<Payment>>;
    fn find_by_token(&self, gateway: Gateway, token: &str) -> Result<Option<Payment>>;
    fn find_by_invoice(&self, gateway: Gateway, invoice_id: &str) -> Result<Option<Payment>>;
    /// The paid payment of this merchant account that this gateway receipt
    /// credited, if any (another account's references are its own).
    fn find_paid_by_reference(&self, gateway: Gateway, account: &str, reference: &str) -> Result<Option<Payment>>;
    /// The redirect stored at create time (JSON).
    fn redirect_json(&self, id: &str) -> Result<Option<String>>;
    /// Take the lease atomically (across threads and processes).
    fn claim(&self, id: &str, input: &ClaimInput, lease_ms: i64) -> Result<Claim>;
    /// Store the answer and the raw gateway text in one transaction, if the
    /// fence still holds (or the answer proves payment; see `Finish`). A paid
    /// resolution whose receipt already paid another payment becomes
    /// `NeedsReview`, or `ReceiptReused` for a receipt from a callback.
    fn finish(&self, id: &str, fence: i64, resolution: &Resolution) -> Result<Finish>;
    /// Add an entry to a payment's history without changing it (a refused
    /// callback, a mismatch worth a person's eyes).
    fn record_event(&self, id: &str, label: &str, raw: &str) -> Result<()>;
    /// Paid payments the shop has not acknowledged yet (the outbox).
    fn unacknowledged(&self, limit: usize) -> Result<Vec<Payment>>;
    /// Mark a paid payment fulfilled. True if this call acknowledged it.
    fn acknowledge(&self, id: &str) -> Result<bool>;
    /// In-doubt rows, and rows whose verify or create lease expired.
    fn recoverable(&self, limit: usize) -> Result<Vec<Payment>>;
    /// What a reconciliation pass looks at, most urgent deadline first:
    /// awaiting payments untouched for `min_age_ms` (or past their deadline),
    /// in-doubt rows, and rows whose verify or create lease expired.
    fn reconcilable(&self, min_age_ms: i64, limit: usize) -> Result<Vec<Payment>>;
    /// The receipts callbacks left (AtiPay's referenceNumber) not yet disproved.
    fn receipts(&self, id: &str) -> Result<Vec<String>>;
    /// Keep a callback's receipt for the next claim (one that found another
    /// worker verifying), if it is new, there is room (`MAX_RECEIPTS`), and
    /// the payment is open. True if it is kept now (or was already); false
    /// if the callback must verify it itself.
    fn offer_receipt(&self, id: &str, receipt: &str) -> Result<bool>;
    /// Take a rate-limit slot in `bucket` (at most `limit` per `window_ms`,
    /// shared by every process on this store, on the store's clock). `None`:
    /// taken; `Some(ms)`: full, try again in `ms`.
    fn rate_acquire(&self, bucket: &str, limit: u32, window_ms: i64) -> Result<Option<i64>>;

    /// The stored pair, with the store's clock at the read.
    fn token_pair(&self, name: &str) -> Result<Option<TokenPair>>;
    /// Store the configured pair (generation 0) unless one is stored already
    /// (a stored pair is newer: it rotated). `expires_at` (Unix ms) also fills
    /// in the expiry of a stored generation-0 pair with the same access token
    /// that had none.
    fn seed_token_pair(&self, name: &str, access_token: &crate::Secret, refresh_token: &crate::Secret, expires_at: Option<i64>) -> Result<()>;
    /// Become the one caller refreshing generation `generation` of `name` for
    /// `lease_ms` on the store's clock, raising the refresh fence.
    fn claim_token_refresh(&self, name: &str, generation: i64, lease_ms: i64) -> Result<RefreshClaim>;
    /// Store a rotated pair, only if the refresh fence is still `fence` (no
    /// one took the lease over since): `false` if fenced out. The expiry is
    /// the store's clock at the claim plus `expires_in_secs`, so it is never
    /// later than the gateway's own. Raises the generation and ends the lease.
    fn store_token_pair(&self, name: &str, fence: i64, access_token: &crate::Secret, refresh_token: &crate::Secret, expires_in_secs: Option<i64>) -> Result<bool>;
    /// Give the lease up (the refresh failed), if it is still held under `fence`.
    fn release_token_refresh(&self, name: &str, fence: i64) -> Result<()>;

    /// Record an idempotent call before it is sent. The same key with a
    /// different operation or request is `invalid_input`.
    fn idempotency_begin(&self, key: &str, operation: &str, request_hash: &str) -> Result<IdempotencyBegin>;
    /// Record how it ended: `Some(answer)` done, `None` refused outright (may be retried).
    fn idempotency_finish(&self, key: &str, answer: Option<&str>) -> Result<()>;
    /// The answer never came (timeout, reset): a retry must not send it again.
    fn idempotency_in_doubt(&self, key: &str) -> Result<()>;

    /// The schema version the database is at (migrations are applied on open).
    fn schema_version(&self) -> Result<i64>;

    /// Newest first.
    fn list(&self, state: Option<PaymentState>, limit: usize, offset: usize) -> Result<Vec<Payment>>;
    /// The raw gateway answers stored for a payment, oldest first: (at, fence, state, raw).
    fn events(&self, id: &str) -> Result<Vec<(i64, i64, String, String)>>;
}

/// Whether a scheme-less store string is libpq's `key=value …` form rather than a file path.
fn is_libpq_key_value(text: &str) -> bool {
    const KEYS: &[&str] = &["host=", "hostaddr=", "port=", "dbname=", "user=", "password=", "sslmode="];
    text.split_whitespace().any(|word| KEYS.iter().any(|key| word.to_ascii_lowercase().starts_with(key)))
}

/// Open the store named by a config's `store` URL: `sqlite:///path`,
/// `postgres://…` or `mysql://…` (MariaDB too); a bare path is SQLite.
/// Tables are named with `prefix` first, for databases shared with a shop.
pub fn open(url: &str, prefix: &str) -> Result<std::sync::Arc<dyn Store>> {
    let scheme = url.split_once("://").map(|(s, _)| s);
    Ok(match scheme {
        Some("sqlite") => std::sync::Arc::new(sqlite::open(&url["sqlite://".len()..], prefix)?),
        // Without a scheme a string is a SQLite path: a libpq key-value string would become a
        // local file named after the password, each web server with its own. Refused instead
        // (without echoing it: it holds the password).
        None if is_libpq_key_value(url) => {
            return Err(crate::Error::config("the store is libpq's key-value form (host=… dbname=…), which is not taken: write it as a URL, postgres://user:password@host1:5432,host2:5432/db?target_session_attrs=read-write"))
        }
        None => std::sync::Arc::new(sqlite::open(url, prefix)?),
        Some("postgres") | Some("postgresql") => std::sync::Arc::new(postgres::open(url, prefix)?),
        Some("mysql") | Some("mariadb") => std::sync::Arc::new(mysql::open(url, prefix)?),
        // The URL may hold a password: name only its scheme.
        Some(other) => return Err(crate::Error::config(format!("unsupported store URL scheme {}; use sqlite://, postgres:// or mysql://", crate::error::quoted(other)))),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_libpq_key_value_string_is_refused_not_opened_as_a_sqlite_file() {
        let key_value = "host=db1,db2 user=shop password=S3cr3t dbname=d target_session_attrs=read-write";
        let e = super::open(key_value, "").err().expect("refused");
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert!(!e.to_string().contains("S3cr3t"), "{e}");
        assert!(!std::path::Path::new(key_value).exists(), "no SQLite file was made");
        assert!(super::is_libpq_key_value("dbname=d"));
        assert!(!super::is_libpq_key_value("/var/lib/shop/dargah.db"));
        assert!(!super::is_libpq_key_value("/var/lib/my shop/dargah.db"));
    }
}
