//! Critical events, residences and community tenure over HTTP: each handler
//! parses the request, runs one use case of [`crate::usecases::events`] and
//! shapes the answer.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::client::AddressInput;
use spoke_domain::consent::ConsentCategory;
use spoke_domain::critical_event::{CrisisService, EventInput, EventType, FollowUp, LearnedFrom};
use spoke_domain::ids::{ClientId, CriticalEventId, OrganizationId, ResidenceId, TeamId, UserId};
use spoke_domain::residence::{
    Residence, ResidenceInput, ResidenceSetting, SETTINGS, SettingCategory, SettingInfo, Tenure,
};
use spoke_persistence::events::EventFilter;
use spoke_persistence::page::Keyset;
use utoipa::{IntoParams, ToSchema};

use crate::context::{Caller, Cx};
use crate::db::Tx;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, etag, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::Forbidden;
use crate::problem::ApiError;
use crate::routes::{Page, json_body, ok_with_etag, ordered_days};
use crate::state::AppState;
use crate::usecases::events::{self as usecases, Recorded};

/// A critical event of a client, with what follows from it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b41-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "type": "psychiatric_hospitalization", "crisis_service": null,
    "started_on": "2026-11-02", "ended_on": "2026-11-09", "open": false, "length_of_stay_days": 7,
    "organization_id": null, "facility_name": "St. Vincent Behavioral Health Unit",
    "learned_from": "hospital_notification", "learned_on": "2026-11-03", "sensitivity": "mental_health",
    "notes": "Admitted after two nights without sleep; discharged on a new medication.",
    "follow_up": {"status": "met", "due_by": "2026-11-16", "seen_on": "2026-11-11",
        "contact_id": "01936b40-3c00-7c11-8d22-3e4f5a6b7c8d"},
    "created_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "created_at": "2026-11-03T14:00:00Z",
    "updated_at": "2026-11-09T18:30:00Z", "version": 2
}))]
pub struct CriticalEventView {
    pub id: CriticalEventId,
    pub client_id: ClientId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub crisis_service: Option<CrisisService>,
    pub started_on: NaiveDate,
    /// Null while a stay goes on; an event of one day ends the day it began.
    pub ended_on: Option<NaiveDate>,
    /// Whether it is a stay that goes on.
    pub open: bool,
    /// The nights of an ended stay (discharge day minus admission day; a same-day discharge is 0).
    pub length_of_stay_days: Option<i64>,
    pub organization_id: Option<OrganizationId>,
    pub facility_name: Option<String>,
    pub learned_from: LearnedFrom,
    pub learned_on: NaiveDate,
    pub sensitivity: ConsentCategory,
    pub notes: Option<String>,
    /// For an ended psychiatric hospitalization: the first contact that saw the client (in person, by video
    /// or by phone, the client present) from the day after the discharge through the 7th day, in the
    /// agency's dates; `pending` until then, `missed` after.
    pub follow_up: Option<FollowUp>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl From<&Recorded> for CriticalEventView {
    fn from(r: &Recorded) -> Self {
        let e = &r.event;
        let f = &e.fields;
        CriticalEventView {
            id: e.id,
            client_id: e.client_id,
            event_type: f.event_type,
            crisis_service: f.crisis_service,
            started_on: f.started_on,
            ended_on: f.ended_on,
            open: e.is_open(),
            length_of_stay_days: e.length_of_stay(),
            organization_id: f.organization_id,
            facility_name: f.facility_name.as_ref().map(ToString::to_string),
            learned_from: f.learned_from,
            learned_on: f.learned_on,
            sensitivity: f.sensitivity,
            notes: f.notes.as_ref().map(|n| n.as_str().to_owned()),
            follow_up: r.follow_up,
            created_by: e.created_by,
            created_at: e.created_at,
            updated_at: e.updated_at,
            version: e.version,
        }
    }
}

/// Filters for critical events.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClientEventSearch {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<EventType>,
    /// Only events going on some day from this one on.
    pub from: Option<NaiveDate>,
    /// Only events that began on or before this day.
    pub to: Option<NaiveDate>,
    /// `true`: only stays that go on; `false`: only events that ended.
    pub open: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Filters for critical events across clients.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventSearch {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<EventType>,
    /// Only events going on some day from this one on.
    pub from: Option<NaiveDate>,
    /// Only events that began on or before this day.
    pub to: Option<NaiveDate>,
    /// `true`: only stays that go on; `false`: only events that ended.
    pub open: Option<bool>,
    /// Only events of this team's clients.
    pub team_id: Option<TeamId>,
    /// Only events of this staff member's clients (as primary case manager).
    pub case_manager_id: Option<UserId>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

async fn changed_event(
    state: &AppState,
    caller: Caller,
    work: impl FnOnce(&mut Tx, &Cx) -> Result<Recorded, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let recorded = state.write_as(caller, work).await?;
    Ok(ok_with_etag(
        recorded.event.version,
        &CriticalEventView::from(&recorded),
    ))
}

/// Record a critical event.
///
/// A hospitalization, an emergency department visit, a crisis contact, detox, residential treatment, an
/// arrest or incarceration, a loss of housing, an overdose, a suicide attempt, a victimization, a death. A
/// stay (hospitalizations, withdrawal management, residential treatment, incarceration) stays open until its
/// `ended_on` is known; everything else happens on one day. The client's case manager, the team's
/// supervisors, admins.
#[utoipa::path(
    tag = "critical-events", operation_id = "create_critical_event", request_body = EventInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The event was recorded.", body = CriticalEventView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/critical-events")]
pub async fn create_critical_event(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<EventInput>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let input = body.value;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let recorded = usecases::create(tx, cx, client_id, input)?;
        Ok(Created {
            body: json_body(&CriticalEventView::from(&recorded))?,
            location: format!(
                "/v1/clients/{client_id}/critical-events/{}",
                recorded.event.id
            ),
            etag: Some(etag(recorded.event.version)),
        })
    })
    .await
}

/// List a client's critical events.
///
/// By start day, the earliest first. Whoever may read the client; a care-team member sees general and health
/// events, and those they recorded.
#[utoipa::path(
    tag = "critical-events", operation_id = "list_client_critical_events",
    params(("id" = ClientId, Path, description = "The client's id"), ClientEventSearch),
    responses((status = 200, description = "A page of events.", body = Page<CriticalEventView>)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/critical-events")]
pub async fn list_client_critical_events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    query: ApiQuery<ClientEventSearch>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    ordered_days(search.from, search.to, ("from", "to"))?;
    let filter = EventFilter {
        event_type: search.event_type,
        from: search.from,
        to: search.to,
        open: search.open,
        ..EventFilter::default()
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list_for_client(tx, cx, client_id, filter, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |e| CriticalEventView::from(e))))
}

/// Get a critical event.
///
/// With its length of stay and, for an ended psychiatric hospitalization, the follow-up within 7 days.
#[utoipa::path(
    tag = "critical-events", operation_id = "get_critical_event",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("event_id" = CriticalEventId, Path, description = "The event's id"),
    ),
    responses((status = 200, description = "The event.", body = CriticalEventView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/clients/{id}/critical-events/{event_id}")]
pub async fn get_critical_event(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, CriticalEventId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, event_id) = path.into_inner();
    let recorded = state
        .read_as(caller, move |tx, cx| {
            usecases::get(tx, cx, client_id, event_id)
        })
        .await?;
    Ok(ok_with_etag(
        recorded.event.version,
        &CriticalEventView::from(&recorded),
    ))
}

/// Change a critical event.
///
/// The whole event with its ETag in If-Match: a correction, or the day a stay ended.
#[utoipa::path(
    tag = "critical-events", operation_id = "replace_critical_event", request_body = EventInput,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("event_id" = CriticalEventId, Path, description = "The event's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The changed event.", body = CriticalEventView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/critical-events/{event_id}")]
pub async fn replace_critical_event(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, CriticalEventId)>,
    if_match: IfMatch,
    body: ApiJson<EventInput>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, event_id) = path.into_inner();
    let input = body.value;
    changed_event(&state, caller, move |tx, cx| {
        usecases::revise(tx, cx, client_id, event_id, &if_match, input)
    })
    .await
}

/// List critical events across clients.
///
/// Of every client the caller may see, by start day: this month's hospitalizations for a team, the stays that
/// go on (`open=true`), the psychiatric discharges and their follow-up.
#[utoipa::path(
    tag = "critical-events", operation_id = "list_critical_events", params(EventSearch),
    responses((status = 200, description = "A page of events.", body = Page<CriticalEventView>)),
    security(("bearer" = []))
)]
#[get("/critical-events")]
pub async fn list_critical_events(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<EventSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    ordered_days(search.from, search.to, ("from", "to"))?;
    let filter = EventFilter {
        client: None,
        team: search.team_id,
        case_manager: search.case_manager_id,
        event_type: search.event_type,
        from: search.from,
        to: search.to,
        open: search.open,
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list(tx, cx, &filter, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |e| CriticalEventView::from(e))))
}

/// A place a client lived.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b42-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "setting": "supportive_housing", "category": "community", "homeless": false,
    "address": {"line1": "1200 SE Division St", "line2": "Apt 4B", "city": "Portland", "region": "OR",
        "postal_code": "97202", "country": "US"},
    "moved_in_on": "2026-06-01", "moved_out_on": null, "current": true,
    "notes": "Housing First unit; lease in her name.",
    "created_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "created_at": "2026-06-01T15:00:00Z",
    "updated_at": "2026-06-01T15:00:00Z", "version": 1
}))]
pub struct ResidenceView {
    pub id: ResidenceId,
    pub client_id: ClientId,
    pub setting: ResidenceSetting,
    /// What the setting counts as (see `GET /v1/residence-settings`).
    pub category: SettingCategory,
    pub homeless: bool,
    pub address: Option<AddressInput>,
    pub moved_in_on: NaiveDate,
    /// The day the client moved out (spent in the next place); null while they live here.
    pub moved_out_on: Option<NaiveDate>,
    /// Whether the client lives here now.
    pub current: bool,
    pub notes: Option<String>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl From<&Residence> for ResidenceView {
    fn from(r: &Residence) -> Self {
        let f = &r.fields;
        let info = f.setting.info();
        ResidenceView {
            id: r.id,
            client_id: r.client_id,
            setting: f.setting,
            category: info.category,
            homeless: info.homeless,
            address: f.address.as_ref().map(AddressInput::from),
            moved_in_on: f.moved_in_on,
            moved_out_on: f.moved_out_on,
            current: f.moved_out_on.is_none(),
            notes: f.notes.as_ref().map(|n| n.as_str().to_owned()),
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A client's residences, the earliest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b42-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "setting": "emergency_shelter", "category": "community", "homeless": true, "address": null,
    "moved_in_on": "2026-03-02", "moved_out_on": "2026-06-01", "current": false, "notes": null,
    "created_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "created_at": "2026-03-02T15:00:00Z",
    "updated_at": "2026-06-01T15:00:00Z", "version": 2
}]}))]
pub struct ResidenceList {
    pub items: Vec<ResidenceView>,
}

/// Every residence setting and what it counts as.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [
    {"setting": "own_home", "label": "Own home or apartment", "category": "community", "homeless": false},
    {"setting": "psychiatric_hospital", "label": "Psychiatric hospital", "category": "institutional", "homeless": false}
]}))]
pub struct SettingList {
    pub items: Vec<SettingInfo>,
}

/// The period community tenure is counted over.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TenureQuery {
    /// The first day (default: 364 days before `to`).
    pub from: Option<NaiveDate>,
    /// The last day (default and at most: today). At most 3,660 days after `from`.
    pub to: Option<NaiveDate>,
}

/// Record where a client lives or lived.
///
/// A setting, an address, the day the client moved in and, for a past residence, the day they moved out. A
/// client lives in one place at a time: a residence that would overlap another is a 422, except that a new
/// current residence closes the current one (begun before it) on the day of the move. The client's case
/// manager, the team's supervisors, admins.
#[utoipa::path(
    tag = "residences", operation_id = "create_residence", request_body = ResidenceInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The residence was recorded.", body = ResidenceView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/residences")]
pub async fn create_residence(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<ResidenceInput>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let input = body.value;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let (residence, _closed) = usecases::create_residence(tx, cx, client_id, input)?;
        Ok(Created {
            body: json_body(&ResidenceView::from(&residence))?,
            location: format!("/v1/clients/{client_id}/residences/{}", residence.id),
            etag: Some(etag(residence.version)),
        })
    })
    .await
}

/// List a client's residences.
///
/// Every one, the earliest first (a history, not paged). Whoever may read the client.
#[utoipa::path(
    tag = "residences", operation_id = "list_residences",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The residences.", body = ResidenceList)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/residences")]
pub async fn list_residences(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let all = state
        .read_as(caller, move |tx, cx| {
            usecases::residences(tx, cx, client_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ResidenceList {
        items: all.iter().map(ResidenceView::from).collect(),
    }))
}

/// Get a residence.
///
/// With what its setting counts as. Whoever may read the client.
#[utoipa::path(
    tag = "residences", operation_id = "get_residence",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("residence_id" = ResidenceId, Path, description = "The residence's id"),
    ),
    responses((status = 200, description = "The residence.", body = ResidenceView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/clients/{id}/residences/{residence_id}")]
pub async fn get_residence(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, ResidenceId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, residence_id) = path.into_inner();
    let residence = state
        .read_as(caller, move |tx, cx| {
            usecases::get_residence(tx, cx, client_id, residence_id)
        })
        .await?;
    Ok(ok_with_etag(
        residence.version,
        &ResidenceView::from(&residence),
    ))
}

/// Change a residence.
///
/// The whole residence with its ETag in If-Match: a correction, or the day the client moved out. It may not
/// come to overlap another (422).
#[utoipa::path(
    tag = "residences", operation_id = "replace_residence", request_body = ResidenceInput,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("residence_id" = ResidenceId, Path, description = "The residence's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The changed residence.", body = ResidenceView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/residences/{residence_id}")]
pub async fn replace_residence(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, ResidenceId)>,
    if_match: IfMatch,
    body: ApiJson<ResidenceInput>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, residence_id) = path.into_inner();
    let input = body.value;
    let residence = state
        .write_as(caller, move |tx, cx| {
            usecases::revise_residence(tx, cx, client_id, residence_id, &if_match, input)
        })
        .await?;
    Ok(ok_with_etag(
        residence.version,
        &ResidenceView::from(&residence),
    ))
}

/// Get a client's community tenure.
///
/// Where the client was, day by day, from `from` through `to`: in a hospital, treatment or jail stay (from the
/// critical events the caller may read), else in the residence of the day, community or institutional, else
/// not known. Overlapping records count each day once; a stay comes before the residence.
#[utoipa::path(
    tag = "residences", operation_id = "get_community_tenure",
    params(("id" = ClientId, Path, description = "The client's id"), TenureQuery),
    responses((status = 200, description = "The days of the period by place.", body = Tenure)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/community-tenure")]
pub async fn get_community_tenure(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    query: ApiQuery<TenureQuery>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let period = query.0;
    let tenure = state
        .read_as(caller, move |tx, cx| {
            usecases::tenure(tx, cx, client_id, period.from, period.to)
        })
        .await?;
    Ok(HttpResponse::Ok().json(tenure))
}

/// List the residence settings.
///
/// Every setting a residence may have and what it counts as: community or institutional, and whether it is
/// homelessness. Any signed-in staff member.
#[utoipa::path(
    tag = "residences", operation_id = "list_residence_settings",
    responses((status = 200, description = "The settings.", body = SettingList)),
    security(("bearer" = []))
)]
#[get("/residence-settings")]
pub async fn list_residence_settings(_caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(SettingList {
        items: SETTINGS.to_vec(),
    })
}
