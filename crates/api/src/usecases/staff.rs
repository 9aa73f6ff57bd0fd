//! Staff users and teams: admins manage them, supervisors read their own
//! team. Creating an account is shared by the API, the first-admin
//! bootstrap, `spoke create-user` and the demo seed.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use spoke_domain::FieldErrors;
use spoke_domain::client::Patch;
use spoke_domain::ids::{TeamId, UserId};
use spoke_domain::policy::{StaffAction, authorize_staff, team_scope};
use spoke_domain::staff::{Role, Team, User, check_team_membership};
use spoke_domain::throttle::{Bucket, SignInLimits};
use spoke_domain::values::{Email, NewPassword, ShortText};
use spoke_persistence::page::{Keyset, Page};
use spoke_persistence::{DbConnection, StoreError, staff, throttle};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::{allowed, change_versioned};

const ADMIN_ONLY: &str = "only an admin may manage staff and teams";

/// A staff account as requested, before any check.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub password: String,
}

impl NewAccount {
    /// Checks every field and returns the user to store with their
    /// password, created at `now`.
    pub fn parse(self, now: DateTime<Utc>) -> Result<(User, NewPassword), FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = errors.check("email", Email::parse(&self.email));
        let display_name = errors.check("display_name", ShortText::parse(&self.display_name));
        let password = errors.check("password", NewPassword::parse(&self.password));
        errors.check("team_id", check_team_membership(self.role, self.team_id));
        errors.finish(|| {
            Some((
                User {
                    id: UserId::generate(),
                    email: email?,
                    display_name: display_name?,
                    role: self.role,
                    team_id: self.team_id,
                    deleted_at: None,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                    token_version: 1,
                },
                password?,
            ))
        })
    }
}

/// Stores a parsed account: its team must exist and its email be unused.
pub fn insert(conn: &mut DbConnection, user: &User, password_hash: &str) -> Result<(), ApiError> {
    if let Some(team) = user.team_id {
        existing_team(conn, "team_id", team)?;
    }
    staff::insert_user(conn, user, password_hash).map_err(email_taken)
}

/// A uniqueness conflict on users is a taken email.
pub fn email_taken(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => {
            ApiError::Conflict("a user with this email already exists".to_owned())
        }
        other => other.into(),
    }
}

/// A team that must exist for a user or client to join it; otherwise a 422 on `field`.
pub fn existing_team(
    conn: &mut DbConnection,
    field: &str,
    team: TeamId,
) -> Result<spoke_domain::staff::Team, ApiError> {
    staff::get_team(conn, team).map_err(|error| match error {
        StoreError::NotFound => {
            ApiError::invalid_field(field, "unknown_team", "no team has this id")
        }
        other => other.into(),
    })
}

/// A staff user a request names must exist and be active, or a 422 on
/// `field`.
pub(crate) fn active_user(
    conn: &mut DbConnection,
    field: &str,
    user: spoke_domain::ids::UserId,
) -> Result<(), ApiError> {
    match staff::get_user(conn, user) {
        Ok(user) if user.is_active() => Ok(()),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::invalid_field(
            field,
            "unknown_user",
            "no active staff user has this id",
        )),
        Err(other) => Err(other.into()),
    }
}

/// A random password for a generated account, shown once.
/// Begins a sign-in: counts the attempt for `email` from `address` in each
/// of its buckets, before the password is checked, and refuses it when a
/// bucket is over its limit (the transaction rolled back, nothing is
/// counted); otherwise the account and its password hash, if the email has
/// one. Existing and unknown emails are counted alike.
pub fn begin_sign_in(
    tx: &mut Tx,
    limits: &SignInLimits,
    email: &Email,
    address: IpAddr,
    now: DateTime<Utc>,
) -> Result<Option<(User, String)>, ApiError> {
    for (bucket, limit) in limits.buckets(email, address) {
        let count = throttle::count_attempt(tx, &bucket, &limit, now)?;
        limit.judge(count, now)?;
    }
    Ok(staff::credentials(tx, email)?)
}

/// After a successful sign-in: the address's count starts again (the
/// account's does not, so guessing spread over addresses stays bounded).
pub fn signed_in(tx: &mut Tx, email: &Email, address: IpAddr) -> Result<(), ApiError> {
    Ok(throttle::forget(tx, &Bucket::account_from(email, address))?)
}

pub fn random_password() -> String {
    use rand::Rng;
    use rand::distributions::Alphanumeric;
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// Admins only.
fn admin_only(cx: &Cx, action: StaffAction) -> Result<(), ApiError> {
    allowed(authorize_staff(&cx.actor, action), ADMIN_ONLY)
}

/// Creates a staff user whose password hashes to `password_hash`. Admins
/// only.
pub fn create_user(tx: &mut Tx, cx: &Cx, user: &User, password_hash: &str) -> Result<(), ApiError> {
    admin_only(cx, StaffAction::ManageUsers)?;
    insert(tx, user, password_hash)
}

/// The teams whose members the actor may list (`None`: every team), or a
/// 403 for a role that lists no one.
pub fn visible_teams(cx: &Cx, team: Option<TeamId>) -> Result<Option<Vec<TeamId>>, ApiError> {
    Ok(match (team_scope(&cx.actor), team) {
        (Some(visible), _) if visible.is_empty() => {
            return Err(ApiError::Forbidden(
                "only admins and supervisors may list staff",
            ));
        }
        (Some(visible), Some(team)) if !visible.contains(&team) => Some(Vec::new()),
        (_, Some(team)) => Some(vec![team]),
        (visible, None) => visible,
    })
}

/// A page of the active users the actor may see, in creation order.
pub fn list_users(
    tx: &mut Tx,
    cx: &Cx,
    team: Option<TeamId>,
    role: Option<Role>,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<User>, ApiError> {
    let teams = visible_teams(cx, team)?;
    Ok(staff::list_users(tx, teams.as_deref(), role, after, limit)?)
}

/// A user the actor may read; a deleted one is a 404.
pub fn get_user(tx: &mut Tx, cx: &Cx, id: UserId) -> Result<User, ApiError> {
    let user = staff::get_user(tx, id)?;
    let action = StaffAction::ReadUser {
        user: user.id,
        team: user.team_id,
    };
    allowed(
        authorize_staff(&cx.actor, action),
        "only admins and supervisors may read staff records",
    )?;
    if !user.is_active() {
        return Err(ApiError::NotFound);
    }
    Ok(user)
}

/// A merge patch of a staff user, its fields already checked.
#[derive(Debug, Default)]
pub struct UserChange {
    pub email: Option<Email>,
    pub display_name: Option<ShortText>,
    pub role: Option<Role>,
    pub team_id: Patch<TeamId>,
    /// The hash of a new password (an admin reset).
    pub password_hash: Option<String>,
}

/// Changes a staff user under the caller's If-Match. Admins only; the
/// agency keeps an admin ([`User::change_role`]).
pub fn update_user(
    tx: &mut Tx,
    cx: &Cx,
    id: UserId,
    if_match: &IfMatch,
    change: UserChange,
) -> Result<User, ApiError> {
    admin_only(cx, StaffAction::ManageUsers)?;
    let mut user = staff::get_user(tx, id)?;
    if !user.is_active() {
        return Err(ApiError::NotFound);
    }
    let hash = change.password_hash;
    change_versioned(
        tx,
        &mut user,
        if_match,
        cx.now,
        |tx, user| {
            if let Some(email) = change.email {
                user.email = email;
            }
            if let Some(name) = change.display_name {
                user.display_name = name;
            }
            let mut team = user.team_id;
            change.team_id.apply(&mut team);
            if team != user.team_id || hash.is_some() {
                user.end_sessions();
            }
            user.team_id = team;
            let role = change.role.unwrap_or(user.role);
            check_team_membership(role, user.team_id)
                .map_err(|e| FieldErrors::single("team_id", e))?;
            if let Some(team) = user.team_id {
                existing_team(tx, "team_id", team)?;
            }
            let admins = if user.role == Role::Admin && role != Role::Admin {
                staff::count_active_admins(tx)?
            } else {
                0
            };
            user.change_role(role, cx.actor.user_id, admins)?;
            Ok(true)
        },
        |tx, user, expected| {
            staff::update_user(tx, user, hash.as_deref(), expected).map_err(email_taken)
        },
    )?;
    Ok(user)
}

/// Deletes a staff user under the caller's If-Match: they can no longer
/// sign in and their tokens stop working. Admins only.
pub fn delete_user(tx: &mut Tx, cx: &Cx, id: UserId, if_match: &IfMatch) -> Result<(), ApiError> {
    admin_only(cx, StaffAction::ManageUsers)?;
    let mut user = staff::get_user(tx, id)?;
    if !user.is_active() {
        return Err(ApiError::NotFound);
    }
    if_match.check(user.version)?;
    let expected = user.version;
    let admins = if user.role == Role::Admin {
        staff::count_active_admins(tx)?
    } else {
        0
    };
    user.delete(cx.actor.user_id, admins, cx.now)?;
    Ok(staff::update_user(tx, &user, None, expected)?)
}

/// A uniqueness conflict on teams is a taken name.
fn name_taken(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => {
            ApiError::Conflict("a team with this name already exists".to_owned())
        }
        other => other.into(),
    }
}

/// Creates a team. Admins only.
pub fn create_team(tx: &mut Tx, cx: &Cx, name: ShortText) -> Result<Team, ApiError> {
    admin_only(cx, StaffAction::ManageTeams)?;
    let team = Team {
        id: TeamId::generate(),
        name,
        created_at: cx.now,
        updated_at: cx.now,
        version: 1,
    };
    staff::insert_team(tx, &team).map_err(name_taken)?;
    Ok(team)
}

/// The teams the actor may see: every team for an admin, their own for a
/// supervisor.
pub fn list_teams(tx: &mut Tx, cx: &Cx) -> Result<Vec<Team>, ApiError> {
    let scope = team_scope(&cx.actor);
    if scope.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::Forbidden(
            "only admins and supervisors may list teams",
        ));
    }
    Ok(staff::list_teams(tx, scope.as_deref())?)
}

/// A team and all its active members.
pub fn get_team(tx: &mut Tx, cx: &Cx, id: TeamId) -> Result<(Team, Vec<User>), ApiError> {
    allowed(
        authorize_staff(&cx.actor, StaffAction::ReadTeam(id)),
        "only admins and the team's supervisors may read a team",
    )?;
    let team = staff::get_team(tx, id)?;
    let mut members = Vec::new();
    let mut after = None;
    loop {
        let page = staff::list_users(tx, Some(&[id]), None, after.as_ref(), 200)?;
        members.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok((team, members))
}

/// Renames a team under the caller's If-Match. Admins only.
pub fn rename_team(
    tx: &mut Tx,
    cx: &Cx,
    id: TeamId,
    if_match: &IfMatch,
    name: ShortText,
) -> Result<Team, ApiError> {
    admin_only(cx, StaffAction::ManageTeams)?;
    let mut team = staff::get_team(tx, id)?;
    change_versioned(
        tx,
        &mut team,
        if_match,
        cx.now,
        |_, team| {
            team.name = name;
            Ok(true)
        },
        |tx, team, expected| staff::update_team(tx, team, expected).map_err(name_taken),
    )?;
    Ok(team)
}

/// The signed-in user and their password hash, to check a password
/// against outside the transaction.
pub fn own_credentials(tx: &mut Tx, cx: &Cx) -> Result<(User, String), ApiError> {
    let user = staff::get_user(tx, cx.actor.user_id)?;
    let (_, hash) = staff::credentials(tx, &user.email)?
        .ok_or(ApiError::Unauthorized("this user no longer exists"))?;
    Ok((user, hash))
}

/// Sets the signed-in user's password hash, if their record is still at
/// `seen` (the version whose password was checked).
pub fn set_own_password(tx: &mut Tx, cx: &Cx, seen: i32, hash: &str) -> Result<(), ApiError> {
    let mut user = staff::get_user(tx, cx.actor.user_id)?;
    if user.version != seen {
        return Err(ApiError::PreconditionFailed);
    }
    user.end_sessions();
    user.touch(cx.now);
    Ok(staff::update_user(tx, &user, Some(hash), seen)?)
}
