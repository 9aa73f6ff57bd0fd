//! Appointments and the rides to them: the psychiatrist's medication check,
//! the benefits office, court, the first visit at a food bank. Kept
//! appointments are how treatment is followed through; missed ones are the
//! earliest sign of trouble.
//!
//! An appointment is scheduled, then kept, missed, cancelled or rescheduled
//! (to a new appointment it links); kept and missed only once it has begun.
//! Its ride, when it needs one, is requested, arranged, then completed or
//! failed.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::client::RiskFlag;
use crate::consent::ConsentCategory;
use crate::error::{FieldErrors, ValueError};
use crate::ids::{
    AppointmentId, CareTeamMemberId, ClientId, LocationId, ReferralId, ServiceId, TaskId, UserId,
};
use crate::lifecycle::{IllegalMove, Status};
use crate::values::{LongText, ShortText};

text_enum!(
    /// What the appointment is for.
    AppointmentKind, example = "psychiatric", {
        Medical => "medical",
        Psychiatric => "psychiatric",
        Therapy => "therapy",
        SubstanceUseTreatment => "substance_use_treatment",
        BenefitsOffice => "benefits_office",
        CourtOrProbation => "court_or_probation",
        Housing => "housing",
        Pharmacy => "pharmacy",
        EducationOrEmployment => "education_or_employment",
        Recreation => "recreation",
        Other => "other",
    }
);
text_enum!(
    /// Where an appointment stands.
    AppointmentStatus, example = "scheduled", {
        Scheduled => "scheduled",
        Kept => "kept",
        Missed => "missed",
        Cancelled => "cancelled",
        Rescheduled => "rescheduled",
    }
);
text_enum!(
    /// Who called an appointment off.
    CancelledBy, example = "provider", {
        Client => "client",
        Provider => "provider",
    }
);
text_enum!(
    /// How the client gets there.
    TransportMode, example = "nemt", {
        CaseManagerDrives => "case_manager_drives",
        AgencyVehicle => "agency_vehicle",
        BusPass => "bus_pass",
        Paratransit => "paratransit",
        /// Medicaid non-emergency medical transportation.
        Nemt => "nemt",
        Rideshare => "rideshare",
        FamilyOrFriend => "family_or_friend",
    }
);
text_enum!(
    /// Where a ride stands.
    RideStatus, example = "arranged", {
        Requested => "requested",
        Arranged => "arranged",
        Completed => "completed",
        Failed => "failed",
    }
);

impl Status for AppointmentStatus {
    const RECORD: &'static str = "appointment";
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl Status for RideStatus {
    const RECORD: &'static str = "ride";
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl AppointmentKind {
    /// The kind of information the appointment itself reveals: a visit to
    /// substance use treatment is Part 2 information, a psychiatric one
    /// mental health.
    pub fn sensitivity(self) -> ConsentCategory {
        match self {
            AppointmentKind::SubstanceUseTreatment => ConsentCategory::SubstanceUse,
            AppointmentKind::Psychiatric | AppointmentKind::Therapy => {
                ConsentCategory::MentalHealth
            }
            AppointmentKind::Medical | AppointmentKind::Pharmacy => ConsentCategory::Health,
            _ => ConsentCategory::General,
        }
    }

    /// A label fit for a calendar: the kind, never the diagnosis.
    pub fn label(self) -> &'static str {
        match self {
            AppointmentKind::Medical => "Medical appointment",
            AppointmentKind::Psychiatric => "Psychiatric appointment",
            AppointmentKind::Therapy => "Therapy",
            AppointmentKind::SubstanceUseTreatment => "Treatment appointment",
            AppointmentKind::BenefitsOffice => "Benefits office",
            AppointmentKind::CourtOrProbation => "Court or probation",
            AppointmentKind::Housing => "Housing appointment",
            AppointmentKind::Pharmacy => "Pharmacy",
            AppointmentKind::EducationOrEmployment => "Education or employment",
            AppointmentKind::Recreation => "Recreation",
            AppointmentKind::Other => "Appointment",
        }
    }
}

/// The statuses an appointment may move to from `from`, `started` telling
/// whether its start has passed: kept and missed only then.
pub fn appointment_moves(from: AppointmentStatus, started: bool) -> Vec<AppointmentStatus> {
    use AppointmentStatus::*;
    match from {
        Scheduled if started => vec![Kept, Missed, Cancelled, Rescheduled],
        Scheduled => vec![Cancelled, Rescheduled],
        Kept | Missed | Cancelled | Rescheduled => Vec::new(),
    }
}

/// The statuses a ride may move to from `from`, `due` telling whether its
/// pickup (or the appointment's start) has passed: completed only then.
pub fn ride_moves(from: RideStatus, due: bool) -> Vec<RideStatus> {
    use RideStatus::*;
    match from {
        Requested => vec![Arranged, Failed],
        Arranged if due => vec![Completed, Failed],
        Arranged => vec![Failed],
        Completed | Failed => Vec::new(),
    }
}

/// How long before its appointment a ride may leave: a day.
pub fn max_pickup_lead() -> Duration {
    Duration::hours(24)
}

/// A ride as the case manager plans it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "mode": "nemt", "pickup_address": "1200 Elm St, Apt 4B, Springfield",
    "pickup_at": "2026-12-03T14:15:00Z", "staff_ids": [], "cost_cents": 0, "nemt_trip_id": "MTM-4471902"
})))]
pub struct TransportInput {
    pub mode: TransportMode,
    /// 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub pickup_address: Option<String>,
    /// Not after the appointment's start.
    #[serde(default)]
    pub pickup_at: Option<DateTime<Utc>>,
    /// The staff who drive or ride along. A client flagged `two_person_visits` is never driven by one
    /// staff member alone: `case_manager_drives` then names two.
    #[serde(default)]
    pub staff_ids: Vec<UserId>,
    /// What the ride costs the agency, in cents, 0 to 100,000,000.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100_000_000))]
    pub cost_cents: Option<i64>,
    /// The NEMT broker's trip number, 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub nemt_trip_id: Option<String>,
}

/// An appointment as the case manager writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "starts_at": "2026-12-03T15:00:00Z", "ends_at": "2026-12-03T15:45:00Z", "kind": "psychiatric",
    "care_team_member_id": "01936b30-1c00-7c11-8d22-3e4f5a6b7c8d", "service_id": null, "with_name": null,
    "location_id": null, "address": "Riverside Clinic, 40 Mill Rd, Springfield",
    "case_manager_attends": true, "referral_id": null, "task_id": null,
    "notes": "Bring the medication list.",
    "transport": {"mode": "nemt", "pickup_address": "1200 Elm St, Apt 4B, Springfield",
        "pickup_at": "2026-12-03T14:15:00Z", "staff_ids": [], "cost_cents": 0, "nemt_trip_id": "MTM-4471902"}
})))]
pub struct AppointmentInput {
    /// When it begins (any offset; stored in UTC).
    pub starts_at: DateTime<Utc>,
    /// When it ends: after the start, at most 24 hours later.
    pub ends_at: DateTime<Utc>,
    pub kind: AppointmentKind,
    /// With whom: a member of the client's care team, a directory service, or a name (at least one).
    #[serde(default)]
    pub care_team_member_id: Option<CareTeamMemberId>,
    #[serde(default)]
    pub service_id: Option<ServiceId>,
    /// 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub with_name: Option<String>,
    /// Where: a directory location, or an address (not both; neither for a call).
    #[serde(default)]
    pub location_id: Option<LocationId>,
    /// 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub address: Option<String>,
    /// Whether the case manager goes along.
    #[serde(default)]
    pub case_manager_attends: bool,
    /// The client's referral this is the first visit of: when the appointment is kept, the referral's
    /// `linked_on` is set.
    #[serde(default)]
    pub referral_id: Option<ReferralId>,
    /// The task of the client's plan this appointment serves.
    #[serde(default)]
    pub task_id: Option<TaskId>,
    /// Logistics ("bring the medication list"), 1 to 4,000 characters; never on a calendar feed.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub notes: Option<String>,
    /// The kind of information the appointment reveals; by default the kind's (substance use treatment
    /// `substance_use`, psychiatric and therapy `mental_health`, medical and pharmacy `health`, the rest
    /// `general`). Care-team members see only general and health appointments of others.
    #[serde(default)]
    pub sensitivity: Option<ConsentCategory>,
    /// The ride; null when the client needs none.
    #[serde(default)]
    pub transport: Option<TransportInput>,
}

/// A ride's checked plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportPlan {
    pub mode: TransportMode,
    pub pickup_address: Option<ShortText>,
    pub pickup_at: Option<DateTime<Utc>>,
    pub staff_ids: Vec<UserId>,
    pub cost_cents: Option<i64>,
    pub nemt_trip_id: Option<ShortText>,
}

/// The checked content of an appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentFields {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub kind: AppointmentKind,
    pub care_team_member_id: Option<CareTeamMemberId>,
    pub service_id: Option<ServiceId>,
    pub with_name: Option<ShortText>,
    pub location_id: Option<LocationId>,
    pub address: Option<ShortText>,
    pub case_manager_attends: bool,
    pub referral_id: Option<ReferralId>,
    pub task_id: Option<TaskId>,
    pub notes: Option<LongText>,
    pub sensitivity: ConsentCategory,
}

/// A ride: its plan and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ride {
    pub plan: TransportPlan,
    pub status: RideStatus,
    /// Who arranged it, and when.
    pub arranged_by: Option<UserId>,
    pub arranged_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub failure_reason: Option<ShortText>,
}

impl TransportInput {
    /// Checks a ride to an appointment starting at `starts_at` for a client
    /// with `risk_flags`.
    fn parse(
        self,
        errors: &mut FieldErrors,
        starts_at: DateTime<Utc>,
        risk_flags: &BTreeSet<RiskFlag>,
    ) -> Option<TransportPlan> {
        let pickup_address = errors.check_opt(
            "transport.pickup_address",
            self.pickup_address.as_deref(),
            ShortText::parse,
        );
        let nemt_trip_id = errors.check_opt(
            "transport.nemt_trip_id",
            self.nemt_trip_id.as_deref(),
            ShortText::parse,
        );
        if let Some(pickup) = self.pickup_at
            && pickup > starts_at
        {
            errors.push(
                "transport.pickup_at",
                ValueError::new("after_start", "must not be after the appointment starts"),
            );
        }
        if let Some(pickup) = self.pickup_at
            && starts_at - pickup > max_pickup_lead()
        {
            errors.push(
                "transport.pickup_at",
                ValueError::new(
                    "out_of_range",
                    "must be within 24 hours before the appointment",
                ),
            );
        }
        if let Some(cost) = self.cost_cents
            && !(0..=100_000_000).contains(&cost)
        {
            errors.push(
                "transport.cost_cents",
                ValueError::new("out_of_range", "must be 0 to 100000000 cents"),
            );
        }
        errors.no_duplicates("transport.staff_ids", &self.staff_ids);
        if self.mode == TransportMode::CaseManagerDrives
            && risk_flags.contains(&RiskFlag::TwoPersonVisits)
            && self.staff_ids.len() < 2
        {
            errors.push(
                "transport.staff_ids",
                ValueError::new(
                    "two_person_visits",
                    "the client is flagged two_person_visits: a case_manager_drives ride names two \
                     staff members in staff_ids",
                ),
            );
        }
        Some(TransportPlan {
            mode: self.mode,
            pickup_address,
            pickup_at: self.pickup_at,
            staff_ids: self.staff_ids,
            cost_cents: self.cost_cents,
            nemt_trip_id,
        })
    }
}

impl AppointmentInput {
    /// Checks the input: the times, who and where, the texts, and the
    /// ride's two-person rule for a client with `risk_flags`. References to
    /// the client's care team, referrals and plan tasks, and to the
    /// directory and staff, are checked against the store by the caller.
    pub fn parse(
        self,
        risk_flags: &BTreeSet<RiskFlag>,
    ) -> Result<(AppointmentFields, Option<TransportPlan>), FieldErrors> {
        let mut errors = FieldErrors::default();
        if self.ends_at <= self.starts_at {
            errors.push(
                "ends_at",
                ValueError::new("before_start", "must be after starts_at"),
            );
        } else if self.ends_at - self.starts_at > Duration::hours(24) {
            errors.push(
                "ends_at",
                ValueError::new("out_of_range", "must be at most 24 hours after starts_at"),
            );
        }
        let with_name = errors.check_opt("with_name", self.with_name.as_deref(), ShortText::parse);
        if self.care_team_member_id.is_none()
            && self.service_id.is_none()
            && self.with_name.is_none()
        {
            errors.push(
                "with_name",
                ValueError::new(
                    "required",
                    "name with whom: care_team_member_id, service_id or with_name",
                ),
            );
        }
        let address = errors.check_opt("address", self.address.as_deref(), ShortText::parse);
        if self.location_id.is_some() && self.address.is_some() {
            errors.push(
                "address",
                ValueError::new("conflicting", "give location_id or address, not both"),
            );
        }
        let notes = errors.check_opt("notes", self.notes.as_deref(), LongText::parse);
        let transport = self
            .transport
            .and_then(|t| t.parse(&mut errors, self.starts_at, risk_flags));
        errors.finish(|| {
            Some((
                AppointmentFields {
                    starts_at: self.starts_at,
                    ends_at: self.ends_at,
                    kind: self.kind,
                    care_team_member_id: self.care_team_member_id,
                    service_id: self.service_id,
                    with_name,
                    location_id: self.location_id,
                    address,
                    case_manager_attends: self.case_manager_attends,
                    referral_id: self.referral_id,
                    task_id: self.task_id,
                    notes,
                    sensitivity: self.sensitivity.unwrap_or(self.kind.sensitivity()),
                },
                transport,
            ))
        })
    }
}

/// A move of an appointment's status.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "cancelled", "cancelled_by": "provider", "reason": "The doctor is out sick."
})))]
pub struct AppointmentMove {
    pub status: AppointmentStatus,
    /// Required to cancel; optional for a missed appointment. 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub reason: Option<String>,
    /// Required to cancel.
    #[serde(default)]
    pub cancelled_by: Option<CancelledBy>,
    /// Required to reschedule: the new appointment's start.
    #[serde(default)]
    pub new_starts_at: Option<DateTime<Utc>>,
    /// To reschedule: the new end (by default the same length as before).
    #[serde(default)]
    pub new_ends_at: Option<DateTime<Utc>>,
}

/// A move of a ride's status.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"status": "failed", "reason": "The driver did not come."})))]
pub struct RideMove {
    pub status: RideStatus,
    /// Required when the ride failed. 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub reason: Option<String>,
}

/// An appointment of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: AppointmentId,
    pub client_id: ClientId,
    pub fields: AppointmentFields,
    pub ride: Option<Ride>,
    pub status: AppointmentStatus,
    /// Who last moved its status, when, and why.
    pub status_changed_by: Option<UserId>,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub status_reason: Option<ShortText>,
    pub cancelled_by: Option<CancelledBy>,
    /// The appointment this one replaced, and the one that replaced it.
    pub rescheduled_from: Option<AppointmentId>,
    pub rescheduled_to: Option<AppointmentId>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Why an appointment or its ride may not change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppointmentError {
    #[error("only a scheduled appointment changes; this one is {}", .0.as_str())]
    Closed(AppointmentStatus),
    #[error("the appointment has no ride to move; add one with a change of the appointment")]
    NoRide,
    #[error("{0}")]
    IllegalMove(#[from] IllegalMove),
    #[error("{0}")]
    Invalid(FieldErrors),
}

impl From<FieldErrors> for AppointmentError {
    fn from(errors: FieldErrors) -> Self {
        AppointmentError::Invalid(errors)
    }
}

/// What a kept appointment does beyond itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consequence {
    None,
    /// The referral it is the first visit of reached the client.
    Linked(ReferralId),
    /// The new appointment that replaces this one, to store.
    Replaced(Box<Appointment>),
}

impl Appointment {
    pub fn new(
        client_id: ClientId,
        fields: AppointmentFields,
        transport: Option<TransportPlan>,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Appointment {
        Appointment {
            id: AppointmentId::generate(),
            client_id,
            fields,
            ride: transport.map(Ride::requested),
            status: AppointmentStatus::Scheduled,
            status_changed_by: None,
            status_changed_at: None,
            status_reason: None,
            cancelled_by: None,
            rescheduled_from: None,
            rescheduled_to: None,
            created_by: by,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }

    /// The moves allowed now.
    pub fn allowed_moves(&self, now: DateTime<Utc>) -> Vec<AppointmentStatus> {
        appointment_moves(self.status, now >= self.fields.starts_at)
    }

    /// Replaces the content of a scheduled appointment. A ride keeps where
    /// it stands while its mode stays; a new mode is requested again.
    pub fn revise(
        &mut self,
        fields: AppointmentFields,
        transport: Option<TransportPlan>,
        now: DateTime<Utc>,
    ) -> Result<(), AppointmentError> {
        if self.status != AppointmentStatus::Scheduled {
            return Err(AppointmentError::Closed(self.status));
        }
        self.fields = fields;
        self.ride = match (self.ride.take(), transport) {
            (Some(ride), Some(plan)) if ride.plan.mode == plan.mode => Some(Ride { plan, ..ride }),
            (_, plan) => plan.map(Ride::requested),
        };
        self.touch(now);
        Ok(())
    }

    /// Moves the status as `input` asks, by `by` at `now`.
    pub fn move_to(
        &mut self,
        input: AppointmentMove,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Result<Consequence, AppointmentError> {
        use AppointmentStatus::*;
        IllegalMove::check(self.status, input.status, &self.allowed_moves(now))?;
        let mut errors = FieldErrors::default();
        let reason = errors.check_opt("reason", input.reason.as_deref(), ShortText::parse);
        let not_here = |errors: &mut FieldErrors, field: &str, given: bool| {
            if given {
                errors.push(
                    field,
                    ValueError::new("not_allowed", "only for another status"),
                );
            }
        };
        if input.status == Cancelled {
            if input.reason.is_none() {
                errors.push(
                    "reason",
                    ValueError::new("required", "say why it was cancelled"),
                );
            }
            if input.cancelled_by.is_none() {
                errors.push(
                    "cancelled_by",
                    ValueError::new("required", "say who cancelled it: client or provider"),
                );
            }
        } else {
            not_here(&mut errors, "cancelled_by", input.cancelled_by.is_some());
        }
        if matches!(input.status, Kept | Rescheduled) {
            not_here(&mut errors, "reason", input.reason.is_some());
        }
        let mut replacement = None;
        if input.status == Rescheduled {
            match input.new_starts_at {
                None => errors.push(
                    "new_starts_at",
                    ValueError::new("required", "give the new appointment's start"),
                ),
                Some(starts_at) => {
                    let length = self.fields.ends_at - self.fields.starts_at;
                    let ends_at = input.new_ends_at.unwrap_or(starts_at + length);
                    if ends_at <= starts_at || ends_at - starts_at > Duration::hours(24) {
                        errors.push(
                            "new_ends_at",
                            ValueError::new(
                                "out_of_range",
                                "must be after new_starts_at, at most 24 hours later",
                            ),
                        );
                    } else {
                        replacement = Some(self.rescheduled(starts_at, ends_at, by, now));
                    }
                }
            }
        } else {
            not_here(&mut errors, "new_starts_at", input.new_starts_at.is_some());
            not_here(&mut errors, "new_ends_at", input.new_ends_at.is_some());
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        self.status = input.status;
        self.status_changed_by = Some(by);
        self.status_changed_at = Some(now);
        self.status_reason = reason;
        self.cancelled_by = input.cancelled_by;
        self.touch(now);
        Ok(match (input.status, replacement, self.fields.referral_id) {
            (Rescheduled, Some(new), _) => {
                self.rescheduled_to = Some(new.id);
                Consequence::Replaced(Box::new(new))
            }
            (Kept, _, Some(referral)) => Consequence::Linked(referral),
            _ => Consequence::None,
        })
    }

    /// A copy at the new times, its ride requested again at the same
    /// distance before the start.
    fn rescheduled(
        &self,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Appointment {
        let shift = starts_at - self.fields.starts_at;
        let ride = self.ride.as_ref().map(|ride| {
            Ride::requested(TransportPlan {
                pickup_at: ride.plan.pickup_at.map(|at| at + shift),
                ..ride.plan.clone()
            })
        });
        Appointment {
            fields: AppointmentFields {
                starts_at,
                ends_at,
                ..self.fields.clone()
            },
            ride,
            rescheduled_from: Some(self.id),
            ..Appointment::new(self.client_id, self.fields.clone(), None, by, now)
        }
    }

    /// The moves its ride may make now: completed only once its pickup (or
    /// the start) has passed, and arranged only while the appointment is
    /// scheduled. None without a ride.
    pub fn ride_moves(&self, now: DateTime<Utc>) -> Vec<RideStatus> {
        let Some(ride) = &self.ride else {
            return Vec::new();
        };
        let due = now >= ride.plan.pickup_at.unwrap_or(self.fields.starts_at);
        let mut allowed = ride_moves(ride.status, due);
        if self.status != AppointmentStatus::Scheduled {
            allowed.retain(|s| *s != RideStatus::Arranged);
        }
        allowed
    }

    /// Moves the ride as `input` asks: arranged by `by`; completed only once
    /// its pickup (or the appointment's start) has passed; failed with a
    /// reason. Only a scheduled appointment's ride is arranged.
    pub fn move_ride(
        &mut self,
        input: RideMove,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), AppointmentError> {
        let allowed = self.ride_moves(now);
        let ride = self.ride.as_mut().ok_or(AppointmentError::NoRide)?;
        IllegalMove::check(ride.status, input.status, &allowed)?;
        let mut errors = FieldErrors::default();
        let reason = errors.check_opt("reason", input.reason.as_deref(), ShortText::parse);
        match (input.status, &reason) {
            (RideStatus::Failed, None) if input.reason.is_none() => errors.push(
                "reason",
                ValueError::new("required", "say why the ride failed"),
            ),
            (RideStatus::Arranged | RideStatus::Completed, Some(_)) => errors.push(
                "reason",
                ValueError::new("not_allowed", "a reason is given only when a ride failed"),
            ),
            _ => {}
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        if input.status == RideStatus::Arranged {
            ride.arranged_by = Some(by);
            ride.arranged_at = Some(now);
        }
        ride.status = input.status;
        ride.failure_reason = reason;
        self.touch(now);
        Ok(())
    }
}

impl Ride {
    fn requested(plan: TransportPlan) -> Ride {
        Ride {
            plan,
            status: RideStatus::Requested,
            arranged_by: None,
            arranged_at: None,
            failure_reason: None,
        }
    }
}

/// A client's initials, for places that carry the minimum necessary (a
/// calendar feed): "M. R." for Maria Rivera.
pub fn initials(given: &str, family: &str) -> String {
    let first = |name: &str| name.chars().next().map(|c| c.to_uppercase().to_string());
    [first(given), first(family)]
        .into_iter()
        .flatten()
        .map(|c| format!("{c}."))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use AppointmentStatus::*;

    fn at(hour: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + hour * 3600, 0).unwrap()
    }

    fn input() -> AppointmentInput {
        AppointmentInput {
            starts_at: at(10),
            ends_at: at(11),
            kind: AppointmentKind::Psychiatric,
            care_team_member_id: None,
            service_id: None,
            with_name: Some("Dr. Okafor".into()),
            location_id: None,
            address: Some("40 Mill Rd".into()),
            case_manager_attends: false,
            referral_id: None,
            task_id: None,
            notes: None,
            sensitivity: None,
            transport: None,
        }
    }

    fn ride(mode: TransportMode, staff: usize) -> TransportInput {
        TransportInput {
            mode,
            pickup_address: None,
            pickup_at: Some(at(9)),
            staff_ids: (0..staff).map(|_| UserId::generate()).collect(),
            cost_cents: None,
            nemt_trip_id: None,
        }
    }

    fn appointment(referral: Option<ReferralId>) -> Appointment {
        let (mut fields, plan) = input().parse(&BTreeSet::new()).unwrap();
        fields.referral_id = referral;
        Appointment::new(
            ClientId::generate(),
            fields,
            plan,
            UserId::generate(),
            at(0),
        )
    }

    fn to(status: AppointmentStatus) -> AppointmentMove {
        AppointmentMove {
            status,
            reason: (status == Cancelled).then(|| "sick".to_owned()),
            cancelled_by: (status == Cancelled).then_some(CancelledBy::Client),
            new_starts_at: (status == Rescheduled).then(|| at(30)),
            new_ends_at: None,
        }
    }

    fn codes(errors: &FieldErrors) -> Vec<(&str, &str)> {
        errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect()
    }

    #[test]
    fn sensitivity_follows_the_kind_unless_given() {
        let (fields, _) = input().parse(&BTreeSet::new()).unwrap();
        assert_eq!(fields.sensitivity, ConsentCategory::MentalHealth);
        let given = AppointmentInput {
            sensitivity: Some(ConsentCategory::General),
            kind: AppointmentKind::SubstanceUseTreatment,
            ..input()
        };
        assert_eq!(
            given.parse(&BTreeSet::new()).unwrap().0.sensitivity,
            ConsentCategory::General
        );
        assert_eq!(
            AppointmentKind::SubstanceUseTreatment.sensitivity(),
            ConsentCategory::SubstanceUse
        );
    }

    #[test]
    fn bad_times_and_missing_parties_are_named() {
        let bad = AppointmentInput {
            ends_at: at(10),
            with_name: None,
            location_id: Some(LocationId::generate()),
            transport: Some(TransportInput {
                pickup_at: Some(at(11)),
                cost_cents: Some(-1),
                ..ride(TransportMode::Nemt, 0)
            }),
            ..input()
        };
        let errors = bad.parse(&BTreeSet::new()).unwrap_err();
        assert_eq!(
            codes(&errors),
            vec![
                ("ends_at", "before_start"),
                ("with_name", "required"),
                ("address", "conflicting"),
                ("transport.pickup_at", "after_start"),
                ("transport.cost_cents", "out_of_range"),
            ]
        );
    }

    #[test]
    fn a_flagged_client_is_never_driven_by_one_staff_member() {
        let flagged = BTreeSet::from([RiskFlag::TwoPersonVisits]);
        for (mode, staff, ok) in [
            (TransportMode::CaseManagerDrives, 0, false),
            (TransportMode::CaseManagerDrives, 1, false),
            (TransportMode::CaseManagerDrives, 2, true),
            (TransportMode::Nemt, 0, true),
            (TransportMode::AgencyVehicle, 1, true),
        ] {
            let with_ride = AppointmentInput {
                transport: Some(ride(mode, staff)),
                ..input()
            };
            let result = with_ride.clone().parse(&flagged);
            assert_eq!(result.is_ok(), ok, "{mode:?} with {staff}");
            if let Err(errors) = result {
                assert_eq!(
                    codes(&errors),
                    vec![("transport.staff_ids", "two_person_visits")]
                );
            }
            // Without the flag every ride is allowed.
            assert!(with_ride.parse(&BTreeSet::new()).is_ok());
        }
    }

    /// Every (status, started, target): allowed exactly when the table
    /// says so; an illegal move names the moves allowed now and changes nothing.
    #[test]
    fn every_move_follows_the_table() {
        for from in AppointmentStatus::ALL {
            for now in [at(5), at(10), at(12)] {
                for target in AppointmentStatus::ALL {
                    let mut a = appointment(None);
                    a.status = *from;
                    let before = a.clone();
                    let allowed = appointment_moves(*from, now >= at(10));
                    let result = a.move_to(to(*target), UserId::generate(), now);
                    if allowed.contains(target) {
                        result.unwrap();
                        assert_eq!(a.status, *target);
                        assert_eq!(a.version, before.version + 1);
                    } else {
                        let Err(AppointmentError::IllegalMove(refused)) = result else {
                            panic!("{from:?} -> {target:?}: {result:?}");
                        };
                        assert_eq!(
                            refused.allowed,
                            allowed.iter().map(|s| s.as_str()).collect::<Vec<_>>()
                        );
                        assert_eq!(a, before);
                    }
                }
            }
        }
        // Kept or missed only once it has begun.
        assert_eq!(
            appointment_moves(Scheduled, false),
            vec![Cancelled, Rescheduled]
        );
    }

    #[test]
    fn keeping_a_first_visit_links_its_referral_and_rescheduling_links_the_new_one() {
        let referral = ReferralId::generate();
        let mut a = appointment(Some(referral));
        assert_eq!(
            a.move_to(to(Kept), UserId::generate(), at(10)).unwrap(),
            Consequence::Linked(referral)
        );
        let mut b = appointment(None);
        b.ride = Some(Ride::requested(TransportPlan {
            pickup_at: Some(at(9)),
            ..ride(TransportMode::Nemt, 0)
                .parse(&mut FieldErrors::default(), at(10), &BTreeSet::new())
                .unwrap()
        }));
        let Consequence::Replaced(new) = b
            .move_to(to(Rescheduled), UserId::generate(), at(1))
            .unwrap()
        else {
            panic!("no replacement");
        };
        assert_eq!(b.rescheduled_to, Some(new.id));
        assert_eq!(new.rescheduled_from, Some(b.id));
        assert_eq!((new.fields.starts_at, new.fields.ends_at), (at(30), at(31)));
        assert_eq!(new.status, Scheduled);
        let ride = new.ride.unwrap();
        assert_eq!(
            (ride.status, ride.plan.pickup_at),
            (RideStatus::Requested, Some(at(29)))
        );
    }

    #[test]
    fn cancelling_needs_who_and_why() {
        let mut a = appointment(None);
        let errors = a
            .move_to(
                AppointmentMove {
                    status: Cancelled,
                    reason: None,
                    cancelled_by: None,
                    new_starts_at: Some(at(3)),
                    new_ends_at: None,
                },
                UserId::generate(),
                at(1),
            )
            .unwrap_err();
        let AppointmentError::Invalid(errors) = errors else {
            panic!("{errors:?}");
        };
        assert_eq!(
            codes(&errors),
            vec![
                ("reason", "required"),
                ("cancelled_by", "required"),
                ("new_starts_at", "not_allowed")
            ]
        );
        assert_eq!(a.status, Scheduled);
    }

    /// Every (ride status, due, target).
    #[test]
    fn every_ride_move_follows_the_table() {
        for from in RideStatus::ALL {
            for now in [at(1), at(9)] {
                for target in RideStatus::ALL {
                    let mut a = appointment(None);
                    a.ride = Some(Ride {
                        status: *from,
                        ..Ride::requested(TransportPlan {
                            mode: TransportMode::Nemt,
                            pickup_address: None,
                            pickup_at: Some(at(9)),
                            staff_ids: Vec::new(),
                            cost_cents: None,
                            nemt_trip_id: None,
                        })
                    });
                    let before = a.clone();
                    let allowed = ride_moves(*from, now >= at(9));
                    let by = UserId::generate();
                    let result = a.move_ride(
                        RideMove {
                            status: *target,
                            reason: (*target == RideStatus::Failed).then(|| "no car".into()),
                        },
                        by,
                        now,
                    );
                    if allowed.contains(target) {
                        result.unwrap();
                        let ride = a.ride.as_ref().unwrap();
                        assert_eq!(ride.status, *target);
                        if *target == RideStatus::Arranged {
                            assert_eq!(ride.arranged_by, Some(by));
                        }
                    } else {
                        assert!(matches!(result, Err(AppointmentError::IllegalMove(_))));
                        assert_eq!(a, before);
                    }
                }
            }
        }
        let mut none = appointment(None);
        assert_eq!(
            none.move_ride(
                RideMove {
                    status: RideStatus::Arranged,
                    reason: None
                },
                UserId::generate(),
                at(1)
            ),
            Err(AppointmentError::NoRide)
        );
    }

    #[test]
    fn revising_keeps_the_ride_unless_its_mode_changes() {
        let with_ride = AppointmentInput {
            transport: Some(ride(TransportMode::Nemt, 0)),
            ..input()
        };
        let (fields, plan) = with_ride.clone().parse(&BTreeSet::new()).unwrap();
        let mut a = Appointment::new(
            ClientId::generate(),
            fields,
            plan,
            UserId::generate(),
            at(0),
        );
        a.move_ride(
            RideMove {
                status: RideStatus::Arranged,
                reason: None,
            },
            UserId::generate(),
            at(1),
        )
        .unwrap();
        let (fields, plan) = with_ride.parse(&BTreeSet::new()).unwrap();
        a.revise(fields, plan, at(2)).unwrap();
        assert_eq!(a.ride.as_ref().unwrap().status, RideStatus::Arranged);
        let bus = AppointmentInput {
            transport: Some(ride(TransportMode::BusPass, 0)),
            ..input()
        };
        let (fields, plan) = bus.parse(&BTreeSet::new()).unwrap();
        a.revise(fields, plan, at(3)).unwrap();
        assert_eq!(a.ride.as_ref().unwrap().status, RideStatus::Requested);
        a.status = Kept;
        let (fields, plan) = input().parse(&BTreeSet::new()).unwrap();
        assert_eq!(
            a.revise(fields, plan, at(4)),
            Err(AppointmentError::Closed(Kept))
        );
    }

    #[test]
    fn initials_carry_no_more_than_initials() {
        assert_eq!(initials("María", "Rivera"), "M. R.");
        assert_eq!(initials("ólafur", ""), "Ó.");
    }
}
