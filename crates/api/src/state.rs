//! What every request handler shares: the database, the clock, the token
//! keys, settings.

use crate::auth::Tokens;
use crate::context::{Caller, Clock, Cx};
use crate::db::{Db, Tx};
use crate::problem::ApiError;

/// The application's shared state. No global mutable state exists elsewhere.
#[derive(Debug)]
pub struct AppState {
    pub db: Db,
    /// The one clock: "now", and "today" in the deployment's time zone.
    pub clock: Clock,
    pub tokens: Tokens,
    /// How often an account may be tried (`domain::throttle`).
    pub sign_in_limits: spoke_domain::throttle::SignInLimits,
    /// The header a trusted reverse proxy puts the client's address in.
    pub client_address_header: Option<actix_web::http::header::HeaderName>,
    /// A hash checked when an email is unknown, so both failures take as long.
    pub decoy_hash: String,
    /// Whether a supervisor must approve a service plan before it becomes active.
    pub plan_approval_required: bool,
    /// Whether a supervisor must approve a case manager's discharge.
    pub discharge_approval_required: bool,
    /// Working hours, the late-entry allowance and the payer for contacts.
    pub contacts: crate::usecases::contacts::ContactSettings,
    /// What `/metrics` shows.
    pub metrics: crate::metrics::Metrics,
    /// The bearer token `/metrics` asks for, when one is set.
    pub metrics_token: Option<String>,
    /// Whether webhook receivers on this machine are allowed (development).
    pub webhook_loopback: spoke_domain::egress::Loopback,
}

impl AppState {
    /// A read: see [`Db::read`].
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, ApiError> + Send + 'static,
    {
        self.db.read(work).await
    }

    /// A write: see [`Db::write`]. Before it commits, the alerts of the
    /// clients it changed are evaluated in the same transaction
    /// (`usecases::alerts::after_change`).
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, ApiError> + Send + 'static,
    {
        let clock = self.clock;
        self.db
            .write(move |tx| {
                let value = work(tx)?;
                crate::usecases::alerts::after_change(tx, &clock)?;
                Ok(value)
            })
            .await
    }

    /// A read by `caller`, signed in inside the same transaction.
    pub async fn read_as<T, F>(&self, caller: Caller, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx, &Cx) -> Result<T, ApiError> + Send + 'static,
    {
        self.db
            .read(move |tx| {
                let cx = caller.sign_in(tx)?;
                work(tx, &cx)
            })
            .await
    }

    /// A write by `caller`, signed in inside the same transaction.
    pub async fn write_as<T, F>(&self, caller: Caller, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx, &Cx) -> Result<T, ApiError> + Send + 'static,
    {
        self.write(move |tx| {
            let cx = caller.sign_in(tx)?;
            work(tx, &cx)
        })
        .await
    }
}
