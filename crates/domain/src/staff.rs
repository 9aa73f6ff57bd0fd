//! Staff users, their roles and teams, and partner organizations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{TeamId, UserId};
use crate::values::{Email, ShortText};

/// What a staff user may do. Each user has exactly one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "case_manager"))]
pub enum Role {
    /// Runs the deployment: every client, user and team.
    Admin,
    /// Leads a team: every client of the team.
    Supervisor,
    /// Holds a caseload: reads the team's clients, changes their own.
    CaseManager,
    /// A professional on a client's care team: only the clients they serve.
    CareTeamMember,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Supervisor,
        Role::CaseManager,
        Role::CareTeamMember,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::CaseManager => "case_manager",
            Role::CareTeamMember => "care_team_member",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == raw)
    }

    /// Whether a user of this role may be the primary case manager of a client.
    pub fn can_hold_caseload(self) -> bool {
        matches!(self, Role::CaseManager | Role::Supervisor)
    }

    /// Whether a user of this role must belong to a team.
    pub fn needs_team(self) -> bool {
        matches!(self, Role::Supervisor | Role::CaseManager)
    }
}

/// A staff user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub display_name: ShortText,
    pub role: Role,
    pub team_id: Option<TeamId>,
    /// Set when the user was deleted; a deleted user can no longer sign in and
    /// their tokens stop working.
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.deleted_at.is_none()
    }
}

/// A team of staff: one or more supervisors and their case managers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub name: ShortText,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Checks whether `role` fits `team`: supervisors and case managers must
/// belong to a team; admins may not (they see everything anyway).
pub fn check_team_membership(role: Role, team_id: Option<TeamId>) -> Result<(), crate::ValueError> {
    match (role.needs_team(), team_id, role) {
        (true, None, _) => Err(crate::ValueError::new(
            "required",
            format!("a {} must belong to a team", role.as_str()),
        )),
        (_, Some(_), Role::Admin) => Err(crate::ValueError::new(
            "not_allowed",
            "an admin does not belong to a team",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn case_managers_and_supervisors_need_a_team_and_admins_have_none() {
        let team = Some(TeamId::generate());
        assert!(check_team_membership(Role::CaseManager, None).is_err());
        assert!(check_team_membership(Role::Supervisor, None).is_err());
        assert!(check_team_membership(Role::CaseManager, team).is_ok());
        assert!(check_team_membership(Role::Admin, team).is_err());
        assert!(check_team_membership(Role::Admin, None).is_ok());
        assert!(check_team_membership(Role::CareTeamMember, None).is_ok());
        assert!(check_team_membership(Role::CareTeamMember, team).is_ok());
    }
}
