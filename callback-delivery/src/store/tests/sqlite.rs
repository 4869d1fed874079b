//! The SQLite store's own tests: durability across a reopen and a
//! `SIGKILL`, migrations and the pre-release import, a bad batch in a
//! group commit; and its measurements.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::*;
use crate::store::SqliteStore;

/// A database file under the temporary directory, removed (with its WAL and
/// shared-memory files) when dropped.
pub(super) struct TempFile {
    pub(super) path: PathBuf,
}

impl TempFile {
    pub(super) fn new(name: &str) -> TempFile {
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
        limit: 1000,
        ..ListFilter::default()
    };
    store.list(&filter).await.expect("list").len()
}

/// Opens a store on `file`, then adds `trigger` to its schema through a
/// connection of its own (the store's writer would run it inside a group).
async fn open_with_trigger(file: &TempFile, trigger: &str) -> SqliteStore {
    use sqlx::{ConnectOptions, Connection};

    let store = SqliteStore::open(&file.path).await.expect("open");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file.path)
        .connect()
        .await
        .expect("connect");
    sqlx::query(trigger)
        .execute(&mut conn)
        .await
        .expect("the trigger");
    conn.close().await.expect("close");
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_bad_batch_fails_alone() {
    let file = TempFile::new("bad-batch");
    let store = open_with_trigger(
        &file,
        "CREATE TRIGGER refuse_bad BEFORE INSERT ON callback_deliveries
         WHEN NEW.callback = 'bad' BEGIN SELECT RAISE(ABORT, 'a bad row'); END",
    )
    .await;
    a_bad_batch_fails_alone(Arc::new(store.clone())).await;
    store.close().await;
}

/// An exchange whose second statement fails (a trigger refuses the update
/// of the delivery, after its attempt was logged) fails alone: the enqueues committed with it are kept, the delivery
/// it would have recorded keeps its lease and logs no attempt, and the
/// next exchange records it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_failing_exchange_fails_alone() {
    let file = TempFile::new("bad-exchange");
    let store = open_with_trigger(
        &file,
        "CREATE TRIGGER refuse_boom BEFORE UPDATE ON callback_deliveries
         WHEN NEW.last_error = 'boom' BEGIN SELECT RAISE(ABORT, 'a refused record'); END",
    )
    .await;

    store.enqueue(&news(1)).await.expect("enqueue");
    let claimed = claim(&store, "a", 1, MINUTE).await.expect("claim");
    let boom = outcome(
        &claimed[0],
        Some(attempt(None, Some("boom"), None)),
        Next::Retry(SystemTime::now()),
    );
    // Sent together, so that the writer most often takes both in one group.
    let (more, boom, nothing) = (news(3), [boom], ClaimRequest::nothing());
    let (queued, exchanged) = tokio::join!(store.enqueue(&more), store.exchange(&boom, &nothing));
    let queued = queued.expect("the enqueues are kept");
    assert!(exchanged.is_err(), "the exchange fails: {exchanged:?}");
    for id in &queued {
        assert!(store.get(*id).await.expect("get").is_some());
    }
    let (delivery, attempts) = store.get(claimed[0].id).await.expect("get").expect("found");
    assert_eq!(delivery.status, Status::Pending);
    assert!(attempts.is_empty(), "no attempt logged: {attempts:?}");

    let fine = outcome(
        &claimed[0],
        Some(attempt(Some(200), None, None)),
        Next::Finish(Status::Delivered),
    );
    assert_eq!(store.record(&[fine]).await.expect("record"), 1);
    let (delivery, attempts) = store.get(claimed[0].id).await.expect("get").expect("found");
    assert_eq!(delivery.status, Status::Delivered);
    assert_eq!(attempts.len(), 1);
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
    assert_eq!(versions, [1, 2]);
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
            "store::tests::sqlite::sqlite_keeps_deliveries_across_sigkill",
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
    for durability in [
        crate::store::Durability::PowerLoss,
        crate::store::Durability::ProcessCrashOnly,
    ] {
        let file = TempFile::new("measure-group");
        let config = crate::store::SqliteConfig {
            durability,
            ..crate::store::SqliteConfig::default()
        };
        let store = Arc::new(
            SqliteStore::open_with(&file.path, config)
                .await
                .expect("open"),
        );
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
