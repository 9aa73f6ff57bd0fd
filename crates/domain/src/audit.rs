//! What the audit log records. Audit events are append-only: the domain
//! offers no way to change one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AuditEventId, ClientId, UserId};

/// What happened to a client record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "client.read"))]
pub enum AuditAction {
    #[serde(rename = "client.created")]
    ClientCreated,
    #[serde(rename = "client.read")]
    ClientRead,
    /// The client appeared in a list or search result.
    #[serde(rename = "client.listed")]
    ClientListed,
    #[serde(rename = "client.updated")]
    ClientUpdated,
    #[serde(rename = "client.status_changed")]
    ClientStatusChanged,
    #[serde(rename = "client.assigned")]
    ClientAssigned,
    /// A record kept about the client (`resource_type` says which) was created.
    #[serde(rename = "record.created")]
    RecordCreated,
    #[serde(rename = "record.read")]
    RecordRead,
    #[serde(rename = "record.updated")]
    RecordUpdated,
    #[serde(rename = "record.deleted")]
    RecordDeleted,
}

impl AuditAction {
    pub const ALL: [AuditAction; 10] = [
        AuditAction::ClientCreated,
        AuditAction::ClientRead,
        AuditAction::ClientListed,
        AuditAction::ClientUpdated,
        AuditAction::ClientStatusChanged,
        AuditAction::ClientAssigned,
        AuditAction::RecordCreated,
        AuditAction::RecordRead,
        AuditAction::RecordUpdated,
        AuditAction::RecordDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::ClientCreated => "client.created",
            AuditAction::ClientRead => "client.read",
            AuditAction::ClientListed => "client.listed",
            AuditAction::ClientUpdated => "client.updated",
            AuditAction::ClientStatusChanged => "client.status_changed",
            AuditAction::ClientAssigned => "client.assigned",
            AuditAction::RecordCreated => "record.created",
            AuditAction::RecordRead => "record.read",
            AuditAction::RecordUpdated => "record.updated",
            AuditAction::RecordDeleted => "record.deleted",
        }
    }

    /// Whether the action only looked: reads and lists, which change nothing.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            AuditAction::ClientRead | AuditAction::ClientListed | AuditAction::RecordRead
        )
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == raw)
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "01936b2e-8c00-7d11-9e22-2f3a4b5c6d7e", "occurred_at": "2026-11-26T09:30:00.123456Z",
    "actor_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "action": "client.read",
    "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "client_ids": ["01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10"], "resource_type": "client",
    "resource_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "request_id": "01936b2e-7a10-7f55-b1a8-9c3d2e1f0a44"
})))]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub occurred_at: DateTime<Utc>,
    /// The staff user who acted.
    pub actor_id: UserId,
    pub action: AuditAction,
    /// The client the event is about; null when it names several (a list
    /// page, `client.listed`: see `client_ids`).
    pub client_id: Option<ClientId>,
    /// Every client the event is about: the one client, or each client a
    /// list page showed, in the order shown.
    pub client_ids: Vec<ClientId>,
    /// The kind of record touched, such as `client` (`client_list` for a list page).
    pub resource_type: String,
    pub resource_id: String,
    /// The `X-Request-Id` of the request that caused it.
    pub request_id: String,
}

impl AuditEvent {
    /// An event about a client record itself.
    pub fn for_client(
        actor_id: UserId,
        action: AuditAction,
        client_id: ClientId,
        request_id: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self::for_record(
            actor_id,
            action,
            client_id,
            ("client", client_id.to_string()),
            request_id,
            now,
        )
    }

    /// An event about a record kept about a client: a care-team member, an
    /// assessment, a plan.
    pub fn for_record(
        actor_id: UserId,
        action: AuditAction,
        client_id: ClientId,
        resource: (&str, String),
        request_id: &str,
        now: DateTime<Utc>,
    ) -> Self {
        AuditEvent {
            id: AuditEventId::generate(),
            occurred_at: now,
            actor_id,
            action,
            client_id: Some(client_id),
            client_ids: vec![client_id],
            resource_type: resource.0.to_owned(),
            resource_id: resource.1,
            request_id: request_id.to_owned(),
        }
    }

    /// One event for a page of clients shown in a list or search, naming
    /// each of them; `None` for an empty page, which showed no one.
    pub fn for_list(
        actor_id: UserId,
        clients: Vec<ClientId>,
        request_id: &str,
        now: DateTime<Utc>,
    ) -> Option<Self> {
        if clients.is_empty() {
            return None;
        }
        Some(AuditEvent {
            id: AuditEventId::generate(),
            occurred_at: now,
            actor_id,
            action: AuditAction::ClientListed,
            client_id: None,
            client_ids: clients,
            resource_type: "client_list".to_owned(),
            resource_id: String::new(),
            request_id: request_id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_page_is_one_event_naming_every_client_shown() {
        let clients = vec![ClientId::generate(), ClientId::generate()];
        let event = AuditEvent::for_list(UserId::generate(), clients.clone(), "r", Utc::now())
            .expect("a page with clients is audited");
        assert_eq!(event.action, AuditAction::ClientListed);
        assert_eq!(event.client_id, None);
        assert_eq!(event.client_ids, clients);
        assert!(AuditEvent::for_list(UserId::generate(), vec![], "r", Utc::now()).is_none());
    }

    #[test]
    fn action_names_round_trip() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
    }
}
