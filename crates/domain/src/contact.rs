//! Contacts: the record of the work. A home visit, a call with the client's
//! psychiatrist, a ride to the food bank: when, how long, how, where, who
//! took part, what was done and for which plan goals and referrals. A draft
//! changes until its author signs it; a signed contact never changes and is
//! corrected only by a new contact that amends it.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::billing::Billed;
use crate::client::RiskFlag;
use crate::consent::ConsentCategory;
use crate::error::{FieldErrors, ValueError};
use crate::ids::{
    CareTeamMemberId, ClientId, ContactId, GoalId, NaturalSupportId, ReferralId, UserId,
};
use crate::values::{LongText, ShortText};

text_enum!(
    /// How the contact took place.
    ContactMode, example = "in_person", {
        InPerson => "in_person",
        Phone => "phone",
        Video => "video",
        TextMessage => "text_message",
        Letter => "letter",
    }
);
text_enum!(
    /// Where the contact took place (for a call, where the client was).
    ContactSetting, example = "client_home", {
        ClientHome => "client_home",
        Shelter => "shelter",
        Clinic => "clinic",
        DayProgram => "day_program",
        Hospital => "hospital",
        Jail => "jail",
        Community => "community",
        Office => "office",
        Vehicle => "vehicle",
    }
);
text_enum!(
    /// What was done. The first four are the federal components of targeted
    /// case management (42 CFR 440.169(d)); the others are work agencies
    /// record and payers may not pay for.
    Activity, example = "monitoring_and_follow_up", {
        ComprehensiveAssessment => "comprehensive_assessment",
        CarePlanDevelopment => "care_plan_development",
        ReferralAndRelatedActivities => "referral_and_related_activities",
        MonitoringAndFollowUp => "monitoring_and_follow_up",
        Transportation => "transportation",
        EmotionalSupport => "emotional_support",
        ApplicationAssistance => "application_assistance",
        Accompaniment => "accompaniment",
        CrisisIntervention => "crisis_intervention",
        FamilyEducation => "family_education",
        Advocacy => "advocacy",
    }
);
text_enum!(
    /// A draft changes; a signed contact never does.
    ContactStatus, example = "signed", {
        Draft => "draft",
        Signed => "signed",
    }
);
text_enum!(
    /// Whether the contact moved the plan goals it served.
    GoalProgress, example = "progressing", {
        Achieved => "achieved",
        Progressing => "progressing",
        NoChange => "no_change",
        Setback => "setback",
        NotAddressed => "not_addressed",
    }
);

impl Activity {
    /// The four components of targeted case management.
    pub const TCM: [Activity; 4] = [
        Activity::ComprehensiveAssessment,
        Activity::CarePlanDevelopment,
        Activity::ReferralAndRelatedActivities,
        Activity::MonitoringAndFollowUp,
    ];
}

/// Someone who took part and is neither staff, a natural support nor on the
/// care team: a landlord, a benefits worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"name": "Dana Whitfield", "role": "Property manager"})))]
pub struct OtherParticipant {
    /// 1 to 200 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub name: String,
    /// 1 to 200 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub role: String,
}

/// A contact as its author writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "started_at": "2026-11-20T15:30:00Z", "duration_minutes": 45, "mode": "in_person",
    "setting": "client_home", "client_present": true,
    "natural_support_ids": [], "care_team_member_ids": [],
    "other_participants": [{"name": "Dana Whitfield", "role": "Property manager"}],
    "staff_ids": [], "activities": ["monitoring_and_follow_up", "referral_and_related_activities"],
    "goal_ids": ["01936b31-2c00-7c11-8d22-3e4f5a6b7c8d"], "referral_ids": [],
    "goal_progress": "progressing", "declined_services": "None.",
    "coordination": "Called the property manager about the repair schedule.",
    "narrative": "Home visit. Maria has kept her lease; the heating is fixed. We reviewed her budget and she applied for LIHEAP with my help.",
    "travel_minutes": 25, "travel_miles": 11.5, "sensitivity": "general"
})))]
pub struct ContactInput {
    /// When the contact began; not in the future.
    pub started_at: DateTime<Utc>,
    /// How long the contact itself lasted, 1 to 1,440 minutes (travel apart).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1440))]
    pub duration_minutes: i32,
    pub mode: ContactMode,
    pub setting: ContactSetting,
    /// Whether the client took part (a contact without them is collateral).
    pub client_present: bool,
    /// The client's natural supports who took part.
    #[serde(default)]
    pub natural_support_ids: Vec<NaturalSupportId>,
    /// Members of the client's care team who took part.
    #[serde(default)]
    pub care_team_member_ids: Vec<CareTeamMemberId>,
    #[serde(default)]
    pub other_participants: Vec<OtherParticipant>,
    /// Other staff present besides the author. An in-person contact with a client flagged
    /// `two_person_visits` needs one, or `two_person_override_reason`.
    #[serde(default)]
    pub staff_ids: Vec<UserId>,
    /// Why an in-person contact with a client flagged `two_person_visits` had one staff member.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub two_person_override_reason: Option<String>,
    /// At least one.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub activities: Vec<Activity>,
    /// Goals of the client's plans this contact served.
    #[serde(default)]
    pub goal_ids: Vec<GoalId>,
    /// Referrals of the client this contact served.
    #[serde(default)]
    pub referral_ids: Vec<ReferralId>,
    /// Whether the contact moved the plan goals (a documentation element billing asks for).
    #[serde(default)]
    pub goal_progress: Option<GoalProgress>,
    /// Services in the plan the client declined ("None." when none): a documentation element.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub declined_services: Option<String>,
    /// Coordination with other providers ("None." when none): a documentation element.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub coordination: Option<String>,
    /// What happened, 1 to 4,000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub narrative: String,
    /// Time spent travelling to and from the contact, 0 to 1,440 minutes; never billed as contact time.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1440))]
    pub travel_minutes: Option<i32>,
    /// Miles driven for the contact, 0 to 2,000.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 2000))]
    pub travel_miles: Option<f64>,
    /// The kind of information the narrative holds (default `general`): care-team members read
    /// only general and health contacts of others.
    #[serde(default = "general")]
    pub sensitivity: ConsentCategory,
    /// The signed contact of the same client this one corrects.
    #[serde(default)]
    pub amends: Option<ContactId>,
}

fn general() -> ConsentCategory {
    ConsentCategory::General
}

/// The checked content of a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactFields {
    pub started_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub mode: ContactMode,
    pub setting: ContactSetting,
    pub client_present: bool,
    pub natural_support_ids: Vec<NaturalSupportId>,
    pub care_team_member_ids: Vec<CareTeamMemberId>,
    pub other_participants: Vec<OtherParticipant>,
    pub staff_ids: Vec<UserId>,
    pub two_person_override_reason: Option<LongText>,
    pub activities: Vec<Activity>,
    pub goal_ids: Vec<GoalId>,
    pub referral_ids: Vec<ReferralId>,
    pub goal_progress: Option<GoalProgress>,
    pub declined_services: Option<LongText>,
    pub coordination: Option<LongText>,
    pub narrative: LongText,
    pub travel_minutes: Option<i32>,
    pub travel_miles: Option<f64>,
    pub sensitivity: ConsentCategory,
    pub amends: Option<ContactId>,
}

/// What checking a contact needs to know besides its input.
#[derive(Debug, Clone, Copy)]
pub struct ContactCheck<'a> {
    /// The staff user writing it.
    pub author: UserId,
    /// The client's risk flags.
    pub risk_flags: &'a BTreeSet<RiskFlag>,
    pub now: DateTime<Utc>,
}

impl ContactInput {
    /// Checks the input: bounds, no duplicates, not in the future, and the
    /// two-person rule for clients flagged `two_person_visits`. References
    /// to the client's goals, referrals and people are checked against the
    /// store by the caller.
    pub fn parse(self, check: ContactCheck<'_>) -> Result<ContactFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        if self.started_at > check.now {
            errors.push(
                "started_at",
                ValueError::new("in_future", "must not be in the future"),
            );
        }
        if !(1..=1440).contains(&self.duration_minutes) {
            errors.push(
                "duration_minutes",
                ValueError::new("out_of_range", "must be 1 to 1440 minutes"),
            );
        }
        if let Some(minutes) = self.travel_minutes
            && !(0..=1440).contains(&minutes)
        {
            errors.push(
                "travel_minutes",
                ValueError::new("out_of_range", "must be 0 to 1440 minutes"),
            );
        }
        if let Some(miles) = self.travel_miles
            && !(0.0..=2000.0).contains(&miles)
        {
            errors.push(
                "travel_miles",
                ValueError::new("out_of_range", "must be 0 to 2000 miles"),
            );
        }
        if self.activities.is_empty() {
            errors.push(
                "activities",
                ValueError::new("required", "name at least one activity"),
            );
        }
        errors.no_duplicates("activities", &self.activities);
        errors.no_duplicates("natural_support_ids", &self.natural_support_ids);
        errors.no_duplicates("care_team_member_ids", &self.care_team_member_ids);
        errors.no_duplicates("staff_ids", &self.staff_ids);
        errors.no_duplicates("goal_ids", &self.goal_ids);
        errors.no_duplicates("referral_ids", &self.referral_ids);
        if let Some(n) = self.staff_ids.iter().position(|id| *id == check.author) {
            errors.push(
                &format!("staff_ids[{n}]"),
                ValueError::new(
                    "author_listed",
                    "the author is present by definition; list the other staff",
                ),
            );
        }
        let mut others = Vec::new();
        for (n, other) in self.other_participants.iter().enumerate() {
            let name = errors.check(
                &format!("other_participants[{n}].name"),
                ShortText::parse(&other.name),
            );
            let role = errors.check(
                &format!("other_participants[{n}].role"),
                ShortText::parse(&other.role),
            );
            if let (Some(name), Some(role)) = (name, role) {
                others.push(OtherParticipant {
                    name: name.to_string(),
                    role: role.to_string(),
                });
            }
        }
        let override_reason = errors.check_opt(
            "two_person_override_reason",
            self.two_person_override_reason.as_deref(),
            LongText::parse,
        );
        if self.mode == ContactMode::InPerson
            && check.risk_flags.contains(&RiskFlag::TwoPersonVisits)
            && self.staff_ids.is_empty()
            && self.two_person_override_reason.is_none()
        {
            errors.push(
                "staff_ids",
                ValueError::new(
                    "two_person_visits",
                    "the client is flagged two_person_visits: an in-person contact needs a second \
                     staff member in staff_ids, or two_person_override_reason",
                ),
            );
        }
        let declined_services = errors.check_opt(
            "declined_services",
            self.declined_services.as_deref(),
            LongText::parse,
        );
        let coordination = errors.check_opt(
            "coordination",
            self.coordination.as_deref(),
            LongText::parse,
        );
        let narrative = errors.check("narrative", LongText::parse(&self.narrative));
        errors.finish(|| {
            Some(ContactFields {
                started_at: self.started_at,
                duration_minutes: self.duration_minutes,
                mode: self.mode,
                setting: self.setting,
                client_present: self.client_present,
                natural_support_ids: self.natural_support_ids,
                care_team_member_ids: self.care_team_member_ids,
                other_participants: others,
                staff_ids: self.staff_ids,
                two_person_override_reason: override_reason,
                activities: self.activities,
                goal_ids: self.goal_ids,
                referral_ids: self.referral_ids,
                goal_progress: self.goal_progress,
                declined_services,
                coordination,
                narrative: narrative?,
                travel_minutes: self.travel_minutes,
                travel_miles: self.travel_miles,
                sensitivity: self.sensitivity,
                amends: self.amends,
            })
        })
    }
}

/// The agency's working hours: a contact that starts outside them is after
/// hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    pub days: BTreeSet<u32>,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

impl Default for WorkingHours {
    /// Monday to Friday, 08:00 to 17:00.
    fn default() -> Self {
        WorkingHours {
            days: (0..5).collect(),
            opens: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            closes: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
        }
    }
}

fn weekday(raw: &str) -> Option<Weekday> {
    raw.trim().parse::<Weekday>().ok()
}

impl WorkingHours {
    /// Reads `mon-fri 08:00-17:00` (a range or a comma-separated list of
    /// days, then opening and closing times).
    pub fn parse(raw: &str) -> Result<WorkingHours, String> {
        let invalid =
            || format!("{raw:?}: expected days and hours such as \"mon-fri 08:00-17:00\"");
        let (days, hours) = raw.trim().split_once(' ').ok_or_else(invalid)?;
        let mut set = BTreeSet::new();
        for part in days.split(',') {
            match part.split_once('-') {
                Some((from, to)) => {
                    let (from, to) = (
                        weekday(from).ok_or_else(invalid)?,
                        weekday(to).ok_or_else(invalid)?,
                    );
                    let (a, b) = (from.num_days_from_monday(), to.num_days_from_monday());
                    if a > b {
                        return Err(invalid());
                    }
                    set.extend(a..=b);
                }
                None => {
                    set.insert(weekday(part).ok_or_else(invalid)?.num_days_from_monday());
                }
            }
        }
        let (opens, closes) = hours.trim().split_once('-').ok_or_else(invalid)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| invalid());
        let (opens, closes) = (time(opens)?, time(closes)?);
        if opens >= closes {
            return Err(invalid());
        }
        Ok(WorkingHours {
            days: set,
            opens,
            closes,
        })
    }

    /// Whether a contact starting at `local` (the agency's wall-clock time)
    /// is outside working hours.
    pub fn is_after_hours(&self, local: NaiveDateTime) -> bool {
        let day = local.weekday().num_days_from_monday();
        let time = local.time();
        !(self.days.contains(&day) && time >= self.opens && time < self.closes)
    }
}

/// The agency's settings for contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRules {
    pub working_hours: WorkingHours,
    /// A contact signed more than this many days after its date of service
    /// is a late entry.
    pub late_entry_days: i64,
    /// Whether a supervisor's co-signature is needed before a signed
    /// contact is billed.
    pub cosign_required: bool,
}

impl Default for ContactRules {
    fn default() -> Self {
        ContactRules {
            working_hours: WorkingHours::default(),
            late_entry_days: 3,
            cosign_required: false,
        }
    }
}

/// When a contact happened, in the agency's terms: its local start gives
/// the date of service and whether it was after hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalStart(pub NaiveDateTime);

/// A contact with or about a client.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: ContactId,
    pub client_id: ClientId,
    pub author_id: UserId,
    pub fields: ContactFields,
    /// The agency's date of the start.
    pub date_of_service: NaiveDate,
    /// Started outside the agency's working hours.
    pub after_hours: bool,
    pub status: ContactStatus,
    pub signed_at: Option<DateTime<Utc>>,
    /// Signed more than the agency's allowance of days after the date of service.
    pub late_entry: bool,
    /// What the contact bills, decided when it is signed.
    pub billing: Option<Billed>,
    /// A supervisor's co-signature of the signed contact.
    pub cosignature: Option<Cosignature>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A supervisor's co-signature: who read and co-signed a signed contact,
/// and when. It adds to the contact; the contact itself never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cosignature {
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// Why a contact may not change, be signed or be co-signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("a signed contact never changes; record a new contact that amends it")]
    Signed,
    #[error("only the contact's author signs it")]
    NotAuthor,
    #[error("only a signed contact is co-signed; its author signs it first")]
    NotSigned,
    #[error("the contact is already co-signed")]
    AlreadyCosigned,
    #[error("a contact is co-signed by someone other than its author")]
    OwnContact,
}

impl Contact {
    pub fn new(
        client_id: ClientId,
        author_id: UserId,
        fields: ContactFields,
        start: LocalStart,
        rules: &ContactRules,
        now: DateTime<Utc>,
    ) -> Self {
        Contact {
            id: ContactId::generate(),
            client_id,
            author_id,
            date_of_service: start.0.date(),
            after_hours: rules.working_hours.is_after_hours(start.0),
            fields,
            status: ContactStatus::Draft,
            signed_at: None,
            late_entry: false,
            billing: None,
            cosignature: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Replaces a draft's content.
    pub fn revise(
        &mut self,
        fields: ContactFields,
        start: LocalStart,
        rules: &ContactRules,
        now: DateTime<Utc>,
    ) -> Result<(), ContactError> {
        if self.status == ContactStatus::Signed {
            return Err(ContactError::Signed);
        }
        self.date_of_service = start.0.date();
        self.after_hours = rules.working_hours.is_after_hours(start.0);
        self.fields = fields;
        self.touch(now);
        Ok(())
    }

    /// Signs a draft, as its author `by` on the agency's `today`, with what
    /// it bills. A contact signed more than `rules.late_entry_days` after
    /// its date of service is a late entry.
    pub fn sign(
        &mut self,
        by: UserId,
        today: NaiveDate,
        billing: Billed,
        rules: &ContactRules,
        now: DateTime<Utc>,
    ) -> Result<(), ContactError> {
        if self.status == ContactStatus::Signed {
            return Err(ContactError::Signed);
        }
        if by != self.author_id {
            return Err(ContactError::NotAuthor);
        }
        self.status = ContactStatus::Signed;
        self.signed_at = Some(now);
        self.late_entry = (today - self.date_of_service).num_days() > rules.late_entry_days;
        self.billing = Some(billing);
        self.touch(now);
        Ok(())
    }

    /// Co-signs a signed contact as `by` (a supervisor, as the policy
    /// decides), never its author, once.
    pub fn cosign(&mut self, by: UserId, now: DateTime<Utc>) -> Result<Cosignature, ContactError> {
        if self.status != ContactStatus::Signed {
            return Err(ContactError::NotSigned);
        }
        if self.cosignature.is_some() {
            return Err(ContactError::AlreadyCosigned);
        }
        if by == self.author_id {
            return Err(ContactError::OwnContact);
        }
        let cosignature = Cosignature { by, at: now };
        self.cosignature = Some(cosignature);
        Ok(cosignature)
    }

    pub(crate) fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 18, 0, 0).unwrap()
    }

    fn input(extra: serde_json::Value) -> ContactInput {
        let mut body = json!({
            "started_at": "2026-11-20T15:30:00Z", "duration_minutes": 45, "mode": "in_person",
            "setting": "client_home", "client_present": true,
            "activities": ["monitoring_and_follow_up"], "narrative": "Home visit."
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        serde_json::from_value(body).unwrap()
    }

    fn check<'a>(author: UserId, flags: &'a BTreeSet<RiskFlag>) -> ContactCheck<'a> {
        ContactCheck {
            author,
            risk_flags: flags,
            now: now(),
        }
    }

    fn codes(errors: FieldErrors) -> Vec<(String, String)> {
        errors.0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn bad_values_are_each_named() {
        let author = UserId::generate();
        let flags = BTreeSet::new();
        let errors = input(json!({
            "started_at": "2026-11-28T00:00:00Z", "duration_minutes": -5, "travel_minutes": -1,
            "travel_miles": 9000.0, "activities": [], "narrative": "  ",
            "staff_ids": [author.to_string()],
            "other_participants": [{"name": "", "role": "Landlord"}]
        }))
        .parse(check(author, &flags))
        .unwrap_err();
        let codes = codes(errors);
        for expected in [
            ("started_at", "in_future"),
            ("duration_minutes", "out_of_range"),
            ("travel_minutes", "out_of_range"),
            ("travel_miles", "out_of_range"),
            ("activities", "required"),
            ("narrative", "required"),
            ("staff_ids[0]", "author_listed"),
            ("other_participants[0].name", "required"),
        ] {
            assert!(
                codes.contains(&(expected.0.to_owned(), expected.1.to_owned())),
                "{expected:?} in {codes:?}"
            );
        }
    }

    #[test]
    fn a_two_person_client_needs_a_second_staff_member_in_person_or_a_reason() {
        let author = UserId::generate();
        let flags: BTreeSet<RiskFlag> = [RiskFlag::TwoPersonVisits].into();
        let errors = input(json!({})).parse(check(author, &flags)).unwrap_err();
        assert_eq!(
            codes(errors),
            vec![("staff_ids".to_owned(), "two_person_visits".to_owned())]
        );
        let second = UserId::generate();
        assert!(
            input(json!({"staff_ids": [second.to_string()]}))
                .parse(check(author, &flags))
                .is_ok()
        );
        assert!(
            input(
                json!({"two_person_override_reason": "Colleague called away; met on the porch."})
            )
            .parse(check(author, &flags))
            .is_ok()
        );
        assert!(
            input(json!({"mode": "phone"}))
                .parse(check(author, &flags))
                .is_ok()
        );
        assert!(
            input(json!({}))
                .parse(check(author, &BTreeSet::new()))
                .is_ok()
        );
    }

    fn at(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, day)
            .unwrap()
            .and_hms_opt(hour, minute, 0)
            .unwrap()
    }

    #[test]
    fn after_hours_is_outside_the_working_days_and_hours() {
        let hours = WorkingHours::default();
        // 2026-11-27 is a Friday, 2026-11-28 a Saturday.
        assert!(!hours.is_after_hours(at(27, 8, 0)));
        assert!(!hours.is_after_hours(at(27, 16, 59)));
        assert!(hours.is_after_hours(at(27, 17, 0)));
        assert!(hours.is_after_hours(at(27, 7, 59)));
        assert!(hours.is_after_hours(at(28, 10, 0)));
        let custom = WorkingHours::parse("mon,wed-thu 09:30-18:00").unwrap();
        assert_eq!(custom.days, [0, 2, 3].into());
        assert!(custom.is_after_hours(at(24, 10, 0))); // a Tuesday
        assert!(!custom.is_after_hours(at(25, 17, 59))); // a Wednesday
        for bad in [
            "",
            "mon-fri",
            "fri-mon 08:00-17:00",
            "mon-fri 17:00-08:00",
            "xyz 08:00-17:00",
        ] {
            assert!(WorkingHours::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_author_signs_once_and_a_late_signature_is_a_late_entry() {
        let author = UserId::generate();
        let flags = BTreeSet::new();
        let rules = ContactRules::default();
        let fields = input(json!({})).parse(check(author, &flags)).unwrap();
        let mut contact = Contact::new(
            ClientId::generate(),
            author,
            fields.clone(),
            LocalStart(at(20, 15, 30)),
            &rules,
            now(),
        );
        assert_eq!(contact.date_of_service, at(20, 0, 0).date());
        let billed = Billed {
            config_id: crate::ids::BillingConfigId::generate(),
            units: 0,
            reasons: vec![],
        };
        assert_eq!(
            contact.sign(
                UserId::generate(),
                at(23, 0, 0).date(),
                billed.clone(),
                &rules,
                now()
            ),
            Err(ContactError::NotAuthor)
        );
        let mut on_time = contact.clone();
        on_time
            .sign(author, at(23, 0, 0).date(), billed.clone(), &rules, now())
            .unwrap();
        assert!(!on_time.late_entry);
        assert_eq!(on_time.version, 2);
        contact
            .sign(author, at(24, 0, 0).date(), billed.clone(), &rules, now())
            .unwrap();
        assert!(contact.late_entry);
        assert_eq!(
            contact.sign(author, at(24, 0, 0).date(), billed, &rules, now()),
            Err(ContactError::Signed)
        );
        assert_eq!(
            contact.revise(fields, LocalStart(at(20, 15, 30)), &rules, now()),
            Err(ContactError::Signed)
        );
    }

    #[test]
    fn a_signed_contact_is_cosigned_once_by_someone_else() {
        let author = UserId::generate();
        let supervisor = UserId::generate();
        let rules = ContactRules::default();
        let fields = input(json!({}))
            .parse(check(author, &BTreeSet::new()))
            .unwrap();
        let mut contact = Contact::new(
            ClientId::generate(),
            author,
            fields,
            LocalStart(at(20, 15, 30)),
            &rules,
            now(),
        );
        assert_eq!(
            contact.cosign(supervisor, now()),
            Err(ContactError::NotSigned)
        );
        let billed = Billed {
            config_id: crate::ids::BillingConfigId::generate(),
            units: 3,
            reasons: vec![],
        };
        contact
            .sign(author, at(20, 0, 0).date(), billed, &rules, now())
            .unwrap();
        let version = contact.version;
        assert_eq!(contact.cosign(author, now()), Err(ContactError::OwnContact));
        let cosigned = contact.cosign(supervisor, now()).unwrap();
        assert_eq!(cosigned.by, supervisor);
        assert_eq!(
            contact.version, version,
            "the contact itself does not change"
        );
        assert_eq!(
            contact.cosign(supervisor, now()),
            Err(ContactError::AlreadyCosigned)
        );
    }
}
