//! The change feed over HTTP.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use spoke_domain::change::Change;
use utoipa::{IntoParams, ToSchema};

use crate::context::Caller;
use crate::extract::{ApiQuery, encode_cursor, page_request};
use crate::problem::ApiError;
use crate::state::AppState;
use crate::usecases::changes as usecases;

/// Where a reader of the feed stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct FeedPosition {
    seq: i64,
}

/// Filters for the change feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChangeSearch {
    /// `next_cursor` of the previous answer; without it, the feed from its start.
    pub after: Option<String>,
    /// How many changes, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Changes, oldest first, and where to ask next.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "record_type": "critical_event", "record_id": "01936b40-1a00-7c11-8d22-3e4f5a6b7c8d",
        "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "action": "record.created",
        "at": "2026-11-26T08:00:00Z"
    }],
    "next_cursor": "eyJzZXEiOjQyfQ"
}))]
pub struct ChangeFeed {
    pub items: Vec<Change>,
    /// Pass as `after` to get what comes next: always set (the same cursor
    /// again when nothing new has happened), the same on every instance.
    pub next_cursor: String,
}

/// Follow the changes.
///
/// One ordered feed of changes to the records of the clients the caller may see (the client, its contacts,
/// appointments, plans, assessments, referrals, events, alerts, ...): the record's type and id, its client,
/// what happened and when. Keep a local copy in step by reading the record again when it changes; poll with
/// the last `next_cursor`. Changes commit in feed order, so a reader never skips one.
#[utoipa::path(
    tag = "clients", operation_id = "list_changes", params(ChangeSearch),
    responses((status = 200, description = "The next changes.", body = ChangeFeed)),
    security(("bearer" = []))
)]
#[get("/changes")]
pub async fn list_changes(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ChangeSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request::<FeedPosition>(search.limit, search.after.as_deref())?;
    let after = after.map_or(0, |p| p.seq);
    let (items, next) = state
        .read_as(caller, move |tx, cx| usecases::feed(tx, cx, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(ChangeFeed {
        items,
        next_cursor: encode_cursor(&FeedPosition { seq: next }),
    }))
}
