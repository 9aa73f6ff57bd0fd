//! `make bench-directory`: the directory search at two sizes, and the HSDS
//! import rate, on SQLite (and PostgreSQL when SPOKE_TEST_POSTGRES_URL is
//! set). Figures are ratios measured in the same run; nothing here asserts
//! a time.
#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark reports on stdout

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use spoke_domain::directory::{
    GeoPoint, Location, LocationInput, Organization, OrganizationInput, Service, ServiceInput,
};
use spoke_domain::ids::{LocationId, ServiceId, TaxonomyTermId};
use spoke_persistence::directory::{self as store, ServiceQuery};
use spoke_persistence::testing::{POSTGRES_URL_VAR, TestDb};
use spoke_persistence::{Backend, Database, now, transaction};

const WORDS: &[&str] = &[
    "food",
    "housing",
    "support",
    "clinic",
    "counseling",
    "shelter",
    "legal",
    "benefits",
    "recovery",
    "youth",
    "family",
    "job",
    "dental",
    "meals",
    "rent",
    "transport",
];
const LANGUAGES: &[&str] = &["en", "es", "vi", "ru", "zh-Hant", "so", "ar", "to"];
/// The search radius: a drive a case manager would send a client on.
const RADIUS_KM: f64 = 25.0;
/// The region the locations spread over: about 110 km by 100 km around Portland.
const LAT: (f64, f64) = (45.0, 46.0);
const LNG: (f64, f64) = (-123.3, -122.0);

fn fill(database: &Database, services: usize, locations: usize, rng: &mut StdRng) {
    let mut conn = database.conn().unwrap();
    spoke_api::server::prepare_database(database).unwrap();
    let leaves: Vec<TaxonomyTermId> = store::list_terms(&mut conn)
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    let at = now();
    let orgs: Vec<Organization> = (0..(services / 20).max(1))
        .map(|n| {
            let input: OrganizationInput =
                serde_json::from_value(serde_json::json!({"name": format!("Org {n}")})).unwrap();
            Organization::create(input.parse().unwrap(), None, at)
        })
        .collect();
    let places: Vec<Location> = (0..locations)
        .map(|n| Location {
            id: LocationId::generate(),
            hsds_id: None,
            organization_id: orgs[n % orgs.len()].id,
            fields: LocationInput {
                organization_id: orgs[n % orgs.len()].id,
                name: format!("Site {n}"),
                address: None,
                latitude: Some(rng.gen_range(LAT.0..LAT.1)),
                longitude: Some(rng.gen_range(LNG.0..LNG.1)),
                accessibility: None,
                transportation: None,
                phones: vec![],
            }
            .parse()
            .unwrap(),
            last_modified: at,
            created_at: at,
            version: 1,
        })
        .collect();
    transaction(&mut conn, |conn| {
        store::insert_organizations(conn, &orgs)?;
        store::insert_locations(conn, &places)
    })
    .unwrap();
    for chunk in (0..services).collect::<Vec<_>>().chunks(5000) {
        let mut batch = Vec::with_capacity(chunk.len());
        transaction(&mut conn, |conn| {
            for &n in chunk {
                let words: Vec<&str> = WORDS.choose_multiple(rng, 4).copied().collect();
                let language_count = rng.gen_range(1..3);
                let place = &places[rng.gen_range(0..places.len())];
                let input = ServiceInput {
                    organization_id: place.organization_id,
                    name: format!("{} {} {n}", words[0], words[1]),
                    description: Some(format!("{} and {} services", words[2], words[3])),
                    status: None,
                    application_process: None,
                    fees_description: None,
                    wait_time: None,
                    eligibility_description: None,
                    minimum_age: None,
                    maximum_age: None,
                    accepts_medicaid: rng.gen_bool(0.4),
                    languages: LANGUAGES
                        .choose_multiple(rng, language_count)
                        .map(|l| (*l).to_owned())
                        .collect(),
                    interpretation_services: None,
                    phones: vec![],
                    hours: vec![],
                    taxonomy_term_ids: vec![*leaves.choose(rng).unwrap()],
                    location_ids: vec![place.id],
                };
                let service = Service {
                    id: ServiceId::generate(),
                    hsds_id: None,
                    organization_id: place.organization_id,
                    fields: input.parse().unwrap(),
                    capacity: None,
                    last_modified: at,
                    created_at: at,
                    version: 1,
                };
                batch.push(service);
            }
            store::insert_services(conn, &batch)
        })
        .unwrap();
    }
}

struct Timing {
    median: Duration,
    p99: Duration,
    hits: f64,
}

/// The combined search: text + taxonomy (a root term, so with descendants) + near + language.
fn measure(database: &Database, queries: usize, seed: u64) -> Timing {
    let mut conn = database.conn().unwrap();
    let root = store::term_by_code(&mut conn, "basic-needs")
        .unwrap()
        .unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut times = Vec::with_capacity(queries);
    let mut hits = 0usize;
    for n in 0..queries + 20 {
        let center =
            GeoPoint::parse(rng.gen_range(45.2..45.8), rng.gen_range(-123.1..-122.2)).unwrap();
        let q = ServiceQuery {
            words: vec!["services".to_owned()],
            taxonomy_path: Some(root.path.clone()),
            language: Some("es".to_owned()),
            near: Some((center, RADIUS_KM)),
            ..ServiceQuery::default()
        };
        let started = Instant::now();
        let page = store::search_services(&mut conn, &q, None, 20).unwrap();
        let took = started.elapsed();
        if n >= 20 {
            // The first 20 warm the caches.
            times.push(took);
            hits += page.items.len();
        }
    }
    times.sort();
    Timing {
        median: times[times.len() / 2],
        p99: times[(times.len() * 99 / 100).min(times.len() - 1)],
        hits: hits as f64 / queries as f64,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn write_csv_dataset(dir: &std::path::Path, services: usize, rng: &mut StdRng) -> usize {
    use std::fmt::Write;
    let orgs = (services / 20).max(1);
    let locations = (services / 5).max(1);
    let mut o = String::from("id,name,description\n");
    for n in 0..orgs {
        writeln!(o, "o{n},Organization {n},Community services").unwrap();
    }
    let mut l = String::from("id,organization_id,name,latitude,longitude\n");
    for n in 0..locations {
        writeln!(
            l,
            "l{n},o{},Site {n},{:.5},{:.5}",
            n % orgs,
            rng.gen_range(LAT.0..LAT.1),
            rng.gen_range(LNG.0..LNG.1)
        )
        .unwrap();
    }
    let mut s = String::from("id,organization_id,name,description,status\n");
    let mut sal = String::from("id,service_id,location_id\n");
    let mut lang = String::from("id,service_id,code\n");
    for n in 0..services {
        let words: Vec<&str> = WORDS.choose_multiple(rng, 3).copied().collect();
        writeln!(
            s,
            "s{n},o{},{} {} {n},{} services,active",
            n % orgs,
            words[0],
            words[1],
            words[2]
        )
        .unwrap();
        writeln!(sal, "sal{n},s{n},l{}", rng.gen_range(0..locations)).unwrap();
        writeln!(lang, "la{n},s{n},{}", LANGUAGES.choose(rng).unwrap()).unwrap();
    }
    for (name, text) in [
        ("organizations.csv", o),
        ("locations.csv", l),
        ("services.csv", s),
        ("service_at_locations.csv", sal),
        ("languages.csv", lang),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    orgs + locations + services
}

fn main() {
    let large: usize = std::env::var("BENCH_SERVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let queries: usize = std::env::var("BENCH_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut backends = vec![Backend::Sqlite];
    if std::env::var(POSTGRES_URL_VAR).is_ok() {
        backends.push(Backend::Postgres);
    }
    println!(
        "Directory search: text + taxonomy (with descendants) + near ({RADIUS_KM} km) + language, 20 per page, {queries} queries after 20 warm-up"
    );
    println!(
        "{:<9} {:>9} {:>9} {:>10} {:>10} {:>8}",
        "backend", "services", "locations", "median ms", "p99 ms", "hits"
    );
    for backend in backends {
        let mut results = Vec::new();
        // 1,000 services against `large` (1M by default), a location per
        // five services.
        for (services, locations) in [(1_000, 200), (large, large / 5)] {
            let db = TestDb::new(backend).unwrap();
            let database = db.open(2);
            let started = Instant::now();
            fill(
                &database,
                services,
                locations,
                &mut StdRng::seed_from_u64(7),
            );
            eprintln!(
                "bench: {} filled with {services} services in {:.1}s",
                backend.name(),
                started.elapsed().as_secs_f64()
            );
            let timing = measure(&database, queries, 11);
            println!(
                "{:<9} {:>9} {:>9} {:>10.3} {:>10.3} {:>8.1}",
                backend.name(),
                services,
                locations,
                ms(timing.median),
                ms(timing.p99),
                timing.hits
            );
            results.push(timing);
        }
        let (small, big) = (&results[0], &results[1]);
        let ratio = ms(big.median) / ms(small.median);
        let ratio_p99 = ms(big.p99) / ms(small.p99);
        println!(
            "{:<9} large/small: median x{ratio:.2}, p99 x{ratio_p99:.2} (goal: within x2: {})",
            backend.name(),
            if ratio <= 2.0 && ratio_p99 <= 2.0 {
                "yes"
            } else {
                "NO"
            }
        );

        let db = TestDb::new(backend).unwrap();
        let database = db.open(2);
        spoke_api::server::prepare_database(&database).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let records = write_csv_dataset(
            dir.path(),
            (large / 10).min(20_000),
            &mut StdRng::seed_from_u64(3),
        );
        let report = spoke_api::hsds::import(&database, dir.path(), |p| {
            if p.done % 5000 < 500 {
                eprintln!("bench: imported {}/{}", p.done, p.total);
            }
        })
        .unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors.first());
        println!(
            "{:<9} import-hsds (CSV): {records} records in {:.1}s = {:.0} records/s",
            backend.name(),
            report.seconds,
            records as f64 / report.seconds
        );
    }
}
