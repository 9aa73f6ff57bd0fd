//! Alerts and the worklist over HTTP, on a clock each test stops where it
//! needs it: each rule fires once, explains itself, resolves when its facts
//! change and does not fire again while its alert is live; people
//! acknowledge, snooze and resolve; unanswered alerts escalate; a sweep by
//! two instances at once raises each alert once; admins tune the rules.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Caseload, Instance, Reply, Spoke, TestUser, both_backends, client_body};

/// The day the tests' agency starts: every client is enrolled on it.
const DAY_ONE: &str = "2027-03-01T15:00:00Z";

fn started(spoke: &Spoke) -> Option<Spoke> {
    Spoke::start_with(spoke.backend(), |settings| {
        settings.fixed_now = Some(DAY_ONE.parse().unwrap());
    })
}

fn alerts(spoke: &Spoke, who: &TestUser, query: &str) -> Vec<Value> {
    spoke
        .get(&format!("/v1/alerts?{query}"))
        .as_user(who)
        .send()
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn contact(spoke: &Spoke, on: &Instance, s: &Caseload, started_at: &str) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/contacts", s.client))
        .on(on)
        .as_user(&s.cm)
        .json(json!({
            "started_at": started_at, "duration_minutes": 30, "mode": "in_person",
            "setting": "client_home", "client_present": true,
            "activities": ["monitoring_and_follow_up"], "narrative": "Home visit: reviewed the week."
        }))
        .send()
        .expect(201)
}

fn answer(spoke: &Spoke, who: &TestUser, alert: &Value, verb: &str, body: Option<Value>) -> Reply {
    let path = format!("/v1/alerts/{}/{verb}", alert["id"].as_str().unwrap());
    let etag = spoke
        .get(&format!("/v1/alerts/{}", alert["id"].as_str().unwrap()))
        .as_user(who)
        .send()
        .expect(200)
        .etag();
    let call = spoke.post(&path).as_user(who).if_match(&etag);
    match body {
        Some(body) => call.json(body).send(),
        None => call.send(),
    }
}

/// No contact: nothing on the day of enrollment; 35 days later (low acuity
/// allows 30) the sweep raises one alert that says why; sweeping again
/// raises nothing more; a visit resolves it at once, in the visit's own
/// transaction.
fn no_contact_fires_once_explains_itself_and_resolves_on_a_visit(spoke: &Spoke) {
    let Some(spoke) = started(spoke) else { return };
    let s = spoke.caseload(json!({}));
    assert!(alerts(&spoke, &s.cm, "").is_empty());
    let swept = spoke.sweep_alerts("2027-04-05T15:00:00Z");
    assert_eq!((swept.clients, swept.opened), (1, 1), "{swept:?}");
    let all = alerts(&spoke, &s.cm, &format!("client_id={}", s.client));
    assert_eq!(all.len(), 1, "{all:?}");
    let alert = &all[0];
    assert_eq!(alert["rule"], "no_contact");
    assert_eq!(alert["rule_version"], 1);
    assert_eq!(alert["severity"], "medium");
    assert_eq!(alert["state"], "open");
    assert_eq!(alert["summary"], "No contact in 35 days");
    assert_eq!(
        alert["facts"][0]["text"],
        "Not seen since enrollment on 2027-03-01"
    );
    assert_eq!(
        alert["facts"][1]["text"],
        "Low acuity allows 30 days without contact"
    );
    let again = spoke.sweep_alerts("2027-04-06T15:00:00Z");
    assert_eq!((again.opened, again.cleared), (0, 0), "{again:?}");
    assert_eq!(alerts(&spoke, &s.cm, "").len(), 1);
    // The visit is recorded on a later day; its transaction clears the alert.
    let later = spoke.instance_at("2027-04-06T18:00:00Z");
    let visit = contact(&spoke, &later, &s, "2027-04-06T16:00:00Z");
    assert!(alerts(&spoke, &s.cm, "").is_empty());
    let resolved = alerts(&spoke, &s.cm, "state=resolved");
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["resolution"], "facts_changed");
    assert_eq!(resolved[0]["resolved_by"], Value::Null);
    // Another lapse, counted from that visit, is a new alert linking to it
    // (and the visit, still a draft a month on, has its own).
    spoke.sweep_alerts("2027-05-08T15:00:00Z");
    let unsigned = alerts(&spoke, &s.cm, "rule=contact_unsigned");
    assert_eq!(unsigned[0]["facts"][0]["record"]["id"], visit.body["id"]);
    let lapse = alerts(&spoke, &s.cm, "rule=no_contact");
    assert_eq!(lapse.len(), 1);
    assert_eq!(lapse[0]["summary"], "No contact in 32 days");
    let link = &lapse[0]["facts"][0]["record"];
    assert_eq!(link["kind"], "contact");
    assert_eq!(link["id"], visit.body["id"]);
    assert_eq!(
        link["href"],
        format!(
            "/v1/clients/{}/contacts/{}",
            s.client,
            visit.body["id"].as_str().unwrap()
        )
    );
}

/// A critical event raises its alert in the transaction that records it;
/// acknowledging, resolving by hand with a note; a hand-resolved alert does
/// not come back while its facts hold, and is cleared once they go.
fn a_critical_event_alerts_at_once_and_people_answer_it(spoke: &Spoke) {
    let Some(spoke) = started(spoke) else { return };
    let s = spoke.caseload(json!({}));
    let event = spoke
        .post(&format!("/v1/clients/{}/critical-events", s.client))
        .as_user(&s.cm)
        .json(
            json!({"type": "emergency_department_visit", "started_on": "2027-02-28",
                     "facility_name": "Good Samaritan ED", "learned_from": "client"}),
        )
        .send()
        .expect(201);
    let all = alerts(&spoke, &s.cm, "rule=critical_event");
    assert_eq!(all.len(), 1, "{all:?}");
    let alert = &all[0];
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["summary"], "Emergency department visit on 2027-02-28");
    assert_eq!(alert["facts"][0]["record"]["id"], event.body["id"]);
    assert_eq!(
        alert["allowed_moves"],
        json!(["acknowledged", "snoozed", "resolved"])
    );
    // Another case manager of the team sees it but does not answer it.
    answer(&spoke, &s.other_cm, alert, "acknowledge", None).expect_problem(403);
    let acknowledged = answer(&spoke, &s.cm, alert, "acknowledge", None).expect(200);
    assert_eq!(acknowledged.body["state"], "acknowledged");
    assert_eq!(acknowledged.body["acknowledged_by"], s.cm.id.to_string());
    let twice = answer(&spoke, &s.cm, alert, "acknowledge", None).expect_problem(409);
    assert_eq!(twice.body["current_status"], "acknowledged");
    assert_eq!(twice.body["allowed_moves"], json!(["snoozed", "resolved"]));
    // A stale ETag is a 412; no note is a 422; nothing changes.
    spoke
        .post(&format!(
            "/v1/alerts/{}/resolve",
            alert["id"].as_str().unwrap()
        ))
        .as_user(&s.cm)
        .if_match("\"1\"")
        .json(json!({"note": "x"}))
        .send()
        .expect_problem(412);
    let blank =
        answer(&spoke, &s.cm, alert, "resolve", Some(json!({"note": "  "}))).expect_problem(422);
    assert_eq!(
        blank.error_codes(),
        [("note".to_owned(), "length".to_owned())]
    );
    let resolved = answer(
        &spoke,
        &s.cm,
        alert,
        "resolve",
        Some(json!({"note": "Called her: discharged home, visit set for Friday."})),
    )
    .expect(200);
    assert_eq!(resolved.body["resolution"], "by_hand");
    assert_eq!(resolved.body["allowed_moves"], json!([]));
    // While the visit is recent, no second alert; 15 days on, nothing new either.
    assert_eq!(spoke.sweep_alerts("2027-03-02T15:00:00Z").opened, 0);
    assert!(alerts(&spoke, &s.cm, "rule=critical_event").is_empty());
    spoke.sweep_alerts("2027-03-15T15:00:00Z");
    assert!(alerts(&spoke, &s.cm, "rule=critical_event").is_empty());
    let kept = alerts(&spoke, &s.cm, "state=resolved&rule=critical_event");
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0]["note"],
        "Called her: discharged home, visit set for Friday."
    );
}

/// Two missed appointments in 30 days raise an alert; snoozed, it sleeps
/// until its day; an admin raises the count to three, and the next sweep
/// finds the facts no longer fire: the alert resolves. Bad settings are a
/// 422 naming each field; a case manager may not change a rule.
fn missed_appointments_snooze_and_a_tuned_rule(spoke: &Spoke) {
    let Some(spoke) = started(spoke) else { return };
    let s = spoke.caseload(json!({}));
    for day in ["2027-02-20", "2027-02-25"] {
        let made = spoke
            .post(&format!("/v1/clients/{}/appointments", s.client))
            .as_user(&s.cm)
            .json(json!({"starts_at": format!("{day}T17:00:00Z"), "ends_at": format!("{day}T17:45:00Z"),
                         "kind": "medical", "with_name": "Dr. Lee"}))
            .send()
            .expect(201);
        spoke
            .post(&format!(
                "/v1/clients/{}/appointments/{}/status",
                s.client,
                made.body["id"].as_str().unwrap()
            ))
            .as_user(&s.cm)
            .if_match(&made.etag())
            .json(json!({"status": "missed"}))
            .send()
            .expect(200);
    }
    let all = alerts(&spoke, &s.cm, "rule=missed_appointments");
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["facts"].as_array().unwrap().len(), 2);
    let too_late = answer(
        &spoke,
        &s.cm,
        &all[0],
        "snooze",
        Some(json!({"until": "2027-09-01"})),
    )
    .expect_problem(422);
    assert_eq!(
        too_late.error_codes(),
        [("until".to_owned(), "out_of_range".to_owned())]
    );
    let snoozed = answer(
        &spoke,
        &s.cm,
        &all[0],
        "snooze",
        Some(json!({"until": "2027-03-05"})),
    )
    .expect(200);
    assert_eq!(snoozed.body["state"], "snoozed");
    assert_eq!(spoke.sweep_alerts("2027-03-04T15:00:00Z").woken, 0);
    assert_eq!(spoke.sweep_alerts("2027-03-05T15:00:00Z").woken, 1);
    assert_eq!(
        alerts(&spoke, &s.cm, "rule=missed_appointments")[0]["state"],
        "open"
    );

    let admin = spoke.admin();
    let rule_url = "/v1/alert-rules/missed_appointments";
    let versions = spoke
        .get(&format!("{rule_url}/versions"))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(versions.etag(), "\"1\"");
    assert_eq!(versions.body["items"][0]["takes"], json!(["count", "days"]));
    let settings = json!({"enabled": true, "severity": "high", "escalate_after_hours": 48,
                          "params": {"count": 3, "days": 30}});
    spoke
        .put(rule_url)
        .as_user(&s.cm)
        .if_match("\"1\"")
        .json(settings.clone())
        .send()
        .expect_problem(403);
    let bad = spoke
        .put(rule_url)
        .as_user(&admin)
        .if_match("\"1\"")
        .json(
            json!({"enabled": true, "severity": "high", "escalate_after_hours": 0,
                     "params": {"days": 30, "limit": 4}}),
        )
        .send()
        .expect_problem(422);
    let mut codes = bad.error_codes();
    codes.sort();
    assert_eq!(
        codes,
        [
            ("escalate_after_hours".to_owned(), "out_of_range".to_owned()),
            ("params.count".to_owned(), "required".to_owned()),
            ("params.limit".to_owned(), "not_applicable".to_owned()),
        ]
    );
    let changed = spoke
        .put(rule_url)
        .as_user(&admin)
        .if_match("\"1\"")
        .json(settings.clone())
        .send()
        .expect(200);
    assert_eq!(changed.body["version"], 2);
    assert_eq!(changed.etag(), "\"2\"");
    spoke
        .put(rule_url)
        .as_user(&admin)
        .if_match("\"1\"")
        .json(settings)
        .send()
        .expect_problem(412);
    let rules = spoke
        .get("/v1/alert-rules")
        .as_user(&s.cm)
        .send()
        .expect(200);
    let tuned: Vec<&Value> = rules.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] == "missed_appointments")
        .collect();
    assert_eq!(tuned[0]["version"], 2);
    assert_eq!(tuned[0]["changed_by"], admin.id.to_string());
    // The alert raised by version 1 resolves at the next sweep: two misses are not three.
    assert_eq!(spoke.sweep_alerts("2027-03-06T15:00:00Z").cleared, 1);
    assert!(alerts(&spoke, &s.cm, "rule=missed_appointments").is_empty());
}

/// An open high alert nobody answers escalates after the rule's hours and
/// reaches the supervisor's worklist; the case manager's worklist puts it
/// first, with today's appointment and the unsigned contact after it.
fn unanswered_alerts_escalate_and_the_worklist_orders_the_day(spoke: &Spoke) {
    let Some(spoke) = started(spoke) else { return };
    let s = spoke.caseload(json!({}));
    let team = s.cm.team.unwrap();
    let supervisor = spoke.user("sup@example.org", Role::Supervisor, Some(team));
    spoke
        .post(&format!("/v1/clients/{}/critical-events", s.client))
        .as_user(&s.cm)
        .json(json!({"type": "overdose", "started_on": "2027-03-01", "learned_from": "client"}))
        .send()
        .expect(201);
    spoke
        .post(&format!("/v1/clients/{}/appointments", s.client))
        .as_user(&s.cm)
        .json(json!({"starts_at": "2027-03-01T20:00:00Z", "ends_at": "2027-03-01T20:45:00Z",
                     "kind": "psychiatric", "with_name": "Dr. Okafor",
                     "transport": {"mode": "bus_pass", "pickup_at": "2027-03-01T19:15:00Z", "cost_cents": 250}}))
        .send()
        .expect(201);
    spoke
        .post(&format!("/v1/clients/{}/contacts", s.client))
        .as_user(&s.cm)
        .json(json!({
            "started_at": "2027-03-01T14:00:00Z", "duration_minutes": 20, "mode": "phone",
            "setting": "office", "client_present": true,
            "activities": ["monitoring_and_follow_up"], "narrative": "Called after the overdose."
        }))
        .send()
        .expect(201);
    let mine = spoke
        .get("/v1/me/worklist")
        .as_user(&s.cm)
        .send()
        .expect(200);
    let kinds: Vec<(&str, &str)> = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["kind"].as_str().unwrap(), i["urgency"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("alert", "now"),
            ("appointment", "today"),
            ("unsigned_contact", "later")
        ]
    );
    let first = &mine.body["items"][0];
    assert_eq!(first["client_name"], "Maria Rivera");
    assert_eq!(first["alert"]["rule"], "critical_event");
    assert_eq!(mine.body["items"][1]["ride"], "requested");
    assert_eq!(
        mine.body["items"][1]["title"],
        "20:00 psychiatric appointment with Dr. Okafor (ride requested)"
    );
    // Not yet escalated: the supervisor's own list has none of it.
    let sup = spoke
        .get("/v1/me/worklist")
        .as_user(&supervisor)
        .send()
        .expect(200);
    assert!(
        sup.body["items"].as_array().unwrap().is_empty(),
        "{}",
        sup.text
    );
    assert_eq!(spoke.sweep_alerts("2027-03-02T14:00:00Z").escalated, 0);
    assert_eq!(spoke.sweep_alerts("2027-03-02T16:00:00Z").escalated, 1);
    assert_eq!(spoke.sweep_alerts("2027-03-02T17:00:00Z").escalated, 0);
    let escalated = alerts(&spoke, &supervisor, "escalated=true");
    assert_eq!(escalated.len(), 1);
    let sup = spoke
        .get("/v1/me/worklist")
        .as_user(&supervisor)
        .send()
        .expect(200);
    assert_eq!(sup.body["items"][0]["kind"], "alert");
    assert_eq!(sup.body["items"][0]["urgency"], "now");
    assert!(sup.body["items"][0]["alert"]["escalated_at"].is_string());
    // The team's worklist: its supervisors and admins; not a case manager.
    let team_list = spoke
        .get(&format!("/v1/teams/{team}/worklist"))
        .as_user(&supervisor)
        .send()
        .expect(200);
    assert_eq!(team_list.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        team_list.body["items"][0]["case_manager_id"],
        s.cm.id.to_string()
    );
    spoke
        .get(&format!("/v1/teams/{team}/worklist"))
        .as_user(&s.cm)
        .send()
        .expect_problem(403);
    // The acuity the worklist sorts by explains itself.
    let acuity = spoke
        .get(&format!("/v1/clients/{}/acuity", s.client))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(acuity.body["score"], 3);
    assert_eq!(acuity.body["level"], "low");
    assert_eq!(acuity.body["contributions"][0]["source"], "critical_event");
}

/// A caseload over its limit is an alert about the case manager: they see
/// it, their supervisor answers it, another team's supervisor does not
/// know it exists. It resolves when the caseload comes back under.
fn a_caseload_over_its_limit_is_about_the_case_manager(spoke: &Spoke) {
    let Some(spoke) = started(spoke) else { return };
    let admin = spoke.admin();
    spoke
        .put("/v1/alert-rules/caseload_over_limit")
        .as_user(&admin)
        .if_match("\"1\"")
        .json(
            json!({"enabled": true, "severity": "medium", "escalate_after_hours": null,
                     "params": {"limit": 2}}),
        )
        .send()
        .expect(200);
    let s = spoke.caseload(json!({}));
    let team = s.cm.team.unwrap();
    let supervisor = spoke.user("sup@example.org", Role::Supervisor, Some(team));
    let elsewhere = spoke.team("South");
    let other_supervisor = spoke.user("sup2@example.org", Role::Supervisor, Some(elsewhere));
    let mut ids = vec![s.client.clone()];
    for given in ["Ana", "Bo"] {
        let made = spoke
            .post("/v1/clients")
            .as_user(&s.cm)
            .json(client_body(given, "Lee"))
            .send()
            .expect(201);
        ids.push(made.body["id"].as_str().unwrap().to_owned());
    }
    let about_me = alerts(&spoke, &s.cm, "rule=caseload_over_limit");
    assert_eq!(about_me.len(), 1, "{about_me:?}");
    assert_eq!(about_me[0]["staff_id"], s.cm.id.to_string());
    assert_eq!(about_me[0]["client_id"], Value::Null);
    assert_eq!(
        about_me[0]["facts"][0]["record"]["href"],
        format!("/v1/users/{}", s.cm.id)
    );
    assert!(alerts(&spoke, &s.other_cm, "rule=caseload_over_limit").is_empty());
    assert!(alerts(&spoke, &other_supervisor, "").is_empty());
    let id = about_me[0]["id"].as_str().unwrap();
    spoke
        .get(&format!("/v1/alerts/{id}"))
        .as_user(&other_supervisor)
        .send()
        .expect_problem(404);
    answer(&spoke, &s.cm, &about_me[0], "acknowledge", None).expect_problem(403);
    answer(&spoke, &supervisor, &about_me[0], "acknowledge", None).expect(200);
    // One client is discharged: two again, the alert resolves in that change.
    spoke
        .post(&format!("/v1/clients/{}/status", ids[2]))
        .as_user(&s.cm)
        .if_match("*")
        .json(json!({"status": "discharged", "reason": "moved_away"}))
        .send()
        .expect(200);
    assert!(alerts(&spoke, &supervisor, "rule=caseload_over_limit").is_empty());
}

/// Two instances sweeping at once raise each alert once.
fn two_sweeps_at_once_raise_each_alert_once(spoke: &Spoke) {
    let Some(spoke) = started(spoke) else { return };
    let s = spoke.caseload(json!({}));
    for n in 0..11 {
        spoke
            .post("/v1/clients")
            .as_user(&s.cm)
            .json(client_body(&format!("Client{n}"), "Doe"))
            .send()
            .expect(201);
    }
    let admin = spoke.admin();
    std::thread::scope(|scope| {
        let one = scope.spawn(|| spoke.sweep_alerts("2027-04-05T15:00:00Z"));
        let two = scope.spawn(|| spoke.sweep_alerts("2027-04-05T15:00:00Z"));
        let (one, two) = (one.join().unwrap(), two.join().unwrap());
        // 12 clients without a contact in 35 days.
        assert_eq!(one.opened + two.opened, 12, "{one:?} {two:?}");
    });
    let all = alerts(&spoke, &admin, "limit=200");
    assert_eq!(all.len(), 12);
    let mut clients: Vec<&str> = all
        .iter()
        .map(|a| a["client_id"].as_str().unwrap())
        .collect();
    clients.sort_unstable();
    clients.dedup();
    assert_eq!(clients.len(), 12);
}

both_backends!(
    no_contact_fires_once_explains_itself_and_resolves_on_a_visit,
    a_critical_event_alerts_at_once_and_people_answer_it,
    missed_appointments_snooze_and_a_tuned_rule,
    unanswered_alerts_escalate_and_the_worklist_orders_the_day,
    a_caseload_over_its_limit_is_about_the_case_manager,
    two_sweeps_at_once_raise_each_alert_once,
);
