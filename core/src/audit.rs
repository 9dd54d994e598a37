//! The audit trail: what Dargah did, as structured `tracing` events with
//! nothing secret in them (no credential, token, card number or body).
//!
//! | event | level | fields |
//! |---|---|---|
//! | `gateway_call` | info (warn when it failed) | gateway, operation (`POST /api/v4/verify`: method and path, never the query), payment_id, http_status, duration_ms, outcome |
//! | `claim` | debug | payment_id, fence, maybe_verified (a verify may already have gone through), verify_refused (a verify of ours was refused: Vandar is not verified again) |
//! | `store_retry` | warn | payment_id, reason: a gateway's proof of payment not stored yet (the store unreachable), tried again for up to a lease |
//! | `lease_takeover` | warn | payment_id, fence, from (the state the expired lease left) |
//! | `state_change` | info (warn for a failed create) | payment_id, gateway, from, to, fence, result (`applied`, or `not_applied` when a newer claim holds the payment) |
//! | `token_refresh` | info | gateway, outcome |
//! | `token_encrypted` | info | gateway, outcome (`ok`, or `fenced_out`): a token pair an older version stored in clear, stored again encrypted |
//! | `rate_limit_wait` | info | gateway, bucket, wait_ms |
//!
//! Targets are `dargah` and `dargah::<gateway>` (`dargah::vandar` …), so a
//! subscriber (or a binding's logger) can pick one gateway.
//!
//! Rust programs see the events with any `tracing` subscriber. The bindings
//! use [`capture`]: the events of one call, collected on the calling thread
//! (including those from the I/O threads working for it: `block_on` carries
//! the caller's subscriber into its task) and handed to the binding's logger
//! on that thread when the call returns.

use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
pub use tracing::Level;
use tracing::{Event, Metadata, Subscriber};

/// Emit an audit event on the target of `gateway` (a gateway name, or "" for `dargah`).
macro_rules! audit {
    ($level:ident, $gateway:expr, $event:literal, $($field:tt)*) => {
        match $gateway {
            "mupra" => tracing::$level!(target: "dargah::mupra", event = $event, gateway = "mupra", $($field)*),
            "canpay" => tracing::$level!(target: "dargah::canpay", event = $event, gateway = "canpay", $($field)*),
            "atipay" => tracing::$level!(target: "dargah::atipay", event = $event, gateway = "atipay", $($field)*),
            "vandar" => tracing::$level!(target: "dargah::vandar", event = $event, gateway = "vandar", $($field)*),
            "sepal" => tracing::$level!(target: "dargah::sepal", event = $event, gateway = "sepal", $($field)*),
            _ => tracing::$level!(target: "dargah", event = $event, $($field)*),
        }
    };
}
pub(crate) use audit;

/// One event as a binding hands it on.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: &'static str,
    /// `dargah` or `dargah::<gateway>`.
    pub target: String,
    /// The event's name and fields (`event`, `gateway`, `payment_id`, …).
    pub fields: Map<String, Value>,
}

impl AuditEvent {
    /// The event's name (`gateway_call`, `state_change`, …).
    pub fn name(&self) -> &str {
        self.fields.get("event").and_then(Value::as_str).unwrap_or("")
    }

    /// One line for people: `gateway_call gateway=vandar operation="POST /api/v4/verify" http_status=200 …`.
    pub fn message(&self) -> String {
        let mut line = self.name().to_string();
        for (key, value) in self.fields.iter().filter(|(k, _)| *k != "event") {
            match value {
                Value::String(s) if !s.contains(' ') => line.push_str(&format!(" {key}={s}")),
                other => line.push_str(&format!(" {key}={other}")),
            }
        }
        line
    }

    /// The fields as one JSON object (the C callback's `fields_json`).
    pub fn fields_json(&self) -> String {
        Value::Object(self.fields.clone()).to_string()
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

/// A subscriber that keeps Dargah's events in memory, for [`capture`].
struct Collector {
    max_level: Level,
    events: Arc<Mutex<Vec<AuditEvent>>>,
}

struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}").into());
    }
}

impl Subscriber for Collector {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max_level && metadata.target().starts_with("dargah")
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Map::new();
        event.record(&mut Fields(&mut fields));
        let metadata = event.metadata();
        let recorded = AuditEvent { level: level_name(metadata.level()), target: metadata.target().to_string(), fields };
        self.events.lock().unwrap_or_else(|p| p.into_inner()).push(recorded);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Run `f` and return, with its result, the audit events it caused at
/// `max_level` or more severe, in order. Used by the bindings to hand the
/// events to their users' loggers on the calling thread.
pub fn capture<T>(max_level: Level, f: impl FnOnce() -> T) -> (T, Vec<AuditEvent>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let dispatch = tracing::Dispatch::new(Collector { max_level, events: events.clone() });
    let result = tracing::dispatcher::with_default(&dispatch, f);
    drop(dispatch);
    let events = std::mem::take(&mut *events.lock().unwrap_or_else(|p| p.into_inner()));
    (result, events)
}

/// A level by name (`error`, `warn`, `info`, `debug`, `trace`).
pub fn level_from_name(name: &str) -> Option<Level> {
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_collects_events_from_the_io_threads_too() {
        let ((), events) = capture(Level::DEBUG, || {
            audit!(info, "vandar", "state_change", payment_id = "dp_1", from = "verifying", to = "paid", fence = 2_i64);
            crate::http::block_on(async { audit!(debug, "", "claim", payment_id = "dp_1", fence = 2_i64, result = "claimed") }).unwrap();
            audit!(trace, "", "ignored", payment_id = "dp_1");
        });
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0].target, "dargah::vandar");
        let line = events[0].message();
        assert!(line.starts_with("state_change ") && line.contains(" to=paid") && line.contains(" gateway=vandar"), "{line}");
        assert_eq!(events[1].name(), "claim");
        assert_eq!(events[1].level, "debug");
    }
}
