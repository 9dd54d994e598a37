//! A set of seeds run one after the other on one store, with the figures of
//! each and of the whole printed, and a failure naming the seeds that broke an
//! invariant: what `make test`, `make chaos` and the several-hosts runs print.

use super::run::{run, Hosts, Settings};
use std::collections::BTreeMap;

/// Run every seed, print each one's figures and violations as it ends, and
/// fail at the end naming the seeds that broke an invariant.
/// `known_broken`: draw the readings of `readings::KNOWN_BROKEN` too.
pub fn check_seeds(label: &str, store: impl Fn(u64) -> String, hosts: Hosts, seeds: &[u64], payments: usize, workers: usize, known_broken: bool) {
    let (mut operations, mut faults, mut reviews) = (0, BTreeMap::<String, usize>::new(), BTreeMap::<String, usize>::new());
    let mut by_reading = BTreeMap::<String, usize>::new();
    let mut failed = Vec::new();
    for &seed in seeds {
        let settings = Settings { seed, payments, workers, store: store(seed), hosts: hosts.clone(), known_broken };
        let (history, verdict) = run(&settings);
        println!(
            "chaos {label} seed {seed}: readings {}; {} payments ({} paid, {} unpaid at the gateway), {} operations, faults {:?}, needs_review by cause {:?}, violations {}",
            history.readings.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", "),
            history.payments.len(),
            verdict.paid,
            verdict.unpaid,
            history.operations,
            history.faults,
            verdict.undecidable,
            verdict.violations.len()
        );
        if !verdict.violations.is_empty() {
            println!("chaos {label} seed {seed}:\n{}", verdict.violations.join("\n"));
            failed.push(seed);
        }
        operations += history.operations;
        history.operations_by_reading().into_iter().for_each(|(reading, n)| *by_reading.entry(reading).or_default() += n);
        history.faults.iter().for_each(|(kind, n)| *faults.entry(kind.clone()).or_default() += n);
        verdict.undecidable.iter().for_each(|(cause, n)| *reviews.entry(cause.clone()).or_default() += n);
    }
    println!("chaos {label}: {} seeds, {operations} operations, faults {faults:?}, needs_review by cause {reviews:?}, violations in {} seeds", seeds.len(), failed.len());
    // A silence's readings split the operations on its gateways' payments (and recover and reconcile, which touch all).
    println!("chaos {label}: operations under each reading {by_reading:?}");
    assert!(failed.is_empty(), "chaos {label}: invariants broken in seeds {failed:?} (histories above)");
    println!("chaos {label}: every invariant held");
}
