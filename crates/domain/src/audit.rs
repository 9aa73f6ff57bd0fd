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

/// The kind of record an audit event touched. Closed: an event names one
/// of these or it is not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "client"))]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    Client,
    /// A page of a client list or search (`client_ids` names who was shown).
    ClientList,
    /// A client's whole care team (`resource_id` is the client).
    CareTeam,
    CareTeamMember,
    /// A client's natural supports (`resource_id` is the client).
    NaturalSupports,
    NaturalSupport,
    /// A client's assessments (`resource_id` is the client).
    Assessments,
    Assessment,
    /// A client's assessment trend (`resource_id` is the client).
    AssessmentTrend,
    /// A client's plans (`resource_id` is the client).
    Plans,
    Plan,
    /// A page of plans across clients (`client_ids` names whose plans were shown).
    PlanList,
    /// A plan's progress notes (`resource_id` is the plan).
    ProgressNotes,
    ProgressNote,
    /// A client's consents (`resource_id` is the client).
    Consents,
    Consent,
    Referral,
    /// A client's disclosure log (`resource_id` is the client).
    Disclosures,
    Contact,
    /// A client's contacts (`resource_id` is the client).
    Contacts,
    /// A page of contacts across clients (`client_ids` names whose contacts were shown).
    ContactList,
    /// A claim batch (`client_ids` names the clients it bills).
    ClaimBatch,
    Appointment,
    /// A client's appointments (`resource_id` is the client).
    Appointments,
    /// A page of appointments or rides across clients, or a calendar feed (`client_ids` names whose were shown).
    AppointmentList,
    BenefitApplication,
    /// A client's benefits applications (`resource_id` is the client).
    BenefitApplications,
    /// A page of benefits applications across clients (`client_ids` names whose were shown).
    BenefitApplicationList,
    CriticalEvent,
    /// A client's critical events (`resource_id` is the client).
    CriticalEvents,
    /// A page of critical events across clients (`client_ids` names whose were shown).
    CriticalEventList,
    Residence,
    /// A client's residences, or their community tenure (`resource_id` is the client).
    Residences,
    Episode,
    /// A client's episodes of care (`resource_id` is the client).
    Episodes,
    Transfer,
    /// A client's transfers, or who held the client (`resource_id` is the client).
    Transfers,
    /// A page of transfers across clients (`client_ids` names whose were shown).
    TransferList,
    /// A client's safety plan, or its versions (`resource_id` is the client).
    SafetyPlan,
    /// An early-warning alert about the client.
    Alert,
    /// A page of alerts across clients (`client_ids` names whose were shown).
    AlertList,
    /// A client's acuity score (`resource_id` is the client).
    Acuity,
    /// A worklist (`client_ids` names the clients it showed).
    Worklist,
    /// A page of the change feed (`client_ids` names whose changes were shown).
    ChangeFeed,
}

impl ResourceType {
    pub const ALL: [ResourceType; 44] = [
        ResourceType::Client,
        ResourceType::ClientList,
        ResourceType::CareTeam,
        ResourceType::CareTeamMember,
        ResourceType::NaturalSupports,
        ResourceType::NaturalSupport,
        ResourceType::Assessments,
        ResourceType::Assessment,
        ResourceType::AssessmentTrend,
        ResourceType::Plans,
        ResourceType::Plan,
        ResourceType::PlanList,
        ResourceType::ProgressNotes,
        ResourceType::ProgressNote,
        ResourceType::Consents,
        ResourceType::Consent,
        ResourceType::Referral,
        ResourceType::Disclosures,
        ResourceType::Contact,
        ResourceType::Contacts,
        ResourceType::ContactList,
        ResourceType::ClaimBatch,
        ResourceType::Appointment,
        ResourceType::Appointments,
        ResourceType::AppointmentList,
        ResourceType::BenefitApplication,
        ResourceType::BenefitApplications,
        ResourceType::BenefitApplicationList,
        ResourceType::CriticalEvent,
        ResourceType::CriticalEvents,
        ResourceType::CriticalEventList,
        ResourceType::Residence,
        ResourceType::Residences,
        ResourceType::Episode,
        ResourceType::Episodes,
        ResourceType::Transfer,
        ResourceType::Transfers,
        ResourceType::TransferList,
        ResourceType::SafetyPlan,
        ResourceType::Alert,
        ResourceType::AlertList,
        ResourceType::Acuity,
        ResourceType::Worklist,
        ResourceType::ChangeFeed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Client => "client",
            ResourceType::ClientList => "client_list",
            ResourceType::CareTeam => "care_team",
            ResourceType::CareTeamMember => "care_team_member",
            ResourceType::NaturalSupports => "natural_supports",
            ResourceType::NaturalSupport => "natural_support",
            ResourceType::Assessments => "assessments",
            ResourceType::Assessment => "assessment",
            ResourceType::AssessmentTrend => "assessment_trend",
            ResourceType::Plans => "plans",
            ResourceType::Plan => "plan",
            ResourceType::PlanList => "plan_list",
            ResourceType::ProgressNotes => "progress_notes",
            ResourceType::ProgressNote => "progress_note",
            ResourceType::Consents => "consents",
            ResourceType::Consent => "consent",
            ResourceType::Referral => "referral",
            ResourceType::Disclosures => "disclosures",
            ResourceType::Contact => "contact",
            ResourceType::Contacts => "contacts",
            ResourceType::ContactList => "contact_list",
            ResourceType::ClaimBatch => "claim_batch",
            ResourceType::Appointment => "appointment",
            ResourceType::Appointments => "appointments",
            ResourceType::AppointmentList => "appointment_list",
            ResourceType::BenefitApplication => "benefit_application",
            ResourceType::BenefitApplications => "benefit_applications",
            ResourceType::BenefitApplicationList => "benefit_application_list",
            ResourceType::CriticalEvent => "critical_event",
            ResourceType::CriticalEvents => "critical_events",
            ResourceType::CriticalEventList => "critical_event_list",
            ResourceType::Residence => "residence",
            ResourceType::Residences => "residences",
            ResourceType::Episode => "episode",
            ResourceType::Episodes => "episodes",
            ResourceType::Transfer => "transfer",
            ResourceType::Transfers => "transfers",
            ResourceType::TransferList => "transfer_list",
            ResourceType::SafetyPlan => "safety_plan",
            ResourceType::Alert => "alert",
            ResourceType::AlertList => "alert_list",
            ResourceType::Acuity => "acuity",
            ResourceType::Worklist => "worklist",
            ResourceType::ChangeFeed => "change_feed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
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
    /// The kind of record touched (`client_list` or `plan_list` for a list page).
    pub resource_type: ResourceType,
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
            (ResourceType::Client, client_id.to_string()),
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
        resource: (ResourceType, String),
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
            resource_type: resource.0,
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
        Self::for_page(
            actor_id,
            AuditAction::ClientListed,
            ResourceType::ClientList,
            clients,
            request_id,
            now,
        )
    }

    /// One event for a page of records about several clients (`kind`),
    /// naming each client once, in the order first shown; `None` for an
    /// empty page.
    pub fn for_page(
        actor_id: UserId,
        action: AuditAction,
        kind: ResourceType,
        clients: impl IntoIterator<Item = ClientId>,
        request_id: &str,
        now: DateTime<Utc>,
    ) -> Option<Self> {
        // In the order shown, each once; a set keeps a claim batch of
        // 100,000 clients linear.
        let mut seen = std::collections::HashSet::new();
        let shown: Vec<ClientId> = clients
            .into_iter()
            .filter(|client| seen.insert(*client))
            .collect();
        if shown.is_empty() {
            return None;
        }
        Some(AuditEvent {
            id: AuditEventId::generate(),
            occurred_at: now,
            actor_id,
            action,
            client_id: None,
            client_ids: shown,
            resource_type: kind,
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
    fn a_page_names_each_client_once_in_the_order_shown() {
        let (a, b) = (ClientId::generate(), ClientId::generate());
        let event = AuditEvent::for_page(
            UserId::generate(),
            AuditAction::RecordRead,
            ResourceType::PlanList,
            [b, a, b],
            "r",
            Utc::now(),
        )
        .expect("a page with plans is audited");
        assert_eq!(event.client_ids, vec![b, a]);
        assert_eq!(event.resource_type, ResourceType::PlanList);
    }

    #[test]
    fn action_names_round_trip() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
    }

    #[test]
    fn resource_type_names_round_trip_and_match_the_wire() {
        for kind in ResourceType::ALL {
            assert_eq!(ResourceType::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.as_str())
            );
        }
    }
}
