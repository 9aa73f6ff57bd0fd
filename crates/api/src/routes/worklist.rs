//! The worklists over HTTP: each handler runs
//! [`crate::usecases::worklist::worklist`] and shapes the answer.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use spoke_domain::alert::AcuityLevel;
use spoke_domain::appointment::RideStatus;
use spoke_domain::ids::{ClientId, TeamId, UserId};
use spoke_domain::worklist::{Item, ItemKind, Urgency};
use utoipa::ToSchema;

use crate::context::Caller;
use crate::openapi::Forbidden;
use crate::problem::ApiError;
use crate::routes::alerts::AlertView;
use crate::state::AppState;
use crate::usecases::worklist::{self as usecases, Entry, Whose};

/// One thing that needs someone today.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "kind": "alert", "urgency": "now",
    "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "client_name": "Maria Rivera",
    "case_manager_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "acuity": "high",
    "title": "Follow-up after the psychiatric discharge of 2026-11-25 due by 2026-12-02",
    "due_on": null, "at": "2026-11-26T08:00:00Z", "href": "/v1/alerts/01936b50-1a00-7c11-8d22-3e4f5a6b7c8d",
    "ride": null,
    "alert": {
        "id": "01936b50-1a00-7c11-8d22-3e4f5a6b7c8d", "rule": "follow_up_due", "rule_version": 1,
        "severity": "high", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "staff_id": null,
        "summary": "Follow-up after the psychiatric discharge of 2026-11-25 due by 2026-12-02",
        "facts": [], "state": "open", "allowed_moves": ["acknowledged", "snoozed", "resolved"],
        "opened_at": "2026-11-26T08:00:00Z", "acknowledged_at": null, "acknowledged_by": null,
        "snoozed_until": null, "resolved_at": null, "resolved_by": null, "resolution": null, "note": null,
        "escalated_at": null, "updated_at": "2026-11-26T08:00:00Z", "version": 1
    }
}))]
pub struct WorkItemView {
    pub kind: ItemKind,
    /// The first key of the order: now (escalated or high alerts), today (appointments, medium alerts,
    /// decisions waiting), soon (tasks and application dates), later (paperwork, low alerts).
    pub urgency: Urgency,
    pub client_id: Option<ClientId>,
    pub client_name: Option<String>,
    pub case_manager_id: Option<UserId>,
    /// The client's acuity level, the second key of the order (by score).
    pub acuity: Option<AcuityLevel>,
    pub title: String,
    /// The day it is due or happens, the third key.
    pub due_on: Option<NaiveDate>,
    /// When it happens (an appointment) or was raised or asked for.
    pub at: Option<DateTime<Utc>>,
    /// Where the record is.
    pub href: String,
    /// For an appointment: its ride's status, if it has one.
    pub ride: Option<RideStatus>,
    /// For an alert: the alert.
    pub alert: Option<AlertView>,
}

impl WorkItemView {
    fn of((item, entry): (Item, Entry)) -> WorkItemView {
        WorkItemView {
            kind: item.kind,
            urgency: item.urgency,
            client_id: entry.client_id,
            client_name: entry.client_name,
            case_manager_id: entry.case_manager_id,
            acuity: entry.acuity,
            title: entry.title,
            due_on: item.due_on,
            at: entry.at,
            href: entry.href,
            ride: entry.ride,
            alert: entry.alert.as_ref().map(AlertView::from),
        }
    }
}

/// A worklist, most urgent first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "kind": "appointment", "urgency": "today",
    "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "client_name": "Maria Rivera",
    "case_manager_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "acuity": "moderate",
    "title": "10:30 psychiatric appointment with Dr. Okafor (ride arranged)",
    "due_on": "2026-11-28", "at": "2026-11-28T15:30:00Z",
    "href": "/v1/clients/01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10/appointments/01936b3c-1a00-7c11-8d22-3e4f5a6b7c8d",
    "ride": "arranged", "alert": null
}]}))]
pub struct Worklist {
    pub items: Vec<WorkItemView>,
}

/// Get my worklist.
///
/// Everything that needs the caller today, most urgent first (urgency, then the client's acuity, then the day
/// due): open and acknowledged alerts about their caseload and themselves, today's appointments with their
/// rides, plan tasks due today, their unsigned contacts, benefits application dates coming due. For a
/// supervisor also what waits for them on their team (plans and discharges to approve, transfers to answer)
/// and the team's escalated alerts. An alert stands for the item about the same record (an alert about an
/// unsigned contact, not both).
#[utoipa::path(
    tag = "alerts", operation_id = "get_my_worklist",
    responses((status = 200, description = "The worklist.", body = Worklist)),
    security(("bearer" = []))
)]
#[get("/me/worklist")]
pub async fn get_my_worklist(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    list(state, caller, Whose::Mine).await
}

/// Get a team's worklist.
///
/// The same for every client of the team (each item names its case manager), every draft contact, the alerts
/// about the team's staff, and what waits for the team's supervisors. Supervisors of the team and admins.
#[utoipa::path(
    tag = "alerts", operation_id = "get_team_worklist",
    params(("id" = TeamId, Path, description = "The team's id")),
    responses(
        (status = 200, description = "The team's worklist.", body = Worklist),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[get("/teams/{id}/worklist")]
pub async fn get_team_worklist(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<TeamId>,
) -> Result<HttpResponse, ApiError> {
    list(state, caller, Whose::Team(id.into_inner())).await
}

async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    whose: Whose,
) -> Result<HttpResponse, ApiError> {
    let clock = state.clock;
    let items = state
        .read_as(caller, move |tx, cx| {
            usecases::worklist(tx, cx, &clock, whose)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Worklist {
        items: items.into_iter().map(WorkItemView::of).collect(),
    }))
}
