//! The embedded, durable store: one SQLite file.
//!
//! See [`SqliteStore`] for what it promises.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::Connection;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::rows::{convert, AttemptRow, DeliveryRow, ATTEMPT_COLUMNS, DELIVERY_COLUMNS};
use super::{
    list_sql, Action, Bind, BoxFuture, Change, ClaimRequest, Exchange, ListFilter, Outcome,
    QueueStats, StatusCounts, Store, StoreError,
};
use crate::delivery::{unix_millis, Attempt, Delivery, DeliveryId, NewDelivery};

mod checkpoint;
mod sync;
mod writer;

use writer::Command;

/// The schema's migrations, applied by [`SqliteStore::open`].
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How many commands wait for the writer at most before callers wait to
/// hand theirs over.
const COMMAND_QUEUE: usize = 4096;

/// What a commit has on disk when it returns, that is, when
/// [`Store::enqueue`] returns and an app answers its request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// Each commit is synced to the disk before its commands are answered
    /// (an `fdatasync` of the write-ahead log after the commit): what was
    /// queued survives a crash of the process and a power cut or a crash of
    /// the operating system, as with SQLite's `synchronous = FULL`, whose
    /// guarantee it gives. The default.
    #[default]
    PowerLoss,
    /// Commits are written to the operating system before they are answered
    /// and synced at each checkpoint (SQLite's `synchronous = NORMAL`):
    /// what was queued survives a crash of the process, even a `SIGKILL`,
    /// but a power cut or a crash of the operating system may lose the
    /// commits of the last moments (the file stays consistent). Cheaper per
    /// commit; the name says what it risks.
    ProcessCrashOnly,
}

/// How a [`SqliteStore`] opens its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteConfig {
    /// What a commit has on disk when it returns (default
    /// [`Durability::PowerLoss`]).
    pub durability: Durability,
    /// The size the write-ahead log is kept under (default 64 MiB): past
    /// half of it, the store checkpoints the log and truncates it, waiting
    /// for readers if it must.
    pub wal_limit: u64,
    /// How many connections serve reads (the deliveries view) beside the
    /// writer (default 4).
    pub readers: u32,
    /// How long a statement waits for another process's lock (default
    /// 5 s).
    pub busy_timeout: Duration,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        SqliteConfig {
            durability: Durability::PowerLoss,
            wal_limit: 64 * 1024 * 1024,
            readers: 4,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A [`Store`] in one SQLite file.
///
/// # Durability
///
/// The file is in WAL mode. With the default [`Durability::PowerLoss`],
/// every commit is synced to the disk before its commands are answered:
/// once [`Store::enqueue`] returns, the deliveries survive a crash of the
/// process and a power cut. [`Durability::ProcessCrashOnly`] skips that
/// sync and survives a crash of the process only.
///
/// The sync is SQLite's `synchronous = FULL` guarantee, done by the store:
/// SQLite runs with `synchronous = NORMAL` (which still syncs the log at
/// checkpoints and when it starts it anew), and after each commit a task of
/// the store calls `fdatasync` on the log, then answers the commit's
/// commands. The writer meanwhile goes on with the next group, and one sync
/// covers every commit made before it started. Groups without an enqueue
/// (the dispatcher's claims and records, pruning) are answered without
/// waiting for a sync: a claim or a record that a power cut takes back costs
/// a second send of the same delivery once its lease expires (delivery is
/// at least once), never a delivery. (SQLite as bundled by
/// `libsqlite3-sys` calls `fsync`, which also writes the file's timestamps:
/// on Linux that costs a journal commit of the file system per commit.)
///
/// # One writer, group commit
///
/// Every write goes through one connection, owned by one task (the
/// writer), which takes the commands waiting for it (enqueues from request
/// handlers, the dispatcher's records and claims, pruning) and carries them
/// out in one transaction, with one commit and so one sync for all of
/// them: the more requests queue at once, the less each one's durability
/// costs. Each command runs in a savepoint of its own, so that one that
/// fails (a bad row) fails alone and the others are committed; the
/// enqueues of a group are inserted with multi-row statements. A command
/// is answered only once the commit that holds it has returned.
///
/// Reads (the deliveries view) use a pool of their own and run beside the
/// writer, as WAL allows. `busy_timeout` covers another process opening the
/// same file.
///
/// # A bounded write-ahead log
///
/// The writer does not checkpoint the log itself (its commits stay short);
/// a checkpointer task on a connection of its own does, every 100 ms, in
/// `PASSIVE` mode, which never blocks the writer. When the log is past half
/// of [`SqliteConfig::wal_limit`] nonetheless (a long read holding old
/// pages), it checkpoints in `TRUNCATE` mode, which waits for the readers
/// and empties the file. The writer keeps `journal_size_limit` at a quarter
/// of the limit, so that a log reset after a burst gives its space back.
///
/// # Schema
///
/// The tables (`callback_deliveries`, `callback_attempts`, the same as on
/// PostgreSQL) are built by the numbered migrations in
/// `migrations/sqlite`, applied by `sqlx::migrate!` and recorded in
/// `_sqlx_migrations`; a file migrated by a newer version of this crate is
/// refused. A file written by this crate's pre-release schema (tables
/// `deliveries` and `attempts`) is imported into the new tables when it is
/// opened.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    commands: mpsc::Sender<Command>,
    readers: SqlitePool,
    path: PathBuf,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(tasks) = self.tasks.get_mut() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
    }
}

impl SqliteStore {
    /// Opens the store in the file at `path` with the default
    /// [`SqliteConfig`], creating the file if it is missing and bringing
    /// its schema up to date.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or created, or its schema is newer
    /// than this crate knows.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, SqliteConfig::default()).await
    }

    /// Opens the store in the file at `path` with `config`.
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::open`].
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn open_with(
        path: impl AsRef<Path>,
        config: SqliteConfig,
    ) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_owned();
        // Both run SQLite with `synchronous = NORMAL` (the log is synced at
        // checkpoints and when it is reused); `PowerLoss` syncs the log after
        // each commit itself, before answering (see `sync`).
        let synchronous = SqliteSynchronous::Normal;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(config.busy_timeout)
            .foreign_keys(true);
        let writer_options = options
            .clone()
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", (config.wal_limit / 4).to_string());
        let mut writer = SqliteConnection::connect_with(&writer_options).await?;
        migrate(&mut writer).await?;
        let checkpointer = SqliteConnection::connect_with(&options).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(config.readers.max(1))
            .connect_with(options)
            .await?;
        let (commands, received) = mpsc::channel(COMMAND_QUEUE);
        let mut tasks = vec![tokio::spawn(checkpoint::run(
            checkpointer,
            wal_path(&path),
            config.wal_limit,
        ))];
        let synced = match config.durability {
            Durability::PowerLoss => {
                // The log exists: the migrations wrote to it (or found the
                // file migrated, and opened it in WAL mode).
                let log = std::fs::OpenOptions::new()
                    .read(true)
                    .open(wal_path(&path))
                    .map_err(|e| StoreError::Transient(e.into()))?;
                let (pending, syncer) = sync::spawn(log);
                tasks.push(syncer);
                Some(pending)
            }
            Durability::ProcessCrashOnly => None,
        };
        tasks.push(tokio::spawn(writer::run(writer, received, synced)));
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                commands,
                readers,
                path,
                tasks: std::sync::Mutex::new(tasks),
            }),
        })
    }

    /// The file the store is in.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The size of the write-ahead log file now, in bytes (0 when there is
    /// none).
    pub fn wal_size(&self) -> u64 {
        std::fs::metadata(wal_path(&self.inner.path)).map_or(0, |m| m.len())
    }

    /// Closes the store: waits for the commands queued before, then closes
    /// its connections. The store fails every operation afterwards
    /// ([`StoreError::Closed`]).
    pub async fn close(&self) {
        let (reply, done) = oneshot::channel();
        if self
            .inner
            .commands
            .send(Command::Close { reply })
            .await
            .is_ok()
        {
            let _ = done.await;
        }
        self.inner.readers.close().await;
        if let Ok(mut tasks) = self.inner.tasks.lock() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
    }

    /// Hands a command to the writer and waits for its answer.
    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Command,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .commands
            .send(command(reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn list_matching(&self, filter: &ListFilter) -> Result<Vec<Delivery>, StoreError> {
        let (sql, binds) = list_sql(filter, |n| format!("?{n}"));
        let mut query = sqlx::query_as::<_, DeliveryRow>(&sql);
        for bind in binds {
            query = match bind {
                Bind::Int(value) => query.bind(value),
                Bind::Text(value) => query.bind(value),
            };
        }
        convert(query.fetch_all(&self.inner.readers).await?)
    }

    async fn count_states(&self) -> Result<StatusCounts, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM callback_deliveries GROUP BY status")
                .fetch_all(&self.inner.readers)
                .await?;
        let mut counts = StatusCounts::default();
        for (status, count) in rows {
            counts.add(
                super::rows::status(&status)?,
                u64::try_from(count).unwrap_or(0),
            );
        }
        Ok(counts)
    }

    async fn get_one(
        &self,
        id: DeliveryId,
    ) -> Result<Option<(Delivery, Vec<Attempt>)>, StoreError> {
        // One read transaction: the delivery and its log from one snapshot.
        let mut tx = self.inner.readers.begin().await?;
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM callback_deliveries WHERE id = ?1");
        let Some(row) = sqlx::query_as::<_, DeliveryRow>(&sql)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM callback_attempts WHERE delivery_id = ?1 ORDER BY id"
        );
        let attempts = sqlx::query_as::<_, AttemptRow>(&sql)
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some((Delivery::try_from(row)?, convert(attempts)?)))
    }
}

impl Store for SqliteStore {
    fn enqueue<'a>(
        &'a self,
        deliveries: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<Vec<DeliveryId>, StoreError>> {
        Box::pin(async move {
            if deliveries.is_empty() {
                return Ok(Vec::new());
            }
            let contexts = crate::telemetry::queued(deliveries);
            let deliveries = deliveries.to_vec();
            self.ask(|reply| Command::Enqueue {
                deliveries,
                contexts,
                reply,
            })
            .await
        })
    }

    fn exchange<'a>(
        &'a self,
        outcomes: &'a [Outcome],
        claim: &'a ClaimRequest,
    ) -> BoxFuture<'a, Result<Exchange, StoreError>> {
        Box::pin(async move {
            super::check_outcomes(outcomes)?;
            if outcomes.is_empty() && claim.limit == 0 {
                return Ok(Exchange::default());
            }
            let outcomes = outcomes.to_vec();
            let claim = claim.clone();
            self.ask(|reply| Command::Exchange {
                outcomes,
                claim,
                reply,
            })
            .await
        })
    }

    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>> {
        Box::pin(self.list_matching(filter))
    }

    fn get(
        &self,
        id: DeliveryId,
    ) -> BoxFuture<'_, Result<Option<(Delivery, Vec<Attempt>)>, StoreError>> {
        Box::pin(self.get_one(id))
    }

    fn retry(&self, id: DeliveryId) -> BoxFuture<'_, Result<Change, StoreError>> {
        Box::pin(self.ask(move |reply| Command::Change {
            id,
            action: Action::Retry,
            reply,
        }))
    }

    fn cancel(&self, id: DeliveryId) -> BoxFuture<'_, Result<Change, StoreError>> {
        Box::pin(self.ask(move |reply| Command::Change {
            id,
            action: Action::Cancel,
            reply,
        }))
    }

    fn counts(&self) -> BoxFuture<'_, Result<StatusCounts, StoreError>> {
        Box::pin(self.count_states())
    }

    fn stats(&self) -> BoxFuture<'_, Result<Option<QueueStats>, StoreError>> {
        Box::pin(async move {
            let now = unix_millis(SystemTime::now());
            let (pending, due, oldest): (i64, Option<i64>, Option<i64>) =
                sqlx::query_as(super::STATS_SQLITE)
                    .bind(now)
                    .fetch_one(&self.inner.readers)
                    .await?;
            Ok(Some(QueueStats {
                pending: u64::try_from(pending).unwrap_or(0),
                due: due.and_then(|d| u64::try_from(d).ok()).unwrap_or(0),
                oldest_due_at: oldest,
            }))
        })
    }

    fn prune(&self, older_than: Duration, batch: usize) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            let batch = batch.max(1);
            let mut pruned = 0;
            loop {
                // One batch per command: the writer's other commands come
                // in between.
                let deleted = self
                    .ask(|reply| Command::Prune {
                        older_than,
                        batch,
                        reply,
                    })
                    .await?;
                pruned += deleted;
                if deleted < u64::try_from(batch).unwrap_or(u64::MAX) {
                    return Ok(pruned);
                }
            }
        })
    }
}

/// The write-ahead log's file, next to the database's.
fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Brings the schema up to date: imports a pre-release file, then applies
/// the migrations. sqlx takes no lock on SQLite, so two processes opening
/// a new file at once may race; the one that loses tries again and finds
/// the migrations applied.
async fn migrate(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    super::legacy::sqlite_set_aside(conn).await?;
    let mut tries = 0;
    loop {
        match MIGRATOR.run_direct(conn).await {
            Ok(()) => break,
            Err(
                sqlx::migrate::MigrateError::Execute(_)
                | sqlx::migrate::MigrateError::ExecuteMigration(..),
            ) if tries < 3 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50 * tries)).await;
            }
            Err(error) => return Err(sqlx::Error::Migrate(Box::new(error)).into()),
        }
    }
    super::legacy::sqlite_import(conn).await
}
