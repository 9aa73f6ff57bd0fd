//! The JSON representations shared by HTTP answers and webhook payloads,
//! so a referral reads the same whether it was fetched or pushed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use spoke_domain::consent::ConsentCategory;
use spoke_domain::ids::{ClientId, ConsentId, OrganizationId, ReferralId, ServiceId, UserId};
use spoke_domain::referral::{
    BusinessStatus, Priority, Referral, ReferralStatus, Side, allowed_moves,
};
use utoipa::ToSchema;

/// A referral of a client to a service.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = ReferralView::example)]
pub struct ReferralView {
    pub id: ReferralId,
    pub client_id: ClientId,
    pub service_id: ServiceId,
    /// The organization that receives it: the service's.
    pub organization_id: OrganizationId,
    pub reason: String,
    pub needs: Vec<String>,
    pub priority: Priority,
    pub note_for_partner: Option<String>,
    pub categories: Vec<ConsentCategory>,
    pub due_by: Option<NaiveDate>,
    pub status: ReferralStatus,
    pub business_status: Option<BusinessStatus>,
    /// The consent that covered it when it was sent.
    pub consent_id: Option<ConsentId>,
    pub outcome: Option<String>,
    /// The day the client got there (first appointment attended).
    pub linked_on: Option<NaiveDate>,
    pub redirected_from: Option<ReferralId>,
    /// Open and past its due date.
    pub overdue: bool,
    /// The statuses the caller's side may move it to now.
    pub allowed_moves: Vec<ReferralStatus>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl ReferralView {
    /// The contract's example of a referral, shared by every schema that
    /// holds one (the webhook payload too).
    pub fn example() -> serde_json::Value {
        serde_json::json!({
            "id": "01936b34-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
            "service_id": "01936b2f-6a00-7c11-8d22-3e4f5a6b7c8d", "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d",
            "reason": "Needs a food box this week.", "needs": ["food"], "priority": "urgent",
            "note_for_partner": "Prefers Spanish.", "categories": ["general"], "due_by": "2026-12-04",
            "status": "accepted", "business_status": null, "consent_id": "01936b33-1a00-7c11-8d22-3e4f5a6b7c8d",
            "outcome": null, "linked_on": null, "redirected_from": null, "overdue": false,
            "allowed_moves": ["cancelled"], "created_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
            "created_at": "2026-11-30T17:00:00Z", "updated_at": "2026-12-01T09:00:00Z", "version": 3
        })
    }

    pub fn of(r: &Referral, side: Side, today: NaiveDate) -> Self {
        let f = &r.fields;
        ReferralView {
            id: r.id,
            client_id: r.client_id,
            service_id: f.service_id,
            organization_id: r.organization_id,
            reason: f.reason.as_str().to_owned(),
            needs: f.needs.iter().cloned().collect(),
            priority: f.priority,
            note_for_partner: f.note_for_partner.as_ref().map(|n| n.as_str().to_owned()),
            categories: f.categories.iter().copied().collect(),
            due_by: f.due_by,
            status: r.status,
            business_status: r.business_status,
            consent_id: r.consent_id,
            outcome: r.outcome.clone(),
            linked_on: r.linked_on,
            redirected_from: r.redirected_from,
            overdue: r.overdue(today),
            allowed_moves: allowed_moves(r.status, side),
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}
