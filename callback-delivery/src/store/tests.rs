//! The store suite: the rules every [`Store`] keeps, run against each
//! implementation, and the SQLite store's own tests (durability across a
//! reopen and a `SIGKILL`, migrations) and measurements.
//!
//! Each suite function takes a fresh, empty store. A new store joins by
//! adding a module to the `suite!` invocation at the end.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{spawn_pruner, Claimed, ListFilter, MemoryStore, Next, Outcome, SqliteStore, Store};
use crate::delivery::{unix_millis, Attempt, DeliveryId, NewDelivery, Status};

const MINUTE: Duration = Duration::from_secs(60);

fn new(n: usize) -> NewDelivery {
    NewDelivery {
        callback: "invoice_callbacks::invoice_notification".to_owned(),
        method: "POST".to_owned(),
        url: format!("https://receiver.example/hooks/{n}"),
        body: format!("{{\"n\":{n}}}"),
        refused: None,
    }
}

fn news(count: usize) -> Vec<NewDelivery> {
    (0..count).map(new).collect()
}

fn attempt(status: Option<u16>, error: Option<&str>, body: Option<&str>) -> Attempt {
    Attempt {
        started_at: unix_millis(SystemTime::now()),
        duration_ms: 12,
        status,
        error: error.map(str::to_owned),
        response_body: body.map(str::to_owned),
    }
}

fn outcome(claimed: &Claimed, attempt: Option<Attempt>, next: Next) -> Outcome {
    Outcome {
        id: claimed.id,
        lease: claimed.lease,
        attempt,
        next,
    }
}

fn now_millis() -> i64 {
    unix_millis(SystemTime::now())
}

fn ago(duration: Duration) -> SystemTime {
    SystemTime::now() - duration
}

/// Claims everything due, for a long lease.
async fn claim_all(store: &dyn Store, owner: &str) -> Vec<Claimed> {
    store.claim(owner, 1000, MINUTE).await.expect("claim")
}

fn ids(claimed: &[Claimed]) -> Vec<DeliveryId> {
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
    let due = store.next_due().await.expect("next due").expect("some");
    // The only pending delivery is leased: due when its lease runs out.
    assert!(unix_millis(due) > now_millis() + 30_000);
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

    let first = store.claim("a", 2, MINUTE).await.expect("claim");
    assert_eq!(ids(&first), vec![queued[0], queued[1]], "oldest due first");
    for c in &first {
        let setup = claimed
            .iter()
            .find(|s| s.id == c.id)
            .expect("claimed before");
        assert!(c.lease > setup.lease, "a fresh lease");
    }
    let second = store.claim("b", 10, MINUTE).await.expect("claim");
    assert_eq!(ids(&second), vec![queued[2]]);
    assert!(store
        .claim("b", 10, MINUTE)
        .await
        .expect("claim")
        .is_empty());
    assert!(store
        .claim("a", 10, MINUTE)
        .await
        .expect("claim")
        .is_empty());
    assert!(store.claim("c", 0, MINUTE).await.expect("claim").is_empty());
}

/// Once a lease expires another worker claims the delivery, and the first
/// worker's record no longer applies.
pub(crate) async fn expired_lease_is_claimed_again(store: Arc<dyn Store>) {
    let queued = store.enqueue(&news(1)).await.expect("enqueue");
    // Long enough that the next claim comes before it expires, even on a
    // busy database server.
    let lease = Duration::from_millis(400);
    let first = store.claim("a", 10, lease).await.expect("claim");
    assert_eq!(ids(&first), queued);
    assert!(store
        .claim("b", 10, MINUTE)
        .await
        .expect("claim")
        .is_empty());

    tokio::time::sleep(lease + Duration::from_millis(50)).await;
    let second = store.claim("b", 10, MINUTE).await.expect("claim");
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

/// A retry in the future is not claimable, and `next_due` says when it is.
pub(crate) async fn retry_later_waits(store: Arc<dyn Store>) {
    assert_eq!(store.next_due().await.expect("next due"), None);
    let queued = store.enqueue(&news(1)).await.expect("enqueue");
    let due = store.next_due().await.expect("next due").expect("some");
    assert!(unix_millis(due) <= now_millis(), "due now");

    let claimed = claim_all(&*store, "a").await;
    let at = SystemTime::now() + Duration::from_secs(3600);
    let failed = attempt(Some(503), Some("503 Service Unavailable"), Some("busy"));
    let applied = store
        .record(&[outcome(&claimed[0], Some(failed), Next::Retry(at))])
        .await
        .expect("record");
    assert_eq!(applied, 1);

    assert!(claim_all(&*store, "b").await.is_empty());
    let due = store.next_due().await.expect("next due").expect("some");
    assert_eq!(unix_millis(due), unix_millis(at));
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
    assert_eq!(store.next_due().await.expect("next due"), None);
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
                    let claimed = store.claim(&owner, 7, MINUTE).await.expect("claim");
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
        before: None,
        limit: 1000,
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
        status: None,
        before: Some(DeliveryId(i64::MIN)),
        limit: 5,
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
    let forever = store.claim("a", 1, Duration::MAX).await.expect("claim");
    assert_eq!(ids(&forever), more);
    assert!(store.claim("b", 1, MINUTE).await.expect("claim").is_empty());
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

        mod sqlite {
            use super::*;
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

/// A database file under the temporary directory, removed (with its WAL and
/// shared-memory files) when dropped.
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn new(name: &str) -> TempFile {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let file = format!(
            "callback-delivery-{name}-{}-{nanos}.sqlite",
            std::process::id()
        );
        TempFile {
            path: std::env::temp_dir().join(file),
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            // Best effort: a leftover temporary file is harmless.
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn count(store: &SqliteStore, status: Status) -> usize {
    let filter = ListFilter {
        status: Some(status),
        before: None,
        limit: 1000,
    };
    store.list(&filter).await.expect("list").len()
}

#[tokio::test]
async fn sqlite_keeps_deliveries_across_reopen() {
    let file = TempFile::new("reopen");
    let store = SqliteStore::open(&file.path).await.expect("open");
    let queued = store.enqueue(&news(5)).await.expect("enqueue");
    let claimed = store.claim("a", 1, MINUTE).await.expect("claim");
    let delivered = outcome(
        &claimed[0],
        Some(attempt(Some(200), None, None)),
        Next::Finish(Status::Delivered),
    );
    assert_eq!(store.record(&[delivered]).await.expect("record"), 1);
    drop(store);

    let store = SqliteStore::open(&file.path).await.expect("reopen");
    assert_eq!(count(&store, Status::Pending).await, 4);
    assert_eq!(count(&store, Status::Delivered).await, 1);
    let (_, attempts) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!(attempts.len(), 1);
    // New ids continue after the old ones.
    let more = store.enqueue(&news(1)).await.expect("enqueue");
    assert!(more[0] > queued[4]);
    store.close().await;
}

#[tokio::test]
async fn sqlite_migrations_are_idempotent() {
    let file = TempFile::new("migrate");
    let first = SqliteStore::open(&file.path).await.expect("open");
    let queued = first.enqueue(&news(2)).await.expect("enqueue");
    // A second store on the same file, while the first is open.
    let second = SqliteStore::open(&file.path).await.expect("open again");
    assert_eq!(count(&second, Status::Pending).await, 2);
    // Each sees the other's writes; leases hold across them.
    let claimed = second.claim("b", 10, MINUTE).await.expect("claim");
    assert_eq!(ids(&claimed), queued);
    assert!(first
        .claim("a", 10, MINUTE)
        .await
        .expect("claim")
        .is_empty());
    first.close().await;
    second.close().await;
    let third = SqliteStore::open(&file.path)
        .await
        .expect("open a third time");
    assert_eq!(count(&third, Status::Pending).await, 2);
    third.close().await;
}

#[tokio::test]
async fn sqlite_refuses_a_newer_schema_and_a_foreign_file() {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};

    let file = TempFile::new("newer");
    SqliteStore::open(&file.path)
        .await
        .expect("open")
        .close()
        .await;
    let mut conn = SqliteConnectOptions::new()
        .filename(&file.path)
        .connect()
        .await
        .expect("connect");
    sqlx::query("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)")
        .execute(&mut conn)
        .await
        .expect("insert");
    conn.close().await.expect("close");
    let error = SqliteStore::open(&file.path)
        .await
        .expect_err("newer schema");
    assert!(error.to_string().contains("version 99"), "{error}");

    let garbage = TempFile::new("garbage");
    std::fs::write(&garbage.path, b"not a database, just some bytes").expect("write");
    assert!(SqliteStore::open(&garbage.path).await.is_err());
    let missing_dir = std::env::temp_dir()
        .join("callback-delivery-no-such-directory")
        .join("store.sqlite");
    assert!(SqliteStore::open(&missing_dir).await.is_err());
}

/// The environment variable that turns the next test into the child it
/// spawns.
const CRASH_CHILD: &str = "CALLBACK_DELIVERY_CRASH_CHILD_DB";

/// Queues deliveries in a child process, kills it with `SIGKILL` once
/// `enqueue` has returned, and finds them all in the file.
#[tokio::test]
async fn sqlite_keeps_deliveries_across_sigkill() {
    if let Some(path) = std::env::var_os(CRASH_CHILD) {
        // The child: queue, say so, and wait to be killed.
        let store = SqliteStore::open(PathBuf::from(path)).await.expect("open");
        for n in 0..20 {
            store.enqueue(&news(n % 3 + 1)).await.expect("enqueue");
        }
        println!("ENQUEUED");
        tokio::time::sleep(MINUTE).await;
        return;
    }

    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let file = TempFile::new("sigkill");
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe)
        .args([
            "store::tests::sqlite_keeps_deliveries_across_sigkill",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_CHILD, &file.path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().expect("the child's stdout");
    let enqueued = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("ENQUEUED"));
    // `kill` is SIGKILL on Unix: no destructor, no checkpoint, no close.
    child.kill().expect("kill the child");
    child.wait().expect("reap the child");
    assert!(enqueued, "the child queued its deliveries");

    let store = SqliteStore::open(&file.path).await.expect("reopen");
    let expected: usize = (0..20).map(|n| n % 3 + 1).sum();
    assert_eq!(count(&store, Status::Pending).await, expected);
    store.close().await;
}

/// Measures the SQLite store; prints, asserts nothing about time. Run with
/// `cargo test -p callback-delivery --release sqlite_measure -- --ignored
/// --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement, not a test"]
async fn sqlite_measure() {
    const N: usize = 10_000;

    let file = TempFile::new("measure-single");
    let store = SqliteStore::open(&file.path).await.expect("open");
    let one = news(1);
    let start = Instant::now();
    for _ in 0..N {
        store.enqueue(&one).await.expect("enqueue");
    }
    report("enqueue, one per call", N, start.elapsed());
    store.close().await;

    let file = TempFile::new("measure-batch");
    let store = SqliteStore::open(&file.path).await.expect("open");
    let batch = news(100);
    let start = Instant::now();
    for _ in 0..N / 100 {
        store.enqueue(&batch).await.expect("enqueue");
    }
    report("enqueue, batches of 100", N, start.elapsed());

    // One worker: claim 100, record 100 (each with an attempt).
    let start = Instant::now();
    let mut done = 0;
    loop {
        let claimed = store.claim("w", 100, MINUTE).await.expect("claim");
        if claimed.is_empty() {
            break;
        }
        let outcomes: Vec<Outcome> = claimed
            .iter()
            .map(|c| {
                let tried = attempt(Some(200), None, Some("ok"));
                outcome(c, Some(tried), Next::Finish(Status::Delivered))
            })
            .collect();
        done += store.record(&outcomes).await.expect("record");
    }
    assert_eq!(done, N);
    report("claim 100 + record 100, one worker", N, start.elapsed());

    // Four workers, batches of 25.
    store.enqueue(&news(N)).await.expect("enqueue");
    let store = Arc::new(store);
    let start = Instant::now();
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let owner = format!("w{w}");
                let mut done = 0;
                loop {
                    let claimed = store.claim(&owner, 25, MINUTE).await.expect("claim");
                    if claimed.is_empty() {
                        return done;
                    }
                    let outcomes: Vec<Outcome> = claimed
                        .iter()
                        .map(|c| {
                            let tried = attempt(Some(200), None, Some("ok"));
                            outcome(c, Some(tried), Next::Finish(Status::Delivered))
                        })
                        .collect();
                    done += store.record(&outcomes).await.expect("record");
                }
            })
        })
        .collect();
    let mut done = 0;
    for worker in workers {
        done += worker.await.expect("worker");
    }
    assert_eq!(done, N);
    report("claim 25 + record 25, four workers", N, start.elapsed());
    store.close().await;
}

fn report(what: &str, n: usize, elapsed: Duration) {
    let per_second = n as f64 / elapsed.as_secs_f64();
    println!(
        "{what}: {n} in {:.3} s, {per_second:.0}/s, {:.1} µs each",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
}
