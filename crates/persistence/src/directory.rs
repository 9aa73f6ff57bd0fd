//! The resource directory: organizations, locations, services, taxonomy,
//! and the service search every backend answers the same way.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use spoke_domain::client::AddressInput;
use spoke_domain::directory::{
    AgeRange, Capacity, CapacityState, ContactPhoneInput, GeoPoint, Location, LocationFields,
    LocationInput, LongText, OpeningHours, Organization, Service, ServiceFields, ServiceStatus,
    TaxonomyTerm, WebUrl, taxonomy_path,
};
use spoke_domain::ids::{LocationId, OrganizationId, ServiceId, TaxonomyTermId};
use spoke_domain::values::{Email, LanguageTag, ShortText};

use crate::StoreError;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::Page;
use crate::rows::{
    corrupt, from_db, from_json, one_versioned_row, parse_id, stored, text, to_db, to_json,
};
use crate::schema::{
    locations, organizations, service_hours, service_languages, service_locations, service_places,
    service_taxonomy, services, taxonomy_terms,
};

fn phones_from(raw: &str) -> Result<Vec<spoke_domain::directory::ContactPhone>, StoreError> {
    let inputs: Vec<ContactPhoneInput> = from_json(raw)?;
    ContactPhoneInput::parse_all(&inputs).map_err(|e| StoreError::Corrupt(format!("phones: {e:?}")))
}

fn phones_to(phones: &[spoke_domain::directory::ContactPhone]) -> String {
    to_json(
        &phones
            .iter()
            .map(ContactPhoneInput::from)
            .collect::<Vec<_>>(),
    )
}

// ---------------------------------------------------------------- organizations

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true, treat_none_as_default_value = false)]
struct OrganizationRow {
    id: String,
    hsds_id: Option<String>,
    name: String,
    description: Option<String>,
    website: Option<String>,
    email: Option<String>,
    tax_id: Option<String>,
    parent_id: Option<String>,
    phones: String,
    last_modified: chrono::NaiveDateTime,
    created_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Organization> for OrganizationRow {
    fn from(o: &Organization) -> Self {
        OrganizationRow {
            id: o.id.to_string(),
            hsds_id: o.hsds_id.clone(),
            name: o.name.to_string(),
            description: text(&o.description.as_ref().map(LongText::as_str)),
            website: text(&o.website.as_ref().map(WebUrl::as_str)),
            email: text(&o.email),
            tax_id: text(&o.tax_id),
            parent_id: text(&o.parent_id),
            phones: phones_to(&o.phones),
            last_modified: to_db(o.last_modified),
            created_at: to_db(o.created_at),
            version: o.version,
        }
    }
}

impl OrganizationRow {
    fn into_domain(self) -> Result<Organization, StoreError> {
        Ok(Organization {
            id: parse_id(&self.id)?,
            hsds_id: self.hsds_id,
            name: ShortText::parse(&self.name).map_err(|_| corrupt("name", &self.name))?,
            description: stored("description", self.description, LongText::parse)?,
            website: stored("website", self.website, WebUrl::parse)?,
            email: stored("email", self.email, Email::parse)?,
            tax_id: stored("tax id", self.tax_id, ShortText::parse)?,
            parent_id: self.parent_id.as_deref().map(parse_id).transpose()?,
            phones: phones_from(&self.phones)?,
            last_modified: from_db(self.last_modified),
            created_at: from_db(self.created_at),
            version: self.version,
        })
    }
}

pub fn insert_organization(conn: &mut DbConnection, o: &Organization) -> Result<(), StoreError> {
    diesel::insert_into(organizations::table)
        .values(OrganizationRow::from(o))
        .execute(conn)?;
    Ok(())
}

/// Writes `o` over the stored row if it is still at `expected_version`.
pub fn update_organization(
    conn: &mut DbConnection,
    o: &Organization,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        organizations::table
            .filter(organizations::id.eq(o.id.to_string()))
            .filter(organizations::version.eq(expected_version)),
    )
    .set(OrganizationRow::from(o))
    .execute(conn)?;
    one_versioned_row(changed)
}

pub fn get_organization(
    conn: &mut DbConnection,
    id: OrganizationId,
) -> Result<Organization, StoreError> {
    organizations::table
        .find(id.to_string())
        .select(OrganizationRow::as_select())
        .first::<OrganizationRow>(conn)?
        .into_domain()
}

pub fn organization_by_hsds_id(
    conn: &mut DbConnection,
    hsds_id: &str,
) -> Result<Option<Organization>, StoreError> {
    organizations::table
        .filter(organizations::hsds_id.eq(hsds_id))
        .select(OrganizationRow::as_select())
        .first::<OrganizationRow>(conn)
        .optional()?
        .map(OrganizationRow::into_domain)
        .transpose()
}

/// A position in a list ordered by name then id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameKeyset {
    pub name: String,
    pub id: String,
}

pub fn list_organizations(
    conn: &mut DbConnection,
    after: Option<&NameKeyset>,
    limit: usize,
) -> Result<Page<Organization, NameKeyset>, StoreError> {
    let mut query = organizations::table
        .select(OrganizationRow::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(after) = after {
        query = query.filter(
            organizations::name
                .gt(after.name.clone())
                .or(organizations::name
                    .eq(after.name.clone())
                    .and(organizations::id.gt(after.id.clone()))),
        );
    }
    let rows: Vec<OrganizationRow> = query
        .order((organizations::name.asc(), organizations::id.asc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(OrganizationRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |o| NameKeyset {
        name: o.name.to_string(),
        id: o.id.to_string(),
    }))
}

/// Deletes an organization; refused (`MissingReference`) while services or
/// locations still belong to it.
pub fn delete_organization(conn: &mut DbConnection, id: OrganizationId) -> Result<(), StoreError> {
    let deleted = diesel::delete(organizations::table.find(id.to_string())).execute(conn)?;
    if deleted == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

// ---------------------------------------------------------------- taxonomy

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = taxonomy_terms, treat_none_as_default_value = false)]
struct TermRow {
    id: String,
    hsds_id: Option<String>,
    code: String,
    name: String,
    description: Option<String>,
    parent_id: Option<String>,
    path: String,
    last_modified: chrono::NaiveDateTime,
}

impl TermRow {
    fn into_domain(self) -> Result<TaxonomyTerm, StoreError> {
        Ok(TaxonomyTerm {
            id: parse_id(&self.id)?,
            hsds_id: self.hsds_id,
            code: self.code,
            name: ShortText::parse(&self.name).map_err(|_| corrupt("term name", &self.name))?,
            description: stored("description", self.description, LongText::parse)?,
            parent_id: self.parent_id.as_deref().map(parse_id).transpose()?,
            path: self.path,
            last_modified: from_db(self.last_modified),
        })
    }
}

pub fn insert_term(conn: &mut DbConnection, term: &TaxonomyTerm) -> Result<(), StoreError> {
    diesel::insert_into(taxonomy_terms::table)
        .values(TermRow {
            id: term.id.to_string(),
            hsds_id: term.hsds_id.clone(),
            code: term.code.clone(),
            name: term.name.to_string(),
            description: text(&term.description.as_ref().map(LongText::as_str)),
            parent_id: text(&term.parent_id),
            path: term.path.clone(),
            last_modified: to_db(term.last_modified),
        })
        .execute(conn)?;
    Ok(())
}

/// Every term, parents before children (ordered by path).
pub fn list_terms(conn: &mut DbConnection) -> Result<Vec<TaxonomyTerm>, StoreError> {
    taxonomy_terms::table
        .select(TermRow::as_select())
        .order(taxonomy_terms::path.asc())
        .load::<TermRow>(conn)?
        .into_iter()
        .map(TermRow::into_domain)
        .collect()
}

pub fn get_term(conn: &mut DbConnection, id: TaxonomyTermId) -> Result<TaxonomyTerm, StoreError> {
    taxonomy_terms::table
        .find(id.to_string())
        .select(TermRow::as_select())
        .first::<TermRow>(conn)?
        .into_domain()
}

pub fn term_by_code(
    conn: &mut DbConnection,
    code: &str,
) -> Result<Option<TaxonomyTerm>, StoreError> {
    taxonomy_terms::table
        .filter(taxonomy_terms::code.eq(code))
        .select(TermRow::as_select())
        .first::<TermRow>(conn)
        .optional()?
        .map(TermRow::into_domain)
        .transpose()
}

pub fn term_by_hsds_id(
    conn: &mut DbConnection,
    hsds_id: &str,
) -> Result<Option<TaxonomyTerm>, StoreError> {
    taxonomy_terms::table
        .filter(taxonomy_terms::hsds_id.eq(hsds_id))
        .select(TermRow::as_select())
        .first::<TermRow>(conn)
        .optional()?
        .map(TermRow::into_domain)
        .transpose()
}

/// How many of `ids` exist.
pub fn count_terms(
    conn: &mut DbConnection,
    ids: &BTreeSet<TaxonomyTermId>,
) -> Result<usize, StoreError> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let count: i64 = taxonomy_terms::table
        .filter(taxonomy_terms::id.eq_any(ids))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(count).unwrap_or_default())
}

/// Stores the default taxonomy's missing terms; returns how many it added.
pub fn ensure_default_taxonomy(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut added = 0;
    let mut paths: HashMap<&str, (TaxonomyTermId, String)> = HashMap::new();
    for (code, name, parent) in spoke_domain::directory::DEFAULT_TAXONOMY {
        if let Some(existing) = term_by_code(conn, code)? {
            paths.insert(code, (existing.id, existing.path));
            continue;
        }
        let parent = parent.and_then(|p| paths.get(p).cloned());
        let term = TaxonomyTerm {
            id: TaxonomyTermId::generate(),
            hsds_id: None,
            code: (*code).to_owned(),
            name: ShortText::parse(name).map_err(|_| corrupt("default term", name))?,
            description: None,
            parent_id: parent.as_ref().map(|(id, _)| *id),
            path: taxonomy_path(parent.as_ref().map(|(_, path)| path.as_str()), code),
            last_modified: now,
        };
        insert_term(conn, &term)?;
        paths.insert(code, (term.id, term.path));
        added += 1;
    }
    Ok(added)
}

// ---------------------------------------------------------------- locations

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = locations, treat_none_as_null = true, treat_none_as_default_value = false)]
struct LocationRow {
    id: String,
    hsds_id: Option<String>,
    organization_id: String,
    name: String,
    address: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    accessibility: Option<String>,
    transportation: Option<String>,
    phones: String,
    last_modified: chrono::NaiveDateTime,
    created_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Location> for LocationRow {
    fn from(l: &Location) -> Self {
        let f = &l.fields;
        LocationRow {
            id: l.id.to_string(),
            hsds_id: l.hsds_id.clone(),
            organization_id: l.organization_id.to_string(),
            name: f.name.to_string(),
            address: f.address.as_ref().map(|a| to_json(&AddressInput::from(a))),
            latitude: f.point.map(|p| p.latitude),
            longitude: f.point.map(|p| p.longitude),
            accessibility: text(&f.accessibility.as_ref().map(LongText::as_str)),
            transportation: text(&f.transportation.as_ref().map(LongText::as_str)),
            phones: phones_to(&f.phones),
            last_modified: to_db(l.last_modified),
            created_at: to_db(l.created_at),
            version: l.version,
        }
    }
}

impl LocationRow {
    fn into_domain(self) -> Result<Location, StoreError> {
        let input = LocationInput {
            organization_id: parse_id(&self.organization_id)?,
            name: self.name,
            address: self
                .address
                .as_deref()
                .map(from_json::<AddressInput>)
                .transpose()?,
            latitude: self.latitude,
            longitude: self.longitude,
            accessibility: self.accessibility,
            transportation: self.transportation,
            phones: from_json(&self.phones)?,
        };
        let fields: LocationFields = input
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("location {}: {e:?}", self.id)))?;
        Ok(Location {
            id: parse_id(&self.id)?,
            hsds_id: self.hsds_id,
            organization_id: input.organization_id,
            fields,
            last_modified: from_db(self.last_modified),
            created_at: from_db(self.created_at),
            version: self.version,
        })
    }
}

pub fn insert_location(conn: &mut DbConnection, l: &Location) -> Result<(), StoreError> {
    diesel::insert_into(locations::table)
        .values(LocationRow::from(l))
        .execute(conn)?;
    Ok(())
}

pub fn update_location(
    conn: &mut DbConnection,
    l: &Location,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        locations::table
            .filter(locations::id.eq(l.id.to_string()))
            .filter(locations::version.eq(expected_version)),
    )
    .set(LocationRow::from(l))
    .execute(conn)?;
    one_versioned_row(changed)?;
    rewrite_places_at(conn, l)
}

pub fn get_location(conn: &mut DbConnection, id: LocationId) -> Result<Location, StoreError> {
    locations::table
        .find(id.to_string())
        .select(LocationRow::as_select())
        .first::<LocationRow>(conn)?
        .into_domain()
}

/// The locations with these ids, in any order.
pub fn locations_by_ids(
    conn: &mut DbConnection,
    ids: &[LocationId],
) -> Result<Vec<Location>, StoreError> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    locations::table
        .filter(locations::id.eq_any(ids))
        .select(LocationRow::as_select())
        .load::<LocationRow>(conn)?
        .into_iter()
        .map(LocationRow::into_domain)
        .collect()
}

pub fn list_locations(
    conn: &mut DbConnection,
    organization: Option<OrganizationId>,
    after: Option<&NameKeyset>,
    limit: usize,
) -> Result<Page<Location, NameKeyset>, StoreError> {
    let mut query = locations::table
        .select(LocationRow::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(organization) = organization {
        query = query.filter(locations::organization_id.eq(organization.to_string()));
    }
    if let Some(after) = after {
        query = query.filter(
            locations::name.gt(after.name.clone()).or(locations::name
                .eq(after.name.clone())
                .and(locations::id.gt(after.id.clone()))),
        );
    }
    let rows: Vec<LocationRow> = query
        .order((locations::name.asc(), locations::id.asc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(LocationRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |l| NameKeyset {
        name: l.fields.name.to_string(),
        id: l.id.to_string(),
    }))
}

/// Deletes a location; refused (`MissingReference`) while a service is delivered there.
pub fn delete_location(conn: &mut DbConnection, id: LocationId) -> Result<(), StoreError> {
    let deleted = diesel::delete(locations::table.find(id.to_string())).execute(conn)?;
    if deleted == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

// ---------------------------------------------------------------- services

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = services, treat_none_as_null = true, treat_none_as_default_value = false)]
struct ServiceRow {
    id: String,
    hsds_id: Option<String>,
    organization_id: String,
    name: String,
    sort_name: String,
    description: Option<String>,
    search_text: String,
    status: String,
    application_process: Option<String>,
    fees_description: Option<String>,
    wait_time: Option<String>,
    eligibility_description: Option<String>,
    minimum_age: Option<i32>,
    maximum_age: Option<i32>,
    accepts_medicaid: i32,
    interpretation_services: Option<String>,
    phones: String,
    languages: String,
    hours: String,
    taxonomy_term_ids: String,
    location_ids: String,
    capacity: Option<String>,
    capacity_note: Option<String>,
    capacity_updated_at: Option<chrono::NaiveDateTime>,
    last_modified: chrono::NaiveDateTime,
    created_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Service> for ServiceRow {
    fn from(s: &Service) -> Self {
        let f = &s.fields;
        let long = |v: &Option<LongText>| text(&v.as_ref().map(LongText::as_str));
        ServiceRow {
            id: s.id.to_string(),
            hsds_id: s.hsds_id.clone(),
            organization_id: s.organization_id.to_string(),
            name: f.name.to_string(),
            sort_name: f.name.as_str().to_lowercase(),
            description: long(&f.description),
            search_text: f.search_text(),
            status: f.status.as_str().to_owned(),
            application_process: long(&f.application_process),
            fees_description: long(&f.fees_description),
            wait_time: text(&f.wait_time),
            eligibility_description: long(&f.eligibility_description),
            minimum_age: f.ages.minimum,
            maximum_age: f.ages.maximum,
            accepts_medicaid: i32::from(f.accepts_medicaid),
            interpretation_services: long(&f.interpretation_services),
            phones: phones_to(&f.phones),
            languages: to_json(
                &f.languages
                    .iter()
                    .map(LanguageTag::as_str)
                    .collect::<Vec<_>>(),
            ),
            hours: to_json(&f.hours),
            taxonomy_term_ids: to_json(&f.taxonomy_term_ids),
            location_ids: to_json(&f.location_ids),
            capacity: s.capacity.as_ref().map(|c| c.status.as_str().to_owned()),
            capacity_note: s.capacity.as_ref().and_then(|c| text(&c.note)),
            capacity_updated_at: s.capacity.as_ref().map(|c| to_db(c.updated_at)),
            last_modified: to_db(s.last_modified),
            created_at: to_db(s.created_at),
            version: s.version,
        }
    }
}

impl ServiceRow {
    fn into_domain(self) -> Result<Service, StoreError> {
        let mut languages = BTreeSet::new();
        for tag in from_json::<Vec<String>>(&self.languages)? {
            languages.insert(LanguageTag::parse(&tag).map_err(|_| corrupt("language", &tag))?);
        }
        let fields = ServiceFields {
            name: ShortText::parse(&self.name).map_err(|_| corrupt("service name", &self.name))?,
            description: stored("description", self.description, LongText::parse)?,
            status: ServiceStatus::parse(&self.status)
                .ok_or_else(|| corrupt("status", &self.status))?,
            application_process: stored(
                "application process",
                self.application_process,
                LongText::parse,
            )?,
            fees_description: stored("fees", self.fees_description, LongText::parse)?,
            wait_time: stored("wait time", self.wait_time, ShortText::parse)?,
            eligibility_description: stored(
                "eligibility",
                self.eligibility_description,
                LongText::parse,
            )?,
            ages: AgeRange::parse(self.minimum_age, self.maximum_age)
                .map_err(|_| StoreError::Corrupt("age range".to_owned()))?,
            accepts_medicaid: self.accepts_medicaid == 1,
            languages,
            interpretation_services: stored(
                "interpretation",
                self.interpretation_services,
                LongText::parse,
            )?,
            phones: phones_from(&self.phones)?,
            hours: from_json::<Vec<OpeningHours>>(&self.hours)?,
            taxonomy_term_ids: from_json(&self.taxonomy_term_ids)?,
            location_ids: from_json(&self.location_ids)?,
        };
        let capacity = match (self.capacity, self.capacity_updated_at) {
            (Some(status), Some(at)) => Some(CapacityState {
                status: Capacity::parse(&status).ok_or_else(|| corrupt("capacity", &status))?,
                note: stored("capacity note", self.capacity_note, ShortText::parse)?,
                updated_at: from_db(at),
            }),
            _ => None,
        };
        Ok(Service {
            id: parse_id(&self.id)?,
            hsds_id: self.hsds_id,
            organization_id: parse_id(&self.organization_id)?,
            fields,
            capacity,
            last_modified: from_db(self.last_modified),
            created_at: from_db(self.created_at),
            version: self.version,
        })
    }
}

/// Rewrites the index rows derived from a service's fields.
fn write_service_links(conn: &mut DbConnection, s: &Service) -> Result<(), StoreError> {
    let id = s.id.to_string();
    diesel::delete(service_languages::table.filter(service_languages::service_id.eq(&id)))
        .execute(conn)?;
    diesel::delete(service_taxonomy::table.filter(service_taxonomy::service_id.eq(&id)))
        .execute(conn)?;
    diesel::delete(service_hours::table.filter(service_hours::service_id.eq(&id))).execute(conn)?;
    diesel::delete(service_locations::table.filter(service_locations::service_id.eq(&id)))
        .execute(conn)?;
    diesel::delete(service_places::table.filter(service_places::service_id.eq(&id)))
        .execute(conn)?;
    write_links(conn, std::slice::from_ref(s))
}

// ------------------------------------------------------- the near index

/// Bands of latitude per degree in the near index (0.05°, about 5.5 km).
const BANDS_PER_DEGREE: f64 = 20.0;

/// The latitude band a point is stored under.
fn lat_band(latitude: f64) -> i32 {
    // A latitude lies within ±90, so the band always fits.
    #[allow(clippy::cast_possible_truncation)]
    let band = (latitude * BANDS_PER_DEGREE).floor() as i32;
    band
}

/// Items between bars, `|a|b|`, so that `%|a|%` matches one whole item and
/// `%|a%` one that starts with `a`.
fn barred<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from("|");
    for item in items {
        out.push_str(item);
        out.push('|');
    }
    out
}

#[derive(Debug, Insertable)]
#[diesel(table_name = service_places, treat_none_as_default_value = false)]
struct PlaceRow {
    lat_band: i32,
    longitude: f64,
    latitude: f64,
    service_id: String,
    location_id: String,
    status: String,
    accepts_medicaid: i32,
    minimum_age: Option<i32>,
    maximum_age: Option<i32>,
    capacity: Option<String>,
    last_modified: chrono::NaiveDateTime,
    languages: String,
    term_paths: String,
}

/// Adds the near-index rows of `s` at `places`, (location id, point).
/// Call inside a transaction.
fn write_places(
    conn: &mut DbConnection,
    s: &Service,
    places: &[(String, GeoPoint)],
) -> Result<(), StoreError> {
    if places.is_empty() {
        return Ok(());
    }
    let term_ids: Vec<String> = s
        .fields
        .taxonomy_term_ids
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut paths: Vec<String> = if term_ids.is_empty() {
        Vec::new()
    } else {
        taxonomy_terms::table
            .filter(taxonomy_terms::id.eq_any(term_ids))
            .select(taxonomy_terms::path)
            .load(conn)?
    };
    paths.sort();
    let term_paths = barred(paths.iter().map(String::as_str));
    let languages = barred(s.fields.languages.iter().map(LanguageTag::as_str));
    let service = ServiceRow::from(s);
    let rows: Vec<PlaceRow> = places
        .iter()
        .map(|(location_id, point)| PlaceRow {
            lat_band: lat_band(point.latitude),
            longitude: point.longitude,
            latitude: point.latitude,
            service_id: service.id.clone(),
            location_id: location_id.clone(),
            status: service.status.clone(),
            accepts_medicaid: service.accepts_medicaid,
            minimum_age: service.minimum_age,
            maximum_age: service.maximum_age,
            capacity: service.capacity.clone(),
            last_modified: service.last_modified,
            languages: languages.clone(),
            term_paths: term_paths.clone(),
        })
        .collect();
    for row in rows {
        diesel::insert_into(service_places::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Rebuilds the near-index rows at location `l` after it changed: its
/// coordinates may have moved, appeared or gone. Call inside a transaction.
fn rewrite_places_at(conn: &mut DbConnection, l: &Location) -> Result<(), StoreError> {
    let id = l.id.to_string();
    diesel::delete(service_places::table.filter(service_places::location_id.eq(&id)))
        .execute(conn)?;
    let Some(point) = l.fields.point else {
        return Ok(());
    };
    let here = [(id.clone(), point)];
    let served: Vec<ServiceRow> = services::table
        .inner_join(service_locations::table)
        .filter(service_locations::location_id.eq(&id))
        .select(ServiceRow::as_select())
        .load(conn)?;
    for row in served {
        write_places(conn, &row.into_domain()?, &here)?;
    }
    Ok(())
}

/// Stores a new service and its index rows. Call inside a transaction.
pub fn insert_service(conn: &mut DbConnection, s: &Service) -> Result<(), StoreError> {
    insert_services(conn, std::slice::from_ref(s))
}

/// Writes `s` over the stored row if it is still at `expected_version`.
pub fn update_service(
    conn: &mut DbConnection,
    s: &Service,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        services::table
            .filter(services::id.eq(s.id.to_string()))
            .filter(services::version.eq(expected_version)),
    )
    .set(ServiceRow::from(s))
    .execute(conn)?;
    one_versioned_row(changed)?;
    write_service_links(conn, s)
}

pub fn get_service(conn: &mut DbConnection, id: ServiceId) -> Result<Service, StoreError> {
    services::table
        .find(id.to_string())
        .select(ServiceRow::as_select())
        .first::<ServiceRow>(conn)?
        .into_domain()
}

pub fn delete_service(conn: &mut DbConnection, id: ServiceId) -> Result<(), StoreError> {
    let deleted = diesel::delete(services::table.find(id.to_string())).execute(conn)?;
    if deleted == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

pub fn count_services(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(services::table.count().get_result(conn)?)
}

/// What a service search asks for; every filter given narrows the result.
#[derive(Debug, Clone, Default)]
pub struct ServiceQuery {
    /// Every word must appear in the name or description (any case).
    pub words: Vec<String>,
    /// A term's path: services with that term or any descendant.
    pub taxonomy_path: Option<String>,
    /// A language tag; `es` also matches `es-MX`.
    pub language: Option<String>,
    pub accepts_medicaid: Option<bool>,
    /// A client's age, within the service's minimum and maximum.
    pub age: Option<i32>,
    pub capacity: Option<Capacity>,
    pub status: Option<ServiceStatus>,
    /// Open at this local weekday (1-7) and minute of the day.
    pub open_at: Option<(i32, i32)>,
    /// Within `radius_km` of a point: ordered by distance.
    pub near: Option<(GeoPoint, f64)>,
    pub modified_after: Option<DateTime<Utc>>,
    /// Only this organization's services (a partner's own).
    pub organization: Option<OrganizationId>,
}

/// Where the next page of a search starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum SearchKeyset {
    Name { name: String, id: String },
    Distance { km: f64, id: String },
}

/// A service found, with its distance when the search was near a point.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceHit {
    pub service: Service,
    pub distance_km: Option<f64>,
}

fn like_word(word: &str) -> String {
    let mut pattern = String::from("%");
    for c in word.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

type BoxedServices<'a> = services::BoxedQuery<'a, MultiBackend>;
type BoxedPlaces<'a> = service_places::BoxedQuery<'a, MultiBackend>;

/// The filters on a service's own scalar fields, applied to the services
/// table or to the near index, which carries the same columns: one
/// definition of what each filter means.
macro_rules! scalar_filters {
    ($query:expr, $table:ident, $q:expr) => {{
        let (mut query, q) = ($query, $q);
        if let Some(medicaid) = q.accepts_medicaid {
            query = query.filter($table::accepts_medicaid.eq(i32::from(medicaid)));
        }
        if let Some(age) = q.age {
            query = query
                .filter(
                    $table::minimum_age
                        .is_null()
                        .or($table::minimum_age.le(age)),
                )
                .filter(
                    $table::maximum_age
                        .is_null()
                        .or($table::maximum_age.ge(age)),
                );
        }
        if let Some(capacity) = q.capacity {
            query = query.filter($table::capacity.eq(capacity.as_str()));
        }
        if let Some(status) = q.status {
            query = query.filter($table::status.eq(status.as_str()));
        }
        if let Some(after) = q.modified_after {
            query = query.filter($table::last_modified.gt(to_db(after)));
        }
        query
    }};
}

/// `LIKE` patterns: a language tag itself, and its subtags (`es` also
/// matches `es-MX`).
fn language_patterns(language: &str) -> (String, String) {
    (language.to_owned(), format!("{language}-%"))
}

/// The `LIKE` pattern of a taxonomy term and its descendants: every path
/// under it starts with its own.
fn term_pattern(path: &str) -> String {
    format!("{path}%")
}

/// Applies every filter of `q` to the services table. The indexed,
/// selective tests come first; the row's own tests after, free text last.
fn filtered<'a>(mut query: BoxedServices<'a>, q: &ServiceQuery) -> BoxedServices<'a> {
    if let Some(path) = &q.taxonomy_path {
        query = query.filter(exists(
            service_taxonomy::table
                .inner_join(taxonomy_terms::table)
                .filter(service_taxonomy::service_id.eq(services::id))
                .filter(taxonomy_terms::path.like(term_pattern(path))),
        ));
    }
    if let Some(language) = &q.language {
        let (itself, subtags) = language_patterns(language);
        query = query.filter(exists(
            service_languages::table
                .filter(service_languages::service_id.eq(services::id))
                .filter(
                    service_languages::language
                        .eq(itself)
                        .or(service_languages::language.like(subtags)),
                ),
        ));
    }
    query = scalar_filters!(query, services, q);
    row_filtered(query, q)
}

/// The filters only the services tables can decide: opening hours and
/// free text.
fn row_filtered<'a>(mut query: BoxedServices<'a>, q: &ServiceQuery) -> BoxedServices<'a> {
    if let Some(organization) = q.organization {
        query = query.filter(services::organization_id.eq(organization.to_string()));
    }
    if let Some((weekday, minute)) = q.open_at {
        query = query.filter(exists(
            service_hours::table
                .filter(service_hours::service_id.eq(services::id))
                .filter(service_hours::weekday.eq(weekday))
                .filter(service_hours::opens_minute.le(minute))
                .filter(service_hours::closes_minute.gt(minute)),
        ));
    }
    for word in &q.words {
        query = query.filter(services::search_text.like(like_word(word)).escape('\\'));
    }
    query
}

/// Applies to the near index every filter of `q` it can decide: all but
/// opening hours and free text.
fn place_filtered<'a>(mut query: BoxedPlaces<'a>, q: &ServiceQuery) -> BoxedPlaces<'a> {
    if let Some(path) = &q.taxonomy_path {
        query = query.filter(service_places::term_paths.like(format!("%|{}", term_pattern(path))));
    }
    if let Some(language) = &q.language {
        let (itself, subtags) = language_patterns(language);
        query = query.filter(
            service_places::languages
                .like(format!("%|{itself}|%"))
                .or(service_places::languages.like(format!("%|{subtags}|%"))),
        );
    }
    scalar_filters!(query, service_places, q)
}

/// The first ring of a near search, in kilometres.
const FIRST_RING_KM: f64 = 1.0;

/// The next ring after one of radius `ring` held `found` of the `wanted`
/// hits: sized for the density seen so far with a margin, growing by at
/// least √2 (twice the area) and at most 4 times per step.
fn next_ring(ring: f64, found: usize, wanted: usize) -> f64 {
    let growth = if found == 0 {
        4.0
    } else {
        // Hits grow with the area, the square of the radius.
        (1.25 * (wanted as f64 / found as f64).sqrt()).clamp(std::f64::consts::SQRT_2, 4.0)
    };
    ring * growth
}

/// The nearest `wanted` services past `after` that match `q` and have a
/// location within `radius` of `center`, as (distance to their nearest
/// location, id), nearest first; fewer when the circle holds fewer.
///
/// The near index answers the bounding box (a few latitude bands, a
/// longitude range within each) and every filter but opening hours and free
/// text in one pass over neighbouring rows; the exact distance is computed
/// here; the services table then checks the remaining filters, nearest
/// first and only until `wanted` have passed. `known` remembers what it
/// decided in smaller rings.
fn rank_within(
    conn: &mut DbConnection,
    q: &ServiceQuery,
    center: GeoPoint,
    radius: f64,
    after: Option<(f64, &str)>,
    wanted: usize,
    known: &mut HashMap<String, bool>,
) -> Result<Vec<(f64, String)>, StoreError> {
    let bbox = center.bounding_box(radius);
    let bands: Vec<i32> = (lat_band(bbox.min_lat)..=lat_band(bbox.max_lat)).collect();
    let query = service_places::table
        .filter(service_places::lat_band.eq_any(bands))
        .filter(service_places::longitude.between(bbox.min_lng, bbox.max_lng))
        .filter(service_places::latitude.between(bbox.min_lat, bbox.max_lat))
        .into_boxed();
    let places: Vec<(String, f64, f64)> = place_filtered(query, q)
        .select((
            service_places::service_id,
            service_places::latitude,
            service_places::longitude,
        ))
        .load(conn)?;
    let mut nearest: HashMap<String, f64> = HashMap::new();
    for (service, latitude, longitude) in places {
        let km = center.distance_km(&GeoPoint {
            latitude,
            longitude,
        });
        if km <= radius {
            let best = nearest.entry(service).or_insert(km);
            *best = best.min(km);
        }
    }
    let mut order: Vec<(f64, String)> = nearest.into_iter().map(|(id, km)| (km, id)).collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    if let Some((km, id)) = after {
        order.retain(|(d, i)| d.total_cmp(&km).then_with(|| i.as_str().cmp(id)).is_gt());
    }
    if q.open_at.is_none() && q.words.is_empty() {
        order.truncate(wanted);
        return Ok(order);
    }
    let mut ranked = Vec::new();
    for chunk in order.chunks(FILTER_CHUNK) {
        let unknown: Vec<&String> = chunk
            .iter()
            .map(|(_, id)| id)
            .filter(|id| !known.contains_key(*id))
            .collect();
        if !unknown.is_empty() {
            let passing: BTreeSet<String> = row_filtered(services::table.into_boxed(), q)
                .filter(services::id.eq_any(&unknown))
                .select(services::id)
                .load::<String>(conn)?
                .into_iter()
                .collect();
            for id in unknown {
                known.insert(id.clone(), passing.contains(id));
            }
        }
        ranked.extend(
            chunk
                .iter()
                .filter(|(_, id)| known.get(id).copied().unwrap_or(false))
                .cloned(),
        );
        if ranked.len() >= wanted {
            break;
        }
    }
    Ok(ranked)
}

/// How many candidates a near search checks on the services table at once,
/// nearest first.
const FILTER_CHUNK: usize = 32;

/// Services matching `q`: by name, or by distance when `q.near` is given,
/// `limit` at a time after `after`.
pub fn search_services(
    conn: &mut DbConnection,
    q: &ServiceQuery,
    after: Option<&SearchKeyset>,
    limit: usize,
) -> Result<Page<ServiceHit, SearchKeyset>, StoreError> {
    let Some((center, radius)) = q.near else {
        let mut query = filtered(services::table.into_boxed(), q);
        if let Some(SearchKeyset::Name { name, id }) = after {
            query = query.filter(
                services::sort_name.gt(name.clone()).or(services::sort_name
                    .eq(name.clone())
                    .and(services::id.gt(id.clone()))),
            );
        }
        let rows: Vec<ServiceRow> = query
            .select(ServiceRow::as_select())
            .order((services::sort_name.asc(), services::id.asc()))
            .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
            .load(conn)?;
        let hits = rows
            .into_iter()
            .map(|row| {
                row.into_domain().map(|service| ServiceHit {
                    service,
                    distance_km: None,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Page::from_rows(hits, limit, |hit| SearchKeyset::Name {
            name: hit.service.fields.name.as_str().to_lowercase(),
            id: hit.service.id.to_string(),
        }));
    };
    // Nearest first, in growing rings: search a small circle and double it
    // until it holds a page beyond the cursor or reaches the radius. Anything
    // outside the ring is farther than everything inside, so the page is
    // exact; and the work depends on the page size, not on the directory's.
    let start = match after {
        Some(SearchKeyset::Distance { km, .. }) => km + FIRST_RING_KM,
        _ => FIRST_RING_KM,
    };
    let mut ring = start.min(radius);
    let mut known = HashMap::new();
    let cursor = match after {
        Some(SearchKeyset::Distance { km, id }) => Some((*km, id.as_str())),
        _ => None,
    };
    let mut ranked = loop {
        let found = rank_within(conn, q, center, ring, cursor, limit + 1, &mut known)?;
        if found.len() > limit || ring >= radius {
            break found;
        }
        ring = next_ring(ring, found.len(), limit + 1).min(radius);
    };
    ranked.truncate(limit + 1);
    let page_ids: Vec<String> = ranked.iter().map(|(_, id)| id.clone()).collect();
    let mut rows: HashMap<String, ServiceRow> = services::table
        .filter(services::id.eq_any(&page_ids))
        .select(ServiceRow::as_select())
        .load::<ServiceRow>(conn)?
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    let hits = ranked
        .into_iter()
        .filter_map(|(km, id)| rows.remove(&id).map(|row| (km, row)))
        .map(|(km, row)| {
            row.into_domain().map(|service| ServiceHit {
                service,
                distance_km: Some(km),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(hits, limit, |hit| SearchKeyset::Distance {
        km: hit.distance_km.unwrap_or_default(),
        id: hit.service.id.to_string(),
    }))
}

// ------------------------------------------------------- bulk import

/// Runs one multi-row insert per `chunk` rows, each backend its own SQL.
macro_rules! insert_chunks {
    ($conn:expr, $table:expr, $rows:expr, $chunk:expr) => {{
        for chunk in $rows.chunks($chunk) {
            let insert = diesel::insert_into($table).values(chunk);
            match &mut *$conn {
                DbConnection::Sqlite(inner) => insert.execute(inner)?,
                DbConnection::Postgres(inner) => insert.execute(inner)?,
            };
        }
    }};
}

/// The records of `table` (as `Row`) whose HSDS ids are among `hsds_ids`,
/// by HSDS id: one query per `BULK_ROWS` ids.
macro_rules! by_hsds_ids {
    ($conn:expr, $table:ident, $row:ty, $hsds_ids:expr) => {{
        let mut found = HashMap::new();
        for chunk in $hsds_ids.chunks(BULK_ROWS) {
            let rows: Vec<$row> = $table::table
                .filter($table::hsds_id.eq_any(chunk))
                .select(<$row>::as_select())
                .load(&mut *$conn)?;
            for row in rows {
                let record = row.into_domain()?;
                if let Some(hsds) = record.hsds_id.clone() {
                    found.insert(hsds, record);
                }
            }
        }
        Ok(found)
    }};
}

/// Rows per multi-row statement: under SQLite's and PostgreSQL's limits on
/// bound parameters for the widest row (a service's, about 25 columns).
const BULK_ROWS: usize = 500;

/// The organizations with these HSDS ids, by HSDS id.
pub fn organizations_by_hsds_ids(
    conn: &mut DbConnection,
    hsds_ids: &[String],
) -> Result<HashMap<String, Organization>, StoreError> {
    by_hsds_ids!(conn, organizations, OrganizationRow, hsds_ids)
}

/// Stores new organizations in multi-row statements, in the order given (a
/// parent before its children). Call inside a transaction.
pub fn insert_organizations(
    conn: &mut DbConnection,
    all: &[Organization],
) -> Result<(), StoreError> {
    let rows: Vec<OrganizationRow> = all.iter().map(OrganizationRow::from).collect();
    insert_chunks!(conn, organizations::table, rows, BULK_ROWS);
    Ok(())
}

/// The locations with these HSDS ids, by HSDS id.
pub fn locations_by_hsds_ids(
    conn: &mut DbConnection,
    hsds_ids: &[String],
) -> Result<HashMap<String, Location>, StoreError> {
    by_hsds_ids!(conn, locations, LocationRow, hsds_ids)
}

/// Stores new locations in multi-row statements. Call inside a transaction.
pub fn insert_locations(conn: &mut DbConnection, all: &[Location]) -> Result<(), StoreError> {
    let rows: Vec<LocationRow> = all.iter().map(LocationRow::from).collect();
    insert_chunks!(conn, locations::table, rows, BULK_ROWS);
    Ok(())
}

/// The services with these HSDS ids, by HSDS id.
pub fn services_by_hsds_ids(
    conn: &mut DbConnection,
    hsds_ids: &[String],
) -> Result<HashMap<String, Service>, StoreError> {
    by_hsds_ids!(conn, services, ServiceRow, hsds_ids)
}

#[derive(Insertable)]
#[diesel(table_name = service_languages, treat_none_as_default_value = false)]
struct LanguageRow {
    service_id: String,
    language: String,
}

#[derive(Insertable)]
#[diesel(table_name = service_taxonomy, treat_none_as_default_value = false)]
struct TaxonomyRow {
    service_id: String,
    term_id: String,
}

#[derive(Insertable)]
#[diesel(table_name = service_hours, treat_none_as_default_value = false)]
struct HoursRow {
    service_id: String,
    weekday: i32,
    opens_minute: i32,
    closes_minute: i32,
}

#[derive(Insertable)]
#[diesel(table_name = service_locations, treat_none_as_default_value = false)]
struct ServiceLocationRow {
    service_id: String,
    location_id: String,
}

/// Stores new services and all their index rows (languages, terms, hours,
/// locations, the near index) in a few multi-row statements instead of a
/// dozen per service: what `insert_service` does for each, at once. Call
/// inside a transaction; the locations and terms must be stored already.
pub fn insert_services(conn: &mut DbConnection, all: &[Service]) -> Result<(), StoreError> {
    if all.is_empty() {
        return Ok(());
    }
    let rows: Vec<ServiceRow> = all.iter().map(ServiceRow::from).collect();
    insert_chunks!(conn, services::table, rows, BULK_ROWS);
    write_links(conn, all)
}

/// Adds the index rows derived from services' fields (languages, terms,
/// hours, locations, the near index), a few multi-row statements for all of
/// them. Call inside a transaction, with none of their index rows stored.
fn write_links(conn: &mut DbConnection, all: &[Service]) -> Result<(), StoreError> {
    let mut languages = Vec::new();
    let mut terms = Vec::new();
    let mut hours = Vec::new();
    let mut links = Vec::new();
    let mut location_ids = BTreeSet::new();
    let mut term_ids = BTreeSet::new();
    for s in all {
        let id = s.id.to_string();
        for language in &s.fields.languages {
            languages.push(LanguageRow {
                service_id: id.clone(),
                language: language.as_str().to_owned(),
            });
        }
        for term in &s.fields.taxonomy_term_ids {
            terms.push(TaxonomyRow {
                service_id: id.clone(),
                term_id: term.to_string(),
            });
            term_ids.insert(term.to_string());
        }
        for h in &s.fields.hours {
            let (opens_minute, closes_minute) = h.minutes();
            hours.push(HoursRow {
                service_id: id.clone(),
                weekday: h.weekday.number(),
                opens_minute,
                closes_minute,
            });
        }
        for location in &s.fields.location_ids {
            links.push(ServiceLocationRow {
                service_id: id.clone(),
                location_id: location.to_string(),
            });
            location_ids.insert(location.to_string());
        }
    }
    insert_chunks!(conn, service_languages::table, languages, BULK_ROWS);
    insert_chunks!(conn, service_taxonomy::table, terms, BULK_ROWS);
    insert_chunks!(conn, service_hours::table, hours, BULK_ROWS);
    insert_chunks!(conn, service_locations::table, links, BULK_ROWS);

    // The near index: each service at each of its located locations.
    let ids: Vec<String> = location_ids.into_iter().collect();
    let mut points: HashMap<String, GeoPoint> = HashMap::new();
    for chunk in ids.chunks(BULK_ROWS) {
        let found: Vec<(String, Option<f64>, Option<f64>)> = locations::table
            .filter(locations::id.eq_any(chunk))
            .select((locations::id, locations::latitude, locations::longitude))
            .load(conn)?;
        for (id, latitude, longitude) in found {
            if let (Some(lat), Some(lng)) = (latitude, longitude)
                && let Ok(point) = GeoPoint::parse(lat, lng)
            {
                points.insert(id, point);
            }
        }
    }
    let term_ids: Vec<String> = term_ids.into_iter().collect();
    let mut paths: HashMap<String, String> = HashMap::new();
    for chunk in term_ids.chunks(BULK_ROWS) {
        let found: Vec<(String, String)> = taxonomy_terms::table
            .filter(taxonomy_terms::id.eq_any(chunk))
            .select((taxonomy_terms::id, taxonomy_terms::path))
            .load(conn)?;
        paths.extend(found);
    }
    let mut places = Vec::new();
    for s in all {
        let service = ServiceRow::from(s);
        let mut term_paths: Vec<&str> = s
            .fields
            .taxonomy_term_ids
            .iter()
            .filter_map(|t| paths.get(&t.to_string()).map(String::as_str))
            .collect();
        term_paths.sort_unstable();
        let term_paths = barred(term_paths);
        let languages = barred(s.fields.languages.iter().map(LanguageTag::as_str));
        for location in &s.fields.location_ids {
            let location_id = location.to_string();
            let Some(point) = points.get(&location_id) else {
                continue;
            };
            places.push(PlaceRow {
                lat_band: lat_band(point.latitude),
                longitude: point.longitude,
                latitude: point.latitude,
                service_id: service.id.clone(),
                location_id,
                status: service.status.clone(),
                accepts_medicaid: service.accepts_medicaid,
                minimum_age: service.minimum_age,
                maximum_age: service.maximum_age,
                capacity: service.capacity.clone(),
                last_modified: service.last_modified,
                languages: languages.clone(),
                term_paths: term_paths.clone(),
            });
        }
    }
    insert_chunks!(conn, service_places::table, places, BULK_ROWS);
    Ok(())
}
