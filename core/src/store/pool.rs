//! A small connection pool that belongs to one process.
//!
//! Pool crates keep reaper threads and sockets that a `fork()`ed PHP-FPM or
//! gunicorn worker would inherit half-dead; this pool is rebuilt in every
//! process (the parent's is leaked, never closed from the child), starts no
//! thread, and drops a connection that failed at the store level instead of
//! handing it out again (with every other idle one) — so the first call after
//! a database restart fails cleanly and the next one reconnects.

use crate::error::{ErrorKind, Result};
use crate::http::ProcessLocal;
use std::sync::Mutex;

pub(crate) struct ProcessPool<C> {
    idle: ProcessLocal<Mutex<Vec<C>>>,
    max_idle: usize,
}

impl<C> ProcessPool<C> {
    pub(crate) const fn new(max_idle: usize) -> Self {
        ProcessPool { idle: ProcessLocal::new(), max_idle }
    }

    /// Run `f` on an idle connection, or a new one from `connect`.
    pub(crate) fn with<T>(&self, connect: impl FnOnce() -> Result<C>, f: impl FnOnce(&mut C) -> Result<T>) -> Result<T> {
        let idle = self.idle.get_or_try_init(|| Ok(Mutex::new(Vec::new())))?;
        let pooled = idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => connect()?,
        };
        let result = f(&mut conn);
        let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(&result, Err(e) if e.kind() == ErrorKind::Store) {
            // After a database restart every idle connection is dead too: drop them
            // all, so the next call connects afresh instead of failing again.
            idle.clear();
        } else if idle.len() < self.max_idle {
            idle.push(conn);
        }
        result
    }
}
