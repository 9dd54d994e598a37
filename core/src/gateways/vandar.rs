//! Vandar IPG v4: `POST /api/v4/send` → token, customer to `GET /v4/{token}`,
//! callback `GET ?token=…&payment_status=OK|FAILED`, then `POST /api/v4/verify`,
//! which answers ONCE per transaction.
//!
//! Every resolution asks `POST /api/v4/transaction` (repeatable) first and
//! verifies only a payment it shows paid and awaiting verify: two gateway
//! calls on the happy path, because the document permits the reading that a
//! verify of a payment not paid spends the one answer (a forged OK callback
//! before payment would then cost the customer their order).
//!
//! Errors are `{"status":0,"errors":[…]}` with 400/401/402/403.
//!
//! Transaction info `code`: the document shows only `1` "Confirm requierd",
//! on a paid payment awaiting verify. What it answers before payment, after
//! a verify, for a failed or refunded payment is not written; every reading
//! is in docs/gateway-readings.md. Dargah credits only a verify success
//! body; code 1 without a payment date or receipt reads as not paid yet;
//! any other code or a refusal is an answer Dargah cannot tell: the payment
//! stays open, is asked again, and goes to `needs_review` at its deadline.
//! A refused verify may have spent the one answer: that payment never ends
//! failed, cancelled or expired, and is never verified again.
//!
//! Verifies of one payment: one, or after an answer lost (a reset after
//! Vandar acted, a worker killed) one more — it credits if the first never
//! reached Vandar — and after a refusal, none: under the document's own
//! transaction-info code, which may keep saying "confirm required" after a
//! verify, every later pass would otherwise send a verify Vandar refuses.

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

/// Transaction info first, then verify only a payment it shows paid and
/// awaiting verify (documented code 1 with the payment's own fields): a verify
/// of a payment not paid may spend Vandar's one answer (a reading the document
/// permits), so an early or forged OK callback must not send one. Only the
/// verify success body credits; a refused verify may have spent the answer
/// after all, so it is reported as such and the payment never ends unpaid.
/// Once a verify of ours was refused, none is sent again: Vandar answers once,
/// so another could only be refused too.
pub(crate) async fn resolve(config: &VandarConfig, http: &Http, payment: &Payment, question: &Question) -> Result<GatewayAnswer> {
    let token = payment.token.as_deref().ok_or_else(|| Error::internal("vandar payment without a token"))?;
    let info = call(config, http, "api/v4/transaction", token).await?;
    let verdict = match read_info(&info)? {
        Info::Known(verdict) => return Ok(GatewayAnswer { verdict, raw: raw_join(&[("transaction", &info)]), verify_refused: false }),
        Info::VerifyNeeded if question.verify_refused => {
            let note = "vandar transaction info still shows the payment paid and awaiting verify (code 1), but a verify of ours was refused earlier: Vandar answers once, so it is not verified again".to_string();
            return Ok(GatewayAnswer { verdict: Verdict::Unknown { note }, raw: raw_join(&[("transaction", &info)]), verify_refused: false });
        }
        Info::VerifyNeeded => verdict_of_verify(config, http, token, question).await,
    };
    let (verdict, verify, verify_refused) = verdict?;
    Ok(GatewayAnswer { verdict, raw: raw_join(&[("transaction", &info), ("verify", &verify)]), verify_refused })
}

/// Verify once; the verdict, the answer, and whether Vandar refused it (its one answer may be spent).
async fn verdict_of_verify(config: &VandarConfig, http: &Http, token: &str, question: &Question) -> Result<(Verdict, Answer, bool)> {
    crate::failpoint::failpoint!("vandar_before_verify");
    let verify = call(config, http, "api/v4/verify", token).await?;
    match body_of(&verify, "vandar verify") {
        Ok(body) => Ok((paid_or_review(paid_details(&body)?, "vandar verify"), verify, false)),
        // Refused although transaction info said "confirm required": an earlier verify (ours, lost, or
        // one a power cut hid) may have gone through. Nothing here tells: ask again, never guess.
        Err(e) if e.kind() == ErrorKind::GatewayRejected && !says_nothing_of_the_payment(Some(verify.status)) => {
            let earlier = if question.maybe_verified { "; an earlier verify of ours may have gone through" } else { "" };
            let note = format!("vandar verify refused a payment transaction info shows paid and awaiting verify: {}{earlier}", e.gateway_message().unwrap_or("rejected"));
            Ok((Verdict::Unknown { note }, verify, true))
        }
        Err(e) => Err(e),
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

/// What transaction info tells. The document shows one code, `1` "Confirm
/// requierd", on a paid payment (with its card, receipt and payment date):
/// that alone sends a verify. The same code without any sign of a payment
/// is a payment not paid yet; any other code, or a refusal, is an answer the
/// document does not describe: it never credits and never closes a payment.
fn read_info(answer: &Answer) -> Result<Info> {
    let body = match body_of(answer, "vandar transaction") {
        Ok(body) => body,
        Err(e) if e.kind() == ErrorKind::GatewayRejected && !says_nothing_of_the_payment(Some(answer.status)) => {
            return Ok(Info::Known(Verdict::Unknown { note: format!("vandar transaction info refused: {}", e.gateway_message().unwrap_or("rejected")) }));
        }
        Err(e) => return Err(e),
    };
    let code = body.get("code").and_then(Value::as_i64);
    let paid_signs = text(&body, "paymentDate").is_some() || text(&body, "refnumber").is_some();
    Ok(match code {
        Some(1) if paid_signs => Info::VerifyNeeded,
        Some(1) => Info::Known(Verdict::NotPaid { cancelled: false, note: "vandar transaction info: code 1 with no payment date or receipt: not paid yet".into() }),
        other => Info::Known(Verdict::Unknown {
            note: format!("vandar transaction info: code {} ({}), which the document does not describe", other.map(|c| c.to_string()).unwrap_or_else(|| "none".into()), text(&body, "message").unwrap_or_default()),
        }),
    })
}

/// Vandar documents the amount on its verify answer: one without it cannot be checked against the order.
fn paid_or_review(details: PaidDetails, what: &str) -> Verdict {
    match details.amount {
        Some(_) => Verdict::Paid(details),
        None => Verdict::NeedsReview { note: format!("{what} says paid but gives no amount to check against the order") },
    }
}

/// What a verify success body says of the payment.
fn paid_details(body: &Value) -> Result<PaidDetails> {
    Ok(PaidDetails {
        amount: rial(body, "amount")?,
        real_amount: rial(body, "realAmount")?,
        reference: text(body, "transId"),
        trace_number: text(body, "trackingCode").or_else(|| text(body, "refnumber")),
        masked_card: text(body, "cardNumber"),
    })
}
