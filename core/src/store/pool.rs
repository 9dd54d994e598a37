//! A small connection pool that belongs to one process.
//!
//! Pool crates keep reaper threads and sockets that a `fork()`ed PHP-FPM or
//! gunicorn worker would inherit half-dead; this pool is rebuilt in every
//! process (the parent's is leaked, never closed from the child) and starts
//! no thread. What it promises:
//!
//! - A connection that failed at the store level is never handed out again
//!   (nor is any other idle one: after a database restart they are all dead).
//! - A connection that sat idle for a while is checked with a round trip
//!   (`Pooled::alive`) before it is handed out, so a restart while a worker
//!   was waiting on a gateway costs a reconnect, not the call.
//! - Work that is safe to repeat (a fenced `finish`) runs again on a fresh
//!   connection when its connection was lost, for as long as a server's
//!   restart takes (`again_if_connection_lost`).
//! - A process keeps a bounded number of idle connections for a bounded time,
//!   over all its pools together: a PHP-FPM worker whose shop changed its
//!   settings 50 times keeps no connection for each old configuration. With no
//!   thread of its own, the pool closes what is due whenever any pool of the
//!   process gives a connection back, so an unused old pool is emptied by the
//!   traffic of the new one.

use crate::error::{ErrorKind, Result};
use crate::process::ProcessLocal;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// How long a caller waits for one of the kept connections to come back
/// before it opens one of its own: far longer than a statement takes, short
/// enough that a caller holding one connection while asking for another
/// (never a deadlock) loses little.
const WAIT_FOR_A_CONNECTION: Duration = Duration::from_millis(20);
/// An idle connection older than this is checked with a round trip before use.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);
/// An idle connection older than this is closed (MySQL's own `wait_timeout` is 8 hours).
const CLOSE_AFTER_IDLE: Duration = Duration::from_secs(60);
/// The idle connections one process keeps over all its pools (all clients and
/// stores); the most recently used are kept.
const IDLE_PER_PROCESS: usize = 8;

/// A connection the pool can check.
pub(crate) trait Pooled: Send + 'static {
    /// A round trip that proves the connection still works.
    fn alive(&mut self) -> bool;
}

/// A SQLite connection is a file handle: there is no server to lose.
impl Pooled for rusqlite::Connection {
    fn alive(&mut self) -> bool {
        true
    }
}

pub(crate) struct ProcessPool<C: Pooled> {
    slots: ProcessLocal<Slots<C>>,
    keep: usize,
    wait: Duration,
    check_after: Duration,
}

struct Slots<C> {
    state: Mutex<SlotState<C>>,
    returned: Condvar,
    registered: AtomicBool,
}

struct SlotState<C> {
    /// Oldest first, each with the time it came back.
    idle: Vec<(C, Instant)>,
    in_use: usize,
}

/// The pools of this process, for the idle limits over all of them. Entries
/// of another pid (inherited through a fork) are forgotten, never swept: their
/// connections are the parent's.
static POOLS: Mutex<Vec<(u32, Weak<dyn Sweep>)>> = Mutex::new(Vec::new());

trait Sweep: Send + Sync {
    /// When each idle connection came back.
    fn idle_since(&self) -> Vec<Instant>;
    /// Close the idle connections that came back before `cutoff`.
    fn close_before(&self, cutoff: Instant);
}

thread_local! {
    /// Set when this thread's last store error came from a connection found dead
    /// or one that could not be made for a passing reason (not from a statement
    /// the server refused, nor from credentials or TLS it refused).
    static LOST: Cell<bool> = const { Cell::new(false) };
    /// Set by a backend when the connect it is failing failed for a passing
    /// reason: refused or reset (a restart), the server still starting.
    static CONNECT_MAY_SUCCEED_LATER: Cell<bool> = const { Cell::new(false) };
    /// Set by a backend when a COMMIT was sent and no answer came: it may have landed.
    static COMMIT_UNANSWERED: Cell<bool> = const { Cell::new(false) };
    /// Set by a backend when its server answers but will not do work for now (a
    /// Galera node outside the primary component): lost, though a ping succeeds.
    static UNUSABLE: Cell<bool> = const { Cell::new(false) };
}

/// A backend's connection answers but its server refuses work for a passing reason.
pub(crate) fn connection_unusable() {
    UNUSABLE.with(|u| u.set(true));
}

/// A backend's connect failed for a reason that passes (see `CONNECT_MAY_SUCCEED_LATER`).
pub(crate) fn connect_may_succeed_later() {
    CONNECT_MAY_SUCCEED_LATER.with(|c| c.set(true));
}

/// A backend sent COMMIT and lost the connection before its answer.
pub(crate) fn commit_unanswered() {
    COMMIT_UNANSWERED.with(|c| c.set(true));
}

/// Whether an I/O error is the kind a database restart or a dropped network gives.
pub(crate) fn passing_io_error(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::*;
    matches!(kind, ConnectionRefused | ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | TimedOut | NotConnected)
}

/// `connect()`, with `CONNECT_MAY_SUCCEED_LATER` telling afterwards whether its failure passes.
fn connect_noting_why<C>(connect: impl Fn() -> Result<C>) -> Result<C> {
    CONNECT_MAY_SUCCEED_LATER.with(|c| c.set(false));
    connect()
}

/// How long work keeps trying after its connection was lost: a database
/// server's restart, well inside a claim's lease.
const RETRY_LOST_FOR: Duration = Duration::from_secs(15);

/// What a transaction whose COMMIT went unanswered may do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnansweredCommit {
    /// Run it again: it recognises its own earlier commit (a fenced finish is a
    /// compare-and-set on `(state, fence)` and knows its own stored answer).
    RunAgain,
    /// Report the store error: running it again could apply it twice.
    Report,
}

/// Run `f`, and again if it failed with a store error because its connection
/// was lost or could not be made (the database restarted or the network dropped it): the next run
/// gets a fresh connection, and while the server is still coming back (its
/// connects refused) the runs go on, further and further apart, for up to
/// `RETRY_LOST_FOR`. Reads and transactions that never reached COMMIT are
/// always safe to run again (the server rolled them back); one whose COMMIT
/// went unanswered only under `UnansweredCommit::RunAgain`. A shop's callback
/// page waits out a database restart instead of answering an error.
pub(crate) fn again_if_connection_lost<T>(unanswered: UnansweredCommit, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let mut run = || {
        LOST.with(|lost| lost.set(false));
        COMMIT_UNANSWERED.with(|c| c.set(false));
        f()
    };
    let worth_again = |r: &Result<T>| {
        let lost = LOST.with(|lost| lost.replace(false));
        let unanswered_commit = COMMIT_UNANSWERED.with(|c| c.replace(false));
        matches!(r, Err(e) if e.kind() == ErrorKind::Store) && lost && (unanswered == UnansweredCommit::RunAgain || !unanswered_commit)
    };
    let first = run();
    if !worth_again(&first) {
        return first;
    }
    crate::clock::retry_backing_off(Instant::now() + RETRY_LOST_FOR, Duration::from_secs(1), worth_again, run)
}

impl<C: Pooled> ProcessPool<C> {
    /// A pool that keeps `keep` connections: while that many are in use, a
    /// caller waits for one (a burst of 128 duplicate callbacks reads through
    /// 16 connections instead of opening the database 112 more times).
    pub(crate) const fn new(keep: usize) -> Self {
        ProcessPool { slots: ProcessLocal::new(), keep, wait: WAIT_FOR_A_CONNECTION, check_after: CHECK_AFTER_IDLE }
    }

    fn slots(&self) -> Result<Arc<Slots<C>>> {
        let slots = self.slots.get_or_try_init(|| Ok(Slots { state: Mutex::new(SlotState { idle: Vec::new(), in_use: 0 }), returned: Condvar::new(), registered: AtomicBool::new(false) }))?;
        if !slots.registered.swap(true, Ordering::SeqCst) {
            let weak: Weak<dyn Sweep> = Arc::downgrade(&slots) as Weak<Slots<C>>;
            lock(&POOLS).push((std::process::id(), weak));
        }
        Ok(slots)
    }

    /// Run `f` on an idle connection (checked first if it idled a while), or a new one from `connect`.
    pub(crate) fn with<T>(&self, connect: impl Fn() -> Result<C>, f: impl FnOnce(&mut C) -> Result<T>) -> Result<T> {
        let slots = self.slots()?;
        UNUSABLE.with(|u| u.set(false));
        let mut conn = match self.take(&slots) {
            Some(conn) => conn,
            None => match connect_noting_why(&connect) {
                Ok(conn) => conn,
                Err(e) => {
                    // No server to reach (a restart under way): for work that may wait for it.
                    LOST.with(|l| l.set(CONNECT_MAY_SUCCEED_LATER.with(|c| c.replace(false))));
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
        // A store error: this connection is never handed out again. If it is
        // dead (a database restart), every idle one is too: drop them all, so
        // the next call connects afresh instead of failing again.
        if matches!(&result, Err(e) if e.kind() == ErrorKind::Store) {
            let lost = UNUSABLE.with(|u| u.replace(false)) || !conn.alive();
            LOST.with(|l| l.set(lost));
            let dead = if lost { std::mem::take(&mut slots.lock().idle) } else { Vec::new() };
            self.give_back(&slots, None);
            drop((conn, dead)); // closed outside the pool's lock
        } else {
            self.give_back(&slots, Some(conn));
        }
        result
    }

    /// A live idle connection, or None: the caller opens one (counted in use already).
    fn take(&self, slots: &Slots<C>) -> Option<C> {
        let deadline = Instant::now() + self.wait;
        let mut state = slots.lock();
        loop {
            while let Some((mut conn, since)) = state.idle.pop() {
                state.in_use += 1;
                if since.elapsed() < self.check_after {
                    return Some(conn);
                }
                drop(state); // the round trip runs outside the pool's lock
                if conn.alive() {
                    return Some(conn);
                }
                // Dead after a rest: so are the others that rested as long (a restart).
                let mut relocked = slots.lock();
                let dead: Vec<_> = std::mem::take(&mut relocked.idle);
                relocked.in_use -= 1;
                drop(relocked);
                drop((conn, dead));
                state = slots.lock();
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
    /// it failed, or was never opened); then the process's idle limits.
    fn give_back(&self, slots: &Slots<C>, conn: Option<C>) {
        let mut state = slots.lock();
        state.in_use = state.in_use.saturating_sub(1);
        let extra = match conn {
            Some(conn) if state.idle.len() < self.keep => {
                state.idle.push((conn, Instant::now()));
                None
            }
            other => other,
        };
        drop(state);
        drop(extra);
        slots.returned.notify_one();
        sweep_process();
    }
}

/// Close what the process keeps beyond its idle limits: connections idle
/// longer than `CLOSE_AFTER_IDLE`, and all but the `IDLE_PER_PROCESS` most
/// recently returned, over every pool of this process.
fn sweep_process() {
    let pid = std::process::id();
    let pools: Vec<Arc<dyn Sweep>> = {
        // A thread already sweeping does it for this one too: no queue on a busy process's give-backs.
        let mut pools = match POOLS.try_lock() {
            Ok(pools) => pools,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        pools.retain(|(owner, weak)| *owner == pid && weak.strong_count() > 0);
        pools.iter().filter_map(|(_, weak)| weak.upgrade()).collect()
    };
    let mut since: Vec<Instant> = pools.iter().flat_map(|p| p.idle_since()).collect();
    let now = Instant::now();
    let mut cutoff = now.checked_sub(CLOSE_AFTER_IDLE);
    if since.len() > IDLE_PER_PROCESS {
        since.sort_unstable_by(|a, b| b.cmp(a)); // newest first
        let keep_from = since[IDLE_PER_PROCESS - 1];
        cutoff = Some(cutoff.map_or(keep_from, |c| c.max(keep_from)));
    }
    if let Some(cutoff) = cutoff {
        pools.iter().for_each(|p| p.close_before(cutoff));
    }
}

impl<C: Pooled> Sweep for Slots<C> {
    fn idle_since(&self) -> Vec<Instant> {
        self.lock().idle.iter().map(|(_, since)| *since).collect()
    }

    fn close_before(&self, cutoff: Instant) {
        let mut state = self.lock();
        let (closing, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut state.idle).into_iter().partition(|(_, since)| *since < cutoff);
        state.idle = kept;
        drop(state);
        drop(closing); // closed outside the pool's lock
    }
}

impl<C> Slots<C> {
    fn lock(&self) -> MutexGuard<'_, SlotState<C>> {
        lock(&self.state)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc::channel;
    use std::sync::Arc;

    /// The limits are per process: the pool tests run one at a time.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    struct Counted(usize);

    impl Pooled for Counted {
        fn alive(&mut self) -> bool {
            true
        }
    }

    fn pool(keep: usize, wait: Duration) -> Arc<ProcessPool<Counted>> {
        Arc::new(ProcessPool { slots: ProcessLocal::new(), keep, wait, check_after: CHECK_AFTER_IDLE })
    }

    /// A connection to a server that `up` says is running (a restart: false, then a new server).
    struct ToServer {
        number: usize,
        up: Arc<AtomicBool>,
    }

    impl Pooled for ToServer {
        fn alive(&mut self) -> bool {
            self.up.load(Ordering::SeqCst)
        }
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
        let _one = lock(&ONE_AT_A_TIME);
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
        let _one = lock(&ONE_AT_A_TIME);
        let (pool, opened) = (pool(2, Duration::ZERO), Arc::new(AtomicUsize::new(0)));
        let (release, threads) = hold_both(&pool, &opened);
        let used = pool.with(|| Ok(Counted(opened.fetch_add(1, Ordering::SeqCst))), |c| Ok(c.0)).expect("no error");
        assert_eq!(used, 2);
        release.into_iter().for_each(|go| go.send(()).expect("the holder waits"));
        threads.into_iter().for_each(|t| t.join().expect("no panic"));
        // Two stay kept; the third is closed.
        assert_eq!(pool.slots().map(|s| s.lock().idle.len()).expect("built"), 2);
    }

    #[test]
    fn a_failed_connection_is_never_handed_out_again_and_a_failed_connect_frees_its_place() {
        let _one = lock(&ONE_AT_A_TIME);
        let (pool, opened) = (pool(1, Duration::from_secs(30)), Arc::new(AtomicUsize::new(0)));
        let open = || Ok(Counted(opened.fetch_add(1, Ordering::SeqCst)));
        pool.with(open, |_| Ok(())).expect("no error");
        let failed: Result<()> = pool.with(|| unreachable!("kept one"), |_| Err(crate::error::Error::store("a refused statement")));
        assert!(failed.is_err());
        let refused: Result<()> = pool.with(|| Err(crate::error::Error::store("connection refused")), |_| unreachable!());
        assert!(refused.is_err());
        // The place of the failed connect is free again: no wait, a new connection.
        assert_eq!(pool.with(|| Ok(Counted(opened.fetch_add(1, Ordering::SeqCst))), |c| Ok(c.0)).expect("no error"), 1);
    }

    fn server_pool(check_after: Duration) -> (ProcessPool<ToServer>, Arc<AtomicBool>, Arc<AtomicUsize>) {
        let pool = ProcessPool { slots: ProcessLocal::new(), keep: 4, wait: Duration::ZERO, check_after };
        (pool, Arc::new(AtomicBool::new(true)), Arc::new(AtomicUsize::new(0)))
    }

    #[test]
    fn an_idle_connection_is_checked_before_use_and_a_dead_one_is_replaced() {
        let _one = lock(&ONE_AT_A_TIME);
        let (pool, up, opened) = server_pool(Duration::ZERO);
        let connect = || Ok(ToServer { number: opened.fetch_add(1, Ordering::SeqCst), up: up.clone() });
        assert_eq!(pool.with(connect, |c| Ok(c.number)).expect("no error"), 0);
        // The database restarts while the connection idles: the old one fails its check.
        up.store(false, Ordering::SeqCst);
        let restarted = Arc::new(AtomicBool::new(true));
        let connect = || Ok(ToServer { number: opened.fetch_add(1, Ordering::SeqCst), up: restarted.clone() });
        assert_eq!(pool.with(connect, |c| Ok(c.number)).expect("a fresh connection"), 1);
    }

    #[test]
    fn work_safe_to_repeat_runs_again_on_a_fresh_connection_when_its_connection_was_lost() {
        let _one = lock(&ONE_AT_A_TIME);
        let (pool, up, opened) = server_pool(Duration::from_secs(3600)); // no check: the restart is found by the work itself
        let connect = || Ok(ToServer { number: opened.fetch_add(1, Ordering::SeqCst), up: up.clone() });
        pool.with(connect, |_| Ok(())).expect("no error");
        let mut runs = Vec::new();
        let answer = again_if_connection_lost(UnansweredCommit::Report, || {
            pool.with(
                || Ok(ToServer { number: opened.fetch_add(1, Ordering::SeqCst), up: Arc::new(AtomicBool::new(true)) }),
                |c| {
                    runs.push(c.number);
                    if c.number == 0 {
                        up.store(false, Ordering::SeqCst); // the server went away under this statement
                        return Err(crate::error::Error::store("server closed the connection unexpectedly"));
                    }
                    Ok("stored")
                },
            )
        });
        assert_eq!(answer.expect("the second run stores it"), "stored");
        assert_eq!(runs, vec![0, 1]);
        // A refused statement on a live connection is not run again.
        let mut tries = 0;
        let refused: Result<()> = again_if_connection_lost(UnansweredCommit::Report, || {
            tries += 1;
            pool.with(|| unreachable!("kept one"), |_| Err(crate::error::Error::store("a unique key refused it")))
        });
        assert!(refused.is_err());
        assert_eq!(tries, 1);
        // The server is still coming back: refused connects are tried again, further apart.
        let refusals = AtomicUsize::new(0);
        let stored = again_if_connection_lost(UnansweredCommit::Report, || {
            pool.with(
                || match refusals.fetch_add(1, Ordering::SeqCst) {
                    0..=2 => {
                        connect_may_succeed_later();
                        Err(crate::error::Error::store("connection refused"))
                    }
                    _ => Ok(ToServer { number: 99, up: Arc::new(AtomicBool::new(true)) }),
                },
                |c| if c.number == 99 { Ok("stored") } else { Err(crate::error::Error::store("terminating connection due to administrator command")) },
            )
        });
        assert_eq!(stored.expect("stored once the server is back"), "stored");
        assert_eq!(refusals.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_connect_refused_for_good_and_an_unanswered_commit_are_reported_not_repeated() {
        let _one = lock(&ONE_AT_A_TIME);
        let (pool, _up, _opened) = server_pool(Duration::ZERO);
        // Wrong credentials or TLS: waiting would not help; the caller hears at once.
        let connects = AtomicUsize::new(0);
        let refused: Result<()> = again_if_connection_lost(UnansweredCommit::Report, || {
            pool.with(
                || {
                    connects.fetch_add(1, Ordering::SeqCst);
                    Err(crate::error::Error::store("password authentication failed"))
                },
                |_| Ok(()),
            )
        });
        assert!(refused.is_err());
        assert_eq!(connects.load(Ordering::SeqCst), 1);
        // A COMMIT sent and never answered may have landed: run again only by work that knows its own commit.
        for (unanswered, runs_expected) in [(UnansweredCommit::Report, 1), (UnansweredCommit::RunAgain, 2)] {
            let mut runs = 0;
            let answer = again_if_connection_lost(unanswered, || {
                runs += 1;
                pool.with(
                    || Ok(ToServer { number: runs, up: Arc::new(AtomicBool::new(true)) }),
                    |c| {
                        if runs == 1 {
                            c.up.store(false, Ordering::SeqCst); // the server went away at COMMIT
                            commit_unanswered();
                            return Err(crate::error::Error::store("server closed the connection unexpectedly"));
                        }
                        Ok("stored")
                    },
                )
            });
            assert_eq!(runs, runs_expected);
            assert_eq!(answer.is_ok(), runs_expected == 2);
        }
    }

    #[test]
    fn idle_connections_beyond_the_process_limit_are_closed_oldest_first_over_every_pool() {
        let _one = lock(&ONE_AT_A_TIME);
        // One pool per old configuration, each left with one idle connection.
        let opened = Arc::new(AtomicUsize::new(0));
        let pools: Vec<_> = (0..IDLE_PER_PROCESS + 10).map(|_| pool(16, Duration::ZERO)).collect();
        for pool in &pools {
            pool.with(|| Ok(Counted(opened.fetch_add(1, Ordering::SeqCst))), |_| Ok(())).expect("no error");
        }
        let idle: usize = pools.iter().map(|p| p.slots().map(|s| s.lock().idle.len()).expect("built")).sum();
        assert!(idle <= IDLE_PER_PROCESS, "{idle} idle connections kept over {} pools", pools.len());
        // The newest configuration's connection is among those kept.
        assert_eq!(pools.last().expect("pools").slots().map(|s| s.lock().idle.len()).expect("built"), 1);
    }
}
