//! `dargah-bench`: the Rust side of `make bench` (see bench/README.md).
//!
//! Every subcommand prints one JSON object on stdout; bench/run.sh collects
//! them and bench/report.py turns them into docs/benchmarks.md. Each figure
//! is measured next to its baseline in the same process, in interleaved
//! rounds, so a machine busy with other work slows both alike.
//!
//!   b1       handle_callback through the C ABI vs one raw gateway round trip + two durable commits
//!   b4       128 concurrent deliveries of one paid callback vs one delivery
//!   b6size   p50/p99 of a callback with 1k and with 1M payments stored (SQLite)
//!   b6procs  callbacks/s of 1 process vs P processes on one store
//!   worker   (a child of b6procs)
//!   prep     paid payments for the PHP and Python benchmarks, one callback query per line
//!   fcgi     drive php-fpm over FastCGI with a list of callbacks, C at a time
//!   config   the client configuration (JSON) for a sandbox and a store

use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

type Res<T> = Result<T, String>;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(cmd) = args.get(1).cloned() else {
        eprintln!("usage: dargah-bench b1|b4|b6size|b6procs|worker|prep|fcgi --key value ...");
        std::process::exit(2);
    };
    let opts = Opts::parse(&args[2..]);
    let result = match cmd.as_str() {
        "b1" => b1(&opts),
        "b4" => b4(&opts),
        "b6size" => b6size(&opts),
        "b6procs" => b6procs(&opts),
        "worker" => worker(&opts),
        "prep" => prep(&opts),
        "fcgi" => fcgi(&opts),
        "config" => opts.str("sandbox").and_then(|s| Ok(client_config(&s, &opts.str("store")?))),
        other => Err(format!("unknown subcommand {other}")),
    };
    match result {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("dargah-bench {cmd}: {e}");
            std::process::exit(1);
        }
    }
}

struct Opts(HashMap<String, String>);

impl Opts {
    fn parse(args: &[String]) -> Opts {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(k) = it.next() {
            if let Some(k) = k.strip_prefix("--") {
                map.insert(k.to_string(), it.next().cloned().unwrap_or_default());
            }
        }
        Opts(map)
    }
    fn str(&self, k: &str) -> Res<String> {
        self.0.get(k).cloned().ok_or_else(|| format!("--{k} is required"))
    }
    fn num(&self, k: &str, default: usize) -> usize {
        self.0.get(k).and_then(|v| v.parse().ok()).unwrap_or(default)
    }
}

// ---------------------------------------------------------------- statistics

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v
}

fn median(v: &[f64]) -> f64 {
    percentile(&sorted(v.to_vec()), 50.0)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

// ---------------------------------------------------------------- a raw HTTP/1.1 client

/// The least a client can do: one kept-alive TCP connection, a request
/// written in one go, the answer read by its Content-Length.
struct Raw {
    addr: String,
    conn: Option<BufReader<TcpStream>>,
}

impl Raw {
    fn new(base: &str) -> Raw {
        Raw { addr: base.trim_start_matches("http://").trim_end_matches('/').to_string(), conn: None }
    }

    fn request(&mut self, method: &str, path: &str, body: Option<&str>) -> Res<(u16, String)> {
        let mut last = String::new();
        for _ in 0..2 {
            match self.try_request(method, path, body) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    self.conn = None;
                    last = e.to_string();
                }
            }
        }
        Err(format!("{method} {path}: {last}"))
    }

    fn try_request(&mut self, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
        if self.conn.is_none() {
            let s = TcpStream::connect(&self.addr)?;
            s.set_nodelay(true)?;
            self.conn = Some(BufReader::new(s));
        }
        let conn = self.conn.as_mut().expect("connected");
        let body = body.unwrap_or("");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        conn.get_mut().write_all(head.as_bytes())?;
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
        let mut line = String::new();
        conn.read_line(&mut line)?;
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("no status line"))?;
        let (mut length, mut chunked) = (None, false);
        loop {
            line.clear();
            conn.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        let mut out = Vec::new();
        if chunked {
            loop {
                line.clear();
                conn.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim(), 16).map_err(|_| bad("bad chunk"))?;
                let mut chunk = vec![0; n + 2];
                conn.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&chunk[..n]);
            }
        } else {
            out.resize(length.ok_or_else(|| bad("no content-length"))?, 0);
            conn.read_exact(&mut out)?;
        }
        Ok((status, String::from_utf8_lossy(&out).into_owned()))
    }

    fn json(&mut self, method: &str, path: &str, body: Option<&Value>) -> Res<Value> {
        let text = body.map(|b| b.to_string());
        let (status, answer) = self.request(method, path, text.as_deref())?;
        if status >= 400 {
            return Err(format!("{method} {path}: HTTP {status}: {answer}"));
        }
        serde_json::from_str(&answer).map_err(|e| format!("{method} {path}: {e}"))
    }
}

/// Pay a sandbox payment as the payment page would; the callback's query string.
fn pay(raw: &mut Raw, gateway: &str, token: &str) -> Res<String> {
    let cb = raw.json("POST", "/_control/pay", Some(&json!({"gateway": gateway, "token": token, "action": "pay", "card": "6037991234567890"})))?;
    let url = cb["url"].as_str().ok_or("no callback url")?;
    Ok(url.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default())
}

fn verify_count(raw: &mut Raw, token: &str) -> Res<u64> {
    let stats = raw.json("GET", "/_control/stats", None)?;
    Ok(stats["by_token"][token]["vandar.verify"].as_u64().unwrap_or(0))
}

fn unique(tag: &str) -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{tag}-{}-{t}-{n}", std::process::id())
}

// ---------------------------------------------------------------- the C ABI

/// The few functions of include/dargah.h the harness calls, linked against
/// the release libdargah.so (build.rs: `DARGAH_LIB_DIR`), as a C program would.
mod ffi {
    use std::ffi::{c_char, c_int, c_void};
    pub const DARGAH_OK: c_int = 0;
    #[link(name = "dargah")]
    extern "C" {
        pub fn dargah_client_new(config_json: *const c_char, out_client: *mut *mut c_void) -> c_int;
        pub fn dargah_client_free(client: *mut c_void);
        pub fn dargah_client_create_payment(client: *const c_void, gateway: *const c_char, request_json: *const c_char, out_payment: *mut *mut c_void) -> c_int;
        pub fn dargah_payment_id(payment: *const c_void) -> *const c_char;
        pub fn dargah_payment_token(payment: *const c_void) -> *const c_char;
        pub fn dargah_payment_free(payment: *mut c_void);
        pub fn dargah_client_handle_callback(
            client: *const c_void,
            gateway: *const c_char,
            query: *const u8,
            query_len: usize,
            body: *const u8,
            body_len: usize,
            out_outcome: *mut *mut c_void,
        ) -> c_int;
        pub fn dargah_outcome_kind_name(outcome: *const c_void) -> *const c_char;
        pub fn dargah_outcome_free(outcome: *mut c_void);
        pub fn dargah_last_error_message() -> *const c_char;
    }
}

struct Ffi(*mut std::ffi::c_void);
// SAFETY: the C ABI documents a client as safe to use from several threads.
unsafe impl Send for Ffi {}
unsafe impl Sync for Ffi {}

/// A string the library lends (NULL reads as empty).
fn borrowed(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: a NUL-terminated string the library keeps alive while we read it.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn last_error() -> String {
    // SAFETY: no arguments; the message belongs to this thread's last error.
    borrowed(unsafe { ffi::dargah_last_error_message() })
}

impl Ffi {
    fn new(config: &Value) -> Res<Ffi> {
        let text = CString::new(config.to_string()).map_err(|e| e.to_string())?;
        let mut client = std::ptr::null_mut();
        // SAFETY: valid NUL-terminated input and out-pointer.
        if unsafe { ffi::dargah_client_new(text.as_ptr(), &mut client) } != ffi::DARGAH_OK {
            return Err(last_error());
        }
        Ok(Ffi(client))
    }

    /// (payment id, token) of a new Vandar payment.
    fn create(&self, invoice: &str, amount: u64) -> Res<(String, String)> {
        let request = json!({"invoice_id": invoice, "amount": amount, "callback_url": "http://localhost/callback"}).to_string();
        let (gw, req) = (CString::new("vandar").unwrap_or_default(), CString::new(request).map_err(|e| e.to_string())?);
        let mut payment = std::ptr::null_mut();
        // SAFETY: a live client, NUL-terminated strings, an out-pointer; the payment is freed below.
        unsafe {
            if ffi::dargah_client_create_payment(self.0, gw.as_ptr(), req.as_ptr(), &mut payment) != ffi::DARGAH_OK {
                return Err(last_error());
            }
            let ids = (borrowed(ffi::dargah_payment_id(payment)), borrowed(ffi::dargah_payment_token(payment)));
            ffi::dargah_payment_free(payment);
            Ok(ids)
        }
    }

    /// The outcome's kind name.
    fn callback(&self, query: &str) -> Res<String> {
        let gw = CString::new("vandar").unwrap_or_default();
        let mut outcome = std::ptr::null_mut();
        // SAFETY: a live client, the query's bytes with their length, an out-pointer; the outcome is freed below.
        unsafe {
            if ffi::dargah_client_handle_callback(self.0, gw.as_ptr(), query.as_ptr(), query.len(), std::ptr::null(), 0, &mut outcome) != ffi::DARGAH_OK {
                return Err(last_error());
            }
            let kind = borrowed(ffi::dargah_outcome_kind_name(outcome));
            ffi::dargah_outcome_free(outcome);
            Ok(kind)
        }
    }
}

impl Drop for Ffi {
    fn drop(&mut self) {
        // SAFETY: the client was made by dargah_client_new and is freed once.
        unsafe { ffi::dargah_client_free(self.0) }
    }
}

const VANDAR_API_KEY: &str = "sandbox-vandar-ipg-api-key";

/// A client configuration for the sandbox's Vandar (its credentials; see sandbox/src/lib.rs).
fn client_config(sandbox: &str, store: &str) -> Value {
    json!({
        "store": store,
        "vandar": {
            "api_key": VANDAR_API_KEY,
            "ipg_base_url": format!("{sandbox}/vandar/ipg"),
            "api_base_url": format!("{sandbox}/vandar/api"),
            "batch_base_url": format!("{sandbox}/vandar/batch"),
            "subscription_base_url": format!("{sandbox}/vandar/subscription"),
            "access_token": "sandbox-vandar-access-token",
            "refresh_token": "sandbox-vandar-refresh-token",
            "business": "sandbox-shop"
        }
    })
}

/// `n` paid Vandar payments: their callbacks' query strings and tokens.
fn paid(client: &Ffi, raw: &mut Raw, n: usize) -> Res<Vec<(String, String)>> {
    (0..n)
        .map(|_| {
            let (_, token) = client.create(&unique("bench"), 125_000)?;
            Ok((pay(raw, "vandar", &token)?, token))
        })
        .collect()
}

fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

// ---------------------------------------------------------------- B1

/// Two durable commits, as a store must make them: WAL, synchronous=FULL,
/// BEGIN IMMEDIATE, on the same database file as Dargah's.
struct Commits(rusqlite::Connection);

impl Commits {
    fn open(path: &std::path::Path) -> Res<Commits> {
        let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        c.busy_timeout(Duration::from_secs(30)).map_err(|e| e.to_string())?;
        c.pragma_update(None, "journal_mode", "WAL").map_err(|e| e.to_string())?;
        c.pragma_update(None, "synchronous", "FULL").map_err(|e| e.to_string())?;
        c.execute_batch("CREATE TABLE IF NOT EXISTS bench_minimum (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT OR IGNORE INTO bench_minimum VALUES (1, 0);")
            .map_err(|e| e.to_string())?;
        Ok(Commits(c))
    }
    fn commit(&mut self) -> Res<()> {
        let tx = self.0.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(|e| e.to_string())?;
        tx.prepare_cached("UPDATE bench_minimum SET n = n + 1 WHERE id = 1").and_then(|mut s| s.execute([])).map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())
    }
}

fn b1(o: &Opts) -> Res<Value> {
    let sandbox = o.str("sandbox")?;
    let dir = std::path::PathBuf::from(o.str("dir")?);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = dir.join("b1.db");
    let _ = std::fs::remove_file(&db);
    let (rounds, n) = (o.num("rounds", 5), o.num("n", 200));
    let client = Ffi::new(&client_config(&sandbox, &sqlite_url(&db)))?;
    let mut raw = Raw::new(&sandbox);
    let mut commits = Commits::open(&db)?;
    // A paid, verified token to ask transaction info about: the same work for the sandbox as a verify.
    let (warm_query, warm_token) = paid(&client, &mut raw, 1)?.remove(0);
    client.callback(&warm_query)?;
    let info = json!({"api_key": VANDAR_API_KEY, "token": warm_token}).to_string();
    let mut minimum_rounds = Vec::new();
    let mut dargah_rounds = Vec::new();
    let (mut all_min, mut all_dargah, mut all_rtt) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let mut mins = Vec::new();
        for _ in 0..n {
            let t = Instant::now();
            let (status, _) = raw.request("POST", "/vandar/ipg/api/v4/transaction", Some(&info))?;
            let rtt = t.elapsed();
            commits.commit()?;
            commits.commit()?;
            let total = t.elapsed();
            if status != 200 {
                return Err(format!("transaction info: HTTP {status}"));
            }
            mins.push(us(total));
            all_rtt.push(us(rtt));
        }
        let queries = paid(&client, &mut raw, n)?;
        let mut times = Vec::new();
        for (q, _) in &queries {
            let t = Instant::now();
            let kind = client.callback(q)?;
            times.push(us(t.elapsed()));
            if kind != "newly_paid" {
                return Err(format!("expected newly_paid, got {kind}"));
            }
        }
        minimum_rounds.push(median(&mins));
        dargah_rounds.push(median(&times));
        all_min.extend(mins);
        all_dargah.extend(times);
    }
    let ratios: Vec<f64> = dargah_rounds.iter().zip(&minimum_rounds).map(|(d, m)| d / m).collect();
    let (m, d, r) = (sorted(all_min), sorted(all_dargah), sorted(all_rtt));
    Ok(json!({
        "bench": "b1", "rounds": rounds, "n": n,
        "ratio_median": median(&ratios), "ratio_min": sorted(ratios.clone())[0], "ratio_max": sorted(ratios)[rounds - 1],
        "dargah_p50_us": percentile(&d, 50.0), "dargah_p99_us": percentile(&d, 99.0),
        "minimum_p50_us": percentile(&m, 50.0), "minimum_p99_us": percentile(&m, 99.0),
        "round_trip_p50_us": percentile(&r, 50.0),
        "commit_pair_p50_us": percentile(&m, 50.0) - percentile(&r, 50.0),
    }))
}

// ---------------------------------------------------------------- B4

fn b4(o: &Opts) -> Res<Value> {
    let sandbox = o.str("sandbox")?;
    let dir = std::path::PathBuf::from(o.str("dir")?);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = dir.join("b4.db");
    let _ = std::fs::remove_file(&db);
    let (rounds, storm, singles) = (o.num("rounds", 5), o.num("storm", 128), o.num("singles", 30));
    let client = Arc::new(Ffi::new(&client_config(&sandbox, &sqlite_url(&db)))?);
    let mut raw = Raw::new(&sandbox);
    let (mut ratios, mut single_all, mut storm_all, mut verifies, mut newly) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let mut single = Vec::new();
        for (q, _) in paid(&client, &mut raw, singles)? {
            let t = Instant::now();
            client.callback(&q)?;
            single.push(us(t.elapsed()));
        }
        let (query, token) = paid(&client, &mut raw, 1)?.remove(0);
        let barrier = Arc::new(Barrier::new(storm));
        let results = Arc::new(Mutex::new(Vec::new()));
        let threads: Vec<_> = (0..storm)
            .map(|_| {
                let (client, barrier, results, query) = (client.clone(), barrier.clone(), results.clone(), query.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let t = Instant::now();
                    let kind = client.callback(&query);
                    let took = us(t.elapsed());
                    results.lock().unwrap_or_else(|p| p.into_inner()).push((took, kind));
                })
            })
            .collect();
        for t in threads {
            t.join().map_err(|_| "a storm thread panicked")?;
        }
        let results = std::mem::take(&mut *results.lock().unwrap_or_else(|p| p.into_inner()));
        let times = sorted(results.iter().map(|(t, _)| *t).collect());
        let n_newly = results.iter().filter(|(_, k)| k.as_deref() == Ok("newly_paid")).count();
        if let Some((_, Err(e))) = results.iter().find(|(_, k)| k.is_err()) {
            return Err(format!("a duplicate failed: {e}"));
        }
        let single_med = median(&single);
        ratios.push(percentile(&times, 99.0) / single_med);
        verifies.push(verify_count(&mut raw, &token)?);
        newly.push(n_newly);
        single_all.extend(single);
        storm_all.extend(times);
    }
    let (s, st) = (sorted(single_all), sorted(storm_all));
    Ok(json!({
        "bench": "b4", "rounds": rounds, "storm": storm,
        "ratio_median": median(&ratios), "ratio_min": sorted(ratios.clone())[0], "ratio_max": sorted(ratios)[rounds - 1],
        "single_p50_us": percentile(&s, 50.0), "storm_p50_us": percentile(&st, 50.0), "storm_p99_us": percentile(&st, 99.0),
        "verifies": verifies, "newly_paid": newly,
    }))
}

// ---------------------------------------------------------------- B6: stored payments

/// Fill `db` (a Dargah SQLite store) with `n` settled payments, in one transaction.
fn fill(db: &std::path::Path, n: usize) -> Res<()> {
    let c = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    let have: i64 = c.query_row("SELECT COUNT(*) FROM payments WHERE id LIKE 'dp_fill_%'", [], |r| r.get(0)).map_err(|e| e.to_string())?;
    if have as usize >= n {
        return Ok(());
    }
    c.execute_batch("PRAGMA cache_size = -200000; PRAGMA synchronous = OFF;").map_err(|e| e.to_string())?;
    let sql = format!(
        "WITH RECURSIVE s(i) AS (SELECT {have} + 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})
         INSERT INTO payments (id, gateway, invoice_id, amount, callback_url, request, token, redirect, state, fence,
                               reference, trace_number, masked_card, verified_amount, created_at, updated_at, deadline_at, paid_at,
                               acknowledged_at, paid_receipt)
         SELECT 'dp_fill_' || i, 'vandar', 'fill-' || i, 125000, 'http://localhost/callback', '{{}}', 'fill-token-' || i, '{{}}', 'paid', 1,
                'fill-ref-' || i, 'fill-trace-' || i, '603799******7999', 125000, 1700000000000 + i, 1700000000000 + i, 1700000900000 + i,
                1700000000000 + i, 1700000000000 + i, 'fill-ref-' || i FROM s"
    );
    c.execute_batch(&format!("BEGIN; {sql}; COMMIT;")).map_err(|e| e.to_string())?;
    Ok(())
}

fn b6size(o: &Opts) -> Res<Value> {
    let sandbox = o.str("sandbox")?;
    let dir = std::path::PathBuf::from(o.str("dir")?);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (rounds, n, small, big) = (o.num("rounds", 5), o.num("n", 100), o.num("small", 1000), o.num("big", 1_000_000));
    let mut raw = Raw::new(&sandbox);
    let mut sides = Vec::new();
    for (name, rows) in [("small", small), ("big", big)] {
        let db = dir.join(format!("b6-{rows}.db"));
        let client = Ffi::new(&client_config(&sandbox, &sqlite_url(&db)))?;
        drop(client); // the schema is there now
        let t = Instant::now();
        fill(&db, rows)?;
        eprintln!("b6size: {rows} payments stored in {:.1} s", t.elapsed().as_secs_f64());
        sides.push((name, Ffi::new(&client_config(&sandbox, &sqlite_url(&db)))?));
    }
    let mut times: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut ratios = Vec::new();
    for _ in 0..rounds {
        let mut p99 = Vec::new();
        for (name, client) in &sides {
            let queries = paid(client, &mut raw, n)?;
            let mut t_round = Vec::new();
            for (q, _) in &queries {
                let t = Instant::now();
                client.callback(q)?;
                t_round.push(us(t.elapsed()));
            }
            p99.push(percentile(&sorted(t_round.clone()), 99.0));
            times.entry(name).or_default().extend(t_round);
        }
        ratios.push(p99[1] / p99[0]);
    }
    let s = sorted(times.remove("small").unwrap_or_default());
    let b = sorted(times.remove("big").unwrap_or_default());
    Ok(json!({
        "bench": "b6size", "rounds": rounds, "n": n, "small": small, "big": big,
        "ratio_median": median(&ratios), "ratio_min": sorted(ratios.clone())[0], "ratio_max": sorted(ratios)[rounds - 1],
        "small_p50_us": percentile(&s, 50.0), "small_p99_us": percentile(&s, 99.0),
        "big_p50_us": percentile(&b, 50.0), "big_p99_us": percentile(&b, 99.0),
    }))
}

// ---------------------------------------------------------------- B6: processes

/// One process of b6procs: prepare `n` paid payments, say "ready", wait for
/// "go", handle them, print the time it took.
fn worker(o: &Opts) -> Res<Value> {
    let (sandbox, store, n) = (o.str("sandbox")?, o.str("store")?, o.num("n", 50));
    let client = Ffi::new(&client_config(&sandbox, &store))?;
    let mut raw = Raw::new(&sandbox);
    let queries = paid(&client, &mut raw, n)?;
    println!("ready");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let mut times = Vec::new();
    for (q, _) in &queries {
        let s = Instant::now();
        let kind = client.callback(q)?;
        times.push(us(s.elapsed()));
        if kind != "newly_paid" {
            return Err(format!("expected newly_paid, got {kind}"));
        }
    }
    Ok(json!({"secs": t.elapsed().as_secs_f64(), "times": times}))
}

/// Callbacks/s of `procs` processes on one store (and the latencies).
fn run_procs(sandbox: &str, store: &str, procs: usize, n: usize) -> Res<(f64, Vec<f64>)> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut children = Vec::new();
    for _ in 0..procs {
        let child = Command::new(&me)
            .args(["worker", "--sandbox", sandbox, "--store", store, "--n", &n.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        children.push(child);
    }
    let mut readers = Vec::new();
    for child in &mut children {
        let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        out.read_line(&mut line).map_err(|e| e.to_string())?;
        if line.trim() != "ready" {
            return Err(format!("a worker did not get ready: {line:?}"));
        }
        readers.push(out);
    }
    let t = Instant::now();
    for child in &mut children {
        child.stdin.as_mut().ok_or("no stdin")?.write_all(b"go\n").map_err(|e| e.to_string())?;
    }
    let mut times = Vec::new();
    for (mut out, mut child) in readers.into_iter().zip(children) {
        let mut line = String::new();
        out.read_line(&mut line).map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&line).map_err(|e| format!("worker answer {line:?}: {e}"))?;
        times.extend(v["times"].as_array().into_iter().flatten().filter_map(Value::as_f64));
        child.wait().map_err(|e| e.to_string())?;
    }
    let wall = t.elapsed().as_secs_f64();
    Ok(((procs * n) as f64 / wall, times))
}

fn b6procs(o: &Opts) -> Res<Value> {
    let (sandbox, store) = (o.str("sandbox")?, o.str("store")?);
    let (rounds, procs, n) = (o.num("rounds", 3), o.num("procs", 8), o.num("n", 40));
    // The schema first, so the workers do not all migrate at once.
    drop(Ffi::new(&client_config(&sandbox, &store))?);
    let (mut one, mut many, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut lat_one, mut lat_many) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (a, la) = run_procs(&sandbox, &store, 1, n * 2)?;
        let (b, lb) = run_procs(&sandbox, &store, procs, n)?;
        ratios.push(b / a);
        one.push(a);
        many.push(b);
        lat_one.extend(la);
        lat_many.extend(lb);
    }
    let (l1, lm) = (sorted(lat_one), sorted(lat_many));
    Ok(json!({
        "bench": "b6procs", "store": store.split("://").next().unwrap_or(""), "rounds": rounds, "procs": procs,
        "ratio_median": median(&ratios), "ratio_min": sorted(ratios.clone())[0], "ratio_max": sorted(ratios)[rounds - 1],
        "one_per_s": median(&one), "many_per_s": median(&many),
        "one_p99_us": percentile(&l1, 99.0), "many_p99_us": percentile(&lm, 99.0),
    }))
}

// ---------------------------------------------------------------- prep (PHP, Python)

/// `--kind dargah`: paid payments in a Dargah store (`--store`).
/// `--kind plain`: payments a hand-written handler knows, in its own SQLite
/// table (`--db`): created at the sandbox with a raw `send`, paid.
/// Writes one callback query string per line to `--out`.
fn prep(o: &Opts) -> Res<Value> {
    let (sandbox, kind, out, n) = (o.str("sandbox")?, o.str("kind")?, o.str("out")?, o.num("n", 200));
    let mut raw = Raw::new(&sandbox);
    let mut lines = Vec::new();
    match kind.as_str() {
        "dargah" => {
            let client = Ffi::new(&client_config(&sandbox, &o.str("store")?))?;
            lines.extend(paid(&client, &mut raw, n)?.into_iter().map(|(q, _)| q));
        }
        "plain" => {
            let db = o.str("db")?;
            let c = rusqlite::Connection::open(&db).map_err(|e| e.to_string())?;
            c.busy_timeout(Duration::from_secs(30)).map_err(|e| e.to_string())?;
            c.pragma_update(None, "journal_mode", "WAL").map_err(|e| e.to_string())?;
            c.execute_batch(include_str!("../handlers/schema.sql")).map_err(|e| e.to_string())?;
            for _ in 0..n {
                let invoice = unique("plain");
                let amount = 125_000;
                let sent = raw.json(
                    "POST",
                    "/vandar/ipg/api/v4/send",
                    Some(&json!({"api_key": VANDAR_API_KEY, "amount": amount, "callback_url": "http://localhost/callback", "factorNumber": invoice})),
                )?;
                let token = sent["token"].as_str().ok_or("no token")?.to_string();
                c.execute("INSERT INTO orders (token, invoice_id, amount, state, fence, lease_until) VALUES (?1, ?2, ?3, 'awaiting', 0, 0)", rusqlite::params![token, invoice, amount])
                    .map_err(|e| e.to_string())?;
                lines.push(pay(&mut raw, "vandar", &token)?);
            }
        }
        other => return Err(format!("unknown --kind {other}")),
    }
    std::fs::write(&out, lines.join("\n") + "\n").map_err(|e| e.to_string())?;
    Ok(json!({"prepared": lines.len(), "out": out}))
}

// ---------------------------------------------------------------- FastCGI

/// One FastCGI request (a GET with `query`) to php-fpm on a Unix socket; the body and the time.
fn fcgi_request(socket: &str, script: &str, query: &str) -> Res<(String, f64)> {
    let t = Instant::now();
    let mut s = UnixStream::connect(socket).map_err(|e| format!("{socket}: {e}"))?;
    let record = |kind: u8, content: &[u8]| -> Vec<u8> {
        let mut r = vec![1, kind, 0, 1, (content.len() >> 8) as u8, content.len() as u8, 0, 0];
        r.extend_from_slice(content);
        r
    };
    let mut params = Vec::new();
    for (k, v) in [
        ("SCRIPT_FILENAME", script),
        ("SCRIPT_NAME", "/callback.php"),
        ("REQUEST_METHOD", "GET"),
        ("QUERY_STRING", query),
        ("SERVER_NAME", "localhost"),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REMOTE_ADDR", "127.0.0.1"),
        ("CONTENT_LENGTH", "0"),
    ] {
        for len in [k.len(), v.len()] {
            if len < 128 {
                params.push(len as u8);
            } else {
                params.extend_from_slice(&((len as u32) | 0x8000_0000).to_be_bytes());
            }
        }
        params.extend_from_slice(k.as_bytes());
        params.extend_from_slice(v.as_bytes());
    }
    let mut msg = record(1, &[0, 1, 0, 0, 0, 0, 0, 0]); // BEGIN_REQUEST, responder, no keep-conn
    msg.extend(record(4, &params));
    msg.extend(record(4, &[]));
    msg.extend(record(5, &[]));
    s.write_all(&msg).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    loop {
        let mut head = [0u8; 8];
        s.read_exact(&mut head).map_err(|e| format!("fastcgi: {e}"))?;
        let len = ((head[4] as usize) << 8) | head[5] as usize;
        let mut content = vec![0; len + head[6] as usize];
        s.read_exact(&mut content).map_err(|e| e.to_string())?;
        match head[1] {
            6 => out.extend_from_slice(&content[..len]),
            3 => break,
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or(text);
    Ok((body, us(t.elapsed())))
}

fn fcgi(o: &Opts) -> Res<Value> {
    let (socket, script, queries) = (o.str("socket")?, o.str("script")?, o.str("queries")?);
    let concurrency = o.num("concurrency", 8);
    let list: Vec<String> = std::fs::read_to_string(&queries).map_err(|e| e.to_string())?.lines().filter(|l| !l.is_empty()).map(str::to_string).collect();
    let queue = Arc::new(Mutex::new(list.into_iter()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let t = Instant::now();
    let threads: Vec<_> = (0..concurrency)
        .map(|_| {
            let (queue, results, socket, script) = (queue.clone(), results.clone(), socket.clone(), script.clone());
            std::thread::spawn(move || loop {
                let Some(q) = queue.lock().unwrap_or_else(|p| p.into_inner()).next() else { return };
                let r = fcgi_request(&socket, &script, &q);
                results.lock().unwrap_or_else(|p| p.into_inner()).push(r);
            })
        })
        .collect();
    for th in threads {
        th.join().map_err(|_| "a client thread panicked")?;
    }
    let secs = t.elapsed().as_secs_f64();
    let results = std::mem::take(&mut *results.lock().unwrap_or_else(|p| p.into_inner()));
    let mut kinds: HashMap<String, usize> = HashMap::new();
    let mut times = Vec::new();
    for r in results {
        let (body, took) = r?;
        times.push(took);
        let kind = serde_json::from_str::<Value>(body.trim()).ok().and_then(|v| v["kind"].as_str().map(str::to_string)).unwrap_or_else(|| format!("error: {}", body.trim()));
        *kinds.entry(kind).or_default() += 1;
    }
    let t = sorted(times);
    Ok(json!({"count": t.len(), "per_s": t.len() as f64 / secs, "p50_us": percentile(&t, 50.0), "p99_us": percentile(&t, 99.0), "kinds": kinds}))
}
