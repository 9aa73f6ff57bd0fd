//! The webhook outbox under several workers, on SQLite and PostgreSQL alike:
//! a claimed delivery is nobody else's until its lease lapses, and an
//! attempt is recorded only under the claim it was made under.
//!
//! The outbox's rows are tested on their own: the connection does not check
//! foreign keys, so no referral needs to exist behind a delivery.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::Duration;
use spoke_domain::ids::{ClientId, OutboxEventId, ReferralId};
use spoke_domain::partner::{Attempt, Delivery, DeliveryStatus, Webhook, WebhookEvent};
use spoke_persistence::testing::{TestDb, execute};
use spoke_persistence::{Backend, StoreError, both_backends, now, transaction, webhooks};

fn without_foreign_keys(db: &TestDb, conn: &mut spoke_persistence::DbConnection) {
    match db.backend() {
        Backend::Sqlite => execute(conn, "PRAGMA foreign_keys = OFF"),
        Backend::Postgres => execute(conn, "SET session_replication_role = replica"),
    }
}

fn delivery(hook: &Webhook, referral: ReferralId, at: chrono::DateTime<chrono::Utc>) -> Delivery {
    Delivery {
        id: uuid::Uuid::now_v7().to_string(),
        event_id: OutboxEventId::generate(),
        webhook_id: hook.id,
        referral_id: referral,
        client_id: ClientId::generate(),
        event: WebhookEvent::ReferralStatusChanged,
        payload: "{}".to_owned(),
        created_at: at,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: at,
        last_attempt_at: None,
        last_status_code: None,
        last_error: None,
        delivered_at: None,
    }
}

fn a_claim_is_exclusive_until_its_lease_lapses(db: &TestDb) {
    let database = db.open(1);
    let mut conn = database.conn().unwrap();
    without_foreign_keys(db, &mut conn);
    let start = now();
    let hook = Webhook::new(
        None,
        "https://example.org/h".into(),
        "whsec_AA==".into(),
        WebhookEvent::ALL.to_vec(),
        start,
    );
    webhooks::insert_webhook(&mut conn, &hook).unwrap();
    let (first, second) = (ReferralId::generate(), ReferralId::generate());
    let earlier = delivery(&hook, first, start);
    let later = delivery(&hook, first, start + Duration::milliseconds(1));
    let other = delivery(&hook, second, start + Duration::milliseconds(2));
    for d in [&earlier, &later, &other] {
        webhooks::enqueue(&mut conn, d).unwrap();
    }
    let claim = |conn: &mut _, at, token: &str| {
        let lease = at + Duration::seconds(60);
        transaction(conn, |conn| webhooks::claim_due(conn, at, lease, 10, token)).unwrap()
    };

    // The heads of both referrals' queues; the later event waits for the earlier.
    let a: Vec<String> = claim(&mut conn, start + Duration::seconds(1), "a")
        .into_iter()
        .map(|c| c.delivery.id)
        .collect();
    assert_eq!(a, [earlier.id.clone(), other.id.clone()]);
    // Another worker finds nothing while the claims hold.
    assert!(claim(&mut conn, start + Duration::seconds(30), "b").is_empty());
    // A lapsed claim (a crashed worker) is taken over; the later event still waits.
    let b = claim(&mut conn, start + Duration::seconds(61), "b");
    assert_eq!(b.len(), 2);

    // The first worker's late record is refused; the one holding the claim is kept.
    let mut late = earlier.clone();
    late.record_attempt(
        Attempt::Answered(204),
        start,
        std::time::Duration::from_secs(5),
    );
    assert!(matches!(
        webhooks::save_attempt(&mut conn, &late, "a"),
        Err(StoreError::Stale)
    ));
    webhooks::save_attempt(&mut conn, &late, "b").unwrap();
    // Twice under the same claim is refused too: the attempt count moved.
    assert!(matches!(
        webhooks::save_attempt(&mut conn, &late, "b"),
        Err(StoreError::Stale)
    ));
    // Now the later event of the first referral is the head of its queue.
    let c: Vec<String> = claim(&mut conn, start + Duration::seconds(62), "c")
        .into_iter()
        .map(|c| c.delivery.id)
        .collect();
    assert_eq!(c, std::slice::from_ref(&later.id));
    // A worker that stops lets go of what it holds: it is due again at once.
    assert_eq!(webhooks::release(&mut conn, "c").unwrap(), 1);
    let d: Vec<String> = claim(&mut conn, start + Duration::seconds(63), "d")
        .into_iter()
        .map(|c| c.delivery.id)
        .collect();
    assert_eq!(d, [later.id]);
}

both_backends!(a_claim_is_exclusive_until_its_lease_lapses);
