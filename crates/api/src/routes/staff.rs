//! Staff users and teams. Admins manage them; supervisors read their team.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::FieldErrors;
use spoke_domain::client::Patch;
use spoke_domain::ids::{TeamId, UserId};
use spoke_domain::staff::{Role, Team, User};
use spoke_domain::values::{Email, NewPassword, ShortText};
use utoipa::{IntoParams, ToSchema};

use crate::auth::hash_password;
use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, etag, page_request};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::routes::{Page, json_body, ok_with_etag};
use crate::state::AppState;
use crate::usecases::staff::{self as usecases, NewAccount, UserChange};

/// A staff user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "email": "sam.okafor@demo.spoke.test",
    "display_name": "Sam Okafor", "role": "case_manager", "team_id": "01936b2e-5a00-7b11-8c22-1d2e3f4a5b6c",
    "created_at": "2026-11-26T09:00:00Z", "updated_at": "2026-11-26T09:00:00Z", "version": 1
}))]
pub struct UserView {
    pub id: UserId,
    /// The sign-in email, in lower case.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Admins belong to no team.
    pub team_id: Option<TeamId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView {
            id: user.id,
            email: user.email.to_string(),
            display_name: user.display_name.to_string(),
            role: user.role,
            team_id: user.team_id,
            created_at: user.created_at,
            updated_at: user.updated_at,
            version: user.version,
        }
    }
}

/// A new staff user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "sam.okafor@example.org", "display_name": "Sam Okafor", "role": "case_manager",
    "team_id": "01936b2e-5a00-7b11-8c22-1d2e3f4a5b6c", "password": "a long first password"
}))]
pub struct CreateUserRequest {
    #[schema(format = "email")]
    pub email: String,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub display_name: String,
    pub role: Role,
    /// Required for supervisors and case managers; admins have none.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// 12 to 256 characters; the user should change it after signing in.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

/// A JSON merge patch of a staff user: absent fields stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "supervisor", "display_name": "Sam Okafor-Reyes"}))]
pub struct UpdateUserRequest {
    #[serde(default)]
    #[schema(format = "email")]
    pub email: Option<String>,
    /// 1 to 200 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// `null` removes the user from their team.
    #[serde(default)]
    #[schema(value_type = Option<TeamId>)]
    pub team_id: Patch<TeamId>,
    /// Sets a new password (an admin reset): 12 to 256 characters.
    #[serde(default)]
    #[schema(min_length = 12, max_length = 256)]
    pub password: Option<String>,
}

/// Filters for listing users.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserSearch {
    /// Only members of this team.
    pub team_id: Option<TeamId>,
    /// Only users with this role.
    pub role: Option<Role>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Create a staff user.
///
/// Admins only. Supervisors and case managers must belong to a team; admins belong to none.
#[utoipa::path(
    tag = "staff",
    operation_id = "create_user",
    request_body = CreateUserRequest,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "The user was created.", body = UserView,
            headers(("ETag" = String, description = "The user's version"), ("Location" = String, description = "The user's URL"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.value;
    let (user, password) = NewAccount {
        email: request.email,
        display_name: request.display_name,
        role: request.role,
        team_id: request.team_id,
        password: request.password,
    }
    .parse(state.clock.now())?;
    let hash = web::block(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)??;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        usecases::create_user(tx, cx, &user, &hash)?;
        Ok(Created {
            body: json_body(&UserView::from(&user))?,
            location: format!("/v1/users/{}", user.id),
            etag: Some(etag(user.version)),
        })
    })
    .await
}

/// List staff users.
///
/// Admins see every active user; a supervisor sees the members of their team. Ordered by creation.
#[utoipa::path(
    tag = "staff",
    operation_id = "list_users",
    params(UserSearch),
    responses(
        (status = 200, description = "A page of users.", body = Page<UserView>),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<UserSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request(search.limit, search.cursor.as_deref())?;
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list_users(tx, cx, search.team_id, search.role, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |user| UserView::from(user))))
}

/// Get a staff user.
///
/// Users may read themselves; admins anyone; a supervisor the members of their team. A user the caller
/// may not see, or one deleted, is a 404.
#[utoipa::path(
    tag = "staff",
    operation_id = "get_user",
    params(("id" = UserId, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user.", body = UserView, headers(("ETag" = String, description = "The user's version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let user = state
        .read_as(caller, move |tx, cx| usecases::get_user(tx, cx, id))
        .await?;
    Ok(ok_with_etag(user.version, &UserView::from(&user)))
}

/// Change a staff user.
///
/// Admins only, with the user's ETag in If-Match. A JSON merge patch: absent fields stay as they are.
/// Changing the role, the team or the password ends the user's sessions: their tokens stop working at
/// once and they sign in again.
#[utoipa::path(
    tag = "staff",
    operation_id = "update_user",
    params(
        ("id" = UserId, Path, description = "The user's id"),
        IfMatch,
    ),
    request_body(content = UpdateUserRequest, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The changed user.", body = UserView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<UserId>,
    if_match: IfMatch,
    body: ApiJson<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let mut errors = FieldErrors::default();
    let email = errors.check_opt("email", patch.email.as_deref(), Email::parse);
    let display_name = errors.check_opt(
        "display_name",
        patch.display_name.as_deref(),
        ShortText::parse,
    );
    let password = errors.check_opt("password", patch.password.as_deref(), NewPassword::parse);
    errors.finish(|| Some(()))?;
    let password_hash = match password {
        Some(password) => Some(
            web::block(move || hash_password(&password))
                .await
                .map_err(ApiError::internal)??,
        ),
        None => None,
    };
    let change = UserChange {
        email,
        display_name,
        role: patch.role,
        team_id: patch.team_id,
        password_hash,
    };
    let user = state
        .write_as(caller, move |tx, cx| {
            usecases::update_user(tx, cx, id, &if_match, change)
        })
        .await?;
    Ok(ok_with_etag(user.version, &UserView::from(&user)))
}

/// Delete a staff user.
///
/// Admins only, with the user's ETag in If-Match. The user can no longer sign in and their tokens stop
/// working at once; their name stays on the records they touched. The last admin cannot be deleted,
/// nor can admins delete themselves.
#[utoipa::path(
    tag = "staff",
    operation_id = "delete_user",
    params(
        ("id" = UserId, Path, description = "The user's id"),
        IfMatch,
    ),
    responses(
        (status = 204, description = "The user was deleted."),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<UserId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .write_as(caller, move |tx, cx| {
            usecases::delete_user(tx, cx, id, &if_match)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A team of staff.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-5a00-7b11-8c22-1d2e3f4a5b6c", "name": "Eastside Community Team",
    "created_at": "2026-11-26T09:00:00Z", "updated_at": "2026-11-26T09:00:00Z", "version": 1
}))]
pub struct TeamView {
    pub id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<&Team> for TeamView {
    fn from(team: &Team) -> Self {
        TeamView {
            id: team.id,
            name: team.name.to_string(),
            created_at: team.created_at,
            updated_at: team.updated_at,
            version: team.version,
        }
    }
}

/// A team with its members.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-5a00-7b11-8c22-1d2e3f4a5b6c", "name": "Eastside Community Team",
    "created_at": "2026-11-26T09:00:00Z", "updated_at": "2026-11-26T09:00:00Z", "version": 1,
    "supervisors": [{
        "id": "01936b2e-4a00-7a11-8c22-1d2e3f4a5b6c", "email": "grace.holloway@example.org",
        "display_name": "Grace Holloway", "role": "supervisor", "team_id": "01936b2e-5a00-7b11-8c22-1d2e3f4a5b6c",
        "created_at": "2026-11-26T09:00:00Z", "updated_at": "2026-11-26T09:00:00Z", "version": 1
    }],
    "members": [{
        "id": "01936b2e-4a00-7a11-8c22-1d2e3f4a5b6c", "email": "grace.holloway@example.org",
        "display_name": "Grace Holloway", "role": "supervisor", "team_id": "01936b2e-5a00-7b11-8c22-1d2e3f4a5b6c",
        "created_at": "2026-11-26T09:00:00Z", "updated_at": "2026-11-26T09:00:00Z", "version": 1
    }, {
        "id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "email": "sam.okafor@example.org",
        "display_name": "Sam Okafor", "role": "case_manager", "team_id": "01936b2e-5a00-7b11-8c22-1d2e3f4a5b6c",
        "created_at": "2026-11-26T09:00:00Z", "updated_at": "2026-11-26T09:00:00Z", "version": 1
    }]
}))]
pub struct TeamDetail {
    #[serde(flatten)]
    pub team: TeamView,
    /// The team's supervisors.
    pub supervisors: Vec<UserView>,
    /// Everyone on the team, supervisors included.
    pub members: Vec<UserView>,
}

/// A new team, or a team's new name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Eastside Community Team"}))]
pub struct TeamRequest {
    /// 1 to 200 characters, unique.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
}

/// Create a team.
///
/// Admins only. Add members by creating or changing users with this `team_id`.
#[utoipa::path(
    tag = "staff",
    operation_id = "create_team",
    request_body = TeamRequest,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "The team was created.", body = TeamView,
            headers(("ETag" = String, description = "The team's version"), ("Location" = String, description = "The team's URL"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/teams")]
pub async fn create_team(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<TeamRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = ShortText::parse(&body.value.name).map_err(|e| FieldErrors::single("name", e))?;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let team = usecases::create_team(tx, cx, name)?;
        Ok(Created {
            body: json_body(&TeamView::from(&team))?,
            location: format!("/v1/teams/{}", team.id),
            etag: Some(etag(team.version)),
        })
    })
    .await
}

/// List teams.
///
/// Admins see every team, a supervisor their own, by name.
#[utoipa::path(
    tag = "staff",
    operation_id = "list_teams",
    responses(
        (status = 200, description = "The teams.", body = Vec<TeamView>),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[get("/teams")]
pub async fn list_teams(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let teams = state.read_as(caller, usecases::list_teams).await?;
    Ok(HttpResponse::Ok().json(teams.iter().map(TeamView::from).collect::<Vec<_>>()))
}

/// Get a team and its members.
///
/// Admins may read any team, a supervisor only their own (another team is a 404).
#[utoipa::path(
    tag = "staff",
    operation_id = "get_team",
    params(("id" = TeamId, Path, description = "The team's id")),
    responses(
        (status = 200, description = "The team and its members.", body = TeamDetail, headers(("ETag" = String, description = "The team's version"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[get("/teams/{id}")]
pub async fn get_team(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<TeamId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (team, members) = state
        .read_as(caller, move |tx, cx| usecases::get_team(tx, cx, id))
        .await?;
    let detail = TeamDetail {
        team: TeamView::from(&team),
        supervisors: members
            .iter()
            .filter(|user| user.role == Role::Supervisor)
            .map(UserView::from)
            .collect(),
        members: members.iter().map(UserView::from).collect(),
    };
    Ok(ok_with_etag(team.version, &detail))
}

/// Rename a team.
///
/// Admins only, with the team's ETag in If-Match.
#[utoipa::path(
    tag = "staff",
    operation_id = "update_team",
    params(
        ("id" = TeamId, Path, description = "The team's id"),
        IfMatch,
    ),
    request_body(content = TeamRequest, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The renamed team.", body = TeamView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[patch("/teams/{id}")]
pub async fn update_team(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<TeamId>,
    if_match: IfMatch,
    body: ApiJson<TeamRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let name = ShortText::parse(&body.value.name).map_err(|e| FieldErrors::single("name", e))?;
    let team = state
        .write_as(caller, move |tx, cx| {
            usecases::rename_team(tx, cx, id, &if_match, name)
        })
        .await?;
    Ok(ok_with_etag(team.version, &TeamView::from(&team)))
}
