//! The community resource directory over HTTP: organizations, locations,
//! services with search, capacity, and the taxonomy tree.

use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::FieldErrors;
use spoke_domain::client::Address;
use spoke_domain::directory::{
    Capacity, CapacityState, ContactPhone, GeoPoint, Location, LocationInput, MAX_RADIUS_KM,
    OpeningHours, Organization, OrganizationInput, Service, ServiceInput, ServiceStatus,
    TaxonomyTerm, Weekday,
};
use spoke_domain::ids::{LocationId, OrganizationId, ServiceId, TaxonomyTermId};
use spoke_domain::values::{LanguageTag, ShortText};
use spoke_domain::{FieldError, ValueError};
use spoke_persistence::directory::{self as store, NameKeyset, SearchKeyset, ServiceQuery};
use utoipa::{IntoParams, ToSchema};

use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, PageParams, etag, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::routes::{Page, json_body, ok_with_etag};
use crate::state::AppState;
use crate::usecases::directory as usecases;

// ---------------------------------------------------------------- organizations

/// An organization in the directory.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a00-7b11-8c22-1d2e3f4a5b6c", "hsds_id": null, "name": "Eastside Food Bank",
    "description": "Groceries and hot meals for anyone in need.", "website": "https://eastsidefood.example.org",
    "email": "help@eastsidefood.example.org", "tax_id": null, "parent_id": null,
    "phones": [{"number": "5035550123", "extension": null, "kind": "voice", "description": null}],
    "last_modified": "2026-11-26T09:00:00Z", "version": 1
}))]
pub struct OrganizationView {
    pub id: OrganizationId,
    /// The id in the Open Referral dataset it was imported from.
    pub hsds_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub tax_id: Option<String>,
    pub parent_id: Option<OrganizationId>,
    pub phones: Vec<ContactPhone>,
    pub last_modified: DateTime<Utc>,
    pub version: i32,
}

impl From<&Organization> for OrganizationView {
    fn from(o: &Organization) -> Self {
        let text = |v: Option<&str>| v.map(str::to_owned);
        OrganizationView {
            id: o.id,
            hsds_id: o.hsds_id.clone(),
            name: o.name.to_string(),
            description: text(o.description.as_ref().map(|d| d.as_str())),
            website: text(o.website.as_ref().map(|w| w.as_str())),
            email: o.email.as_ref().map(ToString::to_string),
            tax_id: o.tax_id.as_ref().map(ToString::to_string),
            parent_id: o.parent_id,
            phones: o.phones.clone(),
            last_modified: o.last_modified,
            version: o.version,
        }
    }
}

/// Paging through locations by name.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LocationPageParams {
    /// Only the locations of this organization.
    pub organization_id: Option<OrganizationId>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Add an organization.
///
/// Admins and supervisors keep the directory.
#[utoipa::path(
    tag = "directory", operation_id = "create_organization", request_body = OrganizationInput,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "The organization was added.", body = OrganizationView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden), (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/organizations")]
pub async fn create_organization(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<OrganizationInput>,
) -> Result<HttpResponse, ApiError> {
    let fields = body.value.parse()?;

    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let created = usecases::create_organization(tx, cx, fields)?;
        Ok(Created {
            body: json_body(&OrganizationView::from(&created))?,
            location: format!("/v1/organizations/{}", created.id),
            etag: Some(etag(created.version)),
        })
    })
    .await
}

/// List organizations.
///
/// By name, every staff role.
#[utoipa::path(
    tag = "directory", operation_id = "list_organizations", params(PageParams),
    responses((status = 200, description = "A page of organizations.", body = Page<OrganizationView>)),
    security(("bearer" = []))
)]
#[get("/organizations")]
pub async fn list_organizations(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = query.0.request::<NameKeyset>()?;
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list_organizations(tx, cx, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |o| OrganizationView::from(o))))
}

/// Get an organization.
///
/// Every staff role reads the directory.
#[utoipa::path(
    tag = "directory", operation_id = "get_organization",
    params(("id" = OrganizationId, Path, description = "The organization's id")),
    responses((status = 200, description = "The organization.", body = OrganizationView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state
        .read_as(caller, move |tx, cx| usecases::get_organization(tx, cx, id))
        .await?;
    Ok(ok_with_etag(found.version, &OrganizationView::from(&found)))
}

/// Replace an organization.
///
/// The whole record, with its ETag in If-Match. Admins and supervisors.
#[utoipa::path(
    tag = "directory", operation_id = "replace_organization", request_body = OrganizationInput,
    params(("id" = OrganizationId, Path, description = "The organization's id"), IfMatch),
    responses(
        (status = 200, description = "The changed organization.", body = OrganizationView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/organizations/{id}")]
pub async fn replace_organization(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
    if_match: IfMatch,
    body: ApiJson<OrganizationInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let fields = body.value.parse()?;
    let o = state
        .write_as(caller, move |tx, cx| {
            usecases::replace_organization(tx, cx, id, &if_match, fields)
        })
        .await?;
    Ok(ok_with_etag(o.version, &OrganizationView::from(&o)))
}

/// Delete an organization.
///
/// Refused (409) while services or locations belong to it. With its ETag in If-Match.
#[utoipa::path(
    tag = "directory", operation_id = "delete_organization",
    params(("id" = OrganizationId, Path, description = "The organization's id"), IfMatch),
    responses(
        (status = 204, description = "The organization was deleted."),
        (status = 403, response = Forbidden), (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[delete("/organizations/{id}")]
pub async fn delete_organization(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .write_as(caller, move |tx, cx| {
            usecases::delete_organization(tx, cx, id, &if_match)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- locations

/// A place where services are delivered.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9b00-7b11-8c22-1d2e3f4a5b6c", "hsds_id": null,
    "organization_id": "01936b2e-9a00-7b11-8c22-1d2e3f4a5b6c", "name": "Eastside Food Bank warehouse",
    "address": {"line1": "4400 SE 82nd Ave", "line2": null, "city": "Portland", "region": "OR", "postal_code": "97266", "country": "US"},
    "latitude": 45.4918, "longitude": -122.579, "accessibility": "Step-free entrance.",
    "transportation": "Bus 72 stops in front.", "phones": [], "last_modified": "2026-11-26T09:00:00Z", "version": 1
}))]
pub struct LocationView {
    pub id: LocationId,
    pub hsds_id: Option<String>,
    pub organization_id: OrganizationId,
    pub name: String,
    pub address: Option<Address>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accessibility: Option<String>,
    pub transportation: Option<String>,
    pub phones: Vec<ContactPhone>,
    pub last_modified: DateTime<Utc>,
    pub version: i32,
}

impl From<&Location> for LocationView {
    fn from(l: &Location) -> Self {
        let f = &l.fields;
        LocationView {
            id: l.id,
            hsds_id: l.hsds_id.clone(),
            organization_id: l.organization_id,
            name: f.name.to_string(),
            address: f.address.clone(),
            latitude: f.point.map(|p| p.latitude),
            longitude: f.point.map(|p| p.longitude),
            accessibility: f.accessibility.as_ref().map(|t| t.as_str().to_owned()),
            transportation: f.transportation.as_ref().map(|t| t.as_str().to_owned()),
            phones: f.phones.clone(),
            last_modified: l.last_modified,
            version: l.version,
        }
    }
}

/// Add a location.
///
/// A place where services are delivered, with coordinates for distance search. Admins and supervisors.
#[utoipa::path(
    tag = "directory", operation_id = "create_location", request_body = LocationInput, params(IdempotencyKey),
    responses(
        (status = 201, description = "The location was added.", body = LocationView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden), (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/locations")]
pub async fn create_location(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<LocationInput>,
) -> Result<HttpResponse, ApiError> {
    let fields = body.value.parse()?;
    let organization_id = body.value.organization_id;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let created = usecases::create_location(tx, cx, organization_id, fields)?;
        Ok(Created {
            body: json_body(&LocationView::from(&created))?,
            location: format!("/v1/locations/{}", created.id),
            etag: Some(etag(created.version)),
        })
    })
    .await
}

/// List locations.
///
/// By name, optionally of one organization.
#[utoipa::path(
    tag = "directory", operation_id = "list_locations", params(LocationPageParams),
    responses((status = 200, description = "A page of locations.", body = Page<LocationView>)),
    security(("bearer" = []))
)]
#[get("/locations")]
pub async fn list_locations(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<LocationPageParams>,
) -> Result<HttpResponse, ApiError> {
    let params = query.0;
    let (limit, after) = page_request::<NameKeyset>(params.limit, params.cursor.as_deref())?;
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list_locations(tx, cx, params.organization_id, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |l| LocationView::from(l))))
}

/// Get a location.
///
/// Every staff role reads the directory.
#[utoipa::path(
    tag = "directory", operation_id = "get_location",
    params(("id" = LocationId, Path, description = "The location's id")),
    responses((status = 200, description = "The location.", body = LocationView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/locations/{id}")]
pub async fn get_location(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<LocationId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state
        .read_as(caller, move |tx, cx| usecases::get_location(tx, cx, id))
        .await?;
    Ok(ok_with_etag(found.version, &LocationView::from(&found)))
}

/// Replace a location.
///
/// The whole record, with its ETag in If-Match.
#[utoipa::path(
    tag = "directory", operation_id = "replace_location", request_body = LocationInput,
    params(("id" = LocationId, Path, description = "The location's id"), IfMatch),
    responses(
        (status = 200, description = "The changed location.", body = LocationView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/locations/{id}")]
pub async fn replace_location(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<LocationId>,
    if_match: IfMatch,
    body: ApiJson<LocationInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let fields = body.value.parse()?;
    let organization_id = body.value.organization_id;
    let l = state
        .write_as(caller, move |tx, cx| {
            usecases::replace_location(tx, cx, id, &if_match, organization_id, fields)
        })
        .await?;
    Ok(ok_with_etag(l.version, &LocationView::from(&l)))
}

/// Delete a location.
///
/// Refused (409) while a service is delivered there. With its ETag in If-Match.
#[utoipa::path(
    tag = "directory", operation_id = "delete_location",
    params(("id" = LocationId, Path, description = "The location's id"), IfMatch),
    responses(
        (status = 204, description = "The location was deleted."),
        (status = 403, response = Forbidden), (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[delete("/locations/{id}")]
pub async fn delete_location(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<LocationId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .write_as(caller, move |tx, cx| {
            usecases::delete_location(tx, cx, id, &if_match)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- services

/// A service in the directory.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9c00-7b11-8c22-1d2e3f4a5b6c", "hsds_id": null,
    "organization_id": "01936b2e-9a00-7b11-8c22-1d2e3f4a5b6c", "name": "Weekly grocery pantry",
    "description": "Free groceries once a week; no documents needed.", "status": "active",
    "application_process": "Walk in during opening hours.", "fees_description": "Free", "wait_time": null,
    "eligibility_description": "Anyone living in Multnomah County.", "minimum_age": 18, "maximum_age": null,
    "accepts_medicaid": false, "languages": ["en", "es"], "interpretation_services": null, "phones": [],
    "hours": [{"weekday": "tuesday", "opens_at": "10:00:00", "closes_at": "14:00:00"}],
    "taxonomy_term_ids": ["01936b2e-7000-7b11-8c22-1d2e3f4a5b6c"],
    "location_ids": ["01936b2e-9b00-7b11-8c22-1d2e3f4a5b6c"],
    "capacity": {"status": "accepting", "note": null, "updated_at": "2026-11-26T09:00:00Z"},
    "distance_km": 1.8, "last_modified": "2026-11-26T09:00:00Z", "version": 3
}))]
pub struct ServiceView {
    pub id: ServiceId,
    pub hsds_id: Option<String>,
    pub organization_id: OrganizationId,
    pub name: String,
    pub description: Option<String>,
    pub status: ServiceStatus,
    pub application_process: Option<String>,
    pub fees_description: Option<String>,
    pub wait_time: Option<String>,
    pub eligibility_description: Option<String>,
    pub minimum_age: Option<i32>,
    pub maximum_age: Option<i32>,
    pub accepts_medicaid: bool,
    pub languages: Vec<LanguageTag>,
    pub interpretation_services: Option<String>,
    pub phones: Vec<ContactPhone>,
    pub hours: Vec<OpeningHours>,
    pub taxonomy_term_ids: Vec<TaxonomyTermId>,
    pub location_ids: Vec<LocationId>,
    /// Whether it has room now, as last reported.
    pub capacity: Option<CapacityState>,
    /// Kilometres to its nearest location, in searches with `near`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    pub last_modified: DateTime<Utc>,
    pub version: i32,
}

impl ServiceView {
    pub(crate) fn new(s: &Service, distance_km: Option<f64>) -> Self {
        let f = &s.fields;
        let long = |v: &Option<spoke_domain::directory::LongText>| {
            v.as_ref().map(|t| t.as_str().to_owned())
        };
        ServiceView {
            id: s.id,
            hsds_id: s.hsds_id.clone(),
            organization_id: s.organization_id,
            name: f.name.to_string(),
            description: long(&f.description),
            status: f.status,
            application_process: long(&f.application_process),
            fees_description: long(&f.fees_description),
            wait_time: f.wait_time.as_ref().map(ToString::to_string),
            eligibility_description: long(&f.eligibility_description),
            minimum_age: f.ages.minimum,
            maximum_age: f.ages.maximum,
            accepts_medicaid: f.accepts_medicaid,
            languages: f.languages.iter().cloned().collect(),
            interpretation_services: long(&f.interpretation_services),
            phones: f.phones.clone(),
            hours: f.hours.clone(),
            taxonomy_term_ids: f.taxonomy_term_ids.iter().copied().collect(),
            location_ids: f.location_ids.iter().copied().collect(),
            capacity: s.capacity.clone(),
            distance_km: distance_km.map(|km| (km * 1000.0).round() / 1000.0),
            last_modified: s.last_modified,
            version: s.version,
        }
    }
}

/// Add a service.
///
/// Its organization, taxonomy terms and locations must exist (422 otherwise). Admins and supervisors.
#[utoipa::path(
    tag = "directory", operation_id = "create_service", request_body = ServiceInput, params(IdempotencyKey),
    responses(
        (status = 201, description = "The service was added.", body = ServiceView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden), (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/services")]
pub async fn create_service(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<ServiceInput>,
) -> Result<HttpResponse, ApiError> {
    let fields = body.value.parse()?;
    let organization_id = body.value.organization_id;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let created = usecases::create_service(tx, cx, organization_id, fields)?;
        Ok(Created {
            body: json_body(&ServiceView::new(&created, None))?,
            location: format!("/v1/services/{}", created.id),
            etag: Some(etag(created.version)),
        })
    })
    .await
}

/// Search filters for services; each one given narrows the result.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ServiceSearch {
    /// Words that must all appear in the name or description (any case).
    #[param(example = "food pantry")]
    pub q: Option<String>,
    /// A taxonomy term: services with it or any term below it.
    pub taxonomy_term_id: Option<TaxonomyTermId>,
    /// A BCP 47 tag; `es` also finds services in `es-MX`.
    #[param(example = "es")]
    pub language: Option<String>,
    pub accepts_medicaid: Option<bool>,
    /// A client's age: only services whose age limits admit it.
    #[param(minimum = 0, maximum = 150)]
    pub age: Option<i32>,
    pub capacity: Option<Capacity>,
    pub status: Option<ServiceStatus>,
    /// Only services open now, in the deployment's time zone (SPOKE_TIMEZONE).
    pub open_now: Option<bool>,
    /// `latitude,longitude`: only services with a location within `radius_km`, nearest first.
    #[param(example = "45.5152,-122.6784")]
    pub near: Option<String>,
    /// Kilometres around `near`, up to 500 (default 10).
    #[param(example = 10.0)]
    pub radius_km: Option<f64>,
    /// Only services changed after this time (RFC 3339), for sync.
    pub modified_after: Option<DateTime<Utc>>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn bad_query(field: &str, message: &str) -> ApiError {
    ApiError::BadRequest {
        detail: format!("invalid query parameter {field}: {message}"),
        errors: vec![FieldError {
            field: field.to_owned(),
            code: "invalid".to_owned(),
            message: message.to_owned(),
        }],
    }
}

fn parse_near(raw: &str) -> Result<GeoPoint, ApiError> {
    let (lat, lng) = raw
        .split_once(',')
        .ok_or_else(|| bad_query("near", "must be latitude,longitude"))?;
    let parse = |text: &str| {
        text.trim()
            .parse::<f64>()
            .map_err(|_| bad_query("near", "must be latitude,longitude"))
    };
    GeoPoint::parse(parse(lat)?, parse(lng)?).map_err(|e: ValueError| bad_query("near", &e.message))
}

/// Search services.
///
/// Free text, taxonomy (with descendants), language, Medicaid, age, capacity, status, open now and
/// distance. By name, or nearest first when `near` is given (each hit then carries `distance_km`).
#[utoipa::path(
    tag = "directory", operation_id = "search_services", params(ServiceSearch),
    responses((status = 200, description = "A page of services.", body = Page<ServiceView>)),
    security(("bearer" = []))
)]
#[get("/services")]
pub async fn search_services(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ServiceSearch>,
) -> Result<HttpResponse, ApiError> {
    let s = query.0;
    let (limit, after) = page_request::<SearchKeyset>(s.limit, s.cursor.as_deref())?;
    let words: Vec<String> =
        s.q.as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
    if words.len() > 10 || words.iter().any(|w| w.chars().count() > 100) {
        return Err(bad_query("q", "at most 10 words of at most 100 characters"));
    }
    let language = s
        .language
        .as_deref()
        .map(|raw| LanguageTag::parse(raw).map_err(|e| bad_query("language", &e.message)))
        .transpose()?;
    if let Some(age) = s.age
        && !(0..=150).contains(&age)
    {
        return Err(bad_query("age", "must be between 0 and 150"));
    }
    let near = s.near.as_deref().map(parse_near).transpose()?;
    let radius = match (near, s.radius_km) {
        (None, Some(_)) => return Err(bad_query("radius_km", "needs near")),
        (_, Some(r)) if !(r > 0.0 && r <= MAX_RADIUS_KM) => {
            return Err(bad_query(
                "radius_km",
                "must be more than 0 and at most 500",
            ));
        }
        (_, r) => r.unwrap_or(10.0),
    };
    let open_at = (s.open_now == Some(true)).then(|| {
        let local = state.clock.local_now();
        (
            Weekday::of(&local).number(),
            (local.time().num_seconds_from_midnight_i32()) / 60,
        )
    });
    let term = s.taxonomy_term_id;
    let q = ServiceQuery {
        words,
        taxonomy_path: None,
        language: language.map(|l| l.as_str().to_owned()),
        accepts_medicaid: s.accepts_medicaid,
        age: s.age,
        capacity: s.capacity,
        status: s.status,
        open_at,
        near: near.map(|point| (point, radius)),
        modified_after: s.modified_after,
        organization: None,
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::search_services(tx, cx, q, term, after.as_ref(), limit)
        })
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_store(page, |hit: &store::ServiceHit| {
            ServiceView::new(&hit.service, hit.distance_km)
        })),
    )
}

trait SecondsFromMidnight {
    fn num_seconds_from_midnight_i32(&self) -> i32;
}

impl SecondsFromMidnight for chrono::NaiveTime {
    fn num_seconds_from_midnight_i32(&self) -> i32 {
        use chrono::Timelike;
        i32::try_from(self.num_seconds_from_midnight()).unwrap_or_default()
    }
}

/// Get a service.
///
/// Every staff role reads the directory.
#[utoipa::path(
    tag = "directory", operation_id = "get_service",
    params(("id" = ServiceId, Path, description = "The service's id")),
    responses((status = 200, description = "The service.", body = ServiceView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/services/{id}")]
pub async fn get_service(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ServiceId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state
        .read_as(caller, move |tx, cx| usecases::get_service(tx, cx, id))
        .await?;
    Ok(ok_with_etag(found.version, &ServiceView::new(&found, None)))
}

/// Replace a service.
///
/// The whole record (capacity aside), with its ETag in If-Match.
#[utoipa::path(
    tag = "directory", operation_id = "replace_service", request_body = ServiceInput,
    params(("id" = ServiceId, Path, description = "The service's id"), IfMatch),
    responses(
        (status = 200, description = "The changed service.", body = ServiceView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/services/{id}")]
pub async fn replace_service(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ServiceId>,
    if_match: IfMatch,
    body: ApiJson<ServiceInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let fields = body.value.parse()?;
    let organization_id = body.value.organization_id;
    let s = state
        .write_as(caller, move |tx, cx| {
            usecases::replace_service(tx, cx, id, &if_match, organization_id, fields)
        })
        .await?;
    Ok(ok_with_etag(s.version, &ServiceView::new(&s, None)))
}

/// Delete a service.
///
/// With its ETag in If-Match. Admins and supervisors.
#[utoipa::path(
    tag = "directory", operation_id = "delete_service",
    params(("id" = ServiceId, Path, description = "The service's id"), IfMatch),
    responses((status = 204, description = "The service was deleted."), (status = 403, response = Forbidden)),
    security(("bearer" = []))
)]
#[delete("/services/{id}")]
pub async fn delete_service(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ServiceId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .write_as(caller, move |tx, cx| {
            usecases::delete_service(tx, cx, id, &if_match)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A capacity report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "waitlist", "note": "About two weeks"}))]
pub struct CapacityReport {
    pub status: Capacity,
    /// 1 to 200 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub note: Option<String>,
}

impl CapacityReport {
    /// The capacity it reports, as of `now`.
    pub(crate) fn into_state(self, now: DateTime<Utc>) -> Result<CapacityState, ApiError> {
        let note = self
            .note
            .as_deref()
            .map(|n| ShortText::parse(n).map_err(|e| FieldErrors::single("note", e)))
            .transpose()?;
        Ok(CapacityState {
            status: self.status,
            note,
            updated_at: now,
        })
    }
}

/// Report a service's capacity.
///
/// Accepting, waitlist or full, with an optional note; the time of the report is kept. With the
/// service's ETag in If-Match.
#[utoipa::path(
    tag = "directory", operation_id = "update_service_capacity", request_body = CapacityReport,
    params(("id" = ServiceId, Path, description = "The service's id"), IfMatch),
    responses(
        (status = 200, description = "The service with its new capacity.", body = ServiceView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/services/{id}/capacity")]
pub async fn update_service_capacity(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ServiceId>,
    if_match: IfMatch,
    body: ApiJson<CapacityReport>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let capacity = body.value.into_state(state.clock.now())?;
    let s = state
        .write_as(caller, move |tx, cx| {
            usecases::update_capacity(tx, cx, id, &if_match, capacity)
        })
        .await?;
    Ok(ok_with_etag(s.version, &ServiceView::new(&s, None)))
}

// ---------------------------------------------------------------- taxonomy

/// A taxonomy term and the terms below it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-7000-7b11-8c22-1d2e3f4a5b6c", "code": "food", "name": "Food", "description": null,
    "children": [{"id": "01936b2e-7001-7b11-8c22-1d2e3f4a5b6c", "code": "food-pantry", "name": "Food pantry", "description": null, "children": []}]
}))]
pub struct TaxonomyNode {
    pub id: TaxonomyTermId,
    /// A short stable code, such as `food-pantry`.
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    #[schema(no_recursion)]
    pub children: Vec<TaxonomyNode>,
}

fn tree(
    terms: &[TaxonomyTerm],
    parent: Option<TaxonomyTermId>,
    seen: &mut BTreeSet<TaxonomyTermId>,
) -> Vec<TaxonomyNode> {
    let mut nodes = Vec::new();
    for term in terms {
        // `seen` guards against a cycle in imported data.
        if term.parent_id == parent && seen.insert(term.id) {
            nodes.push(TaxonomyNode {
                id: term.id,
                code: term.code.clone(),
                name: term.name.to_string(),
                description: term.description.as_ref().map(|d| d.as_str().to_owned()),
                children: tree(terms, Some(term.id), seen),
            });
        }
    }
    nodes
}

/// The service taxonomy.
///
/// The whole tree, roots first; filter services by any term to include the terms below it.
#[utoipa::path(
    tag = "directory", operation_id = "get_taxonomy",
    responses((status = 200, description = "The taxonomy's root terms with their descendants.", body = Vec<TaxonomyNode>)),
    security(("bearer" = []))
)]
#[get("/taxonomy")]
pub async fn get_taxonomy(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let terms = state.read_as(caller, usecases::taxonomy).await?;
    Ok(HttpResponse::Ok().json(tree(&terms, None, &mut BTreeSet::new())))
}
