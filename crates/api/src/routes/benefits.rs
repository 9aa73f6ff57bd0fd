//! Benefits applications over HTTP: each handler parses the request, runs
//! one use case of [`crate::usecases::benefits`] and shapes the answer.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::benefit::{
    Application, ApplicationEvent, ApplicationInput, ApplicationMove, ApplicationStatus,
    DocumentItem, DocumentKind, DueKind, Program, application_moves,
};
use spoke_domain::ids::{BenefitApplicationId, ClientId, OrganizationId, TeamId, UserId};
use spoke_persistence::benefits::ApplicationFilter;
use spoke_persistence::page::Keyset;
use utoipa::{IntoParams, ToSchema};

use crate::context::{Caller, Cx};
use crate::db::Tx;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, etag, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::routes::referrals::IllegalMoveProblem;
use crate::routes::{Page, json_body, ok_with_etag, ordered_days};
use crate::state::AppState;
use crate::usecases::benefits as usecases;

/// The next date an application needs someone by.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "information", "on": "2026-12-04"}))]
pub struct DueView {
    pub kind: DueKind,
    pub on: NaiveDate,
}

/// A benefits application of a client.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b37-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "program": "snap", "program_name": null, "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d",
    "case_number": "SNAP-2026-118842",
    "documents": [{"kind": "identity", "gathered": true, "note": null},
                  {"kind": "proof_of_income", "gathered": false, "note": "Pay stubs from October"}],
    "documents_missing": ["proof_of_income"], "notes": "Interview by phone; she prefers mornings.",
    "status": "pending_information", "allowed_moves": ["submitted", "approved", "denied", "withdrawn"],
    "submitted_on": "2026-11-03", "information_requested": "Proof of income for October",
    "information_due_on": "2026-12-04", "decided_on": null, "amount_cents": null, "benefit_starts_on": null,
    "recertification_on": null, "denial_reason": null, "appealed_on": null, "hearing_on": null,
    "closed_reason": null, "next_due": {"kind": "information", "on": "2026-12-04"},
    "created_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "created_at": "2026-10-28T15:00:00Z",
    "updated_at": "2026-11-20T16:00:00Z", "version": 3
}))]
pub struct ApplicationView {
    pub id: BenefitApplicationId,
    pub client_id: ClientId,
    pub program: Program,
    pub program_name: Option<String>,
    /// The agency that decides it.
    pub organization_id: Option<OrganizationId>,
    pub case_number: Option<String>,
    pub documents: Vec<DocumentItem>,
    /// The kinds of document not yet gathered.
    pub documents_missing: Vec<DocumentKind>,
    pub notes: Option<String>,
    pub status: ApplicationStatus,
    /// The moves allowed from the current status.
    pub allowed_moves: Vec<ApplicationStatus>,
    /// The day it was first submitted.
    pub submitted_on: Option<NaiveDate>,
    /// While `pending_information`: what was asked for, and by when.
    pub information_requested: Option<String>,
    pub information_due_on: Option<NaiveDate>,
    /// The day of the decision (or of the appeal's).
    pub decided_on: Option<NaiveDate>,
    /// Approved: the monthly amount in cents.
    pub amount_cents: Option<i64>,
    pub benefit_starts_on: Option<NaiveDate>,
    pub recertification_on: Option<NaiveDate>,
    pub denial_reason: Option<String>,
    pub appealed_on: Option<NaiveDate>,
    pub hearing_on: Option<NaiveDate>,
    /// Why an appeal was lost or the application withdrawn.
    pub closed_reason: Option<String>,
    /// The next date it needs someone by: the information asked for, the hearing, the recertification.
    pub next_due: Option<DueView>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl From<&Application> for ApplicationView {
    fn from(a: &Application) -> Self {
        let f = &a.fields;
        let o = &a.outcome;
        ApplicationView {
            id: a.id,
            client_id: a.client_id,
            program: f.program,
            program_name: f.program_name.as_ref().map(ToString::to_string),
            organization_id: f.organization_id,
            case_number: f.case_number.as_ref().map(ToString::to_string),
            documents: f.documents.clone(),
            documents_missing: f
                .documents
                .iter()
                .filter(|d| !d.gathered)
                .map(|d| d.kind)
                .collect(),
            notes: f.notes.as_ref().map(|n| n.as_str().to_owned()),
            status: a.status,
            allowed_moves: application_moves(a.status),
            submitted_on: o.submitted_on,
            information_requested: o.information_requested.clone(),
            information_due_on: o.information_due_on,
            decided_on: o.decided_on,
            amount_cents: o.amount_cents,
            benefit_starts_on: o.benefit_starts_on,
            recertification_on: o.recertification_on,
            denial_reason: o.denial_reason.clone(),
            appealed_on: o.appealed_on,
            hearing_on: o.hearing_on,
            closed_reason: o.closed_reason.clone(),
            next_due: a.next_due().map(|d| DueView {
                kind: d.kind,
                on: d.on,
            }),
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

/// An application's history.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [
    {"id": "01936b37-2a00-7c11-8d22-3e4f5a6b7c8d", "at": "2026-10-28T15:00:00Z",
     "by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "from": null, "to": "preparing", "on": "2026-10-28", "note": null},
    {"id": "01936b37-2b00-7c11-8d22-3e4f5a6b7c8d", "at": "2026-11-20T16:00:00Z",
     "by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "from": "submitted", "to": "pending_information",
     "on": "2026-11-20", "note": "Proof of income for October"}
]}))]
pub struct ApplicationHistory {
    pub items: Vec<ApplicationEvent>,
}

/// Filters for a client's applications.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClientApplicationSearch {
    pub status: Option<ApplicationStatus>,
    pub program: Option<Program>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Filters for applications across clients.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApplicationSearch {
    pub status: Option<ApplicationStatus>,
    pub program: Option<Program>,
    /// Only applications of this team's clients.
    pub team_id: Option<TeamId>,
    /// Only applications of this staff member's clients (as primary case manager).
    pub case_manager_id: Option<UserId>,
    /// Only those whose next date due is of this kind; the list is then soonest first.
    pub due_kind: Option<DueKind>,
    /// Only those with a date due on or after this day; the list is then soonest first.
    pub due_from: Option<NaiveDate>,
    /// Only those with a date due on or before this day; the list is then soonest first.
    pub due_to: Option<NaiveDate>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Runs `work` as a write by `caller` and answers with the application and its ETag.
async fn changed(
    state: &AppState,
    caller: Caller,
    work: impl FnOnce(&mut Tx, &Cx) -> Result<Application, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let application = state.write_as(caller, work).await?;
    Ok(ok_with_etag(
        application.version,
        &ApplicationView::from(&application),
    ))
}

/// Start a benefits application.
///
/// In `preparing`: the program, the agency that decides it (a directory organization), the case number and
/// the checklist of documents it needs. The client's case manager, the team's supervisors, admins.
#[utoipa::path(
    tag = "benefits", operation_id = "create_benefit_application", request_body = ApplicationInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The application was started.", body = ApplicationView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/benefit-applications")]
pub async fn create_benefit_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<ApplicationInput>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let input = body.value;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let application = usecases::create(tx, cx, client_id, input)?;
        Ok(Created {
            body: json_body(&ApplicationView::from(&application))?,
            location: format!(
                "/v1/clients/{client_id}/benefit-applications/{}",
                application.id
            ),
            etag: Some(etag(application.version)),
        })
    })
    .await
}

/// List a client's benefits applications.
///
/// Oldest first. Whoever may read the client.
#[utoipa::path(
    tag = "benefits", operation_id = "list_client_benefit_applications",
    params(("id" = ClientId, Path, description = "The client's id"), ClientApplicationSearch),
    responses((status = 200, description = "A page of applications.", body = Page<ApplicationView>)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/benefit-applications")]
pub async fn list_client_benefit_applications(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    query: ApiQuery<ClientApplicationSearch>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    let filter = ApplicationFilter {
        status: search.status,
        program: search.program,
        ..ApplicationFilter::default()
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list_for_client(tx, cx, client_id, filter, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |a| ApplicationView::from(a))))
}

/// Get a benefits application.
///
/// Whoever may read the client.
#[utoipa::path(
    tag = "benefits", operation_id = "get_benefit_application",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("application_id" = BenefitApplicationId, Path, description = "The application's id"),
    ),
    responses((status = 200, description = "The application.", body = ApplicationView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/clients/{id}/benefit-applications/{application_id}")]
pub async fn get_benefit_application(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, BenefitApplicationId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, application_id) = path.into_inner();
    let application = state
        .read_as(caller, move |tx, cx| {
            usecases::get(tx, cx, client_id, application_id)
        })
        .await?;
    Ok(ok_with_etag(
        application.version,
        &ApplicationView::from(&application),
    ))
}

/// Change a benefits application.
///
/// The whole content (program, agency, case number, checklist, notes) with its ETag in If-Match; kept in its
/// history. An approved application keeps its checklist up to date for recertification; a withdrawn or
/// finally decided one never changes (409).
#[utoipa::path(
    tag = "benefits", operation_id = "replace_benefit_application", request_body = ApplicationInput,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("application_id" = BenefitApplicationId, Path, description = "The application's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The changed application.", body = ApplicationView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/benefit-applications/{application_id}")]
pub async fn replace_benefit_application(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, BenefitApplicationId)>,
    if_match: IfMatch,
    body: ApiJson<ApplicationInput>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, application_id) = path.into_inner();
    let input = body.value;
    changed(&state, caller, move |tx, cx| {
        usecases::revise(tx, cx, client_id, application_id, &if_match, input)
    })
    .await
}

/// Move a benefits application's status.
///
/// `preparing` → `submitted` → `pending_information` (`information_requested`, `information_due_on`) →
/// `submitted` again once sent, or `approved` (`amount_cents`, `benefit_starts_on`, `recertification_on`) |
/// `denied` (`reason`) → `appealed` (`hearing_on`) → `appeal_won` | `appeal_lost`; `withdrawn` (`reason`) at
/// any open point. `on` is the day it happened (default today). A move not allowed from the current status is
/// a 409 naming the moves that are.
#[utoipa::path(
    tag = "benefits", operation_id = "move_benefit_application", request_body = ApplicationMove,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("application_id" = BenefitApplicationId, Path, description = "The application's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The moved application.", body = ApplicationView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The move is not allowed from the current status.", body = IllegalMoveProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/benefit-applications/{application_id}/status")]
pub async fn move_benefit_application(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, BenefitApplicationId)>,
    if_match: IfMatch,
    body: ApiJson<ApplicationMove>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, application_id) = path.into_inner();
    let input = body.value;
    changed(&state, caller, move |tx, cx| {
        usecases::move_status(tx, cx, client_id, application_id, &if_match, input)
    })
    .await
}

/// Get a benefits application's history.
///
/// Every move and change, oldest first: who, when, from and to which status, the day it happened and what it
/// recorded.
#[utoipa::path(
    tag = "benefits", operation_id = "get_benefit_application_history",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("application_id" = BenefitApplicationId, Path, description = "The application's id"),
    ),
    responses((status = 200, description = "The history.", body = ApplicationHistory)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/benefit-applications/{application_id}/history")]
pub async fn get_benefit_application_history(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, BenefitApplicationId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, application_id) = path.into_inner();
    let items = state
        .read_as(caller, move |tx, cx| {
            usecases::history(tx, cx, client_id, application_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ApplicationHistory { items }))
}

/// List benefits applications across clients.
///
/// Of every client the caller may see, oldest first; with `due_kind`, `due_from` or `due_to`, those whose next
/// date due (information asked for, a hearing, a recertification) falls in the range, soonest first: what is
/// coming due this month, for a team or a case manager.
#[utoipa::path(
    tag = "benefits", operation_id = "list_benefit_applications", params(ApplicationSearch),
    responses((status = 200, description = "A page of applications.", body = Page<ApplicationView>)),
    security(("bearer" = []))
)]
#[get("/benefit-applications")]
pub async fn list_benefit_applications(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ApplicationSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    ordered_days(search.due_from, search.due_to, ("due_from", "due_to"))?;
    let filter = ApplicationFilter {
        client: None,
        team: search.team_id,
        case_manager: search.case_manager_id,
        status: search.status,
        program: search.program,
        due_kind: search.due_kind,
        due_from: search.due_from,
        due_to: search.due_to,
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list(tx, cx, &filter, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |a| ApplicationView::from(a))))
}
