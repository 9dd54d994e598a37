mod common;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::Harness;
use dargah_sandbox::{creds, SandboxConfig};
use serde_json::{json, Value};

async fn login(h: &Harness) -> String {
    let r = h
        .post_json(
            "/sepal/api/users/token.json",
            json!({ "mobile": creds::SEPAL_MOBILE, "password": creds::SEPAL_PASSWORD }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], true);
    assert_eq!(r.json["message"], "");
    r.json["data"]["token"].as_str().unwrap().to_owned()
}

async fn call(h: &Harness, path: &str, jwt: &str, body: Value) -> common::Reply {
    h.send(
        h.http
            .post(h.url(path))
            .header("authorization", format!("Bearer {jwt}"))
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn login_gives_a_real_jwt() {
    let h = Harness::new();
    let jwt = login(&h).await;
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );

    // A form login works too.
    let form = [
        ("mobile", creds::SEPAL_MOBILE),
        ("password", creds::SEPAL_PASSWORD),
    ];
    let r = h
        .send(
            h.http
                .post(h.url("/sepal/api/users/token.json"))
                .form(&form),
        )
        .await;
    assert_eq!(r.status, 200);

    let r = h
        .post_json(
            "/sepal/api/users/token.json",
            json!({ "mobile": creds::SEPAL_MOBILE, "password": "x" }),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json["status"], false);
    assert!(r.json["message"].is_string());
}

#[tokio::test]
async fn expired_and_forged_tokens_are_refused() {
    let h = Harness::with(SandboxConfig {
        sepal_token_lifetime: Duration::from_secs(1),
        ..SandboxConfig::default()
    });
    let jwt = login(&h).await;
    let state = "/sepal/api/onlinePayments/getState.json";
    let body = json!({ "paymentNumber": 1755366969864145u64 });
    assert_eq!(call(&h, state, &jwt, body.clone()).await.status, 200);
    let forged = format!("{}x", jwt);
    assert_eq!(call(&h, state, &forged, body.clone()).await.status, 401);
    assert_eq!(h.post_json(state, body.clone()).await.status, 401);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = call(&h, state, &jwt, body).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json["status"], false);
}

#[tokio::test]
async fn payment_state_and_balance() {
    let h = Harness::new();
    let jwt = login(&h).await;
    let state = "/sepal/api/onlinePayments/getState.json";
    let r = call(
        &h,
        state,
        &jwt,
        json!({ "paymentNumber": 1755366969864145u64 }),
    )
    .await;
    assert_eq!(
        r.json,
        json!({ "status": true, "message": "", "item": { "payment_number": "1755366969864145", "state": "1", "state_label": "موفق" } })
    );
    assert_eq!(
        call(&h, state, &jwt, json!({ "paymentNumber": 1 }))
            .await
            .status,
        404
    );
    assert_eq!(
        call(
            &h,
            state,
            &jwt,
            json!({ "paymentNumber": "1755366969864145" })
        )
        .await
        .status,
        400
    );

    let r = call(
        &h,
        "/sepal/api/gates/balance.json",
        &jwt,
        json!({ "apiKey": creds::SEPAL_API_KEY }),
    )
    .await;
    assert_eq!(r.status, 200);
    let terminal = &r.json["terminals"][0];
    assert_eq!(terminal["code"], "239400");
    assert!(
        terminal["balance"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    let r = call(
        &h,
        "/sepal/api/gates/balance.json",
        &jwt,
        json!({ "apiKey": "nope" }),
    )
    .await;
    assert_eq!((r.status, r.json["status"].clone()), (403, json!(false)));
}

#[tokio::test]
async fn inquiry_by_jalali_dates_and_card() {
    let h = Harness::new();
    let jwt = login(&h).await;
    let inquiry = "/sepal/api/onlinePayments/inquiry.json";

    let r = call(
        &h,
        inquiry,
        &jwt,
        json!({ "dateFrom": "1401/10/28", "dateTo": "1401/10/28" }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.json["items"].as_array().unwrap();
    let sample = items
        .iter()
        .find(|i| i["payment_number"] == "1755366969864145")
        .expect("the document's sample");
    assert_eq!(sample["created"], "1401/10/28 16:56:35");
    assert_eq!(sample["amount"], 3_000_000);
    assert_eq!(sample["payer_card_number"], "603769********9641");
    assert!(items
        .iter()
        .all(|i| i["created"].as_str().unwrap().starts_with("1401/10/28")));
    assert_eq!(
        (r.json["page"].clone(), r.json["limit"].clone()),
        (json!(1), json!(20))
    );

    // The whole seed spans 1401/10/01 .. 1401/10/29: 25 payments.
    let r = call(
        &h,
        inquiry,
        &jwt,
        json!({ "dateFrom": "1401/10/01", "dateTo": "1401/10/30", "page": 2, "limit": 10 }),
    )
    .await;
    assert_eq!(r.json["totalPages"], 3);
    assert_eq!(r.json["items"].as_array().unwrap().len(), 10);

    let r = call(
        &h,
        inquiry,
        &jwt,
        json!({ "payerCardNumber": "5892101234564421" }),
    )
    .await;
    let items = r.json["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items
        .iter()
        .all(|i| i["payer_card_number"] == "589210********4421"));

    let r = call(&h, inquiry, &jwt, json!({ "page": 1 })).await;
    assert_eq!((r.status, r.json["status"].clone()), (400, json!(false)));
    let r = call(&h, inquiry, &jwt, json!({ "dateFrom": "2023-01-18" })).await;
    assert_eq!(r.status, 400);
    let r = h
        .send(
            h.http
                .post(h.url(inquiry))
                .header("authorization", format!("Bearer {jwt}"))
                .header("content-type", "text/plain")
                .body("x"),
        )
        .await;
    assert_eq!(r.status, 415);
}
