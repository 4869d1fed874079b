//! The PostgreSQL store's own tests: migrations and the pre-release
//! upgrade, several instances on one queue, the outbox in the app's
//! transaction, bad input; and its measurements.
//!
//! They run against the database named by `CALLBACKS_TEST_DATABASE_URL`,
//! each in a fresh schema of its own; without it (or when the server cannot
//! be reached) they print a notice and pass, unless `CI` is set, where they
//! fail.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection};

use super::*;
use crate::store::PostgresStore;

// ---------------------------------------------------------------------------
// PostgreSQL only.

/// The environment variable that names the test database.
const DATABASE_URL: &str = "CALLBACKS_TEST_DATABASE_URL";

/// Skips a PostgreSQL test with a notice, or fails it in CI.
fn skip(why: &str) -> Option<TestSchema> {
    if std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1") {
        panic!("the PostgreSQL tests must run in CI, but {why}");
    }
    eprintln!("skipping a PostgreSQL test: {why}");
    None
}

/// A fresh schema of the test database, for one test's tables; dropped,
/// with everything in it, when dropped.
pub(super) struct TestSchema {
    url: String,
    name: String,
}

impl TestSchema {
    /// A new schema, or `None` (after a notice) when there is no database.
    pub(super) async fn new() -> Option<TestSchema> {
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
    pub(super) async fn store(&self, max_connections: u32) -> PostgresStore {
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

/// `n` stores connecting at once to `schema`, each migrating it (under the
/// migrator's lock) as instances starting together would.
async fn connect_at_once(schema: &TestSchema, n: usize) -> Vec<PostgresStore> {
    let starting: Vec<_> = (0..n)
        .map(|_| {
            let options = schema.options();
            tokio::spawn(async move { PostgresStore::connect_with(options, 2).await })
        })
        .collect();
    let mut stores = Vec::new();
    for store in starting {
        stores.push(store.await.expect("task").expect("connect"));
    }
    stores
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

    let stores = connect_at_once(&schema, 3).await;
    assert_eq!(
        tables(&mut conn, &schema.name).await,
        [
            "_sqlx_migrations",
            "callback_attempts",
            "callback_deliveries"
        ]
    );
    let versions = "SELECT COUNT(*) * 1000 + MAX(version) FROM _sqlx_migrations";
    assert_eq!(
        scalar(&mut conn, versions).await,
        2002,
        "versions 1 and 2, once each"
    );
    let due_index = "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() \
         AND indexname = 'callback_deliveries_due' AND indexdef LIKE '%WHERE (status = %pending%'";
    assert_eq!(scalar(&mut conn, due_index).await, 1, "a partial index");
    let view_indexes = "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() \
         AND indexname IN ('callback_deliveries_by_callback', 'callback_deliveries_by_destination')";
    assert_eq!(scalar(&mut conn, view_indexes).await, 2, "migration 2's");

    let again = schema.store(2).await;
    assert_eq!(scalar(&mut conn, versions).await, 2002, "nothing more");
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
    let stores = connect_at_once(&schema, 2).await;
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
        .listen(crate::store::NOTIFY_CHANNEL)
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
    // Committed, but refused: stored, nothing to claim, no notification.
    let mut refused = news(1);
    refused[0].refused = Some("no callback URL".into());
    let mut tx = conn.begin().await.expect("begin");
    PostgresStore::enqueue_in(&mut tx, &refused)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    // Other tests notify too: count this connection's notifications. The
    // rollback's would have come before the commit's, the refusal's after.
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
    assert_eq!(
        ours, 1,
        "one notification, from the commit of a pending delivery"
    );
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
                ..ListFilter::default()
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
