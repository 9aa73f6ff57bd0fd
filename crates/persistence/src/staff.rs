//! Staff users and teams.

use diesel::prelude::*;
use spoke_domain::ids::{TeamId, UserId};
use spoke_domain::staff::{Role, Team, User};
use spoke_domain::values::{Email, ShortText};

use crate::StoreError;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::{Keyset, Page};
use crate::rows::{corrupt, from_db, one_versioned_row, parse_id, to_db};
use crate::schema::{teams, users};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
struct UserRow {
    id: String,
    email: String,
    display_name: String,
    role: String,
    team_id: Option<String>,
    password_hash: String,
    deleted_at: Option<chrono::NaiveDateTime>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
    token_version: i32,
}

impl UserRow {
    fn new(user: &User, password_hash: &str) -> Self {
        UserRow {
            id: user.id.to_string(),
            email: user.email.to_string(),
            display_name: user.display_name.to_string(),
            role: user.role.as_str().to_owned(),
            team_id: user.team_id.map(|id| id.to_string()),
            password_hash: password_hash.to_owned(),
            deleted_at: user.deleted_at.map(to_db),
            created_at: to_db(user.created_at),
            updated_at: to_db(user.updated_at),
            version: user.version,
            token_version: user.token_version,
        }
    }

    fn into_user(self) -> Result<(User, String), StoreError> {
        let user = User {
            id: parse_id(&self.id)?,
            email: Email::parse(&self.email).map_err(|_| corrupt("email", &self.email))?,
            display_name: ShortText::parse(&self.display_name)
                .map_err(|_| corrupt("display name", &self.display_name))?,
            role: Role::parse(&self.role).ok_or_else(|| corrupt("role", &self.role))?,
            team_id: self.team_id.as_deref().map(parse_id).transpose()?,
            deleted_at: self.deleted_at.map(from_db),
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
            token_version: self.token_version,
        };
        Ok((user, self.password_hash))
    }
}

pub fn insert_user(
    conn: &mut DbConnection,
    user: &User,
    password_hash: &str,
) -> Result<(), StoreError> {
    diesel::insert_into(users::table)
        .values(UserRow::new(user, password_hash))
        .execute(conn)?;
    Ok(())
}

/// A user by id, deleted or not.
pub fn get_user(conn: &mut DbConnection, id: UserId) -> Result<User, StoreError> {
    let row: UserRow = users::table
        .find(id.to_string())
        .select(UserRow::as_select())
        .first(conn)?;
    Ok(row.into_user()?.0)
}

/// An active user and their password hash, by sign-in email.
pub fn credentials(
    conn: &mut DbConnection,
    email: &Email,
) -> Result<Option<(User, String)>, StoreError> {
    let row: Option<UserRow> = users::table
        .filter(users::email.eq(email.as_str()))
        .filter(users::deleted_at.is_null())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(UserRow::into_user).transpose()
}

/// Active users, oldest first; `teams` limits them to members of those teams.
pub fn list_users(
    conn: &mut DbConnection,
    teams: Option<&[TeamId]>,
    role: Option<Role>,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<User>, StoreError> {
    let mut query = users::table
        .filter(users::deleted_at.is_null())
        .select(UserRow::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(teams) = teams {
        let ids: Vec<String> = teams.iter().map(ToString::to_string).collect();
        query = query.filter(users::team_id.eq_any(ids));
    }
    if let Some(role) = role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(after) = after {
        let at = to_db(after.at);
        query = query.filter(
            users::created_at
                .gt(at)
                .or(users::created_at.eq(at).and(users::id.gt(after.id.clone()))),
        );
    }
    let rows = query
        .order((users::created_at.asc(), users::id.asc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|row| row.into_user().map(|(user, _)| user))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |user| Keyset {
        at: user.created_at,
        id: user.id.to_string(),
    }))
}

/// Writes `user` (and a new password hash, when given) if the stored row is
/// still at `expected_version`.
pub fn update_user(
    conn: &mut DbConnection,
    user: &User,
    new_password_hash: Option<&str>,
    expected_version: i32,
) -> Result<(), StoreError> {
    let target = users::table
        .filter(users::id.eq(user.id.to_string()))
        .filter(users::version.eq(expected_version));
    let changes = (
        users::email.eq(user.email.as_str()),
        users::display_name.eq(user.display_name.as_str()),
        users::role.eq(user.role.as_str()),
        users::team_id.eq(user.team_id.map(|id| id.to_string())),
        users::deleted_at.eq(user.deleted_at.map(to_db)),
        users::updated_at.eq(to_db(user.updated_at)),
        users::version.eq(user.version),
        users::token_version.eq(user.token_version),
    );
    let changed = match new_password_hash {
        Some(hash) => diesel::update(target)
            .set((changes, users::password_hash.eq(hash)))
            .execute(conn)?,
        None => diesel::update(target).set(changes).execute(conn)?,
    };
    one_versioned_row(changed)
}

/// How many users exist, deleted ones included.
pub fn count_users(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(users::table.count().get_result(conn)?)
}

/// How many active admins remain.
pub fn count_active_admins(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::deleted_at.is_null())
        .count()
        .get_result(conn)?)
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = teams, treat_none_as_default_value = false)]
struct TeamRow {
    id: String,
    name: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Team> for TeamRow {
    fn from(team: &Team) -> Self {
        TeamRow {
            id: team.id.to_string(),
            name: team.name.to_string(),
            created_at: to_db(team.created_at),
            updated_at: to_db(team.updated_at),
            version: team.version,
        }
    }
}

impl TeamRow {
    fn into_team(self) -> Result<Team, StoreError> {
        Ok(Team {
            id: parse_id(&self.id)?,
            name: ShortText::parse(&self.name).map_err(|_| corrupt("team name", &self.name))?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

/// The ids of the team's staff (not deleted).
pub fn team_member_ids(conn: &mut DbConnection, team: TeamId) -> Result<Vec<UserId>, StoreError> {
    let ids: Vec<String> = users::table
        .filter(users::team_id.eq(team.to_string()))
        .filter(users::deleted_at.is_null())
        .select(users::id)
        .load(conn)?;
    ids.iter().map(|id| parse_id(id)).collect()
}

pub fn insert_team(conn: &mut DbConnection, team: &Team) -> Result<(), StoreError> {
    diesel::insert_into(teams::table)
        .values(TeamRow::from(team))
        .execute(conn)?;
    Ok(())
}

pub fn get_team(conn: &mut DbConnection, id: TeamId) -> Result<Team, StoreError> {
    teams::table
        .find(id.to_string())
        .select(TeamRow::as_select())
        .first::<TeamRow>(conn)?
        .into_team()
}

/// Teams by name; `only` limits them to those ids.
pub fn list_teams(
    conn: &mut DbConnection,
    only: Option<&[TeamId]>,
) -> Result<Vec<Team>, StoreError> {
    let mut query = teams::table
        .select(TeamRow::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(only) = only {
        let ids: Vec<String> = only.iter().map(ToString::to_string).collect();
        query = query.filter(teams::id.eq_any(ids));
    }
    query
        .order((teams::name.asc(), teams::id.asc()))
        .load::<TeamRow>(conn)?
        .into_iter()
        .map(TeamRow::into_team)
        .collect()
}

/// Renames `team` if the stored row is still at `expected_version`.
pub fn update_team(
    conn: &mut DbConnection,
    team: &Team,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        teams::table
            .filter(teams::id.eq(team.id.to_string()))
            .filter(teams::version.eq(expected_version)),
    )
    .set((
        teams::name.eq(team.name.as_str()),
        teams::updated_at.eq(to_db(team.updated_at)),
        teams::version.eq(team.version),
    ))
    .execute(conn)?;
    one_versioned_row(changed)
}
