mod common;

use common::Harness;
use dargah_sandbox::creds;
use serde_json::{json, Value};

fn token_body(invoice: &str) -> Value {
    json!({
        "merchant": creds::CANPAY_MERCHANT,
        "amount": 10000,
        "callback_url": "https://shop.test/canpay/back",
        "invoice_id": invoice,
        "mobile": "09123456789",
    })
}

async fn create(h: &Harness, invoice: &str) -> String {
    let r = h
        .post_json("/canpay/api/ipg/token", token_body(invoice))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], true);
    let token = r.json["data"]["token"].as_str().unwrap().to_owned();
    assert_eq!(
        r.json["data"]["url"],
        h.url(&format!("/canpay/ipg/{token}"))
    );
    token
}

fn verify_body(token: &str) -> Value {
    json!({ "merchant": creds::CANPAY_MERCHANT, "token": token })
}

#[tokio::test]
async fn create_pay_callback_verify_repeatable() {
    let h = Harness::new();
    let token = create(&h, "47").await;

    let cb = h.pay("canpay", &token, "pay").await;
    assert_eq!(cb["method"], "POST");
    assert_eq!(cb["url"], "https://shop.test/canpay/back");
    assert_eq!(
        cb["form"],
        json!({ "success": "1", "token": token, "amount": "10000", "invoice_id": "47" })
    );

    let mut references = Vec::new();
    for _ in 0..3 {
        let r = h
            .post_json("/canpay/api/ipg/verify", verify_body(&token))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["status"], true);
        assert_eq!(r.json["data"]["card"], "6037-99**-****-7890");
        references.push(r.json["data"]["reference"].as_str().unwrap().to_owned());
    }
    assert!(references
        .iter()
        .all(|r| r == &references[0] && r.len() == 12));
    assert_eq!(h.payment("canpay", &token).await["verify_count"], 3);
}

#[tokio::test]
async fn cancelled_and_unpaid_fail_verify() {
    let h = Harness::new();
    let unpaid = create(&h, "1").await;
    let r = h
        .post_json("/canpay/api/ipg/verify", verify_body(&unpaid))
        .await;
    assert_eq!(r.status, 402);
    assert_eq!(r.json["status"], false);

    let cancelled = create(&h, "2").await;
    let cb = h.pay("canpay", &cancelled, "cancel").await;
    assert_eq!(cb["form"]["success"], "0");
    let r = h
        .post_json("/canpay/api/ipg/verify", verify_body(&cancelled))
        .await;
    assert_eq!((r.status, r.json["status"].clone()), (402, json!(false)));

    let r = h
        .post_json("/canpay/api/ipg/verify", verify_body("UNKNOWN"))
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn error_envelopes() {
    let h = Harness::new();
    let path = "/canpay/api/ipg/token";
    let check = |r: &common::Reply, status: u16| {
        assert_eq!(r.status, status, "{}", r.text);
        let obj = r.json.as_object().expect("JSON envelope");
        assert_eq!(obj["status"], false);
        assert_eq!(obj["code"], status);
        assert_eq!(obj["description"], "");
        assert!(obj["message"].is_string() && obj.contains_key("error"));
    };

    let mut body = token_body("E1");
    body["merchant"] = json!("xxx-xxx-xxx-xxx");
    check(&h.post_json(path, body).await, 401);

    let mut body = token_body("E2");
    body["amount"] = json!("10000");
    check(&h.post_json(path, body).await, 400);

    let mut body = token_body("E3");
    body.as_object_mut().unwrap().remove("invoice_id");
    check(&h.post_json(path, body).await, 400);

    check(
        &h.post_raw(path, "application/x-www-form-urlencoded", "merchant=x")
            .await,
        415,
    );
    check(&h.post_raw(path, "application/json", "[1,2]").await, 400);
    check(&h.get(path).await, 405);

    create(&h, "DUP").await;
    let r = h.post_json(path, token_body("DUP")).await;
    check(&r, 409);
    assert!(r.json["message"].as_str().unwrap().contains("invoice_id"));
}
