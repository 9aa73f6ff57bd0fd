//! Value types that cannot hold bad data. Each is built only through `parse`.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use validator::ValidateEmail;

use crate::error::ValueError;

/// Trims `raw` and checks it is non-empty, at most `max` characters and free of
/// control characters.
fn bounded_text(raw: &str, max: usize) -> Result<String, ValueError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ValueError::new("required", "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(ValueError::new(
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(ValueError::new(
            "invalid_characters",
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, max = $max:expr, example = $example:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = $example))]
        pub struct $name(String);

        impl $name {
            /// The most characters this value may hold.
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, ValueError> {
                bounded_text(raw, Self::MAX_CHARS).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// A given, family or preferred name: 1 to 100 characters, trimmed.
    PersonName,
    max = 100,
    example = "Rivera"
);
text_type!(
    /// Short free text such as an address line or a gender description: 1 to 200 characters.
    ShortText,
    max = 200,
    example = "Apartment 4B"
);

/// Free text up to 4,000 characters, line breaks allowed: descriptions,
/// notes, anchor descriptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "Free groceries once a week for households in the county."))]
pub struct LongText(String);

impl LongText {
    pub const MAX_CHARS: usize = 4000;

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(ValueError::new("required", "must not be empty"));
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(ValueError::new(
                "too_long",
                "must be at most 4000 characters",
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(ValueError::new(
                "invalid_characters",
                "must not contain control characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, checked with the `validator` crate's HTML5 rules and
/// stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, format = "email", example = "maria.rivera@example.org"))]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let text = raw.trim().to_lowercase();
        if text.is_empty() {
            return Err(ValueError::new("required", "must not be empty"));
        }
        if text.len() > 254 || !text.validate_email() {
            return Err(ValueError::new(
                "invalid_email",
                "must be an email address such as name@example.org",
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number: 7 to 15 digits (the E.164 maximum) with an optional
/// leading `+`. Spaces, dots, dashes and parentheses are accepted on input and
/// removed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "+15035550142"))]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValueError::new("required", "must not be empty"));
        }
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(ValueError::new(
                        "invalid_phone",
                        "may contain only digits, spaces, dots, dashes, parentheses and a leading +",
                    ));
                }
            }
        }
        if !(7..=15).contains(&digits.len()) {
            return Err(ValueError::new(
                "invalid_phone",
                "must have between 7 and 15 digits",
            ));
        }
        Ok(Self(format!("{plus}{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A BCP 47 language tag such as `en`, `es-MX` or `zh-Hant`, in canonical case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "es-MX"))]
pub struct LanguageTag(String);

impl LanguageTag {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let invalid = || {
            ValueError::new(
                "invalid_language",
                "must be a BCP 47 language tag such as en, es-MX or zh-Hant",
            )
        };
        let text = raw.trim();
        if text.is_empty() {
            return Err(ValueError::new("required", "must not be empty"));
        }
        if text.len() > 35 {
            return Err(invalid());
        }
        let mut parts = Vec::new();
        for (index, part) in text.split('-').enumerate() {
            let ok_len = if index == 0 {
                (2..=3).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphabetic())
            } else {
                (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
            };
            if !ok_len {
                return Err(invalid());
            }
            // Canonical case: language lower, script title, region upper.
            let canonical = match (index, part.len()) {
                (0, _) => part.to_ascii_lowercase(),
                (_, 2) if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                    part.to_ascii_uppercase()
                }
                (_, 4) if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                    let lower = part.to_ascii_lowercase();
                    let mut chars = lower.chars();
                    chars
                        .next()
                        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                        .unwrap_or_default()
                }
                _ => part.to_ascii_lowercase(),
            };
            parts.push(canonical);
        }
        Ok(Self(parts.join("-")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Medicaid member id: 1 to 20 letters and digits, stored in upper case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "OR12345678"))]
pub struct MedicaidId(String);

impl MedicaidId {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(ValueError::new("required", "must not be empty"));
        }
        if text.len() > 20 || !text.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ValueError::new(
                "invalid_medicaid_id",
                "must be 1 to 20 letters and digits",
            ));
        }
        Ok(Self(text.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A date of birth: not in the future and not before 1900-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "1968-04-12"))]
pub struct DateOfBirth(NaiveDate);

impl DateOfBirth {
    pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
        Some(date) => date,
        None => panic!("1900-01-01 is a valid date"),
    };

    /// `today` is passed in so the rule stays pure and testable.
    pub fn parse(date: NaiveDate, today: NaiveDate) -> Result<Self, ValueError> {
        if date > today {
            return Err(ValueError::new(
                "in_future",
                "date of birth cannot be in the future",
            ));
        }
        if date < Self::EARLIEST {
            return Err(ValueError::new(
                "too_early",
                "date of birth cannot be before 1900-01-01",
            ));
        }
        Ok(Self(date))
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

/// A staff password on its way to being hashed: 12 to 256 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let length = raw.chars().count();
        if length < 12 {
            return Err(ValueError::new(
                "too_short",
                "must be at least 12 characters",
            ));
        }
        if length > 256 {
            return Err(ValueError::new(
                "too_long",
                "must be at most 256 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// Free-text gender, or the explicit choice not to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"kind": "self_described", "description": "woman"})))]
pub enum Gender {
    /// The client's own words.
    SelfDescribed { description: ShortText },
    /// The client chose not to say.
    PrefersNotToSay,
}

/// Gender as it arrives, before its description is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"kind": "self_described", "description": "woman"})))]
pub enum GenderInput {
    /// The client's own words (1 to 200 characters).
    SelfDescribed { description: String },
    /// The client chose not to say.
    PrefersNotToSay,
}

impl GenderInput {
    pub fn parse(self) -> Result<Gender, ValueError> {
        match self {
            GenderInput::SelfDescribed { description } => ShortText::parse(&description)
                .map(|description| Gender::SelfDescribed { description }),
            GenderInput::PrefersNotToSay => Ok(Gender::PrefersNotToSay),
        }
    }
}

impl From<&Gender> for GenderInput {
    fn from(gender: &Gender) -> Self {
        match gender {
            Gender::SelfDescribed { description } => GenderInput::SelfDescribed {
                description: description.to_string(),
            },
            Gender::PrefersNotToSay => GenderInput::PrefersNotToSay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn person_name_is_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Rivera ").unwrap().as_str(), "Rivera");
        assert_eq!(PersonName::parse("   ").unwrap_err().code, "required");
        assert_eq!(
            PersonName::parse(&"a".repeat(101)).unwrap_err().code,
            "too_long"
        );
        assert!(PersonName::parse(&"a".repeat(100)).is_ok());
        assert_eq!(
            PersonName::parse("Ri\u{0}vera").unwrap_err().code,
            "invalid_characters"
        );
    }

    #[test]
    fn email_is_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Maria.Rivera@Example.ORG ").unwrap().as_str(),
            "maria.rivera@example.org"
        );
        for bad in ["", "maria", "maria@", "@example.org", "a b@example.org"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn phone_is_normalised() {
        assert_eq!(
            Phone::parse("(503) 555-0142").unwrap().as_str(),
            "5035550142"
        );
        assert_eq!(
            Phone::parse("+1 503.555.0142").unwrap().as_str(),
            "+15035550142"
        );
        assert_eq!(Phone::parse("555-01").unwrap_err().code, "invalid_phone");
        assert_eq!(Phone::parse("call me").unwrap_err().code, "invalid_phone");
        assert_eq!(
            Phone::parse("+1234567890123456").unwrap_err().code,
            "invalid_phone"
        );
    }

    #[test]
    fn language_tags_take_canonical_case() {
        assert_eq!(LanguageTag::parse("ES-mx").unwrap().as_str(), "es-MX");
        assert_eq!(LanguageTag::parse("zh-hant").unwrap().as_str(), "zh-Hant");
        assert_eq!(LanguageTag::parse("en").unwrap().as_str(), "en");
        for bad in ["e", "english", "en_US", "en--US", "1n"] {
            assert!(
                LanguageTag::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn medicaid_id_is_alphanumeric_upper_case() {
        assert_eq!(MedicaidId::parse("or123").unwrap().as_str(), "OR123");
        assert!(MedicaidId::parse("OR-123").is_err());
        assert!(MedicaidId::parse(&"1".repeat(21)).is_err());
    }

    #[test]
    fn date_of_birth_cannot_be_in_the_future_or_before_1900() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert!(DateOfBirth::parse(today, today).is_ok());
        assert_eq!(
            DateOfBirth::parse(today.succ_opt().unwrap(), today)
                .unwrap_err()
                .code,
            "in_future"
        );
        assert_eq!(
            DateOfBirth::parse(NaiveDate::from_ymd_opt(1899, 12, 31).unwrap(), today)
                .unwrap_err()
                .code,
            "too_early"
        );
    }

    #[test]
    fn passwords_are_at_least_twelve_characters_and_never_printed() {
        assert!(NewPassword::parse("short").is_err());
        let password = NewPassword::parse("correct horse battery").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }

    proptest! {
        #[test]
        fn a_parsed_phone_always_reparses_to_itself(raw in "\\+?[0-9 ().-]{0,30}") {
            if let Ok(phone) = Phone::parse(&raw) {
                prop_assert_eq!(Phone::parse(phone.as_str()).unwrap(), phone.clone());
                let digits = phone.as_str().trim_start_matches('+').len();
                prop_assert!((7..=15).contains(&digits));
            }
        }

        #[test]
        fn a_parsed_name_is_never_empty_or_too_long(raw in "\\PC{0,120}") {
            if let Ok(name) = PersonName::parse(&raw) {
                prop_assert!(!name.as_str().is_empty());
                prop_assert!(name.as_str().chars().count() <= PersonName::MAX_CHARS);
                prop_assert_eq!(name.as_str(), name.as_str().trim());
            }
        }

        #[test]
        fn no_future_date_of_birth_parses(offset in 1i64..100_000) {
            let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
            let future = today + chrono::Duration::days(offset);
            prop_assert!(DateOfBirth::parse(future, today).is_err());
        }

        #[test]
        fn language_tags_are_case_insensitive(raw in "[a-zA-Z]{2,3}(-[a-zA-Z]{2})?") {
            let lower = LanguageTag::parse(&raw.to_lowercase()).unwrap();
            let upper = LanguageTag::parse(&raw.to_uppercase()).unwrap();
            prop_assert_eq!(lower, upper);
        }
    }
}
