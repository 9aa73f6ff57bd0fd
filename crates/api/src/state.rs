//! What every request handler shares: the database, the token keys, settings.

use actix_web::web;
use spoke_persistence::{Database, DbConnection};

use crate::auth::{LoginThrottle, Tokens};
use crate::problem::ApiError;

/// The application's shared state. No global mutable state exists elsewhere.
#[derive(Debug)]
pub struct AppState {
    pub database: Database,
    pub tokens: Tokens,
    pub login_throttle: LoginThrottle,
    /// A hash checked when an email is unknown, so both failures take as long.
    pub decoy_hash: String,
    /// The deployment's time zone, for "open now" and "today".
    pub timezone: chrono_tz::Tz,
    /// Whether a supervisor must approve a service plan before it becomes active.
    pub plan_approval_required: bool,
}

impl AppState {
    /// Today's date where the deployment is.
    pub fn today(&self) -> chrono::NaiveDate {
        self.local_now().date()
    }

    /// The wall-clock time where the deployment is.
    pub fn local_now(&self) -> chrono::NaiveDateTime {
        chrono::Utc::now()
            .with_timezone(&self.timezone)
            .naive_local()
    }

    /// Runs blocking database work on actix's blocking thread pool, never on
    /// the async executor threads.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let database = self.database.clone();
        web::block(move || {
            let mut conn = database.conn()?;
            work(&mut conn)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Like [`AppState::db`], inside one transaction.
    pub async fn tx<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        self.db(move |conn| spoke_persistence::transaction(conn, work))
            .await
    }
}
