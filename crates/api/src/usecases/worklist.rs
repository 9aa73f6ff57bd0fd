//! The worklist: what needs the caller (or a supervisor's team) today,
//! gathered from the record and ordered by `domain::worklist::order`.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use spoke_domain::alert::{Alert, RecordKind, RuleCode, Severity};
use spoke_domain::appointment::RideStatus;
use spoke_domain::audit::ResourceType;
use spoke_domain::ids::{ClientId, TeamId, UserId};
use spoke_domain::plan::{ApprovalState, TaskStatus};
use spoke_domain::policy::{StaffAction, authorize_staff};
use spoke_domain::staff::Role;
use spoke_domain::transfer::TransferStatus;
use spoke_domain::worklist::{Item, ItemKind, order, urgency};
use spoke_persistence::transfers::TransferFilter;
use spoke_persistence::{
    DbConnection, alerts as alert_store, appointments, clients, episodes, plans, staff, transfers,
};

use crate::context::{Clock, Cx};
use crate::db::Tx;
use crate::problem::ApiError;
use crate::usecases::alerts::rule_set;
use crate::usecases::{allowed, audit_shown};

/// Whose worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// The caller's: their caseload, and for a supervisor what waits for
    /// them and what is slipping on their team.
    Mine,
    /// A team's, for its supervisors and admins.
    Team(TeamId),
}

/// One thing on a worklist, with what a screen shows of it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub client_id: Option<ClientId>,
    pub client_name: Option<String>,
    pub case_manager_id: Option<UserId>,
    pub acuity: Option<spoke_domain::alert::AcuityLevel>,
    pub title: String,
    /// When it happens (an appointment), or when it was asked for.
    pub at: Option<DateTime<Utc>>,
    pub href: String,
    pub alert: Option<Alert>,
    pub ride: Option<RideStatus>,
}

/// The worklist, most urgent first.
pub fn worklist(
    tx: &mut Tx,
    cx: &Cx,
    clock: &Clock,
    whose: Whose,
) -> Result<Vec<(Item, Entry)>, ApiError> {
    let me = cx.actor.user_id;
    let (caseload, team, staff_ids) = match whose {
        Whose::Mine => {
            let caseload = clients::served_by(tx, Some(me), None)?;
            let supervised = match (cx.actor.role, cx.actor.team_id) {
                (Role::Supervisor, Some(team)) => Some(team),
                _ => None,
            };
            (caseload, supervised, vec![me])
        }
        Whose::Team(team) => {
            allowed(
                authorize_staff(&cx.actor, StaffAction::ReadTeam(team)),
                "only the team's supervisors and admins read its worklist",
            )?;
            staff::get_team(tx, team)?;
            let caseload = clients::served_by(tx, None, Some(team))?;
            let people = staff::team_member_ids(tx, team)?;
            (caseload, Some(team), people)
        }
    };
    let mut gather = Gather::new(tx, clock, cx, caseload)?;
    gather.alerts(&staff_ids, |_| true)?;
    gather.appointments()?;
    gather.tasks()?;
    gather.drafts(match whose {
        Whose::Mine => Some(me),
        Whose::Team(_) => None,
    })?;
    gather.applications()?;
    if let Some(team) = team {
        // What waits for the team's supervisors, and what is slipping there.
        let members = clients::served_by(gather.conn, None, Some(team))?;
        gather.add_members(members);
        let team_clients: Vec<ClientId> = gather.names.keys().copied().collect();
        if whose == Whose::Mine {
            gather.alerts_of(&team_clients, &[], |a| a.escalated_at.is_some())?;
        }
        gather.approvals(&team_clients, team)?;
    }
    let Gather { items, .. } = gather;
    let items = order(items);
    audit_shown(
        tx,
        cx,
        ResourceType::Worklist,
        items.iter().filter_map(|(_, e)| e.client_id),
    );
    Ok(items)
}

/// An item as found, before the client's name and acuity are added.
struct Found {
    kind: ItemKind,
    /// The alert's severity and whether it was escalated.
    signal: (Option<Severity>, bool),
    client: Option<ClientId>,
    due_on: Option<NaiveDate>,
    record: Option<(RecordKind, String)>,
    id: String,
}

/// Gathers the items of one worklist.
struct Gather<'t, 'c> {
    conn: &'t mut DbConnection,
    clock: &'c Clock,
    today: NaiveDate,
    /// The caseload's clients.
    caseload: Vec<ClientId>,
    names: HashMap<ClientId, (String, Option<UserId>)>,
    acuity: HashMap<ClientId, spoke_domain::alert::Acuity>,
    benefit_days: u32,
    items: Vec<(Item, Entry)>,
}

impl<'t, 'c> Gather<'t, 'c> {
    fn new(
        tx: &'t mut Tx,
        clock: &'c Clock,
        cx: &Cx,
        caseload: Vec<clients::Member>,
    ) -> Result<Gather<'t, 'c>, ApiError> {
        let conn: &mut DbConnection = tx;
        let rules = rule_set(conn)?;
        let benefit = &rules.get(RuleCode::BenefitDue).settings;
        let mut gather = Gather {
            conn,
            clock,
            today: cx.today,
            caseload: caseload.iter().map(|m| m.0).collect(),
            names: HashMap::new(),
            acuity: HashMap::new(),
            benefit_days: benefit
                .params
                .days
                .filter(|_| benefit.enabled)
                .unwrap_or(14),
            items: Vec::new(),
        };
        gather.add_members(caseload);
        Ok(gather)
    }

    fn add_members(&mut self, members: Vec<clients::Member>) {
        let new: Vec<ClientId> = members
            .iter()
            .map(|m| m.0)
            .filter(|id| !self.names.contains_key(id))
            .collect();
        for (id, name, cm) in members {
            self.names.insert(id, (name, cm));
        }
        if let Ok(found) = alert_store::acuity_of(self.conn, &new) {
            for (id, acuity, _) in found {
                self.acuity.insert(id, acuity);
            }
        }
    }

    fn push(&mut self, found: Found, entry: Entry) {
        let Found {
            kind,
            signal: (severity, escalated),
            client,
            due_on,
            record,
            id,
        } = found;
        let acuity = client
            .and_then(|c| self.acuity.get(&c))
            .map_or(0, |a| a.score);
        let (client_name, case_manager_id) = client
            .and_then(|c| self.names.get(&c))
            .map_or((None, None), |(n, cm)| (Some(n.clone()), *cm));
        let item = Item {
            kind,
            urgency: urgency(kind, severity, escalated),
            acuity,
            due_on,
            record,
            id,
        };
        let entry = Entry {
            client_id: client,
            client_name,
            case_manager_id,
            acuity: client.and_then(|c| self.acuity.get(&c)).map(|a| a.level),
            ..entry
        };
        self.items.push((item, entry));
    }

    fn alerts(&mut self, staff: &[UserId], keep: impl Fn(&Alert) -> bool) -> Result<(), ApiError> {
        let caseload = self.caseload.clone();
        self.alerts_of(&caseload, staff, keep)
    }

    fn alerts_of(
        &mut self,
        clients: &[ClientId],
        staff: &[UserId],
        keep: impl Fn(&Alert) -> bool,
    ) -> Result<(), ApiError> {
        let known: Vec<String> = self.items.iter().map(|(i, _)| i.id.clone()).collect();
        for alert in alert_store::waiting_alerts(self.conn, clients, staff)? {
            let id = format!("alert:{}", alert.id);
            if !keep(&alert) || known.contains(&id) {
                continue;
            }
            let record = alert
                .facts
                .iter()
                .find_map(|f| f.record.clone())
                .map(|r| (r.kind, r.id));
            let href = format!("/v1/alerts/{}", alert.id);
            let client = alert.client_id();
            self.push(
                Found {
                    kind: ItemKind::Alert,
                    signal: (Some(alert.severity), alert.escalated_at.is_some()),
                    client,
                    due_on: None,
                    record,
                    id,
                },
                Entry {
                    title: alert.summary.clone(),
                    at: Some(alert.opened_at),
                    href,
                    alert: Some(alert),
                    ..blank()
                },
            );
        }
        Ok(())
    }

    fn appointments(&mut self) -> Result<(), ApiError> {
        let from = self.clock.start_of(self.today);
        let until = self
            .today
            .checked_add_days(Days::new(1))
            .map(|d| self.clock.start_of(d));
        for a in appointments::scheduled(self.conn, &self.caseload, from, until)? {
            let with = a
                .fields
                .with_name
                .as_ref()
                .map(|w| format!(" with {w}"))
                .unwrap_or_default();
            let local = self.clock.local(a.fields.starts_at).format("%H:%M");
            let ride = a.ride.as_ref().map(|r| r.status);
            let ride_text = ride
                .map(|r| format!(" (ride {})", r.as_str()))
                .unwrap_or_default();
            self.push(
                Found {
                    kind: ItemKind::Appointment,
                    signal: (None, false),
                    client: Some(a.client_id),
                    due_on: Some(self.today),
                    record: Some((RecordKind::Appointment, a.id.to_string())),
                    id: format!("appointment:{}", a.id),
                },
                Entry {
                    title: format!(
                        "{local} {} appointment{with}{ride_text}",
                        a.fields.kind.as_str().replace('_', " ")
                    ),
                    at: Some(a.fields.starts_at),
                    href: format!("/v1/clients/{}/appointments/{}", a.client_id, a.id),
                    ride,
                    ..blank()
                },
            );
        }
        Ok(())
    }

    /// Open tasks due today (those due before are `plan_task_overdue` alerts).
    fn tasks(&mut self) -> Result<(), ApiError> {
        for plan in plans::active_plans_of(self.conn, &self.caseload)? {
            for (_, task) in plan.content.tasks() {
                if task.status != TaskStatus::Open || task.due_on != Some(self.today) {
                    continue;
                }
                self.push(
                    Found {
                        kind: ItemKind::Task,
                        signal: (None, false),
                        client: Some(plan.client_id),
                        due_on: task.due_on,
                        record: None,
                        id: format!("task:{}", task.id),
                    },
                    Entry {
                        title: format!("Due today: {}", task.what),
                        href: format!("/v1/clients/{}/plans/{}", plan.client_id, plan.id),
                        ..blank()
                    },
                );
            }
        }
        Ok(())
    }

    /// Draft contacts: the author's own, or (a team's list) every one.
    fn drafts(&mut self, author: Option<UserId>) -> Result<(), ApiError> {
        for (client, id, by, on) in alert_store::drafts_of(self.conn, &self.caseload)? {
            if author.is_some_and(|me| me != by) {
                continue;
            }
            self.push(
                Found {
                    kind: ItemKind::UnsignedContact,
                    signal: (None, false),
                    client: Some(client),
                    due_on: Some(on),
                    record: Some((RecordKind::Contact, id.clone())),
                    id: format!("contact:{id}"),
                },
                Entry {
                    title: format!("Sign the contact of {on}"),
                    href: format!("/v1/clients/{client}/contacts/{id}"),
                    ..blank()
                },
            );
        }
        Ok(())
    }

    /// Benefits applications with a date within the benefit rule's days.
    fn applications(&mut self) -> Result<(), ApiError> {
        let until = self
            .today
            .checked_add_days(Days::new(u64::from(self.benefit_days)))
            .unwrap_or(NaiveDate::MAX);
        for due in alert_store::benefit_dues(self.conn, &self.caseload)? {
            let (client, id, program, kind, on) =
                (due.client_id, due.id, due.program, due.kind, due.on);
            if on > until {
                continue;
            }
            self.push(
                Found {
                    kind: ItemKind::Application,
                    signal: (None, false),
                    client: Some(client),
                    due_on: Some(on),
                    record: Some((RecordKind::BenefitApplication, id.clone())),
                    id: format!("application:{id}"),
                },
                Entry {
                    title: format!("{program}: {} due {on}", kind.as_str()),
                    href: format!("/v1/clients/{client}/benefit-applications/{id}"),
                    ..blank()
                },
            );
        }
        Ok(())
    }

    /// Plans and discharges waiting for a supervisor's approval, and
    /// transfers waiting for the team's answer.
    fn approvals(&mut self, clients: &[ClientId], team: TeamId) -> Result<(), ApiError> {
        for plan in plans::drafts_with_approval(self.conn, clients)? {
            let Some(approval) = plan.approval.as_ref() else {
                continue;
            };
            if approval.state != ApprovalState::Requested {
                continue;
            }
            let at = approval.requested_at;
            self.push(
                Found {
                    kind: ItemKind::PlanApproval,
                    signal: (None, false),
                    client: Some(plan.client_id),
                    due_on: Some(self.clock.day_of(at)),
                    record: Some((RecordKind::Plan, plan.id.to_string())),
                    id: format!("plan:{}", plan.id),
                },
                Entry {
                    title: "Service plan waiting for approval".to_owned(),
                    at: Some(at),
                    href: format!("/v1/clients/{}/plans/{}", plan.client_id, plan.id),
                    ..blank()
                },
            );
        }
        for episode in episodes::closures_waiting(self.conn, clients)? {
            let Some(pending) = episode.pending_closure.as_ref() else {
                continue;
            };
            let at = pending.at;
            self.push(
                Found {
                    kind: ItemKind::ClosureApproval,
                    signal: (None, false),
                    client: Some(episode.client_id),
                    due_on: Some(self.clock.day_of(at)),
                    record: None,
                    id: format!("episode:{}", episode.id),
                },
                Entry {
                    title: "Discharge waiting for approval".to_owned(),
                    at: Some(at),
                    href: format!("/v1/clients/{}/episodes", episode.client_id),
                    ..blank()
                },
            );
        }
        let filter = TransferFilter {
            to_team: Some(team),
            status: Some(TransferStatus::Requested),
            ..TransferFilter::default()
        };
        for record in transfers::list(self.conn, &filter, None, 500)?.items {
            let t = &record.transfer;
            self.push(
                Found {
                    kind: ItemKind::Transfer,
                    signal: (None, false),
                    client: None,
                    due_on: Some(self.clock.day_of(t.created_at)),
                    record: None,
                    id: format!("transfer:{}", t.id),
                },
                Entry {
                    title: format!("Transfer of {} waiting for an answer", record.client_name),
                    at: Some(t.created_at),
                    href: format!("/v1/transfers/{}", t.id),
                    ..blank()
                },
            );
        }
        Ok(())
    }
}

fn blank() -> Entry {
    Entry {
        client_id: None,
        client_name: None,
        case_manager_id: None,
        acuity: None,
        title: String::new(),
        at: None,
        href: String::new(),
        alert: None,
        ride: None,
    }
}
