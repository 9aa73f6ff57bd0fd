//! Consents and closed-loop referrals, staff side: record and revoke
//! consents, draft referrals, send them (only under a covering consent),
//! cancel, redirect, follow their history; and the accounting of
//! disclosures.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::consent::{
    Consent, ConsentCategory, ConsentInput, ConsentMethod, Part2Elements, Recipient, Revocation,
};
use spoke_domain::ids::{
    ApiClientId, ClientId, ConsentId, DisclosureId, OrganizationId, ReferralId, ServiceId, UserId,
};
use spoke_domain::partner::{Channel, Disclosure};
use spoke_domain::referral::{
    MoveInput, Referral, ReferralEvent, ReferralInput, ReferralStatus, Side,
};
use spoke_persistence::page::Keyset;
use spoke_persistence::referrals::ReferralFilter;
use utoipa::{IntoParams, ToSchema};

use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, PageParams, etag, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::representation::ReferralView;
use crate::routes::{Page, json_body, ok_with_etag};
use crate::state::AppState;
use crate::usecases::referrals as usecases;

/// A client's consent.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b33-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "recipient_organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d", "any_organization": false,
    "categories": ["general"], "purpose": "Referral for food assistance", "effective_on": "2026-11-20",
    "expires_on": "2027-11-20", "method": "signed", "witness_name": null, "document_reference": null,
    "part2": null, "revocation": null, "active": true, "recorded_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
    "created_at": "2026-11-20T17:00:00Z", "updated_at": "2026-11-20T17:00:00Z", "version": 1
}))]
pub struct ConsentView {
    pub id: ConsentId,
    pub client_id: ClientId,
    pub recipient_organization_id: Option<OrganizationId>,
    pub any_organization: bool,
    pub categories: Vec<ConsentCategory>,
    pub purpose: String,
    pub effective_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub method: ConsentMethod,
    pub witness_name: Option<String>,
    pub document_reference: Option<String>,
    pub part2: Option<Part2Elements>,
    pub revocation: Option<Revocation>,
    /// In effect today and not revoked.
    pub active: bool,
    pub recorded_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl ConsentView {
    fn of(c: &Consent, today: NaiveDate) -> Self {
        let f = &c.fields;
        let (org, any) = match f.recipient {
            Recipient::Organization(org) => (Some(org), false),
            Recipient::AnyOrganization => (None, true),
        };
        ConsentView {
            id: c.id,
            client_id: c.client_id,
            recipient_organization_id: org,
            any_organization: any,
            categories: f.categories.iter().copied().collect(),
            purpose: f.purpose.to_string(),
            effective_on: f.effective_on,
            expires_on: f.expires_on,
            method: f.method,
            witness_name: f.witness_name.as_ref().map(ToString::to_string),
            document_reference: f.document_reference.as_ref().map(ToString::to_string),
            part2: f.part2.clone(),
            revocation: c.revocation.clone(),
            active: c.is_active(today),
            recorded_by: c.recorded_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// A client's consents, revoked ones included, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct ConsentList {
    pub items: Vec<ConsentView>,
}

/// A revocation as staff record it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Client asked to stop sharing with the clinic"}))]
pub struct RevokeRequest {
    pub reason: String,
}

/// A referral's history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b32-1a00-7c11-8d22-3e4f5a6b7c8d", "at": "2026-11-30T17:00:00Z",
    "by": {"kind": "staff", "user_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c"},
    "from": null, "to": "draft", "reason": null, "business_status": null
}]}))]
pub struct ReferralHistory {
    pub items: Vec<ReferralEvent>,
}

/// An illegal move (409, `application/problem+json`) of a referral, an appointment, a ride or a benefits
/// application: the moves allowed from the current status for the caller now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/illegal-referral-move", "title": "This move is not allowed", "status": 409,
    "detail": "the performer cannot move a referral from requested to completed",
    "instance": "/v1/partner/referrals/01936b34-1a00-7c11-8d22-3e4f5a6b7c8d/status",
    "request_id": "01936b2e-7a10-7f55-b1a8-9c3d2e1f0a44",
    "current_status": "requested", "allowed_moves": ["accepted", "rejected"]
}))]
pub struct IllegalMoveProblem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub instance: String,
    pub request_id: String,
    /// The record's status now.
    pub current_status: String,
    /// The moves the caller may make from it now.
    pub allowed_moves: Vec<String>,
}

/// A referral redirected to another service.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"service_id": "01936b2f-6b00-7c11-8d22-3e4f5a6b7c8d"}))]
pub struct RedirectRequest {
    pub service_id: ServiceId,
}

/// One disclosure of client information to a partner organization.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b35-1a00-7c11-8d22-3e4f5a6b7c8d", "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d",
    "api_client_id": "01936b36-1a00-7c11-8d22-3e4f5a6b7c8d", "referral_id": "01936b34-1a00-7c11-8d22-3e4f5a6b7c8d",
    "channel": "read", "disclosed": "name, date of birth, phone, preferred language, referral reason",
    "purpose": "Referral for food assistance", "consent_id": "01936b33-1a00-7c11-8d22-3e4f5a6b7c8d",
    "disclosed_at": "2026-12-01T09:00:00Z"
}))]
pub struct DisclosureView {
    pub id: DisclosureId,
    pub organization_id: OrganizationId,
    pub api_client_id: Option<ApiClientId>,
    pub referral_id: Option<ReferralId>,
    /// `read` (the partner fetched it) or `webhook` (it was pushed).
    pub channel: Channel,
    pub disclosed: String,
    pub purpose: String,
    pub consent_id: Option<ConsentId>,
    pub disclosed_at: DateTime<Utc>,
}

impl From<&Disclosure> for DisclosureView {
    fn from(d: &Disclosure) -> Self {
        DisclosureView {
            id: d.id,
            organization_id: d.organization_id,
            api_client_id: d.api_client_id,
            referral_id: d.referral_id,
            channel: d.channel,
            disclosed: d.disclosed.clone(),
            purpose: d.purpose.clone(),
            consent_id: d.consent_id,
            disclosed_at: d.disclosed_at,
        }
    }
}

/// Filters for the staff referral list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReferralSearch {
    pub client_id: Option<ClientId>,
    pub status: Option<ReferralStatus>,
    pub service_id: Option<ServiceId>,
    pub organization_id: Option<OrganizationId>,
    /// Only open referrals past their due date.
    pub overdue: Option<bool>,
    /// Only referrals changed after this moment (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A referral as its requester sees it, with its ETag.
fn with_etag(referral: &Referral, today: NaiveDate) -> HttpResponse {
    ok_with_etag(
        referral.version,
        &ReferralView::of(referral, Side::Requester, today),
    )
}

/// A new draft referral's 201.
fn created(referral: &Referral, today: NaiveDate) -> Result<Created, ApiError> {
    Ok(Created {
        body: json_body(&ReferralView::of(referral, Side::Requester, today))?,
        location: format!("/v1/referrals/{}", referral.id),
        etag: Some(etag(referral.version)),
    })
}

/// Record a consent.
///
/// What the client allows to be shared, with which organization (or any in the directory), for what
/// purpose, from when until when, and how it was given. A substance-use consent states the 42 CFR Part 2
/// elements, is signed, names its recipient and expires. The client's keepers.
#[utoipa::path(
    tag = "referrals", operation_id = "create_consent", request_body = ConsentInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The consent.", body = ConsentView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/consents")]
pub async fn create_consent(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<ConsentInput>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let client_id = id.into_inner();
    let fields = body.value.parse()?;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let consent = usecases::record_consent(tx, cx, client_id, fields)?;
        Ok(Created {
            body: json_body(&ConsentView::of(&consent, today))?,
            location: format!("/v1/clients/{client_id}/consents/{}", consent.id),
            etag: Some(etag(consent.version)),
        })
    })
    .await
}

/// List a client's consents.
///
/// Every consent, revoked ones included, oldest first; `active` tells which are in effect today.
#[utoipa::path(
    tag = "referrals", operation_id = "list_consents",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The consents.", body = ConsentList)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/consents")]
pub async fn list_consents(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let client_id = id.into_inner();
    let consents = state
        .read_as(caller, move |tx, cx| usecases::consents(tx, cx, client_id))
        .await?;
    Ok(HttpResponse::Ok().json(ConsentList {
        items: consents.iter().map(|c| ConsentView::of(c, today)).collect(),
    }))
}

/// Revoke a consent.
///
/// From now on it covers nothing; what was disclosed before stays in the accounting of disclosures. With the
/// consent's ETag in If-Match.
#[utoipa::path(
    tag = "referrals", operation_id = "revoke_consent", request_body = RevokeRequest,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("consent_id" = ConsentId, Path, description = "The consent's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The revoked consent.", body = ConsentView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/consents/{consent_id}/revoke")]
pub async fn revoke_consent(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, ConsentId)>,
    if_match: IfMatch,
    body: ApiJson<RevokeRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let (client_id, consent_id) = path.into_inner();
    let reason = body.value.reason;
    let consent = state
        .write_as(caller, move |tx, cx| {
            usecases::revoke_consent(tx, cx, client_id, consent_id, &if_match, &reason)
        })
        .await?;
    Ok(ok_with_etag(
        consent.version,
        &ConsentView::of(&consent, today),
    ))
}

/// Draft a referral.
///
/// To a service in the directory; its organization receives it once sent. The client's keepers.
#[utoipa::path(
    tag = "referrals", operation_id = "create_referral", request_body = ReferralInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The draft referral.", body = ReferralView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/referrals")]
pub async fn create_referral(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<ReferralInput>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let client_id = id.into_inner();
    let fields = body.value.parse()?;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let referral = usecases::draft(tx, cx, client_id, fields)?;
        created(&referral, today)
    })
    .await
}

/// List referrals.
///
/// The referrals of every client the caller may see, by update time (oldest first, for incremental sync
/// with `updated_since`), filtered by client, status, service, organization or `overdue`.
#[utoipa::path(
    tag = "referrals", operation_id = "list_referrals", params(ReferralSearch),
    responses((status = 200, description = "A page of referrals.", body = Page<ReferralView>)),
    security(("bearer" = []))
)]
#[get("/referrals")]
pub async fn list_referrals(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ReferralSearch>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    let filter = ReferralFilter {
        client_id: search.client_id,
        status: search.status,
        service_id: search.service_id,
        organization_id: search.organization_id,
        overdue_on: (search.overdue == Some(true)).then_some(today),
        updated_since: search.updated_since,
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list(tx, cx, &filter, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |r| {
        ReferralView::of(r, Side::Requester, today)
    })))
}

/// Get a referral.
///
/// Whoever may read the client; `allowed_moves` lists what the requester may do next.
#[utoipa::path(
    tag = "referrals", operation_id = "get_referral",
    params(("id" = ReferralId, Path, description = "The referral's id")),
    responses((status = 200, description = "The referral.", body = ReferralView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/referrals/{id}")]
pub async fn get_referral(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ReferralId>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let id = id.into_inner();
    let referral = state
        .read_as(caller, move |tx, cx| usecases::get(tx, cx, id))
        .await?;
    Ok(with_etag(&referral, today))
}

/// Change a referral.
///
/// The whole content, with the ETag in If-Match, while the loop is open: reason, needs, priority, the note for
/// the partner, categories, due date. Only a draft changes its service; once sent, new categories need a
/// consent that covers them. Subscribers hear `referral.updated`.
#[utoipa::path(
    tag = "referrals", operation_id = "replace_referral", request_body = ReferralInput,
    params(("id" = ReferralId, Path, description = "The referral's id"), IfMatch),
    responses(
        (status = 200, description = "The changed referral.", body = ReferralView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[put("/referrals/{id}")]
pub async fn replace_referral(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ReferralId>,
    if_match: IfMatch,
    body: ApiJson<ReferralInput>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let id = id.into_inner();
    let fields = body.value.parse()?;
    let referral = state
        .write_as(caller, move |tx, cx| {
            usecases::revise(tx, cx, id, &if_match, fields)
        })
        .await?;
    Ok(with_etag(&referral, today))
}

/// A referral's history.
///
/// Every move, oldest first: who (a staff user or the partner organization), when, from, to, and why.
#[utoipa::path(
    tag = "referrals", operation_id = "get_referral_history",
    params(("id" = ReferralId, Path, description = "The referral's id")),
    responses((status = 200, description = "The history.", body = ReferralHistory)),
    security(("bearer" = []))
)]
#[get("/referrals/{id}/history")]
pub async fn get_referral_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ReferralId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let items = state
        .read_as(caller, move |tx, cx| usecases::history(tx, cx, id))
        .await?;
    Ok(HttpResponse::Ok().json(ReferralHistory { items }))
}

/// Move a referral (requester).
///
/// Staff send a draft (`requested`: refused unless an active consent covers the organization and every
/// category of the referral) or cancel (with a reason). With the ETag in If-Match. An illegal move is a 409
/// listing the moves allowed now.
#[utoipa::path(
    tag = "referrals", operation_id = "transition_referral", request_body = MoveInput,
    params(("id" = ReferralId, Path, description = "The referral's id"), IfMatch),
    responses(
        (status = 200, description = "The moved referral.", body = ReferralView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The move is not allowed from the current status.", body = IllegalMoveProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/referrals/{id}/status")]
pub async fn transition_referral(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ReferralId>,
    if_match: IfMatch,
    body: ApiJson<MoveInput>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let id = id.into_inner();
    let input = body.value;
    let referral = state
        .write_as(caller, move |tx, cx| {
            usecases::move_as_requester(tx, cx, id, &if_match, input)
        })
        .await?;
    Ok(with_etag(&referral, today))
}

/// Redirect a rejected referral.
///
/// Creates a new draft to another service, linked to the rejected one by `redirected_from`; the rejected
/// referral and its history stay as they were.
#[utoipa::path(
    tag = "referrals", operation_id = "redirect_referral", request_body = RedirectRequest,
    params(("id" = ReferralId, Path, description = "The rejected referral's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The new draft referral.", body = ReferralView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/referrals/{id}/redirect")]
pub async fn redirect_referral(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ReferralId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<RedirectRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = caller.today();
    let id = id.into_inner();
    let service_id = body.value.service_id;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let referral = usecases::redirect(tx, cx, id, service_id)?;
        created(&referral, today)
    })
    .await
}

/// The accounting of disclosures.
///
/// Every time a partner organization received information about this client (a read of a referral, a
/// webhook), newest first: what, to whom, why, under which consent, when.
#[utoipa::path(
    tag = "referrals", operation_id = "list_disclosures",
    params(("id" = ClientId, Path, description = "The client's id"), PageParams),
    responses((status = 200, description = "A page of disclosures.", body = Page<DisclosureView>)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/disclosures")]
pub async fn list_disclosures(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    query: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let (limit, after) = query.0.request::<Keyset>()?;
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::disclosures(tx, cx, client_id, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |d| DisclosureView::from(d))))
}
