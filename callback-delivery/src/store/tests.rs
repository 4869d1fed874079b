//! The store suite: the rules every [`Store`] keeps, run against each
//! implementation, and the SQLite store's own tests (durability across a
//! reopen and a `SIGKILL`, migrations), the PostgreSQL store's own tests
//! (migrations, several instances on one queue, the outbox in the app's
//! transaction) and measurements.
//!
//! Each suite function takes a fresh, empty store. A new store joins by
//! adding a module to the `suite!` invocation at the end.
//!
//! The PostgreSQL tests run against the database named by
//! `CALLBACKS_TEST_DATABASE_URL`, each in a fresh schema of its own; without
//! it (or when the server cannot be reached) they print a notice and pass,
//! unless `CI` is `true`, where they fail.

use std::collections::HashSet;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sqlx::postgres::{PgConnectOptions, PgConnection};

use super::{
    spawn_pruner, ClaimRequest, Claimed, ListFilter, MemoryStore, Next, Outcome, PostgresStore,
    SqliteStore, Store, StoreError,
};
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

/// Claims up to `limit` due deliveries for `owner`, as one worker would.
async fn claim(
    store: &dyn Store,
    owner: &str,
    limit: usize,
    lease: Duration,
) -> Result<Vec<Claimed>, StoreError> {
    store.claim(&ClaimRequest::new(owner, limit, lease)).await
}

/// Claims everything due, for a long lease.
async fn claim_all(store: &dyn Store, owner: &str) -> Vec<Claimed> {
    claim(store, owner, 1000, MINUTE).await.expect("claim")
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

        mod postgres {
            use super::*;
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

/// Enqueues from twenty callers at once, one of whose batches holds a row
/// the database refuses: that caller alone gets the error, and none of its
/// rows is stored; the others' rows all are.
async fn a_bad_batch_fails_alone(store: Arc<dyn Store>) {
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
            status: None,
            before: None,
            limit: 1000,
        })
        .await
        .expect("list");
    assert_eq!(listed.len(), stored);
    assert_eq!(stored, 38);
    assert!(!listed
        .iter()
        .any(|d| d.url.ends_with("/hooks/14") || d.url.ends_with("/hooks/15")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_bad_batch_fails_alone() {
    use sqlx::{ConnectOptions, Connection};

    let file = TempFile::new("bad-batch");
    let store = SqliteStore::open(&file.path).await.expect("open");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file.path)
        .connect()
        .await
        .expect("connect");
    sqlx::query(
        "CREATE TRIGGER refuse_bad BEFORE INSERT ON callback_deliveries
         WHEN NEW.callback = 'bad' BEGIN SELECT RAISE(ABORT, 'a bad row'); END",
    )
    .execute(&mut conn)
    .await
    .expect("the trigger");
    conn.close().await.expect("close");
    a_bad_batch_fails_alone(Arc::new(store.clone())).await;
    store.close().await;
}

#[tokio::test]
async fn sqlite_keeps_deliveries_across_reopen() {
    let file = TempFile::new("reopen");
    let store = SqliteStore::open(&file.path).await.expect("open");
    let queued = store.enqueue(&news(5)).await.expect("enqueue");
    let claimed = claim(&store, "a", 1, MINUTE).await.expect("claim");
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
    let claimed = claim(&second, "b", 10, MINUTE).await.expect("claim");
    assert_eq!(ids(&claimed), queued);
    assert!(claim(&first, "a", 10, MINUTE)
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

/// The pre-release schema of the SQLite store (its migrations 1 and 2, and
/// the table its own runner kept them in), to build a file as that version
/// left it.
const PRE_RELEASE_SQLITE: &str = "
CREATE TABLE schema_migrations (
    version     INTEGER PRIMARY KEY,
    description TEXT    NOT NULL,
    applied_at  INTEGER NOT NULL
);
INSERT INTO schema_migrations VALUES (1, 'deliveries and attempts', 0);
INSERT INTO schema_migrations VALUES (2, 'finished deliveries, to prune', 0);
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT    NOT NULL UNIQUE,
    callback        TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN
                        ('pending', 'delivered', 'failed', 'refused', 'gone')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_status     INTEGER,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER,
    finished_at     INTEGER,
    lease           INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     INTEGER
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_by_status ON deliveries (status, id);
CREATE TABLE attempts (
    id              INTEGER PRIMARY KEY,
    delivery_id     INTEGER NOT NULL REFERENCES deliveries (id),
    started_at      INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    status          INTEGER,
    error           TEXT,
    response_body   TEXT
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, id);
CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE finished_at IS NOT NULL;
INSERT INTO deliveries (webhook_id, callback, method, url, body, status, created_at, next_attempt_at)
    VALUES ('msg_pending', 'g::c', 'POST', 'https://client.example:8443/h/1', '{}', 'pending', 0, 0);
INSERT INTO deliveries (webhook_id, callback, method, url, body, status, attempts, last_status,
                        created_at, finished_at)
    VALUES ('msg_done', 'g::c', 'POST', 'https://client.example/h/2', '{}', 'delivered', 1, 200, 0, 5);
INSERT INTO attempts (delivery_id, started_at, duration_ms, status) VALUES (2, 1, 4, 200);
";

#[tokio::test]
async fn sqlite_imports_a_pre_release_file_and_keeps_its_rows() {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};

    let file = TempFile::new("upgrade");
    let options = SqliteConnectOptions::new()
        .filename(&file.path)
        .create_if_missing(true);
    let mut conn = options.connect().await.expect("create a pre-release file");
    sqlx::raw_sql(PRE_RELEASE_SQLITE)
        .execute(&mut conn)
        .await
        .expect("the pre-release schema and rows");
    conn.close().await.expect("close");

    // Opening it moves the rows into the new tables, with destinations.
    let store = SqliteStore::open(&file.path).await.expect("migrate");
    let claimed = claim(&store, "a", 10, MINUTE).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].webhook_id, "msg_pending");
    assert_eq!(claimed[0].destination, "https://client.example:8443");
    let (done, attempts) = store.get(DeliveryId(2)).await.expect("get").expect("found");
    assert_eq!(
        (done.status, done.last_status, attempts.len()),
        (Status::Delivered, Some(200), 1)
    );
    let more = store.enqueue(&news(1)).await.expect("enqueue");
    assert_eq!(more, [DeliveryId(3)], "ids go on after the imported ones");
    store.close().await;

    let mut conn = options.connect().await.expect("reopen");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    assert_eq!(
        tables,
        [
            "_sqlx_migrations",
            "callback_attempts",
            "callback_deliveries"
        ]
    );
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .expect("versions");
    assert_eq!(versions, [1]);
    conn.close().await.expect("close");

    // Opening it again changes nothing.
    let store = SqliteStore::open(&file.path)
        .await
        .expect("reopen the store");
    assert_eq!(count(&store, Status::Pending).await, 2);
    store.close().await;
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
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99, 'from the future', TRUE, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .expect("insert");
    conn.close().await.expect("close");
    let error = SqliteStore::open(&file.path)
        .await
        .expect_err("newer schema");
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    assert!(error.to_string().contains("migration 99"), "{error}");

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
        let claimed = claim(&store, "w", 100, MINUTE).await.expect("claim");
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
                    let claimed = claim(&*store, &owner, 25, MINUTE).await.expect("claim");
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

/// Measures group commit: 64 producers queue one delivery per call at
/// once, with and without a sync per commit; prints, asserts nothing about
/// time. Run with `cargo test -p callback-delivery --release
/// sqlite_measure_group_commit -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a test"]
async fn sqlite_measure_group_commit() {
    const PRODUCERS: usize = 64;
    const EACH: usize = 500;
    for durability in [super::Durability::PowerLoss, super::Durability::ProcessCrashOnly] {
        let file = TempFile::new("measure-group");
        let config = super::SqliteConfig {
            durability,
            ..super::SqliteConfig::default()
        };
        let store = Arc::new(SqliteStore::open_with(&file.path, config).await.expect("open"));
        let start = Instant::now();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    for n in 0..EACH {
                        store.enqueue(&[new(p * EACH + n)]).await.expect("enqueue");
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.await.expect("producer");
        }
        report(
            &format!("enqueue, {PRODUCERS} producers, {durability:?}"),
            PRODUCERS * EACH,
            start.elapsed(),
        );
        store.close().await;
    }
}

fn report(what: &str, n: usize, elapsed: Duration) {
    let per_second = n as f64 / elapsed.as_secs_f64();
    println!(
        "{what}: {n} in {:.3} s, {per_second:.0}/s, {:.1} µs each",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
}

// ---------------------------------------------------------------------------
// PostgreSQL only.

/// The environment variable that names the test database.
const DATABASE_URL: &str = "CALLBACKS_TEST_DATABASE_URL";

/// Skips a PostgreSQL test with a notice, or fails it in CI.
fn skip(why: &str) -> Option<TestSchema> {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("the PostgreSQL tests must run in CI, but {why}");
    }
    eprintln!("skipping a PostgreSQL test: {why}");
    None
}

/// A fresh schema of the test database, for one test's tables; dropped,
/// with everything in it, when dropped.
struct TestSchema {
    url: String,
    name: String,
}

impl TestSchema {
    /// A new schema, or `None` (after a notice) when there is no database.
    async fn new() -> Option<TestSchema> {
        use sqlx::Connection;

        let Ok(url) = std::env::var(DATABASE_URL) else {
            return skip(&format!("{DATABASE_URL} is not set"));
        };
        let options = match PgConnectOptions::from_str(&url) {
            Ok(options) => options,
            Err(e) => return skip(&format!("{DATABASE_URL} is not a PostgreSQL URL: {e}")),
        };
        let connecting = PgConnection::connect_with(&options);
        let mut conn = match tokio::time::timeout(Duration::from_secs(10), connecting).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return skip(&format!("the database is unreachable: {e}")),
            Err(_) => return skip("connecting to the database timed out"),
        };
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).expect("the operating system's random source");
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let name = format!("test_{suffix}");
        sqlx::raw_sql(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .expect("create the test schema");
        conn.close().await.expect("close");
        Some(TestSchema { url, name })
    }

    /// Connection options whose `search_path` is the schema.
    fn options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.url)
            .expect("a PostgreSQL URL")
            .options([("search_path", &self.name)])
    }

    /// A store whose tables are in the schema.
    async fn store(&self, max_connections: u32) -> PostgresStore {
        PostgresStore::connect_with(self.options(), max_connections)
            .await
            .expect("connect the store")
    }

    /// A connection of its own, in the schema.
    async fn connection(&self) -> PgConnection {
        use sqlx::Connection;

        PgConnection::connect_with(&self.options())
            .await
            .expect("connect")
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        use sqlx::Connection;

        let options = self.options();
        let drop_schema = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        // On a thread of its own, with a runtime of its own: this runs
        // inside the test's runtime, maybe while a failed test unwinds.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let mut conn = PgConnection::connect_with(&options).await?;
                sqlx::raw_sql(&drop_schema).execute(&mut conn).await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test schema {}", self.name);
        }
    }
}

/// One number from a query.
async fn scalar(conn: &mut PgConnection, sql: &str) -> i64 {
    use sqlx::Row;

    sqlx::query(sql)
        .fetch_one(conn)
        .await
        .expect(sql)
        .try_get(0)
        .expect(sql)
}

/// The names of the tables in `schema`, sorted.
async fn tables(conn: &mut PgConnection, schema: &str) -> Vec<String> {
    use sqlx::Row;

    sqlx::query(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = $1 ORDER BY table_name",
    )
    .bind(schema)
    .fetch_all(conn)
    .await
    .expect("list the tables")
    .iter()
    .map(|row| row.try_get(0).expect("a name"))
    .collect()
}

/// Migrations build the tables in an empty schema once, even when three
/// instances start at once; connecting again changes nothing; a schema
/// from a newer version is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_migrations_from_empty_concurrent_and_idempotent() {
    let Some(schema) = TestSchema::new().await else {
        return;
    };
    let mut conn = schema.connection().await;
    assert!(tables(&mut conn, &schema.name).await.is_empty());

    let starting: Vec<_> = (0..3)
        .map(|_| {
            let options = schema.options();
            tokio::spawn(async move { PostgresStore::connect_with(options, 2).await })
        })
        .collect();
    let mut stores = Vec::new();
    for store in starting {
        stores.push(store.await.expect("task").expect("connect"));
    }
    assert_eq!(
        tables(&mut conn, &schema.name).await,
        [
            "_sqlx_migrations",
            "callback_attempts",
            "callback_deliveries"
        ]
    );
    let versions = "SELECT COUNT(*) * 1000 + MAX(version) FROM _sqlx_migrations";
    assert_eq!(scalar(&mut conn, versions).await, 1001, "version 1, once");
    let due_index = "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() \
         AND indexname = 'callback_deliveries_due' AND indexdef LIKE '%WHERE (status = %pending%'";
    assert_eq!(scalar(&mut conn, due_index).await, 1, "a partial index");

    let again = schema.store(2).await;
    assert_eq!(scalar(&mut conn, versions).await, 1001, "nothing more");
    // The instances share one queue.
    let queued = stores[0].enqueue(&news(2)).await.expect("enqueue");
    let claimed = claim(&stores[1], "b", 10, MINUTE).await.expect("claim");
    assert_eq!(ids(&claimed), queued);
    assert!(claim(&again, "c", 10, MINUTE)
        .await
        .expect("claim")
        .is_empty());

    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99, 'from the future', TRUE, '\\x00', 0)",
    )
    .execute(&mut conn)
    .await
    .expect("insert");
    let error = PostgresStore::connect_with(schema.options(), 1)
        .await
        .expect_err("a newer schema");
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    assert!(error.to_string().contains("migration 99"), "{error}");
    for store in stores.iter().chain([&again]) {
        store.close().await;
    }
}

/// The pre-release schema of the PostgreSQL store, as its own migration
/// runner left it, with one pending and one delivered row.
const PRE_RELEASE_POSTGRES: &str = "
CREATE TABLE callback_schema_migrations (
    version     BIGINT  PRIMARY KEY,
    description TEXT    NOT NULL,
    applied_at  BIGINT  NOT NULL
);
INSERT INTO callback_schema_migrations VALUES (1, 'deliveries and attempts', 0);
CREATE TABLE callback_deliveries (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      TEXT    NOT NULL UNIQUE,
    callback        TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN
                        ('pending', 'delivered', 'failed', 'refused', 'gone')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_status     INTEGER,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT,
    finished_at     BIGINT,
    lease           BIGINT  NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     BIGINT,
    CHECK ((status = 'pending') = (finished_at IS NULL))
);
CREATE INDEX callback_deliveries_due ON callback_deliveries (next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX callback_deliveries_by_status ON callback_deliveries (status, id)
    WHERE status <> 'pending';
CREATE INDEX callback_deliveries_finished ON callback_deliveries (finished_at)
    WHERE finished_at IS NOT NULL;
CREATE TABLE callback_attempts (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id     BIGINT  NOT NULL REFERENCES callback_deliveries (id) ON DELETE CASCADE,
    started_at      BIGINT  NOT NULL,
    duration_ms     BIGINT  NOT NULL,
    status          INTEGER,
    error           TEXT,
    response_body   TEXT
);
CREATE INDEX callback_attempts_by_delivery ON callback_attempts (delivery_id, id);
INSERT INTO callback_deliveries (webhook_id, callback, method, url, body, status, created_at, next_attempt_at)
    VALUES ('msg_pending', 'g::c', 'POST', 'https://client.example:8443/h/1', '{}', 'pending', 0, 0);
INSERT INTO callback_deliveries (webhook_id, callback, method, url, body, status, attempts,
                                 last_status, created_at, finished_at)
    VALUES ('msg_done', 'g::c', 'POST', 'https://client.example/h/2', '{}', 'delivered', 1, 200, 0, 5);
INSERT INTO callback_attempts (delivery_id, started_at, duration_ms, status) VALUES (2, 1, 4, 200);
";

/// A schema of the pre-release store is brought up to date where it is,
/// its rows kept, by instances starting at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_upgrades_a_pre_release_schema_in_place() {
    let Some(schema) = TestSchema::new().await else {
        return;
    };
    let mut conn = schema.connection().await;
    sqlx::raw_sql(PRE_RELEASE_POSTGRES)
        .execute(&mut conn)
        .await
        .expect("the pre-release schema");
    let starting: Vec<_> = (0..2)
        .map(|_| {
            let options = schema.options();
            tokio::spawn(async move { PostgresStore::connect_with(options, 2).await })
        })
        .collect();
    let mut stores = Vec::new();
    for store in starting {
        stores.push(store.await.expect("task").expect("connect"));
    }
    assert_eq!(
        tables(&mut conn, &schema.name).await,
        [
            "_sqlx_migrations",
            "callback_attempts",
            "callback_deliveries"
        ]
    );
    let claimed = claim(&stores[0], "a", 10, MINUTE).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].webhook_id, "msg_pending");
    assert_eq!(claimed[0].destination, "https://client.example:8443");
    let (done, attempts) = stores[1]
        .get(DeliveryId(2))
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        (done.status, done.last_status, attempts.len()),
        (Status::Delivered, Some(200), 1)
    );
    let more = stores[1].enqueue(&news(1)).await.expect("enqueue");
    assert_eq!(more, [DeliveryId(3)], "ids go on after the old ones");
    for store in &stores {
        store.close().await;
    }
}

/// Three instances, three workers each, claim 3,000 deliveries at once,
/// holding every lease: each delivery is claimed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_three_instances_claim_each_delivery_once() {
    const N: usize = 3_000;

    let Some(schema) = TestSchema::new().await else {
        return;
    };
    let first = schema.store(4).await;
    let mut queued = Vec::new();
    for _ in 0..3 {
        queued.extend(first.enqueue(&news(N / 3)).await.expect("enqueue"));
    }
    let stores = [first, schema.store(4).await, schema.store(4).await];
    let mut workers = Vec::new();
    for (instance, store) in stores.iter().enumerate() {
        for worker in 0..3 {
            let store = store.clone();
            workers.push(tokio::spawn(async move {
                let owner = format!("instance-{instance}-worker-{worker}");
                let mut mine = Vec::new();
                loop {
                    let claimed = claim(&store, &owner, 32, MINUTE).await.expect("claim");
                    if claimed.is_empty() {
                        break;
                    }
                    mine.extend(claimed);
                }
                (instance, mine)
            }));
        }
    }
    let mut seen = HashSet::new();
    let mut per_instance = [0; 3];
    let mut outcomes = Vec::new();
    for worker in workers {
        let (instance, mine) = worker.await.expect("worker");
        per_instance[instance] += mine.len();
        for c in &mine {
            assert!(seen.insert(c.id), "{} claimed twice", c.id);
            assert_eq!(c.lease, 1, "one lease each");
        }
        outcomes.extend(mine.iter().map(|c| {
            let tried = attempt(Some(200), None, None);
            outcome(c, Some(tried), Next::Finish(Status::Delivered))
        }));
    }
    eprintln!("claims per instance: {per_instance:?}");
    assert_eq!(seen, queued.iter().copied().collect::<HashSet<_>>());
    assert_eq!(stores[2].record(&outcomes).await.expect("record"), N);
    let mut conn = schema.connection().await;
    let delivered =
        "SELECT COUNT(*) FROM callback_deliveries WHERE status = 'delivered' AND attempts = 1";
    assert_eq!(scalar(&mut conn, delivered).await, N as i64);
    let logged = "SELECT COUNT(DISTINCT delivery_id) FROM callback_attempts";
    assert_eq!(scalar(&mut conn, logged).await, N as i64);
    for store in &stores {
        store.close().await;
    }
}

/// A lease taken through one instance holds against another until it
/// expires; then the other claims the delivery, and the first one's record
/// no longer applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_lease_expiry_across_instances() {
    let Some(schema) = TestSchema::new().await else {
        return;
    };
    let (a, b) = (schema.store(2).await, schema.store(2).await);
    let queued = a.enqueue(&news(1)).await.expect("enqueue");
    let lease = Duration::from_millis(500);
    let first = claim(&a, "a", 10, lease).await.expect("claim");
    assert_eq!(ids(&first), queued);
    assert!(claim(&b, "b", 10, MINUTE).await.expect("claim").is_empty());

    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    let second = claim(&b, "b", 10, MINUTE).await.expect("claim");
    assert_eq!(ids(&second), queued);
    assert!(second[0].lease > first[0].lease, "a fresh lease");

    let tried = || Some(attempt(Some(200), None, None));
    let stale = outcome(&first[0], tried(), Next::Finish(Status::Delivered));
    assert_eq!(a.record(&[stale]).await.expect("record"), 0);
    let current = outcome(&second[0], tried(), Next::Finish(Status::Delivered));
    assert_eq!(b.record(&[current]).await.expect("record"), 1);
    let (d, attempts) = a.get(queued[0]).await.expect("get").expect("found");
    assert_eq!(
        (d.status, d.attempts, attempts.len()),
        (Status::Delivered, 1, 1)
    );
    a.close().await;
    b.close().await;
}

/// The outbox: a delivery queued in the app's transaction is queued if and
/// only if the transaction commits, and its commit (only) notifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_outbox_in_the_app_transaction() {
    use sqlx::postgres::PgListener;
    use sqlx::{Connection, Row};

    let Some(schema) = TestSchema::new().await else {
        return;
    };
    let store = schema.store(4).await;
    let mut wakeups = store.listen().await.expect("listen");
    let mut listener = PgListener::connect_with(store.pool())
        .await
        .expect("a listener");
    listener
        .listen(super::NOTIFY_CHANNEL)
        .await
        .expect("listen");
    let mut conn = schema.connection().await;
    sqlx::raw_sql("CREATE TABLE invoices (id BIGINT PRIMARY KEY, amount BIGINT NOT NULL)")
        .execute(&mut conn)
        .await
        .expect("the app's table");
    let pid: i32 = sqlx::query("SELECT pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .expect("pid")
        .try_get(0)
        .expect("pid");
    let invoice =
        |id: i64| sqlx::query("INSERT INTO invoices (id, amount) VALUES ($1, 100)").bind(id);

    // Rolled back: neither the invoice nor its delivery.
    let mut tx = conn.begin().await.expect("begin");
    invoice(1).execute(&mut *tx).await.expect("insert");
    let rolled_back = PostgresStore::enqueue_in(&mut tx, &news(1))
        .await
        .expect("enqueue");
    tx.rollback().await.expect("rollback");
    assert!(store.get(rolled_back[0]).await.expect("get").is_none());
    assert!(claim_all(&store, "w").await.is_empty());

    // Committed: both, and a notification.
    let mut tx = conn.begin().await.expect("begin");
    invoice(2).execute(&mut *tx).await.expect("insert");
    let committed = PostgresStore::enqueue_in(&mut tx, &news(2))
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    assert_eq!(ids(&claim_all(&store, "w").await), committed);
    assert_eq!(scalar(&mut conn, "SELECT COUNT(*) FROM invoices").await, 1);
    tokio::time::timeout(Duration::from_secs(5), wakeups.recv())
        .await
        .expect("woken in time")
        .expect("a notification");
    // Other tests notify too: count this connection's notifications. The
    // rollback's would have come before the commit's.
    let mut ours = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let wait = if ours == 0 {
            deadline.saturating_duration_since(Instant::now())
        } else {
            Duration::from_millis(300)
        };
        match tokio::time::timeout(wait, listener.recv()).await {
            Ok(notification) => {
                let notification = notification.expect("a notification");
                if notification.process_id() == pid.unsigned_abs() {
                    ours += 1;
                }
            }
            Err(_) => break,
        }
    }
    assert_eq!(ours, 1, "one notification, from the commit");
    conn.close().await.expect("close");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_a_bad_batch_fails_alone() {
    let Some(schema) = TestSchema::new().await else {
        return;
    };
    let store = schema.store(4).await;
    let mut conn = schema.connection().await;
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.callback = 'bad' THEN RAISE EXCEPTION 'a bad row'; END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER refuse_bad BEFORE INSERT ON callback_deliveries
             FOR EACH ROW EXECUTE FUNCTION refuse_bad();",
    )
    .execute(&mut conn)
    .await
    .expect("the trigger");
    a_bad_batch_fails_alone(Arc::new(store.clone())).await;
    store.close().await;
}

/// Bad input is an error, never a crash: malformed URLs, unreachable
/// servers, text PostgreSQL cannot hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_bad_input_is_an_error() {
    assert!(PostgresStore::connect("not a url").await.is_err());
    assert!(PostgresStore::connect("mysql://localhost/db")
        .await
        .is_err());
    // Nothing listens on port 1.
    assert!(PostgresStore::connect("postgres://nobody@127.0.0.1:1/none")
        .await
        .is_err());

    let Some(schema) = TestSchema::new().await else {
        return;
    };
    let store = schema.store(2).await;
    let mut nul = new(0);
    nul.body = "{\"a\":\"\0\"}".to_owned();
    assert!(store.enqueue(&[new(1), nul]).await.is_err());
    assert!(claim_all(&store, "w").await.is_empty(), "nothing queued");

    // A receiver's answer may hold a NUL: it is stored, replaced.
    let queued = store.enqueue(&news(1)).await.expect("enqueue");
    let claimed = claim(&store, "w\0", 1, MINUTE).await.expect("claim");
    let tried = attempt(Some(500), Some("bad\0error"), Some("a\0b"));
    let retry = outcome(&claimed[0], Some(tried), Next::Retry(ago(MINUTE)));
    assert_eq!(store.record(&[retry]).await.expect("record"), 1);
    let (d, attempts) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!(d.last_error.as_deref(), Some("bad\u{FFFD}error"));
    assert_eq!(attempts[0].response_body.as_deref(), Some("a\u{FFFD}b"));

    // The same delivery twice in one batch applies twice, in order, as in
    // the other stores.
    let claimed = claim_all(&store, "w").await;
    let first = outcome(&claimed[0], None, Next::Retry(ago(MINUTE)));
    let tried = attempt(Some(200), None, None);
    let second = outcome(&claimed[0], Some(tried), Next::Finish(Status::Delivered));
    assert_eq!(store.record(&[first, second]).await.expect("record"), 2);
    let (d, attempts) = store.get(queued[0]).await.expect("get").expect("found");
    assert_eq!(
        (d.status, d.attempts, attempts.len()),
        (Status::Delivered, 2, 2)
    );
    store.close().await;
}

/// Every public future of the PostgreSQL store can be spawned (the
/// compiler checks it; nothing runs).
#[allow(dead_code, clippy::let_underscore_future)]
fn postgres_futures_are_send(store: PostgresStore, mut conn: PgConnection) {
    fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
    let deliveries = news(1);
    spawnable(PostgresStore::connect("postgres://"));
    spawnable(PostgresStore::connect_with(PgConnectOptions::new(), 1));
    let listening = store.clone();
    spawnable(async move { listening.listen().await.map(drop) });
    let closing = store.clone();
    spawnable(async move { closing.close().await });
    spawnable(async move {
        let mut wakeups = store.listen().await?;
        wakeups.recv().await
    });
    spawnable(async move { PostgresStore::enqueue_in(&mut conn, &deliveries).await });
}

/// The p50 and p99 of `samples`, in milliseconds.
fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1e3
    };
    (at(0.50), at(0.99))
}

/// Measures the PostgreSQL store with a long history: 1,000,000 delivered
/// deliveries (each with an attempt) and 5,000 pending. Prints the
/// latencies of `claim(…, 64, …)`, of recording 64 outcomes in one
/// statement (`UNNEST`) and one statement each, of listing and of pruning
/// the history; asserts nothing about time. Run with
/// `CALLBACKS_TEST_DATABASE_URL=postgres://… cargo test -p callback-delivery
/// --release postgres_measure -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement, not a test"]
async fn postgres_measure() {
    const HISTORY: i64 = 1_000_000;
    const PENDING: usize = 5_000;
    const ROUNDS: usize = 500;

    let Some(schema) = TestSchema::new().await else {
        return;
    };
    let store = schema.store(8).await;
    let mut conn = schema.connection().await;

    // The history, finished over the last ~12 days, 1 s apart.
    let start = Instant::now();
    let day = 86_400_000_i64;
    sqlx::query(
        "INSERT INTO callback_deliveries
             (webhook_id, callback, method, url, body, status, attempts, last_status,
              created_at, finished_at)
         SELECT 'msg_history' || g, 'invoice_callbacks::invoice_notification', 'POST',
                'https://receiver.example/hooks/' || g, '{\"n\":' || g || '}', 'delivered', 1,
                200, $1 - ($2 - g) * 1000 - 50, $1 - ($2 - g) * 1000
         FROM generate_series(1, $2) AS g",
    )
    .bind(now_millis() - day)
    .bind(HISTORY)
    .execute(&mut conn)
    .await
    .expect("the history");
    sqlx::query(
        "INSERT INTO callback_attempts (delivery_id, started_at, duration_ms, status,
                                        response_body)
         SELECT id, created_at, 50, 200, 'ok' FROM callback_deliveries",
    )
    .execute(&mut conn)
    .await
    .expect("the history's attempts");
    for table in ["callback_deliveries", "callback_attempts"] {
        sqlx::raw_sql(&format!("VACUUM ANALYZE {table}"))
            .execute(&mut conn)
            .await
            .expect("vacuum");
    }
    println!(
        "history: {HISTORY} delivered deliveries and their attempts in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    for _ in 0..PENDING / 100 {
        store.enqueue(&news(100)).await.expect("enqueue");
    }
    report("enqueue, batches of 100", PENDING, start.elapsed());

    // The plan of a claim, in a transaction rolled back.
    let mut tx = sqlx::Connection::begin(&mut conn).await.expect("begin");
    let plan = sqlx::query(
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
         WITH due AS (
             SELECT id FROM callback_deliveries
             WHERE status = 'pending' AND next_attempt_at <= $1
               AND (lease_until IS NULL OR lease_until <= $1)
             ORDER BY next_attempt_at, id LIMIT 64 FOR UPDATE SKIP LOCKED)
         UPDATE callback_deliveries d SET lease = d.lease + 1, lease_owner = 'x',
             lease_until = $1 + 60000
         FROM due WHERE d.id = due.id RETURNING d.id",
    )
    .bind(now_millis())
    .fetch_all(&mut *tx)
    .await
    .expect("explain");
    println!("the plan of a claim of 64:");
    for line in &plan {
        let line: String = sqlx::Row::try_get(line, 0).expect("a line");
        println!("    {line}");
    }
    tx.rollback().await.expect("rollback");

    // Claim 64, record 64 retries (so that they stay pending).
    let (mut claims, mut batched) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let claimed = claim(&store, "w", 64, MINUTE).await.expect("claim");
        claims.push(start.elapsed());
        assert_eq!(claimed.len(), 64);
        let outcomes: Vec<Outcome> = claimed
            .iter()
            .map(|c| {
                let tried = attempt(Some(503), Some("answered 503"), Some("busy"));
                outcome(c, Some(tried), Next::Retry(ago(Duration::from_secs(1))))
            })
            .collect();
        let start = Instant::now();
        let applied = store.record(&outcomes).await.expect("record");
        batched.push(start.elapsed());
        assert_eq!(applied, 64);
    }
    let (p50, p99) = percentiles(&mut claims);
    println!("claim 64 of {PENDING} pending beside {HISTORY} delivered: p50 {p50:.2} ms, p99 {p99:.2} ms ({ROUNDS} claims)");
    let (p50, p99) = percentiles(&mut batched);
    println!("record 64, one statement: p50 {p50:.2} ms, p99 {p99:.2} ms");

    let states = [
        ("pending", Some(Status::Pending)),
        ("delivered", Some(Status::Delivered)),
        ("failed, none", Some(Status::Failed)),
        ("any", None),
    ];
    for (what, status) in states {
        let mut lists = Vec::new();
        for _ in 0..100 {
            let filter = ListFilter {
                status,
                before: None,
                limit: 100,
            };
            let start = Instant::now();
            let listed = store.list(&filter).await.expect("list");
            lists.push(start.elapsed());
            assert_eq!(listed.len(), if what.contains("none") { 0 } else { 100 });
        }
        let (p50, p99) = percentiles(&mut lists);
        println!("list 100 newest ({what}): p50 {p50:.2} ms, p99 {p99:.2} ms");
    }

    // Prune the older half of the history, batches of 1,000.
    let start = Instant::now();
    let pruned = store
        .prune(
            Duration::from_millis((HISTORY as u64 / 2) * 1000 + 86_400_000),
            1000,
        )
        .await
        .expect("prune");
    let elapsed = start.elapsed();
    println!(
        "prune {pruned} deliveries (and their attempts), batches of 1000: {:.1} s, {:.0}/s",
        elapsed.as_secs_f64(),
        pruned as f64 / elapsed.as_secs_f64()
    );
    let start = Instant::now();
    let claimed = claim(&store, "w", 64, MINUTE).await.expect("claim");
    println!(
        "a claim right after the prune: {} in {:.2} ms",
        claimed.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    store.close().await;
}
