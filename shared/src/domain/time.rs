//! Timestamps, dates and months as requests carry them: one parser for each, used
//! by every route. Whatever they accept is written back as the contract says (RFC
//! 3339 UTC, `YYYY-MM-DD`, `YYYY-MM`), so only years 0001 to 9999 — in UTC, after
//! the offset is applied — are taken: `9999-12-31T23:59:59-14:00` is refused, since
//! in UTC it is in year 10000, which RFC 3339 cannot write.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::error::{AppError, Result};

pub const MIN_YEAR: i32 = 1;
pub const MAX_YEAR: i32 = 9999;
/// Longer than any RFC 3339 timestamp with nanoseconds.
const MAX_TIMESTAMP_LEN: usize = 40;

/// Whether `at` can be written back as an RFC 3339 UTC timestamp.
pub fn writable(at: &DateTime<Utc>) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&at.year())
}

/// `at`, if it can be written back; else 400 naming `field` (e.g. a computed end
/// that falls after 9999).
pub fn checked(field: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if writable(&at) {
        Ok(at)
    } else {
        Err(AppError::invalid(format!("{field} must fall in the years {MIN_YEAR:04} to {MAX_YEAR}, in UTC")))
    }
}

/// An instant: an RFC 3339 timestamp with any offset, or a date `YYYY-MM-DD` meaning
/// its first instant in UTC.
pub fn parse_instant(field: &str, raw: &str) -> Result<DateTime<Utc>> {
    instant(field, raw, false)
}

/// The same, but a date means its last instant (an inclusive end, such as `to`).
pub fn parse_instant_end(field: &str, raw: &str) -> Result<DateTime<Utc>> {
    instant(field, raw, true)
}

fn instant(field: &str, raw: &str, end_of_day: bool) -> Result<DateTime<Utc>> {
    let bad = || AppError::invalid(format!("{field} must be an RFC 3339 timestamp or a YYYY-MM-DD date"));
    if raw.len() > MAX_TIMESTAMP_LEN {
        return Err(bad());
    }
    if raw.len() == 10 {
        let date = parse_date(field, raw).map_err(|_| bad())?;
        let time =
            if end_of_day { date.and_hms_milli_opt(23, 59, 59, 999) } else { date.and_hms_opt(0, 0, 0) };
        return time.map(|t| t.and_utc()).ok_or_else(bad);
    }
    let at = DateTime::parse_from_rfc3339(raw).map_err(|_| bad())?.with_timezone(&Utc);
    checked(field, at)
}

/// A date `YYYY-MM-DD`, exactly: four-digit year from 0001, two-digit month and day.
pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate> {
    let bad = || AppError::invalid(format!("{field} must be a date YYYY-MM-DD"));
    let b = raw.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| raw.get(range).and_then(|s| s.parse::<u32>().ok());
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let date = match (year, month, day) {
        (Some(y), Some(m), Some(d)) => i32::try_from(y).ok().and_then(|y| NaiveDate::from_ymd_opt(y, m, d)),
        _ => None,
    };
    date.filter(|d| (MIN_YEAR..=MAX_YEAR).contains(&d.year())).ok_or_else(bad)
}

/// A month `YYYY-MM`, exactly, as its first day.
pub fn parse_month(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    if b.len() != 7 || b[4] != b'-' || !b.iter().enumerate().all(|(i, c)| i == 4 || c.is_ascii_digit()) {
        return None;
    }
    let year: i32 = raw.get(0..4)?.parse().ok()?;
    let month: u32 = raw.get(5..7)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, 1).filter(|d| d.year() >= MIN_YEAR)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn rfc3339(at: &DateTime<Utc>) -> String {
        serde_json::to_value(at).unwrap().as_str().unwrap().to_string()
    }

    /// RFC 3339's `date-time` in UTC, as the contract writes timestamps.
    fn is_rfc3339_utc(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() >= 20
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && s.ends_with('Z')
            && DateTime::parse_from_rfc3339(s).is_ok()
    }

    #[test]
    fn timestamps_and_dates_in_years_0001_to_9999() {
        let at = parse_instant("placed_at", "2026-11-01T09:00:00+02:00").unwrap();
        assert_eq!(rfc3339(&at), "2026-11-01T07:00:00Z");
        assert_eq!(rfc3339(&parse_instant("placed_at", "2026-11-01").unwrap()), "2026-11-01T00:00:00Z");
        assert_eq!(rfc3339(&parse_instant_end("to", "2026-11-01").unwrap()), "2026-11-01T23:59:59.999Z");
        assert!(parse_instant("x", "9999-12-31T23:59:59Z").is_ok());
        assert!(parse_instant("x", "0001-01-01T00:00:00Z").is_ok());
        for bad in [
            "9999-12-31T23:59:59-14:00",
            "0001-01-01T00:00:00+00:01",
            "0000-01-01T00:00:00Z",
            "0000-01-01",
            "+10000-01-01T00:00:00Z",
            "10000-01-01",
            "2026-13-01",
            "2026-02-30",
            "2026-1-01",
            "+026-01-01",
            "2026-01-01T25:00:00Z",
            "2026-01-01T00:00:00",
            "yesterday",
            "",
        ] {
            let error = parse_instant("placed_at", bad).unwrap_err();
            assert_eq!(error.status(), 400, "{bad}");
            assert!(error.public_message().starts_with("placed_at "), "{bad}");
        }
    }

    #[test]
    fn months_are_exactly_yyyy_mm() {
        assert_eq!(parse_month("2026-01"), NaiveDate::from_ymd_opt(2026, 1, 1));
        for bad in ["2026-13", "26-01", "2026-1", "abcd-ef", "2026-00", "+999-01", "0000-01", "2026-+1"] {
            assert!(parse_month(bad).is_none(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn an_accepted_instant_is_written_back_as_rfc3339(raw in "\\PC{0,40}") {
            for parse in [parse_instant, parse_instant_end] {
                if let Ok(at) = parse("at", &raw) {
                    prop_assert!(is_rfc3339_utc(&rfc3339(&at)), "{} -> {}", raw, rfc3339(&at));
                }
            }
        }

        #[test]
        fn near_timestamps_never_overflow_the_years(
            year in 0i32..=10000,
            month in 0u32..=13,
            day in 0u32..=32,
            hour in 0u32..=24,
            offset in -1440i32..=1440,
            fraction in "(\\.[0-9]{1,12})?",
        ) {
            let sign = if offset < 0 { '-' } else { '+' };
            let (oh, om) = (offset.abs() / 60, offset.abs() % 60);
            let raw = format!("{year:04}-{month:02}-{day:02}T{hour:02}:59:59{fraction}{sign}{oh:02}:{om:02}");
            if let Ok(at) = parse_instant("at", &raw) {
                prop_assert!(writable(&at));
                prop_assert!(is_rfc3339_utc(&rfc3339(&at)));
            }
            let date = format!("{year:04}-{month:02}-{day:02}");
            if let Ok(d) = parse_date("date", &date) {
                prop_assert_eq!(d.format("%Y-%m-%d").to_string(), date);
            }
            if let Some(m) = parse_month(&format!("{year:04}-{month:02}")) {
                prop_assert_eq!(m.format("%Y-%m").to_string(), format!("{year:04}-{month:02}"));
            }
        }

        #[test]
        fn arbitrary_dates_and_months_never_panic(raw in "\\PC{0,12}") {
            if let Ok(d) = parse_date("date", &raw) {
                prop_assert_eq!(d.format("%Y-%m-%d").to_string(), raw.clone());
            }
            if let Some(m) = parse_month(&raw) {
                prop_assert_eq!(m.format("%Y-%m").to_string(), raw);
            }
        }
    }
}
