//! What upkeep relies on, on SQLite and PostgreSQL alike: sign-in counters
//! (concurrent attempts are counted one after another, a window ends, a
//! bucket is forgotten or swept) and idempotency records that expire.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::Duration;
use spoke_domain::ids::UserId;
use spoke_domain::throttle::{Bucket, Limit};
use spoke_domain::values::Email;
use spoke_persistence::idempotency::{self, StoredResponse};
use spoke_persistence::testing::TestDb;
use spoke_persistence::{both_backends, now, throttle, transaction};

fn limit() -> Limit {
    Limit {
        attempts: 10,
        window: Duration::minutes(15),
    }
}

fn bucket() -> Bucket {
    Bucket::account(&Email::parse("casey@example.org").unwrap())
}

/// 24 attempts at once on 8 connections: each sees a different count, so
/// exactly `limit` of them can pass.
fn concurrent_attempts_each_get_their_own_count(db: &TestDb) {
    let database = db.open(8);
    let at = now();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let database = database.clone();
            std::thread::spawn(move || {
                let mut conn = database.conn().unwrap();
                (0..3)
                    .map(|_| {
                        transaction(&mut conn, |conn| {
                            throttle::count_attempt(conn, &bucket(), &limit(), at)
                        })
                        .unwrap()
                        .attempts
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut counts: Vec<u32> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=24).collect::<Vec<_>>());
}

fn a_new_window_starts_the_count_again_and_forget_empties_it(db: &TestDb) {
    let database = db.open(1);
    let mut conn = database.conn().unwrap();
    let start = now();
    for n in 1..=3 {
        let count = throttle::count_attempt(&mut conn, &bucket(), &limit(), start).unwrap();
        assert_eq!(count.attempts, n);
        assert_eq!(count.window_start, start);
    }
    let later = start + Duration::minutes(15);
    let count = throttle::count_attempt(&mut conn, &bucket(), &limit(), later).unwrap();
    assert_eq!((count.attempts, count.window_start), (1, later));

    throttle::forget(&mut conn, &bucket()).unwrap();
    let count = throttle::count_attempt(&mut conn, &bucket(), &limit(), later).unwrap();
    assert_eq!(count.attempts, 1);

    let other = Bucket::account(&Email::parse("jo@example.org").unwrap());
    throttle::count_attempt(&mut conn, &other, &limit(), start).unwrap();
    assert_eq!(throttle::sweep(&mut conn, later).unwrap(), 1);
    let count = throttle::count_attempt(&mut conn, &bucket(), &limit(), later).unwrap();
    assert_eq!(count.attempts, 2, "the live bucket survived the sweep");
}

fn idempotency_records_older_than_the_retention_are_swept(db: &TestDb) {
    let database = db.open(1);
    let mut conn = database.conn().unwrap();
    let user = UserId::generate();
    let start = now();
    for (key, age) in [("old", 25), ("fresh", 1)] {
        let stored = StoredResponse {
            fingerprint: "f".to_owned(),
            status_code: 201,
            body: "{}".to_owned(),
            location: Some("/v1/clients/x".to_owned()),
            etag: None,
            created_at: start - Duration::hours(age),
        };
        idempotency::save(&mut conn, user, key, &stored).unwrap();
    }
    let swept = idempotency::sweep(&mut conn, start - Duration::hours(24)).unwrap();
    assert_eq!(swept, 1);
    assert!(idempotency::find(&mut conn, user, "old").unwrap().is_none());
    assert!(
        idempotency::find(&mut conn, user, "fresh")
            .unwrap()
            .is_some()
    );
}

both_backends!(
    idempotency_records_older_than_the_retention_are_swept,
    concurrent_attempts_each_get_their_own_count,
    a_new_window_starts_the_count_again_and_forget_empties_it,
);
