//! The embedded, durable store: one SQLite file.

use std::path::Path;
use std::time::{Duration, SystemTime};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::Row;

use super::{BoxFuture, Claimed, ListFilter, Next, Outcome, Store, StoreError};
use crate::delivery::{
    from_unix_millis, new_webhook_id, unix_millis, Attempt, Delivery, DeliveryId, NewDelivery,
    Status,
};

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many connections serve reads.
const READERS: u32 = 4;

/// [`Store::list`] returns at most this many deliveries.
const LIST_CAP: usize = 1000;

/// [`Store::list`] returns this many deliveries when the filter's limit is 0.
const LIST_DEFAULT: usize = 100;

/// The schema's migrations, in order: `(version, description, SQL)`. Never
/// edit one that has shipped; add the next.
pub(super) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "deliveries and attempts", MIGRATION_1),
    (2, "finished deliveries, to prune", MIGRATION_2),
];

/// The first schema: deliveries, their attempts, and the indexes that claim
/// them (`deliveries_due`), list one state newest first without sorting it
/// whole (`deliveries_by_status`) and read a delivery's log.
const MIGRATION_1: &str = "
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT    NOT NULL UNIQUE,
    callback        TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN
                        ('pending', 'delivered', 'failed', 'refused', 'gone')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_status     INTEGER,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER,
    finished_at     INTEGER,
    lease           INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     INTEGER
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_by_status ON deliveries (status, id);
CREATE TABLE attempts (
    id              INTEGER PRIMARY KEY,
    delivery_id     INTEGER NOT NULL REFERENCES deliveries (id),
    started_at      INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    status          INTEGER,
    error           TEXT,
    response_body   TEXT
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, id);
";

/// An index of finished deliveries by finish time, which pruning walks.
const MIGRATION_2: &str = "
CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE finished_at IS NOT NULL;
";

/// The table that records which migrations were applied.
pub(super) const CREATE_MIGRATIONS_TABLE: &str = "
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    description TEXT    NOT NULL,
    applied_at  INTEGER NOT NULL
)";

const MAX_APPLIED_VERSION: &str = "SELECT MAX(version) FROM schema_migrations";

const IS_APPLIED: &str = "SELECT COUNT(*) FROM schema_migrations WHERE version = ?1";

const MARK_APPLIED: &str =
    "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?1, ?2, ?3)";

/// Queues one delivery: ?1 webhook id, ?2 callback, ?3 method, ?4 url,
/// ?5 body, ?6 status, ?7 last error (the refusal), ?8 created at,
/// ?9 next attempt at, ?10 finished at.
const INSERT_DELIVERY: &str = "
INSERT INTO deliveries
    (webhook_id, callback, method, url, body, status, last_error,
     created_at, next_attempt_at, finished_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
RETURNING id";

/// Leases due deliveries: ?1 now, ?2 limit, ?3 owner, ?4 lease deadline.
/// A lease is live strictly before its deadline.
const CLAIM: &str = "
UPDATE deliveries
SET lease = lease + 1, lease_owner = ?3, lease_until = ?4
WHERE id IN (
    SELECT id FROM deliveries
    WHERE status = 'pending'
      AND next_attempt_at <= ?1
      AND (lease_until IS NULL OR lease_until <= ?1)
    ORDER BY next_attempt_at, id
    LIMIT ?2
)
RETURNING id, lease, webhook_id, callback, method, url, body, attempts, created_at,
          next_attempt_at";

/// Applies one outcome if its lease is current: ?1 id, ?2 lease, ?3 new
/// status, ?4 next attempt at, ?5 finished at, ?6 1 if an attempt was made
/// else 0, ?7 its error, ?8 its HTTP status.
const RECORD: &str = "
UPDATE deliveries
SET status = ?3,
    next_attempt_at = ?4,
    finished_at = ?5,
    attempts = attempts + ?6,
    last_error = CASE WHEN ?6 = 1 THEN ?7 ELSE last_error END,
    last_status = CASE WHEN ?6 = 1 THEN ?8 ELSE last_status END,
    lease_owner = NULL,
    lease_until = NULL
WHERE id = ?1 AND lease = ?2 AND status = 'pending'";

/// Appends an attempt to a delivery's log.
const INSERT_ATTEMPT: &str = "
INSERT INTO attempts (delivery_id, started_at, duration_ms, status, error, response_body)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// The columns a [`Delivery`] is read from.
const DELIVERY_COLUMNS: &str = "id, webhook_id, callback, method, url, status, attempts, \
     last_error, last_status, created_at, next_attempt_at, finished_at";

const GET_ATTEMPTS: &str = "
SELECT started_at, duration_ms, status, error, response_body
FROM attempts WHERE delivery_id = ?1 ORDER BY id";

/// When the next pending delivery becomes claimable: a leased one becomes
/// claimable when its lease runs out, so each row counts at the later of
/// its due time and its lease deadline.
const NEXT_DUE: &str = "
SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, next_attempt_at)))
FROM deliveries WHERE status = 'pending'";

/// Deletes the attempts of at most ?2 finished deliveries that finished
/// before ?1, oldest first; [`PRUNE_DELIVERIES`] then deletes the same
/// deliveries (in the same transaction).
const PRUNE_ATTEMPTS: &str = "
DELETE FROM attempts WHERE delivery_id IN (
    SELECT id FROM deliveries
    WHERE finished_at < ?1 AND status <> 'pending'
    ORDER BY finished_at, id
    LIMIT ?2
)";

/// Deletes at most ?2 finished deliveries that finished before ?1, oldest
/// first.
const PRUNE_DELIVERIES: &str = "
DELETE FROM deliveries WHERE id IN (
    SELECT id FROM deliveries
    WHERE finished_at < ?1 AND status <> 'pending'
    ORDER BY finished_at, id
    LIMIT ?2
)";

/// A [`Store`] in one SQLite file.
///
/// # Durability
///
/// The file is opened in WAL mode with `synchronous = NORMAL`. A commit
/// appends its pages to the write-ahead log with `write(2)` before
/// [`Store::enqueue`] returns; it is not fsynced at each commit but at each
/// checkpoint. That is durable against a crash of the process, even a
/// `SIGKILL`: what was written is in the operating system's cache and
/// reaches the disk without us. It is *not* durable against a power cut or
/// an operating system crash, which may roll back the last commits (the
/// file stays consistent). A crash of the process is what this store
/// promises to survive; `synchronous = FULL` would cost an fsync per commit
/// for the rest.
///
/// # Writes and leases
///
/// Every write goes through one connection (a pool of one), so writers in
/// this process queue in the pool instead of spinning in SQLite's busy
/// handler; reads use a pool of their own and run beside the writer, as WAL
/// allows. `busy_timeout` covers another process opening the same file.
/// Each write that is more than one statement runs in a `BEGIN IMMEDIATE`
/// transaction, which takes the write lock at once.
///
/// A claim is one `UPDATE … WHERE id IN (SELECT … LIMIT ?) RETURNING …`
/// statement: it picks due rows and leases them atomically, so two claims
/// can never lease the same row while a lease is live. Each claim adds one
/// to the row's `lease` column: the lease number, which a record must show
/// to apply.
///
/// # Schema
///
/// The schema is built by versioned migrations (`MIGRATIONS`), recorded in
/// the `schema_migrations` table; each is applied once, in its own
/// transaction, and a file migrated by a newer version of this crate is
/// refused.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// One connection: every write.
    writer: SqlitePool,
    /// Reads, beside the writer.
    readers: SqlitePool,
}

impl SqliteStore {
    /// Opens the store in the file at `path`, creating the file if it is
    /// missing and bringing its schema up to date.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or created, or its schema is newer
    /// than this crate knows.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path.as_ref())
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable against a crash of the process (see the module
            // documentation), not against a power cut.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(error)?;
        migrate(&writer).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options)
            .await
            .map_err(error)?;
        Ok(SqliteStore { writer, readers })
    }

    /// Closes the store's connections, waiting for queries in flight. The
    /// store fails every operation afterwards.
    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }

    async fn enqueue_all(&self, deliveries: &[NewDelivery]) -> Result<Vec<DeliveryId>, StoreError> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let now = unix_millis(SystemTime::now());
        if let [delivery] = deliveries {
            // One row: one statement, committed on its own (the common case
            // of a request handler queuing its callback), without the
            // round trips of BEGIN and COMMIT.
            let id = insert_delivery(delivery, now)
                .fetch_one(&self.writer)
                .await
                .map_err(error)?
                .try_get(0)
                .map_err(error)?;
            return Ok(vec![DeliveryId(id)]);
        }
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error)?;
        let mut ids = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            let id: i64 = insert_delivery(delivery, now)
                .fetch_one(&mut *tx)
                .await
                .map_err(error)?
                .try_get(0)
                .map_err(error)?;
            ids.push(DeliveryId(id));
        }
        tx.commit().await.map_err(error)?;
        Ok(ids)
    }

    async fn claim_due(
        &self,
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Claimed>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = unix_millis(SystemTime::now());
        let until = now.saturating_add(millis(lease));
        let rows = sqlx::query(CLAIM)
            .bind(now)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(owner)
            .bind(until)
            .fetch_all(&self.writer)
            .await
            .map_err(error)?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                let get = |column| row.try_get::<i64, _>(column).map_err(error);
                let text = |column| row.try_get::<String, _>(column).map_err(error);
                let due = get("next_attempt_at")?;
                let claimed = Claimed {
                    id: DeliveryId(get("id")?),
                    lease: get("lease")?,
                    webhook_id: text("webhook_id")?,
                    callback: text("callback")?,
                    method: text("method")?,
                    url: text("url")?,
                    body: text("body")?,
                    attempts: count(get("attempts")?)?,
                    created_at: get("created_at")?,
                };
                Ok((due, claimed))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // RETURNING promises no order.
        claimed.sort_by_key(|(due, c)| (*due, c.id));
        Ok(claimed.into_iter().map(|(_, c)| c).collect())
    }

    async fn record_all(&self, outcomes: &[Outcome]) -> Result<usize, StoreError> {
        if outcomes
            .iter()
            .any(|o| o.next == Next::Finish(Status::Pending))
        {
            return Err(error("an outcome cannot finish a delivery as pending"));
        }
        if outcomes.is_empty() {
            return Ok(0);
        }
        let now = unix_millis(SystemTime::now());
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error)?;
        let mut applied = 0;
        for outcome in outcomes {
            let (status, next_attempt_at, finished_at) = match outcome.next {
                Next::Retry(at) => (Status::Pending, Some(unix_millis(at)), None),
                Next::Finish(status) => (status, None, Some(now)),
            };
            let attempt = outcome.attempt.as_ref();
            let done = sqlx::query(RECORD)
                .bind(outcome.id.0)
                .bind(outcome.lease)
                .bind(status.as_str())
                .bind(next_attempt_at)
                .bind(finished_at)
                .bind(i64::from(attempt.is_some()))
                .bind(attempt.and_then(|a| a.error.as_deref()))
                .bind(attempt.and_then(|a| a.status).map(i64::from))
                .execute(&mut *tx)
                .await
                .map_err(error)?;
            if done.rows_affected() == 0 {
                continue;
            }
            applied += 1;
            if let Some(attempt) = attempt {
                sqlx::query(INSERT_ATTEMPT)
                    .bind(outcome.id.0)
                    .bind(attempt.started_at)
                    .bind(attempt.duration_ms)
                    .bind(attempt.status.map(i64::from))
                    .bind(attempt.error.as_deref())
                    .bind(attempt.response_body.as_deref())
                    .execute(&mut *tx)
                    .await
                    .map_err(error)?;
            }
        }
        tx.commit().await.map_err(error)?;
        Ok(applied)
    }

    async fn list_matching(&self, filter: &ListFilter) -> Result<Vec<Delivery>, StoreError> {
        let limit = match filter.limit {
            0 => LIST_DEFAULT,
            n => n.min(LIST_CAP),
        };
        // Only the conditions in use appear, so that SQLite can use the
        // primary key (and the status index) to walk newest first.
        let mut sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE 1 = 1");
        if filter.status.is_some() {
            sql.push_str(" AND status = ?");
        }
        if filter.before.is_some() {
            sql.push_str(" AND id < ?");
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        let mut query = sqlx::query(&sql);
        if let Some(status) = filter.status {
            query = query.bind(status.as_str());
        }
        if let Some(before) = filter.before {
            query = query.bind(before.0);
        }
        let rows = query
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.readers)
            .await
            .map_err(error)?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn get_one(
        &self,
        id: DeliveryId,
    ) -> Result<Option<(Delivery, Vec<Attempt>)>, StoreError> {
        // One read transaction: the delivery and its log from one snapshot.
        let mut tx = self.readers.begin().await.map_err(error)?;
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?1");
        let Some(row) = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(error)?
        else {
            return Ok(None);
        };
        let delivery = delivery_from_row(&row)?;
        let attempts = sqlx::query(GET_ATTEMPTS)
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await
            .map_err(error)?
            .iter()
            .map(attempt_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await.map_err(error)?;
        Ok(Some((delivery, attempts)))
    }

    async fn next_due_time(&self) -> Result<Option<SystemTime>, StoreError> {
        let due: Option<i64> = sqlx::query(NEXT_DUE)
            .fetch_one(&self.readers)
            .await
            .map_err(error)?
            .try_get(0)
            .map_err(error)?;
        Ok(due.map(from_unix_millis))
    }

    async fn prune_finished(&self, older_than: Duration, batch: usize) -> Result<u64, StoreError> {
        let cutoff = unix_millis(SystemTime::now()).saturating_sub(millis(older_than));
        let batch = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
        let mut pruned = 0;
        loop {
            // One short write transaction per batch, so that claims and
            // records get the write lock in between.
            let mut tx = self
                .writer
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(error)?;
            sqlx::query(PRUNE_ATTEMPTS)
                .bind(cutoff)
                .bind(batch)
                .execute(&mut *tx)
                .await
                .map_err(error)?;
            let deleted = sqlx::query(PRUNE_DELIVERIES)
                .bind(cutoff)
                .bind(batch)
                .execute(&mut *tx)
                .await
                .map_err(error)?
                .rows_affected();
            tx.commit().await.map_err(error)?;
            pruned += deleted;
            if deleted < u64::try_from(batch).unwrap_or(u64::MAX) {
                return Ok(pruned);
            }
        }
    }
}

impl Store for SqliteStore {
    fn enqueue<'a>(
        &'a self,
        deliveries: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<Vec<DeliveryId>, StoreError>> {
        Box::pin(self.enqueue_all(deliveries))
    }

    fn claim<'a>(
        &'a self,
        owner: &'a str,
        limit: usize,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>> {
        Box::pin(self.claim_due(owner, limit, lease))
    }

    fn record<'a>(&'a self, outcomes: &'a [Outcome]) -> BoxFuture<'a, Result<usize, StoreError>> {
        Box::pin(self.record_all(outcomes))
    }

    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>> {
        Box::pin(self.list_matching(filter))
    }

    fn get(
        &self,
        id: DeliveryId,
    ) -> BoxFuture<'_, Result<Option<(Delivery, Vec<Attempt>)>, StoreError>> {
        Box::pin(self.get_one(id))
    }

    fn next_due(&self) -> BoxFuture<'_, Result<Option<SystemTime>, StoreError>> {
        Box::pin(self.next_due_time())
    }

    fn prune(&self, older_than: Duration, batch: usize) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(self.prune_finished(older_than, batch))
    }
}

/// Applies the migrations the file lacks, each in its own `BEGIN IMMEDIATE`
/// transaction, so that two processes opening a new file at once apply each
/// migration once.
async fn migrate(writer: &SqlitePool) -> Result<(), StoreError> {
    sqlx::query(CREATE_MIGRATIONS_TABLE)
        .execute(writer)
        .await
        .map_err(error)?;
    let known = MIGRATIONS.last().map_or(0, |(version, _, _)| *version);
    let applied: Option<i64> = sqlx::query(MAX_APPLIED_VERSION)
        .fetch_one(writer)
        .await
        .map_err(error)?
        .try_get(0)
        .map_err(error)?;
    if let Some(applied) = applied.filter(|v| *v > known) {
        return Err(error(format!(
            "the file's schema is at version {applied}, newer than this crate's {known}"
        )));
    }
    for (version, description, sql) in MIGRATIONS {
        let mut tx = writer.begin_with("BEGIN IMMEDIATE").await.map_err(error)?;
        let done: i64 = sqlx::query(IS_APPLIED)
            .bind(*version)
            .fetch_one(&mut *tx)
            .await
            .map_err(error)?
            .try_get(0)
            .map_err(error)?;
        if done == 0 {
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(error)?;
            sqlx::query(MARK_APPLIED)
                .bind(*version)
                .bind(*description)
                .bind(unix_millis(SystemTime::now()))
                .execute(&mut *tx)
                .await
                .map_err(error)?;
        }
        tx.commit().await.map_err(error)?;
    }
    Ok(())
}

fn delivery_from_row(row: &SqliteRow) -> Result<Delivery, StoreError> {
    let status: String = row.try_get("status").map_err(error)?;
    let last_status: Option<i64> = row.try_get("last_status").map_err(error)?;
    Ok(Delivery {
        id: DeliveryId(row.try_get("id").map_err(error)?),
        webhook_id: row.try_get("webhook_id").map_err(error)?,
        callback: row.try_get("callback").map_err(error)?,
        method: row.try_get("method").map_err(error)?,
        url: row.try_get("url").map_err(error)?,
        status: Status::parse(&status)
            .ok_or_else(|| error(format!("unknown delivery status {status:?}")))?,
        attempts: count(row.try_get("attempts").map_err(error)?)?,
        last_error: row.try_get("last_error").map_err(error)?,
        last_status: last_status.map(http_status).transpose()?,
        created_at: row.try_get("created_at").map_err(error)?,
        next_attempt_at: row.try_get("next_attempt_at").map_err(error)?,
        finished_at: row.try_get("finished_at").map_err(error)?,
    })
}

fn attempt_from_row(row: &SqliteRow) -> Result<Attempt, StoreError> {
    let status: Option<i64> = row.try_get("status").map_err(error)?;
    Ok(Attempt {
        started_at: row.try_get("started_at").map_err(error)?,
        duration_ms: row.try_get("duration_ms").map_err(error)?,
        status: status.map(http_status).transpose()?,
        error: row.try_get("error").map_err(error)?,
        response_body: row.try_get("response_body").map_err(error)?,
    })
}

fn http_status(code: i64) -> Result<u16, StoreError> {
    u16::try_from(code).map_err(|_| error(format!("HTTP status {code} out of range")))
}

fn count(n: i64) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| error(format!("attempt count {n} out of range")))
}

/// A duration in whole milliseconds, saturating.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The statement that stores one new delivery, due `now` (or refused).
fn insert_delivery(
    delivery: &NewDelivery,
    now: i64,
) -> sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'_>> {
    let (status, next_attempt_at, finished_at) = match delivery.refused {
        None => (Status::Pending, Some(now), None),
        Some(_) => (Status::Refused, None, Some(now)),
    };
    sqlx::query(INSERT_DELIVERY)
        .bind(new_webhook_id())
        .bind(&delivery.callback)
        .bind(&delivery.method)
        .bind(&delivery.url)
        .bind(&delivery.body)
        .bind(status.as_str())
        .bind(delivery.refused.as_deref())
        .bind(now)
        .bind(next_attempt_at)
        .bind(finished_at)
}

fn error(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError(e.into())
}
