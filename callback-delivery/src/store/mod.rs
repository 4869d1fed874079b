//! Where deliveries wait: the store interface and its implementations.
//!
//! Each database is a feature of the crate: `sqlite` (on by default) and
//! `postgres`.
//!
//! - `SqliteStore`: an embedded, durable store, the default. Once
//!   [`Store::enqueue`] returns, the deliveries are on disk: they survive a
//!   crash of the process and, with the default [`Durability::PowerLoss`],
//!   a power cut.
//! - `PostgresStore`: a PostgreSQL database, shared by several instances
//!   of the app draining one queue; the app can queue deliveries in its own
//!   transactions (`PostgresStore::enqueue_in`).
//! - [`MemoryStore`]: for tests, chosen explicitly; it loses everything when
//!   the process ends.
//!
//! Both databases keep the same tables (`callback_deliveries`,
//! `callback_attempts`), built by the same numbered migrations
//! (`migrations/sqlite`, `migrations/postgres`, applied by
//! `sqlx::migrate!`).
//!
//! # Claims, leases and destinations
//!
//! A worker *claims* due deliveries: each claimed delivery is leased to it
//! until a deadline, so that no other worker sends it meanwhile, and a dead
//! worker's deliveries are taken up again once their lease expires. The
//! worker then *records* each attempt's outcome; the record applies only if
//! the lease is still the worker's. [`Store::exchange`] does both in one
//! step, which is how the dispatcher uses a store.
//!
//! Every delivery belongs to a *destination*, the origin of its URL
//! (scheme, host and port: [`destination_of`]). A claim walks the
//! destinations that have pending deliveries, in order of name, and takes
//! a few from each ([`ClaimRequest::per_destination`]), skipping the ones
//! the dispatcher names ([`ClaimRequest::exclude`]: those whose circuit
//! breaker is open, or that have as many requests in flight as they may).
//! So a destination with a hundred thousand deliveries waiting takes its
//! share of each claim, not all of it, and a destination that is down
//! costs a claim nothing.
//!
//! Finished deliveries stay, for the deliveries view, until they are pruned
//! ([`Store::prune`], or in the background with [`spawn_pruner`]).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use crate::delivery::{Attempt, Delivery, DeliveryId, NewDelivery, Status};

mod error;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod legacy;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod retention;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod rows;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(test)]
mod tests;

pub use crate::delivery::destination_of;
pub use error::{BoxError, StoreError};
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{PgWakeups, PostgresStore, NOTIFY_CHANNEL};
pub use retention::spawn_pruner;
#[cfg(feature = "sqlite")]
pub use sqlite::{Durability, SqliteConfig, SqliteStore};

/// A boxed future, so that [`Store`] can be used as `dyn Store`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How many destinations one claim visits at most, in its walk; the next
/// claim goes on from where it stopped ([`Exchange::resume_after`]).
pub const CLAIM_WALK: usize = 1000;

/// A delivery leased to a worker, with what it needs to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The key in the store.
    pub id: DeliveryId,
    /// Identifies this lease: a record applies only with the lease it was
    /// claimed under.
    pub lease: i64,
    /// The Standard Webhooks `webhook-id`.
    pub webhook_id: String,
    /// Which declaration it comes from.
    pub callback: String,
    /// The HTTP method.
    pub method: String,
    /// Where to send it.
    pub url: String,
    /// The origin of the URL ([`destination_of`]).
    pub destination: String,
    /// The JSON body.
    pub body: String,
    /// Attempts made before this claim.
    pub attempts: u32,
    /// When it was queued, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// When it was due, in milliseconds since the Unix epoch.
    pub due_at: i64,
    /// The W3C `traceparent` of the span that queued it, if it was traced
    /// (feature `otel`).
    pub trace_context: Option<String>,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again at this time.
    Retry(SystemTime),
    /// Final: the delivery is in this state (never `Pending`).
    Finish(Status),
}

/// The outcome of one attempt of a claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The delivery.
    pub id: DeliveryId,
    /// The lease it was claimed under ([`Claimed::lease`]).
    pub lease: i64,
    /// What the attempt did. `None` when no attempt was made: a delivery
    /// deferred because its destination's circuit breaker is open, or given
    /// back because its lease would not outlast an attempt. The attempt
    /// count and last error stay as they were.
    pub attempt: Option<Attempt>,
    /// What comes next.
    pub next: Next,
}

impl Outcome {
    /// Gives a claimed delivery back without an attempt, due at `at`.
    pub fn defer(claimed: &Claimed, at: SystemTime) -> Outcome {
        Outcome {
            id: claimed.id,
            lease: claimed.lease,
            attempt: None,
            next: Next::Retry(at),
        }
    }
}

/// What one claim takes: see [`Store::exchange`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// Who the leases are taken for.
    pub owner: String,
    /// At most this many deliveries in all (0 claims nothing).
    pub limit: usize,
    /// At most this many deliveries of one destination.
    pub per_destination: usize,
    /// Destinations to leave alone this time.
    pub exclude: Vec<String>,
    /// The walk starts after this destination (`""`: at the first).
    pub after: String,
    /// How long the leases last.
    pub lease: Duration,
}

impl ClaimRequest {
    /// Up to `limit` deliveries for `owner`, leased for `lease`, with no
    /// limit per destination, nothing excluded, from the first destination.
    pub fn new(owner: impl Into<String>, limit: usize, lease: Duration) -> ClaimRequest {
        ClaimRequest {
            owner: owner.into(),
            limit,
            per_destination: limit,
            exclude: Vec::new(),
            after: String::new(),
            lease,
        }
    }

    /// A request that claims nothing (to record only).
    pub fn nothing() -> ClaimRequest {
        ClaimRequest::new("", 0, Duration::ZERO)
    }
}

/// What [`Store::exchange`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exchange {
    /// How many outcomes applied (the others' leases were no longer
    /// current).
    pub recorded: usize,
    /// The deliveries claimed, in the order of the walk (by destination,
    /// then oldest due first).
    pub claimed: Vec<Claimed>,
    /// Where the next claim's walk should start: `None` when this one went
    /// through the last destination.
    pub resume_after: Option<String>,
}

/// Which deliveries [`Store::list`] returns, newest first (by id). Each
/// condition that is set narrows the list; [`ListFilter::default`] lists
/// every delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only deliveries in this state.
    pub status: Option<Status>,
    /// Only deliveries of this declaration ([`Delivery::callback`], exactly).
    pub callback: Option<String>,
    /// Only deliveries to this destination ([`Delivery::destination`],
    /// exactly: an origin as [`destination_of`] writes it).
    pub destination: Option<String>,
    /// Only deliveries queued at or after this time (milliseconds since the
    /// Unix epoch).
    pub since: Option<i64>,
    /// Only deliveries queued before this time (milliseconds since the Unix
    /// epoch).
    pub until: Option<i64>,
    /// Only deliveries with a smaller id: the cursor of the next page is the
    /// id of the last delivery of this one.
    pub before: Option<DeliveryId>,
    /// At most this many (the store may cap it).
    pub limit: usize,
}

impl ListFilter {
    /// How many deliveries a list returns at most: [`ListFilter::limit`],
    /// or 100 when it is 0, and never more than 1000.
    pub fn page_size(&self) -> usize {
        match self.limit {
            0 => LIST_DEFAULT,
            n => n.min(LIST_CAP),
        }
    }

    /// Whether `delivery` meets every condition of the filter (the limit
    /// aside).
    pub fn matches(&self, delivery: &Delivery) -> bool {
        self.status.is_none_or(|s| delivery.status == s)
            && self
                .callback
                .as_ref()
                .is_none_or(|c| delivery.callback == *c)
            && self
                .destination
                .as_ref()
                .is_none_or(|d| delivery.destination == *d)
            && self.since.is_none_or(|t| delivery.created_at >= t)
            && self.until.is_none_or(|t| delivery.created_at < t)
            && self.before.is_none_or(|id| delivery.id < id)
    }
}

// The answer of `Store::counts`.
/// How many deliveries are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(
    feature = "schemars",
    derive(schemars::JsonSchema),
    schemars(rename = "DeliveryCounts")
)]
pub struct StatusCounts {
    /// Waiting for an attempt, or in flight.
    pub pending: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed after the whole schedule.
    pub failed: u64,
    /// Refused by the URL checks or the SSRF guard.
    pub refused: u64,
    /// Answered 410 Gone.
    pub gone: u64,
    /// Cancelled by an operator.
    pub cancelled: u64,
}

impl StatusCounts {
    /// The count of `status`.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::Pending => self.pending,
            Status::Delivered => self.delivered,
            Status::Failed => self.failed,
            Status::Refused => self.refused,
            Status::Gone => self.gone,
            Status::Cancelled => self.cancelled,
        }
    }

    /// Adds `count` to the count of `status`.
    pub fn add(&mut self, status: Status, count: u64) {
        let slot = match status {
            Status::Pending => &mut self.pending,
            Status::Delivered => &mut self.delivered,
            Status::Failed => &mut self.failed,
            Status::Refused => &mut self.refused,
            Status::Gone => &mut self.gone,
            Status::Cancelled => &mut self.cancelled,
        };
        *slot = slot.saturating_add(count);
    }

    /// All deliveries, in every state.
    pub fn total(&self) -> u64 {
        Status::ALL
            .into_iter()
            .fold(0u64, |sum, status| sum.saturating_add(self.get(status)))
    }
}

/// What an operator's change to one delivery did ([`Store::retry`],
/// [`Store::cancel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The delivery changed state.
    Done,
    /// No delivery has this id.
    NotFound,
    /// The delivery is in this state, to which the change does not apply:
    /// nothing changed.
    Conflict(Status),
}

/// The queue's counts at one moment ([`Store::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Pending deliveries, due or not, in flight or not.
    pub pending: u64,
    /// Pending deliveries due now and not leased.
    pub due: u64,
    /// When the oldest of those became due, in milliseconds since the Unix
    /// epoch.
    pub oldest_due_at: Option<i64>,
}

/// Notifications that deliveries were queued, possibly by another process
/// ([`Store::wakeups`]).
pub trait Wakeups: Send {
    /// Waits for the next notification.
    ///
    /// # Errors
    ///
    /// When the source of notifications is lost for good.
    fn recv(&mut self) -> BoxFuture<'_, Result<(), StoreError>>;
}

/// Where deliveries wait. Implementations are shared between the app's
/// handlers (which queue) and the dispatcher's workers (which claim and
/// record).
pub trait Store: Send + Sync + 'static {
    /// Queues deliveries, each with a fresh `webhook-id`, due now. A
    /// delivery with [`NewDelivery::refused`] set is stored as
    /// [`Status::Refused`] with that reason and never claimed. Returns
    /// their ids in order, once they are stored durably (for a durable
    /// store). The deliveries of one call are stored together or not at
    /// all; a call that fails does not fail the calls queued beside it.
    fn enqueue<'a>(
        &'a self,
        deliveries: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<Vec<DeliveryId>, StoreError>>;

    /// Records `outcomes`, then claims deliveries as `claim` asks, as one
    /// step.
    ///
    /// Recording appends each attempt to its delivery's log, counts it, and
    /// moves the delivery to its next state, releasing the lease. An
    /// outcome whose lease is no longer current (it expired and another
    /// worker claimed the delivery) is ignored. An outcome that finishes a
    /// delivery as pending is refused ([`StoreError::Invalid`]).
    ///
    /// Claiming walks the destinations with pending deliveries in order of
    /// name, starting after [`ClaimRequest::after`] and visiting at most
    /// [`CLAIM_WALK`] of them, skips those in [`ClaimRequest::exclude`],
    /// and leases up to [`ClaimRequest::per_destination`] due deliveries of
    /// each (due at or before now, and not leased or with an expired
    /// lease), oldest due first, until [`ClaimRequest::limit`] are leased.
    /// Deliveries named by `outcomes` are not claimed again in the same
    /// step.
    fn exchange<'a>(
        &'a self,
        outcomes: &'a [Outcome],
        claim: &'a ClaimRequest,
    ) -> BoxFuture<'a, Result<Exchange, StoreError>>;

    /// Deliveries matching `filter`, newest first.
    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>>;

    /// One delivery and its attempts, oldest first.
    #[allow(clippy::type_complexity)] // read once, here; an alias would hide it
    fn get(
        &self,
        id: DeliveryId,
    ) -> BoxFuture<'_, Result<Option<(Delivery, Vec<Attempt>)>, StoreError>>;

    /// Sends a finished delivery again: one in state `failed`, `gone` or
    /// `refused` ([`Status::is_retryable`]) becomes pending, due now, with
    /// the same `webhook-id`; its attempts, their log and its last error
    /// stay, and its next attempt is one more. The dispatcher vets that
    /// attempt as any other (the SSRF guard included), and counts it
    /// against the retry schedule: a delivery that had used up its schedule
    /// is failed again if the new attempt fails.
    ///
    /// The delivery's lease number moves on, so that a record from an
    /// earlier lease (a late duplicate) cannot apply to the new attempt.
    /// Nothing changes, and [`Change::Conflict`] says why, for a delivery
    /// in another state.
    fn retry(&self, id: DeliveryId) -> BoxFuture<'_, Result<Change, StoreError>>;

    /// Stops a pending delivery: it becomes `cancelled` (a final state) and
    /// is never claimed again. Its lease number moves on, so that the
    /// record of an attempt in flight when it was cancelled does not apply:
    /// that request may still reach the receiver, but the delivery stays
    /// cancelled and the attempt is not logged. Nothing changes, and
    /// [`Change::Conflict`] says why, for a delivery in another state.
    fn cancel(&self, id: DeliveryId) -> BoxFuture<'_, Result<Change, StoreError>>;

    /// How many deliveries are in each state.
    fn counts(&self) -> BoxFuture<'_, Result<StatusCounts, StoreError>>;

    /// Deletes finished deliveries (every state but pending: delivered,
    /// failed, refused, gone and cancelled) whose final state was reached more than
    /// `older_than` ago, with their attempts. Deletes at most `batch`
    /// deliveries (at least one) per transaction, so that no lock is held
    /// long, and repeats until none is left. Returns how many deliveries
    /// were deleted.
    fn prune(&self, older_than: Duration, batch: usize) -> BoxFuture<'_, Result<u64, StoreError>>;

    /// The queue's counts now, for metrics; `None` from a store that does
    /// not count.
    fn stats(&self) -> BoxFuture<'_, Result<Option<QueueStats>, StoreError>> {
        Box::pin(async { Ok(None) })
    }

    /// Notifications of deliveries queued elsewhere (by another instance of
    /// the app on a shared database), if the store has them: the
    /// dispatcher then claims at once instead of at its next look.
    fn wakeups(&self) -> BoxFuture<'_, Result<Option<Box<dyn Wakeups>>, StoreError>> {
        Box::pin(async { Ok(None) })
    }

    /// Claims deliveries as `claim` asks, recording nothing: see
    /// [`Store::exchange`].
    fn claim<'a>(
        &'a self,
        claim: &'a ClaimRequest,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>> {
        Box::pin(async move { Ok(self.exchange(&[], claim).await?.claimed) })
    }

    /// Records outcomes, claiming nothing: see [`Store::exchange`]. Returns
    /// how many applied.
    fn record<'a>(&'a self, outcomes: &'a [Outcome]) -> BoxFuture<'a, Result<usize, StoreError>> {
        Box::pin(async move {
            let nothing = ClaimRequest::nothing();
            Ok(self.exchange(outcomes, &nothing).await?.recorded)
        })
    }
}

/// Refuses an outcome that would leave a delivery pending without a retry.
pub(crate) fn check_outcomes(outcomes: &[Outcome]) -> Result<(), StoreError> {
    if outcomes
        .iter()
        .any(|o| o.next == Next::Finish(Status::Pending))
    {
        return Err(StoreError::invalid(
            "an outcome cannot finish a delivery as pending",
        ));
    }
    Ok(())
}

/// Splits outcomes into runs that name each delivery once, in order.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn distinct_batches(outcomes: &[Outcome]) -> Vec<Vec<&Outcome>> {
    let mut batches: Vec<Vec<&Outcome>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for outcome in outcomes {
        if batches.is_empty() || !seen.insert(outcome.id) {
            seen.clear();
            seen.insert(outcome.id);
            batches.push(Vec::new());
        }
        if let Some(last) = batches.last_mut() {
            last.push(outcome);
        }
    }
    batches
}

/// Where the next claim's walk starts, given the destinations this one
/// walked (in order) and what it claimed: after the last claimed
/// destination when the limit was reached, after the last walked one when
/// the walk was cut short, and from the start when it reached the end.
pub(crate) fn resume_after(
    walked: &[String],
    claimed: &[Claimed],
    claim: &ClaimRequest,
) -> Option<String> {
    if claim.limit > 0 && claimed.len() >= claim.limit {
        return claimed.last().map(|c| c.destination.clone());
    }
    if walked.len() >= CLAIM_WALK {
        return walked.last().cloned();
    }
    None
}

/// Orders claimed deliveries as the walk visited them: by the position of
/// their destination in `walked`, then oldest due first.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn sort_claimed(claimed: &mut [Claimed], walked: &[String]) {
    claimed.sort_by_cached_key(|c| {
        let position = walked
            .iter()
            .position(|w| *w == c.destination)
            .unwrap_or(usize::MAX);
        (position, c.due_at, c.id)
    });
}

/// The state, next attempt time and finish time an outcome leads to.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn next_state(next: Next, now: i64) -> (Status, Option<i64>, Option<i64>) {
    match next {
        Next::Retry(at) => (
            Status::Pending,
            Some(crate::delivery::unix_millis(at)),
            None,
        ),
        Next::Finish(status) => (status, None, Some(now)),
    }
}

/// A duration in whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The queue's counts at ?1 (now): pending, due and not leased, the
/// oldest due time. SQLite's spelling; PostgreSQL's in its store.
#[cfg(feature = "sqlite")]
pub(crate) const STATS_SQLITE: &str = "
SELECT COUNT(*),
       SUM(next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)),
       MIN(CASE WHEN next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
                THEN next_attempt_at END)
FROM callback_deliveries WHERE status = 'pending'";

/// [`Store::list`] returns at most this many deliveries.
pub(crate) const LIST_CAP: usize = 1000;

/// [`Store::list`] returns this many deliveries when the filter's limit is 0.
pub(crate) const LIST_DEFAULT: usize = 100;

/// An operator's change to one delivery, as the stores carry it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// [`Store::retry`].
    Retry,
    /// [`Store::cancel`].
    Cancel,
}

impl Action {
    /// Whether the change applies to a delivery in `status`.
    pub(crate) fn applies(self, status: Status) -> bool {
        match self {
            Action::Retry => status.is_retryable(),
            Action::Cancel => status == Status::Pending,
        }
    }

    /// The state the change leads to.
    pub(crate) fn to(self) -> Status {
        match self {
            Action::Retry => Status::Pending,
            Action::Cancel => Status::Cancelled,
        }
    }

    /// The statement that makes the change to the delivery of the first
    /// parameter at the time of the second (both databases read it, with
    /// parameters written by `placeholder`): the new state, the next
    /// attempt due then (a retry) or the delivery finished then (a cancel),
    /// and a new lease number, free. It changes nothing unless the
    /// delivery is in a state the change applies to.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn update_sql(self, placeholder: fn(usize) -> String) -> String {
        let from: Vec<String> = Status::ALL
            .into_iter()
            .filter(|s| self.applies(*s))
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let (id, now) = (placeholder(1), placeholder(2));
        let (next, finished) = match self.to() {
            Status::Pending => (now.as_str(), "NULL"),
            _ => ("NULL", now.as_str()),
        };
        format!(
            "UPDATE callback_deliveries
SET status = '{to}', next_attempt_at = {next}, finished_at = {finished},
    lease = lease + 1, lease_owner = NULL, lease_until = NULL
WHERE id = {id} AND status IN ({from})",
            to = self.to().as_str(),
            from = from.join(", "),
        )
    }
}

/// A value bound to a statement of [`list_sql`].
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bind<'a> {
    Int(i64),
    Text(&'a str),
}

/// The statement that lists what `filter` asks, newest first, in SQL both
/// databases read, with parameters written by `placeholder` (given their
/// position, from 1), and the values to bind, in order.
///
/// Only the conditions in use appear, so that the plan walks the primary
/// key (or an index of the filtered column) newest first. The state is
/// written out, not bound (it is one of a few fixed names), so that even a
/// generic plan knows whether the partial indexes apply.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn list_sql(
    filter: &ListFilter,
    placeholder: fn(usize) -> String,
) -> (String, Vec<Bind<'_>>) {
    let mut sql = format!(
        "SELECT {} FROM callback_deliveries WHERE 1 = 1",
        rows::DELIVERY_COLUMNS
    );
    if let Some(status) = filter.status {
        sql.push_str(&format!(" AND status = '{}'", status.as_str()));
    }
    let conditions = [
        ("callback =", filter.callback.as_deref().map(Bind::Text)),
        (
            "destination =",
            filter.destination.as_deref().map(Bind::Text),
        ),
        ("created_at >=", filter.since.map(Bind::Int)),
        ("created_at <", filter.until.map(Bind::Int)),
        ("id <", filter.before.map(|id| Bind::Int(id.0))),
    ];
    let mut binds = Vec::new();
    for (test, value) in conditions {
        if let Some(value) = value {
            binds.push(value);
            sql.push_str(&format!(" AND {test} {}", placeholder(binds.len())));
        }
    }
    binds.push(Bind::Int(
        i64::try_from(filter.page_size()).unwrap_or(i64::MAX),
    ));
    sql.push_str(&format!(
        " ORDER BY id DESC LIMIT {}",
        placeholder(binds.len())
    ));
    (sql, binds)
}
