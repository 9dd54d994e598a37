//! `dargah demo`: the whole verify-once story on a fresh machine. A sandbox
//! in this process, an SQLite store in a temporary folder, and for each
//! gateway: create → pay through the payment page → callback, then the same
//! callback 3 times in a row and 16 times at once, and one cancelled payment.

use crate::browser::Browser;
use dargah_core::{CallbackFields, Dargah, Gateway, OutcomeKind, PaymentRequest};
use dargah_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

const AMOUNT_RIAL: u64 = 1_250_000;
const CARD: &str = "6037991234567890";

/// A client configuration pointing every gateway at a sandbox.
pub fn sandbox_client_config(base: &str, store: &str) -> Value {
    dargah_sandbox::client_config(base, store)
}

struct Row {
    gateway: String,
    created: String,
    outcome: String,
    verify_calls: u64,
    from_store: usize,
    cancelled: String,
    credited: usize,
}

/// One overwritten status line on a terminal; nothing when stderr is a file or pipe.
fn progress(text: &str) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[K{text}");
        let _ = std::io::stderr().flush();
    }
}


fn calls_for(base: &str, token: &str, endpoint: &str) -> Result<u64, String> {
    let stats: Value = reqwest::blocking::get(format!("{base}/_control/stats")).and_then(|r| r.json()).map_err(|e| e.to_string())?;
    Ok(stats["by_token"][token][endpoint].as_u64().unwrap_or(0))
}

fn run_gateway(dargah: &Arc<Dargah>, browser: &Browser, base: &str, gateway: Gateway) -> Result<Row, String> {
    let step = |s: &str| progress(&format!("{gateway}: {s}"));
    step("creating the payment");
    let callback = format!("http://127.0.0.1:8000/shop/callback/{gateway}");
    let request = PaymentRequest::new(format!("demo-{gateway}-1"), AMOUNT_RIAL, &callback).mobile("09123456789").description("Demo order");
    let created = dargah.create_payment(gateway, request).map_err(|e| e.to_string())?;
    let token = created.payment.token.clone().unwrap_or_default();

    step("paying on the sandbox page");
    let fields = browser.pay(&created.redirect, "pay", CARD)?.fields()?;
    step("delivering the callback");
    let first = dargah.handle_callback(gateway, &fields).map_err(|e| e.to_string())?;
    let mut kinds = vec![first.kind];
    step("delivering it again, 3 times in a row");
    for _ in 0..3 {
        kinds.push(dargah.handle_callback(gateway, &fields).map_err(|e| e.to_string())?.kind);
    }
    step("delivering it 16 times at once");
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (dargah, fields): (Arc<Dargah>, CallbackFields) = (dargah.clone(), fields.clone());
            std::thread::spawn(move || dargah.handle_callback(gateway, &fields).map(|o| o.kind).map_err(|e| e.to_string()))
        })
        .collect();
    for h in handles {
        kinds.push(h.join().map_err(|_| "a callback thread panicked")??);
    }
    if let Some(p) = dargah.unacknowledged(100).map_err(|e| e.to_string())?.into_iter().find(|p| p.id == created.payment.id) {
        dargah.acknowledge(&p.id).map_err(|e| e.to_string())?;
    }

    step("cancelling a second payment");
    let request = PaymentRequest::new(format!("demo-{gateway}-2"), AMOUNT_RIAL, &callback).mobile("09123456789");
    let second = dargah.create_payment(gateway, request).map_err(|e| e.to_string())?;
    let cancel_fields = browser.pay(&second.redirect, "cancel", CARD)?.fields()?;
    let cancelled = dargah.handle_callback(gateway, &cancel_fields).map_err(|e| e.to_string())?;
    if cancelled.kind.is_paid() {
        return Err(format!("{gateway}: a cancelled payment was reported paid"));
    }

    Ok(Row {
        gateway: gateway.name().into(),
        created: created.payment.id,
        outcome: first.kind.name().into(),
        verify_calls: calls_for(base, &token, dargah_sandbox::verify_endpoint(gateway.name()).unwrap_or_default())?,
        from_store: kinds.iter().filter(|k| **k == OutcomeKind::AlreadyPaid).count(),
        cancelled: cancelled.kind.name().into(),
        credited: kinds.iter().filter(|k| **k == OutcomeKind::NewlyPaid).count(),
    })
}

pub fn run() -> Result<ExitCode, String> {
    progress("starting the sandbox");
    let sandbox = Sandbox::start(SandboxConfig::default()).map_err(|e| format!("cannot start the sandbox: {e}"))?;
    let base = sandbox.base_url();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = format!("sqlite://{}/dargah.db", dir.path().display());
    let dargah = Arc::new(Dargah::from_json(&sandbox_client_config(&base, &store).to_string()).map_err(|e| e.to_string())?);
    let browser = Browser::new()?;

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for gateway in Gateway::ALL {
        match run_gateway(&dargah, &browser, &base, gateway) {
            Ok(row) => rows.push(row),
            Err(e) => failures.push(format!("{gateway}: {e}")),
        }
    }
    progress("sepal: logging in and looking up a payment");
    let sepal = dargah.sepal_payment_state(1755366969864145);
    progress("");

    println!("Dargah demo — sandbox at {base}, store {store}");
    println!("{:<8} {:<26} {:<11} {:>12} {:>11} {:<10} {:>8}", "gateway", "payment", "outcome", "verify calls", "from store", "cancel", "credited");
    for r in &rows {
        println!(
            "{:<8} {:<26} {:<11} {:>12} {:>11} {:<10} {:>8}",
            r.gateway, r.created, r.outcome, r.verify_calls, r.from_store, r.cancelled, r.credited
        );
        if r.credited != 1 {
            failures.push(format!("{}: credited {} times", r.gateway, r.credited));
        }
    }
    match sepal {
        Ok(s) => println!("{:<8} login ok; payment {} is {:?} (state {})", "sepal", s.payment_number, s.state_label, s.state),
        Err(e) => failures.push(format!("sepal: {e}")),
    }
    println!("each payment got 20 callbacks (1 + 3 in a row + 16 at once); outcomes other than the first came from the store");
    if failures.is_empty() {
        println!("OK: every payment was credited exactly once");
        Ok(ExitCode::SUCCESS)
    } else {
        for f in &failures {
            eprintln!("FAILED {f}");
        }
        Ok(ExitCode::FAILURE)
    }
}
