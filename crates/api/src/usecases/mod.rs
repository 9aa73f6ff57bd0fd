//! Use cases: one function per thing a user can do, callable from a
//! handler, the command line, a worker or a test without HTTP.
//!
//! Each takes the unit of work (`&mut Tx`: the connection and the audit
//! trail), the context (`&Cx`: actor, clock reading, request id) and typed
//! input, and returns domain values. Inside it the policy is asked, the
//! domain decides, the store stores and the audit event is recorded. Whether
//! it runs as a read or a write is the caller's choice of
//! [`AppState::read_as`](crate::state::AppState::read_as) or
//! [`AppState::write_as`](crate::state::AppState::write_as); a use case that
//! writes fails loudly in a read.

pub mod alerts;
pub mod appointments;
pub mod assessments;
pub mod audit;
pub mod benefits;
pub mod care;
pub mod changes;
pub mod claims;
pub mod clients;
pub mod contacts;
pub mod directory;
pub mod episodes;
pub mod events;
pub mod partner;
pub mod plans;
pub mod referrals;
pub mod safety_plans;
pub mod staff;
pub mod transfers;
pub mod webhooks;
pub mod worklist;

use chrono::{DateTime, Utc};
use spoke_domain::Versioned;
use spoke_domain::policy::Decision;
use spoke_persistence::StoreError;

use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;

/// The one way a versioned record changes: the caller's If-Match against
/// the version loaded, the change (which says whether anything changed),
/// and only then the touch and the save at the version loaded. Returns
/// whether the record changed; an unchanged record is not saved again. A
/// domain method that marks its own change (raises the version) is not
/// touched twice.
pub fn change_versioned<R: Versioned>(
    tx: &mut Tx,
    record: &mut R,
    if_match: &IfMatch,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut Tx, &mut R) -> Result<bool, ApiError>,
    save: impl FnOnce(&mut Tx, &R, i32) -> Result<(), ApiError>,
) -> Result<bool, ApiError> {
    if_match.check(record.version())?;
    let expected = record.version();
    if !change(tx, record)? {
        return Ok(false);
    }
    if record.version() == expected {
        record.touch(now);
    }
    save(tx, record, expected)?;
    Ok(true)
}

/// Turns a policy decision into a result: hidden things are 404s.
pub fn allowed(decision: Decision, forbidden: &'static str) -> Result<(), ApiError> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Forbidden => Err(ApiError::Forbidden(forbidden)),
        Decision::Hidden => Err(ApiError::NotFound),
    }
}

/// A reference to another record that must exist, or a 422 on `field`.
pub fn must_exist<T>(field: &str, result: Result<T, StoreError>) -> Result<T, ApiError> {
    result.map_err(|error| match error {
        StoreError::NotFound => {
            ApiError::invalid_field(field, "unknown_reference", "no record has this id")
        }
        other => other.into(),
    })
}

/// Records that the actor of `cx` did `action` on `resource`, a record kept
/// about `client`: the audit event of every use case under a client.
pub(crate) fn audit_record(
    tx: &mut Tx,
    cx: &crate::context::Cx,
    client: spoke_domain::ids::ClientId,
    action: spoke_domain::audit::AuditAction,
    resource: (spoke_domain::audit::ResourceType, String),
) {
    tx.audit(spoke_domain::audit::AuditEvent::for_record(
        cx.actor.user_id,
        action,
        client,
        resource,
        &cx.request_id,
        cx.now,
    ));
}

/// Checks that the directory organization a record names, if any, exists
/// (a 422 on `organization_id` otherwise).
pub(crate) fn known_organization(
    conn: &mut spoke_persistence::DbConnection,
    organization: Option<spoke_domain::ids::OrganizationId>,
) -> Result<(), ApiError> {
    if let Some(organization) = organization {
        must_exist(
            "organization_id",
            spoke_persistence::directory::get_organization(conn, organization),
        )?;
    }
    Ok(())
}

/// Records that a list across clients showed `clients` (in order): one
/// `kind` event naming them all, none for an empty page.
pub(crate) fn audit_shown(
    tx: &mut Tx,
    cx: &crate::context::Cx,
    kind: spoke_domain::audit::ResourceType,
    clients: impl IntoIterator<Item = spoke_domain::ids::ClientId>,
) {
    if let Some(event) = spoke_domain::audit::AuditEvent::for_page(
        cx.actor.user_id,
        spoke_domain::audit::AuditAction::RecordRead,
        kind,
        clients,
        &cx.request_id,
        cx.now,
    ) {
        tx.audit(event);
    }
}

/// Whether the actor, who may read the client, may read a record of the
/// care of `sensitivity` made by `author`: another's mental-health or
/// substance use record is not found by a care-team member.
pub(crate) fn readable(
    actor: &spoke_domain::policy::Actor,
    sensitivity: spoke_domain::consent::ConsentCategory,
    author: spoke_domain::ids::UserId,
) -> Result<(), ApiError> {
    if spoke_domain::policy::care_record_visible(actor, sensitivity, author) {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}
