//! The people around a client: the care team (staff users and outside
//! professionals, each for a period) and natural supports (family, friends,
//! faith community, neighbours).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ValueError};
use crate::ids::{CareTeamMemberId, ClientId, NaturalSupportId, UserId};
use crate::values::{Email, Phone, ShortText};

/// What an outside professional on a care team does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "psychiatrist"))]
pub enum Profession {
    Psychiatrist,
    Therapist,
    PrimaryCarePhysician,
    Nurse,
    SocialWorker,
    ProbationOfficer,
    PeerSupport,
    Pharmacist,
    HousingNavigator,
    Other,
}

impl Profession {
    pub const ALL: [Profession; 10] = [
        Profession::Psychiatrist,
        Profession::Therapist,
        Profession::PrimaryCarePhysician,
        Profession::Nurse,
        Profession::SocialWorker,
        Profession::ProbationOfficer,
        Profession::PeerSupport,
        Profession::Pharmacist,
        Profession::HousingNavigator,
        Profession::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Profession::Psychiatrist => "psychiatrist",
            Profession::Therapist => "therapist",
            Profession::PrimaryCarePhysician => "primary_care_physician",
            Profession::Nurse => "nurse",
            Profession::SocialWorker => "social_worker",
            Profession::ProbationOfficer => "probation_officer",
            Profession::PeerSupport => "peer_support",
            Profession::Pharmacist => "pharmacist",
            Profession::HousingNavigator => "housing_navigator",
            Profession::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}

/// Who a care-team member is: a Spoke user, or a professional outside Spoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CareTeamPerson {
    /// A staff user; a user with the `care_team_member` role reads the
    /// client and adds notes while the membership is current.
    Staff { user_id: UserId },
    /// A professional outside Spoke, reached by phone or email.
    External {
        name: ShortText,
        profession: Profession,
        organization: Option<ShortText>,
        phone: Option<Phone>,
        email: Option<Email>,
    },
}

/// A period with a start and an optional end, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

impl Period {
    pub fn parse(started_on: NaiveDate, ended_on: Option<NaiveDate>) -> Result<Self, ValueError> {
        match ended_on {
            Some(end) if end < started_on => Err(ValueError::new(
                "ends_before_start",
                "must not be before started_on",
            )),
            _ => Ok(Period {
                started_on,
                ended_on,
            }),
        }
    }

    /// Whether `day` falls within the period.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.started_on <= day && self.ended_on.is_none_or(|end| day <= end)
    }
}

/// The fields of a care-team membership, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareTeamFields {
    pub person: CareTeamPerson,
    /// What they do for this client, in a few words.
    pub responsibility: Option<ShortText>,
    pub period: Period,
}

/// A care-team membership as it arrives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "external", "name": "Dr. Ana Lopez", "profession": "psychiatrist",
    "organization": "Cascadia Behavioral Health", "phone": "+1 503 555 0188",
    "email": "alopez@cascadia.example.org", "responsibility": "Medication management",
    "started_on": "2026-09-01"
})))]
pub struct CareTeamInput {
    /// `staff` (give `user_id`) or `external` (give `name` and `profession`).
    pub kind: CareTeamKind,
    #[serde(default)]
    pub user_id: Option<UserId>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub profession: Option<Profession>,
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub responsibility: Option<String>,
    pub started_on: NaiveDate,
    #[serde(default)]
    pub ended_on: Option<NaiveDate>,
}

/// Which kind of care-team member an input describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "external"))]
pub enum CareTeamKind {
    Staff,
    External,
}

fn required<T>(value: Option<T>) -> Result<T, ValueError> {
    value.ok_or_else(|| ValueError::new("required", "is required"))
}

/// Refuses a field given for the other kind of member.
fn unused(given: bool, kind: &str) -> Result<(), ValueError> {
    if given {
        Err(ValueError::new(
            "not_allowed",
            format!("is not used for a {kind} member"),
        ))
    } else {
        Ok(())
    }
}

impl CareTeamInput {
    pub fn parse(self) -> Result<CareTeamFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let person = match self.kind {
            CareTeamKind::Staff => {
                let user_id = errors.check("user_id", required(self.user_id));
                for (field, present) in [
                    ("name", self.name.is_some()),
                    ("profession", self.profession.is_some()),
                    ("organization", self.organization.is_some()),
                    ("phone", self.phone.is_some()),
                    ("email", self.email.is_some()),
                ] {
                    errors.check(field, unused(present, "staff"));
                }
                user_id.map(|user_id| CareTeamPerson::Staff { user_id })
            }
            CareTeamKind::External => {
                errors.check("user_id", unused(self.user_id.is_some(), "external"));
                let name = errors.check(
                    "name",
                    required(self.name.as_deref()).and_then(ShortText::parse),
                );
                let profession = errors.check("profession", required(self.profession));
                let organization = errors.check_opt(
                    "organization",
                    self.organization.as_deref(),
                    ShortText::parse,
                );
                let phone = errors.check_opt("phone", self.phone.as_deref(), Phone::parse);
                let email = errors.check_opt("email", self.email.as_deref(), Email::parse);
                match (name, profession) {
                    (Some(name), Some(profession)) => Some(CareTeamPerson::External {
                        name,
                        profession,
                        organization,
                        phone,
                        email,
                    }),
                    _ => None,
                }
            }
        };
        let responsibility = errors.check_opt(
            "responsibility",
            self.responsibility.as_deref(),
            ShortText::parse,
        );
        let period = errors.check("ended_on", Period::parse(self.started_on, self.ended_on));
        errors.finish(|| {
            Some(CareTeamFields {
                person: person?,
                responsibility,
                period: period?,
            })
        })
    }
}

/// One member of a client's care team, for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareTeamMember {
    pub id: CareTeamMemberId,
    pub client_id: ClientId,
    pub fields: CareTeamFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl CareTeamMember {
    pub fn new(client_id: ClientId, fields: CareTeamFields, now: DateTime<Utc>) -> Self {
        CareTeamMember {
            id: CareTeamMemberId::generate(),
            client_id,
            fields,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The staff user this membership gives access to, if any.
    pub fn staff_user(&self) -> Option<UserId> {
        match self.fields.person {
            CareTeamPerson::Staff { user_id } => Some(user_id),
            CareTeamPerson::External { .. } => None,
        }
    }

    /// Marks a change made at `now`.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

/// How a natural support is related to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "sibling"))]
pub enum Relationship {
    Parent,
    Child,
    Sibling,
    SpousePartner,
    Grandparent,
    OtherFamily,
    Friend,
    Neighbour,
    FaithCommunity,
    Sponsor,
    Other,
}

impl Relationship {
    pub const ALL: [Relationship; 11] = [
        Relationship::Parent,
        Relationship::Child,
        Relationship::Sibling,
        Relationship::SpousePartner,
        Relationship::Grandparent,
        Relationship::OtherFamily,
        Relationship::Friend,
        Relationship::Neighbour,
        Relationship::FaithCommunity,
        Relationship::Sponsor,
        Relationship::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Parent => "parent",
            Relationship::Child => "child",
            Relationship::Sibling => "sibling",
            Relationship::SpousePartner => "spouse_partner",
            Relationship::Grandparent => "grandparent",
            Relationship::OtherFamily => "other_family",
            Relationship::Friend => "friend",
            Relationship::Neighbour => "neighbour",
            Relationship::FaithCommunity => "faith_community",
            Relationship::Sponsor => "sponsor",
            Relationship::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// A natural support as it arrives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Rosa Rivera", "relationship": "sibling", "phone": "+1 503 555 0120",
    "role_in_plan": "Drives Maria to her Thursday appointments", "may_share_information": true
})))]
pub struct NaturalSupportInput {
    pub name: String,
    pub relationship: Relationship,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// What they do in the client's plan.
    #[serde(default)]
    pub role_in_plan: Option<String>,
    /// Whether the client allows staff to share information with them.
    pub may_share_information: bool,
}

/// The fields of a natural support, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Rosa Rivera", "relationship": "sibling", "phone": "+15035550120", "email": null,
    "role_in_plan": "Drives Maria to her Thursday appointments", "may_share_information": true
})))]
pub struct NaturalSupportFields {
    pub name: ShortText,
    pub relationship: Relationship,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    /// What they do in the client's plan.
    pub role_in_plan: Option<ShortText>,
    /// Whether the client allows staff to share information with them.
    pub may_share_information: bool,
}

impl NaturalSupportInput {
    pub fn parse(self) -> Result<NaturalSupportFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", ShortText::parse(&self.name));
        let phone = errors.check_opt("phone", self.phone.as_deref(), Phone::parse);
        let email = errors.check_opt("email", self.email.as_deref(), Email::parse);
        let role_in_plan = errors.check_opt(
            "role_in_plan",
            self.role_in_plan.as_deref(),
            ShortText::parse,
        );
        errors.finish(|| {
            Some(NaturalSupportFields {
                name: name?,
                relationship: self.relationship,
                phone,
                email,
                role_in_plan,
                may_share_information: self.may_share_information,
            })
        })
    }
}

/// Someone in the client's own life who helps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaturalSupport {
    pub id: NaturalSupportId,
    pub client_id: ClientId,
    pub fields: NaturalSupportFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl NaturalSupport {
    pub fn new(client_id: ClientId, fields: NaturalSupportFields, now: DateTime<Utc>) -> Self {
        NaturalSupport {
            id: NaturalSupportId::generate(),
            client_id,
            fields,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Marks a change made at `now`.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn input(kind: CareTeamKind) -> CareTeamInput {
        CareTeamInput {
            kind,
            user_id: None,
            name: None,
            profession: None,
            organization: None,
            phone: None,
            email: None,
            responsibility: None,
            started_on: day(1),
            ended_on: None,
        }
    }

    #[test]
    fn a_period_covers_its_ends_and_nothing_outside() {
        let open = Period::parse(day(10), None).unwrap();
        assert!(!open.covers(day(9)));
        assert!(open.covers(day(10)) && open.covers(day(30)));
        let closed = Period::parse(day(10), Some(day(12))).unwrap();
        assert!(closed.covers(day(12)) && !closed.covers(day(13)));
        assert!(Period::parse(day(10), Some(day(9))).is_err());
        assert!(Period::parse(day(10), Some(day(10))).is_ok());
    }

    #[test]
    fn a_staff_member_needs_a_user_and_nothing_external() {
        let err = input(CareTeamKind::Staff).parse().unwrap_err();
        assert_eq!(err.0[0].field, "user_id");
        let mut with_name = input(CareTeamKind::Staff);
        with_name.user_id = Some(UserId::generate());
        with_name.name = Some("Dr. Lopez".into());
        let err = with_name.parse().unwrap_err();
        assert_eq!(
            (err.0[0].field.as_str(), err.0[0].code.as_str()),
            ("name", "not_allowed")
        );
    }

    #[test]
    fn an_external_member_needs_a_name_and_profession_and_reports_every_error() {
        let mut bad = input(CareTeamKind::External);
        bad.phone = Some("call me".into());
        bad.ended_on = Some(day(1).pred_opt().unwrap());
        let err = bad.parse().unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "profession", "phone", "ended_on"]);
        let mut good = input(CareTeamKind::External);
        good.name = Some(" Dr. Ana Lopez ".into());
        good.profession = Some(Profession::Psychiatrist);
        let fields = good.parse().unwrap();
        assert!(
            matches!(fields.person, CareTeamPerson::External { ref name, .. } if name.as_str() == "Dr. Ana Lopez")
        );
    }

    #[test]
    fn enum_names_round_trip() {
        for p in Profession::ALL {
            assert_eq!(Profession::parse(p.as_str()), Some(p));
        }
        for r in Relationship::ALL {
            assert_eq!(Relationship::parse(r.as_str()), Some(r));
        }
    }
}
