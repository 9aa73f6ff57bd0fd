//! Stored first responses of creating requests, keyed by user and
//! `Idempotency-Key`, so a retry gets the same answer and creates nothing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use spoke_domain::ids::UserId;

use crate::StoreError;
use crate::conn::DbConnection;
use crate::rows::{from_db, to_db};
use crate::schema::idempotency_keys;

/// The response given the first time a key was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// A digest of the request (method, path and body) the key was first used with.
    pub fingerprint: String,
    pub status_code: u16,
    pub body: String,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys, treat_none_as_default_value = false)]
struct Row {
    user_id: String,
    idempotency_key: String,
    fingerprint: String,
    status_code: i32,
    response_body: String,
    location: Option<String>,
    etag: Option<String>,
    created_at: chrono::NaiveDateTime,
}

pub fn find(
    conn: &mut DbConnection,
    user: UserId,
    key: &str,
) -> Result<Option<StoredResponse>, StoreError> {
    let row: Option<Row> = idempotency_keys::table
        .find((user.to_string(), key))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|row| StoredResponse {
        fingerprint: row.fingerprint,
        status_code: u16::try_from(row.status_code).unwrap_or(500),
        body: row.response_body,
        location: row.location,
        etag: row.etag,
        created_at: from_db(row.created_at),
    }))
}

/// Stores the first response. Call it in the transaction that made the
/// change: a concurrent twin then fails on the primary key and rolls back.
pub fn save(
    conn: &mut DbConnection,
    user: UserId,
    key: &str,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    diesel::insert_into(idempotency_keys::table)
        .values(Row {
            user_id: user.to_string(),
            idempotency_key: key.to_owned(),
            fingerprint: response.fingerprint.clone(),
            status_code: i32::from(response.status_code),
            response_body: response.body.clone(),
            location: response.location.clone(),
            etag: response.etag.clone(),
            created_at: to_db(response.created_at),
        })
        .execute(conn)?;
    Ok(())
}

/// Deletes the responses stored before `before`; how many.
pub fn sweep(conn: &mut DbConnection, before: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        idempotency_keys::table.filter(idempotency_keys::created_at.lt(to_db(before))),
    )
    .execute(conn)?)
}
