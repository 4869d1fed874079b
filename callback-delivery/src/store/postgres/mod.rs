//! The shared store: PostgreSQL, for several app instances draining one
//! queue.
//!
//! See [`PostgresStore`] for what it promises.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions};
use sqlx::{FromRow, Row};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::rows::{
    convert, AttemptRow, ClaimedRow, DeliveryRow, ATTEMPT_COLUMNS, DELIVERY_COLUMNS,
};
use super::{
    check_outcomes, list_sql, millis, next_state, resume_after, sort_claimed, Action, Bind,
    BoxFuture, Change, ClaimRequest, Claimed, Exchange, ListFilter, Outcome, QueueStats,
    StatusCounts, Store, StoreError, Wakeups, CLAIM_WALK,
};
use crate::delivery::{
    destination_of, new_webhook_id, unix_millis, Attempt, Delivery, DeliveryId, NewDelivery, Status,
};

mod committer;
mod sql;

/// The schema's migrations, applied by [`PostgresStore::connect`].
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The notification channel on which queued deliveries are announced.
pub const NOTIFY_CHANNEL: &str = "callback_deliveries";

/// How many connections [`PostgresStore::connect`] opens at most.
const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// How long an operation waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A [`Store`] in a PostgreSQL database, shared by every app instance that
/// connects to it. Cheap to clone: clones share one pool of connections.
///
/// # Schema
///
/// The store keeps its rows in two tables, named so as not to clash with
/// the app's own: `callback_deliveries` and `callback_attempts`, the same
/// tables as the SQLite store's. They live in the first schema of the
/// connection's `search_path` (usually `public`); set `search_path` in the
/// [`PgConnectOptions`] given to [`PostgresStore::connect_with`] to put
/// them elsewhere. [`PostgresStore::connect`] creates and migrates them
/// with the numbered migrations in `migrations/postgres`, applied by
/// `sqlx::migrate!` under its advisory lock (instances starting at once
/// apply each migration once) and recorded in `_sqlx_migrations`; a schema
/// migrated by a newer version of this crate is refused, and one of this
/// crate's pre-release schema is brought up to date in place. Times are
/// milliseconds since the Unix epoch, in `BIGINT` columns, read from the
/// app's clock, so the instances' clocks should agree to well within a
/// lease.
///
/// # Claims, records and leases
///
/// The dispatcher's work is one statement per round ([`Store::exchange`]):
/// it records the outcomes of the attempts that finished and claims the
/// next deliveries, walking the destinations with pending rows and taking
/// a few of each with `FOR UPDATE SKIP LOCKED`, so that instances claiming
/// at once never lease the same row while a lease is live. Sending happens
/// outside any transaction; a record applies only with the lease number it
/// was claimed under, as in the SQLite store.
///
/// # The outbox, and group commit
///
/// [`PostgresStore::enqueue_in`] queues deliveries on the app's own
/// connection, typically in the transaction that writes the rows the
/// callbacks announce: they are queued if and only if it commits.
/// [`Store::enqueue`], for callbacks queued outside the app's
/// transactions, hands them to one task that inserts the deliveries of all
/// the callers waiting at that moment with one statement, its own
/// transaction (one round trip); when it fails, each caller's rows go in
/// alone, so that a caller whose rows fail is answered alone and the
/// others are committed.
///
/// Both notify the [`NOTIFY_CHANNEL`] channel from the inserting
/// statement itself, which PostgreSQL delivers on commit; the store's [`Store::wakeups`] listens to it, so every
/// instance's dispatcher claims at once instead of at its next poll. The
/// channel is the database's, not the schema's: stores in other schemas of
/// the same database wake each other's dispatchers needlessly, but
/// harmlessly.
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
    committer: Arc<Committer>,
}

#[derive(Debug)]
struct Committer {
    requests: mpsc::Sender<committer::Request>,
    task: JoinHandle<()>,
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`)
    /// with up to 10 connections, and brings its tables up to date.
    ///
    /// # Errors
    ///
    /// When the URL is malformed, the database cannot be reached, or its
    /// tables are at a newer version than this crate knows.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
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
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn connect_with(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        let mut conn = pool.acquire().await?;
        super::legacy::postgres_upgrade(&mut conn, &MIGRATOR).await?;
        MIGRATOR
            .run_direct(&mut *conn)
            .await
            .map_err(|e| sqlx::Error::Migrate(Box::new(e)))?;
        drop(conn);
        let (requests, received) = mpsc::channel(committer::QUEUE);
        let task = tokio::spawn(committer::run(pool.clone(), received));
        Ok(PostgresStore {
            pool,
            committer: Arc::new(Committer { requests, task }),
        })
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
    /// Waiting dispatchers are notified on the [`NOTIFY_CHANNEL`] channel
    /// when the transaction commits ([`Store::wakeups`]).
    ///
    /// # Errors
    ///
    /// When a statement fails; a transaction is then aborted, and the
    /// caller rolls it back. Text holding a NUL character is refused
    /// ([`StoreError::Invalid`]): PostgreSQL cannot store it (a JSON body
    /// never holds one).
    pub async fn enqueue_in(
        conn: &mut PgConnection,
        deliveries: &[NewDelivery],
    ) -> Result<Vec<DeliveryId>, StoreError> {
        check_text(deliveries)?;
        let contexts = crate::telemetry::queued(deliveries);
        insert(conn, deliveries.iter().zip(contexts).collect()).await
    }

    /// Listens on the [`NOTIFY_CHANNEL`] channel, on a connection of its
    /// own, for deliveries queued by any instance. The dispatcher does this
    /// itself, through [`Store::wakeups`]. Notifications sent while the
    /// connection is down are lost, so keep polling too (as the dispatcher
    /// does).
    ///
    /// # Errors
    ///
    /// When the connection cannot be opened or the `LISTEN` fails.
    pub async fn listen(&self) -> Result<PgWakeups, StoreError> {
        let options = (*self.pool.connect_options()).clone();
        // A pool of one, kept open: the listener reconnects through it.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        Ok(PgWakeups { listener })
    }

    async fn exchange_now(
        &self,
        outcomes: &[Outcome],
        claim: &ClaimRequest,
    ) -> Result<Exchange, StoreError> {
        check_outcomes(outcomes)?;
        let batches = super::distinct_batches(outcomes);
        let mut recorded = 0;
        let mut last = Exchange::default();
        // Usually one batch: the same delivery twice in one call is
        // applied in order, one statement per run of distinct deliveries;
        // the last statement claims.
        let count = batches.len().max(1);
        for index in 0..count {
            let batch: Vec<&Outcome> = batches.get(index).cloned().unwrap_or_default();
            let nothing = ClaimRequest::nothing();
            let claim = if index + 1 == count { claim } else { &nothing };
            last = self.exchange_statement(&batch, claim, outcomes).await?;
            recorded += last.recorded;
        }
        last.recorded = recorded;
        Ok(last)
    }

    /// One statement: records `outcomes` (distinct deliveries), claims as
    /// `claim` asks, leaving out the deliveries of `all`.
    async fn exchange_statement(
        &self,
        outcomes: &[&Outcome],
        claim: &ClaimRequest,
        all: &[Outcome],
    ) -> Result<Exchange, StoreError> {
        let now = unix_millis(SystemTime::now());
        let mut columns = OutcomeColumns::with_capacity(outcomes.len());
        for outcome in outcomes {
            columns.push(outcome, now);
        }
        let skip: Vec<i64> = all.iter().map(|o| o.id.0).collect();
        let rows = sqlx::query(sql::EXCHANGE)
            .bind(columns.ids)
            .bind(columns.leases)
            .bind(columns.statuses)
            .bind(columns.next_attempt_at)
            .bind(columns.finished_at)
            .bind(columns.tried)
            .bind(columns.started_at)
            .bind(columns.duration_ms)
            .bind(columns.http_status)
            .bind(columns.errors)
            .bind(columns.bodies)
            .bind(claim.after.as_str())
            .bind(i64::try_from(CLAIM_WALK).unwrap_or(i64::MAX))
            .bind(now)
            .bind(i64::try_from(claim.per_destination.max(1)).unwrap_or(i64::MAX))
            .bind(&claim.exclude)
            .bind(i64::try_from(claim.limit).unwrap_or(i64::MAX))
            .bind(without_nul(&claim.owner))
            .bind(now.saturating_add(millis(claim.lease)))
            .bind(skip)
            .fetch_all(&self.pool)
            .await?;
        let mut recorded = 0;
        let mut walked: Vec<String> = Vec::new();
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            recorded = row.try_get::<i64, _>("recorded")?;
            walked = row
                .try_get::<Option<Vec<String>>, _>("walked")?
                .unwrap_or_default();
            if row.try_get::<Option<i64>, _>("id")?.is_some() {
                claimed.push(Claimed::try_from(ClaimedRow::from_row(row)?)?);
            }
        }
        sort_claimed(&mut claimed, &walked);
        let resume = resume_after(&walked, &claimed, claim);
        Ok(Exchange {
            recorded: usize::try_from(recorded).map_err(|e| StoreError::corrupt(e.to_string()))?,
            claimed,
            resume_after: resume,
        })
    }

    async fn list_matching(&self, filter: &ListFilter) -> Result<Vec<Delivery>, StoreError> {
        // PostgreSQL's text cannot hold a NUL character: no stored value
        // has one, so a filter with one matches nothing.
        let texts = [&filter.callback, &filter.destination];
        if texts.into_iter().flatten().any(|t| t.contains('\0')) {
            return Ok(Vec::new());
        }
        let (sql, binds) = list_sql(filter, |n| format!("${n}"));
        let mut query = sqlx::query_as::<_, DeliveryRow>(&sql);
        for bind in binds {
            query = match bind {
                Bind::Int(value) => query.bind(value),
                Bind::Text(value) => query.bind(value),
            };
        }
        convert(query.fetch_all(&self.pool).await?)
    }

    async fn count_states(&self) -> Result<StatusCounts, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM callback_deliveries GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        let mut counts = StatusCounts::default();
        for (status, count) in rows {
            counts.add(
                super::rows::status(&status)?,
                u64::try_from(count).unwrap_or(0),
            );
        }
        Ok(counts)
    }

    /// Makes an operator's change to delivery `id`, if its state allows;
    /// otherwise says why not. One statement: the change, the state it
    /// found, and, for a retry, the notification that wakes the dispatchers
    /// of every instance (delivered on commit).
    ///
    /// The state is read from the statement's snapshot, taken before the
    /// change waited for a row lock: when a worker's record changed the
    /// delivery meanwhile (so the change no longer applied), the state read
    /// is the one before it. The statement then runs again, on a fresh
    /// snapshot, to find the state that refused the change.
    async fn change(&self, id: DeliveryId, action: Action) -> Result<Change, StoreError> {
        let update = action.update_sql(|n| format!("${n}"));
        let (announce, announced) = match action {
            Action::Retry => (
                ",\nannounced AS (SELECT pg_notify($3, '') FROM changed)",
                "(SELECT COUNT(*) FROM announced)",
            ),
            Action::Cancel => ("", "0::int8"),
        };
        let sql = format!(
            "WITH changed AS ({update} RETURNING id){announce}
SELECT (SELECT COUNT(*) FROM changed) AS changed,
       {announced} AS announced,
       (SELECT status FROM callback_deliveries WHERE id = $1) AS status"
        );
        let mut found = Status::Pending;
        for _ in 0..3 {
            let now = unix_millis(SystemTime::now());
            let mut query = sqlx::query_as(&sql).bind(id.0).bind(now);
            if action == Action::Retry {
                query = query.bind(NOTIFY_CHANNEL);
            }
            let (changed, _, status): (i64, i64, Option<String>) =
                query.fetch_one(&self.pool).await?;
            found = match (changed, status) {
                (1.., _) => return Ok(Change::Done),
                (_, None) => return Ok(Change::NotFound),
                (_, Some(name)) => super::rows::status(&name)?,
            };
            if !action.applies(found) {
                break;
            }
        }
        Ok(Change::Conflict(found))
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
            .await?;
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM callback_deliveries WHERE id = $1");
        let Some(row) = sqlx::query_as::<_, DeliveryRow>(&sql)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM callback_attempts WHERE delivery_id = $1 ORDER BY id"
        );
        let attempts = sqlx::query_as::<_, AttemptRow>(&sql)
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some((Delivery::try_from(row)?, convert(attempts)?)))
    }

    async fn prune_finished(&self, older_than: Duration, batch: usize) -> Result<u64, StoreError> {
        let cutoff = unix_millis(SystemTime::now()).saturating_sub(millis(older_than));
        let batch = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
        let mut pruned = 0;
        loop {
            // Each statement is a transaction of its own: locks last one
            // batch.
            let deleted = sqlx::query(sql::PRUNE)
                .bind(cutoff)
                .bind(batch)
                .execute(&self.pool)
                .await?
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
        Box::pin(async move {
            if deliveries.is_empty() {
                return Ok(Vec::new());
            }
            check_text(deliveries)?;
            let contexts = crate::telemetry::queued(deliveries);
            let (reply, answer) = oneshot::channel();
            self.committer
                .requests
                .send(committer::Request {
                    deliveries: deliveries.to_vec(),
                    contexts,
                    reply,
                })
                .await
                .map_err(|_| StoreError::Closed)?;
            answer.await.map_err(|_| StoreError::Closed)?
        })
    }

    fn exchange<'a>(
        &'a self,
        outcomes: &'a [Outcome],
        claim: &'a ClaimRequest,
    ) -> BoxFuture<'a, Result<Exchange, StoreError>> {
        Box::pin(self.exchange_now(outcomes, claim))
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

    fn retry(&self, id: DeliveryId) -> BoxFuture<'_, Result<Change, StoreError>> {
        Box::pin(self.change(id, Action::Retry))
    }

    fn cancel(&self, id: DeliveryId) -> BoxFuture<'_, Result<Change, StoreError>> {
        Box::pin(self.change(id, Action::Cancel))
    }

    fn counts(&self) -> BoxFuture<'_, Result<StatusCounts, StoreError>> {
        Box::pin(self.count_states())
    }

    fn prune(&self, older_than: Duration, batch: usize) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(self.prune_finished(older_than, batch))
    }

    fn stats(&self) -> BoxFuture<'_, Result<Option<QueueStats>, StoreError>> {
        Box::pin(async move {
            let now = unix_millis(SystemTime::now());
            let (pending, due, oldest): (i64, i64, Option<i64>) = sqlx::query_as(sql::STATS)
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
            Ok(Some(QueueStats {
                pending: u64::try_from(pending).unwrap_or(0),
                due: u64::try_from(due).unwrap_or(0),
                oldest_due_at: oldest,
            }))
        })
    }

    fn wakeups(&self) -> BoxFuture<'_, Result<Option<Box<dyn Wakeups>>, StoreError>> {
        Box::pin(async move { Ok(Some(Box::new(self.listen().await?) as Box<dyn Wakeups>)) })
    }
}

/// Notifications of queued deliveries, from [`PostgresStore::listen`].
#[derive(Debug)]
pub struct PgWakeups {
    listener: PgListener,
}

impl PgWakeups {
    /// Waits for the next notification. A lost connection is reopened
    /// (what was announced meanwhile is missed).
    ///
    /// # Errors
    ///
    /// When the connection cannot be reopened.
    pub async fn recv(&mut self) -> Result<(), StoreError> {
        self.listener.recv().await?;
        Ok(())
    }
}

impl Wakeups for PgWakeups {
    fn recv(&mut self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(PgWakeups::recv(self))
    }
}

/// The outcomes of one statement, as the arrays it binds.
struct OutcomeColumns {
    ids: Vec<i64>,
    leases: Vec<i64>,
    statuses: Vec<&'static str>,
    next_attempt_at: Vec<Option<i64>>,
    finished_at: Vec<Option<i64>>,
    tried: Vec<bool>,
    started_at: Vec<i64>,
    duration_ms: Vec<i64>,
    http_status: Vec<Option<i64>>,
    errors: Vec<Option<String>>,
    bodies: Vec<Option<String>>,
}

impl OutcomeColumns {
    fn with_capacity(n: usize) -> OutcomeColumns {
        OutcomeColumns {
            ids: Vec::with_capacity(n),
            leases: Vec::with_capacity(n),
            statuses: Vec::with_capacity(n),
            next_attempt_at: Vec::with_capacity(n),
            finished_at: Vec::with_capacity(n),
            tried: Vec::with_capacity(n),
            started_at: Vec::with_capacity(n),
            duration_ms: Vec::with_capacity(n),
            http_status: Vec::with_capacity(n),
            errors: Vec::with_capacity(n),
            bodies: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, outcome: &Outcome, now: i64) {
        let (status, next, finished) = next_state(outcome.next, now);
        let attempt = outcome.attempt.as_ref();
        self.ids.push(outcome.id.0);
        self.leases.push(outcome.lease);
        self.statuses.push(status.as_str());
        self.next_attempt_at.push(next);
        self.finished_at.push(finished);
        self.tried.push(attempt.is_some());
        self.started_at.push(attempt.map_or(0, |a| a.started_at));
        self.duration_ms.push(attempt.map_or(0, |a| a.duration_ms));
        self.http_status
            .push(attempt.and_then(|a| a.status).map(i64::from));
        self.errors
            .push(attempt.and_then(|a| a.error.as_deref()).map(without_nul));
        self.bodies.push(
            attempt
                .and_then(|a| a.response_body.as_deref())
                .map(without_nul),
        );
    }
}

/// Refuses text PostgreSQL cannot store.
fn check_text(deliveries: &[NewDelivery]) -> Result<(), StoreError> {
    for d in deliveries {
        let fields = [&d.callback, &d.method, &d.url, &d.body];
        if fields
            .into_iter()
            .chain(&d.refused)
            .any(|s| s.contains('\0'))
        {
            return Err(StoreError::invalid(
                "a delivery's text holds a NUL character",
            ));
        }
    }
    Ok(())
}

/// Inserts deliveries, each with its trace context, with one statement;
/// their ids in order.
async fn insert(
    conn: &mut PgConnection,
    deliveries: Vec<(&NewDelivery, Option<String>)>,
) -> Result<Vec<DeliveryId>, StoreError> {
    let contexts: Vec<Option<String>> = deliveries.iter().map(|(_, c)| c.clone()).collect();
    let deliveries: Vec<&NewDelivery> = deliveries.into_iter().map(|(d, _)| d).collect();
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    let now = unix_millis(SystemTime::now());
    let n = deliveries.len();
    let webhook_ids: Vec<String> = deliveries.iter().map(|_| new_webhook_id()).collect();
    let mut statuses = Vec::with_capacity(n);
    let mut next_attempt_at = Vec::with_capacity(n);
    let mut finished_at = Vec::with_capacity(n);
    for d in &deliveries {
        let (status, next, finished) = match d.refused {
            None => (Status::Pending, Some(now), None),
            Some(_) => (Status::Refused, None, Some(now)),
        };
        statuses.push(status.as_str());
        next_attempt_at.push(next);
        finished_at.push(finished);
    }
    let texts = |field: fn(&NewDelivery) -> &str| -> Vec<&str> {
        deliveries.iter().map(|d| field(d)).collect()
    };
    let destinations: Vec<String> = deliveries.iter().map(|d| destination_of(&d.url)).collect();
    let rows = sqlx::query(sql::INSERT_DELIVERIES)
        .bind(&webhook_ids)
        .bind(texts(|d| &d.callback))
        .bind(texts(|d| &d.method))
        .bind(texts(|d| &d.url))
        .bind(&destinations)
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
        .bind(&contexts)
        .bind(NOTIFY_CHANNEL)
        .fetch_all(&mut *conn)
        .await?;
    // RETURNING promises no order: match the rows by their webhook ids.
    let mut by_webhook_id = HashMap::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let webhook_id: String = row.try_get("webhook_id")?;
        by_webhook_id.insert(webhook_id, DeliveryId(id));
    }
    webhook_ids
        .iter()
        .map(|w| {
            by_webhook_id
                .get(w)
                .copied()
                .ok_or_else(|| StoreError::corrupt("a queued delivery came back without its id"))
        })
        .collect()
}

/// `text` with every NUL character (which PostgreSQL's text cannot hold)
/// replaced by U+FFFD: a receiver's answer may hold one.
fn without_nul(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}
