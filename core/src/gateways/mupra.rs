//! Mupra (ماپرا): `POST` JSON with `api_key`, envelope `{code, message, result}`,
//! success is HTTP 200 and `code == 0`. Every request field is a string.
//!
//! Mupra does not document its callback. Dargah finds the payment by its own
//! `dargah_ref` in the callback URL and takes `token` from the callback when
//! present; verify (repeatable) is the only truth.

use super::{json_body, raw_join, refusal_as_unpaid, text, CallbackInfo, CreateCall, Created, GatewayAnswer, Hint, PaidDetails, Verdict};
use crate::callback::CallbackFields;
use crate::config::MupraConfig;
use crate::error::{Error, Result};
use crate::http::{endpoint, Answer, Http};
use crate::model::{Payment, Redirect};
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
        Some(false) => Ok(Verdict::NotPaid { cancelled: false, final_: false, note: "mupra verify: not paid".into() }),
        None => Err(Error::malformed("mupra verify: result has no boolean `paid`")),
    });
    let verdict = refusal_as_unpaid(verdict, "mupra verify")?;
    Ok(GatewayAnswer { verdict, raw })
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
