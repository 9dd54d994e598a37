mod common;

use common::Harness;
use dargah_sandbox::creds;
use serde_json::{json, Value};

fn token_body(invoice: &str) -> Value {
    json!({
        "amount": 150000,
        "cellNumber": "09121112233",
        "description": "order",
        "invoiceNumber": invoice,
        "redirectUrl": "https://shop.test/atipay/back",
        "apiKey": creds::ATIPAY_API_KEY,
    })
}

async fn create(h: &Harness, invoice: &str) -> String {
    let r = h
        .post_json("/atipay/v1/get-token", token_body(invoice))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "OK");
    assert_eq!(r.json["errorCode"], Value::Null);
    assert_eq!(r.json["errorDescription"], Value::Null);
    r.json["token"].as_str().unwrap().to_owned()
}

fn verify_body(reference: &str) -> Value {
    json!({ "terminalId": creds::ATIPAY_TERMINAL_ID, "referenceNumber": reference, "apiKey": creds::ATIPAY_API_KEY })
}

#[tokio::test]
async fn create_redirect_pay_callback_verify() {
    let h = Harness::new();
    let token = create(&h, "INV-1").await;

    let page = h
        .send(
            h.http
                .post(h.url("/atipay/v1/redirect-to-gateway"))
                .form(&[("token", token.as_str())]),
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page
        .text
        .contains(&format!("action=\"/_pay/atipay/{token}\"")));
    assert!(page.text.contains("150,000"));

    let cb = h.pay("atipay", &token, "pay").await;
    assert_eq!(cb["method"], "POST");
    assert_eq!(cb["url"], "https://shop.test/atipay/back");
    let form = &cb["form"];
    assert_eq!(form["state"], "OK");
    assert_eq!(form["status"], "2");
    assert_eq!(form["reservationNumber"], "INV-1");
    assert_eq!(form["terminalId"], creds::ATIPAY_TERMINAL_ID);
    assert!(!form["traceNumber"].as_str().unwrap().is_empty());
    let reference = form["referenceNumber"].as_str().unwrap().to_owned();
    assert_eq!(reference.len(), 50);

    for _ in 0..2 {
        let r = h
            .post_json("/atipay/v1/verify-payment", verify_body(&reference))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json, json!({ "amount": 150000 }));
    }
    // Verify calls are counted against the payment's token.
    assert_eq!(
        h.stats().await["by_token"][&token]["atipay.verify-payment"],
        2
    );
}

#[tokio::test]
async fn cancel_and_bad_references() {
    let h = Harness::new();
    let token = create(&h, "INV-2").await;
    let cb = h.pay("atipay", &token, "cancel").await;
    assert_eq!(cb["form"]["state"], "CanceledByUser");
    assert_eq!(cb["form"]["status"], "1");
    assert_eq!(cb["form"]["referenceNumber"], "");

    let r = h
        .post_json(
            "/atipay/v1/verify-payment",
            verify_body("x".repeat(50).as_str()),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["status"], "Failed");
    assert_eq!(r.json["token"], Value::Null);
}

#[tokio::test]
async fn error_envelopes() {
    let h = Harness::new();
    let failed = |r: &common::Reply, status: u16, code: &str| {
        assert_eq!(r.status, status, "{}", r.text);
        assert_eq!(r.json["status"], "Failed");
        assert_eq!(r.json["token"], Value::Null);
        assert_eq!(r.json["errorCode"], code);
        assert!(r.json["errorDescription"].is_string());
    };
    let path = "/atipay/v1/get-token";

    let mut body = token_body("E1");
    body["apiKey"] = json!("nope");
    failed(&h.post_json(path, body).await, 401, "InvalidApiKey");

    let mut body = token_body("E2");
    body["amount"] = json!("150000");
    failed(&h.post_json(path, body).await, 400, "InvalidParameters");

    let mut body = token_body("E3");
    body.as_object_mut().unwrap().remove("cellNumber");
    failed(&h.post_json(path, body).await, 400, "InvalidParameters");

    failed(
        &h.post_raw(path, "text/plain", &token_body("E4").to_string())
            .await,
        415,
        "unsupported_media_type",
    );
    failed(&h.get(path).await, 405, "method_not_allowed");

    create(&h, "DUP").await;
    failed(
        &h.post_json(path, token_body("DUP")).await,
        409,
        "DuplicateInvoiceNumber",
    );

    let mut body = verify_body("whatever");
    body["terminalId"] = json!("999");
    failed(
        &h.post_json("/atipay/v1/verify-payment", body).await,
        403,
        "TerminalNotFound",
    );
}
