//! The care team and natural supports over HTTP, and what a care-team
//! member may see through them.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Reply, Spoke, TestUser, both_backends, client_body};

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn days(n: i64) -> String {
    (today() + chrono::Duration::days(n)).to_string()
}

fn new_client(spoke: &Spoke, cm: &TestUser, given: &str) -> String {
    spoke
        .post("/v1/clients")
        .as_user(cm)
        .json(client_body(given, "Rivera"))
        .send()
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn visible_ids(spoke: &Spoke, who: &TestUser) -> Vec<String> {
    let mut ids: Vec<String> = spoke
        .get("/v1/clients?limit=200")
        .as_user(who)
        .send()
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// A care-team member sees exactly the clients whose care team they are on
/// today: in lists and by id, and loses them when the membership ends.
fn a_care_team_member_sees_exactly_their_clients(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let therapist = spoke.user("therapist@example.org", Role::CareTeamMember, None);
    let maria = new_client(spoke, &cm, "Maria");
    let jon = new_client(spoke, &cm, "Jon");
    let ann = new_client(spoke, &cm, "Ann");
    assert!(visible_ids(spoke, &therapist).is_empty());

    let add = |client: &str, from: i64, to: Option<i64>| -> Reply {
        spoke
            .post(&format!("/v1/clients/{client}/care-team"))
            .as_user(&cm)
            .json(json!({
                "kind": "staff", "user_id": therapist.id, "responsibility": "Weekly therapy",
                "started_on": days(from), "ended_on": to.map(days)
            }))
            .send()
            .expect(201)
    };
    let on_maria = add(&maria, -30, None);
    assert_eq!(on_maria.body["current"], true);
    add(&jon, -30, Some(-1)); // ended yesterday
    add(&ann, 1, None); // starts tomorrow
    assert_eq!(visible_ids(spoke, &therapist), std::slice::from_ref(&maria));
    spoke
        .get(&format!("/v1/clients/{maria}"))
        .as_user(&therapist)
        .send()
        .expect(200);
    for hidden in [&jon, &ann] {
        spoke
            .get(&format!("/v1/clients/{hidden}"))
            .as_user(&therapist)
            .send()
            .expect_problem(404);
        spoke
            .get(&format!("/v1/clients/{hidden}/care-team"))
            .as_user(&therapist)
            .send()
            .expect_problem(404);
    }
    // Reads, but may not change the client or its care record.
    spoke
        .get(&format!("/v1/clients/{maria}/care-team"))
        .as_user(&therapist)
        .send()
        .expect(200);
    spoke
        .patch(&format!("/v1/clients/{maria}"))
        .as_user(&therapist)
        .if_match("\"1\"")
        .json(json!({"preferred_name": "M"}))
        .send()
        .expect_problem(403);
    spoke
        .post(&format!("/v1/clients/{maria}/natural-supports"))
        .as_user(&therapist)
        .json(json!({"name": "Rosa", "relationship": "sibling", "may_share_information": true}))
        .send()
        .expect_problem(403);

    // Ending the membership today keeps today; ending it yesterday hides Maria.
    let member = on_maria.body["id"].as_str().unwrap();
    let path = format!("/v1/clients/{maria}/care-team/{member}");
    let body = |end: i64| json!({"kind": "staff", "user_id": therapist.id, "started_on": days(-30), "ended_on": days(end)});
    let ended = spoke
        .put(&path)
        .as_user(&cm)
        .if_match(&on_maria.etag())
        .json(body(0))
        .send()
        .expect(200);
    assert_eq!(visible_ids(spoke, &therapist), std::slice::from_ref(&maria));
    spoke
        .put(&path)
        .as_user(&cm)
        .if_match(&on_maria.etag())
        .json(body(-1))
        .send()
        .expect_problem(412);
    let gone = spoke
        .put(&path)
        .as_user(&cm)
        .if_match(&ended.etag())
        .json(body(-1))
        .send()
        .expect(200);
    assert_eq!(gone.body["current"], false);
    assert!(visible_ids(spoke, &therapist).is_empty());
    spoke
        .get(&format!("/v1/clients/{maria}"))
        .as_user(&therapist)
        .send()
        .expect_problem(404);
    // History is kept.
    let team_list = spoke
        .get(&format!("/v1/clients/{maria}/care-team"))
        .as_user(&cm)
        .send()
        .expect(200);
    assert_eq!(team_list.body["items"].as_array().unwrap().len(), 1);
}

fn care_team_input_is_checked_whole(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let maria = new_client(spoke, &cm, "Maria");
    let post = |body: Value| {
        spoke
            .post(&format!("/v1/clients/{maria}/care-team"))
            .as_user(&cm)
            .json(body)
            .send()
    };
    let fields = |reply: Reply| -> Vec<String> {
        reply.expect_problem(422).body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        fields(post(json!({
            "kind": "external", "phone": "call me", "started_on": "2026-11-10", "ended_on": "2026-11-01"
        }))),
        ["name", "profession", "phone", "ended_on"]
    );
    assert_eq!(
        fields(post(
            json!({"kind": "staff", "user_id": uuid_like(), "started_on": "2026-11-10"})
        )),
        ["user_id"],
        "an unknown user"
    );
    post(json!({"kind": "robot", "started_on": "2026-11-10"})).expect_problem(422);
    let created = post(json!({
        "kind": "external", "name": "Dr. Ana Lopez", "profession": "psychiatrist",
        "organization": "Cascadia", "phone": "503 555 0188", "started_on": "2026-11-10"
    }))
    .expect(201);
    assert_eq!(created.body["phone"], "5035550188");
    assert_eq!(created.body["user_id"], Value::Null);
    let nothing_stored = spoke
        .get(&format!("/v1/clients/{maria}/care-team"))
        .as_user(&cm)
        .send()
        .expect(200);
    assert_eq!(nothing_stored.body["items"].as_array().unwrap().len(), 1);
}

fn uuid_like() -> String {
    "01936b2e-0000-7000-8000-000000000000".to_owned()
}

fn natural_supports_change_with_if_match_and_are_audited(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let admin = spoke.admin();
    let maria = new_client(spoke, &cm, "Maria");
    let created = spoke
        .post(&format!("/v1/clients/{maria}/natural-supports"))
        .as_user(&cm)
        .json(json!({
            "name": "Rosa Rivera", "relationship": "sibling", "phone": "+1 503 555 0120",
            "role_in_plan": "Drives her to appointments", "may_share_information": true
        }))
        .send()
        .expect(201);
    let path = created.header("location").unwrap().to_owned();
    let changed =
        json!({"name": "Rosa Rivera", "relationship": "sibling", "may_share_information": false});
    spoke
        .put(&path)
        .as_user(&cm)
        .json(changed.clone())
        .send()
        .expect_problem(428);
    let updated = spoke
        .put(&path)
        .as_user(&cm)
        .if_match(&created.etag())
        .json(changed)
        .send()
        .expect(200);
    assert_eq!(updated.body["may_share_information"], false);
    assert_eq!(
        updated.body["phone"],
        Value::Null,
        "a PUT replaces the whole record"
    );
    spoke
        .delete(&path)
        .as_user(&cm)
        .if_match(&created.etag())
        .send()
        .expect_problem(412);
    spoke
        .delete(&path)
        .as_user(&cm)
        .if_match(&updated.etag())
        .send()
        .expect(204);
    spoke.get(&path).as_user(&cm).send().expect_problem(404);
    let events = spoke
        .get(&format!("/v1/audit-events?client_id={maria}&limit=50"))
        .as_user(&admin)
        .send()
        .expect(200);
    let actions: Vec<String> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource_type"] == "natural_support")
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        ["record.deleted", "record.updated", "record.created"],
        "newest first"
    );
}

both_backends!(
    a_care_team_member_sees_exactly_their_clients,
    care_team_input_is_checked_whole,
    natural_supports_change_with_if_match_and_are_audited,
);
