//! Typed configuration, loadable from JSON or TOML text (the bindings pass it
//! that way). Credentials are [`Secret`]s: their Debug and Display never show
//! the value.

use crate::error::{Error, Result};
pub use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

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

/// The configuration sections that can name merchant accounts: the four payment gateways and Sepal.
pub const ACCOUNT_SECTIONS: [&str; 5] = ["mupra", "canpay", "atipay", "vandar", "sepal"];

/// The whole library configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where payments are kept: `sqlite:///absolute/path.db`, `sqlite://relative.db` (resolved
    /// against the current directory once, when the client is made) or a bare path;
    /// `postgres://…` or `mysql://…` (with TLS options). Its password never prints.
    pub store: StoreUrl,
    /// Keys the card fingerprints kept instead of unsalted card hashes
    /// (see `redact`); without it those hashes are dropped.
    pub card_fingerprint_key: Option<Secret>,
    /// Encrypts the secrets the store keeps (Vandar's business API tokens)
    /// with AES-256-GCM; at least 32 characters. A list rotates keys: the
    /// first encrypts, every one decrypts. Required to use Vandar's business
    /// API; see `crypto`.
    pub token_encryption_key: Option<crate::crypto::TokenKeys>,
    /// Put before every table name, for a database shared with the shop (e.g. `dargah_`).
    pub table_prefix: String,
    pub http: HttpConfig,
    /// How long a claim on a payment lasts before another worker may take it over.
    pub lease_secs: u64,
    /// How long a callback that finds another worker verifying waits for its
    /// answer before replying `in_progress` (0: do not wait).
    pub callback_wait_ms: u64,
    /// After the gateway said "not paid yet" to a callback's verify, further
    /// callbacks are answered from the store for this long, doubling with
    /// each callback verify up to 60 s (issue 24: a forger repeating "paid"
    /// costs one gateway call per interval, not one per request).
    pub callback_backoff_ms: u64,
    /// Callback verifies of one payment before its deadline; after them
    /// reconcile asks the gateway (AtiPay: a receipt the gateway was never
    /// asked about is still verified by its own callback).
    pub callback_verify_cap: u64,
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
            callback_backoff_ms: crate::store::CALLBACK_BACKOFF_FIRST_MS as u64,
            callback_verify_cap: crate::store::CALLBACK_VERIFY_CAP as u64,
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
    /// Further merchant accounts at this gateway, by name (`[mupra.accounts.NAME]`),
    /// each a complete table of its own; this table is the `default` account.
    #[serde(default)]
    pub accounts: BTreeMap<String, MupraConfig>,
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
    /// Further merchant accounts at this gateway, by name (`[canpay.accounts.NAME]`),
    /// each a complete table of its own; this table is the `default` account.
    #[serde(default)]
    pub accounts: BTreeMap<String, CanPayConfig>,
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
    /// Further merchant accounts at this gateway, by name (`[atipay.accounts.NAME]`),
    /// each a complete table of its own; this table is the `default` account.
    #[serde(default)]
    pub accounts: BTreeMap<String, AtiPayConfig>,
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
    /// Further merchant accounts at this gateway, by name (`[vandar.accounts.NAME]`),
    /// each a complete table of its own; this table is the `default` account.
    #[serde(default)]
    pub accounts: BTreeMap<String, VandarConfig>,
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
    /// Further merchant accounts at this gateway, by name (`[sepal.accounts.NAME]`),
    /// each a complete table of its own; this table is the `default` account.
    #[serde(default)]
    pub accounts: BTreeMap<String, SepalConfig>,
}
impl SepalConfig {
    fn default_base() -> String {
        "https://sepal.ir".into()
    }
}

/// "vandar.api_key: invalid type: boolean (value hidden), expected a string":
/// the key's path (keys and list indexes only) before serde's message with
/// any quoted value dropped; the path alone where the error is at the top.
fn key_and_message(path: &serde_path_to_error::Path, message: &str) -> String {
    let message = crate::redact::hide_values(message);
    match path.to_string().as_str() {
        "." | "" => message,
        key => format!("{key}: {message}"),
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
        // serde_path_to_error names the key a wrong or missing value belongs to
        // (`vandar.api_key`: an unset getenv() is `false` in PHP), never the value.
        let config: Config = serde_path_to_error::deserialize(value).map_err(|e| Error::config(format!("config JSON: {}", key_and_message(e.path(), &e.inner().to_string()))))?;
        config.validate()?;
        Ok(config)
    }

    /// Parse TOML text.
    pub fn from_toml(text: &str) -> Result<Config> {
        let config: Config = serde_path_to_error::deserialize(toml::Deserializer::new(text)).map_err(|e| Error::config(format!("config TOML: {}", key_and_message(e.path(), e.inner().message()))))?;
        config.validate()?;
        Ok(config)
    }

    /// Check every base URL: https, or plain http only to a loopback host;
    /// every account name; and that named accounts have none of their own.
    pub fn validate(&self) -> Result<()> {
        self.validate_accounts()?;
        if let Some(c) = &self.atipay {
            for (label, account) in labelled("atipay", c) {
                if account.terminal_id.trim().is_empty() {
                    return Err(Error::config(format!("{label}.terminalId is empty")));
                }
            }
        }
        for (name, base, _) in self.base_urls() {
            crate::validate::gateway_base_url(&name, &base)?;
        }
        if let Some(proxy) = &self.http.proxy {
            crate::validate::proxy_url(proxy.expose())?;
        }
        if let Some(keys) = &self.token_encryption_key {
            crate::crypto::check_keys(keys)?;
        }
        self.validate_durations()
    }

    fn validate_accounts(&self) -> Result<()> {
        fn check<T: GatewayAccounts>(config: Option<&T>) -> Result<()> {
            let Some(config) = config else { return Ok(()) };
            for (name, account) in config.named() {
                // Never echo a bad name: a credential pasted into the wrong place would be shown.
                account_name(name).map_err(|_| Error::config(format!("{}.accounts has an invalid account name: {ACCOUNT_NAME_RULE}", T::GATEWAY)))?;
                if name == DEFAULT_ACCOUNT {
                    return Err(Error::config(format!("{}.accounts.{DEFAULT_ACCOUNT}: the default account is the [{}] table itself", T::GATEWAY, T::GATEWAY)));
                }
                if !account.named().is_empty() {
                    return Err(Error::config(format!("{}.accounts.{name} cannot have accounts of its own", T::GATEWAY)));
                }
            }
            Ok(())
        }
        check(self.mupra.as_ref())?;
        check(self.canpay.as_ref())?;
        check(self.atipay.as_ref())?;
        check(self.vandar.as_ref())?;
        check(self.sepal.as_ref())
    }

    /// Every configured base URL, of every account: (setting name, URL, gateway).
    pub(crate) fn base_urls(&self) -> Vec<(String, String, &'static str)> {
        let mut bases = Vec::new();
        if let Some(c) = &self.mupra {
            for (label, a) in labelled("mupra", c) {
                bases.push((format!("{label}.base_url"), a.base_url.clone(), "mupra"));
            }
        }
        if let Some(c) = &self.canpay {
            for (label, a) in labelled("canpay", c) {
                bases.push((format!("{label}.base_url"), a.base_url.clone(), "canpay"));
            }
        }
        if let Some(c) = &self.atipay {
            for (label, a) in labelled("atipay", c) {
                bases.push((format!("{label}.base_url"), a.base_url.clone(), "atipay"));
            }
        }
        if let Some(c) = &self.vandar {
            for (label, a) in labelled("vandar", c) {
                bases.push((format!("{label}.ipg_base_url"), a.ipg_base_url.clone(), "vandar"));
                bases.push((format!("{label}.api_base_url"), a.api_base_url.clone(), "vandar"));
                bases.push((format!("{label}.batch_base_url"), a.batch_base_url.clone(), "vandar"));
                bases.push((format!("{label}.subscription_base_url"), a.subscription_base_url.clone(), "vandar"));
            }
        }
        if let Some(c) = &self.sepal {
            for (label, a) in labelled("sepal", c) {
                bases.push((format!("{label}.base_url"), a.base_url.clone(), "sepal"));
            }
        }
        bases
    }

    /// The Mupra account by name ([`DEFAULT_ACCOUNT`] is the `[mupra]` table itself).
    pub fn mupra_account(&self, account: &str) -> Result<&MupraConfig> {
        pick(self.mupra.as_ref(), account)
    }
    pub fn canpay_account(&self, account: &str) -> Result<&CanPayConfig> {
        pick(self.canpay.as_ref(), account)
    }
    pub fn atipay_account(&self, account: &str) -> Result<&AtiPayConfig> {
        pick(self.atipay.as_ref(), account)
    }
    pub fn vandar_account(&self, account: &str) -> Result<&VandarConfig> {
        pick(self.vandar.as_ref(), account)
    }
    pub fn sepal_account(&self, account: &str) -> Result<&SepalConfig> {
        pick(self.sepal.as_ref(), account)
    }

    /// The account names configured for a gateway (one of [`ACCOUNT_SECTIONS`]), `default` first.
    pub fn account_names(&self, gateway: &str) -> Vec<String> {
        fn names<T: GatewayAccounts>(c: Option<&T>) -> Vec<String> {
            c.map(|c| std::iter::once(DEFAULT_ACCOUNT.to_string()).chain(c.named().keys().cloned()).collect()).unwrap_or_default()
        }
        match gateway {
            "mupra" => names(self.mupra.as_ref()),
            "canpay" => names(self.canpay.as_ref()),
            "atipay" => names(self.atipay.as_ref()),
            "vandar" => names(self.vandar.as_ref()),
            "sepal" => names(self.sepal.as_ref()),
            _ => Vec::new(),
        }
    }

    /// Every duration within sane bounds (so none can wrap), and the claim's
    /// lease longer than the slowest resolution can take: otherwise a slow
    /// but live verify would be taken over and the gateway asked twice.
    fn validate_durations(&self) -> Result<()> {
        in_range("lease_secs", self.lease_secs, 1, MAX_LEASE_SECS)?;
        in_range("http.request_timeout_ms", self.http.request_timeout_ms, 1, MAX_REQUEST_TIMEOUT_MS)?;
        in_range("http.connect_timeout_ms", self.http.connect_timeout_ms, 1, MAX_REQUEST_TIMEOUT_MS)?;
        in_range("callback_wait_ms", self.callback_wait_ms, 0, MAX_CALLBACK_WAIT_MS)?;
        in_range("callback_backoff_ms", self.callback_backoff_ms, 0, crate::store::CALLBACK_BACKOFF_MAX_MS as u64)?;
        in_range("callback_verify_cap", self.callback_verify_cap, 1, 1000)?;
        in_range("http.max_response_bytes", self.http.max_response_bytes as u64, 1024, 64 << 20)?;
        let mut windows = Vec::new();
        if let Some(c) = &self.mupra {
            windows.extend(labelled("mupra", c).map(|(label, a)| (label, a.refund_window_secs)));
        }
        if let Some(c) = &self.canpay {
            windows.extend(labelled("canpay", c).map(|(label, a)| (label, a.refund_window_secs)));
        }
        if let Some(c) = &self.atipay {
            windows.extend(labelled("atipay", c).map(|(label, a)| (label, a.refund_window_secs)));
        }
        if let Some(c) = &self.vandar {
            windows.extend(labelled("vandar", c).map(|(label, a)| (label, a.refund_window_secs)));
            for (label, a) in labelled("vandar", c) {
                in_range(&format!("{label}.refresh_margin_secs"), a.refresh_margin_secs, 0, MAX_REFUND_WINDOW_SECS)?;
            }
        }
        for (label, window) in windows {
            in_range(&format!("{label}.refund_window_secs"), window, 1, MAX_REFUND_WINDOW_SECS)?;
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

/// The account a gateway's own table configures (its home is the model, which the store reads too).
pub use crate::model::DEFAULT_ACCOUNT;

const ACCOUNT_NAME_RULE: &str = "an account name is 1 to 32 characters: a lowercase letter first, then lowercase letters, digits, '_' or '-'";

/// An account name is a short identifier: `[a-z][a-z0-9_-]{0,31}`.
pub fn account_name(name: &str) -> Result<()> {
    let ok = (1..=32).contains(&name.len())
        && name.as_bytes()[0].is_ascii_lowercase()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        // The value is never echoed: it may be a credential passed in the wrong place.
        Err(Error::invalid(ACCOUNT_NAME_RULE))
    }
}

/// A gateway's configuration, whose table is its default account and
/// whose `accounts` are the named ones.
pub trait GatewayAccounts: Sized {
    const GATEWAY: &'static str;
    fn named(&self) -> &BTreeMap<String, Self>;
}

macro_rules! gateway_accounts {
    ($($t:ty => $name:literal),*) => {$(
        impl GatewayAccounts for $t {
            const GATEWAY: &'static str = $name;
            fn named(&self) -> &BTreeMap<String, Self> {
                &self.accounts
            }
        }
    )*};
}
gateway_accounts!(MupraConfig => "mupra", CanPayConfig => "canpay", AtiPayConfig => "atipay", VandarConfig => "vandar", SepalConfig => "sepal");

/// The default account and every named one, each with its setting name
/// (`vandar`, `vandar.accounts.branch2`).
fn labelled<'a, T: GatewayAccounts>(gateway: &'a str, config: &'a T) -> impl Iterator<Item = (String, &'a T)> + 'a {
    std::iter::once((gateway.to_string(), config)).chain(config.named().iter().map(move |(name, a)| (format!("{gateway}.accounts.{name}"), a)))
}

/// One account of a gateway. An unknown account is a `config` error that
/// names the configured accounts, never the value asked for.
fn pick<'a, T: GatewayAccounts>(config: Option<&'a T>, account: &str) -> Result<&'a T> {
    account_name(account)?;
    let config = config.ok_or_else(|| Error::config(format!("gateway {} is not configured", T::GATEWAY)))?;
    if account == DEFAULT_ACCOUNT {
        return Ok(config);
    }
    config.named().get(account).ok_or_else(|| {
        let known: Vec<&str> = std::iter::once(DEFAULT_ACCOUNT).chain(config.named().keys().map(String::as_str)).collect();
        Error::config(format!("{} has no account by that name; configured: {}", T::GATEWAY, known.join(", ")))
    })
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
    fn a_wrong_or_missing_value_names_its_key_never_the_value() {
        // PHP's getenv() of an unset variable is false: the key, not "invalid type" alone.
        let e = Config::from_json(r#"{"vandar":{"api_key":false}}"#).unwrap_err();
        assert_eq!(e.message(), "config JSON: vandar.api_key: invalid type: boolean (value hidden), expected a string");
        let e = Config::from_json(r#"{"atipay":{"apiKey":"SECRET-KEY-1","terminalId":7}}"#).unwrap_err();
        assert!(e.message().starts_with("config JSON: atipay.terminalId: invalid type: integer"), "{}", e.message());
        assert!(!e.message().contains("SECRET") && !e.message().contains('7'), "{}", e.message());
        let e = Config::from_json(r#"{"canpay":{"accounts":{"branch2":{"merchant":null}}, "merchant":"m"}}"#).unwrap_err();
        assert!(e.message().starts_with("config JSON: canpay.accounts.branch2.merchant: "), "{}", e.message());
        let e = Config::from_json(r#"{"atipay":{"apiKey":"SECRET-KEY-2"}}"#).unwrap_err();
        assert_eq!(e.message(), "config JSON: atipay: missing field `terminalId`");
        let e = Config::from_toml("[sepal]\nmobile = \"09120000000\"\npassword = 123456789\n").unwrap_err();
        assert_eq!(e.message(), "config TOML: sepal.password: invalid type: integer (value hidden), expected a string");
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

    #[test]
    fn named_accounts_sit_under_the_gateway_table() {
        let c = Config::from_toml(
            "[vandar]\napi_key = \"k1\"\n[vandar.accounts.branch2]\napi_key = \"k2\"\nipg_base_url = \"http://127.0.0.1:9/v\"\n\
             [atipay]\napiKey = \"a1\"\nterminalId = \"T1\"\n[atipay.accounts.shop-b]\napiKey = \"a2\"\nterminalId = \"T2\"\n",
        )
        .unwrap();
        assert_eq!(c.vandar_account(DEFAULT_ACCOUNT).unwrap().api_key.expose(), "k1");
        assert_eq!(c.vandar_account("branch2").unwrap().api_key.expose(), "k2");
        assert_eq!(c.vandar_account("branch2").unwrap().ipg_base_url, "http://127.0.0.1:9/v");
        assert_eq!(c.atipay_account("shop-b").unwrap().terminal_id, "T2");
        assert_eq!(c.account_names("vandar"), ["default", "branch2"]);
        assert!(c.account_names("mupra").is_empty());
        let e = c.vandar_account("branch3").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert!(e.message().contains("default, branch2") && !e.message().contains("branch3"), "{}", e.message());
        assert_eq!(c.vandar_account("Bad Name").unwrap_err().kind(), crate::ErrorKind::InvalidInput);
        assert_eq!(c.mupra_account(DEFAULT_ACCOUNT).unwrap_err().kind(), crate::ErrorKind::Config);
        // Secrets of named accounts never print either.
        let printed = format!("{c:?}");
        assert!(!printed.contains("k2") && !printed.contains("a2"), "{printed}");
    }

    #[test]
    fn account_tables_are_checked() {
        let bad_name = r#"{"canpay":{"merchant":"m","accounts":{"SECRET-m2":{"merchant":"m2"}}}}"#;
        let e = Config::from_json(bad_name).unwrap_err();
        assert!(e.message().contains("invalid account name") && !e.message().contains("SECRET"), "{}", e.message());
        let e = Config::from_json(r#"{"canpay":{"merchant":"m","accounts":{"default":{"merchant":"m2"}}}}"#).unwrap_err();
        assert!(e.message().contains("default account"), "{}", e.message());
        let e = Config::from_json(r#"{"canpay":{"merchant":"m","accounts":{"b":{"merchant":"m2","accounts":{"c":{"merchant":"m3"}}}}}}"#).unwrap_err();
        assert!(e.message().contains("canpay.accounts.b cannot have accounts"), "{}", e.message());
        let e = Config::from_json(r#"{"canpay":{"merchant":"m","accounts":{"b":{"merchant":"m2","base_url":"http://canpay.ir/api/ipg/"}}}}"#).unwrap_err();
        assert!(e.message().contains("canpay.accounts.b.base_url"), "{}", e.message());
        let e = Config::from_json(r#"{"canpay":{"merchant":"m","accounts":{"b":{"merchant":"m2","refund_window_secs":0}}}}"#).unwrap_err();
        assert!(e.message().contains("canpay.accounts.b.refund_window_secs"), "{}", e.message());
        let e = Config::from_json(r#"{"atipay":{"apiKey":"a","terminalId":"T","accounts":{"b":{"apiKey":"a2","terminalId":" "}}}}"#).unwrap_err();
        assert!(e.message().contains("atipay.accounts.b.terminalId"), "{}", e.message());
        let e = Config::from_json(r#"{"canpay":{"merchant":"m","accounts":{"b":{"merchnt":"m2"}}}}"#).unwrap_err();
        assert!(e.message().contains("merchnt"), "{}", e.message());
        for ok in ["b", "branch2", "shop_b", "a-1", "abcdefghijklmnopqrstuvwxyz012345"] {
            account_name(ok).unwrap();
        }
        for bad in ["", "B", "1a", "a b", "a.b", "abcdefghijklmnopqrstuvwxyz0123456", "ä"] {
            assert!(account_name(bad).is_err(), "{bad:?}");
        }
    }
}
