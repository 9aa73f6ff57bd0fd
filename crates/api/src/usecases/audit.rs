//! Reading the audit log: admins only. The log is append-only; nothing
//! here or anywhere changes an entry.

use spoke_domain::audit::AuditEvent;
use spoke_domain::policy::{StaffAction, authorize_staff};
use spoke_persistence::audit::{self as store, AuditFilter};
use spoke_persistence::page::{Keyset, Page};

use crate::context::Cx;
use crate::db::Tx;
use crate::problem::ApiError;
use crate::usecases::allowed;

/// A page of the events matching `filter`, newest first.
pub fn events(
    tx: &mut Tx,
    cx: &Cx,
    filter: &AuditFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<AuditEvent>, ApiError> {
    allowed(
        authorize_staff(&cx.actor, StaffAction::ReadAudit),
        "only an admin may read the audit log",
    )?;
    Ok(store::list(tx, filter, after, limit)?)
}
