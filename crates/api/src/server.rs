//! Building and running the HTTP server.

use std::net::TcpListener;

use actix_web::dev::{ResourceDef, Server};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{Tokens, decoy_hash};
use crate::extract::MAX_BODY_BYTES;
use crate::openapi::{self, ApiDoc};
use crate::problem::ApiError;
use crate::state::AppState;
use spoke_persistence::Database;

/// Brings a database up to date: pending migrations, then the default
/// taxonomy's missing terms, the built-in assessment instruments and the
/// built-in billing configuration (Medicaid targeted case management).
/// Returns the migrations applied.
pub fn prepare_database(
    database: &Database,
) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    let mut conn = database.conn()?;
    let applied = spoke_persistence::run_migrations(&mut conn)?;
    spoke_persistence::transaction(&mut conn, |conn| {
        spoke_persistence::directory::ensure_default_taxonomy(conn, spoke_persistence::now())
    })?;
    let refolded = spoke_persistence::transaction(&mut conn, |conn| {
        spoke_persistence::clients::backfill_search_names(conn, spoke_persistence::now())
    });
    match refolded {
        Ok(0) => {}
        Ok(changed) => tracing::info!(changed, "folded stored client names for search"),
        // Another instance starting at the same moment did it first.
        Err(spoke_persistence::StoreError::Conflict(_)) => {}
        Err(other) => return Err(other.into()),
    }
    let builtin = spoke_persistence::transaction(&mut conn, |conn| {
        let now = spoke_persistence::now();
        spoke_persistence::assessments::ensure_builtin_instruments(conn, now)?;
        spoke_persistence::contacts::ensure_builtin_config(conn, now)
    });
    match builtin {
        // Another instance starting at the same moment added them first.
        Ok(_) | Err(spoke_persistence::StoreError::Conflict(_)) => {}
        Err(other) => return Err(other.into()),
    }
    Ok(applied)
}

/// The OpenAPI document, generated from the routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    openapi::finish(api)
}

/// The OpenAPI document as the committed `openapi/openapi.json` holds it.
pub fn openapi_json() -> String {
    let mut text = openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// Everything a server needs besides its listener.
#[derive(Debug)]
pub struct ServerSettings {
    pub database: Database,
    pub jwt_secret: Vec<u8>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub token_lifetime: chrono::Duration,
    /// Worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// The deployment's time zone, for the directory's "open now" and "today".
    pub timezone: chrono_tz::Tz,
    /// Stops the clock at this moment (tests); `None` reads the system clock.
    pub fixed_now: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether a supervisor must approve a service plan before it becomes active.
    pub plan_approval_required: bool,
    /// Whether a supervisor must approve a case manager's discharge.
    pub discharge_approval_required: bool,
    /// Working hours and the late-entry allowance for contacts.
    pub contact_rules: spoke_domain::contact::ContactRules,
    /// The payer whose billing configuration judges signed contacts.
    pub billing_payer: String,
    /// How the webhook delivery worker runs.
    pub webhooks: crate::webhooks::WorkerSettings,
    /// Whether this process runs the webhook worker (deployments may run it
    /// apart, as `spoke worker`).
    pub run_worker: bool,
    /// The header a trusted reverse proxy puts the client's address in;
    /// `None` takes the peer's address.
    pub client_address_header: Option<actix_web::http::header::HeaderName>,
    /// The bearer token `/metrics` asks for; `None` leaves it open.
    pub metrics_token: Option<String>,
    /// Periodic upkeep, and the sign-in limits it outlives.
    pub upkeep: crate::maintenance::Upkeep,
}

impl ServerSettings {
    pub fn state(&self) -> AppState {
        let db = crate::db::Db::new(self.database.clone());
        let clock = match self.fixed_now {
            Some(at) => crate::context::Clock::fixed(self.timezone, at),
            None => crate::context::Clock::new(self.timezone),
        };
        AppState {
            metrics: crate::metrics::Metrics::new(db.metrics()),
            metrics_token: self.metrics_token.clone(),
            db,
            tokens: Tokens::new(
                &self.jwt_secret,
                &self.jwt_issuer,
                &self.jwt_audience,
                self.token_lifetime,
            ),
            sign_in_limits: self.upkeep.sign_in,
            client_address_header: self.client_address_header.clone(),
            decoy_hash: decoy_hash(),
            clock,
            plan_approval_required: self.plan_approval_required,
            discharge_approval_required: self.discharge_approval_required,
            contacts: crate::usecases::contacts::ContactSettings {
                rules: self.contact_rules.clone(),
                payer: self.billing_payer.clone(),
                clock,
            },
            webhook_loopback: self.webhooks.loopback,
        }
    }
}

/// The methods each path of the API answers, taken from the generated
/// document (and so from the routes), to tell a 405 from a 404.
#[derive(Debug)]
pub struct KnownRoutes(Vec<(ResourceDef, Vec<String>)>);

impl KnownRoutes {
    pub fn from_spec(api: &utoipa::openapi::OpenApi) -> KnownRoutes {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = crate::openapi::operations(item)
                    .map(|(method, _)| method.to_ascii_uppercase())
                    .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        KnownRoutes(routes)
    }

    /// The methods `path` answers, or `None` when no route has this path.
    /// Of the patterns that match, the most specific counts (fewest
    /// parameters): `/v1/clients/{id}/assessments/trend` over
    /// `/v1/clients/{id}/assessments/{assessment_id}`.
    pub fn allowed(&self, path: &str) -> Option<&[String]> {
        self.0
            .iter()
            .filter(|(pattern, _)| pattern.is_match(path))
            .min_by_key(|(pattern, _)| pattern.pattern().map_or(0, |p| p.matches('{').count()))
            .map(|(_, methods)| methods.as_slice())
    }
}

/// A path whose parameters do not parse: a 405 when a more specific route
/// has this path but not this method (`PUT .../assessments/trend` is not an
/// assessment id), else a 400 that names no parser internals.
fn path_error(error: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    let routes = req.app_data::<web::Data<KnownRoutes>>();
    if let Some(methods) = routes.and_then(|routes| routes.allowed(req.path()))
        && !methods.iter().any(|m| m == req.method().as_str())
    {
        return ApiError::MethodNotAllowed(methods.to_vec()).into();
    }
    tracing::debug!(%error, "path parameter refused");
    ApiError::bad_request(
        "a path parameter is not valid: ids are UUIDs, as the contract gives them",
    )
    .into()
}

async fn unknown_route(
    req: HttpRequest,
    routes: web::Data<KnownRoutes>,
) -> Result<HttpResponse, ApiError> {
    match routes.allowed(req.path()) {
        Some(methods) => Err(ApiError::MethodNotAllowed(methods.to_vec())),
        None => Err(ApiError::NotFound),
    }
}

/// Starts serving on `listener`. The returned server stops gracefully on
/// SIGTERM or SIGINT: it stops accepting, lets requests in flight finish
/// (up to 30 seconds), then returns.
pub fn serve(settings: &ServerSettings, listener: TcpListener) -> std::io::Result<Server> {
    let state = web::Data::new(settings.state());
    if settings.run_worker {
        crate::webhooks::Worker::new(state.db.clone(), state.clock, settings.webhooks).spawn();
        crate::maintenance::spawn_alert_sweep(
            state.db.clone(),
            state.clock,
            settings.upkeep.alert_sweep,
        );
    }
    crate::maintenance::spawn(state.db.clone(), state.clock, settings.upkeep);
    let spec = openapi();
    let routes = web::Data::new(KnownRoutes::from_spec(&spec));
    let mut server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .app_data(state.clone())
            .app_data(routes.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .configure(crate::routes::configure)
            .split_for_parts();
        // No outside validator: the docs page works offline on any host.
        let docs = SwaggerUi::new("/docs/{_:.*}")
            .url("/openapi.json", spec.clone())
            .config(utoipa_swagger_ui::Config::default().validator_url("none"));
        app.service(docs)
            .default_service(web::to(unknown_route))
            .wrap(from_fn(crate::middleware::request_context))
    })
    .shutdown_timeout(30);
    if let Some(workers) = settings.workers {
        server = server.workers(workers);
    }
    let server = server.listen(listener)?.run();
    Ok(server)
}
