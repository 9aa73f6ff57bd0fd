//! The sign-in counters (`domain::throttle`): one row per bucket, shared by
//! every instance on the database.

use chrono::{DateTime, Utc};
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Timestamp};
use spoke_domain::throttle::{Bucket, Count, Limit};

use crate::StoreError;
use crate::conn::DbConnection;
use crate::rows::{from_db, to_db};
use crate::schema::sign_in_buckets as t;

/// Counts one attempt in `bucket` and returns the count with it, starting a
/// new window when the last one is over. Call it in a write transaction:
/// the update locks the row, so concurrent attempts are counted one after
/// another and each sees the count its own attempt made.
pub fn count_attempt(
    conn: &mut DbConnection,
    bucket: &Bucket,
    limit: &Limit,
    now: DateTime<Utc>,
) -> Result<Count, StoreError> {
    let now_db = to_db(now);
    let over = to_db(now - limit.window);
    let insert = diesel::insert_into(t::table)
        .values((
            t::bucket.eq(bucket.as_str()),
            t::window_start.eq(now_db),
            t::attempts.eq(0),
        ))
        .on_conflict_do_nothing();
    // The multi-backend query builder has no upsert; both backends do.
    match conn {
        DbConnection::Sqlite(inner) => insert.execute(inner)?,
        DbConnection::Postgres(inner) => insert.execute(inner)?,
    };
    diesel::update(t::table.find(bucket.as_str()))
        .set((
            t::attempts
                .eq(case_when::<_, _, Integer>(t::window_start.le(over), 1)
                    .otherwise(t::attempts + 1)),
            t::window_start.eq(
                case_when::<_, _, Timestamp>(t::window_start.le(over), now_db)
                    .otherwise(t::window_start),
            ),
        ))
        .execute(conn)?;
    let (window_start, attempts): (chrono::NaiveDateTime, i32) = t::table
        .find(bucket.as_str())
        .select((t::window_start, t::attempts))
        .first(conn)?;
    Ok(Count {
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        window_start: from_db(window_start),
    })
}

/// Empties a bucket (after a successful sign-in).
pub fn forget(conn: &mut DbConnection, bucket: &Bucket) -> Result<(), StoreError> {
    diesel::delete(t::table.find(bucket.as_str())).execute(conn)?;
    Ok(())
}

/// Deletes the buckets whose window began before `before`; how many.
pub fn sweep(conn: &mut DbConnection, before: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(diesel::delete(t::table.filter(t::window_start.lt(to_db(before)))).execute(conn)?)
}
