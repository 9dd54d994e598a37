//! Sepal (سپال) reporting web service: log in with mobile + password for a
//! JWT, keep it until shortly before its `exp` claim, log in again then (and
//! once on a 401), and send it as `Authorization: Bearer` on every call.
//! Success is `{"status":true,…}`; failure `{"status":false,"message":…}`.

use super::{json_body, text};
use crate::config::SepalConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{endpoint, Answer, Http};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Log in again this many seconds before the token's `exp`.
const EXPIRY_MARGIN_SECS: i64 = 60;

/// A payment's state as Sepal reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SepalPaymentState {
    pub payment_number: String,
    /// `"1"` is successful (موفق).
    pub state: String,
    pub state_label: String,
    pub successful: bool,
}

/// The JWT and when it expires (unix seconds). Never printed.
#[derive(Default)]
pub(crate) struct SepalSession {
    token: Mutex<Option<(String, i64)>>,
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The `exp` claim of a JWT (the payload is not trusted for anything else).
fn jwt_exp(token: &str) -> Result<i64> {
    let payload = token.split('.').nth(1).ok_or_else(|| Error::malformed("sepal login: the token is not a JWT"))?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).map_err(|_| Error::malformed("sepal login: the JWT payload is not base64url"))?;
    let claims: Value = serde_json::from_slice(&bytes).map_err(|_| Error::malformed("sepal login: the JWT payload is not JSON"))?;
    claims.get("exp").and_then(Value::as_i64).ok_or_else(|| Error::malformed("sepal login: the JWT has no exp"))
}

fn body_of(answer: &Answer, what: &str) -> Result<Value> {
    let body = json_body(answer, what)?;
    match body.get("status").and_then(Value::as_bool) {
        Some(true) if answer.status == 200 => Ok(body),
        _ => Err(Error::rejected(None, text(&body, "message"), answer.status)),
    }
}

async fn login(config: &SepalConfig, http: &Http) -> Result<(String, i64)> {
    let body = json!({"mobile": config.mobile, "password": config.password.expose()});
    let answer = http.post_json(endpoint(&config.base_url, "api/users/token.json")?, &body).await?;
    let body = body_of(&answer, "sepal login")?;
    // The document prints `data` as a one-element list; real answers are an object.
    let data = match body.get("data") {
        Some(Value::Array(items)) => items.first().cloned().unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    let token = text(&data, "token").ok_or_else(|| Error::malformed("sepal login: no data.token in the answer"))?;
    let exp = jwt_exp(&token)?;
    Ok((token, exp))
}

impl SepalSession {
    async fn token(&self, config: &SepalConfig, http: &Http, force: bool) -> Result<String> {
        if !force {
            if let Some((token, exp)) = self.token.lock().unwrap_or_else(|p| p.into_inner()).clone() {
                if exp - EXPIRY_MARGIN_SECS > now_secs() {
                    return Ok(token);
                }
            }
        }
        let (token, exp) = login(config, http).await?;
        *self.token.lock().unwrap_or_else(|p| p.into_inner()) = Some((token.clone(), exp));
        Ok(token)
    }

    /// An authenticated POST; on a 401 log in once more and retry.
    pub(crate) async fn call(&self, config: &SepalConfig, http: &Http, path: &str, body: &Value, what: &str) -> Result<Value> {
        let url = endpoint(&config.base_url, path)?;
        let mut force = false;
        loop {
            let token = self.token(config, http, force).await?;
            let answer = http.send(reqwest::Method::POST, url.clone(), Some(body), Some(&token)).await?;
            if answer.status == 401 && !force {
                force = true;
                continue;
            }
            return body_of(&answer, what);
        }
    }
}

pub(crate) async fn payment_state(session: Arc<SepalSession>, config: Arc<SepalConfig>, http: Arc<Http>, payment_number: u64) -> Result<SepalPaymentState> {
    let body = json!({"paymentNumber": payment_number});
    let answer = session.call(&config, &http, "api/onlinePayments/getState.json", &body, "sepal getState").await?;
    let item = answer.get("item").ok_or_else(|| Error::malformed("sepal getState: no item in the answer"))?;
    let state = text(item, "state").ok_or_else(|| Error::malformed("sepal getState: item.state is missing"))?;
    Ok(SepalPaymentState {
        payment_number: text(item, "payment_number").unwrap_or_else(|| payment_number.to_string()),
        successful: state == "1",
        state,
        state_label: text(item, "state_label").unwrap_or_default(),
    })
}

pub(crate) fn not_configured() -> Error {
    Error::new(ErrorKind::Config, "sepal is not configured")
}
