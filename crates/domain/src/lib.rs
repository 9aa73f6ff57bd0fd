//! Spoke's domain: the rules of community case management as pure code.
//!
//! Nothing here performs I/O. Values are parsed into types that cannot hold
//! bad data; lifecycle rules and the authorization policy are plain functions
//! that the persistence and API layers call.

/// A closed set of values spelt as snake-case text in JSON and in the
/// database: `ALL`, `as_str` and `parse`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, example = $example:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "openapi", schema(example = $example))]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw)
            }
        }
    };
}

pub mod alert;
pub mod appointment;
pub mod assessment;
pub mod audit;
pub mod benefit;
pub mod billing;
pub mod care;
pub mod change;
pub mod claim;
pub mod client;
pub mod consent;
pub mod contact;
pub mod critical_event;
pub mod directory;
pub mod egress;
pub mod episode;
pub mod error;
pub mod ids;
pub mod lifecycle;
pub mod partner;
pub mod plan;
pub mod policy;
pub mod referral;
pub mod residence;
pub mod safety_plan;
pub mod staff;
pub mod throttle;
pub mod transfer;
pub mod values;
pub mod worklist;

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
    alert::Alert,
    assessment::Assessment,
    plan::Plan,
    client::Client,
    consent::Consent,
    staff::User,
    staff::Team,
    care::CareTeamMember,
    care::NaturalSupport,
    contact::Contact,
    appointment::Appointment,
    benefit::Application,
    critical_event::CriticalEvent,
    residence::Residence,
    episode::Episode,
    claim::ClaimBatch,
    directory::Organization,
    directory::Location,
    directory::Service,
);
