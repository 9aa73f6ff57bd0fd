//! Instruments and assessments, on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::NaiveDate;
use spoke_domain::assessment::{
    Assessment, AssessmentInput, AssessmentKind, AssessmentStatus, DomainScore, Instrument,
    InstrumentInput, self_sufficiency_matrix,
};
use spoke_domain::ids::ClientId;
use spoke_domain::staff::Role;
use spoke_persistence::assessments as store;
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team, user};
use spoke_persistence::{DbConnection, StoreError, both_backends, now};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn every_domain(i: &Instrument, value: i32) -> Vec<DomainScore> {
    i.fields
        .domains
        .iter()
        .map(|d| DomainScore {
            domain: d.code.clone(),
            score: Some(value),
            not_applicable: false,
            note: Some(format!("{} noted", d.label)),
        })
        .collect()
}

fn draft(
    conn: &mut DbConnection,
    i: &Instrument,
    client: ClientId,
    assessor: spoke_domain::ids::UserId,
    on: u32,
) -> Assessment {
    let input = AssessmentInput {
        instrument_id: i.id,
        assessed_on: day(on),
        kind: AssessmentKind::Periodic,
        scores: every_domain(i, 3),
        overall_note: Some("Doing well".into()),
        amends: None,
    };
    let a = Assessment::new(client, assessor, input.parse(i, day(30)).unwrap(), now());
    store::insert_assessment(conn, &a).unwrap();
    a
}

fn instruments_are_versioned_never_edited(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    assert_eq!(
        store::ensure_builtin_instruments(&mut conn, now()).unwrap(),
        1
    );
    assert_eq!(
        store::ensure_builtin_instruments(&mut conn, now()).unwrap(),
        0,
        "idempotent"
    );
    let ssm = store::latest_instrument(&mut conn, "ssm").unwrap().unwrap();
    assert_eq!(ssm.version, 1);
    assert_eq!(ssm.fields, self_sufficiency_matrix().parse().unwrap());
    let mut changed: InstrumentInput = self_sufficiency_matrix();
    changed.name = "Self-Sufficiency Matrix (2027)".into();
    let v2 = store::add_instrument_version(&mut conn, changed.parse().unwrap(), now()).unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(
        store::get_instrument(&mut conn, ssm.id).unwrap(),
        ssm,
        "version 1 unchanged"
    );
    assert_eq!(
        store::latest_instrument(&mut conn, "ssm").unwrap().unwrap(),
        v2
    );
    assert_eq!(store::list_instruments(&mut conn).unwrap(), [ssm, v2]);
    assert!(
        store::latest_instrument(&mut conn, "nope")
            .unwrap()
            .is_none()
    );
}

fn assessments_round_trip_and_final_ones_never_change(db: &TestDb) {
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
    store::ensure_builtin_instruments(&mut conn, now()).unwrap();
    let ssm = store::latest_instrument(&mut conn, "ssm").unwrap().unwrap();
    let mut a = draft(&mut conn, &ssm, maria.id, cm.id, 1);
    assert_eq!(store::get_assessment(&mut conn, maria.id, a.id).unwrap(), a);
    a.finalize(&ssm, now()).unwrap();
    store::update_assessment(&mut conn, &a, 1).unwrap();
    let stored = store::get_assessment(&mut conn, maria.id, a.id).unwrap();
    assert_eq!(stored, a);
    assert_eq!(stored.status, AssessmentStatus::Final);
    // Even a write that skips the domain's check cannot touch a final row.
    let mut forced = stored.clone();
    forced.fields.overall_note = None;
    assert!(matches!(
        store::update_assessment(&mut conn, &forced, stored.version),
        Err(StoreError::Stale)
    ));
    let other = client(&mut conn, north.id, "Jon", "Lee");
    assert!(matches!(
        store::get_assessment(&mut conn, other.id, a.id),
        Err(StoreError::NotFound)
    ));
}

fn assessment_pages_run_newest_first_and_span_versions(db: &TestDb) {
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
    store::ensure_builtin_instruments(&mut conn, now()).unwrap();
    let v1 = store::latest_instrument(&mut conn, "ssm").unwrap().unwrap();
    let v2 =
        store::add_instrument_version(&mut conn, self_sufficiency_matrix().parse().unwrap(), now())
            .unwrap();
    let mut made = Vec::new();
    for n in 0..7 {
        let i = if n % 2 == 0 { &v1 } else { &v2 };
        made.push(draft(&mut conn, i, maria.id, cm.id, n + 1).id);
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store::list_assessments(&mut conn, maria.id, after.as_ref(), 3).unwrap();
        seen.extend(page.items.iter().map(|a| a.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    made.reverse();
    assert_eq!(seen, made);
    assert_eq!(
        store::assessments_on(&mut conn, maria.id, "ssm")
            .unwrap()
            .len(),
        7
    );
    assert!(
        store::assessments_on(&mut conn, maria.id, "other")
            .unwrap()
            .is_empty()
    );
}

both_backends!(
    instruments_are_versioned_never_edited,
    assessments_round_trip_and_final_ones_never_change,
    assessment_pages_run_newest_first_and_span_versions,
);
