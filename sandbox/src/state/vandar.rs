//! What Vandar remembers of each business: its wallet, its bearer and
//! single-use refresh tokens, its rate-limit window and its settlements. The
//! business API that changes them is `vandar/business.rs`.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, Method};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::wire::{peek_field, ApiError, ApiResult, ErrorKind};
use crate::{calendar, creds, creds2};

/// "POST: 30 requests per 3 seconds; every other method 100 per 3 seconds."
const WINDOW: Duration = Duration::from_secs(3);
const POST_LIMIT: usize = 30;
const OTHER_LIMIT: usize = 100;

/// The business's wallet and credentials.
pub(crate) struct Account {
    /// The business's English name (`:business` in paths).
    pub business: &'static str,
    /// The IPG key whose payments reach this wallet.
    pub ipg_api_key: &'static str,
    pub balance: u64,
    /// Access token → expiry. Old tokens stay valid until they expire, unless
    /// the `vandar_refresh_revokes_access_tokens` fault mode is on.
    pub access_tokens: HashMap<String, Instant>,
    /// The one refresh token that works; each refresh replaces it.
    pub refresh_token: String,
    recent_posts: VecDeque<Instant>,
    recent_others: VecDeque<Instant>,
    pub settlements: Vec<Settlement>,
}

impl Account {
    /// The sandbox's first business (`index` 0, `creds`) or its second (1, `creds2`).
    pub(crate) fn new(now: Instant, token_lifetime: Duration, index: usize) -> Self {
        let (business, ipg_api_key, access, refresh) = if index == 0 {
            (creds::VANDAR_BUSINESS, creds::VANDAR_API_KEY, creds::VANDAR_ACCESS_TOKEN, creds::VANDAR_REFRESH_TOKEN)
        } else {
            (creds2::VANDAR_BUSINESS, creds2::VANDAR_API_KEY, creds2::VANDAR_ACCESS_TOKEN, creds2::VANDAR_REFRESH_TOKEN)
        };
        Account {
            business,
            ipg_api_key,
            balance: 100_000_000,
            access_tokens: HashMap::from([(access.to_owned(), now + token_lifetime)]),
            refresh_token: refresh.to_owned(),
            recent_posts: VecDeque::new(),
            recent_others: VecDeque::new(),
            settlements: Vec::new(),
        }
    }

    /// A verified IPG payment reaches the wallet.
    pub(crate) fn credit(&mut self, amount: u64) {
        self.balance += amount;
    }

    /// Sliding-window rate limit; refused requests do not use up the quota.
    pub(crate) fn admit(&mut self, method: &Method) -> ApiResult<()> {
        let (recent, limit) = if method == Method::POST {
            (&mut self.recent_posts, POST_LIMIT)
        } else {
            (&mut self.recent_others, OTHER_LIMIT)
        };
        let now = Instant::now();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            recent.pop_front();
        }
        if recent.len() >= limit {
            return Err(ApiError::new(ErrorKind::RateLimited, "too many requests"));
        }
        recent.push_back(now);
        Ok(())
    }

    /// The business that issued this request's bearer token (the first one
    /// for an unknown token, which it then refuses).
    pub(crate) fn of_bearer(accounts: &[Account], headers: &HeaderMap) -> usize {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        accounts.iter().position(|a| a.access_tokens.contains_key(token)).unwrap_or(0)
    }

    /// The business whose current refresh token this request presents.
    pub(crate) fn of_refresh(accounts: &[Account], body: &[u8]) -> usize {
        let presented = peek_field(body, "refreshtoken").unwrap_or_default();
        accounts.iter().position(|a| a.refresh_token == presented).unwrap_or(0)
    }

    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> ApiResult<()> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized("unauthenticated: send Authorization: Bearer <access token>")
            })?;
        match self.access_tokens.get(token.trim()) {
            Some(expiry) if Instant::now() < *expiry => Ok(()),
            Some(_) => Err(ApiError::unauthorized("access token has expired")),
            None => Err(ApiError::unauthorized("access token is invalid")),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SettlementStatus {
    Pending,
    Canceled,
}

pub(crate) struct Settlement {
    pub id: String,
    pub transaction_id: u64,
    pub amount: u64,
    pub iban: String,
    pub track_id: Option<String>,
    pub description: Option<String>,
    pub status: SettlementStatus,
    pub created_at: OffsetDateTime,
}

impl Settlement {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "transaction_id": self.transaction_id,
            "amount": self.amount,
            "iban": self.iban,
            "track_id": self.track_id,
            "description": self.description,
            "status": match self.status {
                SettlementStatus::Pending => "PENDING",
                SettlementStatus::Canceled => "CANCELED",
            },
            "created_at": calendar::gregorian(self.created_at),
        })
    }
}
