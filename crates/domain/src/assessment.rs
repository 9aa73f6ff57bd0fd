//! Assessments: instruments as data (domains, each with a scale of levels),
//! scored per domain, draft then final, and the trend a client's scores
//! draw over time.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ValueError};
use crate::ids::{AssessmentId, ClientId, InstrumentId, UserId};
use crate::values::{LongText, ShortText};

/// Checks a code: 1 to 64 lower-case letters, digits and underscores.
pub fn instrument_code(raw: &str) -> Result<String, ValueError> {
    let code = raw.trim();
    if code.is_empty()
        || code.len() > 64
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(ValueError::new(
            "invalid_code",
            "must be 1 to 64 lower-case letters, digits and underscores",
        ));
    }
    Ok(code.to_owned())
}

/// One level of a domain's scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "value": 1, "label": "In crisis", "anchor": "Homeless, or threatened with eviction."
})))]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub value: i32,
    pub label: String,
    /// What this level looks like in the domain.
    pub anchor: String,
}

/// One domain (or item) of an instrument, with its scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "code": "housing", "label": "Housing", "allows_not_applicable": false, "required": true,
    "levels": [
        {"value": 1, "label": "In crisis", "anchor": "Homeless, or threatened with eviction."},
        {"value": 2, "label": "Vulnerable", "anchor": "In transitional, temporary or substandard housing."}
    ]
})))]
#[serde(deny_unknown_fields)]
pub struct InstrumentDomain {
    /// Stable within the instrument's versions: scores and trends match on it.
    pub code: String,
    pub label: String,
    /// Whether "not applicable" is an answer (childcare for someone without children).
    #[serde(default)]
    pub allows_not_applicable: bool,
    /// Whether a final assessment must answer it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Lowest value first.
    pub levels: Vec<Level>,
}

fn yes() -> bool {
    true
}

impl InstrumentDomain {
    /// The lowest value of the scale: a score there is a crisis.
    pub fn lowest(&self) -> Option<i32> {
        self.levels.iter().map(|l| l.value).min()
    }
}

/// An instrument as an admin submits it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "code": "needs_0_3", "name": "Needs (0–3)", "description": "A four-level needs scale.",
    "domains": [{"code": "housing", "label": "Housing", "allows_not_applicable": false, "required": true, "levels": [
        {"value": 0, "label": "No need", "anchor": "Stable housing of their choice."},
        {"value": 1, "label": "Mild", "anchor": "Housed, with a risk to watch."},
        {"value": 2, "label": "Moderate", "anchor": "Housing at risk; action needed."},
        {"value": 3, "label": "Severe", "anchor": "Homeless or being evicted."}
    ]}]
})))]
pub struct InstrumentInput {
    /// 1 to 64 lower-case letters, digits and underscores. A code already in use makes a new version
    /// of that instrument; the old version stays as it was.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^\s*[a-z0-9_]{1,64}\s*$"))]
    pub code: String,
    /// 1 to 200 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub name: String,
    /// 1 to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub description: Option<String>,
    pub domains: Vec<InstrumentDomain>,
}

/// The checked content of an instrument version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentFields {
    pub code: String,
    pub name: ShortText,
    pub description: Option<LongText>,
    pub domains: Vec<InstrumentDomain>,
}

impl InstrumentInput {
    pub fn parse(self) -> Result<InstrumentFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let code = errors.check("code", instrument_code(&self.code));
        let name = errors.check("name", ShortText::parse(&self.name));
        let description =
            errors.check_opt("description", self.description.as_deref(), LongText::parse);
        if self.domains.is_empty() {
            errors.push(
                "domains",
                ValueError::new("required", "needs at least one domain"),
            );
        }
        let mut codes = BTreeSet::new();
        let mut domains = Vec::new();
        for (n, domain) in self.domains.into_iter().enumerate() {
            let at = |field: &str| format!("domains[{n}].{field}");
            let code = errors.check(&at("code"), instrument_code(&domain.code));
            if let Some(code) = &code
                && !codes.insert(code.clone())
            {
                errors.push(&at("code"), ValueError::new("duplicate", "appears twice"));
            }
            let label = errors.check(&at("label"), ShortText::parse(&domain.label));
            if domain.levels.len() < 2 {
                errors.push(
                    &at("levels"),
                    ValueError::new("too_few", "needs at least two levels"),
                );
            }
            let mut values = BTreeSet::new();
            let mut levels = Vec::new();
            for (m, level) in domain.levels.into_iter().enumerate() {
                let at = |field: &str| format!("domains[{n}].levels[{m}].{field}");
                if !values.insert(level.value) {
                    errors.push(&at("value"), ValueError::new("duplicate", "appears twice"));
                }
                let label = errors.check(&at("label"), ShortText::parse(&level.label));
                let anchor = errors.check(&at("anchor"), LongText::parse(&level.anchor));
                if let (Some(label), Some(anchor)) = (label, anchor) {
                    levels.push(Level {
                        value: level.value,
                        label: label.to_string(),
                        anchor: anchor.as_str().to_owned(),
                    });
                }
            }
            levels.sort_by_key(|l| l.value);
            if let (Some(code), Some(label)) = (code, label) {
                domains.push(InstrumentDomain {
                    code,
                    label: label.to_string(),
                    allows_not_applicable: domain.allows_not_applicable,
                    required: domain.required,
                    levels,
                });
            }
        }
        errors.finish(|| {
            Some(InstrumentFields {
                code: code?,
                name: name?,
                description,
                domains,
            })
        })
    }
}

/// One version of an instrument. Versions never change once made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    pub id: InstrumentId,
    pub version: i32,
    pub fields: InstrumentFields,
    pub created_at: DateTime<Utc>,
}

impl Instrument {
    pub fn domain(&self, code: &str) -> Option<&InstrumentDomain> {
        self.fields.domains.iter().find(|d| d.code == code)
    }
}

/// Why an assessment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "periodic"))]
pub enum AssessmentKind {
    Intake,
    Periodic,
    Discharge,
}

impl AssessmentKind {
    pub const ALL: [AssessmentKind; 3] = [
        AssessmentKind::Intake,
        AssessmentKind::Periodic,
        AssessmentKind::Discharge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentKind::Intake => "intake",
            AssessmentKind::Periodic => "periodic",
            AssessmentKind::Discharge => "discharge",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// A draft may change; a final assessment never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "final"))]
pub enum AssessmentStatus {
    Draft,
    Final,
}

impl AssessmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentStatus::Draft => "draft",
            AssessmentStatus::Final => "final",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [AssessmentStatus::Draft, AssessmentStatus::Final]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// The answer for one domain: a value of its scale, or not applicable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "domain": "housing", "score": 2, "not_applicable": false,
    "note": "Staying with her sister; the lease ends in January."
})))]
pub struct DomainScore {
    pub domain: String,
    /// A value of the domain's scale; null when `not_applicable`.
    #[serde(default)]
    pub score: Option<i32>,
    #[serde(default)]
    pub not_applicable: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// What an assessor submits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "instrument_id": "01936b30-0a00-7c11-8d22-3e4f5a6b7c8d", "assessed_on": "2026-11-20", "kind": "periodic",
    "scores": [
        {"domain": "housing", "score": 2, "note": "Staying with her sister; the lease ends in January."},
        {"domain": "childcare", "not_applicable": true}
    ],
    "overall_note": "Engaged and hopeful; housing is the priority."
})))]
pub struct AssessmentInput {
    /// The instrument version scored.
    pub instrument_id: InstrumentId,
    pub assessed_on: NaiveDate,
    pub kind: AssessmentKind,
    #[serde(default)]
    pub scores: Vec<DomainScore>,
    #[serde(default)]
    pub overall_note: Option<String>,
    /// The final assessment this one corrects; it then replaces that one in the trend.
    #[serde(default)]
    pub amends: Option<AssessmentId>,
}

/// The checked content of an assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentFields {
    pub instrument_id: InstrumentId,
    pub assessed_on: NaiveDate,
    pub kind: AssessmentKind,
    pub scores: Vec<DomainScore>,
    pub overall_note: Option<LongText>,
    pub amends: Option<AssessmentId>,
}

impl AssessmentInput {
    /// Checks the input against the instrument it scores, as of `today`.
    pub fn parse(
        self,
        instrument: &Instrument,
        today: NaiveDate,
    ) -> Result<AssessmentFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        if instrument.id != self.instrument_id {
            errors.push(
                "instrument_id",
                ValueError::new("unknown_reference", "no instrument has this id"),
            );
        }
        if self.assessed_on > today {
            errors.push(
                "assessed_on",
                ValueError::new("in_future", "must not be in the future"),
            );
        }
        let overall_note = errors.check_opt(
            "overall_note",
            self.overall_note.as_deref(),
            LongText::parse,
        );
        let mut seen = BTreeSet::new();
        let mut scores = Vec::new();
        for (n, score) in self.scores.into_iter().enumerate() {
            let at = |field: &str| format!("scores[{n}].{field}");
            let Some(domain) = instrument.domain(&score.domain) else {
                errors.push(
                    &at("domain"),
                    ValueError::new("unknown_domain", "the instrument has no such domain"),
                );
                continue;
            };
            if !seen.insert(domain.code.clone()) {
                errors.push(
                    &at("domain"),
                    ValueError::new("duplicate", "is scored twice"),
                );
            }
            match (score.score, score.not_applicable) {
                (Some(_), true) | (None, false) => errors.push(
                    &at("score"),
                    ValueError::new(
                        "score_or_not_applicable",
                        "give a score or not_applicable, not both",
                    ),
                ),
                (None, true) if !domain.allows_not_applicable => errors.push(
                    &at("not_applicable"),
                    ValueError::new("not_allowed", "this domain must be scored"),
                ),
                (Some(value), false) if !domain.levels.iter().any(|l| l.value == value) => {
                    let values: Vec<String> =
                        domain.levels.iter().map(|l| l.value.to_string()).collect();
                    errors.push(
                        &at("score"),
                        ValueError::new(
                            "out_of_scale",
                            format!("must be one of the scale's values: {}", values.join(", ")),
                        ),
                    );
                }
                _ => {}
            }
            let note = errors.check_opt(&at("note"), score.note.as_deref(), LongText::parse);
            scores.push(DomainScore {
                domain: domain.code.clone(),
                score: score.score,
                not_applicable: score.not_applicable,
                note: note.map(|n| n.as_str().to_owned()),
            });
        }
        errors.finish(|| {
            Some(AssessmentFields {
                instrument_id: self.instrument_id,
                assessed_on: self.assessed_on,
                kind: self.kind,
                scores,
                overall_note,
                amends: self.amends,
            })
        })
    }
}

/// A client's assessment on one instrument version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub id: AssessmentId,
    pub client_id: ClientId,
    pub assessor_id: UserId,
    pub fields: AssessmentFields,
    pub status: AssessmentStatus,
    pub finalized_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Why an assessment may not change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessmentError {
    #[error("a final assessment never changes; make a new assessment that amends it")]
    Final,
    #[error("required domains are not answered")]
    Incomplete(FieldErrors),
}

impl Assessment {
    pub fn new(
        client_id: ClientId,
        assessor_id: UserId,
        fields: AssessmentFields,
        now: DateTime<Utc>,
    ) -> Self {
        Assessment {
            id: AssessmentId::generate(),
            client_id,
            assessor_id,
            fields,
            status: AssessmentStatus::Draft,
            finalized_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Replaces a draft's content.
    pub fn revise(
        &mut self,
        fields: AssessmentFields,
        now: DateTime<Utc>,
    ) -> Result<(), AssessmentError> {
        if self.status == AssessmentStatus::Final {
            return Err(AssessmentError::Final);
        }
        self.fields = fields;
        self.touch(now);
        Ok(())
    }

    /// Makes a draft final once every required domain of `instrument` is
    /// answered (a score, or not applicable where allowed).
    pub fn finalize(
        &mut self,
        instrument: &Instrument,
        now: DateTime<Utc>,
    ) -> Result<(), AssessmentError> {
        if self.status == AssessmentStatus::Final {
            return Err(AssessmentError::Final);
        }
        let answered: BTreeSet<&str> = self
            .fields
            .scores
            .iter()
            .map(|s| s.domain.as_str())
            .collect();
        let mut missing = FieldErrors::default();
        for domain in instrument.fields.domains.iter().filter(|d| d.required) {
            if !answered.contains(domain.code.as_str()) {
                missing.push(
                    &format!("scores.{}", domain.code),
                    ValueError::new(
                        "missing_domain",
                        format!("{} is not answered", domain.label),
                    ),
                );
            }
        }
        if !missing.is_empty() {
            return Err(AssessmentError::Incomplete(missing));
        }
        self.status = AssessmentStatus::Final;
        self.finalized_at = Some(now);
        self.touch(now);
        Ok(())
    }

    pub(crate) fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

/// One assessment's answer in a domain's series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "assessment_id": "01936b30-1b00-7c11-8d22-3e4f5a6b7c8d", "assessed_on": "2026-11-20",
    "kind": "periodic", "score": 2, "not_applicable": false
})))]
pub struct TrendPoint {
    pub assessment_id: AssessmentId,
    pub assessed_on: NaiveDate,
    pub kind: AssessmentKind,
    pub score: Option<i32>,
    pub not_applicable: bool,
}

/// Why a domain is marked in a trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "dropped"))]
pub enum TrendFlag {
    /// The latest score is the lowest level of the scale (1, "in crisis", on the Self-Sufficiency Matrix).
    InCrisis,
    /// The latest score is two or more below the previous one.
    Dropped,
}

/// One domain's scores over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "domain": "housing", "label": "Housing",
    "series": [
        {"assessment_id": "01936b30-1a00-7c11-8d22-3e4f5a6b7c8d", "assessed_on": "2026-08-01", "kind": "intake", "score": 3, "not_applicable": false},
        {"assessment_id": "01936b30-1b00-7c11-8d22-3e4f5a6b7c8d", "assessed_on": "2026-11-20", "kind": "periodic", "score": 1, "not_applicable": false}
    ],
    "latest": 1, "change_since_previous": -2, "change_since_intake": -2, "flags": ["in_crisis", "dropped"]
})))]
pub struct DomainTrend {
    pub domain: String,
    pub label: String,
    /// Every final assessment's answer, oldest first (an amended assessment is replaced by its amendment).
    pub series: Vec<TrendPoint>,
    /// The newest score; null when the newest answer is "not applicable" or missing.
    pub latest: Option<i32>,
    /// `latest` minus the score before it, skipping "not applicable" answers.
    pub change_since_previous: Option<i32>,
    /// `latest` minus the score of the first intake assessment that scored this domain.
    pub change_since_intake: Option<i32>,
    pub flags: Vec<TrendFlag>,
}

/// The trend of every domain of `instrument` over `assessments` (final ones
/// of one client, any version of the instrument: domains match by code).
/// Drafts are ignored, and so is any assessment a final one amends.
pub fn trend(instrument: &Instrument, assessments: &[Assessment]) -> Vec<DomainTrend> {
    let amended: BTreeSet<AssessmentId> = assessments
        .iter()
        .filter(|a| a.status == AssessmentStatus::Final)
        .filter_map(|a| a.fields.amends)
        .collect();
    let mut counted: Vec<&Assessment> = assessments
        .iter()
        .filter(|a| a.status == AssessmentStatus::Final && !amended.contains(&a.id))
        .collect();
    counted.sort_by_key(|a| (a.fields.assessed_on, a.finalized_at, a.id));
    instrument
        .fields
        .domains
        .iter()
        .map(|domain| {
            let series: Vec<TrendPoint> = counted
                .iter()
                .filter_map(|a| {
                    let answer = a.fields.scores.iter().find(|s| s.domain == domain.code)?;
                    Some(TrendPoint {
                        assessment_id: a.id,
                        assessed_on: a.fields.assessed_on,
                        kind: a.fields.kind,
                        score: answer.score,
                        not_applicable: answer.not_applicable,
                    })
                })
                .collect();
            let latest = series.last().and_then(|p| p.score);
            let scored: Vec<i32> = series.iter().filter_map(|p| p.score).collect();
            let change_since_previous = match (latest, scored.len()) {
                (Some(now), n) if n >= 2 => Some(now - scored[n - 2]),
                _ => None,
            };
            let intake = series
                .iter()
                .find(|p| p.kind == AssessmentKind::Intake && p.score.is_some())
                .and_then(|p| p.score);
            let change_since_intake = latest.zip(intake).map(|(now, then)| now - then);
            let mut flags = Vec::new();
            if latest.is_some() && latest == domain.lowest() {
                flags.push(TrendFlag::InCrisis);
            }
            if change_since_previous.is_some_and(|change| change <= -2) {
                flags.push(TrendFlag::Dropped);
            }
            DomainTrend {
                domain: domain.code.clone(),
                label: domain.label.clone(),
                series,
                latest,
                change_since_previous,
                change_since_intake,
                flags,
            }
        })
        .collect()
}

/// The Self-Sufficiency Matrix: 17 life domains on the 1–5 scale, shipped
/// built in as code `ssm`.
pub fn self_sufficiency_matrix() -> InstrumentInput {
    const LABELS: [&str; 5] = [
        "In crisis",
        "Vulnerable",
        "Safe",
        "Building capacity",
        "Empowered",
    ];
    // (code, label, not applicable allowed, anchors from 1 to 5)
    let domains: [(&str, &str, bool, [&str; 5]); 17] = [
        (
            "income",
            "Income",
            false,
            [
                "No income.",
                "Inadequate income, or spontaneous or inappropriate spending.",
                "Can meet basic needs with subsidy; appropriate spending.",
                "Can meet basic needs and manage debt without assistance.",
                "Income is sufficient, well managed; has discretionary income and is able to save.",
            ],
        ),
        (
            "employment",
            "Employment",
            true,
            [
                "No job.",
                "Temporary, part-time or seasonal work; inadequate pay, no benefits.",
                "Employed full time; inadequate pay; few or no benefits.",
                "Employed full time with adequate pay and benefits.",
                "Maintains permanent employment with adequate income and benefits.",
            ],
        ),
        (
            "housing",
            "Housing",
            false,
            [
                "Homeless, or threatened with eviction.",
                "In transitional, temporary or substandard housing, or current rent is unaffordable.",
                "In stable housing that is safe but only marginally adequate.",
                "Household is in safe, adequate subsidized housing.",
                "Household is safe, adequate, unsubsidized housing.",
            ],
        ),
        (
            "food",
            "Food",
            false,
            [
                "No food, or means to prepare it; relies to a significant degree on other sources of free or low-cost food.",
                "Household is on food stamps.",
                "Can meet basic food needs, but requires occasional assistance.",
                "Can meet basic food needs without assistance.",
                "Can choose to purchase any food the household desires.",
            ],
        ),
        (
            "childcare",
            "Childcare",
            true,
            [
                "Needs childcare, but none is available or accessible, or the child is not eligible.",
                "Childcare is unreliable or unaffordable; inadequate supervision is a problem.",
                "Affordable, subsidized childcare is available, but limited.",
                "Reliable, affordable childcare is available; no need for subsidies.",
                "Able to select quality childcare of choice.",
            ],
        ),
        (
            "childrens_education",
            "Children's education",
            true,
            [
                "One or more school-aged children are not enrolled in school.",
                "One or more school-aged children are enrolled but not attending classes.",
                "School-aged children are enrolled and attending on an irregular basis.",
                "School-aged children are enrolled and attending on a regular basis.",
                "All school-aged children are enrolled, attending regularly and doing well.",
            ],
        ),
        (
            "adult_education",
            "Adult education",
            false,
            [
                "Literacy problems and/or no high school diploma or GED are serious barriers to employment.",
                "Enrolled in literacy and/or GED program and/or has sufficient command of English that language is not a barrier.",
                "Has a high school diploma or GED.",
                "Needs additional education or training to improve employment situation and/or resolve literacy problems.",
                "Has completed education or training needed to become employable; no literacy problems.",
            ],
        ),
        (
            "legal",
            "Legal",
            false,
            [
                "Current outstanding tickets or warrants.",
                "Current charges or trial pending; noncompliance with probation or parole.",
                "Fully compliant with probation or parole terms.",
                "Has successfully completed probation or parole within the past 12 months; no new charges filed.",
                "No active criminal justice involvement in more than 12 months and/or no felony criminal history.",
            ],
        ),
        (
            "health_care_coverage",
            "Health care coverage",
            false,
            [
                "No medical coverage, with immediate need.",
                "No medical coverage, and great difficulty accessing medical care when needed; some household members may be in poor health.",
                "Some members, for example children, have medical coverage.",
                "All members can get medical care when needed, but it may strain the budget.",
                "All members are covered by affordable, adequate health insurance.",
            ],
        ),
        (
            "life_skills",
            "Life skills",
            false,
            [
                "Unable to meet basic needs such as hygiene, food or activities of daily living.",
                "Can meet a few but not all needs of daily living without assistance.",
                "Can meet most but not all daily living needs without assistance.",
                "Able to meet all basic needs of daily living without assistance.",
                "Able to provide beyond basic needs of daily living for self and family.",
            ],
        ),
        (
            "mental_health",
            "Mental health",
            false,
            [
                "Danger to self or others; recurring suicidal ideation; experiencing severe difficulty in day-to-day life due to psychological problems.",
                "Recurrent mental health symptoms that may affect behavior, but not a danger to self or others; persistent problems with functioning due to mental health symptoms.",
                "Mild symptoms may be present but are transient; only moderate difficulty in functioning due to mental health problems.",
                "Minimal symptoms that are expectable responses to life stressors; only slight impairment in functioning.",
                "Symptoms are absent or rare; good or superior functioning in a wide range of activities; no more than everyday problems or concerns.",
            ],
        ),
        (
            "substance_use",
            "Substance use",
            false,
            [
                "Meets criteria for severe abuse or dependence; resulting problems so severe that institutional living or hospitalization may be necessary.",
                "Meets criteria for dependence; preoccupation with use and obtaining drugs or alcohol; withdrawal or withdrawal avoidance behaviors evident; use results in avoidance or neglect of essential life activities.",
                "Use within the last 6 months; evidence of persistent or recurrent social, occupational, emotional or physical problems related to use; problems persist for at least one month.",
                "Client has used during the last 6 months, but no evidence of persistent or recurrent problems; no evidence of recurrent dangerous use.",
                "No drug use or alcohol abuse in the last 6 months.",
            ],
        ),
        (
            "family_relations",
            "Family relations",
            false,
            [
                "Lack of necessary support from family or friends; abuse (domestic violence, child abuse) is present, or there is child neglect.",
                "Family or friends may be supportive, but lack ability or resources to help; family members do not relate well with one another; potential for abuse or neglect.",
                "Some support from family or friends; family members acknowledge and seek to change negative behaviors; are learning to communicate and support.",
                "Strong support from family or friends; household members support each other's efforts.",
                "Has healthy, expanding support network; household is stable and communication is consistently open.",
            ],
        ),
        (
            "mobility",
            "Mobility and transportation",
            false,
            [
                "No access to transportation, public or private; may have a car that is inoperable.",
                "Transportation is available, but unreliable, unpredictable or unaffordable; may have a car but no insurance, license, etc.",
                "Transportation is available and reliable, but limited and/or inconvenient; drivers are licensed and minimally insured.",
                "Transportation is generally accessible to meet basic travel needs.",
                "Transportation is readily available and affordable; car is adequately insured.",
            ],
        ),
        (
            "community_involvement",
            "Community involvement",
            false,
            [
                "Not applicable due to a crisis situation; in survival mode.",
                "Socially isolated and/or no social skills and/or lacks motivation to become involved.",
                "Lacks knowledge of ways to become involved.",
                "Some community involvement (advisory group, support group), but has barriers such as transportation or childcare issues.",
                "Actively involved in community.",
            ],
        ),
        (
            "safety",
            "Safety",
            false,
            [
                "Home or residence is not safe; immediate level of lethality is extremely high; possible child protective services involvement.",
                "Safety is threatened or temporary protection is available; level of lethality is high.",
                "Current level of safety is minimally adequate; ongoing safety planning is essential.",
                "Environment is safe; however, future safety is uncertain; safety planning is important.",
                "Environment is apparently safe and stable.",
            ],
        ),
        (
            "parenting_skills",
            "Parenting skills",
            true,
            [
                "There are safety concerns regarding parenting skills.",
                "Parenting skills are minimal.",
                "Parenting skills are apparent but not adequate.",
                "Parenting skills are adequate.",
                "Parenting skills are well developed.",
            ],
        ),
    ];
    InstrumentInput {
        code: "ssm".to_owned(),
        name: "Self-Sufficiency Matrix".to_owned(),
        description: Some(
            "Seventeen life domains, each scored from 1 (in crisis) to 5 (empowered). Childcare, \
             children's education, parenting skills and employment may be not applicable."
                .to_owned(),
        ),
        domains: domains
            .into_iter()
            .map(|(code, label, not_applicable, anchors)| InstrumentDomain {
                code: code.to_owned(),
                label: label.to_owned(),
                allows_not_applicable: not_applicable,
                required: true,
                levels: (1..=5)
                    .zip(LABELS.iter().zip(anchors))
                    .map(|(value, (label, anchor))| Level {
                        value,
                        label: (*label).to_owned(),
                        anchor: anchor.to_owned(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ssm() -> Instrument {
        Instrument {
            id: InstrumentId::generate(),
            version: 1,
            fields: self_sufficiency_matrix().parse().unwrap(),
            created_at: Utc::now(),
        }
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn score(domain: &str, value: Option<i32>) -> DomainScore {
        DomainScore {
            domain: domain.into(),
            score: value,
            not_applicable: value.is_none(),
            note: None,
        }
    }

    fn input(
        i: &Instrument,
        kind: AssessmentKind,
        on: NaiveDate,
        scores: Vec<DomainScore>,
    ) -> AssessmentInput {
        AssessmentInput {
            instrument_id: i.id,
            assessed_on: on,
            kind,
            scores,
            overall_note: None,
            amends: None,
        }
    }

    fn full(i: &Instrument, housing: i32) -> Vec<DomainScore> {
        i.fields
            .domains
            .iter()
            .map(|d| score(&d.code, Some(if d.code == "housing" { housing } else { 3 })))
            .collect()
    }

    fn final_assessment(
        i: &Instrument,
        kind: AssessmentKind,
        on: NaiveDate,
        scores: Vec<DomainScore>,
    ) -> Assessment {
        let fields = input(i, kind, on, scores).parse(i, day(12, 31)).unwrap();
        let mut a = Assessment::new(ClientId::generate(), UserId::generate(), fields, Utc::now());
        a.finalize(i, Utc::now()).unwrap();
        a
    }

    #[test]
    fn the_matrix_has_seventeen_domains_on_a_five_level_scale() {
        let i = ssm();
        assert_eq!(i.fields.domains.len(), 17);
        for d in &i.fields.domains {
            let values: Vec<i32> = d.levels.iter().map(|l| l.value).collect();
            assert_eq!(values, [1, 2, 3, 4, 5], "{}", d.code);
            assert!(d.levels.iter().all(|l| !l.anchor.is_empty()));
        }
        let optional: Vec<&str> = i
            .fields
            .domains
            .iter()
            .filter(|d| d.allows_not_applicable)
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(
            optional,
            [
                "employment",
                "childcare",
                "childrens_education",
                "parenting_skills"
            ]
        );
    }

    #[test]
    fn scores_outside_the_scale_or_domain_are_refused_all_at_once() {
        let i = ssm();
        let bad = input(
            &i,
            AssessmentKind::Intake,
            day(11, 1),
            vec![
                score("housing", Some(6)),
                score("astrology", Some(3)),
                score("income", None),
                DomainScore {
                    domain: "food".into(),
                    score: Some(2),
                    not_applicable: true,
                    note: None,
                },
                score("housing", Some(2)),
            ],
        );
        let err = bad.parse(&i, day(12, 31)).unwrap_err();
        let got: Vec<(&str, &str)> = err
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("scores[0].score", "out_of_scale"),
                ("scores[1].domain", "unknown_domain"),
                ("scores[2].not_applicable", "not_allowed"),
                ("scores[3].score", "score_or_not_applicable"),
                ("scores[4].domain", "duplicate"),
            ]
        );
        let future = input(&i, AssessmentKind::Intake, day(12, 31), vec![]);
        assert_eq!(
            future.parse(&i, day(12, 30)).unwrap_err().0[0].field,
            "assessed_on"
        );
    }

    #[test]
    fn finalizing_needs_every_required_domain_and_then_nothing_changes() {
        let i = ssm();
        let mut scores = full(&i, 2);
        scores.retain(|s| s.domain != "safety" && s.domain != "childcare");
        scores.push(score("childcare", None)); // not applicable counts as an answer
        let fields = input(&i, AssessmentKind::Intake, day(11, 1), scores)
            .parse(&i, day(12, 31))
            .unwrap();
        let mut a = Assessment::new(
            ClientId::generate(),
            UserId::generate(),
            fields.clone(),
            Utc::now(),
        );
        match a.finalize(&i, Utc::now()) {
            Err(AssessmentError::Incomplete(missing)) => {
                assert_eq!(missing.0.len(), 1);
                assert_eq!(missing.0[0].field, "scores.safety");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(a.status, AssessmentStatus::Draft);
        let mut complete = fields.clone();
        complete.scores.push(score("safety", Some(4)));
        a.revise(complete, Utc::now()).unwrap();
        a.finalize(&i, Utc::now()).unwrap();
        assert_eq!(a.status, AssessmentStatus::Final);
        assert_eq!(a.revise(fields, Utc::now()), Err(AssessmentError::Final));
        assert_eq!(a.finalize(&i, Utc::now()), Err(AssessmentError::Final));
    }

    #[test]
    fn trend_marks_crisis_and_drops_and_skips_not_applicable() {
        let i = ssm();
        let intake = final_assessment(&i, AssessmentKind::Intake, day(8, 1), {
            let mut s = full(&i, 4);
            s.retain(|s| s.domain != "employment");
            s.push(score("employment", None));
            s
        });
        let mut middle_scores = full(&i, 3);
        middle_scores.retain(|s| s.domain != "employment");
        middle_scores.push(score("employment", Some(2)));
        let middle = final_assessment(&i, AssessmentKind::Periodic, day(9, 1), middle_scores);
        let mut latest_scores = full(&i, 1);
        latest_scores.retain(|s| s.domain != "employment");
        latest_scores.push(score("employment", None));
        let latest = final_assessment(&i, AssessmentKind::Periodic, day(10, 1), latest_scores);
        let draft = Assessment::new(
            ClientId::generate(),
            UserId::generate(),
            input(&i, AssessmentKind::Periodic, day(11, 1), full(&i, 5))
                .parse(&i, day(12, 31))
                .unwrap(),
            Utc::now(),
        );
        // Given out of order: the trend sorts by date.
        let trend = trend(&i, &[latest, draft, intake, middle]);
        let housing = trend.iter().find(|t| t.domain == "housing").unwrap();
        let scores: Vec<Option<i32>> = housing.series.iter().map(|p| p.score).collect();
        assert_eq!(scores, [Some(4), Some(3), Some(1)], "drafts do not count");
        assert_eq!(housing.latest, Some(1));
        assert_eq!(housing.change_since_previous, Some(-2));
        assert_eq!(housing.change_since_intake, Some(-3));
        assert_eq!(housing.flags, [TrendFlag::InCrisis, TrendFlag::Dropped]);
        let employment = trend.iter().find(|t| t.domain == "employment").unwrap();
        assert_eq!(employment.series.len(), 3);
        assert_eq!(
            employment.latest, None,
            "the newest answer is not applicable"
        );
        assert_eq!(employment.change_since_previous, None);
        assert_eq!(
            employment.change_since_intake, None,
            "not applicable at intake"
        );
        assert!(employment.flags.is_empty());
        let income = trend.iter().find(|t| t.domain == "income").unwrap();
        assert_eq!(
            (income.change_since_previous, income.change_since_intake),
            (Some(0), Some(0))
        );
        assert!(income.flags.is_empty());
    }

    #[test]
    fn an_amendment_replaces_what_it_amends_in_the_trend() {
        let i = ssm();
        let wrong = final_assessment(&i, AssessmentKind::Intake, day(8, 1), full(&i, 1));
        let mut fixed_input = input(&i, AssessmentKind::Intake, day(8, 1), full(&i, 4));
        fixed_input.amends = Some(wrong.id);
        let mut fixed = Assessment::new(
            wrong.client_id,
            UserId::generate(),
            fixed_input.parse(&i, day(12, 31)).unwrap(),
            Utc::now(),
        );
        let only_wrong = trend(&i, &[wrong.clone(), fixed.clone()]);
        assert_eq!(
            only_wrong[2].latest,
            Some(1),
            "a draft amendment changes nothing yet"
        );
        fixed.finalize(&i, Utc::now()).unwrap();
        let housing = trend(&i, &[wrong, fixed.clone()])
            .into_iter()
            .find(|t| t.domain == "housing")
            .unwrap();
        assert_eq!(housing.series.len(), 1);
        assert_eq!(housing.series[0].assessment_id, fixed.id);
        assert_eq!(housing.latest, Some(4));
    }

    #[test]
    fn instruments_are_checked_whole() {
        let input = InstrumentInput {
            code: "Needs Scale".into(),
            name: " ".into(),
            description: None,
            domains: vec![
                InstrumentDomain {
                    code: "housing".into(),
                    label: "Housing".into(),
                    allows_not_applicable: false,
                    required: true,
                    levels: vec![Level {
                        value: 0,
                        label: "None".into(),
                        anchor: "Housed.".into(),
                    }],
                },
                InstrumentDomain {
                    code: "housing".into(),
                    label: "Housing again".into(),
                    allows_not_applicable: false,
                    required: true,
                    levels: vec![
                        Level {
                            value: 0,
                            label: "None".into(),
                            anchor: "Housed.".into(),
                        },
                        Level {
                            value: 0,
                            label: "Some".into(),
                            anchor: "".into(),
                        },
                    ],
                },
            ],
        };
        let err = input.parse().unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "code",
                "name",
                "domains[0].levels",
                "domains[1].code",
                "domains[1].levels[1].value",
                "domains[1].levels[1].anchor",
            ]
        );
    }

    proptest! {
        /// Whatever the scores, the change since the previous assessment is
        /// the difference of the last two scored answers, and a domain is
        /// marked dropped exactly when it fell by two or more.
        #[test]
        fn trend_arithmetic_follows_the_scored_answers(
            answers in prop::collection::vec(prop::option::of(1..=5i32), 1..8)
        ) {
            let i = ssm();
            let assessments: Vec<Assessment> = answers
                .iter()
                .enumerate()
                .map(|(n, answer)| {
                    let mut scores = full(&i, 3);
                    scores.retain(|s| s.domain != "employment");
                    scores.push(score("employment", *answer));
                    let kind = if n == 0 { AssessmentKind::Intake } else { AssessmentKind::Periodic };
                    final_assessment(&i, kind, day(1, 1) + chrono::Duration::days(n as i64), scores)
                })
                .collect();
            let t = trend(&i, &assessments);
            let employment = t.iter().find(|t| t.domain == "employment").unwrap();
            let scored: Vec<i32> = answers.iter().flatten().copied().collect();
            let latest = *answers.last().unwrap();
            prop_assert_eq!(employment.latest, latest);
            let expected_change = match (latest, scored.len()) {
                (Some(now), n) if n >= 2 => Some(now - scored[n - 2]),
                _ => None,
            };
            prop_assert_eq!(employment.change_since_previous, expected_change);
            prop_assert_eq!(employment.change_since_intake, latest.zip(answers[0]).map(|(a, b)| a - b));
            prop_assert_eq!(
                employment.flags.contains(&TrendFlag::Dropped),
                expected_change.is_some_and(|c| c <= -2)
            );
            prop_assert_eq!(employment.flags.contains(&TrendFlag::InCrisis), latest == Some(1));
        }
    }
}
