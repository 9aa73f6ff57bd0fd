//! Episodes of care: a client's enrollments, at most one open (the
//! database holds it).

use diesel::prelude::*;
use spoke_domain::episode::{
    Destination, Discharge, DischargeReason, Enrollment, Episode, ReferralSource,
};
use spoke_domain::ids::ClientId;
use spoke_domain::values::{LongText, ShortText};

use crate::StoreError;
use crate::conn::DbConnection;
use crate::rows::{
    corrupt, from_db, from_json, known, one_versioned_row, parse_id, stored, text, to_db, to_json,
};
use crate::schema::episodes;

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = episodes, treat_none_as_default_value = false)]
#[diesel(treat_none_as_null = true)]
struct EpisodeRow {
    id: String,
    client_id: String,
    program: String,
    referral_source: Option<String>,
    referral_source_name: Option<String>,
    eligibility_basis: Option<String>,
    started_on: chrono::NaiveDate,
    ended_on: Option<chrono::NaiveDate>,
    discharge_reason: Option<String>,
    destination: Option<String>,
    discharge_summary: Option<String>,
    discharged_by: Option<String>,
    closure_request: Option<String>,
    created_by: Option<String>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Episode> for EpisodeRow {
    fn from(e: &Episode) -> Self {
        let n = &e.enrollment;
        let d = e.discharge.as_ref();
        EpisodeRow {
            id: e.id.to_string(),
            client_id: e.client_id.to_string(),
            program: n.program.to_string(),
            referral_source: n.referral_source.map(|s| s.as_str().to_owned()),
            referral_source_name: text(&n.referral_source_name),
            eligibility_basis: text(&n.eligibility_basis),
            started_on: e.started_on,
            ended_on: e.ended_on,
            discharge_reason: d.map(|d| d.reason.as_str().to_owned()),
            destination: d.and_then(|d| d.destination).map(|x| x.as_str().to_owned()),
            discharge_summary: d
                .and_then(|d| d.summary.as_ref())
                .map(|s| s.as_str().to_owned()),
            discharged_by: d.map(|d| d.by.to_string()),
            closure_request: e.pending_closure.as_ref().map(to_json),
            created_by: text(&e.created_by),
            created_at: to_db(e.created_at),
            updated_at: to_db(e.updated_at),
            version: e.version,
        }
    }
}

impl EpisodeRow {
    fn into_domain(self) -> Result<Episode, StoreError> {
        let discharge = match (
            self.discharge_reason.as_deref(),
            self.discharged_by.as_deref(),
        ) {
            (Some(reason), Some(by)) => Some(Discharge {
                reason: known("discharge reason", reason, DischargeReason::parse)?,
                destination: self
                    .destination
                    .as_deref()
                    .map(|raw| known("destination", raw, Destination::parse))
                    .transpose()?,
                summary: stored("discharge summary", self.discharge_summary, LongText::parse)?,
                by: parse_id(by)?,
            }),
            _ => None,
        };
        Ok(Episode {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            enrollment: Enrollment {
                program: ShortText::parse(&self.program)
                    .map_err(|_| corrupt("program", &self.program))?,
                referral_source: self
                    .referral_source
                    .as_deref()
                    .map(|raw| known("referral source", raw, ReferralSource::parse))
                    .transpose()?,
                referral_source_name: stored(
                    "referral source name",
                    self.referral_source_name,
                    ShortText::parse,
                )?,
                eligibility_basis: stored(
                    "eligibility basis",
                    self.eligibility_basis,
                    ShortText::parse,
                )?,
            },
            started_on: self.started_on,
            ended_on: self.ended_on,
            discharge,
            pending_closure: self.closure_request.as_deref().map(from_json).transpose()?,
            created_by: self.created_by.as_deref().map(parse_id).transpose()?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

pub fn insert(conn: &mut DbConnection, e: &Episode) -> Result<(), StoreError> {
    diesel::insert_into(episodes::table)
        .values(EpisodeRow::from(e))
        .execute(conn)?;
    Ok(())
}

/// Writes a changed episode if still at `expected_version`.
pub fn update(
    conn: &mut DbConnection,
    e: &Episode,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        episodes::table
            .filter(episodes::id.eq(e.id.to_string()))
            .filter(episodes::version.eq(expected_version)),
    )
    .set(EpisodeRow::from(e))
    .execute(conn)?;
    one_versioned_row(changed)
}

/// The episode `client` is enrolled in, if any.
pub fn open_episode(
    conn: &mut DbConnection,
    client: ClientId,
) -> Result<Option<Episode>, StoreError> {
    episodes::table
        .filter(episodes::client_id.eq(client.to_string()))
        .filter(episodes::ended_on.is_null())
        .select(EpisodeRow::as_select())
        .first::<EpisodeRow>(conn)
        .optional()?
        .map(EpisodeRow::into_domain)
        .transpose()
}

/// Every episode of `client`, the earliest first.
pub fn episodes_of(conn: &mut DbConnection, client: ClientId) -> Result<Vec<Episode>, StoreError> {
    episodes::table
        .filter(episodes::client_id.eq(client.to_string()))
        .order((
            episodes::started_on.asc(),
            episodes::created_at.asc(),
            episodes::id.asc(),
        ))
        .select(EpisodeRow::as_select())
        .load::<EpisodeRow>(conn)?
        .into_iter()
        .map(EpisodeRow::into_domain)
        .collect()
}

/// The open episodes of `clients` whose discharge waits for a supervisor.
pub fn closures_waiting(
    conn: &mut DbConnection,
    clients: &[ClientId],
) -> Result<Vec<Episode>, StoreError> {
    let ids: Vec<String> = clients.iter().map(ToString::to_string).collect();
    episodes::table
        .filter(episodes::client_id.eq_any(ids))
        .filter(episodes::ended_on.is_null())
        .filter(episodes::closure_request.is_not_null())
        .select(EpisodeRow::as_select())
        .load::<EpisodeRow>(conn)?
        .into_iter()
        .map(EpisodeRow::into_domain)
        .collect()
}
