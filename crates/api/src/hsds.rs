//! Importing an Open Referral HSDS 3.0 dataset: a folder of JSON files laid
//! out as the specification's examples (`*_list.json` pages or single
//! records, named by record type), or the tabular form (`services.csv`,
//! `organizations.csv`, ...). Records are upserted by their HSDS id, so an
//! import run twice changes nothing; an invalid record is reported with its
//! file, id and reason, and the rest still import.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, NaiveTime, Utc};
use serde::Deserialize;
use spoke_domain::FieldErrors;
use spoke_domain::client::AddressInput;
use spoke_domain::directory::{
    ContactPhoneInput, Location, LocationInput, OpeningHoursInput, Organization, OrganizationInput,
    Service, ServiceInput, ServiceStatus, TaxonomyTerm, Weekday, taxonomy_code, taxonomy_path,
};
use spoke_domain::ids::{LocationId, OrganizationId, ServiceId, TaxonomyTermId};
use spoke_domain::values::ShortText;
use spoke_persistence::directory as store;
use spoke_persistence::{Database, DbConnection, StoreError, transaction};

// ---------------------------------------------------------------- HSDS shapes

fn blank_is_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match value {
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

macro_rules! hsds_record {
    ($(#[$meta:meta])* $name:ident { $($field:ident),* $(,)? } $(nested { $($nfield:ident : $ntype:ty),* $(,)? })?) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(default)]
        pub struct $name {
            $(
                #[serde(deserialize_with = "blank_is_none")]
                pub $field: Option<String>,
            )*
            $($(pub $nfield: $ntype,)*)?
        }
    };
}

hsds_record!(
    /// An HSDS phone.
    HsdsPhone { id, number, extension, r#type, description, service_id, location_id, organization_id }
);
hsds_record!(
    /// An HSDS language of a service.
    HsdsLanguage { id, code, name, service_id }
);
hsds_record!(
    /// An HSDS schedule: weekly rules with `byday`, `opens_at` and `closes_at` are used.
    HsdsSchedule { id, service_id, location_id, service_at_location_id, freq, byday, opens_at, closes_at }
);
hsds_record!(
    /// An HSDS address.
    HsdsAddress { id, location_id, address_1, address_2, city, region, state_province, postal_code, country, address_type }
);
hsds_record!(
    /// An HSDS accessibility note.
    HsdsAccessibility { id, location_id, description, details }
);
hsds_record!(
    /// An HSDS taxonomy term.
    HsdsTerm { id, code, name, description, parent_id }
);
hsds_record!(
    /// An HSDS attribute: links a record to a taxonomy term.
    HsdsAttribute { id, link_id, link_type, link_entity, taxonomy_term_id, value, label }
    nested { taxonomy_term: Option<HsdsTerm> }
);
hsds_record!(
    /// An HSDS cost option (only read for Medicaid).
    HsdsCostOption { id, service_id, option, amount_description }
);
hsds_record!(
    /// An HSDS location.
    HsdsLocation { id, organization_id, name, description, transportation, latitude, longitude, location_type }
    nested { addresses: Vec<HsdsAddress>, phones: Vec<HsdsPhone>, accessibility: Vec<HsdsAccessibility> }
);
hsds_record!(
    /// An HSDS service at location.
    HsdsServiceAtLocation { id, service_id, location_id }
    nested { location: Option<HsdsLocation> }
);
hsds_record!(
    /// An HSDS organization.
    HsdsOrganization { id, name, description, website, url, email, tax_id, parent_organization_id }
    nested { phones: Vec<HsdsPhone>, locations: Vec<HsdsLocation>, services: Vec<HsdsService> }
);
hsds_record!(
    /// An HSDS service.
    HsdsService {
        id, organization_id, name, description, status, application_process, fees_description,
        fees, wait_time, eligibility_description, minimum_age, maximum_age, interpretation_services,
        accepts_medicaid, last_modified
    }
    nested {
        organization: Option<Box<HsdsOrganization>>,
        phones: Vec<HsdsPhone>,
        schedules: Vec<HsdsSchedule>,
        languages: Vec<HsdsLanguage>,
        service_at_locations: Vec<HsdsServiceAtLocation>,
        attributes: Vec<HsdsAttribute>,
        cost_options: Vec<HsdsCostOption>,
    }
);

/// A record and where it came from, for error reports.
#[derive(Debug, Clone)]
struct Sourced<T> {
    file: String,
    record: T,
}

/// Everything read from a dataset, before any check.
#[derive(Debug, Default)]
struct Dataset {
    terms: Vec<Sourced<HsdsTerm>>,
    organizations: Vec<Sourced<HsdsOrganization>>,
    locations: Vec<Sourced<HsdsLocation>>,
    services: Vec<Sourced<HsdsService>>,
    links: Vec<Sourced<HsdsServiceAtLocation>>,
    errors: Vec<ImportError>,
}

impl Dataset {
    fn add_location(&mut self, file: &str, location: HsdsLocation) {
        self.locations.push(Sourced {
            file: file.to_owned(),
            record: location,
        });
    }

    fn add_organization(&mut self, file: &str, mut organization: HsdsOrganization) {
        for mut location in std::mem::take(&mut organization.locations) {
            location.organization_id = location.organization_id.or_else(|| organization.id.clone());
            self.add_location(file, location);
        }
        for mut service in std::mem::take(&mut organization.services) {
            service.organization_id = service.organization_id.or_else(|| organization.id.clone());
            self.add_service(file, service);
        }
        self.organizations.push(Sourced {
            file: file.to_owned(),
            record: organization,
        });
    }

    fn add_service(&mut self, file: &str, mut service: HsdsService) {
        if let Some(organization) = service.organization.take() {
            service.organization_id = service.organization_id.or_else(|| organization.id.clone());
            self.add_organization(file, *organization);
        }
        for link in &mut service.service_at_locations {
            if let Some(mut location) = link.location.take() {
                link.location_id = link.location_id.clone().or_else(|| location.id.clone());
                location.organization_id = location
                    .organization_id
                    .or_else(|| service.organization_id.clone());
                self.add_location(file, location);
            }
        }
        for attribute in &service.attributes {
            if let Some(term) = &attribute.taxonomy_term {
                self.terms.push(Sourced {
                    file: file.to_owned(),
                    record: term.clone(),
                });
            }
        }
        self.services.push(Sourced {
            file: file.to_owned(),
            record: service,
        });
    }
}

// ---------------------------------------------------------------- reading

/// What went wrong with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    pub id: String,
    pub reason: String,
}

/// Why an import could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("{0}: {1}")]
    Read(PathBuf, String),
    #[error("{0} holds no HSDS dataset (no services.csv or organizations.csv, and no JSON files)")]
    Empty(PathBuf),
    #[error("the database failed: {0}")]
    Store(#[from] StoreError),
}

fn read_json_folder(dir: &Path, data: &mut Dataset) -> Result<(), ImportFailure> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ImportFailure::Read(dir.to_owned(), e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ImportFailure::Empty(dir.to_owned()));
    }
    let mut texts = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ImportFailure::Read(path.clone(), e.to_string()))?;
        texts.push((file, text));
    }
    read_json_texts(&texts, data);
    Ok(())
}

/// Reads JSON files given as (file name, text); the name says what they hold.
fn read_json_texts(texts: &[(String, String)], data: &mut Dataset) {
    for (file, text) in texts {
        let file = file.clone();
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(error) => {
                data.errors.push(ImportError {
                    file,
                    id: String::new(),
                    reason: format!("not JSON: {error}"),
                });
                continue;
            }
        };
        let records = match value {
            serde_json::Value::Object(mut page) if page.contains_key("contents") => {
                match page.remove("contents") {
                    Some(serde_json::Value::Array(items)) => items,
                    _ => Vec::new(),
                }
            }
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        for record in records {
            let id = record
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let bad = |error: serde_json::Error| ImportError {
                file: file.clone(),
                id: id.clone(),
                reason: error.to_string(),
            };
            // The file name says what it holds, as in the specification's examples.
            if file.starts_with("service_at_location") {
                match serde_json::from_value::<HsdsServiceAtLocation>(record) {
                    Ok(mut link) => {
                        if let Some(location) = link.location.take() {
                            link.location_id =
                                link.location_id.clone().or_else(|| location.id.clone());
                            data.add_location(&file, location);
                        }
                        data.links.push(Sourced {
                            file: file.clone(),
                            record: link,
                        });
                    }
                    Err(e) => data.errors.push(bad(e)),
                }
            } else if file.starts_with("service") {
                match serde_json::from_value::<HsdsService>(record) {
                    Ok(service) => data.add_service(&file, service),
                    Err(e) => data.errors.push(bad(e)),
                }
            } else if file.starts_with("organization") {
                match serde_json::from_value::<HsdsOrganization>(record) {
                    Ok(organization) => data.add_organization(&file, organization),
                    Err(e) => data.errors.push(bad(e)),
                }
            } else if file.starts_with("location") {
                match serde_json::from_value::<HsdsLocation>(record) {
                    Ok(location) => data.add_location(&file, location),
                    Err(e) => data.errors.push(bad(e)),
                }
            } else if file.starts_with("taxonomy_term") {
                match serde_json::from_value::<HsdsTerm>(record) {
                    Ok(term) => data.terms.push(Sourced {
                        file: file.clone(),
                        record: term,
                    }),
                    Err(e) => data.errors.push(bad(e)),
                }
            }
        }
    }
}

fn read_csv<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
    data: &mut Dataset,
) -> Result<Vec<Sourced<T>>, ImportFailure> {
    let path = dir.join(name);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .map_err(|e| ImportFailure::Read(path.clone(), e.to_string()))?;
    let headers = reader
        .headers()
        .map_err(|e| ImportFailure::Read(path.clone(), e.to_string()))?
        .clone();
    let id_column = headers.iter().position(|h| h == "id");
    let mut rows = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                data.errors.push(ImportError {
                    file: name.to_owned(),
                    id: format!("row {}", line + 2),
                    reason: error.to_string(),
                });
                continue;
            }
        };
        let id = id_column
            .and_then(|i| record.get(i))
            .unwrap_or_default()
            .to_owned();
        match record.deserialize::<T>(Some(&headers)) {
            Ok(row) => rows.push(Sourced {
                file: name.to_owned(),
                record: row,
            }),
            Err(error) => data.errors.push(ImportError {
                file: name.to_owned(),
                id,
                reason: error.to_string(),
            }),
        }
    }
    Ok(rows)
}

fn group_by<T: Clone>(
    rows: Vec<Sourced<T>>,
    key: impl Fn(&T) -> Option<String>,
) -> HashMap<String, Vec<T>> {
    let mut groups: HashMap<String, Vec<T>> = HashMap::new();
    for row in rows {
        if let Some(k) = key(&row.record) {
            groups.entry(k).or_default().push(row.record);
        }
    }
    groups
}

fn read_csv_folder(dir: &Path, data: &mut Dataset) -> Result<(), ImportFailure> {
    let phones: Vec<Sourced<HsdsPhone>> = read_csv(dir, "phones.csv", data)?;
    let addresses = group_by(read_csv::<HsdsAddress>(dir, "addresses.csv", data)?, |a| {
        a.location_id.clone()
    });
    let accessibility = group_by(
        read_csv::<HsdsAccessibility>(dir, "accessibility.csv", data)?,
        |a| a.location_id.clone(),
    );
    let languages = group_by(read_csv::<HsdsLanguage>(dir, "languages.csv", data)?, |l| {
        l.service_id.clone()
    });
    let schedules = group_by(read_csv::<HsdsSchedule>(dir, "schedules.csv", data)?, |s| {
        s.service_id.clone()
    });
    let attributes = group_by(
        read_csv::<HsdsAttribute>(dir, "attributes.csv", data)?,
        |a| a.link_id.clone(),
    );
    let costs = group_by(
        read_csv::<HsdsCostOption>(dir, "cost_options.csv", data)?,
        |c| c.service_id.clone(),
    );
    let service_phones = group_by(phones.clone(), |p| p.service_id.clone());
    let location_phones = group_by(phones.clone(), |p| p.location_id.clone());
    let organization_phones = group_by(phones, |p| p.organization_id.clone());

    let terms = read_csv::<HsdsTerm>(dir, "taxonomy_terms.csv", data)?;
    data.terms.extend(terms);
    for mut row in read_csv::<HsdsOrganization>(dir, "organizations.csv", data)? {
        let id = row.record.id.clone().unwrap_or_default();
        row.record.phones = organization_phones.get(&id).cloned().unwrap_or_default();
        data.organizations.push(row);
    }
    for mut row in read_csv::<HsdsLocation>(dir, "locations.csv", data)? {
        let id = row.record.id.clone().unwrap_or_default();
        row.record.addresses = addresses.get(&id).cloned().unwrap_or_default();
        row.record.accessibility = accessibility.get(&id).cloned().unwrap_or_default();
        row.record.phones = location_phones.get(&id).cloned().unwrap_or_default();
        data.locations.push(row);
    }
    for mut row in read_csv::<HsdsService>(dir, "services.csv", data)? {
        let id = row.record.id.clone().unwrap_or_default();
        row.record.languages = languages.get(&id).cloned().unwrap_or_default();
        row.record.schedules = schedules.get(&id).cloned().unwrap_or_default();
        row.record.attributes = attributes.get(&id).cloned().unwrap_or_default();
        row.record.cost_options = costs.get(&id).cloned().unwrap_or_default();
        row.record.phones = service_phones.get(&id).cloned().unwrap_or_default();
        data.services.push(row);
    }
    let links = read_csv::<HsdsServiceAtLocation>(dir, "service_at_locations.csv", data)?;
    data.links.extend(links);
    Ok(())
}

fn read_dataset(dir: &Path) -> Result<Dataset, ImportFailure> {
    let mut data = Dataset::default();
    if !dir.is_dir() {
        return Err(ImportFailure::Read(
            dir.to_owned(),
            "not a folder".to_owned(),
        ));
    }
    if dir.join("services.csv").exists() || dir.join("organizations.csv").exists() {
        read_csv_folder(dir, &mut data)?;
    } else {
        read_json_folder(dir, &mut data)?;
    }
    Ok(data)
}

// ---------------------------------------------------------------- mapping

fn phones(list: &[HsdsPhone]) -> Vec<ContactPhoneInput> {
    list.iter()
        .filter_map(|p| {
            Some(ContactPhoneInput {
                // The specification's own examples quote numbers: strip quotes.
                number: p.number.as_deref()?.trim_matches('"').to_owned(),
                extension: p.extension.clone(),
                kind: p.r#type.clone(),
                description: p.description.clone(),
            })
        })
        .collect()
}

fn parse_number<T: std::str::FromStr>(
    field: &str,
    raw: &Option<String>,
) -> Result<Option<T>, String> {
    raw.as_deref()
        .map(|text| {
            text.trim()
                .parse::<T>()
                .map_err(|_| format!("{field} is not a number: {text:?}"))
        })
        .transpose()
}

fn hours(schedules: &[HsdsSchedule]) -> Result<Vec<OpeningHoursInput>, String> {
    let mut hours = Vec::new();
    for schedule in schedules {
        let weekly = schedule
            .freq
            .as_deref()
            .is_none_or(|f| f.eq_ignore_ascii_case("weekly"));
        let (Some(byday), Some(opens), Some(closes)) =
            (&schedule.byday, &schedule.opens_at, &schedule.closes_at)
        else {
            continue;
        };
        if !weekly {
            continue;
        }
        let time = |raw: &str| {
            NaiveTime::parse_from_str(raw.trim(), "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(raw.trim(), "%H:%M"))
                .map_err(|_| format!("schedule time is not HH:MM[:SS]: {raw:?}"))
        };
        for day in byday.split(',') {
            let weekday =
                Weekday::from_ical(day).ok_or_else(|| format!("unknown byday {day:?}"))?;
            hours.push(OpeningHoursInput {
                weekday,
                opens_at: time(opens)?,
                closes_at: time(closes)?,
            });
        }
    }
    Ok(hours)
}

fn describe(errors: FieldErrors) -> String {
    errors
        .0
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn status(raw: &Option<String>) -> Result<Option<ServiceStatus>, String> {
    raw.as_deref()
        .map(|s| {
            let normal = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
            ServiceStatus::parse(&normal).ok_or_else(|| format!("unknown status {s:?}"))
        })
        .transpose()
}

// ---------------------------------------------------------------- writing

/// How many records of one kind were created, updated or already current.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub taxonomy_terms: Counts,
    pub organizations: Counts,
    pub locations: Counts,
    pub services: Counts,
    pub errors: Vec<ImportError>,
    pub seconds: f64,
}

impl ImportReport {
    pub fn records(&self) -> usize {
        [
            self.taxonomy_terms,
            self.organizations,
            self.locations,
            self.services,
        ]
        .iter()
        .map(|c| c.created + c.updated + c.unchanged)
        .sum()
    }
}

/// Progress while importing: records done so far and in all.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

fn count(counts: &mut Counts, outcome: Outcome) {
    match outcome {
        Outcome::Created => counts.created += 1,
        Outcome::Updated => counts.updated += 1,
        Outcome::Unchanged => counts.unchanged += 1,
    }
}

/// Maps HSDS ids to Spoke ids as records are stored.
#[derive(Default)]
struct Ids {
    terms: HashMap<String, TaxonomyTermId>,
    organizations: HashMap<String, OrganizationId>,
    locations: HashMap<String, LocationId>,
}

const BATCH: usize = 500;

/// Imports the dataset in `dir`, reporting progress every few hundred records.
pub fn import(
    database: &Database,
    dir: &Path,
    progress: impl FnMut(Progress),
) -> Result<ImportReport, ImportFailure> {
    let started = Instant::now();
    let data = read_dataset(dir)?;
    store_dataset(database, data, started, progress)
}

/// Imports JSON files given as (file name, text), as a folder of them would be.
pub fn import_json(
    database: &Database,
    files: &[(String, String)],
    progress: impl FnMut(Progress),
) -> Result<ImportReport, ImportFailure> {
    let started = Instant::now();
    let mut data = Dataset::default();
    read_json_texts(files, &mut data);
    store_dataset(database, data, started, progress)
}

fn store_dataset(
    database: &Database,
    mut data: Dataset,
    started: Instant,
    mut progress: impl FnMut(Progress),
) -> Result<ImportReport, ImportFailure> {
    let mut report = ImportReport {
        errors: std::mem::take(&mut data.errors),
        ..ImportReport::default()
    };
    let total =
        data.terms.len() + data.organizations.len() + data.locations.len() + data.services.len();
    let mut done = 0;
    let mut tick = |stored: usize| {
        done += stored;
        progress(Progress { done, total });
    };
    let mut ids = Ids::default();
    let mut conn = database.conn()?;
    let now = spoke_persistence::now();

    // Links given apart from services (the tabular form), by service.
    let mut links: HashMap<String, BTreeSet<String>> = HashMap::new();
    for link in &data.links {
        if let (Some(service), Some(location)) = (&link.record.service_id, &link.record.location_id)
        {
            links
                .entry(service.clone())
                .or_default()
                .insert(location.clone());
        }
    }

    let mut run = Run {
        conn: &mut conn,
        ids: &mut ids,
        errors: &mut report.errors,
        tick: &mut tick,
    };
    run.store(
        std::mem::take(&mut data.terms),
        |t, ids| {
            t.parent_id
                .as_ref()
                .is_none_or(|p| ids.terms.contains_key(p))
        },
        "its parent term is missing or invalid",
        &mut report.taxonomy_terms,
        &mut Terms { now },
    )?;
    run.store(
        std::mem::take(&mut data.organizations),
        |o, ids| {
            o.parent_organization_id
                .as_ref()
                .is_none_or(|p| ids.organizations.contains_key(p))
        },
        "its parent organization is missing or invalid",
        &mut report.organizations,
        &mut Organizations { now },
    )?;
    run.store(
        std::mem::take(&mut data.locations),
        |_, _| true,
        "",
        &mut report.locations,
        &mut Locations { now },
    )?;
    run.store(
        std::mem::take(&mut data.services),
        |_, _| true,
        "",
        &mut report.services,
        &mut Services { now, links: &links },
    )?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// One import's shared state while records are stored.
struct Run<'a, P: FnMut(usize)> {
    conn: &'a mut DbConnection,
    ids: &'a mut Ids,
    errors: &'a mut Vec<ImportError>,
    tick: &'a mut P,
}

impl<P: FnMut(usize)> Run<'_, P> {
    /// Stores records in transactions of `BATCH`, parents before children: a
    /// record that is not `ready` (its parent not stored yet) waits for the
    /// next wave; records still waiting when a wave stores nothing are
    /// reported as `orphan`. Per chunk, `kind` looks up the stored records
    /// the chunk names in one query, decides each record, and stores the
    /// new ones together.
    fn store<T: Clone, K: Kind<T>>(
        &mut self,
        items: Vec<Sourced<T>>,
        ready: impl Fn(&T, &Ids) -> bool,
        orphan: &str,
        counts: &mut Counts,
        kind: &mut K,
    ) -> Result<(), StoreError> {
        let id = |item: &T| K::hsds_id(item);
        let mut pending = dedup_by_id(items, &id);
        while !pending.is_empty() {
            let before = pending.len();
            let mut waiting = Vec::new();
            for chunk in pending.chunks(BATCH) {
                let mut stored = 0;
                let (ids, errors) = (&mut *self.ids, &mut *self.errors);
                transaction(self.conn, |conn| {
                    let named: Vec<String> =
                        chunk.iter().filter_map(|item| id(&item.record)).collect();
                    let mut batch = kind.prefetch(conn, &named)?;
                    for item in chunk {
                        if !ready(&item.record, ids) {
                            waiting.push(item.clone());
                            continue;
                        }
                        match kind.upsert(conn, &item.record, ids, &mut batch) {
                            Ok(outcome) => count(counts, outcome),
                            Err(Rejected::Invalid(reason)) => {
                                errors.push(error_of(item, &id(&item.record), reason));
                            }
                            Err(Rejected::Store(e)) => return Err(e),
                        }
                        stored += 1;
                    }
                    kind.flush(conn, batch)
                })?;
                (self.tick)(stored);
            }
            if waiting.len() == before {
                for item in waiting {
                    self.errors
                        .push(error_of(&item, &id(&item.record), orphan.to_owned()));
                }
                break;
            }
            pending = waiting;
        }
        Ok(())
    }
}

/// How one kind of HSDS record is stored in bulk: the stored records a
/// chunk names, fetched at once (`Batch`), each record decided against
/// them, the new ones stored together at the end of the chunk.
trait Kind<T> {
    type Batch;
    fn hsds_id(record: &T) -> Option<String>;
    fn prefetch(
        &self,
        conn: &mut DbConnection,
        hsds_ids: &[String],
    ) -> Result<Self::Batch, StoreError>;
    fn upsert(
        &mut self,
        conn: &mut DbConnection,
        record: &T,
        ids: &mut Ids,
        batch: &mut Self::Batch,
    ) -> Result<Outcome, Rejected>;
    fn flush(&self, conn: &mut DbConnection, batch: Self::Batch) -> Result<(), StoreError>;
}

/// Stored records of a chunk by HSDS id, and the new ones to store.
struct Batch<R> {
    stored: HashMap<String, R>,
    new: Vec<R>,
}

struct Terms {
    now: DateTime<Utc>,
}

impl Kind<HsdsTerm> for Terms {
    type Batch = ();
    fn hsds_id(t: &HsdsTerm) -> Option<String> {
        t.id.clone()
    }
    fn prefetch(&self, _: &mut DbConnection, _: &[String]) -> Result<(), StoreError> {
        Ok(())
    }
    fn upsert(
        &mut self,
        conn: &mut DbConnection,
        t: &HsdsTerm,
        ids: &mut Ids,
        (): &mut (),
    ) -> Result<Outcome, Rejected> {
        let (id, outcome) = upsert_term(conn, t, ids, self.now)?;
        ids.terms.extend(t.id.clone().map(|hsds| (hsds, id)));
        Ok(outcome)
    }
    fn flush(&self, _: &mut DbConnection, (): ()) -> Result<(), StoreError> {
        Ok(())
    }
}

struct Organizations {
    now: DateTime<Utc>,
}

impl Kind<HsdsOrganization> for Organizations {
    type Batch = Batch<Organization>;
    fn hsds_id(o: &HsdsOrganization) -> Option<String> {
        o.id.clone()
    }
    fn prefetch(
        &self,
        conn: &mut DbConnection,
        hsds_ids: &[String],
    ) -> Result<Self::Batch, StoreError> {
        Ok(Batch {
            stored: store::organizations_by_hsds_ids(conn, hsds_ids)?,
            new: Vec::new(),
        })
    }
    fn upsert(
        &mut self,
        conn: &mut DbConnection,
        o: &HsdsOrganization,
        ids: &mut Ids,
        batch: &mut Self::Batch,
    ) -> Result<Outcome, Rejected> {
        let (id, outcome) = upsert_organization(conn, o, ids, batch, self.now)?;
        ids.organizations
            .extend(o.id.clone().map(|hsds| (hsds, id)));
        Ok(outcome)
    }
    fn flush(&self, conn: &mut DbConnection, batch: Self::Batch) -> Result<(), StoreError> {
        store::insert_organizations(conn, &batch.new)
    }
}

struct Locations {
    now: DateTime<Utc>,
}

impl Kind<HsdsLocation> for Locations {
    type Batch = Batch<Location>;
    fn hsds_id(l: &HsdsLocation) -> Option<String> {
        l.id.clone()
    }
    fn prefetch(
        &self,
        conn: &mut DbConnection,
        hsds_ids: &[String],
    ) -> Result<Self::Batch, StoreError> {
        Ok(Batch {
            stored: store::locations_by_hsds_ids(conn, hsds_ids)?,
            new: Vec::new(),
        })
    }
    fn upsert(
        &mut self,
        conn: &mut DbConnection,
        l: &HsdsLocation,
        ids: &mut Ids,
        batch: &mut Self::Batch,
    ) -> Result<Outcome, Rejected> {
        let (id, outcome) = upsert_location(conn, l, ids, batch, self.now)?;
        ids.locations.extend(l.id.clone().map(|hsds| (hsds, id)));
        Ok(outcome)
    }
    fn flush(&self, conn: &mut DbConnection, batch: Self::Batch) -> Result<(), StoreError> {
        store::insert_locations(conn, &batch.new)
    }
}

struct Services<'a> {
    now: DateTime<Utc>,
    /// Links given apart from services (the tabular form), by service.
    links: &'a HashMap<String, BTreeSet<String>>,
}

impl Kind<HsdsService> for Services<'_> {
    type Batch = Batch<Service>;
    fn hsds_id(s: &HsdsService) -> Option<String> {
        s.id.clone()
    }
    fn prefetch(
        &self,
        conn: &mut DbConnection,
        hsds_ids: &[String],
    ) -> Result<Self::Batch, StoreError> {
        Ok(Batch {
            stored: store::services_by_hsds_ids(conn, hsds_ids)?,
            new: Vec::new(),
        })
    }
    fn upsert(
        &mut self,
        conn: &mut DbConnection,
        s: &HsdsService,
        ids: &mut Ids,
        batch: &mut Self::Batch,
    ) -> Result<Outcome, Rejected> {
        let extra = s.id.as_ref().and_then(|id| self.links.get(id));
        upsert_service(conn, s, extra, ids, batch, self.now)
    }
    fn flush(&self, conn: &mut DbConnection, batch: Self::Batch) -> Result<(), StoreError> {
        store::insert_services(conn, &batch.new)
    }
}

/// The same record may appear nested in several places: keep the first of each id.
fn dedup_by_id<T>(items: Vec<Sourced<T>>, id: &impl Fn(&T) -> Option<String>) -> Vec<Sourced<T>> {
    let mut seen = BTreeSet::new();
    items
        .into_iter()
        .filter(|item| id(&item.record).is_none_or(|id| seen.insert(id)))
        .collect()
}

fn error_of<T>(item: &Sourced<T>, id: &Option<String>, reason: String) -> ImportError {
    ImportError {
        file: item.file.clone(),
        id: id.clone().unwrap_or_default(),
        reason,
    }
}

enum Rejected {
    Invalid(String),
    Store(StoreError),
}

impl From<StoreError> for Rejected {
    fn from(error: StoreError) -> Self {
        Rejected::Store(error)
    }
}

fn invalid(reason: impl Into<String>) -> Rejected {
    Rejected::Invalid(reason.into())
}

fn require_id(id: &Option<String>) -> Result<String, Rejected> {
    id.clone().ok_or_else(|| invalid("the record has no id"))
}

fn upsert_term(
    conn: &mut DbConnection,
    t: &HsdsTerm,
    ids: &Ids,
    now: DateTime<Utc>,
) -> Result<(TaxonomyTermId, Outcome), Rejected> {
    let hsds_id = require_id(&t.id)?;
    let name_raw = t.name.clone().ok_or_else(|| invalid("name: is required"))?;
    let name = ShortText::parse(&name_raw).map_err(|e| invalid(format!("name: {}", e.message)))?;
    let code = taxonomy_code(t.code.as_deref().unwrap_or(&slug(&name_raw)))
        .map_err(|e| invalid(format!("code: {}", e.message)))?;
    if let Some(existing) = store::term_by_hsds_id(conn, &hsds_id)? {
        return Ok((existing.id, Outcome::Unchanged));
    }
    // A term Spoke already has (the default tree) is the same term.
    if let Some(existing) = store::term_by_code(conn, &code)? {
        return Ok((existing.id, Outcome::Unchanged));
    }
    let parent = match &t.parent_id {
        Some(p) => Some(store::get_term(conn, ids.terms[p])?),
        None => None,
    };
    let term = TaxonomyTerm {
        id: TaxonomyTermId::generate(),
        hsds_id: Some(hsds_id),
        path: taxonomy_path(parent.as_ref().map(|p| p.path.as_str()), &code),
        code,
        name,
        description: t
            .description
            .as_deref()
            .and_then(|d| spoke_domain::directory::LongText::parse(d).ok()),
        parent_id: parent.map(|p| p.id),
        last_modified: now,
    };
    store::insert_term(conn, &term).map_err(|e| match e {
        StoreError::Conflict(reason) => invalid(format!("conflicts with a stored term: {reason}")),
        other => Rejected::Store(other),
    })?;
    Ok((term.id, Outcome::Created))
}

fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').chars().take(64).collect()
}

fn upsert_organization(
    conn: &mut DbConnection,
    o: &HsdsOrganization,
    ids: &Ids,
    batch: &mut Batch<Organization>,
    now: DateTime<Utc>,
) -> Result<(OrganizationId, Outcome), Rejected> {
    let hsds_id = require_id(&o.id)?;
    let input = OrganizationInput {
        name: o.name.clone().unwrap_or_default(),
        description: o.description.clone(),
        website: o.website.clone().or_else(|| o.url.clone()),
        email: o.email.clone(),
        tax_id: o.tax_id.clone(),
        parent_id: o
            .parent_organization_id
            .as_ref()
            .map(|p| ids.organizations[p]),
        phones: phones(&o.phones),
    };
    let fields = input.parse().map_err(|e| invalid(describe(e)))?;
    match batch.stored.remove(&hsds_id) {
        Some(mut existing) => {
            let before = existing.clone();
            existing.apply(fields);
            if existing == before {
                return Ok((existing.id, Outcome::Unchanged));
            }
            existing.touch(now);
            // Its new parent may be among the organizations not stored yet.
            store::insert_organizations(conn, &std::mem::take(&mut batch.new))?;
            store::update_organization(conn, &existing, before.version)?;
            Ok((existing.id, Outcome::Updated))
        }
        None => {
            let organization = Organization::create(fields, Some(hsds_id), now);
            let id = organization.id;
            batch.new.push(organization);
            Ok((id, Outcome::Created))
        }
    }
}

fn upsert_location(
    conn: &mut DbConnection,
    l: &HsdsLocation,
    ids: &Ids,
    batch: &mut Batch<Location>,
    now: DateTime<Utc>,
) -> Result<(LocationId, Outcome), Rejected> {
    let hsds_id = require_id(&l.id)?;
    let organization_hsds = l
        .organization_id
        .clone()
        .ok_or_else(|| invalid("organization_id: is required"))?;
    let organization_id = *ids.organizations.get(&organization_hsds).ok_or_else(|| {
        invalid(format!(
            "organization_id: no imported organization {organization_hsds}"
        ))
    })?;
    let address = l
        .addresses
        .iter()
        .find(|a| a.address_type.as_deref() != Some("postal"))
        .or_else(|| l.addresses.first())
        .map(|a| AddressInput {
            line1: a.address_1.clone().unwrap_or_default(),
            line2: a.address_2.clone(),
            city: a.city.clone().unwrap_or_default(),
            region: a.state_province.clone().or_else(|| a.region.clone()),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        });
    let accessibility: Vec<String> = l
        .accessibility
        .iter()
        .filter_map(|a| match (&a.description, &a.details) {
            (Some(d), Some(x)) => Some(format!("{d} {x}")),
            (Some(d), None) => Some(d.clone()),
            (None, Some(x)) => Some(x.clone()),
            (None, None) => None,
        })
        .collect();
    let input = LocationInput {
        organization_id,
        name: l.name.clone().unwrap_or_default(),
        address,
        latitude: parse_number("latitude", &l.latitude).map_err(invalid)?,
        longitude: parse_number("longitude", &l.longitude).map_err(invalid)?,
        accessibility: (!accessibility.is_empty()).then(|| accessibility.join("\n")),
        transportation: l.transportation.clone(),
        phones: phones(&l.phones),
    };
    let fields = input.parse().map_err(|e| invalid(describe(e)))?;
    match batch.stored.remove(&hsds_id) {
        Some(mut existing) => {
            if existing.fields == fields && existing.organization_id == organization_id {
                return Ok((existing.id, Outcome::Unchanged));
            }
            let expected = existing.version;
            existing.fields = fields;
            existing.organization_id = organization_id;
            existing.touch(now);
            store::update_location(conn, &existing, expected)?;
            Ok((existing.id, Outcome::Updated))
        }
        None => {
            let location = Location {
                id: LocationId::generate(),
                hsds_id: Some(hsds_id),
                organization_id,
                fields,
                last_modified: now,
                created_at: now,
                version: 1,
            };
            let id = location.id;
            batch.new.push(location);
            Ok((id, Outcome::Created))
        }
    }
}

fn upsert_service(
    conn: &mut DbConnection,
    s: &HsdsService,
    extra_locations: Option<&BTreeSet<String>>,
    ids: &Ids,
    batch: &mut Batch<Service>,
    now: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    let hsds_id = require_id(&s.id)?;
    let organization_hsds = s
        .organization_id
        .clone()
        .ok_or_else(|| invalid("organization_id: is required"))?;
    let organization_id = *ids.organizations.get(&organization_hsds).ok_or_else(|| {
        invalid(format!(
            "organization_id: no imported organization {organization_hsds}"
        ))
    })?;
    let mut location_ids = Vec::new();
    let linked = s
        .service_at_locations
        .iter()
        .filter_map(|l| l.location_id.clone())
        .chain(extra_locations.into_iter().flatten().cloned());
    for location in linked {
        let id = ids.locations.get(&location).ok_or_else(|| {
            invalid(format!(
                "service_at_locations: no imported location {location}"
            ))
        })?;
        location_ids.push(*id);
    }
    let mut taxonomy_term_ids = Vec::new();
    for attribute in &s.attributes {
        let term = attribute
            .taxonomy_term_id
            .clone()
            .or_else(|| attribute.taxonomy_term.as_ref().and_then(|t| t.id.clone()));
        if let Some(term) = term {
            let id = ids
                .terms
                .get(&term)
                .ok_or_else(|| invalid(format!("attributes: no imported taxonomy term {term}")))?;
            taxonomy_term_ids.push(*id);
        }
    }
    let mentions_medicaid = |text: &Option<String>| {
        text.as_deref()
            .is_some_and(|t| t.to_lowercase().contains("medicaid"))
    };
    let accepts_medicaid = s
        .accepts_medicaid
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || s.cost_options
            .iter()
            .any(|c| mentions_medicaid(&c.option) || mentions_medicaid(&c.amount_description))
        || s.attributes
            .iter()
            .any(|a| mentions_medicaid(&a.value) || mentions_medicaid(&a.label));
    let input = ServiceInput {
        organization_id,
        name: s.name.clone().unwrap_or_default(),
        description: s.description.clone(),
        status: status(&s.status).map_err(invalid)?,
        application_process: s.application_process.clone(),
        fees_description: s.fees_description.clone().or_else(|| s.fees.clone()),
        wait_time: s.wait_time.clone(),
        eligibility_description: s.eligibility_description.clone(),
        minimum_age: parse_number("minimum_age", &s.minimum_age).map_err(invalid)?,
        maximum_age: parse_number("maximum_age", &s.maximum_age).map_err(invalid)?,
        accepts_medicaid,
        languages: s.languages.iter().filter_map(|l| l.code.clone()).collect(),
        interpretation_services: s.interpretation_services.clone(),
        phones: phones(&s.phones),
        hours: hours(&s.schedules).map_err(invalid)?,
        taxonomy_term_ids,
        location_ids,
    };
    let fields = input.parse().map_err(|e| invalid(describe(e)))?;
    match batch.stored.remove(&hsds_id) {
        Some(mut existing) => {
            if existing.fields == fields && existing.organization_id == organization_id {
                return Ok(Outcome::Unchanged);
            }
            let expected = existing.version;
            existing.fields = fields;
            existing.organization_id = organization_id;
            existing.touch(now);
            store::update_service(conn, &existing, expected)?;
            Ok(Outcome::Updated)
        }
        None => {
            let service = Service {
                id: ServiceId::generate(),
                hsds_id: Some(hsds_id),
                organization_id,
                fields,
                capacity: None,
                last_modified: now,
                created_at: now,
                version: 1,
            };
            batch.new.push(service);
            Ok(Outcome::Created)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_taxonomy_codes() {
        assert_eq!(slug("Food Pantry & Meals!"), "food-pantry-meals");
        assert!(taxonomy_code(&slug("  Ünïcode Term ")).is_ok());
    }

    #[test]
    fn weekly_schedules_become_opening_hours() {
        let schedule = HsdsSchedule {
            freq: Some("WEEKLY".into()),
            byday: Some("TH,FR".into()),
            opens_at: Some("10:00:00".into()),
            closes_at: Some("18:00".into()),
            ..Default::default()
        };
        let hours = hours(&[schedule]).unwrap();
        assert_eq!(hours.len(), 2);
        assert_eq!(hours[0].weekday, Weekday::Thursday);
        assert_eq!(
            hours[1].closes_at,
            NaiveTime::from_hms_opt(18, 0, 0).unwrap()
        );
    }

    #[test]
    fn statuses_accept_hsds_spellings() {
        assert_eq!(
            status(&Some("temporarily closed".into())).unwrap(),
            Some(ServiceStatus::TemporarilyClosed)
        );
        assert!(status(&Some("gone".into())).is_err());
    }
}
