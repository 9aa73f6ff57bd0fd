//! Spoke's storage: one diesel schema and one query layer over SQLite and
//! PostgreSQL. This crate knows tables, not HTTP: it stores what the domain
//! has decided and hands back domain types.

pub mod alerts;
pub mod appointments;
pub mod assessments;
pub mod audit;
pub mod benefits;
pub mod care;
pub mod changes;
pub mod claims;
pub mod clients;
mod conn;
pub mod contacts;
pub mod directory;
pub mod episodes;
mod error;
pub mod events;
pub mod idempotency;
mod migrations;
pub mod page;
pub mod plans;
pub mod referrals;
mod rows;
pub mod safety_plans;
mod schema;
pub mod staff;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod throttle;
pub mod transfers;
pub mod webhooks;

pub use conn::{
    Backend, Checkpointed, Database, DbConnection, PoolOptions, PooledConnection, read_transaction,
    transaction,
};
pub use error::StoreError;
pub use migrations::{MIGRATION_TREES, run_migrations};

use chrono::{DateTime, SubsecRound, Utc};

/// The current time at the precision both databases keep (microseconds), so
/// a value read back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
