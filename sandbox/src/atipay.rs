//! AtiPay MIPG (آتی‌پی): `POST /v1/get-token` and `/v1/verify-payment` with
//! JSON bodies, and `POST /v1/redirect-to-gateway` (a form carrying the
//! token) which shows the payment page.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::instrument::{endpoint, Endpoint, TokenFrom};
use crate::{creds, creds2};
use crate::page;
use crate::state::{App, NewPayment, Payment, Status};
use crate::readings::RepeatVerify;
use crate::wire::{form_fields, json_fields, peek_field, valid_mobile, ApiError, ApiResult, Callback, ErrorKind, Gw};

pub(crate) fn routes(app: &App) -> Router<App> {
    let post = |op, token| Endpoint::post(Gw::AtiPay, op, token);
    Router::new()
        .route(
            "/atipay/v1/get-token",
            endpoint(app, post("get-token", TokenFrom::Nothing), get_token),
        )
        .route(
            "/atipay/v1/verify-payment",
            endpoint(
                app,
                post("verify-payment", TokenFrom::Lookup(verified_token)),
                verify_payment,
            ),
        )
        .route(
            "/atipay/v1/redirect-to-gateway",
            endpoint(
                app,
                post("redirect", TokenFrom::Field("token")),
                redirect_to_gateway,
            ),
        )
}

/// `{"status":"Failed","token":null,"errorCode":"…","errorDescription":"…"}`.
/// Codes reuse the names of the document's table 1 where one fits.
pub(crate) fn envelope(e: &ApiError) -> Response {
    let code = e.code.unwrap_or(match e.kind {
        ErrorKind::Invalid => "InvalidParameters",
        ErrorKind::Unauthorized => "InvalidApiKey",
        ErrorKind::Duplicate => "DuplicateInvoiceNumber",
        ErrorKind::NotFound => "TokenNotFound",
        ErrorKind::Failed => "Failed",
        other => other.slug(),
    });
    let body = json!({ "status": "Failed", "token": null, "errorCode": code, "errorDescription": e.message });
    (e.status(), Json(body)).into_response()
}

fn check_api_key(key: &str) -> ApiResult<()> {
    if terminal_of(key).is_some() {
        Ok(())
    } else {
        Err(ApiError::unauthorized("apiKey is not valid"))
    }
}

/// The terminal of the merchant with this apiKey.
fn terminal_of(key: &str) -> Option<&'static str> {
    [(creds::ATIPAY_API_KEY, creds::ATIPAY_TERMINAL_ID), (creds2::ATIPAY_API_KEY, creds2::ATIPAY_TERMINAL_ID)]
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, terminal)| terminal)
}

async fn get_token(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let f = json_fields(&headers, &body)?;
    check_api_key(f.str("apiKey")?)?;
    let amount = f.uint("amount")?;
    if amount == 0 {
        return Err(ApiError::invalid("amount must be positive"));
    }
    let cell = f.str("cellNumber")?;
    if !valid_mobile(cell) {
        return Err(ApiError::invalid("cellNumber must look like 09123456789"));
    }
    let description = f.opt_str("description")?;
    let invoice = f.str("invoiceNumber")?;
    let redirect_url = f.url("redirectUrl")?;
    let mut st = app.state();
    if st.invoice_taken(Gw::AtiPay, invoice) {
        return Err(ApiError::new(
            ErrorKind::Duplicate,
            "invoiceNumber is already used",
        ));
    }
    let token = st.create_payment(
        Gw::AtiPay,
        NewPayment {
            amount,
            callback_url: redirect_url,
            invoice: Some(invoice.to_owned()),
            mobile: Some(cell.to_owned()),
            description: description.map(str::to_owned),
            allowed_cards: Vec::new(),
            merchant: f.str("apiKey")?.to_owned(),
        },
    );
    Ok(Json(
        json!({ "status": "OK", "token": token, "errorCode": null, "errorDescription": null }),
    ))
}

/// The customer's browser posts the token here (a form, not JSON); the
/// answer is the payment page itself, so errors are pages too.
async fn redirect_to_gateway(State(app): State<App>, body: Bytes) -> Response {
    match form_fields(&body).opt_str("token").ok().flatten() {
        Some(token) => page::show(&app, Gw::AtiPay, token),
        None => page::message(StatusCode::BAD_REQUEST, "Bad request", "TokenRequired"),
    }
}

/// Repeatable: answers the amount each time for a paid payment.
async fn verify_payment(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let f = json_fields(&headers, &body)?;
    let key = f.str("apiKey")?;
    check_api_key(key)?;
    if Some(f.str("terminalId")?) != terminal_of(key) {
        return Err(
            ApiError::new(ErrorKind::Forbidden, "terminal not found").with_code("TerminalNotFound")
        );
    }
    let reference = f.str("referenceNumber")?;
    let mut st = app.state();
    let run = st.config.readings;
    let payment = st
        // Another merchant's receipt is not found: each terminal sees only its own.
        .find_payment(Gw::AtiPay, |p| {
            p.merchant == key && p.receipt.as_ref().is_some_and(|r| r.reference == reference)
        })
        .ok_or_else(|| {
            ApiError::not_found("referenceNumber not found").with_code("ReferenceNotFound")
        })?;
    if payment.status == Status::Refunded {
        return Err(ApiError::failed("payment was returned to the buyer").with_code("Refunded"));
    }
    if run.with(&payment.readings).repeat_verify == RepeatVerify::Refused && payment.is_verified() {
        return Err(ApiError::failed("payment is already verified").with_code("AlreadyVerified"));
    }
    payment.verify_count += 1;
    Ok(Json(json!({ "amount": payment.amount })))
}

/// For stats: which payment a verify-payment call (its body) is about.
fn verified_token(app: &App, body: &[u8]) -> Option<String> {
    let reference = peek_field(body, "referenceNumber")?;
    let mut st = app.state();
    st.find_payment(Gw::AtiPay, |p| {
        p.receipt.as_ref().is_some_and(|r| r.reference == reference)
    })
    .map(|p| p.token.clone())
}

/// A POST (auto-submitted form) with state, status, referenceNumber,
/// reservationNumber, terminalId, traceNumber. The document leaves the
/// status of OK blank; we send 2, the gap in its numbering.
pub(crate) fn callback(p: &Payment) -> Callback {
    let paid = p.status == Status::Paid;
    let (state, status) = if paid {
        ("OK", "2")
    } else {
        ("CanceledByUser", "1")
    };
    let receipt = p.receipt.as_ref();
    Callback::Post(
        p.callback_url.clone(),
        vec![
            ("state", state.to_owned()),
            ("status", status.to_owned()),
            (
                "referenceNumber",
                receipt.map(|r| r.reference.clone()).unwrap_or_default(),
            ),
            ("reservationNumber", p.invoice.clone().unwrap_or_default()),
            ("terminalId", terminal_of(&p.merchant).unwrap_or_default().to_owned()),
            (
                "traceNumber",
                receipt.map(|r| r.trace.clone()).unwrap_or_default(),
            ),
        ],
    )
}
