//! The `spoke` binary: serve, migrate, print the OpenAPI document, create
//! users and seed a demo agency.
#![allow(clippy::print_stdout)] // a command-line tool talks on stdout

use std::net::TcpListener;
use std::process::ExitCode;

use clap::Parser;
use spoke_api::auth::hash_password;
use spoke_api::config::{
    Cli, Command, CreateUserArgs, Environment, LogFormat, ServeArgs, jwt_secret,
};
use spoke_api::hsds;
use spoke_api::seed::{DEMO_PASSWORD, bootstrap_admin, seed_demo};
use spoke_api::server::{ServerSettings, openapi_json, prepare_database, serve};
use spoke_api::usecases::staff::{self as accounts, NewAccount};
use spoke_domain::egress::Loopback;
use spoke_persistence::{Database, PoolOptions};
use tracing_subscriber::EnvFilter;

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spoke: {}", spoke_api::problem::report(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SPOKE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::Openapi = cli.command {
        print!("{}", openapi_json());
        return Ok(());
    }
    let options = PoolOptions {
        max_connections: cli.db_pool_size,
        checkout_timeout: std::time::Duration::from_millis(cli.db_checkout_timeout_ms),
        // A server copies SQLite's log back in the background (see
        // `spoke_api::db`); a one-off command lets its commits do it.
        background_checkpoints: matches!(cli.command, Command::Serve(_) | Command::Worker(_)),
    };
    let database = Database::connect_with(&cli.database_url, options)
        .map_err(|error| format!("cannot open the database {}: {error}", cli.database_url))?;
    let applied = prepare_database(&database)
        .map_err(|error| format!("cannot migrate the database: {error}"))?;
    for name in &applied {
        tracing::info!(migration = %name, "applied migration");
    }
    match cli.command {
        Command::Openapi => Ok(()),
        Command::Migrate => {
            println!(
                "{} migration(s) applied; the database is up to date.",
                applied.len()
            );
            Ok(())
        }
        Command::CreateUser(args) => create_user(&database, args),
        Command::SeedDemo => {
            let summary = seed_demo(&database)?;
            if summary.created {
                println!(
                    "Created the demo agency: 2 teams, {} staff, {} clients, {} open alerts.",
                    summary.accounts.len(),
                    summary.clients,
                    summary.alerts
                );
            } else {
                println!(
                    "The demo agency is already here ({} clients).",
                    summary.clients
                );
            }
            print_import_report(&summary.directory);
            println!("Demo accounts (password for all: {DEMO_PASSWORD}):");
            for (email, role) in &summary.accounts {
                println!("  {email:<38} {}", role.as_str());
            }
            Ok(())
        }
        Command::ImportHsds { path } => import_hsds(&database, &path),
        Command::SweepAlerts { timezone } => sweep_alerts(database, timezone),
        Command::Serve(args) => serve_command(&cli.database_url, database, args),
        Command::Worker(args) => worker_command(database, &args),
    }
}

fn sweep_alerts(database: Database, timezone: chrono_tz::Tz) -> Result<(), Failure> {
    let db = spoke_api::db::Db::new(database);
    let clock = spoke_api::context::Clock::new(timezone);
    let swept = actix_web::rt::System::new().block_on(async move {
        spoke_api::usecases::alerts::sweep(&db, clock, |so_far| {
            eprint!("\r  {} clients evaluated", so_far.clients);
        })
        .await
    })?;
    eprintln!();
    println!(
        "Swept {} clients: {} alerts opened, {} resolved as their facts changed, {} woken from snooze, {} escalated.",
        swept.clients, swept.opened, swept.cleared, swept.woken, swept.escalated
    );
    Ok(())
}

fn import_hsds(database: &Database, path: &std::path::Path) -> Result<(), Failure> {
    let report = hsds::import(database, path, |progress| {
        if progress.total >= 1000 {
            eprintln!(
                "spoke: imported {}/{} records",
                progress.done, progress.total
            );
        }
    })?;
    print_import_report(&report);
    Ok(())
}

fn print_import_report(report: &hsds::ImportReport) {
    println!(
        "Imported {} records in {:.1}s ({:.0} records/s).",
        report.records(),
        report.seconds,
        report.records() as f64 / report.seconds.max(1e-9)
    );
    for (kind, counts) in [
        ("taxonomy terms", report.taxonomy_terms),
        ("organizations", report.organizations),
        ("locations", report.locations),
        ("services", report.services),
    ] {
        println!(
            "  {kind:<15} {} created, {} updated, {} unchanged",
            counts.created, counts.updated, counts.unchanged
        );
    }
    if !report.errors.is_empty() {
        println!(
            "{} record(s) were rejected and not imported:",
            report.errors.len()
        );
        for error in &report.errors {
            println!("  {} {}: {}", error.file, error.id, error.reason);
        }
    }
}

fn create_user(database: &Database, args: CreateUserArgs) -> Result<(), Failure> {
    let generated = args.password.is_none();
    let password = args.password.unwrap_or_else(accounts::random_password);
    let (user, checked) = NewAccount {
        email: args.email,
        display_name: args.display_name,
        role: args.role,
        team_id: args.team_id,
        password: password.clone(),
    }
    .parse(spoke_persistence::now())
    .map_err(|errors| {
        errors
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let hash = hash_password(&checked)?;
    spoke_api::db::Db::new(database.clone())
        .write_blocking(|tx| accounts::insert(tx, &user, &hash))?;
    println!(
        "Created {} ({}) with id {}.",
        user.email,
        user.role.as_str(),
        user.id
    );
    if generated {
        println!("One-time password: {password}");
        println!("It is shown only now; change it with PUT /v1/me/password after signing in.");
    }
    Ok(())
}

fn serve_command(database_url: &str, database: Database, args: ServeArgs) -> Result<(), Failure> {
    let secret = jwt_secret(&args, database_url)?;
    if let Some((email, password)) = bootstrap_admin(&database, &args.admin_email)? {
        println!("This database had no users, so a first admin was created:");
        println!("  email:    {email}");
        println!("  password: {password}   (shown only now; change it with PUT /v1/me/password)");
    }
    let listener = TcpListener::bind(&args.bind)
        .map_err(|error| format!("cannot listen on {}: {error}", args.bind))?;
    let address = listener.local_addr()?;
    let (webhooks, upkeep) = (worker_settings(&args), upkeep(&args));
    let settings = ServerSettings {
        database,
        jwt_secret: secret,
        jwt_issuer: args.jwt_issuer,
        jwt_audience: args.jwt_audience,
        token_lifetime: chrono::Duration::minutes(i64::from(args.token_ttl_minutes)),
        workers: args.workers,
        timezone: args.timezone,
        fixed_now: None,
        plan_approval_required: args.plan_approval_required,
        discharge_approval_required: args.discharge_approval_required,
        contact_rules: spoke_domain::contact::ContactRules {
            working_hours: args.working_hours,
            late_entry_days: i64::from(args.late_entry_days),
            cosign_required: args.contact_cosign_required,
        },
        billing_payer: args.billing_payer,
        webhooks,
        run_worker: args.run_worker,
        client_address_header: args.client_ip_header,
        metrics_token: args.metrics_token,
        upkeep,
    };
    println!("Spoke is listening on http://{address}");
    println!("  API docs:  http://{address}/docs/");
    println!("  OpenAPI:   http://{address}/openapi.json");
    println!(
        "  Sign in:   curl -s -X POST http://{address}/v1/auth/login -H 'Content-Type: application/json' -d '{{\"email\":\"...\",\"password\":\"...\"}}'"
    );
    actix_web::rt::System::new().block_on(async move {
        let server = serve(&settings, listener)?;
        server.await
    })?;
    tracing::info!("stopped");
    Ok(())
}

fn worker_settings(args: &ServeArgs) -> spoke_api::webhooks::WorkerSettings {
    let loopback = args
        .webhook_allow_loopback
        .unwrap_or(args.environment == Environment::Development);
    spoke_api::webhooks::WorkerSettings {
        loopback: if loopback {
            Loopback::Allowed
        } else {
            Loopback::Refused
        },
        ..spoke_api::webhooks::WorkerSettings::default()
    }
}

fn upkeep(args: &ServeArgs) -> spoke_api::maintenance::Upkeep {
    spoke_api::maintenance::Upkeep {
        idempotency_retention: chrono::Duration::hours(i64::from(args.idempotency_retention_hours)),
        alert_sweep: std::time::Duration::from_secs(u64::from(args.alert_sweep_minutes) * 60),
        ..spoke_api::maintenance::Upkeep::default()
    }
}

/// The background work alone, until SIGTERM or SIGINT.
fn worker_command(database: Database, args: &ServeArgs) -> Result<(), Failure> {
    let db = spoke_api::db::Db::new(database);
    let clock = spoke_api::context::Clock::new(args.timezone);
    let (settings, upkeep) = (worker_settings(args), upkeep(args));
    println!("Spoke's worker is delivering webhooks and sweeping alerts (stop it with Ctrl-C).");
    actix_web::rt::System::new().block_on(async move {
        spoke_api::webhooks::Worker::new(db.clone(), clock, settings).spawn();
        spoke_api::maintenance::spawn_alert_sweep(db.clone(), clock, upkeep.alert_sweep);
        spoke_api::maintenance::spawn(db, clock, upkeep);
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        Ok::<(), std::io::Error>(())
    })?;
    tracing::info!("worker stopped");
    Ok(())
}
