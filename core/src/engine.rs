//! The verify-once engine: create → redirect → callback → claim → verify →
//! store, with crash recovery. See DESIGN.md's state machine.
//!
//! Local state is committed before every outside call: the payment row before
//! the create, the claim (a lease with a rising fence) before the verify. The
//! answer is then stored with a compare-and-set on (state, fence), so exactly
//! one caller moves a payment to `paid` and is told `newly_paid`.

use crate::audit::audit;
use crate::callback::CallbackFields;
use crate::config::{Config, DEFAULT_ACCOUNT};
use crate::error::{Error, ErrorKind, Result};
use crate::failpoint::failpoint;
use crate::flight::{Flight, Flights, Followed};
use crate::gateways::sepal::{self, SepalPaymentState, SepalSession};
use crate::gateways::{Adapter, CallbackInfo, CreateCall, Hint, Question, Verdict};
use crate::http::{block_on, Http};
use crate::process::ProcessLocal;
use crate::model::{CreatedPayment, Gateway, Outcome, OutcomeKind, Payment, PaymentRequest, PaymentState, Redirect};
use crate::store::{self, Claim, ClaimInput, Finish, NewPayment, Resolution, Store};
use crate::redact::{mask_card, Redactor};
use crate::validate;
use rand::distributions::{Alphanumeric, DistString};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a gateway's proof of payment is kept trying to reach a store that
/// does not answer (a database restart takes seconds).
const PROOF_STORE_RETRY: Duration = Duration::from_secs(30);

/// The name of the query parameter Dargah adds to every callback URL.
pub const REF_PARAM: &str = "dargah_ref";

/// A configured client: gateways, store and (lazily, per process) HTTP.
/// Cheap to share between threads; safe to use after `fork()`.
pub struct Dargah {
    config: Arc<Config>,
    store: Arc<dyn Store>,
    http: Arc<ProcessLocal<Http>>,
    /// Sepal's login, one per account.
    sepal: Arc<Mutex<HashMap<String, Arc<SepalSession>>>>,
    redactor: Redactor,
    /// Which thread of this client leads each payment's claim (see `flight`).
    flights: Arc<ProcessLocal<Flights>>,
    /// The merchant account this handle's calls use where no payment names
    /// one (see [`Dargah::with_account`]).
    account: String,
}

impl std::fmt::Debug for Dargah {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dargah").field("config", &self.config).field("account", &self.account).finish_non_exhaustive()
    }
}

/// One entry of a payment's history (`Dargah::events`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PaymentEvent {
    /// Store clock, Unix milliseconds.
    pub at: i64,
    pub fence: i64,
    /// The state it moved to, or what happened (`amount_mismatch`, `refused_callback`, …).
    pub label: String,
    /// The gateway's answers, cut to what a dispute needs.
    pub raw: serde_json::Value,
}

/// What resolving one payment without a callback came to.
pub(crate) enum Unprompted {
    Resolved(Box<Outcome>),
    /// The gateway could not be asked; the payment stays in doubt.
    InDoubt(Error),
    /// Someone else holds it, or it is settled already.
    Skipped,
}

/// What `recover()` did.
#[derive(Debug, Default)]
pub struct RecoverReport {
    pub outcomes: Vec<Outcome>,
    /// Payments that are still in doubt, with why.
    pub errors: Vec<(String, Error)>,
}

/// A claim this caller won, with what the store knew of it.
pub(crate) struct Claimed {
    pub payment: Payment,
    pub maybe_verified: bool,
    pub receipts: Vec<String>,
    /// The receipt the claiming callback brought: verified first, whatever is kept.
    pub own_receipt: Option<String>,
}

impl Dargah {
    /// Open the store named in the config (creating its schema). No thread,
    /// runtime or connection to a gateway is made until the first call.
    pub fn new(config: Config) -> Result<Dargah> {
        config.validate()?;
        let store = store::open(config.store.expose(), &config.table_prefix)?;
        Dargah::with_store(config, store)
    }

    /// Use a store opened elsewhere.
    pub fn with_store(config: Config, store: Arc<dyn Store>) -> Result<Dargah> {
        config.validate()?;
        let redactor = Redactor::new(config.card_fingerprint_key.clone());
        Ok(Dargah { config: Arc::new(config), store, http: Arc::new(ProcessLocal::new()), sepal: Arc::default(), redactor, flights: Arc::new(ProcessLocal::new()), account: DEFAULT_ACCOUNT.to_string() })
    }

    pub fn from_json(text: &str) -> Result<Dargah> {
        Dargah::new(Config::from_json(text)?)
    }

    pub fn from_toml(text: &str) -> Result<Dargah> {
        Dargah::new(Config::from_toml(text)?)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn http(&self) -> Result<Arc<Http>> {
        self.http.get_or_try_init(|| Http::new(&self.config))
    }

    fn flights(&self) -> Result<Arc<Flights>> {
        self.flights.get_or_try_init(|| Ok(Flights::default()))
    }

    /// The same client (store, connections, token pairs) speaking for another
    /// merchant account: its business calls (balances, settlements, refunds,
    /// reports) and the payments it creates use that account's credentials.
    /// Calls on a stored payment always use the payment's own account,
    /// whichever handle makes them. The name must be configured for at least
    /// one gateway; an unknown name is a `config` error that never repeats it.
    pub fn with_account(&self, account: &str) -> Result<Dargah> {
        crate::config::account_name(account)?;
        let known = crate::config::ACCOUNT_SECTIONS.iter().any(|g| self.config.account_names(g).iter().any(|a| a == account));
        if !known {
            return Err(Error::config("no gateway has an account by that name; name it under [GATEWAY.accounts.NAME] in the configuration"));
        }
        Ok(Dargah {
            config: self.config.clone(),
            store: self.store.clone(),
            http: self.http.clone(),
            sepal: self.sepal.clone(),
            redactor: self.redactor.clone(),
            flights: self.flights.clone(),
            account: account.to_string(),
        })
    }

    /// The merchant account this handle speaks for (`default` unless [`Dargah::with_account`]).
    pub fn account(&self) -> &str {
        &self.account
    }

    pub(crate) fn adapter(&self, gateway: Gateway, account: &str) -> Result<Adapter> {
        Adapter::from_config(&self.config, gateway, account)
    }

    /// The adapter with the payment's own account's credentials.
    pub(crate) fn adapter_for(&self, payment: &Payment) -> Result<Adapter> {
        self.adapter(payment.gateway, &payment.account)
    }

    /// Validate, record, then ask the gateway for a token. The payment is in
    /// the store before the gateway is called, and an invoice id is used once.
    pub fn create_payment(&self, gateway: Gateway, request: PaymentRequest) -> Result<CreatedPayment> {
        let account = request.account.clone().unwrap_or_else(|| self.account.clone());
        let adapter = self.adapter(gateway, &account)?;
        validate::invoice_id(&request.invoice_id)?;
        if request.amount == 0 || request.amount > i64::MAX as u64 {
            return Err(Error::invalid("amount must be a positive number of rial"));
        }
        let mut callback = validate::callback_url(&request.callback_url)?;
        if callback.query_pairs().any(|(k, _)| k == REF_PARAM) {
            return Err(Error::invalid(format!("callback_url must not already contain {REF_PARAM}")));
        }
        if let Some(mobile) = &request.mobile {
            validate::mobile(mobile)?;
        }
        if let Some(description) = &request.description {
            validate::description(description, 255)?;
        }
        adapter.validate(&request)?;

        let id = format!("dp_{}", Alphanumeric.sample_string(&mut rand::rngs::OsRng, 22));
        callback.query_pairs_mut().append_pair(REF_PARAM, &id);
        let request_json = self.redactor.request_json(&request);
        self.store.insert(&NewPayment {
            id: id.clone(),
            gateway,
            account,
            invoice_id: request.invoice_id.clone(),
            amount: request.amount,
            callback_url: request.callback_url.clone(),
            request_json,
            refund_window_ms: (adapter.refund_window_secs() as i64).saturating_mul(1000),
        }, self.lease_ms())?;
        failpoint!("create_recorded");

        let call = CreateCall { request, callback_url: callback.to_string() };
        let answer = block_on(adapter.create(self.http()?.for_payment(&id), call)).and_then(|r| r);
        match answer {
            Ok(created) => {
                failpoint!("create_answered");
                let redirect_json = serde_json::to_string(&created.redirect).map_err(|e| Error::internal(e.to_string()))?;
                let payment = self.store.attach_token(&id, &created.token, &redirect_json)?;
                audit!(info, gateway.name(), "state_change", payment_id = id.as_str(), from = "created", to = payment.state.name(), fence = payment.fence);
                failpoint!("create_stored");
                Ok(CreatedPayment { payment, redirect: created.redirect })
            }
            Err(e) if e.kind().is_in_doubt() => {
                // The gateway may hold a token nobody was sent to: close the row, keep the record.
                self.store.fail_created(&id, &format!("create failed: {}", e.message()), false)?;
                audit!(warn, gateway.name(), "state_change", payment_id = id.as_str(), from = "created", to = "failed", fence = 0_i64, reason = e.kind().name());
                Err(e)
            }
            Err(e) => {
                // A definitive refusal: nothing exists at the gateway, so the invoice id stays free.
                self.store.discard_created(&id)?;
                Err(e)
            }
        }
    }

    /// Where to send the customer for a payment created earlier.
    pub fn redirect(&self, payment_id: &str) -> Result<Redirect> {
        let json = self.store.redirect_json(payment_id)?.ok_or_else(|| Error::new(ErrorKind::UnknownPayment, format!("no redirect for payment {}", crate::error::quoted(payment_id))))?;
        serde_json::from_str(&json).map_err(|e| Error::store(format!("stored redirect is unreadable: {e}")))
    }

    /// Handle a callback exactly as the browser delivered it. Exactly one
    /// caller ever gets `newly_paid` for a payment; later ones get the stored
    /// outcome without a gateway call. The callback's own status is a hint.
    ///
    /// The payment is found by its token (or `dargah_ref`) alone, and verified
    /// with its own account's credentials; what the callback says of the
    /// account (AtiPay's terminal) must be that account's.
    pub fn handle_callback(&self, gateway: Gateway, fields: &CallbackFields) -> Result<Outcome> {
        self.callback(gateway, None, fields)
    }

    /// A callback that arrived at the callback URL of one merchant account:
    /// as [`Dargah::handle_callback`], and a payment of another account is
    /// refused (`invalid_callback`, no gateway call, the payment untouched).
    pub fn handle_account_callback(&self, gateway: Gateway, account: &str, fields: &CallbackFields) -> Result<Outcome> {
        crate::config::account_name(account)?;
        self.callback(gateway, Some(account), fields)
    }

    fn callback(&self, gateway: Gateway, at_account: Option<&str>, fields: &CallbackFields) -> Result<Outcome> {
        // Reading a callback needs no credentials: any configured account of the gateway reads it.
        let info = self.adapter(gateway, DEFAULT_ACCOUNT)?.parse_callback(fields)?;
        let payment = self.find_callback_payment(gateway, fields, &info)?;
        failpoint!("callback_matched");
        if at_account.is_some_and(|a| a != payment.account) {
            let why = "refused a callback that arrived at another merchant account's callback URL";
            self.store.record_event(&payment.id, "refused_callback", &serde_json::json!({"reason": why}).to_string())?;
            return Err(Error::callback("this callback's payment belongs to another merchant account; it stays open"));
        }
        let adapter = self.adapter_for(&payment)?;
        if let Err(e) = adapter.check_callback_account(fields) {
            self.store.record_event(&payment.id, "refused_callback", &serde_json::json!({"reason": e.message()}).to_string())?;
            return Err(e);
        }
        self.check_callback_claims(&adapter, &payment, &info)?;
        // Settled: terminal states never change, so the read above is the answer, and a
        // duplicate never queues for the write lock.
        if payment.state.is_terminal() {
            return Ok(replay(payment));
        }
        let input = ClaimInput { verify_key: info.verify_key.clone(), trace_number: info.trace_number.clone(), unsynced: adapter.answers_for_a_lost_claim(), from_callback: true, callback_verify_cap: self.config.callback_verify_cap as i64 };
        let hint = info.hint.unwrap_or(Hint::None);
        let own_receipt = info.verify_key.clone().filter(|_| adapter.verifies_by_receipt());
        let deadline = Instant::now() + Duration::from_millis(self.config.callback_wait_ms);
        // A callback's own receipt is never dropped: it is kept for a later verify where
        // callbacks may still leave one (`MAX_RECEIPTS`), or this callback verifies it in a
        // claim of its own. One that found no room waits for the worker verifying (at most
        // its lease, then takes it over) and claims again, even past its usual wait — one
        // verify of its own receipt, whatever forgers kept first.
        let must_claim_by = deadline + 2 * Duration::from_millis(self.lease_ms().max(0) as u64);
        loop {
            let flight = self.flights()?.join(&payment.id);
            let Some(lead) = flight.lead() else {
                // Another thread of this client holds the claim: its answer is this callback's
                // too, with no store call while it works.
                let own_unkept = !self.offer_receipt_while_busy(&payment.id, own_receipt.as_deref())?;
                let deadline = if own_unkept { must_claim_by } else { deadline };
                let seen = match flight.follow(deadline) {
                    Followed::Answer(p) => Some(*p),
                    // It ended without an answer (its claim failed): claim, as if alone.
                    Followed::Unanswered => continue,
                    Followed::TimedOut => None,
                };
                match self.after_waiting(&payment.id, hint, seen, deadline, own_receipt.as_deref().filter(|_| own_unkept))? {
                    Some(outcome) => return Ok(outcome),
                    None => continue,
                }
            };
            match self.store.claim(&payment.id, &input, self.lease_ms())? {
                Claim::Settled(p) => {
                    lead.answer(&p);
                    return Ok(replay(p));
                }
                Claim::NotStarted(_) => return Err(Error::callback("the payment was never sent to the gateway, so it cannot have been paid")),
                Claim::Claimed { payment, maybe_verified, verify_refused, receipts } => {
                    let question = Question { hint, verify_key: None, maybe_verified, verify_refused };
                    return self.settle(&adapter, Claimed { payment, maybe_verified, receipts, own_receipt }, question);
                }
                // In its back-off after "not paid yet" (or past its cap of callback
                // verifies), with no receipt the gateway was never asked about: the store answers.
                Claim::Throttled(p) => {
                    lead.answer(&p);
                    return Ok(Outcome { kind: if hint == Hint::Paid { OutcomeKind::InProgress } else { unpaid_kind(hint, false) }, payment: p });
                }
                Claim::ReceiptsFull(p) => {
                    // Only while verifies of kept receipts are left in doubt (the gateway not
                    // answering): the browser is told to come back; the receipt is on record.
                    let raw = serde_json::json!({"reason": "receipts left in doubt fill the payment's room; this callback's receipt was not verified", "receipt": own_receipt});
                    self.store.record_event(&p.id, "receipt_not_kept", &raw.to_string())?;
                    return Err(Error::callback("the gateway has left this payment's earlier verifies in doubt; send the callback again later"));
                }
                Claim::Busy(p) if p.state == PaymentState::Created => return Ok(Outcome { kind: OutcomeKind::InProgress, payment: p }),
                Claim::Busy(p) => {
                    // A worker elsewhere (another process or host) is verifying: wait for its
                    // answer rather than ask again; this thread's followers wait with it.
                    let own_unkept = !self.offer_receipt_while_busy(&p.id, own_receipt.as_deref())?;
                    let deadline = if own_unkept { must_claim_by } else { deadline };
                    let seen = self.wait_while_verifying(&flight, &p.id, deadline)?;
                    if let Some(p) = &seen {
                        lead.answer(p);
                    }
                    drop(lead);
                    match self.after_waiting(&p.id, hint, seen, deadline, own_receipt.as_deref().filter(|_| own_unkept))? {
                        Some(outcome) => return Ok(outcome),
                        None => continue,
                    }
                }
            }
        }
    }

    /// A callback that finds another worker verifying keeps its receipt for
    /// whoever asks next. False: no room, so this callback must verify it itself.
    fn offer_receipt_while_busy(&self, id: &str, own_receipt: Option<&str>) -> Result<bool> {
        match own_receipt {
            Some(receipt) => self.store.offer_receipt(id, receipt),
            None => Ok(true),
        }
    }

    /// The answer for a callback that waited on another worker (`seen`: the
    /// payment once that worker was done; None: time ran out), or None to
    /// claim again (a payment still open to a callback claiming success,
    /// before `deadline`; or one whose receipt is `unkept` and not yet tried).
    fn after_waiting(&self, id: &str, hint: Hint, seen: Option<Payment>, deadline: Instant, unkept: Option<&str>) -> Result<Option<Outcome>> {
        if let (Some(receipt), false) = (unkept, seen.as_ref().is_some_and(|p| p.state.is_terminal())) {
            if Instant::now() < deadline {
                return Ok(None);
            }
            // Workers held the payment past every lease this callback waited out: its
            // receipt goes on the payment's history for a person, rather than nowhere.
            let raw = serde_json::json!({"reason": "the payment stayed claimed by other workers while this callback waited to verify its receipt", "receipt": receipt});
            self.store.record_event(id, "receipt_not_kept", &raw.to_string())?;
        }
        Ok(Some(match seen {
            Some(p) if p.state.is_terminal() => replay(p),
            // Its verify found no payment; only a callback claiming success asks again, in its time.
            Some(p) if p.state == PaymentState::Awaiting && hint != Hint::Paid => Outcome { kind: unpaid_kind(hint, false), payment: p },
            Some(p) if p.state == PaymentState::Awaiting && Instant::now() < deadline => return Ok(None),
            // Its answer never came (in doubt), or time ran out: the truth is not known yet.
            Some(p) => Outcome { kind: OutcomeKind::InProgress, payment: p },
            None => Outcome { kind: OutcomeKind::InProgress, payment: self.payment(id)? },
        }))
    }

    /// What a callback claims that the store can check before any gateway
    /// call: a receipt that already paid another payment is a forgery and is
    /// refused, leaving this payment open; a browser amount that differs from
    /// the stored one is recorded on the payment's history (the stored amount
    /// is what counts).
    fn check_callback_claims(&self, adapter: &Adapter, payment: &Payment, info: &CallbackInfo) -> Result<()> {
        if let (true, Some(receipt)) = (adapter.verifies_by_receipt(), &info.verify_key) {
            if let Some(other) = self.store.find_paid_by_reference(payment.gateway, &payment.account, receipt)?.filter(|other| other.id != payment.id) {
                let why = format!("refused a callback carrying the receipt of paid payment {}", other.id);
                self.store.record_event(&payment.id, "refused_callback", &serde_json::json!({"reason": why}).to_string())?;
                return Err(Error::callback(format!("{why}; this payment stays open")));
            }
        }
        if let Some(claimed) = info.amount.filter(|a| *a != payment.amount) {
            let raw = serde_json::json!({"callback_amount": claimed, "stored_amount": payment.amount, "note": "the callback's amount differs from the order's; the stored amount counts"});
            self.store.record_event(&payment.id, "amount_mismatch", &raw.to_string())?;
        }
        Ok(())
    }

    /// Wait until the payment leaves `verifying` (Some) or time runs out (None).
    /// A worker of this client wakes us the moment it stores its answer; one
    /// elsewhere is seen by reading the row again, after 100 µs at first,
    /// doubling up to 10 ms. Reads only: no write lock is taken.
    fn wait_while_verifying(&self, signal: &Flight, id: &str, deadline: Instant) -> Result<Option<Payment>> {
        let mut backoff = Duration::from_micros(100);
        loop {
            let seen = signal.generation();
            let p = self.payment(id)?;
            if p.state != PaymentState::Verifying {
                return Ok(Some(p));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            signal.wait_past(seen, backoff.min(deadline - now));
            backoff = (backoff * 2).min(Duration::from_millis(10));
        }
    }

    /// Only the token (or Dargah's own reference) selects the row; an unknown
    /// one costs no gateway call. Everything else in the callback must agree.
    fn find_callback_payment(&self, gateway: Gateway, fields: &CallbackFields, info: &CallbackInfo) -> Result<Payment> {
        let unknown = || Error::new(ErrorKind::UnknownPayment, format!("no {gateway} payment matches this callback"));
        let by_ref = match fields.get(REF_PARAM) {
            Some(r) => Some(self.store.get(r)?.ok_or_else(unknown)?),
            None => None,
        };
        let by_token = match (&info.token, &by_ref) {
            // The token of the payment named by dargah_ref: no other payment holds it (tokens
            // are unique per gateway), so there is nothing to look up.
            (Some(t), Some(p)) if p.gateway == gateway && p.token.as_deref() == Some(t.as_str()) => None,
            (Some(t), _) => self.store.find_by_token(gateway, t)?,
            (None, _) => None,
        };
        let payment = match (by_ref, by_token) {
            (Some(a), Some(b)) if a.id != b.id => return Err(Error::callback("the callback's token belongs to another payment than its dargah_ref")),
            (Some(p), _) | (None, Some(p)) => p,
            (None, None) if gateway == Gateway::AtiPay => match &info.invoice_id {
                // A shop that lost the query string: AtiPay's reservationNumber is our invoice id.
                Some(invoice) => self.store.find_by_invoice(gateway, invoice)?.ok_or_else(unknown)?,
                None => return Err(unknown()),
            },
            (None, None) => return Err(unknown()),
        };
        if payment.gateway != gateway {
            return Err(Error::callback(format!("this callback is for a {} payment, not {gateway}", payment.gateway)));
        }
        if let (Some(token), Some(stored)) = (&info.token, &payment.token) {
            if token != stored {
                return Err(Error::callback("the callback's token does not match the payment"));
            }
        }
        if let Some(invoice) = &info.invoice_id {
            if *invoice != payment.invoice_id {
                return Err(Error::callback("the callback's invoice number does not match the payment"));
            }
        }
        Ok(payment)
    }

    /// We hold the lease: ask the gateway, then store its answer under our
    /// fence. A gateway that verifies by receipt (AtiPay) is asked with the
    /// claiming callback's own receipt first, then each kept receipt in turn,
    /// oldest first, until one is not disproved — at most
    /// `GATEWAY_CALLS_PER_RESOLUTION` per claim, the rest next time — so
    /// neither receipts forgers left first nor a forger's own can hide the
    /// customer's: the customer's callback verifies its own.
    pub(crate) fn settle(&self, adapter: &Adapter, claimed: Claimed, mut question: Question) -> Result<Outcome> {
        let Claimed { payment, maybe_verified, receipts, own_receipt } = claimed;
        failpoint!("claimed");
        let hint = question.hint;
        let by_receipt = adapter.verifies_by_receipt();
        let in_turn = own_receipt.iter().chain(receipts.iter().filter(|r| Some(*r) != own_receipt.as_ref()));
        let mut candidates: Vec<Option<String>> = match by_receipt && !receipts.is_empty() {
            true => in_turn.take(crate::config::GATEWAY_CALLS_PER_RESOLUTION as usize).cloned().map(Some).collect(),
            false => vec![None],
        };
        let last = candidates.len() - 1;
        // Receipts this claim will not reach: while any is left, no answer about the
        // others closes the payment, even past its deadline; the next claim tries them.
        let untried_left = by_receipt && receipts.len() > candidates.len();
        let known = receipts.clone();
        let mut remaining = receipts;
        let mut raws = Vec::new();
        let mut answer = Err(Error::internal("no gateway call was made"));
        for (i, candidate) in candidates.drain(..).enumerate() {
            if by_receipt {
                question.verify_key = candidate.clone();
            }
            answer = self.http().and_then(|http| block_on(adapter.clone().resolve(http.for_payment(&payment.id), payment.clone(), question.clone())).and_then(|r| r));
            let disproved = match &answer {
                Ok(a) => match &a.verdict {
                    Verdict::NotPaid { .. } => true,
                    // A receipt for another amount is another payment's.
                    Verdict::Paid(d) => by_receipt && !amount_matches(d, payment.amount),
                    _ => false,
                },
                Err(_) => false,
            };
            if !(disproved && i < last) {
                break;
            }
            if let (Ok(a), Some(k)) = (&answer, &candidate) {
                raws.push(a.raw.clone());
                remaining.retain(|r| r != k);
            }
        }
        failpoint!("verify_answered");
        let tried = question.verify_key.clone();
        // A callback that said "paid" and was told "not paid yet" by the gateway starts a
        // back-off for later callbacks (see store::CALLBACK_BACKOFF_FIRST_MS); a FAILED one
        // does not, so the customer who pays after an early "failed" is credited at once.
        let not_paid_yet = hint == Hint::Paid && matches!(&answer, Ok(a) if matches!(a.verdict, Verdict::NotPaid { .. })) && (!by_receipt || tried.is_some());
        // What to keep after this answer: the paid receipt alone, or those not disproved.
        let keep = |paid: bool, disproved: bool| -> Option<Vec<String>> {
            match (by_receipt, &tried) {
                (false, _) | (true, None) => None,
                (true, Some(k)) if paid => Some(vec![k.clone()]),
                (true, Some(k)) if disproved => Some(remaining.iter().filter(|r| *r != k).cloned().collect()),
                (true, Some(_)) => Some(remaining.clone()),
            }
        };
        let mut refuse_callback = None;
        let (resolution, kind) = match answer {
            Err(e) => {
                let note = format!("verification in doubt: {}", e.message());
                let resolution = Resolution {
                    state: Some(PaymentState::InDoubt),
                    note: Some(note),
                    raw: joined(raws),
                    maybe_verified: true,
                    receipts: keep(false, false),
                    receipts_known: known,
                    ..Default::default()
                };
                let stored = self.finish(&payment.id, payment.fence, resolution)?;
                // A newer worker may have settled it meanwhile: its word stands.
                if let Finish::Stale(p) = stored {
                    if p.state.is_terminal() {
                        return Ok(replay(p));
                    }
                }
                return Err(e.context(&format!("payment {} is in doubt and recover() will resolve it", payment.id)));
            }
            Ok(answer) => {
                raws.push(answer.raw);
                let raw = joined(std::mem::take(&mut raws));
                // A verify of ours may have gone through: an earlier one (the claim's mark) or this
                // resolution's own refused verify (stored with the answer below, also as "refused",
                // so a once-only gateway's adapter never sends it again).
                let verify_refused = answer.verify_refused;
                let verified_before = maybe_verified;
                let maybe_verified = maybe_verified || verify_refused;
                match answer.verdict {
                    Verdict::Paid(d) => {
                        let matches = amount_matches(&d, payment.amount);
                        let mut resolution = Resolution {
                            state: Some(PaymentState::Paid),
                            reference: d.reference,
                            trace_number: d.trace_number,
                            masked_card: d.masked_card,
                            verified_amount: d.amount,
                            receipt_from_callback: by_receipt,
                            receipts: keep(matches, !matches),
                            raw,
                            ..Default::default()
                        };
                        if matches {
                            (resolution, OutcomeKind::NewlyPaid)
                        } else {
                            let paid = d.amount.map(|a| a.to_string()).unwrap_or_default();
                            let mut note = format!("amount mismatch: the gateway says {paid} rial, the order is {} rial", payment.amount);
                            resolution.state = Some(PaymentState::NeedsReview);
                            resolution.verified_amount = None;
                            resolution.reference = None;
                            if by_receipt {
                                // A receipt for another amount is another payment's: refuse the callback, keep
                                // this one open (past its deadline too, while other receipts are left to try).
                                if untried_left {
                                    resolution.state = Some(PaymentState::Awaiting);
                                }
                                resolution.open_before_deadline = Some(PaymentState::Awaiting);
                                refuse_callback = Some(Error::callback(format!("{note}; the callback's receipt is not this payment's, which stays open")));
                                // Said of the payment, not the forged callback: at its deadline a person reads this.
                                note = format!(
                                    "{}: no receipt of its own so far; a callback's receipt verified for {paid} rial, not this order's {} rial, so it is another order's",
                                    payment.gateway.name(),
                                    payment.amount
                                );
                            }
                            resolution.note = Some(note);
                            (resolution, OutcomeKind::NeedsReview)
                        }
                    }
                    Verdict::NotPaid { cancelled, note } => {
                        // At the deadline: closed, unless a verify of ours may have gone through
                        // and the gateway's refusals are not documented as the whole truth.
                        let at_deadline = if maybe_verified && !adapter.verify_repeatable() {
                            PaymentState::NeedsReview
                        } else if cancelled || hint == Hint::Cancelled {
                            PaymentState::Cancelled
                        } else if hint == Hint::None {
                            PaymentState::Expired
                        } else {
                            PaymentState::Failed
                        };
                        let note = match at_deadline {
                            PaymentState::NeedsReview => format!("{note}; a verify of ours may have gone through, so a person must check"),
                            _ => note,
                        };
                        let resolution = Resolution {
                            state: Some(if untried_left { PaymentState::Awaiting } else { at_deadline }),
                            open_before_deadline: Some(PaymentState::Awaiting),
                            note: Some(note),
                            raw,
                            maybe_verified: verify_refused,
                            verify_refused,
                            // A refused receipt is forgotten: at the deadline, with none left, a person decides.
                            receipts: keep(false, true),
                            ..Default::default()
                        };
                        // A refusal after a verify that may have gone through is no word on the
                        // payment; nor is an undocumented refusal of a receipt the callback says paid.
                        // A failed or cancelled callback that this refusal does not contradict is told
                        // so (the payment stays open), unless an earlier verify of ours may have paid it.
                        let unsure = match hint {
                            Hint::Failed | Hint::Cancelled => verified_before && !adapter.verify_repeatable(),
                            Hint::Paid | Hint::None => (maybe_verified && !adapter.verify_repeatable()) || (by_receipt && hint == Hint::Paid),
                        };
                        let kind = if unsure { OutcomeKind::InProgress } else { unpaid_kind(hint, cancelled) };
                        (resolution, kind)
                    }
                    Verdict::Unknown { note } => {
                        // Never credits, never closes: open until the deadline, then a person decides.
                        let resolution = Resolution {
                            state: Some(PaymentState::NeedsReview),
                            open_before_deadline: Some(PaymentState::Awaiting),
                            note: Some(match maybe_verified {
                                true => format!("{note}; asked again until the deadline, and a verify of ours may have gone through, so a person must check"),
                                false => format!("{note}; asked again until the deadline, then a person must check"),
                            }),
                            receipts: keep(false, false),
                            maybe_verified: verify_refused,
                            verify_refused,
                            raw,
                            ..Default::default()
                        };
                        // A failed or cancelled callback the gateway does not contradict is told so (the
                        // payment stays open for a late verify), as at every gateway; after a verify of
                        // ours, or with a callback claiming success, the truth is not known yet.
                        let kind = match hint {
                            Hint::Failed | Hint::Cancelled if !maybe_verified => unpaid_kind(hint, false),
                            _ => OutcomeKind::InProgress,
                        };
                        (resolution, kind)
                    }
                    Verdict::NeedsReview { note } => {
                        (Resolution { state: Some(PaymentState::NeedsReview), note: Some(note), raw, ..Default::default() }, OutcomeKind::NeedsReview)
                    }
                }
            }
        };
        let resolution = Resolution { receipts_known: known, not_paid_yet, backoff_first_ms: self.config.callback_backoff_ms as i64, ..resolution };
        let stored = self.finish(&payment.id, payment.fence, resolution)?;
        failpoint!("outcome_stored");
        let outcome = match stored {
            Finish::Applied(p) if p.state == PaymentState::Paid => Outcome { kind: OutcomeKind::NewlyPaid, payment: p },
            Finish::Applied(p) if p.state.is_terminal() => replay(p),
            // Still open before its deadline: tell the caller what this answer meant.
            Finish::Applied(p) => Outcome { kind, payment: p },
            Finish::ReceiptReused(_) => return Err(Error::callback("the callback's receipt already paid another payment; this payment stays open")),
            // Our lease moved on and someone else claimed: their word stands.
            Finish::Stale(p) if p.state.is_terminal() => replay(p),
            Finish::Stale(p) => Outcome { kind: OutcomeKind::InProgress, payment: p },
        };
        match refuse_callback {
            Some(e) if outcome.payment.state != PaymentState::Paid => Err(e),
            _ => Ok(outcome),
        }
    }

    /// Store a resolution with its card data masked and its raw answers cut
    /// to what a dispute needs (see `redact`).
    fn finish(&self, id: &str, fence: i64, mut resolution: Resolution) -> Result<Finish> {
        resolution.raw = self.redactor.raw_answers(&resolution.raw);
        resolution.masked_card = resolution.masked_card.as_deref().map(mask_card);
        let finished = self.store_proof_of_payment(id, fence, &resolution);
        // Whatever came of it, callers of this client waiting on the payment look again.
        if let Ok(flights) = self.flights() {
            flights.answered(id, finished.as_ref().ok().map(Finish::payment));
        }
        let finished = finished?;
        let p = finished.payment();
        let applied = if matches!(finished, Finish::Applied(_)) { "applied" } else { "not_applied" };
        audit!(info, p.gateway.name(), "state_change", payment_id = id, from = "verifying", to = p.state.name(), fence = p.fence, result = applied);
        Ok(finished)
    }

    /// Store a resolution; one that proves payment is tried again while the
    /// store is unreachable (a database restarting), for up to
    /// `PROOF_STORE_RETRY`: a gateway that answers verify once (Vandar) will
    /// not give this proof again, and nothing else it says credits the
    /// payment. (A paid answer is stored even after the lease moved on.)
    fn store_proof_of_payment(&self, id: &str, fence: i64, resolution: &Resolution) -> Result<Finish> {
        let proves_payment = resolution.state == Some(PaymentState::Paid);
        let again = |finished: &Result<Finish>| match finished {
            Err(e) if e.kind() == ErrorKind::Store && proves_payment => {
                audit!(warn, "", "store_retry", payment_id = id, reason = e.message());
                true
            }
            _ => false,
        };
        crate::clock::retry_backing_off(Instant::now() + PROOF_STORE_RETRY, Duration::from_secs(2), again, || self.store.finish(id, fence, resolution))
    }

    /// A payment's history, oldest first: state changes and the gateway
    /// answers stored with them, redacted by the rules of `redact` (also for
    /// rows stored before those rules).
    pub fn events(&self, payment_id: &str) -> Result<Vec<PaymentEvent>> {
        self.payment(payment_id)?;
        Ok(self
            .store
            .events(payment_id)?
            .into_iter()
            .map(|(at, fence, label, raw)| PaymentEvent { at, fence, label, raw: serde_json::from_str(&self.redactor.raw_answers(&raw)).unwrap_or_default() })
            .collect())
    }

    /// A keyed fingerprint of a card number, to match against the
    /// `card_fingerprint` kept in stored answers; `None` without
    /// `card_fingerprint_key` in the configuration.
    pub fn card_fingerprint(&self, card_number: &str) -> Option<String> {
        self.config.card_fingerprint_key.as_ref().map(|key| crate::redact::card_fingerprint(key.expose(), card_number))
    }

    /// The configuration bounds it, and keeps it longer than the slowest gateway call.
    pub(crate) fn lease_ms(&self) -> i64 {
        self.config.lease_ms()
    }

    /// Resolve payments left in doubt or under an expired lease (a crash
    /// mid-verify, a timeout): repeatable verifies are asked again, Vandar's
    /// once-only verify through its transaction info first.
    pub fn recover(&self, limit: usize) -> Result<RecoverReport> {
        let mut report = RecoverReport::default();
        for stale in self.store.recoverable(limit)? {
            let adapter = self.adapter_for(&stale)?;
            match self.resolve_unprompted(&adapter, &stale.id)? {
                Unprompted::Resolved(outcome) => report.outcomes.push(*outcome),
                Unprompted::InDoubt(e) => report.errors.push((stale.id.clone(), e)),
                Unprompted::Skipped => {}
            }
        }
        Ok(report)
    }

    /// Claim and resolve one payment with no callback to go on (recover,
    /// reconcile): the same claim and fence as a callback.
    pub(crate) fn resolve_unprompted(&self, adapter: &Adapter, id: &str) -> Result<Unprompted> {
        failpoint!("unprompted_before_claim");
        match self.store.claim(id, &ClaimInput::default(), self.lease_ms())? {
            Claim::Claimed { payment, maybe_verified, verify_refused, receipts } => {
                let question = Question { hint: Hint::None, verify_key: None, maybe_verified, verify_refused };
                match self.settle(adapter, Claimed { payment, maybe_verified, receipts, own_receipt: None }, question) {
                    Ok(outcome) => Ok(Unprompted::Resolved(Box::new(outcome))),
                    Err(e) if e.kind() == ErrorKind::Store => Err(e),
                    Err(e) => Ok(Unprompted::InDoubt(e)),
                }
            }
            // A create interrupted by a crash (its own lease expired): nobody was sent to pay it.
            Claim::NotStarted(p) => {
                if !self.store.fail_created(&p.id, "create interrupted before the gateway's token was stored", true)? {
                    return Ok(Unprompted::Skipped);
                }
                Ok(Unprompted::Resolved(Box::new(Outcome { kind: OutcomeKind::Failed, payment: self.payment(&p.id)? })))
            }
            // A callback or another worker holds it, or it just settled (a claim with no
            // callback is never throttled).
            Claim::Settled(_) | Claim::Busy(_) | Claim::Throttled(_) | Claim::ReceiptsFull(_) => Ok(Unprompted::Skipped),
        }
    }

    /// Sepal's state of a payment by its payment number (logs in as needed).
    pub fn sepal_payment_state(&self, payment_number: u64) -> Result<SepalPaymentState> {
        let config = Arc::new(self.sepal_config()?);
        block_on(sepal::payment_state(self.sepal_session(), config, self.http()?, payment_number))?
    }

    /// This handle's Sepal account.
    pub(crate) fn sepal_config(&self) -> Result<crate::config::SepalConfig> {
        if self.config.sepal.is_none() {
            return Err(sepal::not_configured());
        }
        Ok(self.config.sepal_account(&self.account)?.clone())
    }

    /// This handle's account's Sepal login, shared by every handle of the client.
    pub(crate) fn sepal_session(&self) -> Arc<SepalSession> {
        self.sepal.lock().unwrap_or_else(|p| p.into_inner()).entry(self.account.clone()).or_default().clone()
    }

    pub fn payment(&self, id: &str) -> Result<Payment> {
        self.store.get(id)?.ok_or_else(|| Error::new(ErrorKind::UnknownPayment, format!("no payment {}", crate::error::quoted(id))))
    }

    pub fn list_payments(&self, state: Option<PaymentState>, limit: usize, offset: usize) -> Result<Vec<Payment>> {
        self.store.list(state, limit, offset)
    }

    /// Paid payments not yet acknowledged: what a shop that crashed after
    /// `newly_paid` still has to fulfil.
    pub fn unacknowledged(&self, limit: usize) -> Result<Vec<Payment>> {
        self.store.unacknowledged(limit)
    }

    /// The shop fulfilled this paid payment. True the first time.
    pub fn acknowledge(&self, payment_id: &str) -> Result<bool> {
        self.store.acknowledge(payment_id)
    }
}

fn unpaid_kind(hint: Hint, cancelled: bool) -> OutcomeKind {
    if cancelled || hint == Hint::Cancelled {
        OutcomeKind::Cancelled
    } else {
        OutcomeKind::Failed
    }
}

/// The gateway's amount is the order's (or, with the fee on the payer, what reached the merchant is).
fn amount_matches(d: &crate::gateways::PaidDetails, amount: u64) -> bool {
    match d.amount {
        None => true,
        Some(a) => a == amount || d.real_amount == Some(amount),
    }
}

/// Raw answers of one resolution, one after another.
fn joined(raws: Vec<String>) -> String {
    match raws.len() {
        0 => "{}".into(),
        1 => raws.into_iter().next().unwrap_or_default(),
        _ => format!("[{}]", raws.join(",")),
    }
}

/// A terminal payment's stored outcome, for every caller after the first.
fn replay(p: Payment) -> Outcome {
    let kind = match p.state {
        PaymentState::Paid => OutcomeKind::AlreadyPaid,
        PaymentState::Cancelled => OutcomeKind::Cancelled,
        PaymentState::Failed | PaymentState::Expired => OutcomeKind::Failed,
        PaymentState::NeedsReview => OutcomeKind::NeedsReview,
        PaymentState::Created | PaymentState::Awaiting | PaymentState::Verifying | PaymentState::InDoubt => OutcomeKind::InProgress,
    };
    Outcome { kind, payment: p }
}
