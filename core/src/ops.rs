//! One generic entry point, JSON in and JSON out, for everything beyond the
//! payment flow. The C ABI, PHP and Python expose it as a single call, so a
//! new operation reaches every binding without new glue.

use crate::engine::Dargah;
use crate::error::{Error, Result};
use crate::model::{Gateway, PaymentState};
use crate::reconcile::ReconcileOptions;
use serde::Deserialize;
use crate::business::{PayaTransfer, Settlement};
use crate::gateways::sepal::SepalInquiry;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The operations `Dargah::call` knows, for error messages and docs.
pub const OPERATIONS: &[&str] = &[
    "capabilities",
    "payment",
    "payment.events",
    "payments.list",
    "unacknowledged",
    "acknowledge",
    "recover",
    "reconcile",
    "mupra.balance",
    "mupra.transactions",
    "mupra.paya_transfer",
    "sepal.payment_state",
    "sepal.gateway_balance",
    "sepal.inquiry",
    "vandar.balance",
    "vandar.transactions",
    "vandar.settlement_store",
    "vandar.settlements",
    "vandar.settlement",
    "vandar.settlement_cancel",
    "vandar.settlement_banks",
    "vandar.refund",
    "vandar.call",
    "vandar.endpoints",
];

fn params<T: for<'de> Deserialize<'de>>(operation: &str, value: &Value) -> Result<T> {
    let value = if value.is_null() { json!({}) } else { value.clone() };
    serde_json::from_value(value).map_err(|e| Error::invalid(format!("{operation}: {}", crate::redact::hide_values(&e.to_string()))))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::internal(e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GatewayParams {
    gateway: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdParams {
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    state: Option<String>,
    #[serde(default = "default_limit")]
    limit: usize,
    #[serde(default)]
    offset: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitParams {
    #[serde(default = "default_limit")]
    limit: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReconcileParams {
    #[serde(default = "default_min_age_secs")]
    min_age_secs: u64,
    #[serde(default = "default_reconcile_limit")]
    limit: usize,
}

fn default_min_age_secs() -> u64 {
    ReconcileOptions::default().min_age.as_secs()
}

fn default_reconcile_limit() -> usize {
    ReconcileOptions::default().limit
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SepalStateParams {
    payment_number: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageParams {
    #[serde(default)]
    page: u32,
    #[serde(default = "default_page_size")]
    page_size: u32,
}

fn default_page_size() -> u32 {
    10
}

/// A money-moving request: its `idempotency_key` and the rest as `T`.
fn keyed<T: for<'de> Deserialize<'de>>(operation: &str, value: &Value) -> Result<(String, T)> {
    let mut rest = match value {
        Value::Object(map) => map.clone(),
        _ => return Err(Error::invalid(format!("{operation}: parameters must be an object"))),
    };
    let key = match rest.remove("idempotency_key") {
        Some(Value::String(k)) => k,
        _ => return Err(Error::invalid(format!("{operation}: idempotency_key (a string) is required"))),
    };
    Ok((key, params(operation, &Value::Object(rest))?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiKeyParams {
    api_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryParams {
    #[serde(default)]
    query: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettlementIdParams {
    settlement_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransactionIdParams {
    transaction_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundParams {
    idempotency_key: String,
    /// Vandar's transId, or
    #[serde(default)]
    transaction_id: Option<String>,
    /// a paid payment's id (refunded through the payment's own account).
    #[serde(default)]
    payment_id: Option<String>,
    #[serde(default)]
    body: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallParams {
    endpoint: String,
    #[serde(default)]
    params: BTreeMap<String, String>,
    #[serde(default)]
    query: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<Value>,
}

fn default_limit() -> usize {
    100
}

impl Dargah {
    /// Run `operation` with JSON `params` and answer JSON. Unknown operations
    /// and wrong parameters are `invalid_input`, before any network call.
    /// Every operation takes an optional `"account"`: the merchant account
    /// its gateway calls use (see [`Dargah::with_account`]); operations on a
    /// stored payment always use the payment's own account.
    pub fn call(&self, operation: &str, params_json: &Value) -> Result<Value> {
        if let Some(account) = params_json.get("account") {
            let Value::String(account) = account else {
                return Err(Error::invalid(format!("{operation}: account must be a string")));
            };
            let mut rest = params_json.clone();
            if let Some(map) = rest.as_object_mut() {
                map.remove("account");
            }
            return self.with_account(account)?.call(operation, &rest);
        }
        match operation {
            "capabilities" => {
                let p: GatewayParams = params(operation, params_json)?;
                to_json(&p.gateway.parse::<Gateway>()?.capabilities())
            }
            "payment" => {
                let p: IdParams = params(operation, params_json)?;
                to_json(&self.payment(&p.id)?)
            }
            "payment.events" => {
                let p: IdParams = params(operation, params_json)?;
                to_json(&self.events(&p.id)?)
            }
            "payments.list" => {
                let p: ListParams = params(operation, params_json)?;
                let state = p.state.as_deref().map(PaymentState::parse).transpose().map_err(|e| Error::invalid(e.message().to_string()))?;
                to_json(&self.list_payments(state, p.limit, p.offset)?)
            }
            "unacknowledged" => {
                let p: LimitParams = params(operation, params_json)?;
                to_json(&self.unacknowledged(p.limit)?)
            }
            "acknowledge" => {
                let p: IdParams = params(operation, params_json)?;
                Ok(json!({"acknowledged": self.acknowledge(&p.id)?}))
            }
            "recover" => {
                let p: LimitParams = params(operation, params_json)?;
                let report = self.recover(p.limit)?;
                let errors: Vec<Value> = report
                    .errors
                    .iter()
                    .map(|(id, e)| {
                        json!({"payment_id": id, "kind": e.kind().name(), "message": e.message(),
                               "gateway_code": e.gateway_code(), "gateway_message": e.gateway_message(), "http_status": e.http_status()})
                    })
                    .collect();
                Ok(json!({"outcomes": to_json(&report.outcomes)?, "errors": errors}))
            }
            "reconcile" => {
                let p: ReconcileParams = params(operation, params_json)?;
                let options = ReconcileOptions { min_age: std::time::Duration::from_secs(p.min_age_secs), limit: p.limit };
                to_json(&self.reconcile(&options, |_| {})?)
            }
            "sepal.payment_state" => {
                let p: SepalStateParams = params(operation, params_json)?;
                to_json(&self.sepal_payment_state(p.payment_number)?)
            }
            "mupra.balance" => {
                let _: Empty = params(operation, params_json)?;
                Ok(json!({"balance": self.mupra_balance()?}))
            }
            "mupra.transactions" => {
                let p: PageParams = params(operation, params_json)?;
                to_json(&self.mupra_transactions(p.page, p.page_size)?)
            }
            "mupra.paya_transfer" => {
                let (key, transfer): (String, PayaTransfer) = keyed(operation, params_json)?;
                self.mupra_paya_transfer(&key, &transfer)
            }
            "sepal.gateway_balance" => {
                let p: ApiKeyParams = params(operation, params_json)?;
                to_json(&self.sepal_gateway_balance(p.api_key.as_deref())?)
            }
            "sepal.inquiry" => {
                let p: SepalInquiry = params(operation, params_json)?;
                to_json(&self.sepal_inquiry(&p)?)
            }
            "vandar.balance" => {
                let _: Empty = params(operation, params_json)?;
                self.vandar_balance()
            }
            "vandar.transactions" => {
                let p: QueryParams = params(operation, params_json)?;
                self.vandar_transactions(&p.query)
            }
            "vandar.settlement_store" => {
                let (key, settlement): (String, Settlement) = keyed(operation, params_json)?;
                self.vandar_settlement_store(&key, &settlement)
            }
            "vandar.settlements" => {
                let _: Empty = params(operation, params_json)?;
                self.vandar_settlements()
            }
            "vandar.settlement" => {
                let p: SettlementIdParams = params(operation, params_json)?;
                self.vandar_settlement(&p.settlement_id)
            }
            "vandar.settlement_cancel" => {
                let p: TransactionIdParams = params(operation, params_json)?;
                self.vandar_settlement_cancel(&p.transaction_id)
            }
            "vandar.settlement_banks" => {
                let _: Empty = params(operation, params_json)?;
                self.vandar_settlement_banks()
            }
            "vandar.refund" => {
                let p: RefundParams = params(operation, params_json)?;
                match (p.transaction_id, p.payment_id) {
                    (Some(transaction_id), None) => self.vandar_refund(&p.idempotency_key, &transaction_id, p.body),
                    (None, Some(payment_id)) => self.vandar_refund_payment(&p.idempotency_key, &payment_id, p.body),
                    _ => Err(Error::invalid("vandar.refund: give transaction_id or payment_id (one of them)")),
                }
            }
            "vandar.call" => {
                let p: CallParams = params(operation, params_json)?;
                self.vandar_call(&p.endpoint, &p.params, &p.query, p.body)
            }
            "vandar.endpoints" => Ok(json!(crate::gateways::vandar_api::endpoint_names())),
            other => Err(Error::invalid(format!("unknown operation {}; known: {}", crate::error::quoted(other), OPERATIONS.join(", ")))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dargah() -> (Dargah, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let config = json!({"store": format!("sqlite://{}/d.db", dir.path().display()), "canpay": {"merchant": "m"}});
        (Dargah::from_json(&config.to_string()).unwrap(), dir)
    }

    #[test]
    fn operations_answer_json_and_refuse_bad_params() {
        let (d, _dir) = dargah();
        assert_eq!(d.call("capabilities", &json!({"gateway": "vandar"})).unwrap()["once_only_verify"], true);
        assert_eq!(d.call("payments.list", &Value::Null).unwrap(), json!([]));
        assert_eq!(d.call("recover", &json!({})).unwrap(), json!({"outcomes": [], "errors": []}));
        assert_eq!(d.call("reconcile", &json!({"min_age_secs": 0})).unwrap()["paid"], 0);
        let e = d.call("payments.list", &json!({"state": "bogus"})).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidInput);
        let e = d.call("payments.list", &json!({"limt": 3})).unwrap_err();
        assert!(e.message().contains("limt"));
        let e = d.call("no.such", &json!({})).unwrap_err();
        assert!(e.message().contains("sepal.payment_state"));
        assert_eq!(d.call("payment", &json!({"id": "dp_x"})).unwrap_err().kind(), crate::error::ErrorKind::UnknownPayment);
        assert_eq!(d.call("sepal.payment_state", &json!({"payment_number": 1})).unwrap_err().kind(), crate::error::ErrorKind::Config);
        // Money moves need their key, and invalid input fails before any configuration is consulted.
        let e = d.call("mupra.paya_transfer", &json!({"amount": 1000, "iban": "IR820540102680020817909002", "cif": "1"})).unwrap_err();
        assert!(e.message().contains("idempotency_key"));
        let e = d.call("mupra.paya_transfer", &json!({"idempotency_key": "k", "amount": 1000, "iban": "IR00", "cif": "1"})).unwrap_err();
        assert!(e.message().contains("IR followed by 24 digits"), "{}", e.message());
        let e = d.call("vandar.settlement_store", &json!({"idempotency_key": "k", "amount": 1000, "iban": "IR820540102680020817909002", "extra": 1})).unwrap_err();
        assert!(e.message().contains("extra"), "{}", e.message());
        assert!(d.call("vandar.endpoints", &Value::Null).unwrap().as_array().unwrap().len() >= 100);
    }
}
