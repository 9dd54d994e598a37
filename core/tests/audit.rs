//! The audit trail's store events (issue 14): a claim, and a lease taken
//! over from a worker whose lease ran out, as `tracing` events; and a wait
//! for Vandar's rate limit.

mod support;

use dargah_core::audit::{capture, Level};
use dargah_core::store::{self, Claim, ClaimInput, NewPayment};
use dargah_core::Gateway;

#[test]
fn a_claim_and_a_lease_takeover_are_events() {
    let dir = tempfile::tempdir().unwrap();
    let s = store::open(&format!("sqlite://{}/audit.db", dir.path().display()), "").unwrap();
    let payment = NewPayment {
        id: "dp_audit".into(),
        gateway: Gateway::Vandar,
        account: "default".into(),
        invoice_id: "a-1".into(),
        amount: 10_000,
        callback_url: "https://shop.example/cb".into(),
        request_json: "{}".into(),
        refund_window_ms: 900_000,
    };
    s.insert(&payment, 1).unwrap();
    s.attach_token("dp_audit", "T-1", "{}").unwrap();
    let (first, events) = capture(Level::DEBUG, || s.claim("dp_audit", &ClaimInput::default(), 1).unwrap());
    assert!(matches!(first, Claim::Claimed { .. }));
    assert_eq!(events.iter().map(|e| e.name()).collect::<Vec<_>>(), ["claim"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (second, events) = capture(Level::DEBUG, || s.claim("dp_audit", &ClaimInput::default(), 60_000).unwrap());
    assert!(matches!(second, Claim::Claimed { maybe_verified: true, .. }));
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    assert_eq!(names, ["lease_takeover", "claim"]);
    assert_eq!((events[0].level, events[0].target.as_str()), ("warn", "dargah::vandar"));
    assert_eq!(events[0].fields["payment_id"], "dp_audit");
    assert_eq!(events[0].fields["fence"], 2);
}

/// Vandar's business API held by its rate limiter (POST: 30 per 3 s, shared
/// through the store): the call over the limit waits, and says so in a
/// `rate_limit_wait` event with its fields — and nothing secret.
#[test]
fn a_rate_limit_wait_is_an_event_with_its_fields_and_no_secret() {
    let world = support::sandbox::World::start();
    let dargah = world.client();
    let endpoint = "POST /v2/business/:business/customers/:customer/wallet/deposit";
    let params: std::collections::BTreeMap<String, String> = [("customer".to_string(), "c-1".to_string())].into();
    let none = std::collections::BTreeMap::new();
    let started = std::time::Instant::now();
    let (answers, events) = capture(Level::INFO, || {
        (0..32).map(|i| dargah.vandar_call(endpoint, &params, &none, Some(serde_json::json!({"amount": 1000 + i})))).collect::<Vec<_>>()
    });
    assert!(answers.iter().all(Result::is_ok), "every call went through, some after waiting");
    let waits: Vec<_> = events.iter().filter(|e| e.name() == "rate_limit_wait").collect();
    assert!(!waits.is_empty(), "32 POSTs within {:?} waited: {:?}", started.elapsed(), events.iter().map(|e| e.name()).collect::<Vec<_>>());
    for wait in &waits {
        assert_eq!((wait.level, wait.target.as_str()), ("info", "dargah::vandar"));
        assert_eq!((wait.fields["gateway"].as_str(), wait.fields["bucket"].as_str()), (Some("vandar"), Some("vandar:POST")));
        let ms = wait.fields["wait_ms"].as_u64().expect("wait_ms is a number");
        assert!((1..=250).contains(&ms), "each wait is at most 250 ms: {ms}");
    }
    // The calls took at least the window's rest: the limit held them back.
    assert!(started.elapsed() >= std::time::Duration::from_millis(waits.iter().map(|w| w.fields["wait_ms"].as_u64().unwrap()).max().unwrap()));
    let config: serde_json::Value = serde_json::from_str(&world.config(60)).unwrap();
    let secrets = [&config["vandar"]["api_key"], &config["vandar"]["access_token"], &config["vandar"]["refresh_token"], &config["token_encryption_key"]];
    for event in &events {
        let text = format!("{} {}", event.message(), event.fields_json());
        for secret in secrets {
            assert!(!text.contains(secret.as_str().unwrap()), "{text}");
        }
        assert!(!text.contains("Bearer") && !text.contains("dg1:"), "{text}");
    }
    eprintln!("{} rate_limit_wait events: {}", waits.len(), waits[0].message());
}
