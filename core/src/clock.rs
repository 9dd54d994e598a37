//! Time, read in one place.
//!
//! Leases, deadlines and rate windows are stamped and compared on the
//! store's clock (the database server's, see `store::Store::now`), never on a
//! web server's: shops run several hosts whose clocks drift. What is left for
//! the host's own clock is measured here, so tests can skew it per process or
//! per thread (the `failpoints` feature, compiled in only for tests) and show
//! that nothing that counts depends on it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Run `attempt` until `again` declines its result or `until` would pass
/// during the next pause; the pauses start at 50 ms and double up to
/// `longest`. For work that waits out a database restart.
pub(crate) fn retry_backing_off<T>(until: std::time::Instant, longest: std::time::Duration, mut again: impl FnMut(&T) -> bool, mut attempt: impl FnMut() -> T) -> T {
    let mut pause = std::time::Duration::from_millis(50);
    loop {
        let result = attempt();
        if std::time::Instant::now() + pause >= until || !again(&result) {
            return result;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(longest);
    }
}

/// The machine's wall clock in Unix milliseconds, never skewed. The SQLite
/// store reads this: its file lives on one machine, so its clock is that machine's.
pub fn system_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// This host's clock in Unix milliseconds, as a web server sees it (skewed in tests).
pub fn host_ms() -> i64 {
    system_ms().saturating_add(skew::current())
}

#[cfg(feature = "failpoints")]
mod skew {
    use std::cell::Cell;

    thread_local! {
        static THREAD_SKEW: Cell<Option<i64>> = const { Cell::new(None) };
    }

    /// `DARGAH_TEST_CLOCK_SKEW_MS` for the whole process, or a thread's own.
    pub(super) fn current() -> i64 {
        static PROCESS: once_cell::sync::Lazy<i64> =
            once_cell::sync::Lazy::new(|| std::env::var("DARGAH_TEST_CLOCK_SKEW_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(0));
        THREAD_SKEW.with(Cell::get).unwrap_or(*PROCESS)
    }

    pub(super) fn set_thread(ms: Option<i64>) {
        THREAD_SKEW.with(|s| s.set(ms));
    }
}

#[cfg(not(feature = "failpoints"))]
mod skew {
    #[inline]
    pub(super) fn current() -> i64 {
        0
    }
}

/// Test hook: skew this thread's host clock by `ms` (None: back to the process's).
#[cfg(feature = "failpoints")]
#[doc(hidden)]
pub fn set_thread_skew_ms(ms: Option<i64>) {
    skew::set_thread(ms);
}

#[cfg(all(test, feature = "failpoints"))]
mod tests {
    #[test]
    fn a_thread_skew_moves_the_host_clock_only() {
        super::set_thread_skew_ms(Some(61_000));
        let (host, system) = (super::host_ms(), super::system_ms());
        super::set_thread_skew_ms(None);
        assert!((host - system - 61_000).abs() < 1_000);
    }
}
