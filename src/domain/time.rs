use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};

/// Now, truncated to microseconds: PostgreSQL keeps microseconds, so a
/// value read back compares equal to the value written (ETags, cursors).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Truncates to microseconds, the precision both databases keep.
pub fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The years a date or a time may lie in, everywhere (bodies, filters,
/// statistics windows): both databases store them, compare them in order
/// (SQLite compares text, so a year past 9999 or before 0 would sort
/// wrongly) and every calendar computation on them stays in range.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// Why a date outside [`YEARS`] is refused.
pub const OUT_OF_RANGE: &str = "must be between 1900-01-01 and 9999-12-31";

/// The year of a text written as a date or a date-time
/// (`[+-]YYYY-MM-DD…`, any number of year digits), if it is one.
pub fn year_of_date_text(text: &str) -> Option<i64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let digits = unsigned.bytes().take_while(u8::is_ascii_digit).count();
    let rest = unsigned.get(digits..)?.as_bytes();
    let shaped = digits >= 4
        && rest.len() >= 6
        && rest[0] == b'-'
        && rest[1..3].iter().all(u8::is_ascii_digit)
        && rest[3] == b'-'
        && rest[4..6].iter().all(u8::is_ascii_digit)
        && (rest.len() == 6 || matches!(rest[6], b'T' | b't' | b' '));
    if !shaped {
        return None;
    }
    let year: i64 = unsigned[..digits].parse().unwrap_or(i64::MAX);
    Some(if text.starts_with('-') { -year } else { year })
}

/// Whether a text written as a date or a date-time names a year outside
/// [`YEARS`].
pub fn is_out_of_range_date(text: &str) -> bool {
    year_of_date_text(text).is_some_and(|year| !(1900..=9999).contains(&year))
}

/// Parses a filter bound given as an RFC 3339 timestamp or a date
/// (`YYYY-MM-DD`, meaning midnight UTC), within [`YEARS`].
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if is_out_of_range_date(text) {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc).trunc_subsecs(6)).filter(|t| YEARS.contains(&t.year()));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

/// A query parameter given as an instant (`parse_instant`), or a 422
/// naming it.
pub fn instant_param(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, crate::error::AppError> {
    value
        .map(|text| {
            if is_out_of_range_date(text) {
                return Err(crate::error::AppError::validation(field, "range", OUT_OF_RANGE));
            }
            parse_instant(text).ok_or_else(|| {
                crate::error::AppError::validation(
                    field,
                    "invalid_value",
                    "must be an RFC 3339 timestamp or a date YYYY-MM-DD, between 1900-01-01 and 9999-12-31",
                )
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_timestamps() {
        assert_eq!(parse_instant("2025-06-01").map(|t| t.to_rfc3339()), Some("2025-06-01T00:00:00+00:00".into()));
        assert_eq!(
            parse_instant("2025-06-01T10:00:00+02:00").map(|t| t.to_rfc3339()),
            Some("2025-06-01T08:00:00+00:00".into())
        );
        assert_eq!(parse_instant("June"), None);
        assert_eq!(parse_instant("2025-02-30"), None);
        for extreme in ["+262140-01-01", "-262143-01-01", "+10000-01-01", "1899-12-31", "0000-01-01T00:00:00Z"] {
            assert_eq!(parse_instant(extreme), None, "{extreme}");
            assert!(is_out_of_range_date(extreme), "{extreme}");
        }
        assert!(parse_instant("1900-01-01").is_some() && parse_instant("9999-12-31T23:59:59Z").is_some());
        for not_a_date in ["Acme 1850", "12345", "1850-1-1", "+86 138 0000 0000", "2025-06"] {
            assert!(!is_out_of_range_date(not_a_date), "{not_a_date}");
        }
    }
}
