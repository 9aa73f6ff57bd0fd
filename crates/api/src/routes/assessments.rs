//! Assessment instruments, clients' assessments and their trend over HTTP:
//! each handler parses the request, runs one use case of
//! [`crate::usecases::assessments`] and shapes the answer.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::assessment::{
    Assessment, AssessmentInput, AssessmentKind, AssessmentStatus, DomainScore, DomainTrend,
    Instrument, InstrumentDomain, InstrumentInput,
};
use spoke_domain::ids::{AssessmentId, ClientId, InstrumentId, UserId};
use spoke_persistence::page::Keyset;
use utoipa::{IntoParams, ToSchema};

use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, etag, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::routes::{Page, json_body, ok_with_etag};
use crate::state::AppState;
use crate::usecases::assessments as usecases;

/// One version of an assessment instrument. Versions never change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b30-0a00-7c11-8d22-3e4f5a6b7c8d", "code": "ssm", "version": 1, "name": "Self-Sufficiency Matrix",
    "description": "Seventeen life domains, each scored from 1 (in crisis) to 5 (empowered).",
    "domains": [{"code": "housing", "label": "Housing", "allows_not_applicable": false, "required": true, "levels": [
        {"value": 1, "label": "In crisis", "anchor": "Homeless, or threatened with eviction."},
        {"value": 5, "label": "Empowered", "anchor": "Household is safe, adequate, unsubsidized housing."}
    ]}],
    "created_at": "2026-11-27T00:00:00Z"
}))]
pub struct InstrumentView {
    pub id: InstrumentId,
    /// The instrument; its versions share it.
    pub code: String,
    pub version: i32,
    pub name: String,
    pub description: Option<String>,
    pub domains: Vec<InstrumentDomain>,
    pub created_at: DateTime<Utc>,
}

impl From<&Instrument> for InstrumentView {
    fn from(i: &Instrument) -> Self {
        InstrumentView {
            id: i.id,
            code: i.fields.code.clone(),
            version: i.version,
            name: i.fields.name.to_string(),
            description: i.fields.description.as_ref().map(|d| d.as_str().to_owned()),
            domains: i.fields.domains.clone(),
            created_at: i.created_at,
        }
    }
}

/// Every version of every instrument, by code then version.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b30-0a00-7c11-8d22-3e4f5a6b7c8d", "code": "ssm", "version": 1, "name": "Self-Sufficiency Matrix",
    "description": null, "domains": [], "created_at": "2026-11-27T00:00:00Z"
}]}))]
pub struct InstrumentList {
    pub items: Vec<InstrumentView>,
}

/// An assessment of a client.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b30-1b00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "instrument_id": "01936b30-0a00-7c11-8d22-3e4f5a6b7c8d", "assessor_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
    "assessed_on": "2026-11-20", "kind": "periodic", "status": "final",
    "scores": [{"domain": "housing", "score": 2, "not_applicable": false, "note": "Staying with her sister."}],
    "overall_note": "Housing is the priority.", "amends": null, "finalized_at": "2026-11-20T18:00:00Z",
    "created_at": "2026-11-20T17:00:00Z", "updated_at": "2026-11-20T18:00:00Z", "version": 2
}))]
pub struct AssessmentView {
    pub id: AssessmentId,
    pub client_id: ClientId,
    pub instrument_id: InstrumentId,
    /// The staff user who made the assessment.
    pub assessor_id: UserId,
    pub assessed_on: NaiveDate,
    pub kind: AssessmentKind,
    /// `draft` changes; `final` never does.
    pub status: AssessmentStatus,
    pub scores: Vec<DomainScore>,
    pub overall_note: Option<String>,
    /// The final assessment this one corrects.
    pub amends: Option<AssessmentId>,
    pub finalized_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl From<&Assessment> for AssessmentView {
    fn from(a: &Assessment) -> Self {
        AssessmentView {
            id: a.id,
            client_id: a.client_id,
            instrument_id: a.fields.instrument_id,
            assessor_id: a.assessor_id,
            assessed_on: a.fields.assessed_on,
            kind: a.fields.kind,
            status: a.status,
            scores: a.fields.scores.clone(),
            overall_note: a
                .fields
                .overall_note
                .as_ref()
                .map(|n| n.as_str().to_owned()),
            amends: a.fields.amends,
            finalized_at: a.finalized_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

/// A client's scores per domain over time.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "instrument_code": "ssm", "instrument_id": "01936b30-0a00-7c11-8d22-3e4f5a6b7c8d",
    "domains": [{
        "domain": "housing", "label": "Housing",
        "series": [
            {"assessment_id": "01936b30-1a00-7c11-8d22-3e4f5a6b7c8d", "assessed_on": "2026-08-01", "kind": "intake", "score": 3, "not_applicable": false},
            {"assessment_id": "01936b30-1b00-7c11-8d22-3e4f5a6b7c8d", "assessed_on": "2026-11-20", "kind": "periodic", "score": 1, "not_applicable": false}
        ],
        "latest": 1, "change_since_previous": -2, "change_since_intake": -2, "flags": ["in_crisis", "dropped"]
    }]
}))]
pub struct TrendView {
    pub instrument_code: String,
    /// The newest version of the instrument, whose domains are listed.
    pub instrument_id: InstrumentId,
    pub domains: Vec<DomainTrend>,
}

/// Which instrument a trend follows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TrendQuery {
    /// The instrument's code (default `ssm`, the Self-Sufficiency Matrix).
    #[param(example = "ssm")]
    pub instrument: Option<String>,
}

/// A page of a client's assessments.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssessmentPageParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List assessment instruments.
///
/// Every version of every instrument, with its domains, scales and anchor descriptions. The
/// Self-Sufficiency Matrix (`ssm`) is built in. Every staff role.
#[utoipa::path(
    tag = "assessments", operation_id = "list_instruments",
    responses((status = 200, description = "The instruments.", body = InstrumentList)),
    security(("bearer" = []))
)]
#[get("/instruments")]
pub async fn list_instruments(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let all = state
        .read_as(caller, |tx, _| usecases::list_instruments(tx))
        .await?;
    Ok(HttpResponse::Ok().json(InstrumentList {
        items: all.iter().map(InstrumentView::from).collect(),
    }))
}

/// Get an instrument version.
///
/// Every staff role.
#[utoipa::path(
    tag = "assessments", operation_id = "get_instrument",
    params(("id" = InstrumentId, Path, description = "The instrument version's id")),
    responses((status = 200, description = "The instrument version.", body = InstrumentView)),
    security(("bearer" = []))
)]
#[get("/instruments/{id}")]
pub async fn get_instrument(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<InstrumentId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let instrument = state
        .read_as(caller, move |tx, _| usecases::get_instrument(tx, id))
        .await?;
    Ok(HttpResponse::Ok().json(InstrumentView::from(&instrument)))
}

/// Add an instrument, or a new version of one.
///
/// Admins only. A new `code` starts at version 1; a code in use gets its next version, and the
/// versions before stay exactly as they were, as do the assessments made on them.
#[utoipa::path(
    tag = "assessments", operation_id = "create_instrument", request_body = InstrumentInput,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "The instrument version was added.", body = InstrumentView,
            headers(("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/instruments")]
pub async fn create_instrument(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<InstrumentInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let instrument = usecases::add_instrument(tx, cx, input)?;
        Ok(Created {
            body: json_body(&InstrumentView::from(&instrument))?,
            location: format!("/v1/instruments/{}", instrument.id),
            etag: None,
        })
    })
    .await
}

/// Start an assessment.
///
/// A draft on one instrument version: scores may be partial and change until it is finalized. To correct
/// a final assessment, start a new one with `amends`. The client's case manager, the team's supervisors
/// and admins.
#[utoipa::path(
    tag = "assessments", operation_id = "create_assessment", request_body = AssessmentInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The draft was created.", body = AssessmentView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/assessments")]
pub async fn create_assessment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<AssessmentInput>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let input = body.value;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let assessment = usecases::create(tx, cx, client_id, input)?;
        Ok(Created {
            body: json_body(&AssessmentView::from(&assessment))?,
            location: format!("/v1/clients/{client_id}/assessments/{}", assessment.id),
            etag: Some(etag(assessment.version)),
        })
    })
    .await
}

/// List a client's assessments.
///
/// Newest first, drafts included.
#[utoipa::path(
    tag = "assessments", operation_id = "list_assessments",
    params(("id" = ClientId, Path, description = "The client's id"), AssessmentPageParams),
    responses((status = 200, description = "A page of assessments.", body = Page<AssessmentView>)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/assessments")]
pub async fn list_assessments(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    query: ApiQuery<AssessmentPageParams>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let (limit, after) = page_request::<Keyset>(query.0.limit, query.0.cursor.as_deref())?;
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list(tx, cx, client_id, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |a| AssessmentView::from(a))))
}

/// A client's assessment trend.
///
/// Per domain of the instrument (its newest version), the series of final scores over time, the change
/// since the previous score and since intake, and flags: `in_crisis` when the latest score is the lowest
/// level, `dropped` when it fell by two or more since the previous one. "Not applicable" answers are in the
/// series but never in the arithmetic; an amended assessment is replaced by its amendment.
#[utoipa::path(
    tag = "assessments", operation_id = "get_assessment_trend",
    params(("id" = ClientId, Path, description = "The client's id"), TrendQuery),
    responses((status = 200, description = "The trend per domain.", body = TrendView)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/assessments/trend")]
pub async fn get_assessment_trend(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    query: ApiQuery<TrendQuery>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let code = query.0.instrument.unwrap_or_else(|| "ssm".to_owned());
    let (instrument, domains) = state
        .read_as(caller, move |tx, cx| {
            usecases::trend_of(tx, cx, client_id, &code)
        })
        .await?;
    Ok(HttpResponse::Ok().json(TrendView {
        instrument_code: instrument.fields.code,
        instrument_id: instrument.id,
        domains,
    }))
}

/// Get an assessment.
///
/// Whoever may read the client.
#[utoipa::path(
    tag = "assessments", operation_id = "get_assessment",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("assessment_id" = AssessmentId, Path, description = "The assessment's id"),
    ),
    responses((status = 200, description = "The assessment.", body = AssessmentView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/clients/{id}/assessments/{assessment_id}")]
pub async fn get_assessment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, AssessmentId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, assessment_id) = path.into_inner();
    let assessment = state
        .read_as(caller, move |tx, cx| {
            usecases::get(tx, cx, client_id, assessment_id)
        })
        .await?;
    Ok(ok_with_etag(
        assessment.version,
        &AssessmentView::from(&assessment),
    ))
}

/// Revise a draft assessment.
///
/// The whole draft, with its ETag in If-Match. A final assessment never changes (409): start a new one that
/// amends it.
#[utoipa::path(
    tag = "assessments", operation_id = "replace_assessment", request_body = AssessmentInput,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("assessment_id" = AssessmentId, Path, description = "The assessment's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The revised draft.", body = AssessmentView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/assessments/{assessment_id}")]
pub async fn replace_assessment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, AssessmentId)>,
    if_match: IfMatch,
    body: ApiJson<AssessmentInput>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, assessment_id) = path.into_inner();
    let input = body.value;
    let assessment = state
        .write_as(caller, move |tx, cx| {
            usecases::revise(tx, cx, client_id, assessment_id, &if_match, input)
        })
        .await?;
    Ok(ok_with_etag(
        assessment.version,
        &AssessmentView::from(&assessment),
    ))
}

/// Finalize an assessment.
///
/// With its ETag in If-Match. Every required domain must be answered (a score, or "not applicable" where
/// the domain allows it); a 422 lists the missing ones. From then on the assessment never changes.
#[utoipa::path(
    tag = "assessments", operation_id = "finalize_assessment",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("assessment_id" = AssessmentId, Path, description = "The assessment's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The final assessment.", body = AssessmentView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/assessments/{assessment_id}/finalize")]
pub async fn finalize_assessment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, AssessmentId)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (client_id, assessment_id) = path.into_inner();
    let assessment = state
        .write_as(caller, move |tx, cx| {
            usecases::finalize(tx, cx, client_id, assessment_id, &if_match)
        })
        .await?;
    Ok(ok_with_etag(
        assessment.version,
        &AssessmentView::from(&assessment),
    ))
}
