//! The one authorization policy. Every decision about who may see or change
//! what is made here, as pure functions of the actor and the facts, so it can
//! be tested as a matrix and so the persistence layer can turn the same rules
//! into query filters ([`client_scope`]).

use chrono::NaiveDate;

use crate::consent::ConsentCategory;
use crate::ids::{ClientId, TeamId, UserId};
use crate::staff::Role;

/// The signed-in staff user acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
    pub team_id: Option<TeamId>,
}

impl From<&crate::staff::User> for Actor {
    /// The user as the policy sees them.
    fn from(user: &crate::staff::User) -> Self {
        Actor {
            user_id: user.id,
            role: user.role,
            team_id: user.team_id,
        }
    }
}

/// The outcome of a policy check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The actor may see the object but not do this (HTTP 403).
    Forbidden,
    /// The actor may not know the object exists (HTTP 404).
    Hidden,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// What an actor wants to do with a client record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAction {
    Read,
    Create,
    Update,
    ChangeStatus,
    AssignCaseManager,
    /// Keep the client's care record: assessments, plans, the care team and
    /// natural supports, appointments and their rides, benefits applications,
    /// critical events and residences.
    ManageCare,
    /// Add a note: a plan goal's progress note.
    AddNote,
    /// Approve or reject a service plan awaiting approval.
    ApprovePlan,
    /// Record a contact with or about the client (a care-team member their
    /// own collateral contacts).
    RecordContact,
    /// Co-sign a contact another staff member signed.
    CosignContact,
}

impl ClientAction {
    pub const ALL: [ClientAction; 10] = [
        ClientAction::Read,
        ClientAction::Create,
        ClientAction::Update,
        ClientAction::ChangeStatus,
        ClientAction::AssignCaseManager,
        ClientAction::ManageCare,
        ClientAction::AddNote,
        ClientAction::ApprovePlan,
        ClientAction::RecordContact,
        ClientAction::CosignContact,
    ];
}

/// What the policy needs to know about a client (or a client about to be created).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFacts {
    pub team_id: TeamId,
    pub primary_case_manager_id: Option<UserId>,
    /// The staff users on the client's care team on the day `on`.
    pub care_team: Vec<UserId>,
    /// The day of the decision.
    pub on: NaiveDate,
}

/// Which clients an actor may see, as a filter a query can apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientScope {
    All,
    Team(TeamId),
    /// The clients whose care team `user` is on, on the day `on`.
    CareTeam {
        user: UserId,
        on: NaiveDate,
    },
    /// No client at all.
    Nothing,
}

/// The clients `actor` may see: an admin all, supervisors and case managers
/// their team's, a care-team member those whose care team they are on
/// `today`.
pub fn client_scope(actor: &Actor, today: NaiveDate) -> ClientScope {
    match (actor.role, actor.team_id) {
        (Role::Admin, _) => ClientScope::All,
        (Role::Supervisor | Role::CaseManager, Some(team)) => ClientScope::Team(team),
        (Role::CareTeamMember, _) => ClientScope::CareTeam {
            user: actor.user_id,
            on: today,
        },
        (Role::Supervisor | Role::CaseManager, None) | (Role::Billing, _) => ClientScope::Nothing,
    }
}

/// Whether deciding for `actor` needs the client's care team: only an actor
/// who sees clients through their care teams does. For everyone else the
/// decision is the same whatever the care team, so it need not be read.
pub fn needs_care_team(actor: &Actor) -> bool {
    actor.role == Role::CareTeamMember
}

impl ClientScope {
    pub fn contains(&self, _client: ClientId, facts: &ClientFacts) -> bool {
        match self {
            ClientScope::All => true,
            ClientScope::Team(team) => *team == facts.team_id,
            ClientScope::CareTeam { user, .. } => facts.care_team.contains(user),
            ClientScope::Nothing => false,
        }
    }
}

/// May `actor` do `action` on the client described by `facts`?
///
/// - Admin: everything.
/// - Supervisor: everything on the clients of their team.
/// - Case manager: reads the team's clients and adds notes to them; creates,
///   updates, changes the status of and keeps the care record only of
///   clients whose primary case manager they are (their caseload); never
///   reassigns or approves plans.
/// - Case managers also record contacts for their own caseload; only
///   supervisors and admins co-sign contacts.
/// - Care-team member: reads the clients whose care team they are on today,
///   adds notes to them and records their own (collateral) contacts; nothing
///   else.
/// - Billing: no client record at all (billing reads contacts' billing facts
///   through [`contact_scope`] and claims through [`authorize_billing`]).
///
/// Creating is judged against the client as it would be created. A client the
/// actor may not see is `Hidden`; creating outside one's team is `Forbidden`,
/// as there is nothing to hide.
pub fn authorize_client(
    actor: &Actor,
    action: ClientAction,
    client: ClientId,
    facts: &ClientFacts,
) -> Decision {
    if !client_scope(actor, facts.on).contains(client, facts) {
        return if action == ClientAction::Create {
            Decision::Forbidden
        } else {
            Decision::Hidden
        };
    }
    let own_caseload = facts.primary_case_manager_id == Some(actor.user_id);
    let allowed = match actor.role {
        Role::Admin | Role::Supervisor => true,
        Role::CaseManager => match action {
            ClientAction::Read | ClientAction::AddNote => true,
            ClientAction::Create
            | ClientAction::Update
            | ClientAction::ChangeStatus
            | ClientAction::ManageCare
            | ClientAction::RecordContact => own_caseload,
            ClientAction::AssignCaseManager
            | ClientAction::ApprovePlan
            | ClientAction::CosignContact => false,
        },
        Role::CareTeamMember => matches!(
            action,
            ClientAction::Read | ClientAction::AddNote | ClientAction::RecordContact
        ),
        Role::Billing => false,
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// Staff administration: users, teams and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAction {
    /// Create, change or delete users.
    ManageUsers,
    /// Create or rename teams.
    ManageTeams,
    /// Read a team and its members.
    ReadTeam(TeamId),
    /// Read one staff user, a member of `team` (admins have none).
    ReadUser { user: UserId, team: Option<TeamId> },
    /// Read the audit log.
    ReadAudit,
    /// Add assessment instruments and their versions.
    ManageInstruments,
    /// Tune the alert rules (each change a new version).
    ManageAlertRules,
}

/// Only admins administer; a supervisor may read their own team and its
/// members. Another team is hidden from a supervisor; the rest is
/// forbidden. Everyone may read their own user record.
pub fn authorize_staff(actor: &Actor, action: StaffAction) -> Decision {
    match (actor.role, action) {
        (Role::Admin, _) => Decision::Allow,
        (_, StaffAction::ReadUser { user, .. }) if user == actor.user_id => Decision::Allow,
        (Role::Supervisor, StaffAction::ReadUser { team, .. }) => {
            if team.is_some() && team == actor.team_id {
                Decision::Allow
            } else {
                Decision::Hidden
            }
        }
        (Role::Supervisor, StaffAction::ReadTeam(team)) => {
            if actor.team_id == Some(team) {
                Decision::Allow
            } else {
                Decision::Hidden
            }
        }
        _ => Decision::Forbidden,
    }
}

/// What an actor wants to do with the resource directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryAction {
    /// Search and read organizations, services, locations and the taxonomy.
    Read,
    /// Create, change or delete directory records, capacity included.
    Write,
}

/// Every staff role reads the directory; admins and supervisors keep it.
/// (Partner organizations report their own services' capacity: see
/// [`authorize_partner_service`].)
pub fn authorize_directory(actor: &Actor, action: DirectoryAction) -> Decision {
    match (actor.role, action) {
        (_, DirectoryAction::Read) | (Role::Admin | Role::Supervisor, DirectoryAction::Write) => {
            Decision::Allow
        }
        (Role::CaseManager | Role::CareTeamMember | Role::Billing, DirectoryAction::Write) => {
            Decision::Forbidden
        }
    }
}

/// May a partner organization report the capacity of a service of
/// `service_organization`? Only its own; another's is hidden.
pub fn authorize_partner_service(
    partner: crate::ids::OrganizationId,
    service_organization: crate::ids::OrganizationId,
) -> Decision {
    if partner == service_organization {
        Decision::Allow
    } else {
        Decision::Hidden
    }
}

/// Which teams an actor may list.
pub fn team_scope(actor: &Actor) -> Option<Vec<TeamId>> {
    match actor.role {
        Role::Admin => None,
        Role::Supervisor => Some(actor.team_id.into_iter().collect()),
        Role::CaseManager | Role::CareTeamMember | Role::Billing => Some(Vec::new()),
    }
}

/// How much of a contact an actor reads, once they may read its client (or,
/// for billing, at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactView {
    /// Everything, the narrative included.
    Full,
    /// What billing needs: who, when, how long, what kind of work, the units;
    /// no narrative and none of what was said.
    BillingFacts,
    /// Not at all: the contact is a 404 and left out of lists.
    Hidden,
}

/// The kinds of information a care-team member reads in another's contact:
/// their own contacts they read whatever the category.
pub const CARE_TEAM_CONTACT_CATEGORIES: [ConsentCategory; 2] =
    [ConsentCategory::General, ConsentCategory::Health];

/// How much of a contact of `sensitivity` written by `author` the actor
/// reads: billing staff its billing facts; a care-team member a general or
/// health contact, or one of their own; everyone else who may read the
/// client, all of it.
pub fn contact_view(actor: &Actor, sensitivity: ConsentCategory, author: UserId) -> ContactView {
    match actor.role {
        Role::Billing => ContactView::BillingFacts,
        Role::CareTeamMember
            if author != actor.user_id && !CARE_TEAM_CONTACT_CATEGORIES.contains(&sensitivity) =>
        {
            ContactView::Hidden
        }
        _ => ContactView::Full,
    }
}

/// Which contacts an actor may list, as a filter a query can apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactScope {
    /// The clients whose contacts are listed.
    pub clients: ClientScope,
    /// When set, only contacts of these categories, and the actor's own.
    pub categories: Option<(Vec<ConsentCategory>, UserId)>,
    /// Whether narratives are shown.
    pub view: ContactView,
}

/// The contacts `actor` may list on `today`: those of the clients they may
/// read, as [`contact_view`] allows; billing staff every client's, as
/// billing facts.
pub fn contact_scope(actor: &Actor, today: NaiveDate) -> ContactScope {
    match actor.role {
        Role::Billing => ContactScope {
            clients: ClientScope::All,
            categories: None,
            view: ContactView::BillingFacts,
        },
        Role::CareTeamMember => ContactScope {
            clients: client_scope(actor, today),
            categories: Some((CARE_TEAM_CONTACT_CATEGORIES.to_vec(), actor.user_id)),
            view: ContactView::Full,
        },
        Role::Admin | Role::Supervisor | Role::CaseManager => ContactScope {
            clients: client_scope(actor, today),
            categories: None,
            view: ContactView::Full,
        },
    }
}

impl ContactScope {
    /// Whether a contact of `sensitivity` by `author` is in the list.
    pub fn admits(&self, sensitivity: ConsentCategory, author: UserId) -> bool {
        match &self.categories {
            None => true,
            Some((categories, me)) => categories.contains(&sensitivity) || author == *me,
        }
    }
}

/// Which records of the care (appointments and rides, critical events) an
/// actor may list on `today`: those of the clients they may read; a
/// care-team member general and health ones and those they made, as for
/// contacts. Billing staff none.
pub fn care_record_scope(actor: &Actor, today: NaiveDate) -> ContactScope {
    ContactScope {
        clients: client_scope(actor, today),
        ..contact_scope(actor, today)
    }
}

/// Whether the actor, who may read the client, may read a record of the
/// care (an appointment, a critical event) of `sensitivity` made by
/// `author`: the rule of [`contact_view`].
pub fn care_record_visible(actor: &Actor, sensitivity: ConsentCategory, author: UserId) -> bool {
    actor.role != Role::Billing && contact_view(actor, sensitivity, author) == ContactView::Full
}

/// The teams whose transfers (from or to them) an actor sees: `None` for
/// an admin (every one); a supervisor's or case manager's own team; nobody
/// else any.
pub fn transfer_teams(actor: &Actor) -> Option<Vec<TeamId>> {
    match actor.role {
        Role::Admin => None,
        Role::Supervisor | Role::CaseManager => Some(actor.team_id.into_iter().collect()),
        Role::CareTeamMember | Role::Billing => Some(Vec::new()),
    }
}

/// Whether the actor is on a side of a transfer from team `from` to team
/// `to`: the rule of [`transfer_teams`], for one transfer.
pub fn transfer_visible(actor: &Actor, from: TeamId, to: TeamId) -> bool {
    transfer_teams(actor).is_none_or(|teams| teams.contains(&from) || teams.contains(&to))
}

/// Whether the actor answers for the receiving team `to`: an admin, or a
/// supervisor of that team.
pub fn decides_transfer(actor: &Actor, to: TeamId) -> bool {
    actor.role == Role::Admin || (actor.role == Role::Supervisor && actor.team_id == Some(to))
}

/// Claims and what they are made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingAction {
    /// Read claim batches and the billing configurations.
    ReadClaims,
    /// Create, export, void batches and record payers' answers.
    PrepareClaims,
    /// Add a billing configuration version.
    ManageConfiguration,
}

/// Admins everything; billing staff read and prepare claims; nobody else.
pub fn authorize_billing(actor: &Actor, action: BillingAction) -> Decision {
    match (actor.role, action) {
        (Role::Admin, _)
        | (Role::Billing, BillingAction::ReadClaims | BillingAction::PrepareClaims) => {
            Decision::Allow
        }
        _ => Decision::Forbidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ClientAction::*;
    use Decision::*;
    use proptest::prelude::*;

    struct World {
        team_a: TeamId,
        team_b: TeamId,
    }

    #[test]
    fn transfers_are_seen_by_both_teams_and_decided_by_the_receiving_supervisor() {
        let (from, to) = (TeamId::generate(), TeamId::generate());
        let elsewhere = TeamId::generate();
        let cases = [
            (actor(Role::Admin, None), true, true),
            (actor(Role::Supervisor, Some(to)), true, true),
            (actor(Role::Supervisor, Some(from)), true, false),
            (actor(Role::CaseManager, Some(to)), true, false),
            (actor(Role::CaseManager, Some(from)), true, false),
            (actor(Role::Supervisor, Some(elsewhere)), false, false),
            (actor(Role::CareTeamMember, None), false, false),
            (actor(Role::Billing, None), false, false),
        ];
        for (who, sees, decides) in cases {
            assert_eq!(transfer_visible(&who, from, to), sees, "{:?}", who.role);
            assert_eq!(decides_transfer(&who, to), decides, "{:?}", who.role);
        }
    }

    fn actor(role: Role, team: Option<TeamId>) -> Actor {
        Actor {
            user_id: UserId::generate(),
            role,
            team_id: team,
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn world() -> World {
        World {
            team_a: TeamId::generate(),
            team_b: TeamId::generate(),
        }
    }

    /// The full matrix: role × relation to the client × action.
    #[test]
    fn client_policy_matrix() {
        let w = world();
        let admin = actor(Role::Admin, None);
        let supervisor_a = actor(Role::Supervisor, Some(w.team_a));
        let manager_a = actor(Role::CaseManager, Some(w.team_a));
        let other_manager_a = actor(Role::CaseManager, Some(w.team_a));
        let manager_b = actor(Role::CaseManager, Some(w.team_b));
        let supervisor_b = actor(Role::Supervisor, Some(w.team_b));
        let care_on_team = actor(Role::CareTeamMember, None);
        let care_elsewhere = actor(Role::CareTeamMember, None);
        // A case manager of another team on the care team gains nothing:
        // only the care-team member role reads through the care team.
        let manager_b_on_care_team = actor(Role::CaseManager, Some(w.team_b));
        let teamless_manager = actor(Role::CaseManager, None);

        let client = ClientId::generate();
        let facts = ClientFacts {
            team_id: w.team_a,
            primary_case_manager_id: Some(manager_a.user_id),
            care_team: vec![care_on_team.user_id, manager_b_on_care_team.user_id],
            on: day(),
        };

        let billing = actor(Role::Billing, None);
        // Read, Create, Update, ChangeStatus, AssignCaseManager, ManageCare, AddNote, ApprovePlan,
        // RecordContact, CosignContact
        let hidden = [
            Hidden, Forbidden, Hidden, Hidden, Hidden, Hidden, Hidden, Hidden, Hidden, Hidden,
        ];
        let expected: [(&Actor, [Decision; 10]); 11] = [
            (&admin, [Allow; 10]),
            (&supervisor_a, [Allow; 10]),
            (
                &manager_a,
                [
                    Allow, Allow, Allow, Allow, Forbidden, Allow, Allow, Forbidden, Allow,
                    Forbidden,
                ],
            ),
            (
                &other_manager_a,
                [
                    Allow, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Allow, Forbidden,
                    Forbidden, Forbidden,
                ],
            ),
            (&manager_b, hidden),
            (&supervisor_b, hidden),
            (
                &care_on_team,
                [
                    Allow, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Allow, Forbidden,
                    Allow, Forbidden,
                ],
            ),
            (&care_elsewhere, hidden),
            (&manager_b_on_care_team, hidden),
            (&teamless_manager, hidden),
            (&billing, hidden),
        ];
        for (who, decisions) in expected {
            for (action, decision) in ClientAction::ALL.into_iter().zip(decisions) {
                assert_eq!(
                    authorize_client(who, action, client, &facts),
                    decision,
                    "{:?} {:?}",
                    who.role,
                    action
                );
            }
        }
    }

    #[test]
    fn a_care_team_member_loses_the_client_with_the_membership() {
        let w = world();
        let care = actor(Role::CareTeamMember, None);
        let client = ClientId::generate();
        let mut facts = ClientFacts {
            team_id: w.team_a,
            primary_case_manager_id: None,
            care_team: vec![care.user_id],
            on: day(),
        };
        assert_eq!(authorize_client(&care, Read, client, &facts), Allow);
        facts.care_team.clear();
        assert_eq!(authorize_client(&care, Read, client, &facts), Hidden);
        assert_eq!(authorize_client(&care, AddNote, client, &facts), Hidden);
    }

    #[test]
    fn a_case_manager_reassigned_a_client_may_then_change_it() {
        let w = world();
        let manager = actor(Role::CaseManager, Some(w.team_a));
        let client = ClientId::generate();
        let before = ClientFacts {
            team_id: w.team_a,
            primary_case_manager_id: None,
            care_team: vec![],
            on: day(),
        };
        assert_eq!(
            authorize_client(&manager, Update, client, &before),
            Forbidden
        );
        let after = ClientFacts {
            primary_case_manager_id: Some(manager.user_id),
            ..before.clone()
        };
        assert_eq!(authorize_client(&manager, Update, client, &after), Allow);
    }

    #[test]
    fn everyone_may_read_their_own_user_record() {
        for role in Role::ALL {
            let me = actor(role, None);
            let action = StaffAction::ReadUser {
                user: me.user_id,
                team: None,
            };
            assert_eq!(authorize_staff(&me, action), Allow, "{role:?}");
        }
    }

    #[test]
    fn staff_policy_matrix() {
        let w = world();
        let admin = actor(Role::Admin, None);
        let supervisor_a = actor(Role::Supervisor, Some(w.team_a));
        let manager_a = actor(Role::CaseManager, Some(w.team_a));
        let care = actor(Role::CareTeamMember, None);
        let actions = [
            StaffAction::ManageUsers,
            StaffAction::ManageTeams,
            StaffAction::ReadTeam(w.team_a),
            StaffAction::ReadTeam(w.team_b),
            StaffAction::ReadAudit,
            StaffAction::ManageInstruments,
        ];
        let expected: [(&Actor, [Decision; 6]); 5] = [
            (&admin, [Allow; 6]),
            (
                &supervisor_a,
                [Forbidden, Forbidden, Allow, Hidden, Forbidden, Forbidden],
            ),
            (&manager_a, [Forbidden; 6]),
            (&care, [Forbidden; 6]),
            (&actor(Role::Billing, None), [Forbidden; 6]),
        ];
        for (who, decisions) in expected {
            for (action, decision) in actions.into_iter().zip(decisions) {
                assert_eq!(
                    authorize_staff(who, action),
                    decision,
                    "{:?} {:?}",
                    who.role,
                    action
                );
            }
        }
    }

    #[test]
    fn every_role_reads_the_directory_and_only_admins_and_supervisors_keep_it() {
        for role in Role::ALL {
            let who = actor(role, Some(TeamId::generate()));
            assert_eq!(authorize_directory(&who, DirectoryAction::Read), Allow);
            let write = authorize_directory(&who, DirectoryAction::Write);
            let expected = if matches!(role, Role::Admin | Role::Supervisor) {
                Allow
            } else {
                Forbidden
            };
            assert_eq!(write, expected, "{role:?}");
        }
    }

    #[test]
    fn billing_staff_read_claims_and_billing_facts_and_no_client_record() {
        let billing = actor(Role::Billing, None);
        let care = actor(Role::CareTeamMember, None);
        let manager = actor(Role::CaseManager, Some(TeamId::generate()));
        let admin = actor(Role::Admin, None);
        let someone = UserId::generate();
        for category in ConsentCategory::ALL {
            assert_eq!(
                contact_view(&billing, category, someone),
                ContactView::BillingFacts
            );
            assert_eq!(contact_view(&manager, category, someone), ContactView::Full);
            assert_eq!(
                contact_view(&care, category, care.user_id),
                ContactView::Full
            );
        }
        assert_eq!(
            contact_view(&care, ConsentCategory::MentalHealth, someone),
            ContactView::Hidden
        );
        assert_eq!(
            contact_view(&care, ConsentCategory::SubstanceUse, someone),
            ContactView::Hidden
        );
        assert_eq!(client_scope(&billing, day()), ClientScope::Nothing);
        let actions = [
            BillingAction::ReadClaims,
            BillingAction::PrepareClaims,
            BillingAction::ManageConfiguration,
        ];
        let expected = [
            (&admin, [Allow, Allow, Allow]),
            (&billing, [Allow, Allow, Forbidden]),
            (&manager, [Forbidden; 3]),
            (&care, [Forbidden; 3]),
            (&actor(Role::Supervisor, manager.team_id), [Forbidden; 3]),
        ];
        for (who, decisions) in expected {
            for (action, decision) in actions.into_iter().zip(decisions) {
                assert_eq!(
                    authorize_billing(who, action),
                    decision,
                    "{:?} {action:?}",
                    who.role
                );
            }
        }
    }

    fn any_role() -> impl Strategy<Value = Role> {
        prop::sample::select(Role::ALL.to_vec())
    }

    fn any_action() -> impl Strategy<Value = ClientAction> {
        prop::sample::select(ClientAction::ALL.to_vec())
    }

    proptest! {
        /// The list filter and the single-record check never disagree, so a
        /// client that a lookup hides never shows up in a list, and back.
        #[test]
        fn scope_and_read_agree(
            role in any_role(),
            actor_in_a in any::<bool>(),
            has_team in any::<bool>(),
            client_in_a in any::<bool>(),
            is_primary in any::<bool>(),
            on_care_team in any::<bool>(),
        ) {
            let w = world();
            let team = has_team.then_some(if actor_in_a { w.team_a } else { w.team_b });
            let who = actor(role, team);
            let client = ClientId::generate();
            let facts = ClientFacts {
                team_id: if client_in_a { w.team_a } else { w.team_b },
                primary_case_manager_id: is_primary.then_some(who.user_id),
                care_team: if on_care_team { vec![who.user_id] } else { vec![] },
                on: day(),
            };
            let visible = client_scope(&who, facts.on).contains(client, &facts);
            prop_assert_eq!(visible, authorize_client(&who, Read, client, &facts) == Allow);
        }

        /// A contact is in an actor's list exactly when a lookup would show
        /// it: its client is readable (or the actor is billing staff) and the
        /// contact's category is one the actor reads.
        #[test]
        fn contact_lists_and_lookups_agree(
            role in any_role(),
            same_team in any::<bool>(),
            on_care_team in any::<bool>(),
            own in any::<bool>(),
            category in prop::sample::select(ConsentCategory::ALL.to_vec()),
        ) {
            let w = world();
            let who = actor(role, Some(w.team_a));
            let client = ClientId::generate();
            let facts = ClientFacts {
                team_id: if same_team { w.team_a } else { w.team_b },
                primary_case_manager_id: None,
                care_team: if on_care_team { vec![who.user_id] } else { vec![] },
                on: day(),
            };
            let author = if own { who.user_id } else { UserId::generate() };
            let scope = contact_scope(&who, day());
            let listed = scope.clients.contains(client, &facts) && scope.admits(category, author);
            let readable = role == Role::Billing
                || authorize_client(&who, Read, client, &facts) == Allow;
            let shown = readable && contact_view(&who, category, author) != ContactView::Hidden;
            prop_assert_eq!(listed, shown);
            if listed {
                prop_assert_eq!(scope.view, contact_view(&who, category, author));
            }
        }

        /// An appointment is in an actor's list exactly when a lookup would
        /// show it: its client is readable and its category one the actor
        /// reads (or the actor made it); billing staff see none.
        #[test]
        fn appointment_lists_and_lookups_agree(
            role in any_role(),
            same_team in any::<bool>(),
            on_care_team in any::<bool>(),
            own in any::<bool>(),
            category in prop::sample::select(ConsentCategory::ALL.to_vec()),
        ) {
            let w = world();
            let who = actor(role, Some(w.team_a));
            let client = ClientId::generate();
            let facts = ClientFacts {
                team_id: if same_team { w.team_a } else { w.team_b },
                primary_case_manager_id: None,
                care_team: if on_care_team { vec![who.user_id] } else { vec![] },
                on: day(),
            };
            let author = if own { who.user_id } else { UserId::generate() };
            let scope = care_record_scope(&who, day());
            let listed = scope.clients.contains(client, &facts) && scope.admits(category, author);
            let shown = authorize_client(&who, Read, client, &facts) == Allow
                && care_record_visible(&who, category, author);
            prop_assert_eq!(listed, shown);
        }

        /// For an actor who does not need the care team, the decision does not
        /// depend on it: leaving it unread changes nothing.
        #[test]
        fn the_care_team_matters_only_when_the_policy_says_so(
            role in any_role(),
            action in any_action(),
            same_team in any::<bool>(),
            is_primary in any::<bool>(),
        ) {
            let w = world();
            let who = actor(role, Some(w.team_a));
            let client = ClientId::generate();
            let without = ClientFacts {
                team_id: if same_team { w.team_a } else { w.team_b },
                primary_case_manager_id: is_primary.then_some(who.user_id),
                care_team: vec![],
                on: day(),
            };
            let with = ClientFacts { care_team: vec![who.user_id, UserId::generate()], ..without.clone() };
            if !needs_care_team(&who) {
                prop_assert_eq!(
                    authorize_client(&who, action, client, &without),
                    authorize_client(&who, action, client, &with)
                );
            }
        }

        /// Whatever the action, a client outside the actor's scope is never
        /// allowed, and anything allowed is also readable.
        #[test]
        fn nothing_is_allowed_on_what_cannot_be_read(
            role in any_role(),
            action in any_action(),
            same_team in any::<bool>(),
            is_primary in any::<bool>(),
            on_care_team in any::<bool>(),
        ) {
            let w = world();
            let who = actor(role, Some(w.team_a));
            let client = ClientId::generate();
            let facts = ClientFacts {
                team_id: if same_team { w.team_a } else { w.team_b },
                primary_case_manager_id: is_primary.then_some(who.user_id),
                care_team: if on_care_team { vec![who.user_id] } else { vec![] },
                on: day(),
            };
            if authorize_client(&who, action, client, &facts) == Allow {
                prop_assert_eq!(authorize_client(&who, Read, client, &facts), Allow);
            }
        }
    }
}

/// Which alerts an actor sees, as a filter a query can apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertScope {
    /// Alerts about these clients.
    pub clients: ClientScope,
    /// Alerts about staff (a caseload over its limit): `None` every one's,
    /// else those about these people or anyone of these teams.
    pub staff: Option<(Vec<UserId>, Vec<TeamId>)>,
}

/// The alerts `actor` sees on `today`. Alerts are the case managers' and
/// supervisors' early warning, not the care team's: an admin sees every
/// alert; a supervisor those about the team's clients and staff; a case
/// manager those about the team's clients and about themselves; nobody
/// else any.
pub fn alert_scope(actor: &Actor, today: NaiveDate) -> AlertScope {
    let clients = client_scope(actor, today);
    match actor.role {
        Role::Admin => AlertScope {
            clients,
            staff: None,
        },
        Role::Supervisor => AlertScope {
            clients,
            staff: Some((vec![actor.user_id], actor.team_id.into_iter().collect())),
        },
        Role::CaseManager => AlertScope {
            clients,
            staff: Some((vec![actor.user_id], Vec::new())),
        },
        Role::CareTeamMember | Role::Billing => AlertScope {
            clients: ClientScope::Nothing,
            staff: Some((Vec::new(), Vec::new())),
        },
    }
}

/// Whether the actor sees alerts at all (the roles of [`alert_scope`]).
pub fn sees_alerts(actor: &Actor) -> bool {
    matches!(
        actor.role,
        Role::Admin | Role::Supervisor | Role::CaseManager
    )
}

/// May `actor` see, and may they answer (acknowledge, snooze, resolve), an
/// alert about the staff member `staff` of team `team`? Sees: an admin, a
/// supervisor of the team, the staff member. Answers: an admin or a
/// supervisor of the team. (An alert about a client follows the client:
/// [`sees_alerts`] and [`authorize_client`] — reading it, and answering it
/// as `ManageCare`.)
pub fn authorize_staff_alert(
    actor: &Actor,
    staff: UserId,
    team: Option<TeamId>,
    answer: bool,
) -> Decision {
    let supervises = actor.role == Role::Admin
        || (actor.role == Role::Supervisor && team.is_some() && actor.team_id == team);
    if supervises {
        Decision::Allow
    } else if actor.user_id == staff && sees_alerts(actor) {
        if answer {
            Decision::Forbidden
        } else {
            Decision::Allow
        }
    } else {
        Decision::Hidden
    }
}
