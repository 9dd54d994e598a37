//! The one boundary every exported function goes through: arguments are
//! checked here, panics stop here, and errors become a status plus the
//! thread's last error.

use crate::status::DargahStatus;
pub(crate) use crate::unwind::{c_string, catch};
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::ptr::NonNull;

/// Why a call failed, before it becomes the thread's last error.
#[derive(Debug)]
pub(crate) struct Failure {
    status: DargahStatus,
    message: String,
    gateway_code: Option<String>,
    gateway_message: Option<String>,
    http_status: Option<u16>,
}

impl Failure {
    fn new(status: DargahStatus, message: String) -> Failure {
        Failure { status, message, gateway_code: None, gateway_message: None, http_status: None }
    }
}

impl From<dargah_core::Error> for Failure {
    fn from(e: dargah_core::Error) -> Failure {
        Failure {
            status: DargahStatus::from_kind(e.kind()),
            message: e.message().to_string(),
            gateway_code: e.gateway_code().map(str::to_string),
            gateway_message: e.gateway_message().map(str::to_string),
            http_status: e.http_status(),
        }
    }
}

pub(crate) type Result<T, E = Failure> = std::result::Result<T, E>;

/// The last error of this thread, with the C strings its getters lend out.
struct LastError {
    status: DargahStatus,
    message: CString,
    gateway_code: Option<CString>,
    gateway_message: Option<CString>,
    http_status: u16,
}

thread_local! {
    /// None after a success.
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn set_last_error(failure: Option<Failure>) {
    let last = failure.map(|f| LastError {
        status: f.status,
        message: c_string(&f.message),
        gateway_code: f.gateway_code.as_deref().map(c_string),
        gateway_message: f.gateway_message.as_deref().map(c_string),
        http_status: f.http_status.unwrap_or(0),
    });
    // try_with: a call made from a thread-local destructor has no last error to keep.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = last);
}

/// Read the last error (None: the last call succeeded, or this thread is being torn down).
fn last_error<T>(read: impl Fn(Option<&LastError>) -> T) -> T {
    LAST_ERROR.try_with(|slot| read(slot.borrow().as_ref())).unwrap_or_else(|_| read(None))
}

/// The boundary of every function that returns a status: runs `body`, and
/// records its failure (or none) as this thread's last error.
pub(crate) fn boundary(body: impl FnOnce() -> Result<()>) -> DargahStatus {
    let outcome = crate::sink::logged(|| catch(body, |message| Err(Failure::new(DargahStatus::DARGAH_PANIC, format!("libdargah panicked (a bug; please report it): {message}")))));
    let record = || {
        let status = outcome.as_ref().err().map_or(DargahStatus::DARGAH_OK, |f| f.status);
        set_last_error(outcome.err());
        status
    };
    catch(record, |_| DargahStatus::DARGAH_PANIC)
}

/// The boundary of a getter: `default` for a NULL handle or a panic. Getters
/// never touch the last error, so they cannot invalidate a string it lent.
pub(crate) fn read<H, T>(handle: *const H, default: T, get: impl FnOnce(&H) -> T) -> T {
    // SAFETY: a non-NULL handle is one this library returned and the caller
    // has not freed (the documented contract of every getter).
    match unsafe { handle.as_ref() } {
        Some(h) => catch(|| get(h), |_| default),
        None => default,
    }
}

/// The boundary of a `*_free`: NULL is fine, a panicking destructor is swallowed.
pub(crate) fn free<H>(handle: *mut H) {
    if !handle.is_null() {
        // SAFETY: the handle came from `into_handle` and is freed once (documented).
        catch(|| drop(unsafe { Box::from_raw(handle) }), |_| ());
    }
}

/// A borrowed optional string: NULL when absent.
pub(crate) fn optional(text: Option<&CStr>) -> *const c_char {
    text.map_or(std::ptr::null(), CStr::as_ptr)
}

/// The boundary of `dargah_string_free`.
pub(crate) fn free_string(string: *mut c_char) {
    if !string.is_null() {
        // SAFETY: owned strings come from `Out::write_string` (`CString::into_raw`) and are freed once (documented).
        catch(|| drop(unsafe { CString::from_raw(string) }), |_| ());
    }
}

/// A heap handle for C.
pub(crate) fn into_handle<H>(value: H) -> *mut H {
    Box::into_raw(Box::new(value))
}

/// A required handle argument.
pub(crate) fn handle<'a, H>(ptr: *const H, name: &str) -> Result<&'a H> {
    // SAFETY: as in `read`.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(name))
}

/// A required NUL-terminated UTF-8 string argument.
pub(crate) fn text<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives the call.
    unsafe { CStr::from_ptr(ptr) }.to_str().map_err(|e| {
        Failure::new(DargahStatus::DARGAH_INVALID_UTF8, format!("{name} is not valid UTF-8 (at byte {})", e.valid_up_to()))
    })
}

/// A byte buffer argument: NULL is allowed only with length 0 (empty).
pub(crate) fn bytes<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: the caller passes `len` readable bytes that outlive the call.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

fn null(name: &str) -> Failure {
    Failure::new(DargahStatus::DARGAH_NULL_ARGUMENT, format!("{name} is NULL"))
}

/// An invalid argument that is not the core's to judge.
pub(crate) fn invalid(message: String) -> Failure {
    Failure::from(dargah_core::Error::invalid(message))
}

/// A required out-parameter, checked up front and written only on success.
pub(crate) struct Out<T>(NonNull<T>);

pub(crate) fn out<T>(ptr: *mut T, name: &str) -> Result<Out<T>> {
    NonNull::new(ptr).map(Out).ok_or_else(|| null(name))
}

impl<T> Out<T> {
    pub(crate) fn write(self, value: T) {
        // SAFETY: the caller passed a writable `T*` (documented); checked non-NULL.
        unsafe { self.0.as_ptr().write(value) }
    }
}

impl Out<*mut c_char> {
    /// Hand out an owned string, freed by `dargah_string_free`.
    pub(crate) fn write_string(self, text: &str) {
        self.write(c_string(text).into_raw())
    }
}

/// The status of the last function that returned a `DargahStatus` on this
/// thread (`DARGAH_OK` if it succeeded). Thread-safe: each thread has its own.
#[no_mangle]
pub extern "C" fn dargah_last_error_status() -> DargahStatus {
    catch(|| last_error(|e| e.map_or(DargahStatus::DARGAH_OK, |e| e.status)), |_| DargahStatus::DARGAH_PANIC)
}

/// The message of this thread's last error: English, one line, never
/// containing credentials; "" after a success. Never NULL.
///
/// Borrowed: valid until the next function that returns a `DargahStatus` is
/// called on this thread (the getters `dargah_last_error_*` do not count).
/// Copy it to keep it. Do not free it.
#[no_mangle]
pub extern "C" fn dargah_last_error_message() -> *const c_char {
    catch(|| last_error(|e| e.map_or(c"".as_ptr(), |e| e.message.as_ptr())), |_| c"".as_ptr())
}

/// The gateway's own error code of this thread's last error (e.g. "100",
/// "InvalidApiKey", "unauthorized"), or NULL when the gateway gave none.
/// Borrowed like `dargah_last_error_message()`.
#[no_mangle]
pub extern "C" fn dargah_last_error_gateway_code() -> *const c_char {
    catch(|| last_error(|e| optional(e.and_then(|e| e.gateway_code.as_deref()))), |_| std::ptr::null())
}

/// The gateway's own error message (often Persian) of this thread's last
/// error, or NULL when the gateway gave none. Borrowed like
/// `dargah_last_error_message()`.
#[no_mangle]
pub extern "C" fn dargah_last_error_gateway_message() -> *const c_char {
    catch(|| last_error(|e| optional(e.and_then(|e| e.gateway_message.as_deref()))), |_| std::ptr::null())
}

/// The HTTP status the gateway answered with for this thread's last error,
/// or 0 when there was no HTTP answer (or no error).
#[no_mangle]
pub extern "C" fn dargah_last_error_http_status() -> u16 {
    catch(|| last_error(|e| e.map_or(0, |e| e.http_status)), |_| 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> String {
        unsafe { CStr::from_ptr(dargah_last_error_message()) }.to_str().unwrap().to_string()
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message_and_the_thread_goes_on() {
        let status = boundary(|| panic!("boom {}", 42));
        assert_eq!(status, DargahStatus::DARGAH_PANIC);
        assert_eq!(dargah_last_error_status(), DargahStatus::DARGAH_PANIC);
        assert!(message().contains("boom 42"), "{}", message());
        assert!(message().contains("boundary.rs"), "the location is kept: {}", message());
        assert!(!message().contains('\n'));
        assert_eq!(boundary(|| Ok(())), DargahStatus::DARGAH_OK);
        assert_eq!(message(), "");
        assert_eq!(read(&5u8, 0, |_| -> u8 { panic!("in a getter") }), 0);
    }

    #[test]
    fn core_errors_keep_their_gateway_details() {
        let e = dargah_core::Error::rejected(Some("100".into()), Some("ApiKey_Not_Found".into()), 401);
        assert_eq!(boundary(|| Err(e.into())), DargahStatus::DARGAH_GATEWAY_REJECTED);
        let code = unsafe { CStr::from_ptr(dargah_last_error_gateway_code()) };
        assert_eq!(code.to_str().unwrap(), "100");
        assert_eq!(dargah_last_error_http_status(), 401);
        assert_eq!(boundary(|| Err(invalid("x".into()))), DargahStatus::DARGAH_INVALID_INPUT);
        assert!(dargah_last_error_gateway_code().is_null());
        assert_eq!(dargah_last_error_http_status(), 0);
    }

    #[test]
    fn arguments_are_checked() {
        let bad = [0xffu8, 0];
        assert_eq!(text(bad.as_ptr().cast(), "gateway").unwrap_err().status, DargahStatus::DARGAH_INVALID_UTF8);
        assert_eq!(text(std::ptr::null(), "gateway").unwrap_err().message, "gateway is NULL");
        assert_eq!(bytes(std::ptr::null(), 0, "body").unwrap(), b"");
        assert_eq!(bytes(std::ptr::null(), 1, "body").unwrap_err().status, DargahStatus::DARGAH_NULL_ARGUMENT);
        assert_eq!(c_string("a\0b").to_str().unwrap(), "a\u{FFFD}b");
    }
}
