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

/// Opens connections for the pool.
#[derive(Debug)]
pub struct Manager {
    url: String,
    backend: Backend,
    /// SQLite readers: the connection refuses writes (`query_only`).
    read_only: bool,
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
            Backend::Postgres => Ok(DbConnection::Postgres(diesel::PgConnection::establish(
                &self.url,
            )?)),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(sqlite_path(&self.url))?;
                // WAL lets readers run beside the one writer; the busy timeout
                // makes writers queue instead of failing at once.
                // Reads go through memory-mapped pages and a 16 MiB cache
                // instead of a read() per page.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA mmap_size = 268435456;
                     PRAGMA cache_size = -16384;",
                )?;
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

/// A pool of connections to one database. On SQLite a second pool holds
/// read-only connections for reads, so a read never waits for a writer.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    readers: Option<r2d2::Pool<Manager>>,
    backend: Backend,
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
        Self::connect_with(url, max_connections, Self::CHECKOUT_TIMEOUT)
    }

    /// Like [`Self::connect`], waiting at most `checkout_timeout` for a
    /// connection: past it (every connection busy, or the database gone)
    /// the work fails at once with [`StoreError::Unavailable`] instead of
    /// queueing, and the pool connects again when the database is back.
    pub fn connect_with(
        url: &str,
        max_connections: u32,
        checkout_timeout: Duration,
    ) -> Result<Database, StoreError> {
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
                });
            drop(pool.get_timeout(Self::STARTUP_WAIT.max(checkout_timeout))?);
            Ok(pool)
        };
        match backend {
            Backend::Postgres => Ok(Database {
                pool: pool(false, None)?,
                readers: None,
                backend,
            }),
            // Writes take turns (see the api crate), so one connection is
            // kept open for them; the readers are many.
            Backend::Sqlite => Ok(Database {
                pool: pool(false, Some(1))?,
                readers: Some(pool(true, None)?),
                backend,
            }),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection from the pool. Blocking: call it off the async executor.
    pub fn conn(&self) -> Result<PooledConnection, StoreError> {
        Ok(self.pool.get()?)
    }

    /// A connection for reads: on SQLite a read-only one that never takes
    /// the write lock; on PostgreSQL one from the pool. Blocking.
    pub fn reader(&self) -> Result<PooledConnection, StoreError> {
        Ok(self.readers.as_ref().unwrap_or(&self.pool).get()?)
    }

    /// Each pool's connections: (name, in use, idle). `main`, and on SQLite
    /// `readers`.
    pub fn pool_state(&self) -> Vec<(&'static str, u32, u32)> {
        let state = |name, pool: &r2d2::Pool<Manager>| {
            let s = pool.state();
            (name, s.connections - s.idle_connections, s.idle_connections)
        };
        let mut all = vec![state("main", &self.pool)];
        if let Some(readers) = &self.readers {
            all.push(state("readers", readers));
        }
        all
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

/// Runs `work` in one read-only transaction: one consistent view of the
/// data. On SQLite it is deferred and takes no write lock; on PostgreSQL it
/// is `READ ONLY`.
pub fn read_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    run_in_transaction(conn, "BEGIN DEFERRED", "BEGIN READ ONLY", work)
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
