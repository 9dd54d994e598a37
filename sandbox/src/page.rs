//! Payment pages (real HTML a browser can drive) and what happens when the
//! payer presses Pay or Cancel: the payment is settled, then the payer is sent
//! back to the merchant the way each gateway does it.

use std::fmt;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Router;

use crate::instrument::{endpoint, Endpoint, TokenFrom};
use crate::state::{App, Payment, Receipt, Status};
use crate::wire::{form_fields, normalize_card, Callback, Gw};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Pay,
    Cancel,
}

impl Action {
    pub(crate) fn parse(s: &str) -> Option<Action> {
        match s {
            "pay" => Some(Action::Pay),
            "cancel" => Some(Action::Cancel),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub(crate) enum PayError {
    NotFound,
    Finished,
    InvalidCard(&'static str),
}

impl PayError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            PayError::NotFound => StatusCode::NOT_FOUND,
            PayError::Finished => StatusCode::CONFLICT,
            PayError::InvalidCard(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for PayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayError::NotFound => f.write_str("no such payment"),
            PayError::Finished => f.write_str("this payment is already finished"),
            PayError::InvalidCard(why) => f.write_str(why),
        }
    }
}

/// Settles a pending payment as the payer's button press would, and
/// returns where the payer goes next.
pub(crate) fn complete(
    app: &App,
    gw: Gw,
    token: &str,
    action: Action,
    card: Option<&str>,
) -> Result<Callback, PayError> {
    let mut st = app.state();
    let payment = st.payment(gw, token).ok_or(PayError::NotFound)?;
    if payment.status != Status::Pending {
        return Err(PayError::Finished);
    }
    match action {
        Action::Pay => {
            let card = card
                .and_then(normalize_card)
                .ok_or(PayError::InvalidCard("card number must be 16 digits"))?;
            if !payment.allowed_cards.is_empty() && !payment.allowed_cards.contains(&card) {
                return Err(PayError::InvalidCard(
                    "this card is not accepted for this payment",
                ));
            }
            payment.status = Status::Paid;
            payment.receipt = Some(Receipt::new(gw, card));
        }
        Action::Cancel => payment.status = Status::Cancelled,
    }
    Ok(app.callback(payment))
}

/// The browser's way back: a redirect, or a page that posts the form.
fn send_back(callback: Callback) -> Response {
    match callback {
        Callback::Get(url) => (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response(),
        Callback::Post(url, form) => auto_post(&url, &form),
    }
}

/// The form posts of every payment page: `POST /_pay/{gateway}/{token}`.
pub(crate) fn routes(app: &App) -> Router<App> {
    Gw::IPG.into_iter().fold(Router::new(), |router, gw| {
        let ep = Endpoint::post(gw, "page", TokenFrom::LastSegment);
        let handler =
            move |State(app): State<App>, Path(token): Path<String>, body: Bytes| async move { submit(&app, gw, &token, &body) };
        router.route(&format!("/_pay/{}/:token", gw.slug()), endpoint(app, ep, handler))
    })
}

fn submit(app: &App, gw: Gw, token: &str, body: &[u8]) -> Response {
    let form = form_fields(body);
    let card = form.opt_str("card").ok().flatten();
    let Some(action) = form
        .opt_str("action")
        .ok()
        .flatten()
        .and_then(Action::parse)
    else {
        return message(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "Press Pay or Cancel.",
        );
    };
    match complete(app, gw, token, action, card) {
        Ok(callback) => send_back(callback),
        Err(PayError::InvalidCard(why)) => show_with_error(app, gw, token, why),
        Err(e) => message(e.status(), "Payment unavailable", &e.to_string()),
    }
}

/// The payment page of a pending payment, or why there is none.
pub(crate) fn show(app: &App, gw: Gw, token: &str) -> Response {
    let mut st = app.state();
    match st.payment(gw, token) {
        None => message(
            StatusCode::NOT_FOUND,
            "Payment not found",
            &PayError::NotFound.to_string(),
        ),
        Some(p) if p.status != Status::Pending => message(
            StatusCode::CONFLICT,
            "Payment finished",
            &PayError::Finished.to_string(),
        ),
        Some(p) => (StatusCode::OK, Html(payment_page(p, None))).into_response(),
    }
}

fn show_with_error(app: &App, gw: Gw, token: &str, error: &str) -> Response {
    let mut st = app.state();
    match st.payment(gw, token) {
        Some(p) => (StatusCode::BAD_REQUEST, Html(payment_page(p, Some(error)))).into_response(),
        None => message(
            StatusCode::NOT_FOUND,
            "Payment not found",
            &PayError::NotFound.to_string(),
        ),
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

fn layout(title: &str, body_attrs: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto}}\
         .error{{color:#b00}}input{{font-size:1.2rem;width:100%}}button{{font-size:1.1rem;margin:.5rem .5rem 0 0}}</style>\n\
         </head>\n<body{body_attrs}>\n{body}\n</body>\n</html>\n",
        escape(title)
    )
}

/// `1234567` → `1,234,567`
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn payment_page(p: &Payment, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" id=\"error\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    let description = p
        .description
        .as_deref()
        .map(|d| format!("<p>{}</p>\n", escape(d)))
        .unwrap_or_default();
    let body = format!(
        "<h1>{gateway}</h1>\n<p>Merchant: <strong id=\"merchant\">Dargah Sandbox Shop</strong></p>\n\
         <p>Amount: <strong id=\"amount\" data-rial=\"{amount}\">{grouped} rial</strong></p>\n{description}{error}\
         <form method=\"POST\" action=\"/_pay/{slug}/{token}\">\n\
         <label for=\"card\">Card number</label>\n\
         <input name=\"card\" id=\"card\" inputmode=\"numeric\" autocomplete=\"off\" placeholder=\"6037 9912 3456 7890\">\n\
         <button type=\"submit\" name=\"action\" value=\"pay\" id=\"pay\">Pay</button>\n\
         <button type=\"submit\" name=\"action\" value=\"cancel\" id=\"cancel\">Cancel</button>\n\
         </form>",
        gateway = escape(p.gw.title()),
        amount = p.amount,
        grouped = group_thousands(p.amount),
        slug = p.gw.slug(),
        token = escape(&p.token),
    );
    layout(&format!("{} payment", p.gw.title()), "", &body)
}

/// A page with just a message (not found, finished, bad request).
pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<h1>{}</h1>\n<p id=\"message\">{}</p>",
        escape(title),
        escape(text)
    );
    (status, Html(layout(title, "", &body))).into_response()
}

/// A page that immediately POSTs `form` to `url` (CanPay, AtiPay callbacks);
/// without JavaScript the payer presses the button.
fn auto_post(url: &url::Url, form: &[(&'static str, String)]) -> Response {
    let inputs: String = form
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<p>Returning to the merchant…</p>\n<form id=\"callback\" method=\"POST\" action=\"{}\">\n{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript>\n</form>",
        escape(url.as_str())
    );
    let page = layout(
        "Returning to the merchant",
        " onload=\"document.forms[0].submit()\"",
        &body,
    );
    (StatusCode::OK, Html(page)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_groups() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;'&amp;'&lt;/a&gt;"
        );
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(group_thousands(100), "100");
    }
}
