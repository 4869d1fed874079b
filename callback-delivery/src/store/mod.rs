//! Where deliveries wait: the store interface and its implementations.
//!
//! - [`SqliteStore`]: an embedded, durable store, the default. Once
//!   [`Store::enqueue`] returns, the deliveries survive a crash of the
//!   process.
//! - [`PostgresStore`]: a PostgreSQL database, shared by several instances
//!   of the app draining one queue; the app can queue deliveries in its own
//!   transactions ([`PostgresStore::enqueue_in`]).
//! - [`MemoryStore`]: for tests, chosen explicitly; it loses everything when
//!   the process ends.
//!
//! A worker *claims* due deliveries: each claimed delivery is leased to it
//! until a deadline, so that no other worker sends it meanwhile, and a dead
//! worker's deliveries are taken up again once their lease expires. The
//! worker then *records* each attempt's outcome; the record applies only if
//! the lease is still the worker's.
//!
//! Finished deliveries stay, for the deliveries view, until they are pruned
//! ([`Store::prune`], or in the background with [`spawn_pruner`]).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use crate::delivery::{Attempt, Delivery, DeliveryId, NewDelivery, Status};

mod memory;
mod postgres;
mod retention;
mod sqlite;
#[cfg(test)]
mod tests;

pub use memory::MemoryStore;
pub use postgres::{PostgresStore, Wakeups, NOTIFY_CHANNEL};
pub use retention::spawn_pruner;
pub use sqlite::SqliteStore;

/// A boxed future, so that [`Store`] can be used as `dyn Store`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a store operation failed.
#[derive(Debug)]
pub struct StoreError(pub Box<dyn std::error::Error + Send + Sync>);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "delivery store: {}", self.0)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

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
    /// The JSON body.
    pub body: String,
    /// Attempts made before this claim.
    pub attempts: u32,
    /// When it was queued, in milliseconds since the Unix epoch.
    pub created_at: i64,
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
    /// What the attempt did; `None` when nothing was sent (a refused
    /// address records its reason with `Next::Finish(Status::Refused)` and
    /// an attempt whose `error` says why).
    pub attempt: Option<Attempt>,
    /// What comes next.
    pub next: Next,
}

/// Which deliveries [`Store::list`] returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only deliveries in this state.
    pub status: Option<Status>,
    /// Only deliveries with a smaller id (to page backwards).
    pub before: Option<DeliveryId>,
    /// At most this many (the store may cap it).
    pub limit: usize,
}

/// Where deliveries wait. Implementations are shared between the app's
/// handlers (which queue) and the dispatcher's workers (which claim and
/// record).
pub trait Store: Send + Sync + 'static {
    /// Queues deliveries, each with a fresh `webhook-id`, due now. A
    /// delivery with [`NewDelivery::refused`] set is stored as
    /// [`Status::Refused`] with that reason and never claimed. Returns
    /// their ids in order, once they are stored durably (for a durable
    /// store).
    fn enqueue<'a>(
        &'a self,
        deliveries: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<Vec<DeliveryId>, StoreError>>;

    /// Leases up to `limit` pending deliveries that are due (next attempt at
    /// or before now) and not leased, or whose lease has expired, to
    /// `owner` for `lease`, oldest due first.
    fn claim<'a>(
        &'a self,
        owner: &'a str,
        limit: usize,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>>;

    /// Records outcomes of attempts: appends each attempt to its delivery's
    /// log, counts it, and moves the delivery to its next state, releasing
    /// the lease. An outcome whose lease is no longer current (it expired
    /// and another worker claimed the delivery) is ignored. Returns how many
    /// outcomes applied.
    fn record<'a>(&'a self, outcomes: &'a [Outcome]) -> BoxFuture<'a, Result<usize, StoreError>>;

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

    /// The earliest time a pending, unleased delivery is due, if any (the
    /// dispatcher sleeps until then when there is nothing to claim).
    fn next_due(&self) -> BoxFuture<'_, Result<Option<SystemTime>, StoreError>>;

    /// Deletes finished deliveries (every state but pending: delivered,
    /// failed, refused and gone) whose final state was reached more than
    /// `older_than` ago, with their attempts. Deletes at most `batch`
    /// deliveries (at least one) per transaction, so that no lock is held
    /// long, and repeats until none is left. Returns how many deliveries
    /// were deleted.
    fn prune(&self, older_than: Duration, batch: usize) -> BoxFuture<'_, Result<u64, StoreError>>;
}
