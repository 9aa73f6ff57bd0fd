//! Service plans: drafted, approved when the deployment asks for it,
//! activated (superseding the active plan in the same transaction),
//! completed; goals' progress notes; and the list across clients for
//! reviews.

use chrono::NaiveDate;
use spoke_domain::audit::{AuditAction, AuditEvent, ResourceType};
use spoke_domain::ids::{ClientId, GoalId, PlanId, ProgressNoteId};
use spoke_domain::plan::{Plan, PlanContent, PlanInput, ProgressNote};
use spoke_domain::policy::{ClientAction, client_scope};
use spoke_domain::values::LongText;
use spoke_persistence::page::Page;
use spoke_persistence::plans::{self as store, PlanFilter};
use spoke_persistence::{DbConnection, StoreError};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::care::check_client_references;
use crate::usecases::change_versioned;
use crate::usecases::clients::under_client;

const PLAN: ResourceType = ResourceType::Plan;

/// Tasks may only name the client's own natural supports, care-team members
/// and referrals.
fn check_people(
    conn: &mut DbConnection,
    client: ClientId,
    content: &PlanContent,
) -> Result<(), ApiError> {
    let (supports, members) = content.named_people();
    let supports: Vec<_> = supports.into_iter().collect();
    let members: Vec<_> = members.into_iter().collect();
    let referrals: Vec<_> = content.referrals().into_iter().collect();
    check_client_references(
        conn,
        client,
        ("goals", &supports),
        ("goals", &members),
        ("goals", &referrals),
    )
}

/// Writes a plan at the version it was loaded at: a second plan of the
/// client becoming active at the same moment is a 409.
fn save(tx: &mut Tx, plan: &Plan, expected: i32) -> Result<(), ApiError> {
    store::update_plan(tx, plan, expected).map_err(|error| match error {
        StoreError::Conflict(_) => ApiError::Conflict(
            "another plan of this client became active at the same moment".to_owned(),
        ),
        other => other.into(),
    })
}

/// Drafts a plan for `client`; the client's keepers.
pub fn create(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    content: PlanContent,
) -> Result<Plan, ApiError> {
    let id = PlanId::generate();
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordCreated,
        (PLAN, id.to_string()),
        |tx| {
            check_people(tx, client, &content)?;
            let active = store::active_plan(tx, client)?.map(|p| p.id);
            let mut plan = Plan::new(client, content, active, cx.actor.user_id, cx.now);
            plan.id = id;
            store::insert_plan(tx, &plan)?;
            Ok(plan)
        },
    )
}

/// Every plan of a client, newest first.
pub fn list_for_client(tx: &mut Tx, cx: &Cx, client: ClientId) -> Result<Vec<Plan>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Plans, client.to_string()),
        |tx| Ok(store::client_plans(tx, client)?),
    )
}

pub fn get(tx: &mut Tx, cx: &Cx, client: ClientId, id: PlanId) -> Result<Plan, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (PLAN, id.to_string()),
        |tx| Ok(store::get_plan(tx, client, id)?),
    )
}

/// Loads a plan of `client` the actor may `action` on, changes it through
/// `change` under the caller's If-Match, saves and audits it.
fn change_plan(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: PlanId,
    action: ClientAction,
    if_match: &IfMatch,
    change: impl FnOnce(&mut Tx, &mut Plan) -> Result<(), ApiError>,
) -> Result<Plan, ApiError> {
    under_client(
        tx,
        cx,
        client,
        action,
        AuditAction::RecordUpdated,
        (PLAN, id.to_string()),
        |tx| {
            let mut plan = store::get_plan(tx, client, id)?;
            change_versioned(
                tx,
                &mut plan,
                if_match,
                cx.now,
                |tx, plan| change(tx, plan).map(|()| true),
                save,
            )?;
            Ok(plan)
        },
    )
}

/// Replaces a plan's content (see [`Plan::revise`] for what may change when).
pub fn revise(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: PlanId,
    if_match: &IfMatch,
    input: PlanInput,
) -> Result<Plan, ApiError> {
    change_plan(
        tx,
        cx,
        client,
        id,
        ClientAction::ManageCare,
        if_match,
        |tx, plan| {
            let content = input.parse(Some(&plan.content))?;
            check_people(tx, client, &content)?;
            let active = store::active_plan(tx, client)?.map(|p| p.id);
            Ok(plan.revise(content, active, cx.now)?)
        },
    )
}

/// Makes a draft the client's active plan; the plan active until now is
/// superseded in the same transaction (and audited as changed).
pub fn activate(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: PlanId,
    if_match: &IfMatch,
    approval_required: bool,
) -> Result<Plan, ApiError> {
    change_plan(
        tx,
        cx,
        client,
        id,
        ClientAction::ManageCare,
        if_match,
        |tx, plan| {
            let mut current = store::active_plan(tx, client)?;
            let current_version = current.as_ref().map(|c| c.version);
            plan.activate(current.as_mut(), approval_required, cx.now)?;
            if let (Some(current), Some(version)) = (current, current_version) {
                save(tx, &current, version)?;
                tx.audit(AuditEvent::for_record(
                    cx.actor.user_id,
                    AuditAction::RecordUpdated,
                    client,
                    (PLAN, current.id.to_string()),
                    &cx.request_id,
                    cx.now,
                ));
            }
            Ok(())
        },
    )
}

/// Completes an active plan.
pub fn complete(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: PlanId,
    if_match: &IfMatch,
) -> Result<Plan, ApiError> {
    change_plan(
        tx,
        cx,
        client,
        id,
        ClientAction::ManageCare,
        if_match,
        |_, plan| Ok(plan.complete(cx.now)?),
    )
}

/// Sends a draft to the team's supervisors.
pub fn request_approval(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: PlanId,
    if_match: &IfMatch,
) -> Result<Plan, ApiError> {
    change_plan(
        tx,
        cx,
        client,
        id,
        ClientAction::ManageCare,
        if_match,
        |_, plan| Ok(plan.request_approval(cx.actor.user_id, cx.now)?),
    )
}

/// A supervisor's (or admin's) decision on a draft awaiting approval.
pub fn decide_approval(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: PlanId,
    if_match: &IfMatch,
    approve: bool,
    reason: Option<String>,
) -> Result<Plan, ApiError> {
    change_plan(
        tx,
        cx,
        client,
        id,
        ClientAction::ApprovePlan,
        if_match,
        |_, plan| Ok(plan.decide(approve, reason, cx.actor.user_id, cx.now)?),
    )
}

/// Appends a progress note to a goal of a plan; whoever may read the
/// client, care-team members included.
pub fn add_note(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    plan: PlanId,
    goal: GoalId,
    text: LongText,
) -> Result<ProgressNote, ApiError> {
    let note = ProgressNote {
        id: ProgressNoteId::generate(),
        goal_id: goal,
        author_id: cx.actor.user_id,
        written_at: cx.now,
        text: text.as_str().to_owned(),
    };
    under_client(
        tx,
        cx,
        client,
        ClientAction::AddNote,
        AuditAction::RecordCreated,
        (ResourceType::ProgressNote, note.id.to_string()),
        |tx| {
            let plan = store::get_plan(tx, client, plan)?;
            if !plan.content.goals.iter().any(|g| g.id == goal) {
                return Err(ApiError::NotFound);
            }
            store::add_note(tx, plan.id, &note)?;
            Ok(note)
        },
    )
}

/// Every note on every goal of a plan, oldest first.
pub fn notes(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    plan: PlanId,
) -> Result<Vec<ProgressNote>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::ProgressNotes, plan.to_string()),
        |tx| {
            store::get_plan(tx, client, plan)?;
            Ok(store::notes(tx, plan)?)
        },
    )
}

/// A page of the plans of every client the actor may see, by review date,
/// audited as one event naming the clients whose plans were shown.
pub fn list(
    tx: &mut Tx,
    cx: &Cx,
    filter: &PlanFilter,
    after: Option<&(NaiveDate, String)>,
    limit: usize,
) -> Result<Page<Plan, (NaiveDate, String)>, ApiError> {
    let page = store::list_plans(tx, &client_scope(&cx.actor, cx.today), filter, after, limit)?;
    crate::usecases::audit_shown(
        tx,
        cx,
        ResourceType::PlanList,
        page.items.iter().map(|plan| plan.client_id),
    );
    Ok(page)
}
