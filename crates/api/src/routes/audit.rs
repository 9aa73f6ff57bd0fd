//! Reading the audit log.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use spoke_domain::audit::AuditEvent;
use spoke_domain::ids::{ClientId, UserId};
use spoke_persistence::audit::AuditFilter;
use utoipa::IntoParams;

use crate::context::Caller;
use crate::extract::{ApiQuery, page_request};
use crate::openapi::Forbidden;
use crate::problem::ApiError;
use crate::routes::Page;
use crate::state::AppState;
use crate::usecases::audit as usecases;

/// Filters for the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditSearch {
    /// Only events about this client.
    pub client_id: Option<ClientId>,
    /// Only events by this user.
    pub actor_id: Option<UserId>,
    /// Events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Read the audit log.
///
/// Admins only. Newest first. The log is append-only: no operation changes or removes an entry.
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit_events",
    params(AuditSearch),
    responses(
        (status = 200, description = "A page of audit events.", body = Page<AuditEvent>),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<AuditSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request(search.limit, search.cursor.as_deref())?;
    let filter = AuditFilter {
        client_id: search.client_id,
        actor_id: search.actor_id,
        from: search.from,
        to: search.to,
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::events(tx, cx, &filter, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, AuditEvent::clone)))
}
