//! Episodes of care: one enrollment of a client, from the day case
//! management began to the discharge, with why it ended and where the
//! client went (HUD HMIS destinations). A client discharged and referred
//! again starts a new episode.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::client::ClientStatus;
use crate::error::{FieldErrors, ValueError};
use crate::ids::{ClientId, EpisodeId, ReferralId, UserId};
use crate::values::{LongText, ShortText};

text_enum!(
    /// Who referred the client to case management.
    ReferralSource, example = "hospital", {
        SelfReferral => "self",
        Family => "family",
        Hospital => "hospital",
        PrimaryCare => "primary_care",
        BehavioralHealth => "behavioral_health",
        CriminalJustice => "criminal_justice",
        HousingOrShelter => "housing_or_shelter",
        SocialServices => "social_services",
        School => "school",
        HealthPlan => "health_plan",
        Other => "other",
    }
);
text_enum!(
    /// Why an episode ended.
    DischargeReason, example = "goals_met", {
        GoalsMet => "goals_met",
        MovedAway => "moved_away",
        DeclinedServices => "declined_services",
        LostContact => "lost_contact",
        /// The client needs a higher level of care than case management.
        HigherLevelOfCare => "higher_level_of_care",
        Incarcerated => "incarcerated",
        Deceased => "deceased",
        /// Transferred to another agency.
        Transferred => "transferred",
    }
);
text_enum!(
    /// Where the client went, after HUD's HMIS destinations (data element 3.12).
    Destination, example = "rental_with_subsidy", {
        PlaceNotMeantForHabitation => "place_not_meant_for_habitation",
        EmergencyShelter => "emergency_shelter",
        SafeHaven => "safe_haven",
        FosterCare => "foster_care",
        Hospital => "hospital",
        JailOrPrison => "jail_or_prison",
        NursingFacility => "nursing_facility",
        PsychiatricHospital => "psychiatric_hospital",
        SubstanceUseTreatment => "substance_use_treatment",
        TransitionalHousing => "transitional_housing",
        HalfwayHouse => "halfway_house",
        HotelOrMotel => "hotel_or_motel",
        FamilyTemporary => "family_temporary",
        FriendsTemporary => "friends_temporary",
        HostHome => "host_home",
        RentalNoSubsidy => "rental_no_subsidy",
        RentalWithSubsidy => "rental_with_subsidy",
        OwnedNoSubsidy => "owned_no_subsidy",
        OwnedWithSubsidy => "owned_with_subsidy",
        FamilyPermanent => "family_permanent",
        FriendsPermanent => "friends_permanent",
        Deceased => "deceased",
        Other => "other",
        ClientDoesNotKnow => "client_does_not_know",
        ClientPrefersNotToAnswer => "client_prefers_not_to_answer",
        NoExitInterview => "no_exit_interview",
    }
);
text_enum!(
    /// HUD's grouping of destinations.
    DestinationCategory, example = "permanent", {
        Homeless => "homeless",
        Institutional => "institutional",
        Temporary => "temporary",
        Permanent => "permanent",
        Other => "other",
    }
);

impl Destination {
    /// HUD's grouping and response code.
    pub fn hud(self) -> (DestinationCategory, u16) {
        use Destination::*;
        use DestinationCategory as C;
        match self {
            PlaceNotMeantForHabitation => (C::Homeless, 101),
            EmergencyShelter => (C::Homeless, 116),
            SafeHaven => (C::Homeless, 118),
            FosterCare => (C::Institutional, 215),
            Hospital => (C::Institutional, 206),
            JailOrPrison => (C::Institutional, 207),
            NursingFacility => (C::Institutional, 225),
            PsychiatricHospital => (C::Institutional, 204),
            SubstanceUseTreatment => (C::Institutional, 205),
            TransitionalHousing => (C::Temporary, 302),
            HalfwayHouse => (C::Temporary, 329),
            HotelOrMotel => (C::Temporary, 314),
            FamilyTemporary => (C::Temporary, 312),
            FriendsTemporary => (C::Temporary, 313),
            HostHome => (C::Temporary, 332),
            RentalNoSubsidy => (C::Permanent, 410),
            RentalWithSubsidy => (C::Permanent, 435),
            OwnedNoSubsidy => (C::Permanent, 411),
            OwnedWithSubsidy => (C::Permanent, 421),
            FamilyPermanent => (C::Permanent, 422),
            FriendsPermanent => (C::Permanent, 423),
            Deceased => (C::Other, 24),
            Other => (C::Other, 17),
            ClientDoesNotKnow => (C::Other, 8),
            ClientPrefersNotToAnswer => (C::Other, 9),
            NoExitInterview => (C::Other, 30),
        }
    }
}

/// The program an episode is of when none is named.
pub const DEFAULT_PROGRAM: &str = "Case management";

/// How an enrollment begins.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "program": "Intensive case management", "referral_source": "hospital",
    "referral_source_name": "St. Vincent Behavioral Health Unit",
    "eligibility_basis": "Medicaid TCM: serious mental illness"
})))]
pub struct EnrollmentInput {
    /// The program (default "Case management"), 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub program: Option<String>,
    #[serde(default)]
    pub referral_source: Option<ReferralSource>,
    /// Who exactly referred the client, 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub referral_source_name: Option<String>,
    /// What makes the client eligible, 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub eligibility_basis: Option<String>,
}

/// The checked beginning of an enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub program: ShortText,
    pub referral_source: Option<ReferralSource>,
    pub referral_source_name: Option<ShortText>,
    pub eligibility_basis: Option<ShortText>,
}

impl EnrollmentInput {
    /// Checks the fields, each named under `prefix` (as `enrollment.program`,
    /// or `program` with an empty prefix).
    pub fn parse(self, prefix: &str) -> Result<Enrollment, FieldErrors> {
        let field = |name: &str| {
            if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}.{name}")
            }
        };
        let mut errors = FieldErrors::default();
        let program = errors.check(
            &field("program"),
            ShortText::parse(self.program.as_deref().unwrap_or(DEFAULT_PROGRAM)),
        );
        let referral_source_name = errors.check_opt(
            &field("referral_source_name"),
            self.referral_source_name.as_deref(),
            ShortText::parse,
        );
        let eligibility_basis = errors.check_opt(
            &field("eligibility_basis"),
            self.eligibility_basis.as_deref(),
            ShortText::parse,
        );
        errors.finish(|| {
            Some(Enrollment {
                program: program?,
                referral_source: self.referral_source,
                referral_source_name,
                eligibility_basis,
            })
        })
    }
}

/// How an episode ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discharge {
    pub reason: DischargeReason,
    pub destination: Option<Destination>,
    pub summary: Option<LongText>,
    pub by: UserId,
}

/// A discharge as it is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DischargeInput {
    pub reason: Option<DischargeReason>,
    pub destination: Option<Destination>,
    /// The last day of the episode; today when absent.
    pub on: Option<NaiveDate>,
    pub summary: Option<String>,
    /// Open referrals to leave open.
    pub keep_referral_ids: Vec<ReferralId>,
}

/// A discharge a case manager asked for that waits for a supervisor (when
/// the agency's setting says closures are approved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingClosure {
    pub request: DischargeInput,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// A move of a client to another status, with what a discharge or a
/// re-enrollment records.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "discharged", "reason": "goals_met", "destination": "rental_with_subsidy", "on": "2026-11-20",
    "summary": "Housed for eight months, working part time, linked to a primary care doctor and a peer group.",
    "keep_referral_ids": ["01936b32-0a00-7c11-8d22-3e4f5a6b7c8d"]
})))]
pub struct StatusChange {
    /// Allowed moves: intake → active or discharged; active → on_hold or discharged; on_hold → active or
    /// discharged; discharged → intake (a new episode).
    pub status: ClientStatus,
    /// Discharging: why (required).
    #[serde(default)]
    pub reason: Option<DischargeReason>,
    /// Discharging: where the client went (HUD HMIS destinations).
    #[serde(default)]
    pub destination: Option<Destination>,
    /// Discharging: the episode's last day; re-enrolling: the new episode's first day. Today when absent.
    #[serde(default)]
    pub on: Option<NaiveDate>,
    /// Discharging: the discharge summary, 1 to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub summary: Option<String>,
    /// Discharging: open referrals to leave open (every other is cancelled).
    #[serde(default)]
    pub keep_referral_ids: Vec<ReferralId>,
    /// Re-enrolling (discharged → intake): the new episode's program, referral source, eligibility.
    #[serde(default)]
    pub enrollment: Option<EnrollmentInput>,
}

impl StatusChange {
    /// Refuses the fields that do not apply to a move from `from`: the
    /// discharge's only when discharging, the enrollment only when
    /// re-enrolling, a day only for either.
    pub fn check_fields(&self, from: ClientStatus) -> Result<(), FieldErrors> {
        let discharging = self.status == ClientStatus::Discharged;
        let reenrolling = from == ClientStatus::Discharged && self.status == ClientStatus::Intake;
        let mut errors = FieldErrors::default();
        let mut refuse = |field: &str, given: bool, applies: bool, when: &str| {
            if given && !applies {
                errors.push(
                    field,
                    ValueError::new("not_applicable", format!("only {when}")),
                );
            }
        };
        let discharge = "when discharging";
        refuse("reason", self.reason.is_some(), discharging, discharge);
        refuse(
            "destination",
            self.destination.is_some(),
            discharging,
            discharge,
        );
        refuse("summary", self.summary.is_some(), discharging, discharge);
        refuse(
            "keep_referral_ids",
            !self.keep_referral_ids.is_empty(),
            discharging,
            discharge,
        );
        refuse(
            "enrollment",
            self.enrollment.is_some(),
            reenrolling,
            "when re-enrolling a discharged client",
        );
        refuse(
            "on",
            self.on.is_some(),
            discharging || reenrolling,
            "when discharging or re-enrolling",
        );
        errors.finish(|| Some(()))
    }

    /// What a discharge records.
    pub fn discharge(&self) -> DischargeInput {
        DischargeInput {
            reason: self.reason,
            destination: self.destination,
            on: self.on,
            summary: self.summary.clone(),
            keep_referral_ids: self.keep_referral_ids.clone(),
        }
    }
}

/// Checks the first day of a new episode: not in the future, not before
/// the previous one ended.
pub fn check_start(
    on: NaiveDate,
    previous_end: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    if on > today {
        errors.push(
            "on",
            ValueError::new("in_future", "must not be in the future"),
        );
    } else if let Some(end) = previous_end
        && on < end
    {
        errors.push(
            "on",
            ValueError::new(
                "before_previous_end",
                format!("must not be before the previous episode ended ({end})"),
            ),
        );
    }
    errors.finish(|| Some(()))
}

/// One enrollment of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub id: EpisodeId,
    pub client_id: ClientId,
    pub enrollment: Enrollment,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    /// Absent for an open episode, and for one closed before reasons were kept.
    pub discharge: Option<Discharge>,
    /// A discharge asked for that waits for a supervisor's approval.
    pub pending_closure: Option<PendingClosure>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Episode {
    pub fn open(
        client_id: ClientId,
        enrollment: Enrollment,
        started_on: NaiveDate,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Episode {
        Episode {
            id: EpisodeId::generate(),
            client_id,
            enrollment,
            started_on,
            ended_on: None,
            discharge: None,
            pending_closure: None,
            created_by: Some(by),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }

    /// Closes the episode as `input` asks, on the agency's `today`: a
    /// reason is required; the day is not before the start nor after today;
    /// a deceased client's destination is `deceased`.
    pub fn close(
        &mut self,
        input: &DischargeInput,
        by: UserId,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        if input.reason.is_none() {
            errors.push(
                "reason",
                ValueError::new("required", "a discharge gives its reason"),
            );
        }
        let on = input.on.unwrap_or(today);
        if on > today {
            errors.push(
                "on",
                ValueError::new("in_future", "must not be in the future"),
            );
        } else if on < self.started_on {
            errors.push(
                "on",
                ValueError::new(
                    "before_start",
                    format!("must not be before the episode began ({})", self.started_on),
                ),
            );
        }
        let destination = match (input.reason, input.destination) {
            (Some(DischargeReason::Deceased), None | Some(Destination::Deceased)) => {
                Some(Destination::Deceased)
            }
            (Some(DischargeReason::Deceased), Some(_)) => {
                errors.push(
                    "destination",
                    ValueError::new("conflicting", "a deceased client's destination is deceased"),
                );
                None
            }
            (_, destination) => destination,
        };
        let summary = errors.check_opt("summary", input.summary.as_deref(), LongText::parse);
        errors.no_duplicates("keep_referral_ids", &input.keep_referral_ids);
        let Some(reason) = input.reason else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        self.ended_on = Some(on);
        self.pending_closure = None;
        self.discharge = Some(Discharge {
            reason,
            destination,
            summary,
            by,
        });
        self.touch(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn episode() -> Episode {
        Episode::open(
            ClientId::generate(),
            EnrollmentInput::default().parse("").unwrap(),
            day(3, 1),
            UserId::generate(),
            Utc::now(),
        )
    }

    fn discharge(reason: Option<DischargeReason>) -> DischargeInput {
        DischargeInput {
            reason,
            destination: None,
            on: None,
            summary: Some("Housed and stable for six months.".into()),
            keep_referral_ids: Vec::new(),
        }
    }

    #[test]
    fn an_enrollment_is_of_case_management_unless_named() {
        assert_eq!(episode().enrollment.program.as_str(), DEFAULT_PROGRAM);
        let errors = EnrollmentInput {
            program: Some(" ".into()),
            ..EnrollmentInput::default()
        }
        .parse("enrollment")
        .unwrap_err();
        assert_eq!(errors.0[0].field, "enrollment.program");
    }

    #[test]
    fn a_discharge_needs_its_reason_and_a_day_within_the_episode() {
        let mut e = episode();
        let errors = e
            .close(&discharge(None), UserId::generate(), day(11, 1), Utc::now())
            .unwrap_err();
        assert_eq!(errors.0[0].code, "required");
        let mut early = discharge(Some(DischargeReason::GoalsMet));
        early.on = Some(day(2, 1));
        let errors = e
            .close(&early, UserId::generate(), day(11, 1), Utc::now())
            .unwrap_err();
        assert_eq!(errors.0[0].code, "before_start");
        assert_eq!(e.ended_on, None);
        e.close(
            &discharge(Some(DischargeReason::GoalsMet)),
            UserId::generate(),
            day(11, 1),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(e.ended_on, Some(day(11, 1)));
        assert_eq!(e.version, 2);
    }

    #[test]
    fn a_deceased_client_goes_nowhere_else() {
        let mut e = episode();
        e.close(
            &discharge(Some(DischargeReason::Deceased)),
            UserId::generate(),
            day(11, 1),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(
            e.discharge.unwrap().destination,
            Some(Destination::Deceased)
        );
        let mut wrong = discharge(Some(DischargeReason::Deceased));
        wrong.destination = Some(Destination::RentalNoSubsidy);
        assert!(
            episode()
                .close(&wrong, UserId::generate(), day(11, 1), Utc::now())
                .is_err()
        );
    }

    #[test]
    fn every_destination_has_a_distinct_hud_code() {
        let mut codes: Vec<u16> = Destination::ALL.iter().map(|d| d.hud().1).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Destination::ALL.len());
    }
}
