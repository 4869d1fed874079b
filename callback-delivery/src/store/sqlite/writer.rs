//! The writer: one task, one connection, and group commit.
//!
//! Commands wait in a channel. The writer takes all that are waiting, runs
//! them in one `BEGIN IMMEDIATE` transaction, commits once, and only then
//! answers each one. A command that fails is undone alone: the enqueues of
//! a group are inserted with one statement (atomic by itself), and each
//! enqueue alone if that fails; an exchange runs in a savepoint.
//!
//! sqlx runs each statement on the connection's own thread and hands every
//! result row back through a channel, so the cost of a statement is mostly
//! the hand-over, not SQLite's work. The writer therefore keeps the number
//! of statements per group small and independent of the number of rows:
//! rows go in and come out as one JSON array each (`json_each`,
//! `json_group_array`), and inserted ids are read from the last one, as a
//! single writer with `AUTOINCREMENT` numbers a statement's rows in order.

use std::time::{Duration, SystemTime};

use sqlx::sqlite::SqliteConnection;
use sqlx::Connection;
use tokio::sync::{mpsc, oneshot};

use super::super::rows::ClaimedRow;
use super::super::{
    distinct_batches, millis, next_state, resume_after, sort_claimed, Action, Change, ClaimRequest,
    Claimed, Exchange, Outcome, StoreError, CLAIM_WALK,
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

/// What the writer is asked to do.
pub(super) enum Command {
    Enqueue {
        deliveries: Vec<NewDelivery>,
        /// The trace context of each delivery (see `telemetry::queued`).
        contexts: Vec<Option<String>>,
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
    /// An operator's retry or cancel.
    Change {
        id: DeliveryId,
        action: Action,
        reply: oneshot::Sender<Result<Change, StoreError>>,
    },
    Close {
        reply: oneshot::Sender<()>,
    },
}

/// An answer held until the commit (and its sync).
pub(super) enum Answer {
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
    Change(
        oneshot::Sender<Result<Change, StoreError>>,
        Result<Change, StoreError>,
    ),
}

impl Answer {
    /// Sends the answer, or `error` in place of a success when the commit
    /// (or its sync) failed.
    pub(super) fn send(self, commit: Option<&StoreError>) {
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
            Answer::Change(reply, result) => drop(reply.send(settle(result, commit))),
        }
    }
}

/// Runs the writer until the store is closed or every handle is dropped.
/// With `synced`, the answers of each committed group go there, to be sent
/// once the log is synced; without, they are sent once the commit returns.
pub(super) async fn run(
    mut conn: SqliteConnection,
    mut commands: mpsc::Receiver<Command>,
    synced: Option<super::sync::Pending>,
) {
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
            // Only enqueues and an operator's changes wait for the sync: a
            // claim or a record lost to a power cut costs a second send of
            // the same delivery once its lease expires (at least once),
            // never a delivery, but a lost cancel would send one that an
            // operator stopped.
            let durable = work
                .iter()
                .any(|c| matches!(c, Command::Enqueue { .. } | Command::Change { .. }));
            let (answers, commit) = run_group(&mut conn, work).await;
            match (&synced, commit) {
                (Some(pending), None) if durable => {
                    if let Err(unsent) = pending.send(answers) {
                        for answer in unsent.0 {
                            answer.send(Some(&StoreError::Closed));
                        }
                    }
                }
                (_, commit) => {
                    for answer in answers {
                        answer.send(commit.as_ref());
                    }
                }
            }
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

/// Runs one group of commands in one transaction; their answers, and the
/// commit's error if it failed.
///
/// Every statement of SQLite undoes itself when it fails, but an exchange
/// is several statements. The group first runs without savepoints (two
/// round trips to the connection's thread fewer per exchange); if an
/// exchange fails, the transaction is rolled back and the group runs again
/// with each exchange in a savepoint, so that it fails alone.
async fn run_group(
    conn: &mut SqliteConnection,
    commands: Vec<Command>,
) -> (Vec<Answer>, Option<StoreError>) {
    let mut enqueues = Vec::new();
    let mut others = Vec::new();
    for command in commands {
        match command {
            Command::Enqueue {
                deliveries,
                contexts,
                reply,
            } => enqueues.push((deliveries, contexts, reply)),
            other => others.push(other),
        }
    }
    let now = unix_millis(SystemTime::now());
    let mut outcome = in_transaction(conn, &enqueues, &others, now, Isolation::Optimistic).await;
    if matches!(outcome, Ok(None)) {
        outcome = in_transaction(conn, &enqueues, &others, now, Isolation::Savepoints).await;
    }
    let (results, commit) = match outcome {
        Ok(Some(done)) => done,
        // Unreachable: with savepoints, a failing exchange fails alone.
        Ok(None) => unreachable!("a group with savepoints always completes"),
        Err(error) => {
            for (_, _, reply) in enqueues {
                let _ = reply.send(Err(error.duplicate()));
            }
            for command in others {
                fail(command, &error);
            }
            return (Vec::new(), None);
        }
    };
    let GroupResults {
        inserted,
        exchanged,
        pruned,
        changed,
    } = results;
    let mut answers = Vec::with_capacity(enqueues.len() + others.len());
    for ((_, _, reply), result) in enqueues.into_iter().zip(inserted) {
        answers.push(Answer::Enqueue(reply, result));
    }
    let mut exchanged = exchanged.into_iter();
    let mut pruned = pruned.into_iter();
    let mut changed = changed.into_iter();
    for command in others {
        match command {
            Command::Exchange { reply, .. } => {
                let result = exchanged.next().expect("one result per exchange");
                answers.push(Answer::Exchange(reply, result));
            }
            Command::Prune { reply, .. } => {
                let result = pruned.next().expect("one result per prune");
                answers.push(Answer::Prune(reply, result));
            }
            Command::Change { reply, .. } => {
                let result = changed.next().expect("one result per change");
                answers.push(Answer::Change(reply, result));
            }
            Command::Enqueue { .. } | Command::Close { .. } => unreachable!("sorted above"),
        }
    }
    (answers, commit)
}

/// How a group's exchanges are kept apart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Isolation {
    /// No savepoints: a failing exchange rolls the group back (`Ok(None)`).
    Optimistic,
    /// Each exchange in a savepoint: it fails alone.
    Savepoints,
}

/// An enqueue of the group: its deliveries, their trace contexts, and where
/// its answer goes.
type Enqueued = (
    Vec<NewDelivery>,
    Vec<Option<String>>,
    oneshot::Sender<Result<Vec<DeliveryId>, StoreError>>,
);

/// The results of a group's commands, by kind, in order.
struct GroupResults {
    inserted: Vec<Result<Vec<DeliveryId>, StoreError>>,
    exchanged: Vec<Result<Exchange, StoreError>>,
    pruned: Vec<Result<u64, StoreError>>,
    changed: Vec<Result<Change, StoreError>>,
}

/// Runs the group in one transaction: the results and the commit's error,
/// `Ok(None)` when an optimistic run must start again with savepoints, or
/// the error that kept the transaction from starting.
async fn in_transaction(
    conn: &mut SqliteConnection,
    enqueues: &[Enqueued],
    others: &[Command],
    now: i64,
    isolation: Isolation,
) -> Result<Option<(GroupResults, Option<StoreError>)>, StoreError> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let batches: Vec<(&[NewDelivery], &[Option<String>])> = enqueues
        .iter()
        .map(|(d, c, _)| (d.as_slice(), c.as_slice()))
        .collect();
    let inserted = insert_batches(&mut tx, &batches, now).await;
    let mut exchanged = Vec::new();
    let mut pruned = Vec::new();
    let mut changed = Vec::new();
    for command in others {
        match command {
            Command::Exchange {
                outcomes, claim, ..
            } => {
                let result = match isolation {
                    Isolation::Savepoints => {
                        step!(&mut tx, exchange(&mut tx, outcomes, claim, now))
                    }
                    Isolation::Optimistic => exchange(&mut tx, outcomes, claim, now).await,
                };
                if result.is_err() && isolation == Isolation::Optimistic {
                    let _ = tx.rollback().await;
                    return Ok(None);
                }
                exchanged.push(result);
            }
            Command::Prune {
                older_than, batch, ..
            } => {
                let cutoff = now.saturating_sub(millis(*older_than));
                pruned.push(prune(&mut tx, cutoff, *batch).await);
            }
            // One update (all or nothing), then a read when it changed
            // nothing: no savepoint needed.
            Command::Change { id, action, .. } => {
                changed.push(change(&mut tx, *id, *action, now).await);
            }
            Command::Enqueue { .. } | Command::Close { .. } => unreachable!("sorted out"),
        }
    }
    let commit = tx.commit().await.err().map(StoreError::from);
    Ok(Some((
        GroupResults {
            inserted,
            exchanged,
            pruned,
            changed,
        },
        commit,
    )))
}

fn fail(command: Command, error: &StoreError) {
    match command {
        Command::Enqueue { reply, .. } => drop(reply.send(Err(error.duplicate()))),
        Command::Exchange { reply, .. } => drop(reply.send(Err(error.duplicate()))),
        Command::Prune { reply, .. } => drop(reply.send(Err(error.duplicate()))),
        Command::Change { reply, .. } => drop(reply.send(Err(error.duplicate()))),
        Command::Close { reply } => drop(reply.send(())),
    }
}

/// Inserts each batch of deliveries: all together when every row goes in,
/// else batch by batch, each alone. The answer of each batch in order.
async fn insert_batches(
    conn: &mut SqliteConnection,
    batches: &[(&[NewDelivery], &[Option<String>])],
    now: i64,
) -> Vec<Result<Vec<DeliveryId>, StoreError>> {
    if batches.is_empty() {
        return Vec::new();
    }
    let all: Vec<(&NewDelivery, &Option<String>)> = batches
        .iter()
        .flat_map(|(d, c)| d.iter().zip(c.iter()))
        .collect();
    if let Ok(ids) = insert(conn, &all, now).await {
        let mut ids = ids.into_iter();
        return batches
            .iter()
            .map(|(batch, _)| Ok(ids.by_ref().take(batch.len()).collect()))
            .collect();
    }
    let mut answers = Vec::with_capacity(batches.len());
    for (batch, contexts) in batches {
        let rows: Vec<(&NewDelivery, &Option<String>)> =
            batch.iter().zip(contexts.iter()).collect();
        answers.push(insert(conn, &rows, now).await);
    }
    answers
}

/// Inserts the rows of the JSON array ?1 (each an array: webhook id,
/// callback, method, url, destination, body, status, last error, next
/// attempt time, finish time, trace context), in order, created at ?2.
const INSERT: &str = "
INSERT INTO callback_deliveries
    (webhook_id, callback, method, url, destination, body, status, last_error,
     created_at, next_attempt_at, finished_at, trace_context)
SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
       value ->> 6, value ->> 7, ?2, value ->> 8, value ->> 9, value ->> 10
FROM json_each(?1)
ORDER BY key";

/// Inserts deliveries with one statement (all or none); their ids in order.
async fn insert(
    conn: &mut SqliteConnection,
    deliveries: &[(&NewDelivery, &Option<String>)],
    now: i64,
) -> Result<Vec<DeliveryId>, StoreError> {
    let rows: Vec<_> = deliveries
        .iter()
        .map(|(delivery, context)| {
            let (status, next_attempt_at, finished_at) = match delivery.refused {
                None => (Status::Pending, Some(now), None),
                Some(_) => (Status::Refused, None, Some(now)),
            };
            (
                new_webhook_id(),
                &delivery.callback,
                &delivery.method,
                &delivery.url,
                destination_of(&delivery.url),
                &delivery.body,
                status.as_str(),
                &delivery.refused,
                next_attempt_at,
                finished_at,
                context,
            )
        })
        .collect();
    let done = sqlx::query(INSERT)
        .bind(json(&rows)?)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let n = i64::try_from(rows.len()).map_err(|e| StoreError::invalid(e.to_string()))?;
    if done.rows_affected() != rows.len() as u64 {
        return Err(StoreError::corrupt(
            "the store inserted another number of rows",
        ));
    }
    // One writer, AUTOINCREMENT: the statement's rows were numbered in
    // order, up to the last.
    let last = done.last_insert_rowid();
    Ok((last - n + 1..=last).map(DeliveryId).collect())
}

/// Serializes rows for a `json_each` parameter.
fn json(rows: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(rows).map_err(|e| StoreError::invalid(e.to_string()))
}

/// Records then claims, as [`Store::exchange`](super::super::Store::exchange)
/// says.
async fn exchange(
    conn: &mut SqliteConnection,
    outcomes: &[Outcome],
    claim: &ClaimRequest,
    now: i64,
) -> Result<Exchange, StoreError> {
    let mut recorded = 0;
    for batch in distinct_batches(outcomes) {
        recorded += record(conn, &batch, now).await?;
    }
    let (claimed, resume) = claim_due(conn, claim, outcomes, now).await?;
    Ok(Exchange {
        recorded,
        claimed,
        resume_after: resume,
    })
}

/// Logs the attempts of the outcomes of the JSON array ?1 whose lease is
/// current and whose delivery is pending (each outcome an array: id,
/// lease, new status, next attempt time, finish time, 1 if an attempt was
/// made, error, HTTP status, start time, duration, response body). Runs
/// before [`RECORD`], which changes what it tests.
const LOG_ATTEMPTS: &str = "
INSERT INTO callback_attempts
    (delivery_id, started_at, duration_ms, status, error, response_body)
SELECT d.id, o.value ->> 8, o.value ->> 9, o.value ->> 7, o.value ->> 6, o.value ->> 10
FROM json_each(?1) AS o
JOIN callback_deliveries AS d ON d.id = o.value ->> 0
WHERE o.value ->> 5 = 1 AND d.lease = o.value ->> 1 AND d.status = 'pending'
ORDER BY o.key";

/// Applies the outcomes of the JSON array ?1 (as [`LOG_ATTEMPTS`] reads
/// them), each only if its lease is current and the delivery still
/// pending.
const RECORD: &str = "
WITH o(id, lease, status, next_attempt_at, finished_at, tried, error, http_status) AS (
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4,
           value ->> 5, value ->> 6, value ->> 7
    FROM json_each(?1)
)
UPDATE callback_deliveries AS d
SET status = o.status,
    next_attempt_at = o.next_attempt_at,
    finished_at = o.finished_at,
    attempts = d.attempts + o.tried,
    last_error = CASE WHEN o.tried = 1 THEN o.error ELSE d.last_error END,
    last_status = CASE WHEN o.tried = 1 THEN o.http_status ELSE d.last_status END,
    lease_owner = NULL,
    lease_until = NULL
FROM o
WHERE d.id = o.id AND d.lease = o.lease AND d.status = 'pending'";

/// Applies outcomes of distinct deliveries; how many applied.
async fn record(
    conn: &mut SqliteConnection,
    outcomes: &[&Outcome],
    now: i64,
) -> Result<usize, StoreError> {
    let rows: Vec<_> = outcomes
        .iter()
        .map(|outcome| {
            let (status, next_attempt_at, finished_at) = next_state(outcome.next, now);
            let attempt = outcome.attempt.as_ref();
            (
                outcome.id.0,
                outcome.lease,
                status.as_str(),
                next_attempt_at,
                finished_at,
                i64::from(attempt.is_some()),
                attempt.and_then(|a| a.error.as_deref()),
                attempt.and_then(|a| a.status),
                attempt.map(|a| a.started_at),
                attempt.map(|a| a.duration_ms),
                attempt.and_then(|a| a.response_body.as_deref()),
            )
        })
        .collect();
    let rows = json(&rows)?;
    if outcomes.iter().any(|o| o.attempt.is_some()) {
        sqlx::query(LOG_ATTEMPTS)
            .bind(rows.as_str())
            .execute(&mut *conn)
            .await?;
    }
    let done = sqlx::query(RECORD)
        .bind(rows.as_str())
        .execute(&mut *conn)
        .await?;
    usize::try_from(done.rows_affected()).map_err(|e| StoreError::corrupt(e.to_string()))
}

/// Picks what a claim takes, as one row of two JSON arrays: the
/// destinations walked, in order, and the picked deliveries, in the order
/// of the walk, each with the lease it is about to get.
///
/// The walk visits the destinations with pending deliveries after ?1, at
/// most ?2 of them (a loose index scan of `callback_deliveries_due`, one
/// seek per destination however many deliveries each has). Of each
/// destination not in the JSON array ?3, it picks up to ?4 deliveries due
/// at or before ?5, not leased or with an expired lease (a lease is live
/// strictly before its deadline), and not among the ids of the JSON array
/// ?6, oldest due first; ?7 in all.
const PICK: &str = "
WITH RECURSIVE walk(name, n) AS (
    SELECT (SELECT MIN(destination) FROM callback_deliveries
            WHERE status = 'pending' AND destination > ?1), 1
    UNION ALL
    SELECT (SELECT MIN(destination) FROM callback_deliveries
            WHERE status = 'pending' AND destination > walk.name), walk.n + 1
    FROM walk WHERE walk.name IS NOT NULL AND walk.n < ?2
),
walked AS (
    SELECT name, n FROM walk WHERE name IS NOT NULL
),
picked AS (
    SELECT p.*, w.n AS rank
    FROM walked AS w
    JOIN callback_deliveries AS p ON p.id IN (
        SELECT id FROM callback_deliveries
        WHERE status = 'pending' AND destination = w.name
          AND next_attempt_at <= ?5
          AND (lease_until IS NULL OR lease_until <= ?5)
          AND id NOT IN (SELECT value FROM json_each(?6))
        ORDER BY next_attempt_at, id
        LIMIT ?4)
    WHERE w.name NOT IN (SELECT value FROM json_each(?3))
    ORDER BY w.n, p.next_attempt_at, p.id
    LIMIT ?7
)
SELECT
    (SELECT json_group_array(name) FROM (SELECT name FROM walked ORDER BY n)),
    (SELECT json_group_array(json_object(
         'id', id, 'lease', lease + 1, 'webhook_id', webhook_id, 'callback', callback,
         'method', method, 'url', url, 'destination', destination, 'body', body,
         'attempts', attempts, 'created_at', created_at, 'next_attempt_at', next_attempt_at,
         'trace_context', trace_context))
     FROM (SELECT * FROM picked ORDER BY rank, next_attempt_at, id))";

/// Leases the deliveries whose ids are in the JSON array ?3 to ?1 until
/// ?2.
const LEASE: &str = "
UPDATE callback_deliveries
SET lease = lease + 1, lease_owner = ?1, lease_until = ?2
WHERE id IN (SELECT value FROM json_each(?3))";

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
    let skip: Vec<i64> = recorded.iter().map(|o| o.id.0).collect();
    let (walked, picked): (String, String) = sqlx::query_as(PICK)
        .bind(claim.after.as_str())
        .bind(i64::try_from(CLAIM_WALK).unwrap_or(i64::MAX))
        .bind(json(&claim.exclude)?)
        .bind(i64::try_from(claim.per_destination.max(1)).unwrap_or(i64::MAX))
        .bind(now)
        .bind(json(&skip)?)
        .bind(i64::try_from(claim.limit).unwrap_or(i64::MAX))
        .fetch_one(&mut *conn)
        .await?;
    let unreadable = |e: serde_json::Error| StoreError::corrupt(e.to_string());
    let walked: Vec<String> = serde_json::from_str(&walked).map_err(unreadable)?;
    let picked: Vec<ClaimedRow> = serde_json::from_str(&picked).map_err(unreadable)?;
    let mut claimed: Vec<Claimed> = super::super::rows::convert(picked)?;
    if !claimed.is_empty() {
        let ids: Vec<i64> = claimed.iter().map(|c| c.id.0).collect();
        sqlx::query(LEASE)
            .bind(claim.owner.as_str())
            .bind(now.saturating_add(millis(claim.lease)))
            .bind(json(&ids)?)
            .execute(&mut *conn)
            .await?;
    }
    sort_claimed(&mut claimed, &walked);
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

/// Makes an operator's change to delivery `id` at `now`, if its state
/// allows; otherwise says why not. One statement changes the row (atomic
/// by itself), so the step needs no savepoint.
async fn change(
    conn: &mut SqliteConnection,
    id: DeliveryId,
    action: Action,
    now: i64,
) -> Result<Change, StoreError> {
    let done = sqlx::query(&action.update_sql(|n| format!("?{n}")))
        .bind(id.0)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() > 0 {
        return Ok(Change::Done);
    }
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM callback_deliveries WHERE id = ?1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
    match status {
        None => Ok(Change::NotFound),
        Some(name) => Ok(Change::Conflict(super::super::rows::status(&name)?)),
    }
}
