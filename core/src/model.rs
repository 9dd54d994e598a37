//! The shared model every gateway is turned into.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The gateways Dargah speaks. Sepal is a reporting service, not a payment flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gateway {
    Mupra,
    CanPay,
    AtiPay,
    Vandar,
}

impl Gateway {
    pub const ALL: [Gateway; 4] = [Gateway::Mupra, Gateway::CanPay, Gateway::AtiPay, Gateway::Vandar];

    pub fn name(self) -> &'static str {
        match self {
            Gateway::Mupra => "mupra",
            Gateway::CanPay => "canpay",
            Gateway::AtiPay => "atipay",
            Gateway::Vandar => "vandar",
        }
    }

    /// What the gateway can do, so the engine and users ask rather than guess.
    pub fn capabilities(self) -> Capabilities {
        let base = Capabilities {
            repeatable_verify: false,
            once_only_verify: false,
            transaction_inquiry: false,
            reconcile_without_callback: false,
            refund: false,
            balance: false,
            post_redirect: false,
        };
        match self {
            Gateway::Mupra => Capabilities { repeatable_verify: true, reconcile_without_callback: true, balance: true, ..base },
            Gateway::CanPay => Capabilities { repeatable_verify: true, reconcile_without_callback: true, ..base },
            // Verify needs the callback's referenceNumber: no callback, no verification.
            Gateway::AtiPay => Capabilities { repeatable_verify: true, post_redirect: true, ..base },
            Gateway::Vandar => Capabilities {
                once_only_verify: true,
                transaction_inquiry: true,
                reconcile_without_callback: true,
                refund: true,
                balance: true,
                ..base
            },
        }
    }
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Gateway {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "mupra" => Ok(Gateway::Mupra),
            "canpay" => Ok(Gateway::CanPay),
            "atipay" | "atipay_mipg" | "mipg" => Ok(Gateway::AtiPay),
            "vandar" => Ok(Gateway::Vandar),
            _ => Err(Error::invalid(format!("unknown gateway {}; expected mupra, canpay, atipay or vandar", crate::error::quoted(s)))),
        }
    }
}

/// What a gateway can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Verify may be called again for the same payment and answers the same.
    pub repeatable_verify: bool,
    /// Verify answers once only; a transaction inquiry tells the truth afterwards.
    pub once_only_verify: bool,
    /// A read-only transaction inquiry exists.
    pub transaction_inquiry: bool,
    /// A payment whose customer never came back can still be verified.
    pub reconcile_without_callback: bool,
    pub refund: bool,
    pub balance: bool,
    /// The customer is sent with an auto-submitting POST form, not a GET redirect.
    pub post_redirect: bool,
}

/// Rial per toman. Amounts are rial everywhere; convert only when asked.
pub const RIAL_PER_TOMAN: u64 = 10;

pub fn toman_to_rial(toman: u64) -> Result<u64> {
    toman.checked_mul(RIAL_PER_TOMAN).ok_or_else(|| Error::invalid("amount overflows"))
}

/// Rial to toman, refusing amounts that are not a whole number of toman.
pub fn rial_to_toman(rial: u64) -> Result<u64> {
    if !rial.is_multiple_of(RIAL_PER_TOMAN) {
        return Err(Error::invalid(format!("{rial} rial is not a whole number of toman")));
    }
    Ok(rial / RIAL_PER_TOMAN)
}

/// Vandar IPG v4 options from its document. Debug masks the cards and the
/// national code (see `redact`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VandarOptions {
    pub national_code: Option<String>,
    pub valid_card_number: Vec<String>,
    pub comment: Option<String>,
    pub port: Option<VandarPort>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VandarPort {
    #[serde(rename = "SAMAN")]
    Saman,
    #[serde(rename = "BEHPARDAKHT")]
    Behpardakht,
}

/// What the shop asks for. Debug masks its card data (see `redact`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// The shop's order/invoice id, unique per gateway.
    pub invoice_id: String,
    /// Amount in rial.
    pub amount: u64,
    pub callback_url: String,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub vandar: Option<VandarOptions>,
    /// The merchant account at the gateway (`[vandar.accounts.NAME]`); the
    /// gateway's own table (`default`) when not given. The payment keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl PaymentRequest {
    pub fn new(invoice_id: impl Into<String>, amount: u64, callback_url: impl Into<String>) -> Self {
        PaymentRequest { invoice_id: invoice_id.into(), amount, callback_url: callback_url.into(), mobile: None, description: None, vandar: None, account: None }
    }
    pub fn mobile(mut self, mobile: impl Into<String>) -> Self {
        self.mobile = Some(mobile.into());
        self
    }
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
    pub fn vandar(mut self, options: VandarOptions) -> Self {
        self.vandar = Some(options);
        self
    }
    /// Take the payment with this named merchant account of the gateway.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }
}

/// How to send the customer to the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "UPPERCASE")]
pub enum Redirect {
    /// Send a `Location:` header (or a link) to this URL.
    Get { url: String },
    /// Auto-submit a POST form with these fields to this URL.
    Post { url: String, fields: Vec<(String, String)> },
}

impl Redirect {
    pub fn url(&self) -> &str {
        match self {
            Redirect::Get { url } | Redirect::Post { url, .. } => url,
        }
    }

    /// A complete page that sends the customer on: an auto-submitting form
    /// (with a button for browsers without JavaScript) or a meta refresh.
    pub fn html(&self) -> String {
        let body = match self {
            Redirect::Get { url } => {
                let url = html_escape(url);
                format!(
                    "<meta http-equiv=\"refresh\" content=\"0;url={url}\"></head><body>\
                     <p><a href=\"{url}\">ادامه به درگاه پرداخت / Continue to the payment gateway</a></p>"
                )
            }
            Redirect::Post { url, fields } => {
                let inputs: String = fields
                    .iter()
                    .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", html_escape(k), html_escape(v)))
                    .collect();
                format!(
                    "</head><body onload=\"document.forms[0].submit()\">\
                     <form method=\"POST\" action=\"{}\">{inputs}\
                     <noscript><button type=\"submit\">ادامه به درگاه پرداخت / Continue to the payment gateway</button></noscript>\
                     </form><script>document.forms[0].submit();</script>",
                    html_escape(url)
                )
            }
        };
        format!("<!doctype html><html><head><meta charset=\"utf-8\"><title>Dargah</title>{body}</body></html>")
    }
}

/// Escape text for HTML content and double-quoted attribute values (`& < > "`).
pub fn html_escape(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(text).into_owned()
}

/// The stored life of a payment (see DESIGN.md's state machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Recorded; the gateway has not (yet) given a token.
    Created,
    /// The customer was sent to the gateway; waiting for a callback.
    Awaiting,
    /// One worker holds a lease and is asking the gateway.
    Verifying,
    /// A verify was sent but its answer is unknown (timeout, reset, 5xx).
    InDoubt,
    Paid,
    Failed,
    Cancelled,
    /// Never paid before its refund deadline.
    Expired,
    /// Amount or identity mismatch, or a truth the gateway cannot tell. Never paid.
    NeedsReview,
}

impl PaymentState {
    pub fn name(self) -> &'static str {
        match self {
            PaymentState::Created => "created",
            PaymentState::Awaiting => "awaiting",
            PaymentState::Verifying => "verifying",
            PaymentState::InDoubt => "in_doubt",
            PaymentState::Paid => "paid",
            PaymentState::Failed => "failed",
            PaymentState::Cancelled => "cancelled",
            PaymentState::Expired => "expired",
            PaymentState::NeedsReview => "needs_review",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "created" => PaymentState::Created,
            "awaiting" => PaymentState::Awaiting,
            "verifying" => PaymentState::Verifying,
            "in_doubt" => PaymentState::InDoubt,
            "paid" => PaymentState::Paid,
            "failed" => PaymentState::Failed,
            "cancelled" => PaymentState::Cancelled,
            "expired" => PaymentState::Expired,
            "needs_review" => PaymentState::NeedsReview,
            other => return Err(Error::store(format!("unknown payment state {}", crate::error::quoted(other)))),
        })
    }

    /// Terminal states never change.
    pub fn is_terminal(self) -> bool {
        matches!(self, PaymentState::Paid | PaymentState::Failed | PaymentState::Cancelled | PaymentState::Expired | PaymentState::NeedsReview)
    }
}

/// The merchant account a gateway's own table configures; a payment made
/// with it, or stored before accounts existed, belongs to it.
pub const DEFAULT_ACCOUNT: &str = "default";

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// Dargah's own id; also the `dargah_ref` the library adds to the callback URL.
    pub id: String,
    pub gateway: Gateway,
    /// The merchant account at the gateway it was created with (`default`:
    /// the gateway's own table). Every later call for it uses this account.
    pub account: String,
    pub invoice_id: String,
    pub amount: u64,
    /// The callback URL as the shop gave it.
    pub callback_url: String,
    pub token: Option<String>,
    pub state: PaymentState,
    pub fence: i64,
    /// The gateway's transaction id or receipt (transId, reference, referenceNumber).
    pub reference: Option<String>,
    /// The trace number as the gateway confirmed it (Vandar's trackingCode);
    /// never one only the customer's browser sent.
    pub trace_number: Option<String>,
    pub masked_card: Option<String>,
    pub verified_amount: Option<u64>,
    /// A trace number only the customer's browser sent (AtiPay's callback
    /// `traceNumber`), digits only and short: a hint for a person matching a
    /// bank statement, **not proof** — the gateway never confirmed it.
    pub unverified_trace_number: Option<String>,
    /// Why the payment is failed, cancelled or needs review, or the last hint.
    pub note: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub deadline_at: i64,
    pub paid_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
}

/// What a callback (or a recover) means for the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Credit the order now. Exactly one caller ever sees this for a payment.
    NewlyPaid,
    /// Paid earlier; do not credit again.
    AlreadyPaid,
    Failed,
    Cancelled,
    /// Another worker is verifying right now, or the gateway's answer is pending.
    InProgress,
    /// Never paid: a human must look (amount/identity mismatch, unknown truth).
    NeedsReview,
}

impl OutcomeKind {
    pub fn name(self) -> &'static str {
        match self {
            OutcomeKind::NewlyPaid => "newly_paid",
            OutcomeKind::AlreadyPaid => "already_paid",
            OutcomeKind::Failed => "failed",
            OutcomeKind::Cancelled => "cancelled",
            OutcomeKind::InProgress => "in_progress",
            OutcomeKind::NeedsReview => "needs_review",
        }
    }
    pub fn is_paid(self) -> bool {
        matches!(self, OutcomeKind::NewlyPaid | OutcomeKind::AlreadyPaid)
    }
}

/// The answer to `handle_callback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub payment: Payment,
}

impl Outcome {
    pub fn is_newly_paid(&self) -> bool {
        self.kind == OutcomeKind::NewlyPaid
    }
}

/// The answer to `create_payment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedPayment {
    pub payment: Payment,
    pub redirect: Redirect,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_redirect_html_escapes_and_autosubmits() {
        let r = Redirect::Post { url: "https://x/a?b=1&c=2".into(), fields: vec![("token".into(), "\"><script>".into())] };
        let html = r.html();
        assert!(html.contains("action=\"https://x/a?b=1&amp;c=2\""));
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("submit()"));
        assert!(!html.contains("\"><script>"));
    }

    #[test]
    fn toman() {
        assert_eq!(toman_to_rial(1500).unwrap(), 15000);
        assert_eq!(rial_to_toman(15000).unwrap(), 1500);
        assert!(rial_to_toman(15001).is_err());
        assert!(toman_to_rial(u64::MAX).is_err());
    }

    #[test]
    fn gateway_names_round_trip() {
        for g in Gateway::ALL {
            assert_eq!(g.name().parse::<Gateway>().unwrap(), g);
        }
        assert_eq!("nope".parse::<Gateway>().unwrap_err().kind(), crate::ErrorKind::InvalidInput);
    }
}
