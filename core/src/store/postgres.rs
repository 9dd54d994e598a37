//! The PostgreSQL backend, for shops with several web servers: claims are
//! row locks (`SELECT … FOR UPDATE`) inside a transaction, so the
//! verify-once promise holds across machines.

use super::pool::{self, ProcessPool, Pooled};
use super::sql::{Backend, Conn, Dialect, SqlError, SqlStore, Val};
use super::tls::{self, Mode};
use crate::error::{Error, ErrorKind, Result};
use bytes::BytesMut;
use postgres::error::SqlState;
use postgres::types::{to_sql_checked, Format, IsNull, Kind, ToSql, Type};
use postgres::config::{Host, SslMode, TargetSessionAttrs};
use postgres::{Client, GenericClient, NoTls, SimpleQueryMessage, Statement};
use std::cell::Cell;
use std::collections::HashMap;
use tokio_postgres_rustls::MakeRustlsConnect;
use std::time::Duration;

pub struct Postgres {
    config: postgres::Config,
    /// None: plain TCP (`sslmode=disable`, the default).
    tls: Option<MakeRustlsConnect>,
    /// Where, without the password, for error messages.
    place: String,
    /// Keep statements prepared per connection (`prepare=true`, the default);
    /// false behind PgBouncer in transaction pooling (see `Unprepared`).
    prepare: bool,
    pool: ProcessPool<Connection>,
}

/// A kept connection and the statements prepared on it: each statement is
/// parsed and planned once per connection, and then costs one round trip
/// (prepared anew each time, every query is two: parse, then bind and execute).
///
/// Behind PgBouncer in transaction pooling (1.18, Debian 12's; before 1.21's
/// `max_prepared_statements`) a statement prepared in one transaction may be
/// executed on another server connection in the next: "prepared statement
/// s12 does not exist", or worse, another client's `s12` there with the same
/// parameters. `prepare=false` in the URL keeps nothing: each statement goes
/// as the unnamed one, parse, bind and execute in one message, still one
/// round trip (the server parses and plans it each time).
struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Pooled for Connection {
    fn alive(&mut self) -> bool {
        !LEFT_READ_ONLY.with(|r| r.replace(false)) && !self.client.is_closed() && self.client.is_valid(Duration::from_secs(5)).is_ok()
    }
}

/// Statements kept per connection; Dargah's whole set is far fewer.
const STATEMENTS_KEPT: usize = 256;

pub type PostgresStore = SqlStore<Postgres>;

/// Connect to `postgres://user:password@host:port/database` (TLS options:
/// see `store::tls`) and bring the schema up to date. A primary with standbys:
/// `postgres://user:password@primary:5432,standby:5432/database?target_session_attrs=read-write`
/// (or `host=primary,standby port=5432,5432 …`); the hosts are tried in
/// order and the first that takes writes is used, and after a failover the
/// lost or now read-only connections are made again (see `left_read_only`).
pub fn open(url: &str, prefix: &str) -> Result<PostgresStore> {
    let (plain_url, options) = tls::take_options(url)?;
    let mut config: postgres::Config = plain_url.parse().map_err(|_| Error::config("the postgres store URL is not valid (postgres://user:password@host:port/database, or host1:port1,host2:port2 for a primary and its standbys)"))?;
    // A host cut off mid-statement: without a limit the kernel retransmits for about 15 minutes
    // (tcp_retries2) while the request hangs. Data unacknowledged for 60 s, or a silent peer
    // (keepalives), closes the connection instead, as MariaDB's 60 s read timeout does; the work
    // then runs again or is reported like any lost connection. A long lock wait is not cut: the
    // server's kernel acknowledges the statement and answers the keepalives.
    config
        .connect_timeout(Duration::from_secs(5))
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .keepalives_interval(Duration::from_secs(5))
        .keepalives_retries(6)
        .tcp_user_timeout(Duration::from_secs(60))
        .application_name("dargah");
    let tls = match options.mode {
        Mode::Disable => None,
        mode => {
            config.ssl_mode(if mode == Mode::Prefer { SslMode::Prefer } else { SslMode::Require });
            Some(MakeRustlsConnect::new(tls::client_config(&options)?))
        }
    };
    let place = place(&config);
    SqlStore::open(Postgres { config, tls, place, prepare: options.prepare, pool: ProcessPool::new(16) }, prefix)
}

/// Every host the store may use, with its port, and never the password:
/// `127.0.0.1:55532, 127.0.0.1:55533`.
fn place(config: &postgres::Config) -> String {
    let hosts: Vec<String> = match config.get_hosts() {
        [] => config.get_hostaddrs().iter().map(|a| a.to_string()).collect(),
        hosts => hosts
            .iter()
            .map(|h| match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect(),
    };
    let ports = config.get_ports();
    let port = |i: usize| ports.get(i).or(ports.first()).copied().unwrap_or(5432);
    hosts.iter().enumerate().map(|(i, host)| format!("{host}:{}", port(i))).collect::<Vec<_>>().join(", ")
}

/// The server's own message when there is one ("db error" alone says
/// nothing), else the error with its causes ("error performing TLS
/// handshake: invalid peer certificate: UnknownIssuer").
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("postgres: {} ({})", db.message(), db.code().code()),
        None => {
            let mut text = format!("postgres: {e}");
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                text.push_str(&format!(": {c}"));
                cause = c.source();
            }
            text
        }
    }
}

/// Whether a connect failed for a reason that passes: refused or cut (a
/// restart), the server starting up or shutting down (or PgBouncer saying
/// the server behind it is away), or (with `target_session_attrs=read-write`)
/// every host that answered a standby, as during a failover before the
/// promotion; never credentials or TLS.
fn passing(e: &postgres::Error) -> bool {
    if let Some(db) = e.as_db_error() {
        return passing_refusal(db.code(), db.message());
    }
    // Cut before a word: PgBouncer does so to a client whose login waited on a server connection that died.
    if e.is_closed() {
        return true;
    }
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            // The driver's "database does not allow writes": a read-only host.
            return pool::passing_io_error(io.kind()) || io.kind() == std::io::ErrorKind::PermissionDenied;
        }
        cause = c.source();
    }
    false
}

thread_local! {
    /// Set when this thread's last failed work ran on a connection whose
    /// server no longer takes writes; `Connection::alive` reads it next.
    static LEFT_READ_ONLY: Cell<bool> = const { Cell::new(false) };
}

/// Whether the server behind a connection on which work just failed no longer
/// takes writes: the old primary turned standby after a failover, or a hot
/// standby answering (SQLSTATE 25006, "cannot execute … in a read-only
/// transaction"). Such a connection counts as lost, so the work runs again on
/// a fresh one, to the host that is the primary now, and never stays a store
/// error for as long as the pool keeps it. Asked only when the URL wants a
/// writable host (`target_session_attrs=read-write`): two round trips, on failures only.
fn left_read_only(config: &postgres::Config, client: &mut Client) -> bool {
    config.get_target_session_attrs() == TargetSessionAttrs::ReadWrite
        && !client.is_closed()
        // First a round trip bounded in time: a host that stopped answering must not hold the caller.
        && client.is_valid(Duration::from_secs(5)).is_ok()
        && client.simple_query("SHOW transaction_read_only").is_ok_and(|rows| rows.iter().any(|m| matches!(m, SimpleQueryMessage::Row(row) if row.get(0) == Some("on"))))
}

/// What PgBouncer (1.18) answers, as a FATAL error with SQLSTATE 08P01
/// (protocol_violation, its code for nearly everything), while the server
/// behind it is restarting or away: a client that was linked to the server
/// connection that died, one whose login or query waited for a server
/// connection that could not be made, and everyone until the next login try.
/// PostgreSQL's own 08P01 (a real protocol violation) never passes.
const PGBOUNCER_SERVER_AWAY: &[&str] = &["server conn crashed?", "server login has been failing", "query_wait_timeout", "client_login_timeout (server down)"];

/// `passing` for an error the server, or a pooler in front of it, answered.
fn passing_refusal(code: &SqlState, message: &str) -> bool {
    match *code {
        SqlState::CANNOT_CONNECT_NOW | SqlState::ADMIN_SHUTDOWN => true,
        SqlState::PROTOCOL_VIOLATION => PGBOUNCER_SERVER_AWAY.iter().any(|m| message.starts_with(m)),
        _ => false,
    }
}

impl Postgres {
    fn connect(&self) -> Result<Connection> {
        let connected = match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        };
        let client = connected.map_err(|e| {
            if passing(&e) {
                pool::connect_may_succeed_later();
            }
            Error::store(tls::explain(format!("cannot connect to postgres at {}: {}", self.place, describe(&e))))
        })?;
        Ok(Connection { client, statements: HashMap::new() })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        self.pool.with(
            || self.connect(),
            |conn| {
                if conn.client.is_closed() {
                    *conn = self.connect()?;
                }
                let result = f(conn);
                if matches!(&result, Err(e) if e.kind() == ErrorKind::Store) && left_read_only(&self.config, &mut conn.client) {
                    LEFT_READ_ONLY.with(|r| r.set(true));
                }
                result
            },
        )
    }
}

impl ToSql for Val {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT8 => i.to_sql(ty, out),
                _ => i.to_string().to_sql(ty, out),
            },
            Val::Text(t) => match *ty {
                Type::INT8 => t.parse::<i64>()?.to_sql(ty, out),
                _ => t.as_str().to_sql(ty, out),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    /// Unprepared, the server picks each parameter's type (`UNSPECIFIED`):
    /// sent as text, which it parses into whatever type that is.
    fn encode_format(&self, ty: &Type) -> Format {
        if ty.oid() == UNSPECIFIED_OID {
            Format::Text
        } else {
            Format::Binary
        }
    }

    to_sql_checked!();
}

/// A parameter's type left to the server to infer from the statement, as
/// `prepare` does (the protocol's type OID 0).
const UNSPECIFIED_OID: u32 = 0;

fn unspecified() -> Type {
    Type::new("unspecified".into(), UNSPECIFIED_OID, Kind::Pseudo, "pg_catalog".into())
}

struct PgConn<'a, C: GenericClient> {
    client: &'a mut C,
    /// None: `prepare=false`, nothing kept from one statement to the next.
    statements: Option<&'a mut HashMap<String, Statement>>,
    /// A deadlock or serialization failure: the whole transaction may be retried.
    retryable: bool,
}

impl<C: GenericClient> PgConn<'_, C> {
    /// `sql` prepared on this connection, once (`statements` is Some).
    fn statement(statements: &mut HashMap<String, Statement>, client: &mut C, sql: &str) -> std::result::Result<Statement, postgres::Error> {
        if let Some(statement) = statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        if statements.len() >= STATEMENTS_KEPT {
            statements.clear();
        }
        statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    fn rows(&mut self, sql: &str, args: &[Val]) -> std::result::Result<Vec<postgres::Row>, postgres::Error> {
        match self.statements.as_deref_mut() {
            Some(statements) => Self::statement(statements, self.client, sql).and_then(|statement| self.client.query(&statement, &params(args))),
            None => self.client.query_typed(sql, &unprepared(args)),
        }
    }

    fn error(&mut self, e: postgres::Error) -> SqlError {
        let code = e.code();
        self.retryable |= code == Some(&SqlState::T_R_DEADLOCK_DETECTED) || code == Some(&SqlState::T_R_SERIALIZATION_FAILURE);
        SqlError { unique: code == Some(&SqlState::UNIQUE_VIOLATION), error: Error::store(describe(&e)) }
    }
}

fn params(args: &[Val]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

fn unprepared(args: &[Val]) -> Vec<(&(dyn ToSql + Sync), Type)> {
    args.iter().map(|a| (a as &(dyn ToSql + Sync), unspecified())).collect()
}

impl<C: GenericClient> Conn for PgConn<'_, C> {
    fn exec(&mut self, sql: &str, args: &[Val]) -> std::result::Result<u64, SqlError> {
        let result = match self.statements.as_deref_mut() {
            Some(statements) => Self::statement(statements, self.client, sql).and_then(|statement| self.client.execute(&statement, &params(args))),
            None => self.client.execute_typed(sql, &unprepared(args)),
        };
        result.map_err(|e| self.error(e))
    }

    fn query(&mut self, sql: &str, args: &[Val]) -> Result<Vec<Vec<Val>>> {
        self.query_writing(sql, args).map_err(|e| e.error)
    }

    fn query_writing(&mut self, sql: &str, args: &[Val]) -> std::result::Result<Vec<Vec<Val>>, SqlError> {
        let rows = self.rows(sql, args).map_err(|e| self.error(e))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        let value = match *row.columns()[i].type_() {
                            Type::INT2 => row.try_get::<_, Option<i16>>(i).map(|v| v.map(i64::from)),
                            Type::INT4 => row.try_get::<_, Option<i32>>(i).map(|v| v.map(i64::from)),
                            Type::INT8 => row.try_get::<_, Option<i64>>(i),
                            _ => return row.try_get::<_, Option<String>>(i).map(|v| v.map(Val::Text).unwrap_or(Val::Null)),
                        };
                        value.map(|v| v.map(Val::Int).unwrap_or(Val::Null))
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| SqlError::other(Error::store(format!("postgres: {e}"))))
            })
            .collect()
    }
}

/// How many times a transaction that hit a deadlock is run again.
const DEADLOCK_RETRIES: usize = 3;

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn transaction<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.with(|Connection { client, statements }| {
            let mut attempt = 0;
            loop {
                let mut tx = client.transaction().map_err(|e| Error::store(describe(&e)))?;
                let mut conn = PgConn { client: &mut tx, statements: self.prepare.then_some(&mut *statements), retryable: false };
                let result = f(&mut conn);
                let retryable = conn.retryable;
                match result {
                    Ok(value) => {
                        tx.commit().map_err(|e| {
                            // Only a refusal that rolled the transaction back is known not to have landed
                            // (a pooler in between may also make up an error as the server dies).
                            let rolled_back = e.code().is_some_and(|c| c.code().starts_with("40") || c.code().starts_with("23"));
                            if !rolled_back {
                                pool::commit_unanswered();
                            }
                            Error::store(describe(&e))
                        })?;
                        return Ok(value);
                    }
                    Err(_) if retryable && attempt < DEADLOCK_RETRIES => attempt += 1,
                    Err(e) => return Err(e), // dropping `tx` rolls back
                }
            }
        })
    }

    fn read<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.with(|Connection { client, statements }| f(&mut PgConn { client, statements: self.prepare.then_some(statements), retryable: false }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The refusals scripts/hosts/pgbouncer.sh's PgBouncer 1.18 gave while the server behind it restarted
    /// (psql, VERBOSITY verbose), and what the server gives itself; never a refusal that stays.
    #[test]
    fn pgbouncer_saying_the_server_is_away_passes() {
        for message in ["server conn crashed?", "server login has been failing, try again later (server_login_retry)", "query_wait_timeout", "client_login_timeout (server down)"] {
            assert!(passing_refusal(&SqlState::PROTOCOL_VIOLATION, message), "{message}");
        }
        assert!(passing_refusal(&SqlState::ADMIN_SHUTDOWN, "terminating connection due to administrator command"));
        assert!(passing_refusal(&SqlState::CANNOT_CONNECT_NOW, "the database system is starting up"));
        assert!(!passing_refusal(&SqlState::PROTOCOL_VIOLATION, "invalid startup packet layout: expected terminator as last byte"));
        assert!(!passing_refusal(&SqlState::PROTOCOL_VIOLATION, "no more connections allowed (max_client_conn)"));
        assert!(!passing_refusal(&SqlState::INVALID_PASSWORD, "password authentication failed for user \"dargah\""));
        assert!(!passing_refusal(&SqlState::PROTOCOL_VIOLATION, "password authentication failed"));
    }

    #[test]
    fn the_place_names_every_host_and_never_the_password() {
        let url_form: postgres::Config = "postgres://dargah:s3cret@127.0.0.1:55532,db2.example:55533/dargah?target_session_attrs=read-write".parse().unwrap();
        assert_eq!(place(&url_form), "127.0.0.1:55532, db2.example:55533");
        assert_eq!(url_form.get_target_session_attrs(), TargetSessionAttrs::ReadWrite);
        let key_value: postgres::Config = "host=db1,db2 port=6432 user=dargah password=s3cret dbname=dargah".parse().unwrap();
        assert_eq!(place(&key_value), "db1:6432, db2:6432", "one port for every host");
        assert!(!place(&key_value).contains("s3cret"));
    }
}
