//! Spoke's domain: the rules of community case management as pure code.
//!
//! Nothing here performs I/O. Values are parsed into types that cannot hold
//! bad data; lifecycle rules and the authorization policy are plain functions
//! that the persistence and API layers call.

pub mod assessment;
pub mod audit;
pub mod care;
pub mod client;
pub mod consent;
pub mod directory;
pub mod egress;
pub mod error;
pub mod ids;
pub mod partner;
pub mod plan;
pub mod policy;
pub mod referral;
pub mod staff;
pub mod throttle;
pub mod values;

pub use error::{FieldError, FieldErrors, ValueError};

/// A record changed under optimistic concurrency: every change raises its
/// version, which is also its ETag.
pub trait Versioned {
    fn version(&self) -> i32;
    /// Marks a change made at `now`: the version goes up by one.
    fn touch(&mut self, now: chrono::DateTime<chrono::Utc>);
}

/// Implements [`Versioned`] for a record with a `version` field and an
/// inherent `touch(now)`.
macro_rules! versioned {
    ($($record:ty),* $(,)?) => {$(
        impl $crate::Versioned for $record {
            fn version(&self) -> i32 {
                self.version
            }
            fn touch(&mut self, now: chrono::DateTime<chrono::Utc>) {
                <$record>::touch(self, now)
            }
        }
    )*};
}

versioned!(
    assessment::Assessment,
    plan::Plan,
    client::Client,
    consent::Consent,
    staff::User,
    staff::Team,
    care::CareTeamMember,
    care::NaturalSupport,
    directory::Organization,
    directory::Location,
    directory::Service,
);
