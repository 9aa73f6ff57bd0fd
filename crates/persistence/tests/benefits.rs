//! Benefits applications and their history, on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::NaiveDate;
use spoke_domain::benefit::{
    Application, ApplicationInput, ApplicationMove, ApplicationStatus, DueKind,
};
use spoke_domain::ids::{ClientId, UserId};
use spoke_domain::policy::ClientScope;
use spoke_domain::staff::Role;
use spoke_persistence::benefits::{self as store, ApplicationFilter};
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team, user};
use spoke_persistence::{DbConnection, StoreError, both_backends, now};

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn new(conn: &mut DbConnection, client: ClientId, by: UserId, program: &str) -> Application {
    let input: ApplicationInput = serde_json::from_value(serde_json::json!({
        "program": program, "case_number": "C-1",
        "documents": [{"kind": "identity", "gathered": true}, {"kind": "proof_of_income"}]
    }))
    .unwrap();
    let (a, created) = Application::new(client, input.parse().unwrap(), by, day(11, 1), now());
    store::insert_application(conn, &a, &created).unwrap();
    a
}

fn moved(conn: &mut DbConnection, a: &mut Application, by: UserId, body: serde_json::Value) {
    let input: ApplicationMove = serde_json::from_value(body).unwrap();
    let expected = a.version;
    let event = a.move_to(input, by, day(11, 20), now()).unwrap();
    store::save_application(conn, a, expected, &event).unwrap();
}

fn an_application_keeps_its_history_and_its_version(db: &TestDb) {
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
    let mut a = new(&mut conn, maria.id, cm.id, "snap");
    assert_eq!(
        store::get_application(&mut conn, maria.id, a.id).unwrap(),
        a
    );
    assert!(matches!(
        store::get_application(&mut conn, ClientId::generate(), a.id),
        Err(StoreError::NotFound)
    ));
    moved(
        &mut conn,
        &mut a,
        cm.id,
        serde_json::json!({"status": "submitted", "on": "2026-11-03"}),
    );
    moved(
        &mut conn,
        &mut a,
        cm.id,
        serde_json::json!({"status": "pending_information", "on": "2026-11-10",
            "information_requested": "Pay stubs", "information_due_on": "2026-11-24"}),
    );
    assert_eq!(
        store::get_application(&mut conn, maria.id, a.id).unwrap(),
        a
    );
    let history = store::history(&mut conn, a.id).unwrap();
    let moves: Vec<_> = history.iter().map(|e| (e.from, e.to)).collect();
    assert_eq!(
        moves,
        [
            (None, ApplicationStatus::Preparing),
            (
                Some(ApplicationStatus::Preparing),
                ApplicationStatus::Submitted
            ),
            (
                Some(ApplicationStatus::Submitted),
                ApplicationStatus::PendingInformation
            ),
        ]
    );
    assert_eq!(history[2].note.as_deref(), Some("Pay stubs"));
    // A stale save changes nothing, not even the history.
    let mut stale = a.clone();
    let event = stale
        .move_to(
            serde_json::from_value(serde_json::json!({"status": "withdrawn", "reason": "Moved"}))
                .unwrap(),
            cm.id,
            day(11, 20),
            now(),
        )
        .unwrap();
    assert!(matches!(
        store::save_application(&mut conn, &stale, a.version - 1, &event),
        Err(StoreError::Stale)
    ));
    assert_eq!(store::history(&mut conn, a.id).unwrap().len(), 3);
}

fn dates_due_are_listed_soonest_first_within_the_scope(db: &TestDb) {
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
    let maria = client(&mut conn, north.id, "Maria", "Rivera");
    let jon = client(&mut conn, south.id, "Jon", "Berg");
    let mut info = new(&mut conn, maria.id, cm.id, "snap");
    moved(
        &mut conn,
        &mut info,
        cm.id,
        serde_json::json!({"status": "submitted"}),
    );
    moved(
        &mut conn,
        &mut info,
        cm.id,
        serde_json::json!({"status": "pending_information", "information_requested": "ID",
            "information_due_on": "2026-12-04"}),
    );
    let mut recert = new(&mut conn, maria.id, cm.id, "medicaid");
    moved(
        &mut conn,
        &mut recert,
        cm.id,
        serde_json::json!({"status": "submitted"}),
    );
    moved(
        &mut conn,
        &mut recert,
        cm.id,
        serde_json::json!({"status": "approved", "recertification_on": "2026-12-01"}),
    );
    let mut southern = new(&mut conn, jon.id, cm.id, "ssi");
    moved(
        &mut conn,
        &mut southern,
        cm.id,
        serde_json::json!({"status": "submitted"}),
    );
    moved(
        &mut conn,
        &mut southern,
        cm.id,
        serde_json::json!({"status": "denied", "reason": "Income"}),
    );
    moved(
        &mut conn,
        &mut southern,
        cm.id,
        serde_json::json!({"status": "appealed", "hearing_on": "2026-12-02"}),
    );
    let quiet = new(&mut conn, maria.id, cm.id, "wic");

    let ids = |conn: &mut DbConnection, scope: &ClientScope, filter: &ApplicationFilter| {
        store::list_applications(conn, scope, filter, None, 50)
            .unwrap()
            .items
            .into_iter()
            .map(|a| a.id)
            .collect::<Vec<_>>()
    };
    let december = ApplicationFilter {
        due_from: Some(day(12, 1)),
        due_to: Some(day(12, 31)),
        ..ApplicationFilter::default()
    };
    assert_eq!(
        ids(&mut conn, &ClientScope::All, &december),
        [recert.id, southern.id, info.id]
    );
    assert_eq!(
        ids(&mut conn, &ClientScope::Team(north.id), &december),
        [recert.id, info.id]
    );
    let hearings = ApplicationFilter {
        due_kind: Some(DueKind::Hearing),
        ..ApplicationFilter::default()
    };
    assert_eq!(ids(&mut conn, &ClientScope::All, &hearings), [southern.id]);
    let everything = ApplicationFilter::default();
    assert_eq!(
        ids(&mut conn, &ClientScope::All, &everything),
        [info.id, recert.id, southern.id, quiet.id]
    );
    // Pages of one walk the dates due without gaps or repeats.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page =
            store::list_applications(&mut conn, &ClientScope::All, &december, after.as_ref(), 1)
                .unwrap();
        seen.extend(page.items.iter().map(|a| a.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, [recert.id, southern.id, info.id]);
}

both_backends!(
    an_application_keeps_its_history_and_its_version,
    dates_due_are_listed_soonest_first_within_the_scope,
);
