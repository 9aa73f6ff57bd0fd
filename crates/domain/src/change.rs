//! The change feed: one ordered line per change to a client record, so a
//! frontend keeps a local copy in step without polling each resource.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::AuditEvent;
use crate::ids::ClientId;

/// A change to a record of a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "record_type": "critical_event", "record_id": "01936b40-1a00-7c11-8d22-3e4f5a6b7c8d",
    "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "action": "record.created",
    "at": "2026-11-26T08:00:00Z"
})))]
pub struct Change {
    /// The kind of record: an audit resource type (`client`, `contact`,
    /// `critical_event`, ...) or `alert`.
    pub record_type: String,
    pub record_id: String,
    pub client_id: ClientId,
    /// What happened: `client.created`, `client.status_changed`,
    /// `record.created`, `record.updated`, `record.deleted`, `alert.opened`,
    /// `alert.resolved`.
    pub action: String,
    pub at: DateTime<Utc>,
}

impl Change {
    /// The change an audit event records, if it records one about one
    /// client (a read or a list is none).
    pub fn of(event: &AuditEvent) -> Option<Change> {
        if event.action.is_read() {
            return None;
        }
        Some(Change {
            record_type: event.resource_type.as_str().to_owned(),
            record_id: event.resource_id.clone(),
            client_id: event.client_id?,
            action: event.action.as_str().to_owned(),
            at: event.occurred_at,
        })
    }
}
