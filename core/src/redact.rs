//! What Dargah keeps and shows of card data and secrets.
//!
//! Stored (the rules every backend gets, because they are applied before
//! anything reaches a store):
//! - card numbers are masked to their first 6 and last 4 digits
//!   (`603799******3579`), wherever they come from (the shop's
//!   `valid_card_number`, a gateway's `cardNumber`/`maskedPan`/`card`);
//! - national codes keep only their last 3 digits (`*******899`);
//! - an unsalted hash of a card (Vandar's `CID`, a SHA-256 of the full
//!   number: the 10^6 middle digits are tried in a second) is never kept.
//!   With `card_fingerprint_key` set in the configuration it becomes a keyed
//!   fingerprint ([`card_fingerprint`]), so a shop can still match a payer's
//!   card to a known card; without it, it is dropped;
//! - a stored gateway answer keeps what a person needs to resolve a dispute
//!   (amounts, references, trace numbers, dates, status codes and messages)
//!   and nothing else; any 13–19 digit run left in it is masked and any
//!   64-hex-digit run (a SHA-256) removed.
//!
//! - a money move's answer kept for its idempotency key (Mupra's PAYA
//!   transfer, Vandar's settlement and refund) keeps, besides the above,
//!   what replaying it needs — ids, track ids, states, dates, balances —
//!   with IBANs masked to their first and last 4 characters
//!   (`IR82******************9002`) and national codes masked; free text
//!   such as descriptions, the bank's `cif`, tokens and secrets are dropped.
//!
//! Shown: the store URL's password is replaced by `***` ([`url_password`]),
//! and values quoted in parse errors are replaced by `(value hidden)`
//! ([`hide_values`]), because a mistyped value may be a credential. A
//! `PaymentRequest`'s (and its `VandarOptions`') Debug print shows the
//! allowed cards and the national code masked as they are stored.

use crate::secret::Secret;
use crate::model::{PaymentRequest, VandarOptions};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// A card number as `first6******last4`; anything with fewer than 10 digits as `****`.
pub fn mask_card(card: &str) -> String {
    let digits: Vec<char> = card.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 10 {
        return "****".into();
    }
    let head: String = digits[..6].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}******{tail}")
}

/// A national code with only its last 3 digits: `*******899`.
pub fn mask_national_code(code: &str) -> String {
    let digits: Vec<char> = code.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(3)..].iter().collect();
    format!("{}{tail}", "*".repeat(digits.len().saturating_sub(3).max(1)))
}

/// A keyed fingerprint of a card: hex HMAC-SHA256, under the shop's
/// `card_fingerprint_key`, of the upper-case hex SHA-256 of the card number
/// (what Vandar sends as `CID`). The same card gives the same fingerprint
/// whether it came as a number or as Vandar's CID; without the key it cannot
/// be reversed.
pub fn card_fingerprint(key: &str, card_number: &str) -> String {
    let digits: String = card_number.chars().filter(char::is_ascii_digit).collect();
    fingerprint_of_hash(key, &hex::encode_upper(Sha256::digest(digits.as_bytes())))
}

fn fingerprint_of_hash(key: &str, sha256_hex: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(sha256_hex.to_ascii_uppercase().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl std::fmt::Debug for VandarOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VandarOptions")
            .field("national_code", &self.national_code.as_deref().map(mask_national_code))
            .field("valid_card_number", &self.valid_card_number.iter().map(|c| mask_card(c)).collect::<Vec<_>>())
            .field("comment", &self.comment)
            .field("port", &self.port)
            .finish()
    }
}

impl std::fmt::Debug for PaymentRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentRequest")
            .field("invoice_id", &self.invoice_id)
            .field("amount", &self.amount)
            .field("callback_url", &self.callback_url)
            .field("mobile", &self.mobile)
            .field("description", &self.description)
            .field("vandar", &self.vandar)
            .field("account", &self.account)
            .finish()
    }
}

/// Keys of a gateway answer kept for a dispute.
const KEPT: &[&str] = &[
    // envelopes: the parts `raw_join` names and the gateways' own wrappers
    "transaction", "verify", "verify-payment", "body", "data", "result", "errors",
    // status and words
    "status", "code", "message", "error", "errorCode", "errorDescription", "paid", "note", "reason",
    // money
    "amount", "realAmount", "wage", "shaparakWage", "callback_amount", "stored_amount",
    // references and trace numbers
    "transId", "refnumber", "refNumber", "reference", "referenceNumber", "reservationNumber", "trackingCode", "traceNumber", "rrn",
    "factorNumber", "invoice_id", "terminalId",
    // dates
    "paymentDate", "createdAt", "date", "time", "created",
    // what an earlier pass kept
    "card_fingerprint",
];

/// Keys a money move's answer also keeps (see [`Redactor::money_move_answer`]).
const MONEY_MOVES: &[&str] = &[
    "id", "refund_id", "transferId", "transfer_id", "transaction_id", "track_id", "payment_number", "settlement", "settlements",
    "state", "type", "created_at", "updated_at", "settlement_date", "settlement_time", "done_time", "balance", "wallet", "currency", "is_instant",
];

/// Keys whose value is an IBAN: kept, masked.
const IBANS: &[&str] = &["iban", "IBAN", "sheba"];

/// Keys whose value is a national code: kept, masked.
const NATIONAL_CODES: &[&str] = &["national_code", "nationalCode", "national_id", "nid"];

/// An IBAN with only its first 4 and last 4 characters: `IR82******************9002`.
pub fn mask_iban(iban: &str) -> String {
    let chars: Vec<char> = iban.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    if chars.len() < 12 {
        return "****".into();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// Keys whose value is a card number (masked or not): kept, masked again.
const CARDS: &[&str] = &["cardNumber", "card", "maskedPan", "card_number", "payer_card_number", "cardNo"];

/// Keys whose value is an unsalted hash of a card: replaced by a keyed fingerprint, or dropped.
const CARD_HASHES: &[&str] = &["CID", "cid"];

/// Applies the rules above with the shop's configuration.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    card_key: Option<Secret>,
}

impl Redactor {
    pub(crate) fn new(card_key: Option<Secret>) -> Redactor {
        Redactor { card_key }
    }

    /// The payment request as stored: national code and accepted cards
    /// masked, the cards' keyed fingerprints beside them when a key is set.
    pub(crate) fn request_json(&self, request: &PaymentRequest) -> String {
        let mut value = serde_json::to_value(request).unwrap_or(Value::Null);
        if let Some(vandar) = value.get_mut("vandar").and_then(Value::as_object_mut) {
            if let Some(code) = vandar.get("national_code").and_then(Value::as_str).map(mask_national_code) {
                vandar.insert("national_code".into(), Value::String(code));
            }
            let cards: Vec<String> = vandar.get("valid_card_number").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
            vandar.insert("valid_card_number".into(), cards.iter().map(|c| Value::String(mask_card(c))).collect());
            if let Some(key) = &self.card_key {
                vandar.insert("valid_card_fingerprints".into(), cards.iter().map(|c| Value::String(card_fingerprint(key.expose(), c))).collect());
            }
        }
        value.to_string()
    }

    /// Raw gateway answers as stored: only what a dispute needs.
    pub(crate) fn raw_answers(&self, raw: &str) -> String {
        match serde_json::from_str::<Value>(raw) {
            Ok(value) => self.keep_for_dispute(value).to_string(),
            Err(_) => Value::String(scrub_text(&truncate(raw, 512))).to_string(),
        }
    }

    /// A money move's answer as kept for its idempotency key: what a
    /// dispute needs and what replaying it needs, nothing else.
    pub(crate) fn money_move_answer(&self, answer: &Value) -> Value {
        self.keep(answer.clone(), MONEY_MOVES)
    }

    fn keep_for_dispute(&self, value: Value) -> Value {
        self.keep(value, &[])
    }

    /// The rules above, keeping `KEPT` and `also`.
    fn keep(&self, value: Value, also: &[&str]) -> Value {
        match value {
            Value::Object(map) => {
                let mut kept = Map::new();
                for (key, value) in map {
                    if !also.is_empty() && (IBANS.contains(&key.as_str()) || NATIONAL_CODES.contains(&key.as_str())) {
                        let text = match &value {
                            Value::String(s) => s.clone(),
                            Value::Number(n) => n.to_string(),
                            _ => continue,
                        };
                        let masked = if IBANS.contains(&key.as_str()) { mask_iban(&text) } else { mask_national_code(&text) };
                        kept.insert(key, Value::String(masked));
                    } else if CARD_HASHES.contains(&key.as_str()) {
                        if let (Some(secret), Some(hash)) = (&self.card_key, value.as_str()) {
                            kept.insert("card_fingerprint".into(), Value::String(fingerprint_of_hash(secret.expose(), hash)));
                        }
                    } else if CARDS.contains(&key.as_str()) {
                        let masked = match value {
                            Value::String(s) if !s.is_empty() => Value::String(mask_card(&s)),
                            Value::Number(n) => Value::String(mask_card(&n.to_string())),
                            _ => Value::Null,
                        };
                        kept.insert(key, masked);
                    } else if KEPT.contains(&key.as_str()) || also.contains(&key.as_str()) {
                        kept.insert(key, self.keep(value, also));
                    }
                }
                Value::Object(kept)
            }
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.keep(v, also)).collect()),
            Value::String(s) => Value::String(scrub_text(&s)),
            Value::Number(n) => match n.as_u64().filter(|u| *u >= 1_000_000_000_000) {
                Some(long) => Value::String(scrub_text(&long.to_string())),
                None => Value::Number(n),
            },
            other => other,
        }
    }
}

/// Masks every run of 13 to 19 digits (a card number) and removes every run
/// of 64 hex digits (a SHA-256) in free text.
pub fn scrub_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let hex_run = chars[i..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        let digit_run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let starts_word = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if starts_word && hex_run >= 64 {
            out.push_str("[hash removed]");
            i += hex_run;
        } else if starts_word && (13..=19).contains(&digit_run) && hex_run == digit_run {
            out.push_str(&mask_card(&chars[i..i + digit_run].iter().collect::<String>()));
            i += digit_run;
        } else if starts_word && hex_run > 0 {
            chars[i..i + hex_run].iter().for_each(|c| out.push(*c));
            i += hex_run;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A database URL with its password replaced by `***`. Text that does not
/// parse as a URL is shown only by its scheme.
pub fn url_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            // Query options may carry a password too (`?password=…`).
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let secret = k.to_ascii_lowercase().contains("pass") || k.to_ascii_lowercase().contains("key");
                    (k.into_owned(), if secret { "***".into() } else { v.into_owned() })
                })
                .collect();
            if !pairs.is_empty() {
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        // No scheme before a `://`: a file path, or libpq's key-value form (whose values may hold `@` or `://`).
        Err(_) if !url.split_once("://").is_some_and(|(scheme, _)| !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))) => key_value_password(url),
        Err(_) => format!("{}://***", url.split("://").next().unwrap_or("?")),
    }
}

/// libpq's key-value form (`host=db1,db2 password=… dbname=…`), which the
/// store refuses but a configuration may still hold when it is printed: each
/// password's value hidden, quoted (`'a \' b'`) or not (`a\ b`), whatever the
/// key's case; any other text (a file path) as it is.
fn key_value_password(text: &str) -> String {
    const KEY: &str = "password";
    // ASCII lowercasing keeps every byte offset.
    let Some(start) = text.to_ascii_lowercase().find(KEY) else { return text.to_string() };
    let after_key = &text[start + KEY.len()..];
    // `password=x` or `password = x`; "password" elsewhere (a path) is no key.
    let Some(after_equals) = after_key.trim_start().strip_prefix('=') else {
        return format!("{}{}", &text[..start + KEY.len()], key_value_password(after_key));
    };
    let rest = after_equals.trim_start();
    let value_at = text.len() - rest.len();
    // Quoted: up to the closing quote; unquoted: up to whitespace. Both step over backslash escapes.
    let (quoted, skip) = match rest.strip_prefix('\'') {
        Some(inside) => (true, rest.len() - inside.len()),
        None => (false, 0),
    };
    let mut chars = rest[skip..].char_indices();
    let mut end = rest.len();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\'' if quoted => {
                end = skip + i + 1;
                break;
            }
            c if !quoted && c.is_whitespace() => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    format!("{}***{}", &text[..value_at], key_value_password(&rest[end..]))
}

/// serde quotes the value it could not read (`invalid type: string "0912…"`,
/// `` invalid value: integer `12345` ``, `` unknown variant `x` ``): that
/// value may be a credential, so keep the message and its kind (`string`,
/// `integer`, `sequence`) and drop the value.
pub fn hide_values(message: &str) -> String {
    const MARKERS: [&str; 3] = ["invalid type: ", "invalid value: ", "unknown variant "];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some((at, marker)) = MARKERS.iter().filter_map(|m| rest.find(m).map(|at| (at, *m))).min_by_key(|(at, _)| *at) {
        out.push_str(&rest[..at + marker.len()]);
        let after = &rest[at + marker.len()..];
        let end = after.find(", expected").unwrap_or(after.len());
        match after[..end].find(['`', '"']) {
            Some(open) => {
                let kind = after[..open].trim_end();
                out.push_str(kind);
                out.push_str(if kind.is_empty() { "(value hidden)" } else { " (value hidden)" });
                // Skip to the closing quote (a value may itself hold ", expected"); none: drop the rest.
                let quote = after.as_bytes()[open];
                let close = (open + 1..after.len()).find(|&i| after.as_bytes()[i] == quote && after.as_bytes()[i - 1] != b'\\');
                rest = close.map_or("", |c| &after[c + 1..]);
            }
            None => {
                out.push_str(&after[..end]);
                rest = &after[end..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = "6037991234563579";

    #[test]
    fn debug_of_a_payment_request_prints_no_full_allowed_card_or_national_code() {
        let options = VandarOptions { national_code: Some("0012345899".into()), valid_card_number: vec![CARD.into(), "6104-3377-1234-8888".into()], comment: Some("c".into()), port: None };
        let request = PaymentRequest::new("inv-1", 10_000, "https://shop.example/cb").vandar(options.clone());
        for printed in [format!("{request:?}"), format!("{request:#?}"), format!("{options:?}")] {
            for secret in [CARD, "6104337712348888", "6104-3377-1234-8888", "0012345899", "1234563"] {
                assert!(!printed.contains(secret), "{secret} in {printed}");
            }
            assert!(printed.contains("603799******3579") && printed.contains("*******899"), "masked as stored: {printed}");
        }
        assert!(format!("{request:?}").contains("inv-1"), "the rest still prints");
    }

    #[test]
    fn cards_and_codes_are_masked() {
        assert_eq!(mask_card(CARD), "603799******3579");
        assert_eq!(mask_card("6037-99**-****-3579"), "603799******3579");
        assert_eq!(mask_card("12"), "****");
        assert_eq!(mask_national_code("0499370899"), "*******899");
    }

    #[test]
    fn a_stored_answer_keeps_what_a_dispute_needs() {
        let cid = hex::encode_upper(Sha256::digest(CARD.as_bytes()));
        let raw = serde_json::json!({"transaction": {"status": 200, "body": {
            "status": 1, "amount": "10000", "transId": 155, "refnumber": "GmshtyjwKSu", "trackingCode": "23",
            "cardNumber": CARD, "CID": cid, "mobile": "09120000000", "description": "pay 6037991234563579",
            "message": "card 6037991234563579 hash ".to_string() + &cid, "paymentDate": "2026-01-01 10:00:00"}}}).to_string();
        let plain = Redactor::default().raw_answers(&raw);
        assert!(!plain.contains(CARD) && !plain.contains(&cid) && !plain.contains("0912"), "{plain}");
        assert!(plain.contains("603799******3579") && plain.contains("GmshtyjwKSu") && plain.contains("10000") && plain.contains("2026-01-01"), "{plain}");
        let keyed = Redactor::new(Some(Secret::new("shop-key"))).raw_answers(&raw);
        assert!(keyed.contains(&card_fingerprint("shop-key", CARD)), "{keyed}");
        assert!(!keyed.contains(&cid), "{keyed}");
        assert_eq!(Redactor::default().raw_answers("<html>6037991234563579</html>"), "\"<html>603799******3579</html>\"");
    }

    #[test]
    fn a_money_move_answer_keeps_what_a_replay_and_a_dispute_need() {
        let answer = serde_json::json!({"status": 1, "message": "done", "data": {"settlement": {
            "id": "a1b2", "transaction_id": 155, "amount": 50000, "iban": "IR820540102680020817909002", "track_id": "key-1",
            "status": "PENDING", "created_at": "2026-01-01 10:00:00", "description": "for 0079310893 card 6219861900731125",
            "national_code": "0079310893", "cardNumber": "6219861900731125", "access_token": "SECRET-TOKEN", "cif": "SECRET-CIF"}},
            "refund_id": 884422113355_u64, "transferId": "771"});
        let kept = Redactor::default().money_move_answer(&answer);
        let text = kept.to_string();
        for gone in ["0079310893", "6219861900731125", "SECRET", "description", "IR820540102680020817909002"] {
            assert!(!text.contains(gone), "{gone} in {text}");
        }
        let s = &kept["data"]["settlement"];
        assert_eq!((s["id"].as_str(), s["track_id"].as_str(), s["amount"].as_u64(), s["status"].as_str()), (Some("a1b2"), Some("key-1"), Some(50000), Some("PENDING")));
        assert_eq!((s["iban"].as_str(), s["national_code"].as_str(), s["cardNumber"].as_str()), (Some("IR82******************9002"), Some("*******893"), Some("621986******1125")));
        assert_eq!((kept["refund_id"].as_u64(), kept["transferId"].as_str(), kept["message"].as_str()), (Some(884422113355), Some("771"), Some("done")));
    }

    #[test]
    fn urls_lose_their_passwords_and_errors_their_values() {
        assert_eq!(url_password("postgres://shop:s3cr3t@db:5432/d?sslmode=require"), "postgres://shop:***@db:5432/d?sslmode=require");
        assert_eq!(url_password("mysql://u@h/d?password=zz"), "mysql://u@h/d?password=***");
        assert_eq!(url_password("sqlite:///var/x.db"), "sqlite:///var/x.db");
        assert_eq!(url_password("/var/x.db"), "/var/x.db");
        assert_eq!(url_password("postgres://u:p w@[bad"), "postgres://***");
        let several_hosts = url_password("postgres://shop:s3cr3t@db1:5432,db2:5432/d?target_session_attrs=read-write");
        assert!(!several_hosts.contains("s3cr3t"), "{several_hosts}");
        assert_eq!(url_password("host=db1,db2 user=shop password=s3cr3t dbname=d"), "host=db1,db2 user=shop password=*** dbname=d");
        assert_eq!(url_password("host=db password = 's3 \\' cr3t' dbname=d"), "host=db password = *** dbname=d");
        assert_eq!(url_password("/var/password/x.db"), "/var/password/x.db");
        // A value with `@` or `://` in it, an escaped space, the key in capitals: still hidden.
        assert_eq!(url_password("host=x user=shop@x password=S3cr3t dbname=d"), "host=x user=shop@x password=*** dbname=d");
        assert_eq!(url_password("host=x password=ab://cd dbname=d"), "host=x password=*** dbname=d");
        assert_eq!(url_password("host=x password=ab\\ cd dbname=d"), "host=x password=*** dbname=d");
        assert_eq!(url_password("host=x PASSWORD=s3cr3t"), "host=x PASSWORD=***");
        let m = hide_values("invalid type: string \"SECRET\", expected u64 at line 1; invalid value: integer `42`, expected x");
        assert_eq!(m, "invalid type: string (value hidden), expected u64 at line 1; invalid value: integer (value hidden), expected x");
        assert_eq!(hide_values("invalid type: sequence, expected a map"), "invalid type: sequence, expected a map");
        assert_eq!(hide_values("invalid value: string \"a, expected b\", expected c"), "invalid value: string (value hidden), expected c");
        assert_eq!(hide_values("invalid type: string \"a\\\"b\", expected u8"), "invalid type: string (value hidden), expected u8");
        assert_eq!(hide_values("unknown variant `SECRET`, expected one of `a`"), "unknown variant (value hidden), expected one of `a`");
    }
}
