//! Probes for orchestrators and load balancers; no sign-in needed.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::problem::ApiError;
use crate::state::AppState;

/// The answer of a probe.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok` for liveness, `ready` for readiness.
    pub status: &'static str,
}

/// Is the process up?
///
/// Answers 200 as long as the process serves HTTP; it does not touch the database.
#[utoipa::path(
    tag = "health",
    operation_id = "get_health",
    responses((status = 200, description = "The process is up.", body = Health)),
    security(())
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Can the service take traffic?
///
/// Answers 200 when the database answers a query; 503 with `Retry-After` otherwise, within about a
/// second (the connection checkout timeout).
#[utoipa::path(
    tag = "health",
    operation_id = "get_readiness",
    responses(
        (status = 200, description = "The database is reachable.", body = Health),
        (status = 503, response = crate::openapi::ServiceUnavailable),
    ),
    security(())
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let database = state.db.database().clone();
    let reachable = web::block(move || database.ping())
        .await
        .map_err(ApiError::internal)?;
    match reachable {
        Ok(()) => Ok(HttpResponse::Ok().json(Health { status: "ready" })),
        Err(error) => Err(ApiError::Unavailable(error.to_string())),
    }
}

/// Prometheus metrics.
///
/// The OpenMetrics text exposition: `spoke_http_requests_total` and `spoke_http_request_duration_seconds` by
/// route pattern, method and status; `spoke_db_pool_connections` (in use, idle) and
/// `spoke_db_connection_wait_seconds`; `spoke_webhook_outbox_pending` and
/// `spoke_webhook_outbox_oldest_pending_age_seconds`; `spoke_audit_group_commit_size`;
/// `spoke_sign_in_throttled_total`. When the deployment sets `SPOKE_METRICS_TOKEN`, send it as a bearer
/// token.
#[utoipa::path(
    tag = "health",
    operation_id = "get_metrics",
    responses(
        (status = 200, description = "The metrics.", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String,
         example = json!("# HELP spoke_webhook_outbox_pending Webhook deliveries waiting to be delivered.\n# TYPE spoke_webhook_outbox_pending gauge\nspoke_webhook_outbox_pending 0\n# EOF\n")),
        (status = 401, response = crate::openapi::Unauthorized),
    ),
    security((), ("bearer" = []))
)]
#[get("/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &state.metrics_token {
        let given = crate::auth::bearer_token(&req)?;
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(ApiError::Unauthorized("the metrics token is wrong"));
        }
    }
    let now = state.clock.now();
    let (pending, oldest) = state
        .read(|tx| Ok(spoke_persistence::webhooks::backlog(tx)?))
        .await?;
    let snapshot = crate::metrics::Snapshot {
        pools: state
            .db
            .database()
            .pool_state()
            .into_iter()
            .map(|(name, in_use, idle)| crate::metrics::PoolState { name, in_use, idle })
            .collect(),
        outbox_pending: pending,
        outbox_oldest_pending_seconds: oldest.map_or(0, |at| (now - at).num_seconds().max(0)),
    };
    let text = state
        .metrics
        .render(&snapshot)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(text))
}
