//! Exact money: an integer number of cents. Stored as BIGINT, summed in
//! SQL as integers, and written in JSON as a decimal string with two
//! fraction digits (`"1234.50"`), so no binary float ever touches it.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

/// Why an amount beyond [`Money::MAX_CENTS`] is refused.
pub const TOO_LARGE: &str = "must be at most 10000000000.00 in absolute value";

impl Money {
    pub const ZERO: Money = Money(0);

    /// The largest amount any one money value may hold, in cents:
    /// 10,000,000,000.00. An order's lines and its total are held to it too
    /// (quantity ≤ 1,000,000), so that the sums statistics and rollups make
    /// stay exact in 64 bits: a sum overflows only past 9.2 million values at
    /// the bound (i64::MAX ≈ 9.2 × 10^18 cents), ten thousand times the
    /// revenue of the largest companies' yearly order books.
    pub const MAX_CENTS: i64 = 1_000_000_000_000;

    pub fn cents(self) -> i64 {
        self.0
    }

    /// Parses `"12"`, `"12.5"`, `"12.50"`, `"-3.20"`; more than two
    /// fraction digits, exponents or anything else is refused.
    pub fn parse(text: &str) -> Result<Money, &'static str> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err("must be a decimal amount like 1234.50");
        }
        if fraction.len() > 2 {
            return Err("must have at most 2 decimal places");
        }
        if digits.ends_with('.') {
            return Err("must be a decimal amount like 1234.50");
        }
        let whole: i64 = whole.parse().map_err(|_| TOO_LARGE)?;
        let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| "must be a decimal amount like 1234.50")?;
        let cents = whole.checked_mul(100).and_then(|c| c.checked_add(fraction)).ok_or(TOO_LARGE)?;
        if cents > Self::MAX_CENTS {
            return Err(TOO_LARGE);
        }
        Ok(Money(if negative { -cents } else { cents }))
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct MoneyVisitor;

impl Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal amount with at most 2 decimal places, as a string (\"1234.50\") or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
        Money::parse(v).map_err(|reason| E::custom(format!("invalid value: {v:?} {reason}")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
        self.visit_str(&v.to_string())
    }

    /// A JSON number: its shortest round-trip decimal form is the literal
    /// the client wrote (for up to 15 significant digits), so `19.99` is
    /// exactly 1999 cents and `19.999` is refused.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
        if !v.is_finite() {
            return Err(E::custom("invalid value: not a finite number"));
        }
        self.visit_str(&format!("{v}"))
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        deserializer.deserialize_any(MoneyVisitor)
    }
}

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Number]))
            .pattern(Some(r"^-?\d+(\.\d{1,2})?$"))
            .description(Some(
                "Money: a decimal string with two fraction digits in responses (\"1234.50\"); requests may also send a JSON number with at most 2 decimals. At most 10000000000.00 in absolute value; an order's line values and totals are held to the same bound, so that every sum a statistic makes stays exact.",
            ))
            .examples(["1234.50"])
            .into()
    }
}

impl ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_exactly() {
        assert_eq!(Money::parse("12"), Ok(Money(1200)));
        assert_eq!(Money::parse("12.5"), Ok(Money(1250)));
        assert_eq!(Money::parse("0.07"), Ok(Money(7)));
        assert_eq!(Money::parse("-3.20"), Ok(Money(-320)));
        assert!(Money::parse("1.234").is_err());
        assert!(Money::parse("1e3").is_err());
        assert!(Money::parse("abc").is_err());
        assert!(Money::parse("1.").is_err());
        assert!(Money::parse(".5").is_err());
        assert_eq!(Money::parse("10000000000.00"), Ok(Money(Money::MAX_CENTS)));
        assert_eq!(Money::parse("-10000000000"), Ok(Money(-Money::MAX_CENTS)));
        assert_eq!(Money::parse("10000000000.01"), Err(TOO_LARGE));
        assert_eq!(Money::parse("99999999999999999999"), Err(TOO_LARGE));
        assert_eq!(Money(123450).to_string(), "1234.50");
        assert_eq!(Money(-5).to_string(), "-0.05");
    }

    #[test]
    fn reads_strings_and_numbers() {
        let m: Money = serde_json::from_str("19.99").unwrap_or_default();
        assert_eq!(m, Money(1999));
        let m: Money = serde_json::from_str("\"35253689.23\"").unwrap_or_default();
        assert_eq!(m, Money(3525368923));
        assert!(serde_json::from_str::<Money>("19.999").is_err());
        assert_eq!(serde_json::to_string(&Money(1999)).unwrap_or_default(), "\"19.99\"");
    }
}
