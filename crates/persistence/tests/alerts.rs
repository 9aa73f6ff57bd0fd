//! Alerts, rule versions and acuity, on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use spoke_domain::alert::{
    Acuity, AcuityLevel, Alert, AlertState, Contribution, Finding, Rule, RuleCode, Subject,
};
use spoke_domain::policy::{AlertScope, ClientScope};
use spoke_domain::staff::Role;
use spoke_persistence::alerts::{self as store, AlertFilter};
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team, user};
use spoke_persistence::{StoreError, both_backends, now};

fn finding(rule: RuleCode, subject: Subject, key: &str) -> Finding {
    Finding {
        rule,
        subject,
        key: key.to_owned(),
        summary: format!("{} {key}", rule.as_str()),
        facts: Vec::new(),
    }
}

/// One live alert per rule and key: a second open is refused quietly,
/// and once the first is cleared the same key opens again. Alerts round
/// trip, stale writes are refused.
fn one_live_alert_per_rule_and_key(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let maria = client(&mut conn, north.id, "Maria", "Rivera");
    let rule = Rule::shipped(RuleCode::NoContact);
    let first = Alert::open(
        finding(RuleCode::NoContact, Subject::Client(maria.id), "k"),
        &rule,
        now(),
    );
    assert!(store::open_alert(&mut conn, &first).unwrap());
    assert_eq!(store::get_alert(&mut conn, first.id).unwrap(), first);
    let twin = Alert::open(
        finding(RuleCode::NoContact, Subject::Client(maria.id), "k"),
        &rule,
        now(),
    );
    assert!(!store::open_alert(&mut conn, &twin).unwrap());
    // Another rule with the same key is another alert.
    let other = Alert::open(
        finding(RuleCode::ReassessmentDue, Subject::Client(maria.id), "k"),
        &Rule::shipped(RuleCode::ReassessmentDue),
        now(),
    );
    assert!(store::open_alert(&mut conn, &other).unwrap());
    let live = store::live_alerts(&mut conn, &[maria.id], &[]).unwrap();
    assert_eq!(live.len(), 2);
    let mut cleared = first.clone();
    cleared.clear(now());
    store::update_alert(&mut conn, &cleared, first.version).unwrap();
    assert!(matches!(
        store::update_alert(&mut conn, &cleared, first.version),
        Err(StoreError::Stale)
    ));
    assert!(store::open_alert(&mut conn, &twin).unwrap());
    assert_eq!(
        store::live_alerts(&mut conn, &[maria.id], &[])
            .unwrap()
            .len(),
        2
    );
}

/// Lists follow the scope: a team sees its clients' alerts and its
/// staff's; a filter narrows by rule and state; pages do not repeat.
fn lists_follow_the_scope_and_page(db: &TestDb) {
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
    let jo = client(&mut conn, south.id, "Jo", "Lee");
    let mut made = Vec::new();
    for (n, subject) in [
        Subject::Client(maria.id),
        Subject::Client(maria.id),
        Subject::Client(jo.id),
        Subject::Staff(cm.id),
    ]
    .into_iter()
    .enumerate()
    {
        let rule = if matches!(subject, Subject::Staff(_)) {
            RuleCode::CaseloadOverLimit
        } else {
            RuleCode::NoContact
        };
        let alert = Alert::open(
            finding(rule, subject, &format!("k{n}")),
            &Rule::shipped(rule),
            now() + chrono::Duration::seconds(n as i64),
        );
        assert!(store::open_alert(&mut conn, &alert).unwrap());
        made.push(alert);
    }
    let north_scope = AlertScope {
        clients: ClientScope::Team(north.id),
        staff: Some((Vec::new(), vec![north.id])),
    };
    let page =
        store::list_alerts(&mut conn, &north_scope, &AlertFilter::default(), None, 2).unwrap();
    // Newest first: the staff alert, then Maria's two.
    assert_eq!(page.items[0].id, made[3].id);
    assert_eq!(page.items[1].id, made[1].id);
    let rest = store::list_alerts(
        &mut conn,
        &north_scope,
        &AlertFilter::default(),
        page.next.as_ref(),
        2,
    )
    .unwrap();
    assert_eq!(
        rest.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        [made[0].id]
    );
    assert!(rest.next.is_none());
    let only_clients = AlertFilter {
        rule: Some(RuleCode::NoContact),
        ..AlertFilter::default()
    };
    let all_scope = AlertScope {
        clients: ClientScope::All,
        staff: None,
    };
    let every = store::list_alerts(&mut conn, &all_scope, &only_clients, None, 50).unwrap();
    assert_eq!(every.items.len(), 3);
    let resolved = AlertFilter {
        states: vec![AlertState::Resolved],
        ..AlertFilter::default()
    };
    assert!(
        store::list_alerts(&mut conn, &all_scope, &resolved, None, 50)
            .unwrap()
            .items
            .is_empty()
    );
    let nothing = AlertScope {
        clients: ClientScope::Nothing,
        staff: Some((Vec::new(), Vec::new())),
    };
    assert!(
        store::list_alerts(&mut conn, &nothing, &AlertFilter::default(), None, 50)
            .unwrap()
            .items
            .is_empty()
    );
}

/// Rule versions are kept in order; two admins writing the same version:
/// one is `Stale`. Acuity is kept and read back, unchanged writes nothing.
fn rule_versions_and_acuity(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let admin = user(&mut conn, "admin@example.org", Role::Admin, None);
    let maria = client(&mut conn, north.id, "Maria", "Rivera");
    let v1 = Rule::shipped(RuleCode::BenefitDue);
    let mut settings = v1.settings.clone();
    settings.params.days = Some(21);
    let v2 = v1.change(settings, admin.id, now());
    store::insert_rule(&mut conn, &v2).unwrap();
    assert!(matches!(
        store::insert_rule(&mut conn, &v2),
        Err(StoreError::Stale)
    ));
    assert_eq!(
        store::rule_versions(&mut conn, Some(RuleCode::BenefitDue)).unwrap(),
        [v2]
    );
    assert!(
        store::rule_versions(&mut conn, Some(RuleCode::NoContact))
            .unwrap()
            .is_empty()
    );
    let acuity = Acuity {
        score: 6,
        level: AcuityLevel::Moderate,
        contributions: vec![Contribution {
            source: "assessment".into(),
            points: 6,
            detail: "Housing scored 1".into(),
        }],
    };
    let at = now();
    store::save_acuity(&mut conn, &[(maria.id, acuity.clone())], at).unwrap();
    // Unchanged: not written again.
    let later = at + chrono::Duration::hours(1);
    store::save_acuity(&mut conn, &[(maria.id, acuity.clone())], later).unwrap();
    let kept = store::acuity_of(&mut conn, &[maria.id]).unwrap();
    assert_eq!(kept, [(maria.id, acuity.clone(), at)]);
    let higher = Acuity {
        score: 12,
        level: AcuityLevel::High,
        ..acuity
    };
    store::save_acuity(&mut conn, &[(maria.id, higher.clone())], later).unwrap();
    assert_eq!(
        store::acuity_of(&mut conn, &[maria.id]).unwrap(),
        [(maria.id, higher, later)]
    );
}

both_backends!(
    one_live_alert_per_rule_and_key,
    lists_follow_the_scope_and_page,
    rule_versions_and_acuity,
);
