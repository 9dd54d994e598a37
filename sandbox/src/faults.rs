//! What the sandbox counts and what it is told to break: call counters and
//! injected faults. A leaf: every gateway file and the control API use it,
//! and it uses none of them.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Default, Serialize)]
pub(crate) struct Stats {
    calls: BTreeMap<String, u64>,
    by_token: BTreeMap<String, BTreeMap<String, u64>>,
    /// Calls that reached the gateway's logic (not refused by an injected
    /// `status` fault), and of those, how many had their answer lost or
    /// spoiled by a fault (dropped, delayed, truncated): what a checker needs
    /// to judge how often a gateway was really asked.
    processed_by_token: BTreeMap<String, BTreeMap<String, u64>>,
    answer_lost_by_token: BTreeMap<String, BTreeMap<String, u64>>,
    /// Calls by the merchant credential they carried (Mupra/Vandar IPG
    /// `api_key`, CanPay `merchant`, AtiPay `apiKey`, Sepal `mobile` or
    /// `apiKey`; the Vandar business API by the business its bearer token
    /// belongs to), so a test can tell which account made each call.
    by_credential: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Stats {
    pub(crate) fn record(&mut self, name: &str, token: Option<&str>) {
        *self.calls.entry(name.to_owned()).or_default() += 1;
        if let Some(token) = token {
            let per_token = self.by_token.entry(token.to_owned()).or_default();
            *per_token.entry(name.to_owned()).or_default() += 1;
        }
    }

    pub(crate) fn record_credential(&mut self, name: &str, credential: &str) {
        *self.by_credential.entry(credential.to_owned()).or_default().entry(name.to_owned()).or_default() += 1;
    }

    pub(crate) fn record_processed(&mut self, name: &str, token: &str, answer_lost: bool) {
        *self.processed_by_token.entry(token.to_owned()).or_default().entry(name.to_owned()).or_default() += 1;
        if answer_lost {
            *self.answer_lost_by_token.entry(token.to_owned()).or_default().entry(name.to_owned()).or_default() += 1;
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub(crate) struct FaultSpec {
    pub(crate) endpoint: String,
    #[serde(default)]
    pub(crate) latency_ms: u64,
    #[serde(default)]
    pub(crate) status: Option<u16>,
    #[serde(default)]
    pub(crate) drop_after_process: bool,
    #[serde(default)]
    pub(crate) malformed_json: bool,
    /// Answers the documents leave open, written over a successful JSON
    /// answer: fields set (e.g. `{"code": 7}`, an unknown transaction-info
    /// code), fields removed (e.g. `["amount", "realAmount"]`), or the body
    /// replaced by one of its fields (`"result"`: Mupra's page bare, as the
    /// document's own sample shows it).
    #[serde(default)]
    pub(crate) set: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub(crate) remove: Vec<String>,
    #[serde(default)]
    pub(crate) unwrap: Option<String>,
    /// How many requests it applies to; None = until cleared.
    #[serde(default)]
    pub(crate) count: Option<u32>,
}

#[derive(Default)]
pub(crate) struct Faults(pub(crate) Vec<FaultSpec>);

/// The combined effect of every fault that matched one request.
#[derive(Default)]
pub(crate) struct Plan {
    pub(crate) latency: Duration,
    pub(crate) status: Option<StatusCode>,
    pub(crate) drop: bool,
    pub(crate) malformed: bool,
    pub(crate) rewrites: Vec<FaultSpec>,
}

impl Faults {
    /// Consumes one use of each fault matching any of `names`.
    pub(crate) fn take(&mut self, names: &[String]) -> Plan {
        let mut plan = Plan::default();
        for fault in self.0.iter_mut().filter(|f| names.contains(&f.endpoint)) {
            plan.latency = plan.latency.max(Duration::from_millis(fault.latency_ms));
            plan.status = plan
                .status
                .or(fault.status.and_then(|s| StatusCode::from_u16(s).ok()));
            plan.drop |= fault.drop_after_process;
            plan.malformed |= fault.malformed_json;
            if fault.set.is_some() || !fault.remove.is_empty() || fault.unwrap.is_some() {
                plan.rewrites.push(fault.clone());
            }
            if let Some(n) = fault.count.as_mut() {
                *n = n.saturating_sub(1);
            }
        }
        self.0.retain(|f| f.count != Some(0));
        plan
    }
}
