//! Assessment instruments (immutable versions) and clients' assessments.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use spoke_domain::assessment::{
    Assessment, AssessmentFields, AssessmentKind, AssessmentStatus, Instrument, InstrumentFields,
    self_sufficiency_matrix,
};
use spoke_domain::ids::{AssessmentId, ClientId, InstrumentId};
use spoke_domain::values::{LongText, ShortText};

use crate::StoreError;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::{Keyset, Page};
use crate::rows::{
    corrupt, from_db, from_json, one_versioned_row, parse_id, stored, to_db, to_json,
};
use crate::schema::{assessments, instruments};

// -------------------------------------------------------------- instruments

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = instruments, treat_none_as_default_value = false)]
struct InstrumentRow {
    id: String,
    code: String,
    version: i32,
    name: String,
    description: Option<String>,
    domains: String,
    created_at: chrono::NaiveDateTime,
}

impl InstrumentRow {
    fn into_domain(self) -> Result<Instrument, StoreError> {
        Ok(Instrument {
            id: parse_id(&self.id)?,
            version: self.version,
            fields: InstrumentFields {
                code: self.code,
                name: ShortText::parse(&self.name).map_err(|_| corrupt("name", &self.name))?,
                description: stored("description", self.description, LongText::parse)?,
                domains: from_json(&self.domains)?,
            },
            created_at: from_db(self.created_at),
        })
    }
}

/// Stores `fields` as the next version of the instrument with its code
/// (version 1 for a new code), and returns it. Call inside a transaction:
/// two concurrent versions of one code collide on (code, version).
pub fn add_instrument_version(
    conn: &mut DbConnection,
    fields: InstrumentFields,
    now: DateTime<Utc>,
) -> Result<Instrument, StoreError> {
    let latest: Option<i32> = instruments::table
        .filter(instruments::code.eq(&fields.code))
        .select(diesel::dsl::max(instruments::version))
        .first(conn)?;
    let instrument = Instrument {
        id: InstrumentId::generate(),
        version: latest.unwrap_or(0) + 1,
        fields,
        created_at: now,
    };
    diesel::insert_into(instruments::table)
        .values(InstrumentRow {
            id: instrument.id.to_string(),
            code: instrument.fields.code.clone(),
            version: instrument.version,
            name: instrument.fields.name.to_string(),
            description: instrument
                .fields
                .description
                .as_ref()
                .map(|d| d.as_str().to_owned()),
            domains: to_json(&instrument.fields.domains),
            created_at: to_db(now),
        })
        .execute(conn)?;
    Ok(instrument)
}

/// Adds the built-in instruments (the Self-Sufficiency Matrix, `ssm`) when
/// missing; returns how many were added.
pub fn ensure_builtin_instruments(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let builtin = self_sufficiency_matrix()
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("built-in instrument: {e:?}")))?;
    if latest_instrument(conn, &builtin.code)?.is_some() {
        return Ok(0);
    }
    add_instrument_version(conn, builtin, now)?;
    Ok(1)
}

pub fn get_instrument(conn: &mut DbConnection, id: InstrumentId) -> Result<Instrument, StoreError> {
    instruments::table
        .find(id.to_string())
        .select(InstrumentRow::as_select())
        .first::<InstrumentRow>(conn)?
        .into_domain()
}

/// The newest version of the instrument with `code`.
pub fn latest_instrument(
    conn: &mut DbConnection,
    code: &str,
) -> Result<Option<Instrument>, StoreError> {
    instruments::table
        .filter(instruments::code.eq(code))
        .order(instruments::version.desc())
        .select(InstrumentRow::as_select())
        .first::<InstrumentRow>(conn)
        .optional()?
        .map(InstrumentRow::into_domain)
        .transpose()
}

/// Every version of every instrument, by code then version.
pub fn list_instruments(conn: &mut DbConnection) -> Result<Vec<Instrument>, StoreError> {
    instruments::table
        .order((instruments::code.asc(), instruments::version.asc()))
        .select(InstrumentRow::as_select())
        .load::<InstrumentRow>(conn)?
        .into_iter()
        .map(InstrumentRow::into_domain)
        .collect()
}

// -------------------------------------------------------------- assessments

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = assessments, treat_none_as_null = true, treat_none_as_default_value = false)]
struct AssessmentRow {
    id: String,
    client_id: String,
    instrument_id: String,
    assessor_id: String,
    assessed_on: NaiveDate,
    kind: String,
    status: String,
    scores: String,
    overall_note: Option<String>,
    amends_id: Option<String>,
    finalized_at: Option<chrono::NaiveDateTime>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Assessment> for AssessmentRow {
    fn from(a: &Assessment) -> Self {
        let f = &a.fields;
        AssessmentRow {
            id: a.id.to_string(),
            client_id: a.client_id.to_string(),
            instrument_id: f.instrument_id.to_string(),
            assessor_id: a.assessor_id.to_string(),
            assessed_on: f.assessed_on,
            kind: f.kind.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
            scores: to_json(&f.scores),
            overall_note: f.overall_note.as_ref().map(|n| n.as_str().to_owned()),
            amends_id: f.amends.map(|id| id.to_string()),
            finalized_at: a.finalized_at.map(to_db),
            created_at: to_db(a.created_at),
            updated_at: to_db(a.updated_at),
            version: a.version,
        }
    }
}

impl AssessmentRow {
    fn into_domain(self) -> Result<Assessment, StoreError> {
        Ok(Assessment {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            assessor_id: parse_id(&self.assessor_id)?,
            fields: AssessmentFields {
                instrument_id: parse_id(&self.instrument_id)?,
                assessed_on: self.assessed_on,
                kind: AssessmentKind::parse(&self.kind)
                    .ok_or_else(|| corrupt("assessment kind", &self.kind))?,
                scores: from_json(&self.scores)?,
                overall_note: stored("note", self.overall_note, LongText::parse)?,
                amends: self.amends_id.as_deref().map(parse_id).transpose()?,
            },
            status: AssessmentStatus::parse(&self.status)
                .ok_or_else(|| corrupt("assessment status", &self.status))?,
            finalized_at: self.finalized_at.map(from_db),
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

pub fn insert_assessment(conn: &mut DbConnection, a: &Assessment) -> Result<(), StoreError> {
    diesel::insert_into(assessments::table)
        .values(AssessmentRow::from(a))
        .execute(conn)?;
    Ok(())
}

/// Writes `a` over the stored row if it is still at `expected_version` and
/// still a draft: a final assessment is never written again.
pub fn update_assessment(
    conn: &mut DbConnection,
    a: &Assessment,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        assessments::table
            .filter(assessments::id.eq(a.id.to_string()))
            .filter(assessments::version.eq(expected_version))
            .filter(assessments::status.eq(AssessmentStatus::Draft.as_str())),
    )
    .set(AssessmentRow::from(a))
    .execute(conn)?;
    one_versioned_row(changed)
}

/// An assessment of `client`; another client's is not found.
pub fn get_assessment(
    conn: &mut DbConnection,
    client: ClientId,
    id: AssessmentId,
) -> Result<Assessment, StoreError> {
    assessments::table
        .filter(assessments::id.eq(id.to_string()))
        .filter(assessments::client_id.eq(client.to_string()))
        .select(AssessmentRow::as_select())
        .first::<AssessmentRow>(conn)?
        .into_domain()
}

/// `client`'s assessments, newest first, `limit` at a time after `after`.
pub fn list_assessments(
    conn: &mut DbConnection,
    client: ClientId,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Assessment>, StoreError> {
    let mut query = assessments::table
        .filter(assessments::client_id.eq(client.to_string()))
        .select(AssessmentRow::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(after) = after {
        let at = to_db(after.at);
        query = query.filter(
            assessments::created_at.lt(at).or(assessments::created_at
                .eq(at)
                .and(assessments::id.lt(after.id.clone()))),
        );
    }
    let rows: Vec<AssessmentRow> = query
        .order((assessments::created_at.desc(), assessments::id.desc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(AssessmentRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |a| Keyset {
        at: a.created_at,
        id: a.id.to_string(),
    }))
}

/// Every final assessment of `clients`, on any instrument.
pub fn final_assessments_of(
    conn: &mut DbConnection,
    clients: &[ClientId],
) -> Result<Vec<Assessment>, StoreError> {
    let ids: Vec<String> = clients.iter().map(ToString::to_string).collect();
    assessments::table
        .filter(assessments::client_id.eq_any(ids))
        .filter(assessments::status.eq(AssessmentStatus::Final.as_str()))
        .select(AssessmentRow::as_select())
        .load::<AssessmentRow>(conn)?
        .into_iter()
        .map(AssessmentRow::into_domain)
        .collect()
}

/// Every assessment of `client` on any version of the instrument `code`.
pub fn assessments_on(
    conn: &mut DbConnection,
    client: ClientId,
    code: &str,
) -> Result<Vec<Assessment>, StoreError> {
    assessments::table
        .inner_join(instruments::table)
        .filter(assessments::client_id.eq(client.to_string()))
        .filter(instruments::code.eq(code))
        .select(AssessmentRow::as_select())
        .load::<AssessmentRow>(conn)?
        .into_iter()
        .map(AssessmentRow::into_domain)
        .collect()
}
