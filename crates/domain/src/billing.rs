//! Medicaid targeted case management billing: what a payer pays for, as
//! versioned data, and the one function that decides how many units a
//! signed contact bills and why it bills none.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::assessment::instrument_code;
use crate::contact::{Activity, ContactFields, ContactMode};
use crate::error::{FieldErrors, ValueError};
use crate::ids::BillingConfigId;
use crate::values::ShortText;

text_enum!(
    /// How contact minutes become units.
    Rounding, example = "more_than_half", {
        /// A unit needs more than half its minutes, then one more per further full unit
        /// (for 15-minute units: 8 to 22 minutes are one unit, 23 to 37 two; CMS's 8-minute rule).
        MoreThanHalf => "more_than_half",
        /// Only whole units: 15 to 29 minutes are one unit.
        WholeUnits => "whole_units",
    }
);
text_enum!(
    /// Why a signed contact bills nothing.
    NotBillable, example = "no_medicaid_id", {
        /// The payer needs the client's Medicaid id and the client has none.
        NoMedicaidId => "no_medicaid_id",
        /// None of the contact's activities is one the payer pays for.
        ActivityNotBillable => "activity_not_billable",
        /// The payer does not pay for contacts of this mode.
        ModeNotBillable => "mode_not_billable",
        /// The client did not take part and the payer pays only for contacts with the client.
        CollateralNotBillable => "collateral_not_billable",
        /// The narrative is shorter than the payer asks.
        NarrativeTooShort => "narrative_too_short",
        /// Whether the contact moved a plan goal is not documented.
        MissingGoalProgress => "missing_goal_progress",
        /// The services the client declined are not documented.
        MissingDeclinedServices => "missing_declined_services",
        /// The coordination with other providers is not documented.
        MissingCoordination => "missing_coordination",
        /// The contact is too short for one unit.
        TooShortForAUnit => "too_short_for_a_unit",
        /// The client's units for the day already reached the payer's daily limit.
        DailyLimitReached => "daily_limit_reached",
    }
);

/// A payer's rules as an admin submits them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "payer": "medicaid", "name": "Medicaid targeted case management", "procedure_code": "T1017",
    "modifiers": ["U1"], "unit_minutes": 15, "rounding": "more_than_half", "max_units_per_day": 16,
    "billable_activities": ["comprehensive_assessment", "care_plan_development",
        "referral_and_related_activities", "monitoring_and_follow_up"],
    "billable_modes": ["in_person", "phone", "video"], "bills_collateral": true,
    "requires_medicaid_id": true, "min_narrative_chars": 50
})))]
pub struct BillingConfigInput {
    /// The payer, 1 to 64 lower-case letters, digits and underscores. A payer in use gets a new
    /// version; contacts signed before keep the version they were judged by.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^\s*[a-z0-9_]{1,64}\s*$"))]
    pub payer: String,
    /// 1 to 200 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub name: String,
    /// The HCPCS or CPT code billed, five characters (T1017 is targeted case management, per 15 minutes).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Z0-9][0-9]{3}[A-Z0-9]$"))]
    pub procedure_code: String,
    /// Up to four two-character modifiers.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 4))]
    pub modifiers: Vec<String>,
    /// Minutes in one unit, 1 to 60.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 60))]
    pub unit_minutes: i32,
    pub rounding: Rounding,
    /// The most units one client may bill in one day, 1 to 96.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 96))]
    pub max_units_per_day: i32,
    /// The activities the payer pays for; a contact bills when it has at least one.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub billable_activities: Vec<Activity>,
    /// The modes the payer pays for.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub billable_modes: Vec<ContactMode>,
    /// Whether a contact about the client without the client (collateral) bills.
    pub bills_collateral: bool,
    /// Whether a contact bills only for a client with a Medicaid id.
    pub requires_medicaid_id: bool,
    /// The shortest narrative that documents a billable contact, 0 to 4,000 characters.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 4000))]
    pub min_narrative_chars: i32,
}

/// The checked content of a billing configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingConfigFields {
    pub payer: String,
    pub name: ShortText,
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    pub unit_minutes: i32,
    pub rounding: Rounding,
    pub max_units_per_day: i32,
    pub billable_activities: Vec<Activity>,
    pub billable_modes: Vec<ContactMode>,
    pub bills_collateral: bool,
    pub requires_medicaid_id: bool,
    pub min_narrative_chars: i32,
}

fn procedure_code(raw: &str) -> Result<String, ValueError> {
    let code = raw.trim().to_ascii_uppercase();
    let b = code.as_bytes();
    let ok = b.len() == 5
        && b[0].is_ascii_alphanumeric()
        && b[1..4].iter().all(u8::is_ascii_digit)
        && b[4].is_ascii_alphanumeric();
    if ok {
        Ok(code)
    } else {
        Err(ValueError::new(
            "invalid_procedure_code",
            "must be a five-character HCPCS or CPT code, such as T1017",
        ))
    }
}

fn modifier(raw: &str) -> Result<String, ValueError> {
    let m = raw.trim().to_ascii_uppercase();
    if m.len() == 2 && m.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(m)
    } else {
        Err(ValueError::new(
            "invalid_modifier",
            "must be two letters or digits",
        ))
    }
}

fn within(errors: &mut FieldErrors, field: &str, value: i32, low: i32, high: i32) {
    if !(low..=high).contains(&value) {
        errors.push(
            field,
            ValueError::new("out_of_range", format!("must be {low} to {high}")),
        );
    }
}

impl BillingConfigInput {
    pub fn parse(self) -> Result<BillingConfigFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let payer = errors.check("payer", instrument_code(&self.payer));
        let name = errors.check("name", ShortText::parse(&self.name));
        let code = errors.check("procedure_code", procedure_code(&self.procedure_code));
        if self.modifiers.len() > 4 {
            errors.push(
                "modifiers",
                ValueError::new("too_many", "at most four modifiers"),
            );
        }
        let modifiers: Vec<String> = self
            .modifiers
            .iter()
            .enumerate()
            .filter_map(|(n, m)| errors.check(&format!("modifiers[{n}]"), modifier(m)))
            .collect();
        within(&mut errors, "unit_minutes", self.unit_minutes, 1, 60);
        within(
            &mut errors,
            "max_units_per_day",
            self.max_units_per_day,
            1,
            96,
        );
        within(
            &mut errors,
            "min_narrative_chars",
            self.min_narrative_chars,
            0,
            4000,
        );
        if self.billable_activities.is_empty() {
            errors.push(
                "billable_activities",
                ValueError::new("required", "name at least one activity"),
            );
        }
        if self.billable_modes.is_empty() {
            errors.push(
                "billable_modes",
                ValueError::new("required", "name at least one mode"),
            );
        }
        errors.finish(|| {
            Some(BillingConfigFields {
                payer: payer?,
                name: name?,
                procedure_code: code?,
                modifiers,
                unit_minutes: self.unit_minutes,
                rounding: self.rounding,
                max_units_per_day: self.max_units_per_day,
                billable_activities: self.billable_activities,
                billable_modes: self.billable_modes,
                bills_collateral: self.bills_collateral,
                requires_medicaid_id: self.requires_medicaid_id,
                min_narrative_chars: self.min_narrative_chars,
            })
        })
    }
}

/// The built-in configuration: Medicaid targeted case management, HCPCS
/// T1017 per 15 minutes, the four federal components, in person, by phone
/// or video, at most 16 units (4 hours) a client a day.
pub fn targeted_case_management() -> BillingConfigInput {
    BillingConfigInput {
        payer: "medicaid".into(),
        name: "Medicaid targeted case management".into(),
        procedure_code: "T1017".into(),
        modifiers: Vec::new(),
        unit_minutes: 15,
        rounding: Rounding::MoreThanHalf,
        max_units_per_day: 16,
        billable_activities: Activity::TCM.to_vec(),
        billable_modes: vec![
            ContactMode::InPerson,
            ContactMode::Phone,
            ContactMode::Video,
        ],
        bills_collateral: true,
        requires_medicaid_id: true,
        min_narrative_chars: 50,
    }
}

/// One version of a payer's rules. Versions never change once made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingConfig {
    pub id: BillingConfigId,
    pub version: i32,
    pub fields: BillingConfigFields,
    pub created_at: DateTime<Utc>,
}

/// What a signed contact bills: units under one configuration version, or
/// none and every reason why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Billed {
    pub config_id: BillingConfigId,
    pub units: i32,
    pub reasons: Vec<NotBillable>,
}

impl BillingConfigFields {
    /// The units `minutes` of contact time make, before the daily limit.
    pub fn units_for(&self, minutes: i32) -> i32 {
        let unit = self.unit_minutes;
        let minutes = minutes.max(0);
        match self.rounding {
            Rounding::WholeUnits => minutes / unit,
            Rounding::MoreThanHalf => {
                let threshold = unit / 2 + 1;
                if minutes < threshold {
                    0
                } else {
                    (minutes + unit - threshold) / unit
                }
            }
        }
    }

    /// Every documentation element or rule of this payer the contact misses.
    fn reasons(&self, contact: &ContactFields, has_medicaid_id: bool) -> Vec<NotBillable> {
        let mut reasons = Vec::new();
        if self.requires_medicaid_id && !has_medicaid_id {
            reasons.push(NotBillable::NoMedicaidId);
        }
        if !contact
            .activities
            .iter()
            .any(|a| self.billable_activities.contains(a))
        {
            reasons.push(NotBillable::ActivityNotBillable);
        }
        if !self.billable_modes.contains(&contact.mode) {
            reasons.push(NotBillable::ModeNotBillable);
        }
        if !contact.client_present && !self.bills_collateral {
            reasons.push(NotBillable::CollateralNotBillable);
        }
        let narrative =
            i32::try_from(contact.narrative.as_str().chars().count()).unwrap_or(i32::MAX);
        if narrative < self.min_narrative_chars {
            reasons.push(NotBillable::NarrativeTooShort);
        }
        if contact.goal_progress.is_none() {
            reasons.push(NotBillable::MissingGoalProgress);
        }
        if contact.declined_services.is_none() {
            reasons.push(NotBillable::MissingDeclinedServices);
        }
        if contact.coordination.is_none() {
            reasons.push(NotBillable::MissingCoordination);
        }
        if self.units_for(contact.duration_minutes) == 0 {
            reasons.push(NotBillable::TooShortForAUnit);
        }
        reasons
    }
}

/// What a contact bills under `config`, for a client with or without a
/// Medicaid id, when the client's other contacts that day already bill
/// `units_that_day`. Only contact time counts (never travel); the day never
/// bills more than the payer's limit.
pub fn bill(
    config: &BillingConfig,
    contact: &ContactFields,
    has_medicaid_id: bool,
    units_that_day: i32,
) -> Billed {
    let rules = &config.fields;
    let mut reasons = rules.reasons(contact, has_medicaid_id);
    let left = (rules.max_units_per_day - units_that_day.max(0)).max(0);
    let units = if reasons.is_empty() {
        let units = rules.units_for(contact.duration_minutes).min(left);
        if units == 0 {
            reasons.push(NotBillable::DailyLimitReached);
        }
        units
    } else {
        0
    };
    Billed {
        config_id: config.id,
        units,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::ConsentCategory;
    use crate::contact::{ContactSetting, GoalProgress};
    use crate::values::LongText;
    use proptest::prelude::*;

    fn config(rounding: Rounding, unit: i32, cap: i32) -> BillingConfig {
        let mut fields = targeted_case_management().parse().unwrap();
        fields.rounding = rounding;
        fields.unit_minutes = unit;
        fields.max_units_per_day = cap;
        BillingConfig {
            id: BillingConfigId::generate(),
            version: 1,
            fields,
            created_at: Utc::now(),
        }
    }

    fn documented(minutes: i32, travel: Option<i32>) -> ContactFields {
        ContactFields {
            started_at: Utc::now(),
            duration_minutes: minutes,
            mode: ContactMode::InPerson,
            setting: ContactSetting::ClientHome,
            client_present: true,
            natural_support_ids: vec![],
            care_team_member_ids: vec![],
            other_participants: vec![],
            staff_ids: vec![],
            two_person_override_reason: None,
            activities: vec![Activity::MonitoringAndFollowUp],
            goal_ids: vec![],
            referral_ids: vec![],
            goal_progress: Some(GoalProgress::Progressing),
            declined_services: Some(LongText::parse("None.").unwrap()),
            coordination: Some(
                LongText::parse("Called her therapist about the new schedule.").unwrap(),
            ),
            narrative: LongText::parse(
                &"Home visit; reviewed the budget and the lease. ".repeat(2),
            )
            .unwrap(),
            travel_minutes: travel,
            travel_miles: None,
            sensitivity: ConsentCategory::General,
            amends: None,
        }
    }

    #[test]
    fn fifteen_minute_units_follow_the_eight_minute_rule() {
        let c = config(Rounding::MoreThanHalf, 15, 16).fields;
        let cases = [
            (0, 0),
            (7, 0),
            (8, 1),
            (22, 1),
            (23, 2),
            (37, 2),
            (38, 3),
            (60, 4),
        ];
        for (minutes, units) in cases {
            assert_eq!(c.units_for(minutes), units, "{minutes} minutes");
        }
        let whole = config(Rounding::WholeUnits, 15, 16).fields;
        assert_eq!([14, 15, 29, 30].map(|m| whole.units_for(m)), [0, 1, 1, 2]);
    }

    #[test]
    fn every_missing_element_is_a_reason_and_none_bills() {
        let c = config(Rounding::MoreThanHalf, 15, 16);
        let mut contact = documented(5, None);
        contact.mode = ContactMode::Letter;
        contact.client_present = false;
        contact.activities = vec![Activity::Transportation];
        contact.goal_progress = None;
        contact.declined_services = None;
        contact.coordination = None;
        contact.narrative = LongText::parse("Drove.").unwrap();
        let mut strict = c.clone();
        strict.fields.bills_collateral = false;
        let billed = bill(&strict, &contact, false, 0);
        assert_eq!(billed.units, 0);
        assert_eq!(
            billed.reasons,
            vec![
                NotBillable::NoMedicaidId,
                NotBillable::ActivityNotBillable,
                NotBillable::ModeNotBillable,
                NotBillable::CollateralNotBillable,
                NotBillable::NarrativeTooShort,
                NotBillable::MissingGoalProgress,
                NotBillable::MissingDeclinedServices,
                NotBillable::MissingCoordination,
                NotBillable::TooShortForAUnit,
            ]
        );
        let fine = bill(&c, &documented(45, None), true, 0);
        assert_eq!((fine.units, fine.reasons), (3, vec![]));
        let capped = bill(&c, &documented(45, None), true, 16);
        assert_eq!(
            (capped.units, capped.reasons),
            (0, vec![NotBillable::DailyLimitReached])
        );
    }

    #[test]
    fn configurations_are_checked() {
        let mut input = targeted_case_management();
        input.procedure_code = "T10".into();
        input.modifiers = vec!["U1".into(), "x".into()];
        input.unit_minutes = 0;
        input.billable_modes = vec![];
        let codes: Vec<String> = input
            .parse()
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            codes,
            [
                "procedure_code",
                "modifiers[1]",
                "unit_minutes",
                "billable_modes"
            ]
        );
    }

    fn rounding() -> impl Strategy<Value = Rounding> {
        prop::sample::select(Rounding::ALL.to_vec())
    }

    proptest! {
        /// Units never stand for more minutes than were spent: whole units
        /// fit in the minutes, and "more than half" rounds up at most the
        /// smaller half of one unit.
        #[test]
        fn units_never_exceed_what_the_minutes_allow(
            rounding in rounding(), unit in 1..=60i32, minutes in 0..=1440i32,
        ) {
            let c = config(rounding, unit, 96).fields;
            let units = c.units_for(minutes);
            prop_assert!(units >= 0);
            match rounding {
                Rounding::WholeUnits => prop_assert!(units * unit <= minutes),
                Rounding::MoreThanHalf => prop_assert!(units * unit <= minutes + unit - (unit / 2 + 1)),
            }
            prop_assert!(c.units_for(minutes + 1) >= units);
        }

        /// However a day's contacts fall, together they never bill more
        /// than the daily limit, and each bills what it may until then.
        #[test]
        fn the_daily_limit_holds_across_a_days_contacts(
            minutes in prop::collection::vec(1..=600i32, 1..12), cap in 1..=96i32,
        ) {
            let c = config(Rounding::MoreThanHalf, 15, cap);
            let mut total = 0;
            for m in minutes {
                let billed = bill(&c, &documented(m, None), true, total);
                prop_assert!(billed.units <= c.fields.units_for(m));
                total += billed.units;
                prop_assert!(total <= cap);
            }
        }

        /// Travel time never changes what a contact bills.
        #[test]
        fn travel_never_counts(minutes in 1..=600i32, travel in 0..=1440i32, day in 0..=20i32) {
            let c = config(Rounding::MoreThanHalf, 15, 16);
            prop_assert_eq!(
                bill(&c, &documented(minutes, None), true, day),
                bill(&c, &documented(minutes, Some(travel)), true, day)
            );
        }
    }
}
