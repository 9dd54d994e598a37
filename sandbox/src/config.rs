//! How a sandbox is set up at start (`SandboxConfig`); the readings part can
//! be changed while it runs through `/_control/readings`.

use std::time::Duration;

use crate::readings;

#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// A paid payment not verified within this is refunded (CanPay: 15 min).
    pub refund_window: Duration,
    /// `expires_in` of Vandar access tokens (the document shows 432000 s).
    pub vandar_token_lifetime: Duration,
    /// Lifetime (`exp`) of Sepal's JWTs.
    pub sepal_token_lifetime: Duration,
    /// Enforce Vandar's business API rate limits.
    pub rate_limits: bool,
    /// Where the documents are silent, which of the answers they permit the
    /// sandbox gives (see [`readings`]); changeable per run and per payment
    /// through `/_control/readings`.
    pub readings: readings::Readings,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            refund_window: Duration::from_secs(15 * 60),
            vandar_token_lifetime: Duration::from_secs(432_000),
            sepal_token_lifetime: Duration::from_secs(3600),
            rate_limits: true,
            readings: readings::Readings::default(),
        }
    }
}
