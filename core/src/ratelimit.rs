//! Rate limits shared by every process on one store.
//!
//! Vandar allows POST 30 per 3 s and other methods 100 per 3 s. A per-process
//! limiter (governor and friends) cannot see the other PHP-FPM workers, so the
//! window lives in the store: each call takes a slot there (a sliding log in
//! the bucket's one row, stamped on the store's clock), and a caller over the
//! limit waits — bounded, on its own monotonic clock — for a slot to age out.

use crate::error::{Error, ErrorKind, Result};
use crate::store::Store;
use std::time::{Duration, Instant};

/// One limit: at most `limit` calls per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub limit: u32,
    pub window: Duration,
}

/// Slots are counted over a slightly longer window than the gateway's, so
/// that requests bunched up by network jitter still arrive under its limit.
const SAFETY: f64 = 1.12;

/// Take a slot in `bucket`, waiting up to `max_wait`. Blocking: call it from
/// the caller's thread, not from inside the I/O runtime.
pub(crate) fn acquire(store: &dyn Store, bucket: &str, limit: Limit, max_wait: Duration) -> Result<()> {
    let window_ms = (limit.window.as_millis() as f64 * SAFETY) as i64;
    let started = Instant::now();
    loop {
        match store.rate_acquire(bucket, limit.limit, window_ms)? {
            None => return Ok(()),
            Some(wait_ms) => {
                let wait = Duration::from_millis(wait_ms as u64).min(Duration::from_millis(250));
                if started.elapsed() + wait > max_wait {
                    return Err(Error::new(
                        ErrorKind::RateLimited,
                        format!("rate limit {} per {:?} ({bucket}) still full after waiting {max_wait:?}", limit.limit, limit.window),
                    ));
                }
                let gateway = bucket.split(':').next().unwrap_or("");
                crate::audit::audit!(info, gateway, "rate_limit_wait", bucket = bucket, wait_ms = wait.as_millis() as u64);
                // A little jitter so waiting processes do not all retry in the same millisecond.
                std::thread::sleep(wait + Duration::from_millis(rand::random::<u64>() % 15));
            }
        }
    }
}
