//! The embedded SQLite backend: one file, WAL, and every write transaction
//! `BEGIN IMMEDIATE`, so that across threads and processes exactly one caller
//! wins a claim.
//!
//! Writers do not sleep on each other: the writers of one process queue on a
//! mutex before they ask SQLite for its write lock, and a writer of another
//! process is waited for with a busy handler that tries again after 50 µs,
//! doubling to 400 µs (SQLite's own sleeps 1 to 100 ms). A commit holds the
//! write lock only while it writes its frames to the WAL; the WAL is synced
//! after the lock is released, so the syncs of several processes overlap
//! (group commit). WAL checkpoints run on a thread of their own, not inside a
//! callback's commit.
//!
//! Durability (see docs/benchmarks.md): a write returns only once its commit
//! is on disk — a claim, a `paid` outcome, an acknowledgement survive a power
//! cut — except a claim whose gateway answers for a verify sent under a lost
//! claim (CanPay, Vandar; see `SqlStore::claim`), which is on disk with the
//! next sync. In WAL mode the durable state is always a prefix of the commit
//! order, so a lost commit takes every later one with it.

use super::sql::{Backend, Conn, Dialect, SqlError, SqlStore, Val};
use crate::error::{Error, Result};
use crate::process::ProcessLocal;
use super::pool::ProcessPool;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;
use std::time::Duration;

/// A PASSIVE checkpoint is asked for after this many commits of one process.
const CHECKPOINT_EVERY: u64 = 128;
/// The safety net if the checkpoint thread falls behind: SQLite checkpoints
/// inside a commit once the WAL holds this many pages (about 40 MB).
const AUTOCHECKPOINT_PAGES: i64 = 10_000;
/// Connections kept open per process: a burst of duplicate callbacks (each
/// thread reads) shares them instead of opening the file again.
const IDLE_CONNECTIONS: usize = 16;
/// Each connection's page cache, in KiB (SQLite's default is 2 MB).
const CACHE_KIB: i64 = 8 * 1024;

pub struct Sqlite {
    /// The database file as given, made absolute once when the store is
    /// opened: PHP-FPM changes directory per request, and every connection
    /// this store ever opens must open the same file.
    path: String,
    pool: ProcessPool<Connection>,
    /// This process's writers, one at a time, before SQLite's lock.
    writer: ProcessLocal<Mutex<()>>,
    checkpointer: ProcessLocal<Checkpointer>,
    commits: AtomicU64,
    /// How many times this store synced the WAL after a commit.
    wal_syncs: AtomicU64,
}

/// The SQLite store.
pub type SqliteStore = SqlStore<Sqlite>;

/// Open (creating if needed) the database file and bring its schema up to date.
pub fn open(path: &str, prefix: &str) -> Result<SqliteStore> {
    if path.is_empty() {
        return Err(Error::config("sqlite store path is empty"));
    }
    let sqlite = Sqlite { path: absolute(path)?, pool: ProcessPool::new(IDLE_CONNECTIONS), writer: ProcessLocal::new(), checkpointer: ProcessLocal::new(), commits: AtomicU64::new(0), wal_syncs: AtomicU64::new(0) };
    SqlStore::open(sqlite, prefix)
}

/// `path` against the current directory, now (a later `chdir` changes
/// nothing), without resolving links: SQLite resolves those itself. An
/// in-memory database or a `file:` URI is left to SQLite as written.
fn absolute(path: &str) -> Result<String> {
    if path == ":memory:" || path.starts_with("file:") {
        return Ok(path.to_string());
    }
    let absolute = std::path::absolute(path).map_err(|e| Error::config(format!("sqlite store path {}: {e}", crate::error::quoted(path))))?;
    absolute.into_os_string().into_string().map_err(|_| Error::config("the sqlite store path is not valid UTF-8"))
}

/// SQLite calls this while another process holds the write lock (writing a
/// commit's frames; the sync comes after). Try again soon: 50 µs, doubling to
/// 400 µs, about 30 s in all.
fn busy_backoff(tries: i32) -> bool {
    const TRIES: i32 = 75_000;
    if tries >= TRIES {
        return false;
    }
    let micros = (50u64 << tries.clamp(0, 3)).min(400);
    std::thread::sleep(Duration::from_micros(micros));
    true
}

impl Sqlite {
    fn connect(path: &str) -> Result<Connection> {
        let store_error = |e: rusqlite::Error| Error::store(format!("sqlite {path}: {e}"));
        let conn = Connection::open(path).map_err(store_error)?;
        conn.busy_handler(Some(busy_backoff)).map_err(store_error)?;
        // WAL lets readers go on while one writer commits. NORMAL: a commit does not sync
        // the WAL under the write lock; `write` syncs it right after (see there).
        conn.pragma_update(None, "journal_mode", "WAL").map_err(store_error)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(store_error)?;
        conn.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES).map_err(store_error)?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB).map_err(store_error)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        self.pool.with(|| Sqlite::connect(&self.path), f)
    }

    /// One write transaction. `synced`: it returns once its commit is on disk.
    ///
    /// The commit itself writes its frames to the WAL without syncing them
    /// (`synchronous=NORMAL`), so the write lock is held for the writing only;
    /// the WAL is synced after the lock is released, and writers of several
    /// processes sync together instead of one after another (group commit). A
    /// sync covers every frame written before it: the durable state is always
    /// a prefix of the commit order. Until it returns, other connections can
    /// already read the commit; nothing they do on a read alone credits an
    /// order (`unacknowledged` syncs before it answers). Unsynced (a claim, see
    /// `SqlStore::claim`): on disk with the next sync of any writer, or a
    /// checkpoint (which syncs the WAL first).
    fn write<T>(&self, synced: bool, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let writer = self.writer.get_or_try_init(|| Ok(Mutex::new(())))?;
        let value = self.with(|conn| {
            let value = {
                // One writer of this process at a time asks SQLite for the lock; the others
                // wait here, woken as soon as it is free, instead of in SQLite's busy sleeps.
                let _turn = writer.lock().unwrap_or_else(|p| p.into_inner());
                // The write lock is taken up front: no two claims interleave, in any process.
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(store_error)?;
                let value = f(&mut SqliteConn(&tx))?;
                tx.commit().map_err(store_error)?;
                value
            };
            if synced {
                // This connection is still open, so the WAL file is the one it wrote to
                // (SQLite deletes it only when the last connection closes).
                self.sync_wal(conn)?;
            }
            Ok(value)
        })?;
        self.committed();
        Ok(value)
    }

    /// Sync the WAL file `conn` writes: every commit written to it so far is
    /// on disk. SQLite names that file itself: its database file's full name
    /// (absolute, links resolved, as SQLite opened it) and `-wal`.
    fn sync_wal(&self, conn: &Connection) -> Result<()> {
        let database = conn.path().filter(|p| !p.is_empty()).ok_or_else(|| Error::store("sqlite: the connection names no database file to sync"))?;
        let wal = format!("{database}-wal");
        std::fs::File::open(&wal)
            .and_then(|f| f.sync_data())
            .map_err(|e| Error::store(format!("sqlite {wal}: a commit may not be on disk: {e}")))?;
        self.wal_syncs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Every `CHECKPOINT_EVERY` commits, wake this process's checkpoint thread.
    fn committed(&self) {
        if self.commits.fetch_add(1, Ordering::Relaxed) % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1 {
            if let Ok(checkpointer) = self.checkpointer.get_or_try_init(|| Checkpointer::start(&self.path)) {
                let _ = checkpointer.wake.try_send(());
            }
        }
    }
}

/// A thread of this process (started at the first checkpoint, rebuilt after
/// a fork like everything per-process) that runs `wal_checkpoint(PASSIVE)`
/// on its own connection when woken: it copies committed pages from the WAL
/// into the database without blocking readers or writers, so the WAL is
/// reset by a later writer instead of a callback's commit doing the copying.
struct Checkpointer {
    wake: SyncSender<()>,
}

impl Checkpointer {
    fn start(path: &str) -> Result<Checkpointer> {
        let (wake, woken) = sync_channel::<()>(1);
        let path = path.to_string();
        // Started with signals blocked: it inherits that mask (see `with_signals_blocked`).
        crate::process::with_signals_blocked(|| {
            std::thread::Builder::new().name("dargah-sqlite-ckpt".into()).spawn(move || {
                let Ok(conn) = Sqlite::connect(&path) else { return };
                while woken.recv().is_ok() {
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
        })
        .map_err(|e| Error::internal(format!("cannot start the sqlite checkpoint thread: {e}")))?;
        Ok(Checkpointer { wake })
    }
}

struct SqliteConn<'a>(&'a Connection);

fn bind(v: &Val) -> ToSqlOutput<'_> {
    match v {
        Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        Val::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
        Val::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
    }
}

fn store_error(e: rusqlite::Error) -> Error {
    Error::store(format!("sqlite: {e}"))
}

impl Conn for SqliteConn<'_> {
    fn exec(&mut self, sql: &str, args: &[Val]) -> std::result::Result<u64, SqlError> {
        let done = self.0.prepare_cached(sql).and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(args.iter().map(bind))));
        match done {
            Ok(n) => Ok(n as u64),
            Err(e) => {
                let unique = matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation);
                Err(SqlError { unique, error: store_error(e) })
            }
        }
    }

    fn query(&mut self, sql: &str, args: &[Val]) -> Result<Vec<Vec<Val>>> {
        let mut stmt = self.0.prepare_cached(sql).map_err(store_error)?;
        let columns = stmt.column_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter().map(bind)), |row| {
                (0..columns)
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            ValueRef::Null => Val::Null,
                            ValueRef::Integer(n) => Val::Int(n),
                            ValueRef::Real(f) => Val::Int(f as i64),
                            ValueRef::Text(t) | ValueRef::Blob(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<Val>>>()
            })
            .map_err(store_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(store_error)
    }
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn transaction<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.write(true, f)
    }

    fn transaction_unsynced<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.write(false, f)
    }

    fn read<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.with(|conn| f(&mut SqliteConn(conn)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn sqlite(path: &str, idle: usize) -> Sqlite {
        Sqlite { path: absolute(path).unwrap(), pool: ProcessPool::new(idle), writer: ProcessLocal::new(), checkpointer: ProcessLocal::new(), commits: AtomicU64::new(0), wal_syncs: AtomicU64::new(0) }
    }

    #[test]
    fn a_synced_transaction_syncs_the_wal_after_its_commit_and_an_unsynced_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = sqlite(&format!("{}/sync.db", dir.path().display()), 1);
        sqlite.transaction(&mut |c| c.exec("CREATE TABLE t (v INTEGER)", &[]).map_err(|e| e.error)).unwrap();
        assert_eq!(sqlite.wal_syncs.load(Ordering::Relaxed), 1);
        sqlite.transaction_unsynced(&mut |c| c.exec("INSERT INTO t VALUES (1)", &[]).map_err(|e| e.error)).unwrap();
        assert_eq!(sqlite.wal_syncs.load(Ordering::Relaxed), 1);
        sqlite.transaction(&mut |c| c.exec("INSERT INTO t VALUES (2)", &[]).map_err(|e| e.error)).unwrap();
        assert_eq!(sqlite.wal_syncs.load(Ordering::Relaxed), 2);
        // A failed transaction commits nothing and syncs nothing.
        assert!(sqlite.transaction(&mut |c| c.exec("INSERT INTO missing VALUES (1)", &[]).map_err(|e| e.error)).is_err());
        assert_eq!(sqlite.wal_syncs.load(Ordering::Relaxed), 2);
        assert_eq!(sqlite.read(&mut |c| c.query("SELECT COUNT(*) FROM t", &[])).unwrap()[0][0].int().unwrap(), Some(2));
    }

    /// Issue 24 item 2: the store syncs the WAL SQLite writes (`real.db-wal`
    /// behind the link), not `<link>-wal`, which does not exist.
    #[test]
    fn a_symlinked_database_path_opens_and_syncs_the_wal_of_the_file_behind_the_link() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let link = dir.path().join("shop.db");
        std::os::unix::fs::symlink(dir.path().join("data/real.db"), &link).unwrap();
        let store = open(link.to_str().unwrap(), "").expect("a symlinked path opens (its migrations are synced writes)");
        store.insert(&crate::store::NewPayment {
            id: "dp_link".into(), gateway: crate::model::Gateway::Vandar, account: "default".into(), invoice_id: "inv-link".into(), amount: 10_000,
            callback_url: "https://shop.example/cb".into(), request_json: "{}".into(), refund_window_ms: 900_000,
        }, 60_000).unwrap();
        assert!(dir.path().join("data/real.db-wal").exists(), "SQLite writes the WAL beside the real file");
        assert!(!dir.path().join("shop.db-wal").exists(), "and nothing beside the link");
        let direct = Connection::open(dir.path().join("data/real.db")).unwrap();
        assert_eq!(direct.query_row("SELECT COUNT(*) FROM payments WHERE id = 'dp_link'", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    }
}
