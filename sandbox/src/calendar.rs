//! Wall-clock times as the gateways print them: Tehran local time, in
//! Gregorian (`2019-02-19 18:19:55`) or Jalali (`1401/10/28 16:56:35`).
//!
//! Jalali conversion uses `icu_calendar`'s `Persian` calendar: it is the
//! Unicode ICU4X project's calendar crate, actively maintained, with no data
//! download needed for the arithmetic calendars. We never do the calendar
//! arithmetic by hand.

use icu_calendar::cal::Persian;
use icu_calendar::{Date, Iso};
use time::macros::{format_description, offset};
use time::{Month, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Iran has kept UTC+03:30 all year since 2022.
pub(crate) const TEHRAN: UtcOffset = offset!(+03:30);

pub(crate) fn tehran_now() -> OffsetDateTime {
    OffsetDateTime::now_utc().to_offset(TEHRAN)
}

/// `2019-02-19 18:19:55`
pub(crate) fn gregorian(dt: OffsetDateTime) -> String {
    let dt = dt.to_offset(TEHRAN);
    dt.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

/// A Gregorian date as (year, month, day) in the Jalali calendar.
pub(crate) fn to_jalali(date: time::Date) -> Option<(i32, u8, u8)> {
    let iso = Date::try_new_iso(date.year(), date.month().into(), date.day()).ok()?;
    let persian = iso.to_calendar(Persian::new());
    Some((
        persian.era_year().year,
        persian.month().ordinal,
        persian.day_of_month().0,
    ))
}

/// A Jalali (year, month, day) as a Gregorian date, or None if no such day.
pub(crate) fn from_jalali(year: i32, month: u8, day: u8) -> Option<time::Date> {
    let iso = Date::try_new_persian(year, month, day)
        .ok()?
        .to_calendar(Iso);
    let month = Month::try_from(iso.month().ordinal).ok()?;
    time::Date::from_calendar_date(iso.year().extended_year(), month, iso.day_of_month().0).ok()
}

/// Parses `1401/01/10` (as Sepal's reports take dates).
pub(crate) fn parse_jalali(s: &str) -> Option<time::Date> {
    let mut parts = s.trim().split('/');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    from_jalali(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `1401/10/28 16:56:35`, for a Tehran local time.
pub(crate) fn jalali_datetime(dt: PrimitiveDateTime) -> String {
    match to_jalali(dt.date()) {
        Some((y, m, d)) => format!(
            "{y:04}/{m:02}/{d:02} {:02}:{:02}:{:02}",
            dt.hour(),
            dt.minute(),
            dt.second()
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn jalali_round_trip() {
        // 1401/10/28 is 2023-01-18 (the date in Sepal's sample answer).
        assert_eq!(to_jalali(date!(2023 - 01 - 18)), Some((1401, 10, 28)));
        assert_eq!(parse_jalali("1401/10/28"), Some(date!(2023 - 01 - 18)));
        assert_eq!(parse_jalali("1401/01/01"), Some(date!(2022 - 03 - 21)));
        assert_eq!(parse_jalali("1401/13/01"), None);
        assert_eq!(parse_jalali("yesterday"), None);
    }
}
