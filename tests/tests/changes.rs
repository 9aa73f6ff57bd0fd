//! The change feed over HTTP: changes in commit order, each reader's scope,
//! and a cursor that never skips a change however writers interleave.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Spoke, TestUser, both_backends};

/// Every change after `cursor` the reader sees, following the cursors to the
/// end, and the last cursor.
fn read_all(spoke: &Spoke, who: &TestUser, mut cursor: Option<String>) -> (Vec<Value>, String) {
    let mut all = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/changes?limit=200&after={c}"),
            None => "/v1/changes?limit=200".to_owned(),
        };
        let page = spoke.get(&path).as_user(who).send().expect(200);
        let items = page.body["items"].as_array().unwrap().clone();
        let next = page.body["next_cursor"].as_str().unwrap().to_owned();
        let done = items.is_empty();
        all.extend(items);
        cursor = Some(next.clone());
        if done {
            return (all, next);
        }
    }
}

/// A change and what it causes are in the feed in order; the reader's
/// cursor then waits at the end; another team sees none of it.
fn the_feed_follows_changes_in_order_within_the_scope(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    let elsewhere = spoke.user("cm-b@example.org", Role::CaseManager, Some(spoke.team("B")));
    let (before, cursor) = read_all(spoke, &s.cm, None);
    assert!(
        before
            .iter()
            .any(|c| c["action"] == "client.created" && c["record_id"] == s.client.as_str()),
        "{before:?}"
    );
    let today = chrono::Utc::now().date_naive();
    let event = spoke
        .post(&format!("/v1/clients/{}/critical-events", s.client))
        .as_user(&s.cm)
        .json(json!({"type": "arrest", "started_on": today, "learned_from": "justice"}))
        .send()
        .expect(201);
    let (after, end) = read_all(spoke, &s.cm, Some(cursor));
    let seen: Vec<(&str, &str)> = after
        .iter()
        .map(|c| {
            (
                c["record_type"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("critical_event", "record.created"),
            ("alert", "alert.opened")
        ]
    );
    assert_eq!(after[0]["record_id"], event.body["id"]);
    assert_eq!(after[1]["client_id"], s.client.as_str());
    // Nothing new: the same cursor again.
    let (none, again) = read_all(spoke, &s.cm, Some(end.clone()));
    assert!(none.is_empty());
    assert_eq!(again, end);
    assert!(read_all(spoke, &elsewhere, None).0.is_empty());
    spoke
        .get("/v1/changes?after=not-a-cursor")
        .as_user(&s.cm)
        .send()
        .expect_problem(400);
}

/// Writers on several threads while a reader polls: the reader, following
/// its cursor, sees every change exactly once.
fn a_polling_reader_never_skips_a_change(spoke: &Spoke) {
    let s = spoke.caseload(json!({}));
    // One client per writer: their writes do not wait on each other's rows.
    let clients: Vec<String> = (0..4)
        .map(|n| {
            spoke
                .post("/v1/clients")
                .as_user(&s.cm)
                .json(spoke_tests::client_body(&format!("Writer{n}"), "Doe"))
                .send()
                .expect(201)
                .body["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let (_, start) = read_all(spoke, &s.cm, None);
    let writers_done = std::sync::atomic::AtomicBool::new(false);
    let seen = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut seen = Vec::new();
            let mut cursor = start.clone();
            loop {
                let finished = writers_done.load(std::sync::atomic::Ordering::SeqCst);
                let (items, next) = read_all(spoke, &s.cm, Some(cursor.clone()));
                seen.extend(items);
                cursor = next;
                if finished {
                    return seen;
                }
            }
        });
        let writers: Vec<_> = (0..4)
            .map(|n| {
                let (s, client) = (&s, clients[n].clone());
                scope.spawn(move || {
                    for k in 0..8 {
                        spoke
                            .post(&format!("/v1/clients/{client}/residences"))
                            .as_user(&s.cm)
                            .json(json!({"setting": "own_home", "moved_in_on": format!("20{:02}-0{}-01", 10 + n, k + 1),
                                         "moved_out_on": format!("20{:02}-0{}-02", 10 + n, k + 1)}))
                            .send()
                            .expect(201);
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        writers_done.store(true, std::sync::atomic::Ordering::SeqCst);
        reader.join().unwrap()
    });
    let (all, _) = read_all(spoke, &s.cm, Some(start));
    let ids = |list: &[Value]| -> Vec<String> {
        list.iter()
            .map(|c| format!("{}/{}", c["record_id"], c["action"]))
            .collect()
    };
    assert_eq!(all.len(), 32, "{all:?}");
    assert_eq!(
        ids(&seen),
        ids(&all),
        "the poller saw the feed as it is, in order, once"
    );
}

both_backends!(
    the_feed_follows_changes_in_order_within_the_scope,
    a_polling_reader_never_skips_a_change,
);
