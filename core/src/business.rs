//! Beyond taking payments: balances, statements, reports and money moves.
//!
//! Money-moving calls (Mupra PAYA transfer, Vandar settlement and refund)
//! take an idempotency key from the caller and are recorded in the store
//! before they are sent, so a retry after a timeout never moves money twice:
//! a finished call answers from the store, and a call whose answer was lost
//! is not sent again (`in_doubt`) unless the gateway can be asked whether it
//! happened (Vandar settlements carry the key as `track_id`). The answer
//! kept for a key holds only what a replay and a dispute need (ids, amounts,
//! states, dates; IBANs, cards and national codes masked; no free text, no
//! secrets: `redact`), and the first try answers with the same.

use crate::engine::Dargah;
use crate::error::{Error, ErrorKind, Result};
use crate::gateways::mupra::{self, MupraTransaction, MupraTransactionPage};
/// Defined with the Mupra call that sends it; named here with the other business inputs.
pub use crate::gateways::mupra::PayaTransfer;
use crate::gateways::sepal::{self, SepalInquiry, SepalInquiryPage, SepalTerminal};
use crate::gateways::vandar_api::{self, VandarApi};
use crate::http::block_on;
use crate::store::IdempotencyBegin;
use crate::validate;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A Vandar settlement to an IBAN.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settlement {
    /// Rial.
    pub amount: u64,
    pub iban: String,
    #[serde(default)]
    pub description: Option<String>,
}

fn idempotency_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid("idempotency key must be 1 to 128 printable ASCII characters"));
    }
    Ok(())
}

impl Dargah {
    /// Run a money-moving call at most once per idempotency key. `lookup`
    /// asks the gateway whether an earlier, unanswered try went through.
    fn once(&self, key: &str, operation: &str, request: &Value, send: impl FnOnce() -> Result<Value>, lookup: Option<&dyn Fn() -> Result<Option<Value>>>) -> Result<Value> {
        idempotency_key(key)?;
        // A key names one call of one account: the same key from another account is another request.
        let hash = match self.account() {
            crate::config::DEFAULT_ACCOUNT => hex::encode(Sha256::digest(format!("{operation}\n{request}"))),
            account => hex::encode(Sha256::digest(format!("{operation}\n{account}\n{request}"))),
        };
        let store = self.store();
        match store.idempotency_begin(key, operation, &hash)? {
            IdempotencyBegin::Done(answer) => return serde_json::from_str(&answer).map_err(|_| Error::store("a stored idempotent answer is not JSON")),
            IdempotencyBegin::InDoubt => {
                let found = match lookup {
                    Some(lookup) => lookup()?,
                    None => None,
                };
                return match found {
                    Some(answer) => {
                        let kept = self.kept_answer(&answer);
                        store.idempotency_finish(key, Some(&kept.to_string()))?;
                        Ok(kept)
                    }
                    None => Err(Error::new(
                        ErrorKind::InDoubt,
                        format!("{operation} with idempotency key {key:?} was sent before and its result is unknown; it is not sent again — check the gateway's statement"),
                    )),
                };
            }
            IdempotencyBegin::Proceed => {}
        }
        match send() {
            Ok(answer) => {
                let kept = self.kept_answer(&answer);
                store.idempotency_finish(key, Some(&kept.to_string()))?;
                Ok(kept)
            }
            Err(e) if e.kind().is_in_doubt() => {
                store.idempotency_in_doubt(key)?;
                Err(e)
            }
            Err(e) => {
                // Refused outright: nothing moved, a retry may send it again.
                store.idempotency_finish(key, None)?;
                Err(e)
            }
        }
    }

    /// A money move's answer as the store keeps it for replays and disputes
    /// (see `redact::Redactor::money_move_answer`). The first try answers
    /// with it too, so a replay answers exactly as the first try did.
    fn kept_answer(&self, answer: &Value) -> Value {
        crate::redact::Redactor::new(self.config().card_fingerprint_key.clone()).money_move_answer(answer)
    }

    fn mupra_config(&self) -> Result<Arc<crate::config::MupraConfig>> {
        if self.config().mupra.is_none() {
            return Err(Error::config("mupra is not configured"));
        }
        Ok(Arc::new(self.config().mupra_account(self.account())?.clone()))
    }

    /// What Mupra has settled with the merchant so far, in rial.
    pub fn mupra_balance(&self) -> Result<u64> {
        let (config, http) = (self.mupra_config()?, self.http()?);
        block_on(async move { mupra::balance(&config, &http).await })?
    }

    /// One page of Mupra's transaction list (pages count from 0).
    pub fn mupra_transactions(&self, page: u32, page_size: u32) -> Result<MupraTransactionPage> {
        if page_size == 0 {
            return Err(Error::invalid("page_size must be at least 1"));
        }
        let (config, http) = (self.mupra_config()?, self.http()?);
        block_on(async move { mupra::transactions(&config, &http, page, page_size).await })?
    }

    /// Every Mupra transaction, page by page, fetched as the iterator goes.
    pub fn mupra_all_transactions(&self, page_size: u32) -> MupraTransactions<'_> {
        MupraTransactions { dargah: self, page_size, next_page: 0, buffered: Vec::new(), done: false }
    }

    /// A PAYA transfer from the Mupra balance, at most once per idempotency key.
    pub fn mupra_paya_transfer(&self, idempotency_key: &str, transfer: &PayaTransfer) -> Result<Value> {
        validate::iban(&transfer.iban)?;
        if transfer.amount == 0 {
            return Err(Error::invalid("amount must be a positive number of rial"));
        }
        if transfer.cif.trim().is_empty() {
            return Err(Error::invalid("cif is required"));
        }
        let (config, http) = (self.mupra_config()?, self.http()?);
        let request = json!({"amount": transfer.amount, "iban": transfer.iban, "cif": transfer.cif, "description": transfer.description});
        let transfer = transfer.clone();
        self.once(idempotency_key, "mupra.paya_transfer", &request, || block_on(async move { mupra::paya_transfer(&config, &http, &transfer).await })?, None)
    }

    fn sepal_parts(&self) -> Result<(Arc<sepal::SepalSession>, Arc<crate::config::SepalConfig>, Arc<crate::http::Http>)> {
        let config = Arc::new(self.sepal_config()?);
        Ok((self.sepal_session(), config, self.http()?))
    }

    /// Sepal's terminals and their balances; `api_key` defaults to the config's.
    pub fn sepal_gateway_balance(&self, api_key: Option<&str>) -> Result<Vec<SepalTerminal>> {
        let (session, config, http) = self.sepal_parts()?;
        let key = match api_key {
            Some(k) => crate::Secret::new(k),
            None => config.api_key.clone().ok_or_else(|| Error::config("sepal.api_key is not configured and none was given"))?,
        };
        block_on(sepal::gateway_balance(session, config, http, key))?
    }

    /// Sepal's transaction inquiry; dates may be Gregorian or Jalali.
    pub fn sepal_inquiry(&self, query: &SepalInquiry) -> Result<SepalInquiryPage> {
        let body = sepal::inquiry_body(query)?;
        let (session, config, http) = self.sepal_parts()?;
        block_on(sepal::inquiry(session, config, http, body))?
    }

    fn vandar_api(&self) -> Result<VandarApi> {
        if self.config().vandar.is_none() {
            return Err(Error::config("vandar is not configured"));
        }
        let config = Arc::new(self.config().vandar_account(self.account())?.clone());
        let refresh_lease = vandar_api::refresh_lease(&self.config().http);
        let cipher = self.config().token_encryption_key.as_ref().map(crate::crypto::TokenCipher::new).transpose()?.map(Arc::new);
        let store_place = format!("{}\u{0}{}", self.config().store, self.config().table_prefix);
        Ok(VandarApi { config, account: self.account().to_string(), store: self.store().clone(), store_place, http: self.http()?, refresh_lease, cipher })
    }

    /// Any business endpoint the document lists, by `"<METHOD> <path>"`,
    /// authenticated, rate-limited and token-refreshing.
    pub fn vandar_call(&self, endpoint: &str, path_params: &BTreeMap<String, String>, query: &BTreeMap<String, String>, body: Option<Value>) -> Result<Value> {
        let api = self.vandar_api()?;
        let request = vandar_api::resolve(&api.config, endpoint, path_params, query, body)?;
        api.send(&request)
    }

    fn vandar_simple(&self, endpoint: &str, params: &[(&str, &str)], body: Option<Value>) -> Result<Value> {
        let params: BTreeMap<String, String> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.vandar_call(endpoint, &params, &BTreeMap::new(), body)
    }

    /// The business wallet balance (`GET /v2/business/:business/balance`).
    pub fn vandar_balance(&self) -> Result<Value> {
        self.vandar_simple("GET /v2/business/:business/balance", &[], None)
    }

    /// The business statement (`GET /v3/business/:business/transaction`), with optional query filters.
    pub fn vandar_transactions(&self, query: &BTreeMap<String, String>) -> Result<Value> {
        self.vandar_call("GET /v3/business/:business/transaction", &BTreeMap::new(), query, None)
    }

    /// Settle `amount` rial to an IBAN, at most once per idempotency key (sent as `track_id`).
    pub fn vandar_settlement_store(&self, idempotency_key: &str, settlement: &Settlement) -> Result<Value> {
        validate::iban(&settlement.iban)?;
        if settlement.amount == 0 {
            return Err(Error::invalid("amount must be a positive number of rial"));
        }
        let mut body = json!({"amount": settlement.amount, "iban": settlement.iban, "track_id": idempotency_key});
        if let Some(d) = &settlement.description {
            body["description"] = json!(d);
        }
        let find_by_track_id = || -> Result<Option<Value>> {
            let list = self.vandar_settlements()?;
            Ok(find_track_id(&list, idempotency_key).map(|s| json!({"status": 1, "data": {"settlement": s}})))
        };
        let sent = body.clone();
        self.once(idempotency_key, "vandar.settlement_store", &body, || self.vandar_simple("POST /v3/business/:business/settlement/store", &[], Some(sent)), Some(&find_by_track_id))
    }

    pub fn vandar_settlements(&self) -> Result<Value> {
        self.vandar_simple("GET /v2.1/business/:business/settlement", &[], None)
    }

    pub fn vandar_settlement(&self, settlement_id: &str) -> Result<Value> {
        self.vandar_simple("GET /v2.1/business/:business/settlement/:settlement_id", &[("settlement_id", settlement_id)], None)
    }

    pub fn vandar_settlement_cancel(&self, transaction_id: &str) -> Result<Value> {
        self.vandar_simple("DELETE /v2.1/business/:business/settlement/:transaction_id", &[("transaction_id", transaction_id)], None)
    }

    pub fn vandar_settlement_banks(&self) -> Result<Value> {
        self.vandar_simple("GET /v3/business/:business/settlement/banks", &[], None)
    }

    /// Refund an IPG transaction (its `transId`), at most once per idempotency key.
    pub fn vandar_refund(&self, idempotency_key: &str, transaction_id: &str, body: Option<Value>) -> Result<Value> {
        let request = json!({"transaction_id": transaction_id, "body": body});
        self.once(
            idempotency_key,
            "vandar.refund",
            &request,
            || self.vandar_simple("POST /v3/business/:business/transaction/:transaction_id/refund", &[("transaction_id", transaction_id)], body.clone()),
            None,
        )
    }
}

impl Dargah {
    /// Refund a paid Vandar payment (its stored `transId`) through the
    /// payment's own merchant account, at most once per idempotency key.
    pub fn vandar_refund_payment(&self, idempotency_key: &str, payment_id: &str, body: Option<Value>) -> Result<Value> {
        let payment = self.payment(payment_id)?;
        if payment.gateway != crate::model::Gateway::Vandar {
            return Err(Error::new(ErrorKind::Unsupported, format!("{} payments cannot be refunded through Dargah", payment.gateway)));
        }
        let transaction_id = match (&payment.state, &payment.reference) {
            (crate::model::PaymentState::Paid, Some(reference)) => reference.clone(),
            _ => return Err(Error::invalid(format!("payment {} is not a paid payment with a Vandar transId", payment.id))),
        };
        self.with_account(&payment.account)?.vandar_refund(idempotency_key, &transaction_id, body)
    }
}

/// A settlement with this `track_id` anywhere in a list answer.
fn find_track_id(value: &Value, track_id: &str) -> Option<Value> {
    match value {
        Value::Object(map) if map.get("track_id").and_then(Value::as_str) == Some(track_id) => Some(value.clone()),
        Value::Object(map) => map.values().find_map(|v| find_track_id(v, track_id)),
        Value::Array(items) => items.iter().find_map(|v| find_track_id(v, track_id)),
        _ => None,
    }
}

/// Every Mupra transaction, fetching pages on demand.
pub struct MupraTransactions<'a> {
    dargah: &'a Dargah,
    page_size: u32,
    next_page: u32,
    buffered: Vec<MupraTransaction>,
    done: bool,
}

impl Iterator for MupraTransactions<'_> {
    type Item = Result<MupraTransaction>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffered.is_empty() && !self.done {
            match self.dargah.mupra_transactions(self.next_page, self.page_size) {
                Ok(page) => {
                    self.next_page += 1;
                    self.done = page.transactions.is_empty() || self.next_page >= page.total_pages;
                    self.buffered = page.transactions;
                    self.buffered.reverse();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        self.buffered.pop().map(Ok)
    }
}
