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
