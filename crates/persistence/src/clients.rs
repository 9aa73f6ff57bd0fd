//! Client records.

use chrono::NaiveDate;
use diesel::prelude::*;
use spoke_domain::client::{
    AddressInput, Client, ClientDetails, ClientDetailsInput, ClientStatus, ExternalIdInput,
    RiskFlag,
};
use spoke_domain::ids::{ClientId, TeamId, UserId};
use spoke_domain::policy::ClientScope;
use spoke_domain::values::GenderInput;

use crate::StoreError;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::{Keyset, Page};
use crate::rows::{corrupt, from_db, from_json, one_versioned_row, parse_id, to_db, to_json};
use crate::schema::{clients, data_backfills};

/// Narrows a boxed query that reads `clients` (alone or joined) to the
/// clients within a [`ClientScope`]: the one translation of the policy's
/// scope into SQL, for every list of client records.
macro_rules! within_scope {
    ($query:expr, $scope:expr) => {
        match $scope {
            spoke_domain::policy::ClientScope::All => $query,
            spoke_domain::policy::ClientScope::Team(team) => {
                $query.filter(clients::team_id.eq(team.to_string()))
            }
            spoke_domain::policy::ClientScope::CareTeam { user, on } => $query
                .filter(clients::id.eq_any(crate::care::clients_served_by(user.to_string(), *on))),
            spoke_domain::policy::ClientScope::Nothing => $query.filter(clients::id.is_null()),
        }
    };
}
pub(crate) use within_scope;

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = clients, treat_none_as_default_value = false)]
#[diesel(treat_none_as_null = true)]
struct ClientRow {
    id: String,
    given_name: String,
    family_name: String,
    preferred_name: Option<String>,
    search_name: String,
    date_of_birth: Option<NaiveDate>,
    gender: Option<String>,
    preferred_language: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    medicaid_id: Option<String>,
    external_ids: String,
    status: String,
    risk_flags: String,
    primary_case_manager_id: Option<String>,
    team_id: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Client> for ClientRow {
    fn from(client: &Client) -> Self {
        let input = client.details.to_input();
        ClientRow {
            id: client.id.to_string(),
            search_name: client.details.search_text(),
            given_name: input.given_name,
            family_name: input.family_name,
            preferred_name: input.preferred_name,
            date_of_birth: input.date_of_birth,
            gender: input.gender.as_ref().map(to_json),
            preferred_language: input.preferred_language,
            phone: input.phone,
            email: input.email,
            address: input.address.as_ref().map(to_json),
            medicaid_id: input.medicaid_id,
            external_ids: to_json(&input.external_ids),
            status: client.status.as_str().to_owned(),
            risk_flags: to_json(&input.risk_flags),
            primary_case_manager_id: client.primary_case_manager_id.map(|id| id.to_string()),
            team_id: client.team_id.to_string(),
            created_at: to_db(client.created_at),
            updated_at: to_db(client.updated_at),
            version: client.version,
        }
    }
}

impl ClientRow {
    fn into_client(self) -> Result<Client, StoreError> {
        let input = ClientDetailsInput {
            given_name: self.given_name,
            family_name: self.family_name,
            preferred_name: self.preferred_name,
            date_of_birth: self.date_of_birth,
            gender: self
                .gender
                .as_deref()
                .map(from_json::<GenderInput>)
                .transpose()?,
            preferred_language: self.preferred_language,
            phone: self.phone,
            email: self.email,
            address: self
                .address
                .as_deref()
                .map(from_json::<AddressInput>)
                .transpose()?,
            medicaid_id: self.medicaid_id,
            external_ids: from_json::<Vec<ExternalIdInput>>(&self.external_ids)?,
            risk_flags: from_json::<Vec<RiskFlag>>(&self.risk_flags)?,
        };
        // Stored details were checked when written; a date of birth is judged
        // against the end of time so yesterday's "today" never rejects it.
        let details: ClientDetails = input
            .parse(NaiveDate::MAX)
            .map_err(|errors| StoreError::Corrupt(format!("client {}: {errors:?}", self.id)))?;
        Ok(Client {
            id: parse_id(&self.id)?,
            details,
            status: ClientStatus::parse(&self.status)
                .ok_or_else(|| corrupt("client status", &self.status))?,
            team_id: parse_id(&self.team_id)?,
            primary_case_manager_id: self
                .primary_case_manager_id
                .as_deref()
                .map(parse_id)
                .transpose()?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

pub fn insert(conn: &mut DbConnection, client: &Client) -> Result<(), StoreError> {
    diesel::insert_into(clients::table)
        .values(ClientRow::from(client))
        .execute(conn)?;
    Ok(())
}

/// Stores many new clients with multi-row statements: bulk loads of
/// generated or imported data, not one statement per client.
pub fn insert_many(conn: &mut DbConnection, clients: &[Client]) -> Result<(), StoreError> {
    // 20 columns a row keeps a chunk under SQLite's 32,766 bound parameters.
    for chunk in clients.chunks(1000) {
        let rows: Vec<ClientRow> = chunk.iter().map(ClientRow::from).collect();
        let insert = diesel::insert_into(clients::table).values(rows);
        // Multi-row inserts are backend-specific SQL, so each backend runs its own.
        match conn {
            DbConnection::Sqlite(inner) => insert.execute(inner)?,
            DbConnection::Postgres(inner) => insert.execute(inner)?,
        };
    }
    Ok(())
}

/// Holds `client`'s row until the transaction ends, so that work deciding
/// from the client's other records (a day's billed units) runs one at a
/// time per client. On SQLite writes already take turns; PostgreSQL takes a
/// row lock.
pub fn lock(conn: &mut DbConnection, client: ClientId) -> Result<(), StoreError> {
    if let DbConnection::Postgres(pg) = conn {
        clients::table
            .find(client.to_string())
            .select(clients::id)
            .for_update()
            .first::<String>(pg)?;
    }
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: ClientId) -> Result<Client, StoreError> {
    clients::table
        .find(id.to_string())
        .select(ClientRow::as_select())
        .first(conn)?
        .into_client()
}

/// The clients with these ids that exist, by id: one query per 500.
pub fn get_many(
    conn: &mut DbConnection,
    ids: &[ClientId],
) -> Result<std::collections::HashMap<ClientId, Client>, StoreError> {
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    for chunk in ids.chunks(500) {
        let rows: Vec<ClientRow> = clients::table
            .filter(clients::id.eq_any(chunk))
            .select(ClientRow::as_select())
            .load(conn)?;
        for row in rows {
            let client = row.into_client()?;
            found.insert(client.id, client);
        }
    }
    Ok(found)
}

/// Writes `client` over the stored row if that row is still at
/// `expected_version`; otherwise nothing changes and the result is `Stale`.
pub fn update(
    conn: &mut DbConnection,
    client: &Client,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        clients::table
            .filter(clients::id.eq(client.id.to_string()))
            .filter(clients::version.eq(expected_version)),
    )
    .set(ClientRow::from(client))
    .execute(conn)?;
    one_versioned_row(changed)
}

/// Search filters; each one given narrows the result.
#[derive(Debug, Clone, Default)]
pub struct ClientFilter {
    /// Matches any part of the given, family or preferred name, ignoring case.
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub medicaid_id: Option<String>,
    pub status: Option<ClientStatus>,
    pub case_manager_id: Option<UserId>,
    pub team_id: Option<TeamId>,
}

/// Escapes LIKE wildcards so user text matches literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A search term as an FTS5 phrase: quoted, so its words and any search
/// syntax in it are plain text.
fn trigram_phrase(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// How many matches make a name too common for the trigram index to help:
/// the index finds every match and then sorts them, while walking the
/// clients in keyset order stops at the first page of them.
const COMMON_NAME_MATCHES: i64 = 1000;

/// Whether the trigram index holds at least [`COMMON_NAME_MATCHES`] clients
/// with `phrase` (SQLite only). Counting stops there.
fn too_common(conn: &mut DbConnection, phrase: &str) -> Result<bool, StoreError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM \
         (SELECT 1 FROM clients_search WHERE clients_search MATCH ? LIMIT ?)",
    )
    .bind::<diesel::sql_types::Text, _>(phrase)
    .bind::<diesel::sql_types::BigInt, _>(COMMON_NAME_MATCHES)
    .get_result(conn)?;
    Ok(count.n >= COMMON_NAME_MATCHES)
}

/// The clients within `scope` that match `filter`, oldest first, `limit` at
/// a time, starting after `after`.
pub fn list(
    conn: &mut DbConnection,
    scope: &ClientScope,
    filter: &ClientFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Client>, StoreError> {
    let mut query = clients::table
        .select(ClientRow::as_select())
        .into_boxed::<MultiBackend>();
    query = within_scope!(query, scope);
    if let Some(name) = filter.name.as_deref() {
        let name = spoke_domain::client::fold_for_search(name);
        // Within one team (the scope of supervisors and case managers, or a
        // team filter) the team's rows in keyset order are checked one by
        // one: as flat as the team is small, however large the agency. Across
        // teams SQLite asks the trigram index.
        let one_team = matches!(scope, ClientScope::Team(_)) || filter.team_id.is_some();
        let sqlite = matches!(conn, DbConnection::Sqlite(_));
        let indexed = sqlite
            && !one_team
            && name.chars().count() >= 3
            && !too_common(conn, &trigram_phrase(&name))?;
        query = if indexed {
            // The trigram index: a phrase of the term's trigrams in order is
            // exactly a substring match.
            query.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "clients.seq IN (SELECT rowid FROM clients_search WHERE clients_search MATCH ",
                )
                .bind::<diesel::sql_types::Text, _>(trigram_phrase(&name))
                .sql(")"),
            )
        } else {
            // PostgreSQL's pg_trgm index serves LIKE itself; on SQLite a term
            // of one or two letters has no trigram and scans the scope.
            query.filter(clients::search_name.like(like_pattern(&name)).escape('\\'))
        };
    }
    if let Some(date) = filter.date_of_birth {
        query = query.filter(clients::date_of_birth.eq(date));
    }
    if let Some(medicaid_id) = &filter.medicaid_id {
        query = query.filter(clients::medicaid_id.eq(medicaid_id.trim().to_ascii_uppercase()));
    }
    if let Some(status) = filter.status {
        query = query.filter(clients::status.eq(status.as_str()));
    }
    if let Some(manager) = filter.case_manager_id {
        query = query.filter(clients::primary_case_manager_id.eq(manager.to_string()));
    }
    if let Some(team) = filter.team_id {
        query = query.filter(clients::team_id.eq(team.to_string()));
    }
    if let Some(after) = after {
        let at = to_db(after.at);
        query = query.filter(
            clients::created_at.gt(at).or(clients::created_at
                .eq(at)
                .and(clients::id.gt(after.id.clone()))),
        );
    }
    let rows = query
        .order((clients::created_at.asc(), clients::id.asc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(ClientRow::into_client)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |client| Keyset {
        at: client.created_at,
        id: client.id.to_string(),
    }))
}

/// The backfill that folds names stored before search folded them.
const FOLDED_NAMES: &str = "clients.search_name folded";

/// Refolds the stored search text of clients written before names were
/// folded for search, once: later calls find it done and return at once.
/// Returns how many clients changed.
pub fn backfill_search_names(
    conn: &mut DbConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, StoreError> {
    let done: i64 = data_backfills::table
        .filter(data_backfills::name.eq(FOLDED_NAMES))
        .count()
        .get_result(conn)?;
    if done > 0 {
        return Ok(0);
    }
    let mut changed = 0;
    let mut after = String::new();
    loop {
        let rows: Vec<(String, String, String, Option<String>, String)> = clients::table
            .select((
                clients::id,
                clients::given_name,
                clients::family_name,
                clients::preferred_name,
                clients::search_name,
            ))
            .filter(clients::id.gt(&after))
            .order(clients::id.asc())
            .limit(1000)
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0.clone();
        for (id, given, family, preferred, stored) in rows {
            let folded = spoke_domain::client::search_text(&given, &family, preferred.as_deref());
            if folded != stored {
                diesel::update(clients::table.find(id))
                    .set(clients::search_name.eq(folded))
                    .execute(conn)?;
                changed += 1;
            }
        }
    }
    diesel::insert_into(data_backfills::table)
        .values((
            data_backfills::name.eq(FOLDED_NAMES),
            data_backfills::done_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(changed)
}

/// How many clients exist in all.
pub fn count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(clients::table.count().get_result(conn)?)
}

/// A client on a worklist: id, name, primary case manager.
pub type Member = (ClientId, String, Option<UserId>);

/// The clients not discharged whose primary case manager is `case_manager`
/// (or, with `None`, every one of `team`), by name.
pub fn served_by(
    conn: &mut DbConnection,
    case_manager: Option<UserId>,
    team: Option<TeamId>,
) -> Result<Vec<Member>, StoreError> {
    let mut query = clients::table
        .filter(clients::status.ne(ClientStatus::Discharged.as_str()))
        .select((
            clients::id,
            clients::given_name,
            clients::family_name,
            clients::primary_case_manager_id,
        ))
        .into_boxed::<MultiBackend>();
    if let Some(user) = case_manager {
        query = query.filter(clients::primary_case_manager_id.eq(user.to_string()));
    }
    if let Some(team) = team {
        query = query.filter(clients::team_id.eq(team.to_string()));
    }
    let rows: Vec<(String, String, String, Option<String>)> = query
        .order((
            clients::family_name.asc(),
            clients::given_name.asc(),
            clients::id.asc(),
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, given, family, cm)| {
            Ok((
                parse_id(&id)?,
                format!("{given} {family}"),
                cm.as_deref().map(parse_id).transpose()?,
            ))
        })
        .collect()
}
