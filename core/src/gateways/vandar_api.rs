//! Vandar's business API (`https://api.vandar.io`, plus the batch and
//! subscription hosts): every endpoint the document lists, authenticated with
//! a rotating access/refresh token pair kept in the store, and held under the
//! rate limits (POST 30 per 3 s, others 100 per 3 s) across every process
//! that shares the store.
//!
//! Endpoints are named as the document writes them, `"<METHOD> <path>"`, e.g.
//! `"POST /v3/business/:business/settlement/store"`; `:business` comes from
//! the config unless given. An unknown name or a missing path parameter is an
//! error before any network call.

use super::{json_body, text};
use crate::config::{HttpConfig, VandarConfig};
use crate::crypto::{TokenCipher, KEY_SETTING};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{block_on, Answer, Http};
use crate::process::ProcessLocal;
use crate::ratelimit::{self, Limit};
use crate::secret::Secret;
use crate::store::{RefreshClaim, Store, TokenPair};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Host {
    Api,
    Batch,
    Subscription,
}

/// Every business endpoint in the document: (method, host, path).
pub const ENDPOINTS: &[(&str, Host, &str)] = &[
    // Settlement
    ("POST", Host::Api, "/v3/business/:business/settlement/store"),
    ("GET", Host::Api, "/v2.1/business/:business/settlement"),
    ("GET", Host::Api, "/v2.1/business/:business/settlement/:settlement_id"),
    ("DELETE", Host::Api, "/v2.1/business/:business/settlement/:transaction_id"),
    ("GET", Host::Api, "/v3/business/:business/settlement/banks"),
    // Batch settlement
    ("POST", Host::Batch, "/api/v2/business/:business/batches-settlement"),
    ("GET", Host::Batch, "/api/v2/business/:business/batches"),
    ("GET", Host::Batch, "/api/v2/business/:business/batch-settlements/:batch_id"),
    // Queued settlement
    ("POST", Host::Api, "/v3/business/:business/settlement/queued"),
    ("GET", Host::Api, "/v3/business/:business/settlement/queued"),
    ("GET", Host::Api, "/v3/business/:business/settlement/queued/:id"),
    ("POST", Host::Api, "/v3/business/:business/settlement/queued/cancel"),
    // Cash-in
    ("GET", Host::Api, "/v3/business/:business/cash-in/account"),
    ("POST", Host::Api, "/v3/business/:business/cash-in/account/deposit"),
    ("POST", Host::Api, "/v3/business/:business/cash-in/account/balance"),
    ("GET", Host::Api, "/v3/business/:business/cash-in/code"),
    ("GET", Host::Api, "/v3/business/:business/cash-in/pic/transactions"),
    ("GET", Host::Api, "/v3/business/:business/cash-in/suspicious-payment"),
    ("POST", Host::Api, "/v3/business/:business/cash-in/suspicious-payment/:id"),
    // Direct debit (subscription)
    ("GET", Host::Api, "/v3/business/:business/subscription/banks/actives"),
    ("POST", Host::Api, "/v3/business/:business/subscription/authorization/store"),
    ("GET", Host::Subscription, "/authorizations/:token"),
    ("PATCH", Host::Api, "/v3/business/:business/subscription/authorization/:authorization_id/verify"),
    ("GET", Host::Api, "/v3/business/:business/subscription/authorization/:authorization_id/search"),
    ("GET", Host::Api, "/v3/business/:business/subscription/authorization"),
    ("GET", Host::Api, "/v3/business/:business/subscription/authorization/:authorization_id/calculation"),
    ("DELETE", Host::Api, "/v3/business/:business/subscription/authorization/:authorization_id"),
    ("POST", Host::Api, "/v3/business/:business/subscription/withdrawal/store"),
    ("GET", Host::Api, "/v3/business/:business/subscription/withdrawal/:withdrawal_id"),
    ("GET", Host::Api, "/v3/business/:business/subscription/withdrawal/track-id/:track_id"),
    ("GET", Host::Api, "/v3/business/:business/subscription/withdrawal"),
    ("PUT", Host::Api, "/v3/business/:business/subscription/withdrawal/:withdrawal_id"),
    ("POST", Host::Api, "/v3/business/:business/subscription/refunds"),
    ("GET", Host::Api, "/v3/business/:business/subscription/refunds"),
    ("GET", Host::Api, "/v3/business/:business/subscription/refunds/:refund_id"),
    // Escrow (Miando)
    ("POST", Host::Api, "/miando/api/v1/customers"),
    ("GET", Host::Api, "/miando/api/v1/customers"),
    ("GET", Host::Api, "/miando/api/v1/customers/:id"),
    ("POST", Host::Api, "/miando/api/v1/agreements"),
    ("GET", Host::Api, "/miando/api/v1/agreements"),
    ("POST", Host::Api, "/miando/api/v1/agreements/:tracking_code"),
    ("GET", Host::Api, "/miando/api/v1/agreements/:tracking_code"),
    ("POST", Host::Api, "/miando/api/v1/agreements/:tracking_code/finalize"),
    ("POST", Host::Api, "/miando/api/v1/agreements/:tracking_code/cancel"),
    ("POST", Host::Api, "/miando/api/v1/tickets"),
    // Customers
    ("GET", Host::Api, "/v2/business/:business/customers"),
    ("POST", Host::Api, "/v2/business/:business/customers"),
    ("GET", Host::Api, "/v2/business/:business/customers/:customer"),
    ("PUT", Host::Api, "/v2/business/:business/customers/:customer"),
    ("DELETE", Host::Api, "/v2/business/:business/customers/:customer"),
    ("GET", Host::Api, "/v2/business/:business/customers/fields"),
    ("POST", Host::Api, "/v2/business/:business/customers/fields"),
    ("GET", Host::Api, "/v2/business/:business/customers/fields/:field_id"),
    ("PUT", Host::Api, "/v2/business/:business/customers/fields/:field_id"),
    ("DELETE", Host::Api, "/v2/business/:business/customers/fields/:field_id"),
    ("GET", Host::Api, "/v2/business/:business/customers/:customer/wallet"),
    ("POST", Host::Api, "/v2/business/:business/customers/:customer/wallet/deposit"),
    ("POST", Host::Api, "/v2/business/:business/customers/:customer/wallet/withdraw"),
    ("POST", Host::Api, "/v2/business/:business/customers/:customer/transactions"),
    ("POST", Host::Api, "/v3/business/:business/customers/:customer/ibans"),
    ("GET", Host::Api, "/v3/business/:business/customers/:customer/ibans"),
    ("DELETE", Host::Api, "/v3/business/:business/customers/:customer/ibans"),
    ("POST", Host::Api, "/v3/business/:business/customers/:customer/ibans/:iban/inquiry"),
    ("POST", Host::Api, "/v3/business/:business/customers/:customer/ibans/:iban/set-default"),
    ("POST", Host::Api, "/v3/business/:business/customers/:customer/cards"),
    ("GET", Host::Api, "/v3/business/:business/customers/:customer/cards"),
    ("DELETE", Host::Api, "/v3/business/:business/customers/:customer/cards/:card"),
    ("POST", Host::Api, "/v3/business/:business/customers/:customer/cards/:card/inquiry"),
    ("POST", Host::Api, "/v3/business/:business/customers/:customer/cards/:card/set-default"),
    ("POST", Host::Api, "/v3/business/:business/customers/:customer/cards/to-iban"),
    ("POST", Host::Api, "/v3/business/:business/customers/authentication/kyc"),
    ("POST", Host::Api, "/v3/business/:business/customers/authentication/shahkar"),
    ("POST", Host::Api, "/v3/business/:business/customers/:customer/authentication/kyc"),
    ("POST", Host::Api, "/v3/business/:business/customers/:customer/authentication/shahkar"),
    // The document writes `:customer` in the business slot here; it is the business.
    ("POST", Host::Api, "/v2/business/:business/customers/:customer/logs"),
    ("GET", Host::Api, "/v3/business/:business/customers/:customer/cash-in-code"),
    // Inquiries
    ("POST", Host::Api, "/v3/business/:business/customers/inquiry/nid"),
    ("POST", Host::Api, "/v3/business/:business/customers/inquiry/nid-image"),
    ("POST", Host::Api, "/v3/business/:business/customers/inquiry/fida"),
    ("POST", Host::Api, "/v3/business/:business/customers/inquiry/postal-code"),
    ("POST", Host::Api, "/v3/business/:business/customers/national-code-iban-inquiry"),
    ("POST", Host::Api, "/v3/business/:business/customers/match-mobile-card"),
    // Statement and business
    ("GET", Host::Api, "/v2/business/:business/balance"),
    ("GET", Host::Api, "/v3/business/:business/transaction"),
    ("GET", Host::Api, "/v2/business/:business"),
    ("GET", Host::Api, "/v2/business/:business/iam"),
    // IPG refund
    ("POST", Host::Api, "/v3/business/:business/transaction/:transaction_id/refund"),
    // Ravand card issuing
    ("POST", Host::Api, "/v1/business/:business/ravand/set-config"),
    ("GET", Host::Api, "/v1/business/:business/ravand/provinces"),
    ("GET", Host::Api, "/v1/business/:business/ravand/cities"),
    ("GET", Host::Api, "/v1/business/:business/ravand/guilds"),
    ("GET", Host::Api, "/v1/business/:business/ravand/educations"),
    ("GET", Host::Api, "/v1/business/:business/ravand/occupations"),
    ("GET", Host::Api, "/v1/business/:business/ravand/reasons"),
    ("POST", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder"),
    ("PUT", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id"),
    ("GET", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/video-caption"),
    ("POST", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/upload"),
    ("POST", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/finalize"),
    ("GET", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/inquiry"),
    ("POST", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/token"),
    ("GET", Host::Api, "/v1/redirect/:token"),
    ("GET", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/accounts-info"),
    ("POST", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/balance"),
    ("GET", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/bank-statement"),
    ("POST", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/transfer"),
    ("POST", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/transfer/retry-otp"),
    ("POST", Host::Api, "/v1/business/:business/ravand/provider/:provider/cardholder/:cardholder_id/transfer/confirm-otp"),
];

const POST_LIMIT: Limit = Limit { limit: 30, window: Duration::from_secs(3) };
const OTHER_LIMIT: Limit = Limit { limit: 100, window: Duration::from_secs(3) };
/// How long a call may wait for a rate-limit slot before failing.
const MAX_RATE_WAIT: Duration = Duration::from_secs(15);
/// Store round trips around a refresh, on top of its rate-limit wait and HTTP call.
const REFRESH_SLACK: Duration = Duration::from_secs(5);
/// How often a caller waiting for another's refresh looks at the store.
const REFRESH_POLL: Duration = Duration::from_millis(40);
/// How many times one call is sent again after a 401 (each time with a newer pair).
const MAX_401_RETRIES: usize = 3;
/// How many times, and after how long, a call answered 429 is sent again.
const MAX_429_RETRIES: usize = 2;
const THROTTLED_WAIT: Duration = Duration::from_millis(750);

/// How long one caller holds the token refresh before another may take it
/// over: longer than the slowest refresh can take (the rate-limit wait, then
/// the whole HTTP request), so a live refresh is never taken over and its
/// refresh token never spent twice.
pub(crate) fn refresh_lease(http: &HttpConfig) -> Duration {
    MAX_RATE_WAIT + http.request_timeout() + REFRESH_SLACK
}

/// A request resolved against the endpoint table, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: reqwest::Method,
    pub url: url::Url,
    pub body: Option<Value>,
}

/// Look up `name` and fill its path parameters; nothing is sent.
pub(crate) fn resolve(config: &VandarConfig, name: &str, params: &BTreeMap<String, String>, query: &BTreeMap<String, String>, body: Option<Value>) -> Result<Request> {
    let (method, path) = name
        .trim()
        .split_once(' ')
        // Never echo the value: a credential pasted into the wrong parameter would be shown.
        .ok_or_else(|| Error::invalid("vandar endpoint must look like \"GET /v2/business/:business/balance\" (see vandar.endpoints)"))?;
    let method = method.to_ascii_uppercase();
    let (_, host, pattern) = ENDPOINTS
        .iter()
        .find(|(m, _, p)| *m == method && *p == path.trim())
        .ok_or_else(|| Error::invalid("vandar has no business endpoint by that name; see dargah_core::vandar_endpoints()"))?;
    let base = match host {
        Host::Api => &config.api_base_url,
        Host::Batch => &config.batch_base_url,
        Host::Subscription => &config.subscription_base_url,
    };
    let mut url = url::Url::parse(base).map_err(|e| Error::config(format!("vandar base URL: {e}")))?;
    {
        let mut segments = url.path_segments_mut().map_err(|_| Error::config("vandar base URL cannot have a path"))?;
        segments.pop_if_empty();
        for part in pattern.split('/').filter(|p| !p.is_empty()) {
            match part.strip_prefix(':') {
                Some(param) => {
                    let value = params
                        .get(param)
                        .cloned()
                        .or_else(|| (param == "business").then(|| config.business.clone()).flatten())
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| Error::invalid(format!("vandar {method} {pattern}: path parameter {param} is missing")))?;
                    segments.push(&value);
                }
                None => {
                    segments.push(part);
                }
            }
        }
    }
    if let Some(unknown) = params.keys().find(|k| !pattern.contains(&format!(":{k}"))) {
        return Err(Error::invalid(format!("vandar {method} {pattern} has no path parameter {unknown}")));
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query.iter());
    }
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| Error::internal("bad method in the endpoint table"))?;
    Ok(Request { method, url, body })
}

/// The business API client of one `Dargah`.
pub(crate) struct VandarApi {
    pub config: Arc<VandarConfig>,
    /// The merchant account: its tokens and rate windows are its own.
    pub account: String,
    pub store: Arc<dyn Store>,
    /// Where the store is (its URL, password left out, and table prefix):
    /// a pair this process could not store belongs to that store only.
    pub store_place: String,
    pub http: Arc<Http>,
    /// See [`refresh_lease`].
    pub refresh_lease: Duration,
    /// Encrypts the pair in the store (`token_encryption_key`); without it
    /// the business API refuses to store its tokens at all.
    pub cipher: Option<Arc<TokenCipher>>,
}

impl VandarApi {
    /// The name the token pair is stored under: gateway, account (the
    /// default account keeps the name it had before accounts) and business.
    fn pair_name(&self) -> String {
        format!("{}:{}", self.scope(), self.config.business.as_deref().unwrap_or("default"))
    }

    /// `vandar` for the default account, `vandar@NAME` for a named one.
    fn scope(&self) -> String {
        match self.account.as_str() {
            crate::config::DEFAULT_ACCOUNT => "vandar".to_string(),
            account => format!("vandar@{account}"),
        }
    }

    /// The rate window for a method, kept per account.
    fn bucket(&self, post: bool) -> String {
        format!("{}:{}", self.scope(), if post { "POST" } else { "other" })
    }

    fn cipher(&self) -> Result<&TokenCipher> {
        self.cipher.as_deref().ok_or_else(|| {
            Error::config(format!(
                "vandar's business API keeps its rotating tokens in the store, encrypted: set {KEY_SETTING} (at least {} characters) in the configuration",
                crate::crypto::MIN_KEY_CHARS
            ))
        })
    }

    /// A pair as the store holds it (encrypted), decrypted; `true` if it is
    /// to be stored again: a part of it was stored in clear by an older
    /// version, or under an older key of `token_encryption_key`'s list.
    fn open(&self, name: &str, stored: &TokenPair) -> Result<(TokenPair, bool)> {
        let cipher = self.cipher()?;
        let open = |value: &Secret| cipher.open(name, value, stored.legacy_clear);
        let (access, refresh) = (open(&stored.access_token)?, open(&stored.refresh_token)?);
        let rewrite = access.needs_rewrite() || refresh.needs_rewrite();
        Ok((TokenPair { access_token: access.into_secret(), refresh_token: refresh.into_secret(), ..stored.clone() }, rewrite))
    }

    fn seal(&self, name: &str, value: &Secret) -> Result<Secret> {
        self.cipher()?.seal(name, value)
    }

    /// The current pair, seeding the store from the config the first time.
    fn pair(&self) -> Result<TokenPair> {
        let name = self.pair_name();
        self.cipher()?;
        self.store_unstored(&name)?;
        let configured_expiry = self.config.access_token_expires_at.map(|secs| secs.saturating_mul(1000));
        if let Some(stored) = self.store.token_pair(&name)? {
            let (pair, rewrite) = self.open(&name, &stored)?;
            if rewrite {
                return self.reseal_pair(&name, &stored, pair);
            }
            // A dashboard pair stored before the config said when it expires: record the expiry now.
            let fill = pair.generation == 0 && pair.expires_at.is_none() && configured_expiry.is_some() && self.config.access_token.as_ref() == Some(&pair.access_token);
            if !fill {
                return Ok(pair);
            }
            // The store matches the pair by its stored (encrypted) text; the seed itself is ignored, a pair being stored.
            self.store.seed_token_pair(&name, &stored.access_token, &stored.refresh_token, configured_expiry)?;
        } else {
            let (Some(access), Some(refresh)) = (&self.config.access_token, &self.config.refresh_token) else {
                return Err(Error::config("vandar business API needs access_token and refresh_token in the config"));
            };
            self.store.seed_token_pair(&name, &self.seal(&name, access)?, &self.seal(&name, refresh)?, configured_expiry)?;
        }
        self.stored_pair(&name)
    }

    /// The stored pair, decrypted (as it is: no rewrite).
    fn stored_pair(&self, name: &str) -> Result<TokenPair> {
        let stored = self.store.token_pair(name)?.ok_or_else(|| Error::store("the token pair vanished"))?;
        Ok(self.open(name, &stored)?.0)
    }

    /// A pair an older version stored in clear, or stored under an older key
    /// of the list: store it again, encrypted with the first key, under the
    /// refresh lease (as a refresh would, with the same tokens and no later
    /// expiry), so it is read that way this once. While another caller holds
    /// the lease, its refresh stores the next pair with the first key.
    fn reseal_pair(&self, name: &str, stored: &TokenPair, pair: TokenPair) -> Result<TokenPair> {
        let lease_ms = i64::try_from(self.refresh_lease.as_millis()).unwrap_or(i64::MAX);
        match self.store.claim_token_refresh(name, stored.generation, lease_ms)? {
            RefreshClaim::Claimed { fence, pair: locked } => {
                let stored_again = self.open(name, &locked).and_then(|(current, _)| {
                    // The expiry is counted from the claim (`locked.read_at`), rounded down to whole seconds.
                    let expires_in_secs = current.expires_at.map(|at| at.saturating_sub(locked.read_at).max(0) / 1000);
                    let (access, refresh) = (self.seal(name, &current.access_token)?, self.seal(name, &current.refresh_token)?);
                    self.store.store_token_pair(name, fence, &access, &refresh, expires_in_secs)
                });
                match stored_again {
                    Ok(done) => {
                        crate::audit::audit!(info, "vandar", "token_encrypted", outcome = if done { "ok" } else { "fenced_out" });
                        self.stored_pair(name)
                    }
                    Err(e) => {
                        self.store.release_token_refresh(name, fence)?;
                        Err(e)
                    }
                }
            }
            RefreshClaim::Rotated(newer) => Ok(self.open(name, &newer)?.0),
            RefreshClaim::Busy { .. } => Ok(pair),
        }
    }

    /// The pair to send with, refreshed first when it is due. While another
    /// caller refreshes a pair that has not expired yet, it is used meanwhile.
    fn usable_pair(&self) -> Result<TokenPair> {
        let pair = self.pair()?;
        let margin = i64::try_from(self.config.refresh_margin_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        match pair.expires_at {
            // Both sides on the store's clock.
            Some(at) if at.saturating_sub(margin) <= pair.read_at => {
                let still_valid = at > pair.read_at;
                self.refresh(&pair, still_valid)
            }
            _ => Ok(pair),
        }
    }

    /// Replace the pair `seen` (the one that was refused or is due), unless
    /// it has been replaced already. Only one caller across every process
    /// spends its refresh token: it claims the refresh lease for `seen`'s
    /// generation under a rising fence, and stores the new pair only under
    /// that fence; the others wait for that pair (or, if `use_while_busy`,
    /// go on with `seen`, which has not expired yet).
    fn refresh(&self, seen: &TokenPair, use_while_busy: bool) -> Result<TokenPair> {
        let name = self.pair_name();
        let lease_ms = i64::try_from(self.refresh_lease.as_millis()).unwrap_or(i64::MAX);
        // Our own patience, measured on this process's monotonic clock only.
        let give_up = std::time::Instant::now() + self.refresh_lease + REFRESH_SLACK;
        loop {
            match self.store.claim_token_refresh(&name, seen.generation, lease_ms)? {
                RefreshClaim::Rotated(pair) => return Ok(self.open(&name, &pair)?.0),
                RefreshClaim::Busy { .. } if use_while_busy => return Ok(seen.clone()),
                RefreshClaim::Busy { lease_left_ms, .. } => {
                    // Watch with plain reads until the holder stores its pair; claim
                    // again (a write) only once its lease may have run out.
                    let lease_over = std::time::Instant::now() + Duration::from_millis(lease_left_ms.max(0) as u64);
                    loop {
                        if std::time::Instant::now() > give_up {
                            return Err(Error::new(ErrorKind::Timeout, "waited too long for another process to refresh the vandar token"));
                        }
                        std::thread::sleep(REFRESH_POLL);
                        let current = self.pair()?;
                        if current.generation != seen.generation {
                            return Ok(current);
                        }
                        if std::time::Instant::now() >= lease_over {
                            break;
                        }
                    }
                }
                RefreshClaim::Claimed { fence, pair } => {
                    let pair = match self.open(&name, &pair) {
                        Ok((pair, _)) => pair,
                        Err(e) => {
                            self.store.release_token_refresh(&name, fence)?;
                            return Err(e);
                        }
                    };
                    let rotated = self.rotate(&pair.refresh_token);
                    crate::audit::audit!(info, "vandar", "token_refresh", outcome = if rotated.is_ok() { "ok" } else { "failed" });
                    let issued = match rotated {
                        Ok(issued) => issued,
                        Err(e) => {
                            self.store.release_token_refresh(&name, fence)?;
                            return Err(e);
                        }
                    };
                    let for_this_call = TokenPair { access_token: issued.access_token.clone(), refresh_token: issued.refresh_token.clone(), expires_at: None, legacy_clear: false, ..pair.clone() };
                    let unstored = Unstored { fence, generation: pair.generation, issued, at: std::time::Instant::now() };
                    match self.store_issued(&name, &unstored) {
                        Ok(true) => return self.pair(),
                        // Fenced out: we were paused past the whole lease and another caller took
                        // the refresh over. Its pair is the stored one; ours is not stored, but it
                        // is valid, so this one call goes on with it.
                        Ok(false) => return Ok(for_this_call),
                        Err(e) => {
                            // The old refresh token is spent: this pair is the only one that works
                            // now, and it exists only here. Keep it in this process, store it before
                            // anything else reads the pair, and go on with it.
                            crate::audit::audit!(warn, "vandar", "token_store_failed", outcome = "kept_in_process", error = e.message());
                            unstored_pairs()?.lock().unwrap_or_else(|p| p.into_inner()).insert(self.unstored_key(&name), unstored);
                            return Ok(for_this_call);
                        }
                    }
                }
            }
        }
    }

    /// Store a pair Vandar issued under the refresh lease `fence`: `false` if fenced out.
    fn store_issued(&self, name: &str, unstored: &Unstored) -> Result<bool> {
        let Issued { access_token, refresh_token, expires_in_secs } = &unstored.issued;
        let (access, refresh) = (self.seal(name, access_token)?, self.seal(name, refresh_token)?);
        // The expiry counts from the claim; what passed since it was issued is taken off.
        let waited = i64::try_from(unstored.at.elapsed().as_secs()).unwrap_or(i64::MAX);
        let expires_in_secs = expires_in_secs.map(|secs| secs.saturating_sub(waited).max(0));
        self.store.store_token_pair(name, unstored.fence, &access, &refresh, expires_in_secs)
    }

    /// A pair this process was issued but could not store (see `refresh`):
    /// store it now, before the stored pair — whose refresh token is spent —
    /// is read. Fenced out (the lease ran out while the store was down), it
    /// is stored under a new lease while the stored pair is still the one it
    /// replaces; a newer stored pair supersedes it. Until it is stored, this
    /// fails as the store does.
    fn store_unstored(&self, name: &str) -> Result<()> {
        let pending = unstored_pairs()?;
        let key = self.unstored_key(name);
        let Some(mut unstored) = pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&key) else { return Ok(()) };
        let lease_ms = i64::try_from(self.refresh_lease.as_millis()).unwrap_or(i64::MAX);
        let stored_as = |stored: bool| if stored { "ok" } else { "fenced_out" };
        let result = (|| {
            if self.store_issued(name, &unstored)? {
                return Ok("ok");
            }
            match self.store.claim_token_refresh(name, unstored.generation, lease_ms)? {
                RefreshClaim::Claimed { fence, .. } => {
                    unstored.fence = fence;
                    self.store_issued(name, &unstored).map(stored_as)
                }
                RefreshClaim::Rotated(_) => Ok("superseded"),
                RefreshClaim::Busy { .. } => Err(Error::store("another process holds the vandar token refresh while this one keeps an issued pair; try again")),
            }
        })();
        match result {
            Ok(outcome) => {
                crate::audit::audit!(info, "vandar", "token_stored_late", outcome = outcome);
                Ok(())
            }
            Err(e) => {
                pending.lock().unwrap_or_else(|p| p.into_inner()).entry(key).or_insert(unstored);
                Err(e)
            }
        }
    }

    /// Two clients of one process on different stores may both name their
    /// pair `vandar:<business>`: a kept pair is found by store and name.
    fn unstored_key(&self, name: &str) -> String {
        format!("{}\u{0}{name}", self.store_place)
    }

    fn rotate(&self, refresh_token: &Secret) -> Result<Issued> {
        ratelimit::acquire(self.store.as_ref(), &self.bucket(true), POST_LIMIT, MAX_RATE_WAIT)?;
        let url = crate::http::endpoint(&self.config.api_base_url, "v3/refreshtoken")?;
        let body = json!({"refreshtoken": refresh_token.expose()});
        let http = self.http.clone();
        let answer = block_on(async move { http.post_json(url, &body).await })??;
        let body = json_body(&answer, "vandar refreshtoken")?;
        if answer.status != 200 {
            let e = error_of(&answer, &body);
            return Err(if answer.status == 401 {
                Error::new(ErrorKind::Config, "vandar refused the stored refresh token (spent or revoked); issue new tokens in the Vandar dashboard").with_http_status(401)
            } else {
                e
            });
        }
        let field = |k: &str| text(&body, k).ok_or_else(|| Error::malformed(format!("vandar refreshtoken: {k} is missing")));
        let expires_in: i64 = field("expires_in")?.parse().map_err(|_| Error::malformed("vandar refreshtoken: expires_in is not a number"))?;
        Ok(Issued { access_token: Secret::new(field("access_token")?), refresh_token: Secret::new(field("refresh_token")?), expires_in_secs: Some(expires_in) })
    }

    /// Send one authenticated, rate-limited request. On a 401 it refreshes
    /// the pair that was refused — only if that pair is still the stored one
    /// — and sends again with the newer pair.
    pub(crate) fn send(&self, request: &Request) -> Result<Value> {
        let post = request.method == reqwest::Method::POST;
        let (bucket, limit) = (self.bucket(post), if post { POST_LIMIT } else { OTHER_LIMIT });
        let (mut retries, mut throttled) = (0, 0);
        loop {
            ratelimit::acquire(self.store.as_ref(), &bucket, limit, MAX_RATE_WAIT)?;
            let pair = self.usable_pair()?;
            let (http, req, bearer) = (self.http.clone(), request.clone(), pair.access_token.expose().to_string());
            let answer = block_on(async move { http.send(req.method, req.url, req.body.as_ref(), Some(&bearer)).await })??;
            if answer.status == 401 && retries < MAX_401_RETRIES {
                retries += 1;
                self.refresh(&pair, false)?;
                continue;
            }
            if answer.status == 429 && throttled < MAX_429_RETRIES {
                // Refused before it was processed: our slots were taken in time, but the
                // network bunched the requests up on the way. Wait, then send it again.
                throttled += 1;
                std::thread::sleep(THROTTLED_WAIT + Duration::from_millis(rand::random::<u64>() % 250));
                continue;
            }
            let body = json_body(&answer, "vandar business API")?;
            if (200..300).contains(&answer.status) {
                return Ok(body);
            }
            return Err(error_of(&answer, &body));
        }
    }
}

/// A pair Vandar just issued.
struct Issued {
    access_token: Secret,
    refresh_token: Secret,
    expires_in_secs: Option<i64>,
}

/// A pair Vandar issued that the store failed to take, kept until it does.
struct Unstored {
    /// The refresh lease it was issued under.
    fence: i64,
    /// The stored generation it replaces.
    generation: i64,
    issued: Issued,
    at: std::time::Instant,
}

/// This process's unstored pairs, by store and pair name (a forked child starts with none: its parent keeps them).
fn unstored_pairs() -> Result<std::sync::Arc<std::sync::Mutex<BTreeMap<String, Unstored>>>> {
    static UNSTORED: ProcessLocal<std::sync::Mutex<BTreeMap<String, Unstored>>> = ProcessLocal::new();
    UNSTORED.get_or_try_init(|| Ok(std::sync::Mutex::default()))
}

/// Vandar's `{"status":0,"errors":[…]}` (or `message`) as an error.
fn error_of(answer: &Answer, body: &Value) -> Error {
    if answer.status == 429 {
        return Error::new(ErrorKind::RateLimited, "vandar answered 429 (rate limit)").with_http_status(429);
    }
    let message = match body.get("errors") {
        Some(Value::Array(errors)) => Some(errors.iter().map(|e| e.as_str().map(str::to_string).unwrap_or_else(|| e.to_string())).collect::<Vec<_>>().join("; ")),
        Some(Value::Object(map)) => Some(Value::Object(map.clone()).to_string()),
        _ => text(body, "message").or_else(|| text(body, "error")),
    };
    Error::rejected(body.get("status").map(|s| s.to_string()), message, answer.status)
}

/// Names of every business endpoint, as `"<METHOD> <path>"`.
pub fn endpoint_names() -> Vec<String> {
    ENDPOINTS.iter().map(|(m, _, p)| format!("{m} {p}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> VandarConfig {
        serde_json::from_value(json!({"api_key": "k", "business": "shop", "api_base_url": "https://api.vandar.io"})).unwrap()
    }

    #[test]
    fn endpoints_are_unique_and_resolve() {
        let names = endpoint_names();
        let unique: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names.len() >= 100, "{}", names.len());
        let mut params = BTreeMap::new();
        params.insert("settlement_id".to_string(), "a b/c".to_string());
        let r = resolve(&config(), "GET /v2.1/business/:business/settlement/:settlement_id", &params, &BTreeMap::new(), None).unwrap();
        assert_eq!(r.url.as_str(), "https://api.vandar.io/v2.1/business/shop/settlement/a%20b%2Fc", "values are escaped, never spliced");
        let r = resolve(&config(), "GET /authorizations/:token", &[("token".to_string(), "T".to_string())].into(), &BTreeMap::new(), None).unwrap();
        assert_eq!(r.url.as_str(), "https://subscription.vandar.io/authorizations/T");
    }

    #[test]
    fn the_refresh_lease_outlasts_the_slowest_refresh() {
        // Item 16: the old fixed 30 s lease was shorter than a 15 s rate-limit wait plus the 20 s default timeout.
        for timeout_ms in [1_000, 20_000, 120_000] {
            let http = HttpConfig { request_timeout_ms: timeout_ms, ..HttpConfig::default() };
            let lease = refresh_lease(&http);
            assert!(lease > MAX_RATE_WAIT + http.request_timeout(), "{lease:?} for a {timeout_ms} ms timeout");
        }
    }

    #[test]
    fn typos_and_missing_parameters_fail_before_the_network() {
        let none = BTreeMap::new();
        let e = resolve(&config(), "GET /v2/business/:business/balanse", &none, &none, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = resolve(&config(), "POST /v2/business/:business/balance", &none, &none, None).unwrap_err();
        assert!(e.message().contains("no business endpoint"));
        let e = resolve(&config(), "GET /v2.1/business/:business/settlement/:settlement_id", &none, &none, None).unwrap_err();
        assert!(e.message().contains("settlement_id is missing"), "{}", e.message());
        let extra: BTreeMap<String, String> = [("id".to_string(), "1".to_string())].into();
        let e = resolve(&config(), "GET /v2/business/:business/balance", &extra, &none, None).unwrap_err();
        assert!(e.message().contains("no path parameter id"));
        let e = resolve(&config(), "balance", &none, &none, None).unwrap_err();
        assert!(e.message().contains("must look like"));
    }
}
