//! An in-memory store, for tests.
//!
//! It keeps the same rules as [`SqliteStore`](super::SqliteStore) (the
//! shared test suite holds both to them) behind one mutex: each operation
//! runs whole under the lock, which makes it a transaction. Nothing is
//! durable: everything is lost with the process.
//!
//! Leases work as in the SQLite store: a claim adds one to the delivery's
//! lease number and sets the lease's owner and deadline; a lease is live
//! strictly before its deadline; a record applies only with the current
//! lease number.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::{BoxFuture, Claimed, ListFilter, Next, Outcome, Store, StoreError};
use crate::delivery::{
    from_unix_millis, new_webhook_id, unix_millis, Attempt, Delivery, DeliveryId, NewDelivery,
    Status,
};

/// [`Store::list`] returns at most this many deliveries.
const LIST_CAP: usize = 1000;

/// [`Store::list`] returns this many deliveries when the filter's limit is 0.
const LIST_DEFAULT: usize = 100;

/// An in-memory [`Store`]: nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The last id given.
    last_id: i64,
    /// By id, so oldest first.
    rows: BTreeMap<i64, Row>,
}

#[derive(Debug)]
struct Row {
    delivery: Delivery,
    body: String,
    attempts: Vec<Attempt>,
    lease: i64,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
}

impl Row {
    /// Whether the row can be claimed at `now`.
    fn claimable(&self, now: i64) -> bool {
        self.delivery.status == Status::Pending
            && self.delivery.next_attempt_at.is_some_and(|at| at <= now)
            && self.lease_until.is_none_or(|until| until <= now)
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError("the in-memory store's lock is poisoned".into()))
    }

    fn enqueue_now(&self, deliveries: &[NewDelivery]) -> Result<Vec<DeliveryId>, StoreError> {
        let now = unix_millis(SystemTime::now());
        let mut inner = self.lock()?;
        let mut ids = Vec::with_capacity(deliveries.len());
        for new in deliveries {
            inner.last_id += 1;
            let id = inner.last_id;
            let (status, next_attempt_at, finished_at) = match new.refused {
                None => (Status::Pending, Some(now), None),
                Some(_) => (Status::Refused, None, Some(now)),
            };
            let delivery = Delivery {
                id: DeliveryId(id),
                webhook_id: new_webhook_id(),
                callback: new.callback.clone(),
                method: new.method.clone(),
                url: new.url.clone(),
                status,
                attempts: 0,
                last_error: new.refused.clone(),
                last_status: None,
                created_at: now,
                next_attempt_at,
                finished_at,
            };
            let row = Row {
                delivery,
                body: new.body.clone(),
                attempts: Vec::new(),
                lease: 0,
                lease_owner: None,
                lease_until: None,
            };
            inner.rows.insert(id, row);
            ids.push(DeliveryId(id));
        }
        Ok(ids)
    }

    fn claim_now(
        &self,
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Claimed>, StoreError> {
        let now = unix_millis(SystemTime::now());
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let mut inner = self.lock()?;
        let mut due: Vec<(i64, i64)> = inner
            .rows
            .iter()
            .filter(|(_, row)| row.claimable(now))
            .map(|(id, row)| (row.delivery.next_attempt_at.unwrap_or(now), *id))
            .collect();
        due.sort_unstable();
        due.truncate(limit);
        let mut claimed = Vec::with_capacity(due.len());
        for (_, id) in due {
            let Some(row) = inner.rows.get_mut(&id) else {
                continue;
            };
            row.lease += 1;
            row.lease_owner = Some(owner.to_owned());
            row.lease_until = Some(until);
            claimed.push(Claimed {
                id: DeliveryId(id),
                lease: row.lease,
                webhook_id: row.delivery.webhook_id.clone(),
                callback: row.delivery.callback.clone(),
                method: row.delivery.method.clone(),
                url: row.delivery.url.clone(),
                body: row.body.clone(),
                attempts: row.delivery.attempts,
                created_at: row.delivery.created_at,
            });
        }
        Ok(claimed)
    }

    fn record_now(&self, outcomes: &[Outcome]) -> Result<usize, StoreError> {
        if outcomes
            .iter()
            .any(|o| o.next == Next::Finish(Status::Pending))
        {
            return Err(StoreError(
                "an outcome cannot finish a delivery as pending".into(),
            ));
        }
        let now = unix_millis(SystemTime::now());
        let mut inner = self.lock()?;
        let mut applied = 0;
        for outcome in outcomes {
            let Some(row) = inner.rows.get_mut(&outcome.id.0) else {
                continue;
            };
            if row.lease != outcome.lease || row.delivery.status != Status::Pending {
                continue;
            }
            applied += 1;
            let delivery = &mut row.delivery;
            if let Some(attempt) = &outcome.attempt {
                delivery.attempts = delivery.attempts.saturating_add(1);
                delivery.last_error.clone_from(&attempt.error);
                delivery.last_status = attempt.status;
                row.attempts.push(attempt.clone());
            }
            match outcome.next {
                Next::Retry(at) => delivery.next_attempt_at = Some(unix_millis(at)),
                Next::Finish(status) => {
                    delivery.status = status;
                    delivery.next_attempt_at = None;
                    delivery.finished_at = Some(now);
                }
            }
            row.lease_owner = None;
            row.lease_until = None;
        }
        Ok(applied)
    }

    fn list_now(&self, filter: &ListFilter) -> Result<Vec<Delivery>, StoreError> {
        let limit = match filter.limit {
            0 => LIST_DEFAULT,
            n => n.min(LIST_CAP),
        };
        let inner = self.lock()?;
        let upper = filter.before.map_or(i64::MAX, |id| id.0);
        Ok(inner
            .rows
            .range(..upper)
            .rev()
            .map(|(_, row)| &row.delivery)
            .filter(|d| filter.status.is_none_or(|s| d.status == s))
            .take(limit)
            .cloned()
            .collect())
    }

    fn get_now(&self, id: DeliveryId) -> Result<Option<(Delivery, Vec<Attempt>)>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .rows
            .get(&id.0)
            .map(|row| (row.delivery.clone(), row.attempts.clone())))
    }

    fn next_due_now(&self) -> Result<Option<SystemTime>, StoreError> {
        let inner = self.lock()?;
        // A leased delivery becomes claimable when its lease runs out: each
        // counts at the later of its due time and its lease deadline.
        Ok(inner
            .rows
            .values()
            .filter(|row| row.delivery.status == Status::Pending)
            .filter_map(|row| {
                let due = row.delivery.next_attempt_at?;
                Some(row.lease_until.map_or(due, |until| due.max(until)))
            })
            .min()
            .map(from_unix_millis))
    }

    fn prune_now(&self, older_than: Duration, batch: usize) -> Result<u64, StoreError> {
        let cutoff = unix_millis(SystemTime::now())
            .saturating_sub(i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX));
        let batch = batch.max(1);
        let mut pruned = 0;
        loop {
            // One batch per hold of the lock, oldest first, as the other
            // stores do.
            let mut inner = self.lock()?;
            let mut doomed: Vec<(i64, i64)> = inner
                .rows
                .iter()
                .filter(|(_, row)| row.delivery.status.is_final())
                .filter_map(|(id, row)| {
                    let finished = row.delivery.finished_at?;
                    (finished < cutoff).then_some((finished, *id))
                })
                .collect();
            doomed.sort_unstable();
            doomed.truncate(batch);
            for (_, id) in &doomed {
                inner.rows.remove(id);
            }
            pruned += doomed.len() as u64;
            if doomed.len() < batch {
                return Ok(pruned);
            }
        }
    }
}

impl Store for MemoryStore {
    fn enqueue<'a>(
        &'a self,
        deliveries: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<Vec<DeliveryId>, StoreError>> {
        Box::pin(async move { self.enqueue_now(deliveries) })
    }

    fn claim<'a>(
        &'a self,
        owner: &'a str,
        limit: usize,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>> {
        Box::pin(async move { self.claim_now(owner, limit, lease) })
    }

    fn record<'a>(&'a self, outcomes: &'a [Outcome]) -> BoxFuture<'a, Result<usize, StoreError>> {
        Box::pin(async move { self.record_now(outcomes) })
    }

    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>> {
        Box::pin(async move { self.list_now(filter) })
    }

    fn get(
        &self,
        id: DeliveryId,
    ) -> BoxFuture<'_, Result<Option<(Delivery, Vec<Attempt>)>, StoreError>> {
        Box::pin(async move { self.get_now(id) })
    }

    fn next_due(&self) -> BoxFuture<'_, Result<Option<SystemTime>, StoreError>> {
        Box::pin(async move { self.next_due_now() })
    }

    fn prune(&self, older_than: Duration, batch: usize) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move { self.prune_now(older_than, batch) })
    }
}
