//! One generic entry point, JSON in and JSON out, for everything beyond the
//! payment flow. The C ABI, PHP and Python expose it as a single call, so a
//! new operation reaches every binding without new glue.

use crate::engine::Dargah;
use crate::error::{Error, Result};
use crate::model::{Gateway, PaymentState};
use crate::reconcile::ReconcileOptions;
use serde::Deserialize;
use serde_json::{json, Value};

/// The operations `Dargah::call` knows, for error messages and docs.
pub const OPERATIONS: &[&str] = &["capabilities", "payment", "payments.list", "unacknowledged", "acknowledge", "recover", "reconcile", "sepal.payment_state"];

fn params<T: for<'de> Deserialize<'de>>(operation: &str, value: &Value) -> Result<T> {
    let value = if value.is_null() { json!({}) } else { value.clone() };
    serde_json::from_value(value).map_err(|e| Error::invalid(format!("{operation}: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::internal(e.to_string()))
}

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

fn default_limit() -> usize {
    100
}

impl Dargah {
    /// Run `operation` with JSON `params` and answer JSON. Unknown operations
    /// and wrong parameters are `invalid_input`, before any network call.
    pub fn call(&self, operation: &str, params_json: &Value) -> Result<Value> {
        match operation {
            "capabilities" => {
                let p: GatewayParams = params(operation, params_json)?;
                to_json(&p.gateway.parse::<Gateway>()?.capabilities())
            }
            "payment" => {
                let p: IdParams = params(operation, params_json)?;
                to_json(&self.payment(&p.id)?)
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
                    .map(|(id, e)| json!({"payment_id": id, "kind": e.kind().name(), "message": e.message()}))
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
            other => Err(Error::invalid(format!("unknown operation {other:?}; known: {}", OPERATIONS.join(", ")))),
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
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        let e = d.call("payments.list", &json!({"limt": 3})).unwrap_err();
        assert!(e.message().contains("limt"));
        let e = d.call("no.such", &json!({})).unwrap_err();
        assert!(e.message().contains("sepal.payment_state"));
        assert_eq!(d.call("payment", &json!({"id": "dp_x"})).unwrap_err().kind(), crate::ErrorKind::UnknownPayment);
        assert_eq!(d.call("sepal.payment_state", &json!({"payment_number": 1})).unwrap_err().kind(), crate::ErrorKind::Config);
    }
}
