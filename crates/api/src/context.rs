//! What every use case is given: who acts, when, and under which request.
//!
//! A request's [`Caller`] is checked from its token alone, without the
//! database; the unit of work then signs the caller in (one read of the user
//! inside the same transaction) and hands the work a [`Cx`].

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use futures_util::future::{Ready, ready};
use spoke_domain::ids::UserId;
use spoke_domain::policy::Actor;
use spoke_domain::staff::User;
use spoke_persistence::{DbConnection, StoreError, staff};

use crate::auth::{Subject, bearer_token};
use crate::extract::RequestId;
use crate::problem::ApiError;
use crate::state::AppState;

/// The one clock: "now" in UTC and "today" where the agency works
/// (`SPOKE_TIMEZONE`). Tests may stop it at a moment of their choosing.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    timezone: chrono_tz::Tz,
    fixed: Option<DateTime<Utc>>,
}

impl Clock {
    pub fn new(timezone: chrono_tz::Tz) -> Clock {
        Clock {
            timezone,
            fixed: None,
        }
    }

    /// A clock that always reads `at`.
    pub fn fixed(timezone: chrono_tz::Tz, at: DateTime<Utc>) -> Clock {
        Clock {
            timezone,
            fixed: Some(at),
        }
    }

    /// Now, at the precision both databases keep (microseconds), so a value
    /// read back equals the value written.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now).trunc_subsecs(6)
    }

    /// The wall-clock time where the agency is.
    pub fn local_now(&self) -> NaiveDateTime {
        self.local(self.now())
    }

    /// The wall-clock time where the agency is at the moment `at`.
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.timezone).naive_local()
    }

    /// Today's date where the agency is.
    pub fn today(&self) -> NaiveDate {
        self.day_of(self.now())
    }

    /// The agency's date at the moment `at`.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.timezone).date_naive()
    }

    /// The moment `at` on the agency's wall clock, with its offset that day
    /// (standard or daylight time).
    pub fn zoned(&self, at: DateTime<Utc>) -> DateTime<chrono::FixedOffset> {
        at.with_timezone(&self.timezone).fixed_offset()
    }

    /// The moment the agency's day `day` begins: its first instant, on a
    /// day whose midnight a clock change skips or repeats included.
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        use chrono::TimeZone;
        let mut local = day.and_time(chrono::NaiveTime::MIN);
        // A skipped midnight: the day begins at the first minute that exists.
        for _ in 0..180 {
            if let Some(at) = self.timezone.from_local_datetime(&local).earliest() {
                return at.with_timezone(&Utc);
            }
            local += chrono::Duration::minutes(1);
        }
        local.and_utc()
    }

    /// The agency's time zone, by its IANA name.
    pub fn timezone_name(&self) -> &'static str {
        self.timezone.name()
    }
}

/// Who acts, when, under which request: the context of one use case.
#[derive(Debug, Clone)]
pub struct Cx {
    pub actor: Actor,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub request_id: String,
}

impl Cx {
    /// The context of `actor`, signed in some other way than a bearer token
    /// (a calendar feed's secret), reading `clock` now.
    pub fn of(actor: Actor, clock: &Clock, request_id: String) -> Cx {
        let now = clock.now();
        Cx {
            actor,
            now,
            today: clock.day_of(now),
            request_id,
        }
    }
}

/// The request's id, given by the middleware.
pub fn request_id(req: &HttpRequest) -> Result<String, ApiError> {
    req.extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .ok_or_else(|| ApiError::internal("request id middleware missing"))
}

/// A staff user whose access token checked out (signature, expiry, issuer,
/// audience), read from the clock at the request's start. Who they are now
/// (role, team, still active) is read by [`Caller::sign_in`] inside the unit of
/// work, so a request costs one trip to the database, not two.
#[derive(Debug, Clone)]
pub struct Caller {
    user_id: UserId,
    /// The generation of the user's sessions the token was issued in.
    token_version: i32,
    request_id: String,
    now: DateTime<Utc>,
    today: NaiveDate,
}

impl Caller {
    /// The caller's user as the database knows them now: a user deleted
    /// since the token was issued is refused, and so is a token of sessions
    /// ended since (a new password, role or team).
    pub fn user(&self, conn: &mut DbConnection) -> Result<User, ApiError> {
        match staff::get_user(conn, self.user_id) {
            Ok(user) if !user.is_active() => {
                Err(ApiError::Unauthorized("this user no longer exists"))
            }
            Ok(user) if user.token_version != self.token_version => Err(ApiError::Unauthorized(
                "this session has ended (the password, role or team changed); sign in again",
            )),
            Ok(user) => Ok(user),
            Err(StoreError::NotFound) => Err(ApiError::Unauthorized(
                "the access token is invalid or expired",
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// The context of the caller as the database knows them (see [`Caller::user`]).
    pub fn sign_in(self, conn: &mut DbConnection) -> Result<Cx, ApiError> {
        let user = self.user(conn)?;
        Ok(Cx {
            actor: Actor::from(&user),
            now: self.now,
            today: self.today,
            request_id: self.request_id,
        })
    }

    pub fn today(&self) -> NaiveDate {
        self.today
    }

    pub fn user_id(&self) -> UserId {
        self.user_id
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("application state missing"))?;
            let Subject::Staff {
                user: user_id,
                version: token_version,
            } = state.tokens.verify(&bearer_token(req)?)?
            else {
                return Err(ApiError::Forbidden(
                    "a partner token reaches only the partner operations under /v1/partner",
                ));
            };
            let request_id = request_id(req)?;
            let now = state.clock.now();
            Ok(Caller {
                user_id,
                token_version,
                request_id,
                now,
                today: state.clock.day_of(now),
            })
        })())
    }
}
