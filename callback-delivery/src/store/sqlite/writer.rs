//! The writer: one task, one connection, and group commit.
//!
//! Commands wait in a channel. The writer takes all that are waiting, runs
//! them in one `BEGIN IMMEDIATE` transaction, each in a savepoint of its
//! own, commits once, and only then answers each one. Enqueues are
//! inserted together with multi-row statements; if that fails, each
//! enqueue is tried alone, so that a bad one fails alone.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Row};
use tokio::sync::{mpsc, oneshot};

use super::super::rows::{ClaimedRow, CLAIMED_COLUMNS};
use super::super::{
    distinct_batches, millis, next_state, resume_after, sort_claimed, ClaimRequest, Claimed,
    Exchange, Outcome, StoreError, CLAIM_WALK,
};
use crate::delivery::{
    destination_of, new_webhook_id, unix_millis, DeliveryId, NewDelivery, Status,
};

/// Opens a savepoint, for one step of a group.
async fn savepoint(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    sqlx::query("SAVEPOINT step").execute(&mut *conn).await?;
    Ok(())
}

/// Closes the savepoint of a step: keeps its work if it succeeded, undoes
/// it if it failed. Returns the step's result.
async fn end_savepoint<T>(
    conn: &mut SqliteConnection,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    if result.is_err() {
        sqlx::query("ROLLBACK TO step").execute(&mut *conn).await?;
    }
    sqlx::query("RELEASE step").execute(&mut *conn).await?;
    result
}

/// Runs one step of a group in its savepoint.
macro_rules! step {
    ($conn:expr, $work:expr) => {{
        match savepoint($conn).await {
            Ok(()) => {
                let result = $work.await;
                end_savepoint($conn, result).await
            }
            Err(error) => Err(error),
        }
    }};
}

/// The most commands one transaction carries.
const GROUP: usize = 1024;

/// Rows per multi-row statement, largest first: a batch is cut into these
/// sizes, so that each size's statement is prepared once and cached.
const CHUNKS: [usize; 5] = [256, 64, 16, 4, 1];

/// What the writer is asked to do.
pub(super) enum Command {
    Enqueue {
        deliveries: Vec<NewDelivery>,
        reply: oneshot::Sender<Result<Vec<DeliveryId>, StoreError>>,
    },
    Exchange {
        outcomes: Vec<Outcome>,
        claim: ClaimRequest,
        reply: oneshot::Sender<Result<Exchange, StoreError>>,
    },
    Prune {
        older_than: Duration,
        batch: usize,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    Close {
        reply: oneshot::Sender<()>,
    },
}

/// An answer held until the commit.
enum Answer {
    Enqueue(
        oneshot::Sender<Result<Vec<DeliveryId>, StoreError>>,
        Result<Vec<DeliveryId>, StoreError>,
    ),
    Exchange(
        oneshot::Sender<Result<Exchange, StoreError>>,
        Result<Exchange, StoreError>,
    ),
    Prune(
        oneshot::Sender<Result<u64, StoreError>>,
        Result<u64, StoreError>,
    ),
}

impl Answer {
    /// Sends the answer, or `error` in place of a success when the commit
    /// failed.
    fn send(self, commit: Option<&StoreError>) {
        fn settle<T>(
            result: Result<T, StoreError>,
            commit: Option<&StoreError>,
        ) -> Result<T, StoreError> {
            match (result, commit) {
                (Ok(_), Some(error)) => Err(error.duplicate()),
                (result, _) => result,
            }
        }
        // A caller that stopped waiting no longer needs its answer.
        match self {
            Answer::Enqueue(reply, result) => drop(reply.send(settle(result, commit))),
            Answer::Exchange(reply, result) => drop(reply.send(settle(result, commit))),
            Answer::Prune(reply, result) => drop(reply.send(settle(result, commit))),
        }
    }
}

/// Runs the writer until the store is closed or every handle is dropped.
pub(super) async fn run(mut conn: SqliteConnection, mut commands: mpsc::Receiver<Command>) {
    let mut group = Vec::with_capacity(GROUP);
    while commands.recv_many(&mut group, GROUP).await > 0 {
        let mut closing = None;
        let mut work = Vec::with_capacity(group.len());
        for command in group.drain(..) {
            match command {
                Command::Close { reply } => closing = Some(reply),
                command => work.push(command),
            }
        }
        if !work.is_empty() {
            run_group(&mut conn, work).await;
        }
        if let Some(reply) = closing {
            commands.close();
            // Commands already in the channel fail: their senders see it
            // closed once it is dropped.
            let _ = conn.close().await;
            let _ = reply.send(());
            return;
        }
    }
    let _ = conn.close().await;
}

/// Runs one group of commands in one transaction.
async fn run_group(conn: &mut SqliteConnection, commands: Vec<Command>) {
    let mut enqueues = Vec::new();
    let mut others = Vec::new();
    for command in commands {
        match command {
            Command::Enqueue { deliveries, reply } => enqueues.push((deliveries, reply)),
            other => others.push(other),
        }
    }
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(error) => {
            let error = StoreError::from(error);
            for (_, reply) in enqueues {
                let _ = reply.send(Err(error.duplicate()));
            }
            for command in others {
                fail(command, &error);
            }
            return;
        }
    };
    let now = unix_millis(SystemTime::now());
    let mut answers = Vec::with_capacity(enqueues.len() + others.len());
    let batches: Vec<&[NewDelivery]> = enqueues.iter().map(|(d, _)| d.as_slice()).collect();
    let inserted = insert_batches(&mut tx, &batches, now).await;
    for ((_, reply), result) in enqueues.into_iter().zip(inserted) {
        answers.push(Answer::Enqueue(reply, result));
    }
    for command in others {
        match command {
            Command::Exchange {
                outcomes,
                claim,
                reply,
            } => {
                let result = step!(&mut tx, exchange(&mut tx, outcomes, claim, now));
                answers.push(Answer::Exchange(reply, result));
            }
            Command::Prune {
                older_than,
                batch,
                reply,
            } => {
                let cutoff = now.saturating_sub(millis(older_than));
                let result = step!(&mut tx, prune(&mut tx, cutoff, batch));
                answers.push(Answer::Prune(reply, result));
            }
            Command::Enqueue { .. } | Command::Close { .. } => unreachable!("sorted above"),
        }
    }
    let commit = tx.commit().await.err().map(StoreError::from);
    for answer in answers {
        answer.send(commit.as_ref());
    }
}

fn fail(command: Command, error: &StoreError) {
    match command {
        Command::Enqueue { reply, .. } => drop(reply.send(Err(error.duplicate()))),
        Command::Exchange { reply, .. } => drop(reply.send(Err(error.duplicate()))),
        Command::Prune { reply, .. } => drop(reply.send(Err(error.duplicate()))),
        Command::Close { reply } => drop(reply.send(())),
    }
}

/// Inserts each batch of deliveries: all together when every row goes in,
/// else batch by batch, each alone. The answer of each batch in order.
async fn insert_batches(
    conn: &mut SqliteConnection,
    batches: &[&[NewDelivery]],
    now: i64,
) -> Vec<Result<Vec<DeliveryId>, StoreError>> {
    if batches.is_empty() {
        return Vec::new();
    }
    let all: Vec<&NewDelivery> = batches.iter().flat_map(|b| b.iter()).collect();
    let together = step!(&mut *conn, insert(&mut *conn, all, now));
    if let Ok(ids) = together {
        let mut ids = ids.into_iter();
        return batches
            .iter()
            .map(|batch| Ok(ids.by_ref().take(batch.len()).collect()))
            .collect();
    }
    let mut answers = Vec::with_capacity(batches.len());
    for batch in batches {
        let rows: Vec<&NewDelivery> = batch.iter().collect();
        answers.push(step!(&mut *conn, insert(&mut *conn, rows, now)));
    }
    answers
}

/// Inserts deliveries with multi-row statements; their ids in order.
async fn insert(
    conn: &mut SqliteConnection,
    deliveries: Vec<&NewDelivery>,
    now: i64,
) -> Result<Vec<DeliveryId>, StoreError> {
    let webhook_ids: Vec<String> = deliveries.iter().map(|_| new_webhook_id()).collect();
    let mut by_webhook_id = HashMap::with_capacity(deliveries.len());
    let mut start = 0;
    while start < deliveries.len() {
        let size = chunk(deliveries.len() - start);
        let mut query = sqlx::query(insert_sql(size));
        for (delivery, webhook_id) in deliveries[start..start + size]
            .iter()
            .zip(&webhook_ids[start..])
        {
            let (status, next_attempt_at, finished_at) = match delivery.refused {
                None => (Status::Pending, Some(now), None),
                Some(_) => (Status::Refused, None, Some(now)),
            };
            query = query
                .bind(webhook_id.as_str())
                .bind(delivery.callback.as_str())
                .bind(delivery.method.as_str())
                .bind(delivery.url.as_str())
                .bind(destination_of(&delivery.url))
                .bind(delivery.body.as_str())
                .bind(status.as_str())
                .bind(delivery.refused.as_deref())
                .bind(now)
                .bind(next_attempt_at)
                .bind(finished_at);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let id: i64 = row.try_get(0)?;
            let webhook_id: String = row.try_get(1)?;
            by_webhook_id.insert(webhook_id, DeliveryId(id));
        }
        start += size;
    }
    // RETURNING promises no order: match the rows by their webhook ids.
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

/// The largest chunk size that fits `n` rows.
fn chunk(n: usize) -> usize {
    CHUNKS.into_iter().find(|&size| size <= n).unwrap_or(1)
}

/// The index of a chunk size in [`CHUNKS`].
fn chunk_index(size: usize) -> usize {
    CHUNKS
        .iter()
        .position(|&s| s == size)
        .unwrap_or(CHUNKS.len() - 1)
}

/// A statement with `rows` groups of `placeholders`, built once per size.
fn multi_row(
    cache: &'static OnceLock<Vec<String>>,
    rows: usize,
    head: &str,
    placeholders: usize,
    tail: &str,
) -> &'static str {
    let all = cache.get_or_init(|| {
        CHUNKS
            .iter()
            .map(|&n| {
                let group = format!("({})", vec!["?"; placeholders].join(", "));
                format!("{head} {} {tail}", vec![group; n].join(", "))
            })
            .collect()
    });
    &all[chunk_index(rows)]
}

fn insert_sql(rows: usize) -> &'static str {
    static CACHE: OnceLock<Vec<String>> = OnceLock::new();
    multi_row(
        &CACHE,
        rows,
        "INSERT INTO callback_deliveries (webhook_id, callback, method, url, destination, body, \
         status, last_error, created_at, next_attempt_at, finished_at) VALUES",
        11,
        "RETURNING id, webhook_id",
    )
}

/// Records then claims, as [`Store::exchange`](super::super::Store::exchange)
/// says.
async fn exchange(
    conn: &mut SqliteConnection,
    outcomes: Vec<Outcome>,
    claim: ClaimRequest,
    now: i64,
) -> Result<Exchange, StoreError> {
    let mut recorded = 0;
    for batch in distinct_batches(&outcomes) {
        recorded += record(conn, &batch, now).await?;
    }
    let (claimed, resume) = claim_due(conn, &claim, &outcomes, now).await?;
    Ok(Exchange {
        recorded,
        claimed,
        resume_after: resume,
    })
}

/// Applies outcomes of distinct deliveries; how many applied.
async fn record(
    conn: &mut SqliteConnection,
    outcomes: &[&Outcome],
    now: i64,
) -> Result<usize, StoreError> {
    let mut applied = std::collections::HashSet::with_capacity(outcomes.len());
    let mut start = 0;
    while start < outcomes.len() {
        let size = chunk(outcomes.len() - start);
        let mut query = sqlx::query(record_sql(size));
        for outcome in &outcomes[start..start + size] {
            let (status, next_attempt_at, finished_at) = next_state(outcome.next, now);
            let attempt = outcome.attempt.as_ref();
            query = query
                .bind(outcome.id.0)
                .bind(outcome.lease)
                .bind(status.as_str())
                .bind(next_attempt_at)
                .bind(finished_at)
                .bind(i64::from(attempt.is_some()))
                .bind(attempt.and_then(|a| a.error.as_deref()))
                .bind(attempt.and_then(|a| a.status).map(i64::from));
        }
        for row in query.fetch_all(&mut *conn).await? {
            applied.insert(row.try_get::<i64, _>(0)?);
        }
        start += size;
    }
    let logged: Vec<&Outcome> = outcomes
        .iter()
        .copied()
        .filter(|o| o.attempt.is_some() && applied.contains(&o.id.0))
        .collect();
    let mut start = 0;
    while start < logged.len() {
        let size = chunk(logged.len() - start);
        let mut query = sqlx::query(attempt_sql(size));
        for outcome in &logged[start..start + size] {
            let Some(attempt) = &outcome.attempt else {
                continue;
            };
            query = query
                .bind(outcome.id.0)
                .bind(attempt.started_at)
                .bind(attempt.duration_ms)
                .bind(attempt.status.map(i64::from))
                .bind(attempt.error.as_deref())
                .bind(attempt.response_body.as_deref());
        }
        query.execute(&mut *conn).await?;
        start += size;
    }
    Ok(applied.len())
}

/// Applies outcomes, each only if its lease is current and the delivery
/// still pending: per outcome, its id, lease, new status, next attempt
/// time, finish time, 1 if an attempt was made, its error and its HTTP
/// status. Returns the ids that applied.
fn record_sql(rows: usize) -> &'static str {
    static CACHE: OnceLock<Vec<String>> = OnceLock::new();
    multi_row(
        &CACHE,
        rows,
        "WITH o(id, lease, status, next_attempt_at, finished_at, tried, error, http_status) AS \
         (VALUES",
        8,
        ") UPDATE callback_deliveries AS d \
         SET status = o.status, \
             next_attempt_at = o.next_attempt_at, \
             finished_at = o.finished_at, \
             attempts = d.attempts + o.tried, \
             last_error = CASE WHEN o.tried = 1 THEN o.error ELSE d.last_error END, \
             last_status = CASE WHEN o.tried = 1 THEN o.http_status ELSE d.last_status END, \
             lease_owner = NULL, \
             lease_until = NULL \
         FROM o WHERE d.id = o.id AND d.lease = o.lease AND d.status = 'pending' \
         RETURNING id",
    )
}

/// Appends attempts to their deliveries' logs.
fn attempt_sql(rows: usize) -> &'static str {
    static CACHE: OnceLock<Vec<String>> = OnceLock::new();
    multi_row(
        &CACHE,
        rows,
        "INSERT INTO callback_attempts \
         (delivery_id, started_at, duration_ms, status, error, response_body) VALUES",
        6,
        "",
    )
}

/// The destinations with pending deliveries after ?1, in order, at most
/// ?2 of them: a loose index scan of `callback_deliveries_due`, one seek
/// per destination however many deliveries each has.
const WALK: &str = "
WITH RECURSIVE walk(name, n) AS (
    SELECT (SELECT MIN(destination) FROM callback_deliveries
            WHERE status = 'pending' AND destination > ?1), 1
    UNION ALL
    SELECT (SELECT MIN(destination) FROM callback_deliveries
            WHERE status = 'pending' AND destination > walk.name), walk.n + 1
    FROM walk WHERE walk.name IS NOT NULL AND walk.n < ?2
)
SELECT name FROM walk WHERE name IS NOT NULL";

/// Leases up to ?3 due deliveries of each destination of the JSON array
/// ?2 (in its order), at most ?4 in all, not among the ids of the JSON
/// array ?7: ?1 now, ?5 owner, ?6 lease deadline. A lease is live strictly
/// before its deadline.
fn claim_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "UPDATE callback_deliveries
SET lease = lease + 1, lease_owner = ?5, lease_until = ?6
WHERE id IN (
    SELECT p.id FROM json_each(?2) AS w
    JOIN callback_deliveries AS p ON p.id IN (
        SELECT id FROM callback_deliveries
        WHERE status = 'pending' AND destination = w.value
          AND next_attempt_at <= ?1
          AND (lease_until IS NULL OR lease_until <= ?1)
          AND id NOT IN (SELECT value FROM json_each(?7))
        ORDER BY next_attempt_at, id
        LIMIT ?3)
    ORDER BY w.key, p.next_attempt_at, p.id
    LIMIT ?4)
RETURNING {CLAIMED_COLUMNS}"
        )
    })
}

/// Walks the destinations and leases their due deliveries.
async fn claim_due(
    conn: &mut SqliteConnection,
    claim: &ClaimRequest,
    recorded: &[Outcome],
    now: i64,
) -> Result<(Vec<Claimed>, Option<String>), StoreError> {
    if claim.limit == 0 {
        return Ok((Vec::new(), None));
    }
    let walked: Vec<String> = sqlx::query_scalar(WALK)
        .bind(claim.after.as_str())
        .bind(i64::try_from(CLAIM_WALK).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await?;
    let open: Vec<&String> = walked
        .iter()
        .filter(|name| !claim.exclude.contains(name))
        .collect();
    let mut claimed = Vec::new();
    if !open.is_empty() {
        let names = serde_json::to_string(&open).map_err(|e| StoreError::invalid(e.to_string()))?;
        let skip: Vec<i64> = recorded.iter().map(|o| o.id.0).collect();
        let skip = serde_json::to_string(&skip).map_err(|e| StoreError::invalid(e.to_string()))?;
        let until = now.saturating_add(millis(claim.lease));
        let rows: Vec<ClaimedRow> = sqlx::query_as(claim_sql())
            .bind(now)
            .bind(names)
            .bind(i64::try_from(claim.per_destination.max(1)).unwrap_or(i64::MAX))
            .bind(i64::try_from(claim.limit).unwrap_or(i64::MAX))
            .bind(claim.owner.as_str())
            .bind(until)
            .bind(skip)
            .fetch_all(&mut *conn)
            .await?;
        claimed = super::super::rows::convert(rows)?;
        sort_claimed(&mut claimed, &walked);
    }
    let resume = resume_after(&walked, &claimed, claim);
    Ok((claimed, resume))
}

/// Deletes at most `batch` deliveries that finished before `cutoff`,
/// oldest first, with their attempts (by cascade).
async fn prune(conn: &mut SqliteConnection, cutoff: i64, batch: usize) -> Result<u64, StoreError> {
    const PRUNE: &str = "
DELETE FROM callback_deliveries WHERE id IN (
    SELECT id FROM callback_deliveries
    WHERE finished_at < ?1
    ORDER BY finished_at
    LIMIT ?2
)";
    let done = sqlx::query(PRUNE)
        .bind(cutoff)
        .bind(i64::try_from(batch.max(1)).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
