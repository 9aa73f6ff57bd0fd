//! Client records: create, read, search, change, move through statuses,
//! assign a primary case manager. Every read and write is audited in the
//! unit of work that does it.

use chrono::NaiveDate;
use spoke_domain::audit::{AuditAction, AuditEvent, ResourceType};
use spoke_domain::client::{Client, ClientDetails, ClientPatch, ClientStatus};
use spoke_domain::episode::{EnrollmentInput, Episode, StatusChange};
use spoke_domain::ids::{ClientId, TeamId, UserId};
use spoke_domain::policy::{Actor, ClientAction, authorize_client, client_scope, needs_care_team};
use spoke_domain::staff::Role;
use spoke_domain::transfer::AssignmentReason;
use spoke_persistence::clients::{self as store, ClientFilter};
use spoke_persistence::page::{Keyset, Page};
use spoke_persistence::{DbConnection, StoreError, care, staff, transfers};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::change_versioned;
use crate::usecases::episodes::{self, Closed, Discharged};
use crate::usecases::staff::existing_team;
use crate::usecases::{allowed, audit_record};

const NOT_YOURS: &str =
    "only the client's primary case manager, the team's supervisors or an admin may do this";

/// Loads a client the actor may `action` on the day `today`, or the 404/403
/// the policy says. Every use case under a client goes through here.
pub(crate) fn load(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ClientId,
    action: ClientAction,
    today: NaiveDate,
) -> Result<Client, ApiError> {
    let client = store::get(conn, id)?;
    let care_team = if needs_care_team(actor) {
        care::staff_on_care_team(conn, id, today)?
    } else {
        Vec::new()
    };
    allowed(
        authorize_client(actor, action, id, &client.facts(care_team, today)),
        NOT_YOURS,
    )?;
    Ok(client)
}

/// Works on a record kept about `client`: the policy check for `action` on
/// the day of `cx`, then `work`, then the audit event `audit` on `resource`
/// (type, id). Every use case under a client goes through here.
pub(crate) fn under_client<T>(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    action: ClientAction,
    audit: AuditAction,
    resource: (ResourceType, String),
    work: impl FnOnce(&mut Tx) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    with_client(tx, cx, client, action, audit, resource, |tx, _| work(tx))
}

/// [`under_client`] for work that needs the client record itself.
pub(crate) fn with_client<T>(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    action: ClientAction,
    audit: AuditAction,
    resource: (ResourceType, String),
    work: impl FnOnce(&mut Tx, &Client) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let record = load(tx, &cx.actor, client, action, cx.today)?;
    let value = work(tx, &record)?;
    audit_record(tx, cx, client, audit, resource);
    Ok(value)
}

/// Checks that `user` may hold `team`'s client as primary case manager.
pub(crate) fn check_case_manager(
    conn: &mut DbConnection,
    field: &str,
    user: UserId,
    team: TeamId,
) -> Result<(), ApiError> {
    let invalid = || {
        ApiError::invalid_field(
            field,
            "not_a_case_manager",
            "must be an active case manager or supervisor of the client's team",
        )
    };
    let user = match staff::get_user(conn, user) {
        Ok(user) => user,
        Err(StoreError::NotFound) => return Err(invalid()),
        Err(other) => return Err(other.into()),
    };
    if user.is_active() && user.role.can_hold_caseload() && user.team_id == Some(team) {
        Ok(())
    } else {
        Err(invalid())
    }
}

/// Loads a client for `action`, changes it through `change` under the
/// caller's If-Match, and saves and audits it as `audit` when it changed.
fn change_client(
    tx: &mut Tx,
    cx: &Cx,
    id: ClientId,
    action: ClientAction,
    if_match: &IfMatch,
    audit: AuditAction,
    change: impl FnOnce(&mut Tx, &mut Client) -> Result<bool, ApiError>,
) -> Result<Client, ApiError> {
    let mut client = load(tx, &cx.actor, id, action, cx.today)?;
    change_versioned(
        tx,
        &mut client,
        if_match,
        cx.now,
        change,
        |tx, client, expected| {
            store::update(tx, client, expected)?;
            tx.audit(AuditEvent::for_client(
                cx.actor.user_id,
                audit,
                client.id,
                &cx.request_id,
                cx.now,
            ));
            Ok(())
        },
    )?;
    Ok(client)
}

/// A client to create, its details already checked.
#[derive(Debug)]
pub struct NewClient {
    pub details: ClientDetails,
    /// Defaults to the creator's team; an admin must name it.
    pub team_id: Option<TeamId>,
    /// A case manager creating a client becomes its primary case manager
    /// unless they name one.
    pub primary_case_manager_id: Option<UserId>,
    /// The first episode's program, referral source and eligibility.
    pub enrollment: EnrollmentInput,
}

/// Creates a client at `intake`: admins name the team; supervisors and case
/// managers create clients in their own team, a case manager only in their
/// own caseload.
pub fn create(tx: &mut Tx, cx: &Cx, new: NewClient) -> Result<Client, ApiError> {
    let actor = &cx.actor;
    let team_id = new.team_id.or(actor.team_id).ok_or_else(|| {
        ApiError::invalid_field(
            "team_id",
            "required",
            "an admin must name the client's team",
        )
    })?;
    let primary = new
        .primary_case_manager_id
        .or((actor.role == Role::CaseManager).then_some(actor.user_id));
    let enrollment = new.enrollment.parse("enrollment")?;
    let client = Client::new(new.details, team_id, primary, cx.now);
    allowed(
        authorize_client(
            actor,
            ClientAction::Create,
            client.id,
            &client.facts(Vec::new(), cx.today),
        ),
        "you may create clients only in your own team, and a case manager only in their own caseload",
    )?;
    existing_team(tx, "team_id", client.team_id)?;
    if let Some(manager) = client.primary_case_manager_id {
        check_case_manager(tx, "primary_case_manager_id", manager, client.team_id)?;
    }
    store::insert(tx, &client)?;
    episodes::open_first(tx, cx, &client, enrollment)?;
    transfers::record_assignment(
        tx,
        client.id,
        (client.team_id, client.primary_case_manager_id),
        AssignmentReason::Created,
        actor.user_id,
        cx.now,
    )?;
    tx.audit(AuditEvent::for_client(
        actor.user_id,
        AuditAction::ClientCreated,
        client.id,
        &cx.request_id,
        cx.now,
    ));
    Ok(client)
}

/// A client the actor may read; a client they may not see is a 404.
pub fn get(tx: &mut Tx, cx: &Cx, id: ClientId) -> Result<Client, ApiError> {
    let client = load(tx, &cx.actor, id, ClientAction::Read, cx.today)?;
    tx.audit(AuditEvent::for_client(
        cx.actor.user_id,
        AuditAction::ClientRead,
        id,
        &cx.request_id,
        cx.now,
    ));
    Ok(client)
}

/// A page of the clients the actor may see that match `filter`, oldest
/// first, audited as one event naming every client shown.
pub fn list(
    tx: &mut Tx,
    cx: &Cx,
    filter: &ClientFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Client>, ApiError> {
    let page = store::list(tx, &client_scope(&cx.actor, cx.today), filter, after, limit)?;
    let shown = page.items.iter().map(|client| client.id).collect();
    if let Some(event) = AuditEvent::for_list(cx.actor.user_id, shown, &cx.request_id, cx.now) {
        tx.audit(event);
    }
    Ok(page)
}

/// Applies a JSON merge patch to a client's details; the merged record is
/// checked whole. Saved (and audited) only when something changed.
pub fn update(
    tx: &mut Tx,
    cx: &Cx,
    id: ClientId,
    if_match: &IfMatch,
    patch: ClientPatch,
) -> Result<Client, ApiError> {
    let today = cx.today;
    change_client(
        tx,
        cx,
        id,
        ClientAction::Update,
        if_match,
        AuditAction::ClientUpdated,
        |_, client| {
            let details = client.details.to_input().apply(patch).parse(today)?;
            let changed = details != client.details;
            client.details = details;
            Ok(changed)
        },
    )
}

/// A client moved to another status, and what came with the move.
#[derive(Debug, Clone)]
pub struct StatusChanged {
    pub client: Client,
    /// The episode a discharge closed or a re-enrollment opened.
    pub episode: Option<Episode>,
    /// What a discharge closed.
    pub closed: Option<Closed>,
    /// Whether the discharge waits for a supervisor's approval (the client's
    /// status is unchanged).
    pub waiting: bool,
}

/// Moves a client to another status, if the lifecycle allows it. A
/// discharge ends the episode and closes what is open about the client (or,
/// with `closure_approval` and a case manager asking, waits for a
/// supervisor); a discharged client moved back to intake starts a new
/// episode.
pub fn change_status(
    tx: &mut Tx,
    cx: &Cx,
    id: ClientId,
    if_match: &IfMatch,
    change: StatusChange,
    closure_approval: bool,
) -> Result<StatusChanged, ApiError> {
    let mut episode = None;
    let mut closed = None;
    let mut waiting = false;
    let client = change_client(
        tx,
        cx,
        id,
        ClientAction::ChangeStatus,
        if_match,
        AuditAction::ClientStatusChanged,
        |tx, client| {
            let from = client.status;
            client.status = from.move_to(change.status)?;
            change.check_fields(from)?;
            match change.status {
                ClientStatus::Discharged => {
                    match episodes::discharge_or_ask(
                        tx,
                        cx,
                        client,
                        change.discharge(),
                        closure_approval,
                    )? {
                        Discharged::Done(ended, what) => {
                            episode = Some(ended);
                            closed = Some(what);
                        }
                        Discharged::Waiting(asked) => {
                            // The client stays as it is, and is not saved.
                            client.status = from;
                            episode = Some(asked);
                            waiting = true;
                            return Ok(false);
                        }
                    }
                }
                ClientStatus::Intake => {
                    episode = Some(episodes::reenroll(
                        tx,
                        cx,
                        client.id,
                        change.enrollment,
                        change.on,
                    )?);
                }
                ClientStatus::Active | ClientStatus::OnHold => {}
            }
            Ok(true)
        },
    )?;
    Ok(StatusChanged {
        client,
        episode,
        closed,
        waiting,
    })
}

/// Assigns (or with `None` removes) a client's primary case manager: an
/// active case manager or supervisor of the client's team.
pub fn assign_case_manager(
    tx: &mut Tx,
    cx: &Cx,
    id: ClientId,
    if_match: &IfMatch,
    manager: Option<UserId>,
) -> Result<Client, ApiError> {
    change_client(
        tx,
        cx,
        id,
        ClientAction::AssignCaseManager,
        if_match,
        AuditAction::ClientAssigned,
        |tx, client| {
            if let Some(manager) = manager {
                check_case_manager(tx, "case_manager_id", manager, client.team_id)?;
            }
            let changed = client.primary_case_manager_id != manager;
            client.primary_case_manager_id = manager;
            if changed {
                transfers::record_assignment(
                    tx,
                    client.id,
                    (client.team_id, manager),
                    AssignmentReason::Assigned,
                    cx.actor.user_id,
                    cx.now,
                )?;
            }
            Ok(changed)
        },
    )
}
