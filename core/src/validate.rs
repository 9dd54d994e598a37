//! Checks made before any network call, each saying exactly what is wrong.

use crate::error::{Error, Result};
use url::{Host, Url};

/// True for hosts that never leave this machine.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// https anywhere, plain http only to loopback (the sandbox and tests).
fn https_or_loopback(field: &str, text: &str) -> Result<Url> {
    let url = Url::parse(text).map_err(|e| Error::invalid(format!("{field} is not a valid URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::invalid(format!("{field} must use https (plain http is allowed only to loopback)"))),
        other => Err(Error::invalid(format!("{field} must be an https URL, not {other}:"))),
    }
}

pub fn gateway_base_url(field: &str, text: &str) -> Result<Url> {
    https_or_loopback(field, text).map_err(|e| Error::config(e.message().to_string()))
}

/// Longer callback URLs are refused: browsers and gateways cut them anyway.
pub const MAX_CALLBACK_URL: usize = 2048;

pub fn callback_url(text: &str) -> Result<Url> {
    if text.len() > MAX_CALLBACK_URL {
        return Err(Error::invalid(format!("callback_url is longer than {MAX_CALLBACK_URL} bytes")));
    }
    let url = https_or_loopback("callback_url", text)?;
    if url.fragment().is_some() {
        return Err(Error::invalid("callback_url must not contain a #fragment (gateways append a query)"));
    }
    Ok(url)
}

/// An Iranian mobile number as the gateways expect it: `09` and nine more digits.
pub fn mobile(text: &str) -> Result<()> {
    let ok = text.len() == 11 && text.starts_with("09") && text.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("mobile must be 11 digits starting with 09, e.g. 09123456789"))
    }
}

/// The Iranian national code (کد ملی): ten digits, the last a mod-11 check digit.
pub fn national_code(text: &str) -> Result<()> {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    if text.len() != 10 || digits.len() != 10 {
        return Err(Error::invalid("national_code must be exactly 10 digits"));
    }
    if digits.iter().all(|d| *d == digits[0]) {
        return Err(Error::invalid("national_code is not a valid national code (all digits equal)"));
    }
    let sum: u32 = digits[..9].iter().enumerate().map(|(i, d)| d * (10 - i as u32)).sum();
    let rem = sum % 11;
    let check = if rem < 2 { rem } else { 11 - rem };
    if digits[9] == check {
        Ok(())
    } else {
        Err(Error::invalid("national_code has a wrong check digit"))
    }
}

/// A bank card number: 16 digits.
pub fn card_number(text: &str) -> Result<()> {
    if text.len() == 16 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::invalid("each valid_card_number must be 16 digits"))
    }
}

/// `http.proxy`: an http, https or socks5 URL with a host. The URL may carry
/// credentials, so no part of it is ever quoted back.
pub fn proxy_url(text: &str) -> Result<()> {
    let url = Url::parse(text).map_err(|_| Error::config("http.proxy is not a URL (http://, https:// or socks5://host:port)"))?;
    if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
        return Err(Error::config("http.proxy must be an http://, https://, socks5:// or socks5h:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::config("http.proxy has no host"));
    }
    Ok(())
}

/// Invoice ids travel in URLs, forms and JSON: keep them short and plain.
pub fn invoice_id(text: &str) -> Result<()> {
    if text.is_empty() || text.len() > 64 {
        return Err(Error::invalid("invoice_id must be 1 to 64 characters"));
    }
    if !text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(Error::invalid("invoice_id may contain only ASCII letters, digits, '-' and '_'"));
    }
    Ok(())
}

/// An Iranian IBAN (sheba): `IR` and 24 digits, with a valid ISO 13616 mod-97 check.
pub fn iban(text: &str) -> Result<()> {
    let text = text.trim();
    let digits = text.strip_prefix("IR").or_else(|| text.strip_prefix("ir"));
    let Some(digits) = digits.filter(|d| d.len() == 24 && d.bytes().all(|b| b.is_ascii_digit())) else {
        return Err(Error::invalid("iban must be IR followed by 24 digits"));
    };
    // Move the country code and check digits to the end; I = 18, R = 27.
    let rearranged = format!("{}1827{}", &digits[2..], &digits[..2]);
    let remainder = rearranged.bytes().fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97);
    if remainder == 1 {
        Ok(())
    } else {
        Err(Error::invalid("iban check digits are wrong (mod-97)"))
    }
}

pub fn description(text: &str, max_chars: usize) -> Result<()> {
    let n = text.chars().count();
    if n > max_chars {
        return Err(Error::invalid(format!("description is {n} characters; at most {max_chars} allowed")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_codes() {
        national_code("0499370899").unwrap();
        national_code("0013542419").unwrap();
        assert!(national_code("0499370898").unwrap_err().message().contains("check digit"));
        assert!(national_code("1111111111").is_err());
        assert!(national_code("123").is_err());
        assert!(national_code("04993708a9").is_err());
    }

    #[test]
    fn mobiles_and_urls() {
        mobile("09123456789").unwrap();
        assert!(mobile("9123456789").is_err());
        assert!(mobile("0912345678x").is_err());
        callback_url("https://shop.ir/cb?x=1").unwrap();
        callback_url("http://127.0.0.1:8000/cb").unwrap();
        callback_url("http://localhost/cb").unwrap();
        assert!(callback_url("http://shop.ir/cb").unwrap_err().message().contains("https"));
        assert!(callback_url("ftp://shop.ir/cb").is_err());
        assert!(callback_url("not a url").is_err());
        assert!(callback_url("https://shop.ir/cb#x").is_err());
        assert!(callback_url(&format!("https://shop.ir/{}", "a".repeat(5000))).unwrap_err().message().contains("longer"));
    }

    #[test]
    fn ibans() {
        iban("IR820540102680020817909002").unwrap();
        iban("IR062960000000100324200001").unwrap();
        assert!(iban("IR820540102680020817909003").unwrap_err().message().contains("mod-97"));
        assert!(iban("DE89370400440532013000").is_err());
        assert!(iban("IR8205401026800208179090").is_err());
        assert!(iban("IR82054010268002081790900X").is_err());
    }

    #[test]
    fn descriptions_count_characters_not_bytes() {
        description(&"س".repeat(255), 255).unwrap();
        assert!(description(&"س".repeat(256), 255).is_err());
    }
}
