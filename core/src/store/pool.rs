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
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a caller waits for one of the kept connections to come back
/// before it opens one of its own: far longer than a statement takes, short
/// enough that a caller holding one connection while asking for another
/// (never a deadlock) loses little.
const WAIT_FOR_A_CONNECTION: Duration = Duration::from_millis(20);

pub(crate) struct ProcessPool<C> {
    slots: ProcessLocal<Slots<C>>,
    keep: usize,
    wait: Duration,
}

struct Slots<C> {
    state: Mutex<SlotState<C>>,
    returned: Condvar,
}

struct SlotState<C> {
    idle: Vec<C>,
    in_use: usize,
}

impl<C> ProcessPool<C> {
    /// A pool that keeps `keep` connections: while that many are in use, a
    /// caller waits for one (a burst of 128 duplicate callbacks reads through
    /// 16 connections instead of opening the database 112 more times).
    pub(crate) const fn new(keep: usize) -> Self {
        ProcessPool { slots: ProcessLocal::new(), keep, wait: WAIT_FOR_A_CONNECTION }
    }

    /// Run `f` on an idle connection, or a new one from `connect`.
    pub(crate) fn with<T>(&self, connect: impl FnOnce() -> Result<C>, f: impl FnOnce(&mut C) -> Result<T>) -> Result<T> {
        let slots = self.slots.get_or_try_init(|| Ok(Slots { state: Mutex::new(SlotState { idle: Vec::new(), in_use: 0 }), returned: Condvar::new() }))?;
        let pooled = self.take(&slots);
        let mut conn = match pooled {
            Some(conn) => conn,
            None => match connect() {
                Ok(conn) => conn,
                Err(e) => {
                    self.give_back(&slots, None);
                    return Err(e);
                }
            },
        };
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut conn))) {
            Ok(result) => result,
            Err(panic) => {
                // Its place is free again; the connection, in whatever state, is closed.
                self.give_back(&slots, None);
                std::panic::resume_unwind(panic);
            }
        };
        // After a database restart every idle connection is dead too: drop them
        // all, so the next call connects afresh instead of failing again.
        if matches!(&result, Err(e) if e.kind() == ErrorKind::Store) {
            let dead = std::mem::take(&mut slots.lock().idle);
            self.give_back(&slots, None);
            drop((conn, dead)); // closed outside the pool's lock
        } else {
            self.give_back(&slots, Some(conn));
        }
        result
    }

    /// An idle connection, or None: the caller opens one (counted in use already).
    fn take(&self, slots: &Slots<C>) -> Option<C> {
        let deadline = Instant::now() + self.wait;
        let mut state = slots.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                state.in_use += 1;
                return Some(conn);
            }
            let now = Instant::now();
            if state.in_use < self.keep || now >= deadline {
                state.in_use += 1;
                return None;
            }
            state = slots.returned.wait_timeout(state, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// A connection back from use, kept while fewer than `keep` are idle (None:
    /// it failed, or was never opened).
    fn give_back(&self, slots: &Slots<C>, conn: Option<C>) {
        let mut state = slots.lock();
        state.in_use = state.in_use.saturating_sub(1);
        if let Some(conn) = conn.filter(|_| state.idle.len() < self.keep) {
            state.idle.push(conn);
        }
        drop(state);
        slots.returned.notify_one();
    }
}

impl<C> Slots<C> {
    fn lock(&self) -> MutexGuard<'_, SlotState<C>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc::channel;
    use std::sync::Arc;

    struct Counted(usize);

    fn pool(keep: usize, wait: Duration) -> Arc<ProcessPool<Counted>> {
        Arc::new(ProcessPool { slots: ProcessLocal::new(), keep, wait })
    }

    /// Two callers hold both kept connections until told to let go; a third waits.
    fn hold_both(pool: &Arc<ProcessPool<Counted>>, opened: &Arc<AtomicUsize>) -> (Vec<std::sync::mpsc::Sender<()>>, Vec<std::thread::JoinHandle<()>>) {
        let (mut release, mut threads) = (Vec::new(), Vec::new());
        for _ in 0..2 {
            let (held_tx, held_rx) = channel();
            let (go_tx, go_rx) = channel::<()>();
            let (pool, opened) = (pool.clone(), opened.clone());
            threads.push(std::thread::spawn(move || {
                pool.with(|| Ok(Counted(opened.fetch_add(1, Ordering::SeqCst))), |_| {
                    held_tx.send(()).expect("the test waits");
                    go_rx.recv().expect("the test lets go");
                    Ok(())
                })
                .expect("no error");
            }));
            held_rx.recv().expect("held");
            release.push(go_tx);
        }
        (release, threads)
    }

    #[test]
    fn a_caller_beyond_the_kept_connections_waits_for_one_to_come_back() {
        let (pool, opened) = (pool(2, Duration::from_secs(30)), Arc::new(AtomicUsize::new(0)));
        let (release, threads) = hold_both(&pool, &opened);
        let third = {
            let (pool, opened) = (pool.clone(), opened.clone());
            std::thread::spawn(move || pool.with(|| Ok(Counted(opened.fetch_add(1, Ordering::SeqCst))), |c| Ok(c.0)).expect("no error"))
        };
        std::thread::sleep(Duration::from_millis(50));
        for go in release {
            go.send(()).expect("the holder waits");
        }
        let used = third.join().expect("no panic");
        threads.into_iter().for_each(|t| t.join().expect("no panic"));
        assert!(used < 2, "the third caller used a kept connection, not connection {used}");
        assert_eq!(opened.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_caller_that_waited_long_enough_opens_its_own() {
        let (pool, opened) = (pool(2, Duration::ZERO), Arc::new(AtomicUsize::new(0)));
        let (release, threads) = hold_both(&pool, &opened);
        let used = pool.with(|| Ok(Counted(opened.fetch_add(1, Ordering::SeqCst))), |c| Ok(c.0)).expect("no error");
        assert_eq!(used, 2);
        release.into_iter().for_each(|go| go.send(()).expect("the holder waits"));
        threads.into_iter().for_each(|t| t.join().expect("no panic"));
        // Two stay kept; the third is closed.
        assert_eq!(pool.slots.get_or_try_init(|| unreachable!()).map(|s| s.lock().idle.len()).expect("built"), 2);
    }

    #[test]
    fn a_store_error_drops_every_idle_connection_and_a_failed_connect_frees_its_place() {
        let (pool, opened) = (pool(1, Duration::from_secs(30)), Arc::new(AtomicUsize::new(0)));
        let open = || Ok(Counted(opened.fetch_add(1, Ordering::SeqCst)));
        pool.with(open, |_| Ok(())).expect("no error");
        let failed: Result<()> = pool.with(|| unreachable!("kept one"), |_| Err(crate::error::Error::store("the server went away")));
        assert!(failed.is_err());
        let refused: Result<()> = pool.with(|| Err(crate::error::Error::store("connection refused")), |_| unreachable!());
        assert!(refused.is_err());
        // The place of the failed connect is free again: no wait, a new connection.
        assert_eq!(pool.with(|| Ok(Counted(opened.fetch_add(1, Ordering::SeqCst))), |c| Ok(c.0)).expect("no error"), 1);
    }
}
