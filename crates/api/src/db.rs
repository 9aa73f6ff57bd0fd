//! How a request reaches the database, in one of two shapes:
//!
//! - [`Db::read`]: work on a read-only connection from the readers' pool. On
//!   SQLite it is a deferred transaction that never takes the write lock, so
//!   reads never queue behind writes; on PostgreSQL a read-only session
//!   without `BEGIN`/`COMMIT` (see `spoke_persistence::read_transaction`).
//!   The audit events and disclosures the read gathers are committed
//!   afterwards together with those of other requests (group commit), and
//!   the read answers only once they are.
//! - [`Db::write`]: one transaction in which the change, its audit events and
//!   its disclosures commit together. On SQLite writes take turns on one
//!   in-process queue in arrival order instead of the busy timeout's
//!   sleep-and-retry loop; PostgreSQL runs them side by side.
//!
//! Both hand the work a [`Tx`]: the connection, and the trail of what the
//! work saw and disclosed.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::web;
use prometheus_client::metrics::histogram::Histogram;
use spoke_domain::audit::AuditEvent;
use spoke_domain::change::Change;
use spoke_domain::partner::Disclosure;
use spoke_persistence::referrals::record_disclosures;
use spoke_persistence::{Backend, Database, DbConnection, StoreError, audit};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::metrics::DbMetrics;
use crate::problem::ApiError;

/// What a unit of work leaves in the append-only logs: audit events and
/// disclosures. Stored in the write transaction, or group-committed after a read.
#[derive(Debug, Default)]
pub struct Trail {
    audit: Vec<AuditEvent>,
    disclosures: Vec<Disclosure>,
    /// Clients changed by someone the audit log does not name (a partner).
    touched: Vec<spoke_domain::ids::ClientId>,
    /// Changes for the feed beyond those the audit events record (alerts,
    /// a partner's moves).
    changes: Vec<Change>,
}

impl Trail {
    fn is_empty(&self) -> bool {
        self.audit.is_empty() && self.disclosures.is_empty()
    }

    fn append(&mut self, other: Trail) {
        self.audit.extend(other.audit);
        self.disclosures.extend(other.disclosures);
        self.touched.extend(other.touched);
        self.changes.extend(other.changes);
    }

    /// Stores the trail; the change feed last, as it holds the feed's lock
    /// until the commit (see `persistence::changes::append`).
    fn store(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        audit::record(conn, &self.audit)?;
        record_disclosures(conn, &self.disclosures)?;
        let feed: Vec<Change> = self
            .audit
            .iter()
            .filter_map(Change::of)
            .chain(self.changes.iter().cloned())
            .collect();
        spoke_persistence::changes::append(conn, &feed)
    }
}

/// A unit of work's view of the database: the connection (through `Deref`,
/// so store functions take it as they are) and the trail it leaves.
#[allow(missing_debug_implementations)] // holds a connection
pub struct Tx<'c> {
    conn: &'c mut DbConnection,
    trail: Trail,
}

impl Tx<'_> {
    /// Records that the actor saw or changed a client record.
    pub fn audit(&mut self, event: AuditEvent) {
        self.trail.audit.push(event);
    }

    /// Records that client facts left the agency.
    pub fn disclose(&mut self, disclosure: Disclosure) {
        self.trail.disclosures.push(disclosure);
    }

    /// Adds a change to the feed that no audit event records.
    pub fn record_change(&mut self, change: Change) {
        self.trail.changes.push(change);
    }

    /// Marks `client` as changed by work no audit event records (a
    /// partner's move), so what follows a change (the alerts) sees it.
    pub fn touch_client(&mut self, client: spoke_domain::ids::ClientId) {
        self.trail.touched.push(client);
    }

    /// The clients whose records the work so far changed, each once: those
    /// its audit events name, reads left out.
    pub fn clients_changed(&self) -> Vec<spoke_domain::ids::ClientId> {
        let mut clients: Vec<_> = self
            .trail
            .audit
            .iter()
            .filter(|event| !event.action.is_read())
            .flat_map(|event| event.client_ids.iter().copied().chain(event.client_id))
            .chain(self.trail.touched.iter().copied())
            .collect();
        clients.sort_unstable();
        clients.dedup();
        clients
    }
}

impl Deref for Tx<'_> {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        self.conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        self.conn
    }
}

/// A trail waiting to be group-committed, and who waits for it.
type Pending = (Trail, oneshot::Sender<Result<(), String>>);

/// The most trails one group commit takes.
const GROUP_LIMIT: usize = 512;

/// How long a group commit waits for the trails of reads still running
/// before it commits without them. It waits only while other reads run, so
/// a lone read never waits; under load one commit then serves every read in
/// flight instead of a handful (PostgreSQL's `commit_delay`, by the same
/// reasoning).
const GROUP_WAIT: Duration = Duration::from_micros(500);

/// The database as requests use it. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    database: Database,
    /// SQLite's one writer at a time, served in arrival order.
    writer: Arc<Mutex<()>>,
    /// The group committer, when one runs.
    group: Option<mpsc::UnboundedSender<Pending>>,
    /// Reads that have begun and not yet handed over their trail: each may
    /// bring one to the next group.
    reading: Arc<AtomicUsize>,
    metrics: DbMetrics,
}

/// Counts a read in [`Db::reading`] until it is dropped.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn start(counter: &Arc<AtomicUsize>) -> Running {
        counter.fetch_add(1, Ordering::Relaxed);
        Running(counter.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("database", &self.database)
            .field("group_commit", &self.group.is_some())
            .finish()
    }
}

impl Db {
    /// Wraps `database`. Inside a Tokio runtime a group committer starts on
    /// it, and the checkpointer when the database needs one; elsewhere (a
    /// command-line tool) each read stores its own trail.
    pub fn new(database: Database) -> Db {
        let mut db = Db {
            database,
            writer: Arc::new(Mutex::new(())),
            group: None,
            reading: Arc::new(AtomicUsize::new(0)),
            metrics: DbMetrics::default(),
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (sender, receiver) = mpsc::unbounded_channel();
            runtime.spawn(group_commit(db.clone(), receiver));
            if db.database.needs_checkpoints() {
                runtime.spawn(checkpoints(db.database.clone()));
            }
            db.group = Some(sender);
        }
        db
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// What this database's work counts, for `/metrics`.
    pub fn metrics(&self) -> &DbMetrics {
        &self.metrics
    }

    /// Runs `work` as a read (see the module) off the async executor, then
    /// commits its trail (with other requests') before returning.
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, ApiError> + Send + 'static,
    {
        let running = Running::start(&self.reading);
        let database = self.database.clone();
        let wait = self.metrics.connection_wait.clone();
        let (value, trail) = web::block(move || {
            let asked = Instant::now();
            let mut conn = database.reader()?;
            wait.observe(asked.elapsed().as_secs_f64());
            spoke_persistence::read_transaction(&mut conn, |conn| {
                let mut tx = Tx {
                    conn,
                    trail: Trail::default(),
                };
                let value = work(&mut tx)?;
                Ok::<_, ApiError>((value, tx.trail))
            })
        })
        .await
        .map_err(ApiError::internal)??;
        if trail.is_empty() {
            drop(running);
        } else {
            self.commit_trail(trail, running).await?;
        }
        Ok(value)
    }

    /// Runs `work` in one write transaction off the async executor; its
    /// trail commits with it.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> Result<T, ApiError> + Send + 'static,
    {
        let asked = Instant::now();
        let turn = match self.database.backend() {
            Backend::Sqlite => Some(self.writer.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        let database = self.database.clone();
        let wait = self.metrics.connection_wait.clone();
        web::block(move || {
            // Held until the transaction has ended, whatever happens to the request.
            let _turn = turn;
            write_transaction(&database, (asked, &wait), work)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// [`Db::write`] for the command line: blocks the calling thread, which
    /// must not be inside an async runtime. The same turn on SQLite's
    /// writer, the same transaction, the same trail.
    pub fn write_blocking<T>(
        &self,
        work: impl FnOnce(&mut Tx) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let asked = Instant::now();
        let _turn = match self.database.backend() {
            Backend::Sqlite => Some(self.writer.blocking_lock()),
            Backend::Postgres => None,
        };
        write_transaction(&self.database, (asked, &self.metrics.connection_wait), work)
    }

    async fn commit_trail(&self, trail: Trail, running: Running) -> Result<(), ApiError> {
        let Some(group) = &self.group else {
            drop(running);
            return self.store_trail(trail).await;
        };
        let (done, wait) = oneshot::channel();
        let sent = group.send((trail, done));
        // Handed over: the committer no longer waits for this read.
        drop(running);
        sent.map_err(|_| ApiError::internal("the audit group committer has stopped"))?;
        wait.await
            .map_err(|_| ApiError::internal("the audit group committer has stopped"))?
            .map_err(|cause| ApiError::internal(format!("audit group commit failed: {cause}")))
    }

    async fn store_trail(&self, trail: Trail) -> Result<(), ApiError> {
        self.write(move |tx| {
            tx.trail = trail;
            Ok(())
        })
        .await
    }
}

/// One write transaction: `work`, then its trail, committed together. The
/// wait since `asked` for the connection is observed in `wait`.
fn write_transaction<T>(
    database: &Database,
    (asked, wait): (Instant, &Histogram),
    work: impl FnOnce(&mut Tx) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut conn = database.conn()?;
    wait.observe(asked.elapsed().as_secs_f64());
    spoke_persistence::transaction(&mut conn, |conn| {
        let mut tx = Tx {
            conn,
            trail: Trail::default(),
        };
        let value = work(&mut tx)?;
        tx.trail.store(tx.conn)?;
        Ok(value)
    })
}

/// How often the checkpointer copies SQLite's write-ahead log back.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Copies SQLite's write-ahead log back into the database file every
/// [`CHECKPOINT_EVERY`], beside the writer instead of inside a commit (see
/// `PoolOptions::background_checkpoints`): the fsync that ends a copy delays
/// no request.
async fn checkpoints(database: Database) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let database = database.clone();
        match web::block(move || database.checkpoint()).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "checkpoint failed; trying again"),
            Err(error) => tracing::warn!(%error, "checkpoint did not run; trying again"),
        }
    }
}

/// Commits the trails of reads in groups: whatever arrived while the last
/// group was committing goes in the next one, in one transaction.
async fn group_commit(db: Db, mut pending: mpsc::UnboundedReceiver<Pending>) {
    let db = Db { group: None, ..db };
    while let Some(first) = pending.recv().await {
        let mut group = vec![first];
        let deadline = tokio::time::Instant::now() + GROUP_WAIT;
        loop {
            while group.len() < GROUP_LIMIT {
                match pending.try_recv() {
                    Ok(more) => group.push(more),
                    Err(_) => break,
                }
            }
            // Wait only while some read may still bring a trail.
            if group.len() >= GROUP_LIMIT || db.reading.load(Ordering::Relaxed) == 0 {
                break;
            }
            match tokio::time::timeout_at(deadline, pending.recv()).await {
                Ok(Some(more)) => group.push(more),
                Ok(None) | Err(_) => break,
            }
        }
        db.metrics.audit_group_size.observe(group.len() as f64);
        let mut trail = Trail::default();
        let mut waiting = Vec::with_capacity(group.len());
        for (one, done) in group {
            trail.append(one);
            waiting.push(done);
        }
        let result = db.store_trail(trail).await.map_err(|error| {
            tracing::error!(%error, "audit group commit failed");
            error.to_string()
        });
        for done in waiting {
            let _ = done.send(result.clone());
        }
    }
}
