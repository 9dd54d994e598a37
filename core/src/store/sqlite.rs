//! The embedded SQLite store: one file, WAL, and every write transaction
//! `BEGIN IMMEDIATE` with a busy timeout, so that across threads and processes
//! exactly one caller wins a claim.

use super::{Claim, ClaimInput, Finish, IdempotencyBegin, NewPayment, Resolution, Store, TokenPair};
use crate::config::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::http::ProcessLocal;
use crate::model::{Gateway, Payment, PaymentState};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use std::sync::Mutex;
use std::time::Duration;

const SCHEMA_VERSION: i64 = 2;

/// Each migration takes the schema from version N to N+1; index N-1 here.
const MIGRATIONS: &[&str] = &[SCHEMA_V1, SCHEMA_V2];

const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS payments (
    id              TEXT PRIMARY KEY,
    gateway         TEXT NOT NULL,
    invoice_id      TEXT NOT NULL,
    amount          INTEGER NOT NULL,
    callback_url    TEXT NOT NULL,
    request         TEXT NOT NULL,
    token           TEXT,
    redirect        TEXT,
    state           TEXT NOT NULL,
    fence           INTEGER NOT NULL DEFAULT 0,
    lease_until     INTEGER,
    verify_key      TEXT,
    reference       TEXT,
    trace_number    TEXT,
    masked_card     TEXT,
    verified_amount INTEGER,
    note            TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    deadline_at     INTEGER NOT NULL,
    paid_at         INTEGER,
    acknowledged_at INTEGER,
    UNIQUE (gateway, invoice_id),
    UNIQUE (gateway, token)
);
CREATE INDEX IF NOT EXISTS payments_by_state ON payments (state, deadline_at);
CREATE INDEX IF NOT EXISTS payments_by_reference ON payments (gateway, reference);
CREATE TABLE IF NOT EXISTS payment_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    at         INTEGER NOT NULL,
    fence      INTEGER NOT NULL,
    state      TEXT NOT NULL,
    raw        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payment_events_by_payment ON payment_events (payment_id, seq);
";

/// Business APIs: shared rate-limit windows, rotating token pairs, idempotent money moves.
const SCHEMA_V2: &str = "
CREATE TABLE IF NOT EXISTS rate_events (
    bucket TEXT NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_by_bucket ON rate_events (bucket, at);
CREATE TABLE IF NOT EXISTS token_pairs (
    name             TEXT PRIMARY KEY,
    access_token     TEXT NOT NULL,
    refresh_token    TEXT NOT NULL,
    expires_at       INTEGER,
    refreshing_until INTEGER,
    updated_at       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    key          TEXT PRIMARY KEY,
    operation    TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state        TEXT NOT NULL,
    answer       TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
";

const COLUMNS: &str = "id, gateway, invoice_id, amount, callback_url, token, state, fence, reference, trace_number, \
                       masked_card, verified_amount, note, created_at, updated_at, deadline_at, paid_at, acknowledged_at, \
                       lease_until, verify_key";

/// Idle connections kept per process; more are opened on demand.
const MAX_IDLE: usize = 8;

pub struct SqliteStore {
    path: String,
    /// Connections belong to the process that opened them (never used across fork).
    idle: ProcessLocal<Mutex<Vec<Connection>>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish()
    }
}

impl SqliteStore {
    /// Open (creating if needed) the database file and apply the schema.
    pub fn open(path: &str) -> Result<SqliteStore> {
        if path.is_empty() {
            return Err(Error::config("sqlite store path is empty"));
        }
        let store = SqliteStore { path: path.to_string(), idle: ProcessLocal::new() };
        let conn = store.connect()?;
        migrate(&conn)?;
        store.put_back(conn);
        Ok(store)
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.path).map_err(|e| Error::store(format!("cannot open sqlite database {}: {e}", self.path)))?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // WAL lets readers go on while one writer commits; FULL makes a commit survive power loss.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(conn)
    }

    fn pool(&self) -> Result<std::sync::Arc<Mutex<Vec<Connection>>>> {
        self.idle.get_or_try_init(|| Ok(Mutex::new(Vec::new())))
    }

    fn put_back(&self, conn: Connection) {
        if let Ok(pool) = self.pool() {
            let mut idle = pool.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
    }

    /// Run `f` on a pooled connection.
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let pooled = self.pool()?.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let result = f(&mut conn);
        // A connection that failed at the store level may be broken; do not pool it.
        if !matches!(&result, Err(e) if e.kind() == ErrorKind::Store) {
            self.put_back(conn);
        }
        result
    }

    /// Run `f` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front.
    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
    }
}

fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Error::store(format!("the database has schema version {version}, newer than this library's {SCHEMA_VERSION}")));
    }
    for (index, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let target = index + 1;
        // Each step and its version bump commit together; a concurrent opener re-checks under the lock.
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {step} PRAGMA user_version = {target}; COMMIT;"))?;
    }
    Ok(())
}

/// A payment row with the columns only the store itself reads.
struct StoredRow {
    payment: Payment,
    lease_until: Option<i64>,
    verify_key: Option<String>,
}

fn payment_from_row(row: &Row<'_>) -> rusqlite::Result<StoredRow> {
    let gateway: String = row.get(1)?;
    let state: String = row.get(6)?;
    let bad = |e: Error| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e));
    let payment = Payment {
        id: row.get(0)?,
        gateway: gateway.parse().map_err(bad)?,
        invoice_id: row.get(2)?,
        amount: row.get::<_, i64>(3)? as u64,
        callback_url: row.get(4)?,
        token: row.get(5)?,
        state: PaymentState::parse(&state).map_err(bad)?,
        fence: row.get(7)?,
        reference: row.get(8)?,
        trace_number: row.get(9)?,
        masked_card: row.get(10)?,
        verified_amount: row.get::<_, Option<i64>>(11)?.map(|a| a as u64),
        note: row.get(12)?,
        created_at: row.get(13)?,
        updated_at: row.get(14)?,
        deadline_at: row.get(15)?,
        paid_at: row.get(16)?,
        acknowledged_at: row.get(17)?,
    };
    Ok(StoredRow { payment, lease_until: row.get(18)?, verify_key: row.get(19)? })
}

fn select_one(conn: &Connection, filter: &str, args: impl rusqlite::Params) -> Result<Option<StoredRow>> {
    Ok(conn.query_row(&format!("SELECT {COLUMNS} FROM payments WHERE {filter}"), args, payment_from_row).optional()?)
}

fn select_many(conn: &Connection, sql_tail: &str, args: impl rusqlite::Params) -> Result<Vec<Payment>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM payments {sql_tail}"))?;
    let rows = stmt.query_map(args, payment_from_row)?;
    rows.map(|r| r.map(|r| r.payment).map_err(Error::from)).collect()
}

fn must_get(conn: &Connection, id: &str) -> Result<Payment> {
    select_one(conn, "id = ?1", [id])?.map(|r| r.payment).ok_or_else(|| Error::new(ErrorKind::UnknownPayment, format!("no payment {id}")))
}

impl Store for SqliteStore {
    fn insert(&self, p: &NewPayment) -> Result<()> {
        self.write(|tx| {
            let result = tx.execute(
                "INSERT INTO payments (id, gateway, invoice_id, amount, callback_url, request, state, created_at, updated_at, deadline_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'created', ?7, ?7, ?8)",
                params![p.id, p.gateway.name(), p.invoice_id, p.amount as i64, p.callback_url, p.request_json, p.created_at, p.deadline_at],
            );
            match result {
                Ok(_) => Ok(()),
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => Err(Error::new(
                    ErrorKind::DuplicateInvoice,
                    format!("invoice {} was already used for a {} payment; use a new invoice id", p.invoice_id, p.gateway),
                )),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn attach_token(&self, id: &str, token: &str, redirect_json: &str, now: i64) -> Result<Payment> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE payments SET token = ?2, redirect = ?3, state = 'awaiting', updated_at = ?4 WHERE id = ?1 AND state = 'created'",
                params![id, token, redirect_json, now],
            );
            match changed {
                Ok(1) => must_get(tx, id),
                Ok(_) => Err(Error::store(format!("payment {id} is no longer in state created"))),
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                    Err(Error::malformed("the gateway returned a token that another payment already has"))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn discard_created(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM payments WHERE id = ?1 AND state = 'created'", [id])?;
            Ok(())
        })
    }

    fn fail_created(&self, id: &str, note: &str, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE payments SET state = 'failed', note = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'created'", params![id, note, now])?;
            Ok(())
        })
    }

    fn get(&self, id: &str) -> Result<Option<Payment>> {
        self.with(|c| Ok(select_one(c, "id = ?1", [id])?.map(|r| r.payment)))
    }

    fn find_by_token(&self, gateway: Gateway, token: &str) -> Result<Option<Payment>> {
        self.with(|c| Ok(select_one(c, "gateway = ?1 AND token = ?2", [gateway.name(), token])?.map(|r| r.payment)))
    }

    fn find_by_invoice(&self, gateway: Gateway, invoice_id: &str) -> Result<Option<Payment>> {
        self.with(|c| Ok(select_one(c, "gateway = ?1 AND invoice_id = ?2", [gateway.name(), invoice_id])?.map(|r| r.payment)))
    }

    fn redirect_json(&self, id: &str) -> Result<Option<String>> {
        self.with(|c| Ok(c.query_row("SELECT redirect FROM payments WHERE id = ?1", [id], |r| r.get(0)).optional()?.flatten()))
    }

    fn claim(&self, id: &str, input: &ClaimInput, now: i64, lease_ms: i64) -> Result<Claim> {
        self.write(|tx| {
            let StoredRow { payment, lease_until, verify_key: stored_key } =
                select_one(tx, "id = ?1", [id])?.ok_or_else(|| Error::new(ErrorKind::UnknownPayment, format!("no payment {id}")))?;
            let lease_live = payment.state == PaymentState::Verifying && lease_until.is_some_and(|l| l > now);
            if payment.state.is_terminal() {
                return Ok(Claim::Settled(payment));
            }
            if payment.state == PaymentState::Created {
                return Ok(Claim::NotStarted(payment));
            }
            if lease_live {
                return Ok(Claim::Busy(payment));
            }
            let maybe_verified = matches!(payment.state, PaymentState::InDoubt | PaymentState::Verifying);
            let verify_key = input.verify_key.clone().or(stored_key);
            tx.execute(
                "UPDATE payments SET state = 'verifying', fence = fence + 1, lease_until = ?2, verify_key = ?3,
                        trace_number = COALESCE(?4, trace_number), updated_at = ?5
                 WHERE id = ?1 AND fence = ?6",
                params![id, now + lease_ms, verify_key, input.trace_number, now, payment.fence],
            )?;
            Ok(Claim::Claimed { payment: must_get(tx, id)?, maybe_verified, verify_key })
        })
    }

    fn finish(&self, id: &str, fence: i64, r: &Resolution, now: i64) -> Result<Finish> {
        self.write(|tx| {
            let current = must_get(tx, id)?;
            if current.state != PaymentState::Verifying || current.fence != fence {
                return Ok(Finish::Stale(current));
            }
            let mut state = r.state.ok_or_else(|| Error::internal("resolution without a state"))?;
            let mut note = r.note.clone();
            if state == PaymentState::Paid {
                // One gateway receipt credits one payment: a replayed receipt is a forgery or a gateway bug.
                if let Some(reference) = &r.reference {
                    let other: Option<String> = tx
                        .query_row(
                            "SELECT id FROM payments WHERE gateway = ?1 AND reference = ?2 AND id <> ?3 AND state = 'paid' LIMIT 1",
                            params![current.gateway.name(), reference, id],
                            |row| row.get(0),
                        )
                        .optional()?;
                    if let Some(other) = other {
                        state = PaymentState::NeedsReview;
                        note = Some(format!("the gateway reference already paid payment {other}"));
                    }
                }
            }
            let paid_at = (state == PaymentState::Paid).then_some(now);
            tx.execute(
                "UPDATE payments SET state = ?3, lease_until = NULL, reference = COALESCE(?4, reference),
                        trace_number = COALESCE(?5, trace_number), masked_card = COALESCE(?6, masked_card),
                        verified_amount = COALESCE(?7, verified_amount), note = ?8, paid_at = COALESCE(?9, paid_at), updated_at = ?10
                 WHERE id = ?1 AND fence = ?2 AND state = 'verifying'",
                params![
                    id,
                    fence,
                    state.name(),
                    r.reference,
                    r.trace_number,
                    r.masked_card,
                    r.verified_amount.map(|a| a as i64),
                    note,
                    paid_at,
                    now
                ],
            )?;
            tx.execute(
                "INSERT INTO payment_events (payment_id, at, fence, state, raw) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, now, fence, state.name(), r.raw],
            )?;
            Ok(Finish::Applied(must_get(tx, id)?))
        })
    }

    fn unacknowledged(&self, limit: usize) -> Result<Vec<Payment>> {
        self.with(|c| select_many(c, "WHERE state = 'paid' AND acknowledged_at IS NULL ORDER BY paid_at LIMIT ?1", [limit as i64]))
    }

    fn acknowledge(&self, id: &str, now: i64) -> Result<bool> {
        self.write(|tx| {
            let payment = must_get(tx, id)?;
            if payment.state != PaymentState::Paid {
                return Err(Error::invalid(format!("payment {id} is {}, not paid; only paid payments are acknowledged", payment.state.name())));
            }
            let changed = tx.execute("UPDATE payments SET acknowledged_at = ?2 WHERE id = ?1 AND acknowledged_at IS NULL", params![id, now])?;
            Ok(changed == 1)
        })
    }

    fn recoverable(&self, now: i64, stale_before: i64, limit: usize) -> Result<Vec<Payment>> {
        self.with(|c| {
            select_many(
                c,
                "WHERE state = 'in_doubt' OR (state = 'verifying' AND lease_until <= ?1) OR (state = 'created' AND updated_at <= ?2)
                 ORDER BY updated_at LIMIT ?3",
                params![now, stale_before, limit as i64],
            )
        })
    }

    fn reconcilable(&self, now: i64, quiet_before: i64, limit: usize) -> Result<Vec<Payment>> {
        self.with(|c| {
            select_many(
                c,
                "WHERE (state = 'awaiting' AND (updated_at <= ?2 OR deadline_at <= ?1))
                    OR state = 'in_doubt'
                    OR (state = 'verifying' AND lease_until <= ?1)
                    OR (state = 'created' AND updated_at <= ?2)
                 ORDER BY deadline_at, id LIMIT ?3",
                params![now, quiet_before, limit as i64],
            )
        })
    }

    fn verify_key(&self, id: &str) -> Result<Option<String>> {
        self.with(|c| Ok(c.query_row("SELECT verify_key FROM payments WHERE id = ?1", [id], |r| r.get(0)).optional()?.flatten()))
    }

    fn rate_acquire(&self, bucket: &str, limit: u32, window_ms: i64, now: i64) -> Result<Option<i64>> {
        self.write(|tx| {
            tx.execute("DELETE FROM rate_events WHERE bucket = ?1 AND at <= ?2", params![bucket, now - window_ms])?;
            let (count, oldest): (i64, Option<i64>) =
                tx.query_row("SELECT COUNT(*), MIN(at) FROM rate_events WHERE bucket = ?1", [bucket], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if count < i64::from(limit) {
                tx.execute("INSERT INTO rate_events (bucket, at) VALUES (?1, ?2)", params![bucket, now])?;
                return Ok(None);
            }
            Ok(Some((oldest.unwrap_or(now) + window_ms - now).max(1)))
        })
    }

    fn token_pair(&self, name: &str) -> Result<Option<TokenPair>> {
        self.with(|c| {
            Ok(c.query_row("SELECT access_token, refresh_token, expires_at FROM token_pairs WHERE name = ?1", [name], |r| {
                Ok(TokenPair { access_token: Secret::new(r.get::<_, String>(0)?), refresh_token: Secret::new(r.get::<_, String>(1)?), expires_at: r.get(2)? })
            })
            .optional()?)
        })
    }

    fn seed_token_pair(&self, name: &str, pair: &TokenPair, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO token_pairs (name, access_token, refresh_token, expires_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![name, pair.access_token.expose(), pair.refresh_token.expose(), pair.expires_at, now],
            )?;
            Ok(())
        })
    }

    fn claim_token_refresh(&self, name: &str, now: i64, lease_ms: i64) -> Result<bool> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE token_pairs SET refreshing_until = ?2 WHERE name = ?1 AND (refreshing_until IS NULL OR refreshing_until <= ?3)",
                params![name, now + lease_ms, now],
            )?;
            Ok(changed == 1)
        })
    }

    fn store_token_pair(&self, name: &str, pair: &TokenPair, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE token_pairs SET access_token = ?2, refresh_token = ?3, expires_at = ?4, refreshing_until = NULL, updated_at = ?5 WHERE name = ?1",
                params![name, pair.access_token.expose(), pair.refresh_token.expose(), pair.expires_at, now],
            )?;
            Ok(())
        })
    }

    fn release_token_refresh(&self, name: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE token_pairs SET refreshing_until = NULL WHERE name = ?1", [name])?;
            Ok(())
        })
    }

    fn idempotency_begin(&self, key: &str, operation: &str, request_hash: &str, now: i64) -> Result<IdempotencyBegin> {
        self.write(|tx| {
            let existing: Option<(String, String, String, Option<String>)> = tx
                .query_row("SELECT operation, request_hash, state, answer FROM idempotency WHERE key = ?1", [key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            match existing {
                None => {
                    tx.execute(
                        "INSERT INTO idempotency (key, operation, request_hash, state, created_at, updated_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
                        params![key, operation, request_hash, now],
                    )?;
                    Ok(IdempotencyBegin::Proceed)
                }
                Some((op, hash, _, _)) if op != operation || hash != request_hash => {
                    Err(Error::invalid(format!("idempotency key {key:?} was already used for a different request")))
                }
                Some((_, _, state, answer)) => match state.as_str() {
                    "done" => Ok(IdempotencyBegin::Done(answer.unwrap_or_default())),
                    "refused" => {
                        tx.execute("UPDATE idempotency SET state = 'pending', updated_at = ?2 WHERE key = ?1", params![key, now])?;
                        Ok(IdempotencyBegin::Proceed)
                    }
                    _ => Ok(IdempotencyBegin::InDoubt),
                },
            }
        })
    }

    fn idempotency_finish(&self, key: &str, answer: Option<&str>, now: i64) -> Result<()> {
        self.write(|tx| {
            let state = if answer.is_some() { "done" } else { "refused" };
            tx.execute("UPDATE idempotency SET state = ?2, answer = ?3, updated_at = ?4 WHERE key = ?1", params![key, state, answer, now])?;
            Ok(())
        })
    }

    fn idempotency_in_doubt(&self, key: &str, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE idempotency SET state = 'in_doubt', updated_at = ?2 WHERE key = ?1", params![key, now])?;
            Ok(())
        })
    }

    fn list(&self, state: Option<PaymentState>, limit: usize, offset: usize) -> Result<Vec<Payment>> {
        self.with(|c| match state {
            Some(s) => select_many(c, "WHERE state = ?1 ORDER BY created_at DESC, id LIMIT ?2 OFFSET ?3", params![s.name(), limit as i64, offset as i64]),
            None => select_many(c, "ORDER BY created_at DESC, id LIMIT ?1 OFFSET ?2", params![limit as i64, offset as i64]),
        })
    }

    fn events(&self, id: &str) -> Result<Vec<(i64, i64, String, String)>> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT at, fence, state, raw FROM payment_events WHERE payment_id = ?1 ORDER BY seq")?;
            let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.map(|r| r.map_err(Error::from)).collect()
        })
    }
}
