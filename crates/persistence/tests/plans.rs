//! Service plans on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::NaiveDate;
use spoke_domain::ids::{ClientId, ProgressNoteId, UserId};
use spoke_domain::plan::{
    Agreement, AgreementMethod, GoalInput, GoalStatus, Plan, PlanInput, PlanStatus, ProgressNote,
    Responsible, TaskInput, TaskStatus,
};
use spoke_domain::policy::ClientScope;
use spoke_domain::staff::Role;
use spoke_persistence::plans::{self as store, PlanFilter};
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team, user};
use spoke_persistence::{DbConnection, StoreError, both_backends, now};

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn draft(conn: &mut DbConnection, client: ClientId, author: UserId, review: NaiveDate) -> Plan {
    let input = PlanInput {
        effective_on: day(1, 1),
        review_due_on: review,
        agreement: Some(Agreement {
            agreed_on: day(1, 1),
            method: AgreementMethod::Verbal,
        }),
        goals: vec![GoalInput {
            id: None,
            domain: "housing".into(),
            in_own_words: "My own place".into(),
            target: "A signed lease".into(),
            target_date: None,
            status: GoalStatus::Active,
            abandoned_reason: None,
            tasks: vec![TaskInput {
                id: None,
                what: "Apply for the voucher".into(),
                responsible: Responsible::CaseManager,
                responsible_name: None,
                natural_support_id: None,
                care_team_member_id: None,
                referral_id: None,
                due_on: Some(day(2, 1)),
                status: TaskStatus::Open,
            }],
        }],
    };
    let active = store::active_plan(conn, client).unwrap().map(|p| p.id);
    let plan = Plan::new(client, input.parse(None).unwrap(), active, author, now());
    store::insert_plan(conn, &plan).unwrap();
    plan
}

fn activate(conn: &mut DbConnection, plan: &mut Plan) {
    let mut current = store::active_plan(conn, plan.client_id).unwrap();
    let current_version = current.as_ref().map(|c| c.version);
    let expected = plan.version;
    plan.activate(current.as_mut(), false, now()).unwrap();
    if let (Some(current), Some(version)) = (current, current_version) {
        store::update_plan(conn, &current, version).unwrap();
    }
    store::update_plan(conn, plan, expected).unwrap();
}

fn plans_round_trip_and_only_one_is_active(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let cm = user(
        &mut conn,
        "cm@example.org",
        Role::CaseManager,
        Some(north.id),
    );
    let maria = client(&mut conn, north.id, "Maria", "Rivera");
    let mut first = draft(&mut conn, maria.id, cm.id, day(3, 1));
    assert_eq!(
        store::get_plan(&mut conn, maria.id, first.id).unwrap(),
        first
    );
    activate(&mut conn, &mut first);
    assert_eq!(
        store::active_plan(&mut conn, maria.id).unwrap().unwrap(),
        first
    );
    let mut second = draft(&mut conn, maria.id, cm.id, day(6, 1));
    assert_eq!(second.supersedes, Some(first.id));
    activate(&mut conn, &mut second);
    let history = store::client_plans(&mut conn, maria.id).unwrap();
    let statuses: Vec<PlanStatus> = history.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [PlanStatus::Active, PlanStatus::Superseded]);
    // The database itself refuses a second active plan, whatever the code does.
    let mut forced = history[1].clone();
    forced.status = PlanStatus::Active;
    assert!(matches!(
        store::update_plan(&mut conn, &forced, history[1].version),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store::update_plan(&mut conn, &second, 1),
        Err(StoreError::Stale)
    ));
}

fn plans_list_by_review_date_within_scope(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let south = team(&mut conn, "South");
    let cm = user(
        &mut conn,
        "cm@example.org",
        Role::CaseManager,
        Some(north.id),
    );
    let mut due = Vec::new();
    for (n, review) in [day(3, 1), day(2, 1), day(5, 1)].into_iter().enumerate() {
        let c = client(&mut conn, north.id, &format!("C{n}"), "North");
        let mut p = draft(&mut conn, c.id, cm.id, review);
        activate(&mut conn, &mut p);
        due.push((review, p.id));
    }
    let far = client(&mut conn, south.id, "Far", "South");
    let mut hidden = draft(&mut conn, far.id, cm.id, day(1, 15));
    activate(&mut conn, &mut hidden);
    draft(&mut conn, far.id, cm.id, day(1, 20)); // a draft, never overdue
    let overdue = |conn: &mut DbConnection, scope: &ClientScope| {
        let filter = PlanFilter {
            status: Some(PlanStatus::Active),
            review_due_before: Some(day(4, 1)),
        };
        let mut ids = Vec::new();
        let mut after = None;
        loop {
            let page = store::list_plans(conn, scope, &filter, after.as_ref(), 1).unwrap();
            ids.extend(page.items.iter().map(|p| p.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        ids
    };
    assert_eq!(
        overdue(&mut conn, &ClientScope::Team(north.id)),
        [due[1].1, due[0].1],
        "by review date, only the team's"
    );
    assert_eq!(overdue(&mut conn, &ClientScope::All).len(), 3);
    assert!(overdue(&mut conn, &ClientScope::Nothing).is_empty());
}

fn progress_notes_are_appended(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let cm = user(
        &mut conn,
        "cm@example.org",
        Role::CaseManager,
        Some(north.id),
    );
    let maria = client(&mut conn, north.id, "Maria", "Rivera");
    let plan = draft(&mut conn, maria.id, cm.id, day(3, 1));
    let goal = plan.content.goals[0].id;
    let notes: Vec<ProgressNote> = ["Applied", "Interview set"]
        .into_iter()
        .map(|text| ProgressNote {
            id: ProgressNoteId::generate(),
            goal_id: goal,
            author_id: cm.id,
            written_at: now(),
            text: text.into(),
        })
        .collect();
    for note in &notes {
        store::add_note(&mut conn, plan.id, note).unwrap();
    }
    assert_eq!(store::notes(&mut conn, plan.id).unwrap(), notes);
}

both_backends!(
    plans_round_trip_and_only_one_is_active,
    plans_list_by_review_date_within_scope,
    progress_notes_are_appended,
);
