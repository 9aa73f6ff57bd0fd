//! Critical events, residences and community tenure over HTTP: the
//! follow-up after a psychiatric discharge in the agency's dates, who sees
//! which event, one residence at a time, and the days of a period by place.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Caseload, Reply, Spoke, TestUser, both_backends};

fn record(spoke: &Spoke, s: &Caseload, who: &TestUser, body: Value) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/critical-events", s.client))
        .as_user(who)
        .json(body)
        .send()
}

fn url(reply: &Reply, kind: &str) -> String {
    format!(
        "/v1/clients/{}/{kind}/{}",
        reply.body["client_id"].as_str().unwrap(),
        reply.body["id"].as_str().unwrap()
    )
}

fn contact(spoke: &Spoke, s: &Caseload, started_at: &str, mode: &str, present: bool) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/contacts", s.client))
        .as_user(&s.cm)
        .json(json!({
            "started_at": started_at, "duration_minutes": 30, "mode": mode, "setting": "client_home",
            "client_present": present, "activities": ["monitoring_and_follow_up"],
            "narrative": "Checked in after the hospital stay."
        }))
        .send()
        .expect(201)
}

fn get(spoke: &Spoke, who: &TestUser, path: &str) -> Reply {
    spoke.get(path).as_user(who).send()
}

/// With the agency on Chicago time, a psychiatric stay that ended on 28
/// December is followed up by the first contact from 29 December through 4
/// January in the agency's dates: not one on the discharge day, not a call
/// without the client, and a visit late on 4 January (5 January in UTC)
/// still counts.
fn the_follow_up_after_a_psychiatric_discharge_uses_the_agency_dates(spoke: &Spoke) {
    let Some(spoke) = Spoke::start_with(spoke.backend(), |settings| {
        settings.timezone = chrono_tz::America::Chicago;
        settings.fixed_now = Some("2027-01-20T18:00:00Z".parse().unwrap());
    }) else {
        return;
    };
    let s = spoke.caseload(json!({}));
    let stay = record(
        &spoke,
        &s,
        &s.cm,
        json!({"type": "psychiatric_hospitalization", "started_on": "2026-12-20",
               "facility_name": "St. Vincent Behavioral Health Unit", "learned_from": "hospital_notification"}),
    )
    .expect(201);
    assert_eq!(stay.body["open"], true);
    assert_eq!(stay.body["sensitivity"], "mental_health");
    assert_eq!(stay.body["length_of_stay_days"], Value::Null);
    assert_eq!(stay.body["follow_up"], Value::Null);
    assert_eq!(stay.body["learned_on"], "2027-01-20");
    let ended = spoke
        .put(&url(&stay, "critical-events"))
        .as_user(&s.cm)
        .if_match(&stay.etag())
        .json(json!({"type": "psychiatric_hospitalization", "started_on": "2026-12-20",
                     "ended_on": "2026-12-28", "facility_name": "St. Vincent Behavioral Health Unit",
                     "learned_from": "hospital_notification", "learned_on": "2026-12-21"}))
        .send()
        .expect(200);
    assert_eq!(ended.body["open"], false);
    assert_eq!(ended.body["length_of_stay_days"], 8);
    assert_eq!(ended.body["follow_up"]["status"], "missed");
    assert_eq!(ended.body["follow_up"]["due_by"], "2027-01-04");
    // 20:00 on the discharge day in Chicago (02:00 the next day in UTC), and a
    // collateral call: neither is the follow-up.
    contact(&spoke, &s, "2026-12-29T02:00:00Z", "in_person", true);
    contact(&spoke, &s, "2026-12-30T16:00:00Z", "phone", false);
    let still = get(&spoke, &s.cm, &url(&stay, "critical-events")).expect(200);
    assert_eq!(still.body["follow_up"]["status"], "missed");
    // 21:30 on 4 January in Chicago is 03:30 on the 5th in UTC: within the 7 days.
    let visit = contact(&spoke, &s, "2027-01-05T03:30:00Z", "video", true);
    let met = get(&spoke, &s.cm, &url(&stay, "critical-events")).expect(200);
    assert_eq!(met.body["follow_up"]["status"], "met");
    assert_eq!(met.body["follow_up"]["seen_on"], "2027-01-04");
    assert_eq!(met.body["follow_up"]["contact_id"], visit.body["id"]);
    // The list across clients says the same, and finds the stay by its dates.
    let listed = get(
        &spoke,
        &s.cm,
        "/v1/critical-events?type=psychiatric_hospitalization&from=2026-12-25&to=2026-12-31",
    )
    .expect(200);
    assert_eq!(listed.ids(), [stay.body["id"].as_str().unwrap()]);
    assert_eq!(listed.body["items"][0]["follow_up"]["status"], "met");
    let january = get(&spoke, &s.cm, "/v1/critical-events?from=2027-01-01").expect(200);
    assert_eq!(january.ids(), Vec::<String>::new());
}

fn events_are_checked_and_shown_only_to_who_may_see_them(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let today = chrono::Utc::now().date_naive();
    let days_ago = |n: i64| (today - chrono::Duration::days(n)).to_string();
    // Bad input is a 422 naming every field, and nothing is stored.
    let refused = record(
        spoke,
        &s,
        &s.cm,
        json!({"type": "overdose", "started_on": days_ago(3), "ended_on": days_ago(1),
               "crisis_service": "crisis_line", "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d",
               "facility_name": "ER", "learned_from": "client"}),
    )
    .expect_problem(422);
    assert_eq!(
        refused.error_codes(),
        [
            ("ended_on".into(), "not_a_stay".into()),
            ("crisis_service".into(), "not_a_crisis_contact".into()),
            ("facility_name".into(), "conflicting".into()),
        ]
    );
    let backwards = record(
        spoke,
        &s,
        &s.cm,
        json!({"type": "medical_hospitalization", "started_on": days_ago(3), "ended_on": days_ago(5),
               "learned_from": "client"}),
    )
    .expect_problem(422);
    assert_eq!(
        backwards.error_codes(),
        [("ended_on".into(), "before_start".into())]
    );
    let unknown = record(
        spoke,
        &s,
        &s.cm,
        json!({"type": "emergency_department_visit", "started_on": days_ago(3),
               "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d", "learned_from": "client"}),
    )
    .expect_problem(422);
    assert_eq!(
        unknown.error_codes(),
        [("organization_id".into(), "unknown_reference".into())]
    );
    let path = format!("/v1/clients/{}/critical-events", s.client);
    assert_eq!(
        get(spoke, &s.cm, &path).expect(200).ids(),
        Vec::<String>::new()
    );

    // Only the client's keepers record; another case manager of the team reads.
    record(
        spoke,
        &s,
        &s.other_cm,
        json!({"type": "arrest", "started_on": days_ago(2), "learned_from": "justice"}),
    )
    .expect_problem(403);
    let crisis = record(
        spoke,
        &s,
        &s.cm,
        json!({"type": "crisis_contact", "crisis_service": "mobile_crisis", "started_on": days_ago(4),
               "learned_from": "staff"}),
    )
    .expect(201);
    let er = record(
        spoke,
        &s,
        &s.cm,
        json!({"type": "emergency_department_visit", "started_on": days_ago(2),
               "facility_name": "County General", "learned_from": "client"}),
    )
    .expect(201);
    assert_eq!(crisis.body["ended_on"], crisis.body["started_on"]);
    assert_eq!(er.body["sensitivity"], "health");
    assert_eq!(
        get(spoke, &s.other_cm, &path).expect(200).ids(),
        [
            crisis.body["id"].as_str().unwrap(),
            er.body["id"].as_str().unwrap()
        ]
    );
    // A care-team member reads the health event, not the mental-health one.
    let nurse = spoke.user("nurse@example.org", Role::CareTeamMember, None);
    spoke
        .post(&format!("/v1/clients/{}/care-team", s.client))
        .as_user(&s.cm)
        .json(json!({"kind": "staff", "user_id": nurse.id, "started_on": days_ago(30)}))
        .send()
        .expect(201);
    assert_eq!(
        get(spoke, &nurse, &path).expect(200).ids(),
        [er.body["id"].as_str().unwrap()]
    );
    get(spoke, &nurse, &url(&crisis, "critical-events")).expect_problem(404);
    get(spoke, &nurse, &url(&er, "critical-events")).expect(200);
    assert_eq!(
        get(spoke, &nurse, "/v1/critical-events").expect(200).ids(),
        [er.body["id"].as_str().unwrap()]
    );
    // Someone of another team sees nothing.
    let south = spoke.team("South");
    let outsider = spoke.user("south@example.org", Role::Supervisor, Some(south));
    get(spoke, &outsider, &url(&er, "critical-events")).expect_problem(404);
    assert_eq!(
        get(spoke, &outsider, "/v1/critical-events")
            .expect(200)
            .ids(),
        Vec::<String>::new()
    );
    // A stale change is refused; nothing changes.
    let body = json!({"type": "emergency_department_visit", "started_on": days_ago(2),
                      "facility_name": "County General Hospital", "learned_from": "client"});
    spoke
        .put(&url(&er, "critical-events"))
        .as_user(&s.cm)
        .if_match("\"7\"")
        .json(&body)
        .send()
        .expect_problem(412);
    let renamed = spoke
        .put(&url(&er, "critical-events"))
        .as_user(&s.cm)
        .if_match(&er.etag())
        .json(&body)
        .send()
        .expect(200);
    assert_eq!(renamed.body["version"], 2);
    // Open stays only, and filters by type.
    record(
        spoke,
        &s,
        &s.cm,
        json!({"type": "incarceration", "started_on": days_ago(1), "learned_from": "justice"}),
    )
    .expect(201);
    let open = get(spoke, &s.cm, "/v1/critical-events?open=true").expect(200);
    assert_eq!(open.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(open.body["items"][0]["type"], "incarceration");
    let crises = get(spoke, &s.cm, &format!("{path}?type=crisis_contact")).expect(200);
    assert_eq!(crises.ids(), [crisis.body["id"].as_str().unwrap()]);
}

fn residence(spoke: &Spoke, s: &Caseload, body: Value) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/residences", s.client))
        .as_user(&s.cm)
        .json(body)
        .send()
}

/// A client lives in one place at a time: a move closes the current home;
/// a past stay inside another residence is refused. Community tenure counts
/// each day once, a hospital stay before the home of the day.
fn residences_and_community_tenure(spoke: &Spoke) {
    let Some(spoke) = Spoke::start_with(spoke.backend(), |settings| {
        settings.fixed_now = Some("2026-11-28T18:00:00Z".parse().unwrap());
    }) else {
        return;
    };
    let s = spoke.caseload(json!({}));
    let shelter = residence(
        &spoke,
        &s,
        json!({"setting": "emergency_shelter", "moved_in_on": "2026-01-01", "moved_out_on": "2026-03-01",
               "notes": "Riverside shelter, bed 14."}),
    )
    .expect(201);
    assert_eq!(shelter.body["homeless"], true);
    assert_eq!(shelter.body["category"], "community");
    let family = residence(
        &spoke,
        &s,
        json!({"setting": "with_family", "moved_in_on": "2026-03-01",
               "address": {"line1": "12 Oak St", "city": "Springfield", "region": "IL"}}),
    )
    .expect(201);
    assert_eq!(family.body["current"], true);
    assert_eq!(family.body["address"]["country"], "US");
    let home = residence(
        &spoke,
        &s,
        json!({"setting": "supportive_housing", "moved_in_on": "2026-06-01"}),
    )
    .expect(201);
    let list_path = format!("/v1/clients/{}/residences", s.client);
    let list = get(&spoke, &s.cm, &list_path).expect(200);
    assert_eq!(
        list.ids(),
        [
            shelter.body["id"].as_str().unwrap(),
            family.body["id"].as_str().unwrap(),
            home.body["id"].as_str().unwrap()
        ]
    );
    assert_eq!(list.body["items"][1]["moved_out_on"], "2026-06-01");
    assert_eq!(list.body["items"][1]["version"], 2);
    // A past stay inside another residence, and an out before the in, are refused; nothing is stored.
    let overlap = residence(
        &spoke,
        &s,
        json!({"setting": "jail_or_prison", "moved_in_on": "2026-02-10", "moved_out_on": "2026-02-20"}),
    )
    .expect_problem(422);
    assert_eq!(
        overlap.error_codes(),
        [("moved_in_on".into(), "overlaps".into())]
    );
    let backwards = residence(
        &spoke,
        &s,
        json!({"setting": "own_home", "moved_in_on": "2026-12-10", "moved_out_on": "2026-12-01"}),
    )
    .expect_problem(422);
    assert_eq!(
        backwards.error_codes(),
        [
            ("moved_in_on".into(), "in_future".into()),
            ("moved_out_on".into(), "before_start".into())
        ]
    );
    assert_eq!(get(&spoke, &s.cm, &list_path).expect(200).ids().len(), 3);
    // Moving the family home's end into the supportive housing is an overlap too.
    let family_now = get(&spoke, &s.cm, &url(&family, "residences")).expect(200);
    spoke
        .put(&url(&family, "residences"))
        .as_user(&s.cm)
        .if_match(&family_now.etag())
        .json(json!({"setting": "with_family", "moved_in_on": "2026-03-01", "moved_out_on": "2026-06-15"}))
        .send()
        .expect_problem(422);

    // Eight nights in a psychiatric hospital in June, overlapping a jail stay recorded for two of them.
    record(
        &spoke,
        &s,
        &s.cm,
        json!({"type": "psychiatric_hospitalization", "started_on": "2026-06-10", "ended_on": "2026-06-18",
               "learned_from": "hospital_notification"}),
    )
    .expect(201);
    record(
        &spoke,
        &s,
        &s.cm,
        json!({"type": "incarceration", "started_on": "2026-06-17", "ended_on": "2026-06-20",
               "learned_from": "justice"}),
    )
    .expect(201);
    let tenure = get(
        &spoke,
        &s.cm,
        &format!(
            "/v1/clients/{}/community-tenure?from=2025-12-30&to=2026-06-30",
            s.client
        ),
    )
    .expect(200);
    let t = &tenure.body;
    assert_eq!(t["days"], 183);
    assert_eq!(t["unknown_days"], 2);
    assert_eq!(t["hospital_days"], 8);
    assert_eq!(t["jail_days"], 2);
    assert_eq!(t["institutional_days"], 10);
    assert_eq!(t["community_days"], 171);
    assert_eq!(t["homeless_days"], 59);
    // The default period is the last 365 days; a period past today stops at today.
    let year = get(
        &spoke,
        &s.cm,
        &format!("/v1/clients/{}/community-tenure", s.client),
    )
    .expect(200);
    assert_eq!(year.body["to"], "2026-11-28");
    assert_eq!(year.body["days"], 365);
    get(
        &spoke,
        &s.cm,
        &format!(
            "/v1/clients/{}/community-tenure?from=2026-06-01&to=2026-05-01",
            s.client
        ),
    )
    .expect_problem(422);
    let settings = get(&spoke, &s.cm, "/v1/residence-settings").expect(200);
    assert_eq!(settings.body["items"].as_array().unwrap().len(), 10);
}

both_backends!(
    the_follow_up_after_a_psychiatric_discharge_uses_the_agency_dates,
    events_are_checked_and_shown_only_to_who_may_see_them,
    residences_and_community_tenure,
);
