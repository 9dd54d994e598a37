//! Sepal (سپال) reporting web service: log in for a JWT, then ask for a
//! payment's state, the terminals' balance, or a Jalali-dated transaction
//! list. Sepal's IPG is not part of the document, so the reports read a
//! fixed set of seeded payments.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::calendar::parse_jalali;
use crate::instrument::{endpoint, Endpoint, TokenFrom};
use crate::{creds, creds2};
use crate::state::{App, SeededPayment};
use crate::wire::{json_or_form_fields, ApiError, ApiResult, ErrorKind, Fields, Gw};

pub(crate) fn routes(app: &App) -> Router<App> {
    let post = |op| Endpoint::post(Gw::Sepal, op, TokenFrom::Nothing);
    Router::new()
        .route(
            "/sepal/api/users/token.json",
            endpoint(app, post("login"), login),
        )
        .route(
            "/sepal/api/onlinePayments/getState.json",
            endpoint(app, post("state"), get_state),
        )
        .route(
            "/sepal/api/gates/balance.json",
            endpoint(app, post("balance"), balance),
        )
        .route(
            "/sepal/api/onlinePayments/inquiry.json",
            endpoint(app, post("inquiry"), inquiry),
        )
}

/// `{"status":false,"message":"…"}`
pub(crate) fn envelope(e: &ApiError) -> Response {
    (
        e.status(),
        Json(json!({ "status": false, "message": e.message })),
    )
        .into_response()
}

type HmacSha256 = Hmac<Sha256>;

fn sign(secret: &[u8], message: &str) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// An HS256 JWT whose payload carries `exp`.
fn issue_jwt(secret: &[u8], mobile: &str, lifetime: std::time::Duration) -> (String, i64) {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let exp = now
        + i64::try_from(lifetime.as_secs())
            .unwrap_or(i64::MAX / 4)
            .max(1);
    let header = URL_SAFE_NO_PAD.encode(json!({ "typ": "JWT", "alg": "HS256" }).to_string());
    let payload = URL_SAFE_NO_PAD
        .encode(json!({ "sub": 1, "mobile": mobile, "iat": now, "exp": exp }).to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(sign(secret, &signing_input));
    (format!("{signing_input}.{signature}"), exp)
}

/// Checks `Authorization: Bearer <jwt>`: our signature, not expired.
fn authenticate(app: &App, headers: &HeaderMap) -> ApiResult<()> {
    let unauthorized = |why: &str| ApiError::unauthorized(why.to_owned());
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| unauthorized("Authorization: Bearer <token> is required"))?;
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(unauthorized("token is not a JWT"));
    };
    let expected = URL_SAFE_NO_PAD.encode(sign(&app.jwt_secret, &format!("{header}.{payload}")));
    if expected != signature {
        return Err(unauthorized("token signature is invalid"));
    }
    let claims: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| unauthorized("token payload is invalid"))?;
    let exp = claims["exp"]
        .as_i64()
        .ok_or_else(|| unauthorized("token has no exp"))?;
    if OffsetDateTime::now_utc().unix_timestamp() >= exp {
        return Err(unauthorized("token has expired"));
    }
    Ok(())
}

fn fields(headers: &HeaderMap, body: &[u8]) -> ApiResult<Fields> {
    json_or_form_fields(headers, body)
}

async fn login(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let f = fields(&headers, &body)?;
    let mobile = f.str("mobile")?;
    let password = f.str("password")?;
    let known = [(creds::SEPAL_MOBILE, creds::SEPAL_PASSWORD), (creds2::SEPAL_MOBILE, creds2::SEPAL_PASSWORD)];
    if !known.contains(&(mobile, password)) {
        return Err(ApiError::unauthorized("mobile or password is wrong"));
    }
    let lifetime = app.state().config.sepal_token_lifetime;
    let (token, _) = issue_jwt(&app.jwt_secret, mobile, lifetime);
    Ok(Json(
        json!({ "status": true, "message": "", "data": { "token": token } }),
    ))
}

async fn get_state(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    authenticate(&app, &headers)?;
    let number = fields(&headers, &body)?.uint("paymentNumber")?;
    let st = app.state();
    let payment = st
        .sepal
        .payments
        .iter()
        .find(|p| p.payment_number == number)
        .ok_or_else(|| ApiError::not_found("payment not found"))?;
    let (state, label) = payment.state();
    Ok(Json(json!({
        "status": true,
        "message": "",
        "item": { "payment_number": number.to_string(), "state": state, "state_label": label },
    })))
}

async fn balance(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    authenticate(&app, &headers)?;
    if ![creds::SEPAL_API_KEY, creds2::SEPAL_API_KEY].contains(&fields(&headers, &body)?.str("apiKey")?) {
        return Err(ApiError::new(ErrorKind::Forbidden, "apiKey is not valid"));
    }
    let st = app.state();
    let total: u64 = st
        .sepal
        .payments
        .iter()
        .filter(|p| p.successful)
        .map(|p| p.amount - p.wage())
        .sum();
    Ok(Json(json!({
        "status": true,
        "message": "",
        "terminals": [{ "code": "239400", "pspTitle": "پرداخت نوین آرین", "balance": total.to_string() }],
    })))
}

async fn inquiry(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    authenticate(&app, &headers)?;
    let f = fields(&headers, &body)?;
    let date = |name: &str| -> ApiResult<Option<time::Date>> {
        f.opt_str(name)?
            .map(|s| {
                parse_jalali(s).ok_or_else(|| {
                    ApiError::invalid(format!("{name} must be a Jalali date like 1401/01/10"))
                })
            })
            .transpose()
    };
    let (from, to) = (date("dateFrom")?, date("dateTo")?);
    let card = f.opt_str("payerCardNumber")?;
    if from.is_none() && to.is_none() && card.is_none() {
        return Err(ApiError::invalid(
            "a date range (dateFrom, dateTo) or payerCardNumber is required",
        ));
    }
    let page = f.opt_uint("page")?.unwrap_or(1);
    let limit = f.opt_uint("limit")?.unwrap_or(20);
    if page == 0 || !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("page starts at 1; limit is 1..=100"));
    }
    let st = app.state();
    let matching: Vec<&SeededPayment> = st
        .sepal
        .payments
        .iter()
        .filter(|p| from.is_none_or(|d| p.created.date() >= d))
        .filter(|p| to.is_none_or(|d| p.created.date() <= d))
        .filter(|p| card.is_none_or(|c| p.card_matches(c)))
        .collect();
    let total_pages = (matching.len() as u64).div_ceil(limit);
    let items: Vec<Value> = matching
        .iter()
        .skip(usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX))
        .take(limit as usize)
        .map(|p| p.to_json())
        .collect();
    Ok(Json(json!({
        "status": true,
        "message": "",
        "items": items,
        "page": page,
        "limit": limit,
        "totalPages": total_pages,
    })))
}
