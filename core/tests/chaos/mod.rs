//! The chaos checker for verify-once: a seeded generator (`plan`), worker
//! processes playing separate hosts (`worker`), the recorded history
//! (`history`), the invariants (`checker`), one run tying them (`run`), and
//! a set of seeds run and reported (`seeds`).
//! The gateway model is the bundled sandbox, with each gateway's documented
//! verify semantics and its fault modes.

// Shared by several test binaries (chaos_check and the several-hosts runs), each using a part.
#![allow(dead_code)]

pub mod checker;
pub mod history;
pub mod plan;
pub mod run;
pub mod seeds;
pub mod worker;
