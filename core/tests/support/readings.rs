//! The readings of the gateways' documents that the sandbox speaks
//! (`dargah_sandbox::readings`, docs/gateway-readings.md): where a document
//! is silent, every answer it permits, so a test can run under each.

use super::sandbox::World;
use dargah_core::Gateway;
use serde_json::json;

/// One point where a document is silent, and every reading the sandbox
/// speaks of it, by its name in `/_control/readings` (its default first).
pub struct Silence {
    pub name: &'static str,
    /// The payment gateways whose answers it changes (none: the business API only).
    pub gateways: &'static [Gateway],
    pub readings: &'static [&'static str],
}

pub const SILENCES: &[Silence] = &[
    // Mupra's and AtiPay's documents do not say what a second verify answers.
    Silence { name: "repeat_verify", gateways: &[Gateway::Mupra, Gateway::AtiPay], readings: &["answers_again", "refused"] },
    // Vandar's transaction info shows one code (1) in the document: what it answers for a
    // payment not paid, and once the payment is verified.
    Silence { name: "vandar_info_unpaid", gateways: &[Gateway::Vandar], readings: &["code1", "invented_codes", "refused"] },
    Silence { name: "vandar_info_verified", gateways: &[Gateway::Vandar], readings: &["code1", "invented_codes", "unknown_code", "refused"] },
    // Whether a verify of a payment not yet paid (a forged OK) spends Vandar's one answer.
    Silence { name: "vandar_unpaid_verify", gateways: &[Gateway::Vandar], readings: &["unspent", "spends_answer"] },
    // Whether Mupra refuses every verify after one that answered `paid: false` (a forged OK
    // before the customer paid), and whether its first verify of a paid payment may be
    // processed and answered with a refusal ("verified already": the answer lost).
    Silence { name: "mupra_unpaid_verify", gateways: &[Gateway::Mupra], readings: &["answers_again", "refuses_later"] },
    Silence { name: "mupra_first_verify", gateways: &[Gateway::Mupra], readings: &["answered", "processed_and_refused"] },
    // Whether a token refresh revokes the older access tokens (Vandar's business API).
    Silence { name: "vandar_refresh", gateways: &[], readings: &["keeps_access_tokens", "revokes_access_tokens"] },
];

/// Readings under which the engine is known to break a chaos invariant (a
/// finding for the engine's owners): `make test`'s chaos seeds leave them out
/// and `make chaos` draws them like any other. None now. (Under
/// `vandar_info_verified=code1` a Vandar payment whose verify answer was lost
/// was verified again on every pass, each refused, until a refused verify
/// became final: `power_cut.rs`
/// `a_lost_vandar_verify_answer_is_not_verified_again_on_every_pass`.)
pub const KNOWN_BROKEN: &[(&str, &str)] = &[];

/// One reading of one silence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub silence: &'static str,
    pub name: &'static str,
}

impl Reading {
    pub fn known_broken(&self) -> bool {
        KNOWN_BROKEN.contains(&(self.silence, self.name))
    }

    pub fn is_default(&self) -> bool {
        SILENCES.iter().any(|s| s.name == self.silence && s.readings[0] == self.name)
    }

    /// Set the sandbox of `world` to answer this way for the whole run.
    pub fn apply(&self, world: &World) {
        world.readings(json!({ self.silence: self.name }));
    }
}

/// The readings a test of `gateway` runs under: every default at once, then
/// each other reading of its silences on its own (the rest at their defaults).
pub fn of(gateway: Gateway) -> Vec<Vec<Reading>> {
    let silences: Vec<&Silence> = SILENCES.iter().filter(|s| s.gateways.contains(&gateway)).collect();
    let defaults: Vec<Reading> = silences.iter().map(|s| Reading { silence: s.name, name: s.readings[0] }).collect();
    let others = silences.iter().flat_map(|s| s.readings[1..].iter().map(|&name| vec![Reading { silence: s.name, name }]));
    std::iter::once(defaults).chain(others).collect()
}

/// Every combination of the readings of `gateway`'s silences.
pub fn every_combination(gateway: Gateway) -> Vec<Vec<Reading>> {
    SILENCES.iter().filter(|s| s.gateways.contains(&gateway)).fold(vec![Vec::new()], |sets, silence| {
        sets.iter().flat_map(|set| silence.readings.iter().map(move |&name| [set.clone(), vec![Reading { silence: silence.name, name }]].concat())).collect()
    })
}

/// How a set of readings is named in a test's output.
pub fn label(readings: &[Reading]) -> String {
    match readings {
        [] => "the documents alone".into(),
        _ if readings.iter().all(Reading::is_default) => "the defaults".into(),
        _ => readings.iter().map(Reading::to_string).collect::<Vec<_>>().join(", "),
    }
}

impl std::fmt::Display for Reading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.silence, self.name)
    }
}
