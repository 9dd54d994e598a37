//! The readings: where a gateway's document is silent on something Dargah
//! acts on, every answer its text permits, each a named mode (see
//! docs/gateway-readings.md for the table). The default of each is only what
//! the document shows; where it shows nothing, the first reading of the
//! table, stated as such below. A run picks readings in `SandboxConfig` or
//! `POST /_control/readings`; one payment can be given its own
//! (`{"gateway": "vandar", "token": "…", …}`). A leaf module.

use serde::{Deserialize, Serialize};

/// What Vandar's transaction info answers for a payment not paid (waiting,
/// cancelled, failed, refunded unverified). The document shows one code,
/// `1 "Confirm requierd"`, for a paid payment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VandarInfoUnpaid {
    /// Default, the only code the document shows: `code 1`, with the
    /// payment's own fields (card, CID, refnumber, paymentDate) null.
    #[default]
    Code1,
    /// Our old table: 3 failed or cancelled, 4 waiting, 5 refunded.
    InventedCodes,
    /// A refusal: HTTP 402 `{"status":0,"errors":["transaction is not paid"]}`.
    Refused,
}

/// What Vandar's transaction info answers once the payment is verified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VandarInfoVerified {
    /// Default (the table's first reading: nothing but code 1 is shown):
    /// unchanged, `code 1 "Confirm requierd"` with the payment's fields.
    #[default]
    Code1,
    /// Our old table: `2 "Verified"`.
    InventedCodes,
    /// A code the document never shows (`8 "Done"`).
    UnknownCode,
    /// A refusal: HTTP 402 `{"status":0,"errors":["transaction is verified"]}`.
    Refused,
}

/// Whether a Vandar verify of a payment not paid spends the one answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VandarUnpaidVerify {
    /// Default: refused, and the payment can still be verified once paid.
    #[default]
    Unspent,
    /// Refused, and the one answer is spent: once paid, every verify is
    /// refused and the payment is refunded at the end of its window.
    SpendsAnswer,
}

/// What Mupra's and AtiPay's verify answer when asked again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepeatVerify {
    /// Default (first reading): the same answer again.
    #[default]
    AnswersAgain,
    /// Every verify after the first is refused.
    Refused,
}

/// Whether Mupra, after a verify that answered `paid: false` (the payer had
/// not paid yet), answers later verifies of the same token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MupraUnpaidVerify {
    /// Default (first reading): it answers again, `paid: true` once paid.
    #[default]
    AnswersAgain,
    /// Every later verify of that token is refused in the error envelope
    /// (`{"code":100,…}`), even once the payer has paid: the payment is never
    /// verified and is refunded at the end of its window.
    RefusesLater,
}

/// What Mupra answers to the first verify of a paid payment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MupraFirstVerify {
    /// Default: the success body, `paid: true`.
    #[default]
    Answered,
    /// Processed (the payment is verified, the money is the merchant's) but
    /// answered with a refusal, "verified already": what a shop sees when
    /// the answer of its one verify was lost and a verify it never sent
    /// (as far as it knows) is answered for. Later verifies follow
    /// `repeat_verify`.
    ProcessedAndRefused,
}

/// Whether a Vandar token refresh revokes the older access tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VandarRefresh {
    /// Default, what the document says: the new refresh token replaces the
    /// old one; access tokens live until their `expires_in`.
    #[default]
    KeepsAccessTokens,
    /// Every older access token dies with the refresh.
    RevokesAccessTokens,
}

/// One reading for every silence the sandbox can speak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Readings {
    pub vandar_info_unpaid: VandarInfoUnpaid,
    pub vandar_info_verified: VandarInfoVerified,
    pub vandar_unpaid_verify: VandarUnpaidVerify,
    /// Mupra and AtiPay.
    pub repeat_verify: RepeatVerify,
    pub vandar_refresh: VandarRefresh,
    pub mupra_unpaid_verify: MupraUnpaidVerify,
    pub mupra_first_verify: MupraFirstVerify,
}

/// Some readings changed, the rest left as they are (the control API's body,
/// and a payment's own readings over the run's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadingsChange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vandar_info_unpaid: Option<VandarInfoUnpaid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vandar_info_verified: Option<VandarInfoVerified>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vandar_unpaid_verify: Option<VandarUnpaidVerify>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_verify: Option<RepeatVerify>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vandar_refresh: Option<VandarRefresh>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mupra_unpaid_verify: Option<MupraUnpaidVerify>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mupra_first_verify: Option<MupraFirstVerify>,
}

impl Readings {
    /// These readings with `change` applied over them.
    pub fn with(mut self, change: &ReadingsChange) -> Readings {
        let ReadingsChange { vandar_info_unpaid, vandar_info_verified, vandar_unpaid_verify, repeat_verify, vandar_refresh, mupra_unpaid_verify, mupra_first_verify } = *change;
        self.vandar_info_unpaid = vandar_info_unpaid.unwrap_or(self.vandar_info_unpaid);
        self.vandar_info_verified = vandar_info_verified.unwrap_or(self.vandar_info_verified);
        self.vandar_unpaid_verify = vandar_unpaid_verify.unwrap_or(self.vandar_unpaid_verify);
        self.repeat_verify = repeat_verify.unwrap_or(self.repeat_verify);
        self.vandar_refresh = vandar_refresh.unwrap_or(self.vandar_refresh);
        self.mupra_unpaid_verify = mupra_unpaid_verify.unwrap_or(self.mupra_unpaid_verify);
        self.mupra_first_verify = mupra_first_verify.unwrap_or(self.mupra_first_verify);
        self
    }
}

impl ReadingsChange {
    /// `later` over `self`: what a payment keeps when it is given more readings.
    pub fn and(self, later: &ReadingsChange) -> ReadingsChange {
        ReadingsChange {
            vandar_info_unpaid: later.vandar_info_unpaid.or(self.vandar_info_unpaid),
            vandar_info_verified: later.vandar_info_verified.or(self.vandar_info_verified),
            vandar_unpaid_verify: later.vandar_unpaid_verify.or(self.vandar_unpaid_verify),
            repeat_verify: later.repeat_verify.or(self.repeat_verify),
            vandar_refresh: later.vandar_refresh.or(self.vandar_refresh),
            mupra_unpaid_verify: later.mupra_unpaid_verify.or(self.mupra_unpaid_verify),
            mupra_first_verify: later.mupra_first_verify.or(self.mupra_first_verify),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_sets_only_what_it_names() {
        let change: ReadingsChange = serde_json::from_str(r#"{"vandar_info_verified": "refused"}"#).unwrap();
        let readings = Readings::default().with(&change);
        assert_eq!(readings.vandar_info_verified, VandarInfoVerified::Refused);
        assert_eq!(readings.vandar_info_unpaid, VandarInfoUnpaid::Code1);
        let later: ReadingsChange = serde_json::from_str(r#"{"vandar_info_unpaid": "refused"}"#).unwrap();
        let both = Readings::default().with(&change.and(&later));
        assert_eq!((both.vandar_info_verified, both.vandar_info_unpaid), (VandarInfoVerified::Refused, VandarInfoUnpaid::Refused));
        assert!(serde_json::from_str::<ReadingsChange>(r#"{"vandar_info_verified": "code2"}"#).is_err());
        assert!(serde_json::from_str::<ReadingsChange>(r#"{"no_such_reading": "x"}"#).is_err());
    }
}
