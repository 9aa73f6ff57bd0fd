//! Storage behaviour, proven on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use spoke_domain::audit::{AuditAction, AuditEvent};
use spoke_domain::client::{Client, ClientDetailsInput, ClientStatus, RiskFlag};
use spoke_domain::ids::{ClientId, TeamId, UserId};
use spoke_domain::policy::ClientScope;
use spoke_domain::staff::{Role, User};
use spoke_domain::values::{Email, ShortText};
use spoke_persistence::clients::ClientFilter;
use spoke_persistence::idempotency::StoredResponse;
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{details, team, user};
use spoke_persistence::{
    Backend, DbConnection, MIGRATION_TREES, PoolOptions, StoreError, audit, both_backends, clients,
    idempotency, now, read_transaction, staff, transaction,
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

fn new_client(team: TeamId, given: &str, family: &str) -> Client {
    Client::new(
        details(given, family).parse(today()).unwrap(),
        team,
        None,
        now(),
    )
}

fn a_client_round_trips_with_every_field(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let team = team(&mut conn, "North");
    let manager = user(
        &mut conn,
        "cm@example.org",
        Role::CaseManager,
        Some(team.id),
    );
    let input: ClientDetailsInput = serde_json::from_value(serde_json::json!({
        "given_name": "María José",
        "family_name": "O'Neil-Núñez",
        "preferred_name": "Majo",
        "date_of_birth": "1968-04-12",
        "gender": {"kind": "self_described", "description": "woman"},
        "preferred_language": "es-mx",
        "phone": "+1 (503) 555-0142",
        "email": "Majo@Example.org",
        "address": {"line1": "1200 SE Division St", "city": "Portland", "region": "OR", "postal_code": "97202"},
        "medicaid_id": "or1234",
        "external_ids": [{"system": "hmis", "value": "HM-1"}],
        "risk_flags": ["two_person_visits", "do_not_contact_at_home"]
    }))
    .unwrap();
    let client = Client::new(
        input.parse(today()).unwrap(),
        team.id,
        Some(manager.id),
        now(),
    );
    clients::insert(&mut conn, &client).unwrap();
    assert_eq!(clients::get(&mut conn, client.id).unwrap(), client);
    assert!(
        client
            .details
            .risk_flags
            .contains(&RiskFlag::TwoPersonVisits)
    );
}

fn an_update_with_a_stale_version_changes_nothing(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let team = team(&mut conn, "North");
    let mut client = new_client(team.id, "Ana", "Lee");
    clients::insert(&mut conn, &client).unwrap();

    client.status = ClientStatus::Active;
    client.touch(now());
    clients::update(&mut conn, &client, 1).unwrap();

    let mut late = client.clone();
    late.status = ClientStatus::Discharged;
    late.touch(now());
    assert!(matches!(
        clients::update(&mut conn, &late, 1),
        Err(StoreError::Stale)
    ));
    let stored = clients::get(&mut conn, client.id).unwrap();
    assert_eq!(stored.status, ClientStatus::Active);
    assert_eq!(stored.version, 2);
}

fn pages_cover_every_client_once_even_with_equal_timestamps(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let team = team(&mut conn, "North");
    let same_instant = now();
    let mut expected = HashSet::new();
    for n in 0..23 {
        let mut client = new_client(team.id, "Same", &format!("Time{n}"));
        // Every third client shares one timestamp: the id breaks the tie.
        if n % 3 == 0 {
            client.created_at = same_instant;
        } else {
            client.created_at = same_instant + Duration::microseconds(n);
        }
        clients::insert(&mut conn, &client).unwrap();
        expected.insert(client.id);
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = clients::list(
            &mut conn,
            &ClientScope::All,
            &ClientFilter::default(),
            after.as_ref(),
            5,
        )
        .unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|c| c.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 23, "no duplicates");
    assert_eq!(seen.into_iter().collect::<HashSet<ClientId>>(), expected);
}

fn search_filters_narrow_and_scope_hides_other_teams(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let south = team(&mut conn, "South");
    let manager = user(
        &mut conn,
        "cm@example.org",
        Role::CaseManager,
        Some(north.id),
    );

    let mut maria = new_client(north.id, "Maria", "Rivera");
    maria.details.medicaid_id = Some(spoke_domain::values::MedicaidId::parse("OR1").unwrap());
    maria.primary_case_manager_id = Some(manager.id);
    maria.status = ClientStatus::Active;
    clients::insert(&mut conn, &maria).unwrap();
    let mut percent = new_client(north.id, "100%", "Literal_name");
    percent.details.date_of_birth = Some(
        spoke_domain::values::DateOfBirth::parse(
            NaiveDate::from_ymd_opt(1970, 1, 2).unwrap(),
            today(),
        )
        .unwrap(),
    );
    clients::insert(&mut conn, &percent).unwrap();
    let hidden = new_client(south.id, "Mariana", "Rivera");
    clients::insert(&mut conn, &hidden).unwrap();

    let find = |conn: &mut DbConnection, scope: &ClientScope, filter: ClientFilter| {
        clients::list(conn, scope, &filter, None, 50)
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    let all = ClientScope::All;
    let by_name = |name: &str| ClientFilter {
        name: Some(name.into()),
        ..Default::default()
    };
    assert_eq!(
        find(&mut conn, &all, by_name("RIVER")),
        [maria.id, hidden.id]
    );
    assert_eq!(
        find(&mut conn, &ClientScope::Team(north.id), by_name("rivera")),
        [maria.id]
    );
    // LIKE wildcards in the search text match literally.
    assert_eq!(find(&mut conn, &all, by_name("%")), [percent.id]);
    // "r_l" would match "ral" in "literal" if `_` were a wildcard.
    assert_eq!(
        find(&mut conn, &all, by_name("r_l")),
        Vec::<ClientId>::new()
    );
    assert_eq!(find(&mut conn, &all, by_name("literal_")), [percent.id]);
    let filter = ClientFilter {
        medicaid_id: Some("or1".into()),
        ..Default::default()
    };
    assert_eq!(find(&mut conn, &all, filter), [maria.id]);
    let filter = ClientFilter {
        status: Some(ClientStatus::Active),
        ..Default::default()
    };
    assert_eq!(find(&mut conn, &all, filter), [maria.id]);
    let filter = ClientFilter {
        case_manager_id: Some(manager.id),
        ..Default::default()
    };
    assert_eq!(find(&mut conn, &all, filter), [maria.id]);
    let filter = ClientFilter {
        date_of_birth: Some(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()),
        ..Default::default()
    };
    assert_eq!(find(&mut conn, &all, filter), [percent.id]);
    let filter = ClientFilter {
        team_id: Some(south.id),
        ..Default::default()
    };
    assert_eq!(find(&mut conn, &all, filter), [hidden.id]);
    assert!(find(&mut conn, &ClientScope::Nothing, ClientFilter::default()).is_empty());
}

fn names_stored_before_folding_are_found_after_the_backfill(db: &TestDb) {
    use diesel::connection::SimpleConnection;
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let jose = new_client(north.id, "José", "García");
    clients::insert(&mut conn, &jose).unwrap();
    let find = |conn: &mut DbConnection, name: &str| {
        let filter = ClientFilter {
            name: Some(name.into()),
            ..Default::default()
        };
        clients::list(conn, &ClientScope::All, &filter, None, 50)
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(find(&mut conn, "garcia"), [jose.id]);
    // As a database written before names were folded holds them.
    conn.batch_execute(
        "UPDATE clients SET search_name = 'josé garcía'; DELETE FROM data_backfills;",
    )
    .unwrap();
    assert!(find(&mut conn, "garcia").is_empty());
    assert_eq!(clients::backfill_search_names(&mut conn, now()).unwrap(), 1);
    assert_eq!(find(&mut conn, "garcia"), [jose.id]);
    assert_eq!(find(&mut conn, "GARCÍA"), [jose.id]);
    // Done once: a second start changes nothing.
    assert_eq!(clients::backfill_search_names(&mut conn, now()).unwrap(), 0);
    // The migration builds the index from the clients already stored.
    spoke_persistence::testing::redo_migrations_from(&mut conn, "2026-11-27-000009_client_search")
        .unwrap();
    assert_eq!(find(&mut conn, "garcia"), [jose.id]);
    let later = new_client(north.id, "Ana", "Garcia");
    clients::insert(&mut conn, &later).unwrap();
    assert_eq!(find(&mut conn, "garcia"), [jose.id, later.id]);
}

fn a_list_event_is_found_from_each_client_it_names(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let actor = UserId::generate();
    let (a, b) = (ClientId::generate(), ClientId::generate());
    let listed = AuditEvent::for_list(actor, vec![a, b], "list", now()).unwrap();
    let read = AuditEvent::for_client(actor, AuditAction::ClientRead, b, "read", now());
    audit::record(&mut conn, &[listed.clone(), read.clone()]).unwrap();
    let about = |conn: &mut DbConnection, client: ClientId| {
        let filter = audit::AuditFilter {
            client_id: Some(client),
            ..Default::default()
        };
        audit::list(conn, &filter, None, 10).unwrap().items
    };
    assert_eq!(about(&mut conn, a), std::slice::from_ref(&listed));
    assert_eq!(about(&mut conn, b), [read.clone(), listed.clone()]);
    assert!(about(&mut conn, ClientId::generate()).is_empty());
    // Undoing the migration splits the list event into one per client, and
    // redoing it keeps every client's history readable.
    spoke_persistence::testing::redo_migrations_from(&mut conn, "2026-11-27-000010_audit_subjects")
        .unwrap();
    let after: Vec<AuditAction> = about(&mut conn, a).iter().map(|e| e.action).collect();
    assert_eq!(after, [AuditAction::ClientListed]);
    assert_eq!(about(&mut conn, b).len(), 2);
}

fn a_common_name_pages_in_keyset_order_like_a_rare_one(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let start = now();
    // More clients named García than the trigram index is asked about, and
    // others between them.
    let all: Vec<Client> = (0..1100)
        .map(|n| {
            let family = if n % 11 == 0 { "Lee" } else { "García" };
            let mut client = new_client(north.id, "Ana", family);
            client.created_at = start + Duration::seconds(n);
            client
        })
        .collect();
    transaction(&mut conn, |conn| clients::insert_many(conn, &all)).unwrap();
    for (name, family) in [("garcia", "García"), ("lee", "Lee")] {
        let expected: Vec<ClientId> = all
            .iter()
            .filter(|c| c.details.family_name.as_str() == family)
            .map(|c| c.id)
            .collect();
        let filter = ClientFilter {
            name: Some(name.into()),
            ..Default::default()
        };
        let mut found = Vec::new();
        let mut after = None;
        loop {
            let page =
                clients::list(&mut conn, &ClientScope::All, &filter, after.as_ref(), 200).unwrap();
            found.extend(page.items.iter().map(|c| c.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(found, expected, "{name}");
    }
}

fn audit_events_are_append_only(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let event = AuditEvent::for_client(
        UserId::generate(),
        AuditAction::ClientRead,
        ClientId::generate(),
        "req-1",
        now(),
    );
    audit::record(&mut conn, std::slice::from_ref(&event)).unwrap();
    let page = audit::list(&mut conn, &Default::default(), None, 10).unwrap();
    assert_eq!(page.items, vec![event]);

    use diesel::connection::SimpleConnection;
    assert!(
        conn.batch_execute("UPDATE audit_events SET action = 'x'")
            .is_err()
    );
    assert!(conn.batch_execute("DELETE FROM audit_events").is_err());
    assert_eq!(
        audit::list(&mut conn, &Default::default(), None, 10)
            .unwrap()
            .items
            .len(),
        1
    );
}

fn audit_pages_run_newest_first_and_filter(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let actor = UserId::generate();
    let client = ClientId::generate();
    let start = now();
    let events: Vec<AuditEvent> = (0..250)
        .map(|n| {
            let mut event = AuditEvent::for_client(
                if n % 2 == 0 {
                    actor
                } else {
                    UserId::generate()
                },
                AuditAction::ClientListed,
                if n < 10 { client } else { ClientId::generate() },
                "req",
                start,
            );
            event.occurred_at = start + Duration::seconds(n / 50);
            event
        })
        .collect();
    audit::record(&mut conn, &events).unwrap();
    let mut seen = HashSet::new();
    let mut after = None;
    let mut last = None;
    loop {
        let page = audit::list(&mut conn, &Default::default(), after.as_ref(), 40).unwrap();
        for event in &page.items {
            if let Some(previous) = last {
                assert!(event.occurred_at <= previous, "newest first");
            }
            last = Some(event.occurred_at);
            assert!(seen.insert(event.id), "no duplicates");
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 250);
    let filter = audit::AuditFilter {
        client_id: Some(client),
        actor_id: Some(actor),
        ..Default::default()
    };
    assert_eq!(
        audit::list(&mut conn, &filter, None, 100)
            .unwrap()
            .items
            .len(),
        5
    );
    let filter = audit::AuditFilter {
        from: Some(start + Duration::seconds(1)),
        to: Some(start + Duration::seconds(2)),
        ..Default::default()
    };
    assert_eq!(
        audit::list(&mut conn, &filter, None, 100)
            .unwrap()
            .items
            .len(),
        50
    );
}

fn a_failed_transaction_stores_nothing(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let team = team(&mut conn, "North");
    let client = new_client(team.id, "Ana", "Lee");
    let result: Result<(), StoreError> = transaction(&mut conn, |conn| {
        clients::insert(conn, &client)?;
        audit::record(
            conn,
            &[AuditEvent::for_client(
                UserId::generate(),
                AuditAction::ClientCreated,
                client.id,
                "r",
                now(),
            )],
        )?;
        Err(StoreError::Stale)
    });
    assert!(result.is_err());
    assert!(matches!(
        clients::get(&mut conn, client.id),
        Err(StoreError::NotFound)
    ));
    assert!(
        audit::list(&mut conn, &Default::default(), None, 10)
            .unwrap()
            .items
            .is_empty()
    );
    // The connection is usable again afterwards.
    transaction(&mut conn, |conn| clients::insert(conn, &client)).unwrap();
    assert_eq!(clients::count(&mut conn).unwrap(), 1);
}

/// A reader sees what was committed and refuses to change anything, on
/// both backends; the refusal leaves the connection usable.
fn a_reader_reads_and_refuses_writes(db: &TestDb) {
    let database = db.open(2);
    let team = team(&mut database.conn().unwrap(), "North");
    let stored = new_client(team.id, "Ana", "Lee");
    transaction(&mut database.conn().unwrap(), |conn| {
        clients::insert(conn, &stored)
    })
    .unwrap();
    let mut reader = database.reader().unwrap();
    let refused: Result<(), StoreError> = read_transaction(&mut reader, |conn| {
        clients::insert(conn, &new_client(team.id, "Bo", "Lee"))
    });
    assert!(refused.is_err(), "a reader stored a client");
    let seen = read_transaction(&mut reader, |conn| clients::get(conn, stored.id)).unwrap();
    assert_eq!(seen.id, stored.id);
    assert_eq!(clients::count(&mut database.conn().unwrap()).unwrap(), 1);
}

/// With background checkpoints a commit leaves its pages in SQLite's log
/// until [`Database::checkpoint`] copies them back; readers see the data
/// either way. PostgreSQL has nothing to copy.
fn a_checkpoint_copies_what_commits_left_in_the_log(db: &TestDb) {
    let database = db.open_with(PoolOptions {
        background_checkpoints: true,
        ..PoolOptions::new(2)
    });
    assert_eq!(
        database.needs_checkpoints(),
        db.backend() == Backend::Sqlite
    );
    let team = team(&mut database.conn().unwrap(), "North");
    // Well past the 1,000 pages at which a commit would copy the log back.
    for n in 0..400 {
        let client = new_client(team.id, "Ana", &format!("Lee{n}"));
        transaction(&mut database.conn().unwrap(), |conn| {
            clients::insert(conn, &client)
        })
        .unwrap();
    }
    let done = database.checkpoint().unwrap();
    if db.backend() == Backend::Sqlite {
        assert!(done.log_frames > 1000, "a commit copied the log: {done:?}");
        assert_eq!(done.copied_frames, done.log_frames, "{done:?}");
    } else {
        assert_eq!(done, Default::default());
    }
    let mut reader = database.reader().unwrap();
    assert_eq!(clients::count(&mut reader).unwrap(), 400);
}

fn unique_and_reference_rules_are_reported(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    user(
        &mut conn,
        "dup@example.org",
        Role::CaseManager,
        Some(north.id),
    );
    let at = now();
    let twin = User {
        id: UserId::generate(),
        email: Email::parse("dup@example.org").unwrap(),
        display_name: ShortText::parse("Twin").unwrap(),
        role: Role::Admin,
        team_id: None,
        deleted_at: None,
        created_at: at,
        updated_at: at,
        version: 1,
        token_version: 1,
    };
    assert!(matches!(
        staff::insert_user(&mut conn, &twin, "h"),
        Err(StoreError::Conflict(_))
    ));
    let orphan = new_client(TeamId::generate(), "No", "Team");
    assert!(matches!(
        clients::insert(&mut conn, &orphan),
        Err(StoreError::MissingReference(_))
    ));
    // The users table was rebuilt for the billing role: what refers to it
    // is still checked.
    let mut unmanaged = new_client(north.id, "No", "Manager");
    unmanaged.primary_case_manager_id = Some(UserId::generate());
    assert!(matches!(
        clients::insert(&mut conn, &unmanaged),
        Err(StoreError::MissingReference(_))
    ));
}

fn users_and_teams_round_trip(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let south = team(&mut conn, "South");
    let admin = user(&mut conn, "admin@example.org", Role::Admin, None);
    let cm = user(
        &mut conn,
        "cm@example.org",
        Role::CaseManager,
        Some(north.id),
    );
    user(
        &mut conn,
        "cm2@example.org",
        Role::CaseManager,
        Some(south.id),
    );
    assert_eq!(staff::get_user(&mut conn, cm.id).unwrap(), cm);
    let billing = user(&mut conn, "billing@example.org", Role::Billing, None);
    assert_eq!(staff::get_user(&mut conn, billing.id).unwrap(), billing);
    let (found, hash) = staff::credentials(&mut conn, &Email::parse("CM@example.org").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(found, cm);
    assert_eq!(hash, "$argon2id$fake");
    assert_eq!(staff::count_active_admins(&mut conn).unwrap(), 1);
    let page = staff::list_users(&mut conn, Some(&[north.id]), None, None, 10).unwrap();
    assert_eq!(page.items, vec![cm.clone()]);

    let mut deleted = cm.clone();
    deleted.deleted_at = Some(now());
    deleted.version += 1;
    staff::update_user(&mut conn, &deleted, None, 1).unwrap();
    assert!(staff::credentials(&mut conn, &cm.email).unwrap().is_none());
    assert_eq!(
        staff::list_users(&mut conn, None, None, None, 10)
            .unwrap()
            .items
            .len(),
        3
    );
    assert_eq!(staff::get_user(&mut conn, admin.id).unwrap(), admin);

    assert_eq!(
        staff::list_teams(&mut conn, None).unwrap(),
        vec![north.clone(), south.clone()]
    );
    assert_eq!(
        staff::list_teams(&mut conn, Some(&[south.id])).unwrap(),
        vec![south]
    );
    let mut renamed = north.clone();
    renamed.name = ShortText::parse("North East").unwrap();
    renamed.version = 2;
    staff::update_team(&mut conn, &renamed, 1).unwrap();
    assert!(matches!(
        staff::update_team(&mut conn, &renamed, 1),
        Err(StoreError::Stale)
    ));
    assert_eq!(staff::get_team(&mut conn, north.id).unwrap(), renamed);
}

fn idempotency_records_are_unique_per_user_and_key(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let user = UserId::generate();
    let response = StoredResponse {
        fingerprint: "abc".into(),
        status_code: 201,
        body: "{}".into(),
        location: Some("/v1/clients/1".into()),
        etag: Some("\"1\"".into()),
        created_at: now(),
    };
    idempotency::save(&mut conn, user, "k1", &response).unwrap();
    assert_eq!(
        idempotency::find(&mut conn, user, "k1").unwrap(),
        Some(response.clone())
    );
    assert!(
        idempotency::find(&mut conn, UserId::generate(), "k1")
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        idempotency::save(&mut conn, user, "k1", &response),
        Err(StoreError::Conflict(_))
    ));
}

fn concurrent_writers_all_succeed(db: &TestDb) {
    let database = db.open(4);
    let team = team(&mut database.conn().unwrap(), "North");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let database = database.clone();
            std::thread::spawn(move || {
                for n in 0..10 {
                    let mut conn = database.conn().unwrap();
                    let client = new_client(team.id, "Writer", &format!("T{t}N{n}"));
                    transaction(&mut conn, |conn| {
                        clients::count(conn)?;
                        clients::insert(conn, &client)
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(clients::count(&mut database.conn().unwrap()).unwrap(), 40);
}

both_backends!(
    names_stored_before_folding_are_found_after_the_backfill,
    a_common_name_pages_in_keyset_order_like_a_rare_one,
    a_list_event_is_found_from_each_client_it_names,
    a_client_round_trips_with_every_field,
    an_update_with_a_stale_version_changes_nothing,
    pages_cover_every_client_once_even_with_equal_timestamps,
    search_filters_narrow_and_scope_hides_other_teams,
    audit_events_are_append_only,
    audit_pages_run_newest_first_and_filter,
    a_failed_transaction_stores_nothing,
    a_reader_reads_and_refuses_writes,
    a_checkpoint_copies_what_commits_left_in_the_log,
    unique_and_reference_rules_are_reported,
    users_and_teams_round_trip,
    idempotency_records_are_unique_per_user_and_key,
    concurrent_writers_all_succeed,
);

#[test]
fn both_migration_trees_hold_the_same_migrations() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let names = |tree: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(tree))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let [sqlite, postgres] = MIGRATION_TREES.map(names);
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
    for name in &sqlite {
        for tree in MIGRATION_TREES {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    root.join(tree).join(name).join(file).is_file(),
                    "{tree}/{name}/{file}"
                );
            }
        }
    }
}
