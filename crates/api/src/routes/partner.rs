//! Partner organizations: their API clients (admins), the OAuth 2.0
//! client credentials grant, the partner's own view of the referrals sent
//! to it (every read accounted as a disclosure), its moves, its services'
//! capacity, and webhook subscriptions.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::consent::ConsentCategory;
use spoke_domain::egress::{Loopback, UrlRefusal, WebhookUrl};
use spoke_domain::ids::{ApiClientId, OrganizationId, ReferralId, ServiceId, WebhookId};
use spoke_domain::partner::{ApiClient, Delivery, DeliveryStatus, Webhook, WebhookEvent};
use spoke_domain::referral::{MoveInput, ReferralStatus, Side};
use spoke_domain::values::{NewPassword, ShortText};
use spoke_persistence::directory::{SearchKeyset, ServiceHit};
use spoke_persistence::page::Keyset;
use spoke_persistence::referrals::ReferralFilter;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Partner, Subject, hash_password, verify_password};
use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IfMatch, PageParams, etag, page_request};
use crate::middleware::OwnErrorBody;
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::representation::ReferralView;
use crate::routes::directory::ServiceView;
use crate::routes::{Page, ok_with_etag};
use crate::state::AppState;
use crate::usecases::partner as usecases;
use crate::webhooks::new_secret;

// --------------------------------------------------------------- API clients

/// A partner organization's API client. The secret is never shown again after creation or rotation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "client_id": "01936b36-1a00-7c11-8d22-3e4f5a6b7c8d", "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d",
    "name": "Food bank case system", "created_at": "2026-11-20T17:00:00Z", "rotated_at": null, "revoked_at": null, "version": 1
}))]
pub struct ApiClientView {
    /// The OAuth `client_id`.
    pub client_id: ApiClientId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl From<&ApiClient> for ApiClientView {
    fn from(c: &ApiClient) -> Self {
        ApiClientView {
            client_id: c.id,
            organization_id: c.organization_id,
            name: c.name.clone(),
            created_at: c.created_at,
            rotated_at: c.rotated_at,
            revoked_at: c.revoked_at,
            version: c.version,
        }
    }
}

/// An API client with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "client": {"client_id": "01936b36-1a00-7c11-8d22-3e4f5a6b7c8d", "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d",
               "name": "Food bank case system", "created_at": "2026-11-20T17:00:00Z", "rotated_at": null, "revoked_at": null, "version": 1},
    "client_secret": "d3Jvbmcgc2VjcmV0IGZvciBkb2NzIG9ubHkgMTIzNDU2"
}))]
pub struct ApiClientSecret {
    pub client: ApiClientView,
    /// Keep it safe: Spoke stores only its hash.
    pub client_secret: String,
}

/// An API client as an admin names it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Food bank case system"}))]
pub struct NewApiClient {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
}

/// An organization's API clients.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct ApiClientList {
    pub items: Vec<ApiClientView>,
}

fn random_secret() -> Result<(String, String), ApiError> {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_password(&NewPassword::parse(&secret).map_err(ApiError::internal)?)?;
    Ok((secret, hash))
}

/// Register an API client for an organization.
///
/// Admins only. Answers the `client_id` and a `client_secret` shown this once; the organization's system
/// then signs in with `POST /v1/oauth/token`.
#[utoipa::path(
    tag = "partners", operation_id = "create_api_client", request_body = NewApiClient,
    params(("id" = OrganizationId, Path, description = "The organization's id")),
    responses(
        (status = 201, description = "The client and its secret.", body = ApiClientSecret),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[post("/organizations/{id}/api-clients")]
pub async fn create_api_client(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
    body: ApiJson<NewApiClient>,
) -> Result<HttpResponse, ApiError> {
    let organization_id = id.into_inner();
    let name = ShortText::parse(&body.value.name)
        .map_err(|e| ApiError::Validation(spoke_domain::FieldErrors::single("name", e)))?;
    let (secret, hash) = web::block(random_secret)
        .await
        .map_err(ApiError::internal)??;
    let client = state
        .write_as(caller, move |tx, cx| {
            usecases::register_client(tx, cx, organization_id, name.to_string(), hash)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ApiClientSecret {
            client: ApiClientView::from(&client),
            client_secret: secret,
        }))
}

/// List an organization's API clients.
///
/// Admins only; secrets are never shown again.
#[utoipa::path(
    tag = "partners", operation_id = "list_api_clients",
    params(("id" = OrganizationId, Path, description = "The organization's id")),
    responses((status = 200, description = "The clients.", body = ApiClientList), (status = 403, response = Forbidden)),
    security(("bearer" = []))
)]
#[get("/organizations/{id}/api-clients")]
pub async fn list_api_clients(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
) -> Result<HttpResponse, ApiError> {
    let org = id.into_inner();
    let items = state
        .read_as(caller, move |tx, cx| usecases::clients_of(tx, cx, org))
        .await?;
    Ok(HttpResponse::Ok().json(ApiClientList {
        items: items.iter().map(ApiClientView::from).collect(),
    }))
}

/// What an admin does to an API client.
#[derive(Debug, Clone, Copy)]
enum ClientChange {
    Rotate,
    Revoke,
}

async fn change_client(
    state: web::Data<AppState>,
    caller: Caller,
    id: ApiClientId,
    if_match: IfMatch,
    change: ClientChange,
) -> Result<HttpResponse, ApiError> {
    // Refuse a caller who may not before spending a password hash on them.
    let actor = state.read_as(caller.clone(), |_, cx| Ok(cx.actor)).await?;
    usecases::admin_only(&actor)?;
    let fresh = match change {
        ClientChange::Rotate => Some(
            web::block(random_secret)
                .await
                .map_err(ApiError::internal)??,
        ),
        ClientChange::Revoke => None,
    };
    let (secret, hash) = fresh.unzip();
    let client = state
        .write_as(caller, move |tx, cx| {
            usecases::change_client(tx, cx, id, &if_match, hash)
        })
        .await?;
    let view = ApiClientView::from(&client);
    Ok(match secret {
        Some(client_secret) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(("ETag", etag(client.version)))
            .json(ApiClientSecret {
                client: view,
                client_secret,
            }),
        None => ok_with_etag(client.version, &view),
    })
}

/// Rotate an API client's secret.
///
/// Admins only, with the client's ETag in If-Match. The old secret stops working at once; tokens already
/// issued run out within their lifetime.
#[utoipa::path(
    tag = "partners", operation_id = "rotate_api_client",
    params(("client_id" = ApiClientId, Path, description = "The API client's id"), IfMatch),
    responses(
        (status = 200, description = "The client and its new secret.", body = ApiClientSecret),
        (status = 403, response = Forbidden), (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/api-clients/{client_id}/rotate")]
pub async fn rotate_api_client(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ApiClientId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    change_client(
        state,
        caller,
        id.into_inner(),
        if_match,
        ClientChange::Rotate,
    )
    .await
}

/// Revoke an API client.
///
/// Admins only, with its ETag in If-Match. It can no longer get tokens, and the tokens it holds stop working.
#[utoipa::path(
    tag = "partners", operation_id = "revoke_api_client",
    params(("client_id" = ApiClientId, Path, description = "The API client's id"), IfMatch),
    responses(
        (status = 200, description = "The revoked client.", body = ApiClientView),
        (status = 403, response = Forbidden), (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/api-clients/{client_id}/revoke")]
pub async fn revoke_api_client(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ApiClientId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    change_client(
        state,
        caller,
        id.into_inner(),
        if_match,
        ClientChange::Revoke,
    )
    .await
}

// --------------------------------------------------------------------- OAuth

/// A token request (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"grant_type": "client_credentials", "client_id": "01936b36-1a00-7c11-8d22-3e4f5a6b7c8d", "client_secret": "..."}))]
pub struct TokenRequest {
    /// Only `client_credentials`. Required: without it the answer is RFC 6749's `invalid_request`.
    #[schema(required = true, value_type = String, pattern = "^client_credentials$")]
    pub grant_type: Option<String>,
    /// Or HTTP Basic authentication.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Ignored: a partner token always acts for its organization.
    pub scope: Option<String>,
}

impl TokenRequest {
    /// Whether a parameter is longer than every request's bound.
    fn oversized(&self) -> bool {
        [
            &self.grant_type,
            &self.client_id,
            &self.client_secret,
            &self.scope,
        ]
        .into_iter()
        .flatten()
        .any(|value| value.chars().count() > crate::extract::MAX_STRING_CHARS)
    }
}

/// An access token for a partner organization.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9...", "token_type": "Bearer", "expires_in": 900}))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// An RFC 6749 error body.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": "invalid_client", "error_description": "unknown client or wrong secret"}))]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client` or `unsupported_grant_type`.
    pub error: String,
    pub error_description: String,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"spoke\""));
    }
    let mut response = response.json(OAuthError {
        error: error.to_owned(),
        error_description: description.to_owned(),
    });
    response.extensions_mut().insert(OwnErrorBody);
    response
}

/// Client credentials from HTTP Basic, if sent.
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |raw: &str| {
        form_urlencoded::parse(format!("x={raw}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// Get a partner access token.
///
/// The OAuth 2.0 client credentials grant (RFC 6749 section 4.4): form-encoded `grant_type=client_credentials`
/// with the client's id and secret in the body or in HTTP Basic. The token acts for the client's
/// organization on the `/v1/partner` operations only. Errors are RFC 6749 error bodies, not problem+json.
#[utoipa::path(
    tag = "partners", operation_id = "create_oauth_token",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The access token.", body = TokenResponse),
        (status = 400, description = "`invalid_request` or `unsupported_grant_type`.", body = OAuthError),
        (status = 401, description = "`invalid_client`: unknown or revoked client, or a wrong secret.", body = OAuthError),
    ),
    security(())
)]
#[post("/oauth/token")]
pub async fn create_oauth_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let form = match serde_urlencoded::from_bytes::<TokenRequest>(&body) {
        Ok(form) if !form.oversized() => form,
        Ok(_) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "a parameter is longer than the contract allows",
            ));
        }
        Err(_) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the body must be application/x-www-form-urlencoded",
            ));
        }
    };
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            ));
        }
        None => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            ));
        }
    }
    let credentials = match (basic_credentials(&req), form.client_id, form.client_secret) {
        (Some(basic), None, None) => basic,
        (None, Some(id), Some(secret)) => (id, secret),
        (Some(_), _, _) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "send the credentials once: HTTP Basic or the body",
            ));
        }
        _ => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "client_id and client_secret are required",
            ));
        }
    };
    let (id, secret) = credentials;
    let decoy = state.decoy_hash.clone();
    let found = match id.parse::<ApiClientId>() {
        Ok(client_id) => {
            state
                .read(move |tx| usecases::find_client(tx, client_id))
                .await?
        }
        Err(_) => None,
    };
    let hash = found
        .as_ref()
        .map(|c| c.secret_hash.clone())
        .unwrap_or(decoy);
    let matches = web::block(move || verify_password(&secret, &hash))
        .await
        .map_err(ApiError::internal)?;
    let Some(client) = found.filter(|c| matches && c.is_active()) else {
        return Ok(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown or revoked client, or a wrong secret",
        ));
    };
    let token = state.tokens.sign(
        Subject::Partner {
            client: client.id,
            organization: client.organization_id,
        },
        state.clock.now(),
    )?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: token,
            token_type: "Bearer".to_owned(),
            expires_in: state.tokens.lifetime().num_seconds(),
        }))
}

// ------------------------------------------------------ the partner's view

/// The minimum necessary facts about the client, for the partner.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "given_name": "Maria", "family_name": "Rivera", "date_of_birth": "1968-04-12",
    "phone": "+15035550142", "preferred_language": "es"
}))]
pub struct PartnerClientFacts {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub phone: Option<String>,
    pub preferred_language: Option<String>,
}

/// A referral as its partner organization sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "referral": {
        "id": "01936b34-1a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
        "service_id": "01936b2f-6a00-7c11-8d22-3e4f5a6b7c8d", "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d",
        "reason": "Needs a food box this week.", "needs": ["food"], "priority": "urgent", "note_for_partner": null,
        "categories": ["general"], "due_by": "2026-12-04", "status": "requested", "business_status": null,
        "consent_id": "01936b33-1a00-7c11-8d22-3e4f5a6b7c8d", "outcome": null, "linked_on": null,
        "redirected_from": null, "overdue": false, "allowed_moves": ["accepted", "rejected"],
        "created_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "created_at": "2026-11-30T17:00:00Z",
        "updated_at": "2026-11-30T17:05:00Z", "version": 2
    },
    "client": {"given_name": "Maria", "family_name": "Rivera", "date_of_birth": "1968-04-12", "phone": "+15035550142", "preferred_language": "es"},
    "consent_scope": ["general"]
}))]
pub struct PartnerReferral {
    pub referral: ReferralView,
    /// Null when no consent covers the organization any more: only the referral's own facts remain.
    pub client: Option<PartnerClientFacts>,
    /// The categories of information the consent lets through.
    pub consent_scope: Vec<ConsentCategory>,
}

/// Filters for a partner's incremental sync.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PartnerReferralSearch {
    pub status: Option<ReferralStatus>,
    /// Only referrals changed after this moment (RFC 3339): pass the newest `updated_at` seen.
    pub updated_since: Option<DateTime<Utc>>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PartnerReferral {
    fn of(d: &usecases::Disclosed, today: NaiveDate) -> Self {
        PartnerReferral {
            referral: ReferralView::of(&d.referral, Side::Performer, today),
            client: d.client.as_ref().map(|client| {
                let d = &client.details;
                PartnerClientFacts {
                    given_name: d.given_name.to_string(),
                    family_name: d.family_name.to_string(),
                    date_of_birth: d.date_of_birth.map(|b| b.date()),
                    phone: d.phone.as_ref().map(|p| p.as_str().to_owned()),
                    preferred_language: d
                        .preferred_language
                        .as_ref()
                        .map(|l| l.as_str().to_owned()),
                }
            }),
            consent_scope: d.consent_scope.clone(),
        }
    }
}

/// List the referrals sent to your organization.
///
/// For a partner token. By update time, oldest first: pass `updated_since` (the newest `updated_at` seen) and
/// follow `next_cursor` to sync incrementally. Drafts never appear. Each listed referral with client facts is
/// a disclosure, accounted for.
#[utoipa::path(
    tag = "partners", operation_id = "list_partner_referrals", params(PartnerReferralSearch),
    responses((status = 200, description = "A page of referrals.", body = Page<PartnerReferral>), (status = 403, response = Forbidden)),
    security(("partner" = []))
)]
#[get("/partner/referrals")]
pub async fn list_partner_referrals(
    state: web::Data<AppState>,
    partner: Partner,
    query: ApiQuery<PartnerReferralSearch>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let today = state.clock.day_of(now);
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    let filter = ReferralFilter {
        status: search.status,
        updated_since: search.updated_since,
        ..ReferralFilter::default()
    };
    let page = state
        .read(move |tx| {
            usecases::referrals(tx, &partner, &filter, after.as_ref(), limit, (now, today))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |d| PartnerReferral::of(d, today))))
}

/// Get a referral sent to your organization.
///
/// For a partner token: the referral, the minimum necessary client facts (name, date of birth, phone,
/// preferred language) while a consent covers your organization, and the consent's scope. Every read is a
/// disclosure, accounted for. Another organization's referral is a 404.
#[utoipa::path(
    tag = "partners", operation_id = "get_partner_referral",
    params(("id" = ReferralId, Path, description = "The referral's id")),
    responses((status = 200, description = "The referral.", body = PartnerReferral, headers(("ETag" = String, description = "Its version"))), (status = 403, response = Forbidden)),
    security(("partner" = []))
)]
#[get("/partner/referrals/{id}")]
pub async fn get_partner_referral(
    state: web::Data<AppState>,
    partner: Partner,
    id: web::Path<ReferralId>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let today = state.clock.day_of(now);
    let id = id.into_inner();
    let disclosed = state
        .read(move |tx| usecases::referral(tx, &partner, id, (now, today)))
        .await?;
    let view = PartnerReferral::of(&disclosed, today);
    Ok(ok_with_etag(view.referral.version, &view))
}

/// Move a referral (performer).
///
/// For a partner token: accept, reject, start, hold, fail or complete (with the outcome and the day the client
/// was linked), with the ETag in If-Match and a reason for rejected, on_hold and failed. An illegal move is a
/// 409 listing the moves allowed now.
#[utoipa::path(
    tag = "partners", operation_id = "transition_partner_referral", request_body = MoveInput,
    params(("id" = ReferralId, Path, description = "The referral's id"), IfMatch),
    responses(
        (status = 200, description = "The moved referral.", body = ReferralView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The move is not allowed from the current status.", body = crate::routes::referrals::IllegalMoveProblem, content_type = "application/problem+json"),
    ),
    security(("partner" = []))
)]
#[post("/partner/referrals/{id}/status")]
pub async fn transition_partner_referral(
    state: web::Data<AppState>,
    partner: Partner,
    id: web::Path<ReferralId>,
    if_match: IfMatch,
    body: ApiJson<MoveInput>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let today = state.clock.day_of(now);
    let id = id.into_inner();
    let input = body.value;
    let referral = state
        .write(move |tx| {
            usecases::move_as_performer(tx, &partner, id, &if_match, input, (now, today))
        })
        .await?;
    Ok(ok_with_etag(
        referral.version,
        &ReferralView::of(&referral, Side::Performer, today),
    ))
}

/// List your organization's services.
///
/// For a partner token: the directory's services of your organization, by name. Each one's `version` is its
/// ETag: send `If-Match: "<version>"` to report its capacity.
#[utoipa::path(
    tag = "partners", operation_id = "list_partner_services", params(PageParams),
    responses((status = 200, description = "A page of your services.", body = Page<ServiceView>)),
    security(("partner" = []))
)]
#[get("/partner/services")]
pub async fn list_partner_services(
    state: web::Data<AppState>,
    partner: Partner,
    query: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = query.0.request::<SearchKeyset>()?;
    let page = state
        .read(move |tx| usecases::own_services(tx, &partner, after.as_ref(), limit))
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_store(page, |hit: &ServiceHit| {
            ServiceView::new(&hit.service, None)
        })),
    )
}

/// Report your service's capacity.
///
/// For a partner token, on the organization's own services only (another's is a 404): accepting, waitlist
/// or full, with a note.
#[utoipa::path(
    tag = "partners", operation_id = "update_partner_capacity", request_body = crate::routes::directory::CapacityReport,
    params(("id" = ServiceId, Path, description = "The service's id"), IfMatch),
    responses(
        (status = 200, description = "The service with its new capacity.", body = ServiceView, headers(("ETag" = String, description = "The service's new version"))),
        (status = 403, response = Forbidden),
    ),
    security(("partner" = []))
)]
#[put("/partner/services/{id}/capacity")]
pub async fn update_partner_capacity(
    state: web::Data<AppState>,
    partner: Partner,
    id: web::Path<ServiceId>,
    if_match: IfMatch,
    body: ApiJson<crate::routes::directory::CapacityReport>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let id = id.into_inner();
    let capacity = body.value.into_state(now)?;
    let service = state
        .write(move |tx| usecases::report_capacity(tx, &partner, id, &if_match, capacity, now))
        .await?;
    Ok(ok_with_etag(
        service.version,
        &ServiceView::new(&service, None),
    ))
}

// ------------------------------------------------------------------ webhooks

/// A webhook subscription as it arrives.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://foodbank.example.org/spoke/events", "event_types": ["referral.created", "referral.status_changed"]}))]
pub struct NewWebhook {
    /// An `https` URL on the public internet: no user name or password, no private, loopback, link-local
    /// or other internal address (in any spelling). Plain `http` and loopback receivers are accepted only
    /// where the deployment allows them (`SPOKE_WEBHOOK_ALLOW_LOOPBACK`, on in development). Names are
    /// resolved and checked again at every delivery; redirects are not followed.
    #[schema(max_length = 2000, format = "uri")]
    pub url: String,
    /// `referral.created`, `referral.status_changed`, `referral.updated` (default: all).
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    /// Admins only: the organization whose referrals it hears; absent for every referral.
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
}

/// A webhook subscription.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b37-1a00-7c11-8d22-3e4f5a6b7c8d", "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d",
    "url": "https://foodbank.example.org/spoke/events", "event_types": ["referral.status_changed"],
    "created_at": "2026-11-20T17:00:00Z", "disabled_at": null, "secret": null
}))]
pub struct WebhookView {
    pub id: WebhookId,
    pub organization_id: Option<OrganizationId>,
    pub url: String,
    pub event_types: Vec<WebhookEvent>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// The signing secret (`whsec_...`), shown only when the subscription is created. Verify each delivery's
    /// `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` under the
    /// secret's base64-decoded bytes) and drop duplicates by `webhook-id`.
    pub secret: Option<String>,
}

impl WebhookView {
    fn of(w: &Webhook, show_secret: bool) -> Self {
        WebhookView {
            id: w.id,
            organization_id: w.organization_id,
            url: w.url.clone(),
            event_types: w.events.clone(),
            created_at: w.created_at,
            disabled_at: w.disabled_at,
            secret: show_secret.then(|| w.secret.clone()),
        }
    }
}

/// Webhook subscriptions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

/// One delivery of one event, with its log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "event_id": "01936b38-1a00-7c11-8d22-3e4f5a6b7c8d", "referral_id": "01936b34-1a00-7c11-8d22-3e4f5a6b7c8d",
    "event_type": "referral.status_changed", "status": "delivered", "attempts": 2,
    "next_attempt_at": "2026-12-01T09:00:05Z", "last_attempt_at": "2026-12-01T09:00:05Z",
    "last_status_code": 204, "last_error": null, "delivered_at": "2026-12-01T09:00:05Z", "created_at": "2026-12-01T09:00:00Z"
}))]
pub struct DeliveryView {
    /// The `webhook-id` header: the same event always has the same id.
    pub event_id: spoke_domain::ids::OutboxEventId,
    pub referral_id: ReferralId,
    pub event_type: WebhookEvent,
    /// `pending`, `delivered`, or `failed` (given up after about 32 hours of retries).
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        DeliveryView {
            event_id: d.event_id,
            referral_id: d.referral_id,
            event_type: d.event,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error.clone(),
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

/// A subscription's recent deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
}

/// The subscription's URL, by the domain's rule against request forgery.
fn check_url(raw: &str, loopback: Loopback) -> Result<WebhookUrl, ApiError> {
    WebhookUrl::parse(raw, loopback).map_err(|refusal| {
        let code = match refusal {
            UrlRefusal::Unreachable(_) => "internal_address",
            _ => "invalid_url",
        };
        ApiError::invalid_field("url", code, &refusal.to_string())
    })
}

fn new_webhook(
    organization: Option<OrganizationId>,
    body: NewWebhook,
    loopback: Loopback,
    now: DateTime<Utc>,
) -> Result<Webhook, ApiError> {
    let url = check_url(&body.url, loopback)?;
    let events = match body.event_types {
        None => WebhookEvent::ALL.to_vec(),
        Some(names) => names
            .iter()
            .map(|name| WebhookEvent::parse(name))
            .collect::<Option<Vec<_>>>()
            .filter(|events| !events.is_empty())
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "event_types",
                    "unknown_event_type",
                    "use referral.created, referral.status_changed and referral.updated",
                )
            })?,
    };
    Ok(Webhook::new(
        organization,
        url.as_str().to_owned(),
        new_secret(),
        events,
        now,
    ))
}

/// A new subscription's 201, with its secret shown this once.
fn subscribed(hook: &Webhook) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(WebhookView::of(hook, true))
}

/// Subscribe to referral events (admin).
///
/// Admins only: for one organization's referrals, or for every referral when `organization_id` is absent.
/// Deliveries are signed in the Standard Webhooks style, in order per referral, retried with exponential
/// backoff for about 32 hours; the secret is shown this once.
#[utoipa::path(
    tag = "partners", operation_id = "create_webhook", request_body = NewWebhook,
    responses((status = 201, description = "The subscription and its secret.", body = WebhookView), (status = 403, response = Forbidden)),
    security(("bearer" = []))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let loopback = state.webhook_loopback;
    let hook = state
        .write_as(caller, move |tx, cx| {
            usecases::admin_only(&cx.actor)?;
            let org = input.organization_id;
            usecases::subscribe(tx, new_webhook(org, input, loopback, cx.now)?)
        })
        .await?;
    Ok(subscribed(&hook))
}

/// Subscribe to your referrals' events (partner).
///
/// For a partner token: events of the referrals sent to your organization (never drafts). The secret is shown
/// this once.
#[utoipa::path(
    tag = "partners", operation_id = "create_partner_webhook", request_body = NewWebhook,
    responses((status = 201, description = "The subscription and its secret.", body = WebhookView), (status = 403, response = Forbidden)),
    security(("partner" = []))
)]
#[post("/partner/webhooks")]
pub async fn create_partner_webhook(
    state: web::Data<AppState>,
    partner: Partner,
    body: ApiJson<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    if body
        .value
        .organization_id
        .is_some_and(|org| org != partner.organization)
    {
        return Err(ApiError::invalid_field(
            "organization_id",
            "not_allowed",
            "a partner subscribes for its own organization",
        ));
    }
    let hook = new_webhook(
        Some(partner.organization),
        body.value,
        state.webhook_loopback,
        state.clock.now(),
    )?;
    let hook = state.write(move |tx| usecases::subscribe(tx, hook)).await?;
    Ok(subscribed(&hook))
}

/// List your webhook subscriptions (partner).
///
/// For a partner token; secrets are not shown again.
#[utoipa::path(
    tag = "partners", operation_id = "list_partner_webhooks",
    responses((status = 200, description = "The subscriptions.", body = WebhookList), (status = 403, response = Forbidden)),
    security(("partner" = []))
)]
#[get("/partner/webhooks")]
pub async fn list_partner_webhooks(
    state: web::Data<AppState>,
    partner: Partner,
) -> Result<HttpResponse, ApiError> {
    let items = state
        .read(move |tx| usecases::partner_webhooks(tx, &partner))
        .await?;
    Ok(HttpResponse::Ok().json(WebhookList {
        items: items.iter().map(|w| WebhookView::of(w, false)).collect(),
    }))
}

/// A webhook's delivery log (admin).
///
/// Admins only: the latest 100 deliveries, newest first, with attempts, status codes and errors.
#[utoipa::path(
    tag = "partners", operation_id = "list_webhook_deliveries",
    params(("id" = WebhookId, Path, description = "The subscription's id")),
    responses((status = 200, description = "The deliveries.", body = DeliveryList), (status = 403, response = Forbidden)),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<WebhookId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let items = state
        .read_as(caller, move |tx, cx| usecases::deliveries(tx, cx, id))
        .await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        items: items.iter().map(DeliveryView::from).collect(),
    }))
}

/// Disable a webhook subscription (admin).
///
/// Admins only. Deliveries not yet made are dropped as failed.
#[utoipa::path(
    tag = "partners", operation_id = "delete_webhook",
    params(("id" = WebhookId, Path, description = "The subscription's id")),
    responses((status = 204, description = "The subscription was disabled."), (status = 403, response = Forbidden)),
    security(("bearer" = []))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<WebhookId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .write_as(caller, move |tx, cx| usecases::disable_webhook(tx, cx, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
