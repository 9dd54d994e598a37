//! Where a panic stops: the lowest layer of the C ABI, below the statuses,
//! the log sink and the boundary that use it.

use std::cell::{Cell, RefCell};
use std::ffi::CString;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How deep this thread is inside the boundary, so the panic hook stays
    /// quiet for our panics and leaves everyone else's alone.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The library never prints: a panic inside the boundary is kept for the
/// last error instead of going to stderr. Panics elsewhere in the process
/// (the host's own Rust code, if any) still reach the previous hook.
/// Installed on the first call, never at load time.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if DEPTH.try_with(Cell::get).unwrap_or(0) > 0 {
                // One line, like every other message: "panicked at src/x.rs:1:2: what".
                let _ = PANIC_MESSAGE.try_with(|m| *m.borrow_mut() = Some(info.to_string().replace('\n', " ")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Run `f`, catching any panic; `on_panic` turns the panic's message into the answer.
pub(crate) fn catch<T>(f: impl FnOnce() -> T, on_panic: impl FnOnce(String) -> T) -> T {
    install_panic_hook();
    let _ = DEPTH.try_with(|d| d.set(d.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let _ = DEPTH.try_with(|d| d.set(d.get() - 1));
    result.unwrap_or_else(|payload| {
        let message = PANIC_MESSAGE.try_with(|m| m.borrow_mut().take()).ok().flatten().unwrap_or_else(|| {
            payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned()).unwrap_or_default()
        });
        // A payload's destructor may panic too; that one stops here as well.
        let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
        on_panic(message)
    })
}

/// A Rust string as a C string. A NUL inside (no real gateway sends one)
/// becomes U+FFFD rather than failing a call whose work is already done.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text).unwrap_or_else(|_| CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default())
}
