//! Network faults between the shop's hosts (issue 28, item 4): every worker
//! process runs in a network namespace of its own (`scripts/hosts/netns.sh`:
//! dg-w0.., a veth pair each), and reaches the database and the gateway only
//! across its link, which delays and loses packets for the whole run; while
//! the genuine callbacks arrive, one worker is cut off from the database and
//! another from the gateway for a few seconds, then healed. The chaos
//! checker's invariants hold over the whole history.
//!
//! Needs root and the namespaces: `make hosts-netns-test` sets them up and
//! sets `DARGAH_HOSTS_NETNS` to their number; without it the tests skip.
//!
//! The database and the gateway are reached through relays of this test, in
//! the root namespace, on the two service addresses netns.sh puts there (a
//! partition is a filter by destination address; loss is nftables dropping
//! packets on the worker's veth). The relays delay every chunk they pass on,
//! each way, with jitter, in order: little to the database (a LAN), more to
//! the gateway (the internet). `tc netem` would delay a whole link alike, and
//! this machine's kernel has none (no sch_netem).

mod chaos;
mod support;

use chaos::run::{Disturbance, Hosts, WorkerConfig, Wrap};
use chaos::seeds::check_seeds;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use support::databases;

#[test]
fn chaos_worker_entry() {
    chaos::worker::run_if_worker();
}

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/hosts/netns.sh");
/// Where netns.sh puts the services the workers reach (scripts/hosts/netns.sh).
const DB_ADDR: &str = "10.231.255.1";
const GATEWAY_ADDR: &str = "10.231.255.2";
/// Dargah speaks plain http only to loopback: inside a worker's namespace, 127.0.0.1 on these
/// ports is forwarded to the gateway's address (netns.sh, DNAT), so the relays listen on them.
const GATEWAY_PORTS: std::ops::RangeInclusive<u16> = 57010..=57099;
/// The database's relays (one per server) listen on these ports of its address.
const DB_PORTS: std::ops::RangeInclusive<u16> = 57000..=57009;
/// The one-way delay (with jitter) each way to the database (a LAN) and to the gateway (across the
/// internet), and the packet loss on every worker's link, both ways.
const DB_DELAY: Delay = Delay { ms: 1, jitter_ms: 1 };
const GATEWAY_DELAY: Delay = Delay { ms: 5, jitter_ms: 3 };
const LOSS_PERCENT: &str = "1";
/// Every step is slower across these links, and the customers must still reach the payment page
/// before it closes: the workers' refund windows are this much longer than the chaos runs' own.
const WINDOW_SLACK_SECS: u64 = 15;
/// How long a partition holds: past the lease (2 s) and the gateway timeout (900 ms) of the chaos runs.
const PARTITION_MS: std::ops::Range<u64> = 2500..4000;

/// Fixed seeds for `make hosts-netns-test` (a seed takes about 50 s: its payments' windows must
/// pass); `make hosts-netns-chaos` runs long ones.
const POSTGRES_SEEDS: &[u64] = &[1, 2];
const MYSQL_SEEDS: &[u64] = &[16];
const PAYMENTS: usize = 24;
const WORKERS: usize = 4;

/// One run at a time: both tests share the namespaces.
static NAMESPACES: Mutex<()> = Mutex::new(());

fn netns(args: &[&str]) -> std::process::ExitStatus {
    Command::new(SCRIPT).args(args).status().expect("scripts/hosts/netns.sh runs")
}

fn must(args: &[&str]) {
    assert!(netns(args).success(), "scripts/hosts/netns.sh {}", args.join(" "));
}

/// The number of worker namespaces `netns.sh up` made, or None (skip).
fn namespaces() -> Option<usize> {
    match std::env::var("DARGAH_HOSTS_NETNS").ok().and_then(|n| n.parse().ok()) {
        Some(n) => Some(n),
        None => {
            eprintln!("skipping: DARGAH_HOSTS_NETNS is not set (make hosts-netns-test sets up the namespaces)");
            None
        }
    }
}

/// The hosts of one run: `workers` namespaces with lossy, slow links, and the two partitions mid-callback.
fn netns_hosts(workers: usize, namespaces: usize) -> Hosts {
    assert!((2..=namespaces).contains(&workers), "{workers} workers for {namespaces} namespaces: two at least (one cut from the database, another from the gateway)");
    let worker_names: Vec<String> = (0..workers).map(|w| w.to_string()).collect();
    for w in &worker_names {
        must(&["heal", w]);
        must(&["loss", w, LOSS_PERCENT]);
    }
    let relays = Arc::new(Relays { by_upstream: Mutex::new(BTreeMap::new()) });
    let delay_fault = format!("delay {}±{} ms to the database, {}±{} ms to the gateway, each way, whole run (relays)", DB_DELAY.ms, DB_DELAY.jitter_ms, GATEWAY_DELAY.ms, GATEWAY_DELAY.jitter_ms);
    let loss_fault = format!("loss {LOSS_PERCENT} % each way on every link, whole run (nftables)");

    let worker_config: WorkerConfig = Arc::new(move |_worker, config: &mut Value| {
        relays.rewrite(config);
        // The payment pages stay open as long as the workers' slower links need (the window the shop configures).
        for gateway in dargah_core::Gateway::ALL {
            let window = config[gateway.name()]["refund_window_secs"].as_u64().unwrap_or(0);
            config[gateway.name()]["refund_window_secs"] = (window + WINDOW_SLACK_SECS).into();
        }
    });
    let wrap: Wrap = Arc::new(|worker| ["ip", "netns", "exec"].into_iter().map(String::from).chain([format!("dg-w{worker}")]).collect());
    let disturb: Disturbance = Arc::new(move |seed| {
        let mut rng = StdRng::seed_from_u64(seed);
        let from_db = rng.gen_range(0..workers);
        let from_gateway = (from_db + rng.gen_range(1..workers)) % workers;
        let (from_db, from_gateway) = (from_db.to_string(), from_gateway.to_string());
        // Mid-callback: the workers have started and are claiming, verifying, storing.
        std::thread::sleep(Duration::from_millis(rng.gen_range(300..900)));
        must(&["cut", "db", &from_db]);
        must(&["cut", "gateway", &from_gateway]);
        std::thread::sleep(Duration::from_millis(rng.gen_range(PARTITION_MS)));
        must(&["heal", &from_db]);
        must(&["heal", &from_gateway]);
        vec!["partition: worker cut from the database".into(), "partition: worker cut from the gateway".into(), delay_fault.clone(), loss_fault.clone()]
    });
    Hosts { worker_config: Some(worker_config), wrap: Some(wrap), disturb: Some(disturb) }
}

/// A one-way delay and its jitter (the delay is drawn from delay ± jitter).
#[derive(Clone, Copy)]
struct Delay {
    ms: u64,
    jitter_ms: u64,
}

/// The relays the workers reach the services through, one per upstream (the database, each run's sandbox).
struct Relays {
    by_upstream: Mutex<BTreeMap<String, SocketAddr>>,
}

impl Relays {
    /// The worker's configuration with its store and gateway URLs pointing at the relays: the
    /// database's address, and for the gateway its own loopback (forwarded across its link).
    fn rewrite(&self, config: &mut Value) {
        let store = config["store"].as_str().unwrap().to_string();
        config["store"] = Value::String(self.through(&store, DB_ADDR, DB_PORTS, DB_ADDR, DB_DELAY));
        rewrite_strings(config, &mut |s| s.starts_with("http://127.0.0.1:").then(|| self.through(s, GATEWAY_ADDR, GATEWAY_PORTS, "127.0.0.1", GATEWAY_DELAY)));
    }

    /// `url` pointing at `seen_as` and the port of a relay on `addr` (a port in `ports`)
    /// to the original host and port, delaying each way.
    fn through(&self, url: &str, addr: &str, ports: std::ops::RangeInclusive<u16>, seen_as: &str, delay: Delay) -> String {
        let mut url = url::Url::parse(url).unwrap();
        let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
        let relay = *self.by_upstream.lock().unwrap().entry(upstream.clone()).or_insert_with(|| relay(addr, ports, upstream.parse().unwrap(), delay));
        url.set_host(Some(seen_as)).unwrap();
        url.set_port(Some(relay.port())).unwrap();
        url.to_string()
    }
}

fn rewrite_strings(value: &mut Value, change: &mut impl FnMut(&str) -> Option<String>) {
    match value {
        Value::String(s) => {
            if let Some(new) = change(s) {
                *s = new;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_strings(v, change)),
        Value::Object(map) => map.values_mut().for_each(|v| rewrite_strings(v, change)),
        _ => {}
    }
}

/// A TCP relay on `addr` (the first free port in `ports`) to `upstream`, passing each chunk on
/// after `delay`, in order. It lives as long as the test process.
fn relay(addr: &str, ports: std::ops::RangeInclusive<u16>, upstream: SocketAddr, delay: Delay) -> SocketAddr {
    let listener = ports.clone().find_map(|port| TcpListener::bind((addr, port)).ok()).unwrap_or_else(|| panic!("no free port {ports:?} on {addr}: is netns.sh up?"));
    let local = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (n, worker_side) in listener.incoming().enumerate() {
            let Ok(worker_side) = worker_side else { continue };
            // The upstream refusing (a sandbox gone with its run) closes the worker's connection.
            let Ok(service_side) = TcpStream::connect(upstream) else { continue };
            let _ = (worker_side.set_nodelay(true), service_side.set_nodelay(true));
            pump(worker_side.try_clone().unwrap(), service_side.try_clone().unwrap(), delay, n as u64 * 2);
            pump(service_side, worker_side, delay, n as u64 * 2 + 1);
        }
    });
    local
}

/// One direction of a relayed connection: a reader stamping each chunk with when it may go on,
/// a writer passing it on then. A reader at the end shuts the other side's writing half.
fn pump(mut from: TcpStream, mut to: TcpStream, delay: Delay, seed: u64) {
    let (chunks, due) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut last = Instant::now();
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            let at = Instant::now() + Duration::from_millis(delay.ms - delay.jitter_ms) + Duration::from_millis(delay.jitter_ms).mul_f64(rng.gen_range(0.0..2.0));
            // Jitter reorders nothing: a chunk never overtakes the one before it.
            last = last.max(at);
            if chunks.send((last, buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        for (at, chunk) in due {
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
            if to.write_all(&chunk).is_err() {
                let _ = to.shutdown(Shutdown::Both);
                return;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

fn seeds_and_sizes(fixed: &[u64]) -> (Vec<u64>, usize, usize) {
    let var = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    match var("CHAOS_SEED") {
        // make hosts-netns-chaos: a long run.
        Some(first) => ((first..first + var("CHAOS_ROUNDS").unwrap_or(5)).collect(), var("CHAOS_PAYMENTS").unwrap_or(200) as usize, var("CHAOS_WORKERS").unwrap_or(6) as usize),
        None => (fixed.to_vec(), PAYMENTS, WORKERS),
    }
}

fn run_on(url_var: &str, fixed_seeds: &[u64]) {
    let Some(namespaces) = namespaces() else { return };
    let url = databases::url(url_var).unwrap_or_else(|| panic!("{url_var} must be set with DARGAH_HOSTS_NETNS"));
    let _one_at_a_time = NAMESPACES.lock().unwrap_or_else(|e| e.into_inner());
    let (seeds, payments, workers) = seeds_and_sizes(fixed_seeds);
    let known_broken = std::env::var("CHAOS_SEED").is_ok();
    println!("netns: {workers} workers in namespaces of their own, the store {url_var}");
    check_seeds("netns", |_| url.clone(), netns_hosts(workers, namespaces), &seeds, payments, workers, known_broken);
}

#[test]
fn netns_postgres() {
    run_on("DARGAH_TEST_POSTGRES_URL", POSTGRES_SEEDS);
}

#[test]
fn netns_mysql() {
    run_on("DARGAH_TEST_MYSQL_URL", MYSQL_SEEDS);
}
