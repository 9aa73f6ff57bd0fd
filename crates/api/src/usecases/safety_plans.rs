//! Safety plans: written by the client's keepers, read by whoever may read
//! the client (a care-team member too: the plan is for the people who help
//! in a crisis); every version kept.

use spoke_domain::audit::{AuditAction, ResourceType};
use spoke_domain::ids::ClientId;
use spoke_domain::policy::ClientAction;
use spoke_domain::safety_plan::{SafetyPlan, SafetyPlanSections};
use spoke_persistence::safety_plans as store;

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::clients::under_client;

fn resource(client: ClientId) -> (ResourceType, String) {
    (ResourceType::SafetyPlan, client.to_string())
}

/// The current version; a client without a plan has none (404).
pub fn get(tx: &mut Tx, cx: &Cx, client: ClientId) -> Result<SafetyPlan, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        resource(client),
        |tx| store::current(tx, client)?.ok_or(ApiError::NotFound),
    )
}

/// Every version, the newest first.
pub fn versions(tx: &mut Tx, cx: &Cx, client: ClientId) -> Result<Vec<SafetyPlan>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        resource(client),
        |tx| Ok(store::versions(tx, client)?),
    )
}

/// Writes the next version, under If-Match of the current one (`"0"` or
/// `*` for the first).
pub fn revise(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    if_match: &IfMatch,
    sections: SafetyPlanSections,
) -> Result<SafetyPlan, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        resource(client),
        |tx| {
            let current = store::current(tx, client)?;
            if_match.check(current.as_ref().map_or(0, |plan| plan.version))?;
            let next =
                SafetyPlan::revise(client, current.as_ref(), sections, cx.actor.user_id, cx.now)?;
            store::insert(tx, &next)?;
            Ok(next)
        },
    )
}
