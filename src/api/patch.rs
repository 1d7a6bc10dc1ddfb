//! JSON merge patch (RFC 7396) support: telling "absent" (leave alone)
//! from `null` (clear) for optional fields.

use serde::{Deserialize, Deserializer};

/// Use with `#[serde(default, deserialize_with = "double_option")]` on an
/// `Option<Option<T>>`: absent is `None`, `null` is `Some(None)`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Use with `#[serde(default, deserialize_with = "required")]` on an
/// `Option<T>` whose field may be changed but not cleared: absent is
/// `None`, a value is `Some`, and `null` is a validation error naming the
/// field (rather than being mistaken for "leave alone").
pub fn required<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom("invalid value: null, this field cannot be cleared")),
    }
}
