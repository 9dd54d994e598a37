//! A credential that cannot leak through a print: one home below everything
//! that holds one (the configuration, the token cipher, redaction, the stores).

use serde::Deserialize;
use std::fmt;

/// A credential. Prints as `***` so it cannot leak through a log or a Debug print.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value itself, for putting into a request body. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
