//! Service plans over HTTP: drafting, If-Match, activation and
//! supersession (also racing), approval, progress notes, review dates.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Reply, Spoke, TestUser, both_backends, client_body};

struct Setting {
    cm: TestUser,
    supervisor: TestUser,
    client: String,
}

fn setting(spoke: &Spoke) -> Setting {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let supervisor = spoke.user("sup@example.org", Role::Supervisor, Some(team));
    let client = spoke
        .post("/v1/clients")
        .as_user(&cm)
        .json(client_body("Maria", "Rivera"))
        .send()
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Setting {
        cm,
        supervisor,
        client,
    }
}

fn plan_body(review: &str) -> Value {
    json!({
        "effective_on": "2026-11-20", "review_due_on": review,
        "agreement": {"agreed_on": "2026-11-20", "method": "signed"},
        "goals": [{
            "domain": "housing", "in_own_words": "I want my own place.", "target": "A signed lease",
            "status": "active",
            "tasks": [{"what": "Apply for the voucher", "responsible": "case_manager", "due_on": "2026-12-01"}]
        }]
    })
}

fn draft(spoke: &Spoke, s: &Setting, body: Value) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/plans", s.client))
        .as_user(&s.cm)
        .json(body)
        .send()
}

fn step(spoke: &Spoke, who: &TestUser, plan: &Reply, action: &str) -> Reply {
    spoke
        .post(&format!(
            "{}/{action}",
            plan.header("location")
                .unwrap_or_else(|| panic!("{}", plan.text))
        ))
        .as_user(who)
        .if_match(&plan.etag())
        .send()
}

fn with_location(reply: Reply, location: &str) -> Reply {
    let mut reply = reply;
    reply.headers.push(("location".into(), location.into()));
    reply
}

fn a_plan_is_drafted_revised_activated_and_superseded(spoke: &Spoke) {
    let s = setting(spoke);
    // Tasks name the client's own people.
    let stranger = draft(
        spoke,
        &s,
        json!({"effective_on": "2026-11-20", "review_due_on": "2027-02-20", "goals": [{
            "domain": "housing", "in_own_words": "Home", "target": "Lease",
            "tasks": [{"what": "Drive her", "responsible": "natural_support",
                       "natural_support_id": "01936b2e-0000-7000-8000-000000000000"}]}]}),
    )
    .expect_problem(422);
    assert_eq!(stranger.body["errors"][0]["code"], "unknown_reference");
    let rosa = spoke
        .post(&format!("/v1/clients/{}/natural-supports", s.client))
        .as_user(&s.cm)
        .json(json!({"name": "Rosa", "relationship": "sibling", "may_share_information": true}))
        .send()
        .expect(201);

    let mut unsigned = plan_body("2027-02-20");
    unsigned["agreement"] = Value::Null;
    let first = draft(spoke, &s, unsigned).expect(201);
    assert_eq!(first.body["status"], "draft");
    let location = first.header("location").unwrap().to_owned();
    let refused = step(spoke, &s.cm, &first, "activate").expect_problem(422);
    assert_eq!(refused.body["errors"][0]["field"], "agreement");

    // Revise: keep the goal and task by id, add Rosa's task, sign.
    let goal = &first.body["goals"][0];
    let revised_body = json!({
        "effective_on": "2026-11-20", "review_due_on": "2027-02-20",
        "agreement": {"agreed_on": "2026-11-21", "method": "verbal"},
        "goals": [{
            "id": goal["id"], "domain": "housing", "in_own_words": "I want my own place.", "target": "A signed lease",
            "status": "active",
            "tasks": [
                {"id": goal["tasks"][0]["id"], "what": "Apply for the voucher", "responsible": "case_manager", "status": "done"},
                {"what": "Drive her to the interview", "responsible": "natural_support", "natural_support_id": rosa.body["id"]}
            ]
        }]
    });
    spoke
        .put(&location)
        .as_user(&s.cm)
        .json(revised_body.clone())
        .send()
        .expect_problem(428);
    let revised = spoke
        .put(&location)
        .as_user(&s.cm)
        .if_match(&first.etag())
        .json(revised_body)
        .send()
        .expect(200);
    assert_eq!(revised.body["goals"][0]["id"], goal["id"]);
    spoke
        .put(&location)
        .as_user(&s.cm)
        .if_match(&first.etag())
        .json(plan_body("2027-02-20"))
        .send()
        .expect_problem(412);
    assert_eq!(revised.body["goals"][0]["tasks"][0]["status"], "done");
    let active = step(spoke, &s.cm, &with_location(revised, &location), "activate").expect(200);
    assert_eq!(active.body["status"], "active");
    assert_eq!(active.body["review_overdue"], false);

    // A second plan supersedes the first in one step.
    let second = draft(spoke, &s, plan_body("2027-05-20")).expect(201);
    assert_eq!(second.body["supersedes"], active.body["id"]);
    let now_active = step(spoke, &s.cm, &second, "activate").expect(200);
    assert_eq!(now_active.body["status"], "active");
    let history = spoke
        .get(&format!("/v1/clients/{}/plans", s.client))
        .as_user(&s.cm)
        .send()
        .expect(200);
    let statuses: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["active", "superseded"]);
    let old = spoke.get(&location).as_user(&s.cm).send().expect(200);
    assert!(old.body["closed_at"].is_string());
    spoke
        .put(&location)
        .as_user(&s.cm)
        .if_match(&old.etag())
        .json(plan_body("2027-02-20"))
        .send()
        .expect_problem(409);
    // Completing closes it for good.
    let second_location = second.header("location").unwrap();
    let now_active = with_location(now_active, second_location);
    let done = step(spoke, &s.cm, &now_active, "complete").expect(200);
    assert_eq!(done.body["status"], "completed");
    step(
        spoke,
        &s.cm,
        &with_location(done, second_location),
        "complete",
    )
    .expect_problem(409);
}

/// Two activations at once, of two drafts made while no plan was active:
/// exactly one wins, and the client ends with exactly one active plan.
fn two_concurrent_activations_exactly_one_wins(spoke: &Spoke) {
    let s = setting(spoke);
    for round in 0..3 {
        let drafts: Vec<Reply> = (0..2)
            .map(|_| draft(spoke, &s, plan_body("2027-02-20")).expect(201))
            .collect();
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let handles: Vec<_> = drafts
                .iter()
                .map(|d| scope.spawn(|| step(spoke, &s.cm, d, "activate").status))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = statuses.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [200, 409], "round {round}: {statuses:?}");
        let plans = spoke
            .get(&format!("/v1/clients/{}/plans", s.client))
            .as_user(&s.cm)
            .send()
            .expect(200);
        let active = plans.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == "active")
            .count();
        assert_eq!(active, 1, "round {round}");
        // Complete it so the next round starts with no active plan.
        let winner = plans.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["status"] == "active")
            .unwrap();
        let path = format!(
            "/v1/clients/{}/plans/{}",
            s.client,
            winner["id"].as_str().unwrap()
        );
        spoke
            .post(&format!("{path}/complete"))
            .as_user(&s.cm)
            .if_match(&format!("\"{}\"", winner["version"]))
            .send()
            .expect(200);
    }
}

fn plans_wait_for_a_supervisor_when_the_deployment_says_so(spoke: &Spoke) {
    let Some(strict) = Spoke::start_with(spoke.backend(), |settings| {
        settings.plan_approval_required = true;
    }) else {
        return;
    };
    let s = setting(&strict);
    let plan = draft(&strict, &s, plan_body("2027-02-20")).expect(201);
    step(&strict, &s.cm, &plan, "activate").expect_problem(409);
    let asked = step(&strict, &s.cm, &plan, "approval-request").expect(200);
    assert_eq!(asked.body["approval"]["state"], "requested");
    let decide = |who: &TestUser, etag: &str, body: Value| {
        strict
            .post(&format!("{}/approval", plan.header("location").unwrap()))
            .as_user(who)
            .if_match(etag)
            .json(body)
            .send()
    };
    decide(&s.cm, &asked.etag(), json!({"decision": "approved"})).expect_problem(403);
    decide(
        &s.supervisor,
        &asked.etag(),
        json!({"decision": "rejected"}),
    )
    .expect_problem(422);
    let rejected = decide(
        &s.supervisor,
        &asked.etag(),
        json!({"decision": "rejected", "reason": "Add the housing application"}),
    )
    .expect(200);
    assert_eq!(
        rejected.body["approval"]["reason"],
        "Add the housing application"
    );
    let rejected = with_location(rejected, plan.header("location").unwrap());
    step(&strict, &s.cm, &rejected, "activate").expect_problem(409);
    let again = step(&strict, &s.cm, &rejected, "approval-request").expect(200);
    let approved = decide(
        &s.supervisor,
        &again.etag(),
        json!({"decision": "approved"}),
    )
    .expect(200);
    assert_eq!(
        approved.body["approval"]["decided_by"],
        s.supervisor.id.to_string()
    );
    let approved = with_location(approved, plan.header("location").unwrap());
    let active = step(&strict, &s.cm, &approved, "activate").expect(200);
    assert_eq!(active.body["status"], "active");
    // Without the setting, the default server needs no approval.
    let relaxed = setting(spoke);
    let plan = draft(spoke, &relaxed, plan_body("2027-02-20")).expect(201);
    step(spoke, &relaxed.cm, &plan, "activate").expect(200);
}

fn notes_and_overdue_reviews(spoke: &Spoke) {
    let s = setting(spoke);
    let therapist = spoke.user("therapist@example.org", Role::CareTeamMember, None);
    spoke
        .post(&format!("/v1/clients/{}/care-team", s.client))
        .as_user(&s.cm)
        .json(json!({"kind": "staff", "user_id": therapist.id, "started_on": "2026-01-01"}))
        .send()
        .expect(201);
    let plan = draft(spoke, &s, plan_body("2026-11-21")).expect(201);
    let active = step(spoke, &s.cm, &plan, "activate").expect(200);
    assert_eq!(
        active.body["review_overdue"], true,
        "its review date has passed"
    );
    let goal = active.body["goals"][0]["id"].as_str().unwrap();
    let notes_path = format!("{}/goals/{goal}/notes", plan.header("location").unwrap());
    let note = spoke
        .post(&notes_path)
        .as_user(&therapist)
        .json(json!({"text": "Talked about the move; she is hopeful."}))
        .send()
        .expect(201);
    assert_eq!(note.body["author_id"], therapist.id.to_string());
    spoke
        .post(&notes_path)
        .as_user(&therapist)
        .json(json!({"text": " "}))
        .send()
        .expect_problem(422);
    spoke
        .post(&format!(
            "{}/goals/01936b2e-0000-7000-8000-000000000000/notes",
            plan.header("location").unwrap()
        ))
        .as_user(&s.cm)
        .json(json!({"text": "Somewhere else"}))
        .send()
        .expect_problem(404);
    let notes = spoke
        .get(&format!("{}/notes", plan.header("location").unwrap()))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(notes.body["items"].as_array().unwrap().len(), 1);
    // The therapist reads the plan but may not change it.
    spoke
        .put(plan.header("location").unwrap())
        .as_user(&therapist)
        .if_match(&active.etag())
        .json(plan_body("2027-01-01"))
        .send()
        .expect_problem(403);
    let today = chrono::Utc::now().date_naive();
    let overdue = spoke
        .get(&format!(
            "/v1/plans?status=active&review_due_before={today}"
        ))
        .as_user(&s.cm)
        .header("X-Request-Id", "trace-plan-list")
        .send()
        .expect(200);
    let client = active.body["client_id"].as_str().unwrap();
    let log = spoke
        .get(&format!("/v1/audit-events?client_id={client}&limit=1"))
        .as_user(&spoke.admin())
        .send()
        .expect(200);
    let event = &log.body["items"][0];
    assert_eq!(event["request_id"], "trace-plan-list");
    assert_eq!(event["resource_type"], "plan_list");
    assert_eq!(
        event["client_ids"],
        json!([client]),
        "one event for the page"
    );
    let ids: Vec<&str> = overdue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [active.body["id"].as_str().unwrap()]);
    let other_team = spoke.user(
        "cm-b@example.org",
        Role::CaseManager,
        Some(spoke.team("South")),
    );
    let none = spoke
        .get(&format!(
            "/v1/plans?status=active&review_due_before={today}"
        ))
        .as_user(&other_team)
        .send()
        .expect(200);
    assert!(
        none.body["items"].as_array().unwrap().is_empty(),
        "another team's plans stay hidden"
    );
    spoke
        .get("/v1/plans?status=unknown")
        .as_user(&s.cm)
        .send()
        .expect_problem(400);
}

both_backends!(
    a_plan_is_drafted_revised_activated_and_superseded,
    two_concurrent_activations_exactly_one_wins,
    plans_wait_for_a_supervisor_when_the_deployment_says_so,
    notes_and_overdue_reviews,
);
