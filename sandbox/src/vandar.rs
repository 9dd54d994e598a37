//! Vandar (وندار) IPG v4: `POST /api/v4/{send,transaction,verify}`
//! authenticated by `api_key` in the JSON body, and the page at
//! `GET /v4/{token}`. Verify answers success only once per transaction.
//!
//! The business API (tokens, rate limits, wallet) lives in [`business`].

mod business;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::calendar;
use crate::instrument::{endpoint, Endpoint, TokenFrom};
use crate::{creds, creds2};
use crate::page;
use crate::readings::{Readings, VandarInfoUnpaid, VandarInfoVerified, VandarUnpaidVerify};
use crate::state::{App, NewPayment, Payment, Status};
use crate::wire::{
    json_fields, normalize_card, valid_mobile, valid_national_code, ApiError, ApiResult, Callback, Fields, Gw,
};

pub(crate) fn routes(app: &App) -> Router<App> {
    let post = |op, token| Endpoint::post(Gw::Vandar, op, token);
    Router::new()
        .route(
            "/vandar/ipg/api/v4/send",
            endpoint(app, post("send", TokenFrom::Nothing), send),
        )
        .route(
            "/vandar/ipg/api/v4/transaction",
            endpoint(
                app,
                post("transaction", TokenFrom::Field("token")),
                transaction,
            ),
        )
        .route(
            "/vandar/ipg/api/v4/verify",
            endpoint(app, post("verify", TokenFrom::Field("token")), verify),
        )
        .route(
            "/vandar/ipg/v4/:token",
            endpoint(
                app,
                Endpoint::get(Gw::Vandar, "page", TokenFrom::LastSegment),
                |State(app): State<App>, Path(token): Path<String>| async move {
                    page::show(&app, Gw::Vandar, &token)
                },
            ),
        )
        .merge(business::routes())
}

/// `{"status":0,"errors":["…"]}`, for the IPG and the business API alike.
pub(crate) fn envelope(e: &ApiError) -> Response {
    (
        e.status(),
        Json(json!({ "status": 0, "errors": [e.message] })),
    )
        .into_response()
}

fn authorized(headers: &HeaderMap, body: &[u8]) -> ApiResult<Fields> {
    let fields = json_fields(headers, body)?;
    if ![creds::VANDAR_API_KEY, creds2::VANDAR_API_KEY].contains(&fields.str("api_key")?) {
        return Err(ApiError::unauthorized("api_key is invalid"));
    }
    Ok(fields)
}

async fn send(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let f = authorized(&headers, &body)?;
    let amount = f.uint("amount")?;
    if amount < 1000 {
        return Err(ApiError::invalid("amount must be at least 1000 rial"));
    }
    let callback_url = f.url("callback_url")?;
    let mobile = f.opt_str("mobile_number")?;
    if mobile.is_some_and(|m| !valid_mobile(m)) {
        return Err(ApiError::invalid("mobile_number is invalid"));
    }
    let factor = f.opt_str("factorNumber")?;
    let description = f.opt_str("description")?;
    if description.is_some_and(|d| d.chars().count() > 255) {
        return Err(ApiError::invalid(
            "description may have at most 255 characters",
        ));
    }
    if let Some(code) = f.opt_str("national_code")? {
        if !valid_national_code(code) {
            return Err(ApiError::invalid("national_code is invalid"));
        }
        if mobile.is_none() {
            return Err(ApiError::invalid("national_code needs mobile_number"));
        }
    }
    let cards = f.opt_str_array("valid_card_number")?.unwrap_or_default();
    if cards.len() > 10 {
        return Err(ApiError::invalid(
            "valid_card_number may hold at most 10 cards",
        ));
    }
    let allowed_cards = cards
        .iter()
        .map(|c| {
            normalize_card(c)
                .ok_or_else(|| ApiError::invalid("valid_card_number holds an invalid card"))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    // Only shown in the merchant's dashboard; checked for type, not kept.
    f.opt_str("comment")?;
    if f.opt_str("port")?
        .is_some_and(|p| !matches!(p, "SAMAN" | "BEHPARDAKHT"))
    {
        return Err(ApiError::invalid("port must be SAMAN or BEHPARDAKHT"));
    }
    let token = app.state().create_payment(
        Gw::Vandar,
        NewPayment {
            amount,
            callback_url,
            invoice: factor.map(str::to_owned),
            mobile: mobile.map(str::to_owned),
            description: description.map(str::to_owned),
            allowed_cards,
            merchant: f.str("api_key")?.to_owned(),
        },
    );
    Ok(Json(json!({ "status": 1, "token": token })))
}

/// Our wage model: Vandar keeps 1% (the payer pays no fee, so `amount`
/// equals what was sent and `realAmount = amount - wage`).
fn wage(amount: u64) -> u64 {
    amount / 100
}

/// What transaction info says of a payment: the `code`/`message` it
/// answers, or a refusal. The document shows only `1 "Confirm requierd"`
/// (sic), for a paid payment awaiting verify; everything else is a reading.
fn info_state(p: &Payment, readings: Readings) -> ApiResult<(u8, &'static str)> {
    const CONFIRM: (u8, &str) = (1, "Confirm requierd");
    if p.status == Status::Paid && !p.is_verified() {
        return Ok(CONFIRM);
    }
    if p.is_verified() {
        return match readings.vandar_info_verified {
            VandarInfoVerified::Code1 => Ok(CONFIRM),
            VandarInfoVerified::InventedCodes if p.status == Status::Refunded => Ok((5, "Refunded")),
            VandarInfoVerified::InventedCodes => Ok((2, "Verified")),
            VandarInfoVerified::UnknownCode => Ok((8, "Done")),
            VandarInfoVerified::Refused => Err(ApiError::failed("transaction is verified")),
        };
    }
    match (readings.vandar_info_unpaid, p.status) {
        (VandarInfoUnpaid::Code1, _) => Ok(CONFIRM),
        (VandarInfoUnpaid::InventedCodes, Status::Cancelled) => Ok((3, "Failed")),
        (VandarInfoUnpaid::InventedCodes, Status::Refunded) => Ok((5, "Refunded")),
        (VandarInfoUnpaid::InventedCodes, _) => Ok((4, "Waiting for payment")),
        (VandarInfoUnpaid::Refused, _) => Err(ApiError::failed("transaction is not paid")),
    }
}

/// Vandar's CID: hex SHA-256 of the card number.
fn cid(card: &str) -> String {
    hex::encode_upper(Sha256::digest(card.as_bytes()))
}

async fn transaction(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let f = authorized(&headers, &body)?;
    let token = f.str("token")?;
    let mut st = app.state();
    let run = st.config.readings;
    let p = st
        .payment(Gw::Vandar, token)
        .filter(|p| p.merchant == f.str("api_key").unwrap_or_default())
        .ok_or_else(|| ApiError::not_found("token not found"))?;
    let (code, message) = info_state(p, run.with(&p.readings))?;
    let receipt = p.receipt.as_ref();
    Ok(Json(json!({
        "status": 1,
        "amount": p.amount.to_string(),
        "wage": wage(p.amount).to_string(),
        "shaparakWage": "0",
        "transId": p.trans_id,
        "refnumber": receipt.map(|r| &r.reference),
        "trackingCode": receipt.map(|r| &r.trace),
        "factorNumber": p.invoice,
        "mobile": p.mobile,
        "description": p.description,
        "cardNumber": p.masked_card(),
        "CID": receipt.map(|r| cid(&r.card)),
        "createdAt": calendar::gregorian(p.created_at),
        "paymentDate": receipt.map(|r| calendar::gregorian(r.paid_at)),
        "code": code,
        "message": message,
    })))
}

/// Answers success once; afterwards "already verified". The first verify
/// credits the business wallet with `realAmount`. A verify of a payment not
/// paid is refused; under the reading `spends_answer` it spends the one answer.
async fn verify(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let f = authorized(&headers, &body)?;
    let token = f.str("token")?;
    let mut st = app.state();
    let run = st.config.readings;
    let p = st
        .payment(Gw::Vandar, token)
        // Another merchant's token is not found: each merchant sees only its own.
        .filter(|p| p.merchant == f.str("api_key").unwrap_or_default())
        .ok_or_else(|| ApiError::not_found("token not found"))?;
    if p.is_verified() || p.verify_spent_unpaid {
        return Err(ApiError::failed("transaction is already verified"));
    }
    if p.status != Status::Paid {
        p.verify_refused_unpaid += 1;
        p.verify_spent_unpaid = run.with(&p.readings).vandar_unpaid_verify == VandarUnpaidVerify::SpendsAnswer;
    }
    match p.status {
        Status::Pending => return Err(ApiError::failed("transaction is not paid yet")),
        Status::Cancelled => return Err(ApiError::failed("transaction failed")),
        Status::Refunded => {
            return Err(ApiError::failed(
                "transaction was not verified in time and was refunded",
            ))
        }
        Status::Paid => {}
    }
    p.verify_count = 1;
    let real_amount = p.amount - wage(p.amount);
    let receipt = p.receipt.as_ref();
    let body = json!({
        "status": 1,
        "amount": format!("{}.00", p.amount),
        "realAmount": real_amount,
        "wage": wage(p.amount).to_string(),
        "shaparakWage": "0",
        "transId": p.trans_id,
        "factorNumber": p.invoice,
        "mobile": p.mobile,
        "description": p.description,
        "cardNumber": p.masked_card(),
        "paymentDate": receipt.map(|r| calendar::gregorian(r.paid_at)),
        "cid": receipt.map(|r| cid(&r.card)),
        "message": "ok",
    });
    // The wallet of the business whose IPG key took the payment.
    let business = usize::from(f.str("api_key").unwrap_or_default() == creds2::VANDAR_API_KEY);
    st.vandar[business].credit(real_amount);
    Ok(Json(body))
}

/// A redirect (GET) to `callback_url` with `token` and `payment_status`.
pub(crate) fn callback(p: &Payment) -> Callback {
    let status = if p.status == Status::Paid {
        "OK"
    } else {
        "FAILED"
    };
    Callback::get(
        &p.callback_url,
        &[("token", &p.token), ("payment_status", status)],
    )
}
