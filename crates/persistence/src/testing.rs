//! Throwaway databases for tests, on both backends.
//!
//! PostgreSQL tests need `SPOKE_TEST_POSTGRES_URL`, a URL of a server where
//! the user may create databases (`make test` starts a private server and
//! sets it). Without it the PostgreSQL tests are skipped locally, and fail
//! under `CI=true`: in CI a skipped backend is a failing backend.

use crate::{Backend, Database, PoolOptions, run_migrations};
use diesel::Connection;
use diesel::connection::SimpleConnection;

/// A fresh, migrated database that disappears when dropped.
pub struct TestDb {
    url: String,
    backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("url", &self.url).finish()
    }
}

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "SPOKE_TEST_POSTGRES_URL";

impl TestDb {
    /// A new database on `backend`, or `None` when PostgreSQL is not
    /// configured outside CI.
    pub fn new(backend: Backend) -> Option<TestDb> {
        let db = match backend {
            Backend::Sqlite => Some(TestDb::sqlite()),
            Backend::Postgres => TestDb::postgres(),
        }?;
        let database = db.open(2);
        let mut conn = database.conn().expect("connect to the test database");
        run_migrations(&mut conn).expect("migrate the test database");
        Some(db)
    }

    fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = dir.path().join("spoke-test.db").display().to_string();
        TestDb {
            url,
            backend: Backend::Sqlite,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            if std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1") {
                panic!("{POSTGRES_URL_VAR} is not set: under CI the PostgreSQL tests must run");
            }
            eprintln!("skipping a PostgreSQL test: {POSTGRES_URL_VAR} is not set");
            return None;
        };
        let name = format!("spoke_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = diesel::PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("connect to {admin_url}: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a test database");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        Some(TestDb {
            // No GSSAPI negotiation: a pool still connecting in the
            // background when a test process exits (the outage test's) must
            // not be inside Kerberos's library, which aborts at teardown.
            url: format!("{base}/{name}?gssencmode=disable"),
            backend: Backend::Postgres,
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// PostgreSQL: refuses new connections to this database and ends the
    /// open ones, as a stopped or unreachable server would look to a pool.
    pub fn cut_off(&self) {
        self.admin(&[
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
        ]);
    }

    /// PostgreSQL: accepts connections again after [`TestDb::cut_off`].
    pub fn restore(&self) {
        self.admin(&["ALTER DATABASE {name} ALLOW_CONNECTIONS true"]);
    }

    fn admin(&self, statements: &[&str]) {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else {
            panic!("only a PostgreSQL database can be cut off");
        };
        let mut admin = diesel::PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("connect to {admin_url}: {e}"));
        for statement in statements {
            let sql = statement.replace("{name}", name);
            admin
                .batch_execute(&sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }

    /// A pool on this database. A request waits up to 10 s for a
    /// connection, not production's 1 s: the tests share a busy machine.
    pub fn open(&self, max_connections: u32) -> Database {
        self.open_with(PoolOptions::new(max_connections))
    }

    /// A pool on this database with `options`, waiting 10 s for a connection.
    pub fn open_with(&self, options: PoolOptions) -> Database {
        let options = PoolOptions {
            checkout_timeout: std::time::Duration::from_secs(10),
            ..options
        };
        Database::connect_with(&self.url, options).expect("open the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup
            && let Ok(mut admin) = diesel::PgConnection::establish(admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Declares one test per backend from a function taking a `&TestDb`:
/// `both_backends!(name_of_test_fn);` makes `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    if let Some(db) = $crate::testing::TestDb::new($crate::Backend::Sqlite) {
                        super::$test(&db);
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $test() {
                    if let Some(db) = $crate::testing::TestDb::new($crate::Backend::Postgres) {
                        super::$test(&db);
                    }
                }
            )*
        }
    };
}

/// Runs raw SQL, for tests that must break or inspect the database.
pub fn execute(conn: &mut crate::DbConnection, sql: &str) {
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

pub use crate::migrations::redo_migrations_from;

/// Records tests build on: a team, a staff user, a client.
pub mod fixtures {
    use spoke_domain::client::{Client, ClientDetailsInput};
    use spoke_domain::ids::{TeamId, UserId};
    use spoke_domain::staff::{Role, Team, User};
    use spoke_domain::values::{Email, ShortText};

    use crate::{DbConnection, clients, now, staff};

    /// Stores a team named `name`.
    pub fn team(conn: &mut DbConnection, name: &str) -> Team {
        let at = now();
        let team = Team {
            id: TeamId::generate(),
            name: ShortText::parse(name).expect("a team name"),
            created_at: at,
            updated_at: at,
            version: 1,
        };
        staff::insert_team(conn, &team).expect("insert team");
        team
    }

    /// Stores an active staff user.
    pub fn user(conn: &mut DbConnection, email: &str, role: Role, team: Option<TeamId>) -> User {
        let at = now();
        let user = User {
            id: UserId::generate(),
            email: Email::parse(email).expect("an email"),
            display_name: ShortText::parse("Pat Example").expect("a name"),
            role,
            team_id: team,
            deleted_at: None,
            created_at: at,
            updated_at: at,
            version: 1,
            token_version: 1,
        };
        staff::insert_user(conn, &user, "$argon2id$fake").expect("insert user");
        user
    }

    /// The details of a client with only a name.
    pub fn details(given: &str, family: &str) -> ClientDetailsInput {
        ClientDetailsInput {
            given_name: given.into(),
            family_name: family.into(),
            preferred_name: None,
            date_of_birth: None,
            gender: None,
            preferred_language: None,
            phone: None,
            email: None,
            address: None,
            medicaid_id: None,
            external_ids: vec![],
            risk_flags: vec![],
        }
    }

    /// Stores a client of `team` with only a name.
    pub fn client(conn: &mut DbConnection, team: TeamId, given: &str, family: &str) -> Client {
        let today = now().date_naive();
        let client = Client::new(
            details(given, family).parse(today).expect("client details"),
            team,
            None,
            now(),
        );
        clients::insert(conn, &client).expect("insert client");
        client
    }
}

/// Brings the planner's statistics up to date after a bulk load, as
/// PostgreSQL's autovacuum would soon after (SQLite keeps none unless asked).
pub fn analyze(database: &Database) -> Result<(), crate::StoreError> {
    if database.backend() == Backend::Postgres {
        database.conn()?.batch_execute("ANALYZE")?;
    }
    Ok(())
}
