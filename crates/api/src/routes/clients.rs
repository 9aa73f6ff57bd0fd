//! Client records over HTTP: each handler parses the request, runs one use
//! case of [`crate::usecases::clients`] and shapes the answer.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::client::{Client, ClientDetails, ClientDetailsInput, ClientPatch, ClientStatus};
use spoke_domain::episode::{EnrollmentInput, StatusChange};
use spoke_domain::ids::{ClientId, TeamId, UserId};
use spoke_persistence::clients::ClientFilter;
use utoipa::{IntoParams, ToSchema};

use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, etag, from_value, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::routes::episodes::{ClosedView, EpisodeView};
use crate::routes::{Page, json_body, ok_with_etag};
use crate::state::AppState;
use crate::usecases::clients::{self as usecases, NewClient};
use uuid::Uuid;

/// A client record.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "given_name": "Maria", "family_name": "Rivera", "preferred_name": "Mari",
    "date_of_birth": "1968-04-12",
    "gender": {"kind": "self_described", "description": "woman"},
    "preferred_language": "es", "phone": "+15035550142", "email": "maria.rivera@example.org",
    "address": {"line1": "1200 SE Division St", "line2": "Apt 4B", "city": "Portland", "region": "OR", "postal_code": "97202", "country": "US"},
    "medicaid_id": "OR12345678",
    "external_ids": [{"system": "hmis", "value": "HM-20931"}],
    "status": "active",
    "risk_flags": ["two_person_visits"],
    "primary_case_manager_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
    "team_id": "01936b2e-5a00-7b11-8c22-1d2e3f4a5b6c",
    "created_at": "2026-11-20T15:04:05Z", "updated_at": "2026-11-26T09:30:00Z", "version": 3
}))]
pub struct ClientView {
    pub id: ClientId,
    #[serde(flatten)]
    pub details: ClientDetails,
    pub status: ClientStatus,
    pub primary_case_manager_id: Option<UserId>,
    pub team_id: TeamId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl From<&Client> for ClientView {
    fn from(client: &Client) -> Self {
        ClientView {
            id: client.id,
            details: client.details.clone(),
            status: client.status,
            primary_case_manager_id: client.primary_case_manager_id,
            team_id: client.team_id,
            created_at: client.created_at,
            updated_at: client.updated_at,
            version: client.version,
        }
    }
}

/// A new client: the client's details and the team fields, in one object. A field named in
/// neither part is refused (422 `unknown_field`), as everywhere.
//
// Parsed in two steps (see `CreateClientRequest::from_json`) rather than
// with serde's flatten, which would lose the path of a failing field.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "given_name": "Maria", "family_name": "Rivera", "date_of_birth": "1968-04-12",
    "preferred_language": "es", "phone": "+1 503 555 0142",
    "risk_flags": ["two_person_visits"]
}))]
pub struct CreateClientRequest {
    #[serde(flatten)]
    pub details: ClientDetailsInput,
    /// The client's team. Defaults to the creator's team; an admin must give it.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// A case manager or supervisor of the client's team. A case manager
    /// creating a client becomes its primary case manager unless they name one.
    #[serde(default)]
    pub primary_case_manager_id: Option<UserId>,
    /// The first episode of care: program (default "Case management"), referral source, eligibility.
    #[serde(default)]
    pub enrollment: Option<EnrollmentInput>,
}

impl CreateClientRequest {
    /// Splits the team and case manager off, then parses the rest as the
    /// client's details, so every error names its field.
    fn from_json(mut body: serde_json::Map<String, serde_json::Value>) -> Result<Self, ApiError> {
        let mut take = |field: &str| -> Result<Option<Uuid>, ApiError> {
            match body.remove(field) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(value) => from_value::<Uuid>(value)
                    .map(Some)
                    .map_err(|_| ApiError::invalid_field(field, "invalid", "must be a UUID")),
            }
        };
        let team_id = take("team_id")?.map(TeamId);
        let primary_case_manager_id = take("primary_case_manager_id")?.map(UserId);
        let enrollment = match body.remove("enrollment") {
            None | Some(serde_json::Value::Null) => None,
            // Parsed under its name, so that an error names `enrollment.<field>`.
            Some(value) => {
                #[derive(Deserialize)]
                struct Named {
                    enrollment: EnrollmentInput,
                }
                let named: Named = from_value(serde_json::json!({ "enrollment": value }))?;
                Some(named.enrollment)
            }
        };
        let given: Vec<String> = body.keys().cloned().collect();
        let details: ClientDetailsInput = from_value(serde_json::Value::Object(body))?;
        // The details' own names, as they serialize, are the only ones known:
        // a misspelt field is refused rather than silently dropped.
        let known = serde_json::to_value(&details).map_err(ApiError::internal)?;
        if let Some(unknown) = given.iter().find(|name| known.get(name.as_str()).is_none()) {
            return Err(ApiError::invalid_field(
                unknown,
                "unknown_field",
                "is not a field of a client",
            ));
        }
        Ok(CreateClientRequest {
            details,
            team_id,
            primary_case_manager_id,
            enrollment,
        })
    }
}

/// A client in its new status, with the episode the move ended or began and what a discharge closed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "given_name": "Maria", "family_name": "Rivera",
    "preferred_name": null, "date_of_birth": "1968-04-12", "gender": null, "preferred_language": "es",
    "phone": "+1 503 555 0142", "email": null, "address": null, "medicaid_id": null, "external_ids": [],
    "status": "discharged", "risk_flags": [], "primary_case_manager_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
    "team_id": "01936b2e-3a00-7a11-8c22-1d2e3f4a5b6c", "created_at": "2025-03-04T16:00:00Z",
    "updated_at": "2026-11-20T17:00:00Z", "version": 6,
    "episode": {
        "id": "01936b43-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
        "program": "Intensive case management", "referral_source": "hospital", "referral_source_name": null,
        "eligibility_basis": "Medicaid TCM: serious mental illness", "started_on": "2025-03-04",
        "ended_on": "2026-11-20", "open": false, "discharge_reason": "goals_met",
        "destination": "rental_with_subsidy", "destination_category": "permanent", "destination_hud_code": 435,
        "discharge_summary": "Housed for eight months, working part time.",
        "discharged_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "pending_closure": null,
        "created_at": "2025-03-04T16:00:00Z", "updated_at": "2026-11-20T17:00:00Z", "version": 2
    },
    "closed": {"plan_ids": ["01936b31-1a00-7c11-8d22-3e4f5a6b7c8d"], "referral_ids": [],
        "kept_referral_ids": [], "appointment_ids": ["01936b35-1a00-7c11-8d22-3e4f5a6b7c8d"]}
}))]
pub struct StatusChangedView {
    #[serde(flatten)]
    pub client: ClientView,
    /// The episode a discharge ended or a re-enrollment began; null for other moves.
    pub episode: Option<EpisodeView>,
    /// What a discharge closed; null for other moves.
    pub closed: Option<ClosedView>,
}

/// A new primary case manager, or `null` for none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"case_manager_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c"}))]
pub struct CaseManagerAssignment {
    /// An active case manager or supervisor of the client's team.
    pub case_manager_id: Option<UserId>,
}

/// Search filters; each one given narrows the result.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClientSearch {
    /// Part of the given, family or preferred name, in any case and with or without accents ("garcia"
    /// finds "García").
    #[param(example = "garcia")]
    pub name: Option<String>,
    /// Exact date of birth.
    pub date_of_birth: Option<NaiveDate>,
    /// Exact Medicaid id, in any case.
    #[param(example = "OR12345678")]
    pub medicaid_id: Option<String>,
    pub status: Option<ClientStatus>,
    /// Only this primary case manager's caseload.
    pub case_manager_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn with_etag(client: &Client) -> HttpResponse {
    ok_with_etag(client.version, &ClientView::from(client))
}

/// Create a client.
///
/// The client starts at `intake`. Admins name the team; supervisors and case managers create clients
/// in their own team, and a case manager only in their own caseload.
#[utoipa::path(
    tag = "clients",
    operation_id = "create_client",
    request_body = CreateClientRequest,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "The client was created.", body = ClientView,
            headers(("ETag" = String, description = "The client's version"), ("Location" = String, description = "The client's URL"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/clients")]
pub async fn create_client(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    let CreateClientRequest {
        details,
        team_id,
        primary_case_manager_id,
        enrollment,
    } = CreateClientRequest::from_json(body.value)?;
    let new = NewClient {
        details: details.parse(caller.today())?,
        team_id,
        primary_case_manager_id,
        enrollment: enrollment.unwrap_or_default(),
    };
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let client = usecases::create(tx, cx, new)?;
        Ok(Created {
            body: json_body(&ClientView::from(&client))?,
            location: format!("/v1/clients/{}", client.id),
            etag: Some(etag(client.version)),
        })
    })
    .await
}

/// Search clients.
///
/// Only the clients the signed-in user may see: an admin all, a supervisor or case manager their team's.
/// Oldest first. The page is recorded in the audit log as one `client.listed` event naming every client it
/// showed.
#[utoipa::path(
    tag = "clients",
    operation_id = "list_clients",
    params(ClientSearch),
    responses(
        (status = 200, description = "A page of clients.", body = Page<ClientView>),
    ),
    security(("bearer" = []))
)]
#[get("/clients")]
pub async fn list_clients(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ClientSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request(search.limit, search.cursor.as_deref())?;
    let filter = ClientFilter {
        name: search
            .name
            .filter(|name| !name.trim().is_empty())
            .map(|name| name.trim().to_owned()),
        date_of_birth: search.date_of_birth,
        medicaid_id: search.medicaid_id.filter(|id| !id.trim().is_empty()),
        status: search.status,
        case_manager_id: search.case_manager_id,
        team_id: search.team_id,
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list(tx, cx, &filter, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |client| ClientView::from(client))))
}

/// Get a client.
///
/// Recorded in the audit log. A client the signed-in user may not see is a 404.
#[utoipa::path(
    tag = "clients",
    operation_id = "get_client",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses(
        (status = 200, description = "The client.", body = ClientView, headers(("ETag" = String, description = "The client's version"))),
    ),
    security(("bearer" = []))
)]
#[get("/clients/{id}")]
pub async fn get_client(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let client = state
        .read_as(caller, move |tx, cx| usecases::get(tx, cx, id))
        .await?;
    Ok(with_etag(&client))
}

/// Change a client's details.
///
/// A JSON merge patch (RFC 7396) of the client's details, with the client's ETag in If-Match: absent
/// fields stay as they are, `null` clears an optional field. The merged record is checked whole.
/// Status and case manager have their own operations.
#[utoipa::path(
    tag = "clients",
    operation_id = "update_client",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        IfMatch,
    ),
    request_body(content = ClientPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed client.", body = ClientView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[patch("/clients/{id}")]
pub async fn update_client(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    if_match: IfMatch,
    body: ApiJson<ClientPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let client = state
        .write_as(caller, move |tx, cx| {
            usecases::update(tx, cx, id, &if_match, patch)
        })
        .await?;
    Ok(with_etag(&client))
}

/// Move a client to another status.
///
/// With the client's ETag in If-Match. An illegal move is a 409 whose `allowed_statuses` lists the moves
/// allowed from the current status.
///
/// **Discharge** (`discharged`, with a `reason`; optionally `destination`, `on`, `summary`) ends the episode
/// of care and closes what is open, in one transaction: the active plan is completed, open referrals are
/// cancelled with the reason "client discharged" (partners are told) unless named in `keep_referral_ids`,
/// and appointments scheduled from now on are cancelled. The answer says what it closed. **Re-enrollment**
/// (`discharged` → `intake`, optionally with `enrollment` and `on`) opens a new episode.
///
/// Where the agency approves closures (`SPOKE_DISCHARGE_APPROVAL_REQUIRED`), a case manager's discharge is
/// a 202: it waits on the episode (`pending_closure`) until a supervisor or admin discharges the client (with
/// no reason given, as the case manager asked) or withdraws it (`DELETE /v1/clients/{id}/closure-request`).
#[utoipa::path(
    tag = "clients",
    operation_id = "change_client_status",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        IfMatch,
    ),
    request_body = StatusChange,
    responses(
        (status = 200, description = "The client in its new status.", body = StatusChangedView, headers(("ETag" = String, description = "The new version"))),
        (status = 202, description = "The discharge waits for a supervisor's approval (`SPOKE_DISCHARGE_APPROVAL_REQUIRED`): the client \
            is unchanged and the episode shows the `pending_closure`.", body = StatusChangedView, headers(("ETag" = String, description = "The client's version, unchanged"))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The move is not allowed from the current status.", content_type = "application/problem+json", body = crate::problem::Problem,
            example = json!({"type": "/problems/illegal-status-move", "title": "This status change is not allowed", "status": 409,
                "detail": "a client cannot move from discharged to active", "allowed_statuses": ["intake"]})),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/status")]
pub async fn change_client_status(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    if_match: IfMatch,
    body: ApiJson<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let change = body.value;
    let approval = state.discharge_approval_required;
    let changed = state
        .write_as(caller, move |tx, cx| {
            usecases::change_status(tx, cx, id, &if_match, change, approval)
        })
        .await?;
    let view = StatusChangedView {
        client: ClientView::from(&changed.client),
        episode: changed.episode.as_ref().map(EpisodeView::from),
        closed: changed.closed.as_ref().map(ClosedView::from),
    };
    if changed.waiting {
        return Ok(HttpResponse::Accepted()
            .insert_header((header::ETAG, etag(changed.client.version)))
            .json(view));
    }
    Ok(ok_with_etag(changed.client.version, &view))
}

/// Assign a client's primary case manager.
///
/// Supervisors of the client's team and admins only, with the client's ETag in If-Match. The new case
/// manager must be an active case manager or supervisor of the client's team; `null` leaves the client
/// unassigned.
#[utoipa::path(
    tag = "clients",
    operation_id = "assign_client_case_manager",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        IfMatch,
    ),
    request_body = CaseManagerAssignment,
    responses(
        (status = 200, description = "The client with its new case manager.", body = ClientView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/case-manager")]
pub async fn assign_client_case_manager(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    if_match: IfMatch,
    body: ApiJson<CaseManagerAssignment>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let manager = body.value.case_manager_id;
    let client = state
        .write_as(caller, move |tx, cx| {
            usecases::assign_case_manager(tx, cx, id, &if_match, manager)
        })
        .await?;
    Ok(with_etag(&client))
}
