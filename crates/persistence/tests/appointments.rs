//! Appointments, rides and calendar feeds, on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use spoke_domain::appointment::{
    Appointment, AppointmentInput, AppointmentMove, AppointmentStatus, Consequence, RideMove,
    RideStatus,
};
use spoke_domain::consent::ConsentCategory;
use spoke_domain::ids::{ClientId, UserId};
use spoke_domain::policy::{ClientScope, ContactScope, ContactView};
use spoke_domain::staff::Role;
use spoke_persistence::appointments::{self as store, AppointmentFilter};
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team, user};
use spoke_persistence::{DbConnection, StoreError, both_backends, now};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

fn appointment(
    client: ClientId,
    by: UserId,
    starts: DateTime<Utc>,
    kind: &str,
    pickup: Option<DateTime<Utc>>,
) -> Appointment {
    let mut body = serde_json::json!({
        "starts_at": starts, "ends_at": starts + Duration::minutes(45), "kind": kind,
        "with_name": "Dr. Okafor", "address": "40 Mill Rd", "notes": "Bring the list."
    });
    if let Some(pickup) = pickup {
        body["transport"] = serde_json::json!({
            "mode": "nemt", "pickup_at": pickup, "pickup_address": "1200 Elm St",
            "cost_cents": 1250, "nemt_trip_id": "MTM-1", "staff_ids": [by]
        });
    }
    let input: AppointmentInput = serde_json::from_value(body).unwrap();
    let (fields, ride) = input.parse(&BTreeSet::new()).unwrap();
    Appointment::new(client, fields, ride, by, now())
}

fn everyone() -> ContactScope {
    ContactScope {
        clients: ClientScope::All,
        categories: None,
        view: ContactView::Full,
    }
}

fn ids(conn: &mut DbConnection, scope: &ContactScope, filter: &AppointmentFilter) -> Vec<String> {
    store::list_appointments(conn, scope, filter, None, 50)
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.id.to_string())
        .collect()
}

fn an_appointment_and_its_ride_round_trip_and_change_together(db: &TestDb) {
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
    let mut a = appointment(maria.id, cm.id, at(3, 15), "psychiatric", Some(at(3, 14)));
    store::insert_appointment(&mut conn, &a).unwrap();
    assert_eq!(
        store::get_appointment(&mut conn, maria.id, a.id).unwrap(),
        a
    );
    assert!(matches!(
        store::get_appointment(&mut conn, ClientId::generate(), a.id),
        Err(StoreError::NotFound)
    ));

    // The ride moves with the appointment's version.
    let expected = a.version;
    a.move_ride(
        RideMove {
            status: RideStatus::Arranged,
            reason: None,
        },
        cm.id,
        now(),
    )
    .unwrap();
    store::update_appointment(&mut conn, &a, expected).unwrap();
    assert_eq!(
        store::get_appointment(&mut conn, maria.id, a.id).unwrap(),
        a
    );
    assert!(matches!(
        store::update_appointment(&mut conn, &a, expected),
        Err(StoreError::Stale)
    ));

    // Rescheduled: the new appointment and the old one link both ways.
    let expected = a.version;
    let Consequence::Replaced(new) = a
        .move_to(
            AppointmentMove {
                status: AppointmentStatus::Rescheduled,
                reason: None,
                cancelled_by: None,
                new_starts_at: Some(at(10, 15)),
                new_ends_at: None,
            },
            cm.id,
            now(),
        )
        .unwrap()
    else {
        panic!("no replacement");
    };
    store::insert_appointment(&mut conn, &new).unwrap();
    store::update_appointment(&mut conn, &a, expected).unwrap();
    assert_eq!(
        store::get_appointment(&mut conn, maria.id, a.id).unwrap(),
        a
    );
    assert_eq!(
        store::get_appointment(&mut conn, maria.id, new.id).unwrap(),
        *new
    );
    assert_eq!(new.ride.as_ref().unwrap().status, RideStatus::Requested);

    // A ride dropped by a change is gone.
    let mut plain = appointment(maria.id, cm.id, at(4, 15), "medical", Some(at(4, 14)));
    store::insert_appointment(&mut conn, &plain).unwrap();
    let expected = plain.version;
    let bare = appointment(maria.id, cm.id, at(4, 15), "medical", None);
    plain.revise(bare.fields, None, now()).unwrap();
    store::update_appointment(&mut conn, &plain, expected).unwrap();
    assert_eq!(
        store::get_appointment(&mut conn, maria.id, plain.id)
            .unwrap()
            .ride,
        None
    );
}

fn calendars_follow_the_scope_the_filters_and_the_pickup_order(db: &TestDb) {
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
    let other = user(
        &mut conn,
        "other@example.org",
        Role::CaseManager,
        Some(south.id),
    );
    let maria = client(&mut conn, north.id, "Maria", "Rivera");
    let mut maria = maria;
    maria.primary_case_manager_id = Some(cm.id);
    spoke_persistence::clients::update(&mut conn, &maria, maria.version).unwrap();
    let jon = client(&mut conn, south.id, "Jon", "Berg");

    // Inserted out of order; the ride of the later appointment leaves first.
    let late = appointment(maria.id, cm.id, at(3, 18), "medical", Some(at(3, 13)));
    let early = appointment(
        maria.id,
        cm.id,
        at(3, 15),
        "substance_use_treatment",
        Some(at(3, 14)),
    );
    let next_day = appointment(maria.id, cm.id, at(4, 9), "housing", None);
    let southern = appointment(
        jon.id,
        other.id,
        at(3, 16),
        "court_or_probation",
        Some(at(3, 15)),
    );
    for a in [&late, &early, &next_day, &southern] {
        store::insert_appointment(&mut conn, a).unwrap();
    }
    let day3 = AppointmentFilter {
        from: Some(at(3, 0)),
        until: Some(at(4, 0)),
        ..AppointmentFilter::default()
    };
    let id = |a: &Appointment| a.id.to_string();
    assert_eq!(
        ids(&mut conn, &everyone(), &day3),
        vec![id(&early), id(&southern), id(&late)]
    );
    let rides = AppointmentFilter {
        rides: true,
        ..day3.clone()
    };
    assert_eq!(
        ids(&mut conn, &everyone(), &rides),
        vec![id(&late), id(&early), id(&southern)],
        "the dispatcher's order is the pickup's"
    );
    let north_only = ContactScope {
        clients: ClientScope::Team(north.id),
        ..everyone()
    };
    assert_eq!(
        ids(&mut conn, &north_only, &day3),
        vec![id(&early), id(&late)]
    );
    // A care-team member's scope leaves out another's substance use visit.
    let general_and_health = ContactScope {
        categories: Some((
            vec![ConsentCategory::General, ConsentCategory::Health],
            UserId::generate(),
        )),
        ..north_only.clone()
    };
    assert_eq!(ids(&mut conn, &general_and_health, &day3), vec![id(&late)]);
    let calendar = AppointmentFilter {
        case_manager: Some(cm.id),
        ..AppointmentFilter::default()
    };
    assert_eq!(
        ids(&mut conn, &everyone(), &calendar),
        vec![id(&early), id(&late), id(&next_day)]
    );

    // Keyset pages of one walk the same order without gaps or repeats.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page =
            store::list_appointments(&mut conn, &everyone(), &rides, after.as_ref(), 1).unwrap();
        seen.extend(page.items.iter().map(|a| a.id.to_string()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, vec![id(&late), id(&early), id(&southern)]);
}

fn a_bulk_load_stores_what_one_by_one_would(db: &TestDb) {
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
    let all: Vec<Appointment> = (0..1500)
        .map(|n| {
            let start = at(3, 8) + Duration::minutes(n);
            let pickup = (n % 2 == 0).then(|| start - Duration::minutes(30));
            appointment(maria.id, cm.id, start, "medical", pickup)
        })
        .collect();
    store::insert_many(&mut conn, &all).unwrap();
    for a in [&all[0], &all[1], &all[1499]] {
        assert_eq!(
            &store::get_appointment(&mut conn, maria.id, a.id).unwrap(),
            a
        );
    }
    let rides = AppointmentFilter {
        rides: true,
        ..AppointmentFilter::default()
    };
    let page = store::list_appointments(&mut conn, &everyone(), &rides, None, 200).unwrap();
    assert_eq!(page.items.len(), 200);
    assert!(page.items.iter().all(|a| a.ride.is_some()));
}

fn a_calendar_feed_is_found_by_its_hash_until_revoked(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let cm = user(
        &mut conn,
        "cm@example.org",
        Role::CaseManager,
        Some(north.id),
    );
    store::replace_feed(&mut conn, cm.id, "hash-1", now()).unwrap();
    assert_eq!(store::feed_owner(&mut conn, "hash-1").unwrap(), cm.id);
    store::replace_feed(&mut conn, cm.id, "hash-2", now()).unwrap();
    assert!(matches!(
        store::feed_owner(&mut conn, "hash-1"),
        Err(StoreError::NotFound)
    ));
    assert!(store::delete_feed(&mut conn, cm.id).unwrap());
    assert!(!store::delete_feed(&mut conn, cm.id).unwrap());
    assert!(matches!(
        store::feed_owner(&mut conn, "hash-2"),
        Err(StoreError::NotFound)
    ));
}

both_backends!(
    an_appointment_and_its_ride_round_trip_and_change_together,
    calendars_follow_the_scope_the_filters_and_the_pickup_order,
    a_calendar_feed_is_found_by_its_hash_until_revoked,
    a_bulk_load_stores_what_one_by_one_would,
);
