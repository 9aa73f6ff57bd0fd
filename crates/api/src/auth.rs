//! Sign-in: argon2id password hashes, HS256 access tokens, and the
//! extractor that turns a bearer token into the acting user.

use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use spoke_domain::ids::{ApiClientId, OrganizationId, UserId};
use spoke_domain::staff::User;
use spoke_domain::values::NewPassword;

use crate::problem::ApiError;
use crate::state::AppState;

/// Hashes a password with argon2id and the library's recommended parameters.
pub fn hash_password(password: &NewPassword) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.expose().as_bytes())
        .map(|hash| hash.to_string())
        .map_err(ApiError::internal)
}

/// Whether `password` matches the stored PHC `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash of no real password, verified when an email is unknown so that a
/// wrong email costs the same time as a wrong password.
pub fn decoy_hash() -> String {
    #[allow(clippy::unwrap_used)] // a constant, valid password
    hash_password(&NewPassword::parse("decoy password for unknown users").unwrap())
        .unwrap_or_default()
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
    jti: String,
    /// Set on a partner's token: the organization it acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    org: Option<String>,
    /// Set on a staff token: the generation of the user's sessions it was
    /// issued under (see `User::token_version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ver: Option<i32>,
}

/// Who a token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A staff user, under the generation of their sessions the token was
    /// issued in.
    Staff { user: UserId, version: i32 },
    /// A partner organization, through one of its API clients.
    Partner {
        client: ApiClientId,
        organization: OrganizationId,
    },
}

/// Issues and checks access tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    lifetime: chrono::Duration,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    pub fn new(secret: &[u8], issuer: &str, audience: &str, lifetime: chrono::Duration) -> Tokens {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            lifetime,
        }
    }

    pub fn lifetime(&self) -> chrono::Duration {
        self.lifetime
    }

    /// A signed token for `user` in their current sessions, valid from `now`
    /// for the configured lifetime.
    pub fn issue(&self, user: &User, now: DateTime<Utc>) -> Result<String, ApiError> {
        self.sign(
            Subject::Staff {
                user: user.id,
                version: user.token_version,
            },
            now,
        )
    }

    /// A signed token for `subject`, valid from `now` for the configured lifetime.
    pub fn sign(&self, subject: Subject, now: DateTime<Utc>) -> Result<String, ApiError> {
        let (sub, org, ver) = match subject {
            Subject::Staff { user, version } => (user.to_string(), None, Some(version)),
            Subject::Partner {
                client,
                organization,
            } => (client.to_string(), Some(organization.to_string()), None),
        };
        let claims = Claims {
            sub,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            exp: (now + self.lifetime).timestamp(),
            jti: uuid::Uuid::now_v7().to_string(),
            org,
            ver,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Who a token was issued to, if its signature, algorithm, issuer,
    /// audience and expiry all check out.
    pub fn verify(&self, token: &str) -> Result<Subject, ApiError> {
        let invalid = || ApiError::Unauthorized("the access token is invalid or expired");
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| invalid())?;
        match data.claims.org {
            None => Ok(Subject::Staff {
                user: data.claims.sub.parse().map_err(|_| invalid())?,
                // Tokens from before sessions had generations: the first.
                version: data.claims.ver.unwrap_or(1),
            }),
            Some(org) => Ok(Subject::Partner {
                client: data.claims.sub.parse().map_err(|_| invalid())?,
                organization: org.parse().map_err(|_| invalid())?,
            }),
        }
    }
}

/// The network address a request came from: the peer's, or, behind a
/// reverse proxy that sets it, the last address in the header the
/// deployment names (`SPOKE_CLIENT_IP_HEADER`). The last one is what the
/// proxy saw; anything before it the client could have written.
pub fn client_address(req: &HttpRequest, header: Option<&header::HeaderName>) -> IpAddr {
    let from_header = header
        .and_then(|name| req.headers().get(name))
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok());
    from_header
        .or_else(|| req.peer_addr().map(|peer| peer.ip()))
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

pub(crate) fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "sign in and send Authorization: Bearer <token>",
        ))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not a bearer token"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthorized(
            "the Authorization header is not a bearer token",
        )),
    }
}

/// A partner organization acting through one of its API clients, from a
/// token of the OAuth client credentials grant. Staff tokens are refused.
#[derive(Debug, Clone, Copy)]
pub struct Partner {
    pub client: ApiClientId,
    pub organization: OrganizationId,
}

impl FromRequest for Partner {
    type Error = ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let Subject::Partner {
                client,
                organization,
            } = state.tokens.verify(&token?)?
            else {
                return Err(ApiError::Forbidden(
                    "partner operations take a partner token from POST /v1/oauth/token",
                ));
            };
            let stored = state
                .read(move |conn| Ok(spoke_persistence::referrals::get_api_client(conn, client)?))
                .await
                .map_err(|error| match error {
                    ApiError::NotFound => {
                        ApiError::Unauthorized("the access token is invalid or expired")
                    }
                    other => other,
                })?;
            if stored.revoked_at.is_some() || stored.organization_id != organization {
                return Err(ApiError::Unauthorized("this API client was revoked"));
            }
            Ok(Partner {
                client,
                organization,
            })
        })
    }
}
