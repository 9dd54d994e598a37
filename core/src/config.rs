//! Typed configuration, loadable from JSON or TOML text (the bindings pass it
//! that way). Credentials are [`Secret`]s: their Debug and Display never show
//! the value.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// A credential. Prints as `***` so it cannot leak through a log or a Debug print.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value itself, for putting into a request body. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The store URL. Debug and Display show it with its password as `***`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct StoreUrl(String);

impl StoreUrl {
    /// The URL itself, password included, for connecting. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for StoreUrl {
    fn from(url: String) -> Self {
        StoreUrl(url)
    }
}

impl From<&str> for StoreUrl {
    fn from(url: &str) -> Self {
        StoreUrl(url.to_string())
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", crate::redact::url_password(&self.0))
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::redact::url_password(&self.0))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The whole library configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where payments are kept: `sqlite:///absolute/path.db`, `sqlite://relative.db` or a bare path;
    /// `postgres://…` or `mysql://…` (with TLS options). Its password never prints.
    pub store: StoreUrl,
    /// Keys the card fingerprints kept instead of unsalted card hashes
    /// (see `redact`); without it those hashes are dropped.
    pub card_fingerprint_key: Option<Secret>,
    /// Encrypts the secrets the store keeps (Vandar's business API tokens)
    /// with AES-256-GCM; at least 32 characters. Required to use Vandar's
    /// business API; see `crypto`.
    pub token_encryption_key: Option<Secret>,
    /// Put before every table name, for a database shared with the shop (e.g. `dargah_`).
    pub table_prefix: String,
    pub http: HttpConfig,
    /// How long a claim on a payment lasts before another worker may take it over.
    pub lease_secs: u64,
    /// How long a callback that finds another worker verifying waits for its
    /// answer before replying `in_progress` (0: do not wait).
    pub callback_wait_ms: u64,
    pub mupra: Option<MupraConfig>,
    pub canpay: Option<CanPayConfig>,
    pub atipay: Option<AtiPayConfig>,
    pub vandar: Option<VandarConfig>,
    pub sepal: Option<SepalConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            store: "sqlite://dargah.db".into(),
            card_fingerprint_key: None,
            token_encryption_key: None,
            table_prefix: String::new(),
            http: HttpConfig::default(),
            lease_secs: 60,
            callback_wait_ms: 3000,
            mupra: None,
            canpay: None,
            atipay: None,
            vandar: None,
            sepal: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub connect_timeout_ms: u64,
    /// Whole-request timeout. Always set: PHP's max_execution_time does not count time blocked in I/O.
    pub request_timeout_ms: u64,
    /// Largest gateway answer accepted; bigger ones are a `malformed_response`.
    pub max_response_bytes: usize,
    /// Every gateway call goes out through this proxy: `http://`, `https://`
    /// or `socks5://` (`socks5h://` resolves names at the proxy), with
    /// `user:password@` if it needs them. A secret: it never prints.
    pub proxy: Option<Secret>,
    /// A PEM file of CA certificates trusted besides the built-in (Mozilla)
    /// roots, for every TLS connection of the gateway client: the certificate
    /// of an `https://` proxy signed by the shop's own CA.
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { connect_timeout_ms: 5_000, request_timeout_ms: 20_000, max_response_bytes: 1 << 20, proxy: None, ca_file: None }
    }
}

impl HttpConfig {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

/// Refund window used when a gateway config does not set one: CanPay's documented 15 minutes.
pub const DEFAULT_REFUND_WINDOW_SECS: u64 = 15 * 60;

fn default_refund_window() -> u64 {
    DEFAULT_REFUND_WINDOW_SECS
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MupraConfig {
    pub api_key: Secret,
    #[serde(default = "MupraConfig::default_base")]
    pub base_url: String,
    #[serde(default = "default_refund_window")]
    pub refund_window_secs: u64,
}
impl MupraConfig {
    fn default_base() -> String {
        "https://mupra.ir/restapi/api/ipg/".into()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanPayConfig {
    pub merchant: Secret,
    #[serde(default = "CanPayConfig::default_base")]
    pub base_url: String,
    #[serde(default = "default_refund_window")]
    pub refund_window_secs: u64,
}
impl CanPayConfig {
    fn default_base() -> String {
        "https://canpay.ir/api/ipg/".into()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtiPayConfig {
    #[serde(rename = "apiKey", alias = "api_key")]
    pub api_key: Secret,
    #[serde(rename = "terminalId", alias = "terminal_id")]
    pub terminal_id: String,
    #[serde(default = "AtiPayConfig::default_base")]
    pub base_url: String,
    #[serde(default = "default_refund_window")]
    pub refund_window_secs: u64,
}
impl AtiPayConfig {
    fn default_base() -> String {
        "https://mipg.atipay.net/v1/".into()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VandarConfig {
    /// The IPG key (`api_key` in the IPG v4 bodies).
    pub api_key: Secret,
    #[serde(default = "VandarConfig::default_ipg_base")]
    pub ipg_base_url: String,
    #[serde(default = "VandarConfig::default_api_base")]
    pub api_base_url: String,
    #[serde(default = "VandarConfig::default_batch_base")]
    pub batch_base_url: String,
    #[serde(default = "VandarConfig::default_subscription_base")]
    pub subscription_base_url: String,
    /// Business API credentials (dashboard tokens); optional for IPG-only shops.
    #[serde(default)]
    pub access_token: Option<Secret>,
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub business: Option<String>,
    /// When the dashboard's `access_token` expires, in Unix seconds (the
    /// dashboard shows it; `expires_in` counts from when it was issued).
    /// With it the first refresh happens `refresh_margin_secs` before then;
    /// without it only after Vandar answers 401. Later pairs carry their own
    /// `expires_in`.
    #[serde(default)]
    pub access_token_expires_at: Option<i64>,
    /// Refresh the access token this long before it expires.
    #[serde(default = "VandarConfig::default_refresh_margin")]
    pub refresh_margin_secs: u64,
    #[serde(default = "default_refund_window")]
    pub refund_window_secs: u64,
}
impl VandarConfig {
    fn default_refresh_margin() -> u64 {
        300
    }
    fn default_ipg_base() -> String {
        "https://ipg.vandar.io".into()
    }
    fn default_api_base() -> String {
        "https://api.vandar.io".into()
    }
    fn default_batch_base() -> String {
        "https://batch.vandar.io".into()
    }
    fn default_subscription_base() -> String {
        "https://subscription.vandar.io".into()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SepalConfig {
    pub mobile: String,
    pub password: Secret,
    #[serde(default)]
    pub api_key: Option<Secret>,
    #[serde(default = "SepalConfig::default_base")]
    pub base_url: String,
}
impl SepalConfig {
    fn default_base() -> String {
        "https://sepal.ir".into()
    }
}

impl Config {
    /// Parse JSON text. Unknown keys are errors, so a typo cannot silently drop a setting.
    pub fn from_json(text: &str) -> Result<Config> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::config(format!("config JSON: {}", crate::redact::hide_values(&e.to_string()))))?;
        // serde would read a struct from a JSON list, field by field: a config is an object.
        if !value.is_object() {
            return Err(Error::config("config JSON must be an object"));
        }
        let config: Config = serde_json::from_value(value).map_err(|e| Error::config(format!("config JSON: {}", crate::redact::hide_values(&e.to_string()))))?;
        config.validate()?;
        Ok(config)
    }

    /// Parse TOML text.
    pub fn from_toml(text: &str) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| Error::config(format!("config TOML: {}", crate::redact::hide_values(e.message()))))?;
        config.validate()?;
        Ok(config)
    }

    /// Check every base URL: https, or plain http only to a loopback host.
    pub fn validate(&self) -> Result<()> {
        let mut bases: Vec<(&str, &str)> = Vec::new();
        if let Some(c) = &self.mupra {
            bases.push(("mupra.base_url", &c.base_url));
        }
        if let Some(c) = &self.canpay {
            bases.push(("canpay.base_url", &c.base_url));
        }
        if let Some(c) = &self.atipay {
            bases.push(("atipay.base_url", &c.base_url));
            if c.terminal_id.trim().is_empty() {
                return Err(Error::config("atipay.terminalId is empty"));
            }
        }
        if let Some(c) = &self.vandar {
            bases.push(("vandar.ipg_base_url", &c.ipg_base_url));
            bases.push(("vandar.api_base_url", &c.api_base_url));
            bases.push(("vandar.batch_base_url", &c.batch_base_url));
            bases.push(("vandar.subscription_base_url", &c.subscription_base_url));
        }
        if let Some(c) = &self.sepal {
            bases.push(("sepal.base_url", &c.base_url));
        }
        for (name, base) in bases {
            crate::validate::gateway_base_url(name, base)?;
        }
        if let Some(proxy) = &self.http.proxy {
            crate::validate::proxy_url(proxy.expose())?;
        }
        if let Some(key) = &self.token_encryption_key {
            crate::crypto::check_key(key)?;
        }
        self.validate_durations()
    }

    /// Every duration within sane bounds (so none can wrap), and the claim's
    /// lease longer than the slowest resolution can take: otherwise a slow
    /// but live verify would be taken over and the gateway asked twice.
    fn validate_durations(&self) -> Result<()> {
        in_range("lease_secs", self.lease_secs, 1, MAX_LEASE_SECS)?;
        in_range("http.request_timeout_ms", self.http.request_timeout_ms, 1, MAX_REQUEST_TIMEOUT_MS)?;
        in_range("http.connect_timeout_ms", self.http.connect_timeout_ms, 1, MAX_REQUEST_TIMEOUT_MS)?;
        in_range("callback_wait_ms", self.callback_wait_ms, 0, MAX_CALLBACK_WAIT_MS)?;
        in_range("http.max_response_bytes", self.http.max_response_bytes as u64, 1024, 64 << 20)?;
        let windows = [
            ("mupra.refund_window_secs", self.mupra.as_ref().map(|c| c.refund_window_secs)),
            ("canpay.refund_window_secs", self.canpay.as_ref().map(|c| c.refund_window_secs)),
            ("atipay.refund_window_secs", self.atipay.as_ref().map(|c| c.refund_window_secs)),
            ("vandar.refund_window_secs", self.vandar.as_ref().map(|c| c.refund_window_secs)),
        ];
        for (name, window) in windows {
            if let Some(window) = window {
                in_range(name, window, 1, MAX_REFUND_WINDOW_SECS)?;
            }
        }
        if let Some(v) = &self.vandar {
            in_range("vandar.refresh_margin_secs", v.refresh_margin_secs, 0, MAX_REFUND_WINDOW_SECS)?;
        }
        let slowest_ms = self.slowest_resolution_ms();
        if self.lease_ms() <= slowest_ms as i64 {
            return Err(Error::config(format!(
                "lease_secs ({}) must be longer than the slowest gateway resolution: {GATEWAY_CALLS_PER_RESOLUTION} calls × http.request_timeout_ms ({}) = {slowest_ms} ms; raise lease_secs or lower http.request_timeout_ms",
                self.lease_secs, self.http.request_timeout_ms
            )));
        }
        Ok(())
    }

    /// The longest one claim's gateway calls can take: each call is bounded
    /// by the request timeout, and a resolution makes at most two in a row
    /// (Vandar's transaction info then verify; AtiPay's stored receipt then
    /// the callback's own).
    pub fn slowest_resolution_ms(&self) -> u64 {
        GATEWAY_CALLS_PER_RESOLUTION * self.http.request_timeout_ms
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    pub fn lease_ms(&self) -> i64 {
        (self.lease_secs.min(MAX_LEASE_SECS) * 1000) as i64
    }
}

/// How many gateway calls one claim may make, one after another.
pub const GATEWAY_CALLS_PER_RESOLUTION: u64 = 2;
const MAX_LEASE_SECS: u64 = 24 * 3600;
const MAX_REQUEST_TIMEOUT_MS: u64 = 10 * 60 * 1000;
const MAX_CALLBACK_WAIT_MS: u64 = 60 * 1000;
const MAX_REFUND_WINDOW_SECS: u64 = 30 * 24 * 3600;

/// A named duration or size must lie in `min..=max`.
fn in_range(name: &str, value: u64, min: u64, max: u64) -> Result<()> {
    if value < min || value > max {
        return Err(Error::config(format!("{name} must be between {min} and {max}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mistyped_values_never_reach_the_message() {
        let e = Config::from_json(r#"{"canpay":{"merchant":12345987}}"#).unwrap_err();
        assert!(!e.message().contains("12345987"), "{}", e.message());
        assert!(e.message().contains("invalid type"), "{}", e.message());
        let e = Config::from_json(r#"{"vandar":{"api_key":"k","access_token":["SECRET-TOKEN"]}}"#).unwrap_err();
        assert!(!e.message().contains("SECRET"), "{}", e.message());
        let e = Config::from_toml("[canpay]\nmerchant = 4242424242\n").unwrap_err();
        assert!(!e.message().contains("4242424242"), "{}", e.message());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Config::from_json(
            r#"{"canpay":{"merchant":"m-SECRET-1"},"vandar":{"api_key":"v-SECRET-2","access_token":"v-SECRET-3"},
                "atipay":{"apiKey":"a-SECRET-4","terminalId":"T1"},"sepal":{"mobile":"09120000000","password":"p-SECRET-5"}}"#,
        )
        .unwrap();
        let printed = format!("{c:?} {c:#?}");
        assert!(!printed.contains("SECRET"), "{printed}");
        assert_eq!(c.canpay.unwrap().merchant.expose(), "m-SECRET-1");
    }

    #[test]
    fn defaults_are_the_documented_urls() {
        let c = Config::from_toml("[vandar]\napi_key = \"k\"\n[mupra]\napi_key = \"k\"\n").unwrap();
        let v = c.vandar.unwrap();
        assert_eq!(v.ipg_base_url, "https://ipg.vandar.io");
        assert_eq!(v.api_base_url, "https://api.vandar.io");
        assert_eq!(c.mupra.unwrap().base_url, "https://mupra.ir/restapi/api/ipg/");
        assert_eq!(v.refund_window_secs, 15 * 60);
    }

    #[test]
    fn rejects_plain_http_to_a_remote_host_and_unknown_keys() {
        let e = Config::from_json(r#"{"canpay":{"merchant":"m","base_url":"http://canpay.ir/api/ipg/"}}"#).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert!(e.message().contains("canpay.base_url"));
        Config::from_json(r#"{"canpay":{"merchant":"m","base_url":"http://127.0.0.1:9/canpay/api/ipg/"}}"#).unwrap();
        let e = Config::from_json(r#"{"canpay":{"merchant":"m","merchnt":"x"}}"#).unwrap_err();
        assert!(e.message().contains("merchnt"), "{}", e.message());
        let e = Config::from_json(r#"["sqlite://x.db", "secret"]"#).unwrap_err();
        assert!(e.message().contains("object"), "{}", e.message());
        let e = Config::from_json("{not json").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
    }
}
