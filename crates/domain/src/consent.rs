//! What a client allows to be shared, with whom, for what, until when; and
//! the one rule that decides whether a consent covers a disclosure.
//! Substance-use consents carry the 42 CFR Part 2 elements.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ValueError};
use crate::ids::{ClientId, ConsentId, OrganizationId, UserId};
use crate::values::{LongText, ShortText};

/// A kind of information a consent lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "general"))]
pub enum ConsentCategory {
    /// Demographics, contact, the reason for a referral.
    General,
    Health,
    MentalHealth,
    /// Substance use disorder records, under 42 CFR Part 2.
    SubstanceUse,
}

impl ConsentCategory {
    pub const ALL: [ConsentCategory; 4] = [
        ConsentCategory::General,
        ConsentCategory::Health,
        ConsentCategory::MentalHealth,
        ConsentCategory::SubstanceUse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentCategory::General => "general",
            ConsentCategory::Health => "health",
            ConsentCategory::MentalHealth => "mental_health",
            ConsentCategory::SubstanceUse => "substance_use",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// How the client gave consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "signed"))]
pub enum ConsentMethod {
    Signed,
    /// Said aloud, with a witness named in `witness_name`.
    VerbalWithWitness,
}

/// The 42 CFR Part 2 elements a substance-use consent must state, beyond
/// the recipient, purpose and expiry every consent has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "disclosing_party": "Spoke Community Case Management, Eastside Team",
    "information": "Diagnosis, treatment dates and attendance, medications for opioid use disorder",
    "right_to_revoke_acknowledged": true
})))]
pub struct Part2Elements {
    /// Who may make the disclosure.
    pub disclosing_party: String,
    /// How much and what kind of information may be disclosed.
    pub information: String,
    /// The client was told they may revoke the consent at any time, in writing.
    pub right_to_revoke_acknowledged: bool,
}

/// A consent as staff record it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "recipient_organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d", "any_organization": false,
    "categories": ["general", "substance_use"], "purpose": "Referral for outpatient treatment and care coordination",
    "effective_on": "2026-11-20", "expires_on": "2027-11-20", "method": "signed",
    "document_reference": "scan://consents/2026/11/maria-rivera-part2.pdf",
    "part2": {"disclosing_party": "Spoke Community Case Management, Eastside Team",
              "information": "Diagnosis, treatment dates and attendance", "right_to_revoke_acknowledged": true}
})))]
pub struct ConsentInput {
    /// The organization that may receive the information.
    #[serde(default)]
    pub recipient_organization_id: Option<OrganizationId>,
    /// Instead of one organization: any organization in the directory (not for substance use).
    #[serde(default)]
    pub any_organization: bool,
    pub categories: Vec<ConsentCategory>,
    pub purpose: String,
    pub effective_on: NaiveDate,
    /// Required for substance use.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    pub method: ConsentMethod,
    /// Required when the consent was verbal.
    #[serde(default)]
    pub witness_name: Option<String>,
    /// Where the signed form is kept.
    #[serde(default)]
    pub document_reference: Option<String>,
    /// Required, and only allowed, with the `substance_use` category.
    #[serde(default)]
    pub part2: Option<Part2Elements>,
}

/// To whom a consent lets information go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    Organization(OrganizationId),
    AnyOrganization,
}

/// A consent's content, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentFields {
    pub recipient: Recipient,
    pub categories: BTreeSet<ConsentCategory>,
    pub purpose: ShortText,
    pub effective_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub method: ConsentMethod,
    pub witness_name: Option<ShortText>,
    pub document_reference: Option<ShortText>,
    pub part2: Option<Part2Elements>,
}

impl ConsentInput {
    pub fn parse(self) -> Result<ConsentFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let recipient = match (self.recipient_organization_id, self.any_organization) {
            (Some(org), false) => Some(Recipient::Organization(org)),
            (None, true) => Some(Recipient::AnyOrganization),
            _ => {
                errors.push(
                    "recipient_organization_id",
                    ValueError::new(
                        "one_recipient",
                        "give recipient_organization_id, or any_organization: true, not both",
                    ),
                );
                None
            }
        };
        let categories: BTreeSet<ConsentCategory> = self.categories.iter().copied().collect();
        if categories.is_empty() {
            errors.push(
                "categories",
                ValueError::new("required", "name at least one category"),
            );
        }
        let purpose = errors.check("purpose", ShortText::parse(&self.purpose));
        if self.expires_on.is_some_and(|end| end < self.effective_on) {
            errors.push(
                "expires_on",
                ValueError::new("before_effective", "must not be before effective_on"),
            );
        }
        let witness_name = match (self.method, self.witness_name.as_deref()) {
            (ConsentMethod::VerbalWithWitness, None) => {
                errors.push(
                    "witness_name",
                    ValueError::new("required", "a verbal consent names its witness"),
                );
                None
            }
            (_, raw) => errors.check_opt("witness_name", raw, ShortText::parse),
        };
        let document_reference = errors.check_opt(
            "document_reference",
            self.document_reference.as_deref(),
            ShortText::parse,
        );
        let substance = categories.contains(&ConsentCategory::SubstanceUse);
        let part2 = match (&self.part2, substance) {
            (None, true) => {
                errors.push(
                    "part2",
                    ValueError::new(
                        "required",
                        "a substance-use consent states the 42 CFR Part 2 elements",
                    ),
                );
                None
            }
            (Some(_), false) => {
                errors.push(
                    "part2",
                    ValueError::new(
                        "not_allowed",
                        "only a substance-use consent has Part 2 elements",
                    ),
                );
                None
            }
            (None, false) => None,
            (Some(p), true) => {
                let disclosing = errors.check(
                    "part2.disclosing_party",
                    ShortText::parse(&p.disclosing_party),
                );
                let information =
                    errors.check("part2.information", LongText::parse(&p.information));
                if !p.right_to_revoke_acknowledged {
                    errors.push(
                        "part2.right_to_revoke_acknowledged",
                        ValueError::new(
                            "required",
                            "the client must be told of the right to revoke",
                        ),
                    );
                }
                match (disclosing, information) {
                    (Some(d), Some(i)) => Some(Part2Elements {
                        disclosing_party: d.to_string(),
                        information: i.as_str().to_owned(),
                        right_to_revoke_acknowledged: p.right_to_revoke_acknowledged,
                    }),
                    _ => None,
                }
            }
        };
        if substance {
            if self.expires_on.is_none() {
                errors.push(
                    "expires_on",
                    ValueError::new("required", "a substance-use consent has an expiry"),
                );
            }
            if self.method != ConsentMethod::Signed {
                errors.push(
                    "method",
                    ValueError::new("signature_required", "a substance-use consent is signed"),
                );
            }
            if self.any_organization {
                errors.push(
                    "any_organization",
                    ValueError::new("not_allowed", "a substance-use consent names its recipient"),
                );
            }
        }
        errors.finish(|| {
            Some(ConsentFields {
                recipient: recipient?,
                categories,
                purpose: purpose?,
                effective_on: self.effective_on,
                expires_on: self.expires_on,
                method: self.method,
                witness_name,
                document_reference,
                part2,
            })
        })
    }
}

/// A revocation: when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "revoked_at": "2026-12-01T10:00:00Z", "reason": "Client asked to stop sharing with the clinic"
})))]
pub struct Revocation {
    pub revoked_at: DateTime<Utc>,
    pub reason: String,
}

/// A client's consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub id: ConsentId,
    pub client_id: ClientId,
    pub fields: ConsentFields,
    pub revocation: Option<Revocation>,
    pub recorded_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Why a consent may not be revoked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    #[error("the consent is already revoked")]
    AlreadyRevoked,
    #[error("a revocation needs a reason")]
    ReasonRequired,
}

impl Consent {
    /// Whether the consent is in effect on `day`: not revoked, begun, and
    /// not expired.
    pub fn is_active(&self, day: NaiveDate) -> bool {
        let f = &self.fields;
        self.revocation.is_none()
            && f.effective_on <= day
            && f.expires_on.is_none_or(|end| day <= end)
    }

    pub fn new(client_id: ClientId, fields: ConsentFields, by: UserId, now: DateTime<Utc>) -> Self {
        Consent {
            id: ConsentId::generate(),
            client_id,
            fields,
            revocation: None,
            recorded_by: by,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Revokes the consent from `now` on; what was disclosed before stays disclosed.
    pub fn revoke(&mut self, reason: &str, now: DateTime<Utc>) -> Result<(), ConsentError> {
        if self.revocation.is_some() {
            return Err(ConsentError::AlreadyRevoked);
        }
        let reason = ShortText::parse(reason).map_err(|_| ConsentError::ReasonRequired)?;
        self.revocation = Some(Revocation {
            revoked_at: now,
            reason: reason.to_string(),
        });
        self.touch(now);
        Ok(())
    }

    pub(crate) fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }

    /// Whether this consent, on `day`, lets information of every one of
    /// `categories` go to `organization`: not revoked, in effect that day,
    /// naming the organization (or any organization), and covering each
    /// category.
    pub fn covers(
        &self,
        organization: OrganizationId,
        categories: &BTreeSet<ConsentCategory>,
        day: NaiveDate,
    ) -> bool {
        let f = &self.fields;
        self.is_active(day)
            && match f.recipient {
                Recipient::Organization(org) => org == organization,
                Recipient::AnyOrganization => true,
            }
            && categories.is_subset(&f.categories)
    }
}

/// The consent among `consents` that covers a disclosure of `categories` to
/// `organization` on `day`, preferring one that names the organization.
pub fn covering_consent<'a>(
    consents: &'a [Consent],
    organization: OrganizationId,
    categories: &BTreeSet<ConsentCategory>,
    day: NaiveDate,
) -> Option<&'a Consent> {
    let covering = consents
        .iter()
        .filter(|c| c.covers(organization, categories, day));
    covering.min_by_key(|c| match c.fields.recipient {
        Recipient::Organization(_) => 0,
        Recipient::AnyOrganization => 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn input(org: Option<OrganizationId>, categories: Vec<ConsentCategory>) -> ConsentInput {
        ConsentInput {
            recipient_organization_id: org,
            any_organization: org.is_none(),
            categories,
            purpose: "Housing referral".into(),
            effective_on: day(11, 1),
            expires_on: Some(day(12, 31)),
            method: ConsentMethod::Signed,
            witness_name: None,
            document_reference: None,
            part2: None,
        }
    }

    fn consent(fields: ConsentFields) -> Consent {
        Consent::new(ClientId::generate(), fields, UserId::generate(), Utc::now())
    }

    #[test]
    fn a_consent_is_active_from_its_first_to_its_last_day_until_revoked() {
        let mut c = consent(input(None, vec![ConsentCategory::General]).parse().unwrap());
        assert!(!c.is_active(day(10, 31)));
        assert!(c.is_active(day(11, 1)));
        assert!(c.is_active(day(12, 31)));
        assert!(!c.is_active(day(12, 30).succ_opt().unwrap().succ_opt().unwrap()));
        c.revoke("asked to stop", Utc::now()).unwrap();
        assert!(!c.is_active(day(11, 15)));
    }

    #[test]
    fn substance_use_needs_every_part_2_element() {
        let mut bad = input(None, vec![ConsentCategory::SubstanceUse]);
        bad.expires_on = None;
        bad.method = ConsentMethod::VerbalWithWitness;
        let err = bad.parse().unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "witness_name",
                "part2",
                "expires_on",
                "method",
                "any_organization"
            ]
        );
        let mut good = input(
            Some(OrganizationId::generate()),
            vec![ConsentCategory::SubstanceUse],
        );
        good.part2 = Some(Part2Elements {
            disclosing_party: "Eastside Team".into(),
            information: "Treatment dates".into(),
            right_to_revoke_acknowledged: false,
        });
        let err = good.clone().parse().unwrap_err();
        assert_eq!(err.0[0].field, "part2.right_to_revoke_acknowledged");
        good.part2.as_mut().unwrap().right_to_revoke_acknowledged = true;
        assert!(good.parse().is_ok());
        let mut general = input(None, vec![ConsentCategory::General]);
        general.part2 = Some(Part2Elements {
            disclosing_party: "x".into(),
            information: "y".into(),
            right_to_revoke_acknowledged: true,
        });
        assert_eq!(general.parse().unwrap_err().0[0].field, "part2");
    }

    #[test]
    fn a_consent_covers_its_recipient_categories_and_period_until_revoked() {
        let org = OrganizationId::generate();
        let other = OrganizationId::generate();
        let c = consent(
            input(
                Some(org),
                vec![ConsentCategory::General, ConsentCategory::Health],
            )
            .parse()
            .unwrap(),
        );
        let general: BTreeSet<_> = [ConsentCategory::General].into();
        let both: BTreeSet<_> = [ConsentCategory::General, ConsentCategory::Health].into();
        let mental: BTreeSet<_> = [ConsentCategory::General, ConsentCategory::MentalHealth].into();
        assert!(c.covers(org, &general, day(11, 1)));
        assert!(c.covers(org, &both, day(12, 31)));
        assert!(
            !c.covers(org, &mental, day(11, 15)),
            "a category it does not name"
        );
        assert!(
            !c.covers(other, &general, day(11, 15)),
            "another organization"
        );
        assert!(
            !c.covers(org, &general, day(10, 31)),
            "before it takes effect"
        );
        assert!(
            !c.covers(org, &general, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            "expired"
        );
        let mut revoked = c.clone();
        revoked.revoke("Client asked", Utc::now()).unwrap();
        assert!(!revoked.covers(org, &general, day(11, 15)));
        assert_eq!(
            revoked.revoke("again", Utc::now()),
            Err(ConsentError::AlreadyRevoked)
        );
        let mut c2 = c.clone();
        assert_eq!(
            c2.revoke(" ", Utc::now()),
            Err(ConsentError::ReasonRequired)
        );
        let any = consent(input(None, vec![ConsentCategory::General]).parse().unwrap());
        assert!(any.covers(other, &general, day(11, 15)));
        let all = [any.clone(), c.clone()];
        assert_eq!(
            covering_consent(&all, org, &general, day(11, 15))
                .unwrap()
                .id,
            c.id,
            "the named one first"
        );
        assert_eq!(
            covering_consent(&all, other, &general, day(11, 15))
                .unwrap()
                .id,
            any.id
        );
        assert!(covering_consent(&all, org, &mental, day(11, 15)).is_none());
    }

    fn any_category() -> impl Strategy<Value = ConsentCategory> {
        prop::sample::select(ConsentCategory::ALL.to_vec())
    }

    proptest! {
        /// Asking for fewer categories never turns a covered disclosure into an uncovered one.
        #[test]
        fn coverage_is_monotone_in_the_categories(
            granted in prop::collection::btree_set(any_category(), 1..4),
            asked in prop::collection::btree_set(any_category(), 1..4),
        ) {
            let org = OrganizationId::generate();
            let mut i = input(Some(org), granted.iter().copied().filter(|c| *c != ConsentCategory::SubstanceUse).collect());
            if i.categories.is_empty() {
                i.categories = vec![ConsentCategory::General];
            }
            let c = consent(i.parse().unwrap());
            let covered = c.covers(org, &asked, day(11, 15));
            prop_assert_eq!(covered, asked.is_subset(&c.fields.categories));
            if covered {
                for one in &asked {
                    prop_assert!(c.covers(org, &[*one].into(), day(11, 15)));
                }
            }
        }
    }
}
