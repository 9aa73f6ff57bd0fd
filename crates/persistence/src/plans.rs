//! Service plans, the index of their tasks, and goals' progress notes.

use chrono::NaiveDate;
use diesel::prelude::*;
use spoke_domain::ids::{ClientId, PlanId};
use spoke_domain::plan::{Agreement, AgreementMethod, Plan, PlanContent, PlanStatus, ProgressNote};
use spoke_domain::policy::ClientScope;

use crate::StoreError;
use crate::clients::within_scope;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::Page;
use crate::rows::{corrupt, from_db, from_json, one_versioned_row, parse_id, to_db, to_json};
use crate::schema::{clients, plan_notes, plan_tasks, plans};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = plans, treat_none_as_null = true, treat_none_as_default_value = false)]
struct PlanRow {
    id: String,
    client_id: String,
    status: String,
    effective_on: NaiveDate,
    review_due_on: NaiveDate,
    agreed_on: Option<NaiveDate>,
    agreement_method: Option<String>,
    goals: String,
    approval: Option<String>,
    supersedes_id: Option<String>,
    activated_at: Option<chrono::NaiveDateTime>,
    closed_at: Option<chrono::NaiveDateTime>,
    created_by: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Plan> for PlanRow {
    fn from(p: &Plan) -> Self {
        let c = &p.content;
        PlanRow {
            id: p.id.to_string(),
            client_id: p.client_id.to_string(),
            status: p.status.as_str().to_owned(),
            effective_on: c.effective_on,
            review_due_on: c.review_due_on,
            agreed_on: c.agreement.map(|a| a.agreed_on),
            agreement_method: c.agreement.map(|a| a.method.as_str().to_owned()),
            goals: to_json(&c.goals),
            approval: p.approval.as_ref().map(to_json),
            supersedes_id: p.supersedes.map(|id| id.to_string()),
            activated_at: p.activated_at.map(to_db),
            closed_at: p.closed_at.map(to_db),
            created_by: p.created_by.to_string(),
            created_at: to_db(p.created_at),
            updated_at: to_db(p.updated_at),
            version: p.version,
        }
    }
}

impl PlanRow {
    fn into_domain(self) -> Result<Plan, StoreError> {
        let agreement = match (self.agreed_on, self.agreement_method.as_deref()) {
            (Some(agreed_on), Some(method)) => Some(Agreement {
                agreed_on,
                method: AgreementMethod::parse(method)
                    .ok_or_else(|| corrupt("agreement method", method))?,
            }),
            _ => None,
        };
        Ok(Plan {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            status: PlanStatus::parse(&self.status)
                .ok_or_else(|| corrupt("plan status", &self.status))?,
            content: PlanContent {
                effective_on: self.effective_on,
                review_due_on: self.review_due_on,
                agreement,
                goals: from_json(&self.goals)?,
            },
            approval: self.approval.as_deref().map(from_json).transpose()?,
            supersedes: self.supersedes_id.as_deref().map(parse_id).transpose()?,
            activated_at: self.activated_at.map(from_db),
            closed_at: self.closed_at.map(from_db),
            created_by: parse_id(&self.created_by)?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

/// Rewrites the task index rows of `p`.
fn write_tasks(conn: &mut DbConnection, p: &Plan) -> Result<(), StoreError> {
    let id = p.id.to_string();
    diesel::delete(plan_tasks::table.filter(plan_tasks::plan_id.eq(&id))).execute(conn)?;
    for (goal, task) in p.content.tasks() {
        diesel::insert_into(plan_tasks::table)
            .values((
                plan_tasks::id.eq(task.id.to_string()),
                plan_tasks::plan_id.eq(&id),
                plan_tasks::client_id.eq(p.client_id.to_string()),
                plan_tasks::goal_id.eq(goal.id.to_string()),
                plan_tasks::due_on.eq(task.due_on),
                plan_tasks::status.eq(task.status.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Stores a new plan. Call inside a transaction.
pub fn insert_plan(conn: &mut DbConnection, p: &Plan) -> Result<(), StoreError> {
    diesel::insert_into(plans::table)
        .values(PlanRow::from(p))
        .execute(conn)?;
    write_tasks(conn, p)
}

/// Writes `p` over the stored row if it is still at `expected_version`.
/// A second active plan for the client is a `Conflict`. Call inside a
/// transaction.
pub fn update_plan(
    conn: &mut DbConnection,
    p: &Plan,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        plans::table
            .filter(plans::id.eq(p.id.to_string()))
            .filter(plans::version.eq(expected_version)),
    )
    .set(PlanRow::from(p))
    .execute(conn)?;
    one_versioned_row(changed)?;
    write_tasks(conn, p)
}

/// A plan of `client`; another client's is not found.
pub fn get_plan(conn: &mut DbConnection, client: ClientId, id: PlanId) -> Result<Plan, StoreError> {
    plans::table
        .filter(plans::id.eq(id.to_string()))
        .filter(plans::client_id.eq(client.to_string()))
        .select(PlanRow::as_select())
        .first::<PlanRow>(conn)?
        .into_domain()
}

/// The client's active plan, if any.
pub fn active_plan(conn: &mut DbConnection, client: ClientId) -> Result<Option<Plan>, StoreError> {
    plans::table
        .filter(plans::client_id.eq(client.to_string()))
        .filter(plans::status.eq(PlanStatus::Active.as_str()))
        .select(PlanRow::as_select())
        .first::<PlanRow>(conn)
        .optional()?
        .map(PlanRow::into_domain)
        .transpose()
}

/// The active plans of `clients`.
pub fn active_plans_of(
    conn: &mut DbConnection,
    clients: &[ClientId],
) -> Result<Vec<Plan>, StoreError> {
    let ids: Vec<String> = clients.iter().map(ToString::to_string).collect();
    plans::table
        .filter(plans::client_id.eq_any(ids))
        .filter(plans::status.eq(PlanStatus::Active.as_str()))
        .select(PlanRow::as_select())
        .load::<PlanRow>(conn)?
        .into_iter()
        .map(PlanRow::into_domain)
        .collect()
}

/// The draft plans of `clients` that carry an approval (asked for or decided).
pub fn drafts_with_approval(
    conn: &mut DbConnection,
    clients: &[ClientId],
) -> Result<Vec<Plan>, StoreError> {
    let ids: Vec<String> = clients.iter().map(ToString::to_string).collect();
    plans::table
        .filter(plans::client_id.eq_any(ids))
        .filter(plans::status.eq(PlanStatus::Draft.as_str()))
        .filter(plans::approval.is_not_null())
        .select(PlanRow::as_select())
        .load::<PlanRow>(conn)?
        .into_iter()
        .map(PlanRow::into_domain)
        .collect()
}

/// Every plan of `client`, newest first: the plan history.
pub fn client_plans(conn: &mut DbConnection, client: ClientId) -> Result<Vec<Plan>, StoreError> {
    plans::table
        .filter(plans::client_id.eq(client.to_string()))
        .order((plans::created_at.desc(), plans::id.desc()))
        .select(PlanRow::as_select())
        .load::<PlanRow>(conn)?
        .into_iter()
        .map(PlanRow::into_domain)
        .collect()
}

/// Which plans a cross-client list returns.
#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    pub status: Option<PlanStatus>,
    /// Plans whose review is due before this day.
    pub review_due_before: Option<NaiveDate>,
}

/// The plans of the clients within `scope` that match `filter`, by review
/// date then id, `limit` at a time after `after` (a review date and id).
pub fn list_plans(
    conn: &mut DbConnection,
    scope: &ClientScope,
    filter: &PlanFilter,
    after: Option<&(NaiveDate, String)>,
    limit: usize,
) -> Result<Page<Plan, (NaiveDate, String)>, StoreError> {
    let mut query = plans::table
        .inner_join(clients::table)
        .select(PlanRow::as_select())
        .into_boxed::<MultiBackend>();
    query = within_scope!(query, scope);
    if let Some(status) = filter.status {
        query = query.filter(plans::status.eq(status.as_str()));
    }
    if let Some(before) = filter.review_due_before {
        query = query.filter(plans::review_due_on.lt(before));
    }
    if let Some((day, id)) = after {
        query = query.filter(
            plans::review_due_on
                .gt(*day)
                .or(plans::review_due_on.eq(*day).and(plans::id.gt(id.clone()))),
        );
    }
    let rows: Vec<PlanRow> = query
        .order((plans::review_due_on.asc(), plans::id.asc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(PlanRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |p| {
        (p.content.review_due_on, p.id.to_string())
    }))
}

/// Appends a progress note to a goal of `plan`.
pub fn add_note(
    conn: &mut DbConnection,
    plan: PlanId,
    note: &ProgressNote,
) -> Result<(), StoreError> {
    diesel::insert_into(plan_notes::table)
        .values((
            plan_notes::id.eq(note.id.to_string()),
            plan_notes::plan_id.eq(plan.to_string()),
            plan_notes::goal_id.eq(note.goal_id.to_string()),
            plan_notes::author_id.eq(note.author_id.to_string()),
            plan_notes::written_at.eq(to_db(note.written_at)),
            plan_notes::text.eq(&note.text),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every progress note of `plan`, oldest first.
pub fn notes(conn: &mut DbConnection, plan: PlanId) -> Result<Vec<ProgressNote>, StoreError> {
    let rows: Vec<(String, String, String, chrono::NaiveDateTime, String)> = plan_notes::table
        .filter(plan_notes::plan_id.eq(plan.to_string()))
        .order((plan_notes::written_at.asc(), plan_notes::id.asc()))
        .select((
            plan_notes::id,
            plan_notes::goal_id,
            plan_notes::author_id,
            plan_notes::written_at,
            plan_notes::text,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, goal, author, at, text)| {
            Ok(ProgressNote {
                id: parse_id(&id)?,
                goal_id: parse_id(&goal)?,
                author_id: parse_id(&author)?,
                written_at: from_db(at),
                text,
            })
        })
        .collect()
}
