//! Small helpers for the fields CRM records share.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::ActiveValue::{self, Set};
use sea_orm::Value;
use validator::ValidationError;

use super::validation::error;
use crate::domain::time::now;

/// Trims free text; blank becomes absent, so "filled" has one meaning.
pub fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// An email as stored: trimmed and lower-case (emails compare
/// case-insensitively); blank is absent.
pub fn clean_email(value: Option<String>) -> Option<String> {
    clean(value).map(|email| email.to_lowercase())
}

/// Applies a merge-patch value of an optional text field.
pub fn patch_text(target: &mut ActiveValue<Option<String>>, patch: Option<Option<String>>) {
    if let Some(value) = patch {
        *target = Set(clean(value));
    }
}

/// Applies a merge-patch value of any optional field.
pub fn patch_opt<T: Into<Value>>(target: &mut ActiveValue<Option<T>>, patch: Option<Option<T>>)
where
    Option<T>: Into<Value>,
{
    if let Some(value) = patch {
        *target = Set(value);
    }
}

/// Historic timestamps may be imported, but not from the future (a little
/// clock skew is tolerated).
pub fn not_in_future(value: &DateTime<Utc>) -> Result<(), ValidationError> {
    if *value > Utc::now() + Duration::minutes(5) {
        return Err(error("future", "must not be in the future"));
    }
    Ok(())
}

pub fn plausible_birth_date(value: &NaiveDate) -> Result<(), ValidationError> {
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
    if *value < earliest || *value > Utc::now().date_naive() {
        return Err(error("range", "must be between 1900-01-01 and today"));
    }
    Ok(())
}

pub fn valid_tags(tags: &[String]) -> Result<(), ValidationError> {
    if tags.len() > 50 {
        return Err(error("length", "at most 50 tags"));
    }
    if tags.iter().any(|t| t.trim().is_empty() || t.chars().count() > 50) {
        return Err(error("length", "each tag must be 1 to 50 characters"));
    }
    Ok(())
}

/// Tags trimmed, without duplicates, in the order given.
pub fn clean_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_string();
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// The creation time: given by an importing integration, or now.
pub fn created_at(given: Option<DateTime<Utc>>) -> DateTime<Utc> {
    given.map(crate::domain::time::truncate).unwrap_or_else(now)
}

/// Digits of a phone number as people write it ("+86 (10) 1234-5678"),
/// for matching; `None` with fewer than 7 digits.
pub fn phone_digits(phone: Option<&str>) -> Option<String> {
    let digits: String = phone?.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 7).then_some(digits)
}

pub fn non_negative(value: &crate::domain::Money) -> Result<(), ValidationError> {
    if value.is_negative() {
        return Err(error("range", "must not be negative"));
    }
    Ok(())
}

/// `from <= column < to` for a pair of optional time filters, each an
/// RFC 3339 timestamp or a date; a bad value is a 422 naming its parameter.
pub fn time_range<C: sea_orm::ColumnTrait>(
    column: C,
    from: (&str, Option<&str>),
    to: (&str, Option<&str>),
    calendar: &crate::calendar::Calendar,
) -> crate::error::AppResult<sea_orm::Condition> {
    let parse = |(field, value): (&str, Option<&str>)| calendar.instant_param(field, value);
    let mut condition = sea_orm::Condition::all();
    if let Some(from) = parse(from)? {
        condition = condition.add(column.gte(from));
    }
    if let Some(to) = parse(to)? {
        condition = condition.add(column.lt(to));
    }
    Ok(condition)
}

/// The schema of a query parameter that takes an instant: a date
/// (`2025-06-01`, local midnight) or an RFC 3339 timestamp.
pub fn instant_schema() -> utoipa::openapi::schema::Schema {
    date_or_instant(
        "A date (midnight in the organization's time zone, `GET /api/v1/settings/organization`) or an RFC 3339 \
         timestamp, between 1900-01-01 and 9999-12-31.",
    )
}

fn date_or_instant(description: &str) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let string =
        |format| ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(format)));
    AnyOfBuilder::new()
        .item(string(KnownFormat::Date))
        .item(string(KnownFormat::DateTime))
        .description(Some(description))
        .build()
        .into()
}
