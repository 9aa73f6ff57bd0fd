//! Appointments over HTTP: scheduling, every status move and every ride
//! move, the referral a kept first visit links, the two-person rule for
//! rides, time zones across a daylight-saving change, calendars and the
//! dispatcher's day, who sees what, and the iCalendar feeds read back by an
//! iCalendar parser.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use icalendar::{Calendar, Component, EventLike};
use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Caseload, Reply, Spoke, TestUser, both_backends, client_body};

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An appointment starting `hours` from now (negative: already begun).
fn visit(hours: i64, extra: Value) -> Value {
    let start = Utc::now() + Duration::hours(hours);
    let mut body = json!({
        "starts_at": rfc3339(start), "ends_at": rfc3339(start + Duration::minutes(45)),
        "kind": "psychiatric", "with_name": "Dr. Okafor", "address": "Riverside Clinic, 40 Mill Rd",
        "notes": "Bring the medication list; ask about the new dose."
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn ride(pickup_hours: i64, extra: Value) -> Value {
    let mut body = json!({
        "mode": "nemt", "pickup_at": rfc3339(Utc::now() + Duration::hours(pickup_hours)),
        "pickup_address": "1200 Elm St", "nemt_trip_id": "MTM-4471902", "cost_cents": 0
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn schedule(spoke: &Spoke, s: &Caseload, who: &TestUser, body: Value) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/appointments", s.client))
        .as_user(who)
        .json(body)
        .send()
}

fn url(reply: &Reply) -> String {
    format!(
        "/v1/clients/{}/appointments/{}",
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

fn move_ride(spoke: &Spoke, who: &TestUser, reply: &Reply, body: Value) -> Reply {
    spoke
        .post(&format!("{}/transport/status", url(reply)))
        .as_user(who)
        .if_match(&reply.etag())
        .json(body)
        .send()
}

fn id(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap().to_owned()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn an_appointment_is_scheduled_changed_and_kept_with_its_ride(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let made = schedule(
        spoke,
        &s,
        &s.cm,
        visit(-2, json!({"transport": ride(-3, json!({}))})),
    )
    .expect(201);
    assert_eq!(made.body["status"], "scheduled");
    assert_eq!(made.body["sensitivity"], "mental_health");
    assert_eq!(made.body["transport"]["status"], "requested");
    assert_eq!(
        strings(&made.body["allowed_moves"]),
        ["kept", "missed", "cancelled", "rescheduled"]
    );
    let location = made.header("location").unwrap().to_owned();
    assert_eq!(location, url(&made));
    let got = spoke.get(&location).as_user(&s.other_cm).send().expect(200);
    assert_eq!(got.body, made.body);

    // Another case manager of the team reads but does not schedule.
    schedule(spoke, &s, &s.other_cm, visit(5, json!({}))).expect_problem(403);
    // The whole appointment, under If-Match: the ride keeps its status while its mode stays.
    let arranged = move_ride(spoke, &s.cm, &made, json!({"status": "arranged"})).expect(200);
    assert_eq!(
        arranged.body["transport"]["arranged_by"],
        s.cm.id.to_string()
    );
    spoke
        .put(&location)
        .as_user(&s.cm)
        .json(visit(-2, json!({})))
        .send()
        .expect_problem(428);
    spoke
        .put(&location)
        .as_user(&s.cm)
        .if_match(&made.etag())
        .json(visit(-2, json!({})))
        .send()
        .expect_problem(412);
    let changed = spoke
        .put(&location)
        .as_user(&s.cm)
        .if_match(&arranged.etag())
        .json(visit(
            -2,
            json!({"kind": "medical", "transport": ride(-3, json!({"pickup_address": "The shelter on 5th"}))}),
        ))
        .send()
        .expect(200);
    assert_eq!(changed.body["kind"], "medical");
    assert_eq!(changed.body["sensitivity"], "health");
    assert_eq!(changed.body["transport"]["status"], "arranged");
    assert_eq!(
        changed.body["transport"]["pickup_address"],
        "The shelter on 5th"
    );

    let done = move_ride(spoke, &s.cm, &changed, json!({"status": "completed"})).expect(200);
    let kept = move_to(spoke, &s.cm, &done, json!({"status": "kept"})).expect(200);
    assert_eq!(kept.body["status"], "kept");
    assert_eq!(kept.body["status_changed_by"], s.cm.id.to_string());
    assert_eq!(kept.body["allowed_moves"], json!([]));
    // A kept appointment never changes.
    spoke
        .put(&location)
        .as_user(&s.cm)
        .if_match(&kept.etag())
        .json(visit(-2, json!({})))
        .send()
        .expect_problem(409);
}

/// Every (status, target) over HTTP: allowed exactly as the lifecycle
/// says, and a refused move is a 409 naming the moves allowed now, with
/// nothing changed.
fn every_status_move_follows_the_lifecycle(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let body = |target: &str| match target {
        "cancelled" => {
            json!({"status": target, "cancelled_by": "client", "reason": "She has the flu."})
        }
        "rescheduled" => {
            json!({"status": target, "new_starts_at": rfc3339(Utc::now() + Duration::days(7))})
        }
        _ => json!({"status": target}),
    };
    let targets = ["scheduled", "kept", "missed", "cancelled", "rescheduled"];
    // From scheduled before and after the start, and from every final status.
    let mut starts: Vec<(&str, i64, Vec<&str>)> = vec![
        ("scheduled", 3, vec!["cancelled", "rescheduled"]),
        (
            "scheduled",
            -1,
            vec!["kept", "missed", "cancelled", "rescheduled"],
        ),
    ];
    for final_status in ["kept", "missed", "cancelled", "rescheduled"] {
        starts.push((final_status, -1, vec![]));
    }
    for (from, hours, allowed) in starts {
        for target in targets {
            let mut made = schedule(spoke, &s, &s.cm, visit(hours, json!({}))).expect(201);
            if from != "scheduled" {
                made = move_to(spoke, &s.cm, &made, body(from)).expect(200);
            }
            let moved = move_to(spoke, &s.cm, &made, body(target));
            if allowed.contains(&target) {
                let moved = moved.expect(200);
                assert_eq!(moved.body["status"], target, "{from} -> {target}");
            } else {
                let refused = moved.expect_problem(409);
                assert_eq!(refused.body["type"], "/problems/illegal-move");
                assert_eq!(refused.body["current_status"], from);
                assert_eq!(
                    strings(&refused.body["allowed_moves"]),
                    allowed,
                    "{from} -> {target}"
                );
                let now = spoke.get(&url(&made)).as_user(&s.cm).send().expect(200);
                assert_eq!(now.body, made.body, "{from} -> {target} changed nothing");
            }
        }
    }

    // Cancelling names who and why; rescheduling makes the new appointment.
    let made = schedule(
        spoke,
        &s,
        &s.cm,
        visit(3, json!({"transport": ride(2, json!({}))})),
    )
    .expect(201);
    let refused = move_to(spoke, &s.cm, &made, json!({"status": "cancelled"})).expect_problem(422);
    assert_eq!(
        refused.error_codes(),
        [
            ("reason".into(), "required".into()),
            ("cancelled_by".into(), "required".into())
        ]
    );
    let later = Utc::now() + Duration::days(7);
    let moved = move_to(
        spoke,
        &s.cm,
        &made,
        json!({"status": "rescheduled", "new_starts_at": rfc3339(later)}),
    )
    .expect(200);
    let new_id = moved.body["rescheduled_to"].as_str().unwrap();
    let new = spoke
        .get(&format!("/v1/clients/{}/appointments/{new_id}", s.client))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(new.body["rescheduled_from"], made.body["id"]);
    assert_eq!(new.body["status"], "scheduled");
    assert_eq!(new.body["starts_at"], rfc3339(later));
    assert_eq!(new.body["transport"]["status"], "requested");
    assert_eq!(new.body["notes"], made.body["notes"]);
}

/// Every (ride status, target): completed only once the pickup has passed.
fn every_ride_move_follows_the_lifecycle(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let body = |target: &str| match target {
        "failed" => json!({"status": target, "reason": "The driver did not come."}),
        _ => json!({"status": target}),
    };
    let cases: Vec<(&str, i64, Vec<&str>)> = vec![
        ("requested", 2, vec!["arranged", "failed"]),
        ("arranged", 2, vec!["failed"]),
        ("arranged", -1, vec!["completed", "failed"]),
        ("completed", -1, vec![]),
        ("failed", 2, vec![]),
    ];
    for (from, pickup, allowed) in cases {
        for target in ["requested", "arranged", "completed", "failed"] {
            let mut made = schedule(
                spoke,
                &s,
                &s.cm,
                visit(pickup + 1, json!({"transport": ride(pickup, json!({}))})),
            )
            .expect(201);
            for step in match from {
                "arranged" => vec!["arranged"],
                "completed" => vec!["arranged", "completed"],
                "failed" => vec!["failed"],
                _ => vec![],
            } {
                made = move_ride(spoke, &s.cm, &made, body(step)).expect(200);
            }
            let moved = move_ride(spoke, &s.cm, &made, body(target));
            if allowed.contains(&target) {
                assert_eq!(moved.expect(200).body["transport"]["status"], target);
            } else {
                let refused = moved.expect_problem(409);
                assert_eq!(refused.body["current_status"], from, "{from} -> {target}");
                assert_eq!(
                    strings(&refused.body["allowed_moves"]),
                    allowed,
                    "{from} -> {target}"
                );
            }
        }
    }
    // A failed ride says why; an appointment without a ride has none to move.
    let made = schedule(
        spoke,
        &s,
        &s.cm,
        visit(3, json!({"transport": ride(2, json!({}))})),
    )
    .expect(201);
    let refused = move_ride(spoke, &s.cm, &made, json!({"status": "failed"})).expect_problem(422);
    assert_eq!(
        refused.error_codes(),
        [("reason".into(), "required".into())]
    );
    let bare = schedule(spoke, &s, &s.cm, visit(3, json!({}))).expect(201);
    move_ride(spoke, &s.cm, &bare, json!({"status": "arranged"})).expect_problem(409);
}

/// Keeping the first visit of a referral sets its `linked_on`, in the same
/// transaction; another client's referral cannot be named.
fn a_kept_first_visit_links_its_referral(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let admin = spoke.admin();
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
        .post(&format!("/v1/clients/{}/referrals", s.client))
        .as_user(&s.cm)
        .json(
            json!({"service_id": service.body["id"], "reason": "Needs a food box this week.",
                     "needs": ["food"], "priority": "urgent", "due_by": "2030-01-01"}),
        )
        .send()
        .expect(201);
    assert_eq!(referral.body["linked_on"], Value::Null);
    let first = schedule(
        spoke,
        &s,
        &s.cm,
        visit(
            -1,
            json!({"kind": "other", "service_id": service.body["id"], "referral_id": referral.body["id"]}),
        ),
    )
    .expect(201);
    move_to(spoke, &s.cm, &first, json!({"status": "kept"})).expect(200);
    let linked = spoke
        .get(&format!("/v1/referrals/{}", id(&referral)))
        .as_user(&s.cm)
        .send()
        .expect(200);
    let start: DateTime<Utc> = first.body["starts_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        linked.body["linked_on"],
        start.date_naive().to_string(),
        "the server's agency is on UTC"
    );
    // The referral's change is its own audited update.
    let audit = spoke
        .get(&format!("/v1/audit-events?client_id={}", s.client))
        .as_user(&admin)
        .send()
        .expect(200);
    assert!(audit.body["items"].as_array().unwrap().iter().any(|e| {
        e["action"] == "record.updated"
            && e["resource_type"] == "referral"
            && e["resource_id"] == referral.body["id"]
    }));
    // Keeping a second visit leaves the first day linked.
    let second = schedule(
        spoke,
        &s,
        &s.cm,
        visit(
            -1,
            json!({"with_name": "Pantry", "referral_id": referral.body["id"]}),
        ),
    )
    .expect(201);
    move_to(spoke, &s.cm, &second, json!({"status": "kept"})).expect(200);
    let again = spoke
        .get(&format!("/v1/referrals/{}", id(&referral)))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(again.body["linked_on"], linked.body["linked_on"]);
    assert_eq!(again.body["version"], linked.body["version"]);

    let other = spoke
        .post("/v1/clients")
        .as_user(&s.cm)
        .json(client_body("Ana", "Lee"))
        .send()
        .expect(201);
    let refused = spoke
        .post(&format!("/v1/clients/{}/appointments", id(&other)))
        .as_user(&s.cm)
        .json(visit(2, json!({"referral_id": referral.body["id"]})))
        .send()
        .expect_problem(422);
    assert_eq!(
        refused.error_codes(),
        [("referral_id".into(), "unknown_reference".into())]
    );
}

/// A client flagged `two_person_visits` is never driven by one staff member.
fn a_flagged_client_is_never_driven_by_one_staff_member(spoke: &Spoke) {
    let s = spoke.caseload(json!({"risk_flags": ["two_person_visits"]}));
    let one = json!({"mode": "case_manager_drives", "staff_ids": [s.cm.id]});
    let refused =
        schedule(spoke, &s, &s.cm, visit(3, json!({"transport": one}))).expect_problem(422);
    assert_eq!(
        refused.error_codes(),
        [("transport.staff_ids".into(), "two_person_visits".into())]
    );
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("two_person_visits")
    );
    let list = format!("/v1/clients/{}/appointments", s.client);
    let none = spoke.get(&list).as_user(&s.cm).send().expect(200);
    assert_eq!(none.ids(), Vec::<String>::new(), "nothing stored");
    let two = json!({"mode": "case_manager_drives", "staff_ids": [s.cm.id, s.other_cm.id]});
    schedule(spoke, &s, &s.cm, visit(3, json!({"transport": two}))).expect(201);
    let bus = json!({"mode": "bus_pass"});
    schedule(spoke, &s, &s.cm, visit(3, json!({"transport": bus}))).expect(201);
}

/// Calendars across clients, the dispatcher's day in pickup order, and
/// who sees which appointments.
fn calendars_and_who_sees_what(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let therapist = spoke.user("t@example.org", Role::CareTeamMember, None);
    spoke
        .post(&format!("/v1/clients/{}/care-team", s.client))
        .as_user(&s.cm)
        .json(json!({"kind": "staff", "user_id": therapist.id, "started_on": "2026-01-01"}))
        .send()
        .expect(201);
    let south = spoke.team("South");
    let stranger = spoke.user("s@example.org", Role::CaseManager, Some(south));
    let billing = spoke.user("b@example.org", Role::Billing, None);
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    let at = |hour: u32| tomorrow.and_hms_opt(hour, 0, 0).unwrap().and_utc();
    let body = |start: DateTime<Utc>, kind: &str, pickup: Option<DateTime<Utc>>| {
        let mut b = json!({"starts_at": rfc3339(start), "ends_at": rfc3339(start + Duration::hours(1)),
                           "kind": kind, "with_name": "Someone"});
        if let Some(p) = pickup {
            b["transport"] = json!({"mode": "agency_vehicle", "pickup_at": rfc3339(p)});
        }
        b
    };
    let psych = schedule(spoke, &s, &s.cm, body(at(15), "psychiatric", Some(at(14)))).expect(201);
    let medical = schedule(spoke, &s, &s.cm, body(at(12), "medical", Some(at(8)))).expect(201);
    let court = schedule(spoke, &s, &s.cm, body(at(10), "court_or_probation", None)).expect(201);

    let day = format!("from={tomorrow}&to={tomorrow}");
    let calendar = spoke
        .get(&format!(
            "/v1/appointments?case_manager_id={}&{day}",
            s.cm.id
        ))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(calendar.ids(), [id(&court), id(&medical), id(&psych)]);
    let rides = spoke
        .get(&format!("/v1/transport?date={tomorrow}"))
        .as_user(&s.other_cm)
        .send()
        .expect(200);
    assert_eq!(rides.ids(), [id(&medical), id(&psych)], "pickup order");

    // The therapist on the care team: general and health, not another's psychiatric visit.
    let theirs = spoke
        .get(&format!("/v1/clients/{}/appointments", s.client))
        .as_user(&therapist)
        .send()
        .expect(200);
    assert_eq!(theirs.ids(), [id(&court), id(&medical)]);
    spoke
        .get(&url(&psych))
        .as_user(&therapist)
        .send()
        .expect_problem(404);
    spoke
        .get(&url(&medical))
        .as_user(&therapist)
        .send()
        .expect(200);
    // Another team's case manager and billing staff see none of it.
    for outsider in [&stranger, &billing] {
        spoke
            .get(&url(&medical))
            .as_user(outsider)
            .send()
            .expect_problem(404);
        let seen = spoke
            .get(&format!("/v1/appointments?{day}"))
            .as_user(outsider)
            .send()
            .expect(200);
        assert_eq!(seen.ids(), Vec::<String>::new());
        let rides = spoke
            .get(&format!("/v1/transport?date={tomorrow}"))
            .as_user(outsider)
            .send()
            .expect(200);
        assert_eq!(rides.ids(), Vec::<String>::new());
    }
}

/// With the agency on New York time, the same 09:00 visit a week apart
/// across the end of daylight saving time shows its two offsets; the
/// agency's dates bound calendars by the local day, and the iCalendar
/// feed carries the same instants.
fn time_zones_hold_across_a_daylight_saving_change(spoke: &Spoke) {
    let Some(spoke) = Spoke::start_with(spoke.backend(), |settings| {
        settings.timezone = chrono_tz::America::New_York;
        // The feed's window (30 days back, 180 ahead) holds every appointment below.
        settings.fixed_now = Some("2026-11-05T12:00:00Z".parse().unwrap());
    }) else {
        return;
    };
    let s = spoke.caseload(json!({}));
    let make = |start: &str, end: &str| {
        schedule(
            &spoke,
            &s,
            &s.cm,
            json!({"starts_at": start, "ends_at": end, "kind": "therapy", "with_name": "Group"}),
        )
        .expect(201)
    };
    // 09:00 EDT and 09:00 EST (the clocks go back on 1 November 2026); the
    // second given with its local offset.
    let before = make("2026-10-30T13:00:00Z", "2026-10-30T14:00:00Z");
    let after = make("2026-11-06T09:00:00-05:00", "2026-11-06T10:00:00-05:00");
    assert_eq!(before.body["local_starts_at"], "2026-10-30T09:00:00-04:00");
    assert_eq!(after.body["starts_at"], "2026-11-06T14:00:00Z");
    assert_eq!(after.body["local_starts_at"], "2026-11-06T09:00:00-05:00");
    assert_eq!(after.body["time_zone"], "America/New_York");
    // 23:30 on 31 October (EDT) and 23:30 on 1 November (EST): in UTC both
    // fall on the next day.
    let halloween = make("2026-11-01T03:30:00Z", "2026-11-01T04:00:00Z");
    let first = make("2026-11-02T04:30:00Z", "2026-11-02T05:00:00Z");
    let on = |day: &str| {
        spoke
            .get(&format!(
                "/v1/clients/{}/appointments?from={day}&to={day}",
                s.client
            ))
            .as_user(&s.cm)
            .send()
            .expect(200)
            .ids()
    };
    assert_eq!(on("2026-10-31"), [id(&halloween)]);
    assert_eq!(on("2026-11-01"), [id(&first)]);
    assert_eq!(on("2026-11-02"), Vec::<String>::new());
    // A range that ends before it starts is refused.
    spoke
        .get(&format!(
            "/v1/clients/{}/appointments?from=2026-11-02&to=2026-11-01",
            s.client
        ))
        .as_user(&s.cm)
        .send()
        .expect_problem(422);

    // The feed carries the same instants, in UTC.
    let ics = spoke
        .get("/v1/me/calendar.ics")
        .as_user(&s.cm)
        .send()
        .expect(200);
    let calendar: Calendar = ics.text.parse().unwrap();
    let start_of = |reply: &Reply| {
        calendar
            .events()
            .find(|e| e.get_uid().unwrap() == format!("{}@spoke", id(reply)))
            .unwrap()
            .get_start()
            .unwrap()
    };
    let utc = |raw: &str| {
        icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(raw.parse().unwrap()))
    };
    assert_eq!(start_of(&before), utc("2026-10-30T13:00:00Z"));
    assert_eq!(start_of(&after), utc("2026-11-06T14:00:00Z"));
    assert_eq!(calendar.events().count(), 4);
}

/// The calendar feed: the minimum necessary, parsed by an iCalendar
/// parser; a secret address that works without a token until revoked.
fn calendar_feeds_carry_the_minimum_and_can_be_revoked(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let kept = schedule(spoke, &s, &s.cm, visit(-2, json!({}))).expect(201);
    let coming = schedule(
        spoke,
        &s,
        &s.cm,
        visit(48, json!({"kind": "substance_use_treatment"})),
    )
    .expect(201);
    let called_off = schedule(spoke, &s, &s.cm, visit(72, json!({}))).expect(201);
    move_to(
        spoke,
        &s.cm,
        &called_off,
        json!({"status": "cancelled", "cancelled_by": "provider", "reason": "Doctor out sick"}),
    )
    .expect(200);
    let ics = spoke
        .get("/v1/me/calendar.ics")
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert!(
        ics.header("content-type")
            .unwrap()
            .starts_with("text/calendar")
    );
    let calendar: Calendar = ics.text.parse().unwrap();
    let mut events: Vec<_> = calendar.events().collect();
    events.sort_by_key(|e| e.get_uid().unwrap().to_owned());
    assert_eq!(events.len(), 3);
    let by_id = |reply: &Reply| {
        *events
            .iter()
            .find(|e| e.get_uid().unwrap() == format!("{}@spoke", id(reply)))
            .unwrap()
    };
    assert_eq!(
        by_id(&kept).get_summary().unwrap(),
        "M. R. – Psychiatric appointment"
    );
    assert_eq!(
        by_id(&coming).get_summary().unwrap(),
        "M. R. – Treatment appointment"
    );
    assert_eq!(
        by_id(&kept).get_location().unwrap(),
        "Riverside Clinic, 40 Mill Rd"
    );
    assert_eq!(
        by_id(&called_off).get_status(),
        Some(icalendar::EventStatus::Cancelled)
    );
    // No name, no notes, no diagnosis.
    for secret in [
        "Maria",
        "Rivera",
        "medication",
        "dose",
        "substance",
        "Okafor",
    ] {
        assert!(!ics.text.contains(secret), "{secret} leaked into the feed");
    }

    // Another case manager's calendar holds none of these.
    let theirs: Calendar = spoke
        .get("/v1/me/calendar.ics")
        .as_user(&s.other_cm)
        .send()
        .expect(200)
        .text
        .parse()
        .unwrap();
    assert_eq!(theirs.events().count(), 0);

    // The feed: no token, the secret instead; a new feed revokes the old.
    spoke
        .delete("/v1/me/calendar-feed")
        .as_user(&s.cm)
        .send()
        .expect_problem(404);
    let feed = spoke
        .post("/v1/me/calendar-feed")
        .as_user(&s.cm)
        .send()
        .expect(201);
    let address = feed.body["url"].as_str().unwrap().to_owned();
    let read = spoke.get(&address).send().expect(200);
    let fed: Calendar = read.text.parse().unwrap();
    assert_eq!(fed.events().count(), 3);
    let again = spoke
        .post("/v1/me/calendar-feed")
        .as_user(&s.cm)
        .send()
        .expect(201);
    spoke.get(&address).send().expect_problem(404);
    let address = again.body["url"].as_str().unwrap().to_owned();
    spoke.get(&address).send().expect(200);
    // The feed's reads are the owner's, in the audit log.
    let audit = spoke
        .get(&format!("/v1/audit-events?actor_id={}", s.cm.id))
        .as_user(&spoke.admin())
        .send()
        .expect(200);
    assert!(
        audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["resource_type"] == "appointment_list"
                && e["client_ids"] == json!([s.client]))
    );
    spoke
        .delete("/v1/me/calendar-feed")
        .as_user(&s.cm)
        .send()
        .expect(204);
    spoke.get(&address).send().expect_problem(404);
    spoke
        .get("/v1/calendar-feeds/not-a-feed.ics")
        .send()
        .expect_problem(404);
}

/// Bad input is refused with every reason, and nothing is stored.
fn bad_appointments_are_refused_with_every_reason(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let refused = schedule(
        spoke,
        &s,
        &s.cm,
        json!({"starts_at": "2026-12-03T15:00:00Z", "ends_at": "2026-12-03T14:00:00Z", "kind": "medical",
               "location_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10", "address": "Here",
               "transport": {"mode": "nemt", "pickup_at": "2026-12-03T16:00:00Z", "cost_cents": -5}}),
    )
    .expect_problem(422);
    assert_eq!(
        refused.error_codes(),
        [
            ("ends_at".into(), "before_start".into()),
            ("with_name".into(), "required".into()),
            ("address".into(), "conflicting".into()),
            ("transport.pickup_at".into(), "after_start".into()),
            ("transport.cost_cents".into(), "out_of_range".into()),
        ]
    );
    let unknown = schedule(
        spoke,
        &s,
        &s.cm,
        visit(
            2,
            json!({"address": null, "location_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10"}),
        ),
    )
    .expect_problem(422);
    assert_eq!(
        unknown.error_codes(),
        [("location_id".into(), "unknown_reference".into())]
    );
    schedule(spoke, &s, &s.cm, visit(2, json!({"kind": "dentist"}))).expect_problem(422);
    let list = spoke
        .get(&format!("/v1/clients/{}/appointments", s.client))
        .as_user(&s.cm)
        .send()
        .expect(200);
    assert_eq!(list.ids(), Vec::<String>::new());
}

both_backends!(
    an_appointment_is_scheduled_changed_and_kept_with_its_ride,
    every_status_move_follows_the_lifecycle,
    every_ride_move_follows_the_lifecycle,
    a_kept_first_visit_links_its_referral,
    a_flagged_client_is_never_driven_by_one_staff_member,
    calendars_and_who_sees_what,
    time_zones_hold_across_a_daylight_saving_change,
    calendar_feeds_carry_the_minimum_and_can_be_revoked,
    bad_appointments_are_refused_with_every_reason,
);
