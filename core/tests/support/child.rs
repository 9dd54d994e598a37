//! Running part of a test in separate processes: the test binary re-runs
//! itself with `--exact <entry>` and the work described in environment variables.

use dargah_core::{CallbackFields, Dargah, Gateway, OutcomeKind};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const ENTRY: &str = "child_process_entry";

/// Spawn a child that delivers `callbacks` (raw query strings) from `threads` threads
/// once the file `go` exists. Extra env (FAILPOINTS) is passed through.
pub fn spawn(config: &str, gateway: Gateway, callbacks: &[String], threads: usize, go: &str, extra_env: &[(&str, &str)]) -> std::process::Child {
    command(config, gateway, callbacks, threads, go, extra_env).spawn().unwrap()
}

pub fn command(config: &str, gateway: Gateway, callbacks: &[String], threads: usize, go: &str, extra_env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", ENTRY, "--nocapture", "--test-threads=1"])
        .env("DARGAH_TEST_CHILD", "1")
        .env("DARGAH_TEST_CONFIG", config)
        .env("DARGAH_TEST_GATEWAY", gateway.name())
        .env("DARGAH_TEST_CALLBACKS", callbacks.join("\n"))
        .env("DARGAH_TEST_THREADS", threads.to_string())
        .env("DARGAH_TEST_GO", go)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd
}

/// What a child reported: counts of each outcome kind, and errors.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub newly_paid: usize,
    pub already_paid: usize,
    pub in_progress: usize,
    pub other: usize,
    pub errors: usize,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.newly_paid += other.newly_paid;
        self.already_paid += other.already_paid;
        self.in_progress += other.in_progress;
        self.other += other.other;
        self.errors += other.errors;
    }

    /// Count one outcome by its kind.
    pub fn count(&mut self, kind: OutcomeKind) {
        match kind {
            OutcomeKind::NewlyPaid => self.newly_paid += 1,
            OutcomeKind::AlreadyPaid => self.already_paid += 1,
            OutcomeKind::InProgress => self.in_progress += 1,
            _ => self.other += 1,
        }
    }
}

pub fn tally_of(output: &Output) -> Tally {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .split("TALLY ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_else(|| panic!("child printed no tally: {stdout}\n{}", String::from_utf8_lossy(&output.stderr)));
    let n: Vec<usize> = line.split(' ').map(|x| x.parse().unwrap()).collect();
    Tally { newly_paid: n[0], already_paid: n[1], in_progress: n[2], other: n[3], errors: n[4] }
}

/// Deliver each callback from `threads` threads at once on one client.
pub fn deliver(dargah: Arc<Dargah>, gateway: Gateway, callbacks: Vec<String>, threads: usize) -> Tally {
    let barrier = Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (dargah, barrier) = (dargah.clone(), barrier.clone());
            let raw = callbacks[i % callbacks.len()].clone();
            std::thread::spawn(move || {
                barrier.wait();
                let fields = CallbackFields::from_raw(raw.as_bytes(), b"").unwrap();
                dargah.handle_callback(gateway, &fields)
            })
        })
        .collect();
    let mut tally = Tally::default();
    for h in handles {
        match h.join().unwrap() {
            Ok(o) => tally.count(o.kind),
            Err(e) => {
                eprintln!("callback error: {e}");
                tally.errors += 1
            }
        }
    }
    tally
}

/// The child side: does nothing unless spawned by `spawn`.
pub fn run_if_child() {
    if std::env::var("DARGAH_TEST_CHILD").is_err() {
        return;
    }
    let var = |k: &str| std::env::var(k).unwrap();
    let dargah = Arc::new(Dargah::from_json(&var("DARGAH_TEST_CONFIG")).unwrap());
    let gateway: Gateway = var("DARGAH_TEST_GATEWAY").parse().unwrap();
    if let Ok(invoice) = std::env::var("DARGAH_TEST_CREATE") {
        let request = dargah_core::PaymentRequest::new(invoice, 50_000, "http://127.0.0.1:9/cb").mobile("09123456789");
        let created = dargah.create_payment(gateway, request).unwrap();
        println!("CREATED {}", created.payment.id);
        return;
    }
    // Resolve without a callback, as cron would: `recover` or `reconcile`.
    if let Ok(how) = std::env::var("DARGAH_TEST_UNPROMPTED") {
        let resolved = match how.as_str() {
            "recover" => dargah.recover(10).unwrap().outcomes.len(),
            _ => dargah.reconcile(&dargah_core::ReconcileOptions { min_age: Duration::ZERO, limit: 10 }, |_| {}).unwrap().outcomes.len(),
        };
        println!("TALLY {resolved} 0 0 0 0");
        return;
    }
    let callbacks: Vec<String> = var("DARGAH_TEST_CALLBACKS").lines().map(str::to_string).collect();
    let threads: usize = var("DARGAH_TEST_THREADS").parse().unwrap();
    let go = var("DARGAH_TEST_GO");
    let every = std::env::var("DARGAH_TEST_EVERY").is_ok();
    let start = Instant::now();
    while !std::path::Path::new(&go).exists() {
        assert!(start.elapsed() < Duration::from_secs(30), "never told to go");
        std::thread::sleep(Duration::from_millis(2));
    }
    if every {
        let (t, newly) = deliver_every(dargah, gateway, callbacks, threads);
        for id in newly {
            println!("NEWLY {id}");
        }
        println!("TALLY {} {} {} {} {}", t.newly_paid, t.already_paid, t.in_progress, t.other, t.errors);
        return;
    }
    let t = deliver(dargah, gateway, callbacks, threads);
    println!("TALLY {} {} {} {} {}", t.newly_paid, t.already_paid, t.in_progress, t.other, t.errors);
}

/// Deliver every callback once, from `threads` threads working through the
/// list; a callback that meets a store error (a database restarting) is
/// delivered again, as a customer refreshing the page would. Returns the
/// tally and the ids this process was told were newly paid.
pub fn deliver_every(dargah: Arc<Dargah>, gateway: Gateway, callbacks: Vec<String>, threads: usize) -> (Tally, Vec<String>) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let callbacks = Arc::new(callbacks);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (dargah, next, callbacks) = (dargah.clone(), next.clone(), callbacks.clone());
            std::thread::spawn(move || {
                let (mut tally, mut newly) = (Tally::default(), Vec::new());
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(raw) = callbacks.get(i) else { break };
                    let fields = CallbackFields::from_raw(raw.as_bytes(), b"").unwrap();
                    for attempt in 0..40 {
                        match dargah.handle_callback(gateway, &fields) {
                            Ok(o) => {
                                tally.count(o.kind);
                                if o.is_newly_paid() {
                                    // Credit the order, then acknowledge, as a shop does.
                                    for _ in 0..40 {
                                        if dargah.acknowledge(&o.payment.id).is_ok() {
                                            break;
                                        }
                                        std::thread::sleep(Duration::from_millis(250));
                                    }
                                    newly.push(o.payment.id);
                                }
                                break;
                            }
                            Err(e) => {
                                tally.errors += 1;
                                if attempt == 39 {
                                    eprintln!("gave up on a callback: {e}");
                                }
                                std::thread::sleep(Duration::from_millis(250));
                            }
                        }
                    }
                }
                (tally, newly)
            })
        })
        .collect();
    let mut total = Tally::default();
    let mut newly = Vec::new();
    for h in handles {
        let (t, n) = h.join().unwrap();
        total.add(t);
        newly.extend(n);
    }
    (total, newly)
}
