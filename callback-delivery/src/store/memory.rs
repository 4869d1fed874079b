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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::{
    check_outcomes, millis, resume_after, Action, BoxFuture, Change, ClaimRequest, Claimed,
    Exchange, ListFilter, Next, Outcome, QueueStats, StatusCounts, Store, StoreError, CLAIM_WALK,
};
use crate::delivery::{
    destination_of, new_webhook_id, unix_millis, Attempt, Delivery, DeliveryId, NewDelivery, Status,
};

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
    trace_context: Option<String>,
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
            .map_err(|_| StoreError::corrupt("the in-memory store's lock is poisoned"))
    }

    fn enqueue_now(&self, deliveries: &[NewDelivery]) -> Result<Vec<DeliveryId>, StoreError> {
        let now = unix_millis(SystemTime::now());
        let contexts = crate::telemetry::queued(deliveries);
        let mut inner = self.lock()?;
        let mut ids = Vec::with_capacity(deliveries.len());
        for (new, context) in deliveries.iter().zip(contexts) {
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
                destination: destination_of(&new.url),
                status,
                attempts: 0,
                last_error: new.refused.clone(),
                last_status: None,
                created_at: now,
                next_attempt_at,
                finished_at,
                trace_id: context.as_deref().and_then(trace_id_of),
            };
            let row = Row {
                delivery,
                trace_context: context,
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
        inner: &mut Inner,
        claim: &ClaimRequest,
        skip: &BTreeSet<i64>,
    ) -> (Vec<Claimed>, Option<String>) {
        if claim.limit == 0 {
            return (Vec::new(), None);
        }
        let now = unix_millis(SystemTime::now());
        let until = now.saturating_add(millis(claim.lease));
        let walked: Vec<String> = inner
            .rows
            .values()
            .filter(|row| row.delivery.status == Status::Pending)
            .filter(|row| row.delivery.destination.as_str() > claim.after.as_str())
            .map(|row| row.delivery.destination.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .take(CLAIM_WALK)
            .collect();
        let mut picked = Vec::new();
        for destination in walked.iter().filter(|d| !claim.exclude.contains(d)) {
            let mut due: Vec<(i64, i64)> = inner
                .rows
                .iter()
                .filter(|(id, row)| {
                    row.delivery.destination == *destination
                        && row.claimable(now)
                        && !skip.contains(id)
                })
                .map(|(id, row)| (row.delivery.next_attempt_at.unwrap_or(now), *id))
                .collect();
            due.sort_unstable();
            due.truncate(claim.per_destination.max(1));
            picked.extend(due.into_iter().map(|(_, id)| id));
            if picked.len() >= claim.limit {
                picked.truncate(claim.limit);
                break;
            }
        }
        let mut claimed = Vec::with_capacity(picked.len());
        for id in picked {
            let Some(row) = inner.rows.get_mut(&id) else {
                continue;
            };
            row.lease += 1;
            row.lease_owner = Some(claim.owner.clone());
            row.lease_until = Some(until);
            claimed.push(Claimed {
                id: DeliveryId(id),
                lease: row.lease,
                webhook_id: row.delivery.webhook_id.clone(),
                callback: row.delivery.callback.clone(),
                method: row.delivery.method.clone(),
                url: row.delivery.url.clone(),
                destination: row.delivery.destination.clone(),
                body: row.body.clone(),
                attempts: row.delivery.attempts,
                created_at: row.delivery.created_at,
                due_at: row.delivery.next_attempt_at.unwrap_or(now),
                trace_context: row.trace_context.clone(),
            });
        }
        let resume = resume_after(&walked, &claimed, claim);
        (claimed, resume)
    }

    fn exchange_now(
        &self,
        outcomes: &[Outcome],
        claim: &ClaimRequest,
    ) -> Result<Exchange, StoreError> {
        check_outcomes(outcomes)?;
        let mut inner = self.lock()?;
        let recorded = Self::record_now(&mut inner, outcomes);
        let skip = outcomes.iter().map(|o| o.id.0).collect();
        let (claimed, resume_after) = Self::claim_now(&mut inner, claim, &skip);
        Ok(Exchange {
            recorded,
            claimed,
            resume_after,
        })
    }

    fn record_now(inner: &mut Inner, outcomes: &[Outcome]) -> usize {
        let now = unix_millis(SystemTime::now());
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
        applied
    }

    fn list_now(&self, filter: &ListFilter) -> Result<Vec<Delivery>, StoreError> {
        let limit = filter.page_size();
        let inner = self.lock()?;
        let upper = filter.before.map_or(i64::MAX, |id| id.0);
        Ok(inner
            .rows
            .range(..upper)
            .rev()
            .map(|(_, row)| &row.delivery)
            .filter(|d| filter.matches(d))
            .take(limit)
            .cloned()
            .collect())
    }

    /// Applies an operator's change to a delivery in a state it applies
    /// to: the new state, next attempt and finish times, and a new lease
    /// number (so that no earlier lease's record applies).
    fn change_now(&self, id: DeliveryId, action: Action) -> Result<Change, StoreError> {
        let now = unix_millis(SystemTime::now());
        let mut inner = self.lock()?;
        let Some(row) = inner.rows.get_mut(&id.0) else {
            return Ok(Change::NotFound);
        };
        let status = row.delivery.status;
        if !action.applies(status) {
            return Ok(Change::Conflict(status));
        }
        let delivery = &mut row.delivery;
        delivery.status = action.to();
        let pending = delivery.status == Status::Pending;
        delivery.next_attempt_at = pending.then_some(now);
        delivery.finished_at = (!pending).then_some(now);
        row.lease += 1;
        row.lease_owner = None;
        row.lease_until = None;
        Ok(Change::Done)
    }

    fn get_now(&self, id: DeliveryId) -> Result<Option<(Delivery, Vec<Attempt>)>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .rows
            .get(&id.0)
            .map(|row| (row.delivery.clone(), row.attempts.clone())))
    }

    fn prune_now(&self, older_than: Duration, batch: usize) -> Result<u64, StoreError> {
        let cutoff = unix_millis(SystemTime::now()).saturating_sub(millis(older_than));
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

/// The trace id of a W3C `traceparent`.
fn trace_id_of(traceparent: &str) -> Option<String> {
    traceparent.split('-').nth(1).map(str::to_owned)
}

impl Store for MemoryStore {
    fn enqueue<'a>(
        &'a self,
        deliveries: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<Vec<DeliveryId>, StoreError>> {
        Box::pin(async move { self.enqueue_now(deliveries) })
    }

    fn exchange<'a>(
        &'a self,
        outcomes: &'a [Outcome],
        claim: &'a ClaimRequest,
    ) -> BoxFuture<'a, Result<Exchange, StoreError>> {
        Box::pin(async move { self.exchange_now(outcomes, claim) })
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

    fn retry(&self, id: DeliveryId) -> BoxFuture<'_, Result<Change, StoreError>> {
        Box::pin(async move { self.change_now(id, Action::Retry) })
    }

    fn cancel(&self, id: DeliveryId) -> BoxFuture<'_, Result<Change, StoreError>> {
        Box::pin(async move { self.change_now(id, Action::Cancel) })
    }

    fn counts(&self) -> BoxFuture<'_, Result<StatusCounts, StoreError>> {
        Box::pin(async move {
            let inner = self.lock()?;
            let mut counts = StatusCounts::default();
            for row in inner.rows.values() {
                counts.add(row.delivery.status, 1);
            }
            Ok(counts)
        })
    }

    fn prune(&self, older_than: Duration, batch: usize) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move { self.prune_now(older_than, batch) })
    }

    fn stats(&self) -> BoxFuture<'_, Result<Option<QueueStats>, StoreError>> {
        Box::pin(async move {
            let now = unix_millis(SystemTime::now());
            let inner = self.lock()?;
            let mut stats = QueueStats::default();
            for row in inner.rows.values() {
                if row.delivery.status != Status::Pending {
                    continue;
                }
                stats.pending += 1;
                if row.claimable(now) {
                    stats.due += 1;
                    let due = row.delivery.next_attempt_at;
                    stats.oldest_due_at = match (stats.oldest_due_at, due) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
            }
            Ok(Some(stats))
        })
    }
}
