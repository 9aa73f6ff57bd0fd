//! The people around a client over HTTP: each handler parses the request,
//! runs one use case of [`crate::usecases::care`] and shapes the answer.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use spoke_domain::care::{
    CareTeamInput, CareTeamKind, CareTeamMember, CareTeamPerson, NaturalSupport,
    NaturalSupportFields, NaturalSupportInput, Profession,
};
use spoke_domain::ids::{CareTeamMemberId, ClientId, NaturalSupportId, UserId};
use utoipa::ToSchema;

use crate::context::Caller;
use crate::extract::{ApiJson, IdempotencyKey, IfMatch, etag};
use crate::idempotency::{self, Created};
use crate::openapi::Forbidden;
use crate::problem::ApiError;
use crate::routes::{json_body, ok_with_etag};
use crate::state::AppState;
use crate::usecases::care as usecases;

/// A member of a client's care team.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2f-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "kind": "external", "user_id": null, "name": "Dr. Ana Lopez", "profession": "psychiatrist",
    "organization": "Cascadia Behavioral Health", "phone": "+15035550188", "email": "alopez@cascadia.example.org",
    "responsibility": "Medication management", "started_on": "2026-09-01", "ended_on": null, "current": true,
    "created_at": "2026-09-01T16:00:00Z", "updated_at": "2026-09-01T16:00:00Z", "version": 1
}))]
pub struct CareTeamMemberView {
    pub id: CareTeamMemberId,
    pub client_id: ClientId,
    /// `staff` (a Spoke user, in `user_id`) or `external` (name, profession, contact).
    pub kind: CareTeamKind,
    pub user_id: Option<UserId>,
    pub name: Option<String>,
    pub profession: Option<Profession>,
    pub organization: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// What they do for this client.
    pub responsibility: Option<String>,
    pub started_on: NaiveDate,
    /// The last day of the membership; null while it lasts.
    pub ended_on: Option<NaiveDate>,
    /// Whether the membership covers today. A staff user with the `care_team_member` role reads the
    /// client only while it does.
    pub current: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl CareTeamMemberView {
    fn of(m: &CareTeamMember, today: NaiveDate) -> Self {
        let f = &m.fields;
        let mut view = CareTeamMemberView {
            id: m.id,
            client_id: m.client_id,
            kind: CareTeamKind::Staff,
            user_id: None,
            name: None,
            profession: None,
            organization: None,
            phone: None,
            email: None,
            responsibility: f.responsibility.as_ref().map(ToString::to_string),
            started_on: f.period.started_on,
            ended_on: f.period.ended_on,
            current: f.period.covers(today),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        };
        match &f.person {
            CareTeamPerson::Staff { user_id } => view.user_id = Some(*user_id),
            CareTeamPerson::External {
                name,
                profession,
                organization,
                phone,
                email,
            } => {
                view.kind = CareTeamKind::External;
                view.name = Some(name.to_string());
                view.profession = Some(*profession);
                view.organization = organization.as_ref().map(ToString::to_string);
                view.phone = phone.as_ref().map(ToString::to_string);
                view.email = email.as_ref().map(ToString::to_string);
            }
        }
        view
    }
}

/// A client's care team, past members included, by start date.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b2f-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "kind": "staff", "user_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "name": null, "profession": null,
    "organization": null, "phone": null, "email": null, "responsibility": "Weekly therapy",
    "started_on": "2026-09-01", "ended_on": null, "current": true,
    "created_at": "2026-09-01T16:00:00Z", "updated_at": "2026-09-01T16:00:00Z", "version": 1
}]}))]
pub struct CareTeamList {
    pub items: Vec<CareTeamMemberView>,
}

/// A natural support: someone in the client's own life who helps them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2f-2b00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "name": "Rosa Rivera", "relationship": "sibling", "phone": "+15035550120", "email": null,
    "role_in_plan": "Drives Maria to her Thursday appointments", "may_share_information": true,
    "created_at": "2026-09-01T16:00:00Z", "updated_at": "2026-09-01T16:00:00Z", "version": 1
}))]
pub struct NaturalSupportView {
    pub id: NaturalSupportId,
    pub client_id: ClientId,
    #[serde(flatten)]
    pub fields: NaturalSupportFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl From<&NaturalSupport> for NaturalSupportView {
    fn from(s: &NaturalSupport) -> Self {
        NaturalSupportView {
            id: s.id,
            client_id: s.client_id,
            fields: s.fields.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// A client's natural supports, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b2f-2b00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "name": "Rosa Rivera", "relationship": "sibling", "phone": "+15035550120", "email": null,
    "role_in_plan": "Drives Maria to her Thursday appointments", "may_share_information": true,
    "created_at": "2026-09-01T16:00:00Z", "updated_at": "2026-09-01T16:00:00Z", "version": 1
}]}))]
pub struct NaturalSupportList {
    pub items: Vec<NaturalSupportView>,
}

/// Add a care-team member.
///
/// A staff user (`kind: staff`, with `user_id`) or an outside professional (`kind: external`, with `name`
/// and `profession`), for a period. A staff user with the `care_team_member` role then reads this client
/// and adds notes while the period covers the day. The client's case manager, the team's supervisors
/// and admins.
#[utoipa::path(
    tag = "care", operation_id = "create_care_team_member", request_body = CareTeamInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The member was added.", body = CareTeamMemberView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/care-team")]
pub async fn create_care_team_member(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<CareTeamInput>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let client_id = id.into_inner();
    let fields = body.value.parse()?;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let member = usecases::create_member(tx, cx, client_id, fields)?;
        Ok(Created {
            body: json_body(&CareTeamMemberView::of(&member, today))?,
            location: format!("/v1/clients/{client_id}/care-team/{}", member.id),
            etag: Some(etag(member.version)),
        })
    })
    .await
}

/// List a client's care team.
///
/// Every membership, past ones included, by start date; `current` tells who is on the team today.
#[utoipa::path(
    tag = "care", operation_id = "list_care_team",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The care team.", body = CareTeamList)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/care-team")]
pub async fn list_care_team(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let client_id = id.into_inner();
    let members = state
        .read_as(caller, move |tx, cx| {
            usecases::list_members(tx, cx, client_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(CareTeamList {
        items: members
            .iter()
            .map(|m| CareTeamMemberView::of(m, today))
            .collect(),
    }))
}

/// Get a care-team member.
///
/// Whoever may read the client reads its care team.
#[utoipa::path(
    tag = "care", operation_id = "get_care_team_member",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("member_id" = CareTeamMemberId, Path, description = "The membership's id"),
    ),
    responses((status = 200, description = "The member.", body = CareTeamMemberView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/clients/{id}/care-team/{member_id}")]
pub async fn get_care_team_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, CareTeamMemberId)>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let (client_id, member_id) = path.into_inner();
    let member = state
        .read_as(caller, move |tx, cx| {
            usecases::get_member(tx, cx, client_id, member_id)
        })
        .await?;
    Ok(ok_with_etag(
        member.version,
        &CareTeamMemberView::of(&member, today),
    ))
}

/// Replace a care-team member.
///
/// The whole membership, with its ETag in If-Match; set `ended_on` to end it (history is kept).
#[utoipa::path(
    tag = "care", operation_id = "replace_care_team_member", request_body = CareTeamInput,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("member_id" = CareTeamMemberId, Path, description = "The membership's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The changed member.", body = CareTeamMemberView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/care-team/{member_id}")]
pub async fn replace_care_team_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, CareTeamMemberId)>,
    if_match: IfMatch,
    body: ApiJson<CareTeamInput>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let (client_id, member_id) = path.into_inner();
    let fields = body.value.parse()?;
    let member = state
        .write_as(caller, move |tx, cx| {
            usecases::replace_member(tx, cx, client_id, member_id, &if_match, fields)
        })
        .await?;
    Ok(ok_with_etag(
        member.version,
        &CareTeamMemberView::of(&member, today),
    ))
}

/// Add a natural support.
///
/// Family, friends, faith community, neighbours: their relationship, contact, role in the plan, and
/// whether the client allows staff to share information with them. The client's keepers.
#[utoipa::path(
    tag = "care", operation_id = "create_natural_support", request_body = NaturalSupportInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The support was added.", body = NaturalSupportView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/natural-supports")]
pub async fn create_natural_support(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<NaturalSupportInput>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let fields = body.value.parse()?;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let support = usecases::create_support(tx, cx, client_id, fields)?;
        Ok(Created {
            body: json_body(&NaturalSupportView::from(&support))?,
            location: format!("/v1/clients/{client_id}/natural-supports/{}", support.id),
            etag: Some(etag(support.version)),
        })
    })
    .await
}

/// List a client's natural supports.
///
/// Every natural support, oldest first, each with whether the client allows sharing information with them.
#[utoipa::path(
    tag = "care", operation_id = "list_natural_supports",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The natural supports, oldest first.", body = NaturalSupportList)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/natural-supports")]
pub async fn list_natural_supports(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let supports = state
        .read_as(caller, move |tx, cx| {
            usecases::list_supports(tx, cx, client_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(NaturalSupportList {
        items: supports.iter().map(NaturalSupportView::from).collect(),
    }))
}

/// Get a natural support.
///
/// Whoever may read the client reads its natural supports.
#[utoipa::path(
    tag = "care", operation_id = "get_natural_support",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("support_id" = NaturalSupportId, Path, description = "The support's id"),
    ),
    responses((status = 200, description = "The support.", body = NaturalSupportView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/clients/{id}/natural-supports/{support_id}")]
pub async fn get_natural_support(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, NaturalSupportId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, support_id) = path.into_inner();
    let support = state
        .read_as(caller, move |tx, cx| {
            usecases::get_support(tx, cx, client_id, support_id)
        })
        .await?;
    Ok(ok_with_etag(
        support.version,
        &NaturalSupportView::from(&support),
    ))
}

/// Replace a natural support.
///
/// The whole record, with its ETag in If-Match.
#[utoipa::path(
    tag = "care", operation_id = "replace_natural_support", request_body = NaturalSupportInput,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("support_id" = NaturalSupportId, Path, description = "The support's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The changed support.", body = NaturalSupportView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/natural-supports/{support_id}")]
pub async fn replace_natural_support(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, NaturalSupportId)>,
    if_match: IfMatch,
    body: ApiJson<NaturalSupportInput>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, support_id) = path.into_inner();
    let fields = body.value.parse()?;
    let support = state
        .write_as(caller, move |tx, cx| {
            usecases::replace_support(tx, cx, client_id, support_id, &if_match, fields)
        })
        .await?;
    Ok(ok_with_etag(
        support.version,
        &NaturalSupportView::from(&support),
    ))
}

/// Remove a natural support.
///
/// With its ETag in If-Match. The audit log keeps that it existed.
#[utoipa::path(
    tag = "care", operation_id = "delete_natural_support",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("support_id" = NaturalSupportId, Path, description = "The support's id"),
        IfMatch,
    ),
    responses(
        (status = 204, description = "The support was removed."),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[delete("/clients/{id}/natural-supports/{support_id}")]
pub async fn delete_natural_support(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, NaturalSupportId)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (client_id, support_id) = path.into_inner();
    state
        .write_as(caller, move |tx, cx| {
            usecases::delete_support(tx, cx, client_id, support_id, &if_match)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
