//! The readings of the gateways' documents that the sandbox can be set to
//! (docs/gateway-readings.md): where a document is silent, each answer it
//! permits, so a test can run under every one of them.

use super::sandbox::World;
use dargah_core::Gateway;
use serde_json::json;

/// One point where a document is silent, and every reading the sandbox speaks of it (its default first).
pub struct Silence {
    pub name: &'static str,
    pub gateways: &'static [Gateway],
    pub readings: &'static [&'static str],
}

pub const SILENCES: &[Silence] = &[
    // Mupra's and AtiPay's documents do not say what a second verify answers: the same
    // answer again, or a refusal (one sandbox switch sets both).
    Silence { name: "repeat_verify", gateways: &[Gateway::Mupra, Gateway::AtiPay], readings: &["answers", "refused"] },
    // Vandar's transaction info is documented with one code (1, before verify). After a
    // verify it may answer the sandbox's own codes, a code nobody documented, or refuse.
    Silence { name: "vandar_transaction_info", gateways: &[Gateway::Vandar], readings: &["sandbox_codes", "unknown_code", "refused"] },
];

/// Readings under which the engine is known to break an invariant (a finding
/// of issue 23, item 4, reported to the engine's owners): the tests that must
/// pass leave them out, and an ignored test runs exactly them.
/// - `vandar_transaction_info=refused`: a verify went out and its answer was
///   lost (or its claim was lost to a power cut and the second verify was
///   refused); transaction info is refused with 403 from then on. The payment
///   stays `in_doubt` past its deadline and never reaches `needs_review`.
pub const KNOWN_BROKEN: &[(&str, &str)] = &[("vandar_transaction_info", "refused")];

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

    /// Set the sandbox of `world` to answer this way from now on (faults
    /// cleared later must be set again: `World::clear_faults` clears these too).
    pub fn apply(&self, world: &World) {
        match (self.silence, self.name) {
            ("repeat_verify", reading) => {
                world.http.post(format!("{}/_control/config", world.sandbox.base_url())).json(&json!({"refuse_repeat_verify": reading == "refused"})).send().unwrap().error_for_status().unwrap();
            }
            ("vandar_transaction_info", "unknown_code") => world.fault(json!({"endpoint": "vandar.transaction", "set": {"code": 7}})),
            ("vandar_transaction_info", "refused") => world.fault(json!({"endpoint": "vandar.transaction", "status": 403})),
            _ => {}
        }
    }
}

/// Every reading of every silence of `gateway` (a gateway the documents leave
/// nothing open for has one: `documented`).
pub fn of(gateway: Gateway) -> Vec<Reading> {
    let readings: Vec<Reading> = SILENCES.iter().filter(|s| s.gateways.contains(&gateway)).flat_map(|s| s.readings.iter().map(|&name| Reading { silence: s.name, name })).collect();
    match readings.is_empty() {
        true => vec![Reading { silence: "documented", name: "documented" }],
        false => readings,
    }
}

impl std::fmt::Display for Reading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.silence, self.name)
    }
}
