mod common;

use std::time::Duration;

use common::Harness;
use dargah_sandbox::{creds, SandboxConfig};
use serde_json::{json, Value};

const BIZ: &str = creds::VANDAR_BUSINESS;

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn get(h: &Harness, path: &str, token: &str) -> common::Reply {
    h.send(
        h.http
            .get(h.url(path))
            .header("authorization", bearer(token)),
    )
    .await
}

async fn post(h: &Harness, path: &str, token: &str, body: Value) -> common::Reply {
    h.send(
        h.http
            .post(h.url(path))
            .header("authorization", bearer(token))
            .json(&body),
    )
    .await
}

async fn wallet(h: &Harness) -> u64 {
    let r = get(
        h,
        &format!("/vandar/api/v2/business/{BIZ}/balance"),
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["data"]["wallet"].as_u64().unwrap()
}

#[tokio::test]
async fn authentication_and_routing() {
    let h = Harness::new();
    let balance = format!("/vandar/api/v2/business/{BIZ}/balance");
    let r = h.get(&balance).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json["status"], 0);
    assert_eq!(get(&h, &balance, "not-a-token").await.status, 401);
    assert_eq!(wallet(&h).await, 100_000_000);

    let r = get(
        &h,
        "/vandar/api/v2/business/other-shop/balance",
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert_eq!(r.status, 403);

    let r = get(
        &h,
        &format!("/vandar/api/v9/business/{BIZ}/nothing"),
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json, json!({ "status": 0, "errors": ["not found"] }));

    // A documented endpoint without a model echoes what it was called with.
    let r = post(
        &h,
        &format!("/vandar/api/v3/business/{BIZ}/customers/c-1/cards/6037/inquiry"),
        creds::VANDAR_ACCESS_TOKEN,
        json!({ "x": 1 }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({ "status": 1, "data": {
            "endpoint": "/api/v3/business/:business/customers/:customer/cards/:card/inquiry",
            "params": { "business": BIZ, "customer": "c-1", "card": "6037" },
            "body": { "x": 1 },
        } })
    );
    let r = get(
        &h,
        "/vandar/subscription/authorizations/abc",
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert_eq!(
        r.json["data"]["endpoint"],
        "/subscription/authorizations/:token"
    );
    assert_eq!(r.json["data"]["body"], Value::Null);
    let r = get(
        &h,
        &format!("/vandar/batch/api/v2/business/{BIZ}/batches"),
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert_eq!(r.status, 200);
    let r = get(
        &h,
        &format!("/vandar/api/v3/business/{BIZ}/subscription/withdrawal?q=77"),
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert_eq!(r.json["data"]["params"]["authorization_id"], "77");

    let stats = h.stats().await;
    assert_eq!(
        stats["calls"]["vandar.business:GET /subscription/authorizations/:token"],
        1
    );
    assert!(stats["calls"]["vandar.business"].as_u64().unwrap() >= 8);
}

#[tokio::test]
async fn refresh_token_rotation() {
    let h = Harness::new();
    let refresh = |token: &str| json!({ "refreshtoken": token });
    let r = h
        .post_json(
            "/vandar/api/v3/refreshtoken",
            refresh(creds::VANDAR_REFRESH_TOKEN),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["expires_in"], 432_000);
    let access = r.json["access_token"].as_str().unwrap().to_owned();
    let next = r.json["refresh_token"].as_str().unwrap().to_owned();

    // The old refresh token is spent; the old access token lives on.
    let r = h
        .post_json(
            "/vandar/api/v3/refreshtoken",
            refresh(creds::VANDAR_REFRESH_TOKEN),
        )
        .await;
    assert_eq!((r.status, r.json["status"].clone()), (401, json!(0)));
    assert_eq!(wallet(&h).await, 100_000_000);
    assert_eq!(
        get(
            &h,
            &format!("/vandar/api/v2/business/{BIZ}/balance"),
            &access
        )
        .await
        .status,
        200
    );

    let r = h
        .post_json("/vandar/api/v3/refreshtoken", refresh(&next))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(h.stats().await["calls"]["vandar.refreshtoken"], 3);
}

#[tokio::test]
async fn access_tokens_expire() {
    let h = Harness::with(SandboxConfig {
        vandar_token_lifetime: Duration::from_millis(300),
        ..SandboxConfig::default()
    });
    assert_eq!(wallet(&h).await, 100_000_000);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = get(
        &h,
        &format!("/vandar/api/v2/business/{BIZ}/balance"),
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(r.json["errors"][0].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn rate_limits() {
    let h = Harness::new();
    let tickets = "/vandar/api/miando/api/v1/tickets";
    for i in 0..30 {
        let r = post(&h, tickets, creds::VANDAR_ACCESS_TOKEN, json!({ "n": i })).await;
        assert_eq!(r.status, 200, "POST {i}");
    }
    let r = post(&h, tickets, creds::VANDAR_ACCESS_TOKEN, json!({})).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.json["status"], 0);

    let customers = "/vandar/api/miando/api/v1/customers";
    for i in 0..100 {
        assert_eq!(
            get(&h, customers, creds::VANDAR_ACCESS_TOKEN).await.status,
            200,
            "GET {i}"
        );
    }
    assert_eq!(
        get(&h, customers, creds::VANDAR_ACCESS_TOKEN).await.status,
        429
    );

    // The window slides: three seconds later there is room again.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        get(&h, customers, creds::VANDAR_ACCESS_TOKEN).await.status,
        200
    );
}

#[tokio::test]
async fn rate_limits_can_be_disabled() {
    let h = Harness::with(SandboxConfig {
        rate_limits: false,
        ..SandboxConfig::default()
    });
    for _ in 0..40 {
        let r = post(
            &h,
            "/vandar/api/miando/api/v1/tickets",
            creds::VANDAR_ACCESS_TOKEN,
            json!({}),
        )
        .await;
        assert_eq!(r.status, 200);
    }
}

#[tokio::test]
async fn settlements_move_the_wallet() {
    let h = Harness::new();
    let store = format!("/vandar/api/v3/business/{BIZ}/settlement/store");
    let body =
        json!({ "amount": 2_000_000, "iban": "IR270170000000100324200001", "track_id": "t-1" });
    let r = post(&h, &store, creds::VANDAR_ACCESS_TOKEN, body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let settlement = r.json["data"]["settlement"].clone();
    assert_eq!(settlement["status"], "PENDING");
    assert_eq!(wallet(&h).await, 98_000_000);

    let r = post(&h, &store, creds::VANDAR_ACCESS_TOKEN, body).await;
    assert_eq!(r.status, 400, "track_id is unique");
    let r = post(
        &h,
        &store,
        creds::VANDAR_ACCESS_TOKEN,
        json!({ "amount": 5000, "iban": "IR000" }),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = post(
        &h,
        &store,
        creds::VANDAR_ACCESS_TOKEN,
        json!({ "amount": "5000", "iban": "IR270170000000100324200001" }),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = post(
        &h,
        &store,
        creds::VANDAR_ACCESS_TOKEN,
        json!({ "amount": 500_000_000, "iban": "IR270170000000100324200001" }),
    )
    .await;
    assert_eq!(r.status, 402);

    let r = get(
        &h,
        &format!("/vandar/api/v2.1/business/{BIZ}/settlement"),
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert_eq!(r.json["data"]["settlements"][0]["id"], settlement["id"]);
    let id = settlement["id"].as_str().unwrap();
    let r = get(
        &h,
        &format!("/vandar/api/v2.1/business/{BIZ}/settlement/{id}"),
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert_eq!(r.json["data"]["settlement"]["amount"], 2_000_000);

    let cancel = format!(
        "/vandar/api/v2.1/business/{BIZ}/settlement/{}",
        settlement["transaction_id"]
    );
    let delete = || {
        h.http
            .delete(h.url(&cancel))
            .header("authorization", bearer(creds::VANDAR_ACCESS_TOKEN))
    };
    let r = h.send(delete()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["data"]["settlement"]["status"], "CANCELED");
    assert_eq!(wallet(&h).await, 100_000_000);
    assert_eq!(h.send(delete()).await.status, 402);

    let r = get(
        &h,
        &format!("/vandar/api/v3/business/{BIZ}/settlement/banks"),
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert!(!r.json["data"]["banks"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn ipg_verify_credits_and_refund_debits() {
    let h = Harness::new();
    let r = h
        .post_json(
            "/vandar/ipg/api/v4/send",
            json!({ "api_key": creds::VANDAR_API_KEY, "amount": 50_000, "callback_url": "https://shop.test/v" }),
        )
        .await;
    let token = r.json["token"].as_str().unwrap().to_owned();
    h.pay("vandar", &token, "pay").await;
    let body = json!({ "api_key": creds::VANDAR_API_KEY, "token": token });
    let trans_id = h
        .post_json("/vandar/ipg/api/v4/transaction", body.clone())
        .await
        .json["transId"]
        .clone();
    let refund = format!("/vandar/api/v3/business/{BIZ}/transaction/{trans_id}/refund");

    let r = post(&h, &refund, creds::VANDAR_ACCESS_TOKEN, json!({})).await;
    assert_eq!(r.status, 402, "not verified yet: {}", r.text);

    let v = h.post_json("/vandar/ipg/api/v4/verify", body.clone()).await;
    assert_eq!(v.status, 200);
    assert_eq!(wallet(&h).await, 100_000_000 + 49_500);

    let r = get(
        &h,
        &format!("/vandar/api/v3/business/{BIZ}/transaction"),
        creds::VANDAR_ACCESS_TOKEN,
    )
    .await;
    assert_eq!(r.json["data"]["transactions"][0]["id"], trans_id);

    let r = post(&h, &refund, creds::VANDAR_ACCESS_TOKEN, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["data"]["amount"], 50_000);
    assert_eq!(wallet(&h).await, 100_000_000 + 49_500 - 50_000);
    // Refunded after its verify: code 1 by default (the documented code, unchanged), 5 in our invented table.
    assert_eq!(h.post_json("/vandar/ipg/api/v4/transaction", body.clone()).await.json["code"], 1);
    h.post_json("/_control/readings", json!({"vandar_info_verified": "invented_codes"})).await;
    assert_eq!(h.post_json("/vandar/ipg/api/v4/transaction", body).await.json["code"], 5);
    assert_eq!(
        post(&h, &refund, creds::VANDAR_ACCESS_TOKEN, json!({}))
            .await
            .status,
        402
    );
    let r = post(
        &h,
        &format!("/vandar/api/v3/business/{BIZ}/transaction/1/refund"),
        creds::VANDAR_ACCESS_TOKEN,
        json!({}),
    )
    .await;
    assert_eq!(r.status, 404);
}
