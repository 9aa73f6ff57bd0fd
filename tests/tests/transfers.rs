//! Transfers over HTTP: asked for with a summary, accepted by the receiving
//! team's supervisor (the client moves at once), declined with a reason,
//! withdrawn; two answers at once, one wins; who held the client is kept.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::json;
use spoke_domain::staff::Role;
use spoke_tests::{Caseload, Reply, Spoke, TestUser, both_backends};

fn ask(spoke: &Spoke, s: &Caseload, who: &TestUser, body: serde_json::Value) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/transfers", s.client))
        .as_user(who)
        .json(body)
        .send()
}

fn answer(spoke: &Spoke, who: &TestUser, transfer: &Reply, body: serde_json::Value) -> Reply {
    spoke
        .post(&format!(
            "/v1/transfers/{}/status",
            transfer.body["id"].as_str().unwrap()
        ))
        .as_user(who)
        .if_match(&transfer.etag())
        .json(body)
        .send()
}

fn a_transfer_moves_the_client_once_accepted(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let south = spoke.team("South");
    let south_sup = spoke.user("sup@south.example.org", Role::Supervisor, Some(south));
    let south_cm = spoke.user("cm@south.example.org", Role::CaseManager, Some(south));
    let summary =
        "Moved to the east side; stable in supportive housing, needs a new primary care doctor.";
    let client_path = format!("/v1/clients/{}", s.client);

    // Bad requests: no summary, an unknown team, a case manager of another team, no change.
    let refused = ask(
        spoke,
        &s,
        &s.cm,
        json!({"to_team_id": south, "summary": " "}),
    )
    .expect_problem(422);
    assert_eq!(
        refused.error_codes(),
        [("summary".into(), "required".into())]
    );
    ask(
        spoke,
        &s,
        &s.cm,
        json!({"to_team_id": uuid::Uuid::now_v7(), "summary": summary}),
    )
    .expect_problem(422);
    ask(
        spoke,
        &s,
        &s.cm,
        json!({"to_team_id": south, "to_case_manager_id": s.other_cm.id, "summary": summary}),
    )
    .expect_problem(422);
    let north = spoke
        .get(&client_path)
        .as_user(&s.cm)
        .send()
        .expect(200)
        .body["team_id"]
        .clone();
    let same = ask(
        spoke,
        &s,
        &s.cm,
        json!({"to_team_id": north, "summary": summary}),
    )
    .expect_problem(422);
    assert_eq!(
        same.error_codes(),
        [("to_case_manager_id".into(), "no_change".into())]
    );
    // Another case manager of the team may not ask for it.
    ask(
        spoke,
        &s,
        &s.other_cm,
        json!({"to_team_id": south, "summary": summary}),
    )
    .expect_problem(403);

    let transfer = ask(
        spoke,
        &s,
        &s.cm,
        json!({"to_team_id": south, "summary": summary}),
    )
    .expect(201);
    assert_eq!(transfer.body["status"], "requested");
    assert_eq!(transfer.body["client_name"], "Maria Rivera");
    // One at a time.
    ask(
        spoke,
        &s,
        &s.cm,
        json!({"to_team_id": south, "summary": summary}),
    )
    .expect_problem(409);
    // The receiving supervisor finds it waiting, reads the summary, not yet the client.
    let queue = spoke
        .get(&format!(
            "/v1/transfers?status=requested&to_team_id={south}"
        ))
        .as_user(&south_sup)
        .send()
        .expect(200);
    assert_eq!(queue.ids(), [transfer.body["id"].as_str().unwrap()]);
    assert_eq!(queue.body["items"][0]["summary"], summary);
    spoke
        .get(&client_path)
        .as_user(&south_sup)
        .send()
        .expect_problem(404);
    // The sending side cannot accept it; the receiving side must name a case manager.
    answer(
        spoke,
        &s.cm,
        &transfer,
        json!({"status": "accepted", "case_manager_id": s.cm.id}),
    )
    .expect_problem(403);
    let unnamed =
        answer(spoke, &south_sup, &transfer, json!({"status": "accepted"})).expect_problem(422);
    assert_eq!(
        unnamed.error_codes(),
        [("case_manager_id".into(), "required".into())]
    );
    let accepted = answer(
        spoke,
        &south_sup,
        &transfer,
        json!({"status": "accepted", "case_manager_id": south_cm.id, "note": "Ana takes her this week."}),
    )
    .expect(200);
    assert_eq!(accepted.body["status"], "accepted");
    assert_eq!(accepted.body["to_case_manager_id"], json!(south_cm.id));
    // The client moved at once: the new side reads it, the old one no longer.
    let moved = spoke
        .get(&client_path)
        .as_user(&south_cm)
        .send()
        .expect(200);
    assert_eq!(moved.body["team_id"], json!(south));
    assert_eq!(moved.body["primary_case_manager_id"], json!(south_cm.id));
    spoke
        .get(&client_path)
        .as_user(&s.cm)
        .send()
        .expect_problem(404);
    // Decided once.
    answer(
        spoke,
        &south_sup,
        &accepted,
        json!({"status": "declined", "note": "No room"}),
    )
    .expect_problem(409);
    let history = spoke
        .get(&format!("{client_path}/assignments"))
        .as_user(&south_cm)
        .send()
        .expect(200);
    let items = history.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["reason"], "created");
    assert_eq!(items[0]["case_manager_id"], json!(s.cm.id));
    assert_eq!(items[0]["until"], items[1]["from"]);
    assert_eq!(items[1]["reason"], "transfer");
    assert_eq!(items[1]["until"], serde_json::Value::Null);

    // Back to North: declined with a reason, then asked again and withdrawn.
    let north_sup = spoke.user(
        "sup@north.example.org",
        Role::Supervisor,
        Some(north.as_str().unwrap().parse().unwrap()),
    );
    let s2 = Caseload {
        cm: south_cm.clone(),
        other_cm: south_cm.clone(),
        client: s.client.clone(),
    };
    let back = ask(
        spoke,
        &s2,
        &south_cm,
        json!({"to_team_id": north, "summary": "Moved back west."}),
    )
    .expect(201);
    answer(spoke, &north_sup, &back, json!({"status": "declined"})).expect_problem(422);
    let declined = answer(
        spoke,
        &north_sup,
        &back,
        json!({"status": "declined", "note": "Caseloads are full"}),
    )
    .expect(200);
    assert_eq!(declined.body["note"], "Caseloads are full");
    let again = ask(
        spoke,
        &s2,
        &south_cm,
        json!({"to_team_id": north, "summary": "Moved back west."}),
    )
    .expect(201);
    answer(spoke, &south_cm, &again, json!({"status": "cancelled"})).expect(200);
    let all = spoke
        .get(&format!("{client_path}/transfers"))
        .as_user(&south_cm)
        .send()
        .expect(200);
    let statuses: Vec<_> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [json!("accepted"), json!("declined"), json!("cancelled")]
    );
    assert_eq!(moved_team(spoke, &south_cm, &client_path), json!(south));
}

fn moved_team(spoke: &Spoke, who: &TestUser, path: &str) -> serde_json::Value {
    spoke.get(path).as_user(who).send().expect(200).body["team_id"].clone()
}

/// Two supervisors of the receiving team accept at once: one wins, the
/// other is told the transfer moved on, and the client is moved once.
fn two_acceptances_at_once_one_wins(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let south = spoke.team("South");
    let sups = [
        spoke.user("sup1@south.example.org", Role::Supervisor, Some(south)),
        spoke.user("sup2@south.example.org", Role::Supervisor, Some(south)),
    ];
    let cms = [
        spoke.user("cm1@south.example.org", Role::CaseManager, Some(south)),
        spoke.user("cm2@south.example.org", Role::CaseManager, Some(south)),
    ];
    for round in 0..3 {
        let client = spoke
            .post("/v1/clients")
            .as_user(&s.cm)
            .json(spoke_tests::client_body(
                "Client",
                &format!("Number{round}"),
            ))
            .send()
            .expect(201);
        let c = Caseload {
            cm: s.cm.clone(),
            other_cm: s.cm.clone(),
            client: client.body["id"].as_str().unwrap().to_owned(),
        };
        let transfer = ask(
            spoke,
            &c,
            &s.cm,
            json!({"to_team_id": south, "summary": "Moved east."}),
        )
        .expect(201);
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|n| {
                    let (sup, cm, transfer) = (&sups[n], &cms[n], &transfer);
                    scope.spawn(move || {
                        answer(
                            spoke,
                            sup,
                            transfer,
                            json!({"status": "accepted", "case_manager_id": cm.id}),
                        )
                        .status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = statuses.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [200, 412], "round {round}: {statuses:?}");
        let history = spoke
            .get(&format!("/v1/clients/{}/assignments", c.client))
            .as_user(&sups[0])
            .send()
            .expect(200);
        assert_eq!(history.body["items"].as_array().unwrap().len(), 2);
        let winner = if statuses[0] == 200 { &cms[0] } else { &cms[1] };
        let now = spoke
            .get(&format!("/v1/clients/{}", c.client))
            .as_user(&sups[0])
            .send()
            .expect(200);
        assert_eq!(now.body["primary_case_manager_id"], json!(winner.id));
    }
}

both_backends!(
    a_transfer_moves_the_client_once_accepted,
    two_acceptances_at_once_one_wins,
);
