//! Signing in and the signed-in user.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use spoke_domain::FieldErrors;
use spoke_domain::values::{Email, NewPassword};
use utoipa::ToSchema;

use crate::auth::{client_address, hash_password, verify_password};
use crate::context::Caller;
use crate::extract::ApiJson;
use crate::openapi::TooManyRequests;
use crate::problem::ApiError;
use crate::routes::staff::UserView;
use crate::state::AppState;
use crate::usecases::staff as usecases;

/// Credentials for signing in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "admin@demo.spoke.test", "password": "spoke-demo-password"}))]
pub struct LoginRequest {
    #[schema(format = "email")]
    pub email: String,
    pub password: String,
}

/// A bearer access token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkzNmIyZS02ZjFhLTdjYzMifQ.c2lnbmF0dXJl",
    "token_type": "Bearer",
    "expires_in": 900,
    "user": {
        "id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "email": "admin@demo.spoke.test",
        "display_name": "Avery Admin", "role": "admin", "team_id": null,
        "created_at": "2026-11-26T09:00:00Z", "updated_at": "2026-11-26T09:00:00Z", "version": 1
    }
}))]
pub struct SignedIn {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// Who signed in.
    pub user: UserView,
}

/// Sign in.
///
/// Exchanges an email and password for a short-lived bearer token (15 minutes unless the deployment
/// says otherwise). A wrong email and a wrong password get the same answer in the same time. Attempts
/// are counted before the password is checked: more than 10 for one email from one network address
/// within 15 minutes, or more than 100 for one email from anywhere within an hour, get 429 with
/// `Retry-After` until the window passes. A successful sign-in clears its address's count.
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in.", body = SignedIn),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 429, response = TooManyRequests),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.value;
    let email = Email::parse(&email).map_err(|e| FieldErrors::single("email", e))?;
    let address = client_address(&req, state.client_address_header.as_ref());
    let limits = state.sign_in_limits;
    let (attempt_email, now) = (email.clone(), state.clock.now());
    let found = state
        .write(move |tx| usecases::begin_sign_in(tx, &limits, &attempt_email, address, now))
        .await
        .inspect_err(|error| {
            if matches!(error, ApiError::TooManyRequests { .. }) {
                state.metrics.sign_in_throttled();
            }
        })?;
    let decoy = state.decoy_hash.clone();
    let (user, matches) = web::block(move || match found {
        Some((user, hash)) => {
            let matches = verify_password(&password, &hash);
            (Some(user), matches)
        }
        None => {
            verify_password(&password, &decoy);
            (None, false)
        }
    })
    .await
    .map_err(ApiError::internal)?;
    let Some(user) = user.filter(|_| matches) else {
        return Err(ApiError::Unauthorized("the email or password is wrong"));
    };
    state
        .write(move |tx| usecases::signed_in(tx, &email, address))
        .await?;
    let access_token = state.tokens.issue(&user, state.clock.now())?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(SignedIn {
            access_token,
            token_type: "Bearer",
            expires_in: state.tokens.lifetime().num_seconds(),
            user: UserView::from(&user),
        }))
}

/// Who am I?
///
/// The signed-in user, with their role and team.
#[utoipa::path(
    tag = "auth",
    operation_id = "get_me",
    responses((status = 200, description = "The signed-in user.", body = UserView)),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let user = state.read(move |tx| caller.user(tx)).await?;
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}

/// A new password for the signed-in user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "the one-time password", "new_password": "a long passphrase of mine"}))]
pub struct PasswordChange {
    pub current_password: String,
    /// 12 to 256 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: String,
}

/// Change my password.
///
/// Replaces the signed-in user's password; the current one must be given. Use it right after the first
/// sign-in with a one-time password. Every token issued before, this one included, stops working: sign in
/// again with the new password.
#[utoipa::path(
    tag = "auth",
    operation_id = "change_password",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "The password was changed."),
    ),
    security(("bearer" = []))
)]
#[put("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.value;
    let new_password =
        NewPassword::parse(&new_password).map_err(|e| FieldErrors::single("new_password", e))?;
    let (user, hash) = state
        .read_as(caller.clone(), usecases::own_credentials)
        .await?;
    let new_hash = web::block(move || {
        if verify_password(&current_password, &hash) {
            hash_password(&new_password).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(ApiError::internal)??
    .ok_or_else(|| {
        ApiError::invalid_field(
            "current_password",
            "wrong_password",
            "is not your current password",
        )
    })?;
    let seen = user.version;
    state
        .write_as(caller, move |tx, cx| {
            usecases::set_own_password(tx, cx, seen, &new_hash)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
