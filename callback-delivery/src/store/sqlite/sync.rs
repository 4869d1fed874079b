//! Syncing the write-ahead log before answering, pipelined.
//!
//! With [`Durability::PowerLoss`](super::Durability::PowerLoss), a command
//! is answered only once the commit that holds it is on the disk. The
//! writer does not wait for that itself: it hands each committed group's
//! answers to this task and goes on with the next group. The task syncs
//! the log (`fdatasync`) once for every group waiting at that moment, then
//! answers them all. A sync that starts after a commit returned covers
//! that commit, whichever handle wrote it: `fdatasync` writes the file's
//! dirty pages, and the size that reading them needs, to the disk.

use std::fs::File;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::writer::Answer;
use crate::store::StoreError;

/// Groups of answers, committed and waiting for their sync.
pub(super) type Pending = mpsc::UnboundedSender<Vec<Answer>>;

/// Syncs `log` for the groups sent on the returned channel, then answers
/// them; runs until the channel's senders are gone.
pub(super) fn spawn(log: File) -> (Pending, tokio::task::JoinHandle<()>) {
    let (pending, mut received) = mpsc::unbounded_channel::<Vec<Answer>>();
    let log = Arc::new(log);
    let task = tokio::spawn(async move {
        let mut groups = Vec::new();
        while received.recv_many(&mut groups, 1024).await > 0 {
            let log = Arc::clone(&log);
            let synced = tokio::task::spawn_blocking(move || log.sync_data()).await;
            let failed = match synced {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(StoreError::Transient(
                    format!("syncing the write-ahead log failed: {error}").into(),
                )),
                Err(error) => Some(StoreError::Transient(
                    format!("syncing the write-ahead log failed: {error}").into(),
                )),
            };
            if let Some(error) = &failed {
                tracing::error!(%error, "committed deliveries may not be on the disk");
            }
            for answer in groups.drain(..).flatten() {
                answer.send(failed.as_ref());
            }
        }
    });
    (pending, task)
}
