//! The credentials the sandbox accepts; anything else is answered as an
//! unknown key in that gateway's error envelope.

pub const MUPRA_API_KEY: &str = "sandbox-mupra-api-key";
pub const CANPAY_MERCHANT: &str = "sandbox-canpay-merchant";
pub const ATIPAY_API_KEY: &str = "sandbox-atipay-api-key";
pub const ATIPAY_TERMINAL_ID: &str = "12345678";
/// Vandar IPG `api_key`.
pub const VANDAR_API_KEY: &str = "sandbox-vandar-ipg-api-key";
/// Vandar business API: the dashboard-issued access token…
pub const VANDAR_ACCESS_TOKEN: &str = "sandbox-vandar-access-token";
/// …and its refresh token (single use).
pub const VANDAR_REFRESH_TOKEN: &str = "sandbox-vandar-refresh-token";
/// The business's English name (`:business` in paths).
pub const VANDAR_BUSINESS: &str = "sandbox-shop";
pub const SEPAL_MOBILE: &str = "09120000000";
pub const SEPAL_PASSWORD: &str = "sandbox-sepal-password";
pub const SEPAL_API_KEY: &str = "sandbox-sepal-api-key";
/// Not a sandbox credential but the client's own: the demo key that
/// encrypts the Vandar business tokens a sandbox client stores. A real
/// shop generates its own (`openssl rand -base64 32`).
pub const DEMO_TOKEN_ENCRYPTION_KEY: &str = "sandbox-demo-token-encryption-key-not-for-production";
