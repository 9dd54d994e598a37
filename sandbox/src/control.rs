//! The test-facing side: call counters, fault injection, and the
//! `/_control` JSON API that drives payments without a browser.
//!
//! Every gateway endpoint is wrapped by [`instrumented`], which counts the
//! call, applies any matching faults around the real handler, and renders a
//! handler's [`ApiError`] in the gateway's own envelope.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, MethodRouter};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::page::{self, Action, PayError};
use crate::server::ConnKill;
use crate::state::App;
use crate::wire::{peek_field, ApiError, ErrorKind, Gw};

/// Bodies larger than this are refused; no gateway call comes close.
const BODY_LIMIT: usize = 1 << 20;

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
    fn record(&mut self, name: &str, token: Option<&str>) {
        *self.calls.entry(name.to_owned()).or_default() += 1;
        if let Some(token) = token {
            let per_token = self.by_token.entry(token.to_owned()).or_default();
            *per_token.entry(name.to_owned()).or_default() += 1;
        }
    }

    fn record_credential(&mut self, name: &str, credential: &str) {
        *self.by_credential.entry(credential.to_owned()).or_default().entry(name.to_owned()).or_default() += 1;
    }

    fn record_processed(&mut self, name: &str, token: &str, answer_lost: bool) {
        *self.processed_by_token.entry(token.to_owned()).or_default().entry(name.to_owned()).or_default() += 1;
        if answer_lost {
            *self.answer_lost_by_token.entry(token.to_owned()).or_default().entry(name.to_owned()).or_default() += 1;
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub(crate) struct FaultSpec {
    endpoint: String,
    #[serde(default)]
    latency_ms: u64,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    drop_after_process: bool,
    #[serde(default)]
    malformed_json: bool,
    /// Answers the documents leave open, written over a successful JSON
    /// answer: fields set (e.g. `{"code": 7}`, an unknown transaction-info
    /// code), fields removed (e.g. `["amount", "realAmount"]`), or the body
    /// replaced by one of its fields (`"result"`: Mupra's page bare, as the
    /// document's own sample shows it).
    #[serde(default)]
    set: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    unwrap: Option<String>,
    /// How many requests it applies to; None = until cleared.
    #[serde(default)]
    count: Option<u32>,
}

#[derive(Default)]
pub(crate) struct Faults(Vec<FaultSpec>);

/// The combined effect of every fault that matched one request.
#[derive(Default)]
struct Plan {
    latency: Duration,
    status: Option<StatusCode>,
    drop: bool,
    malformed: bool,
    rewrites: Vec<FaultSpec>,
}

impl Faults {
    /// Consumes one use of each fault matching any of `names`.
    fn take(&mut self, names: &[String]) -> Plan {
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

/// Counts a call to the endpoint(s) `names`, applies faults, runs `handler`
/// and renders its errors in `gw`'s envelope.
pub(crate) async fn instrumented(
    app: &App,
    gw: Gw,
    names: Vec<String>,
    token: Option<String>,
    credential: Option<String>,
    kill: Option<ConnKill>,
    handler: impl Future<Output = Response>,
) -> Response {
    let plan = {
        let mut st = app.state();
        for name in &names {
            st.stats.record(name, token.as_deref());
            if let Some(credential) = &credential {
                st.stats.record_credential(name, credential);
            }
        }
        let plan = st.faults.take(&names);
        if let (Some(token), None) = (token.as_deref(), plan.status) {
            let lost = plan.drop || plan.malformed || !plan.latency.is_zero();
            for name in &names {
                st.stats.record_processed(name, token, lost);
            }
        }
        plan
    };
    let mut response = match plan.status {
        Some(status) => gw.error(&ApiError::new(
            ErrorKind::Injected(status),
            "injected fault",
        )),
        None => handler.await,
    };
    if let Some(e) = response.extensions_mut().remove::<ApiError>() {
        response = gw.error(&e);
    }
    if !plan.rewrites.is_empty() && response.status().is_success() {
        response = rewrite(response, &plan.rewrites).await;
    }
    // Latency comes after processing: a client that times out has still
    // changed the state, which is the case worth testing.
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    if plan.drop {
        // The state change has happened; now vanish without an answer.
        if let Some(kill) = kill {
            return kill.drop_connection().await;
        }
    }
    if plan.malformed {
        response = truncate(response).await;
    }
    response
}

/// The answer with fields set, removed, or unwrapped, as `faults` say.
async fn rewrite(response: Response, faults: &[FaultSpec]) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    for fault in faults {
        if let Some(Value::Object(map)) = Some(&mut value) {
            for key in &fault.remove {
                map.remove(key);
            }
            for (key, v) in fault.set.iter().flatten() {
                map.insert(key.clone(), v.clone());
            }
        }
        if let Some(inner) = fault.unwrap.as_ref().and_then(|k| value.get(k)).cloned() {
            value = inner;
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(value.to_string()))
}

/// A 200 whose body is the first half of the real one: not JSON any more.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let cut = if bytes.len() >= 4 {
        bytes.slice(..bytes.len() / 2)
    } else {
        Bytes::from_static(b"{\"")
    };
    parts.status = StatusCode::OK;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(cut))
}

/// Where the by-token counter finds a request's payment token.
#[derive(Clone, Copy)]
pub(crate) enum TokenFrom {
    /// A request that has no payment yet (create calls, balances).
    Nothing,
    /// A string field of the JSON or form body.
    Field(&'static str),
    /// The last path segment (payment pages).
    LastSegment,
    /// AtiPay verify names the payment by its referenceNumber.
    AtiPayReference,
}

/// A fixed gateway endpoint: `<gateway>.<op>`, one method.
#[derive(Clone)]
pub(crate) struct Endpoint {
    gw: Gw,
    op: &'static str,
    method: Method,
    token: TokenFrom,
}

impl Endpoint {
    pub(crate) fn post(gw: Gw, op: &'static str, token: TokenFrom) -> Self {
        Endpoint {
            gw,
            op,
            method: Method::POST,
            token,
        }
    }
    pub(crate) fn get(gw: Gw, op: &'static str, token: TokenFrom) -> Self {
        Endpoint {
            gw,
            op,
            method: Method::GET,
            token,
        }
    }
    fn name(&self) -> String {
        format!("{}.{}", self.gw.slug(), self.op)
    }
}

/// Mounts `handler` as `ep`: any method reaches the instrumentation (so a
/// wrong method is counted and answered in the gateway's envelope).
pub(crate) fn endpoint<H, T>(app: &App, ep: Endpoint, handler: H) -> MethodRouter<App>
where
    H: Handler<T, App>,
    T: 'static,
{
    any(handler).layer(middleware::from_fn_with_state(
        (app.clone(), ep),
        instrument,
    ))
}

async fn instrument(
    State((app, ep)): State<(App, Endpoint)>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, BODY_LIMIT).await else {
        return ep
            .gw
            .error(&ApiError::invalid("request body too large or unreadable"));
    };
    let token = match ep.token {
        TokenFrom::Nothing => None,
        TokenFrom::Field(name) => peek_field(&body, name),
        TokenFrom::LastSegment => parts.uri.path().rsplit('/').next().map(str::to_owned),
        TokenFrom::AtiPayReference => peek_field(&body, "referenceNumber")
            .and_then(|reference| crate::atipay::token_by_reference(&app, &reference)),
    };
    let credential = credential_of(ep.gw, &body);
    let kill = parts.extensions.get::<ConnKill>().cloned();
    let method_ok = parts.method == ep.method;
    let req = Request::from_parts(parts, Body::from(body));
    let wrong_method = format!("method not allowed; use {}", ep.method);
    let handler = async move {
        if !method_ok {
            return ApiError::new(ErrorKind::MethodNotAllowed, wrong_method).into_response();
        }
        next.run(req).await
    };
    instrumented(&app, ep.gw, vec![ep.name()], token, credential, kill, handler).await
}

/// The merchant credential a gateway request carries in its body, if any.
fn credential_of(gw: Gw, body: &[u8]) -> Option<String> {
    let fields: &[&str] = match gw {
        Gw::Mupra | Gw::Vandar => &["api_key"],
        Gw::CanPay => &["merchant"],
        Gw::AtiPay => &["apiKey"],
        Gw::Sepal => &["mobile", "apiKey"],
    };
    fields.iter().find_map(|f| peek_field(body, f)).map(|c| c.chars().take(64).collect())
}

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
    vandar_refresh_revokes_access_tokens: Option<bool>,
    /// AtiPay and Mupra do not say what a second verify answers: `true`
    /// refuses every verify after the first (the least convenient reading).
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
    if let Some(on) = change.vandar_refresh_revokes_access_tokens {
        st.config.vandar_refresh_revokes_access_tokens = on;
    }
    if let Some(on) = change.refuse_repeat_verify {
        st.config.refuse_repeat_verify = on;
    }
    Json(json!({
        "refund_window_secs": st.config.refund_window.as_secs(),
        "rate_limits": st.config.rate_limits,
        "vandar_refresh_revokes_access_tokens": st.config.vandar_refresh_revokes_access_tokens,
        "refuse_repeat_verify": st.config.refuse_repeat_verify,
    }))
    .into_response()
}
