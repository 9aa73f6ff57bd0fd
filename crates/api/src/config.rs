//! Command line and configuration: every setting is a flag or a `SPOKE_*`
//! environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use spoke_domain::staff::Role;
use spoke_persistence::Backend;

#[derive(Debug, Parser)]
#[command(
    name = "spoke",
    version,
    about = "Spoke: the case management API for community social services and health care"
)]
pub struct Cli {
    /// The database: a SQLite file path (created if missing) or a postgres:// URL.
    #[arg(
        long,
        env = "SPOKE_DATABASE_URL",
        default_value = "spoke.db",
        global = true
    )]
    pub database_url: String,

    /// How many database connections to keep open at most.
    #[arg(long, env = "SPOKE_DB_POOL_SIZE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=200), global = true)]
    pub db_pool_size: u32,

    /// How long a request waits for a database connection, in milliseconds,
    /// before it is answered 503 (database down, unreachable or saturated).
    #[arg(long, env = "SPOKE_DB_CHECKOUT_TIMEOUT_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(50..=60_000), global = true)]
    pub db_checkout_timeout_ms: u64,

    /// `text` for people, `json` for log collectors.
    #[arg(long, env = "SPOKE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// Generates and keeps a JWT secret beside the database when none is given.
    Development,
    /// Requires SPOKE_JWT_SECRET.
    Production,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations and serve the API (and, unless SPOKE_RUN_WORKER=false, deliver webhooks).
    Serve(ServeArgs),
    /// Run only the background work, no HTTP: webhook deliveries and upkeep. For deployments that
    /// run it apart from the API instances; takes serve's settings. Any number may run on one database.
    Worker(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Create a staff user; prints a generated password unless SPOKE_NEW_USER_PASSWORD is set.
    CreateUser(CreateUserArgs),
    /// Fill the database with a demo agency (two teams, staff, 300 clients, a resource directory).
    SeedDemo,
    /// Import an Open Referral HSDS 3.0 dataset: a folder of JSON files or CSV tables.
    ImportHsds {
        /// The dataset's folder.
        path: std::path::PathBuf,
    },
    /// Evaluate the alert rules for every client once, as the worker does every
    /// SPOKE_ALERT_SWEEP_MINUTES: wake snoozed alerts, escalate unanswered ones.
    SweepAlerts {
        /// The agency's time zone, for "today".
        #[arg(long, env = "SPOKE_TIMEZONE", default_value = "UTC")]
        timezone: chrono_tz::Tz,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "SPOKE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// The HS256 signing secret for access tokens, at least 32 bytes.
    #[arg(long, env = "SPOKE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// The deployment kind.
    #[arg(long, env = "SPOKE_ENV", value_enum, default_value_t = Environment::Development)]
    pub environment: Environment,

    /// How long an access token lasts, in minutes.
    #[arg(long, env = "SPOKE_TOKEN_TTL_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub token_ttl_minutes: u32,

    /// The `iss` claim of access tokens.
    #[arg(long, env = "SPOKE_JWT_ISSUER", default_value = "spoke")]
    pub jwt_issuer: String,

    /// The `aud` claim of access tokens.
    #[arg(long, env = "SPOKE_JWT_AUDIENCE", default_value = "spoke-api")]
    pub jwt_audience: String,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "SPOKE_WORKERS")]
    pub workers: Option<usize>,

    /// The IANA time zone the agency works in, for the directory's "open now".
    #[arg(long, env = "SPOKE_TIMEZONE", default_value = "UTC")]
    pub timezone: chrono_tz::Tz,

    /// The agency's working hours: a contact that starts outside them is marked after hours.
    #[arg(long, env = "SPOKE_WORKING_HOURS", default_value = "mon-fri 08:00-17:00", value_parser = spoke_domain::contact::WorkingHours::parse)]
    pub working_hours: spoke_domain::contact::WorkingHours,

    /// A contact signed more than this many days after its date of service is a late entry.
    #[arg(long, env = "SPOKE_LATE_ENTRY_DAYS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=365))]
    pub late_entry_days: u32,

    /// Bill only the contacts a supervisor co-signed.
    #[arg(long, env = "SPOKE_CONTACT_COSIGN_REQUIRED", default_value_t = false, action = clap::ArgAction::Set)]
    pub contact_cosign_required: bool,

    /// The payer whose billing configuration judges signed contacts.
    #[arg(long, env = "SPOKE_BILLING_PAYER", default_value = "medicaid")]
    pub billing_payer: String,

    /// Require a supervisor's approval before a service plan becomes active.
    #[arg(long, env = "SPOKE_PLAN_APPROVAL_REQUIRED", default_value_t = false)]
    pub plan_approval_required: bool,

    /// Require a supervisor's approval before a case manager's discharge takes effect.
    #[arg(
        long,
        env = "SPOKE_DISCHARGE_APPROVAL_REQUIRED",
        default_value_t = false
    )]
    pub discharge_approval_required: bool,

    /// Run the webhook delivery worker in this process (set false where `spoke worker` runs apart).
    #[arg(long, env = "SPOKE_RUN_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub run_worker: bool,

    /// Allow webhook receivers on this machine (loopback addresses, plain http):
    /// on by default in development, off in production.
    #[arg(long, env = "SPOKE_WEBHOOK_ALLOW_LOOPBACK")]
    pub webhook_allow_loopback: Option<bool>,

    /// Behind a reverse proxy: the header it sets to the client's address
    /// (`X-Forwarded-For`, `X-Real-IP`); its last address is taken. Unset, the
    /// peer's address is the client's.
    #[arg(long, env = "SPOKE_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<actix_web::http::header::HeaderName>,

    /// How long a creating request's response is replayed for its Idempotency-Key, in hours.
    #[arg(long, env = "SPOKE_IDEMPOTENCY_RETENTION_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub idempotency_retention_hours: u32,

    /// How often the worker evaluates the alert rules for every client, in minutes (changes to a
    /// client are evaluated at once, in their own transaction).
    #[arg(long, env = "SPOKE_ALERT_SWEEP_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub alert_sweep_minutes: u32,

    /// The bearer token Prometheus must send to read /metrics; unset, /metrics is open (keep it off
    /// the public network then).
    #[arg(long, env = "SPOKE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// The email of the first admin, created when the database has no user.
    #[arg(long, env = "SPOKE_ADMIN_EMAIL", default_value = "admin@spoke.local")]
    pub admin_email: String,
}

#[derive(Debug, Args)]
pub struct CreateUserArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub display_name: String,
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// Required for supervisors and case managers.
    #[arg(long)]
    pub team_id: Option<spoke_domain::ids::TeamId>,
    /// The password; generated and printed when absent.
    #[arg(long, env = "SPOKE_NEW_USER_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse(raw).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

/// Where a development JWT secret is kept: beside a SQLite database, or in
/// the working directory for PostgreSQL.
pub fn dev_secret_path(database_url: &str) -> PathBuf {
    match Backend::of_url(database_url) {
        Backend::Sqlite => {
            let path = database_url
                .strip_prefix("sqlite://")
                .or_else(|| database_url.strip_prefix("sqlite:"))
                .unwrap_or(database_url);
            PathBuf::from(format!("{path}.jwt-secret"))
        }
        Backend::Postgres => PathBuf::from(".spoke-jwt-secret"),
    }
}

/// The JWT secret to sign with: the configured one, or in development one
/// generated once and kept on disk so tokens survive restarts.
pub fn jwt_secret(args: &ServeArgs, database_url: &str) -> Result<Vec<u8>, String> {
    if let Some(secret) = &args.jwt_secret {
        if secret.len() < 32 {
            return Err("SPOKE_JWT_SECRET must be at least 32 bytes".to_owned());
        }
        return Ok(secret.as_bytes().to_vec());
    }
    if args.environment == Environment::Production {
        return Err("SPOKE_JWT_SECRET is required when SPOKE_ENV=production".to_owned());
    }
    let path = dev_secret_path(database_url);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            return Ok(existing.into_bytes());
        }
    }
    let secret =
        crate::usecases::staff::random_password() + &crate::usecases::staff::random_password();
    write_private(&path, &secret)
        .map_err(|error| format!("cannot keep the JWT secret in {}: {error}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a development JWT secret");
    Ok(secret.into_bytes())
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}
