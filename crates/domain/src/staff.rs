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
    /// Prepares and follows Medicaid claims: contacts' billing facts and
    /// claim batches across the agency, never a narrative or a client record.
    Billing,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Supervisor,
        Role::CaseManager,
        Role::CareTeamMember,
        Role::Billing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::CaseManager => "case_manager",
            Role::CareTeamMember => "care_team_member",
            Role::Billing => "billing",
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
    /// The generation of the user's sessions: an access token issued under
    /// an older one no longer works.
    pub token_version: i32,
}

/// Why a change to a staff user is refused: the agency must always keep
/// an admin, and an admin may not lock themselves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    #[error("you cannot remove your own admin role")]
    OwnAdminRole,
    #[error("the last admin cannot lose the admin role")]
    LastAdminRole,
    #[error("you cannot delete yourself")]
    SelfDeletion,
    #[error("the last admin cannot be deleted")]
    LastAdmin,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.deleted_at.is_none()
    }

    /// Gives the user `role`, as `by` asks; `active_admins` counts the
    /// active admins now, this user included if they are one.
    pub fn change_role(
        &mut self,
        role: Role,
        by: UserId,
        active_admins: i64,
    ) -> Result<(), StaffError> {
        if self.role == Role::Admin && role != Role::Admin {
            if self.id == by {
                return Err(StaffError::OwnAdminRole);
            }
            if active_admins <= 1 {
                return Err(StaffError::LastAdminRole);
            }
        }
        if self.role != role {
            self.end_sessions();
        }
        self.role = role;
        Ok(())
    }

    /// Ends every session of the user: the tokens issued so far stop
    /// working. For a new password, a new role or team, a deletion.
    pub fn end_sessions(&mut self) {
        self.token_version += 1;
    }

    /// Deletes the user, as `by` asks; `active_admins` as for
    /// [`User::change_role`].
    pub fn delete(
        &mut self,
        by: UserId,
        active_admins: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StaffError> {
        if self.id == by {
            return Err(StaffError::SelfDeletion);
        }
        if self.role == Role::Admin && active_admins <= 1 {
            return Err(StaffError::LastAdmin);
        }
        self.deleted_at = Some(now);
        self.end_sessions();
        self.touch(now);
        Ok(())
    }

    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

impl Team {
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
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

    fn user(role: Role) -> User {
        let now = Utc::now();
        User {
            id: UserId::generate(),
            email: Email::parse("a@example.org").unwrap(),
            display_name: ShortText::parse("A").unwrap(),
            role,
            team_id: None,
            deleted_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
            token_version: 1,
        }
    }

    #[test]
    fn the_agency_always_keeps_an_admin_who_cannot_lock_themselves_out() {
        let other = UserId::generate();
        let mut admin = user(Role::Admin);
        let me = admin.id;
        assert_eq!(
            admin.change_role(Role::Supervisor, me, 5),
            Err(StaffError::OwnAdminRole)
        );
        assert_eq!(
            admin.change_role(Role::Supervisor, other, 1),
            Err(StaffError::LastAdminRole)
        );
        assert_eq!(admin.role, Role::Admin, "a refused change changes nothing");
        assert_eq!(admin.change_role(Role::Admin, me, 1), Ok(()));
        assert_eq!(admin.change_role(Role::Supervisor, other, 2), Ok(()));
        assert_eq!(admin.role, Role::Supervisor);

        let mut admin = user(Role::Admin);
        let me = admin.id;
        let now = Utc::now();
        assert_eq!(admin.delete(me, 5, now), Err(StaffError::SelfDeletion));
        assert_eq!(admin.delete(other, 1, now), Err(StaffError::LastAdmin));
        assert!(admin.is_active());
        assert_eq!(admin.delete(other, 2, now), Ok(()));
        assert!(!admin.is_active());
        assert_eq!(admin.version, 2);

        let mut case_manager = user(Role::CaseManager);
        assert_eq!(case_manager.delete(other, 1, now), Ok(()));
        let mut promoted = user(Role::CaseManager);
        assert_eq!(promoted.change_role(Role::Admin, other, 1), Ok(()));
    }
}
