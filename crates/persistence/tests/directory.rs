//! The directory's storage and search, proven on SQLite and PostgreSQL alike:
//! the same query gives the same answer on both.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chrono::Duration;
use spoke_domain::directory::{
    Capacity, CapacityState, GeoPoint, Location, LocationInput, Organization, OrganizationInput,
    Service, ServiceInput, ServiceStatus, Weekday,
};
use spoke_domain::ids::{LocationId, OrganizationId, TaxonomyTermId};
use spoke_persistence::directory::{self as dir, SearchKeyset, ServiceQuery};
use spoke_persistence::testing::TestDb;
use spoke_persistence::{DbConnection, both_backends, now};

fn organization(conn: &mut DbConnection, name: &str) -> OrganizationId {
    let input: OrganizationInput =
        serde_json::from_value(serde_json::json!({"name": name})).unwrap();
    let o = Organization::create(input.parse().unwrap(), None, now());
    dir::insert_organization(conn, &o).unwrap();
    o.id
}

fn location(
    conn: &mut DbConnection,
    org: OrganizationId,
    name: &str,
    lat: f64,
    lng: f64,
) -> LocationId {
    let input = LocationInput {
        organization_id: org,
        name: name.into(),
        address: None,
        latitude: Some(lat),
        longitude: Some(lng),
        accessibility: None,
        transportation: None,
        phones: vec![],
    };
    let at = now();
    let l = Location {
        id: LocationId::generate(),
        hsds_id: None,
        organization_id: org,
        fields: input.parse().unwrap(),
        last_modified: at,
        created_at: at,
        version: 1,
    };
    dir::insert_location(conn, &l).unwrap();
    l.id
}

fn term(conn: &mut DbConnection, code: &str) -> TaxonomyTermId {
    dir::term_by_code(conn, code).unwrap().unwrap().id
}

fn service(conn: &mut DbConnection, org: OrganizationId, body: serde_json::Value) -> Service {
    let mut body = body;
    body["organization_id"] = serde_json::json!(org);
    let input: ServiceInput = serde_json::from_value(body).unwrap();
    let at = now();
    let s = Service {
        id: spoke_domain::ids::ServiceId::generate(),
        hsds_id: None,
        organization_id: org,
        fields: input.parse().unwrap(),
        capacity: None,
        last_modified: at,
        created_at: at,
        version: 1,
    };
    dir::insert_service(conn, &s).unwrap();
    s
}

fn names(conn: &mut DbConnection, q: &ServiceQuery) -> Vec<String> {
    dir::search_services(conn, q, None, 100)
        .unwrap()
        .items
        .into_iter()
        .map(|hit| hit.service.fields.name.to_string())
        .collect()
}

/// Portland-area fixtures shared by the search tests.
fn fixtures(conn: &mut DbConnection) {
    dir::ensure_default_taxonomy(conn, now()).unwrap();
    let org = organization(conn, "Eastside Community Services");
    let downtown = location(conn, org, "Downtown", 45.5152, -122.6784);
    let gresham = location(conn, org, "Gresham", 45.4987, -122.4302); // ~19 km east
    let salem = location(conn, org, "Salem", 44.9429, -123.0351); // ~70 km south
    let pantry = term(conn, "food-pantry");
    let shelter = term(conn, "emergency-shelter");
    let detox = term(conn, "detox");
    service(
        conn,
        org,
        serde_json::json!({
            "name": "Weekly grocery pantry", "description": "Free groceries every Tuesday",
            "languages": ["en", "es-MX"], "taxonomy_term_ids": [pantry], "location_ids": [downtown],
            "hours": [{"weekday": "tuesday", "opens_at": "10:00:00", "closes_at": "14:00:00"}]
        }),
    );
    service(
        conn,
        org,
        serde_json::json!({
            "name": "Youth shelter", "description": "Beds for young people",
            "minimum_age": 12, "maximum_age": 24, "languages": ["en"],
            "taxonomy_term_ids": [shelter], "location_ids": [gresham]
        }),
    );
    service(
        conn,
        org,
        serde_json::json!({
            "name": "Medical detox", "description": "Withdrawal management with nursing",
            "minimum_age": 18, "accepts_medicaid": true, "languages": ["en", "ru"],
            "taxonomy_term_ids": [detox], "location_ids": [salem]
        }),
    );
    service(
        conn,
        org,
        serde_json::json!({
            "name": "Closed pantry", "description": "Groceries", "status": "defunct",
            "taxonomy_term_ids": [pantry]
        }),
    );
}

fn each_filter_narrows_the_search(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    fixtures(&mut conn);
    let all = ServiceQuery::default();
    assert_eq!(
        names(&mut conn, &all),
        [
            "Closed pantry",
            "Medical detox",
            "Weekly grocery pantry",
            "Youth shelter"
        ]
    );
    let q = |f: &dyn Fn(&mut ServiceQuery)| {
        let mut q = ServiceQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(
        names(&mut conn, &q(&|q| q.words = vec!["GROCER".into()])),
        ["Closed pantry", "Weekly grocery pantry"]
    );
    assert_eq!(
        names(
            &mut conn,
            &q(&|q| q.words = vec!["free".into(), "tuesday".into()])
        ),
        ["Weekly grocery pantry"]
    );
    assert_eq!(
        names(&mut conn, &q(&|q| q.words = vec!["50%".into()])),
        Vec::<String>::new()
    );
    let food = dir::term_by_code(&mut conn, "food").unwrap().unwrap();
    assert_eq!(
        names(
            &mut conn,
            &q(&|q| q.taxonomy_path = Some(food.path.clone()))
        ),
        ["Closed pantry", "Weekly grocery pantry"]
    );
    let basic = dir::term_by_code(&mut conn, "basic-needs")
        .unwrap()
        .unwrap();
    assert_eq!(
        names(
            &mut conn,
            &q(&|q| q.taxonomy_path = Some(basic.path.clone()))
        ),
        ["Closed pantry", "Weekly grocery pantry", "Youth shelter"],
        "descendants of descendants count"
    );
    assert_eq!(
        names(&mut conn, &q(&|q| q.language = Some("es".into()))),
        ["Weekly grocery pantry"]
    );
    assert_eq!(
        names(&mut conn, &q(&|q| q.language = Some("ru".into()))),
        ["Medical detox"]
    );
    assert_eq!(
        names(&mut conn, &q(&|q| q.accepts_medicaid = Some(true))),
        ["Medical detox"]
    );
    assert_eq!(
        names(&mut conn, &q(&|q| q.age = Some(12))),
        ["Closed pantry", "Weekly grocery pantry", "Youth shelter"]
    );
    assert_eq!(
        names(&mut conn, &q(&|q| q.age = Some(11))),
        ["Closed pantry", "Weekly grocery pantry"]
    );
    assert_eq!(
        names(&mut conn, &q(&|q| q.age = Some(25))),
        ["Closed pantry", "Medical detox", "Weekly grocery pantry"]
    );
    assert_eq!(
        names(&mut conn, &q(&|q| q.status = Some(ServiceStatus::Active))).len(),
        3
    );
    // Tuesday 10:00 is open, 14:00 is closed, Wednesday never.
    assert_eq!(
        names(
            &mut conn,
            &q(&|q| q.open_at = Some((Weekday::Tuesday.number(), 600)))
        ),
        ["Weekly grocery pantry"]
    );
    assert!(
        names(
            &mut conn,
            &q(&|q| q.open_at = Some((Weekday::Tuesday.number(), 840)))
        )
        .is_empty()
    );
    assert!(
        names(
            &mut conn,
            &q(&|q| q.open_at = Some((Weekday::Wednesday.number(), 600)))
        )
        .is_empty()
    );
    // Combined.
    let combined = q(&|q| {
        q.words = vec!["groceries".into()];
        q.taxonomy_path = Some(food.path.clone());
        q.language = Some("es".into());
        q.status = Some(ServiceStatus::Active);
    });
    assert_eq!(names(&mut conn, &combined), ["Weekly grocery pantry"]);
}

fn near_searches_order_by_distance_within_the_radius(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    fixtures(&mut conn);
    let downtown = GeoPoint::parse(45.5152, -122.6784).unwrap();
    let search = |conn: &mut DbConnection, radius: f64| {
        let q = ServiceQuery {
            near: Some((downtown, radius)),
            ..Default::default()
        };
        dir::search_services(conn, &q, None, 100).unwrap().items
    };
    let close = search(&mut conn, 25.0);
    let found: Vec<_> = close
        .iter()
        .map(|h| h.service.fields.name.to_string())
        .collect();
    assert_eq!(found, ["Weekly grocery pantry", "Youth shelter"]);
    assert!(close[0].distance_km.unwrap() < 0.01);
    let gresham = close[1].distance_km.unwrap();
    assert!((18.0..21.0).contains(&gresham), "{gresham}");
    let wide = search(&mut conn, 100.0);
    assert_eq!(
        wide.len(),
        3,
        "a service without a location never matches near"
    );
    assert!(
        wide.windows(2)
            .all(|w| w[0].distance_km <= w[1].distance_km)
    );
    assert!(search(&mut conn, 0.5).len() == 1);
}

fn search_pages_cover_everything_once(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    dir::ensure_default_taxonomy(&mut conn, now()).unwrap();
    let org = organization(&mut conn, "Many Services");
    let here = location(&mut conn, org, "Here", 45.5, -122.6);
    let there = location(&mut conn, org, "There", 45.6, -122.6);
    for n in 0..45 {
        // Duplicate names: the id breaks ties.
        let at = if n % 2 == 0 { here } else { there };
        service(
            &mut conn,
            org,
            serde_json::json!({"name": format!("Service {}", n % 7), "location_ids": [at]}),
        );
    }
    for near in [None, Some((GeoPoint::parse(45.5, -122.6).unwrap(), 50.0))] {
        let q = ServiceQuery {
            near,
            ..Default::default()
        };
        let mut seen = std::collections::HashSet::new();
        let mut after: Option<SearchKeyset> = None;
        loop {
            let page = dir::search_services(&mut conn, &q, after.as_ref(), 10).unwrap();
            for hit in &page.items {
                assert!(seen.insert(hit.service.id), "duplicate {near:?}");
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 45, "{near:?}");
    }
}

fn capacity_and_modification_filters(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    dir::ensure_default_taxonomy(&mut conn, now()).unwrap();
    let org = organization(&mut conn, "Org");
    let mut waitlisted = service(&mut conn, org, serde_json::json!({"name": "A"}));
    service(&mut conn, org, serde_json::json!({"name": "B"}));
    let before = now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    waitlisted.capacity = Some(CapacityState {
        status: Capacity::Waitlist,
        note: Some(spoke_domain::values::ShortText::parse("two weeks").unwrap()),
        updated_at: now(),
    });
    waitlisted.last_modified = now();
    waitlisted.version += 1;
    dir::update_service(&mut conn, &waitlisted, 1).unwrap();
    assert_eq!(
        dir::get_service(&mut conn, waitlisted.id).unwrap(),
        waitlisted
    );
    let q = ServiceQuery {
        capacity: Some(Capacity::Waitlist),
        ..Default::default()
    };
    assert_eq!(names(&mut conn, &q), ["A"]);
    let q = ServiceQuery {
        modified_after: Some(before),
        ..Default::default()
    };
    assert_eq!(names(&mut conn, &q), ["A"]);
    let q = ServiceQuery {
        modified_after: Some(before - Duration::hours(1)),
        ..Default::default()
    };
    assert_eq!(names(&mut conn, &q), ["A", "B"]);
    assert!(matches!(
        dir::update_service(&mut conn, &waitlisted, 1),
        Err(spoke_persistence::StoreError::Stale)
    ));
}

fn records_round_trip_and_deletes_respect_references(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    dir::ensure_default_taxonomy(&mut conn, now()).unwrap();
    assert_eq!(
        dir::ensure_default_taxonomy(&mut conn, now()).unwrap(),
        0,
        "idempotent"
    );
    let input: OrganizationInput = serde_json::from_value(serde_json::json!({
        "name": "Food Bank", "description": "Food for all", "website": "https://food.example.org",
        "email": "Help@Food.example.org", "tax_id": "93-1234567",
        "phones": [{"number": "503 555 0100", "kind": "voice"}]
    }))
    .unwrap();
    let mut org = Organization::create(input.parse().unwrap(), Some("hsds-org-1".into()), now());
    dir::insert_organization(&mut conn, &org).unwrap();
    assert_eq!(dir::get_organization(&mut conn, org.id).unwrap(), org);
    assert_eq!(
        dir::organization_by_hsds_id(&mut conn, "hsds-org-1")
            .unwrap()
            .unwrap()
            .id,
        org.id
    );
    let place = location(&mut conn, org.id, "Warehouse", 45.0, -122.0);
    let s = service(
        &mut conn,
        org.id,
        serde_json::json!({
            "name": "Pantry", "languages": ["es"], "location_ids": [place],
            "hours": [{"weekday": "monday", "opens_at": "09:00:00", "closes_at": "12:00:00"}],
            "phones": [{"number": "+1 503 555 0101"}]
        }),
    );
    assert_eq!(dir::get_service(&mut conn, s.id).unwrap(), s);
    assert!(
        dir::delete_location(&mut conn, place).is_err(),
        "a service is delivered there"
    );
    assert!(
        dir::delete_organization(&mut conn, org.id).is_err(),
        "it still has services"
    );
    dir::delete_service(&mut conn, s.id).unwrap();
    dir::delete_location(&mut conn, place).unwrap();
    org.version = 2;
    dir::update_organization(&mut conn, &org, 1).unwrap();
    dir::delete_organization(&mut conn, org.id).unwrap();
}

fn near_pages_equal_a_brute_force_ranking(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    dir::ensure_default_taxonomy(&mut conn, now()).unwrap();
    let org = organization(&mut conn, "Spread");
    let center = GeoPoint::parse(45.5, -122.6).unwrap();
    let mut expected = Vec::new();
    // A deterministic scatter: some dense near the centre, some far away.
    for n in 0..120u32 {
        let spread = if n % 3 == 0 { 0.02 } else { 0.5 };
        let t = f64::from(n) * 2.399_963; // golden angle
        let r = spread * (f64::from(n) / 120.0).sqrt();
        let (lat, lng) = (45.5 + r * t.sin(), -122.6 + r * t.cos());
        let place = location(&mut conn, org, &format!("P{n}"), lat, lng);
        let s = service(
            &mut conn,
            org,
            serde_json::json!({"name": format!("S{n}"), "location_ids": [place]}),
        );
        let km = center.distance_km(&GeoPoint::parse(lat, lng).unwrap());
        if km <= 30.0 {
            expected.push((km, s.id.to_string()));
        }
    }
    expected.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let q = ServiceQuery {
        near: Some((center, 30.0)),
        ..Default::default()
    };
    let mut got = Vec::new();
    let mut after: Option<SearchKeyset> = None;
    loop {
        let page = dir::search_services(&mut conn, &q, after.as_ref(), 7).unwrap();
        got.extend(
            page.items
                .iter()
                .map(|h| (h.distance_km.unwrap(), h.service.id.to_string())),
        );
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert!(
        expected.len() > 30 && expected.len() < 120,
        "{}",
        expected.len()
    );
    let ids = |v: &[(f64, String)]| v.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&got), ids(&expected));
}

/// The names a near search finds, sorted as a name search sorts them.
fn near_names(conn: &mut DbConnection, q: &ServiceQuery, center: GeoPoint, km: f64) -> Vec<String> {
    let q = ServiceQuery {
        near: Some((center, km)),
        ..q.clone()
    };
    let mut found = names(conn, &q);
    found.sort_by_key(|name| name.to_lowercase());
    found
}

/// The near search decides most filters on its own index; it must agree
/// with the name search on every filter, and follow every write that
/// changes what the index holds.
fn near_and_name_searches_agree_on_every_filter(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    fixtures(&mut conn);
    let downtown = GeoPoint::parse(45.5152, -122.6784).unwrap();
    let food = dir::term_by_code(&mut conn, "food").unwrap().unwrap();
    let basic = dir::term_by_code(&mut conn, "basic-needs")
        .unwrap()
        .unwrap();
    let with = |set: &dyn Fn(&mut ServiceQuery)| {
        let mut q = ServiceQuery::default();
        set(&mut q);
        q
    };
    let queries = vec![
        with(&|_| {}),
        with(&|q| q.words = vec!["GROCER".into()]),
        with(&|q| q.taxonomy_path = Some(food.path.clone())),
        with(&|q| q.taxonomy_path = Some(basic.path.clone())),
        with(&|q| q.language = Some("es".into())),
        with(&|q| q.language = Some("es-MX".into())),
        with(&|q| q.language = Some("e".into())),
        with(&|q| q.language = Some("ru".into())),
        with(&|q| q.accepts_medicaid = Some(true)),
        with(&|q| q.accepts_medicaid = Some(false)),
        with(&|q| q.age = Some(11)),
        with(&|q| q.age = Some(12)),
        with(&|q| q.age = Some(25)),
        with(&|q| q.status = Some(ServiceStatus::Active)),
        with(&|q| q.capacity = Some(Capacity::Full)),
        with(&|q| q.open_at = Some((Weekday::Tuesday.number(), 600))),
        with(&|q| q.modified_after = Some(now() - Duration::hours(1))),
        with(&|q| q.modified_after = Some(now() + Duration::hours(1))),
        with(&|q| {
            q.words = vec!["groceries".into()];
            q.taxonomy_path = Some(food.path.clone());
            q.language = Some("es".into());
            q.status = Some(ServiceStatus::Active);
        }),
    ];
    let mut matched = 0;
    for (n, q) in queries.iter().enumerate() {
        let mut by_name = names(&mut conn, q);
        by_name.retain(|name| name != "Closed pantry"); // it has no location
        assert_eq!(
            near_names(&mut conn, q, downtown, 500.0),
            by_name,
            "query {n}"
        );
        matched += by_name.len();
    }
    assert!(matched > 20, "the queries match something: {matched}");

    // Moving Salem's clinic downtown brings its service within 5 km.
    let every = ServiceQuery::default();
    assert_eq!(
        near_names(&mut conn, &every, downtown, 5.0),
        ["Weekly grocery pantry"]
    );
    let detox = dir::search_services(
        &mut conn,
        &ServiceQuery {
            words: vec!["detox".into()],
            ..Default::default()
        },
        None,
        1,
    )
    .unwrap()
    .items
    .remove(0)
    .service;
    let place = *detox.fields.location_ids.iter().next().unwrap();
    let mut moved = dir::get_location(&mut conn, place).unwrap();
    moved.fields.point = Some(GeoPoint::parse(45.52, -122.68).unwrap());
    moved.version += 1;
    dir::update_location(&mut conn, &moved, 1).unwrap();
    assert_eq!(
        near_names(&mut conn, &every, downtown, 5.0),
        ["Medical detox", "Weekly grocery pantry"]
    );
    // A place without coordinates is never near anything.
    moved.fields.point = None;
    moved.version += 1;
    dir::update_location(&mut conn, &moved, 2).unwrap();
    assert_eq!(
        near_names(&mut conn, &every, downtown, 500.0),
        ["Weekly grocery pantry", "Youth shelter"]
    );
    moved.fields.point = Some(GeoPoint::parse(45.52, -122.68).unwrap());
    moved.version += 1;
    dir::update_location(&mut conn, &moved, 3).unwrap();
    // A service's own changes reach the index: capacity, languages.
    let mut full = detox.clone();
    full.capacity = Some(CapacityState {
        status: Capacity::Full,
        note: None,
        updated_at: now(),
    });
    full.fields.languages.clear();
    full.version += 1;
    dir::update_service(&mut conn, &full, 1).unwrap();
    let q = ServiceQuery {
        capacity: Some(Capacity::Full),
        ..Default::default()
    };
    assert_eq!(near_names(&mut conn, &q, downtown, 5.0), ["Medical detox"]);
    let q = ServiceQuery {
        language: Some("ru".into()),
        ..Default::default()
    };
    assert!(near_names(&mut conn, &q, downtown, 500.0).is_empty());
    // And a deleted service leaves it.
    dir::delete_service(&mut conn, detox.id).unwrap();
    assert_eq!(
        near_names(&mut conn, &every, downtown, 5.0),
        ["Weekly grocery pantry"]
    );
}

/// The migration that adds the near index fills it from the directory
/// already stored, exactly as the code would have.
fn the_near_index_migration_fills_it_from_stored_services(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    fixtures(&mut conn);
    let downtown = GeoPoint::parse(45.5152, -122.6784).unwrap();
    let basic = dir::term_by_code(&mut conn, "basic-needs")
        .unwrap()
        .unwrap();
    let queries = [
        ServiceQuery::default(),
        ServiceQuery {
            language: Some("es".into()),
            taxonomy_path: Some(basic.path.clone()),
            ..Default::default()
        },
        ServiceQuery {
            age: Some(25),
            accepts_medicaid: Some(false),
            ..Default::default()
        },
    ];
    let before: Vec<Vec<String>> = queries
        .iter()
        .map(|q| near_names(&mut conn, q, downtown, 500.0))
        .collect();
    assert_eq!(before[0].len(), 3, "{before:?}");
    assert_eq!(before[1], ["Weekly grocery pantry"]);
    spoke_persistence::testing::redo_migrations_from(&mut conn, "2026-11-27-000003_service_places")
        .unwrap();
    let after: Vec<Vec<String>> = queries
        .iter()
        .map(|q| near_names(&mut conn, q, downtown, 500.0))
        .collect();
    assert_eq!(after, before);
}

/// Services stored in bulk (`insert_services`, the HSDS import's way) are
/// found by every filter exactly as services stored one by one are.
fn bulk_inserted_services_search_like_single_ones(db: &TestDb) {
    let database = db.open(2);
    let mut conn = database.conn().unwrap();
    dir::ensure_default_taxonomy(&mut conn, now()).unwrap();
    let org = organization(&mut conn, "Eastside Community Services");
    let downtown = location(&mut conn, org, "Downtown", 45.5152, -122.6784);
    let gresham = location(&mut conn, org, "Gresham", 45.4987, -122.4302);
    let (pantry, shelter) = (
        term(&mut conn, "food-pantry"),
        term(&mut conn, "emergency-shelter"),
    );
    let bodies = [
        serde_json::json!({"name": "pantry", "languages": ["en", "es-MX"], "taxonomy_term_ids": [pantry],
            "location_ids": [downtown, gresham], "accepts_medicaid": true,
            "hours": [{"weekday": "tuesday", "opens_at": "10:00:00", "closes_at": "14:00:00"}]}),
        serde_json::json!({"name": "shelter", "minimum_age": 12, "maximum_age": 24, "languages": ["ru"],
            "taxonomy_term_ids": [shelter, pantry], "location_ids": [gresham]}),
        serde_json::json!({"name": "hotline", "languages": ["en"]}),
    ];
    let mut bulk = Vec::new();
    for body in &bodies {
        let mut body = body.clone();
        body["name"] = serde_json::json!(format!("bulk {}", body["name"].as_str().unwrap()));
        body["organization_id"] = serde_json::json!(org);
        let input: ServiceInput = serde_json::from_value(body).unwrap();
        let at = now();
        bulk.push(Service {
            id: spoke_domain::ids::ServiceId::generate(),
            hsds_id: None,
            organization_id: org,
            fields: input.parse().unwrap(),
            capacity: None,
            last_modified: at,
            created_at: at,
            version: 1,
        });
    }
    spoke_persistence::transaction(&mut conn, |conn| dir::insert_services(conn, &bulk)).unwrap();
    for body in &bodies {
        let mut body = body.clone();
        body["name"] = serde_json::json!(format!("single {}", body["name"].as_str().unwrap()));
        service(&mut conn, org, body);
    }
    for stored in &bulk {
        assert_eq!(&dir::get_service(&mut conn, stored.id).unwrap(), stored);
    }
    let near = GeoPoint::parse(45.5152, -122.6784).unwrap();
    let queries = [
        ServiceQuery::default(),
        ServiceQuery {
            near: Some((near, 50.0)),
            ..Default::default()
        },
        ServiceQuery {
            near: Some((near, 5.0)),
            ..Default::default()
        },
        ServiceQuery {
            language: Some("es".into()),
            ..Default::default()
        },
        ServiceQuery {
            language: Some("es".into()),
            near: Some((near, 50.0)),
            ..Default::default()
        },
        ServiceQuery {
            age: Some(15),
            near: Some((near, 50.0)),
            ..Default::default()
        },
        ServiceQuery {
            accepts_medicaid: Some(true),
            near: Some((near, 50.0)),
            ..Default::default()
        },
        ServiceQuery {
            open_at: Some((2, 11 * 60)),
            ..Default::default()
        },
        ServiceQuery {
            taxonomy_path: Some(dir::get_term(&mut conn, pantry).unwrap().path),
            near: Some((near, 50.0)),
            ..Default::default()
        },
        ServiceQuery {
            taxonomy_path: Some(dir::get_term(&mut conn, shelter).unwrap().path),
            ..Default::default()
        },
    ];
    for q in &queries {
        let found = names(&mut conn, q);
        let bulk: Vec<&str> = found
            .iter()
            .filter_map(|n| n.strip_prefix("bulk "))
            .collect();
        let single: Vec<&str> = found
            .iter()
            .filter_map(|n| n.strip_prefix("single "))
            .collect();
        let (mut bulk, mut single) = (bulk, single);
        bulk.sort_unstable();
        single.sort_unstable();
        assert_eq!(bulk, single, "{q:?}");
    }
}

both_backends!(
    bulk_inserted_services_search_like_single_ones,
    the_near_index_migration_fills_it_from_stored_services,
    near_and_name_searches_agree_on_every_filter,
    near_pages_equal_a_brute_force_ranking,
    each_filter_narrows_the_search,
    near_searches_order_by_distance_within_the_radius,
    search_pages_cover_everything_once,
    capacity_and_modification_filters,
    records_round_trip_and_deletes_respect_references,
);
