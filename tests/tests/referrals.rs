//! Closed-loop referrals over HTTP: consent, the full loop with a partner,
//! illegal moves per actor, partner isolation, the token grant, the
//! accounting of disclosures, and signed webhooks to a local receiver.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Reply, Spoke, TestUser, both_backends, client_body, wait_for};

struct Agency {
    admin: TestUser,
    cm: TestUser,
    client: String,
}

struct PartnerOrg {
    id: String,
    service: String,
    client_id: String,
    secret: String,
}

fn agency(spoke: &Spoke) -> Agency {
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
    Agency {
        admin: spoke.admin(),
        cm,
        client,
    }
}

fn partner_org(spoke: &Spoke, a: &Agency, name: &str) -> PartnerOrg {
    let org = spoke
        .post("/v1/organizations")
        .as_user(&a.admin)
        .json(json!({"name": name}))
        .send()
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let service = spoke
        .post("/v1/services")
        .as_user(&a.admin)
        .json(json!({"organization_id": org, "name": format!("{name} pantry")}))
        .send()
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = spoke
        .post(&format!("/v1/organizations/{org}/api-clients"))
        .as_user(&a.admin)
        .json(json!({"name": "Case system"}))
        .send()
        .expect(201);
    PartnerOrg {
        id: org,
        service,
        client_id: client.body["client"]["client_id"]
            .as_str()
            .unwrap()
            .to_owned(),
        secret: client.body["client_secret"].as_str().unwrap().to_owned(),
    }
}

fn token_request(spoke: &Spoke, form: &str) -> Reply {
    spoke
        .post("/v1/oauth/token")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .raw(form.as_bytes().to_vec())
        .send()
}

fn partner_token(spoke: &Spoke, p: &PartnerOrg) -> String {
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        p.client_id, p.secret
    );
    token_request(spoke, &form).expect(200).body["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn consent(spoke: &Spoke, a: &Agency, org: &str) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/consents", a.client))
        .as_user(&a.cm)
        .json(json!({
            "recipient_organization_id": org, "categories": ["general"],
            "purpose": "Referral for food assistance", "effective_on": "2026-01-01", "method": "signed"
        }))
        .send()
        .expect(201)
}

fn draft(spoke: &Spoke, a: &Agency, p: &PartnerOrg) -> Reply {
    spoke
        .post(&format!("/v1/clients/{}/referrals", a.client))
        .as_user(&a.cm)
        .json(json!({
            "service_id": p.service, "reason": "Needs a food box this week.", "needs": ["food"],
            "priority": "urgent", "due_by": "2030-01-01"
        }))
        .send()
        .expect(201)
}

fn staff_move(spoke: &Spoke, a: &Agency, referral: &Reply, body: Value) -> Reply {
    let id = referral.body["id"].as_str().unwrap();
    spoke
        .post(&format!("/v1/referrals/{id}/status"))
        .as_user(&a.cm)
        .if_match(&referral.etag())
        .json(body)
        .send()
}

fn partner_move(spoke: &Spoke, token: &str, id: &str, etag: &str, body: Value) -> Reply {
    spoke
        .post(&format!("/v1/partner/referrals/{id}/status"))
        .token(token)
        .if_match(etag)
        .json(body)
        .send()
}

/// An agency and a partner a consent covers, the partner's token, and its
/// subscription to `hook` (the 201, with the secret shown once).
fn partner_listening(spoke: &Spoke, hook: &Receiver) -> (Agency, PartnerOrg, String, Reply) {
    let a = agency(spoke);
    let p = partner_org(spoke, &a, "Eastside Food Bank");
    consent(spoke, &a, &p.id);
    let token = partner_token(spoke, &p);
    let subscribed = spoke
        .post("/v1/partner/webhooks")
        .token(&token)
        .json(json!({"url": hook.url}))
        .send()
        .expect(201);
    (a, p, token, subscribed)
}

/// A referral drafted, sent by staff, accepted and started by the partner:
/// its id and the partner's last answer.
fn referral_in_progress(spoke: &Spoke, a: &Agency, p: &PartnerOrg, token: &str) -> (String, Reply) {
    let referral = draft(spoke, a, p);
    let id = referral.body["id"].as_str().unwrap().to_owned();
    let sent = staff_move(spoke, a, &referral, json!({"status": "requested"})).expect(200);
    let accepted = partner_move(
        spoke,
        token,
        &id,
        &sent.etag(),
        json!({"status": "accepted"}),
    )
    .expect(200);
    let working = partner_move(
        spoke,
        token,
        &id,
        &accepted.etag(),
        json!({"status": "in_progress"}),
    )
    .expect(200);
    (id, working)
}

fn disclosures(spoke: &Spoke, a: &Agency) -> Vec<Value> {
    spoke
        .get(&format!("/v1/clients/{}/disclosures?limit=200", a.client))
        .as_user(&a.cm)
        .send()
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Draft, consent missing then given, sent, accepted, in progress,
/// completed with the linked date; the history and disclosures follow.
fn the_full_loop(spoke: &Spoke) {
    let a = agency(spoke);
    let p = partner_org(spoke, &a, "Eastside Food Bank");
    let referral = draft(spoke, &a, &p);
    assert_eq!(referral.body["status"], "draft");
    assert_eq!(referral.body["organization_id"], p.id.as_str());
    let refused =
        staff_move(spoke, &a, &referral, json!({"status": "requested"})).expect_problem(422);
    assert_eq!(refused.body["errors"][0]["code"], "consent_required");
    let token = partner_token(spoke, &p);
    let id = referral.body["id"].as_str().unwrap().to_owned();
    spoke
        .get(&format!("/v1/partner/referrals/{id}"))
        .token(&token)
        .send()
        .expect_problem(404);
    let given = consent(spoke, &a, &p.id);
    let sent = staff_move(spoke, &a, &referral, json!({"status": "requested"})).expect(200);
    assert_eq!(sent.body["consent_id"], given.body["id"]);

    let listed = spoke
        .get("/v1/partner/referrals")
        .token(&token)
        .send()
        .expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let seen = spoke
        .get(&format!("/v1/partner/referrals/{id}"))
        .token(&token)
        .send()
        .expect(200);
    assert_eq!(seen.body["client"]["given_name"], "Maria");
    assert_eq!(seen.body["consent_scope"], json!(["general"]));
    assert_eq!(
        seen.body["referral"]["allowed_moves"],
        json!(["accepted", "rejected"])
    );
    let accepted = partner_move(
        spoke,
        &token,
        &id,
        &seen.etag(),
        json!({"status": "accepted"}),
    )
    .expect(200);
    let working = partner_move(
        spoke,
        &token,
        &id,
        &accepted.etag(),
        json!({"status": "in_progress", "business_status": "appointment_scheduled"}),
    )
    .expect(200);
    let today = chrono::Utc::now().date_naive().to_string();
    let done = partner_move(
        spoke,
        &token,
        &id,
        &working.etag(),
        json!({"status": "completed", "business_status": "service_provided",
               "outcome": "Enrolled in weekly food boxes", "linked_on": today}),
    )
    .expect(200);
    assert_eq!(done.body["linked_on"], today.as_str());

    let staff_view = spoke
        .get(&format!("/v1/referrals/{id}"))
        .as_user(&a.cm)
        .send()
        .expect(200);
    assert_eq!(staff_view.body["status"], "completed");
    assert_eq!(staff_view.body["outcome"], "Enrolled in weekly food boxes");
    let history = spoke
        .get(&format!("/v1/referrals/{id}/history"))
        .as_user(&a.cm)
        .send()
        .expect(200);
    let moves: Vec<(Value, Value, Value)> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from"].clone(), e["to"].clone(), e["by"]["kind"].clone()))
        .collect();
    assert_eq!(
        moves,
        [
            (Value::Null, json!("draft"), json!("staff")),
            (json!("draft"), json!("requested"), json!("staff")),
            (json!("requested"), json!("accepted"), json!("partner")),
            (json!("accepted"), json!("in_progress"), json!("partner")),
            (json!("in_progress"), json!("completed"), json!("partner")),
        ]
    );
    // One disclosure for the listed referral, one for the read.
    let accounted = disclosures(spoke, &a);
    assert_eq!(accounted.len(), 2, "{accounted:?}");
    assert!(
        accounted
            .iter()
            .all(|d| d["organization_id"] == p.id.as_str()
                && d["consent_id"] == given.body["id"]
                && d["channel"] == "read")
    );
    // Once the consent is revoked the partner still sees its referral, but
    // not the client, and nothing more is disclosed.
    spoke
        .post(&format!(
            "/v1/clients/{}/consents/{}/revoke",
            a.client,
            given.body["id"].as_str().unwrap()
        ))
        .as_user(&a.cm)
        .if_match(&given.etag())
        .json(json!({"reason": "Client asked to stop sharing"}))
        .send()
        .expect(200);
    let after_revocation = spoke
        .get("/v1/partner/referrals")
        .token(&token)
        .send()
        .expect(200);
    let item = &after_revocation.body["items"][0];
    assert_eq!(item["referral"]["id"], id.as_str());
    assert_eq!(item["client"], Value::Null);
    assert_eq!(item["consent_scope"], json!([]));
    assert_eq!(disclosures(spoke, &a).len(), 2, "no new disclosure");
    // Staff lists follow the status filter.
    let completed = spoke
        .get("/v1/referrals?status=completed")
        .as_user(&a.cm)
        .send()
        .expect(200);
    assert_eq!(completed.body["items"].as_array().unwrap().len(), 1);
    // A plan task follows the referral up; only the client's own referrals link.
    let plan = |referral: &str| {
        json!({"effective_on": "2026-11-20", "review_due_on": "2027-02-20", "goals": [{
            "domain": "food", "in_own_words": "Enough to eat", "target": "Weekly food box",
            "tasks": [{"what": "Check the food bank referral", "responsible": "case_manager", "referral_id": referral}]}]})
    };
    let linked = spoke
        .post(&format!("/v1/clients/{}/plans", a.client))
        .as_user(&a.cm)
        .json(plan(&id))
        .send()
        .expect(201);
    assert_eq!(
        linked.body["goals"][0]["tasks"][0]["referral_id"],
        id.as_str()
    );
    spoke
        .post(&format!("/v1/clients/{}/plans", a.client))
        .as_user(&a.cm)
        .json(plan("01936b2e-0000-7000-8000-000000000000"))
        .send()
        .expect_problem(422);
}

/// Every illegal move per actor is a 409 naming the moves allowed now.
fn illegal_moves_name_what_is_allowed(spoke: &Spoke) {
    let a = agency(spoke);
    let p = partner_org(spoke, &a, "Eastside Food Bank");
    consent(spoke, &a, &p.id);
    let token = partner_token(spoke, &p);
    let referral = draft(spoke, &a, &p);
    let id = referral.body["id"].as_str().unwrap().to_owned();
    let wrong = staff_move(spoke, &a, &referral, json!({"status": "accepted"})).expect_problem(409);
    assert_eq!(wrong.body["current_status"], "draft");
    assert_eq!(
        wrong.body["allowed_moves"],
        json!(["requested", "cancelled"])
    );
    let sent = staff_move(spoke, &a, &referral, json!({"status": "requested"})).expect(200);
    for status in ["completed", "in_progress", "draft", "cancelled"] {
        let refused = partner_move(spoke, &token, &id, &sent.etag(), json!({"status": status}))
            .expect_problem(409);
        assert_eq!(
            refused.body["allowed_moves"],
            json!(["accepted", "rejected"]),
            "{status}"
        );
    }
    partner_move(
        spoke,
        &token,
        &id,
        &sent.etag(),
        json!({"status": "rejected"}),
    )
    .expect_problem(422);
    let rejected = partner_move(
        spoke,
        &token,
        &id,
        &sent.etag(),
        json!({"status": "rejected", "reason": "Outside our area", "business_status": "not_eligible"}),
    )
    .expect(200);
    let closed = staff_move(
        spoke,
        &a,
        &Reply {
            headers: vec![("etag".into(), rejected.etag())],
            ..sent
        },
        json!({"status": "cancelled", "reason": "x"}),
    )
    .expect_problem(409);
    assert_eq!(closed.body["allowed_moves"], json!([]));
    // Redirecting makes a new, linked draft; the rejected one stays.
    let other = partner_org(spoke, &a, "Westside Pantry");
    let redirected = spoke
        .post(&format!("/v1/referrals/{id}/redirect"))
        .as_user(&a.cm)
        .json(json!({"service_id": other.service}))
        .send()
        .expect(201);
    assert_eq!(redirected.body["redirected_from"], id.as_str());
    assert_eq!(redirected.body["status"], "draft");
    assert_eq!(redirected.body["organization_id"], other.id.as_str());
    let original = spoke
        .get(&format!("/v1/referrals/{id}"))
        .as_user(&a.cm)
        .send()
        .expect(200);
    assert_eq!(original.body["status"], "rejected");
    // A closed referral never changes; a sent one keeps its service.
    spoke
        .put(&format!("/v1/referrals/{id}"))
        .as_user(&a.cm)
        .if_match(&original.etag())
        .json(json!({"service_id": p.service, "reason": "Changed"}))
        .send()
        .expect_problem(409);
    let open = draft(spoke, &a, &p);
    let open_sent = staff_move(spoke, &a, &open, json!({"status": "requested"})).expect(200);
    let moved = spoke
        .put(&format!(
            "/v1/referrals/{}",
            open.body["id"].as_str().unwrap()
        ))
        .as_user(&a.cm)
        .if_match(&open_sent.etag())
        .json(json!({"service_id": other.service, "reason": "Elsewhere"}))
        .send()
        .expect_problem(422);
    assert_eq!(moved.body["errors"][0]["field"], "service_id");
}

/// Organization A cannot see or touch B's referrals; partner tokens reach
/// only partner operations and staff tokens none of them.
fn partners_are_isolated(spoke: &Spoke) {
    let a = agency(spoke);
    let first = partner_org(spoke, &a, "Eastside Food Bank");
    let second = partner_org(spoke, &a, "Westside Pantry");
    consent(spoke, &a, &second.id);
    let referral = draft(spoke, &a, &second);
    let sent = staff_move(spoke, &a, &referral, json!({"status": "requested"})).expect(200);
    let id = sent.body["id"].as_str().unwrap();
    let token_a = partner_token(spoke, &first);
    spoke
        .get(&format!("/v1/partner/referrals/{id}"))
        .token(&token_a)
        .send()
        .expect_problem(404);
    partner_move(
        spoke,
        &token_a,
        id,
        &sent.etag(),
        json!({"status": "accepted"}),
    )
    .expect_problem(404);
    let listed = spoke
        .get("/v1/partner/referrals")
        .token(&token_a)
        .send()
        .expect(200);
    assert!(listed.body["items"].as_array().unwrap().is_empty());
    for path in [
        "/v1/clients",
        "/v1/referrals",
        "/v1/me",
        &format!("/v1/referrals/{id}"),
    ] {
        spoke.get(path).token(&token_a).send().expect_problem(403);
    }
    spoke
        .get("/v1/partner/referrals")
        .as_user(&a.cm)
        .send()
        .expect_problem(403);
    // Capacity: its own service yes, another's no.
    let own = spoke
        .get(&format!("/v1/services/{}", first.service))
        .as_user(&a.admin)
        .send()
        .expect(200);
    spoke
        .put(&format!("/v1/partner/services/{}/capacity", first.service))
        .token(&token_a)
        .if_match(&own.etag())
        .json(json!({"status": "waitlist", "note": "Two weeks"}))
        .send()
        .expect(200);
    spoke
        .put(&format!("/v1/partner/services/{}/capacity", second.service))
        .token(&token_a)
        .if_match("\"1\"")
        .json(json!({"status": "full"}))
        .send()
        .expect_problem(404);
    assert!(
        disclosures(spoke, &a).is_empty(),
        "nothing reached organization A"
    );
}

fn the_token_grant_refuses_what_it_should(spoke: &Spoke) {
    let a = agency(spoke);
    let p = partner_org(spoke, &a, "Eastside Food Bank");
    let wrong = token_request(
        spoke,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret=nope",
            p.client_id
        ),
    )
    .expect(401);
    assert_eq!(wrong.body["error"], "invalid_client");
    assert_eq!(wrong.header("content-type"), Some("application/json"));
    let grant = token_request(
        spoke,
        &format!(
            "grant_type=password&client_id={}&client_secret={}",
            p.client_id, p.secret
        ),
    )
    .expect(400);
    assert_eq!(grant.body["error"], "unsupported_grant_type");
    assert_eq!(
        token_request(spoke, "client_id=x").expect(400).body["error"],
        "invalid_request"
    );
    assert_eq!(
        token_request(
            spoke,
            "grant_type=client_credentials&client_id=not-an-id&client_secret=x"
        )
        .expect(401)
        .body["error"],
        "invalid_client"
    );
    // HTTP Basic works too.
    use base64::Engine;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", p.client_id, p.secret));
    let by_basic = spoke
        .post("/v1/oauth/token")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", &format!("Basic {basic}"))
        .raw(b"grant_type=client_credentials".to_vec())
        .send()
        .expect(200);
    assert_eq!(by_basic.body["token_type"], "Bearer");
    // A revoked client gets no token, and its tokens stop working.
    let token = partner_token(spoke, &p);
    let clients = spoke
        .get(&format!("/v1/organizations/{}/api-clients", p.id))
        .as_user(&a.admin)
        .send()
        .expect(200);
    let version = clients.body["items"][0]["version"].clone();
    spoke
        .post(&format!("/v1/api-clients/{}/revoke", p.client_id))
        .as_user(&a.cm)
        .if_match(&format!("\"{version}\""))
        .send()
        .expect_problem(403);
    spoke
        .post(&format!("/v1/api-clients/{}/revoke", p.client_id))
        .as_user(&a.admin)
        .if_match(&format!("\"{version}\""))
        .send()
        .expect(200);
    let revoked = token_request(
        spoke,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            p.client_id, p.secret
        ),
    )
    .expect(401);
    assert_eq!(revoked.body["error"], "invalid_client");
    spoke
        .get("/v1/partner/referrals")
        .token(&token)
        .send()
        .expect_problem(401);
}

fn a_consent_revoked_before_sending_stops_the_referral(spoke: &Spoke) {
    let a = agency(spoke);
    let p = partner_org(spoke, &a, "Eastside Food Bank");
    let given = consent(spoke, &a, &p.id);
    let referral = draft(spoke, &a, &p);
    let consent_path = format!(
        "/v1/clients/{}/consents/{}/revoke",
        a.client,
        given.body["id"].as_str().unwrap()
    );
    spoke
        .post(&consent_path)
        .as_user(&a.cm)
        .if_match(&given.etag())
        .json(json!({"reason": "Client changed her mind"}))
        .send()
        .expect(200);
    let refused =
        staff_move(spoke, &a, &referral, json!({"status": "requested"})).expect_problem(422);
    assert_eq!(refused.body["errors"][0]["code"], "consent_required");
    // A consent that does not name every category does not cover either.
    spoke
        .post(&format!("/v1/clients/{}/consents", a.client))
        .as_user(&a.cm)
        .json(json!({"recipient_organization_id": p.id, "categories": ["health"], "purpose": "x",
                     "effective_on": "2026-01-01", "method": "verbal_with_witness", "witness_name": "Lin Nguyen"}))
        .send()
        .expect(201);
    staff_move(spoke, &a, &referral, json!({"status": "requested"})).expect_problem(422);
    // Part 2 elements are required for substance use.
    let part2 = spoke
        .post(&format!("/v1/clients/{}/consents", a.client))
        .as_user(&a.cm)
        .json(json!({"recipient_organization_id": p.id, "categories": ["substance_use"], "purpose": "Treatment",
                     "effective_on": "2026-01-01", "method": "signed"}))
        .send()
        .expect_problem(422);
    let fields: Vec<&str> = part2.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["part2", "expires_on"]);
}

// ------------------------------------------------------------------ webhooks

#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
}

/// A loopback HTTP receiver that answers 500 to its first `failures`
/// requests, and to every request while `up` is false; 204 otherwise,
/// recording every request it answers 204.
struct Receiver {
    url: String,
    accepted: Arc<Mutex<Vec<Received>>>,
    calls: Arc<AtomicUsize>,
    up: Arc<std::sync::atomic::AtomicBool>,
}

fn receiver(failures: usize) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (store, count, running) = (accepted.clone(), calls.clone(), up.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap_or_default();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.trim_end().split_once(':') {
                    headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
                }
            }
            let length: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap_or_default();
            let n = count.fetch_add(1, Ordering::SeqCst);
            let failures = if running.load(Ordering::SeqCst) {
                failures
            } else {
                usize::MAX
            };
            let status = if n < failures {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            if n >= failures {
                store.lock().unwrap().push(Received {
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    Receiver {
        url,
        accepted,
        calls,
        up,
    }
}

fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    r.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// A receiver that fails three times then recovers gets every event once,
/// in order, each signed with the subscription's secret.
fn webhooks_arrive_signed_once_and_in_order(spoke: &Spoke) {
    let hook = receiver(3);
    let (a, p, token, subscribed) = partner_listening(spoke, &hook);
    let secret = subscribed.body["secret"].as_str().unwrap().to_owned();
    spoke
        .post("/v1/partner/webhooks")
        .token(&token)
        .json(json!({"url": "http://example.org/hook"}))
        .send()
        .expect_problem(422);
    // No receiver inside the agency's network, in any spelling; no user info
    // to hide the real host behind.
    for (url, code) in [
        (
            "https://169.254.169.254/latest/meta-data/",
            "internal_address",
        ),
        ("https://10.0.0.1/", "internal_address"),
        ("https://[::ffff:a9fe:a9fe]/", "internal_address"),
        ("https://0xa000001:22/", "internal_address"),
        ("https://[fd00::5]:5432/", "internal_address"),
        ("http://localhost:1@127.0.0.2:18506/", "invalid_url"),
    ] {
        let refused = spoke
            .post("/v1/partner/webhooks")
            .token(&token)
            .json(json!({ "url": url }))
            .send()
            .expect_problem(422);
        assert_eq!(refused.body["errors"][0]["field"], "url", "{url}");
        assert_eq!(refused.body["errors"][0]["code"], code, "{url}");
    }
    let (id, working) = referral_in_progress(spoke, &a, &p, &token);
    // A change of content while the loop is open: the partner hears it too.
    let changed = json!({"service_id": p.service, "reason": "Needs a food box this week; diabetic.",
                         "needs": ["food"], "priority": "urgent", "due_by": "2030-01-02"});
    spoke
        .put(&format!("/v1/referrals/{id}"))
        .as_user(&a.cm)
        .if_match(&working.etag())
        .json(changed)
        .send()
        .expect(200);
    wait_for("four events", || hook.accepted.lock().unwrap().len() >= 4);
    std::thread::sleep(Duration::from_millis(200)); // nothing more should come
    let got = hook.accepted.lock().unwrap().clone();
    assert_eq!(
        hook.calls.load(Ordering::SeqCst),
        7,
        "three failures, then each event once"
    );
    let events: Vec<String> = got
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_str(&r.body).unwrap();
            format!(
                "{} {}",
                body["type"].as_str().unwrap(),
                body["data"]["change"]["to"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            "referral.status_changed requested",
            "referral.status_changed accepted",
            "referral.status_changed in_progress",
            "referral.updated in_progress",
        ],
        "no draft, in order"
    );
    let ids: std::collections::HashSet<&str> =
        got.iter().map(|r| header(r, "webhook-id")).collect();
    assert_eq!(ids.len(), 4, "each event has its own id");
    for r in &got {
        let timestamp: i64 = header(r, "webhook-timestamp").parse().unwrap();
        let expected =
            spoke_api::webhooks::sign(&secret, header(r, "webhook-id"), timestamp, &r.body)
                .unwrap();
        assert_eq!(header(r, "webhook-signature"), expected);
    }
    // Each delivery to the partner is accounted as a disclosure.
    let pushed = disclosures(spoke, &a)
        .iter()
        .filter(|d| d["channel"] == "webhook" && d["consent_id"].is_string())
        .count();
    assert_eq!(pushed, 4, "each with the consent that covered the referral");
}

/// Two instances on one database, each with its worker, and a receiver
/// that fails three times before it recovers: every event arrives exactly
/// once, each referral's in order, with one disclosure per delivery.
fn two_instances_deliver_each_event_once_and_in_order(spoke: &Spoke) {
    let _second = spoke.another_instance();
    let hook = receiver(3);
    let (a, p, token, _) = partner_listening(spoke, &hook);
    let mut referrals = Vec::new();
    for _ in 0..10 {
        referrals.push(referral_in_progress(spoke, &a, &p, &token).0);
    }
    wait_for("thirty events", || {
        hook.accepted.lock().unwrap().len() >= 30
    });
    std::thread::sleep(Duration::from_millis(300)); // nothing more should come
    let got = hook.accepted.lock().unwrap().clone();
    assert_eq!(got.len(), 30, "each event once");
    let ids: std::collections::HashSet<&str> =
        got.iter().map(|r| header(r, "webhook-id")).collect();
    assert_eq!(ids.len(), 30, "no event twice");
    for id in &referrals {
        let moves: Vec<String> = got
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
            .filter(|body| body["data"]["referral"]["id"] == id.as_str())
            .map(|body| body["data"]["change"]["to"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(moves, ["requested", "accepted", "in_progress"], "{id}");
    }
    let pushed = disclosures(spoke, &a)
        .iter()
        .filter(|d| d["channel"] == "webhook")
        .count();
    assert_eq!(pushed, 30, "one disclosure per delivery");
}

/// A partner reads its own services (and only those), and reports capacity
/// with the version it read as If-Match.
fn a_partner_reads_its_services_and_reports_capacity(spoke: &Spoke) {
    let a = agency(spoke);
    let p = partner_org(spoke, &a, "Eastside Food Bank");
    let other = partner_org(spoke, &a, "Westside Shelter");
    let token = partner_token(spoke, &p);
    let page = spoke
        .get("/v1/partner/services")
        .token(&token)
        .send()
        .expect(200);
    let items = page.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only its own: {}", page.text);
    assert_eq!(items[0]["id"], p.service.as_str());
    assert_ne!(items[0]["id"], other.service.as_str());
    let version = items[0]["version"].as_i64().unwrap();
    spoke
        .put(&format!("/v1/partner/services/{}/capacity", p.service))
        .token(&token)
        .if_match(&format!("\"{version}\""))
        .json(json!({"status": "waitlist", "note": "two weeks"}))
        .send()
        .expect(200);
    // A staff token is not a partner's.
    spoke
        .get("/v1/partner/services")
        .as_user(&a.cm)
        .send()
        .expect_problem(403);
}

/// An instance that runs no worker (`SPOKE_RUN_WORKER=false`) leaves its
/// events in the outbox; a worker elsewhere drains them, each once.
fn a_separate_worker_drains_the_outbox(spoke: &Spoke) {
    let Some(spoke) = Spoke::start_with(spoke.backend(), |settings| settings.run_worker = false)
    else {
        return;
    };
    let spoke = &spoke;
    let hook = receiver(0);
    let (a, p, token, _) = partner_listening(spoke, &hook);
    for _ in 0..3 {
        referral_in_progress(spoke, &a, &p, &token);
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        hook.accepted.lock().unwrap().is_empty(),
        "nothing delivers here"
    );
    assert_eq!(spoke.drain_outbox(), 9, "three events of three referrals");
    assert_eq!(hook.accepted.lock().unwrap().len(), 9);
    assert_eq!(spoke.drain_outbox(), 0, "nothing twice");
}

/// Events written while the receiver is down survive a restart and are
/// delivered after it.
fn undelivered_events_survive_a_restart(spoke: &Spoke) {
    let Some(mut spoke_owned) = Spoke::start(spoke.backend()) else {
        return;
    };
    let spoke = &mut spoke_owned;
    let a = agency(spoke);
    let p = partner_org(spoke, &a, "Eastside Food Bank");
    consent(spoke, &a, &p.id);
    // An admin subscription to every referral, at a receiver that is down.
    let hook = receiver(0);
    hook.up.store(false, Ordering::SeqCst);
    let subscribed = spoke
        .post("/v1/webhooks")
        .as_user(&a.admin)
        .json(json!({"url": hook.url, "event_types": ["referral.created", "referral.status_changed"]}))
        .send()
        .expect(201);
    let hook_id = subscribed.body["id"].as_str().unwrap().to_owned();
    let referral = draft(spoke, &a, &p);
    staff_move(spoke, &a, &referral, json!({"status": "requested"})).expect(200);
    let deliveries = |spoke: &Spoke| {
        spoke
            .get(&format!("/v1/webhooks/{hook_id}/deliveries"))
            .as_user(&a.admin)
            .send()
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    wait_for("a failed attempt", || {
        deliveries(spoke)
            .iter()
            .any(|d| d["attempts"].as_i64().unwrap_or(0) >= 1)
    });
    assert!(hook.accepted.lock().unwrap().is_empty());
    spoke.restart();
    // The receiver comes back after the server did.
    hook.up.store(true, Ordering::SeqCst);
    wait_for("both events after the restart", || {
        hook.accepted.lock().unwrap().len() >= 2
    });
    // The receiver has answered; the worker records the answer just after.
    wait_for("both deliveries recorded", || {
        deliveries(spoke).iter().all(|d| d["status"] == "delivered")
    });
    let log = deliveries(spoke);
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|d| d["status"] == "delivered"), "{log:?}");
    let types: Vec<String> = hook
        .accepted
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        types,
        ["referral.created", "referral.status_changed"],
        "in order"
    );
}

both_backends!(
    the_full_loop,
    illegal_moves_name_what_is_allowed,
    partners_are_isolated,
    the_token_grant_refuses_what_it_should,
    a_consent_revoked_before_sending_stops_the_referral,
    webhooks_arrive_signed_once_and_in_order,
    undelivered_events_survive_a_restart,
    two_instances_deliver_each_event_once_and_in_order,
    a_separate_worker_drains_the_outbox,
    a_partner_reads_its_services_and_reports_capacity,
);
