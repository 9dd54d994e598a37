//! A COMMIT that lands while its reply is lost: the database stored the
//! paid answer, and the connection died before saying so (a restart or a
//! network cut at that instant; seen once in 2,000 callbacks of the PHP-FPM
//! soak on MariaDB). The finish runs again on a fresh connection; it must
//! recognise its own answer and report it applied, or nobody is ever told
//! `newly_paid` for a payment that is paid.
//!
//! Between the store and the server sits a proxy written here, on loopback:
//! armed when the finish is next (the verify is at the gateway), it forwards
//! the next COMMIT, drops every byte the server answers, and cuts both
//! connections. Plain connections only (the proxy reads the protocol's
//! text); the servers are the ones `make test` starts.

mod support;

use dargah_core::store::{self, Claim, ClaimInput, Finish, NewPayment, Resolution};
use dargah_core::{Dargah, Gateway, OutcomeKind, PaymentRequest, PaymentState};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::databases;
use support::sandbox::World;

/// A proxy in front of `server` that, once armed, loses the reply to the
/// next COMMIT; `cuts` counts the connections cut.
struct CommitReplyLoser {
    address: String,
    cuts: Arc<AtomicUsize>,
    spent: Arc<AtomicBool>,
}

impl CommitReplyLoser {
    fn start(server: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let cuts = Arc::new(AtomicUsize::new(0));
        // One cut per proxy, once armed: the finish run again on a fresh connection gets through.
        let spent = Arc::new(AtomicBool::new(true));
        let (counted, armed) = (cuts.clone(), spent.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let upstream = TcpStream::connect(&server).expect("the database server is up");
                let (cuts, spent) = (counted.clone(), armed.clone());
                std::thread::spawn(move || relay(client, upstream, &cuts, &spent));
            }
        });
        CommitReplyLoser { address, cuts, spent }
    }

    /// Lose the next COMMIT's reply (the store's migrations and the steps before are let through).
    fn arm(&self) {
        self.spent.store(false, Ordering::SeqCst);
    }

    /// `url` with its host and port replaced by the proxy's.
    fn url(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).unwrap();
        let (host, port) = self.address.split_once(':').unwrap();
        url.set_host(Some(host)).unwrap();
        url.set_port(Some(port.parse().unwrap())).unwrap();
        url.to_string()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Copy both ways; once the armed COMMIT went up, nothing more comes down.
fn relay(client: TcpStream, server: TcpStream, cuts: &AtomicUsize, spent: &AtomicBool) {
    let silenced = Arc::new(AtomicBool::new(false));
    let (mut from_server, mut to_client) = (server.try_clone().unwrap(), client.try_clone().unwrap());
    let down_silenced = silenced.clone();
    let down = std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while let Ok(n @ 1..) = from_server.read(&mut buf) {
            if down_silenced.load(Ordering::SeqCst) || to_client.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to_client.shutdown(Shutdown::Both);
    });
    let (mut from_client, mut to_server) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let mut buf = [0u8; 16384];
    while let Ok(n @ 1..) = from_client.read(&mut buf) {
        let chunk = &buf[..n];
        let cut = contains(chunk, b"COMMIT") && !spent.swap(true, Ordering::SeqCst);
        if cut {
            silenced.store(true, Ordering::SeqCst);
            cuts.fetch_add(1, Ordering::SeqCst);
        }
        if to_server.write_all(chunk).is_err() {
            break;
        }
        if cut {
            // The server commits; its reply is dropped, then both sides are cut.
            std::thread::sleep(Duration::from_millis(300));
            break;
        }
    }
    let _ = server.shutdown(Shutdown::Both);
    let _ = client.shutdown(Shutdown::Both);
    let _ = down.join();
}

/// The plain-connection servers under test (TLS ones cannot be read by the proxy).
fn servers() -> Vec<(&'static str, String)> {
    let mut all = Vec::new();
    for (name, var) in [("postgres", "DARGAH_TEST_POSTGRES_URL"), ("mysql", "DARGAH_TEST_MYSQL_URL")] {
        if let Some(url) = databases::url(var) {
            all.push((name, url));
        }
    }
    all
}

#[test]
fn a_finish_whose_commit_reply_was_lost_is_reported_applied_once() {
    for (name, url) in servers() {
        let proxy = CommitReplyLoser::start(url::Url::parse(&url).map(|u| format!("{}:{}", u.host_str().unwrap(), u.port().unwrap())).unwrap());
        let s = store::open(&proxy.url(&url), &databases::unique_prefix("lost")).unwrap();
        let new = NewPayment {
            id: "lc1".into(),
            gateway: Gateway::Vandar,
            account: "default".into(),
            invoice_id: "inv-lc1".into(),
            amount: 10_000,
            callback_url: "https://shop.example/cb".into(),
            request_json: "{}".into(),
            refund_window_ms: 900_000,
        };
        s.insert(&new, 30_000).unwrap();
        s.attach_token("lc1", "T-lc1", "{}").unwrap();
        let Claim::Claimed { payment, .. } = s.claim("lc1", &ClaimInput::default(), 30_000).unwrap() else { panic!("{name}: claimed") };
        let paid = Resolution { state: Some(PaymentState::Paid), reference: Some("R-lc1".into()), verified_amount: Some(10_000), raw: "{\"verify\":\"ok\"}".into(), ..Default::default() };

        proxy.arm();
        let finished = s.finish("lc1", payment.fence, &paid).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(proxy.cuts.load(Ordering::SeqCst), 1, "{name}: the COMMIT's reply was lost once");
        let Finish::Applied(p) = finished else { panic!("{name}: our own committed answer was reported as someone else's: {finished:?}") };
        assert_eq!(p.state, PaymentState::Paid, "{name}");
        let paid_events = s.events("lc1").unwrap().into_iter().filter(|(_, _, label, _)| label == "paid").count();
        assert_eq!(paid_events, 1, "{name}: the answer is stored once");

        // Another worker's late answer under the same fence is still told it was not its own.
        let other = Resolution { raw: "{\"verify\":\"other\"}".into(), ..paid.clone() };
        assert!(matches!(s.finish("lc1", payment.fence, &other).unwrap(), Finish::Stale(_)), "{name}: a different answer is not ours");

        // A callback's receipt that already paid lc1: the first run refused it (the payment stays
        // open) and lost the reply; run again, it is told the same, never "applied".
        s.insert(&NewPayment { id: "lc2".into(), invoice_id: "inv-lc2".into(), ..new.clone() }, 30_000).unwrap();
        s.attach_token("lc2", "T-lc2", "{}").unwrap();
        let Claim::Claimed { payment, .. } = s.claim("lc2", &ClaimInput::default(), 30_000).unwrap() else { panic!("{name}: claimed") };
        let replayed = Resolution { receipt_from_callback: true, raw: "{\"verify\":\"replayed\"}".into(), ..paid.clone() };
        proxy.arm();
        let finished = s.finish("lc2", payment.fence, &replayed).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(proxy.cuts.load(Ordering::SeqCst), 2, "{name}: the second COMMIT's reply was lost too");
        let Finish::ReceiptReused(p) = finished else { panic!("{name}: a refused receipt reported as {finished:?}") };
        assert_eq!(p.state, PaymentState::Awaiting, "{name}");

        // A worker whose lease moved on (another claimed since) brings the proof of payment: it
        // settles the payment, the reply is lost, and run again it is still the one told.
        s.insert(&NewPayment { id: "lc3".into(), invoice_id: "inv-lc3".into(), ..new.clone() }, 30_000).unwrap();
        s.attach_token("lc3", "T-lc3", "{}").unwrap();
        let Claim::Claimed { payment: late, .. } = s.claim("lc3", &ClaimInput::default(), 0).unwrap() else { panic!("{name}: claimed") };
        let Claim::Claimed { payment: newer, .. } = s.claim("lc3", &ClaimInput::default(), 30_000).unwrap() else { panic!("{name}: taken over") };
        let late_paid = Resolution { reference: Some("R-lc3".into()), raw: "{\"verify\":\"late\"}".into(), ..paid.clone() };
        proxy.arm();
        let finished = s.finish("lc3", late.fence, &late_paid).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(proxy.cuts.load(Ordering::SeqCst), 3, "{name}: the late answer's COMMIT reply was lost");
        let Finish::Applied(p) = finished else { panic!("{name}: the late proof of payment reported as {finished:?}") };
        assert_eq!(p.state, PaymentState::Paid, "{name}");
        let newer_answer = Resolution { reference: Some("R-lc3".into()), raw: "{\"verify\":\"newer\"}".into(), ..paid.clone() };
        assert!(matches!(s.finish("lc3", newer.fence, &newer_answer).unwrap(), Finish::Stale(_)), "{name}: the newer claim is not told it paid");
        let labels: Vec<String> = s.events("lc3").unwrap().into_iter().map(|(_, _, label, _)| label).collect();
        assert_eq!(labels.iter().filter(|l| *l == "late_paid").count(), 1, "{name}: {labels:?}");
    }
}

#[test]
fn the_callback_whose_paid_commit_reply_was_lost_is_still_told_newly_paid() {
    for (name, url) in servers() {
        let world = World::start();
        let proxy = CommitReplyLoser::start(url::Url::parse(&url).map(|u| format!("{}:{}", u.host_str().unwrap(), u.port().unwrap())).unwrap());
        let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
        config["store"] = json!(proxy.url(&url));
        config["table_prefix"] = json!(databases::unique_prefix("lostcb"));
        let dargah = Dargah::from_json(&config.to_string()).unwrap();
        let payment = dargah.create_payment(Gateway::Vandar, PaymentRequest::new("lost-commit-1", 15_000, "http://127.0.0.1:9/cb")).unwrap().payment;
        let token = payment.token.clone().unwrap();
        let fields = world.pay(Gateway::Vandar, &token, true);
        world.fault(json!({"endpoint": "vandar.verify", "latency_ms": 1000, "count": 1}));

        let outcome = std::thread::scope(|s| {
            let callback = s.spawn(|| dargah.handle_callback(Gateway::Vandar, &fields));
            // The claim is committed and the verify is at the gateway: the next COMMIT is the paid answer's.
            while world.calls_for(&token, "vandar.verify") == 0 {
                std::thread::sleep(Duration::from_millis(10));
            }
            proxy.arm();
            callback.join().expect("no panic")
        });
        let outcome = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(proxy.cuts.load(Ordering::SeqCst), 1, "{name}: the paid COMMIT's reply was lost once");
        assert_eq!(outcome.kind, OutcomeKind::NewlyPaid, "{name}: the caller whose answer was stored is the one told");
        assert_eq!(dargah.handle_callback(Gateway::Vandar, &fields).unwrap().kind, OutcomeKind::AlreadyPaid, "{name}");
        assert_eq!(world.calls_for(&token, "vandar.verify"), 1, "{name}: one verify");
    }
}
