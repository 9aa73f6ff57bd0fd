//! Critical events and residences: what happened to a client and where they
//! lived. Lists read the client's rows through `(client_id, day)` indexes;
//! across clients, the start day's.

use chrono::NaiveDate;
use diesel::prelude::*;
use spoke_domain::client::AddressInput;
use spoke_domain::consent::ConsentCategory;
use spoke_domain::critical_event::{
    CrisisService, CriticalEvent, EventFields, EventType, LearnedFrom, Seen,
};
use spoke_domain::ids::{ClientId, CriticalEventId, ResidenceId, TeamId, UserId};
use spoke_domain::policy::ContactScope;
use spoke_domain::residence::{Residence, ResidenceFields, ResidenceSetting};
use spoke_domain::values::{LongText, ShortText};

use crate::StoreError;
use crate::clients::within_scope;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::{Keyset, Page};
use crate::rows::{
    corrupt, from_db, from_json, known, one_versioned_row, parse_id, stored, text, to_db, to_json,
};
use crate::schema::{clients, contacts, critical_events, residences};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = critical_events, treat_none_as_default_value = false)]
#[diesel(treat_none_as_null = true)]
struct EventRow {
    id: String,
    client_id: String,
    event_type: String,
    crisis_service: Option<String>,
    started_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    organization_id: Option<String>,
    facility_name: Option<String>,
    learned_from: String,
    learned_on: NaiveDate,
    sensitivity: String,
    notes: Option<String>,
    created_by: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&CriticalEvent> for EventRow {
    fn from(e: &CriticalEvent) -> Self {
        let f = &e.fields;
        EventRow {
            id: e.id.to_string(),
            client_id: e.client_id.to_string(),
            event_type: f.event_type.as_str().to_owned(),
            crisis_service: f.crisis_service.map(|s| s.as_str().to_owned()),
            started_on: f.started_on,
            ended_on: f.ended_on,
            organization_id: text(&f.organization_id),
            facility_name: text(&f.facility_name),
            learned_from: f.learned_from.as_str().to_owned(),
            learned_on: f.learned_on,
            sensitivity: f.sensitivity.as_str().to_owned(),
            notes: f.notes.as_ref().map(|n| n.as_str().to_owned()),
            created_by: e.created_by.to_string(),
            created_at: to_db(e.created_at),
            updated_at: to_db(e.updated_at),
            version: e.version,
        }
    }
}

impl EventRow {
    fn into_domain(self) -> Result<CriticalEvent, StoreError> {
        Ok(CriticalEvent {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            fields: EventFields {
                event_type: known("event type", &self.event_type, EventType::parse)?,
                crisis_service: self
                    .crisis_service
                    .as_deref()
                    .map(|raw| known("crisis service", raw, CrisisService::parse))
                    .transpose()?,
                started_on: self.started_on,
                ended_on: self.ended_on,
                organization_id: self.organization_id.as_deref().map(parse_id).transpose()?,
                facility_name: stored("facility name", self.facility_name, ShortText::parse)?,
                learned_from: known("learned from", &self.learned_from, LearnedFrom::parse)?,
                learned_on: self.learned_on,
                sensitivity: known("sensitivity", &self.sensitivity, ConsentCategory::parse)?,
                notes: stored("notes", self.notes, LongText::parse)?,
            },
            created_by: parse_id(&self.created_by)?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

pub fn insert_event(conn: &mut DbConnection, event: &CriticalEvent) -> Result<(), StoreError> {
    diesel::insert_into(critical_events::table)
        .values(EventRow::from(event))
        .execute(conn)?;
    Ok(())
}

/// Stores many events at once (demo data, benchmarks).
pub fn insert_events(conn: &mut DbConnection, all: &[CriticalEvent]) -> Result<(), StoreError> {
    for chunk in all.chunks(500) {
        let rows: Vec<EventRow> = chunk.iter().map(EventRow::from).collect();
        let insert = diesel::insert_into(critical_events::table).values(rows);
        match conn {
            DbConnection::Sqlite(inner) => insert.execute(inner)?,
            DbConnection::Postgres(inner) => insert.execute(inner)?,
        };
    }
    Ok(())
}

/// Writes a changed event if still at `expected_version`.
pub fn update_event(
    conn: &mut DbConnection,
    event: &CriticalEvent,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        critical_events::table
            .filter(critical_events::id.eq(event.id.to_string()))
            .filter(critical_events::version.eq(expected_version)),
    )
    .set(EventRow::from(event))
    .execute(conn)?;
    one_versioned_row(changed)
}

/// An event of `client`; another client's is not found.
pub fn get_event(
    conn: &mut DbConnection,
    client: ClientId,
    id: CriticalEventId,
) -> Result<CriticalEvent, StoreError> {
    critical_events::table
        .filter(critical_events::id.eq(id.to_string()))
        .filter(critical_events::client_id.eq(client.to_string()))
        .select(EventRow::as_select())
        .first::<EventRow>(conn)?
        .into_domain()
}

/// Which events a list returns, beyond the actor's scope.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub client: Option<ClientId>,
    pub team: Option<TeamId>,
    /// The clients whose primary case manager this is.
    pub case_manager: Option<UserId>,
    pub event_type: Option<EventType>,
    /// Events going on some day from this one on (a stay that ended before is left out).
    pub from: Option<NaiveDate>,
    /// Events that began up to and including this day.
    pub to: Option<NaiveDate>,
    /// Only stays still going on (true) or only events that ended (false).
    pub open: Option<bool>,
}

/// The events within `scope` that match `filter`, by start day then id,
/// `limit` at a time after `after` (a start day at midnight UTC, an id).
pub fn list_events(
    conn: &mut DbConnection,
    scope: &ContactScope,
    filter: &EventFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<CriticalEvent>, StoreError> {
    let mut query = critical_events::table
        .inner_join(clients::table)
        .select(EventRow::as_select())
        .into_boxed::<MultiBackend>();
    query = within_scope!(query, &scope.clients);
    if let Some(client) = filter.client {
        query = query.filter(critical_events::client_id.eq(client.to_string()));
    }
    if let Some(team) = filter.team {
        query = query.filter(clients::team_id.eq(team.to_string()));
    }
    if let Some(user) = filter.case_manager {
        query = query.filter(clients::primary_case_manager_id.eq(user.to_string()));
    }
    if let Some((categories, me)) = &scope.categories {
        let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
        query = query.filter(
            critical_events::sensitivity
                .eq_any(names)
                .or(critical_events::created_by.eq(me.to_string())),
        );
    }
    if let Some(event_type) = filter.event_type {
        query = query.filter(critical_events::event_type.eq(event_type.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(
            critical_events::ended_on
                .is_null()
                .or(critical_events::ended_on.ge(from)),
        );
    }
    if let Some(to) = filter.to {
        query = query.filter(critical_events::started_on.le(to));
    }
    match filter.open {
        Some(true) => query = query.filter(critical_events::ended_on.is_null()),
        Some(false) => query = query.filter(critical_events::ended_on.is_not_null()),
        None => {}
    }
    if let Some(after) = after {
        let day = after.at.date_naive();
        query = query.filter(
            critical_events::started_on
                .gt(day)
                .or(critical_events::started_on
                    .eq(day)
                    .and(critical_events::id.gt(after.id.clone()))),
        );
    }
    let rows: Vec<EventRow> = query
        .order((critical_events::started_on.asc(), critical_events::id.asc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(EventRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |e| Keyset {
        at: e
            .fields
            .started_on
            .and_time(chrono::NaiveTime::MIN)
            .and_utc(),
        id: e.id.to_string(),
    }))
}

/// Every event of `client` that is a stay going on some day from `from`
/// through `to` (for community tenure), whatever its sensitivity.
pub fn stays_of(
    conn: &mut DbConnection,
    client: ClientId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CriticalEvent>, StoreError> {
    let stays: Vec<&str> = EventType::ALL
        .iter()
        .filter(|t| t.stay().is_some())
        .map(|t| t.as_str())
        .collect();
    critical_events::table
        .filter(critical_events::client_id.eq(client.to_string()))
        .filter(critical_events::event_type.eq_any(stays))
        .filter(critical_events::started_on.le(to))
        .filter(
            critical_events::ended_on
                .is_null()
                .or(critical_events::ended_on.ge(from)),
        )
        .order((critical_events::started_on.asc(), critical_events::id.asc()))
        .select(EventRow::as_select())
        .load::<EventRow>(conn)?
        .into_iter()
        .map(EventRow::into_domain)
        .collect()
}

/// The events of `clients` going on, or started or ended from `since`
/// (for the alert rules), whatever their sensitivity.
pub fn events_since(
    conn: &mut DbConnection,
    clients: &[ClientId],
    since: NaiveDate,
) -> Result<Vec<CriticalEvent>, StoreError> {
    let ids: Vec<String> = clients.iter().map(ToString::to_string).collect();
    critical_events::table
        .filter(critical_events::client_id.eq_any(ids))
        .filter(
            critical_events::ended_on
                .is_null()
                .or(critical_events::ended_on.ge(since))
                .or(critical_events::started_on.ge(since)),
        )
        .order((critical_events::started_on.asc(), critical_events::id.asc()))
        .select(EventRow::as_select())
        .load::<EventRow>(conn)?
        .into_iter()
        .map(EventRow::into_domain)
        .collect()
}

/// The last contact that saw each of `clients` (as [`first_seen`] counts
/// one), on a day from `since`.
pub fn last_seen(
    conn: &mut DbConnection,
    clients: &[ClientId],
    since: NaiveDate,
) -> Result<Vec<(ClientId, Seen)>, StoreError> {
    let ids: Vec<String> = clients.iter().map(ToString::to_string).collect();
    let rows: Vec<(String, String, NaiveDate)> = contacts::table
        .filter(contacts::client_id.eq_any(ids))
        .filter(contacts::date_of_service.ge(since))
        .filter(contacts::client_present.eq(1))
        .filter(contacts::mode.eq_any(SEEING_MODES))
        .order((
            contacts::client_id.asc(),
            contacts::date_of_service.desc(),
            contacts::started_at.desc(),
        ))
        .select((contacts::client_id, contacts::id, contacts::date_of_service))
        .load(conn)?;
    let mut last: Vec<(ClientId, Seen)> = Vec::new();
    for (client, id, on) in rows {
        let client: ClientId = parse_id(&client)?;
        if last.last().is_none_or(|(c, _)| *c != client) {
            last.push((
                client,
                Seen {
                    contact_id: parse_id(&id)?,
                    on,
                },
            ));
        }
    }
    Ok(last)
}

/// The modes in which a contact sees the client after a discharge.
const SEEING_MODES: [&str; 3] = ["in_person", "video", "phone"];

/// The first contact with `client` present, in person, by video or by
/// phone, on a day (the agency's date of service) from `from` through `to`.
pub fn first_seen(
    conn: &mut DbConnection,
    client: ClientId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<Seen>, StoreError> {
    let found: Option<(String, NaiveDate)> = contacts::table
        .filter(contacts::client_id.eq(client.to_string()))
        .filter(contacts::date_of_service.ge(from))
        .filter(contacts::date_of_service.le(to))
        .filter(contacts::client_present.eq(1))
        .filter(contacts::mode.eq_any(SEEING_MODES))
        .order((contacts::date_of_service.asc(), contacts::started_at.asc()))
        .select((contacts::id, contacts::date_of_service))
        .first(conn)
        .optional()?;
    found
        .map(|(id, on)| {
            Ok(Seen {
                contact_id: parse_id(&id)?,
                on,
            })
        })
        .transpose()
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = residences, treat_none_as_default_value = false)]
#[diesel(treat_none_as_null = true)]
struct ResidenceRow {
    id: String,
    client_id: String,
    setting: String,
    address: Option<String>,
    moved_in_on: NaiveDate,
    moved_out_on: Option<NaiveDate>,
    notes: Option<String>,
    created_by: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Residence> for ResidenceRow {
    fn from(r: &Residence) -> Self {
        let f = &r.fields;
        ResidenceRow {
            id: r.id.to_string(),
            client_id: r.client_id.to_string(),
            setting: f.setting.as_str().to_owned(),
            address: f
                .address
                .as_ref()
                .map(|address| to_json(&AddressInput::from(address))),
            moved_in_on: f.moved_in_on,
            moved_out_on: f.moved_out_on,
            notes: f.notes.as_ref().map(|n| n.as_str().to_owned()),
            created_by: r.created_by.to_string(),
            created_at: to_db(r.created_at),
            updated_at: to_db(r.updated_at),
            version: r.version,
        }
    }
}

impl ResidenceRow {
    fn into_domain(self) -> Result<Residence, StoreError> {
        let address = match self.address.as_deref() {
            None => None,
            Some(raw) => Some(
                from_json::<AddressInput>(raw)?
                    .parse("address")
                    .map_err(|_| corrupt("address", raw))?,
            ),
        };
        Ok(Residence {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            fields: ResidenceFields {
                setting: known("setting", &self.setting, ResidenceSetting::parse)?,
                address,
                moved_in_on: self.moved_in_on,
                moved_out_on: self.moved_out_on,
                notes: stored("notes", self.notes, LongText::parse)?,
            },
            created_by: parse_id(&self.created_by)?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

pub fn insert_residence(conn: &mut DbConnection, r: &Residence) -> Result<(), StoreError> {
    diesel::insert_into(residences::table)
        .values(ResidenceRow::from(r))
        .execute(conn)?;
    Ok(())
}

/// Writes a changed residence if still at `expected_version`.
pub fn update_residence(
    conn: &mut DbConnection,
    r: &Residence,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        residences::table
            .filter(residences::id.eq(r.id.to_string()))
            .filter(residences::version.eq(expected_version)),
    )
    .set(ResidenceRow::from(r))
    .execute(conn)?;
    one_versioned_row(changed)
}

/// A residence of `client`; another client's is not found.
pub fn get_residence(
    conn: &mut DbConnection,
    client: ClientId,
    id: ResidenceId,
) -> Result<Residence, StoreError> {
    residences::table
        .filter(residences::id.eq(id.to_string()))
        .filter(residences::client_id.eq(client.to_string()))
        .select(ResidenceRow::as_select())
        .first::<ResidenceRow>(conn)?
        .into_domain()
}

/// Every residence of `client`, the earliest first (a client's history is
/// short: a page would only get in the way).
pub fn residences_of(
    conn: &mut DbConnection,
    client: ClientId,
) -> Result<Vec<Residence>, StoreError> {
    residences::table
        .filter(residences::client_id.eq(client.to_string()))
        .order((residences::moved_in_on.asc(), residences::id.asc()))
        .select(ResidenceRow::as_select())
        .load::<ResidenceRow>(conn)?
        .into_iter()
        .map(ResidenceRow::into_domain)
        .collect()
}
