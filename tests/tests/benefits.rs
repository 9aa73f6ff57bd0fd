//! Benefits applications over HTTP: the checklist, every status move, the
//! history, the dates coming due across clients, and bad input.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Caseload, Reply, Spoke, TestUser, both_backends};

fn start(spoke: &Spoke, s: &Caseload, who: &TestUser, program: &str) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/benefit-applications", s.client))
        .as_user(who)
        .json(
            json!({"program": program, "case_number": "SNAP-2026-118842",
            "documents": [{"kind": "identity", "gathered": true},
                          {"kind": "proof_of_income", "note": "Pay stubs from October"}],
            "notes": "Interview by phone; she prefers mornings."}),
        )
        .send()
}

fn url(reply: &Reply) -> String {
    format!(
        "/v1/clients/{}/benefit-applications/{}",
        reply.body["client_id"].as_str().unwrap(),
        reply.body["id"].as_str().unwrap()
    )
}

fn move_to(spoke: &Spoke, who: &TestUser, reply: &Reply, body: Value) -> Reply {
    spoke
        .post(&format!("{}/status", url(reply)))
        .as_user(who)
        .if_match(&reply.etag())
        .json(body)
        .send()
}

/// A move to `status` with what it records.
fn to(status: &str) -> Value {
    match status {
        "pending_information" => {
            json!({"status": status, "information_requested": "Proof of income",
                                         "information_due_on": "2030-01-15"})
        }
        "approved" | "appeal_won" => json!({"status": status, "amount_cents": 29100,
                                            "recertification_on": "2030-06-30"}),
        "denied" | "withdrawn" => json!({"status": status, "reason": "Over the income limit"}),
        "appealed" => json!({"status": status, "hearing_on": "2030-02-01"}),
        _ => json!({"status": status}),
    }
}

/// The moves that bring a new application to `status`.
fn path_to(status: &str) -> Vec<&'static str> {
    match status {
        "submitted" => vec!["submitted"],
        "pending_information" => vec!["submitted", "pending_information"],
        "approved" => vec!["submitted", "approved"],
        "denied" => vec!["submitted", "denied"],
        "appealed" => vec!["submitted", "denied", "appealed"],
        "appeal_won" => vec!["submitted", "denied", "appealed", "appeal_won"],
        "appeal_lost" => vec!["submitted", "denied", "appealed", "appeal_lost"],
        "withdrawn" => vec!["withdrawn"],
        _ => vec![],
    }
}

const STATUSES: [&str; 9] = [
    "preparing",
    "submitted",
    "pending_information",
    "approved",
    "denied",
    "appealed",
    "appeal_won",
    "appeal_lost",
    "withdrawn",
];

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn an_application_goes_from_checklist_to_recertification(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let made = start(spoke, &s, &s.cm, "snap").expect(201);
    assert_eq!(made.body["status"], "preparing");
    assert_eq!(made.body["documents_missing"], json!(["proof_of_income"]));
    assert_eq!(made.header("location").unwrap(), url(&made));
    let got = spoke
        .get(&url(&made))
        .as_user(&s.other_cm)
        .send()
        .expect(200);
    assert_eq!(got.body, made.body);
    // Another case manager of the team reads but does not act.
    start(spoke, &s, &s.other_cm, "snap").expect_problem(403);
    move_to(spoke, &s.other_cm, &made, to("submitted")).expect_problem(403);

    // The checklist is completed, under If-Match.
    let gathered = spoke
        .put(&url(&made))
        .as_user(&s.cm)
        .if_match(&made.etag())
        .json(json!({"program": "snap", "case_number": "SNAP-2026-118842",
            "documents": [{"kind": "identity", "gathered": true},
                          {"kind": "proof_of_income", "gathered": true}]}))
        .send()
        .expect(200);
    assert_eq!(gathered.body["documents_missing"], json!([]));
    let submitted = move_to(
        spoke,
        &s.cm,
        &gathered,
        json!({"status": "submitted", "on": "2026-11-03"}),
    )
    .expect(200);
    assert_eq!(submitted.body["submitted_on"], "2026-11-03");
    let asked = move_to(spoke, &s.cm, &submitted, to("pending_information")).expect(200);
    assert_eq!(
        asked.body["next_due"],
        json!({"kind": "information", "on": "2030-01-15"})
    );
    let sent = move_to(spoke, &s.cm, &asked, to("submitted")).expect(200);
    assert_eq!(sent.body["next_due"], Value::Null);
    assert_eq!(
        sent.body["submitted_on"], "2026-11-03",
        "the first submission stays"
    );
    let approved = move_to(spoke, &s.cm, &sent, to("approved")).expect(200);
    assert_eq!(approved.body["amount_cents"], 29100);
    assert_eq!(
        approved.body["next_due"],
        json!({"kind": "recertification", "on": "2030-06-30"})
    );
    assert_eq!(approved.body["allowed_moves"], json!([]));

    let history = spoke
        .get(&format!("{}/history", url(&made)))
        .as_user(&s.other_cm)
        .send()
        .expect(200);
    let steps: Vec<(Value, Value)> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from"].clone(), e["to"].clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (Value::Null, json!("preparing")),
            (json!("preparing"), json!("preparing")),
            (json!("preparing"), json!("submitted")),
            (json!("submitted"), json!("pending_information")),
            (json!("pending_information"), json!("submitted")),
            (json!("submitted"), json!("approved")),
        ]
    );
    assert_eq!(history.body["items"][1]["note"], "changed");
    assert_eq!(history.body["items"][3]["note"], "Proof of income");
    assert_eq!(history.body["items"][0]["by"], s.cm.id.to_string());
}

/// Every (status, target) over HTTP, as the lifecycle says; a refused move
/// is a 409 naming the moves allowed and changes nothing.
fn every_status_move_follows_the_lifecycle(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let table: [(&str, &[&str]); 9] = [
        ("preparing", &["submitted", "withdrawn"]),
        (
            "submitted",
            &["pending_information", "approved", "denied", "withdrawn"],
        ),
        (
            "pending_information",
            &["submitted", "approved", "denied", "withdrawn"],
        ),
        ("approved", &[]),
        ("denied", &["appealed"]),
        ("appealed", &["appeal_won", "appeal_lost", "withdrawn"]),
        ("appeal_won", &[]),
        ("appeal_lost", &[]),
        ("withdrawn", &[]),
    ];
    for (from, allowed) in table {
        for target in STATUSES {
            let mut made = start(spoke, &s, &s.cm, "ssi").expect(201);
            for step in path_to(from) {
                made = move_to(spoke, &s.cm, &made, to(step)).expect(200);
            }
            assert_eq!(made.body["status"], from);
            assert_eq!(strings(&made.body["allowed_moves"]), allowed);
            let moved = move_to(spoke, &s.cm, &made, to(target));
            if allowed.contains(&target) {
                assert_eq!(
                    moved.expect(200).body["status"],
                    target,
                    "{from} -> {target}"
                );
            } else {
                let refused = moved.expect_problem(409);
                assert_eq!(refused.body["type"], "/problems/illegal-move");
                assert_eq!(refused.body["current_status"], from);
                assert_eq!(strings(&refused.body["allowed_moves"]), allowed);
                let now = spoke.get(&url(&made)).as_user(&s.cm).send().expect(200);
                assert_eq!(now.body, made.body, "{from} -> {target} changed nothing");
            }
        }
    }
    // A withdrawn application never changes.
    let mut gone = start(spoke, &s, &s.cm, "wic").expect(201);
    gone = move_to(spoke, &s.cm, &gone, to("withdrawn")).expect(200);
    spoke
        .put(&url(&gone))
        .as_user(&s.cm)
        .if_match(&gone.etag())
        .json(json!({"program": "wic"}))
        .send()
        .expect_problem(409);
}

/// Each move asks for what it records.
fn moves_ask_for_what_they_record(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let made = start(spoke, &s, &s.cm, "medicaid").expect(201);
    let submitted = move_to(spoke, &s.cm, &made, to("submitted")).expect(200);
    let refused = move_to(
        spoke,
        &s.cm,
        &submitted,
        json!({"status": "pending_information", "hearing_on": "2030-01-01", "on": "2999-01-01"}),
    )
    .expect_problem(422);
    assert_eq!(
        refused.error_codes(),
        [
            ("on".into(), "in_future".into()),
            ("hearing_on".into(), "not_allowed".into()),
            ("information_requested".into(), "required".into()),
            ("information_due_on".into(), "required".into()),
        ]
    );
    let refused =
        move_to(spoke, &s.cm, &submitted, json!({"status": "denied"})).expect_problem(422);
    assert_eq!(
        refused.error_codes(),
        [("reason".into(), "required".into())]
    );
    let now = spoke.get(&url(&made)).as_user(&s.cm).send().expect(200);
    assert_eq!(now.body, submitted.body);
}

/// The dates coming due across clients, soonest first, within the caller's scope.
fn dates_due_are_listed_across_clients(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let south = spoke.team("South");
    let stranger = spoke.user("s@example.org", Role::CaseManager, Some(south));
    let billing = spoke.user("b@example.org", Role::Billing, None);
    let advance = |steps: &[Value]| {
        let mut made = start(spoke, &s, &s.cm, "snap").expect(201);
        for step in steps {
            made = move_to(spoke, &s.cm, &made, step.clone()).expect(200);
        }
        made
    };
    let info = advance(&[
        to("submitted"),
        json!({"status": "pending_information", "information_requested": "ID",
               "information_due_on": "2030-01-20"}),
    ]);
    let hearing = advance(&[
        to("submitted"),
        to("denied"),
        json!({"status": "appealed", "hearing_on": "2030-01-10"}),
    ]);
    let recert = advance(&[
        to("submitted"),
        json!({"status": "approved", "recertification_on": "2030-03-01"}),
    ]);
    let _quiet = advance(&[to("submitted")]);
    let january = "/v1/benefit-applications?due_from=2030-01-01&due_to=2030-01-31";
    let listed = spoke.get(january).as_user(&s.other_cm).send().expect(200);
    assert_eq!(listed.ids(), [id(&hearing), id(&info)]);
    let recerts = spoke
        .get("/v1/benefit-applications?due_kind=recertification")
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(recerts.ids(), [id(&recert)]);
    let mine = spoke
        .get(&format!(
            "/v1/benefit-applications?case_manager_id={}&due_from=2030-01-01",
            s.cm.id
        ))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(mine.ids(), [id(&hearing), id(&info), id(&recert)]);
    for outsider in [&stranger, &billing] {
        let none = spoke.get(january).as_user(outsider).send().expect(200);
        assert_eq!(none.ids(), Vec::<String>::new());
        spoke
            .get(&url(&info))
            .as_user(outsider)
            .send()
            .expect_problem(404);
    }
    spoke
        .get("/v1/benefit-applications?due_from=2030-02-01&due_to=2030-01-01")
        .as_user(&s.cm)
        .send()
        .expect_problem(422);
}

fn id(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap().to_owned()
}

both_backends!(
    an_application_goes_from_checklist_to_recertification,
    every_status_move_follows_the_lifecycle,
    moves_ask_for_what_they_record,
    dates_due_are_listed_across_clients,
);
