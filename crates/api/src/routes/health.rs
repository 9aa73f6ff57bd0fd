//! Probes for orchestrators and load balancers; no sign-in needed.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
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
