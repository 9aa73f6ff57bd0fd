//! Creating requests that are safe to retry: with an `Idempotency-Key`, the
//! first response is stored in the same transaction as what it created, and
//! a retry with the same key and body gets that response again.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use spoke_domain::ids::UserId;
use spoke_persistence::StoreError;
use spoke_persistence::idempotency::{self, StoredResponse};

use crate::context::{Caller, Cx};
use crate::db::Tx;
use crate::extract::IdempotencyKey;
use crate::problem::ApiError;
use crate::state::AppState;

/// What a creating request produced.
#[derive(Debug)]
pub struct Created {
    /// The JSON of the created resource.
    pub body: String,
    pub location: String,
    pub etag: Option<String>,
}

/// A digest of the method, path and JSON body (keys in canonical order).
fn fingerprint(req: &HttpRequest, raw: &[u8]) -> String {
    let body = serde_json::from_slice::<serde_json::Value>(raw)
        .map(|value| canonical(&value))
        .unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.path());
    hasher.update(b"\n");
    hasher.update(body.as_bytes());
    format!("{:x}", hasher.finalize())
}

/// JSON text with object keys sorted, whatever map order serde_json keeps.
fn canonical(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<_> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|key| {
                    format!(
                        "{}:{}",
                        serde_json::Value::from(key.as_str()),
                        canonical(&map[key])
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        serde_json::Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(canonical).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

fn respond(status: StatusCode, body: String, location: &str, etag: Option<&str>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .content_type("application/json")
        .insert_header((header::LOCATION, location));
    if let Some(etag) = etag {
        response.insert_header((header::ETAG, etag));
    }
    response.body(body)
}

enum Outcome {
    Fresh(Created),
    Replay(StoredResponse),
}

/// Runs `work` in a transaction and answers 201 with what it created,
/// honouring the request's `Idempotency-Key`: the same key and body replays
/// the first response; the same key with another body is a 422.
pub async fn create<F>(
    state: &AppState,
    user: UserId,
    key: IdempotencyKey,
    req: &HttpRequest,
    raw_body: &[u8],
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut Tx) -> Result<Created, ApiError> + Send + 'static,
{
    let fingerprint = fingerprint(req, raw_body);
    let expected = fingerprint.clone();
    let twin_key = key.0.clone();
    let outcome = state
        .write(move |tx| once(tx, user, key, fingerprint, work))
        .await;
    settle(state, user, twin_key, outcome, &expected).await
}

/// Like [`create`], for a use case run by `caller`, signed in inside the
/// same transaction.
pub async fn create_as<F>(
    state: &AppState,
    caller: Caller,
    key: IdempotencyKey,
    req: &HttpRequest,
    raw_body: &[u8],
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut Tx, &Cx) -> Result<Created, ApiError> + Send + 'static,
{
    let fingerprint = fingerprint(req, raw_body);
    let expected = fingerprint.clone();
    let user = caller.user_id();
    let twin_key = key.0.clone();
    let outcome = state
        .write(move |tx| {
            let cx = caller.sign_in(tx)?;
            once(tx, user, key, fingerprint, |tx| work(tx, &cx))
        })
        .await;
    settle(state, user, twin_key, outcome, &expected).await
}

/// The answer, once the transaction has ended. A conflict under a key means
/// a twin request with the same key committed while this one ran (on
/// PostgreSQL both run at once; the second waits on the first's rows and
/// then conflicts on them or on the key): this one rolled back, and it
/// answers with the twin's stored response, as a retry would.
async fn settle(
    state: &AppState,
    user: UserId,
    key: Option<String>,
    outcome: Result<Outcome, ApiError>,
    request_fingerprint: &str,
) -> Result<HttpResponse, ApiError> {
    match (outcome, key) {
        (Err(ApiError::Conflict(detail)), Some(key)) => {
            let stored = state
                .read(move |tx| Ok(idempotency::find(tx, user, &key)?))
                .await?;
            match stored {
                Some(stored) => answer(Outcome::Replay(stored), request_fingerprint),
                None => Err(ApiError::Conflict(detail)),
            }
        }
        (outcome, _) => answer(outcome?, request_fingerprint),
    }
}

/// In the caller's transaction: the stored answer to `key`, or `work`'s
/// answer stored under it.
fn once(
    tx: &mut Tx,
    user: UserId,
    key: IdempotencyKey,
    fingerprint: String,
    work: impl FnOnce(&mut Tx) -> Result<Created, ApiError>,
) -> Result<Outcome, ApiError> {
    let Some(key) = key.0 else {
        return work(tx).map(Outcome::Fresh);
    };
    if let Some(stored) = idempotency::find(tx, user, &key)? {
        return Ok(Outcome::Replay(stored));
    }
    let created = work(tx)?;
    let stored = StoredResponse {
        fingerprint,
        status_code: StatusCode::CREATED.as_u16(),
        body: created.body.clone(),
        location: Some(created.location.clone()),
        etag: created.etag.clone(),
        created_at: spoke_persistence::now(),
    };
    match idempotency::save(tx, user, &key, &stored) {
        Ok(()) => Ok(Outcome::Fresh(created)),
        // A twin request with the same key committed first; this one
        // rolls back and answers with the twin's response (`settle`).
        Err(StoreError::Conflict(_)) => Err(ApiError::Conflict(
            "a request with this Idempotency-Key is in progress; retry shortly".to_owned(),
        )),
        Err(other) => Err(other.into()),
    }
}

/// 201 with what was created, or the stored answer replayed when the request
/// is the one first answered.
fn answer(outcome: Outcome, request_fingerprint: &str) -> Result<HttpResponse, ApiError> {
    match outcome {
        Outcome::Fresh(created) => Ok(respond(
            StatusCode::CREATED,
            created.body,
            &created.location,
            created.etag.as_deref(),
        )),
        Outcome::Replay(stored) if stored.fingerprint != request_fingerprint => {
            Err(ApiError::IdempotencyMismatch)
        }
        Outcome::Replay(stored) => {
            let mut response = respond(
                StatusCode::from_u16(stored.status_code).unwrap_or(StatusCode::CREATED),
                stored.body,
                stored.location.as_deref().unwrap_or_default(),
                stored.etag.as_deref(),
            );
            response.headers_mut().insert(
                header::HeaderName::from_static("idempotent-replayed"),
                header::HeaderValue::from_static("true"),
            );
            Ok(response)
        }
    }
}
