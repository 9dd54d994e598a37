//! Vandar's business API (api.vandar.io, batch.vandar.io,
//! subscription.vandar.io, mounted under `/vandar/api`, `/vandar/batch`,
//! `/vandar/subscription`): bearer tokens with single-use refresh tokens,
//! rate limits, a wallet with settlements and IPG refunds. Every other
//! documented endpoint answers an echo of what it was called with.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};

use crate::calendar;
use crate::instrument::instrumented;
use crate::readings::VandarRefresh;
use crate::server::ConnKill;
use crate::state::{random_alnum, random_number, Account, App, Settlement, SettlementStatus, State as Sandbox, Status};
use crate::wire::{json_fields, valid_iban, ApiError, ApiResult, ErrorKind, Gw};

/// What a matched endpoint does. Everything not listed here is `Echo`.
#[derive(Clone, Copy)]
enum Kind {
    Echo,
    Balance,
    Transactions,
    SettlementStore,
    SettlementList,
    SettlementShow,
    SettlementCancel,
    SettlementBanks,
    IpgRefund,
}

/// A documented endpoint, its path relative to `/vandar`. `/api` is
/// api.vandar.io, `/batch` batch.vandar.io, `/subscription`
/// subscription.vandar.io.
struct Route {
    method: &'static str,
    pattern: &'static str,
    kind: Kind,
}

const fn r(method: &'static str, pattern: &'static str) -> Route {
    Route {
        method,
        pattern,
        kind: Kind::Echo,
    }
}

const fn s(method: &'static str, pattern: &'static str, kind: Kind) -> Route {
    Route {
        method,
        pattern,
        kind,
    }
}

/// Every business endpoint of the document. First match wins, so the more
/// specific of two overlapping patterns comes first.
static ROUTES: &[Route] = &[
    // Settlement
    s("POST", "/api/v3/business/:business/settlement/store", Kind::SettlementStore),
    s("GET", "/api/v2.1/business/:business/settlement", Kind::SettlementList),
    s("GET", "/api/v2.1/business/:business/settlement/:settlement_id", Kind::SettlementShow),
    s("DELETE", "/api/v2.1/business/:business/settlement/:transaction_id", Kind::SettlementCancel),
    s("GET", "/api/v3/business/:business/settlement/banks", Kind::SettlementBanks),
    // Batch settlement
    r("POST", "/batch/api/v2/business/:business/batches-settlement"),
    r("GET", "/batch/api/v2/business/:business/batches"),
    r("GET", "/batch/api/v2/business/:business/batch-settlements/:batch_id"),
    // Queued settlement
    r("POST", "/api/v3/business/:business/settlement/queued/cancel"),
    r("POST", "/api/v3/business/:business/settlement/queued"),
    r("GET", "/api/v3/business/:business/settlement/queued"),
    r("GET", "/api/v3/business/:business/settlement/queued/:id"),
    // Cash-in
    r("GET", "/api/v3/business/:business/cash-in/account"),
    r("POST", "/api/v3/business/:business/cash-in/account/deposit"),
    r("POST", "/api/v3/business/:business/cash-in/account/balance"),
    r("GET", "/api/v3/business/:business/cash-in/code"),
    r("GET", "/api/v3/business/:business/cash-in/pic/transactions"),
    r("GET", "/api/v3/business/:business/cash-in/suspicious-payment"),
    r("POST", "/api/v3/business/:business/cash-in/suspicious-payment/:id"),
    // Direct debit (subscription)
    r("GET", "/api/v3/business/:business/subscription/banks/actives"),
    r("POST", "/api/v3/business/:business/subscription/authorization/store"),
    r("GET", "/subscription/authorizations/:token"),
    r("PATCH", "/api/v3/business/:business/subscription/authorization/:authorization_id/verify"),
    r("GET", "/api/v3/business/:business/subscription/authorization/:authorization_id/search"),
    r("GET", "/api/v3/business/:business/subscription/authorization"),
    r("GET", "/api/v3/business/:business/subscription/authorization/:authorization_id/calculation"),
    r("DELETE", "/api/v3/business/:business/subscription/authorization/:authorization_id"),
    r("POST", "/api/v3/business/:business/subscription/withdrawal/store"),
    r("GET", "/api/v3/business/:business/subscription/withdrawal/track-id/:track_id"),
    r("GET", "/api/v3/business/:business/subscription/withdrawal/:withdrawal_id"),
    r("GET", "/api/v3/business/:business/subscription/withdrawal?q=:authorization_id"),
    r("GET", "/api/v3/business/:business/subscription/withdrawal"),
    r("PUT", "/api/v3/business/:business/subscription/withdrawal/:withdrawal_id"),
    r("POST", "/api/v3/business/:business/subscription/refunds"),
    r("GET", "/api/v3/business/:business/subscription/refunds/:refund_id"),
    r("GET", "/api/v3/business/:business/subscription/refunds"),
    // Escrow (Miando), on api.vandar.io
    r("POST", "/api/miando/api/v1/customers"),
    r("GET", "/api/miando/api/v1/customers"),
    r("GET", "/api/miando/api/v1/customers/:id"),
    r("POST", "/api/miando/api/v1/agreements"),
    r("POST", "/api/miando/api/v1/agreements/:tracking_code"),
    r("POST", "/api/miando/api/v1/agreements/:tracking_code/finalize"),
    r("POST", "/api/miando/api/v1/agreements/:tracking_code/cancel"),
    r("GET", "/api/miando/api/v1/agreements"),
    r("GET", "/api/miando/api/v1/agreements/:tracking_code"),
    r("POST", "/api/miando/api/v1/tickets"),
    // Customers (custom fields before `:customer`, which would swallow them)
    r("GET", "/api/v2/business/:business/customers/fields"),
    r("POST", "/api/v2/business/:business/customers/fields"),
    r("PUT", "/api/v2/business/:business/customers/fields/:field_id"),
    r("DELETE", "/api/v2/business/:business/customers/fields/:field_id"),
    r("GET", "/api/v2/business/:business/customers/fields/:field_id"),
    r("GET", "/api/v2/business/:business/customers"),
    r("POST", "/api/v2/business/:business/customers"),
    r("PUT", "/api/v2/business/:business/customers/:customer"),
    r("DELETE", "/api/v2/business/:business/customers/:customer"),
    r("GET", "/api/v2/business/:business/customers/:customer"),
    r("GET", "/api/v2/business/:business/customers/:customer/wallet"),
    r("POST", "/api/v2/business/:business/customers/:customer/wallet/deposit"),
    r("POST", "/api/v2/business/:business/customers/:customer/wallet/withdraw"),
    r("POST", "/api/v2/business/:business/customers/:customer/transactions"),
    r("POST", "/api/v3/business/:business/customers/:customer/ibans"),
    r("GET", "/api/v3/business/:business/customers/:customer/ibans"),
    r("DELETE", "/api/v3/business/:business/customers/:customer/ibans"),
    r("POST", "/api/v3/business/:business/customers/:customer/ibans/:iban/inquiry"),
    r("POST", "/api/v3/business/:business/customers/:customer/ibans/:iban/set-default"),
    r("POST", "/api/v3/business/:business/customers/:customer/cards/to-iban"),
    r("POST", "/api/v3/business/:business/customers/:customer/cards"),
    r("GET", "/api/v3/business/:business/customers/:customer/cards"),
    r("DELETE", "/api/v3/business/:business/customers/:customer/cards/:card"),
    r("POST", "/api/v3/business/:business/customers/:customer/cards/:card/inquiry"),
    r("POST", "/api/v3/business/:business/customers/:customer/cards/:card/set-default"),
    r("POST", "/api/v3/business/:business/customers/authentication/kyc"),
    r("POST", "/api/v3/business/:business/customers/authentication/shahkar"),
    r("POST", "/api/v3/business/:business/customers/:customer/authentication/kyc"),
    r("POST", "/api/v3/business/:business/customers/:customer/authentication/shahkar"),
    // The document writes `/v2/business/:customer/customers/:customer/logs`;
    // the first `:customer` sits where every other path has the business.
    r("POST", "/api/v2/business/:business/customers/:customer/logs"),
    r("GET", "/api/v3/business/:business/customers/:customer/cash-in-code"),
    // Inquiries
    r("POST", "/api/v3/business/:business/customers/inquiry/nid"),
    r("POST", "/api/v3/business/:business/customers/inquiry/nid-image"),
    r("POST", "/api/v3/business/:business/customers/inquiry/fida"),
    r("POST", "/api/v3/business/:business/customers/inquiry/postal-code"),
    r("POST", "/api/v3/business/:business/customers/national-code-iban-inquiry"),
    r("POST", "/api/v3/business/:business/customers/match-mobile-card"),
    // Statement
    s("GET", "/api/v2/business/:business/balance", Kind::Balance),
    s("GET", "/api/v3/business/:business/transaction", Kind::Transactions),
    // Business
    r("GET", "/api/v2/business/:business"),
    r("GET", "/api/v2/business/:business/iam"),
    // IPG refund
    s("POST", "/api/v3/business/:business/transaction/:transaction_id/refund", Kind::IpgRefund),
    // Ravand card issuing
    r("POST", "/api/v1/business/:business/ravand/set-config"),
    r("GET", "/api/v1/business/:business/ravand/provinces"),
    r("GET", "/api/v1/business/:business/ravand/cities"),
    r("GET", "/api/v1/business/:business/ravand/guilds"),
    r("GET", "/api/v1/business/:business/ravand/educations"),
    r("GET", "/api/v1/business/:business/ravand/occupations"),
    r("GET", "/api/v1/business/:business/ravand/reasons"),
    r("POST", "/api/v1/business/:business/ravand/provider/:provider/cardholder"),
    r("PUT", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id"),
    r("GET", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/video-caption"),
    r("POST", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/upload"),
    r("POST", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/finalize"),
    r("GET", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/inquiry"),
    r("POST", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/token"),
    r("GET", "/api/v1/redirect/:token"),
    r("GET", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/accounts-info"),
    r("POST", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/balance"),
    r("GET", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/bank-statement"),
    r("POST", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/transfer"),
    r("POST", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/transfer/retry-otp"),
    r("POST", "/api/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/transfer/confirm-otp"),
];

type Params = Vec<(&'static str, String)>;

impl Route {
    /// The path parameters if `method path?query` is this route. A pattern
    /// may require a query parameter (`withdrawal?q=:authorization_id`).
    fn matches(&self, method: &Method, path: &str, query: Option<&str>) -> Option<Params> {
        if method.as_str() != self.method {
            return None;
        }
        let (pattern, wanted_query) = match self.pattern.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (self.pattern, None),
        };
        let mut params = Vec::new();
        let (mut want, mut got) = (pattern.split('/'), path.split('/'));
        loop {
            match (want.next(), got.next()) {
                (None, None) => break,
                (Some(w), Some(g)) => match w.strip_prefix(':') {
                    Some(name) if !g.is_empty() => params.push((name, g.to_owned())),
                    None if w == g => {}
                    _ => return None,
                },
                _ => return None,
            }
        }
        if let Some(wanted) = wanted_query {
            let (key, name) = wanted.split_once("=:")?;
            let value = url::form_urlencoded::parse(query?.as_bytes())
                .find(|(k, _)| k == key)?
                .1;
            params.push((name, value.into_owned()));
        }
        Some(params)
    }
}

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/vandar/api/*rest", any(dispatch))
        .route("/vandar/batch/*rest", any(dispatch))
        .route("/vandar/subscription/*rest", any(dispatch))
}

/// Counted as `vandar.business` plus `vandar.business:<METHOD> <pattern>`
/// (or `vandar.refreshtoken`); faults may target either name.
async fn dispatch(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    kill: Option<Extension<ConnKill>>,
    body: Bytes,
) -> Response {
    let kill = kill.map(|Extension(k)| k);
    let path = uri.path().strip_prefix("/vandar").unwrap_or(uri.path());
    if path == "/api/v3/refreshtoken" {
        let names = vec!["vandar.refreshtoken".to_owned()];
        // Counted per business: the one whose refresh token is presented.
        let business = {
            let st = app.state();
            st.vandar[Account::of_refresh(&st.vandar, &body)].business.to_owned()
        };
        let handler = async { refresh(&app, &method, &headers, &body).into_response() };
        return instrumented(&app, Gw::Vandar, names, None, Some(business), kill, handler).await;
    }
    let matched = ROUTES.iter().find_map(|route| {
        route
            .matches(&method, path, uri.query())
            .map(|params| (route, params))
    });
    let mut names = vec!["vandar.business".to_owned()];
    if let Some((route, _)) = &matched {
        names.push(format!(
            "vandar.business:{} {}",
            route.method, route.pattern
        ));
    }
    let business = {
        let st = app.state();
        st.vandar[Account::of_bearer(&st.vandar, &headers)].business.to_owned()
    };
    let handler = async { handle(&app, &method, &headers, matched, &body).into_response() };
    instrumented(&app, Gw::Vandar, names, None, Some(business), kill, handler).await
}

/// Rate limit, then authentication, then the endpoint.
fn handle(
    app: &App,
    method: &Method,
    headers: &HeaderMap,
    matched: Option<(&Route, Params)>,
    body: &[u8],
) -> ApiResult<Json<Value>> {
    let mut st = app.state();
    // Each business has its own tokens and its own rate windows.
    let acct = Account::of_bearer(&st.vandar, headers);
    if st.config.rate_limits {
        st.vandar[acct].admit(method)?;
    }
    st.vandar[acct].authenticate(headers)?;
    let (route, params) = matched.ok_or_else(|| ApiError::not_found("not found"))?;
    let business = st.vandar[acct].business;
    if params
        .iter()
        .any(|(name, value)| *name == "business" && value != business)
    {
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            "this token may not act for that business",
        ));
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    match route.kind {
        Kind::Echo => {
            let body = if body.is_empty() {
                Value::Null
            } else {
                Value::Object(json_fields(headers, body)?.into_map())
            };
            let params: Map<String, Value> = params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
                .collect();
            Ok(ok(
                json!({ "endpoint": route.pattern, "params": params, "body": body }),
            ))
        }
        Kind::Balance => Ok(ok(
            json!({ "wallet": st.vandar[acct].balance, "currency": "IRR" }),
        )),
        Kind::Transactions => Ok(ok(transactions(&mut st, acct))),
        Kind::SettlementStore => settlement_store(&mut st, acct, headers, body),
        Kind::SettlementList => {
            let list: Vec<Value> = st
                .vandar[acct]
                .settlements
                .iter()
                .rev()
                .map(Settlement::to_json)
                .collect();
            Ok(ok(json!({ "settlements": list })))
        }
        Kind::SettlementShow => st
            .vandar[acct]
            .settlements
            .iter()
            .find(|s| s.id == param("settlement_id"))
            .map(|s| ok(json!({ "settlement": s.to_json() })))
            .ok_or_else(|| ApiError::not_found("settlement not found")),
        Kind::SettlementCancel => settlement_cancel(&mut st, acct, param("transaction_id")),
        Kind::SettlementBanks => Ok(ok(json!({ "banks": [
            { "code": "017", "name": "بانک ملی ایران" },
            { "code": "054", "name": "بانک پارسیان" },
            { "code": "056", "name": "بانک سامان" },
            { "code": "057", "name": "بانک پاسارگاد" },
            { "code": "062", "name": "بانک آینده" },
        ] }))),
        Kind::IpgRefund => ipg_refund(&mut st, acct, param("transaction_id")),
    }
}

fn ok(data: Value) -> Json<Value> {
    Json(json!({ "status": 1, "data": data }))
}

/// `POST /v3/refreshtoken {"refreshtoken":"…"}`: a new pair; the presented
/// refresh token is spent. Older access tokens keep working until their own
/// expiry (the document is silent on them), or die now in the fault mode.
fn refresh(app: &App, method: &Method, headers: &HeaderMap, body: &[u8]) -> ApiResult<Json<Value>> {
    let mut st = app.state();
    let acct = Account::of_refresh(&st.vandar, body);
    if st.config.rate_limits {
        st.vandar[acct].admit(method)?;
    }
    if method != Method::POST {
        return Err(ApiError::new(
            ErrorKind::MethodNotAllowed,
            "method not allowed; use POST",
        ));
    }
    let f = json_fields(headers, body)?;
    if f.str("refreshtoken")? != st.vandar[acct].refresh_token {
        return Err(ApiError::unauthorized(
            "refresh token is invalid or already used",
        ));
    }
    let lifetime = st.config.vandar_token_lifetime;
    let access = random_alnum(40);
    let refresh = format!("def50200{}", random_alnum(56));
    if st.config.readings.vandar_refresh == VandarRefresh::RevokesAccessTokens {
        // Fault mode: the document does not say older access tokens die here.
        st.vandar[acct].access_tokens.clear();
    }
    st.vandar[acct]
        .access_tokens
        .insert(access.clone(), Instant::now() + lifetime);
    st.vandar[acct].refresh_token = refresh.clone();
    Ok(Json(json!({
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "access_token": access,
        "refresh_token": refresh,
    })))
}

/// The wallet statement: verified IPG payments in, settlements out.
fn transactions(st: &mut Sandbox, acct: usize) -> Value {
    let key = st.vandar[acct].ipg_api_key;
    let mut list: Vec<Value> = st
        .payments_of(Gw::Vandar)
        .into_iter()
        .filter(|p| p.is_verified() && p.merchant == key)
        .map(|p| {
            json!({
                "id": p.trans_id,
                "type": "ipg",
                "amount": p.amount,
                "status": if p.status == Status::Refunded { "refunded" } else { "succeeded" },
                "factor_number": p.invoice,
                "card_number": p.masked_card(),
                "created_at": calendar::gregorian(p.created_at),
            })
        })
        .collect();
    list.extend(st.vandar[acct].settlements.iter().rev().map(|s| {
        json!({
            "id": s.transaction_id,
            "type": "settlement",
            "amount": -(s.amount as i64),
            "status": if s.status == SettlementStatus::Canceled { "canceled" } else { "pending" },
            "created_at": calendar::gregorian(s.created_at),
        })
    }));
    json!({ "transactions": list })
}

fn settlement_store(st: &mut Sandbox, acct: usize, headers: &HeaderMap, body: &[u8]) -> ApiResult<Json<Value>> {
    let f = json_fields(headers, body)?;
    let amount = f.uint("amount")?;
    if amount < 1000 {
        return Err(ApiError::invalid("amount must be at least 1000 rial"));
    }
    let iban = f.str("iban")?;
    if !valid_iban(iban) {
        return Err(ApiError::invalid("iban is invalid"));
    }
    let track_id = f.opt_str("track_id")?;
    let description = f.opt_str("description")?;
    let account = &mut st.vandar[acct];
    if track_id.is_some_and(|t| {
        account
            .settlements
            .iter()
            .any(|s| s.track_id.as_deref() == Some(t))
    }) {
        return Err(ApiError::invalid("track_id is already used"));
    }
    account.balance = account
        .balance
        .checked_sub(amount)
        .ok_or_else(|| ApiError::failed("insufficient wallet balance"))?;
    let settlement = Settlement {
        id: random_alnum(24).to_lowercase(),
        transaction_id: random_number(12),
        amount,
        iban: iban.to_owned(),
        track_id: track_id.map(str::to_owned),
        description: description.map(str::to_owned),
        status: SettlementStatus::Pending,
        created_at: calendar::tehran_now(),
    };
    let json = settlement.to_json();
    account.settlements.push(settlement);
    Ok(ok(json!({ "settlement": json })))
}

/// Cancels a pending settlement (by its transaction id) and gives the money
/// back to the wallet.
fn settlement_cancel(st: &mut Sandbox, acct: usize, transaction_id: &str) -> ApiResult<Json<Value>> {
    let account = &mut st.vandar[acct];
    let settlement = account
        .settlements
        .iter_mut()
        .find(|s| s.transaction_id.to_string() == transaction_id)
        .ok_or_else(|| ApiError::not_found("settlement not found"))?;
    if settlement.status == SettlementStatus::Canceled {
        return Err(ApiError::failed("settlement is already canceled"));
    }
    settlement.status = SettlementStatus::Canceled;
    let json = settlement.to_json();
    account.balance += settlement.amount;
    Ok(ok(json!({ "settlement": json })))
}

/// Pays a verified IPG transaction back to the payer's card, out of the wallet.
fn ipg_refund(st: &mut Sandbox, acct: usize, transaction_id: &str) -> ApiResult<Json<Value>> {
    let id: u64 = transaction_id
        .parse()
        .map_err(|_| ApiError::invalid("transaction_id must be a number"))?;
    let (balance, key) = (st.vandar[acct].balance, st.vandar[acct].ipg_api_key);
    let payment = st
        // Only this business's own IPG transactions.
        .find_payment(Gw::Vandar, |p| p.trans_id == id && p.merchant == key)
        .ok_or_else(|| ApiError::not_found("transaction not found"))?;
    if payment.status == Status::Refunded {
        return Err(ApiError::failed("transaction is already refunded"));
    }
    if payment.status != Status::Paid || !payment.is_verified() {
        return Err(ApiError::failed(
            "only a successful (verified) transaction can be refunded",
        ));
    }
    let amount = payment.amount;
    if amount > balance {
        return Err(ApiError::failed("insufficient wallet balance"));
    }
    payment.status = Status::Refunded;
    st.vandar[acct].balance -= amount;
    Ok(ok(json!({
        "refund_id": random_number(12),
        "transaction_id": id,
        "amount": amount,
        "status": "DONE",
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(method: Method, path: &str, query: Option<&str>) -> Option<(&'static str, Params)> {
        ROUTES
            .iter()
            .find_map(|r| r.matches(&method, path, query).map(|p| (r.pattern, p)))
    }

    #[test]
    fn patterns_match_with_params() {
        let (pattern, params) =
            find(Method::GET, "/api/v2.1/business/shop/settlement/abc", None).unwrap();
        assert_eq!(
            pattern,
            "/api/v2.1/business/:business/settlement/:settlement_id"
        );
        assert_eq!(
            params,
            vec![
                ("business", "shop".to_owned()),
                ("settlement_id", "abc".to_owned())
            ]
        );
        let (pattern, _) =
            find(Method::GET, "/api/v2/business/shop/customers/fields", None).unwrap();
        assert_eq!(pattern, "/api/v2/business/:business/customers/fields");
        let (pattern, params) = find(
            Method::GET,
            "/api/v3/business/shop/subscription/withdrawal",
            Some("q=42"),
        )
        .unwrap();
        assert!(pattern.ends_with("withdrawal?q=:authorization_id"));
        assert_eq!(params[1], ("authorization_id", "42".to_owned()));
        assert!(find(Method::GET, "/api/v3/business/shop/nothing", None).is_none());
        assert!(find(Method::POST, "/api/v2/business/shop/balance", None).is_none());
    }
}
