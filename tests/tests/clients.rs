//! The client record over HTTP: create, search, paginate, change, audit.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::HashSet;

use serde_json::{Value, json};
use spoke_domain::client::{Client, ClientDetailsInput};
use spoke_domain::staff::Role;
use spoke_persistence::{clients, transaction};
use spoke_tests::{Spoke, both_backends, client_body};

fn create_read_and_search(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let created = spoke
        .post("/v1/clients")
        .as_user(&cm)
        .json(json!({
            "given_name": "Maria", "family_name": "Rivera", "date_of_birth": "1968-04-12",
            "preferred_language": "ES", "phone": "(503) 555-0142", "medicaid_id": "or123",
            "gender": {"kind": "prefers_not_to_say"},
            "risk_flags": ["two_person_visits", "two_person_visits"]
        }))
        .send()
        .expect(201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/clients/{id}").as_str())
    );
    assert_eq!(created.etag(), "\"1\"");
    assert_eq!(created.body["status"], "intake");
    assert_eq!(created.body["team_id"], team.to_string());
    assert_eq!(created.body["primary_case_manager_id"], cm.id.to_string());
    assert_eq!(created.body["preferred_language"], "es");
    assert_eq!(created.body["phone"], "5035550142");
    assert_eq!(created.body["medicaid_id"], "OR123");
    assert_eq!(created.body["risk_flags"], json!(["two_person_visits"]));

    let read = spoke
        .get(&format!("/v1/clients/{id}"))
        .as_user(&cm)
        .send()
        .expect(200);
    assert_eq!(read.body, created.body);
    assert_eq!(read.etag(), "\"1\"");

    spoke
        .post("/v1/clients")
        .as_user(&cm)
        .json(client_body("Ana", "Lee"))
        .send()
        .expect(201);
    let search = |query: &str| -> Vec<String> {
        spoke
            .get(&format!("/v1/clients?{query}"))
            .as_user(&cm)
            .send()
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["family_name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(search("name=RIV"), ["Rivera"]);
    assert_eq!(search("date_of_birth=1968-04-12"), ["Rivera"]);
    assert_eq!(search("medicaid_id=OR123"), ["Rivera"]);
    assert_eq!(search("status=intake"), ["Rivera", "Lee"]);
    assert_eq!(search("status=active"), Vec::<String>::new());
    assert_eq!(
        search(&format!("case_manager_id={}", cm.id)),
        ["Rivera", "Lee"]
    );
    assert_eq!(search(&format!("team_id={team}")), ["Rivera", "Lee"]);
    assert_eq!(search("name=lee&status=intake"), ["Lee"]);
}

fn five_hundred_clients_page_without_duplicates_or_gaps(spoke: &Spoke) {
    let team = spoke.team("North");
    let supervisor = spoke.user("sup@example.org", Role::Supervisor, Some(team));
    let today = chrono::Utc::now().date_naive();
    let same_instant = spoke_persistence::now();
    let mut expected = HashSet::new();
    {
        let mut conn = spoke.database().conn().unwrap();
        transaction(&mut conn, |conn| {
            for n in 0..500 {
                let details: ClientDetailsInput =
                    serde_json::from_value(client_body("Page", &format!("Client{n:03}"))).unwrap();
                // Batches of 50 share a timestamp, so the id must break ties.
                let at = same_instant + chrono::Duration::microseconds(n / 50);
                let client = Client::new(details.parse(today).unwrap(), team, None, at);
                expected.insert(client.id.to_string());
                clients::insert(conn, &client)?;
            }
            Ok::<(), spoke_persistence::StoreError>(())
        })
        .unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/v1/clients?limit=37&cursor={cursor}"),
            None => "/v1/clients?limit=37".to_owned(),
        };
        let page = spoke.get(&path).as_user(&supervisor).send().expect(200);
        pages += 1;
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 37);
        seen.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        if pages == 3 {
            // A client created mid-walk comes after everything seen so far.
            spoke
                .post("/v1/clients")
                .as_user(&supervisor)
                .json(client_body("Late", "Arrival"))
                .send()
                .expect(201);
        }
        match &page.body["next_cursor"] {
            Value::String(next) => cursor = Some(next.clone()),
            Value::Null => break,
            other => panic!("next_cursor is {other}"),
        }
    }
    assert_eq!(seen.len(), 501, "every client once, the late one included");
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), 501, "no duplicates");
    assert!(expected.is_subset(&unique), "no gaps");
    assert_eq!(pages, 14);
}

fn updates_need_the_current_etag(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let created = spoke
        .post("/v1/clients")
        .as_user(&cm)
        .json(client_body("Ana", "Lee"))
        .send()
        .expect(201);
    let path = format!("/v1/clients/{}", created.body["id"].as_str().unwrap());
    let patch = json!({"phone": "503-555-0100", "preferred_name": "Annie"});

    spoke
        .patch(&path)
        .as_user(&cm)
        .json(&patch)
        .send()
        .expect_problem(428);
    let updated = spoke
        .patch(&path)
        .as_user(&cm)
        .if_match("\"1\"")
        .header("Content-Type", "application/merge-patch+json")
        .raw(serde_json::to_vec(&patch).unwrap())
        .send()
        .expect(200);
    assert_eq!(updated.etag(), "\"2\"");
    assert_eq!(updated.body["phone"], "5035550100");
    assert_eq!(updated.body["preferred_name"], "Annie");
    assert_eq!(updated.body["given_name"], "Ana", "absent fields stay");

    // Someone still holding version 1 is refused and changes nothing.
    spoke
        .patch(&path)
        .as_user(&cm)
        .if_match("\"1\"")
        .json(json!({"phone": null}))
        .send()
        .expect_problem(412);
    let now = spoke.get(&path).as_user(&cm).send().expect(200);
    assert_eq!(now.body["phone"], "5035550100");

    // null clears; weak tags never match If-Match.
    spoke
        .patch(&path)
        .as_user(&cm)
        .if_match("W/\"2\"")
        .json(json!({"phone": null}))
        .send()
        .expect_problem(412);
    let cleared = spoke
        .patch(&path)
        .as_user(&cm)
        .if_match("\"2\"")
        .json(json!({"phone": null}))
        .send()
        .expect(200);
    assert_eq!(cleared.body["phone"], Value::Null);

    // An unchanged patch keeps the version.
    let same = spoke
        .patch(&path)
        .as_user(&cm)
        .if_match("\"3\"")
        .json(json!({"given_name": "Ana"}))
        .send()
        .expect(200);
    assert_eq!(same.etag(), "\"3\"");
}

fn status_moves_follow_the_lifecycle(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let created = spoke
        .post("/v1/clients")
        .as_user(&cm)
        .json(client_body("Ana", "Lee"))
        .send()
        .expect(201);
    let path = format!(
        "/v1/clients/{}/status",
        created.body["id"].as_str().unwrap()
    );
    let refused = spoke
        .post(&path)
        .as_user(&cm)
        .if_match("\"1\"")
        .json(json!({"status": "on_hold"}))
        .send()
        .expect_problem(409);
    assert_eq!(
        refused.body["allowed_statuses"],
        json!(["active", "discharged"])
    );
    let active = spoke
        .post(&path)
        .as_user(&cm)
        .if_match("\"1\"")
        .json(json!({"status": "active"}))
        .send()
        .expect(200);
    assert_eq!(active.body["status"], "active");
    spoke
        .post(&path)
        .as_user(&cm)
        .if_match("\"2\"")
        .json(json!({"status": "discharged", "reason": "moved_away"}))
        .send()
        .expect(200);
    let refused = spoke
        .post(&path)
        .as_user(&cm)
        .if_match("\"3\"")
        .json(json!({"status": "active"}))
        .send()
        .expect_problem(409);
    assert_eq!(refused.body["allowed_statuses"], json!(["intake"]));
    spoke
        .post(&path)
        .as_user(&cm)
        .if_match("\"3\"")
        .json(json!({"status": "closed"}))
        .send()
        .expect_problem(422);
}

fn supervisors_assign_case_managers_of_their_team(spoke: &Spoke) {
    let north = spoke.team("North");
    let south = spoke.team("South");
    let supervisor = spoke.user("sup@example.org", Role::Supervisor, Some(north));
    let first = spoke.user("cm1@example.org", Role::CaseManager, Some(north));
    let second = spoke.user("cm2@example.org", Role::CaseManager, Some(north));
    let elsewhere = spoke.user("cm3@example.org", Role::CaseManager, Some(south));
    let created = spoke
        .post("/v1/clients")
        .as_user(&first)
        .json(client_body("Ana", "Lee"))
        .send()
        .expect(201);
    let id = created.body["id"].as_str().unwrap();
    let path = format!("/v1/clients/{id}/case-manager");
    spoke
        .put(&path)
        .as_user(&first)
        .if_match("\"1\"")
        .json(json!({"case_manager_id": second.id}))
        .send()
        .expect_problem(403);
    let wrong_team = spoke
        .put(&path)
        .as_user(&supervisor)
        .if_match("\"1\"")
        .json(json!({"case_manager_id": elsewhere.id}))
        .send()
        .expect_problem(422);
    assert_eq!(wrong_team.body["errors"][0]["field"], "case_manager_id");
    let assigned = spoke
        .put(&path)
        .as_user(&supervisor)
        .if_match("\"1\"")
        .json(json!({"case_manager_id": second.id}))
        .send()
        .expect(200);
    assert_eq!(
        assigned.body["primary_case_manager_id"],
        second.id.to_string()
    );
    // The caseload moved: the first case manager now only reads.
    spoke
        .patch(&format!("/v1/clients/{id}"))
        .as_user(&first)
        .if_match("\"2\"")
        .json(json!({"preferred_name": "A"}))
        .send()
        .expect_problem(403);
    spoke
        .patch(&format!("/v1/clients/{id}"))
        .as_user(&second)
        .if_match("\"2\"")
        .json(json!({"preferred_name": "A"}))
        .send()
        .expect(200);
}

fn an_idempotent_retry_returns_the_first_response(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let send = |key: &str, body: Value| {
        spoke
            .post("/v1/clients")
            .as_user(&cm)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
    };
    let first = send("retry-1", client_body("Ana", "Lee")).expect(201);
    // Same key and body, keys in another order: the same answer, nothing new.
    let again = send(
        "retry-1",
        json!({"family_name": "Lee", "given_name": "Ana"}),
    )
    .expect(201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let other = send("retry-1", client_body("Someone", "Else")).expect_problem(422);
    assert_eq!(other.body["type"], "/problems/idempotency-key-reused");
    let count = |spoke: &Spoke| clients::count(&mut spoke.database().conn().unwrap()).unwrap();
    assert_eq!(count(spoke), 1);
    // Another user's identical key is their own.
    let other_cm = spoke.user("cm2@example.org", Role::CaseManager, Some(team));
    spoke
        .post("/v1/clients")
        .as_user(&other_cm)
        .header("Idempotency-Key", "retry-1")
        .json(client_body("Ana", "Lee"))
        .send()
        .expect(201);
    assert_eq!(count(spoke), 2);
    spoke
        .post("/v1/clients")
        .as_user(&cm)
        .header("Idempotency-Key", "")
        .json(client_body("Ana", "Lee"))
        .send()
        .expect_problem(400);
}

/// 20 requests at once with one key: one record, and every answer is the
/// same 201 (the others replay the first's).
fn concurrent_retries_create_once(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let replies: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                scope.spawn(|| {
                    let reply = spoke
                        .post("/v1/clients")
                        .as_user(&cm)
                        .header("Idempotency-Key", "race")
                        .json(client_body("Ana", "Lee"))
                        .send();
                    (reply.status, reply.body["id"].to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(replies.iter().all(|(s, _)| *s == 201), "{replies:?}");
    assert!(
        replies.iter().all(|(_, id)| *id == replies[0].1),
        "{replies:?}"
    );
    assert_eq!(
        clients::count(&mut spoke.database().conn().unwrap()).unwrap(),
        1
    );
}

fn reads_and_writes_are_audited(spoke: &Spoke) {
    let admin = spoke.admin();
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let created = spoke
        .post("/v1/clients")
        .as_user(&cm)
        .header("X-Request-Id", "trace-create-1")
        .json(client_body("Ana", "Lee"))
        .send()
        .expect(201);
    assert_eq!(created.header("x-request-id"), Some("trace-create-1"));
    let id = created.body["id"].as_str().unwrap().to_owned();
    spoke
        .get(&format!("/v1/clients/{id}"))
        .as_user(&cm)
        .send()
        .expect(200);
    spoke.get("/v1/clients").as_user(&cm).send().expect(200);
    spoke
        .patch(&format!("/v1/clients/{id}"))
        .as_user(&cm)
        .if_match("\"1\"")
        .json(json!({"preferred_name": "A"}))
        .send()
        .expect(200);
    // A refused change leaves no trace but its refusal.
    spoke
        .patch(&format!("/v1/clients/{id}"))
        .as_user(&cm)
        .if_match("\"1\"")
        .json(json!({"preferred_name": "B"}))
        .send()
        .expect_problem(412);

    let log = spoke
        .get(&format!("/v1/audit-events?client_id={id}"))
        .as_user(&admin)
        .send()
        .expect(200);
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "client.updated",
            "client.listed",
            "client.read",
            "client.created"
        ]
    );
    let listed = &log.body["items"][1];
    assert_eq!(listed["client_id"], serde_json::Value::Null);
    assert_eq!(listed["client_ids"], json!([id]));
    assert_eq!(listed["resource_type"], "client_list");
    let created_event = &log.body["items"][3];
    assert_eq!(created_event["client_id"], id);
    assert_eq!(created_event["client_ids"], json!([id]));
    assert_eq!(created_event["request_id"], "trace-create-1");
    assert_eq!(created_event["actor_id"], cm.id.to_string());
    assert_eq!(created_event["resource_type"], "client");

    let by_actor = spoke
        .get(&format!("/v1/audit-events?actor_id={}&limit=2", cm.id))
        .as_user(&admin)
        .send()
        .expect(200);
    assert_eq!(by_actor.body["items"].as_array().unwrap().len(), 2);
    let next = by_actor.body["next_cursor"].as_str().unwrap();
    let rest = spoke
        .get(&format!(
            "/v1/audit-events?actor_id={}&cursor={next}",
            cm.id
        ))
        .as_user(&admin)
        .send()
        .expect(200);
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 2);
    let future = spoke
        .get("/v1/audit-events?from=2999-01-01T00:00:00Z")
        .as_user(&admin)
        .send()
        .expect(200);
    assert!(future.body["items"].as_array().unwrap().is_empty());
    spoke
        .get("/v1/audit-events")
        .as_user(&cm)
        .send()
        .expect_problem(403);

    // A page of clients is one event naming each client it showed, found
    // from any of them.
    let mut shown = vec![id.clone()];
    for family in ["Kim", "Park"] {
        let created = spoke
            .post("/v1/clients")
            .as_user(&cm)
            .json(client_body("Jo", family))
            .send()
            .expect(201);
        shown.push(created.body["id"].as_str().unwrap().to_owned());
    }
    spoke
        .get("/v1/clients?limit=3")
        .as_user(&cm)
        .header("X-Request-Id", "trace-list-1")
        .send()
        .expect(200);
    for client in &shown {
        let log = spoke
            .get(&format!("/v1/audit-events?client_id={client}&limit=1"))
            .as_user(&admin)
            .send()
            .expect(200);
        let event = &log.body["items"][0];
        assert_eq!(event["request_id"], "trace-list-1");
        assert_eq!(event["client_ids"], json!(shown));
    }
}

fn name_search_ignores_case_and_accents(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let other = spoke.user(
        "other@example.org",
        Role::CaseManager,
        Some(spoke.team("South")),
    );
    let mut ids = Vec::new();
    for (given, family) in [
        ("José", "García"),
        ("Ana", "Garcia"),
        ("María", "Pérez"),
        ("Li", "Wu"),
    ] {
        let created = spoke
            .post("/v1/clients")
            .as_user(&cm)
            .json(client_body(given, family))
            .send()
            .expect(201);
        ids.push(created.body["id"].as_str().unwrap().to_owned());
    }
    // Another team's García is never found by this case manager.
    spoke
        .post("/v1/clients")
        .as_user(&other)
        .json(client_body("Luis", "García"))
        .send()
        .expect(201);
    let search_as = |user: &spoke_tests::TestUser, name: &str| -> Vec<String> {
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let path = format!("/v1/clients?name={encoded}");
        let mut found: Vec<String> =
            spoke.get(&path).as_user(user).send().expect(200).body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    format!(
                        "{} {}",
                        c["given_name"].as_str().unwrap(),
                        c["family_name"].as_str().unwrap()
                    )
                })
                .collect();
        found.sort();
        found
    };
    let search = |name: &str| search_as(&cm, name);
    assert_eq!(search("garcia"), ["Ana Garcia", "José García"]);
    assert_eq!(search("GARCÍA"), ["Ana Garcia", "José García"]);
    assert_eq!(search("jose garc"), ["José García"]);
    assert_eq!(search("maria"), ["María Pérez"]);
    assert_eq!(search("pérez"), ["María Pérez"]);
    // One or two letters match too, anywhere in a name.
    assert_eq!(search("wu"), ["Li Wu"]);
    assert_eq!(search("é"), ["José García", "María Pérez"]);
    // Search syntax means nothing: quotes and operators are plain text.
    assert!(search("\"garcia\" OR wu").is_empty());
    assert!(search("garcia\"").is_empty());
    assert!(search("%").is_empty());
    // A renamed client is found by the new name only.
    spoke
        .patch(&format!("/v1/clients/{}", ids[3]))
        .as_user(&cm)
        .if_match("\"1\"")
        .json(json!({"family_name": "Nguyễn"}))
        .send()
        .expect(200);
    assert_eq!(search("nguyen"), ["Li Nguyễn"]);
    assert!(search("wu").is_empty());
    // Across teams (an admin's scope) the same search finds the same names.
    let admin = spoke.admin();
    assert_eq!(
        search_as(&admin, "GARCÍA"),
        ["Ana Garcia", "José García", "Luis García"]
    );
    assert_eq!(search_as(&admin, "nguy"), ["Li Nguyễn"]);
    assert!(search_as(&admin, "\"garcia\" OR wu").is_empty());
}

both_backends!(
    create_read_and_search,
    name_search_ignores_case_and_accents,
    five_hundred_clients_page_without_duplicates_or_gaps,
    updates_need_the_current_etag,
    status_moves_follow_the_lifecycle,
    supervisors_assign_case_managers_of_their_team,
    an_idempotent_retry_returns_the_first_response,
    concurrent_retries_create_once,
    reads_and_writes_are_audited,
);
