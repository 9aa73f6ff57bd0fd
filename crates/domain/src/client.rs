//! The client record: who is served, how to reach them, what to watch for, and
//! where they are in case management.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{FieldErrors, ValueError};
use crate::ids::{ClientId, TeamId, UserId};
use crate::values::{
    DateOfBirth, Email, Gender, GenderInput, LanguageTag, MedicaidId, PersonName, Phone, ShortText,
};

/// Where a client is in case management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "active"))]
pub enum ClientStatus {
    /// Referred and being enrolled.
    Intake,
    /// Receiving case management.
    Active,
    /// Temporarily not served (for example in hospital or out of town).
    OnHold,
    /// Case management has ended.
    Discharged,
}

impl ClientStatus {
    pub const ALL: [ClientStatus; 4] = [
        ClientStatus::Intake,
        ClientStatus::Active,
        ClientStatus::OnHold,
        ClientStatus::Discharged,
    ];

    /// The statuses a client may move to from this one. A discharged client
    /// may come back through intake; nobody skips intake on the way back.
    pub fn allowed_moves(self) -> &'static [ClientStatus] {
        use ClientStatus::*;
        match self {
            Intake => &[Active, Discharged],
            Active => &[OnHold, Discharged],
            OnHold => &[Active, Discharged],
            Discharged => &[Intake],
        }
    }

    pub fn can_move_to(self, to: ClientStatus) -> bool {
        self.allowed_moves().contains(&to)
    }

    /// Checks the move and returns the new status, or why it is refused.
    pub fn move_to(self, to: ClientStatus) -> Result<ClientStatus, IllegalStatusMove> {
        if self.can_move_to(to) {
            Ok(to)
        } else {
            Err(IllegalStatusMove {
                from: self,
                to,
                allowed: self.allowed_moves().to_vec(),
            })
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClientStatus::Intake => "intake",
            ClientStatus::Active => "active",
            ClientStatus::OnHold => "on_hold",
            ClientStatus::Discharged => "discharged",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

/// A refused status change, with the moves that would have been allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a client cannot move from {} to {}", .from.as_str(), .to.as_str())]
pub struct IllegalStatusMove {
    pub from: ClientStatus,
    pub to: ClientStatus,
    pub allowed: Vec<ClientStatus>,
}

/// Something every visitor must know before contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "two_person_visits"))]
pub enum RiskFlag {
    /// Visits only in pairs.
    TwoPersonVisits,
    /// Do not visit or call at home (for example because of a violent partner).
    DoNotContactAtHome,
    /// A history of violence toward staff.
    HistoryOfViolence,
    /// Current or recent suicide risk.
    SuicideRisk,
    /// An animal at home that staff should know about.
    AnimalInHome,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "line1": "1200 SE Division St", "line2": "Apt 4B", "city": "Portland",
    "region": "OR", "postal_code": "97202", "country": "US"
})))]
pub struct Address {
    pub line1: ShortText,
    pub line2: Option<ShortText>,
    pub city: ShortText,
    pub region: Option<ShortText>,
    pub postal_code: Option<ShortText>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: ShortText,
}

impl std::fmt::Display for Address {
    /// One line: "1200 SE Division St, Apt 4B, Portland, OR 97202".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.line1)?;
        if let Some(line2) = &self.line2 {
            write!(f, ", {line2}")?;
        }
        write!(f, ", {}", self.city)?;
        match (&self.region, &self.postal_code) {
            (Some(region), Some(code)) => write!(f, ", {region} {code}"),
            (Some(part), None) | (None, Some(part)) => write!(f, ", {part}"),
            (None, None) => Ok(()),
        }
    }
}

/// A postal address as it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "line1": "1200 SE Division St", "line2": "Apt 4B", "city": "Portland",
    "region": "OR", "postal_code": "97202", "country": "US"
})))]
pub struct AddressInput {
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code; `US` when absent.
    #[serde(default)]
    pub country: Option<String>,
}

fn country_code(raw: &str) -> Result<ShortText, ValueError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        ShortText::parse(&code)
    } else {
        Err(ValueError::new(
            "invalid_country",
            "must be an ISO 3166-1 alpha-2 code such as US",
        ))
    }
}

impl AddressInput {
    /// Checks an address given as `field`.
    pub fn parse(self, field: &str) -> Result<Address, FieldErrors> {
        let mut errors = FieldErrors::default();
        let address = self.parse_into(field, &mut errors);
        errors.finish(|| address)
    }

    pub(crate) fn parse_into(self, prefix: &str, errors: &mut FieldErrors) -> Option<Address> {
        let field = |name: &str| format!("{prefix}.{name}");
        let line1 = errors.check(&field("line1"), ShortText::parse(&self.line1));
        let line2 = errors.check_opt(&field("line2"), self.line2.as_deref(), ShortText::parse);
        let city = errors.check(&field("city"), ShortText::parse(&self.city));
        let region = errors.check_opt(&field("region"), self.region.as_deref(), ShortText::parse);
        let postal_code = errors.check_opt(
            &field("postal_code"),
            self.postal_code.as_deref(),
            ShortText::parse,
        );
        let country = errors.check(
            &field("country"),
            country_code(self.country.as_deref().unwrap_or("US")),
        );
        Some(Address {
            line1: line1?,
            line2,
            city: city?,
            region,
            postal_code,
            country: country?,
        })
    }
}

impl From<&Address> for AddressInput {
    fn from(address: &Address) -> Self {
        let text = |value: &Option<ShortText>| value.as_ref().map(ToString::to_string);
        AddressInput {
            line1: address.line1.to_string(),
            line2: text(&address.line2),
            city: address.city.to_string(),
            region: text(&address.region),
            postal_code: text(&address.postal_code),
            country: Some(address.country.to_string()),
        }
    }
}

/// An identifier of the client in another system (an EHR, HMIS, a state system).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"system": "hmis", "value": "HM-20931"})))]
pub struct ExternalId {
    /// The system that issued the id.
    pub system: ShortText,
    pub value: ShortText,
}

/// An external identifier as it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"system": "hmis", "value": "HM-20931"})))]
pub struct ExternalIdInput {
    pub system: String,
    pub value: String,
}

/// The descriptive part of a client record: everything a case manager edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "given_name": "Maria", "family_name": "Rivera", "preferred_name": "Mari",
    "date_of_birth": "1968-04-12", "gender": {"kind": "self_described", "description": "woman"},
    "preferred_language": "es", "phone": "+15035550142", "email": "maria.rivera@example.org",
    "address": {"line1": "1200 SE Division St", "line2": null, "city": "Portland", "region": "OR",
        "postal_code": "97202", "country": "US"},
    "medicaid_id": "OR12345678", "external_ids": [{"system": "hmis", "value": "HM-20931"}],
    "risk_flags": ["two_person_visits"]
})))]
pub struct ClientDetails {
    pub given_name: PersonName,
    pub family_name: PersonName,
    /// The name the client wants to be called by.
    pub preferred_name: Option<PersonName>,
    pub date_of_birth: Option<DateOfBirth>,
    pub gender: Option<Gender>,
    /// BCP 47.
    pub preferred_language: Option<LanguageTag>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub address: Option<Address>,
    pub medicaid_id: Option<MedicaidId>,
    /// The client's ids in other systems (EHR, HMIS, state systems).
    pub external_ids: Vec<ExternalId>,
    /// What every visitor must know before contact.
    pub risk_flags: BTreeSet<RiskFlag>,
}

/// The descriptive part of a client record as it arrives, before any check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "given_name": "Maria", "family_name": "Rivera", "preferred_name": "Mari",
    "date_of_birth": "1968-04-12", "gender": {"kind": "self_described", "description": "woman"},
    "preferred_language": "es", "phone": "+1 503 555 0142", "email": "maria.rivera@example.org",
    "address": {"line1": "1200 SE Division St", "city": "Portland", "region": "OR", "postal_code": "97202"},
    "medicaid_id": "OR12345678", "external_ids": [{"system": "hmis", "value": "HM-20931"}],
    "risk_flags": ["two_person_visits"]
})))]
pub struct ClientDetailsInput {
    /// 1 to 100 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Maria", min_length = 1, max_length = 100, pattern = r"\S")
    )]
    pub given_name: String,
    /// 1 to 100 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Rivera", min_length = 1, max_length = 100, pattern = r"\S")
    )]
    pub family_name: String,
    /// The name the client wants to be called by.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Mari", min_length = 1, max_length = 100, pattern = r"\S")
    )]
    pub preferred_name: Option<String>,
    /// Not in the future, not before 1900.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "1968-04-12"))]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default)]
    pub gender: Option<GenderInput>,
    /// A BCP 47 tag.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "es",
            max_length = 35,
            pattern = r"^\s*[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\s*$"
        )
    )]
    pub preferred_language: Option<String>,
    /// 7 to 15 digits, optionally with a leading `+`; spaces, dots, dashes and parentheses are ignored.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "+1 503 555 0142", pattern = r"^\s*\+?[0-9 ().-]+\s*$")
    )]
    pub phone: Option<String>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "maria.rivera@example.org",
            format = "email",
            max_length = 254
        )
    )]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<AddressInput>,
    /// 1 to 20 letters and digits.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "OR12345678", pattern = r"^\s*[A-Za-z0-9]{1,20}\s*$")
    )]
    pub medicaid_id: Option<String>,
    /// At most 20, no two alike.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub external_ids: Vec<ExternalIdInput>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = json!(["two_person_visits"])))]
    pub risk_flags: Vec<RiskFlag>,
}

impl ClientDetailsInput {
    /// Parses every field, reporting all problems at once. `today` decides
    /// whether a date of birth lies in the future.
    pub fn parse(self, today: NaiveDate) -> Result<ClientDetails, FieldErrors> {
        let mut errors = FieldErrors::default();
        let given_name = errors.check("given_name", PersonName::parse(&self.given_name));
        let family_name = errors.check("family_name", PersonName::parse(&self.family_name));
        let preferred_name = errors.check_opt(
            "preferred_name",
            self.preferred_name.as_deref(),
            PersonName::parse,
        );
        let date_of_birth = errors.check_opt("date_of_birth", self.date_of_birth, |date| {
            DateOfBirth::parse(date, today)
        });
        let gender = errors.check_opt("gender", self.gender, GenderInput::parse);
        let preferred_language = errors.check_opt(
            "preferred_language",
            self.preferred_language.as_deref(),
            LanguageTag::parse,
        );
        let phone = errors.check_opt("phone", self.phone.as_deref(), Phone::parse);
        let email = errors.check_opt("email", self.email.as_deref(), Email::parse);
        let address = self
            .address
            .and_then(|address| address.parse_into("address", &mut errors));
        let medicaid_id = errors.check_opt(
            "medicaid_id",
            self.medicaid_id.as_deref(),
            MedicaidId::parse,
        );
        if self.external_ids.len() > 20 {
            errors.push(
                "external_ids",
                ValueError::new("too_many", "at most 20 external ids"),
            );
        }
        let mut external_ids = Vec::with_capacity(self.external_ids.len());
        for (index, id) in self.external_ids.iter().enumerate() {
            let system = errors.check(
                &format!("external_ids[{index}].system"),
                ShortText::parse(&id.system),
            );
            let value = errors.check(
                &format!("external_ids[{index}].value"),
                ShortText::parse(&id.value),
            );
            if let (Some(system), Some(value)) = (system, value) {
                let id = ExternalId { system, value };
                if external_ids.contains(&id) {
                    errors.push(
                        &format!("external_ids[{index}]"),
                        ValueError::new("duplicate", "the same external id is listed twice"),
                    );
                } else {
                    external_ids.push(id);
                }
            }
        }
        let risk_flags = self.risk_flags.into_iter().collect();
        errors.finish(|| {
            Some(ClientDetails {
                given_name: given_name?,
                family_name: family_name?,
                preferred_name,
                date_of_birth,
                gender,
                preferred_language,
                phone,
                email,
                address,
                medicaid_id,
                external_ids,
                risk_flags,
            })
        })
    }

    /// Applies a JSON merge patch (RFC 7396): absent fields stay, `null` clears.
    pub fn apply(mut self, patch: ClientPatch) -> Self {
        patch.given_name.apply_required(&mut self.given_name);
        patch.family_name.apply_required(&mut self.family_name);
        patch.preferred_name.apply(&mut self.preferred_name);
        patch.date_of_birth.apply(&mut self.date_of_birth);
        patch.gender.apply(&mut self.gender);
        patch.preferred_language.apply(&mut self.preferred_language);
        patch.phone.apply(&mut self.phone);
        patch.email.apply(&mut self.email);
        patch.address.apply(&mut self.address);
        patch.medicaid_id.apply(&mut self.medicaid_id);
        patch.external_ids.apply_required(&mut self.external_ids);
        patch.risk_flags.apply_required(&mut self.risk_flags);
        self
    }
}

impl ClientDetails {
    /// The record as input again, so a patch can be merged and re-checked whole.
    pub fn to_input(&self) -> ClientDetailsInput {
        let text = |value: Option<&str>| value.map(str::to_owned);
        ClientDetailsInput {
            given_name: self.given_name.to_string(),
            family_name: self.family_name.to_string(),
            preferred_name: text(self.preferred_name.as_ref().map(PersonName::as_str)),
            date_of_birth: self.date_of_birth.map(DateOfBirth::date),
            gender: self.gender.as_ref().map(GenderInput::from),
            preferred_language: text(self.preferred_language.as_ref().map(LanguageTag::as_str)),
            phone: text(self.phone.as_ref().map(Phone::as_str)),
            email: text(self.email.as_ref().map(Email::as_str)),
            address: self.address.as_ref().map(AddressInput::from),
            medicaid_id: text(self.medicaid_id.as_ref().map(MedicaidId::as_str)),
            external_ids: self
                .external_ids
                .iter()
                .map(|id| ExternalIdInput {
                    system: id.system.to_string(),
                    value: id.value.to_string(),
                })
                .collect(),
            risk_flags: self.risk_flags.iter().copied().collect(),
        }
    }

    /// The names folded for search (see [`fold_for_search`]): the text that
    /// name search matches against.
    pub fn search_text(&self) -> String {
        search_text(
            self.given_name.as_str(),
            self.family_name.as_str(),
            self.preferred_name.as_ref().map(|name| name.as_str()),
        )
    }
}

/// The text name search matches a client's names against: given, family
/// and preferred names, folded.
pub fn search_text(given: &str, family: &str, preferred: Option<&str>) -> String {
    let mut text = format!("{given} {family}");
    if let Some(preferred) = preferred {
        text.push(' ');
        text.push_str(preferred);
    }
    fold_for_search(&text)
}

/// Text as name search compares it: compatibility-decomposed, without
/// accents and other combining marks, lower-cased, so "García", "GARCIA"
/// and "garcia" are the same. Stored names and search terms both go
/// through here.
pub fn fold_for_search(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    // Lower-casing can itself make letters that decompose (and compatibility
    // forms can decompose to capitals), so decompose on both sides of it.
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

/// One field of a JSON merge patch: absent, `null`, or a new value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    pub fn apply(self, target: &mut Option<T>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => *target = None,
            Patch::Set(value) => *target = Some(value),
        }
    }

    /// For a field that cannot be absent: `null` resets it to its empty value,
    /// which the parser then rejects (for names) or accepts (for lists).
    pub fn apply_required(self, target: &mut T)
    where
        T: Default,
    {
        match self {
            Patch::Keep => {}
            Patch::Clear => *target = T::default(),
            Patch::Set(value) => *target = value,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|value| value.map_or(Patch::Clear, Patch::Set))
    }
}

/// A JSON merge patch of a client's details. Absent fields stay as they are;
/// `null` clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "phone": "+1 503 555 0199", "preferred_language": "es", "address": null
})))]
pub struct ClientPatch {
    /// 1 to 100 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, min_length = 1, max_length = 100, pattern = r"\S")
    )]
    #[serde(default)]
    pub given_name: Patch<String>,
    /// 1 to 100 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, min_length = 1, max_length = 100, pattern = r"\S")
    )]
    #[serde(default)]
    pub family_name: Patch<String>,
    /// 1 to 100 characters; `null` clears it.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, min_length = 1, max_length = 100, pattern = r"\S")
    )]
    #[serde(default)]
    pub preferred_name: Patch<String>,
    /// Not in the future, not before 1900; `null` clears it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default)]
    pub date_of_birth: Patch<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<GenderInput>))]
    #[serde(default)]
    pub gender: Patch<GenderInput>,
    /// A BCP 47 tag; `null` clears it.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, max_length = 35, pattern = r"^\s*[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\s*$")
    )]
    #[serde(default)]
    pub preferred_language: Patch<String>,
    /// 7 to 15 digits, optionally with a leading `+`; `null` clears it.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, pattern = r"^\s*\+?[0-9 ().-]+\s*$")
    )]
    #[serde(default)]
    pub phone: Patch<String>,
    /// `null` clears it.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, format = "email", max_length = 254)
    )]
    #[serde(default)]
    pub email: Patch<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<AddressInput>))]
    #[serde(default)]
    pub address: Patch<AddressInput>,
    /// 1 to 20 letters and digits; `null` clears it.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, pattern = r"^\s*[A-Za-z0-9]{1,20}\s*$")
    )]
    #[serde(default)]
    pub medicaid_id: Patch<String>,
    /// At most 20, no two alike.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<Vec<ExternalIdInput>>, max_items = 20)
    )]
    #[serde(default)]
    pub external_ids: Patch<Vec<ExternalIdInput>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<RiskFlag>>))]
    #[serde(default)]
    pub risk_flags: Patch<Vec<RiskFlag>>,
}

/// A stored client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    pub details: ClientDetails,
    pub status: ClientStatus,
    pub team_id: TeamId,
    pub primary_case_manager_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases by one on every change; the API's ETag.
    pub version: i32,
}

impl Client {
    /// A new client starts at intake, version 1.
    pub fn new(
        details: ClientDetails,
        team_id: TeamId,
        primary_case_manager_id: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Self {
        Client {
            id: ClientId::generate(),
            details,
            status: ClientStatus::Intake,
            team_id,
            primary_case_manager_id,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The facts the authorization policy needs about this client on the
    /// day `on`, given the staff users on its care team that day.
    pub fn facts(&self, care_team: Vec<UserId>, on: NaiveDate) -> crate::policy::ClientFacts {
        crate::policy::ClientFacts {
            team_id: self.team_id,
            primary_case_manager_id: self.primary_case_manager_id,
            care_team,
            on,
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
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    fn minimal() -> ClientDetailsInput {
        ClientDetailsInput {
            given_name: "Maria".into(),
            family_name: "Rivera".into(),
            preferred_name: None,
            date_of_birth: None,
            gender: None,
            preferred_language: None,
            phone: None,
            email: None,
            address: None,
            medicaid_id: None,
            external_ids: vec![],
            risk_flags: vec![],
        }
    }

    #[test]
    fn name_search_ignores_case_and_accents() {
        assert_eq!(fold_for_search("García"), "garcia");
        assert_eq!(fold_for_search("JOSÉ Hernández"), "jose hernandez");
        assert_eq!(fold_for_search("Nguyễn Thị"), "nguyen thi");
        assert_eq!(fold_for_search("Zoë Ångström"), "zoe angstrom");
        let client = ClientDetailsInput {
            given_name: "María".into(),
            family_name: "Pérez".into(),
            preferred_name: Some("Mari".into()),
            ..minimal()
        }
        .parse(today())
        .unwrap();
        assert_eq!(client.search_text(), "maria perez mari");
    }

    #[test]
    fn discharged_clients_come_back_through_intake_only() {
        use ClientStatus::*;
        assert_eq!(Discharged.move_to(Intake), Ok(Intake));
        let refused = Discharged.move_to(Active).unwrap_err();
        assert_eq!(refused.allowed, vec![Intake]);
    }

    #[test]
    fn every_status_move_matches_the_table() {
        use ClientStatus::*;
        let allowed = [
            (Intake, Active),
            (Intake, Discharged),
            (Active, OnHold),
            (Active, Discharged),
            (OnHold, Active),
            (OnHold, Discharged),
            (Discharged, Intake),
        ];
        for from in ClientStatus::ALL {
            for to in ClientStatus::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn status_names_round_trip() {
        for status in ClientStatus::ALL {
            assert_eq!(ClientStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ClientStatus::parse("closed"), None);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut input = minimal();
        input.family_name = " ".into();
        input.email = Some("not-an-email".into());
        input.phone = Some("12".into());
        input.date_of_birth = Some(NaiveDate::from_ymd_opt(2030, 1, 1).unwrap());
        input.address = Some(AddressInput {
            line1: "".into(),
            line2: None,
            city: "Portland".into(),
            region: None,
            postal_code: None,
            country: Some("USA".into()),
        });
        let errors = input.parse(today()).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "family_name",
                "date_of_birth",
                "phone",
                "email",
                "address.line1",
                "address.country"
            ]
        );
    }

    #[test]
    fn duplicate_external_ids_are_rejected() {
        let mut input = minimal();
        let id = ExternalIdInput {
            system: "hmis".into(),
            value: "1".into(),
        };
        input.external_ids = vec![id.clone(), id];
        let errors = input.parse(today()).unwrap_err();
        assert_eq!(errors.0[0].field, "external_ids[1]");
        assert_eq!(errors.0[0].code, "duplicate");
    }

    #[test]
    fn a_merge_patch_keeps_absent_fields_and_clears_nulls() {
        let mut input = minimal();
        input.phone = Some("5035550142".into());
        input.email = Some("maria@example.org".into());
        let patch = ClientPatch {
            phone: Patch::Clear,
            preferred_name: Patch::Set("Mari".into()),
            ..ClientPatch::default()
        };
        let details = input.apply(patch).parse(today()).unwrap();
        assert_eq!(details.phone, None);
        assert_eq!(details.email.unwrap().as_str(), "maria@example.org");
        assert_eq!(details.preferred_name.unwrap().as_str(), "Mari");
    }

    #[test]
    fn clearing_a_required_name_is_a_field_error() {
        let patch = ClientPatch {
            family_name: Patch::Clear,
            ..ClientPatch::default()
        };
        let errors = minimal().apply(patch).parse(today()).unwrap_err();
        assert_eq!(errors.0[0].field, "family_name");
        assert_eq!(errors.0[0].code, "required");
    }

    #[test]
    fn details_survive_a_round_trip_through_input() {
        let mut input = minimal();
        input.preferred_language = Some("es-mx".into());
        input.gender = Some(GenderInput::PrefersNotToSay);
        input.risk_flags = vec![RiskFlag::SuicideRisk, RiskFlag::TwoPersonVisits];
        input.address = Some(AddressInput {
            line1: "1 Main St".into(),
            line2: None,
            city: "Salem".into(),
            region: Some("OR".into()),
            postal_code: None,
            country: None,
        });
        let details = input.parse(today()).unwrap();
        assert_eq!(details.to_input().parse(today()).unwrap(), details);
    }

    fn any_status() -> impl Strategy<Value = ClientStatus> {
        prop::sample::select(ClientStatus::ALL.to_vec())
    }

    proptest! {
        /// Folding twice is folding once, and what comes out has no
        /// upper-case letters and no combining marks left.
        #[test]
        fn folding_is_stable(text in "\\PC{0,40}") {
            let once = fold_for_search(&text);
            prop_assert_eq!(fold_for_search(&once), once.clone());
            prop_assert!(!once.chars().any(unicode_normalization::char::is_combining_mark));
        }

        #[test]
        fn no_status_moves_to_itself(status in any_status()) {
            prop_assert!(!status.can_move_to(status));
        }

        #[test]
        fn a_refused_move_lists_exactly_the_allowed_ones(from in any_status(), to in any_status()) {
            match from.move_to(to) {
                Ok(next) => prop_assert_eq!(next, to),
                Err(refused) => {
                    prop_assert!(!refused.allowed.contains(&to));
                    prop_assert_eq!(refused.allowed.as_slice(), from.allowed_moves());
                }
            }
        }

        #[test]
        fn every_status_is_reachable_from_intake(target in any_status()) {
            // Breadth-first walk over the move table.
            let mut seen = vec![ClientStatus::Intake];
            let mut index = 0;
            while index < seen.len() {
                for next in seen[index].allowed_moves() {
                    if !seen.contains(next) { seen.push(*next); }
                }
                index += 1;
            }
            prop_assert!(seen.contains(&target));
        }
    }
}
