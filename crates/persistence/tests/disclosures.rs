//! The accounting of disclosures, on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::Duration;
use spoke_domain::directory::{Organization, OrganizationInput};
use spoke_domain::ids::{ApiClientId, DisclosureId};
use spoke_domain::partner::{Channel, Disclosure};
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team};
use spoke_persistence::{both_backends, directory, now, referrals, transaction};

/// Many disclosures in one call (as a group commit stores them) are all
/// kept, each field as given, and page back newest first.
fn many_disclosures_are_stored_at_once_and_page_newest_first(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let team = team(&mut conn, "North");
    let maria = client(&mut conn, team.id, "Maria", "Rivera");
    let other = client(&mut conn, team.id, "Jo", "Lee");
    let input: OrganizationInput =
        serde_json::from_value(serde_json::json!({"name": "Food Bank"})).unwrap();
    let org = Organization::create(input.parse().unwrap(), None, now());
    directory::insert_organization(&mut conn, &org).unwrap();
    let start = now();
    // 230: three statements of at most 100 rows.
    let all: Vec<Disclosure> = (0..230)
        .map(|n| Disclosure {
            id: DisclosureId::generate(),
            client_id: if n % 10 == 0 { other.id } else { maria.id },
            organization_id: org.id,
            api_client_id: (n % 2 == 0).then(ApiClientId::generate),
            referral_id: None,
            channel: if n % 3 == 0 {
                Channel::Webhook
            } else {
                Channel::Read
            },
            disclosed: format!("facts {n}"),
            purpose: "Referral for food assistance".to_owned(),
            consent_id: None,
            disclosed_at: start + Duration::seconds(n),
        })
        .collect();
    transaction(&mut conn, |conn| referrals::record_disclosures(conn, &all)).unwrap();

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = referrals::client_disclosures(&mut conn, maria.id, after.as_ref(), 50).unwrap();
        seen.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut expected: Vec<Disclosure> = all
        .iter()
        .filter(|d| d.client_id == maria.id)
        .cloned()
        .collect();
    expected.reverse();
    assert_eq!(seen, expected);
}

both_backends!(many_disclosures_are_stored_at_once_and_page_newest_first);
