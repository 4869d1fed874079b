//! Retention: pruning finished deliveries in the background.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::Store;

/// How many deliveries one pruning transaction deletes at most.
const PRUNE_BATCH: usize = 1000;

/// Prunes `store` every `every` (at least every millisecond; the first
/// time at once), deleting deliveries that finished more than `older_than`
/// ago ([`Store::prune`]). A failed pass is logged and tried again at the
/// next tick. Runs until the returned task is aborted.
///
/// Several instances of the app may each run one on a shared store: their
/// passes skip the rows another holds.
///
/// # Panics
///
/// Outside a tokio runtime.
pub fn spawn_pruner(
    store: Arc<dyn Store>,
    every: Duration,
    older_than: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every.max(Duration::from_millis(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match store.prune(older_than, PRUNE_BATCH).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "pruned finished deliveries"),
                Err(error) => tracing::warn!(%error, "pruning finished deliveries failed"),
            }
        }
    })
}
