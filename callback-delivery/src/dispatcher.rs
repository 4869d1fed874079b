//! The workers that drain a store: claim due deliveries, send them, record
//! what happened, and schedule the retries.
//!
//! One claiming loop keeps up to [`Dispatcher::workers`] sends in flight.
//! Each claimed delivery is leased for [`Dispatcher::lease`], longer than
//! the sender's total timeout, so that no other worker (in this process or
//! another one on the same store) sends it meanwhile; a worker that dies
//! leaves leases that expire, and its deliveries are claimed again. The
//! outcomes of finished sends are recorded in batches, one transaction each.
//!
//! Delivery is at least once: a crash between a send and its record sends
//! the delivery again after the lease expires, with the same `webhook-id`,
//! by which receivers deduplicate.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinHandle;

use crate::delivery::{unix_millis, Attempt, DeliveryId, NewDelivery, Status};
use crate::retry::RetryPolicy;
use crate::sender::{Reply, Request, SendError, Sender};
use crate::store::{Claimed, Next, Outcome, Store, StoreError};

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
            .ok_or_else(|| StoreError("the store queued nothing".into()))
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
    batch: usize,
    lease: Duration,
    poll: Duration,
    owner: String,
}

impl Dispatcher {
    /// A dispatcher sending `outbox`'s deliveries with `sender`: 16
    /// workers, the default [`RetryPolicy`], leases of the sender's timeout
    /// plus 30 s, and a look at the store at least every second (for
    /// deliveries queued by other processes and for expired leases).
    pub fn new(outbox: Outbox, sender: Sender) -> Dispatcher {
        Dispatcher {
            outbox,
            sender,
            retry: RetryPolicy::default(),
            workers: 16,
            batch: 64,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
            owner: format!(
                "{}-{}",
                std::process::id(),
                crate::delivery::new_webhook_id()
            ),
        }
    }

    /// How many sends are in flight at most.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// How many deliveries one claim takes at most.
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// The retry schedule.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long a claimed delivery stays leased; keep it longer than the
    /// sender's total timeout.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The longest wait between two looks at the store.
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// The name leases are taken under (default: the process id and a
    /// random suffix).
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into();
        self
    }

    /// Starts the workers on the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn spawn(self) -> DispatcherHandle {
        let stop = Arc::new(Notify::new());
        let (outcomes, received) = mpsc::channel(self.workers * 2 + self.batch);
        let recorder = tokio::spawn(record_loop(Arc::clone(self.outbox.store()), received));
        let claimer = tokio::spawn(claim_loop(Arc::new(self), outcomes, Arc::clone(&stop)));
        DispatcherHandle {
            stop,
            claimer,
            recorder,
        }
    }
}

/// A running dispatcher.
pub struct DispatcherHandle {
    stop: Arc<Notify>,
    claimer: JoinHandle<()>,
    recorder: JoinHandle<()>,
}

impl DispatcherHandle {
    /// Stops claiming, waits for the sends in flight and records them.
    pub async fn shutdown(self) {
        self.stop.notify_one();
        let _ = self.claimer.await;
        let _ = self.recorder.await;
    }

    /// Stops at once, without recording the sends in flight (their leases
    /// expire and they are sent again): what a crash does.
    pub fn abort(self) {
        self.claimer.abort();
        self.recorder.abort();
    }
}

async fn claim_loop(
    dispatcher: Arc<Dispatcher>,
    outcomes: mpsc::Sender<Outcome>,
    stop: Arc<Notify>,
) {
    let slots = Arc::new(Semaphore::new(dispatcher.workers));
    let store = Arc::clone(dispatcher.outbox.store());
    let mut sends = tokio::task::JoinSet::new();
    loop {
        // Wait for a free worker before claiming, so no lease waits unused.
        let first = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => permit.expect("the semaphore is never closed"),
            () = stop.notified() => break,
        };
        let free = slots.available_permits() + 1;
        let claimed = match store
            .claim(
                &dispatcher.owner,
                free.min(dispatcher.batch),
                dispatcher.lease,
            )
            .await
        {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "claiming deliveries failed");
                Vec::new()
            }
        };
        while sends.try_join_next().is_some() {}
        if claimed.is_empty() {
            drop(first);
            let wait = match store.next_due().await {
                Ok(Some(due)) => due
                    .duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO)
                    .min(dispatcher.poll),
                _ => dispatcher.poll,
            };
            if wait.is_zero() {
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                () = dispatcher.outbox.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
                () = stop.notified() => break,
            }
            continue;
        }
        let mut permit = Some(first);
        for delivery in claimed {
            let permit = match permit.take() {
                Some(p) => p,
                None => Arc::clone(&slots)
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed"),
            };
            let dispatcher = Arc::clone(&dispatcher);
            let outcomes = outcomes.clone();
            sends.spawn(async move {
                let outcome = attempt(&dispatcher, delivery).await;
                let _ = outcomes.send(outcome).await;
                drop(permit);
            });
        }
    }
    // Let the sends in flight finish; the recorder ends when the last
    // sender of outcomes is dropped.
    while sends.join_next().await.is_some() {}
}

/// Sends one claimed delivery and decides what comes next.
async fn attempt(dispatcher: &Dispatcher, delivery: Claimed) -> Outcome {
    let started = SystemTime::now();
    let clock = Instant::now();
    let result = dispatcher
        .sender
        .send(Request {
            method: &delivery.method,
            url: &delivery.url,
            webhook_id: &delivery.webhook_id,
            body: &delivery.body,
        })
        .await;
    let duration = clock.elapsed();
    let attempts = delivery.attempts + 1;
    let (status, error, body, next) = match result {
        Ok(reply) => {
            let next = decide(dispatcher, attempts, &reply);
            let error = (!reply.is_success()).then(|| format!("answered {}", reply.status));
            let body = String::from_utf8_lossy(&reply.body).into_owned();
            (Some(reply.status), error, Some(body), next)
        }
        Err(SendError::Refused(refusal)) => (
            None,
            Some(format!("refused: {refusal}")),
            None,
            Next::Finish(Status::Refused),
        ),
        Err(error) => {
            let next = retry_or_fail(dispatcher, attempts, None);
            (None, Some(error.to_string()), None, next)
        }
    };
    let outcome_name = match next {
        Next::Finish(status) => status.as_str(),
        Next::Retry(_) => "retry",
    };
    tracing::info!(
        delivery = delivery.id.0,
        webhook_id = %delivery.webhook_id,
        callback = %delivery.callback,
        url = %delivery.url,
        attempt = attempts,
        status = status,
        error = error.as_deref(),
        duration_ms = duration.as_millis() as u64,
        outcome = outcome_name,
        "delivery attempt"
    );
    Outcome {
        id: delivery.id,
        lease: delivery.lease,
        attempt: Some(Attempt {
            started_at: unix_millis(started),
            duration_ms: i64::try_from(duration.as_millis()).unwrap_or(i64::MAX),
            status,
            error,
            response_body: body,
        }),
        next,
    }
}

fn decide(dispatcher: &Dispatcher, attempts: u32, reply: &Reply) -> Next {
    match reply.status {
        200..=299 => Next::Finish(Status::Delivered),
        410 => Next::Finish(Status::Gone),
        _ => retry_or_fail(dispatcher, attempts, reply.retry_after),
    }
}

fn retry_or_fail(dispatcher: &Dispatcher, attempts: u32, retry_after: Option<Duration>) -> Next {
    match dispatcher.retry.delay(attempts, retry_after) {
        Some(wait) => Next::Retry(SystemTime::now() + wait),
        None => Next::Finish(Status::Failed),
    }
}

/// Records outcomes as they come, as many as are waiting in one
/// transaction.
async fn record_loop(store: Arc<dyn Store>, mut received: mpsc::Receiver<Outcome>) {
    let mut batch = Vec::with_capacity(256);
    while received.recv_many(&mut batch, 256).await > 0 {
        // A failed record is tried again: until it lands, the leases keep
        // the deliveries from being claimed, and if it never lands they
        // expire and the deliveries are sent again (at least once).
        let mut tries = 0;
        while let Err(error) = store.record(&batch).await {
            tries += 1;
            tracing::warn!(%error, tries, "recording delivery outcomes failed");
            if tries == 5 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100 << tries)).await;
        }
        batch.clear();
    }
}
