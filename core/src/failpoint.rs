//! Named crash points for the crash and power-cut tests.

/// A named crash point. With the `failpoints` feature (tests only) and
/// `FAILPOINTS=<name>=return`, the process aborts right there, as a power cut
/// or `kill -9` would; without the feature it compiles to nothing.
macro_rules! failpoint {
    ($name:literal) => {
        #[cfg(feature = "failpoints")]
        {
            if $crate::failpoint::hit($name) {
                std::process::abort();
            }
        }
    };
}
pub(crate) use failpoint;

/// Whether the scenario in `FAILPOINTS` names `name`.
#[cfg(feature = "failpoints")]
pub fn hit(name: &str) -> bool {
    static SETUP: once_cell::sync::Lazy<()> = once_cell::sync::Lazy::new(|| {
        // Reads FAILPOINTS once; the scenario lives for the whole process.
        std::mem::forget(fail::FailScenario::setup());
    });
    once_cell::sync::Lazy::force(&SETUP);
    fail::eval(name, |_| ()).is_some()
}
