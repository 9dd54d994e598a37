mod common;

use common::{query_value, Harness};
use dargah_sandbox::creds;
use serde_json::{json, Value};

const API: &str = "/mupra/restapi/api/ipg";
const SUCCESS: &str = "عملیات با موفقیت انجام شد";

fn send_body(factor: &str) -> Value {
    json!({
        "api_key": creds::MUPRA_API_KEY,
        "amount": "25000",
        "callback_url": "https://shop.test/mupra/back?order=9",
        "mobile_number": "09121234567",
        "factorNumber": factor,
        "description": "order 9",
    })
}

async fn balance(h: &Harness) -> u64 {
    let r = h
        .post_json(
            &format!("{API}/getBalance"),
            json!({ "api_key": creds::MUPRA_API_KEY }),
        )
        .await;
    assert_eq!(r.status, 200);
    r.json["result"]["balance"].as_u64().unwrap()
}

#[tokio::test]
async fn create_pay_callback_verify() {
    let h = Harness::new();
    let before = balance(&h).await;
    let r = h
        .post_json(&format!("{API}/send/json"), send_body("F-1"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["code"], 0);
    assert_eq!(r.json["message"], SUCCESS);
    let url = r.json["result"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&h.url("/mupra/directIpg/")), "{url}");
    let token = url.rsplit('/').next().unwrap().to_owned();

    let page = h.send(h.http.get(&url)).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("25,000"));

    // Our documented callback: GET callback_url + token & status.
    let cb = h.pay("mupra", &token, "pay").await;
    assert_eq!(cb["method"], "GET");
    let cb_url = cb["url"].as_str().unwrap();
    assert!(cb_url.starts_with("https://shop.test/mupra/back?order=9&"));
    assert_eq!(
        query_value(cb_url, "token").as_deref(),
        Some(token.as_str())
    );
    assert_eq!(query_value(cb_url, "status").as_deref(), Some("OK"));

    let verify = json!({ "api_key": creds::MUPRA_API_KEY, "token": token });
    for _ in 0..2 {
        let r = h
            .post_json(&format!("{API}/verify/json"), verify.clone())
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["code"], 0);
        let result = &r.json["result"];
        assert_eq!(result["paid"], true);
        assert_eq!(result["status"], 1);
        assert_eq!(result["maskedPan"], "603799****7890");
        assert!(result["transId"].is_string());
    }
    // Credited once, however often verified.
    assert_eq!(balance(&h).await, before + 25_000);

    let r = h
        .post_json(
            &format!("{API}/trx/json"),
            json!({ "api_key": creds::MUPRA_API_KEY }),
        )
        .await;
    assert_eq!(r.status, 200);
    let page = &r.json["result"];
    assert_eq!(page["resultCount"], 1);
    assert_eq!(page["startPage"], 0);
    assert_eq!(page["selectedPageSize"], 10);
    let item = &page["resultList"][0];
    assert_eq!(item["factorNumber"], "F-1");
    assert_eq!(item["paid"], true);
    assert_eq!(item["verify"], true);
    assert_eq!(item["amount"].as_f64(), Some(25000.0));
    assert_eq!(item["callbackUrl"], "https://shop.test/mupra/back?order=9");
    assert_eq!(item["mobileNo"], "09121234567");
}

#[tokio::test]
async fn unpaid_and_cancelled_verify_as_not_paid() {
    let h = Harness::new();
    let url = h
        .post_json(&format!("{API}/send/json"), send_body("F-2"))
        .await
        .json["result"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = url.rsplit('/').next().unwrap().to_owned();
    let verify = json!({ "api_key": creds::MUPRA_API_KEY, "token": token });
    let r = h
        .post_json(&format!("{API}/verify/json"), verify.clone())
        .await;
    assert_eq!(
        (
            r.json["result"]["paid"].clone(),
            r.json["result"]["status"].clone()
        ),
        (json!(false), json!(0))
    );

    let cb = h.pay("mupra", &token, "cancel").await;
    assert_eq!(
        query_value(cb["url"].as_str().unwrap(), "status").as_deref(),
        Some("FAILED")
    );
    let r = h.post_json(&format!("{API}/verify/json"), verify).await;
    assert_eq!(r.json["result"]["paid"], false);

    let r = h
        .post_json(
            &format!("{API}/verify/json"),
            json!({ "api_key": creds::MUPRA_API_KEY, "token": "nope" }),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["code"], 100);
}

#[tokio::test]
async fn error_envelopes() {
    let h = Harness::new();
    let send = format!("{API}/send/json");

    let mut body = send_body("E-1");
    body["api_key"] = json!("wrong");
    let r = h.post_json(&send, body).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json,
        json!({ "code": 100, "message": "ApiKey_Not_Found" })
    );

    // Every field is a string on the wire, amount included.
    let mut body = send_body("E-2");
    body["amount"] = json!(25000);
    let r = h.post_json(&send, body).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["code"], 100);
    assert!(r.json["message"].as_str().unwrap().contains("amount"));

    let mut body = send_body("E-3");
    body.as_object_mut().unwrap().remove("callback_url");
    let r = h.post_json(&send, body).await;
    assert_eq!((r.status, r.json["code"].clone()), (400, json!(100)));

    let r = h
        .post_raw(&send, "text/plain", &send_body("E-4").to_string())
        .await;
    assert_eq!((r.status, r.json["code"].clone()), (415, json!(100)));

    let r = h.post_raw(&send, "application/json", "{not json").await;
    assert_eq!((r.status, r.json["code"].clone()), (400, json!(100)));

    let r = h.get(&send).await;
    assert_eq!((r.status, r.json["code"].clone()), (405, json!(100)));

    assert_eq!(h.post_json(&send, send_body("DUP")).await.status, 200);
    let r = h.post_json(&send, send_body("DUP")).await;
    assert_ne!(r.status, 200);
    assert_eq!(
        r.json,
        json!({ "code": 100, "message": "duplicate factor number" })
    );
}

#[tokio::test]
async fn paya_transfer_deducts_the_balance() {
    let h = Harness::new();
    let before = balance(&h).await;
    let paya = format!("{API}/transfer/paya");
    let body = |amount: &str, iban: &str| json!({ "api_key": creds::MUPRA_API_KEY, "amount": amount, "iban": iban, "cif": "123456", "description": "rent" });
    let r = h
        .post_json(&paya, body("1000000", "IR270170000000100324200001"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["code"], 0);
    assert_eq!(balance(&h).await, before - 1_000_000);

    let r = h
        .post_json(&paya, body("1000", "IR270170000000100324200002"))
        .await;
    assert_eq!(
        (r.status, r.json["message"].clone()),
        (400, json!("invalid iban"))
    );

    let r = h
        .post_json(&paya, body("999999999999", "IR270170000000100324200001"))
        .await;
    assert_eq!((r.status, r.json["code"].clone()), (402, json!(100)));
    assert_eq!(balance(&h).await, before - 1_000_000);
}

#[tokio::test]
async fn trx_pages() {
    let h = Harness::new();
    for i in 0..5 {
        assert_eq!(
            h.post_json(&format!("{API}/send/json"), send_body(&format!("P-{i}")))
                .await
                .status,
            200
        );
    }
    let r = h
        .post_json(
            &format!("{API}/trx/json"),
            json!({ "api_key": creds::MUPRA_API_KEY, "page": "1", "pageSize": "2" }),
        )
        .await;
    let page = &r.json["result"];
    assert_eq!(page["resultCount"], 5);
    assert_eq!(page["totalPage"], 3);
    assert_eq!(page["endPage"], 2);
    assert_eq!(page["startPage"], 1);
    assert_eq!(page["resultList"].as_array().unwrap().len(), 2);

    let r = h
        .post_json(
            &format!("{API}/trx/json"),
            json!({ "api_key": creds::MUPRA_API_KEY, "page": 1 }),
        )
        .await;
    assert_eq!((r.status, r.json["code"].clone()), (400, json!(100)));
}

/// A payment created with `factor`; its token.
async fn create(h: &Harness, factor: &str) -> String {
    let url = h.post_json(&format!("{API}/send/json"), send_body(factor)).await.json["result"].as_str().unwrap().to_owned();
    url.rsplit('/').next().unwrap().to_owned()
}

async fn verify(h: &Harness, token: &str) -> common::Reply {
    h.post_json(&format!("{API}/verify/json"), json!({ "api_key": creds::MUPRA_API_KEY, "token": token })).await
}

/// Under `mupra_unpaid_verify: refuses_later`, a verify that answered
/// `paid: false` spends the token: the payer can still pay, but every later
/// verify is refused in Mupra's error envelope and nothing is credited.
/// Under the default the paid payment verifies as usual.
#[tokio::test]
async fn a_verify_answered_unpaid_refuses_later_verifies_only_under_its_reading() {
    let h = Harness::new();
    let (again, refuses) = (create(&h, "F-R1").await, create(&h, "F-R2").await);
    h.post_json("/_control/readings", json!({"gateway": "mupra", "token": refuses, "mupra_unpaid_verify": "refuses_later"})).await;
    for token in [&again, &refuses] {
        assert_eq!(verify(&h, token).await.json["result"]["paid"], false);
        h.pay("mupra", token, "pay").await;
    }
    let before = balance(&h).await;
    assert_eq!(verify(&h, &again).await.json["result"]["paid"], true);
    let r = verify(&h, &refuses).await;
    assert_eq!((r.status, r.json["code"].clone(), r.json.get("result")), (402, json!(100), None), "{}", r.text);
    assert_eq!(balance(&h).await, before + 25_000, "only the payment verified is credited");
    let state = h.payment("mupra", &refuses).await;
    assert_eq!((state["paid"].clone(), state["verified"].clone(), state["verify_spent_unpaid"].clone()), (json!(true), json!(false), json!(true)));
}

/// Under `mupra_first_verify: processed_and_refused` the first verify of a
/// paid payment verifies it and credits the merchant, but is answered with
/// a refusal; a verify after it follows `repeat_verify`.
#[tokio::test]
async fn a_first_verify_processed_and_refused_credits_once_and_answers_a_refusal() {
    let h = Harness::new();
    let (again, refused) = (create(&h, "F-P1").await, create(&h, "F-P2").await);
    h.post_json("/_control/readings", json!({"gateway": "mupra", "token": again, "mupra_first_verify": "processed_and_refused"})).await;
    h.post_json("/_control/readings", json!({"gateway": "mupra", "token": refused, "mupra_first_verify": "processed_and_refused", "repeat_verify": "refused"})).await;
    let before = balance(&h).await;
    for token in [&again, &refused] {
        h.pay("mupra", token, "pay").await;
        let r = verify(&h, token).await;
        assert_eq!((r.status, r.json["code"].clone()), (402, json!(100)), "{}", r.text);
        assert_eq!(h.payment("mupra", token).await["verified"], true, "processed: Mupra verified it");
    }
    assert_eq!(balance(&h).await, before + 2 * 25_000, "each credited once, by the refused verify");
    assert_eq!(verify(&h, &again).await.json["result"]["paid"], true, "answers_again: the success body");
    assert_eq!(verify(&h, &refused).await.status, 402, "repeat_verify refused");
    assert_eq!(balance(&h).await, before + 2 * 25_000, "never credited twice");
}
