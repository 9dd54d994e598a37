mod common;

use std::time::Duration;

use common::{query_value, Harness, CARD};
use dargah_sandbox::{creds, SandboxConfig};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn send_body() -> Value {
    json!({
        "api_key": creds::VANDAR_API_KEY,
        "amount": 10000,
        "callback_url": "https://shop.test/vandar/back?order=5",
        "mobile_number": "09123456789",
        "factorNumber": "12345",
        "description": "description",
    })
}

async fn create(h: &Harness) -> String {
    let r = h.post_json("/vandar/ipg/api/v4/send", send_body()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], 1);
    r.json["token"].as_str().unwrap().to_owned()
}

fn token_body(token: &str) -> Value {
    json!({ "api_key": creds::VANDAR_API_KEY, "token": token })
}

async fn transaction(h: &Harness, token: &str) -> Value {
    let r = h
        .post_json("/vandar/ipg/api/v4/transaction", token_body(token))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

#[tokio::test]
async fn create_pay_callback_verify_once() {
    let h = Harness::new();
    let token = create(&h).await;
    // The document shows one code: by default every answer before verify is it,
    // with the payment's own fields still null while nobody has paid.
    let waiting = transaction(&h, &token).await;
    assert_eq!((waiting["code"].clone(), waiting["cardNumber"].clone(), waiting["paymentDate"].clone()), (json!(1), Value::Null, Value::Null));

    let cb = h.pay("vandar", &token, "pay").await;
    assert_eq!(cb["method"], "GET");
    let url = cb["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://shop.test/vandar/back?order=5&token="),
        "{url}"
    );
    assert_eq!(query_value(url, "token").as_deref(), Some(token.as_str()));
    assert_eq!(query_value(url, "payment_status").as_deref(), Some("OK"));

    let info = transaction(&h, &token).await;
    assert_eq!(info["status"], 1);
    assert_eq!(info["amount"], "10000");
    assert_eq!(
        (info["code"].clone(), info["message"].clone()),
        (json!(1), json!("Confirm requierd"))
    );
    assert_eq!(info["cardNumber"], "603799******7890");
    assert_eq!(info["CID"], hex::encode_upper(Sha256::digest(CARD)));
    assert_eq!(info["factorNumber"], "12345");
    assert!(info["transId"].is_u64());
    assert!(info["paymentDate"].is_string() && info["createdAt"].is_string());

    let r = h
        .post_json("/vandar/ipg/api/v4/verify", token_body(&token))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = &r.json;
    assert_eq!(v["status"], 1);
    assert_eq!(v["amount"], "10000.00");
    assert_eq!(v["realAmount"], 9900);
    assert_eq!(v["transId"], info["transId"]);
    assert_eq!(v["cid"], info["CID"]);
    assert_eq!(v["message"], "ok");

    // Only once.
    let r = h
        .post_json("/vandar/ipg/api/v4/verify", token_body(&token))
        .await;
    assert_eq!(r.status, 402);
    assert_eq!(r.json["status"], 0);
    assert!(r.json["errors"][0]
        .as_str()
        .unwrap()
        .contains("already verified"));
    // After a verify: the first reading (unchanged), by default.
    assert_eq!(transaction(&h, &token).await["code"], 1);
}

#[tokio::test]
async fn cancel_gives_failed_and_verify_fails() {
    let h = Harness::new();
    let token = create(&h).await;
    let r = h
        .post_json("/vandar/ipg/api/v4/verify", token_body(&token))
        .await;
    assert_eq!(r.status, 402, "unpaid");

    let cb = h.pay("vandar", &token, "cancel").await;
    assert_eq!(
        query_value(cb["url"].as_str().unwrap(), "payment_status").as_deref(),
        Some("FAILED")
    );
    assert_eq!(transaction(&h, &token).await["code"], 1);
    let r = h
        .post_json("/vandar/ipg/api/v4/verify", token_body(&token))
        .await;
    assert_eq!((r.status, r.json["status"].clone()), (402, json!(0)));
}

#[tokio::test]
async fn send_validation() {
    let h = Harness::new();
    let send = "/vandar/ipg/api/v4/send";
    let expect = |r: &common::Reply, status: u16| {
        assert_eq!(r.status, status, "{}", r.text);
        assert_eq!(r.json["status"], 0);
        assert!(r.json["errors"][0].is_string());
    };
    let with = |key: &str, value: Value| {
        let mut body = send_body();
        body[key] = value;
        body
    };
    expect(&h.post_json(send, with("api_key", json!("bad"))).await, 401);
    expect(&h.post_json(send, with("amount", json!(999))).await, 400);
    expect(
        &h.post_json(send, with("amount", json!("10000"))).await,
        400,
    );
    expect(
        &h.post_json(send, with("description", json!("x".repeat(256))))
            .await,
        400,
    );
    expect(&h.post_json(send, with("port", json!("MELLAT"))).await, 400);
    expect(
        &h.post_json(send, with("valid_card_number", json!(vec![CARD; 11])))
            .await,
        400,
    );
    expect(
        &h.post_json(send, with("national_code", json!("0499370898")))
            .await,
        400,
    );
    let mut body = with("national_code", json!("0499370899"));
    body.as_object_mut().unwrap().remove("mobile_number");
    expect(&h.post_json(send, body).await, 400);
    let mut body = send_body();
    body.as_object_mut().unwrap().remove("callback_url");
    expect(&h.post_json(send, body).await, 400);
    expect(
        &h.post_raw(send, "text/plain", &send_body().to_string())
            .await,
        415,
    );
    expect(&h.get(send).await, 405);

    let ok = with("national_code", json!("0499370899"));
    let ok = {
        let mut b = ok;
        b["port"] = json!("SAMAN");
        b["valid_card_number"] = json!([CARD]);
        b
    };
    assert_eq!(h.post_json(send, ok).await.status, 200);
}

#[tokio::test]
async fn valid_card_number_restricts_the_payer() {
    let h = Harness::new();
    let mut body = send_body();
    body["valid_card_number"] = json!(["5022291234567122"]);
    let token = h.post_json("/vandar/ipg/api/v4/send", body).await.json["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h
        .post_json(
            "/_control/pay",
            json!({ "gateway": "vandar", "token": token, "action": "pay", "card": CARD }),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = h
        .post_json("/_control/pay", json!({ "gateway": "vandar", "token": token, "action": "pay", "card": "5022-2912-3456-7122" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn refund_window_expiry_across_gateways() {
    let h = Harness::with(SandboxConfig {
        refund_window: Duration::from_millis(500),
        ..SandboxConfig::default()
    });
    let vandar = create(&h).await;
    h.pay("vandar", &vandar, "pay").await;
    let canpay = h
        .post_json(
            "/canpay/api/ipg/token",
            json!({ "merchant": creds::CANPAY_MERCHANT, "amount": 5000, "callback_url": "https://shop.test/c", "invoice_id": "1" }),
        )
        .await
        .json["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    h.pay("canpay", &canpay, "pay").await;
    let mupra_url = h
        .post_json(
            "/mupra/restapi/api/ipg/send/json",
            json!({ "api_key": creds::MUPRA_API_KEY, "amount": "5000", "callback_url": "https://shop.test/m", "factorNumber": "1" }),
        )
        .await
        .json["result"]
        .as_str()
        .unwrap()
        .to_owned();
    let mupra = mupra_url.rsplit('/').next().unwrap().to_owned();
    h.pay("mupra", &mupra, "pay").await;
    let atipay = h
        .post_json(
            "/atipay/v1/get-token",
            json!({ "amount": 5000, "cellNumber": "09120000000", "invoiceNumber": "1", "redirectUrl": "https://shop.test/a", "apiKey": creds::ATIPAY_API_KEY }),
        )
        .await
        .json["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let reference = h.pay("atipay", &atipay, "pay").await["form"]["referenceNumber"]
        .as_str()
        .unwrap()
        .to_owned();

    tokio::time::sleep(Duration::from_millis(700)).await;

    // Paid once, so its payment fields are there; the code is still the documented one.
    let info = transaction(&h, &vandar).await;
    assert_eq!((info["code"].clone(), info["paymentDate"].is_string()), (json!(1), true));
    h.post_json("/_control/readings", json!({"gateway": "vandar", "token": vandar, "vandar_info_unpaid": "invented_codes"})).await;
    assert_eq!(transaction(&h, &vandar).await["code"], 5);
    assert_eq!(transaction(&h, &vandar).await["message"], "Refunded");
    assert_eq!(
        h.post_json("/vandar/ipg/api/v4/verify", token_body(&vandar))
            .await
            .status,
        402
    );
    let r = h
        .post_json(
            "/canpay/api/ipg/verify",
            json!({ "merchant": creds::CANPAY_MERCHANT, "token": canpay }),
        )
        .await;
    assert_eq!((r.status, r.json["status"].clone()), (402, json!(false)));
    let r = h
        .post_json(
            "/mupra/restapi/api/ipg/verify/json",
            json!({ "api_key": creds::MUPRA_API_KEY, "token": mupra }),
        )
        .await;
    assert_eq!(r.json["result"]["paid"], false);
    let r = h
        .post_json(
            "/atipay/v1/verify-payment",
            json!({ "terminalId": creds::ATIPAY_TERMINAL_ID, "referenceNumber": reference, "apiKey": creds::ATIPAY_API_KEY }),
        )
        .await;
    assert_eq!((r.status, r.json["status"].clone()), (402, json!("Failed")));
    let state = h.payment("vandar", &vandar).await;
    assert_eq!(
        (state["status"].clone(), state["refunded"].clone()),
        (json!("refunded"), json!(true))
    );
}

#[tokio::test]
async fn refund_window_changes_at_runtime() {
    let h = Harness::new();
    let token = create(&h).await;
    h.pay("vandar", &token, "pay").await;
    let r = h
        .post_json("/_control/config", json!({ "refund_window_secs": 0 }))
        .await;
    assert_eq!(r.json["refund_window_secs"], 0);
    assert_eq!(h.payment("vandar", &token).await["status"], "refunded");
}

/// Transaction info in every situation under every reading: `readings`
/// changes the run's, and one payment's own win over them.
#[tokio::test]
async fn transaction_info_speaks_every_reading() {
    let h = Harness::new();
    let info = |token: String| {
        let h = &h;
        async move { h.post_json("/vandar/ipg/api/v4/transaction", token_body(&token)).await }
    };
    let code = |r: &common::Reply| if r.status == 200 { r.json["code"].clone() } else { json!(format!("refused {}", r.status)) };
    let (waiting, cancelled, verified) = (create(&h).await, create(&h).await, create(&h).await);
    h.pay("vandar", &cancelled, "cancel").await;
    h.pay("vandar", &verified, "pay").await;
    assert_eq!(h.post_json("/vandar/ipg/api/v4/verify", token_body(&verified)).await.status, 200);
    let cases = [
        (json!({}), [json!(1), json!(1), json!(1)]),
        (json!({"vandar_info_unpaid": "invented_codes", "vandar_info_verified": "invented_codes"}), [json!(4), json!(3), json!(2)]),
        (json!({"vandar_info_unpaid": "refused", "vandar_info_verified": "unknown_code"}), [json!("refused 402"), json!("refused 402"), json!(8)]),
        (json!({"vandar_info_unpaid": "code1", "vandar_info_verified": "refused"}), [json!(1), json!(1), json!("refused 402")]),
    ];
    for (readings, expected) in cases {
        let r = h.post_json("/_control/readings", readings.clone()).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let got = [code(&info(waiting.clone()).await), code(&info(cancelled.clone()).await), code(&info(verified.clone()).await)];
        assert_eq!(got, expected, "under {readings}");
    }
    // One payment's own reading wins over the run's (now: verified → refused).
    let r = h.post_json("/_control/readings", json!({"gateway": "vandar", "token": verified, "vandar_info_verified": "invented_codes"})).await;
    assert_eq!(r.json["readings"]["vandar_info_verified"], "invented_codes");
    assert_eq!(code(&info(verified.clone()).await), json!(2));
    assert_eq!(h.payment("vandar", &verified).await["readings"]["vandar_info_verified"], "invented_codes");
    // Unknown readings and half-named payments are refused.
    assert_eq!(h.post_json("/_control/readings", json!({"vandar_info_verified": "code2"})).await.status, 400);
    assert_eq!(h.post_json("/_control/readings", json!({"token": verified})).await.status, 400);
    assert_eq!(h.post_json("/_control/readings", json!({"gateway": "vandar", "token": "nope"})).await.status, 404);
}

/// Under `spends_answer`, a verify of a payment not paid spends Vandar's one
/// answer: the payer can still pay, but no verify ever succeeds.
#[tokio::test]
async fn a_verify_of_an_unpaid_payment_spends_the_answer_only_under_its_reading() {
    let h = Harness::new();
    let (unspent, spent) = (create(&h).await, create(&h).await);
    h.post_json("/_control/readings", json!({"gateway": "vandar", "token": spent, "vandar_unpaid_verify": "spends_answer"})).await;
    for token in [&unspent, &spent] {
        assert_eq!(h.post_json("/vandar/ipg/api/v4/verify", token_body(token)).await.status, 402);
        h.pay("vandar", token, "pay").await;
    }
    assert_eq!(h.post_json("/vandar/ipg/api/v4/verify", token_body(&unspent)).await.status, 200);
    let r = h.post_json("/vandar/ipg/api/v4/verify", token_body(&spent)).await;
    assert_eq!((r.status, r.json["status"].clone()), (402, json!(0)));
    let state = h.payment("vandar", &spent).await;
    assert_eq!((state["verified"].clone(), state["verify_spent_unpaid"].clone()), (json!(false), json!(true)));
}
