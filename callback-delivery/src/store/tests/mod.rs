//! The store suite: the rules every [`Store`] keeps, run against each
//! implementation, and the SQLite store's own tests (durability across a
//! reopen and a `SIGKILL`, migrations), the PostgreSQL store's own tests
//! (migrations, several instances on one queue, the outbox in the app's
//! transaction) and measurements.
//!
//! Each suite function takes a fresh, empty store. A new store joins by
//! adding a module to the `suite!` macro. The stores' own tests are in
//! `sqlite.rs` and `postgres.rs`, built with their features.
//!
//! The PostgreSQL tests run against the database named by
//! `CALLBACKS_TEST_DATABASE_URL`, each in a fresh schema of its own; without
//! it (or when the server cannot be reached) they print a notice and pass,
//! unless `CI` is `true`, where they fail.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{
    spawn_pruner, Change, ClaimRequest, Claimed, ListFilter, MemoryStore, Next, Outcome,
    StatusCounts, Store, StoreError,
};
use crate::delivery::{unix_millis, Attempt, DeliveryId, NewDelivery, Status};

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

pub(super) const MINUTE: Duration = Duration::from_secs(60);

pub(super) fn new(n: usize) -> NewDelivery {
    NewDelivery {
        callback: "invoice_callbacks::invoice_notification".to_owned(),
        method: "POST".to_owned(),
        url: format!("https://receiver.example/hooks/{n}"),
        body: format!("{{\"n\":{n}}}"),
        refused: None,
    }
}

pub(super) fn news(count: usize) -> Vec<NewDelivery> {
    (0..count).map(new).collect()
}

pub(super) fn attempt(status: Option<u16>, error: Option<&str>, body: Option<&str>) -> Attempt {
    Attempt {
        started_at: unix_millis(SystemTime::now()),
        duration_ms: 12,
        status,
        error: error.map(str::to_owned),
        response_body: body.map(str::to_owned),
    }
}

pub(super) fn outcome(claimed: &Claimed, attempt: Option<Attempt>, next: Next) -> Outcome {
    Outcome {
        id: claimed.id,
        lease: claimed.lease,
        attempt,
        next,
    }
}

pub(super) fn now_millis() -> i64 {
    unix_millis(SystemTime::now())
}

pub(super) fn ago(duration: Duration) -> SystemTime {
    SystemTime::now() - duration
}

/// Claims up to `limit` due deliveries for `owner`, as one worker would.
pub(super) async fn claim(
    store: &dyn Store,
    owner: &str,
    limit: usize,
    lease: Duration,
) -> Result<Vec<Claimed>, StoreError> {
    store.claim(&ClaimRequest::new(owner, limit, lease)).await
}

/// Claims everything due, for a long lease.
pub(super) async fn claim_all(store: &dyn Store, owner: &str) -> Vec<Claimed> {
    claim(store, owner, 1000, MINUTE).await.expect("claim")
}

pub(super) fn ids(claimed: &[Claimed]) -> Vec<DeliveryId> {
    claimed.iter().map(|c| c.id).collect()
}

// ---------------------------------------------------------------------------
// The suite.

/// Queued deliveries are listed and fetched as pending, unattempted, with a
/// fresh `webhook-id` each.
pub(crate) async fn enqueue_then_list_and_get(store: Arc<dyn Store>) {
    let before = now_millis();
    let queued = store.enqueue(&news(3)).await.expect("enqueue");
    assert_eq!(queued.len(), 3);
    assert!(queued.windows(2).all(|w| w[0] < w[1]), "ids increase");

    let listed = store.list(&ListFilter::default()).await.expect("list");
    assert_eq!(
        listed.iter().map(|d| d.id).collect::<Vec<_>>(),
        queued.iter().rev().copied().collect::<Vec<_>>(),
        "newest first"
    );
    let mut webhook_ids = HashSet::new();
    for d in &listed {
        assert_eq!(d.status, Status::Pending);
        assert_eq!(d.attempts, 0);
        assert!(d.webhook_id.starts_with("msg_") && d.webhook_id.len() == 28);
        assert!(
            webhook_ids.insert(d.webhook_id.clone()),
            "webhook ids differ"
        );
        assert!(d.created_at >= before && d.created_at <= now_millis());
        assert_eq!(d.next_attempt_at, Some(d.created_at));
        assert_eq!((d.last_error.as_deref(), d.last_status), (None, None));
        assert_eq!(d.finished_at, None);
    }

    let (d, attempts) = store.get(queued[1]).await.expect("get").expect("found");
    assert_eq!(d.id, queued[1]);
    assert_eq!(d.callback, "invoice_callbacks::invoice_notification");
    assert_eq!(d.method, "POST");
    assert_eq!(d.url, "https://receiver.example/hooks/1");
    assert!(attempts.is_empty());

    let claimed = claim_all(&*store, "w").await;
    let first = claimed.iter().find(|c| c.id == queued[0]).expect("claimed");
    assert_eq!(first.body, "{\"n\":0}");
    assert_eq!(first.attempts, 0);
    assert_eq!(first.webhook_id, listed[2].webhook_id);

    assert!(store
        .enqueue(&[])
        .await
        .expect("enqueue nothing")
        .is_empty());
    assert!(store.get(DeliveryId(9_999)).await.expect("get").is_none());
}

/// A refused delivery is stored as refused, with its reason, and never
/// claimed.
pub(crate) async fn refused_is_stored_and_never_claimed(store: Arc<dyn Store>) {
    let mut refused = new(1);
    refused.refused = Some("the URL template needs $request.body#/callbackUrl".to_owned());
    let queued = store.enqueue(&[new(0), refused]).await.expect("enqueue");

    let (d, attempts) = store.get(queued[1]).await.expect("get").expect("found");
    assert_eq!(d.status, Status::Refused);
    assert_eq!(
        d.last_error.as_deref(),
        Some("the URL template needs $request.body#/callbackUrl")
    );
    assert!(d.finished_at.is_some());
    assert_eq!(d.next_attempt_at, None);
    assert_eq!(d.attempts, 0);
    assert!(attempts.is_empty());

    assert_eq!(ids(&claim_all(&*store, "w").await), vec![queued[0]]);
    assert!(
        claim_all(&*store, "w").await.is_empty(),
        "leased, or refused"
    );
}

/// A claim leases: while the lease is live, no other claim gets the
/// delivery, and claims take the oldest due first.
pub(crate) async fn claim_leases_oldest_first(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(3)).await.expect("enqueue");
    // Make them due in the reverse order of their ids.
    let claimed = claim_all(&*store, "setup").await;
    let retries: Vec<Outcome> = claimed
        .iter()
        .map(|c| {
            let rank = queued.iter().position(|id| *id == c.id).expect("queued");
            let due = ago(Duration::from_secs(10 - rank as u64));
            outcome(c, None, Next::Retry(due))
        })
        .collect();
    assert_eq!(store.record(&retries).await.expect("record"), 3);

    let first = claim(&*store, "a", 2, MINUTE).await.expect("claim");
    assert_eq!(ids(&first), vec![queued[0], queued[1]], "oldest due first");
    for c in &first {
        let setup = claimed
            .iter()
            .find(|s| s.id == c.id)
            .expect("claimed before");
        assert!(c.lease > setup.lease, "a fresh lease");
    }
    let second = claim(&*store, "b", 10, MINUTE).await.expect("claim");
    assert_eq!(ids(&second), vec![queued[2]]);
    assert!(claim(&*store, "b", 10, MINUTE)
        .await
        .expect("claim")
        .is_empty());
    assert!(claim(&*store, "a", 10, MINUTE)
        .await
        .expect("claim")
        .is_empty());
    assert!(claim(&*store, "c", 0, MINUTE)
        .await
        .expect("claim")
        .is_empty());
}

/// Once a lease expires another worker claims the delivery, and the first
/// worker's record no longer applies.
pub(crate) async fn expired_lease_is_claimed_again(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(1)).await.expect("enqueue");
    // Long enough that the next claim comes before it expires, even on a
    // busy database server.
    let lease = Duration::from_millis(400);
    let first = claim(&*store, "a", 10, lease).await.expect("claim");
    assert_eq!(ids(&first), queued);
    assert!(claim(&*store, "b", 10, MINUTE)
        .await
        .expect("claim")
        .is_empty());

    tokio::time::sleep(lease + Duration::from_millis(50)).await;
    let second = claim(&*store, "b", 10, MINUTE).await.expect("claim");
    assert_eq!(ids(&second), queued);
    assert!(second[0].lease > first[0].lease, "a fresh lease");

    let stale = outcome(
        &first[0],
        Some(attempt(Some(200), None, None)),
        Next::Finish(Status::Delivered),
    );
    assert_eq!(store.record(&[stale]).await.expect("record"), 0);
    let (d, attempts) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!((d.status, d.attempts), (Status::Pending, 0));
    assert!(attempts.is_empty(), "a stale attempt is not logged");

    let current = outcome(
        &second[0],
        Some(attempt(Some(200), None, None)),
        Next::Finish(Status::Delivered),
    );
    assert_eq!(store.record(&[current]).await.expect("record"), 1);
    let (d, _) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!((d.status, d.attempts), (Status::Delivered, 1));
}

/// A retry in the future is not claimable before its time.
pub(crate) async fn retry_later_waits(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(1)).await.expect("enqueue");
    let claimed = claim_all(&*store, "a").await;
    assert_eq!(ids(&claimed), queued, "due at once");
    let at = SystemTime::now() + Duration::from_secs(3600);
    let failed = attempt(Some(503), Some("503 Service Unavailable"), Some("busy"));
    let applied = store
        .record(&[outcome(&claimed[0], Some(failed), Next::Retry(at))])
        .await
        .expect("record");
    assert_eq!(applied, 1);

    assert!(claim_all(&*store, "b").await.is_empty());
    let (d, _) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!(d.status, Status::Pending);
    assert_eq!(d.attempts, 1);
    assert_eq!(d.next_attempt_at, Some(unix_millis(at)));
    assert_eq!(d.last_error.as_deref(), Some("503 Service Unavailable"));
    assert_eq!(d.last_status, Some(503));
    assert_eq!(d.finished_at, None);
}

/// A retry in the past is claimable again, with its attempts counted; an
/// outcome without an attempt counts none.
pub(crate) async fn retry_past_is_claimable_again(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(1)).await.expect("enqueue");
    let first = claim_all(&*store, "a").await;
    let failed = attempt(None, Some("connection refused"), None);
    let retry = outcome(&first[0], Some(failed), Next::Retry(ago(MINUTE)));
    assert_eq!(store.record(&[retry]).await.expect("record"), 1);

    let second = claim_all(&*store, "b").await;
    assert_eq!(ids(&second), queued);
    assert_eq!(second[0].attempts, 1);
    assert!(second[0].lease > first[0].lease);

    // Nothing sent (say the worker shut down): no attempt is counted, and
    // the last error stays.
    let retry = outcome(&second[0], None, Next::Retry(ago(MINUTE)));
    assert_eq!(store.record(&[retry]).await.expect("record"), 1);
    let third = claim_all(&*store, "c").await;
    assert_eq!(third[0].attempts, 1);
    let (d, attempts) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!(d.last_error.as_deref(), Some("connection refused"));
    assert_eq!(d.last_status, None);
    assert_eq!(attempts.len(), 1);
}

/// Each final state is recorded with its time, and a finished delivery is
/// neither claimed nor changed again.
pub(crate) async fn finish_states(store: Arc<dyn Store>) {
    let finals = [
        Status::Delivered,
        Status::Failed,
        Status::Gone,
        Status::Refused,
    ];
    let queued = store.enqueue(&news(finals.len())).await.expect("enqueue");
    let claimed = claim_all(&*store, "a").await;
    let before = now_millis();
    let outcomes: Vec<Outcome> = claimed
        .iter()
        .map(|c| {
            let status = finals[queued.iter().position(|id| *id == c.id).expect("queued")];
            let tried = match status {
                Status::Delivered => attempt(Some(204), None, None),
                Status::Failed => attempt(Some(500), Some("500 Internal Server Error"), None),
                Status::Gone => attempt(Some(410), Some("410 Gone"), None),
                _ => attempt(None, Some("resolves to 10.0.0.1, a private address"), None),
            };
            outcome(c, Some(tried), Next::Finish(status))
        })
        .collect();
    assert_eq!(store.record(&outcomes).await.expect("record"), 4);

    for (id, status) in queued.iter().zip(finals) {
        let (d, attempts) = store.get(*id).await.expect("get").expect("found");
        assert_eq!(d.status, status);
        assert_eq!(d.attempts, 1);
        assert_eq!(d.next_attempt_at, None);
        let finished = d.finished_at.expect("finished");
        assert!(finished >= before && finished <= now_millis());
        assert_eq!(attempts.len(), 1);
        assert_eq!(d.last_status, attempts[0].status);
        assert_eq!(d.last_error, attempts[0].error);
    }
    assert!(claim_all(&*store, "b").await.is_empty());
    // Recording again (a duplicate from a retried batch) changes nothing.
    assert_eq!(store.record(&outcomes).await.expect("record"), 0);
    let (d, attempts) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!((d.attempts, attempts.len()), (1, 1));
}

/// The attempt log keeps every field, oldest first.
pub(crate) async fn attempt_log(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(1)).await.expect("enqueue");
    let mut log = Vec::new();
    for n in 0..3u16 {
        let claimed = claim_all(&*store, "a").await;
        let (tried, next) = if n < 2 {
            let tried = Attempt {
                started_at: 1_700_000_000_000 + i64::from(n),
                duration_ms: 30_000,
                status: (n == 1).then_some(429),
                error: Some(format!("failure {n}")),
                response_body: (n == 1).then(|| "slow down ✋".to_owned()),
            };
            (tried, Next::Retry(ago(MINUTE)))
        } else {
            let tried = Attempt {
                started_at: 1_700_000_000_002,
                duration_ms: 7,
                status: Some(200),
                error: None,
                response_body: Some(String::new()),
            };
            (tried, Next::Finish(Status::Delivered))
        };
        log.push(tried.clone());
        let applied = store
            .record(&[outcome(&claimed[0], Some(tried), next)])
            .await
            .expect("record");
        assert_eq!(applied, 1);
    }
    let (d, attempts) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!(attempts, log);
    assert_eq!(d.attempts, 3);
    assert_eq!(d.status, Status::Delivered);
    assert_eq!((d.last_error, d.last_status), (None, Some(200)));
}

/// `list` filters by state, pages with `before`, and caps its limit.
pub(crate) async fn list_filters_and_pages(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(7)).await.expect("enqueue");
    // Deliver the even ones.
    let claimed = claim_all(&*store, "a").await;
    let outcomes: Vec<Outcome> = claimed
        .iter()
        .filter(|c| queued.iter().position(|id| *id == c.id).expect("queued") % 2 == 0)
        .map(|c| outcome(c, None, Next::Finish(Status::Delivered)))
        .collect();
    assert_eq!(store.record(&outcomes).await.expect("record"), 4);

    let list = |status, before, limit| {
        let store = Arc::clone(&store);
        async move {
            let filter = ListFilter {
                status,
                before,
                limit,
                ..ListFilter::default()
            };
            let listed = store.list(&filter).await.expect("list");
            listed.iter().map(|d| d.id.0).collect::<Vec<_>>()
        }
    };
    let id = |n: usize| queued[n].0;
    assert_eq!(
        list(Some(Status::Delivered), None, 0).await,
        vec![id(6), id(4), id(2), id(0)]
    );
    assert_eq!(
        list(Some(Status::Pending), None, 0).await,
        vec![id(5), id(3), id(1)]
    );
    assert!(list(Some(Status::Failed), None, 0).await.is_empty());

    // Pages of three, newest first.
    let page1 = list(None, None, 3).await;
    assert_eq!(page1, vec![id(6), id(5), id(4)]);
    let page2 = list(None, Some(DeliveryId(id(4))), 3).await;
    assert_eq!(page2, vec![id(3), id(2), id(1)]);
    let page3 = list(None, Some(DeliveryId(id(1))), 3).await;
    assert_eq!(page3, vec![id(0)]);
    assert!(list(None, Some(DeliveryId(id(0))), 3).await.is_empty());
    assert_eq!(
        list(Some(Status::Delivered), Some(DeliveryId(id(4))), 1).await,
        vec![id(2)]
    );

    // A limit of 0 means 100; a huge one is capped at 1000.
    store.enqueue(&news(1_100)).await.expect("enqueue");
    assert_eq!(list(None, None, 0).await.len(), 100);
    assert_eq!(list(None, None, usize::MAX).await.len(), 1000);
}

/// `list` filters by declaration, destination and creation time, alone
/// and with the state and the cursor; a delivery shows its destination.
pub(crate) async fn list_filters_by_callback_destination_and_time(store: Arc<dyn Store>) {
    let to = |callback: &str, url: &str| NewDelivery {
        callback: callback.to_owned(),
        url: url.to_owned(),
        ..new(0)
    };
    let early = store
        .enqueue(&[
            to("shop::order", "https://a.example/hooks/1"),
            to("shop::refund", "https://A.example:443/hooks/2"),
        ])
        .await
        .expect("enqueue");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cut = now_millis();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let late = store
        .enqueue(&[
            to("shop::order", "https://b.example:8443/hooks/3"),
            to("shop::order", "https://a.example/hooks/4"),
            to("shop::refund", "not a url"),
        ])
        .await
        .expect("enqueue");

    let list = |filter: ListFilter| {
        let store = Arc::clone(&store);
        async move {
            let listed = store.list(&filter).await.expect("list");
            for d in &listed {
                assert!(filter.matches(d), "{d:?} does not match {filter:?}");
            }
            listed.iter().map(|d| d.id).collect::<Vec<_>>()
        }
    };
    let (e, l) = (&early, &late);
    let callback = |name: &str| ListFilter {
        callback: Some(name.to_owned()),
        ..ListFilter::default()
    };
    let destination = |origin: &str| ListFilter {
        destination: Some(origin.to_owned()),
        ..ListFilter::default()
    };
    assert_eq!(list(callback("shop::order")).await, [l[1], l[0], e[0]]);
    assert_eq!(list(callback("shop::refund")).await, [l[2], e[1]]);
    assert!(list(callback("shop::ord")).await.is_empty(), "exact names");
    assert_eq!(
        list(destination("https://a.example")).await,
        [l[1], e[1], e[0]],
        "the origin, as destination_of writes it"
    );
    assert_eq!(list(destination("https://b.example:8443")).await, [l[0]]);
    assert_eq!(list(destination("(no origin)")).await, [l[2]]);
    assert!(list(destination("https://a.example/")).await.is_empty());
    let (d, _) = store.get(e[1]).await.expect("get").expect("found");
    assert_eq!(d.destination, "https://a.example");

    let since = |at| ListFilter {
        since: Some(at),
        ..ListFilter::default()
    };
    let until = |at| ListFilter {
        until: Some(at),
        ..ListFilter::default()
    };
    assert_eq!(list(since(cut)).await, [l[2], l[1], l[0]]);
    assert_eq!(list(until(cut)).await, [e[1], e[0]]);
    let (first, _) = store.get(e[0]).await.expect("get").expect("found");
    let (second, _) = store.get(e[1]).await.expect("get").expect("found");
    // `since` is inclusive, `until` exclusive: [since, until).
    let window = ListFilter {
        since: Some(first.created_at),
        until: Some(second.created_at + 1),
        ..ListFilter::default()
    };
    assert_eq!(list(window).await, [e[1], e[0]]);
    let empty = ListFilter {
        since: Some(cut),
        until: Some(cut),
        ..ListFilter::default()
    };
    assert!(list(empty).await.is_empty());

    // Everything at once, and pages of one through it.
    let claimed = claim_all(&*store, "w").await;
    let finish: Vec<Outcome> = claimed
        .iter()
        .filter(|c| c.id == l[1] || c.id == e[0])
        .map(|c| outcome(c, None, Next::Finish(Status::Failed)))
        .collect();
    assert_eq!(store.record(&finish).await.expect("record"), 2);
    let all = ListFilter {
        status: Some(Status::Failed),
        callback: Some("shop::order".to_owned()),
        destination: Some("https://a.example".to_owned()),
        since: Some(first.created_at),
        until: Some(now_millis() + 1),
        before: None,
        limit: 1,
    };
    assert_eq!(list(all.clone()).await, [l[1]]);
    let next = ListFilter {
        before: Some(l[1]),
        ..all.clone()
    };
    assert_eq!(list(next).await, [e[0]]);
    let last = ListFilter {
        before: Some(e[0]),
        ..all
    };
    assert!(list(last).await.is_empty());
    // A NUL character matches nothing, and fails nothing (PostgreSQL's
    // text cannot hold one).
    assert!(list(callback("shop\0order")).await.is_empty());
    assert!(list(destination("\0")).await.is_empty());
}

/// A failed, gone or refused delivery is sent again: pending, due now, with
/// its `webhook-id`, attempts and log; a record of an earlier lease no
/// longer applies. Other states are left alone.
pub(crate) async fn retry_sends_a_finished_delivery_again(store: Arc<dyn Store>) {
    let mut refused_at_once = new(9);
    refused_at_once.refused = Some("no callback_url".to_owned());
    let mut batch = news(5);
    batch.push(refused_at_once);
    let queued = store.enqueue(&batch).await.expect("enqueue");
    let claimed = claim_all(&*store, "a").await;
    let finals = [
        Status::Failed,
        Status::Gone,
        Status::Refused,
        Status::Delivered,
    ];
    let outcomes: Vec<Outcome> = claimed
        .iter()
        .filter_map(|c| {
            let n = queued.iter().position(|id| *id == c.id).expect("queued");
            let status = *finals.get(n)?;
            let tried = attempt(Some(500), Some(&format!("failure {n}")), None);
            Some(outcome(c, Some(tried), Next::Finish(status)))
        })
        .collect();
    assert_eq!(store.record(&outcomes).await.expect("record"), 4);
    let before: Vec<_> = {
        let mut all = Vec::new();
        for id in &queued {
            all.push(store.get(*id).await.expect("get").expect("found"));
        }
        all
    };

    let start = now_millis();
    for n in [0, 1, 2, 5] {
        assert_eq!(
            store.retry(queued[n]).await.expect("retry"),
            Change::Done,
            "{n}"
        );
        let (d, log) = store.get(queued[n]).await.expect("get").expect("found");
        let (was, was_log) = &before[n];
        assert_eq!(d.status, Status::Pending, "{n}");
        assert_eq!(d.finished_at, None);
        let due = d.next_attempt_at.expect("due");
        assert!(due >= start && due <= now_millis(), "due now");
        assert_eq!(d.webhook_id, was.webhook_id, "the same webhook-id");
        assert_eq!(d.attempts, was.attempts, "attempts are kept");
        assert_eq!(d.last_error, was.last_error, "the last error is kept");
        assert_eq!(log, *was_log, "the log is kept");
    }
    assert_eq!(
        store.retry(queued[3]).await.expect("retry"),
        Change::Conflict(Status::Delivered)
    );
    assert_eq!(
        store.retry(queued[4]).await.expect("retry"),
        Change::Conflict(Status::Pending)
    );
    assert_eq!(
        store.retry(queued[0]).await.expect("retry"),
        Change::Conflict(Status::Pending),
        "retried already"
    );
    assert_eq!(
        store.retry(DeliveryId(999_999)).await.expect("retry"),
        Change::NotFound
    );
    let (delivered, _) = store.get(queued[3]).await.expect("get").expect("found");
    assert_eq!(delivered.status, Status::Delivered, "left alone");

    // The failed one's first lease: its record (a late duplicate of the
    // one that failed it) does not apply to the new attempt.
    let first = claimed.iter().find(|c| c.id == queued[0]).expect("claimed");
    let stale = outcome(
        first,
        Some(attempt(Some(200), None, None)),
        Next::Finish(Status::Delivered),
    );
    assert_eq!(store.record(&[stale]).await.expect("record"), 0);

    // Claimed again (not the pending one, still leased to "a"), with the
    // same webhook-id, its attempts counted, under a fresh lease.
    let again = claim_all(&*store, "b").await;
    let mut retried: Vec<DeliveryId> = ids(&again);
    retried.sort();
    assert_eq!(retried, [queued[0], queued[1], queued[2], queued[5]]);
    let failed = again.iter().find(|c| c.id == queued[0]).expect("claimed");
    assert_eq!(failed.webhook_id, before[0].0.webhook_id);
    assert_eq!(failed.attempts, 1);
    assert!(
        failed.lease > first.lease + 1,
        "the retry moved the lease on"
    );
    let delivered = outcome(
        failed,
        Some(attempt(Some(200), None, None)),
        Next::Finish(Status::Delivered),
    );
    assert_eq!(store.record(&[delivered]).await.expect("record"), 1);
    let (d, log) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!((d.status, d.attempts, log.len()), (Status::Delivered, 2, 2));
    assert_eq!((d.last_error, d.last_status), (None, Some(200)));
}

/// A pending delivery is cancelled: final, never claimed, pruned like the
/// others; an attempt in flight when it was cancelled does not bring it
/// back, and is not logged. Other states are left alone.
pub(crate) async fn cancel_stops_a_pending_delivery(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(3)).await.expect("enqueue");
    let start = now_millis();
    assert_eq!(store.cancel(queued[0]).await.expect("cancel"), Change::Done);
    let (d, log) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!(d.status, Status::Cancelled);
    assert_eq!(d.next_attempt_at, None);
    let finished = d.finished_at.expect("finished");
    assert!(finished >= start && finished <= now_millis());
    assert!(log.is_empty());

    // Claimed (in flight) when it is cancelled.
    let claimed = claim_all(&*store, "a").await;
    let mut claimed_ids = ids(&claimed);
    claimed_ids.sort();
    assert_eq!(
        claimed_ids,
        [queued[1], queued[2]],
        "a cancelled one is not claimed"
    );
    assert_eq!(store.cancel(queued[1]).await.expect("cancel"), Change::Done);
    let in_flight = claimed.iter().find(|c| c.id == queued[1]).expect("claimed");
    for next in [
        Next::Finish(Status::Delivered),
        Next::Retry(ago(MINUTE)),
        Next::Finish(Status::Failed),
    ] {
        let late = outcome(in_flight, Some(attempt(Some(200), None, None)), next);
        assert_eq!(store.record(&[late]).await.expect("record"), 0, "{next:?}");
    }
    let (d, log) = store.get(queued[1]).await.expect("get").expect("found");
    assert_eq!((d.status, d.attempts), (Status::Cancelled, 0));
    assert!(log.is_empty(), "the attempt in flight is not logged");
    assert!(claim_all(&*store, "b").await.is_empty(), "nothing to claim");

    let other = claimed.iter().find(|c| c.id == queued[2]).expect("claimed");
    let done = outcome(other, None, Next::Finish(Status::Delivered));
    assert_eq!(store.record(&[done]).await.expect("record"), 1);
    assert_eq!(
        store.cancel(queued[2]).await.expect("cancel"),
        Change::Conflict(Status::Delivered)
    );
    assert_eq!(
        store.cancel(queued[0]).await.expect("cancel"),
        Change::Conflict(Status::Cancelled)
    );
    assert_eq!(
        store.retry(queued[0]).await.expect("retry"),
        Change::Conflict(Status::Cancelled),
        "a cancelled delivery stays stopped"
    );
    assert_eq!(
        store.cancel(DeliveryId(-1)).await.expect("cancel"),
        Change::NotFound
    );

    let cancelled = ListFilter {
        status: Some(Status::Cancelled),
        ..ListFilter::default()
    };
    let listed = store.list(&cancelled).await.expect("list");
    assert_eq!(ids_of(&listed), [queued[1], queued[0]]);
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(store.prune(Duration::ZERO, 10).await.expect("prune"), 3);
    assert!(store.get(queued[0]).await.expect("get").is_none(), "pruned");
}

/// Workers claim and deliver while an operator cancels every delivery at
/// once: each delivery ends either delivered, with its attempt, or
/// cancelled, without one, as the operator was told; none is left pending.
pub(crate) async fn cancel_races_the_workers(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(120)).await.expect("enqueue");
    let workers: Vec<_> = (0..3)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let owner = format!("worker-{w}");
                loop {
                    let claimed = claim(&*store, &owner, 5, MINUTE).await.expect("claim");
                    if claimed.is_empty() {
                        break;
                    }
                    tokio::task::yield_now().await;
                    let outcomes: Vec<Outcome> = claimed
                        .iter()
                        .map(|c| {
                            let sent = attempt(Some(200), None, None);
                            outcome(c, Some(sent), Next::Finish(Status::Delivered))
                        })
                        .collect();
                    store.record(&outcomes).await.expect("record");
                }
            })
        })
        .collect();
    let mut answers = Vec::new();
    for id in &queued {
        answers.push(store.cancel(*id).await.expect("cancel"));
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    let mut counts = StatusCounts::default();
    for (id, answer) in queued.iter().zip(answers) {
        let (d, log) = store.get(*id).await.expect("get").expect("found");
        counts.add(d.status, 1);
        match answer {
            Change::Done => {
                assert_eq!((d.status, d.attempts, log.len()), (Status::Cancelled, 0, 0));
            }
            Change::Conflict(Status::Delivered) => {
                assert_eq!((d.status, d.attempts, log.len()), (Status::Delivered, 1, 1));
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    assert_eq!(counts.pending, 0);
    assert_eq!(counts.total(), 120);
    assert_eq!(store.counts().await.expect("counts"), counts);
}

/// `counts` counts the deliveries of each state.
pub(crate) async fn counts_by_state(store: Arc<dyn Store>) {
    assert_eq!(
        store.counts().await.expect("counts"),
        StatusCounts::default()
    );
    let mut refused = new(9);
    refused.refused = Some("no URL".to_owned());
    let mut batch = news(6);
    batch.push(refused);
    let queued = store.enqueue(&batch).await.expect("enqueue");
    let claimed = claim_all(&*store, "a").await;
    let outcomes: Vec<Outcome> = claimed
        .iter()
        .filter_map(|c| {
            let next = match queued.iter().position(|id| *id == c.id).expect("queued") {
                0 | 1 => Next::Finish(Status::Delivered),
                2 => Next::Finish(Status::Failed),
                3 => Next::Finish(Status::Gone),
                _ => return None,
            };
            Some(outcome(c, None, next))
        })
        .collect();
    assert_eq!(store.record(&outcomes).await.expect("record"), 4);
    assert_eq!(store.cancel(queued[4]).await.expect("cancel"), Change::Done);
    let counts = store.counts().await.expect("counts");
    assert_eq!(
        counts,
        StatusCounts {
            pending: 1,
            delivered: 2,
            failed: 1,
            refused: 1,
            gone: 1,
            cancelled: 1,
        }
    );
    assert_eq!(counts.total(), 7);
    for status in Status::ALL {
        let filter = ListFilter {
            status: Some(status),
            ..ListFilter::default()
        };
        let listed = store.list(&filter).await.expect("list");
        assert_eq!(listed.len() as u64, counts.get(status), "{status}");
    }
}

pub(super) fn ids_of(deliveries: &[crate::delivery::Delivery]) -> Vec<DeliveryId> {
    deliveries.iter().map(|d| d.id).collect()
}

/// Four workers claiming at once over 200 deliveries each get distinct
/// deliveries, and together all of them.
pub(crate) async fn concurrent_claims_are_exclusive(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(200)).await.expect("enqueue");
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let owner = format!("worker-{w}");
                let mut mine = Vec::new();
                loop {
                    let claimed = claim(&*store, &owner, 7, MINUTE).await.expect("claim");
                    if claimed.is_empty() {
                        break;
                    }
                    mine.extend(claimed);
                    tokio::task::yield_now().await;
                }
                let outcomes: Vec<Outcome> = mine
                    .iter()
                    .map(|c| outcome(c, None, Next::Finish(Status::Delivered)))
                    .collect();
                let applied = store.record(&outcomes).await.expect("record");
                (ids(&mine), applied)
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut applied = 0;
    for worker in workers {
        let (ids, n) = worker.await.expect("worker");
        applied += n;
        for id in ids {
            assert!(seen.insert(id), "{id} claimed twice");
        }
    }
    assert_eq!(seen, queued.into_iter().collect::<HashSet<_>>());
    assert_eq!(applied, 200);
    let delivered = ListFilter {
        status: Some(Status::Delivered),
        limit: 1000,
        ..ListFilter::default()
    };
    assert_eq!(store.list(&delivered).await.expect("list").len(), 200);
}

/// Bad input is an error or a no-op, never a crash or a half-applied batch.
pub(crate) async fn bad_input_is_refused(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(1)).await.expect("enqueue");
    let claimed = claim_all(&*store, "a").await;
    let good = outcome(&claimed[0], None, Next::Finish(Status::Delivered));
    let bad = outcome(&claimed[0], None, Next::Finish(Status::Pending));
    assert!(store.record(&[good.clone(), bad]).await.is_err());
    let (d, _) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!(d.status, Status::Pending, "nothing of the batch applied");

    let unknown = Outcome {
        id: DeliveryId(-5),
        lease: 1,
        attempt: None,
        next: Next::Retry(SystemTime::UNIX_EPOCH),
    };
    assert_eq!(store.record(&[unknown]).await.expect("record"), 0);
    assert_eq!(store.record(&[]).await.expect("record"), 0);
    let filter = ListFilter {
        before: Some(DeliveryId(i64::MIN)),
        limit: 5,
        ..ListFilter::default()
    };
    assert!(store.list(&filter).await.expect("list").is_empty());
    assert!(store
        .get(DeliveryId(i64::MAX))
        .await
        .expect("get")
        .is_none());

    // Extreme times and leases saturate.
    let far = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) * 1000);
    let retry = outcome(&claimed[0], None, Next::Retry(far));
    assert_eq!(store.record(&[retry]).await.expect("record"), 1);
    assert!(claim_all(&*store, "a").await.is_empty());
    let more = store.enqueue(&news(1)).await.expect("enqueue");
    let forever = claim(&*store, "a", 1, Duration::MAX).await.expect("claim");
    assert_eq!(ids(&forever), more);
    assert!(claim(&*store, "b", 1, MINUTE)
        .await
        .expect("claim")
        .is_empty());
}

/// Pruning deletes finished deliveries older than the cut-off, with their
/// attempts, in batches; it keeps pending ones and recent ones.
pub(crate) async fn prune_deletes_old_finished_deliveries(store: Arc<dyn Store>) {
    let mut refused = new(9);
    refused.refused = Some("no URL".to_owned());
    let mut batch = news(5);
    batch.push(refused);
    let queued = store.enqueue(&batch).await.expect("enqueue");
    let claimed = claim_all(&*store, "a").await;
    assert_eq!(claimed.len(), 5);
    // 0 and 1 delivered, 2 failed, 3 gone; 4 retried later, still pending.
    let outcomes: Vec<Outcome> = claimed
        .iter()
        .map(|c| {
            let next = match queued.iter().position(|id| *id == c.id).expect("queued") {
                0 | 1 => Next::Finish(Status::Delivered),
                2 => Next::Finish(Status::Failed),
                3 => Next::Finish(Status::Gone),
                _ => Next::Retry(SystemTime::now() + MINUTE),
            };
            outcome(c, Some(attempt(Some(500), Some("boom"), None)), next)
        })
        .collect();
    assert_eq!(store.record(&outcomes).await.expect("record"), 5);

    // Nothing is old enough yet.
    assert_eq!(store.prune(MINUTE, 10).await.expect("prune"), 0);
    assert_eq!(store.prune(Duration::MAX, 10).await.expect("prune"), 0);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let recent = store.enqueue(&news(1)).await.expect("enqueue");
    let claimed = claim_all(&*store, "b").await;
    assert_eq!(ids(&claimed), recent);
    let done = outcome(&claimed[0], None, Next::Finish(Status::Delivered));
    assert_eq!(store.record(&[done]).await.expect("record"), 1);

    // Batches of two: five old finished deliveries, in three batches.
    let pruned = store
        .prune(Duration::from_millis(300), 2)
        .await
        .expect("prune");
    assert_eq!(pruned, 5);
    for (n, id) in queued.iter().enumerate() {
        let found = store.get(*id).await.expect("get");
        assert_eq!(found.is_some(), n == 4, "delivery {n}");
    }
    let (pending, attempts) = store.get(queued[4]).await.expect("get").expect("found");
    assert_eq!((pending.status, attempts.len()), (Status::Pending, 1));
    assert!(store.get(recent[0]).await.expect("get").is_some(), "recent");
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(store.prune(Duration::ZERO, 0).await.expect("prune"), 1);
    assert!(store.get(recent[0]).await.expect("get").is_none());
    assert_eq!(store.prune(Duration::ZERO, 100).await.expect("prune"), 0);
    let all = store.list(&ListFilter::default()).await.expect("list");
    assert_eq!(
        all.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![queued[4]]
    );
}

/// A claim walks the destinations in order: a few of each, none of the
/// excluded ones, and the next claim goes on where this one stopped.
pub(crate) async fn claims_take_turns_by_destination(store: Arc<dyn Store>) {
    let to = |host: &str, n: usize| NewDelivery {
        url: format!("https://{host}/hooks/{n}"),
        ..new(n)
    };
    // 100 for a.example, queued first; 2 for b.example; 1 for c.example.
    let mut batch: Vec<NewDelivery> = (0..100).map(|n| to("a.example", n)).collect();
    batch.extend([to("b.example", 0), to("b.example", 1), to("c.example", 0)]);
    store.enqueue(&batch).await.expect("enqueue");

    let request = |limit, after: &str, exclude: &[&str]| ClaimRequest {
        owner: "w".to_owned(),
        limit,
        per_destination: 3,
        exclude: exclude.iter().map(|d| (*d).to_owned()).collect(),
        after: after.to_owned(),
        lease: MINUTE,
    };
    let hosts = |claimed: &[Claimed]| -> Vec<String> {
        claimed.iter().map(|c| c.destination.clone()).collect()
    };
    let first = store
        .exchange(&[], &request(4, "", &[]))
        .await
        .expect("claim");
    assert_eq!(
        hosts(&first.claimed),
        [
            "https://a.example",
            "https://a.example",
            "https://a.example",
            "https://b.example"
        ],
        "three of a, then b"
    );
    assert_eq!(first.resume_after.as_deref(), Some("https://b.example"));
    assert_eq!(
        first.claimed[0].url, "https://a.example/hooks/0",
        "oldest first"
    );
    let second = store
        .exchange(&[], &request(10, "https://b.example", &[]))
        .await
        .expect("claim");
    assert_eq!(hosts(&second.claimed), ["https://c.example"]);
    assert_eq!(second.resume_after, None, "the walk reached the end");
    // a.example excluded (its breaker open, say): b's last one only.
    let third = store
        .exchange(&[], &request(10, "", &["https://a.example"]))
        .await
        .expect("claim");
    assert_eq!(hosts(&third.claimed), ["https://b.example"]);
    // Recording and claiming in one exchange: the recorded delivery is
    // due again at once but not claimed again in the same step.
    let back = Outcome::defer(&first.claimed[0], ago(MINUTE));
    let fourth = store
        .exchange(std::slice::from_ref(&back), &request(10, "", &[]))
        .await
        .expect("exchange");
    assert_eq!(fourth.recorded, 1);
    assert_eq!(hosts(&fourth.claimed), ["https://a.example"; 3]);
    assert!(fourth.claimed.iter().all(|c| c.id != back.id));
    let fifth = store
        .exchange(&[], &request(1, "", &[]))
        .await
        .expect("claim");
    assert_eq!(fifth.claimed[0].id, back.id, "given back, claimed again");
    assert_eq!(fifth.claimed[0].attempts, 0, "no attempt counted");
}

/// Runs each suite function against each store, each on a fresh store.
macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod memory {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(Arc::new(MemoryStore::new())).await;
                }
            )*
        }

        #[cfg(feature = "sqlite")]
        mod sqlite_suite {
            use super::*;
            use super::sqlite::TempFile;
            use crate::store::SqliteStore;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let file = TempFile::new(stringify!($test));
                    let store = SqliteStore::open(&file.path).await.expect("open");
                    super::$test(Arc::new(store.clone())).await;
                    store.close().await;
                }
            )*
        }

        #[cfg(feature = "postgres")]
        mod postgres_suite {
            use super::*;
            use super::postgres::TestSchema;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let Some(schema) = TestSchema::new().await else {
                        return;
                    };
                    let store = schema.store(4).await;
                    super::$test(Arc::new(store.clone())).await;
                    store.close().await;
                }
            )*
        }
    };
}

suite!(
    enqueue_then_list_and_get,
    refused_is_stored_and_never_claimed,
    claim_leases_oldest_first,
    expired_lease_is_claimed_again,
    retry_later_waits,
    retry_past_is_claimable_again,
    finish_states,
    attempt_log,
    list_filters_and_pages,
    concurrent_claims_are_exclusive,
    bad_input_is_refused,
    prune_deletes_old_finished_deliveries,
    claims_take_turns_by_destination,
    list_filters_by_callback_destination_and_time,
    retry_sends_a_finished_delivery_again,
    cancel_stops_a_pending_delivery,
    cancel_races_the_workers,
    counts_by_state,
);

/// The background pruner deletes finished deliveries as they age.
#[tokio::test]
async fn pruner_runs_in_the_background() {
    let store = Arc::new(MemoryStore::new());
    let queued = store.enqueue(&news(2)).await.expect("enqueue");
    let claimed = claim_all(&*store, "a").await;
    let done = outcome(&claimed[0], None, Next::Finish(Status::Delivered));
    assert_eq!(store.record(&[done]).await.expect("record"), 1);
    let pruner = spawn_pruner(
        Arc::clone(&store) as Arc<dyn Store>,
        Duration::from_millis(10),
        Duration::from_millis(20),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.get(claimed[0].id).await.expect("get").is_some() {
        assert!(Instant::now() < deadline, "the pruner never ran");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    pruner.abort();
    let pending = queued
        .iter()
        .find(|id| **id != claimed[0].id)
        .expect("other");
    assert!(store.get(*pending).await.expect("get").is_some());
}

// ---------------------------------------------------------------------------
// SQLite only.

/// Enqueues from twenty callers at once, one of whose batches holds a row
/// the database refuses: that caller alone gets the error, and none of its
/// rows is stored; the others' rows all are.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(super) async fn a_bad_batch_fails_alone(store: Arc<dyn Store>) {
    let calls: Vec<_> = (0..20)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut batch = vec![new(2 * n), new(2 * n + 1)];
                if n == 7 {
                    batch[1].callback = "bad".to_owned();
                }
                store.enqueue(&batch).await
            })
        })
        .collect();
    let mut stored = 0;
    for (n, call) in calls.into_iter().enumerate() {
        match call.await.expect("task") {
            Ok(ids) => {
                assert_ne!(n, 7, "the bad batch was stored");
                assert_eq!(ids.len(), 2);
                stored += 2;
            }
            Err(error) => {
                assert_eq!(n, 7, "a good batch failed: {error}");
                assert!(error.to_string().contains("a bad row"), "{error}");
            }
        }
    }
    let listed = store
        .list(&ListFilter {
            limit: 1000,
            ..ListFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.len(), stored);
    assert_eq!(stored, 38);
    assert!(!listed
        .iter()
        .any(|d| d.url.ends_with("/hooks/14") || d.url.ends_with("/hooks/15")));
}

/// Prints a measurement.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(super) fn report(what: &str, n: usize, elapsed: Duration) {
    let per_second = n as f64 / elapsed.as_secs_f64();
    println!(
        "{what}: {n} in {:.3} s, {per_second:.0}/s, {:.1} µs each",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
}
