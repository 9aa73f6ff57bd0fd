//! Assessments over HTTP: scoring rules, finalizing, immutability,
//! amendments, the trend, and instruments as data.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Reply, Spoke, TestUser, both_backends, client_body};

struct Setting {
    cm: TestUser,
    client: String,
    ssm: Value,
}

fn setting(spoke: &Spoke) -> Setting {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
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
    let instruments = spoke.get("/v1/instruments").as_user(&cm).send().expect(200);
    let ssm = instruments.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "ssm")
        .unwrap()
        .clone();
    Setting { cm, client, ssm }
}

/// Every SSM domain scored `value`, housing `housing`, employment not applicable.
fn scores(ssm: &Value, housing: i64, value: i64) -> Value {
    let items: Vec<Value> = ssm["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| match d["code"].as_str().unwrap() {
            "housing" => json!({"domain": "housing", "score": housing}),
            "employment" => json!({"domain": "employment", "not_applicable": true}),
            code => json!({"domain": code, "score": value}),
        })
        .collect();
    Value::Array(items)
}

fn assess(spoke: &Spoke, s: &Setting, body: Value) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/assessments", s.client))
        .as_user(&s.cm)
        .json(body)
        .send()
}

/// Creates and finalizes an assessment; returns the final one.
fn final_assessment(spoke: &Spoke, s: &Setting, on: &str, kind: &str, housing: i64) -> Reply {
    let draft = assess(
        spoke,
        s,
        json!({"instrument_id": s.ssm["id"], "assessed_on": on, "kind": kind, "scores": scores(&s.ssm, housing, 3)}),
    )
    .expect(201);
    spoke
        .post(&format!("{}/finalize", draft.header("location").unwrap()))
        .as_user(&s.cm)
        .if_match(&draft.etag())
        .send()
        .expect(200)
}

fn scoring_is_checked_against_the_instrument(spoke: &Spoke) {
    let s = setting(spoke);
    assert_eq!(s.ssm["domains"].as_array().unwrap().len(), 17);
    let bad = assess(
        spoke,
        &s,
        json!({"instrument_id": s.ssm["id"], "assessed_on": "2026-11-01", "kind": "intake", "scores": [
            {"domain": "housing", "score": 7},
            {"domain": "income", "not_applicable": true},
            {"domain": "astrology", "score": 3}
        ]}),
    )
    .expect_problem(422);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "scores[0].score",
            "scores[1].not_applicable",
            "scores[2].domain"
        ]
    );
    assess(
        spoke,
        &s,
        json!({"instrument_id": "01936b2e-0000-7000-8000-000000000000", "assessed_on": "2026-11-01", "kind": "intake"}),
    )
    .expect_problem(422);
    let listed = spoke
        .get(&format!("/v1/clients/{}/assessments", s.client))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert!(
        listed.body["items"].as_array().unwrap().is_empty(),
        "nothing stored"
    );
}

fn a_final_assessment_needs_every_domain_and_never_changes(spoke: &Spoke) {
    let s = setting(spoke);
    let mut partial = scores(&s.ssm, 2, 3);
    partial
        .as_array_mut()
        .unwrap()
        .retain(|d| d["domain"] != "safety");
    let draft = assess(
        spoke,
        &s,
        json!({"instrument_id": s.ssm["id"], "assessed_on": "2026-11-01", "kind": "intake", "scores": partial}),
    )
    .expect(201);
    assert_eq!(draft.body["status"], "draft");
    let path = draft.header("location").unwrap().to_owned();
    spoke
        .post(&format!("{path}/finalize"))
        .as_user(&s.cm)
        .send()
        .expect_problem(428);
    let missing = spoke
        .post(&format!("{path}/finalize"))
        .as_user(&s.cm)
        .if_match(&draft.etag())
        .send()
        .expect_problem(422);
    assert_eq!(missing.body["errors"][0]["field"], "scores.safety");
    assert_eq!(missing.body["errors"][0]["code"], "missing_domain");
    let full = json!({"instrument_id": s.ssm["id"], "assessed_on": "2026-11-01", "kind": "intake", "scores": scores(&s.ssm, 2, 3)});
    let revised = spoke
        .put(&path)
        .as_user(&s.cm)
        .if_match(&draft.etag())
        .json(full.clone())
        .send()
        .expect(200);
    let finished = spoke
        .post(&format!("{path}/finalize"))
        .as_user(&s.cm)
        .if_match(&revised.etag())
        .send()
        .expect(200);
    assert_eq!(finished.body["status"], "final");
    assert!(finished.body["finalized_at"].is_string());
    let again = spoke
        .put(&path)
        .as_user(&s.cm)
        .if_match(&finished.etag())
        .json(full)
        .send()
        .expect_problem(409);
    assert!(again.body["detail"].as_str().unwrap().contains("amends"));
    spoke
        .post(&format!("{path}/finalize"))
        .as_user(&s.cm)
        .if_match(&finished.etag())
        .send()
        .expect_problem(409);
    let read = spoke.get(&path).as_user(&s.cm).send().expect(200);
    assert_eq!(read.body, finished.body, "nothing changed");
}

fn the_trend_follows_final_scores_and_amendments(spoke: &Spoke) {
    let s = setting(spoke);
    let intake = final_assessment(spoke, &s, "2026-08-01", "intake", 4);
    final_assessment(spoke, &s, "2026-09-01", "periodic", 3);
    let wrong = final_assessment(spoke, &s, "2026-10-01", "periodic", 1);
    // A draft never counts.
    assess(
        spoke,
        &s,
        json!({"instrument_id": s.ssm["id"], "assessed_on": "2026-10-15", "kind": "periodic", "scores": scores(&s.ssm, 5, 5)}),
    )
    .expect(201);
    let trend = |spoke: &Spoke| {
        spoke
            .get(&format!("/v1/clients/{}/assessments/trend", s.client))
            .as_user(&s.cm)
            .send()
            .expect(200)
            .body
    };
    let domain = |body: &Value, code: &str| {
        body["domains"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["domain"] == code)
            .unwrap()
            .clone()
    };
    let before = trend(spoke);
    let housing = domain(&before, "housing");
    assert_eq!(housing["latest"], 1);
    assert_eq!(housing["change_since_previous"], -2);
    assert_eq!(housing["change_since_intake"], -3);
    assert_eq!(housing["flags"], json!(["in_crisis", "dropped"]));
    let employment = domain(&before, "employment");
    assert_eq!(employment["series"].as_array().unwrap().len(), 3);
    assert_eq!(employment["latest"], Value::Null);
    assert_eq!(employment["flags"], json!([]));

    // Amending the October assessment replaces it in the trend.
    let amendment = assess(
        spoke,
        &s,
        json!({"instrument_id": s.ssm["id"], "assessed_on": "2026-10-01", "kind": "periodic",
               "scores": scores(&s.ssm, 3, 3), "amends": wrong.body["id"]}),
    )
    .expect(201);
    spoke
        .post(&format!(
            "{}/finalize",
            amendment.header("location").unwrap()
        ))
        .as_user(&s.cm)
        .if_match(&amendment.etag())
        .send()
        .expect(200);
    let after = trend(spoke);
    let housing = domain(&after, "housing");
    let series: Vec<i64> = housing["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["score"].as_i64().unwrap())
        .collect();
    assert_eq!(series, [4, 3, 3]);
    assert_eq!(housing["flags"], json!([]));
    // Amending needs a final assessment of the same client.
    assess(
        spoke,
        &s,
        json!({"instrument_id": s.ssm["id"], "assessed_on": "2026-10-01", "kind": "periodic",
               "amends": "01936b2e-0000-7000-8000-000000000000"}),
    )
    .expect_problem(422);
    assert!(intake.body["id"].is_string());
    spoke
        .get(&format!(
            "/v1/clients/{}/assessments/trend?instrument=unknown",
            s.client
        ))
        .as_user(&s.cm)
        .send()
        .expect_problem(422);
}

fn admins_add_instruments_as_new_versions(spoke: &Spoke) {
    let s = setting(spoke);
    let admin = spoke.admin();
    let needs = json!({"code": "needs_0_3", "name": "Needs", "domains": [{"code": "housing", "label": "Housing", "levels": [
        {"value": 0, "label": "No need", "anchor": "Stable housing."},
        {"value": 3, "label": "Severe", "anchor": "Homeless."}
    ]}]});
    spoke
        .post("/v1/instruments")
        .as_user(&s.cm)
        .json(needs.clone())
        .send()
        .expect_problem(403);
    let v1 = spoke
        .post("/v1/instruments")
        .as_user(&admin)
        .json(needs.clone())
        .send()
        .expect(201);
    assert_eq!(v1.body["version"], 1);
    let mut changed = needs.clone();
    changed["name"] = json!("Needs, revised");
    let v2 = spoke
        .post("/v1/instruments")
        .as_user(&admin)
        .json(changed)
        .send()
        .expect(201);
    assert_eq!(v2.body["version"], 2);
    let first = spoke
        .get(v1.header("location").unwrap())
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(first.body, v1.body, "version 1 is unchanged");
    // Scores follow the version's own scale: 0 and 3 only.
    let draft = assess(
        spoke,
        &s,
        json!({"instrument_id": v2.body["id"], "assessed_on": "2026-11-01", "kind": "intake",
               "scores": [{"domain": "housing", "score": 2}]}),
    )
    .expect_problem(422);
    assert_eq!(draft.body["errors"][0]["code"], "out_of_scale");
    spoke
        .post("/v1/instruments")
        .as_user(&admin)
        .json(json!({"code": "Bad Code", "name": "x", "domains": []}))
        .send()
        .expect_problem(422);
}

both_backends!(
    scoring_is_checked_against_the_instrument,
    a_final_assessment_needs_every_domain_and_never_changes,
    the_trend_follows_final_scores_and_amendments,
    admins_add_instruments_as_new_versions,
);
