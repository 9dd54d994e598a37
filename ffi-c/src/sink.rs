//! Where the audit events of a call go: the one log callback registered for
//! the process (`log.rs` is how C registers it), and the capture that
//! collects a call's events for it, below the boundary that runs every call.

use crate::unwind::c_string;
use dargah_core::audit::{capture, AuditEvent};
use std::ffi::{c_char, c_void};
use std::sync::RwLock;

/// How much the log callback is given: a level and everything more severe.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DargahLogLevel {
    DARGAH_LOG_ERROR = 1,
    DARGAH_LOG_WARN = 2,
    DARGAH_LOG_INFO = 3,
    DARGAH_LOG_DEBUG = 4,
    DARGAH_LOG_TRACE = 5,
}

/// A log callback: `level` of the event; `target` "dargah" or
/// "dargah::<gateway>"; `message` one line for people ("gateway_call
/// gateway=vandar operation=…"); `fields_json` the event's fields as a JSON
/// object (`event`, `gateway`, `operation`, `payment_id`, `http_status`,
/// `duration_ms`, `outcome`, `from`, `to`, `fence`, …).
///
/// The three strings are NUL-terminated UTF-8, borrowed for the duration of
/// the call only: copy what you keep. The callback runs on the thread that
/// called the `dargah_*` function, before that function returns; it must
/// not unwind (no C++ exception, no longjmp) and should not call a
/// `dargah_*` function that returns a `DargahStatus` (that would replace the
/// last error of the call it is reporting on).
pub type DargahLogCallback = Option<extern "C" fn(user_data: *mut c_void, level: DargahLogLevel, target: *const c_char, message: *const c_char, fields_json: *const c_char)>;

pub(crate) struct Registered {
    pub(crate) callback: extern "C" fn(*mut c_void, DargahLogLevel, *const c_char, *const c_char, *const c_char),
    pub(crate) user_data: usize,
    pub(crate) max_level: DargahLogLevel,
}

static LOGGER: RwLock<Option<Registered>> = RwLock::new(None);

/// Replace the registration (None: no callback).
pub(crate) fn register(registered: Option<Registered>) {
    *LOGGER.write().unwrap_or_else(|p| p.into_inner()) = registered;
}

fn tracing_level(level: DargahLogLevel) -> dargah_core::audit::Level {
    use dargah_core::audit::Level;
    match level {
        DargahLogLevel::DARGAH_LOG_ERROR => Level::ERROR,
        DargahLogLevel::DARGAH_LOG_WARN => Level::WARN,
        DargahLogLevel::DARGAH_LOG_INFO => Level::INFO,
        DargahLogLevel::DARGAH_LOG_DEBUG => Level::DEBUG,
        DargahLogLevel::DARGAH_LOG_TRACE => Level::TRACE,
    }
}

fn level_of(event: &AuditEvent) -> DargahLogLevel {
    match event.level {
        "error" => DargahLogLevel::DARGAH_LOG_ERROR,
        "warn" => DargahLogLevel::DARGAH_LOG_WARN,
        "info" => DargahLogLevel::DARGAH_LOG_INFO,
        "debug" => DargahLogLevel::DARGAH_LOG_DEBUG,
        _ => DargahLogLevel::DARGAH_LOG_TRACE,
    }
}

/// Run `body`, then hand its events to the registered callback (if any) on this thread.
pub(crate) fn logged<T>(body: impl FnOnce() -> T) -> T {
    let registered = LOGGER.read().unwrap_or_else(|p| p.into_inner()).as_ref().map(|r| (r.callback, r.user_data, r.max_level));
    let Some((callback, user_data, max_level)) = registered else {
        return body();
    };
    let (result, events) = capture(tracing_level(max_level), body);
    for event in events {
        let target = c_string(&event.target);
        let message = c_string(&event.message());
        let fields = c_string(&event.fields_json());
        callback(user_data as *mut c_void, level_of(&event), target.as_ptr(), message.as_ptr(), fields.as_ptr());
    }
    result
}
