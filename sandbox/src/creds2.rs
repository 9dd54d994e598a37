//! A second merchant account at every gateway, for shops with several
//! accounts (`[GATEWAY.accounts.NAME]`). Each gateway accepts both; a
//! payment can only be verified (or refunded) with the credentials it was
//! created with, as at the real gateways.

pub const MUPRA_API_KEY: &str = "sandbox-mupra-api-key-2";
pub const CANPAY_MERCHANT: &str = "sandbox-canpay-merchant-2";
pub const ATIPAY_API_KEY: &str = "sandbox-atipay-api-key-2";
pub const ATIPAY_TERMINAL_ID: &str = "87654321";
pub const VANDAR_API_KEY: &str = "sandbox-vandar-ipg-api-key-2";
pub const VANDAR_ACCESS_TOKEN: &str = "sandbox-vandar-access-token-2";
pub const VANDAR_REFRESH_TOKEN: &str = "sandbox-vandar-refresh-token-2";
pub const VANDAR_BUSINESS: &str = "sandbox-shop-2";
pub const SEPAL_MOBILE: &str = "09120000002";
pub const SEPAL_PASSWORD: &str = "sandbox-sepal-password-2";
pub const SEPAL_API_KEY: &str = "sandbox-sepal-api-key-2";
