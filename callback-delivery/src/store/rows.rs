//! The rows both databases return, mapped by `sqlx::FromRow` and turned
//! into the crate's types in one place. The tables are the same on SQLite
//! and PostgreSQL (integers are 64-bit on both), so one mapping serves
//! both.

use crate::delivery::{Attempt, Delivery, DeliveryId, Status};

use super::{Claimed, StoreError};

/// The columns a [`Delivery`] is read from.
pub(super) const DELIVERY_COLUMNS: &str = "id, webhook_id, callback, method, url, destination, \
     status, attempts, last_error, last_status, created_at, next_attempt_at, finished_at, trace_context";

/// The columns an [`Attempt`] is read from.
pub(super) const ATTEMPT_COLUMNS: &str = "started_at, duration_ms, status, error, response_body";

#[derive(sqlx::FromRow)]
pub(super) struct DeliveryRow {
    id: i64,
    webhook_id: String,
    callback: String,
    method: String,
    url: String,
    destination: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    last_status: Option<i64>,
    created_at: i64,
    next_attempt_at: Option<i64>,
    finished_at: Option<i64>,
    trace_context: Option<String>,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;

    fn try_from(row: DeliveryRow) -> Result<Delivery, StoreError> {
        Ok(Delivery {
            id: DeliveryId(row.id),
            webhook_id: row.webhook_id,
            callback: row.callback,
            method: row.method,
            url: row.url,
            destination: row.destination,
            status: status(&row.status)?,
            attempts: count(row.attempts)?,
            last_error: row.last_error,
            last_status: row.last_status.map(http_status).transpose()?,
            created_at: row.created_at,
            next_attempt_at: row.next_attempt_at,
            finished_at: row.finished_at,
            trace_id: row.trace_context.as_deref().and_then(trace_id),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AttemptRow {
    started_at: i64,
    duration_ms: i64,
    status: Option<i64>,
    error: Option<String>,
    response_body: Option<String>,
}

impl TryFrom<AttemptRow> for Attempt {
    type Error = StoreError;

    fn try_from(row: AttemptRow) -> Result<Attempt, StoreError> {
        Ok(Attempt {
            started_at: row.started_at,
            duration_ms: row.duration_ms,
            status: row.status.map(http_status).transpose()?,
            error: row.error,
            response_body: row.response_body,
        })
    }
}

/// Read by `FromRow` from PostgreSQL, and from the JSON object the SQLite
/// writer's claim returns (one result row for a whole claim).
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct ClaimedRow {
    id: i64,
    lease: i64,
    webhook_id: String,
    callback: String,
    method: String,
    url: String,
    destination: String,
    body: String,
    attempts: i64,
    created_at: i64,
    next_attempt_at: Option<i64>,
    trace_context: Option<String>,
}

impl TryFrom<ClaimedRow> for Claimed {
    type Error = StoreError;

    fn try_from(row: ClaimedRow) -> Result<Claimed, StoreError> {
        Ok(Claimed {
            id: DeliveryId(row.id),
            lease: row.lease,
            webhook_id: row.webhook_id,
            callback: row.callback,
            method: row.method,
            url: row.url,
            destination: row.destination,
            body: row.body,
            attempts: count(row.attempts)?,
            created_at: row.created_at,
            due_at: row.next_attempt_at.unwrap_or(row.created_at),
            trace_context: row.trace_context,
        })
    }
}

/// Maps rows, failing on the first that cannot be read.
pub(super) fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

/// The trace id of a W3C `traceparent`.
pub(super) fn trace_id(traceparent: &str) -> Option<String> {
    traceparent.split('-').nth(1).map(str::to_owned)
}

pub(super) fn status(name: &str) -> Result<Status, StoreError> {
    Status::parse(name)
        .ok_or_else(|| StoreError::corrupt(format!("unknown delivery status {name:?}")))
}

fn http_status(code: i64) -> Result<u16, StoreError> {
    u16::try_from(code).map_err(|_| StoreError::corrupt(format!("HTTP status {code} out of range")))
}

fn count(n: i64) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::corrupt(format!("attempt count {n} out of range")))
}
