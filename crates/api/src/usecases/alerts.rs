//! Early-warning alerts. Evaluation reads the facts of a batch of clients
//! (and their case managers' caseloads), lets the domain find what the rules
//! see (`alert::evaluate`), and reconciles that with the live alerts: it
//! runs in the transaction of every change to a client (see
//! [`after_change`]) and in the periodic sweep over every client, which also
//! wakes snoozed alerts and escalates unanswered ones. People list alerts
//! and answer them: acknowledge, snooze, resolve with a note.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use spoke_domain::alert::{
    Acuity, Alert, BenefitSign, CaseloadSigns, ClientSigns, DomainSign, DraftSign, EventSign,
    ReferralSign, Rule, RuleCode, RuleSet, RuleSettings, Subject, TaskSign, evaluate,
    evaluate_caseload, reconcile,
};
use spoke_domain::assessment::{Assessment, Instrument, TrendFlag, trend};
use spoke_domain::audit::{AuditAction, ResourceType};
use spoke_domain::change::Change;
use spoke_domain::ids::{AlertId, ClientId, UserId};
use spoke_domain::plan::TaskStatus;
use spoke_domain::policy::{
    ClientAction, StaffAction, alert_scope, authorize_staff, authorize_staff_alert, sees_alerts,
};
use spoke_domain::referral::ReferralStatus;
use spoke_persistence::alerts::{self as store, AlertFilter};
use spoke_persistence::page::{Keyset, Page};
use spoke_persistence::{DbConnection, StoreError, assessments, events, plans, staff};

use crate::context::{Clock, Cx};
use crate::db::{Db, Tx};
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::clients::under_client;
use crate::usecases::{allowed, audit_shown, change_versioned};

/// How far back the rules look at missed appointments and events.
const LOOKBACK_DAYS: u64 = 365;

fn days_before(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(days))
        .unwrap_or(NaiveDate::MIN)
}

/// The rules in force: the shipped ones with the agency's changes.
pub fn rule_set(conn: &mut DbConnection) -> Result<RuleSet, ApiError> {
    Ok(RuleSet::current(store::rule_versions(conn, None)?))
}

/// What the rules read about `ids` on the day `clock` gives for `now`.
pub fn signs_of(
    conn: &mut DbConnection,
    clock: &Clock,
    now: DateTime<Utc>,
    ids: &[ClientId],
) -> Result<Vec<ClientSigns>, ApiError> {
    let today = clock.day_of(now);
    let since = days_before(today, LOOKBACK_DAYS);
    let mut by_client: HashMap<ClientId, ClientSigns> = HashMap::new();
    let mut order = Vec::new();
    for e in store::enrollments(conn, ids)? {
        let mut signs = ClientSigns::new(e.client_id, e.team_id, e.enrolled_on);
        signs.case_manager_id = e.case_manager_id;
        signs.served = !e.discharged;
        signs.on_hold = e.on_hold;
        order.push(e.client_id);
        by_client.insert(e.client_id, signs);
    }
    let ids = &order[..];
    for (client, seen) in events::last_seen(conn, ids, since)? {
        if let Some(s) = by_client.get_mut(&client) {
            s.last_seen = Some((seen.contact_id.to_string(), seen.on));
        }
    }
    for (client, id, at) in store::missed_since(conn, ids, clock.start_of(since))? {
        if let Some(s) = by_client.get_mut(&client) {
            s.missed.push((id, clock.day_of(at)));
        }
    }
    assessment_signs(conn, ids, &mut by_client)?;
    for event in events::events_since(conn, ids, since)? {
        let follow_up = match event.follow_up_window() {
            Some((from, to)) => {
                let seen = events::first_seen(conn, event.client_id, from, to)?;
                event.follow_up(seen, today).map(|f| (f.status, f.due_by))
            }
            None => None,
        };
        if let Some(s) = by_client.get_mut(&event.client_id) {
            s.events.push(EventSign {
                id: event.id.to_string(),
                event_type: event.fields.event_type,
                is_stay: event.fields.event_type.stay().is_some(),
                started_on: event.fields.started_on,
                ended_on: event.fields.ended_on,
                follow_up,
            });
        }
    }
    for r in store::open_referrals(conn, ids)? {
        let day = |at: Option<DateTime<Utc>>| at.map(|at| clock.day_of(at));
        if let Some(s) = by_client.get_mut(&r.client_id) {
            s.referrals.push(ReferralSign {
                waiting_since: day(r.requested_at)
                    .filter(|_| r.status == ReferralStatus::Requested),
                accepted_on: day(r.accepted_at).filter(|_| r.status != ReferralStatus::Requested),
                id: r.id,
                to: r.organization,
            });
        }
    }
    for plan in plans::active_plans_of(conn, ids)? {
        if let Some(s) = by_client.get_mut(&plan.client_id) {
            s.plan = Some((plan.id.to_string(), plan.content.review_due_on));
            for (_, task) in plan.content.tasks() {
                if let (TaskStatus::Open, Some(due_on)) = (task.status, task.due_on) {
                    s.tasks.push(TaskSign {
                        plan_id: plan.id.to_string(),
                        task_id: task.id.to_string(),
                        what: task.what.clone(),
                        due_on,
                    });
                }
            }
        }
    }
    for due in store::benefit_dues(conn, ids)? {
        if let Some(s) = by_client.get_mut(&due.client_id) {
            s.benefits.push(BenefitSign {
                id: due.id,
                program: due.program,
                kind: due.kind,
                due_on: due.on,
            });
        }
    }
    for (client, id, ends) in store::consent_ends(conn, ids, today)? {
        if let Some(s) = by_client.get_mut(&client) {
            s.consents.push((id, ends));
        }
    }
    for (client, id, _, date_of_service) in store::drafts_of(conn, ids)? {
        if let Some(s) = by_client.get_mut(&client) {
            s.drafts.push(DraftSign {
                id,
                date_of_service,
            });
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|id| by_client.remove(&id))
        .collect())
}

/// The domains of each client's latest final assessment, as the trend of
/// its instrument flags them, and the day of that assessment.
fn assessment_signs(
    conn: &mut DbConnection,
    ids: &[ClientId],
    by_client: &mut HashMap<ClientId, ClientSigns>,
) -> Result<(), ApiError> {
    let all = assessments::final_assessments_of(conn, ids)?;
    if all.is_empty() {
        return Ok(());
    }
    let instruments: HashMap<_, Instrument> = assessments::list_instruments(conn)?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut of_client: HashMap<ClientId, Vec<Assessment>> = HashMap::new();
    for a in all {
        of_client.entry(a.client_id).or_default().push(a);
    }
    for (client, list) in of_client {
        let Some(signs) = by_client.get_mut(&client) else {
            continue;
        };
        let Some(latest) = list
            .iter()
            .max_by_key(|a| (a.fields.assessed_on, a.finalized_at, a.id))
        else {
            continue;
        };
        signs.last_assessed = Some((latest.id.to_string(), latest.fields.assessed_on));
        let Some(instrument) = instruments.get(&latest.fields.instrument_id) else {
            continue;
        };
        let code = &instrument.fields.code;
        let same: Vec<Assessment> = list
            .iter()
            .filter(|a| {
                instruments
                    .get(&a.fields.instrument_id)
                    .is_some_and(|i| &i.fields.code == code)
            })
            .cloned()
            .collect();
        for d in trend(instrument, &same) {
            let Some(point) = d.series.last() else {
                continue;
            };
            signs.domains.push(DomainSign {
                previous: d.latest.zip(d.change_since_previous).map(|(l, c)| l - c),
                in_crisis: d.flags.contains(&TrendFlag::InCrisis),
                dropped: d.flags.contains(&TrendFlag::Dropped),
                assessment_id: point.assessment_id.to_string(),
                assessed_on: point.assessed_on,
                score: d.latest,
                domain: d.domain,
                label: d.label,
            });
        }
    }
    Ok(())
}

/// What one evaluation changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Evaluated {
    pub opened: usize,
    pub cleared: usize,
}

impl std::ops::AddAssign for Evaluated {
    fn add_assign(&mut self, other: Evaluated) {
        self.opened += other.opened;
        self.cleared += other.cleared;
    }
}

/// Evaluates every rule for `clients` and the caseloads of `staff` (and,
/// with `their_caseloads`, of the clients' case managers), keeps each
/// client's acuity, opens what is new and clears what is gone.
pub fn evaluate_for(
    tx: &mut Tx,
    clock: &Clock,
    now: DateTime<Utc>,
    rules: &RuleSet,
    clients: &[ClientId],
    staff: &[UserId],
    their_caseloads: bool,
) -> Result<Evaluated, ApiError> {
    let today = clock.day_of(now);
    let conn: &mut DbConnection = tx;
    let signs = signs_of(conn, clock, now, clients)?;
    let mut findings = Vec::new();
    let mut case_managers: Vec<UserId> = staff.to_vec();
    let mut acuity = Vec::with_capacity(signs.len());
    for s in &signs {
        let evaluation = evaluate(rules, s, today);
        acuity.push((s.client_id, evaluation.acuity));
        findings.extend(evaluation.findings);
        if their_caseloads {
            case_managers.extend(s.case_manager_id);
        }
    }
    store::save_acuity(conn, &acuity, now)?;
    case_managers.sort_unstable();
    case_managers.dedup();
    if !case_managers.is_empty() {
        for c in store::caseloads(conn, Some(&case_managers))? {
            let caseload = CaseloadSigns {
                staff_id: c.staff_id,
                team_id: c.team_id,
                name: c.name,
                clients: u32::try_from(c.clients).unwrap_or(u32::MAX),
            };
            findings.extend(evaluate_caseload(rules, &caseload));
        }
    }
    let live = store::live_alerts(conn, clients, &case_managers)?;
    let changes = reconcile(rules, findings, live, now);
    let mut done = Evaluated::default();
    for alert in &changes.open {
        if store::open_alert(tx, alert)? {
            done.opened += 1;
            feed(tx, alert, "alert.opened", now);
        }
    }
    for alert in &changes.clear {
        // Changed meanwhile by someone else: the next evaluation clears it.
        if update_quietly(tx, alert, alert.version - 1)? {
            done.cleared += 1;
            feed(tx, alert, "alert.resolved", now);
        }
    }
    Ok(done)
}

/// Puts what evaluation did to an alert about a client in the change feed.
fn feed(tx: &mut Tx, alert: &Alert, action: &str, now: DateTime<Utc>) {
    if let Some(client_id) = alert.client_id() {
        tx.record_change(Change {
            record_type: "alert".to_owned(),
            record_id: alert.id.to_string(),
            client_id,
            action: action.to_owned(),
            at: now,
        });
    }
}

/// Evaluates the clients the unit of work changed, in its transaction: a
/// change that makes or ends an alert's facts opens or clears it at once.
pub fn after_change(tx: &mut Tx, clock: &Clock) -> Result<(), ApiError> {
    let clients = tx.clients_changed();
    if clients.is_empty() {
        return Ok(());
    }
    let rules = rule_set(tx)?;
    evaluate_for(tx, clock, clock.now(), &rules, &clients, &[], true)?;
    Ok(())
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub clients: usize,
    pub opened: usize,
    pub cleared: usize,
    pub woken: usize,
    pub escalated: usize,
}

/// How many clients one sweep transaction evaluates.
pub const SWEEP_BATCH: usize = 500;

/// Evaluates every client, in batches of [`SWEEP_BATCH`] (one transaction
/// each), then every caseload; wakes snoozed alerts whose day has come and
/// escalates unanswered ones. Safe with several instances sweeping at
/// once: the store keeps one live alert per rule and subject, and each
/// change is made only to the version read. `progress` hears after each batch.
pub async fn sweep(
    db: &Db,
    clock: Clock,
    mut progress: impl FnMut(&Swept),
) -> Result<Swept, ApiError> {
    let now = clock.now();
    let today = clock.day_of(now);
    let mut swept = Swept::default();
    let mut after: Option<ClientId> = None;
    loop {
        let (ids, done) = db
            .write(move |tx| {
                let ids = store::client_ids_after(tx, after, SWEEP_BATCH as i64)?;
                let rules = rule_set(tx)?;
                // Caseloads once at the end: each batch has clients of nearly every case manager.
                let done = evaluate_for(tx, &clock, now, &rules, &ids, &[], false)?;
                Ok((ids, done))
            })
            .await?;
        swept.clients += ids.len();
        swept.opened += done.opened;
        swept.cleared += done.cleared;
        progress(&swept);
        match ids.last() {
            Some(last) if ids.len() == SWEEP_BATCH => after = Some(*last),
            _ => break,
        }
    }
    // Caseloads of people whose clients have all left are evaluated too.
    let done = db
        .write(move |tx| {
            let rules = rule_set(tx)?;
            let everyone: Vec<UserId> = store::caseloads(tx, None)?
                .into_iter()
                .map(|c| c.staff_id)
                .collect();
            // And those with a live alert, whose clients may all have left.
            let mut staff = store::staff_with_live_alerts(tx)?;
            staff.extend(everyone);
            evaluate_for(tx, &clock, now, &rules, &[], &staff, false)
        })
        .await?;
    swept.opened += done.opened;
    swept.cleared += done.cleared;
    let (woken, escalated) = db
        .write(move |tx| {
            let mut woken = 0;
            for mut alert in store::snoozed_until(tx, today, 10_000)? {
                let expected = alert.version;
                if alert.wake(today, now) && update_quietly(tx, &alert, expected)? {
                    woken += 1;
                }
            }
            let rules = rule_set(tx)?;
            let mut escalated = 0;
            for rule in rules.iter() {
                let Some(hours) = rule.settings.escalate_after_hours else {
                    continue;
                };
                let before = now - chrono::Duration::hours(i64::from(hours));
                for mut alert in store::unanswered(tx, rule.code, before, 10_000)? {
                    let expected = alert.version;
                    if alert.escalation_due(Some(hours), now) {
                        alert.escalate(now);
                        if update_quietly(tx, &alert, expected)? {
                            escalated += 1;
                        }
                    }
                }
            }
            Ok((woken, escalated))
        })
        .await?;
    swept.woken = woken;
    swept.escalated = escalated;
    progress(&swept);
    Ok(swept)
}

/// Saves an alert the sweep changed, unless someone changed it meanwhile.
fn update_quietly(conn: &mut DbConnection, alert: &Alert, expected: i32) -> Result<bool, ApiError> {
    match store::update_alert(conn, alert, expected) {
        Ok(()) => Ok(true),
        Err(StoreError::Stale) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

// --------------------------------------------------------------- people

/// An alert the actor may see: about a client they may read (audited), or
/// about a staff member they supervise or are.
fn visible(tx: &mut Tx, cx: &Cx, id: AlertId, answer: bool) -> Result<Alert, ApiError> {
    if !sees_alerts(&cx.actor) {
        return Err(ApiError::NotFound);
    }
    let alert = store::get_alert(tx, id)?;
    match alert.subject {
        Subject::Client(client) => {
            let (action, audit) = if answer {
                (ClientAction::ManageCare, AuditAction::RecordUpdated)
            } else {
                (ClientAction::Read, AuditAction::RecordRead)
            };
            under_client(
                tx,
                cx,
                client,
                action,
                audit,
                (ResourceType::Alert, id.to_string()),
                |_| Ok(()),
            )?;
        }
        Subject::Staff(person) => {
            let user = staff::get_user(tx, person)?;
            allowed(
                authorize_staff_alert(&cx.actor, person, user.team_id, answer),
                "only the team's supervisors and admins answer an alert about a caseload",
            )?;
        }
    }
    Ok(alert)
}

pub fn get(tx: &mut Tx, cx: &Cx, id: AlertId) -> Result<Alert, ApiError> {
    visible(tx, cx, id, false)
}

/// The alerts the actor sees matching `filter`, newest first.
pub fn list(
    tx: &mut Tx,
    cx: &Cx,
    filter: AlertFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Alert>, ApiError> {
    let page = store::list_alerts(tx, &alert_scope(&cx.actor, cx.today), &filter, after, limit)?;
    audit_shown(
        tx,
        cx,
        ResourceType::AlertList,
        page.items.iter().filter_map(Alert::client_id),
    );
    Ok(page)
}

/// What a person does with an alert.
#[derive(Debug, Clone)]
pub enum Answer {
    Acknowledge,
    Snooze { until: NaiveDate },
    Resolve { note: String },
}

/// Acknowledges, snoozes or resolves an alert under the caller's If-Match.
pub fn answer(
    tx: &mut Tx,
    cx: &Cx,
    id: AlertId,
    if_match: &IfMatch,
    answer: Answer,
) -> Result<Alert, ApiError> {
    let mut alert = visible(tx, cx, id, true)?;
    change_versioned(
        tx,
        &mut alert,
        if_match,
        cx.now,
        |_, alert| {
            match answer {
                Answer::Acknowledge => alert.acknowledge(cx.actor.user_id, cx.now),
                Answer::Snooze { until } => alert.snooze(until, cx.today, cx.now),
                Answer::Resolve { note } => alert.resolve(cx.actor.user_id, note, cx.now),
            }
            .map_err(ApiError::from)?;
            Ok(true)
        },
        |tx, alert, expected| Ok(store::update_alert(tx, alert, expected)?),
    )?;
    Ok(alert)
}

/// A client's acuity as last evaluated (evaluated now when it never was).
pub fn acuity(
    tx: &mut Tx,
    cx: &Cx,
    clock: &Clock,
    client: ClientId,
) -> Result<(Acuity, DateTime<Utc>), ApiError> {
    if !sees_alerts(&cx.actor) {
        return Err(ApiError::NotFound);
    }
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Acuity, client.to_string()),
        |tx| {
            if let Some((_, acuity, at)) = store::acuity_of(tx, &[client])?.pop() {
                return Ok((acuity, at));
            }
            // Not evaluated yet (a read cannot keep it): as the sweep will find it.
            let rules = rule_set(tx)?;
            let signs = signs_of(tx, clock, cx.now, &[client])?;
            let acuity = signs
                .first()
                .map(|s| evaluate(&rules, s, cx.today).acuity)
                .ok_or(ApiError::NotFound)?;
            Ok((acuity, cx.now))
        },
    )
}

// ---------------------------------------------------------------- rules

/// The rules in force. Any signed-in staff member reads them.
pub fn rules(tx: &mut Tx, _cx: &Cx) -> Result<RuleSet, ApiError> {
    rule_set(tx)
}

/// Every version of one rule, the shipped one first.
pub fn rule_versions(tx: &mut Tx, _cx: &Cx, code: RuleCode) -> Result<Vec<Rule>, ApiError> {
    let mut versions = vec![Rule::shipped(code)];
    versions.extend(store::rule_versions(tx, Some(code))?);
    Ok(versions)
}

/// Makes the next version of a rule (admins), under If-Match on the
/// version in force. Alerts already open keep the version that raised
/// them; the next evaluation uses the new one.
pub fn change_rule(
    tx: &mut Tx,
    cx: &Cx,
    code: RuleCode,
    if_match: &IfMatch,
    settings: RuleSettings,
) -> Result<Rule, ApiError> {
    allowed(
        authorize_staff(&cx.actor, StaffAction::ManageAlertRules),
        "only admins change the alert rules",
    )?;
    let current = rule_set(tx)?.get(code).clone();
    if_match.check(current.version)?;
    let settings = settings.check(code)?;
    if settings == current.settings {
        return Ok(current);
    }
    let next = current.change(settings, cx.actor.user_id, cx.now);
    store::insert_rule(tx, &next)?;
    Ok(next)
}
