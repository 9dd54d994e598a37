//! Secrets kept in the store, encrypted at rest: Vandar's rotating business
//! API tokens (the `tokens` table's `access_token` and `refresh_token`).
//!
//! - AES-256-GCM (`ring::aead`, the same ring rustls already brings in), a
//!   fresh random 96-bit nonce for every value written, and the token row's
//!   `name` (e.g. `vandar:shop`) as associated data, so a value copied into
//!   another row does not decrypt.
//! - The key comes from the configuration's `token_encryption_key` (a
//!   [`Secret`] of at least 32 characters, or a list of them), through
//!   HKDF-SHA256. It is its own setting rather than derived from
//!   `card_fingerprint_key`: losing or changing a token key loses the stored
//!   tokens (new ones must be issued in Vandar's dashboard), while changing
//!   the fingerprint key only stops old fingerprints matching new ones, so a
//!   shop must be able to rotate one without the other; and a shop that
//!   keeps no fingerprints still needs it.
//! - Rotation: with a list, the first key encrypts and every key decrypts. A
//!   value that only an older key opens is stored again under the first one
//!   the next time it is read, so a shop puts the new key first, keeps the old
//!   one after it until every pair has been used once, then drops it.
//! - A stored value is `dg1:` followed by base64url(nonce ‖ ciphertext ‖
//!   tag). The prefix names the format, so it can change later: a value with
//!   another `dg<N>:` prefix is refused as written by a newer version. A
//!   value with no prefix at all is read only from a row that schema
//!   migration 7 marked as stored in clear by a version before this one
//!   (`TokenPair::legacy_clear`), and is rewritten encrypted by its caller;
//!   in any other row it is refused (it was altered, not left by an upgrade).
//! - A value that does not decrypt (another key, or an altered row) is a
//!   `config` error that names the setting, never a value.

use crate::secret::Secret;
use crate::error::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};

/// The configuration setting the key comes from.
pub const KEY_SETTING: &str = "token_encryption_key";
/// The shortest `token_encryption_key` accepted (characters).
pub const MIN_KEY_CHARS: usize = 32;
/// The prefix of a value written in the current format.
pub const PREFIX: &str = "dg1:";

const HKDF_SALT: &[u8] = b"dargah token_encryption_key";
const HKDF_INFO: &[u8] = b"dargah dg1 AES-256-GCM store tokens";

/// `token_encryption_key`: one key, or a list of keys (in the
/// configuration, a string or a list of strings). The first encrypts; every
/// one decrypts. Debug shows only how many there are.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenKeys(Vec<Secret>);

impl TokenKeys {
    /// The keys, the one that encrypts first.
    pub fn new(keys: Vec<Secret>) -> TokenKeys {
        TokenKeys(keys)
    }
    pub fn keys(&self) -> &[Secret] {
        &self.0
    }
}

impl From<Secret> for TokenKeys {
    fn from(key: Secret) -> TokenKeys {
        TokenKeys(vec![key])
    }
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKeys({} x ***)", self.0.len())
    }
}

impl<'de> serde::Deserialize<'de> for TokenKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<TokenKeys, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(Secret),
            Many(Vec<Secret>),
        }
        // Never echo what failed to parse: it is a key.
        let keys = match OneOrMany::deserialize(deserializer).map_err(|_| serde::de::Error::custom(format!("{KEY_SETTING} must be a string or a list of strings")))? {
            OneOrMany::One(key) => vec![key],
            OneOrMany::Many(keys) => keys,
        };
        Ok(TokenKeys(keys))
    }
}

/// Encrypts and decrypts the secrets a store keeps, with the shop's keys.
pub struct TokenCipher {
    /// The first encrypts; each is tried in turn to decrypt.
    keys: Vec<LessSafeKey>,
    rng: SystemRandom,
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCipher(***)")
    }
}

/// A stored value, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// It was encrypted under the first key; here is the value.
    Encrypted(Secret),
    /// It was encrypted under a later key of the list (an older one): rewrite it under the first.
    OlderKey(Secret),
    /// It was stored in clear by an older version: rewrite it encrypted.
    Clear(Secret),
}

impl Opened {
    pub fn secret(&self) -> &Secret {
        match self {
            Opened::Encrypted(s) | Opened::OlderKey(s) | Opened::Clear(s) => s,
        }
    }
    pub fn into_secret(self) -> Secret {
        match self {
            Opened::Encrypted(s) | Opened::OlderKey(s) | Opened::Clear(s) => s,
        }
    }
    pub fn was_clear(&self) -> bool {
        matches!(self, Opened::Clear(_))
    }
    /// Not as the first key would store it: store it again.
    pub fn needs_rewrite(&self) -> bool {
        !matches!(self, Opened::Encrypted(_))
    }
}

/// Whether the configured keys are usable (checked when the configuration loads).
pub fn check_keys(keys: &TokenKeys) -> Result<()> {
    if keys.0.is_empty() {
        return Err(Error::config(format!("{KEY_SETTING} is an empty list: give at least one key (the first encrypts)")));
    }
    for (index, key) in keys.0.iter().enumerate() {
        if key.expose().chars().count() < MIN_KEY_CHARS {
            let which = if keys.0.len() == 1 { String::new() } else { format!(" (key {} of the list)", index + 1) };
            return Err(Error::config(format!("{KEY_SETTING} must be at least {MIN_KEY_CHARS} characters{which} (for example the output of `openssl rand -base64 32`)")));
        }
    }
    Ok(())
}

impl TokenCipher {
    /// The cipher for `token_encryption_key`.
    pub fn new(keys: &TokenKeys) -> Result<TokenCipher> {
        check_keys(keys)?;
        let keys = keys
            .0
            .iter()
            .map(|key| {
                let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, HKDF_SALT).extract(key.expose().as_bytes());
                let okm = prk.expand(&[HKDF_INFO], &AES_256_GCM).map_err(|_| Error::internal("HKDF refused the AES-256-GCM key length"))?;
                Ok(LessSafeKey::new(UnboundKey::from(okm)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TokenCipher { keys, rng: SystemRandom::new() })
    }

    /// `value` encrypted for the row `name`, with a fresh nonce: `dg1:…`.
    pub fn seal(&self, name: &str, value: &Secret) -> Result<Secret> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| Error::internal("the system random number generator failed"))?;
        let mut sealed = value.expose().as_bytes().to_vec();
        self.keys[0]
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(name.as_bytes()), &mut sealed)
            .map_err(|_| Error::internal("AES-256-GCM refused to encrypt a token"))?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        Ok(Secret::new(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(stored))))
    }

    /// A value stored for the row `name`: decrypted, or found in clear in a
    /// row an older version wrote in clear (`legacy_clear`). Anything that
    /// does not decrypt, or is in clear elsewhere, is an error naming
    /// `token_encryption_key`.
    pub fn open(&self, name: &str, stored: &Secret, legacy_clear: bool) -> Result<Opened> {
        let text = stored.expose();
        let Some(body) = text.strip_prefix(PREFIX) else {
            if let Some(version) = newer_format(text) {
                return Err(Error::store(format!(
                    "the stored token of {name} is in format {version}, written by a newer version of Dargah; upgrade this one"
                )));
            }
            if !legacy_clear {
                return Err(Error::config(format!(
                    "the stored token of {name} is not encrypted, and only a pair stored before tokens were encrypted may be (the row was altered): \
                     delete that row of the tokens table and configure tokens newly issued in Vandar's dashboard ({KEY_SETTING} encrypts them)"
                )));
            }
            return Ok(Opened::Clear(stored.clone()));
        };
        let undecryptable = || {
            Error::config(format!(
                "the stored token of {name} cannot be decrypted with {KEY_SETTING} (it was stored with another key, or the row was altered): \
                 add the key it was stored with to {KEY_SETTING} (a list: the first encrypts, every one decrypts), or delete that row of the tokens table and configure tokens newly issued in Vandar's dashboard"
            ))
        };
        let mut bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| undecryptable())?;
        if bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(undecryptable());
        }
        let sealed = bytes.split_off(NONCE_LEN);
        for (index, key) in self.keys.iter().enumerate() {
            let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| undecryptable())?;
            let mut ciphertext = sealed.clone();
            let Ok(plain) = key.open_in_place(nonce, Aad::from(name.as_bytes()), &mut ciphertext) else { continue };
            let value = Secret::new(std::str::from_utf8(plain).map_err(|_| undecryptable())?);
            return Ok(if index == 0 { Opened::Encrypted(value) } else { Opened::OlderKey(value) });
        }
        Err(undecryptable())
    }
}

/// `dg<N>` when `text` starts with another format's prefix than ours.
fn newer_format(text: &str) -> Option<&str> {
    let (head, _) = text.split_once(':')?;
    let digits = head.strip_prefix("dg")?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && head != &PREFIX[..PREFIX.len() - 1]).then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const KEY: &str = "0123456789abcdef0123456789abcdef-test";

    fn cipher(key: &str) -> TokenCipher {
        TokenCipher::new(&Secret::new(key).into()).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_row() {
        let c = cipher(KEY);
        let token = Secret::new("eyJ0eXAiOiJKV1QiLCJhbGciOi-ACCESS");
        let a = c.seal("vandar:shop", &token).unwrap();
        let b = c.seal("vandar:shop", &token).unwrap();
        assert!(a.expose().starts_with(PREFIX), "versioned");
        assert_ne!(a, b, "a fresh nonce for every write");
        assert!(!a.expose().contains("ACCESS"));
        assert_eq!(c.open("vandar:shop", &a, false).unwrap(), Opened::Encrypted(token.clone()));
        // Another row's name (associated data), another key, an altered value: a named error, no value in it.
        for e in [
            c.open("vandar:other", &a, false).unwrap_err(),
            cipher("another key, also long enough to be accepted").open("vandar:shop", &a, false).unwrap_err(),
            c.open("vandar:shop", &Secret::new(format!("{}A", a.expose())), false).unwrap_err(),
            c.open("vandar:shop", &Secret::new("dg1:"), false).unwrap_err(),
            c.open("vandar:shop", &Secret::new("dg1:!!not base64!!"), false).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::Config);
            assert!(e.message().contains(KEY_SETTING), "{}", e.message());
            assert!(!e.message().contains("ACCESS") && !e.message().contains(a.expose()), "{}", e.message());
        }
    }

    #[test]
    fn clear_values_of_an_older_version_are_recognised_and_newer_formats_refused() {
        let c = cipher(KEY);
        let old = Secret::new("def50200abcdef");
        assert_eq!(c.open("vandar:shop", &old, true).unwrap(), Opened::Clear(old.clone()));
        assert!(c.open("vandar:shop", &old, true).unwrap().was_clear());
        let e = c.open("vandar:shop", &Secret::new("dg2:AAAA"), true).unwrap_err();
        assert!(e.message().contains("newer version"), "{}", e.message());
    }

    /// Issue 24 item 6: a value without the `dg1:` prefix is no longer taken
    /// as a legacy clear token in any row; only in one migration 7 marked.
    #[test]
    fn a_clear_token_in_a_row_not_marked_legacy_is_refused() {
        let e = cipher(KEY).open("vandar:shop", &Secret::new("attacker-written-CLEAR-token"), false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("not encrypted") && !e.message().contains("CLEAR"), "{}", e.message());
    }

    /// Issue 24 item 6: `token_encryption_key` is a list; the first key
    /// encrypts, every key decrypts, and a value only an older key opens is
    /// reported for rewriting.
    #[test]
    fn rotating_token_encryption_key_reads_old_values_and_writes_with_the_first_key() {
        const NEW: &str = "a new key, rotated in, long enough 2026";
        let old = cipher(KEY);
        let sealed_before = old.seal("vandar:shop", &Secret::new("ACCESS-1")).unwrap();
        let rotated = TokenCipher::new(&TokenKeys::new(vec![Secret::new(NEW), Secret::new(KEY)])).unwrap();
        assert_eq!(rotated.open("vandar:shop", &sealed_before, false).unwrap(), Opened::OlderKey(Secret::new("ACCESS-1")));
        assert!(rotated.open("vandar:shop", &sealed_before, false).unwrap().needs_rewrite());
        let sealed_after = rotated.seal("vandar:shop", &Secret::new("ACCESS-1")).unwrap();
        assert_eq!(rotated.open("vandar:shop", &sealed_after, false).unwrap(), Opened::Encrypted(Secret::new("ACCESS-1")));
        assert!(!rotated.open("vandar:shop", &sealed_after, false).unwrap().needs_rewrite());
        assert_eq!(cipher(NEW).open("vandar:shop", &sealed_after, false).unwrap(), Opened::Encrypted(Secret::new("ACCESS-1")), "written with the first key");
        assert_eq!(old.open("vandar:shop", &sealed_after, false).unwrap_err().kind(), ErrorKind::Config, "the old key alone no longer reads it");
        // In the configuration: a string or a list, each key checked, none shown.
        let from = |v: serde_json::Value| serde_json::from_value::<TokenKeys>(v);
        assert_eq!(from(serde_json::json!(KEY)).unwrap(), TokenKeys::from(Secret::new(KEY)));
        assert_eq!(from(serde_json::json!([NEW, KEY])).unwrap().keys().len(), 2);
        let e = from(serde_json::json!(7)).unwrap_err().to_string();
        assert!(e.contains(KEY_SETTING) && !e.contains('7'), "{e}");
        let e = check_keys(&TokenKeys::new(vec![Secret::new(NEW), Secret::new("short-SECRET")])).unwrap_err();
        assert!(e.message().contains("key 2 of the list") && !e.message().contains("SECRET"), "{}", e.message());
        assert!(check_keys(&TokenKeys::new(vec![])).is_err());
        assert_eq!(format!("{:?}", TokenKeys::new(vec![Secret::new(NEW), Secret::new(KEY)])), "TokenKeys(2 x ***)");
    }

    #[test]
    fn a_short_key_is_refused_without_showing_it() {
        let e = TokenCipher::new(&Secret::new("short-SECRET").into()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains(KEY_SETTING) && !e.message().contains("SECRET"), "{}", e.message());
        assert!(format!("{:?}", cipher(KEY)).contains("***"));
    }
}
