//! The change feed: what changed in the records of the clients the actor
//! may see, in the order it committed.

use spoke_domain::audit::ResourceType;
use spoke_domain::change::Change;
use spoke_domain::policy::client_scope;
use spoke_persistence::changes as store;

use crate::context::Cx;
use crate::db::Tx;
use crate::problem::ApiError;
use crate::usecases::audit_shown;

/// Up to `limit` changes after the position `after`, and the position to
/// ask from next.
pub fn feed(
    tx: &mut Tx,
    cx: &Cx,
    after: i64,
    limit: usize,
) -> Result<(Vec<Change>, i64), ApiError> {
    let rows = store::after(tx, &client_scope(&cx.actor, cx.today), after, limit)?;
    let next = rows.last().map_or(after, |(seq, _)| *seq);
    let changes: Vec<Change> = rows.into_iter().map(|(_, c)| c).collect();
    audit_shown(
        tx,
        cx,
        ResourceType::ChangeFeed,
        changes.iter().map(|c| c.client_id),
    );
    Ok((changes, next))
}
