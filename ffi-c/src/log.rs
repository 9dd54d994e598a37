//! The audit trail for C programs: one log callback, registered with the
//! library, called on the caller's thread.
//!
//! While a callback is registered, every function that returns a
//! `DargahStatus` collects the audit events of its work (including those of
//! the library's I/O threads working for it) and, just before it returns,
//! hands each to the callback, in order, on the thread that called it
//! (`sink.rs`). Nothing secret is in an event (no credential, token, card
//! number or body).

use crate::boundary;
use crate::sink;
pub use crate::sink::{DargahLogCallback, DargahLogLevel};
use crate::status::DargahStatus;
use std::ffi::{c_int, c_void};

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
        let registered = callback.map(|callback| sink::Registered { callback, user_data: user_data as usize, max_level });
        sink::register(registered);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::{c_char, CStr};

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
