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

pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// A W3C Trace Context `traceparent`: version `00`, a 32-hex trace id and a
/// 16-hex parent id (neither all zeros), 2-hex flags. Gives (trace id, flags).
fn parse_traceparent(value: &HeaderValue) -> Option<(String, String)> {
    let text = value.to_str().ok()?.trim();
    let mut parts = text.split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && s.bytes().any(|b| b != b'0')
    };
    (version == "00" && parts.next().is_none() && hex(trace, 32) && hex(parent, 16) && {
        flags.len() == 2 && flags.bytes().all(|b| b.is_ascii_hexdigit())
    })
    .then(|| (trace.to_owned(), flags.to_ascii_lowercase()))
}

/// The trace this request belongs to, and the `traceparent` it answers
/// with: the caller's trace (or one made from the request id) and a new
/// span id for this server's part of it.
fn trace_of(incoming: Option<(String, String)>, request_id: &str) -> (String, String) {
    let (trace, flags) = incoming.unwrap_or_else(|| {
        let trace = uuid::Uuid::parse_str(request_id)
            .unwrap_or_else(|_| uuid::Uuid::now_v7())
            .simple()
            .to_string();
        (trace, "00".to_owned())
    });
    let span = format!("{:016x}", rand::random::<u64>().max(1));
    let header = format!("00-{trace}-{span}-{flags}");
    (trace, header)
}

/// Marks an error response whose body a standard dictates (the OAuth 2.0
/// token endpoint's RFC 6749 errors): it leaves as it is, not as problem+json.
#[derive(Debug, Clone, Copy)]
pub struct OwnErrorBody;

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // The request id: the caller's X-Request-Id, else its trace id, else new.
    let incoming_trace = req.headers().get(&TRACEPARENT).and_then(parse_traceparent);
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(usable_request_id)
        .or_else(|| incoming_trace.as_ref().map(|(trace, _)| trace.clone()))
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let (trace_id, traceparent) = trace_of(incoming_trace, &request_id);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", request_id = %request_id, %trace_id, %method, %path);
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
    if let Ok(value) = HeaderValue::from_str(&traceparent) {
        response.headers_mut().insert(TRACEPARENT, value);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_is_continued() {
        let incoming =
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        let parsed = parse_traceparent(&incoming).unwrap();
        assert_eq!(parsed.0, "4bf92f3577b34da6a3ce929d0e0e4736");
        let (trace, header) = trace_of(Some(parsed), "ignored");
        assert_eq!(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(header.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        assert!(header.ends_with("-01"));
        assert!(!header.contains("00f067aa0ba902b7"), "a new span id");
    }

    #[test]
    fn malformed_traceparents_are_ignored() {
        for bad in [
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "garbage",
        ] {
            assert!(
                parse_traceparent(&HeaderValue::from_static(bad)).is_none(),
                "{bad}"
            );
        }
    }

    #[test]
    fn without_one_the_trace_is_the_request_id() {
        let id = uuid::Uuid::now_v7();
        let (trace, header) = trace_of(None, &id.to_string());
        assert_eq!(trace, id.simple().to_string());
        assert!(header.starts_with(&format!("00-{trace}-")));
        assert!(header.ends_with("-00"));
    }
}
