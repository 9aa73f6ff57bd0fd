//! Critical events and residences, on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::NaiveDate;
use spoke_domain::consent::ConsentCategory;
use spoke_domain::critical_event::{CriticalEvent, EventInput, EventType};
use spoke_domain::ids::{ClientId, UserId};
use spoke_domain::policy::{ClientScope, ContactScope, ContactView};
use spoke_domain::residence::{Residence, ResidenceInput};
use spoke_domain::staff::Role;
use spoke_persistence::events::{self as store, EventFilter};
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team, user};
use spoke_persistence::{DbConnection, StoreError, both_backends, now};

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn today() -> NaiveDate {
    day(11, 28)
}

fn event(
    conn: &mut DbConnection,
    client: ClientId,
    by: UserId,
    body: serde_json::Value,
) -> CriticalEvent {
    let mut body = body;
    body["learned_from"] = "client".into();
    let input: EventInput = serde_json::from_value(body).unwrap();
    let e = CriticalEvent::new(client, input.parse(today()).unwrap(), by, now());
    store::insert_event(conn, &e).unwrap();
    e
}

fn residence(client: ClientId, by: UserId, body: serde_json::Value) -> Residence {
    let input: ResidenceInput = serde_json::from_value(body).unwrap();
    Residence::new(client, input.parse(today()).unwrap(), by, now())
}

fn everyone() -> ContactScope {
    ContactScope {
        clients: ClientScope::All,
        categories: None,
        view: ContactView::Full,
    }
}

fn types(conn: &mut DbConnection, scope: &ContactScope, filter: &EventFilter) -> Vec<EventType> {
    store::list_events(conn, scope, filter, None, 50)
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.fields.event_type)
        .collect()
}

fn events_are_kept_listed_and_filtered(db: &TestDb) {
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
    let joe = client(&mut conn, south.id, "Joe", "Tran");
    let stay = event(
        &mut conn,
        maria.id,
        cm.id,
        serde_json::json!({"type": "psychiatric_hospitalization", "started_on": "2026-10-02",
            "ended_on": "2026-10-09", "facility_name": "St. Vincent", "notes": "New medication."}),
    );
    let open = event(
        &mut conn,
        maria.id,
        cm.id,
        serde_json::json!({"type": "medical_hospitalization", "started_on": "2026-11-20"}),
    );
    event(
        &mut conn,
        joe.id,
        cm.id,
        serde_json::json!({"type": "arrest", "started_on": "2026-09-15"}),
    );
    assert_eq!(
        store::get_event(&mut conn, maria.id, stay.id).unwrap(),
        stay
    );
    assert!(matches!(
        store::get_event(&mut conn, joe.id, stay.id),
        Err(StoreError::NotFound)
    ));
    let all = EventFilter::default();
    assert_eq!(
        types(&mut conn, &everyone(), &all),
        [
            EventType::Arrest,
            EventType::PsychiatricHospitalization,
            EventType::MedicalHospitalization
        ]
    );
    let north_only = ContactScope {
        clients: ClientScope::Team(north.id),
        ..everyone()
    };
    assert_eq!(types(&mut conn, &north_only, &all).len(), 2);
    // A care-team member's scope keeps general and health events, and their own.
    let care_team = ContactScope {
        categories: Some((
            vec![ConsentCategory::General, ConsentCategory::Health],
            UserId::generate(),
        )),
        ..everyone()
    };
    assert_eq!(
        types(&mut conn, &care_team, &all),
        [EventType::Arrest, EventType::MedicalHospitalization]
    );
    let open_only = EventFilter {
        open: Some(true),
        ..EventFilter::default()
    };
    assert_eq!(
        types(&mut conn, &everyone(), &open_only),
        [EventType::MedicalHospitalization]
    );
    // A date range finds what went on in it: the stay that ended inside it, not the arrest before.
    let october = EventFilter {
        from: Some(day(10, 5)),
        to: Some(day(10, 31)),
        ..EventFilter::default()
    };
    assert_eq!(
        types(&mut conn, &everyone(), &october),
        [EventType::PsychiatricHospitalization]
    );
    let mut ended = open.clone();
    ended.fields.ended_on = Some(day(11, 24));
    ended.touch(now());
    store::update_event(&mut conn, &ended, open.version).unwrap();
    assert!(matches!(
        store::update_event(&mut conn, &ended, open.version),
        Err(StoreError::Stale)
    ));
    assert_eq!(
        store::get_event(&mut conn, maria.id, open.id).unwrap(),
        ended
    );
    assert_eq!(
        store::stays_of(&mut conn, maria.id, day(11, 1), day(11, 30))
            .unwrap()
            .len(),
        1
    );
}

fn pages_of_events_follow_the_start_day(db: &TestDb) {
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
    for d in [3, 1, 2, 2, 5] {
        event(
            &mut conn,
            maria.id,
            cm.id,
            serde_json::json!({"type": "crisis_contact", "started_on": format!("2026-11-{d:02}")}),
        );
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store::list_events(
            &mut conn,
            &everyone(),
            &EventFilter::default(),
            after.as_ref(),
            2,
        )
        .unwrap();
        seen.extend(page.items.iter().map(|e| e.fields.started_on));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [day(11, 1), day(11, 2), day(11, 2), day(11, 3), day(11, 5)]
    );
}

fn a_client_has_one_current_residence(db: &TestDb) {
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
    let home = residence(
        maria.id,
        cm.id,
        serde_json::json!({"setting": "with_family", "moved_in_on": "2026-01-01",
            "address": {"line1": "12 Oak St", "city": "Springfield", "region": "IL"}}),
    );
    store::insert_residence(&mut conn, &home).unwrap();
    let new = residence(
        maria.id,
        cm.id,
        serde_json::json!({"setting": "supportive_housing", "moved_in_on": "2026-06-01"}),
    );
    // The database itself refuses a second current residence.
    assert!(store::insert_residence(&mut conn, &new).is_err());
    let mut closed = new.fit(std::slice::from_ref(&home), true).unwrap().unwrap();
    closed.touch(now());
    store::update_residence(&mut conn, &closed, home.version).unwrap();
    store::insert_residence(&mut conn, &new).unwrap();
    let history = store::residences_of(&mut conn, maria.id).unwrap();
    assert_eq!(history, [closed.clone(), new.clone()]);
    assert_eq!(
        store::get_residence(&mut conn, maria.id, home.id)
            .unwrap()
            .fields
            .address,
        home.fields.address
    );
    assert!(matches!(
        store::update_residence(&mut conn, &closed, home.version),
        Err(StoreError::Stale)
    ));
}

both_backends!(
    events_are_kept_listed_and_filtered,
    pages_of_events_follow_the_start_day,
    a_client_has_one_current_residence,
);
