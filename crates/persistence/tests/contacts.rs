//! Contacts and billing configurations, on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;

use chrono::{Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use spoke_domain::billing::{Billed, targeted_case_management};
use spoke_domain::claim::{BatchStatus, ClaimBatch, LineOutcome, claim_lines};
use spoke_domain::client::Client;
use spoke_domain::consent::ConsentCategory;
use spoke_domain::contact::{Contact, ContactCheck, ContactInput, ContactRules, LocalStart};
use spoke_domain::ids::ClaimBatchId;
use spoke_domain::ids::{ClientId, UserId};
use spoke_domain::policy::{ClientScope, ContactScope, ContactView};
use spoke_domain::staff::{Role, User};
use spoke_domain::values::{LongText, MedicaidId};
use spoke_persistence::contacts::{self as store, ContactFilter};
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team, user};
use spoke_persistence::{
    DbConnection, StoreError, both_backends, claims, clients, now, staff, transaction,
};

fn contact(client: ClientId, author: UserId, minutes: i32, sensitivity: &str) -> Contact {
    let input: ContactInput = serde_json::from_value(serde_json::json!({
        "started_at": "2026-11-20T15:30:00Z", "duration_minutes": minutes, "mode": "in_person",
        "setting": "client_home", "client_present": true, "activities": ["monitoring_and_follow_up"],
        "narrative": "Home visit.", "sensitivity": sensitivity, "travel_miles": 11.5,
        "other_participants": [{"name": "Dana", "role": "Property manager"}]
    }))
    .unwrap();
    let fields = input
        .parse(ContactCheck {
            author,
            risk_flags: &BTreeSet::new(),
            now: now(),
        })
        .unwrap();
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).unwrap();
    Contact::new(
        client,
        author,
        fields,
        LocalStart(start.naive_utc()),
        &ContactRules::default(),
        now(),
    )
}

fn sign(conn: &mut DbConnection, c: &mut Contact, units: i32) {
    let config = store::latest_config(conn, "medicaid").unwrap().unwrap();
    let expected = c.version;
    let billed = Billed {
        config_id: config.id,
        units,
        reasons: vec![],
    };
    c.sign(
        c.author_id,
        c.date_of_service,
        billed,
        &ContactRules::default(),
        now(),
    )
    .unwrap();
    store::update_contact(conn, c, expected).unwrap();
}

/// The built-in billing configuration, and a case manager of team North
/// with a client.
fn case_manager_and_client(conn: &mut DbConnection) -> (User, Client) {
    store::ensure_builtin_config(conn, now()).unwrap();
    let north = team(conn, "North");
    let cm = user(conn, "cm@example.org", Role::CaseManager, Some(north.id));
    let maria = client(conn, north.id, "Maria", "Rivera");
    (cm, maria)
}

fn a_signed_contact_never_changes(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let (cm, maria) = case_manager_and_client(&mut conn);
    let mut c = contact(maria.id, cm.id, 45, "general");
    store::insert_contact(&mut conn, &c).unwrap();
    assert_eq!(store::get_contact(&mut conn, maria.id, c.id).unwrap(), c);
    assert!(matches!(
        store::get_contact(&mut conn, ClientId::generate(), c.id),
        Err(StoreError::NotFound)
    ));

    sign(&mut conn, &mut c, 3);
    assert_eq!(store::get_contact(&mut conn, maria.id, c.id).unwrap(), c);
    // The store refuses to write a signed contact again...
    let mut changed = c.clone();
    changed.version += 1;
    assert!(matches!(
        store::update_contact(&mut conn, &changed, c.version),
        Err(StoreError::Stale)
    ));
    // ...and so does the database, whoever asks.
    assert!(
        conn.batch_execute("UPDATE contacts SET narrative = 'rewritten'")
            .is_err()
    );
    assert!(conn.batch_execute("DELETE FROM contacts").is_err());
    assert_eq!(store::get_contact(&mut conn, maria.id, c.id).unwrap(), c);
}

fn a_days_units_leave_out_what_an_amendment_replaced(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let (cm, maria) = case_manager_and_client(&mut conn);
    let day = Utc
        .with_ymd_and_hms(2026, 11, 20, 0, 0, 0)
        .unwrap()
        .date_naive();
    let units = |conn: &mut DbConnection, except| {
        store::units_billed_on(conn, maria.id, day, "medicaid", except).unwrap()
    };
    assert_eq!(units(&mut conn, None), 0);
    let mut first = contact(maria.id, cm.id, 45, "general");
    store::insert_contact(&mut conn, &first).unwrap();
    assert_eq!(units(&mut conn, None), 0, "a draft bills nothing");
    sign(&mut conn, &mut first, 3);
    let mut second = contact(maria.id, cm.id, 30, "general");
    store::insert_contact(&mut conn, &second).unwrap();
    sign(&mut conn, &mut second, 2);
    assert_eq!(units(&mut conn, None), 5);
    assert_eq!(units(&mut conn, Some(first.id)), 2);

    let mut amendment = contact(maria.id, cm.id, 60, "general");
    amendment.fields.amends = Some(first.id);
    store::insert_contact(&mut conn, &amendment).unwrap();
    assert_eq!(
        units(&mut conn, None),
        5,
        "an unsigned amendment replaces nothing"
    );
    sign(&mut conn, &mut amendment, 4);
    assert_eq!(units(&mut conn, None), 6);
    assert_eq!(units(&mut conn, Some(second.id)), 4);
    assert_eq!(
        store::units_billed_on(
            &mut conn,
            maria.id,
            day + Duration::days(1),
            "medicaid",
            None
        )
        .unwrap(),
        0
    );
}

fn lists_follow_the_scope_and_the_filters(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    store::ensure_builtin_config(&mut conn, now()).unwrap();
    let north = team(&mut conn, "North");
    let south = team(&mut conn, "South");
    let cm = user(
        &mut conn,
        "cm@example.org",
        Role::CaseManager,
        Some(north.id),
    );
    let therapist = user(&mut conn, "t@example.org", Role::CareTeamMember, None);
    let maria = client(&mut conn, north.id, "Maria", "Rivera");
    let ana = client(&mut conn, south.id, "Ana", "Lee");
    let general = contact(maria.id, cm.id, 45, "general");
    let mental = contact(maria.id, cm.id, 30, "mental_health");
    let own = contact(maria.id, therapist.id, 20, "substance_use");
    let south_one = contact(ana.id, cm.id, 15, "general");
    for c in [&general, &mental, &own, &south_one] {
        store::insert_contact(&mut conn, c).unwrap();
    }
    let mut signed = general.clone();
    sign(&mut conn, &mut signed, 3);
    let ids = |page: spoke_persistence::page::Page<Contact>| {
        page.items
            .into_iter()
            .map(|c| c.id)
            .collect::<BTreeSet<_>>()
    };
    let everyone = ContactScope {
        clients: ClientScope::All,
        categories: None,
        view: ContactView::Full,
    };
    let all = ContactFilter::default();
    assert_eq!(
        ids(store::list_contacts(&mut conn, &everyone, &all, None, 10).unwrap()).len(),
        4
    );
    let team_scope = ContactScope {
        clients: ClientScope::Team(north.id),
        ..everyone.clone()
    };
    assert_eq!(
        ids(store::list_contacts(&mut conn, &team_scope, &all, None, 10).unwrap()),
        [general.id, mental.id, own.id].into()
    );
    let care_scope = ContactScope {
        clients: ClientScope::All,
        categories: Some((
            vec![ConsentCategory::General, ConsentCategory::Health],
            therapist.id,
        )),
        view: ContactView::Full,
    };
    assert_eq!(
        ids(store::list_contacts(&mut conn, &care_scope, &all, None, 10).unwrap()),
        [general.id, own.id, south_one.id].into()
    );
    let billable = ContactFilter {
        billable: Some(true),
        ..Default::default()
    };
    assert_eq!(
        ids(store::list_contacts(&mut conn, &everyone, &billable, None, 10).unwrap()),
        [general.id].into()
    );
    let by_team_and_author = ContactFilter {
        team: Some(south.id),
        author: Some(cm.id),
        ..Default::default()
    };
    assert_eq!(
        ids(store::list_contacts(&mut conn, &everyone, &by_team_and_author, None, 10).unwrap()),
        [south_one.id].into()
    );
    // Pages cover every contact once, newest first then by id.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store::list_contacts(&mut conn, &everyone, &all, after.as_ref(), 1).unwrap();
        seen.extend(page.items.iter().map(|c| c.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 4);
}

fn configurations_are_versioned_per_payer(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    assert_eq!(store::ensure_builtin_config(&mut conn, now()).unwrap(), 1);
    assert_eq!(store::ensure_builtin_config(&mut conn, now()).unwrap(), 0);
    let mut fields = targeted_case_management().parse().unwrap();
    fields.max_units_per_day = 8;
    let second = store::add_config_version(&mut conn, fields, now()).unwrap();
    assert_eq!(second.version, 2);
    assert_eq!(
        store::latest_config(&mut conn, "medicaid")
            .unwrap()
            .unwrap(),
        second
    );
    assert_eq!(store::list_configs(&mut conn).unwrap().len(), 2);
}

fn batch_of(conn: &mut DbConnection, lines: Vec<spoke_domain::claim::ClaimLine>) -> ClaimBatch {
    let at = now();
    let creator = staff_id(conn);
    ClaimBatch {
        id: ClaimBatchId::generate(),
        payer: "medicaid".into(),
        period_from: at.date_naive() - Duration::days(30),
        period_to: at.date_naive(),
        status: BatchStatus::Draft,
        created_by: creator,
        lines,
        exported_at: None,
        voided_at: None,
        void_reason: None,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

fn staff_id(conn: &mut DbConnection) -> UserId {
    staff::list_users(conn, None, None, None, 1).unwrap().items[0].id
}

fn claims_take_each_contact_once_until_voided(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let (cm, mut maria) = case_manager_and_client(&mut conn);
    let day = Utc
        .with_ymd_and_hms(2026, 11, 20, 0, 0, 0)
        .unwrap()
        .date_naive();
    let billable = |conn: &mut DbConnection| {
        claims::billable_contacts(conn, "medicaid", day, day, false).unwrap()
    };
    let mut first = contact(maria.id, cm.id, 45, "general");
    store::insert_contact(&mut conn, &first).unwrap();
    sign(&mut conn, &mut first, 3);
    let mut none = contact(maria.id, cm.id, 45, "general");
    store::insert_contact(&mut conn, &none).unwrap();
    sign(&mut conn, &mut none, 0);
    let draft = contact(maria.id, cm.id, 45, "general");
    store::insert_contact(&mut conn, &draft).unwrap();
    assert!(
        billable(&mut conn).is_empty(),
        "the client has no Medicaid id"
    );
    maria.details.medicaid_id = Some(MedicaidId::parse("OR1").unwrap());
    maria.version += 1;
    clients::update(&mut conn, &maria, 1).unwrap();
    let found = billable(&mut conn);
    assert_eq!(
        found.iter().map(|c| c.contact_id).collect::<Vec<_>>(),
        [first.id]
    );

    let config = store::latest_config(&mut conn, "medicaid")
        .unwrap()
        .unwrap();
    let mut batch = batch_of(&mut conn, claim_lines(&config, found.clone()));
    transaction(&mut conn, |conn| claims::insert_batch(conn, &batch)).unwrap();
    assert_eq!(claims::get_batch(&mut conn, batch.id).unwrap(), batch);
    assert!(billable(&mut conn).is_empty(), "taken by a live line");
    // A second batch naming the same contact is refused by the database, and
    // leaves nothing behind.
    let twin = batch_of(&mut conn, claim_lines(&config, found.clone()));
    assert!(matches!(
        transaction(&mut conn, |conn| claims::insert_batch(conn, &twin)),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        claims::get_batch(&mut conn, twin.id),
        Err(StoreError::NotFound)
    ));

    let expected = batch.version;
    batch.export(now()).unwrap();
    let line = batch.lines[0].id;
    claims::update_batch(&mut conn, &batch, expected, None).unwrap();
    let expected = batch.version;
    batch
        .record_outcome(
            line,
            LineOutcome::Denied,
            Some(LongText::parse("Eligibility").unwrap()),
            now(),
        )
        .unwrap();
    claims::update_batch(&mut conn, &batch, expected, Some(line)).unwrap();
    assert_eq!(claims::get_batch(&mut conn, batch.id).unwrap(), batch);
    assert!(matches!(
        claims::update_batch(&mut conn, &batch, expected, None),
        Err(StoreError::Stale)
    ));
    let expected = batch.version;
    batch
        .void(LongText::parse("Wrong payer").unwrap(), now())
        .unwrap();
    claims::update_batch(&mut conn, &batch, expected, None).unwrap();
    assert_eq!(billable(&mut conn).len(), 1, "voiding frees the contact");
    let page = claims::list_batches(&mut conn, None, 10).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!((page.items[0].line_count, page.items[0].units), (1, 3));
}

both_backends!(
    claims_take_each_contact_once_until_voided,
    a_signed_contact_never_changes,
    a_days_units_leave_out_what_an_amendment_replaced,
    lists_follow_the_scope_and_the_filters,
    configurations_are_versioned_per_payer,
);
