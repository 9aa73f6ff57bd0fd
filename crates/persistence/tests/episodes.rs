//! Episodes of care, on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::NaiveDate;
use spoke_domain::episode::{DischargeInput, DischargeReason, EnrollmentInput, Episode};
use spoke_domain::staff::Role;
use spoke_persistence::episodes as store;
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team, user};
use spoke_persistence::{StoreError, both_backends, now};

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn a_client_is_enrolled_once_at_a_time(db: &TestDb) {
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
    let enrollment = || EnrollmentInput::default().parse("").unwrap();
    let mut first = Episode::open(maria.id, enrollment(), day(3, 1), cm.id, now());
    store::insert(&mut conn, &first).unwrap();
    assert_eq!(
        store::open_episode(&mut conn, maria.id).unwrap(),
        Some(first.clone())
    );
    // The database refuses a second open episode.
    let second = Episode::open(maria.id, enrollment(), day(6, 1), cm.id, now());
    assert!(store::insert(&mut conn, &second).is_err());
    let expected = first.version;
    first
        .close(
            &DischargeInput {
                reason: Some(DischargeReason::MovedAway),
                destination: None,
                on: Some(day(5, 31)),
                summary: Some("Moved to Ohio.".into()),
                keep_referral_ids: Vec::new(),
            },
            cm.id,
            day(6, 1),
            now(),
        )
        .unwrap();
    store::update(&mut conn, &first, expected).unwrap();
    assert!(matches!(
        store::update(&mut conn, &first, expected),
        Err(StoreError::Stale)
    ));
    store::insert(&mut conn, &second).unwrap();
    assert_eq!(
        store::open_episode(&mut conn, maria.id).unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        store::episodes_of(&mut conn, maria.id).unwrap(),
        [first, second]
    );
}

fn a_safety_plan_version_is_kept_once(db: &TestDb) {
    use spoke_domain::safety_plan::SafetyPlan;
    use spoke_persistence::safety_plans;
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
    let sections = |reason: &str| {
        serde_json::from_value(serde_json::json!({"reasons_for_living": [reason]})).unwrap()
    };
    assert_eq!(safety_plans::current(&mut conn, maria.id).unwrap(), None);
    let first = SafetyPlan::revise(maria.id, None, sections("My daughter"), cm.id, now()).unwrap();
    safety_plans::insert(&mut conn, &first).unwrap();
    let second =
        SafetyPlan::revise(maria.id, Some(&first), sections("The ocean"), cm.id, now()).unwrap();
    safety_plans::insert(&mut conn, &second).unwrap();
    // Another revision of the first version finds it taken.
    let late = SafetyPlan::revise(maria.id, Some(&first), sections("Tom"), cm.id, now()).unwrap();
    assert!(matches!(
        safety_plans::insert(&mut conn, &late),
        Err(StoreError::Stale)
    ));
    assert_eq!(
        safety_plans::current(&mut conn, maria.id).unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        safety_plans::versions(&mut conn, maria.id).unwrap(),
        [second, first]
    );
}

both_backends!(
    a_client_is_enrolled_once_at_a_time,
    a_safety_plan_version_is_kept_once
);
