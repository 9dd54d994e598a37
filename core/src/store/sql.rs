//! The store logic, written once for every SQL backend.
//!
//! Backends (SQLite, PostgreSQL, MariaDB/MySQL) only run statements and
//! transactions; every decision — who wins a claim, when an answer may be
//! stored, what a repeated idempotency key means — lives here. SQL is written
//! with `?` placeholders, `{p}` for the table prefix and `{lock}` where a
//! row must be locked (`FOR UPDATE`; SQLite locks the whole database in
//! `BEGIN IMMEDIATE` instead).

use super::{Claim, ClaimInput, Finish, IdempotencyBegin, NewPayment, RefreshClaim, Resolution, Store, TokenPair};
use super::pool::{again_if_connection_lost, UnansweredCommit};
use crate::secret::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Gateway, Payment, PaymentState};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use crate::process::ProcessLocal;

/// A value crossing into or out of SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
}

impl From<&str> for Val {
    fn from(s: &str) -> Self {
        Val::Text(s.to_string())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Self {
        Val::Text(s)
    }
}
impl From<&String> for Val {
    fn from(s: &String) -> Self {
        Val::Text(s.clone())
    }
}
impl From<i64> for Val {
    fn from(i: i64) -> Self {
        Val::Int(i)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(o: Option<T>) -> Self {
        o.map(Into::into).unwrap_or(Val::Null)
    }
}

impl Val {
    pub(crate) fn int(&self) -> Result<Option<i64>> {
        match self {
            Val::Null => Ok(None),
            Val::Int(i) => Ok(Some(*i)),
            Val::Text(t) => t.parse().map(Some).map_err(|_| Error::store(format!("expected a number in the store, found {t:?}"))),
        }
    }
    fn text(&self) -> Option<String> {
        match self {
            Val::Null => None,
            Val::Int(i) => Some(i.to_string()),
            Val::Text(t) => Some(t.clone()),
        }
    }
}

/// A statement failed; `unique` tells a unique-constraint violation apart.
#[derive(Debug)]
pub struct SqlError {
    pub unique: bool,
    pub error: Error,
}

impl SqlError {
    /// An error that is not a statement's refusal by a unique key.
    pub(crate) fn other(error: Error) -> SqlError {
        SqlError { unique: false, error }
    }
}

impl From<SqlError> for Error {
    fn from(e: SqlError) -> Self {
        e.error
    }
}

/// One connection (inside a transaction, or not).
pub trait Conn {
    fn exec(&mut self, sql: &str, args: &[Val]) -> std::result::Result<u64, SqlError>;
    fn query(&mut self, sql: &str, args: &[Val]) -> Result<Vec<Vec<Val>>>;
    /// `query` for a statement that writes (`UPDATE … RETURNING`), telling a unique key's refusal apart.
    fn query_writing(&mut self, sql: &str, args: &[Val]) -> std::result::Result<Vec<Vec<Val>>, SqlError> {
        self.query(sql, args).map_err(|error| SqlError { unique: false, error })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

/// What a backend provides.
pub trait Backend: Send + Sync + 'static {
    fn dialect(&self) -> Dialect;
    /// Run `f` in one transaction (retrying it on a deadlock); SQLite takes the write lock up front.
    fn transaction<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T>;
    /// A transaction that a power cut may take back without harm (a claim that
    /// carries nothing only its callback knows, see `claim`): SQLite commits it
    /// without a sync of its own; a database server commits as usual.
    fn transaction_unsynced<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.transaction(f)
    }
    /// Run `f` on a connection outside any explicit transaction.
    fn read<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T>;
}

/// How long a MySQL store's open waits for another process's migration.
const MIGRATION_LOCK_WAIT_SECS: u32 = 60;

/// The schema version this library migrates a store to.
pub const SCHEMA_VERSION: i64 = 8;

/// Migrations, each a list of statements; `{id}` a key column, `{text}` a long
/// text, `{serial}` an auto-increment primary key.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS {p}payments (
        id              {id} PRIMARY KEY,
        gateway         VARCHAR(16) NOT NULL,
        invoice_id      VARCHAR(64) NOT NULL,
        amount          BIGINT NOT NULL,
        callback_url    {text} NOT NULL,
        request         {text} NOT NULL,
        token           {id},
        redirect        {text},
        state           VARCHAR(16) NOT NULL,
        fence           BIGINT NOT NULL DEFAULT 0,
        lease_until     BIGINT,
        verify_key      {id},
        reference       {id},
        trace_number    {id},
        masked_card     VARCHAR(64),
        verified_amount BIGINT,
        note            {text},
        created_at      BIGINT NOT NULL,
        updated_at      BIGINT NOT NULL,
        deadline_at     BIGINT NOT NULL,
        paid_at         BIGINT,
        acknowledged_at BIGINT,
        paid_reference  {id},
        UNIQUE (gateway, invoice_id),
        UNIQUE (gateway, token),
        UNIQUE (gateway, paid_reference)
    );
    CREATE INDEX IF NOT EXISTS {p}payments_by_state ON {p}payments (state, deadline_at);
    CREATE INDEX IF NOT EXISTS {p}payments_by_reference ON {p}payments (gateway, reference);
    CREATE TABLE IF NOT EXISTS {p}payment_events (
        seq        {serial},
        payment_id {id} NOT NULL,
        at         BIGINT NOT NULL,
        fence      BIGINT NOT NULL,
        state      VARCHAR(16) NOT NULL,
        raw        {text} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS {p}payment_events_by_payment ON {p}payment_events (payment_id, seq)",
    // Business APIs: shared rate-limit windows, rotating token pairs, idempotent money moves.
    "CREATE TABLE IF NOT EXISTS {p}rate_buckets (
        bucket {id} PRIMARY KEY
    );
    CREATE TABLE IF NOT EXISTS {p}rate_events (
        seq    {serial},
        bucket {id} NOT NULL,
        at     BIGINT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS {p}rate_events_by_bucket ON {p}rate_events (bucket, at);
    CREATE TABLE IF NOT EXISTS {p}token_pairs (
        name             {id} PRIMARY KEY,
        access_token     {text} NOT NULL,
        refresh_token    {text} NOT NULL,
        expires_at       BIGINT,
        refreshing_until BIGINT,
        updated_at       BIGINT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS {p}idempotency (
        idem_key     {id} PRIMARY KEY,
        operation    VARCHAR(64) NOT NULL,
        request_hash VARCHAR(64) NOT NULL,
        state        VARCHAR(16) NOT NULL,
        answer       {text},
        created_at   BIGINT NOT NULL,
        updated_at   BIGINT NOT NULL
    )",
    // Payments: remember for good that a verify may have reached the gateway.
    "ALTER TABLE {p}payments ADD COLUMN {if_not_exists}maybe_verified BIGINT NOT NULL DEFAULT 0",
    // The business one (issue 12, items 15-18), self-contained: new tables
    // rather than ALTERs, so every statement stays IF NOT EXISTS on all three
    // databases. `rate_windows` keeps each bucket's sliding log in its own
    // row (one row lock per call, no event rows, no gap locks); `tokens`
    // adds the pair's generation and the refresh lease's fence, and takes
    // over the pairs stored so far. `rate_buckets`, `rate_events` and
    // `token_pairs` are no longer used (kept for a process of the previous
    // version still running during an upgrade).
    "CREATE TABLE IF NOT EXISTS {p}rate_windows (
        bucket {id} PRIMARY KEY,
        slots  {text} NOT NULL
    );
    CREATE TABLE IF NOT EXISTS {p}tokens (
        name               {id} PRIMARY KEY,
        access_token       {text} NOT NULL,
        refresh_token      {text} NOT NULL,
        expires_at         BIGINT,
        generation         BIGINT NOT NULL DEFAULT 0,
        refresh_fence      BIGINT NOT NULL DEFAULT 0,
        refreshing_until   BIGINT,
        refresh_started_at BIGINT,
        updated_at         BIGINT NOT NULL
    );
    {insert_ignore} INTO {p}tokens (name, access_token, refresh_token, expires_at, generation, refresh_fence, updated_at)
        SELECT name, access_token, refresh_token, expires_at, 0, 0, updated_at FROM {p}token_pairs{on_conflict_nothing}",
    // Several merchant accounts per gateway (issue 17): each payment keeps the
    // account it was created with; rows from before belong to the default one.
    "ALTER TABLE {p}payments ADD COLUMN {if_not_exists}account VARCHAR(64) NOT NULL DEFAULT 'default'",
    // Index only what queries need (issue 18): no query looks a payment up by its
    // gateway reference (a receipt is matched through the unique `paid_reference`),
    // so this index only cost every outcome a page write.
    "DROP INDEX {drop_index_if_exists}{p}payments_by_reference{on_payments}",
    // One gateway receipt credits one payment per merchant account (issue 24):
    // two terminals' references can collide, and `UNIQUE (gateway,
    // paid_reference)` spans accounts. SQLite cannot drop a table's UNIQUE
    // clause without rebuilding the table, so the receipt moves to a column of
    // its own, unique per (gateway, account); `paid_reference` keeps what it
    // held and is no longer written. Every statement can run again (MySQL's
    // DDL commits on its own, so a migration cut short is run from its start).
    // And the token pairs an earlier version stored in clear are marked: they
    // are the only rows whose clear values are read (once, to be stored again
    // encrypted); a clear value in any other row is refused.
    "ALTER TABLE {p}payments ADD COLUMN {if_not_exists}paid_receipt {id};
    UPDATE {p}payments SET paid_receipt = paid_reference WHERE paid_receipt IS NULL AND paid_reference IS NOT NULL;
    CREATE UNIQUE INDEX IF NOT EXISTS {p}payments_by_paid_receipt ON {p}payments (gateway, account, paid_receipt);
    ALTER TABLE {p}tokens ADD COLUMN {if_not_exists}legacy_clear BIGINT NOT NULL DEFAULT 0;
    UPDATE {p}tokens SET legacy_clear = 1 WHERE access_token NOT LIKE 'dg1:%' OR refresh_token NOT LIKE 'dg1:%'",
    // Issue 24 (receipts and forged callbacks): a claim keeps its own callback's receipt even
    // when callbacks filled the kept ones (`MAX_KEPT_RECEIPTS` of 60
    // characters no longer fit 255); callbacks after a "not paid yet" answer
    // wait out a back-off (`next_verify_at`) and are counted
    // (`callback_verifies`), and receipts the gateway refused are remembered
    // (`refused_receipts`); a trace number only the browser sent is kept
    // apart from the gateway's word (`trace_hint`).
    "{widen_verify_key};
    ALTER TABLE {p}payments ADD COLUMN {if_not_exists}next_verify_at BIGINT;
    ALTER TABLE {p}payments ADD COLUMN {if_not_exists}callback_verifies BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE {p}payments ADD COLUMN {if_not_exists}trace_hint VARCHAR(32);
    ALTER TABLE {p}payments ADD COLUMN {if_not_exists}refused_receipts {text}",
];

const COLUMNS: &str = "id, gateway, invoice_id, amount, callback_url, token, state, fence, reference, trace_number, \
                       masked_card, verified_amount, note, created_at, updated_at, deadline_at, paid_at, acknowledged_at, \
                       lease_until, verify_key, maybe_verified, account, trace_hint, next_verify_at, callback_verifies, refused_receipts";

/// A payment row with the columns only the store itself reads.
struct StoredRow {
    payment: Payment,
    lease_until: Option<i64>,
    verify_key: Option<String>,
    /// The `maybe_verified` column's level (`VerifyMark`).
    verify_mark: i64,
    /// Until then (store clock) a callback is answered from the store.
    next_verify_at: Option<i64>,
    callback_verifies: i64,
    /// The last receipts the gateway refused (at most `MAX_REFUSED_RECEIPTS`), oldest first.
    refused_receipts: Option<String>,
}

/// What the `maybe_verified` column (a BIGINT; no migration) holds, in
/// levels that claim and finish only ever raise: no verify of ours went out;
/// one may have (an answer lost, a lease taken over); one was refused after
/// that, so a further verify of a once-only gateway (Vandar) can tell nothing
/// more and is never sent. Readers of `maybe_verified` see level 1 or more.
struct VerifyMark;

impl VerifyMark {
    const MAYBE_OUT: i64 = 1;
    const REFUSED: i64 = 2;

    fn of(maybe_verified: bool, verify_refused: bool) -> i64 {
        match (maybe_verified, verify_refused) {
            (_, true) => VerifyMark::REFUSED,
            (true, false) => VerifyMark::MAYBE_OUT,
            (false, false) => 0,
        }
    }
}

fn row_to_payment(row: &[Val]) -> Result<StoredRow> {
    let text = |i: usize| row.get(i).and_then(Val::text);
    let int = |i: usize| row.get(i).map(Val::int).transpose().map(Option::flatten);
    let required = |i: usize| text(i).ok_or_else(|| Error::store("a required column is NULL"));
    let payment = Payment {
        id: required(0)?,
        gateway: required(1)?.parse().map_err(|_| Error::store("unknown gateway in the store"))?,
        account: text(21).unwrap_or_else(|| crate::model::DEFAULT_ACCOUNT.to_string()),
        invoice_id: required(2)?,
        amount: int(3)?.unwrap_or(0) as u64,
        callback_url: required(4)?,
        token: text(5),
        state: PaymentState::parse(&required(6)?)?,
        fence: int(7)?.unwrap_or(0),
        reference: text(8),
        trace_number: text(9),
        masked_card: text(10),
        verified_amount: int(11)?.map(|a| a as u64),
        note: text(12),
        created_at: int(13)?.unwrap_or(0),
        updated_at: int(14)?.unwrap_or(0),
        deadline_at: int(15)?.unwrap_or(0),
        paid_at: int(16)?,
        acknowledged_at: int(17)?,
        unverified_trace_number: text(22),
    };
    Ok(StoredRow {
        payment,
        lease_until: int(18)?,
        verify_key: text(19),
        verify_mark: int(20)?.unwrap_or(0),
        next_verify_at: int(23)?,
        callback_verifies: int(24)?.unwrap_or(0),
        refused_receipts: text(25),
    })
}

/// The `Store` over any SQL backend.
pub struct SqlStore<B: Backend> {
    backend: B,
    prefix: String,
    /// Each statement in this backend's dialect, by its template: built once
    /// per process (a forked child never inherits a lock held mid-insert).
    statements: ProcessLocal<RwLock<HashMap<String, Arc<str>>>>,
}

impl<B: Backend> std::fmt::Debug for SqlStore<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").field("dialect", &self.backend.dialect()).field("prefix", &self.prefix).finish()
    }
}

impl<B: Backend> SqlStore<B> {
    /// Wrap a backend and bring its schema up to date.
    pub fn open(backend: B, prefix: &str) -> Result<Self> {
        if !prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') || prefix.len() > 32 {
            return Err(Error::config("table_prefix may contain only letters, digits and '_' (at most 32)"));
        }
        let store = SqlStore { backend, prefix: prefix.to_string(), statements: ProcessLocal::new() };
        store.migrate()?;
        Ok(store)
    }

    /// The statement in this backend's dialect.
    fn sql(&self, template: &str) -> Arc<str> {
        let Ok(statements) = self.statements.get_or_try_init(|| Ok(RwLock::default())) else {
            return self.dialect_sql(template).into();
        };
        if let Some(sql) = statements.read().unwrap_or_else(|p| p.into_inner()).get(template) {
            return sql.clone();
        }
        let sql: Arc<str> = self.dialect_sql(template).into();
        statements.write().unwrap_or_else(|p| p.into_inner()).insert(template.to_string(), sql.clone());
        sql
    }

    fn dialect_sql(&self, text: &str) -> String {
        let dialect = self.backend.dialect();
        let text = text
            // SQLite does not enforce a column's length: nothing to widen there.
            .replace("{widen_verify_key}", match dialect {
                Dialect::Sqlite => "UPDATE {p}payments SET verify_key = verify_key WHERE 1 = 0",
                Dialect::Postgres => "ALTER TABLE {p}payments ALTER COLUMN verify_key TYPE TEXT",
                Dialect::MySql => "ALTER TABLE {p}payments MODIFY verify_key MEDIUMTEXT",
            })
            .replace("{p}", &self.prefix)
            .replace("{lock}", if dialect == Dialect::Sqlite { "" } else { " FOR UPDATE" })
            .replace("{insert_ignore}", match dialect {
                Dialect::Sqlite => "INSERT OR IGNORE",
                Dialect::MySql => "INSERT IGNORE",
                Dialect::Postgres => "INSERT",
            })
            .replace("{on_conflict_nothing}", if dialect == Dialect::Postgres { " ON CONFLICT DO NOTHING" } else { "" })
            // Only PostgreSQL (and MariaDB, but not MySQL) has ADD COLUMN IF NOT EXISTS.
            .replace("{if_not_exists}", if dialect == Dialect::Postgres { "IF NOT EXISTS " } else { "" })
            // MySQL has no DROP INDEX IF EXISTS (MariaDB has), and names the table.
            .replace("{drop_index_if_exists}", if dialect == Dialect::MySql { "" } else { "IF EXISTS " })
            .replace("{on_payments}", &if dialect == Dialect::MySql { format!(" ON {}payments", self.prefix) } else { String::new() })
            .replace("{id}", "VARCHAR(255)")
            .replace("{text}", if dialect == Dialect::MySql { "MEDIUMTEXT" } else { "TEXT" })
            .replace("{serial}", match dialect {
                Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
                Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
                Dialect::MySql => "BIGINT AUTO_INCREMENT PRIMARY KEY",
            });
        if dialect != Dialect::Postgres {
            return text;
        }
        // PostgreSQL numbers its placeholders.
        let mut out = String::with_capacity(text.len() + 8);
        let mut n = 0;
        for c in text.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    }

    fn stored_version(&self) -> Result<i64> {
        let sql = self.sql("SELECT MAX(version) FROM {p}schema_migrations");
        self.backend.read(&mut |c| Ok(c.query(&sql, &[])?.first().and_then(|r| r.first()).map(Val::int).transpose()?.flatten().unwrap_or(0)))
    }

    /// Bring the schema up to date. Web servers starting together on a fresh
    /// database migrate one at a time: PostgreSQL's `CREATE TABLE IF NOT
    /// EXISTS` races with itself, and MySQL's DDL commits on its own.
    fn migrate(&self) -> Result<()> {
        self.migrate_within(MIGRATION_LOCK_WAIT_SECS)
    }

    /// `migrate`, waiting at most `lock_wait_secs` for MySQL's migration lock.
    pub(crate) fn migrate_within(&self, lock_wait_secs: u32) -> Result<()> {
        let lock_name = format!("dargah_migrate_{}", self.prefix);
        match self.backend.dialect() {
            Dialect::Sqlite => self.backend.transaction(&mut |c| self.migrate_on(c)),
            Dialect::Postgres => {
                let lock = self.sql("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext(?))) AS locked");
                self.backend.transaction(&mut |c| {
                    c.query(&lock, &[lock_name.as_str().into()])?;
                    self.migrate_on(c)
                })
            }
            Dialect::MySql => self.backend.read(&mut |c| {
                // 1: ours. 0 (another process held it all that time) or NULL (an error, the
                // session killed): migrating anyway would race that process's DDL.
                let got = c.query("SELECT GET_LOCK(?, ?)", &[lock_name.as_str().into(), i64::from(lock_wait_secs).into()])?;
                if got.first().and_then(|r| r.first()).map(Val::int).transpose()?.flatten() != Some(1) {
                    return Err(Error::store(format!(
                        "mysql: the schema migration lock {lock_name} was not granted within {lock_wait_secs} s (another process is migrating, or holds it): nothing was migrated; open the store again"
                    )));
                }
                let migrated = self.migrate_on(c);
                c.query("SELECT RELEASE_LOCK(?)", &[lock_name.as_str().into()])?;
                migrated
            }),
        }
    }

    fn migrate_on(&self, c: &mut dyn Conn) -> Result<()> {
        c.exec(&self.sql("CREATE TABLE IF NOT EXISTS {p}schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)"), &[])?;
        let current = c.query(&self.sql("SELECT MAX(version) FROM {p}schema_migrations"), &[])?.first().and_then(|r| r.first()).map(Val::int).transpose()?.flatten().unwrap_or(0);
        if current > SCHEMA_VERSION {
            return Err(Error::store(format!("the database has schema version {current}, newer than this library's {SCHEMA_VERSION}")));
        }
        let record = self.sql("{insert_ignore} INTO {p}schema_migrations (version, applied_at) VALUES (?, ?){on_conflict_nothing}");
        for (index, step) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            for statement in step.split(';').map(str::trim).filter(|s| !s.is_empty()).map(|s| self.sql(s)) {
                match c.exec(&statement, &[]) {
                    // A store that migrated without the lock (an older library) added the column first.
                    Err(e) if statement.contains("ADD COLUMN") && e.error.message().to_ascii_lowercase().contains("duplicate column") => {}
                    // MySQL's DDL commits on its own: a migration cut short after its DROP INDEX runs it again.
                    Err(e) if statement.contains("DROP INDEX") && e.error.message().to_ascii_lowercase().contains("check that") => {}
                    other => other.map(|_| ())?,
                }
            }
            c.exec(&record, &[(index as i64 + 1).into(), crate::clock::system_ms().into()])?;
        }
        Ok(())
    }

    fn write<T>(&self, f: impl FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.commit(true, f)
    }

    /// Every write of a payment operation commits here. `synced`: on disk when
    /// it returns; otherwise a power cut may take it back (see `claim`). A
    /// connection lost before COMMIT (a database restart) runs it again on a
    /// fresh one; a COMMIT that went unanswered is reported (see `finish` for
    /// the one write that recognises its own commit).
    fn commit<T>(&self, synced: bool, f: impl FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.commit_when_unanswered(UnansweredCommit::Report, synced, f)
    }

    fn commit_when_unanswered<T>(&self, unanswered: UnansweredCommit, synced: bool, mut f: impl FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        again_if_connection_lost(unanswered, || {
            super::commit_hook::call(super::CommitPoint::Before { synced });
            let done = match synced {
                true => self.backend.transaction(&mut f),
                false => self.backend.transaction_unsynced(&mut f),
            };
            if done.is_ok() {
                super::commit_hook::call(super::CommitPoint::After { synced });
            }
            done
        })
    }

    fn read<T>(&self, mut f: impl FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        again_if_connection_lost(UnansweredCommit::Report, || self.backend.read(&mut f))
    }

    fn select_one(&self, c: &mut dyn Conn, filter: &str, args: &[Val]) -> Result<Option<StoredRow>> {
        let sql = self.sql(&format!("SELECT {COLUMNS} FROM {{p}}payments WHERE {filter}"));
        c.query(&sql, args)?.first().map(|r| row_to_payment(r)).transpose()
    }

    fn select_many(&self, c: &mut dyn Conn, tail: &str, args: &[Val]) -> Result<Vec<Payment>> {
        let sql = self.sql(&format!("SELECT {COLUMNS} FROM {{p}}payments {tail}"));
        c.query(&sql, args)?.iter().map(|r| row_to_payment(r).map(|s| s.payment)).collect()
    }

    fn must_get(&self, c: &mut dyn Conn, id: &str, lock: bool) -> Result<StoredRow> {
        let filter = if lock { "id = ?{lock}" } else { "id = ?" };
        self.select_one(c, filter, &[id.into()])?.ok_or_else(|| Error::new(ErrorKind::UnknownPayment, format!("no payment {}", crate::error::quoted(id))))
    }

    fn exec(&self, c: &mut dyn Conn, sql: &str, args: &[Val]) -> Result<u64> {
        Ok(c.exec(&self.sql(sql), args)?)
    }

    /// Run `update` (of payment `id`, whose row this transaction holds locked) and read
    /// the row it left: in the same statement on PostgreSQL (`RETURNING`, one round trip
    /// less per claim and per finish), after it elsewhere (MariaDB has no `UPDATE …
    /// RETURNING`).
    fn update_then_get(&self, c: &mut dyn Conn, update: &str, args: &[Val], id: &str) -> std::result::Result<Payment, SqlError> {
        if self.backend.dialect() == Dialect::Postgres {
            let returning = self.sql(&format!("{update} RETURNING {COLUMNS}"));
            if let Some(row) = c.query_writing(&returning, args)?.first() {
                return row_to_payment(row).map(|r| r.payment).map_err(SqlError::other);
            }
        } else {
            c.exec(&self.sql(update), args)?;
        }
        self.must_get(c, id, false).map(|r| r.payment).map_err(SqlError::other)
    }

    fn query(&self, c: &mut dyn Conn, sql: &str, args: &[Val]) -> Result<Vec<Vec<Val>>> {
        c.query(&self.sql(sql), args)
    }

    /// The store's clock in Unix milliseconds, read on `c`: the database
    /// server's for PostgreSQL and MySQL, so hosts with drifting clocks agree
    /// on every lease; the machine's own for SQLite, whose file lives on it.
    pub(crate) fn clock(&self, c: &mut dyn Conn) -> Result<i64> {
        let sql = match self.backend.dialect() {
            Dialect::Sqlite => return Ok(crate::clock::system_ms()),
            Dialect::Postgres => "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
            Dialect::MySql => "SELECT CAST(UNIX_TIMESTAMP(SYSDATE(3)) * 1000 AS SIGNED)",
        };
        c.query(sql, &[])?.first().and_then(|r| r.first()).map(Val::int).transpose()?.flatten().ok_or_else(|| Error::store("the database did not tell its time"))
    }
}

impl<B: Backend> SqlStore<B> {
    /// The stored pair (locked if `lock`), with the store's clock read after the row.
    fn token_row(&self, c: &mut dyn Conn, name: &str, lock: bool) -> Result<Option<TokenPair>> {
        let sql = if lock {
            "SELECT access_token, refresh_token, expires_at, generation, legacy_clear FROM {p}tokens WHERE name = ?{lock}"
        } else {
            "SELECT access_token, refresh_token, expires_at, generation, legacy_clear FROM {p}tokens WHERE name = ?"
        };
        let Some(r) = self.query(c, sql, &[name.into()])?.into_iter().next() else { return Ok(None) };
        Ok(Some(TokenPair {
            access_token: Secret::new(r[0].text().unwrap_or_default()),
            refresh_token: Secret::new(r[1].text().unwrap_or_default()),
            expires_at: r[2].int()?,
            generation: r[3].int()?.unwrap_or(0),
            legacy_clear: r[4].int()?.unwrap_or(0) != 0,
            read_at: self.clock(c)?,
        }))
    }
}

fn limit(n: usize) -> Val {
    Val::Int(n.min(i64::MAX as usize) as i64)
}

impl<B: Backend> Store for SqlStore<B> {
    fn now(&self) -> Result<i64> {
        self.read(|c| self.clock(c))
    }

    fn insert(&self, p: &NewPayment, lease_ms: i64) -> Result<()> {
        let sql = self.sql(
            "INSERT INTO {p}payments (id, gateway, account, invoice_id, amount, callback_url, request, state, fence, created_at, updated_at, deadline_at, lease_until)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'created', 0, ?, ?, ?, ?)",
        );
        let inserted = self.write(|c| {
            let now = self.clock(c)?;
            let args = [
                p.id.as_str().into(),
                p.gateway.name().into(),
                p.account.as_str().into(),
                p.invoice_id.as_str().into(),
                (p.amount as i64).into(),
                p.callback_url.as_str().into(),
                p.request_json.as_str().into(),
                now.into(),
                now.into(),
                now.saturating_add(p.refund_window_ms).into(),
                now.saturating_add(lease_ms).into(),
            ];
            match c.exec(&sql, &args) {
                Ok(_) => Ok(true),
                Err(e) if e.unique => Ok(false),
                Err(e) => Err(e.error),
            }
        })?;
        if inserted {
            return Ok(());
        }
        // A unique key refused the row: name the invoice only if it really is the invoice.
        if self.find_by_invoice(p.gateway, &p.invoice_id)?.is_some() {
            return Err(Error::new(
                ErrorKind::DuplicateInvoice,
                format!("invoice {} was already used for a {} payment; use a new invoice id", p.invoice_id, p.gateway),
            ));
        }
        Err(Error::store(format!("payment id {} already exists", p.id)))
    }

    fn attach_token(&self, id: &str, token: &str, redirect_json: &str) -> Result<Payment> {
        let sql = self.sql("UPDATE {p}payments SET token = ?, redirect = ?, state = 'awaiting', lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'created'");
        self.write(|c| {
            let now = self.clock(c)?;
            match c.exec(&sql, &[token.into(), redirect_json.into(), now.into(), id.into()]) {
                Ok(1) => Ok(self.must_get(c, id, false)?.payment),
                Ok(_) => Err(Error::store(format!("payment {id} is no longer in state created"))),
                Err(e) if e.unique => Err(Error::malformed("the gateway returned a token that another payment already has")),
                Err(e) => Err(e.error),
            }
        })
    }

    fn discard_created(&self, id: &str) -> Result<()> {
        self.write(|c| self.exec(c, "DELETE FROM {p}payments WHERE id = ? AND state = 'created'", &[id.into()]).map(|_| ()))
    }

    fn fail_created(&self, id: &str, note: &str, abandoned_only: bool) -> Result<bool> {
        self.write(|c| {
            let now = self.clock(c)?;
            let lease_over = if abandoned_only { now } else { i64::MAX };
            let changed = self.exec(
                c,
                "UPDATE {p}payments SET state = 'failed', note = ?, lease_until = NULL, updated_at = ?
                 WHERE id = ? AND state = 'created' AND COALESCE(lease_until, 0) <= ?",
                &[note.into(), now.into(), id.into(), lease_over.into()],
            )?;
            if changed == 1 {
                self.insert_event(c, id, now, 0, "failed", &serde_json::json!({"note": note}).to_string())?;
            }
            Ok(changed == 1)
        })
    }

    fn get(&self, id: &str) -> Result<Option<Payment>> {
        self.read(|c| Ok(self.select_one(c, "id = ?", &[id.into()])?.map(|r| r.payment)))
    }

    fn find_by_token(&self, gateway: Gateway, token: &str) -> Result<Option<Payment>> {
        self.read(|c| Ok(self.select_one(c, "gateway = ? AND token = ?", &[gateway.name().into(), token.into()])?.map(|r| r.payment)))
    }

    fn find_by_invoice(&self, gateway: Gateway, invoice_id: &str) -> Result<Option<Payment>> {
        self.read(|c| Ok(self.select_one(c, "gateway = ? AND invoice_id = ?", &[gateway.name().into(), invoice_id.into()])?.map(|r| r.payment)))
    }

    fn find_paid_by_reference(&self, gateway: Gateway, account: &str, reference: &str) -> Result<Option<Payment>> {
        self.read(|c| Ok(self.select_one(c, "gateway = ? AND account = ? AND paid_receipt = ?", &[gateway.name().into(), account.into(), reference.into()])?.map(|r| r.payment)))
    }

    fn redirect_json(&self, id: &str) -> Result<Option<String>> {
        self.read(|c| Ok(self.query(c, "SELECT redirect FROM {p}payments WHERE id = ?", &[id.into()])?.first().and_then(|r| r[0].text())))
    }

    fn claim(&self, id: &str, input: &ClaimInput, lease_ms: i64) -> Result<Claim> {
        // A claim the caller's gateway answers for (`ClaimInput::unsynced`) is
        // committed without a sync of its own where the store allows it (SQLite):
        // a power cut can take it back only with every later commit, and only
        // by stopping every process that could hold it (a SQLite file's users
        // share one machine). What it would lose is the lease, the fence and the
        // mark that a verify may be under way; CanPay's verify answers the same
        // when asked again, and Vandar's transaction info tells what its refused
        // second verify does not. A receipt or trace number only the callback
        // brought would be lost for good: such a claim is always synced.
        let claim = |c: &mut dyn Conn| {
            let StoredRow { payment, lease_until, verify_key: stored_key, verify_mark, next_verify_at, callback_verifies, refused_receipts } = self.must_get(c, id, true)?;
            let now = self.clock(c)?;
            if payment.state.is_terminal() {
                return Ok((Claim::Settled(payment), false));
            }
            let lease_live = lease_until.is_some_and(|l| l > now);
            match payment.state {
                PaymentState::Created if lease_live => return Ok((Claim::Busy(payment), false)),
                PaymentState::Created => return Ok((Claim::NotStarted(payment), false)),
                PaymentState::Verifying if lease_live => return Ok((Claim::Busy(payment), false)),
                _ => {}
            }
            let took_over_verifying = payment.state == PaymentState::Verifying;
            // Taking over an expired lease, or an answer that never came: that verify may have gone through.
            let taken_over = matches!(payment.state, PaymentState::InDoubt | PaymentState::Verifying);
            let verify_mark = if taken_over { verify_mark.max(VerifyMark::MAYBE_OUT) } else { verify_mark };
            let (maybe_verified, verify_refused) = (verify_mark >= VerifyMark::MAYBE_OUT, verify_mark >= VerifyMark::REFUSED);
            // Receipts already kept stay until the gateway disproves them: a later
            // callback adds its own but cannot replace them. Its own is added even
            // when callbacks filled the room they may leave (`MAX_RECEIPTS`): this
            // claim verifies it first, so a forger's receipts never crowd out the
            // customer's. Only receipts left in doubt can fill the hard bound.
            let mut receipts = split_receipts(stored_key.as_deref());
            let own_is_new = input.verify_key.as_ref().filter(|k| !receipts.contains(k));
            if own_is_new.is_some() && receipts.len() >= super::MAX_KEPT_RECEIPTS {
                return Ok((Claim::ReceiptsFull(payment), false));
            }
            // A callback while the payment is in its back-off after "not paid yet", or past
            // its cap of callback verifies, is answered from the store — unless it brings a
            // receipt the gateway was never asked about (AtiPay): that one is verified now,
            // by its own callback, as soon as the customer's browser brings it (delayed, a
            // receipt replayed elsewhere meanwhile could be spent). A receipt kept already, or
            // one the gateway refused lately, is not asked about again.
            let open_before_deadline = payment.state == PaymentState::Awaiting && now < payment.deadline_at;
            let throttled = input.from_callback && open_before_deadline && (next_verify_at.is_some_and(|at| at > now) || callback_verifies >= input.callback_verify_cap);
            let never_asked = own_is_new.filter(|k| !split_receipts(refused_receipts.as_deref()).contains(k));
            if throttled && never_asked.is_none() {
                return Ok((Claim::Throttled(payment), false));
            }
            if let Some(key) = own_is_new {
                receipts.push(key.clone());
            }
            let hint = trace_hint(input.trace_number.as_deref());
            let claimed = self.update_then_get(
                c,
                "UPDATE {p}payments SET state = 'verifying', fence = fence + 1, lease_until = ?, verify_key = ?,
                        trace_hint = COALESCE(?, trace_hint), maybe_verified = ?, callback_verifies = callback_verifies + ?, updated_at = ?
                 WHERE id = ? AND fence = ?",
                &[
                    now.saturating_add(lease_ms).into(),
                    join_receipts(&receipts).into(),
                    hint.into(),
                    verify_mark.into(),
                    i64::from(input.from_callback).into(),
                    now.into(),
                    id.into(),
                    payment.fence.into(),
                ],
                id,
            )?;
            Ok((Claim::Claimed { payment: claimed, maybe_verified, verify_refused, receipts }, took_over_verifying))
        };
        // Safe to run again after an unanswered COMMIT: a claim that landed is found holding its
        // lease (Busy) and is finished by recover() when the lease runs out, as any lost claim is.
        let synced = !(input.unsynced && input.verify_key.is_none() && input.trace_number.is_none());
        let (claimed, took_over_verifying) = self.commit_when_unanswered(UnansweredCommit::RunAgain, synced, claim)?;
        // Told only of what committed: a run rolled back by a conflict and run again must not show
        // a claim (or a takeover) that never happened.
        if let Claim::Claimed { payment, maybe_verified, verify_refused, .. } = &claimed {
            if took_over_verifying {
                crate::audit::audit!(warn, payment.gateway.name(), "lease_takeover", payment_id = id, fence = payment.fence, from = "verifying");
            }
            crate::audit::audit!(debug, payment.gateway.name(), "claim", payment_id = id, fence = payment.fence, maybe_verified = *maybe_verified, verify_refused = *verify_refused);
        }
        Ok(claimed)
    }

    fn finish(&self, id: &str, fence: i64, r: &Resolution) -> Result<Finish> {
        match self.finish_once(id, fence, r, false) {
            // Another payment was paid with this receipt at the same instant: the unique
            // key on paid receipts refused this one.
            Err(e) if e.message() == REUSED_RECEIPT => self.finish_once(id, fence, r, true),
            other => other,
        }
    }

    fn record_event(&self, id: &str, label: &str, raw: &str) -> Result<()> {
        self.write(|c| {
            let row = self.must_get(c, id, false)?;
            let now = self.clock(c)?;
            self.insert_event(c, id, now, row.payment.fence, label, raw)
        })
    }

    fn unacknowledged(&self, n: usize) -> Result<Vec<Payment>> {
        // In a write transaction: a shop credits what this lists, so it must be on disk
        // (SQLite lets a commit be read before its sync; see sqlite.rs).
        self.write(|c| self.select_many(c, "WHERE state = 'paid' AND acknowledged_at IS NULL ORDER BY paid_at, id LIMIT ?", &[limit(n)]))
    }

    fn acknowledge(&self, id: &str) -> Result<bool> {
        self.write(|c| {
            let payment = self.must_get(c, id, true)?.payment;
            if payment.state != PaymentState::Paid {
                return Err(Error::invalid(format!("payment {id} is {}, not paid; only paid payments are acknowledged", payment.state.name())));
            }
            let now = self.clock(c)?;
            Ok(self.exec(c, "UPDATE {p}payments SET acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL", &[now.into(), id.into()])? == 1)
        })
    }

    fn recoverable(&self, n: usize) -> Result<Vec<Payment>> {
        self.read(|c| {
            let now = self.clock(c)?;
            self.select_many(
                c,
                "WHERE state = 'in_doubt' OR (state IN ('verifying', 'created') AND COALESCE(lease_until, 0) <= ?)
                 ORDER BY updated_at, id LIMIT ?",
                &[now.into(), limit(n)],
            )
        })
    }

    fn reconcilable(&self, min_age_ms: i64, n: usize) -> Result<Vec<Payment>> {
        self.read(|c| {
            let now = self.clock(c)?;
            self.select_many(
                c,
                "WHERE (state = 'awaiting' AND (updated_at <= ? OR deadline_at <= ?))
                    OR state = 'in_doubt'
                    OR (state IN ('verifying', 'created') AND COALESCE(lease_until, 0) <= ?)
                 ORDER BY deadline_at, id LIMIT ?",
                &[now.saturating_sub(min_age_ms).into(), now.into(), now.into(), limit(n)],
            )
        })
    }

    fn offer_receipt(&self, id: &str, receipt: &str) -> Result<bool> {
        self.write(|c| {
            let row = self.must_get(c, id, true)?;
            let mut receipts = split_receipts(row.verify_key.as_deref());
            if row.payment.state.is_terminal() || receipts.iter().any(|r| r == receipt) {
                return Ok(true);
            }
            if receipts.len() >= super::MAX_RECEIPTS {
                return Ok(false);
            }
            receipts.push(receipt.to_string());
            self.exec(c, "UPDATE {p}payments SET verify_key = ? WHERE id = ?", &[join_receipts(&receipts).into(), id.into()])?;
            Ok(true)
        })
    }

    fn receipts(&self, id: &str) -> Result<Vec<String>> {
        self.read(|c| Ok(split_receipts(self.query(c, "SELECT verify_key FROM {p}payments WHERE id = ?", &[id.into()])?.first().and_then(|r| r[0].text()).as_deref())))
    }

    fn rate_acquire(&self, bucket: &str, n: u32, window_ms: i64) -> Result<Option<i64>> {
        loop {
            // The bucket's row, locked (exclusive from the first touch, never a shared
            // lock upgraded), holds its whole sliding log: one row lock per call.
            let taken = self.write(|c| {
                let Some(row) = self.query(c, "SELECT slots FROM {p}rate_windows WHERE bucket = ?{lock}", &[bucket.into()])?.into_iter().next() else {
                    return Ok(None);
                };
                let now = self.clock(c)?;
                let mut slots: Vec<i64> = row[0].text().unwrap_or_default().split(',').filter_map(|t| t.parse().ok()).filter(|&at| at > now - window_ms).collect();
                slots.sort_unstable();
                let wait = if slots.len() < n as usize {
                    slots.push(now);
                    None
                } else {
                    Some((slots[slots.len() - n as usize] + window_ms - now).max(1))
                };
                let text = slots.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                self.exec(c, "UPDATE {p}rate_windows SET slots = ? WHERE bucket = ?", &[text.into(), bucket.into()])?;
                Ok(Some(wait))
            })?;
            match taken {
                Some(wait) => return Ok(wait),
                // First use of the bucket: create its row in a transaction of its own, then lock it.
                None => self.write(|c| self.exec(c, "{insert_ignore} INTO {p}rate_windows (bucket, slots) VALUES (?, ''){on_conflict_nothing}", &[bucket.into()]).map(|_| ()))?,
            }
        }
    }

    fn token_pair(&self, name: &str) -> Result<Option<TokenPair>> {
        self.read(|c| self.token_row(c, name, false))
    }

    fn seed_token_pair(&self, name: &str, access: &Secret, refresh: &Secret, expires_at: Option<i64>) -> Result<()> {
        self.write(|c| {
            let now = self.clock(c)?;
            self.exec(
                c,
                "{insert_ignore} INTO {p}tokens (name, access_token, refresh_token, expires_at, generation, refresh_fence, updated_at)
                 VALUES (?, ?, ?, ?, 0, 0, ?){on_conflict_nothing}",
                &[name.into(), access.expose().into(), refresh.expose().into(), expires_at.into(), now.into()],
            )?;
            if let Some(at) = expires_at {
                self.exec(
                    c,
                    "UPDATE {p}tokens SET expires_at = ?, updated_at = ? WHERE name = ? AND generation = 0 AND expires_at IS NULL AND access_token = ?",
                    &[at.into(), now.into(), name.into(), access.expose().into()],
                )?;
            }
            Ok(())
        })
    }

    fn claim_token_refresh(&self, name: &str, generation: i64, lease_ms: i64) -> Result<RefreshClaim> {
        self.write(|c| {
            let pair = self.token_row(c, name, true)?.ok_or_else(|| Error::store(format!("no token pair {name} is stored")))?;
            if pair.generation != generation {
                return Ok(RefreshClaim::Rotated(pair));
            }
            let lease = self.query(c, "SELECT refresh_fence, refreshing_until FROM {p}tokens WHERE name = ?", &[name.into()])?;
            let row = lease.first().ok_or_else(|| Error::store("the token pair vanished"))?;
            let (fence, until) = (row[0].int()?.unwrap_or(0), row[1].int()?);
            let now = pair.read_at;
            if let Some(until) = until.filter(|&u| u > now) {
                return Ok(RefreshClaim::Busy { pair, lease_left_ms: until - now });
            }
            let fence = fence + 1;
            self.exec(
                c,
                "UPDATE {p}tokens SET refresh_fence = ?, refreshing_until = ?, refresh_started_at = ? WHERE name = ? AND generation = ?",
                &[fence.into(), now.saturating_add(lease_ms).into(), now.into(), name.into(), generation.into()],
            )?;
            Ok(RefreshClaim::Claimed { fence, pair })
        })
    }

    fn store_token_pair(&self, name: &str, fence: i64, access: &Secret, refresh: &Secret, expires_in_secs: Option<i64>) -> Result<bool> {
        self.write(|c| {
            let now = self.clock(c)?;
            let rows = self.query(c, "SELECT refresh_fence, refresh_started_at FROM {p}tokens WHERE name = ?{lock}", &[name.into()])?;
            let Some(row) = rows.first() else { return Ok(false) };
            if row[0].int()? != Some(fence) {
                return Ok(false); // fenced out: another caller took the lease over
            }
            let started = row[1].int()?.unwrap_or(now);
            let expires_at = expires_in_secs.map(|secs| started.saturating_add(secs.saturating_mul(1000)));
            let stored = self.exec(
                c,
                "UPDATE {p}tokens SET access_token = ?, refresh_token = ?, expires_at = ?, generation = generation + 1,
                        legacy_clear = 0, refreshing_until = NULL, refresh_started_at = NULL, updated_at = ?
                 WHERE name = ? AND refresh_fence = ?",
                &[access.expose().into(), refresh.expose().into(), expires_at.into(), now.into(), name.into(), fence.into()],
            )? == 1;
            if stored {
                // The copy schema 2 kept (in clear, and superseded by this pair): gone.
                self.exec(c, "DELETE FROM {p}token_pairs WHERE name = ?", &[name.into()])?;
            }
            Ok(stored)
        })
    }

    fn release_token_refresh(&self, name: &str, fence: i64) -> Result<()> {
        self.write(|c| {
            self.exec(c, "UPDATE {p}tokens SET refreshing_until = NULL, refresh_started_at = NULL WHERE name = ? AND refresh_fence = ?", &[name.into(), fence.into()])
                .map(|_| ())
        })
    }

    fn idempotency_begin(&self, key: &str, operation: &str, request_hash: &str) -> Result<IdempotencyBegin> {
        // Two short transactions, each locking one row exclusively: the insert
        // alone first (on MariaDB a duplicate takes a shared lock, released at
        // its commit), then the existing row with `FOR UPDATE`. Never a shared
        // lock upgraded to an exclusive one, which is what deadlocked.
        let inserted = self.write(|c| {
            let now = self.clock(c)?;
            self.exec(
                c,
                "{insert_ignore} INTO {p}idempotency (idem_key, operation, request_hash, state, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?){on_conflict_nothing}",
                &[key.into(), operation.into(), request_hash.into(), now.into(), now.into()],
            )
        })?;
        if inserted == 1 {
            return Ok(IdempotencyBegin::Proceed);
        }
        self.write(|c| {
            let rows = self.query(c, "SELECT operation, request_hash, state, answer FROM {p}idempotency WHERE idem_key = ?{lock}", &[key.into()])?;
            let row = rows.first().ok_or_else(|| Error::store("the idempotency record vanished"))?;
            if row[0].text().as_deref() != Some(operation) || row[1].text().as_deref() != Some(request_hash) {
                return Err(Error::invalid(format!("idempotency key {key:?} was already used for a different request")));
            }
            match row[2].text().as_deref() {
                Some("done") => Ok(IdempotencyBegin::Done(row[3].text().unwrap_or_default())),
                Some("refused") => {
                    let now = self.clock(c)?;
                    self.exec(c, "UPDATE {p}idempotency SET state = 'pending', updated_at = ? WHERE idem_key = ?", &[now.into(), key.into()])?;
                    Ok(IdempotencyBegin::Proceed)
                }
                _ => Ok(IdempotencyBegin::InDoubt),
            }
        })
    }

    fn idempotency_finish(&self, key: &str, answer: Option<&str>) -> Result<()> {
        let state = if answer.is_some() { "done" } else { "refused" };
        self.write(|c| {
            let now = self.clock(c)?;
            self.exec(c, "UPDATE {p}idempotency SET state = ?, answer = ?, updated_at = ? WHERE idem_key = ?", &[state.into(), answer.into(), now.into(), key.into()])
                .map(|_| ())
        })
    }

    fn idempotency_in_doubt(&self, key: &str) -> Result<()> {
        self.write(|c| {
            let now = self.clock(c)?;
            self.exec(c, "UPDATE {p}idempotency SET state = 'in_doubt', updated_at = ? WHERE idem_key = ?", &[now.into(), key.into()]).map(|_| ())
        })
    }

    fn schema_version(&self) -> Result<i64> {
        self.stored_version()
    }

    fn list(&self, state: Option<PaymentState>, n: usize, offset: usize) -> Result<Vec<Payment>> {
        self.read(|c| match state {
            Some(s) => self.select_many(c, "WHERE state = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?", &[s.name().into(), limit(n), limit(offset)]),
            None => self.select_many(c, "ORDER BY created_at DESC, id LIMIT ? OFFSET ?", &[limit(n), limit(offset)]),
        })
    }

    fn events(&self, id: &str) -> Result<Vec<(i64, i64, String, String)>> {
        self.read(|c| {
            self.query(c, "SELECT at, fence, state, raw FROM {p}payment_events WHERE payment_id = ? ORDER BY seq", &[id.into()])?
                .iter()
                .map(|r| Ok((r[0].int()?.unwrap_or(0), r[1].int()?.unwrap_or(0), r[2].text().unwrap_or_default(), r[3].text().unwrap_or_default())))
                .collect()
        })
    }
}


/// History labels of answers from a worker whose lease moved on: one that changed nothing,
/// and a proof of payment that settled the payment all the same.
const STALE_ANSWER: &str = "stale_answer";
const LATE_PAID: &str = "late_paid";
/// The marker for a paid receipt refused by the unique key (never shown to a caller).
const REUSED_RECEIPT: &str = "a paid payment already has this gateway receipt";

impl<B: Backend> SqlStore<B> {
    fn finish_once(&self, id: &str, fence: i64, r: &Resolution, receipt_reused: bool) -> Result<Finish> {
        // A fenced finish is a compare-and-set on (state, fence) that knows its own stored
        // answer: safe to run again on a fresh connection even when its COMMIT went
        // unanswered (a database restart at that instant): the answer is not lost.
        self.commit_when_unanswered(UnansweredCommit::RunAgain, true, |c| {
            let StoredRow { payment: current, verify_key: stored_receipts, callback_verifies, refused_receipts, .. } = self.must_get(c, id, true)?;
            let now = self.clock(c)?;
            let mut state = r.state.ok_or_else(|| Error::internal("resolution without a state"))?;
            let fresh = current.state == PaymentState::Verifying && current.fence == fence;
            // A worker whose lease moved on is still heard: its answer goes into the
            // history, and a proof of payment settles a payment that is still open.
            let proof_wins = state == PaymentState::Paid && !current.state.is_terminal() && current.state != PaymentState::Created;
            if !fresh && self.finished_by_this_answer(c, id, fence, &current, &r.raw)? {
                // Our own earlier run committed this very answer and lost the reply (the
                // connection died at COMMIT): it took effect, and its caller is the one to tell.
                // A paid answer from a callback stored as anything but paid had its receipt
                // refused as another payment's: told as the first run would have been.
                let receipt_refused = state == PaymentState::Paid && current.state != PaymentState::Paid && r.receipt_from_callback;
                return Ok(if receipt_refused { Finish::ReceiptReused(current) } else { Finish::Applied(current) });
            }
            if !fresh && !proof_wins {
                self.insert_event(c, id, now, fence, STALE_ANSWER, &r.raw)?;
                return Ok(Finish::Stale(current));
            }
            if let (Some(open), true) = (r.open_before_deadline, now < current.deadline_at) {
                state = open;
            }
            let mut note = r.note.clone();
            let mut receipts = r.receipts.clone();
            let mut reused_by = None;
            if state == PaymentState::Paid {
                if receipt_reused {
                    reused_by = Some(None);
                } else if let Some(reference) = &r.reference {
                    // One gateway receipt credits one payment: a replayed receipt is a forgery or a gateway bug.
                    let other = self.query(
                        c,
                        "SELECT id FROM {p}payments WHERE gateway = ? AND account = ? AND paid_receipt = ? AND id <> ?",
                        &[current.gateway.name().into(), current.account.as_str().into(), reference.as_str().into(), id.into()],
                    )?;
                    reused_by = other.first().map(|row| row[0].text());
                }
            }
            if reused_by.is_some() && !fresh {
                // A late answer whose receipt paid another payment leaves the current claim alone.
                self.insert_event(c, id, now, fence, STALE_ANSWER, &r.raw)?;
                return Ok(Finish::Stale(current));
            }
            if let Some(other) = &reused_by {
                let other = other.as_deref().unwrap_or("another payment");
                if r.receipt_from_callback {
                    state = if now < current.deadline_at { PaymentState::Awaiting } else { PaymentState::NeedsReview };
                    note = Some(format!("refused a callback whose receipt already paid {other}"));
                    // Forget the reused receipt; keep every other still worth trying.
                    let reused = r.reference.as_deref().unwrap_or_default();
                    receipts = Some(split_receipts(stored_receipts.as_deref()).into_iter().filter(|k| k != reused).collect());
                } else {
                    state = PaymentState::NeedsReview;
                    note = Some(format!("the gateway reference already paid {other}"));
                }
            }
            let paid = state == PaymentState::Paid;
            // The receipts this claim was given and no longer keeps were refused by the gateway:
            // remembered (the last few), so a callback repeating one is answered from the store.
            let mut refused = split_receipts(refused_receipts.as_deref());
            if let (Some(list), false) = (receipts.as_ref(), paid) {
                let newly: Vec<String> = r.receipts_known.iter().filter(|k| !list.contains(k) && !refused.contains(k)).cloned().collect();
                refused.extend(newly);
                let excess = refused.len().saturating_sub(super::MAX_REFUSED_RECEIPTS);
                refused.drain(..excess);
            }
            // Receipts left while this claim was out are kept, every one: each was let in
            // under `MAX_RECEIPTS` and its callback may have gone, trusting it kept.
            if let (Some(list), false) = (receipts.as_mut(), paid) {
                for late in split_receipts(stored_receipts.as_deref()) {
                    if !r.receipts_known.contains(&late) && !list.contains(&late) {
                        list.push(late);
                    }
                }
            }
            let (key_action, key_value): (i64, Option<String>) = match &receipts {
                None => (0, None),
                Some(list) => (1, join_receipts(list)),
            };
            let update = "UPDATE {p}payments SET state = ?, lease_until = NULL, reference = COALESCE(?, reference),
                        trace_number = COALESCE(?, trace_number), masked_card = COALESCE(?, masked_card),
                        verified_amount = COALESCE(?, verified_amount), note = ?, paid_at = COALESCE(?, paid_at),
                        paid_receipt = ?, verify_key = CASE WHEN ? = 1 THEN ? ELSE verify_key END,
                        maybe_verified = CASE WHEN ? > maybe_verified THEN ? ELSE maybe_verified END, next_verify_at = ?, refused_receipts = ?, updated_at = ?
                 WHERE id = ? AND fence = ?";
            let args = [
                state.name().into(),
                if reused_by.is_some() { Val::Null } else { r.reference.clone().into() },
                r.trace_number.clone().into(),
                r.masked_card.clone().into(),
                r.verified_amount.map(|a| a as i64).into(),
                note.clone().into(),
                paid.then_some(now).into(),
                if paid { r.reference.clone().into() } else { Val::Null },
                key_action.into(),
                key_value.into(),
                VerifyMark::of(r.maybe_verified, r.verify_refused).into(),
                VerifyMark::of(r.maybe_verified, r.verify_refused).into(),
                next_verify_at(r, now, callback_verifies).into(),
                join_receipts(&refused).into(),
                now.into(),
                id.into(),
                current.fence.into(),
            ];
            // The event below leaves the payment's row as this update does.
            let stored = match self.update_then_get(c, update, &args, id) {
                Ok(stored) => stored,
                Err(e) if e.unique && paid => return Err(Error::internal(REUSED_RECEIPT)),
                Err(e) => return Err(e.error),
            };
            // Under the fence of the worker that got the answer: its own, or a late proof of payment.
            self.insert_event(c, id, now, fence, if fresh { state.name() } else { LATE_PAID }, &r.raw)?;
            Ok(if reused_by.is_some() && r.receipt_from_callback { Finish::ReceiptReused(stored) } else { Finish::Applied(stored) })
        })
    }

    /// Whether this answer already took effect, stored by an earlier run of the same finish
    /// whose COMMIT landed but whose reply was lost. Only the worker holding `fence` records an
    /// answer under `fence` with the state's own name (while it still holds the payment) or as
    /// `late_paid` (its proof of payment settled a payment another worker had claimed since);
    /// an answer that changed nothing is `stale_answer`. So the event proves the change was
    /// this caller's.
    fn finished_by_this_answer(&self, c: &mut dyn Conn, id: &str, fence: i64, current: &Payment, raw: &str) -> Result<bool> {
        let own = if current.fence == fence { current.state.name() } else { "" };
        let late = if current.state == PaymentState::Paid { LATE_PAID } else { "" };
        let found = self.query(
            c,
            "SELECT 1 FROM {p}payment_events WHERE payment_id = ? AND fence = ? AND state IN (?, ?) AND raw = ?",
            &[id.into(), fence.into(), own.into(), late.into(), raw.into()],
        )?;
        Ok(!found.is_empty())
    }

    fn insert_event(&self, c: &mut dyn Conn, id: &str, at: i64, fence: i64, label: &str, raw: &str) -> Result<()> {
        self.exec(
            c,
            "INSERT INTO {p}payment_events (payment_id, at, fence, state, raw) VALUES (?, ?, ?, ?, ?)",
            &[id.into(), at.into(), fence.into(), label.into(), raw.into()],
        )
        .map(|_| ())
    }
}

/// When a callback may next ask the gateway after this answer: after "not
/// paid yet" to a callback's verify, the back-off doubles with each callback
/// verify; any other answer (or one to recover or reconcile alone) sets none.
fn next_verify_at(r: &Resolution, now: i64, callback_verifies: i64) -> Option<i64> {
    if !r.not_paid_yet || callback_verifies < 1 || r.backoff_first_ms <= 0 {
        return None;
    }
    let doublings = (callback_verifies - 1).clamp(0, 20) as u32;
    Some(now.saturating_add(r.backoff_first_ms.saturating_mul(1_i64 << doublings).min(super::CALLBACK_BACKOFF_MAX_MS)))
}

/// A trace number only the browser sent: kept as an unverified hint, and
/// only if it is what a trace number looks like (digits, short). Markup or a
/// long value is dropped, never stored.
fn trace_hint(browser: Option<&str>) -> Option<String> {
    browser.filter(|t| !t.is_empty() && t.len() <= super::MAX_TRACE_HINT_LEN && t.bytes().all(|b| b.is_ascii_digit())).map(str::to_string)
}

/// The receipts column: the kept receipts, oldest first, separated by spaces.
fn split_receipts(column: Option<&str>) -> Vec<String> {
    column.map(|c| c.split_whitespace().map(str::to_string).collect()).unwrap_or_default()
}

fn join_receipts(receipts: &[String]) -> Option<String> {
    (!receipts.is_empty()).then(|| receipts.join(" "))
}
