//! Where a client lives, and for how long they have lived in the community:
//! the least restrictive setting (their own home rather than a hospital, a
//! residential placement or jail) is the point of case management.
//!
//! A residence runs from the day the client moved in up to the day they
//! moved out (that day is spent in the next place), or goes on. A client
//! lives in one place at a time. Community tenure counts, day by day over a
//! period, where the client was: a stay from the critical events (a
//! hospital, treatment, jail) first, else the residence of that day, else
//! not known.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::client::{Address, AddressInput};
use crate::critical_event::StayKind;
use crate::error::{FieldErrors, ValueError};
use crate::ids::{ClientId, ResidenceId, UserId};
use crate::values::LongText;

text_enum!(
    /// The kind of place a client lives in; [`SETTINGS`] says what each counts as.
    ResidenceSetting, example = "own_home", {
        OwnHome => "own_home",
        WithFamily => "with_family",
        SupportiveHousing => "supportive_housing",
        GroupHome => "group_home",
        NursingFacility => "nursing_facility",
        ResidentialTreatment => "residential_treatment",
        PsychiatricHospital => "psychiatric_hospital",
        JailOrPrison => "jail_or_prison",
        EmergencyShelter => "emergency_shelter",
        PlaceNotMeantForHabitation => "place_not_meant_for_habitation",
    }
);
text_enum!(
    /// Whether a setting is in the community or an institution.
    SettingCategory, example = "community", {
        Community => "community",
        Institutional => "institutional",
    }
);

/// What a residence setting counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "setting": "supportive_housing", "label": "Supported or permanent supportive housing",
    "category": "community", "homeless": false
})))]
pub struct SettingInfo {
    pub setting: ResidenceSetting,
    pub label: &'static str,
    pub category: SettingCategory,
    /// Whether living here is homelessness (HUD's literally homeless).
    pub homeless: bool,
    /// The stay it amounts to, for hospital, treatment and jail days.
    #[serde(skip)]
    pub stay: Option<StayKind>,
}

const fn setting(
    setting: ResidenceSetting,
    label: &'static str,
    category: SettingCategory,
    homeless: bool,
    stay: Option<StayKind>,
) -> SettingInfo {
    SettingInfo {
        setting,
        label,
        category,
        homeless,
        stay,
    }
}

/// Every residence setting and what it counts as. An emergency shelter or
/// the street is not an institution: it counts as community, and as
/// homelessness.
pub const SETTINGS: [SettingInfo; 10] = {
    use ResidenceSetting::*;
    use SettingCategory::*;
    [
        setting(OwnHome, "Own home or apartment", Community, false, None),
        setting(WithFamily, "With family or friends", Community, false, None),
        setting(
            SupportiveHousing,
            "Supported or permanent supportive housing",
            Community,
            false,
            None,
        ),
        setting(
            GroupHome,
            "Group home or adult foster care",
            Community,
            false,
            None,
        ),
        setting(
            NursingFacility,
            "Nursing facility",
            Institutional,
            false,
            None,
        ),
        setting(
            ResidentialTreatment,
            "Residential treatment",
            Institutional,
            false,
            Some(StayKind::Treatment),
        ),
        setting(
            PsychiatricHospital,
            "Psychiatric hospital",
            Institutional,
            false,
            Some(StayKind::Hospital),
        ),
        setting(
            JailOrPrison,
            "Jail or prison",
            Institutional,
            false,
            Some(StayKind::Jail),
        ),
        setting(EmergencyShelter, "Emergency shelter", Community, true, None),
        setting(
            PlaceNotMeantForHabitation,
            "Place not meant for habitation (street, car, abandoned building)",
            Community,
            true,
            None,
        ),
    ]
};

impl ResidenceSetting {
    pub fn info(self) -> &'static SettingInfo {
        SETTINGS
            .iter()
            .find(|info| info.setting == self)
            .expect("every setting is in SETTINGS")
    }
}

/// A residence as the case manager records it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "setting": "supportive_housing",
    "address": {"line1": "1200 SE Division St", "line2": "Apt 4B", "city": "Portland", "region": "OR",
        "postal_code": "97202", "country": "US"},
    "moved_in_on": "2026-06-01", "moved_out_on": null, "notes": "Housing First unit; lease in her name."
})))]
pub struct ResidenceInput {
    pub setting: ResidenceSetting,
    #[serde(default)]
    pub address: Option<AddressInput>,
    /// Not in the future.
    pub moved_in_on: NaiveDate,
    /// After `moved_in_on`, not in the future; absent while the client lives there. That day is spent
    /// in the next place.
    #[serde(default)]
    pub moved_out_on: Option<NaiveDate>,
    /// 1 to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub notes: Option<String>,
}

/// The checked content of a residence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidenceFields {
    pub setting: ResidenceSetting,
    pub address: Option<Address>,
    pub moved_in_on: NaiveDate,
    pub moved_out_on: Option<NaiveDate>,
    pub notes: Option<LongText>,
}

impl ResidenceInput {
    pub fn parse(self, today: NaiveDate) -> Result<ResidenceFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        if self.moved_in_on > today {
            errors.push(
                "moved_in_on",
                ValueError::new("in_future", "must not be in the future"),
            );
        }
        if let Some(out) = self.moved_out_on {
            if out <= self.moved_in_on {
                errors.push(
                    "moved_out_on",
                    ValueError::new("before_start", "must be after moved_in_on"),
                );
            } else if out > today {
                errors.push(
                    "moved_out_on",
                    ValueError::new("in_future", "must not be in the future"),
                );
            }
        }
        let address = self
            .address
            .map(|address| address.parse_into("address", &mut errors));
        let notes = errors.check_opt("notes", self.notes.as_deref(), LongText::parse);
        errors.finish(|| {
            Some(ResidenceFields {
                setting: self.setting,
                // Given and refused, the errors say so and this never runs.
                address: address.flatten(),
                moved_in_on: self.moved_in_on,
                moved_out_on: self.moved_out_on,
                notes,
            })
        })
    }
}

/// A place a client lived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Residence {
    pub id: ResidenceId,
    pub client_id: ClientId,
    pub fields: ResidenceFields,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Days from `from` up to (not including) `until`, or going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Span {
    pub fn contains(self, day: NaiveDate) -> bool {
        self.from <= day && self.until.is_none_or(|until| day < until)
    }

    pub fn overlaps(self, other: Span) -> bool {
        self.until.is_none_or(|until| other.from < until)
            && other.until.is_none_or(|until| self.from < until)
    }
}

/// A residence that would overlap another of the client's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("overlaps the residence {other} ({from} to {until})")]
pub struct Overlap {
    pub other: ResidenceId,
    pub from: NaiveDate,
    pub until: String,
}

impl From<Overlap> for FieldErrors {
    fn from(overlap: Overlap) -> Self {
        let mut errors = FieldErrors::default();
        errors.push(
            "moved_in_on",
            ValueError::new(
                "overlaps",
                format!(
                    "{overlap}: a client lives in one place at a time; change that residence first"
                ),
            ),
        );
        errors
    }
}

impl Residence {
    pub fn new(
        client_id: ClientId,
        fields: ResidenceFields,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Residence {
        Residence {
            id: ResidenceId::generate(),
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

    pub fn span(&self) -> Span {
        Span {
            from: self.fields.moved_in_on,
            until: self.fields.moved_out_on,
        }
    }

    /// Fits `self` among the client's `others` (itself excluded by id). With
    /// `may_close`, a move to a new current home closes the current one,
    /// begun before, on the day of the move: that one is returned, changed,
    /// to store. Any other overlap is refused.
    pub fn fit(&self, others: &[Residence], may_close: bool) -> Result<Option<Residence>, Overlap> {
        let mut closed = None;
        for other in others.iter().filter(|other| other.id != self.id) {
            if !self.span().overlaps(other.span()) {
                continue;
            }
            let moved_on = self.fields.moved_in_on;
            let closes = may_close
                && self.fields.moved_out_on.is_none()
                && other.fields.moved_out_on.is_none()
                && other.fields.moved_in_on < moved_on
                && closed.is_none();
            if closes {
                let mut previous = other.clone();
                previous.fields.moved_out_on = Some(moved_on);
                closed = Some(previous);
            } else {
                return Err(Overlap {
                    other: other.id,
                    from: other.fields.moved_in_on,
                    until: other
                        .fields
                        .moved_out_on
                        .map_or_else(|| "now".to_owned(), |day| day.to_string()),
                });
            }
        }
        Ok(closed)
    }
}

/// The longest period community tenure is counted over: ten years.
pub const MAX_TENURE_DAYS: i64 = 3660;

/// The period community tenure is counted over, from the days asked for:
/// by default the 365 days up to today; never past today; at most
/// [`MAX_TENURE_DAYS`] long; the last day not before the first.
pub fn tenure_period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), FieldErrors> {
    let to = to.unwrap_or(today).min(today);
    let from = from.unwrap_or_else(|| to.checked_sub_days(Days::new(364)).unwrap_or(to));
    let mut errors = FieldErrors::default();
    if to < from {
        errors.push(
            "to",
            ValueError::new("before_start", "must not be before from"),
        );
    } else if (to - from).num_days() >= MAX_TENURE_DAYS {
        errors.push(
            "to",
            ValueError::new("out_of_range", "the period is at most 3,660 days"),
        );
    }
    errors.finish(|| Some((from, to)))
}

/// Where the client was, day by day, over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "from": "2025-11-28", "to": "2026-11-27", "days": 365, "community_days": 340,
    "institutional_days": 18, "unknown_days": 7, "hospital_days": 11, "jail_days": 0,
    "treatment_days": 7, "homeless_days": 45
})))]
pub struct Tenure {
    pub from: NaiveDate,
    /// The last day counted (never after today).
    pub to: NaiveDate,
    /// Days in the period.
    pub days: i64,
    /// Days in a community setting and in no hospital, treatment or jail stay.
    pub community_days: i64,
    /// Days in an institution: a stay from the critical events or an institutional residence.
    pub institutional_days: i64,
    /// Days for which neither a residence nor a stay is recorded.
    pub unknown_days: i64,
    /// Of the institutional days, those in a hospital, treatment, jail.
    pub hospital_days: i64,
    pub jail_days: i64,
    pub treatment_days: i64,
    /// Of the community days, those homeless (a shelter, the street).
    pub homeless_days: i64,
}

/// Counts where the client was each day from `from` through `to` (cut at
/// `today`), from their `residences` and their `stays` (from the critical
/// events: a stay comes before the residence of the day). Overlapping
/// records count each day once.
pub fn community_tenure(
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    residences: &[ResidenceFields],
    stays: &[(StayKind, Span)],
) -> Tenure {
    let to = to.min(today);
    let mut tenure = Tenure {
        from,
        to,
        ..Tenure::default()
    };
    let mut day = from;
    while day <= to {
        tenure.days += 1;
        let stay = stays
            .iter()
            .find(|(_, span)| span.contains(day))
            .map(|(kind, _)| *kind);
        let home = residences
            .iter()
            .find(|r| {
                Span {
                    from: r.moved_in_on,
                    until: r.moved_out_on,
                }
                .contains(day)
            })
            .map(|r| r.setting.info());
        match (stay, home) {
            (Some(kind), _) => {
                tenure.institutional_days += 1;
                count_stay(&mut tenure, kind);
            }
            (None, Some(info)) if info.category == SettingCategory::Institutional => {
                tenure.institutional_days += 1;
                if let Some(kind) = info.stay {
                    count_stay(&mut tenure, kind);
                }
            }
            (None, Some(info)) => {
                tenure.community_days += 1;
                if info.homeless {
                    tenure.homeless_days += 1;
                }
            }
            (None, None) => tenure.unknown_days += 1,
        }
        match day.checked_add_days(Days::new(1)) {
            Some(next) => day = next,
            None => break,
        }
    }
    tenure
}

fn count_stay(tenure: &mut Tenure, kind: StayKind) {
    match kind {
        StayKind::Hospital => tenure.hospital_days += 1,
        StayKind::Jail => tenure.jail_days += 1,
        StayKind::Treatment => tenure.treatment_days += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn fields(
        setting: ResidenceSetting,
        from: NaiveDate,
        until: Option<NaiveDate>,
    ) -> ResidenceFields {
        ResidenceFields {
            setting,
            address: None,
            moved_in_on: from,
            moved_out_on: until,
            notes: None,
        }
    }

    fn residence(
        setting: ResidenceSetting,
        from: NaiveDate,
        until: Option<NaiveDate>,
    ) -> Residence {
        Residence::new(
            ClientId::generate(),
            fields(setting, from, until),
            UserId::generate(),
            Utc::now(),
        )
    }

    #[test]
    fn every_setting_is_described_once() {
        for setting in ResidenceSetting::ALL {
            assert_eq!(SETTINGS.iter().filter(|i| i.setting == *setting).count(), 1);
        }
    }

    #[test]
    fn moving_to_a_new_home_closes_the_current_one() {
        let home = residence(ResidenceSetting::WithFamily, day(2026, 1, 1), None);
        let new = residence(ResidenceSetting::OwnHome, day(2026, 6, 1), None);
        let closed = new.fit(std::slice::from_ref(&home), true).unwrap().unwrap();
        assert_eq!(closed.id, home.id);
        assert_eq!(closed.fields.moved_out_on, Some(day(2026, 6, 1)));
        assert!(!closed.span().overlaps(new.span()));
    }

    #[test]
    fn a_past_stay_inside_another_residence_is_refused() {
        let home = residence(ResidenceSetting::OwnHome, day(2026, 1, 1), None);
        let past = residence(
            ResidenceSetting::EmergencyShelter,
            day(2026, 3, 1),
            Some(day(2026, 3, 10)),
        );
        let overlap = past.fit(std::slice::from_ref(&home), true).unwrap_err();
        assert_eq!(overlap.other, home.id);
        // Back to back is no overlap: the day of the move is in the next place.
        let before = residence(
            ResidenceSetting::EmergencyShelter,
            day(2025, 12, 1),
            Some(day(2026, 1, 1)),
        );
        assert_eq!(before.fit(std::slice::from_ref(&home), true), Ok(None));
    }

    #[test]
    fn a_current_home_older_than_the_open_one_is_refused() {
        let home = residence(ResidenceSetting::OwnHome, day(2026, 6, 1), None);
        let older = residence(ResidenceSetting::WithFamily, day(2026, 1, 1), None);
        assert!(older.fit(std::slice::from_ref(&home), true).is_err());
    }

    #[test]
    fn out_before_in_is_refused() {
        let errors = ResidenceInput {
            setting: ResidenceSetting::OwnHome,
            address: None,
            moved_in_on: day(2026, 5, 1),
            moved_out_on: Some(day(2026, 5, 1)),
            notes: None,
        }
        .parse(day(2026, 11, 1))
        .unwrap_err();
        assert_eq!(errors.0[0].code, "before_start");
    }

    #[test]
    fn tenure_puts_a_hospital_stay_before_the_home() {
        let residences = [
            fields(
                ResidenceSetting::EmergencyShelter,
                day(2026, 1, 1),
                Some(day(2026, 1, 11)),
            ),
            fields(ResidenceSetting::OwnHome, day(2026, 1, 11), None),
        ];
        // In hospital 3 nights of the shelter time and 5 at home; jail overlapping that stay.
        let stays = [
            (
                StayKind::Hospital,
                Span {
                    from: day(2026, 1, 8),
                    until: Some(day(2026, 1, 16)),
                },
            ),
            (
                StayKind::Jail,
                Span {
                    from: day(2026, 1, 15),
                    until: Some(day(2026, 1, 17)),
                },
            ),
        ];
        let tenure = community_tenure(
            day(2025, 12, 30),
            day(2026, 1, 31),
            day(2026, 11, 1),
            &residences,
            &stays,
        );
        assert_eq!(tenure.days, 33);
        assert_eq!(tenure.unknown_days, 2);
        assert_eq!(tenure.hospital_days, 8);
        assert_eq!(tenure.jail_days, 1);
        assert_eq!(tenure.institutional_days, 9);
        assert_eq!(tenure.community_days, 22);
        assert_eq!(tenure.homeless_days, 7);
    }

    #[test]
    fn the_period_defaults_to_the_last_year_and_is_bounded() {
        let today = day(2026, 11, 28);
        assert_eq!(
            tenure_period(None, None, today),
            Ok((day(2025, 11, 29), today))
        );
        assert_eq!(
            tenure_period(Some(day(2026, 1, 1)), Some(day(2027, 1, 1)), today),
            Ok((day(2026, 1, 1), today))
        );
        let codes = |result: Result<_, FieldErrors>| result.unwrap_err().0[0].code.clone();
        assert_eq!(
            codes(tenure_period(
                Some(day(2026, 6, 1)),
                Some(day(2026, 5, 1)),
                today
            )),
            "before_start"
        );
        assert_eq!(
            codes(tenure_period(Some(day(2015, 1, 1)), None, today)),
            "out_of_range"
        );
    }

    #[test]
    fn tenure_stops_at_today() {
        let residences = [fields(ResidenceSetting::OwnHome, day(2026, 1, 1), None)];
        let tenure = community_tenure(
            day(2026, 1, 1),
            day(2026, 12, 31),
            day(2026, 1, 10),
            &residences,
            &[],
        );
        assert_eq!(tenure.to, day(2026, 1, 10));
        assert_eq!((tenure.days, tenure.community_days), (10, 10));
    }

    fn any_setting() -> impl Strategy<Value = ResidenceSetting> {
        prop::sample::select(ResidenceSetting::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn every_day_is_counted_exactly_once(
            records in prop::collection::vec((any_setting(), 0i64..120, 1i64..60, any::<bool>()), 0..6),
            stays in prop::collection::vec((0usize..3, 0i64..120, 0i64..30), 0..4),
            length in 0i64..150,
        ) {
            let origin = day(2026, 1, 1);
            let at = |n: i64| origin + chrono::Duration::days(n);
            let residences: Vec<_> = records
                .iter()
                .map(|(setting, start, len, open)| {
                    fields(*setting, at(*start), (!open).then(|| at(start + len)))
                })
                .collect();
            let stays: Vec<_> = stays
                .iter()
                .map(|(kind, start, len)| {
                    let kind = [StayKind::Hospital, StayKind::Jail, StayKind::Treatment][*kind];
                    (kind, Span { from: at(*start), until: Some(at(start + len)) })
                })
                .collect();
            let t = community_tenure(origin, at(length), at(400), &residences, &stays);
            prop_assert_eq!(t.days, length + 1);
            prop_assert_eq!(t.community_days + t.institutional_days + t.unknown_days, t.days);
            prop_assert!(t.hospital_days + t.jail_days + t.treatment_days <= t.institutional_days);
            prop_assert!(t.homeless_days <= t.community_days);
        }

        #[test]
        fn fitted_residences_never_overlap(
            records in prop::collection::vec((0i64..200, 1i64..60, any::<bool>()), 1..8),
        ) {
            let origin = day(2026, 1, 1);
            let at = |n: i64| origin + chrono::Duration::days(n);
            let mut kept: Vec<Residence> = Vec::new();
            for (start, len, open) in records {
                let new = residence(ResidenceSetting::OwnHome, at(start), (!open).then(|| at(start + len)));
                if let Ok(closed) = new.fit(&kept, true) {
                    if let Some(closed) = closed {
                        let slot = kept.iter_mut().find(|r| r.id == closed.id).unwrap();
                        *slot = closed;
                    }
                    kept.push(new);
                }
            }
            for (n, a) in kept.iter().enumerate() {
                for b in &kept[n + 1..] {
                    prop_assert!(!a.span().overlaps(b.span()));
                }
            }
        }
    }
}
