//! Who may do what: every role against every endpoint, on both backends.
//! A client the actor may not see is always a 404, never a 403.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::json;
use spoke_domain::appointment::{Appointment, AppointmentInput};
use spoke_domain::benefit::{Application, ApplicationInput};
use spoke_domain::care::{CareTeamInput, CareTeamKind, CareTeamMember};
use spoke_domain::client::{Client, ClientDetailsInput};
use spoke_domain::contact::{Contact, ContactCheck, ContactInput, ContactRules, LocalStart};
use spoke_domain::critical_event::{CriticalEvent, EventInput};
use spoke_domain::episode::{
    DischargeInput, DischargeReason, EnrollmentInput, Episode, PendingClosure,
};
use spoke_domain::ids::{ClientId, TeamId, UserId};
use spoke_domain::residence::{Residence, ResidenceInput};
use spoke_domain::safety_plan::SafetyPlan;
use spoke_domain::staff::Role;
use spoke_domain::transfer::{Transfer, TransferInput};
use spoke_persistence::{
    appointments, assessments, benefits, care, clients, contacts, episodes, events, safety_plans,
    transfers,
};
use spoke_tests::{Spoke, TestUser, both_backends, client_body};

struct World {
    team_a: TeamId,
    team_b: TeamId,
    /// A case manager of team B.
    cm_b: UserId,
    cm_a: TestUser,
    /// On the care team of every client `client_of_a` makes.
    care_a: TestUser,
    actors: Vec<(&'static str, TestUser)>,
}

fn world(spoke: &Spoke) -> World {
    let team_a = spoke.team("Team A");
    let team_b = spoke.team("Team B");
    let cm_a = spoke.user("cm-a@example.org", Role::CaseManager, Some(team_a));
    let cm_b = spoke.user("cm-b@example.org", Role::CaseManager, Some(team_b));
    let care_a = spoke.user("care-a@example.org", Role::CareTeamMember, None);
    let actors = vec![
        ("admin", spoke.user("admin@example.org", Role::Admin, None)),
        (
            "supervisor A",
            spoke.user("sup-a@example.org", Role::Supervisor, Some(team_a)),
        ),
        ("primary case manager A", cm_a.clone()),
        (
            "other case manager A",
            spoke.user("cm-a2@example.org", Role::CaseManager, Some(team_a)),
        ),
        ("case manager B", cm_b.clone()),
        (
            "supervisor B",
            spoke.user("sup-b@example.org", Role::Supervisor, Some(team_b)),
        ),
        (
            "care-team member elsewhere",
            spoke.user("care@example.org", Role::CareTeamMember, None),
        ),
        ("care-team member of the client", care_a.clone()),
        (
            "billing",
            spoke.user("billing@example.org", Role::Billing, None),
        ),
    ];
    World {
        team_a,
        team_b,
        cm_b: cm_b.id,
        cm_a,
        care_a,
        actors,
    }
}

/// A fresh client of team A on `cm_a`'s caseload, so each cell starts clean.
fn client_of_a(spoke: &Spoke, world: &World) -> ClientId {
    let details: ClientDetailsInput = serde_json::from_value(client_body("Ana", "Lee")).unwrap();
    let client = Client::new(
        details.parse(chrono::Utc::now().date_naive()).unwrap(),
        world.team_a,
        Some(world.cm_a.id),
        spoke_persistence::now(),
    );
    let mut conn = spoke.database().conn().unwrap();
    clients::insert(&mut conn, &client).unwrap();
    let on_team = CareTeamInput {
        kind: CareTeamKind::Staff,
        user_id: Some(world.care_a.id),
        name: None,
        profession: None,
        organization: None,
        phone: None,
        email: None,
        responsibility: None,
        started_on: chrono::Utc::now().date_naive(),
        ended_on: None,
    };
    let member = CareTeamMember::new(
        client.id,
        on_team.parse().unwrap(),
        spoke_persistence::now(),
    );
    care::insert_member(&mut conn, &member).unwrap();
    client.id
}

/// A general, draft contact by `cm_a` with a fresh client of team A: its
/// id and its URL.
fn contact_of_a(spoke: &Spoke, world: &World) -> (String, String) {
    let client = client_of_a(spoke, world);
    let input: ContactInput = serde_json::from_value(contact_body()).unwrap();
    let fields = input
        .parse(ContactCheck {
            author: world.cm_a.id,
            risk_flags: &Default::default(),
            now: spoke_persistence::now(),
        })
        .unwrap();
    let contact = Contact::new(
        client,
        world.cm_a.id,
        fields,
        LocalStart(chrono::Utc::now().naive_utc()),
        &ContactRules::default(),
        spoke_persistence::now(),
    );
    contacts::insert_contact(&mut spoke.database().conn().unwrap(), &contact).unwrap();
    (
        contact.id.to_string(),
        format!("/v1/clients/{client}/contacts/{}", contact.id),
    )
}

fn contact_body() -> serde_json::Value {
    json!({"started_at": "2026-11-20T15:30:00Z", "duration_minutes": 30, "mode": "phone",
           "setting": "client_home", "client_present": true, "activities": ["monitoring_and_follow_up"],
           "narrative": "Checked in by phone."})
}

type Cell = fn(&Spoke, &World, &TestUser, usize) -> u16;

/// Runs every cell of the matrix, one actor per row, and reports every
/// mismatch at once.
fn check<const N: usize>(
    spoke: &Spoke,
    world: &World,
    endpoints: &[(&str, Cell); N],
    expected: [[u16; N]; 9],
) {
    let mut failures = Vec::new();
    let mut n = 0;
    for ((who, actor), row) in world.actors.iter().zip(expected) {
        for ((what, cell), status) in endpoints.iter().zip(row) {
            n += 1;
            let got = cell(spoke, world, actor, n);
            if got != status {
                failures.push(format!("{who} / {what}: expected {status}, got {got}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "policy matrix mismatches:\n{}",
        failures.join("\n")
    );
}

fn role_by_endpoint_matrix(spoke: &Spoke) {
    let world = world(spoke);
    let endpoints: [(&str, Cell); 37] = [
        ("get client", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}")).as_user(u).send().status
        }),
        ("client in list", |s, w, u, _| {
            let id = client_of_a(s, w).to_string();
            let reply = s.get("/v1/clients?limit=200").as_user(u).send();
            let listed = reply.body["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|c| c["id"] == id));
            if listed { 200 } else { 404 }
        }),
        ("update client", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.patch(&format!("/v1/clients/{id}"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"preferred_name": "A"}))
                .send()
                .status
        }),
        ("change status", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/status"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"status": "active"}))
                .send()
                .status
        }),
        ("assign case manager", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.put(&format!("/v1/clients/{id}/case-manager"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"case_manager_id": null}))
                .send()
                .status
        }),
        ("create client in team A", |s, w, u, _| {
            s.post("/v1/clients")
                .as_user(u)
                .json(json!({"given_name": "New", "family_name": "Client", "team_id": w.team_a}))
                .send()
                .status
        }),
        ("list users", |s, _, u, _| {
            s.get("/v1/users").as_user(u).send().status
        }),
        ("create user", |s, w, u, n| {
            s.post("/v1/users")
                .as_user(u)
                .json(json!({
                    "email": format!("new{n}@example.org"), "display_name": "New", "role": "case_manager",
                    "team_id": w.team_a, "password": "a long enough password"
                }))
                .send()
                .status
        }),
        ("get user cm A", |s, w, u, _| {
            s.get(&format!("/v1/users/{}", w.cm_a.id))
                .as_user(u)
                .send()
                .status
        }),
        ("list teams", |s, _, u, _| {
            s.get("/v1/teams").as_user(u).send().status
        }),
        ("get team A", |s, w, u, _| {
            s.get(&format!("/v1/teams/{}", w.team_a))
                .as_user(u)
                .send()
                .status
        }),
        ("create team", |s, _, u, n| {
            s.post("/v1/teams")
                .as_user(u)
                .json(json!({"name": format!("Team {n}")}))
                .send()
                .status
        }),
        ("read audit log", |s, _, u, _| {
            s.get("/v1/audit-events").as_user(u).send().status
        }),
        ("list care team", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/care-team"))
                .as_user(u)
                .send()
                .status
        }),
        ("add care-team member", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/care-team"))
                .as_user(u)
                .json(json!({"kind": "external", "name": "Dr. Lopez", "profession": "therapist", "started_on": "2026-11-01"}))
                .send()
                .status
        }),
        ("add natural support", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/natural-supports"))
                .as_user(u)
                .json(json!({"name": "Rosa", "relationship": "sibling", "may_share_information": true}))
                .send()
                .status
        }),
        ("start assessment", |s, w, u, _| {
            let id = client_of_a(s, w);
            let ssm = assessments::latest_instrument(&mut s.database().conn().unwrap(), "ssm")
                .unwrap()
                .unwrap();
            s.post(&format!("/v1/clients/{id}/assessments"))
                .as_user(u)
                .json(
                    json!({"instrument_id": ssm.id, "assessed_on": "2026-11-01", "kind": "intake"}),
                )
                .send()
                .status
        }),
        ("assessment trend", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/assessments/trend"))
                .as_user(u)
                .send()
                .status
        }),
        ("draft plan", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/plans"))
                .as_user(u)
                .json(json!({"effective_on": "2026-11-01", "review_due_on": "2027-02-01"}))
                .send()
                .status
        }),
        ("list client plans", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/plans"))
                .as_user(u)
                .send()
                .status
        }),
        ("record consent", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/consents"))
                .as_user(u)
                .json(json!({"any_organization": true, "categories": ["general"], "purpose": "Referrals",
                             "effective_on": "2026-11-01", "method": "signed"}))
                .send()
                .status
        }),
        ("list consents", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/consents"))
                .as_user(u)
                .send()
                .status
        }),
        ("record contact", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/contacts"))
                .as_user(u)
                .json(contact_body())
                .send()
                .status
        }),
        ("list client contacts", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/contacts"))
                .as_user(u)
                .send()
                .status
        }),
        ("contact in list", |s, w, u, _| {
            let (id, _) = contact_of_a(s, w);
            let reply = s.get("/v1/contacts?limit=200").as_user(u).send();
            let listed = reply.body["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|c| c["id"] == id));
            if listed { 200 } else { 404 }
        }),
        // A draft: allowed is a 409 (only a signed contact is co-signed).
        ("cosign contact", |s, w, u, _| {
            let (_, url) = contact_of_a(s, w);
            s.post(&format!("{url}/cosign")).as_user(u).send().status
        }),
        ("get contact", |s, w, u, _| {
            let (_, url) = contact_of_a(s, w);
            s.get(&url).as_user(u).send().status
        }),
        // Only the author (cm A) changes or signs a draft.
        ("revise contact", |s, w, u, _| {
            let (_, url) = contact_of_a(s, w);
            s.put(&url)
                .as_user(u)
                .if_match("\"1\"")
                .json(contact_body())
                .send()
                .status
        }),
        ("sign contact", |s, w, u, _| {
            let (_, url) = contact_of_a(s, w);
            s.post(&format!("{url}/sign"))
                .as_user(u)
                .if_match("\"1\"")
                .send()
                .status
        }),
        ("list billing configs", |s, _, u, _| {
            s.get("/v1/billing-configs").as_user(u).send().status
        }),
        ("list claim batches", |s, _, u, _| {
            s.get("/v1/claim-batches").as_user(u).send().status
        }),
        ("add billing config", |s, _, u, n| {
            s.post("/v1/billing-configs")
                .as_user(u)
                .json(json!({"payer": format!("payer_{n}"), "name": "TCM", "procedure_code": "T1017",
                    "unit_minutes": 15, "rounding": "more_than_half", "max_units_per_day": 16,
                    "billable_activities": ["monitoring_and_follow_up"], "billable_modes": ["phone"],
                    "bills_collateral": true, "requires_medicaid_id": true, "min_narrative_chars": 50}))
                .send()
                .status
        }),
        // No batch has this id: allowed is a 404, the rest a 403 before any lookup.
        ("get claim batch", |s, _, u, _| {
            let id = uuid::Uuid::now_v7();
            s.get(&format!("/v1/claim-batches/{id}"))
                .as_user(u)
                .send()
                .status
        }),
        ("export claim batch", |s, _, u, _| {
            let id = uuid::Uuid::now_v7();
            s.post(&format!("/v1/claim-batches/{id}/export"))
                .as_user(u)
                .if_match("\"1\"")
                .send()
                .status
        }),
        ("void claim batch", |s, _, u, _| {
            let id = uuid::Uuid::now_v7();
            s.post(&format!("/v1/claim-batches/{id}/void"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"reason": "Wrong payer."}))
                .send()
                .status
        }),
        ("record claim line outcome", |s, _, u, _| {
            let (id, line) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
            s.post(&format!("/v1/claim-batches/{id}/lines/{line}/outcome"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"outcome": "paid"}))
                .send()
                .status
        }),
        // Nothing is billable in this world: allowed is a 422, nothing_to_bill.
        ("create claim batch", |s, _, u, _| {
            let today = chrono::Utc::now().date_naive();
            s.post("/v1/claim-batches")
                .as_user(u)
                .json(json!({"from": today - chrono::Duration::days(30), "to": today}))
                .send()
                .status
        }),
    ];
    // Rows follow `world().actors`; columns follow `endpoints`.
    #[rustfmt::skip]
    let expected: [[u16; 37]; 9] = [
        // get list  upd  stat asgn crt  lsU  crU  getU lsT  getT crT  audit lsCT addCT addNS asmt trend plan lsPl cons lsCo con  lsCon inCon coCon getC revC sgnC lsBC lsCB addBC getB expB voidB outB crCB
        [200, 200, 200, 200, 200, 201, 200, 201, 200, 200, 200, 201, 200, 200, 201, 201, 201, 200, 201, 200, 201, 200, 201, 200, 200, 409, 200, 403, 403, 200, 200, 201, 404, 404, 404, 404, 422], // admin
        [200, 200, 200, 200, 200, 201, 200, 403, 200, 200, 200, 403, 403, 200, 201, 201, 201, 200, 201, 200, 201, 200, 201, 200, 200, 409, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403], // supervisor A
        [200, 200, 200, 200, 403, 201, 403, 403, 200, 403, 403, 403, 403, 200, 201, 201, 201, 200, 201, 200, 201, 200, 201, 200, 200, 403, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403], // primary cm A
        [200, 200, 403, 403, 403, 201, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 200, 403, 200, 403, 200, 403, 200, 200, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403], // other cm A
        [404, 404, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403, 403], // cm B
        [404, 404, 404, 404, 404, 403, 200, 403, 404, 200, 404, 403, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403, 403], // supervisor B
        [404, 404, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403, 403], // care-team member elsewhere
        [200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 200, 403, 200, 403, 200, 201, 200, 200, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403], // care-team member of the client
        [404, 404, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404, 404, 404, 404, 200, 200, 403, 404, 404, 404, 404, 422], // billing
    ];
    check(spoke, &world, &endpoints, expected);
}

/// An appointment of `kind` tomorrow at noon, with a ride, made by `cm_a`
/// for a fresh client of team A: its id and URL.
fn appointment_of_a(spoke: &Spoke, world: &World, kind: &str) -> (String, String) {
    let client = client_of_a(spoke, world);
    let input: AppointmentInput = serde_json::from_value(appointment_body(kind)).unwrap();
    let (fields, ride) = input.parse(&Default::default()).unwrap();
    let appointment = Appointment::new(
        client,
        fields,
        ride,
        world.cm_a.id,
        spoke_persistence::now(),
    );
    appointments::insert_appointment(&mut spoke.database().conn().unwrap(), &appointment).unwrap();
    (
        appointment.id.to_string(),
        format!("/v1/clients/{client}/appointments/{}", appointment.id),
    )
}

fn tomorrow() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Duration::days(1)
}

fn appointment_body(kind: &str) -> serde_json::Value {
    let noon = tomorrow().and_hms_opt(12, 0, 0).unwrap().and_utc();
    json!({"starts_at": noon, "ends_at": noon + chrono::Duration::hours(1), "kind": kind,
           "with_name": "Housing office", "transport": {"mode": "bus_pass"}})
}

/// Whether a list at `path` shows the appointment `id`: 200, else 404.
fn listed(s: &Spoke, u: &TestUser, path: &str, id: &str) -> u16 {
    let reply = s.get(path).as_user(u).send();
    let shown = reply.body["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|a| a["id"] == id));
    if shown { 200 } else { 404 }
}

fn appointments_by_role(spoke: &Spoke) {
    let world = world(spoke);
    let endpoints: [(&str, Cell); 12] = [
        ("create appointment", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/appointments"))
                .as_user(u)
                .json(appointment_body("housing"))
                .send()
                .status
        }),
        ("list client appointments", |s, w, u, _| {
            let (id, url) = appointment_of_a(s, w, "housing");
            let list = url.rsplit_once('/').unwrap().0.to_owned();
            let status = s.get(&list).as_user(u).send().status;
            if status == 200 {
                listed(s, u, &list, &id)
            } else {
                status
            }
        }),
        ("get appointment", |s, w, u, _| {
            let (_, url) = appointment_of_a(s, w, "housing");
            s.get(&url).as_user(u).send().status
        }),
        ("get psychiatric appointment", |s, w, u, _| {
            let (_, url) = appointment_of_a(s, w, "psychiatric");
            s.get(&url).as_user(u).send().status
        }),
        ("replace appointment", |s, w, u, _| {
            let (_, url) = appointment_of_a(s, w, "housing");
            s.put(&url)
                .as_user(u)
                .if_match("\"1\"")
                .json(appointment_body("housing"))
                .send()
                .status
        }),
        ("move appointment", |s, w, u, _| {
            let (_, url) = appointment_of_a(s, w, "housing");
            s.post(&format!("{url}/status"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"status": "cancelled", "cancelled_by": "client", "reason": "Sick"}))
                .send()
                .status
        }),
        ("move ride", |s, w, u, _| {
            let (_, url) = appointment_of_a(s, w, "housing");
            s.post(&format!("{url}/transport/status"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"status": "arranged"}))
                .send()
                .status
        }),
        ("appointment in calendar", |s, w, u, _| {
            let (id, _) = appointment_of_a(s, w, "housing");
            let day = tomorrow();
            listed(
                s,
                u,
                &format!("/v1/appointments?from={day}&to={day}&limit=200"),
                &id,
            )
        }),
        ("ride in dispatch list", |s, w, u, _| {
            let (id, _) = appointment_of_a(s, w, "housing");
            listed(
                s,
                u,
                &format!("/v1/transport?date={}&limit=200", tomorrow()),
                &id,
            )
        }),
        ("my calendar", |s, _, u, _| {
            s.get("/v1/me/calendar.ics").as_user(u).send().status
        }),
        ("create calendar feed", |s, _, u, _| {
            s.post("/v1/me/calendar-feed").as_user(u).send().status
        }),
        ("revoke calendar feed", |s, _, u, _| {
            s.post("/v1/me/calendar-feed").as_user(u).send().expect(201);
            s.delete("/v1/me/calendar-feed").as_user(u).send().status
        }),
    ];
    let expected: [[u16; 12]; 9] = [
        // crt  lsCl get  psy  put  move ride cal  disp ics  feed revk
        [201, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201, 204], // admin
        [201, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201, 204], // supervisor A
        [201, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201, 204], // primary cm A
        [403, 200, 200, 200, 403, 403, 403, 200, 200, 200, 201, 204], // other cm A
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 200, 201, 204], // cm B
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 200, 201, 204], // supervisor B
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 200, 201, 204], // care-team member elsewhere
        [403, 200, 200, 404, 403, 403, 403, 200, 200, 200, 201, 204], // care-team member of the client
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 200, 201, 204], // billing
    ];
    check(spoke, &world, &endpoints, expected);
}

/// A benefits application being prepared, made by `cm_a` for a fresh
/// client of team A: its id and URL.
fn application_of_a(spoke: &Spoke, world: &World) -> (String, String) {
    let client = client_of_a(spoke, world);
    let input: ApplicationInput = serde_json::from_value(json!({"program": "snap"})).unwrap();
    let (application, created) = Application::new(
        client,
        input.parse().unwrap(),
        world.cm_a.id,
        tomorrow(),
        spoke_persistence::now(),
    );
    benefits::insert_application(
        &mut spoke.database().conn().unwrap(),
        &application,
        &created,
    )
    .unwrap();
    (
        application.id.to_string(),
        format!(
            "/v1/clients/{client}/benefit-applications/{}",
            application.id
        ),
    )
}

fn benefits_by_role(spoke: &Spoke) {
    let world = world(spoke);
    let endpoints: [(&str, Cell); 7] = [
        ("create application", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/benefit-applications"))
                .as_user(u)
                .json(json!({"program": "ssi"}))
                .send()
                .status
        }),
        ("list client applications", |s, w, u, _| {
            let (id, url) = application_of_a(s, w);
            let list = url.rsplit_once('/').unwrap().0.to_owned();
            let status = s.get(&list).as_user(u).send().status;
            if status == 200 {
                listed(s, u, &list, &id)
            } else {
                status
            }
        }),
        ("get application", |s, w, u, _| {
            let (_, url) = application_of_a(s, w);
            s.get(&url).as_user(u).send().status
        }),
        ("application history", |s, w, u, _| {
            let (_, url) = application_of_a(s, w);
            s.get(&format!("{url}/history")).as_user(u).send().status
        }),
        ("replace application", |s, w, u, _| {
            let (_, url) = application_of_a(s, w);
            s.put(&url)
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"program": "snap", "case_number": "S-1"}))
                .send()
                .status
        }),
        ("move application", |s, w, u, _| {
            let (_, url) = application_of_a(s, w);
            s.post(&format!("{url}/status"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"status": "submitted"}))
                .send()
                .status
        }),
        ("application in list", |s, w, u, _| {
            let (id, _) = application_of_a(s, w);
            listed(s, u, "/v1/benefit-applications?limit=200", &id)
        }),
    ];
    let expected: [[u16; 7]; 9] = [
        // crt  lsCl get  hist put  move list
        [201, 200, 200, 200, 200, 200, 200], // admin
        [201, 200, 200, 200, 200, 200, 200], // supervisor A
        [201, 200, 200, 200, 200, 200, 200], // primary cm A
        [403, 200, 200, 200, 403, 403, 200], // other cm A
        [404, 404, 404, 404, 404, 404, 404], // cm B
        [404, 404, 404, 404, 404, 404, 404], // supervisor B
        [404, 404, 404, 404, 404, 404, 404], // care-team member elsewhere
        [403, 200, 200, 200, 403, 403, 200], // care-team member of the client
        [404, 404, 404, 404, 404, 404, 404], // billing
    ];
    check(spoke, &world, &endpoints, expected);
}

/// A critical event of a client of team A, made by its case manager: (id, URL).
fn event_of_a(spoke: &Spoke, world: &World, event_type: &str) -> (String, String) {
    let client = client_of_a(spoke, world);
    let input: EventInput = serde_json::from_value(event_body(event_type)).unwrap();
    let today = chrono::Utc::now().date_naive();
    let event = CriticalEvent::new(
        client,
        input.parse(today).unwrap(),
        world.cm_a.id,
        spoke_persistence::now(),
    );
    events::insert_event(&mut spoke.database().conn().unwrap(), &event).unwrap();
    (
        event.id.to_string(),
        format!("/v1/clients/{client}/critical-events/{}", event.id),
    )
}

fn event_body(event_type: &str) -> serde_json::Value {
    json!({"type": event_type, "started_on": chrono::Utc::now().date_naive(), "learned_from": "client"})
}

fn residence_body() -> serde_json::Value {
    json!({"setting": "own_home", "moved_in_on": "2026-01-01"})
}

/// A residence of a client of team A: its URL.
fn residence_of_a(spoke: &Spoke, world: &World) -> String {
    let client = client_of_a(spoke, world);
    let input: ResidenceInput = serde_json::from_value(residence_body()).unwrap();
    let residence = Residence::new(
        client,
        input.parse(chrono::Utc::now().date_naive()).unwrap(),
        world.cm_a.id,
        spoke_persistence::now(),
    );
    events::insert_residence(&mut spoke.database().conn().unwrap(), &residence).unwrap();
    format!("/v1/clients/{client}/residences/{}", residence.id)
}

fn events_by_role(spoke: &Spoke) {
    let world = world(spoke);
    let endpoints: [(&str, Cell); 12] = [
        ("create event", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/critical-events"))
                .as_user(u)
                .json(event_body("arrest"))
                .send()
                .status
        }),
        ("list client events", |s, w, u, _| {
            let (id, url) = event_of_a(s, w, "arrest");
            let list = url.rsplit_once('/').unwrap().0.to_owned();
            let status = s.get(&list).as_user(u).send().status;
            if status == 200 {
                listed(s, u, &list, &id)
            } else {
                status
            }
        }),
        ("get event", |s, w, u, _| {
            let (_, url) = event_of_a(s, w, "arrest");
            s.get(&url).as_user(u).send().status
        }),
        ("get mental-health event", |s, w, u, _| {
            let (_, url) = event_of_a(s, w, "suicide_attempt");
            s.get(&url).as_user(u).send().status
        }),
        ("replace event", |s, w, u, _| {
            let (_, url) = event_of_a(s, w, "arrest");
            s.put(&url)
                .as_user(u)
                .if_match("\"1\"")
                .json(event_body("arrest"))
                .send()
                .status
        }),
        ("event in list", |s, w, u, _| {
            let (id, _) = event_of_a(s, w, "arrest");
            listed(s, u, "/v1/critical-events?limit=200&open=false", &id)
        }),
        ("create residence", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/residences"))
                .as_user(u)
                .json(residence_body())
                .send()
                .status
        }),
        ("list residences", |s, w, u, _| {
            let url = residence_of_a(s, w);
            let id = url.rsplit_once('/').unwrap().1.to_owned();
            let list = url.rsplit_once('/').unwrap().0.to_owned();
            let status = s.get(&list).as_user(u).send().status;
            if status == 200 {
                listed(s, u, &list, &id)
            } else {
                status
            }
        }),
        ("get residence", |s, w, u, _| {
            let url = residence_of_a(s, w);
            s.get(&url).as_user(u).send().status
        }),
        ("replace residence", |s, w, u, _| {
            let url = residence_of_a(s, w);
            s.put(&url)
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"setting": "with_family", "moved_in_on": "2026-01-01"}))
                .send()
                .status
        }),
        ("community tenure", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/community-tenure"))
                .as_user(u)
                .send()
                .status
        }),
        ("residence settings", |s, _, u, _| {
            s.get("/v1/residence-settings").as_user(u).send().status
        }),
    ];
    let expected: [[u16; 12]; 9] = [
        // crt  lsCl get  getMH put  list rCrt rLs  rGet rPut tenr sett
        [201, 200, 200, 200, 200, 200, 201, 200, 200, 200, 200, 200], // admin
        [201, 200, 200, 200, 200, 200, 201, 200, 200, 200, 200, 200], // supervisor A
        [201, 200, 200, 200, 200, 200, 201, 200, 200, 200, 200, 200], // primary cm A
        [403, 200, 200, 200, 403, 200, 403, 200, 200, 403, 200, 200], // other cm A
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 200], // cm B
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 200], // supervisor B
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 200], // care-team member elsewhere
        [403, 200, 200, 404, 403, 200, 403, 200, 200, 403, 200, 200], // care-team member of the client
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 200], // billing
    ];
    check(spoke, &world, &endpoints, expected);
}

/// Episodes, the safety plan and discharge.
fn episodes_by_role(spoke: &Spoke) {
    let world = world(spoke);
    let endpoints: [(&str, Cell); 6] = [
        ("list episodes", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/episodes"))
                .as_user(u)
                .send()
                .status
        }),
        ("get safety plan", |s, w, u, _| {
            let id = client_of_a(s, w);
            let path = format!("/v1/clients/{id}/safety-plan");
            let mut conn = s.database().conn().unwrap();
            let sections =
                serde_json::from_value(json!({"warning_signs": ["Not sleeping"]})).unwrap();
            let plan = SafetyPlan::revise(id, None, sections, w.cm_a.id, spoke_persistence::now())
                .unwrap();
            safety_plans::insert(&mut conn, &plan).unwrap();
            s.get(&path).as_user(u).send().status
        }),
        ("write safety plan", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.put(&format!("/v1/clients/{id}/safety-plan"))
                .as_user(u)
                .if_match("\"0\"")
                .json(json!({"reasons_for_living": ["My daughter"]}))
                .send()
                .status
        }),
        ("safety plan versions", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/safety-plan/versions"))
                .as_user(u)
                .send()
                .status
        }),
        ("withdraw a waiting discharge", |s, w, u, _| {
            let id = client_of_a(s, w);
            let enrollment = EnrollmentInput::default().parse("").unwrap();
            let mut episode = Episode::open(
                id,
                enrollment,
                tomorrow() - chrono::Duration::days(30),
                w.cm_a.id,
                spoke_persistence::now(),
            );
            episode.pending_closure = Some(PendingClosure {
                request: DischargeInput {
                    reason: Some(DischargeReason::MovedAway),
                    destination: None,
                    on: None,
                    summary: None,
                    keep_referral_ids: Vec::new(),
                },
                by: w.cm_a.id,
                at: spoke_persistence::now(),
            });
            episodes::insert(&mut s.database().conn().unwrap(), &episode).unwrap();
            s.delete(&format!("/v1/clients/{id}/closure-request"))
                .as_user(u)
                .send()
                .status
        }),
        ("discharge", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/status"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"status": "discharged", "reason": "declined_services"}))
                .send()
                .status
        }),
    ];
    let expected: [[u16; 6]; 9] = [
        // list sGet sPut sVer wdrw disch
        [200, 200, 200, 200, 204, 200], // admin
        [200, 200, 200, 200, 204, 200], // supervisor A
        [200, 200, 200, 200, 204, 200], // primary cm A
        [200, 200, 403, 200, 403, 403], // other cm A
        [404, 404, 404, 404, 404, 404], // cm B
        [404, 404, 404, 404, 404, 404], // supervisor B
        [404, 404, 404, 404, 404, 404], // care-team member elsewhere
        [200, 200, 403, 200, 403, 403], // care-team member of the client
        [404, 404, 404, 404, 404, 404], // billing
    ];
    check(spoke, &world, &endpoints, expected);
}

/// A transfer of a client of team A to team B: its id.
fn transfer_of_a(spoke: &Spoke, world: &World) -> String {
    let client = client_of_a(spoke, world);
    let input: TransferInput =
        serde_json::from_value(json!({"to_team_id": world.team_b, "summary": "Moved east."}))
            .unwrap();
    let transfer = Transfer::request(
        client,
        (world.team_a, Some(world.cm_a.id)),
        input,
        world.cm_a.id,
        spoke_persistence::now(),
    )
    .unwrap();
    transfers::insert(&mut spoke.database().conn().unwrap(), &transfer).unwrap();
    transfer.id.to_string()
}

fn transfers_by_role(spoke: &Spoke) {
    let world = world(spoke);
    let endpoints: [(&str, Cell); 6] = [
        ("ask for a transfer", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.post(&format!("/v1/clients/{id}/transfers"))
                .as_user(u)
                .json(json!({"to_team_id": w.team_b, "summary": "Moved east."}))
                .send()
                .status
        }),
        ("list client transfers", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/transfers"))
                .as_user(u)
                .send()
                .status
        }),
        ("assignment history", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/assignments"))
                .as_user(u)
                .send()
                .status
        }),
        ("get transfer", |s, w, u, _| {
            let id = transfer_of_a(s, w);
            s.get(&format!("/v1/transfers/{id}"))
                .as_user(u)
                .send()
                .status
        }),
        ("accept transfer", |s, w, u, _| {
            let id = transfer_of_a(s, w);
            s.post(&format!("/v1/transfers/{id}/status"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"status": "accepted", "case_manager_id": w.cm_b}))
                .send()
                .status
        }),
        ("transfer in list", |s, w, u, _| {
            let id = transfer_of_a(s, w);
            listed(s, u, "/v1/transfers?limit=200&status=requested", &id)
        }),
    ];
    let expected: [[u16; 6]; 9] = [
        // ask  lsCl hist get  acpt list
        [201, 200, 200, 200, 200, 200], // admin
        [201, 200, 200, 200, 403, 200], // supervisor A
        [201, 200, 200, 200, 403, 200], // primary cm A
        [403, 200, 200, 200, 403, 200], // other cm A
        [404, 404, 404, 200, 403, 200], // cm B (receiving team)
        [404, 404, 404, 200, 200, 200], // supervisor B (receiving team)
        [404, 404, 404, 404, 404, 404], // care-team member elsewhere
        [403, 200, 200, 404, 404, 404], // care-team member of the client
        [404, 404, 404, 404, 404, 404], // billing
    ];
    check(spoke, &world, &endpoints, expected);
}

/// An open alert, stored as a sweep would: about a fresh client of team A,
/// or (`staff`) about `cm_a`'s caseload. Its URL.
fn alert_of_a(spoke: &Spoke, world: &World, staff: bool) -> String {
    use spoke_domain::alert::{Alert, Finding, Rule, RuleCode, Subject};
    let (rule, subject) = if staff {
        (RuleCode::CaseloadOverLimit, Subject::Staff(world.cm_a.id))
    } else {
        (
            RuleCode::NoContact,
            Subject::Client(client_of_a(spoke, world)),
        )
    };
    let finding = Finding {
        rule,
        subject,
        key: format!("matrix/{}", uuid::Uuid::now_v7()),
        summary: "For the matrix".to_owned(),
        facts: Vec::new(),
    };
    let alert = Alert::open(finding, &Rule::shipped(rule), spoke_persistence::now());
    assert!(
        spoke_persistence::alerts::open_alert(&mut spoke.database().conn().unwrap(), &alert)
            .unwrap()
    );
    format!("/v1/alerts/{}", alert.id)
}

/// Alerts, their rules, acuity and the worklists.
fn alerts_by_role(spoke: &Spoke) {
    let world = world(spoke);
    let endpoints: [(&str, Cell); 12] = [
        ("alert in list", |s, w, u, _| {
            let url = alert_of_a(s, w, false);
            let id = url.rsplit_once('/').unwrap().1.to_owned();
            listed(s, u, "/v1/alerts?limit=200", &id)
        }),
        ("get alert", |s, w, u, _| {
            let url = alert_of_a(s, w, false);
            s.get(&url).as_user(u).send().status
        }),
        ("acknowledge", |s, w, u, _| {
            let url = alert_of_a(s, w, false);
            s.post(&format!("{url}/acknowledge"))
                .as_user(u)
                .if_match("\"1\"")
                .send()
                .status
        }),
        ("snooze", |s, w, u, _| {
            let url = alert_of_a(s, w, false);
            let until = chrono::Utc::now().date_naive() + chrono::Duration::days(3);
            s.post(&format!("{url}/snooze"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"until": until}))
                .send()
                .status
        }),
        ("resolve", |s, w, u, _| {
            let url = alert_of_a(s, w, false);
            s.post(&format!("{url}/resolve"))
                .as_user(u)
                .if_match("\"1\"")
                .json(json!({"note": "Visited."}))
                .send()
                .status
        }),
        ("get staff alert", |s, w, u, _| {
            let url = alert_of_a(s, w, true);
            s.get(&url).as_user(u).send().status
        }),
        ("answer staff alert", |s, w, u, _| {
            let url = alert_of_a(s, w, true);
            s.post(&format!("{url}/acknowledge"))
                .as_user(u)
                .if_match("\"1\"")
                .send()
                .status
        }),
        ("acuity", |s, w, u, _| {
            let id = client_of_a(s, w);
            s.get(&format!("/v1/clients/{id}/acuity"))
                .as_user(u)
                .send()
                .status
        }),
        ("list rules", |s, _, u, _| {
            s.get("/v1/alert-rules").as_user(u).send().status
        }),
        ("change rule", |s, _, u, _| {
            s.put("/v1/alert-rules/consent_expiring")
                .as_user(u)
                .if_match("*")
                .json(
                    json!({"enabled": true, "severity": "medium", "escalate_after_hours": null,
                             "params": {"days": 45}}),
                )
                .send()
                .status
        }),
        ("my worklist", |s, _, u, _| {
            s.get("/v1/me/worklist").as_user(u).send().status
        }),
        ("team A worklist", |s, w, u, _| {
            s.get(&format!("/v1/teams/{}/worklist", w.team_a))
                .as_user(u)
                .send()
                .status
        }),
    ];
    let expected: [[u16; 12]; 9] = [
        // list get  ack  snz  res  gStf aStf acu  rules chg  mine team
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200], // admin
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 200, 200], // supervisor A
        [200, 200, 200, 200, 200, 200, 403, 200, 200, 403, 200, 403], // primary cm A
        [200, 200, 403, 403, 403, 404, 404, 200, 200, 403, 200, 403], // other cm A
        [404, 404, 404, 404, 404, 404, 404, 404, 200, 403, 200, 403], // cm B
        [404, 404, 404, 404, 404, 404, 404, 404, 200, 403, 200, 404], // supervisor B
        [404, 404, 404, 404, 404, 404, 404, 404, 200, 403, 200, 403], // care-team member elsewhere
        [404, 404, 404, 404, 404, 404, 404, 404, 200, 403, 200, 403], // care-team member of the client
        [404, 404, 404, 404, 404, 404, 404, 404, 200, 403, 200, 403], // billing
    ];
    check(spoke, &world, &endpoints, expected);
}

/// Whether the change feed, followed from its start, shows a change to a
/// fresh client of team A (an event its case manager recorded).
fn feed_shows_a_change_of_a(s: &Spoke, w: &World, u: &TestUser) -> u16 {
    let id = client_of_a(s, w);
    let event = s
        .post(&format!("/v1/clients/{id}/critical-events"))
        .as_user(&w.cm_a)
        .json(event_body("arrest"))
        .send();
    assert_eq!(event.status, 201, "{}", event.text);
    let mut cursor = String::new();
    loop {
        let reply = s
            .get(&format!("/v1/changes?limit=200{cursor}"))
            .as_user(u)
            .send();
        if reply.status != 200 {
            return reply.status;
        }
        let items = reply.body["items"].as_array().unwrap();
        if items.iter().any(|c| c["record_id"] == event.body["id"]) {
            return 200;
        }
        if items.is_empty() {
            return 404;
        }
        cursor = format!("&after={}", reply.body["next_cursor"].as_str().unwrap());
    }
}

/// The change feed: what each role follows.
fn changes_by_role(spoke: &Spoke) {
    let world = world(spoke);
    let endpoints: [(&str, Cell); 1] = [("change in feed", |s, w, u, _| {
        feed_shows_a_change_of_a(s, w, u)
    })];
    let expected: [[u16; 1]; 9] = [
        [200], // admin
        [200], // supervisor A
        [200], // primary cm A
        [200], // other cm A
        [404], // cm B
        [404], // supervisor B
        [404], // care-team member elsewhere
        [200], // care-team member of the client
        [404], // billing
    ];
    check(spoke, &world, &endpoints, expected);
}

both_backends!(
    role_by_endpoint_matrix,
    changes_by_role,
    alerts_by_role,
    transfers_by_role,
    episodes_by_role,
    appointments_by_role,
    benefits_by_role,
    events_by_role
);
