//! `DargahClient`: a configured client and everything a shop does with it.

use crate::boundary::{self, bytes, handle, into_handle, invalid, out, text, Failure};
use crate::outcome::DargahOutcome;
use crate::payment::{DargahPayment, DargahPaymentList};
use crate::status::DargahStatus;
use dargah_core::{CallbackFields, Dargah, ErrorKind, Gateway, PaymentRequest};
use serde_json::Value;
use std::ffi::c_char;

/// A configured client: gateways, the payment store and (made on first use,
/// once per process) the HTTP client and I/O threads.
///
/// Thread-safe: one client may be used from any number of threads at once;
/// make one per process (or per configuration) and keep it. Fork-safe: a
/// client made before `fork()` works in the child, which builds its own
/// threads, connections and database handles on its first call.
pub struct DargahClient {
    dargah: Dargah,
}

// Every function checks all its pointers and strings before parsing anything,
// so a NULL is always reported as DARGAH_NULL_ARGUMENT.


fn to_json_text(value: &Value) -> Result<String, Failure> {
    serde_json::to_string(value).map_err(|e| dargah_core::Error::internal(e.to_string()).into())
}

/// Make a client from a JSON configuration text, e.g.
/// `{"store":"sqlite:///var/lib/shop/dargah.db","canpay":{"merchant":"…"}}`
/// (every key: docs/c.md and core/README.md). Opens the store and creates its
/// tables; makes no thread and no network connection.
///
/// `config_json`: NUL-terminated UTF-8, only read during the call.
/// On success writes `*out_client`: owned, free it with `dargah_client_free()`.
/// Errors: DARGAH_NULL_ARGUMENT, DARGAH_INVALID_UTF8, DARGAH_CONFIG (not
/// JSON, unknown key, bad value), DARGAH_STORE (cannot open the database).
#[no_mangle]
pub extern "C" fn dargah_client_new(config_json: *const c_char, out_client: *mut *mut DargahClient) -> DargahStatus {
    boundary::boundary(|| {
        let config = text(config_json, "config_json")?;
        let out_client = out(out_client, "out_client")?;
        let dargah = Dargah::from_json(config)?;
        out_client.write(into_handle(DargahClient { dargah }));
        Ok(())
    })
}

/// Free a client. NULL is fine. No other thread may be using it, and
/// handles it returned (payments, outcomes, lists) stay valid.
#[no_mangle]
pub extern "C" fn dargah_client_free(client: *mut DargahClient) {
    boundary::free(client)
}

/// Create a payment: validate, record it in the store, ask the gateway for a
/// token. Then send the customer on with the payment's redirect
/// (`dargah_payment_redirect_method()`, `_url()`, `_field()`, `_html()`).
///
/// `gateway`: "mupra", "canpay", "atipay" or "vandar". A name rather than an
/// enum, so a gateway added later needs no new ABI and a bad value is an error,
/// not undefined behaviour.
///
/// `request_json`: a JSON object,
/// `{"invoice_id":"order-1001","amount":250000,"callback_url":"https://shop.example/pay/callback",
///   "mobile":"09123456789","description":"…","vandar":{"national_code":"…","valid_card_number":["…"],"comment":"…","port":"SAMAN"},
///   "account":"branch2"}`,
/// amount in rial; mobile, description, vandar and account are optional;
/// unknown keys are refused. `account` names one of the gateway's merchant
/// accounts (`GATEWAY.accounts.NAME` in the configuration; "default", the
/// gateway's own table, when absent); the payment keeps it, and its
/// callbacks, recovery, reconciliation and refunds use that account. JSON rather than a builder: one function takes every
/// gateway's options, a field added later needs no new symbol, the PHP
/// extension passes a PHP array through `json_encode` unchanged, and the text
/// is the same one the Python binding and the CLI accept. Values must be
/// JSON-escaped (a `"` or `\` in a description).
///
/// The order id is used once per gateway: DARGAH_DUPLICATE_INVOICE after a
/// payment with it reached the gateway.
///
/// On success writes `*out_payment`: owned, free it with `dargah_payment_free()`.
/// Errors: DARGAH_NULL_ARGUMENT, DARGAH_INVALID_UTF8, DARGAH_INVALID_INPUT
/// (bad JSON, unknown gateway, invalid amount, mobile or URL),
/// DARGAH_CONFIG (gateway or account not configured), DARGAH_DUPLICATE_INVOICE,
/// DARGAH_GATEWAY_REJECTED, DARGAH_STORE, and the in-doubt statuses
/// (NETWORK, TIMEOUT, GATEWAY_UNAVAILABLE, MALFORMED_RESPONSE: the payment is
/// recorded as failed, nobody was sent to pay it; try again with a new order id).
#[no_mangle]
pub extern "C" fn dargah_client_create_payment(
    client: *const DargahClient,
    gateway: *const c_char,
    request_json: *const c_char,
    out_payment: *mut *mut DargahPayment,
) -> DargahStatus {
    boundary::boundary(|| {
        let client = handle(client, "client")?;
        let gateway_name = text(gateway, "gateway")?;
        let request_text = text(request_json, "request_json")?;
        let out_payment = out(out_payment, "out_payment")?;
        let gateway: Gateway = gateway_name.parse()?;
        let request: PaymentRequest = serde_json::from_str(request_text).map_err(|e| invalid(format!("request_json is not a valid payment request: {e}")))?;
        let created = client.dargah.create_payment(gateway, request)?;
        out_payment.write(into_handle(DargahPayment::new(created.payment, Some(created.redirect))));
        Ok(())
    })
}

/// A stored payment by its id, with its redirect if it has one: to send a
/// customer to the gateway again, or to look at a payment.
///
/// On success writes `*out_payment`: owned, free it with `dargah_payment_free()`.
/// Errors: DARGAH_NULL_ARGUMENT, DARGAH_INVALID_UTF8,
/// DARGAH_UNKNOWN_PAYMENT, DARGAH_STORE.
#[no_mangle]
pub extern "C" fn dargah_client_payment(client: *const DargahClient, payment_id: *const c_char, out_payment: *mut *mut DargahPayment) -> DargahStatus {
    boundary::boundary(|| {
        let client = handle(client, "client")?;
        let id = text(payment_id, "payment_id")?;
        let out_payment = out(out_payment, "out_payment")?;
        let payment = client.dargah.payment(id)?;
        let redirect = match client.dargah.redirect(id) {
            Ok(redirect) => Some(redirect),
            Err(e) if e.kind() == ErrorKind::UnknownPayment => None,
            Err(e) => return Err(e.into()),
        };
        out_payment.write(into_handle(DargahPayment::new(payment, redirect)));
        Ok(())
    })
}

/// Handle a gateway's callback, verifying the payment with the gateway at
/// most as often as it needs. Exactly one caller ever gets
/// DARGAH_OUTCOME_NEWLY_PAID for a payment; later and concurrent callers get
/// the stored outcome (or IN_PROGRESS while another worker verifies).
///
/// `query`, `query_len`: the raw query string (with or without the leading
/// `?`); `body`, `body_len`: the raw `application/x-www-form-urlencoded`
/// request body; both exactly as the web server received them, not decoded
/// and not NUL-terminated. A pointer may be NULL only when its length is 0.
/// These bytes come from the customer's browser: anything wrong in them
/// (bad encoding, invalid UTF-8, conflicting duplicate fields, over 64 KiB,
/// a token that does not match) is DARGAH_INVALID_CALLBACK, never a crash.
///
/// On success writes `*out_outcome`: owned, free it with `dargah_outcome_free()`.
/// Errors: DARGAH_NULL_ARGUMENT, DARGAH_INVALID_UTF8 (gateway),
/// DARGAH_INVALID_INPUT (unknown gateway), DARGAH_CONFIG,
/// DARGAH_INVALID_CALLBACK, DARGAH_UNKNOWN_PAYMENT (costs no gateway call),
/// DARGAH_STORE, DARGAH_GATEWAY_REJECTED, and the in-doubt statuses: the
/// payment is kept in doubt, never failed; show "we are confirming your
/// payment" and let `dargah_client_recover()` settle it.
#[no_mangle]
pub extern "C" fn dargah_client_handle_callback(
    client: *const DargahClient,
    gateway: *const c_char,
    query: *const u8,
    query_len: usize,
    body: *const u8,
    body_len: usize,
    out_outcome: *mut *mut DargahOutcome,
) -> DargahStatus {
    callback_at(client, gateway, None, (query, query_len), (body, body_len), out_outcome)
}

/// As `dargah_client_handle_callback()`, for a callback that arrived at the
/// callback URL of one merchant account (`account`, e.g. "branch2" or
/// "default"): a callback whose payment belongs to another account is
/// DARGAH_INVALID_CALLBACK, costs no gateway call and leaves that payment
/// open. Either way a payment is only ever verified with its own account's
/// credentials.
///
/// On success writes `*out_outcome`: owned, free it with `dargah_outcome_free()`.
/// Errors: those of `dargah_client_handle_callback()`, and
/// DARGAH_INVALID_INPUT for an account name that is not an identifier.
#[no_mangle]
pub extern "C" fn dargah_client_handle_account_callback(
    client: *const DargahClient,
    gateway: *const c_char,
    account: *const c_char,
    query: *const u8,
    query_len: usize,
    body: *const u8,
    body_len: usize,
    out_outcome: *mut *mut DargahOutcome,
) -> DargahStatus {
    callback_at(client, gateway, Some(account), (query, query_len), (body, body_len), out_outcome)
}

/// Both callback entry points: `account` is the callback URL's account, or
/// None where any account's payment may answer.
fn callback_at(
    client: *const DargahClient,
    gateway: *const c_char,
    account: Option<*const c_char>,
    (query, query_len): (*const u8, usize),
    (body, body_len): (*const u8, usize),
    out_outcome: *mut *mut DargahOutcome,
) -> DargahStatus {
    boundary::boundary(|| {
        let client = handle(client, "client")?;
        let gateway_name = text(gateway, "gateway")?;
        let account = account.map(|a| text(a, "account")).transpose()?;
        let (query, body) = (bytes(query, query_len, "query")?, bytes(body, body_len, "body")?);
        let out_outcome = out(out_outcome, "out_outcome")?;
        let gateway: Gateway = gateway_name.parse()?;
        let fields = CallbackFields::from_raw(query, body)?;
        let outcome = match account {
            Some(account) => client.dargah.handle_account_callback(gateway, account, &fields)?,
            None => client.dargah.handle_callback(gateway, &fields)?,
        };
        out_outcome.write(into_handle(DargahOutcome::new(outcome)));
        Ok(())
    })
}

/// Record that the shop fulfilled (credited) this paid payment, so it leaves
/// `dargah_client_unacknowledged()`. Call it after crediting a NEWLY_PAID
/// outcome. Acknowledging again is harmless.
///
/// On success writes `*out_first`: true the first time this payment was
/// acknowledged, false if it already was.
/// Errors: DARGAH_NULL_ARGUMENT, DARGAH_INVALID_UTF8, DARGAH_UNKNOWN_PAYMENT,
/// DARGAH_INVALID_INPUT (the payment is not paid), DARGAH_STORE.
#[no_mangle]
pub extern "C" fn dargah_client_acknowledge(client: *const DargahClient, payment_id: *const c_char, out_first: *mut bool) -> DargahStatus {
    boundary::boundary(|| {
        let client = handle(client, "client")?;
        let id = text(payment_id, "payment_id")?;
        let out_first = out(out_first, "out_first")?;
        out_first.write(client.dargah.acknowledge(id)?);
        Ok(())
    })
}

/// Paid payments the shop has not acknowledged yet, oldest first, at most
/// `limit`: what a shop that crashed after NEWLY_PAID still has to credit.
/// Run it from a periodic job: credit each (idempotently), then acknowledge.
///
/// On success writes `*out_list`: owned, free it with `dargah_payment_list_free()`.
/// Errors: DARGAH_NULL_ARGUMENT, DARGAH_STORE.
#[no_mangle]
pub extern "C" fn dargah_client_unacknowledged(client: *const DargahClient, limit: usize, out_list: *mut *mut DargahPaymentList) -> DargahStatus {
    boundary::boundary(|| {
        let client = handle(client, "client")?;
        let out_list = out(out_list, "out_list")?;
        out_list.write(into_handle(DargahPaymentList::new(client.dargah.unacknowledged(limit)?)));
        Ok(())
    })
}

/// Resolve up to `limit` payments left in doubt or under an expired claim (a
/// crash or timeout mid-verify) with their gateways, and close creates that
/// were interrupted. Run it from a periodic job (every minute or so, well
/// within the gateways' 15-minute refund window), then credit what
/// `dargah_client_unacknowledged()` lists.
///
/// On success writes `*out_report_json`, owned (free it with
/// `dargah_string_free()`): `{"outcomes":[{"kind":"newly_paid","payment":{…}},…],
/// "errors":[{"payment_id":"dp_…","kind":"timeout","message":"…"},…]}`;
/// payments under `errors` stay in doubt for the next run.
/// Errors: DARGAH_NULL_ARGUMENT, DARGAH_STORE, DARGAH_CONFIG.
#[no_mangle]
pub extern "C" fn dargah_client_recover(client: *const DargahClient, limit: usize, out_report_json: *mut *mut c_char) -> DargahStatus {
    boundary::boundary(|| {
        let client = handle(client, "client")?;
        let out_report_json = out(out_report_json, "out_report_json")?;
        let report = client.dargah.call("recover", &serde_json::json!({ "limit": limit }))?;
        out_report_json.write_string(&to_json_text(&report)?);
        Ok(())
    })
}

/// Run a reporting or business operation: JSON parameters in, JSON answer
/// out. Operations (more may be added; an unknown one is
/// DARGAH_INVALID_INPUT and lists the known ones):
/// "capabilities" `{"gateway":"vandar"}`, "payment" `{"id":"dp_…"}`,
/// "payments.list" `{"state":"paid","limit":100,"offset":0}`,
/// "unacknowledged" `{"limit":100}`, "acknowledge" `{"id":"dp_…"}`,
/// "recover" `{"limit":100}`, "sepal.payment_state" `{"payment_number":…}`.
/// Every operation also takes `"account":"branch2"`: the merchant account its
/// gateway calls use (balances, settlements, refunds by `transaction_id`);
/// operations on a stored payment (`"vandar.refund"` with `payment_id`,
/// recover, reconcile) always use the payment's own account.
///
/// `operation`, `params_json`: NUL-terminated UTF-8; `params_json` is a JSON
/// value (`"{}"` or `"null"` when there are none).
/// On success writes `*out_json`: owned, free it with `dargah_string_free()`.
/// Errors: DARGAH_NULL_ARGUMENT, DARGAH_INVALID_UTF8, DARGAH_INVALID_INPUT
/// (not JSON, unknown operation or parameter), and whatever the operation
/// itself may answer (DARGAH_UNKNOWN_PAYMENT, DARGAH_CONFIG, gateway errors …).
#[no_mangle]
pub extern "C" fn dargah_client_call(client: *const DargahClient, operation: *const c_char, params_json: *const c_char, out_json: *mut *mut c_char) -> DargahStatus {
    boundary::boundary(|| {
        let client = handle(client, "client")?;
        let operation = text(operation, "operation")?;
        let params_text = text(params_json, "params_json")?;
        let out_json = out(out_json, "out_json")?;
        let params: Value = serde_json::from_str(params_text).map_err(|e| invalid(format!("params_json is not valid JSON: {e}")))?;
        let answer = client.dargah.call(operation, &params)?;
        out_json.write_string(&to_json_text(&answer)?);
        Ok(())
    })
}
