//! Group commit for [`Store::enqueue`](super::super::Store::enqueue): the
//! deliveries of every caller waiting at that moment go in with one
//! statement, one notification and one commit.

use sqlx::postgres::{PgConnection, PgPool};
use sqlx::Connection;
use tokio::sync::{mpsc, oneshot};

use super::super::StoreError;
use super::{insert, notify};
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
    let answers = match in_transaction(pool, &group).await {
        Ok(answers) => answers,
        Err(error) => group.iter().map(|_| Err(error.duplicate())).collect(),
    };
    for (request, answer) in group.into_iter().zip(answers) {
        // A caller that stopped waiting no longer needs its answer.
        let _ = request.reply.send(answer);
    }
}

/// Inserts every request's deliveries in one transaction: all with one
/// statement when every row goes in, else each request alone in a
/// savepoint, so that a failing one fails alone. The answers are final
/// once this returns `Ok`: the transaction committed.
async fn in_transaction(
    pool: &PgPool,
    group: &[Request],
) -> Result<Vec<Result<Vec<DeliveryId>, StoreError>>, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let all: Vec<(&NewDelivery, Option<String>)> = group.iter().flat_map(Request::rows).collect();
    let answers = match in_savepoint(&mut tx, all).await {
        Ok(ids) => {
            let mut ids = ids.into_iter();
            group
                .iter()
                .map(|r| Ok(ids.by_ref().take(r.deliveries.len()).collect()))
                .collect()
        }
        Err(_) => {
            let mut answers = Vec::with_capacity(group.len());
            for request in group {
                answers.push(in_savepoint(&mut tx, request.rows().collect()).await);
            }
            answers
        }
    };
    let queued = group
        .iter()
        .zip(&answers)
        .any(|(r, a)| a.is_ok() && r.deliveries.iter().any(|d| d.refused.is_none()));
    if queued {
        notify(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(answers)
}

impl Request {
    /// Each delivery with its trace context.
    fn rows(&self) -> impl Iterator<Item = (&NewDelivery, Option<String>)> {
        self.deliveries.iter().zip(self.contexts.iter().cloned())
    }
}

async fn in_savepoint(
    conn: &mut PgConnection,
    deliveries: Vec<(&NewDelivery, Option<String>)>,
) -> Result<Vec<DeliveryId>, StoreError> {
    sqlx::query("SAVEPOINT batch").execute(&mut *conn).await?;
    match insert(conn, deliveries).await {
        Ok(ids) => {
            sqlx::query("RELEASE SAVEPOINT batch")
                .execute(&mut *conn)
                .await?;
            Ok(ids)
        }
        Err(error) => {
            sqlx::query("ROLLBACK TO SAVEPOINT batch")
                .execute(&mut *conn)
                .await?;
            Err(error)
        }
    }
}
