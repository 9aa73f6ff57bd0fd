//! Transfers and assignment history over HTTP: each handler parses the
//! request, runs one use case of [`crate::usecases::transfers`] and shapes
//! the answer.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::ids::{ClientId, TeamId, TransferId, UserId};
use spoke_domain::transfer::{
    Assignment, TransferInput, TransferMove, TransferStatus, transfer_moves,
};
use spoke_persistence::page::Keyset;
use spoke_persistence::transfers::{TransferFilter, TransferRecord};
use utoipa::{IntoParams, ToSchema};

use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, etag, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::routes::referrals::IllegalMoveProblem;
use crate::routes::{Page, json_body, ok_with_etag};
use crate::state::AppState;
use crate::usecases::transfers as usecases;

/// A transfer of a client to another team or case manager.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b44-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "client_name": "Maria Rivera",
    "from_team_id": "01936b2e-3a00-7a11-8c22-1d2e3f4a5b6c", "from_case_manager_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
    "to_team_id": "01936b2e-3b00-7a11-8c22-1d2e3f4a5b6c", "to_case_manager_id": null,
    "summary": "Moved to the east side in October; stable in supportive housing, needs a new primary care doctor.",
    "status": "requested", "allowed_moves": ["accepted", "declined", "cancelled"],
    "requested_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "decided_by": null, "decided_at": null, "note": null,
    "created_at": "2026-11-20T16:00:00Z", "updated_at": "2026-11-20T16:00:00Z", "version": 1
}))]
pub struct TransferView {
    pub id: TransferId,
    pub client_id: ClientId,
    /// For the receiving side, which cannot read the client before it accepts.
    pub client_name: String,
    pub from_team_id: TeamId,
    pub from_case_manager_id: Option<UserId>,
    pub to_team_id: TeamId,
    /// The new case manager: asked for, or named on acceptance.
    pub to_case_manager_id: Option<UserId>,
    pub summary: String,
    pub status: TransferStatus,
    pub allowed_moves: Vec<TransferStatus>,
    pub requested_by: UserId,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was declined, or a word on the acceptance.
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl From<&TransferRecord> for TransferView {
    fn from(r: &TransferRecord) -> Self {
        let t = &r.transfer;
        TransferView {
            id: t.id,
            client_id: t.client_id,
            client_name: r.client_name.clone(),
            from_team_id: t.from_team_id,
            from_case_manager_id: t.from_case_manager_id,
            to_team_id: t.to_team_id,
            to_case_manager_id: t.to_case_manager_id,
            summary: t.summary.as_str().to_owned(),
            status: t.status,
            allowed_moves: transfer_moves(t.status),
            requested_by: t.requested_by,
            decided_by: t.decided_by,
            decided_at: t.decided_at,
            note: t.note.as_ref().map(ToString::to_string),
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

/// A client's transfers, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b44-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "client_name": "Maria Rivera",
    "from_team_id": "01936b2e-3a00-7a11-8c22-1d2e3f4a5b6c", "from_case_manager_id": null,
    "to_team_id": "01936b2e-3b00-7a11-8c22-1d2e3f4a5b6c", "to_case_manager_id": "01936b2e-4c00-7a11-8c22-1d2e3f4a5b6c",
    "summary": "Moved east.", "status": "accepted", "allowed_moves": [],
    "requested_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "decided_by": "01936b2e-4d00-7a11-8c22-1d2e3f4a5b6c",
    "decided_at": "2026-11-21T09:00:00Z", "note": null,
    "created_at": "2026-11-20T16:00:00Z", "updated_at": "2026-11-21T09:00:00Z", "version": 2
}]}))]
pub struct TransferList {
    pub items: Vec<TransferView>,
}

/// Who held a client, the earliest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [
    {"team_id": "01936b2e-3a00-7a11-8c22-1d2e3f4a5b6c", "case_manager_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
     "from": "2025-03-04T16:00:00Z", "until": "2026-11-21T09:00:00Z", "reason": "created",
     "by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c"},
    {"team_id": "01936b2e-3b00-7a11-8c22-1d2e3f4a5b6c", "case_manager_id": "01936b2e-4c00-7a11-8c22-1d2e3f4a5b6c",
     "from": "2026-11-21T09:00:00Z", "until": null, "reason": "transfer",
     "by": "01936b2e-4d00-7a11-8c22-1d2e3f4a5b6c"}
]}))]
pub struct AssignmentList {
    pub items: Vec<Assignment>,
}

/// Filters for transfers across clients.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TransferSearch {
    pub status: Option<TransferStatus>,
    /// Only those to this team: a supervisor's transfers waiting for an answer are
    /// `status=requested&to_team_id=<their team>`.
    pub to_team_id: Option<TeamId>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Ask for a client's transfer.
///
/// To another team, or to another case manager of the client's team, with a transfer summary for the
/// receiving side. The client's case manager, the team's supervisors, admins. A client waits on one transfer at
/// a time (409 while another waits).
#[utoipa::path(
    tag = "transfers", operation_id = "create_transfer", request_body = TransferInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The transfer waits for the receiving team.", body = TransferView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/transfers")]
pub async fn create_transfer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<TransferInput>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let input = body.value;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let record = usecases::request(tx, cx, client_id, input)?;
        Ok(Created {
            body: json_body(&TransferView::from(&record))?,
            location: format!("/v1/transfers/{}", record.transfer.id),
            etag: Some(etag(record.transfer.version)),
        })
    })
    .await
}

/// List a client's transfers.
///
/// Every one, oldest first. Whoever may read the client.
#[utoipa::path(
    tag = "transfers", operation_id = "list_client_transfers",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The transfers.", body = TransferList)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/transfers")]
pub async fn list_client_transfers(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let all = state
        .read_as(caller, move |tx, cx| {
            usecases::list_for_client(tx, cx, client_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(TransferList {
        items: all.iter().map(TransferView::from).collect(),
    }))
}

/// Get who held a client.
///
/// The client's teams and primary case managers over time, from when until when and why (created, assigned,
/// transfer). Whoever may read the client.
#[utoipa::path(
    tag = "transfers", operation_id = "list_assignments",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The assignment history.", body = AssignmentList)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/assignments")]
pub async fn list_assignments(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let items = state
        .read_as(caller, move |tx, cx| {
            usecases::assignments(tx, cx, client_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(AssignmentList { items }))
}

/// List transfers.
///
/// Those from or to the caller's team (an admin's: every one), oldest first. The receiving supervisor's queue
/// is `status=requested&to_team_id=<team>`.
#[utoipa::path(
    tag = "transfers", operation_id = "list_transfers", params(TransferSearch),
    responses((status = 200, description = "A page of transfers.", body = Page<TransferView>)),
    security(("bearer" = []))
)]
#[get("/transfers")]
pub async fn list_transfers(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<TransferSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    let filter = TransferFilter {
        status: search.status,
        to_team: search.to_team_id,
        ..TransferFilter::default()
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list(tx, cx, filter, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |r| TransferView::from(r))))
}

/// Get a transfer.
///
/// Staff of the sending or receiving team, admins.
#[utoipa::path(
    tag = "transfers", operation_id = "get_transfer",
    params(("transfer_id" = TransferId, Path, description = "The transfer's id")),
    responses((status = 200, description = "The transfer.", body = TransferView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/transfers/{transfer_id}")]
pub async fn get_transfer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<TransferId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let record = state
        .read_as(caller, move |tx, cx| usecases::get(tx, cx, id))
        .await?;
    Ok(ok_with_etag(
        record.transfer.version,
        &TransferView::from(&record),
    ))
}

/// Accept, decline or withdraw a transfer.
///
/// With its ETag in If-Match. `accepted` (a supervisor of the receiving team or an admin, naming the new case
/// manager in `case_manager_id` unless the request did): the client's team and case manager change at once,
/// and the assignment history records it. `declined` (the same, with a `note`). `cancelled`: the sending side
/// withdraws it. Of two answers at once, one wins; the other is a 412.
#[utoipa::path(
    tag = "transfers", operation_id = "move_transfer", request_body = TransferMove,
    params(("transfer_id" = TransferId, Path, description = "The transfer's id"), IfMatch),
    responses(
        (status = 200, description = "The transfer in its new status.", body = TransferView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The transfer was already decided.", body = IllegalMoveProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/transfers/{transfer_id}/status")]
pub async fn move_transfer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<TransferId>,
    if_match: IfMatch,
    body: ApiJson<TransferMove>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.value;
    let record = state
        .write_as(caller, move |tx, cx| {
            usecases::decide(tx, cx, id, &if_match, input)
        })
        .await?;
    Ok(ok_with_etag(
        record.transfer.version,
        &TransferView::from(&record),
    ))
}
