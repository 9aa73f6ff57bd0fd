//! Service plans, made with the client: goals per life domain in the
//! client's own words, tasks with a responsible party, a review date, the
//! client's agreement, an optional supervisor approval, and the rule that
//! activating a plan supersedes the active one.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::assessment::instrument_code;
use crate::error::{FieldErrors, ValueError};
use crate::ids::{
    CareTeamMemberId, ClientId, GoalId, NaturalSupportId, PlanId, ProgressNoteId, ReferralId,
    TaskId, UserId,
};
use crate::values::{LongText, ShortText};

text_enum!(
    /// Where a plan stands. Only one plan of a client is active at a time.
    PlanStatus, example = "active", {
        Draft => "draft",
        Active => "active",
        Completed => "completed",
        Superseded => "superseded",
    }
);
text_enum!(
    /// How the client agreed to the plan.
    AgreementMethod, example = "signed", {
        Signed => "signed",
        Verbal => "verbal",
    }
);
text_enum!(
    /// Where a supervisor's approval stands.
    ApprovalState, example = "approved", {
        Requested => "requested",
        Approved => "approved",
        Rejected => "rejected",
    }
);
text_enum!(
    /// Where a goal stands.
    GoalStatus, example = "active", {
        Proposed => "proposed",
        Active => "active",
        Achieved => "achieved",
        Abandoned => "abandoned",
    }
);
text_enum!(
    /// Where a task stands.
    TaskStatus, example = "open", {
        Open => "open",
        Done => "done",
        Cancelled => "cancelled",
    }
);
text_enum!(
    /// Who carries a task out.
    Responsible, example = "natural_support", {
        Client => "client",
        CaseManager => "case_manager",
        NaturalSupport => "natural_support",
        Provider => "provider",
        CareTeamMember => "care_team_member",
    }
);

/// The client's agreement to a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"agreed_on": "2026-11-20", "method": "signed"})))]
pub struct Agreement {
    pub agreed_on: NaiveDate,
    pub method: AgreementMethod,
}

/// A supervisor's approval of a plan, when the deployment requires one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "state": "rejected", "requested_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "requested_at": "2026-11-20T17:00:00Z",
    "decided_by": "01936b2e-4c00-7a11-8c22-1d2e3f4a5b6c", "decided_at": "2026-11-21T09:00:00Z",
    "reason": "Add a task for the housing application."
})))]
pub struct Approval {
    pub state: ApprovalState,
    pub requested_by: UserId,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

/// A task as it arrives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "what": "Drive Maria to the housing authority interview", "responsible": "natural_support",
    "natural_support_id": "01936b2f-2b00-7c11-8d22-3e4f5a6b7c8d", "due_on": "2026-12-05", "status": "open"
})))]
pub struct TaskInput {
    /// The task's id, to keep a task from the plan's previous version; absent for a new task.
    #[serde(default)]
    pub id: Option<TaskId>,
    pub what: String,
    pub responsible: Responsible,
    /// Who, by name: required when `responsible` is `provider`.
    #[serde(default)]
    pub responsible_name: Option<String>,
    /// Required when `responsible` is `natural_support`: one of the client's natural supports.
    #[serde(default)]
    pub natural_support_id: Option<NaturalSupportId>,
    /// Required when `responsible` is `care_team_member`: one of the client's care-team members.
    #[serde(default)]
    pub care_team_member_id: Option<CareTeamMemberId>,
    /// The client's referral this task follows up, if any.
    #[serde(default)]
    pub referral_id: Option<ReferralId>,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    #[serde(default = "open")]
    pub status: TaskStatus,
}

fn open() -> TaskStatus {
    TaskStatus::Open
}

/// A task, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "01936b31-3c00-7c11-8d22-3e4f5a6b7c8d", "what": "Drive Maria to the housing authority interview",
    "responsible": "natural_support", "responsible_name": null,
    "natural_support_id": "01936b2f-2b00-7c11-8d22-3e4f5a6b7c8d", "care_team_member_id": null,
    "referral_id": null, "due_on": "2026-12-05", "status": "open"
})))]
pub struct Task {
    pub id: TaskId,
    pub what: String,
    pub responsible: Responsible,
    pub responsible_name: Option<String>,
    pub natural_support_id: Option<NaturalSupportId>,
    pub care_team_member_id: Option<CareTeamMemberId>,
    /// The client's referral this task follows up.
    #[serde(default)]
    pub referral_id: Option<ReferralId>,
    pub due_on: Option<NaiveDate>,
    pub status: TaskStatus,
}

/// A goal as it arrives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "domain": "housing", "in_own_words": "I want my own place where my grandkids can visit.",
    "target": "Signed lease on a one-bedroom apartment", "target_date": "2027-03-01", "status": "active",
    "tasks": [{"what": "Apply for the housing choice voucher", "responsible": "case_manager", "due_on": "2026-12-01"}]
})))]
pub struct GoalInput {
    /// The goal's id, to keep a goal from the plan's previous version; absent for a new goal.
    #[serde(default)]
    pub id: Option<GoalId>,
    /// The life domain, as an instrument's domain code (`housing`, `income`, ...).
    pub domain: String,
    /// The goal in the client's own words.
    pub in_own_words: String,
    /// How everyone will know it was reached.
    pub target: String,
    #[serde(default)]
    pub target_date: Option<NaiveDate>,
    #[serde(default = "proposed")]
    pub status: GoalStatus,
    /// Required when `status` is `abandoned`.
    #[serde(default)]
    pub abandoned_reason: Option<String>,
    #[serde(default)]
    pub tasks: Vec<TaskInput>,
}

fn proposed() -> GoalStatus {
    GoalStatus::Proposed
}

/// A goal, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "01936b31-2b00-7c11-8d22-3e4f5a6b7c8d", "domain": "housing",
    "in_own_words": "I want my own place where my grandkids can visit.",
    "target": "Signed lease on a one-bedroom apartment", "target_date": "2027-03-01", "status": "active",
    "abandoned_reason": null, "tasks": []
})))]
pub struct Goal {
    pub id: GoalId,
    pub domain: String,
    pub in_own_words: String,
    pub target: String,
    pub target_date: Option<NaiveDate>,
    pub status: GoalStatus,
    pub abandoned_reason: Option<String>,
    pub tasks: Vec<Task>,
}

/// A plan's content as it arrives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "effective_on": "2026-11-20", "review_due_on": "2027-02-20",
    "agreement": {"agreed_on": "2026-11-20", "method": "signed"},
    "goals": [{
        "domain": "housing", "in_own_words": "I want my own place where my grandkids can visit.",
        "target": "Signed lease on a one-bedroom apartment", "target_date": "2027-03-01", "status": "active",
        "tasks": [{"what": "Apply for the housing choice voucher", "responsible": "case_manager", "due_on": "2026-12-01"}]
    }]
})))]
pub struct PlanInput {
    pub effective_on: NaiveDate,
    /// When the plan is next reviewed with the client.
    pub review_due_on: NaiveDate,
    /// The client's agreement; required to activate the plan.
    #[serde(default)]
    pub agreement: Option<Agreement>,
    #[serde(default)]
    pub goals: Vec<GoalInput>,
}

/// A plan's content, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanContent {
    pub effective_on: NaiveDate,
    pub review_due_on: NaiveDate,
    pub agreement: Option<Agreement>,
    pub goals: Vec<Goal>,
}

impl PlanContent {
    /// Every task, with its goal.
    pub fn tasks(&self) -> impl Iterator<Item = (&Goal, &Task)> {
        self.goals
            .iter()
            .flat_map(|g| g.tasks.iter().map(move |t| (g, t)))
    }

    /// The natural supports and care-team members its tasks name.
    pub fn named_people(&self) -> (BTreeSet<NaturalSupportId>, BTreeSet<CareTeamMemberId>) {
        let supports = self
            .tasks()
            .filter_map(|(_, t)| t.natural_support_id)
            .collect();
        let members = self
            .tasks()
            .filter_map(|(_, t)| t.care_team_member_id)
            .collect();
        (supports, members)
    }

    /// The referrals its tasks follow up.
    pub fn referrals(&self) -> BTreeSet<ReferralId> {
        self.tasks().filter_map(|(_, t)| t.referral_id).collect()
    }
}

fn text(field: &str, raw: &str, errors: &mut FieldErrors) -> Option<String> {
    errors
        .check(field, ShortText::parse(raw))
        .map(|t| t.to_string())
}

impl PlanInput {
    /// Checks the content; goal and task ids given must be those of
    /// `previous` (the plan's current content), and new ones are made.
    pub fn parse(self, previous: Option<&PlanContent>) -> Result<PlanContent, FieldErrors> {
        let mut errors = FieldErrors::default();
        if self.review_due_on < self.effective_on {
            errors.push(
                "review_due_on",
                ValueError::new("before_effective", "must not be before effective_on"),
            );
        }
        let known_goals: BTreeSet<GoalId> = previous
            .map(|p| p.goals.iter().map(|g| g.id).collect())
            .unwrap_or_default();
        let known_tasks: BTreeSet<TaskId> = previous
            .map(|p| p.tasks().map(|(_, t)| t.id).collect())
            .unwrap_or_default();
        let mut seen_goals = BTreeSet::new();
        let mut seen_tasks = BTreeSet::new();
        let mut goals = Vec::new();
        for (n, goal) in self.goals.into_iter().enumerate() {
            let at = |field: &str| format!("goals[{n}].{field}");
            let id = match goal.id {
                Some(id) if !known_goals.contains(&id) => {
                    errors.push(
                        &at("id"),
                        ValueError::new("unknown_goal", "the plan has no goal with this id"),
                    );
                    id
                }
                Some(id) => id,
                None => GoalId::generate(),
            };
            if !seen_goals.insert(id) {
                errors.push(&at("id"), ValueError::new("duplicate", "appears twice"));
            }
            let domain = errors.check(&at("domain"), instrument_code(&goal.domain));
            let own_words = errors
                .check(&at("in_own_words"), LongText::parse(&goal.in_own_words))
                .map(|t| t.as_str().to_owned());
            let target = text(&at("target"), &goal.target, &mut errors);
            let reason = match (goal.status, goal.abandoned_reason.as_deref()) {
                (GoalStatus::Abandoned, None) => {
                    errors.push(
                        &at("abandoned_reason"),
                        ValueError::new("required", "an abandoned goal needs a reason"),
                    );
                    None
                }
                (GoalStatus::Abandoned, Some(raw)) => {
                    text(&at("abandoned_reason"), raw, &mut errors)
                }
                (_, Some(_)) => {
                    errors.push(
                        &at("abandoned_reason"),
                        ValueError::new("not_allowed", "only an abandoned goal has a reason"),
                    );
                    None
                }
                (_, None) => None,
            };
            let mut tasks = Vec::new();
            for (m, task) in goal.tasks.into_iter().enumerate() {
                let at = |field: &str| format!("goals[{n}].tasks[{m}].{field}");
                let id = match task.id {
                    Some(id) if !known_tasks.contains(&id) => {
                        errors.push(
                            &at("id"),
                            ValueError::new("unknown_task", "the plan has no task with this id"),
                        );
                        id
                    }
                    Some(id) => id,
                    None => TaskId::generate(),
                };
                if !seen_tasks.insert(id) {
                    errors.push(&at("id"), ValueError::new("duplicate", "appears twice"));
                }
                let what = text(&at("what"), &task.what, &mut errors);
                let name = errors.check_opt(
                    &at("responsible_name"),
                    task.responsible_name.as_deref(),
                    ShortText::parse,
                );
                let needs = |given: bool, field: &str, errors: &mut FieldErrors| {
                    if !given {
                        errors.push(
                            &at(field),
                            ValueError::new(
                                "required",
                                format!(
                                    "is required when responsible is {}",
                                    task.responsible.as_str()
                                ),
                            ),
                        );
                    }
                };
                match task.responsible {
                    Responsible::Provider => needs(name.is_some(), "responsible_name", &mut errors),
                    Responsible::NaturalSupport => needs(
                        task.natural_support_id.is_some(),
                        "natural_support_id",
                        &mut errors,
                    ),
                    Responsible::CareTeamMember => needs(
                        task.care_team_member_id.is_some(),
                        "care_team_member_id",
                        &mut errors,
                    ),
                    Responsible::Client | Responsible::CaseManager => {}
                }
                if task.natural_support_id.is_some()
                    && task.responsible != Responsible::NaturalSupport
                {
                    errors.push(
                        &at("natural_support_id"),
                        ValueError::new("not_allowed", "only for a natural support's task"),
                    );
                }
                if task.care_team_member_id.is_some()
                    && task.responsible != Responsible::CareTeamMember
                {
                    errors.push(
                        &at("care_team_member_id"),
                        ValueError::new("not_allowed", "only for a care-team member's task"),
                    );
                }
                if let Some(what) = what {
                    tasks.push(Task {
                        id,
                        what,
                        responsible: task.responsible,
                        responsible_name: name.map(|n| n.to_string()),
                        natural_support_id: task.natural_support_id,
                        care_team_member_id: task.care_team_member_id,
                        referral_id: task.referral_id,
                        due_on: task.due_on,
                        status: task.status,
                    });
                }
            }
            if let (Some(domain), Some(in_own_words), Some(target)) = (domain, own_words, target) {
                goals.push(Goal {
                    id,
                    domain,
                    in_own_words,
                    target,
                    target_date: goal.target_date,
                    status: goal.status,
                    abandoned_reason: reason,
                    tasks,
                });
            }
        }
        errors.finish(|| {
            Some(PlanContent {
                effective_on: self.effective_on,
                review_due_on: self.review_due_on,
                agreement: self.agreement,
                goals,
            })
        })
    }
}

/// Why a plan may not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("a {0} plan cannot be changed")]
    Closed(&'static str),
    #[error("only a draft plan can be {0}")]
    NotDraft(&'static str),
    #[error("only an active plan can be completed")]
    NotActive,
    #[error("the plan needs a supervisor's approval before it becomes active")]
    ApprovalRequired,
    #[error("no approval is pending for this plan")]
    NoApprovalPending,
    #[error(
        "the client's active plan changed since this draft was made or last revised; revise the draft, then activate it"
    )]
    ActiveChanged,
    #[error("{0}")]
    Invalid(FieldErrors),
}

fn invalid(field: &str, code: &'static str, message: &str) -> PlanError {
    PlanError::Invalid(FieldErrors::single(field, ValueError::new(code, message)))
}

/// A client's service plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: PlanId,
    pub client_id: ClientId,
    pub status: PlanStatus,
    pub content: PlanContent,
    pub approval: Option<Approval>,
    /// The plan this one replaces: for a draft, the plan that was active
    /// when it was made or last revised; activation refuses if another is
    /// active by then, so two activations at once cannot both win.
    pub supersedes: Option<PlanId>,
    pub activated_at: Option<DateTime<Utc>>,
    /// When it was completed or superseded.
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Plan {
    /// A draft made while `active` is the client's active plan.
    pub fn new(
        client_id: ClientId,
        content: PlanContent,
        active: Option<PlanId>,
        author: UserId,
        now: DateTime<Utc>,
    ) -> Self {
        Plan {
            id: PlanId::generate(),
            client_id,
            status: PlanStatus::Draft,
            content,
            approval: None,
            supersedes: active,
            activated_at: None,
            closed_at: None,
            created_by: author,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Replaces the content of a draft or active plan, `active` being the
    /// client's active plan now. Goals of an active plan are abandoned, never
    /// removed; changing a draft voids an approval and bases it on `active`.
    pub fn revise(
        &mut self,
        content: PlanContent,
        active: Option<PlanId>,
        now: DateTime<Utc>,
    ) -> Result<(), PlanError> {
        match self.status {
            PlanStatus::Draft => {
                self.approval = None;
                self.supersedes = active;
            }
            PlanStatus::Active => {
                let kept: BTreeSet<GoalId> = content.goals.iter().map(|g| g.id).collect();
                if let Some(gone) = self.content.goals.iter().find(|g| !kept.contains(&g.id)) {
                    return Err(invalid(
                        "goals",
                        "goal_removed",
                        &format!(
                            "goal {} of an active plan is abandoned with a reason, not removed",
                            gone.id
                        ),
                    ));
                }
            }
            PlanStatus::Completed | PlanStatus::Superseded => {
                return Err(PlanError::Closed(self.status.as_str()));
            }
        }
        self.content = content;
        self.touch(now);
        Ok(())
    }

    /// Asks a supervisor to approve this draft.
    pub fn request_approval(&mut self, by: UserId, now: DateTime<Utc>) -> Result<(), PlanError> {
        if self.status != PlanStatus::Draft {
            return Err(PlanError::NotDraft("sent for approval"));
        }
        self.approval = Some(Approval {
            state: ApprovalState::Requested,
            requested_by: by,
            requested_at: now,
            decided_by: None,
            decided_at: None,
            reason: None,
        });
        self.touch(now);
        Ok(())
    }

    /// A supervisor's decision on a pending approval; a rejection needs a reason.
    pub fn decide(
        &mut self,
        approve: bool,
        reason: Option<String>,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), PlanError> {
        let pending = self.status == PlanStatus::Draft
            && self
                .approval
                .as_ref()
                .is_some_and(|a| a.state == ApprovalState::Requested);
        if !pending {
            return Err(PlanError::NoApprovalPending);
        }
        let reason = match (approve, reason.as_deref().map(str::trim)) {
            (false, None | Some("")) => {
                return Err(invalid("reason", "required", "a rejection needs a reason"));
            }
            (_, Some(raw)) if !raw.is_empty() => Some(
                ShortText::parse(raw)
                    .map_err(|e| PlanError::Invalid(FieldErrors::single("reason", e)))?
                    .to_string(),
            ),
            _ => None,
        };
        if let Some(approval) = &mut self.approval {
            approval.state = if approve {
                ApprovalState::Approved
            } else {
                ApprovalState::Rejected
            };
            approval.decided_by = Some(by);
            approval.decided_at = Some(now);
            approval.reason = reason;
        }
        self.touch(now);
        Ok(())
    }

    /// Makes this draft the client's active plan, superseding `current`
    /// (the active plan, if any), which must be the one the draft was based
    /// on. The client must have agreed; when the deployment requires it, a
    /// supervisor must have approved.
    pub fn activate(
        &mut self,
        current: Option<&mut Plan>,
        approval_required: bool,
        now: DateTime<Utc>,
    ) -> Result<(), PlanError> {
        if self.status != PlanStatus::Draft {
            return Err(PlanError::NotDraft("activated"));
        }
        if self.content.agreement.is_none() {
            return Err(invalid(
                "agreement",
                "required",
                "the client's agreement is required to activate a plan",
            ));
        }
        let approved = self
            .approval
            .as_ref()
            .is_some_and(|a| a.state == ApprovalState::Approved);
        if approval_required && !approved {
            return Err(PlanError::ApprovalRequired);
        }
        if current.as_ref().map(|c| c.id) != self.supersedes {
            return Err(PlanError::ActiveChanged);
        }
        if let Some(current) = current {
            current.status = PlanStatus::Superseded;
            current.closed_at = Some(now);
            current.touch(now);
        }
        self.status = PlanStatus::Active;
        self.activated_at = Some(now);
        self.touch(now);
        Ok(())
    }

    /// Closes an active plan whose work is done.
    pub fn complete(&mut self, now: DateTime<Utc>) -> Result<(), PlanError> {
        if self.status != PlanStatus::Active {
            return Err(PlanError::NotActive);
        }
        self.status = PlanStatus::Completed;
        self.closed_at = Some(now);
        self.touch(now);
        Ok(())
    }

    /// Whether the plan is active and its review date has passed.
    pub fn review_overdue(&self, today: NaiveDate) -> bool {
        self.status == PlanStatus::Active && self.content.review_due_on < today
    }

    pub(crate) fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

/// A progress note on a goal: append-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "01936b31-4d00-7c11-8d22-3e4f5a6b7c8d", "goal_id": "01936b31-2b00-7c11-8d22-3e4f5a6b7c8d",
    "author_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "written_at": "2026-12-02T15:30:00Z",
    "text": "Voucher application submitted; interview on December 5."
})))]
pub struct ProgressNote {
    pub id: ProgressNoteId,
    pub goal_id: GoalId,
    pub author_id: UserId,
    pub written_at: DateTime<Utc>,
    pub text: String,
}

/// Groups notes by goal, oldest first within each.
pub fn notes_by_goal(notes: Vec<ProgressNote>) -> BTreeMap<GoalId, Vec<ProgressNote>> {
    let mut by_goal: BTreeMap<GoalId, Vec<ProgressNote>> = BTreeMap::new();
    for note in notes {
        by_goal.entry(note.goal_id).or_default().push(note);
    }
    for notes in by_goal.values_mut() {
        notes.sort_by_key(|n| n.written_at);
    }
    by_goal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn task(responsible: Responsible) -> TaskInput {
        TaskInput {
            id: None,
            what: "Apply for the voucher".into(),
            responsible,
            responsible_name: None,
            natural_support_id: None,
            care_team_member_id: None,
            referral_id: None,
            due_on: Some(day(12, 1)),
            status: TaskStatus::Open,
        }
    }

    fn goal(tasks: Vec<TaskInput>) -> GoalInput {
        GoalInput {
            id: None,
            domain: "housing".into(),
            in_own_words: "My own place".into(),
            target: "A signed lease".into(),
            target_date: None,
            status: GoalStatus::Active,
            abandoned_reason: None,
            tasks,
        }
    }

    fn input(goals: Vec<GoalInput>) -> PlanInput {
        PlanInput {
            effective_on: day(11, 20),
            review_due_on: day(12, 20),
            agreement: Some(Agreement {
                agreed_on: day(11, 20),
                method: AgreementMethod::Signed,
            }),
            goals,
        }
    }

    fn plan(content: PlanContent) -> Plan {
        Plan::new(
            ClientId::generate(),
            content,
            None,
            UserId::generate(),
            Utc::now(),
        )
    }

    #[test]
    fn tasks_name_who_does_them_and_every_error_is_reported() {
        let mut abandoned = goal(vec![
            task(Responsible::Provider),
            task(Responsible::NaturalSupport),
            TaskInput {
                care_team_member_id: Some(CareTeamMemberId::generate()),
                ..task(Responsible::Client)
            },
        ]);
        abandoned.status = GoalStatus::Abandoned;
        let mut bad = input(vec![abandoned]);
        bad.review_due_on = day(11, 1);
        let err = bad.parse(None).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "review_due_on",
                "goals[0].abandoned_reason",
                "goals[0].tasks[0].responsible_name",
                "goals[0].tasks[1].natural_support_id",
                "goals[0].tasks[2].care_team_member_id",
            ]
        );
    }

    #[test]
    fn ids_are_kept_from_the_previous_version_and_unknown_ones_refused() {
        let first = input(vec![goal(vec![task(Responsible::Client)])])
            .parse(None)
            .unwrap();
        let goal_id = first.goals[0].id;
        let task_id = first.goals[0].tasks[0].id;
        let mut kept = goal(vec![TaskInput {
            id: Some(task_id),
            ..task(Responsible::Client)
        }]);
        kept.id = Some(goal_id);
        let second = input(vec![kept, goal(vec![])]).parse(Some(&first)).unwrap();
        assert_eq!(second.goals[0].id, goal_id);
        assert_eq!(second.goals[0].tasks[0].id, task_id);
        assert_ne!(second.goals[1].id, goal_id);
        let mut stranger = goal(vec![]);
        stranger.id = Some(GoalId::generate());
        let err = input(vec![stranger]).parse(Some(&first)).unwrap_err();
        assert_eq!(err.0[0].code, "unknown_goal");
    }

    #[test]
    fn activation_supersedes_the_active_plan_and_needs_agreement_and_approval() {
        let content = input(vec![goal(vec![])]).parse(None).unwrap();
        let mut old = plan(content.clone());
        old.activate(None, false, Utc::now()).unwrap();
        assert_eq!(old.status, PlanStatus::Active);

        let mut unsigned = plan(PlanContent {
            agreement: None,
            ..content.clone()
        });
        assert!(matches!(
            unsigned.activate(Some(&mut old), false, Utc::now()),
            Err(PlanError::Invalid(_))
        ));
        assert_eq!(old.status, PlanStatus::Active, "nothing changed");

        let mut new = plan(content.clone());
        new.supersedes = Some(old.id);
        assert_eq!(
            new.activate(Some(&mut old), true, Utc::now()),
            Err(PlanError::ApprovalRequired)
        );
        let supervisor = UserId::generate();
        assert_eq!(
            new.decide(true, None, supervisor, Utc::now()),
            Err(PlanError::NoApprovalPending)
        );
        new.request_approval(new.created_by, Utc::now()).unwrap();
        assert!(matches!(
            new.decide(false, Some("  ".into()), supervisor, Utc::now()),
            Err(PlanError::Invalid(_))
        ));
        new.decide(
            false,
            Some("Add a housing task".into()),
            supervisor,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(
            new.activate(Some(&mut old), true, Utc::now()),
            Err(PlanError::ApprovalRequired)
        );
        new.request_approval(new.created_by, Utc::now()).unwrap();
        new.decide(true, None, supervisor, Utc::now()).unwrap();
        // Changing an approved draft voids the approval.
        let mut changed = new.clone();
        changed
            .revise(content.clone(), Some(old.id), Utc::now())
            .unwrap();
        assert_eq!(changed.approval, None);
        new.activate(Some(&mut old), true, Utc::now()).unwrap();
        assert_eq!(
            (new.status, old.status),
            (PlanStatus::Active, PlanStatus::Superseded)
        );
        assert_eq!(new.supersedes, Some(old.id));
        assert_eq!(
            old.revise(content.clone(), None, Utc::now()),
            Err(PlanError::Closed("superseded"))
        );
        assert_eq!(
            new.activate(None, false, Utc::now()),
            Err(PlanError::NotDraft("activated"))
        );
    }

    #[test]
    fn an_active_plan_abandons_goals_rather_than_dropping_them() {
        let content = input(vec![goal(vec![]), goal(vec![])]).parse(None).unwrap();
        let mut p = plan(content.clone());
        p.activate(None, false, Utc::now()).unwrap();
        let fewer = PlanContent {
            goals: vec![content.goals[0].clone()],
            ..content.clone()
        };
        assert!(matches!(
            p.revise(fewer, None, Utc::now()),
            Err(PlanError::Invalid(_))
        ));
        let mut abandoned = content.clone();
        abandoned.goals[1].status = GoalStatus::Abandoned;
        abandoned.goals[1].abandoned_reason = Some("Moved in with family".into());
        p.revise(abandoned, None, Utc::now()).unwrap();
        p.complete(Utc::now()).unwrap();
        assert_eq!(p.complete(Utc::now()), Err(PlanError::NotActive));
    }

    #[test]
    fn a_draft_activates_only_over_the_plan_it_was_based_on() {
        let content = input(vec![]).parse(None).unwrap();
        // Two drafts made while no plan was active: the first to activate wins.
        let mut first = plan(content.clone());
        let mut second = plan(content.clone());
        first.activate(None, false, Utc::now()).unwrap();
        assert_eq!(
            second.activate(Some(&mut first), false, Utc::now()),
            Err(PlanError::ActiveChanged)
        );
        assert_eq!(
            first.status,
            PlanStatus::Active,
            "the loser changes nothing"
        );
        // Revising the second bases it on the plan active now.
        second.revise(content, Some(first.id), Utc::now()).unwrap();
        second
            .activate(Some(&mut first), false, Utc::now())
            .unwrap();
        assert_eq!(first.status, PlanStatus::Superseded);
    }

    #[test]
    fn the_review_is_overdue_only_for_an_active_plan_past_its_date() {
        let content = input(vec![]).parse(None).unwrap();
        let mut p = plan(content);
        assert!(!p.review_overdue(day(12, 21)), "a draft is never overdue");
        p.activate(None, false, Utc::now()).unwrap();
        assert!(!p.review_overdue(day(12, 20)));
        assert!(p.review_overdue(day(12, 21)));
    }
}
