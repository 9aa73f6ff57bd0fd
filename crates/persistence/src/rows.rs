//! Conversions between stored text and domain values.

use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::StoreError;

pub(crate) fn to_db(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

pub(crate) fn from_db(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

pub(crate) fn parse_id<T: FromStr>(raw: &str) -> Result<T, StoreError> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("not an id: {raw:?}")))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serialising plain data structures to a string cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|error| StoreError::Corrupt(error.to_string()))
}

pub(crate) fn corrupt(what: &str, raw: &str) -> StoreError {
    StoreError::Corrupt(format!("invalid {what}: {raw:?}"))
}

/// A stored name of a closed set (`parse` one of the domain's), or the
/// corruption it is.
pub(crate) fn known<T>(
    what: &str,
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(raw).ok_or_else(|| corrupt(what, raw))
}

/// The outcome of an update guarded by `version = expected`: one row
/// changed, or the record moved on since it was read (`Stale`).
pub(crate) fn one_versioned_row(changed: usize) -> Result<(), StoreError> {
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Stale)
    }
}

/// An optional stored text parsed back into its value type; a value that
/// no longer parses is `Corrupt`.
pub(crate) fn stored<T>(
    what: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, spoke_domain::ValueError>,
) -> Result<Option<T>, StoreError> {
    value
        .map(|raw| parse(&raw).map_err(|_| corrupt(what, &raw)))
        .transpose()
}

/// An optional value as stored text.
pub(crate) fn text<T: ToString>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(ToString::to_string)
}
