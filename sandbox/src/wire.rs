//! Wire-level plumbing shared by every gateway: the error type each gateway
//! renders in its own envelope, the callback that sends a payer back to the
//! merchant, strict request-body parsing, and the small validators (mobile,
//! card, IBAN, national code) several gateways need. A leaf module: each
//! gateway's own spelling lives in its file and reaches the shared machinery
//! as data ([`crate::state::GatewayHooks`]).

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// The five gateways. Sepal has no payment page; the other four do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Gw {
    Mupra,
    CanPay,
    AtiPay,
    Sepal,
    Vandar,
}

impl Gw {
    /// Gateways with a payment page (an IPG).
    pub(crate) const IPG: [Gw; 4] = [Gw::Mupra, Gw::CanPay, Gw::AtiPay, Gw::Vandar];

    /// The name used in URLs, stats keys and the control API.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Gw::Mupra => "mupra",
            Gw::CanPay => "canpay",
            Gw::AtiPay => "atipay",
            Gw::Sepal => "sepal",
            Gw::Vandar => "vandar",
        }
    }

    pub(crate) fn from_slug(slug: &str) -> Option<Gw> {
        [Gw::Mupra, Gw::CanPay, Gw::AtiPay, Gw::Sepal, Gw::Vandar]
            .into_iter()
            .find(|gw| gw.slug() == slug)
    }

    /// Shown on the payment page.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Gw::Mupra => "Mupra (ماپرا)",
            Gw::CanPay => "CanPay (کن‌پی)",
            Gw::AtiPay => "AtiPay MIPG (آتی‌پی)",
            Gw::Sepal => "Sepal (سپال)",
            Gw::Vandar => "Vandar (وندار)",
        }
    }
}

/// How the payer's browser goes back to the merchant.
pub(crate) enum Callback {
    /// A redirect to this URL (query already added).
    Get(url::Url),
    /// An auto-submitted form.
    Post(url::Url, Vec<(&'static str, String)>),
}

impl Callback {
    /// `callback_url` plus `params`, appended with `&` if it already has a query.
    pub(crate) fn get(callback_url: &url::Url, params: &[(&str, &str)]) -> Callback {
        let mut url = callback_url.clone();
        url.query_pairs_mut().extend_pairs(params);
        Callback::Get(url)
    }

    pub(crate) fn to_json(&self) -> Value {
        match self {
            Callback::Get(url) => json!({ "method": "GET", "url": url.as_str(), "form": {} }),
            Callback::Post(url, form) => {
                let form: Map<String, Value> = form
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
                    .collect();
                json!({ "method": "POST", "url": url.as_str(), "form": form })
            }
        }
    }
}

/// What went wrong, independent of how a gateway spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    Invalid,
    Unauthorized,
    Failed,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Duplicate,
    UnsupportedMediaType,
    RateLimited,
    /// A status chosen by an injected fault.
    Injected(StatusCode),
}

impl ErrorKind {
    pub(crate) fn status(self) -> StatusCode {
        match self {
            ErrorKind::Invalid => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Failed => StatusCode::PAYMENT_REQUIRED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::Duplicate => StatusCode::CONFLICT,
            ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Injected(status) => status,
        }
    }

    /// A machine-readable name, used where an envelope has a code field.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid_parameters",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Failed => "request_failed",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::Duplicate => "duplicate",
            ErrorKind::UnsupportedMediaType => "unsupported_media_type",
            ErrorKind::RateLimited => "too_many_requests",
            ErrorKind::Injected(_) => "injected_fault",
        }
    }
}

/// An error a handler returns. Handlers do not know the envelope: the
/// response carries the error as an extension and the instrumentation layer
/// (which knows the gateway) renders it.
#[derive(Clone, Debug)]
pub(crate) struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    /// Overrides the envelope's default code (AtiPay's errorCode).
    pub code: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            code: None,
        }
    }
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, message)
    }
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failed, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }
    pub(crate) fn status(&self) -> StatusCode {
        self.kind.status()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

fn content_type_is(headers: &HeaderMap, wanted: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(wanted))
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// The fields of a request body, parsed from a JSON object or a form.
pub(crate) struct Fields {
    map: Map<String, Value>,
    /// Form values are all strings, so integers are accepted as digit strings.
    from_form: bool,
}

/// The strict path every JSON API takes: `Content-Type: application/json`
/// and a JSON object body, nothing else.
pub(crate) fn json_fields(headers: &HeaderMap, body: &[u8]) -> ApiResult<Fields> {
    if !content_type_is(headers, JSON) {
        return Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "Content-Type must be application/json",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(Fields {
            map,
            from_form: false,
        }),
        Ok(_) => Err(ApiError::invalid("request body must be a JSON object")),
        Err(_) => Err(ApiError::invalid("request body is not valid JSON")),
    }
}

/// For endpoints documented as plain POSTs without a body format (Sepal):
/// JSON or an urlencoded form.
pub(crate) fn json_or_form_fields(headers: &HeaderMap, body: &[u8]) -> ApiResult<Fields> {
    if content_type_is(headers, FORM) {
        Ok(form_fields(body))
    } else {
        json_fields(headers, body).map_err(|e| match e.kind {
            ErrorKind::UnsupportedMediaType => ApiError::new(
                ErrorKind::UnsupportedMediaType,
                "Content-Type must be application/json or application/x-www-form-urlencoded",
            ),
            _ => e,
        })
    }
}

pub(crate) fn form_fields(body: &[u8]) -> Fields {
    let map = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    Fields {
        map,
        from_form: true,
    }
}

/// Best effort, for stats: a string field from a JSON or form body.
pub(crate) fn peek_field(body: &[u8], name: &str) -> Option<String> {
    let fields = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Fields {
            map,
            from_form: false,
        },
        _ => form_fields(body),
    };
    fields
        .map
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

impl Fields {
    pub(crate) fn into_map(self) -> Map<String, Value> {
        self.map
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A required, non-empty string.
    pub(crate) fn str(&self, name: &str) -> ApiResult<&str> {
        self.opt_str(name)?
            .ok_or_else(|| ApiError::invalid(format!("{name} is required")))
    }

    /// An optional string; absent, null and "" all mean "not given".
    pub(crate) fn opt_str(&self, name: &str) -> ApiResult<Option<&str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid(format!("{name} must be a string"))),
        }
    }

    /// A required non-negative integer (a JSON number, not a string).
    pub(crate) fn uint(&self, name: &str) -> ApiResult<u64> {
        self.opt_uint(name)?
            .ok_or_else(|| ApiError::invalid(format!("{name} is required")))
    }

    pub(crate) fn opt_uint(&self, name: &str) -> ApiResult<Option<u64>> {
        let bad = || ApiError::invalid(format!("{name} must be a non-negative integer"));
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(bad),
            Some(Value::String(s)) if self.from_form => parse_digits(s).map(Some).ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    }

    /// A required integer written as a JSON string, as Mupra sends amounts.
    pub(crate) fn digits(&self, name: &str) -> ApiResult<u64> {
        self.opt_digits(name)?
            .ok_or_else(|| ApiError::invalid(format!("{name} is required")))
    }

    pub(crate) fn opt_digits(&self, name: &str) -> ApiResult<Option<u64>> {
        match self.opt_str(name)? {
            None => Ok(None),
            Some(s) => parse_digits(s)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(format!("{name} must be a string of digits"))),
        }
    }

    /// An optional array of strings.
    pub(crate) fn opt_str_array(&self, name: &str) -> ApiResult<Option<Vec<String>>> {
        let bad = || ApiError::invalid(format!("{name} must be an array of strings"));
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
                .collect::<ApiResult<Vec<_>>>()
                .map(Some),
            Some(_) => Err(bad()),
        }
    }

    /// A required absolute http(s) URL.
    pub(crate) fn url(&self, name: &str) -> ApiResult<url::Url> {
        let raw = self.str(name)?;
        match url::Url::parse(raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(u),
            _ => Err(ApiError::invalid(format!(
                "{name} must be an absolute http(s) URL"
            ))),
        }
    }
}

fn parse_digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `09` followed by nine digits.
pub(crate) fn valid_mobile(s: &str) -> bool {
    s.len() == 11 && s.starts_with("09") && s.bytes().all(|b| b.is_ascii_digit())
}

/// A card number as typed on a page: digits, optionally grouped with spaces
/// or dashes. Returns the 16 digits.
pub(crate) fn normalize_card(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Each gateway masks the payer's card its own way (as its document shows).
pub(crate) fn mask_card(gw: Gw, card: &str) -> String {
    let (head, tail) = (&card[..6], &card[12..]);
    match gw {
        Gw::Mupra => format!("{head}****{tail}"),
        Gw::CanPay => format!("{}-{}**-****-{tail}", &card[..4], &card[4..6]),
        Gw::Sepal => format!("{head}********{tail}"),
        Gw::AtiPay | Gw::Vandar => format!("{head}******{tail}"),
    }
}

/// An Iranian IBAN (sheba): `IR` + 24 digits with a valid ISO 13616
/// mod-97 check.
pub(crate) fn valid_iban(iban: &str) -> bool {
    let iban = iban.trim();
    if iban.len() != 26 || !iban.starts_with("IR") || !iban[2..].bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    // Move the country code and check digits to the end; letters become
    // two-digit numbers (I = 18, R = 27).
    let rearranged = format!("{}1827{}", &iban[4..], &iban[2..4]);
    rearranged
        .bytes()
        .fold(0u32, |rem, b| (rem * 10 + u32::from(b - b'0')) % 97)
        == 1
}

/// An Iranian national code (کد ملی): ten digits with its check digit.
pub(crate) fn valid_national_code(code: &str) -> bool {
    let digits: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
    if code.len() != 10 || digits.len() != 10 || digits.iter().all(|&d| d == digits[0]) {
        return false;
    }
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| d * w)
        .sum();
    let rem = sum % 11;
    let check = digits[9];
    if rem < 2 {
        check == rem
    } else {
        check == 11 - rem
    }
}

/// The base URL the client used to reach us, for links we hand out.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_checksum() {
        assert!(valid_iban("IR820540102680020817909002"));
        assert!(!valid_iban("IR820540102680020817909003"));
        assert!(!valid_iban("DE89370400440532013000"));
    }

    #[test]
    fn national_code_checksum() {
        assert!(valid_national_code("0499370899"));
        assert!(!valid_national_code("0499370898"));
        assert!(!valid_national_code("1111111111"));
    }

    #[test]
    fn masks() {
        let card = "6037991234563579";
        assert_eq!(mask_card(Gw::Mupra, card), "603799****3579");
        assert_eq!(mask_card(Gw::CanPay, card), "6037-99**-****-3579");
        assert_eq!(mask_card(Gw::Vandar, card), "603799******3579");
    }

    #[test]
    fn get_callback_appends_to_existing_query() {
        let url = url::Url::parse("https://shop.test/cb?order=7").unwrap();
        let Callback::Get(u) = Callback::get(&url, &[("token", "a b"), ("payment_status", "OK")])
        else {
            panic!("expected GET");
        };
        assert_eq!(
            u.as_str(),
            "https://shop.test/cb?order=7&token=a+b&payment_status=OK"
        );
    }
}
