//! Early-warning alerts: the agency's versions of the rules, the alerts, each
//! client's acuity, and the facts the rules read that no other module
//! answers (the last missed appointments, referral waits, dates coming due).
//! The database holds one live alert per rule and subject (`alerts_live`):
//! two evaluations at once, in two instances, open it once.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use spoke_domain::alert::{
    Acuity, AcuityLevel, Alert, AlertState, Fact, Resolution, Rule, RuleCode, RuleParams,
    RuleSettings, Severity, Subject,
};
use spoke_domain::benefit::DueKind;
use spoke_domain::ids::{AlertId, ClientId, TeamId, UserId};
use spoke_domain::policy::AlertScope;
use spoke_domain::referral::ReferralStatus;

use crate::StoreError;
use crate::clients::within_scope;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::{Keyset, Page};
use crate::rows::{from_db, from_json, known, one_versioned_row, parse_id, text, to_db, to_json};
use crate::schema::{
    alert_rules, alerts, appointments, benefit_applications, client_acuity, clients, consents,
    contacts, episodes, organizations, referral_events, referrals, users,
};

fn strings<T: ToString>(ids: &[T]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

// ------------------------------------------------------------------ rules

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = alert_rules)]
struct RuleRow {
    code: String,
    version: i32,
    enabled: i32,
    severity: String,
    escalate_after_hours: Option<i32>,
    params: String,
    changed_by: String,
    changed_at: chrono::NaiveDateTime,
}

impl RuleRow {
    fn into_domain(self) -> Result<Rule, StoreError> {
        Ok(Rule {
            code: known("alert rule", &self.code, RuleCode::parse)?,
            version: self.version,
            settings: RuleSettings {
                enabled: self.enabled != 0,
                severity: known("severity", &self.severity, Severity::parse)?,
                escalate_after_hours: self
                    .escalate_after_hours
                    .map(|h| u32::try_from(h).unwrap_or(0)),
                params: from_json::<RuleParams>(&self.params)?,
            },
            changed_by: Some(parse_id(&self.changed_by)?),
            changed_at: Some(from_db(self.changed_at)),
        })
    }
}

/// Keeps a new version of a rule; one already kept with its number is
/// `Stale` (two admins changed the same version).
pub fn insert_rule(conn: &mut DbConnection, rule: &Rule) -> Result<(), StoreError> {
    let (Some(by), Some(at)) = (rule.changed_by, rule.changed_at) else {
        return Err(StoreError::Corrupt(
            "the shipped version of a rule is not stored".into(),
        ));
    };
    let row = RuleRow {
        code: rule.code.as_str().to_owned(),
        version: rule.version,
        enabled: i32::from(rule.settings.enabled),
        severity: rule.settings.severity.as_str().to_owned(),
        escalate_after_hours: rule
            .settings
            .escalate_after_hours
            .map(|h| i32::try_from(h).unwrap_or(i32::MAX)),
        params: to_json(&rule.settings.params),
        changed_by: by.to_string(),
        changed_at: to_db(at),
    };
    diesel::insert_into(alert_rules::table)
        .values(row)
        .execute(conn)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Stale,
            other => other,
        })?;
    Ok(())
}

/// Every version an admin made, of every rule (or of `code`), oldest first.
pub fn rule_versions(
    conn: &mut DbConnection,
    code: Option<RuleCode>,
) -> Result<Vec<Rule>, StoreError> {
    let mut query = alert_rules::table
        .select(RuleRow::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(code) = code {
        query = query.filter(alert_rules::code.eq(code.as_str()));
    }
    query
        .order((alert_rules::code.asc(), alert_rules::version.asc()))
        .load::<RuleRow>(conn)?
        .into_iter()
        .map(RuleRow::into_domain)
        .collect()
}

// ----------------------------------------------------------------- alerts

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = alerts, treat_none_as_default_value = false)]
#[diesel(treat_none_as_null = true)]
struct AlertRow {
    id: String,
    rule: String,
    rule_version: i32,
    severity: String,
    client_id: Option<String>,
    staff_id: Option<String>,
    subject_key: String,
    summary: String,
    facts: String,
    state: String,
    opened_at: chrono::NaiveDateTime,
    acknowledged_at: Option<chrono::NaiveDateTime>,
    acknowledged_by: Option<String>,
    snoozed_until: Option<NaiveDate>,
    resolved_at: Option<chrono::NaiveDateTime>,
    resolved_by: Option<String>,
    resolution: Option<String>,
    note: Option<String>,
    escalated_at: Option<chrono::NaiveDateTime>,
    cleared_at: Option<chrono::NaiveDateTime>,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Alert> for AlertRow {
    fn from(a: &Alert) -> Self {
        AlertRow {
            id: a.id.to_string(),
            rule: a.rule.as_str().to_owned(),
            rule_version: a.rule_version,
            severity: a.severity.as_str().to_owned(),
            client_id: text(&a.client_id()),
            staff_id: text(&a.staff_id()),
            subject_key: a.key.clone(),
            summary: a.summary.clone(),
            facts: to_json(&a.facts),
            state: a.state.as_str().to_owned(),
            opened_at: to_db(a.opened_at),
            acknowledged_at: a.acknowledged_at.map(to_db),
            acknowledged_by: text(&a.acknowledged_by),
            snoozed_until: a.snoozed_until,
            resolved_at: a.resolved_at.map(to_db),
            resolved_by: text(&a.resolved_by),
            resolution: a.resolution.map(|r| r.as_str().to_owned()),
            note: a.note.clone(),
            escalated_at: a.escalated_at.map(to_db),
            cleared_at: a.cleared_at.map(to_db),
            updated_at: to_db(a.updated_at),
            version: a.version,
        }
    }
}

impl AlertRow {
    fn into_domain(self) -> Result<Alert, StoreError> {
        let id = |raw: &Option<String>| raw.as_deref().map(parse_id).transpose();
        let subject = match (&self.client_id, &self.staff_id) {
            (Some(client), None) => Subject::Client(parse_id(client)?),
            (None, Some(staff)) => Subject::Staff(parse_id(staff)?),
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "alert {} is about neither one client nor one staff member",
                    self.id
                )));
            }
        };
        Ok(Alert {
            id: parse_id(&self.id)?,
            rule: known("alert rule", &self.rule, RuleCode::parse)?,
            rule_version: self.rule_version,
            severity: known("severity", &self.severity, Severity::parse)?,
            subject,
            key: self.subject_key,
            summary: self.summary,
            facts: from_json::<Vec<Fact>>(&self.facts)?,
            state: known("alert state", &self.state, AlertState::parse)?,
            opened_at: from_db(self.opened_at),
            acknowledged_at: self.acknowledged_at.map(from_db),
            acknowledged_by: id(&self.acknowledged_by)?,
            snoozed_until: self.snoozed_until,
            resolved_at: self.resolved_at.map(from_db),
            resolved_by: id(&self.resolved_by)?,
            resolution: self
                .resolution
                .as_deref()
                .map(|r| known("resolution", r, Resolution::parse))
                .transpose()?,
            note: self.note,
            escalated_at: self.escalated_at.map(from_db),
            cleared_at: self.cleared_at.map(from_db),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

/// Opens `alert` unless one is live for its rule and key (opened meanwhile
/// by another evaluation): whether it was stored.
pub fn open_alert(conn: &mut DbConnection, alert: &Alert) -> Result<bool, StoreError> {
    let insert = diesel::insert_into(alerts::table)
        .values(AlertRow::from(alert))
        .on_conflict_do_nothing();
    // The multi-backend query builder has no upsert; both backends do.
    let stored = match conn {
        DbConnection::Sqlite(inner) => insert.execute(inner)?,
        DbConnection::Postgres(inner) => insert.execute(inner)?,
    };
    Ok(stored == 1)
}

/// Writes a changed alert if still at `expected_version`.
pub fn update_alert(
    conn: &mut DbConnection,
    alert: &Alert,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        alerts::table
            .filter(alerts::id.eq(alert.id.to_string()))
            .filter(alerts::version.eq(expected_version)),
    )
    .set(AlertRow::from(alert))
    .execute(conn)?;
    one_versioned_row(changed)
}

pub fn get_alert(conn: &mut DbConnection, id: AlertId) -> Result<Alert, StoreError> {
    alerts::table
        .find(id.to_string())
        .select(AlertRow::as_select())
        .first::<AlertRow>(conn)?
        .into_domain()
}

fn load(
    query: alerts::BoxedQuery<'_, MultiBackend>,
    conn: &mut DbConnection,
) -> Result<Vec<Alert>, StoreError> {
    query
        .select(AlertRow::as_select())
        .load::<AlertRow>(conn)?
        .into_iter()
        .map(AlertRow::into_domain)
        .collect()
}

/// The live alerts (facts still holding) about `clients` and `staff`.
pub fn live_alerts(
    conn: &mut DbConnection,
    clients: &[ClientId],
    staff: &[UserId],
) -> Result<Vec<Alert>, StoreError> {
    let mut found = about(conn, clients, staff)?;
    found.retain(|a| a.cleared_at.is_none());
    Ok(found)
}

/// Every alert about `clients`, then about `staff`: two queries, each
/// through its own index (`client_id IN ... OR staff_id IN ...` would read
/// every alert). Callers narrow by state in memory: a filter on state or
/// `cleared_at` in SQL lets SQLite pick the state or live-alert index and
/// read every open alert of the agency instead of these few clients'.
fn about(
    conn: &mut DbConnection,
    clients: &[ClientId],
    staff: &[UserId],
) -> Result<Vec<Alert>, StoreError> {
    let mut found = Vec::new();
    if !clients.is_empty() {
        let query = alerts::table
            .filter(alerts::client_id.eq_any(strings(clients)))
            .into_boxed();
        found.extend(load(query, conn)?);
    }
    if !staff.is_empty() {
        let query = alerts::table
            .filter(alerts::staff_id.eq_any(strings(staff)))
            .into_boxed();
        found.extend(load(query, conn)?);
    }
    Ok(found)
}

/// The alerts about `clients` and `staff` that wait for someone: open or acknowledged.
pub fn waiting_alerts(
    conn: &mut DbConnection,
    clients: &[ClientId],
    staff: &[UserId],
) -> Result<Vec<Alert>, StoreError> {
    let mut found = about(conn, clients, staff)?;
    found.retain(|a| matches!(a.state, AlertState::Open | AlertState::Acknowledged));
    Ok(found)
}

/// The staff members with a live alert about them.
pub fn staff_with_live_alerts(conn: &mut DbConnection) -> Result<Vec<UserId>, StoreError> {
    let ids: Vec<String> = alerts::table
        .filter(alerts::cleared_at.is_null())
        .filter(alerts::staff_id.is_not_null())
        .select(alerts::staff_id.assume_not_null())
        .distinct()
        .load(conn)?;
    ids.iter().map(|id| parse_id(id)).collect()
}

/// Snoozed alerts whose day has come, `limit` at a time.
pub fn snoozed_until(
    conn: &mut DbConnection,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<Alert>, StoreError> {
    let query = alerts::table
        .filter(alerts::state.eq(AlertState::Snoozed.as_str()))
        .filter(alerts::snoozed_until.le(today))
        .order(alerts::id.asc())
        .limit(limit)
        .into_boxed();
    load(query, conn)
}

/// Open alerts of `rule`, never escalated, opened at or before `before`,
/// `limit` at a time.
pub fn unanswered(
    conn: &mut DbConnection,
    rule: RuleCode,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Alert>, StoreError> {
    let query = alerts::table
        .filter(alerts::state.eq(AlertState::Open.as_str()))
        .filter(alerts::rule.eq(rule.as_str()))
        .filter(alerts::escalated_at.is_null())
        .filter(alerts::opened_at.le(to_db(before)))
        .order(alerts::id.asc())
        .limit(limit)
        .into_boxed();
    load(query, conn)
}

/// Which alerts a list returns.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub client: Option<ClientId>,
    /// Alerts about the team's clients and staff.
    pub team: Option<TeamId>,
    /// Alerts about the case manager's clients, and about them.
    pub case_manager: Option<UserId>,
    pub rule: Option<RuleCode>,
    pub severity: Option<Severity>,
    /// These states; every state when empty.
    pub states: Vec<AlertState>,
    pub escalated: Option<bool>,
}

/// Narrows a boxed query over `alerts` (joined) by the filter's rule,
/// severity, states and escalation, and starts it after `after`.
macro_rules! common_filters {
    ($query:expr, $filter:expr, $after:expr) => {{
        let mut query = $query;
        let filter: &AlertFilter = $filter;
        if let Some(rule) = filter.rule {
            query = query.filter(alerts::rule.eq(rule.as_str()));
        }
        if let Some(severity) = filter.severity {
            query = query.filter(alerts::severity.eq(severity.as_str()));
        }
        if !filter.states.is_empty() {
            let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
            query = query.filter(alerts::state.eq_any(states));
        }
        match filter.escalated {
            Some(true) => query = query.filter(alerts::escalated_at.is_not_null()),
            Some(false) => query = query.filter(alerts::escalated_at.is_null()),
            None => {}
        }
        if let Some(after) = $after {
            let at = to_db(after.at);
            query = query.filter(
                alerts::opened_at.lt(at).or(alerts::opened_at
                    .eq(at)
                    .and(alerts::id.lt(after.id.clone()))),
            );
        }
        query.order((alerts::opened_at.desc(), alerts::id.desc()))
    }};
}

/// The alerts within `scope` matching `filter`, newest first, `limit` at a
/// time after `after`: those about clients and those about staff, merged.
pub fn list_alerts(
    conn: &mut DbConnection,
    scope: &AlertScope,
    filter: &AlertFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Alert>, StoreError> {
    let rows = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let mut query = alerts::table
        .inner_join(clients::table.on(alerts::client_id.eq(clients::id.nullable())))
        .select(AlertRow::as_select())
        .into_boxed::<MultiBackend>();
    query = within_scope!(query, &scope.clients);
    if let Some(team) = filter.team {
        query = query.filter(clients::team_id.eq(team.to_string()));
    }
    if let Some(user) = filter.case_manager {
        query = query.filter(clients::primary_case_manager_id.eq(user.to_string()));
    }
    if let Some(client) = filter.client {
        query = query.filter(clients::id.eq(client.to_string()));
    }
    let mut found: Vec<AlertRow> = common_filters!(query, filter, after)
        .limit(rows)
        .load(conn)?;
    if filter.client.is_none() {
        let mut query = alerts::table
            .inner_join(users::table.on(alerts::staff_id.eq(users::id.nullable())))
            .select(AlertRow::as_select())
            .into_boxed::<MultiBackend>();
        if let Some((people, teams)) = &scope.staff {
            query = query.filter(
                users::id
                    .eq_any(strings(people))
                    .or(users::team_id.eq_any(strings(teams))),
            );
        }
        if let Some(team) = filter.team {
            query = query.filter(users::team_id.eq(team.to_string()));
        }
        if let Some(user) = filter.case_manager {
            query = query.filter(users::id.eq(user.to_string()));
        }
        let staff: Vec<AlertRow> = common_filters!(query, filter, after)
            .limit(rows)
            .load(conn)?;
        found.extend(staff);
        found.sort_by(|a, b| (b.opened_at, &b.id).cmp(&(a.opened_at, &a.id)));
    }
    let items = found
        .into_iter()
        .take(limit + 1)
        .map(AlertRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |a| Keyset {
        at: a.opened_at,
        id: a.id.to_string(),
    }))
}

// ----------------------------------------------------------------- acuity

/// Keeps each client's acuity as evaluated at `now`, writing only those
/// that changed (one read for all of them).
pub fn save_acuity(
    conn: &mut DbConnection,
    evaluated: &[(ClientId, Acuity)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let ids: Vec<ClientId> = evaluated.iter().map(|(id, _)| *id).collect();
    let kept: std::collections::HashMap<ClientId, Acuity> = acuity_of(conn, &ids)?
        .into_iter()
        .map(|(id, acuity, _)| (id, acuity))
        .collect();
    for (client, acuity) in evaluated {
        let score = i32::try_from(acuity.score).unwrap_or(i32::MAX);
        let contributions = to_json(&acuity.contributions);
        match kept.get(client) {
            Some(same) if same == acuity => {}
            Some(_) => {
                diesel::update(client_acuity::table.find(client.to_string()))
                    .set((
                        client_acuity::score.eq(score),
                        client_acuity::level.eq(acuity.level.as_str()),
                        client_acuity::contributions.eq(contributions),
                        client_acuity::computed_at.eq(to_db(now)),
                    ))
                    .execute(conn)?;
            }
            None => {
                let insert = diesel::insert_into(client_acuity::table)
                    .values((
                        client_acuity::client_id.eq(client.to_string()),
                        client_acuity::score.eq(score),
                        client_acuity::level.eq(acuity.level.as_str()),
                        client_acuity::contributions.eq(contributions),
                        client_acuity::computed_at.eq(to_db(now)),
                    ))
                    .on_conflict_do_nothing();
                match conn {
                    DbConnection::Sqlite(inner) => insert.execute(inner)?,
                    DbConnection::Postgres(inner) => insert.execute(inner)?,
                };
            }
        }
    }
    Ok(())
}

/// The acuity of each of `clients` last evaluated, with when.
pub fn acuity_of(
    conn: &mut DbConnection,
    clients: &[ClientId],
) -> Result<Vec<(ClientId, Acuity, DateTime<Utc>)>, StoreError> {
    let rows: Vec<(String, i32, String, String, chrono::NaiveDateTime)> = client_acuity::table
        .filter(client_acuity::client_id.eq_any(strings(clients)))
        .select((
            client_acuity::client_id,
            client_acuity::score,
            client_acuity::level,
            client_acuity::contributions,
            client_acuity::computed_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, score, level, contributions, at)| {
            Ok((
                parse_id(&id)?,
                Acuity {
                    score: u32::try_from(score).unwrap_or(0),
                    level: known("acuity level", &level, AcuityLevel::parse)?,
                    contributions: from_json(&contributions)?,
                },
                from_db(at),
            ))
        })
        .collect()
}

// ---------------------------------------------- what the rules read

/// A client as the rules see it: whether it is served, its team and case
/// manager, and the day its current enrollment began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub client_id: ClientId,
    pub team_id: TeamId,
    pub case_manager_id: Option<UserId>,
    pub discharged: bool,
    pub on_hold: bool,
    pub enrolled_on: NaiveDate,
}

/// The clients of `ids` as the rules see them (a client whose episodes are
/// all closed counts from the end of the last).
pub fn enrollments(
    conn: &mut DbConnection,
    ids: &[ClientId],
) -> Result<Vec<Enrollment>, StoreError> {
    let rows: Vec<(
        String,
        String,
        Option<String>,
        String,
        chrono::NaiveDateTime,
    )> = clients::table
        .filter(clients::id.eq_any(strings(ids)))
        .order(clients::id.asc())
        .select((
            clients::id,
            clients::team_id,
            clients::primary_case_manager_id,
            clients::status,
            clients::created_at,
        ))
        .load(conn)?;
    let started: Vec<(String, NaiveDate)> = episodes::table
        .filter(episodes::client_id.eq_any(strings(ids)))
        .order((episodes::client_id.asc(), episodes::started_on.asc()))
        .select((episodes::client_id, episodes::started_on))
        .load(conn)?;
    let latest: std::collections::HashMap<String, NaiveDate> = started.into_iter().collect();
    rows.into_iter()
        .map(|(id, team, cm, status, created)| {
            let enrolled_on = latest.get(&id).copied().unwrap_or_else(|| created.date());
            Ok(Enrollment {
                client_id: parse_id(&id)?,
                team_id: parse_id(&team)?,
                case_manager_id: cm.as_deref().map(parse_id).transpose()?,
                discharged: status == "discharged",
                on_hold: status == "on_hold",
                enrolled_on,
            })
        })
        .collect()
}

/// The clients after `after` by id, `limit` at a time: the sweep's walk.
pub fn client_ids_after(
    conn: &mut DbConnection,
    after: Option<ClientId>,
    limit: i64,
) -> Result<Vec<ClientId>, StoreError> {
    let mut query = clients::table
        .select(clients::id)
        .into_boxed::<MultiBackend>();
    if let Some(after) = after {
        query = query.filter(clients::id.gt(after.to_string()));
    }
    let ids: Vec<String> = query.order(clients::id.asc()).limit(limit).load(conn)?;
    ids.iter().map(|id| parse_id(id)).collect()
}

/// Appointments of `clients` marked missed that started from `since`, with when.
pub fn missed_since(
    conn: &mut DbConnection,
    clients: &[ClientId],
    since: DateTime<Utc>,
) -> Result<Vec<(ClientId, String, DateTime<Utc>)>, StoreError> {
    let rows: Vec<(String, String, chrono::NaiveDateTime)> = appointments::table
        .filter(appointments::client_id.eq_any(strings(clients)))
        .filter(appointments::status.eq("missed"))
        .filter(appointments::starts_at.ge(to_db(since)))
        .order(appointments::starts_at.asc())
        .select((
            appointments::client_id,
            appointments::id,
            appointments::starts_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(client, id, at)| Ok((parse_id(&client)?, id, from_db(at))))
        .collect()
}

/// A referral still open, and when it last moved to requested and to accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReferral {
    pub client_id: ClientId,
    pub id: String,
    pub status: ReferralStatus,
    pub organization: String,
    pub requested_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
}

/// The referrals of `clients` waiting for an answer or for the client to be linked.
pub fn open_referrals(
    conn: &mut DbConnection,
    clients: &[ClientId],
) -> Result<Vec<OpenReferral>, StoreError> {
    let waiting = [
        ReferralStatus::Requested,
        ReferralStatus::Accepted,
        ReferralStatus::InProgress,
    ]
    .map(|s| s.as_str());
    let rows: Vec<(String, String, String, String)> = referrals::table
        .filter(referrals::client_id.eq_any(strings(clients)))
        .filter(referrals::status.eq_any(waiting))
        .order(referrals::id.asc())
        .select((
            referrals::client_id,
            referrals::id,
            referrals::status,
            referrals::organization_id,
        ))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    let moves: Vec<(String, String, chrono::NaiveDateTime)> = referral_events::table
        .filter(referral_events::referral_id.eq_any(&ids))
        .filter(referral_events::to_status.eq_any(["requested", "accepted"]))
        .order(referral_events::at.asc())
        .select((
            referral_events::referral_id,
            referral_events::to_status,
            referral_events::at,
        ))
        .load(conn)?;
    let orgs: Vec<String> = rows.iter().map(|r| r.3.clone()).collect();
    let names: std::collections::HashMap<String, String> = organizations::table
        .filter(organizations::id.eq_any(orgs))
        .select((organizations::id, organizations::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|(client, id, status, org)| {
            let last = |to: &str| {
                moves
                    .iter()
                    .filter(|(r, s, _)| *r == id && s == to)
                    .map(|(_, _, at)| from_db(*at))
                    .next_back()
            };
            Ok(OpenReferral {
                client_id: parse_id(&client)?,
                status: known("referral status", &status, ReferralStatus::parse)?,
                requested_at: last("requested"),
                accepted_at: last("accepted"),
                organization: names.get(&org).cloned().unwrap_or(org),
                id,
            })
        })
        .collect()
}

/// A benefits application's next date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenefitDue {
    pub client_id: ClientId,
    pub id: String,
    /// The program's name.
    pub program: String,
    pub kind: DueKind,
    pub on: NaiveDate,
}

/// The next date each open benefits application of `clients` needs someone by.
pub fn benefit_dues(
    conn: &mut DbConnection,
    clients: &[ClientId],
) -> Result<Vec<BenefitDue>, StoreError> {
    let rows: Vec<(String, String, String, Option<String>, String, NaiveDate)> =
        benefit_applications::table
            .filter(benefit_applications::client_id.eq_any(strings(clients)))
            .filter(benefit_applications::next_due_on.is_not_null())
            .select((
                benefit_applications::client_id,
                benefit_applications::id,
                benefit_applications::program,
                benefit_applications::program_name,
                benefit_applications::next_due_kind.assume_not_null(),
                benefit_applications::next_due_on.assume_not_null(),
            ))
            .load(conn)?;
    rows.into_iter()
        .map(|(client, id, program, name, kind, on)| {
            let label = name.unwrap_or_else(|| program.replace('_', " ").to_uppercase());
            Ok(BenefitDue {
                client_id: parse_id(&client)?,
                id,
                program: label,
                kind: known("due kind", &kind, DueKind::parse)?,
                on,
            })
        })
        .collect()
}

/// Consents of `clients` in force on `today` that end on a day, with it.
pub fn consent_ends(
    conn: &mut DbConnection,
    clients: &[ClientId],
    today: NaiveDate,
) -> Result<Vec<(ClientId, String, NaiveDate)>, StoreError> {
    let rows: Vec<(String, String, NaiveDate)> = consents::table
        .filter(consents::client_id.eq_any(strings(clients)))
        .filter(consents::revoked_at.is_null())
        .filter(consents::effective_on.le(today))
        .filter(consents::expires_on.ge(today))
        .select((
            consents::client_id,
            consents::id,
            consents::expires_on.assume_not_null(),
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(client, id, on)| Ok((parse_id(&client)?, id, on)))
        .collect()
}

/// Draft contacts of `clients`, with their author and date of service.
pub fn drafts_of(
    conn: &mut DbConnection,
    clients: &[ClientId],
) -> Result<Vec<(ClientId, String, UserId, NaiveDate)>, StoreError> {
    let rows: Vec<(String, String, String, NaiveDate)> = contacts::table
        .filter(contacts::client_id.eq_any(strings(clients)))
        .filter(contacts::status.eq("draft"))
        .select((
            contacts::client_id,
            contacts::id,
            contacts::author_id,
            contacts::date_of_service,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(client, id, author, on)| Ok((parse_id(&client)?, id, parse_id(&author)?, on)))
        .collect()
}

/// A case manager's caseload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caseload {
    pub staff_id: UserId,
    pub name: String,
    pub team_id: Option<TeamId>,
    /// Clients not discharged whose primary case manager they are.
    pub clients: i64,
}

/// How many clients not discharged each case manager carries (every staff
/// member who is anyone's primary case manager, or those of `only`), with
/// their name and team.
pub fn caseloads(
    conn: &mut DbConnection,
    only: Option<&[UserId]>,
) -> Result<Vec<Caseload>, StoreError> {
    let served = clients::table
        .filter(clients::status.ne("discharged"))
        .filter(clients::primary_case_manager_id.is_not_null());
    let count = (
        clients::primary_case_manager_id.assume_not_null(),
        diesel::dsl::count_star(),
    );
    // Counted only for those asked about, through the case manager index.
    let counts: Vec<(String, i64)> = match only {
        Some(only) => served
            .filter(clients::primary_case_manager_id.eq_any(strings(only)))
            .group_by(clients::primary_case_manager_id)
            .select(count)
            .load(conn)?,
        None => served
            .group_by(clients::primary_case_manager_id)
            .select(count)
            .load(conn)?,
    };
    let people: Vec<String> = match only {
        Some(only) => strings(only),
        None => counts.iter().map(|(id, _)| id.clone()).collect(),
    };
    let named: Vec<(String, String, Option<String>)> = users::table
        .filter(users::id.eq_any(&people))
        .filter(users::deleted_at.is_null())
        .select((users::id, users::display_name, users::team_id))
        .load(conn)?;
    named
        .into_iter()
        .map(|(id, name, team)| {
            let count = counts.iter().find(|(c, _)| *c == id).map_or(0, |(_, n)| *n);
            Ok(Caseload {
                staff_id: parse_id(&id)?,
                name,
                team_id: team.as_deref().map(parse_id).transpose()?,
                clients: count,
            })
        })
        .collect()
}
