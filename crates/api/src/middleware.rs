//! The request middleware: request ids, one log line per request, and the
//! guarantee that every error response leaves as problem+json.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;

use crate::extract::RequestId;
use crate::problem::Problem;
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client-sent request id is kept when it is short, visible ASCII.
fn usable_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    (!text.is_empty() && text.len() <= 128 && text.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| text.to_owned())
}

/// Marks an error response whose body a standard dictates (the OAuth 2.0
/// token endpoint's RFC 6749 errors): it leaves as it is, not as problem+json.
#[derive(Debug, Clone, Copy)]
pub struct OwnErrorBody;

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(usable_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", request_id = %request_id, %method, %path);
    let started = Instant::now();

    let response = next.call(req).instrument(span.clone()).await?;
    let status = response.status();
    if let Some(state) = response
        .request()
        .app_data::<actix_web::web::Data<AppState>>()
    {
        let route = response.request().match_pattern();
        state.metrics.request(
            &method,
            route.as_deref().unwrap_or("unmatched"),
            status.as_u16(),
            started.elapsed(),
        );
    }
    let keep = response
        .response()
        .extensions()
        .get::<OwnErrorBody>()
        .is_some();
    let mut response = if (status.is_client_error() || status.is_server_error()) && !keep {
        let mut problem = response
            .response()
            .extensions()
            .get::<Problem>()
            .cloned()
            .unwrap_or_else(|| Problem::from_status(status));
        problem.instance = Some(path);
        problem.request_id = Some(request_id.clone());
        let (request, old) = response.into_parts();
        let mut fresh = problem.into_response();
        for (name, value) in old.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                fresh.headers_mut().insert(name.clone(), value.clone());
            }
        }
        ServiceResponse::new(request, fresh)
    } else {
        response.map_into_boxed_body()
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request finished"
        );
    });
    Ok(response)
}
