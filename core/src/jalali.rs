//! Jalali (Solar Hijri) and Gregorian dates. Sepal speaks Jalali
//! (`1401/01/10`); shops speak either. The arithmetic is ICU4X's Persian
//! calendar (`icu_calendar`), never ours.

use crate::error::{Error, Result};
use icu_calendar::cal::Persian;
use icu_calendar::{Date, Iso};
use serde::Serialize;

/// A day in both calendars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DualDate {
    /// `2022-03-21`
    pub gregorian: String,
    /// `1401/01/01`
    pub jalali: String,
}

/// A date (and time) as a gateway printed it, in both calendars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DualDateTime {
    /// `2023-01-18 16:56:35`
    pub gregorian: String,
    /// `1401/10/28 16:56:35`
    pub jalali: String,
}

fn numbers(text: &str, separator: char) -> Option<(i32, u8, u8)> {
    let mut parts = text.split(separator);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
        return None;
    }
    Some((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?))
}

pub fn gregorian_to_jalali(year: i32, month: u8, day: u8) -> Result<(i32, u8, u8)> {
    let iso = Date::try_new_iso(year, month, day).map_err(|_| Error::invalid(format!("{year:04}-{month:02}-{day:02} is not a Gregorian date")))?;
    let persian = iso.to_calendar(Persian::new());
    Ok((persian.era_year().year, persian.month().ordinal, persian.day_of_month().0))
}

pub fn jalali_to_gregorian(year: i32, month: u8, day: u8) -> Result<(i32, u8, u8)> {
    let persian = Date::try_new_persian(year, month, day).map_err(|_| Error::invalid(format!("{year:04}/{month:02}/{day:02} is not a Jalali date")))?;
    let iso = persian.to_calendar(Iso);
    Ok((iso.year().extended_year(), iso.month().ordinal, iso.day_of_month().0))
}

/// `2022-03-21` (Gregorian) or `1401/01/01` (Jalali), into both forms.
pub fn parse_date(text: &str) -> Result<DualDate> {
    let text = text.trim();
    let ((gy, gm, gd), (jy, jm, jd)) = if let Some((y, m, d)) = numbers(text, '-') {
        ((y, m, d), gregorian_to_jalali(y, m, d)?)
    } else if let Some((y, m, d)) = numbers(text, '/') {
        (jalali_to_gregorian(y, m, d)?, (y, m, d))
    } else {
        return Err(Error::invalid(format!("{text:?} is neither a Gregorian date (2022-03-21) nor a Jalali one (1401/01/01)")));
    };
    Ok(DualDate { gregorian: format!("{gy:04}-{gm:02}-{gd:02}"), jalali: format!("{jy:04}/{jm:02}/{jd:02}") })
}

/// A gateway's `1401/10/28 16:56:35` (or a Gregorian `2023-01-18 16:56:35`) in both calendars.
pub fn parse_datetime(text: &str) -> Result<DualDateTime> {
    let text = text.trim();
    let (day, time) = text.split_once(' ').unwrap_or((text, ""));
    let date = parse_date(day)?;
    let with_time = |d: &str| if time.is_empty() { d.to_string() } else { format!("{d} {time}") };
    Ok(DualDateTime { gregorian: with_time(&date.gregorian), jalali: with_time(&date.jalali) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(jalali_to_gregorian(1401, 1, 1).unwrap(), (2022, 3, 21));
        assert_eq!(jalali_to_gregorian(1403, 12, 30).unwrap(), (2025, 3, 20), "1403 is a leap year: Esfand has 30 days");
        assert!(jalali_to_gregorian(1402, 12, 30).is_err(), "1402 is not a leap year");
        assert_eq!(jalali_to_gregorian(1399, 12, 30).unwrap(), (2021, 3, 20), "1399 is a leap year");
        assert_eq!(gregorian_to_jalali(2023, 1, 18).unwrap(), (1401, 10, 28));
        assert_eq!(gregorian_to_jalali(2024, 2, 29).unwrap(), (1402, 12, 10));
        assert!(gregorian_to_jalali(2023, 2, 29).is_err());
    }

    #[test]
    fn parsing_either_calendar() {
        assert_eq!(parse_date("1401/01/10").unwrap(), DualDate { gregorian: "2022-03-30".into(), jalali: "1401/01/10".into() });
        assert_eq!(parse_date("2022-03-21").unwrap().jalali, "1401/01/01");
        assert_eq!(parse_date("1401/1/1").unwrap().gregorian, "2022-03-21");
        assert!(parse_date("1401/13/01").is_err());
        assert!(parse_date("21/03/2022").is_err());
        assert!(parse_date("yesterday").unwrap_err().message().contains("neither"));
        let dt = parse_datetime("1401/10/28 16:56:35").unwrap();
        assert_eq!(dt.gregorian, "2023-01-18 16:56:35");
        assert_eq!(dt.jalali, "1401/10/28 16:56:35");
    }
}
