//! Mupra (ماپرا): `POST` JSON with `api_key`, envelope `{code, message, result}`,
//! success is HTTP 200 and `code == 0`. Every request field is a string.
//!
//! Mupra does not document its callback. Dargah finds the payment by its own
//! `dargah_ref` in the callback URL and takes `token` from the callback when
//! present; verify (repeatable) is the only truth.

use super::{json_body, raw_join, refusal_as_unpaid_noting, text, CallbackInfo, CreateCall, Created, GatewayAnswer, Hint, PaidDetails, Verdict};
use crate::callback::CallbackFields;
use crate::config::MupraConfig;
use crate::error::{Error, Result};
use crate::http::{endpoint, Answer, Http};
use crate::model::{Payment, Redirect};
use serde::Deserialize;
use serde_json::{json, Value};

/// The `result` of a successful envelope, or the gateway's error.
fn result_of(answer: &Answer, what: &str) -> Result<Value> {
    let body = json_body(answer, what)?;
    let code = body.get("code").and_then(Value::as_i64);
    if answer.status == 200 && code == Some(0) {
        return Ok(body.get("result").cloned().unwrap_or(Value::Null));
    }
    if code.is_none() {
        return Err(Error::malformed(format!("{what}: answer has no envelope code; HTTP {}", answer.status)).with_http_status(answer.status));
    }
    Err(Error::rejected(code.map(|c| c.to_string()), text(&body, "message"), answer.status))
}

pub(crate) async fn create(config: &MupraConfig, http: &Http, call: &CreateCall) -> Result<Created> {
    let request = &call.request;
    let body = json!({
        "api_key": config.api_key.expose(),
        "amount": request.amount.to_string(),
        "callback_url": call.callback_url,
        "mobile_number": request.mobile.clone().unwrap_or_default(),
        "factorNumber": request.invoice_id,
        "description": request.description.clone().unwrap_or_default(),
    });
    let answer = http.post_json(endpoint(&config.base_url, "send/json")?, &body).await?;
    // The document shows the payment URL alone: accept it bare or as the envelope's result.
    let url = match answer.text.trim() {
        bare if answer.status == 200 && bare.starts_with("http") => bare.to_string(),
        _ => match result_of(&answer, "mupra send")? {
            Value::String(url) => url,
            other => return Err(Error::malformed(format!("mupra send: result is not a URL but {}", kind_of(&other)))),
        },
    };
    let parsed = url::Url::parse(&url).map_err(|_| Error::malformed("mupra send: result is not a valid URL"))?;
    let token = parsed
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::malformed("mupra send: the payment URL has no token segment"))?
        .to_string();
    Ok(Created { token, redirect: Redirect::Get { url } })
}

pub(crate) fn parse_callback(fields: &CallbackFields) -> Result<CallbackInfo> {
    let hint = match fields.get("status").map(str::to_ascii_uppercase).as_deref() {
        Some("OK") | Some("PAID") | Some("1") | Some("TRUE") => Some(Hint::Paid),
        Some(_) => Some(Hint::Failed),
        None => None,
    };
    Ok(CallbackInfo { token: fields.get("token").map(str::to_string), hint, ..Default::default() })
}

pub(crate) async fn verify(config: &MupraConfig, http: &Http, payment: &Payment) -> Result<GatewayAnswer> {
    let token = payment.token.as_deref().ok_or_else(|| Error::internal("mupra payment without a token"))?;
    let body = json!({"api_key": config.api_key.expose(), "token": token});
    let answer = http.post_json(endpoint(&config.base_url, "verify/json")?, &body).await?;
    let raw = raw_join(&[("verify", &answer)]);
    let verdict = result_of(&answer, "mupra verify").and_then(|result| match result.get("paid").and_then(Value::as_bool) {
        Some(true) => Ok(Verdict::Paid(PaidDetails {
            reference: text(&result, "transId"),
            masked_card: text(&result, "maskedPan"),
            ..Default::default()
        })),
        Some(false) => Ok(Verdict::NotPaid { cancelled: false, note: "mupra verify: not paid".into() }),
        None => Err(Error::malformed("mupra verify: result has no boolean `paid`")),
    });
    let (verdict, verify_refused) = refusal_as_unpaid_noting(verdict, "mupra verify")?;
    Ok(GatewayAnswer { verdict, raw, verify_refused })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One row of Mupra's `trx/json` list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MupraTransaction {
    pub amount: u64,
    pub masked_pan: Option<String>,
    pub trans_id: Option<String>,
    pub factor_number: Option<String>,
    pub paid: bool,
    pub verified: bool,
    pub description: Option<String>,
    pub callback_url: Option<String>,
    pub mobile: Option<String>,
}

/// One page of `trx/json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MupraTransactionPage {
    pub page: u32,
    pub total_pages: u32,
    pub result_count: u64,
    pub transactions: Vec<MupraTransaction>,
}

async fn call(config: &MupraConfig, http: &Http, path: &str, mut body: Value, what: &str) -> Result<Value> {
    body["api_key"] = json!(config.api_key.expose());
    let answer = http.post_json(endpoint(&config.base_url, path)?, &body).await?;
    result_of(&answer, what)
}

/// What Mupra has settled with the merchant, in rial. The document leaves
/// `result`'s shape open: a number, or an object with `balance`.
pub(crate) async fn balance(config: &MupraConfig, http: &Http) -> Result<u64> {
    let result = call(config, http, "getBalance", json!({}), "mupra getBalance").await?;
    let holder = json!({"balance": if result.is_object() { result["balance"].clone() } else { result }});
    super::rial(&holder, "balance")?.ok_or_else(|| Error::malformed("mupra getBalance: no balance in the answer"))
}

pub(crate) async fn transactions(config: &MupraConfig, http: &Http, page: u32, page_size: u32) -> Result<MupraTransactionPage> {
    let body = json!({"page": page.to_string(), "pageSize": page_size.to_string(), "api_key": config.api_key.expose()});
    let answer = http.post_json(endpoint(&config.base_url, "trx/json")?, &body).await?;
    // The document's sample is the page object bare; accept it bare or as the envelope's result.
    let bare = (answer.status == 200).then(|| json_body(&answer, "mupra trx").ok()).flatten().filter(|b| b.get("resultList").is_some());
    let result = match bare {
        Some(page) => page,
        None => result_of(&answer, "mupra trx")?,
    };
    let list = result.get("resultList").and_then(Value::as_array).ok_or_else(|| Error::malformed("mupra trx: no resultList"))?;
    let transactions = list
        .iter()
        .map(|row| {
            Ok(MupraTransaction {
                amount: super::rial(row, "amount")?.unwrap_or(0),
                masked_pan: text(row, "maskedPan"),
                trans_id: text(row, "transId"),
                factor_number: text(row, "factorNumber"),
                paid: row.get("paid").and_then(Value::as_bool).unwrap_or(false),
                verified: row.get("verify").and_then(Value::as_bool).unwrap_or(false),
                description: text(row, "description"),
                callback_url: text(row, "callbackUrl"),
                mobile: text(row, "mobileNo"),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let number = |k: &str| result.get(k).and_then(Value::as_u64).unwrap_or(0);
    Ok(MupraTransactionPage { page, total_pages: number("totalPage") as u32, result_count: number("resultCount"), transactions })
}

/// A Mupra PAYA transfer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayaTransfer {
    /// Rial.
    pub amount: u64,
    /// Destination sheba, `IR` + 24 digits.
    pub iban: String,
    /// The code the bank gave the merchant.
    pub cif: String,
    #[serde(default)]
    pub description: String,
}

pub(crate) async fn paya_transfer(config: &MupraConfig, http: &Http, transfer: &PayaTransfer) -> Result<Value> {
    let body = json!({
        "amount": transfer.amount.to_string(),
        "iban": transfer.iban,
        "cif": transfer.cif,
        "description": transfer.description,
    });
    call(config, http, "transfer/paya", body, "mupra transfer/paya").await
}
