//! Mupra (ماپرا): `POST /restapi/api/ipg/<call>` with a JSON body whose
//! fields are all strings (amount included); answers in the
//! `{"code","message","result"}` envelope.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::instrument::{endpoint, Endpoint, TokenFrom};
use crate::{creds, creds2};
use crate::page;
use crate::readings::{MupraFirstVerify, MupraUnpaidVerify, RepeatVerify};
use crate::state::{random_number, App, NewPayment, Payment, Status};
use crate::wire::{
    base_url, json_fields, valid_iban, valid_mobile, ApiError, ApiResult, Callback, ErrorKind, Fields, Gw,
};

const SUCCESS: &str = "عملیات با موفقیت انجام شد";
const PREFIX: &str = "/mupra/restapi/api/ipg";

pub(crate) fn routes(app: &App) -> Router<App> {
    let post = |op, token| Endpoint::post(Gw::Mupra, op, token);
    Router::new()
        .route(
            &format!("{PREFIX}/getBalance"),
            endpoint(app, post("balance", TokenFrom::Nothing), balance),
        )
        .route(
            &format!("{PREFIX}/send/json"),
            endpoint(app, post("send", TokenFrom::Nothing), send),
        )
        .route(
            &format!("{PREFIX}/verify/json"),
            endpoint(app, post("verify", TokenFrom::Field("token")), verify),
        )
        .route(
            &format!("{PREFIX}/trx/json"),
            endpoint(app, post("trx", TokenFrom::Nothing), trx),
        )
        .route(
            &format!("{PREFIX}/transfer/paya"),
            endpoint(app, post("paya", TokenFrom::Nothing), paya),
        )
        .route(
            "/mupra/directIpg/:token",
            endpoint(
                app,
                Endpoint::get(Gw::Mupra, "page", TokenFrom::LastSegment),
                |State(app): State<App>, Path(token): Path<String>| async move {
                    page::show(&app, Gw::Mupra, &token)
                },
            ),
        )
}

/// Every Mupra error is code 100 with a message saying why.
pub(crate) fn envelope(e: &ApiError) -> Response {
    (
        e.status(),
        Json(json!({ "code": 100, "message": e.message })),
    )
        .into_response()
}

fn ok(result: Value) -> Json<Value> {
    Json(json!({ "code": 0, "message": SUCCESS, "result": result }))
}

/// Parses the body and checks `api_key` before anything else.
fn authorized(headers: &HeaderMap, body: &[u8]) -> ApiResult<Fields> {
    let fields = json_fields(headers, body)?;
    if ![creds::MUPRA_API_KEY, creds2::MUPRA_API_KEY].contains(&fields.str("api_key")?) {
        return Err(ApiError::unauthorized("ApiKey_Not_Found"));
    }
    Ok(fields)
}

async fn balance(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    authorized(&headers, &body)?;
    Ok(ok(json!({ "balance": app.state().mupra.balance })))
}

async fn send(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let f = authorized(&headers, &body)?;
    let amount = f.digits("amount")?;
    if amount == 0 {
        return Err(ApiError::invalid("amount must be positive"));
    }
    let callback_url = f.url("callback_url")?;
    let factor = f.str("factorNumber")?;
    let mobile = f.opt_str("mobile_number")?;
    if mobile.is_some_and(|m| !valid_mobile(m)) {
        return Err(ApiError::invalid("mobile_number is invalid"));
    }
    let description = f.opt_str("description")?;

    let mut st = app.state();
    if st.invoice_taken(Gw::Mupra, factor) {
        return Err(ApiError::new(
            ErrorKind::Duplicate,
            "duplicate factor number",
        ));
    }
    let token = st.create_payment(
        Gw::Mupra,
        NewPayment {
            amount,
            callback_url,
            invoice: Some(factor.to_owned()),
            mobile: mobile.map(str::to_owned),
            description: description.map(str::to_owned),
            allowed_cards: Vec::new(),
            merchant: f.str("api_key")?.to_owned(),
        },
    );
    // The payment URL is the result; its last path segment is the token.
    Ok(ok(json!(format!(
        "{}/mupra/directIpg/{token}",
        base_url(&headers)
    ))))
}

/// Repeatable: answers the payment's current state each time. The first
/// verify of a paid payment credits the merchant's balance. Where the
/// document is silent, the readings decide: `repeat_verify` (refused after
/// the first), `mupra_unpaid_verify` (refused for good after a `paid: false`)
/// and `mupra_first_verify` (the first processed, its answer a refusal).
async fn verify(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let f = authorized(&headers, &body)?;
    let token = f.str("token")?;
    let mut st = app.state();
    let run = st.config.readings;
    let payment = st
        .payment(Gw::Mupra, token)
        // Another merchant's token is not found: each merchant sees only its own.
        .filter(|p| p.merchant == f.str("api_key").unwrap_or_default())
        .ok_or_else(|| ApiError::not_found("Token_Not_Found"))?;
    let readings = run.with(&payment.readings);
    if payment.verify_spent_unpaid {
        return Err(ApiError::failed("token already used"));
    }
    if readings.repeat_verify == RepeatVerify::Refused && payment.is_verified() {
        return Err(ApiError::failed("already verified"));
    }
    let paid = payment.status == Status::Paid;
    let first = paid && !payment.is_verified();
    if paid {
        payment.verify_count += 1;
    } else if readings.mupra_unpaid_verify == MupraUnpaidVerify::RefusesLater {
        payment.verify_spent_unpaid = true;
    }
    let result = json!({
        "maskedPan": payment.masked_card().unwrap_or_default(),
        "transId": payment.trans_id.to_string(),
        "paid": paid,
        "status": u8::from(paid),
    });
    if first {
        let amount = payment.amount;
        st.mupra.balance += amount;
        if readings.mupra_first_verify == MupraFirstVerify::ProcessedAndRefused {
            // Verified and credited above; the success body is what is lost.
            return Err(ApiError::failed("already verified"));
        }
    }
    Ok(ok(result))
}

async fn trx(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let f = authorized(&headers, &body)?;
    let page = f.opt_digits("page")?.unwrap_or(0);
    let page_size = f.opt_digits("pageSize")?.unwrap_or(10);
    if page_size == 0 || page_size > 100 {
        return Err(ApiError::invalid("pageSize must be between 1 and 100"));
    }
    let mut st = app.state();
    let all = st.payments_of(Gw::Mupra);
    let count = all.len() as u64;
    let total_pages = count.div_ceil(page_size);
    let list: Vec<Value> = all
        .into_iter()
        .skip(usize::try_from(page.saturating_mul(page_size)).unwrap_or(usize::MAX))
        .take(page_size as usize)
        .map(trx_item)
        .collect();
    Ok(ok(json!({
        "startPage": page,
        "resultCount": count,
        "totalPage": total_pages,
        "endPage": total_pages.saturating_sub(1),
        "selectedPageSize": page_size,
        "resultList": list,
    })))
}

fn trx_item(p: &Payment) -> Value {
    let paid = p.status == Status::Paid;
    json!({
        // The document prints amounts with decimals (1000.00).
        "amount": p.amount as f64,
        "maskedPan": p.masked_card().unwrap_or_default(),
        "transId": p.trans_id.to_string(),
        "factorNumber": p.invoice,
        "paid": paid,
        "description": p.description,
        "verify": paid && p.is_verified(),
        "callbackUrl": p.callback_url.as_str(),
        "mobileNo": p.mobile,
    })
}

async fn paya(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let f = authorized(&headers, &body)?;
    let amount = f.digits("amount")?;
    if amount == 0 {
        return Err(ApiError::invalid("amount must be positive"));
    }
    let iban = f.str("iban")?;
    if !valid_iban(iban) {
        return Err(ApiError::invalid("invalid iban"));
    }
    let cif = f.str("cif")?;
    let description = f.opt_str("description")?;
    let mut st = app.state();
    let Some(rest) = st.mupra.balance.checked_sub(amount) else {
        return Err(ApiError::failed("insufficient balance"));
    };
    st.mupra.balance = rest;
    Ok(ok(json!({
        "transferId": random_number(12).to_string(),
        "amount": amount,
        "iban": iban,
        "cif": cif,
        "description": description,
        "balance": rest,
    })))
}

/// The document is silent on the callback; our choice is a redirect (GET)
/// to `callback_url` with `token` and `status=OK|FAILED`.
pub(crate) fn callback(p: &Payment) -> Callback {
    let status = if p.status == Status::Paid {
        "OK"
    } else {
        "FAILED"
    };
    Callback::get(&p.callback_url, &[("token", &p.token), ("status", status)])
}
