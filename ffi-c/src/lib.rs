//! The C ABI (being built).
