//! AtiPay MIPG (آتی‌پی): JSON to `/get-token`, then the customer is sent with
//! an auto-submitting POST form (one hidden `token`) to `/redirect-to-gateway`.
//! The callback is a POST with `state`, `status`, `referenceNumber`,
//! `reservationNumber`, `terminalId`, `traceNumber`; `/verify-payment` needs the
//! callback's referenceNumber and returns the amount, which must equal the
//! stored one. Without a callback there is nothing to verify with.

use super::{json_body, raw_join, refusal_as_unpaid_noting, rial, text, CallbackInfo, CreateCall, Created, GatewayAnswer, Hint, PaidDetails, Question, Verdict};
use crate::callback::CallbackFields;
use crate::config::AtiPayConfig;
use crate::error::{Error, Result};
use crate::http::{endpoint, Answer, Http};
use crate::model::{PaymentRequest, Redirect};
use serde_json::{json, Value};

pub(crate) fn validate(request: &PaymentRequest) -> Result<()> {
    if request.mobile.is_none() {
        return Err(Error::invalid("atipay requires mobile (cellNumber)"));
    }
    Ok(())
}

/// AtiPay's answers carry `errorCode`/`errorDescription` when something failed.
fn body_of(answer: &Answer, what: &str) -> Result<Value> {
    let body = json_body(answer, what)?;
    let error_code = text(&body, "errorCode");
    if answer.status == 200 && error_code.is_none() {
        return Ok(body);
    }
    Err(Error::rejected(error_code, text(&body, "errorDescription"), answer.status))
}

pub(crate) async fn create(config: &AtiPayConfig, http: &Http, call: &CreateCall) -> Result<Created> {
    let request = &call.request;
    let mut body = json!({
        "amount": request.amount,
        "cellNumber": request.mobile.clone().unwrap_or_default(),
        "invoiceNumber": request.invoice_id,
        "redirectUrl": call.callback_url,
        "apiKey": config.api_key.expose(),
    });
    if let Some(description) = &request.description {
        body["description"] = json!(description);
    }
    let answer = http.post_json(endpoint(&config.base_url, "get-token")?, &body).await?;
    let body = body_of(&answer, "atipay get-token")?;
    let token = text(&body, "token").ok_or_else(|| Error::malformed("atipay get-token: no token in the answer"))?;
    let url = endpoint(&config.base_url, "redirect-to-gateway")?.to_string();
    Ok(Created { token: token.clone(), redirect: Redirect::Post { url, fields: vec![("token".into(), token)] } })
}

pub(crate) fn parse_callback(fields: &CallbackFields) -> Result<CallbackInfo> {
    // Decide on `state` (the name) first; the numeric `status` is secondary.
    let state = fields.require("state")?;
    let hint = match state {
        "OK" => Hint::Paid,
        "CanceledByUser" => Hint::Cancelled,
        _ => Hint::Failed,
    };
    let verify_key = fields.get("referenceNumber").map(str::to_string);
    if verify_key.as_ref().is_some_and(|k| k.is_empty() || k.len() > crate::store::MAX_RECEIPT_LEN || k.contains(char::is_whitespace)) {
        return Err(Error::callback("atipay callback referenceNumber is malformed"));
    }
    if hint == Hint::Paid && verify_key.is_none() {
        return Err(Error::callback("atipay callback says OK but has no referenceNumber"));
    }
    Ok(CallbackInfo {
        token: None,
        invoice_id: fields.get("reservationNumber").map(str::to_string),
        hint: Some(hint),
        verify_key,
        trace_number: fields.get("traceNumber").map(str::to_string),
        amount: None,
    })
}

/// The callback's terminal must be the payment's own account's.
pub(crate) fn check_account(config: &AtiPayConfig, fields: &CallbackFields) -> Result<()> {
    if let Some(terminal) = fields.get("terminalId") {
        if terminal != config.terminal_id {
            return Err(Error::callback("atipay callback terminalId is not this merchant's terminal"));
        }
    }
    Ok(())
}

pub(crate) async fn verify(config: &AtiPayConfig, http: &Http, question: &Question) -> Result<GatewayAnswer> {
    let Some(reference) = question.verify_key.as_deref() else {
        // Nothing to verify with: a cancelled or failed callback, or none at all.
        let note = "atipay: no referenceNumber from a callback, so the payment cannot be verified".to_string();
        let verdict = match question.hint {
            Hint::Cancelled | Hint::Failed => Verdict::NotPaid { cancelled: question.hint == Hint::Cancelled, note },
            Hint::Paid | Hint::None => Verdict::Unknown { note },
        };
        return Ok(GatewayAnswer { verdict, raw: "{}".into(), verify_refused: false });
    };
    let body = json!({"terminalId": config.terminal_id, "referenceNumber": reference, "apiKey": config.api_key.expose()});
    let answer = http.post_json(endpoint(&config.base_url, "verify-payment")?, &body).await?;
    let raw = raw_join(&[("verify-payment", &answer)]);
    let paid = body_of(&answer, "atipay verify-payment").and_then(|body| {
        let Some(amount) = rial(&body, "amount")? else {
            return Ok(Verdict::NeedsReview { note: "atipay verify-payment says paid but gives no amount to check against the order".into() });
        };
        Ok(Verdict::Paid(PaidDetails {
            amount: Some(amount),
            reference: Some(reference.to_string()),
            // verify-payment confirms the amount only: the callback's traceNumber came from
            // the browser, so it is kept apart as an unverified hint (`trace_hint`), never here.
            trace_number: None,
            ..Default::default()
        }))
    });
    let (verdict, verify_refused) = refusal_as_unpaid_noting(paid, "atipay verify-payment")?;
    Ok(GatewayAnswer { verdict, raw, verify_refused })
}
