//! CanPay (کن‌پی): `POST` JSON; success `{"status":true,"data":{…}}`, error
//! `{"status":false,"error":…,"code":…,"message":…,"description":""}`.
//! The callback is a POST with `success`, `token`, `amount`, `invoice_id`.
//! Verify answers success every time for a paid token, and never the amount:
//! the amount that counts is the stored one, bound to the token at creation.

use super::{json_body, raw_join, refusal_as_unpaid, text, CallbackInfo, CreateCall, Created, GatewayAnswer, Hint, PaidDetails, Verdict};
use crate::callback::CallbackFields;
use crate::config::CanPayConfig;
use crate::error::{Error, Result};
use crate::http::{endpoint, Answer, Http};
use crate::model::{Payment, Redirect};
use serde_json::{json, Value};

fn data_of(answer: &Answer, what: &str) -> Result<Value> {
    let body = json_body(answer, what)?;
    match body.get("status").and_then(Value::as_bool) {
        Some(true) if answer.status == 200 => Ok(body.get("data").cloned().unwrap_or(Value::Null)),
        Some(false) => Err(Error::rejected(text(&body, "code"), text(&body, "message").or_else(|| text(&body, "error")), answer.status)),
        _ => Err(Error::malformed(format!("{what}: answer has no boolean status; HTTP {}", answer.status)).with_http_status(answer.status)),
    }
}

pub(crate) async fn create(config: &CanPayConfig, http: &Http, call: &CreateCall) -> Result<Created> {
    let request = &call.request;
    let mut body = json!({
        "merchant": config.merchant.expose(),
        "amount": request.amount,
        "callback_url": call.callback_url,
        "invoice_id": request.invoice_id,
    });
    if let Some(mobile) = &request.mobile {
        body["mobile"] = json!(mobile);
    }
    let answer = http.post_json(endpoint(&config.base_url, "token")?, &body).await?;
    let data = data_of(&answer, "canpay token")?;
    let url = text(&data, "url").ok_or_else(|| Error::malformed("canpay token: data.url is missing"))?;
    let token = text(&data, "token").ok_or_else(|| Error::malformed("canpay token: data.token is missing"))?;
    url::Url::parse(&url).map_err(|_| Error::malformed("canpay token: data.url is not a URL"))?;
    Ok(Created { token, redirect: Redirect::Get { url } })
}

pub(crate) fn parse_callback(fields: &CallbackFields) -> Result<CallbackInfo> {
    let token = fields.require("token")?.to_string();
    let hint = match fields.get("success") {
        Some("1") => Hint::Paid,
        _ => Hint::Failed,
    };
    // The browser's amount is never trusted; it is kept only to record a mismatch.
    let amount = fields.get("amount").and_then(|a| a.trim().parse().ok());
    Ok(CallbackInfo { token: Some(token), invoice_id: fields.get("invoice_id").map(str::to_string), hint: Some(hint), amount, ..Default::default() })
}

pub(crate) async fn verify(config: &CanPayConfig, http: &Http, payment: &Payment) -> Result<GatewayAnswer> {
    let token = payment.token.as_deref().ok_or_else(|| Error::internal("canpay payment without a token"))?;
    let body = json!({"merchant": config.merchant.expose(), "token": token});
    let answer = http.post_json(endpoint(&config.base_url, "verify")?, &body).await?;
    let raw = raw_join(&[("verify", &answer)]);
    let paid = data_of(&answer, "canpay verify")
        .map(|data| Verdict::Paid(PaidDetails { reference: text(&data, "reference"), masked_card: text(&data, "card"), ..Default::default() }));
    let verdict = refusal_as_unpaid(paid, "canpay verify")?;
    Ok(GatewayAnswer { verdict, raw, verify_refused: false })
}
