//! The pages the problem `type` URIs resolve to.

use actix_web::{HttpResponse, get, web};

use crate::problem::{ApiError, ProblemType};

/// Explain a problem type.
///
/// The page a problem's `type` (`/problems/validation`, `/problems/stale-etag`, ...) resolves to: what the
/// problem means and what to do about it.
#[utoipa::path(
    tag = "health", operation_id = "get_problem_type",
    params(("slug" = String, Path, description = "The problem type: validation, malformed-request, illegal-status-move, illegal-referral-move, illegal-move, stale-etag, if-match-required, idempotency-key-reused", example = "stale-etag")),
    responses(
        (status = 200, description = "A short HTML page.", content_type = "text/html; charset=utf-8", body = String,
         example = json!("<!doctype html><title>The resource has changed</title>...")),
    ),
    security(())
)]
#[get("/problems/{slug}")]
pub async fn get_problem_type(slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let kind = ProblemType::parse(&slug).ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(page(kind)))
}

/// The page: the title, the status, the explanation with its `code` spans.
fn page(kind: ProblemType) -> String {
    let mut explanation = String::new();
    for (index, part) in kind.explanation().split('`').enumerate() {
        if index % 2 == 1 {
            explanation.push_str(&format!("<code>{part}</code>"));
        } else {
            explanation.push_str(part);
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><meta charset=\"utf-8\"><title>{title}</title>\n\
         <h1>{title}</h1>\n<p>HTTP {status}, <code>type: {uri}</code></p>\n<p>{explanation}</p>\n\
         <p>Every error of the Spoke API is an RFC 9457 <code>application/problem+json</code> document; \
         quote its <code>request_id</code> when you report one.</p>\n</html>\n",
        title = kind.title(),
        status = kind.status().as_u16(),
        uri = kind.uri(),
    )
}
