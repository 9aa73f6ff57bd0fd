//! Episodes of care, discharge and re-enrollment over HTTP: a discharge
//! closes everything open in one transaction and says what it closed; a
//! failure part-way leaves nothing changed; a re-enrollment opens a new
//! episode.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_domain::client::{Client, ClientDetailsInput};
use spoke_tests::{Call, Caseload, Reply, Spoke, both_backends, client_body};

fn status(spoke: &Spoke, s: &Caseload, body: Value) -> Reply {
    let path = format!("/v1/clients/{}", s.client);
    let current = spoke.get(&path).as_user(&s.cm).send().expect(200);
    spoke
        .post(&format!("{path}/status"))
        .as_user(&s.cm)
        .if_match(&current.etag())
        .json(body)
        .send()
}

fn created(call: Call<'_>) -> String {
    call.send().expect(201).body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// What a discharge would close: an active plan, two open referrals, an
/// appointment tomorrow and one last week (past: left alone).
struct Open {
    plan: String,
    referrals: [String; 2],
    tomorrow: String,
    last_week: String,
}

fn open_records(spoke: &Spoke, s: &Caseload) -> Open {
    let admin = spoke.admin();
    let client = &s.client;
    let org = created(
        spoke
            .post("/v1/organizations")
            .as_user(&admin)
            .json(json!({"name": "Eastside Pantry"})),
    );
    let service = created(
        spoke
            .post("/v1/services")
            .as_user(&admin)
            .json(json!({"organization_id": org, "name": "Food boxes"})),
    );
    status(spoke, s, json!({"status": "active"})).expect(200);
    let today = chrono::Utc::now().date_naive();
    let plan = spoke
        .post(&format!("/v1/clients/{client}/plans"))
        .as_user(&s.cm)
        .json(json!({
            "effective_on": today, "review_due_on": today + chrono::Duration::days(90),
            "agreement": {"agreed_on": today, "method": "signed"},
            "goals": [{"domain": "housing", "in_own_words": "I want my own place.", "target": "A signed lease",
                       "status": "active", "tasks": []}]
        }))
        .send()
        .expect(201);
    let plan_url = plan.header("location").unwrap().to_owned();
    spoke
        .post(&format!("{plan_url}/activate"))
        .as_user(&s.cm)
        .if_match(&plan.etag())
        .send()
        .expect(200);
    let referral = || {
        created(
            spoke
                .post(&format!("/v1/clients/{client}/referrals"))
                .as_user(&s.cm)
                .json(
                    json!({"service_id": service, "reason": "Needs a food box this week.",
                             "needs": ["food"], "priority": "routine", "due_by": "2030-01-01"}),
                ),
        )
    };
    let referrals = [referral(), referral()];
    let appointment = |days: i64| {
        let start = chrono::Utc::now() + chrono::Duration::days(days);
        created(
            spoke
                .post(&format!("/v1/clients/{client}/appointments"))
                .as_user(&s.cm)
                .json(
                    json!({"starts_at": start, "ends_at": start + chrono::Duration::hours(1),
                             "kind": "housing", "with_name": "Housing office"}),
                ),
        )
    };
    Open {
        plan: plan.body["id"].as_str().unwrap().to_owned(),
        referrals,
        tomorrow: appointment(1),
        last_week: appointment(-7),
    }
}

fn field(spoke: &Spoke, s: &Caseload, path: &str, name: &str) -> Value {
    spoke.get(path).as_user(&s.cm).send().expect(200).body[name].clone()
}

fn discharge_closes_everything_open_in_one_transaction(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let open = open_records(spoke, &s);
    let client = &s.client;
    let plan_path = format!("/v1/clients/{client}/plans/{}", open.plan);
    let referral_path = |n: usize| format!("/v1/referrals/{}", open.referrals[n]);
    let appointment_path = |id: &str| format!("/v1/clients/{client}/appointments/{id}");
    let discharge = json!({"status": "discharged", "reason": "goals_met", "destination": "rental_with_subsidy",
        "summary": "Housed with a voucher, working part time, linked to primary care.",
        "keep_referral_ids": [open.referrals[1]]});

    // Bad requests change nothing: no reason, a field of another move, a
    // referral to keep that is not this client's open one.
    let no_reason = status(spoke, &s, json!({"status": "discharged"})).expect_problem(422);
    assert_eq!(
        no_reason.error_codes(),
        [("reason".into(), "required".into())]
    );
    let wrong_move = status(
        spoke,
        &s,
        json!({"status": "on_hold", "reason": "goals_met"}),
    )
    .expect_problem(422);
    assert_eq!(
        wrong_move.error_codes(),
        [("reason".into(), "not_applicable".into())]
    );
    let unknown = status(
        spoke,
        &s,
        json!({"status": "discharged", "reason": "goals_met", "keep_referral_ids": [open.plan]}),
    )
    .expect_problem(422);
    assert_eq!(
        unknown.error_codes(),
        [("keep_referral_ids[0]".into(), "not_open".into())]
    );

    // A failure part-way (the appointments cannot be read, after the plan
    // and the referrals were closed) leaves everything as it was.
    let mut conn = spoke.database().conn().unwrap();
    spoke_persistence::testing::execute(
        &mut conn,
        "ALTER TABLE appointments RENAME TO appointments_away",
    );
    status(spoke, &s, discharge.clone()).expect_problem(500);
    spoke_persistence::testing::execute(
        &mut conn,
        "ALTER TABLE appointments_away RENAME TO appointments",
    );
    drop(conn);
    assert_eq!(
        field(spoke, &s, &format!("/v1/clients/{client}"), "status"),
        "active"
    );
    assert_eq!(field(spoke, &s, &plan_path, "status"), "active");
    assert_eq!(field(spoke, &s, &referral_path(0), "status"), "draft");
    assert_eq!(
        field(spoke, &s, &appointment_path(&open.tomorrow), "status"),
        "scheduled"
    );
    let episodes_path = format!("/v1/clients/{client}/episodes");
    let episodes = spoke.get(&episodes_path).as_user(&s.cm).send().expect(200);
    assert_eq!(episodes.body["items"][0]["open"], true);

    // The discharge itself: everything open closed, and said so.
    let done = status(spoke, &s, discharge).expect(200);
    assert_eq!(done.body["status"], "discharged");
    assert_eq!(done.body["closed"]["plan_ids"], json!([open.plan]));
    assert_eq!(
        done.body["closed"]["referral_ids"],
        json!([open.referrals[0]])
    );
    assert_eq!(
        done.body["closed"]["kept_referral_ids"],
        json!([open.referrals[1]])
    );
    assert_eq!(
        done.body["closed"]["appointment_ids"],
        json!([open.tomorrow])
    );
    assert_eq!(done.body["episode"]["discharge_reason"], "goals_met");
    assert_eq!(done.body["episode"]["destination_category"], "permanent");
    assert_eq!(done.body["episode"]["destination_hud_code"], 435);
    assert_eq!(field(spoke, &s, &plan_path, "status"), "completed");
    let cancelled = spoke
        .get(&referral_path(0))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(cancelled.body["status"], "cancelled");
    let history = spoke
        .get(&format!("{}/history", referral_path(0)))
        .as_user(&s.cm)
        .send()
        .expect(200);
    let moves = history.body["items"].as_array().unwrap();
    assert_eq!(moves.last().unwrap()["reason"], "client discharged");
    assert_eq!(field(spoke, &s, &referral_path(1), "status"), "draft");
    let tomorrow = spoke
        .get(&appointment_path(&open.tomorrow))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(tomorrow.body["status"], "cancelled");
    assert_eq!(tomorrow.body["status_reason"], "client discharged");
    assert_eq!(
        field(spoke, &s, &appointment_path(&open.last_week), "status"),
        "scheduled"
    );
    // A discharged client is not discharged again.
    status(
        spoke,
        &s,
        json!({"status": "discharged", "reason": "lost_contact"}),
    )
    .expect_problem(409);

    // Re-enrollment opens a new episode, not before the last one ended.
    let today = chrono::Utc::now().date_naive();
    let early = status(
        spoke,
        &s,
        json!({"status": "intake", "on": today - chrono::Duration::days(1)}),
    )
    .expect_problem(422);
    assert_eq!(
        early.error_codes(),
        [("on".into(), "before_previous_end".into())]
    );
    let back = status(
        spoke,
        &s,
        json!({"status": "intake", "enrollment": {"program": "Intensive case management",
               "referral_source": "hospital", "eligibility_basis": "Medicaid TCM: serious mental illness"}}),
    )
    .expect(200);
    assert_eq!(back.body["episode"]["open"], true);
    assert_eq!(back.body["closed"], Value::Null);
    let episodes = spoke.get(&episodes_path).as_user(&s.cm).send().expect(200);
    let items = episodes.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["ended_on"], today.to_string());
    assert_eq!(
        items[0]["discharge_summary"],
        "Housed with a voucher, working part time, linked to primary care."
    );
    assert_eq!(items[1]["program"], "Intensive case management");
    assert_eq!(items[1]["referral_source"], "hospital");
    // Someone of another team sees no episodes.
    let south = spoke.team("South");
    let outsider = spoke.user(
        "south@example.org",
        spoke_domain::staff::Role::Supervisor,
        Some(south),
    );
    spoke
        .get(&episodes_path)
        .as_user(&outsider)
        .send()
        .expect_problem(404);
}

/// A client created with its enrollment opens its first episode; one
/// loaded in bulk (no episode) is given one from its creation on discharge.
fn the_first_episode_opens_with_the_client(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user(
        "cm@example.org",
        spoke_domain::staff::Role::CaseManager,
        Some(team),
    );
    let mut body = client_body("Ana", "Lee");
    body["enrollment"] = json!({"program": "Housing case management", "referral_source": "housing_or_shelter",
                                "referral_source_name": "Riverside shelter"});
    let made = spoke
        .post("/v1/clients")
        .as_user(&cm)
        .json(body)
        .send()
        .expect(201);
    let id = made.body["id"].as_str().unwrap();
    let episodes = spoke
        .get(&format!("/v1/clients/{id}/episodes"))
        .as_user(&cm)
        .send()
        .expect(200);
    assert_eq!(
        episodes.body["items"][0]["program"],
        "Housing case management"
    );
    assert_eq!(
        episodes.body["items"][0]["referral_source_name"],
        "Riverside shelter"
    );
    let mut bad = client_body("Ana", "Lee");
    bad["enrollment"] = json!({"program": " ", "referral_source": "the moon"});
    let refused = spoke
        .post("/v1/clients")
        .as_user(&cm)
        .json(bad)
        .send()
        .expect_problem(422);
    assert_eq!(refused.error_codes()[0].0, "enrollment.referral_source");

    let details: ClientDetailsInput = serde_json::from_value(client_body("Bo", "Park")).unwrap();
    let loaded = Client::new(
        details.parse(chrono::Utc::now().date_naive()).unwrap(),
        team,
        Some(cm.id),
        spoke_persistence::now() - chrono::Duration::days(30),
    );
    spoke_persistence::clients::insert(&mut spoke.database().conn().unwrap(), &loaded).unwrap();
    let s = Caseload {
        cm: cm.clone(),
        other_cm: cm,
        client: loaded.id.to_string(),
    };
    let done = status(
        spoke,
        &s,
        json!({"status": "discharged", "reason": "declined_services"}),
    )
    .expect(200);
    assert_eq!(
        done.body["episode"]["started_on"],
        loaded.created_at.date_naive().to_string()
    );
    assert_eq!(done.body["episode"]["open"], false);
}

/// Where the agency approves closures, a case manager's discharge waits on
/// the episode (202, the client unchanged); it is withdrawn, or a
/// supervisor approves it as it was asked.
fn a_discharge_waits_for_a_supervisor_when_the_agency_says_so(spoke: &Spoke) {
    let Some(strict) = Spoke::start_with(spoke.backend(), |settings| {
        settings.discharge_approval_required = true;
    }) else {
        return;
    };
    let s = strict.caseload(json!({}));
    let path = format!("/v1/clients/{}", s.client);
    let team: spoke_domain::ids::TeamId = strict.get(&path).as_user(&s.cm).send().expect(200).body
        ["team_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let supervisor = strict.user(
        "sup@example.org",
        spoke_domain::staff::Role::Supervisor,
        Some(team),
    );
    status(&strict, &s, json!({"status": "active"})).expect(200);
    let ask = json!({"status": "discharged", "reason": "moved_away", "destination": "family_permanent",
                     "summary": "Moved to live with her sister in another county."});
    let asked = status(&strict, &s, ask.clone()).expect(202);
    assert_eq!(asked.body["status"], "active");
    assert_eq!(asked.body["closed"], Value::Null);
    assert_eq!(
        asked.body["episode"]["pending_closure"]["reason"],
        "moved_away"
    );
    assert_eq!(
        asked.body["episode"]["pending_closure"]["requested_by"],
        json!(s.cm.id)
    );
    assert_eq!(
        strict.get(&path).as_user(&s.cm).send().expect(200).etag(),
        asked.etag()
    );
    status(&strict, &s, ask.clone()).expect_problem(409);
    // Withdrawn: the episode goes on, and nothing waits.
    let closure = format!("{path}/closure-request");
    strict.delete(&closure).as_user(&s.cm).send().expect(204);
    strict
        .delete(&closure)
        .as_user(&s.cm)
        .send()
        .expect_problem(404);
    // Asked again, and approved by the supervisor as asked.
    status(&strict, &s, ask).expect(202);
    let current = strict.get(&path).as_user(&supervisor).send().expect(200);
    let approved = strict
        .post(&format!("{path}/status"))
        .as_user(&supervisor)
        .if_match(&current.etag())
        .json(json!({"status": "discharged"}))
        .send()
        .expect(200);
    assert_eq!(approved.body["status"], "discharged");
    assert_eq!(approved.body["episode"]["discharge_reason"], "moved_away");
    assert_eq!(approved.body["episode"]["destination"], "family_permanent");
    assert_eq!(
        approved.body["episode"]["discharged_by"],
        json!(supervisor.id)
    );
    assert_eq!(approved.body["episode"]["pending_closure"], Value::Null);
}

both_backends!(
    a_discharge_waits_for_a_supervisor_when_the_agency_says_so,
    discharge_closes_everything_open_in_one_transaction,
    the_first_episode_opens_with_the_client,
);
