//! Critical events: a psychiatric admission, an emergency department visit,
//! an arrest, an overdose. Case management exists to make them rarer; each
//! one recorded is a fact for the worklist, the outcomes report and the
//! community tenure of the client.
//!
//! A stay (a hospitalization, treatment, detox, jail) has a start and, once
//! known, an end; everything else happens on one day. A psychiatric
//! hospitalization that has ended asks for a follow-up contact within 7 days
//! of the discharge, the window of HEDIS's follow-up-after-hospitalization
//! measure.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::ConsentCategory;
use crate::error::{FieldErrors, ValueError};
use crate::ids::{ClientId, ContactId, CriticalEventId, OrganizationId, UserId};
use crate::values::{LongText, ShortText};

text_enum!(
    /// What happened.
    EventType, example = "psychiatric_hospitalization", {
        PsychiatricHospitalization => "psychiatric_hospitalization",
        MedicalHospitalization => "medical_hospitalization",
        EmergencyDepartmentVisit => "emergency_department_visit",
        /// A mobile crisis team's visit or a call to a crisis line (`crisis_service` says which).
        CrisisContact => "crisis_contact",
        /// Withdrawal management (detox).
        WithdrawalManagement => "withdrawal_management",
        ResidentialTreatment => "residential_treatment",
        Arrest => "arrest",
        Incarceration => "incarceration",
        /// An eviction or another loss of housing.
        HousingLoss => "housing_loss",
        Overdose => "overdose",
        SuicideAttempt => "suicide_attempt",
        /// The client was the victim of a crime or of abuse.
        Victimization => "victimization",
        Death => "death",
    }
);
text_enum!(
    /// Which crisis service the client reached.
    CrisisService, example = "mobile_crisis", {
        MobileCrisis => "mobile_crisis",
        CrisisLine => "crisis_line",
        CrisisStabilizationUnit => "crisis_stabilization_unit",
    }
);
text_enum!(
    /// How the agency learned of the event.
    LearnedFrom, example = "hospital_notification", {
        /// The client told us.
        Client => "client",
        /// Family, friends or another natural support.
        NaturalSupport => "natural_support",
        /// The hospital, the jail, the treatment program.
        FacilityNotification => "facility_notification",
        /// An admission, discharge or transfer alert from a health information exchange.
        HospitalNotification => "hospital_notification",
        /// A member of the client's care team.
        CareTeam => "care_team",
        /// Police, court or probation.
        Justice => "justice",
        /// Agency staff were there.
        Staff => "staff",
        Other => "other",
    }
);
text_enum!(
    /// Where the follow-up after a psychiatric discharge stands.
    FollowUpStatus, example = "met", {
        /// The client was seen within 7 days of the discharge.
        Met => "met",
        /// Not yet, and the 7 days have not passed.
        Pending => "pending",
        /// The 7 days passed without a contact.
        Missed => "missed",
    }
);

/// What kind of place a stay keeps the client in, for community tenure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StayKind {
    Hospital,
    Treatment,
    Jail,
}

impl EventType {
    /// The kind of information the event reveals: a psychiatric stay,
    /// a crisis or a suicide attempt is mental health information,
    /// detox, residential treatment and an overdose substance use
    /// information (42 CFR Part 2), a medical stay or emergency visit
    /// health information.
    pub fn sensitivity(self) -> ConsentCategory {
        use EventType::*;
        match self {
            PsychiatricHospitalization | CrisisContact | SuicideAttempt => {
                ConsentCategory::MentalHealth
            }
            WithdrawalManagement | ResidentialTreatment | Overdose => ConsentCategory::SubstanceUse,
            MedicalHospitalization | EmergencyDepartmentVisit => ConsentCategory::Health,
            Arrest | Incarceration | HousingLoss | Victimization | Death => {
                ConsentCategory::General
            }
        }
    }

    /// Where a stay of this type keeps the client; `None` for an event of
    /// one day.
    pub fn stay(self) -> Option<StayKind> {
        use EventType::*;
        match self {
            PsychiatricHospitalization | MedicalHospitalization => Some(StayKind::Hospital),
            WithdrawalManagement | ResidentialTreatment => Some(StayKind::Treatment),
            Incarceration => Some(StayKind::Jail),
            _ => None,
        }
    }
}

/// The days after a psychiatric discharge within which the client should be
/// seen: the day after the discharge through the 7th day after it.
pub const FOLLOW_UP_DAYS: u64 = 7;

/// A critical event as the case manager records it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "psychiatric_hospitalization", "crisis_service": null,
    "started_on": "2026-11-02", "ended_on": "2026-11-09",
    "organization_id": null, "facility_name": "St. Vincent Behavioral Health Unit",
    "learned_from": "hospital_notification", "learned_on": "2026-11-03",
    "sensitivity": null, "notes": "Admitted after two nights without sleep; discharged on a new medication."
})))]
pub struct EventInput {
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// Only for `crisis_contact`.
    #[serde(default)]
    pub crisis_service: Option<CrisisService>,
    /// The day it began (the admission); not in the future.
    pub started_on: NaiveDate,
    /// The day a stay ended (the discharge, the release): not before the start, not in the future;
    /// absent while it goes on. An event of one day (everything but hospitalizations, withdrawal
    /// management, residential treatment and incarceration) ends the day it began: give the same
    /// day or nothing.
    #[serde(default)]
    pub ended_on: Option<NaiveDate>,
    /// The facility, from the directory; or `facility_name` (not both).
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    /// 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub facility_name: Option<String>,
    pub learned_from: LearnedFrom,
    /// The day the agency learned of it: not before the start, not in the future; today when absent.
    #[serde(default)]
    pub learned_on: Option<NaiveDate>,
    /// The kind of information the event reveals; by default the type's (a psychiatric stay, a crisis
    /// contact or a suicide attempt `mental_health`; detox, residential treatment and an overdose
    /// `substance_use`; a medical stay or emergency visit `health`; the rest `general`). Care-team
    /// members see only general and health events of others.
    #[serde(default)]
    pub sensitivity: Option<ConsentCategory>,
    /// 1 to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub notes: Option<String>,
}

/// The checked content of a critical event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFields {
    pub event_type: EventType,
    pub crisis_service: Option<CrisisService>,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub organization_id: Option<OrganizationId>,
    pub facility_name: Option<ShortText>,
    pub learned_from: LearnedFrom,
    pub learned_on: NaiveDate,
    pub sensitivity: ConsentCategory,
    pub notes: Option<LongText>,
}

impl EventInput {
    /// Checks the input on the agency's `today`. The organization is
    /// checked against the directory by the caller.
    pub fn parse(self, today: NaiveDate) -> Result<EventFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        if self.started_on > today {
            errors.push(
                "started_on",
                ValueError::new("in_future", "must not be in the future"),
            );
        }
        let ended_on = match (self.event_type.stay(), self.ended_on) {
            (Some(_), ended) => ended,
            (None, None) => Some(self.started_on),
            (None, Some(end)) if end == self.started_on => Some(end),
            (None, Some(_)) => {
                errors.push(
                    "ended_on",
                    ValueError::new(
                        "not_a_stay",
                        format!(
                            "{} happens on one day: give started_on's day or nothing",
                            self.event_type.as_str()
                        ),
                    ),
                );
                None
            }
        };
        if let Some(end) = self.ended_on {
            if end < self.started_on {
                errors.push(
                    "ended_on",
                    ValueError::new("before_start", "must not be before started_on"),
                );
            } else if end > today {
                errors.push(
                    "ended_on",
                    ValueError::new("in_future", "must not be in the future"),
                );
            }
        }
        if self.crisis_service.is_some() && self.event_type != EventType::CrisisContact {
            errors.push(
                "crisis_service",
                ValueError::new("not_a_crisis_contact", "only for a crisis_contact"),
            );
        }
        let facility_name = errors.check_opt(
            "facility_name",
            self.facility_name.as_deref(),
            ShortText::parse,
        );
        if self.organization_id.is_some() && self.facility_name.is_some() {
            errors.push(
                "facility_name",
                ValueError::new(
                    "conflicting",
                    "give organization_id or facility_name, not both",
                ),
            );
        }
        let learned_on = self.learned_on.unwrap_or(today);
        if learned_on > today {
            errors.push(
                "learned_on",
                ValueError::new("in_future", "must not be in the future"),
            );
        } else if learned_on < self.started_on {
            errors.push(
                "learned_on",
                ValueError::new("before_start", "must not be before started_on"),
            );
        }
        let notes = errors.check_opt("notes", self.notes.as_deref(), LongText::parse);
        errors.finish(|| {
            Some(EventFields {
                event_type: self.event_type,
                crisis_service: self.crisis_service,
                started_on: self.started_on,
                ended_on,
                organization_id: self.organization_id,
                facility_name,
                learned_from: self.learned_from,
                learned_on,
                sensitivity: self.sensitivity.unwrap_or(self.event_type.sensitivity()),
                notes,
            })
        })
    }
}

/// A critical event of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriticalEvent {
    pub id: CriticalEventId,
    pub client_id: ClientId,
    pub fields: EventFields,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// The first contact that saw the client after a discharge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub contact_id: ContactId,
    pub on: NaiveDate,
}

/// The follow-up a psychiatric discharge asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "met", "due_by": "2026-11-16", "seen_on": "2026-11-11",
    "contact_id": "01936b40-3c00-7c11-8d22-3e4f5a6b7c8d"
})))]
pub struct FollowUp {
    pub status: FollowUpStatus,
    /// The last day of the window: the 7th day after the discharge.
    pub due_by: NaiveDate,
    /// The day of the first contact in the window that saw the client.
    pub seen_on: Option<NaiveDate>,
    /// That contact.
    pub contact_id: Option<ContactId>,
}

impl CriticalEvent {
    pub fn new(
        client_id: ClientId,
        fields: EventFields,
        by: UserId,
        now: DateTime<Utc>,
    ) -> CriticalEvent {
        CriticalEvent {
            id: CriticalEventId::generate(),
            client_id,
            fields,
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

    /// Whether it is a stay that has not ended.
    pub fn is_open(&self) -> bool {
        self.fields.ended_on.is_none()
    }

    /// The nights of an ended stay (a same-day discharge is 0); `None`
    /// while it goes on and for an event of one day.
    pub fn length_of_stay(&self) -> Option<i64> {
        self.fields.event_type.stay()?;
        let end = self.fields.ended_on?;
        Some((end - self.fields.started_on).num_days())
    }

    /// The window in which a contact counts as the follow-up after a
    /// psychiatric discharge: the day after the discharge through the 7th.
    /// `None` unless this is a psychiatric hospitalization that ended.
    pub fn follow_up_window(&self) -> Option<(NaiveDate, NaiveDate)> {
        if self.fields.event_type != EventType::PsychiatricHospitalization {
            return None;
        }
        let end = self.fields.ended_on?;
        Some((
            end.checked_add_days(Days::new(1))?,
            end.checked_add_days(Days::new(FOLLOW_UP_DAYS))?,
        ))
    }

    /// The follow-up's state on `today`, given the first contact in the
    /// window that saw the client (`seen`, found by the caller).
    pub fn follow_up(&self, seen: Option<Seen>, today: NaiveDate) -> Option<FollowUp> {
        let (from, due_by) = self.follow_up_window()?;
        let seen = seen.filter(|s| (from..=due_by).contains(&s.on));
        let status = match seen {
            Some(_) => FollowUpStatus::Met,
            None if today > due_by => FollowUpStatus::Missed,
            None => FollowUpStatus::Pending,
        };
        Some(FollowUp {
            status,
            due_by,
            seen_on: seen.map(|s| s.on),
            contact_id: seen.map(|s| s.contact_id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn input(
        event_type: EventType,
        started_on: NaiveDate,
        ended_on: Option<NaiveDate>,
    ) -> EventInput {
        EventInput {
            event_type,
            crisis_service: None,
            started_on,
            ended_on,
            organization_id: None,
            facility_name: Some("St. Vincent".into()),
            learned_from: LearnedFrom::Client,
            learned_on: None,
            sensitivity: None,
            notes: None,
        }
    }

    fn event(fields: EventFields) -> CriticalEvent {
        CriticalEvent::new(ClientId::generate(), fields, UserId::generate(), Utc::now())
    }

    fn codes(errors: FieldErrors) -> Vec<(String, String)> {
        errors.0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn a_day_event_ends_the_day_it_began() {
        let today = day(2026, 11, 20);
        let fields = input(EventType::Arrest, day(2026, 11, 18), None)
            .parse(today)
            .unwrap();
        assert_eq!(fields.ended_on, Some(day(2026, 11, 18)));
        let refused = input(
            EventType::Overdose,
            day(2026, 11, 18),
            Some(day(2026, 11, 19)),
        )
        .parse(today)
        .unwrap_err();
        assert_eq!(codes(refused), [("ended_on".into(), "not_a_stay".into())]);
    }

    #[test]
    fn a_stay_stays_open_until_its_end_is_known() {
        let today = day(2026, 11, 20);
        let stay = event(
            input(
                EventType::PsychiatricHospitalization,
                day(2026, 11, 2),
                None,
            )
            .parse(today)
            .unwrap(),
        );
        assert!(stay.is_open());
        assert_eq!(stay.length_of_stay(), None);
        assert_eq!(stay.follow_up(None, today), None);
    }

    #[test]
    fn bad_dates_are_refused() {
        let today = day(2026, 11, 20);
        let errors = input(
            EventType::MedicalHospitalization,
            day(2026, 11, 21),
            Some(day(2026, 11, 10)),
        )
        .parse(today)
        .unwrap_err();
        assert_eq!(
            codes(errors),
            [
                ("started_on".into(), "in_future".into()),
                ("ended_on".into(), "before_start".into()),
                ("learned_on".into(), "before_start".into()),
            ]
        );
    }

    #[test]
    fn sensitivity_follows_the_type_unless_given() {
        let today = day(2026, 11, 20);
        let overdose = input(EventType::Overdose, today, None)
            .parse(today)
            .unwrap();
        assert_eq!(overdose.sensitivity, ConsentCategory::SubstanceUse);
        let mut given = input(EventType::Overdose, today, None);
        given.sensitivity = Some(ConsentCategory::Health);
        assert_eq!(
            given.parse(today).unwrap().sensitivity,
            ConsentCategory::Health
        );
    }

    #[test]
    fn crisis_service_only_for_a_crisis_contact() {
        let today = day(2026, 11, 20);
        let mut wrong = input(EventType::Arrest, today, None);
        wrong.crisis_service = Some(CrisisService::CrisisLine);
        assert_eq!(
            codes(wrong.parse(today).unwrap_err()),
            [("crisis_service".into(), "not_a_crisis_contact".into())]
        );
    }

    #[test]
    fn the_follow_up_window_crosses_months_and_years() {
        let stay = event(
            input(
                EventType::PsychiatricHospitalization,
                day(2026, 12, 20),
                Some(day(2026, 12, 28)),
            )
            .parse(day(2027, 1, 10))
            .unwrap(),
        );
        assert_eq!(stay.length_of_stay(), Some(8));
        assert_eq!(
            stay.follow_up_window(),
            Some((day(2026, 12, 29), day(2027, 1, 4)))
        );
        let contact = ContactId::generate();
        let seen = |on| {
            Some(Seen {
                contact_id: contact,
                on,
            })
        };
        let met = stay
            .follow_up(seen(day(2027, 1, 4)), day(2027, 1, 10))
            .unwrap();
        assert_eq!(met.status, FollowUpStatus::Met);
        assert_eq!(met.contact_id, Some(contact));
        // The discharge day itself does not count, nor the 8th day.
        for late in [day(2026, 12, 28), day(2027, 1, 5)] {
            let missed = stay.follow_up(seen(late), day(2027, 1, 10)).unwrap();
            assert_eq!(missed.status, FollowUpStatus::Missed);
            assert_eq!(missed.seen_on, None);
        }
        let pending = stay.follow_up(None, day(2027, 1, 4)).unwrap();
        assert_eq!(pending.status, FollowUpStatus::Pending);
    }

    #[test]
    fn only_a_psychiatric_stay_asks_for_follow_up() {
        let today = day(2026, 11, 20);
        let medical = event(
            input(
                EventType::MedicalHospitalization,
                day(2026, 11, 1),
                Some(day(2026, 11, 3)),
            )
            .parse(today)
            .unwrap(),
        );
        assert_eq!(medical.follow_up(None, today), None);
        assert_eq!(medical.length_of_stay(), Some(2));
    }

    fn any_type() -> impl Strategy<Value = EventType> {
        prop::sample::select(EventType::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn a_parsed_event_never_ends_before_it_starts_nor_after_today(
            event_type in any_type(),
            start in 0i64..400,
            length in -5i64..60,
            open in any::<bool>(),
        ) {
            let today = day(2026, 11, 20);
            let started_on = today - chrono::Duration::days(start);
            let ended_on = (!open).then(|| started_on + chrono::Duration::days(length));
            if let Ok(fields) = input(event_type, started_on, ended_on).parse(today) {
                if let Some(end) = fields.ended_on {
                    prop_assert!(end >= fields.started_on && end <= today);
                }
                if event_type.stay().is_none() {
                    prop_assert_eq!(fields.ended_on, Some(fields.started_on));
                }
                let recorded = event(fields);
                if let Some(nights) = recorded.length_of_stay() {
                    prop_assert!(nights >= 0);
                }
            }
        }

        #[test]
        fn follow_up_is_met_exactly_for_a_contact_in_the_7_days_after(
            length in 0i64..30,
            offset in -3i64..12,
        ) {
            let start = day(2026, 10, 1);
            let end = start + chrono::Duration::days(length);
            let today = end + chrono::Duration::days(20);
            let stay = event(
                input(EventType::PsychiatricHospitalization, start, Some(end))
                    .parse(today)
                    .unwrap(),
            );
            let on = end + chrono::Duration::days(offset);
            let found = stay
                .follow_up(Some(Seen { contact_id: ContactId::generate(), on }), today)
                .unwrap();
            prop_assert_eq!(found.status == FollowUpStatus::Met, (1..=7).contains(&offset));
        }
    }
}
