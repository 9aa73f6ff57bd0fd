//! The audit log. Only inserts and reads exist here, and the database
//! refuses updates and deletes of audit rows with triggers.
//!
//! An event names the clients it is about in `audit_event_clients` (one
//! row per client, keyed by client and time), so "who saw client X" is an
//! index range whether X was read alone or shown on a list page.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use spoke_domain::audit::{AuditAction, AuditEvent, ResourceType};
use spoke_domain::ids::{ClientId, UserId};

use crate::StoreError;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::{Keyset, Page};
use crate::rows::{corrupt, from_db, from_json, parse_id, to_db, to_json};
use crate::schema::{audit_event_clients, audit_events};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
struct AuditRow {
    id: String,
    occurred_at: chrono::NaiveDateTime,
    actor_id: String,
    action: String,
    client_id: Option<String>,
    client_ids: Option<String>,
    resource_type: String,
    resource_id: String,
    request_id: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_event_clients, treat_none_as_default_value = false)]
struct SubjectRow {
    client_id: String,
    occurred_at: chrono::NaiveDateTime,
    event_id: String,
}

impl From<&AuditEvent> for AuditRow {
    fn from(event: &AuditEvent) -> Self {
        AuditRow {
            id: event.id.to_string(),
            occurred_at: to_db(event.occurred_at),
            actor_id: event.actor_id.to_string(),
            action: event.action.as_str().to_owned(),
            client_id: event.client_id.map(|id| id.to_string()),
            // Only an event about several clients lists them.
            client_ids: event
                .client_id
                .is_none()
                .then(|| to_json(&event.client_ids)),
            resource_type: event.resource_type.as_str().to_owned(),
            resource_id: event.resource_id.clone(),
            request_id: event.request_id.clone(),
        }
    }
}

impl AuditRow {
    fn into_event(self) -> Result<AuditEvent, StoreError> {
        let client_id: Option<ClientId> = self.client_id.as_deref().map(parse_id).transpose()?;
        let client_ids = match (&client_id, self.client_ids.as_deref()) {
            (Some(one), _) => vec![*one],
            (None, Some(many)) => from_json::<Vec<ClientId>>(many)?,
            (None, None) => return Err(corrupt("audit event without a client", &self.id)),
        };
        Ok(AuditEvent {
            id: parse_id(&self.id)?,
            occurred_at: from_db(self.occurred_at),
            actor_id: parse_id(&self.actor_id)?,
            action: AuditAction::parse(&self.action)
                .ok_or_else(|| corrupt("audit action", &self.action))?,
            client_id,
            client_ids,
            resource_type: ResourceType::parse(&self.resource_type)
                .ok_or_else(|| corrupt("audit resource type", &self.resource_type))?,
            resource_id: self.resource_id,
            request_id: self.request_id,
        })
    }
}

/// Appends events. Call it inside the transaction of the change it records.
pub fn record(conn: &mut DbConnection, events: &[AuditEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let subjects: Vec<SubjectRow> = events
        .iter()
        .flat_map(|event| {
            event.client_ids.iter().map(|client| SubjectRow {
                client_id: client.to_string(),
                occurred_at: to_db(event.occurred_at),
                event_id: event.id.to_string(),
            })
        })
        .collect();
    let rows: Vec<AuditRow> = events.iter().map(AuditRow::from).collect();
    match conn {
        // One prepared statement per table, cached and run once per row: a
        // multi-row INSERT is new SQL for every count of rows (prepared each
        // time) and needs a statement journal to undo its first rows should a
        // later one fail. Inside the caller's transaction either way.
        DbConnection::Sqlite(inner) => {
            for row in &rows {
                diesel::insert_into(audit_events::table)
                    .values(row)
                    .execute(inner)?;
            }
            for subject in &subjects {
                diesel::insert_into(audit_event_clients::table)
                    .values(subject)
                    .execute(inner)?;
            }
        }
        // One round trip per table (in chunks under the parameter limit).
        DbConnection::Postgres(inner) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(audit_events::table)
                    .values(chunk)
                    .execute(inner)?;
            }
            for chunk in subjects.chunks(5000) {
                diesel::insert_into(audit_event_clients::table)
                    .values(chunk)
                    .execute(inner)?;
            }
        }
    }
    Ok(())
}

/// Filters for reading the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub client_id: Option<ClientId>,
    pub actor_id: Option<UserId>,
    /// Inclusive lower bound.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub to: Option<DateTime<Utc>>,
}

/// Audit events, newest first, `limit` at a time, starting after `after`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<AuditEvent>, StoreError> {
    let mut query = audit_events::table
        .select(AuditRow::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(client) = filter.client_id {
        // The events naming the client, through its range of the subjects' key.
        query = query.filter(
            audit_events::id.eq_any(
                audit_event_clients::table
                    .filter(audit_event_clients::client_id.eq(client.to_string()))
                    .select(audit_event_clients::event_id),
            ),
        );
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(actor.to_string()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_events::occurred_at.ge(to_db(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_events::occurred_at.lt(to_db(to)));
    }
    if let Some(after) = after {
        let at = to_db(after.at);
        query = query.filter(
            audit_events::occurred_at
                .lt(at)
                .or(audit_events::occurred_at
                    .eq(at)
                    .and(audit_events::id.lt(after.id.clone()))),
        );
    }
    let rows = query
        .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(AuditRow::into_event)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |event| Keyset {
        at: event.occurred_at,
        id: event.id.to_string(),
    }))
}
