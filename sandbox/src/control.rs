//! The test-facing `/_control` JSON API: call counters, faults, readings,
//! and paying without a browser. It only reads and changes the sandbox's
//! state; the gateway endpoints themselves are served through
//! [`crate::instrument`].

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::{FaultSpec, Faults, Stats};
use crate::page::{self, Action, PayError};
use crate::readings::{ReadingsChange, RepeatVerify, VandarRefresh};
use crate::state::App;
use crate::wire::Gw;

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/_control/stats", get(stats))
        .route("/_control/reset", post(reset))
        .route(
            "/_control/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_control/pay", post(pay))
        .route("/_control/payments/:gateway/:token", get(payment))
        .route("/_control/config", post(config))
        .route("/_control/readings", get(readings).post(set_readings))
        .route("/_control/client-config", get(client_config))
}

#[derive(Deserialize)]
struct ClientConfigQuery {
    store: Option<String>,
}

/// The client configuration `dargah sandbox` prints, for the address the
/// request reached (its Host), so any binding can fetch it:
/// `curl -s http://127.0.0.1:8700/_control/client-config > sandbox.json`.
async fn client_config(headers: HeaderMap, Query(query): Query<ClientConfigQuery>) -> Response {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return control_error(StatusCode::BAD_REQUEST, "no Host header");
    };
    let store = query.store.as_deref().unwrap_or(crate::client_config::SANDBOX_STORE);
    Json(crate::client_config::client_config(&format!("http://{host}"), store)).into_response()
}

fn control_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn stats(State(app): State<App>) -> Json<Value> {
    Json(json!(app.state().stats))
}

/// Clears counters and faults; payments and balances stay.
async fn reset(State(app): State<App>) -> Json<Value> {
    let mut st = app.state();
    st.stats = Stats::default();
    st.faults = Faults::default();
    Json(json!({ "ok": true }))
}

async fn list_faults(State(app): State<App>) -> Json<Value> {
    Json(json!({ "faults": app.state().faults.0 }))
}

async fn add_fault(State(app): State<App>, body: Bytes) -> Response {
    let spec: FaultSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(e) => return control_error(StatusCode::BAD_REQUEST, format!("bad fault: {e}")),
    };
    if spec.status.is_some_and(|s| !(400..=599).contains(&s)) {
        return control_error(StatusCode::BAD_REQUEST, "status must be 400..=599");
    }
    if spec.count == Some(0) {
        return control_error(
            StatusCode::BAD_REQUEST,
            "count must be at least 1 (or null)",
        );
    }
    app.state().faults.0.push(spec);
    Json(json!({ "ok": true })).into_response()
}

async fn clear_faults(State(app): State<App>) -> Json<Value> {
    app.state().faults = Faults::default();
    Json(json!({ "ok": true }))
}

#[derive(Deserialize)]
struct PayRequest {
    gateway: String,
    token: String,
    action: String,
    #[serde(default)]
    card: Option<String>,
}

/// Does what the page's button does and returns the callback the browser
/// would then make.
async fn pay(State(app): State<App>, body: Bytes) -> Response {
    let req: PayRequest = match serde_json::from_slice(&body) {
        Ok(req) => req,
        Err(e) => return control_error(StatusCode::BAD_REQUEST, format!("bad request: {e}")),
    };
    let Some(gw) = Gw::from_slug(&req.gateway).filter(|gw| Gw::IPG.contains(gw)) else {
        return control_error(
            StatusCode::BAD_REQUEST,
            "gateway must be mupra, canpay, atipay or vandar",
        );
    };
    let Some(action) = Action::parse(&req.action) else {
        return control_error(StatusCode::BAD_REQUEST, "action must be pay or cancel");
    };
    match page::complete(&app, gw, &req.token, action, req.card.as_deref()) {
        Ok(callback) => Json(callback.to_json()).into_response(),
        Err(e) => control_error(e.status(), e.to_string()),
    }
}

async fn payment(
    State(app): State<App>,
    Path((gateway, token)): Path<(String, String)>,
) -> Response {
    let Some(gw) = Gw::from_slug(&gateway) else {
        return control_error(StatusCode::NOT_FOUND, "unknown gateway");
    };
    match app.state().payment(gw, &token) {
        Some(p) => Json(p.to_json()).into_response(),
        None => control_error(StatusCode::NOT_FOUND, PayError::NotFound.to_string()),
    }
}

#[derive(Deserialize)]
struct ConfigChange {
    refund_window_secs: Option<u64>,
    rate_limits: Option<bool>,
    /// Shorthand for the reading `vandar_refresh`: `revokes_access_tokens`.
    vandar_refresh_revokes_access_tokens: Option<bool>,
    /// Shorthand for the reading `repeat_verify`: `refused` (AtiPay and Mupra
    /// refuse every verify after the first).
    refuse_repeat_verify: Option<bool>,
}

async fn config(State(app): State<App>, body: Bytes) -> Response {
    let change: ConfigChange = match serde_json::from_slice(&body) {
        Ok(change) => change,
        Err(e) => return control_error(StatusCode::BAD_REQUEST, format!("bad config: {e}")),
    };
    let mut st = app.state();
    if let Some(secs) = change.refund_window_secs {
        st.config.refund_window = Duration::from_secs(secs);
    }
    if let Some(on) = change.rate_limits {
        st.config.rate_limits = on;
    }
    let readings = &mut st.config.readings;
    if let Some(on) = change.vandar_refresh_revokes_access_tokens {
        readings.vandar_refresh = if on { VandarRefresh::RevokesAccessTokens } else { VandarRefresh::KeepsAccessTokens };
    }
    if let Some(on) = change.refuse_repeat_verify {
        readings.repeat_verify = if on { RepeatVerify::Refused } else { RepeatVerify::AnswersAgain };
    }
    Json(json!({
        "refund_window_secs": st.config.refund_window.as_secs(),
        "rate_limits": st.config.rate_limits,
        "vandar_refresh_revokes_access_tokens": st.config.readings.vandar_refresh == VandarRefresh::RevokesAccessTokens,
        "refuse_repeat_verify": st.config.readings.repeat_verify == RepeatVerify::Refused,
        "readings": st.config.readings,
    }))
    .into_response()
}

/// The run's readings.
async fn readings(State(app): State<App>) -> Json<Value> {
    Json(json!({ "readings": app.state().config.readings }))
}

/// Changes the readings named in the body, for the run or (with `gateway`
/// and `token`) for one payment; answers the readings now in force there.
async fn set_readings(State(app): State<App>, body: Bytes) -> Response {
    // `gateway` and `token` name the payment; every other field is a reading.
    let mut fields: serde_json::Map<String, Value> = match serde_json::from_slice(&body) {
        Ok(fields) => fields,
        Err(e) => return control_error(StatusCode::BAD_REQUEST, format!("bad readings: {e}")),
    };
    let mut name = |key: &str| fields.remove(key).map(|v| v.as_str().map(str::to_owned).unwrap_or_default());
    let (gateway, token) = (name("gateway"), name("token"));
    let change: ReadingsChange = match serde_json::from_value(Value::Object(fields)) {
        Ok(change) => change,
        Err(e) => return control_error(StatusCode::BAD_REQUEST, format!("bad readings: {e}")),
    };
    let mut st = app.state();
    match (gateway, token) {
        (None, None) => {
            st.config.readings = st.config.readings.with(&change);
            Json(json!({ "readings": st.config.readings })).into_response()
        }
        (Some(gateway), Some(token)) => {
            let Some(gw) = Gw::from_slug(&gateway) else {
                return control_error(StatusCode::BAD_REQUEST, "unknown gateway");
            };
            let run = st.config.readings;
            match st.payment(gw, &token) {
                Some(p) => {
                    p.readings = p.readings.and(&change);
                    Json(json!({ "readings": run.with(&p.readings) })).into_response()
                }
                None => control_error(StatusCode::NOT_FOUND, PayError::NotFound.to_string()),
            }
        }
        _ => control_error(StatusCode::BAD_REQUEST, "name both gateway and token (one payment's readings) or neither (the run's)"),
    }
}
