//! What belongs to one process and its threads: values rebuilt after a
//! `fork()` ([`ProcessLocal`]), and threads of ours that never run a host's
//! signal handler. See DESIGN.md, "Fork and threads".

use crate::error::Result;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

/// A value that is rebuilt in every process: after a fork the child gets a
/// fresh one and the parent's copy is leaked, never dropped.
///
/// No lock is ever held while the value is built (or at all): a fork while
/// another thread is in `init` would copy that lock, held, into a child where
/// its holder does not exist, and the child would wait on it forever. Instead
/// the current entry is one pointer, swapped in once built; two threads of one
/// process that build at once both run `init`, the first to publish wins and
/// the other's value is dropped unused.
#[doc(hidden)]
pub struct ProcessLocal<T> {
    /// The entry of the process that last built the value (null: none yet).
    /// A published entry is freed only when the `ProcessLocal` itself is
    /// dropped, so a reader may follow the pointer without a lock.
    current: AtomicPtr<Entry<T>>,
    /// Shared across threads as an `Arc<T>` is: only if `T` may be.
    _values: PhantomData<Arc<T>>,
}

struct Entry<T> {
    pid: u32,
    value: Arc<T>,
    /// What the parent process built, in a forked child: never dropped (that
    /// would join threads that do not exist in the child, or touch the
    /// parent's sockets and locks), but still pointed to, so that leak
    /// checkers see memory kept on purpose rather than lost.
    _inherited: *mut Entry<T>,
}

impl<T> ProcessLocal<T> {
    pub const fn new() -> Self {
        ProcessLocal { current: AtomicPtr::new(std::ptr::null_mut()), _values: PhantomData }
    }

    /// This process's value, built by `init` the first time it is asked for
    /// in this process.
    pub fn get_or_try_init(&self, init: impl FnOnce() -> Result<T>) -> Result<Arc<T>> {
        let pid = std::process::id();
        let mut seen = self.current.load(Ordering::Acquire);
        if let Some(value) = owned_by(seen, pid) {
            return Ok(value);
        }
        let value = Arc::new(init()?);
        let fresh = Box::into_raw(Box::new(Entry { pid, value: value.clone(), _inherited: seen }));
        loop {
            match self.current.compare_exchange(seen, fresh, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(value),
                Err(now) => {
                    if let Some(first) = owned_by(now, pid) {
                        // SAFETY: `fresh` was never published: no one else points to it.
                        drop(unsafe { Box::from_raw(fresh) });
                        return Ok(first);
                    }
                    // SAFETY: as above; only this thread can reach `fresh` yet.
                    unsafe { (*fresh)._inherited = now };
                    seen = now;
                }
            }
        }
    }
}

impl<T> Default for ProcessLocal<T> {
    fn default() -> Self {
        ProcessLocal::new()
    }
}

/// The value of `entry` if process `pid` built it.
fn owned_by<T>(entry: *mut Entry<T>, pid: u32) -> Option<Arc<T>> {
    // SAFETY: a published entry lives as long as its `ProcessLocal` (see `current`).
    unsafe { entry.as_ref() }.filter(|e| e.pid == pid).map(|e| e.value.clone())
}

impl<T> Drop for ProcessLocal<T> {
    fn drop(&mut self) {
        let entry = *self.current.get_mut();
        if entry.is_null() {
            return;
        }
        // Only this process's own value is dropped; whatever a parent built stays leaked.
        if owned_by(entry, std::process::id()).is_some() {
            // SAFETY: `&mut self`: no reader is left, and the entry was published by `Box::into_raw`.
            let own = unsafe { Box::from_raw(entry) };
            keep_inherited(own._inherited.cast());
        } else {
            keep_inherited(entry.cast());
        }
    }
}

/// Addresses of what forked children inherited from their parents and
/// dropped their hold on: never freed, but still pointed to from here, so
/// that leak checkers see memory kept on purpose rather than lost. A
/// lock-free list, for the same reason `ProcessLocal` takes no lock.
static INHERITED: AtomicPtr<Kept> = AtomicPtr::new(std::ptr::null_mut());

struct Kept {
    _entry: *mut (),
    next: *mut Kept,
}

fn keep_inherited(entry: *mut ()) {
    if entry.is_null() {
        return;
    }
    let kept = Box::into_raw(Box::new(Kept { _entry: entry, next: std::ptr::null_mut() }));
    let mut head = INHERITED.load(Ordering::Acquire);
    loop {
        // SAFETY: `kept` is not published yet: only this thread can reach it.
        unsafe { (*kept).next = head };
        match INHERITED.compare_exchange_weak(head, kept, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return,
            Err(now) => head = now,
        }
    }
}

/// Signals (PHP's timeouts, Python's Ctrl-C) must reach the host's own thread.
pub(crate) fn block_signals() {
    // SAFETY: sigfillset/pthread_sigmask only touch the local set and this thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Run `start` (which starts threads) with every signal blocked on the calling
/// thread, then restore its mask: a thread inherits its parent's mask, so the
/// threads started meanwhile never run a host's signal handler (PHP's run on
/// whichever thread a signal reaches), not even before their first instruction.
pub(crate) fn with_signals_blocked<T>(start: impl FnOnce() -> T) -> T {
    // SAFETY: as in `block_signals`; `old` is written by the first call and read by the second.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let started = start();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        started
    }
}
