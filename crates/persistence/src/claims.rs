//! Claim batches, their lines and the contacts each line covers. The
//! partial unique index on live line contacts keeps a contact on at most one
//! live claim line: a second batch taking it at the same moment is a
//! `StoreError::Conflict`.

use chrono::NaiveDate;
use diesel::prelude::*;
use spoke_domain::claim::{BatchStatus, BillableContact, ClaimBatch, ClaimLine, LineOutcome};
use spoke_domain::contact::ContactStatus;
use spoke_domain::ids::{ClaimBatchId, ClaimLineId};
use spoke_domain::values::{LongText, MedicaidId};

use crate::StoreError;
use crate::conn::{DbConnection, MultiBackend};
use crate::contacts::not_replaced;
use crate::page::{Keyset, Page};
use crate::rows::{
    corrupt, from_db, from_json, one_versioned_row, parse_id, stored, to_db, to_json,
};
use crate::schema::{
    billing_configs, claim_batches, claim_line_contacts, claim_lines, clients,
    contact_cosignatures, contacts,
};

/// A contact's id, client, the client's Medicaid id, date of service,
/// start, author and units.
type BillableRow = (
    String,
    String,
    Option<String>,
    NaiveDate,
    chrono::NaiveDateTime,
    String,
    Option<i32>,
);

/// The signed contacts of `payer` with dates of service from `from` to
/// `to` that bill units, whose client has a Medicaid id, that no signed
/// amendment replaced and that no live claim line covers yet; with
/// `cosigned_only`, those a supervisor co-signed.
pub fn billable_contacts(
    conn: &mut DbConnection,
    payer: &str,
    from: NaiveDate,
    to: NaiveDate,
    cosigned_only: bool,
) -> Result<Vec<BillableContact>, StoreError> {
    let mut query = contacts::table
        .inner_join(billing_configs::table)
        .inner_join(clients::table)
        .filter(billing_configs::payer.eq(payer))
        .filter(contacts::status.eq(ContactStatus::Signed.as_str()))
        .filter(contacts::billable_units.gt(0))
        .filter(contacts::date_of_service.ge(from))
        .filter(contacts::date_of_service.le(to))
        .filter(clients::medicaid_id.is_not_null())
        .filter(not_replaced!())
        .filter(diesel::dsl::not(diesel::dsl::exists(
            claim_line_contacts::table
                .filter(claim_line_contacts::contact_id.eq(contacts::id))
                .filter(claim_line_contacts::live.eq(1)),
        )))
        .select((
            contacts::id,
            contacts::client_id,
            clients::medicaid_id,
            contacts::date_of_service,
            contacts::started_at,
            contacts::author_id,
            contacts::billable_units,
        ))
        .into_boxed::<MultiBackend>();
    if cosigned_only {
        query = query.filter(diesel::dsl::exists(
            contact_cosignatures::table.filter(contact_cosignatures::contact_id.eq(contacts::id)),
        ));
    }
    let rows: Vec<BillableRow> = query.load(conn)?;
    rows.into_iter()
        .map(|(id, client, medicaid, day, started, author, units)| {
            let medicaid = medicaid.unwrap_or_default();
            Ok(BillableContact {
                contact_id: parse_id(&id)?,
                client_id: parse_id(&client)?,
                medicaid_id: MedicaidId::parse(&medicaid)
                    .map_err(|_| corrupt("medicaid id", &medicaid))?,
                date_of_service: day,
                started_at: from_db(started),
                staff_id: parse_id(&author)?,
                units: units.unwrap_or(0),
            })
        })
        .collect()
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = claim_batches, treat_none_as_default_value = false)]
struct BatchRow {
    id: String,
    payer: String,
    period_from: NaiveDate,
    period_to: NaiveDate,
    status: String,
    created_by: String,
    exported_at: Option<chrono::NaiveDateTime>,
    voided_at: Option<chrono::NaiveDateTime>,
    void_reason: Option<String>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&ClaimBatch> for BatchRow {
    fn from(b: &ClaimBatch) -> Self {
        BatchRow {
            id: b.id.to_string(),
            payer: b.payer.clone(),
            period_from: b.period_from,
            period_to: b.period_to,
            status: b.status.as_str().to_owned(),
            created_by: b.created_by.to_string(),
            exported_at: b.exported_at.map(to_db),
            voided_at: b.voided_at.map(to_db),
            void_reason: b.void_reason.as_ref().map(|r| r.as_str().to_owned()),
            created_at: to_db(b.created_at),
            updated_at: to_db(b.updated_at),
            version: b.version,
        }
    }
}

impl BatchRow {
    fn into_domain(self, lines: Vec<ClaimLine>) -> Result<ClaimBatch, StoreError> {
        Ok(ClaimBatch {
            id: parse_id(&self.id)?,
            payer: self.payer,
            period_from: self.period_from,
            period_to: self.period_to,
            status: BatchStatus::parse(&self.status)
                .ok_or_else(|| corrupt("batch status", &self.status))?,
            created_by: parse_id(&self.created_by)?,
            lines,
            exported_at: self.exported_at.map(from_db),
            voided_at: self.voided_at.map(from_db),
            void_reason: stored("void reason", self.void_reason, LongText::parse)?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = claim_lines, treat_none_as_default_value = false)]
struct LineRow {
    id: String,
    batch_id: String,
    position: i32,
    client_id: String,
    medicaid_id: String,
    date_of_service: NaiveDate,
    procedure_code: String,
    modifiers: String,
    units: i32,
    rendering_staff_id: String,
    outcome: String,
    denial_reason: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = claim_line_contacts)]
struct TakenRow {
    line_id: String,
    contact_id: String,
    batch_id: String,
    live: i32,
}

/// Chunks of rows small enough for SQLite's bound-parameter limit.
const CHUNK: usize = 500;

/// Stores a new batch with its lines, and marks each line's contacts as
/// taken. A contact a live line of another batch took meanwhile is a
/// `StoreError::Conflict`: nothing of this batch is kept (call inside a
/// transaction).
pub fn insert_batch(conn: &mut DbConnection, batch: &ClaimBatch) -> Result<(), StoreError> {
    diesel::insert_into(claim_batches::table)
        .values(BatchRow::from(batch))
        .execute(conn)?;
    let batch_id = batch.id.to_string();
    let lines: Vec<LineRow> = batch
        .lines
        .iter()
        .enumerate()
        .map(|(n, l)| LineRow {
            id: l.id.to_string(),
            batch_id: batch_id.clone(),
            position: i32::try_from(n).unwrap_or(i32::MAX),
            client_id: l.client_id.to_string(),
            medicaid_id: l.medicaid_id.as_str().to_owned(),
            date_of_service: l.date_of_service,
            procedure_code: l.procedure_code.clone(),
            modifiers: to_json(&l.modifiers),
            units: l.units,
            rendering_staff_id: l.rendering_staff_id.to_string(),
            outcome: l.outcome.as_str().to_owned(),
            denial_reason: l.denial_reason.as_ref().map(|r| r.as_str().to_owned()),
        })
        .collect();
    let taken: Vec<TakenRow> = batch
        .lines
        .iter()
        .flat_map(|l| {
            l.contact_ids.iter().map(|c| TakenRow {
                line_id: l.id.to_string(),
                contact_id: c.to_string(),
                batch_id: batch_id.clone(),
                live: 1,
            })
        })
        .collect();
    // Multi-row inserts are backend-specific SQL, so each backend runs its own.
    for chunk in lines.chunks(CHUNK) {
        let insert = diesel::insert_into(claim_lines::table).values(chunk);
        match conn {
            DbConnection::Sqlite(inner) => insert.execute(inner)?,
            DbConnection::Postgres(inner) => insert.execute(inner)?,
        };
    }
    for chunk in taken.chunks(CHUNK) {
        let insert = diesel::insert_into(claim_line_contacts::table).values(chunk);
        match conn {
            DbConnection::Sqlite(inner) => insert.execute(inner)?,
            DbConnection::Postgres(inner) => insert.execute(inner)?,
        };
    }
    Ok(())
}

fn lines_of(conn: &mut DbConnection, batch: &str) -> Result<Vec<ClaimLine>, StoreError> {
    let rows: Vec<LineRow> = claim_lines::table
        .filter(claim_lines::batch_id.eq(batch))
        .order(claim_lines::position.asc())
        .select(LineRow::as_select())
        .load(conn)?;
    let covered: Vec<(String, String)> = claim_line_contacts::table
        .filter(claim_line_contacts::batch_id.eq(batch))
        .order((
            claim_line_contacts::line_id.asc(),
            claim_line_contacts::contact_id.asc(),
        ))
        .select((
            claim_line_contacts::line_id,
            claim_line_contacts::contact_id,
        ))
        .load(conn)?;
    let mut by_line: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for (line, contact) in covered {
        by_line.entry(line).or_default().push(contact);
    }
    rows.into_iter()
        .map(|r| {
            Ok(ClaimLine {
                id: parse_id(&r.id)?,
                client_id: parse_id(&r.client_id)?,
                medicaid_id: MedicaidId::parse(&r.medicaid_id)
                    .map_err(|_| corrupt("medicaid id", &r.medicaid_id))?,
                date_of_service: r.date_of_service,
                procedure_code: r.procedure_code,
                modifiers: from_json(&r.modifiers)?,
                units: r.units,
                rendering_staff_id: parse_id(&r.rendering_staff_id)?,
                contact_ids: by_line
                    .remove(&r.id)
                    .unwrap_or_default()
                    .iter()
                    .map(|c| parse_id(c))
                    .collect::<Result<_, _>>()?,
                outcome: LineOutcome::parse(&r.outcome)
                    .ok_or_else(|| corrupt("line outcome", &r.outcome))?,
                denial_reason: stored("denial reason", r.denial_reason, LongText::parse)?,
            })
        })
        .collect()
}

/// A batch with its lines, in the order they were made.
pub fn get_batch(conn: &mut DbConnection, id: ClaimBatchId) -> Result<ClaimBatch, StoreError> {
    let row: BatchRow = claim_batches::table
        .find(id.to_string())
        .select(BatchRow::as_select())
        .first(conn)?;
    let lines = lines_of(conn, &row.id)?;
    row.into_domain(lines)
}

/// Writes a batch's status over the stored one at `expected_version`, and
/// the outcome of `changed_line` when given; a voided batch frees its
/// contacts to be billed again.
pub fn update_batch(
    conn: &mut DbConnection,
    batch: &ClaimBatch,
    expected_version: i32,
    changed_line: Option<ClaimLineId>,
) -> Result<(), StoreError> {
    let id = batch.id.to_string();
    let row = BatchRow::from(batch);
    let changed = diesel::update(
        claim_batches::table
            .filter(claim_batches::id.eq(&id))
            .filter(claim_batches::version.eq(expected_version)),
    )
    .set((
        claim_batches::status.eq(&row.status),
        claim_batches::exported_at.eq(row.exported_at),
        claim_batches::voided_at.eq(row.voided_at),
        claim_batches::void_reason.eq(&row.void_reason),
        claim_batches::updated_at.eq(row.updated_at),
        claim_batches::version.eq(row.version),
    ))
    .execute(conn)?;
    one_versioned_row(changed)?;
    if let Some(line) = changed_line.and_then(|l| batch.lines.iter().find(|x| x.id == l)) {
        diesel::update(claim_lines::table.find(line.id.to_string()))
            .set((
                claim_lines::outcome.eq(line.outcome.as_str()),
                claim_lines::denial_reason.eq(line.denial_reason.as_ref().map(|r| r.as_str())),
            ))
            .execute(conn)?;
    }
    if batch.status == BatchStatus::Voided {
        diesel::update(claim_line_contacts::table.filter(claim_line_contacts::batch_id.eq(&id)))
            .set(claim_line_contacts::live.eq(0))
            .execute(conn)?;
    }
    Ok(())
}

/// A batch as listed: its lines counted and summed, not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    pub batch: ClaimBatch,
    pub line_count: i64,
    pub units: i64,
}

/// Batches newest first, `limit` at a time after `after`.
pub fn list_batches(
    conn: &mut DbConnection,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<BatchSummary>, StoreError> {
    let mut query = claim_batches::table
        .select(BatchRow::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(after) = after {
        let at = to_db(after.at);
        query = query.filter(
            claim_batches::created_at
                .lt(at)
                .or(claim_batches::created_at
                    .eq(at)
                    .and(claim_batches::id.lt(after.id.clone()))),
        );
    }
    let rows: Vec<BatchRow> = query
        .order((claim_batches::created_at.desc(), claim_batches::id.desc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    // The page's line counts and units in one grouped read, not one a batch.
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let totals: std::collections::HashMap<String, (i64, Option<i64>)> = claim_lines::table
        .filter(claim_lines::batch_id.eq_any(ids))
        .group_by(claim_lines::batch_id)
        .select((
            claim_lines::batch_id,
            diesel::dsl::count_star(),
            diesel::dsl::sum(claim_lines::units),
        ))
        .load::<(String, i64, Option<i64>)>(conn)?
        .into_iter()
        .map(|(id, count, units)| (id, (count, units)))
        .collect();
    let items = rows
        .into_iter()
        .map(|row| {
            let (line_count, units) = totals.get(&row.id).copied().unwrap_or((0, None));
            Ok(BatchSummary {
                batch: row.into_domain(Vec::new())?,
                line_count,
                units: units.unwrap_or(0),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page::from_rows(items, limit, |s| Keyset {
        at: s.batch.created_at,
        id: s.batch.id.to_string(),
    }))
}
