//! Secrets kept in the store, encrypted at rest: Vandar's rotating business
//! API tokens (the `tokens` table's `access_token` and `refresh_token`).
//!
//! - AES-256-GCM (`ring::aead`, the same ring rustls already brings in), a
//!   fresh random 96-bit nonce for every value written, and the token row's
//!   `name` (e.g. `vandar:shop`) as associated data, so a value copied into
//!   another row does not decrypt.
//! - The key comes from the configuration's `token_encryption_key` (a
//!   [`Secret`], at least 32 characters), through HKDF-SHA256. It is its own
//!   setting rather than derived from `card_fingerprint_key`: losing or
//!   changing a token key loses the stored tokens (new ones must be issued in
//!   Vandar's dashboard), while changing the fingerprint key only stops old
//!   fingerprints matching new ones, so a shop must be able to rotate one
//!   without the other; and a shop that keeps no fingerprints still needs it.
//! - A stored value is `dg1:` followed by base64url(nonce ‖ ciphertext ‖
//!   tag). The prefix names the format, so it can change later: a value with
//!   another `dg<N>:` prefix is refused as written by a newer version; a
//!   value with no prefix at all was written in clear by a version before
//!   this one, and is read once and rewritten encrypted by its caller.
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

/// Encrypts and decrypts the secrets a store keeps, with the shop's key.
pub struct TokenCipher {
    key: LessSafeKey,
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
    /// It was encrypted; here is the value.
    Encrypted(Secret),
    /// It was stored in clear by an older version: rewrite it encrypted.
    Clear(Secret),
}

impl Opened {
    pub fn secret(&self) -> &Secret {
        match self {
            Opened::Encrypted(s) | Opened::Clear(s) => s,
        }
    }
    pub fn into_secret(self) -> Secret {
        match self {
            Opened::Encrypted(s) | Opened::Clear(s) => s,
        }
    }
    pub fn was_clear(&self) -> bool {
        matches!(self, Opened::Clear(_))
    }
}

/// Whether the configured key is usable (checked when the configuration loads).
pub fn check_key(key: &Secret) -> Result<()> {
    if key.expose().chars().count() < MIN_KEY_CHARS {
        return Err(Error::config(format!("{KEY_SETTING} must be at least {MIN_KEY_CHARS} characters (for example the output of `openssl rand -base64 32`)")));
    }
    Ok(())
}

impl TokenCipher {
    /// The cipher for `token_encryption_key`.
    pub fn new(key: &Secret) -> Result<TokenCipher> {
        check_key(key)?;
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, HKDF_SALT).extract(key.expose().as_bytes());
        let okm = prk.expand(&[HKDF_INFO], &AES_256_GCM).map_err(|_| Error::internal("HKDF refused the AES-256-GCM key length"))?;
        Ok(TokenCipher { key: LessSafeKey::new(UnboundKey::from(okm)), rng: SystemRandom::new() })
    }

    /// `value` encrypted for the row `name`, with a fresh nonce: `dg1:…`.
    pub fn seal(&self, name: &str, value: &Secret) -> Result<Secret> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| Error::internal("the system random number generator failed"))?;
        let mut sealed = value.expose().as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(name.as_bytes()), &mut sealed)
            .map_err(|_| Error::internal("AES-256-GCM refused to encrypt a token"))?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        Ok(Secret::new(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(stored))))
    }

    /// A value stored for the row `name`: decrypted, or found in clear (an
    /// older version wrote it). Anything that does not decrypt is an error
    /// naming `token_encryption_key`.
    pub fn open(&self, name: &str, stored: &Secret) -> Result<Opened> {
        let text = stored.expose();
        let Some(body) = text.strip_prefix(PREFIX) else {
            if let Some(version) = newer_format(text) {
                return Err(Error::store(format!(
                    "the stored token of {name} is in format {version}, written by a newer version of Dargah; upgrade this one"
                )));
            }
            return Ok(Opened::Clear(stored.clone()));
        };
        let undecryptable = || {
            Error::config(format!(
                "the stored token of {name} cannot be decrypted with {KEY_SETTING} (it was stored with another key, or the row was altered): \
                 set the {KEY_SETTING} it was stored with, or delete that row of the tokens table and configure tokens newly issued in Vandar's dashboard"
            ))
        };
        let mut bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| undecryptable())?;
        if bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(undecryptable());
        }
        let mut ciphertext = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| undecryptable())?;
        let plain = self.key.open_in_place(nonce, Aad::from(name.as_bytes()), &mut ciphertext).map_err(|_| undecryptable())?;
        let value = std::str::from_utf8(plain).map_err(|_| undecryptable())?;
        Ok(Opened::Encrypted(Secret::new(value)))
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
        TokenCipher::new(&Secret::new(key)).unwrap()
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
        assert_eq!(c.open("vandar:shop", &a).unwrap(), Opened::Encrypted(token.clone()));
        // Another row's name (associated data), another key, an altered value: a named error, no value in it.
        for e in [
            c.open("vandar:other", &a).unwrap_err(),
            cipher("another key, also long enough to be accepted").open("vandar:shop", &a).unwrap_err(),
            c.open("vandar:shop", &Secret::new(format!("{}A", a.expose()))).unwrap_err(),
            c.open("vandar:shop", &Secret::new("dg1:")).unwrap_err(),
            c.open("vandar:shop", &Secret::new("dg1:!!not base64!!")).unwrap_err(),
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
        assert_eq!(c.open("vandar:shop", &old).unwrap(), Opened::Clear(old.clone()));
        assert!(c.open("vandar:shop", &old).unwrap().was_clear());
        let e = c.open("vandar:shop", &Secret::new("dg2:AAAA")).unwrap_err();
        assert!(e.message().contains("newer version"), "{}", e.message());
    }

    #[test]
    fn a_short_key_is_refused_without_showing_it() {
        let e = TokenCipher::new(&Secret::new("short-SECRET")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains(KEY_SETTING) && !e.message().contains("SECRET"), "{}", e.message());
        assert!(format!("{:?}", cipher(KEY)).contains("***"));
    }
}
