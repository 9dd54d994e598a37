//! One error type for the whole library. The kinds are stable: the C ABI, the
//! PHP extension and the Python wheel map them one to one, so a removed kind
//! keeps its number forever (see `ErrorKind::code`).

use std::fmt;

/// What went wrong, as a stable category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller passed something invalid (amount, mobile, URL, ...). Nothing was sent.
    InvalidInput,
    /// The configuration is missing or wrong (unknown gateway, bad base URL, ...).
    Config,
    /// No stored payment matches the id, token or reference.
    UnknownPayment,
    /// The invoice id was already used for this gateway.
    DuplicateInvoice,
    /// A callback that is malformed, conflicting or does not match the stored payment.
    InvalidCallback,
    /// The gateway answered with its own error envelope (code and message kept).
    GatewayRejected,
    /// The gateway answered something that is not its documented format.
    MalformedResponse,
    /// The gateway answered 5xx or was otherwise unavailable.
    GatewayUnavailable,
    /// Connecting or talking to the gateway failed.
    Network,
    /// The gateway did not answer in time.
    Timeout,
    /// The payment store failed (database down, locked too long, corrupt row).
    Store,
    /// The gateway cannot do this operation.
    Unsupported,
    /// A bug in Dargah; please report it.
    Internal,
    /// A money-moving call was sent before under this idempotency key and its
    /// result is unknown: it is not sent again. Check the gateway's statement.
    InDoubt,
    /// The gateway's rate limit did not free a slot within the wait allowed.
    RateLimited,
}

impl ErrorKind {
    /// The stable number used across the FFI boundary.
    pub fn code(self) -> u32 {
        match self {
            ErrorKind::InvalidInput => 1,
            ErrorKind::Config => 2,
            ErrorKind::UnknownPayment => 3,
            ErrorKind::DuplicateInvoice => 4,
            ErrorKind::InvalidCallback => 5,
            ErrorKind::GatewayRejected => 6,
            ErrorKind::MalformedResponse => 7,
            ErrorKind::GatewayUnavailable => 8,
            ErrorKind::Network => 9,
            ErrorKind::Timeout => 10,
            ErrorKind::Store => 11,
            ErrorKind::Unsupported => 12,
            ErrorKind::Internal => 13,
            ErrorKind::InDoubt => 14,
            ErrorKind::RateLimited => 15,
        }
    }

    /// Every kind, in code order (for bindings that build one class per kind).
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::InvalidInput,
        ErrorKind::Config,
        ErrorKind::UnknownPayment,
        ErrorKind::DuplicateInvoice,
        ErrorKind::InvalidCallback,
        ErrorKind::GatewayRejected,
        ErrorKind::MalformedResponse,
        ErrorKind::GatewayUnavailable,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::Store,
        ErrorKind::Unsupported,
        ErrorKind::Internal,
        ErrorKind::InDoubt,
        ErrorKind::RateLimited,
    ];

    /// The snake_case name used in JSON and by the bindings.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Config => "config",
            ErrorKind::UnknownPayment => "unknown_payment",
            ErrorKind::DuplicateInvoice => "duplicate_invoice",
            ErrorKind::InvalidCallback => "invalid_callback",
            ErrorKind::GatewayRejected => "gateway_rejected",
            ErrorKind::MalformedResponse => "malformed_response",
            ErrorKind::GatewayUnavailable => "gateway_unavailable",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Store => "store",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Internal => "internal",
            ErrorKind::InDoubt => "in_doubt",
            ErrorKind::RateLimited => "rate_limited",
        }
    }

    /// Whether the gateway may or may not have acted on the request: the
    /// outcome is unknown and must be found out later, never assumed.
    pub fn is_in_doubt(self) -> bool {
        matches!(
            self,
            ErrorKind::Network | ErrorKind::Timeout | ErrorKind::GatewayUnavailable | ErrorKind::MalformedResponse | ErrorKind::InDoubt
        )
    }
}

/// The library's error. Messages never contain secrets: they are built from
/// field names and gateway answers, never from credentials or request bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    gateway_code: Option<String>,
    gateway_message: Option<String>,
    http_status: Option<u16>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), gateway_code: None, gateway_message: None, http_status: None }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
    pub fn callback(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidCallback, message)
    }
    pub fn store(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Store, message)
    }
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::MalformedResponse, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    /// The gateway's own error envelope.
    pub fn rejected(code: Option<String>, message: Option<String>, http_status: u16) -> Self {
        let text = format!(
            "gateway rejected the request (HTTP {http_status}, code {}): {}",
            code.as_deref().unwrap_or("-"),
            message.as_deref().unwrap_or("no message")
        );
        Error { kind: ErrorKind::GatewayRejected, message: text, gateway_code: code, gateway_message: message, http_status: Some(http_status) }
    }
    /// Add to the message, keeping the kind and the gateway's code, message and status.
    pub fn context(mut self, more: &str) -> Self {
        self.message = format!("{}; {more}", self.message);
        self
    }
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn gateway_code(&self) -> Option<&str> {
        self.gateway_code.as_deref()
    }
    pub fn gateway_message(&self) -> Option<&str> {
        self.gateway_message.as_deref()
    }
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }
}

/// A caller's value for an error message: debug-quoted and cut to 64
/// characters, so a 5 MB id cannot make a 5 MB message.
pub(crate) fn quoted(value: &str) -> String {
    const MAX: usize = 64;
    if value.chars().count() <= MAX {
        return format!("{value:?}");
    }
    let cut: String = value.chars().take(MAX).collect();
    format!("{cut:?}… ({} characters)", value.chars().count())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::store(format!("sqlite: {e}"))
    }
}
