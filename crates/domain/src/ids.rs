//! Typed identifiers: a client id can never be passed where a user id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid, example = "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10"))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) identifier.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// Identifies a client (a person served).
    ClientId
);
id_type!(
    /// Identifies a staff user.
    UserId
);
id_type!(
    /// Identifies a team of staff.
    TeamId
);
id_type!(
    /// Identifies a partner organization.
    OrganizationId
);
id_type!(
    /// Identifies an audit event.
    AuditEventId
);
id_type!(
    /// Identifies a service in the directory.
    ServiceId
);
id_type!(
    /// Identifies a location in the directory.
    LocationId
);
id_type!(
    /// Identifies a taxonomy term.
    TaxonomyTermId
);
id_type!(
    /// Identifies a care-team membership.
    CareTeamMemberId
);
id_type!(
    /// Identifies a natural support.
    NaturalSupportId
);
id_type!(
    /// Identifies one version of an assessment instrument.
    InstrumentId
);
id_type!(
    /// Identifies an assessment.
    AssessmentId
);
id_type!(
    /// Identifies a service plan.
    PlanId
);
id_type!(
    /// Identifies a goal of a service plan.
    GoalId
);
id_type!(
    /// Identifies a task under a plan goal.
    TaskId
);
id_type!(
    /// Identifies a progress note on a plan goal.
    ProgressNoteId
);
id_type!(
    /// Identifies a consent.
    ConsentId
);
id_type!(
    /// Identifies a referral.
    ReferralId
);
id_type!(
    /// Identifies one move in a referral's history.
    ReferralEventId
);
id_type!(
    /// Identifies a partner organization's API client (the OAuth `client_id`).
    ApiClientId
);
id_type!(
    /// Identifies a disclosure of client information.
    DisclosureId
);
id_type!(
    /// Identifies a webhook subscription.
    WebhookId
);
id_type!(
    /// Identifies an event to deliver to webhooks; receivers use it to detect duplicates.
    OutboxEventId
);
id_type!(
    /// Identifies a contact with or about a client.
    ContactId
);
id_type!(
    /// Identifies one version of a payer's billing configuration.
    BillingConfigId
);
id_type!(
    /// Identifies a batch of claims.
    ClaimBatchId
);
id_type!(
    /// Identifies one line of a claim batch.
    ClaimLineId
);
id_type!(
    /// Identifies an appointment of a client.
    AppointmentId
);
id_type!(
    /// Identifies a benefits application of a client.
    BenefitApplicationId
);
id_type!(
    /// Identifies one entry of a benefits application's history.
    BenefitApplicationEventId
);
id_type!(
    /// Identifies a critical event of a client (a hospitalization, an arrest).
    CriticalEventId
);
id_type!(
    /// Identifies one place a client lived.
    ResidenceId
);
id_type!(
    /// Identifies one enrollment (episode of care) of a client.
    EpisodeId
);
id_type!(
    /// Identifies a transfer of a client to another team or case manager.
    TransferId
);
id_type!(
    /// Identifies an early-warning alert.
    AlertId
);
