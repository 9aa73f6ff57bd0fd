//! Benefits applications and their history (append-only). The next date
//! due is stored beside each application so lists across clients find the
//! dates coming due through an index.

use chrono::NaiveDate;
use diesel::prelude::*;
use spoke_domain::benefit::{
    Application, ApplicationEvent, ApplicationFields, ApplicationStatus, DueKind, Program,
};
use spoke_domain::ids::{BenefitApplicationId, ClientId, TeamId, UserId};
use spoke_domain::policy::ClientScope;
use spoke_domain::values::{LongText, ShortText};

use crate::StoreError;
use crate::clients::within_scope;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::{Keyset, Page};
use crate::rows::{
    corrupt, from_db, from_json, one_versioned_row, parse_id, stored, text, to_db, to_json,
};
use crate::schema::{benefit_application_events, benefit_applications, clients};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = benefit_applications, treat_none_as_default_value = false)]
#[diesel(treat_none_as_null = true)]
struct ApplicationRow {
    id: String,
    client_id: String,
    program: String,
    program_name: Option<String>,
    organization_id: Option<String>,
    case_number: Option<String>,
    documents: String,
    notes: Option<String>,
    status: String,
    outcome: String,
    next_due_on: Option<NaiveDate>,
    next_due_kind: Option<String>,
    created_by: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Application> for ApplicationRow {
    fn from(a: &Application) -> Self {
        let f = &a.fields;
        let due = a.next_due();
        ApplicationRow {
            id: a.id.to_string(),
            client_id: a.client_id.to_string(),
            program: f.program.as_str().to_owned(),
            program_name: text(&f.program_name),
            organization_id: text(&f.organization_id),
            case_number: text(&f.case_number),
            documents: to_json(&f.documents),
            notes: f.notes.as_ref().map(|n| n.as_str().to_owned()),
            status: a.status.as_str().to_owned(),
            outcome: to_json(&a.outcome),
            next_due_on: due.map(|d| d.on),
            next_due_kind: due.map(|d| d.kind.as_str().to_owned()),
            created_by: a.created_by.to_string(),
            created_at: to_db(a.created_at),
            updated_at: to_db(a.updated_at),
            version: a.version,
        }
    }
}

impl ApplicationRow {
    fn into_domain(self) -> Result<Application, StoreError> {
        Ok(Application {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            fields: ApplicationFields {
                program: Program::parse(&self.program)
                    .ok_or_else(|| corrupt("program", &self.program))?,
                program_name: stored("program name", self.program_name, ShortText::parse)?,
                organization_id: self.organization_id.as_deref().map(parse_id).transpose()?,
                case_number: stored("case number", self.case_number, ShortText::parse)?,
                documents: from_json(&self.documents)?,
                notes: stored("notes", self.notes, LongText::parse)?,
            },
            status: ApplicationStatus::parse(&self.status)
                .ok_or_else(|| corrupt("application status", &self.status))?,
            outcome: from_json(&self.outcome)?,
            created_by: parse_id(&self.created_by)?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = benefit_application_events, treat_none_as_default_value = false)]
struct EventRow {
    id: String,
    application_id: String,
    at: chrono::NaiveDateTime,
    by_user: String,
    from_status: Option<String>,
    to_status: String,
    on_day: NaiveDate,
    note: Option<String>,
}

fn status(raw: &str) -> Result<ApplicationStatus, StoreError> {
    ApplicationStatus::parse(raw).ok_or_else(|| corrupt("application status", raw))
}

impl EventRow {
    fn new(application: BenefitApplicationId, e: &ApplicationEvent) -> Self {
        EventRow {
            id: e.id.to_string(),
            application_id: application.to_string(),
            at: to_db(e.at),
            by_user: e.by.to_string(),
            from_status: e.from.map(|s| s.as_str().to_owned()),
            to_status: e.to.as_str().to_owned(),
            on_day: e.on,
            note: e.note.clone(),
        }
    }

    fn into_domain(self) -> Result<ApplicationEvent, StoreError> {
        Ok(ApplicationEvent {
            id: parse_id(&self.id)?,
            at: from_db(self.at),
            by: parse_id(&self.by_user)?,
            from: self.from_status.as_deref().map(status).transpose()?,
            to: status(&self.to_status)?,
            on: self.on_day,
            note: self.note,
        })
    }
}

/// Stores a new application with its first history entry.
pub fn insert_application(
    conn: &mut DbConnection,
    a: &Application,
    created: &ApplicationEvent,
) -> Result<(), StoreError> {
    diesel::insert_into(benefit_applications::table)
        .values(ApplicationRow::from(a))
        .execute(conn)?;
    insert_event(conn, a.id, created)
}

fn insert_event(
    conn: &mut DbConnection,
    application: BenefitApplicationId,
    event: &ApplicationEvent,
) -> Result<(), StoreError> {
    diesel::insert_into(benefit_application_events::table)
        .values(EventRow::new(application, event))
        .execute(conn)?;
    Ok(())
}

/// Writes a changed or moved application if still at `expected_version`,
/// with its history entry.
pub fn save_application(
    conn: &mut DbConnection,
    a: &Application,
    expected_version: i32,
    event: &ApplicationEvent,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        benefit_applications::table
            .filter(benefit_applications::id.eq(a.id.to_string()))
            .filter(benefit_applications::version.eq(expected_version)),
    )
    .set(ApplicationRow::from(a))
    .execute(conn)?;
    one_versioned_row(changed)?;
    insert_event(conn, a.id, event)
}

/// An application of `client`; another client's is not found.
pub fn get_application(
    conn: &mut DbConnection,
    client: ClientId,
    id: BenefitApplicationId,
) -> Result<Application, StoreError> {
    benefit_applications::table
        .filter(benefit_applications::id.eq(id.to_string()))
        .filter(benefit_applications::client_id.eq(client.to_string()))
        .select(ApplicationRow::as_select())
        .first::<ApplicationRow>(conn)?
        .into_domain()
}

/// An application's history, oldest first.
pub fn history(
    conn: &mut DbConnection,
    id: BenefitApplicationId,
) -> Result<Vec<ApplicationEvent>, StoreError> {
    benefit_application_events::table
        .filter(benefit_application_events::application_id.eq(id.to_string()))
        .order((
            benefit_application_events::at.asc(),
            benefit_application_events::id.asc(),
        ))
        .select(EventRow::as_select())
        .load::<EventRow>(conn)?
        .into_iter()
        .map(EventRow::into_domain)
        .collect()
}

/// Which applications a list returns, beyond the actor's scope.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    pub client: Option<ClientId>,
    pub team: Option<TeamId>,
    /// The clients whose primary case manager this is.
    pub case_manager: Option<UserId>,
    pub status: Option<ApplicationStatus>,
    pub program: Option<Program>,
    pub due_kind: Option<DueKind>,
    /// With a date due from this day on; the list is then ordered by it.
    pub due_from: Option<NaiveDate>,
    /// With a date due up to and including this day; the list is then ordered by it.
    pub due_to: Option<NaiveDate>,
}

impl ApplicationFilter {
    /// Whether the list is of dates coming due (ordered by them).
    pub fn by_due_date(&self) -> bool {
        self.due_from.is_some() || self.due_to.is_some() || self.due_kind.is_some()
    }
}

/// The applications of clients in `scope` that match `filter`: by date due,
/// soonest first, when the filter asks for dates due; otherwise oldest
/// first by creation. `limit` at a time after `after`.
pub fn list_applications(
    conn: &mut DbConnection,
    scope: &ClientScope,
    filter: &ApplicationFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Application>, StoreError> {
    let mut query = benefit_applications::table
        .inner_join(clients::table)
        .select(ApplicationRow::as_select())
        .into_boxed::<MultiBackend>();
    query = within_scope!(query, scope);
    if let Some(client) = filter.client {
        query = query.filter(benefit_applications::client_id.eq(client.to_string()));
    }
    if let Some(team) = filter.team {
        query = query.filter(clients::team_id.eq(team.to_string()));
    }
    if let Some(user) = filter.case_manager {
        query = query.filter(clients::primary_case_manager_id.eq(user.to_string()));
    }
    if let Some(status) = filter.status {
        query = query.filter(benefit_applications::status.eq(status.as_str()));
    }
    if let Some(program) = filter.program {
        query = query.filter(benefit_applications::program.eq(program.as_str()));
    }
    let by_due = filter.by_due_date();
    if by_due {
        query = query.filter(benefit_applications::next_due_on.is_not_null());
        if let Some(kind) = filter.due_kind {
            query = query.filter(benefit_applications::next_due_kind.eq(kind.as_str()));
        }
        if let Some(from) = filter.due_from {
            query = query.filter(benefit_applications::next_due_on.ge(from));
        }
        if let Some(to) = filter.due_to {
            query = query.filter(benefit_applications::next_due_on.le(to));
        }
        if let Some(after) = after {
            // The cursor's moment carries the due day at midnight UTC.
            let day = after.at.date_naive();
            query = query.filter(
                benefit_applications::next_due_on
                    .gt(day)
                    .or(benefit_applications::next_due_on
                        .eq(day)
                        .and(benefit_applications::id.gt(after.id.clone()))),
            );
        }
        query = query.order((
            benefit_applications::next_due_on.asc(),
            benefit_applications::id.asc(),
        ));
    } else {
        if let Some(after) = after {
            let at = to_db(after.at);
            query = query.filter(
                benefit_applications::created_at
                    .gt(at)
                    .or(benefit_applications::created_at
                        .eq(at)
                        .and(benefit_applications::id.gt(after.id.clone()))),
            );
        }
        query = query.order((
            benefit_applications::created_at.asc(),
            benefit_applications::id.asc(),
        ));
    }
    let rows: Vec<ApplicationRow> = query
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(ApplicationRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |a| Keyset {
        at: match (by_due, a.next_due()) {
            (true, Some(due)) => due.on.and_time(chrono::NaiveTime::MIN).and_utc(),
            _ => a.created_at,
        },
        id: a.id.to_string(),
    }))
}
