//! The C ABI of Dargah: `libdargah.so` / `libdargah.a` and `include/dargah.h`
//! (generated from this crate by cbindgen; `make header`).
//!
//! Conventions (DESIGN.md, "C ABI conventions"): opaque handles made and
//! freed by the library; every fallible function returns a `DargahStatus`
//! and leaves details in a thread-local last error; out-parameters are
//! written only on success; every pointer is checked; strings are
//! NUL-terminated UTF-8; every exported body runs inside one panic boundary
//! (`boundary.rs`). Additive only: a new field is a new getter, never a
//! changed struct, and no number or signature changes once released.
//!
//! The exported functions have safe Rust signatures on purpose: their callers
//! are C, and their contract (valid handles, readable strings) is the one the
//! header documents; the raw pointers are touched only in `boundary.rs`.
//!
//! Layers, each using only those below it: `unwind` (where a panic stops),
//! `status`, `sink` (where a call's log events go), `boundary`, then the
//! exported functions (`client`, `payment`, `outcome`, `log`).

mod unwind;
mod status;
mod sink;
mod boundary;
mod client;
mod payment;
mod outcome;
mod log;

pub use boundary::{dargah_last_error_gateway_code, dargah_last_error_gateway_message, dargah_last_error_http_status, dargah_last_error_message, dargah_last_error_status};
pub use client::*;
pub use log::*;
pub use outcome::*;
pub use payment::*;
pub use status::*;

use std::ffi::c_char;

/// The major version of the header (kept equal to Cargo.toml by a test).
pub const DARGAH_VERSION_MAJOR: u32 = 0;
/// The minor version of the header.
pub const DARGAH_VERSION_MINOR: u32 = 1;
/// The patch version of the header.
pub const DARGAH_VERSION_PATCH: u32 = 0;

/// The version of the loaded library, "MAJOR.MINOR.PATCH". Compare it with
/// the header's DARGAH_VERSION: a library with the same major version and a
/// minor version at least the header's has every function the header
/// declares. Static: never NULL, never freed. Thread-safe.
#[no_mangle]
pub extern "C" fn dargah_version() -> *const c_char {
    boundary::catch(|| concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast(), |_| c"".as_ptr())
}

/// Free a string that a `dargah_*` function handed out as owned (an
/// `out_json` or `out_report_json`). NULL is fine. Never pass a borrowed
/// string (a getter's answer) or memory from `malloc`.
#[no_mangle]
pub extern "C" fn dargah_string_free(string: *mut c_char) {
    boundary::free_string(string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_macros_match_cargo_toml() {
        assert_eq!(DARGAH_VERSION_MAJOR.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
        assert_eq!(DARGAH_VERSION_MINOR.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
        assert_eq!(DARGAH_VERSION_PATCH.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
        let version = format!("{DARGAH_VERSION_MAJOR}.{DARGAH_VERSION_MINOR}.{DARGAH_VERSION_PATCH}");
        assert_eq!(unsafe { CStr::from_ptr(dargah_version()) }.to_str().unwrap(), version);
        assert_eq!(version, dargah_core::VERSION);
    }
}
