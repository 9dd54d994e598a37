//! The audit trail's store events (issue 14): a claim, and a lease taken
//! over from a worker whose lease ran out, as `tracing` events.

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
