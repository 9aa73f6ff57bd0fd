//! Safety plans over HTTP: versions kept, each under the last one's ETag;
//! care-team members read the plan; two writes at once, one wins.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Spoke, TestUser, both_backends};

fn plan(reason: &str) -> Value {
    json!({
        "warning_signs": ["Not sleeping for two nights", "Giving things away"],
        "internal_coping_strategies": ["Walk the dog by the river"],
        "people_to_ask_for_help": [{"name": "My sister Rosa", "phone": "+1 503 555 0177"}],
        "professionals_and_agencies": [{"name": "988 Suicide and Crisis Lifeline", "phone": "988"}],
        "reasons_for_living": [reason]
    })
}

fn write(spoke: &Spoke, path: &str, who: &TestUser, etag: &str, body: Value) -> u16 {
    spoke
        .put(path)
        .as_user(who)
        .if_match(etag)
        .json(body)
        .send()
        .status
}

fn versions_are_kept_and_read_by_the_care_team(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let path = format!("/v1/clients/{}/safety-plan", s.client);
    spoke.get(&path).as_user(&s.cm).send().expect_problem(404);
    let empty = spoke
        .put(&path)
        .as_user(&s.cm)
        .if_match("\"0\"")
        .json(json!({}))
        .send()
        .expect_problem(422);
    assert_eq!(
        empty.error_codes(),
        [("warning_signs".into(), "empty_plan".into())]
    );
    let first = spoke
        .put(&path)
        .as_user(&s.cm)
        .if_match("\"0\"")
        .json(plan("My daughter"))
        .send()
        .expect(200);
    assert_eq!(first.body["version"], 1);
    assert_eq!(first.etag(), "\"1\"");
    // Written over a version since replaced: refused, nothing kept.
    assert_eq!(write(spoke, &path, &s.cm, "\"0\"", plan("The ocean")), 412);
    let second = spoke
        .put(&path)
        .as_user(&s.cm)
        .if_match("\"1\"")
        .json(plan("The ocean"))
        .send()
        .expect(200);
    assert_eq!(second.body["version"], 2);
    let current = spoke.get(&path).as_user(&s.cm).send().expect(200);
    assert_eq!(current.body["reasons_for_living"], json!(["The ocean"]));
    assert_eq!(current.body["written_by"], json!(s.cm.id));
    let versions = spoke
        .get(&format!("{path}/versions"))
        .as_user(&s.cm)
        .send()
        .expect(200);
    let items = versions.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["version"], 2);
    assert_eq!(items[1]["reasons_for_living"], json!(["My daughter"]));
    // A care-team member reads it, and may not write it.
    let nurse = spoke.user("nurse@example.org", Role::CareTeamMember, None);
    spoke
        .post(&format!("/v1/clients/{}/care-team", s.client))
        .as_user(&s.cm)
        .json(json!({"kind": "staff", "user_id": nurse.id, "started_on": "2026-01-01"}))
        .send()
        .expect(201);
    spoke.get(&path).as_user(&nurse).send().expect(200);
    assert_eq!(write(spoke, &path, &nurse, "\"2\"", plan("x")), 403);
    // Two writes over the same version: one is kept, the other refused.
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = ["Rosa", "Tom"]
            .map(|who| {
                let (path, cm) = (&path, &s.cm);
                scope.spawn(move || write(spoke, path, cm, "\"2\"", plan(who)))
            })
            .into_iter()
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [200, 412], "{statuses:?}");
    let versions = spoke
        .get(&format!("{path}/versions"))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(versions.body["items"].as_array().unwrap().len(), 3);
}

both_backends!(versions_are_kept_and_read_by_the_care_team);
