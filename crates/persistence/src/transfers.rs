//! Transfers of clients and the history of who held each client.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use spoke_domain::ids::{ClientId, TeamId, TransferId, UserId};
use spoke_domain::transfer::{Assignment, AssignmentReason, Transfer, TransferStatus};
use spoke_domain::values::{LongText, ShortText};

use crate::StoreError;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::{Keyset, Page};
use crate::rows::{corrupt, from_db, known, one_versioned_row, parse_id, stored, text, to_db};
use crate::schema::{client_assignments, clients, transfers};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = transfers, treat_none_as_default_value = false)]
#[diesel(treat_none_as_null = true)]
struct TransferRow {
    id: String,
    client_id: String,
    from_team_id: String,
    from_case_manager_id: Option<String>,
    to_team_id: String,
    to_case_manager_id: Option<String>,
    summary: String,
    status: String,
    requested_by: String,
    decided_by: Option<String>,
    decided_at: Option<chrono::NaiveDateTime>,
    note: Option<String>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Transfer> for TransferRow {
    fn from(t: &Transfer) -> Self {
        TransferRow {
            id: t.id.to_string(),
            client_id: t.client_id.to_string(),
            from_team_id: t.from_team_id.to_string(),
            from_case_manager_id: text(&t.from_case_manager_id),
            to_team_id: t.to_team_id.to_string(),
            to_case_manager_id: text(&t.to_case_manager_id),
            summary: t.summary.as_str().to_owned(),
            status: t.status.as_str().to_owned(),
            requested_by: t.requested_by.to_string(),
            decided_by: text(&t.decided_by),
            decided_at: t.decided_at.map(to_db),
            note: text(&t.note),
            created_at: to_db(t.created_at),
            updated_at: to_db(t.updated_at),
            version: t.version,
        }
    }
}

impl TransferRow {
    fn into_domain(self) -> Result<Transfer, StoreError> {
        let id = |raw: &Option<String>| raw.as_deref().map(parse_id).transpose();
        Ok(Transfer {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            from_team_id: parse_id(&self.from_team_id)?,
            from_case_manager_id: id(&self.from_case_manager_id)?,
            to_team_id: parse_id(&self.to_team_id)?,
            to_case_manager_id: id(&self.to_case_manager_id)?,
            summary: LongText::parse(&self.summary)
                .map_err(|_| corrupt("summary", &self.summary))?,
            status: known("transfer status", &self.status, TransferStatus::parse)?,
            requested_by: parse_id(&self.requested_by)?,
            decided_by: id(&self.decided_by)?,
            decided_at: self.decided_at.map(from_db),
            note: stored("note", self.note, ShortText::parse)?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

/// A transfer with the name of its client, for the receiving side, which
/// cannot read the client yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    pub transfer: Transfer,
    pub client_name: String,
}

pub fn insert(conn: &mut DbConnection, t: &Transfer) -> Result<(), StoreError> {
    diesel::insert_into(transfers::table)
        .values(TransferRow::from(t))
        .execute(conn)?;
    Ok(())
}

/// Writes a moved transfer if still at `expected_version`: of two
/// decisions at once, one finds it moved on (`Stale`).
pub fn update(
    conn: &mut DbConnection,
    t: &Transfer,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        transfers::table
            .filter(transfers::id.eq(t.id.to_string()))
            .filter(transfers::version.eq(expected_version)),
    )
    .set(TransferRow::from(t))
    .execute(conn)?;
    one_versioned_row(changed)
}

type Named = (TransferRow, String, String);

fn named((row, given, family): Named) -> Result<TransferRecord, StoreError> {
    Ok(TransferRecord {
        transfer: row.into_domain()?,
        client_name: format!("{given} {family}"),
    })
}

pub fn get(conn: &mut DbConnection, id: TransferId) -> Result<TransferRecord, StoreError> {
    let row: Named = transfers::table
        .inner_join(clients::table)
        .filter(transfers::id.eq(id.to_string()))
        .select((
            TransferRow::as_select(),
            clients::given_name,
            clients::family_name,
        ))
        .first(conn)?;
    named(row)
}

/// Which transfers a list returns.
#[derive(Debug, Clone, Default)]
pub struct TransferFilter {
    /// Only this client's.
    pub client: Option<ClientId>,
    /// Only those from or to one of these teams (`None`: every team).
    pub teams: Option<Vec<TeamId>>,
    /// Only those to this team.
    pub to_team: Option<TeamId>,
    pub status: Option<TransferStatus>,
}

/// The transfers matching `filter`, oldest first, `limit` at a time after `after`.
pub fn list(
    conn: &mut DbConnection,
    filter: &TransferFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<TransferRecord>, StoreError> {
    let mut query = transfers::table
        .inner_join(clients::table)
        .select((
            TransferRow::as_select(),
            clients::given_name,
            clients::family_name,
        ))
        .into_boxed::<MultiBackend>();
    if let Some(client) = filter.client {
        query = query.filter(transfers::client_id.eq(client.to_string()));
    }
    if let Some(teams) = &filter.teams {
        let teams: Vec<String> = teams.iter().map(ToString::to_string).collect();
        query = query.filter(
            transfers::from_team_id
                .eq_any(teams.clone())
                .or(transfers::to_team_id.eq_any(teams)),
        );
    }
    if let Some(team) = filter.to_team {
        query = query.filter(transfers::to_team_id.eq(team.to_string()));
    }
    if let Some(status) = filter.status {
        query = query.filter(transfers::status.eq(status.as_str()));
    }
    if let Some(after) = after {
        let at = to_db(after.at);
        query = query.filter(
            transfers::created_at.gt(at).or(transfers::created_at
                .eq(at)
                .and(transfers::id.gt(after.id.clone()))),
        );
    }
    let rows: Vec<Named> = query
        .order((transfers::created_at.asc(), transfers::id.asc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows.into_iter().map(named).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |r| Keyset {
        at: r.transfer.created_at,
        id: r.transfer.id.to_string(),
    }))
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_assignments, treat_none_as_default_value = false)]
struct AssignmentRow {
    id: String,
    client_id: String,
    team_id: String,
    case_manager_id: Option<String>,
    from_at: chrono::NaiveDateTime,
    until_at: Option<chrono::NaiveDateTime>,
    reason: String,
    by_user: Option<String>,
}

/// Records that `client` is held from `at` by `team` and `case_manager`:
/// the current assignment ends then.
pub fn record_assignment(
    conn: &mut DbConnection,
    client: ClientId,
    (team, case_manager): (TeamId, Option<UserId>),
    reason: AssignmentReason,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(
        client_assignments::table
            .filter(client_assignments::client_id.eq(client.to_string()))
            .filter(client_assignments::until_at.is_null()),
    )
    .set(client_assignments::until_at.eq(Some(to_db(at))))
    .execute(conn)?;
    diesel::insert_into(client_assignments::table)
        .values(AssignmentRow {
            id: uuid::Uuid::now_v7().to_string(),
            client_id: client.to_string(),
            team_id: team.to_string(),
            case_manager_id: case_manager.map(|id| id.to_string()),
            from_at: to_db(at),
            until_at: None,
            reason: reason.as_str().to_owned(),
            by_user: Some(by.to_string()),
        })
        .execute(conn)?;
    Ok(())
}

/// Who held `client`, the earliest first.
pub fn assignments_of(
    conn: &mut DbConnection,
    client: ClientId,
) -> Result<Vec<Assignment>, StoreError> {
    let rows: Vec<AssignmentRow> = client_assignments::table
        .filter(client_assignments::client_id.eq(client.to_string()))
        .order((
            client_assignments::from_at.asc(),
            client_assignments::id.asc(),
        ))
        .select(AssignmentRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            Ok(Assignment {
                team_id: parse_id(&row.team_id)?,
                case_manager_id: row.case_manager_id.as_deref().map(parse_id).transpose()?,
                from: from_db(row.from_at),
                until: row.until_at.map(from_db),
                reason: known("assignment reason", &row.reason, AssignmentReason::parse)?,
                by: row.by_user.as_deref().map(parse_id).transpose()?,
            })
        })
        .collect()
}
