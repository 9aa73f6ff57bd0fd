//! Migrations are embedded in the binary, one tree per backend with the same
//! migration names in both.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::conn::DbConnection;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The migration folders, relative to the workspace root.
pub const MIGRATION_TREES: [&str; 2] = ["migrations/sqlite", "migrations/postgres"];

/// An arbitrary constant: the PostgreSQL advisory lock that serialises
/// migrations when several API instances start at once.
const MIGRATION_LOCK: i64 = 0x0053_706f_6b65;

/// Applies every pending migration and returns the names of those applied.
pub fn run_migrations(
    conn: &mut DbConnection,
) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    let applied = match conn {
        DbConnection::Sqlite(inner) => inner.run_pending_migrations(SQLITE)?,
        DbConnection::Postgres(inner) => {
            inner.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let result = inner.run_pending_migrations(POSTGRES).map(|versions| {
                versions
                    .into_iter()
                    .map(|v| v.as_owned())
                    .collect::<Vec<_>>()
            });
            inner.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            result?
        }
    };
    Ok(applied
        .into_iter()
        .map(|version| version.to_string())
        .collect())
}

/// Reverts every migration back to and including `name` (a migration
/// folder's name, such as `2026-11-27-000003_service_places`) and applies
/// them again: a test that an `up.sql` rebuilds, from the data already
/// stored, what the code derives.
#[cfg(feature = "test-support")]
pub fn redo_migrations_from(
    conn: &mut DbConnection,
    name: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let version: String = name
        .split('_')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    loop {
        let reverted = match conn {
            DbConnection::Sqlite(inner) => inner.revert_last_migration(SQLITE)?.as_owned(),
            DbConnection::Postgres(inner) => inner.revert_last_migration(POSTGRES)?.as_owned(),
        };
        if reverted.to_string() == version {
            break;
        }
    }
    run_migrations(conn)?;
    Ok(())
}
