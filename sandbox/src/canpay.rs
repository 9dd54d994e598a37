//! CanPay (کن‌پی): `POST /api/ipg/{token,verify}` with JSON bodies. Verify
//! answers success with the same reference every time it is called for a
//! paid payment, as the document says.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::instrument::{endpoint, Endpoint, TokenFrom};
use crate::{creds, creds2};
use crate::page;
use crate::state::{App, NewPayment, Payment, Status};
use crate::wire::{
    base_url, json_fields, valid_mobile, ApiError, ApiResult, Callback, ErrorKind, Fields, Gw,
};

pub(crate) fn routes(app: &App) -> Router<App> {
    Router::new()
        .route(
            "/canpay/api/ipg/token",
            endpoint(
                app,
                Endpoint::post(Gw::CanPay, "token", TokenFrom::Nothing),
                token,
            ),
        )
        .route(
            "/canpay/api/ipg/verify",
            endpoint(
                app,
                Endpoint::post(Gw::CanPay, "verify", TokenFrom::Field("token")),
                verify,
            ),
        )
        .route(
            "/canpay/ipg/:token",
            endpoint(
                app,
                Endpoint::get(Gw::CanPay, "page", TokenFrom::LastSegment),
                |State(app): State<App>, Path(token): Path<String>| async move {
                    page::show(&app, Gw::CanPay, &token)
                },
            ),
        )
}

/// `{"status":false,"error":…,"code":xxx,"message":"…","description":""}`
pub(crate) fn envelope(e: &ApiError) -> Response {
    let body = json!({
        "status": false,
        "error": e.code.unwrap_or(e.kind.slug()),
        "code": e.status().as_u16(),
        "message": e.message,
        "description": "",
    });
    (e.status(), Json(body)).into_response()
}

fn ok(data: Value) -> Json<Value> {
    Json(json!({ "status": true, "data": data }))
}

fn authorized(headers: &HeaderMap, body: &[u8]) -> ApiResult<Fields> {
    let fields = json_fields(headers, body)?;
    if ![creds::CANPAY_MERCHANT, creds2::CANPAY_MERCHANT].contains(&fields.str("merchant")?) {
        return Err(ApiError::unauthorized("merchant not found"));
    }
    Ok(fields)
}

async fn token(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let f = authorized(&headers, &body)?;
    let amount = f.uint("amount")?;
    if amount == 0 {
        return Err(ApiError::invalid("amount must be positive"));
    }
    let callback_url = f.url("callback_url")?;
    let invoice = f.str("invoice_id")?;
    let mobile = f.opt_str("mobile")?;
    if mobile.is_some_and(|m| !valid_mobile(m)) {
        return Err(ApiError::invalid("mobile must look like 09123456789"));
    }
    let mut st = app.state();
    if st.invoice_taken(Gw::CanPay, invoice) {
        return Err(ApiError::new(
            ErrorKind::Duplicate,
            "invoice_id is already used",
        ));
    }
    let token = st.create_payment(
        Gw::CanPay,
        NewPayment {
            amount,
            callback_url,
            invoice: Some(invoice.to_owned()),
            mobile: mobile.map(str::to_owned),
            description: None,
            allowed_cards: Vec::new(),
            merchant: f.str("merchant")?.to_owned(),
        },
    );
    let url = format!("{}/canpay/ipg/{token}", base_url(&headers));
    Ok(ok(json!({ "url": url, "token": token })))
}

async fn verify(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let f = authorized(&headers, &body)?;
    let token = f.str("token")?;
    let mut st = app.state();
    let payment = st
        .payment(Gw::CanPay, token)
        // Another merchant's token is not found: each merchant sees only its own.
        .filter(|p| p.merchant == f.str("merchant").unwrap_or_default())
        .ok_or_else(|| ApiError::not_found("token not found"))?;
    match payment.status {
        Status::Pending => return Err(ApiError::failed("transaction is not paid")),
        Status::Cancelled => return Err(ApiError::failed("transaction was cancelled")),
        Status::Refunded => return Err(ApiError::failed("transaction was refunded to the payer")),
        Status::Paid => {}
    }
    payment.verify_count += 1;
    let receipt = payment.receipt.as_ref().map(|r| r.reference.clone());
    Ok(ok(
        json!({ "card": payment.masked_card(), "reference": receipt }),
    ))
}

/// A POST (auto-submitted form) with `success`, `token`, `amount`, `invoice_id`.
pub(crate) fn callback(p: &Payment) -> Callback {
    let success = if p.status == Status::Paid { "1" } else { "0" };
    Callback::Post(
        p.callback_url.clone(),
        vec![
            ("success", success.to_owned()),
            ("token", p.token.clone()),
            ("amount", p.amount.to_string()),
            ("invoice_id", p.invoice.clone().unwrap_or_default()),
        ],
    )
}
