//! A worker process: one "host" of the shop. It runs its operations against
//! the shared store with its own clock skew (and, for some, a crash armed at a
//! random step), and reports every answer as one JSON line on stdout.

use super::plan::Op;
use dargah_core::{CallbackFields, Dargah, Gateway, ReconcileOptions};
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const ENTRY: &str = "chaos_worker_entry";

/// How a worker is started.
pub struct Spawn<'a> {
    pub index: usize,
    pub config: &'a str,
    pub ops: &'a [Op],
    pub skew_ms: i64,
    /// `FAILPOINTS` for a worker that may die (`<step>=<n>%return`).
    pub failpoints: Option<String>,
    /// A command the worker runs under (`ip netns exec <name>`); empty: none.
    pub wrap: Vec<String>,
}

pub fn spawn(s: Spawn<'_>) -> Child {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = match s.wrap.split_first() {
        Some((program, args)) => {
            let mut cmd = Command::new(program);
            cmd.args(args).arg(exe);
            cmd
        }
        None => Command::new(exe),
    };
    cmd.args(["--exact", ENTRY, "--nocapture", "--test-threads=1"])
        .env("CHAOS_WORKER", s.index.to_string())
        .env("CHAOS_CONFIG", s.config)
        .env("CHAOS_OPS", serde_json::to_string(s.ops).unwrap())
        .env("DARGAH_TEST_CLOCK_SKEW_MS", s.skew_ms.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(fp) = s.failpoints {
        cmd.env("FAILPOINTS", fp);
    }
    cmd.spawn().unwrap()
}

/// The worker side; does nothing unless started by `spawn`.
pub fn run_if_worker() {
    let Ok(index) = std::env::var("CHAOS_WORKER") else { return };
    // A database restarting as the worker starts is waited for: a worker that dies
    // here would count as one killed at a failpoint.
    let config = std::env::var("CHAOS_CONFIG").unwrap();
    let dargah = (0..60)
        .find_map(|_| match Dargah::from_json(&config) {
            Err(e) if e.kind() == dargah_core::ErrorKind::Store => {
                std::thread::sleep(Duration::from_millis(500));
                None
            }
            other => Some(other.unwrap()),
        })
        .expect("the store did not come back");
    let ops: Vec<Op> = serde_json::from_str(&std::env::var("CHAOS_OPS").unwrap()).unwrap();
    let mut out = std::io::stdout().lock();
    for (n, op) in ops.iter().enumerate() {
        for line in run_op(&dargah, op) {
            let mut line = line;
            line["w"] = json!(index);
            line["n"] = json!(n);
            // One write per line, flushed: a crash right after loses nothing already said.
            writeln!(out, "{line}").unwrap();
            out.flush().unwrap();
        }
    }
}

fn error_line(e: &dargah_core::Error) -> String {
    format!("error:{}", e.kind().name())
}

/// Run one operation; a store error (a database restarting) is retried, as a
/// customer refreshing or cron running again would.
fn run_op(dargah: &Dargah, op: &Op) -> Vec<Value> {
    for attempt in 0..20 {
        let lines = try_op(dargah, op);
        let store_error = lines.iter().any(|l| l["result"] == "error:store");
        if !store_error || attempt == 19 {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    unreachable!()
}

fn try_op(dargah: &Dargah, op: &Op) -> Vec<Value> {
    match op {
        Op::Create { slot, gateway, invoice, amount } => {
            let gateway: Gateway = gateway.parse().unwrap();
            let request = dargah_core::PaymentRequest::new(invoice.clone(), *amount, "https://shop.example/cb").mobile("09123456789");
            match dargah.create_payment(gateway, request) {
                Ok(c) => vec![json!({"op": "create", "slot": slot, "payment": c.payment.id, "token": c.payment.token, "result": "created"})],
                Err(e) => vec![json!({"op": "create", "slot": slot, "result": error_line(&e)})],
            }
        }
        Op::Callback { slot, gateway, label, callback } => {
            let gateway: Gateway = gateway.parse().unwrap();
            let result = fields_of(callback).and_then(|f| dargah.handle_callback(gateway, &f));
            match result {
                Ok(o) => {
                    // A shop credits on newly_paid, then acknowledges (most of the time; the rest is the outbox's job).
                    if o.is_newly_paid() && o.payment.id.bytes().map(u32::from).sum::<u32>() % 5 != 0 {
                        let _ = dargah.acknowledge(&o.payment.id);
                    }
                    vec![json!({"op": format!("callback:{label}"), "slot": slot, "payment": o.payment.id, "result": o.kind.name(), "state": o.payment.state.name()})]
                }
                Err(e) => vec![json!({"op": format!("callback:{label}"), "slot": slot, "result": error_line(&e)})],
            }
        }
        Op::Recover => match dargah.recover(100) {
            Ok(report) => report.outcomes.iter().map(|o| json!({"op": "recover", "payment": o.payment.id, "result": o.kind.name(), "state": o.payment.state.name()})).collect(),
            Err(e) => vec![json!({"op": "recover", "result": error_line(&e)})],
        },
        Op::Reconcile => match dargah.reconcile(&ReconcileOptions { min_age: Duration::from_millis(500), limit: 200 }, |_| {}) {
            Ok(report) => report.outcomes.iter().map(|o| json!({"op": "reconcile", "payment": o.payment.id, "result": o.kind.name(), "state": o.payment.state.name()})).collect(),
            Err(e) => vec![json!({"op": "reconcile", "result": error_line(&e)})],
        },
    }
}

fn fields_of(callback: &Value) -> dargah_core::Result<CallbackFields> {
    let url = url::Url::parse(callback["url"].as_str().unwrap_or_default()).map_err(|_| dargah_core::Error::callback("bad url"))?;
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let form: Vec<(String, String)> = callback["form"].as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect()).unwrap_or_default();
    CallbackFields::from_pairs(query, form)
}
