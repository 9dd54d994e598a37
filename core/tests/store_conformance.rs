//! One `Store` contract, written once, run against every backend: SQLite
//! always; PostgreSQL and MariaDB when `DARGAH_TEST_POSTGRES_URL` /
//! `DARGAH_TEST_MYSQL_URL` name a server (`make test` starts both and sets
//! `DARGAH_REQUIRE_DATABASES=1`, which turns a missing URL into a failure).
//! Each test gets its own random table prefix, so tests share one database.

mod support;

use support::databases;
use dargah_core::store::{self, Claim, ClaimInput, Finish, IdempotencyBegin, NewPayment, RefreshClaim, Resolution, Store, TokenPair};
use dargah_core::{ErrorKind, Gateway, PaymentState, Secret};
use std::sync::{Arc, Barrier};

struct Backend {
    name: &'static str,
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

fn prefix() -> String {
    databases::unique_prefix("t")
}

fn server_url(var: &str) -> Option<String> {
    databases::url(var)
}

/// Every backend available here, each fresh.
fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = store::open(&format!("sqlite://{}/conformance.db", dir.path().display()), "").unwrap();
    let mut all = vec![Backend { name: "sqlite", store: sqlite, _dir: Some(dir) }];
    if let Some(url) = server_url("DARGAH_TEST_POSTGRES_URL") {
        all.push(Backend { name: "postgres", store: store::open(&url, &prefix()).unwrap(), _dir: None });
    }
    if let Some(url) = server_url("DARGAH_TEST_MYSQL_URL") {
        all.push(Backend { name: "mysql", store: store::open(&url, &prefix()).unwrap(), _dir: None });
    }
    // The same servers over verified TLS, as a user who may connect only that way.
    if let Some(url) = server_url("DARGAH_TEST_POSTGRES_TLS_URL") {
        all.push(Backend { name: "postgres+tls", store: store::open(&url, &prefix()).unwrap(), _dir: None });
    }
    if let Some(url) = server_url("DARGAH_TEST_MYSQL_TLS_URL") {
        all.push(Backend { name: "mysql+tls", store: store::open(&url, &prefix()).unwrap(), _dir: None });
    }
    all
}

fn new_payment(id: &str, invoice: &str) -> NewPayment {
    NewPayment {
        id: id.into(),
        gateway: Gateway::Vandar,
        account: "default".into(),
        invoice_id: invoice.into(),
        amount: 10_000,
        callback_url: "https://shop.example/cb".into(),
        request_json: "{\"note\":\"پرداخت\"}".into(),
        refund_window_ms: 900_000,
    }
}

/// Leases in these tests: short, so they run out while the test waits.
const LEASE_MS: i64 = 300;

fn outlive_lease() {
    std::thread::sleep(std::time::Duration::from_millis(LEASE_MS as u64 + 100));
}

fn awaiting(s: &dyn Store, id: &str, token: &str) {
    s.insert(&new_payment(id, &format!("inv-{id}")), LEASE_MS).unwrap();
    s.attach_token(id, token, "{\"method\":\"GET\",\"url\":\"https://x\"}").unwrap();
}

fn paid(reference: &str) -> Resolution {
    Resolution { state: Some(PaymentState::Paid), reference: Some(reference.into()), masked_card: Some("603799******7999".into()), verified_amount: Some(10_000), raw: "{\"verify\":\"ok\"}".into(), ..Default::default() }
}

#[test]
fn create_token_and_invoice_uniqueness() {
    for b in backends() {
        let s = b.store.as_ref();
        s.insert(&new_payment("p1", "inv-1"), LEASE_MS).unwrap();
        let e = s.insert(&new_payment("p2", "inv-1"), LEASE_MS).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DuplicateInvoice, "{}", b.name);
        s.discard_created("p1").unwrap();
        s.insert(&new_payment("p2", "inv-1"), LEASE_MS).unwrap();
        let p = s.attach_token("p2", "T-1", "{}").unwrap();
        assert_eq!((p.state, p.token.as_deref()), (PaymentState::Awaiting, Some("T-1")), "{}", b.name);
        assert_eq!(p.deadline_at - p.created_at, 900_000, "{}: the deadline is set on the store's clock", b.name);
        s.insert(&new_payment("p3", "inv-3"), LEASE_MS).unwrap();
        assert_eq!(s.attach_token("p3", "T-1", "{}").unwrap_err().kind(), ErrorKind::MalformedResponse, "{}: tokens are unique", b.name);
        assert_eq!(s.find_by_token(Gateway::Vandar, "T-1").unwrap().unwrap().id, "p2");
        assert_eq!(s.find_by_invoice(Gateway::Vandar, "inv-1").unwrap().unwrap().id, "p2");
        assert!(s.find_by_token(Gateway::CanPay, "T-1").unwrap().is_none());
        assert_eq!(s.redirect_json("p2").unwrap().as_deref(), Some("{}"));
        assert!(!s.fail_created("p3", "abandoned?", true).unwrap(), "{}: a create in flight is left alone", b.name);
        assert!(s.fail_created("p3", "create timed out", false).unwrap());
        assert_eq!(s.get("p3").unwrap().unwrap().state, PaymentState::Failed);
        assert!(s.get("nope").unwrap().is_none());
    }
}

#[test]
fn claim_lease_fence_and_terminal_states() {
    for b in backends() {
        let s = b.store.as_ref();
        s.insert(&new_payment("c0", "inv-c0"), LEASE_MS).unwrap();
        assert!(matches!(s.claim("c0", &ClaimInput::default(), LEASE_MS).unwrap(), Claim::Busy(_)), "{}: its create is in flight", b.name);
        awaiting(s, "c1", "T-c1");
        let input = ClaimInput { verify_key: Some("REF-50".into()), trace_number: Some("777".into()), ..Default::default() };
        let Claim::Claimed { payment, maybe_verified, receipts, .. } = s.claim("c1", &input, LEASE_MS).unwrap() else { panic!("{}", b.name) };
        assert_eq!((payment.state, payment.fence, maybe_verified, receipts), (PaymentState::Verifying, 1, false, vec!["REF-50".to_string()]), "{}", b.name);
        assert!(matches!(s.claim("c1", &ClaimInput::default(), LEASE_MS).unwrap(), Claim::Busy(_)), "{}: the lease holds", b.name);
        outlive_lease();
        assert!(matches!(s.claim("c0", &ClaimInput::default(), LEASE_MS).unwrap(), Claim::NotStarted(_)), "{}: its create lease ran out", b.name);
        // The lease ran out: a new claim takes over with a higher fence; the first receipt stays first.
        let forged = ClaimInput { verify_key: Some("FORGED".into()), trace_number: Some("1".into()), ..Default::default() };
        let Claim::Claimed { payment, maybe_verified, receipts, .. } = s.claim("c1", &forged, 0).unwrap() else { panic!("{}", b.name) };
        assert_eq!((payment.fence, maybe_verified, receipts), (2, true, vec!["REF-50".to_string(), "FORGED".to_string()]), "{}", b.name);
        for i in 0..5 {
            let flood = ClaimInput { verify_key: Some(format!("FLOOD-{i}")), trace_number: None, ..Default::default() };
            let Claim::Claimed { payment, .. } = s.claim("c1", &flood, 0).unwrap() else { panic!("{}", b.name) };
            assert_eq!(payment.fence, 3 + i, "{}", b.name);
        }
        // Each claim kept its own callback's receipt (their verifies left in doubt), past the
        // room callbacks may leave one in: a callback that finds no room verifies its own.
        assert!(!s.offer_receipt("c1", "LATE").unwrap(), "{}: no room to leave it", b.name);
        assert!(s.offer_receipt("c1", "REF-50").unwrap(), "{}: kept already", b.name);
        let kept = s.receipts("c1").unwrap();
        assert_eq!((kept.len(), kept[0].as_str()), (7, "REF-50"), "{}: a flood cannot push the first receipt out", b.name);
        let last = ClaimInput { verify_key: Some("FLOOD-5".into()), ..Default::default() };
        let Claim::Claimed { receipts, .. } = s.claim("c1", &last, 0).unwrap() else { panic!("{}", b.name) };
        assert_eq!(receipts.len(), store::MAX_KEPT_RECEIPTS, "{}", b.name);
        let beyond = ClaimInput { verify_key: Some("FLOOD-6".into()), ..Default::default() };
        assert!(matches!(s.claim("c1", &beyond, 0).unwrap(), Claim::ReceiptsFull(_)), "{}: the hard bound holds", b.name);
        let Claim::Claimed { .. } = s.claim("c1", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!("{}", b.name) };
        // The first worker's "not paid" comes too late: recorded, not applied.
        let not_paid = Resolution { state: Some(PaymentState::Failed), raw: "{\"late\":true}".into(), ..Default::default() };
        assert!(matches!(s.finish("c1", 1, &not_paid).unwrap(), Finish::Stale(_)), "{}", b.name);
        let Finish::Applied(p) = s.finish("c1", 9, &paid("R1")).unwrap() else { panic!("{}", b.name) };
        // A trace number only a callback brought is a hint (the latest one), never the gateway's.
        assert_eq!((p.state, p.reference.as_deref(), p.trace_number.as_deref(), p.unverified_trace_number.as_deref()), (PaymentState::Paid, Some("R1"), None, Some("1")), "{}", b.name);
        assert!(p.paid_at.is_some());
        assert!(matches!(s.claim("c1", &ClaimInput::default(), LEASE_MS).unwrap(), Claim::Settled(_)), "{}: terminal", b.name);
        assert!(matches!(s.finish("c1", 8, &paid("R1")).unwrap(), Finish::Stale(_)), "{}: terminal states never change", b.name);
        let events = s.events("c1").unwrap();
        let labels: Vec<&str> = events.iter().map(|e| e.2.as_str()).collect();
        assert_eq!(labels, vec!["stale_answer", "paid", "stale_answer"], "{}", b.name);
        assert_eq!((events[0].1, events[0].3.as_str()), (1, "{\"late\":true}"), "{}: the late answer is kept", b.name);

        // A callback that finds another worker verifying leaves its receipt for the next claim.
        awaiting(s, "c3", "T-c3");
        let Claim::Claimed { payment: first, .. } = s.claim("c3", &ClaimInput { verify_key: Some("FIRST".into()), trace_number: None, ..Default::default() }, LEASE_MS).unwrap() else { panic!() };
        s.offer_receipt("c3", "WAITER").unwrap();
        s.offer_receipt("c3", "WAITER").unwrap();
        assert_eq!(s.receipts("c3").unwrap(), vec!["FIRST".to_string(), "WAITER".to_string()], "{}", b.name);
        // The claim's answer decides only about the receipts it was given: the waiter's stays.
        let strings = |list: &[&str]| list.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        let doubt = Resolution { state: Some(PaymentState::InDoubt), maybe_verified: true, receipts: Some(strings(&["FIRST"])), receipts_known: strings(&["FIRST"]), raw: "{}".into(), ..Default::default() };
        s.finish("c3", first.fence, &doubt).unwrap();
        assert_eq!(s.receipts("c3").unwrap(), strings(&["FIRST", "WAITER"]), "{}: a receipt left during a verify in doubt is kept", b.name);
        let Claim::Claimed { payment: second, receipts, .. } = s.claim("c3", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        s.offer_receipt("c3", "LATE").unwrap();
        let disproved = Resolution { state: Some(PaymentState::Awaiting), receipts: Some(strings(&["WAITER"])), receipts_known: receipts, raw: "{}".into(), ..Default::default() };
        s.finish("c3", second.fence, &disproved).unwrap();
        assert_eq!(s.receipts("c3").unwrap(), strings(&["WAITER", "LATE"]), "{}: the disproved receipt goes, the late one stays", b.name);

        // Open before the deadline; in doubt stays claimable and remembers a verify may have gone through.
        awaiting(s, "c2", "T-c2");
        let Claim::Claimed { payment, .. } = s.claim("c2", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        let back = Resolution { state: Some(PaymentState::Expired), open_before_deadline: Some(PaymentState::Awaiting), note: Some("not paid yet".into()), raw: "{}".into(), ..Default::default() };
        let Finish::Applied(p) = s.finish("c2", payment.fence, &back).unwrap() else { panic!() };
        assert_eq!(p.state, PaymentState::Awaiting, "{}", b.name);
        let Claim::Claimed { payment, maybe_verified, .. } = s.claim("c2", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        assert!(!maybe_verified);
        let doubt = Resolution { state: Some(PaymentState::InDoubt), maybe_verified: true, raw: "{}".into(), ..Default::default() };
        s.finish("c2", payment.fence, &doubt).unwrap();
        let recoverable: Vec<String> = s.recoverable(10).unwrap().into_iter().map(|p| p.id).collect();
        assert_eq!(recoverable, vec!["c0", "c2"], "{}", b.name);
        let Claim::Claimed { payment, maybe_verified, .. } = s.claim("c2", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        assert!(maybe_verified, "{}", b.name);
        s.finish("c2", payment.fence, &back).unwrap();
        let Claim::Claimed { payment, maybe_verified, verify_refused, .. } = s.claim("c2", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        assert!(maybe_verified && !verify_refused, "{}: once a verify may have gone through, always", b.name);
        // A refused verify is kept above "maybe": later answers and takeovers never lower it.
        let refused = Resolution { verify_refused: true, ..back.clone() };
        s.finish("c2", payment.fence, &refused).unwrap();
        let Claim::Claimed { payment, maybe_verified, verify_refused, .. } = s.claim("c2", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        assert!(maybe_verified && verify_refused, "{}", b.name);
        s.finish("c2", payment.fence, &doubt).unwrap();
        let Claim::Claimed { payment, verify_refused, .. } = s.claim("c2", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        assert!(verify_refused, "{}: an answer lost later does not lower it", b.name);
        s.finish("c2", payment.fence, &back).unwrap();
        let Claim::Claimed { maybe_verified, verify_refused, .. } = s.claim("c2", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        assert!(maybe_verified && verify_refused, "{}: once refused, always", b.name);
    }
}

#[test]
fn a_late_proof_of_payment_settles_an_open_payment() {
    for b in backends() {
        let s = b.store.as_ref();
        awaiting(s, "l1", "T-l1");
        let Claim::Claimed { payment: first, .. } = s.claim("l1", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        outlive_lease();
        let Claim::Claimed { payment: second, .. } = s.claim("l1", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        // The first worker's paid answer lands while the second still verifies.
        let Finish::Applied(p) = s.finish("l1", first.fence, &paid("LATE")).unwrap() else { panic!("{}", b.name) };
        assert_eq!(p.state, PaymentState::Paid, "{}", b.name);
        let Finish::Stale(p) = s.finish("l1", second.fence, &paid("LATE")).unwrap() else { panic!("{}", b.name) };
        assert_eq!(p.state, PaymentState::Paid, "{}: exactly one finish applies", b.name);
    }
}

#[test]
fn one_receipt_credits_one_payment_and_the_outbox() {
    for b in backends() {
        let s = b.store.as_ref();
        for id in ["o1", "o2"] {
            awaiting(s, id, &format!("T-{id}"));
            let Claim::Claimed { payment, .. } = s.claim(id, &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
            let Finish::Applied(p) = s.finish(id, payment.fence, &paid("SAME-RECEIPT")).unwrap() else { panic!() };
            let expected = if id == "o1" { PaymentState::Paid } else { PaymentState::NeedsReview };
            assert_eq!(p.state, expected, "{}", b.name);
        }
        assert!(s.get("o2").unwrap().unwrap().note.unwrap().contains("o1"));
        // A receipt from a callback proves only that the callback is forged: the payment stays open.
        awaiting(s, "o3", "T-o3");
        let Claim::Claimed { payment, .. } = s.claim("o3", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!() };
        let from_callback = Resolution { receipt_from_callback: true, receipts: Some(vec!["SAME-RECEIPT".into()]), ..paid("SAME-RECEIPT") };
        let Finish::ReceiptReused(p) = s.finish("o3", payment.fence, &from_callback).unwrap() else { panic!("{}", b.name) };
        assert_eq!((p.state, p.reference.as_deref()), (PaymentState::Awaiting, None), "{}", b.name);
        assert!(s.receipts("o3").unwrap().is_empty(), "{}: the forged receipt is forgotten", b.name);
        assert_eq!(s.find_paid_by_reference(Gateway::Vandar, "default", "SAME-RECEIPT").unwrap().unwrap().id, "o1");
        assert_eq!(s.unacknowledged(10).unwrap().iter().map(|p| p.id.clone()).collect::<Vec<_>>(), vec!["o1"], "{}", b.name);
        assert!(s.acknowledge("o1").unwrap());
        assert!(!s.acknowledge("o1").unwrap());
        assert!(s.unacknowledged(10).unwrap().is_empty());
        assert_eq!(s.acknowledge("o2").unwrap_err().kind(), ErrorKind::InvalidInput, "{}", b.name);
        assert_eq!(s.acknowledge("zz").unwrap_err().kind(), ErrorKind::UnknownPayment, "{}", b.name);
        assert_eq!(s.list(Some(PaymentState::Paid), 10, 0).unwrap().len(), 1);
        assert_eq!(s.list(None, 1, 1).unwrap().len(), 1);
    }
}

/// Issue 24 item 6: two merchant accounts (two terminals) whose gateway
/// references collide are each paid; within one account a receipt still
/// credits one payment.
#[test]
fn colliding_references_of_two_merchant_accounts_each_pay_their_own_payment() {
    for b in backends() {
        let s = b.store.as_ref();
        for (id, account) in [("c1", "default"), ("c2", "branch2"), ("c3", "default")] {
            s.insert(&NewPayment { account: account.into(), ..new_payment(id, &format!("inv-{id}")) }, LEASE_MS).unwrap();
            s.attach_token(id, &format!("T-{id}"), "{}").unwrap();
            let Claim::Claimed { payment, .. } = s.claim(id, &ClaimInput::default(), LEASE_MS).unwrap() else { panic!("{}", b.name) };
            s.finish(id, payment.fence, &paid("TERMINAL-REF-1")).unwrap();
        }
        let state = |id: &str| s.get(id).unwrap().unwrap().state;
        assert_eq!(state("c1"), PaymentState::Paid, "{}", b.name);
        assert_eq!(state("c2"), PaymentState::Paid, "{}: another account's receipt is its own", b.name);
        assert_eq!(state("c3"), PaymentState::NeedsReview, "{}: one receipt, one payment, within an account", b.name);
        assert_eq!(s.find_paid_by_reference(Gateway::Vandar, "default", "TERMINAL-REF-1").unwrap().unwrap().id, "c1", "{}", b.name);
        assert_eq!(s.find_paid_by_reference(Gateway::Vandar, "branch2", "TERMINAL-REF-1").unwrap().unwrap().id, "c2", "{}", b.name);
    }
}

#[test]
fn reconcilable_finds_quiet_awaiting_and_past_deadline() {
    for b in backends() {
        let s = b.store.as_ref();
        awaiting(s, "r1", "T-r1");
        s.insert(&new_payment("r2", "inv-r2"), LEASE_MS).unwrap();
        assert!(s.reconcilable(60_000, 10).unwrap().is_empty(), "{}: too fresh, deadline far, create in flight", b.name);
        outlive_lease();
        let found: Vec<String> = s.reconcilable(LEASE_MS, 10).unwrap().into_iter().map(|p| p.id).collect();
        assert_eq!(found.len(), 2, "{}: {found:?}", b.name);
        let mut soon = new_payment("r3", "inv-r3");
        soon.refund_window_ms = 0;
        s.insert(&soon, LEASE_MS).unwrap();
        s.attach_token("r3", "T-r3", "{}").unwrap();
        let found: Vec<String> = s.reconcilable(60_000, 10).unwrap().into_iter().map(|p| p.id).collect();
        assert_eq!(found, vec!["r3", "r2"], "{}: past the deadline it is due however fresh (and the abandoned create)", b.name);
    }
}

#[test]
fn concurrent_claims_one_winner() {
    for b in backends() {
        awaiting(b.store.as_ref(), "k1", "T-k1");
        let barrier = Arc::new(Barrier::new(16));
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (s, barrier) = (b.store.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    matches!(s.claim("k1", &ClaimInput::default(), 60_000).unwrap(), Claim::Claimed { .. })
                })
            })
            .collect();
        let winners = handles.into_iter().map(|h| h.join().unwrap()).filter(|w| *w).count();
        assert_eq!(winners, 1, "{}", b.name);
    }
}

#[test]
fn rate_limit_window_is_shared() {
    for b in backends() {
        let s = b.store.as_ref();
        for _ in 0..5 {
            assert_eq!(s.rate_acquire("bucket", 5, 400).unwrap(), None, "{}", b.name);
        }
        let wait = s.rate_acquire("bucket", 5, 400).unwrap().expect("full");
        assert!((1..=400).contains(&wait), "{}: wait for the oldest to age out, on the store's clock: {wait}", b.name);
        assert_eq!(s.rate_acquire("other", 5, 400).unwrap(), None, "{}: buckets are separate", b.name);
        std::thread::sleep(std::time::Duration::from_millis(wait as u64 + 20));
        assert_eq!(s.rate_acquire("bucket", 5, 400).unwrap(), None, "{}", b.name);
    }
}

#[test]
fn token_pairs_rotate_under_one_fenced_lease() {
    for b in backends() {
        let s = b.store.as_ref();
        let name = "vandar:shop";
        let secret = Secret::new;
        assert!(s.token_pair(name).unwrap().is_none());
        s.seed_token_pair(name, &secret("A1"), &secret("R1"), None).unwrap();
        s.seed_token_pair(name, &secret("A0"), &secret("R0"), None).unwrap();
        let seeded = s.token_pair(name).unwrap().unwrap();
        assert_eq!((seeded.refresh_token.expose(), seeded.generation, seeded.expires_at), ("R1", 0, None), "{}: a stored pair is never overwritten by a seed", b.name);
        s.seed_token_pair(name, &secret("A1"), &secret("R1"), Some(seeded.read_at + 60_000)).unwrap();
        assert_eq!(s.token_pair(name).unwrap().unwrap().expires_at, Some(seeded.read_at + 60_000), "{}: the configured expiry fills in", b.name);

        let Claim0 { fence, pair } = claimed(s.claim_token_refresh(name, 0, 1_000).unwrap());
        assert_eq!(pair.refresh_token.expose(), "R1");
        assert!(matches!(s.claim_token_refresh(name, 0, 1_000).unwrap(), RefreshClaim::Busy { .. }), "{}: one refresher", b.name);
        assert!(s.store_token_pair(name, fence, &secret("A2"), &secret("R2"), Some(5)).unwrap());
        let now = s.token_pair(name).unwrap().unwrap();
        assert_eq!((now.access_token.expose(), now.refresh_token.expose(), now.generation), ("A2", "R2", 1));
        let expires_at = now.expires_at.unwrap();
        assert!(expires_at <= now.read_at + 5_000 && expires_at > now.read_at + 3_000, "{}: the claim's store time + expires_in: {expires_at} vs {}", b.name, now.read_at);
        assert!(matches!(s.claim_token_refresh(name, 0, 1_000).unwrap(), RefreshClaim::Rotated(p) if p.generation == 1), "{}: a refused generation-0 pair is not refreshed again", b.name);

        let Claim0 { fence, .. } = claimed(s.claim_token_refresh(name, 1, 1_000).unwrap());
        s.release_token_refresh(name, fence).unwrap();
        let Claim0 { fence: stale, .. } = claimed(s.claim_token_refresh(name, 1, 100).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(150));
        let Claim0 { fence: live, .. } = claimed(s.claim_token_refresh(name, 1, 1_000).unwrap());
        assert!(live > stale, "{}: an expired lease is taken over under a higher fence", b.name);
        assert!(!s.store_token_pair(name, stale, &secret("A3"), &secret("R3"), Some(5)).unwrap(), "{}: fenced out", b.name);
        s.release_token_refresh(name, stale).unwrap();
        assert!(matches!(s.claim_token_refresh(name, 1, 1_000).unwrap(), RefreshClaim::Busy { .. }), "{}: a stale release leaves the live lease alone", b.name);
        assert!(s.store_token_pair(name, live, &secret("A4"), &secret("R4"), None).unwrap());
        let now = s.token_pair(name).unwrap().unwrap();
        assert_eq!((now.access_token.expose(), now.generation, now.expires_at), ("A4", 2, None));
        assert!(!format!("{now:?}").contains("A4"), "token pairs never print");
    }
}

struct Claim0 {
    fence: i64,
    pair: TokenPair,
}

fn claimed(claim: RefreshClaim) -> Claim0 {
    match claim {
        RefreshClaim::Claimed { fence, pair } => Claim0 { fence, pair },
        other => panic!("expected to claim the refresh, got {other:?}"),
    }
}

#[test]
fn idempotency_records() {
    for b in backends() {
        let s = b.store.as_ref();
        assert_eq!(s.idempotency_begin("k1", "paya", "h1").unwrap(), IdempotencyBegin::Proceed, "{}", b.name);
        assert_eq!(s.idempotency_begin("k1", "paya", "h1").unwrap(), IdempotencyBegin::InDoubt, "{}: being sent", b.name);
        assert_eq!(s.idempotency_begin("k1", "paya", "h2").unwrap_err().kind(), ErrorKind::InvalidInput);
        assert_eq!(s.idempotency_begin("k1", "refund", "h1").unwrap_err().kind(), ErrorKind::InvalidInput);
        s.idempotency_finish("k1", Some("{\"ok\":true}")).unwrap();
        assert_eq!(s.idempotency_begin("k1", "paya", "h1").unwrap(), IdempotencyBegin::Done("{\"ok\":true}".into()), "{}", b.name);
        s.idempotency_begin("k2", "paya", "h").unwrap();
        s.idempotency_finish("k2", None).unwrap();
        assert_eq!(s.idempotency_begin("k2", "paya", "h").unwrap(), IdempotencyBegin::Proceed, "{}: refused may be retried", b.name);
        s.idempotency_in_doubt("k2").unwrap();
        assert_eq!(s.idempotency_begin("k2", "paya", "h").unwrap(), IdempotencyBegin::InDoubt, "{}", b.name);
    }
}

#[test]
fn migrations_are_versioned_and_repeatable() {
    if let Some(url) = server_url("DARGAH_TEST_POSTGRES_URL") {
        let p = prefix();
        store::postgres::open(&url, &p).unwrap();
        assert_eq!(store::postgres::open(&url, &p).unwrap().schema_version().unwrap(), store::sql::SCHEMA_VERSION);
    }
    if let Some(url) = server_url("DARGAH_TEST_MYSQL_URL") {
        let p = prefix();
        store::mysql::open(&url, &p).unwrap();
        assert_eq!(store::mysql::open(&url, &p).unwrap().schema_version().unwrap(), store::sql::SCHEMA_VERSION);
        // MySQL's DDL commits on its own: version 6 cut short after its DROP INDEX runs again.
        use mysql::prelude::Queryable;
        let mut c = mysql::Conn::new(mysql::Opts::from_url(&url).unwrap()).unwrap();
        c.query_drop(format!("DELETE FROM {p}schema_migrations WHERE version = 6")).unwrap();
        assert_eq!(store::mysql::open(&url, &p).unwrap().schema_version().unwrap(), store::sql::SCHEMA_VERSION);
        // And version 7 cut short after its ADD COLUMN, or after its index.
        // (Every later version's record goes too, so the runner starts again from 7.)
        c.query_drop(format!("DROP INDEX {p}payments_by_paid_receipt ON {p}payments")).unwrap();
        c.query_drop(format!("DELETE FROM {p}schema_migrations WHERE version >= 7")).unwrap();
        assert_eq!(store::mysql::open(&url, &p).unwrap().schema_version().unwrap(), store::sql::SCHEMA_VERSION);
        c.query_drop(format!("DELETE FROM {p}schema_migrations WHERE version >= 7")).unwrap();
        assert_eq!(store::mysql::open(&url, &p).unwrap().schema_version().unwrap(), store::sql::SCHEMA_VERSION);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = format!("{}/m.db", dir.path().display());
    store::sqlite::open(&path, "shop_").unwrap();
    assert_eq!(store::sqlite::open(&path, "shop_").unwrap().schema_version().unwrap(), store::sql::SCHEMA_VERSION);
    // Version 6 dropped the index no query used.
    let indexes: Vec<String> = rusqlite::Connection::open(&path)
        .unwrap()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'shop_payments' AND sql IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(indexes, ["shop_payments_by_state", "shop_payments_by_paid_receipt"]);
    // Version 7: a receipt a version-6 store kept in `paid_reference` still credits one payment.
    let s = store::sqlite::open(&path, "shop_").unwrap();
    awaiting(&s, "m1", "T-m1");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("DROP INDEX shop_payments_by_paid_receipt; ALTER TABLE shop_payments DROP COLUMN paid_receipt; DELETE FROM shop_schema_migrations WHERE version >= 7;
                     UPDATE shop_payments SET state = 'paid', paid_reference = 'V6-RECEIPT' WHERE id = 'm1'").unwrap();
    let s = store::sqlite::open(&path, "shop_").unwrap();
    assert_eq!(s.schema_version().unwrap(), store::sql::SCHEMA_VERSION);
    assert_eq!(s.find_paid_by_reference(Gateway::Vandar, "default", "V6-RECEIPT").unwrap().unwrap().id, "m1");
    assert_eq!(store::sqlite::open(&path, "bad prefix").unwrap_err().kind(), ErrorKind::Config);
}

#[test]
fn a_database_that_is_down_is_a_store_error() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for url in [format!("postgres://u:secret-pw@127.0.0.1:{closed}/db"), format!("mysql://u:secret-pw@127.0.0.1:{closed}/db")] {
        let e = store::open(&url, "").err().expect("no store without a database");
        assert_eq!(e.kind(), ErrorKind::Store, "{url}");
        assert!(!e.to_string().contains("secret-pw"), "never the password: {e}");
    }
    let e = store::open("redis://x", "").err().expect("unknown scheme");
    assert_eq!(e.kind(), ErrorKind::Config);
}

#[test]
fn one_receipt_credits_one_payment_even_when_finished_at_once() {
    for b in backends() {
        let ids: Vec<String> = (0..12).map(|i| format!("race{i}")).collect();
        let mut fences = Vec::new();
        for id in &ids {
            awaiting(b.store.as_ref(), id, &format!("T-{id}"));
            let Claim::Claimed { payment, .. } = b.store.claim(id, &ClaimInput::default(), 60_000).unwrap() else { panic!() };
            fences.push(payment.fence);
        }
        let barrier = Arc::new(Barrier::new(ids.len()));
        let handles: Vec<_> = ids
            .iter()
            .zip(fences)
            .map(|(id, fence)| {
                let (s, barrier, id) = (b.store.clone(), barrier.clone(), id.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    match s.finish(&id, fence, &paid("ONE-RECEIPT")).unwrap() {
                        Finish::Applied(p) | Finish::Stale(p) | Finish::ReceiptReused(p) => p.state,
                    }
                })
            })
            .collect();
        let states: Vec<PaymentState> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let paid_count = states.iter().filter(|s| **s == PaymentState::Paid).count();
        assert_eq!(paid_count, 1, "{}: {states:?}", b.name);
        assert_eq!(states.iter().filter(|s| **s == PaymentState::NeedsReview).count(), ids.len() - 1, "{}", b.name);
    }
}

#[test]
fn a_late_answer_whose_receipt_paid_another_payment_leaves_the_current_claim_alone() {
    for b in backends() {
        let s = b.store.as_ref();
        awaiting(s, "lr1", "T-lr1");
        let Claim::Claimed { payment, .. } = s.claim("lr1", &ClaimInput::default(), LEASE_MS).unwrap() else { panic!("{}", b.name) };
        assert!(matches!(s.finish("lr1", payment.fence, &paid("R-shared")).unwrap(), Finish::Applied(_)), "{}", b.name);
        awaiting(s, "lr2", "T-lr2");
        let Claim::Claimed { payment: late, .. } = s.claim("lr2", &ClaimInput::default(), 0).unwrap() else { panic!("{}", b.name) };
        let Claim::Claimed { payment: newer, .. } = s.claim("lr2", &ClaimInput::default(), 30_000).unwrap() else { panic!("{}", b.name) };
        // The late worker was given a forged callback's receipt, which paid lr1.
        let replayed = Resolution { receipt_from_callback: true, ..paid("R-shared") };
        assert!(matches!(s.finish("lr2", late.fence, &replayed).unwrap(), Finish::Stale(_)), "{}: only recorded", b.name);
        let now = s.get("lr2").unwrap().unwrap();
        assert_eq!((now.state, now.fence), (PaymentState::Verifying, newer.fence), "{}: the newer claim still holds the payment", b.name);
        assert!(matches!(s.claim("lr2", &ClaimInput::default(), LEASE_MS).unwrap(), Claim::Busy(_)), "{}: its lease too", b.name);
    }
}
