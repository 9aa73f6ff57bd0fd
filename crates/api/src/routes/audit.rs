//! Reading the audit log.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::audit::{AuditAction, AuditEvent};
use spoke_domain::ids::{AuditEventId, ClientId, UserId};
use spoke_domain::policy::{StaffAction, authorize_staff};
use spoke_persistence::audit::{self as store, AuditFilter};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authenticated;
use crate::extract::{ApiQuery, page_request};
use crate::openapi::Forbidden;
use crate::problem::ApiError;
use crate::routes::{Page, allowed};
use crate::state::AppState;

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-8c00-7d11-9e22-2f3a4b5c6d7e", "occurred_at": "2026-11-26T09:30:00.123456Z",
    "actor_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "action": "client.read",
    "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "resource_type": "client",
    "resource_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "request_id": "01936b2e-7a10-7f55-b1a8-9c3d2e1f0a44"
}))]
pub struct AuditEventView {
    pub id: AuditEventId,
    pub occurred_at: DateTime<Utc>,
    /// The staff user who acted.
    pub actor_id: UserId,
    pub action: AuditAction,
    pub client_id: ClientId,
    /// The kind of record touched.
    pub resource_type: String,
    pub resource_id: String,
    /// The `X-Request-Id` of the request.
    pub request_id: String,
}

impl From<&AuditEvent> for AuditEventView {
    fn from(event: &AuditEvent) -> Self {
        AuditEventView {
            id: event.id,
            occurred_at: event.occurred_at,
            actor_id: event.actor_id,
            action: event.action,
            client_id: event.client_id,
            resource_type: event.resource_type.clone(),
            resource_id: event.resource_id.clone(),
            request_id: event.request_id.clone(),
        }
    }
}

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
        (status = 200, description = "A page of audit events.", body = Page<AuditEventView>),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: ApiQuery<AuditSearch>,
) -> Result<HttpResponse, ApiError> {
    allowed(
        authorize_staff(&auth.actor(), StaffAction::ReadAudit),
        "only an admin may read the audit log",
    )?;
    let search = query.0;
    let (limit, after) = page_request(search.limit, search.cursor.as_deref())?;
    let filter = AuditFilter {
        client_id: search.client_id,
        actor_id: search.actor_id,
        from: search.from,
        to: search.to,
    };
    let page = state
        .db(move |conn| Ok(store::list(conn, &filter, after.as_ref(), limit)?))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |event| AuditEventView::from(event))))
}
