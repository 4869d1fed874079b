//! Group commit for [`Store::enqueue`](super::super::Store::enqueue): the
//! deliveries of every caller waiting at that moment go in with one
//! statement, which announces them and commits: one round trip.

use sqlx::postgres::{PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot};

use super::super::StoreError;
use super::insert;
use crate::delivery::{DeliveryId, NewDelivery};

/// How many callers wait for the committer at most before the next ones
/// wait to hand their deliveries over.
pub(super) const QUEUE: usize = 4096;

/// The most callers one transaction carries.
const GROUP: usize = 512;

/// One caller's deliveries, and where its answer goes.
pub(super) struct Request {
    pub(super) deliveries: Vec<NewDelivery>,
    pub(super) contexts: Vec<Option<String>>,
    pub(super) reply: oneshot::Sender<Result<Vec<DeliveryId>, StoreError>>,
}

/// Runs until every handle of the store is dropped.
pub(super) async fn run(pool: PgPool, mut requests: mpsc::Receiver<Request>) {
    let mut group = Vec::with_capacity(GROUP);
    while requests.recv_many(&mut group, GROUP).await > 0 {
        commit_group(&pool, std::mem::take(&mut group)).await;
    }
}

async fn commit_group(pool: &PgPool, group: Vec<Request>) {
    let answers = match pool.acquire().await {
        Ok(mut conn) => insert_group(&mut conn, &group).await,
        Err(error) => {
            let error = StoreError::from(error);
            group.iter().map(|_| Err(error.duplicate())).collect()
        }
    };
    for (request, answer) in group.into_iter().zip(answers) {
        // A caller that stopped waiting no longer needs its answer.
        let _ = request.reply.send(answer);
    }
}

/// Inserts every request's deliveries with one statement, which is its own
/// transaction (and announces them, delivered on its commit): one round
/// trip for the group. When it fails, nothing of it was stored, and each
/// request goes in alone, so that a failing one fails alone. Each answer
/// is final: its statement committed, or failed.
async fn insert_group(
    conn: &mut PgConnection,
    group: &[Request],
) -> Vec<Result<Vec<DeliveryId>, StoreError>> {
    let all: Vec<(&NewDelivery, Option<String>)> = group.iter().flat_map(Request::rows).collect();
    match insert(conn, all).await {
        Ok(ids) => {
            let mut ids = ids.into_iter();
            group
                .iter()
                .map(|r| Ok(ids.by_ref().take(r.deliveries.len()).collect()))
                .collect()
        }
        Err(_) if group.len() > 1 => {
            let mut answers = Vec::with_capacity(group.len());
            for request in group {
                answers.push(insert(conn, request.rows().collect()).await);
            }
            answers
        }
        Err(error) => vec![Err(error)],
    }
}

impl Request {
    /// Each delivery with its trace context.
    fn rows(&self) -> impl Iterator<Item = (&NewDelivery, Option<String>)> {
        self.deliveries.iter().zip(self.contexts.iter().cloned())
    }
}
