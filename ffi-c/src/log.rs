//! The audit trail for C programs: one log callback, registered with the
//! library, called on the caller's thread.
//!
//! While a callback is registered, every function that returns a
//! `DargahStatus` collects the audit events of its work (including those of
//! the library's I/O threads working for it) and, just before it returns,
//! hands each to the callback, in order, on the thread that called it.
//! Nothing secret is in an event (no credential, token, card number or body).

use crate::boundary;
use crate::status::DargahStatus;
use dargah_core::audit::{capture, AuditEvent};
use std::ffi::{c_char, c_int, c_void};
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

struct Registered {
    callback: extern "C" fn(*mut c_void, DargahLogLevel, *const c_char, *const c_char, *const c_char),
    user_data: usize,
    max_level: DargahLogLevel,
}

static LOGGER: RwLock<Option<Registered>> = RwLock::new(None);

/// Register `callback` (NULL: none, the default) for the whole process,
/// with `user_data` passed back to it unchanged, for events at `max_level`
/// (a `DargahLogLevel`) or more severe. Replaces any earlier registration; thread-safe, but
/// register before the threads that call the library start, or accept that
/// a call already running keeps the callback it started with.
/// DARGAH_INVALID_INPUT for a level outside 1..=5.
#[no_mangle]
pub extern "C" fn dargah_set_log_callback(callback: DargahLogCallback, user_data: *mut c_void, max_level: c_int) -> DargahStatus {
    boundary::boundary(|| {
        let max_level = match max_level {
            1 => DargahLogLevel::DARGAH_LOG_ERROR,
            2 => DargahLogLevel::DARGAH_LOG_WARN,
            3 => DargahLogLevel::DARGAH_LOG_INFO,
            4 => DargahLogLevel::DARGAH_LOG_DEBUG,
            5 => DargahLogLevel::DARGAH_LOG_TRACE,
            _ => return Err(boundary::invalid("max_level must be one of DARGAH_LOG_ERROR..DARGAH_LOG_TRACE".into())),
        };
        let registered = callback.map(|callback| Registered { callback, user_data: user_data as usize, max_level });
        *LOGGER.write().unwrap_or_else(|p| p.into_inner()) = registered;
        Ok(())
    })
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
        let target = boundary::c_string(&event.target);
        let message = boundary::c_string(&event.message());
        let fields = boundary::c_string(&event.fields_json());
        callback(user_data as *mut c_void, level_of(&event), target.as_ptr(), message.as_ptr(), fields.as_ptr());
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    extern "C" fn keep(user_data: *mut c_void, _: DargahLogLevel, _: *const c_char, message: *const c_char, _: *const c_char) {
        // SAFETY: user_data is the Vec below; message is valid during the call.
        let seen = unsafe { &mut *(user_data as *mut Vec<String>) };
        seen.push(unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned());
    }

    #[test]
    fn a_panic_in_the_c_abi_shows_no_secret() {
        let mut seen: Vec<String> = Vec::new();
        assert_eq!(dargah_set_log_callback(Some(keep), &mut seen as *mut Vec<String> as *mut c_void, 4), DargahStatus::DARGAH_OK);
        let config = dargah_core::Config::from_json(
            r#"{"store":"postgres://shop:CANARY-store@db/shop","canpay":{"merchant":"CANARY-merchant"},
                "http":{"proxy":"socks5://u:CANARY-proxy@127.0.0.1:9"},"card_fingerprint_key":"CANARY-fingerprint"}"#,
        )
        .unwrap();
        let status = boundary::boundary(|| panic!("while holding {config:?} and {:?}", config.store));
        assert_eq!(status, DargahStatus::DARGAH_PANIC);
        let message = unsafe { CStr::from_ptr(crate::dargah_last_error_message()) }.to_str().unwrap().to_string();
        assert_eq!(dargah_set_log_callback(None, std::ptr::null_mut(), 4), DargahStatus::DARGAH_OK);
        assert!(message.contains("panicked") && message.contains("shop:***@db"), "{message}");
        assert!(!message.contains("CANARY") && !seen.concat().contains("CANARY"), "{message} {seen:?}");
    }
}
