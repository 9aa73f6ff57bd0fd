//! Connections: the backend is chosen from the URL scheme, never guessed.

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;

use crate::StoreError;

/// A connection to either backend; every query in this crate runs on it.
#[allow(missing_debug_implementations)] // diesel connections are not Debug
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` and `postgresql://` mean PostgreSQL; anything else is a
    /// SQLite path, optionally written as `sqlite://path`.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// How long a SQLite connection waits for a lock before it gives up.
const BUSY_TIMEOUT: &str = "PRAGMA busy_timeout = 10000;";

/// Opens connections for the pool.
#[derive(Debug)]
pub struct Manager {
    url: String,
    backend: Backend,
    /// Reader connections refuse writes: `query_only` on SQLite, a
    /// read-only session (`default_transaction_read_only`) on PostgreSQL.
    read_only: bool,
    /// SQLite: see [`PoolOptions::background_checkpoints`].
    background_checkpoints: bool,
}

/// How a [`Database`] opens and hands out connections.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// Connections per pool (writes, and reads).
    pub max_connections: u32,
    /// How long work waits for a connection before the database counts as
    /// unavailable ([`StoreError::Unavailable`]).
    pub checkout_timeout: Duration,
    /// SQLite: a commit does not copy the write-ahead log back into the
    /// database file when the log passes 1,000 pages (auto-checkpoint off);
    /// the owner calls [`Database::checkpoint`] regularly instead. A copy
    /// ends in an fsync, which on a shared disk can take tens of
    /// milliseconds: done by a commit, every request waiting for that commit
    /// waits for it too. For a server; a command-line run keeps SQLite's
    /// default.
    pub background_checkpoints: bool,
}

impl PoolOptions {
    pub fn new(max_connections: u32) -> PoolOptions {
        PoolOptions {
            max_connections,
            checkout_timeout: Database::CHECKOUT_TIMEOUT,
            background_checkpoints: false,
        }
    }
}

/// What one checkpoint did: frames in the write-ahead log, and how many of
/// them are now copied into the database file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName)]
pub struct Checkpointed {
    #[diesel(sql_type = diesel::sql_types::BigInt, column_name = log)]
    pub log_frames: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt, column_name = checkpointed)]
    pub copied_frames: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connection(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&self.url)?;
                if self.read_only {
                    conn.batch_execute("SET default_transaction_read_only = on")?;
                }
                Ok(DbConnection::Postgres(conn))
            }
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(sqlite_path(&self.url))?;
                // WAL lets readers run beside the one writer; the busy timeout
                // makes writers queue instead of failing at once.
                // Reads go through memory-mapped pages and a 16 MiB cache
                // instead of a read() per page.
                conn.batch_execute(BUSY_TIMEOUT)?;
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA mmap_size = 268435456;
                     PRAGMA cache_size = -16384;",
                )?;
                if self.background_checkpoints {
                    conn.batch_execute("PRAGMA wal_autocheckpoint = 0;")?;
                }
                if self.read_only {
                    conn.batch_execute("PRAGMA query_only = ON;")?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1").map_err(Into::into)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        // A connection left inside a transaction (a panic mid-transaction)
        // must never go back to the pool.
        std::thread::panicking()
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// A pool of connections to one database, and a second pool of read-only
/// connections for reads: on SQLite a read never waits for a writer; on
/// PostgreSQL a read needs no transaction of its own to be read-only.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    readers: r2d2::Pool<Manager>,
    backend: Backend,
    background_checkpoints: bool,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// How long opening a database waits for its first connection.
    pub const STARTUP_WAIT: Duration = Duration::from_secs(10);

    /// How long a request waits for a connection by default before the
    /// database counts as unavailable.
    pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(1);

    /// Opens a pool of up to `max_connections` connections to `url`, waiting
    /// at most [`Self::CHECKOUT_TIMEOUT`] for one. Fails when the database
    /// cannot be reached.
    pub fn connect(url: &str, max_connections: u32) -> Result<Database, StoreError> {
        Self::connect_with(url, PoolOptions::new(max_connections))
    }

    /// Like [`Self::connect`], with `options`: past the checkout timeout
    /// (every connection busy, or the database gone) work fails at once with
    /// [`StoreError::Unavailable`] instead of queueing, and the pool connects
    /// again when the database is back.
    pub fn connect_with(url: &str, options: PoolOptions) -> Result<Database, StoreError> {
        let PoolOptions {
            max_connections,
            checkout_timeout,
            background_checkpoints,
        } = options;
        let backend = Backend::of_url(url);
        // Connections are opened in the background; the first one is waited
        // for at start-up (longer than a request would wait), so a database
        // that cannot be reached fails here and a slow start does not.
        let pool = |read_only: bool, min_idle: Option<u32>| -> Result<_, StoreError> {
            let pool = r2d2::Pool::builder()
                .max_size(max_connections)
                .min_idle(min_idle)
                .connection_timeout(checkout_timeout)
                .build_unchecked(Manager {
                    url: url.to_owned(),
                    backend,
                    read_only,
                    background_checkpoints,
                });
            drop(pool.get_timeout(Self::STARTUP_WAIT.max(checkout_timeout))?);
            Ok(pool)
        };
        let (pool, readers) = match backend {
            Backend::Postgres => (pool(false, None)?, pool(true, None)?),
            // Writes take turns (see the api crate), so one connection is
            // kept open for them; the readers are many.
            Backend::Sqlite => (pool(false, Some(1))?, pool(true, None)?),
        };
        Ok(Database {
            pool,
            readers,
            backend,
            background_checkpoints: background_checkpoints && backend == Backend::Sqlite,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection from the pool. Blocking: call it off the async executor.
    pub fn conn(&self) -> Result<PooledConnection, StoreError> {
        Ok(self.pool.get()?)
    }

    /// A read-only connection for reads: on SQLite one that never takes the
    /// write lock. Blocking.
    pub fn reader(&self) -> Result<PooledConnection, StoreError> {
        Ok(self.readers.get()?)
    }

    /// Each pool's connections: (name, in use, idle). `main`, and on SQLite
    /// `readers`.
    pub fn pool_state(&self) -> Vec<(&'static str, u32, u32)> {
        let state = |name, pool: &r2d2::Pool<Manager>| {
            let s = pool.state();
            (name, s.connections - s.idle_connections, s.idle_connections)
        };
        vec![state("main", &self.pool), state("readers", &self.readers)]
    }

    /// Whether the owner must call [`Self::checkpoint`] (SQLite opened with
    /// [`PoolOptions::background_checkpoints`]).
    pub fn needs_checkpoints(&self) -> bool {
        self.background_checkpoints
    }

    /// Copies what the write-ahead log holds back into the database file
    /// without waiting for readers or the writer (SQLite's PASSIVE
    /// checkpoint); frames a reader still needs stay for the next one.
    /// Nothing to do on PostgreSQL. Blocking.
    ///
    /// The log file keeps the size it grew to and is written again from its
    /// start; SQLite removes it when the last connection closes. Cutting it
    /// back while serving (`journal_size_limit`, or a TRUNCATE checkpoint)
    /// stalled the commit that did it for 170-300 ms on a 600 MB log.
    pub fn checkpoint(&self) -> Result<Checkpointed, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(Checkpointed::default());
        }
        let mut conn = self.conn()?;
        let DbConnection::Sqlite(sqlite) = &mut *conn else {
            return Ok(Checkpointed::default());
        };
        Ok(diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(sqlite)?)
    }

    /// Whether the database answers a trivial query.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.conn()?.batch_execute("SELECT 1")?;
        Ok(())
    }
}

/// Runs `work` in one transaction: everything commits together or nothing
/// does. On SQLite the transaction takes the write lock up front
/// (`BEGIN IMMEDIATE`) so two writers queue on the busy timeout instead of
/// one failing when it upgrades a read lock.
pub fn transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    run_in_transaction(conn, "BEGIN IMMEDIATE", "BEGIN", work)
}

/// Runs `work` as a read. On SQLite it is one deferred transaction (one
/// consistent view, no write lock). On PostgreSQL the statements run on their
/// own: at READ COMMITTED each statement sees the data as of its start
/// whether or not a transaction surrounds it, so `BEGIN` and `COMMIT` would
/// be two round trips that change nothing; a reader connection
/// ([`Database::reader`]) is a read-only session all the same.
pub fn read_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    match conn {
        DbConnection::Postgres(_) => work(conn),
        DbConnection::Sqlite(_) => {
            run_in_transaction(conn, "BEGIN DEFERRED", "BEGIN READ ONLY", work)
        }
    }
}

fn run_in_transaction<T, E>(
    conn: &mut DbConnection,
    sqlite_begin: &str,
    postgres_begin: &str,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    let begun = match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, sqlite_begin)
        }
        DbConnection::Postgres(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, postgres_begin)
        }
    };
    begun.map_err(StoreError::from)?;
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn).map_err(StoreError::from)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(StoreError::from(rollback).into()),
        },
    }
}
