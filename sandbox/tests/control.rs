mod common;

use std::time::{Duration, Instant};

use common::{query_value, Harness};
use dargah_sandbox::{creds, creds2};
use serde_json::{json, Value};

async fn vandar_paid(h: &Harness) -> String {
    let r = h
        .post_json(
            "/vandar/ipg/api/v4/send",
            json!({ "api_key": creds::VANDAR_API_KEY, "amount": 20_000, "callback_url": "https://shop.test/v",
                    "description": "<script>alert(1)</script>" }),
        )
        .await;
    let token = r.json["token"].as_str().unwrap().to_owned();
    h.pay("vandar", &token, "pay").await;
    token
}

fn verify_body(token: &str) -> Value {
    json!({ "api_key": creds::VANDAR_API_KEY, "token": token })
}

const VERIFY: &str = "/vandar/ipg/api/v4/verify";

#[tokio::test]
async fn stats_count_every_call_and_reset_keeps_payments() {
    let h = Harness::new();
    let token = vandar_paid(&h).await;
    h.post_json(VERIFY, verify_body(&token)).await;
    h.post_json(VERIFY, verify_body(&token)).await; // fails: already verified
    h.get(VERIFY).await; // fails: wrong method
    h.post_json("/canpay/api/ipg/token", json!({})).await; // fails: no merchant

    let stats = h.stats().await;
    assert_eq!(stats["calls"]["vandar.send"], 1);
    assert_eq!(stats["calls"]["vandar.verify"], 3);
    assert_eq!(stats["calls"]["canpay.token"], 1);
    assert_eq!(stats["by_token"][&token]["vandar.verify"], 2);

    let page = h.get(&format!("/vandar/ipg/v4/{token}")).await;
    assert_eq!(page.status, 409, "a finished payment has no page");
    assert_eq!(h.stats().await["by_token"][&token]["vandar.page"], 1);

    assert_eq!(h.post_json("/_control/reset", json!({})).await.status, 200);
    assert_eq!(h.stats().await, json!({ "calls": {}, "by_token": {}, "processed_by_token": {}, "answer_lost_by_token": {}, "by_credential": {} }));
    let state = h.payment("vandar", &token).await;
    assert_eq!(state["verified"], true);
    assert_eq!(state["verify_count"], 1);
    assert_eq!(state["amount"], 20_000);
}

/// Two merchant accounts: each gateway takes both, counts calls per
/// credential, and a payment is only verified with the credential it was
/// created with (another merchant's token is not found).
#[tokio::test]
async fn second_account_is_counted_per_credential_and_cannot_verify_the_firsts_payments() {
    let h = Harness::new();
    let token = vandar_paid(&h).await;
    let other = h.post_json(VERIFY, json!({ "api_key": creds2::VANDAR_API_KEY, "token": token })).await;
    assert_eq!(other.status, 404, "{}", other.json);
    assert_eq!(h.post_json(VERIFY, verify_body(&token)).await.status, 200);
    let r = h
        .post_json("/canpay/api/ipg/token", json!({ "merchant": creds2::CANPAY_MERCHANT, "amount": 10_000, "callback_url": "https://shop.test/c", "invoice_id": "two-1" }))
        .await;
    let canpay = r.json["data"]["token"].as_str().unwrap().to_owned();
    h.pay("canpay", &canpay, "pay").await;
    let wrong = h.post_json("/canpay/api/ipg/verify", json!({ "merchant": creds::CANPAY_MERCHANT, "token": canpay })).await;
    assert_eq!(wrong.status, 404);
    assert_eq!(h.post_json("/canpay/api/ipg/verify", json!({ "merchant": creds2::CANPAY_MERCHANT, "token": canpay })).await.status, 200);
    // AtiPay: the second terminal's callback names its own terminal; the first terminal cannot verify it.
    let r = h
        .post_json("/atipay/v1/get-token", json!({ "apiKey": creds2::ATIPAY_API_KEY, "amount": 10_000, "cellNumber": "09123456789", "invoiceNumber": "two-2", "redirectUrl": "https://shop.test/a" }))
        .await;
    let atipay = r.json["token"].as_str().unwrap().to_owned();
    let callback = h.pay("atipay", &atipay, "pay").await;
    assert_eq!(callback["form"]["terminalId"], creds2::ATIPAY_TERMINAL_ID);
    let reference = callback["form"]["referenceNumber"].as_str().unwrap().to_owned();
    let cross = h.post_json("/atipay/v1/verify-payment", json!({ "apiKey": creds::ATIPAY_API_KEY, "terminalId": creds::ATIPAY_TERMINAL_ID, "referenceNumber": reference })).await;
    assert_eq!(cross.status, 404);
    let mixed = h.post_json("/atipay/v1/verify-payment", json!({ "apiKey": creds2::ATIPAY_API_KEY, "terminalId": creds::ATIPAY_TERMINAL_ID, "referenceNumber": reference })).await;
    assert_eq!(mixed.status, 403, "an apiKey with another merchant's terminal");
    let own = h.post_json("/atipay/v1/verify-payment", json!({ "apiKey": creds2::ATIPAY_API_KEY, "terminalId": creds2::ATIPAY_TERMINAL_ID, "referenceNumber": reference })).await;
    assert_eq!(own.json["amount"], 10_000);

    let stats = h.stats().await;
    let by = &stats["by_credential"];
    assert_eq!(by[creds::VANDAR_API_KEY]["vandar.verify"], 1);
    assert_eq!(by[creds2::VANDAR_API_KEY]["vandar.verify"], 1);
    assert_eq!(by[creds::CANPAY_MERCHANT]["canpay.verify"], 1);
    assert_eq!(by[creds2::CANPAY_MERCHANT]["canpay.verify"], 1);
    assert_eq!(by[creds2::CANPAY_MERCHANT]["canpay.token"], 1);
    assert_eq!(by[creds::ATIPAY_API_KEY]["atipay.verify-payment"], 1);
    assert_eq!(by[creds2::ATIPAY_API_KEY]["atipay.verify-payment"], 2);

    // The business API: each business's own bearer token, counted under the business.
    let balance = |token: &'static str| h.send(h.http.get(h.url("/vandar/api/v2/business/sandbox-shop-2/balance")).bearer_auth(token));
    assert_eq!(balance(creds2::VANDAR_ACCESS_TOKEN).await.status, 200);
    assert_eq!(balance(creds::VANDAR_ACCESS_TOKEN).await.status, 403, "the first business's token may not act for the second");
    let stats = h.stats().await;
    assert_eq!(stats["by_credential"][creds2::VANDAR_BUSINESS]["vandar.business"], 1);
    assert_eq!(stats["by_credential"][creds::VANDAR_BUSINESS]["vandar.business"], 1);
}

#[tokio::test]
async fn status_fault_answers_without_processing() {
    let h = Harness::new();
    let token = vandar_paid(&h).await;
    h.fault(json!({ "endpoint": "vandar.verify", "status": 500, "count": 1 }))
        .await;
    let r = h.post_json(VERIFY, verify_body(&token)).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json["status"], 0, "Vandar's envelope: {}", r.text);
    // Not processed, and the fault was used up: the real verify still works.
    let r = h.post_json(VERIFY, verify_body(&token)).await;
    assert_eq!(r.status, 200);
    assert_eq!(h.stats().await["calls"]["vandar.verify"], 2);

    // In each gateway's own envelope.
    h.fault(json!({ "endpoint": "mupra.balance", "status": 503 }))
        .await;
    let r = h
        .post_json(
            "/mupra/restapi/api/ipg/getBalance",
            json!({ "api_key": creds::MUPRA_API_KEY }),
        )
        .await;
    assert_eq!((r.status, r.json["code"].clone()), (503, json!(100)));
}

#[tokio::test]
async fn latency_fault_delays() {
    let h = Harness::new();
    h.fault(json!({ "endpoint": "mupra.balance", "latency_ms": 300 }))
        .await;
    let started = Instant::now();
    let r = h
        .post_json(
            "/mupra/restapi/api/ipg/getBalance",
            json!({ "api_key": creds::MUPRA_API_KEY }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // The request is processed before the delay: a client that gives up
    // early has still spent its verify.
    let token = vandar_paid(&h).await;
    h.fault(json!({ "endpoint": "vandar.verify", "latency_ms": 2000, "count": 1 }))
        .await;
    let err = h
        .http
        .post(h.url(VERIFY))
        .json(&verify_body(&token))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout());
    assert_eq!(h.post_json(VERIFY, verify_body(&token)).await.status, 402);
}

#[tokio::test]
async fn malformed_json_fault_processes_then_garbles() {
    let h = Harness::new();
    let token = vandar_paid(&h).await;
    h.fault(json!({ "endpoint": "vandar.verify", "malformed_json": true, "count": 1 }))
        .await;
    let r = h.post_json(VERIFY, verify_body(&token)).await;
    assert_eq!(r.status, 200);
    assert!(!r.text.is_empty());
    assert!(
        serde_json::from_str::<Value>(&r.text).is_err(),
        "{}",
        r.text
    );
    // The verify was spent.
    assert_eq!(h.post_json(VERIFY, verify_body(&token)).await.status, 402);
}

#[tokio::test]
async fn drop_after_process_closes_the_connection() {
    let h = Harness::new();
    let token = vandar_paid(&h).await;
    h.fault(json!({ "endpoint": "vandar.verify", "drop_after_process": true, "count": 1 }))
        .await;
    let started = Instant::now();
    let err = h
        .http
        .post(h.url(VERIFY))
        .json(&verify_body(&token))
        .send()
        .await
        .expect_err("the connection is dropped without a response");
    assert!(!err.is_timeout(), "a connection error, not a hang: {err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Processed before the drop: verify is spent.
    let r = h.post_json(VERIFY, verify_body(&token)).await;
    assert_eq!(r.status, 402);
    assert!(r.json["errors"][0]
        .as_str()
        .unwrap()
        .contains("already verified"));
    assert_eq!(h.stats().await["calls"]["vandar.verify"], 2);
}

#[tokio::test]
async fn faults_stack_count_down_and_clear() {
    let h = Harness::new();
    let balance = || {
        h.post_json(
            "/mupra/restapi/api/ipg/getBalance",
            json!({ "api_key": creds::MUPRA_API_KEY }),
        )
    };
    h.fault(json!({ "endpoint": "mupra.balance", "status": 502, "count": 2 }))
        .await;
    h.fault(json!({ "endpoint": "canpay.verify", "status": 500 }))
        .await;
    assert_eq!(
        h.get("/_control/faults").await.json["faults"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(balance().await.status, 502);
    assert_eq!(balance().await.status, 502);
    assert_eq!(balance().await.status, 200);

    let r = h.post_json("/canpay/api/ipg/verify", json!({})).await;
    assert_eq!((r.status, r.json["status"].clone()), (500, json!(false)));
    let r = h.send(h.http.delete(h.url("/_control/faults"))).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        h.post_json("/canpay/api/ipg/verify", json!({}))
            .await
            .status,
        400,
        "merchant is required"
    );

    let r = h
        .post_json(
            "/_control/faults",
            json!({ "endpoint": "x", "status": 200 }),
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn business_faults_by_pattern() {
    let h = Harness::new();
    let path = format!("/vandar/api/v2/business/{}/balance", creds::VANDAR_BUSINESS);
    h.fault(json!({ "endpoint": "vandar.business:GET /api/v2/business/:business/balance", "status": 500, "count": 1 })).await;
    let get = || {
        h.http.get(h.url(&path)).header(
            "authorization",
            format!("Bearer {}", creds::VANDAR_ACCESS_TOKEN),
        )
    };
    let r = h.send(get()).await;
    assert_eq!((r.status, r.json["status"].clone()), (500, json!(0)));
    assert_eq!(h.send(get()).await.status, 200);
}

#[tokio::test]
async fn payment_page_html_and_form_posts() {
    let h = Harness::new();
    let r = h
        .post_json(
            "/vandar/ipg/api/v4/send",
            json!({ "api_key": creds::VANDAR_API_KEY, "amount": 1_234_000, "callback_url": "https://shop.test/v?a=1",
                    "description": "<script>alert(1)</script>" }),
        )
        .await;
    let token = r.json["token"].as_str().unwrap().to_owned();
    let page = h.get(&format!("/vandar/ipg/v4/{token}")).await;
    assert_eq!(page.status, 200);
    let html = &page.text;
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("1,234,000"));
    assert!(html.contains("<input name=\"card\" id=\"card\""));
    assert!(html.contains(&format!(
        "<form method=\"POST\" action=\"/_pay/vandar/{token}\">"
    )));
    assert!(html.contains("name=\"action\" value=\"pay\" id=\"pay\">Pay</button>"));
    assert!(html.contains("name=\"action\" value=\"cancel\" id=\"cancel\">Cancel</button>"));
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    let submit = |form: &'static [(&'static str, &'static str)]| {
        h.http
            .post(h.url(&format!("/_pay/vandar/{token}")))
            .form(form)
    };
    let r = h.send(submit(&[("action", "pay"), ("card", "1234")])).await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("id=\"error\"") && r.text.contains("id=\"card\""));

    let resp = submit(&[("action", "pay"), ("card", "6037 9912 3456 7890")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("https://shop.test/v?a=1&"));
    assert_eq!(
        query_value(&location, "payment_status").as_deref(),
        Some("OK")
    );

    let r = h.send(submit(&[("action", "cancel")])).await;
    assert_eq!(r.status, 409);
    assert_eq!(h.get("/vandar/ipg/v4/unknown").await.status, 404);
}

#[tokio::test]
async fn post_callbacks_auto_submit() {
    let h = Harness::new();
    let r = h
        .post_json(
            "/canpay/api/ipg/token",
            json!({ "merchant": creds::CANPAY_MERCHANT, "amount": 7000, "callback_url": "https://shop.test/c?x=\"1\"", "invoice_id": "a&b" }),
        )
        .await;
    let token = r.json["data"]["token"].as_str().unwrap().to_owned();
    let r = h
        .send(
            h.http
                .post(h.url(&format!("/_pay/canpay/{token}")))
                .form(&[("action", "cancel")]),
        )
        .await;
    assert_eq!(r.status, 200);
    let html = &r.text;
    assert!(html.contains("onload=\"document.forms[0].submit()\""));
    assert!(html.contains("<noscript><button type=\"submit\">"));
    assert!(html.contains("name=\"success\" value=\"0\""));
    assert!(html.contains("name=\"invoice_id\" value=\"a&amp;b\""));
    assert!(html.contains("method=\"POST\" action=\"https://shop.test/c?x=%221%22\""));
}

#[tokio::test]
async fn control_api_errors() {
    let h = Harness::new();
    let pay = |body: Value| h.post_json("/_control/pay", body);
    assert_eq!(
        pay(json!({ "gateway": "sepal", "token": "x", "action": "pay" }))
            .await
            .status,
        400
    );
    assert_eq!(
        pay(json!({ "gateway": "vandar", "token": "x", "action": "pay", "card": common::CARD }))
            .await
            .status,
        404
    );
    assert_eq!(h.get("/_control/payments/vandar/nope").await.status, 404);
    let token = vandar_paid(&h).await;
    let r =
        pay(json!({ "gateway": "vandar", "token": token, "action": "pay", "card": common::CARD }))
            .await;
    assert_eq!(r.status, 409);
}

#[tokio::test]
async fn serve_runs_inside_a_caller_runtime() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(dargah_sandbox::serve(
        listener,
        dargah_sandbox::SandboxConfig::default(),
    ));
    let r = reqwest::get(format!("http://{addr}/_control/stats"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.abort();
}

#[tokio::test]
async fn client_config_points_every_gateway_at_this_sandbox() {
    let h = Harness::new();
    let base = h.sandbox.base_url();
    let r = h.get("/_control/client-config").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json, dargah_sandbox::client_config(&base, "sqlite://dargah-sandbox.db"));
    let r = h.get("/_control/client-config?store=sqlite:///tmp/shop.db").await;
    assert_eq!(r.json["store"], "sqlite:///tmp/shop.db");
    assert_eq!(r.json["canpay"]["base_url"], format!("{base}/canpay/api/ipg/"));
}
