//! The shared store: PostgreSQL, for several app instances draining one
//! queue.
//!
//! See [`PostgresStore`] for what it promises.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::Row;

use super::{BoxFuture, Claimed, ListFilter, Next, Outcome, Store, StoreError};
use crate::delivery::{
    from_unix_millis, new_webhook_id, unix_millis, Attempt, Delivery, DeliveryId, NewDelivery,
    Status,
};

/// The notification channel on which queued deliveries are announced.
pub const NOTIFY_CHANNEL: &str = "callback_deliveries";

/// How many connections [`PostgresStore::connect`] opens at most.
const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// How long an operation waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// [`Store::list`] returns at most this many deliveries.
const LIST_CAP: usize = 1000;

/// [`Store::list`] returns this many deliveries when the filter's limit is 0.
const LIST_DEFAULT: usize = 100;

/// The key of the advisory lock that serializes migrations (the bytes of
/// `cb_migr`).
const MIGRATION_LOCK: i64 = 0x0063_625f_6d69_6772;

/// The schema's migrations, in order: `(version, description, SQL)`. Never
/// edit one that has shipped; add the next.
const MIGRATIONS: &[(i64, &str, &str)] = &[(1, "deliveries and attempts", MIGRATION_1)];

/// The first schema: deliveries, their attempts, and their indexes:
/// - `callback_deliveries_due`, pending rows only, by due time: claims
///   walk it in order and stop after their limit, however long the history;
/// - `callback_deliveries_by_status`, finished rows only, by state and id:
///   lists one final state newest first. Leaving pending rows out keeps the
///   planner from claiming through it (and sorting every pending row) when
///   its statistics are stale; pending rows are listed through the primary
///   key or the due index;
/// - `callback_deliveries_finished`, finished rows only, by finish time:
///   pruning walks it;
/// - `callback_attempts_by_delivery`: reads a delivery's log, and serves
///   the cascade when a delivery is pruned.
const MIGRATION_1: &str = "
CREATE TABLE callback_deliveries (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT,
    finished_at     BIGINT,
    lease           BIGINT  NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     BIGINT,
    CHECK ((status = 'pending') = (finished_at IS NULL))
);
CREATE INDEX callback_deliveries_due ON callback_deliveries (next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX callback_deliveries_by_status ON callback_deliveries (status, id)
    WHERE status <> 'pending';
CREATE INDEX callback_deliveries_finished ON callback_deliveries (finished_at)
    WHERE finished_at IS NOT NULL;
CREATE TABLE callback_attempts (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id     BIGINT  NOT NULL REFERENCES callback_deliveries (id) ON DELETE CASCADE,
    started_at      BIGINT  NOT NULL,
    duration_ms     BIGINT  NOT NULL,
    status          INTEGER,
    error           TEXT,
    response_body   TEXT
);
CREATE INDEX callback_attempts_by_delivery ON callback_attempts (delivery_id, id);
";

/// The table that records which migrations were applied.
const CREATE_MIGRATIONS_TABLE: &str = "
CREATE TABLE IF NOT EXISTS callback_schema_migrations (
    version     BIGINT  PRIMARY KEY,
    description TEXT    NOT NULL,
    applied_at  BIGINT  NOT NULL
)";

const LOCK_MIGRATIONS: &str = "SELECT pg_advisory_xact_lock($1)";

const MAX_APPLIED_VERSION: &str = "SELECT MAX(version) FROM callback_schema_migrations";

const IS_APPLIED: &str = "SELECT COUNT(*) FROM callback_schema_migrations WHERE version = $1";

const MARK_APPLIED: &str =
    "INSERT INTO callback_schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)";

/// Queues deliveries, one per element of the arrays, in their order:
/// $1 webhook ids, $2 callbacks, $3 methods, $4 urls, $5 bodies,
/// $6 statuses, $7 last errors (the refusals), $8 next attempt times,
/// $9 finish times; $10 now.
const INSERT_DELIVERIES: &str = "
INSERT INTO callback_deliveries
    (webhook_id, callback, method, url, body, status, last_error,
     created_at, next_attempt_at, finished_at)
SELECT webhook_id, callback, method, url, body, status, last_error,
       $10, next_attempt_at, finished_at
FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::int8[], $9::int8[])
    WITH ORDINALITY
    AS n(webhook_id, callback, method, url, body, status, last_error,
         next_attempt_at, finished_at, ord)
ORDER BY ord
RETURNING id, webhook_id";

/// Announces queued deliveries (delivered on commit).
const NOTIFY: &str = "SELECT pg_notify($1, '')";

/// Leases due deliveries: $1 now, $2 limit, $3 owner, $4 lease deadline.
/// A lease is live strictly before its deadline.
const CLAIM: &str = "
WITH due AS (
    SELECT id FROM callback_deliveries
    WHERE status = 'pending'
      AND next_attempt_at <= $1
      AND (lease_until IS NULL OR lease_until <= $1)
    ORDER BY next_attempt_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE callback_deliveries d
SET lease = d.lease + 1, lease_owner = $3, lease_until = $4
FROM due
WHERE d.id = due.id
RETURNING d.id, d.lease, d.webhook_id, d.callback, d.method, d.url, d.body, d.attempts,
          d.created_at, d.next_attempt_at";

/// Applies a batch of outcomes (distinct deliveries) in one statement,
/// each only if its lease is current and the delivery still pending, and
/// logs the attempts of those that applied. "Pending" is tested as
/// `finished_at IS NULL` (the table's check makes them one): a test of
/// `status` would lead the planner, when its statistics are stale, to walk
/// every pending row through the due index for each outcome instead of
/// finding each by its id. Parameters: $1 ids, $2 leases, $3 new
/// statuses, $4 next attempt times, $5 finish times, $6 whether an attempt
/// was made, then the attempts' $7 start times, $8 durations, $9 HTTP
/// statuses, $10 errors, $11 response bodies. Returns how many applied.
const RECORD_BATCH: &str = "
WITH outcome AS (
    SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::int8[], $5::int8[],
                         $6::bool[], $7::int8[], $8::int8[], $9::int4[], $10::text[],
                         $11::text[])
        AS o(id, lease, status, next_attempt_at, finished_at,
             tried, started_at, duration_ms, http_status, error, response_body)
),
applied AS (
    UPDATE callback_deliveries d
    SET status = o.status,
        next_attempt_at = o.next_attempt_at,
        finished_at = o.finished_at,
        attempts = d.attempts + CASE WHEN o.tried THEN 1 ELSE 0 END,
        last_error = CASE WHEN o.tried THEN o.error ELSE d.last_error END,
        last_status = CASE WHEN o.tried THEN o.http_status ELSE d.last_status END,
        lease_owner = NULL,
        lease_until = NULL
    FROM outcome o
    WHERE d.id = o.id AND d.lease = o.lease AND d.finished_at IS NULL
    RETURNING d.id
),
logged AS (
    INSERT INTO callback_attempts
        (delivery_id, started_at, duration_ms, status, error, response_body)
    SELECT o.id, o.started_at, o.duration_ms, o.http_status, o.error, o.response_body
    FROM outcome o JOIN applied a ON a.id = o.id
    WHERE o.tried
)
SELECT COUNT(*) FROM applied";

/// Applies one outcome if its lease is current and the delivery still
/// pending (see [`RECORD_BATCH`]): $1 id, $2 lease, $3 new
/// status, $4 next attempt at, $5 finished at, $6 whether an attempt was
/// made, $7 its error, $8 its HTTP status.
const RECORD_ONE: &str = "
UPDATE callback_deliveries
SET status = $3,
    next_attempt_at = $4,
    finished_at = $5,
    attempts = attempts + CASE WHEN $6 THEN 1 ELSE 0 END,
    last_error = CASE WHEN $6 THEN $7 ELSE last_error END,
    last_status = CASE WHEN $6 THEN $8 ELSE last_status END,
    lease_owner = NULL,
    lease_until = NULL
WHERE id = $1 AND lease = $2 AND finished_at IS NULL";

/// Appends an attempt to a delivery's log.
const INSERT_ATTEMPT: &str = "
INSERT INTO callback_attempts (delivery_id, started_at, duration_ms, status, error, response_body)
VALUES ($1, $2, $3, $4, $5, $6)";

/// The columns a [`Delivery`] is read from.
const DELIVERY_COLUMNS: &str = "id, webhook_id, callback, method, url, status, attempts, \
     last_error, last_status, created_at, next_attempt_at, finished_at";

const GET_ATTEMPTS: &str = "
SELECT started_at, duration_ms, status, error, response_body
FROM callback_attempts WHERE delivery_id = $1 ORDER BY id";

/// When the next pending delivery becomes claimable: each row counts at the
/// later of its due time and its lease deadline.
const NEXT_DUE: &str = "
SELECT MIN(GREATEST(next_attempt_at, lease_until))
FROM callback_deliveries WHERE status = 'pending'";

/// Deletes at most $2 finished deliveries (and, by cascade, their
/// attempts) that finished before $1, oldest first, skipping rows another
/// pruner holds. Only finished deliveries have a finish time (the table's
/// check), and the condition names no state, which keeps the planner on
/// the index of finish times.
const PRUNE: &str = "
DELETE FROM callback_deliveries
WHERE id IN (
    SELECT id FROM callback_deliveries
    WHERE finished_at < $1
    ORDER BY finished_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)";

/// A [`Store`] in a PostgreSQL database, shared by every app instance that
/// connects to it. Cheap to clone: clones share one pool of connections.
///
/// # Schema
///
/// The store keeps its rows in three tables, named so as not to clash with
/// the app's own: `callback_deliveries`, `callback_attempts` and
/// `callback_schema_migrations`. They live in the first schema of the
/// connection's `search_path` (usually `public`); set `search_path` in the
/// [`PgConnectOptions`] given to [`PostgresStore::connect_with`] to put
/// them elsewhere. [`PostgresStore::connect`] creates and migrates them:
/// each versioned migration runs once, in its own
/// transaction, under a transaction-scoped advisory lock, so that instances
/// starting at once apply it once; a schema migrated by a newer version of
/// this crate is refused. Times are milliseconds since the Unix epoch, in
/// `BIGINT` columns, read from the app's clock as in the SQLite store, so
/// the instances' clocks should agree to well within a lease.
///
/// # Claims and leases
///
/// A claim is one statement: a `SELECT … FOR UPDATE SKIP LOCKED` picks due
/// rows that no concurrent claim holds, and an `UPDATE` leases them (owner,
/// deadline, and one more on the lease number). Two claims never lease the
/// same row while a lease is live: a row another claim leased meanwhile is
/// either locked (and skipped) or rechecked against its new lease. Sending
/// happens outside any transaction; a record applies only with the lease
/// number it was claimed under, as in the SQLite store.
///
/// Claims read the partial index of pending rows (`WHERE status =
/// 'pending'`), so that a history of millions of finished deliveries does
/// not slow them down.
///
/// # The outbox
///
/// [`PostgresStore::enqueue_in`] queues deliveries on the app's own
/// connection, typically in the transaction that writes the rows the
/// callbacks announce: they are queued if and only if it commits. It also
/// sends a notification on the [`NOTIFY_CHANNEL`] channel, which PostgreSQL
/// delivers on commit; [`PostgresStore::listen`] waits for them, so a
/// dispatcher can start at once instead of at its next poll. The channel
/// is the database's, not the schema's: stores in other schemas of the
/// same database wake each other's dispatchers needlessly, but harmlessly.
///
/// # Retention
///
/// [`Store::prune`] deletes finished deliveries in batches, one short
/// transaction each, walking a partial index of finished rows; their
/// attempts go with them (`ON DELETE CASCADE`). Instances pruning at once
/// skip each other's rows.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`)
    /// with up to 10 connections, and brings its tables up to date.
    ///
    /// # Errors
    ///
    /// When the URL is malformed, the database cannot be reached, or its
    /// tables are at a newer version than this crate knows.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(error)?;
        PostgresStore::connect_with(options, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Connects with `options` (e.g. with a `search_path` to keep the
    /// tables in a schema of their own) and up to `max_connections`
    /// connections (at least one), and brings the tables up to date.
    ///
    /// # Errors
    ///
    /// When the database cannot be reached or its tables are at a newer
    /// version than this crate knows.
    pub async fn connect_with(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(error)?;
        migrate(&pool).await?;
        Ok(PostgresStore { pool })
    }

    /// The pool of connections, e.g. to begin the app's transaction for
    /// [`PostgresStore::enqueue_in`].
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the store's connections, waiting for queries in flight. The
    /// store fails every operation afterwards.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Queues deliveries on `conn`, typically inside the app's own
    /// transaction (pass `&mut *tx`): they are queued if and only if it
    /// commits, together with the app's rows. Each gets a fresh
    /// `webhook-id` and is due now; one with [`NewDelivery::refused`] set
    /// is stored as [`Status::Refused`]. Returns their ids in order.
    ///
    /// Waiting dispatchers are notified on the [`NOTIFY_CHANNEL`] channel when the
    /// transaction commits (see [`PostgresStore::listen`]).
    ///
    /// # Errors
    ///
    /// When a statement fails; a transaction is then aborted, and the
    /// caller rolls it back. Text holding a NUL character is refused:
    /// PostgreSQL cannot store it (a JSON body never holds one).
    pub async fn enqueue_in(
        conn: &mut PgConnection,
        deliveries: &[NewDelivery],
    ) -> Result<Vec<DeliveryId>, StoreError> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        for d in deliveries {
            let fields = [&d.callback, &d.method, &d.url, &d.body];
            if fields
                .into_iter()
                .chain(&d.refused)
                .any(|s| s.contains('\0'))
            {
                return Err(error("a delivery's text holds a NUL character"));
            }
        }
        let now = unix_millis(SystemTime::now());
        let webhook_ids: Vec<String> = deliveries.iter().map(|_| new_webhook_id()).collect();
        let mut statuses = Vec::with_capacity(deliveries.len());
        let mut next_attempt_at = Vec::with_capacity(deliveries.len());
        let mut finished_at = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            let (status, next, finished) = match d.refused {
                None => (Status::Pending, Some(now), None),
                Some(_) => (Status::Refused, None, Some(now)),
            };
            statuses.push(status.as_str());
            next_attempt_at.push(next);
            finished_at.push(finished);
        }
        let texts = |field: fn(&NewDelivery) -> &str| -> Vec<&str> {
            deliveries.iter().map(field).collect()
        };
        let rows = sqlx::query(INSERT_DELIVERIES)
            .bind(&webhook_ids)
            .bind(texts(|d| &d.callback))
            .bind(texts(|d| &d.method))
            .bind(texts(|d| &d.url))
            .bind(texts(|d| &d.body))
            .bind(&statuses)
            .bind(
                deliveries
                    .iter()
                    .map(|d| d.refused.as_deref())
                    .collect::<Vec<_>>(),
            )
            .bind(&next_attempt_at)
            .bind(&finished_at)
            .bind(now)
            .fetch_all(&mut *conn)
            .await
            .map_err(error)?;
        // RETURNING promises no order: match the rows by their webhook ids.
        let mut by_webhook_id = HashMap::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id").map_err(error)?;
            let webhook_id: String = row.try_get("webhook_id").map_err(error)?;
            by_webhook_id.insert(webhook_id, DeliveryId(id));
        }
        let ids = webhook_ids
            .iter()
            .map(|w| {
                by_webhook_id
                    .get(w)
                    .copied()
                    .ok_or_else(|| error("a queued delivery came back without its id"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if deliveries.iter().any(|d| d.refused.is_none()) {
            sqlx::query(NOTIFY)
                .bind(NOTIFY_CHANNEL)
                .execute(&mut *conn)
                .await
                .map_err(error)?;
        }
        Ok(ids)
    }

    /// Listens on the [`NOTIFY_CHANNEL`] channel, on a connection of its own, for
    /// deliveries queued by any instance. Notifications sent while the
    /// connection is down are lost, so keep polling too (as the dispatcher
    /// does).
    ///
    /// ```no_run
    /// # async fn run(
    /// #     store: callback_delivery::store::PostgresStore,
    /// #     outbox: callback_delivery::dispatcher::Outbox,
    /// # ) -> Result<(), callback_delivery::store::StoreError> {
    /// let mut wakeups = store.listen().await?;
    /// tokio::spawn(async move {
    ///     while wakeups.recv().await.is_ok() {
    ///         outbox.wake();
    ///     }
    /// });
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// When the connection cannot be opened or the `LISTEN` fails.
    pub async fn listen(&self) -> Result<Wakeups, StoreError> {
        let options = (*self.pool.connect_options()).clone();
        // A pool of one, kept open: the listener reconnects through it.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(error)?;
        let mut listener = PgListener::connect_with(&pool).await.map_err(error)?;
        listener.listen(NOTIFY_CHANNEL).await.map_err(error)?;
        Ok(Wakeups { listener })
    }

    async fn enqueue_all(&self, deliveries: &[NewDelivery]) -> Result<Vec<DeliveryId>, StoreError> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await.map_err(error)?;
        let ids = PostgresStore::enqueue_in(&mut tx, deliveries).await?;
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
            .bind(without_nul(owner))
            .bind(until)
            .fetch_all(&self.pool)
            .await
            .map_err(error)?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                let get = |column| row.try_get::<i64, _>(column).map_err(error);
                let text = |column| row.try_get::<String, _>(column).map_err(error);
                let due = get("next_attempt_at")?;
                let attempts: i32 = row.try_get("attempts").map_err(error)?;
                let claimed = Claimed {
                    id: DeliveryId(get("id")?),
                    lease: get("lease")?,
                    webhook_id: text("webhook_id")?,
                    callback: text("callback")?,
                    method: text("method")?,
                    url: text("url")?,
                    body: text("body")?,
                    attempts: count(attempts)?,
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
        check_outcomes(outcomes)?;
        if outcomes.is_empty() {
            return Ok(0);
        }
        let mut seen = std::collections::HashSet::with_capacity(outcomes.len());
        if outcomes.iter().all(|o| seen.insert(o.id)) {
            self.record_batch(outcomes).await
        } else {
            // The same delivery twice in a batch: apply them one after the
            // other, as the other stores do.
            self.record_per_row(outcomes).await
        }
    }

    /// Records outcomes of distinct deliveries in one statement.
    async fn record_batch(&self, outcomes: &[Outcome]) -> Result<usize, StoreError> {
        let now = unix_millis(SystemTime::now());
        let n = outcomes.len();
        let mut ids = Vec::with_capacity(n);
        let mut leases = Vec::with_capacity(n);
        let mut statuses = Vec::with_capacity(n);
        let mut next_attempt_at = Vec::with_capacity(n);
        let mut finished_at = Vec::with_capacity(n);
        let mut tried = Vec::with_capacity(n);
        let mut started_at = Vec::with_capacity(n);
        let mut duration_ms = Vec::with_capacity(n);
        let mut http_status = Vec::with_capacity(n);
        let mut errors = Vec::with_capacity(n);
        let mut bodies = Vec::with_capacity(n);
        for outcome in outcomes {
            let (status, next, finished) = next_state(outcome.next, now);
            ids.push(outcome.id.0);
            leases.push(outcome.lease);
            statuses.push(status.as_str());
            next_attempt_at.push(next);
            finished_at.push(finished);
            let attempt = outcome.attempt.as_ref();
            tried.push(attempt.is_some());
            started_at.push(attempt.map_or(0, |a| a.started_at));
            duration_ms.push(attempt.map_or(0, |a| a.duration_ms));
            http_status.push(attempt.and_then(|a| a.status).map(i32::from));
            errors.push(attempt.and_then(|a| a.error.as_deref()).map(without_nul));
            bodies.push(
                attempt
                    .and_then(|a| a.response_body.as_deref())
                    .map(without_nul),
            );
        }
        let applied: i64 = sqlx::query(RECORD_BATCH)
            .bind(ids)
            .bind(leases)
            .bind(statuses)
            .bind(next_attempt_at)
            .bind(finished_at)
            .bind(tried)
            .bind(started_at)
            .bind(duration_ms)
            .bind(http_status)
            .bind(errors)
            .bind(bodies)
            .fetch_one(&self.pool)
            .await
            .map_err(error)?
            .try_get(0)
            .map_err(error)?;
        usize::try_from(applied).map_err(error)
    }

    /// Records outcomes one statement each, in one transaction.
    pub(crate) async fn record_per_row(&self, outcomes: &[Outcome]) -> Result<usize, StoreError> {
        check_outcomes(outcomes)?;
        let now = unix_millis(SystemTime::now());
        let mut tx = self.pool.begin().await.map_err(error)?;
        let mut applied = 0;
        for outcome in outcomes {
            let (status, next, finished) = next_state(outcome.next, now);
            let attempt = outcome.attempt.as_ref();
            let done = sqlx::query(RECORD_ONE)
                .bind(outcome.id.0)
                .bind(outcome.lease)
                .bind(status.as_str())
                .bind(next)
                .bind(finished)
                .bind(attempt.is_some())
                .bind(attempt.and_then(|a| a.error.as_deref()).map(without_nul))
                .bind(attempt.and_then(|a| a.status).map(i32::from))
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
                    .bind(attempt.status.map(i32::from))
                    .bind(attempt.error.as_deref().map(without_nul))
                    .bind(attempt.response_body.as_deref().map(without_nul))
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
        // Only the conditions in use appear, so that the plan walks the
        // primary key (or the status index) newest first. The state is
        // written out, not bound (it is one of five fixed names), so that
        // even a generic plan knows whether the partial indexes apply.
        let mut sql = format!("SELECT {DELIVERY_COLUMNS} FROM callback_deliveries WHERE TRUE");
        if let Some(status) = filter.status {
            sql.push_str(&format!(" AND status = '{}'", status.as_str()));
        }
        let mut next = 1;
        if filter.before.is_some() {
            sql.push_str(&format!(" AND id < ${next}"));
            next += 1;
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${next}"));
        let mut query = sqlx::query(&sql);
        if let Some(before) = filter.before {
            query = query.bind(before.0);
        }
        let rows = query
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(error)?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn get_one(
        &self,
        id: DeliveryId,
    ) -> Result<Option<(Delivery, Vec<Attempt>)>, StoreError> {
        // One repeatable-read transaction: the delivery and its log from
        // one snapshot.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(error)?;
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM callback_deliveries WHERE id = $1");
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
            .fetch_one(&self.pool)
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
            // Each statement is a transaction of its own: locks last one
            // batch.
            let deleted = sqlx::query(PRUNE)
                .bind(cutoff)
                .bind(batch)
                .execute(&self.pool)
                .await
                .map_err(error)?
                .rows_affected();
            pruned += deleted;
            if deleted < u64::try_from(batch).unwrap_or(u64::MAX) {
                return Ok(pruned);
            }
        }
    }
}

impl Store for PostgresStore {
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

/// Notifications of queued deliveries, from [`PostgresStore::listen`].
#[derive(Debug)]
pub struct Wakeups {
    listener: PgListener,
}

impl Wakeups {
    /// Waits for the next notification. A lost connection is reopened
    /// (what was announced meanwhile is missed).
    ///
    /// # Errors
    ///
    /// When the connection cannot be reopened.
    pub async fn recv(&mut self) -> Result<(), StoreError> {
        self.listener.recv().await.map(drop).map_err(error)
    }
}

/// Applies the migrations the database lacks, each in its own transaction
/// under the migration lock, so that instances starting at once apply each
/// migration once.
async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let known = MIGRATIONS.last().map_or(0, |(version, _, _)| *version);
    for (version, description, sql) in MIGRATIONS {
        let mut tx = pool.begin().await.map_err(error)?;
        sqlx::query(LOCK_MIGRATIONS)
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(error)?;
        sqlx::query(CREATE_MIGRATIONS_TABLE)
            .execute(&mut *tx)
            .await
            .map_err(error)?;
        let applied: Option<i64> = sqlx::query(MAX_APPLIED_VERSION)
            .fetch_one(&mut *tx)
            .await
            .map_err(error)?
            .try_get(0)
            .map_err(error)?;
        if let Some(applied) = applied.filter(|v| *v > known) {
            return Err(error(format!(
                "the database's schema is at version {applied}, newer than this crate's {known}"
            )));
        }
        let done: i64 = sqlx::query(IS_APPLIED)
            .bind(*version)
            .fetch_one(&mut *tx)
            .await
            .map_err(error)?
            .try_get(0)
            .map_err(error)?;
        if done == 0 {
            // Through `Executor` rather than `RawSql::execute`, whose future
            // the compiler cannot prove `Send`.
            sqlx::Executor::execute(&mut *tx, sqlx::raw_sql(sql))
                .await
                .map_err(error)?;
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

/// Refuses an outcome that would leave a delivery pending without a retry.
fn check_outcomes(outcomes: &[Outcome]) -> Result<(), StoreError> {
    if outcomes
        .iter()
        .any(|o| o.next == Next::Finish(Status::Pending))
    {
        return Err(error("an outcome cannot finish a delivery as pending"));
    }
    Ok(())
}

/// The state, next attempt time and finish time an outcome leads to.
fn next_state(next: Next, now: i64) -> (Status, Option<i64>, Option<i64>) {
    match next {
        Next::Retry(at) => (Status::Pending, Some(unix_millis(at)), None),
        Next::Finish(status) => (status, None, Some(now)),
    }
}

/// `text` with every NUL character (which PostgreSQL's text cannot hold)
/// replaced by U+FFFD: a receiver's answer may hold one.
fn without_nul(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

fn delivery_from_row(row: &PgRow) -> Result<Delivery, StoreError> {
    let status: String = row.try_get("status").map_err(error)?;
    let last_status: Option<i32> = row.try_get("last_status").map_err(error)?;
    let attempts: i32 = row.try_get("attempts").map_err(error)?;
    Ok(Delivery {
        id: DeliveryId(row.try_get("id").map_err(error)?),
        webhook_id: row.try_get("webhook_id").map_err(error)?,
        callback: row.try_get("callback").map_err(error)?,
        method: row.try_get("method").map_err(error)?,
        url: row.try_get("url").map_err(error)?,
        status: Status::parse(&status)
            .ok_or_else(|| error(format!("unknown delivery status {status:?}")))?,
        attempts: count(attempts)?,
        last_error: row.try_get("last_error").map_err(error)?,
        last_status: last_status.map(http_status).transpose()?,
        created_at: row.try_get("created_at").map_err(error)?,
        next_attempt_at: row.try_get("next_attempt_at").map_err(error)?,
        finished_at: row.try_get("finished_at").map_err(error)?,
    })
}

fn attempt_from_row(row: &PgRow) -> Result<Attempt, StoreError> {
    let status: Option<i32> = row.try_get("status").map_err(error)?;
    Ok(Attempt {
        started_at: row.try_get("started_at").map_err(error)?,
        duration_ms: row.try_get("duration_ms").map_err(error)?,
        status: status.map(http_status).transpose()?,
        error: row.try_get("error").map_err(error)?,
        response_body: row.try_get("response_body").map_err(error)?,
    })
}

fn http_status(code: i32) -> Result<u16, StoreError> {
    u16::try_from(code).map_err(|_| error(format!("HTTP status {code} out of range")))
}

fn count(n: i32) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| error(format!("attempt count {n} out of range")))
}

/// A duration in whole milliseconds, saturating.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn error(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError(e.into())
}
