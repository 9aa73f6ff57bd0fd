//! Appointments, their rides (a row of their own, kept with the
//! appointment's version) and staff's calendar feeds.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use spoke_domain::appointment::{
    Appointment, AppointmentFields, AppointmentKind, AppointmentStatus, CancelledBy, Ride,
    RideStatus, TransportMode, TransportPlan,
};
use spoke_domain::consent::ConsentCategory;
use spoke_domain::ids::{AppointmentId, ClientId, TeamId, UserId};
use spoke_domain::policy::{ClientScope, ContactScope};
use spoke_domain::values::{LongText, ShortText};

use crate::StoreError;
use crate::clients::within_scope;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::{Keyset, Page};
use crate::rows::{
    corrupt, from_db, from_json, one_versioned_row, parse_id, stored, text, to_db, to_json,
};
use crate::schema::{appointments, calendar_feeds, clients, rides};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = appointments, treat_none_as_default_value = false)]
#[diesel(treat_none_as_null = true)]
struct AppointmentRow {
    id: String,
    client_id: String,
    starts_at: chrono::NaiveDateTime,
    ends_at: chrono::NaiveDateTime,
    kind: String,
    care_team_member_id: Option<String>,
    service_id: Option<String>,
    with_name: Option<String>,
    location_id: Option<String>,
    address: Option<String>,
    case_manager_attends: i32,
    referral_id: Option<String>,
    task_id: Option<String>,
    notes: Option<String>,
    sensitivity: String,
    status: String,
    status_changed_by: Option<String>,
    status_changed_at: Option<chrono::NaiveDateTime>,
    status_reason: Option<String>,
    cancelled_by: Option<String>,
    rescheduled_from: Option<String>,
    rescheduled_to: Option<String>,
    created_by: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = rides, treat_none_as_default_value = false)]
struct RideRow {
    appointment_id: String,
    mode: String,
    status: String,
    pickup_address: Option<String>,
    pickup_at: Option<chrono::NaiveDateTime>,
    departs_at: chrono::NaiveDateTime,
    staff_ids: String,
    cost_cents: Option<i64>,
    nemt_trip_id: Option<String>,
    arranged_by: Option<String>,
    arranged_at: Option<chrono::NaiveDateTime>,
    failure_reason: Option<String>,
}

impl From<&Appointment> for AppointmentRow {
    fn from(a: &Appointment) -> Self {
        let f = &a.fields;
        AppointmentRow {
            id: a.id.to_string(),
            client_id: a.client_id.to_string(),
            starts_at: to_db(f.starts_at),
            ends_at: to_db(f.ends_at),
            kind: f.kind.as_str().to_owned(),
            care_team_member_id: text(&f.care_team_member_id),
            service_id: text(&f.service_id),
            with_name: text(&f.with_name),
            location_id: text(&f.location_id),
            address: text(&f.address),
            case_manager_attends: i32::from(f.case_manager_attends),
            referral_id: text(&f.referral_id),
            task_id: text(&f.task_id),
            notes: f.notes.as_ref().map(|n| n.as_str().to_owned()),
            sensitivity: f.sensitivity.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
            status_changed_by: text(&a.status_changed_by),
            status_changed_at: a.status_changed_at.map(to_db),
            status_reason: text(&a.status_reason),
            cancelled_by: a.cancelled_by.map(|c| c.as_str().to_owned()),
            rescheduled_from: text(&a.rescheduled_from),
            rescheduled_to: text(&a.rescheduled_to),
            created_by: a.created_by.to_string(),
            created_at: to_db(a.created_at),
            updated_at: to_db(a.updated_at),
            version: a.version,
        }
    }
}

fn ride_row(a: &Appointment) -> Option<RideRow> {
    a.ride.as_ref().map(|ride| {
        let plan = &ride.plan;
        RideRow {
            appointment_id: a.id.to_string(),
            mode: plan.mode.as_str().to_owned(),
            status: ride.status.as_str().to_owned(),
            pickup_address: text(&plan.pickup_address),
            pickup_at: plan.pickup_at.map(to_db),
            departs_at: to_db(plan.pickup_at.unwrap_or(a.fields.starts_at)),
            staff_ids: to_json(&plan.staff_ids),
            cost_cents: plan.cost_cents,
            nemt_trip_id: text(&plan.nemt_trip_id),
            arranged_by: text(&ride.arranged_by),
            arranged_at: ride.arranged_at.map(to_db),
            failure_reason: text(&ride.failure_reason),
        }
    })
}

fn parsed<T>(what: &str, raw: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(raw).ok_or_else(|| corrupt(what, raw))
}

fn opt_id<T: std::str::FromStr>(raw: Option<String>) -> Result<Option<T>, StoreError> {
    raw.as_deref().map(parse_id).transpose()
}

impl RideRow {
    fn into_domain(self) -> Result<Ride, StoreError> {
        Ok(Ride {
            plan: TransportPlan {
                mode: parsed("ride mode", &self.mode, TransportMode::parse)?,
                pickup_address: stored("pickup address", self.pickup_address, ShortText::parse)?,
                pickup_at: self.pickup_at.map(from_db),
                staff_ids: from_json(&self.staff_ids)?,
                cost_cents: self.cost_cents,
                nemt_trip_id: stored("NEMT trip id", self.nemt_trip_id, ShortText::parse)?,
            },
            status: parsed("ride status", &self.status, RideStatus::parse)?,
            arranged_by: opt_id(self.arranged_by)?,
            arranged_at: self.arranged_at.map(from_db),
            failure_reason: stored("failure reason", self.failure_reason, ShortText::parse)?,
        })
    }
}

impl AppointmentRow {
    fn into_domain(self, ride: Option<RideRow>) -> Result<Appointment, StoreError> {
        Ok(Appointment {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            fields: AppointmentFields {
                starts_at: from_db(self.starts_at),
                ends_at: from_db(self.ends_at),
                kind: parsed("appointment kind", &self.kind, AppointmentKind::parse)?,
                care_team_member_id: opt_id(self.care_team_member_id)?,
                service_id: opt_id(self.service_id)?,
                with_name: stored("with name", self.with_name, ShortText::parse)?,
                location_id: opt_id(self.location_id)?,
                address: stored("address", self.address, ShortText::parse)?,
                case_manager_attends: self.case_manager_attends != 0,
                referral_id: opt_id(self.referral_id)?,
                task_id: opt_id(self.task_id)?,
                notes: stored("notes", self.notes, LongText::parse)?,
                sensitivity: parsed("sensitivity", &self.sensitivity, ConsentCategory::parse)?,
            },
            ride: ride.map(RideRow::into_domain).transpose()?,
            status: parsed("appointment status", &self.status, AppointmentStatus::parse)?,
            status_changed_by: opt_id(self.status_changed_by)?,
            status_changed_at: self.status_changed_at.map(from_db),
            status_reason: stored("status reason", self.status_reason, ShortText::parse)?,
            cancelled_by: self
                .cancelled_by
                .as_deref()
                .map(|c| parsed("cancelled by", c, CancelledBy::parse))
                .transpose()?,
            rescheduled_from: opt_id(self.rescheduled_from)?,
            rescheduled_to: opt_id(self.rescheduled_to)?,
            created_by: parse_id(&self.created_by)?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

pub fn insert_appointment(conn: &mut DbConnection, a: &Appointment) -> Result<(), StoreError> {
    diesel::insert_into(appointments::table)
        .values(AppointmentRow::from(a))
        .execute(conn)?;
    insert_ride(conn, a)
}

fn insert_ride(conn: &mut DbConnection, a: &Appointment) -> Result<(), StoreError> {
    if let Some(ride) = ride_row(a) {
        diesel::insert_into(rides::table)
            .values(ride)
            .execute(conn)?;
    }
    Ok(())
}

/// Stores many appointments and their rides with multi-row statements: bulk
/// loads of generated or migrated records, not one statement per row.
pub fn insert_many(conn: &mut DbConnection, all: &[Appointment]) -> Result<(), StoreError> {
    // 26 columns a row keeps a chunk under SQLite's 32,766 bound parameters.
    for chunk in all.chunks(1000) {
        let rows: Vec<AppointmentRow> = chunk.iter().map(AppointmentRow::from).collect();
        let rides: Vec<RideRow> = chunk.iter().filter_map(ride_row).collect();
        let appointments = diesel::insert_into(appointments::table).values(rows);
        let rides = diesel::insert_into(rides::table).values(rides);
        // Multi-row inserts are backend-specific SQL, so each backend runs its own.
        match conn {
            DbConnection::Sqlite(inner) => {
                appointments.execute(inner)?;
                rides.execute(inner)?;
            }
            DbConnection::Postgres(inner) => {
                appointments.execute(inner)?;
                rides.execute(inner)?;
            }
        }
    }
    Ok(())
}

/// Writes `a` and its ride over the stored ones if the appointment is still
/// at `expected_version`.
pub fn update_appointment(
    conn: &mut DbConnection,
    a: &Appointment,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        appointments::table
            .filter(appointments::id.eq(a.id.to_string()))
            .filter(appointments::version.eq(expected_version)),
    )
    .set(AppointmentRow::from(a))
    .execute(conn)?;
    one_versioned_row(changed)?;
    diesel::delete(rides::table.filter(rides::appointment_id.eq(a.id.to_string())))
        .execute(conn)?;
    insert_ride(conn, a)
}

/// An appointment of `client`; another client's is not found.
pub fn get_appointment(
    conn: &mut DbConnection,
    client: ClientId,
    id: AppointmentId,
) -> Result<Appointment, StoreError> {
    let (row, ride) = appointments::table
        .left_join(rides::table)
        .filter(appointments::id.eq(id.to_string()))
        .filter(appointments::client_id.eq(client.to_string()))
        .select((AppointmentRow::as_select(), Option::<RideRow>::as_select()))
        .first::<(AppointmentRow, Option<RideRow>)>(conn)?;
    row.into_domain(ride)
}

/// The scheduled appointments of `client` that start at or after `from`,
/// in time order.
pub fn scheduled_from(
    conn: &mut DbConnection,
    client: ClientId,
    from: DateTime<Utc>,
) -> Result<Vec<Appointment>, StoreError> {
    scheduled(conn, &[client], from, None)
}

/// The scheduled appointments of `clients` that start at or after `from`
/// (and before `until`), in time order.
pub fn scheduled(
    conn: &mut DbConnection,
    clients: &[ClientId],
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<Appointment>, StoreError> {
    let ids: Vec<String> = clients.iter().map(ToString::to_string).collect();
    let mut query = appointments::table
        .left_join(rides::table)
        .filter(appointments::client_id.eq_any(ids))
        .filter(appointments::status.eq(AppointmentStatus::Scheduled.as_str()))
        .filter(appointments::starts_at.ge(to_db(from)))
        .into_boxed::<MultiBackend>();
    if let Some(until) = until {
        query = query.filter(appointments::starts_at.lt(to_db(until)));
    }
    query
        .order((appointments::starts_at.asc(), appointments::id.asc()))
        .select((AppointmentRow::as_select(), Option::<RideRow>::as_select()))
        .load::<(AppointmentRow, Option<RideRow>)>(conn)?
        .into_iter()
        .map(|(row, ride)| row.into_domain(ride))
        .collect()
}

/// Which appointments a list returns, beyond the actor's scope.
#[derive(Debug, Clone, Default)]
pub struct AppointmentFilter {
    pub client: Option<ClientId>,
    /// The clients whose primary case manager this is: their calendar.
    pub case_manager: Option<UserId>,
    pub team: Option<TeamId>,
    /// Starting at or after this moment.
    pub from: Option<DateTime<Utc>>,
    /// Starting before this moment.
    pub until: Option<DateTime<Utc>>,
    pub status: Option<AppointmentStatus>,
    /// Only appointments with a ride, ordered by when the ride leaves.
    pub rides: bool,
}

/// The most client ids a list query names one by one.
const MAX_LISTED_CLIENTS: i64 = 5_000;

/// The ids of the clients within `scope` that `filter`'s team and case
/// manager keep.
fn clients_of<'a>(
    scope: &'a ContactScope,
    filter: &AppointmentFilter,
) -> clients::BoxedQuery<'a, MultiBackend, diesel::sql_types::Text> {
    let mut of = clients::table
        .select(clients::id)
        .into_boxed::<MultiBackend>();
    of = within_scope!(of, &scope.clients);
    if let Some(user) = filter.case_manager {
        of = of.filter(clients::primary_case_manager_id.eq(user.to_string()));
    }
    if let Some(team) = filter.team {
        of = of.filter(clients::team_id.eq(team.to_string()));
    }
    of
}

/// The appointments within `scope` that match `filter`, in time order
/// (`limit` at a time after `after`, a start and id); with `rides`, those
/// with a ride in the order the rides leave.
pub fn list_appointments(
    conn: &mut DbConnection,
    scope: &ContactScope,
    filter: &AppointmentFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Appointment>, StoreError> {
    let mut query = appointments::table
        .inner_join(clients::table)
        .left_join(rides::table)
        .select((AppointmentRow::as_select(), Option::<RideRow>::as_select()))
        .into_boxed::<MultiBackend>();
    query = within_scope!(query, &scope.clients);
    if let Some(client) = filter.client {
        query = query.filter(appointments::client_id.eq(client.to_string()));
    }
    if let Some(user) = filter.case_manager {
        query = query.filter(clients::primary_case_manager_id.eq(user.to_string()));
    }
    if let Some(team) = filter.team {
        query = query.filter(clients::team_id.eq(team.to_string()));
    }
    // On PostgreSQL, unless every client is in the list, the clients' ids
    // are read first and named too (one array parameter): the planner then
    // finds a team's appointments through their clients instead of walking
    // the agency's by time and looking up each one's client (a team's week
    // at 100,000 appointments: 24 req/s and x8.9 against 10,000 before,
    // 67-78 and x1.2-1.9 after, `make bench`). SQLite binds each id apart
    // and was slower so (89 to 72 req/s): it keeps the join alone. More ids than a
    // statement should carry leave the join alone too.
    // One client's list needs none of it: its index is the client's.
    let everyone = matches!(scope.clients, ClientScope::All)
        && filter.team.is_none()
        && filter.case_manager.is_none();
    let one_client = filter.client.is_some();
    if !everyone && !one_client && matches!(conn, DbConnection::Postgres(_)) {
        let ids: Vec<String> = clients_of(scope, filter)
            .limit(MAX_LISTED_CLIENTS + 1)
            .load(conn)?;
        if ids.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        if ids.len() <= MAX_LISTED_CLIENTS as usize {
            query = query.filter(appointments::client_id.eq_any(ids));
        }
    }
    if let Some((categories, me)) = &scope.categories {
        let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
        query = query.filter(
            appointments::sensitivity
                .eq_any(names)
                .or(appointments::created_by.eq(me.to_string())),
        );
    }
    if let Some(status) = filter.status {
        query = query.filter(appointments::status.eq(status.as_str()));
    }
    if filter.rides {
        // The ride's departure: the dispatcher's day and order.
        query = query.filter(rides::appointment_id.is_not_null());
        if let Some(from) = filter.from {
            query = query.filter(rides::departs_at.nullable().ge(to_db(from)));
        }
        if let Some(until) = filter.until {
            query = query.filter(rides::departs_at.nullable().lt(to_db(until)));
        }
        // A ride leaves at most a day before its appointment starts (the
        // domain's rule), so the starts bound the search as well.
        if let Some(from) = filter.from {
            query = query.filter(appointments::starts_at.ge(to_db(from)));
        }
        if let Some(until) = filter.until {
            let latest = until + spoke_domain::appointment::max_pickup_lead();
            query = query.filter(appointments::starts_at.lt(to_db(latest)));
        }
        if let Some(after) = after {
            let at = to_db(after.at);
            query = query.filter(
                rides::departs_at.nullable().gt(at).or(rides::departs_at
                    .nullable()
                    .eq(at)
                    .and(appointments::id.gt(after.id.clone()))),
            );
        }
        query = query.order((rides::departs_at.asc(), appointments::id.asc()));
    } else {
        if let Some(from) = filter.from {
            query = query.filter(appointments::starts_at.ge(to_db(from)));
        }
        if let Some(until) = filter.until {
            query = query.filter(appointments::starts_at.lt(to_db(until)));
        }
        if let Some(after) = after {
            let at = to_db(after.at);
            query = query.filter(
                appointments::starts_at.gt(at).or(appointments::starts_at
                    .eq(at)
                    .and(appointments::id.gt(after.id.clone()))),
            );
        }
        query = query.order((appointments::starts_at.asc(), appointments::id.asc()));
    }
    let rows: Vec<(AppointmentRow, Option<RideRow>)> = query
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(row, ride)| row.into_domain(ride))
        .collect::<Result<Vec<_>, _>>()?;
    let rides = filter.rides;
    Ok(Page::from_rows(items, limit, |a| Keyset {
        at: if rides {
            a.ride
                .as_ref()
                .and_then(|r| r.plan.pickup_at)
                .unwrap_or(a.fields.starts_at)
        } else {
            a.fields.starts_at
        },
        id: a.id.to_string(),
    }))
}

// ------------------------------------------------------------ calendar feeds

/// Gives `user` a feed under `token_hash`, replacing (revoking) any other.
pub fn replace_feed(
    conn: &mut DbConnection,
    user: UserId,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    delete_feed(conn, user)?;
    diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::user_id.eq(user.to_string()),
            calendar_feeds::token_hash.eq(token_hash),
            calendar_feeds::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Revokes `user`'s feed; whether there was one.
pub fn delete_feed(conn: &mut DbConnection, user: UserId) -> Result<bool, StoreError> {
    let deleted =
        diesel::delete(calendar_feeds::table.filter(calendar_feeds::user_id.eq(user.to_string())))
            .execute(conn)?;
    Ok(deleted > 0)
}

/// The user whose feed has `token_hash`.
pub fn feed_owner(conn: &mut DbConnection, token_hash: &str) -> Result<UserId, StoreError> {
    let user: String = calendar_feeds::table
        .filter(calendar_feeds::token_hash.eq(token_hash))
        .select(calendar_feeds::user_id)
        .first(conn)?;
    parse_id(&user)
}
