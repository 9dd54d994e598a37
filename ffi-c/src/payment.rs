//! `DargahPayment` (a stored payment and, when known, how to send the
//! customer to the gateway) and `DargahPaymentList`.

use crate::boundary::{self, c_string, optional, out, read};
use crate::status::DargahStatus;
use dargah_core::{Payment, Redirect};
use std::ffi::{c_char, CString};
use std::ptr;

/// A payment as stored, with the redirect that sends the customer to the
/// gateway when there is one. Immutable: read it from any thread; free it
/// once with `dargah_payment_free()`, after every reader is done.
pub struct DargahPayment {
    payment: Payment,
    text: Text,
}

/// The C strings the getters lend, made once when the handle is.
struct Text {
    id: CString,
    gateway: CString,
    account: CString,
    invoice_id: CString,
    callback_url: CString,
    state: CString,
    token: Option<CString>,
    reference: Option<CString>,
    trace_number: Option<CString>,
    unverified_trace_number: Option<CString>,
    masked_card: Option<CString>,
    note: Option<CString>,
    redirect: Option<RedirectText>,
}

struct RedirectText {
    method: DargahRedirectMethod,
    url: CString,
    fields: Vec<(CString, CString)>,
    html: CString,
}

/// How the customer is sent to the gateway.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DargahRedirectMethod {
    /// No redirect: not a created payment, or a NULL handle.
    DARGAH_REDIRECT_NONE = 0,
    /// Send `302 Location: <url>` (or a link to it).
    DARGAH_REDIRECT_GET = 1,
    /// Auto-submit a POST form with the fields to the URL (AtiPay): serve
    /// `dargah_payment_redirect_html()`.
    DARGAH_REDIRECT_POST = 2,
}

impl DargahPayment {
    pub(crate) fn new(payment: Payment, redirect: Option<Redirect>) -> DargahPayment {
        let opt = |s: &Option<String>| s.as_deref().map(c_string);
        let redirect = redirect.map(|r| {
            let (method, fields) = match &r {
                Redirect::Get { .. } => (DargahRedirectMethod::DARGAH_REDIRECT_GET, Vec::new()),
                Redirect::Post { fields, .. } => (DargahRedirectMethod::DARGAH_REDIRECT_POST, fields.iter().map(|(k, v)| (c_string(k), c_string(v))).collect()),
            };
            RedirectText { method, url: c_string(r.url()), fields, html: c_string(&r.html()) }
        });
        let text = Text {
            id: c_string(&payment.id),
            gateway: c_string(payment.gateway.name()),
            account: c_string(&payment.account),
            invoice_id: c_string(&payment.invoice_id),
            callback_url: c_string(&payment.callback_url),
            state: c_string(payment.state.name()),
            token: opt(&payment.token),
            reference: opt(&payment.reference),
            trace_number: opt(&payment.trace_number),
            unverified_trace_number: opt(&payment.unverified_trace_number),
            masked_card: opt(&payment.masked_card),
            note: opt(&payment.note),
            redirect,
        };
        DargahPayment { payment, text }
    }
}

/// Dargah's own id of the payment ("dp_…"): the key for
/// `dargah_client_acknowledge()`, `dargah_client_payment()` and for crediting
/// the order idempotently. Borrowed from `payment` (valid until it is freed);
/// NULL only for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_payment_id(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| p.text.id.as_ptr())
}

/// The gateway's name: "mupra", "canpay", "atipay" or "vandar". Borrowed
/// from `payment`; NULL only for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_payment_gateway(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| p.text.gateway.as_ptr())
}

/// The merchant account at the gateway the payment was created with:
/// "default" (the gateway's own table in the configuration) or a name from
/// `GATEWAY.accounts`. Every later call for the payment (callback, recover,
/// reconcile, refund) uses this account's credentials. Borrowed from
/// `payment`; NULL only for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_payment_account(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| p.text.account.as_ptr())
}

/// The shop's order (invoice) id, as given in the request. Borrowed from
/// `payment`; NULL only for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_payment_invoice_id(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| p.text.invoice_id.as_ptr())
}

/// The amount asked for, in rial (never 0 for a real payment); 0 for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_payment_amount(payment: *const DargahPayment) -> u64 {
    read(payment, 0, |p| p.payment.amount)
}

/// The amount the gateway confirmed, in rial; 0 when not verified (or the
/// gateway does not report it, as CanPay: then the stored amount counts).
#[no_mangle]
pub extern "C" fn dargah_payment_verified_amount(payment: *const DargahPayment) -> u64 {
    read(payment, 0, |p| p.payment.verified_amount.unwrap_or(0))
}

/// The callback URL as the shop gave it (without Dargah's `dargah_ref`).
/// Borrowed from `payment`; NULL only for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_payment_callback_url(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| p.text.callback_url.as_ptr())
}

/// The stored state: "created", "awaiting", "verifying", "in_doubt", "paid",
/// "failed", "cancelled", "expired" or "needs_review" (new states may be
/// added). Borrowed from `payment`; NULL only for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_payment_state(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| p.text.state.as_ptr())
}

/// The gateway's payment token, or NULL before the gateway gave one.
/// Borrowed from `payment`.
#[no_mangle]
pub extern "C" fn dargah_payment_token(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| optional(p.text.token.as_deref()))
}

/// The gateway's transaction reference (Mupra transId, CanPay reference,
/// AtiPay referenceNumber, Vandar transId), or NULL until verified.
/// Borrowed from `payment`.
#[no_mangle]
pub extern "C" fn dargah_payment_reference(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| optional(p.text.reference.as_deref()))
}

/// The bank's trace number (RRN) as the gateway confirmed it, or NULL when
/// the gateway gave none.
/// Borrowed from `payment`.
#[no_mangle]
pub extern "C" fn dargah_payment_trace_number(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| optional(p.text.trace_number.as_deref()))
}

/// A trace number only the customer's browser sent (AtiPay's callback
/// `traceNumber`): digits, at most 20, **not confirmed by the gateway** —
/// show it labelled as unverified, never as proof. NULL when none was kept.
/// Borrowed from `payment`.
#[no_mangle]
pub extern "C" fn dargah_payment_unverified_trace_number(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| optional(p.text.unverified_trace_number.as_deref()))
}

/// The payer's masked card as the gateway shows it (e.g.
/// "603799******7890"), or NULL. Borrowed from `payment`.
#[no_mangle]
pub extern "C" fn dargah_payment_masked_card(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| optional(p.text.masked_card.as_deref()))
}

/// Why the payment failed, was cancelled or needs review, or NULL.
/// Borrowed from `payment`.
#[no_mangle]
pub extern "C" fn dargah_payment_note(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| optional(p.text.note.as_deref()))
}

/// When the payment was recorded, in Unix milliseconds; 0 for a NULL handle.
#[no_mangle]
pub extern "C" fn dargah_payment_created_at(payment: *const DargahPayment) -> i64 {
    read(payment, 0, |p| p.payment.created_at)
}

/// When the payment was found paid, in Unix milliseconds; 0 if not paid.
#[no_mangle]
pub extern "C" fn dargah_payment_paid_at(payment: *const DargahPayment) -> i64 {
    read(payment, 0, |p| p.payment.paid_at.unwrap_or(0))
}

/// When the shop acknowledged fulfilment, in Unix milliseconds; 0 if not yet.
#[no_mangle]
pub extern "C" fn dargah_payment_acknowledged_at(payment: *const DargahPayment) -> i64 {
    read(payment, 0, |p| p.payment.acknowledged_at.unwrap_or(0))
}

/// How to send the customer to the gateway: GET (a URL), POST (a form) or
/// NONE (a payment from a callback or a list carries no redirect; ask
/// `dargah_client_payment()`).
#[no_mangle]
pub extern "C" fn dargah_payment_redirect_method(payment: *const DargahPayment) -> DargahRedirectMethod {
    read(payment, DargahRedirectMethod::DARGAH_REDIRECT_NONE, |p| {
        p.text.redirect.as_ref().map_or(DargahRedirectMethod::DARGAH_REDIRECT_NONE, |r| r.method)
    })
}

/// The gateway URL: the `Location` for GET, the form's action for POST; NULL
/// when there is no redirect. Borrowed from `payment`.
#[no_mangle]
pub extern "C" fn dargah_payment_redirect_url(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| optional(p.text.redirect.as_ref().map(|r| r.url.as_c_str())))
}

/// How many form fields a POST redirect has (0 for GET or none).
#[no_mangle]
pub extern "C" fn dargah_payment_redirect_field_count(payment: *const DargahPayment) -> usize {
    read(payment, 0, |p| p.text.redirect.as_ref().map_or(0, |r| r.fields.len()))
}

/// The POST redirect's form field at `index` (0 ≤ index < field count), in
/// the order they must be sent.
///
/// On success writes `*out_name` and `*out_value`, both borrowed from
/// `payment` (valid until it is freed). Errors: DARGAH_NULL_ARGUMENT,
/// DARGAH_INVALID_INPUT (index out of range); the out-parameters are then
/// left untouched.
#[no_mangle]
pub extern "C" fn dargah_payment_redirect_field(
    payment: *const DargahPayment,
    index: usize,
    out_name: *mut *const c_char,
    out_value: *mut *const c_char,
) -> DargahStatus {
    boundary::boundary(|| {
        let p = boundary::handle(payment, "payment")?;
        let (out_name, out_value) = (out(out_name, "out_name")?, out(out_value, "out_value")?);
        let fields = p.text.redirect.as_ref().map_or(&[][..], |r| &r.fields[..]);
        let (name, value) = fields.get(index).ok_or_else(|| boundary::invalid(format!("redirect field {index} does not exist; there are {}", fields.len())))?;
        out_name.write(name.as_ptr());
        out_value.write(value.as_ptr());
        Ok(())
    })
}

/// A complete UTF-8 HTML page that sends the customer on: an auto-submitting
/// form for POST (with a button for browsers without JavaScript), a meta
/// refresh and link for GET. Every value is HTML-escaped. Serve it with
/// `Content-Type: text/html; charset=utf-8`. NULL when there is no redirect.
/// Borrowed from `payment`.
#[no_mangle]
pub extern "C" fn dargah_payment_redirect_html(payment: *const DargahPayment) -> *const c_char {
    read(payment, ptr::null(), |p| optional(p.text.redirect.as_ref().map(|r| r.html.as_c_str())))
}

/// Every stored field of the payment as one JSON object (the same shape as
/// `dargah_client_call(client, "payment", …)`); new fields may appear.
///
/// On success writes `*out_json`: owned, free it with `dargah_string_free()`.
/// Errors: DARGAH_NULL_ARGUMENT, DARGAH_INTERNAL.
#[no_mangle]
pub extern "C" fn dargah_payment_to_json(payment: *const DargahPayment, out_json: *mut *mut c_char) -> DargahStatus {
    boundary::boundary(|| {
        let p = boundary::handle(payment, "payment")?;
        let out_json = out(out_json, "out_json")?;
        let json = serde_json::to_string(&p.payment).map_err(|e| dargah_core::Error::internal(e.to_string()))?;
        out_json.write_string(&json);
        Ok(())
    })
}

/// Free a payment from `dargah_client_create_payment()` or
/// `dargah_client_payment()`. NULL is fine. Never pass the borrowed payment
/// of an outcome or a list: those belong to their owner.
#[no_mangle]
pub extern "C" fn dargah_payment_free(payment: *mut DargahPayment) {
    boundary::free(payment)
}

/// A list of payments (from `dargah_client_unacknowledged()`). Immutable:
/// read it from any thread; free it once with `dargah_payment_list_free()`.
pub struct DargahPaymentList {
    items: Vec<DargahPayment>,
}

impl DargahPaymentList {
    pub(crate) fn new(payments: Vec<Payment>) -> DargahPaymentList {
        DargahPaymentList { items: payments.into_iter().map(|p| DargahPayment::new(p, None)).collect() }
    }
}

/// How many payments the list holds; 0 for a NULL list.
#[no_mangle]
pub extern "C" fn dargah_payment_list_len(list: *const DargahPaymentList) -> usize {
    read(list, 0, |l| l.items.len())
}

/// The payment at `index`, or NULL when `index` is out of range. Borrowed
/// from `list`: valid until the list is freed; do not free it.
#[no_mangle]
pub extern "C" fn dargah_payment_list_get(list: *const DargahPaymentList, index: usize) -> *const DargahPayment {
    read(list, ptr::null(), |l| l.items.get(index).map_or(ptr::null(), |p| p as *const DargahPayment))
}

/// Free a list and every payment in it. NULL is fine.
#[no_mangle]
pub extern "C" fn dargah_payment_list_free(list: *mut DargahPaymentList) {
    boundary::free(list)
}
