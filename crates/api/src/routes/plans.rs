//! Service plans: drafted, approved when the deployment asks for it,
//! activated (superseding the active plan in one transaction), reviewed,
//! completed; goals' progress notes; and a cross-client list for reviews.

// The route structs actix generates inside `plan_move!` have no Debug.
#![allow(missing_debug_implementations)]

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::ids::{ClientId, GoalId, PlanId, UserId};
use spoke_domain::plan::{Agreement, Approval, Goal, Plan, PlanInput, PlanStatus, ProgressNote};
use spoke_domain::values::LongText;
use spoke_persistence::plans::PlanFilter;
use utoipa::{IntoParams, ToSchema};

use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, etag, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::routes::{Page, json_body, ok_with_etag};
use crate::state::AppState;
use crate::usecases::plans as usecases;

/// A service plan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b31-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "status": "active", "effective_on": "2026-11-20", "review_due_on": "2027-02-20", "review_overdue": false,
    "agreement": {"agreed_on": "2026-11-20", "method": "signed"},
    "goals": [{
        "id": "01936b31-2b00-7c11-8d22-3e4f5a6b7c8d", "domain": "housing",
        "in_own_words": "I want my own place where my grandkids can visit.",
        "target": "Signed lease on a one-bedroom apartment", "target_date": "2027-03-01", "status": "active",
        "abandoned_reason": null,
        "tasks": [{"id": "01936b31-3c00-7c11-8d22-3e4f5a6b7c8d", "what": "Apply for the housing choice voucher",
                   "responsible": "case_manager", "responsible_name": null, "natural_support_id": null,
                   "care_team_member_id": null, "due_on": "2026-12-01", "status": "open"}]
    }],
    "approval": null, "supersedes": null, "activated_at": "2026-11-20T18:00:00Z", "closed_at": null,
    "created_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
    "created_at": "2026-11-20T17:00:00Z", "updated_at": "2026-11-20T18:00:00Z", "version": 2
}))]
pub struct PlanView {
    pub id: PlanId,
    pub client_id: ClientId,
    /// `draft`, `active` (one per client), `completed` or `superseded`.
    pub status: PlanStatus,
    pub effective_on: NaiveDate,
    pub review_due_on: NaiveDate,
    /// The plan is active and its review date has passed.
    pub review_overdue: bool,
    pub agreement: Option<Agreement>,
    pub goals: Vec<Goal>,
    pub approval: Option<Approval>,
    /// The plan this one replaced when it became active.
    pub supersedes: Option<PlanId>,
    pub activated_at: Option<DateTime<Utc>>,
    /// When it was completed or superseded.
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl PlanView {
    fn of(p: &Plan, today: NaiveDate) -> Self {
        PlanView {
            id: p.id,
            client_id: p.client_id,
            status: p.status,
            effective_on: p.content.effective_on,
            review_due_on: p.content.review_due_on,
            review_overdue: p.review_overdue(today),
            agreement: p.content.agreement,
            goals: p.content.goals.clone(),
            approval: p.approval.clone(),
            supersedes: p.supersedes,
            activated_at: p.activated_at,
            closed_at: p.closed_at,
            created_by: p.created_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// A client's plans, newest first: the plan history.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b31-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "status": "superseded", "effective_on": "2026-05-01", "review_due_on": "2026-08-01", "review_overdue": false,
    "agreement": {"agreed_on": "2026-05-01", "method": "verbal"}, "goals": [], "approval": null, "supersedes": null,
    "activated_at": "2026-05-01T18:00:00Z", "closed_at": "2026-11-20T18:00:00Z",
    "created_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
    "created_at": "2026-05-01T17:00:00Z", "updated_at": "2026-11-20T18:00:00Z", "version": 3
}]}))]
pub struct PlanList {
    pub items: Vec<PlanView>,
}

/// A supervisor's decision on a plan awaiting approval.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "rejected", "reason": "Add a task for the housing application."}))]
pub struct ApprovalDecision {
    pub decision: Decision,
    /// Required for a rejection.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(example = "approved")]
pub enum Decision {
    Approved,
    Rejected,
}

/// A progress note on a goal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Voucher application submitted; interview on December 5."}))]
pub struct NewProgressNote {
    pub text: String,
}

/// A plan's progress notes, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b31-4d00-7c11-8d22-3e4f5a6b7c8d", "goal_id": "01936b31-2b00-7c11-8d22-3e4f5a6b7c8d",
    "author_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "written_at": "2026-12-02T15:30:00Z",
    "text": "Voucher application submitted; interview on December 5."
}]}))]
pub struct ProgressNoteList {
    pub items: Vec<ProgressNote>,
}

/// Filters for plans across the clients the caller may see.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanSearch {
    pub status: Option<PlanStatus>,
    /// Only plans whose review is due before this day; with `status=active`, the reviews that are overdue
    /// when given today's date.
    pub review_due_before: Option<NaiveDate>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Draft a service plan.
///
/// Goals per life domain in the client's own words, each with a measurable target and tasks naming who does
/// them (the client, the case manager, one of the client's natural supports or care-team members, a
/// provider). The client's keepers.
#[utoipa::path(
    tag = "plans", operation_id = "create_plan", request_body = PlanInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The draft plan.", body = PlanView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/plans")]
pub async fn create_plan(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<PlanInput>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let client_id = id.into_inner();
    let content = body.value.parse(None)?;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let plan = usecases::create(tx, cx, client_id, content)?;
        Ok(Created {
            body: json_body(&PlanView::of(&plan, today))?,
            location: format!("/v1/clients/{client_id}/plans/{}", plan.id),
            etag: Some(etag(plan.version)),
        })
    })
    .await
}

/// List a client's plans.
///
/// Every plan, newest first: drafts, the active one, and the completed and superseded history.
#[utoipa::path(
    tag = "plans", operation_id = "list_client_plans",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The plan history.", body = PlanList)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/plans")]
pub async fn list_client_plans(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let client_id = id.into_inner();
    let plans = state
        .read_as(caller, move |tx, cx| {
            usecases::list_for_client(tx, cx, client_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(PlanList {
        items: plans.iter().map(|p| PlanView::of(p, today)).collect(),
    }))
}

/// Get a plan.
///
/// Whoever may read the client.
#[utoipa::path(
    tag = "plans", operation_id = "get_plan",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("plan_id" = PlanId, Path, description = "The plan's id"),
    ),
    responses((status = 200, description = "The plan.", body = PlanView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/clients/{id}/plans/{plan_id}")]
pub async fn get_plan(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, PlanId)>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let (client_id, plan_id) = path.into_inner();
    let plan = state
        .read_as(caller, move |tx, cx| {
            usecases::get(tx, cx, client_id, plan_id)
        })
        .await?;
    Ok(ok_with_etag(plan.version, &PlanView::of(&plan, today)))
}

/// Revise a plan.
///
/// The whole content, with the plan's ETag in If-Match; give the ids of goals and tasks that stay. A draft
/// or an active plan changes (task done, goal achieved); a goal of an active plan is abandoned with a
/// reason, never removed. Changing a draft voids an approval. Completed and superseded plans never change.
#[utoipa::path(
    tag = "plans", operation_id = "replace_plan", request_body = PlanInput,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("plan_id" = PlanId, Path, description = "The plan's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The revised plan.", body = PlanView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/plans/{plan_id}")]
pub async fn replace_plan(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, PlanId)>,
    if_match: IfMatch,
    body: ApiJson<PlanInput>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let (client_id, plan_id) = path.into_inner();
    let input = body.value;
    let plan = state
        .write_as(caller, move |tx, cx| {
            usecases::revise(tx, cx, client_id, plan_id, &if_match, input)
        })
        .await?;
    Ok(ok_with_etag(plan.version, &PlanView::of(&plan, today)))
}

/// Which move a plan makes.
#[derive(Debug, Clone, Copy)]
enum Move {
    Activate,
    Complete,
    RequestApproval,
}

macro_rules! plan_move {
    ($name:ident, $path:literal, $step:expr, $summary:literal, $description:literal, $op:literal) => {
        #[doc = $summary]
        #[doc = ""]
        #[doc = $description]
        #[utoipa::path(
            tag = "plans", operation_id = $op,
            params(
                ("id" = ClientId, Path, description = "The client's id"),
                ("plan_id" = PlanId, Path, description = "The plan's id"),
                IfMatch,
            ),
            responses(
                (status = 200, description = "The plan after the move.", body = PlanView, headers(("ETag" = String, description = "The new version"))),
                (status = 403, response = Forbidden),
                (status = 409, response = Conflict),
            ),
            security(("bearer" = []))
        )]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            caller: Caller,
            path: web::Path<(ClientId, PlanId)>,
            if_match: IfMatch,
        ) -> Result<HttpResponse, ApiError> {
            let today = caller.today();
            let approval_required = state.plan_approval_required;
            let (client_id, plan_id) = path.into_inner();
            let plan = state
                .write_as(caller, move |tx, cx| match $step {
                    Move::Activate => usecases::activate(tx, cx, client_id, plan_id, &if_match, approval_required),
                    Move::Complete => usecases::complete(tx, cx, client_id, plan_id, &if_match),
                    Move::RequestApproval => usecases::request_approval(tx, cx, client_id, plan_id, &if_match),
                })
                .await?;
            Ok(ok_with_etag(plan.version, &PlanView::of(&plan, today)))
        }
    };
}

plan_move!(
    activate_plan,
    "/clients/{id}/plans/{plan_id}/activate",
    Move::Activate,
    "Activate a plan.",
    "The draft becomes the client's active plan and the plan active until now becomes `superseded`, in one \
     transaction: of two activations at once, exactly one wins and the other is a 409. The client must have \
     agreed (`agreement`); when the deployment requires it (`SPOKE_PLAN_APPROVAL_REQUIRED`), a supervisor \
     must have approved.",
    "activate_plan"
);
plan_move!(
    complete_plan,
    "/clients/{id}/plans/{plan_id}/complete",
    Move::Complete,
    "Complete a plan.",
    "An active plan whose work is done. It then never changes.",
    "complete_plan"
);
plan_move!(
    request_plan_approval,
    "/clients/{id}/plans/{plan_id}/approval-request",
    Move::RequestApproval,
    "Ask for a plan's approval.",
    "Sends the draft to the team's supervisors. Changing the draft afterwards voids the request.",
    "request_plan_approval"
);

/// Approve or reject a plan.
///
/// Supervisors of the client's team and admins decide on a draft awaiting approval; a rejection needs a
/// reason. With the plan's ETag in If-Match.
#[utoipa::path(
    tag = "plans", operation_id = "decide_plan_approval", request_body = ApprovalDecision,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("plan_id" = PlanId, Path, description = "The plan's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The plan with the decision.", body = PlanView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/plans/{plan_id}/approval")]
pub async fn decide_plan_approval(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, PlanId)>,
    if_match: IfMatch,
    body: ApiJson<ApprovalDecision>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let (client_id, plan_id) = path.into_inner();
    let decision = body.value;
    let plan = state
        .write_as(caller, move |tx, cx| {
            usecases::decide_approval(
                tx,
                cx,
                client_id,
                plan_id,
                &if_match,
                decision.decision == Decision::Approved,
                decision.reason,
            )
        })
        .await?;
    Ok(ok_with_etag(plan.version, &PlanView::of(&plan, today)))
}

/// Add a progress note to a goal.
///
/// Notes are appended, never changed, and do not change the plan's version. Whoever may read the client,
/// care-team members included.
#[utoipa::path(
    tag = "plans", operation_id = "create_progress_note", request_body = NewProgressNote,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("plan_id" = PlanId, Path, description = "The plan's id"),
        ("goal_id" = GoalId, Path, description = "The goal's id"),
        IdempotencyKey,
    ),
    responses(
        (status = 201, description = "The note.", body = ProgressNote, headers(("Location" = String, description = "The plan's notes"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/plans/{plan_id}/goals/{goal_id}/notes")]
pub async fn create_progress_note(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, PlanId, GoalId)>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<NewProgressNote>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, plan_id, goal_id) = path.into_inner();
    let text = LongText::parse(&body.value.text)
        .map_err(|e| ApiError::Validation(spoke_domain::FieldErrors::single("text", e)))?;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let note = usecases::add_note(tx, cx, client_id, plan_id, goal_id, text)?;
        Ok(Created {
            body: json_body(&note)?,
            location: format!("/v1/clients/{client_id}/plans/{plan_id}/notes"),
            etag: None,
        })
    })
    .await
}

/// List a plan's progress notes.
///
/// Every note on every goal of the plan, oldest first.
#[utoipa::path(
    tag = "plans", operation_id = "list_progress_notes",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("plan_id" = PlanId, Path, description = "The plan's id"),
    ),
    responses((status = 200, description = "The notes.", body = ProgressNoteList)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/plans/{plan_id}/notes")]
pub async fn list_progress_notes(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, PlanId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, plan_id) = path.into_inner();
    let notes = state
        .read_as(caller, move |tx, cx| {
            usecases::notes(tx, cx, client_id, plan_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ProgressNoteList { items: notes }))
}

/// List plans across clients.
///
/// The plans of every client the caller may see, by review date: `status=active&review_due_before=<today>`
/// lists the reviews that are overdue.
#[utoipa::path(
    tag = "plans", operation_id = "list_plans", params(PlanSearch),
    responses((status = 200, description = "A page of plans.", body = Page<PlanView>)),
    security(("bearer" = []))
)]
#[get("/plans")]
pub async fn list_plans(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<PlanSearch>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let search = query.0;
    let (limit, after) =
        page_request::<(NaiveDate, String)>(search.limit, search.cursor.as_deref())?;
    let filter = PlanFilter {
        status: search.status,
        review_due_before: search.review_due_before,
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list(tx, cx, &filter, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |p| PlanView::of(p, today))))
}
