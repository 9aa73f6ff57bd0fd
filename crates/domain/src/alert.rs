//! Early-warning alerts: the rules (data, versioned, tuned per agency), what
//! they find in the facts of a client or a case manager, the acuity score
//! those findings and the latest assessment give, and an alert's life.
//!
//! Evaluation is one pure function over a snapshot of facts: the same for
//! the change that just happened and for the periodic sweep, so an alert
//! opens when its facts appear and resolves on its own when they go.
//! [`reconcile`] compares what is found with the alerts still live and says
//! what to open and what to clear; the store guarantees one live alert per
//! rule and subject, whoever evaluates at the same time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::benefit::DueKind;
use crate::critical_event::{EventType, FollowUpStatus};
use crate::error::{FieldErrors, ValueError};
use crate::ids::{AlertId, ClientId, TeamId, UserId};
use crate::lifecycle::{IllegalMove, Status};

text_enum!(
    /// One kind of sign an alert watches for.
    RuleCode, example = "no_contact", {
        /// No contact that saw the client in N days, N by the client's acuity.
        NoContact => "no_contact",
        /// N appointments missed within the last days.
        MissedAppointments => "missed_appointments",
        /// Domains of the latest assessment at the lowest level, or dropped by two or more.
        AssessmentFlag => "assessment_flag",
        /// A hospitalization, emergency visit, crisis contact, arrest or overdose, recently.
        CriticalEvent => "critical_event",
        /// A psychiatric discharge without a contact that saw the client yet (7 days to do it).
        FollowUpDue => "follow_up_due",
        /// A referral sent and not accepted within N days.
        ReferralNotAccepted => "referral_not_accepted",
        /// A referral accepted and not completed (the client linked) within N days.
        ReferralNotLinked => "referral_not_linked",
        /// The active plan's review date has passed.
        PlanReviewOverdue => "plan_review_overdue",
        /// An open task of the active plan is past its due date.
        PlanTaskOverdue => "plan_task_overdue",
        /// A benefits application needs something (information, a hearing, a recertification) within N days.
        BenefitDue => "benefit_due",
        /// A consent expires within N days.
        ConsentExpiring => "consent_expiring",
        /// No final assessment in N days.
        ReassessmentDue => "reassessment_due",
        /// A contact still unsigned N days after its date of service.
        ContactUnsigned => "contact_unsigned",
        /// A case manager's caseload is over its limit.
        CaseloadOverLimit => "caseload_over_limit",
    }
);
text_enum!(
    /// How soon an alert needs someone.
    Severity, example = "high", {
        Low => "low",
        Medium => "medium",
        High => "high",
    }
);
text_enum!(
    /// How much a client needs now, from the acuity score.
    AcuityLevel, example = "moderate", {
        Low => "low",
        Moderate => "moderate",
        High => "high",
    }
);
text_enum!(
    /// Where an alert stands.
    AlertState, example = "open", {
        /// Nobody has answered it yet.
        Open => "open",
        /// Someone has seen it and is on it.
        Acknowledged => "acknowledged",
        /// Put aside until a day; it comes back open then.
        Snoozed => "snoozed",
        /// Over: its facts changed, or someone resolved it with a note.
        Resolved => "resolved",
    }
);
text_enum!(
    /// How an alert was resolved.
    Resolution, example = "facts_changed", {
        /// Its facts are no longer true (a contact happened, the referral was accepted).
        FactsChanged => "facts_changed",
        /// A staff member resolved it with a note.
        ByHand => "by_hand",
    }
);
text_enum!(
    /// The kind of record a fact points at.
    RecordKind, example = "critical_event", {
        Client => "client",
        Contact => "contact",
        Appointment => "appointment",
        Assessment => "assessment",
        CriticalEvent => "critical_event",
        Referral => "referral",
        Plan => "plan",
        BenefitApplication => "benefit_application",
        Consent => "consent",
        Staff => "staff",
    }
);

impl Status for AlertState {
    const RECORD: &'static str = "alert";
    fn name(self) -> &'static str {
        self.as_str()
    }
}

/// The moves a person may make on an alert in `from` (waking a snoozed
/// alert and resolving one whose facts changed are the sweep's).
pub fn alert_moves(from: AlertState) -> Vec<AlertState> {
    use AlertState::*;
    match from {
        Open => vec![Acknowledged, Snoozed, Resolved],
        Acknowledged => vec![Snoozed, Resolved],
        Snoozed => vec![Acknowledged, Snoozed, Resolved],
        Resolved => vec![],
    }
}

/// No-contact thresholds by acuity level, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"low": 30, "moderate": 14, "high": 7})))]
pub struct DaysByAcuity {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub low: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub moderate: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub high: u32,
}

impl DaysByAcuity {
    pub fn of(&self, level: AcuityLevel) -> u32 {
        match level {
            AcuityLevel::Low => self.low,
            AcuityLevel::Moderate => self.moderate,
            AcuityLevel::High => self.high,
        }
    }
}

/// A rule's thresholds. Each rule takes the ones [`RuleCode::params`] names
/// and no other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"count": 2, "days": 30})))]
pub struct RuleParams {
    /// A number of days: how far back, how long to wait, or how far ahead (see the rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub days: Option<u32>,
    /// How many (missed appointments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub count: Option<u32>,
    /// Days without contact allowed at each acuity level (no contact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_by_acuity: Option<DaysByAcuity>,
    /// Which critical events raise an alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<EventType>>,
    /// The most clients one case manager carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    pub limit: Option<u32>,
}

/// The thresholds a rule takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Days,
    Count,
    DaysByAcuity,
    EventTypes,
    Limit,
}

impl Param {
    const ALL: [Param; 5] = [
        Param::Days,
        Param::Count,
        Param::DaysByAcuity,
        Param::EventTypes,
        Param::Limit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Param::Days => "days",
            Param::Count => "count",
            Param::DaysByAcuity => "days_by_acuity",
            Param::EventTypes => "event_types",
            Param::Limit => "limit",
        }
    }

    fn given(self, params: &RuleParams) -> bool {
        match self {
            Param::Days => params.days.is_some(),
            Param::Count => params.count.is_some(),
            Param::DaysByAcuity => params.days_by_acuity.is_some(),
            Param::EventTypes => params.event_types.is_some(),
            Param::Limit => params.limit.is_some(),
        }
    }
}

/// The critical events that raise an alert unless the agency says otherwise.
pub const ALERTING_EVENTS: [EventType; 7] = [
    EventType::PsychiatricHospitalization,
    EventType::MedicalHospitalization,
    EventType::EmergencyDepartmentVisit,
    EventType::CrisisContact,
    EventType::Arrest,
    EventType::Overdose,
    EventType::SuicideAttempt,
];

impl RuleCode {
    /// What the rule watches for, with its thresholds' meaning.
    pub fn description(self) -> &'static str {
        match self {
            RuleCode::NoContact => {
                "No contact that saw the client (in person, by video or by phone) for more days than `days_by_acuity` allows at the client's acuity level, counted from the last such contact or, without one, from enrollment."
            }
            RuleCode::MissedAppointments => {
                "`count` or more appointments marked missed within the last `days` days."
            }
            RuleCode::AssessmentFlag => {
                "Domains of the client's latest final assessment at the lowest level of its scale (1, in crisis, on the Self-Sufficiency Matrix) or two or more below the score before it: the assessment trend's flags, in one alert listing each domain."
            }
            RuleCode::CriticalEvent => {
                "A critical event of one of `event_types` going on, or started or ended within the last `days` days."
            }
            RuleCode::FollowUpDue => {
                "A psychiatric hospitalization ended within the last `days` days and no contact has seen the client since: the follow-up is due within 7 days of the discharge, and stays flagged once missed."
            }
            RuleCode::ReferralNotAccepted => {
                "A referral sent (requested) more than `days` days ago and not yet accepted or answered."
            }
            RuleCode::ReferralNotLinked => {
                "A referral accepted more than `days` days ago and not yet completed with the client linked."
            }
            RuleCode::PlanReviewOverdue => "The active service plan's review date has passed.",
            RuleCode::PlanTaskOverdue => {
                "An open task of the active service plan is past its due date."
            }
            RuleCode::BenefitDue => {
                "A benefits application needs requested information, a hearing or a recertification within `days` days, or is past that date."
            }
            RuleCode::ConsentExpiring => "A consent in force expires within `days` days.",
            RuleCode::ReassessmentDue => {
                "No final assessment for `days` days (counted from enrollment when there is none)."
            }
            RuleCode::ContactUnsigned => {
                "A contact still a draft more than `days` days after its date of service."
            }
            RuleCode::CaseloadOverLimit => {
                "A case manager is the primary case manager of more than `limit` clients not discharged."
            }
        }
    }

    /// The thresholds the rule takes.
    pub fn params(self) -> &'static [Param] {
        match self {
            RuleCode::NoContact => &[Param::DaysByAcuity],
            RuleCode::MissedAppointments => &[Param::Count, Param::Days],
            RuleCode::CriticalEvent => &[Param::EventTypes, Param::Days],
            RuleCode::AssessmentFlag | RuleCode::PlanReviewOverdue | RuleCode::PlanTaskOverdue => {
                &[]
            }
            RuleCode::CaseloadOverLimit => &[Param::Limit],
            RuleCode::FollowUpDue
            | RuleCode::ReferralNotAccepted
            | RuleCode::ReferralNotLinked
            | RuleCode::BenefitDue
            | RuleCode::ConsentExpiring
            | RuleCode::ReassessmentDue
            | RuleCode::ContactUnsigned => &[Param::Days],
        }
    }

    /// Whether the rule is about a case manager rather than a client.
    pub fn is_about_staff(self) -> bool {
        self == RuleCode::CaseloadOverLimit
    }

    /// The settings shipped: version 1 of every rule.
    pub fn default_settings(self) -> RuleSettings {
        let days = |d| RuleParams {
            days: Some(d),
            ..RuleParams::default()
        };
        let (severity, params) = match self {
            RuleCode::NoContact => (
                Severity::Medium,
                RuleParams {
                    days_by_acuity: Some(DaysByAcuity {
                        low: 30,
                        moderate: 14,
                        high: 7,
                    }),
                    ..RuleParams::default()
                },
            ),
            RuleCode::MissedAppointments => (
                Severity::Medium,
                RuleParams {
                    count: Some(2),
                    days: Some(30),
                    ..RuleParams::default()
                },
            ),
            RuleCode::AssessmentFlag => (Severity::Medium, RuleParams::default()),
            RuleCode::CriticalEvent => (
                Severity::High,
                RuleParams {
                    event_types: Some(ALERTING_EVENTS.to_vec()),
                    days: Some(14),
                    ..RuleParams::default()
                },
            ),
            RuleCode::FollowUpDue => (Severity::High, days(30)),
            RuleCode::ReferralNotAccepted => (Severity::Low, days(7)),
            RuleCode::ReferralNotLinked => (Severity::Low, days(30)),
            RuleCode::PlanReviewOverdue => (Severity::Medium, RuleParams::default()),
            RuleCode::PlanTaskOverdue => (Severity::Low, RuleParams::default()),
            RuleCode::BenefitDue => (Severity::Medium, days(14)),
            RuleCode::ConsentExpiring => (Severity::Low, days(30)),
            RuleCode::ReassessmentDue => (Severity::Low, days(90)),
            RuleCode::ContactUnsigned => (Severity::Low, days(3)),
            RuleCode::CaseloadOverLimit => (
                Severity::Medium,
                RuleParams {
                    limit: Some(25),
                    ..RuleParams::default()
                },
            ),
        };
        RuleSettings {
            enabled: true,
            severity,
            escalate_after_hours: (severity == Severity::High).then_some(24),
            params,
        }
    }
}

/// What an agency tunes of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "enabled": true, "severity": "medium", "escalate_after_hours": null,
    "params": {"count": 2, "days": 30}
})))]
pub struct RuleSettings {
    /// A rule turned off finds nothing: its live alerts resolve at the next evaluation.
    pub enabled: bool,
    pub severity: Severity,
    /// Hours an open, unacknowledged alert of this rule waits before it is
    /// escalated to the team's supervisors; null: never.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 720))]
    pub escalate_after_hours: Option<u32>,
    pub params: RuleParams,
}

impl RuleSettings {
    /// Checks `self` fits `code`: the thresholds it takes, each in range.
    pub fn check(self, code: RuleCode) -> Result<RuleSettings, FieldErrors> {
        let mut errors = FieldErrors::default();
        for param in Param::ALL {
            let field = format!("params.{}", param.name());
            let takes = code.params().contains(&param);
            match (takes, param.given(&self.params)) {
                (true, false) => errors.push(
                    &field,
                    ValueError::new("required", format!("the {} rule needs it", code.as_str())),
                ),
                (false, true) => errors.push(
                    &field,
                    ValueError::new(
                        "not_applicable",
                        format!("the {} rule does not take it", code.as_str()),
                    ),
                ),
                _ => {}
            }
        }
        let mut in_range = |field: &str, value: Option<u32>, max: u32| {
            if value.is_some_and(|v| v == 0 || v > max) {
                errors.push(
                    field,
                    ValueError::new("out_of_range", format!("must be from 1 to {max}")),
                );
            }
        };
        in_range("params.days", self.params.days, 365);
        in_range("params.count", self.params.count, 50);
        in_range("params.limit", self.params.limit, 1000);
        if let Some(by) = self.params.days_by_acuity {
            in_range("params.days_by_acuity.low", Some(by.low), 365);
            in_range("params.days_by_acuity.moderate", Some(by.moderate), 365);
            in_range("params.days_by_acuity.high", Some(by.high), 365);
        }
        in_range("escalate_after_hours", self.escalate_after_hours, 720);
        if let Some(types) = &self.params.event_types {
            if types.is_empty() {
                errors.push(
                    "params.event_types",
                    ValueError::new("empty", "name at least one event type"),
                );
            }
            errors.no_duplicates("params.event_types", types);
        }
        errors.finish(|| Some(self))
    }
}

/// One version of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub code: RuleCode,
    /// 1 for the settings shipped; each change an admin makes is the next.
    pub version: i32,
    pub settings: RuleSettings,
    /// Who made this version; none for the one shipped.
    pub changed_by: Option<UserId>,
    pub changed_at: Option<DateTime<Utc>>,
}

impl Rule {
    /// Version 1: the settings shipped.
    pub fn shipped(code: RuleCode) -> Rule {
        Rule {
            code,
            version: 1,
            settings: code.default_settings(),
            changed_by: None,
            changed_at: None,
        }
    }

    /// The next version, with `settings`.
    pub fn change(&self, settings: RuleSettings, by: UserId, now: DateTime<Utc>) -> Rule {
        Rule {
            code: self.code,
            version: self.version + 1,
            settings,
            changed_by: Some(by),
            changed_at: Some(now),
        }
    }
}

/// The rules in force: the newest version of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    rules: BTreeMap<RuleCode, Rule>,
}

impl RuleSet {
    /// The shipped rules, each replaced by the newest of `changed` for it.
    pub fn current(changed: impl IntoIterator<Item = Rule>) -> RuleSet {
        let mut rules: BTreeMap<RuleCode, Rule> = RuleCode::ALL
            .iter()
            .map(|&code| (code, Rule::shipped(code)))
            .collect();
        for rule in changed {
            if rules
                .get(&rule.code)
                .is_none_or(|r| r.version < rule.version)
            {
                rules.insert(rule.code, rule);
            }
        }
        RuleSet { rules }
    }

    pub fn get(&self, code: RuleCode) -> &Rule {
        &self.rules[&code]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.rules.values()
    }

    /// The rule's settings when it is on.
    fn on(&self, code: RuleCode) -> Option<&RuleSettings> {
        Some(&self.get(code).settings).filter(|s| s.enabled)
    }
}

// ---------------------------------------------------------------------------
// Facts

/// A record a fact points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    pub kind: RecordKind,
    pub id: String,
}

/// One fact that made a rule fire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// The fact, in words.
    pub text: String,
    /// The record it is about, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordRef>,
}

impl Fact {
    fn about(text: String, kind: RecordKind, id: impl ToString) -> Fact {
        Fact {
            text,
            record: Some(RecordRef {
                kind,
                id: id.to_string(),
            }),
        }
    }

    fn plain(text: String) -> Fact {
        Fact { text, record: None }
    }
}

/// A domain of the latest final assessment, as the trend sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSign {
    pub domain: String,
    pub label: String,
    pub assessment_id: String,
    pub assessed_on: NaiveDate,
    pub score: Option<i32>,
    /// The score before it, when there is one.
    pub previous: Option<i32>,
    /// Whether the score is the lowest of the scale.
    pub in_crisis: bool,
    /// Whether it is two or more below the previous.
    pub dropped: bool,
}

/// A critical event, as far as the rules look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSign {
    pub id: String,
    pub event_type: EventType,
    pub is_stay: bool,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    /// For an ended psychiatric hospitalization: where its follow-up stands.
    pub follow_up: Option<(FollowUpStatus, NaiveDate)>,
}

/// A referral still open, with the days it was sent and accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralSign {
    pub id: String,
    pub to: String,
    /// When it was last sent (moved to requested) and is still waiting for an answer.
    pub waiting_since: Option<NaiveDate>,
    /// When it was accepted, while it is accepted or in progress.
    pub accepted_on: Option<NaiveDate>,
}

/// An open task of the active plan with a due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSign {
    pub plan_id: String,
    pub task_id: String,
    pub what: String,
    pub due_on: NaiveDate,
}

/// A benefits application's next date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenefitSign {
    pub id: String,
    pub program: String,
    pub kind: DueKind,
    pub due_on: NaiveDate,
}

/// A draft contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftSign {
    pub id: String,
    pub date_of_service: NaiveDate,
}

/// Everything the rules read about one client, as of one day. Filled by the
/// store; evaluated by [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSigns {
    pub client_id: ClientId,
    pub team_id: TeamId,
    pub case_manager_id: Option<UserId>,
    /// Whether case management goes on (not discharged): nothing fires otherwise.
    pub served: bool,
    /// Whether the client is on hold (in hospital, out of town): no contact
    /// and no reassessment is expected meanwhile.
    pub on_hold: bool,
    /// The first day of the current enrollment.
    pub enrolled_on: NaiveDate,
    /// The last contact that saw the client, and its day.
    pub last_seen: Option<(String, NaiveDate)>,
    /// Appointments marked missed in the last 365 days, each with its day.
    pub missed: Vec<(String, NaiveDate)>,
    /// The domains of the latest final assessment.
    pub domains: Vec<DomainSign>,
    /// The day of the latest final assessment.
    pub last_assessed: Option<(String, NaiveDate)>,
    /// Critical events going on or ended in the last 365 days.
    pub events: Vec<EventSign>,
    pub referrals: Vec<ReferralSign>,
    /// The active plan and its review date.
    pub plan: Option<(String, NaiveDate)>,
    pub tasks: Vec<TaskSign>,
    pub benefits: Vec<BenefitSign>,
    /// Consents in force with an end date, and that date.
    pub consents: Vec<(String, NaiveDate)>,
    pub drafts: Vec<DraftSign>,
}

impl ClientSigns {
    /// A client with nothing recorded yet.
    pub fn new(client_id: ClientId, team_id: TeamId, enrolled_on: NaiveDate) -> ClientSigns {
        ClientSigns {
            client_id,
            team_id,
            case_manager_id: None,
            served: true,
            on_hold: false,
            enrolled_on,
            last_seen: None,
            missed: Vec::new(),
            domains: Vec::new(),
            last_assessed: None,
            events: Vec::new(),
            referrals: Vec::new(),
            plan: None,
            tasks: Vec::new(),
            benefits: Vec::new(),
            consents: Vec::new(),
            drafts: Vec::new(),
        }
    }
}

/// A case manager's caseload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseloadSigns {
    pub staff_id: UserId,
    pub team_id: Option<TeamId>,
    pub name: String,
    /// Clients not discharged whose primary case manager they are.
    pub clients: u32,
}

// ---------------------------------------------------------------------------
// Findings

/// Who or what an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    Client(ClientId),
    Staff(UserId),
}

/// What a rule found: the alert to raise unless one is live for the same
/// rule and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleCode,
    pub subject: Subject,
    /// What the finding is about, unique per rule among live alerts: the
    /// client or case manager, and the record when the rule looks at records
    /// one by one ("client:…/referral:…").
    pub key: String,
    pub summary: String,
    pub facts: Vec<Fact>,
}

fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

fn back(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_sub_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

fn ahead(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// One client's findings and acuity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub acuity: Acuity,
}

/// What the rules find in one client's facts on `today`, and the acuity
/// score those findings and the latest assessment give.
///
/// The acuity counts every finding but the no-contact one, whose threshold
/// depends on the acuity: it is evaluated last, with the level.
pub fn evaluate(rules: &RuleSet, signs: &ClientSigns, today: NaiveDate) -> Evaluation {
    if !signs.served {
        return Evaluation {
            findings: Vec::new(),
            acuity: acuity(&[], &[], rules),
        };
    }
    let client = signs.client_id;
    let base = format!("client:{client}");
    let keyed = |record: &str, id: &str| format!("{base}/{record}:{id}");
    let mut found: Vec<Finding> = Vec::new();
    let finding = |rule: RuleCode, key: String, summary: String, facts: Vec<Fact>| Finding {
        rule,
        subject: Subject::Client(client),
        key,
        summary,
        facts,
    };

    if let Some(s) = rules.on(RuleCode::MissedAppointments) {
        let (count, days) = (s.params.count.unwrap_or(2), s.params.days.unwrap_or(30));
        let since = back(today, days);
        let missed: Vec<&(String, NaiveDate)> = signs
            .missed
            .iter()
            .filter(|(_, on)| *on >= since && *on <= today)
            .collect();
        if missed.len() >= count as usize {
            found.push(finding(
                RuleCode::MissedAppointments,
                base.clone(),
                format!(
                    "{} appointments missed in the last {days} days",
                    missed.len()
                ),
                missed
                    .iter()
                    .map(|(id, on)| {
                        Fact::about(format!("Missed on {on}"), RecordKind::Appointment, id)
                    })
                    .collect(),
            ));
        }
    }

    if rules.on(RuleCode::AssessmentFlag).is_some() {
        let flagged: Vec<&DomainSign> = signs
            .domains
            .iter()
            .filter(|d| d.in_crisis || d.dropped)
            .collect();
        if !flagged.is_empty() {
            let codes: Vec<&str> = flagged.iter().map(|d| d.domain.as_str()).collect();
            let facts = flagged
                .iter()
                .map(|d| {
                    let score = d.score.map_or("no score".to_owned(), |s| s.to_string());
                    let mut why = Vec::new();
                    if d.in_crisis {
                        why.push("the lowest level".to_owned());
                    }
                    if let (true, Some(previous)) = (d.dropped, d.previous) {
                        why.push(format!("down from {previous}"));
                    }
                    Fact::about(
                        format!(
                            "{} scored {score} on {} ({})",
                            d.label,
                            d.assessed_on,
                            why.join(", ")
                        ),
                        RecordKind::Assessment,
                        &d.assessment_id,
                    )
                })
                .collect();
            let labels: Vec<&str> = flagged.iter().map(|d| d.label.as_str()).collect();
            found.push(finding(
                RuleCode::AssessmentFlag,
                keyed("domains", &codes.join(",")),
                format!("Assessment flags: {}", labels.join(", ")),
                facts,
            ));
        }
    }

    if let Some(s) = rules.on(RuleCode::CriticalEvent) {
        let since = back(today, s.params.days.unwrap_or(14));
        let types = s.params.event_types.as_deref().unwrap_or(&ALERTING_EVENTS);
        for e in signs
            .events
            .iter()
            .filter(|e| types.contains(&e.event_type))
        {
            let going_on = e.is_stay && e.ended_on.is_none();
            let last = e.ended_on.unwrap_or(e.started_on);
            if !(going_on || last >= since) || e.started_on > today {
                continue;
            }
            let what = e.event_type.as_str().replace('_', " ");
            let when = match (e.is_stay, e.ended_on) {
                (true, None) => format!("since {}, going on", e.started_on),
                (true, Some(end)) => format!("from {} to {end}", e.started_on),
                (false, _) => format!("on {}", e.started_on),
            };
            found.push(finding(
                RuleCode::CriticalEvent,
                keyed("critical_event", &e.id),
                format!("{} {when}", capitalized(&what)),
                vec![Fact::about(
                    format!("{} {when}", capitalized(&what)),
                    RecordKind::CriticalEvent,
                    &e.id,
                )],
            ));
        }
    }

    if let Some(s) = rules.on(RuleCode::FollowUpDue) {
        let since = back(today, s.params.days.unwrap_or(30));
        for e in &signs.events {
            let (Some((status, due_by)), Some(end)) = (e.follow_up, e.ended_on) else {
                continue;
            };
            if status == FollowUpStatus::Met || end < since {
                continue;
            }
            let state = if status == FollowUpStatus::Missed {
                format!("missed: no contact saw the client by {due_by}")
            } else {
                format!("due by {due_by}")
            };
            found.push(finding(
                RuleCode::FollowUpDue,
                keyed("critical_event", &e.id),
                format!("Follow-up after the psychiatric discharge of {end} {state}"),
                vec![Fact::about(
                    format!("Discharged from a psychiatric hospitalization on {end}; no contact has seen the client since"),
                    RecordKind::CriticalEvent,
                    &e.id,
                )],
            ));
        }
    }

    if let Some(s) = rules.on(RuleCode::ReferralNotAccepted) {
        let days = s.params.days.unwrap_or(7);
        for r in &signs.referrals {
            let Some(sent) = r.waiting_since.filter(|&d| d < back(today, days)) else {
                continue;
            };
            found.push(finding(
                RuleCode::ReferralNotAccepted,
                keyed("referral", &r.id),
                format!(
                    "Referral to {} waiting {} days for an answer",
                    r.to,
                    days_between(sent, today)
                ),
                vec![Fact::about(
                    format!("Sent to {} on {sent}, not yet accepted", r.to),
                    RecordKind::Referral,
                    &r.id,
                )],
            ));
        }
    }

    if let Some(s) = rules.on(RuleCode::ReferralNotLinked) {
        let days = s.params.days.unwrap_or(30);
        for r in &signs.referrals {
            let Some(accepted) = r.accepted_on.filter(|&d| d < back(today, days)) else {
                continue;
            };
            found.push(finding(
                RuleCode::ReferralNotLinked,
                keyed("referral", &r.id),
                format!(
                    "Referral to {} accepted {} days ago, client not yet linked",
                    r.to,
                    days_between(accepted, today)
                ),
                vec![Fact::about(
                    format!("Accepted by {} on {accepted}, not completed", r.to),
                    RecordKind::Referral,
                    &r.id,
                )],
            ));
        }
    }

    if rules.on(RuleCode::PlanReviewOverdue).is_some()
        && let Some((plan, review)) = signs.plan.as_ref().filter(|(_, r)| *r < today)
    {
        found.push(finding(
            RuleCode::PlanReviewOverdue,
            keyed("plan", plan),
            format!("Plan review overdue since {review}"),
            vec![Fact::about(
                format!("The active plan was due for review on {review}"),
                RecordKind::Plan,
                plan,
            )],
        ));
    }

    if rules.on(RuleCode::PlanTaskOverdue).is_some() {
        for t in signs.tasks.iter().filter(|t| t.due_on < today) {
            found.push(finding(
                RuleCode::PlanTaskOverdue,
                keyed("task", &t.task_id),
                format!("Plan task overdue since {}: {}", t.due_on, t.what),
                vec![Fact::about(
                    format!("\"{}\" was due on {}", t.what, t.due_on),
                    RecordKind::Plan,
                    &t.plan_id,
                )],
            ));
        }
    }

    if let Some(s) = rules.on(RuleCode::BenefitDue) {
        let until = ahead(today, s.params.days.unwrap_or(14));
        for b in signs.benefits.iter().filter(|b| b.due_on <= until) {
            let what = match b.kind {
                DueKind::Information => "requested information",
                DueKind::Hearing => "a hearing",
                DueKind::Recertification => "recertification",
            };
            let when = if b.due_on < today {
                format!("was due {}", b.due_on)
            } else {
                format!("due {}", b.due_on)
            };
            found.push(finding(
                RuleCode::BenefitDue,
                keyed("benefit_application", &format!("{}/{}", b.id, b.due_on)),
                format!("{}: {what} {when}", b.program),
                vec![Fact::about(
                    format!("The {} application has {what} {when}", b.program),
                    RecordKind::BenefitApplication,
                    &b.id,
                )],
            ));
        }
    }

    if let Some(s) = rules.on(RuleCode::ConsentExpiring) {
        let until = ahead(today, s.params.days.unwrap_or(30));
        for (id, expires) in signs
            .consents
            .iter()
            .filter(|(_, e)| *e >= today && *e <= until)
        {
            found.push(finding(
                RuleCode::ConsentExpiring,
                keyed("consent", id),
                format!("Consent expires {expires}"),
                vec![Fact::about(
                    format!("A consent in force expires on {expires}"),
                    RecordKind::Consent,
                    id,
                )],
            ));
        }
    }

    if let Some(s) = rules
        .on(RuleCode::ReassessmentDue)
        .filter(|_| !signs.on_hold)
    {
        let days = s.params.days.unwrap_or(90);
        let (from, fact) = match &signs.last_assessed {
            Some((id, on)) => (
                *on,
                Fact::about(
                    format!("The last final assessment was on {on}"),
                    RecordKind::Assessment,
                    id,
                ),
            ),
            None => (
                signs.enrolled_on,
                Fact::plain(format!(
                    "No final assessment since enrollment on {}",
                    signs.enrolled_on
                )),
            ),
        };
        if from < back(today, days) {
            found.push(finding(
                RuleCode::ReassessmentDue,
                format!("{base}/since:{from}"),
                format!(
                    "Reassessment due: none in {} days",
                    days_between(from, today)
                ),
                vec![fact],
            ));
        }
    }

    if let Some(s) = rules.on(RuleCode::ContactUnsigned) {
        let before = back(today, s.params.days.unwrap_or(3));
        for d in signs.drafts.iter().filter(|d| d.date_of_service < before) {
            found.push(finding(
                RuleCode::ContactUnsigned,
                keyed("contact", &d.id),
                format!("Contact of {} still unsigned", d.date_of_service),
                vec![Fact::about(
                    format!(
                        "The contact of {} is a draft {} days later",
                        d.date_of_service,
                        days_between(d.date_of_service, today)
                    ),
                    RecordKind::Contact,
                    &d.id,
                )],
            ));
        }
    }

    let domain_scores: Vec<(String, i32)> = signs
        .domains
        .iter()
        .filter_map(|d| d.score.map(|s| (d.label.clone(), s)))
        .collect();
    let acuity = acuity(&found, &domain_scores, rules);

    if let Some(s) = rules.on(RuleCode::NoContact).filter(|_| !signs.on_hold) {
        let by = s.params.days_by_acuity.unwrap_or(DaysByAcuity {
            low: 30,
            moderate: 14,
            high: 7,
        });
        let allowed = by.of(acuity.level);
        let (from, fact) = match &signs.last_seen {
            Some((id, on)) => (
                *on,
                Fact::about(format!("Last seen on {on}"), RecordKind::Contact, id),
            ),
            None => (
                signs.enrolled_on,
                Fact::plain(format!(
                    "Not seen since enrollment on {}",
                    signs.enrolled_on
                )),
            ),
        };
        if from < back(today, allowed) {
            found.push(finding(
                RuleCode::NoContact,
                format!("{base}/since:{from}"),
                format!("No contact in {} days", days_between(from, today)),
                vec![
                    fact,
                    Fact::plain(format!(
                        "{} acuity allows {allowed} days without contact",
                        capitalized(acuity.level.as_str())
                    )),
                ],
            ));
        }
    }
    Evaluation {
        findings: found,
        acuity,
    }
}

/// What the caseload rule finds for one case manager.
pub fn evaluate_caseload(rules: &RuleSet, signs: &CaseloadSigns) -> Option<Finding> {
    let limit = rules.on(RuleCode::CaseloadOverLimit)?.params.limit?;
    (signs.clients > limit).then(|| Finding {
        rule: RuleCode::CaseloadOverLimit,
        subject: Subject::Staff(signs.staff_id),
        key: format!("staff:{}", signs.staff_id),
        summary: format!(
            "{} carries {} clients, over the limit of {limit}",
            signs.name, signs.clients
        ),
        facts: vec![Fact::about(
            format!(
                "Primary case manager of {} clients not discharged",
                signs.clients
            ),
            RecordKind::Staff,
            signs.staff_id,
        )],
    })
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------
// Acuity

/// One part of an acuity score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "source": "critical_event", "points": 3, "detail": "Emergency department visit on 2026-11-25"
})))]
pub struct Contribution {
    /// A rule code, or `assessment` for a domain score.
    pub source: String,
    pub points: u32,
    pub detail: String,
}

/// How much a client needs now, and why: the sum of its contributions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "score": 7, "level": "moderate",
    "contributions": [
        {"source": "critical_event", "points": 3, "detail": "Emergency department visit on 2026-11-25"},
        {"source": "assessment", "points": 3, "detail": "Housing scored 1"},
        {"source": "assessment", "points": 1, "detail": "Income scored 2"}
    ]
})))]
pub struct Acuity {
    pub score: u32,
    pub level: AcuityLevel,
    pub contributions: Vec<Contribution>,
}

/// Points a finding adds, by its rule's severity.
pub const SEVERITY_POINTS: [(Severity, u32); 3] = [
    (Severity::High, 3),
    (Severity::Medium, 2),
    (Severity::Low, 1),
];
/// Points a domain of the latest assessment adds at score 1 and at score 2.
pub const SCORE_POINTS: [(i32, u32); 2] = [(1, 3), (2, 1)];
/// The score from which the level is moderate, and high.
pub const LEVEL_FROM: [(AcuityLevel, u32); 2] =
    [(AcuityLevel::High, 10), (AcuityLevel::Moderate, 5)];

/// The acuity score: each finding by its rule's severity, each domain of the
/// latest assessment scored 1 or 2; moderate from 5 points, high from 10.
pub fn acuity(findings: &[Finding], domain_scores: &[(String, i32)], rules: &RuleSet) -> Acuity {
    let mut contributions = Vec::new();
    for f in findings {
        let severity = rules.get(f.rule).settings.severity;
        let points = SEVERITY_POINTS
            .iter()
            .find(|(s, _)| *s == severity)
            .map_or(0, |(_, p)| *p);
        contributions.push(Contribution {
            source: f.rule.as_str().to_owned(),
            points,
            detail: f.summary.clone(),
        });
    }
    for (label, score) in domain_scores {
        if let Some((_, points)) = SCORE_POINTS.iter().find(|(s, _)| s == score) {
            contributions.push(Contribution {
                source: "assessment".to_owned(),
                points: *points,
                detail: format!("{label} scored {score}"),
            });
        }
    }
    let score = contributions.iter().map(|c| c.points).sum();
    let level = LEVEL_FROM
        .iter()
        .find(|(_, from)| score >= *from)
        .map_or(AcuityLevel::Low, |(level, _)| *level);
    Acuity {
        score,
        level,
        contributions,
    }
}

// ---------------------------------------------------------------------------
// Alerts

/// An alert: a rule's finding someone must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub id: AlertId,
    pub rule: RuleCode,
    pub rule_version: i32,
    pub severity: Severity,
    pub subject: Subject,
    pub key: String,
    pub summary: String,
    pub facts: Vec<Fact>,
    pub state: AlertState,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<UserId>,
    pub snoozed_until: Option<NaiveDate>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<UserId>,
    pub resolution: Option<Resolution>,
    pub note: Option<String>,
    /// When it was escalated to the team's supervisors.
    pub escalated_at: Option<DateTime<Utc>>,
    /// When its facts stopped holding: until then no other alert opens for
    /// the same rule and key, even once resolved by hand.
    pub cleared_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Why a move on an alert was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    IllegalMove(#[from] IllegalMove),
    #[error("{0}")]
    Invalid(FieldErrors),
}

/// The longest an alert may be snoozed.
pub const MAX_SNOOZE_DAYS: u64 = 90;

impl Alert {
    /// A new open alert for `finding`, raised by `rule`.
    pub fn open(finding: Finding, rule: &Rule, now: DateTime<Utc>) -> Alert {
        Alert {
            id: AlertId::generate(),
            rule: finding.rule,
            rule_version: rule.version,
            severity: rule.settings.severity,
            subject: finding.subject,
            key: finding.key,
            summary: finding.summary,
            facts: finding.facts,
            state: AlertState::Open,
            opened_at: now,
            acknowledged_at: None,
            acknowledged_by: None,
            snoozed_until: None,
            resolved_at: None,
            resolved_by: None,
            resolution: None,
            note: None,
            escalated_at: None,
            cleared_at: None,
            updated_at: now,
            version: 1,
        }
    }

    pub fn client_id(&self) -> Option<ClientId> {
        match self.subject {
            Subject::Client(id) => Some(id),
            Subject::Staff(_) => None,
        }
    }

    pub fn staff_id(&self) -> Option<UserId> {
        match self.subject {
            Subject::Staff(id) => Some(id),
            Subject::Client(_) => None,
        }
    }

    fn check(&self, to: AlertState) -> Result<(), IllegalMove> {
        IllegalMove::check(self.state, to, &alert_moves(self.state))
    }

    /// Someone has seen it and is on it.
    pub fn acknowledge(&mut self, by: UserId, now: DateTime<Utc>) -> Result<(), AlertError> {
        self.check(AlertState::Acknowledged)?;
        self.state = AlertState::Acknowledged;
        self.acknowledged_at = Some(now);
        self.acknowledged_by = Some(by);
        self.snoozed_until = None;
        self.touch(now);
        Ok(())
    }

    /// Put aside until `until` (after today, at most 90 days ahead).
    pub fn snooze(
        &mut self,
        until: NaiveDate,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), AlertError> {
        self.check(AlertState::Snoozed)?;
        if until <= today || until > ahead(today, MAX_SNOOZE_DAYS as u32) {
            return Err(AlertError::Invalid(FieldErrors::single(
                "until",
                ValueError::new(
                    "out_of_range",
                    format!("must be after today and at most {MAX_SNOOZE_DAYS} days ahead"),
                ),
            )));
        }
        self.state = AlertState::Snoozed;
        self.snoozed_until = Some(until);
        self.touch(now);
        Ok(())
    }

    /// Resolved by a person, with a note saying what was done.
    pub fn resolve(
        &mut self,
        by: UserId,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<(), AlertError> {
        self.check(AlertState::Resolved)?;
        let note = note.trim().to_owned();
        if note.is_empty() || note.chars().count() > 2000 {
            return Err(AlertError::Invalid(FieldErrors::single(
                "note",
                ValueError::new("length", "say what was done, in 1 to 2000 characters"),
            )));
        }
        self.state = AlertState::Resolved;
        self.snoozed_until = None;
        self.resolved_at = Some(now);
        self.resolved_by = Some(by);
        self.resolution = Some(Resolution::ByHand);
        self.note = Some(note);
        self.touch(now);
        Ok(())
    }

    /// Its facts no longer hold: resolved (unless someone already did) and
    /// cleared, so the same facts appearing again open a new alert.
    pub fn clear(&mut self, now: DateTime<Utc>) {
        if self.state != AlertState::Resolved {
            self.state = AlertState::Resolved;
            self.snoozed_until = None;
            self.resolved_at = Some(now);
            self.resolution = Some(Resolution::FactsChanged);
        }
        self.cleared_at = Some(now);
        self.touch(now);
    }

    /// A snoozed alert whose day has come is open again.
    pub fn wake(&mut self, today: NaiveDate, now: DateTime<Utc>) -> bool {
        if self.state == AlertState::Snoozed && self.snoozed_until.is_some_and(|u| u <= today) {
            self.state = AlertState::Open;
            self.snoozed_until = None;
            self.touch(now);
            true
        } else {
            false
        }
    }

    /// Whether it is due to go to the supervisors: open (nobody answered),
    /// not yet escalated, and older than the rule's `hours`.
    pub fn escalation_due(&self, hours: Option<u32>, now: DateTime<Utc>) -> bool {
        let Some(hours) = hours else { return false };
        self.state == AlertState::Open
            && self.escalated_at.is_none()
            && now - self.opened_at >= chrono::Duration::hours(i64::from(hours))
    }

    pub fn escalate(&mut self, now: DateTime<Utc>) {
        self.escalated_at = Some(now);
        self.touch(now);
    }

    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

/// What evaluation changes: alerts to open and live alerts to clear.
#[derive(Debug, Default)]
pub struct Reconciled {
    pub open: Vec<Alert>,
    pub clear: Vec<Alert>,
}

/// Compares what was found with the alerts live for the same subjects
/// (`cleared_at` unset): a finding with no live alert for its rule and key
/// opens one; a live alert whose finding is gone is cleared. A live alert
/// with its finding still there stays as it is, whatever its state.
pub fn reconcile(
    rules: &RuleSet,
    findings: Vec<Finding>,
    live: Vec<Alert>,
    now: DateTime<Utc>,
) -> Reconciled {
    let found: BTreeSet<(RuleCode, String)> =
        findings.iter().map(|f| (f.rule, f.key.clone())).collect();
    let held: BTreeSet<(RuleCode, String)> = live.iter().map(|a| (a.rule, a.key.clone())).collect();
    let mut seen = BTreeSet::new();
    let open = findings
        .into_iter()
        .filter(|f| !held.contains(&(f.rule, f.key.clone())))
        .filter(|f| seen.insert((f.rule, f.key.clone())))
        .map(|f| {
            let rule = rules.get(f.rule);
            Alert::open(f, rule, now)
        })
        .collect();
    let clear = live
        .into_iter()
        .filter(|a| !found.contains(&(a.rule, a.key.clone())))
        .map(|mut a| {
            a.clear(now);
            a
        })
        .collect();
    Reconciled { open, clear }
}

#[cfg(test)]
mod tests;
