//! The community resource directory, shaped after Open Referral HSDS 3.0:
//! organizations, their services and locations, opening hours, a taxonomy
//! tree, and each service's capacity. Geography and schedules are pure
//! functions here so both databases and the API agree on them.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use validator::ValidateUrl;

use crate::client::{Address, AddressInput};
use crate::error::{FieldErrors, ValueError};
use crate::ids::{LocationId, OrganizationId, ServiceId, TaxonomyTermId};
pub use crate::values::LongText;
use crate::values::{Email, LanguageTag, Phone, ShortText};

/// An http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, format = "uri", example = "https://foodbank.example.org"))]
pub struct WebUrl(String);

impl WebUrl {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let text = raw.trim();
        let lower = text.to_ascii_lowercase();
        if text.len() > 2000
            || !(lower.starts_with("http://") || lower.starts_with("https://"))
            || !text.validate_url()
        {
            return Err(ValueError::new(
                "invalid_url",
                "must be an http or https URL",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A point on the earth, in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"latitude": 45.5152, "longitude": -122.6784})))]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

/// The mean earth radius used for distances.
const EARTH_RADIUS_KM: f64 = 6371.0088;

impl GeoPoint {
    pub fn parse(latitude: f64, longitude: f64) -> Result<Self, ValueError> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(ValueError::new(
                "out_of_range",
                "latitude must be between -90 and 90",
            ));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(ValueError::new(
                "out_of_range",
                "longitude must be between -180 and 180",
            ));
        }
        Ok(Self {
            latitude,
            longitude,
        })
    }

    /// Great-circle distance (haversine), in kilometres.
    pub fn distance_km(&self, other: &GeoPoint) -> f64 {
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dlat = lat2 - lat1;
        let dlng = (other.longitude - self.longitude).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }

    /// A latitude/longitude box that contains every point within
    /// `radius_km`: a cheap index prefilter before the exact distance.
    pub fn bounding_box(&self, radius_km: f64) -> BoundingBox {
        let angular = radius_km / EARTH_RADIUS_KM;
        let dlat = angular.to_degrees();
        let min_lat = self.latitude - dlat;
        let max_lat = self.latitude + dlat;
        // The widest longitude a circle reaches is poleward of its centre:
        // asin(sin(r) / cos(lat)) (J. P. Matuschek, "Finding Points Within a
        // Distance of a Latitude/Longitude Using Bounding Coordinates").
        // Around a pole, or across the antimeridian, any longitude may qualify.
        let ratio = angular.sin() / self.latitude.to_radians().cos();
        let full = min_lat <= -90.0 || max_lat >= 90.0 || !(0.0..1.0).contains(&ratio);
        let dlng = if full {
            180.0
        } else {
            ratio.asin().to_degrees()
        };
        let (min_lng, max_lng) =
            if full || self.longitude - dlng < -180.0 || self.longitude + dlng > 180.0 {
                (-180.0, 180.0)
            } else {
                (self.longitude - dlng, self.longitude + dlng)
            };
        BoundingBox {
            min_lat: min_lat.max(-90.0),
            max_lat: max_lat.min(90.0),
            min_lng,
            max_lng,
        }
    }
}

/// An axis-aligned latitude/longitude box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lng: f64,
    pub max_lng: f64,
}

impl BoundingBox {
    pub fn contains(&self, point: &GeoPoint) -> bool {
        (self.min_lat..=self.max_lat).contains(&point.latitude)
            && (self.min_lng..=self.max_lng).contains(&point.longitude)
    }
}

/// The largest search radius.
pub const MAX_RADIUS_KM: f64 = 500.0;

/// Whether a service exists and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "active"))]
pub enum ServiceStatus {
    Active,
    Inactive,
    Defunct,
    TemporarilyClosed,
}

impl ServiceStatus {
    pub const ALL: [ServiceStatus; 4] = [
        ServiceStatus::Active,
        ServiceStatus::Inactive,
        ServiceStatus::Defunct,
        ServiceStatus::TemporarilyClosed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Active => "active",
            ServiceStatus::Inactive => "inactive",
            ServiceStatus::Defunct => "defunct",
            ServiceStatus::TemporarilyClosed => "temporarily_closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

/// Whether a service has room now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "accepting"))]
pub enum Capacity {
    Accepting,
    Waitlist,
    Full,
}

impl Capacity {
    pub const ALL: [Capacity; 3] = [Capacity::Accepting, Capacity::Waitlist, Capacity::Full];

    pub fn as_str(self) -> &'static str {
        match self {
            Capacity::Accepting => "accepting",
            Capacity::Waitlist => "waitlist",
            Capacity::Full => "full",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|capacity| capacity.as_str() == raw)
    }
}

/// A service's capacity as last reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"status": "waitlist", "note": "About two weeks", "updated_at": "2026-11-26T09:00:00Z"})))]
pub struct CapacityState {
    pub status: Capacity,
    pub note: Option<ShortText>,
    pub updated_at: DateTime<Utc>,
}

/// Days of the week, Monday first (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "monday"))]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// 1 for Monday to 7 for Sunday.
    pub fn number(self) -> i32 {
        self as i32 + 1
    }

    pub fn from_number(number: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|day| day.number() == number)
    }

    pub fn of(date: &NaiveDateTime) -> Self {
        Self::ALL[date.weekday().num_days_from_monday() as usize]
    }

    /// From an iCalendar BYDAY code such as `MO`.
    pub fn from_ical(code: &str) -> Option<Self> {
        let index = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
            .iter()
            .position(|c| c.eq_ignore_ascii_case(code.trim()))?;
        Some(Self::ALL[index])
    }
}

/// Opening hours on one weekday, closing after opening on the same day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"weekday": "monday", "opens_at": "09:00:00", "closes_at": "17:00:00"})))]
pub struct OpeningHours {
    pub weekday: Weekday,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "09:00:00"))]
    pub opens_at: NaiveTime,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "17:00:00"))]
    pub closes_at: NaiveTime,
}

impl OpeningHours {
    pub fn parse(
        weekday: Weekday,
        opens_at: NaiveTime,
        closes_at: NaiveTime,
    ) -> Result<Self, ValueError> {
        if closes_at <= opens_at {
            return Err(ValueError::new(
                "closes_before_opening",
                "closes_at must be after opens_at",
            ));
        }
        Ok(Self {
            weekday,
            opens_at,
            closes_at,
        })
    }

    /// Minutes after midnight of the opening and closing times.
    pub fn minutes(&self) -> (i32, i32) {
        let minute = |t: NaiveTime| (t.num_seconds_from_midnight() / 60) as i32;
        (minute(self.opens_at), minute(self.closes_at))
    }
}

/// Whether any of `hours` covers the local time `at`.
pub fn is_open(hours: &[OpeningHours], at: &NaiveDateTime) -> bool {
    let day = Weekday::of(at);
    let time = at.time();
    hours
        .iter()
        .any(|h| h.weekday == day && h.opens_at <= time && time < h.closes_at)
}

/// The ages a service serves; either bound may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AgeRange {
    pub minimum: Option<i32>,
    pub maximum: Option<i32>,
}

impl AgeRange {
    pub fn parse(minimum: Option<i32>, maximum: Option<i32>) -> Result<Self, ValueError> {
        for age in [minimum, maximum].into_iter().flatten() {
            if !(0..=150).contains(&age) {
                return Err(ValueError::new(
                    "out_of_range",
                    "ages must be between 0 and 150",
                ));
            }
        }
        if let (Some(min), Some(max)) = (minimum, maximum)
            && min > max
        {
            return Err(ValueError::new(
                "min_above_max",
                "minimum_age must not exceed maximum_age",
            ));
        }
        Ok(Self { minimum, maximum })
    }

    pub fn admits(&self, age: i32) -> bool {
        self.minimum.is_none_or(|min| min <= age) && self.maximum.is_none_or(|max| age <= max)
    }
}

/// A phone number of an organization, service or location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"number": "+15035550123", "extension": null, "kind": "voice", "description": "Intake line"})))]
pub struct ContactPhone {
    pub number: Phone,
    pub extension: Option<ShortText>,
    /// voice, fax, text, cell, video, pager, textphone (HSDS).
    pub kind: Option<ShortText>,
    pub description: Option<ShortText>,
}

/// A phone number as it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"number": "503-555-0123", "kind": "voice", "description": "Intake line"})))]
pub struct ContactPhoneInput {
    pub number: String,
    #[serde(default)]
    pub extension: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

impl ContactPhoneInput {
    fn parse_into(&self, prefix: &str, errors: &mut FieldErrors) -> Option<ContactPhone> {
        let number = errors.check(&format!("{prefix}.number"), Phone::parse(&self.number));
        let extension = errors.check_opt(
            &format!("{prefix}.extension"),
            self.extension.as_deref(),
            ShortText::parse,
        );
        let kind = errors.check_opt(
            &format!("{prefix}.kind"),
            self.kind.as_deref(),
            ShortText::parse,
        );
        let description = errors.check_opt(
            &format!("{prefix}.description"),
            self.description.as_deref(),
            ShortText::parse,
        );
        Some(ContactPhone {
            number: number?,
            extension,
            kind,
            description,
        })
    }
}

impl From<&ContactPhone> for ContactPhoneInput {
    fn from(phone: &ContactPhone) -> Self {
        let text = |v: &Option<ShortText>| v.as_ref().map(ToString::to_string);
        ContactPhoneInput {
            number: phone.number.as_str().to_owned(),
            extension: text(&phone.extension),
            kind: text(&phone.kind),
            description: text(&phone.description),
        }
    }
}

impl ContactPhoneInput {
    /// Parses a list of phones on its own (as stored), naming each failure.
    pub fn parse_all(phones: &[ContactPhoneInput]) -> Result<Vec<ContactPhone>, FieldErrors> {
        let mut errors = FieldErrors::default();
        let parsed = parse_phones(phones, &mut errors);
        errors.finish(|| Some(parsed))
    }
}

fn parse_phones(phones: &[ContactPhoneInput], errors: &mut FieldErrors) -> Vec<ContactPhone> {
    phones
        .iter()
        .enumerate()
        .filter_map(|(index, phone)| phone.parse_into(&format!("phones[{index}]"), errors))
        .collect()
}

/// A partner agency or community organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: OrganizationId,
    /// The id in the HSDS dataset it was imported from.
    pub hsds_id: Option<String>,
    pub name: ShortText,
    pub description: Option<LongText>,
    pub website: Option<WebUrl>,
    pub email: Option<Email>,
    pub tax_id: Option<ShortText>,
    pub parent_id: Option<OrganizationId>,
    pub phones: Vec<ContactPhone>,
    pub last_modified: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

/// An organization as it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Eastside Food Bank", "description": "Groceries and hot meals for anyone in need.",
    "website": "https://eastsidefood.example.org", "email": "help@eastsidefood.example.org",
    "phones": [{"number": "503-555-0123", "kind": "voice"}]
})))]
pub struct OrganizationInput {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub description: Option<String>,
    /// An http or https URL.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            format = "uri",
            max_length = 2000,
            pattern = r"^\s*[Hh][Tt][Tt][Pp][Ss]?://"
        )
    )]
    pub website: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "email", min_length = 1))]
    pub email: Option<String>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub tax_id: Option<String>,
    #[serde(default)]
    pub parent_id: Option<OrganizationId>,
    #[serde(default)]
    pub phones: Vec<ContactPhoneInput>,
}

/// The checked fields of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationFields {
    pub name: ShortText,
    pub description: Option<LongText>,
    pub website: Option<WebUrl>,
    pub email: Option<Email>,
    pub tax_id: Option<ShortText>,
    pub parent_id: Option<OrganizationId>,
    pub phones: Vec<ContactPhone>,
}

impl OrganizationInput {
    pub fn parse(&self) -> Result<OrganizationFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", ShortText::parse(&self.name));
        let description =
            errors.check_opt("description", self.description.as_deref(), LongText::parse);
        let website = errors.check_opt("website", self.website.as_deref(), WebUrl::parse);
        let email = errors.check_opt("email", self.email.as_deref(), Email::parse);
        let tax_id = errors.check_opt("tax_id", self.tax_id.as_deref(), ShortText::parse);
        let phones = parse_phones(&self.phones, &mut errors);
        errors.finish(|| {
            Some(OrganizationFields {
                name: name?,
                description,
                website,
                email,
                tax_id,
                parent_id: self.parent_id,
                phones,
            })
        })
    }
}

impl Organization {
    /// Marks a change made at `now`: a new last_modified and the next version.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.last_modified = now;
        self.version += 1;
    }

    pub fn apply(&mut self, fields: OrganizationFields) {
        self.name = fields.name;
        self.description = fields.description;
        self.website = fields.website;
        self.email = fields.email;
        self.tax_id = fields.tax_id;
        self.parent_id = fields.parent_id;
        self.phones = fields.phones;
    }

    pub fn create(fields: OrganizationFields, hsds_id: Option<String>, now: DateTime<Utc>) -> Self {
        let mut organization = Organization {
            id: OrganizationId::generate(),
            hsds_id,
            name: fields.name.clone(),
            description: None,
            website: None,
            email: None,
            tax_id: None,
            parent_id: None,
            phones: Vec::new(),
            last_modified: now,
            created_at: now,
            version: 1,
        };
        organization.apply(fields);
        organization
    }
}

/// A place where services are delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: LocationId,
    pub hsds_id: Option<String>,
    pub organization_id: OrganizationId,
    pub fields: LocationFields,
    pub last_modified: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

impl Location {
    /// Marks a change made at `now`: a new last_modified and the next version.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.last_modified = now;
        self.version += 1;
    }
}

/// The checked fields of a location.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationFields {
    pub name: ShortText,
    pub address: Option<Address>,
    pub point: Option<GeoPoint>,
    pub accessibility: Option<LongText>,
    pub transportation: Option<LongText>,
    pub phones: Vec<ContactPhone>,
}

/// A location as it arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "organization_id": "01936b2e-9a00-7b11-8c22-1d2e3f4a5b6c", "name": "Eastside Food Bank warehouse",
    "address": {"line1": "4400 SE 82nd Ave", "city": "Portland", "region": "OR", "postal_code": "97266"},
    "latitude": 45.4918, "longitude": -122.5790,
    "accessibility": "Step-free entrance; accessible restroom.", "transportation": "Bus 72 stops in front."
})))]
pub struct LocationInput {
    pub organization_id: OrganizationId,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[serde(default)]
    pub address: Option<AddressInput>,
    /// -90 to 90; give it with longitude.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// -180 to 180; give it with latitude.
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub accessibility: Option<String>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub transportation: Option<String>,
    #[serde(default)]
    pub phones: Vec<ContactPhoneInput>,
}

impl LocationInput {
    pub fn parse(&self) -> Result<LocationFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", ShortText::parse(&self.name));
        let address = self
            .address
            .clone()
            .and_then(|a| a.parse_into("address", &mut errors));
        let point = match (self.latitude, self.longitude) {
            (Some(lat), Some(lng)) => errors.check("latitude", GeoPoint::parse(lat, lng)),
            (None, None) => None,
            _ => {
                errors.push(
                    "longitude",
                    ValueError::new("required", "give latitude and longitude together"),
                );
                None
            }
        };
        let accessibility = errors.check_opt(
            "accessibility",
            self.accessibility.as_deref(),
            LongText::parse,
        );
        let transportation = errors.check_opt(
            "transportation",
            self.transportation.as_deref(),
            LongText::parse,
        );
        let phones = parse_phones(&self.phones, &mut errors);
        errors.finish(|| {
            Some(LocationFields {
                name: name?,
                address,
                point,
                accessibility,
                transportation,
                phones,
            })
        })
    }
}

/// A service an organization offers.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub id: ServiceId,
    pub hsds_id: Option<String>,
    pub organization_id: OrganizationId,
    pub fields: ServiceFields,
    pub capacity: Option<CapacityState>,
    pub last_modified: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

impl Service {
    /// Marks a change made at `now`: a new last_modified and the next version.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.last_modified = now;
        self.version += 1;
    }
}

/// The checked fields of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFields {
    pub name: ShortText,
    pub description: Option<LongText>,
    pub status: ServiceStatus,
    pub application_process: Option<LongText>,
    pub fees_description: Option<LongText>,
    pub wait_time: Option<ShortText>,
    pub eligibility_description: Option<LongText>,
    pub ages: AgeRange,
    pub accepts_medicaid: bool,
    pub languages: BTreeSet<LanguageTag>,
    pub interpretation_services: Option<LongText>,
    pub phones: Vec<ContactPhone>,
    pub hours: Vec<OpeningHours>,
    pub taxonomy_term_ids: BTreeSet<TaxonomyTermId>,
    pub location_ids: BTreeSet<LocationId>,
}

impl ServiceFields {
    /// Lower-cased name and description, what free-text search matches.
    pub fn search_text(&self) -> String {
        let mut text = self.name.as_str().to_lowercase();
        if let Some(description) = &self.description {
            text.push(' ');
            text.push_str(&description.as_str().to_lowercase());
        }
        text
    }
}

/// A service as it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "organization_id": "01936b2e-9a00-7b11-8c22-1d2e3f4a5b6c", "name": "Weekly grocery pantry",
    "description": "Free groceries once a week; no documents needed.", "status": "active",
    "application_process": "Walk in during opening hours.", "fees_description": "Free",
    "eligibility_description": "Anyone living in Multnomah County.", "minimum_age": 18,
    "accepts_medicaid": false, "languages": ["en", "es"],
    "hours": [{"weekday": "tuesday", "opens_at": "10:00:00", "closes_at": "14:00:00"}],
    "taxonomy_term_ids": ["01936b2e-7000-7b11-8c22-1d2e3f4a5b6c"],
    "location_ids": ["01936b2e-9b00-7b11-8c22-1d2e3f4a5b6c"]
})))]
pub struct ServiceInput {
    pub organization_id: OrganizationId,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `active` when absent.
    #[serde(default)]
    pub status: Option<ServiceStatus>,
    #[serde(default)]
    pub application_process: Option<String>,
    #[serde(default)]
    pub fees_description: Option<String>,
    #[serde(default)]
    pub wait_time: Option<String>,
    #[serde(default)]
    pub eligibility_description: Option<String>,
    #[serde(default)]
    pub minimum_age: Option<i32>,
    #[serde(default)]
    pub maximum_age: Option<i32>,
    #[serde(default)]
    pub accepts_medicaid: bool,
    /// BCP 47 tags of the languages the service is delivered in.
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub interpretation_services: Option<String>,
    #[serde(default)]
    pub phones: Vec<ContactPhoneInput>,
    #[serde(default)]
    pub hours: Vec<OpeningHoursInput>,
    #[serde(default)]
    pub taxonomy_term_ids: Vec<TaxonomyTermId>,
    /// Where the service is delivered (service at location).
    #[serde(default)]
    pub location_ids: Vec<LocationId>,
}

/// Opening hours as they arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"weekday": "monday", "opens_at": "09:00:00", "closes_at": "17:00:00"})))]
pub struct OpeningHoursInput {
    pub weekday: Weekday,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "09:00:00"))]
    pub opens_at: NaiveTime,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "17:00:00"))]
    pub closes_at: NaiveTime,
}

impl ServiceInput {
    pub fn parse(&self) -> Result<ServiceFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", ShortText::parse(&self.name));
        let long = |errors: &mut FieldErrors, field: &str, value: &Option<String>| {
            errors.check_opt(field, value.as_deref(), LongText::parse)
        };
        let description = long(&mut errors, "description", &self.description);
        let application_process = long(
            &mut errors,
            "application_process",
            &self.application_process,
        );
        let fees_description = long(&mut errors, "fees_description", &self.fees_description);
        let eligibility_description = long(
            &mut errors,
            "eligibility_description",
            &self.eligibility_description,
        );
        let interpretation_services = long(
            &mut errors,
            "interpretation_services",
            &self.interpretation_services,
        );
        let wait_time = errors.check_opt("wait_time", self.wait_time.as_deref(), ShortText::parse);
        let ages = errors.check(
            "minimum_age",
            AgeRange::parse(self.minimum_age, self.maximum_age),
        );
        let mut languages = BTreeSet::new();
        for (index, tag) in self.languages.iter().enumerate() {
            if let Some(tag) = errors.check(&format!("languages[{index}]"), LanguageTag::parse(tag))
            {
                languages.insert(tag);
            }
        }
        let phones = parse_phones(&self.phones, &mut errors);
        let mut hours = Vec::new();
        for (index, h) in self.hours.iter().enumerate() {
            if let Some(h) = errors.check(
                &format!("hours[{index}]"),
                OpeningHours::parse(h.weekday, h.opens_at, h.closes_at),
            ) {
                hours.push(h);
            }
        }
        hours.sort();
        hours.dedup();
        errors.finish(|| {
            Some(ServiceFields {
                name: name?,
                description,
                status: self.status.unwrap_or(ServiceStatus::Active),
                application_process,
                fees_description,
                wait_time,
                eligibility_description,
                ages: ages?,
                accepts_medicaid: self.accepts_medicaid,
                languages,
                interpretation_services,
                phones,
                hours,
                taxonomy_term_ids: self.taxonomy_term_ids.iter().copied().collect(),
                location_ids: self.location_ids.iter().copied().collect(),
            })
        })
    }
}

/// A term of the service taxonomy, a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxonomyTerm {
    pub id: TaxonomyTermId,
    pub hsds_id: Option<String>,
    /// A short stable code such as `food-pantry`.
    pub code: String,
    pub name: ShortText,
    pub description: Option<LongText>,
    pub parent_id: Option<TaxonomyTermId>,
    /// The codes from the root, as `/food/food-pantry/`: a term's
    /// descendants are the terms whose path starts with its own.
    pub path: String,
    pub last_modified: DateTime<Utc>,
}

/// The path of a term under `parent_path` (or at the root).
pub fn taxonomy_path(parent_path: Option<&str>, code: &str) -> String {
    format!("{}{code}/", parent_path.unwrap_or("/"))
}

/// Checks a taxonomy code: 1 to 64 lower-case letters, digits and dashes.
pub fn taxonomy_code(raw: &str) -> Result<String, ValueError> {
    let code = raw.trim().to_ascii_lowercase();
    if code.is_empty()
        || code.len() > 64
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(ValueError::new(
            "invalid_code",
            "must be 1 to 64 letters, digits, dots and dashes",
        ));
    }
    Ok(code)
}

/// Spoke's default taxonomy: (code, name, parent code).
pub const DEFAULT_TAXONOMY: &[(&str, &str, Option<&str>)] = &[
    ("basic-needs", "Basic needs", None),
    ("food", "Food", Some("basic-needs")),
    ("food-pantry", "Food pantry", Some("food")),
    ("meals", "Free meals", Some("food")),
    ("snap-assistance", "SNAP and WIC enrollment", Some("food")),
    ("housing", "Housing", Some("basic-needs")),
    ("emergency-shelter", "Emergency shelter", Some("housing")),
    (
        "transitional-housing",
        "Transitional housing",
        Some("housing"),
    ),
    (
        "rent-assistance",
        "Rent and utility assistance",
        Some("housing"),
    ),
    (
        "supportive-housing",
        "Permanent supportive housing",
        Some("housing"),
    ),
    (
        "clothing",
        "Clothing and household goods",
        Some("basic-needs"),
    ),
    ("benefits", "Benefits", None),
    (
        "medicaid-enrollment",
        "Medicaid and health coverage enrollment",
        Some("benefits"),
    ),
    ("disability-benefits", "SSI and SSDI", Some("benefits")),
    ("cash-assistance", "Cash assistance", Some("benefits")),
    ("health-care", "Health care", None),
    ("primary-care", "Primary care", Some("health-care")),
    ("dental", "Dental care", Some("health-care")),
    (
        "pharmacy",
        "Pharmacy and prescriptions",
        Some("health-care"),
    ),
    ("hiv-care", "HIV care and prevention", Some("health-care")),
    ("mental-health", "Mental health", None),
    (
        "counseling",
        "Counseling and therapy",
        Some("mental-health"),
    ),
    ("crisis", "Crisis services", Some("mental-health")),
    ("psychiatry", "Psychiatry", Some("mental-health")),
    ("substance-use", "Substance use treatment", None),
    (
        "detox",
        "Withdrawal management (detox)",
        Some("substance-use"),
    ),
    (
        "outpatient-treatment",
        "Outpatient treatment",
        Some("substance-use"),
    ),
    (
        "mat",
        "Medication for addiction treatment",
        Some("substance-use"),
    ),
    (
        "peer-support",
        "Peer support and recovery groups",
        Some("substance-use"),
    ),
    ("transportation", "Transportation", None),
    ("employment", "Employment", None),
    ("job-training", "Job training", Some("employment")),
    ("education", "Education", None),
    (
        "adult-education",
        "Adult education and GED",
        Some("education"),
    ),
    ("legal", "Legal help", None),
    ("family-support", "Family and social support", None),
    ("childcare", "Childcare", Some("family-support")),
    (
        "domestic-violence",
        "Domestic violence support",
        Some("family-support"),
    ),
    ("older-adults", "Services for older adults", None),
    ("disability-services", "Disability services", None),
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn point(lat: f64, lng: f64) -> GeoPoint {
        GeoPoint::parse(lat, lng).unwrap()
    }

    #[test]
    fn distances_match_known_city_pairs() {
        let portland = point(45.5152, -122.6784);
        let seattle = point(47.6062, -122.3321);
        let d = portland.distance_km(&seattle);
        assert!((d - 233.0).abs() < 3.0, "{d}");
        assert_eq!(portland.distance_km(&portland), 0.0);
    }

    #[test]
    fn coordinates_out_of_range_are_refused() {
        assert!(GeoPoint::parse(200.0, 0.0).is_err());
        assert!(GeoPoint::parse(0.0, -181.0).is_err());
        assert!(GeoPoint::parse(f64::NAN, 0.0).is_err());
    }

    #[test]
    fn hours_must_close_after_opening() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        assert!(OpeningHours::parse(Weekday::Monday, t(9), t(9)).is_err());
        let hours = [OpeningHours::parse(Weekday::Tuesday, t(10), t(14)).unwrap()];
        let tuesday = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert!(is_open(&hours, &tuesday.and_hms_opt(10, 0, 0).unwrap()));
        assert!(is_open(&hours, &tuesday.and_hms_opt(13, 59, 0).unwrap()));
        assert!(!is_open(&hours, &tuesday.and_hms_opt(14, 0, 0).unwrap()));
        assert!(!is_open(
            &hours,
            &tuesday.succ_opt().unwrap().and_hms_opt(11, 0, 0).unwrap()
        ));
    }

    #[test]
    fn age_ranges_admit_within_their_bounds() {
        let teens = AgeRange::parse(Some(13), Some(19)).unwrap();
        assert!(!teens.admits(12) && teens.admits(13) && teens.admits(19) && !teens.admits(20));
        assert!(AgeRange::parse(None, None).unwrap().admits(90));
        assert!(AgeRange::parse(Some(20), Some(10)).is_err());
        assert!(AgeRange::parse(Some(-1), None).is_err());
    }

    #[test]
    fn the_default_taxonomy_is_a_tree() {
        let codes: Vec<&str> = DEFAULT_TAXONOMY.iter().map(|(code, _, _)| *code).collect();
        for (index, (code, _, parent)) in DEFAULT_TAXONOMY.iter().enumerate() {
            assert!(taxonomy_code(code).is_ok());
            assert!(!codes[..index].contains(code), "{code} twice");
            if let Some(parent) = parent {
                assert!(
                    codes[..index].contains(parent),
                    "{code}'s parent comes first"
                );
            }
        }
    }

    proptest! {
        /// The prefilter never drops a point the exact distance keeps.
        #[test]
        fn the_bounding_box_contains_every_point_within_the_radius(
            lat in -89.0f64..89.0, lng in -179.0f64..179.0,
            bearing in 0.0f64..360.0, fraction in 0.0f64..0.999, radius in 0.1f64..500.0,
        ) {
            let center = point(lat, lng);
            // Walk `fraction * radius` along `bearing` (spherical destination formula).
            let d = fraction * radius / EARTH_RADIUS_KM;
            let (lat1, lng1, b) = (lat.to_radians(), lng.to_radians(), bearing.to_radians());
            let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * b.cos()).asin();
            let lng2 = lng1 + (b.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
            let lng2 = (lng2.to_degrees() + 540.0) % 360.0 - 180.0;
            let target = point(lat2.to_degrees(), lng2);
            prop_assert!(center.distance_km(&target) <= radius + 1e-6);
            prop_assert!(center.bounding_box(radius).contains(&target), "{center:?} {target:?}");
        }

        #[test]
        fn distance_is_symmetric_and_non_negative(
            a in (-90.0f64..90.0, -180.0f64..180.0), b in (-90.0f64..90.0, -180.0f64..180.0),
        ) {
            let (a, b) = (point(a.0, a.1), point(b.0, b.1));
            let ab = a.distance_km(&b);
            prop_assert!(ab >= 0.0);
            prop_assert!((ab - b.distance_km(&a)).abs() < 1e-9);
            prop_assert!(ab <= std::f64::consts::PI * EARTH_RADIUS_KM + 1e-6);
        }
    }
}
