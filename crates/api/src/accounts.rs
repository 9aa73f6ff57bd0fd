//! Creating staff accounts, shared by the API, the first-admin bootstrap,
//! `spoke create-user` and the demo seed.

use spoke_domain::FieldErrors;
use spoke_domain::ids::{TeamId, UserId};
use spoke_domain::staff::{Role, User, check_team_membership};
use spoke_domain::values::{Email, NewPassword, ShortText};
use spoke_persistence::{DbConnection, StoreError, staff};

use crate::problem::ApiError;

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
    /// Checks every field and returns the user to store with their password.
    pub fn parse(self) -> Result<(User, NewPassword), FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = errors.check("email", Email::parse(&self.email));
        let display_name = errors.check("display_name", ShortText::parse(&self.display_name));
        let password = errors.check("password", NewPassword::parse(&self.password));
        errors.check("team_id", check_team_membership(self.role, self.team_id));
        errors.finish(|| {
            let now = spoke_persistence::now();
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

/// A random password for a generated account, shown once.
pub fn random_password() -> String {
    use rand::Rng;
    use rand::distributions::Alphanumeric;
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}
