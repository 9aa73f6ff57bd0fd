//! Alerts, their rules and the acuity score over HTTP: each handler parses
//! the request, runs one use case of [`crate::usecases::alerts`] and shapes
//! the answer.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::alert::{
    Acuity, AcuityLevel, Alert, AlertState, Contribution, RecordKind, Resolution, Rule, RuleCode,
    RuleSettings, Severity, Subject, alert_moves,
};
use spoke_domain::ids::{AlertId, ClientId, TeamId, UserId};
use spoke_persistence::alerts::AlertFilter;
use spoke_persistence::page::Keyset;
use utoipa::{IntoParams, ToSchema};

use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IfMatch, etag, page_request};
use crate::openapi::Forbidden;
use crate::problem::ApiError;
use crate::routes::referrals::IllegalMoveProblem;
use crate::routes::{Page, ok_with_etag};
use crate::state::AppState;
use crate::usecases::alerts::{self as usecases, Answer};

/// A record a fact points at, with its URL.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "kind": "critical_event", "id": "01936b40-1a00-7c11-8d22-3e4f5a6b7c8d",
    "href": "/v1/clients/01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10/critical-events/01936b40-1a00-7c11-8d22-3e4f5a6b7c8d"
}))]
pub struct RecordLink {
    pub kind: RecordKind,
    pub id: String,
    pub href: String,
}

/// One fact that made the rule fire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "text": "Emergency department visit on 2026-11-25",
    "record": {"kind": "critical_event", "id": "01936b40-1a00-7c11-8d22-3e4f5a6b7c8d",
               "href": "/v1/clients/01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10/critical-events/01936b40-1a00-7c11-8d22-3e4f5a6b7c8d"}
}))]
pub struct FactView {
    pub text: String,
    pub record: Option<RecordLink>,
}

/// The URL of a record a fact points at.
fn href(kind: RecordKind, id: &str, subject: Subject) -> String {
    let client = match subject {
        Subject::Client(c) => c.to_string(),
        Subject::Staff(_) => String::new(),
    };
    match kind {
        RecordKind::Client => format!("/v1/clients/{id}"),
        RecordKind::Contact => format!("/v1/clients/{client}/contacts/{id}"),
        RecordKind::Appointment => format!("/v1/clients/{client}/appointments/{id}"),
        RecordKind::Assessment => format!("/v1/clients/{client}/assessments/{id}"),
        RecordKind::CriticalEvent => format!("/v1/clients/{client}/critical-events/{id}"),
        RecordKind::Referral => format!("/v1/referrals/{id}"),
        RecordKind::Plan => format!("/v1/clients/{client}/plans/{id}"),
        RecordKind::BenefitApplication => {
            format!("/v1/clients/{client}/benefit-applications/{id}")
        }
        RecordKind::Consent => format!("/v1/clients/{client}/consents"),
        RecordKind::Staff => format!("/v1/users/{id}"),
    }
}

/// An early-warning alert.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b50-1a00-7c11-8d22-3e4f5a6b7c8d", "rule": "critical_event", "rule_version": 1,
    "severity": "high", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "staff_id": null,
    "summary": "Emergency department visit on 2026-11-25",
    "facts": [{"text": "Emergency department visit on 2026-11-25",
               "record": {"kind": "critical_event", "id": "01936b40-1a00-7c11-8d22-3e4f5a6b7c8d",
                          "href": "/v1/clients/01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10/critical-events/01936b40-1a00-7c11-8d22-3e4f5a6b7c8d"}}],
    "state": "open", "allowed_moves": ["acknowledged", "snoozed", "resolved"],
    "opened_at": "2026-11-26T08:00:00Z", "acknowledged_at": null, "acknowledged_by": null,
    "snoozed_until": null, "resolved_at": null, "resolved_by": null, "resolution": null, "note": null,
    "escalated_at": null, "updated_at": "2026-11-26T08:00:00Z", "version": 1
}))]
pub struct AlertView {
    pub id: AlertId,
    pub rule: RuleCode,
    /// The version of the rule that raised it.
    pub rule_version: i32,
    pub severity: Severity,
    /// The client it is about; null for an alert about a staff member.
    pub client_id: Option<ClientId>,
    /// The staff member it is about (a caseload over its limit).
    pub staff_id: Option<UserId>,
    pub summary: String,
    /// The facts that made the rule fire, with links to them.
    pub facts: Vec<FactView>,
    pub state: AlertState,
    /// What a person may do with it now.
    pub allowed_moves: Vec<AlertState>,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<UserId>,
    /// While snoozed: the day it comes back open.
    pub snoozed_until: Option<NaiveDate>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it by hand; null when its facts changed.
    pub resolved_by: Option<UserId>,
    pub resolution: Option<Resolution>,
    /// What was done, when resolved by hand.
    pub note: Option<String>,
    /// When it went to the team's supervisors, unanswered.
    pub escalated_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl From<&Alert> for AlertView {
    fn from(a: &Alert) -> Self {
        AlertView {
            id: a.id,
            rule: a.rule,
            rule_version: a.rule_version,
            severity: a.severity,
            client_id: a.client_id(),
            staff_id: a.staff_id(),
            summary: a.summary.clone(),
            facts: a
                .facts
                .iter()
                .map(|f| FactView {
                    text: f.text.clone(),
                    record: f.record.as_ref().map(|r| RecordLink {
                        kind: r.kind,
                        id: r.id.clone(),
                        href: href(r.kind, &r.id, a.subject),
                    }),
                })
                .collect(),
            state: a.state,
            allowed_moves: alert_moves(a.state),
            opened_at: a.opened_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
            snoozed_until: a.snoozed_until,
            resolved_at: a.resolved_at,
            resolved_by: a.resolved_by,
            resolution: a.resolution,
            note: a.note.clone(),
            escalated_at: a.escalated_at,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

/// Filters for the alert list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertSearch {
    /// Only alerts about this client.
    pub client_id: Option<ClientId>,
    /// Only alerts about this team's clients and staff.
    pub team_id: Option<TeamId>,
    /// Only alerts about this case manager's clients, and about them.
    pub case_manager_id: Option<UserId>,
    pub rule: Option<RuleCode>,
    pub severity: Option<Severity>,
    /// Only alerts in this state. Without it: every state but resolved.
    pub state: Option<AlertState>,
    /// Only escalated alerts (true), or only those not escalated (false).
    pub escalated: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List alerts.
///
/// The alerts the caller sees, newest first: an admin every one; a supervisor those about the team's clients
/// and staff; a case manager those about the team's clients and about themselves. Care-team members and
/// billing staff see none (an empty list). Without `state`, resolved alerts are left out.
#[utoipa::path(
    tag = "alerts", operation_id = "list_alerts", params(AlertSearch),
    responses((status = 200, description = "A page of alerts.", body = Page<AlertView>)),
    security(("bearer" = []))
)]
#[get("/alerts")]
pub async fn list_alerts(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<AlertSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0;
    let (limit, after) = page_request::<Keyset>(search.limit, search.cursor.as_deref())?;
    let filter = AlertFilter {
        client: search.client_id,
        team: search.team_id,
        case_manager: search.case_manager_id,
        rule: search.rule,
        severity: search.severity,
        states: match search.state {
            Some(one) => vec![one],
            None => vec![
                AlertState::Open,
                AlertState::Acknowledged,
                AlertState::Snoozed,
            ],
        },
        escalated: search.escalated,
    };
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list(tx, cx, filter, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |a| AlertView::from(a))))
}

/// Get an alert.
///
/// Whoever sees it (see `list_alerts`); another's is a 404.
#[utoipa::path(
    tag = "alerts", operation_id = "get_alert",
    params(("alert_id" = AlertId, Path, description = "The alert's id")),
    responses((status = 200, description = "The alert.", body = AlertView, headers(("ETag" = String, description = "Its version")))),
    security(("bearer" = []))
)]
#[get("/alerts/{alert_id}")]
pub async fn get_alert(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AlertId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let alert = state
        .read_as(caller, move |tx, cx| usecases::get(tx, cx, id))
        .await?;
    Ok(ok_with_etag(alert.version, &AlertView::from(&alert)))
}

async fn answer(
    state: web::Data<AppState>,
    caller: Caller,
    id: AlertId,
    if_match: IfMatch,
    answer: Answer,
) -> Result<HttpResponse, ApiError> {
    let alert = state
        .write_as(caller, move |tx, cx| {
            usecases::answer(tx, cx, id, &if_match, answer)
        })
        .await?;
    Ok(ok_with_etag(alert.version, &AlertView::from(&alert)))
}

/// Acknowledge an alert.
///
/// Someone has seen it and is on it: it stops counting as unanswered (no escalation). With its ETag in
/// If-Match. Whoever keeps the client's care record (its case manager, the team's supervisors, admins); for
/// an alert about a caseload, the team's supervisors and admins.
#[utoipa::path(
    tag = "alerts", operation_id = "acknowledge_alert",
    params(("alert_id" = AlertId, Path, description = "The alert's id"), IfMatch),
    responses(
        (status = 200, description = "The alert, acknowledged.", body = AlertView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The alert is resolved or already acknowledged.", body = IllegalMoveProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/alerts/{alert_id}/acknowledge")]
pub async fn acknowledge_alert(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AlertId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    answer(
        state,
        caller,
        id.into_inner(),
        if_match,
        Answer::Acknowledge,
    )
    .await
}

/// Put an alert aside until a day.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"until": "2026-12-05"}))]
pub struct SnoozeInput {
    /// The day it comes back open: after today, at most 90 days ahead.
    pub until: NaiveDate,
}

/// Snooze an alert.
///
/// Put aside until `until`; the sweep opens it again that day if its facts still hold. With its ETag in
/// If-Match. Who may acknowledge it.
#[utoipa::path(
    tag = "alerts", operation_id = "snooze_alert", request_body = SnoozeInput,
    params(("alert_id" = AlertId, Path, description = "The alert's id"), IfMatch),
    responses(
        (status = 200, description = "The alert, snoozed.", body = AlertView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The alert is resolved.", body = IllegalMoveProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/alerts/{alert_id}/snooze")]
pub async fn snooze_alert(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AlertId>,
    if_match: IfMatch,
    body: ApiJson<SnoozeInput>,
) -> Result<HttpResponse, ApiError> {
    let until = body.value.until;
    answer(
        state,
        caller,
        id.into_inner(),
        if_match,
        Answer::Snooze { until },
    )
    .await
}

/// Resolve an alert by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "Called her: she was discharged to her sister's and has a visit on Friday."}))]
pub struct ResolveInput {
    /// What was done, 1 to 2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub note: String,
}

/// Resolve an alert.
///
/// With a note saying what was done. While the same facts hold, no new alert opens for them; once they change
/// and come back, one does. With its ETag in If-Match. Who may acknowledge it.
#[utoipa::path(
    tag = "alerts", operation_id = "resolve_alert", request_body = ResolveInput,
    params(("alert_id" = AlertId, Path, description = "The alert's id"), IfMatch),
    responses(
        (status = 200, description = "The alert, resolved.", body = AlertView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, description = "The alert is already resolved.", body = IllegalMoveProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/alerts/{alert_id}/resolve")]
pub async fn resolve_alert(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AlertId>,
    if_match: IfMatch,
    body: ApiJson<ResolveInput>,
) -> Result<HttpResponse, ApiError> {
    let note = body.value.note;
    answer(
        state,
        caller,
        id.into_inner(),
        if_match,
        Answer::Resolve { note },
    )
    .await
}

/// One version of an alert rule.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "code": "missed_appointments", "version": 2,
    "description": "`count` or more appointments marked missed within the last `days` days.",
    "takes": ["count", "days"],
    "settings": {"enabled": true, "severity": "high", "escalate_after_hours": 48, "params": {"count": 2, "days": 30}},
    "changed_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "changed_at": "2026-11-20T16:00:00Z"
}))]
pub struct RuleView {
    pub code: RuleCode,
    /// 1 is the version shipped; each change an admin makes is the next.
    pub version: i32,
    /// What the rule watches for.
    pub description: &'static str,
    /// The thresholds (`params`) it takes.
    pub takes: Vec<&'static str>,
    pub settings: RuleSettings,
    /// Who made this version; null for the one shipped.
    pub changed_by: Option<UserId>,
    pub changed_at: Option<DateTime<Utc>>,
}

impl From<&Rule> for RuleView {
    fn from(r: &Rule) -> Self {
        RuleView {
            code: r.code,
            version: r.version,
            description: r.code.description(),
            takes: r.code.params().iter().map(|p| p.name()).collect(),
            settings: r.settings.clone(),
            changed_by: r.changed_by,
            changed_at: r.changed_at,
        }
    }
}

/// Rule versions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "code": "no_contact", "version": 1,
    "description": "No contact that saw the client for more days than `days_by_acuity` allows at the client's acuity level.",
    "takes": ["days_by_acuity"],
    "settings": {"enabled": true, "severity": "medium", "escalate_after_hours": null,
                 "params": {"days_by_acuity": {"low": 30, "moderate": 14, "high": 7}}},
    "changed_by": null, "changed_at": null
}]}))]
pub struct RuleList {
    pub items: Vec<RuleView>,
}

/// List the alert rules.
///
/// Every rule in force, at its newest version: what it watches for, its thresholds, its severity and when
/// unanswered alerts escalate. Any signed-in staff member.
#[utoipa::path(
    tag = "alerts", operation_id = "list_alert_rules",
    responses((status = 200, description = "The rules in force.", body = RuleList)),
    security(("bearer" = []))
)]
#[get("/alert-rules")]
pub async fn list_alert_rules(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let rules = state.read_as(caller, usecases::rules).await?;
    Ok(HttpResponse::Ok().json(RuleList {
        items: rules.iter().map(RuleView::from).collect(),
    }))
}

/// List a rule's versions.
///
/// The shipped version 1 first, then each change. The version in force is the last; its number is the ETag
/// `replace_alert_rule` asks for. Any signed-in staff member.
#[utoipa::path(
    tag = "alerts", operation_id = "list_alert_rule_versions",
    params(("code" = RuleCode, Path, description = "The rule")),
    responses((status = 200, description = "Every version.", body = RuleList,
        headers(("ETag" = String, description = "The version in force")))),
    security(("bearer" = []))
)]
#[get("/alert-rules/{code}/versions")]
pub async fn list_alert_rule_versions(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<RuleCode>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let versions = state
        .read_as(caller, move |tx, cx| usecases::rule_versions(tx, cx, code))
        .await?;
    let current = versions.last().map_or(1, |r| r.version);
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(current)))
        .json(RuleList {
            items: versions.iter().map(RuleView::from).collect(),
        }))
}

/// Change an alert rule.
///
/// Admins. The settings become the rule's next version, with the version in force in If-Match (412 when
/// another admin changed it first). Alerts already raised keep the version that raised them; the next
/// evaluation uses the new one, and a rule turned off resolves its alerts then. Each rule takes exactly the
/// thresholds its `takes` lists: another is a 422 `not_applicable`, a missing one `required`.
#[utoipa::path(
    tag = "alerts", operation_id = "replace_alert_rule", request_body = RuleSettings,
    params(("code" = RuleCode, Path, description = "The rule"), IfMatch),
    responses(
        (status = 200, description = "The rule at its new version (unchanged settings make none).", body = RuleView,
            headers(("ETag" = String, description = "The version in force"))),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[put("/alert-rules/{code}")]
pub async fn replace_alert_rule(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<RuleCode>,
    if_match: IfMatch,
    body: ApiJson<RuleSettings>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let settings = body.value;
    let rule = state
        .write_as(caller, move |tx, cx| {
            usecases::change_rule(tx, cx, code, &if_match, settings)
        })
        .await?;
    Ok(ok_with_etag(rule.version, &RuleView::from(&rule)))
}

/// A client's acuity: how much they need now, and why.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "score": 7, "level": "moderate",
    "contributions": [
        {"source": "critical_event", "points": 3, "detail": "Emergency department visit on 2026-11-25"},
        {"source": "assessment", "points": 3, "detail": "Housing scored 1"},
        {"source": "assessment", "points": 1, "detail": "Income scored 2"}
    ],
    "computed_at": "2026-11-26T08:00:00Z"
}))]
pub struct AcuityView {
    pub client_id: ClientId,
    /// The sum of the contributions.
    pub score: u32,
    /// Low below 5 points, moderate from 5, high from 10.
    pub level: AcuityLevel,
    /// Each rule that fires (3 points when high severity, 2 medium, 1 low; not the no-contact rule, whose
    /// threshold the level sets) and each domain of the latest assessment scored 1 (3 points) or 2 (1 point).
    pub contributions: Vec<Contribution>,
    /// When it was last evaluated (every change to the client, and every sweep).
    pub computed_at: DateTime<Utc>,
}

impl AcuityView {
    fn of(client_id: ClientId, acuity: Acuity, computed_at: DateTime<Utc>) -> AcuityView {
        AcuityView {
            client_id,
            score: acuity.score,
            level: acuity.level,
            contributions: acuity.contributions,
            computed_at,
        }
    }
}

/// Get a client's acuity.
///
/// The explainable score that orders the worklist and sets how long the client may go without a contact.
/// Whoever sees the client's alerts.
#[utoipa::path(
    tag = "alerts", operation_id = "get_client_acuity",
    params(("id" = ClientId, Path, description = "The client's id")),
    responses((status = 200, description = "The acuity score and its contributions.", body = AcuityView)),
    security(("bearer" = []))
)]
#[get("/clients/{id}/acuity")]
pub async fn get_client_acuity(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client = id.into_inner();
    let clock = state.clock;
    let (acuity, at) = state
        .read_as(caller, move |tx, cx| {
            usecases::acuity(tx, cx, &clock, client)
        })
        .await?;
    Ok(HttpResponse::Ok().json(AcuityView::of(client, acuity, at)))
}
