//! The community resource directory: organizations, their locations and
//! services, capacity, search and the taxonomy. Every staff role reads it;
//! admins and supervisors keep it.

use spoke_domain::directory::{
    CapacityState, Location, LocationFields, Organization, OrganizationFields, Service,
    ServiceFields, TaxonomyTerm,
};
use spoke_domain::ids::{LocationId, OrganizationId, ServiceId, TaxonomyTermId};
use spoke_domain::policy::{DirectoryAction, authorize_directory};
use spoke_persistence::directory::{
    self as store, NameKeyset, SearchKeyset, ServiceHit, ServiceQuery,
};
use spoke_persistence::page::Page;
use spoke_persistence::{DbConnection, StoreError};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::{allowed, change_versioned, must_exist};

fn may_read(cx: &Cx) -> Result<(), ApiError> {
    allowed(
        authorize_directory(&cx.actor, DirectoryAction::Read),
        "you may not read the directory",
    )
}

fn may_write(cx: &Cx) -> Result<(), ApiError> {
    allowed(
        authorize_directory(&cx.actor, DirectoryAction::Write),
        "only admins and supervisors may change the directory",
    )
}

/// A delete refused because other records still point at this one.
fn in_use(what: &'static str) -> impl Fn(StoreError) -> ApiError {
    move |error| match error {
        StoreError::MissingReference(_) => ApiError::Conflict(format!(
            "{what} is still in use; remove what refers to it first"
        )),
        other => other.into(),
    }
}

fn taken(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => {
            ApiError::Conflict("a record with this HSDS id already exists".to_owned())
        }
        other => other.into(),
    }
}

// ---------------------------------------------------------------- organizations

fn check_parent(
    conn: &mut DbConnection,
    id: OrganizationId,
    parent: Option<OrganizationId>,
) -> Result<(), ApiError> {
    if let Some(parent) = parent {
        if parent == id {
            return Err(ApiError::invalid_field(
                "parent_id",
                "self_reference",
                "an organization cannot be its own parent",
            ));
        }
        must_exist("parent_id", store::get_organization(conn, parent))?;
    }
    Ok(())
}

pub fn create_organization(
    tx: &mut Tx,
    cx: &Cx,
    fields: OrganizationFields,
) -> Result<Organization, ApiError> {
    may_write(cx)?;
    let organization = Organization::create(fields, None, cx.now);
    check_parent(tx, organization.id, organization.parent_id)?;
    store::insert_organization(tx, &organization).map_err(taken)?;
    Ok(organization)
}

pub fn list_organizations(
    tx: &mut Tx,
    cx: &Cx,
    after: Option<&NameKeyset>,
    limit: usize,
) -> Result<Page<Organization, NameKeyset>, ApiError> {
    may_read(cx)?;
    Ok(store::list_organizations(tx, after, limit)?)
}

pub fn get_organization(
    tx: &mut Tx,
    cx: &Cx,
    id: OrganizationId,
) -> Result<Organization, ApiError> {
    may_read(cx)?;
    Ok(store::get_organization(tx, id)?)
}

pub fn replace_organization(
    tx: &mut Tx,
    cx: &Cx,
    id: OrganizationId,
    if_match: &IfMatch,
    fields: OrganizationFields,
) -> Result<Organization, ApiError> {
    may_write(cx)?;
    let mut organization = store::get_organization(tx, id)?;
    change_versioned(
        tx,
        &mut organization,
        if_match,
        cx.now,
        |tx, organization| {
            check_parent(tx, id, fields.parent_id)?;
            organization.apply(fields);
            Ok(true)
        },
        |tx, organization, expected| Ok(store::update_organization(tx, organization, expected)?),
    )?;
    Ok(organization)
}

pub fn delete_organization(
    tx: &mut Tx,
    cx: &Cx,
    id: OrganizationId,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    may_write(cx)?;
    let organization = store::get_organization(tx, id)?;
    if_match.check(organization.version)?;
    store::delete_organization(tx, id).map_err(in_use("the organization"))
}

// -------------------------------------------------------------------- locations

pub fn create_location(
    tx: &mut Tx,
    cx: &Cx,
    organization_id: OrganizationId,
    fields: LocationFields,
) -> Result<Location, ApiError> {
    may_write(cx)?;
    let location = Location {
        id: LocationId::generate(),
        hsds_id: None,
        organization_id,
        fields,
        last_modified: cx.now,
        created_at: cx.now,
        version: 1,
    };
    must_exist(
        "organization_id",
        store::get_organization(tx, organization_id),
    )?;
    store::insert_location(tx, &location).map_err(taken)?;
    Ok(location)
}

pub fn list_locations(
    tx: &mut Tx,
    cx: &Cx,
    organization: Option<OrganizationId>,
    after: Option<&NameKeyset>,
    limit: usize,
) -> Result<Page<Location, NameKeyset>, ApiError> {
    may_read(cx)?;
    Ok(store::list_locations(tx, organization, after, limit)?)
}

pub fn get_location(tx: &mut Tx, cx: &Cx, id: LocationId) -> Result<Location, ApiError> {
    may_read(cx)?;
    Ok(store::get_location(tx, id)?)
}

pub fn replace_location(
    tx: &mut Tx,
    cx: &Cx,
    id: LocationId,
    if_match: &IfMatch,
    organization_id: OrganizationId,
    fields: LocationFields,
) -> Result<Location, ApiError> {
    may_write(cx)?;
    let mut location = store::get_location(tx, id)?;
    change_versioned(
        tx,
        &mut location,
        if_match,
        cx.now,
        |tx, location| {
            must_exist(
                "organization_id",
                store::get_organization(tx, organization_id),
            )?;
            location.fields = fields;
            location.organization_id = organization_id;
            Ok(true)
        },
        |tx, location, expected| Ok(store::update_location(tx, location, expected)?),
    )?;
    Ok(location)
}

pub fn delete_location(
    tx: &mut Tx,
    cx: &Cx,
    id: LocationId,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    may_write(cx)?;
    let location = store::get_location(tx, id)?;
    if_match.check(location.version)?;
    store::delete_location(tx, id).map_err(in_use("the location"))
}

// --------------------------------------------------------------------- services

/// A service's organization, taxonomy terms and locations must exist.
fn check_service_references(conn: &mut DbConnection, s: &Service) -> Result<(), ApiError> {
    must_exist(
        "organization_id",
        store::get_organization(conn, s.organization_id),
    )?;
    if store::count_terms(conn, &s.fields.taxonomy_term_ids)? != s.fields.taxonomy_term_ids.len() {
        return Err(ApiError::invalid_field(
            "taxonomy_term_ids",
            "unknown_reference",
            "an id is not a taxonomy term",
        ));
    }
    let ids: Vec<LocationId> = s.fields.location_ids.iter().copied().collect();
    if store::locations_by_ids(conn, &ids)?.len() != ids.len() {
        return Err(ApiError::invalid_field(
            "location_ids",
            "unknown_reference",
            "an id is not a location",
        ));
    }
    Ok(())
}

pub fn create_service(
    tx: &mut Tx,
    cx: &Cx,
    organization_id: OrganizationId,
    fields: ServiceFields,
) -> Result<Service, ApiError> {
    may_write(cx)?;
    let service = Service {
        id: ServiceId::generate(),
        hsds_id: None,
        organization_id,
        fields,
        capacity: None,
        last_modified: cx.now,
        created_at: cx.now,
        version: 1,
    };
    check_service_references(tx, &service)?;
    store::insert_service(tx, &service).map_err(taken)?;
    Ok(service)
}

/// Services matching `query`; `term` narrows to a taxonomy term and its
/// descendants (an unknown term is a 400 on `taxonomy_term_id`).
pub fn search_services(
    tx: &mut Tx,
    cx: &Cx,
    mut query: ServiceQuery,
    term: Option<TaxonomyTermId>,
    after: Option<&SearchKeyset>,
    limit: usize,
) -> Result<Page<ServiceHit, SearchKeyset>, ApiError> {
    may_read(cx)?;
    if let Some(id) = term {
        let term = store::get_term(tx, id).map_err(|e| match e {
            StoreError::NotFound => ApiError::BadRequest {
                detail: "invalid query parameter taxonomy_term_id: no taxonomy term has this id"
                    .to_owned(),
                errors: vec![spoke_domain::FieldError {
                    field: "taxonomy_term_id".to_owned(),
                    code: "invalid".to_owned(),
                    message: "no taxonomy term has this id".to_owned(),
                }],
            },
            other => other.into(),
        })?;
        query.taxonomy_path = Some(term.path);
    }
    Ok(store::search_services(tx, &query, after, limit)?)
}

pub fn get_service(tx: &mut Tx, cx: &Cx, id: ServiceId) -> Result<Service, ApiError> {
    may_read(cx)?;
    Ok(store::get_service(tx, id)?)
}

pub fn replace_service(
    tx: &mut Tx,
    cx: &Cx,
    id: ServiceId,
    if_match: &IfMatch,
    organization_id: OrganizationId,
    fields: ServiceFields,
) -> Result<Service, ApiError> {
    may_write(cx)?;
    let mut service = store::get_service(tx, id)?;
    change_versioned(
        tx,
        &mut service,
        if_match,
        cx.now,
        |tx, service| {
            service.fields = fields;
            service.organization_id = organization_id;
            check_service_references(tx, service)?;
            Ok(true)
        },
        |tx, service, expected| Ok(store::update_service(tx, service, expected)?),
    )?;
    Ok(service)
}

pub fn delete_service(
    tx: &mut Tx,
    cx: &Cx,
    id: ServiceId,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    may_write(cx)?;
    let service = store::get_service(tx, id)?;
    if_match.check(service.version)?;
    Ok(store::delete_service(tx, id)?)
}

/// A keeper's report of a service's capacity.
pub fn update_capacity(
    tx: &mut Tx,
    cx: &Cx,
    id: ServiceId,
    if_match: &IfMatch,
    capacity: CapacityState,
) -> Result<Service, ApiError> {
    may_write(cx)?;
    let mut service = store::get_service(tx, id)?;
    change_versioned(
        tx,
        &mut service,
        if_match,
        cx.now,
        |_, service| {
            service.capacity = Some(capacity);
            Ok(true)
        },
        |tx, service, expected| Ok(store::update_service(tx, service, expected)?),
    )?;
    Ok(service)
}

/// Every taxonomy term.
pub fn taxonomy(tx: &mut Tx, cx: &Cx) -> Result<Vec<TaxonomyTerm>, ApiError> {
    may_read(cx)?;
    Ok(store::list_terms(tx)?)
}
