//! A client's care team and natural supports, on SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::NaiveDate;
use spoke_domain::care::{
    CareTeamInput, CareTeamKind, CareTeamMember, NaturalSupport, NaturalSupportInput, Profession,
    Relationship,
};
use spoke_domain::ids::{ClientId, UserId};
use spoke_domain::policy::ClientScope;
use spoke_domain::staff::Role;
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team, user};
use spoke_persistence::{DbConnection, StoreError, both_backends, care, clients, now};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn staff_member(
    conn: &mut DbConnection,
    client: ClientId,
    user: UserId,
    from: u32,
    to: Option<u32>,
) -> CareTeamMember {
    let input = CareTeamInput {
        kind: CareTeamKind::Staff,
        user_id: Some(user),
        name: None,
        profession: None,
        organization: None,
        phone: None,
        email: None,
        responsibility: Some("Weekly therapy".into()),
        started_on: day(from),
        ended_on: to.map(day),
    };
    let member = CareTeamMember::new(client, input.parse().unwrap(), now());
    care::insert_member(conn, &member).unwrap();
    member
}

fn served(conn: &mut DbConnection, user: UserId, on: NaiveDate) -> Vec<ClientId> {
    let scope = ClientScope::CareTeam { user, on };
    clients::list(conn, &scope, &Default::default(), None, 50)
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.id)
        .collect()
}

/// The list filter and the access facts agree on who is on a care team on
/// a given day, at both ends of a membership.
fn care_team_membership_counts_only_within_its_period(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let therapist = user(&mut conn, "t@example.org", Role::CareTeamMember, None);
    let maria = client(&mut conn, north.id, "Maria", "Rivera");
    let jon = client(&mut conn, north.id, "Jon", "Lee");
    client(&mut conn, north.id, "Ann", "Other");
    staff_member(&mut conn, maria.id, therapist.id, 10, Some(20));
    staff_member(&mut conn, jon.id, therapist.id, 15, None);
    for (d, expected) in [
        (9, vec![]),
        (10, vec![maria.id]),
        (15, vec![maria.id, jon.id]),
        (20, vec![maria.id, jon.id]),
        (21, vec![jon.id]),
    ] {
        assert_eq!(served(&mut conn, therapist.id, day(d)), expected, "day {d}");
        for c in [maria.id, jon.id] {
            let on_team = care::staff_on_care_team(&mut conn, c, day(d)).unwrap();
            assert_eq!(
                on_team.contains(&therapist.id),
                expected.contains(&c),
                "day {d}"
            );
        }
    }
    // External members never give anyone access.
    let input = CareTeamInput {
        kind: CareTeamKind::External,
        user_id: None,
        name: Some("Dr. Ana Lopez".into()),
        profession: Some(Profession::Psychiatrist),
        organization: Some("Cascadia".into()),
        phone: Some("503 555 0188".into()),
        email: Some("alopez@example.org".into()),
        responsibility: None,
        started_on: day(1),
        ended_on: None,
    };
    let external = CareTeamMember::new(maria.id, input.parse().unwrap(), now());
    care::insert_member(&mut conn, &external).unwrap();
    assert_eq!(
        care::staff_on_care_team(&mut conn, maria.id, day(15)).unwrap(),
        [therapist.id]
    );
    let listed = care::list_members(&mut conn, maria.id).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0], external, "ordered by start, every field kept");
}

fn care_team_updates_need_the_current_version(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let therapist = user(&mut conn, "t@example.org", Role::CareTeamMember, None);
    let maria = client(&mut conn, north.id, "Maria", "Rivera");
    let mut member = staff_member(&mut conn, maria.id, therapist.id, 1, None);
    member.fields.period.ended_on = Some(day(5));
    member.touch(now());
    care::update_member(&mut conn, &member, 1).unwrap();
    assert_eq!(
        care::get_member(&mut conn, maria.id, member.id).unwrap(),
        member
    );
    assert!(matches!(
        care::update_member(&mut conn, &member, 1),
        Err(StoreError::Stale)
    ));
    let other = client(&mut conn, north.id, "Jon", "Lee");
    assert!(matches!(
        care::get_member(&mut conn, other.id, member.id),
        Err(StoreError::NotFound)
    ));
}

fn natural_supports_round_trip_and_delete_with_a_version(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let maria = client(&mut conn, north.id, "Maria", "Rivera");
    let input = NaturalSupportInput {
        name: "Rosa Rivera".into(),
        relationship: Relationship::Sibling,
        phone: Some("+1 503 555 0120".into()),
        email: None,
        role_in_plan: Some("Drives her to appointments".into()),
        may_share_information: true,
    };
    let mut rosa = NaturalSupport::new(maria.id, input.parse().unwrap(), now());
    care::insert_support(&mut conn, &rosa).unwrap();
    assert_eq!(
        care::list_supports(&mut conn, maria.id).unwrap(),
        [rosa.clone()]
    );
    rosa.fields.may_share_information = false;
    rosa.touch(now());
    care::update_support(&mut conn, &rosa, 1).unwrap();
    assert_eq!(
        care::get_support(&mut conn, maria.id, rosa.id).unwrap(),
        rosa
    );
    assert!(matches!(
        care::delete_support(&mut conn, maria.id, rosa.id, 1),
        Err(StoreError::Stale)
    ));
    care::delete_support(&mut conn, maria.id, rosa.id, 2).unwrap();
    assert!(matches!(
        care::delete_support(&mut conn, maria.id, rosa.id, 2),
        Err(StoreError::NotFound)
    ));
    assert!(care::list_supports(&mut conn, maria.id).unwrap().is_empty());
}

both_backends!(
    care_team_membership_counts_only_within_its_period,
    care_team_updates_need_the_current_version,
    natural_supports_round_trip_and_delete_with_a_version,
);
