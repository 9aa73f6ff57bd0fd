//! Data for a first start: the first admin of an empty deployment, and a
//! realistic demo agency for trying Spoke out.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use spoke_domain::assessment::{AssessmentInput, AssessmentKind, DomainScore, Instrument};
use spoke_domain::care::{CareTeamInput, CareTeamKind};
use spoke_domain::claim::{ClaimBatchInput, LineOutcome};
use spoke_domain::client::{
    AddressInput, ClientDetailsInput, ClientStatus, ExternalIdInput, RiskFlag,
};
use spoke_domain::consent::ConsentCategory;
use spoke_domain::contact::{
    Activity, ContactInput, ContactMode, ContactRules, ContactSetting, GoalProgress,
};
use spoke_domain::episode::{
    Destination, DischargeReason, EnrollmentInput, ReferralSource, StatusChange,
};
use spoke_domain::ids::{ClientId, TeamId, UserId};
use spoke_domain::policy::Actor;
use spoke_domain::staff::{Role, Team, User};
use spoke_domain::transfer::TransferInput;
use spoke_domain::values::{Email, GenderInput, LongText, NewPassword, ShortText};
use spoke_persistence::{Database, assessments, clients, staff};

use crate::auth::hash_password;
use crate::context::{Clock, Cx};
use crate::db::{Db, Tx};
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::appointments as appointments_uc;
use crate::usecases::assessments as assessments_uc;
use crate::usecases::benefits as benefits_uc;
use crate::usecases::care as care_uc;
use crate::usecases::claims as claims_uc;
use crate::usecases::clients::{self as clients_uc, NewClient};
use crate::usecases::contacts::{self as contacts_uc, ContactSettings};
use crate::usecases::events as events_uc;
use crate::usecases::safety_plans as safety_plans_uc;
use crate::usecases::staff::{self as accounts, NewAccount};
use crate::usecases::transfers as transfers_uc;

/// The password of every demo account. Demo data only: never in production.
pub const DEMO_PASSWORD: &str = "spoke-demo-password";

/// Creates the first admin when the database has no user at all, and
/// returns the one-time password to show. Otherwise does nothing.
pub fn bootstrap_admin(
    database: &Database,
    email: &str,
) -> Result<Option<(Email, String)>, ApiError> {
    Db::new(database.clone()).write_blocking(|tx| {
        if staff::count_users(tx)? > 0 {
            return Ok(None);
        }
        let password = accounts::random_password();
        let (user, checked) = NewAccount {
            email: email.to_owned(),
            display_name: "First Admin".to_owned(),
            role: Role::Admin,
            team_id: None,
            password: password.clone(),
        }
        .parse(spoke_persistence::now())?;
        accounts::insert(tx, &user, &hash_password(&checked)?)?;
        Ok(Some((user.email, password)))
    })
}

/// What `seed-demo` made, to tell the user how to sign in.
#[derive(Debug)]
pub struct DemoSummary {
    /// False when the demo agency was already there.
    pub created: bool,
    /// Every demo account's email and role; all share [`DEMO_PASSWORD`].
    pub accounts: Vec<(String, Role)>,
    pub clients: i64,
    /// The alerts the first sweep opened.
    pub alerts: usize,
    /// The demo resource directory's import (run every time: it is idempotent).
    pub directory: crate::hsds::ImportReport,
}

/// The demo resource directory: an Open Referral HSDS 3.0 dataset of
/// Portland-area organizations and services, embedded in the binary.
pub const DEMO_DIRECTORY: &str = include_str!("../../../data/demo-directory/service_list.json");

fn import_demo_directory(database: &Database) -> Result<crate::hsds::ImportReport, ApiError> {
    crate::hsds::import_json(
        database,
        &[("service_list.json".to_owned(), DEMO_DIRECTORY.to_owned())],
        |_| {},
    )
    .map_err(ApiError::internal)
}

const TEAMS: [&str; 2] = ["Eastside Community Team", "Westside Recovery Team"];

/// (email local part, name, role, team index)
const STAFF: [(&str, &str, Role, Option<usize>); 11] = [
    ("admin", "Avery Admin", Role::Admin, None),
    (
        "grace.supervisor",
        "Grace Holloway",
        Role::Supervisor,
        Some(0),
    ),
    ("sam.okafor", "Sam Okafor", Role::CaseManager, Some(0)),
    ("lin.nguyen", "Lin Nguyen", Role::CaseManager, Some(0)),
    ("rosa.delgado", "Rosa Delgado", Role::CaseManager, Some(0)),
    (
        "marcus.supervisor",
        "Marcus Bell",
        Role::Supervisor,
        Some(1),
    ),
    (
        "dana.whitehorse",
        "Dana Whitehorse",
        Role::CaseManager,
        Some(1),
    ),
    ("ivan.petrov", "Ivan Petrov", Role::CaseManager, Some(1)),
    ("amina.yusuf", "Amina Yusuf", Role::CaseManager, Some(1)),
    ("jo.therapist", "Jo Martinez", Role::CareTeamMember, None),
    ("pat.billing", "Pat Lindqvist", Role::Billing, None),
];

/// How many of the Eastside team's first clients have the demo therapist
/// on their care team, and two Self-Sufficiency Matrix assessments.
const CARED_FOR: usize = 8;

const DEMO_DOMAIN: &str = "demo.spoke.test";

/// (given names, family names, language tag) per community.
const COMMUNITIES: [(&[&str], &[&str], &str); 7] = [
    (
        &[
            "James", "Linda", "Robert", "Patricia", "Michael", "Barbara", "William", "Dorothy",
            "Earl", "Shirley",
        ],
        &[
            "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Moore", "Taylor",
            "Anderson", "Jackson",
        ],
        "en",
    ),
    (
        &[
            "María",
            "José",
            "Guadalupe",
            "Juan",
            "Rosa",
            "Luis",
            "Carmen",
            "Jesús",
            "Ana",
            "Miguel",
        ],
        &[
            "García",
            "Hernández",
            "López",
            "Martínez",
            "González",
            "Rodríguez",
            "Pérez",
            "Sánchez",
            "Ramírez",
            "Flores",
        ],
        "es",
    ),
    (
        &["Minh", "Lan", "Hùng", "Thu", "Tuấn", "Hoa", "Dũng", "Mai"],
        &["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ"],
        "vi",
    ),
    (
        &["Wei", "Mei", "Jian", "Hui", "Tao", "Xiu"],
        &["Wang", "Li", "Zhang", "Chen", "Liu", "Huang"],
        "zh-Hant",
    ),
    (
        &["Dmitri", "Olga", "Sergei", "Natalia", "Alexei", "Irina"],
        &["Ivanov", "Smirnova", "Kuznetsov", "Popova", "Volkov"],
        "ru",
    ),
    (
        &["Abdi", "Hodan", "Mohamed", "Fadumo", "Ahmed", "Sahra"],
        &["Warsame", "Hassan", "Ali", "Farah", "Jama"],
        "so",
    ),
    (
        &["Leilani", "Kekoa", "Malia", "Tevita", "Sione"],
        &["Fifita", "Tuilagi", "Kahale", "Mahoe"],
        "to",
    ),
];

const STREETS: [&str; 8] = [
    "SE Division St",
    "NE Alberta St",
    "N Lombard St",
    "SE 82nd Ave",
    "NE Sandy Blvd",
    "SW Barbur Blvd",
    "NE Killingsworth St",
    "SE Powell Blvd",
];

const CLIENT_COUNT: usize = 300;

/// The context of one demo action by `user` at `at`.
fn acting(user: &User, at: DateTime<Utc>) -> Cx {
    Cx {
        actor: Actor::from(user),
        now: at,
        // The demo agency's day, in UTC like the rest of the demo's dates.
        today: at.date_naive(),
        request_id: "seed-demo".to_owned(),
    }
}

/// Fills a demo agency: two teams, a supervisor and case managers each, and
/// 300 clients with varied statuses, languages and risk flags. Running it
/// again changes nothing. The same data every time (a fixed random seed).
///
/// It goes through the use cases, as the staff would: the admin creates
/// the teams and accounts, each case manager takes in their clients (on
/// days spread over two years) and moves them through their statuses, and
/// the audit log shows all of it.
pub fn seed_demo(database: &Database) -> Result<DemoSummary, ApiError> {
    let mut conn = database.conn()?;
    let admin_email = Email::parse(&format!("admin@{DEMO_DOMAIN}")).map_err(ApiError::internal)?;
    let accounts_list = STAFF
        .iter()
        .map(|(local, _, role, _)| (format!("{local}@{DEMO_DOMAIN}"), *role))
        .collect::<Vec<_>>();
    if staff::credentials(&mut conn, &admin_email)?.is_some() {
        return Ok(DemoSummary {
            alerts: 0,
            created: false,
            accounts: accounts_list,
            clients: clients::count(&mut conn)?,
            directory: import_demo_directory(database)?,
        });
    }
    let password = NewPassword::parse(DEMO_PASSWORD).map_err(ApiError::internal)?;
    let hash = hash_password(&password)?;
    let mut rng = StdRng::seed_from_u64(20_261_126);
    let now = spoke_persistence::now();
    let today = now.date_naive();
    let settings = ContactSettings {
        rules: ContactRules::default(),
        payer: "medicaid".to_owned(),
        clock: Clock::new(chrono_tz::Tz::UTC),
    };

    Db::new(database.clone()).write_blocking(|tx| {
        let account = |local: &str, name: &str, role: Role, team: Option<TeamId>| {
            NewAccount {
                email: format!("{local}@{DEMO_DOMAIN}"),
                display_name: name.to_owned(),
                role,
                team_id: team,
                password: DEMO_PASSWORD.to_owned(),
            }
            .parse(now)
            .map(|(user, _)| user)
        };
        // The first admin is stored as `spoke serve` bootstraps one; the
        // admin then does the rest.
        let (local, name, role, _) = STAFF[0];
        let admin = account(local, name, role, None)?;
        accounts::insert(tx, &admin, &hash)?;
        let as_admin = acting(&admin, now);
        let mut teams: Vec<Team> = Vec::new();
        for name in TEAMS {
            let name = ShortText::parse(name).map_err(ApiError::internal)?;
            teams.push(accounts::create_team(tx, &as_admin, name)?);
        }
        let mut users: Vec<User> = vec![admin.clone()];
        for (local, name, role, team) in &STAFF[1..] {
            let user = account(local, name, *role, team.map(|index| teams[index].id))?;
            accounts::create_user(tx, &as_admin, &user, &hash)?;
            users.push(user);
        }
        let therapist = users
            .iter()
            .find(|user| user.role == Role::CareTeamMember)
            .map(|user| user.id)
            .ok_or_else(|| ApiError::internal("the demo therapist"))?;
        let ssm = assessments::latest_instrument(tx, "ssm")?
            .ok_or_else(|| ApiError::internal("the built-in instrument"))?;
        let mut mornings = 0;
        for n in 0..CLIENT_COUNT {
            let team = &teams[n % teams.len()];
            let managers: Vec<&User> = users
                .iter()
                .filter(|user| user.role == Role::CaseManager && user.team_id == Some(team.id))
                .collect();
            let (given, family, language) = COMMUNITIES[rng.gen_range(0..COMMUNITIES.len())];
            let pick = |rng: &mut StdRng, names: &[&str]| {
                names.choose(rng).copied().unwrap_or("Alex").to_owned()
            };
            let age_days = rng.gen_range(18 * 365..90 * 365);
            let mut flags = BTreeSet::new();
            for (flag, chance) in [
                (RiskFlag::TwoPersonVisits, 0.08),
                (RiskFlag::DoNotContactAtHome, 0.06),
                (RiskFlag::HistoryOfViolence, 0.04),
                (RiskFlag::SuicideRisk, 0.05),
                (RiskFlag::AnimalInHome, 0.10),
            ] {
                if rng.gen_bool(chance) {
                    flags.insert(flag);
                }
            }
            let input = ClientDetailsInput {
                given_name: pick(&mut rng, given),
                family_name: pick(&mut rng, family),
                preferred_name: None,
                date_of_birth: Some(today - Duration::days(age_days)),
                gender: Some(match rng.gen_range(0..10) {
                    0..=4 => GenderInput::SelfDescribed {
                        description: "woman".to_owned(),
                    },
                    5..=8 => GenderInput::SelfDescribed {
                        description: "man".to_owned(),
                    },
                    _ => GenderInput::PrefersNotToSay,
                }),
                preferred_language: Some(language.to_owned()),
                phone: rng
                    .gen_bool(0.85)
                    .then(|| format!("+1503555{:04}", rng.gen_range(0..10_000))),
                email: None,
                address: rng.gen_bool(0.7).then(|| AddressInput {
                    line1: format!(
                        "{} {}",
                        rng.gen_range(100..9999),
                        STREETS[rng.gen_range(0..STREETS.len())]
                    ),
                    line2: None,
                    city: "Portland".to_owned(),
                    region: Some("OR".to_owned()),
                    postal_code: Some(format!("972{:02}", rng.gen_range(1..40))),
                    country: Some("US".to_owned()),
                }),
                medicaid_id: rng
                    .gen_bool(0.75)
                    .then(|| format!("OR{:08}", rng.gen_range(0..100_000_000))),
                external_ids: if rng.gen_bool(0.3) {
                    vec![ExternalIdInput {
                        system: "hmis".to_owned(),
                        value: format!("HM-{}", 10_000 + n),
                    }]
                } else {
                    Vec::new()
                },
                risk_flags: flags.into_iter().collect(),
            };
            let details = input.parse(today)?;
            let manager = *managers
                .choose(&mut rng)
                .ok_or_else(|| ApiError::internal("a demo team without case managers"))?;
            let taken_in =
                now - Duration::days(rng.gen_range(0..720)) + Duration::microseconds(n as i64);
            let cx = acting(manager, taken_in);
            let client = clients_uc::create(
                tx,
                &cx,
                NewClient {
                    details,
                    team_id: None,
                    primary_case_manager_id: None,
                    enrollment: EnrollmentInput {
                        program: Some("Intensive case management".to_owned()),
                        referral_source: Some(
                            *[
                                ReferralSource::Hospital,
                                ReferralSource::BehavioralHealth,
                                ReferralSource::HousingOrShelter,
                                ReferralSource::SelfReferral,
                                ReferralSource::Family,
                            ]
                            .choose(&mut rng)
                            .unwrap_or(&ReferralSource::Other),
                        ),
                        referral_source_name: None,
                        eligibility_basis: Some("Medicaid TCM: serious mental illness".to_owned()),
                    },
                },
            )?;
            let moves: &[ClientStatus] = match rng.gen_range(0..20) {
                0..=2 => &[],
                3..=14 => &[ClientStatus::Active],
                15..=16 => &[ClientStatus::Active, ClientStatus::OnHold],
                _ => &[ClientStatus::Active, ClientStatus::Discharged],
            };
            for (step, status) in moves.iter().enumerate() {
                let at = taken_in + Duration::days(7 * (step as i64 + 1));
                clients_uc::change_status(
                    tx,
                    &acting(manager, at.min(now)),
                    client.id,
                    &IfMatch::Any,
                    demo_status_change(*status, &mut rng),
                    false,
                )?;
            }
            if moves.last() == Some(&ClientStatus::Active) {
                let colleague = managers
                    .iter()
                    .find(|other| other.id != manager.id)
                    .map(|other| other.id);
                let flags = &client.details.risk_flags;
                let two_person = flags.contains(&RiskFlag::TwoPersonVisits);
                let known_for = (now - taken_in).num_days();
                for day in a_month_of_contacts(&mut rng, known_for) {
                    // Mostly in working hours; one in ten in the evening.
                    let hour = if rng.gen_bool(0.1) {
                        19
                    } else {
                        rng.gen_range(8..16)
                    };
                    let date = today - Duration::days(day);
                    // Weekend work moves to the Friday before.
                    let weekend = i64::from(date.weekday().num_days_from_monday()).max(4) - 4;
                    let at = (date - Duration::days(weekend))
                        .and_hms_opt(hour, rng.gen_range(0..60), 0)
                        .map_or(now, |t| t.and_utc());
                    let input = demo_contact(&mut rng, at, two_person, colleague);
                    let cx = acting(manager, at + Duration::hours(2));
                    let draft = contacts_uc::create(tx, &cx, &settings, client.id, input)?;
                    contacts_uc::sign(tx, &cx, &settings, client.id, draft.id, &IfMatch::Any)?;
                }
                // The demo case manager's morning: two of his clients have
                // an appointment today, and one visit of yesterday waits
                // to be signed.
                let morning = manager.email.as_str().starts_with("sam.okafor") && mornings < 2;
                if morning {
                    mornings += 1;
                    let yesterday = (today - Duration::days(1))
                        .and_hms_opt(15, 30, 0)
                        .map_or(now, |t| t.and_utc());
                    if mornings == 1 {
                        let input = demo_contact(&mut rng, yesterday, two_person, colleague);
                        contacts_uc::create(
                            tx,
                            &acting(manager, yesterday),
                            &settings,
                            client.id,
                            input,
                        )?;
                    }
                }
                let staff = DemoStaff {
                    manager,
                    colleague,
                    two_person,
                    today_too: morning,
                };
                demo_appointments(tx, &settings.clock, &staff, client.id, now, &mut rng)?;
                if rng.gen_bool(0.3) {
                    demo_application(tx, &acting(manager, now), client.id, &mut rng)?;
                }
                demo_life(tx, &acting(manager, now), client.id, taken_in, &mut rng)?;
                if n == 4 {
                    // A case manager asks for a client to move to the other team.
                    let other = &teams[(n + 1) % teams.len()];
                    transfers_uc::request(
                        tx,
                        &acting(manager, now),
                        client.id,
                        TransferInput {
                            to_team_id: other.id,
                            to_case_manager_id: None,
                            summary: "Moved across the river in October to be near family; \
                                      stable in the apartment, SNAP approved, keeps the psychiatry \
                                      appointments. Needs a case manager closer to home."
                                .to_owned(),
                        },
                    )?;
                }
            }
            if n / teams.len() < CARED_FOR && n % teams.len() == 0 {
                care_for(
                    tx,
                    &acting(manager, now),
                    client.id,
                    therapist,
                    &ssm,
                    &mut rng,
                )?;
            }
        }
        bill_last_fortnight(tx, &settings, &users, now)?;
        Ok(())
    })?;
    // The morning's alerts, as the worker's first sweep would raise them.
    let db = Db::new(database.clone());
    let swept = actix_web::rt::System::new().block_on(async move {
        crate::usecases::alerts::sweep(&db, Clock::new(chrono_tz::Tz::UTC), |_| {}).await
    })?;
    Ok(DemoSummary {
        alerts: swept.opened,
        created: true,
        accounts: accounts_list,
        clients: clients::count(&mut conn)?,
        directory: import_demo_directory(database)?,
    })
}

/// The demo billing clerk bills the contacts of two to four weeks ago in
/// one batch, exports it, and records the payer's first answers: one line
/// paid, one denied.
fn bill_last_fortnight(
    tx: &mut Tx,
    settings: &ContactSettings,
    users: &[User],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(clerk) = users.iter().find(|user| user.role == Role::Billing) else {
        return Ok(());
    };
    let cx = acting(clerk, now);
    let input = ClaimBatchInput {
        payer: None,
        from: cx.today - Duration::days(28),
        to: cx.today - Duration::days(14),
    };
    let batch = claims_uc::create_batch(tx, &cx, settings, input)?;
    let batch = claims_uc::export(tx, &cx, batch.id, &IfMatch::Any)?;
    let mut lines = batch.lines.iter().map(|line| line.id);
    if let Some(line) = lines.next() {
        claims_uc::record_outcome(
            tx,
            &cx,
            batch.id,
            line,
            &IfMatch::Any,
            LineOutcome::Paid,
            None,
        )?;
    }
    if let Some(line) = lines.next() {
        let reason = LongText::parse("Member not eligible on the date of service.")
            .map_err(ApiError::internal)?;
        claims_uc::record_outcome(
            tx,
            &cx,
            batch.id,
            line,
            &IfMatch::Any,
            LineOutcome::Denied,
            Some(reason),
        )?;
    }
    Ok(())
}

/// Who schedules a demo client's appointments and drives them.
struct DemoStaff<'a> {
    manager: &'a User,
    colleague: Option<UserId>,
    /// The client is flagged `two_person_visits`.
    two_person: bool,
    /// The client has an appointment today as well.
    today_too: bool,
}

/// An active client's appointments around today, as their case manager
/// keeps them: one or two in the last three weeks, kept or (one in five)
/// missed; up to two in the next two weeks, some with a ride requested or
/// arranged, one in ten cancelled by the provider.
fn demo_appointments(
    tx: &mut Tx,
    clock: &Clock,
    staff: &DemoStaff<'_>,
    client: ClientId,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> Result<(), ApiError> {
    use spoke_domain::appointment::{
        AppointmentInput, AppointmentKind, AppointmentMove, AppointmentStatus, CancelledBy,
        RideMove, RideStatus, TransportInput, TransportMode,
    };
    const KINDS: [(AppointmentKind, &str); 6] = [
        (
            AppointmentKind::Medical,
            "Dr. Nguyen, Multnomah Health Center",
        ),
        (
            AppointmentKind::Psychiatric,
            "Medication check, Cascadia Clinic",
        ),
        (AppointmentKind::Pharmacy, "Walgreens pharmacy"),
        (
            AppointmentKind::BenefitsOffice,
            "DHS office, SNAP interview",
        ),
        (AppointmentKind::Housing, "Home Forward intake"),
        (AppointmentKind::CourtOrProbation, "Probation check-in"),
    ];
    let today = now.date_naive();
    let past = rng.gen_range(1..=2);
    let ahead = rng.gen_range(0..=2);
    let mut days: Vec<i64> = (0..past).map(|_| -rng.gen_range(1..21)).collect();
    days.extend((0..ahead).map(|_| rng.gen_range(1..15)));
    if staff.today_too {
        days.push(0);
    }
    for day in days {
        let (kind, with) = KINDS[rng.gen_range(0..KINDS.len())];
        let start = (today + Duration::days(day))
            .and_hms_opt(rng.gen_range(15..22), 0, 0)
            .map_or(now, |t| t.and_utc());
        let ride = rng.gen_bool(0.5).then(|| {
            let mode = match (rng.gen_range(0..3), staff.two_person, staff.colleague) {
                (0, false, _) => TransportMode::CaseManagerDrives,
                (0, true, Some(_)) => TransportMode::CaseManagerDrives,
                (1, _, _) => TransportMode::BusPass,
                _ => TransportMode::Nemt,
            };
            let mut staff_ids = Vec::new();
            if mode == TransportMode::CaseManagerDrives {
                staff_ids.push(staff.manager.id);
                staff_ids.extend(staff.colleague.filter(|_| staff.two_person));
            }
            TransportInput {
                mode,
                pickup_address: None,
                pickup_at: Some(start - Duration::minutes(45)),
                staff_ids,
                cost_cents: (mode == TransportMode::BusPass).then_some(250),
                nemt_trip_id: (mode == TransportMode::Nemt)
                    .then(|| format!("MTM-{}", rng.gen_range(1_000_000..9_999_999))),
            }
        });
        let input = AppointmentInput {
            starts_at: start,
            ends_at: start + Duration::minutes(45),
            kind,
            care_team_member_id: None,
            service_id: None,
            with_name: Some(with.to_owned()),
            location_id: None,
            address: None,
            case_manager_attends: rng.gen_bool(0.3),
            referral_id: None,
            task_id: None,
            notes: None,
            sensitivity: None,
            transport: ride,
        };
        let made_at = (start - Duration::days(7)).min(now);
        let made = appointments_uc::create(tx, &acting(staff.manager, made_at), client, input)?;
        let roll = rng.gen_range(0..10);
        let missed = day < 0 && roll < 2;
        let mut ride_move = |status, reason: Option<&str>, at| {
            appointments_uc::move_ride(
                tx,
                &acting(staff.manager, at),
                client,
                made.id,
                &IfMatch::Any,
                RideMove {
                    status,
                    reason: reason.map(str::to_owned),
                },
            )
        };
        if made.ride.is_some() && (day < 0 || rng.gen_bool(0.5)) {
            ride_move(RideStatus::Arranged, None, made_at)?;
            if missed {
                ride_move(RideStatus::Failed, Some("Not home at pickup."), start)?;
            } else if day < 0 {
                ride_move(RideStatus::Completed, None, start)?;
            }
        }
        let only = |status| AppointmentMove {
            status,
            reason: None,
            cancelled_by: None,
            new_starts_at: None,
            new_ends_at: None,
        };
        let status_move = match (day < 0, roll) {
            (false, _) if day == 0 => None,
            _ if missed => Some(AppointmentMove {
                reason: Some("Not home when the ride came.".to_owned()),
                ..only(AppointmentStatus::Missed)
            }),
            (true, _) => Some(only(AppointmentStatus::Kept)),
            (false, 0) => Some(AppointmentMove {
                reason: Some("The clinic closed for the day.".to_owned()),
                cancelled_by: Some(CancelledBy::Provider),
                ..only(AppointmentStatus::Cancelled)
            }),
            (false, _) => None,
        };
        if let Some(input) = status_move {
            let at = if day < 0 {
                start + Duration::hours(2)
            } else {
                now
            };
            appointments_uc::move_status(
                tx,
                &acting(staff.manager, at),
                clock,
                client,
                made.id,
                &IfMatch::Any,
                input,
            )?;
        }
    }
    Ok(())
}

/// A benefits application of an active client, somewhere along its way:
/// being prepared, submitted, waiting on information, approved with a
/// recertification coming, denied and appealed, or withdrawn.
fn demo_application(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    rng: &mut StdRng,
) -> Result<(), ApiError> {
    use spoke_domain::benefit::{
        ApplicationInput, ApplicationMove, ApplicationStatus as S, DocumentItem, DocumentKind,
        Program,
    };
    const PROGRAMS: [Program; 6] = [
        Program::Snap,
        Program::Ssi,
        Program::Medicaid,
        Program::HousingChoiceVoucher,
        Program::Liheap,
        Program::PrescriptionAssistance,
    ];
    let program = PROGRAMS[rng.gen_range(0..PROGRAMS.len())];
    let stage = rng.gen_range(0..7);
    let documents = [
        DocumentKind::Identity,
        DocumentKind::ProofOfIncome,
        DocumentKind::ProofOfResidence,
    ]
    .into_iter()
    .map(|kind| DocumentItem {
        kind,
        gathered: stage > 0 || rng.gen_bool(0.5),
        note: None,
    })
    .collect();
    let input = ApplicationInput {
        program,
        program_name: None,
        organization_id: None,
        case_number: (stage > 0).then(|| format!("OR-{}", rng.gen_range(100_000..999_999))),
        documents,
        notes: None,
    };
    let made = benefits_uc::create(tx, cx, client, input)?;
    let day = |ago: i64| cx.today - Duration::days(ago);
    let step = |status, on| ApplicationMove {
        status,
        on: Some(on),
        information_requested: None,
        information_due_on: None,
        amount_cents: None,
        benefit_starts_on: None,
        recertification_on: None,
        reason: None,
        hearing_on: None,
    };
    let mut moves = Vec::new();
    if stage > 0 {
        moves.push(step(S::Submitted, day(40)));
    }
    match stage {
        2 => moves.push(ApplicationMove {
            information_requested: Some("Bank statements for the last two months".to_owned()),
            information_due_on: Some(cx.today + Duration::days(rng.gen_range(2..20))),
            ..step(S::PendingInformation, day(10))
        }),
        3 => moves.push(ApplicationMove {
            amount_cents: Some(rng.gen_range(50..900) * 100),
            benefit_starts_on: Some(day(5)),
            recertification_on: Some(cx.today + Duration::days(rng.gen_range(20..180))),
            ..step(S::Approved, day(12))
        }),
        4 | 5 => {
            moves.push(ApplicationMove {
                reason: Some("Income over the limit as reported".to_owned()),
                ..step(S::Denied, day(20))
            });
            if stage == 5 {
                moves.push(ApplicationMove {
                    hearing_on: Some(cx.today + Duration::days(rng.gen_range(10..40))),
                    ..step(S::Appealed, day(15))
                });
            }
        }
        6 => moves.push(ApplicationMove {
            reason: Some("Moved out of the county".to_owned()),
            ..step(S::Withdrawn, day(8))
        }),
        _ => {}
    }
    for input in moves {
        benefits_uc::move_status(tx, cx, client, made.id, &IfMatch::Any, input)?;
    }
    Ok(())
}

/// The days ago, within the last month and since the client came
/// (`known_for` days ago), of an active client's contacts: one to four.
fn a_month_of_contacts(rng: &mut StdRng, known_for: i64) -> Vec<i64> {
    let latest = known_for.min(30);
    if latest < 2 {
        return Vec::new();
    }
    let count = rng.gen_range(1..=4);
    let mut days: Vec<i64> = (0..count).map(|_| rng.gen_range(1..latest)).collect();
    days.sort_unstable_by(|a, b| b.cmp(a));
    days
}

/// One demo contact at `at`: mostly documented monitoring visits and calls
/// that bill, and some that do not (a ride, a text message, a note too
/// short to document the work), so a newcomer sees both.
fn demo_contact(
    rng: &mut StdRng,
    at: DateTime<Utc>,
    two_person: bool,
    colleague: Option<UserId>,
) -> ContactInput {
    let (mode, setting, activities, narrative): (_, _, &[Activity], &str) = match rng
        .gen_range(0..10)
    {
        0..=3 => (
            ContactMode::InPerson,
            ContactSetting::ClientHome,
            &[Activity::MonitoringAndFollowUp],
            "Home visit. Reviewed the week: groceries in, rent paid on time, the heating repair is \
             scheduled. Went over the plan goals together and set the next visit.",
        ),
        4..=6 => (
            ContactMode::Phone,
            ContactSetting::ClientHome,
            &[
                Activity::ReferralAndRelatedActivities,
                Activity::MonitoringAndFollowUp,
            ],
            "Phone call. Followed up on the food bank referral: the first pickup went well. \
             Talked through the benefits recertification letter and what it asks for.",
        ),
        7 => (
            ContactMode::InPerson,
            ContactSetting::Vehicle,
            &[Activity::Transportation, Activity::Accompaniment],
            "Drove to the clinic and waited during the appointment.",
        ),
        8 => (
            ContactMode::TextMessage,
            ContactSetting::Community,
            &[Activity::MonitoringAndFollowUp],
            "Texted a reminder about Thursday.",
        ),
        _ => (
            ContactMode::InPerson,
            ContactSetting::Office,
            &[Activity::CarePlanDevelopment],
            "Office visit. Revised the plan with the client: a new housing goal in their own words, \
             with the steps they chose and who helps with each.",
        ),
    };
    let in_person = mode == ContactMode::InPerson;
    ContactInput {
        started_at: at,
        duration_minutes: rng.gen_range(10..75),
        mode,
        setting,
        client_present: true,
        natural_support_ids: Vec::new(),
        care_team_member_ids: Vec::new(),
        other_participants: Vec::new(),
        staff_ids: if two_person && in_person {
            colleague.into_iter().collect()
        } else {
            Vec::new()
        },
        two_person_override_reason: (two_person && in_person && colleague.is_none())
            .then(|| "No second staff member was free; met on the porch.".to_owned()),
        activities: activities.to_vec(),
        goal_ids: Vec::new(),
        referral_ids: Vec::new(),
        goal_progress: rng.gen_bool(0.9).then_some(GoalProgress::Progressing),
        declined_services: Some("None.".to_owned()),
        coordination: Some("None this time.".to_owned()),
        narrative: narrative.to_owned(),
        travel_minutes: in_person.then(|| rng.gen_range(5..40)),
        travel_miles: in_person.then(|| f64::from(rng.gen_range(2..30))),
        sensitivity: ConsentCategory::General,
        amends: None,
    }
}

/// Puts the demo therapist on `client`'s care team and records an intake
/// and a recent Self-Sufficiency Matrix assessment, so the care-team view
/// and the trend have something to show.
fn care_for(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    therapist: UserId,
    ssm: &Instrument,
    rng: &mut StdRng,
) -> Result<(), ApiError> {
    let today = cx.today;
    let membership = CareTeamInput {
        kind: CareTeamKind::Staff,
        user_id: Some(therapist),
        name: None,
        profession: None,
        organization: None,
        phone: None,
        email: None,
        responsibility: Some("Weekly therapy".to_owned()),
        started_on: today - Duration::days(120),
        ended_on: None,
    }
    .parse()?;
    care_uc::create_member(tx, cx, client, membership)?;
    let mut previous: Vec<i32> = Vec::new();
    for (kind, days_ago) in [(AssessmentKind::Intake, 90), (AssessmentKind::Periodic, 10)] {
        let scores: Vec<DomainScore> = ssm
            .fields
            .domains
            .iter()
            .enumerate()
            .map(|(n, domain)| {
                let not_applicable = domain.allows_not_applicable && rng.gen_bool(0.4);
                // The second assessment moves each score by -2 to +1.
                let score = match previous.get(n) {
                    Some(&before) if before > 0 => (before + rng.gen_range(-2..=1)).clamp(1, 5),
                    _ => rng.gen_range(1..=4),
                };
                DomainScore {
                    domain: domain.code.clone(),
                    score: (!not_applicable).then_some(score),
                    not_applicable,
                    note: None,
                }
            })
            .collect();
        previous = scores.iter().map(|s| s.score.unwrap_or(0)).collect();
        let input = AssessmentInput {
            instrument_id: ssm.id,
            assessed_on: today - Duration::days(days_ago),
            kind,
            scores,
            overall_note: None,
            amends: None,
        };
        let draft = assessments_uc::create(tx, cx, client, input)?;
        assessments_uc::finalize(tx, cx, client, draft.id, &IfMatch::Any)?;
    }
    Ok(())
}

/// A move of a demo client; a discharge with a reason, a destination and a
/// summary as a case manager would write them.
fn demo_status_change(status: ClientStatus, rng: &mut impl Rng) -> StatusChange {
    let (reason, destination, summary) = [
        (
            DischargeReason::GoalsMet,
            Destination::RentalWithSubsidy,
            "Housed with a voucher for eight months, working part time, linked to a primary care \
             doctor and a peer support group. Agreed to close; knows how to come back.",
        ),
        (
            DischargeReason::MovedAway,
            Destination::FamilyPermanent,
            "Moved to live with her sister in another county; records sent to the case management \
             program there with her consent.",
        ),
        (
            DischargeReason::LostContact,
            Destination::NoExitInterview,
            "No contact for 90 days despite visits, calls, letters and outreach at the shelter.",
        ),
    ][rng.gen_range(0..3)];
    let discharging = status == ClientStatus::Discharged;
    StatusChange {
        status,
        reason: discharging.then_some(reason),
        destination: discharging.then_some(destination),
        on: None,
        summary: discharging.then(|| summary.to_owned()),
        keep_referral_ids: Vec::new(),
        enrollment: None,
    }
}

/// Where a demo client lives and what happened to them: a residence
/// history (some came from a shelter), and for some a psychiatric stay that
/// ended two to four weeks ago (followed up or not, as the month of
/// contacts fell), an emergency visit, a stay still going on or an arrest;
/// those with a psychiatric stay have a safety plan.
fn demo_life(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    taken_in: DateTime<Utc>,
    rng: &mut StdRng,
) -> Result<(), ApiError> {
    use spoke_domain::critical_event::{EventInput, EventType, LearnedFrom};
    use spoke_domain::residence::{ResidenceInput, ResidenceSetting};
    let today = cx.today;
    let enrolled = taken_in.date_naive().min(today - Duration::days(2));
    let residence = |setting, moved_in_on, moved_out_on| ResidenceInput {
        setting,
        address: None,
        moved_in_on,
        moved_out_on,
        notes: None,
    };
    let home = if rng.gen_bool(0.5) {
        ResidenceSetting::SupportiveHousing
    } else {
        ResidenceSetting::OwnHome
    };
    if rng.gen_bool(0.4) && (today - enrolled).num_days() > 30 {
        // From a shelter (or the street) into housing a while after enrolling.
        let before = if rng.gen_bool(0.7) {
            ResidenceSetting::EmergencyShelter
        } else {
            ResidenceSetting::PlaceNotMeantForHabitation
        };
        let housed =
            enrolled + Duration::days(rng.gen_range(7..=(today - enrolled).num_days().min(200)));
        events_uc::create_residence(tx, cx, client, residence(before, enrolled, None))?;
        events_uc::create_residence(tx, cx, client, residence(home, housed.min(today), None))?;
    } else {
        events_uc::create_residence(tx, cx, client, residence(home, enrolled, None))?;
    }
    let event = |event_type, started_on, ended_on, facility: &str, learned_from| EventInput {
        event_type,
        crisis_service: None,
        started_on,
        ended_on,
        organization_id: None,
        facility_name: Some(facility.to_owned()),
        learned_from,
        learned_on: None,
        sensitivity: None,
        notes: None,
    };
    match rng.gen_range(0..20) {
        0..=4 => {
            let ended = (today - Duration::days(rng.gen_range(10..28))).max(enrolled);
            let started = (ended - Duration::days(rng.gen_range(3..12))).max(enrolled);
            events_uc::create(
                tx,
                cx,
                client,
                event(
                    EventType::PsychiatricHospitalization,
                    started,
                    Some(ended),
                    "Unity Center for Behavioral Health",
                    LearnedFrom::HospitalNotification,
                ),
            )?;
            let sections = serde_json::from_value(serde_json::json!({
                "warning_signs": ["Not sleeping for two nights", "Staying in bed all day"],
                "internal_coping_strategies": ["Walk by the river", "Music"],
                "people_to_ask_for_help": [{"name": "Sister", "phone": "+1 503 555 0177"}],
                "professionals_and_agencies": [{"name": "988 Suicide and Crisis Lifeline", "phone": "988"},
                                               {"name": "Case manager", "phone": "+1 503 555 0100"}],
                "making_the_environment_safe": ["Medications kept by the pharmacy, one week at a time"],
                "reasons_for_living": ["Her grandchildren"]
            }))
            .map_err(ApiError::internal)?;
            safety_plans_uc::revise(tx, cx, client, &IfMatch::Any, sections)?;
        }
        5..=6 => {
            let on = today - Duration::days(rng.gen_range(1..40));
            events_uc::create(
                tx,
                cx,
                client,
                event(
                    EventType::EmergencyDepartmentVisit,
                    on.max(enrolled),
                    None,
                    "Providence Portland Medical Center",
                    LearnedFrom::Client,
                ),
            )?;
        }
        7 => {
            events_uc::create(
                tx,
                cx,
                client,
                event(
                    EventType::MedicalHospitalization,
                    today - Duration::days(rng.gen_range(1..5)),
                    None,
                    "OHSU Hospital",
                    LearnedFrom::NaturalSupport,
                ),
            )?;
        }
        8 => {
            let on = today - Duration::days(rng.gen_range(20..90));
            events_uc::create(
                tx,
                cx,
                client,
                event(
                    EventType::Arrest,
                    on.max(enrolled),
                    None,
                    "Portland Police Bureau",
                    LearnedFrom::Justice,
                ),
            )?;
        }
        _ => {}
    }
    Ok(())
}
