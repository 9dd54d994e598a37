//! The embedded SQLite backend: one file, WAL, and every write transaction
//! `BEGIN IMMEDIATE` with a busy timeout, so that across threads and
//! processes exactly one caller wins a claim.

use super::sql::{Backend, Conn, Dialect, SqlError, SqlStore, Val};
use crate::error::{Error, Result};
use super::pool::ProcessPool;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior};
use std::time::Duration;

pub struct Sqlite {
    path: String,
    pool: ProcessPool<Connection>,
}

/// The SQLite store.
pub type SqliteStore = SqlStore<Sqlite>;

/// Open (creating if needed) the database file and bring its schema up to date.
pub fn open(path: &str, prefix: &str) -> Result<SqliteStore> {
    if path.is_empty() {
        return Err(Error::config("sqlite store path is empty"));
    }
    SqlStore::open(Sqlite { path: path.to_string(), pool: ProcessPool::new(8) }, prefix)
}

impl Sqlite {
    fn connect(&self) -> Result<Connection> {
        let store_error = |e: rusqlite::Error| Error::store(format!("sqlite {}: {e}", self.path));
        let conn = Connection::open(&self.path).map_err(store_error)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(store_error)?;
        // WAL lets readers go on while one writer commits; FULL makes a commit survive power loss.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(store_error)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(store_error)?;
        Ok(conn)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        self.pool.with(|| self.connect(), f)
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
        match self.0.execute(sql, rusqlite::params_from_iter(args.iter().map(bind))) {
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
        self.with(|conn| {
            // The write lock is taken up front: no two claims interleave, in any process.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(store_error)?;
            let value = f(&mut SqliteConn(&tx))?;
            tx.commit().map_err(store_error)?;
            Ok(value)
        })
    }

    fn read<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.with(|conn| f(&mut SqliteConn(conn)))
    }
}
