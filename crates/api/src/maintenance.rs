//! Periodic upkeep on the server's runtime: expired idempotency records and
//! stale sign-in counters are deleted. Every instance sweeps; the deletes are
//! harmless when two overlap.

use std::time::Duration;

use spoke_domain::throttle::SignInLimits;
use spoke_persistence::{idempotency, throttle};

use crate::context::Clock;
use crate::db::Db;
use crate::problem::ApiError;

/// How upkeep runs.
#[derive(Debug, Clone, Copy)]
pub struct Upkeep {
    /// How often it runs.
    pub every: Duration,
    /// How long a creating request's response is replayed for its key.
    pub idempotency_retention: chrono::Duration,
    /// The sign-in limits, whose longest window outlives a counter.
    pub sign_in: SignInLimits,
    /// How often the alert rules are evaluated for every client (by the
    /// instances that run the worker).
    pub alert_sweep: Duration,
}

impl Default for Upkeep {
    fn default() -> Self {
        Upkeep {
            every: Duration::from_secs(60),
            idempotency_retention: chrono::Duration::hours(24),
            sign_in: SignInLimits::default(),
            alert_sweep: Duration::from_secs(15 * 60),
        }
    }
}

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub idempotency_records: usize,
    pub sign_in_counters: usize,
}

/// One sweep, in one write.
pub async fn sweep(db: &Db, clock: Clock, upkeep: Upkeep) -> Result<Swept, ApiError> {
    let now = clock.now();
    db.write(move |tx| {
        Ok(Swept {
            idempotency_records: idempotency::sweep(tx, now - upkeep.idempotency_retention)?,
            sign_in_counters: throttle::sweep(tx, now - upkeep.sign_in.longest_window())?,
        })
    })
    .await
}

/// Sweeps every `upkeep.every` until the server stops.
pub fn spawn(db: Db, clock: Clock, upkeep: Upkeep) {
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(upkeep.every).await;
            match sweep(&db, clock, upkeep).await {
                Ok(swept) => tracing::debug!(?swept, "upkeep"),
                Err(error) => {
                    tracing::warn!(error = %crate::problem::report(&error), "upkeep failed");
                }
            }
        }
    });
}

/// Sweeps the alerts every `every` until the server stops. Several
/// instances may: see [`crate::usecases::alerts::sweep`].
pub fn spawn_alert_sweep(db: Db, clock: Clock, every: Duration) {
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(every).await;
            let started = std::time::Instant::now();
            match crate::usecases::alerts::sweep(&db, clock, |_| {}).await {
                Ok(swept) => tracing::info!(
                    clients = swept.clients,
                    opened = swept.opened,
                    cleared = swept.cleared,
                    woken = swept.woken,
                    escalated = swept.escalated,
                    seconds = started.elapsed().as_secs_f64(),
                    "alert sweep"
                ),
                Err(error) => {
                    tracing::warn!(error = %crate::problem::report(&error), "alert sweep failed");
                }
            }
        }
    });
}
