//! Appointments, rides and calendars over HTTP: each handler parses the
//! request, runs one use case of [`crate::usecases::appointments`] and
//! shapes the answer (JSON, or iCalendar for the feeds).

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::appointment::{
    Appointment, AppointmentInput, AppointmentKind, AppointmentMove, AppointmentStatus,
    CancelledBy, RideMove, RideStatus, TransportMode,
};
use spoke_domain::consent::ConsentCategory;
use spoke_domain::ids::{
    AppointmentId, CareTeamMemberId, ClientId, LocationId, ReferralId, ServiceId, TaskId, TeamId,
    UserId,
};
use spoke_persistence::appointments::AppointmentFilter;
use spoke_persistence::page::Keyset;
use utoipa::{IntoParams, ToSchema};

use crate::calendar;
use crate::context::{Caller, Clock, Cx, request_id};
use crate::db::Tx;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, etag, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden, NotFound};
use crate::problem::ApiError;
use crate::routes::referrals::IllegalMoveProblem;
use crate::routes::{Page, json_body, ok_with_etag, ordered_days};
use crate::state::AppState;
use crate::usecases::appointments as usecases;

/// An appointment's ride.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "mode": "nemt", "status": "arranged", "allowed_moves": ["failed"],
    "pickup_address": "1200 Elm St, Apt 4B, Springfield", "pickup_at": "2026-12-03T14:15:00Z",
    "local_pickup_at": "2026-12-03T09:15:00-05:00", "staff_ids": [], "cost_cents": 0,
    "nemt_trip_id": "MTM-4471902", "arranged_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
    "arranged_at": "2026-11-28T16:02:00Z", "failure_reason": null
}))]
pub struct RideView {
    pub mode: TransportMode,
    /// `requested` → `arranged` → `completed` | `failed`.
    pub status: RideStatus,
    /// The moves allowed now (`completed` once the pickup, or the start, has passed).
    pub allowed_moves: Vec<RideStatus>,
    pub pickup_address: Option<String>,
    pub pickup_at: Option<DateTime<Utc>>,
    /// The pickup on the agency's clock, with that day's offset.
    pub local_pickup_at: Option<DateTime<FixedOffset>>,
    /// The staff who drive or ride along.
    pub staff_ids: Vec<UserId>,
    pub cost_cents: Option<i64>,
    pub nemt_trip_id: Option<String>,
    /// Who arranged it, and when.
    pub arranged_by: Option<UserId>,
    pub arranged_at: Option<DateTime<Utc>>,
    pub failure_reason: Option<String>,
}

/// An appointment of a client.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b36-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "starts_at": "2026-12-03T15:00:00Z", "ends_at": "2026-12-03T15:45:00Z",
    "local_starts_at": "2026-12-03T10:00:00-05:00", "local_ends_at": "2026-12-03T10:45:00-05:00",
    "time_zone": "America/New_York", "kind": "psychiatric",
    "care_team_member_id": "01936b30-1c00-7c11-8d22-3e4f5a6b7c8d", "service_id": null, "with_name": null,
    "location_id": null, "address": "Riverside Clinic, 40 Mill Rd, Springfield", "case_manager_attends": true,
    "referral_id": null, "task_id": null, "notes": "Bring the medication list.", "sensitivity": "mental_health",
    "status": "scheduled", "allowed_moves": ["cancelled", "rescheduled"], "status_changed_by": null,
    "status_changed_at": null, "status_reason": null, "cancelled_by": null, "rescheduled_from": null,
    "rescheduled_to": null,
    "transport": {"mode": "nemt", "status": "arranged", "allowed_moves": ["failed"],
        "pickup_address": "1200 Elm St, Apt 4B, Springfield", "pickup_at": "2026-12-03T14:15:00Z",
        "local_pickup_at": "2026-12-03T09:15:00-05:00", "staff_ids": [], "cost_cents": 0,
        "nemt_trip_id": "MTM-4471902", "arranged_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
        "arranged_at": "2026-11-28T16:02:00Z", "failure_reason": null},
    "created_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "created_at": "2026-11-27T15:00:00Z",
    "updated_at": "2026-11-28T16:02:00Z", "version": 2
}))]
pub struct AppointmentView {
    pub id: AppointmentId,
    pub client_id: ClientId,
    /// Stored in UTC.
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The start on the agency's clock (`time_zone`), with that day's offset: standard or daylight time.
    pub local_starts_at: DateTime<FixedOffset>,
    pub local_ends_at: DateTime<FixedOffset>,
    /// The agency's time zone (`SPOKE_TIMEZONE`), an IANA name.
    pub time_zone: String,
    pub kind: AppointmentKind,
    pub care_team_member_id: Option<CareTeamMemberId>,
    pub service_id: Option<ServiceId>,
    pub with_name: Option<String>,
    pub location_id: Option<LocationId>,
    pub address: Option<String>,
    pub case_manager_attends: bool,
    /// The referral this is the first visit of.
    pub referral_id: Option<ReferralId>,
    pub task_id: Option<TaskId>,
    pub notes: Option<String>,
    pub sensitivity: ConsentCategory,
    pub status: AppointmentStatus,
    /// The moves allowed now: `kept` and `missed` once the appointment has begun.
    pub allowed_moves: Vec<AppointmentStatus>,
    pub status_changed_by: Option<UserId>,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub status_reason: Option<String>,
    pub cancelled_by: Option<CancelledBy>,
    /// The appointment this one replaced.
    pub rescheduled_from: Option<AppointmentId>,
    /// The appointment that replaced this one.
    pub rescheduled_to: Option<AppointmentId>,
    /// The ride; null when none is needed.
    pub transport: Option<RideView>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl AppointmentView {
    /// The appointment as seen at `now` on the agency's `clock`.
    pub fn of(a: &Appointment, clock: &Clock, now: DateTime<Utc>) -> AppointmentView {
        let f = &a.fields;
        AppointmentView {
            id: a.id,
            client_id: a.client_id,
            starts_at: f.starts_at,
            ends_at: f.ends_at,
            local_starts_at: clock.zoned(f.starts_at),
            local_ends_at: clock.zoned(f.ends_at),
            time_zone: clock.timezone_name().to_owned(),
            kind: f.kind,
            care_team_member_id: f.care_team_member_id,
            service_id: f.service_id,
            with_name: f.with_name.as_ref().map(ToString::to_string),
            location_id: f.location_id,
            address: f.address.as_ref().map(ToString::to_string),
            case_manager_attends: f.case_manager_attends,
            referral_id: f.referral_id,
            task_id: f.task_id,
            notes: f.notes.as_ref().map(|n| n.as_str().to_owned()),
            sensitivity: f.sensitivity,
            status: a.status,
            allowed_moves: a.allowed_moves(now),
            status_changed_by: a.status_changed_by,
            status_changed_at: a.status_changed_at,
            status_reason: a.status_reason.as_ref().map(ToString::to_string),
            cancelled_by: a.cancelled_by,
            rescheduled_from: a.rescheduled_from,
            rescheduled_to: a.rescheduled_to,
            transport: a.ride.as_ref().map(|ride| RideView {
                mode: ride.plan.mode,
                status: ride.status,
                allowed_moves: a.ride_moves(now),
                pickup_address: ride.plan.pickup_address.as_ref().map(ToString::to_string),
                pickup_at: ride.plan.pickup_at,
                local_pickup_at: ride.plan.pickup_at.map(|at| clock.zoned(at)),
                staff_ids: ride.plan.staff_ids.clone(),
                cost_cents: ride.plan.cost_cents,
                nemt_trip_id: ride.plan.nemt_trip_id.as_ref().map(ToString::to_string),
                arranged_by: ride.arranged_by,
                arranged_at: ride.arranged_at,
                failure_reason: ride.failure_reason.as_ref().map(ToString::to_string),
            }),
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

/// Filters for a client's appointments.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClientAppointmentSearch {
    /// Starting on this day or later (the agency's date).
    pub from: Option<NaiveDate>,
    /// Starting on this day or earlier (the agency's date).
    pub to: Option<NaiveDate>,
    pub status: Option<AppointmentStatus>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Filters for a calendar across clients.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AppointmentSearch {
    /// A staff member's calendar: the appointments of the clients they are primary case manager of.
    pub case_manager_id: Option<UserId>,
    /// A team's calendar.
    pub team_id: Option<TeamId>,
    /// Starting on this day or later (the agency's date).
    pub from: Option<NaiveDate>,
    /// Starting on this day or earlier (the agency's date).
    pub to: Option<NaiveDate>,
    pub status: Option<AppointmentStatus>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The dispatcher's day.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RideSearch {
    /// The agency's date the rides leave on.
    pub date: NaiveDate,
    /// Only rides of this team's clients.
    pub team_id: Option<TeamId>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A span of time: from a moment (inclusive), until one (exclusive).
type Span = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The agency-date range `from..=to` as moments, a day's start on the
/// agency's clock.
fn moments(
    clock: &Clock,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Span, ApiError> {
    ordered_days(from, to, ("from", "to"))?;
    Ok((
        from.map(|day| clock.start_of(day)),
        to.and_then(|day| day.succ_opt())
            .map(|day| clock.start_of(day)),
    ))
}

fn page_of(
    page: spoke_persistence::page::Page<Appointment>,
    clock: &Clock,
    now: DateTime<Utc>,
) -> HttpResponse {
    HttpResponse::Ok().json(Page::from_store(page, |a| {
        AppointmentView::of(a, clock, now)
    }))
}

/// Runs `work` as a write by `caller` and answers with the appointment it
/// returns, as seen at that moment, and its ETag.
async fn changed(
    state: &AppState,
    caller: Caller,
    work: impl FnOnce(&mut Tx, &Cx) -> Result<Appointment, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let (appointment, now) = state
        .write_as(caller, move |tx, cx| Ok((work(tx, cx)?, cx.now)))
        .await?;
    Ok(ok_with_etag(
        appointment.version,
        &AppointmentView::of(&appointment, &state.clock, now),
    ))
}

/// Schedule an appointment.
///
/// With whom (a care-team member of the client, a directory service, or a name) and where (a directory
/// location or an address), and the ride when one is needed. A client flagged `two_person_visits` is never
/// driven by one staff member alone: a `case_manager_drives` ride names two in `transport.staff_ids`
/// (otherwise 422, code `two_person_visits`). `referral_id` marks the first visit of a referral: keeping the
/// appointment sets the referral's `linked_on`. The client's case manager, the team's supervisors, admins.
#[utoipa::path(
    tag = "appointments", operation_id = "create_appointment", request_body = AppointmentInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The appointment was scheduled.", body = AppointmentView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/appointments")]
pub async fn create_appointment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<AppointmentInput>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let input = body.value;
    let clock = state.clock;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let appointment = usecases::create(tx, cx, client_id, input)?;
        Ok(Created {
            body: json_body(&AppointmentView::of(&appointment, &clock, cx.now))?,
            location: format!("/v1/clients/{client_id}/appointments/{}", appointment.id),
            etag: Some(etag(appointment.version)),
        })
    })
    .await
}

/// List a client's appointments.
///
/// In time order, from the earliest; `from` and `to` are the agency's dates. A care-team member sees general
/// and health appointments, and those they made.
#[utoipa::path(
    tag = "appointments", operation_id = "list_client_appointments",
    params(("id" = ClientId, Path, description = "The client's id"), ClientAppointmentSearch),
    responses((status = 200, description = "A page of appointments.", body = Page<AppointmentView>)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/appointments")]
pub async fn list_client_appointments(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    query: ApiQuery<ClientAppointmentSearch>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    let clock = state.clock;
    let (from, until) = moments(&clock, search.from, search.to)?;
    let filter = AppointmentFilter {
        from,
        until,
        status: search.status,
        ..AppointmentFilter::default()
    };
    let (page, now) = state
        .read_as(caller, move |tx, cx| {
            let page = usecases::list_for_client(tx, cx, client_id, filter, after.as_ref(), limit)?;
            Ok((page, cx.now))
        })
        .await?;
    Ok(page_of(page, &clock, now))
}

/// Get an appointment.
///
/// Whoever may read the client; a care-team member only a general or health appointment, or one they made.
#[utoipa::path(
    tag = "appointments", operation_id = "get_appointment",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("appointment_id" = AppointmentId, Path, description = "The appointment's id"),
    ),
    responses((status = 200, description = "The appointment.", body = AppointmentView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/clients/{id}/appointments/{appointment_id}")]
pub async fn get_appointment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, AppointmentId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, appointment_id) = path.into_inner();
    let clock = state.clock;
    let (appointment, now) = state
        .read_as(caller, move |tx, cx| {
            Ok((usecases::get(tx, cx, client_id, appointment_id)?, cx.now))
        })
        .await?;
    Ok(ok_with_etag(
        appointment.version,
        &AppointmentView::of(&appointment, &clock, now),
    ))
}

/// Change a scheduled appointment.
///
/// The whole appointment, with its ETag in If-Match. Its ride keeps where it stands while its mode stays; a
/// new mode is requested again. Only a scheduled appointment changes (409 once it is kept, missed, cancelled
/// or rescheduled): to move it to another time, reschedule it.
#[utoipa::path(
    tag = "appointments", operation_id = "replace_appointment", request_body = AppointmentInput,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("appointment_id" = AppointmentId, Path, description = "The appointment's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The changed appointment.", body = AppointmentView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/appointments/{appointment_id}")]
pub async fn replace_appointment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, AppointmentId)>,
    if_match: IfMatch,
    body: ApiJson<AppointmentInput>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, appointment_id) = path.into_inner();
    let input = body.value;
    changed(&state, caller, move |tx, cx| {
        usecases::revise(tx, cx, client_id, appointment_id, &if_match, input)
    })
    .await
}

/// Move an appointment's status.
///
/// `scheduled` → `kept` | `missed` (once it has begun) | `cancelled` (`cancelled_by` and `reason`) |
/// `rescheduled` (`new_starts_at`, and `new_ends_at` or the same length: a new scheduled appointment is
/// made, linked both ways, its ride requested again). Keeping the first visit of a referral sets the
/// referral's `linked_on` to the agency's date of the start, in the same transaction. A move not allowed now
/// is a 409 naming the moves that are.
#[utoipa::path(
    tag = "appointments", operation_id = "move_appointment", request_body = AppointmentMove,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("appointment_id" = AppointmentId, Path, description = "The appointment's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The moved appointment.", body = AppointmentView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The move is not allowed now.", body = IllegalMoveProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/appointments/{appointment_id}/status")]
pub async fn move_appointment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, AppointmentId)>,
    if_match: IfMatch,
    body: ApiJson<AppointmentMove>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, appointment_id) = path.into_inner();
    let input = body.value;
    let clock = state.clock;
    changed(&state, caller, move |tx, cx| {
        usecases::move_status(tx, cx, &clock, client_id, appointment_id, &if_match, input)
    })
    .await
}

/// Move an appointment's ride.
///
/// `requested` → `arranged` (recorded as arranged by the caller) → `completed` (once the pickup, or the
/// start, has passed) | `failed` (with a `reason`), with the appointment's ETag in If-Match. An appointment
/// without a ride is a 409; a move not allowed now is a 409 naming the moves that are.
#[utoipa::path(
    tag = "appointments", operation_id = "move_ride", request_body = RideMove,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("appointment_id" = AppointmentId, Path, description = "The appointment's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The appointment with its moved ride.", body = AppointmentView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The move is not allowed now, or there is no ride.", body = IllegalMoveProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/appointments/{appointment_id}/transport/status")]
pub async fn move_ride(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, AppointmentId)>,
    if_match: IfMatch,
    body: ApiJson<RideMove>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, appointment_id) = path.into_inner();
    let input = body.value;
    changed(&state, caller, move |tx, cx| {
        usecases::move_ride(tx, cx, client_id, appointment_id, &if_match, input)
    })
    .await
}

/// List appointments across clients: a calendar.
///
/// A staff member's (`case_manager_id`: their clients' appointments) or a team's (`team_id`), for the
/// agency's dates `from` to `to`, in time order; the appointments of every client the caller may see.
#[utoipa::path(
    tag = "appointments", operation_id = "list_appointments", params(AppointmentSearch),
    responses((status = 200, description = "A page of appointments.", body = Page<AppointmentView>)),
    security(("bearer" = []))
)]
#[get("/appointments")]
pub async fn list_appointments(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<AppointmentSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    let clock = state.clock;
    let (from, until) = moments(&clock, search.from, search.to)?;
    let filter = AppointmentFilter {
        case_manager: search.case_manager_id,
        team: search.team_id,
        from,
        until,
        status: search.status,
        ..AppointmentFilter::default()
    };
    let (page, now) = state
        .read_as(caller, move |tx, cx| {
            Ok((
                usecases::list(tx, cx, &filter, after.as_ref(), limit)?,
                cx.now,
            ))
        })
        .await?;
    Ok(page_of(page, &clock, now))
}

/// List a day's rides.
///
/// The dispatcher's list: the appointments with a ride leaving on the agency's `date`, in pickup order (the
/// appointment's start when no pickup time is set), for every client the caller may see.
#[utoipa::path(
    tag = "appointments", operation_id = "list_rides", params(RideSearch),
    responses((status = 200, description = "A page of appointments with their rides.", body = Page<AppointmentView>)),
    security(("bearer" = []))
)]
#[get("/transport")]
pub async fn list_rides(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<RideSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    let clock = state.clock;
    let (from, until) = moments(&clock, Some(search.date), Some(search.date))?;
    let filter = AppointmentFilter {
        team: search.team_id,
        from,
        until,
        rides: true,
        ..AppointmentFilter::default()
    };
    let (page, now) = state
        .read_as(caller, move |tx, cx| {
            Ok((
                usecases::list(tx, cx, &filter, after.as_ref(), limit)?,
                cx.now,
            ))
        })
        .await?;
    Ok(page_of(page, &clock, now))
}

/// A calendar feed's address.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "url": "/v1/calendar-feeds/Zq3x0Wm4bJc9Vt2nL8pR5sY1aK7dE6fH0gU3iO9wQ2e.ics",
    "token": "Zq3x0Wm4bJc9Vt2nL8pR5sY1aK7dE6fH0gU3iO9wQ2e"
}))]
pub struct CalendarFeedView {
    /// The feed's path on this server, for a calendar app's subscription. Shown once.
    pub url: String,
    /// The secret in it.
    pub token: String,
}

const ICS: &str = "text/calendar; charset=utf-8";
const ICS_EXAMPLE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:ICALENDAR-RS\r\nCALSCALE:GREGORIAN\r\nNAME:Spoke appointments\r\nX-WR-CALNAME:Spoke appointments\r\nBEGIN:VEVENT\r\nUID:01936b36-1a00-7c11-8d22-3e4f5a6b7c8d@spoke\r\nDTSTAMP:20261127T150000Z\r\nDTSTART:20261203T150000Z\r\nDTEND:20261203T154500Z\r\nSUMMARY:M. R. – Psychiatric appointment\r\nLOCATION:Riverside Clinic\\, 40 Mill Rd\\, Springfield\r\nSTATUS:CONFIRMED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn ics(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ICS)
        .insert_header(("Cache-Control", "private, no-store"))
        .body(body)
}

/// Get my calendar as iCalendar.
///
/// The appointments of the caller's clients (those they are primary case manager of) from 30 days back to
/// 180 ahead, as an iCalendar (RFC 5545) document. Each event carries the minimum necessary: the client's
/// initials, the kind, the time and the place; never notes, diagnoses or narrative. Cancelled and
/// rescheduled appointments are `STATUS:CANCELLED`.
#[utoipa::path(
    tag = "appointments", operation_id = "get_my_calendar",
    responses((status = 200, description = "The calendar.", content((String = "text/calendar", example = json!(ICS_EXAMPLE))))),
    security(("bearer" = []))
)]
#[get("/me/calendar.ics")]
pub async fn get_my_calendar(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let entries = state.read_as(caller, usecases::calendar).await?;
    Ok(ics(calendar::document(&entries)))
}

/// Create my calendar feed.
///
/// A secret address that calendar apps subscribe to without signing in, carrying what
/// `GET /v1/me/calendar.ics` carries. A new feed revokes the previous one; the secret is shown only here.
#[utoipa::path(
    tag = "appointments", operation_id = "create_calendar_feed",
    responses((status = 201, description = "The feed's address.", body = CalendarFeedView,
        headers(("Location" = String, description = "The feed's URL")))),
    security(("bearer" = []))
)]
#[post("/me/calendar-feed")]
pub async fn create_calendar_feed(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let token = state.write_as(caller, usecases::create_feed).await?;
    let url = format!("/v1/calendar-feeds/{token}.ics");
    Ok(HttpResponse::Created()
        .insert_header(("Location", url.clone()))
        .insert_header(("Cache-Control", "no-store"))
        .json(CalendarFeedView { url, token }))
}

/// Revoke my calendar feed.
///
/// Its address stops working at once (404). A 404 when there is no feed.
#[utoipa::path(
    tag = "appointments", operation_id = "revoke_calendar_feed",
    responses(
        (status = 204, description = "The feed was revoked."),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[delete("/me/calendar-feed")]
pub async fn revoke_calendar_feed(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    state.write_as(caller, usecases::revoke_feed).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Get a calendar feed.
///
/// For calendar apps: no bearer token, the secret in the address instead. What the feed's owner would get
/// from `GET /v1/me/calendar.ics`, read as them (and audited as their read). An unknown or revoked secret, or
/// a feed whose owner was deleted, is a 404.
#[utoipa::path(
    tag = "appointments", operation_id = "get_calendar_feed",
    params(("token" = String, Path, description = "The feed's secret", example = "Zq3x0Wm4bJc9Vt2nL8pR5sY1aK7dE6fH0gU3iO9wQ2e")),
    responses(
        (status = 200, description = "The calendar.", content((String = "text/calendar", example = json!(ICS_EXAMPLE)))),
        (status = 404, response = NotFound),
    ),
    security(())
)]
#[get("/calendar-feeds/{token}.ics")]
pub async fn get_calendar_feed(
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = token.into_inner();
    let request_id = request_id(&req)?;
    let clock = state.clock;
    let entries = state
        .read(move |tx| {
            let actor = usecases::feed_actor(tx, &token)?;
            let cx = Cx::of(actor, &clock, request_id);
            usecases::calendar(tx, &cx)
        })
        .await?;
    Ok(ics(calendar::document(&entries)))
}
