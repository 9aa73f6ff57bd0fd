//! Episodes of care over HTTP: the list of a client's enrollments, and the
//! views a status change answers with.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use spoke_domain::episode::{
    Destination, DestinationCategory, DischargeReason, Episode, ReferralSource,
};
use spoke_domain::ids::{AppointmentId, ClientId, EpisodeId, PlanId, ReferralId, UserId};
use utoipa::ToSchema;

use crate::context::Caller;
use crate::openapi::Forbidden;
use crate::problem::ApiError;
use crate::state::AppState;
use crate::usecases::episodes::{self as usecases, Closed};

/// One enrollment of a client: from the day case management began to the discharge.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b43-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "program": "Intensive case management", "referral_source": "hospital",
    "referral_source_name": "St. Vincent Behavioral Health Unit",
    "eligibility_basis": "Medicaid TCM: serious mental illness",
    "started_on": "2025-03-04", "ended_on": "2026-11-20", "open": false,
    "discharge_reason": "goals_met", "destination": "rental_with_subsidy",
    "destination_category": "permanent", "destination_hud_code": 435,
    "discharge_summary": "Housed for eight months, working part time, linked to a primary care doctor.",
    "discharged_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "pending_closure": null,
    "created_at": "2025-03-04T16:00:00Z", "updated_at": "2026-11-20T17:00:00Z", "version": 2
}))]
pub struct EpisodeView {
    pub id: EpisodeId,
    pub client_id: ClientId,
    pub program: String,
    pub referral_source: Option<ReferralSource>,
    pub referral_source_name: Option<String>,
    pub eligibility_basis: Option<String>,
    pub started_on: NaiveDate,
    /// Null while the client is enrolled.
    pub ended_on: Option<NaiveDate>,
    pub open: bool,
    /// Null for an open episode, and for one that ended before reasons were kept.
    pub discharge_reason: Option<DischargeReason>,
    pub destination: Option<Destination>,
    /// HUD's grouping of the destination: homeless, institutional, temporary, permanent, other.
    pub destination_category: Option<DestinationCategory>,
    /// HUD's response code of the destination (HMIS data element 3.12).
    pub destination_hud_code: Option<u16>,
    pub discharge_summary: Option<String>,
    pub discharged_by: Option<UserId>,
    /// A case manager's discharge that waits for a supervisor's approval.
    pub pending_closure: Option<PendingClosureView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<&Episode> for EpisodeView {
    fn from(e: &Episode) -> Self {
        let d = e.discharge.as_ref();
        let destination = d.and_then(|d| d.destination);
        EpisodeView {
            id: e.id,
            client_id: e.client_id,
            program: e.enrollment.program.to_string(),
            referral_source: e.enrollment.referral_source,
            referral_source_name: e
                .enrollment
                .referral_source_name
                .as_ref()
                .map(ToString::to_string),
            eligibility_basis: e
                .enrollment
                .eligibility_basis
                .as_ref()
                .map(ToString::to_string),
            started_on: e.started_on,
            ended_on: e.ended_on,
            open: e.ended_on.is_none(),
            discharge_reason: d.map(|d| d.reason),
            destination,
            destination_category: destination.map(|x| x.hud().0),
            destination_hud_code: destination.map(|x| x.hud().1),
            discharge_summary: d
                .and_then(|d| d.summary.as_ref())
                .map(|s| s.as_str().to_owned()),
            discharged_by: d.map(|d| d.by),
            pending_closure: e.pending_closure.as_ref().map(|p| PendingClosureView {
                reason: p.request.reason,
                destination: p.request.destination,
                on: p.request.on,
                summary: p.request.summary.clone(),
                keep_referral_ids: p.request.keep_referral_ids.clone(),
                requested_by: p.by,
                requested_at: p.at,
            }),
            created_at: e.created_at,
            updated_at: e.updated_at,
            version: e.version,
        }
    }
}

/// A discharge asked for that waits for a supervisor.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "reason": "moved_away", "destination": "family_permanent", "on": null,
    "summary": "Moved to live with her sister in another county.", "keep_referral_ids": [],
    "requested_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "requested_at": "2026-11-20T16:00:00Z"
}))]
pub struct PendingClosureView {
    pub reason: Option<DischargeReason>,
    pub destination: Option<Destination>,
    /// The last day asked for; the day of the approval when null.
    pub on: Option<NaiveDate>,
    pub summary: Option<String>,
    pub keep_referral_ids: Vec<ReferralId>,
    pub requested_by: UserId,
    pub requested_at: DateTime<Utc>,
}

/// What a discharge closed, in the same transaction.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "plan_ids": ["01936b31-1a00-7c11-8d22-3e4f5a6b7c8d"],
    "referral_ids": ["01936b32-0b00-7c11-8d22-3e4f5a6b7c8d"],
    "kept_referral_ids": ["01936b32-0a00-7c11-8d22-3e4f5a6b7c8d"],
    "appointment_ids": ["01936b35-1a00-7c11-8d22-3e4f5a6b7c8d"]
}))]
pub struct ClosedView {
    /// The active plan, now completed.
    pub plan_ids: Vec<PlanId>,
    /// The open referrals, now cancelled with the reason "client discharged".
    pub referral_ids: Vec<ReferralId>,
    /// The open referrals left open, as the request asked.
    pub kept_referral_ids: Vec<ReferralId>,
    /// The appointments scheduled from now on, now cancelled.
    pub appointment_ids: Vec<AppointmentId>,
}

impl From<&Closed> for ClosedView {
    fn from(c: &Closed) -> Self {
        ClosedView {
            plan_ids: c.plan_ids.clone(),
            referral_ids: c.referral_ids.clone(),
            kept_referral_ids: c.kept_referral_ids.clone(),
            appointment_ids: c.appointment_ids.clone(),
        }
    }
}

/// A client's episodes of care.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b43-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "program": "Case management", "referral_source": "self", "referral_source_name": null,
    "eligibility_basis": null, "started_on": "2026-11-25", "ended_on": null, "open": true,
    "discharge_reason": null, "destination": null, "destination_category": null, "destination_hud_code": null,
    "discharge_summary": null, "discharged_by": null, "pending_closure": null,
    "created_at": "2026-11-25T16:00:00Z", "updated_at": "2026-11-25T16:00:00Z", "version": 1
}]}))]
pub struct EpisodeList {
    pub items: Vec<EpisodeView>,
}

/// List a client's episodes of care.
///
/// Every enrollment, the earliest first: the program, who referred the client, the eligibility, the dates,
/// and for a closed one why it ended, where the client went (HUD HMIS destination) and the discharge
/// summary. Whoever may read the client.
#[utoipa::path(
    tag = "clients", operation_id = "list_episodes",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The episodes.", body = EpisodeList)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/episodes")]
pub async fn list_episodes(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let all = state
        .read_as(caller, move |tx, cx| usecases::list(tx, cx, client_id))
        .await?;
    Ok(HttpResponse::Ok().json(EpisodeList {
        items: all.iter().map(EpisodeView::from).collect(),
    }))
}

/// Withdraw a discharge that waits for approval.
///
/// The case manager who asked withdraws it, or a supervisor declines it: the episode goes on. Whoever may
/// change the client's status. A 404 when no discharge waits.
#[utoipa::path(
    tag = "clients", operation_id = "delete_closure_request",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses(
        (status = 204, description = "The request is withdrawn."),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[delete("/clients/{id}/closure-request")]
pub async fn delete_closure_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    state
        .write_as(caller, move |tx, cx| {
            usecases::withdraw_closure(tx, cx, client_id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
