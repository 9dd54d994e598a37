//! The payment pages in a real headless Chromium, driven over WebDriver:
//! pressing Pay / Cancel must bring the browser back to the merchant's
//! callback exactly as each gateway does (GET redirect or auto-posted form).
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (`make test` installs
//! them); without them this test fails, it does not skip.

mod common;

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{Method, Uri};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use common::{Harness, CARD};
use dargah_sandbox::creds;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// One request that reached the merchant's callback.
#[derive(Clone, Debug)]
struct Hit {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
}

impl Hit {
    fn field(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(&self.form)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A tiny merchant site on loopback: records every callback, and has a page
/// that auto-posts AtiPay's token to the gateway (as the merchant must).
#[derive(Clone)]
struct Merchant {
    hits: Arc<Mutex<Vec<Hit>>>,
    sandbox: String,
}

impl Merchant {
    async fn start(sandbox: String) -> (Merchant, String) {
        let merchant = Merchant {
            hits: Arc::default(),
            sandbox,
        };
        let app = Router::new()
            .route("/start/atipay", get(atipay_start))
            .fallback(record)
            .with_state(merchant.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind merchant");
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (merchant, base)
    }

    async fn wait_for_hit(&self, path: &str) -> Hit {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(hit) = self.hits.lock().unwrap().iter().find(|h| h.path == path) {
                return hit.clone();
            }
            assert!(Instant::now() < deadline, "no callback reached {path}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn record(
    State(m): State<Merchant>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Html<&'static str> {
    let pairs = |s: &[u8]| {
        url::form_urlencoded::parse(s)
            .into_owned()
            .collect::<Vec<_>>()
    };
    m.hits.lock().unwrap().push(Hit {
        method,
        path: uri.path().to_owned(),
        query: pairs(uri.query().unwrap_or("").as_bytes()),
        form: pairs(&body),
    });
    Html("<!doctype html><title>merchant</title><p id=\"thanks\">back at the shop</p>")
}

/// AtiPay's redirect is a POST form carrying the token, auto-submitted.
async fn atipay_start(
    State(m): State<Merchant>,
    Query(q): Query<Vec<(String, String)>>,
) -> Html<String> {
    let token = q
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><body onload=\"document.forms[0].submit()\">\
         <form method=\"POST\" action=\"{}/atipay/v1/redirect-to-gateway\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\"></form></body>",
        m.sandbox
    ))
}

/// chromedriver on a free port, killed (by its own handle) when dropped.
struct Driver {
    child: Child,
    url: String,
    profile: PathBuf,
}

impl Driver {
    fn start() -> Driver {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: install Debian's chromium and chromium-driver (make test does) to run the browser test"
        );
        assert!(
            Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: install Debian's chromium-driver"
        );
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {addr}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile =
            std::env::temp_dir().join(format!("dargah-chromium-{}-{port}", std::process::id()));
        Driver {
            child,
            url: format!("http://{addr}"),
            profile,
        }
    }

    async fn browser(&self) -> Client {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([format!("--user-data-dir={}", self.profile.display())])
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn press(browser: &Client, page: &str, button: &str) {
    browser.goto(page).await.expect("open the payment page");
    press_here(browser, button).await;
}

async fn press_here(browser: &Client, button: &str) {
    let card = browser
        .wait()
        .for_element(Locator::Id("card"))
        .await
        .expect("card input");
    card.send_keys(CARD).await.expect("type the card");
    browser
        .find(Locator::Id(button))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
}

async fn vandar_token(h: &Harness, callback: &str) -> String {
    let body =
        json!({ "api_key": creds::VANDAR_API_KEY, "amount": 10_000, "callback_url": callback });
    let r = h.post_json("/vandar/ipg/api/v4/send", body).await;
    r.json["token"].as_str().expect("vandar token").to_owned()
}

async fn canpay_token(h: &Harness, callback: &str, invoice: &str) -> String {
    let body = json!({ "merchant": creds::CANPAY_MERCHANT, "amount": 30_000, "callback_url": callback, "invoice_id": invoice });
    let r = h.post_json("/canpay/api/ipg/token", body).await;
    r.json["data"]["token"]
        .as_str()
        .expect("canpay token")
        .to_owned()
}

async fn atipay_token(h: &Harness, callback: &str, invoice: &str) -> String {
    let body = json!({ "amount": 40_000, "cellNumber": "09121234567", "invoiceNumber": invoice,
                       "redirectUrl": callback, "apiKey": creds::ATIPAY_API_KEY });
    let r = h.post_json("/atipay/v1/get-token", body).await;
    r.json["token"].as_str().expect("atipay token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_pages_in_headless_chromium() {
    let driver = Driver::start();
    let h = Harness::new();
    let (merchant, shop) = Merchant::start(h.sandbox.base_url()).await;
    let browser = driver.browser().await;

    // Vandar: Pay → GET callback_url?token=…&payment_status=OK
    let token = vandar_token(&h, &format!("{shop}/cb/vandar-ok?order=1")).await;
    press(&browser, &h.url(&format!("/vandar/ipg/v4/{token}")), "pay").await;
    let hit = merchant.wait_for_hit("/cb/vandar-ok").await;
    assert_eq!(hit.method, Method::GET);
    assert_eq!(hit.field("order"), Some("1"));
    assert_eq!(hit.field("token"), Some(token.as_str()));
    assert_eq!(hit.field("payment_status"), Some("OK"));
    assert!(browser
        .current_url()
        .await
        .unwrap()
        .as_str()
        .starts_with(&format!("{shop}/cb/vandar-ok?")));
    assert_eq!(h.payment("vandar", &token).await["status"], "paid");

    // Vandar: Cancel → payment_status=FAILED
    let token = vandar_token(&h, &format!("{shop}/cb/vandar-cancel")).await;
    press(
        &browser,
        &h.url(&format!("/vandar/ipg/v4/{token}")),
        "cancel",
    )
    .await;
    let hit = merchant.wait_for_hit("/cb/vandar-cancel").await;
    assert_eq!(hit.field("payment_status"), Some("FAILED"));

    // CanPay: Pay → an auto-submitted POST with success, token, amount, invoice_id
    let token = canpay_token(&h, &format!("{shop}/cb/canpay-ok"), "inv-1").await;
    press(&browser, &h.url(&format!("/canpay/ipg/{token}")), "pay").await;
    let hit = merchant.wait_for_hit("/cb/canpay-ok").await;
    assert_eq!(hit.method, Method::POST);
    assert_eq!(hit.field("success"), Some("1"));
    assert_eq!(hit.field("token"), Some(token.as_str()));
    assert_eq!(hit.field("amount"), Some("30000"));
    assert_eq!(hit.field("invoice_id"), Some("inv-1"));

    // CanPay: Cancel → success=0
    let token = canpay_token(&h, &format!("{shop}/cb/canpay-cancel"), "inv-2").await;
    press(&browser, &h.url(&format!("/canpay/ipg/{token}")), "cancel").await;
    assert_eq!(
        merchant
            .wait_for_hit("/cb/canpay-cancel")
            .await
            .field("success"),
        Some("0")
    );

    // AtiPay: the merchant's form posts the token; Pay → POST state=OK …
    let token = atipay_token(&h, &format!("{shop}/cb/atipay-ok"), "res-1").await;
    browser
        .goto(&format!("{shop}/start/atipay?token={token}"))
        .await
        .unwrap();
    press_here(&browser, "pay").await;
    let hit = merchant.wait_for_hit("/cb/atipay-ok").await;
    assert_eq!(hit.method, Method::POST);
    assert_eq!(hit.field("state"), Some("OK"));
    assert_eq!(hit.field("status"), Some("2"));
    assert_eq!(hit.field("reservationNumber"), Some("res-1"));
    assert_eq!(hit.field("terminalId"), Some(creds::ATIPAY_TERMINAL_ID));
    assert_eq!(hit.field("referenceNumber").map(str::len), Some(50));
    assert!(hit.field("traceNumber").is_some_and(|t| !t.is_empty()));
    let verify = json!({ "terminalId": creds::ATIPAY_TERMINAL_ID, "referenceNumber": hit.field("referenceNumber"),
                         "apiKey": creds::ATIPAY_API_KEY });
    assert_eq!(
        h.post_json("/atipay/v1/verify-payment", verify).await.json,
        json!({ "amount": 40_000 })
    );

    // AtiPay: Cancel → state=CanceledByUser, status=1
    let token = atipay_token(&h, &format!("{shop}/cb/atipay-cancel"), "res-2").await;
    browser
        .goto(&format!("{shop}/start/atipay?token={token}"))
        .await
        .unwrap();
    press_here(&browser, "cancel").await;
    let hit = merchant.wait_for_hit("/cb/atipay-cancel").await;
    assert_eq!(
        (hit.field("state"), hit.field("status")),
        (Some("CanceledByUser"), Some("1"))
    );

    // Mupra (our documented choice): GET callback with status=OK
    let body = json!({ "api_key": creds::MUPRA_API_KEY, "amount": "9000", "callback_url": format!("{shop}/cb/mupra"),
                       "factorNumber": "m-1" });
    let url = h
        .post_json("/mupra/restapi/api/ipg/send/json", body)
        .await
        .json["result"]
        .as_str()
        .unwrap()
        .to_owned();
    press(&browser, &url, "pay").await;
    let hit = merchant.wait_for_hit("/cb/mupra").await;
    assert_eq!(hit.field("status"), Some("OK"));

    // A bad card keeps the payer on the page with an error.
    let token = vandar_token(&h, &format!("{shop}/cb/never")).await;
    browser
        .goto(&h.url(&format!("/vandar/ipg/v4/{token}")))
        .await
        .unwrap();
    browser
        .find(Locator::Id("card"))
        .await
        .unwrap()
        .send_keys("1234")
        .await
        .unwrap();
    browser
        .find(Locator::Id("pay"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = browser
        .wait()
        .for_element(Locator::Id("error"))
        .await
        .expect("an error on the page");
    assert!(error.text().await.unwrap().contains("16 digits"));
    let state: Value = h.payment("vandar", &token).await;
    assert_eq!(state["status"], "pending");

    browser.close().await.expect("close the browser");
}
