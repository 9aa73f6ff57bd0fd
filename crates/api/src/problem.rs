//! RFC 9457 problem details: the one shape of every error Spoke returns.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use spoke_domain::assessment::AssessmentError;
use spoke_domain::claim::ClaimError;
use spoke_domain::client::{ClientStatus, IllegalStatusMove};
use spoke_domain::contact::ContactError;
use spoke_domain::lifecycle::IllegalMove;
use spoke_domain::partner::ApiClientError;
use spoke_domain::plan::PlanError;
use spoke_domain::referral::ReferralError;
use spoke_domain::staff::StaffError;
use spoke_domain::{FieldError, FieldErrors};
use spoke_persistence::StoreError;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem details object.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "The request is not valid",
    "status": 422,
    "detail": "2 field(s) are invalid",
    "instance": "/v1/clients",
    "request_id": "01936b2e-7a10-7f55-b1a8-9c3d2e1f0a44",
    "errors": [
        {"field": "family_name", "code": "required", "message": "must not be empty"},
        {"field": "date_of_birth", "code": "in_future", "message": "date of birth cannot be in the future"}
    ]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem; `about:blank` when the
    /// HTTP status says it all.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// An explanation of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The `X-Request-Id` of the request, for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Each invalid field (validation problems only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The statuses allowed from the current one (illegal status moves only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_statuses: Option<Vec<ClientStatus>>,
    /// The record's status when a move was refused (illegal moves only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_status: Option<&'static str>,
    /// The moves the caller may make from the current status now (illegal moves only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_moves: Option<Vec<&'static str>>,
}

/// The kinds of problem that say more than their status, each with a page
/// at its `type` URI (`GET /problems/{slug}`) that explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    Validation,
    MalformedRequest,
    IllegalStatusMove,
    IllegalReferralMove,
    IllegalMove,
    StaleEtag,
    IfMatchRequired,
    IdempotencyKeyReused,
}

impl ProblemType {
    pub const ALL: [ProblemType; 8] = [
        ProblemType::Validation,
        ProblemType::MalformedRequest,
        ProblemType::IllegalStatusMove,
        ProblemType::IllegalReferralMove,
        ProblemType::IllegalMove,
        ProblemType::StaleEtag,
        ProblemType::IfMatchRequired,
        ProblemType::IdempotencyKeyReused,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ProblemType::Validation => "validation",
            ProblemType::MalformedRequest => "malformed-request",
            ProblemType::IllegalStatusMove => "illegal-status-move",
            ProblemType::IllegalReferralMove => "illegal-referral-move",
            ProblemType::IllegalMove => "illegal-move",
            ProblemType::StaleEtag => "stale-etag",
            ProblemType::IfMatchRequired => "if-match-required",
            ProblemType::IdempotencyKeyReused => "idempotency-key-reused",
        }
    }

    pub fn parse(slug: &str) -> Option<ProblemType> {
        ProblemType::ALL
            .into_iter()
            .find(|kind| kind.slug() == slug)
    }

    /// The `type` member: a path on this server.
    pub fn uri(self) -> String {
        format!("/problems/{}", self.slug())
    }

    pub fn status(self) -> StatusCode {
        match self {
            ProblemType::Validation | ProblemType::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ProblemType::MalformedRequest => StatusCode::BAD_REQUEST,
            ProblemType::IllegalStatusMove
            | ProblemType::IllegalReferralMove
            | ProblemType::IllegalMove => StatusCode::CONFLICT,
            ProblemType::StaleEtag => StatusCode::PRECONDITION_FAILED,
            ProblemType::IfMatchRequired => StatusCode::PRECONDITION_REQUIRED,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemType::Validation => "The request is not valid",
            ProblemType::MalformedRequest => "The request is malformed",
            ProblemType::IllegalStatusMove => "This status change is not allowed",
            ProblemType::IllegalReferralMove | ProblemType::IllegalMove => {
                "This move is not allowed"
            }
            ProblemType::StaleEtag => "The resource has changed",
            ProblemType::IfMatchRequired => "If-Match is required",
            ProblemType::IdempotencyKeyReused => {
                "The Idempotency-Key was already used with another request"
            }
        }
    }

    /// What it means and what to do, for its page.
    pub fn explanation(self) -> &'static str {
        match self {
            ProblemType::Validation => {
                "The body or query parsed, but some values break a rule. `errors` lists each one with the \
                 field's path, a stable `code` (such as `too_long`, `unknown_field`, `duplicate_key`, \
                 `in_future`) and a message for people. Fix those fields and send again; nothing was stored."
            }
            ProblemType::MalformedRequest => {
                "The request could not be read: a body that is not JSON, a path id that is not a UUID, a \
                 query parameter of the wrong type or unknown, or a cursor this API did not issue. Nothing \
                 was done."
            }
            ProblemType::IllegalStatusMove => {
                "The client's status cannot move from its current one to the one asked. \
                 `current_status` and `allowed_statuses` say where it can go now."
            }
            ProblemType::IllegalReferralMove => {
                "The referral cannot make this move now, or not by your side of the loop. \
                 `current_status` and `allowed_moves` say which moves you may make."
            }
            ProblemType::IllegalMove => {
                "The record (an appointment, a ride, a benefits application) cannot move from its \
                 current status to the one asked, or not yet: an appointment is kept or missed only once \
                 it has begun. `current_status` and `allowed_moves` say which moves you may make now."
            }
            ProblemType::StaleEtag => {
                "Someone changed the resource since you read it: your If-Match is not its current ETag. \
                 Read it again, reapply your change to what you read, and send it with the new ETag."
            }
            ProblemType::IfMatchRequired => {
                "Changes need the resource's current ETag in If-Match, so two people never overwrite each \
                 other unknowingly. Read the resource and send its ETag."
            }
            ProblemType::IdempotencyKeyReused => {
                "This Idempotency-Key was first used with a different request (method, path or body). Use a \
                 new key for a new request; retry with the same body to get the first answer again."
            }
        }
    }
}

impl Problem {
    /// A problem whose status says it all.
    pub fn from_status(status: StatusCode) -> Problem {
        Problem {
            problem_type: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: None,
            instance: None,
            request_id: None,
            errors: Vec::new(),
            allowed_statuses: None,
            current_status: None,
            allowed_moves: None,
        }
    }

    fn typed(kind: ProblemType) -> Problem {
        Problem {
            problem_type: kind.uri(),
            title: kind.title().to_owned(),
            ..Problem::from_status(kind.status())
        }
    }

    fn detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The response carrying this problem.
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if self.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = response.body(body);
        // The request middleware fills in `instance` and `request_id`.
        response.extensions_mut().insert(self);
        response
    }
}

/// Every way a request can fail, each mapped to one problem.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(FieldErrors),
    #[error("{detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    /// The path exists but not with this method; holds the allowed methods.
    #[error("method not allowed")]
    MethodNotAllowed(Vec<String>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    IllegalStatusMove(#[from] IllegalStatusMove),
    #[error("{0}")]
    IllegalMove(#[from] IllegalMove),
    #[error("the resource changed since it was read")]
    PreconditionFailed,
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("If-Match is required")]
    PreconditionRequired,
    #[error("too many attempts")]
    TooManyRequests { retry_after_seconds: u64 },
    #[error("the Idempotency-Key was used with a different request")]
    IdempotencyMismatch,
    /// The database cannot be reached (down, unreachable, or every
    /// connection busy past the checkout timeout): 503 with `Retry-After`.
    /// The cause is logged, never sent.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The cause, with its chain of sources, is logged, never sent.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn invalid_field(field: &str, code: &'static str, message: &str) -> ApiError {
        ApiError::Validation(FieldErrors::single(
            field,
            spoke_domain::ValueError::new(code, message),
        ))
    }

    /// An internal error caused by `cause` (an error, kept with its
    /// sources for the log, or a message).
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
        ApiError::Internal(cause.into())
    }

    pub fn problem(&self) -> Problem {
        match self {
            ApiError::Validation(errors) => Problem {
                errors: errors.0.clone(),
                ..Problem::typed(ProblemType::Validation)
                .detail(errors.to_string())
            },
            ApiError::BadRequest { detail, errors } => Problem {
                errors: errors.clone(),
                ..Problem::typed(ProblemType::MalformedRequest)
                    .detail(detail.clone())
            },
            ApiError::Unauthorized(detail) => {
                Problem::from_status(StatusCode::UNAUTHORIZED).detail(*detail)
            }
            ApiError::Forbidden(detail) => Problem::from_status(StatusCode::FORBIDDEN).detail(*detail),
            ApiError::NotFound => Problem::from_status(StatusCode::NOT_FOUND)
                .detail("no such resource, or you may not see it"),
            ApiError::MethodNotAllowed(allowed) => Problem::from_status(StatusCode::METHOD_NOT_ALLOWED)
                .detail(format!("this path answers {}", allowed.join(", "))),
            ApiError::Conflict(detail) => {
                Problem::from_status(StatusCode::CONFLICT).detail(detail.clone())
            }
            ApiError::IllegalStatusMove(refused) => Problem {
                allowed_statuses: Some(refused.allowed.clone()),
                ..Problem::typed(ProblemType::IllegalStatusMove)
                .detail(refused.to_string())
            },
            ApiError::IllegalMove(refused) => Problem {
                current_status: Some(refused.from),
                allowed_moves: Some(refused.allowed.clone()),
                // Referrals keep the type partners already match on.
                ..Problem::typed(if refused.record == "referral" {
                    ProblemType::IllegalReferralMove
                } else {
                    ProblemType::IllegalMove
                })
                .detail(refused.detail.clone())
            },
            ApiError::PreconditionFailed => Problem::typed(ProblemType::StaleEtag)
            .detail("the If-Match ETag is not the current one: read the resource again and reapply your change"),
            ApiError::PayloadTooLarge => Problem::from_status(StatusCode::PAYLOAD_TOO_LARGE)
                .detail("request bodies may be at most 1 MiB"),
            ApiError::UnsupportedMediaType(detail) => {
                Problem::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE).detail(detail.clone())
            }
            ApiError::PreconditionRequired => Problem::typed(ProblemType::IfMatchRequired)
            .detail("send the resource's current ETag in If-Match to change it"),
            ApiError::TooManyRequests { retry_after_seconds } => {
                Problem::from_status(StatusCode::TOO_MANY_REQUESTS).detail(format!(
                    "too many attempts; try again in {retry_after_seconds} seconds"
                ))
            }
            ApiError::IdempotencyMismatch => Problem::typed(ProblemType::IdempotencyKeyReused)
            .detail("use a new Idempotency-Key for a different request"),
            ApiError::Unavailable(_) => Problem::from_status(StatusCode::SERVICE_UNAVAILABLE)
                .detail("the database cannot be reached; retry after the seconds in Retry-After"),
            ApiError::Internal(_) => Problem::from_status(StatusCode::INTERNAL_SERVER_ERROR)
                .detail("something went wrong on our side; quote the request id when reporting it"),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(cause = %report(cause.as_ref()), "request failed");
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
            }
            _ => {}
        }
        let mut response = self.problem().into_response();
        match self {
            ApiError::TooManyRequests {
                retry_after_seconds,
            } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
            }
            ApiError::Unavailable(_) => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECONDS),
                );
            }
            ApiError::MethodNotAllowed(allowed) => {
                if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
                    response.headers_mut().insert(header::ALLOW, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// An error and every source under it, as one line: "a: b: c".
pub fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        line.push_str(": ");
        line.push_str(&next.to_string());
        source = next.source();
    }
    line
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<spoke_domain::residence::Overlap> for ApiError {
    fn from(overlap: spoke_domain::residence::Overlap) -> Self {
        ApiError::Validation(overlap.into())
    }
}

impl From<spoke_domain::alert::AlertError> for ApiError {
    fn from(error: spoke_domain::alert::AlertError) -> Self {
        match error {
            spoke_domain::alert::AlertError::IllegalMove(refused) => refused.into(),
            spoke_domain::alert::AlertError::Invalid(errors) => errors.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Stale => ApiError::PreconditionFailed,
            StoreError::Conflict(detail) => {
                ApiError::internal(format!("unexpected uniqueness conflict: {detail}"))
            }
            StoreError::Unavailable(cause) => ApiError::Unavailable(cause),
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

/// How long a client is told to wait when the database is unavailable.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 2;

impl From<AssessmentError> for ApiError {
    fn from(error: AssessmentError) -> Self {
        match error {
            AssessmentError::Final => ApiError::Conflict(error.to_string()),
            AssessmentError::Incomplete(missing) => ApiError::Validation(missing),
        }
    }
}

impl From<ContactError> for ApiError {
    fn from(error: ContactError) -> Self {
        match error {
            ContactError::Signed | ContactError::NotSigned | ContactError::AlreadyCosigned => {
                ApiError::Conflict(error.to_string())
            }
            ContactError::NotAuthor => ApiError::Forbidden("only the contact's author signs it"),
            ContactError::OwnContact => {
                ApiError::Forbidden("a contact is co-signed by someone other than its author")
            }
        }
    }
}

impl From<ClaimError> for ApiError {
    fn from(error: ClaimError) -> Self {
        match error {
            ClaimError::IllegalMove { .. } => ApiError::Conflict(error.to_string()),
            ClaimError::NoSuchLine => ApiError::NotFound,
            ClaimError::ReasonRequired => {
                ApiError::invalid_field("reason", "required", &error.to_string())
            }
        }
    }
}

impl From<PlanError> for ApiError {
    fn from(error: PlanError) -> Self {
        match error {
            PlanError::Invalid(errors) => ApiError::Validation(errors),
            other => ApiError::Conflict(other.to_string()),
        }
    }
}

impl From<ReferralError> for ApiError {
    fn from(error: ReferralError) -> Self {
        match error {
            ReferralError::Invalid(errors) => ApiError::Validation(errors),
            ReferralError::Closed(_) | ReferralError::NotRejected(_) => {
                ApiError::Conflict(error.to_string())
            }
            ReferralError::IllegalMove(refused) => ApiError::IllegalMove(refused),
        }
    }
}

impl From<spoke_domain::throttle::Throttled> for ApiError {
    fn from(throttled: spoke_domain::throttle::Throttled) -> Self {
        ApiError::TooManyRequests {
            retry_after_seconds: throttled.retry_after_seconds,
        }
    }
}

impl From<StaffError> for ApiError {
    fn from(error: StaffError) -> Self {
        ApiError::Conflict(error.to_string())
    }
}

impl From<ApiClientError> for ApiError {
    fn from(error: ApiClientError) -> Self {
        ApiError::Conflict(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the query failed")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn an_internal_error_keeps_its_cause_for_the_log_and_never_sends_it() {
        let error = ApiError::internal(Outer(std::io::Error::other("disk full")));
        let ApiError::Internal(cause) = &error else {
            panic!("internal: {error:?}");
        };
        assert_eq!(report(cause.as_ref()), "the query failed: disk full");
        let sent = serde_json::to_string(&error.problem()).unwrap();
        assert_eq!(error.problem().status, 500);
        assert!(!sent.contains("disk") && !sent.contains("query"), "{sent}");
    }
}
