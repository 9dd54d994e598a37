//! How every gateway endpoint is served: [`instrumented`] counts the call,
//! applies any matching faults around the real handler, and renders a
//! handler's [`ApiError`] in the gateway's own envelope. Gateway files mount
//! their endpoints through [`endpoint`]; this module knows none of them.

use std::future::Future;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodRouter};
use serde_json::Value;

use crate::faults::FaultSpec;
use crate::server::ConnKill;
use crate::state::App;
use crate::wire::{peek_field, ApiError, ErrorKind, Gw};

/// Bodies larger than this are refused; no gateway call comes close.
const BODY_LIMIT: usize = 1 << 20;

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
        Some(status) => app.error(gw, &ApiError::new(
            ErrorKind::Injected(status),
            "injected fault",
        )),
        None => handler.await,
    };
    if let Some(e) = response.extensions_mut().remove::<ApiError>() {
        response = app.error(gw, &e);
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
    /// Looked up by the gateway's own rule (AtiPay verify names the payment
    /// by its referenceNumber): the gateway file passes its lookup, so this
    /// module never names a gateway's.
    Lookup(fn(&App, &[u8]) -> Option<String>),
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
        return app.error(ep.gw, &ApiError::invalid("request body too large or unreadable"));
    };
    let token = match ep.token {
        TokenFrom::Nothing => None,
        TokenFrom::Field(name) => peek_field(&body, name),
        TokenFrom::LastSegment => parts.uri.path().rsplit('/').next().map(str::to_owned),
        TokenFrom::Lookup(lookup) => lookup(&app, &body),
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
