//! A table of bad inputs: each gets the right problem+json status, and none
//! stores anything.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::json;
use spoke_domain::ids::ClientId;
use spoke_domain::policy::{ClientScope, ContactScope, ContactView};
use spoke_domain::staff::Role;
use spoke_persistence::{appointments, benefits, clients, contacts, events, safety_plans, staff};
use spoke_tests::{Spoke, both_backends};

struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    status: u16,
    /// The field the problem must name, for validation problems.
    field: Option<&'static str>,
}

fn case(name: &'static str, method: &'static str, path: &str, status: u16) -> Case {
    Case {
        name,
        method,
        path: path.to_owned(),
        content_type: None,
        headers: Vec::new(),
        body: None,
        status,
        field: None,
    }
}

impl Case {
    fn json(mut self, body: serde_json::Value) -> Case {
        self.content_type = Some("application/json");
        self.body = Some(body.to_string().into_bytes());
        self
    }
    fn raw(mut self, content_type: Option<&'static str>, body: &[u8]) -> Case {
        self.content_type = content_type;
        self.body = Some(body.to_vec());
        self
    }
    fn header(mut self, name: &'static str, value: &str) -> Case {
        self.headers.push((name, value.to_owned()));
        self
    }
    fn field(mut self, field: &'static str) -> Case {
        self.field = Some(field);
        self
    }
}

/// How many of each record there are (the residences and safety plans of `client`).
fn counts(spoke: &Spoke, client: ClientId) -> [usize; 10] {
    let mut conn = spoke.database().conn().unwrap();
    let everyone = ContactScope {
        clients: ClientScope::All,
        categories: None,
        view: ContactView::Full,
    };
    [
        clients::count(&mut conn).unwrap() as usize,
        staff::count_users(&mut conn).unwrap() as usize,
        staff::list_teams(&mut conn, None).unwrap().len(),
        contacts::list_contacts(&mut conn, &everyone, &Default::default(), None, 200)
            .unwrap()
            .items
            .len(),
        contacts::list_configs(&mut conn).unwrap().len(),
        appointments::list_appointments(&mut conn, &everyone, &Default::default(), None, 200)
            .unwrap()
            .items
            .len(),
        benefits::list_applications(&mut conn, &ClientScope::All, &Default::default(), None, 200)
            .unwrap()
            .items
            .len(),
        events::list_events(&mut conn, &everyone, &Default::default(), None, 200)
            .unwrap()
            .items
            .len(),
        events::residences_of(&mut conn, client).unwrap().len(),
        safety_plans::versions(&mut conn, client).unwrap().len(),
    ]
}

fn every_bad_input_is_a_problem_and_stores_nothing(spoke: &Spoke) {
    let north = spoke.team("North");
    let south = spoke.team("South");
    let admin = spoke.admin();
    let south_cm = spoke.user("south@example.org", Role::CaseManager, Some(south));
    let created = spoke
        .post("/v1/clients")
        .as_user(&admin)
        .json(json!({"given_name": "Ana", "family_name": "Lee", "team_id": north}))
        .send()
        .expect(201);
    let client_id: ClientId = created.body["id"].as_str().unwrap().parse().unwrap();
    let client = format!("/v1/clients/{client_id}");
    let valid = |extra: serde_json::Value| {
        let mut body = json!({"given_name": "New", "family_name": "Client", "team_id": north});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let contact = |extra: serde_json::Value| {
        let mut body = json!({"started_at": "2026-11-20T15:30:00Z", "duration_minutes": 30, "mode": "phone",
            "setting": "client_home", "client_present": true, "activities": ["monitoring_and_follow_up"],
            "narrative": "Checked in by phone."});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let contacts_of = format!("{client}/contacts");
    let appointment = |extra: serde_json::Value| {
        let mut body = json!({"starts_at": "2026-12-03T15:00:00Z", "ends_at": "2026-12-03T16:00:00Z",
            "kind": "medical", "with_name": "Dr. Okafor"});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let appointments_of = format!("{client}/appointments");
    let batch = format!("/v1/claim-batches/{}", uuid::Uuid::now_v7());
    let huge = format!(
        "{{\"given_name\": \"{}\", \"family_name\": \"X\"}}",
        "a".repeat(1024 * 1024)
    );

    let cases = vec![
        case("malformed JSON", "POST", "/v1/clients", 400).raw(Some("application/json"), b"{\"given_name\": "),
        case("empty body", "POST", "/v1/clients", 400).raw(Some("application/json"), b""),
        case("trailing garbage", "POST", "/v1/clients", 400).raw(Some("application/json"), b"{} x"),
        case("text/plain body", "POST", "/v1/clients", 415).raw(Some("text/plain"), b"hello"),
        case("no content type", "POST", "/v1/clients", 415).raw(None, br#"{"given_name":"A"}"#),
        case("a charset JSON may not travel in", "POST", "/v1/clients", 415)
            .raw(Some("application/json; charset=utf-16"), br#"{"given_name":"A","family_name":"B"}"#),
        case("a key twice", "POST", "/v1/clients", 422)
            .raw(Some("application/json"), br#"{"given_name":"A","given_name":"B","family_name":"C"}"#)
            .field("given_name"),
        case("a nested key twice", "POST", "/v1/clients", 422)
            .raw(
                Some("application/json"),
                br#"{"given_name":"A","family_name":"C","address":{"line1":"1 Main","city":"Salem","city":"Eugene"}}"#,
            )
            .field("address.city"),
        case("body over 1 MiB", "POST", "/v1/clients", 413).raw(Some("application/json"), huge.as_bytes()),
        case("array instead of object", "POST", "/v1/clients", 422).json(json!([1, 2])),
        case("missing family name", "POST", "/v1/clients", 422).json(json!({"given_name": "A", "team_id": north})),
        case("empty family name", "POST", "/v1/clients", 422).json(valid(json!({"family_name": " "}))).field("family_name"),
        case("enrolled in a blank program", "POST", "/v1/clients", 422)
            .json(valid(json!({"enrollment": {"program": " "}})))
            .field("enrollment.program"),
        case("enrolled from nowhere known", "POST", "/v1/clients", 422)
            .json(valid(json!({"enrollment": {"referral_source": "the moon"}})))
            .field("enrollment.referral_source"),
        case("discharge for no reason", "POST", &format!("{client}/status"), 422)
            .json(json!({"status": "discharged"}))
            .header("If-Match", "\"1\"")
            .field("reason"),
        case("discharge for an unknown reason", "POST", &format!("{client}/status"), 422)
            .json(json!({"status": "discharged", "reason": "bored"}))
            .header("If-Match", "\"1\"")
            .field("reason"),
        case("discharge in the future", "POST", &format!("{client}/status"), 422)
            .json(json!({"status": "discharged", "reason": "goals_met", "on": "2999-01-01"}))
            .header("If-Match", "\"1\"")
            .field("on"),
        case("discharge to nowhere known", "POST", &format!("{client}/status"), 422)
            .json(json!({"status": "discharged", "reason": "goals_met", "destination": "mars"}))
            .header("If-Match", "\"1\"")
            .field("destination"),
        case("a day on a move that takes none", "POST", &format!("{client}/status"), 422)
            .json(json!({"status": "active", "on": "2026-11-01"}))
            .header("If-Match", "\"1\"")
            .field("on"),
        case("misspelt field", "POST", "/v1/clients", 422).json(valid(json!({"date_of_brith": "1968-04-12"}))).field("date_of_brith"),
        case("name too long", "POST", "/v1/clients", 422).json(valid(json!({"given_name": "x".repeat(101)}))).field("given_name"),
        case("birth in the future", "POST", "/v1/clients", 422).json(valid(json!({"date_of_birth": "2999-01-01"}))).field("date_of_birth"),
        case("birth not a date", "POST", "/v1/clients", 422).json(valid(json!({"date_of_birth": "12/04/1968"}))).field("date_of_birth"),
        case("bad email", "POST", "/v1/clients", 422).json(valid(json!({"email": "maria@"}))).field("email"),
        case("bad phone", "POST", "/v1/clients", 422).json(valid(json!({"phone": "call me maybe"}))).field("phone"),
        case("bad language", "POST", "/v1/clients", 422).json(valid(json!({"preferred_language": "english"}))).field("preferred_language"),
        case("unknown risk flag", "POST", "/v1/clients", 422).json(valid(json!({"risk_flags": ["nope"]}))).field("risk_flags[0]"),
        case("bad gender kind", "POST", "/v1/clients", 422).json(valid(json!({"gender": {"kind": "other"}}))).field("gender.kind"),
        case("bad address country", "POST", "/v1/clients", 422)
            .json(valid(json!({"address": {"line1": "1 Main St", "city": "Salem", "country": "USA"}})))
            .field("address.country"),
        case("team id not a uuid", "POST", "/v1/clients", 422).json(valid(json!({"team_id": "north"}))).field("team_id"),
        case("unknown team", "POST", "/v1/clients", 422).json(valid(json!({"team_id": uuid::Uuid::now_v7()}))).field("team_id"),
        case("case manager of another team", "POST", "/v1/clients", 422)
            .json(valid(json!({"primary_case_manager_id": south_cm.id})))
            .field("primary_case_manager_id"),
        case("idempotency key too long", "POST", "/v1/clients", 400)
            .json(valid(json!({})))
            .header("Idempotency-Key", &"k".repeat(300)),
        case("path id not a uuid", "GET", "/v1/clients/not-a-uuid", 400),
        case("a method the specific route does not answer", "PUT", &format!("{client}/assessments/trend"), 405),
        case("unknown client", "GET", &format!("/v1/clients/{}", uuid::Uuid::now_v7()), 404),
        case("limit zero", "GET", "/v1/clients?limit=0", 400),
        case("limit too large", "GET", "/v1/clients?limit=201", 400),
        case("limit not a number", "GET", "/v1/clients?limit=ten", 400),
        case("forged cursor", "GET", "/v1/clients?cursor=bm90LWEtY3Vyc29y", 400),
        case("bad date filter", "GET", "/v1/clients?date_of_birth=yesterday", 400),
        case("unknown status filter", "GET", "/v1/clients?status=closed", 400),
        case("unknown query parameter", "GET", "/v1/clients?stauts=active", 400),
        case("bad audit time", "GET", "/v1/audit-events?from=last-week", 400),
        case("unknown alert state filter", "GET", "/v1/alerts?state=closed", 400),
        case("unknown alert rule filter", "GET", "/v1/alerts?rule=no_visits", 400),
        case("forged change cursor", "GET", "/v1/changes?after=bm90LWEtY3Vyc29y", 400),
        case("change feed limit too large", "GET", "/v1/changes?limit=500", 400),
        case("snooze without a day", "POST", &format!("/v1/alerts/{}/snooze", uuid::Uuid::now_v7()), 422)
            .header("If-Match", "\"1\"")
            .json(json!({}))
            .field("until"),
        case("snooze on no day", "POST", &format!("/v1/alerts/{}/snooze", uuid::Uuid::now_v7()), 422)
            .header("If-Match", "\"1\"")
            .json(json!({"until": "next week"}))
            .field("until"),
        case("resolve with an unknown field", "POST", &format!("/v1/alerts/{}/resolve", uuid::Uuid::now_v7()), 422)
            .header("If-Match", "\"1\"")
            .json(json!({"note": "Seen.", "priority": "high"})),
        case("alert rule settings of the wrong type", "PUT", "/v1/alert-rules/no_contact", 422)
            .header("If-Match", "\"1\"")
            .json(json!({"enabled": "yes", "severity": "medium", "escalate_after_hours": null,
                         "params": {"days_by_acuity": {"low": 30, "moderate": 14, "high": 7}}}))
            .field("enabled"),
        case("alert rule with a threshold it does not take", "PUT", "/v1/alert-rules/no_contact", 422)
            .header("If-Match", "\"1\"")
            .json(json!({"enabled": true, "severity": "medium", "escalate_after_hours": null,
                         "params": {"days": 3, "days_by_acuity": {"low": 30, "moderate": 14, "high": 7}}}))
            .field("params.days"),
        case("alert rule with an unknown severity", "PUT", "/v1/alert-rules/no_contact", 422)
            .header("If-Match", "\"1\"")
            .json(json!({"enabled": true, "severity": "urgent", "escalate_after_hours": null,
                         "params": {"days_by_acuity": {"low": 30, "moderate": 14, "high": 7}}}))
            .field("severity"),
        // PostgreSQL cannot store or compare text with NUL; both backends refuse it alike.
        case("NUL in a search", "GET", "/v1/clients?name=ab%00cd", 422).field("name"),
        case("NUL in a body", "POST", "/v1/clients", 422).json(valid(json!({"given_name": "Ma\u{0}ria"}))),
        case("unknown route", "GET", "/v1/nothing-here", 404),
        case("unknown root route", "GET", "/favicon.ico", 404),
        case("wrong method", "DELETE", "/v1/clients", 405),
        case("wrong method on an item", "PUT", &client, 405).json(json!({})),
        case("patch without If-Match", "PATCH", &client, 428).json(json!({"preferred_name": "A"})),
        case("patch with a stale ETag", "PATCH", &client, 412).json(json!({"preferred_name": "A"})).header("If-Match", "\"7\""),
        case("patch an unknown field", "PATCH", &client, 422).json(json!({"familyName": "X"})).header("If-Match", "\"1\""),
        case("patch clears a required name", "PATCH", &client, 422)
            .json(json!({"family_name": null}))
            .header("If-Match", "\"1\"")
            .field("family_name"),
        case("status not a status", "POST", &format!("{client}/status"), 422)
            .json(json!({"status": "closed"}))
            .header("If-Match", "\"1\""),
        case("illegal status move", "POST", &format!("{client}/status"), 409)
            .json(json!({"status": "on_hold"}))
            .header("If-Match", "\"1\""),
        case("user with a weak password", "POST", "/v1/users", 422)
            .json(json!({"email": "x@example.org", "display_name": "X", "role": "admin", "password": "short"}))
            .field("password"),
        case("user with an unknown role", "POST", "/v1/users", 422)
            .json(json!({"email": "x@example.org", "display_name": "X", "role": "root", "password": "a long enough password"})),
        case("case manager without a team", "POST", "/v1/users", 422)
            .json(json!({"email": "x@example.org", "display_name": "X", "role": "case_manager", "password": "a long enough password"}))
            .field("team_id"),
        case("user with a taken email", "POST", "/v1/users", 409)
            .json(json!({"email": "SOUTH@example.org", "display_name": "X", "role": "case_manager", "team_id": south, "password": "a long enough password"})),
        case("team without a name", "POST", "/v1/teams", 422).json(json!({"name": ""})).field("name"),
        case("team with a taken name", "POST", "/v1/teams", 409).json(json!({"name": "North"})),
        case("contact of negative length", "POST", &contacts_of, 422).json(contact(json!({"duration_minutes": -5}))).field("duration_minutes"),
        case("contact of a fractional length", "POST", &contacts_of, 422).json(contact(json!({"duration_minutes": 1.5}))).field("duration_minutes"),
        case("contact in the future", "POST", &contacts_of, 422).json(contact(json!({"started_at": "2999-01-01T00:00:00Z"}))).field("started_at"),
        case("contact of an unknown mode", "POST", &contacts_of, 422).json(contact(json!({"mode": "telepathy"}))).field("mode"),
        case("contact without activities", "POST", &contacts_of, 422).json(contact(json!({"activities": []}))).field("activities"),
        case("contact naming an unknown goal", "POST", &contacts_of, 422)
            .json(contact(json!({"goal_ids": [uuid::Uuid::now_v7()]})))
            .field("goal_ids[0]"),
        case("contact naming an unknown colleague", "POST", &contacts_of, 422)
            .json(contact(json!({"staff_ids": [uuid::Uuid::now_v7()]})))
            .field("staff_ids[0]"),
        case("contact with NUL in the narrative", "POST", &contacts_of, 422).json(contact(json!({"narrative": "a\u{0}b"}))),
        case("contact amending nothing", "POST", &contacts_of, 422)
            .json(contact(json!({"amends": uuid::Uuid::now_v7()})))
            .field("amends"),
        case("sign an unknown contact", "POST", &format!("{contacts_of}/{}/sign", uuid::Uuid::now_v7()), 404).header("If-Match", "\"1\""),
        case("contacts filter not a boolean", "GET", "/v1/contacts?billable=maybe", 400),
        case("contacts filter not a status", "GET", "/v1/contacts?status=final", 400),
        case("appointment ending before it starts", "POST", &appointments_of, 422)
            .json(appointment(json!({"ends_at": "2026-12-03T14:00:00Z"})))
            .field("ends_at"),
        case("appointment longer than a day", "POST", &appointments_of, 422)
            .json(appointment(json!({"ends_at": "2026-12-05T14:00:00Z"})))
            .field("ends_at"),
        case("appointment of an unknown kind", "POST", &appointments_of, 422).json(appointment(json!({"kind": "dentist"}))).field("kind"),
        case("appointment with no one", "POST", &appointments_of, 422).json(appointment(json!({"with_name": null}))).field("with_name"),
        case("appointment at a location and an address", "POST", &appointments_of, 422)
            .json(appointment(json!({"address": "Here", "location_id": uuid::Uuid::now_v7()})))
            .field("address"),
        case("appointment with an unknown service", "POST", &appointments_of, 422)
            .json(appointment(json!({"service_id": uuid::Uuid::now_v7()})))
            .field("service_id"),
        case("appointment for an unknown task", "POST", &appointments_of, 422)
            .json(appointment(json!({"task_id": uuid::Uuid::now_v7()})))
            .field("task_id"),
        case("appointment with NUL in the notes", "POST", &appointments_of, 422).json(appointment(json!({"notes": "a\u{0}b"}))),
        case("ride of a fractional cost", "POST", &appointments_of, 422)
            .json(appointment(json!({"transport": {"mode": "rideshare", "cost_cents": 12.5}}))),
        case("ride of an unknown mode", "POST", &appointments_of, 422)
            .json(appointment(json!({"transport": {"mode": "horse"}}))),
        case("ride driven by an unknown colleague", "POST", &appointments_of, 422)
            .json(appointment(json!({"transport": {"mode": "case_manager_drives", "staff_ids": [uuid::Uuid::now_v7()]}})))
            .field("transport.staff_ids[0]"),
        case("move an unknown appointment", "POST", &format!("{appointments_of}/{}/status", uuid::Uuid::now_v7()), 404)
            .json(json!({"status": "kept"}))
            .header("If-Match", "\"1\""),
        case("appointments from after to", "GET", &format!("{appointments_of}?from=2026-12-02&to=2026-12-01"), 422).field("to"),
        case("calendar of a case manager that is no id", "GET", "/v1/appointments?case_manager_id=sam", 400),
        case("rides without a date", "GET", "/v1/transport", 400),
        case("rides on no date", "GET", "/v1/transport?date=2026-02-30", 400),
        case("an unknown calendar feed", "GET", "/v1/calendar-feeds/nothing-here.ics", 404),
        case("application of an unknown program", "POST", &format!("{client}/benefit-applications"), 422)
            .json(json!({"program": "lottery"}))
            .field("program"),
        case("application of another program without its name", "POST", &format!("{client}/benefit-applications"), 422)
            .json(json!({"program": "other"}))
            .field("program_name"),
        case("application to an unknown agency", "POST", &format!("{client}/benefit-applications"), 422)
            .json(json!({"program": "snap", "organization_id": uuid::Uuid::now_v7()}))
            .field("organization_id"),
        case("application needing a document twice", "POST", &format!("{client}/benefit-applications"), 422)
            .json(json!({"program": "snap", "documents": [{"kind": "identity"}, {"kind": "identity"}]}))
            .field("documents[1]"),
        case("application document of an unknown kind", "POST", &format!("{client}/benefit-applications"), 422)
            .json(json!({"program": "snap", "documents": [{"kind": "passport photo"}]})),
        case("move an unknown application", "POST", &format!("{client}/benefit-applications/{}/status", uuid::Uuid::now_v7()), 404)
            .json(json!({"status": "submitted"}))
            .header("If-Match", "\"1\""),
        case("applications due in an empty range", "GET", "/v1/benefit-applications?due_from=2026-12-02&due_to=2026-12-01", 422).field("due_to"),
        case("applications due on no date", "GET", "/v1/benefit-applications?due_from=soon", 400),
        case("event ending before it starts", "POST", &format!("{client}/critical-events"), 422)
            .json(json!({"type": "medical_hospitalization", "started_on": "2026-11-10", "ended_on": "2026-11-01",
                "learned_from": "client"}))
            .field("ended_on"),
        case("event of one day with an end", "POST", &format!("{client}/critical-events"), 422)
            .json(json!({"type": "arrest", "started_on": "2026-11-01", "ended_on": "2026-11-03", "learned_from": "justice"}))
            .field("ended_on"),
        case("event in the future", "POST", &format!("{client}/critical-events"), 422)
            .json(json!({"type": "overdose", "started_on": "2999-01-01", "learned_from": "client"}))
            .field("started_on"),
        case("event of an unknown type", "POST", &format!("{client}/critical-events"), 422)
            .json(json!({"type": "hiccups", "started_on": "2026-11-01", "learned_from": "client"}))
            .field("type"),
        case("event at an unknown facility", "POST", &format!("{client}/critical-events"), 422)
            .json(json!({"type": "emergency_department_visit", "started_on": "2026-11-01", "learned_from": "client",
                "organization_id": uuid::Uuid::now_v7()}))
            .field("organization_id"),
        case("event without how it was learned", "POST", &format!("{client}/critical-events"), 422)
            .json(json!({"type": "arrest", "started_on": "2026-11-01"})),
        case("change an unknown event", "PUT", &format!("{client}/critical-events/{}", uuid::Uuid::now_v7()), 404)
            .json(json!({"type": "arrest", "started_on": "2026-11-01", "learned_from": "justice"}))
            .header("If-Match", "\"1\""),
        case("events from after to", "GET", "/v1/critical-events?from=2026-12-02&to=2026-12-01", 422).field("to"),
        case("events neither open nor closed", "GET", "/v1/critical-events?open=maybe", 400),
        case("transfer without a summary", "POST", &format!("{client}/transfers"), 422)
            .json(json!({"to_team_id": south}))
            .field("summary"),
        case("transfer to an unknown team", "POST", &format!("{client}/transfers"), 422)
            .json(json!({"to_team_id": uuid::Uuid::now_v7(), "summary": "Moved east."}))
            .field("to_team_id"),
        case("transfer to someone of another team", "POST", &format!("{client}/transfers"), 422)
            .json(json!({"to_team_id": south, "to_case_manager_id": uuid::Uuid::now_v7(), "summary": "Moved east."}))
            .field("to_case_manager_id"),
        case("answer to an unknown transfer", "POST", &format!("/v1/transfers/{}/status", uuid::Uuid::now_v7()), 404)
            .json(json!({"status": "accepted"}))
            .header("If-Match", "\"1\""),
        case("transfers in no status", "GET", "/v1/transfers?status=maybe", 400),
        case("an empty safety plan", "PUT", &format!("{client}/safety-plan"), 422)
            .json(json!({}))
            .header("If-Match", "\"0\"")
            .field("warning_signs"),
        case("a safety plan with a blank entry", "PUT", &format!("{client}/safety-plan"), 422)
            .json(json!({"people_to_ask_for_help": [{"name": " "}]}))
            .header("If-Match", "\"0\"")
            .field("people_to_ask_for_help[0].name"),
        case("a safety plan of an unknown section", "PUT", &format!("{client}/safety-plan"), 422)
            .json(json!({"hobbies": ["chess"]}))
            .header("If-Match", "\"0\""),
        case("residence moved out before in", "POST", &format!("{client}/residences"), 422)
            .json(json!({"setting": "own_home", "moved_in_on": "2026-05-01", "moved_out_on": "2026-04-01"}))
            .field("moved_out_on"),
        case("residence of an unknown setting", "POST", &format!("{client}/residences"), 422)
            .json(json!({"setting": "castle", "moved_in_on": "2026-05-01"}))
            .field("setting"),
        case("residence at half an address", "POST", &format!("{client}/residences"), 422)
            .json(json!({"setting": "own_home", "moved_in_on": "2026-05-01", "address": {"line1": " ", "city": "Springfield"}}))
            .field("address.line1"),
        case("tenure over an empty period", "GET", &format!("{client}/community-tenure?from=2026-06-01&to=2026-05-01"), 422)
            .field("to"),
        case("tenure over eleven years", "GET", &format!("{client}/community-tenure?from=2015-01-01&to=2026-06-01"), 422)
            .field("to"),
        case("claim batch ending before it starts", "POST", "/v1/claim-batches", 422)
            .json(json!({"from": "2026-11-20", "to": "2026-11-01"}))
            .field("to"),
        case("claim batch in the future", "POST", "/v1/claim-batches", 422)
            .json(json!({"from": "2026-11-01", "to": "2999-01-01"}))
            .field("to"),
        case("claim batch of an unknown payer", "POST", "/v1/claim-batches", 422)
            .json(json!({"payer": "nobody", "from": "2026-11-01", "to": "2026-11-20"}))
            .field("payer"),
        case("claim batch without dates", "POST", "/v1/claim-batches", 422).json(json!({"payer": "medicaid"})),
        case("outcome of an unknown batch", "POST", &format!("{batch}/lines/{}/outcome", uuid::Uuid::now_v7()), 404)
            .json(json!({"outcome": "paid"}))
            .header("If-Match", "\"1\""),
        case("outcome that is not one", "POST", &format!("{batch}/lines/{}/outcome", uuid::Uuid::now_v7()), 422)
            .json(json!({"outcome": "maybe"}))
            .header("If-Match", "\"1\"")
            .field("outcome"),
        case("billing configuration with a bad code", "POST", "/v1/billing-configs", 422)
            .json(json!({"payer": "medicaid", "name": "TCM", "procedure_code": "T1", "unit_minutes": 15,
                         "rounding": "more_than_half", "max_units_per_day": 16,
                         "billable_activities": ["monitoring_and_follow_up"], "billable_modes": ["phone"],
                         "bills_collateral": true, "requires_medicaid_id": true, "min_narrative_chars": 50}))
            .field("procedure_code"),
        case("login without a password", "POST", "/v1/auth/login", 422).json(json!({"email": "a@example.org"})),
        case("login with a bad email", "POST", "/v1/auth/login", 422).json(json!({"email": "nobody", "password": "x"})).field("email"),
    ];

    let before = counts(spoke, client_id);
    let mut failures = Vec::new();
    for case in cases {
        let mut call = spoke.call(case.method, &case.path).as_user(&admin);
        if let Some(content_type) = case.content_type {
            call = call.header("Content-Type", content_type);
        }
        for (name, value) in &case.headers {
            call = call.header(name, value);
        }
        if let Some(body) = case.body {
            call = call.raw(body);
        }
        let reply = call.send();
        let problem = reply.header("content-type") == Some("application/problem+json")
            && reply.body["status"] == case.status
            && reply.body["request_id"].is_string()
            && reply.body["instance"]
                .as_str()
                .is_some_and(|i| case.path.starts_with(i));
        let field_ok = case.field.is_none_or(|field| {
            reply.body["errors"]
                .as_array()
                .is_some_and(|errors| errors.iter().any(|e| e["field"] == field))
        });
        // The contract's words, not the parser's.
        let plain = ["deserialize", "i32", "struct "]
            .iter()
            .all(|internal| !reply.text.contains(internal));
        if reply.status != case.status || !problem || !field_ok || !plain {
            failures.push(format!(
                "{}: expected {} ({:?}), got {} {}",
                case.name,
                case.status,
                case.field,
                reply.status,
                reply.text.chars().take(300).collect::<String>()
            ));
        }
        if case.status == 405 {
            assert!(
                reply.header("allow").is_some(),
                "{}: no Allow header",
                case.name
            );
        }
    }
    assert!(
        failures.is_empty(),
        "bad inputs answered wrongly:\n{}",
        failures.join("\n")
    );
    assert_eq!(
        counts(spoke, client_id),
        before,
        "a rejected request stored something"
    );
    // And the record the bad requests aimed at is unchanged.
    let after = spoke.get(&client).as_user(&admin).send().expect(200);
    assert_eq!(after.etag(), "\"1\"");
    let rule = spoke
        .get("/v1/alert-rules/no_contact/versions")
        .as_user(&admin)
        .send()
        .expect(200);
    assert_eq!(rule.etag(), "\"1\"", "a refused rule change made a version");
}

fn internal_errors_say_nothing_of_the_cause(spoke: &Spoke) {
    let admin = spoke.admin();
    // Break the database under the server: the next query fails inside.
    let mut conn = spoke.database().conn().unwrap();
    spoke_persistence::testing::execute(&mut conn, "ALTER TABLE clients RENAME TO clients_gone");
    let reply = spoke
        .get("/v1/clients")
        .as_user(&admin)
        .send()
        .expect_problem(500);
    let text = format!("{} {}", reply.body["title"], reply.body["detail"]).to_lowercase();
    assert_eq!(
        reply.body.as_object().unwrap().len(),
        6,
        "no extra members: {}",
        reply.text
    );
    for secret in ["clients", "sql", "table", "diesel", "relation", "no such"] {
        assert!(
            !text.contains(secret),
            "the 500 body leaks {secret:?}: {}",
            reply.text
        );
    }
}

/// UTF-8, declared in any spelling, is what JSON travels in.
fn a_utf8_charset_is_accepted(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    spoke
        .post("/v1/clients")
        .as_user(&cm)
        .header("Content-Type", "application/json; charset=UTF-8")
        .raw(br#"{"given_name":"Ana","family_name":"Lee"}"#.to_vec())
        .send()
        .expect(201);
}

both_backends!(
    a_utf8_charset_is_accepted,
    every_bad_input_is_a_problem_and_stores_nothing,
    internal_errors_say_nothing_of_the_cause,
);
