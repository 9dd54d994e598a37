//! Sepal (سپال) reporting web service: log in with mobile + password for a
//! JWT, keep it until shortly before its `exp` claim, log in again then (and
//! once on a 401), and send it as `Authorization: Bearer` on every call.
//! Success is `{"status":true,…}`; failure `{"status":false,"message":…}`.

use super::{json_body, text};
use crate::config::{Secret, SepalConfig};
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

/// A terminal in Sepal's gateway balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SepalTerminal {
    pub code: String,
    pub psp_title: String,
    pub balance: u64,
}

/// What to look for in Sepal's transaction inquiry. Dates are Gregorian
/// (`2022-03-21`) or Jalali (`1401/01/01`); a date range or a card is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SepalInquiry {
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub payer_card_number: Option<String>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SepalTransaction {
    pub payment_number: String,
    pub amount: u64,
    pub wage_amount: u64,
    pub payer_wage_amount: u64,
    pub acceptor_wage_amount: u64,
    pub token: Option<String>,
    pub tracking_number: Option<String>,
    pub invoice_number: Option<String>,
    pub description: Option<String>,
    pub payer_mobile: Option<String>,
    pub payer_email: Option<String>,
    pub payer_card_number: Option<String>,
    pub kind: Option<String>,
    pub kind_label: Option<String>,
    pub state: String,
    pub state_label: String,
    pub successful: bool,
    /// Sepal's Jalali `created`, and the same moment in Gregorian.
    pub created: crate::jalali::DualDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SepalInquiryPage {
    pub items: Vec<SepalTransaction>,
    pub page: u32,
    pub limit: u32,
    pub total_pages: u32,
}

pub(crate) async fn gateway_balance(session: Arc<SepalSession>, config: Arc<SepalConfig>, http: Arc<Http>, api_key: Secret) -> Result<Vec<SepalTerminal>> {
    let body = json!({"apiKey": api_key.expose()});
    let answer = session.call(&config, &http, "api/gates/balance.json", &body, "sepal balance").await?;
    let terminals = answer.get("terminals").and_then(Value::as_array).ok_or_else(|| Error::malformed("sepal balance: no terminals list"))?;
    terminals
        .iter()
        .map(|t| {
            Ok(SepalTerminal {
                code: text(t, "code").unwrap_or_default(),
                psp_title: text(t, "pspTitle").unwrap_or_default(),
                balance: super::rial(t, "balance")?.unwrap_or(0),
            })
        })
        .collect()
}

/// The inquiry's wire body: Jalali dates, as the document wants them.
pub(crate) fn inquiry_body(query: &SepalInquiry) -> Result<Value> {
    let has_range = query.date_from.is_some() && query.date_to.is_some();
    if !has_range && query.payer_card_number.is_none() {
        return Err(Error::invalid("sepal inquiry needs date_from and date_to, or payer_card_number"));
    }
    if query.date_from.is_some() != query.date_to.is_some() {
        return Err(Error::invalid("sepal inquiry needs both date_from and date_to"));
    }
    let mut body = json!({});
    if let (Some(from), Some(to)) = (&query.date_from, &query.date_to) {
        body["dateFrom"] = json!(crate::jalali::parse_date(from)?.jalali);
        body["dateTo"] = json!(crate::jalali::parse_date(to)?.jalali);
    }
    if let Some(card) = &query.payer_card_number {
        body["payerCardNumber"] = json!(card);
    }
    if let Some(page) = query.page {
        body["page"] = json!(page);
    }
    if let Some(limit) = query.limit {
        body["limit"] = json!(limit);
    }
    Ok(body)
}

pub(crate) async fn inquiry(session: Arc<SepalSession>, config: Arc<SepalConfig>, http: Arc<Http>, body: Value) -> Result<SepalInquiryPage> {
    let answer = session.call(&config, &http, "api/onlinePayments/inquiry.json", &body, "sepal inquiry").await?;
    let items = answer.get("items").and_then(Value::as_array).ok_or_else(|| Error::malformed("sepal inquiry: no items list"))?;
    let items = items
        .iter()
        .map(|i| {
            let state = text(i, "state").unwrap_or_default();
            let created = text(i, "created").ok_or_else(|| Error::malformed("sepal inquiry: an item has no created"))?;
            Ok(SepalTransaction {
                payment_number: text(i, "payment_number").unwrap_or_default(),
                amount: super::rial(i, "amount")?.unwrap_or(0),
                wage_amount: super::rial(i, "wage_amount")?.unwrap_or(0),
                payer_wage_amount: super::rial(i, "payer_wage_amount")?.unwrap_or(0),
                acceptor_wage_amount: super::rial(i, "acceptor_wage_amount")?.unwrap_or(0),
                token: text(i, "token"),
                tracking_number: text(i, "tracking_number"),
                invoice_number: text(i, "invoice_number"),
                description: text(i, "description"),
                payer_mobile: text(i, "payer_mobile"),
                payer_email: text(i, "payer_email"),
                payer_card_number: text(i, "payer_card_number"),
                kind: text(i, "type"),
                kind_label: text(i, "type_label"),
                successful: state == "1",
                state,
                state_label: text(i, "state_label").unwrap_or_default(),
                created: crate::jalali::parse_datetime(&created).map_err(|_| Error::malformed(format!("sepal inquiry: created {created:?} is not a date")))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let number = |k: &str| answer.get(k).and_then(Value::as_u64).unwrap_or(0) as u32;
    Ok(SepalInquiryPage { items, page: number("page"), limit: number("limit"), total_pages: number("totalPages") })
}
