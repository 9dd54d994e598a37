//! Dargah: Iranian internet payment gateways (Mupra, CanPay, AtiPay MIPG,
//! Vandar; Sepal reporting) with verify-once callback handling.
//!
//! ```no_run
//! use dargah_core::{CallbackFields, Dargah, Gateway, PaymentRequest};
//! let dargah = Dargah::from_json(r#"{"store":"sqlite:///var/lib/shop/dargah.db","vandar":{"api_key":"…"}}"#)?;
//! let created = dargah.create_payment(Gateway::Vandar, PaymentRequest::new("order-1001", 250_000, "https://shop.example/pay/callback"))?;
//! // send the customer to created.redirect (a URL, or a POST form for AtiPay)
//! # let (query, body) = (b"", b"");
//! let outcome = dargah.handle_callback(Gateway::Vandar, &CallbackFields::from_raw(query, body)?)?;
//! if outcome.is_newly_paid() { /* credit the order, then */ dargah.acknowledge(&outcome.payment.id)?; }
//! # Ok::<(), dargah_core::Error>(())
//! ```

pub mod audit;
pub mod business;
pub mod callback;
pub mod clock;
pub mod config;
pub mod crypto;
mod engine;
pub mod error;
mod failpoint;
mod flight;
mod gateways;
mod http;
pub mod jalali;
mod ops;
mod process;
mod ratelimit;
mod reconcile;
pub mod redact;
pub mod secret;
pub mod model;
pub mod store;
pub mod validate;

pub use callback::CallbackFields;
pub use config::{Config, StoreUrl};
pub use secret::Secret;
pub use engine::{Dargah, PaymentEvent, RecoverReport};
pub use ops::OPERATIONS;
pub use reconcile::{ReconcileOptions, ReconcileReport};
pub use error::{Error, ErrorKind, Result};
#[doc(hidden)]
pub use process::ProcessLocal;
/// For tests that make the failpoint registry read `FAILPOINTS` early.
#[cfg(feature = "failpoints")]
#[doc(hidden)]
pub use failpoint::hit as __failpoint_hit;
pub use business::{MupraTransactions, PayaTransfer, Settlement};
pub use gateways::mupra::{MupraTransaction, MupraTransactionPage};
pub use gateways::sepal::{SepalInquiry, SepalInquiryPage, SepalPaymentState, SepalTerminal, SepalTransaction};
pub use gateways::vandar_api::endpoint_names as vandar_endpoints;
pub use model::{
    rial_to_toman, toman_to_rial, Capabilities, CreatedPayment, Gateway, Outcome, OutcomeKind, Payment, PaymentRequest, PaymentState, Redirect,
    VandarOptions, VandarPort,
};

/// The library version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
