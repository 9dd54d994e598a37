//! Power cuts: a child process runs one payment operation and dies at its
//! k-th commit; the machine comes back with the store as it was at the last
//! commit that was synced, the unsynced ones after it lost.
//!
//! The child's store calls a test hook before and after every commit of a
//! payment operation (`dargah_core::store::set_commit_hook`, the `failpoints`
//! feature). After each synced commit the hook copies the store aside: that
//! copy is what a power cut leaves. SQLite's unsynced commits (a claim of a
//! gateway that answers for a lost claim, see `SqlStore::claim`) are in the
//! WAL but not on disk until the next sync; `VACUUM INTO` after a sync copies
//! exactly the synced prefix, since no other writer runs. PostgreSQL and
//! MariaDB sync every commit with the project's settings (`fsync`,
//! `synchronous_commit`, `innodb_flush_log_at_trx_commit=1`): there the cut
//! is modelled as the loss of whatever the engine committed without asking
//! for a sync (the same claims), as a server set to commit those lazily
//! would lose them; the copy is a copy of every table under the store's
//! prefix, made under a second prefix the rebooted client then uses.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::process::{Command, Output, Stdio};

pub const ENTRY: &str = "power_cut_child_entry";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreKind {
    Sqlite,
    Postgres,
    MySql,
}

impl StoreKind {
    pub fn name(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Postgres => "postgres",
            StoreKind::MySql => "mysql",
        }
    }
}

/// One store under test: the live data the child writes, and where the copy
/// of its durable prefix goes (a SQLite file, or a table prefix on the server).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PowerStore {
    pub kind: StoreKind,
    /// `sqlite://…/live.db`, or the server's URL.
    pub url: String,
    /// The live tables' prefix (servers; SQLite uses the default).
    pub prefix: String,
    /// SQLite: the durable copy's path. Servers: the durable copy's table prefix.
    pub durable: String,
}

impl PowerStore {
    /// A fresh store: a file in `dir`, or fresh table prefixes on `server_url`.
    pub fn new(kind: StoreKind, dir: &std::path::Path, server_url: Option<&str>) -> PowerStore {
        match kind {
            StoreKind::Sqlite => PowerStore {
                kind,
                url: format!("sqlite://{}/live.db", dir.display()),
                prefix: String::new(),
                durable: format!("{}/durable.db", dir.display()),
            },
            _ => {
                let tag = super::databases::unique_prefix("");
                PowerStore { kind, url: server_url.unwrap().to_string(), prefix: format!("pl{tag}"), durable: format!("pd{tag}") }
            }
        }
    }

    /// A client config on the live store (`config` is the sandbox's client config).
    pub fn live_config(&self, mut config: serde_json::Value) -> String {
        config["store"] = serde_json::json!(self.url);
        if !self.prefix.is_empty() {
            config["table_prefix"] = serde_json::json!(self.prefix);
        }
        config.to_string()
    }

    /// The config of the machine back from the power cut: the durable copy.
    pub fn rebooted_config(&self, mut config: serde_json::Value) -> String {
        match self.kind {
            StoreKind::Sqlite => config["store"] = serde_json::json!(format!("sqlite://{}", self.durable)),
            _ => {
                config["store"] = serde_json::json!(self.url);
                config["table_prefix"] = serde_json::json!(self.durable);
            }
        }
        config.to_string()
    }

    /// Copy the live store's committed state over the durable copy.
    pub fn snapshot(&self) {
        match self.kind {
            StoreKind::Sqlite => {
                let live = self.url.trim_start_matches("sqlite://");
                let tmp = format!("{}.tmp", self.durable);
                let _ = std::fs::remove_file(&tmp);
                let conn = rusqlite::Connection::open(live).unwrap();
                conn.execute("VACUUM INTO ?1", [&tmp]).unwrap();
                std::fs::rename(&tmp, &self.durable).unwrap();
            }
            StoreKind::Postgres => {
                let mut client = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
                let tables: Vec<String> = client
                    .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND left(table_name, length($1)) = $1", &[&self.prefix])
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let mut sql = String::from("BEGIN ISOLATION LEVEL REPEATABLE READ;");
                for live in &tables {
                    let copy = format!("{}{}", self.durable, &live[self.prefix.len()..]);
                    sql += &format!("DROP TABLE IF EXISTS {copy}; CREATE TABLE {copy} (LIKE {live} INCLUDING ALL); INSERT INTO {copy} SELECT * FROM {live};");
                }
                sql += "COMMIT;";
                client.batch_execute(&sql).unwrap();
            }
            StoreKind::MySql => {
                use mysql::prelude::Queryable;
                let mut conn = mysql::Conn::new(mysql::Opts::from_url(&self.url).unwrap()).unwrap();
                let tables: Vec<String> = conn
                    .exec("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND LEFT(table_name, CHAR_LENGTH(?)) = ?", (&self.prefix, &self.prefix))
                    .unwrap();
                for live in &tables {
                    let copy = format!("{}{}", self.durable, &live[self.prefix.len()..]);
                    conn.query_drop(format!("DROP TABLE IF EXISTS {copy}")).unwrap();
                    conn.query_drop(format!("CREATE TABLE {copy} LIKE {live}")).unwrap();
                }
                // One snapshot of every table: the child is the only writer, so this is its synced prefix.
                conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT").unwrap();
                for live in &tables {
                    let copy = format!("{}{}", self.durable, &live[self.prefix.len()..]);
                    conn.query_drop(format!("INSERT INTO {copy} SELECT * FROM {live}")).unwrap();
                }
                conn.query_drop("COMMIT").unwrap();
            }
        }
    }
}

/// Drops a server store's live and durable tables when the scenario ends
/// (SQLite's files go with their temporary directory).
pub struct DropTablesOnExit<'a>(pub &'a PowerStore);

impl Drop for DropTablesOnExit<'_> {
    fn drop(&mut self) {
        let store = self.0;
        let prefixes = [store.prefix.as_str(), store.durable.as_str()];
        match store.kind {
            StoreKind::Sqlite => {}
            StoreKind::Postgres => {
                let Ok(mut client) = postgres::Client::connect(&store.url, postgres::NoTls) else { return };
                for prefix in prefixes {
                    let Ok(rows) = client.query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND left(table_name, length($1)) = $1", &[&prefix]) else { continue };
                    let tables: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
                    if !tables.is_empty() {
                        let _ = client.batch_execute(&format!("DROP TABLE IF EXISTS {}", tables.join(", ")));
                    }
                }
            }
            StoreKind::MySql => {
                use mysql::prelude::Queryable;
                let Ok(mut conn) = mysql::Conn::new(mysql::Opts::from_url(&store.url).unwrap()) else { return };
                for prefix in prefixes {
                    let tables: Vec<String> = conn.exec("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND LEFT(table_name, CHAR_LENGTH(?)) = ?", (prefix, prefix)).unwrap_or_default();
                    if !tables.is_empty() {
                        let _ = conn.query_drop(format!("DROP TABLE IF EXISTS {}", tables.join(", ")));
                    }
                }
            }
        }
    }
}

/// What a child did before the power went (or it finished).
#[derive(Debug, Default)]
pub struct ChildRun {
    /// The commit it died at (1-based), or None: it finished.
    pub cut_at: Option<usize>,
    /// Commits it began, each synced or not, in order.
    pub commits: Vec<bool>,
    /// The lines it printed (`CREATED <id> <token>`, `OUTCOME <kind> <id>`, …).
    pub lines: Vec<String>,
}

impl ChildRun {
    pub fn newly_paid(&self) -> usize {
        self.lines.iter().filter(|l| l.starts_with("OUTCOME newly_paid")).count()
    }
}

/// Run `op` (see `run_child`) in a child that dies at commit `cut_at` (0: never).
pub fn spawn(store: &PowerStore, config: &str, gateway: dargah_core::Gateway, op: &str, cut_at: usize) -> ChildRun {
    let out: Output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", ENTRY, "--nocapture", "--test-threads=1"])
        .env("POWER_CUT_CHILD", "1")
        .env("POWER_CUT_STORE", serde_json::to_string(store).unwrap())
        .env("POWER_CUT_CONFIG", config)
        .env("POWER_CUT_GATEWAY", gateway.name())
        .env("POWER_CUT_OP", op)
        .env("POWER_CUT_AT", cut_at.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut run = ChildRun::default();
    // libtest prints "test power_cut_child_entry ... " before the first line, without a newline.
    for line in stdout.lines().filter_map(|l| l.find("PC ").map(|at| &l[at + 3..])) {
        match line.split_once(' ') {
            Some(("COMMIT", synced)) => run.commits.push(synced == "synced"),
            Some(("CUT", n)) => run.cut_at = Some(n.parse().unwrap()),
            _ => run.lines.push(line.to_string()),
        }
    }
    let finished = stdout.contains("PC DONE");
    assert!(finished != run.cut_at.is_some(), "child neither finished nor was cut: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.success(), finished, "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    run
}

static CHILD_STORE: once_cell::sync::Lazy<Option<(PowerStore, usize)>> = once_cell::sync::Lazy::new(|| {
    let store = serde_json::from_str(&std::env::var("POWER_CUT_STORE").ok()?).unwrap();
    Some((store, std::env::var("POWER_CUT_AT").unwrap().parse().unwrap()))
});
static COMMITS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "PC {line}").unwrap();
    out.flush().unwrap();
}

/// The child's commit hook: the power goes before commit `POWER_CUT_AT`; after
/// every synced commit the durable copy is brought up to date.
fn on_commit(point: dargah_core::store::CommitPoint) {
    use dargah_core::store::CommitPoint;
    let Some((store, cut_at)) = CHILD_STORE.as_ref() else { return };
    match point {
        CommitPoint::Before { synced } => {
            let n = COMMITS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            say(&format!("COMMIT {}", if synced { "synced" } else { "unsynced" }));
            if n == *cut_at {
                say(&format!("CUT {n}"));
                std::process::abort();
            }
        }
        CommitPoint::After { synced: true } => store.snapshot(),
        CommitPoint::After { synced: false } => {}
    }
}

/// The child side; does nothing unless started by `spawn`. Ops:
/// `create <invoice> <amount>`, `callback <urlencoded fields>`, `recover`, `reconcile`.
pub fn run_if_child() {
    if std::env::var("POWER_CUT_CHILD").is_err() {
        return;
    }
    dargah_core::store::set_commit_hook(on_commit);
    let var = |k: &str| std::env::var(k).unwrap();
    let dargah = dargah_core::Dargah::from_json(&var("POWER_CUT_CONFIG")).unwrap();
    let gateway: dargah_core::Gateway = var("POWER_CUT_GATEWAY").parse().unwrap();
    let op = var("POWER_CUT_OP");
    let outcome = |o: &dargah_core::Outcome| say(&format!("OUTCOME {} {}", o.kind.name(), o.payment.id));
    match op.split_once(' ').unwrap_or((op.as_str(), "")) {
        ("create", rest) => {
            let (invoice, amount) = rest.split_once(' ').unwrap();
            let request = dargah_core::PaymentRequest::new(invoice, amount.parse().unwrap(), "http://127.0.0.1:9/cb").mobile("09123456789");
            match dargah.create_payment(gateway, request) {
                Ok(c) => say(&format!("CREATED {} {}", c.payment.id, c.payment.token.unwrap_or_default())),
                Err(e) => say(&format!("ERROR {}", e.kind().name())),
            }
        }
        ("callback", raw) => {
            let fields = dargah_core::CallbackFields::from_raw(raw.as_bytes(), b"").unwrap();
            match dargah.handle_callback(gateway, &fields) {
                Ok(o) => outcome(&o),
                Err(e) => say(&format!("ERROR {}", e.kind().name())),
            }
        }
        ("recover", _) => match dargah.recover(10) {
            Ok(report) => report.outcomes.iter().for_each(outcome),
            Err(e) => say(&format!("ERROR {}", e.kind().name())),
        },
        ("reconcile", _) => match dargah.reconcile(&dargah_core::ReconcileOptions { min_age: std::time::Duration::ZERO, limit: 10 }, |_| {}) {
            Ok(report) => report.outcomes.iter().for_each(outcome),
            Err(e) => say(&format!("ERROR {}", e.kind().name())),
        },
        (other, _) => panic!("unknown power-cut op {other}"),
    }
    say("DONE");
}
