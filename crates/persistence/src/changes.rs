//! The change feed: appended in the transaction of each change, read by
//! cursor (`seq`) through the reader's client scope.

use diesel::prelude::*;
use spoke_domain::change::Change;
use spoke_domain::policy::ClientScope;

use crate::StoreError;
use crate::clients::within_scope;
use crate::conn::{DbConnection, MultiBackend};
use crate::rows::{from_db, parse_id, to_db};
use crate::schema::{changes, clients};

/// The advisory lock PostgreSQL writers take, until they commit, before
/// they append: rows then commit in `seq` order.
const FEED_LOCK: i64 = 0x5370_6f6b_6546_6565;

/// Appends `all` to the feed. Call it last in a write transaction: on
/// PostgreSQL it holds the feed's lock until the commit.
pub fn append(conn: &mut DbConnection, all: &[Change]) -> Result<(), StoreError> {
    if all.is_empty() {
        return Ok(());
    }
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(FEED_LOCK)
            .execute(pg)?;
    }
    let rows: Vec<_> = all
        .iter()
        .map(|c| {
            (
                changes::at.eq(to_db(c.at)),
                changes::record_type.eq(c.record_type.clone()),
                changes::record_id.eq(c.record_id.clone()),
                changes::client_id.eq(c.client_id.to_string()),
                changes::action.eq(c.action.clone()),
            )
        })
        .collect();
    // One prepared statement, run once per row (as the audit log does):
    // the seq each row takes comes from the database, in order.
    for row in rows {
        diesel::insert_into(changes::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// The changes after `after` to the records of the clients within `scope`,
/// oldest first, with their `seq`; at most `limit`.
pub fn after(
    conn: &mut DbConnection,
    scope: &ClientScope,
    after: i64,
    limit: usize,
) -> Result<Vec<(i64, Change)>, StoreError> {
    let mut query = changes::table
        .inner_join(clients::table.on(changes::client_id.eq(clients::id)))
        .filter(changes::seq.gt(after))
        .select((
            changes::seq,
            changes::at,
            changes::record_type,
            changes::record_id,
            changes::client_id,
            changes::action,
        ))
        .into_boxed::<MultiBackend>();
    query = within_scope!(query, scope);
    let rows: Vec<(i64, chrono::NaiveDateTime, String, String, String, String)> = query
        .order(changes::seq.asc())
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .load(conn)?;
    rows.into_iter()
        .map(|(seq, at, record_type, record_id, client, action)| {
            Ok((
                seq,
                Change {
                    record_type,
                    record_id,
                    client_id: parse_id(&client)?,
                    action,
                    at: from_db(at),
                },
            ))
        })
        .collect()
}

/// The newest `seq`, 0 when the feed is empty: where a new reader starts
/// when it wants only what comes next.
pub fn last_seq(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(changes::table
        .select(diesel::dsl::max(changes::seq))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}
