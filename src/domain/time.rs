use chrono::{DateTime, NaiveDate, SubsecRound, Utc};

/// Now, truncated to microseconds: PostgreSQL keeps microseconds, so a
/// value read back compares equal to the value written (ETags, cursors).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Truncates to microseconds, the precision both databases keep.
pub fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// Parses a filter bound given as an RFC 3339 timestamp or a date
/// (`YYYY-MM-DD`, meaning midnight UTC).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc).trunc_subsecs(6));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
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
    }
}
