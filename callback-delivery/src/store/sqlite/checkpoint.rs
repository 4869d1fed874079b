//! The checkpointer: keeps the write-ahead log small, on a connection of
//! its own, so that the writer's commits never wait for a checkpoint.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::sqlite::SqliteConnection;
use sqlx::Connection;

/// How often the log is checkpointed.
const EVERY: Duration = Duration::from_millis(100);

/// Checkpoints every [`EVERY`] in `PASSIVE` mode (copies what it can,
/// blocks no one), and in `TRUNCATE` mode once the log file is past half of
/// `limit` bytes (waits for readers, then empties the file). Runs until its
/// task is aborted; a failed checkpoint is logged and tried again.
pub(super) async fn run(mut conn: SqliteConnection, wal: PathBuf, limit: u64) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
        let mode = if size > limit / 2 {
            "TRUNCATE"
        } else {
            "PASSIVE"
        };
        let sql = format!("PRAGMA wal_checkpoint({mode})");
        match sqlx::query(&sql).execute(&mut conn).await {
            Ok(_) if mode == "TRUNCATE" => {
                tracing::debug!(bytes = size, "truncated the write-ahead log");
            }
            Ok(_) => {}
            Err(error) if is_closed(&error) => {
                let _ = conn.close().await;
                return;
            }
            Err(error) => tracing::warn!(%error, mode, "checkpointing the write-ahead log failed"),
        }
    }
}

fn is_closed(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed)
}
