//! The MariaDB/MySQL backend: WooCommerce shops already run one, and can keep
//! Dargah's tables in it (with `table_prefix`). Claims are row locks
//! (`SELECT … FOR UPDATE`) inside InnoDB transactions.
//!
//! On a MariaDB Galera cluster (detected per connection: `@@wsrep_on`) a row
//! lock holds on one node only: two nodes' transactions on the same row both
//! run, and the one certified second is rolled back with a deadlock (1213) at
//! its COMMIT or its next statement. Every store transaction is a few
//! statements on the database (none waits on a gateway), so it is run again,
//! a few times, after a short random pause: the run again reads what the
//! winner committed. Reads wait for every write the cluster committed before
//! them (`wsrep_sync_wait`), and a node that is not ready (joining, or cut off
//! from the primary component) is treated as a server still starting.

use super::pool::{self, ProcessPool, Pooled};
use super::sql::{Backend, Conn, Dialect, SqlError, SqlStore, Val};
use super::tls::{self, Mode};
use crate::error::{Error, Result};
use mysql::prelude::Queryable;
use mysql::{DriverError, Opts, OptsBuilder, SslOpts, TxOpts, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub struct MySql {
    /// The servers to connect to, in order: one, or a Galera cluster's nodes.
    servers: Vec<Server>,
    pool: ProcessPool<mysql::Conn>,
}

struct Server {
    opts: Opts,
    place: String,
}

pub type MySqlStore = SqlStore<MySql>;

impl Pooled for mysql::Conn {
    fn alive(&mut self) -> bool {
        self.ping().is_ok()
    }
}

/// Connect to `mysql://user:password@host:port/database` (TLS options: see
/// `store::tls`) and bring the schema up to date. Several hosts
/// (`mysql://user:password@node1:3306,node2:3306/database`, a Galera cluster's
/// nodes) are tried in turn for each new connection: the first that answers
/// and is ready is used.
pub fn open(url: &str, prefix: &str) -> Result<MySqlStore> {
    let url = url.strip_prefix("mariadb://").map(|rest| format!("mysql://{rest}")).unwrap_or_else(|| url.to_string());
    let (url, tls) = tls::take_options(&url)?;
    let ssl = match tls.mode {
        Mode::Disable => None,
        Mode::Prefer => return Err(Error::config("mysql has no ssl-mode=PREFERRED here: use REQUIRED, VERIFY_CA or VERIFY_IDENTITY (or DISABLED)")),
        mode => {
            tls::roots(&tls)?; // a missing or unreadable CA file is a config error now, not a store error later
            Some(SslOpts::default().with_root_cert_path(tls.ca_file.clone()).with_danger_skip_domain_validation(mode == Mode::VerifyCa))
        }
    };
    let servers = each_host(&url)
        .iter()
        .map(|url| {
            let base = Opts::from_url(url).map_err(|_| Error::config("the mysql store URL is not valid (mysql://user:password@host:port[,host:port…]/database)"))?;
            let place = format!("{}:{}", base.get_ip_or_hostname(), base.get_tcp_port());
            let opts: Opts = OptsBuilder::from_opts(base)
                .tcp_connect_timeout(Some(Duration::from_secs(5)))
                .read_timeout(Some(Duration::from_secs(60)))
                .write_timeout(Some(Duration::from_secs(60)))
                // UPDATE counts matched rows, as SQLite and PostgreSQL do.
                .additional_capabilities(mysql::consts::CapabilityFlags::CLIENT_FOUND_ROWS)
                .init(vec!["SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"])
                .ssl_opts(ssl.clone())
                .into();
            Ok(Server { opts, place })
        })
        .collect::<Result<Vec<_>>>()?;
    SqlStore::open(MySql { servers, pool: ProcessPool::new(16) }, prefix)
}

/// `mysql://u:p@a:1,b:2/db` → `mysql://u:p@a:1/db`, `mysql://u:p@b:2/db`; a URL with one host, itself.
fn each_host(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else { return vec![url.to_string()] };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (user, hosts) = match authority.rfind('@') {
        Some(at) => (&authority[..=at], &authority[at + 1..]),
        None => ("", authority),
    };
    hosts.split(',').map(|host| format!("{scheme}://{user}{host}{tail}")).collect()
}

impl MySql {
    /// A new connection: to the first server that answers and is ready (the others
    /// tried in turn when one is down, joining or cut off from its cluster).
    fn connect(&self) -> Result<mysql::Conn> {
        let mut failed = None;
        for server in &self.servers {
            match server.connect() {
                Ok(conn) => return Ok(conn),
                Err(e) => failed = Some(e),
            }
        }
        Err(failed.unwrap_or_else(|| Error::config("the mysql store URL names no host")))
    }
}

impl Server {
    fn connect(&self) -> Result<mysql::Conn> {
        let mut conn = self.connect_server()?;
        if self.galera_node(&mut conn)? {
            self.galera_session(&mut conn)?;
        }
        Ok(conn)
    }

    /// A session on a Galera node: refused (for now) while the node is not ready, and
    /// with causal reads (and never a dirty read the shop may have allowed), so a claim, a fence check or the outbox read on this node sees
    /// every commit made on any node before it (the shop's own `wsrep_sync_wait` bits kept).
    fn galera_session(&self, conn: &mut mysql::Conn) -> Result<()> {
        let ready: Option<(String, String)> = conn.query_first("SHOW STATUS LIKE 'wsrep_ready'").unwrap_or(None);
        if !ready.is_some_and(|(_, on)| on.eq_ignore_ascii_case("ON")) {
            // Joining (a state transfer) or outside the primary component: it comes back.
            pool::connect_may_succeed_later();
            return Err(Error::store(format!("cannot use mysql at {}: the Galera node is not ready (joining, or cut off from the cluster)", self.place)));
        }
        conn.query_drop("SET SESSION wsrep_sync_wait = @@wsrep_sync_wait | 1, wsrep_dirty_reads = OFF").map_err(|e| Error::store(format!("mysql at {}: cannot ask for causal reads (wsrep_sync_wait): {e}", self.place)))
    }

    /// Whether the server is a Galera node replicating (MySQL has no `@@wsrep_on`: not one).
    /// Any other failure to ask fails the connect: a node taken for a plain server would be
    /// used without causal reads.
    fn galera_node(&self, conn: &mut mysql::Conn) -> Result<bool> {
        match conn.query_first::<i64, _>("SELECT @@wsrep_on") {
            Ok(on) => Ok(on == Some(1)),
            Err(mysql::Error::MySqlError(m)) if m.code == ER_UNKNOWN_SYSTEM_VARIABLE => Ok(false),
            Err(e) => Err(Error::store(format!("mysql at {}: cannot tell whether it is a Galera node: {e}", self.place))),
        }
    }

    fn connect_server(&self) -> Result<mysql::Conn> {
        mysql::Conn::new(self.opts.clone()).map_err(|e| {
            // Refused or cut (a restart), or the server shutting down: worth waiting for.
            let passing = match &e {
                mysql::Error::IoError(io) => pool::passing_io_error(io.kind()),
                // Reset during the handshake (a node killed that instant): its I/O error is the source.
                mysql::Error::CodecError(codec) => std::error::Error::source(codec).and_then(|s| s.downcast_ref::<std::io::Error>()).is_some_and(|io| pool::passing_io_error(io.kind())),
                mysql::Error::DriverError(DriverError::CouldNotConnect(Some((_, _, kind)))) => pool::passing_io_error(*kind),
                mysql::Error::DriverError(DriverError::ConnectTimeout) => true,
                mysql::Error::MySqlError(m) => m.code == ER_SERVER_SHUTDOWN,
                _ => false,
            };
            if passing {
                pool::connect_may_succeed_later();
            }
            Error::store(tls::explain(format!("cannot connect to mysql at {}: {e}", self.place)))
        })
    }
}


struct MyConn<'a, Q: Queryable> {
    conn: &'a mut Q,
    retryable: bool,
    /// Of those, a lock wait (or Galera's causal-read wait) that timed out.
    waited: bool,
}

impl<Q: Queryable> MyConn<'_, Q> {
    fn error(&mut self, e: mysql::Error) -> SqlError {
        let code = match &e {
            mysql::Error::MySqlError(m) => Some(m.code),
            _ => None,
        };
        // A deadlock or lock wait timeout (on Galera also another node's conflicting
        // commit): the transaction was rolled back and may be run again.
        self.retryable |= matches!(code, Some(ER_LOCK_DEADLOCK | ER_LOCK_WAIT_TIMEOUT));
        self.waited |= code == Some(ER_LOCK_WAIT_TIMEOUT);
        if code == Some(ER_NODE_NOT_READY) || left_primary_component(&e) {
            // A Galera node that left the primary component: this connection is no use now.
            pool::connection_unusable();
        }
        SqlError { unique: code == Some(ER_DUP_ENTRY), error: Error::store(format!("mysql: {e}")) }
    }
}

/// A Galera node refused a write because it is outside the primary component for now (during the
/// view change after another node died, or cut off): nothing was applied, and another node, or this
/// one once it rejoins, takes the work.
fn left_primary_component(e: &mysql::Error) -> bool {
    matches!(e, mysql::Error::MySqlError(m) if m.code == ER_ERROR_DURING_COMMIT && m.message.contains("Primary Component"))
}

fn params(args: &[Val]) -> Vec<Value> {
    args.iter()
        .map(|a| match a {
            Val::Null => Value::NULL,
            Val::Int(i) => Value::Int(*i),
            Val::Text(t) => Value::Bytes(t.as_bytes().to_vec()),
        })
        .collect()
}

fn val(v: &Value) -> Val {
    match v {
        Value::NULL => Val::Null,
        Value::Int(i) => Val::Int(*i),
        Value::UInt(u) => Val::Int(*u as i64),
        Value::Bytes(b) => Val::Text(String::from_utf8_lossy(b).into_owned()),
        other => Val::Text(other.as_sql(true)),
    }
}

impl<Q: Queryable> Conn for MyConn<'_, Q> {
    fn exec(&mut self, sql: &str, args: &[Val]) -> std::result::Result<u64, SqlError> {
        let result = self.conn.exec_iter(sql, params(args)).map(|r| r.affected_rows());
        result.map_err(|e| self.error(e))
    }

    fn query(&mut self, sql: &str, args: &[Val]) -> Result<Vec<Vec<Val>>> {
        let result: std::result::Result<Vec<mysql::Row>, _> = self.conn.exec(sql, params(args));
        let rows = result.map_err(|e| self.error(e).error)?;
        Ok(rows.iter().map(|row| (0..row.len()).map(|i| row.as_ref(i).map(val).unwrap_or(Val::Null)).collect()).collect())
    }
}

/// How many times a transaction rolled back by a conflict runs again before the
/// conflict is reported: on a Galera cluster a busy payment's row can lose a few
/// certifications in a row to other nodes' commits.
const CONFLICT_RETRIES: u32 = 8;
/// Of those, how many may follow a wait that timed out (`innodb_lock_wait_timeout`, or on Galera
/// a node too far behind for `wsrep_sync_wait`): each cost a long wait already.
const LOCK_WAIT_RETRIES: u32 = 1;
/// The pause before the n-th run again: random in [1, CONFLICT_PAUSE_MS · 2ⁿ⁻¹] ms, at most
/// CONFLICT_PAUSE_MAX_MS, so two nodes' losers do not collide again in step.
const CONFLICT_PAUSE_MS: u64 = 5;
const CONFLICT_PAUSE_MAX_MS: u64 = 200;
/// The server's error codes the store tells apart: a restart has begun ("Server
/// shutdown in progress"); a deadlock and a lock wait timeout (the transaction was
/// rolled back and may be run again); a duplicate key; a Galera node not ready
/// ("WSREP has not yet prepared node for application use").
const ER_SERVER_SHUTDOWN: u16 = 1053;
const ER_LOCK_DEADLOCK: u16 = 1213;
const ER_LOCK_WAIT_TIMEOUT: u16 = 1205;
const ER_DUP_ENTRY: u16 = 1062;
const ER_NODE_NOT_READY: u16 = 1047;
/// "Got error … during COMMIT": on a Galera node whose provider is not connected to the primary
/// component, the write set was not replicated and the transaction rolled back.
const ER_ERROR_DURING_COMMIT: u16 = 1180;
/// "Unknown system variable": a server without Galera (MySQL) asked for `@@wsrep_on`.
const ER_UNKNOWN_SYSTEM_VARIABLE: u16 = 1193;

/// Transactions of this process run again after a conflict (statement or COMMIT), and
/// those of them whose conflict came at COMMIT.
static CONFLICTS_RETRIED: AtomicU64 = AtomicU64::new(0);
static CONFLICTS_AT_COMMIT: AtomicU64 = AtomicU64::new(0);

/// How many transactions this process ran again after a deadlock, a lock wait
/// timeout or (on Galera) a conflict with another node's commit: for tests and
/// for a shop's metrics.
pub fn conflicts_retried() -> u64 {
    CONFLICTS_RETRIED.load(Ordering::Relaxed)
}

/// How many of `conflicts_retried()` were refused at their COMMIT (Galera's certification).
pub fn conflicts_retried_at_commit() -> u64 {
    CONFLICTS_AT_COMMIT.load(Ordering::Relaxed)
}

fn pause_before_run(again: u32) {
    let most = (CONFLICT_PAUSE_MS << again.saturating_sub(1).min(10)).min(CONFLICT_PAUSE_MAX_MS);
    std::thread::sleep(Duration::from_millis(1 + rand::random::<u64>() % most));
}

impl Backend for MySql {
    fn dialect(&self) -> Dialect {
        Dialect::MySql
    }

    fn transaction<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.pool.with(
            || self.connect(),
            |conn| {
                let (mut again, mut lock_waits) = (0, 0);
                loop {
                    let mut tx = conn.start_transaction(TxOpts::default()).map_err(|e| Error::store(format!("mysql: {e}")))?;
                    let mut c = MyConn { conn: &mut tx, retryable: false, waited: false };
                    let result = f(&mut c);
                    let (retryable, mut waited) = (c.retryable, c.waited);
                    let conflict = match result {
                        Ok(value) => match tx.commit() {
                            Ok(()) => return Ok(value),
                            Err(e) => {
                                let code = match &e {
                                    mysql::Error::MySqlError(m) => Some(m.code),
                                    _ => None,
                                };
                                // Only a refusal that rolled the transaction back is known not to have
                                // landed (deadlock, lock wait, duplicate key, a write set the Galera node
                                // could not replicate); anything else may have.
                                if left_primary_component(&e) {
                                    // Rolled back on a node outside the primary component (a view change
                                    // after another node died): run again on a fresh connection.
                                    pool::connection_unusable();
                                } else if !matches!(code, Some(ER_LOCK_DEADLOCK | ER_LOCK_WAIT_TIMEOUT | ER_DUP_ENTRY)) {
                                    pool::commit_unanswered();
                                }
                                // A deadlock at COMMIT is Galera's word for "another node committed
                                // a conflicting write first": rolled back, so safe to run again.
                                let conflict = matches!(code, Some(ER_LOCK_DEADLOCK | ER_LOCK_WAIT_TIMEOUT));
                                waited = code == Some(ER_LOCK_WAIT_TIMEOUT);
                                if conflict && again < CONFLICT_RETRIES {
                                    CONFLICTS_AT_COMMIT.fetch_add(1, Ordering::Relaxed);
                                }
                                (conflict, Error::store(format!("mysql: {e}")))
                            }
                        },
                        Err(e) => (retryable, e), // dropping `tx` rolls back
                    };
                    lock_waits += u32::from(waited);
                    match conflict {
                        (true, _) if again < CONFLICT_RETRIES && lock_waits <= LOCK_WAIT_RETRIES => {
                            again += 1;
                            CONFLICTS_RETRIED.fetch_add(1, Ordering::Relaxed);
                            pause_before_run(again);
                        }
                        (_, e) => return Err(e),
                    }
                }
            },
        )
    }

    fn read<T>(&self, f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        self.pool.with(|| self.connect(), |conn| f(&mut MyConn { conn, retryable: false, waited: false }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The MariaDB server `make test` starts; None (skip) unless it is required.
    fn server() -> Option<String> {
        match std::env::var("DARGAH_TEST_MYSQL_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                assert_ne!(std::env::var("DARGAH_REQUIRE_DATABASES").as_deref(), Ok("1"), "DARGAH_TEST_MYSQL_URL is not set but DARGAH_REQUIRE_DATABASES=1");
                None
            }
        }
    }

    #[test]
    fn a_url_with_several_hosts_is_one_url_per_host() {
        assert_eq!(each_host("mysql://u:p@a:1,b:2/db?x=1"), ["mysql://u:p@a:1/db?x=1", "mysql://u:p@b:2/db?x=1"]);
        assert_eq!(each_host("mysql://u:p@a:1/db"), ["mysql://u:p@a:1/db"]);
        assert_eq!(each_host("mysql://a,b"), ["mysql://a", "mysql://b"]);
    }

    /// Issue 24 item 6: `GET_LOCK` answering 0 (another process held the lock
    /// the whole time) no longer lets the migration run beside that process's.
    #[test]
    fn a_migration_lock_not_granted_is_a_store_error_and_migrates_nothing() {
        let Some(url) = server() else { return };
        let prefix = format!("gl{:x}_", std::process::id() as u64 * 1_000_003 + crate::clock::system_ms() as u64 % 1_000_000);
        let store = open(&url, &prefix).unwrap();
        let mut holder = mysql::Conn::new(Opts::from_url(&url).unwrap()).unwrap();
        let lock = format!("dargah_migrate_{prefix}");
        let held: Option<i64> = holder.exec_first("SELECT GET_LOCK(?, 0)", (lock.as_str(),)).unwrap();
        assert_eq!(held, Some(1));
        let e = store.migrate_within(1).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Store);
        assert!(e.message().contains("not granted") && e.message().contains(&lock), "{}", e.message());
        let _: Option<i64> = holder.exec_first("SELECT RELEASE_LOCK(?)", (lock.as_str(),)).unwrap();
        store.migrate_within(1).expect("once the lock is free, the migration runs");
    }
}
