//! The workers that drain a store: claim due deliveries, send them, record
//! what happened, and schedule the retries.
//!
//! One scheduler keeps up to [`Dispatcher::workers`] sends in flight,
//! shared fairly between destinations (the origins of the callback URLs):
//! they take turns, each has a cap on its requests in flight that grows as
//! it answers (slow start), and a destination that cannot be reached has
//! its circuit breaker opened, so that its deliveries wait without holding
//! anyone else's up ([`DestinationPolicy`]). A dead destination so costs
//! one worker for one timeout, then nothing until its next probe.
//!
//! Each claimed delivery is leased for the sender's total timeout plus
//! [`Dispatcher::lease_margin`], so that no other worker (in this process
//! or another one on the same store) sends it meanwhile, however long the
//! timeout; a delivery whose lease would end before its attempt could is
//! given back instead of sent. A dispatcher that dies leaves leases that
//! expire, and its deliveries are claimed again. The store sees one
//! exchange per round: the outcomes that finished are recorded and the
//! next deliveries claimed together, in one transaction.
//!
//! Delivery is at least once: a crash between a send and its record sends
//! the delivery again after the lease expires, with the same `webhook-id`,
//! by which receivers deduplicate.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::delivery::{DeliveryId, NewDelivery};
use crate::retry::RetryPolicy;
use crate::sender::Sender;
use crate::store::{Store, StoreError};

mod attempt;
mod destination;
mod schedule;

pub use destination::DestinationPolicy;

/// Where the app queues deliveries: a store, plus a way to wake the
/// dispatcher so that a new delivery goes out at once. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// An outbox over `store`.
    pub fn new(store: impl Store) -> Outbox {
        Outbox::from_arc(Arc::new(store))
    }

    /// An outbox over a shared store.
    pub fn from_arc(store: Arc<dyn Store>) -> Outbox {
        Outbox {
            store,
            wake: Arc::new(Notify::new()),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Queues one delivery; once this returns, a durable store has it.
    pub async fn enqueue(
        &self,
        delivery: impl Into<NewDelivery>,
    ) -> Result<DeliveryId, StoreError> {
        let ids = self.enqueue_all(&[delivery.into()]).await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| StoreError::corrupt("the store queued nothing"))
    }

    /// Queues several deliveries at once (one transaction).
    pub async fn enqueue_all(
        &self,
        deliveries: &[NewDelivery],
    ) -> Result<Vec<DeliveryId>, StoreError> {
        let ids = self.store.enqueue(deliveries).await?;
        self.wake.notify_one();
        Ok(ids)
    }

    /// Wakes the dispatcher (after deliveries were queued another way, e.g.
    /// in the app's own transaction).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Drains an [`Outbox`]'s store. Configure it, then [`Dispatcher::spawn`].
pub struct Dispatcher {
    outbox: Outbox,
    sender: Sender,
    retry: RetryPolicy,
    workers: usize,
    destinations: DestinationPolicy,
    lease_margin: Duration,
    poll: Duration,
    batch_wait: Duration,
    owner: String,
}

impl Dispatcher {
    /// A dispatcher sending `outbox`'s deliveries with `sender`: 64
    /// workers, the default [`DestinationPolicy`] (16 in flight per
    /// destination at most) and [`RetryPolicy`], leases of the sender's
    /// total timeout plus 30 s, and a look at the store at least every
    /// second (for deliveries queued by other processes and for expired
    /// leases).
    pub fn new(outbox: Outbox, sender: Sender) -> Dispatcher {
        Dispatcher {
            outbox,
            sender,
            retry: RetryPolicy::default(),
            workers: 64,
            destinations: DestinationPolicy::default(),
            lease_margin: Duration::from_secs(30),
            poll: Duration::from_secs(1),
            batch_wait: Duration::from_millis(10),
            owner: format!(
                "{}-{}",
                std::process::id(),
                crate::delivery::new_webhook_id()
            ),
        }
    }

    /// How many sends are in flight at most, over all destinations.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// How each destination is treated: its cap on requests in flight, and
    /// its circuit breaker's backoff.
    pub fn destinations(mut self, policy: DestinationPolicy) -> Self {
        self.destinations = policy;
        self
    }

    /// The retry schedule.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How much longer than the sender's total timeout a claimed delivery
    /// stays leased (default 30 s). The lease always outlasts the timeout,
    /// so a slow answer never lets a second worker send the same delivery:
    /// a claimed delivery starts only while its lease has the whole timeout
    /// left, and is given back otherwise. The margin covers the wait
    /// between the claim and the start (at least a round of the store), and
    /// the clock difference between instances on a shared store.
    pub fn lease_margin(mut self, margin: Duration) -> Self {
        self.lease_margin = margin;
        self
    }

    /// The lease a claimed delivery gets: the sender's timeout plus the
    /// margin.
    pub fn lease(&self) -> Duration {
        self.sender.config().timeout + self.lease_margin
    }

    /// The longest wait between two looks at the store.
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// How long the outcome of a finished attempt may wait to be recorded
    /// together with others (default 10 ms): one statement then records
    /// many.
    pub fn batch_wait(mut self, wait: Duration) -> Self {
        self.batch_wait = wait;
        self
    }

    /// The name leases are taken under (default: the process id and a
    /// random suffix).
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into();
        self
    }

    /// Starts the dispatcher on the current tokio runtime. When the store
    /// has notifications of deliveries queued elsewhere ([`Store::wakeups`],
    /// PostgreSQL's `LISTEN`), the dispatcher listens to them too.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn spawn(self) -> DispatcherHandle {
        let stop = Arc::new(Notify::new());
        let listener = tokio::spawn(listen(
            Arc::clone(self.outbox.store()),
            Arc::clone(&self.outbox.wake),
        ));
        let scheduler = tokio::spawn(schedule::run(Arc::new(self), Arc::clone(&stop)));
        DispatcherHandle {
            stop,
            scheduler,
            listener,
        }
    }
}

/// Forwards the store's notifications to the dispatcher, reconnecting
/// after a lost connection.
async fn listen(store: Arc<dyn Store>, wake: Arc<Notify>) {
    loop {
        match store.wakeups().await {
            Ok(None) => return,
            Ok(Some(mut wakeups)) => {
                while wakeups.recv().await.is_ok() {
                    wake.notify_one();
                }
            }
            Err(error) => tracing::warn!(%error, "listening for queued deliveries failed"),
        }
        // Deliveries announced meanwhile are found by the next poll.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A running dispatcher.
pub struct DispatcherHandle {
    stop: Arc<Notify>,
    scheduler: JoinHandle<()>,
    listener: JoinHandle<()>,
}

impl DispatcherHandle {
    /// Stops claiming, gives back the deliveries claimed but not yet sent,
    /// waits for the sends in flight and records them.
    pub async fn shutdown(self) {
        self.listener.abort();
        self.stop.notify_one();
        let _ = self.scheduler.await;
    }

    /// Stops at once, without recording the sends in flight (their leases
    /// expire and they are sent again): what a crash does.
    pub fn abort(self) {
        self.listener.abort();
        self.scheduler.abort();
    }
}
