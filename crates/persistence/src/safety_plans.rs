//! Safety plans: one row per version, keyed by client and version, so two
//! revisions of the same version cannot both be kept.

use diesel::prelude::*;
use spoke_domain::ids::ClientId;
use spoke_domain::safety_plan::SafetyPlan;

use crate::StoreError;
use crate::conn::DbConnection;
use crate::rows::{from_db, from_json, parse_id, to_db, to_json};
use crate::schema::safety_plans;

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = safety_plans)]
struct Row {
    client_id: String,
    version: i32,
    sections: String,
    written_by: String,
    written_at: chrono::NaiveDateTime,
}

impl Row {
    fn into_domain(self) -> Result<SafetyPlan, StoreError> {
        Ok(SafetyPlan {
            client_id: parse_id(&self.client_id)?,
            version: self.version,
            sections: from_json(&self.sections)?,
            written_by: parse_id(&self.written_by)?,
            written_at: from_db(self.written_at),
        })
    }
}

/// Keeps a new version; one already kept with its number is `Stale` (the
/// plan moved on since it was read).
pub fn insert(conn: &mut DbConnection, plan: &SafetyPlan) -> Result<(), StoreError> {
    diesel::insert_into(safety_plans::table)
        .values(Row {
            client_id: plan.client_id.to_string(),
            version: plan.version,
            sections: to_json(&plan.sections),
            written_by: plan.written_by.to_string(),
            written_at: to_db(plan.written_at),
        })
        .execute(conn)
        .map_err(|error| match StoreError::from(error) {
            StoreError::Conflict(_) => StoreError::Stale,
            other => other,
        })?;
    Ok(())
}

/// Every version of `client`'s plan, the newest first.
pub fn versions(conn: &mut DbConnection, client: ClientId) -> Result<Vec<SafetyPlan>, StoreError> {
    safety_plans::table
        .filter(safety_plans::client_id.eq(client.to_string()))
        .order(safety_plans::version.desc())
        .select(Row::as_select())
        .load::<Row>(conn)?
        .into_iter()
        .map(Row::into_domain)
        .collect()
}

/// The current version of `client`'s plan, if there is one.
pub fn current(
    conn: &mut DbConnection,
    client: ClientId,
) -> Result<Option<SafetyPlan>, StoreError> {
    safety_plans::table
        .filter(safety_plans::client_id.eq(client.to_string()))
        .order(safety_plans::version.desc())
        .select(Row::as_select())
        .first::<Row>(conn)
        .optional()?
        .map(Row::into_domain)
        .transpose()
}
