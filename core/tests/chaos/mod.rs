//! The chaos checker for verify-once: a seeded generator (`plan`), worker
//! processes playing separate hosts (`worker`), the recorded history
//! (`history`), the invariants (`checker`), and one run tying them (`run`).
//! The gateway model is the bundled sandbox, with each gateway's documented
//! verify semantics and its fault modes.

pub mod checker;
pub mod history;
pub mod plan;
pub mod run;
pub mod worker;
