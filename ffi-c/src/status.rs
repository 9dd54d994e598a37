//! Status codes: the one return type of every fallible function.

use dargah_core::ErrorKind;
use std::ffi::{c_char, c_int, CStr};

/// What a fallible function did. `DARGAH_OK` is 0; 1 to 15 are the core's
/// error kinds (`ErrorKind::code()`, one to one, same numbers); 100 and up
/// are the C boundary's own. Numbers never change and a removed value stays
/// reserved; new kinds get new numbers, so a `switch` needs a `default:`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DargahStatus {
    /// Success; out-parameters were written.
    DARGAH_OK = 0,
    /// An argument was invalid (amount, mobile, URL, request JSON, unknown
    /// gateway or operation, index out of range). Nothing was sent.
    DARGAH_INVALID_INPUT = 1,
    /// The configuration is missing, malformed or wrong.
    DARGAH_CONFIG = 2,
    /// No stored payment matches the id, token or reference.
    DARGAH_UNKNOWN_PAYMENT = 3,
    /// The order (invoice) id was already used for this gateway.
    DARGAH_DUPLICATE_INVOICE = 4,
    /// A callback that is malformed, conflicting, not UTF-8, or does not match its payment.
    DARGAH_INVALID_CALLBACK = 5,
    /// The gateway refused, in its own error envelope: see
    /// `dargah_last_error_gateway_code()`, `_gateway_message()`, `_http_status()`.
    DARGAH_GATEWAY_REJECTED = 6,
    /// The gateway answered something that is not its documented format. In doubt.
    DARGAH_MALFORMED_RESPONSE = 7,
    /// The gateway answered 5xx or was unavailable. In doubt.
    DARGAH_GATEWAY_UNAVAILABLE = 8,
    /// Connecting or talking to the gateway failed. In doubt.
    DARGAH_NETWORK = 9,
    /// The gateway did not answer in time. In doubt.
    DARGAH_TIMEOUT = 10,
    /// The payment store failed (database locked too long, disk, corrupt row).
    DARGAH_STORE = 11,
    /// The gateway cannot do this operation.
    DARGAH_UNSUPPORTED = 12,
    /// A bug in Dargah; please report it with the message.
    DARGAH_INTERNAL = 13,
    /// A money-moving call was sent before under this idempotency key and its
    /// result is unknown: it was not sent again. Check the gateway's statement.
    DARGAH_IN_DOUBT = 14,
    /// The gateway's rate limit had no free slot within the wait allowed.
    DARGAH_RATE_LIMITED = 15,
    /// A required pointer argument was NULL; the message names it.
    DARGAH_NULL_ARGUMENT = 100,
    /// A string argument was not valid UTF-8; the message names it.
    DARGAH_INVALID_UTF8 = 101,
    /// Dargah panicked (a bug) and the call was abandoned; the process goes
    /// on and the handles stay usable. The message says where.
    DARGAH_PANIC = 102,
}

use DargahStatus::*;

impl DargahStatus {
    /// The status for a core error kind: the same number.
    pub(crate) fn from_kind(kind: ErrorKind) -> DargahStatus {
        match kind.code() {
            1 => DARGAH_INVALID_INPUT,
            2 => DARGAH_CONFIG,
            3 => DARGAH_UNKNOWN_PAYMENT,
            4 => DARGAH_DUPLICATE_INVOICE,
            5 => DARGAH_INVALID_CALLBACK,
            6 => DARGAH_GATEWAY_REJECTED,
            7 => DARGAH_MALFORMED_RESPONSE,
            8 => DARGAH_GATEWAY_UNAVAILABLE,
            9 => DARGAH_NETWORK,
            10 => DARGAH_TIMEOUT,
            11 => DARGAH_STORE,
            12 => DARGAH_UNSUPPORTED,
            14 => DARGAH_IN_DOUBT,
            15 => DARGAH_RATE_LIMITED,
            // 13, and a kind newer than this ABI until it gets its own value.
            _ => DARGAH_INTERNAL,
        }
    }

    fn from_number(number: c_int) -> Option<DargahStatus> {
        const ALL: [DargahStatus; 19] = [
            DARGAH_OK,
            DARGAH_INVALID_INPUT,
            DARGAH_CONFIG,
            DARGAH_UNKNOWN_PAYMENT,
            DARGAH_DUPLICATE_INVOICE,
            DARGAH_INVALID_CALLBACK,
            DARGAH_GATEWAY_REJECTED,
            DARGAH_MALFORMED_RESPONSE,
            DARGAH_GATEWAY_UNAVAILABLE,
            DARGAH_NETWORK,
            DARGAH_TIMEOUT,
            DARGAH_STORE,
            DARGAH_UNSUPPORTED,
            DARGAH_INTERNAL,
            DARGAH_IN_DOUBT,
            DARGAH_RATE_LIMITED,
            DARGAH_NULL_ARGUMENT,
            DARGAH_INVALID_UTF8,
            DARGAH_PANIC,
        ];
        ALL.into_iter().find(|s| *s as c_int == number)
    }

    /// The snake_case name; the core kinds' names are `ErrorKind::name()`.
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            DARGAH_OK => c"ok",
            DARGAH_INVALID_INPUT => c"invalid_input",
            DARGAH_CONFIG => c"config",
            DARGAH_UNKNOWN_PAYMENT => c"unknown_payment",
            DARGAH_DUPLICATE_INVOICE => c"duplicate_invoice",
            DARGAH_INVALID_CALLBACK => c"invalid_callback",
            DARGAH_GATEWAY_REJECTED => c"gateway_rejected",
            DARGAH_MALFORMED_RESPONSE => c"malformed_response",
            DARGAH_GATEWAY_UNAVAILABLE => c"gateway_unavailable",
            DARGAH_NETWORK => c"network",
            DARGAH_TIMEOUT => c"timeout",
            DARGAH_STORE => c"store",
            DARGAH_UNSUPPORTED => c"unsupported",
            DARGAH_INTERNAL => c"internal",
            DARGAH_IN_DOUBT => c"in_doubt",
            DARGAH_RATE_LIMITED => c"rate_limited",
            DARGAH_NULL_ARGUMENT => c"null_argument",
            DARGAH_INVALID_UTF8 => c"invalid_utf8",
            DARGAH_PANIC => c"panic",
        }
    }
}

/// The snake_case name of a status ("ok", "invalid_input", ..., "panic"),
/// the same names the PHP and Python bindings use; "unknown" for a number
/// this version does not know.
///
/// Takes an `int` so any number is safe to pass. Returns a static string:
/// never NULL, never freed. Thread-safe.
#[no_mangle]
pub extern "C" fn dargah_status_name(status: c_int) -> *const c_char {
    crate::unwind::catch(|| DargahStatus::from_number(status).map_or(c"unknown", DargahStatus::name).as_ptr(), |_| c"unknown".as_ptr())
}

/// True for the statuses after which the gateway may or may not have acted
/// (MALFORMED_RESPONSE, GATEWAY_UNAVAILABLE, NETWORK, TIMEOUT, IN_DOUBT): the
/// payment is kept in doubt and `dargah_client_recover()` resolves it later.
/// Never treat such a payment as failed. Thread-safe.
#[no_mangle]
pub extern "C" fn dargah_status_is_in_doubt(status: c_int) -> bool {
    let in_doubt = || matches!(DargahStatus::from_number(status), Some(DARGAH_MALFORMED_RESPONSE | DARGAH_GATEWAY_UNAVAILABLE | DARGAH_NETWORK | DARGAH_TIMEOUT | DARGAH_IN_DOUBT));
    crate::unwind::catch(in_doubt, |_| false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [ErrorKind; 15] = ErrorKind::ALL;

    #[test]
    fn core_kinds_map_one_to_one_with_the_same_numbers_and_names() {
        for kind in KINDS {
            let status = DargahStatus::from_kind(kind);
            assert_eq!(status as u32, kind.code(), "{kind:?}");
            assert_eq!(status.name().to_str().unwrap(), kind.name());
            assert_eq!(dargah_status_is_in_doubt(status as c_int), kind.is_in_doubt(), "{kind:?}");
        }
    }

    #[test]
    fn names_of_every_number() {
        let name = |n| unsafe { CStr::from_ptr(dargah_status_name(n)) }.to_str().unwrap();
        assert_eq!(name(0), "ok");
        assert_eq!(name(102), "panic");
        assert_eq!(name(-1), "unknown");
        assert_eq!(name(14), "in_doubt");
        assert_eq!(name(16), "unknown");
        for n in 0..200 {
            if let Some(s) = DargahStatus::from_number(n) {
                assert_eq!(s as c_int, n);
                assert_ne!(name(n), "unknown");
            }
        }
    }
}
