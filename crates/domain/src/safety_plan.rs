//! The safety plan: what a client at risk of suicide does, step by step,
//! when a crisis builds, in the sections of the Stanley-Brown Safety
//! Planning Intervention. Written with the client; every version is kept,
//! with who wrote it and when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ValueError};
use crate::ids::{ClientId, UserId};
use crate::values::ShortText;

/// Someone to call, or a place to go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"name": "My sister Rosa", "phone": "+1 503 555 0177"})))]
pub struct SafetyContact {
    /// A person, a place or an agency, 1 to 200 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub name: String,
    /// 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub phone: Option<String>,
}

/// The seven sections of the plan, in the client's words. Each entry of a
/// list is 1 to 200 characters; a section holds at most 20 entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "warning_signs": ["Not sleeping for two nights", "Giving things away"],
    "internal_coping_strategies": ["Walk the dog by the river", "Play guitar"],
    "distractions": [{"name": "The library on Division St", "phone": null},
                     {"name": "Coffee with my neighbor Tom", "phone": "+1 503 555 0150"}],
    "people_to_ask_for_help": [{"name": "My sister Rosa", "phone": "+1 503 555 0177"}],
    "professionals_and_agencies": [{"name": "988 Suicide and Crisis Lifeline", "phone": "988"},
                                   {"name": "Dr. Okafor, psychiatrist", "phone": "+1 503 555 0101"}],
    "making_the_environment_safe": ["Rosa keeps my medications and gives me a week at a time"],
    "reasons_for_living": ["My daughter", "Seeing the ocean again"]
})))]
pub struct SafetyPlanSections {
    /// Step 1: thoughts, moods, situations that tell a crisis may be building.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub warning_signs: Vec<String>,
    /// Step 2: what the client can do alone to take their mind off their problems.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub internal_coping_strategies: Vec<String>,
    /// Step 3: people and social settings that provide distraction.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub distractions: Vec<SafetyContact>,
    /// Step 4: people the client can ask for help.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub people_to_ask_for_help: Vec<SafetyContact>,
    /// Step 5: professionals and agencies to contact in a crisis (the 988 line among them).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub professionals_and_agencies: Vec<SafetyContact>,
    /// Step 6: making the environment safe (lethal means).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub making_the_environment_safe: Vec<String>,
    /// The reasons for living: the one thing most important to the client.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub reasons_for_living: Vec<String>,
}

/// The most entries a section holds.
pub const MAX_ENTRIES: usize = 20;

impl SafetyPlanSections {
    /// Checks every entry: 1 to 200 characters, at most 20 per section, and
    /// at least one entry somewhere (an empty plan is no plan).
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        let texts = [
            ("warning_signs", &self.warning_signs),
            (
                "internal_coping_strategies",
                &self.internal_coping_strategies,
            ),
            (
                "making_the_environment_safe",
                &self.making_the_environment_safe,
            ),
            ("reasons_for_living", &self.reasons_for_living),
        ];
        let contacts = [
            ("distractions", &self.distractions),
            ("people_to_ask_for_help", &self.people_to_ask_for_help),
            (
                "professionals_and_agencies",
                &self.professionals_and_agencies,
            ),
        ];
        let mut total = 0;
        for (section, entries) in texts {
            total += entries.len();
            too_many(&mut errors, section, entries.len());
            for (n, entry) in entries.iter().enumerate() {
                errors.check(&format!("{section}[{n}]"), ShortText::parse(entry));
            }
        }
        for (section, entries) in contacts {
            total += entries.len();
            too_many(&mut errors, section, entries.len());
            for (n, entry) in entries.iter().enumerate() {
                errors.check(
                    &format!("{section}[{n}].name"),
                    ShortText::parse(&entry.name),
                );
                errors.check_opt(
                    &format!("{section}[{n}].phone"),
                    entry.phone.as_deref(),
                    ShortText::parse,
                );
            }
        }
        if total == 0 {
            errors.push(
                "warning_signs",
                ValueError::new("empty_plan", "a safety plan has at least one entry"),
            );
        }
        errors.finish(|| Some(()))
    }
}

fn too_many(errors: &mut FieldErrors, section: &str, len: usize) {
    if len > MAX_ENTRIES {
        errors.push(
            section,
            ValueError::new("too_many_items", format!("at most {MAX_ENTRIES} entries")),
        );
    }
}

/// One version of a client's safety plan; versions never change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyPlan {
    pub client_id: ClientId,
    /// 1 for the first, one more for each revision.
    pub version: i32,
    pub sections: SafetyPlanSections,
    pub written_by: UserId,
    pub written_at: DateTime<Utc>,
}

impl SafetyPlan {
    /// The version that follows `current` (none yet: the first).
    pub fn revise(
        client_id: ClientId,
        current: Option<&SafetyPlan>,
        sections: SafetyPlanSections,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Result<SafetyPlan, FieldErrors> {
        sections.check()?;
        Ok(SafetyPlan {
            client_id,
            version: current.map_or(1, |plan| plan.version + 1),
            sections,
            written_by: by,
            written_at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections() -> SafetyPlanSections {
        serde_json::from_value(serde_json::json!({
            "warning_signs": ["Not sleeping"],
            "professionals_and_agencies": [{"name": "988 Suicide and Crisis Lifeline", "phone": "988"}]
        }))
        .unwrap()
    }

    #[test]
    fn each_revision_is_the_next_version() {
        let client = ClientId::generate();
        let first =
            SafetyPlan::revise(client, None, sections(), UserId::generate(), Utc::now()).unwrap();
        assert_eq!(first.version, 1);
        let second = SafetyPlan::revise(
            client,
            Some(&first),
            sections(),
            UserId::generate(),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(second.version, 2);
    }

    #[test]
    fn an_empty_plan_or_a_blank_entry_is_refused() {
        let empty: SafetyPlanSections = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(empty.check().unwrap_err().0[0].code, "empty_plan");
        let mut blank = sections();
        blank.people_to_ask_for_help.push(SafetyContact {
            name: " ".into(),
            phone: None,
        });
        assert_eq!(
            blank.check().unwrap_err().0[0].field,
            "people_to_ask_for_help[0].name"
        );
        let mut long = sections();
        long.reasons_for_living = vec!["x".into(); 21];
        assert_eq!(long.check().unwrap_err().0[0].code, "too_many_items");
    }
}
