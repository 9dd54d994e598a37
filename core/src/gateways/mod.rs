//! One file per gateway, each turning its wire format into the shared model.
//! `Adapter` dispatches to them; the engine never sees a wire format.

pub(crate) mod atipay;
pub(crate) mod canpay;
pub(crate) mod mupra;
pub(crate) mod sepal;
pub(crate) mod vandar;
pub(crate) mod vandar_api;

use crate::callback::CallbackFields;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{Answer, Http};
use crate::model::{Gateway, Payment, PaymentRequest, Redirect};
use serde_json::Value;
use std::sync::Arc;

/// What the engine asks a gateway to create.
pub(crate) struct CreateCall {
    pub request: PaymentRequest,
    /// The shop's callback URL with Dargah's own `dargah_ref` added.
    pub callback_url: String,
}

pub(crate) struct Created {
    pub token: String,
    pub redirect: Redirect,
}

/// What the callback's status field claims. Only a hint: the gateway decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hint {
    Paid,
    Failed,
    Cancelled,
    /// No callback at all (recover, reconcile).
    None,
}

/// A callback read into the few things the engine needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallbackInfo {
    /// The gateway's token, when the callback carries one.
    pub token: Option<String>,
    pub invoice_id: Option<String>,
    pub hint: Option<Hint>,
    /// What verify needs from the callback (AtiPay's referenceNumber).
    pub verify_key: Option<String>,
    pub trace_number: Option<String>,
    /// The amount the callback claims (CanPay's), only ever compared, never trusted.
    pub amount: Option<u64>,
}

/// How the engine calls a gateway to find the truth.
#[derive(Debug, Clone)]
pub(crate) struct Question {
    pub hint: Hint,
    pub verify_key: Option<String>,
    /// A verify of ours may already have reached the gateway (the claim's `maybe_verified`).
    pub maybe_verified: bool,
    /// A verify of ours was refused (the claim's `verify_refused`): Vandar's
    /// once-only verify is not sent again.
    pub verify_refused: bool,
}

/// The gateway's word on a payment.
///
/// No verdict closes a payment as unpaid before its deadline: the customer
/// may still be on the payment page (after an early or forged "failed"
/// callback), and no document promises that an unpaid answer is final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Paid(PaidDetails),
    /// Not paid (yet), in words the gateway's document gives.
    NotPaid { cancelled: bool, note: String },
    /// An answer the documents do not describe: ask again later; at the
    /// deadline a person decides.
    Unknown { note: String },
    /// Paid, but something a person must look at (an amount that differs, none at all).
    NeedsReview { note: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PaidDetails {
    /// The amount the gateway says was paid, where it says one.
    pub amount: Option<u64>,
    /// What reached the merchant when the payer paid the fee (Vandar).
    pub real_amount: Option<u64>,
    pub reference: Option<String>,
    pub trace_number: Option<String>,
    pub masked_card: Option<String>,
}

pub(crate) struct GatewayAnswer {
    pub verdict: Verdict,
    /// The gateway's raw answers, kept with the outcome.
    pub raw: String,
    /// A verify of this resolution was refused (Vandar's once-only verify,
    /// whose answer an earlier verify may have spent): stored on the payment
    /// as "maybe verified", so it never ends failed, cancelled or expired, and
    /// as "refused", so it is never verified again.
    pub verify_refused: bool,
}

/// One configured gateway.
#[derive(Clone)]
pub(crate) enum Adapter {
    Mupra(Arc<crate::config::MupraConfig>),
    CanPay(Arc<crate::config::CanPayConfig>),
    AtiPay(Arc<crate::config::AtiPayConfig>),
    Vandar(Arc<crate::config::VandarConfig>),
}

impl Adapter {
    /// The gateway's adapter with one account's credentials and base URLs.
    pub(crate) fn from_config(config: &Config, gateway: Gateway, account: &str) -> Result<Adapter> {
        Ok(match gateway {
            Gateway::Mupra => Adapter::Mupra(Arc::new(config.mupra_account(account)?.clone())),
            Gateway::CanPay => Adapter::CanPay(Arc::new(config.canpay_account(account)?.clone())),
            Gateway::AtiPay => Adapter::AtiPay(Arc::new(config.atipay_account(account)?.clone())),
            Gateway::Vandar => Adapter::Vandar(Arc::new(config.vandar_account(account)?.clone())),
        })
    }

    pub(crate) fn gateway(&self) -> Gateway {
        match self {
            Adapter::Mupra(_) => Gateway::Mupra,
            Adapter::CanPay(_) => Gateway::CanPay,
            Adapter::AtiPay(_) => Gateway::AtiPay,
            Adapter::Vandar(_) => Gateway::Vandar,
        }
    }

    /// The document says verify answers the same every time (CanPay): a refusal
    /// after an earlier verify is then still the truth.
    pub(crate) fn verify_repeatable(&self) -> bool {
        matches!(self, Adapter::CanPay(_))
    }

    /// A verify sent under a claim that a power cut took back is answered for:
    /// CanPay's verify answers the same again. Not Vandar: after its one
    /// answer is spent, transaction info may keep code 1, give an undocumented
    /// code or refuse (docs/gateway-readings.md), so only the synced claim's
    /// "a verify may have gone out" keeps such a payment from ending expired.
    /// Mupra and AtiPay refuse a second verify without saying whether the
    /// first went through.
    pub(crate) fn answers_for_a_lost_claim(&self) -> bool {
        matches!(self, Adapter::CanPay(_))
    }

    /// The gateway's verify names the payment by a receipt from the callback
    /// (AtiPay), not by a token the payment was created with.
    pub(crate) fn verifies_by_receipt(&self) -> bool {
        matches!(self, Adapter::AtiPay(_))
    }

    pub(crate) fn refund_window_secs(&self) -> u64 {
        match self {
            Adapter::Mupra(c) => c.refund_window_secs,
            Adapter::CanPay(c) => c.refund_window_secs,
            Adapter::AtiPay(c) => c.refund_window_secs,
            Adapter::Vandar(c) => c.refund_window_secs,
        }
    }

    /// Gateway-specific checks, before anything is stored or sent.
    pub(crate) fn validate(&self, request: &PaymentRequest) -> Result<()> {
        if request.vandar.is_some() && !matches!(self, Adapter::Vandar(_)) {
            return Err(Error::invalid(format!("vandar options given for a {} payment", self.gateway())));
        }
        match self {
            Adapter::Mupra(_) => Ok(()),
            Adapter::CanPay(_) => Ok(()),
            Adapter::AtiPay(_) => atipay::validate(request),
            Adapter::Vandar(_) => vandar::validate(request),
        }
    }

    pub(crate) async fn create(self, http: Arc<Http>, call: CreateCall) -> Result<Created> {
        match self {
            Adapter::Mupra(c) => mupra::create(&c, &http, &call).await,
            Adapter::CanPay(c) => canpay::create(&c, &http, &call).await,
            Adapter::AtiPay(c) => atipay::create(&c, &http, &call).await,
            Adapter::Vandar(c) => vandar::create(&c, &http, &call).await,
        }
    }

    pub(crate) fn parse_callback(&self, fields: &CallbackFields) -> Result<CallbackInfo> {
        match self {
            Adapter::Mupra(_) => mupra::parse_callback(fields),
            Adapter::CanPay(_) => canpay::parse_callback(fields),
            Adapter::AtiPay(_) => atipay::parse_callback(fields),
            Adapter::Vandar(_) => vandar::parse_callback(fields),
        }
    }

    /// What a callback says of the merchant account (AtiPay's `terminalId`)
    /// must be this adapter's account: a callback is never verified with
    /// another account's credentials.
    pub(crate) fn check_callback_account(&self, fields: &CallbackFields) -> Result<()> {
        match self {
            Adapter::AtiPay(c) => atipay::check_account(c, fields),
            Adapter::Mupra(_) | Adapter::CanPay(_) | Adapter::Vandar(_) => Ok(()),
        }
    }

    /// Ask the gateway whether `payment` is paid, by the rules of its verify.
    pub(crate) async fn resolve(self, http: Arc<Http>, payment: Payment, question: Question) -> Result<GatewayAnswer> {
        match self {
            Adapter::Mupra(c) => mupra::verify(&c, &http, &payment).await,
            Adapter::CanPay(c) => canpay::verify(&c, &http, &payment).await,
            Adapter::AtiPay(c) => atipay::verify(&c, &http, &question).await,
            Adapter::Vandar(c) => vandar::resolve(&c, &http, &payment, &question).await,
        }
    }
}

/// A string field that gateways send as a string or a number.
pub(crate) fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A whole rial amount sent as a number or a string such as `"1000.00"`.
pub(crate) fn rial(value: &Value, key: &str) -> Result<Option<u64>> {
    let parse_text = |s: &str| -> Option<u64> {
        let s = s.trim();
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b == b'0') {
            return None;
        }
        whole.parse().ok()
    };
    let amount = match value.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e18).map(|f| f as u64)),
        Some(Value::String(s)) => parse_text(s),
        Some(_) => None,
    };
    amount.map(Some).ok_or_else(|| Error::malformed(format!("field {key} is not a whole rial amount")))
}

pub(crate) fn unavailable(answer: &Answer, what: &str) -> Error {
    Error::new(crate::ErrorKind::GatewayUnavailable, format!("{what}: the gateway answered HTTP {}", answer.status)).with_http_status(answer.status)
}

/// The body as JSON. Any 5xx is "unavailable" (the gateway's side, outcome
/// unknown) even when it carries an error envelope; a non-JSON 2xx/4xx is "malformed".
pub(crate) fn json_body(answer: &Answer, what: &str) -> Result<Value> {
    if answer.is_server_error() {
        return Err(unavailable(answer, what));
    }
    answer.json(what)
}

/// On verify, a gateway's own error envelope reads as "not paid yet" — except
/// 401/403, which are about our credentials, and 408/429, which are about
/// timing: those say nothing of the payment and leave it in doubt.
pub(crate) fn refusal_as_unpaid(result: Result<Verdict>, what: &str) -> Result<Verdict> {
    Ok(refusal_as_unpaid_noting(result, what)?.0)
}

/// As [`refusal_as_unpaid`], and whether the verdict is such a refusal. No
/// document says what Mupra's or AtiPay's refused verify means: "not paid",
/// or "verified already" (by a verify of ours whose answer was lost, or, for
/// AtiPay, by a forged callback that replayed the customer's receipt at
/// another order). Their callers mark the payment "a verify of ours may have
/// gone through", so a refusal keeps it open and it ends `needs_review`, not
/// failed or expired, at its deadline (docs/gateway-readings.md).
pub(crate) fn refusal_as_unpaid_noting(result: Result<Verdict>, what: &str) -> Result<(Verdict, bool)> {
    match result {
        Err(e) if e.kind() == crate::ErrorKind::GatewayRejected && !says_nothing_of_the_payment(e.http_status()) => {
            Ok((Verdict::NotPaid { cancelled: false, note: format!("{what}: {}", e.gateway_message().unwrap_or("rejected")) }, true))
        }
        other => Ok((other?, false)),
    }
}

/// Refusals about our credentials or our timing, not about the payment.
pub(crate) fn says_nothing_of_the_payment(http_status: Option<u16>) -> bool {
    matches!(http_status, Some(401 | 403 | 408 | 429))
}

/// The raw answers of one resolution, joined for storage.
pub(crate) fn raw_join(parts: &[(&str, &Answer)]) -> String {
    let obj: serde_json::Map<String, Value> = parts
        .iter()
        .map(|(name, a)| {
            let body = serde_json::from_str::<Value>(&a.text).unwrap_or_else(|_| Value::String(a.text.clone()));
            (name.to_string(), serde_json::json!({"status": a.status, "body": body}))
        })
        .collect();
    Value::Object(obj).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rial_amounts() {
        let v = json!({"a": "1000.00", "b": 500, "c": "12.5", "d": null, "e": "x", "f": 1000.0});
        assert_eq!(rial(&v, "a").unwrap(), Some(1000));
        assert_eq!(rial(&v, "b").unwrap(), Some(500));
        assert!(rial(&v, "c").is_err());
        assert_eq!(rial(&v, "d").unwrap(), None);
        assert_eq!(rial(&v, "missing").unwrap(), None);
        assert!(rial(&v, "e").is_err());
        assert_eq!(rial(&v, "f").unwrap(), Some(1000));
    }
}
