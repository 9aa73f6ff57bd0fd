//! A real Spoke server for black-box tests: started on a free loopback port
//! over a throwaway database (SQLite or PostgreSQL), spoken to over HTTP.

use std::net::TcpListener;
use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use spoke_api::auth::hash_password;
use spoke_api::server::{ServerSettings, serve};
use spoke_api::usecases::staff::{self as accounts, NewAccount};
use spoke_domain::ids::{TeamId, UserId};
use spoke_domain::staff::{Role, Team};
use spoke_domain::values::ShortText;
use spoke_persistence::testing::TestDb;
use spoke_persistence::{Backend, Database, PoolOptions, staff, transaction};

pub use spoke_persistence::Backend as DbBackend;

/// The signing secret of test servers, so tests can forge tokens.
pub const SECRET: &[u8] = b"spoke-test-secret-0123456789abcdefghij";
pub const ISSUER: &str = "spoke";
pub const AUDIENCE: &str = "spoke-api";
/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running server and its database.
#[allow(missing_debug_implementations)] // holds a server handle and an HTTP agent
pub struct Spoke {
    pub base: String,
    db: TestDb,
    database: Database,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
    agent: ureq::Agent,
}

/// A signed-in test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub team: Option<TeamId>,
    pub token: String,
}

/// Two case managers of team North and a client (Maria Rivera) on the
/// first one's caseload.
#[derive(Debug, Clone)]
pub struct Caseload {
    pub cm: TestUser,
    pub other_cm: TestUser,
    pub client: String,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub body: Value,
}

impl Reply {
    /// The `(field, code)` of every error of a validation problem.
    pub fn error_codes(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .expect("a problem with errors")
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap_or_default().to_owned(),
                    e["code"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// The ids of a page's items, in order.
    pub fn ids(&self) -> Vec<String> {
        self.body["items"]
            .as_array()
            .expect("a page")
            .iter()
            .map(|item| item["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts a problem+json answer with this status.
    #[track_caller]
    pub fn expect_problem(self, status: u16) -> Reply {
        let reply = self.expect(status);
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json"),
            "{}",
            reply.text
        );
        assert_eq!(reply.body["status"], status);
        assert!(reply.body["title"].is_string(), "{}", reply.text);
        assert!(reply.body["type"].is_string(), "{}", reply.text);
        assert!(reply.body["request_id"].is_string(), "{}", reply.text);
        reply
    }

    pub fn etag(&self) -> String {
        self.header("etag").expect("an ETag header").to_owned()
    }
}

/// One request to build and send.
#[allow(missing_debug_implementations)]
pub struct Call<'a> {
    spoke: &'a Spoke,
    method: &'a str,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// Another instance's base URL.
    base: Option<String>,
}

impl Call<'_> {
    pub fn token(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    pub fn as_user(self, user: &TestUser) -> Self {
        self.token(&user.token)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn if_match(self, etag: &str) -> Self {
        self.header("If-Match", etag)
    }

    pub fn json(self, body: impl Serialize) -> Self {
        let bytes = serde_json::to_vec(&body).expect("serialise a test body");
        self.header("Content-Type", "application/json").raw(bytes)
    }

    pub fn raw(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sends to `instance` instead of the first server.
    pub fn on(mut self, instance: &Instance) -> Self {
        self.base = Some(instance.base.clone());
        self
    }

    pub fn send(self) -> Reply {
        let base = self.base.as_deref().unwrap_or(&self.spoke.base);
        let url = format!("{base}{}", self.path);
        let agent = &self.spoke.agent;
        macro_rules! with_headers {
            ($builder:expr) => {{
                let mut builder = $builder;
                for (name, value) in &self.headers {
                    builder = builder.header(name.as_str(), value.as_str());
                }
                builder
            }};
        }
        let body = self.body.clone();
        let result = match (self.method, body) {
            ("GET", _) => with_headers!(agent.get(&url)).call(),
            ("DELETE", _) => with_headers!(agent.delete(&url)).call(),
            ("POST", Some(body)) => with_headers!(agent.post(&url)).send(&body[..]),
            ("POST", None) => with_headers!(agent.post(&url)).send_empty(),
            ("PUT", Some(body)) => with_headers!(agent.put(&url)).send(&body[..]),
            ("PUT", None) => with_headers!(agent.put(&url)).send_empty(),
            ("PATCH", Some(body)) => with_headers!(agent.patch(&url)).send(&body[..]),
            ("PATCH", None) => with_headers!(agent.patch(&url)).send_empty(),
            (method, _) => panic!("unsupported test method {method}"),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{} {url}: {e}", self.method));
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    value.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let status = response.status().as_u16();
        declared(self.method, &self.path, status);
        Reply {
            status,
            headers,
            text,
            body,
        }
    }
}

/// Every answer any test gets must be one its operation declares: the whole
/// suite, which drives every problem path it knows, checks the contract's
/// list of statuses. Paths the contract does not have (404, 405) are left
/// to the tests that ask for them.
#[track_caller]
fn declared(method: &str, path: &str, status: u16) {
    struct Operation {
        pattern: actix_web::dev::ResourceDef,
        specific: usize,
        method: String,
        statuses: Vec<String>,
    }
    static OPERATIONS: std::sync::LazyLock<Vec<Operation>> = std::sync::LazyLock::new(|| {
        let spec: Value = serde_json::from_str(&spoke_api::server::openapi_json())
            .expect("the generated contract is JSON");
        let mut all = Vec::new();
        for (path, item) in spec["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("operations") {
                all.push(Operation {
                    pattern: actix_web::dev::ResourceDef::new(path.as_str()),
                    specific: path.matches('{').count(),
                    method: method.to_ascii_uppercase(),
                    statuses: operation["responses"]
                        .as_object()
                        .map(|r| r.keys().cloned().collect())
                        .unwrap_or_default(),
                });
            }
        }
        all
    });
    let path = path.split('?').next().unwrap_or_default();
    let Some(operation) = OPERATIONS
        .iter()
        .filter(|o| o.pattern.is_match(path))
        .min_by_key(|o| o.specific)
        .and_then(|best| {
            OPERATIONS
                .iter()
                .find(|o| o.pattern.pattern() == best.pattern.pattern() && o.method == method)
        })
    else {
        return;
    };
    let status = status.to_string();
    assert!(
        operation.statuses.contains(&status) || operation.statuses.iter().any(|s| s == "default"),
        "{method} {path} answered {status}, which its operation does not declare (it declares {:?})",
        operation.statuses
    );
}

impl Spoke {
    /// A server over a fresh database, or `None` when the backend is not
    /// available outside CI (see `TestDb`).
    pub fn start(backend: Backend) -> Option<Spoke> {
        Self::start_with(backend, |_| {})
    }

    /// Like [`Spoke::start`], with settings changed by `configure`.
    pub fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut ServerSettings),
    ) -> Option<Spoke> {
        let db = TestDb::new(backend)?;
        let database = server_pool(&db);
        spoke_api::server::prepare_database(&database).expect("prepare the test database");
        let (base, handle, thread) = launch(&database, configure);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Some(Spoke {
            base,
            db,
            database,
            handle,
            thread: Some(thread),
            agent,
        })
    }

    /// Stops the server as an operator would (graceful shutdown) and starts
    /// a new one over the same database, on a new port.
    pub fn restart(&mut self) {
        self.stop(true);
        let (base, handle, thread) = launch(&self.database, |_| {});
        self.base = base;
        self.handle = handle;
        self.thread = Some(thread);
    }

    fn stop(&mut self, graceful: bool) {
        stop(&self.handle, self.thread.take(), graceful);
    }

    /// Another instance of the server on the same database, with its own
    /// pool and its own webhook worker, as a second instance behind a load
    /// balancer would be. It stops when dropped.
    pub fn another_instance(&self) -> Instance {
        self.instance_on(server_pool(&self.db))
    }

    /// Another instance on the same database whose clock is stopped at
    /// `at`: the same agency on a later day, for what time changes.
    pub fn instance_at(&self, at: &str) -> Instance {
        let at: chrono::DateTime<chrono::Utc> = at.parse().expect("a moment in RFC 3339");
        let (base, handle, thread) = launch(&server_pool(&self.db), |settings| {
            settings.fixed_now = Some(at);
        });
        Instance {
            base,
            handle,
            thread: Some(thread),
        }
    }

    /// Another instance over `database`, a pool on this server's database
    /// opened as the test needs (production's checkout timeout, say).
    pub fn instance_on(&self, database: Database) -> Instance {
        let (base, handle, thread) = launch(&database, |_| {});
        Instance {
            base,
            handle,
            thread: Some(thread),
        }
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// The server's database, for setting up and for checking what was stored.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Delivers every webhook due now through a worker of the test's own, as
    /// `spoke worker` would, and waits for it: how many attempts it made.
    pub fn drain_outbox(&self) -> usize {
        let database = self.database.clone();
        actix_web::rt::System::new().block_on(async move {
            let settings = spoke_api::webhooks::WorkerSettings {
                loopback: spoke_domain::egress::Loopback::Allowed,
                ..spoke_api::webhooks::WorkerSettings::default()
            };
            let clock = spoke_api::context::Clock::new(chrono_tz::Tz::UTC);
            spoke_api::webhooks::Worker::new(spoke_api::db::Db::new(database), clock, settings)
                .drain()
                .await
                .expect("drain the outbox")
        })
    }

    /// Sweeps the alerts as the worker would, with the clock stopped at
    /// `at` (in UTC, the agency's zone in these tests), and waits for it.
    pub fn sweep_alerts(&self, at: &str) -> spoke_api::usecases::alerts::Swept {
        let database = self.database.clone();
        let at: chrono::DateTime<chrono::Utc> = at.parse().expect("a moment in RFC 3339");
        actix_web::rt::System::new().block_on(async move {
            let clock = spoke_api::context::Clock::fixed(chrono_tz::Tz::UTC, at);
            spoke_api::usecases::alerts::sweep(&spoke_api::db::Db::new(database), clock, |_| {})
                .await
                .expect("sweep the alerts")
        })
    }

    /// The database under the server, to break it (`TestDb::cut_off`).
    pub fn test_db(&self) -> &TestDb {
        &self.db
    }

    pub fn call(&self, method: &'static str, path: &str) -> Call<'_> {
        Call {
            spoke: self,
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
            base: None,
        }
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.call("GET", path)
    }

    pub fn post(&self, path: &str) -> Call<'_> {
        self.call("POST", path)
    }

    pub fn patch(&self, path: &str) -> Call<'_> {
        self.call("PATCH", path)
    }

    pub fn put(&self, path: &str) -> Call<'_> {
        self.call("PUT", path)
    }

    pub fn delete(&self, path: &str) -> Call<'_> {
        self.call("DELETE", path)
    }

    /// A team, stored directly.
    pub fn team(&self, name: &str) -> TeamId {
        let now = spoke_persistence::now();
        let team = Team {
            id: TeamId::generate(),
            name: ShortText::parse(name).expect("a team name"),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut conn = self.database.conn().expect("a connection");
        staff::insert_team(&mut conn, &team).expect("store the team");
        team.id
    }

    /// A user with [`PASSWORD`], stored directly, with a valid token.
    pub fn user(&self, email: &str, role: Role, team: Option<TeamId>) -> TestUser {
        let (user, password) = NewAccount {
            email: email.to_owned(),
            display_name: "Test User".to_owned(),
            role,
            team_id: team,
            password: PASSWORD.to_owned(),
        }
        .parse(chrono::Utc::now())
        .expect("a valid test account");
        let hash = hash_password(&password).expect("hash");
        let mut conn = self.database.conn().expect("a connection");
        transaction(&mut conn, |conn| accounts::insert(conn, &user, &hash))
            .expect("store the user");
        TestUser {
            id: user.id,
            email: user.email.to_string(),
            role,
            team,
            token: token(&user.id.to_string(), 15 * 60, ISSUER, AUDIENCE, SECRET),
        }
    }

    /// A [`Caseload`], the client created with `extra` fields by its case manager.
    pub fn caseload(&self, extra: Value) -> Caseload {
        let team = self.team("North");
        let cm = self.user("cm@example.org", Role::CaseManager, Some(team));
        let other_cm = self.user("cm2@example.org", Role::CaseManager, Some(team));
        let mut body = client_body("Maria", "Rivera");
        if let Some(fields) = extra.as_object() {
            for (k, v) in fields {
                body[k] = v.clone();
            }
        }
        let client = self
            .post("/v1/clients")
            .as_user(&cm)
            .json(body)
            .send()
            .expect(201)
            .body["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Caseload {
            cm,
            other_cm,
            client,
        }
    }

    pub fn admin(&self) -> TestUser {
        self.user(
            &format!("admin-{}@example.org", uuid::Uuid::now_v7().simple()),
            Role::Admin,
            None,
        )
    }
}

impl Drop for Spoke {
    fn drop(&mut self) {
        self.stop(false);
    }
}

/// A second server over a [`Spoke`]'s database.
#[allow(missing_debug_implementations)] // holds a server handle
pub struct Instance {
    pub base: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        stop(&self.handle, self.thread.take(), false);
    }
}

fn stop(handle: &actix_web::dev::ServerHandle, thread: Option<JoinHandle<()>>, graceful: bool) {
    let handle = handle.clone();
    let _ = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(handle.stop(graceful));
    })
    .join();
    if let Some(thread) = thread {
        let _ = thread.join();
    }
}

/// A pool as `spoke serve` opens it: SQLite's log copied back in the
/// background, not by commits.
fn server_pool(db: &TestDb) -> Database {
    db.open_with(PoolOptions {
        background_checkpoints: true,
        ..PoolOptions::new(8)
    })
}

/// Serves `database` on a fresh loopback port in its own thread and
/// actix system: (base URL, handle, thread).
fn launch(
    database: &Database,
    configure: impl FnOnce(&mut ServerSettings),
) -> (String, actix_web::dev::ServerHandle, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    let mut settings = ServerSettings {
        database: database.clone(),
        jwt_secret: SECRET.to_vec(),
        jwt_issuer: ISSUER.to_owned(),
        jwt_audience: AUDIENCE.to_owned(),
        token_lifetime: chrono::Duration::minutes(15),
        workers: Some(2),
        timezone: chrono_tz::Tz::UTC,
        fixed_now: None,
        plan_approval_required: false,
        discharge_approval_required: false,
        contact_rules: spoke_domain::contact::ContactRules::default(),
        billing_payer: "medicaid".to_owned(),
        // Retries in tens of milliseconds, so a test sees a day's schedule in a moment.
        webhooks: spoke_api::webhooks::WorkerSettings {
            backoff_unit: std::time::Duration::from_millis(20),
            poll: std::time::Duration::from_millis(25),
            timeout: std::time::Duration::from_secs(5),
            // The tests' receivers listen on 127.0.0.1.
            loopback: spoke_domain::egress::Loopback::Allowed,
            ..spoke_api::webhooks::WorkerSettings::default()
        },
        run_worker: true,
        client_address_header: None,
        metrics_token: None,
        upkeep: spoke_api::maintenance::Upkeep::default(),
    };
    configure(&mut settings);
    let (sender, receiver) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = serve(&settings, listener).expect("start the server");
            sender
                .send(server.handle())
                .expect("hand over the server handle");
            let _ = server.await;
        });
    });
    let handle = receiver.recv().expect("the server started");
    (base, handle, thread)
}

/// A token signed like the server's, with chosen lifetime, issuer, audience
/// and secret, to prove each is checked.
pub fn token(
    sub: &str,
    lifetime_seconds: i64,
    issuer: &str,
    audience: &str,
    secret: &[u8],
) -> String {
    let now = Utc::now().timestamp();
    let claims = serde_json::json!({
        "sub": sub,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime_seconds,
        "jti": uuid::Uuid::now_v7().to_string(),
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("sign a test token")
}

/// A minimal valid client body.
pub fn client_body(given: &str, family: &str) -> Value {
    serde_json::json!({"given_name": given, "family_name": family})
}

/// Declares one test per backend from a function taking a `&Spoke`.
#[macro_export]
macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    if let Some(spoke) = $crate::Spoke::start($crate::DbBackend::Sqlite) {
                        super::$test(&spoke);
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $test() {
                    if let Some(spoke) = $crate::Spoke::start($crate::DbBackend::Postgres) {
                        super::$test(&spoke);
                    }
                }
            )*
        }
    };
}

/// Polls `done` until it holds, failing after 30 seconds.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}
