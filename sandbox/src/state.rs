//! Everything a sandbox instance remembers, in memory behind one mutex.
//!
//! One lock keeps the model simple: every handler does a short, synchronous
//! critical section and never awaits while holding it. What each gateway
//! keeps beside its payments (balances, accounts, reports) has its own file
//! under `state/`.

mod mupra;
mod sepal;
mod vandar;

pub(crate) use sepal::SeededPayment;
pub(crate) use vandar::{Account, Settlement, SettlementStatus};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rand::distributions::{Alphanumeric, Distribution, Uniform};
use rand::Rng;
use serde_json::{json, Value};
use axum::response::Response;
use time::OffsetDateTime;

use crate::calendar;
use crate::config::SandboxConfig;
use crate::faults::{Faults, Stats};
use crate::readings::ReadingsChange;
use crate::wire::{mask_card, ApiError, Callback, Gw};

pub(crate) type App = Arc<Shared>;

/// What each gateway plugs into the machinery they all share, given as data
/// so that machinery (instrumentation, payment pages, the control API) sits
/// below the gateway files and names none of them: lib.rs builds it.
#[derive(Clone, Copy)]
pub(crate) struct GatewayHooks {
    /// Renders an error in the gateway's documented envelope.
    pub envelope: fn(Gw, &ApiError) -> Response,
    /// How the gateway sends a settled payment's payer back to the merchant.
    pub callback: fn(&Payment) -> Callback,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    hooks: GatewayHooks,
    /// Signs Sepal's JWTs; fresh per instance so tokens never cross sandboxes.
    pub(crate) jwt_secret: [u8; 32],
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig, hooks: GatewayHooks) -> App {
        let now = Instant::now();
        Arc::new(Shared {
            jwt_secret: rand::thread_rng().gen(),
            hooks,
            state: Mutex::new(State {
                mupra: mupra::Ledger::new(),
                vandar: [
                    vandar::Account::new(now, config.vandar_token_lifetime, 0),
                    vandar::Account::new(now, config.vandar_token_lifetime, 1),
                ],
                sepal: sepal::Reports::seeded(),
                config,
                payments: HashMap::new(),
                next_seq: 0,
                stats: Stats::default(),
                faults: Faults::default(),
            }),
        })
    }

    /// `e` in `gw`'s error envelope.
    pub(crate) fn error(&self, gw: Gw, e: &ApiError) -> Response {
        (self.hooks.envelope)(gw, e)
    }

    /// Where the payer of settled payment `p` goes back to the merchant.
    pub(crate) fn callback(&self, p: &Payment) -> Callback {
        (self.hooks.callback)(p)
    }

    /// The state, even if a previous holder panicked: a panic in one request
    /// must not take the whole sandbox down with a poisoned lock.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub(crate) struct State {
    pub config: SandboxConfig,
    payments: HashMap<(Gw, String), Payment>,
    next_seq: u64,
    pub mupra: mupra::Ledger,
    /// Two Vandar businesses: the sandbox's first merchant account and its second (`creds2`).
    pub vandar: [vandar::Account; 2],
    pub sepal: sepal::Reports,
    pub stats: Stats,
    pub faults: Faults,
}

/// What the merchant sent when creating a payment.
pub(crate) struct NewPayment {
    pub amount: u64,
    pub callback_url: url::Url,
    pub invoice: Option<String>,
    pub mobile: Option<String>,
    pub description: Option<String>,
    /// Vandar's `valid_card_number`: if non-empty only these cards may pay.
    pub allowed_cards: Vec<String>,
    /// The merchant credential it was created with (api key, merchant id):
    /// only the same merchant may verify it.
    pub merchant: String,
}

impl State {
    /// Stores a new pending payment and returns its token.
    pub(crate) fn create_payment(&mut self, gw: Gw, new: NewPayment) -> String {
        let token = new_token(gw);
        self.next_seq += 1;
        let payment = Payment {
            gw,
            token: token.clone(),
            seq: self.next_seq,
            amount: new.amount,
            callback_url: new.callback_url,
            invoice: new.invoice,
            mobile: new.mobile,
            description: new.description,
            allowed_cards: new.allowed_cards,
            merchant: new.merchant,
            created_at: calendar::tehran_now(),
            trans_id: random_number(12),
            status: Status::Pending,
            receipt: None,
            verify_count: 0,
            verify_refused_unpaid: 0,
            verify_spent_unpaid: false,
            readings: ReadingsChange::default(),
        };
        self.payments.insert((gw, token.clone()), payment);
        token
    }

    /// Looks a payment up, first applying the refund window: the real
    /// gateways refund an unverified payment after a while, we do it lazily.
    pub(crate) fn payment(&mut self, gw: Gw, token: &str) -> Option<&mut Payment> {
        let window = self.config.refund_window;
        let payment = self.payments.get_mut(&(gw, token.to_owned()))?;
        payment.expire(window);
        Some(payment)
    }

    /// The first payment of a gateway matching `pred`, refund window applied.
    pub(crate) fn find_payment(
        &mut self,
        gw: Gw,
        pred: impl Fn(&Payment) -> bool,
    ) -> Option<&mut Payment> {
        let window = self.config.refund_window;
        let payment = self.payments.values_mut().find(|p| p.gw == gw && pred(p))?;
        payment.expire(window);
        Some(payment)
    }

    /// All payments of a gateway, newest first, refund window applied.
    pub(crate) fn payments_of(&mut self, gw: Gw) -> Vec<&Payment> {
        let window = self.config.refund_window;
        let mut list: Vec<&mut Payment> =
            self.payments.values_mut().filter(|p| p.gw == gw).collect();
        list.sort_by_key(|p| std::cmp::Reverse(p.seq));
        list.into_iter()
            .map(|p| {
                p.expire(window);
                &*p
            })
            .collect()
    }

    pub(crate) fn invoice_taken(&self, gw: Gw, invoice: &str) -> bool {
        self.payments
            .values()
            .any(|p| p.gw == gw && p.invoice.as_deref() == Some(invoice))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Created, the payer has not finished the page.
    Pending,
    /// The payer cancelled (or the payment failed).
    Cancelled,
    /// Money taken; whether verified is `verify_count > 0`.
    Paid,
    /// Money given back: never verified within the window, or refunded
    /// through Vandar's business API.
    Refunded,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Cancelled => "cancelled",
            Status::Paid => "paid",
            Status::Refunded => "refunded",
        }
    }
}

pub(crate) struct Payment {
    pub gw: Gw,
    pub token: String,
    seq: u64,
    pub amount: u64,
    pub callback_url: url::Url,
    pub invoice: Option<String>,
    pub mobile: Option<String>,
    pub description: Option<String>,
    pub allowed_cards: Vec<String>,
    /// The merchant credential that created it.
    pub merchant: String,
    pub created_at: OffsetDateTime,
    /// The gateway's numeric transaction id (Vandar transId, Mupra transId).
    pub trans_id: u64,
    pub status: Status,
    /// Set when the payer pays; kept after a refund.
    pub receipt: Option<Receipt>,
    /// How many verify calls confirmed this payment.
    pub verify_count: u32,
    /// Verify calls refused because it was not paid (yet).
    pub verify_refused_unpaid: u32,
    /// A verify of it unpaid spent it (Vandar's reading `spends_answer`, or
    /// Mupra's `refuses_later` after a `paid: false`): no verify of this
    /// payment will ever succeed.
    pub verify_spent_unpaid: bool,
    /// This payment's own readings, over the run's.
    pub readings: ReadingsChange,
}

/// What paying leaves behind.
pub(crate) struct Receipt {
    /// The full card number (the sandbox needs it for Vandar's CID hash).
    pub card: String,
    /// CanPay reference, AtiPay referenceNumber, Vandar refnumber.
    pub reference: String,
    /// AtiPay traceNumber, Vandar trackingCode.
    pub trace: String,
    pub paid_at: OffsetDateTime,
    paid_instant: Instant,
}

impl Receipt {
    pub(crate) fn new(gw: Gw, card: String) -> Receipt {
        let reference = match gw {
            // "a digital receipt of 50 characters"
            Gw::AtiPay => random_alnum(50),
            Gw::Vandar => random_alnum(40),
            _ => random_number(12).to_string(),
        };
        Receipt {
            card,
            reference,
            trace: random_number(6).to_string(),
            paid_at: calendar::tehran_now(),
            paid_instant: Instant::now(),
        }
    }
}

impl Payment {
    pub(crate) fn is_verified(&self) -> bool {
        self.verify_count > 0
    }

    pub(crate) fn masked_card(&self) -> Option<String> {
        self.receipt.as_ref().map(|r| mask_card(self.gw, &r.card))
    }

    fn expire(&mut self, window: std::time::Duration) {
        let overdue = self
            .receipt
            .as_ref()
            .is_some_and(|r| r.paid_instant.elapsed() >= window);
        if self.status == Status::Paid && !self.is_verified() && overdue {
            self.status = Status::Refunded;
        }
    }

    /// The control API's view of this payment.
    pub(crate) fn to_json(&self) -> Value {
        let receipt = self.receipt.as_ref();
        json!({
            "gateway": self.gw.slug(),
            "token": self.token,
            "status": self.status.name(),
            "amount": self.amount,
            "invoice": self.invoice,
            "callback_url": self.callback_url.as_str(),
            "paid": self.status == Status::Paid,
            "refunded": self.status == Status::Refunded,
            "verified": self.is_verified(),
            "verify_count": self.verify_count,
            "verify_refused_unpaid": self.verify_refused_unpaid,
            "verify_spent_unpaid": self.verify_spent_unpaid,
            "readings": self.readings,
            "trans_id": self.trans_id,
            "card": self.masked_card(),
            "reference": receipt.map(|r| r.reference.as_str()),
            "trace": receipt.map(|r| r.trace.as_str()),
            "created_at": calendar::gregorian(self.created_at),
            "paid_at": receipt.map(|r| calendar::gregorian(r.paid_at)),
        })
    }
}

/// A payment token in the style of each gateway's samples.
fn new_token(gw: Gw) -> String {
    match gw {
        // `_GEtHMgFeL6RdBlsTvZMvWRTOoqWQ-3sNiQkuU8hz7Z4h85C5FGp1zOOL2MikYei`
        Gw::Mupra => random_from(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            64,
        ),
        // `SNHQA1TYFGSFARZUM5A03YXJWOAOHJ`
        Gw::CanPay => random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 30),
        _ => random_alnum(32),
    }
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    let pick = Uniform::from(0..alphabet.len());
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(alphabet[pick.sample(&mut rng)]))
        .collect()
}

pub(crate) fn random_alnum(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A random number with exactly `digits` digits (no leading zero).
pub(crate) fn random_number(digits: u32) -> u64 {
    let low = 10u64.pow(digits - 1);
    rand::thread_rng().gen_range(low..low * 10)
}
