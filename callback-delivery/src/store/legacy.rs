//! Files and databases written by this crate's pre-release schema, kept by
//! a migration runner of its own (`schema_migrations`,
//! `callback_schema_migrations`) before the tables moved to
//! `sqlx::migrate!`: their rows are carried over when the store opens them.
//!
//! SQLite's pre-release tables were named `deliveries` and `attempts`: they
//! are renamed aside before the migrations run, and their rows copied into
//! the new tables after. PostgreSQL's had the new names already, with
//! 32-bit integers and no destination: they are brought to the new shape
//! where they are, and the first migration is recorded as applied.

#[cfg(feature = "postgres")]
use sqlx::postgres::PgConnection;
#[cfg(feature = "sqlite")]
use sqlx::sqlite::SqliteConnection;
#[cfg(feature = "postgres")]
use sqlx::Acquire;
use sqlx::Connection;

use super::StoreError;
use crate::delivery::destination_of;

#[cfg(feature = "sqlite")]
/// Whether `table` exists in the SQLite file and has every column of
/// `columns`.
async fn sqlite_has(
    conn: &mut SqliteConnection,
    table: &str,
    columns: &[&str],
) -> Result<bool, StoreError> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?1)")
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
    Ok(!names.is_empty() && columns.iter().all(|c| names.iter().any(|n| n == c)))
}

#[cfg(feature = "sqlite")]
/// The columns that mark the pre-release `deliveries` table as this crate's.
const LEGACY_DELIVERY_COLUMNS: [&str; 4] = ["webhook_id", "lease", "lease_owner", "lease_until"];

#[cfg(feature = "sqlite")]
/// Renames the pre-release tables aside, if the file has them.
pub(super) async fn sqlite_set_aside(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    if !sqlite_has(conn, "schema_migrations", &["version"]).await?
        || !sqlite_has(conn, "deliveries", &LEGACY_DELIVERY_COLUMNS).await?
    {
        return Ok(());
    }
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::Executor::execute(
        &mut *tx,
        sqlx::raw_sql(
            "ALTER TABLE deliveries RENAME TO legacy_deliveries;
         ALTER TABLE attempts RENAME TO legacy_attempts;",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(feature = "sqlite")]
/// Copies the rows of the renamed pre-release tables into the new ones,
/// then drops the old tables, in one transaction.
pub(super) async fn sqlite_import(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    if !sqlite_has(conn, "legacy_deliveries", &LEGACY_DELIVERY_COLUMNS).await? {
        return Ok(());
    }
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::Executor::execute(
        &mut *tx,
        sqlx::raw_sql(
            "INSERT INTO callback_deliveries
             (id, webhook_id, callback, method, url, destination, body, status, attempts,
              last_error, last_status, created_at, next_attempt_at, finished_at, lease,
              lease_owner, lease_until)
         SELECT id, webhook_id, callback, method, url, '', body, status, attempts,
                last_error, last_status, created_at, next_attempt_at, finished_at, lease,
                lease_owner, lease_until
         FROM legacy_deliveries;
         INSERT INTO callback_attempts
             (id, delivery_id, started_at, duration_ms, status, error, response_body)
         SELECT id, delivery_id, started_at, duration_ms, status, error, response_body
         FROM legacy_attempts;",
        ),
    )
    .await?;
    fill_destinations_sqlite(&mut tx).await?;
    sqlx::Executor::execute(
        &mut *tx,
        sqlx::raw_sql(
            "DROP TABLE legacy_attempts;
         DROP TABLE legacy_deliveries;
         DROP TABLE schema_migrations;",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(feature = "sqlite")]
async fn fill_destinations_sqlite(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, url FROM callback_deliveries WHERE destination = ''")
            .fetch_all(&mut *conn)
            .await?;
    for (id, url) in rows {
        sqlx::query("UPDATE callback_deliveries SET destination = ?1 WHERE id = ?2")
            .bind(destination_of(&url))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(feature = "postgres")]
/// The key of the advisory lock that serialized the pre-release
/// migrations (the bytes of `cb_migr`); the upgrade takes it too.
const PG_LEGACY_LOCK: i64 = 0x0063_625f_6d69_6772;

#[cfg(feature = "postgres")]
/// Brings a database of the pre-release schema to the shape of migration
/// 1, in one transaction, and records migration 1 as applied, so that the
/// migrator goes on from there. Does nothing on a database without the
/// pre-release migrations table, or one already upgraded.
pub(super) async fn postgres_upgrade(
    conn: &mut PgConnection,
    migrator: &sqlx::migrate::Migrator,
) -> Result<(), StoreError> {
    let mut tx = Connection::begin(conn).await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PG_LEGACY_LOCK)
        .execute(&mut *tx)
        .await?;
    let legacy: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('callback_schema_migrations')::text")
            .fetch_one(&mut *tx)
            .await?;
    if legacy.is_none() {
        return Ok(());
    }
    sqlx::Executor::execute(&mut *tx, sqlx::raw_sql("ALTER TABLE callback_deliveries
             ADD COLUMN destination TEXT NOT NULL DEFAULT '',
             ADD COLUMN trace_context TEXT,
             DROP CONSTRAINT callback_deliveries_status_check,
             ADD CONSTRAINT callback_deliveries_status_check CHECK (status IN
                 ('pending', 'delivered', 'failed', 'refused', 'gone', 'cancelled')),
             ALTER COLUMN id SET GENERATED BY DEFAULT,
             ALTER COLUMN attempts TYPE BIGINT,
             ALTER COLUMN last_status TYPE BIGINT;
         ALTER TABLE callback_attempts
             ALTER COLUMN id SET GENERATED BY DEFAULT,
             ALTER COLUMN status TYPE BIGINT;
         DROP INDEX callback_deliveries_due;
         CREATE INDEX callback_deliveries_due ON callback_deliveries (destination, next_attempt_at, id)
             WHERE status = 'pending';"))
    .await?;
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, url FROM callback_deliveries WHERE destination = ''")
            .fetch_all(&mut *tx)
            .await?;
    for (id, url) in rows {
        sqlx::query("UPDATE callback_deliveries SET destination = $1 WHERE id = $2")
            .bind(destination_of(&url))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::Executor::execute(
        &mut *tx,
        sqlx::raw_sql(
            "ALTER TABLE callback_deliveries ALTER COLUMN destination DROP DEFAULT;
         DROP TABLE callback_schema_migrations;",
        ),
    )
    .await?;
    let Some(first) = migrator.iter().find(|m| m.version == 1) else {
        return Err(StoreError::corrupt("migration 1 is missing"));
    };
    {
        use sqlx::migrate::Migrate;
        let conn = tx.acquire().await?;
        conn.ensure_migrations_table()
            .await
            .map_err(|e| sqlx::Error::Migrate(Box::new(e)))?;
    }
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES ($1, $2, TRUE, $3, 0)",
    )
    .bind(first.version)
    .bind(&*first.description)
    .bind(&*first.checksum)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
