//! Contacts over HTTP: recording, the two-person rule, references to the
//! client's own records, signing by the author only, immutability,
//! amendments, late entries, what signing bills, who sees what.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Caseload, Reply, Spoke, TestUser, both_backends, client_body};

fn ago(days: i64) -> String {
    (Utc::now() - Duration::days(days) - Duration::hours(1))
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A well-documented, billable in-person visit `days` ago, with `extra` fields.
fn visit(days: i64, extra: Value) -> Value {
    let mut body = json!({
        "started_at": ago(days), "duration_minutes": 45, "mode": "in_person", "setting": "client_home",
        "client_present": true, "activities": ["monitoring_and_follow_up"],
        "goal_progress": "progressing", "declined_services": "None.",
        "coordination": "Called her therapist about the new appointment time.",
        "narrative": "Home visit. Maria kept her lease and the heating is fixed; we reviewed the budget together.",
        "travel_minutes": 25, "travel_miles": 11.5
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn record(spoke: &Spoke, s: &Caseload, who: &TestUser, body: Value) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/contacts", s.client))
        .as_user(who)
        .json(body)
        .send()
}

/// Signs the contact `reply` answered with, at its ETag.
fn sign(spoke: &Spoke, who: &TestUser, reply: &Reply) -> Reply {
    let url = format!(
        "/v1/clients/{}/contacts/{}/sign",
        reply.body["client_id"].as_str().unwrap(),
        reply.body["id"].as_str().unwrap()
    );
    spoke.post(&url).as_user(who).if_match(&reply.etag()).send()
}

fn a_contact_is_recorded_signed_by_its_author_and_never_changed(spoke: &Spoke) {
    let s = spoke.caseload(json!({"medicaid_id": "OR12345678"}));
    let draft = record(spoke, &s, &s.cm, visit(0, json!({}))).expect(201);
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(draft.body["billing"], Value::Null);
    assert_eq!(draft.body["travel_miles"], 11.5);
    let url = draft.header("location").unwrap().to_owned();
    let got = spoke.get(&url).as_user(&s.other_cm).send().expect(200);
    assert_eq!(got.body, draft.body);

    // Only the author changes or signs it.
    spoke
        .put(&url)
        .as_user(&s.other_cm)
        .if_match(&draft.etag())
        .json(visit(0, json!({})))
        .send()
        .expect_problem(403);
    sign(spoke, &s.other_cm, &draft).expect_problem(403);
    let revised = spoke
        .put(&url)
        .as_user(&s.cm)
        .if_match(&draft.etag())
        .json(visit(0, json!({"duration_minutes": 50})))
        .send()
        .expect(200);
    sign(spoke, &s.cm, &draft).expect_problem(412);
    let signed = sign(spoke, &s.cm, &revised).expect(200);
    assert_eq!(signed.body["status"], "signed");
    assert_eq!(signed.body["late_entry"], false);
    // 50 minutes of 15-minute units under the eight-minute rule: 3; travel never counts.
    assert_eq!(signed.body["billing"]["units"], 3, "{}", signed.text);
    assert_eq!(signed.body["billing"]["not_billable"], json!([]));

    spoke
        .put(&url)
        .as_user(&s.cm)
        .if_match(&signed.etag())
        .json(visit(0, json!({})))
        .send()
        .expect_problem(409);
    sign(spoke, &s.cm, &signed).expect_problem(409);

    // Corrected by a contact that amends it; only a signed contact of the client is amended.
    let amendment = record(
        spoke,
        &s,
        &s.cm,
        visit(
            0,
            json!({"amends": signed.body["id"], "duration_minutes": 40}),
        ),
    )
    .expect(201);
    assert_eq!(amendment.body["amends"], signed.body["id"]);
    let bad = record(
        spoke,
        &s,
        &s.cm,
        visit(0, json!({"amends": amendment.body["id"]})),
    )
    .expect_problem(422);
    assert_eq!(
        bad.error_codes(),
        [("amends".into(), "invalid_amendment".into())]
    );
    // Signing the amendment: the amended contact's units no longer count toward the day.
    let amended = sign(spoke, &s.cm, &amendment).expect(200);
    assert_eq!(amended.body["billing"]["units"], 3);
}

fn what_a_contact_bills_and_why_not(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    // No Medicaid id, a ride, ten words.
    let ride = record(
        spoke,
        &s,
        &s.cm,
        visit(
            0,
            json!({"activities": ["transportation"], "narrative": "Drove her to the food bank.",
                   "goal_progress": null, "coordination": null}),
        ),
    )
    .expect(201);
    let signed = sign(spoke, &s.cm, &ride).expect(200);
    assert_eq!(signed.body["billing"]["units"], 0);
    assert_eq!(
        signed.body["billing"]["not_billable"],
        json!([
            "no_medicaid_id",
            "activity_not_billable",
            "narrative_too_short",
            "missing_goal_progress",
            "missing_coordination"
        ])
    );
    // The list finds it among the signed contacts that bill nothing.
    let unbilled = spoke
        .get("/v1/contacts?status=signed&billable=false")
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(unbilled.body["items"][0]["id"], signed.body["id"]);
    let billed = spoke
        .get("/v1/contacts?billable=true")
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(billed.body["items"], json!([]));
}

fn the_daily_limit_holds_across_a_days_contacts(spoke: &Spoke) {
    let s = spoke.caseload(json!({"medicaid_id": "OR1"}));
    let mut units = Vec::new();
    // Three contacts of three hours on one day: 12 + 4 + 0 units of the 16 allowed.
    for _ in 0..3 {
        let draft =
            record(spoke, &s, &s.cm, visit(1, json!({"duration_minutes": 180}))).expect(201);
        let signed = sign(spoke, &s.cm, &draft).expect(200);
        units.push(signed.body["billing"]["units"].as_i64().unwrap());
        if units.len() == 3 {
            assert_eq!(
                signed.body["billing"]["not_billable"],
                json!(["daily_limit_reached"])
            );
        }
    }
    assert_eq!(units, [12, 4, 0]);
}

/// Contacts of one client and day signed at the same moment still bill no
/// more than the daily limit together.
fn concurrent_signatures_hold_the_daily_limit(spoke: &Spoke) {
    let s = spoke.caseload(json!({"medicaid_id": "OR1"}));
    let drafts: Vec<Reply> = (0..8)
        .map(|_| record(spoke, &s, &s.cm, visit(1, json!({"duration_minutes": 60}))).expect(201))
        .collect();
    let signed: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = drafts
            .iter()
            .map(|draft| scope.spawn(|| sign(spoke, &s.cm, draft)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let units: i64 = signed
        .into_iter()
        .map(|reply| reply.expect(200).body["billing"]["units"].as_i64().unwrap())
        .sum();
    // Eight hours of 4 units each, 16 a day at most.
    assert_eq!(units, 16);
}

fn a_late_signature_is_a_late_entry(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let late = record(spoke, &s, &s.cm, visit(5, json!({}))).expect(201);
    assert_eq!(
        sign(spoke, &s.cm, &late).expect(200).body["late_entry"],
        true
    );
    let on_time = record(spoke, &s, &s.cm, visit(2, json!({}))).expect(201);
    assert_eq!(
        sign(spoke, &s.cm, &on_time).expect(200).body["late_entry"],
        false
    );
}

fn a_two_person_client_needs_a_second_staff_member(spoke: &Spoke) {
    let s = spoke.caseload(json!({"risk_flags": ["two_person_visits"]}));
    let refused = record(spoke, &s, &s.cm, visit(0, json!({}))).expect_problem(422);
    assert_eq!(
        refused.error_codes(),
        [("staff_ids".into(), "two_person_visits".into())]
    );
    assert!(refused.text.contains("two_person_visits"));
    record(
        spoke,
        &s,
        &s.cm,
        visit(0, json!({"staff_ids": [s.other_cm.id]})),
    )
    .expect(201);
    record(
        spoke,
        &s,
        &s.cm,
        visit(
            0,
            json!({"two_person_override_reason": "Met on the porch; colleague called away."}),
        ),
    )
    .expect(201);
    record(spoke, &s, &s.cm, visit(0, json!({"mode": "phone"}))).expect(201);
}

fn bad_contacts_are_refused_with_every_reason_and_nothing_is_stored(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let elsewhere = setting_in_south(spoke, &s);
    let refused = record(
        spoke,
        &s,
        &s.cm,
        visit(
            0,
            json!({"duration_minutes": -5, "started_at": (Utc::now() + Duration::hours(2)).to_rfc3339(),
                   "activities": [], "staff_ids": [s.cm.id]}),
        ),
    )
    .expect_problem(422);
    let codes = refused.error_codes();
    for expected in [
        ("started_at", "in_future"),
        ("duration_minutes", "out_of_range"),
        ("activities", "required"),
        ("staff_ids[0]", "author_listed"),
    ] {
        assert!(
            codes.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {codes:?}"
        );
    }
    let unknown_goal = record(
        spoke,
        &s,
        &s.cm,
        visit(
            0,
            json!({"goal_ids": ["01936b31-2c00-7c11-8d22-3e4f5a6b7c8d"]}),
        ),
    )
    .expect_problem(422);
    assert_eq!(
        unknown_goal.error_codes(),
        [("goal_ids[0]".into(), "unknown_reference".into())]
    );
    let others_referral = record(
        spoke,
        &s,
        &s.cm,
        visit(0, json!({"referral_ids": [elsewhere]})),
    )
    .expect_problem(422);
    assert_eq!(
        others_referral.error_codes(),
        [("referral_ids".into(), "unknown_reference".into())]
    );
    record(spoke, &s, &s.cm, json!({"narrative": "x"})).expect_problem(422);
    let listed = spoke
        .get(&format!("/v1/clients/{}/contacts", s.client))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(listed.body["items"], json!([]));
}

/// A referral of another client, to name where it is not allowed.
fn setting_in_south(spoke: &Spoke, s: &Caseload) -> String {
    let admin = spoke.admin();
    let other = spoke
        .post("/v1/clients")
        .as_user(&s.cm)
        .json(client_body("Ana", "Lee"))
        .send()
        .expect(201);
    let org = spoke
        .post("/v1/organizations")
        .as_user(&admin)
        .json(json!({"name": "Food bank"}))
        .send()
        .expect(201);
    let service = spoke
        .post("/v1/services")
        .as_user(&admin)
        .json(json!({"organization_id": org.body["id"], "name": "Pantry"}))
        .send()
        .expect(201);
    let referral = spoke
        .post(&format!(
            "/v1/clients/{}/referrals",
            other.body["id"].as_str().unwrap()
        ))
        .as_user(&s.cm)
        .json(
            json!({"service_id": service.body["id"], "reason": "Needs a food box this week.",
                     "needs": ["food"], "priority": "urgent", "due_by": "2030-01-01"}),
        )
        .send()
        .expect(201);
    referral.body["id"].as_str().unwrap().to_owned()
}

fn who_sees_which_contacts(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let therapist = spoke.user("t@example.org", Role::CareTeamMember, None);
    spoke
        .post(&format!("/v1/clients/{}/care-team", s.client))
        .as_user(&s.cm)
        .json(json!({"kind": "staff", "user_id": therapist.id, "started_on": "2026-01-01"}))
        .send()
        .expect(201);
    let general = record(spoke, &s, &s.cm, visit(0, json!({}))).expect(201);
    let mental = record(
        spoke,
        &s,
        &s.cm,
        visit(0, json!({"sensitivity": "mental_health"})),
    )
    .expect(201);
    // The therapist records their own collateral contact, about the client, without them.
    let own = record(
        spoke,
        &s,
        &therapist,
        visit(
            0,
            json!({"client_present": false, "sensitivity": "mental_health", "mode": "phone"}),
        ),
    )
    .expect(201);
    let ids = |reply: Reply| reply.ids();
    let seen = ids(spoke
        .get(&format!("/v1/clients/{}/contacts", s.client))
        .as_user(&therapist)
        .send()
        .expect(200));
    assert!(seen.contains(&general.body["id"].as_str().unwrap().to_owned()));
    assert!(seen.contains(&own.body["id"].as_str().unwrap().to_owned()));
    assert_eq!(seen.len(), 2);
    spoke
        .get(mental.header("location").unwrap())
        .as_user(&therapist)
        .send()
        .expect_problem(404);

    // Billing staff see every client's contacts, without what was said; no client record.
    let billing = spoke.user("billing@example.org", Role::Billing, None);
    let listed = spoke
        .get("/v1/contacts")
        .as_user(&billing)
        .send()
        .expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 3);
    for item in listed.body["items"].as_array().unwrap() {
        assert_eq!(item["redacted"], true);
        assert_eq!(item["narrative"], Value::Null);
        assert_eq!(item["coordination"], Value::Null);
        assert!(item["duration_minutes"].is_i64());
    }
    spoke
        .get(general.header("location").unwrap())
        .as_user(&billing)
        .send()
        .expect_problem(404);
    let full = spoke.get("/v1/contacts").as_user(&s.cm).send().expect(200);
    assert_eq!(full.body["items"][0]["redacted"], false);
    assert!(full.body["items"][0]["narrative"].is_string());

    // The cross-client list filters by author and date and is audited as one event.
    let mine = ids(spoke
        .get(&format!("/v1/contacts?author_id={}", therapist.id))
        .as_user(&s.cm)
        .send()
        .expect(200));
    assert_eq!(mine, [own.body["id"].as_str().unwrap().to_owned()]);
    let tomorrow = (Utc::now() + Duration::days(2)).date_naive();
    assert_eq!(
        ids(spoke
            .get(&format!("/v1/contacts?from={tomorrow}"))
            .as_user(&s.cm)
            .send()
            .expect(200))
        .len(),
        0
    );
    let audit = spoke
        .get(&format!("/v1/audit-events?client_id={}", s.client))
        .as_user(&spoke.admin())
        .send()
        .expect(200);
    let kinds: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["resource_type"].as_str())
        .collect();
    assert!(kinds.contains(&"contact_list"), "{kinds:?}");
    assert!(kinds.contains(&"contact"), "{kinds:?}");
}

/// JSON Schema counts `45.0` as an integer, and so does the server; `1.5`
/// is still refused on its field.
fn a_whole_number_with_a_decimal_point_is_an_integer(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let made = record(
        spoke,
        &s,
        &s.cm,
        visit(0, json!({"duration_minutes": 45.0})),
    )
    .expect(201);
    assert_eq!(made.body["duration_minutes"], 45);
    assert_eq!(made.body["travel_miles"], 11.5, "floats stay floats");
    let refused =
        record(spoke, &s, &s.cm, visit(0, json!({"duration_minutes": 1.5}))).expect_problem(422);
    assert_eq!(refused.error_codes()[0].0, "duration_minutes");
}

both_backends!(
    a_whole_number_with_a_decimal_point_is_an_integer,
    a_contact_is_recorded_signed_by_its_author_and_never_changed,
    what_a_contact_bills_and_why_not,
    the_daily_limit_holds_across_a_days_contacts,
    a_late_signature_is_a_late_entry,
    concurrent_signatures_hold_the_daily_limit,
    a_two_person_client_needs_a_second_staff_member,
    bad_contacts_are_refused_with_every_reason_and_nothing_is_stored,
    who_sees_which_contacts,
);
