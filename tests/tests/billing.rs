//! Billing over HTTP: configurations, claim batches from signed contacts,
//! CSV, export, outcomes, voiding, and a contact never billed twice however
//! many batches are made at once.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeSet;

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Reply, Spoke, TestUser, both_backends, client_body};

struct Agency {
    cm: TestUser,
    billing: TestUser,
    client: String,
}

fn agency(spoke: &Spoke) -> Agency {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let billing = spoke.user("billing@example.org", Role::Billing, None);
    let mut body = client_body("Maria", "Rivera");
    body["medicaid_id"] = json!("OR12345678");
    let client = spoke
        .post("/v1/clients")
        .as_user(&cm)
        .json(body)
        .send()
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Agency {
        cm,
        billing,
        client,
    }
}

/// Records and signs a contact `days` ago lasting `minutes`; `billable`
/// false makes it a ride, which bills nothing. Returns the signed contact.
fn signed_contact(spoke: &Spoke, a: &Agency, days: i64, minutes: i64, billable: bool) -> Value {
    let started = (Utc::now() - Duration::days(days) - Duration::hours(1))
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let activity = if billable {
        "monitoring_and_follow_up"
    } else {
        "transportation"
    };
    let draft = spoke
        .post(&format!("/v1/clients/{}/contacts", a.client))
        .as_user(&a.cm)
        .json(json!({
            "started_at": started, "duration_minutes": minutes, "mode": "phone", "setting": "client_home",
            "client_present": true, "activities": [activity], "goal_progress": "progressing",
            "declined_services": "None.", "coordination": "None.",
            "narrative": "Phone call: reviewed the week, the budget and the appointment on Thursday."
        }))
        .send()
        .expect(201);
    spoke
        .post(&format!(
            "/v1/clients/{}/contacts/{}/sign",
            a.client,
            draft.body["id"].as_str().unwrap()
        ))
        .as_user(&a.cm)
        .if_match(&draft.etag())
        .send()
        .expect(200)
        .body
}

fn period() -> Value {
    let today = Utc::now().date_naive();
    json!({"from": today - Duration::days(30), "to": today})
}

fn create_batch(spoke: &Spoke, who: &TestUser) -> Reply {
    spoke
        .post("/v1/claim-batches")
        .as_user(who)
        .json(period())
        .send()
}

fn batch_move(spoke: &Spoke, who: &TestUser, batch: &Reply, path: &str, body: Value) -> Reply {
    spoke
        .post(&format!(
            "/v1/claim-batches/{}{path}",
            batch.body["id"].as_str().unwrap()
        ))
        .as_user(who)
        .if_match(&batch.etag())
        .json(body)
        .send()
}

fn contact_ids(batch: &Value) -> Vec<String> {
    batch["lines"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["contact_ids"].as_array().unwrap().clone())
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

fn a_month_is_billed_once_exported_answered_and_voided(spoke: &Spoke) {
    let a = agency(spoke);
    let first = signed_contact(spoke, &a, 2, 45, true);
    let second = signed_contact(spoke, &a, 2, 20, true);
    let other_day = signed_contact(spoke, &a, 5, 30, true);
    let ride = signed_contact(spoke, &a, 5, 60, false);
    assert_eq!(ride["billing"]["units"], 0);

    // Case managers do not make claims.
    create_batch(spoke, &a.cm).expect_problem(403);
    let batch = create_batch(spoke, &a.billing).expect(201);
    assert_eq!(batch.body["status"], "draft");
    assert_eq!(batch.body["line_count"], 2, "{}", batch.text);
    // 45 minutes are 3 units, 20 minutes 1, 30 minutes 2.
    assert_eq!(batch.body["units"], 6);
    let mut covered = contact_ids(&batch.body);
    covered.sort();
    let mut expected: Vec<String> = [&first, &second, &other_day]
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(covered, expected);
    assert!(
        batch.body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["procedure_code"] == "T1017" && l["medicaid_id"] == "OR12345678")
    );
    // Everything billable is taken: a second batch has nothing to bill.
    let nothing = create_batch(spoke, &a.billing).expect_problem(422);
    assert_eq!(nothing.body["errors"][0]["code"], "nothing_to_bill");

    // CSV, in the documented columns.
    let url = batch.header("location").unwrap().to_owned();
    let csv = spoke
        .get(&url)
        .as_user(&a.billing)
        .header("Accept", "text/csv")
        .send()
        .expect(200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let rows: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        rows[0],
        "batch_id,line_id,client_id,medicaid_id,date_of_service,procedure_code,modifiers,units,\
         rendering_staff_id,contact_ids,outcome,denial_reason"
    );
    assert_eq!(rows.len(), 3);
    assert!(rows[1].contains(",OR12345678,") && rows[1].contains(",T1017,"));

    // Outcomes only once exported; a denial needs a reason.
    let line = batch.body["lines"][0]["id"].as_str().unwrap().to_owned();
    let outcome = format!("/lines/{line}/outcome");
    let early = batch_move(
        spoke,
        &a.billing,
        &batch,
        &outcome,
        json!({"outcome": "paid"}),
    )
    .expect_problem(409);
    assert!(
        early.body["detail"]
            .as_str()
            .unwrap()
            .contains("allowed now: export, void")
    );
    let exported = batch_move(spoke, &a.billing, &batch, "/export", json!({})).expect(200);
    assert_eq!(exported.body["status"], "exported");
    batch_move(
        spoke,
        &a.billing,
        &exported,
        &outcome,
        json!({"outcome": "denied"}),
    )
    .expect_problem(422);
    let denied = batch_move(
        spoke,
        &a.billing,
        &exported,
        &outcome,
        json!({"outcome": "denied", "reason": "Member not eligible on the date of service."}),
    )
    .expect(200);
    assert_eq!(denied.body["lines"][0]["outcome"], "denied");
    batch_move(spoke, &a.billing, &exported, "/export", json!({})).expect_problem(412);

    // Voiding frees the contacts for a new batch.
    batch_move(spoke, &a.billing, &denied, "/void", json!({})).expect_problem(422);
    let voided = batch_move(
        spoke,
        &a.billing,
        &denied,
        "/void",
        json!({"reason": "Billed under the wrong provider number."}),
    )
    .expect(200);
    assert_eq!(voided.body["status"], "voided");
    let again = create_batch(spoke, &a.billing).expect(201);
    assert_eq!(again.body["units"], 6);
    let listed = spoke
        .get("/v1/claim-batches")
        .as_user(&a.billing)
        .send()
        .expect(200);
    let statuses: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["draft", "voided"]);
    assert_eq!(listed.body["items"][0]["lines"], json!([]));
    assert_eq!(listed.body["items"][0]["line_count"], 2);

    // Reading a batch is audited against the clients it bills.
    let audit = spoke
        .get(&format!("/v1/audit-events?client_id={}", a.client))
        .as_user(&spoke.admin())
        .send()
        .expect(200);
    assert!(audit.text.contains("claim_batch"), "{}", audit.text);
}

/// Batches made at the same moment never bill a contact twice: each request
/// either makes a batch of contacts no other batch has, or is refused.
fn concurrent_batches_never_bill_a_contact_twice(spoke: &Spoke) {
    let a = agency(spoke);
    let mut billable = BTreeSet::new();
    for day in 1..=12 {
        let c = signed_contact(spoke, &a, day, 30, true);
        billable.insert(c["id"].as_str().unwrap().to_owned());
    }
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| create_batch(spoke, &a.billing)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut billed = Vec::new();
    for reply in &replies {
        match reply.status {
            201 => billed.extend(contact_ids(&reply.body)),
            409 | 422 => {
                assert_eq!(
                    reply.header("content-type"),
                    Some("application/problem+json")
                );
            }
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    let distinct: BTreeSet<String> = billed.iter().cloned().collect();
    assert_eq!(distinct.len(), billed.len(), "a contact was billed twice");
    assert_eq!(distinct, billable, "every billable contact is billed once");
}

fn configurations_are_versioned_and_admins_add_them(spoke: &Spoke) {
    let a = agency(spoke);
    let admin = spoke.admin();
    let listed = spoke
        .get("/v1/billing-configs")
        .as_user(&a.billing)
        .send()
        .expect(200);
    assert_eq!(listed.body["items"][0]["procedure_code"], "T1017");
    let mut stricter = listed.body["items"][0].clone();
    for field in ["id", "version", "created_at"] {
        stricter.as_object_mut().unwrap().remove(field);
    }
    stricter["max_units_per_day"] = json!(2);
    spoke
        .post("/v1/billing-configs")
        .as_user(&a.billing)
        .json(&stricter)
        .send()
        .expect_problem(403);
    let added = spoke
        .post("/v1/billing-configs")
        .as_user(&admin)
        .json(&stricter)
        .send()
        .expect(201);
    assert_eq!(added.body["version"], 2);
    // Contacts signed from now on are judged by the new version.
    let capped = signed_contact(spoke, &a, 1, 60, true);
    assert_eq!(capped["billing"]["units"], 2);
    assert_eq!(capped["billing"]["config_id"], added.body["id"]);
    let mut bad = stricter.clone();
    bad["procedure_code"] = json!("T1");
    bad["unit_minutes"] = json!(0);
    let refused = spoke
        .post("/v1/billing-configs")
        .as_user(&admin)
        .json(&bad)
        .send()
        .expect_problem(422);
    assert_eq!(refused.body["errors"].as_array().unwrap().len(), 2);
}

/// With co-signatures required, only the contacts a supervisor co-signed
/// are billed; only a supervisor or admin co-signs, never the author, once.
fn cosigned_contacts_only_when_the_agency_requires_it(spoke: &Spoke) {
    let Some(spoke) = Spoke::start_with(spoke.backend(), |settings| {
        settings.contact_rules.cosign_required = true;
    }) else {
        return;
    };
    let spoke = &spoke;
    let a = agency(spoke);
    let first = signed_contact(spoke, &a, 2, 45, true);
    let second = signed_contact(spoke, &a, 3, 30, true);
    let cosign = |who: &TestUser, contact: &Value| {
        spoke
            .post(&format!(
                "/v1/clients/{}/contacts/{}/cosign",
                a.client,
                contact["id"].as_str().unwrap()
            ))
            .as_user(who)
            .send()
    };
    let team = spoke.team("Cosigners");
    let supervisor = spoke.user("sup@example.org", Role::Supervisor, Some(team));
    // A supervisor of another team does not see the client; the case manager may not co-sign.
    cosign(&supervisor, &first).expect_problem(404);
    cosign(&a.cm, &first).expect_problem(403);
    let admin = spoke.admin();
    let cosigned = cosign(&admin, &first).expect(200);
    assert_eq!(cosigned.body["cosigned_by"], json!(admin.id));
    assert_eq!(
        cosigned.body["version"], first["version"],
        "the contact itself is unchanged"
    );
    cosign(&admin, &first).expect_problem(409);
    let batch = create_batch(spoke, &a.billing).expect(201);
    assert_eq!(
        contact_ids(&batch.body),
        [first["id"].as_str().unwrap().to_owned()],
        "the contact not co-signed waits"
    );
    cosign(&admin, &second).expect(200);
    let later = create_batch(spoke, &a.billing).expect(201);
    assert_eq!(
        contact_ids(&later.body),
        [second["id"].as_str().unwrap().to_owned()]
    );
    let read = spoke
        .get(&format!(
            "/v1/clients/{}/contacts/{}",
            a.client,
            second["id"].as_str().unwrap()
        ))
        .as_user(&a.cm)
        .send()
        .expect(200);
    assert_eq!(read.body["cosigned_by"], json!(admin.id));
}

both_backends!(
    cosigned_contacts_only_when_the_agency_requires_it,
    a_month_is_billed_once_exported_answered_and_voided,
    concurrent_batches_never_bill_a_contact_twice,
    configurations_are_versioned_and_admins_add_them,
);
