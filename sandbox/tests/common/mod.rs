//! Shared test harness: a sandbox plus an HTTP client and small helpers.
#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use dargah_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

pub const CARD: &str = "6037991234567890";

pub struct Harness {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
}

/// A status and the body parsed as JSON (Null if it is not JSON).
pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub text: String,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with(SandboxConfig::default())
    }

    pub fn with(config: SandboxConfig) -> Harness {
        let sandbox = Sandbox::start(config).expect("sandbox starts");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client");
        Harness { sandbox, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.expect("request reaches the sandbox");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, json, text }
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Reply {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    /// A POST with an arbitrary content type and body.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Reply {
        let req = self
            .http
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body.to_owned());
        self.send(req).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path))).await
    }

    /// Presses a payment page button through the control API.
    pub async fn pay(&self, gateway: &str, token: &str, action: &str) -> Value {
        let r = self
            .post_json(
                "/_control/pay",
                json!({ "gateway": gateway, "token": token, "action": action, "card": CARD }),
            )
            .await;
        assert_eq!(r.status, 200, "control pay: {}", r.text);
        r.json
    }

    pub async fn payment(&self, gateway: &str, token: &str) -> Value {
        let r = self
            .get(&format!("/_control/payments/{gateway}/{token}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    pub async fn stats(&self) -> Value {
        self.get("/_control/stats").await.json
    }

    pub async fn fault(&self, spec: Value) {
        let r = self.post_json("/_control/faults", spec).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

/// Query parameters of a URL as (name, value) pairs.
pub fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn query_value(url: &str, name: &str) -> Option<String> {
    query(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}
