//! Signing in, and every way a token can be refused.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use actix_web::http::header::HeaderName;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use spoke_domain::staff::Role;
use spoke_tests::{AUDIENCE, ISSUER, PASSWORD, SECRET, Spoke, both_backends, token};

fn sign_in_returns_a_token_that_works(spoke: &Spoke) {
    let user = spoke.user(
        "Pat@Example.org",
        Role::CaseManager,
        Some(spoke.team("North")),
    );
    let reply = spoke
        .post("/v1/auth/login")
        .json(json!({"email": "pat@example.org", "password": PASSWORD}))
        .send()
        .expect(200);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let token = reply.body["access_token"].as_str().unwrap().to_owned();
    let me = spoke.get("/v1/me").token(&token).send().expect(200);
    assert_eq!(me.body["id"], user.id.to_string());
    assert_eq!(me.body["email"], "pat@example.org");
    assert_eq!(me.body["role"], "case_manager");
}

fn wrong_email_and_wrong_password_look_the_same(spoke: &Spoke) {
    spoke.user("pat@example.org", Role::Admin, None);
    let wrong_password = spoke
        .post("/v1/auth/login")
        .json(json!({"email": "pat@example.org", "password": "not the password at all"}))
        .send()
        .expect_problem(401);
    let wrong_email = spoke
        .post("/v1/auth/login")
        .json(json!({"email": "nobody@example.org", "password": PASSWORD}))
        .send()
        .expect_problem(401);
    assert_eq!(wrong_password.body["detail"], wrong_email.body["detail"]);
}

fn repeated_failures_are_throttled(spoke: &Spoke) {
    spoke.user("pat@example.org", Role::Admin, None);
    for _ in 0..10 {
        spoke
            .post("/v1/auth/login")
            .json(json!({"email": "pat@example.org", "password": "wrong password guess"}))
            .send()
            .expect_problem(401);
    }
    let refused = spoke
        .post("/v1/auth/login")
        .json(json!({"email": "pat@example.org", "password": PASSWORD}))
        .send()
        .expect_problem(429);
    assert!(refused.header("retry-after").is_some());
}

/// 60 wrong passwords at once from one address: at most 10 are checked, the
/// rest are 429. The owner, from another address, still signs in; an
/// unknown email is counted the same way.
fn the_throttle_holds_under_a_race_and_does_not_lock_the_owner_out(spoke: &Spoke) {
    let Some(spoke) = Spoke::start_with(spoke.backend(), |settings| {
        settings.client_address_header = Some(HeaderName::from_static("x-real-ip"));
    }) else {
        return;
    };
    spoke.user("pat@example.org", Role::Admin, None);
    for email in ["pat@example.org", "nobody@example.org"] {
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..20)
                .map(|_| {
                    scope.spawn(|| {
                        (0..3)
                            .map(|_| {
                                spoke
                                    .post("/v1/auth/login")
                                    .header("x-real-ip", "198.51.100.7")
                                    .json(
                                        json!({"email": email, "password": "wrong password guess"}),
                                    )
                                    .send()
                                    .status
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!(checked + refused, 60, "{email}: {statuses:?}");
        assert_eq!(checked, 10, "{email}: {statuses:?}");
    }
    // The stranger's address is locked out, even with the right password...
    spoke
        .post("/v1/auth/login")
        .header("x-real-ip", "198.51.100.7")
        .json(json!({"email": "pat@example.org", "password": PASSWORD}))
        .send()
        .expect_problem(429);
    // ...the owner's is not, and a sign-in clears the owner's count.
    for _ in 0..2 {
        spoke
            .post("/v1/auth/login")
            .header("x-real-ip", "203.0.113.20")
            .json(json!({"email": "pat@example.org", "password": PASSWORD}))
            .send()
            .expect(200);
    }
}

fn every_bad_token_is_a_401(spoke: &Spoke) {
    let team = spoke.team("North");
    let user = spoke.user("pat@example.org", Role::CaseManager, Some(team));
    let sub = user.id.to_string();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let now = chrono::Utc::now().timestamp();
    let claims = URL_SAFE_NO_PAD.encode(
        json!({"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600})
            .to_string(),
    );
    let good = token(&sub, 600, ISSUER, AUDIENCE, SECRET);
    let tampered = {
        let (rest, _) = good.rsplit_once('.').unwrap();
        format!("{rest}.{}", URL_SAFE_NO_PAD.encode(b"not the signature"))
    };
    let cases = [
        ("expired", token(&sub, -120, ISSUER, AUDIENCE, SECRET)),
        (
            "wrong signature",
            token(
                &sub,
                600,
                ISSUER,
                AUDIENCE,
                b"another secret, another secret!!",
            ),
        ),
        ("tampered signature", tampered),
        (
            "wrong issuer",
            token(&sub, 600, "someone-else", AUDIENCE, SECRET),
        ),
        (
            "wrong audience",
            token(&sub, 600, ISSUER, "another-api", SECRET),
        ),
        ("alg none", format!("{header}.{claims}.")),
        (
            "unknown user",
            token(
                &uuid::Uuid::now_v7().to_string(),
                600,
                ISSUER,
                AUDIENCE,
                SECRET,
            ),
        ),
        (
            "not a uuid subject",
            token("admin", 600, ISSUER, AUDIENCE, SECRET),
        ),
        ("garbage", "not-a-jwt".to_owned()),
    ];
    for (case, bad) in cases {
        let reply = spoke.get("/v1/me").token(&bad).send();
        assert_eq!(reply.status, 401, "{case}: {}", reply.text);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{case}");
    }
    spoke.get("/v1/me").send().expect_problem(401);
    spoke
        .get("/v1/me")
        .header("Authorization", "Basic cGF0OnB3")
        .send()
        .expect_problem(401);
    // The good token still works, so the cases above failed for their reason.
    spoke.get("/v1/me").token(&good).send().expect(200);
}

fn a_deleted_users_token_stops_working(spoke: &Spoke) {
    let admin = spoke.admin();
    let user = spoke.user(
        "leaving@example.org",
        Role::CaseManager,
        Some(spoke.team("North")),
    );
    spoke.get("/v1/me").as_user(&user).send().expect(200);
    let etag = spoke
        .get(&format!("/v1/users/{}", user.id))
        .as_user(&admin)
        .send()
        .expect(200)
        .etag();
    spoke
        .delete(&format!("/v1/users/{}", user.id))
        .as_user(&admin)
        .if_match(&etag)
        .send()
        .expect(204);
    spoke
        .get("/v1/me")
        .as_user(&user)
        .send()
        .expect_problem(401);
    spoke
        .post("/v1/auth/login")
        .json(json!({"email": "leaving@example.org", "password": PASSWORD}))
        .send()
        .expect_problem(401);
}

fn a_changed_password_is_the_one_that_signs_in(spoke: &Spoke) {
    let user = spoke.user("pat@example.org", Role::Admin, None);
    spoke
        .put("/v1/me/password")
        .as_user(&user)
        .json(json!({"current_password": "wrong", "new_password": "a brand new passphrase"}))
        .send()
        .expect_problem(422);
    spoke
        .put("/v1/me/password")
        .as_user(&user)
        .json(json!({"current_password": PASSWORD, "new_password": "short"}))
        .send()
        .expect_problem(422);
    spoke
        .put("/v1/me/password")
        .as_user(&user)
        .json(json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}))
        .send()
        .expect(204);
    spoke
        .post("/v1/auth/login")
        .json(json!({"email": "pat@example.org", "password": PASSWORD}))
        .send()
        .expect_problem(401);
    spoke
        .post("/v1/auth/login")
        .json(json!({"email": "pat@example.org", "password": "a brand new passphrase"}))
        .send()
        .expect(200);
}

/// A token works only for the sessions it was issued in: a new password, a
/// new role or a new team ends them; other changes to the user do not.
fn tokens_end_when_the_password_role_or_team_changes(spoke: &Spoke) {
    let north = spoke.team("North");
    let user = spoke.user("pat@example.org", Role::CaseManager, Some(north));
    let admin = spoke.admin();
    spoke.get("/v1/me").as_user(&user).send().expect(200);
    spoke
        .put("/v1/me/password")
        .as_user(&user)
        .json(json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}))
        .send()
        .expect(204);
    let ended = spoke
        .get("/v1/me")
        .as_user(&user)
        .send()
        .expect_problem(401);
    assert!(
        ended.body["detail"]
            .as_str()
            .unwrap()
            .contains("sign in again"),
        "{}",
        ended.body
    );
    let sign_in = || {
        let reply = spoke
            .post("/v1/auth/login")
            .json(json!({"email": "pat@example.org", "password": "a brand new passphrase"}))
            .send()
            .expect(200);
        reply.body["access_token"].as_str().unwrap().to_owned()
    };
    let fresh = sign_in();
    spoke.get("/v1/me").token(&fresh).send().expect(200);

    let change = |patch: serde_json::Value| {
        let path = format!("/v1/users/{}", user.id);
        let current = spoke.get(&path).as_user(&admin).send().expect(200);
        spoke
            .patch(&path)
            .as_user(&admin)
            .if_match(&current.etag())
            .json(patch)
            .send()
            .expect(200);
    };
    change(json!({"display_name": "Pat Renamed"}));
    spoke.get("/v1/me").token(&fresh).send().expect(200);
    change(json!({"role": "supervisor"}));
    spoke.get("/v1/me").token(&fresh).send().expect_problem(401);
    let promoted = sign_in();
    let me = spoke.get("/v1/me").token(&promoted).send().expect(200);
    assert_eq!(me.body["role"], "supervisor");
    change(json!({"team_id": spoke.team("South")}));
    spoke
        .get("/v1/me")
        .token(&promoted)
        .send()
        .expect_problem(401);
    spoke.get("/v1/me").token(&sign_in()).send().expect(200);
}

both_backends!(
    sign_in_returns_a_token_that_works,
    wrong_email_and_wrong_password_look_the_same,
    repeated_failures_are_throttled,
    the_throttle_holds_under_a_race_and_does_not_lock_the_owner_out,
    every_bad_token_is_a_401,
    a_deleted_users_token_stops_working,
    a_changed_password_is_the_one_that_signs_in,
    tokens_end_when_the_password_role_or_team_changes,
);
