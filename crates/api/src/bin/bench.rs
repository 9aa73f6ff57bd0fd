//! `make bench`: Spoke's request path against a bare actix-web + r2d2 +
//! diesel handler answering the same primary-key query on the same data,
//! on SQLite and (when SPOKE_TEST_POSTGRES_URL is set, as
//! `scripts/with-postgres.sh` does) PostgreSQL, at a small and a large
//! number of clients. Load comes from `wrk` (Debian's `wrk` package) with
//! the same threads and connections for every row. Every figure is printed
//! beside the floor measured in the same run; nothing here asserts a time.
//!
//! Besides the client reads: a partner's referral pull (each page 20
//! disclosures, group-committed) and the directory's near search, on a
//! directory of 2,000 services; a case manager's team-month of contacts and
//! one claim batch over every loaded contact (one per client, up to
//! 100,000), timed beside the bare read of the same contacts; a case
//! manager's team-week of appointments and a day's rides (an appointment in
//! the next two weeks for each of up to 100,000 clients, half with a ride).
//!
//! `BENCH_CLIENTS` sets the large size (default 1,000,000; the small one is
//! 10,000), `BENCH_SECONDS` each wrk run's length (default 8), `BENCH_ONLY`
//! a piece of the names of the requests to run (the floor always runs).
#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark reports on stdout

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use spoke_api::auth::Tokens;
use spoke_domain::appointment::{Appointment, AppointmentFields, AppointmentInput, TransportPlan};
use spoke_domain::billing::bill;
use spoke_domain::client::{Client, ClientDetailsInput, ClientStatus};
use spoke_domain::consent::{Consent, ConsentInput};
use spoke_domain::contact::{Contact, ContactCheck, ContactInput, ContactRules, LocalStart};
use spoke_domain::directory::{
    Location, LocationInput, Organization, OrganizationInput, Service, ServiceInput,
};
use spoke_domain::ids::{ApiClientId, ClientId, LocationId, ServiceId, UserId};
use spoke_domain::partner::ApiClient;
use spoke_domain::referral::{MoveInput, MovedBy, Referral, ReferralInput, ReferralStatus};
use spoke_domain::staff::Role;
use spoke_persistence::testing::{POSTGRES_URL_VAR, TestDb, fixtures};
use spoke_persistence::{
    Backend, Database, appointments, claims, clients, contacts, directory, now, referrals,
    transaction,
};

const SECRET: &[u8] = b"spoke-bench-secret-0123456789abcdefghijklmnop";
/// Clients per team at every size: teams stay the size real teams are, and
/// a bigger agency has more of them.
const TEAM_SIZE: usize = 1000;
const CONNECTIONS: u32 = 32;
const GIVEN: &[&str] = &[
    "Maria", "James", "Ana", "John", "Linh", "Robert", "Fatima", "David", "Olga", "Michael",
    "Amina", "William", "Rosa", "Joseph", "Mei", "Thomas", "Sofia", "Daniel", "Hana", "Paul",
];
const FAMILY: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "García",
    "Garcia",
    "Miller",
    "Davis",
    "Rodríguez",
    "Martinez",
    "Hernández",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Nguyen",
    "Tran",
    "Le",
    "Pham",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Pérez",
    "Thompson",
    "White",
    "Harris",
    "Sánchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Ali",
    "Ahmed",
    "Ivanova",
    "Petrov",
    "Kim",
    "Park",
];

fn main() {
    let large = env_number("BENCH_CLIENTS", 1_000_000);
    let seconds = env_number("BENCH_SECONDS", 8);
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("floor") {
        floor(&args[2], &args[3]);
        return;
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("bench: needs wrk on the PATH (apt-get install wrk)");
        std::process::exit(1);
    }
    let spoke = sibling("spoke");
    let mut backends = vec![Backend::Sqlite];
    if std::env::var(POSTGRES_URL_VAR).is_ok() {
        backends.push(Backend::Postgres);
    } else {
        eprintln!("bench: {POSTGRES_URL_VAR} is not set; SQLite only");
    }
    println!(
        "wrk -t2 -c{CONNECTIONS} -d{seconds}s per row; sizes {} and {large} clients, {TEAM_SIZE} per team\n",
        10_000.min(large)
    );
    for backend in backends {
        let mut table = Vec::new();
        for size in [10_000.min(large), large] {
            let db = TestDb::new(backend).unwrap();
            let started = Instant::now();
            let data = load(&db.open(4), size);
            eprintln!(
                "bench: {} {size} clients loaded in {:.1}s",
                backend.name(),
                started.elapsed().as_secs_f64()
            );
            table.extend(measure(&spoke, &db, &data, size, seconds));
        }
        print_table(backend, &table);
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A binary built beside this one.
fn sibling(name: &str) -> PathBuf {
    let path = std::env::current_exe().unwrap().with_file_name(name);
    assert!(
        path.exists(),
        "build {name} first: cargo build --release -p spoke-api --bin {name}"
    );
    path
}

/// What the load left to ask for.
struct Data {
    /// Client ids to read, spread over the whole table.
    client_ids: Vec<ClientId>,
    case_manager: UserId,
    /// A case manager of the first team with a caseload of [`WORKLIST_CLIENTS`].
    worklist_manager: UserId,
    admin: UserId,
    /// The partner organization's API client, with [`PARTNER_SECRET`].
    partner: ApiClientId,
    /// How many signed, billable contacts were loaded, over the last
    /// [`CONTACT_DAYS`] days.
    contacts: usize,
}

/// Contacts spread over this many days before today.
const CONTACT_DAYS: i64 = 56;
/// Appointments spread over this many days from today.
const APPOINTMENT_DAYS: i64 = 14;

/// The bench partner's client secret.
const PARTNER_SECRET: &str = "bench-partner-secret-0123456789";
/// Services in the bench directory, around Portland.
const SERVICES: usize = 2_000;
/// Referrals sent to the partner, each under a consent.
const REFERRALS: usize = 500;

/// A directory of `SERVICES` services at 400 locations within ~30 km of
/// downtown Portland, and a partner organization (one of the directory's)
/// with an API client and `REFERRALS` referrals of the case manager's
/// clients sent to it under consents.
fn load_partner(
    conn: &mut spoke_persistence::DbConnection,
    clients_of_team: &[ClientId],
    case_manager: UserId,
    rng: &mut StdRng,
) -> ApiClientId {
    let at = now();
    let today = at.date_naive();
    let organization = |name: &str| {
        let input: OrganizationInput =
            serde_json::from_value(serde_json::json!({ "name": name })).unwrap();
        Organization::create(input.parse().unwrap(), None, at)
    };
    let partner = organization("Bench Food Bank");
    let others: Vec<Organization> = (0..20)
        .map(|n| organization(&format!("Agency {n}")))
        .collect();
    let mut places = Vec::new();
    for n in 0..400 {
        let org = if n % 20 == 0 {
            &partner
        } else {
            &others[n % 20]
        };
        let input = LocationInput {
            organization_id: org.id,
            name: format!("Site {n}"),
            address: None,
            latitude: Some(45.52 + rng.gen_range(-0.25..0.25)),
            longitude: Some(-122.68 + rng.gen_range(-0.35..0.35)),
            accessibility: None,
            transportation: None,
            phones: vec![],
        };
        places.push(Location {
            id: LocationId::generate(),
            hsds_id: None,
            organization_id: org.id,
            fields: input.parse().unwrap(),
            last_modified: at,
            created_at: at,
            version: 1,
        });
    }
    let services: Vec<Service> = (0..SERVICES)
        .map(|n| {
            let place = &places[n % places.len()];
            let language = ["en", "es", "ru", "vi"][n % 4];
            let input: ServiceInput = serde_json::from_value(serde_json::json!({
                "organization_id": place.organization_id,
                "name": format!("Service {n}"),
                "languages": [language],
                "accepts_medicaid": n % 3 == 0,
                "location_ids": [place.id],
            }))
            .unwrap();
            Service {
                id: ServiceId::generate(),
                hsds_id: None,
                organization_id: place.organization_id,
                fields: input.parse().unwrap(),
                capacity: None,
                last_modified: at,
                created_at: at,
                version: 1,
            }
        })
        .collect();
    let partner_service = services
        .iter()
        .find(|s| s.organization_id == partner.id)
        .unwrap()
        .id;
    let hash = spoke_api::auth::hash_password(
        &spoke_domain::values::NewPassword::parse(PARTNER_SECRET).unwrap(),
    )
    .unwrap();
    let client = ApiClient::new(partner.id, "Bench partner".to_owned(), hash, at);
    transaction(conn, |conn| {
        let mut all = vec![partner.clone()];
        all.extend(others.iter().cloned());
        directory::insert_organizations(conn, &all)?;
        directory::insert_locations(conn, &places)?;
        directory::insert_services(conn, &services)?;
        referrals::insert_api_client(conn, &client)?;
        for &client_id in clients_of_team.iter().take(REFERRALS) {
            let consent_input: ConsentInput = serde_json::from_value(serde_json::json!({
                "recipient_organization_id": partner.id, "categories": ["general"],
                "purpose": "Referral for food assistance", "effective_on": today - Days::days(1),
                "method": "signed"
            }))
            .unwrap();
            let consent = Consent::new(client_id, consent_input.parse().unwrap(), case_manager, at);
            referrals::insert_consent(conn, &consent)?;
            let fields: ReferralInput = serde_json::from_value(serde_json::json!({
                "service_id": partner_service, "reason": "Needs a food box this week.",
                "needs": ["food"], "priority": "routine", "categories": ["general"]
            }))
            .unwrap();
            let (mut referral, created) = Referral::draft(
                client_id,
                partner.id,
                fields.parse().unwrap(),
                case_manager,
                at,
            );
            referrals::insert_referral(conn, &referral, &created)?;
            let send = MoveInput {
                status: ReferralStatus::Requested,
                reason: None,
                business_status: None,
                outcome: None,
                linked_on: None,
            };
            let by = MovedBy::Staff {
                user_id: case_manager,
            };
            let event = referral
                .move_to(by, send, Some(consent.id), today, at)
                .unwrap();
            referrals::save_move(conn, &referral, 1, &event)?;
        }
        Ok::<_, spoke_persistence::StoreError>(())
    })
    .unwrap();
    client.id
}

/// Fills the database: teams of `TEAM_SIZE` clients with a case manager
/// each, names from common given and family names (accents included),
/// statuses as an agency's mix, the newest tenth still at intake.
fn load(database: &Database, size: usize) -> Data {
    spoke_api::server::prepare_database(database).unwrap();
    let mut conn = database.conn().unwrap();
    let mut rng = StdRng::seed_from_u64(size as u64);
    let at = now();
    let teams = size.div_ceil(TEAM_SIZE);
    let mut managers = Vec::with_capacity(teams);
    let admin = fixtures::user(&mut conn, "admin@bench.spoke.test", Role::Admin, None);
    transaction(&mut conn, |conn| {
        for n in 0..teams {
            let team = fixtures::team(conn, &format!("Team {n}"));
            let user = fixtures::user(
                conn,
                &format!("cm{n}@bench.spoke.test"),
                Role::CaseManager,
                Some(team.id),
            );
            managers.push((team.id, user.id));
        }
        Ok::<_, spoke_persistence::StoreError>(())
    })
    .unwrap();
    let born = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap();
    let mut ids = Vec::with_capacity(size);
    let mut everyone: Vec<(ClientId, UserId)> = Vec::with_capacity(size);
    let batch = 10_000;
    for start in (0..size).step_by(batch) {
        let chunk: Vec<Client> = (start..(start + batch).min(size))
            .map(|n| {
                let input: ClientDetailsInput = serde_json::from_value(serde_json::json!({
                    "given_name": GIVEN.choose(&mut rng).unwrap(),
                    "family_name": FAMILY.choose(&mut rng).unwrap(),
                    "date_of_birth": born + Days::days(rng.gen_range(0..25_000)),
                    "medicaid_id": format!("OR{n:08}"),
                }))
                .unwrap();
                // Created in order over the past years, the newest last.
                let created = at - Days::minutes((size - n) as i64 * 3);
                let (team, manager) = managers[rng.gen_range(0..teams)];
                let mut client = Client::new(
                    input.parse(at.date_naive()).unwrap(),
                    team,
                    Some(manager),
                    created,
                );
                client.status = if n >= size - size / 10 {
                    ClientStatus::Intake
                } else {
                    *[
                        ClientStatus::Active,
                        ClientStatus::Active,
                        ClientStatus::OnHold,
                        ClientStatus::Discharged,
                    ]
                    .choose(&mut rng)
                    .unwrap()
                };
                client
            })
            .collect();
        ids.extend(
            chunk
                .iter()
                .filter(|c| c.team_id == managers[0].0)
                .map(|c| c.id),
        );
        everyone.extend(
            chunk
                .iter()
                .filter_map(|c| c.primary_case_manager_id.map(|m| (c.id, m))),
        );
        transaction(&mut conn, |conn| clients::insert_many(conn, &chunk)).unwrap();
    }
    let worklist_manager = fixtures::user(
        &mut conn,
        "worklist@bench.spoke.test",
        Role::CaseManager,
        Some(managers[0].0),
    )
    .id;
    give_caseload(
        &mut conn,
        worklist_manager,
        &ids[..WORKLIST_CLIENTS.min(ids.len())],
    );
    let partner = load_partner(&mut conn, &ids, managers[0].1, &mut rng);
    let contacts = load_contacts(&mut conn, &everyone, &mut rng);
    load_appointments(&mut conn, &everyone, &mut rng);
    spoke_persistence::testing::analyze(database).unwrap();
    ids.shuffle(&mut rng);
    Data {
        client_ids: ids,
        case_manager: managers[0].1,
        worklist_manager,
        admin: admin.id,
        partner,
        contacts,
    }
}

/// One signed, billable contact for each of up to 100,000 clients, on a day
/// of the last [`CONTACT_DAYS`], by the client's case manager.
fn load_contacts(
    conn: &mut spoke_persistence::DbConnection,
    everyone: &[(ClientId, UserId)],
    rng: &mut StdRng,
) -> usize {
    let config = contacts::latest_config(conn, "medicaid").unwrap().unwrap();
    let at = now();
    let input: ContactInput = serde_json::from_value(serde_json::json!({
        "started_at": at, "duration_minutes": 30, "mode": "phone", "setting": "client_home",
        "client_present": true, "activities": ["monitoring_and_follow_up"],
        "goal_progress": "progressing", "declined_services": "None.", "coordination": "None.",
        "narrative": "Phone call: reviewed the week, the budget and the appointment on Thursday."
    }))
    .unwrap();
    // Checked once (it names no staff, so any author); each contact takes its
    // own author, start and length.
    let template = input
        .parse(ContactCheck {
            author: UserId::generate(),
            risk_flags: &Default::default(),
            now: at,
        })
        .unwrap();
    let count = everyone.len().min(100_000);
    for chunk in everyone[..count].chunks(10_000) {
        let batch: Vec<Contact> = chunk
            .iter()
            .map(|&(client, author)| {
                let started = at
                    - Days::days(rng.gen_range(1..=CONTACT_DAYS))
                    - Days::minutes(rng.gen_range(0..600));
                let mut fields = template.clone();
                fields.started_at = started;
                fields.duration_minutes = rng.gen_range(10..90);
                let mut contact = Contact::new(
                    client,
                    author,
                    fields,
                    LocalStart(started.naive_utc()),
                    &ContactRules::default(),
                    started,
                );
                let billed = bill(&config, &contact.fields, true, 0);
                contact
                    .sign(
                        author,
                        contact.date_of_service,
                        billed,
                        &ContactRules::default(),
                        started,
                    )
                    .unwrap();
                contact
            })
            .collect();
        transaction(conn, |conn| contacts::insert_many(conn, &batch)).unwrap();
    }
    count
}

/// One appointment in the next [`APPOINTMENT_DAYS`] for each of up to
/// 100,000 clients, made by the client's case manager; half with a ride.
fn load_appointments(
    conn: &mut spoke_persistence::DbConnection,
    everyone: &[(ClientId, UserId)],
    rng: &mut StdRng,
) {
    let at = now();
    let input: AppointmentInput = serde_json::from_value(serde_json::json!({
        "starts_at": at, "ends_at": at + Days::minutes(45), "kind": "medical",
        "with_name": "Dr. Nguyen, Multnomah Health Center", "address": "40 Mill Rd, Portland",
        "notes": "Bring the medication list.",
        "transport": {"mode": "nemt", "pickup_address": "1200 SE Division St", "nemt_trip_id": "MTM-1"}
    }))
    .unwrap();
    // Checked once; each appointment takes its own client, author and time.
    let (template, ride) = input.parse(&Default::default()).unwrap();
    let count = everyone.len().min(100_000);
    for chunk in everyone[..count].chunks(10_000) {
        let batch: Vec<Appointment> = chunk
            .iter()
            .map(|&(client, author)| {
                let starts_at = at
                    + Days::days(rng.gen_range(0..APPOINTMENT_DAYS))
                    + Days::minutes(rng.gen_range(0..600));
                let fields = AppointmentFields {
                    starts_at,
                    ends_at: starts_at + Days::minutes(45),
                    ..template.clone()
                };
                let ride = ride
                    .clone()
                    .filter(|_| rng.gen_bool(0.5))
                    .map(|plan| TransportPlan {
                        pickup_at: Some(starts_at - Days::minutes(45)),
                        ..plan
                    });
                Appointment::new(client, fields, ride, author, at)
            })
            .collect();
        transaction(conn, |conn| appointments::insert_many(conn, &batch)).unwrap();
    }
}

/// The caseload of the worklist's case manager.
const WORKLIST_CLIENTS: usize = 40;

/// Makes `manager` the primary case manager of `clients`.
fn give_caseload(
    conn: &mut spoke_persistence::DbConnection,
    manager: UserId,
    clients: &[ClientId],
) {
    for &id in clients {
        let mut client = clients::get(conn, id).unwrap();
        let expected = client.version;
        client.primary_case_manager_id = Some(manager);
        client.version += 1;
        clients::update(conn, &client, expected).unwrap();
    }
}

/// Up to this many clients, a run sweeps every client's alerts.
const SWEEP_UP_TO: usize = 200_000;

/// One alert sweep over every client (as the worker runs it), timed beside
/// the bare walk reading the same clients in the same batches.
fn sweep(db: &TestDb, size: usize) -> Row {
    use spoke_persistence::alerts;
    let database = db.open(4);
    let started = Instant::now();
    let mut conn = database.conn().unwrap();
    let mut after = None;
    let mut walked = 0;
    loop {
        let ids = alerts::client_ids_after(&mut conn, after, 500).unwrap();
        walked += alerts::enrollments(&mut conn, &ids).unwrap().len();
        match ids.last() {
            Some(last) if ids.len() == 500 => after = Some(*last),
            _ => break,
        }
    }
    drop(conn);
    let bare = started.elapsed();
    let db = spoke_api::db::Db::new(database);
    let clock = spoke_api::context::Clock::new(chrono_tz::Tz::UTC);
    let started = Instant::now();
    let swept = actix_web::rt::System::new()
        .block_on(async move { spoke_api::usecases::alerts::sweep(&db, clock, |_| {}).await })
        .unwrap();
    let took = started.elapsed();
    let per_second = swept.clients as f64 / took.as_secs_f64();
    Row {
        size,
        name: "sweep: every client's alerts".to_owned(),
        rps: per_second,
        p50_ms: took.as_secs_f64() * 1000.0,
        p99_ms: took.as_secs_f64() * 1000.0,
        floor_rps: walked as f64 / bare.as_secs_f64(),
        note: format!(
            "{} clients in {:.1} s ({per_second:.0}/s), {} alerts opened; the bare walk reading the same {walked} clients {:.2} s (x{:.1})",
            swept.clients,
            took.as_secs_f64(),
            swept.opened,
            bare.as_secs_f64(),
            took.as_secs_f64() / bare.as_secs_f64()
        ),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_ready(base: &str, path: &str) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(response) = ureq::get(&format!("{base}{path}")).call()
            && response.status() == 200
        {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{base} never became ready"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One measured row.
struct Row {
    size: usize,
    name: String,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    floor_rps: f64,
    note: String,
}

fn measure(spoke: &Path, db: &TestDb, data: &Data, size: usize, seconds: usize) -> Vec<Row> {
    let log = std::env::temp_dir().join(format!("spoke-bench-{}.log", std::process::id()));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let child = Command::new(spoke)
        .arg("serve")
        .env("SPOKE_DATABASE_URL", db.url())
        .env("SPOKE_BIND", format!("127.0.0.1:{port}"))
        .env("SPOKE_JWT_SECRET", std::str::from_utf8(SECRET).unwrap())
        .env("SPOKE_ADMIN_EMAIL", "admin@bench.spoke.test")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let server = Server(child);
    let _ = started;
    let ready = wait_ready(&base, "/readyz");

    let floor_port = free_port();
    let floor_base = format!("http://127.0.0.1:{floor_port}");
    let _floor = Server(
        Command::new(std::env::current_exe().unwrap())
            .args(["floor", db.url(), &format!("127.0.0.1:{floor_port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_ready(&floor_base, "/healthz");

    let tokens = Tokens::new(SECRET, "spoke", "spoke-api", chrono::Duration::hours(2));
    let staff = |user| spoke_api::auth::Subject::Staff { user, version: 1 };
    let token = tokens.sign(staff(data.case_manager), now()).unwrap();
    let admin_token = tokens.sign(staff(data.admin), now()).unwrap();
    let worklist_token = tokens.sign(staff(data.worklist_manager), now()).unwrap();
    let partner_token = partner_token(&base, data.partner);
    let paths: Vec<String> = data
        .client_ids
        .iter()
        .take(1000)
        .map(|id| format!("/v1/clients/{id}"))
        .collect();
    let floor_paths: Vec<String> = data
        .client_ids
        .iter()
        .take(1000)
        .map(|id| format!("/clients/{id}"))
        .collect();
    let script_dir = tempfile::tempdir().unwrap();
    let run_as = |token: &str, base: &str, paths: &[String], connections: u32| {
        wrk(script_dir.path(), base, paths, token, connections, seconds)
    };
    let run =
        |base: &str, paths: &[String], connections: u32| run_as(&token, base, paths, connections);
    let floor = run(&floor_base, &floor_paths, CONNECTIONS);
    let mut rows = vec![Row {
        size,
        name: "floor: bare handler, client by id".to_owned(),
        rps: floor.rps,
        p50_ms: floor.p50_ms,
        p99_ms: floor.p99_ms,
        floor_rps: floor.rps,
        note: String::new(),
    }];
    // A case manager sees one team of TEAM_SIZE; an admin sees everyone.
    let one = |path: &str| vec![path.to_owned()];
    let today = now().date_naive();
    let month_ago = today - Days::days(30);
    let week_ahead = today + Days::days(6);
    let tomorrow = today + Days::days(1);
    let cases: Vec<(&str, &str, Vec<String>)> = vec![
        ("GET /v1/clients/{id}", &token, paths.clone()),
        (
            "GET /v1/clients?limit=20",
            &token,
            one("/v1/clients?limit=20"),
        ),
        (
            "GET /v1/clients?name=garcia",
            &token,
            one("/v1/clients?name=garcia&limit=20"),
        ),
        (
            "GET /v1/clients?name=zzqx (none)",
            &token,
            one("/v1/clients?name=zzqx&limit=20"),
        ),
        (
            "GET /v1/clients?status=intake",
            &token,
            one("/v1/clients?status=intake&limit=20"),
        ),
        (
            "admin: GET /v1/clients?name=garcia",
            &admin_token,
            one("/v1/clients?name=garcia&limit=20"),
        ),
        (
            "admin: GET /v1/clients?name=zzqx (none)",
            &admin_token,
            one("/v1/clients?name=zzqx&limit=20"),
        ),
        (
            "admin: GET /v1/clients?status=intake",
            &admin_token,
            one("/v1/clients?status=intake&limit=20"),
        ),
        (
            "partner: GET /v1/partner/referrals?limit=20 (20 disclosures)",
            &partner_token,
            one("/v1/partner/referrals?limit=20"),
        ),
        (
            "GET /v1/services?near=…&radius_km=10",
            &token,
            one("/v1/services?near=45.52,-122.68&radius_km=10&limit=20"),
        ),
        (
            "GET /v1/contacts?from=…&to=… (a team's month)",
            &token,
            one(&format!(
                "/v1/contacts?from={month_ago}&to={today}&limit=50"
            )),
        ),
        (
            "GET /v1/appointments?from=…&to=… (a team's week)",
            &token,
            one(&format!(
                "/v1/appointments?from={today}&to={week_ahead}&limit=50"
            )),
        ),
        (
            "GET /v1/transport?date=… (a team's day of rides)",
            &token,
            one(&format!("/v1/transport?date={tomorrow}&limit=50")),
        ),
        (
            "GET /v1/me/worklist (a caseload of 40, after a sweep)",
            &worklist_token,
            one("/v1/me/worklist"),
        ),
    ];
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    // The sweep first: the worklist then shows the alerts it raised.
    let sweeps =
        "sweep: every client's alerts".contains(only.as_str()) || only.contains("worklist");
    if size <= SWEEP_UP_TO && sweeps {
        rows.push(sweep(db, size));
    }
    for (name, token, paths) in cases {
        if !name.contains(only.as_str()) {
            continue;
        }
        let result = run_as(token, &base, &paths, CONNECTIONS);
        rows.push(Row {
            size,
            name: name.to_owned(),
            rps: result.rps,
            p50_ms: result.p50_ms,
            p99_ms: result.p99_ms,
            floor_rps: floor.rps,
            note: if result.errors > 0 {
                format!("{} non-2xx", result.errors)
            } else {
                String::new()
            },
        });
    }
    if "POST /v1/claim-batches over contacts".contains(only.as_str()) {
        rows.push(claim_batch(db, &base, &admin_token, data, size));
    }
    // Memory under 64 connections, sampled while wrk runs.
    let pid = server.0.id();
    let sampler = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs((seconds as u64 / 2).max(1)));
        memory(pid)
    });
    let loaded = run(&base, &paths, 64);
    let (rss, anon) = sampler.join().unwrap();
    rows.push(Row {
        size,
        name: "GET /v1/clients/{id}, 64 connections".to_owned(),
        rps: loaded.rps,
        p50_ms: loaded.p50_ms,
        p99_ms: loaded.p99_ms,
        floor_rps: floor.rps,
        note: format!(
            "RSS {:.1} MiB, anonymous {:.1} MiB; ready {:.0} ms after start",
            rss as f64 / 1024.0,
            anon as f64 / 1024.0,
            ready.as_secs_f64() * 1000.0
        ),
    });
    drop(server);
    let _ = std::fs::remove_file(log);
    rows
}

/// One claim batch over every loaded contact, timed once, beside the bare
/// read of the same contacts (`claims::billable_contacts`) in the same run.
fn claim_batch(db: &TestDb, base: &str, admin_token: &str, data: &Data, size: usize) -> Row {
    let to = now().date_naive() - Days::days(1);
    let from = to - Days::days(CONTACT_DAYS);
    let database = db.open(1);
    let started = Instant::now();
    let found =
        claims::billable_contacts(&mut database.conn().unwrap(), "medicaid", from, to, false)
            .unwrap()
            .len();
    let bare = started.elapsed();
    let started = Instant::now();
    let mut response = ureq::post(&format!("{base}/v1/claim-batches"))
        .header("authorization", &format!("Bearer {admin_token}"))
        .send_json(serde_json::json!({"from": from, "to": to}))
        .unwrap();
    let body: serde_json::Value = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_json()
        .unwrap();
    let took = started.elapsed();
    let ms = took.as_secs_f64() * 1000.0;
    Row {
        size,
        name: format!("POST /v1/claim-batches over {} contacts", data.contacts),
        rps: 0.0,
        p50_ms: ms,
        p99_ms: ms,
        floor_rps: 1.0,
        note: format!(
            "one batch of {} lines in {ms:.0} ms; the bare read of the same {found} contacts {:.0} ms (x{:.1})",
            body["line_count"],
            bare.as_secs_f64() * 1000.0,
            took.as_secs_f64() / bare.as_secs_f64()
        ),
    }
}

/// A partner access token from the OAuth client credentials grant.
fn partner_token(base: &str, client: ApiClientId) -> String {
    let form =
        format!("grant_type=client_credentials&client_id={client}&client_secret={PARTNER_SECRET}");
    let mut response = ureq::post(&format!("{base}/v1/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(form.as_str())
        .unwrap();
    let body: serde_json::Value = response.body_mut().read_json().unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// VmRSS and RssAnon of a process, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let mut status = String::new();
    std::fs::File::open(format!("/proc/{pid}/status"))
        .and_then(|mut f| f.read_to_string(&mut status))
        .unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("RssAnon:"))
}

struct WrkResult {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// Runs wrk over `paths` (picked at random per request) and reads its summary.
fn wrk(
    dir: &Path,
    base: &str,
    paths: &[String],
    token: &str,
    connections: u32,
    seconds: usize,
) -> WrkResult {
    let script = dir.join("paths.lua");
    let list = paths
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(",");
    std::fs::write(
        &script,
        format!(
            "local paths = {{{list}}}\n\
             math.randomseed(7)\n\
             request = function() return wrk.format(nil, paths[math.random(#paths)]) end\n"
        ),
    )
    .unwrap();
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
        ])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg("-s")
        .arg(&script)
        .arg(base)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let number = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
    };
    let millis = |value: Option<String>| {
        let value = value.unwrap_or_default();
        let (digits, unit) = value.split_at(
            value
                .find(|c: char| c.is_alphabetic())
                .unwrap_or(value.len()),
        );
        let n: f64 = digits.parse().unwrap_or(f64::NAN);
        match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            _ => f64::NAN,
        }
    };
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    WrkResult {
        rps: number("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0),
        p50_ms: millis(number("50%")),
        p99_ms: millis(number("99%")),
        errors,
    }
}

fn print_table(backend: Backend, rows: &[Row]) {
    println!("## {}\n", backend.name());
    println!(
        "| clients | request | req/s | × floor | p50 ms | p99 ms | note |\n|---:|---|---:|---:|---:|---:|---|"
    );
    for row in rows {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            row.size,
            row.name,
            row.rps,
            row.rps / row.floor_rps,
            row.p50_ms,
            row.p99_ms,
            row.note
        );
    }
    // Search and filters at the large size against the small one.
    let small = rows.iter().map(|r| r.size).min().unwrap_or(0);
    let large = rows.iter().map(|r| r.size).max().unwrap_or(0);
    if small != large {
        println!("\nmedian latency at {large} against {small} clients:");
        for row in rows
            .iter()
            .filter(|r| r.size == large && r.name.contains('?'))
        {
            if let Some(base) = rows.iter().find(|r| r.size == small && r.name == row.name) {
                println!("  {:<40} x{:.2}", row.name, row.p50_ms / base.p50_ms);
            }
        }
    }
    println!();
}

/// The floor: actix-web, an r2d2 pool and diesel answering one client by
/// primary key as JSON, with no authentication, authorization or audit.
fn floor(url: &str, bind: &str) {
    use actix_web::{App, HttpResponse, HttpServer, get, web};

    #[get("/clients/{id}")]
    async fn client(database: web::Data<Database>, id: web::Path<ClientId>) -> HttpResponse {
        let id = id.into_inner();
        let database = database.get_ref().clone();
        let found = web::block(move || {
            let mut conn = database.conn().ok()?;
            clients::get(&mut conn, id).ok()
        })
        .await
        .ok()
        .flatten();
        match found {
            Some(client) => {
                HttpResponse::Ok().json(spoke_api::routes::clients::ClientView::from(&client))
            }
            None => HttpResponse::NotFound().finish(),
        }
    }

    #[get("/healthz")]
    async fn healthz() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    let database = web::Data::new(Database::connect(url, 10).unwrap());
    actix_web::rt::System::new()
        .block_on(async move {
            HttpServer::new(move || {
                App::new()
                    .app_data(database.clone())
                    .service(client)
                    .service(healthz)
            })
            .bind(bind)?
            .run()
            .await
        })
        .unwrap();
}
