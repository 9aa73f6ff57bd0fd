//! The change feed, on SQLite and PostgreSQL alike: a reader never sees a
//! change before one with a smaller cursor that commits later.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::time::Duration;

use spoke_domain::change::Change;
use spoke_domain::ids::ClientId;
use spoke_domain::policy::ClientScope;
use spoke_persistence::testing::TestDb;
use spoke_persistence::testing::fixtures::{client, team};
use spoke_persistence::{StoreError, both_backends, changes, now, transaction};

fn change(client: ClientId, id: &str) -> Change {
    Change {
        record_type: "contact".into(),
        record_id: id.into(),
        client_id: client,
        action: "record.created".into(),
        at: now(),
    }
}

fn ids(rows: &[(i64, Change)]) -> Vec<String> {
    rows.iter().map(|(_, c)| c.record_id.clone()).collect()
}

/// Writer A appends and holds its transaction open; writer B appends and
/// commits meanwhile. A reader in between must not see B's change ahead of
/// A's: what it sees is always the start of what it will see in the end.
fn a_reader_never_sees_a_later_change_first(db: &TestDb) {
    let database = db.open(4);
    let mut conn = database.conn().unwrap();
    let north = team(&mut conn, "North");
    let maria = client(&mut conn, north.id, "Maria", "Rivera").id;
    let (appended, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
    let early = std::thread::scope(|scope| {
        let a = scope.spawn(|| {
            let mut conn = database.conn().unwrap();
            transaction(&mut conn, |conn| {
                changes::append(conn, &[change(maria, "a")])?;
                appended.wait();
                release.wait();
                Ok::<_, StoreError>(())
            })
            .unwrap();
        });
        appended.wait();
        let b = scope.spawn(|| {
            let mut conn = database.conn().unwrap();
            // Waits for A (its lock, or SQLite's one writer), or commits first.
            let _ = transaction(&mut conn, |conn| {
                changes::append(conn, &[change(maria, "b")])
            });
        });
        std::thread::sleep(Duration::from_millis(200));
        let early = changes::after(&mut database.conn().unwrap(), &ClientScope::All, 0, 10);
        release.wait();
        a.join().unwrap();
        b.join().unwrap();
        early.unwrap()
    });
    let end = changes::after(&mut conn, &ClientScope::All, 0, 10).unwrap();
    assert_eq!(ids(&end), ["a", "b"]);
    assert!(
        ids(&end).starts_with(&ids(&early)),
        "seen early {:?}, in the end {:?}",
        ids(&early),
        ids(&end)
    );
    assert_eq!(changes::last_seq(&mut conn).unwrap(), end[1].0);
    let (first, _) = &end[0];
    assert_eq!(
        ids(&changes::after(&mut conn, &ClientScope::All, *first, 10).unwrap()),
        ["b"]
    );
    assert!(
        changes::after(
            &mut conn,
            &ClientScope::Team(spoke_domain::ids::TeamId::generate()),
            0,
            10
        )
        .unwrap()
        .is_empty()
    );
}

both_backends!(a_reader_never_sees_a_later_change_first);
