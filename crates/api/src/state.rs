//! What every request handler shares: the database, the token keys, settings.

use crate::auth::{LoginThrottle, Tokens};
use crate::db::{Db, Tx};
use crate::problem::ApiError;

/// The application's shared state. No global mutable state exists elsewhere.
#[derive(Debug)]
pub struct AppState {
    pub db: Db,
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

    /// A read: see [`Db::read`].
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, ApiError> + Send + 'static,
    {
        self.db.read(work).await
    }

    /// A write: see [`Db::write`].
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, ApiError> + Send + 'static,
    {
        self.db.write(work).await
    }
}
