//! The database goes away under a running server, and comes back.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::json;
use spoke_domain::staff::Role;
use spoke_persistence::{Backend, Database};
use spoke_tests::{Spoke, client_body, wait_for};

/// PostgreSQL refusing connections: every endpoint that needs it, the
/// readiness probe included, answers 503 problem+json with Retry-After (the
/// pool's checkout timeout, not a hang); liveness stays 200; nothing is
/// half-stored; once the database is back the same server answers again,
/// without a restart.
#[test]
fn an_unreachable_database_is_a_503_and_recovery_needs_no_restart() {
    let Some(spoke) = Spoke::start(Backend::Postgres) else {
        return;
    };
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    // An instance with production's pool: a request waits 1 s for a connection.
    let database = Database::connect(spoke.test_db().url(), 8).unwrap();
    let server = spoke.instance_on(database);
    spoke
        .get("/v1/clients")
        .as_user(&cm)
        .on(&server)
        .send()
        .expect(200);

    spoke.test_db().cut_off();
    let calls = [
        spoke.get("/readyz"),
        spoke.get("/v1/clients").as_user(&cm),
        spoke.get("/v1/me").as_user(&cm),
        spoke
            .post("/v1/clients")
            .as_user(&cm)
            .json(client_body("Ana", "Lee")),
        spoke
            .post("/v1/auth/login")
            .json(json!({"email": "cm@example.org", "password": spoke_tests::PASSWORD})),
    ];
    for call in calls {
        let refused = call.on(&server).send().expect_problem(503);
        assert_eq!(refused.header("retry-after"), Some("2"));
        assert_eq!(refused.body["status"], 503);
    }
    spoke.get("/healthz").on(&server).send().expect(200);

    spoke.test_db().restore();
    wait_for("the database to answer again", || {
        spoke.get("/readyz").on(&server).send().status == 200
    });
    let count = spoke
        .get("/v1/clients")
        .as_user(&cm)
        .on(&server)
        .send()
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        count, 0,
        "the create refused during the outage stored nothing"
    );
}
