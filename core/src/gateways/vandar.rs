//! Vandar IPG v4: `POST /api/v4/send` → token, customer to `GET /v4/{token}`,
//! callback `GET ?token=…&payment_status=OK|FAILED`, then `POST /api/v4/verify`,
//! which answers ONCE per transaction. A first claim of an OK callback, with
//! no verify of ours ever sent, verifies directly: one gateway call on the
//! happy path. Whenever a verify may already have been sent (a recovery, a
//! lease taken over, an answer lost) or the callback says FAILED, Dargah asks
//! `POST /api/v4/transaction` (repeatable) first and verifies only what it
//! reports paid and unverified; after a lost verify answer it reports the
//! payment verified, with its amount and card. A verify refused on the direct
//! path is followed by transaction info in the same resolution.
//!
//! Errors are `{"status":0,"errors":[…]}` with 400/401/402/403.
//!
//! Transaction info `code`: the document shows only `1` "Confirm requierd"
//! (paid, waiting for verify). Dargah (and its sandbox) read: 2 verified,
//! 3 failed/cancelled by the payer, 4 waiting for payment, 5 refunded — our
//! reading, not the document's, so none of them closes a payment as unpaid
//! before its deadline. Any other code is a truth Dargah cannot tell: the
//! payment stays open, is asked again, and goes to `needs_review` only at
//! its deadline, never to paid.

use super::{json_body, raw_join, rial, says_nothing_of_the_payment, text, CallbackInfo, CreateCall, Created, GatewayAnswer, Hint, PaidDetails, Question, Verdict};
use crate::callback::CallbackFields;
use crate::config::VandarConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{endpoint, Answer, Http};
use crate::model::{Payment, PaymentRequest, Redirect, VandarPort};
use crate::validate;
use serde_json::{json, Value};

pub(crate) fn validate(request: &PaymentRequest) -> Result<()> {
    if request.amount < 1000 {
        return Err(Error::invalid(format!("vandar amount must be at least 1000 rial, got {}", request.amount)));
    }
    if let Some(options) = &request.vandar {
        if let Some(code) = &options.national_code {
            validate::national_code(code)?;
            if request.mobile.is_none() {
                return Err(Error::invalid("vandar national_code needs mobile (mobile_number) too"));
            }
        }
        if options.valid_card_number.len() > 10 {
            return Err(Error::invalid(format!("vandar valid_card_number takes at most 10 cards, got {}", options.valid_card_number.len())));
        }
        for card in &options.valid_card_number {
            validate::card_number(card)?;
        }
    }
    Ok(())
}

/// A successful `status: 1` body, or Vandar's error.
fn body_of(answer: &Answer, what: &str) -> Result<Value> {
    let body = json_body(answer, what)?;
    let status = body.get("status").and_then(Value::as_i64);
    if answer.status == 200 && status == Some(1) {
        return Ok(body);
    }
    let message = match body.get("errors") {
        Some(Value::Array(errors)) => Some(errors.iter().map(|e| e.as_str().map(str::to_string).unwrap_or_else(|| e.to_string())).collect::<Vec<_>>().join("; ")),
        _ => text(&body, "message").or_else(|| text(&body, "error")),
    };
    Err(Error::rejected(status.map(|s| s.to_string()), message, answer.status))
}

pub(crate) async fn create(config: &VandarConfig, http: &Http, call: &CreateCall) -> Result<Created> {
    let request = &call.request;
    let mut body = json!({
        "api_key": config.api_key.expose(),
        "amount": request.amount,
        "callback_url": call.callback_url,
        "factorNumber": request.invoice_id,
    });
    if let Some(mobile) = &request.mobile {
        body["mobile_number"] = json!(mobile);
    }
    if let Some(description) = &request.description {
        body["description"] = json!(description);
    }
    if let Some(options) = &request.vandar {
        if let Some(code) = &options.national_code {
            body["national_code"] = json!(code);
        }
        if !options.valid_card_number.is_empty() {
            body["valid_card_number"] = json!(options.valid_card_number);
        }
        if let Some(comment) = &options.comment {
            body["comment"] = json!(comment);
        }
        if let Some(port) = options.port {
            body["port"] = json!(match port {
                VandarPort::Saman => "SAMAN",
                VandarPort::Behpardakht => "BEHPARDAKHT",
            });
        }
    }
    let answer = http.post_json(endpoint(&config.ipg_base_url, "api/v4/send")?, &body).await?;
    let body = body_of(&answer, "vandar send")?;
    let token = text(&body, "token").ok_or_else(|| Error::malformed("vandar send: no token in the answer"))?;
    let mut url = endpoint(&config.ipg_base_url, "v4")?;
    url.path_segments_mut().map_err(|_| Error::config("vandar ipg_base_url cannot have a path"))?.push(&token);
    Ok(Created { token, redirect: Redirect::Get { url: url.to_string() } })
}

pub(crate) fn parse_callback(fields: &CallbackFields) -> Result<CallbackInfo> {
    let token = fields.require("token")?.to_string();
    let hint = match fields.require("payment_status")? {
        "OK" => Hint::Paid,
        "FAILED" => Hint::Failed,
        _ => return Err(Error::callback("vandar callback payment_status must be OK or FAILED")),
    };
    Ok(CallbackInfo { token: Some(token), hint: Some(hint), ..Default::default() })
}

/// Verify directly when that cannot spend an answer we would need: on a
/// first claim (no verify of ours ever sent) of an OK callback. Otherwise ask
/// transaction info first, and verify only a payment it reports paid and not
/// yet verified: a second verify (after a lost answer) would lose the truth,
/// and a FAILED callback or a reconciliation has no reason to spend one.
pub(crate) async fn resolve(config: &VandarConfig, http: &Http, payment: &Payment, question: &Question) -> Result<GatewayAnswer> {
    let token = payment.token.as_deref().ok_or_else(|| Error::internal("vandar payment without a token"))?;
    if !question.maybe_verified && question.hint == Hint::Paid {
        crate::failpoint!("vandar_before_verify");
        let verify = call(config, http, "api/v4/verify", token).await?;
        match body_of(&verify, "vandar verify") {
            Ok(body) => {
                let verdict = paid_or_review(paid_details(&body, "realAmount")?, "vandar verify");
                return Ok(GatewayAnswer { verdict, raw: raw_join(&[("verify", &verify)]) });
            }
            // Refused: not paid (a forged or early OK), or verified already. Transaction info tells which.
            Err(e) if e.kind() == ErrorKind::GatewayRejected && !says_nothing_of_the_payment(Some(verify.status)) => {
                let info = call(config, http, "api/v4/transaction", token).await?;
                let verdict = match read_info(&info)? {
                    Info::Known(verdict) => verdict,
                    Info::VerifyNeeded => Verdict::Unknown {
                        note: format!("vandar verify refused a payment awaiting verify: {}", e.gateway_message().unwrap_or("rejected")),
                    },
                };
                return Ok(GatewayAnswer { verdict, raw: raw_join(&[("verify", &verify), ("transaction", &info)]) });
            }
            Err(e) => return Err(e),
        }
    }
    let info = call(config, http, "api/v4/transaction", token).await?;
    match read_info(&info)? {
        Info::Known(verdict) => Ok(GatewayAnswer { verdict, raw: raw_join(&[("transaction", &info)]) }),
        Info::VerifyNeeded => {
            crate::failpoint!("vandar_before_verify");
            let verify = call(config, http, "api/v4/verify", token).await?;
            let verdict = match body_of(&verify, "vandar verify") {
                Ok(body) => paid_or_review(paid_details(&body, "realAmount")?, "vandar verify"),
                // Refused although info said "confirm required": another verify may have just
                // gone through. Ask again (transaction info will tell); never guess.
                Err(e) if e.kind() == ErrorKind::GatewayRejected && !says_nothing_of_the_payment(Some(verify.status)) => Verdict::Unknown {
                    note: format!("vandar verify refused a payment awaiting verify: {}", e.gateway_message().unwrap_or("rejected")),
                },
                Err(e) => return Err(e),
            };
            Ok(GatewayAnswer { verdict, raw: raw_join(&[("transaction", &info), ("verify", &verify)]) })
        }
    }
}

async fn call(config: &VandarConfig, http: &Http, path: &str, token: &str) -> Result<Answer> {
    let body = json!({"api_key": config.api_key.expose(), "token": token});
    http.post_json(endpoint(&config.ipg_base_url, path)?, &body).await
}

enum Info {
    Known(Verdict),
    VerifyNeeded,
}

fn read_info(answer: &Answer) -> Result<Info> {
    let body = match body_of(answer, "vandar transaction") {
        Ok(body) => body,
        // The gateway refuses to describe the token: it knows no payment for it.
        Err(e) if e.kind() == ErrorKind::GatewayRejected && !says_nothing_of_the_payment(Some(answer.status)) => {
            return Ok(Info::Known(Verdict::NotPaid { cancelled: false, note: format!("vandar transaction: {}", e.gateway_message().unwrap_or("rejected")) }));
        }
        Err(e) => return Err(e),
    };
    let code = body.get("code").and_then(Value::as_i64);
    Ok(match code {
        Some(1) => Info::VerifyNeeded,
        Some(2) => {
            // Verified (by our earlier verify whose answer was lost). Fee on the payer: amount = sent + wage.
            let mut details = paid_details(&body, "")?;
            let wage = rial(&body, "wage").unwrap_or(None).unwrap_or(0);
            details.real_amount = details.amount.and_then(|a| a.checked_sub(wage));
            Info::Known(paid_or_review(details, "vandar transaction"))
        }
        Some(3) => Info::Known(Verdict::NotPaid { cancelled: true, note: "vandar: failed or cancelled by the payer".into() }),
        Some(4) => Info::Known(Verdict::NotPaid { cancelled: false, note: "vandar: waiting for payment".into() }),
        Some(5) => Info::Known(Verdict::NotPaid { cancelled: false, note: "vandar: refunded to the payer (not verified in time)".into() }),
        other => Info::Known(Verdict::Unknown {
            note: format!("vandar transaction: unknown code {} ({})", other.map(|c| c.to_string()).unwrap_or_else(|| "none".into()), text(&body, "message").unwrap_or_default()),
        }),
    })
}

/// Vandar documents the amount on both answers: one without it cannot be checked against the order.
fn paid_or_review(details: PaidDetails, what: &str) -> Verdict {
    match details.amount {
        Some(_) => Verdict::Paid(details),
        None => Verdict::NeedsReview { note: format!("{what} says paid but gives no amount to check against the order") },
    }
}

fn paid_details(body: &Value, real_amount_key: &str) -> Result<PaidDetails> {
    Ok(PaidDetails {
        amount: rial(body, "amount")?,
        real_amount: if real_amount_key.is_empty() { None } else { rial(body, real_amount_key)? },
        reference: text(body, "transId"),
        trace_number: text(body, "trackingCode").or_else(|| text(body, "refnumber")),
        masked_card: text(body, "cardNumber"),
    })
}
