//! Contacts over HTTP: each handler parses the request, runs one use case
//! of [`crate::usecases::contacts`] and shapes the answer.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::billing::NotBillable;
use spoke_domain::consent::ConsentCategory;
use spoke_domain::contact::{
    Activity, Contact, ContactInput, ContactMode, ContactSetting, ContactStatus, GoalProgress,
    OtherParticipant,
};
use spoke_domain::ids::{
    BillingConfigId, CareTeamMemberId, ClientId, ContactId, GoalId, NaturalSupportId, ReferralId,
    TeamId, UserId,
};
use spoke_domain::policy::ContactView as Visibility;
use spoke_domain::policy::{Actor, contact_view};
use spoke_persistence::contacts::ContactFilter;
use spoke_persistence::page::Keyset;
use utoipa::{IntoParams, ToSchema};

use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, PageParams, etag, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::routes::{Page, json_body, ok_with_etag};
use crate::state::AppState;
use crate::usecases::contacts as usecases;

/// What a signed contact bills.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "config_id": "01936b32-0a00-7c11-8d22-3e4f5a6b7c8d", "units": 3, "not_billable": []
}))]
pub struct BillingView {
    /// The billing configuration version the contact was judged by when signed.
    pub config_id: BillingConfigId,
    /// Units billable (0 when `not_billable` names a reason).
    pub units: i32,
    /// Every reason the contact bills nothing; empty when it bills.
    pub not_billable: Vec<NotBillable>,
}

/// A contact with or about a client.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b33-1b00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "author_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "started_at": "2026-11-20T15:30:00Z",
    "duration_minutes": 45, "date_of_service": "2026-11-20", "after_hours": false, "mode": "in_person",
    "setting": "client_home", "client_present": true, "natural_support_ids": [], "care_team_member_ids": [],
    "other_participants": [{"name": "Dana Whitfield", "role": "Property manager"}], "staff_ids": [],
    "two_person_override_reason": null,
    "activities": ["monitoring_and_follow_up", "referral_and_related_activities"],
    "goal_ids": ["01936b31-2c00-7c11-8d22-3e4f5a6b7c8d"], "referral_ids": [], "goal_progress": "progressing",
    "declined_services": "None.", "coordination": "Called the property manager about the repair schedule.",
    "narrative": "Home visit. Maria has kept her lease; the heating is fixed.", "travel_minutes": 25,
    "travel_miles": 11.5, "sensitivity": "general", "amends": null, "status": "signed",
    "signed_at": "2026-11-20T18:00:00Z", "late_entry": false,
    "billing": {"config_id": "01936b32-0a00-7c11-8d22-3e4f5a6b7c8d", "units": 3, "not_billable": []},
    "cosigned_by": "01936b2e-4c00-7a11-8c22-1d2e3f4a5b6c", "cosigned_at": "2026-11-21T09:00:00Z",
    "redacted": false, "created_at": "2026-11-20T17:00:00Z", "updated_at": "2026-11-20T18:00:00Z", "version": 2
}))]
pub struct ContactView {
    pub id: ContactId,
    pub client_id: ClientId,
    /// The staff user who wrote it and signs it.
    pub author_id: UserId,
    pub started_at: DateTime<Utc>,
    /// The contact itself, travel apart.
    pub duration_minutes: i32,
    /// The agency's date of the start.
    pub date_of_service: NaiveDate,
    /// Started outside the agency's working hours (a setting).
    pub after_hours: bool,
    pub mode: ContactMode,
    pub setting: ContactSetting,
    pub client_present: bool,
    pub natural_support_ids: Vec<NaturalSupportId>,
    pub care_team_member_ids: Vec<CareTeamMemberId>,
    /// Empty when `redacted`.
    pub other_participants: Vec<OtherParticipant>,
    /// Other staff present besides the author.
    pub staff_ids: Vec<UserId>,
    /// Null when `redacted`.
    pub two_person_override_reason: Option<String>,
    pub activities: Vec<Activity>,
    pub goal_ids: Vec<GoalId>,
    pub referral_ids: Vec<ReferralId>,
    pub goal_progress: Option<GoalProgress>,
    /// Null when `redacted`.
    pub declined_services: Option<String>,
    /// Null when `redacted`.
    pub coordination: Option<String>,
    /// Null when `redacted`.
    pub narrative: Option<String>,
    pub travel_minutes: Option<i32>,
    pub travel_miles: Option<f64>,
    pub sensitivity: ConsentCategory,
    /// The signed contact this one corrects.
    pub amends: Option<ContactId>,
    /// `draft` changes; `signed` never does.
    pub status: ContactStatus,
    pub signed_at: Option<DateTime<Utc>>,
    /// Signed more than the agency's allowance of days after the date of service (a setting).
    pub late_entry: bool,
    /// What it bills; null while a draft.
    pub billing: Option<BillingView>,
    /// The supervisor who co-signed it; null until then.
    pub cosigned_by: Option<UserId>,
    pub cosigned_at: Option<DateTime<Utc>>,
    /// True when what was said is withheld (billing staff see who, when, how long and what kind of work).
    pub redacted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

fn text(value: &Option<spoke_domain::values::LongText>, redacted: bool) -> Option<String> {
    value
        .as_ref()
        .filter(|_| !redacted)
        .map(|t| t.as_str().to_owned())
}

impl ContactView {
    /// The contact as the policy lets `actor` see it.
    pub fn for_actor(c: &Contact, actor: &Actor) -> ContactView {
        ContactView::of(c, contact_view(actor, c.fields.sensitivity, c.author_id))
    }

    /// The contact as `visibility` allows.
    pub fn of(c: &Contact, visibility: Visibility) -> ContactView {
        let redacted = visibility != Visibility::Full;
        let f = &c.fields;
        ContactView {
            id: c.id,
            client_id: c.client_id,
            author_id: c.author_id,
            started_at: f.started_at,
            duration_minutes: f.duration_minutes,
            date_of_service: c.date_of_service,
            after_hours: c.after_hours,
            mode: f.mode,
            setting: f.setting,
            client_present: f.client_present,
            natural_support_ids: f.natural_support_ids.clone(),
            care_team_member_ids: f.care_team_member_ids.clone(),
            other_participants: if redacted {
                Vec::new()
            } else {
                f.other_participants.clone()
            },
            staff_ids: f.staff_ids.clone(),
            two_person_override_reason: text(&f.two_person_override_reason, redacted),
            activities: f.activities.clone(),
            goal_ids: f.goal_ids.clone(),
            referral_ids: f.referral_ids.clone(),
            goal_progress: f.goal_progress,
            declined_services: text(&f.declined_services, redacted),
            coordination: text(&f.coordination, redacted),
            narrative: (!redacted).then(|| f.narrative.as_str().to_owned()),
            travel_minutes: f.travel_minutes,
            travel_miles: f.travel_miles,
            sensitivity: f.sensitivity,
            amends: f.amends,
            status: c.status,
            signed_at: c.signed_at,
            late_entry: c.late_entry,
            billing: c.billing.as_ref().map(|b| BillingView {
                config_id: b.config_id,
                units: b.units,
                not_billable: b.reasons.clone(),
            }),
            cosigned_by: c.cosignature.map(|x| x.by),
            cosigned_at: c.cosignature.map(|x| x.at),
            redacted,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// Filters for contacts across the clients the caller may see.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactSearch {
    /// Only this staff member's contacts (as author).
    pub author_id: Option<UserId>,
    /// Only contacts with clients of this team.
    pub team_id: Option<TeamId>,
    /// Dates of service from this day on.
    pub from: Option<NaiveDate>,
    /// Dates of service up to and including this day.
    pub to: Option<NaiveDate>,
    pub status: Option<ContactStatus>,
    /// Signed contacts that bill units (`true`) or bill none (`false`).
    pub billable: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Record a contact.
///
/// A draft: a home visit, a call, a ride, time beside the client at an office. Only its author changes
/// and signs it. For a client flagged `two_person_visits`, an in-person contact names a second staff
/// member in `staff_ids` or gives `two_person_override_reason` (otherwise 422 on `staff_ids`, code
/// `two_person_visits`). Goals, referrals, natural supports and care-team members must be the client's
/// own. To correct a signed contact, record a new one with `amends`. The client's case manager, the
/// team's supervisors, admins, and care-team members (their own collateral contacts).
#[utoipa::path(
    tag = "contacts", operation_id = "create_contact", request_body = ContactInput,
    params(("id" = ClientId, Path, description = "The client's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The draft was recorded.", body = ContactView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/contacts")]
pub async fn create_contact(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<ContactInput>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let input = body.value;
    let settings = state.contacts.clone();
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let contact = usecases::create(tx, cx, &settings, client_id, input)?;
        Ok(Created {
            body: json_body(&ContactView::of(&contact, Visibility::Full))?,
            location: format!("/v1/clients/{client_id}/contacts/{}", contact.id),
            etag: Some(etag(contact.version)),
        })
    })
    .await
}

/// List a client's contacts.
///
/// Newest first, drafts included. A care-team member sees general and health contacts, and their own.
#[utoipa::path(
    tag = "contacts", operation_id = "list_client_contacts",
    params(("id" = ClientId, Path, description = "The client's id"), PageParams),
    responses((status = 200, description = "A page of contacts.", body = Page<ContactView>)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/contacts")]
pub async fn list_client_contacts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
    query: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let client_id = id.into_inner();
    let (limit, after) = query.0.request::<Keyset>()?;
    let (page, actor) = state
        .read_as(caller, move |tx, cx| {
            let page = usecases::list_for_client(tx, cx, client_id, after.as_ref(), limit)?;
            Ok((page, cx.actor))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |c| {
        ContactView::for_actor(c, &actor)
    })))
}

/// Get a contact.
///
/// Whoever may read the client; a care-team member only a general or health contact, or their own.
#[utoipa::path(
    tag = "contacts", operation_id = "get_contact",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("contact_id" = ContactId, Path, description = "The contact's id"),
    ),
    responses((status = 200, description = "The contact.", body = ContactView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/clients/{id}/contacts/{contact_id}")]
pub async fn get_contact(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, ContactId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, contact_id) = path.into_inner();
    let (contact, actor) = state
        .read_as(caller, move |tx, cx| {
            Ok((usecases::get(tx, cx, client_id, contact_id)?, cx.actor))
        })
        .await?;
    Ok(ok_with_etag(
        contact.version,
        &ContactView::for_actor(&contact, &actor),
    ))
}

/// Revise a draft contact.
///
/// The whole draft, with its ETag in If-Match; only its author. A signed contact never changes (409):
/// record a new one that amends it.
#[utoipa::path(
    tag = "contacts", operation_id = "replace_contact", request_body = ContactInput,
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("contact_id" = ContactId, Path, description = "The contact's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The revised draft.", body = ContactView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{id}/contacts/{contact_id}")]
pub async fn replace_contact(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, ContactId)>,
    if_match: IfMatch,
    body: ApiJson<ContactInput>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, contact_id) = path.into_inner();
    let input = body.value;
    let settings = state.contacts.clone();
    let contact = state
        .write_as(caller, move |tx, cx| {
            usecases::revise(tx, cx, &settings, client_id, contact_id, &if_match, input)
        })
        .await?;
    Ok(ok_with_etag(
        contact.version,
        &ContactView::of(&contact, Visibility::Full),
    ))
}

/// Sign a contact.
///
/// With its ETag in If-Match; only its author (403 for anyone else). From then on the contact never
/// changes. Signing decides what it bills under the payer's billing configuration: its units, or every
/// reason it bills none. Signed more than the agency's allowance of days after the date of service, it is
/// a late entry.
#[utoipa::path(
    tag = "contacts", operation_id = "sign_contact",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("contact_id" = ContactId, Path, description = "The contact's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The signed contact.", body = ContactView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/contacts/{contact_id}/sign")]
pub async fn sign_contact(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, ContactId)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (client_id, contact_id) = path.into_inner();
    let settings = state.contacts.clone();
    let contact = state
        .write_as(caller, move |tx, cx| {
            usecases::sign(tx, cx, &settings, client_id, contact_id, &if_match)
        })
        .await?;
    Ok(ok_with_etag(
        contact.version,
        &ContactView::of(&contact, Visibility::Full),
    ))
}

/// Co-sign a contact.
///
/// A supervisor of the client's team (or an admin) reads a signed contact and co-signs it; never its
/// author (403). A draft is a 409, and so is a second co-signature. The contact itself does not change
/// (same ETag). When the agency requires co-signatures (`SPOKE_CONTACT_COSIGN_REQUIRED`), only co-signed
/// contacts are billed.
#[utoipa::path(
    tag = "contacts", operation_id = "cosign_contact",
    params(
        ("id" = ClientId, Path, description = "The client's id"),
        ("contact_id" = ContactId, Path, description = "The contact's id"),
    ),
    responses(
        (status = 200, description = "The co-signed contact.", body = ContactView, headers(("ETag" = String, description = "Its version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{id}/contacts/{contact_id}/cosign")]
pub async fn cosign_contact(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClientId, ContactId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, contact_id) = path.into_inner();
    let contact = state
        .write_as(caller, move |tx, cx| {
            usecases::cosign(tx, cx, client_id, contact_id)
        })
        .await?;
    Ok(ok_with_etag(
        contact.version,
        &ContactView::of(&contact, Visibility::Full),
    ))
}

/// List contacts across clients.
///
/// The contacts of every client the caller may see, newest first: a staff member's week
/// (`author_id`, `from`, `to`), a team's month, the signed contacts that bill nothing (`status=signed&billable=false`).
/// Billing staff see every client's contacts without what was said (`redacted`).
#[utoipa::path(
    tag = "contacts", operation_id = "list_contacts", params(ContactSearch),
    responses((status = 200, description = "A page of contacts.", body = Page<ContactView>)),
    security(("bearer" = []))
)]
#[get("/contacts")]
pub async fn list_contacts(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ContactSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    let filter = ContactFilter {
        client: None,
        author: search.author_id,
        team: search.team_id,
        from: search.from,
        to: search.to,
        status: search.status,
        billable: search.billable,
    };
    let (page, actor) = state
        .read_as(caller, move |tx, cx| {
            Ok((
                usecases::list(tx, cx, &filter, after.as_ref(), limit)?,
                cx.actor,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |c| {
        ContactView::for_actor(c, &actor)
    })))
}
