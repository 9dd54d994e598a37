//! Each gateway adapter against a scripted loopback server answering the
//! documents' own sample bodies, their error envelopes, and broken answers.

mod support;

use dargah_core::{CallbackFields, Dargah, ErrorKind, Gateway, OutcomeKind, PaymentRequest, PaymentState, Redirect, VandarOptions};
use serde_json::json;
use std::time::Duration;
use support::stub::Stub;

struct Env {
    stub: Stub,
    dargah: Dargah,
    _dir: tempfile::TempDir,
}

fn env() -> Env {
    env_with(1 << 20)
}

fn env_with(max_response_bytes: usize) -> Env {
    let stub = Stub::start();
    let dir = tempfile::tempdir().unwrap();
    let base = &stub.base;
    let config = json!({
        "store": format!("sqlite://{}/dargah.db", dir.path().display()),
        "http": {"request_timeout_ms": 1500, "connect_timeout_ms": 1000, "max_response_bytes": max_response_bytes},
        "callback_wait_ms": 0,
        "mupra": {"api_key": "MUPRA-KEY", "base_url": format!("{base}/mupra/")},
        "canpay": {"merchant": "CANPAY-MERCHANT", "base_url": format!("{base}/canpay/")},
        "atipay": {"apiKey": "ATIPAY-KEY", "terminalId": "T-77", "base_url": format!("{base}/atipay/")},
        "vandar": {"api_key": "VANDAR-KEY", "ipg_base_url": format!("{base}/vandar")}
    });
    let dargah = Dargah::from_json(&config.to_string()).unwrap();
    Env { stub, dargah, _dir: dir }
}

fn request(invoice: &str, amount: u64) -> PaymentRequest {
    PaymentRequest::new(invoice, amount, "https://shop.example/callback?order=1").mobile("09123456789").description("خرید")
}

fn callback(query: &[(&str, &str)], form: &[(&str, &str)]) -> CallbackFields {
    CallbackFields::from_pairs(query.iter().copied(), form.iter().copied()).unwrap()
}

const MUPRA_OK: &str = "عملیات با موفقیت انجام شد";

#[test]
fn mupra_create_verify_and_replay() {
    let e = env();
    e.stub.on("/mupra/send/json", 200, &json!({"code": 0, "message": MUPRA_OK, "result": "https://mupra.ir/directIpg/_GEtHMgFeL6R"}).to_string());
    let created = e.dargah.create_payment(Gateway::Mupra, request("m-1", 15000)).unwrap();
    assert_eq!(created.redirect, Redirect::Get { url: "https://mupra.ir/directIpg/_GEtHMgFeL6R".into() });
    assert_eq!(created.payment.token.as_deref(), Some("_GEtHMgFeL6R"));
    assert_eq!(created.payment.state, PaymentState::Awaiting);

    // Every field is a string, amount included.
    let sent = e.stub.received("/mupra/send/json")[0].json();
    assert_eq!(sent["api_key"], "MUPRA-KEY");
    assert_eq!(sent["amount"], "15000");
    assert_eq!(sent["factorNumber"], "m-1");
    assert_eq!(sent["mobile_number"], "09123456789");
    let cb = sent["callback_url"].as_str().unwrap();
    assert!(cb.starts_with("https://shop.example/callback?order=1&dargah_ref=dp_"), "{cb}");
    assert!(e.stub.received("/mupra/send/json")[0].content_type.starts_with("application/json"));

    e.stub.on(
        "/mupra/verify/json",
        200,
        &json!({"result": {"maskedPan": "603799****3579", "transId": "11111111", "paid": true, "status": 1}, "code": 0, "message": MUPRA_OK}).to_string(),
    );
    let fields = callback(&[("dargah_ref", &created.payment.id), ("token", "_GEtHMgFeL6R"), ("status", "OK")], &[]);
    let outcome = e.dargah.handle_callback(Gateway::Mupra, &fields).unwrap();
    assert_eq!(outcome.kind, OutcomeKind::NewlyPaid);
    assert_eq!(outcome.payment.masked_card.as_deref(), Some("603799******3579"), "cards are stored first-6, last-4");
    assert_eq!(outcome.payment.reference.as_deref(), Some("11111111"));
    let verify = e.stub.received("/mupra/verify/json");
    assert_eq!(verify[0].json(), json!({"api_key": "MUPRA-KEY", "token": "_GEtHMgFeL6R"}));

    for _ in 0..3 {
        assert_eq!(e.dargah.handle_callback(Gateway::Mupra, &fields).unwrap().kind, OutcomeKind::AlreadyPaid);
    }
    assert_eq!(e.stub.received("/mupra/verify/json").len(), 1, "replays never call the gateway");
    // The raw answer is stored with the outcome.
    let events = e.dargah.store().events(&created.payment.id).unwrap();
    assert!(events[0].3.contains("11111111"));
}

#[test]
fn mupra_bare_url_unpaid_sample_and_error_envelopes() {
    let e = env();
    e.stub.on("/mupra/send/json", 200, "https://mupra.ir/directIpg/BARE1");
    let created = e.dargah.create_payment(Gateway::Mupra, request("m-2", 20000)).unwrap();
    assert_eq!(created.payment.token.as_deref(), Some("BARE1"));

    // The document's own verify sample says paid:false.
    e.stub.on(
        "/mupra/verify/json",
        200,
        &json!({"result": {"maskedPan": "603799****3579", "transId": "11111111", "paid": false, "status": 0}, "code": 0, "message": MUPRA_OK}).to_string(),
    );
    let fields = callback(&[("dargah_ref", &created.payment.id)], &[]);
    let outcome = e.dargah.handle_callback(Gateway::Mupra, &fields).unwrap();
    assert_eq!(outcome.kind, OutcomeKind::Failed);
    assert_eq!(outcome.payment.state, PaymentState::Awaiting, "stays open until its refund deadline");

    let dup = json!({"code": 100, "message": "duplicate factor number"}).to_string();
    e.stub.on("/mupra/send/json", 400, &dup);
    let err = e.dargah.create_payment(Gateway::Mupra, request("m-3", 20000)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::GatewayRejected);
    assert_eq!(err.gateway_code(), Some("100"));
    assert_eq!(err.gateway_message(), Some("duplicate factor number"));
    assert_eq!(err.http_status(), Some(400));
    assert!(!err.to_string().contains("MUPRA-KEY"));

    let e2 = env();
    e2.stub.on("/mupra/send/json", 401, &json!({"code": 100, "message": "ApiKey_Not_Found"}).to_string());
    let err = e2.dargah.create_payment(Gateway::Mupra, request("m-4", 20000)).unwrap_err();
    assert_eq!(err.gateway_message(), Some("ApiKey_Not_Found"));
    // A refused create leaves the invoice id free for a retry.
    e2.stub.on("/mupra/send/json", 200, &json!({"code": 0, "message": MUPRA_OK, "result": "https://mupra.ir/directIpg/T4"}).to_string());
    e2.dargah.create_payment(Gateway::Mupra, request("m-4", 20000)).unwrap();
    let err = e2.dargah.create_payment(Gateway::Mupra, request("m-4", 20000)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateInvoice);
}

#[test]
fn canpay_create_verify_never_trusts_callback_amount() {
    let e = env();
    e.stub.on("/canpay/token", 200, r#"{"status":true,"data":{"url":"https://canpay.ir/ipg/SNHQ1","token":"SNHQ1"}}"#);
    let created = e.dargah.create_payment(Gateway::CanPay, request("c-1", 50000)).unwrap();
    let sent = e.stub.received("/canpay/token")[0].json();
    assert_eq!(sent["merchant"], "CANPAY-MERCHANT");
    assert_eq!(sent["amount"], 50000, "amount is an integer");
    assert_eq!(sent["invoice_id"], "c-1");
    assert_eq!(sent["mobile"], "09123456789");
    assert_eq!(created.redirect.url(), "https://canpay.ir/ipg/SNHQ1");

    e.stub.on("/canpay/verify", 200, r#"{"status":true,"data":{"card":"5022-29**-****-7122","reference":"141167552421"}}"#);
    // The browser claims 1 rial: ignored; the stored amount counts.
    let form = [("success", "1"), ("token", "SNHQ1"), ("amount", "1"), ("invoice_id", "c-1")];
    let outcome = e.dargah.handle_callback(Gateway::CanPay, &callback(&[("dargah_ref", &created.payment.id)], &form)).unwrap();
    assert_eq!(outcome.kind, OutcomeKind::NewlyPaid);
    assert_eq!(outcome.payment.amount, 50000);
    assert_eq!(outcome.payment.reference.as_deref(), Some("141167552421"));
    assert_eq!(outcome.payment.masked_card.as_deref(), Some("502229******7122"), "cards are stored first-6, last-4");
    assert_eq!(e.stub.received("/canpay/verify")[0].json(), json!({"merchant": "CANPAY-MERCHANT", "token": "SNHQ1"}));
    // Without dargah_ref the token alone finds it.
    let again = e.dargah.handle_callback(Gateway::CanPay, &callback(&[], &form)).unwrap();
    assert_eq!(again.kind, OutcomeKind::AlreadyPaid);
    // Another invoice id with this token is a forgery.
    let forged = [("success", "1"), ("token", "SNHQ1"), ("amount", "50000"), ("invoice_id", "c-999")];
    assert_eq!(e.dargah.handle_callback(Gateway::CanPay, &callback(&[], &forged)).unwrap_err().kind(), ErrorKind::InvalidCallback);
    assert_eq!(e.stub.received("/canpay/verify").len(), 1);
}

#[test]
fn canpay_error_envelope() {
    let e = env();
    e.stub.on("/canpay/token", 422, r#"{"status":false,"error":"invoice_id","code":422,"message":"invoice_id is duplicated","description":""}"#);
    let err = e.dargah.create_payment(Gateway::CanPay, request("c-2", 50000)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::GatewayRejected);
    assert_eq!(err.gateway_code(), Some("422"));
    assert_eq!(err.gateway_message(), Some("invoice_id is duplicated"));

    e.stub.on("/canpay/token", 200, r#"{"status":true,"data":{"url":"https://canpay.ir/ipg/T2","token":"T2"}}"#);
    let created = e.dargah.create_payment(Gateway::CanPay, request("c-3", 50000)).unwrap();
    // Verify's error envelope: not paid; the payment stays open.
    e.stub.on("/canpay/verify", 400, r#"{"status":false,"error":"payment","code":404,"message":"payment not completed","description":""}"#);
    let form = [("success", "0"), ("token", "T2"), ("amount", "50000"), ("invoice_id", "c-3")];
    let outcome = e.dargah.handle_callback(Gateway::CanPay, &callback(&[], &form)).unwrap();
    assert_eq!(outcome.kind, OutcomeKind::Failed);
    assert_eq!(outcome.payment.state, PaymentState::Awaiting);
    assert!(outcome.payment.note.unwrap().contains("payment not completed"));
    assert_eq!(created.payment.id, outcome.payment.id);
}

#[test]
fn atipay_post_redirect_verify_amount_and_terminal() {
    let e = env();
    e.stub.on("/atipay/get-token", 200, r#"{"status":"OK","token":"ATI-TOKEN-1","errorCode":null,"errorDescription":null}"#);
    let created = e.dargah.create_payment(Gateway::AtiPay, request("a-1", 120000)).unwrap();
    let sent = e.stub.received("/atipay/get-token")[0].json();
    assert_eq!(sent["amount"], 120000);
    assert_eq!(sent["cellNumber"], "09123456789");
    assert_eq!(sent["invoiceNumber"], "a-1");
    assert_eq!(sent["apiKey"], "ATIPAY-KEY");
    assert_eq!(sent["description"], "خرید");
    assert!(sent["redirectUrl"].as_str().unwrap().contains("dargah_ref="));
    match &created.redirect {
        Redirect::Post { url, fields } => {
            assert_eq!(url, &format!("{}/atipay/redirect-to-gateway", e.stub.base));
            assert_eq!(fields, &vec![("token".to_string(), "ATI-TOKEN-1".to_string())]);
        }
        other => panic!("atipay redirects with a POST form, got {other:?}"),
    }
    assert!(created.redirect.html().contains("submit()"));

    let reference = "R".repeat(50);
    let form = |state: &str, terminal: &str| {
        vec![
            ("state".to_string(), state.to_string()),
            ("status".to_string(), "2".to_string()),
            ("referenceNumber".to_string(), reference.clone()),
            ("reservationNumber".to_string(), "a-1".to_string()),
            ("terminalId".to_string(), terminal.to_string()),
            ("traceNumber".to_string(), "445566".to_string()),
        ]
    };
    let query = vec![("dargah_ref".to_string(), created.payment.id.clone())];
    let wrong_terminal = CallbackFields::from_pairs(query.clone(), form("OK", "T-1")).unwrap();
    assert_eq!(e.dargah.handle_callback(Gateway::AtiPay, &wrong_terminal).unwrap_err().kind(), ErrorKind::InvalidCallback);

    e.stub.on("/atipay/verify-payment", 200, r#"{"amount":120000}"#);
    let ok = CallbackFields::from_pairs(query.clone(), form("OK", "T-77")).unwrap();
    let outcome = e.dargah.handle_callback(Gateway::AtiPay, &ok).unwrap();
    assert_eq!(outcome.kind, OutcomeKind::NewlyPaid);
    assert_eq!(outcome.payment.verified_amount, Some(120000));
    // verify-payment confirms no trace number: the browser's is only a hint (issue 24 item 5).
    assert_eq!((outcome.payment.trace_number.as_deref(), outcome.payment.unverified_trace_number.as_deref()), (None, Some("445566")));
    assert_eq!(e.stub.received("/atipay/verify-payment")[0].json(), json!({"terminalId": "T-77", "referenceNumber": reference, "apiKey": "ATIPAY-KEY"}));
    assert_eq!(e.stub.received("/atipay/verify-payment").len(), 1);
}

#[test]
fn atipay_amount_mismatch_and_reused_receipt_are_refused_and_keep_the_payment_open() {
    let e = env();
    e.stub.on("/atipay/get-token", 200, r#"{"status":"OK","token":"T1","errorCode":null,"errorDescription":null}"#);
    e.stub.then("/atipay/get-token", 200, r#"{"status":"OK","token":"T2","errorCode":null,"errorDescription":null}"#);
    let a = e.dargah.create_payment(Gateway::AtiPay, request("a-2", 120000)).unwrap();
    let b = e.dargah.create_payment(Gateway::AtiPay, request("a-3", 120000)).unwrap();
    let fields = |p: &dargah_core::Payment, reference: &str| {
        callback(
            &[("dargah_ref", &p.id)],
            &[("state", "OK"), ("referenceNumber", reference), ("reservationNumber", &p.invoice_id), ("terminalId", "T-77"), ("traceNumber", "1")],
        )
    };
    // The gateway verified 1000 rial for a 120000 rial order.
    e.stub.on("/atipay/verify-payment", 200, r#"{"amount":1000}"#);
    e.stub.then("/atipay/verify-payment", 200, r#"{"amount":120000}"#);
    // A receipt for another amount is another payment's: refused, and the payment stays open.
    let err = e.dargah.handle_callback(Gateway::AtiPay, &fields(&a.payment, "CHEAP")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCallback);
    assert!(err.message().contains("amount mismatch"), "{}", err.message());
    let open = e.dargah.payment(&a.payment.id).unwrap();
    assert_eq!(open.state, PaymentState::Awaiting);
    // Its own customer's receipt then credits it.
    assert_eq!(e.dargah.handle_callback(Gateway::AtiPay, &fields(&a.payment, "GENUINE-A")).unwrap().kind, OutcomeKind::NewlyPaid);

    // One receipt credits one order: replaying b's receipt for another order is refused before any verify.
    e.stub.on("/atipay/verify-payment", 200, r#"{"amount":120000}"#);
    assert_eq!(e.dargah.handle_callback(Gateway::AtiPay, &fields(&b.payment, "RECEIPT-B")).unwrap().kind, OutcomeKind::NewlyPaid);
    e.stub.on("/atipay/get-token", 200, r#"{"status":"OK","token":"T3","errorCode":null,"errorDescription":null}"#);
    let c = e.dargah.create_payment(Gateway::AtiPay, request("a-4", 120000)).unwrap();
    let verifies = e.stub.received("/atipay/verify-payment").len();
    let err = e.dargah.handle_callback(Gateway::AtiPay, &fields(&c.payment, "RECEIPT-B")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCallback);
    assert!(err.message().contains(&b.payment.id));
    assert_eq!(e.stub.received("/atipay/verify-payment").len(), verifies, "no gateway call for a replayed receipt");
    assert_eq!(e.dargah.payment(&c.payment.id).unwrap().state, PaymentState::Awaiting);
}

#[test]
fn atipay_error_shape_and_required_mobile() {
    let e = env();
    let err = e.dargah.create_payment(Gateway::AtiPay, PaymentRequest::new("a-9", 1000, "https://shop.example/cb")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("cellNumber"));
    e.stub.on("/atipay/get-token", 400, r#"{"status":"Failed","token":null,"errorCode":"12","errorDescription":"TerminalNotFound"}"#);
    let err = e.dargah.create_payment(Gateway::AtiPay, request("a-9", 1000)).unwrap_err();
    assert_eq!((err.kind(), err.gateway_code(), err.gateway_message()), (ErrorKind::GatewayRejected, Some("12"), Some("TerminalNotFound")));
    assert_eq!(e.stub.total_requests(), 1);
}

const VANDAR_VERIFY_SAMPLE: &str = r#"{"status":1,"amount":"1000.00","realAmount":500,"wage":"500","shaparakWage":"1200","transId":159178352177,"factorNumber":"12345","mobile":"09123456789","description":"description","cardNumber":"603799******7999","paymentDate":"2020-06-10 14:36:30","cid":null,"message":"ok"}"#;

const VANDAR_INFO_SAMPLE: &str = r#"{"status":1,"amount":"10000","wage":"500","shaparakWage":"1200","transId":155058785697,"refnumber":"GmshtyjwKSuZXT81+6o9nKIkOcW*****PY05opjBoF","trackingCode":"23***6","factorNumber":null,"mobile":null,"description":"description","cardNumber":"603799******6299","CID":"ECC1F6931DDC1B8A0892293774836F3FFAC4A3C9D34997405F340FCC1BDDED82","createdAt":"2019-02-19 18:19:55","paymentDate":"2019-02-19 18:21:50","code":1,"message":"Confirm requierd"}"#;

#[test]
fn vandar_send_verify_with_the_document_samples() {
    let e = env();
    e.stub.on("/vandar/api/v4/send", 200, r#"{"status":1,"token":"VTOKEN1"}"#);
    let options = VandarOptions { national_code: Some("0499370899".into()), valid_card_number: vec!["6037991234567890".into()], comment: Some("c".into()), port: Some(dargah_core::VandarPort::Saman) };
    let created = e.dargah.create_payment(Gateway::Vandar, request("v-1", 1000).vandar(options)).unwrap();
    assert_eq!(created.redirect.url(), format!("{}/vandar/v4/VTOKEN1", e.stub.base));
    let sent = e.stub.received("/vandar/api/v4/send")[0].json();
    assert_eq!(sent["api_key"], "VANDAR-KEY");
    assert_eq!(sent["amount"], 1000);
    assert_eq!(sent["mobile_number"], "09123456789");
    assert_eq!(sent["factorNumber"], "v-1");
    assert_eq!(sent["national_code"], "0499370899");
    assert_eq!(sent["valid_card_number"], json!(["6037991234567890"]));
    assert_eq!(sent["port"], "SAMAN");
    assert_eq!(sent["comment"], "c");

    e.stub.on("/vandar/api/v4/transaction", 200, VANDAR_INFO_SAMPLE);
    e.stub.on("/vandar/api/v4/verify", 200, VANDAR_VERIFY_SAMPLE);
    let fields = callback(&[("token", "VTOKEN1"), ("payment_status", "OK"), ("dargah_ref", &created.payment.id)], &[]);
    let outcome = e.dargah.handle_callback(Gateway::Vandar, &fields).unwrap();
    assert_eq!(outcome.kind, OutcomeKind::NewlyPaid);
    assert_eq!(outcome.payment.reference.as_deref(), Some("159178352177"));
    assert_eq!(outcome.payment.masked_card.as_deref(), Some("603799******7999"));
    assert_eq!(e.stub.received("/vandar/api/v4/verify")[0].json(), json!({"api_key": "VANDAR-KEY", "token": "VTOKEN1"}));
    assert_eq!(e.dargah.handle_callback(Gateway::Vandar, &fields).unwrap().kind, OutcomeKind::AlreadyPaid);
    assert_eq!(e.stub.received("/vandar/api/v4/verify").len(), 1);
    assert_eq!(e.stub.received("/vandar/api/v4/transaction").len(), 1, "transaction info first: a verify only for a payment it shows paid");
}

#[test]
fn vandar_failed_callback_asks_transaction_info_not_verify() {
    let e = env();
    e.stub.on("/vandar/api/v4/send", 200, r#"{"status":1,"token":"VT2"}"#);
    e.dargah.create_payment(Gateway::Vandar, request("v-2", 10000)).unwrap();
    let failed = callback(&[("token", "VT2"), ("payment_status", "FAILED")], &[]);
    // The documented code with no payment date or receipt, an undocumented code, a refusal: none
    // contradicts the FAILED callback, so it answers `failed`, and the payment stays open.
    for (status, info) in [
        (200, r#"{"status":1,"amount":"10000","transId":1,"refnumber":null,"paymentDate":null,"code":1,"message":"Confirm requierd"}"#),
        (200, r#"{"status":1,"amount":"10000","transId":1,"code":4,"message":"Waiting for payment"}"#),
        (402, r#"{"status":0,"errors":["transaction is not paid"]}"#),
    ] {
        e.stub.on("/vandar/api/v4/transaction", status, info);
        let outcome = e.dargah.handle_callback(Gateway::Vandar, &failed).unwrap();
        assert_eq!((outcome.kind, outcome.payment.state), (OutcomeKind::Failed, PaymentState::Awaiting), "{info}");
    }
    assert!(e.stub.received("/vandar/api/v4/verify").is_empty());

    // The document's transaction sample: paid, confirm required -> one verify.
    e.stub.on("/vandar/api/v4/transaction", 200, VANDAR_INFO_SAMPLE);
    e.stub.on("/vandar/api/v4/verify", 200, &VANDAR_VERIFY_SAMPLE.replace("\"1000.00\"", "\"10000\"").replace("\"realAmount\":500", "\"realAmount\":9500"));
    let outcome = e.dargah.handle_callback(Gateway::Vandar, &failed).unwrap();
    assert_eq!(outcome.kind, OutcomeKind::NewlyPaid, "a forged FAILED cannot lose a real payment");
    assert_eq!(e.stub.received("/vandar/api/v4/verify").len(), 1);
}

#[test]
fn vandar_error_envelope_and_validation_before_any_call() {
    let e = env();
    let cases: Vec<(PaymentRequest, &str)> = vec![
        (request("v-3", 999), "at least 1000"),
        (request("v-3", 1000).description("x".repeat(256)), "description"),
        (request("v-3", 1000).mobile("0912"), "mobile"),
        (PaymentRequest::new("v-3", 1000, "http://shop.example/cb"), "https"),
        (request("v-3", 1000).vandar(VandarOptions { national_code: Some("0499370898".into()), ..Default::default() }), "check digit"),
        (request("v-3", 1000).vandar(VandarOptions { valid_card_number: vec!["6037991234567890".into(); 11], ..Default::default() }), "at most 10"),
        (request("v 3", 1000), "invoice_id"),
        (request("v-3", 0), "positive"),
    ];
    for (req, needle) in cases {
        let err = e.dargah.create_payment(Gateway::Vandar, req).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains(needle), "{} should mention {needle}", err.message());
    }
    assert_eq!(e.stub.total_requests(), 0, "nothing invalid reaches the network");
    assert!(e.dargah.list_payments(None, 10, 0).unwrap().is_empty(), "nor the store");

    // Verify refused although transaction info says "confirm required": never guessed, asked again.
    e.stub.on("/vandar/api/v4/send", 200, r#"{"status":1,"token":"VT5"}"#);
    e.dargah.create_payment(Gateway::Vandar, request("v-5", 10000)).unwrap();
    e.stub.on("/vandar/api/v4/transaction", 200, VANDAR_INFO_SAMPLE);
    e.stub.on("/vandar/api/v4/verify", 402, r#"{"status":0,"errors":["already verified"]}"#);
    let o = e.dargah.handle_callback(Gateway::Vandar, &callback(&[("token", "VT5"), ("payment_status", "OK")], &[])).unwrap();
    assert_eq!((o.kind, o.payment.state), (OutcomeKind::InProgress, PaymentState::Awaiting));
    assert!(o.payment.note.unwrap().contains("already verified"));
    // An unknown transaction code is a truth Dargah cannot tell: open until the deadline.
    e.stub.on("/vandar/api/v4/send", 200, r#"{"status":1,"token":"VT6"}"#);
    e.dargah.create_payment(Gateway::Vandar, request("v-6", 10000)).unwrap();
    e.stub.on("/vandar/api/v4/transaction", 200, r#"{"status":1,"amount":"10000","code":42,"message":"?"}"#);
    let o = e.dargah.handle_callback(Gateway::Vandar, &callback(&[("token", "VT6"), ("payment_status", "OK")], &[])).unwrap();
    assert_eq!((o.kind, o.payment.state), (OutcomeKind::InProgress, PaymentState::Awaiting));

    e.stub.on("/vandar/api/v4/send", 401, r#"{"status":0,"errors":["api_key is invalid"]}"#);
    let err = e.dargah.create_payment(Gateway::Vandar, request("v-4", 1000)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::GatewayRejected);
    assert_eq!(err.gateway_message(), Some("api_key is invalid"));
    assert_eq!(err.http_status(), Some(401));
}

#[test]
fn broken_answers_have_named_errors() {
    let e = env_with(64 * 1024);
    e.stub.on("/canpay/token", 200, "<html>not json</html>");
    assert_eq!(e.dargah.create_payment(Gateway::CanPay, request("b-1", 1000)).unwrap_err().kind(), ErrorKind::MalformedResponse);
    e.stub.on("/canpay/token", 502, "<html>Bad Gateway</html>");
    let err = e.dargah.create_payment(Gateway::CanPay, request("b-2", 1000)).unwrap_err();
    assert_eq!((err.kind(), err.http_status()), (ErrorKind::GatewayUnavailable, Some(502)));
    e.stub.on("/canpay/token", 200, &format!(r#"{{"status":true,"data":{{"pad":"{}"}}}}"#, "x".repeat(200 * 1024)));
    let err = e.dargah.create_payment(Gateway::CanPay, request("b-3", 1000)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    assert!(err.message().contains("larger"));
    e.stub.on("/canpay/token", 200, r#"{"status":true,"data":{}}"#);
    assert_eq!(e.dargah.create_payment(Gateway::CanPay, request("b-4", 1000)).unwrap_err().kind(), ErrorKind::MalformedResponse);
    e.stub.on_slow("/canpay/token", 200, r#"{"status":true,"data":{"url":"https://canpay.ir/ipg/S","token":"S"}}"#, Duration::from_secs(3));
    let err = e.dargah.create_payment(Gateway::CanPay, request("b-5", 1000)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    // A create in doubt keeps its record (closed), so the invoice id is not silently reused.
    let b5 = e.dargah.list_payments(Some(PaymentState::Failed), 10, 0).unwrap();
    assert!(b5.iter().any(|p| p.invoice_id == "b-5"));

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = json!({"store": format!("sqlite://{}/x.db", dir.path().display()), "canpay": {"merchant": "m", "base_url": format!("http://127.0.0.1:{closed}/")}});
    let d = Dargah::from_json(&cfg.to_string()).unwrap();
    assert_eq!(d.create_payment(Gateway::CanPay, request("b-6", 1000)).unwrap_err().kind(), ErrorKind::Network);
}

#[test]
fn verify_timeout_is_in_doubt_then_recovered() {
    let e = env();
    e.stub.on("/canpay/token", 200, r#"{"status":true,"data":{"url":"https://canpay.ir/ipg/TT","token":"TT"}}"#);
    let created = e.dargah.create_payment(Gateway::CanPay, request("t-1", 7000)).unwrap();
    e.stub.on_slow("/canpay/verify", 200, r#"{"status":true,"data":{"card":"5022-29**-****-7122","reference":"R-TT"}}"#, Duration::from_secs(3));
    e.stub.then("/canpay/verify", 200, r#"{"status":true,"data":{"card":"5022-29**-****-7122","reference":"R-TT"}}"#);
    let form = [("success", "1"), ("token", "TT"), ("amount", "7000"), ("invoice_id", "t-1")];
    let err = e.dargah.handle_callback(Gateway::CanPay, &callback(&[], &form)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("in doubt"));
    assert_eq!(e.dargah.payment(&created.payment.id).unwrap().state, PaymentState::InDoubt);
    let report = e.dargah.recover(10).unwrap();
    assert_eq!(report.outcomes.len(), 1);
    assert_eq!(report.outcomes[0].kind, OutcomeKind::NewlyPaid);
    assert_eq!(e.dargah.unacknowledged(10).unwrap().len(), 1);
    assert!(e.dargah.acknowledge(&created.payment.id).unwrap());
    assert!(!e.dargah.acknowledge(&created.payment.id).unwrap());
    assert!(e.dargah.unacknowledged(10).unwrap().is_empty());
    assert_eq!(e.dargah.handle_callback(Gateway::CanPay, &callback(&[], &form)).unwrap().kind, OutcomeKind::AlreadyPaid);
}

fn jwt(exp: i64) -> String {
    use base64::Engine;
    let enc = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2ln", enc(json!({"alg": "HS256", "typ": "JWT"})), enc(json!({"sub": 1, "exp": exp})))
}

fn sepal_env() -> (Stub, Dargah, tempfile::TempDir) {
    let stub = Stub::start();
    let dir = tempfile::tempdir().unwrap();
    let config = json!({
        "store": format!("sqlite://{}/d.db", dir.path().display()),
        "sepal": {"mobile": "09120000000", "password": "SEPAL-PASSWORD", "base_url": format!("{}/sepal", stub.base)}
    });
    let dargah = Dargah::from_json(&config.to_string()).unwrap();
    (stub, dargah, dir)
}

const SEPAL_STATE: &str = r#"{"status":true,"message":"","item":{"payment_number":"412843002512","state":"1","state_label":"موفق"}}"#;

#[test]
fn sepal_login_keeps_the_jwt_until_exp_and_relogs_on_401() {
    let (stub, dargah, _dir) = sepal_env();
    let far = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 + 3600;
    // The document's malformed `data` array form.
    stub.on("/sepal/api/users/token.json", 200, &format!(r#"{{"status":true,"message":"","data":[{{"token":"{}"}}]}}"#, jwt(far)));
    stub.on("/sepal/api/onlinePayments/getState.json", 200, SEPAL_STATE);
    let state = dargah.sepal_payment_state(412843002512).unwrap();
    assert!(state.successful);
    assert_eq!((state.state.as_str(), state.state_label.as_str()), ("1", "موفق"));
    dargah.sepal_payment_state(412843002512).unwrap();
    assert_eq!(stub.received("/sepal/api/users/token.json").len(), 1, "the JWT is reused until its exp");
    let login = stub.received("/sepal/api/users/token.json")[0].json();
    assert_eq!(login, json!({"mobile": "09120000000", "password": "SEPAL-PASSWORD"}));
    assert_eq!(stub.received("/sepal/api/onlinePayments/getState.json")[0].json(), json!({"paymentNumber": 412843002512u64}));

    // A 401 (revoked token): log in again, once.
    stub.on("/sepal/api/onlinePayments/getState.json", 401, r#"{"status":false,"message":"token expired"}"#);
    stub.then("/sepal/api/onlinePayments/getState.json", 200, SEPAL_STATE);
    dargah.sepal_payment_state(412843002512).unwrap();
    assert_eq!(stub.received("/sepal/api/users/token.json").len(), 2);
    // Still 401 after a fresh login: the error, not a loop.
    stub.on("/sepal/api/onlinePayments/getState.json", 401, r#"{"status":false,"message":"no access"}"#);
    let e = dargah.sepal_payment_state(1).unwrap_err();
    assert_eq!((e.kind(), e.gateway_message()), (ErrorKind::GatewayRejected, Some("no access")));
    assert_eq!(stub.received("/sepal/api/users/token.json").len(), 3);
}

#[test]
fn sepal_token_near_exp_is_renewed_and_bad_logins_are_named() {
    let (stub, dargah, _dir) = sepal_env();
    let soon = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 + 30;
    stub.on("/sepal/api/users/token.json", 200, &format!(r#"{{"status":true,"message":"","data":{{"token":"{}"}}}}"#, jwt(soon)));
    stub.on("/sepal/api/onlinePayments/getState.json", 200, SEPAL_STATE);
    dargah.sepal_payment_state(7).unwrap();
    dargah.sepal_payment_state(7).unwrap();
    assert_eq!(stub.received("/sepal/api/users/token.json").len(), 2, "a token within a minute of exp is not used");

    stub.on("/sepal/api/users/token.json", 200, r#"{"status":true,"message":"","data":{"token":"not-a-jwt"}}"#);
    let (stub2, d2, _dir2) = sepal_env();
    stub2.on("/sepal/api/users/token.json", 200, r#"{"status":true,"message":"","data":{"token":"not-a-jwt"}}"#);
    assert_eq!(d2.sepal_payment_state(7).unwrap_err().kind(), ErrorKind::MalformedResponse);
    stub2.on("/sepal/api/users/token.json", 401, r#"{"status":false,"message":"نام کاربری یا رمز عبور اشتباه است"}"#);
    let e = d2.sepal_payment_state(7).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::GatewayRejected);
    assert!(!e.to_string().contains("SEPAL-PASSWORD"));
    drop(stub);
}
