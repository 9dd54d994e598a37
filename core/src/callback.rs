//! A callback's fields as the browser sent them: the query string and the
//! form body, merged. Everything here comes from the customer's browser, so
//! it is bounded, must be UTF-8, and may not say two things at once.

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// The most a callback may carry; real ones are a few hundred bytes.
pub const MAX_CALLBACK_BYTES: usize = 64 * 1024;
/// The longest single field (AtiPay's referenceNumber is 50 characters).
pub const MAX_FIELD_BYTES: usize = 1024;

/// The callback's fields. Build with [`CallbackFields::from_pairs`] (a
/// framework's already-parsed `$_GET`/`$_POST`, `request.GET`) or
/// [`CallbackFields::from_raw`] (the raw query string and body).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackFields {
    fields: BTreeMap<String, String>,
}

impl CallbackFields {
    /// Query fields and form fields. A key given twice with different values
    /// (`payment_status=OK&payment_status=FAILED`) is refused: which one is
    /// true cannot be known.
    pub fn from_pairs<K1, V1, K2, V2>(query: impl IntoIterator<Item = (K1, V1)>, form: impl IntoIterator<Item = (K2, V2)>) -> Result<Self>
    where
        K1: Into<String>,
        V1: Into<String>,
        K2: Into<String>,
        V2: Into<String>,
    {
        let mut out = CallbackFields::default();
        let mut total = 0usize;
        let query = query.into_iter().map(|(k, v)| (k.into(), v.into()));
        let form = form.into_iter().map(|(k, v)| (k.into(), v.into()));
        for (k, v) in query.chain(form) {
            let (k, v): (String, String) = (k, v);
            total += k.len() + v.len();
            if total > MAX_CALLBACK_BYTES {
                return Err(Error::callback(format!("callback is larger than {MAX_CALLBACK_BYTES} bytes")));
            }
            if v.len() > MAX_FIELD_BYTES || k.len() > MAX_FIELD_BYTES {
                return Err(Error::callback(format!("callback field {:?} is longer than {MAX_FIELD_BYTES} bytes", truncate(&k))));
            }
            match out.fields.get(&k) {
                Some(existing) if *existing != v => {
                    return Err(Error::callback(format!("callback field {:?} is given twice with different values", truncate(&k))));
                }
                _ => {
                    out.fields.insert(k, v);
                }
            }
        }
        Ok(out)
    }

    /// The raw query string (without `?`) and the raw
    /// `application/x-www-form-urlencoded` body, as the web server received them.
    pub fn from_raw(query: &[u8], body: &[u8]) -> Result<Self> {
        if query.len() + body.len() > MAX_CALLBACK_BYTES {
            return Err(Error::callback(format!("callback is larger than {MAX_CALLBACK_BYTES} bytes")));
        }
        let decode = |raw: &[u8]| -> Result<Vec<(String, String)>> {
            url::form_urlencoded::parse(raw)
                .map(|(k, v)| {
                    // form_urlencoded replaces bad UTF-8 with U+FFFD; a real gateway never sends it.
                    if k.contains('\u{FFFD}') || v.contains('\u{FFFD}') {
                        Err(Error::callback("callback contains invalid UTF-8"))
                    } else {
                        Ok((k.into_owned(), v.into_owned()))
                    }
                })
                .collect()
        };
        let query = query.strip_prefix(b"?").unwrap_or(query);
        Self::from_pairs(decode(query)?, decode(body)?)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// Every field, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The fields as one urlencoded string (for logs of non-secret callbacks, or a child process).
    pub fn to_urlencoded(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(self.iter()).finish()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// A field that must be there.
    pub(crate) fn require(&self, key: &str) -> Result<&str> {
        self.get(key).ok_or_else(|| Error::callback(format!("callback field {key} is missing")))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicting_duplicates_are_refused() {
        let e = CallbackFields::from_raw(b"token=a&payment_status=OK&payment_status=FAILED", b"").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidCallback);
        assert!(e.message().contains("payment_status"));
        // The same value twice (query and form both) is harmless.
        let f = CallbackFields::from_raw(b"token=a", b"token=a&x=1").unwrap();
        assert_eq!(f.get("token"), Some("a"));
    }

    #[test]
    fn invalid_utf8_and_huge_fields_are_refused() {
        let e = CallbackFields::from_raw(b"token=%ff%fe", b"").unwrap_err();
        assert!(e.message().contains("UTF-8"));
        let big = format!("token={}", "a".repeat(1 << 20));
        let e = CallbackFields::from_raw(big.as_bytes(), b"").unwrap_err();
        assert!(e.message().contains("larger"));
        let e = CallbackFields::from_pairs([("token", "a".repeat(2000))], Vec::<(String, String)>::new()).unwrap_err();
        assert!(e.message().contains("longer"));
    }

    #[test]
    fn decodes_query_and_form() {
        let f = CallbackFields::from_raw(b"?dargah_ref=p1", b"success=1&token=T%2B1&amount=1000").unwrap();
        assert_eq!(f.get("dargah_ref"), Some("p1"));
        assert_eq!(f.get("token"), Some("T+1"));
        assert_eq!(f.len(), 4);
    }
}
