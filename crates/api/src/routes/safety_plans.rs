//! Safety plans over HTTP.

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use spoke_domain::ids::{ClientId, UserId};
use spoke_domain::safety_plan::{SafetyPlan, SafetyPlanSections};
use utoipa::ToSchema;

use crate::context::Caller;
use crate::extract::{ApiJson, IfMatch};
use crate::openapi::Forbidden;
use crate::problem::ApiError;
use crate::routes::ok_with_etag;
use crate::state::AppState;
use crate::usecases::safety_plans as usecases;

/// One version of a client's safety plan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "version": 2,
    "warning_signs": ["Not sleeping for two nights", "Giving things away"],
    "internal_coping_strategies": ["Walk the dog by the river"],
    "distractions": [{"name": "The library on Division St", "phone": null}],
    "people_to_ask_for_help": [{"name": "My sister Rosa", "phone": "+1 503 555 0177"}],
    "professionals_and_agencies": [{"name": "988 Suicide and Crisis Lifeline", "phone": "988"}],
    "making_the_environment_safe": ["Rosa keeps my medications and gives me a week at a time"],
    "reasons_for_living": ["My daughter"],
    "written_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "written_at": "2026-11-20T16:00:00Z"
}))]
pub struct SafetyPlanView {
    pub client_id: ClientId,
    /// 1 for the first version, one more for each revision; also sent as the ETag.
    pub version: i32,
    #[serde(flatten)]
    pub sections: SafetyPlanSections,
    pub written_by: UserId,
    pub written_at: DateTime<Utc>,
}

impl From<&SafetyPlan> for SafetyPlanView {
    fn from(plan: &SafetyPlan) -> Self {
        SafetyPlanView {
            client_id: plan.client_id,
            version: plan.version,
            sections: plan.sections.clone(),
            written_by: plan.written_by,
            written_at: plan.written_at,
        }
    }
}

/// Every version of a client's safety plan, the newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "version": 1,
    "warning_signs": ["Not sleeping for two nights"], "internal_coping_strategies": [], "distractions": [],
    "people_to_ask_for_help": [{"name": "My sister Rosa", "phone": "+1 503 555 0177"}],
    "professionals_and_agencies": [{"name": "988 Suicide and Crisis Lifeline", "phone": "988"}],
    "making_the_environment_safe": [], "reasons_for_living": ["My daughter"],
    "written_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "written_at": "2026-10-02T16:00:00Z"
}]}))]
pub struct SafetyPlanVersions {
    pub items: Vec<SafetyPlanView>,
}

/// Get a client's safety plan.
///
/// The current version, in the Stanley-Brown sections. Whoever may read the client, care-team members
/// included: the plan is for the people who help in a crisis. A client without a plan is a 404.
#[utoipa::path(
    tag = "care", operation_id = "get_safety_plan",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The current version.", body = SafetyPlanView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/clients/{id}/safety-plan")]
pub async fn get_safety_plan(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let plan = state
        .read_as(caller, move |tx, cx| usecases::get(tx, cx, client_id))
        .await?;
    Ok(ok_with_etag(plan.version, &SafetyPlanView::from(&plan)))
}

/// Write a client's safety plan.
///
/// The whole plan, kept as a new version (earlier versions stay readable), with the current version's ETag in
/// If-Match (`"0"` or `*` for the first). Written with the client by their case manager, the team's
/// supervisors, admins.
#[utoipa::path(
    tag = "care", operation_id = "replace_safety_plan", request_body = SafetyPlanSections,
    params(("id" = ClientId, Path, description = "The client's id"), IfMatch),
    responses(
        (status = 200, description = "The new version.", body = SafetyPlanView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/safety-plan")]
pub async fn replace_safety_plan(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    if_match: IfMatch,
    body: ApiJson<SafetyPlanSections>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let sections = body.value;
    let plan = state
        .write_as(caller, move |tx, cx| {
            usecases::revise(tx, cx, client_id, &if_match, sections)
        })
        .await?;
    Ok(ok_with_etag(plan.version, &SafetyPlanView::from(&plan)))
}

/// List the versions of a client's safety plan.
///
/// Every version, the newest first, each with who wrote it and when. Whoever may read the client.
#[utoipa::path(
    tag = "care", operation_id = "list_safety_plan_versions",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The versions.", body = SafetyPlanVersions)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/safety-plan/versions")]
pub async fn list_safety_plan_versions(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let all = state
        .read_as(caller, move |tx, cx| usecases::versions(tx, cx, client_id))
        .await?;
    Ok(HttpResponse::Ok().json(SafetyPlanVersions {
        items: all.iter().map(SafetyPlanView::from).collect(),
    }))
}
